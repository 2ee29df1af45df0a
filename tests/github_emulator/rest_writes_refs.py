"""The write side's git references (git/create-ref, git/delete-ref), with GitHub's rules: no new
reference in a repository without branches (409), an object that must exist, a reference that must
not (422 "Reference already exists"), the default branch never deleted, and an open pull request
whose base branch is deleted closed (GitHub does that; it cannot be reopened or retargeted then)."""
from __future__ import annotations

import subprocess
import zlib

from .builder import iso
from .rest import ApiError, Ctx, Response, git_refs, node
from .rest_writes import caller, change_repo, created, request_body, run_git, writable_repo
from .rest_writes_issues import close_pull


def _ref_json(c: Ctx, full: str, ref: str, sha: str) -> dict:
    return {"ref": ref, "node_id": node("Ref", zlib.crc32(ref.encode())), "url": f"{c.api}/repos/{full}/git/{ref}",
            "object": {"sha": sha, "type": "commit", "url": f"{c.api}/repos/{full}/git/commits/{sha}"}}


def _valid_name(c: Ctx, login: str, name: str, ref: str) -> bool:
    if not ref.startswith("refs/") or ref.count("/") < 2:
        return False
    try:
        run_git(c, login, name, "check-ref-format", ref)
    except subprocess.CalledProcessError:
        return False
    return True


def create_ref(c: Ctx, owner, repo):
    """POST /repos/{o}/{r}/git/refs {ref, sha} (both required): 201 with the reference."""
    login, name = writable_repo(c, owner, repo)
    body = request_body(c)
    for key in ("ref", "sha"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise ApiError(422, f"Invalid request.\n\n\"{key}\" wasn't supplied.")
    ref, sha = body["ref"], body["sha"]
    if not _valid_name(c, login, name, ref):
        raise ApiError(422, "Reference name is invalid: it must start with 'refs' and have at least two slashes")

    def fn(b, rec):
        if not git_refs(c, login, name, "refs/heads/"):
            raise ApiError(409, "Git Repository is empty.")
        try:
            commit = run_git(c, login, name, "rev-parse", "--verify", "--quiet", f"{sha}^{{commit}}").strip()
        except subprocess.CalledProcessError:
            raise ApiError(422, "Object does not exist") from None
        try:  # the empty old value: only when the reference does not exist (atomic)
            run_git(c, login, name, "update-ref", ref, commit, "")
        except subprocess.CalledProcessError:
            raise ApiError(422, "Reference already exists") from None
        return commit
    _, commit = change_repo(c, login, name, fn)
    return created(_ref_json(c, f"{login}/{name}", ref, commit), f"{c.api}/repos/{login}/{name}/git/{ref}")


def delete_ref(c: Ctx, owner, repo, ref):
    """DELETE /repos/{o}/{r}/git/refs/{ref} (`heads/NAME`, `tags/NAME`): 204; 422 "Reference does not
    exist"; 422 for the default branch; the open pull requests based on a deleted branch closed."""
    login, name = writable_repo(c, owner, repo)
    full_ref = f"refs/{ref}"

    def fn(b, rec):
        found = next((sha for sha, _, got, _ in git_refs(c, login, name, full_ref) if got == full_ref), None)
        if found is None:
            raise ApiError(422, "Reference does not exist")
        if full_ref == f"refs/heads/{rec.get('default_branch') or 'main'}":
            raise ApiError(422, "Validation Failed: the default branch cannot be deleted")
        run_git(c, login, name, "update-ref", "-d", full_ref, found)
        if full_ref.startswith("refs/heads/"):
            branch = full_ref[len("refs/heads/"):]
            now = iso(b.tick())
            for issue in rec["issues"]:
                if issue["pull"] and issue["state"] == "open" and issue["pull"]["base"] == branch:
                    close_pull(b, rec, issue, caller(c), now)
    change_repo(c, login, name, fn)
    return Response(204, b"", {})
