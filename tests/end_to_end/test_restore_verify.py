"""snapshots, restore and verify against real restic and git (no mocks).

The snapshots are made by tests/support/snapshot.py the way the backup run
makes them (docs/architecture.md): one per organization, tree at /<ORG>/.
The module builds one restic repository holding:
  acme       a complete snapshot, then a later incomplete one (with a branch `late`)
  globex     a complete snapshot
  brokengit  a clone that lacks an object (deleted before backing up)
  brokenlfs  an LFS object whose bytes do not match its oid
(the pure parts: tests/unit/snapshots/, tests/unit/actions/test_restore.py)
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
from pathlib import Path

import pytest

from orgbackup.actions import verify
from orgbackup.cli import main
from orgbackup.config.settings import load_config
from orgbackup.actions.restore import includes_for, run_restore
from orgbackup.actions.verify import run_verify
from tests.support import snapshot as hs


@pytest.fixture(scope="module")
def world(restic_binary_for_module, tmp_path_factory):
    """Made and read with each restic (the module's tests run once with each)."""
    base = tmp_path_factory.mktemp("restore-verify")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in hs.hermetic_git_environ(base / "home").items():
            mp.setenv(key, value)
        mp.delenv("GIT_CONFIG_GLOBAL", raising=False)
        mp.setenv("RESTIC_CACHE_DIR", str(base / "restic-cache"))
        mp.setenv("TMPDIR", str(base / "tmp"))
        (base / "tmp").mkdir()
        mp.chdir(base)  # no stray .env is read
        hs.install_lfs_filters()
        repo = hs.init_restic_repo(base / "restic")
        cache = base / "cache"
        acme = hs.make_org_cache(cache, "acme", [hs.RepoSpec("alpha"), hs.RepoSpec("beta", lfs=False, wiki=False)])
        complete_id = hs.take_snapshot(cache, "acme", repo)
        globex = hs.make_org_cache(cache, "globex", [hs.RepoSpec("gamma")], dependency=False)
        hs.take_snapshot(cache, "globex", repo)
        broken_git = hs.make_org_cache(cache, "brokengit", [hs.RepoSpec("delta", lfs=False)], dependency=False)
        missing_oid = hs.remove_loose_object(hs.repository_dir(cache, "brokengit", "delta") / "repository", "dev:dev.txt")
        hs.take_snapshot(cache, "brokengit", repo)
        broken_lfs = hs.make_org_cache(cache, "brokenlfs", [hs.RepoSpec("epsilon")], dependency=False)
        bad_oid = broken_lfs["epsilon"].lfs_oids[0]
        hs.corrupt_lfs_object(hs.repository_dir(cache, "brokenlfs", "epsilon") / "repository", bad_oid)
        hs.take_snapshot(cache, "brokenlfs", repo)
        # A later, incomplete snapshot of acme: restore's default must skip it.
        alpha_clone = hs.repository_dir(cache, "acme", "alpha") / "repository"
        hs.git("branch", "late", "main", cwd=alpha_clone)
        hs.write_manifest(cache, "acme", complete=False)
        incomplete_id = hs.take_snapshot(cache, "acme", repo, complete=False)
        yield {
            "base": base, "repo": repo, "cache": cache, "made": {"acme": acme, "globex": globex},
            "complete_id": complete_id, "incomplete_id": incomplete_id,
            "missing_oid": missing_oid, "bad_oid": bad_oid, "broken_git": broken_git,
        }


@pytest.fixture
def env(world, monkeypatch):
    """The module's hermetic environment for one test, and the config's environ."""
    for key, value in hs.hermetic_git_environ(world["base"] / "home").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("RESTIC_CACHE_DIR", str(world["base"] / "restic-cache"))
    monkeypatch.setenv("TMPDIR", str(world["base"] / "tmp"))
    monkeypatch.chdir(world["base"])
    return world["repo"].config_environ(BACKUP_CACHE_DIR=str(world["cache"]))


def run_cli(args, environ, capsys):
    status, out, _ = run_cli_logged(args, environ, capsys, None)
    return status, out


def run_cli_logged(args, environ, capsys, caplog):
    """(status, stdout, log text): main() may log to stderr or to pytest's handler."""
    capsys.readouterr()
    if caplog is not None:
        caplog.clear()
    with caplog.at_level(logging.INFO) if caplog is not None else contextlib.nullcontext():
        status = main(args, environ=environ)
    captured = capsys.readouterr()
    return status, captured.out, captured.err + (caplog.text if caplog is not None else "")


def branches(repo: Path) -> set[str]:
    return set(hs.git("for-each-ref", "--format=%(refname)", "refs/heads", cwd=repo).split())


# snapshots


def test_snapshots_table_and_json(world, env, capsys):
    status, out = run_cli(["snapshots"], env, capsys)
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "DATE", "(UTC)", "ORGANIZATION", "STATUS", "SIZE"]
    row = next(l for l in lines if l.startswith(world["complete_id"][:8]))
    assert row.split()[3:5] == ["acme", "complete"] and "KiB" in row
    row = next(l for l in lines if l.startswith(world["incomplete_id"][:8]))
    assert row.split()[3:5] == ["acme", "incomplete"]
    assert lines[-1] == "5 snapshots"

    status, out = run_cli(["snapshots", "--json", "--org", "acme"], env, capsys)
    rows = json.loads(out)
    # (restic 0.14's backup summary gives the short id, 0.17+ the whole one)
    assert [r["id"][:8] for r in rows] == [world["complete_id"][:8], world["incomplete_id"][:8]]
    assert [r["status"] for r in rows] == ["complete", "incomplete"]
    assert all(r["org"] == "acme" and r["size"] > 150_000 and r["time"].endswith("Z") for r in rows)
    # sizes restic did not record (before 0.17) are kept, so the next listing asks for none
    cached = json.loads((world["cache"] / ".state" / "snapshot-sizes.json").read_text())
    assert cached.get(rows[0]["id"], rows[0]["size"]) == rows[0]["size"]


# restore


def test_restore_one_repository_then_clone_it(world, env, capsys, tmp_path):
    target = tmp_path / "restored"
    status, out = run_cli(["restore", "--target", str(target), "--org", "acme", "--repo", "alpha"], env, capsys)
    assert status == 0, out
    org = target / "acme"
    assert sorted(p.name for p in target.iterdir()) == ["acme"]  # no staging left behind
    assert sorted(p.name for p in (org / "github-backup" / "repositories").iterdir()) == ["alpha"]
    assert (org / "gitim" / "acme" / "alpha" / ".git").is_dir()
    assert json.loads((org / "manifest.json").read_text())["complete"] is True  # the complete snapshot
    folder = org / "github-backup" / "repositories" / "alpha"
    assert {p.name for p in folder.iterdir()} >= {"repository", "wiki", "issues", "pulls", "releases"}
    assert "clone it: git clone" in out

    made = world["made"]["acme"]["alpha"]
    restored = folder / "repository"
    assert hs.read_refs(restored) == made.refs  # latest COMPLETE: no branch `late`
    clone = tmp_path / "clone"
    hs.git("clone", "--quiet", restored, clone)
    remote_branches = set(hs.git("branch", "-r", "--format=%(refname:short)", cwd=clone).split())
    assert remote_branches >= {"origin/main", "origin/dev", "origin/feature/x"}
    assert (clone / "model.bin").read_bytes() == made.lfs_contents["model.bin"]  # smudged from the restore
    hs.git("checkout", "--quiet", "dev", cwd=clone)
    assert (clone / "dev.bin").read_bytes() == made.lfs_contents["dev.bin"]
    hs.git("lfs", "fsck", cwd=restored)

    # docs/restore.md: push it back to an empty "GitHub" repository
    github = tmp_path / "github" / "alpha.git"
    hs.git("init", "--quiet", "--bare", github)
    hs.git("remote", "add", "restored", github.as_uri(), cwd=restored)
    hs.git("lfs", "push", "--all", "restored", cwd=restored)
    hs.git("push", "--quiet", "--mirror", "restored", cwd=restored)
    assert hs.read_refs(github) == made.refs
    assert sorted(p.name for p in (github / "lfs" / "objects").glob("*/*/*")) == made.lfs_oids


def test_restore_everything_latest_complete_of_each_org(world, env, tmp_path):
    target = tmp_path / "all"
    config = load_config(env, need_github=False)
    assert run_restore(config, target=str(target), snapshot="latest", org=None, repo=None, overwrite=False).status == 0
    assert sorted(p.name for p in target.iterdir()) == ["acme", "brokengit", "brokenlfs", "globex"]
    for org in ("acme", "globex"):
        for name, made in world["made"][org].items():
            folder = target / org / "github-backup" / "repositories" / name
            assert hs.read_refs(folder / "repository") == made.refs, (org, name)
            if made.wiki_refs:
                assert hs.read_refs(folder / "wiki") == made.wiki_refs
            for oid in made.lfs_oids:
                assert (folder / "repository" / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4] / oid).is_file()
    assert (target / "acme" / "dependencies" / "github.com" / "someone-else" / "lib.git" / "HEAD").is_file()


def test_restore_refuses_a_folder_with_files(world, env, capsys, caplog, tmp_path):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    args = ["restore", "--target", str(target), "--org", "globex", "--repo", "gamma"]
    status, _, logged = run_cli_logged(args, env, capsys, caplog)
    assert status == 1
    assert "is not empty" in logged and "--overwrite" in logged
    assert [p.name for p in target.iterdir()] == ["keep.txt"] and (target / "keep.txt").read_text() == "mine"

    status, _ = run_cli(args + ["--overwrite"], env, capsys)
    assert status == 0
    assert (target / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in target.iterdir()) == ["globex", "keep.txt"]
    # again, over itself: the repository's folders are replaced, not merged
    stale = target / "globex" / "github-backup" / "repositories" / "gamma" / "stale.txt"
    stale.write_text("old")
    assert run_cli(args + ["--overwrite"], env, capsys)[0] == 0
    assert not stale.exists()


def test_restore_argument_errors(world, env, capsys, tmp_path):
    assert run_cli(["restore", "--target", str(tmp_path / "x"), "--repo", "alpha"], env, capsys)[0] == 2
    assert run_cli(["restore", "--target", str(tmp_path / "x"), "--org", "acme", "--repo", "../etc"], env, capsys)[0] == 2
    assert run_cli(["restore", "--target", str(tmp_path / "x"), "--org", "acme", "--repo", "nope"], env, capsys)[0] == 1
    assert not any((tmp_path / "x").iterdir())  # nothing half-restored left
    assert includes_for("acme", "alpha")[0] == (
        "/acme/github-backup/repositories/alpha", "/acme/gitim/acme/alpha",
        "/acme/discussions/alpha", "/acme/reviews/alpha", "/acme/commit-comments/alpha", "/acme/settings/alpha",
        "/acme/manifest.json",
    )


def test_wrong_password_is_named(world, env, capsys, caplog, tmp_path):
    wrong = dict(env, RESTIC_PASSWORD="not the password")
    for args in (["snapshots"], ["verify", "--org", "acme"], ["restore", "--target", str(tmp_path / "t")]):
        status, _, logged = run_cli_logged(args, wrong, capsys, caplog)
        assert status == 1
        assert "the password is wrong" in logged, args
        assert "not the password" not in logged


# verify


def test_verify_passes_on_a_good_snapshot(world, env, capsys):
    status, out = run_cli(["verify", "--org", "acme", "--read-data-subset", "100%", "--json"], env, capsys)
    assert status == 0, out
    report = json.loads(out.splitlines()[-1])
    assert report["verify"] == "passed" and report["restic_check"]["ok"]
    [acme] = report["organizations"]
    assert acme["snapshot"] == world["incomplete_id"][:8]  # verify: the latest, complete or not
    assert acme["failed"] == 0 and acme["checks"] >= 15
    assert "restic check --read-data-subset 100%: passed" in out and "verify: passed" in out
    # and through the function, a snapshot named by id
    config = load_config(env, need_github=False)
    assert run_verify(config, snapshot=world["complete_id"][:8], org=None, read_data_subset=None, as_json=False).status == 0


def test_verify_names_a_missing_git_object(world, env, capsys):
    status, out = run_cli(["verify", "--org", "brokengit", "--json"], env, capsys)
    assert status == 1
    assert "FAILED delta: fsck repository: git fsck: " in out and world["missing_oid"] in out
    report = json.loads(out.splitlines()[-1])
    failures = report["organizations"][0]["failures"]
    assert {f["check"] for f in failures if f["repo"] == "delta"} >= {"fsck repository"}
    assert report["restic_check"]["ok"]  # the restic repository itself is fine


def test_verify_names_a_damaged_lfs_object(world, env, capsys):
    status, out = run_cli(["verify", "--org", "brokenlfs"], env, capsys)
    assert status == 1
    assert f"FAILED epsilon: lfs: 1 LFS object(s) do not match their oid: {world['bad_oid']}" in out
    assert "verify: FAILED (1 check failed)" in out


def test_verify_fails_after_a_pack_is_damaged(world, env, capsys, tmp_path, monkeypatch):
    copy = tmp_path / "restic"
    shutil.copytree(world["repo"].path, copy)
    monkeypatch.setenv("RESTIC_CACHE_DIR", str(tmp_path / "restic-cache"))  # not the good copy's cache
    damaged = hs.damage_largest_pack(hs.ResticRepo(copy, world["repo"].password, Path(), Path()))
    environ = dict(env, RESTIC_REPOSITORY=str(copy))
    status, out = run_cli(["verify", "--org", "globex", "--read-data-subset", "100%", "--json"], environ, capsys)
    assert status == 1
    report = json.loads(out.splitlines()[-1])
    assert not report["restic_check"]["ok"]
    assert damaged.name in report["restic_check"]["message"]  # restic names the pack
    assert "restic check --read-data-subset 100%: FAILED" in out


def test_checks_on_a_folder_directly(world, tmp_path, env):
    """check_restored_org runs on any folder holding <ORG>/ (the run may reuse it on its cache)."""
    results, warnings = verify.check_restored_org(world["cache"], "globex")
    assert results and all(r.ok for r in results) and not warnings
    # a manifest that disagrees with the refs is named, ref by ref
    root = tmp_path / "copy"
    shutil.copytree(world["cache"] / "globex", root / "globex", symlinks=True)
    manifest = json.loads((root / "globex" / "manifest.json").read_text())
    refs = manifest["repositories"]["gamma"]["refs"]
    refs["refs/heads/gone"] = refs.pop("refs/heads/dev")
    (root / "globex" / "manifest.json").write_text(json.dumps(manifest))
    (root / "globex" / "github-backup" / "repositories" / "gamma" / "issues" / "1.json").write_text("{")
    failures = [r for r in verify.check_restored_org(root, "globex")[0] if not r.ok]
    assert [(f.repo, f.check) for f in failures] == [("gamma", "refs repository"), ("gamma", "json")]
    assert "refs/heads/dev not in manifest.json" in failures[0].message
    assert "refs/heads/gone missing" in failures[0].message
    assert "issues/1.json" in failures[1].message
