"""The one place that runs programs: failures, timeouts and masking of secrets."""

import pytest

from orgbackup import commands
from orgbackup.errors import CommandFailed


def test_failure_names_program_and_last_line():
    with pytest.raises(CommandFailed, match=r"sh exited with 3: last words"):
        commands.run(("sh", "-c", "echo first >&2; echo last words >&2; exit 3"))


def test_check_false_returns_result():
    result = commands.run(("sh", "-c", "echo out; exit 4"), check=False)
    assert (result.returncode, result.stdout) == (4, "out\n")


def test_registered_secret_is_masked_in_output_and_errors():
    commands.register_secret("s3cr3t-value-xyz")
    result = commands.run(("sh", "-c", "echo s3cr3t-value-xyz"), check=False)
    assert result.stdout == "***\n"
    with pytest.raises(CommandFailed) as err:
        commands.run(("sh", "-c", "echo token s3cr3t-value-xyz >&2; exit 1"))
    assert "s3cr3t-value-xyz" not in str(err.value)


def test_timeout_ends_the_program():
    with pytest.raises(CommandFailed, match="did not finish within 1 s"):
        commands.run(("sleep", "30"), timeout=1)


def test_missing_program():
    with pytest.raises(CommandFailed, match="is not installed"):
        commands.run(("no-such-program-here",))


def test_secret_variables_not_inherited(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "inherited-token-value")
    result = commands.run(("sh", "-c", 'echo "[$GITHUB_TOKEN]"'))
    assert result.stdout == "[]\n"


def test_a_repository_path_is_no_secret_and_stays_readable(tmp_path):
    """Regression: RESTIC_REPOSITORY=/repository once masked every '.../repository' path git printed."""
    from orgbackup.config import Secret
    from orgbackup.secret_files import register_secrets, repository_credentials

    class Config:
        token = Secret("tok-" + "a" * 30)
        restic_password = Secret("a-long-restic-password")
        restic_repository = Secret("/repository")
        restic_backend = {"AWS_DEFAULT_REGION": "eu-central-1"}

    register_secrets(Config)
    out = commands.run(("echo", "/cache/V-Sekai/github-backup/repositories/x/repository/.git")).stdout
    assert out.strip().endswith("/repository/.git")
    assert repository_credentials("rest:https://user:pw-secret@host:8000/") == ["pw-secret"]
    assert repository_credentials("sftp:user@host:/srv/restic") == []


def test_askpass_answers_user_name_and_token(tmp_path, monkeypatch, capsys):
    from orgbackup import askpass

    token_file = tmp_path / "token"
    token_file.write_text("the-token-value\n")
    monkeypatch.setenv("ORGBACKUP_TOKEN_FILE", str(token_file))
    assert askpass.main(["Username for 'https://example': "]) == 0
    assert askpass.main(["Password for 'https://x-access-token@example': "]) == 0
    assert capsys.readouterr().out == "x-access-token\nthe-token-value\n"


def test_remote_urls_read_from_the_config_file_match_git(tmp_path):
    """The shortcut that spares a git process per repository must agree with git itself."""
    import subprocess

    from orgbackup import git

    repo = tmp_path / "r"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "remote", "add", "origin", "https://h/o/r.git"], check=True)
    subprocess.run(["git", "-C", str(repo), "remote", "add", "up", "https://u:p@h/o/up.git"], check=True)
    assert git.configured_remote_urls(repo / ".git") == {"origin": "https://h/o/r.git", "up": "https://u:p@h/o/up.git"}
    listed = subprocess.run(["git", "-C", str(repo), "config", "--get-regexp", r"^remote\..*\.url$"],
                            capture_output=True, text=True, check=True).stdout
    assert git.configured_remote_urls(repo / ".git") == git.parse_remote_urls(listed)
    # What it cannot read simply, it leaves to git.
    with open(repo / ".git" / "config", "a") as f:
        f.write('[include]\n\tpath = other\n')
    assert git.configured_remote_urls(repo / ".git") is None
