"""restic: the argument builders, and the real restic for opening, creating and refusing."""

import pytest

from orgbackup import restic
from orgbackup.config import Retention, Secret
from orgbackup.errors import PreflightError
from orgbackup.secret_files import SecretFiles, remove_secret_files, write_secret_files
from orgbackup.stages.snapshot import exclude_pattern, snapshot_tags


class FakeConfig:
    """Only what write_secret_files reads."""

    def __init__(self, repository, password):
        self.token = Secret("unused-token")
        self.restic_repository = Secret(repository)
        self.restic_password = Secret(password)


@pytest.fixture
def files_for(tmp_path):
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
    argv = restic.forget(Retention(1, 2, 3, 4), host="h", tag="org:A")
    assert argv[:3] == ("restic", "forget", "--json")
    assert ("--group-by", "host") == argv[argv.index("--group-by"):argv.index("--group-by") + 2]
    assert argv[-8:] == ("--keep-daily", "1", "--keep-weekly", "2", "--keep-monthly", "3", "--keep-yearly", "4")


def test_tags_and_exclude_pattern():
    assert snapshot_tags("A", False, {"orgbackup": "0.1.0", "gitim": "2.1.0"}) == (
        "org:A", "incomplete", "orgbackup:0.1.0", "gitim:2.1.0",
    )
    assert exclude_pattern("/c/a[1]*.txt") == "/c/a\\[1\\]\\*.txt"


def test_parse_backup_summary_ignores_unknown_messages():
    out = '{"message_type":"status","percent_done":0.5}\n{"message_type":"summary","snapshot_id":"abc","data_added":12,"new_field":1}\n'
    assert restic.parse_backup_summary(out)["snapshot_id"] == "abc"


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
    assert restic.with_retry_lock(argv, (0, 18, 0)) == ("restic", "backup", "--retry-lock", "5m", "--json", "x")
    assert restic.with_retry_lock(("restic", "snapshots"), (0, 18, 0)) == ("restic", "snapshots")
    assert restic.parse_version("restic 0.14.0 compiled with go1.19.8 on linux/amd64") == (0, 14, 0)


def test_forgotten_snapshots_are_read_from_forget_json():
    out = '[{"tags":["org:A"],"host":"h","keep":[{"id":"k1"}],"remove":[{"id":"r1"},{"id":"r2"}]},{"keep":[],"remove":null}]\n'
    assert restic.forgotten_snapshots(out) == ["r1", "r2"]
    assert restic.forgotten_snapshots("[]\n") == []


def test_prune_is_due_by_age():
    from datetime import datetime, timedelta, timezone

    from orgbackup.stages.snapshot import prune_due

    now = datetime(2026, 11, 25, tzinfo=timezone.utc)
    assert not prune_due(None, now, 7)  # the first run starts the interval
    assert prune_due(None, now, 0)
    assert not prune_due((now - timedelta(days=2)).isoformat(), now, 7)
    assert prune_due((now - timedelta(days=7)).isoformat(), now, 7)
    assert prune_due((now - timedelta(hours=1)).isoformat(), now, 0)
