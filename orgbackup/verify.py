"""`verify`: the restore drill.  Exit status 0 only when every check holds.

1. `restic check --read-data-subset X`: the repository's structure, and X of its
   data re-read and compared with its hashes.
2. The newest snapshot of each organization (or the one given) restored into a
   temporary folder (under TMPDIR), as a user would restore it.
3. On what came back: `git fsck` of every repository, wiki, gitim clone and
   dependency mirror; every LFS object that `git lfs ls-files --all --long`
   names is present and its sha256 is its oid; every JSON file github-backup
   wrote, and manifest.json, parses; and the refs in manifest.json are the refs
   restored (branches and tags of each repository and wiki, gitim's HEAD).

The report is a table per organization with each failure named (repository +
what), and with `--json` one JSON line.  `check_restored_org` runs step 3 on any
folder holding `<ORG>/` (a restore, or the cache), for the backup run to reuse.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import commands, git, restic
from .config import Config
from .errors import EXIT_FAILURE, EXIT_OK
from .secret_files import SecretFiles, register_secrets, remove_secret_files, write_secret_files
from .snapshots import iso_utc, select_snapshots, snapshot_org, snapshot_status

log = logging.getLogger(__name__)

ORG_ROW = "(organization)"
DEPENDENCIES_ROW = "(dependencies)"
MAX_NAMED = 3  # failures of one kind named in full; the rest counted


@dataclass(frozen=True)
class Result:
    repo: str  # a repository's name, ORG_ROW or DEPENDENCIES_ROW
    check: str  # "fsck repository", "refs wiki", "lfs", "json", ...
    message: str | None = None  # None: passed

    @property
    def ok(self) -> bool:
        return self.message is None


@dataclass
class OrgReport:
    org: str
    snapshot: str = ""
    time: str = ""
    status: str = ""
    results: list[Result] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[Result]:
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        return bool(self.results) and not self.failures

    def as_dict(self) -> dict:
        return {
            "org": self.org,
            "snapshot": self.snapshot,
            "time": self.time,
            "status": self.status,
            "ok": self.ok,
            "checks": len(self.results),
            "failed": len(self.failures),
            "failures": [{"repo": r.repo, "check": r.check, "message": r.message} for r in self.failures],
            "warnings": self.warnings,
        }


@dataclass
class CheckReport:
    read_data_subset: str | None
    message: str | None = None  # None: passed

    @property
    def ok(self) -> bool:
        return self.message is None


def run_verify(
    config: Config, *, snapshot: str, org: str | None, read_data_subset: str | None, as_json: bool
) -> int:
    register_secrets(config)
    files = write_secret_files(config)
    try:
        # Listing first: a wrong password or a missing repository ends here, clearly.
        snaps = select_snapshots(config, files, snapshot=snapshot, org=org, complete_only=False)
        check = check_repository(files, read_data_subset)
        reports = [verify_snapshot(files, snap, concurrency=config.concurrency) for snap in snaps]
    finally:
        remove_secret_files(files)
    ok = check.ok and all(r.ok for r in reports)
    sys.stdout.write(format_report(check, reports, ok))
    if as_json:
        sys.stdout.write(json.dumps(report_dict(check, reports, ok), sort_keys=True) + "\n")
    sys.stdout.flush()
    if not ok:
        failed = sum(len(r.failures) for r in reports) + (0 if check.ok else 1)
        log.error("verify failed: %d check%s failed", failed, "s" if failed != 1 else "")
        return EXIT_FAILURE
    log.info("verify passed")
    return EXIT_OK


# 1. restic check


def check_repository(files: SecretFiles, read_data_subset: str | None) -> CheckReport:
    log.info("restic check%s", f" --read-data-subset {read_data_subset}" if read_data_subset else "")
    result = restic.run_restic(files, restic.check(read_data_subset), ok_codes=(0, 1))
    if result.ok:
        return CheckReport(read_data_subset)
    if restic.is_wrong_password(result) or restic.is_missing_repository(result):
        raise restic.ResticError(restic.explain(result), result.returncode)
    return CheckReport(read_data_subset, summarize_restic_errors(result))


def summarize_restic_errors(result: commands.Completed) -> str:
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    named = [line for line in lines if not line.startswith("Fatal:")] or lines
    if not named:
        return restic.explain(result)
    more = f" (+{len(named) - MAX_NAMED} more)" if len(named) > MAX_NAMED else ""
    return "; ".join(named[:MAX_NAMED]) + more


# 2. restore into a temporary folder


def verify_snapshot(files: SecretFiles, snap: restic.Snapshot, *, concurrency: int = 4) -> OrgReport:
    org = snapshot_org(snap)
    report = OrgReport(org=org, snapshot=snap.short_id, time=iso_utc(snap.time), status=snapshot_status(snap))
    workdir = Path(tempfile.mkdtemp(prefix="orgbackup-verify-"))
    try:
        log.info("%s: restoring snapshot %s into %s", org, snap.short_id, workdir)
        result = restic.run_restic(files, restic.restore(snap.id, workdir), ok_codes=(0, 1))
        report.results.extend(restore_results(result, org))
        if (workdir / org).is_dir():
            results, warnings = check_restored_org(workdir, org, concurrency=concurrency)
            report.results.extend(results)
            report.warnings.extend(warnings)
        else:
            report.results.append(Result(ORG_ROW, "restore", f"the snapshot holds no /{org}/ folder"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    log.info("%s: %d checks, %d failed", org, len(report.results), len(report.failures))
    return report


def restore_results(result: commands.Completed, org: str) -> list[Result]:
    """restic restore's errors ("ignoring error for /ORG/...: why"), per repository."""
    if result.ok:
        return [Result(ORG_ROW, "restore")]
    seen: dict[str, tuple[str, str]] = {}
    for line in result.stderr.splitlines():
        head, sep, rest = line.strip().partition("ignoring error for ")
        if not sep or head:
            continue
        path, _, why = rest.partition(": ")
        if path not in seen:
            seen[path] = (repo_of_path(path, org), why.strip())
    if not seen:
        return [Result(ORG_ROW, "restore", restic.explain(result))]
    by_repo: dict[str, list[str]] = {}
    for path, (repo, why) in seen.items():
        by_repo.setdefault(repo, []).append(f"{path}: {why}")
    return [Result(repo, "restore", name_some(items)) for repo, items in by_repo.items()]


def repo_of_path(path: str, org: str) -> str:
    parts = path.strip("/").split("/")
    if parts[1:3] == ["github-backup", "repositories"] and len(parts) > 3:
        return parts[3]
    if parts[1:3] == ["gitim", org] and len(parts) > 3:
        return parts[3]
    if parts[1:2] == ["dependencies"]:
        return DEPENDENCIES_ROW
    return ORG_ROW


# 3. the checks of what came back


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
    gitim_entry = entry.get("gitim") if entry else None
    if gitim_clone.is_dir():
        results.append(Result(name, "fsck gitim", fsck_problem(gitim_clone)))
        if isinstance(gitim_entry, dict) and gitim_entry.get("head"):
            results.append(Result(name, "gitim head", head_problem(gitim_clone, gitim_entry["head"])))
    elif isinstance(gitim_entry, dict) and gitim_entry.get("head"):
        results.append(Result(name, "gitim", "manifest.json records a gitim clone, the snapshot has none"))
    return results


def run_git(argv: tuple[str, ...]) -> commands.Completed:
    return commands.run(argv, env=git.restored_git_environment(), check=False)


def fsck_problem(repo: Path) -> str | None:
    result = run_git(git.fsck(repo))
    if result.ok:
        return None
    lines = [" ".join(l.split()) for l in (result.stdout + "\n" + result.stderr).splitlines() if l.strip()]
    return "git fsck: " + (name_some(lines) if lines else f"exited with {result.returncode}")


def refs_problem(repo: Path, expected: dict) -> str | None:
    result = run_git(git.for_each_ref(repo))
    if not result.ok:
        return f"git for-each-ref failed: {commands.last_line(result.stderr)}"
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
    result = run_git(git.rev_parse_head(repo))
    head = result.stdout.strip()
    if head == expected:
        return None
    return f"HEAD is {head[:12] or 'missing'}, manifest.json says {expected[:12]}"


def lfs_problem(clone: Path) -> str | None:
    """Every LFS object any ref needs is in .git/lfs/objects and hashes to its oid."""
    result = run_git(git.lfs_ls_all_oids(clone))
    if not result.ok:
        if not run_git(git.for_each_ref(clone)).stdout.strip():
            return None  # an empty repository: nothing to list
        return f"git lfs ls-files --all failed: {commands.last_line(result.stderr) or result.returncode}"
    git_dir = clone / ".git" if (clone / ".git").is_dir() else clone
    status = {oid: git.lfs_object_status(git_dir, oid) for oid in sorted(git.parse_lfs_oids(result.stdout))}
    missing = [oid for oid, state in status.items() if state == "missing"]
    damaged = [oid for oid, state in status.items() if state == "damaged"]
    problems = []
    if missing:
        problems.append(f"{len(missing)} LFS object(s) missing: {name_some(missing)}")
    if damaged:
        problems.append(f"{len(damaged)} LFS object(s) do not match their oid: {name_some(damaged)}")
    return "; ".join(problems) or None


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


def check_json_outside_repositories(github_backup: Path) -> list[Result]:
    if not github_backup.is_dir():
        return [Result(ORG_ROW, "github-backup", "the snapshot has no github-backup/ folder")]
    files = []
    for root, dirs, names in os.walk(github_backup):
        if Path(root) == github_backup:
            dirs[:] = [d for d in dirs if d != "repositories"]
        files.extend(Path(root) / n for n in names if n.endswith(".json"))
    return [Result(ORG_ROW, "json", json_problem(sorted(files)))] if files else []


METADATA_FOLDERS = ("discussions", "reviews", "commit-comments", "settings", "organization", "projects")


def check_metadata_parts(base: Path) -> list[Result]:
    """Every JSON file of the metadata parts parses; every attachment's bytes match its sha256."""
    results = []
    for folder in METADATA_FOLDERS:
        files = sorted((base / folder).rglob("*.json")) if (base / folder).is_dir() else []
        if files:
            results.append(Result(ORG_ROW, f"json {folder}", json_problem(files)))
    if (base / "attachments").is_dir():
        results.append(Result(ORG_ROW, "attachments", attachments_problem(base / "attachments")))
    return results


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
        elif git.file_sha256(path) != sha:
            damaged.append(sha[:12])
    problems = []
    if missing:
        problems.append(f"{len(missing)} attachment(s) missing: {name_some(missing)}")
    if damaged:
        problems.append(f"{len(damaged)} attachment(s) do not match their sha256: {name_some(damaged)}")
    return "; ".join(problems) or None


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


def name_some(items: list[str]) -> str:
    more = f" (+{len(items) - MAX_NAMED} more)" if len(items) > MAX_NAMED else ""
    return ", ".join(items[:MAX_NAMED]) + more


# The report


def report_dict(check: CheckReport, reports: list[OrgReport], ok: bool) -> dict:
    return {
        "verify": "passed" if ok else "failed",
        "restic_check": {"ok": check.ok, "read_data_subset": check.read_data_subset, "message": check.message},
        "organizations": [r.as_dict() for r in reports],
    }


def format_report(check: CheckReport, reports: list[OrgReport], ok: bool) -> str:
    out = []
    subset = f" --read-data-subset {check.read_data_subset}" if check.read_data_subset else ""
    out.append(f"restic check{subset}: {'passed' if check.ok else 'FAILED: ' + str(check.message)}")
    for report in reports:
        out.append("")
        out.append(
            f"{report.org}: snapshot {report.snapshot} ({report.time}, {report.status}): "
            f"{len(report.results) - len(report.failures)} of {len(report.results)} checks passed"
        )
        rows: dict[str, list[int]] = {}
        for r in report.results:
            counts = rows.setdefault(r.repo, [0, 0])
            counts[0] += 1
            counts[1] += 0 if r.ok else 1
        header = ("REPOSITORY", "CHECKS", "FAILED", "RESULT")
        order = [ORG_ROW] + sorted(set(rows) - {ORG_ROW, DEPENDENCIES_ROW}) + [DEPENDENCIES_ROW]
        lines = [
            (name, str(rows[name][0]), str(rows[name][1]), "ok" if not rows[name][1] else "FAILED")
            for name in order if name in rows
        ]
        widths = [max(len(x[i]) for x in [header, *lines]) for i in range(4)]
        for line in [header, *lines]:
            out.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
        for r in report.failures:
            out.append(f"  FAILED {r.repo}: {r.check}: {r.message}")
        for warning in report.warnings:
            out.append(f"  warning: {warning}")
    out.append("")
    failed = sum(len(r.failures) for r in reports) + (0 if check.ok else 1)
    out.append("verify: passed" if ok else f"verify: FAILED ({failed} check{'s' if failed != 1 else ''} failed)")
    return "\n".join(out) + "\n"
