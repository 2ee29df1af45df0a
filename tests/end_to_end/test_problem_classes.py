"""A problem GitHub itself can never fix (a submodule commit force-pushed away upstream) is
reported once, then recorded in every manifest without keeping the runs incomplete."""

from __future__ import annotations

import json
import subprocess

from tests.github_emulator import force_push_away
from tests.support.cli import restore, run_backup, snapshots


def test_an_upstream_problem_is_reported_once_then_known(github_emulator, backup_env, tmp_path, capsys):
    # Retention as tight as it gets, so that a run that kept it off would show at once.
    env = dict(backup_env, BACKUP_KEEP_DAILY="1", BACKUP_KEEP_WEEKLY="0", BACKUP_KEEP_MONTHLY="0",
               BACKUP_KEEP_YEARLY="0", BACKUP_KEEP_INCOMPLETE_DAYS="0")
    status, summary, _ = run_backup(env, capsys)
    assert status == 0, summary
    lost = force_push_away(github_emulator.root, "upstream-deps", "libfoo", "main")

    # It first appears: the run is incomplete and says why.
    status, summary, _ = run_backup(env, capsys)
    out = summary["orgs"][0]
    assert status == 3 and out["status"] == "incomplete"
    assert any("no longer upstream" in p and lost["old"] in p for p in out["problem_list"]), out["problem_list"]

    # From then on it is known: complete, and the manifest still names the gap.
    status, summary, _ = run_backup(env, capsys)
    out = summary["orgs"][0]
    assert status == 0 and out["status"] == "complete", out
    assert out["known_upstream_problems"] == 1 and out["problem_list"] == []
    restored = restore(env, out["snapshot_id"], tmp_path / "restore")
    manifest = json.loads((restored / "manifest.json").read_text())
    assert manifest["complete"] is True and manifest["problems"] == []
    [known] = manifest["known_upstream_problems"]
    assert known["kind"] == "upstream" and lost["old"] in known["message"]
    newest = [s for s in snapshots(env) if s["short_id"] == out["snapshot_id"] or s["id"].startswith(out["snapshot_id"])]
    assert "complete" in newest[0]["tags"]
    # Retention ran: only this night's complete snapshot is left, and it stays bounded.
    assert [s["tags"] for s in snapshots(env)] == [newest[0]["tags"]]
    status, summary, _ = run_backup(env, capsys)
    assert status == 0 and len(snapshots(env)) == 1
    # The copy of the lost commit is still in the backup.
    mirror = next((restored / "dependencies").rglob("libfoo.git"))
    assert subprocess.run(["git", "-C", str(mirror), "cat-file", "-e", lost["old"]]).returncode == 0
