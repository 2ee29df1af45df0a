"""GitHub App authentication and fine-grained tokens, end to end against the emulator:
an App run that outlives its installation tokens, App and token both set, a fine-grained
personal token, and the scrub's memo across App tokens."""

from __future__ import annotations

import os
import time

from orgbackup.cli import main
from orgbackup.github.credentials import IssuedToken
from orgbackup.backup.stages.scrub import file_identity, fingerprint, load_clean_memo, save_clean_memo
from tests.github_emulator.truth import truth
from tests.helpers_cli import ORG, restore, run_backup
from tests.truth_compare import compare_org, files_holding

TOKEN_LIFETIME = 8  # seconds; GitHub's are 3600


def app_env(backup_env: dict, emulator) -> dict:
    env = {k: v for k, v in backup_env.items() if k != "GITHUB_TOKEN_FILE"}
    env.update(GITHUB_APP_ID=str(emulator.app_id), GITHUB_APP_PRIVATE_KEY_FILE=str(emulator.app_private_key_file))
    return env


def test_an_app_run_outlives_its_installation_tokens(github_emulator, backup_env, tmp_path, capsys):
    github_emulator.app_token_lifetime = TOKEN_LIFETIME
    github_emulator.set_faults(latency_ms=100)  # a run of two token lifetimes or more (25 ms: under one since 541c7ab)
    status, summary, seconds = run_backup(app_env(backup_env, github_emulator), capsys)
    assert status == 0, summary
    issued = github_emulator.app_tokens_issued
    assert seconds > TOKEN_LIFETIME, f"the run took {seconds:.0f} s: too short to prove renewal"
    assert issued[-1]["issued"] > issued[0]["expires"], "no token was renewed after the first one expired"
    assert len(issued) >= 3
    # Renewed before expiry: nothing (wrapper, github-backup, gitim, git, git-lfs) sent an expired token.
    assert github_emulator.expired_token_requests == 0

    restored = restore(backup_env, summary["orgs"][0]["snapshot_id"], tmp_path / "restored")
    assert compare_org(ORG, truth(github_emulator.root), restored) == []
    for token in issued:
        assert files_holding(tmp_path / "restored", token["token"].encode()) == []


def test_an_expired_installation_token_is_refused_by_the_emulator(github_emulator):
    import requests

    github_emulator.app_token_lifetime = 1
    token = github_emulator.issue_installation_token(github_emulator.installation_id(ORG), ORG)["token"]
    url = f"{github_emulator.api_url}/orgs/{ORG}/repos"
    assert requests.get(url, headers={"Authorization": f"token {token}"}).status_code == 200
    assert requests.get(f"{github_emulator.api_url}/user", headers={"Authorization": f"token {token}"}).status_code == 403
    time.sleep(1.1)
    assert requests.get(url, headers={"Authorization": f"token {token}"}).status_code == 401
    assert github_emulator.expired_token_requests == 1


def test_app_and_token_both_set_is_a_configuration_error(github_emulator, backup_env, capsys):
    env = dict(app_env(backup_env, github_emulator), GITHUB_TOKEN_FILE=backup_env["GITHUB_TOKEN_FILE"])
    assert main(["backup"], environ=env) == 2
    err = capsys.readouterr().err
    assert "GITHUB_TOKEN" in err and "GITHUB_APP_ID" in err and "both set" in err
    assert github_emulator.counters()["api"] == 0  # nothing touched


def test_an_app_with_a_wrong_key_fails_preflight(github_emulator, backup_env, tmp_path, capsys):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = tmp_path / "other.pem"
    other.write_bytes(rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    env = dict(app_env(backup_env, github_emulator), GITHUB_APP_PRIVATE_KEY_FILE=str(other))
    assert main(["backup"], environ=env) == 1
    assert "GitHub rejected the App's JWT" in capsys.readouterr().err
    not_a_key = tmp_path / "not-a-key.pem"
    not_a_key.write_text("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n")
    assert main(["backup"], environ=dict(env, GITHUB_APP_PRIVATE_KEY_FILE=str(not_a_key))) == 2
    assert "GITHUB_APP_PRIVATE_KEY: not a PEM private key" in capsys.readouterr().err


def test_a_fine_grained_token_backs_up_and_is_scrubbed_like_the_rest(github_emulator, backup_env, tmp_path, capsys):
    token = github_emulator.add_token("emulator-admin", admin=True, fine_grained=True)
    assert token.startswith("github_pat_")
    token_file = tmp_path / "fine-grained.token"
    token_file.write_text(token + "\n")
    env = dict(backup_env, GITHUB_TOKEN_FILE=str(token_file))
    status, summary, _ = run_backup(env, capsys)
    assert status == 0, summary
    restored = restore(env, summary["orgs"][0]["snapshot_id"], tmp_path / "restored-1")
    assert compare_org(ORG, truth(github_emulator.root), restored) == []
    assert files_holding(tmp_path / "restored-1", token.encode()) == []

    # A file in the cache that holds the token: left out of the snapshot, exit 1.
    leak = tmp_path / "cache" / ORG / "github-backup" / "repositories" / "docs" / "notes.txt"
    leak.write_text(f"Authorization: token {token}\n")
    status, summary, _ = run_backup(env, capsys)
    assert status == 1
    restored = restore(env, summary["orgs"][0]["snapshot_id"], tmp_path / "restored-2")
    assert not (restored / "github-backup" / "repositories" / "docs" / "notes.txt").exists()
    assert files_holding(tmp_path / "restored-2", token.encode()) == []


def test_the_scrub_memo_holds_across_app_tokens_but_not_a_new_personal_token(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    old, changed = tree / "old.json", tree / "changed.json"
    old.write_text("{}")
    changed.write_text("{}")
    memo = tmp_path / "scrub-clean.memo"
    first = [IssuedToken("ghs_" + os.urandom(12).hex(), time.time())]
    clean = fingerprint("old.json", file_identity(old)) + fingerprint("changed.json", file_identity(changed))
    save_clean_memo(memo, first, clean)

    time.sleep(0.05)
    second = [IssuedToken("ghs_" + os.urandom(12).hex(), time.time())]  # the next night's token
    time.sleep(0.05)
    old_identity = file_identity(changed)
    changed.write_text('{"a": 1}')  # written after the new token was issued: it could hold it
    known = load_clean_memo(memo, second)
    assert known.knows("old.json", file_identity(old))
    assert not known.knows("changed.json", file_identity(changed))  # its identity changed: read again

    # A file checked for the first token, changed (ctime) after the second one was issued, is
    # not known clean of the second even with that identity recorded.
    save_clean_memo(memo, first, fingerprint("changed.json", file_identity(changed)))
    assert not load_clean_memo(memo, second).knows("changed.json", file_identity(changed))
    assert load_clean_memo(memo, first).knows("changed.json", file_identity(changed))
    assert not load_clean_memo(memo, first).knows("changed.json", old_identity)
    # A personal token (its age unknown) that the memo was not checked for: everything again.
    assert not load_clean_memo(memo, [IssuedToken("ghp_" + os.urandom(12).hex(), 0.0)]).knows(
        "old.json", file_identity(old))


class _NightsTokens:
    """The tokens of one night's run, as AppInstallationTokens.issued() lists them."""

    is_app = True

    def __init__(self, *tokens: IssuedToken):
        self._tokens = list(tokens)

    def issued(self) -> list[IssuedToken]:
        return self._tokens


def test_a_file_that_held_last_nights_app_token_stays_flagged_until_it_changes(tmp_path):
    from orgbackup.config.settings import Config
    from orgbackup.config.readers import Secret
    from orgbackup.backup.context import RunContext
    from orgbackup.backup.stages.scrub import scrub_tree

    cache = tmp_path / "cache"
    folder = cache / ORG / "github-backup" / "repositories" / "docs"
    folder.mkdir(parents=True)
    (folder / "clean.json").write_text("{}")
    leak = folder / "leak.json"
    config = Config(orgs=(ORG,), token=Secret(""), restic_repository=Secret("local:/nowhere"),
                    restic_password=Secret("pw"), cache_dir=cache)

    def night(token: str):
        ctx = RunContext(config=config, files=None, api=None, started="2026-01-01T00:00:00Z",
                         credentials=_NightsTokens(IssuedToken(token, time.time())))
        return scrub_tree(ctx, ORG)[0]

    first = "ghs_" + os.urandom(16).hex()
    leak.write_text(f'{{"token": "{first}"}}')
    time.sleep(0.02)
    assert night(first) == [leak]
    # The next night searches only for its own token, yet the unchanged file stays left out.
    assert night("ghs_" + os.urandom(16).hex()) == [leak]
    leak.write_text("{}")  # cleaned by hand: backed up again
    assert night("ghs_" + os.urandom(16).hex()) == []
