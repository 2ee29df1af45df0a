"""restic's argument builders and the reading of its output (orgbackup/tools/restic.py), pure: 0.14's
text and 0.18's JSON errors read alike (the real restic: tests/integration/tools/test_restic.py)."""

from __future__ import annotations

import dataclasses

import pytest

from orgbackup.config.secret_files import SecretFiles
from orgbackup.config.settings import Retention
from orgbackup.errors import ConfigError
from orgbackup.snapshots.shards import Shard
from orgbackup.times import parse_rfc3339
from orgbackup.tools import process, restic, restic_output


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


def test_forget_with_the_prune_jobs_floor():
    argv = restic.forget(Retention(1, 2, 3, 4), host="h", org="A", keep_within="30d")
    assert argv[-2:] == ("--keep-within", "30d")
    assert "--keep-within" not in restic.forget(Retention(1, 2, 3, 4), host="h", org="A")


def test_parse_backup_summary_ignores_unknown_messages():
    out = '{"message_type":"status","percent_done":0.5}\n{"message_type":"summary","snapshot_id":"abc","data_added":12,"new_field":1}\n'
    assert restic_output.parse_backup_summary(out)["snapshot_id"] == "abc"


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


def test_retention_keeps_each_shard_by_itself():
    from orgbackup.config.settings import Retention

    argv = restic.forget(Retention(), host="h", org="A", shard=Shard(1, 3))
    assert argv[argv.index("--tag") + 1] == "org:A,complete,shard:1/3"
    assert restic.forget(Retention(), host="h", org="A")[argv.index("--tag") + 1] == "org:A,complete"


def test_a_shard_compares_with_its_own_last_snapshot():
    """restic would take the newest snapshot of the same host and path as the parent: in
    Kubernetes every shard's cache is /cache, so that would be another shard's."""
    argv = restic.backup(["A"], host="h", tags=["org:A"], parent="abc123")
    assert argv[:6] == ("restic", "backup", "--json", "--host", "h", "--parent") and argv[6] == "abc123"
    assert "--parent" not in restic.backup(["A"], host="h", tags=["org:A"])


def _failed(argv, stderr, returncode=1):
    return process.Completed(argv=argv, returncode=returncode, stdout="", stderr=stderr)


def test_an_unreachable_s3_endpoint_is_named_not_a_missing_repository():
    """restic 0.14's words for an S3 endpoint that refuses connections (seen with moto
    behind a stopped relay, tests/test_restic_s3.py)."""
    result = _failed(("restic", "backup", "--json"), (
        'Fatal: unable to open config file: Stat: Get "http://127.0.0.1:40123/orgbackup/?location=": '
        "dial tcp 127.0.0.1:40123: connect: connection refused\n"
        "Is there a repository at the following location?\n"
        "s3:http://127.0.0.1:40123/orgbackup/repo\n"))
    assert restic_output.explain(result) == (
        "restic backup: the repository cannot be reached, its S3 server did not answer: unable to open config "
        'file: Stat: Get "http://127.0.0.1:40123/orgbackup/?location=": dial tcp 127.0.0.1:40123: connect: '
        "connection refused")
    assert not restic_output.is_missing_repository(result)


def test_the_unreachable_line_names_the_backend_only_when_restic_printed_its_location():
    rest = _failed(("restic", "snapshots"), (
        'Fatal: unable to open config file: Head "http://127.0.0.1:1/config": dial tcp 127.0.0.1:1: '
        "connect: connection refused\nIs there a repository at the following location?\n"
        "rest:http://user:***@127.0.0.1:1/\n"))
    assert restic_output.explain(rest).startswith("restic snapshots: the repository cannot be reached, its REST server "
                                           "did not answer: unable to open config file")
    mid_upload = _failed(("restic", "backup"), "Save(<data/1234>) returned error: connection reset by peer\n")
    assert restic_output.explain(mid_upload) == ("restic backup: the repository cannot be reached, its server did not "
                                          "answer: Save(<data/1234>) returned error: connection reset by peer")
    local = _failed(("restic", "snapshots"), "Fatal: unable to open config file: stat /r/config: no such file or "
                    "directory\nIs there a repository at the following location?\n/r\n", returncode=10)
    assert restic_output.explain(local).startswith("restic snapshots: the repository does not exist")


def second_copy_files(tmp_path):
    """The run's secret files with a second copy (what write_secret_files makes), not written."""
    return SecretFiles(directory=tmp_path, token_file=tmp_path / "github_token",
                       restic_password_file=tmp_path / "restic_password",
                       restic_repository_file=tmp_path / "restic_repository",
                       credential_helper=tmp_path / "helper",
                       restic_copy_repository_file=tmp_path / "restic_copy_repository",
                       restic_copy_password_file=tmp_path / "restic_copy_password")


def test_copy_reads_the_source_from_files_and_runs_against_the_copy(tmp_path):
    files = second_copy_files(tmp_path)
    argv = restic.copy(files, ["1a2b3c4d"])
    assert argv == ("restic", "copy", "--from-repository-file", str(tmp_path / "restic_repository"),
                    "--from-password-file", str(tmp_path / "restic_password"), "1a2b3c4d")
    # The command runs with the copy as restic's own repository; the first is only --from-.
    env = restic.restic_environment(files.copy_side())
    assert env["RESTIC_REPOSITORY_FILE"] == str(tmp_path / "restic_copy_repository")
    assert env["RESTIC_PASSWORD_FILE"] == str(tmp_path / "restic_copy_password")
    assert restic.with_retry_lock(argv, (0, 18))[:4] == ("restic", "copy", "--retry-lock", "300s")


def test_a_new_copy_repository_takes_the_first_ones_chunker_parameters(tmp_path):
    assert restic.init_copy(second_copy_files(tmp_path)) == (
        "restic", "init", "--copy-chunker-params", "--from-repository-file", str(tmp_path / "restic_repository"),
        "--from-password-file", str(tmp_path / "restic_password"))


def test_without_a_copy_there_is_no_copy_side(tmp_path):
    files = dataclasses.replace(second_copy_files(tmp_path), restic_copy_repository_file=None,
                                restic_copy_password_file=None)
    assert not files.has_copy and files.of_repository("main") is files
    with pytest.raises(ConfigError, match="no second copy is configured"):
        files.of_repository("copy")
