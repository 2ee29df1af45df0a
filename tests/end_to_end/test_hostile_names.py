"""Names from GitHub that would lead out of the cache (issue 25, finding 5), end to end.

The emulator serves a release of `shared-lib` whose asset names are `../` paths, an absolute path,
`a/b.bin`, `..` and a name with a NUL, and releases whose tags are `..` and `.`.  A real backup
(github-backup 0.40.0 through the runner, the stage's asset check) must write nothing outside the
cache nor outside the release's folder, keep every asset under a safe name with GitHub's name in
the release JSON, and name each hostile name in the summary.  The snapshot, restored with restic,
holds the files where the rule says and passes verify's checks; restore-to-github uploads every
asset under its original name (which the emulator then changes as GitHub does).

Then names GitHub never allows, which are refused: a repository named `../../../escaped-repo` (in
the organization's listing and in gitim's own) and an issue numbered `../../../../../../escaped-issue`."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
import requests

from orgbackup.cli import main
from orgbackup.snapshots.restored_checks import check_restored_org
from orgbackup.cache.safe_names import ORIGINAL_NAME_KEY, release_folder, stored_name
from tests.github_emulator.rest_writes import github_asset_name  # GitHub's renaming of an upload
from tests.github_emulator.mutate import add_issue, add_org, add_release, create_repo
from tests.support.cli import ORG, restore, run_backup, snapshots

REPO = "shared-lib"
TAG = "v-hostile"
TARGET = "V-Sekai-Restored"
# What the run and the emulator write below the test's folder besides the cache.
OWN_FOLDERS = {"cache", "restic-repo", "github-world", "home"}
# A repository's folder as github-backup fills it (README: the snapshot layout).
REPOSITORY_FOLDERS = {"repository", "wiki", "issues", "pulls", "milestones", "labels", "hooks", "releases"}


def hostile_assets(tmp_path: Path) -> dict[str, bytes]:
    names = [
        "../../escaped.bin",                        # releases/<TAG>/../../: the repository's folder
        "../../../../../../../escaped-far.bin",     # up to the test's folder, out of the cache
        str(tmp_path / "abs.bin"),                  # an absolute path
        "a/b.bin", "..", "nul\x00.bin",
        "plain.bin",                                # the one name that is fine as it is
    ]
    return {name: f"the bytes of {name!r}\n".encode() * 64 for name in names}


def files_beside_the_cache(tmp_path: Path) -> set[str]:
    found = set()
    for root, dirs, names in os.walk(tmp_path):
        if Path(root) == tmp_path:
            dirs[:] = [d for d in dirs if d not in OWN_FOLDERS]
        found.update(os.path.relpath(os.path.join(root, n), tmp_path) for n in names + dirs)
    return found


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def releases_by_tag(repository_dir: Path) -> dict[str, dict]:
    return {json.loads(path.read_text())["tag_name"]: json.loads(path.read_text())
            for path in (repository_dir / "releases").glob("*.json")}


def assert_stored_by_the_rule(repository_dir: Path, tag: str, expected: dict[str, bytes]) -> None:
    """Each asset under the rule's folder and name, GitHub's name in the JSON where it was changed."""
    release = releases_by_tag(repository_dir)[tag]
    assert (repository_dir / "releases" / f"{release_folder(tag)}.json").is_file()
    by_original = {a.get(ORIGINAL_NAME_KEY, a["name"]): a for a in release["assets"]}
    assert set(by_original) == set(expected)
    for original, data in expected.items():
        asset = by_original[original]
        assert asset["name"] == stored_name(original)
        assert (ORIGINAL_NAME_KEY in asset) == (stored_name(original) != original)
        path = repository_dir / "releases" / release_folder(tag) / asset["name"]
        assert sha256(path.read_bytes()) == sha256(data), original


def target_assets(emulator, tag: str) -> dict[str, str]:
    """{name: sha256} of the target release's assets, downloaded."""
    headers = {"Authorization": f"token {emulator.admin_token}"}
    base = f"{emulator.api_url}/repos/{TARGET}/{REPO}"
    listed = requests.get(f"{base}/releases", headers=headers, timeout=30).json()
    release = next(r for r in listed if r["tag_name"] == tag)
    found = {}
    for asset in release["assets"]:
        data = requests.get(asset["url"], headers={**headers, "Accept": "application/octet-stream"}, timeout=30)
        found[asset["name"]] = sha256(data.content)
    return found


def test_hostile_names_stay_in_the_cache_and_come_back_under_their_names(
        backup_env, github_emulator, world_root, tmp_path, capsys):
    assets = hostile_assets(tmp_path)
    tag_assets = {"..": {"in-dotdot-tag.bin": b"dot dot\n" * 50}, ".": {"in-dot-tag.bin": b"dot\n" * 50}}
    add_release(world_root, ORG, REPO, TAG, assets)
    for tag, files in tag_assets.items():
        add_release(world_root, ORG, REPO, tag, files)
    beside = files_beside_the_cache(tmp_path)

    status, summary, _ = run_backup(backup_env, capsys)

    # Nothing beside the cache, nothing in the repository's folder but github-backup's folders.
    assert files_beside_the_cache(tmp_path) == beside
    cache_repo = Path(backup_env["BACKUP_CACHE_DIR"]) / ORG / "github-backup" / "repositories" / REPO
    assert {p.name for p in cache_repo.iterdir()} <= REPOSITORY_FOLDERS
    for path in (cache_repo / "releases").iterdir():
        assert path.suffix == ".json" or all(f.is_file() for f in path.iterdir()), path
    # Every hostile name is named, with its repository; the run is incomplete, not failed.
    problems = [p for p in summary["orgs"][0]["problem_list"] if p.startswith(f"{ORG}/{REPO} ")]
    for name in [n for n in assets if n != "plain.bin"] + list(tag_assets):
        assert any(repr(name) in p for p in problems), (name, problems)
    assert not any("plain.bin" in p for p in problems)
    assert status == 3, summary["orgs"][0]["problem_list"]

    # The snapshot: every asset where the rule says, GitHub's name beside it; verify's checks pass.
    snapshot = [s for s in snapshots(backup_env) if f"org:{ORG}" in s["tags"]][-1]
    restored = restore(backup_env, snapshot["id"], tmp_path / "restored")
    repository_dir = restored / "github-backup" / "repositories" / REPO
    assert_stored_by_the_rule(repository_dir, TAG, assets)
    for tag, files in tag_assets.items():
        assert_stored_by_the_rule(repository_dir, tag, files)
    manifest = json.loads((restored / "manifest.json").read_text())
    assert any(p["repo"] == REPO and repr("../../escaped.bin") in p["message"] for p in manifest["problems"])
    results, _ = check_restored_org(tmp_path / "restored", ORG)
    assert [r for r in results if not r.ok] == []
    assert any(r.repo == REPO and r.check == "release assets" for r in results)

    # An unchanged night: the same names again, nothing downloaded again.
    github_emulator.reset_counters()
    status, summary, _ = run_backup(backup_env, capsys)
    assert status == 3 and github_emulator.counters()["assets"] == 0
    assert files_beside_the_cache(tmp_path) == beside | {"restored"} | {
        os.path.relpath(p, tmp_path) for p in (tmp_path / "restored").rglob("*")}

    # restore-to-github: each asset uploaded under GitHub's name for it; the tags git refuses are named.
    add_org(world_root, TARGET)
    env = dict(backup_env, RESTORE_REQUESTS_PER_MINUTE="100000", RESTORE_REQUESTS_PER_HOUR="1000000")
    status = main(["restore-to-github", "--org", ORG, "--to-org", TARGET, "--repo", REPO,
                   "--snapshot", snapshot["id"]], environ=env)
    out = capsys.readouterr().out
    print(out)
    report = json.loads(out.strip().splitlines()[-1])
    assert status == 3, report
    assert sorted(p for p in report["problems"] if "release" in p) == [
        f"{REPO}: release . not created: HTTP 422: Validation Failed: Release.tag_name invalid",
        f"{REPO}: release .. not created: HTTP 422: Validation Failed: Release.tag_name invalid",
    ], report["problems"]
    assert target_assets(github_emulator, TAG) == {github_asset_name(n): sha256(d) for n, d in assets.items()}


HOSTILE_REPOSITORY = "../../../escaped-repo"    # repositories/../../../ is the cache; settings/../../../ beside it
HOSTILE_NUMBER = "../../../../../../escaped-issue"  # issues/ and six levels up: beside the cache


@pytest.mark.contract_exempt("the emulator answers hostile names and numbers GitHub never would, on purpose")
def test_a_repository_name_and_an_issue_number_that_lead_out_are_refused(
        backup_env, github_emulator, world_root, tmp_path, capsys):
    create_repo(world_root, ORG, HOSTILE_REPOSITORY)
    add_issue(world_root, ORG, REPO, "A number that is a path", number=HOSTILE_NUMBER)
    beside = files_beside_the_cache(tmp_path)  # with the emulator's own bare repository of that name

    status, summary, _ = run_backup(backup_env, capsys)

    cache = Path(backup_env["BACKUP_CACHE_DIR"])
    assert files_beside_the_cache(tmp_path) == beside
    assert [str(p) for p in cache.rglob("escaped*")] == []
    problems = summary["orgs"][0]["problem_list"]
    assert any(p.startswith(f"{ORG} [names]") and repr(HOSTILE_REPOSITORY) in p for p in problems), problems
    assert any(p.startswith(f"{ORG}/{REPO} [names]") and repr(HOSTILE_NUMBER) in p for p in problems), problems
    assert status == 3, problems
    # gitim lists the repositories itself: its runner leaves the name out before gitim makes a folder of it.
    gitim_log = (cache / ".state" / ORG / "gitim.log").read_text()
    assert "escaped-repo" in gitim_log and f'Cloning "{ORG}/{HOSTILE_REPOSITORY}"' not in gitim_log
