"""The restore drill's check of a person's gist (orgbackup/snapshots/restored_checks.py: gist_problem),
on a real git repository: every revision gist.json's history names must be a commit of the clone."""

from __future__ import annotations

import json
import subprocess

from orgbackup.snapshots.restored_checks import gist_problem


def git(repo, *args) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env={"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo.parent), "PATH": "/usr/bin:/bin",
                               "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}).stdout


def test_a_gist_is_whole_only_with_every_revision_of_its_history(tmp_path):
    folder = tmp_path / "gists" / "abc123"
    clone = folder / "repository"
    clone.mkdir(parents=True)
    git(clone, "init", "-q", "-b", "main")
    revisions = []
    for text in ("one\n", "two\n"):
        (clone / "a.txt").write_text(text)
        git(clone, "add", "a.txt")
        git(clone, "commit", "-q", "--allow-empty-message", "-m", "")
        revisions.insert(0, git(clone, "rev-parse", "HEAD").strip())
    gist = {"id": "abc123", "history": [{"version": sha} for sha in revisions]}
    (folder / "gist.json").write_text(json.dumps(gist))
    assert gist_problem(folder) is None

    lost = "f" * 40
    (folder / "gist.json").write_text(json.dumps(dict(gist, history=[{"version": lost}] + gist["history"])))
    assert gist_problem(folder) == "1 revision(s) missing: ffffffffffff"

    (folder / "gist.json").write_text("{not json")
    assert gist_problem(folder) == "gist.json cannot be read (JSONDecodeError)"
