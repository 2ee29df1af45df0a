"""The CA bundle of a run (orgbackup/config/trust.py): a GitHub behind an internal certificate
authority (the emulator's, trustme) trusted by requests, urllib and git through GITHUB_CA_BUNDLE
alone, with every CA variable of the environment pointing at the system's store."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import requests
import trustme

from orgbackup.tools import process
from orgbackup.config.trust import BUNDLE_NAME, system_roots_file, trusted_for_run, verify_for
from orgbackup.config.settings import load_config, parse_ca_bundle
from orgbackup.git.environment import git_environment
from orgbackup.github.api import GitHubAPI, GitHubError
from orgbackup.config.secret_files import remove_secret_files, write_secret_files
from tests.support.cli import ORG
from tests.support.ca import CA_VARIABLES, SYSTEM_BUNDLE


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
            assert verify_for(bundle) == str(bundle)
            assert GitHubAPI(config.api_url, config.token.reveal(), attempts=1,
                             verify=verify_for(bundle)).user()["login"]  # the wrapper's requests
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
        with pytest.raises(GitHubError, match="not trusted"):
            api.user()
        # A CA that did not sign the certificate: the error says so.
        other = load_config(dict(backup_env, GITHUB_CA_BUNDLE=trustme.CA().cert_pem.bytes().decode()))
        with trusted_for_run(other, files.directory) as other_bundle:
            with pytest.raises(GitHubError, match="even with GITHUB_CA_BUNDLE"):
                GitHubAPI(config.api_url, config.token.reveal(), attempts=1, verify=verify_for(other_bundle)).user()
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


def test_requests_alone_would_not_do_it(system_trust_only):
    """Why `verify=` is passed per request: a session's own `verify` loses to REQUESTS_CA_BUNDLE."""
    health = f"{system_trust_only.base_url}/_emulator/health"
    session = requests.Session()
    session.verify = str(system_trust_only.ca_file)
    with pytest.raises(requests.exceptions.SSLError):
        session.get(health, timeout=30)
    assert session.get(health, timeout=30, verify=str(system_trust_only.ca_file)).ok
