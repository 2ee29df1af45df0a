"""The end of a run: a table per organization for people, one JSON line for machines."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from orgbackup.config.settings import RETENTION_HERE, RETENTION_SEPARATE
from orgbackup.results import Problem, org_state
from orgbackup.words import counted


@dataclass
class OrgOutcome:
    org: str
    repositories: dict[str, dict] = field(default_factory=dict)
    dependencies: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    hooks: dict = field(default_factory=dict)
    snapshot_id: str | None = None
    data_added: int = 0
    seconds: float = 0.0
    leaked_files: list[str] = field(default_factory=list)
    error: str | None = None  # the organization failed before a snapshot was taken
    forgotten: int = 0  # snapshots retention removed after this one
    retention: str = RETENTION_HERE  # BACKUP_RETENTION: `separate`, the prune job forgets and prunes
    known_problems: list[Problem] = field(default_factory=list)  # upstream, reported by an earlier run
    deleted: list[dict] = field(default_factory=list)  # repositories GitHub no longer lists, kept
    renamed: dict[str, str] = field(default_factory=dict)  # new name -> old name, this run
    metadata: dict = field(default_factory=dict)  # part -> {saved, refreshed, unchanged, skipped} (stages/metadata.py)
    lfs: dict = field(default_factory=dict)  # the month's Git LFS bandwidth (stages/lfs_objects.py: LfsNight)
    copy: dict = field(default_factory=dict)  # the second copy (stages/second_copy.py: CopyResult); {}: none

    @property
    def state(self) -> str:
        """complete, incomplete or failed: the one rule (results.org_state)."""
        return org_state(snapshot_id=self.snapshot_id, error=self.error, leaked_files=self.leaked_files,
                         problems=self.problems)

    def counts(self) -> dict[str, int]:
        repos = self.repositories.values()

        def total(key):
            return sum(int(r.get(key) or 0) for r in repos)

        return {
            "repositories": len(self.repositories),
            "refs": sum(len(r.get("refs") or {}) for r in repos),
            "wikis": sum(1 for r in repos if r.get("wiki")),
            "lfs_objects": total("lfs_objects"),
            "issues": total("issues"),
            "pulls": total("pulls"),
            "pull_conversation_comments": total("pull_conversation_comments"),
            "releases": total("releases"),
            "release_assets": total("release_assets"),
            "working_clones": sum(1 for r in repos if r.get("gitim")),
            "dependencies": int(self.dependencies.get("repositories", 0) or 0),
            "problems": len(self.problems) + (1 if self.error else 0),
            "known_upstream_problems": len(self.known_problems),
            "deleted_on_github": len(self.deleted),
            **{f"{part.replace('-', '_')}_{kind}": n
               for part, report in sorted(self.metadata.items()) for kind, n in report.get("saved", {}).items()},
            "skipped_pieces": sum(len(where) for report in self.metadata.values()
                                  for where in report.get("skipped", {}).values()),
        }

    def as_dict(self) -> dict:
        return {
            "org": self.org,
            "status": self.state,
            "snapshot_id": self.snapshot_id,
            "data_added": self.data_added,
            "seconds": round(self.seconds, 1),
            "hooks": self.hooks,
            **self.counts(),
            "problem_list": [str(p) for p in self.problems] + ([self.error] if self.error else []),
            "deleted_list": [d["folder"] for d in self.deleted],
            "renamed": self.renamed,
            "retention": self.retention,
            "forgotten": self.forgotten,
            "skipped": {part: report["skipped"] for part, report in sorted(self.metadata.items())
                        if report.get("skipped")},
            "lfs": self.lfs,
            "copy": self.copy,
            "oldest_read": {part: report["oldest"] for part, report in sorted(self.metadata.items())
                            if report.get("oldest")},
        }


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def lfs_text(lfs: dict) -> str:
    """'12.0 MiB tonight; 40.0 MiB of 50.0 MiB in 2026-12 (resets 2027-01-01); 8.0 MiB deferred (2 repositories)'."""
    budget = f" of {human_bytes(lfs['limit'])}" if lfs.get("limit") is not None else " (no budget)"
    text = (f"{human_bytes(lfs['downloaded'])} tonight; {human_bytes(lfs['used'])}{budget} in {lfs['month']} "
            f"(resets {lfs['reset']})")
    if lfs.get("deferred_bytes"):
        text += f"; {human_bytes(lfs['deferred_bytes'])} deferred ({counted(lfs['deferred_repositories'], 'repositories')})"
    return text


def render_table(outcome: OrgOutcome) -> str:
    d = outcome.as_dict()
    rows = [
        ("organization", outcome.org),
        ("status", d["status"]),
        ("snapshot", d["snapshot_id"] or "-"),
        ("repositories", d["repositories"]),
        ("refs", d["refs"]),
        ("wikis", d["wikis"]),
        ("LFS objects", d["lfs_objects"]),
        *([("LFS bandwidth", lfs_text(outcome.lfs))] if outcome.lfs else []),
        ("issues", d["issues"]),
        ("pull requests", f"{d['pulls']} ({counted(d['pull_conversation_comments'], 'conversation comments')})"),
        ("releases", f"{d['releases']} ({counted(d['release_assets'], 'assets')})"),
        ("working clones", d["working_clones"]),
        ("dependencies", d["dependencies"]),
        ("hooks", "backed up" if outcome.hooks.get("backed_up") else f"skipped: {outcome.hooks.get('reason', '-')}"),
        *metadata_rows(outcome.metadata),
        *oldest_rows(outcome.metadata),
        ("added to restic", human_bytes(d["data_added"])),
        *([("second copy", copy_text(outcome.copy))] if outcome.copy else []),
        ("retention", retention_text(outcome)),
        ("time", f"{d['seconds']:.1f} s"),
        ("deleted on GitHub", ", ".join(f"{x['folder']} (last seen {x['last_seen'] or 'unknown'})"
                                          for x in outcome.deleted) or "-"),
        ("renamed on GitHub", ", ".join(f"{old} -> {new}" for new, old in sorted(outcome.renamed.items())) or "-"),
        ("known upstream gaps", d["known_upstream_problems"]),
        ("problems", d["problems"]),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"  {k.ljust(width)}  {v}" for k, v in rows]
    lines += [f"    - {p}" for p in d["problem_list"]]
    return "\n".join(lines)


# How the summary names each metadata part's counts: (row, main kind, other kinds in brackets).
METADATA_ROWS = (
    ("discussions", "discussions", "discussions", ("comments", "replies")),
    ("reviews", "pull request reviews", "reviews", ("pulls",)),
    ("commit-comments", "commit comments", "commit_comments", ()),
    ("settings", "settings", "repositories", ("collaborators", "teams", "protected_branches", "rulesets",
                                              "deploy_keys", "environments", "variables", "secrets")),
    # Not "organization": the table's first row is the organization's name.
    ("organization", "organization data", "members", ("outside_collaborators", "teams", "team_members", "hooks",
                                                      "rulesets", "variables", "secrets")),
    ("projects", "projects", "projects", ("items", "fields")),
    ("attachments", "attachments", "attachments", ("files",)),
)


def copy_text(copy: dict) -> str:
    """'snapshot 1a2b3c4d, same tree (copy repository made tonight)' or 'FAILED: <why>'."""
    if copy.get("state") == "copied":
        made = " (copy repository made tonight)" if copy.get("created") else ""
        earlier = copy.get("caught_up") or []
        caught_up = f"; also {counted(len(earlier), 'earlier snapshots')} a failed copy had left: " \
                    f"{', '.join(earlier)}" if earlier else ""
        return f"snapshot {copy.get('snapshot_id')}, same tree as {copy.get('source_id')}{made}{caught_up}"
    return f"FAILED: {copy.get('reason') or 'unknown'}"


def retention_text(outcome: OrgOutcome) -> str:
    """What retention did after the snapshot; with BACKUP_RETENTION=separate, that it is done
    elsewhere (the repository grows until the prune job runs: never silently)."""
    if outcome.retention == RETENTION_SEPARATE:
        return "done elsewhere (BACKUP_RETENTION=separate: the prune job forgets and prunes)"
    return counted(outcome.forgotten, "snapshots") + " forgotten"


def metadata_rows(metadata: dict) -> list[tuple[str, str]]:
    rows = []
    for part, title, main, others in METADATA_ROWS:
        report = metadata.get(part)
        if report is None:
            continue
        saved = report.get("saved", {})
        extra = ", ".join(counted(saved[k], k) for k in others if saved.get(k))
        first = counted(saved.get(main, 0), main) if part == "organization" else f"{saved.get(main, 0)}"
        text = first + (f" ({extra})" if extra else "")
        skipped = report.get("skipped", {})
        if skipped:
            text += "; " + skipped_text(part, skipped)
        rows.append((title, text))
    return rows


def oldest_rows(metadata: dict) -> list[tuple[str, str]]:
    """'oldest settings: V-Sekai/godot, read 3 days ago': the least recently read of each part
    GitHub gives no change signal for all of (stages/metadata.py, note_reads)."""
    rows = []
    for part, title, _, _ in METADATA_ROWS:
        oldest = (metadata.get(part) or {}).get("oldest")
        if oldest:
            where = oldest["repository"] or "the organization"
            rows.append((f"oldest {title}", f"{where}, read {age_text(oldest.get('age_seconds'))}"))
    return rows


def age_text(seconds: int | None) -> str:
    if seconds is None:
        return "at an unknown time"
    if seconds >= 86400:
        return counted(seconds // 86400, "days") + " ago"
    if seconds >= 3600:
        return counted(seconds // 3600, "hours") + " ago"
    return "in the last hour"


def skipped_text(part: str, skipped: dict[str, list[str]]) -> str:
    """'skipped, <why>: piece (N repositories), ...', the pieces grouped by why (reasons read
    '<part>: <piece>: <why>', backup/parts/common.py)."""
    by_why: dict[str, list[str]] = {}
    for reason, where in sorted(skipped.items()):
        piece, _, why = reason.removeprefix(f"{part}: ").rpartition(": ")
        repos = sum(1 for w in where if w)
        count = f" ({counted(repos, 'repositories')})" if repos else ""
        by_why.setdefault(why, []).append((piece or part) + count)
    return "; ".join(f"skipped, {why}: {', '.join(pieces)}" for why, pieces in sorted(by_why.items()))


def summary_line(outcomes: list[OrgOutcome], exit_status: int, seconds: float) -> str:
    return json.dumps(
        {
            "event": "backup_summary",
            "exit_status": exit_status,
            "seconds": round(seconds, 1),
            "orgs": [o.as_dict() for o in outcomes],
        },
        sort_keys=True,
    )
