"""The text of what the restore creates: a provenance header, then the original body.

GitHub's API cannot set an author or a date, so every body that carries original text
starts with one header paragraph naming them, then a blank line, then the original body
verbatim.  The header begins with a marker `<!-- orgbackup:KIND:ID -->` (invisible on
GitHub) naming the original: a rerun after a kill finds what it had already created by it.

    <!-- orgbackup:issue-comment:1014 --> *@bob commented on 2023-11-15 14:11 UTC (restored from a backup)*

    original body

`strip_provenance` gives the original body back (the round trip compares with it).

`no_nulls` is the one rule every request body goes through (TargetWriter.write applies it):
GitHub's description allows null only where it says `nullable`, so a None is left out of the
body unless the operation names that field nullable (branch protection's four switches).
"""

from __future__ import annotations

import re

MARKER = "<!-- orgbackup:"
PLACEHOLDER_LABEL = "orgbackup-placeholder"
PLACEHOLDER_TITLE = "Placeholder for #{number} (not in the backup)"
_URL = re.compile(r"https://[^\s)\"'<>\]]+")


def no_nulls(body, nullable: tuple[str, ...] = ()):
    """`body` without the None values (at any depth), but for the top-level keys in `nullable`."""
    if isinstance(body, dict):
        return {k: no_nulls(v) for k, v in body.items() if v is not None or k in nullable}
    if isinstance(body, list):
        return [no_nulls(v) for v in body if v is not None]
    return body


def marker(kind: str, original_id) -> str:
    return f"{MARKER}{kind}:{original_id} -->"


def when(iso: str | None) -> str:
    """2023-11-15T14:11:20Z -> 2023-11-15 14:11 UTC."""
    if not iso:
        return "an unknown date"
    return iso[:16].replace("T", " ") + " UTC"


def login_of(obj: dict | None) -> str:
    user = (obj or {}).get("user") or (obj or {}).get("author") or {}
    return user.get("login") or "ghost"


def with_header(kind: str, original_id, header: str, body: str | None, notes: list[str] = ()) -> str:
    """The header paragraph (marker, header line, notes: no blank line among them), then the body."""
    lines = [f"{marker(kind, original_id)} {header}", *notes]
    text = "\n".join(line.replace("\n\n", "\n") for line in lines)
    return f"{text}\n\n{body}" if body else text


def strip_provenance(body: str | None) -> str:
    """The original body of a restored one (unchanged when it has no header)."""
    body = body or ""
    if not body.startswith(MARKER):
        return body
    cut = body.find("\n\n")
    return "" if cut < 0 else body[cut + 2:]


def attachment_notes(body: str | None, attachments: dict[str, dict]) -> list[str]:
    """One note per attachment the body embeds: GitHub has no API to upload one, so the body
    keeps the original link and the note says where the backup holds the bytes."""
    notes = []
    for url in dict.fromkeys(_URL.findall(body or "")):
        entry = attachments.get(url)
        if entry and entry.get("sha256"):
            sha = entry["sha256"]
            notes.append(f"*Attachment {url} is kept in the backup as attachments/files/{sha[:2]}/{sha}*")
    return notes
