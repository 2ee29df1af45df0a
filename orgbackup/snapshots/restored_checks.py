"""Step 3 of `verify`, on a restored organization tree (or the cache): every check of what
came back, as `Result` rows.

`git fsck` of every repository, wiki, gitim clone and dependency mirror; every LFS object
that `git lfs ls-files --all --long` names present with its oid as sha256; every JSON file
(github-backup's, the metadata parts', manifest.json) parses; every attachment matches its
sha256; every release asset is where the path rule puts it (orgbackup/cache/release_files.py), with its
size; the refs in manifest.json are the refs restored (branches and tags of each repository and
wiki, gitim's HEAD).
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from orgbackup.tools import process
from orgbackup.git import argv as git, on_disk
from orgbackup.git.environment import restored_git_environment
from orgbackup.cache import release_files
from orgbackup.cache.file_digest import file_sha256
from orgbackup.git.run import run_git
from orgbackup.git.submodules import present_commits

ORG_ROW = "(organization)"
DEPENDENCIES_ROW = "(dependencies)"
GISTS_ROW = "(gists)"
MAX_NAMED = 3  # failures of one kind named in full; the rest counted


@dataclass(frozen=True)
class Result:
    repo: str  # a repository's name, ORG_ROW or DEPENDENCIES_ROW
    check: str  # "fsck repository", "refs wiki", "lfs", "json", ...
    message: str | None = None  # None: passed

    @property
    def ok(self) -> bool:
        return self.message is None


def check_restored_org(root: Path, org: str, *, concurrency: int = 4) -> tuple[list[Result], list[str]]:
    """Every check of `root/<org>/`, in a stable order, and the warnings."""
    base = root / org
    results, warnings = [], []
    manifest, message = load_manifest(base / "manifest.json", org)
    results.append(Result(ORG_ROW, "manifest", message))
    listed = (manifest or {}).get("repositories") or {}
    repos_dir = base / "github-backup" / "repositories"
    present = sorted(p.name for p in repos_dir.iterdir() if p.is_dir()) if repos_dir.is_dir() else []
    gitim_dir = base / "gitim" / org
    gitim_names = sorted(p.name for p in gitim_dir.iterdir() if p.is_dir()) if gitim_dir.is_dir() else []
    if manifest is not None:
        # Deleted on GitHub (or set aside when a new repository took the name): kept on purpose.
        kept = set(manifest.get("deleted_on_github") or {})
        for name in sorted((set(present) | set(gitim_names)) - set(listed) - kept):
            warnings.append(f"{name}: in the snapshot but not in manifest.json")
    names = sorted(set(present) | set(listed) | set(gitim_names))
    results.extend(check_json_outside_repositories(base / "github-backup"))
    results.extend(check_metadata_parts(base))

    def one(name: str) -> list[Result]:
        entry = listed.get(name) if isinstance(listed.get(name), dict) else None
        return check_repository_folder(
            repos_dir / name, gitim_dir / name, name, entry, in_manifest=manifest is not None
        )

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for repo_results in pool.map(one, names):
            results.extend(repo_results)
    for mirror in dependency_mirrors(base / "dependencies"):
        label = mirror.relative_to(base / "dependencies").as_posix()
        results.append(Result(DEPENDENCIES_ROW, f"fsck {label}", fsck_problem(mirror)))
    return results, warnings


def load_manifest(path: Path, org: str) -> tuple[dict | None, str | None]:
    if not path.is_file():
        return None, "manifest.json is missing"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return None, f"manifest.json does not parse: {exc}"
    if not isinstance(manifest, dict) or not isinstance(manifest.get("repositories", {}), dict):
        return None, "manifest.json is not a manifest (no repositories object)"
    if manifest.get("format") != 1:
        return None, f"manifest.json has format {manifest.get('format')!r}; this version reads format 1"
    if str(manifest.get("org", org)).lower() != org.lower():
        return manifest, f"manifest.json is of organization {manifest.get('org')}, not {org}"
    return manifest, None


def check_repository_folder(
    folder: Path, gitim_clone: Path, name: str, entry: dict | None, *, in_manifest: bool
) -> list[Result]:
    results = []
    if in_manifest and entry is not None and not folder.is_dir():
        return results + [Result(name, "repository", "in manifest.json but not in the snapshot")]
    clone = folder / "repository"
    expected = entry.get("refs") if entry else None
    if clone.is_dir():
        results.append(Result(name, "fsck repository", fsck_problem(clone)))
        if expected is not None:
            results.append(Result(name, "refs repository", refs_problem(clone, expected)))
        results.append(Result(name, "lfs", lfs_problem(clone)))
    elif folder.is_dir() and (expected or (entry is not None and not entry.get("empty"))):
        results.append(Result(name, "repository", "the clone (repository/) is missing"))
    wiki = folder / "wiki"
    wiki_entry = entry.get("wiki") if entry else None
    wiki_refs = wiki_entry.get("refs") if isinstance(wiki_entry, dict) else None
    if wiki.is_dir():
        results.append(Result(name, "fsck wiki", fsck_problem(wiki)))
        if wiki_refs is not None:
            results.append(Result(name, "refs wiki", refs_problem(wiki, wiki_refs)))
    elif wiki_refs:
        results.append(Result(name, "wiki", "manifest.json records a wiki, the snapshot has none"))
    if folder.is_dir():
        results.append(Result(name, "json", json_problem(json_files_of_repository(folder))))
    if (folder / "releases").is_dir():
        results.append(Result(name, "release assets", release_assets_problem(folder / "releases")))
    gitim_entry = entry.get("gitim") if entry else None
    if gitim_clone.is_dir():
        results.append(Result(name, "fsck gitim", fsck_problem(gitim_clone)))
        if isinstance(gitim_entry, dict) and gitim_entry.get("head"):
            results.append(Result(name, "gitim head", head_problem(gitim_clone, gitim_entry["head"])))
    elif isinstance(gitim_entry, dict) and gitim_entry.get("head"):
        results.append(Result(name, "gitim", "manifest.json records a gitim clone, the snapshot has none"))
    return results


def restored_git(argv: tuple[str, ...]) -> process.Completed:
    """A git of a restored tree: never the network, never a prompt (orgbackup/git/run.py)."""
    return run_git(argv, env=restored_git_environment(), timeout=None, check=False)


def fsck_problem(repo: Path) -> str | None:
    result = restored_git(git.fsck(repo))
    if result.ok:
        return None
    lines = [" ".join(l.split()) for l in (result.stdout + "\n" + result.stderr).splitlines() if l.strip()]
    return "git fsck: " + (name_some(lines) if lines else f"exited with {result.returncode}")


def refs_problem(repo: Path, expected: dict) -> str | None:
    result = restored_git(git.for_each_ref(repo))
    if not result.ok:
        return f"git for-each-ref failed: {process.last_line(result.stderr)}"
    return compare_refs(git.parse_ref_lines(result.stdout), expected)


def compare_refs(restored: dict[str, str], expected: dict[str, str]) -> str | None:
    """None when equal, else the differences, named."""
    diffs = []
    for ref in sorted(set(expected) | set(restored)):
        want, got = expected.get(ref), restored.get(ref)
        if want == got:
            continue
        if got is None:
            diffs.append(f"{ref} missing (manifest: {want[:12]})")
        elif want is None:
            diffs.append(f"{ref} not in manifest.json (restored: {got[:12]})")
        else:
            diffs.append(f"{ref} is {got[:12]}, manifest.json says {want[:12]}")
    return ("refs differ from manifest.json: " + name_some(diffs)) if diffs else None


def head_problem(repo: Path, expected: str) -> str | None:
    result = restored_git(git.rev_parse_head(repo))
    head = result.stdout.strip()
    if head == expected:
        return None
    return f"HEAD is {head[:12] or 'missing'}, manifest.json says {expected[:12]}"


def lfs_problem(clone: Path) -> str | None:
    """Every LFS object any ref needs is in .git/lfs/objects and hashes to its oid."""
    result = restored_git(git.lfs_ls_all_oids(clone))
    if not result.ok:
        if not restored_git(git.for_each_ref(clone)).stdout.strip():
            return None  # an empty repository: nothing to list
        return f"git lfs ls-files --all failed: {process.last_line(result.stderr) or result.returncode}"
    git_dir = clone / ".git" if (clone / ".git").is_dir() else clone
    status = {oid: on_disk.lfs_object_status(git_dir, oid) for oid in sorted(git.parse_lfs_oids(result.stdout))}
    missing = [oid for oid, state in status.items() if state == "missing"]
    damaged = [oid for oid, state in status.items() if state == "damaged"]
    return gaps("LFS object(s)", "their oid", missing, damaged)


def json_files_of_repository(folder: Path) -> list[Path]:
    """The JSON github-backup wrote for one repository: not the clone's or the wiki's
    files, not release assets (releases/<TAG>/<ASSET> are the users' files)."""
    found = []
    for root, dirs, names in os.walk(folder):
        here = Path(root)
        rel = here.relative_to(folder).parts
        if not rel:
            dirs[:] = [d for d in dirs if d not in ("repository", "wiki")]
        elif rel[0] == "releases":
            dirs[:] = []
        found.extend(here / n for n in names if n.endswith(".json"))
    return sorted(found)


def release_assets_problem(releases_dir: Path) -> str | None:
    """Every asset a release JSON lists is where the path rule puts it, with its size.  A release
    without its folder had no asset captured (BACKUP_PARTS without assets) and is not asked about."""
    missing, damaged = [], []
    for release_json, release in release_files.saved_releases(releases_dir):
        folder = release_files.assets_folder(release_json, release)
        if not folder.is_dir():
            continue
        for path, asset in release_files.asset_files(release_json, release):
            label = f"{folder.name}/{path.name}"
            if not path.is_file():
                missing.append(label)
            elif isinstance(asset.get("size"), int) and path.stat().st_size != asset["size"]:
                damaged.append(label)
    return gaps("release asset(s)", "their size", missing, damaged)


def check_json_outside_repositories(github_backup: Path) -> list[Result]:
    if not github_backup.is_dir():
        return [Result(ORG_ROW, "github-backup", "the snapshot has no github-backup/ folder")]
    files = []
    for root, dirs, names in os.walk(github_backup):
        if Path(root) == github_backup:
            dirs[:] = [d for d in dirs if d != "repositories"]
        files.extend(Path(root) / n for n in names if n.endswith(".json"))
    return [Result(ORG_ROW, "json", json_problem(sorted(files)))] if files else []


METADATA_FOLDERS = ("discussions", "reviews", "commit-comments", "settings", "organization", "projects", "gists")


def check_metadata_parts(base: Path) -> list[Result]:
    """Every JSON file of the metadata parts parses; every attachment's bytes match its sha256."""
    results = []
    for folder in METADATA_FOLDERS:
        files = sorted((base / folder).rglob("*.json")) if (base / folder).is_dir() else []
        if files:
            results.append(Result(ORG_ROW, f"json {folder}", json_problem(files)))
    if (base / "attachments").is_dir():
        results.append(Result(ORG_ROW, "attachments", attachments_problem(base / "attachments")))
    gists = sorted(p for p in (base / "gists").iterdir() if p.is_dir()) if (base / "gists").is_dir() else []
    results += [Result(GISTS_ROW, f"gist {folder.name}", gist_problem(folder)) for folder in gists]
    return results


def gist_problem(folder: Path) -> str | None:
    """A person's gist: its clone passes git fsck and holds every revision gist.json's history names."""
    try:
        history = json.loads((folder / "gist.json").read_bytes()).get("history") or []
    except (OSError, ValueError, AttributeError) as exc:
        return f"gist.json cannot be read ({exc.__class__.__name__})"
    clone = folder / "repository"
    damage = fsck_problem(clone)
    if damage:
        return damage
    wanted = {str(h.get("version")) for h in history if isinstance(h, dict) and h.get("version")}
    missing = sorted(sha[:12] for sha in wanted - present_commits(clone, wanted))
    return gaps("revision(s)", "", missing, [])


def attachments_problem(folder: Path) -> str | None:
    """attachments/index.json parses, and each file it names is there with the bytes of its sha256."""
    try:
        index = json.loads((folder / "index.json").read_bytes())
    except (OSError, ValueError) as exc:
        return f"attachments/index.json cannot be read ({exc.__class__.__name__})"
    missing, damaged = [], []
    for sha in sorted({entry.get("sha256", "") for entry in index.values() if isinstance(entry, dict)}):
        path = folder / "files" / sha[:2] / sha
        if not path.is_file():
            missing.append(sha[:12])
        elif file_sha256(path) != sha:
            damaged.append(sha[:12])
    return gaps("attachment(s)", "their sha256", missing, damaged)


def json_problem(paths: list[Path]) -> str | None:
    bad = []
    for path in paths:
        try:
            json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            bad.append(f"{path.parent.name}/{path.name} ({exc.__class__.__name__})")
    return f"{len(bad)} JSON file(s) do not parse: {name_some(bad)}" if bad else None


def dependency_mirrors(folder: Path) -> list[Path]:
    """dependencies/<HOST>/<OWNER>/<NAME>.git"""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*/*/*.git") if p.is_dir())


def gaps(what: str, named_by: str, missing: list[str], damaged: list[str]) -> str | None:
    """'2 LFS object(s) missing: a, b; 1 LFS object(s) do not match their oid: c', or None."""
    problems = []
    if missing:
        problems.append(f"{len(missing)} {what} missing: {name_some(missing)}")
    if damaged:
        problems.append(f"{len(damaged)} {what} do not match {named_by}: {name_some(damaged)}")
    return "; ".join(problems) or None


def name_some(items: list[str]) -> str:
    more = f" (+{len(items) - MAX_NAMED} more)" if len(items) > MAX_NAMED else ""
    return ", ".join(items[:MAX_NAMED]) + more
