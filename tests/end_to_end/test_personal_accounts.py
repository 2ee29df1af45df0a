"""Personal accounts beside organizations (issue 31): GITHUB_USERS.

The emulator gets a person, alice, with a public and a private repository (commits, an issue, a
release) and two gists, one public with three revisions and one secret with two. The backup runs
with alice's own token for GITHUB_ORGS=V-Sekai and GITHUB_USERS=alice:
- exit 0; each account has its own snapshot (tag org:alice), restored with the product's
  `restore --org alice` and compared with the emulator's truth: both repositories (refs, issues,
  releases, the working clones), both gists (every revision a commit of the restored clone, the
  newest revision's files, gist.json's history); V-Sekai restored equal too;
- the organization's own parts are skipped for alice with the reason, not an error;
- nothing of another owner (the organizations' repositories that GET /user/repos also lists by
  default) lands in alice's folder.
A gist edited on GitHub then: the next backup holds the new revision.
Another person (bob) backed up with alice's token: his public repository and public gist, not his
private repository nor his secret gist (GitHub shows neither to another person), exit 0.
"""

from __future__ import annotations

import importlib
import json
import subprocess
from pathlib import Path

from orgbackup.cli import main
from tests.github_emulator.truth import truth
from tests.support.cli import ORG, run_backup
from tests.support.truth_compare import compare_gists, compare_org

mutate = importlib.import_module("tests.github_emulator.mutate")

USER = "alice"


def make_person(root: Path, login: str) -> dict:
    """A person with a public and a private repository and a public and a secret gist; their ids."""
    mutate.add_user(root, login)
    for name, private in (("notes", False), ("diary", True)):
        mutate.create_repo(root, login, name, private=private)
        mutate.push_files(root, login, name, {"README.md": f"{login}'s {name}\n"})
        mutate.push_files(root, login, name, {"more.txt": "a second commit\n"})
    mutate.add_issue(root, login, "notes", "An issue in a person's repository")
    mutate.add_release(root, login, "notes", "v1", {"notes.tar": b"release bytes of " + login.encode()})
    public = mutate.add_gist(root, login, "public gist", [{"a.py": "print(1)\n"}, {"a.py": "print(2)\n"},
                                                          {"b.md": "# two files\n"}])
    secret = mutate.add_gist(root, login, "secret gist", [{"s.txt": "one\n"}, {"s.txt": "two\n"}], public=False)
    return {"public": public["id"], "secret": secret["id"]}


def restore_account(env: dict, target: Path, login: str, capsys) -> Path:
    status = main(["restore", "--target", str(target), "--org", login], environ=env)
    capsys.readouterr()
    assert status == 0
    return target / login


def test_a_personal_account_beside_an_organization_restores_equal_to_truth(
        github_emulator, world_root, backup_env, tmp_path, capsys):
    gists = make_person(world_root, USER)
    token_file = tmp_path / "alice-token"
    token_file.write_text(github_emulator.add_token(USER, admin=True) + "\n")
    env = dict(backup_env, GITHUB_TOKEN_FILE=str(token_file), GITHUB_USERS=USER)

    status, summary, _ = run_backup(env, capsys)
    assert status == 0, summary
    outcomes = {o["org"]: o for o in summary["orgs"]}
    assert set(outcomes) == {ORG, USER}
    assert all(o["status"] == "complete" for o in outcomes.values()), outcomes

    expected = truth(world_root)
    person = restore_account(env, tmp_path / "restored-alice", USER, capsys)
    assert compare_org(USER, expected, person) == []
    assert sorted(p.name for p in (person / "github-backup" / "repositories").iterdir()) == ["diary", "notes"]
    assert compare_gists(USER, expected, person) == []
    assert sorted(expected["orgs"][USER]["gists"]) == sorted(gists.values())
    assert len(expected["orgs"][USER]["gists"][gists["public"]]["revisions"]) == 3
    organization = restore_account(env, tmp_path / "restored-org", ORG, capsys)
    assert compare_org(ORG, expected, organization) == []

    # gitim cloned alice's own repositories (its runner's --user mode), nothing of another owner's
    gitim_log = (Path(env["BACKUP_CACHE_DIR"]) / ".state" / USER / "gitim.log").read_text()
    assert 'Cloning "alice/notes"' in gitim_log and 'Cloning "alice/diary"' in gitim_log
    assert ORG not in gitim_log

    manifest = json.loads((person / "manifest.json").read_text())
    skipped = json.dumps(manifest).lower()
    assert "a personal account has no organization settings" in skipped
    assert not (person / "organization").exists() and not (person / "projects").exists()

    # The restore drill checks the gists too: each clone whole, holding every revision of its history.
    assert main(["verify", "--json"], environ=env) == 0
    drill = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {o["org"]: o["failed"] for o in drill["organizations"]} == {ORG: 0, USER: 0}

    # An edit of the secret gist on GitHub: the next night holds its new revision.
    new = mutate.edit_gist(world_root, USER, gists["secret"], {"s.txt": "three\n"})
    status, summary, _ = run_backup(env, capsys)
    assert status == 0, summary
    again = restore_account(env, tmp_path / "restored-alice-2", USER, capsys)
    assert compare_gists(USER, truth(world_root), again) == []
    clone = again / "gists" / gists["secret"] / "repository"
    log = subprocess.run(["git", "-C", str(clone), "log", "--format=%H"], capture_output=True, text=True,
                         check=True).stdout.split()
    assert log[0] == new and len(log) == 3


def test_another_persons_account_holds_what_github_shows_of_it(
        github_emulator, world_root, backup_env, tmp_path, capsys):
    gists = make_person(world_root, "bob")
    mutate.add_user(world_root, USER)
    token_file = tmp_path / "alice-token"
    token_file.write_text(github_emulator.add_token(USER) + "\n")
    env = dict(backup_env, GITHUB_TOKEN_FILE=str(token_file), GITHUB_ORGS="", GITHUB_USERS="bob")

    status, summary, _ = run_backup(env, capsys)
    assert status == 0, summary
    person = restore_account(env, tmp_path / "restored", "bob", capsys)
    assert sorted(p.name for p in (person / "github-backup" / "repositories").iterdir()) == ["notes"]
    assert sorted(p.name for p in (person / "gists").iterdir()) == [gists["public"]]
    gitim_log = (Path(env["BACKUP_CACHE_DIR"]) / ".state" / "bob" / "gitim.log").read_text()
    assert 'Cloning "bob/notes"' in gitim_log and "diary" not in gitim_log
    expected = truth(world_root)
    public_only = {"orgs": {"bob": {**expected["orgs"]["bob"],
                                    "repos": {"notes": expected["orgs"]["bob"]["repos"]["notes"]},
                                    "gists": {gists["public"]: expected["orgs"]["bob"]["gists"][gists["public"]]}}}}
    assert compare_org("bob", public_only, person) == []
    assert compare_gists("bob", public_only, person) == []
