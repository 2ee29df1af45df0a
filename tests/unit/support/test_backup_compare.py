"""tests/support/backup_compare.py's rule for the provenance header restore-to-github writes:
strip_provenance follows the design."""

from __future__ import annotations

from tests.support.backup_compare import strip_provenance


def test_strip_provenance_follows_the_design():
    assert strip_provenance(None) == ""
    assert strip_provenance("") == ""
    assert strip_provenance("plain text\n\nmore") == "plain text\n\nmore"
    assert strip_provenance(" <!-- orgbackup:issue:1 --> x\n\nbody") == " <!-- orgbackup:issue:1 --> x\n\nbody"
    assert strip_provenance("<!-- orgbackup:issue:1 --> *@a wrote*\n\nbody") == "body"
    assert strip_provenance("<!-- orgbackup:issue:1 --> *@a wrote*\nsecond line\n\nbody\n\nmore\n") == "body\n\nmore\n"
    assert strip_provenance("<!-- orgbackup:comment:7 --> *@a wrote*\nno blank line") == ""
    assert strip_provenance("<!-- orgbackup:comment:7 --> *@a wrote*\n\n") == ""
