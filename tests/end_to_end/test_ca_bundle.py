"""GITHUB_CA_BUNDLE(_FILE) over whole runs: a GitHub behind an internal certificate authority, here
the emulator's own CA (trustme), with every CA variable of the environment pointing at the
system's store, which does not know it.  The CA reaches the run only through the variable
(tests/integration/config/test_trust.py: the programs of a run, one by one)."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from orgbackup.tools import process
from orgbackup.cli import main
from tests.github_emulator.truth import truth
from tests.support.cli import ORG, restore, run_backup
from tests.support.truth_compare import compare_org
from tests.support.truth_compare_metadata import metadata_differences
from tests.support.ca import SYSTEM_BUNDLE
from tests.support.cli import minimal_env


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
