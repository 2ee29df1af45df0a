"""A second copy (issue 31): RESTIC_COPY_REPOSITORY(_FILE) and RESTIC_COPY_PASSWORD(_FILE).

- A backup with a copy repository that does not exist yet (a local folder) makes it with
  `restic init --copy-chunker-params` (the same chunker parameters as the first), copies the
  night's snapshot there and says so (table, JSON line); the copy's snapshot, restored from the
  copy repository by restic itself, equals the emulator's truth; `status --repository copy`
  reads the copy (with restic 0.14 and 0.18), and `verify --repository copy` passes (0.18).
- The copy's server (`rclone serve restic` on loopback, its user made at run time) stopped
  when the copy starts: exit 3, the problem names the copy, the first repository's snapshot is
  listed, still tagged `complete`, `restic check` passes and it restores equal to truth; the
  copy's credentials show nowhere. The next night, the server up again, copies that night's
  snapshot and the one the failed night left (exit 0, named in the summary).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from orgbackup.cli import main
from tests.github_emulator.truth import truth
from tests.support.backends import RCLONE, RestServer, restic_call, restore_latest, run_cli, run_stopping_backend
from tests.support.cli import ORG
from tests.support.truth_compare import compare_org

COPY_STAGE = "orgbackup.backup.stages.second_copy"


def secret_file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text + "\n")
    return str(path)


def copy_env_of(tmp_path: Path, backup_env: dict, repository: str) -> tuple[dict, dict]:
    """(the run's environment with a second copy from files, restic's environment for the copy)."""
    password = "copy-" + os.urandom(12).hex()
    env = dict(backup_env,
               RESTIC_COPY_REPOSITORY_FILE=secret_file(tmp_path, "copy-repository", repository),
               RESTIC_COPY_PASSWORD_FILE=secret_file(tmp_path, "copy-password", password))
    return env, dict(os.environ, RESTIC_REPOSITORY=repository, RESTIC_PASSWORD=password)


def first_env(env: dict) -> dict:
    return dict(os.environ, RESTIC_REPOSITORY=env["RESTIC_REPOSITORY"], RESTIC_PASSWORD=env["RESTIC_PASSWORD"])


def org_line(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])["orgs"][0]


def chunker(restic_env: dict) -> int:
    return json.loads(restic_call(restic_env, "cat", "config", "--no-lock").stdout)["chunker_polynomial"]


def test_a_backup_with_a_copy_repository_restores_equal_to_truth_from_the_copy(
        github_emulator, backup_env, tmp_path, capsys, restic_binary):
    env, copy_restic = copy_env_of(tmp_path, backup_env, str(tmp_path / "copy-repo"))
    status, out, err = run_cli(env, capsys)
    assert status == 0, out + err
    org = org_line(out)
    assert org["status"] == "complete" and org["copy"]["state"] == "copied" and org["copy"]["created"], org
    assert org["copy"]["source_id"] == org["snapshot_id"] and org["copy"]["snapshot_id"]
    assert f"snapshot {org['copy']['snapshot_id']}, same tree as {org['snapshot_id']}" in out
    assert copy_restic["RESTIC_PASSWORD"] not in out + err

    # Made with the first repository's chunker parameters: what is copied deduplicates.
    assert chunker(copy_restic) == chunker(first_env(env))
    copied = json.loads(restic_call(copy_restic, "snapshots", "--json", "--no-lock").stdout)
    first = json.loads(restic_call(first_env(env), "snapshots", "--json", "--no-lock").stdout)
    assert [(s["tree"], s["time"], sorted(s["tags"])) for s in copied] == \
        [(s["tree"], s["time"], sorted(s["tags"])) for s in first]
    restored = restore_latest(copy_restic, tmp_path / "restored-copy", ORG)
    assert compare_org(ORG, truth(github_emulator.root), restored) == []
    # The snapshot in it says the copy was planned.
    assert json.loads((restored / "manifest.json").read_text())["copy"]["planned"] is True

    # status and verify read the copy with --repository copy (the drill once: with the image's restic).
    assert main(["status", "--repository", "copy", "--json"], environ=env) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["orgs"][0]["ok"] is True
    if restic_binary >= "0.17":
        assert main(["verify", "--repository", "copy", "--read-data-subset", "100%"], environ=env) == 0
        verified = capsys.readouterr()
        print(verified.out, verified.err)
        assert "verify: passed" in verified.out and copy_restic["RESTIC_PASSWORD"] not in verified.out + verified.err
    # Without a copy configured, --repository copy is a configuration error (exit 2).
    assert main(["status", "--repository", "copy"], environ=backup_env) == 2
    assert "no second copy is configured" in capsys.readouterr().err


@pytest.mark.skipif(RCLONE is None, reason="rclone is not installed (apt-get install rclone)")
def test_a_copy_that_fails_leaves_the_first_snapshot_whole_and_the_next_night_copies_it(
        github_emulator, backup_env, tmp_path, capsys):
    server = RestServer(tmp_path, name="rclone-copy")
    server.start()
    try:
        env, copy_restic = copy_env_of(tmp_path, backup_env, server.repository)
        status, out, err = run_stopping_backend(env, capsys, server.stop, stage=COPY_STAGE,
                                                words=": restic copy of snapshot")
        failed_night = check_the_failed_night(env, copy_restic, server, github_emulator, tmp_path, status, out, err)

        # The next night, the copy's server up again: tonight's snapshot and the one the failed
        # night left go to the copy, each with its tree.
        server.start()
        status, out, err = run_cli(env, capsys)
        assert status == 0, out + err
        night = org_line(out)
        assert night["copy"]["state"] == "copied" and night["copy"]["caught_up"] == [failed_night], night["copy"]
        assert f"also 1 earlier snapshot a failed copy had left: {failed_night}" in out
        # The copy holds both nights (the first repository's keep policy has forgotten the failed
        # night's since: one a day; the copy keeps what it was given until its own prune).
        copied = json.loads(restic_call(copy_restic, "snapshots", "--json", "--no-lock").stdout)
        assert sorted(s["original"][:8] for s in copied) == sorted([failed_night, night["snapshot_id"]])
        restic_call(copy_restic, "check")
    finally:
        server.stop()


def check_the_failed_night(env, copy_restic, server, github_emulator, tmp_path, status, out, err):
    assert status == 3, out + err
    org = org_line(out)
    assert org["status"] == "incomplete" and org["copy"]["state"] == "failed", org
    copy_problems = [p for p in org["problem_list"] if "[copy]" in p]
    assert len(copy_problems) == 1 and len(org["problem_list"]) == 1, org["problem_list"]
    assert "the second copy (RESTIC_COPY_REPOSITORY) failed" in copy_problems[0]
    assert f"snapshot {org['snapshot_id']} is in the first repository only, unchanged" in copy_problems[0]
    assert "FAILED: " in out
    for secret in (server.password, copy_restic["RESTIC_PASSWORD"]):
        assert secret not in out + err

    # The first repository: its snapshot is there, still `complete`, whole and equal to truth.
    first = json.loads(restic_call(first_env(env), "snapshots", "--json", "--no-lock").stdout)
    assert [s["id"][:8] for s in first] == [org["snapshot_id"]] and "complete" in first[0]["tags"]
    restic_call(first_env(env), "check")
    restored = restore_latest(first_env(env), tmp_path / "restored-first", ORG)
    assert compare_org(ORG, truth(github_emulator.root), restored) == []
    return org["snapshot_id"]
