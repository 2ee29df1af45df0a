"""The write side's access: branch protection (PUT .../branches/{branch}/protection) and
collaborators (PUT .../collaborators/{username})."""
from __future__ import annotations

import json

from .builder import iso
from .rest import ApiError, Ctx, Response, node
from .rest_shapes import protection_json, repo_json, user_json
from .rest_writes import branch_sha, caller, canonical_user, change_repo, created, invalid, request_body, writable_repo
from .truth import ROLE_NAMES


PERMISSIONS = ("pull", "triage", "push", "maintain", "admin")
PROTECTION_FLAGS = ("required_linear_history", "allow_force_pushes", "allow_deletions", "block_creations",
                    "required_conversation_resolution", "lock_branch", "allow_fork_syncing")


def _flag(body: dict, key: str, default=False) -> bool:
    value = body.get(key, default)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid("BranchProtection", key, message=f"Invalid request.\n\nFor '{key}', {json.dumps(value)} "
                                                         "is not a boolean.")
    return value


def _actors(b, login: str, value, key: str, *, apps: bool = True) -> dict:
    """{users, teams[, apps]} of a request -> stored logins / team slugs / app slugs (422 for unknown ones)."""
    if not isinstance(value, dict):
        raise invalid("BranchProtection", key, message=f"Invalid request.\n\nFor '{key}', "
                                                         f"{json.dumps(value)} is not an object.")
    org = b.world["orgs"][login]
    slugs = {t["slug"].lower(): t["slug"] for t in org.get("teams", [])}
    out = {"users": [], "teams": []}
    for name in value.get("users") or []:
        user = canonical_user(b, name)
        if user is None:
            raise ApiError(422, f"Validation Failed: Could not find user {name} for {key}")
        out["users"].append(user)
    for slug in value.get("teams") or []:
        if str(slug).lower() not in slugs:
            raise ApiError(422, f"Validation Failed: Could not find team {slug} for {key}")
        out["teams"].append(slugs[str(slug).lower()])
    if apps:
        out["apps"] = [str(a) for a in value.get("apps") or []]
    return out


def set_branch_protection(c: Ctx, owner, repo, branch):
    """PUT .../branches/{branch}/protection: GitHub's body (the four required keys, null to switch one
    off, and the optional booleans); stored as the world stores protections, answered as GET answers."""
    login, name = writable_repo(c, owner, repo)
    body = request_body(c)
    for key in ("required_status_checks", "enforce_admins", "required_pull_request_reviews", "restrictions"):
        if key not in body:
            raise ApiError(422, f"Invalid request.\n\n\"{key}\" wasn't supplied.")
    if branch_sha(c, login, name, branch) is None:
        raise ApiError(404, "Branch not found")

    def fn(b, rec):
        protection = {}
        checks = body["required_status_checks"]
        if checks is not None:
            if not isinstance(checks, dict) or "strict" not in checks or \
                    ("contexts" not in checks and "checks" not in checks):
                raise ApiError(422, "Invalid request.\n\nFor 'required_status_checks', strict and contexts "
                                    "(or checks) are required.")
            if checks.get("contexts") is not None and checks.get("checks") is not None:
                # GitHub's own schema is a oneOf: contexts (deprecated) or checks, never both
                raise ApiError(422, "Invalid request.\n\nNo subschema in \"anyOf\" matched.\nMore than one "
                                    "subschema in \"oneOf\" matched.")
            if checks.get("checks") is not None:
                listed = [{"context": str(x["context"]), "app_id": x.get("app_id")} for x in checks["checks"]]
            else:
                listed = [{"context": str(x), "app_id": None} for x in checks.get("contexts") or []]
            protection["required_status_checks"] = {"strict": bool(checks["strict"]),
                                                    "contexts": [x["context"] for x in listed], "checks": listed}
        protection["enforce_admins"] = {"enabled": _flag(body, "enforce_admins")}
        reviews = body["required_pull_request_reviews"]
        if reviews is not None:
            if not isinstance(reviews, dict):
                raise invalid("BranchProtection", "required_pull_request_reviews")
            count = reviews.get("required_approving_review_count", 1)
            if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 6:
                raise ApiError(422, "Invalid request.\n\nrequired_approving_review_count must be between 0 and 6.")
            stored = {"dismiss_stale_reviews": _flag(reviews, "dismiss_stale_reviews"),
                      "require_code_owner_reviews": _flag(reviews, "require_code_owner_reviews"),
                      "require_last_push_approval": _flag(reviews, "require_last_push_approval"),
                      "required_approving_review_count": count}
            for key in ("dismissal_restrictions", "bypass_pull_request_allowances"):
                if reviews.get(key):
                    stored[key] = _actors(b, login, reviews[key], key)
            protection["required_pull_request_reviews"] = stored
        if body["restrictions"] is not None:
            protection["restrictions"] = _actors(b, login, body["restrictions"], "restrictions")
        old = rec["protected_branches"].get(branch) or {}
        protection["required_signatures"] = old.get("required_signatures", {"enabled": False})
        for key in PROTECTION_FLAGS:
            protection[key] = {"enabled": _flag(body, key)}
        rec["protected_branches"][branch] = protection
        return protection
    rec, protection = change_repo(c, login, name, fn)
    return protection_json(c, f"{login}/{name}", branch, protection)


def add_collaborator(c: Ctx, owner, repo, username):
    """PUT .../collaborators/{username} {"permission"}: GitHub invites (201 with the invitation) and the
    user joins on accepting; the emulator makes the user a collaborator at once. 204 (no body) when the
    user already is one (the permission is updated, as GitHub does)."""
    login, name = writable_repo(c, owner, repo, archived_ok=True)
    permission = request_body(c).get("permission", "push")
    if permission not in PERMISSIONS:
        raise ApiError(422, f"Validation Failed: permission {permission!r} is not one of "
                            f"{', '.join(PERMISSIONS)}")

    def fn(b, rec):
        user = canonical_user(b, username)
        if user is None:
            raise ApiError(404)
        found = next((x for x in rec["collaborators"] if x["login"].lower() == user.lower()), None)
        if found:
            found["permission"] = permission
            return user, False
        rec["collaborators"].append({"login": user, "permission": permission})
        org = b.world["orgs"][login]
        members = {m["login"].lower() for m in org.get("members", [])}
        outside = org.setdefault("outside_collaborators", [])
        if user.lower() not in members and user.lower() not in (x.lower() for x in outside):
            outside.append(user)   # a collaborator who is not a member is an outside collaborator
        return user, (b.new_id(), iso(b.tick()))
    rec, (user, invitation) = change_repo(c, login, name, fn)
    if not invitation:
        return Response(204, b"", {})
    full = f"{login}/{name}"
    invitation, created_at = invitation
    return created({
        "id": invitation, "node_id": node("RepositoryInvitation", invitation),
        "repository": repo_json(c, login, rec), "invitee": user_json(c, user),
        "inviter": user_json(c, caller(c)), "permissions": ROLE_NAMES[permission],
        "created_at": created_at, "expired": False,
        "url": f"{c.api}/user/repository_invitations/{invitation}", "html_url": f"{c.web}/{full}/invitations"})
