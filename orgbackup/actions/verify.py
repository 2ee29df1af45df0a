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
what), and with `--json` one JSON line.  Step 3 is `restored_tree_checks.py`
(`check_restored_org` on any folder holding `<ORG>/`: a restore, or the cache).
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from orgbackup.tools import process, restic, restic_output
from orgbackup.config.settings import Config
from orgbackup.errors import EXIT_FAILURE, EXIT_OK
from orgbackup.results import COMPLETE, FAILED, OrgResult, RunResult
from orgbackup.actions.session import session
from orgbackup.config.secret_files import MAIN, SecretFiles
from orgbackup.snapshots.restored_checks import DEPENDENCIES_ROW, MAX_NAMED, ORG_ROW, Result, check_restored_org, name_some
from orgbackup.snapshots.shard_sets import merge_shard_trees
from orgbackup.snapshots.shards import BackupUnit
from orgbackup.snapshots.select import select_backups, snapshot_org, snapshot_status
from orgbackup.times import format_time, iso_utc

log = logging.getLogger(__name__)

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
    config: Config, *, snapshot: str, org: str | None, read_data_subset: str | None, as_json: bool,
    repository: str = MAIN,
) -> RunResult:
    """`repository`: `main` (RESTIC_REPOSITORY) or `copy` (the second copy, RESTIC_COPY_REPOSITORY)."""
    with session(config) as held:
        files = held.files.of_repository(repository)
        # Listing first: a wrong password or a missing repository ends here, clearly.
        units = select_backups(config, files, snapshot=snapshot, org=org, complete_only=False)
        check = check_repository(files, read_data_subset)
        reports = [verify_set(files, unit, concurrency=config.concurrency) if unit.sharded
                   else verify_snapshot(files, unit.snapshots[0], concurrency=config.concurrency)
                   for unit in units]
    ok = check.ok and all(r.ok for r in reports)
    summary = format_report(check, reports, ok)
    if as_json:
        summary += json.dumps(report_dict(check, reports, ok), sort_keys=True) + "\n"
    sys.stdout.write(summary)
    sys.stdout.flush()
    result = RunResult(command="verify", status=EXIT_OK if ok else EXIT_FAILURE,
                       orgs=[org_result(check, r) for r in reports], summary=summary)
    if ok:
        log.info("verify passed")
    else:
        failed = sum(len(r.failures) for r in reports) + (0 if check.ok else 1)
        log.error("verify failed: %d check%s failed", failed, "s" if failed != 1 else "")
    return result


def org_result(check: CheckReport, report: OrgReport) -> OrgResult:
    """A failed restic check fails every organization: their data shares the repository."""
    problems = [f"{r.repo}: {r.check}: {r.message}" for r in report.failures]
    if not check.ok:
        problems.insert(0, f"restic check: {check.message}")
    return OrgResult(report.org, COMPLETE if check.ok and report.ok else FAILED,
                     problems=problems, snapshot_id=report.snapshot or None)


# 1. restic check


def check_repository(files: SecretFiles, read_data_subset: str | None) -> CheckReport:
    log.info("restic check%s", f" --read-data-subset {read_data_subset}" if read_data_subset else "")
    result = restic.run_restic(files, restic.check(read_data_subset), ok_codes=(0, 1))
    if result.ok:
        return CheckReport(read_data_subset)
    if restic_output.is_wrong_password(result) or restic_output.is_missing_repository(result):
        raise restic_output.ResticError(restic_output.explain(result), result.returncode)
    return CheckReport(read_data_subset, summarize_restic_errors(result))


def summarize_restic_errors(result: process.Completed) -> str:
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    named = [line for line in lines if not line.startswith("Fatal:")] or lines
    if not named:
        return restic_output.explain(result)
    more = f" (+{len(named) - MAX_NAMED} more)" if len(named) > MAX_NAMED else ""
    return "; ".join(named[:MAX_NAMED]) + more


# 2. restore into a temporary folder


def verify_snapshot(files: SecretFiles, snap: restic_output.Snapshot, *, concurrency: int = 4) -> OrgReport:
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


def verify_set(files: SecretFiles, unit: BackupUnit, *, concurrency: int = 4) -> OrgReport:
    """A sharded backup: every shard's snapshot of the set restored and merged into one
    tree (as `restore` does), then the same checks; a missing shard is a failed check."""
    org = snapshot_org(unit.snapshots[0]) if unit.snapshots else "?"
    report = OrgReport(org=org, snapshot="+".join(s.short_id for s in unit.snapshots),
                       time=format_time(unit.time),
                       status=f"{'complete' if unit.complete else 'incomplete'} set of {unit.count} shards")
    if unit.missing:
        report.results.append(Result(ORG_ROW, "shards", unit.describe_missing()))
    workdir = Path(tempfile.mkdtemp(prefix="orgbackup-verify-"))
    try:
        restored = []
        for snap in unit.snapshots:
            shard_dir = workdir / f".shard-{snap.shard.index}-of-{snap.shard.count}"
            shard_dir.mkdir()
            log.info("%s: restoring shard %s snapshot %s into %s", org, snap.shard, snap.short_id, shard_dir)
            result = restic.run_restic(files, restic.restore(snap.id, shard_dir), ok_codes=(0, 1))
            for item in restore_results(result, org):
                if not item.ok or not restored:
                    report.results.append(item)
            if (shard_dir / org).is_dir():
                restored.append((str(snap.shard), {"snapshot": snap.short_id, "time": iso_utc(snap.time)},
                                 shard_dir / org))
            else:
                report.results.append(Result(ORG_ROW, "restore",
                                             f"shard {snap.shard}'s snapshot holds no /{org}/ folder"))
        if restored:
            merge_shard_trees(restored, workdir / org)
            results, warnings = check_restored_org(workdir, org, concurrency=concurrency)
            report.results.extend(results)
            report.warnings.extend(warnings)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    log.info("%s: %d checks, %d failed", org, len(report.results), len(report.failures))
    return report


def restore_results(result: process.Completed, org: str) -> list[Result]:
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
        return [Result(ORG_ROW, "restore", restic_output.explain(result))]
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
