"""The contract's violations that are known and being fixed elsewhere: each one is still recorded and
reported (ORGBACKUP_CONTRACT_REPORT), but does not fail the test. Remove an entry when it is fixed
(a test with an entry no violation matched any more is reported at the end of a run that set
ORGBACKUP_CONTRACT_REPORT: tests/README.md).

    operation: a part of the violation's operation ("operationId METHOD /template")
    field:     the violation's field exactly ("query.per_page", "body.description"), or a prefix ending in *
    reason:    why it is not fixed here
    finding:   which finding of which issue tracks it
"""
from __future__ import annotations

PRODUCT = "a product bug, fixed in a parallel branch"
GITHUB_BACKUP = "github-backup 0.40.0 sends it (GitHub ignores it); not ours to change"
EMULATOR = "the emulator's answer, fixed with the emulator's pagination/writes in a parallel branch"

KNOWN: list[dict] = [
    # issue 28, finding 1: Actions variables listings allow at most 30 a page
    *({"operation": op, "field": "query.per_page", "reason": PRODUCT, "finding": "28 (1)"}
      for op in ("actions/list-repo-variables", "actions/list-org-variables", "actions/list-environment-variables")),
    # issue 28, finding 2: restore-to-github's repository bodies
    *({"operation": "repos/create-in-org", "field": f"body.{field}", "reason": PRODUCT, "finding": "28 (2)"}
      for field in ("description", "homepage", "visibility", "has_discussions", "allow_update_branch",
                    "web_commit_signoff_required")),
    {"operation": "repos/update PATCH", "field": "body.has_discussions", "reason": PRODUCT, "finding": "28 (2)"},
    # issue 28, finding 5: review-comment replies without the fields the operation requires; deprecated fields
    {"operation": "pulls/create-review-comment", "field": "body", "reason": PRODUCT, "finding": "28 (5)"},
    {"operation": "repos/update-branch-protection", "field": "body.required_status_checks.contexts",
     "reason": PRODUCT, "finding": "28 (5)"},
    {"operation": "pulls/create-review-comment", "field": "body.position", "reason": PRODUCT, "finding": "28 (5)"},
    # found by the contract tests: github-backup's requests
    {"operation": "issues/list-for-repo", "field": "query.filter", "reason": GITHUB_BACKUP, "finding": "28 contract"},
    {"operation": "pulls/list GET", "field": "query.filter", "reason": GITHUB_BACKUP, "finding": "28 contract"},
    {"operation": "pulls/get GET", "field": "query.per_page", "reason": GITHUB_BACKUP, "finding": "28 contract"},
    {"operation": "pulls/get GET", "field": "query.page", "reason": GITHUB_BACKUP, "finding": "28 contract"},
    {"operation": "repos/get GET", "field": "query.per_page", "reason": GITHUB_BACKUP, "finding": "28 contract"},
    {"operation": "repos/get GET", "field": "query.page", "reason": GITHUB_BACKUP, "finding": "28 contract"},
    {"operation": "users/get-authenticated", "field": "query.per_page", "reason": GITHUB_BACKUP,
     "finding": "28 contract"},
    {"operation": "users/get-authenticated", "field": "query.page", "reason": GITHUB_BACKUP, "finding": "28 contract"},
    # found by the contract tests: the product's requests
    {"operation": "repos/list-autolinks", "field": "query.per_page",
     "reason": "the product pages GET /repos/{o}/{r}/autolinks, which GitHub does not page (it answers them all)",
     "finding": "28 contract (new)"},
    # a test's own request, on purpose: the GraphQL URL broken to make the product fall back to REST
    {"operation": "POST /api/graphql-missing", "field": "operation",
     "reason": "tests/integration/backup/planning/test_changes.py breaks the GraphQL URL on purpose",
     "finding": "none (a test's probe)"},
    # found by the contract tests: where the description is stricter than GitHub (which answers null)
    *({"operation": "orgs/get GET", "field": f"answer.{field}",
       "reason": "GitHub answers null for an unset one; the description says string", "finding": "28 contract"}
      for field in ("blog", "email", "location")),
]
