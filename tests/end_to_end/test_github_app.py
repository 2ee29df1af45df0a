"""GitHub App authentication and fine-grained tokens, end to end against the emulator: an App run
that outlives its installation tokens, App and token both set, an App with a wrong key, a
fine-grained personal token (the scrub's memo across App tokens:
tests/unit/backup/stages/test_scrub.py)."""

from __future__ import annotations

from orgbackup.cli import main
from tests.github_emulator.truth import truth
from tests.support.cli import ORG, restore, run_backup
from tests.support.truth_compare import compare_org, files_holding


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


def test_app_and_token_both_set_is_a_configuration_error(github_emulator, backup_env, capsys):
    env = dict(app_env(backup_env, github_emulator), GITHUB_TOKEN_FILE=backup_env["GITHUB_TOKEN_FILE"])
    assert main(["backup"], environ=env) == 2
    err = capsys.readouterr().err
    assert "GITHUB_TOKEN" in err and "GITHUB_APP_ID" in err and "both set" in err
    assert github_emulator.counters()["api"] == 0  # nothing touched


def test_an_app_with_personal_accounts_is_a_configuration_error(github_emulator, backup_env, capsys):
    assert main(["backup"], environ=dict(app_env(backup_env, github_emulator), GITHUB_USERS="alice")) == 2
    err = capsys.readouterr().err
    assert "GITHUB_USERS is not supported with a GitHub App" in err
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
