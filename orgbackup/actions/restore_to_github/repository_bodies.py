"""The repository's two requests, built from the backup's settings as GitHub's REST description has them.

A repository's settings go to the operation that takes them, and only there (GitHub's published
description, api.github.com.json; tests/unit/actions/restore_to_github/test_repository_bodies.py
checks every body these functions can build against the operations' requestBody schemas):

- `POST /orgs/{org}/repos` (repos/create-in-org): the name, description, homepage, visibility, the
  features (issues and wiki on while restoring), the merge settings it takes;
- `PATCH /repos/{owner}/{repo}` (repos/update), the final step: the features as they were, the default
  branch, and what only it takes (allow_update_branch, web_commit_signoff_required);
- none: has_discussions (no REST operation on an organization's repository takes it: POST /user/repos
  alone has it): GraphQL's updateRepository (hasDiscussionsEnabled) sets it, with the discussions
  (discussions.py).

Both functions are pure: (body, notices), a notice being a line of the restore's report.
"""

from __future__ import annotations

# What repos/create-in-org takes of the backup's settings, with the values it allows (None: any of the type).
CREATE_MERGE = {
    "allow_squash_merge": None, "allow_merge_commit": None, "allow_rebase_merge": None,
    "allow_auto_merge": None, "delete_branch_on_merge": None,
    "squash_merge_commit_title": ("PR_TITLE", "COMMIT_OR_PR_TITLE"),
    "squash_merge_commit_message": ("PR_BODY", "COMMIT_MESSAGES", "BLANK"),
    "merge_commit_title": ("PR_TITLE", "MERGE_MESSAGE"),
    "merge_commit_message": ("PR_BODY", "PR_TITLE", "BLANK"),
}
# What only repos/update takes.
UPDATE_ONLY = ("allow_update_branch", "web_commit_signoff_required")
FEATURES = ("has_issues", "has_wiki", "has_projects")
# Settings no operation the restore sends takes (has_discussions: GraphQL's, discussions.py), with their notices.
NOT_RESTORABLE: dict[str, str] = {}
VISIBILITIES = ("public", "private")
INTERNAL_NOTICE = ("visibility internal became private: the create (POST /orgs/{org}/repos) takes public or "
                   "private only, and internal exists only in an enterprise's organizations; if {org} is one, "
                   "change it to internal in the repository's settings")


def _merge_value(key: str, value):
    allowed = CREATE_MERGE.get(key)
    if allowed is None:
        return value if isinstance(value, bool) else None
    return value if value in allowed else None


def create_body(name: str, settings: dict, record: dict, org: str) -> tuple[dict, list[str]]:
    """POST /orgs/{org}/repos's body for a repository of the backup, and its notices."""
    def value(key, default=None):
        return settings[key] if key in settings else record.get(key, default)

    notices = []
    body = {"name": name, "description": settings.get("description"), "homepage": settings.get("homepage"),
            # features on while restoring (issues, wiki); the final step sets the originals
            "has_issues": True, "has_wiki": True, "has_projects": bool(settings.get("has_projects", True)),
            "auto_init": False}
    visibility = value("visibility")
    if visibility == "internal":
        notices.append(INTERNAL_NOTICE.format(org=org))
        visibility = "private"
    if visibility in VISIBILITIES:
        body["visibility"] = visibility
    else:
        body["private"] = bool(value("private", False))
    for key in CREATE_MERGE:
        if key in settings and _merge_value(key, settings[key]) is not None:
            body[key] = settings[key]
    for key in ("description", "homepage"):
        if not isinstance(body[key], str) or not body[key]:
            del body[key]  # a string or nothing: GitHub's description has no null here
    return body, notices


def update_body(settings: dict, default_branch: str | None) -> tuple[dict, list[str]]:
    """The final PATCH /repos/{owner}/{repo}: the features as they were, what only the update takes,
    the default branch (None: leave it); the notices name what no operation takes."""
    body = {key: bool(settings[key]) for key in FEATURES if key in settings}
    body.update({key: settings[key] for key in UPDATE_ONLY if isinstance(settings.get(key), bool)})
    if default_branch:
        body["default_branch"] = default_branch
    notices = [text for key, text in NOT_RESTORABLE.items() if settings.get(key)]
    return body, notices
