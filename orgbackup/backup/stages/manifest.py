"""The manifest stage: manifest.json of the night (what the snapshot holds, per repository,
and every problem), written into the organization's folder before the snapshot.

    run_manifest(ctx, night) -> StageResult(path of manifest.json, [])

It also settles which problems count: an upstream problem an earlier snapshot recorded
(GitHub itself lost it) moves from `night.problems` to `night.known_problems`, listed in every
manifest without making the night incomplete (orgbackup/results.py).
"""

from __future__ import annotations

import logging

from orgbackup.backup.context import OrgNight, RunContext
from orgbackup.backup.parts import pull_comments
from orgbackup.cache.manifest import build_manifest, write_manifest
from orgbackup.results import UPSTREAM, Problem, StageResult, split_known
from orgbackup.times import utc_now

log = logging.getLogger(__name__)


def attach_problems(records: dict[str, dict], problems: list[Problem]) -> None:
    """Each repository's record lists every problem of that repository, whichever stage found it."""
    for problem in problems:
        record = records.get(problem.repo) if problem.repo else None
        if record is not None:
            text = f"[{problem.part}] {problem.message}"
            listed = record.setdefault("problems", [])
            if problem.message not in listed and text not in listed:
                listed.append(text)


def repository_records(night: OrgNight) -> dict[str, dict]:
    """Per repository: verify-and-repair's record, its working clone, the metadata parts'
    counts and when each was last read from GitHub, a deferral, and every problem of the night."""
    records = night.records
    for name, clone in night.working_clones.items():
        records.setdefault(name, {})["gitim"] = clone
    for name, parts in (night.metadata.per_repository if night.metadata else {}).items():
        if name in records:
            records[name]["metadata"] = parts
            if pull_comments.COUNTED in parts.get(pull_comments.PART, {}):  # fetched after the verification
                records[name]["pull_conversation_comments"] = parts[pull_comments.PART][pull_comments.COUNTED]
    for name, read in (night.metadata.read if night.metadata else {}).items():
        if name in records:
            records[name]["metadata_read"] = read  # part -> when it was last read from GitHub (a run's start)
    for name in night.deferred:
        records.setdefault(name, {})["deferred"] = "metadata deferred: API budget"
    attach_problems(records, night.problems)
    return records


def run_manifest(ctx: RunContext, night: OrgNight) -> StageResult:
    org, plan = night.org, night.plan
    records = repository_records(night)
    night.problems, night.known_problems = split_known(night.problems, set(ctx.state_store().known_problems(org)))
    for problem in night.problems:
        if problem.kind == UPSTREAM:
            log.warning("%s: new upstream problem (GitHub does not have it; reported once): %s", org, problem)
    path = ctx.org_paths(org).manifest
    write_manifest(path, build_manifest(
        org=org,
        started=ctx.started,
        finished=utc_now(),
        tool_versions=ctx.tool_versions,
        hooks={"backed_up": plan.hooks, "reason": plan.hooks_reason},
        repositories=records,
        dependencies=night.dependencies,
        metadata=night.metadata.as_dict() if night.metadata else {},
        problems=night.problems,
        known_problems=night.known_problems,
        deleted=[d.as_dict() for d in plan.deleted],
        renamed={p.name: p.previous_name for p in plan.events("renamed")},
        shard=ctx.config.shard,
        budget=night.budget.as_dict() if night.budget else None,
        copy=ctx.files.has_copy,
    ))
    return StageResult(path, [])
