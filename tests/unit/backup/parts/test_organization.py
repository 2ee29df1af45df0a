"""The organization part (orgbackup/backup/parts/organization.py): a team's permission is its role
name, else its highest permission."""

from __future__ import annotations

from orgbackup.backup.parts.organization import permission_of


def test_team_permission_is_the_role_name_else_the_highest_permission():
    assert permission_of({"role_name": "maintain", "permissions": {"admin": True}}) == "maintain"
    assert permission_of({"permissions": {"admin": False, "maintain": False, "push": True, "pull": True}}) == "write"
    assert permission_of({"permissions": {"pull": True}}) == "read"
    assert permission_of({}) is None
