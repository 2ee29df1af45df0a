"""A whole run heals a damaged cache: a truncated pack in a clone and in a wiki, and every git
folder of the next snapshot passes `git fsck --full` (real git, git-lfs, github-backup 0.40.0
and restic against the GitHub emulator)."""

from __future__ import annotations

from pathlib import Path

from tests.support.run_context import ORG, fsck_full, truncate_largest_pack
from tests.support.cli import restore, run_backup


def test_a_whole_run_heals_a_truncated_pack_and_every_git_folder_in_the_snapshot_passes_fsck(
        github_emulator, backup_env, tmp_path, capsys):
    env = backup_env
    status, summary, _ = run_backup(env, capsys)
    assert status == 0, summary
    cache = Path(env["BACKUP_CACHE_DIR"]) / ORG / "github-backup" / "repositories"
    truncate_largest_pack(cache / "godot" / "repository")
    truncate_largest_pack(cache / "docs" / "wiki")

    status, summary, _ = run_backup(env, capsys)
    assert status == 0, summary
    restored = restore(env, summary["orgs"][0]["snapshot_id"], tmp_path / "restore")
    git_dirs = [p for p in restored.rglob("*") if p.is_dir() and (p / "objects").is_dir() and (p / "HEAD").is_file()]
    assert len(git_dirs) > 10
    for git_dir in git_dirs:
        checked = fsck_full(git_dir)
        assert checked.returncode == 0, (git_dir, checked.stderr)
    assert not list(restored.rglob("*.new")) and not list(restored.rglob("*.old"))
