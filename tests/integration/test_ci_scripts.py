"""The CI scripts (.ci/) run: the Debian mirror is read from the machine's apt sources (the
repository names no mirror or registry host)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.support.paths import ROOT


def mirror(apt_etc: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", ". .ci/debian-mirror.sh && debian_mirror"], cwd=ROOT, capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin", "APT_ETC": str(apt_etc), **env}, timeout=30)


@pytest.fixture
def apt_etc(tmp_path) -> Path:
    (tmp_path / "sources.list.d").mkdir()
    return tmp_path


def test_the_mirror_of_debian_12s_deb822_sources(apt_etc):
    (apt_etc / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\n# a comment\nURIs: http://mirror.test/debian-security\nSuites: bookworm-security\n"
        "Components: main\n\nTypes: deb deb-src\nURIs: http://mirror.test/debian/ http://other.test/debian\n"
        "Suites: bookworm bookworm-updates\nComponents: main\n")
    result = mirror(apt_etc)
    assert result.returncode == 0 and result.stdout == "http://mirror.test/debian\n", result.stderr


def test_the_mirror_of_one_line_sources(apt_etc):
    (apt_etc / "sources.list").write_text(
        "# deb http://commented.test/debian bookworm main\n"
        "deb http://security.test/debian-security bookworm-security main\n"
        "deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://mirror.test/debian bookworm main\n")
    assert mirror(apt_etc).stdout == "http://mirror.test/debian\n"


def test_no_mirror_is_an_error_and_debian_mirror_wins(apt_etc):
    result = mirror(apt_etc)
    assert result.returncode == 1 and "no Debian mirror in this machine's apt sources" in result.stderr
    assert mirror(apt_etc, DEBIAN_MIRROR="http://given.test/debian").stdout == "http://given.test/debian\n"


def test_this_machines_sources_name_a_mirror():
    if not Path("/etc/apt").is_dir():
        pytest.skip("not a Debian machine")
    result = mirror(Path("/etc/apt"))
    assert result.returncode == 0 and re.fullmatch(r"https?://\S+\n", result.stdout), result.stderr
