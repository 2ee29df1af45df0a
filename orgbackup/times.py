"""Times, in one place: GitHub's (to the second, `Z`), restic's (RFC 3339 with nanoseconds and
any offset), and the run's own, always as aware UTC datetimes or GitHub's text form."""

from __future__ import annotations

import re
from datetime import datetime, timezone

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # GitHub's, which github-backup compares as strings


def now_utc() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def format_time(moment: datetime) -> str:
    """GitHub's form: 2026-11-25T03:00:00Z."""
    return moment.astimezone(timezone.utc).strftime(TIME_FORMAT)


def utc_now() -> str:
    return format_time(now_utc())


def parse_time(text: str) -> datetime:
    """GitHub's form back to an aware datetime (ValueError when it is not that form)."""
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=timezone.utc)


def parse_rfc3339(text: str) -> datetime:
    """restic's time ('2026-11-25T03:00:00.123456789+01:00', '...Z', any number of fraction
    digits) as an aware UTC datetime (Python 3.11 reads 3 or 6 digits of a fraction only)."""
    text = text.strip().replace("Z", "+00:00")
    text = re.sub(r"\.(\d+)", lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def iso_utc(text: str) -> str:
    """An RFC 3339 time in GitHub's form (UTC, to the second)."""
    return format_time(parse_rfc3339(text))
