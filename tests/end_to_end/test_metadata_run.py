"""The whole organization, end to end through the CLI: discussions, reviews, commit
comments, settings and access, the organization, projects and attachments are in the
snapshot, checked by restoring it and comparing with the emulator's truth; a reader
token skips what it may not read, with reasons; an unchanged night costs few requests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orgbackup.cli import main
from orgbackup.snapshots.restored_checks import check_restored_org
from tests.github_emulator import start
from tests.github_emulator.mutate import add_rulesets, add_variables, mutate
from tests.github_emulator.scenario import build_world
from tests.github_emulator.truth import truth
from tests.support.cli import ORG, restore, run_backup
from tests.support.truth_compare_metadata import metadata_differences

METADATA = ("discussions", "reviews", "commit-comments", "settings", "organization", "projects", "attachments")
GITHUB_BACKUP_ONLY = "issues,pulls,milestones,labels,releases,assets,wikis"


def restored_org(env: dict, summary: dict, target: Path) -> Path:
    return restore(env, summary["orgs"][0]["snapshot_id"], target)


def test_every_part_backed_up_restored_and_current_after_a_day(github_emulator, backup_env, tmp_path, capsys):
    env = backup_env
    status, summary, _ = run_backup(env, capsys)
    assert status == 0, summary
    first = restored_org(env, summary, tmp_path / "restore-1")
    expected = truth(github_emulator.root)["orgs"][ORG]
    assert metadata_differences(first, expected, github_emulator.base_url) == []

    manifest = json.loads((first / "manifest.json").read_text())
    saved = {part: manifest["metadata"][part]["saved"] for part in METADATA}
    godot = expected["repos"]["godot"]
    assert saved["discussions"]["discussions"] == sum(len(r["discussions"]) for r in expected["repos"].values())
    assert saved["discussions"]["replies"] == sum(len(c["replies"]) for d in godot["discussions"].values()
                                                  for c in d["comments"])
    assert saved["reviews"]["reviews"] == sum(len(v) for r in expected["repos"].values()
                                              for v in r["reviews"].values())
    assert saved["projects"]["items"] == sum(len(p["items"]) for p in expected["projects"].values())
    assert saved["attachments"]["attachments"] == len(expected["attachments"])
    assert saved["organization"]["members"] == len(expected["organization"]["members"])
    assert all(not manifest["metadata"][part]["skipped"] for part in METADATA), manifest["metadata"]

    # verify's checks of a restored tree: they pass, and a damaged attachment is found.
    results, _ = check_restored_org(first.parent, ORG)
    assert [r for r in results if not r.ok] == []
    stored = next((first / "attachments" / "files").rglob("*/*"))
    stored.write_bytes(stored.read_bytes() + b"!")
    failed = [r for r in check_restored_org(first.parent, ORG)[0] if not r.ok]
    assert [r.check for r in failed] == ["attachments"] and stored.name[:12] in failed[0].message

    # restore --repo brings a repository's metadata folders with it.
    assert main(["restore", "--target", str(tmp_path / "one"), "--org", ORG, "--repo", "godot"], environ=env) == 0
    one = tmp_path / "one" / ORG
    assert sorted(p.name for p in (one / "discussions" / "godot").iterdir()) == sorted(
        f"{n}.json" for n in godot["discussions"])
    assert (one / "settings" / "godot" / "collaborators.json").is_file()
    assert not (one / "settings" / "docs").exists()

    # A day on GitHub: a new discussion and reply, review, commit comment with an attachment,
    # collaborator, description, team member, project item, organization variable.
    mutate(github_emulator.root)
    status, summary, _ = run_backup(env, capsys)
    assert status == 0, summary
    second = restored_org(env, summary, tmp_path / "restore-2")
    after = truth(github_emulator.root)["orgs"][ORG]
    assert after != expected
    manifest = json.loads((second / "manifest.json").read_text())
    # Only what GitHub said changed was fetched again: most repositories' settings are carried over.
    settings = manifest["metadata"]["settings"]
    assert settings["unchanged"] > 0 and settings["refreshed"] < len(after["repos"])
    assert manifest["metadata"]["attachments"]["saved"]["attachments"] == len(after["attachments"])
    # What GitHub flags as changed is current; access changes (a collaborator, a team member, an
    # organization variable) bump no date on GitHub and wait for their night of the rotation.
    lagging = metadata_differences(second, after, github_emulator.base_url)
    assert lagging and all("settings collaborators" in d or "organization" in d for d in lagging), lagging

    # Their night comes (here: BACKUP_FULL_REFRESH_DAYS=0, every night): everything is current.
    status, summary, _ = run_backup(dict(env, BACKUP_FULL_REFRESH_DAYS="0"), capsys)
    assert status == 0, summary
    third = restored_org(env, summary, tmp_path / "restore-3")
    assert metadata_differences(third, after, github_emulator.base_url) == []


def test_a_reader_token_skips_what_it_may_not_read_and_says_why(github_emulator, backup_env, tmp_path, capsys):
    env = dict(backup_env, GITHUB_TOKEN_FILE=str(github_emulator.reader_token_file))
    status, summary, _ = run_backup(env, capsys)
    table = capsys.readouterr().out  # run_backup printed what the run printed
    assert status == 0, summary  # skipped for want of permission is not incomplete, as hooks
    repos = summary["orgs"][0]["repositories"]
    assert (f"skipped, needs more access than the token has (HTTP 403): actions-secrets ({repos} repositories)"
            in table), table
    assert "skipped, the token may not read it (INSUFFICIENT_SCOPES)" in table
    skipped = summary["orgs"][0]["skipped"]
    assert any("deploy-keys" in reason for reason in skipped["settings"]), skipped
    assert any("hooks" in reason for reason in skipped["organization"]), skipped
    assert any("INSUFFICIENT_SCOPES" in reason for reason in skipped["projects"]), skipped
    first = restored_org(env, summary, tmp_path / "restore")
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["complete"] is True
    assert manifest["metadata"]["settings"]["skipped"]
    expected = truth(github_emulator.root)["orgs"][ORG]
    # What a reader may read is all there.
    assert metadata_differences(first, expected, github_emulator.base_url,
                                parts=("discussions", "reviews", "commit-comments", "attachments")) == []
    assert not (first / "projects").exists() or not any((first / "projects").iterdir())


@pytest.fixture
def large_world(tmp_path):
    """The default world with 50 more small repositories (the benchmark's large size is 60)."""
    return build_world(tmp_path / "large-world", extra_repos=50, megabytes=0.2)


def test_an_unchanged_night_costs_at_most_a_tenth_of_a_request_per_repository_more(
        large_world, backup_env, hermetic_git_env, tmp_path, capsys, monkeypatch, request):
    from tests.contract.check import assert_contract

    with start(large_world) as emulator:
        for key, value in emulator.env().items():
            monkeypatch.setenv(key, value)
        env = dict(backup_env, GITHUB_HOST=emulator.host, GITHUB_TOKEN_FILE=str(emulator.admin_token_file))
        status, summary, _ = run_backup(env, capsys)
        assert status == 0, summary
        repos = summary["orgs"][0]["repositories"]
        assert repos >= 60

        emulator.reset_counters()
        status, summary, _ = run_backup(env, capsys)
        assert status == 0, summary
        with_metadata = emulator.counters()["api"]

        emulator.reset_counters()
        status, summary, _ = run_backup(dict(env, BACKUP_PARTS=GITHUB_BACKUP_ONLY), capsys)
        assert status == 0, summary
        without = emulator.counters()["api"]
    extra = with_metadata - without
    print(f"unchanged night, {repos} repositories: {without} requests without the metadata parts, "
          f"{with_metadata} with them ({extra / repos:.3f} per repository more)")
    assert extra <= 0.1 * repos
    assert_contract(emulator, request.node)  # started here, not by the github_emulator fixture


def test_variables_and_rulesets_beyond_a_page_are_all_in_the_snapshot(github_emulator, backup_env, tmp_path, capsys):
    """GitHub serves at most 30 Actions variables and 100 rulesets a page (rulesets without a
    Link header): 45 variables of the organization, of a repository and of an environment, and
    120 rulesets of a repository and of the organization, are all backed up and restored."""
    root = github_emulator.root
    add_variables(root, ORG, 45, prefix="ORG_BULK")
    add_variables(root, ORG, 45, repo="godot", prefix="REPO_BULK")
    add_variables(root, ORG, 45, repo="godot", environment="production", prefix="ENV_BULK")
    add_rulesets(root, ORG, 120, repo="game", prefix="Repo bulk")
    add_rulesets(root, ORG, 120, prefix="Org bulk")
    status, summary, _ = run_backup(dict(backup_env, BACKUP_PARTS="settings,organization"), capsys)
    assert status == 0, summary
    restored = restored_org(backup_env, summary, tmp_path / "restore")
    expected = truth(root)["orgs"][ORG]
    assert len(expected["organization"]["variables"]) == 47 and len(expected["organization"]["rulesets"]) == 121
    assert len(expected["repos"]["godot"]["settings"]["environments"]["production"]["variables"]) == 46
    assert len(expected["repos"]["game"]["settings"]["rulesets"]) == 120
    assert metadata_differences(restored, expected, github_emulator.base_url, parts=("settings", "organization")) == []
    organization = json.loads((restored / "organization" / "actions-variables.json").read_text())
    assert len(organization["variables"]) == organization["total_count"] == 47
