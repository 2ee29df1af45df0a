"""The invocations the documents show (README.md, compose.yaml's comments, docs/deploy.md):
every `docker compose run ... backup ARGS`, every `docker run ... orgbackup:0.1.0 ARGS` and every
`entrypoint.py ARGS` line or code span, read as Invocations for
tests/end_to_end/test_image_invocations.py, which runs each in the image
(tests/unit/test_documented_invocations.py checks the reading)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from tests.support.image import ORG, ROOT


DOCUMENTS = ("README.md", "compose.yaml", "docs/deploy.md")


@dataclass(frozen=True)
class Invocation:
    where: str                      # README.md:722
    kind: str                       # compose | docker-run | entrypoint
    options: tuple[str, ...] = ()   # compose run's or docker run's options, as written
    args: tuple[str, ...] = ()      # the container's arguments
    env: tuple[tuple[str, str], ...] = ()  # NAME=value before the command

    @property
    def key(self) -> tuple:
        """Two examples that run the same container are run once: `entrypoint.py ARGS` is
        `docker compose run --rm backup ARGS`; -T (no terminal) is how the test runs anyway,
        and GITHUB_ORGS=V-Sekai what the stack sets."""
        kind = "docker-run" if self.kind == "docker-run" else "compose"
        return (kind, tuple(o for o in self.options if o not in ("--rm", "-T")), self.args or ("backup",),
                tuple(e for e in self.env if e != ("GITHUB_ORGS", ORG)))

    def __str__(self) -> str:
        return f"{self.where}: {self.kind} {shlex.join(self.options)} | {shlex.join(self.args)}"


# Options of `docker compose run` / `docker run` that take a value.
VALUED = {"-v", "--volume", "-e", "--env", "--name", "-u", "--user", "-w", "--workdir", "--entrypoint", "-p",
          "--publish", "-l", "--label", "--tmpfs", "--env-file", "--network", "--mount"}


def candidates(path: Path) -> list[tuple[int, str]]:
    """(line number, text) that may hold an invocation: Markdown's code lines and inline code
    spans; YAML's comments.  Backslash-continued lines are joined."""
    found: list[tuple[int, str]] = []
    text = path.read_text()
    if path.suffix == ".md":
        in_code = False
        pending, start = "", 0
        for number, line in enumerate(text.splitlines(), 1):
            if line.lstrip().startswith("```"):
                in_code = not in_code
                continue
            if in_code or line.startswith("    "):
                if not pending:
                    start = number
                if line.rstrip().endswith("\\"):
                    pending += line.rstrip()[:-1] + " "
                    continue
                found.append((start, pending + line))
                pending = ""
            else:
                found += [(number, span) for span in re.findall(r"`([^`]+)`", line)]
    else:
        for number, line in enumerate(text.splitlines(), 1):
            if line.lstrip().startswith("#"):
                found.append((number, line.lstrip()[1:]))
    return found


def parse(where: str, text: str) -> Invocation | None:
    text = text.strip().removeprefix("$ ")
    try:
        words = shlex.split(text, comments=True)
    except ValueError:
        return None
    if "..." in words:
        return None  # a pattern ("docker compose run ... backup"), not an example
    ends = next((i for i, w in enumerate(words) if w in ("||", "&&", ";", "|") and "docker" in words[:i]), None)
    words = [w for w in words[:ends] if not re.match(r"^\d?>>?|^\d?>&\d$", w)]  # a second command; redirections
    if words[:1] == ["entrypoint.py"]:
        args = tuple(w.strip("[]") for w in words[1:] if w.strip("[]"))  # a synopsis: every option given
        return Invocation(where, "entrypoint", args=args)
    if "docker" not in words:
        return None
    at = words.index("docker")
    env = []
    for word in reversed(words[:at]):
        if not re.match(r"^[A-Z_][A-Z0-9_]*=", word):
            break
        env.insert(0, tuple(word.split("=", 1)))
    rest = words[at + 1:]
    if rest[:2] == ["compose", "run"]:
        kind, rest, ends = "compose", rest[2:], lambda w: w == "backup"
    elif rest[:1] == ["run"]:
        kind, rest, ends = "docker-run", rest[1:], lambda w: w.startswith("orgbackup")
    else:
        return None  # docker compose build, docker build, docker push, ...
    options: list[str] = []
    i = 0
    while i < len(rest) and not ends(rest[i]):
        options.append(rest[i])
        if rest[i] in VALUED and i + 1 < len(rest):
            options.append(rest[i + 1])
            i += 1
        i += 1
    if i == len(rest):
        return None  # not this image's service or image
    return Invocation(where, kind, tuple(options), tuple(rest[i + 1:]), tuple(env))


def documented_invocations(*, once: bool = True) -> list[Invocation]:
    """Every invocation of the image the documents show; `once`: each container once (where
    it is first shown)."""
    found: dict[tuple, Invocation] = {}
    for name in DOCUMENTS:
        for number, text in candidates(ROOT / name):
            invocation = parse(f"{name}:{number}", text)
            if invocation is not None:
                found.setdefault(invocation.key if once else (invocation.where, text), invocation)
    return list(found.values())
