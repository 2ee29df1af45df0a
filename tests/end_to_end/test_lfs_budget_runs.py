"""The Git LFS bandwidth budget over whole backup runs against the emulator (real github-backup,
git, git-lfs, restic): the bytes the emulator served as LFS are never more than the month's
budget, nights converge month by month, and the last snapshot restores equal to the truth
(the planner itself: tests/unit/backup/planning/test_lfs_budget.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.github_emulator.mutate import push_files
from tests.github_emulator.builder import LFS_ATTRIBUTES
from tests.github_emulator.truth import truth
from tests.support.cli import ORG, restore, run_backup
from tests.support.snapshot import install_lfs_filters
from tests.support.truth_compare import compare_org

BUDGET = 80_000  # bytes a month; the organization's LFS data is 170,000 (below)


def add_lfs_objects(root: Path) -> int:
    """private-tools gets three LFS objects beside assets-lfs's four; returns the LFS data's bytes."""
    push_files(root, ORG, "private-tools", {".gitattributes": LFS_ATTRIBUTES},
                      lfs_files={"art/a.bin": b"a" * 5000 + b"1", "art/b.bin": b"b" * 25000 + b"2",
                                 "art/c.bin": b"c" * 40000 + b"3"}, message="Add art")
    return sum(f.stat().st_size for f in (root / "lfs" / ORG).rglob("*") if f.is_file())


def lfs_night(github_emulator, env, capsys) -> tuple[int, dict, int]:
    github_emulator.reset_counters()
    status, summary, _ = run_backup(env, capsys)
    return status, summary["orgs"][0], github_emulator.bytes_served()["lfs"]


def next_month(env: dict, months: int) -> None:
    """The month's reset, as the state store sees it: this month's count becomes an earlier month's."""
    db = sqlite3.connect(Path(env["BACKUP_CACHE_DIR"]) / ".state" / "state.sqlite3")
    with db:
        db.execute("UPDATE lfs_usage SET month = ? WHERE month NOT LIKE '2000-%'", (f"2000-{months:02d}",))
    db.close()


def test_without_a_budget_a_first_night_downloads_everything_and_counts_it(github_emulator, backup_env, capsys):
    """Before: no limit, every LFS byte on the first night; the month's count says how many."""
    install_lfs_filters()
    data = add_lfs_objects(github_emulator.root)
    status, org, served = lfs_night(github_emulator, backup_env, capsys)
    print(f"no budget: first night served {served} LFS bytes of {data}")
    assert status == 0, org["problem_list"]
    assert served >= data
    assert org["lfs"]["limit"] is None and org["lfs"]["used"] == data, org["lfs"]


def test_a_budget_smaller_than_the_lfs_data_is_never_exceeded_and_converges(github_emulator, backup_env, tmp_path,
                                                                              capsys):
    install_lfs_filters()
    data = add_lfs_objects(github_emulator.root)
    assert data > 2 * BUDGET
    env = dict(backup_env, BACKUP_LFS_MONTHLY_BYTES=str(BUDGET))
    status, org, served = lfs_night(github_emulator, env, capsys)
    print(f"budget {BUDGET}: first night served {served} LFS bytes of {data}")
    assert served <= BUDGET
    assert status == 3 and org["status"] == "incomplete", org["problem_list"]
    deferred = [p for p in org["problem_list"] if "deferred by the LFS budget" in p]
    assert deferred and all("the budget resets " in p for p in deferred), org["problem_list"]
    assert any(p.startswith(f"{ORG}/assets-lfs [lfs]: ") for p in deferred), deferred
    assert org["lfs"]["limit"] == BUDGET and org["lfs"]["used"] == served, org["lfs"]
    assert org["lfs"]["deferred_bytes"] == data - served

    # the same month: what is left of its budget, no more
    status, org, again = lfs_night(github_emulator, env, capsys)
    assert served + again <= BUDGET and status == 3
    month_total, months, nights = served + again, 1, 2
    while status == 3:
        assert months < 6, "the LFS nights do not converge"
        next_month(env, months)
        status, org, served = lfs_night(github_emulator, env, capsys)
        month_total, months, nights = served, months + 1, nights + 1
        print(f"month {months}: served {served} LFS bytes; {org['lfs']}")
        assert month_total <= BUDGET
    assert status == 0, org["problem_list"]
    print(f"converged after {nights} nights over {months} months")
    restored = restore(env, org["snapshot_id"], tmp_path / "restored")
    assert compare_org(ORG, truth(github_emulator.root), restored) == []
    # the checkouts hold the LFS files, not the pointers the deferred nights left there
    for name in ("assets-lfs", "private-tools"):
        for tree in (restored / "github-backup" / "repositories" / name / "repository", restored / "gitim" / ORG / name):
            files = [f for f in tree.rglob("*.bin") if ".git" not in f.parts]
            assert files and not [f for f in files if f.read_bytes().startswith(b"version https://git-lfs")], tree
