"""tests/support/backup_compare.py: the round trip's comparison of two restored organizations.

A small organization tree is built at run time (tests/support/backup_trees.py: real git clones,
an LFS object, JSON files in github-backup's shapes); its "re-creation" is a copy rewritten the
way restore-to-github writes it (provenance headers on bodies, a pull request come back as an
issue, a placeholder issue for a gap in the numbers, the placeholder label). That pair must
compare equal; each change made to the target afterwards must give a difference naming the
repository and the thing (the header's rule alone: tests/unit/support/test_backup_compare.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.backup_compare import differences, summary
from tests.support.backup_trees import (ASSET_BYTES, LFS_OID, REPO, build_source, git, issue, make_target,
                                        read_json, restored, write_json)


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
