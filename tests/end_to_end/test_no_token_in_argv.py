"""No program of two whole runs (github-backup, gitim, git, git-lfs, restic, the dependency
mirrors), a first one and one after a day of activity, holds the token in its arguments, and
neither the cache nor the restored snapshot holds it in any file (docs/security.md)."""

from __future__ import annotations

import json

from tests.support.process_watch import CmdlineSampler
from tests.support.truth_compare import files_holding


def test_no_token_in_any_argv_during_whole_backup_runs(github_emulator, backup_env, tmp_path, capsys):
    """Every program of two whole runs (github-backup, gitim, git, git-lfs, restic, the
    dependency mirrors), a first one and one after a day of activity: no argv holds the token,
    and neither the cache nor the restored snapshot holds it in any file."""
    from orgbackup.cli import main
    from tests.github_emulator.mutate import mutate
    from tests.support.cli import restore

    env = backup_env
    token = github_emulator.admin_token_file.read_text().strip()
    sampler = CmdlineSampler(token)
    sampler.start()
    try:
        first = main(["backup"], environ=env)
        mutate(github_emulator.root)
        second = main(["backup"], environ=env)
    finally:
        sampler.stop.set()
        sampler.join()
    out = capsys.readouterr().out
    assert (first, second) == (0, 0), out[-3000:]
    assert sampler.samples > 50
    assert sampler.hits == [], f"{len(sampler.hits)} processes held the token: {sorted(set(sampler.hits))}"
    assert files_holding(tmp_path / "cache", token.encode()) == []
    snapshot_id = json.loads(out.strip().splitlines()[-1])["orgs"][0]["snapshot_id"]
    assert files_holding(restore(env, snapshot_id, tmp_path / "restored"), token.encode()) == []
