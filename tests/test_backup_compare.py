"""tests/backup_compare.py: the round trip's comparison of two restored organizations.

A small organization tree is built at run time (real git clones, an LFS object, JSON files in
github-backup's shapes); its "re-creation" is a copy rewritten the way restore-to-github writes
it (provenance headers on bodies, a pull request come back as an issue, a placeholder issue for
a gap in the numbers, the placeholder label). That pair must compare equal; each change made to
the target afterwards must give a difference naming the repository and the thing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.backup_compare import differences, strip_provenance, summary

REPO = "godot"
LFS_BYTES = b"pretend this is a large texture\n"
LFS_OID = hashlib.sha256(LFS_BYTES).hexdigest()
ASSET_BYTES = b"\x7fELF pretend binary" * 50


# ------------------------------------------------------------------------ building trees

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


@pytest.fixture(scope="module")
def source_tree(tmp_path_factory) -> Path:
    org = tmp_path_factory.mktemp("source") / "acme"
    build_source(org)
    return org


@pytest.fixture(scope="module")
def target_template(source_tree, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("target-template") / "acme-restored"
    make_target(source_tree, target)
    return target


@pytest.fixture
def target(target_template, tmp_path) -> Path:
    """A private copy of the equivalent target, to change."""
    copy = tmp_path / "acme-restored"
    shutil.copytree(target_template, copy, symlinks=True)
    return copy


# ------------------------------------------------------------------------ the rules

def test_strip_provenance_follows_the_design():
    assert strip_provenance(None) == ""
    assert strip_provenance("") == ""
    assert strip_provenance("plain text\n\nmore") == "plain text\n\nmore"
    assert strip_provenance(" <!-- orgbackup:issue:1 --> x\n\nbody") == " <!-- orgbackup:issue:1 --> x\n\nbody"
    assert strip_provenance("<!-- orgbackup:issue:1 --> *@a wrote*\n\nbody") == "body"
    assert strip_provenance("<!-- orgbackup:issue:1 --> *@a wrote*\nsecond line\n\nbody\n\nmore\n") == "body\n\nmore\n"
    assert strip_provenance("<!-- orgbackup:comment:7 --> *@a wrote*\nno blank line") == ""
    assert strip_provenance("<!-- orgbackup:comment:7 --> *@a wrote*\n\n") == ""


def test_a_tree_equals_itself(source_tree):
    assert differences(source_tree, source_tree) == []


def test_the_restored_target_is_equivalent(source_tree, target_template):
    assert differences(source_tree, target_template) == []
    assert differences(source_tree, target_template, repos=[REPO]) == []


def test_summary_counts_the_source(source_tree):
    assert summary(source_tree) == {
        "repositories": 2, "refs": 4, "wiki_refs": 1, "lfs_objects": 1, "labels": 3, "milestones": 2,
        "issues": 3, "pulls": 2, "comments": 7, "releases": 1, "assets": 1,
    }


# ------------------------------------------------------------------------ changes that must show

def _base(org: Path) -> Path:
    return org / "github-backup" / "repositories" / REPO


def _edit(path: Path, change) -> None:
    data = read_json(path)
    change(data)
    write_json(path, data)


def move_branch(t):
    clone = _base(t) / "repository"
    git(clone, "update-ref", "refs/heads/develop", git(clone, "rev-parse", "refs/heads/main"))


def delete_tag(t):
    git(_base(t) / "repository", "tag", "-d", "v1.0")


def move_wiki_branch(t):
    wiki = _base(t) / "wiki"
    (wiki / "Page.md").write_text("new page\n")
    git(wiki, "add", "Page.md")
    git(wiki, "commit", "-q", "-m", "new page")


def change_manifest_ref(t):
    _edit(t / "manifest.json",
          lambda m: m["repositories"][REPO]["refs"].update({"refs/heads/develop": "0" * 40}))


def change_manifest_wiki_ref(t):
    _edit(t / "manifest.json", lambda m: m["repositories"][REPO].update(wiki=None))


def remove_lfs_object(t):
    (_base(t) / "repository" / ".git" / "lfs" / "objects" / LFS_OID[:2] / LFS_OID[2:4] / LFS_OID).unlink()


def damage_lfs_object(t):
    (_base(t) / "repository" / ".git" / "lfs" / "objects" / LFS_OID[:2] / LFS_OID[2:4] / LFS_OID).write_bytes(b"x")


def change_comment_body(t):
    _edit(_base(t) / "issues" / "1.json",
          lambda d: d["comment_data"][0].update(body=d["comment_data"][0]["body"] + " (edited)"))


def drop_comment(t):
    _edit(_base(t) / "issues" / "6.json", lambda d: d.update(comment_data=[]))


def change_converted_review(t):
    def change(d):
        for c in d["comment_data"]:
            c["body"] = c["body"].replace("Looks good.", "Looks bad.")
    _edit(_base(t) / "issues" / "3.json", change)


def change_review_body(t):
    _edit(t / "reviews" / REPO / "4.json", lambda d: d["reviews"][0].update(body=restored("review", 401, "Fine.")))


def change_title(t):
    _edit(_base(t) / "issues" / "2.json", lambda d: d.update(title="Docs typos"))


def change_body(t):
    _edit(_base(t) / "issues" / "1.json", lambda d: d.update(body=restored("issue", 1, "now a body")))


def change_pull_body_header_only(t):
    _edit(_base(t) / "pulls" / "4.json", lambda d: d.update(body="Body without a header"))


def change_state(t):
    _edit(_base(t) / "issues" / "2.json", lambda d: d.update(state="open"))


def remove_issue(t):
    (_base(t) / "issues" / "6.json").unlink()


def add_extra_issue(t):
    write_json(_base(t) / "issues" / "7.json", issue(7, "Stray issue", "not from the backup", state="closed"))


def open_placeholder(t):
    _edit(_base(t) / "issues" / "5.json", lambda d: d.update(state="open"))


def issue_as_pull(t):
    base = _base(t)
    data = read_json(base / "issues" / "6.json")
    (base / "issues" / "6.json").unlink()
    write_json(base / "pulls" / "6.json", dict(data, comment_data=[]))
    write_json(base / "pulls" / "6.conversation.json", data["comment_data"])


def change_asset_bytes(t):
    (_base(t) / "releases" / "v1.0" / "tool.bin").write_bytes(ASSET_BYTES[:-1] + b"!")


def remove_asset_file(t):
    (_base(t) / "releases" / "v1.0" / "tool.bin").unlink()


def change_release_prerelease(t):
    _edit(_base(t) / "releases" / "v1.0.json", lambda d: d.update(prerelease=True))


def remove_release(t):
    (_base(t) / "releases" / "v1.0.json").unlink()


def change_setting(t):
    _edit(t / "settings" / REPO / "repository.json", lambda d: d.update(has_wiki=False))


def change_topics(t):
    _edit(t / "settings" / REPO / "repository.json", lambda d: d.update(topics=["vr"]))


def remove_settings(t):
    (t / "settings" / REPO / "repository.json").unlink()


def change_label_color(t):
    _edit(_base(t) / "labels" / "labels.json", lambda d: d[0].update(color="000000"))


def remove_label(t):
    _edit(_base(t) / "labels" / "labels.json", lambda d: d.pop(1))


def change_milestone_due(t):
    _edit(_base(t) / "milestones" / "1.json", lambda d: d.update(due_on="2025-01-01T00:00:00Z"))


def remove_repository(t):
    shutil.rmtree(t / "github-backup" / "repositories" / "empty")


CHANGES = [
    (move_branch, "godot: refs refs/heads/develop"),
    (delete_tag, "godot: refs refs/tags/v1.0"),
    (move_wiki_branch, "godot: wiki refs refs/heads/master"),
    (change_manifest_ref, "godot: manifest refs refs/heads/develop"),
    (change_manifest_wiki_ref, "godot: manifest wiki refs refs/heads/master"),
    (remove_lfs_object, f"godot: LFS object {LFS_OID} missing"),
    (damage_lfs_object, f"godot: target LFS object {LFS_OID}: its sha256 is not its oid"),
    (change_comment_body, "godot: issue #1 comments differ"),
    (drop_comment, "godot: issue #6 comments differ"),
    (change_converted_review, "godot: pull request #3 comments differ"),
    (change_review_body, "godot: pull request #4 comments differ"),
    (change_title, "godot: issue #2 title 'Docs typo' != 'Docs typos'"),
    (change_body, "godot: issue #1 body '' != 'now a body'"),
    (change_pull_body_header_only, "godot: pull request #4 body"),
    (change_state, "godot: issue #2 state 'closed' != 'open'"),
    (remove_issue, "godot: issue #6 missing in the target"),
    (add_extra_issue, "godot: target issue #7 'Stray issue' (closed) has no source item"),
    (open_placeholder, "godot: target issue #5"),
    (issue_as_pull, "godot: issue #6 came back as a pull request"),
    (change_asset_bytes, "godot: release 'v1.0' asset 'tool.bin' sha256"),
    (remove_asset_file, "godot: release 'v1.0' asset 'tool.bin' sha256"),
    (change_release_prerelease, "godot: release 'v1.0' prerelease False != True"),
    (remove_release, "godot: release 'v1.0' missing in the target"),
    (change_setting, "godot: settings has_wiki True != False"),
    (change_topics, "godot: settings topics"),
    (remove_settings, "godot: settings/godot/repository.json missing in the target"),
    (change_label_color, "godot: label 'bug'"),
    (remove_label, "godot: label 'enhancement'"),
    (change_milestone_due, "godot: milestone '4.0' due_on"),
    (remove_repository, "empty: repository missing in the target"),
]


@pytest.mark.parametrize("change, expected", CHANGES, ids=[c.__name__ for c, _ in CHANGES])
def test_a_change_in_the_target_is_named(source_tree, target, change, expected):
    change(target)
    diffs = differences(source_tree, target)
    assert diffs, f"{change.__name__} gave no difference"
    assert any(d.startswith(expected) for d in diffs), diffs


def test_each_difference_names_only_what_changed(source_tree, target):
    change_title(target)
    change_setting(target)
    assert differences(source_tree, target) == [
        "godot: issue #2 title 'Docs typo' != 'Docs typos'",
        "godot: settings has_wiki True != False",
    ]


def test_repos_limits_the_comparison(source_tree, target):
    change_title(target)
    assert differences(source_tree, target, repos=["empty"]) == []
    assert differences(source_tree, target, repos=[REPO]) != []
    assert differences(source_tree, target, repos=["nosuch"]) == ["nosuch: repository not in the source"]


def test_placeholder_label_is_ignored_only_in_the_target(source_tree, target):
    # The target's orgbackup-placeholder label is ignored (the baseline target has one) ...
    labels = _base(target) / "labels" / "labels.json"
    assert any(label["name"] == "orgbackup-placeholder" for label in read_json(labels))
    _edit(labels, lambda d: d.pop())
    assert differences(source_tree, target) == []
    # ... but a source label of that name is compared like any other.
    source = target.parent / "source-with-placeholder-label"
    shutil.copytree(source_tree, source, symlinks=True)
    _edit(_base(source) / "labels" / "labels.json",
          lambda d: d.append({"name": "orgbackup-placeholder", "color": "cccccc", "description": "Restored gap"}))
    assert any(d.startswith("godot: label 'orgbackup-placeholder'") for d in differences(source, target))
