"""restore-to-github's access (orgbackup/actions/restore_to_github/access.py): a protection as GET
answers it becomes the body PUT takes."""

from __future__ import annotations

from orgbackup.actions.restore_to_github.access import collaborator_permission, protection_body


def test_protection_get_shape_becomes_put_shape():
    got = {"required_status_checks": {"strict": True, "contexts": ["ci/build"], "url": "u"},
           "enforce_admins": {"enabled": True, "url": "u"},
           "required_pull_request_reviews": {"dismiss_stale_reviews": True, "required_approving_review_count": 1,
                                             "url": "u"},
           "required_linear_history": {"enabled": True}, "allow_force_pushes": {"enabled": False}}
    assert protection_body(got) == {
        "required_status_checks": {"strict": True, "checks": [{"context": "ci/build"}]},
        "enforce_admins": True,
        "required_pull_request_reviews": {"dismiss_stale_reviews": True, "required_approving_review_count": 1},
        "restrictions": None, "required_linear_history": True, "allow_force_pushes": False}
    assert collaborator_permission({"role_name": "maintain"}) == "maintain"
    assert collaborator_permission({"role_name": "write"}) == "push"
    assert collaborator_permission({"permissions": {"push": True, "pull": True}}) == "push"
