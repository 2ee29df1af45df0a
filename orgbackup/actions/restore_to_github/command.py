"""`restore-to-github`: a snapshot of one organization made again in another organization.

    entrypoint.py restore-to-github --org SOURCE --to-org TARGET [--snapshot ID] [--repo NAME ...]
                                    [--dry-run] [--with-access]

The snapshot (newest complete of SOURCE by default) is restored with restic into
`CACHE/.state/restore-to-github/<SNAPSHOT>/` (kept until a restore of it ends complete, so a
rerun does not read it again), then each repository is made again in TARGET
(repository.py), paced, with every creation recorded (restore_state.py). The report names what
is missing (`missing:`, exit 3) and what was restored otherwise than it was (`note:`: an internal
repository made private, discussions under other numbers), which leaves the exit at 0.

Exit: 0 everything restored, 3 restored with something missing, a repository GitHub refused
(a 4xx: the others are restored) or a repository left alone (the report names them), 1 a failure (GitHub unreachable, restic), 2 bad input (TARGET
missing, bad names), 130 stopped by SIGTERM (rerun the same command to go on).
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from orgbackup.tools import process
from orgbackup import words
from orgbackup.config.settings import Config
from orgbackup.errors import EXIT_INCOMPLETE, EXIT_OK, ConfigError
from orgbackup.github.api import GitHubAPI, GitHubError
from orgbackup.cache.layout import CachePaths
from orgbackup.actions.restore import restore_set, restore_snapshot
from orgbackup.results import COMPLETE, INCOMPLETE, OrgResult, RunResult
from orgbackup.actions.session import session
from orgbackup.snapshots.select import select_backups, snapshot_org
from orgbackup.times import iso_utc, parse_rfc3339
from orgbackup.actions.restore_to_github.planned_writes import planned_writes
from orgbackup.actions.restore_to_github.organization import (ORGANIZATION, OrganizationRestore,
                                                               planned_organization_writes)
from orgbackup.actions.restore_to_github.repository import RepositoryRestore
from orgbackup.actions.restore_to_github.step import LEFT_ALONE, RESTORED, Target
from orgbackup.actions.restore_to_github.repository_settings import left_for_a_person
from orgbackup.actions.restore_to_github.restore_state import RestoreState, state_path
from orgbackup.actions.restore_to_github.settings import RestoreSettings, check_names
from orgbackup.actions.restore_to_github.source import SourceOrganization, read_organization
from orgbackup.actions.restore_to_github.writer import Pacer, Progress, TargetWriter, WriteRefused, eta

log = logging.getLogger(__name__)

COMPLETE_MARK = ".restored-complete"


def api_url_of(host: str) -> str:
    return "https://api.github.com" if host == "github.com" else f"https://{host}/api/v3"


def web_url_of(host: str) -> str:
    return f"https://{host}"


def work_folder(config: Config, snapshot_id: str) -> Path:
    return CachePaths(config.cache_dir).restore_to_github / snapshot_id[:16]


def restored_source(files, unit, work: Path) -> SourceOrganization:
    """The backup's tree on disk (restored once; a rerun of the same snapshot reuses it).
    A sharded backup's set of shards is one tree, as `restore` makes it."""
    snap = unit.snapshots[0]
    org = snapshot_org(snap)
    if not (work / COMPLETE_MARK).is_file():
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        if unit.sharded:
            restore_set(files, unit, work, repo=None)
        else:
            restore_snapshot(files, snap, work, repo=None)
        (work / COMPLETE_MARK).write_text(" ".join(s.id for s in unit.snapshots) + "\n")
    return read_organization(work / org)


def target_organization(api: GitHubAPI, org: str, host: str) -> str:
    """The target's login as GitHub spells it; ConfigError when there is none."""
    response = api.send("GET", f"orgs/{org}")
    if response.status_code == 404:
        raise ConfigError(f"restore-to-github --to-org: there is no organization {org} on {host}: create it "
                          f"first (GitHub has no API to create one), then run the same command again")
    if response.status_code == 401:
        raise GitHubError(f"{host} rejected the restore's token (HTTP 401)", 401)
    if response.status_code != 200:
        raise GitHubError(f"GitHub answered HTTP {response.status_code} for the organization {org}",
                          response.status_code)
    return response.json().get("login") or org


def run_restore_to_github(config: Config, settings: RestoreSettings, *, source_org: str, target_org: str,
                          snapshot: str, repos: list[str], dry_run: bool, with_access: bool) -> RunResult:
    clock = time.monotonic()
    check_names(source_org, target_org, repos, same_host=settings.host == config.github_host)
    process.register_secret(settings.token.reveal())
    # The token file (git's credential helper, the API) holds the restore's token, which git offers
    # only to the target organization on the target host; restic's files are the backup's.
    target_config = replace(config, token=settings.token, github_host=settings.host, orgs=(target_org,))
    # Its own lock (a restore of hours must not keep the nightly backup out): one restore at a time.
    with session(config, lock=CachePaths(config.cache_dir).restore_to_github, trust=True,
                 files_config=target_config) as held:
        files = held.files
        api = GitHubAPI(api_url_of(settings.host), settings.token.reveal(), verify=held.verify)
        target_org = target_organization(api, target_org, settings.host)
        unit = select_backups(config, files, snapshot=snapshot, org=source_org,
                              complete_only=snapshot == "latest")[0]
        snap = max(unit.snapshots, key=lambda s: parse_rfc3339(s.time))  # a set of shards: named by its newest
        work = work_folder(config, snap.id)
        source = restored_source(files, unit, work)
        names = selected_repositories(source, repos)
        state = RestoreState(state_path(config.cache_dir), settings.host, target_org, snap.id)
        try:
            target = Target(org=target_org, git_url=web_url_of(settings.host),
                            web_url=web_url_of(settings.host), files=files,
                            stall_seconds=config.stall_seconds, with_access=with_access,
                            same_host=settings.host == config.github_host)
            if dry_run:
                summary = dry_run_report(api, state, source, names, target, settings, snap, whole=not repos)
                status, outcomes = EXIT_OK, []
            else:
                outcomes, writer = restore_repositories(api, state, source, names, target, settings,
                                                        whole=not repos)
                status = EXIT_INCOMPLETE if any(o.problems for o in outcomes) else EXIT_OK
                summary = report(outcomes, writer, source.org, target_org, snap, status,
                                 time.monotonic() - clock, api.requests_made)
        finally:
            state.close()
        if not dry_run and status == EXIT_OK and not repos:
            shutil.rmtree(work, ignore_errors=True)  # done: the tree is in the snapshot still
    sys.stdout.write(summary)
    sys.stdout.flush()
    problems = [f"{o.name}: {p}" for o in outcomes for p in o.problems]
    org_state = COMPLETE if status == EXIT_OK else INCOMPLETE
    return RunResult(command="restore-to-github", status=status, seconds=time.monotonic() - clock,
                     orgs=[OrgResult(target_org, org_state, repositories=len(names), problems=problems,
                                     snapshot_id=snap.short_id)],
                     summary=summary, api_requests=api.requests_made)


def selected_repositories(source: SourceOrganization, repos: list[str]) -> list[str]:
    names = source.names()
    if not repos:
        return names
    by_lower = {n.lower(): n for n in names}
    missing = [r for r in repos if r.lower() not in by_lower]
    if missing:
        raise ConfigError(f"restore-to-github --repo: {', '.join(missing)} not in the snapshot "
                          f"({len(names)} repositories in it)")
    return [by_lower[r.lower()] for r in repos]


def restore_repositories(api, state, source, names, target, settings, *, whole: bool):
    """Each repository in turn; with `whole` (no --repo) the organization's own parts around them."""
    stop = threading.Event()

    def on_term(signum, frame):  # stop between two writes; git pushes are ended
        log.warning("SIGTERM: stopping after the current write")
        stop.set()
        process.stop_all()

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        plans = [source.repository(name) for name in names]
        planned = sum(sum(planned_writes(r, target.with_access).values()) for r in plans)
        if whole:
            planned += sum(planned_organization_writes(source, target.with_access).values())
        already = state.count()
        pacer = Pacer(settings.per_minute, settings.per_hour, stop)
        log.info("restore-to-github: %s -> %s, %d repositories, about %d writes (%d recorded by earlier runs), %s",
                 source.org, target.org, len(plans), planned, already,
                 eta(max(planned - already, 0), pacer.rate_per_minute()))
        writer = TargetWriter(api, state, pacer, Progress(max(planned - already, 1), pacer.rate_per_minute()))
        outcomes = []
        organization = OrganizationRestore(writer, source, target) if whole else None
        if organization:
            organization.before()  # the teams the repositories' environments and rulesets name
        for repo in plans:
            log.info("restore-to-github: %s/%s", target.org, repo.name)
            step = RepositoryRestore(writer, source, repo, target)
            try:
                outcomes.append(step.run())
            except WriteRefused as exc:  # a 4xx about this repository: its problem, the others go on
                step.problem(f"stopped at a write GitHub refused: {exc}")
                outcomes.append(step.outcome)
        if organization:
            organization.after()  # projects and what else points at the repositories
            outcome = organization.outcome
            if outcome.created or outcome.problems or outcome.notices or outcome.for_a_person:
                outcomes.append(outcome)
        return outcomes, writer
    finally:
        signal.signal(signal.SIGTERM, previous)
        process.reset_stop()


def report(outcomes, writer: TargetWriter, source_org: str, target_org: str, snap, status: int,
           seconds: float, requests: int) -> str:
    lines = [f"restore-to-github {source_org} -> {target_org} from snapshot {snap.short_id} "
             f"({iso_utc(snap.time)})"]
    totals = Counter()
    for o in outcomes:
        totals.update(o.created)
        what = ", ".join(f"{n} {k}" for k, n in sorted(o.created.items())) or "nothing new"
        lines.append(f"  {o.name:<30} {o.state:<11} {what}")
        lines.extend(f"      missing: {p}" for p in o.problems)
        lines.extend(f"      note: {n}" for n in o.notices)
        lines.extend(f"      for a person: {n}" for n in o.for_a_person)
    left = [o.name for o in outcomes if o.state == LEFT_ALONE]
    repositories = [o for o in outcomes if o.name != ORGANIZATION]
    restored = sum(1 for o in repositories if o.state == RESTORED)
    lines.append(f"  {restored} of {len(repositories)} repositories restored completely"
                 + (f"; left alone (already in {target_org}): {', '.join(left)}" if left else ""))
    lines.append(f"  {sum(writer.created.values())} created now, {writer.adopted} found made by a stopped run, "
                 f"{writer.writes_sent} content-creating requests of {requests} API requests, {seconds:.1f} s")
    line = {"event": "restore_to_github_summary", "exit_status": status, "source_org": source_org,
            "target_org": target_org, "snapshot_id": snap.short_id, "repositories": len(repositories),
            "restored": restored, "left_alone": left, "created": dict(totals),
            "created_now": sum(writer.created.values()), "adopted": writer.adopted,
            "content_requests": writer.writes_sent,
            "problems": [f"{o.name}: {p}" for o in outcomes for p in o.problems if o.state != LEFT_ALONE],
            "notices": [f"{o.name}: {n}" for o in outcomes for n in o.notices],
            "for_a_person": [f"{o.name}: {n}" for o in outcomes for n in o.for_a_person],
            "api_requests": requests, "seconds": round(seconds, 1)}
    return "\n".join(lines) + "\n" + json.dumps(line, sort_keys=True) + "\n"


# The planned writes' keys (planned_writes; the JSON line keeps them) as the plan's words say them.
PLAN_WORDS = {"repository": "repositories", "pulls": "pull requests", "pull_fields": "pull request fields",
              "closes": "closings", "settings": "settings writes", "actions variables": "Actions variables",
              "actions secrets": "Actions secrets",
              "default_labels": "removed default labels"}


def plan_text(counts) -> str:
    """`1 repository, 12 issues, 1 comment, ...` of planned_writes' counts."""
    return ", ".join(words.counted(n, PLAN_WORDS.get(k, k)) for k, n in sorted(counts.items()))


def dry_run_report(api, state, source, names, target, settings, snap, *, whole: bool) -> str:
    """What a restore would create, per repository, and the requests and time it would take; nothing written."""
    rate = min(float(settings.per_minute), settings.per_hour / 60.0)
    lines = [f"restore-to-github --dry-run {source.org} -> {target.org} from snapshot {snap.short_id} "
             f"({iso_utc(snap.time)}): nothing is created"]
    totals, by_hand_total = Counter(), Counter()
    writes = 0
    ours = state.repositories()
    left = []
    for name in names:
        repo = source.repository(name)
        exists = api.send("GET", f"repos/{target.org}/{name}").status_code == 200
        if exists and name.lower() not in ours:
            left.append(name)
            lines.append(f"  {name:<30} left alone: {target.org}/{name} exists and this restore did not create it")
            continue
        counts = planned_writes(repo, target.with_access)
        totals.update(counts)
        writes += sum(counts.values())
        verb = "continue" if exists else "create"
        by_hand = left_for_a_person(repo)
        by_hand_total.update(by_hand)
        lines.append(f"  {name:<30} {verb}: " + plan_text(counts)
                     + (f"; then for a person: {plan_text(by_hand)}" if by_hand else ""))
    organization = planned_organization_writes(source, target.with_access) if whole else Counter()
    if organization:
        totals.update(organization)
        writes += sum(organization.values())
        lines.append(f"  {ORGANIZATION:<30} create: " + plan_text(organization))
    done = state.count()
    remaining = max(writes - done, 0)
    # Reads: the repository and its labels per repository, plus a few lists on resume.
    reads = 2 * len(names) + 2
    lines.append("  total: " + plan_text(totals))
    lines.append(f"  about {remaining} content-creating API requests ({done} already recorded) and about "
                 f"{reads} reads; at {words.rate(rate)} (RESTORE_REQUESTS_PER_MINUTE/_PER_HOUR): "
                 f"{eta(remaining, rate).replace(' left', '')}"
                 + (f"; left alone: {', '.join(left)}" if left else ""))
    line = {"event": "restore_to_github_dry_run", "source_org": source.org, "target_org": target.org,
            "snapshot_id": snap.short_id, "repositories": len(names), "left_alone": left,
            "planned": dict(totals), "for_a_person": dict(by_hand_total), "content_requests": remaining,
            "read_requests": reads,
            "api_requests_so_far": api.requests_made}
    return "\n".join(lines) + "\n" + json.dumps(line, sort_keys=True) + "\n"
