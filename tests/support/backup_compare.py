"""Compare two restored backups of organizations: the source and its re-creation (issue 12).

The round trip of `restore-to-github`: back up org A, restore it into an empty org B, back up B,
restore both snapshots to folders, then `differences(A_DIR, B_DIR)` lists what does not match
([] = equivalent). The rules are those of /work/design/issue12.md: every body the restore
creates carries a provenance header (`strip_provenance` removes it), issue and pull request
numbers match (gaps are placeholder issues in the target), a pull request may come back as an
issue, and the comments of item N are compared as the sorted list of their non-empty texts.

The source is taken as it is (its bodies are the originals, nothing is stripped from them);
the header is stripped from the target's bodies only.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from orgbackup.cache.file_digest import file_sha256

PLACEHOLDER_LABEL = "orgbackup-placeholder"
PLACEHOLDER_TITLE = "Placeholder for #"
HEADER_START = "<!-- orgbackup:"

# has_discussions: GraphQL's updateRepository sets it (restore-to-github's discussions.py).
SETTINGS_FIELDS = (
    "description", "homepage", "topics", "visibility", "private", "has_issues", "has_wiki", "has_discussions",
    "has_projects", "default_branch", "archived", "allow_merge_commit",
    "allow_squash_merge", "allow_rebase_merge", "allow_auto_merge", "delete_branch_on_merge",
)

_LFS_NAME = re.compile(r"^[0-9a-f]{64}$")


# ------------------------------------------------------------------------ small readers

def strip_provenance(body: str | None) -> str:
    """The original text of a body the restore wrote (None -> "").

    A body that starts with "<!-- orgbackup:" loses everything up to and including the first
    blank line ("\\n\\n"); with no blank line the whole body is header and the result is "".
    Any other body is returned unchanged."""
    text = body or ""
    if not text.startswith(HEADER_START):
        return text
    _, sep, rest = text.partition("\n\n")
    return rest if sep else ""


def _text(value: str | None) -> str:
    return value or ""


def _read_json(path: Path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


_sha256 = file_sha256


def _repositories_dir(org_dir: Path) -> Path:
    return Path(org_dir) / "github-backup" / "repositories"


def _repository_names(org_dir: Path) -> list[str]:
    base = _repositories_dir(org_dir)
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir())


def _manifest(org_dir: Path) -> dict:
    path = Path(org_dir) / "manifest.json"
    return _read_json(path) if path.is_file() else {}


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def git_refs(clone: Path) -> dict[str, str]:
    """refs/heads and refs/tags of a clone: {refname: objectname}. Raises on a git failure."""
    out = subprocess.run(
        ["git", "-c", "safe.directory=*", "-C", str(clone), "for-each-ref",
         "--format=%(objectname) %(refname)", "refs/heads", "refs/tags"],
        check=True, capture_output=True, text=True, env=_git_env(),
    ).stdout
    refs: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, ref = line.partition(" ")
        if ref:
            refs[ref] = sha
    return refs


def _numbered(folder: Path) -> dict[int, Path]:
    """N.json files of a folder (issues/, pulls/; N.conversation.json is not one)."""
    if not folder.is_dir():
        return {}
    return {int(p.stem): p for p in folder.glob("*.json") if p.stem.isdigit()}


def _lfs_objects(clone: Path) -> dict[str, Path]:
    """oid -> file for every file under .git/lfs/objects/??/??/."""
    root = clone / ".git" / "lfs" / "objects"
    if not root.is_dir():
        return {}
    return {p.name: p for p in root.glob("??/??/*") if p.is_file()}


def _labels(base: Path, *, ignore_placeholder: bool) -> set[tuple[str, str, str]]:
    path = base / "labels" / "labels.json"
    if not path.is_file():
        return set()
    found = set()
    for label in _read_json(path) or []:
        name = label.get("name") or ""
        if ignore_placeholder and name == PLACEHOLDER_LABEL:
            continue
        found.add((name, (label.get("color") or "").lower(), _text(label.get("description"))))
    return found


def _milestones(base: Path) -> dict[str, dict]:
    folder = base / "milestones"
    if not folder.is_dir():
        return {}
    found = {}
    for path in sorted(folder.glob("*.json")):
        milestone = _read_json(path)
        found[milestone.get("title") or ""] = milestone
    return found


def _releases(base: Path) -> dict[str, tuple[dict, Path]]:
    """tag_name -> (release JSON, folder of its assets)."""
    folder = base / "releases"
    if not folder.is_dir():
        return {}
    found = {}
    for path in sorted(folder.glob("*.json")):
        release = _read_json(path)
        found[release.get("tag_name") or path.stem] = (release, folder / path.stem)
    return found


def _asset_digests(release: dict, folder: Path) -> dict[str, str]:
    digests = {}
    for asset in release.get("assets") or []:
        name = asset.get("name") or ""
        path = folder / name
        digests[name] = _sha256(path) if path.is_file() else "(no file)"
    return digests


def _comment_texts(org_dir: Path, name: str, number: int, *, strip: bool) -> list[str]:
    """The design's "Comments of item N": the sorted non-empty bodies of issues/N.json
    comment_data, pulls/N.conversation.json, pulls/N.json comment_data and
    reviews/NAME/N.json reviews[*].body (stripped of the provenance header when `strip`)."""
    base = _repositories_dir(org_dir) / name
    bodies: list[str | None] = []
    issue = base / "issues" / f"{number}.json"
    if issue.is_file():
        bodies += [c.get("body") for c in _read_json(issue).get("comment_data") or []]
    conversation = base / "pulls" / f"{number}.conversation.json"
    if conversation.is_file():
        bodies += [c.get("body") for c in _read_json(conversation) or []]
    pull = base / "pulls" / f"{number}.json"
    if pull.is_file():
        bodies += [c.get("body") for c in _read_json(pull).get("comment_data") or []]
    reviews = Path(org_dir) / "reviews" / name / f"{number}.json"
    if reviews.is_file():
        bodies += [r.get("body") for r in _read_json(reviews).get("reviews") or []]
    texts = [strip_provenance(b) if strip else _text(b) for b in bodies]
    return sorted(t for t in texts if t)


def _items(base: Path) -> dict[int, tuple[str, Path]]:
    """number -> ("pull" | "issue", its JSON file); a number in both folders counts as a pull."""
    items = {n: ("issue", p) for n, p in _numbered(base / "issues").items()}
    items.update({n: ("pull", p) for n, p in _numbered(base / "pulls").items()})
    return items


def _short(value, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ------------------------------------------------------------------------ the parts

def _compare_refs(name: str, src_org: Path, dst_org: Path, src_manifest: dict, dst_manifest: dict) -> list[str]:
    diffs = []
    src_entry = (src_manifest.get("repositories") or {}).get(name)
    dst_entry = (dst_manifest.get("repositories") or {}).get(name)
    if src_entry is not None and dst_entry is None:
        diffs.append(f"{name}: not in the target's manifest.json")
    src_entry, dst_entry = src_entry or {}, dst_entry or {}
    for label, src_refs, dst_refs in (
        ("manifest refs", src_entry.get("refs") or {}, dst_entry.get("refs") or {}),
        ("manifest wiki refs", (src_entry.get("wiki") or {}).get("refs") or {},
         (dst_entry.get("wiki") or {}).get("refs") or {}),
    ):
        diffs += _ref_differences(name, label, src_refs, dst_refs)
    for folder, label in (("repository", "refs"), ("wiki", "wiki refs")):
        src_clone = _repositories_dir(src_org) / name / folder
        dst_clone = _repositories_dir(dst_org) / name / folder
        if not src_clone.is_dir() and not dst_clone.is_dir():
            continue
        try:
            src_refs = git_refs(src_clone) if src_clone.is_dir() else {}
        except subprocess.CalledProcessError as error:
            diffs.append(f"{name}: source {folder}: git for-each-ref failed: {error.stderr.strip()}")
            continue
        if not dst_clone.is_dir():
            if src_refs:
                diffs.append(f"{name}: {folder} missing in the target")
            continue
        try:
            dst_refs = git_refs(dst_clone)
        except subprocess.CalledProcessError as error:
            diffs.append(f"{name}: target {folder}: git for-each-ref failed: {error.stderr.strip()}")
            continue
        diffs += _ref_differences(name, label, src_refs, dst_refs)
    return diffs


def _ref_differences(name: str, label: str, src: dict, dst: dict) -> list[str]:
    diffs = []
    for ref in sorted(set(src) | set(dst)):
        if src.get(ref) != dst.get(ref):
            diffs.append(f"{name}: {label} {ref} {src.get(ref) or '(missing)'} != {dst.get(ref) or '(missing)'}")
    return diffs


def _compare_lfs(name: str, src_org: Path, dst_org: Path) -> list[str]:
    diffs = []
    src = _lfs_objects(_repositories_dir(src_org) / name / "repository")
    dst = _lfs_objects(_repositories_dir(dst_org) / name / "repository")
    for oid in sorted(set(src) - set(dst)):
        diffs.append(f"{name}: LFS object {oid} missing in the target")
    for oid in sorted(set(dst) - set(src)):
        diffs.append(f"{name}: LFS object {oid} only in the target")
    for side, objects in (("source", src), ("target", dst)):
        for oid, path in sorted(objects.items()):
            if not _LFS_NAME.match(oid) or _sha256(path) != oid:
                diffs.append(f"{name}: {side} LFS object {oid}: its sha256 is not its oid")
    return diffs


def _compare_labels(name: str, src_base: Path, dst_base: Path) -> list[str]:
    src = _labels(src_base, ignore_placeholder=False)
    dst = _labels(dst_base, ignore_placeholder=True)
    diffs = []
    for label in sorted(src - dst):
        diffs.append(f"{name}: label {label[0]!r} {label} missing or different in the target")
    for label in sorted(dst - src):
        diffs.append(f"{name}: label {label[0]!r} {label} in the target is not in the source")
    return diffs


def _compare_milestones(name: str, src_base: Path, dst_base: Path) -> list[str]:
    src, dst = _milestones(src_base), _milestones(dst_base)
    diffs = []
    for title in sorted(set(src) | set(dst)):
        if title not in dst:
            diffs.append(f"{name}: milestone {title!r} missing in the target")
            continue
        if title not in src:
            diffs.append(f"{name}: milestone {title!r} only in the target")
            continue
        for field in ("state", "description", "due_on"):
            a, b = src[title].get(field), dst[title].get(field)
            if field == "description":
                a, b = _text(a), _text(b)
            if field == "due_on":  # GitHub keeps a milestone's due date, not its time
                a, b = (a or "")[:10], (b or "")[:10]
            if a != b:
                diffs.append(f"{name}: milestone {title!r} {field} {_short(a)} != {_short(b)}")
    return diffs


def _compare_items(name: str, src_org: Path, dst_org: Path) -> list[str]:
    src_items = _items(_repositories_dir(src_org) / name)
    dst_items = _items(_repositories_dir(dst_org) / name)
    diffs = []
    for number in sorted(set(src_items) | set(dst_items)):
        if number not in src_items:
            kind, path = dst_items[number]
            item = _read_json(path)
            title = item.get("title") or ""
            if not (title.startswith(PLACEHOLDER_TITLE) and item.get("state") == "closed"):
                diffs.append(f"{name}: target {kind} #{number} {_short(title)} ({item.get('state')}) "
                             "has no source item and is not a closed placeholder")
            continue
        src_kind, src_path = src_items[number]
        what = f"{'pull request' if src_kind == 'pull' else 'issue'} #{number}"
        if number not in dst_items:
            diffs.append(f"{name}: {what} missing in the target")
            continue
        dst_kind, dst_path = dst_items[number]
        if src_kind == "issue" and dst_kind == "pull":
            diffs.append(f"{name}: {what} came back as a pull request")
        src, dst = _read_json(src_path), _read_json(dst_path)
        if src.get("title") != dst.get("title"):
            diffs.append(f"{name}: {what} title {_short(src.get('title'))} != {_short(dst.get('title'))}")
        src_body, dst_body = _text(src.get("body")), strip_provenance(dst.get("body"))
        if src_body != dst_body:
            diffs.append(f"{name}: {what} body {_short(src_body)} != {_short(dst_body)}")
        if src.get("state") != dst.get("state"):
            diffs.append(f"{name}: {what} state {src.get('state')!r} != {dst.get('state')!r}")
        src_comments = _comment_texts(src_org, name, number, strip=False)
        dst_comments = _comment_texts(dst_org, name, number, strip=True)
        if src_comments != dst_comments:
            missing = [t for t in src_comments if t not in dst_comments]
            extra = [t for t in dst_comments if t not in src_comments]
            diffs.append(f"{name}: {what} comments differ ({len(src_comments)} != {len(dst_comments)}; "
                         f"missing in the target {_short(missing)}, only in the target {_short(extra)})")
    return diffs


def _compare_releases(name: str, src_base: Path, dst_base: Path) -> list[str]:
    src, dst = _releases(src_base), _releases(dst_base)
    diffs = []
    for tag in sorted(set(src) | set(dst)):
        if tag not in dst:
            diffs.append(f"{name}: release {tag!r} missing in the target")
            continue
        if tag not in src:
            diffs.append(f"{name}: release {tag!r} only in the target")
            continue
        (a, a_dir), (b, b_dir) = src[tag], dst[tag]
        for field in ("tag_name", "name", "body", "draft", "prerelease"):
            x, y = a.get(field), b.get(field)
            if field == "name":
                x, y = _text(x), _text(y)
            elif field == "body":
                x, y = _text(x), strip_provenance(y)
            if x != y:
                diffs.append(f"{name}: release {tag!r} {field} {_short(x)} != {_short(y)}")
        src_assets, dst_assets = _asset_digests(a, a_dir), _asset_digests(b, b_dir)
        for asset in sorted(set(src_assets) | set(dst_assets)):
            x, y = src_assets.get(asset), dst_assets.get(asset)
            if x != y:
                diffs.append(f"{name}: release {tag!r} asset {asset!r} sha256 {x or '(missing)'} != {y or '(missing)'}")
    return diffs


def _settings_value(repository: dict, field: str):
    value = repository.get(field)
    if field == "topics":
        return sorted(value or [])
    if field in ("description", "homepage"):
        return _text(value)
    return value


def _compare_settings(name: str, src_org: Path, dst_org: Path) -> list[str]:
    src_path = Path(src_org) / "settings" / name / "repository.json"
    if not src_path.is_file():
        return []
    dst_path = Path(dst_org) / "settings" / name / "repository.json"
    if not dst_path.is_file():
        return [f"{name}: settings/{name}/repository.json missing in the target"]
    src, dst = _read_json(src_path), _read_json(dst_path)
    diffs = []
    for field in SETTINGS_FIELDS:
        a, b = _settings_value(src, field), _settings_value(dst, field)
        if a != b:
            diffs.append(f"{name}: settings {field} {_short(a)} != {_short(b)}")
    return diffs


# ------------------------------------------------------------------------ the entry points

def differences(source_org_dir: Path, target_org_dir: Path, *, repos: list[str] | None = None) -> list[str]:
    """Readable differences between a source organization's restored tree and its re-creation's
    ([] = equivalent), per repository (folders under github-backup/repositories/, same names in
    both; `repos` limits the comparison to those names)."""
    src_org, dst_org = Path(source_org_dir), Path(target_org_dir)
    src_names, dst_names = _repository_names(src_org), _repository_names(dst_org)
    diffs: list[str] = []
    if repos is None:
        names = sorted(set(src_names) | set(dst_names))
    else:
        names = sorted(set(repos))
    src_manifest, dst_manifest = _manifest(src_org), _manifest(dst_org)
    for name in names:
        if name not in src_names:
            diffs.append(f"{name}: repository not in the source")
            continue
        if name not in dst_names:
            diffs.append(f"{name}: repository missing in the target")
            continue
        src_base, dst_base = _repositories_dir(src_org) / name, _repositories_dir(dst_org) / name
        diffs += _compare_refs(name, src_org, dst_org, src_manifest, dst_manifest)
        diffs += _compare_lfs(name, src_org, dst_org)
        diffs += _compare_labels(name, src_base, dst_base)
        diffs += _compare_milestones(name, src_base, dst_base)
        diffs += _compare_items(name, src_org, dst_org)
        diffs += _compare_releases(name, src_base, dst_base)
        diffs += _compare_settings(name, src_org, dst_org)
    return diffs


def summary(source_org_dir: Path) -> dict[str, int]:
    """Counts of what a tree holds (what the comparison covered), for the closing note:
    repositories, refs, wiki_refs, lfs_objects, labels, milestones, issues, pulls, comments,
    releases, assets. Refs are the clones' refs/heads + refs/tags."""
    org = Path(source_org_dir)
    counts = dict.fromkeys(("repositories", "refs", "wiki_refs", "lfs_objects", "labels", "milestones",
                            "issues", "pulls", "comments", "releases", "assets"), 0)
    for name in _repository_names(org):
        base = _repositories_dir(org) / name
        counts["repositories"] += 1
        for folder, key in (("repository", "refs"), ("wiki", "wiki_refs")):
            if (base / folder).is_dir():
                try:
                    counts[key] += len(git_refs(base / folder))
                except subprocess.CalledProcessError:
                    pass
        counts["lfs_objects"] += len(_lfs_objects(base / "repository"))
        counts["labels"] += len(_labels(base, ignore_placeholder=False))
        counts["milestones"] += len(_milestones(base))
        items = _items(base)
        counts["issues"] += sum(1 for kind, _ in items.values() if kind == "issue")
        counts["pulls"] += sum(1 for kind, _ in items.values() if kind == "pull")
        for number in items:
            counts["comments"] += len(_comment_texts(org, name, number, strip=False))
        releases = _releases(base)
        counts["releases"] += len(releases)
        counts["assets"] += sum(len(release.get("assets") or []) for release, _ in releases.values())
    return counts
