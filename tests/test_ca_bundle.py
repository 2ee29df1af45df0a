"""GITHUB_CA_BUNDLE(_FILE): a GitHub behind an internal certificate authority, here the
emulator's own CA (trustme), with every CA variable of the environment pointing at the
system's store, which does not know it.  The CA reaches the run only through the variable."""

from __future__ import annotations

import hashlib
import json
import secrets
import sys
import time
from pathlib import Path

import pytest
import requests
import trustme

from orgbackup.tools import process
from orgbackup.config.trust import BUNDLE_NAME, requests_verify, system_roots_file, trusted_for_run
from orgbackup.cli import main
from orgbackup.config.settings import load_config, parse_ca_bundle
from orgbackup.errors import ConfigError
from orgbackup.git.argv import git_environment
from orgbackup.github.api import GitHubAPI, GitHubError
from orgbackup.config.secret_files import remove_secret_files, write_secret_files
from tests.github_emulator.truth import truth
from tests.helpers_cli import ORG, restore, run_backup
from tests.truth_compare import compare_org
from tests.truth_compare_metadata import metadata_differences

SYSTEM_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
CA_VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO")


@pytest.fixture
def system_trust_only(github_emulator, monkeypatch):
    """The emulator running, but the environment trusting only the system's store."""
    if not SYSTEM_BUNDLE.is_file():
        pytest.skip(f"{SYSTEM_BUNDLE} (Debian's ca-certificates) is not installed")
    for name in CA_VARIABLES:
        monkeypatch.setenv(name, str(SYSTEM_BUNDLE))
    return github_emulator


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if " ERROR " in line]


def test_a_whole_backup_trusts_the_ca_given_only_as_GITHUB_CA_BUNDLE_FILE(system_trust_only, backup_env,
                                                                           tmp_path, capsys):
    emulator = system_trust_only
    store_before = sha256(SYSTEM_BUNDLE)

    # Without the variable: preflight names the host, the reason and the variable, in one line, at once.
    started = time.monotonic()
    assert main(["backup"], environ=backup_env) == 1
    assert time.monotonic() - started < 15
    [line] = error_lines(capsys.readouterr().err)
    assert f"the TLS certificate of {emulator.host} is not trusted" in line, line
    assert "GITHUB_CA_BUNDLE_FILE" in line and "certificate" in line
    assert not Path(backup_env["RESTIC_REPOSITORY"]).exists()

    # With it: complete, and every part comes back from the snapshot as the emulator holds it.
    env = dict(backup_env, GITHUB_CA_BUNDLE_FILE=str(emulator.ca_file))
    emulator.reset_counters()
    status, summary, _ = run_backup(env, capsys)
    assert status == 0, summary
    assert summary["orgs"][0]["status"] == "complete"
    # The wrapper, github-backup and gitim (API), git and git-lfs, and the asset and attachment
    # downloads all went through TLS with that CA.
    counters = emulator.counters()
    assert all(counters[kind] > 0 for kind in ("api", "git", "lfs", "assets")), counters
    restored = restore(env, summary["orgs"][0]["snapshot_id"], tmp_path / "restore")
    expected = truth(emulator.root)
    assert compare_org(ORG, expected, restored) == []
    assert metadata_differences(restored, expected["orgs"][ORG], emulator.base_url) == []
    assert json.loads((restored / "manifest.json").read_text())["complete"] is True

    # The system's store is untouched, and after the run nothing trusts the CA any more.
    assert sha256(SYSTEM_BUNDLE) == store_before
    assert process.child_environment()["GIT_SSL_CAINFO"] == str(SYSTEM_BUNDLE)
    assert requests_verify() is True


def test_GITHUB_CA_BUNDLE_as_pem_text_is_trusted_by_requests_urllib_and_git(system_trust_only, backup_env):
    emulator = system_trust_only
    pem = emulator.ca_file.read_text()
    config = load_config(dict(backup_env, GITHUB_CA_BUNDLE=pem))
    assert config.ca_bundle_pem.strip() == pem.strip() and config.ca_bundle_file is None
    assert "BEGIN CERTIFICATE" not in repr(config)
    api = GitHubAPI(config.api_url, config.token.reveal(), attempts=1)
    with pytest.raises(GitHubError, match="not trusted"):
        api.user()
    files = write_secret_files(config)
    try:
        with trusted_for_run(config, files.directory) as bundle:
            assert bundle == files.directory / BUNDLE_NAME
            text = bundle.read_text()
            # The system's roots, then the CA: other hosts stay trusted.
            assert text.startswith(system_roots_file().read_text()) and text.rstrip().endswith(pem.strip())
            assert api.user()["login"]  # the wrapper's requests
            child = process.child_environment()
            assert {child[name] for name in CA_VARIABLES} == {str(bundle)}
            assert list(Path(child["GIT_SSL_CAPATH"]).iterdir()) == []  # libcurl reads no folder
            # urllib, as github-backup uses it (SSL_CERT_FILE)
            health = f"{emulator.base_url}/_emulator/health"
            process.run([sys.executable, "-c", f"import urllib.request; urllib.request.urlopen({health!r})"],
                         timeout=60)
            # git (GIT_SSL_CAINFO), with the run's askpass
            refs = process.run(["git", "ls-remote", f"{emulator.base_url}/{ORG}/godot.git"],
                                env=git_environment(files), timeout=60).stdout
            assert "refs/heads/main" in refs
        assert requests_verify() is True
        with pytest.raises(GitHubError, match="not trusted"):
            api.user()
        # A CA that did not sign the certificate: the error says so.
        other = load_config(dict(backup_env, GITHUB_CA_BUNDLE=trustme.CA().cert_pem.bytes().decode()))
        with trusted_for_run(other, files.directory):
            with pytest.raises(GitHubError, match="even with GITHUB_CA_BUNDLE"):
                GitHubAPI(config.api_url, config.token.reveal(), attempts=1).user()
    finally:
        remove_secret_files(files)


def test_without_a_ca_git_trusts_one_bundle_and_reads_no_certificate_folder(github_emulator, backup_env,
                                                                           monkeypatch):
    """libcurl-gnutls reads every certificate of its folder at each connection (tripling the CPU of
    a `git ls-remote`): the run points that folder at an empty one, git keeps the bundle it had."""
    emulator = github_emulator
    config = load_config(backup_env)
    url = f"{emulator.base_url}/{ORG}/godot.git"
    files = write_secret_files(config)
    try:
        with trusted_for_run(config, files.directory) as bundle:
            assert bundle is None
            child = process.child_environment()
            assert child["GIT_SSL_CAINFO"] == str(emulator.ca_file)
            folder = Path(child["GIT_SSL_CAPATH"])
            assert folder.is_dir() and list(folder.iterdir()) == [] and folder.parent == files.directory
            refs = process.run(["git", "ls-remote", url], env=git_environment(files), timeout=60).stdout
            assert "refs/heads/main" in refs
            # Still verified: the system's roots alone do not trust the emulator's certificate.
            if SYSTEM_BUNDLE.is_file():
                untrusted = process.run(["git", "ls-remote", url], check=False, timeout=60,
                                         env={**git_environment(files), "GIT_SSL_CAINFO": str(SYSTEM_BUNDLE)})
                assert untrusted.returncode != 0 and "certificate" in untrusted.stderr.lower()
        assert "GIT_SSL_CAPATH" not in process.child_environment()
        # A certificate folder the user chose is left alone.
        monkeypatch.setenv("GIT_SSL_CAPATH", str(files.directory))
        with trusted_for_run(config, files.directory):
            assert process.child_environment()["GIT_SSL_CAPATH"] == str(files.directory)
            assert process.child_environment()["GIT_SSL_CAINFO"] == str(emulator.ca_file)
    finally:
        remove_secret_files(files)


def test_pem_text_written_on_one_line_with_escaped_newlines(github_emulator):
    pem = github_emulator.ca_file.read_text()
    _, loaded = parse_ca_bundle({"GITHUB_CA_BUNDLE": pem.strip().replace("\n", "\\n")})
    assert loaded == pem.strip() + "\n"


def test_the_run_environment_sits_between_ours_and_a_calls_own(monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", "/ours")
    monkeypatch.setenv("GIT_SSL_CAINFO", "/ours")
    process.set_run_environment({"SSL_CERT_FILE": "/run", "GIT_SSL_CAINFO": "/run"})
    try:
        env = process.child_environment({"GIT_SSL_CAINFO": "/call"})
        assert (env["SSL_CERT_FILE"], env["GIT_SSL_CAINFO"]) == ("/run", "/call")
    finally:
        process.clear_run_environment()
    assert process.child_environment()["SSL_CERT_FILE"] == "/ours"


def minimal_env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "none.env").write_text("# empty\n")
    return {
        "GITHUB_ORGS": ORG,
        "GITHUB_TOKEN": "ghp_" + secrets.token_hex(18),
        "RESTIC_REPOSITORY": str(tmp_path / "restic-repo"),
        "RESTIC_PASSWORD": secrets.token_hex(8),
        "BACKUP_CACHE_DIR": str(tmp_path / "cache"),
        "BACKUP_ENV_FILE": str(tmp_path / "none.env"),
    }


BAD_FILES = {
    "missing": (None, "cannot read"),
    "not-pem": ("just some text\n", "holds no PEM certificate"),
    "a-key-not-a-certificate": ("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
                                "holds no PEM certificate"),
    "broken-certificate": ("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
                           "cannot be loaded"),
    "binary": (b"\x30\x82\x01\xff\x80", "is not PEM text"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_ca_file_exits_2_before_anything_is_touched(case, tmp_path, capsys):
    content, message = BAD_FILES[case]
    path = tmp_path / "ca.pem"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    env = dict(minimal_env(tmp_path), GITHUB_CA_BUNDLE_FILE=str(path))
    assert main(["backup"], environ=env) == 2
    [line] = error_lines(capsys.readouterr().err)
    assert "GITHUB_CA_BUNDLE_FILE" in line and message in line, line
    assert not (tmp_path / "restic-repo").exists() and not (tmp_path / "cache").exists()


def test_bundle_and_file_both_set_or_bad_text_are_configuration_errors(tmp_path):
    with pytest.raises(ConfigError, match="GITHUB_CA_BUNDLE and GITHUB_CA_BUNDLE_FILE are both set"):
        parse_ca_bundle({"GITHUB_CA_BUNDLE": "-----BEGIN CERTIFICATE-----", "GITHUB_CA_BUNDLE_FILE": "/x"})
    with pytest.raises(ConfigError, match="^GITHUB_CA_BUNDLE holds no PEM certificate"):
        parse_ca_bundle({"GITHUB_CA_BUNDLE": "not a certificate"})
    assert parse_ca_bundle({"GITHUB_CA_BUNDLE": "", "GITHUB_CA_BUNDLE_FILE": ""}) == (None, None)
    config = load_config(minimal_env(tmp_path))
    assert config.ca_bundle_file is None and config.ca_bundle_pem is None


def test_requests_alone_would_not_do_it(system_trust_only):
    """Why `verify=` is passed per request: a session's own `verify` loses to REQUESTS_CA_BUNDLE."""
    health = f"{system_trust_only.base_url}/_emulator/health"
    session = requests.Session()
    session.verify = str(system_trust_only.ca_file)
    with pytest.raises(requests.exceptions.SSLError):
        session.get(health, timeout=30)
    assert session.get(health, timeout=30, verify=str(system_trust_only.ca_file)).ok
