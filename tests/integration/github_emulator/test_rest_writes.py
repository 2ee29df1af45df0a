"""The emulator's write side (tests/github_emulator/rest_writes*.py; groundwork for
restore-to-github, issue 12): real HTTPS requests and real git / git-lfs against a running
emulator; everything written is read back through the read endpoints, git clone and truth()."""

from __future__ import annotations

import hashlib
import json
import os
import time

import pytest
import requests

from tests.github_emulator import add_org, create_wiki, delete_issue, truth
from tests.github_emulator.builder import ORG
from tests.support.emulator_client import TARGET, Client, git, run


def authed_url(em, path):
    return f"https://{em.admin_token}:x-oauth-basic@{em.host}/{path}"


def refs(url) -> dict:
    return {ref: sha for sha, ref in (line.split("\t") for line in git("ls-remote", url).splitlines())
            if not ref == "HEAD"}


@pytest.mark.contract_exempt("sends repository bodies GitHub refuses, to see the 422s")
def test_add_org_and_create_repo_rules(github_emulator, world_root, target):
    em, admin = github_emulator, target
    with pytest.raises(FileExistsError):
        add_org(world_root, TARGET.upper())
    again = admin("POST", f"/orgs/{TARGET}/repos", json={"name": "ASSETS"})
    assert again.status_code == 422 and "name already exists" in again.json()["message"]
    reader = Client(em, em.reader_token)
    assert reader("POST", f"/orgs/{TARGET}/repos", json={"name": "x"}).status_code == 403
    assert Client(em, None)("POST", f"/orgs/{TARGET}/repos", json={"name": "x"}).status_code == 401
    assert reader("POST", f"/repos/{TARGET}/assets/issues", json={"title": "t"}).status_code == 403
    assert reader("PATCH", f"/repos/{TARGET}/assets", json={"description": "x"}).status_code == 403
    assert Client(em, None)("POST", f"/repos/{TARGET}/assets/labels", json={"name": "x"}).status_code == 401
    # a private repository: anonymous sees nothing (404), as on GitHub
    assert Client(em, None)("POST", f"/repos/{ORG}/private-tools/issues", json={"title": "t"}).status_code == 404
    archived = admin("POST", f"/repos/{ORG}/old-archive/issues", json={"title": "t"})
    assert archived.status_code == 403 and "archived" in archived.json()["message"]
    bad = admin("POST", f"/orgs/{TARGET}/repos", json={"name": "bad name"})
    assert bad.status_code == 422
    # strict as GitHub's description: no null where it has none, visibility public or private
    for field, value in (("description", None), ("homepage", None), ("visibility", "internal"), ("private", "yes")):
        refused = admin("POST", f"/orgs/{TARGET}/repos", json={"name": "strict", field: value})
        assert refused.status_code == 422 and field in refused.json()["message"], (field, refused.text)
        assert admin("PATCH", f"/repos/{TARGET}/assets", json={field: value}).status_code == 422
    # what the create does not have is ignored, as GitHub does
    made = admin.ok("POST", f"/orgs/{TARGET}/repos", json={"name": "strict", "has_discussions": True,
                                                           "web_commit_signoff_required": True})
    assert made["has_discussions"] is False and made["web_commit_signoff_required"] is False
    # the fault: the create of these names refused with 422
    em.set_faults(refuse_repository_creates=["Refused"])
    assert admin("POST", f"/orgs/{TARGET}/repos", json={"name": "refused"}).status_code == 422
    em.set_faults()
    assert truth(world_root)["orgs"][TARGET]["repos"]["assets"]["empty"] is True


@pytest.mark.contract_exempt("sends a reply as a review comment with in_reply_to alone, to see the 422 GitHub answers")
def test_restore_like_writes_read_back(github_emulator, world_root, target, tmp_path):
    em, admin = github_emulator, target
    em.reset_counters()
    full = f"{TARGET}/assets"

    # git: every branch and a tag, with the LFS objects, into the new repository; cloned back
    src = tmp_path / "src"
    git("lfs", "install", "--skip-repo")
    git("clone", "-q", f"{em.base_url}/{ORG}/assets-lfs.git", src)
    git("-C", src, "lfs", "fetch", "--all")
    git("-C", src, "-c", "user.name=t", "-c", "user.email=t@t", "tag", "-a", "-m", "first", "v1.0-src", "origin/main")
    dest = authed_url(em, f"{full}.git")
    git("-C", src, "lfs", "push", "--all", dest)
    git("-C", src, "push", "-q", dest, "refs/remotes/origin/main:refs/heads/main",
        "refs/remotes/origin/art-update:refs/heads/art-update", "refs/tags/*:refs/tags/*")
    original = refs(f"{em.base_url}/{ORG}/assets-lfs.git")
    pushed = refs(f"{em.base_url}/{full}.git")
    assert {k: v for k, v in pushed.items() if k.startswith("refs/heads/")} == original
    assert "refs/tags/v1.0-src" in pushed
    back = tmp_path / "back"
    git("clone", "-q", f"{em.base_url}/{full}.git", back)
    git("-C", back, "lfs", "fetch", "--all")
    for rel in ("textures/wall.bin", "textures/floor.bin", "models/chair.bin"):
        assert (back / rel).read_bytes() == (src / rel).read_bytes() and (back / rel).stat().st_size > 1000
    lfs_oids = set(truth(world_root)["orgs"][ORG]["repos"]["assets-lfs"]["lfs_oids"])
    assert set(truth(world_root)["orgs"][TARGET]["repos"]["assets"]["lfs_oids"]) == lfs_oids

    # settings
    patched = admin.ok("PATCH", f"/repos/{full}", json={
        "description": "Binary assets", "homepage": "https://assets.example.org", "has_issues": True,
        "has_projects": False, "has_wiki": True, "default_branch": "main", "allow_squash_merge": False})
    assert patched["description"] == "Binary assets" and patched["has_projects"] is False
    assert patched["allow_squash_merge"] is False and patched["default_branch"] == "main"
    missing = admin("PATCH", f"/repos/{full}", json={"default_branch": "nope"})
    assert missing.status_code == 422
    assert admin.ok("PUT", f"/repos/{full}/topics", json={"names": ["VR", "assets", "vr"]}) == \
        {"names": ["vr", "assets"]}
    assert admin.ok("GET", f"/repos/{full}")["topics"] == ["vr", "assets"]

    # labels (a new repository has GitHub's nine default ones) and milestones
    given = admin.ok("GET", f"/repos/{full}/labels")
    assert len(given) == 9 and all(label["default"] for label in given)
    assert admin("DELETE", f"/repos/{full}/labels/wontfix").status_code == 204
    assert admin("DELETE", f"/repos/{full}/labels/wontfix").status_code == 404
    changed = admin.ok("PATCH", f"/repos/{full}/labels/good first issue",
                       json={"new_name": "good-first", "color": "00ff00", "description": "Start here"})
    assert (changed["name"], changed["color"], changed["description"]) == ("good-first", "00ff00", "Start here")
    for label in admin.ok("GET", f"/repos/{full}/labels"):
        admin("DELETE", f"/repos/{full}/labels/{label['name']}")
    admin.ok("POST", f"/repos/{full}/labels", json={"name": "bug", "color": "d73a4a", "description": "Broken"})
    admin.ok("POST", f"/repos/{full}/labels", json={"name": "restore-placeholder", "color": "#cccccc"})
    assert admin("POST", f"/repos/{full}/labels", json={"name": "BUG"}).status_code == 422
    m1 = admin.ok("POST", f"/repos/{full}/milestones",
                  json={"title": "v1", "description": "First", "due_on": "2026-12-31T00:00:00Z"})
    m2 = admin.ok("POST", f"/repos/{full}/milestones", json={"title": "v2", "state": "closed"})
    assert (m1["number"], m2["number"]) == (1, 2) and m2["state"] == "closed" and m2["closed_at"]
    assert m1["due_on"].startswith("2026-12-31") and m1["description"] == "First"
    assert admin.ok("PATCH", f"/repos/{full}/milestones/1", json={"state": "closed"})["state"] == "closed"
    assert [m["number"] for m in admin.ok("GET", f"/repos/{full}/milestones", params={"state": "all"})] == [1, 2]

    # issues and a pull request share one number sequence: 1, 2, 3
    i1 = admin.ok("POST", f"/repos/{full}/issues", json={
        "title": "First", "body": "Original by alice", "labels": ["bug"], "milestone": 1,
        "assignees": ["alice", "no-such-user-here"]})
    bad_head = admin("POST", f"/repos/{full}/pulls", json={"title": "x", "head": "nope", "base": "main"})
    bad_base = admin("POST", f"/repos/{full}/pulls", json={"title": "x", "head": "art-update", "base": "nope"})
    assert bad_head.status_code == 422 and bad_base.status_code == 422
    pr = admin.ok("POST", f"/repos/{full}/pulls", json={
        "title": "New wall texture", "body": "PR body", "head": f"{TARGET}:art-update", "base": "main"})
    i3 = admin.ok("POST", f"/repos/{full}/issues", json={"title": "Placeholder for #3"})
    assert (i1["number"], pr["number"], i3["number"]) == (1, 2, 3)
    assert [a["login"] for a in i1["assignees"]] == ["alice"] and i1["milestone"]["number"] == 1
    assert pr["head"]["ref"] == "art-update" and pr["head"]["sha"] == original["refs/heads/art-update"]
    assert pr["commits"] == 1 and pr["state"] == "open"
    dup = admin("POST", f"/repos/{full}/pulls", json={"title": "again", "head": "art-update", "base": "main"})
    assert dup.status_code == 422 and "already exists" in dup.json()["message"]
    # the gap is filled by a closed, labelled placeholder
    closed = admin.ok("PATCH", f"/repos/{full}/issues/3", json={
        "state": "closed", "state_reason": "not_planned", "labels": ["restore-placeholder"]})
    assert closed["state"] == "closed" and closed["state_reason"] == "not_planned" and closed["closed_at"]
    # a deleted issue's number is never given again
    i4 = admin.ok("POST", f"/repos/{full}/issues", json={"title": "Fourth"})
    delete_issue(world_root, TARGET, "assets", 4)
    assert admin("GET", f"/repos/{full}/issues/4").status_code == 404
    assert admin.ok("POST", f"/repos/{full}/issues", json={"title": "Fifth"})["number"] == i4["number"] + 1 == 5

    # comments, reviews, review comments
    admin.ok("POST", f"/repos/{full}/issues/1/comments", json={"body": "> alice, 2024-01-01\nA comment"})
    admin.ok("POST", f"/repos/{full}/issues/2/comments", json={"body": "PR conversation"})
    assert admin("POST", f"/repos/{full}/pulls/2/reviews",
                 json={"event": "REQUEST_CHANGES"}).status_code == 422
    review = admin.ok("POST", f"/repos/{full}/pulls/2/reviews", status=200, json={
        "event": "APPROVE", "body": "Looks right",
        "comments": [{"path": "textures/wall.bin", "line": 1, "body": "In the review"}]})
    assert review["state"] == "APPROVED" and review["commit_id"] == pr["head"]["sha"]
    admin.ok("POST", f"/repos/{full}/pulls/2/reviews", status=200,
             json={"event": "COMMENT", "body": "A remark"})
    rc = admin.ok("POST", f"/repos/{full}/pulls/2/comments", json={
        "body": "On the texture", "commit_id": pr["head"]["sha"], "path": "textures/wall.bin", "line": 1})
    # as GitHub's description has it: body, commit_id and path required, in_reply_to or not; a reply
    # has its own operation, which takes the body alone
    assert admin("POST", f"/repos/{full}/pulls/2/comments",
                 json={"body": "A reply", "in_reply_to": rc["id"]}).status_code == 422
    reply = admin.ok("POST", f"/repos/{full}/pulls/2/comments/{rc['id']}/replies", json={"body": "A reply"})
    assert reply["path"] == "textures/wall.bin" and reply["body"] == "A reply"

    # releases and an asset on the uploads host
    rel = admin.ok("POST", f"/repos/{full}/releases", json={
        "tag_name": "v1.0", "target_commitish": "main", "name": "One", "body": "Notes", "prerelease": True})
    draft = admin.ok("POST", f"/repos/{full}/releases", json={"tag_name": "v2.0", "name": "Two", "draft": True})
    assert draft["draft"] is True and draft["published_at"] is None
    assert admin("POST", f"/repos/{full}/releases", json={"tag_name": "v1.0"}).status_code == 422
    assert refs(f"{em.base_url}/{full}.git")["refs/tags/v1.0"] == original["refs/heads/main"]
    upload_url = rel["upload_url"].split("{")[0]
    assert upload_url == f"{em.base_url}/api/uploads/repos/{full}/releases/{rel['id']}/assets"
    data = os.urandom(70_000)
    asset = admin.ok("POST", upload_url, params={"name": "build.zip", "label": "The build"}, data=data,
                     headers={"Content-Type": "application/zip"})
    assert asset["size"] == len(data) and asset["name"] == "build.zip" and asset["content_type"] == "application/zip"
    assert admin("POST", upload_url, params={"name": "build.zip"}, data=b"x").status_code == 422
    assert admin("POST", f"/repos/{full}/releases/{rel['id']}/assets", params={"name": "y"},
                 data=b"y").status_code == 404  # not on the API host
    assert requests.get(asset["browser_download_url"], timeout=30).content == data
    octet = admin("GET", asset["url"], headers={"Accept": "application/octet-stream"})
    assert octet.status_code == 200 and hashlib.sha256(octet.content).digest() == hashlib.sha256(data).digest()

    # PATCH of state: reopen, close
    assert admin.ok("PATCH", f"/repos/{full}/issues/1", json={"state": "closed"})["state_reason"] == "completed"
    assert admin.ok("PATCH", f"/repos/{full}/pulls/2", json={"state": "closed"})["state"] == "closed"
    assert admin.ok("PATCH", f"/repos/{full}/pulls/2", json={"state": "open", "title": "Wall"})["title"] == "Wall"

    # everything is served by the read endpoints as if it had been in the world
    reader = Client(em, em.reader_token)
    issues = reader.ok("GET", f"/repos/{full}/issues", params={"state": "all", "direction": "asc"})
    assert [(i["number"], "pull_request" in i) for i in issues] == [(1, False), (2, True), (3, False), (5, False)]
    assert [label["name"] for label in issues[2]["labels"]] == ["restore-placeholder"]
    assert issues[0]["state"] == "closed" and issues[0]["comments"] == 1
    assert [c["body"] for c in reader.ok("GET", f"/repos/{full}/issues/1/comments")] == \
        ["> alice, 2024-01-01\nA comment"]
    assert [e["event"] for e in reader.ok("GET", f"/repos/{full}/issues/1/events")] == ["closed"]
    pull = reader.ok("GET", f"/repos/{full}/pulls/2")
    assert pull["review_comments"] == 3 and pull["comments"] == 1 and pull["base"]["ref"] == "main"
    assert [(r["state"], r["body"]) for r in reader.ok("GET", f"/repos/{full}/pulls/2/reviews")] == \
        [("APPROVED", "Looks right"), ("COMMENTED", "A remark")]
    assert len(reader.ok("GET", f"/repos/{full}/pulls/2/comments")) == 3
    assert len(reader.ok("GET", f"/repos/{full}/pulls/2/commits")) == 1
    releases = reader.ok("GET", f"/repos/{full}/releases")
    assert {(r["tag_name"], r["prerelease"], r["draft"]) for r in releases} == {("v1.0", True, False),
                                                                               ("v2.0", False, True)}
    assert reader.ok("GET", f"/repos/{full}/labels")[0]["description"] == "Broken"
    t = truth(world_root)["orgs"][TARGET]["repos"]["assets"]
    assert set(t["issues"]) == {"1", "3", "5"} and t["pulls"] == {"2": {"comments": 1, "review_comments": 3,
                                                                      "commits": 1}}
    assert t["releases"]["v1.0"]["assets"] == {"build.zip": hashlib.sha256(data).hexdigest()}
    assert t["labels"] == 2 and t["milestones"] == 2 and t["reviews"]["2"][0]["state"] == "APPROVED"
    assert t["settings"]["topics"] == ["vr", "assets"] and t["settings"]["homepage"] == "https://assets.example.org"

    # visibility last: private hides it from anonymous readers
    assert admin.ok("PATCH", f"/repos/{full}", json={"visibility": "private"})["private"] is True
    assert Client(em, None)("GET", f"/repos/{full}").status_code == 404
    assert admin.ok("PATCH", f"/repos/{full}", json={"archived": True})["archived"] is True
    assert admin("POST", f"/repos/{full}/issues", json={"title": "late"}).status_code == 403
    counters = em.counters()
    # content-creating POSTs that reached a handler (the 422s and 403s above included)
    assert counters["writes"] >= 25, counters


def test_content_creation_secondary_limit(github_emulator, target):
    em, admin = github_emulator, target
    full = f"{TARGET}/assets"
    em.set_faults(content_creation_per_minute=3)
    before = em.counters()["writes"]
    for n in range(3):
        admin.ok("POST", f"/repos/{full}/issues", json={"title": f"Issue {n}"})
    limited = admin("POST", f"/repos/{full}/issues", json={"title": "one too many"})
    assert limited.status_code == 403
    assert limited.json()["message"].startswith("You have exceeded a secondary rate limit")
    assert 55 <= int(limited.headers["Retry-After"]) <= 60
    # reads and PATCHes are not content creation
    assert admin.ok("GET", f"/repos/{full}/issues")
    assert admin.ok("PATCH", f"/repos/{full}/issues/1", json={"state": "closed"})["state"] == "closed"
    assert em.counters()["writes"] - before == 3
    assert [i["number"] for i in admin.ok("GET", f"/repos/{full}/issues", params={"state": "all"})] == [3, 2, 1]
    em.set_faults()  # switched off: creation goes on, numbering continues
    assert admin.ok("POST", f"/repos/{full}/issues", json={"title": "after"})["number"] == 4
    # over HTTP too
    r = requests.post(f"{em.base_url}/_emulator/faults", json={"content_creation_per_minute": 0}, timeout=10)
    assert r.status_code == 200
    assert admin("POST", f"/repos/{full}/labels", json={"name": "x"}).status_code == 403
    em.set_faults()


def test_concurrent_writes_keep_every_number(github_emulator, target):
    """Writers take a lock: 20 parallel issue creations get 20 distinct consecutive numbers."""
    from concurrent.futures import ThreadPoolExecutor

    em, admin = github_emulator, target
    full = f"{TARGET}/assets"
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        numbers = list(pool.map(lambda n: Client(em, em.admin_token).ok(
            "POST", f"/repos/{full}/issues", json={"title": f"parallel {n}"})["number"], range(20)))
    assert sorted(numbers) == list(range(1, 21)), numbers
    assert len(admin.ok("GET", f"/repos/{full}/issues", params={"per_page": 100})) == 20
    assert time.monotonic() - started < 30


def test_wiki_push_once_it_exists(github_emulator, world_root, target, tmp_path):
    em = github_emulator
    src = tmp_path / "wiki"
    git("clone", "-q", f"{em.base_url}/{ORG}/docs.wiki.git", src)
    dest = authed_url(em, f"{TARGET}/assets.wiki.git")
    refused = run("git", "-C", src, "push", dest, "refs/remotes/origin/*:refs/heads/*", check=False)
    assert refused.returncode != 0  # no wiki repository yet, as on GitHub
    create_wiki(world_root, TARGET, "assets")
    git("-C", src, "push", "-q", dest, "refs/remotes/origin/master:refs/heads/master")
    assert refs(f"{em.base_url}/{TARGET}/assets.wiki.git") == refs(f"{em.base_url}/{ORG}/docs.wiki.git")
    assert truth(world_root)["orgs"][TARGET]["repos"]["assets"]["wiki"]["refs"] == \
        truth(world_root)["orgs"][ORG]["repos"]["docs"]["wiki"]["refs"]


def test_a_wiki_made_by_its_first_push_under_the_switch(github_emulator, world_root, target, tmp_path):
    """wiki_created_on_push: an admin's push makes the wiki (an anonymous one and a read do not)."""
    em = github_emulator
    src = tmp_path / "wiki"
    git("clone", "-q", f"{em.base_url}/{ORG}/docs.wiki.git", src)
    em.set_faults(wiki_created_on_push=True)
    anonymous = run("git", "-C", src, "push", f"{em.base_url}/{TARGET}/assets.wiki.git",
                    "refs/remotes/origin/master:refs/heads/master", check=False)
    assert anonymous.returncode != 0 and run("git", "ls-remote", f"{em.base_url}/{TARGET}/assets.wiki.git",
                                             check=False).returncode != 0
    git("-C", src, "push", "-q", authed_url(em, f"{TARGET}/assets.wiki.git"),
        "refs/remotes/origin/master:refs/heads/master")
    em.set_faults()
    assert refs(f"{em.base_url}/{TARGET}/assets.wiki.git") == refs(f"{em.base_url}/{ORG}/docs.wiki.git")
    assert truth(world_root)["orgs"][TARGET]["repos"]["assets"]["wiki"]["refs"] == \
        truth(world_root)["orgs"][ORG]["repos"]["docs"]["wiki"]["refs"]


@pytest.mark.contract_exempt("sends an issue without a title, to see the 422")
def test_content_created_counter_and_lazy_truth(github_emulator, world_root, target):
    from tests.github_emulator.store import truth_is_stale
    from tests.github_emulator.truth import refresh_truth

    em, admin = github_emulator, target
    full = f"{TARGET}/assets"
    em.reset_counters()
    assert em.content_created() == 0 and "content_created" not in em.counters()
    admin.ok("POST", f"/repos/{full}/issues", json={"title": "one"})                       # 1
    admin.ok("PATCH", f"/repos/{full}/issues/1", json={"state": "closed"})                  # 2
    admin.ok("PUT", f"/repos/{full}/topics", json={"names": ["x"]})                         # 3
    admin.ok("POST", f"/repos/{full}/labels", json={"name": "defect"})                      # 4
    assert admin("PUT", f"/repos/{full}/collaborators/alice").status_code == 201            # 5
    assert admin("PUT", f"/repos/{full}/collaborators/alice").status_code == 204            # 6
    # refused or failed: not counted
    assert admin("POST", f"/repos/{full}/labels", json={"name": "DEFECT"}).status_code == 422
    assert admin("POST", f"/repos/{full}/issues", json={}).status_code == 422
    assert admin("PATCH", f"/repos/{full}/issues/99", json={"title": "x"}).status_code == 404
    assert Client(em, em.reader_token)("POST", f"/repos/{full}/issues", json={"title": "t"}).status_code == 403
    assert admin("PUT", f"/repos/{full}/collaborators/no-such-user-here").status_code == 404
    # reads: not counted
    admin.ok("GET", f"/repos/{full}/issues")
    assert em.content_created() == 6
    counters = em.counters(all=True)
    # "writes" counts every POST that reached a write handler, refused ones included: 2 + 2 + the reader's
    assert counters["content_created"] == 6 and counters["writes"] == 5
    over_http = requests.get(em.base_url + "/_emulator/counters", params={"all": "1"}, timeout=10).json()
    assert over_http["content_created"] == 6
    em.reset_counters()
    assert em.content_created() == 0

    # truth.json lags behind the write side until someone asks for the truth
    assert truth_is_stale(world_root)
    on_disk = json.loads((world_root / "truth.json").read_text())["orgs"][TARGET]["repos"]
    assert "assets" not in on_disk  # written before the repository was created over the API
    served = requests.get(em.base_url + "/_emulator/truth", timeout=30).json()
    assert set(served["orgs"][TARGET]["repos"]["assets"]["issues"]) == {"1"}
    assert not truth_is_stale(world_root)
    assert json.loads((world_root / "truth.json").read_text()) == served
    admin.ok("POST", f"/repos/{full}/issues", json={"title": "two"})
    assert truth_is_stale(world_root) and refresh_truth(world_root) and not refresh_truth(world_root)
    assert set(json.loads((world_root / "truth.json").read_text())["orgs"][TARGET]["repos"]["assets"]["issues"]) \
        == {"1", "2"}
    admin.ok("POST", f"/repos/{full}/issues", json={"title": "three"})
    assert set(em.truth()["orgs"][TARGET]["repos"]["assets"]["issues"]) == {"1", "2", "3"}
    assert not truth_is_stale(world_root)

    # writes are cheap: 40 issues well under a second each even on a loaded machine
    started = time.monotonic()
    for n in range(40):
        admin.ok("POST", f"/repos/{full}/issues", json={"title": f"fast {n}"})
    assert (time.monotonic() - started) / 40 < 0.5
    assert len(truth(world_root)["orgs"][TARGET]["repos"]["assets"]["issues"]) == 43
