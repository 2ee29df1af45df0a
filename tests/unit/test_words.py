"""Counts and paces in words (orgbackup/words.py)."""

from __future__ import annotations


def test_counts_and_paces_in_words():
    from orgbackup.words import counted, rate

    assert counted(1, "comments") == "1 comment" and counted(0, "comments") == "0 comments"
    assert counted(10, "repositories") == "10 repositories" and counted(1, "repositories") == "1 repository"
    assert counted(1, "protected_branches") == "1 protected branch"
    assert counted(1, "settings writes") == "1 settings write" and counted(1, "closes") == "1 close"
    assert counted(2, "replies") == "2 replies" and counted(1, "replies") == "1 reply"
    assert rate(500 / 60) == "8.3 a minute" and rate(80.0) == "80 a minute"
