"""What restic says, read: its exit-code table, its errors (text with restic 0.14, JSON with
0.17+, one readable line either way: `explain`), and its JSON (snapshots, the backup's summary,
sizes). Pure: nothing here runs restic (orgbackup/tools/restic.py does)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Iterable

from orgbackup.errors import BackupError
from orgbackup.snapshots.shards import Shard, shard_of_tags
from orgbackup.times import parse_rfc3339
from orgbackup.tools import process


class ResticError(BackupError):
    def __init__(self, message: str, returncode: int | None = None):
        super().__init__(message)
        self.returncode = returncode


# restic's scripting contract (0.17+); anything else is a failure.
EXIT_MEANINGS = {
    0: "success",
    1: "the command failed",
    3: "the snapshot was created, but some files could not be read",
    10: "the repository does not exist",
    11: "the repository is locked by another process",
    12: "the password is wrong",
    130: "restic was interrupted",
}


# restic before 0.17 says these only in words.
_NO_REPOSITORY_WORDS = ("Is there a repository at the following location?", "unable to open config file")


_WRONG_PASSWORD_WORDS = ("wrong password or no key found",)


# The backend's server is down or unreachable (restic 0.14 then also asks "Is there a
# repository at the following location?", which must not read as a missing repository).
_UNREACHABLE_WORDS = ("connection refused", "no such host", "i/o timeout", "connection reset",
                      "network is unreachable", "no route to host")


UNREACHABLE = "the repository cannot be reached, its {backend}server did not answer"


# restic's backend prefixes (`s3:https://...`), named in the unreachable line; restic
# 0.14 prints the repository's location (its password stripped) after a failed open.
_BACKEND_NAMES = {"s3": "S3", "rest": "REST", "sftp": "SFTP", "b2": "B2", "azure": "Azure",
                  "gs": "Google Cloud Storage", "swift": "Swift", "rclone": "rclone"}


_LOCATION_WORDS = "Is there a repository at the following location?"


def forgotten_snapshots(stdout: str) -> list[str]:
    """The ids `restic forget --json` removed (a list of groups, each with `remove`)."""
    removed: list[str] = []
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("["):
            continue
        try:
            groups = json.loads(line)
        except json.JSONDecodeError:
            continue
        for group in groups or []:
            removed += [s.get("id", "") for s in (group.get("remove") or [])]
    return removed


def parse_version(text: str) -> tuple[int, ...]:
    """'restic 0.14.0 compiled with go1.19.8 on linux/amd64' -> (0, 14, 0)."""
    words = text.split()
    try:
        return tuple(int(n) for n in words[1].split(".")[:3])
    except (IndexError, ValueError):
        return (0,)


def unfold_json_messages(text: str) -> str:
    """restic's output as text.  With --json, restic 0.17+ prints its errors as JSON
    (`{"message_type":"exit_error","code":10,"message":"Fatal: ...\\nIs there ..."}`, and
    `{"message_type":"error","error":{"message":...},"item":...}` per file): each becomes
    its message's lines, as restic 0.14 prints them; its other messages (status, summary)
    are dropped; a line that is not JSON stays."""
    lines = []
    for line in text.splitlines():
        message = json_message(line)
        if message is None:
            lines.append(line)
        else:
            lines += message.splitlines()
    return "\n".join(lines) + ("\n" if lines else "")


def json_message(line: str) -> str | None:
    """The text of one of restic's JSON messages ("" for one that is not an error), None
    for a line that is not one."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        message = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(message, dict) or "message_type" not in message:
        return None
    kind = message["message_type"]
    if kind == "exit_error":
        return str(message.get("message") or "")
    if kind == "error":
        error = message.get("error")
        text = error.get("message") if isinstance(error, dict) else error
        return f"error: {text}" if text else ""
    return ""


def readable(result: process.Completed) -> process.Completed:
    """The same result with restic's JSON errors as text on stderr (unfold_json_messages),
    so that one reading serves restic 0.14 and 0.17+."""
    return replace(result, stderr=unfold_json_messages(result.stderr))


def explain(result: process.Completed) -> str:
    """One line for a failed restic call: the meaning of its code, then its last words."""
    text = result.stderr + result.stdout
    unreachable = unreachable_line(text)
    if unreachable:
        backend = backend_name(text)
        meaning = UNREACHABLE.format(backend=backend + " " if backend else "")
        return f"restic {result.argv[1]}: {meaning}: {unreachable}"
    retried = open_retry_cause(text)
    if retried:  # restic 0.17+ retried opening the repository, and was ended (gives_up_opening)
        return f"restic {result.argv[1]}: the repository could not be opened: {retried}"
    if result.returncode == 10 or any(w in text for w in _NO_REPOSITORY_WORDS):
        meaning = EXIT_MEANINGS[10]
    elif result.returncode == 12 or any(w in text for w in _WRONG_PASSWORD_WORDS):
        meaning = EXIT_MEANINGS[12]
    elif is_locked(result):  # restic 0.14 says it in words, exit 1, with the lock's details after it
        holder = next((line.strip() for line in result.stderr.splitlines() if "already locked" in line), "")
        return f"restic {result.argv[1]}: {EXIT_MEANINGS[11]}" + (f" ({holder})" if holder else "")
    else:
        meaning = EXIT_MEANINGS.get(result.returncode, f"unknown exit status {result.returncode}")
    detail = process.last_line(result.stderr)
    return f"restic {result.argv[1]}: {meaning}" + (f" ({detail})" if detail else "")


def unreachable_line(text: str) -> str:
    """restic's line saying that the backend's server could not be reached, or '' (without
    restic 0.17+'s "Stat(<config/>) returned error, retrying after 1.2s: ")."""
    for line in text.splitlines():
        if any(w in line for w in _UNREACHABLE_WORDS):
            return _RETRYING.sub("", line.strip()).removeprefix("Fatal: ")
    return ""


# restic 0.17+ retries a failing backend request for up to 15 minutes, opening the
# repository included: `Stat(<config/>) returned error, retrying after 853ms: <cause>`.
# In the middle of a command that tolerates a network interruption; when the repository
# cannot even be opened, the product does not wait that long (restic 0.14 gave up at once).
_RETRYING = re.compile(r"^\S+\(<[^>]*>\) returned error, retrying after [^:]+: ")


_RETRYING_OPEN = re.compile(r"^\S+\(<config/>\) returned error, retrying after [^:]+: ")


OPEN_RETRIES = 3  # about 5 s of restic's backoff: a blip of the network is still waited out


def open_retries(text: str) -> list[str]:
    """The causes of restic's retries to open the repository (its config file), in order."""
    return [_RETRYING_OPEN.sub("", line.strip()) for line in text.splitlines() if _RETRYING_OPEN.match(line.strip())]


def open_retry_cause(text: str) -> str:
    causes = open_retries(text)
    return causes[-1] if causes else ""


def gives_up_opening(stderr: str) -> bool:
    """process.run's `give_up` for restic: it retried opening the repository OPEN_RETRIES times."""
    return len(open_retries(stderr)) >= OPEN_RETRIES


def backend_name(text: str) -> str:
    """The kind of backend ("S3", "REST", ...) of the location restic printed, or ''."""
    lines = [line.strip() for line in text.splitlines()]
    for here, line in enumerate(lines[:-1]):
        if line == _LOCATION_WORDS:
            return _BACKEND_NAMES.get(lines[here + 1].split(":", 1)[0], "")
    return ""


def is_missing_repository(result: process.Completed) -> bool:
    text = result.stderr + result.stdout
    if unreachable_line(text):
        return False
    return result.returncode == 10 or (
        result.returncode == 1 and any(w in text for w in _NO_REPOSITORY_WORDS)
    )


def is_wrong_password(result: process.Completed) -> bool:
    return result.returncode == 12 or any(w in result.stderr for w in _WRONG_PASSWORD_WORDS)


def short_id(snapshot_id: str) -> str:
    """restic's short form of a snapshot id: `restic backup --json` says the short id
    (0.14) or the whole one (0.17+); the product reports the short one with either."""
    return snapshot_id[:8]


def parse_backup_summary(stdout: str) -> dict:
    """The `summary` message of `restic backup --json` (unknown fields ignored)."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if message.get("message_type") == "summary":
            return message
    raise ResticError("restic backup printed no summary")


@dataclass(frozen=True)
class Snapshot:
    id: str
    short_id: str
    time: str
    host: str
    tags: tuple[str, ...]
    paths: tuple[str, ...]
    original: str | None = None  # set by `restic tag` and `restic copy`: the id it was made from
    tree: str | None = None

    @property
    def org(self) -> str | None:
        for tag in self.tags:
            if tag.startswith("org:"):
                return tag[4:]
        return None

    @property
    def complete(self) -> bool:
        return "complete" in self.tags

    @property
    def shard(self) -> Shard | None:
        """`shard:i/N` of a sharded run, None for a run of the whole organization."""
        return shard_of_tags(self.tags)


def parse_snapshots(stdout: str) -> list[Snapshot]:
    return [
        Snapshot(
            id=s["id"],
            short_id=s.get("short_id", s["id"][:8]),
            time=s["time"],
            host=s.get("hostname", ""),
            tags=tuple(s.get("tags") or ()),
            paths=tuple(s.get("paths") or ()),
            original=s.get("original"),
            tree=s.get("tree"),
        )
        for s in json.loads(stdout or "[]")
    ]


def retagged(snapshots: Iterable[Snapshot], original_id: str) -> Snapshot | None:
    """The snapshot `restic tag` made of `original_id` (a full or a short id)."""
    for snap in snapshots:
        if snap.original and original_id and snap.original.startswith(original_id):
            return snap
    return None


def incomplete_to_forget(snapshots: Iterable[Snapshot], now: datetime, keep_days: int) -> list[str]:
    """Ids of one organization's incomplete snapshots that have had their day: a
    newer complete snapshot exists and they are older than `keep_days`."""
    snapshots = list(snapshots)
    complete = [parse_rfc3339(s.time) for s in snapshots if "complete" in s.tags]
    if not complete:
        return []  # the newest incomplete snapshots are all there is of this organization
    newest_complete = max(complete)
    cutoff = now - timedelta(days=keep_days)
    return [
        s.id for s in snapshots
        if "incomplete" in s.tags and parse_rfc3339(s.time) < newest_complete and parse_rfc3339(s.time) < cutoff
    ]


_LOCKED_WORDS = ("repository is already locked", "unable to create lock in backend")


def is_locked(result: process.Completed) -> bool:
    return result.returncode == 11 or any(w in result.stderr for w in _LOCKED_WORDS)


def parse_snapshot_sizes(stdout: str) -> dict[str, int]:
    """{snapshot id: bytes} from `restic snapshots --json`, where restic recorded a
    summary (0.17+: `summary.total_bytes_processed`); older snapshots have none."""
    sizes = {}
    for s in json.loads(stdout or "[]"):
        summary = s.get("summary") or {}
        if isinstance(summary.get("total_bytes_processed"), int):
            sizes[s["id"]] = summary["total_bytes_processed"]
    return sizes


def parse_stats_size(stdout: str) -> int | None:
    """`restic stats --json --mode restore-size`: the bytes a restore writes."""
    try:
        size = json.loads(stdout).get("total_size")
    except (ValueError, AttributeError):
        return None
    return size if isinstance(size, int) else None
