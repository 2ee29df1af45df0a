"""The CI scripts (.ci/) and the repository's references: the Debian mirror is read from the
machine's apt sources (the repository names no mirror or registry host), and every file
the documents, the Dockerfile and the compose file point to exists."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


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


def test_the_ci_scripts_name_no_host():
    """Every URL in .ci/ is made from the apt sources at run time (a mirror host written here
    would be wrong on the next machine): no http(s):// with a host in the scripts."""
    for path in sorted((ROOT / ".ci").iterdir()):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            assert not re.search(r"https?://[A-Za-z0-9]", line), f"{path.name}:{number}: {line.strip()}"


def test_the_ci_scripts_never_pip_install_into_the_system_python():
    """Debian 12's python3 is externally managed: pip only inside a virtual environment."""
    for path in sorted((ROOT / ".ci").iterdir()) + [ROOT / "tests" / "run.sh"]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\bpip3?\b.*\binstall\b", line) and not line.lstrip().startswith("#"):
                assert re.search(r"(VENV|venv)[^ ]*/bin/(python|pip)", line), f"{path.name}:{number}: {line.strip()}"


# Paths of this repository that the documents and build files point to.
REFERENCES = re.compile(r"(?<![\w./-])((?:docs|config|tests|orgbackup|bench|\.ci)/[\w./-]*[\w-]"
                        r"|(?:Dockerfile|compose\.yaml|README\.md|requirements\.txt)\b)")
POINTING = ("README.md", "Dockerfile", "compose.yaml", "docs/architecture.md", "docs/conventions.md",
            "docs/deploy.md", "docs/benchmark.md", "config/backup.env.example", "config/compose.env",
            ".ci/run", ".ci/docker-setup.sh", ".ci/restic-trixie.sh", "tests/github_emulator/README.md")


# What users make themselves (ignored by git): named, never shipped.
USERS_FILES = {"config/backup.env", "config/github-ca.pem"}


def test_every_file_the_documents_point_to_exists():
    missing = []
    for name in POINTING:
        text = (ROOT / name).read_text()
        for found in REFERENCES.finditer(text):
            path = found.group(1).rstrip(".")
            if any(ch in path for ch in "<>*") or path.endswith("/") or path in USERS_FILES:
                continue
            # a file, or a module's attribute (tests/backup_compare.differences)
            if not (ROOT / path).exists() and not (ROOT / path).with_suffix(".py").exists():
                missing.append(f"{name}: {path}")
    assert missing == [], missing


def test_the_reference_check_finds_a_missing_file():
    text = "see docs/deploy.md and docs/nothing-here.md"
    found = [m.group(1) for m in REFERENCES.finditer(text)]
    assert found == ["docs/deploy.md", "docs/nothing-here.md"]
    assert not (ROOT / "docs" / "nothing-here.md").exists()
