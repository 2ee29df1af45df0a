"""truth.json (tests/github_emulator/truth.py): it holds the metadata; the write side leaves it
stale and it is rebuilt when read, and a stopped emulator leaves it fresh."""

from __future__ import annotations

import json

import requests

from tests.github_emulator import truth
from tests.github_emulator.builder import ORG


def test_truth_holds_the_metadata(world_root):
    t = truth(world_root)["orgs"][ORG]
    assert set(t) >= {"repos", "organization", "projects", "attachments"}
    org = t["organization"]
    assert org["members"] == {"alice": "admin", "bob": "member", "carol": "member"}
    assert org["outside_collaborators"] == ["dave"] and org["hooks"] == 2
    assert org["teams"]["rendering"]["parent"] == "engineering"
    assert org["teams"]["engineering"]["repos"]["godot"] == "write"
    assert set(t["projects"]) == {"1", "2"}
    roadmap = t["projects"]["1"]
    assert roadmap["fields"]["Status"] == ["Todo", "In Progress", "Done"]
    assert {i["type"] for i in roadmap["items"]} == {"ISSUE", "PULL_REQUEST", "DRAFT_ISSUE"}
    assert roadmap["items"][0]["values"]["Sprint"] == "Sprint 1"
    godot = t["repos"]["godot"]
    assert set(godot) >= {"discussions", "reviews", "commit_comments", "settings"}
    assert len(godot["discussions"]) == 4 and min(int(n) for n in godot["discussions"]) > 130
    answered = [d for d in godot["discussions"].values() if d["answer_body"]]
    assert len(answered) == 1 and answered[0]["category"] == "q-a"
    assert any(c["replies"] for d in godot["discussions"].values() for c in d["comments"])
    assert {r["state"] for rs in godot["reviews"].values() for r in rs} == {"APPROVED", "CHANGES_REQUESTED",
                                                                            "COMMENTED"}
    s = godot["settings"]
    assert s["has_discussions"] is True and s["protected_branches"] == ["main"]
    assert s["rulesets"] == ["Release tags", "Protect default branches"]
    assert t["repos"]["godot-fork"]["settings"]["rulesets"] == ["Protect default branches"]
    assert s["teams"] == {"engineering": "write", "rendering": "maintain"}
    assert s["environments"]["production"]["variables"] == {"DEPLOY_URL": "https://deploy.v-sekai.invalid"}
    assert t["repos"]["v-sekai.github.io"]["settings"]["pages"] == "main"
    docs = t["repos"]["docs"]
    assert docs["discussions"] == {} and docs["reviews"] == {} and docs["settings"]["collaborators"] == {}


def test_stop_leaves_a_fresh_truth_json(github_world_template, tmp_path):
    from tests.github_emulator import start
    from tests.github_emulator.store import copy_world, truth_is_stale

    root = copy_world(github_world_template, tmp_path / "world")
    with start(root) as em:
        session = requests.Session()
        session.trust_env = False
        r = session.post(f"{em.api_url}/repos/{ORG}/game/issues", json={"title": "late"}, verify=str(em.ca_file),
                         headers={"Authorization": f"token {em.admin_token}"}, timeout=30)
        assert r.status_code == 201
        assert truth_is_stale(root)
    assert not truth_is_stale(root)
    issues = json.loads((root / "truth.json").read_text())["orgs"][ORG]["repos"]["game"]["issues"]
    assert str(r.json()["number"]) in issues
