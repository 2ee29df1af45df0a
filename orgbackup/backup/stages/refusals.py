"""What git or git-lfs asked the token for during the night and did not get (a hostile or broken
repository: docs/security.md), as problems of the repositories that asked.

    run_refusals(ctx, night) -> StageResult(None, problems)
"""

from __future__ import annotations

from orgbackup.backup.context import OrgNight, RunContext
from orgbackup.git.credential_refusals import refusal_problems, take_refusals
from orgbackup.results import StageResult


def run_refusals(ctx: RunContext, night: OrgNight) -> StageResult:
    refusals = take_refusals(ctx.files.credential_log)
    return StageResult(None, refusal_problems(night.org, refusals, ctx.org_paths(night.org), ctx.state_paths(night.org)))
