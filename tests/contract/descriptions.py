"""GitHub's published descriptions, at the versions pinned in pins.json.

Octokit publishes GitHub's GraphQL schema and REST OpenAPI description as npm packages; `npm pack`
fetches one from the machine's configured registry, its sha512 is checked against the pin, and it is
unpacked once into `.cache/contract/` at the top of the repository (ORGBACKUP_CONTRACT_DIR moves it).

    python -m tests.contract.descriptions     # fetch both (tests/run.sh does this first)
"""
from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PINS_FILE = Path(__file__).with_name("pins.json")


class DescriptionError(RuntimeError):
    pass


def pins() -> dict[str, dict]:
    return json.loads(PINS_FILE.read_text())


def cache_dir() -> Path:
    return Path(os.environ.get("ORGBACKUP_CONTRACT_DIR") or ROOT / ".cache" / "contract")


def npm_integrity(data: bytes) -> str:
    """npm's integrity string (SRI) of a package file."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def unpacked_dir(pin: dict) -> Path:
    return cache_dir() / f"{pin['package'].lstrip('@').replace('/', '-')}-{pin['version']}"


def fetch(pin: dict) -> Path:
    """The package's folder, fetched and checked if it is not there yet."""
    target = unpacked_dir(pin)
    if (target / "integrity").is_file() and (target / "integrity").read_text() == pin["integrity"]:
        return target
    spec = f"{pin['package']}@{pin['version']}"
    with tempfile.TemporaryDirectory() as tmp:
        packed = subprocess.run(["npm", "pack", spec, "--json", "--pack-destination", tmp, "--silent"],
                                capture_output=True, text=True, timeout=600)
        if packed.returncode != 0:
            raise DescriptionError(f"npm pack {spec} failed: {(packed.stderr or packed.stdout).strip()[-500:]}")
        tgz = Path(tmp) / json.loads(packed.stdout)[0]["filename"]
        got = npm_integrity(tgz.read_bytes())
        if got != pin["integrity"]:
            raise DescriptionError(f"{spec}: the package's sha512 is {got}, not the pinned {pin['integrity']}")
        cache_dir().mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=cache_dir()))
        with tarfile.open(tgz) as archive:
            archive.extractall(staging, filter="data")
        (staging / "integrity").write_text(pin["integrity"])
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    return target


@functools.cache
def description_path(name: str) -> Path:
    """The file of one pinned description: "graphql-schema" or "openapi"."""
    pin = pins()[name]
    return fetch(pin) / pin["file"]


def graphql_schema_path() -> Path:
    return description_path("graphql-schema")


def openapi_path() -> Path:
    return description_path("openapi")


if __name__ == "__main__":
    try:
        for name in pins():
            print(f"{name}: {description_path(name)}")
    except (DescriptionError, OSError, subprocess.TimeoutExpired) as error:
        print(f"tests.contract.descriptions: {error}", file=sys.stderr)
        sys.exit(1)
