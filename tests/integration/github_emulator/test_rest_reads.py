"""The emulator's REST reads (tests/github_emulator/rest_reads.py, rest_shapes.py) as clients see
them: the real github-backup 0.40.0 backs up everything (hooks only with the admin token),
PyGithub lists the organization, pagination with Link headers, GitHub's shapes and filters, an
account's lists answer empty."""

from __future__ import annotations

import hashlib
import json
import warnings

import pytest
import requests

from tests.github_emulator.builder import ORG
from tests.support.emulator_client import api, git, run


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


@pytest.mark.contract_exempt("asks per_page=500 to see the emulator cap it at 100")
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


@pytest.mark.contract_exempt("asks a path GitHub does not have, to see the 404")
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


def test_account_lists_answer_empty(github_emulator):
    """github-backup --all asks for the account's stars, watches and follows; the world has none."""
    import requests

    headers = {"Authorization": f"token {github_emulator.admin_token}"}
    for kind in ("starred", "subscriptions", "followers", "following"):
        answer = requests.get(f"{github_emulator.api_url}/users/V-Sekai/{kind}", headers=headers, timeout=10)
        assert (answer.status_code, answer.json()) == (200, [])
