"""Tests of the GitHub emulator: the real github-backup 0.40.0 and PyGithub against it,
plus pagination, authentication, faults, counters, mutate and Git LFS."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
import requests

from tests.github_emulator import build_world, force_push_away, mutate, truth
from tests.github_emulator.builder import ORG

REPO_ROOT = Path(__file__).resolve().parent.parent


def run(*cmd, cwd=None, check=True, env=None) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, env=env,
                            timeout=120)
    if check and result.returncode:
        raise AssertionError(f"{cmd} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def git(*args, **kw) -> str:
    return run("git", *args, **kw).stdout


def api(em, path, token=None, **kw):
    headers = kw.pop("headers", {})
    if token:
        headers["Authorization"] = f"token {token}"
    return requests.get(em.api_url + path, headers=headers, timeout=30, **kw)


def authed_url(em, token, path):
    return f"https://{token}:x-oauth-basic@{em.host}/{path}"


# ---------------------------------------------------------------------- start-up


def test_fixture_starts_fast(github_emulator):
    assert github_emulator.start_seconds < 2.0, github_emulator.start_seconds
    print(f"emulator started in {github_emulator.start_seconds * 1000:.0f} ms")
    assert requests.get(github_emulator.base_url + "/_emulator/health", timeout=5).json() == {"ok": True}
    assert github_emulator.host == f"localhost:{github_emulator.port}"
    assert github_emulator.api_url == github_emulator.base_url + "/api/v3"
    for path in (github_emulator.admin_token_file, github_emulator.reader_token_file):
        assert path.read_text().strip().startswith("ghp_")


def test_world_is_deterministic_and_sized(tmp_path):
    started = time.monotonic()
    a = build_world(tmp_path / "a")
    assert time.monotonic() - started < 5
    b = build_world(tmp_path / "b")
    assert (a / "truth.json").read_text() == (b / "truth.json").read_text()
    big = build_world(tmp_path / "big", seed=3, extra_repos=2, megabytes=1)
    t = truth(big)
    assert {"extra-000", "extra-001"} <= set(t["orgs"][ORG]["repos"])
    size = sum(f.stat().st_size for f in (big / "git" / ORG).glob("extra-*.git/**/*") if f.is_file())
    assert 1_000_000 <= size <= 1_300_000   # random bytes do not compress


# ---------------------------------------------------------------- github-backup 0.40.0


def test_github_backup_0_40_0_backs_up_everything(github_emulator, world_root, tmp_path):
    em = github_emulator
    expected = json.loads((world_root / "truth.json").read_text())["orgs"][ORG]["repos"]
    out = tmp_path / "backup"
    result = run("github-backup", ORG, "--organization", "-t", f"file://{em.admin_token_file}",
                 "-H", em.host, "-o", out, "--repositories", "--wikis", "--lfs", "--issues",
                 "--issue-comments", "--issue-events", "--pulls", "--pull-comments", "--pull-commits",
                 "--pull-details", "--milestones", "--labels", "--hooks", "--releases", "--assets",
                 "--private", "--fork")
    assert result.returncode == 0
    repos = out / "repositories"
    assert sorted(p.name for p in repos.iterdir()) == sorted(expected)

    for name, want in expected.items():
        clone = repos / name / "repository"
        if want["empty"]:
            continue
        got = {}
        for line in git("-C", clone, "for-each-ref", "--format=%(objectname) %(refname)").splitlines():
            sha, ref = line.split(" ", 1)
            if ref.startswith("refs/remotes/origin/") and not ref.endswith("/HEAD"):
                got["refs/heads/" + ref[len("refs/remotes/origin/"):]] = sha
            elif ref.startswith("refs/tags/"):
                got[ref] = sha
        assert got == want["refs"], name

    # wikis: cloned, except for the .github.io repository (the replace('.git', ...) bug of 0.40.0)
    wiki = repos / "docs" / "wiki"
    assert git("-C", wiki, "rev-parse", "HEAD").strip() == expected["docs"]["wiki"]["refs"]["refs/heads/master"]
    assert expected["v-sekai.github.io"]["wiki"] is not None
    assert not (repos / "v-sekai.github.io" / "wiki").exists()

    # LFS: `git lfs clone` brings the objects of the checked-out branch; fetch --all the rest
    lfs_clone = repos / "assets-lfs" / "repository"
    lfs_dir = lfs_clone / ".git" / "lfs" / "objects"
    have = {p.name for p in lfs_dir.rglob("*") if p.is_file()}
    assert have and have < set(expected["assets-lfs"]["lfs_oids"])
    git("-C", lfs_clone, "lfs", "fetch", "--all")
    have = {p.name for p in lfs_dir.rglob("*") if p.is_file()}
    assert have == set(expected["assets-lfs"]["lfs_oids"])

    # issues (more than 100: two pages), their comments and events; PRs are not saved as issues
    godot = repos / "godot"
    issues = {p.stem: json.loads(p.read_text()) for p in (godot / "issues").glob("*.json")}
    assert len(issues) > 100
    assert set(issues) == set(expected["godot"]["issues"])
    for number, want in expected["godot"]["issues"].items():
        assert len(issues[number]["comment_data"]) == want["comments"]
        assert len(issues[number]["event_data"]) == want["events"]

    # pulls: review comments and commits (0.40.0 drops the PR conversation comments)
    pulls = {p.stem: json.loads(p.read_text()) for p in (godot / "pulls").glob("*.json")}
    assert set(pulls) == set(expected["godot"]["pulls"])
    for number, want in expected["godot"]["pulls"].items():
        assert len(pulls[number]["comment_data"]) == want["review_comments"]
        assert len(pulls[number]["commit_data"]) == want["commits"]
        assert pulls[number]["head"]["sha"] == expected["godot"]["refs"][f"refs/heads/{pulls[number]['head']['ref']}"]

    assert len(list((godot / "milestones").glob("*.json"))) == expected["godot"]["milestones"]
    assert len(json.loads((godot / "labels" / "labels.json").read_text())) == expected["godot"]["labels"]
    assert len(json.loads((godot / "hooks" / "hooks.json").read_text())) == expected["godot"]["hooks"]

    # releases and their assets, byte for byte
    n_assets = 0
    for tag, release in expected["godot"]["releases"].items():
        assert (godot / "releases" / f"{tag}.json").is_file()
        for asset, digest in release["assets"].items():
            data = (godot / "releases" / tag / asset).read_bytes()
            assert hashlib.sha256(data).hexdigest() == digest
            n_assets += 1
    counters = em.counters()
    assert counters["assets"] == n_assets
    assert counters["api"] > 300 and counters["git"] > 20 and counters["lfs"] >= 2


def test_github_backup_hooks_need_admin_token(github_emulator, tmp_path):
    """With a non-admin token the hooks endpoint answers 404 and 0.40.0 aborts the run."""
    em = github_emulator
    result = run("github-backup", ORG, "--organization", "-t", f"file://{em.reader_token_file}",
                 "-H", em.host, "-o", tmp_path / "b", "--hooks", "--private", check=False)
    assert result.returncode != 0
    assert "404" in result.stderr


# ---------------------------------------------------------------------- PyGithub


def test_pygithub_lists_the_organization(github_emulator, world_root):
    from github import Auth, Github

    em = github_emulator
    names = set(json.loads((world_root / "truth.json").read_text())["orgs"][ORG]["repos"])
    fast = {"seconds_between_requests": None}   # PyGithub 2 waits 0.25 s between requests by default
    gh = Github(base_url=em.api_url, auth=Auth.Token(em.reader_token), per_page=3, **fast)
    assert gh.get_user().login == "emulator-reader"
    before = em.counters()["api"]
    repos = list(gh.get_organization(ORG).get_repos())
    assert {r.name for r in repos} == names
    assert em.counters()["api"] - before >= len(names) // 3   # followed the Link headers
    fork = next(r for r in repos if r.name == "godot-fork")
    assert fork.fork and fork.full_name == f"{ORG}/godot-fork"
    assert fork.clone_url == f"{em.base_url}/{ORG}/godot-fork.git"
    assert next(r for r in repos if r.name == "old-archive").archived

    with warnings.catch_warnings():                               # login_or_token is deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        legacy = Github(em.admin_token, base_url=em.api_url, **fast)  # as gitim calls it (plus the host)
    assert legacy.get_user().login == "emulator-admin"
    assert {r.name for r in legacy.get_organization(ORG.lower()).get_repos()} == names

    anonymous = Github(base_url=em.api_url, **fast)
    assert {r.name for r in anonymous.get_organization(ORG).get_repos()} == names - {"private-tools"}


# ------------------------------------------------------------- API shapes and paging


def test_pagination_with_link_headers(github_emulator, world_root):
    em = github_emulator
    t = json.loads((world_root / "truth.json").read_text())["orgs"][ORG]["repos"]["godot"]
    total = len(t["issues"]) + len(t["pulls"])
    first = api(em, f"/repos/{ORG}/godot/issues", params={"state": "all", "per_page": 100})
    assert first.status_code == 200 and len(first.json()) == 100
    assert 'rel="next"' in first.headers["Link"] and 'rel="last"' in first.headers["Link"]
    second = requests.get(first.links["next"]["url"], timeout=10)
    assert len(second.json()) == total - 100 and "next" not in second.links
    assert second.links["prev"]["url"].startswith(em.api_url)
    numbers = {i["number"] for i in first.json() + second.json()}
    assert len(numbers) == total
    assert sum("pull_request" in i for i in first.json() + second.json()) == len(t["pulls"])
    # per_page defaults to 30 and is capped at 100; the root prefix works like /api/v3
    assert len(api(em, f"/repos/{ORG}/godot/issues").json()) == 30
    assert len(api(em, f"/repos/{ORG}/godot/issues", params={"per_page": 500}).json()) == 100
    root = requests.get(f"{em.base_url}/repos/{ORG}/godot/issues?per_page=100", timeout=10)
    assert root.links["next"]["url"].startswith(f"{em.base_url}/repos/")


def test_api_shapes_and_filters(github_emulator):
    em = github_emulator
    org = api(em, "/orgs/v-sekai").json()
    assert org["login"] == ORG
    repo = api(em, f"/repos/{ORG.lower()}/GODOT").json()
    assert repo["full_name"] == f"{ORG}/godot" and repo["owner"]["login"] == ORG
    assert repo["owner"]["type"] == "Organization"
    assert repo["clone_url"] == f"{em.base_url}/{ORG}/godot.git" and repo["url"].startswith(em.api_url)
    since = api(em, f"/repos/{ORG}/godot/issues/comments", params={"per_page": 100}).json()
    assert all(c["issue_url"].startswith(f"{em.api_url}/repos/{ORG}/godot/issues/") for c in since)
    late = since[-1]["updated_at"]
    newer = api(em, f"/repos/{ORG}/godot/issues/comments", params={"since": late, "per_page": 100}).json()
    assert newer and all(c["updated_at"] >= late for c in newer)
    assert len(newer) < len(since)
    pulls = api(em, f"/repos/{ORG}/godot/pulls", params={"state": "all", "sort": "updated",
                                                         "direction": "desc"}).json()
    assert [p["updated_at"] for p in pulls] == sorted((p["updated_at"] for p in pulls), reverse=True)
    merged = api(em, f"/repos/{ORG}/godot/pulls/3").json()
    assert merged["merged"] and merged["head"]["ref"] == "feature/pr-3" and merged["base"]["ref"] == "main"
    assert len(api(em, f"/repos/{ORG}/godot/milestones", params={"state": "all"}).json()) == 2
    assert len(api(em, f"/repos/{ORG}/godot/milestones").json()) == 1
    refs = api(em, f"/repos/{ORG}/godot/git/refs").json()
    assert any(r["ref"] == "refs/heads/main" for r in refs)


def test_release_asset_redirect_without_auth(github_emulator, world_root):
    em = github_emulator
    t = json.loads((world_root / "truth.json").read_text())["orgs"][ORG]["repos"]["godot"]
    release = api(em, f"/repos/{ORG}/godot/releases").json()[-1]
    asset = release["assets"][0]
    meta = api(em, f"/repos/{ORG}/godot/releases/assets/{asset['id']}", token=em.reader_token)
    assert meta.json()["name"] == asset["name"]
    raw = api(em, f"/repos/{ORG}/godot/releases/assets/{asset['id']}", token=em.reader_token,
              headers={"Accept": "application/octet-stream"}, allow_redirects=False)
    assert raw.status_code == 302
    location = raw.headers["Location"]
    assert location.startswith(em.base_url + "/")
    data = requests.get(location, timeout=10).content         # no Authorization, as after S3 redirects
    assert hashlib.sha256(data).hexdigest() == t["releases"][release["tag_name"]]["assets"][asset["name"]]
    assert requests.get(location.split("?")[0] + "?sig=forged", timeout=10).status_code == 403
    browser = requests.get(asset["browser_download_url"], timeout=10)
    assert browser.status_code == 200 and browser.content == data


# ------------------------------------------------------------------------- auth


def test_authentication_like_github(github_emulator):
    em = github_emulator
    token = em.reader_token
    for headers in ({"Authorization": f"token {token}"}, {"Authorization": f"Bearer {token}"}):
        assert requests.get(em.api_url + "/user", headers=headers, timeout=10).json()["login"] == "emulator-reader"
    for auth in ((token, "x-oauth-basic"), ("x-access-token", token)):
        assert requests.get(em.api_url + "/user", auth=auth, timeout=10).status_code == 200
    bad = requests.get(em.api_url + "/user", headers={"Authorization": "token ghp_nope"}, timeout=10)
    assert bad.status_code == 401 and bad.json()["message"] == "Bad credentials"
    assert requests.get(em.api_url + f"/repos/{ORG}/godot", auth=("ghp_nope", "x-oauth-basic"),
                        timeout=10).status_code == 401
    assert requests.get(em.api_url + "/user", timeout=10).status_code == 401
    # private repository: 404 without a token, in the API and in listings
    assert api(em, f"/repos/{ORG}/private-tools").status_code == 404
    assert api(em, f"/repos/{ORG}/private-tools/issues").status_code == 404
    assert api(em, f"/repos/{ORG}/private-tools", token=token).json()["private"] is True
    assert "private-tools" not in {r["name"] for r in api(em, f"/orgs/{ORG}/repos").json()}
    # hooks: admin only
    assert api(em, f"/repos/{ORG}/godot/hooks", token=token).status_code == 404
    assert len(api(em, f"/repos/{ORG}/godot/hooks", token=em.admin_token).json()) == 1
    # rate-limit headers on every answer, counting down per token
    first = api(em, "/rate_limit", token=token).json()["rate"]["remaining"]
    r1 = api(em, f"/repos/{ORG}/godot", token=token)
    r2 = api(em, f"/repos/{ORG}/godot", token=token)
    assert int(r2.headers["x-ratelimit-remaining"]) == int(r1.headers["x-ratelimit-remaining"]) - 1 < first
    assert {"x-ratelimit-limit", "x-ratelimit-reset", "x-ratelimit-used"} <= {h.lower() for h in r1.headers}
    assert "x-ratelimit-remaining" in bad.headers


def test_git_authentication(github_emulator):
    em = github_emulator
    private = f"{ORG}/private-tools.git"
    anon = run("git", "ls-remote", f"{em.base_url}/{private}", check=False)
    assert anon.returncode == 128
    for url in (authed_url(em, em.reader_token, private),
                f"https://x-access-token:{em.reader_token}@{em.host}/{private}"):
        assert "refs/heads/main" in git("ls-remote", url)
    bad = run("git", "ls-remote", authed_url(em, "ghp_nope", private), check=False)
    assert bad.returncode == 128 and "Authentication failed" in bad.stderr
    missing = run("git", "ls-remote", authed_url(em, em.reader_token, f"{ORG}/nope.git"), check=False)
    assert missing.returncode == 128 and "not found" in missing.stderr
    # no wiki repository behind has_wiki, and the mangled .github.io wiki URL
    for path in (f"{ORG}/godot.wiki.git", f"{ORG}/v-sekai.wiki.github.io.wiki.git"):
        assert run("git", "ls-remote", f"{em.base_url}/{path}", check=False).returncode == 128
    assert "refs/heads/master" in git("ls-remote", f"{em.base_url}/{ORG}/v-sekai.github.io.wiki.git")
    assert git("ls-remote", f"{em.base_url}/{ORG}/empty.git") == ""
    assert "refs/heads/main" in git("ls-remote", f"{em.base_url}/v-sekai/GODOT.git")


def test_push_needs_admin_token(github_emulator, tmp_path):
    em = github_emulator
    clone = tmp_path / "c"
    git("clone", "-q", f"{em.base_url}/{ORG}/shared-lib.git", clone)
    git("-C", clone, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x")
    denied = run("git", "-C", clone, "push", authed_url(em, em.reader_token, f"{ORG}/shared-lib.git"),
                 "HEAD:refs/heads/pushed", check=False)
    assert denied.returncode != 0
    git("-C", clone, "push", "-q", authed_url(em, em.admin_token, f"{ORG}/shared-lib.git"), "HEAD:refs/heads/pushed")
    assert "refs/heads/pushed" in git("ls-remote", f"{em.base_url}/{ORG}/shared-lib.git")


# ------------------------------------------------------------------ LFS, submodules


def test_lfs_fetch_all_and_push(github_emulator, world_root, tmp_path):
    em = github_emulator
    oids = truth(world_root)["orgs"][ORG]["repos"]["assets-lfs"]["lfs_oids"]
    clone = tmp_path / "lfs"
    url = authed_url(em, em.admin_token, f"{ORG}/assets-lfs.git")
    git("lfs", "install", "--skip-repo")
    git("clone", "-q", url, clone)
    git("-C", clone, "lfs", "fetch", "--all")
    have = {p.name for p in (clone / ".git" / "lfs" / "objects").rglob("*") if p.is_file()}
    assert have == set(oids)
    (clone / "textures" / "new.bin").write_bytes(os.urandom(5000))
    git("-C", clone, "add", "textures/new.bin")
    git("-C", clone, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "new texture")
    git("-C", clone, "push", "-q", "origin", "HEAD:main")
    new_oid = hashlib.sha256((clone / "textures" / "new.bin").read_bytes()).hexdigest()
    assert (world_root / "lfs" / ORG / "assets-lfs" / new_oid).is_file()
    assert new_oid in truth(world_root)["orgs"][ORG]["repos"]["assets-lfs"]["lfs_oids"]

    # push everything back into a new repository, as a restore would
    denied = requests.post(f"{em.api_url}/orgs/{ORG}/repos", json={"name": "restored"}, timeout=10,
                           headers={"Authorization": f"token {em.reader_token}"})
    assert denied.status_code == 403
    created = requests.post(f"{em.api_url}/orgs/{ORG}/repos", json={"name": "restored", "private": True},
                            headers={"Authorization": f"token {em.admin_token}"}, timeout=10)
    assert created.status_code == 201 and created.json()["full_name"] == f"{ORG}/restored"
    target = authed_url(em, em.admin_token, f"{ORG}/restored.git")
    git("-C", clone, "push", "-q", target, "refs/remotes/origin/*:refs/heads/*")
    git("-C", clone, "lfs", "push", "--all", target)
    restored = truth(world_root)["orgs"][ORG]["repos"]["restored"]
    assert restored["private"] and set(restored["lfs_oids"]) == set(oids) | {new_oid}
    assert restored["refs"]["refs/heads/art-update"] == truth(world_root)["orgs"][ORG]["repos"][
        "assets-lfs"]["refs"]["refs/heads/art-update"]


def test_submodules_resolve_relative_urls(github_emulator, world_root, tmp_path):
    em = github_emulator
    t = truth(world_root)["orgs"]
    clone = tmp_path / "godot"
    git("clone", "-q", f"{em.base_url}/{ORG}/godot.git", clone)
    git("-C", clone, "submodule", "update", "--init", "--recursive", "-q")
    sub = t[ORG]["repos"]["godot"]["submodules"][0]
    assert sub["url"] == "../../upstream-deps/libfoo.git"
    assert git("-C", clone / sub["path"], "rev-parse", "HEAD").strip() == sub["commit"]
    nested = t["upstream-deps"]["repos"]["libfoo"]["submodules"][0]
    assert git("-C", clone / sub["path"] / nested["path"], "rev-parse", "HEAD").strip() == nested["commit"]
    game = t[ORG]["repos"]["game"]["submodules"][0]
    assert game["url"] == "../shared-lib.git"

    gone = force_push_away(world_root, "upstream-deps", "libfoo", "main")
    assert gone["old"] == sub["commit"]
    assert truth(world_root)["orgs"]["upstream-deps"]["repos"]["libfoo"]["refs"]["refs/heads/main"] == gone["new"]
    fresh = tmp_path / "libfoo"
    git("init", "-q", fresh)
    fetch = run("git", "-C", fresh, "fetch", f"{em.base_url}/upstream-deps/libfoo.git", gone["old"], check=False)
    assert fetch.returncode != 0


# ------------------------------------------------------------------------ faults


def test_fault_api_502_fraction(github_emulator):
    em = github_emulator
    em.set_faults(api_502_fraction=0.5, seed=7)
    codes = [api(em, f"/repos/{ORG}/godot").status_code for _ in range(40)]
    assert codes.count(502) > 5 and codes.count(200) > 5
    em.set_faults(api_502_fraction=1.0)
    assert api(em, "/rate_limit").status_code == 502
    em.set_faults()
    assert api(em, "/rate_limit").status_code == 200


def test_fault_git_500_repo(github_emulator):
    em = github_emulator
    em.set_faults(git_500_repos=[f"{ORG}/godot"])
    failed = run("git", "ls-remote", f"{em.base_url}/{ORG}/godot.git", check=False)
    assert failed.returncode != 0 and "500" in failed.stderr
    assert "refs/heads/main" in git("ls-remote", f"{em.base_url}/{ORG}/docs.git")
    assert api(em, f"/repos/{ORG}/godot").status_code == 200
    em.set_faults()
    assert "refs/heads/main" in git("ls-remote", f"{em.base_url}/{ORG}/godot.git")


def test_fault_rate_limits(github_emulator):
    em = github_emulator
    em.set_faults(rate_limit_exhausted=1.0)
    limited = api(em, f"/repos/{ORG}/godot", token=em.reader_token)
    assert limited.status_code == 403
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert time.time() < int(limited.headers["x-ratelimit-reset"]) <= time.time() + 5
    assert "API rate limit exceeded" in limited.json()["message"]
    time.sleep(1.1)
    assert api(em, f"/repos/{ORG}/godot", token=em.reader_token).status_code == 200

    # the same switch over HTTP: a secondary rate limit
    posted = requests.post(em.base_url + "/_emulator/faults", json={"secondary_rate_limit": 2}, timeout=10)
    assert posted.status_code == 200 and "secondary_rate_limit" in posted.json()
    secondary = api(em, f"/repos/{ORG}/godot")
    assert secondary.status_code == 403 and int(secondary.headers["retry-after"]) >= 1
    assert secondary.headers["x-ratelimit-remaining"] != "0"
    assert "secondary rate limit" in secondary.json()["message"]
    requests.post(em.base_url + "/_emulator/faults", json={}, timeout=10)
    assert api(em, f"/repos/{ORG}/godot").status_code == 200


def test_fault_latency(github_emulator):
    em = github_emulator
    em.set_faults(latency_ms=300)
    started = time.monotonic()
    api(em, f"/repos/{ORG}/godot")
    git("ls-remote", f"{em.base_url}/{ORG}/docs.git")
    assert time.monotonic() - started >= 0.6
    em.set_faults()
    with pytest.raises(ValueError):
        em.set_faults(no_such_fault=1)


def test_counters(github_emulator):
    em = github_emulator
    api(em, "/rate_limit")
    em.reset_counters()
    assert em.counters() == {"api": 0, "git": 0, "lfs": 0, "assets": 0, "graphql": 0, "writes": 0}
    api(em, f"/repos/{ORG}/godot")
    api(em, f"/repos/{ORG}/docs")
    git("ls-remote", f"{em.base_url}/{ORG}/docs.git")
    over_http = requests.get(em.base_url + "/_emulator/counters", timeout=10).json()
    # ls-remote over protocol v2 is two HTTP requests: info/refs and git-upload-pack (ls-refs)
    assert over_http == em.counters() == {"api": 2, "git": 2, "lfs": 0, "assets": 0, "graphql": 0, "writes": 0}
    requests.post(em.base_url + "/_emulator/counters/reset", timeout=10)
    assert em.counters()["api"] == 0


# ------------------------------------------------------------------------ mutate


def test_mutate_changes_truth_and_what_is_served(github_emulator, world_root):
    em = github_emulator
    before = truth(world_root)
    clone = world_root.parent / "godot-before"
    git("clone", "-q", "--mirror", f"{em.base_url}/{ORG}/godot.git", clone)
    after = mutate(world_root)
    assert after == json.loads((world_root / "truth.json").read_text())
    old, new = before["orgs"][ORG]["repos"], after["orgs"][ORG]["repos"]
    assert set(new) - set(old) == {"new-repo-1"}
    for name in ("godot", "shared-lib", "assets-lfs"):
        assert new[name]["refs"]["refs/heads/main"] != old[name]["refs"]["refs/heads/main"]
    assert set(new["godot"]["refs"]) - set(old["godot"]["refs"]) == {"refs/heads/day-1", "refs/tags/day-1"}
    assert len(new["assets-lfs"]["lfs_oids"]) == len(old["assets-lfs"]["lfs_oids"]) + 1
    assert new["docs"]["wiki"] != old["docs"]["wiki"]
    assert len(new["godot"]["issues"]) == len(old["godot"]["issues"]) + 1
    assert new["godot"]["pulls"]["7"]["comments"] == old["godot"]["pulls"]["7"]["comments"] + 1
    assert "day-1" in new["godot"]["releases"]

    served = {}
    for line in git("ls-remote", f"{em.base_url}/{ORG}/godot.git").splitlines():
        sha, ref = line.split("\t")
        if not ref.endswith("^{}") and ref != "HEAD":
            served[ref] = sha
    assert served == new["godot"]["refs"]
    git("-C", clone, "fetch", "-q", "--prune", "origin")      # incremental fetch (gzip-ed haves)
    fetched = git("-C", clone, "for-each-ref", "--format=%(refname) %(objectname)").split()
    assert dict(zip(fetched[::2], fetched[1::2])) == new["godot"]["refs"]
    names = {r["name"] for r in api(em, f"/orgs/{ORG}/repos", token=em.reader_token,
                                    params={"per_page": 100}).json()}
    assert names == set(new)
    repo = api(em, f"/repos/{ORG}/godot").json()
    assert repo["pushed_at"] > repo["updated_at"]          # a push does not bump updated_at
    newest = api(em, f"/repos/{ORG}/godot/issues", params={"sort": "created", "per_page": 3}).json()
    assert newest[0]["number"] == max(int(n) for n in new["godot"]["issues"])
    assert newest[0]["comments"] == 2
    updated = api(em, f"/repos/{ORG}/godot/issues", params={"sort": "updated", "per_page": 3}).json()
    assert {i["number"] for i in updated} == {1, 7, newest[0]["number"]}   # comments bump updated_at


def test_cli_serve(world_root, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "tests.github_emulator", "serve", "--root", str(world_root)],
                            cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        lines = []
        while not lines or lines[-1] != "}\n":
            lines.append(proc.stdout.readline())
        info = json.loads("".join(lines))
        assert info["host"].startswith("localhost:") and Path(info["ca_file"]).is_file()
        counters = requests.get(info["base_url"] + "/_emulator/counters", verify=info["ca_file"], timeout=10)
        assert counters.json()["api"] == 0
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_cli_build_and_mutate(tmp_path):
    root = tmp_path / "cli-world"
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    run(sys.executable, "-m", "tests.github_emulator", "build", "--root", root, cwd=REPO_ROOT, env=env)
    assert (root / "truth.json").is_file()
    run(sys.executable, "-m", "tests.github_emulator", "mutate", "--root", root, cwd=REPO_ROOT, env=env)
    assert "new-repo-1" in json.loads((root / "truth.json").read_text())["orgs"][ORG]["repos"]


def test_account_lists_answer_empty(github_emulator):
    """github-backup --all asks for the account's stars, watches and follows; the world has none."""
    import requests

    headers = {"Authorization": f"token {github_emulator.admin_token}"}
    for kind in ("starred", "subscriptions", "followers", "following"):
        answer = requests.get(f"{github_emulator.api_url}/users/V-Sekai/{kind}", headers=headers, timeout=10)
        assert (answer.status_code, answer.json()) == (200, [])


def test_serve_without_a_built_world_says_build_first(tmp_path):
    """`serve` on an empty folder once answered every request with a traceback."""
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-m", "tests.github_emulator", "serve", "--root", str(tmp_path / "w")],
                            cwd=root, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"python -m tests.github_emulator serve: no world in {tmp_path / 'w'}: make one "
                                     f"first with `python -m tests.github_emulator build --root {tmp_path / 'w'}`")
