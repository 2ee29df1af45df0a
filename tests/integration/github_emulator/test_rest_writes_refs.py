"""The emulator's git references over REST (tests/github_emulator/rest_writes_refs.py) and GitHub's
rules around a merged pull request: no pull request with no commits between base and head, a temporary
base branch made and deleted, a base changed only while open and only to one the head adds commits to,
an open pull request closed when its base branch is deleted. Real HTTPS, real git (ls-remote)."""

from __future__ import annotations

from tests.github_emulator.builder import ORG
from tests.support.emulator_client import TARGET, git


def remote_branches(em) -> dict[str, str]:
    url = f"https://{em.admin_token}:x-oauth-basic@{em.host}/{ORG}/godot.git"
    return {ref: sha for sha, ref in (line.split("\t") for line in git("ls-remote", url, "refs/heads/*").splitlines())}


def test_a_merged_pull_request_opened_again_against_a_temporary_base(github_emulator, target):
    em, admin = github_emulator, target
    godot = f"/repos/{ORG}/godot"
    merged = admin.ok("GET", f"{godot}/pulls/3")
    assert merged["merged"] is True
    head, base_sha = merged["head"]["ref"], merged["base"]["sha"]

    # GitHub's refusal: the head's commits are all in main since the merge.
    refused = admin("POST", f"{godot}/pulls", json={"title": "again", "head": head, "base": "main"})
    assert refused.status_code == 422 and f"No commits between main and {head}" in refused.json()["message"]

    # A temporary base branch at the base the pull request was opened on.
    made = admin.ok("POST", f"{godot}/git/refs", json={"ref": "refs/heads/tmp/base-of-3", "sha": base_sha})
    assert made["ref"] == "refs/heads/tmp/base-of-3" and made["object"]["sha"] == base_sha
    assert remote_branches(em)["refs/heads/tmp/base-of-3"] == base_sha
    again = admin("POST", f"{godot}/git/refs", json={"ref": "refs/heads/tmp/base-of-3", "sha": base_sha})
    assert again.status_code == 422 and again.json()["message"] == "Reference already exists"
    missing = admin("POST", f"{godot}/git/refs", json={"ref": "refs/heads/tmp/x", "sha": "0" * 40})
    assert missing.status_code == 422 and missing.json()["message"] == "Object does not exist"
    assert admin("POST", f"{godot}/git/refs", json={"ref": "heads/x", "sha": base_sha}).status_code == 422
    assert admin("POST", f"{godot}/git/refs", json={"ref": "refs/heads/a..b", "sha": base_sha}).status_code == 422

    pull = admin.ok("POST", f"{godot}/pulls", json={"title": "again", "head": head, "base": "tmp/base-of-3"})
    assert pull["base"]["ref"] == "tmp/base-of-3" and pull["commits"] == 2 and pull["state"] == "open"
    number = pull["number"]

    # No base the head adds nothing to; a base it adds commits to is taken (and back).
    back = admin("PATCH", f"{godot}/pulls/{number}", json={"base": "main"})
    assert back.status_code == 422 and "There are no new commits between base branch 'main'" in back.json()["message"]
    assert admin.ok("PATCH", f"{godot}/pulls/{number}", json={"base": "3.x"})["base"]["ref"] == "3.x"
    assert admin.ok("PATCH", f"{godot}/pulls/{number}", json={"base": "tmp/base-of-3"})["base"]["ref"] == \
        "tmp/base-of-3"

    # Deleting the base branch of an open pull request closes it; a closed one's base cannot change.
    assert admin("DELETE", f"{godot}/git/refs/heads/tmp/base-of-3").status_code == 204
    closed = admin.ok("GET", f"{godot}/pulls/{number}")
    assert closed["state"] == "closed" and closed["base"]["ref"] == "tmp/base-of-3" and closed["commits"] == 2
    stuck = admin("PATCH", f"{godot}/pulls/{number}", json={"base": "develop"})
    assert stuck.status_code == 422 and "closed pull request" in stuck.json()["message"]
    assert "refs/heads/tmp/base-of-3" not in remote_branches(em)
    gone = admin("DELETE", f"{godot}/git/refs/heads/tmp/base-of-3")
    assert gone.status_code == 422 and gone.json()["message"] == "Reference does not exist"
    assert admin("DELETE", f"{godot}/git/refs/heads/main").status_code == 422  # the default branch
    assert "refs/heads/main" in remote_branches(em)

    # No reference in a repository without branches; the reader token writes nothing.
    empty = admin("POST", f"/repos/{TARGET}/assets/git/refs", json={"ref": "refs/heads/x", "sha": base_sha})
    assert empty.status_code == 409
    reader = type(admin)(em, em.reader_token)
    assert reader("POST", f"{godot}/git/refs", json={"ref": "refs/heads/r", "sha": base_sha}).status_code == 403
    assert reader("DELETE", f"{godot}/git/refs/heads/develop").status_code == 403
