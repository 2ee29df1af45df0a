"""One organization's night: the stages in order.

Every stage is `run_<stage>(ctx, night) -> StageResult(captured, problems)`; what it captured
goes to the field of the night (orgbackup/backup/context.py: OrgNight) the table names, where
the stages after it read it. One organization failing (a BackupError) ends its night with an
error; the run goes on with the next organization.

    folders       the plan applied: new, renamed, re-created, deleted repositories' folders
    budget        whose metadata the API budget holds tonight (the rest is deferred)
    github-backup github-backup 0.40.0 for the repositories that changed
    verify        every clone and wiki against GitHub now, repaired; LFS objects, comments
    gitim         gitim 7b6e898, then every working clone at GitHub's default branch head
    metadata      what neither tool captures (orgbackup/backup/parts/)
    dependencies  the submodule repositories outside the organization
    refusals      what git asked the token for and did not get
    scrub         no credentials in the tree; the files that hold the token left out
    manifest      manifest.json; which problems count
    snapshot      restic backup of the organization's folder
    copy          that snapshot copied to the second repository (RESTIC_COPY_REPOSITORY), checked there
    retention     restic forget by the keep policy (BACKUP_RETENTION=separate: the prune job's)
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable

from orgbackup.backup.context import OrgNight, RunContext
from orgbackup.backup.planning.plan import OrgPlan
from orgbackup.backup.stages import (budget, dependencies, folders, github_backup, gitim, manifest, metadata,
                                     refusals, scrub, second_copy, snapshot, verify_repair)
from orgbackup.backup.stages.summary import OrgOutcome
from orgbackup.config.settings import RETENTION_HERE
from orgbackup.errors import BackupError
from orgbackup.results import StageResult
from orgbackup.tools import process

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[RunContext, OrgNight], StageResult]
    keeps: str | None  # the OrgNight field its captured result goes to


STAGES: tuple[Stage, ...] = (
    Stage("folders", folders.run_folders, None),
    Stage("budget", budget.run_budget, "budget"),
    Stage("github-backup", github_backup.run_github_backup, "github_backup"),
    Stage("verify", verify_repair.run_verify_repair, "records"),
    Stage("gitim", gitim.run_gitim, "working_clones"),
    Stage("metadata", metadata.run_metadata, "metadata"),
    Stage("dependencies", dependencies.run_dependencies, "dependencies"),
    Stage("refusals", refusals.run_refusals, None),
    Stage("scrub", scrub.run_scrub, "leaked"),
    Stage("manifest", manifest.run_manifest, None),
    Stage("snapshot", snapshot.run_snapshot, "snapshot"),
    Stage("copy", second_copy.run_copy, "copy"),
    Stage("retention", snapshot.run_retention, "forgotten"),
)


def back_up_organization(ctx: RunContext, plan: OrgPlan, stages: tuple[Stage, ...] = STAGES) -> OrgOutcome:
    """The night of one organization, its outcome for the summary."""
    night = OrgNight(plan, problems=list(plan.problems))
    clock = time.monotonic()
    try:
        if ctx.credentials is not None:
            ctx.credentials.use(night.org)  # a GitHub App: this organization's installation token
        for stage in stages:
            log.info("%s: %s", night.org, stage.name)
            result = stage.run(ctx, night)
            night.problems += result.problems
            if stage.keeps:
                setattr(night, stage.keeps, result.captured)
    except BackupError as exc:
        night.error = process.mask(str(exc))
        log.error("%s: %s", night.org, night.error)
    return outcome_of(night, time.monotonic() - clock, retention=ctx.config.retention_mode)


def outcome_of(night: OrgNight, seconds: float, *, retention: str = RETENTION_HERE) -> OrgOutcome:
    plan = night.plan
    return OrgOutcome(
        night.org,
        repositories=night.records,
        dependencies=night.dependencies,
        problems=night.problems,
        hooks={"backed_up": plan.hooks, "reason": plan.hooks_reason},
        snapshot_id=night.snapshot.snapshot_id if night.snapshot else None,
        data_added=night.snapshot.data_added if night.snapshot else 0,
        seconds=seconds,
        leaked_files=[str(p) for p in night.leaked],
        error=night.error,
        forgotten=night.forgotten,
        retention=retention,
        known_problems=night.known_problems,
        deleted=[d.as_dict() for d in plan.deleted],
        renamed={p.name: p.previous_name for p in plan.events("renamed")},
        metadata=night.metadata.as_dict() if night.metadata else {},
        lfs=night.lfs.as_dict() if night.lfs else {},
        copy=night.copy.as_dict() if night.copy else {},
    )
