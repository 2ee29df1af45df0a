"""The one place that runs programs (orgbackup/tools/process.py): failures, timeouts, the idle
timeout (progress, not the wall clock) and masking of secrets, with real programs."""

from __future__ import annotations

import pytest

from orgbackup.tools import process
from orgbackup.errors import CommandFailed


def test_failure_names_program_and_last_line():
    with pytest.raises(CommandFailed, match=r"sh exited with 3: last words"):
        process.run(("sh", "-c", "echo first >&2; echo last words >&2; exit 3"))


def test_check_false_returns_result():
    result = process.run(("sh", "-c", "echo out; exit 4"), check=False)
    assert (result.returncode, result.stdout) == (4, "out\n")


def test_registered_secret_is_masked_in_output_and_errors():
    process.register_secret("s3cr3t-value-xyz")
    result = process.run(("sh", "-c", "echo s3cr3t-value-xyz"), check=False)
    assert result.stdout == "***\n"
    with pytest.raises(CommandFailed) as err:
        process.run(("sh", "-c", "echo token s3cr3t-value-xyz >&2; exit 1"))
    assert "s3cr3t-value-xyz" not in str(err.value)


def test_timeout_ends_the_program():
    with pytest.raises(CommandFailed, match="did not finish within 1 s"):
        process.run(("sleep", "30"), timeout=1)


def test_missing_program():
    with pytest.raises(CommandFailed, match="is not installed"):
        process.run(("no-such-program-here",))


def test_secret_variables_not_inherited(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "inherited-token-value")
    result = process.run(("sh", "-c", 'echo "[$GITHUB_TOKEN]"'))
    assert result.stdout == "[]\n"


def test_a_repository_path_is_no_secret_and_stays_readable(tmp_path):
    """Regression: RESTIC_REPOSITORY=/repository once masked every '.../repository' path git printed."""
    from orgbackup.config.readers import Secret
    from orgbackup.config.secret_files import register_secrets, repository_credentials

    class Config:
        token = Secret("tok-" + "a" * 30)
        restic_password = Secret("a-long-restic-password")
        restic_repository = Secret("/repository")
        restic_backend = {"AWS_DEFAULT_REGION": "eu-central-1"}

    register_secrets(Config)
    out = process.run(("echo", "/cache/V-Sekai/github-backup/repositories/x/repository/.git")).stdout
    assert out.strip().endswith("/repository/.git")
    assert repository_credentials("rest:https://user:pw-secret@host:8000/") == ["pw-secret"]
    assert repository_credentials("sftp:user@host:/srv/restic") == []


PRINT_EVERY_HALF_SECOND = "import time\nfor i in range(6):\n    print(i, flush=True)\n    time.sleep(0.5)\n"


def test_idle_timeout_lets_a_program_that_keeps_printing_finish():
    """3 s of work with a 2 s budget without output: it finishes, since it prints every 0.5 s."""
    result = process.run(("python3", "-c", PRINT_EVERY_HALF_SECOND), idle_timeout=2)
    assert result.stdout.split() == [str(i) for i in range(6)]


def test_idle_timeout_counts_a_growing_stdout_file_as_progress(tmp_path):
    log_file = tmp_path / "out.log"
    result = process.run(("python3", "-c", PRINT_EVERY_HALF_SECOND), idle_timeout=2, stdout_path=log_file)
    assert result.ok and log_file.read_text().split() == [str(i) for i in range(6)]


def test_idle_timeout_ends_a_silent_program():
    import time

    started = time.monotonic()
    with pytest.raises(CommandFailed, match=r"sleep made no progress for 1 s .* was ended"):
        process.run(("sleep", "5"), idle_timeout=1)
    assert time.monotonic() - started < 4


def test_idle_timeout_ends_the_whole_process_group(tmp_path):
    """The silent grandchild goes too (a tool's git), and the call does not wait for it."""
    import time

    marker = tmp_path / "grandchild-still-ran"
    started = time.monotonic()
    with pytest.raises(CommandFailed, match="made no progress"):
        process.run(("sh", "-c", f"(sleep 3; touch {marker}) & wait"), idle_timeout=1,
                     stdout_path=tmp_path / "log")
    assert time.monotonic() - started < 3
    time.sleep(2.5)
    assert not marker.exists()


def test_idle_timeout_still_reads_input_and_both_streams():
    result = process.run(("sh", "-c", "cat; echo err >&2"), input="in\n", idle_timeout=5)
    assert (result.stdout, result.stderr) == ("in\n", "err\n")


def test_group_io_bytes_sees_a_program_reading():
    import subprocess

    proc = subprocess.Popen(("python3", "-c", "import sys, time; sys.stdin.read(); time.sleep(5)"),
                            stdin=subprocess.PIPE, start_new_session=True)
    try:
        before = process.group_io_bytes(proc.pid)
        proc.stdin.write(b"x" * 100000)
        proc.stdin.close()
        import time

        time.sleep(0.5)
        assert process.group_io_bytes(proc.pid) >= (before or 0) + 100000
    finally:
        proc.kill()
        proc.wait()


def test_idle_timeout_counts_bytes_transferred_as_progress():
    """A program that prints nothing but keeps receiving (a tool's silent git clone) is not
    ended: 3 s of a silent trickle through a pipe inside its group, idle_timeout=1."""
    trickle = "import sys, time\nfor _ in range(10):\n    sys.stdout.write('x'); sys.stdout.flush(); time.sleep(0.3)\n"
    silent_reader = "import sys\nsys.stdin.read()\n"
    result = process.run(("sh", "-c", f"python3 -c \"{trickle}\" | python3 -c \"{silent_reader}\""),
                          idle_timeout=1)
    assert result.ok and result.stdout == ""
