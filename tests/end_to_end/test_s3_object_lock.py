"""Backups a stolen backup host cannot erase, on S3 (issue 31): a bucket with object lock, served
by moto's real S3 server on loopback (tests/support/s3.py), two IAM users made at run time:

- `backup`, the backup's key: list the bucket, get, put and delete objects under the repository
  (restic removes its lock files; on a versioned bucket a delete only adds a delete marker);
  no s3:DeleteObjectVersion, no s3:BypassGovernanceRetention, no s3:ListBucketVersions;
- `prune`: the prune job's key, the same actions;
- `admin`: everything (the bucket owner's key).

The bucket is made with object lock (which turns versioning on) and a default retention of
COMPLIANCE, 7 days. A backup with BACKUP_RETENTION=separate and the backup's key completes
(exit 0) and says that retention is done elsewhere; every object version it wrote is locked.
The thief, with the backup's key, runs `restic forget --prune` over every snapshot: restic
reports success and lists no snapshot, yet S3 only added delete markers. Deleting a version is
refused, to the thief (no s3:DeleteObjectVersion) and to the administrator too (the lock):
every version written before the theft is still there. The administrator removes the theft's
delete markers: the snapshots are back, `restic check` passes and the restore of the latest
snapshot equals the emulator's truth. And the prune job (`entrypoint.py prune`) with a key of its
own, allowed the same actions as the backup's, forgets and prunes: restic's deletes, here too,
are delete markers, every version stays (a lifecycle rule is what deletes them, after its days).
Run with both restics (tests/support/restic_versions.py).

What moto 5.2.5 enforces, and this test relies on: each request against the user's IAM policy
(a DELETE with a versionId is s3:DeleteObjectVersion), a PutObject into a bucket with a default
retention needs Content-MD5 or a checksum header (restic sends Content-MD5: shown by a PutObject
without one being refused), and a locked version cannot be deleted before its retain-until
date (COMPLIANCE: not even with x-amz-bypass-governance-retention). moto does not check
s3:BypassGovernanceRetention (it honours GOVERNANCE's bypass header from whoever sends it), so
the test uses COMPLIANCE. moto names HeadBucket's permission s3:HeadBucket (AWS: s3:ListBucket).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

import pytest

from tests.github_emulator.truth import truth
from tests.support.backends import restic_call, restore_latest, run_cli, run_prune, snapshot_trees
from tests.support.cli import ORG
from tests.support.s3 import ALL_OF_S3, MotoS3, moto_s3
from tests.support.snapshot import seed
from tests.support.truth_compare import compare_org

botocore_exceptions = pytest.importorskip("botocore.exceptions")
Config = pytest.importorskip("botocore.config").Config

BUCKET = "orgbackup"
PREFIX = "repo"
RETENTION_DAYS = 7


def backup_policy(bucket: str, prefix: str) -> dict:
    """The backup's key: add and read, delete only as a delete marker (docs/security.md, section 5)."""
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:HeadBucket"],
         "Resource": f"arn:aws:s3:::{bucket}"},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
         "Resource": f"arn:aws:s3:::{bucket}/{prefix}/*"}]}


@pytest.fixture
def locked_bucket(tmp_path, no_aws_in_process):
    """moto's S3 with the three users and a bucket made with object lock, COMPLIANCE for 7 days."""
    policy = backup_policy(BUCKET, PREFIX)
    with moto_s3(tmp_path, {"backup": policy, "prune": policy, "admin": ALL_OF_S3}) as server:
        admin = server.client("admin")
        admin.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
        admin.put_object_lock_configuration(Bucket=BUCKET, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": RETENTION_DAYS}}})
        assert admin.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
        yield server


def versions(server: MotoS3) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(versions, delete markers) under the repository, as (key, version id), read by the administrator."""
    pages = server.client("admin").get_paginator("list_object_versions").paginate(Bucket=BUCKET, Prefix=PREFIX + "/")
    found, markers = set(), set()
    for page in pages:
        found |= {(v["Key"], v["VersionId"]) for v in page.get("Versions", [])}
        markers |= {(m["Key"], m["VersionId"]) for m in page.get("DeleteMarkers", [])}
    return found, markers


def error_code(call) -> str:
    """The S3 error code a call was refused with ("" if it was not refused)."""
    try:
        call()
    except botocore_exceptions.ClientError as error:
        return error.response["Error"]["Code"]
    return ""


def test_an_object_locked_bucket_keeps_every_version_a_thief_with_the_backups_key_deletes(
        github_emulator, backup_env, locked_bucket, restic_binary, tmp_path, capsys):
    server = locked_bucket
    key = server.keys["backup"]
    repository = f"s3:{server.endpoint}/{BUCKET}/{PREFIX}"
    (tmp_path / "backup.env").write_text(key.dotenv())
    env = dict(backup_env, RESTIC_REPOSITORY=repository, BACKUP_ENV_FILE=str(tmp_path / "backup.env"),
               BACKUP_RETENTION="separate")
    for night in (1, 2):  # the second night reads what the first wrote, and adds its snapshot
        status, out, err = run_cli(env, capsys)
        print(f"backup night {night}: exit {status}")
        assert status == 0, out + err
        org = json.loads(out.strip().splitlines()[-1])["orgs"][0]
        assert org["status"] == "complete" and org["retention"] == "separate" and org["forgotten"] == 0, org
        assert "retention is done elsewhere (BACKUP_RETENTION=separate)" in err
        assert "done elsewhere (BACKUP_RETENTION=separate: the prune job forgets and prunes)" in out
        assert key.secret not in out + err

    # Every version the backup wrote is locked, COMPLIANCE, for the bucket's 7 days. The bucket
    # demands Content-MD5 or a checksum for that: a PutObject without either is refused.
    admin = server.client("admin")
    written, lock_markers = versions(server)
    soon = datetime.now(timezone.utc) + timedelta(days=RETENTION_DAYS - 1)
    for name, version in written:
        head = admin.head_object(Bucket=BUCKET, Key=name, VersionId=version)
        assert head["ObjectLockMode"] == "COMPLIANCE" and head["ObjectLockRetainUntilDate"] > soon, (name, head)
    assert {name.split("/")[1] for name, _ in written} >= {"config", "keys", "data", "index", "snapshots"}
    no_checksum = server.client("admin", Config(request_checksum_calculation="when_required"))
    assert error_code(lambda: no_checksum.put_object(Bucket=BUCKET, Key=f"{PREFIX}/probe", Body=b"x")) \
        == "MissingUploadObjectWithObjectLockHeaders"

    # The thief, with the backup's own key, forgets and prunes every snapshot. restic says
    # done and sees nothing left: S3 only hid the objects behind delete markers.
    thief = dict(os.environ, RESTIC_REPOSITORY=repository, RESTIC_PASSWORD=env["RESTIC_PASSWORD"], **key.environ())
    before = snapshot_trees(thief)
    assert len(before) == 2
    attack = restic_call(thief, "forget", "--prune", *before, check=False)
    print(f"thief's restic forget --prune of {len(before)} snapshot(s): exit {attempt_line(attack)}")
    assert attack.returncode == 0 and snapshot_trees(thief) == {}, attack.stderr
    # Deleting the versions themselves: refused to the thief's key (no s3:DeleteObjectVersion)
    # and, the lock, to the administrator's, with or without the governance bypass.
    thief_s3 = server.client("backup")
    assert error_code(lambda: thief_s3.list_object_versions(Bucket=BUCKET)) == "AccessDenied"
    for name, version in sorted(written):
        for client in (thief_s3, admin):
            for bypass in ({}, {"BypassGovernanceRetention": True}):
                assert error_code(lambda: client.delete_object(Bucket=BUCKET, Key=name, VersionId=version,
                                                               **bypass)) == "AccessDenied", name
    after, markers = versions(server)
    hidden = {(name, version) for name, version in markers - lock_markers if not is_lock(name)}
    print(f"object versions: {len(written)} before the theft, {len(after)} after; delete markers: "
          f"{len(lock_markers)} before (restic's removed locks), {len(markers)} after, "
          f"{len(hidden)} of them over the repository's files")
    assert written <= after  # and what the thief's restic wrote: its locks (0.14's prune: an empty index)
    # Every snapshot, index and pack file hidden (the config and the keys restic leaves).
    assert {name for name, _ in hidden} >= {name for name, _ in written
                                            if name.split("/")[1] in ("snapshots", "index", "data")}

    # The administrator removes those delete markers (a marker has no retention; the locks
    # stay deleted): the repository is back, checks, and restores equal to truth.
    for name, version in sorted(hidden):
        admin.delete_object(Bucket=BUCKET, Key=name, VersionId=version)
    assert snapshot_trees(thief) == before
    restic_call(thief, "check")
    restored = restore_latest(thief, tmp_path / "restored", ORG)
    assert compare_org(ORG, truth(github_emulator.root), restored) == []
    print(f"after removing {len(hidden)} delete markers: {len(snapshot_trees(thief))} snapshot(s), "
          "restic check passed, the restore equals truth")


def test_the_prune_job_with_a_key_of_the_same_actions_forgets_and_prunes_and_every_version_stays(
        locked_bucket, restic_binary, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")  # restic backup --time is local time
    server = locked_bucket
    repository = f"s3:{server.endpoint}/{BUCKET}/{PREFIX}"
    password = "test-" + os.urandom(8).hex()
    backup_host = dict(os.environ, RESTIC_REPOSITORY=repository, RESTIC_PASSWORD=password,
                       **server.keys["backup"].environ())
    restic_call(backup_host, "init")
    now = datetime.now(timezone.utc)
    work = tmp_path / "work"
    kept = {seed(work, backup_host, ORG, now - timedelta(hours=1)),
            seed(work, backup_host, ORG, now - timedelta(hours=2))}  # the 30-day floor keeps it
    forgotten = seed(work, backup_host, ORG, now - timedelta(days=45))
    written, _ = versions(server)

    (tmp_path / "prune.env").write_text(server.keys["prune"].dotenv())
    status, out, err = run_prune({
        "RESTIC_REPOSITORY": repository, "RESTIC_PASSWORD": password, "BACKUP_ENV_FILE": str(tmp_path / "prune.env"),
        "BACKUP_CACHE_DIR": str(tmp_path / "cache"), "BACKUP_KEEP_DAILY": "1", "BACKUP_KEEP_WEEKLY": "0",
        "BACKUP_KEEP_MONTHLY": "0", "BACKUP_KEEP_YEARLY": "0"}, capsys)
    assert status == 0, out + err
    summary = json.loads(out.strip().splitlines()[-1])
    assert {r["org"]: (r["forgotten"], r["kept"]) for r in summary["orgs"]} == {ORG: (1, 2)}, summary
    listed = {s["short_id"] for s in json.loads(restic_call(backup_host, "snapshots", "--json", "--no-lock").stdout)}
    assert listed == kept and forgotten not in listed
    restic_call(backup_host, "check")

    # restic's deletes were delete markers: every version is still there (the bucket's
    # lifecycle rule, after its days, is what deletes them); the forgotten snapshot's file
    # and its pack files are hidden.
    after, markers = versions(server)
    hidden = {name.split("/")[1] for name, _ in markers if not is_lock(name)}
    print(f"prune: {len(written)} versions before, {len(after)} after, {len(markers)} delete markers "
          f"({sorted(hidden)} besides locks)")
    assert written <= after and {"snapshots", "data"} <= hidden


def is_lock(name: str) -> bool:
    return name.startswith(f"{PREFIX}/locks/")


def attempt_line(result) -> str:
    """restic's exit code and its last line of output."""
    last = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:] or [""]
    return f"{result.returncode} ({last[0]})"
