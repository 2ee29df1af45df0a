"""Notifications through Apprise (e-mail, Slack, Matrix, ntfy, Teams ...: one URL each).

BACKUP_NOTIFY_ON says for which outcomes: success, incomplete, failure (default
failure,incomplete). The message is the summary and the list of problems, masked.
"""

from __future__ import annotations

from orgbackup.tools import process
from orgbackup.errors import EXIT_INCOMPLETE, EXIT_OK
from orgbackup.results import RunResult
from orgbackup.monitoring.settings import FAILURE, INCOMPLETE, SUCCESS

MAX_PROBLEMS_LISTED = 50


class NotifyFailed(Exception):
    """Apprise could not deliver to every service."""


def outcome_word(status: int) -> str:
    if status == EXIT_OK:
        return SUCCESS
    if status == EXIT_INCOMPLETE:
        return INCOMPLETE
    return FAILURE


def title(result: RunResult) -> str:
    word = {SUCCESS: "complete", INCOMPLETE: "INCOMPLETE", FAILURE: "FAILED"}[outcome_word(result.status)]
    orgs = ", ".join(o.org for o in result.orgs)
    return f"orgbackup {result.command} {word} (exit {result.status})" + (f": {orgs}" if orgs else "")


def body(result: RunResult) -> str:
    lines = []
    for org in result.orgs:
        lines.append(f"{org.org}: {org.state}" + (f", snapshot {org.snapshot_id}" if org.snapshot_id else "")
                     + (f", {len(org.problems)} problem(s)" if org.problems else ""))
        for problem in org.problems[:MAX_PROBLEMS_LISTED]:
            lines.append(f"  - {problem}")
        if len(org.problems) > MAX_PROBLEMS_LISTED:
            lines.append(f"  ... and {len(org.problems) - MAX_PROBLEMS_LISTED} more (see the summary)")
    if result.orgs:
        lines.append("")
    lines.append(result.summary.rstrip())
    return process.mask("\n".join(lines))


def notify(urls: str, result: RunResult) -> None:
    import apprise

    sender = apprise.Apprise()
    sender.add(urls)
    if not sender.notify(title=process.mask(title(result)), body=body(result),
                         body_format=apprise.NotifyFormat.TEXT):
        raise NotifyFailed("not every notification service took the message (Apprise's warnings above say which)")
