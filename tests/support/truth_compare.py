"""Compare a restored organization with the emulator's truth.json.

Used by every test that checks a backup by restoring it (the run, the image,
the benchmark). Returns the differences as readable lines; empty means equal.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from orgbackup.cache.safe_names import release_folder, stored_name


def git_refs(repo: Path) -> dict[str, str]:
    out = subprocess.run(
        ["git", "-C", str(repo), "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags"],
        check=True, capture_output=True, text=True,
    ).stdout
    return dict(reversed(line.split(" ", 1)) for line in out.splitlines() if line)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _json_files(folder: Path) -> dict[str, dict]:
    if not folder.is_dir():
        return {}
    return {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json") if p.stem.isdigit()}


def compare_repository(org: str, name: str, truth: dict, restored_org: Path, *, gitim: bool = True) -> list[str]:
    where = f"{org}/{name}"
    base = restored_org / "github-backup" / "repositories" / name
    diffs: list[str] = []
    clone = base / "repository"
    if truth.get("refs"):
        if not (clone / ".git").is_dir():
            return [f"{where}: no repository clone"]
        refs = git_refs(clone)
        for ref, sha in truth["refs"].items():
            if refs.get(ref) != sha:
                diffs.append(f"{where}: {ref} is {refs.get(ref)} not {sha}")
        for oid in truth.get("lfs_oids", []):
            obj = clone / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4] / oid
            if not obj.is_file() or sha256_of(obj) != oid:
                diffs.append(f"{where}: LFS object {oid[:12]} missing or damaged")
    wiki = truth.get("wiki")
    if wiki and wiki.get("refs"):
        wiki_dir = base / "wiki"
        if not (wiki_dir / ".git").is_dir():
            diffs.append(f"{where}: wiki missing")
        else:
            refs = git_refs(wiki_dir)
            for ref, sha in wiki["refs"].items():
                if refs.get(ref) != sha:
                    diffs.append(f"{where}: wiki {ref} is {refs.get(ref)} not {sha}")
    issues = _json_files(base / "issues")
    for number, counts in (truth.get("issues") or {}).items():
        issue = issues.get(str(number))
        if issue is None:
            diffs.append(f"{where}: issue {number} missing")
            continue
        if len(issue.get("comment_data", [])) != counts.get("comments", 0):
            diffs.append(f"{where}: issue {number} has {len(issue.get('comment_data', []))} comments, not {counts['comments']}")
        if len(issue.get("event_data", [])) != counts.get("events", 0):
            diffs.append(f"{where}: issue {number} has {len(issue.get('event_data', []))} events, not {counts['events']}")
    pulls = _json_files(base / "pulls")
    for number, counts in (truth.get("pulls") or {}).items():
        pull = pulls.get(str(number))
        if pull is None:
            diffs.append(f"{where}: pull {number} missing")
            continue
        if len(pull.get("comment_data", [])) != counts.get("review_comments", 0):
            diffs.append(f"{where}: pull {number} review comments {len(pull.get('comment_data', []))} != {counts['review_comments']}")
        if len(pull.get("commit_data", [])) != counts.get("commits", 0):
            diffs.append(f"{where}: pull {number} commits {len(pull.get('commit_data', []))} != {counts['commits']}")
        conversation = base / "pulls" / f"{number}.conversation.json"
        have = len(json.loads(conversation.read_text())) if conversation.is_file() else 0
        if have != counts.get("comments", 0):
            diffs.append(f"{where}: pull {number} conversation comments {have} != {counts['comments']}")
    for tag, release in (truth.get("releases") or {}).items():
        safe = release_folder(tag)  # the snapshot layout's rule for names from GitHub
        if not (base / "releases" / f"{safe}.json").is_file():
            diffs.append(f"{where}: release {tag} missing")
        for asset, digest in (release.get("assets") or {}).items():
            path = base / "releases" / safe / stored_name(asset)
            if not path.is_file() or sha256_of(path) != digest:
                diffs.append(f"{where}: release asset {tag}/{asset} missing or different")
    if gitim and truth.get("refs"):
        work = restored_org / "gitim" / org / name
        head_ref = f"refs/heads/{truth.get('default_branch')}"
        if not (work / ".git").is_dir():
            diffs.append(f"{where}: working clone missing")
        else:
            head = subprocess.run(["git", "-C", str(work), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
            if head != truth["refs"].get(head_ref):
                diffs.append(f"{where}: working clone at {head[:12]} not at {head_ref}")
    return diffs


def compare_org(org: str, truth: dict, restored_org: Path, *, gitim: bool = True) -> list[str]:
    diffs = []
    repos = truth["orgs"][org]["repos"]
    for name, repo_truth in sorted(repos.items()):
        diffs += compare_repository(org, name, repo_truth, restored_org, gitim=gitim)
    return diffs


def files_holding(root: Path, needle: bytes) -> list[Path]:
    """Every file under root whose bytes contain `needle` (the token must be in none)."""
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            if needle in path.read_bytes():
                found.append(path)
    return found


# --------------------------------------------------------------- counting items
# (for the benchmark's completeness: found / expected items, per kind)

ITEM_KINDS = ("refs", "lfs_objects", "wikis", "issues", "issue_comments", "issue_events", "pulls",
              "pull_review_comments", "pull_conversation_comments", "pull_commits", "releases",
              "release_assets", "working_clones")


def _refs_with_remote_branches(repo: Path) -> dict[str, str]:
    """refs/heads and refs/tags, plus refs/remotes/origin/X counted as refs/heads/X where that
    local branch is missing: a branch a clone holds only as a remote-tracking ref is still there."""
    out = subprocess.run(
        ["git", "-C", str(repo), "for-each-ref", "--format=%(objectname) %(refname)",
         "refs/heads", "refs/tags", "refs/remotes/origin"],
        capture_output=True, text=True,
    ).stdout
    refs: dict[str, str] = {}
    remote: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, ref = line.partition(" ")
        if ref.startswith("refs/remotes/origin/"):
            remote["refs/heads/" + ref.removeprefix("refs/remotes/origin/")] = sha
        else:
            refs[ref] = sha
    for ref, sha in remote.items():
        refs.setdefault(ref, sha)
    return refs


def count_items(org: str, truth: dict, restored_org: Path, *, gitim: bool = True) -> dict[str, list[int]]:
    """{kind: [found, expected]} over ITEM_KINDS for one organization (the same checks as
    compare_repository, counted item by item instead of listed as differences).
    Counts are per item: a ref at the right SHA, an LFS object with the right sha256, a wiki
    with every ref right, an issue / pull present, each comment / event / commit present
    (min(have, expected) per issue or pull), a release's JSON, an asset with the right
    sha256, a working clone at the default branch's head."""
    counts = {kind: [0, 0] for kind in ITEM_KINDS}

    def add(kind: str, found: int, expected: int = 1) -> None:
        counts[kind][0] += min(found, expected)
        counts[kind][1] += expected

    restored_org = Path(restored_org)
    for name, repo in sorted(truth["orgs"][org]["repos"].items()):
        base = restored_org / "github-backup" / "repositories" / name
        clone = base / "repository"
        have_clone = (clone / ".git").is_dir()
        refs = _refs_with_remote_branches(clone) if have_clone and repo.get("refs") else {}
        for ref, sha in (repo.get("refs") or {}).items():
            add("refs", int(refs.get(ref) == sha))
        for oid in repo.get("lfs_oids", []):
            obj = clone / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4] / oid
            add("lfs_objects", int(obj.is_file() and sha256_of(obj) == oid))
        wiki = repo.get("wiki")
        if wiki and wiki.get("refs"):
            wiki_dir = base / "wiki"
            wiki_refs = _refs_with_remote_branches(wiki_dir) if (wiki_dir / ".git").is_dir() else {}
            add("wikis", int(all(wiki_refs.get(r) == s for r, s in wiki["refs"].items())))
        issues = _json_files(base / "issues")
        for number, want in (repo.get("issues") or {}).items():
            issue = issues.get(str(number))
            add("issues", int(issue is not None))
            add("issue_comments", len((issue or {}).get("comment_data") or []), want.get("comments", 0))
            add("issue_events", len((issue or {}).get("event_data") or []), want.get("events", 0))
        pulls = _json_files(base / "pulls")
        for number, want in (repo.get("pulls") or {}).items():
            pull = pulls.get(str(number))
            add("pulls", int(pull is not None))
            add("pull_review_comments", len((pull or {}).get("comment_data") or []), want.get("review_comments", 0))
            add("pull_commits", len((pull or {}).get("commit_data") or []), want.get("commits", 0))
            conversation = base / "pulls" / f"{number}.conversation.json"
            try:
                have = len(json.loads(conversation.read_text())) if conversation.is_file() else 0
            except ValueError:
                have = 0
            add("pull_conversation_comments", have, want.get("comments", 0))
        for tag, release in (repo.get("releases") or {}).items():
            safe = release_folder(tag)
            add("releases", int((base / "releases" / f"{safe}.json").is_file()))
            for asset, digest in (release.get("assets") or {}).items():
                path = base / "releases" / safe / stored_name(asset)
                add("release_assets", int(path.is_file() and sha256_of(path) == digest))
        if gitim and repo.get("refs"):
            work = restored_org / "gitim" / org / name
            head = ""
            if (work / ".git").is_dir():
                head = subprocess.run(["git", "-C", str(work), "rev-parse", "HEAD"],
                                      capture_output=True, text=True).stdout.strip()
            add("working_clones", int(head == repo["refs"].get(f"refs/heads/{repo.get('default_branch')}")))
    return counts


def compare_gists(login: str, truth: dict, restored_account: Path) -> list[str]:
    """A person's gists restored against the truth: gist.json (visibility, description, every
    revision in its history), every revision a commit of the clone, the newest's files checked out."""
    diffs = []
    for gist_id, want in sorted(truth["orgs"][login]["gists"].items()):
        where = f"{login} gist {gist_id}"
        folder = restored_account / "gists" / gist_id
        try:
            saved = json.loads((folder / "gist.json").read_text())
        except (OSError, ValueError) as exc:
            diffs.append(f"{where}: gist.json unreadable ({exc})")
            continue
        if saved.get("public") != want["public"] or saved.get("description") != want["description"]:
            diffs.append(f"{where}: gist.json says public={saved.get('public')} {saved.get('description')!r}")
        if [h.get("version") for h in saved.get("history") or []] != want["revisions"]:
            diffs.append(f"{where}: gist.json's history is not GitHub's")
        clone = folder / "repository"
        for sha in want["revisions"]:
            found = subprocess.run(["git", "-C", str(clone), "cat-file", "-e", f"{sha}^{{commit}}"],
                                   capture_output=True)
            if found.returncode != 0:
                diffs.append(f"{where}: revision {sha[:12]} not in the clone")
        files = {p.name: p.read_text() for p in clone.iterdir() if p.is_file()} if clone.is_dir() else {}
        if files != want["files"]:
            diffs.append(f"{where}: checked-out files {sorted(files)} differ from GitHub's {sorted(want['files'])}")
    extra = sorted({p.name for p in (restored_account / "gists").iterdir()} - set(truth["orgs"][login]["gists"])) \
        if (restored_account / "gists").is_dir() else []
    diffs += [f"{login}: gist {name} is not GitHub's" for name in extra]
    return diffs
