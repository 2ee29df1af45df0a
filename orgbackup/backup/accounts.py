"""Organizations and personal accounts: the one place that says how they differ.

GITHUB_ORGS and GITHUB_USERS both name accounts whose repositories are backed up into the same
layout under the account's name, with the same checks. A personal account differs in:
- how it is found (GET /users/{login}, whose `type` must be "User") and how its repositories are
  listed: the token's own user through GET /user/repos (private ones included), anyone else
  through GET /users/{login}/repos (what GitHub shows of them: the public ones);
- what only an organization has: its settings, members, teams and hooks (the `organization`
  part), its projects, the teams' access to a repository: skipped with `ORGANIZATION_ONLY`'s
  reason, never an error;
- what only a person has: gists (parts/gists.py).
"""

from __future__ import annotations

from orgbackup.backup.context import RunContext
from orgbackup.github.api import GitHubError

ORGANIZATION, USER = "organization", "user"
# BACKUP_PARTS words of an organization's own, and why a personal account has none of them
ORGANIZATION_ONLY = {
    "organization": "a personal account has no organization settings, members, teams or hooks",
    "projects": "projects of a personal account are not backed up",
}
USER_ONLY = {"gists": "an organization has no gists"}


def kind_of(ctx: RunContext, login: str) -> str:
    return USER if ctx.config.is_user(login) else ORGANIZATION


def skipped_part(ctx: RunContext, login: str, part: str) -> str | None:
    """Why a configured `part` is skipped for this personal account (None: it is not), for the
    manifest and the summary."""
    return ORGANIZATION_ONLY.get(part) if kind_of(ctx, login) == USER else None


def part_applies(ctx: RunContext, login: str, part: str) -> bool:
    """A person's own parts (gists) do not apply to an organization: nothing to say about them."""
    return part not in USER_ONLY or kind_of(ctx, login) == USER


def is_token_user(ctx: RunContext, login: str) -> bool:
    return bool(ctx.token_login) and ctx.token_login.lower() == login.lower()


def find_account(ctx: RunContext, name: str) -> dict:
    """GitHub's object of the account (its `login` is GitHub's spelling, which names the account's
    folder: GitHub may only change its case); GitHubError when it cannot be had."""
    user = kind_of(ctx, name) == USER
    variable, noun = ("GITHUB_USERS", "user") if user else ("GITHUB_ORGS", "organization")
    try:
        account = ctx.api.get(f"users/{name}") if user else ctx.api.organization(name)
    except GitHubError as exc:
        if exc.status == 404:
            raise GitHubError(f"{noun} {name!r} does not exist or the token cannot see it ({variable})", 404) from None
        raise
    login = account.get("login")
    if not isinstance(login, str) or login.lower() != name.lower():
        raise GitHubError(f"GitHub answered for {noun} {name!r} with the login {login!r}: not backed up")
    if user and account.get("type") != "User":
        raise GitHubError(f"{name!r} is not a personal account (GitHub says {account.get('type')!r}): "
                          "list an organization in GITHUB_ORGS")
    return account


def repositories_of(ctx: RunContext, login: str) -> list[dict]:
    """Every repository of the account that the token can see (GitHubError when none can be listed)."""
    if kind_of(ctx, login) == ORGANIZATION:
        return ctx.api.org_repositories(login)
    if is_token_user(ctx, login):  # private ones too
        repos = list(ctx.api.paginate("user/repos", {"affiliation": "owner"}))
    else:  # what GitHub shows another person: the public ones
        repos = list(ctx.api.paginate(f"users/{login}/repos", {"type": "owner"}))
    # only the person's own, whatever a listing adds
    return [repo for repo in repos if (repo.get("owner") or {}).get("login", "").lower() == login.lower()]
