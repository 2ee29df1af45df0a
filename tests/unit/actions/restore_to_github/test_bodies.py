"""restore-to-github's bodies (orgbackup/actions/restore_to_github/bodies.py): the provenance
header, then the original body; attachment notes that name the file in the backup."""

from __future__ import annotations

import pytest

from orgbackup.actions.restore_to_github import bodies
from tests.support.backup_compare import strip_provenance


@pytest.mark.parametrize("body", ["Body.", "", None, "two\n\nparagraphs\n\n", "<!-- not ours -->\n\nx"])
def test_header_then_original_body_comes_back(body):
    made = bodies.with_header("issue-comment", 1014, "*@bob commented on 2023-11-15 14:11 UTC*", body,
                              ["*a note*", "*another\n\nnote with a blank line*"])
    assert made.startswith("<!-- orgbackup:issue-comment:1014 -->")
    assert bodies.strip_provenance(made) == (body or "")
    assert strip_provenance(made) == (body or "")  # the round trip's comparison agrees


def test_attachment_notes_name_the_file_in_the_backup():
    sha = "4e" + "0" * 62
    url = "https://github.com/user-attachments/assets/571c8611-f215-435c-b5d3-cd71cc44ea96"
    notes = bodies.attachment_notes(f"see ![shot]({url}) and {url}", {url: {"sha256": sha}})
    assert notes == [f"*Attachment {url} is kept in the backup as attachments/files/4e/{sha}*"]
