"""Preflight, before anything is written: the token, the accounts (organizations and users), the rate
limit, the restic repository and its password, and whether hooks can be read.

What concerns the whole run (the token, GitHub answering at all, the restic
repository) raises PreflightError.  What concerns one organization (it does not
exist, its repositories cannot be listed) is that organization's failure alone:
it is returned in `Preflight.unavailable` and the others are backed up."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from orgbackup.tools import restic
from orgbackup.backup.accounts import find_account, repositories_of
from orgbackup.backup.context import RunContext
from orgbackup.errors import PreflightError
from orgbackup.github.api import GitHubError
from orgbackup.backup.planning.plan import OrgPlan, can_admin, storable_listing
from orgbackup.snapshots.shards import select_repositories

log = logging.getLogger(__name__)


@dataclass
class Preflight:
    plans: dict[str, OrgPlan] = field(default_factory=dict)  # by GitHub's spelling of the login
    unavailable: dict[str, str] = field(default_factory=dict)  # configured name -> why it cannot be backed up


def check_token(ctx: RunContext) -> str:
    """Who GitHub says we are: the token's user, or the GitHub App (an installation token
    may not read /user)."""
    try:
        if ctx.credentials is not None:
            return ctx.credentials.identity(ctx.api)
        return ctx.api.user().get("login", "?")
    except GitHubError as exc:
        if exc.status == 401 and ctx.credentials is not None and ctx.credentials.is_app:
            raise PreflightError(str(exc)) from None
        if exc.status == 401:
            raise PreflightError(f"{ctx.config.token_source}: GitHub rejected the token (HTTP 401 Bad credentials)") from None
        raise PreflightError(f"GitHub is not usable: {exc}") from None


def use_credentials_of(ctx: RunContext, org: str) -> None:
    """A GitHub App speaks for each organization with that installation's token."""
    if ctx.credentials is not None:
        ctx.credentials.use(org)


def show_rate_limit(ctx: RunContext) -> None:
    try:
        core = ctx.api.rate_limit().get("resources", {}).get("core", {})
    except GitHubError as exc:
        log.warning("could not read the rate limit: %s", exc)
        return
    reset = time.strftime("%H:%M:%S", time.gmtime(core.get("reset", 0)))
    log.info("GitHub API budget: %s of %s requests left (resets %s UTC)", core.get("remaining"), core.get("limit"), reset)


def hooks_decision(ctx: RunContext, login: str, repos: list[dict]) -> tuple[bool, str]:
    """github-backup 0.40.0 ends its whole run on the 404 of a token without admin rights,
    so hooks are asked for only where the listing's `permissions.admin` allows it."""
    mode = ctx.config.hooks
    if mode == "off":
        return False, "BACKUP_HOOKS=off"
    if not repos:
        return False, "the organization has no repositories"
    if mode == "on":
        return True, "BACKUP_HOOKS=on"
    admin = sum(1 for repo in repos if can_admin(repo))
    if admin == len(repos):
        return True, "the token can read hooks"
    if admin:
        return True, f"the token can read hooks of {admin} of {len(repos)} repositories (needs admin rights)"
    return False, "the token cannot read hooks (needs admin rights)"


def run_preflight(ctx: RunContext) -> Preflight:
    started = time.monotonic()
    login = check_token(ctx)
    if ctx.credentials is None or not ctx.credentials.is_app:
        ctx.token_login = login
    log.info("GitHub at %s accepts the token (%s)", ctx.config.api_url,
             login if login.startswith("GitHub App") else f"user {login}")
    app = ctx.credentials is not None and ctx.credentials.is_app
    if not app:  # an App's budget is per installation: shown below, per organization
        show_rate_limit(ctx)
    result = Preflight()
    found: dict[str, dict] = {}
    for org in ctx.config.orgs:
        try:
            use_credentials_of(ctx, org)
            if app:
                show_rate_limit(ctx)
            organization = find_account(ctx, org)
            found[organization["login"]] = organization
        except GitHubError as exc:
            result.unavailable[org] = str(exc)
            log.error("%s: %s%s", org, exc,
                      "; the other organizations are backed up" if len(ctx.config.orgs) > 1 else "")
    shard = ctx.config.shard
    created = restic.ensure_repository(ctx.files, may_create=shard is None or shard.index == 0)
    log.info("restic repository %s", "initialised" if created else "opened, password correct")
    for org_login, organization in found.items():
        try:
            use_credentials_of(ctx, org_login)
            repos = repositories_of(ctx, org_login)
        except GitHubError as exc:
            result.unavailable[org_login] = f"cannot list its repositories: {exc}"
            log.error("%s: cannot list its repositories: %s", org_login, exc)
            continue
        repos, refused = storable_listing(org_login, repos)
        for problem in refused:
            log.error("%s", problem)
        listed = len(repos)
        repos, others = select_repositories(repos, ctx.config.shard)
        if ctx.config.shard is not None:
            log.info("%s: shard %s backs up %d of the %d repositories%s", org_login, ctx.config.shard,
                     len(repos), listed, " and the organization's own data" if ctx.config.shard.owns_organization
                     else "")
        hooks, reason = hooks_decision(ctx, org_login, repos)
        result.plans[org_login] = OrgPlan(org_login, repos, hooks, reason, organization, other_shards=others,
                                          problems=refused)
        log.info("%s: %d repositories; hooks %s (%s)", org_login, len(repos), "on" if hooks else "off", reason)
    log.info("preflight done in %.1f s", time.monotonic() - started)
    return result
