"""What the backup holds of a repository's settings parts, as the restore counts them; public keys as
GitHub compares them; GitHub's 422 reason read out of its `errors` (writer.message_of)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from orgbackup.actions.restore_to_github.repository_settings import (fingerprint, left_for_a_person,
                                                                     planned_settings_writes, public_key)
from orgbackup.actions.restore_to_github.source import read_repository
from orgbackup.actions.restore_to_github.writer import message_of


def write(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))


def repository(tmp_path: Path, *, hooks=None, settings=True):
    org = tmp_path / "acme"
    (org / "github-backup" / "repositories" / "tool").mkdir(parents=True)
    if settings:
        folder = org / "settings" / "tool"
        write(folder / "repository.json", {"topics": ["a", "b"]})
        write(folder / "actions-variables.json", {"total_count": 1, "variables": [{"name": "X", "value": "1"}]})
        write(folder / "actions-secrets.json", {"total_count": 2, "secrets": [{"name": "S1"}, {"name": "S2"}]})
        write(folder / "autolinks.json", [{"id": 1, "key_prefix": "T-", "url_template": "u/<num>"}])
        write(folder / "deploy-keys.json", [])
    if hooks is not None:
        write(org / "github-backup" / "repositories" / "tool" / "hooks" / "hooks.json", hooks)
    return read_repository(org, "tool", {})


def test_each_part_the_backup_holds_is_counted(tmp_path):
    hooks = [{"id": 7, "name": "web", "config": {"url": "https://x.invalid"}}, {"id": 8, "name": "travis"}]
    repo = repository(tmp_path, hooks=hooks)
    assert planned_settings_writes(repo) == {"topic lists": 1, "actions variables": 1, "autolinks": 1, "webhooks": 1}
    assert left_for_a_person(repo) == {"actions secrets": 2, "inactive webhooks": 1}


def test_a_backup_without_the_parts_plans_nothing(tmp_path):
    repo = repository(tmp_path, settings=False)
    assert planned_settings_writes(repo) == {} and left_for_a_person(repo) == {}


def test_public_keys_compare_without_their_comment():
    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(range(32))
    key = "ssh-ed25519 " + base64.b64encode(blob).decode()
    assert public_key(key + " deploy@ci") == public_key(key) == key
    assert fingerprint(key + " x") == fingerprint(key) and fingerprint(key).startswith("SHA256:")
    assert len(fingerprint(key)) == len("SHA256:") + 43 and fingerprint("garbage") == "no fingerprint"


class Answer:
    def __init__(self, body):
        self.body, self.text = body, json.dumps(body)

    def json(self):
        return self.body


def test_a_422s_reason_is_read_from_githubs_errors():
    answer = Answer({"message": "Validation Failed", "errors": [
        {"resource": "PublicKey", "code": "custom", "field": "key", "message": "key is already in use"}]})
    assert message_of(answer) == "Validation Failed: key is already in use"
    coded = Answer({"message": "Validation Failed", "errors": [{"resource": "Label", "code": "already_exists",
                                                                "field": "name"}]})
    assert message_of(coded) == "Validation Failed: name already_exists"
    # The emulator folds the reason into the message: not said twice.
    assert message_of(Answer({"message": "Validation Failed: key is already in use", "errors": [
        {"message": "key is already in use"}]})) == "Validation Failed: key is already in use"
