"""GITHUB_CA_BUNDLE(_FILE): a GitHub Enterprise behind an internal certificate authority.

The run writes ONE bundle, the system's trusted roots followed by the given CA, into
its private folder, and every program of the run trusts that file: the wrapper's own
requests (`verify_for(bundle)`, given to each GitHub client as its `verify=`: a session's
`verify` loses to REQUESTS_CA_BUNDLE), and through `process.set_run_environment` github-backup (urllib:
SSL_CERT_FILE), PyGithub in gitim (REQUESTS_CA_BUNDLE), git and git-lfs (GIT_SSL_CAINFO),
restic (SSL_CERT_FILE) and anything curl-based (CURL_CA_BUNDLE).  The system's store
is never touched: the roots are copied, and other hosts (github.com for dependencies,
a cloud restic backend) stay trusted.

With or without such a CA, git trusts one bundle file and libcurl's certificate folder is
an empty one (`git_trust_environment`): Debian's libcurl-gnutls otherwise reads every
certificate in /etc/ssl/certs at each connection, bundle or not.  Measured: 59 ms of CPU
per `git ls-remote` instead of 17, most of an unchanged night's verification at 1,000
repositories.
"""

from __future__ import annotations

import contextlib
import logging
import os
import ssl
from pathlib import Path
from typing import Iterator, Mapping

from orgbackup.tools import process
from orgbackup.config.settings import Config

log = logging.getLogger(__name__)

BUNDLE_NAME = "ca-bundle.pem"
EMPTY_CA_FOLDER = "no-ca-folder"  # git's http.sslCAPath: nothing to read at each connection
# Debian's (and the image's) ca-certificates bundle, should OpenSSL's default path be missing.
DEBIAN_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")

def system_roots_file() -> Path | None:
    """The system's trusted roots as one PEM file: OpenSSL's default file (not the one an
    environment variable names), Debian's bundle, or certifi's; None if none exists."""
    candidates = [ssl.get_default_verify_paths().openssl_cafile, DEBIAN_BUNDLE]
    try:
        import certifi

        candidates.append(certifi.where())
    except ImportError:
        pass
    for candidate in candidates:
        path = Path(candidate) if candidate else None
        if path and path.is_file() and path.stat().st_size > 0:
            return path
    return None


def combined_bundle(ca_pem: str, roots: Path | None) -> str:
    """The system's roots, then the given CA (a PEM text for all programs)."""
    system = roots.read_text(encoding="ascii", errors="ignore") if roots else ""
    if system and not system.endswith("\n"):
        system += "\n"
    return system + ca_pem


def ca_environment(bundle: Path) -> dict[str, str]:
    """The variables that make the run's programs other than git trust `bundle` (and only it)."""
    path = str(bundle)
    return {"SSL_CERT_FILE": path, "REQUESTS_CA_BUNDLE": path, "CURL_CA_BUNDLE": path}


def git_trust_environment(bundle: Path, empty_folder: Path) -> dict[str, str]:
    """git (and git-lfs) trust the roots of `bundle`, and libcurl reads no certificate folder."""
    return {"GIT_SSL_CAINFO": str(bundle), "GIT_SSL_CAPATH": str(empty_folder)}


def default_git_bundle(environ: Mapping[str, str]) -> Path | None:
    """Without a configured CA: the bundle git is told to trust (GIT_SSL_CAINFO's, else the
    system's roots), or None where the user chose a certificate folder (GIT_SSL_CAPATH) or
    no bundle file exists: git's own defaults then stay."""
    if environ.get("GIT_SSL_CAPATH"):
        return None
    given = environ.get("GIT_SSL_CAINFO")
    return Path(given) if given else system_roots_file()


def make_empty_folder(directory: Path) -> Path:
    folder = directory / EMPTY_CA_FOLDER
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def write_bundle(directory: Path, ca_pem: str) -> Path:
    roots = system_roots_file()
    if roots is None:
        log.warning("no system certificate store found: only GITHUB_CA_BUNDLE's certificates are trusted")
    path = directory / BUNDLE_NAME
    path.write_text(combined_bundle(ca_pem, roots), encoding="ascii")
    return path


@contextlib.contextmanager
def trusted_for_run(config: Config, directory: Path) -> Iterator[Path | None]:
    """With a CA configured: the combined bundle in `directory`, trusted by every program
    started and every request made until the block ends.  Without: git's trust as one
    bundle file (git_trust_environment) until the block ends."""
    bundle = write_bundle(directory, config.ca_bundle_pem) if config.ca_bundle_pem else None
    environment: dict[str, str] = {}
    if bundle:
        log.info("trusting the system's roots and %s", config.ca_bundle_file or "GITHUB_CA_BUNDLE")
        environment.update(ca_environment(bundle))
    git_bundle = bundle or default_git_bundle(os.environ)
    if git_bundle:
        environment.update(git_trust_environment(git_bundle, make_empty_folder(directory)))
    process.set_run_environment(environment)
    try:
        yield bundle
    finally:
        process.clear_run_environment()


def verify_for(bundle: Path | None) -> str | bool:
    """`verify=` for the wrapper's requests: the run's bundle, or True (requests' default:
    REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE when set, else certifi)."""
    return str(bundle) if bundle else True
