"""The CI scripts (.ci/) and the repository's references, read: the scripts name no host and
never pip-install into the system's Python; every file the documents, the Dockerfile and the
compose file point to exists (the scripts run: tests/integration/test_ci_scripts.py)."""

from __future__ import annotations

import re

from tests.support.paths import ROOT


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
            ".ci/run", ".ci/docker-setup.sh", ".ci/restic-trixie.sh", "tests/github_emulator/README.md",
            "docs/security.md", "tests/README.md")


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
