"""restore-to-github against the emulator: the round trip, a stop and a kill, a repository
that exists, the dry run, bad input (real git, git-lfs, restic and the emulator's write side).

The round trip: back up V-Sekai, restore it into the empty V-Sekai-Restored, back that up, restore
both snapshots and compare them (tests/backup_compare.py): refs of every repository and wiki, LFS
objects, labels, milestones, every issue and pull request by number with title, body, state and
comment texts, release assets by sha256, settings.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from orgbackup.cli import main
from orgbackup.actions.restore_to_github.restore_state import state_path
from tests.support.backup_compare import differences, summary
from tests.support.discussion_compare import discussion_counts, discussion_differences, discussions_of
from tests.github_emulator.mutate import (add_discussion, add_discussion_category, add_issue, add_org, create_wiki,
                                          delete_issue)
from tests.support.cli import ORG, restore, snapshots
from tests.support.paths import ROOT

TARGET = "V-Sekai-Restored"
WIKIS = ("docs", "v-sekai.github.io")


@pytest.fixture
def restore_env(backup_env, github_emulator, world_root):
    """backup_env with a target organization and no pacing (the pacer has its own test)."""
    add_org(world_root, TARGET)
    # A gap in godot's numbers: the restore fills it with a closed placeholder.
    delete_issue(world_root, ORG, "godot", 5)
    return dict(backup_env, RESTORE_REQUESTS_PER_MINUTE="100000", RESTORE_REQUESTS_PER_HOUR="1000000")


def run(env: dict, *args: str, capsys=None) -> tuple[int, dict | None, str]:
    status = main(list(args), environ=env)
    out = capsys.readouterr().out if capsys else ""
    print(out)
    last = out.strip().splitlines()[-1] if out.strip() else ""
    return status, (json.loads(last) if last.startswith("{") else None), out


def to_github(env: dict, capsys, *extra: str):
    return run(env, "restore-to-github", "--org", ORG, "--to-org", TARGET, *extra, capsys=capsys)


def backup_org(env: dict, org: str, capsys) -> None:
    status, summary_line, _ = run(dict(env, GITHUB_ORGS=org), "backup", capsys=capsys)
    assert status == 0, summary_line


def newest_tree(env: dict, org: str, target: Path) -> Path:
    snap = [s for s in snapshots(env) if f"org:{org}" in s["tags"]][-1]
    restore(env, snap["id"], target)
    return target / org


def target_issues(emulator, name: str) -> list[dict]:
    url = f"{emulator.api_url}/repos/{TARGET}/{name}/issues"
    out, page = [], 1
    while True:
        got = requests.get(url, params={"state": "all", "per_page": 100, "page": page},
                           headers={"Authorization": f"token {emulator.admin_token}"}, timeout=30).json()
        out += got
        if len(got) < 100:
            return out
        page += 1


def test_round_trip_restores_the_organization(restore_env, github_emulator, world_root, tmp_path, capsys):
    env = restore_env
    # godot's discussions #131-#134 (Q&A, General) and #135 in a category of its own, which a new
    # repository lacks; then issue #136: the discussions are gaps among the issues, made in their place.
    add_discussion_category(world_root, ORG, "godot", "Proposals")
    add_discussion(world_root, ORG, "godot", "Rewrite the renderer", "In Rust.", "proposals", ("+1", "-1"))
    assert add_issue(world_root, ORG, "godot", "Filed after the discussions")["number"] == 136
    backup_org(env, ORG, capsys)

    # --dry-run: counts and requests, nothing created.
    github_emulator.reset_counters()
    status, plan, out = to_github(env, capsys, "--dry-run")
    assert status == 0
    assert github_emulator.counters()["writes"] == 0 and github_emulator.content_created() == 0
    assert plan["planned"]["placeholders"] == 1 and plan["planned"]["repository"] == 10
    assert {k: plan["planned"][k] for k in ("discussions", "discussion_comments", "discussion_replies", "answers")} == {
        "discussions": 5, "discussion_comments": 6, "discussion_replies": 3, "answers": 1}
    assert "5 discussions, " in out and "3 discussion replies" in out
    assert plan["content_requests"] > 300 and "godot" in out and "nothing is created" in out
    # In words people read: 1 comment, 10 repositories, a pace without 5 decimals.
    total = next(line for line in out.splitlines() if line.startswith("  total: "))
    assert "10 repositories" in total and "1 repository" not in total, total
    game = next(line for line in out.splitlines() if line.lstrip().startswith("game "))
    assert "1 comment, 1 issue, 1 label, 1 repository" in game, game
    assert re.search(r"at \d+(\.\d)? a minute \(RESTORE_REQUESTS_PER_MINUTE/_PER_HOUR\)", out), out
    assert requests.get(f"{github_emulator.api_url}/orgs/{TARGET}/repos",
                        headers={"Authorization": f"token {github_emulator.admin_token}"}, timeout=30).json() == []

    # First run: everything but the two wikis (GitHub has no API that makes a wiki's repository).
    started = time.monotonic()
    status, first, out = to_github(env, capsys)
    seconds = time.monotonic() - started
    assert status == 3, first
    assert sorted(p.split(":")[0] for p in first["problems"]) == sorted(WIKIS + ("godot",))
    assert all("save a page" in p for p in first["problems"] if not p.startswith("godot"))
    # GitHub's API makes no discussion category: the discussion waits for a person to make it.
    waiting = next(p for p in first["problems"] if p.startswith("godot"))
    assert "1 discussion in category 'Proposals' not created" in waiting and "run the same command again" in waiting
    assert first["created"]["placeholders"] == 2  # #5, and #135 (its discussion could not be made there)
    assert first["created"]["discussions"] == 4 and first["created"]["discussion settings"] == 1
    assert first["created"]["discussion comments"] == 4 and first["created"]["discussion replies"] == 3
    assert first["notices"] == []  # discussions turned on (GraphQL): nothing left to say about has_discussions
    for name in WIKIS:
        create_wiki(world_root, TARGET, name)  # the person opens each wiki once
    add_discussion_category(world_root, TARGET, "godot", "Proposals")  # and makes the category
    status, second, out = to_github(env, capsys)
    assert status == 0, second
    assert second["created"] == {"wiki refs": 2, "discussions": 1, "discussion comments": 2}, second
    assert second["notices"] == ["godot: discussions share the issues' numbers and GitHub chose these: #135 is #137"]
    print(f"restore: {seconds:.1f} s, {first['api_requests']} + {second['api_requests']} API requests")

    backup_org(env, TARGET, capsys)
    source = newest_tree(env, ORG, tmp_path / "source")
    copy = newest_tree(env, TARGET, tmp_path / "copy")
    assert differences(source, copy) == []
    figures = summary(source)
    print("round trip equal:", figures)
    # Discussions item by item: title, body without the restore's header, category, comments and
    # replies in order, the answer, closed and locked; numbers kept but for #135's.
    assert discussion_differences(source, copy, ["godot"]) == []
    before, after = discussion_counts(source), discussion_counts(copy)
    print("discussions before:", before, "after:", after)
    assert before == after and before["discussions"] == 5 and before["answers"] == 1 and before["locked"] == 1
    assert sorted(discussions_of(copy, "godot")) == [131, 132, 133, 134, 137]
    assert figures["issues"] > 100 and figures["lfs_objects"] >= 4 and figures["assets"] >= 3

    # The placeholder of the deleted #5 is closed and labelled.
    five = json.loads((copy / "github-backup/repositories/godot/issues/5.json").read_text())
    assert five["title"].startswith("Placeholder for #5") and five["state"] == "closed"
    assert [label["name"] for label in five["labels"]] == ["orgbackup-placeholder"]


def restore_process(env: dict, *extra: str) -> subprocess.Popen:
    child_env = dict(os.environ, **env, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, str(ROOT / "entrypoint.py"), "restore-to-github", "--org", ORG,
                             "--to-org", TARGET, "--repo", "godot", *extra], env=child_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_writes(emulator, count: int, proc: subprocess.Popen, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while emulator.counters()["writes"] < count:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the restore made too few writes"
        time.sleep(0.05)


def assert_no_duplicates(emulator, source: Path) -> None:
    """Every number once, and no item with more comments than the backup has."""
    issues = target_issues(emulator, "godot")
    numbers = sorted(i["number"] for i in issues)
    assert numbers == list(range(1, len(numbers) + 1))
    folder = source / "github-backup/repositories/godot"
    for issue in issues:
        original = folder / "issues" / f"{issue['number']}.json"
        if original.is_file():
            assert issue["comments"] == len(json.loads(original.read_text())["comment_data"]), issue["number"]


def test_a_stop_and_a_kill_then_reruns_create_nothing_twice(restore_env, github_emulator, tmp_path, capsys):
    env = dict(restore_env, RESTORE_REQUESTS_PER_MINUTE="1200")  # 20 writes a second: time to stop it
    backup_org(env, ORG, capsys)

    # SIGTERM: a clean stop between two writes, exit 130, one line saying how to go on.
    github_emulator.reset_counters()
    proc = restore_process(env)
    wait_for_writes(github_emulator, 40, proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()[-2000:]
    assert "run the same command again" in err.decode()
    stopped_at = github_emulator.counters()["writes"]
    assert stopped_at < 200  # it stopped, it did not finish

    # SIGKILL: no chance to record anything more; the pending row is checked on GitHub.
    proc = restore_process(env)
    wait_for_writes(github_emulator, stopped_at + 40, proc)
    proc.kill()
    proc.communicate(timeout=60)

    status, last, _ = run(dict(env, RESTORE_REQUESTS_PER_MINUTE="100000"), "restore-to-github", "--org", ORG,
                          "--to-org", TARGET, "--repo", "godot", capsys=capsys)
    assert status == 0, last
    source = newest_tree(env, ORG, tmp_path / "source")
    assert_no_duplicates(github_emulator, source)

    backup_org(env, TARGET, capsys)
    copy = newest_tree(env, TARGET, tmp_path / "copy")
    assert differences(source, copy, repos=["godot"]) == []


def target_discussions(world_root: Path) -> list[dict]:
    """The target godot's discussions as the emulator holds them now (world.json, replaced atomically)."""
    world = json.loads((world_root / "world.json").read_text())
    return ((world["orgs"].get(TARGET) or {}).get("repos", {}).get("godot") or {}).get("discussions") or []


def test_a_kill_during_the_discussions_then_reruns_create_none_twice(restore_env, github_emulator, world_root,
                                                                    tmp_path, capsys):
    env = restore_env
    backup_org(env, ORG, capsys)
    proc = restore_process(env)
    deadline = time.monotonic() + 180
    while not target_discussions(world_root):  # the issues first, at full speed
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the restore made no discussion"
        time.sleep(0.02)
    github_emulator.set_faults(latency_ms=150)  # slowed down, to be killed in the middle of the discussions
    while len(target_discussions(world_root)) < 2 or not target_discussions(world_root)[1]["comments"]:
        assert proc.poll() is None, "the restore ended before it could be killed among the discussions"
        time.sleep(0.02)
    proc.kill()
    proc.communicate(timeout=60)
    github_emulator.set_faults()
    made = target_discussions(world_root)
    assert 2 <= len(made) < 4, [d["title"] for d in made]  # killed among them

    status, last, _ = run(env, "restore-to-github", "--org", ORG, "--to-org", TARGET, "--repo", "godot",
                          capsys=capsys)
    assert status == 0, last
    titles = [d["title"] for d in target_discussions(world_root)]
    assert len(titles) == len(set(titles)) == 4, titles

    # The state a kill leaves between a create and its record, for every discussion, comment and reply:
    # each found on GitHub by its marker, none made again.
    db = sqlite3.connect(state_path(Path(env["BACKUP_CACHE_DIR"])))
    kinds = "('discussion', 'discussion-comment', 'discussion-reply')"
    rows = db.execute(f"SELECT count(*) FROM created WHERE kind IN {kinds}").fetchone()[0]
    assert rows == 4 + 4 + 3
    db.execute(f"UPDATE created SET status='pending', target=NULL WHERE kind IN {kinds}")
    db.execute("DELETE FROM created WHERE kind='finished'")
    db.commit()
    db.close()
    github_emulator.reset_counters()
    status, last, _ = run(env, "restore-to-github", "--org", ORG, "--to-org", TARGET, "--repo", "godot",
                          capsys=capsys)
    assert status == 0, last
    assert last["adopted"] == rows and last["created_now"] == 0, last
    assert github_emulator.counters()["writes"] == 0  # no POST, no mutation

    source = newest_tree(env, ORG, tmp_path / "source")
    assert_no_duplicates(github_emulator, source)
    backup_org(env, TARGET, capsys)
    copy = newest_tree(env, TARGET, tmp_path / "copy")
    assert discussion_differences(source, copy, ["godot"]) == []
    assert discussion_counts(copy) == discussion_counts(source)


def test_a_pending_row_is_found_on_github_not_created_again(restore_env, github_emulator, tmp_path, capsys):
    """The state a kill leaves between a create and its record: the row says pending, the comment exists."""
    env = restore_env
    backup_org(env, ORG, capsys)
    assert to_github(env, capsys, "--repo", "game")[0] == 0
    db = sqlite3.connect(state_path(Path(env["BACKUP_CACHE_DIR"])))
    rows = db.execute("SELECT kind, key FROM created WHERE kind IN ('issue-comment', 'item')").fetchall()
    assert rows, "the restore recorded nothing"
    db.execute("UPDATE created SET status='pending', target=NULL WHERE kind IN ('issue-comment', 'item')")
    db.execute("DELETE FROM created WHERE kind='finished'")
    db.commit()
    db.close()
    before = github_emulator.counters()["writes"]
    status, last, _ = to_github(env, capsys, "--repo", "game")
    assert status == 0, last
    assert last["adopted"] == len(rows) and last["created_now"] == 0
    writes = github_emulator.counters()["writes"] - before
    assert writes <= 1, f"{writes} writes (only the settings PATCH may be sent again)"
    issues = target_issues(github_emulator, "game")
    assert [i["comments"] for i in issues] == [1]


def test_an_existing_repository_is_left_alone_and_named(restore_env, github_emulator, capsys):
    env = restore_env
    backup_org(env, ORG, capsys)
    headers = {"Authorization": f"token {github_emulator.admin_token}"}
    made = requests.post(f"{github_emulator.api_url}/orgs/{TARGET}/repos", json={"name": "game"},
                         headers=headers, timeout=30)
    assert made.status_code == 201
    requests.post(f"{github_emulator.api_url}/repos/{TARGET}/game/issues", json={"title": "someone's own"},
                  headers=headers, timeout=30).raise_for_status()

    status, last, out = to_github(env, capsys, "--repo", "game", "--repo", "shared-lib")
    assert status == 3
    assert last["left_alone"] == ["game"] and last["restored"] == 1
    assert "game" in out and "already exists and was not created by this restore: left alone" in out
    issues = target_issues(github_emulator, "game")
    assert [i["title"] for i in issues] == ["someone's own"]  # untouched
    refs = subprocess.run(["git", "ls-remote", f"https://{github_emulator.host}/{TARGET}/game.git"],
                          capture_output=True, text=True, env=dict(os.environ, GIT_TERMINAL_PROMPT="0"))
    assert refs.stdout.strip() == ""  # nothing pushed into it
    # A rerun leaves it alone again (the restore's state never claims it).
    assert to_github(env, capsys, "--repo", "game")[0] == 3


BAD_INPUTS = [
    (["--to-org", "No-Such-Org"], "there is no organization No-Such-Org"),
    (["--to-org", ORG], "must be another organization"),
    (["--to-org", TARGET, "--repo", "nope"], "nope not in the snapshot"),
    (["--to-org", "bad/name"], "is not an organization name"),
]


def test_bad_input_is_one_line_and_exit_2(restore_env, github_emulator, capsys, caplog):
    """Each bad input against one backup (a backup each would cost a minute of CI for nothing)."""
    env = restore_env
    backup_org(env, ORG, capsys)
    for args, words in BAD_INPUTS:
        caplog.clear()
        github_emulator.reset_counters()
        status = main(["restore-to-github", "--org", ORG, *args], environ=env)
        assert status == 2, args
        assert words in caplog.text, args
        assert github_emulator.counters()["writes"] == 0, args


def without_urls(value):
    if isinstance(value, dict):
        return {k: without_urls(v) for k, v in value.items() if not k.endswith("url")}
    if isinstance(value, list):
        return [without_urls(v) for v in value]
    return value


def test_with_access_restores_protection_and_collaborators(restore_env, github_emulator, tmp_path, capsys):
    env = restore_env
    backup_org(env, ORG, capsys)
    status, plain, _ = to_github(env, capsys, "--repo", "shared-lib")
    assert status == 0 and "protections" not in plain["created"] and "collaborators" not in plain["created"]
    status, last, _ = to_github(env, capsys, "--repo", "godot", "--with-access")
    assert status == 0, last
    assert last["created"]["protections"] == 1 and last["created"]["collaborators"] == 3
    backup_org(env, TARGET, capsys)
    source = newest_tree(env, ORG, tmp_path / "source") / "settings" / "godot"
    copy = newest_tree(env, TARGET, tmp_path / "copy") / "settings"
    protection = json.loads((source / "branch-protection.json").read_text())
    assert protection, "the world protects a branch of godot"
    assert without_urls(json.loads((copy / "godot" / "branch-protection.json").read_text())) == without_urls(protection)

    def people(folder):
        return sorted((p["login"], p["role_name"]) for p in json.loads((folder / "collaborators.json").read_text()))
    assert people(copy / "godot") == people(source)
    assert json.loads((copy / "shared-lib" / "collaborators.json").read_text()) == []


def test_a_refused_optional_field_is_dropped_and_the_create_sent_again(github_emulator, tmp_path):
    """GitHub refuses some creates for one field alone (a draft on a plan without drafts, an assignee
    it will not take, a release's deleted target branch): sent again without it (a real 422 here:
    a milestone that does not exist)."""
    import threading

    from orgbackup.github.api import GitHubAPI
    from orgbackup.actions.restore_to_github.repository import RepositoryRestore
    from orgbackup.actions.restore_to_github.restore_state import RestoreState
    from orgbackup.actions.restore_to_github.writer import Pacer, Progress, TargetWriter, WriteRefused

    api = GitHubAPI(github_emulator.api_url, github_emulator.admin_token)
    writer = TargetWriter(api, RestoreState(tmp_path / "s.sqlite3", github_emulator.host, ORG),
                          Pacer(1000, 100000, threading.Event()), Progress(10, 1000))
    restore = RepositoryRestore.__new__(RepositoryRestore)
    restore.w, restore.name = writer, "game"
    restore.target = type("T", (), {"org": ORG})()
    body = {"title": "with a milestone GitHub refuses", "milestone": 999}
    with pytest.raises(WriteRefused):
        restore.write_dropping("POST", f"repos/{ORG}/game/issues", body, (), what="t")
    made = restore.write_dropping("POST", f"repos/{ORG}/game/issues", body, ("milestone",), what="t")
    assert made["title"] == body["title"] and made["milestone"] is None


def test_a_repository_github_refuses_is_named_and_the_others_restored(restore_env, github_emulator, capsys):
    """A 422 from the create (a name or a setting GitHub will not take) is that repository's problem:
    before, it escaped the restore ("unexpected error", none after it restored); now the others are
    restored, it is named, and the restore exits 3 (incomplete)."""
    env = restore_env
    backup_org(env, ORG, capsys)
    github_emulator.set_faults(refuse_repository_creates=["game"])
    status, last, out = to_github(env, capsys, "--repo", "shared-lib", "--repo", "game", "--repo", "private-tools")
    assert status == 3, out
    assert last["restored"] == 2 and last["repositories"] == 3
    assert [p.split(":")[0] for p in last["problems"]] == ["game"]
    assert "repository not created: HTTP 422" in last["problems"][0]
    headers = {"Authorization": f"token {github_emulator.admin_token}"}
    names = sorted(r["name"] for r in requests.get(f"{github_emulator.api_url}/orgs/{TARGET}/repos",
                                                    headers=headers, timeout=30).json())
    assert names == ["private-tools", "shared-lib"]
    private = requests.get(f"{github_emulator.api_url}/repos/{TARGET}/private-tools", headers=headers, timeout=30)
    assert private.json()["private"] is True
    # GitHub takes it again: the rerun restores it (the refused create left nothing behind).
    github_emulator.set_faults()
    status, last, _ = to_github(env, capsys, "--repo", "shared-lib", "--repo", "game", "--repo", "private-tools")
    assert status == 0, last
    assert last["created"]["repository"] == 1


def test_a_half_uploaded_asset_is_uploaded_again_under_githubs_name(restore_env, github_emulator, world_root,
                                                                   capsys):
    """After a 502 GitHub may keep a half-done asset (state "starter"): it is deleted and sent again,
    found by the name GitHub gave it ("my file (1).zip" is "my.file.1.zip" there). Before, the
    starter asset was adopted as if whole, and the one whose name GitHub renamed was not found and
    sent again into a 422 already_exists."""
    from tests.github_emulator.mutate import add_release
    whole, spaced = os.urandom(50_000), os.urandom(30_000)
    add_release(world_root, ORG, "shared-lib", "v9.0", {"whole.bin": whole, "my file (1).zip": spaced})
    env = restore_env
    backup_org(env, ORG, capsys)
    github_emulator.set_faults(asset_upload_starter=["whole.bin", "my file (1).zip"])
    status, last, out = to_github(env, capsys, "--repo", "shared-lib")
    assert status == 0, out
    assert last["created"]["assets"] == 2
    headers = {"Authorization": f"token {github_emulator.admin_token}"}
    release = next(r for r in requests.get(f"{github_emulator.api_url}/repos/{TARGET}/shared-lib/releases",
                                           headers=headers, timeout=30).json() if r["tag_name"] == "v9.0")
    assets = {a["name"]: (a["state"], a["size"]) for a in release["assets"]}
    assert assets == {"whole.bin": ("uploaded", len(whole)), "my.file.1.zip": ("uploaded", len(spaced))}
