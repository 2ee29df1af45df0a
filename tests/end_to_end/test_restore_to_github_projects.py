"""restore-to-github's projects (v2) against the emulator: a kill while a project's items are made,
a rerun, then every projects row of the state made pending (a kill between each create and its
record) and a rerun: no project, field or item twice, and the copy's projects as the original's;
items the restore cannot make (another organization's issue, one hidden from the backup) named.
The round trip's comparison of projects is in test_restore_to_github.py.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from tests.github_emulator.builder import UPSTREAM
from tests.github_emulator.mutate import add_issue, write_world
from tests.github_emulator.scenario_metadata import draft_issue, project_item
from tests.support.cli import ORG
from tests.support.project_compare import project_counts, project_differences
from tests.support.restore_to_github import (TARGET, as_a_kill_leaves, backup_org, newest_tree, remove_deploy_keys,
                                             restore_process, run, wait_until)

DRAFTS = 30  # more drafts in the roadmap: time to kill the restore among its items


def add_roadmap_drafts(root: Path, count: int) -> None:
    """`count` drafts in V-Sekai's project 1, each with a Status and a note."""
    def change(b):
        project = next(p for p in b.world["orgs"][ORG]["projects"] if p["number"] == 1)
        fields = {f["name"]: f for f in project["fields"]}
        options = [o["id"] for o in fields["Status"]["options"]]
        for k in range(count):
            project["items"].append(project_item(
                b, "DRAFT_ISSUE", draft_issue(b, f"Idea {k + 1}", f"Worth trying, #{k + 1}", "alice"),
                {fields["Status"]["id"]: options[k % len(options)], fields["Notes"]["id"]: f"note {k + 1}"}))
    write_world(root, change)


def target_projects(world_root: Path) -> list[dict]:
    """The target's projects as the emulator holds them now (world.json, replaced atomically)."""
    world = json.loads((world_root / "world.json").read_text())
    return (world["orgs"].get(TARGET) or {}).get("projects") or []


def duplicates(world_root: Path) -> list[str]:
    """Projects of one title, fields of one name in a project, items of one content in a project."""
    found = []
    projects = target_projects(world_root)
    found += [f"project {t!r} {n} times" for t, n in Counter(p["title"] for p in projects).items() if n > 1]
    for p in projects:
        found += [f"{p['title']}: field {name!r} {n} times"
                  for name, n in Counter(f["name"] for f in p["fields"]).items() if n > 1]
        contents = Counter(json.dumps({k: v for k, v in i["content"].items() if k not in ("id", "creator")},
                                      sort_keys=True) for i in p["items"])
        found += [f"{p['title']}: item {c} {n} times" for c, n in contents.items() if n > 1]
    return found


def test_a_kill_among_the_project_items_then_reruns_make_none_twice(restore_env, github_emulator, world_root,
                                                                    tmp_path, capsys):
    env = restore_env
    add_roadmap_drafts(world_root, DRAFTS)
    backup_org(env, ORG, capsys)
    # GitHub takes godot's deploy keys again only once the original lets them go: then the last rerun
    # below sends nothing at all.
    remove_deploy_keys(world_root, ORG, "godot", {"ci-readonly", "release-bot"})
    proc = restore_process(env)
    wait_until(lambda: target_projects(world_root), proc, 300, "the restore made no project")  # repositories first
    github_emulator.set_faults(latency_ms=150)  # slowed down, to be killed among the roadmap's items
    wait_until(lambda: len(target_projects(world_root)[0]["items"]) >= 8, proc,
               ended="the restore ended before it could be killed among the items")
    proc.kill()
    proc.communicate(timeout=60)
    github_emulator.set_faults()
    made = target_projects(world_root)
    killed_at = len(made[0]["items"])
    assert len(made) == 1 and 8 <= killed_at < 4 + DRAFTS, killed_at  # killed among them

    status, last, _ = run(env, "restore-to-github", "--org", ORG, "--to-org", TARGET, capsys=capsys)
    assert status == 3, last  # the wikis wait for a person, as in the round trip
    assert not [p for p in last["problems"] if p.startswith("(organization)")], last["problems"]
    assert duplicates(world_root) == []
    assert [len(p["items"]) for p in target_projects(world_root)] == [4 + DRAFTS, 2]

    # The state a kill leaves between a create and its record, for every project, field, item, value and
    # archiving: each found on GitHub as it is, none made or sent again.
    rows = as_a_kill_leaves(env, "kind LIKE 'project%'")
    assert rows["project"] == 2 and rows["project-item"] == 6 + DRAFTS and rows["project-field"] == 6, rows
    github_emulator.reset_counters()
    status, last, _ = run(env, "restore-to-github", "--org", ORG, "--to-org", TARGET, capsys=capsys)
    assert status == 3, last
    assert last["adopted"] == sum(rows.values()) and last["created_now"] == 0, (rows, last)
    assert github_emulator.counters()["writes"] == 0  # no POST, no mutation
    assert duplicates(world_root) == []

    source = newest_tree(env, ORG, tmp_path / "source")
    backup_org(env, TARGET, capsys)
    copy = newest_tree(env, TARGET, tmp_path / "copy")
    print(f"killed with {killed_at} of {4 + DRAFTS} roadmap items made; state rows: {rows}")
    print("projects, source -> copy:", project_counts(source), project_counts(copy))
    assert project_differences(source, copy) == []
    assert project_counts(source)["items"] == project_counts(copy)["items"] == 6 + DRAFTS


def test_items_of_another_organization_or_hidden_from_the_backup_are_named(restore_env, github_emulator, world_root,
                                                                          tmp_path, capsys):
    env = restore_env
    upstream = add_issue(world_root, UPSTREAM, "libfoo", "Upstream bug")

    def change(b):
        website = next(p for p in b.world["orgs"][ORG]["projects"] if p["number"] == 2)
        another = {"owner": UPSTREAM, "repo": "libfoo", "number": upstream["number"]}
        website["items"] += [project_item(b, "ISSUE", another, {}),
                             project_item(b, "ISSUE", {"repo": "deleted-since", "number": 1}, {})]  # no such repository
    write_world(world_root, change)
    backup_org(env, ORG, capsys)
    source = newest_tree(env, ORG, tmp_path / "source")
    website = json.loads((source / "projects/2.json").read_text())
    assert [(i["content"] or {}).get("repository") for i in website["items"]][-2:] == [f"{UPSTREAM}/libfoo", None]

    for _ in range(2):  # the same lines again on a rerun, nothing made twice
        status, last, _ = run(env, "restore-to-github", "--org", ORG, "--to-org", TARGET, capsys=capsys)
        assert status == 3, last
        named = [p for p in last["problems"] if p.startswith("(organization)")]
        assert named == [
            f"(organization): project 2: item {UPSTREAM}/libfoo#{upstream['number']} not added: its repository is "
            f"not one of the restored organization's",
            "(organization): project 2: an item the backup could not see (its content was hidden from the backup's "
            "token) not restored"], named
        assert [len(p["items"]) for p in target_projects(world_root)] == [4, 2]
        assert duplicates(world_root) == []
