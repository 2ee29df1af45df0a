"""The metadata stage: what neither tool captures (orgbackup/backup/parts/), refreshed
only where GitHub says something changed, or when the rotation says it is time.

Per part, what decides a refresh (the state store's `part_marks` remembers the
mark, when it was refreshed and the counts it left):
- settings: the repository's `updated_at` (GitHub bumps it when settings
  change); access (collaborators, teams, protection, keys, environments,
  variables) does not bump it, so also the rotation (`rotation_reason`: each
  repository at most BACKUP_FULL_REFRESH_DAYS old, spread evenly over the nights).
- commit-comments: the repository's `pushed_at`/`updated_at`, and the rotation.
- discussions: one GraphQL query per 25 repositories with discussions enabled
  gives each one's count and newest `updatedAt`; a changed mark fetches the
  discussions updated since (incremental), the rotation fetches all.
- reviews: only where github-backup ran for the repository this run (its pull
  requests changed), new, or the rotation; the part itself fetches only the pull
  requests whose `updated_at` moved (no request when none did).
- settings, beyond its mark and the rotation: freshness (planning/freshness.py): each night
  spends BACKUP_FRESHNESS_BUDGET_SHARE percent of the REST budget left after what changed
  reading the oldest-read settings again (access changes bump no date on GitHub).
- organization: the organization's `updated_at` (read in preflight), and every night (read
  more than BACKUP_FRESH_HOURS ago): a handful of requests per organization.
- projects: one GraphQL listing of the projects' `updatedAt` every run.
- gists (a personal account's): the listing of the gists every run; a gist whose `updated_at`
  moved is read again. A personal account skips the organization's own parts with the reason
  (orgbackup/backup/accounts.py).
- attachments: after all the others, a scan of the files they wrote (a memo of
  files already scanned keeps an unchanged night to a `stat` per file).

A part that saved fewer items than GitHub reported is run once more in full;
what is still missing then is a problem.  What the token may not read is
skipped with the reason (manifest and summary), never a problem.
"""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from orgbackup.backup.accounts import ORGANIZATION, kind_of, part_applies, skipped_part
from orgbackup.backup.planning import freshness
from orgbackup.backup.planning.changes import rotation_reason
from orgbackup.backup.stages.budget import read_core_budget
from orgbackup.times import now_utc, parse_time
from orgbackup.config.settings import METADATA_PARTS
from orgbackup.backup.context import OrgNight, RunContext
from orgbackup.cache.json_files import write_json_atomically
from orgbackup.backup.parts import attachments, settings_listings, team_access
from orgbackup.backup.parts.registry import ORGANIZATION_PARTS, REPOSITORY_PARTS, PartCall
from orgbackup.backup.parts.common import PartOutcome
from orgbackup.results import StageResult
from orgbackup.cache.state_store import PartMark

log = logging.getLogger(__name__)

ORG_SLOT = 0  # part_marks' repo_id of the organization itself
FETCHED = "fetched"  # the kind a part counts what it fetched this run by
PROGRESS_EVERY_SECONDS = 30


@dataclass
class PartReport:
    """One part, for the manifest and the summary."""

    saved: dict[str, int] = field(default_factory=dict)  # what the backup holds, by kind
    fetched: int = 0  # items fetched this run (discussions, projects), where the part counts them
    refreshed: int = 0  # repositories (or the organization) refreshed this run
    unchanged: int = 0  # not refreshed: GitHub said nothing changed
    skipped: dict[str, list[str]] = field(default_factory=dict)  # reason -> repositories ("" = the organization)
    # The least recently read from GitHub after this run: {"repository" ("" = the organization),
    # "read" (a run's start), "age_seconds"}; parts GitHub gives no change signal for all of
    oldest: dict | None = None

    def add_saved(self, saved: dict[str, int]) -> None:
        for kind, n in saved.items():
            kind = kind.replace(" ", "_")
            self.saved[kind] = self.saved.get(kind, 0) + int(n)

    def as_dict(self) -> dict:
        found = {"saved": dict(sorted(self.saved.items())), "fetched": self.fetched, "refreshed": self.refreshed,
                 "unchanged": self.unchanged, "skipped": {k: sorted(v) for k, v in sorted(self.skipped.items())}}
        return {**found, "oldest": self.oldest} if self.oldest else found


@dataclass
class MetadataReport:
    parts: dict[str, PartReport] = field(default_factory=dict)
    per_repository: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)  # name -> part -> counts
    read: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> part -> last read from GitHub

    def part(self, name: str) -> PartReport:
        return self.parts.setdefault(name, PartReport())

    def as_dict(self) -> dict:
        return {name: report.as_dict() for name, report in sorted(self.parts.items())}


@dataclass
class Job:
    """One refresh of one part for one repository (repo None: the organization)."""

    part: str
    repo: dict | None
    slot: int  # the part mark's key: the repository id, or ORG_SLOT
    mark: str | None  # the mark to record when the refresh has no problems
    run: Callable[[bool], PartOutcome]  # full=True: ignore what is saved, fetch everything
    why: str


# -------------------------------------------------------------- deciding


def refresh_reason(part: str, previous: PartMark | None, current_mark: str | None, slot: int, *,
                   days: int, now) -> str | None:
    """Why one part of one repository (or the organization) refreshes now, or None."""
    if previous is None or not previous.refreshed:
        return "new"
    if current_mark is not None and current_mark != previous.mark:
        return "changed on GitHub"
    return rotation_reason(previous.refreshed, slot, days=days, now=now)


# -------------------------------------------------------------- the stage


def run_metadata(ctx: RunContext, night: OrgNight) -> StageResult:
    """Refresh the metadata parts of one organization, for the repositories the API budget holds
    tonight; StageResult(MetadataReport, problems)."""
    plan = replace(night.plan, repos=night.granted) if night.deferred else night.plan
    org = plan.login
    parts = ctx.config.parts
    wanted = [p for p in METADATA_PARTS if p in parts]
    if ctx.config.shard is not None and not ctx.config.shard.owns_organization:
        wanted = [p for p in wanted if p not in {part.name for part in ORGANIZATION_PARTS}]  # shard 0's
    repository_parts = [part for part in REPOSITORY_PARTS
                        if (part.part_of or part.name) in parts and all(need in parts for need in part.needs)]
    report = MetadataReport()
    problems = []
    if not wanted and not repository_parts:
        return StageResult(report, problems)
    paths = ctx.org_paths(org)
    store = ctx.state_store()
    now = now_utc()
    days = ctx.config.full_refresh_days
    folders = {name: rp.state.folder for name, rp in plan.repo_plans.items()}
    jobs: list[Job] = []
    carried: list[tuple[str, str | None, dict]] = []  # (part, repo name, saved counts) of parts not refreshed
    stale: list[tuple[freshness.Stale, Job, tuple]] = []  # no mark moved: read again as the budget allows

    def plan_part(part: str, repo: dict, current: str | None, run: Callable[[bool, str | None], PartOutcome],
                  marks: dict[int, PartMark], *, force: str | None = None, rotates: bool = True,
                  fresh: bool = False) -> None:
        previous = marks.get(int(repo["id"]))
        if rotates:
            why = force or refresh_reason(part, previous, current, int(repo["id"]), days=days, now=now)
        else:
            why = force or (None if previous is not None and previous.refreshed else "new")
        previous_mark = previous.mark if previous else None
        incremental = why == "changed on GitHub"
        job = Job(part, repo, int(repo["id"]), current,
                  lambda full, run=run, m=previous_mark, inc=incremental: run(full or not inc, m), why or "freshness")
        if why is None:
            kept = (part, repo["name"], previous.saved if previous else {})
            if fresh and freshness.is_stale(previous.refreshed, fresh_hours=ctx.config.fresh_hours, now=now):
                stale.append((freshness.Stale(part, repo["name"], int(repo["id"]), previous.refreshed), job, kept))
                return
            report.part(part).unchanged += 1
            carried.append(kept)
            return
        jobs.append(job)

    # One listing of the teams' repositories for all of the night's settings, when cheaper
    # (built at the first repository that needs it; parts/team_access.py).
    teams = team_access.TeamAccess(ctx.api, org, repositories=0) if kind_of(ctx, org) == ORGANIZATION else None
    listings = settings_listings.SettingsListings(ctx.api, org, threads=ctx.config.concurrency)
    for part in repository_parts:
        marks = store.part_marks(org, part.name)
        repos = [r for r in plan.repos if part.applies(r)]
        asked = part.marks(ctx, org, repos) if part.marks and repos else {}
        for repo in repos:
            name = repo["name"]
            if part.marks:
                current, force = asked.get(name), None if name in asked else "GitHub gave no activity mark"
            else:
                current, force = (part.mark(repo) if part.mark else None), None
            force = force or (part.forced(ctx, org, repo) if part.forced else None)
            plan_part(part.name, repo, current, marks=marks, force=force, rotates=part.rotates, fresh=part.freshness,
                      run=lambda full, mark, part=part, repo=repo, folder=folders.get(name, name):
                      part.back_up(PartCall(ctx, org, repo, folder, paths, mark, full, teams, listings)))

    org_slot_key = int(plan.organization.get("id") or 0)
    for part in ORGANIZATION_PARTS:
        if part.name not in wanted or not part_applies(ctx, org, part.name):
            continue
        why_not = skipped_part(ctx, org, part.name)
        if why_not:
            report.part(part.name).skipped.setdefault(why_not, []).append("")
            continue
        previous = store.part_marks(org, part.name).get(ORG_SLOT)
        folder = part.folder(paths)
        if part.mark_of_organization:
            current = plan.organization.get("updated_at")
            why = refresh_reason(part.name, previous, current, org_slot_key, days=days, now=now) or (
                "nightly" if freshness.is_stale(previous.refreshed, fresh_hours=ctx.config.fresh_hours, now=now)
                else None)
            if why is None:
                report.part(part.name).unchanged += 1
                carried.append((part.name, None, previous.saved if previous else {}))
                continue
            jobs.append(Job(part.name, None, ORG_SLOT, current,
                            lambda full, part=part, folder=folder: part.back_up(ctx, org, folder, None, full), why))
        else:  # asks GitHub every run what changed (its own listing), the rotation fetches all
            rotation = rotation_reason(previous.refreshed if previous else None, org_slot_key, days=days, now=now)
            before = previous.mark if previous else None
            jobs.append(Job(part.name, None, ORG_SLOT, None,
                            lambda full, part=part, folder=folder, before=before, rotation=bool(rotation):
                            part.back_up(ctx, org, folder, before, full or rotation), rotation or "listing"))

    for kept in choose_fresh(ctx, org, stale, jobs):
        report.part(kept[0]).unchanged += 1
        carried.append(kept)
    if teams is not None:
        teams.repositories = sum(1 for job in jobs if job.part == "settings")
    listings.names = [job.repo["name"] for job in jobs if job.part == "settings"]
    problems += run_jobs(ctx, org, jobs, report, store)
    for part, name, saved in carried:
        report.part(part).add_saved(saved)
        if name is not None:
            report.per_repository.setdefault(name, {})[part] = dict(saved)
    note_reads(ctx, org, plan.repos, repository_parts, [p for p in ORGANIZATION_PARTS if p.name in wanted],
               report, store)

    if "attachments" in wanted:
        problems += run_attachments(ctx, org, paths.root, report)
    return StageResult(report, problems)


def choose_fresh(ctx: RunContext, org: str, stale: list, jobs: list[Job]) -> list[tuple]:
    """Tonight's freshness: the oldest-read of `stale` (Stale, Job, carried) join `jobs` as far
    as the budget's share goes; the carried entries of the rest are returned."""
    if not stale:
        return []
    share = ctx.config.freshness_budget_share
    remaining, limit = read_core_budget(ctx)[:2] if share else (0, None)
    planned = sum(freshness.cost_of(job.part) for job in jobs)
    spend = freshness.allowance(remaining=remaining, limit=limit, planned=planned, share=share)
    chosen = {id(s) for s in freshness.oldest_first([s for s, _, _ in stale], spend)[0]}
    jobs += [job for s, job, _ in stale if id(s) in chosen]
    kept = [entry for s, _, entry in stale if id(s) not in chosen]
    log.info("%s: metadata: freshness: %d of %d parts no mark says changed read again, the oldest first "
             "(API budget %s left, %s%% of what is left after %d planned: %s requests)", org, len(chosen), len(stale),
             remaining, share, planned, "no bound" if spend is None else spend)
    return kept


def note_reads(ctx: RunContext, org: str, repos: list[dict], repository_parts, organization_parts,
               report: MetadataReport, store) -> None:
    """When each repository's parts were last read from GitHub (the state store after this
    run), and the oldest of each part that has no change signal for all of it."""
    now = now_utc()
    for part in repository_parts:
        marks = store.part_marks(org, part.name)
        oldest = None
        for repo in repos:
            read = (marks.get(int(repo["id"])) or PartMark(None, None, {})).refreshed
            if not read or not part.applies(repo):
                continue
            report.read.setdefault(repo["name"], {})[part.name] = read
            if part.freshness and (oldest is None or (read, repo["name"]) < (oldest[0], oldest[1])):
                oldest = (read, repo["name"])
        if oldest:
            report.part(part.name).oldest = read_note(f"{org}/{oldest[1]}", oldest[0], now)
    for part in organization_parts:
        previous = store.part_marks(org, part.name).get(ORG_SLOT)
        if part.mark_of_organization and previous and previous.refreshed:
            report.part(part.name).oldest = read_note("", previous.refreshed, now)


def read_note(where: str, read: str, now) -> dict:
    try:
        age = max(0, int((now - parse_time(read[:19] + "Z")).total_seconds()))
    except ValueError:
        age = None
    return {"repository": where, "read": read, "age_seconds": age}


def run_jobs(ctx: RunContext, org: str, jobs: list[Job], report: MetadataReport, store) -> list:
    problems = []
    if not jobs:
        return problems
    log.info("%s: metadata: %d refreshes (%s)", org, len(jobs),
             ", ".join(f"{part} {sum(1 for j in jobs if j.part == part)}" for part in sorted({j.part for j in jobs})))
    started, last_note = time.monotonic(), time.monotonic()
    # After github-backup and the verification: nothing else on the API meanwhile.
    with ThreadPoolExecutor(max_workers=ctx.config.api_threads_alone, thread_name_prefix="metadata") as pool:
        futures = [(job, pool.submit(run_checked, job)) for job in jobs]
        for done, (job, future) in enumerate(futures, 1):
            outcome = future.result()
            problems += outcome.problems
            part = report.part(job.part)
            part.refreshed += 1
            part.fetched += outcome.saved.pop(FETCHED, 0)  # this run's, not what the backup holds
            part.add_saved(outcome.saved)
            where = job.repo["name"] if job.repo else ""
            for reason in outcome.skipped:
                part.skipped.setdefault(reason, []).append(where)
            if job.repo is not None:
                report.per_repository.setdefault(job.repo["name"], {})[job.part] = dict(outcome.saved)
            if not outcome.problems:
                mark = outcome.mark if outcome.mark is not None else job.mark
                store.set_part_mark(org, job.slot, job.part, PartMark(mark, ctx.started, dict(outcome.saved)))
            if time.monotonic() - last_note >= PROGRESS_EVERY_SECONDS:
                last_note = time.monotonic()
                log.info("%s: metadata: %d of %d refreshes done (%.0f s)", org, done, len(jobs),
                         last_note - started)
    return problems


def run_checked(job: Job) -> PartOutcome:
    """Run a part; when it saved fewer than GitHub reported, once more in full; what is
    still missing then is named as a problem."""
    outcome = job.run(False)
    if outcome.mismatches() and not outcome.problems:
        log.info("%s/%s: %s: %s; fetching it again in full", outcome.org, outcome.repo or "-", job.part,
                 "; ".join(outcome.mismatches()))
        outcome = job.run(True)
    for missing in outcome.mismatches():
        outcome.problem(f"GitHub reports more than the backup holds ({missing})")
    if job.part == "settings" and "repository" not in " ".join(outcome.skipped) and not outcome.problems:
        outcome.saved["repositories"] = 1
    return outcome


# -------------------------------------------------------------- attachments


def attachments_memo_path(ctx: RunContext, org: str) -> Path:
    return ctx.state_paths(org).attachments_scanned


def run_attachments(ctx: RunContext, org: str, org_root: Path, report: MetadataReport) -> list:
    memo_path = attachments_memo_path(ctx, org)
    try:
        memo = json.loads(memo_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        memo = {}
    outcome, memo = attachments.back_up_attachments(ctx, org, org_root, memo)
    write_json_atomically(memo_path, memo)
    part = report.part("attachments")
    part.refreshed += 1
    part.add_saved(outcome.saved)
    for reason in outcome.skipped:
        part.skipped.setdefault(reason, []).append("")
    for missing in outcome.mismatches():
        outcome.problem(f"the backup lacks attachments that bodies link to ({missing})")
    return outcome.problems

