"""What every restore step shares: where it writes (Target), what it reports (Outcome), and the
report's and the state's bookkeeping (Step): a repository (repository.py) and the organization's
own parts (organization.py) are each one Step with one Outcome, one row of the report."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from orgbackup.github.api import GitHubError
from orgbackup.actions.restore_to_github.writer import WriteRefused

log = logging.getLogger(__name__)

LEFT_ALONE = "left alone"
RESTORED = "restored"
INCOMPLETE = "incomplete"


@dataclass
class Outcome:
    name: str
    state: str = RESTORED
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # restored, but not as it was (the report says how)
    created: Counter = field(default_factory=Counter)
    for_a_person: list[str] = field(default_factory=list)  # what only a person can do, and why


@dataclass
class Target:
    """Where the restore writes: the organization, its git URL, the run's secret files."""

    org: str
    git_url: str           # https://HOST
    web_url: str
    files: object          # SecretFiles with the restore token
    stall_seconds: int
    with_access: bool
    same_host: bool = True  # the source's GitHub: a user's or an app's id is the same one
    accounts: dict = field(default_factory=dict)  # target_accounts.TargetAccounts' answers, kept for the restore


class Step:
    """One row of the report: `name` (a repository's, or organization.ORGANIZATION), its writer
    `w`, the state's keys under `key_prefix`, and its Outcome."""

    def __init__(self, writer, target: Target, name: str, key_prefix: str):
        self.w, self.target, self.name = writer, target, name
        self.state = writer.state
        self.key_prefix = key_prefix
        self.outcome = Outcome(name)

    def key(self, *parts) -> str:
        return "/".join([self.key_prefix, *map(str, parts)])

    def count(self, what: str) -> None:
        """One more `what` created by this run (not one recorded or found from an earlier run)."""
        if self.w.fresh:
            self.outcome.created[what] += 1

    def problem(self, text: str) -> None:
        log.warning("%s/%s: %s", self.target.org, self.name, text)
        self.outcome.problems.append(text)
        self.outcome.state = INCOMPLETE

    def notice(self, text: str) -> None:
        """A report line that does not make the restore incomplete (nothing more a rerun could do)."""
        log.info("%s/%s: %s", self.target.org, self.name, text)
        if text not in self.outcome.notices:
            self.outcome.notices.append(text)

    def for_a_person(self, text: str) -> None:
        """What only a person can do after the restore, and why (the report's `for a person:`)."""
        log.info("%s/%s: for a person: %s", self.target.org, self.name, text)
        if text not in self.outcome.for_a_person:
            self.outcome.for_a_person.append(text)

    def guarded(self, part: str, action, hint=lambda status: "") -> None:
        """action(), GitHub's refusal (a write's 4xx, a listing's 403 or 404) this step's problem about
        `part` (with `hint(status)` after it: what to do), and the restore going on."""
        try:
            action()
        except WriteRefused as exc:
            self.problem(f"{part} not restored: {exc}{hint(exc.status)}")
        except GitHubError as exc:
            if exc.status not in (403, 404):
                raise
            self.problem(f"{part} not restored: GitHub refused to list them ({exc}){hint(exc.status)}")
