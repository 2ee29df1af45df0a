"""A day of activity and the other changes to a world (tests/github_emulator/mutate.py): the truth
and what is served change together; a rename or a delete carries the references."""

from __future__ import annotations

import hashlib
import json
import re

import requests

from tests.github_emulator import mutate, truth
from tests.github_emulator.builder import ORG
from tests.support.emulator_client import ATTACHMENT, api, git, ok


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


def test_mutate_changes_the_metadata_and_what_is_served(github_emulator, world_root):
    em = github_emulator
    before = truth(world_root)["orgs"][ORG]
    reviews_before = len(ok(em, f"/repos/{ORG}/godot/pulls/7/reviews"))
    after = mutate(world_root)["orgs"][ORG]
    godot_b, godot_a = before["repos"]["godot"], after["repos"]["godot"]
    new = set(godot_a["discussions"]) - set(godot_b["discussions"])
    assert len(new) == 1
    numbers = set(godot_a["issues"]) | set(godot_a["pulls"])
    assert not numbers & set(godot_a["discussions"])                  # one number sequence
    first = min(godot_b["discussions"], key=int)
    assert len(godot_a["discussions"][first]["comments"][0]["replies"]) == \
        len(godot_b["discussions"][first]["comments"][0]["replies"]) + 1
    assert len(godot_a["reviews"]["7"]) == len(godot_b["reviews"]["7"]) + 1
    assert len(godot_a["commit_comments"]) == 4 and "user-attachments" in godot_a["commit_comments"][-1]
    assert godot_a["settings"]["collaborators"]["carol"] == "write"
    assert after["repos"]["docs"]["settings"]["description"] != before["repos"]["docs"]["settings"]["description"]
    assert after["organization"]["teams"]["engineering"]["members"]["carol"] == "member"
    assert "DAY_1" in after["organization"]["variables"]
    assert len(after["projects"]["1"]["items"]) == len(before["projects"]["1"]["items"]) + 1
    assert after["projects"]["1"]["items"][0]["values"]["Status"] == "Done"
    assert len(after["attachments"]) == len(before["attachments"]) + 1

    assert len(ok(em, f"/repos/{ORG}/godot/pulls/7/reviews")) == reviews_before + 1
    assert "carol" in {p["login"] for p in ok(em, f"/repos/{ORG}/godot/collaborators", em.admin_token)}
    docs = ok(em, f"/repos/{ORG}/docs")
    assert docs["description"].startswith("Documentation (edited") and docs["updated_at"] > docs["pushed_at"]
    assert "DAY_1" in {v["name"] for v in ok(em, f"/orgs/{ORG}/actions/variables", em.admin_token)["variables"]}
    newest = ok(em, f"/repos/{ORG}/godot/comments")[-1]
    url = ATTACHMENT.search(newest["body"]).group(0)
    key = re.search(r"[0-9a-f-]{36}", url).group(0)
    assert hashlib.sha256(requests.get(url, timeout=30).content).hexdigest() == after["attachments"][key]


def test_rename_and_delete_carry_the_references(world_root):
    from tests.github_emulator.mutate import delete_repo, rename_repo
    rename_repo(world_root, ORG, "docs", "handbook")
    rename_repo(world_root, ORG, "private-tools", "internal-tools")
    delete_repo(world_root, ORG, "game")
    t = truth(world_root)["orgs"][ORG]
    assert t["organization"]["teams"]["docs-team"]["repos"] == {"handbook": "admin", "v-sekai.github.io": "triage"}
    assert "game" not in t["organization"]["teams"]["engineering"]["repos"]
    assert [i["title"] for i in t["projects"]["2"]["items"]][0] == "Typo"              # handbook#1
    assert "Game crashes on start" not in [i["title"] for i in t["projects"]["1"]["items"]]
    world = json.loads((world_root / "world.json").read_text())
    assert f"{ORG}/internal-tools" in {a["repo"] for a in world["attachments"].values()}
    rename_repo(world_root, ORG, "handbook", "docs")
    mutate(world_root)                                  # game is gone: the day goes on without it


def test_a_pull_request_merged_and_its_head_branch_deleted(github_emulator, world_root):
    from tests.github_emulator.mutate import delete_branch, merge_pull
    em = github_emulator
    before = ok(em, f"/repos/{ORG}/godot/pulls/15")
    assert before["state"] == "open" and not before["merged"]
    merge = merge_pull(world_root, ORG, "godot", 15)
    after = ok(em, f"/repos/{ORG}/godot/pulls/15")
    assert after["merged"] and after["state"] == "closed" and after["merge_commit_sha"] == merge
    assert after["head"]["ref"] == "feature/pr-15" and after["head"]["sha"] == before["head"]["sha"]
    heads = git("ls-remote", "--heads", f"{em.base_url}/{ORG}/godot.git")
    assert "refs/heads/feature/pr-15" not in heads and f"{merge}\trefs/heads/main" in heads
    delete_branch(world_root, ORG, "godot", "feature/pr-11")  # closed #11's
    assert "feature/pr-11" not in git("ls-remote", "--heads", f"{em.base_url}/{ORG}/godot.git")
    assert "refs/heads/feature/pr-11" not in truth(world_root)["orgs"][ORG]["repos"]["godot"]["refs"]
