"""The emulator's server (tests/github_emulator/server.py, handler*.py): it starts fast;
authentication like GitHub's for the API and git; pushes need the admin token; Git LFS fetch and
push; release asset downloads; the faults (502s, git 500s, rate limits, latency) and the
counters; user attachments served through signed storage; installation tokens that expire."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time

import pytest
import requests

from tests.github_emulator import truth
from tests.github_emulator.builder import ORG
from tests.support.emulator_client import ATTACHMENT, api, authed_url, git, ok, run


def test_fixture_starts_fast(github_emulator):
    assert github_emulator.start_seconds < 2.0, github_emulator.start_seconds
    print(f"emulator started in {github_emulator.start_seconds * 1000:.0f} ms")
    assert requests.get(github_emulator.base_url + "/_emulator/health", timeout=5).json() == {"ok": True}
    assert github_emulator.host == f"localhost:{github_emulator.port}"
    assert github_emulator.api_url == github_emulator.base_url + "/api/v3"
    for path in (github_emulator.admin_token_file, github_emulator.reader_token_file):
        assert path.read_text().strip().startswith("ghp_")


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


def test_fault_git_500_for_the_first_requests_of_a_repository(github_emulator):
    em = github_emulator
    em.set_faults(git_500_repos={f"{ORG}/Godot": 2})
    for _ in range(2):
        failed = run("git", "ls-remote", f"{em.base_url}/{ORG}/godot.git", check=False)
        assert failed.returncode != 0 and "returned error: 500" in failed.stderr
    assert "refs/heads/main" in git("ls-remote", f"{em.base_url}/{ORG}/godot.git")
    assert "refs/heads/main" in git("ls-remote", f"{em.base_url}/{ORG}/godot.git")
    assert em.counters(all=True)["git_500"] == 2


def test_fault_git_500_for_the_first_packs_of_a_repository(github_emulator, tmp_path):
    """git_500_packs: ls-remote answers; the first clone fails at its pack, the next one works."""
    em = github_emulator
    em.set_faults(git_500_packs={f"{ORG}/godot": 1})
    assert "refs/heads/main" in git("ls-remote", f"{em.base_url}/{ORG}/godot.git")
    failed = run("git", "clone", "--bare", f"{em.base_url}/{ORG}/godot.git", str(tmp_path / "a"), check=False)
    assert failed.returncode != 0 and "500" in failed.stderr
    run("git", "clone", "--bare", f"{em.base_url}/{ORG}/godot.git", str(tmp_path / "b"))
    assert em.counters(all=True)["git_500"] == 1


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


def _attachment_urls(em, token=None) -> list[str]:
    bodies = [ok(em, f"/repos/{ORG}/godot/issues/2")["body"]]
    bodies += [r["body"] for r in ok(em, f"/repos/{ORG}/godot/releases")]
    bodies += [c["body"] for c in ok(em, f"/repos/{ORG}/godot/comments")]
    bodies += [i["body"] for i in ok(em, f"/repos/{ORG}/private-tools/issues", token or em.reader_token)]
    return [url for body in bodies for url in ATTACHMENT.findall(body or "")]


def test_attachments_redirect_to_signed_storage(github_emulator, world_root):
    em = github_emulator
    expected = truth(world_root)["orgs"][ORG]["attachments"]
    world = json.loads((world_root / "world.json").read_text())["attachments"]
    assert len(expected) == 5 and set(world) == set(expected)
    urls = _attachment_urls(em)                             # the fifth is in a discussion comment (GraphQL)
    assert len(urls) == 4 and any("/user-attachments/files/" in u for u in urls)
    em.reset_counters()
    for url in urls:
        key = re.search(r"[0-9a-f-]{36}", url).group(0)
        private = world[key]["repo"] == f"{ORG}/private-tools"
        if private:
            assert requests.get(url, timeout=30, allow_redirects=False).status_code == 404
            bad = requests.get(url, headers={"Authorization": "token nope"}, timeout=30, allow_redirects=False)
            assert bad.status_code == 404
        headers = {"Authorization": f"token {em.reader_token}"} if private else {}
        first = requests.get(url, headers=headers, timeout=30, allow_redirects=False)
        assert first.status_code == 302, url
        location = first.headers["Location"]
        assert location.startswith(f"{em.base_url}/_downloads/attachments/{key}?sig=")
        data = requests.get(location, timeout=30)           # signed: no Authorization needed
        assert data.status_code == 200 and hashlib.sha256(data.content).hexdigest() == expected[key]
        assert data.headers["Content-Type"] == world[key]["content_type"]
        followed = requests.get(url, headers=headers, timeout=30)
        assert followed.content == data.content
    assert em.counters()["assets"] == 4 * len(urls) + 2    # 302 + bytes, twice; the two 404s
    assert em.counters()["api"] == 0
    key = next(iter(expected))
    assert requests.get(f"{em.base_url}/_downloads/attachments/{key}?sig=0", timeout=30).status_code == 403
    missing = f"{em.base_url}/user-attachments/assets/00000000-0000-4000-8000-000000000000"
    assert requests.get(missing, timeout=30).status_code == 404


def test_an_expired_installation_token_is_refused_by_the_emulator(github_emulator):
    import requests

    github_emulator.app_token_lifetime = 1
    token = github_emulator.issue_installation_token(github_emulator.installation_id(ORG), ORG)["token"]
    url = f"{github_emulator.api_url}/orgs/{ORG}/repos"
    assert requests.get(url, headers={"Authorization": f"token {token}"}).status_code == 200
    assert requests.get(f"{github_emulator.api_url}/user", headers={"Authorization": f"token {token}"}).status_code == 403
    time.sleep(1.1)
    assert requests.get(url, headers={"Authorization": f"token {token}"}).status_code == 401
    assert github_emulator.expired_token_requests == 1
