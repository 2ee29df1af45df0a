"""Settings as fresh as the API budget allows, end to end through the CLI: Actions variables
changed during the day (GitHub bumps no `updated_at` for them) are in the next night's snapshot;
with a small hourly budget the oldest-read settings are read first, the rest keep their previous
copies, the summary names the oldest, and over a few nights all converge."""

from __future__ import annotations

import json
from pathlib import Path

from tests.github_emulator.mutate import change_variable
from tests.github_emulator.store import load_world
from tests.github_emulator.truth import truth
from tests.support.cli import ORG, restore, run_backup
from tests.support.truth_compare_metadata import metadata_differences

# The next night (here, seconds later): everything read before this run counts as stale.
NEXT_NIGHT = {"BACKUP_FRESH_HOURS": "0"}


def variables_in(folder: Path) -> dict[str, str]:
    listed = json.loads((folder / "actions-variables.json").read_text())["variables"]
    return {v["name"]: v.get("value") for v in listed}


def updated_ats(root: Path) -> dict:
    """The organization's and each repository's `updated_at` in the emulator's world."""
    org = load_world(root)["orgs"][ORG]
    return {"": org.get("updated_at"), **{name: r.get("updated_at") for name, r in org["repos"].items()}}


def night(env: dict, capsys, target: Path) -> tuple[dict, dict, Path, str]:
    """One backup; (its summary's organization, the snapshot's manifest, the restored
    organization, what the run printed)."""
    status, summary, _ = run_backup(env, capsys)
    printed = capsys.readouterr().out
    assert status == 0, summary
    org = summary["orgs"][0]
    restored = restore(env, org["snapshot_id"], target)
    return org, json.loads((restored / "manifest.json").read_text()), restored, printed


def settings_read(manifest: dict) -> dict[str, str]:
    """Repository -> when its settings were last read from GitHub."""
    return {name: record["metadata_read"]["settings"] for name, record in manifest["repositories"].items()
            if "settings" in record.get("metadata_read", {})}


def test_variables_changed_during_the_day_are_in_the_next_nights_snapshot(github_emulator, backup_env, tmp_path,
                                                                          capsys):
    root = github_emulator.root
    _, _, first, _ = night(backup_env, capsys, tmp_path / "restore-1")
    assert variables_in(first / "organization")["DEPLOY_ENV"] == "production"
    assert variables_in(first / "settings" / "godot")["BUILD_FLAGS"] == "-O2"

    # During the day: an organization variable and a repository variable; no updated_at moves.
    before = updated_ats(root)
    assert change_variable(root, ORG, "DEPLOY_ENV", "staging") == "production"
    assert change_variable(root, ORG, "BUILD_FLAGS", "-O3", repo="godot") == "-O2"
    assert updated_ats(root) == before

    # A re-run within the night (BACKUP_FRESH_HOURS, 12 by default) reads nothing again.
    github_emulator.reset_counters()
    _, manifest, rerun, _ = night(backup_env, capsys, tmp_path / "restore-rerun")
    assert variables_in(rerun / "settings" / "godot")["BUILD_FLAGS"] == "-O2"
    assert manifest["metadata"]["settings"]["refreshed"] == 0
    rerun_requests = github_emulator.counters()["api"]

    # The next night: both new values are in the snapshot, and every setting was read tonight.
    github_emulator.reset_counters()
    org, manifest, second, printed = night(dict(backup_env, **NEXT_NIGHT), capsys, tmp_path / "restore-2")
    next_night_requests = github_emulator.counters()["api"]
    assert variables_in(second / "organization")["DEPLOY_ENV"] == "staging"
    assert variables_in(second / "settings" / "godot")["BUILD_FLAGS"] == "-O3"
    assert metadata_differences(second, truth(root)["orgs"][ORG], github_emulator.base_url) == []
    read = settings_read(manifest)
    assert len(read) == org["repositories"] and set(read.values()) == {manifest["started"]}
    assert org["oldest_read"]["settings"]["read"] == manifest["started"]
    assert "oldest settings" in printed and "read in the last hour" in printed
    repos = org["repositories"]
    print(f"{repos} repositories: a re-run within the night {rerun_requests} API requests "
          f"({rerun_requests / repos:.2f} per repository); the next night, everything read again: "
          f"{next_night_requests} ({next_night_requests / repos:.2f} per repository)")


def test_a_small_budget_reads_the_oldest_first_and_the_nights_converge(github_emulator, backup_env, tmp_path,
                                                                       capsys):
    root = github_emulator.root
    env = dict(backup_env, **NEXT_NIGHT)
    _, manifest, _, _ = night(env, capsys, tmp_path / "restore-1")
    first_read = settings_read(manifest)
    change_variable(root, ORG, "BUILD_FLAGS", "-O3", repo="godot")
    expected = truth(root)["orgs"][ORG]

    # Each night: an hour of 400 requests of which about 170 are left when the night starts:
    # half of what is left after the reserve (50) holds the settings of a few repositories.
    limit, left = 400, 170
    github_emulator.set_faults(rate_limit=limit)
    reads = [first_read]
    for number in range(2, 8):
        github_emulator.new_rate_window()
        for _ in range(limit - left):
            github_emulator.rate("emulator-admin", spend=True)
        org, manifest, restored, printed = night(env, capsys, tmp_path / f"restore-{number}")
        read = settings_read(manifest)
        before = reads[-1]
        refreshed = {name for name in read if read[name] != before[name]}
        kept = set(read) - refreshed
        # Read again: the oldest-read, never one younger than one kept as it was.
        assert refreshed, f"night {number} read no settings"
        assert max(before[name] for name in refreshed) <= min((before[name] for name in kept), default="~")
        # Kept: the previous copy is in the snapshot, and the manifest says when it was read.
        for name in kept:
            assert (restored / "settings" / name / "repository.json").is_file()
        if kept:
            oldest = min((read[name], name) for name in kept)
            assert org["oldest_read"]["settings"]["repository"] == f"{ORG}/{oldest[1]}"
            assert f"{ORG}/{oldest[1]}, read in the last hour" in printed
        assert github_emulator.rate("emulator-admin", spend=False)["remaining"] > 0
        reads.append(read)
        if all(read[name] > first_read[name] for name in read):
            break
    nights = len(reads)  # the first night and the nights after it
    assert 3 <= nights <= 6, f"{nights} nights"  # the budget did bound a night, and the nights converged
    assert variables_in(restored / "settings" / "godot")["BUILD_FLAGS"] == "-O3"
    assert metadata_differences(restored, expected, github_emulator.base_url) == []
    print(f"settings read per night with {left} of {limit} requests left: "
          + ", ".join(str(sum(1 for n in r if r[n] != p[n])) for p, r in zip(reads, reads[1:])))
