"""Preflight, before anything is written: the token, the organizations, the rate
limit, the restic repository and its password, and whether hooks can be read."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from .. import restic
from ..context import RunContext
from ..errors import PreflightError
from ..github_api import GitHubError

log = logging.getLogger(__name__)


@dataclass
class OrgPlan:
    """What GitHub says of one organization now."""

    login: str  # GitHub's own spelling: github-backup 0.40.0 compares it case-sensitively
    repos: list[dict]
    hooks: bool
    hooks_reason: str


def check_token(ctx: RunContext) -> str:
    try:
        user = ctx.api.user()
    except GitHubError as exc:
        if exc.status == 401:
            raise PreflightError("GITHUB_TOKEN: GitHub rejected the token (HTTP 401 Bad credentials)") from None
        raise PreflightError(f"GitHub is not usable: {exc}") from None
    return user.get("login", "?")


def show_rate_limit(ctx: RunContext) -> None:
    try:
        core = ctx.api.rate_limit().get("resources", {}).get("core", {})
    except GitHubError as exc:
        log.warning("could not read the rate limit: %s", exc)
        return
    reset = time.strftime("%H:%M:%S", time.gmtime(core.get("reset", 0)))
    log.info("GitHub API budget: %s of %s requests left (resets %s UTC)", core.get("remaining"), core.get("limit"), reset)


def find_organization(ctx: RunContext, org: str) -> str:
    try:
        return ctx.api.organization(org)["login"]
    except GitHubError as exc:
        if exc.status == 404:
            raise PreflightError(f"GITHUB_ORGS: organization {org!r} does not exist or the token cannot see it") from None
        raise PreflightError(f"GitHub is not usable: {exc}") from None


def hooks_decision(ctx: RunContext, login: str, repos: list[dict]) -> tuple[bool, str]:
    """github-backup 0.40.0 ends its whole run on the 404 of a token without admin rights,
    so ask GitHub first, on one repository, whether this token can read hooks."""
    mode = ctx.config.hooks
    if mode == "off":
        return False, "BACKUP_HOOKS=off"
    if not repos:
        return False, "the organization has no repositories"
    if mode == "on":
        return True, "BACKUP_HOOKS=on"
    probe = sorted(repos, key=lambda r: r["name"])[0]
    if ctx.api.can_read_hooks(probe["full_name"]):
        return True, "the token can read hooks"
    return False, f"the token cannot read hooks (tried {probe['full_name']}; needs admin rights)"


def run_preflight(ctx: RunContext) -> dict[str, OrgPlan]:
    started = time.monotonic()
    login = check_token(ctx)
    log.info("GitHub at %s accepts the token (user %s)", ctx.config.api_url, login)
    show_rate_limit(ctx)
    logins = [find_organization(ctx, org) for org in ctx.config.orgs]
    created = restic.ensure_repository(ctx.files)
    log.info("restic repository %s", "initialised" if created else "opened, password correct")
    plans: dict[str, OrgPlan] = {}
    for org_login in logins:
        try:
            repos = ctx.api.org_repositories(org_login)
        except GitHubError as exc:
            raise PreflightError(f"cannot list the repositories of {org_login}: {exc}") from None
        hooks, reason = hooks_decision(ctx, org_login, repos)
        plans[org_login] = OrgPlan(org_login, repos, hooks, reason)
        log.info("%s: %d repositories; hooks %s (%s)", org_login, len(repos), "on" if hooks else "off", reason)
    log.info("preflight done in %.1f s", time.monotonic() - started)
    return plans
