"""Two small organization trees for tests/integration/support/test_backup_compare.py, built at run
time: the source (real git clones, an LFS object, JSON files in github-backup's shapes) and its
"re-creation", a copy rewritten the way restore-to-github writes it (provenance headers on
bodies, a pull request come back as an issue, a placeholder issue for a gap in the numbers, the
placeholder label)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path


REPO = "godot"
LFS_BYTES = b"pretend this is a large texture\n"
LFS_OID = hashlib.sha256(LFS_BYTES).hexdigest()
ASSET_BYTES = b"\x7fELF pretend binary" * 50


def _git_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(home / "gitconfig"), HOME=str(home),
               GIT_AUTHOR_NAME="Alice", GIT_AUTHOR_EMAIL="alice@example.invalid",
               GIT_COMMITTER_NAME="Alice", GIT_COMMITTER_EMAIL="alice@example.invalid",
               GIT_TERMINAL_PROMPT="0")
    return env


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=_git_env(repo.parent)).stdout.strip()


def make_clone(path: Path, branches: dict[str, list[str]], tags: list[tuple[str, str]] = ()) -> dict[str, str]:
    """A git repository at `path`: per branch the files committed one by one (branches after the
    first start from the first one's head); tags (name, branch) annotated. Returns its refs."""
    path.mkdir(parents=True)
    first = next(iter(branches))
    git(path, "init", "-q", "-b", first)
    for branch, files in branches.items():
        if branch != first:
            git(path, "checkout", "-q", "-b", branch, first)
        for name in files:
            (path / name).write_text(f"{branch}: {name}\n")
            git(path, "add", name)
            git(path, "commit", "-q", "-m", f"add {name} on {branch}")
    git(path, "checkout", "-q", first)
    for tag, branch in tags:
        git(path, "tag", "-a", "-m", f"tag {tag}", tag, branch)
    out = git(path, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags")
    return {ref: sha for sha, ref in (line.split(" ", 1) for line in out.splitlines())}


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True))


def read_json(path: Path):
    return json.loads(path.read_text())


def user(login: str) -> dict:
    return {"login": login, "id": abs(hash(login)) % 10**7, "type": "User"}


def comment(cid: int, body: str | None, login: str = "bob") -> dict:
    return {"id": cid, "body": body, "user": user(login), "created_at": "2023-11-15T14:11:20Z",
            "author_association": "MEMBER"}


def issue(number: int, title: str, body: str | None, state: str = "open", comments=()) -> dict:
    return {"number": number, "id": 1000 + number, "title": title, "body": body, "state": state,
            "user": user("alice"), "labels": [], "milestone": None, "comment_data": list(comments),
            "event_data": [], "comments": len(comments), "created_at": "2023-11-15T14:10:20Z"}


def pull(number: int, title: str, body: str | None, state: str, review_comments=()) -> dict:
    return {"number": number, "id": 2000 + number, "title": title, "body": body, "state": state,
            "merged": state == "closed", "user": user("alice"), "draft": False,
            "head": {"ref": f"feature/pr-{number}"}, "base": {"ref": "main"},
            "comment_data": [dict(c, path="src/a.txt", line=1, diff_hunk="@@ -0,0 +1 @@") for c in review_comments],
            "commit_data": []}


def build_source(org: Path) -> None:
    """The source organization, in a restored snapshot's layout."""
    base = org / "github-backup" / "repositories" / REPO
    refs = make_clone(base / "repository",
                      {"main": ["README.md", "core.txt"], "feature/pr-3": ["pr3.txt"], "develop": ["dev.txt"]},
                      tags=[("v1.0", "main")])
    lfs = base / "repository" / ".git" / "lfs" / "objects" / LFS_OID[:2] / LFS_OID[2:4] / LFS_OID
    lfs.parent.mkdir(parents=True)
    lfs.write_bytes(LFS_BYTES)
    wiki_refs = make_clone(base / "wiki", {"master": ["Home.md"]})
    empty = org / "github-backup" / "repositories" / "empty"
    (empty / "repository").mkdir(parents=True)
    git(empty / "repository", "init", "-q", "-b", "main")

    write_json(org / "manifest.json", {
        "org": "acme", "format": 1, "complete": True, "problems": [],
        "repositories": {
            REPO: {"refs": refs, "wiki": {"refs": wiki_refs}, "lfs_objects": 1, "default_branch": "main",
                   "issues": 4, "pulls": 2, "releases": 1, "release_assets": 1, "problems": []},
            "empty": {"refs": {}, "wiki": None, "empty": True, "problems": []},
        },
    })
    write_json(base / "labels" / "labels.json", [
        {"id": 1, "name": "bug", "color": "d73a4a", "description": "Something isn't working", "default": False},
        {"id": 2, "name": "enhancement", "color": "a2eeef", "description": "New feature", "default": False},
        {"id": 3, "name": "plain", "color": "ededed", "description": None, "default": False},
    ])
    write_json(base / "milestones" / "1.json", {"number": 1, "title": "4.0", "state": "open",
                                                "description": "The 4.0 release", "due_on": "2024-02-12T22:13:20Z"})
    write_json(base / "milestones" / "2.json", {"number": 2, "title": "3.x", "state": "closed",
                                                "description": None, "due_on": None})
    # Numbers: 1, 2, 6 issues; 3, 4 pulls; 5 a gap (a deleted issue or a discussion).
    write_json(base / "issues" / "1.json", issue(1, "Crash on start", None, comments=[
        comment(11, "Comment 0 on #1"), comment(12, "Comment 1 on #1\n\nwith a blank line", "carol"),
        comment(13, "")]))
    write_json(base / "issues" / "2.json", issue(2, "Docs typo", "Body of issue 2.", state="closed"))
    write_json(base / "issues" / "6.json", issue(6, "Last one", "Body of issue 6.", comments=[comment(61, "Only comment")]))
    write_json(base / "pulls" / "3.json", pull(3, "Pull request 3", "Body of pull 3.", "closed",
                                               review_comments=[comment(31, "Review comment on #3", "alice")]))
    write_json(base / "pulls" / "3.conversation.json", [comment(32, "Conversation on #3")])
    write_json(base / "pulls" / "4.json", pull(4, "Pull request 4", "", "open"))
    write_json(base / "pulls" / "4.conversation.json", [])
    write_json(org / "reviews" / REPO / "3.json", {"pull": 3, "pull_updated_at": "2023-11-16T14:57:20Z", "reviews": [
        {"id": 301, "state": "APPROVED", "body": "Looks good.", "user": user("alice")},
        {"id": 302, "state": "COMMENTED", "body": "", "user": user("bob")}]})
    write_json(org / "reviews" / REPO / "4.json", {"pull": 4, "reviews": [
        {"id": 401, "state": "CHANGES_REQUESTED", "body": "Please split this.", "user": user("carol")}]})
    write_json(base / "releases" / "v1.0.json", {
        "tag_name": "v1.0", "name": "Version 1.0", "body": "First release.", "draft": False, "prerelease": False,
        "assets": [{"id": 9, "name": "tool.bin", "size": len(ASSET_BYTES), "state": "uploaded"}]})
    (base / "releases" / "v1.0").mkdir()
    (base / "releases" / "v1.0" / "tool.bin").write_bytes(ASSET_BYTES)
    write_json(org / "settings" / REPO / "repository.json", {
        "name": REPO, "description": "The game engine", "homepage": "https://example.invalid/godot",
        "topics": ["vr", "game-engine"], "visibility": "public", "private": False, "has_issues": True,
        "has_wiki": True, "has_projects": True, "has_discussions": True, "default_branch": "main",
        "archived": False, "allow_merge_commit": False, "allow_squash_merge": True, "allow_rebase_merge": True,
        "allow_auto_merge": True, "delete_branch_on_merge": True, "id": 1006})


def header(kind: str, original_id, login: str = "alice", extra: str = "") -> str:
    text = f"<!-- orgbackup:{kind}:{original_id} --> *@{login} wrote on 2023-11-15 14:11 UTC (restored from a backup)*"
    return text + (f"\n{extra}" if extra else "")


def restored(kind: str, original_id, body: str | None, extra: str = "") -> str:
    """A body as the restore writes it: the header paragraph, a blank line, the original body."""
    return header(kind, original_id, extra=extra) + ("\n\n" + body if body else "")


def make_target(source: Path, target: Path) -> None:
    """The source as restore-to-github re-creates it and a backup of the new organization holds it."""
    shutil.copytree(source, target, symlinks=True)
    base = target / "github-backup" / "repositories" / REPO
    for path in sorted((base / "issues").glob("*.json")):
        data = read_json(path)
        data["id"] += 50000
        data["body"] = restored("issue", data["id"], data["body"])
        for c in data["comment_data"]:
            c["body"] = restored("comment", c["id"], c["body"])
        write_json(path, data)
    # Pull 3 (merged: "No commits between") comes back as issue 3; its review comments and reviews
    # become conversation comments.
    p3 = read_json(base / "pulls" / "3.json")
    conversation = read_json(base / "pulls" / "3.conversation.json")
    reviews = read_json(target / "reviews" / REPO / "3.json")["reviews"]
    texts = ([("comment", c["id"], c["body"]) for c in conversation]
             + [("review-comment", c["id"], c["body"]) for c in p3["comment_data"]]
             + [("review", r["id"], r["body"]) for r in reviews])
    issue3 = issue(3, p3["title"], None, state=p3["state"],
                   comments=[comment(7000 + i, restored(kind, cid, body)) for i, (kind, cid, body) in enumerate(texts)])
    issue3["body"] = restored("pull", p3["id"], p3["body"], extra="*Restored as an issue: merged, no commits between.*")
    write_json(base / "issues" / "3.json", issue3)
    for path in (base / "pulls" / "3.json", base / "pulls" / "3.conversation.json", target / "reviews" / REPO / "3.json"):
        path.unlink()
    # Pull 4 stays a pull request.
    p4 = read_json(base / "pulls" / "4.json")
    p4["body"] = restored("pull", p4["id"], p4["body"])
    write_json(base / "pulls" / "4.json", p4)
    r4 = read_json(target / "reviews" / REPO / "4.json")
    for r in r4["reviews"]:
        r["body"] = restored("review", r["id"], r["body"])
    write_json(target / "reviews" / REPO / "4.json", r4)
    # Number 5 is a placeholder.
    placeholder = issue(5, "Placeholder for #5 (not in the backup)", restored("placeholder", 5, None), state="closed")
    placeholder["state_reason"] = "not_planned"
    placeholder["labels"] = [{"name": "orgbackup-placeholder", "color": "cccccc"}]
    write_json(base / "issues" / "5.json", placeholder)
    labels = read_json(base / "labels" / "labels.json")
    labels.append({"id": 99, "name": "orgbackup-placeholder", "color": "cccccc", "description": "Restored gap"})
    write_json(base / "labels" / "labels.json", labels)
    release = read_json(base / "releases" / "v1.0.json")
    release["body"] = restored("release", 1, release["body"])
    write_json(base / "releases" / "v1.0.json", release)
    repository = read_json(target / "settings" / REPO / "repository.json")
    repository["id"] = 77777
    repository["topics"] = sorted(repository["topics"])
    write_json(target / "settings" / REPO / "repository.json", repository)
