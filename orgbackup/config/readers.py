"""Readers of one environment variable each: secrets (NAME or NAME_FILE), booleans,
numbers, choices, lists, and the dotenv file they may come from.

Each raises `ConfigError` naming the variable, never its value; `config.load_config`
puts them together into one `Config`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, Mapping

from orgbackup.errors import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Secret:
    """A secret value that never shows itself in a repr, a log line or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other):
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self):
        return hash(self._value)


class SecretEnvironment(Mapping[str, str]):
    """Environment variables holding credentials: a mapping whose repr names the
    variables but never shows their values."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, str] | None = None):
        self._values = dict(values or {})

    def __getitem__(self, name: str) -> str:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return "SecretEnvironment(" + ", ".join(f"{name}=***" for name in sorted(self._values)) + ")"

    __str__ = __repr__


def read_secret(environ: Mapping[str, str], name: str, *, required: bool = True) -> Secret | None:
    """NAME or NAME_FILE (the file's content, trailing newline removed); both is an error."""
    value = environ.get(name)
    path = environ.get(f"{name}_FILE")
    if value and path:
        raise ConfigError(f"{name} and {name}_FILE are both set: set only one")
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{name}_FILE: cannot read {path}: {exc.strerror}") from None
        value = text.rstrip("\r\n")
        if not value.strip():
            raise ConfigError(f"{name}_FILE: {path} is empty")
    if not value:
        if required:
            raise ConfigError(f"{name} (or {name}_FILE) is required")
        return None
    return Secret(value)


def parse_bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name)
    if raw is None:
        return default
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"{name}: expected true or false, got {raw!r}")


def parse_int(environ: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name}: must be at least {minimum}, got {value}")
    return value


_BYTE_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
               "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_bytes(environ: Mapping[str, str], name: str) -> int | None:
    """A number of bytes, with an optional unit (10GiB, 250 GiB, 500MB); None when unset."""
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", raw)
    unit = found and _BYTE_UNITS.get(found.group(2).lower())
    if not unit:
        raise ConfigError(f"{name}: expected a number of bytes such as 10GiB or 500MB, got {raw!r}")
    return int(float(found.group(1)) * unit)


def parse_percent(environ: Mapping[str, str], name: str, default: int) -> int:
    """A whole number of percent, 0 to 100."""
    value = parse_int(environ, name, default)
    if value > 100:
        raise ConfigError(f"{name}: a percentage, at most 100, got {value}")
    return value


def parse_choice(environ: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ConfigError(f"{name}: expected one of {', '.join(choices)}, got {raw!r}")
    return value


def parse_list(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = environ.get(name) or ""
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def parse_words(environ: Mapping[str, str], name: str, known: tuple[str, ...], default: tuple[str, ...],
                *, noun: str = "word") -> tuple[str, ...]:
    """A comma-separated list of words from `known` (lower-cased); `default` when unset."""
    if environ.get(name) is None:
        return default
    words = tuple(w.lower() for w in parse_list(environ, name))
    unknown = [w for w in words if w not in known]
    if unknown:
        raise ConfigError(f"{name}: unknown {noun} {unknown[0]!r} (known: {', '.join(known)})")
    return words


def parse_hours(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}: expected a number of hours, got {raw!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise ConfigError(f"{name}: must be more than 0 hours, got {raw!r}")
    return value


def read_dotenv(environ: Mapping[str, str], cwd: Path | None = None) -> dict[str, str]:
    """The environment with a dotenv file's values added (the environment wins).

    BACKUP_ENV_FILE names the file; without it, `.env` in the working directory
    is read when present.
    """
    from dotenv import dotenv_values

    named = environ.get("BACKUP_ENV_FILE")
    path = Path(named) if named else (cwd or Path.cwd()) / ".env"
    if named and not path.is_file():
        raise ConfigError(f"BACKUP_ENV_FILE: {named} does not exist")
    if not path.is_file():
        return dict(environ)
    try:
        values = dotenv_values(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"BACKUP_ENV_FILE: cannot read {path}: {exc}") from None
    merged = {k: v for k, v in values.items() if v is not None}
    merged.update(environ)
    return merged
