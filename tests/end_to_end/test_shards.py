"""Sharded runs (BACKUP_SHARD=i/N): three shards of the default world backed up AT THE SAME TIME
(three `entrypoint.py backup` processes, each with its own cache) into ONE restic REST repository
(`rclone serve restic` on loopback); the restored set is the tree a single-process backup
restores; status, snapshots and verify see the set as one backup, and a missing shard is named
(the parts: tests/unit/snapshots/test_shards.py, test_shard_sets.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orgbackup.cli import main
from tests.github_emulator.truth import truth
from tests.support.backends import RCLONE, RestServer, restic_call
from tests.support.cli import ORG
from tests.support.truth_compare import compare_org, git_refs
from tests.support.paths import ROOT


# The real thing: three shards at once into one REST repository


def tree_files(org_dir: Path) -> set[str]:
    """Every file of a restored organization outside git's own folders (packs and
    indexes differ between two clones of the same refs), manifest aside."""
    out = set()
    for path in org_dir.rglob("*"):
        rel = path.relative_to(org_dir)
        parts = rel.parts
        if ".git" in parts or any(p.endswith(".git") for p in parts[:-1]) or parts == ("manifest.json",):
            continue
        if path.is_file():
            out.add(rel.as_posix())
    return out


def json_of(path: Path):
    return json.loads(path.read_text())


@pytest.mark.skipif(RCLONE is None, reason="rclone is not installed (apt-get install rclone)")
def test_three_shards_at_once_restore_as_one_backup(github_emulator, backup_env, tmp_path, capsys):
    server = RestServer(tmp_path)
    server.start()
    try:
        run_the_shards(github_emulator, backup_env, tmp_path, capsys, server)
    finally:
        server.stop()


def run_the_shards(github_emulator, backup_env, tmp_path, capsys, server):
    repository_file = tmp_path / "restic-repository"
    repository_file.write_text(server.repository + "\n")
    env = dict(backup_env, RESTIC_REPOSITORY_FILE=str(repository_file))
    del env["RESTIC_REPOSITORY"]
    restic_env = dict(os.environ, RESTIC_REPOSITORY=server.repository, RESTIC_PASSWORD=env["RESTIC_PASSWORD"])

    # Three processes at once, each its own cache; the repository does not exist yet.
    procs = []
    for index in range(3):
        shard_env = dict(os.environ, **env)
        shard_env.update(BACKUP_SHARD=f"{index}/3", BACKUP_CACHE_DIR=str(tmp_path / f"cache-{index}"))
        procs.append(subprocess.Popen([sys.executable, str(ROOT / "entrypoint.py"), "backup"], env=shard_env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=900)
        results.append((proc.returncode, out, err))
    for index, (code, out, err) in enumerate(results):
        assert code == 0, f"shard {index}/3: exit {code}\n{out}\n{err[-5000:]}"
        (tmp_path / f"shard-{index}.log").write_text(err)

    listed = json.loads(restic_call(restic_env, "snapshots", "--json", "--no-lock").stdout)
    assert sorted(tag for s in listed for tag in s["tags"] if tag.startswith("shard:")) == \
        ["shard:0/3", "shard:1/3", "shard:2/3"]
    assert all("complete" in s["tags"] and f"org:{ORG}" in s["tags"] for s in listed)

    # Each shard's manifest names its shard and holds the repositories id % 3 assigns it.
    expected = truth(github_emulator.root)
    ids = {name: repo["id"] for name, repo in github_emulator_listing(github_emulator).items()}
    assert set(ids) == set(expected["orgs"][ORG]["repos"])
    for index in range(3):
        cache_org = tmp_path / f"cache-{index}" / ORG
        manifest = json_of(cache_org / "manifest.json")
        mine = sorted(n for n, i in ids.items() if i % 3 == index)
        assert manifest["shard"] == {"index": index, "count": 3, "repositories": mine, "organization": index == 0}
        assert sorted(manifest["repositories"]) == mine
        # Organization-level data is shard 0's alone.
        assert (cache_org / "organization").is_dir() == (index == 0)
        assert (cache_org / "projects").is_dir() == (index == 0)
    assert all(any(i % 3 == k for i in ids.values()) for k in range(3)), "a shard without repositories"

    # A single-process backup of the same world (its own cache and repository).
    single_env = dict(backup_env, BACKUP_CACHE_DIR=str(tmp_path / "cache-single"),
                      RESTIC_REPOSITORY=str(tmp_path / "single-repo"))
    assert main(["backup"], environ=single_env) == 0, capsys.readouterr().err[-3000:]
    capsys.readouterr()
    assert main(["restore", "--target", str(tmp_path / "single")], environ=single_env) == 0
    single = tmp_path / "single" / ORG

    # The set restores as one tree: equal to truth and to the single-process restore.
    assert main(["restore", "--target", str(tmp_path / "set"), "--org", ORG.lower()], environ=env) == 0
    out = capsys.readouterr().out
    assert "from the set of 3 shards" in out, out
    restored = tmp_path / "set" / ORG
    assert compare_org(ORG, expected, restored) == []
    assert compare_org(ORG, expected, single) == []
    assert sorted(p.name for p in (tmp_path / "set").iterdir()) == [ORG]  # no staging left behind
    assert tree_files(restored) == tree_files(single)
    for rel in sorted(tree_files(single)):
        if rel.endswith(".json") and not rel.startswith("attachments/"):
            assert json_of(restored / rel) == json_of(single / rel), rel
        elif rel.startswith("attachments/files/"):
            assert (restored / rel).read_bytes() == (single / rel).read_bytes(), rel
    assert set(json_of(restored / "attachments" / "index.json")) == set(json_of(single / "attachments" / "index.json"))
    for name in expected["orgs"][ORG]["repos"]:
        repo = Path("github-backup", "repositories", name, "repository")
        assert git_refs(restored / repo) == git_refs(single / repo), name
    for mirror in (single / "dependencies").glob("*/*/*.git"):
        assert git_refs(restored / mirror.relative_to(single)) == git_refs(mirror), mirror
    manifest, single_manifest = json_of(restored / "manifest.json"), json_of(single / "manifest.json")
    assert manifest["complete"] and [s["shard"] for s in manifest["shards"]] == ["0/3", "1/3", "2/3"]
    assert manifest["repositories"].keys() == single_manifest["repositories"].keys()
    for name, record in single_manifest["repositories"].items():
        assert manifest["repositories"][name]["refs"] == record["refs"], name
    assert manifest["metadata"].keys() == single_manifest["metadata"].keys()
    for part, report in single_manifest["metadata"].items():
        if part != "attachments":  # attachments: the same file found from two shards counts in both
            assert manifest["metadata"][part]["saved"] == report["saved"], part
    assert manifest["dependencies"]["repositories"] == single_manifest["dependencies"]["repositories"]

    # One repository of the set, from the shard that holds it.
    one = sorted(ids)[0]
    assert main(["restore", "--target", str(tmp_path / "one"), "--org", ORG, "--repo", one], environ=env) == 0
    assert (tmp_path / "one" / ORG / "github-backup" / "repositories" / one / "repository").is_dir()
    assert sorted(json_of(tmp_path / "one" / ORG / "manifest.json")["repositories"]) == sorted(ids)

    # restore-to-github reads the whole set: every shard's repositories are planned.
    from tests.github_emulator.mutate import add_org
    add_org(github_emulator.root, "V-Sekai-Restored")
    capsys.readouterr()
    assert main(["restore-to-github", "--org", ORG, "--to-org", "V-Sekai-Restored", "--dry-run"], environ=env) == 0
    plan = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert plan["repositories"] == len(ids) and plan["planned"]["repository"] == len(ids), plan

    # snapshots shows the shard; status sees one fresh backup; verify checks the set.
    capsys.readouterr()
    assert main(["snapshots"], environ=env) == 0
    table = capsys.readouterr().out
    assert "SHARD" in table.splitlines()[0] and all(f" {i}/3 " in table for i in range(3)), table
    assert main(["snapshots", "--json"], environ=env) == 0
    assert sorted(r["shard"] for r in json.loads(capsys.readouterr().out)) == ["0/3", "1/3", "2/3"]
    assert main(["status"], environ=env) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"OK    {ORG.lower()}: complete ") and "(set of 3 shards)" in out, out
    assert main(["verify", "--json"], environ=env) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["verify"] == "passed" and report["organizations"][0]["status"] == "complete set of 3 shards"

    # A second night, the shards one after the other from the SAME cache path (as every pod's
    # /cache): each compares with its own last snapshot, not the newest of that path;
    # retention keeps one a day of each shard, none of another's.
    shared = tmp_path / "cache-now"
    for index in range(3):
        (tmp_path / f"cache-{index}").rename(shared)
        try:
            assert main(["backup"], environ=dict(env, BACKUP_SHARD=f"{index}/3",
                                                 BACKUP_CACHE_DIR=str(shared))) == 0
        finally:
            shared.rename(tmp_path / f"cache-{index}")
    capsys.readouterr()
    second = json.loads(restic_call(restic_env, "snapshots", "--json", "--no-lock").stdout)
    assert len(second) == 3  # BACKUP_KEEP_DAILY: the first night's went, each by its own shard's policy
    first_ids = {next(t for t in s["tags"] if t.startswith("shard:")): s["id"] for s in listed}
    for s in second:
        shard_tag = next(t for t in s["tags"] if t.startswith("shard:"))
        assert s.get("parent") == first_ids[shard_tag], shard_tag
    assert main(["status"], environ=env) == 0
    capsys.readouterr()

    # One shard's snapshot forgotten: the set is incomplete, status names the shard.
    shard1 = next(s["id"] for s in second if "shard:1/3" in s["tags"])
    restic_call(restic_env, "forget", shard1)
    assert main(["status"], environ=env) == 1
    out = capsys.readouterr().out
    assert out.startswith("STALE") and "shard 1/3 missing from the night of" in out, out
    assert main(["status", "--json"], environ=env) == 1
    row = json.loads(capsys.readouterr().out)["orgs"][0]
    assert row["missing_shards"] == ["1/3"] and not row["ok"]
    assert main(["verify"], environ=env) == 1
    assert "shard 1/3 missing" in capsys.readouterr().out

    # A shard that does not exist: exit 2, one line naming the variable, nothing touched.
    assert main(["backup"], environ=dict(env, BACKUP_SHARD="3/3")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "BACKUP_SHARD" in err[0], err


def github_emulator_listing(emulator) -> dict[str, dict]:
    """The organization's repositories as GitHub lists them (id and name)."""
    from orgbackup.github.api import GitHubAPI

    token = Path(emulator.admin_token_file).read_text().strip()
    api = GitHubAPI(f"https://{emulator.host}/api/v3", token)
    return {repo["name"]: repo for repo in api.org_repositories(ORG)}
