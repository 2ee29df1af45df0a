"""The first stage of an organization's night: its cache folders made and moved as the plan says.

    run_folders(ctx, night) -> StageResult(None, [])

A renamed repository's folders move with it (nothing is downloaded again), one re-created
under an older one's name gets a fresh folder (the older one is kept as <NAME>~<OLD_ID>), and
one deleted on GitHub stays (orgbackup/backup/planning/plan.py: apply_plan).
"""

from __future__ import annotations

import logging

from orgbackup.backup.context import OrgNight, RunContext
from orgbackup.backup.planning.plan import apply_plan
from orgbackup.results import StageResult

log = logging.getLogger(__name__)


def run_folders(ctx: RunContext, night: OrgNight) -> StageResult:
    org, plan = night.org, night.plan
    paths, state = ctx.org_paths(org), ctx.state_paths(org)
    paths.root.mkdir(parents=True, exist_ok=True)
    state.root.mkdir(parents=True, exist_ok=True)
    apply_plan(ctx.state_store(), plan, paths.github_backup / "repositories", paths.gitim / org, now=ctx.started,
               keep_deleted_days=ctx.config.keep_deleted_days, legacy_state_dir=state.root,
               more_parents=paths.per_repository_parents)
    for gone in plan.deleted:
        log.warning("%s/%s: deleted on GitHub (last seen %s); its backup is kept", org, gone.folder,
                    gone.last_seen or "before this cache kept track")
    return StageResult(None, [])
