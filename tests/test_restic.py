"""restic: the argument builders, and the real restic for opening, creating and refusing."""

import os
import subprocess

import pytest

from orgbackup.tools import restic, restic_output
from orgbackup.config.settings import Retention
from orgbackup.config.readers import Secret
from orgbackup.errors import PreflightError
from orgbackup.config.secret_files import SecretFiles, remove_secret_files, write_secret_files
from orgbackup.backup.stages.snapshot import exclude_pattern, snapshot_tags
from orgbackup.times import parse_rfc3339


class FakeConfig:
    """Only what write_secret_files reads."""

    def __init__(self, repository, password):
        self.token = Secret("unused-token")
        self.restic_repository = Secret(repository)
        self.restic_password = Secret(password)
        self.restic_backend = {}
        self.github_host, self.orgs = "github.com", ("example-org",)


@pytest.fixture
def files_for(restic_binary, tmp_path):
    made: list[SecretFiles] = []

    def make(password="right-password"):
        files = write_secret_files(FakeConfig(str(tmp_path / "repo"), password), parent=str(tmp_path))
        made.append(files)
        return files

    yield make
    for files in made:
        remove_secret_files(files)


def test_backup_arguments_carry_no_secret():
    argv = restic.backup(["V-Sekai"], host="h", tags=["org:V-Sekai", "complete"], exclude_files=["/c/x"])
    assert argv == (
        "restic", "backup", "--json", "--host", "h",
        "--tag", "org:V-Sekai", "--tag", "complete", "--exclude", "/c/x", "V-Sekai",
    )


def test_forget_groups_by_host_within_one_org():
    argv = restic.forget(Retention(1, 2, 3, 4), host="h", org="A")
    assert argv[:3] == ("restic", "forget", "--json")
    # The keep policy sees complete snapshots only: one --tag with a comma is an AND.
    assert ("--tag", "org:A,complete") == argv[argv.index("--tag"):argv.index("--tag") + 2]
    assert ("--group-by", "host") == argv[argv.index("--group-by"):argv.index("--group-by") + 2]
    assert argv[-8:] == ("--keep-daily", "1", "--keep-weekly", "2", "--keep-monthly", "3", "--keep-yearly", "4")


def test_tags_and_exclude_pattern():
    assert snapshot_tags("A", False, {"orgbackup": "0.1.0", "gitim": "2.1.0"}) == (
        "org:A", "incomplete", "orgbackup:0.1.0", "gitim:2.1.0",
    )
    assert exclude_pattern("/c/a[1]*.txt") == "/c/a\\[1\\]\\*.txt"


def test_parse_backup_summary_ignores_unknown_messages():
    out = '{"message_type":"status","percent_done":0.5}\n{"message_type":"summary","snapshot_id":"abc","data_added":12,"new_field":1}\n'
    assert restic_output.parse_backup_summary(out)["snapshot_id"] == "abc"


def test_repository_is_created_then_opened(files_for):
    files = files_for()
    assert restic.ensure_repository(files) is True
    assert restic.ensure_repository(files) is False


def test_wrong_password_is_named_and_repository_untouched(files_for, tmp_path):
    restic.ensure_repository(files_for())
    before = sorted(p.name for p in (tmp_path / "repo" / "keys").iterdir())
    with pytest.raises(PreflightError, match="password is wrong"):
        restic.ensure_repository(files_for("not-the-password"))
    assert sorted(p.name for p in (tmp_path / "repo" / "keys").iterdir()) == before


def test_retry_lock_only_where_restic_has_it():
    argv = ("restic", "backup", "--json", "x")
    assert restic.with_retry_lock(argv, (0, 14, 0)) == argv
    assert restic.with_retry_lock(argv, (0, 18, 0)) == ("restic", "backup", "--retry-lock", "300s", "--json", "x")
    assert restic.with_retry_lock(("restic", "snapshots"), (0, 18, 0)) == ("restic", "snapshots")
    assert restic_output.parse_version("restic 0.14.0 compiled with go1.19.8 on linux/amd64") == (0, 14, 0)


def test_forgotten_snapshots_are_read_from_forget_json():
    out = '[{"tags":["org:A"],"host":"h","keep":[{"id":"k1"}],"remove":[{"id":"r1"},{"id":"r2"}]},{"keep":[],"remove":null}]\n'
    assert restic_output.forgotten_snapshots(out) == ["r1", "r2"]
    assert restic_output.forgotten_snapshots("[]\n") == []


def test_prune_is_due_by_age():
    from datetime import datetime, timedelta, timezone

    from orgbackup.backup.stages.snapshot import prune_due

    now = datetime(2026, 11, 25, tzinfo=timezone.utc)
    assert not prune_due(None, now, 7)  # the first run starts the interval
    assert prune_due(None, now, 0)
    assert not prune_due((now - timedelta(days=2)).isoformat(), now, 7)
    assert prune_due((now - timedelta(days=7)).isoformat(), now, 7)
    assert prune_due((now - timedelta(hours=1)).isoformat(), now, 0)


def test_retag_and_forget_builders():
    assert restic.retag_incomplete("abc123") == (
        "restic", "tag", "--remove", "complete", "--add", "incomplete", "abc123",
    )
    assert restic.forget_snapshots(["a", "b"]) == ("restic", "forget", "a", "b")
    # `restic tag` takes the exclusive lock like forget: it waits for it where restic can.
    assert restic.with_retry_lock(restic.retag_incomplete("x"), (0, 18, 0))[2:4] == ("--retry-lock", "300s")


def snap(id, time, *tags, original=None):
    return restic_output.Snapshot(id=id, short_id=id[:8], time=time, host="h", tags=("org:A",) + tags,
                           paths=("/c/A",), original=original)


def test_parse_time_reads_restics_nanoseconds_and_offsets():
    from datetime import datetime, timezone

    assert parse_rfc3339("2026-11-25T03:00:00.123456789+01:00") == datetime(
        2026, 11, 25, 2, 0, 0, 123456, tzinfo=timezone.utc)
    assert parse_rfc3339("2026-11-25T03:00:00Z") == datetime(2026, 11, 25, 3, tzinfo=timezone.utc)


def test_incomplete_snapshots_go_once_superseded_and_old():
    from datetime import datetime, timezone

    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    snaps = [
        snap("i-old-superseded", "2026-11-01T00:00:00Z", "incomplete"),
        snap("c-middle", "2026-11-10T00:00:00Z", "complete"),
        snap("i-young-superseded", "2026-11-25T00:00:00Z", "incomplete"),
        snap("c-newest", "2026-11-28T00:00:00Z", "complete"),
        snap("i-after-newest", "2026-11-30T00:00:00Z", "incomplete"),
    ]
    assert restic_output.incomplete_to_forget(snaps, now, 14) == ["i-old-superseded"]
    assert restic_output.incomplete_to_forget(snaps, now, 0) == ["i-old-superseded", "i-young-superseded"]
    # No complete snapshot at all: the incomplete ones are all there is; none goes.
    assert restic_output.incomplete_to_forget([s for s in snaps if "incomplete" in s.tags], now, 0) == []


def test_retagged_finds_the_rewritten_snapshot():
    snaps = [snap("1" * 64, "2026-11-01T00:00:00Z", "complete"),
             snap("2" * 64, "2026-11-01T00:00:00Z", "incomplete", original="3" * 64)]
    assert restic_output.retagged(snaps, "3" * 8).id == "2" * 64
    assert restic_output.retagged(snaps, "1" * 8) is None


def test_restic_alone_gets_the_backend_variables(files_for, monkeypatch):
    from dataclasses import replace

    from orgbackup.tools import process
    from orgbackup.config.settings import is_restic_backend_variable
    from orgbackup.config.readers import SecretEnvironment

    for name in ("AWS_SECRET_ACCESS_KEY", "B2_ACCOUNT_KEY", "AZURE_ACCOUNT_SAS", "GOOGLE_APPLICATION_CREDENTIALS",
                 "OS_PASSWORD", "ST_KEY", "RCLONE_CONFIG", "RESTIC_CACHE_DIR"):
        assert is_restic_backend_variable(name), name
    for name in ("PATH", "HOME", "GIT_ASKPASS", "STATE", "GITHUB_TOKEN_FILE", "SSL_CERT_FILE"):
        assert not is_restic_backend_variable(name), name
    files = replace(files_for(), restic_backend=SecretEnvironment({"AWS_ACCESS_KEY_ID": "id-from-dotenv"}))
    env = restic.restic_environment(files)
    assert env["AWS_ACCESS_KEY_ID"] == "id-from-dotenv"
    assert env["RESTIC_PASSWORD_FILE"] == str(files.restic_password_file)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "in-the-process-environment")
    assert "AWS_SECRET_ACCESS_KEY" not in process.child_environment()
    assert process.child_environment(env)["AWS_ACCESS_KEY_ID"] == "id-from-dotenv"


# restic 0.17+ prints its errors as JSON with --json: read as restic 0.14's text.
# (Words as restic 0.18.0 printed them; the tests below run both binaries.)
NO_REPOSITORY_018 = ('{"message_type":"exit_error","code":10,"message":"Fatal: repository does not exist: unable to '
                     'open config file: stat /r/config: no such file or directory\\nIs there a repository at the '
                     'following location?\\n/r"}\n')
WRONG_PASSWORD_018 = '{"message_type":"exit_error","code":12,"message":"Fatal: wrong password or no key found"}\n'
LOCKED_018 = ('{"message_type":"exit_error","code":11,"message":"Fatal: unable to create lock in backend: repository '
              'is already locked by PID 7 on h by root (UID 0, GID 0)\\nlock was created at 2026-12-06 21:00:00 (1m '
              'ago)\\nstorage ID 1a2b3c4d\\nthe `unlock` command can be used to remove stale locks"}\n')
UNREADABLE_018 = ('{"message_type":"error","error":{"message":"open /c/A/x.bin: permission denied"},'
                  '"during":"archival","item":"/c/A/x.bin"}\n')


def failed(argv, stderr, returncode=1):
    from orgbackup.tools import process

    return restic_output.readable(process.Completed(argv=argv, returncode=returncode, stdout="", stderr=stderr))


def test_restics_json_errors_read_as_its_text():
    no_repository = failed(("restic", "snapshots", "--json"), NO_REPOSITORY_018, 10)
    assert restic_output.explain(no_repository) == "restic snapshots: the repository does not exist (/r)"
    assert restic_output.is_missing_repository(no_repository)
    wrong = failed(("restic", "snapshots", "--json"), WRONG_PASSWORD_018, 12)
    assert restic_output.explain(wrong) == "restic snapshots: the password is wrong (Fatal: wrong password or no key found)"
    assert restic_output.is_wrong_password(wrong)
    locked = failed(("restic", "forget", "--json"), LOCKED_018, 11)
    assert restic_output.is_locked(locked)
    assert restic_output.explain(locked) == ("restic forget: the repository is locked by another process (Fatal: unable "
                                      "to create lock in backend: repository is already locked by PID 7 on h by "
                                      "root (UID 0, GID 0))")
    # The other messages are dropped, a per-file error kept as restic 0.14 words it; text stays text.
    mixed = '{"message_type":"status","percent_done":0.5}\n' + UNREADABLE_018 + "plain words\n"
    assert restic_output.unfold_json_messages(mixed) == "error: open /c/A/x.bin: permission denied\nplain words\n"
    assert restic_output.unfold_json_messages("{not json\n") == "{not json\n"
    assert restic_output.unfold_json_messages("") == ""


def test_restic_018_retrying_to_open_an_unreachable_repository_is_given_up():
    """restic 0.17+ retries a backend it cannot reach for 15 minutes, opening included: the
    product ends it after OPEN_RETRIES such lines and names the cause."""
    line = ('Stat(<config/>) returned error, retrying after 853.016129ms: Head "http://:***@127.0.0.1:1/config": '
            "dial tcp 127.0.0.1:1: connect: connection refused\n")
    assert not restic_output.gives_up_opening(line * (restic_output.OPEN_RETRIES - 1))
    assert restic_output.gives_up_opening(line * restic_output.OPEN_RETRIES)
    # A retry in the middle of the work (a pack upload) is restic's to wait out.
    assert not restic_output.gives_up_opening("Save(<data/1234>) returned error, retrying after 1s: EOF\n" * 9)
    ended = failed(("restic", "snapshots", "--json"), line * 3 + (
        '{"message_type":"exit_error","code":1,"message":"Fatal: unable to open config file: context canceled\\n'
        'Is there a repository at the following location?\\nrest:http://127.0.0.1:1/"}\n'), 130)
    assert restic_output.explain(ended) == (
        'restic snapshots: the repository cannot be reached, its REST server did not answer: Head '
        '"http://:***@127.0.0.1:1/config": dial tcp 127.0.0.1:1: connect: connection refused')
    assert not restic_output.is_missing_repository(ended)
    other = failed(("restic", "cat", "config"), line.replace("dial tcp 127.0.0.1:1: connect: connection refused",
                                                             "x509: certificate signed by unknown authority") * 3, 130)
    assert restic_output.explain(other) == ('restic cat: the repository could not be opened: Head "http://:***@127.0.0.1:1/'
                                     'config": x509: certificate signed by unknown authority')


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    from orgbackup.tools import process

    process.reset_stop()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "none.env").write_text("# empty\n")
    return {"RESTIC_REPOSITORY": str(tmp_path / "repo"), "RESTIC_PASSWORD": "right-" + os.urandom(6).hex(),
            "BACKUP_ENV_FILE": str(tmp_path / "none.env")}


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "message_type" not in err and "{" not in err and "Traceback" not in err, err
    return lines[0].split(" ERROR   ", 1)[1]


def test_restic_failures_are_one_readable_line_with_each_restic(restic_binary, cli_env, tmp_path, capsys):
    """The same line whether restic is 0.14 (text) or 0.18 (JSON errors, exit codes 10 and 12)."""
    import time

    from orgbackup.cli import main
    from tests.helpers_backends import free_port

    repository = cli_env["RESTIC_REPOSITORY"]
    for command in (["snapshots"], ["status"], ["verify"], ["restore", "--target", str(tmp_path / "t")]):
        assert main(command, environ=cli_env) == 1, command
        assert one_error_line(capsys) == f"restic snapshots: the repository does not exist ({repository})", command

    subprocess.run(["restic", "init"], env=dict(os.environ, **cli_env), check=True, capture_output=True)
    for command in (["snapshots"], ["status"], ["verify"]):
        assert main(command, environ=dict(cli_env, RESTIC_PASSWORD="not-the-password")) == 1
        assert one_error_line(capsys) == "restic snapshots: the password is wrong (Fatal: wrong password or no key found)"

    # A REST server that is not there: 0.14 gives up at once, 0.18 would retry for 15 minutes.
    port = free_port()
    started = time.monotonic()
    assert main(["snapshots"], environ=dict(cli_env, RESTIC_REPOSITORY=f"rest:http://127.0.0.1:{port}/")) == 1
    line = one_error_line(capsys)
    assert line.startswith("restic snapshots: the repository cannot be reached, its REST server did not answer: ")
    assert line.endswith(f"dial tcp 127.0.0.1:{port}: connect: connection refused"), line
    assert time.monotonic() - started < 30
