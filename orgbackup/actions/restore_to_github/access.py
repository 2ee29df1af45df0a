"""--with-access: branch protection and collaborators, in the shapes GitHub's PUTs take."""

from __future__ import annotations

# The four fields PUT .../protection requires, null switching one off (its description: nullable).
PROTECTION_NULLABLE = ("required_status_checks", "enforce_admins", "required_pull_request_reviews", "restrictions")
PROTECTION_FLAGS = ("required_linear_history", "allow_force_pushes", "allow_deletions", "block_creations",
                    "required_conversation_resolution", "lock_branch", "allow_fork_syncing")


def protection_body(protection: dict) -> dict:
    """GET .../protection's shape -> PUT's (GitHub answers {"enabled": ...} objects and URLs)."""
    checks = protection.get("required_status_checks")
    reviews = protection.get("required_pull_request_reviews")
    restrictions = protection.get("restrictions")
    body = {
        "required_status_checks": {"strict": bool(checks.get("strict")), "checks": status_checks(checks)}
        if checks else None,
        "enforce_admins": bool((protection.get("enforce_admins") or {}).get("enabled")),
        "required_pull_request_reviews": {
            key: reviews[key] for key in ("dismiss_stale_reviews", "require_code_owner_reviews",
                                          "required_approving_review_count", "require_last_push_approval")
            if key in reviews} if reviews else None,
        "restrictions": {
            "users": [u["login"] for u in restrictions.get("users") or []],
            "teams": [t["slug"] for t in restrictions.get("teams") or []],
            "apps": [a["slug"] for a in restrictions.get("apps") or []],
        } if restrictions else None,
    }
    for key in PROTECTION_FLAGS:
        if isinstance(protection.get(key), dict):
            body[key] = bool(protection[key].get("enabled"))
    return body


def status_checks(checks: dict) -> list[dict]:
    """The required checks as `checks` (contexts is deprecated, and GitHub refuses both in one body).
    The app a check came from is left to GitHub (it takes whichever app reports it first): an app
    of the source may not be installed in the target."""
    names = [c.get("context") for c in checks.get("checks") or [] if c.get("context")]
    names += [c for c in checks.get("contexts") or [] if c not in names]
    return [{"context": name} for name in names]


def collaborator_permission(person: dict) -> str:
    role = person.get("role_name")
    if role in ("pull", "triage", "push", "maintain", "admin"):
        return role
    role = {"read": "pull", "write": "push"}.get(role or "")
    if role:
        return role
    perms = person.get("permissions") or {}
    return next((p for p in ("admin", "maintain", "push", "triage") if perms.get(p)), "pull")
