"""Every path of the cache, named once: what a snapshot holds, and the wrapper's bookkeeping.

    CACHE/<ORG>/                  OrgPaths: one organization, what one snapshot holds
    CACHE/.state/                 CachePaths.state: never in a snapshot; losing it costs time, never data
    CACHE/.state/<ORG>/           StatePaths: memos, the tools' run folders and logs

The snapshot's layout is documented in the README ("The snapshot layout"); a change here is
a change of every restore ever made.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

STATE_DIR = ".state"


@dataclass(frozen=True)
class OrgPaths:
    """The cache layout of one organization; its `root` is what one snapshot holds."""

    root: Path  # CACHE/<ORG>

    @property
    def github_backup(self) -> Path:  # github-backup's --output-directory
        return self.root / "github-backup"

    def repository_dir(self, name: str) -> Path:  # .../repositories/NAME
        return self.github_backup / "repositories" / name

    @property
    def gitim(self) -> Path:  # gitim's -d; it clones into gitim/<ORG>/<NAME>
        return self.root / "gitim"

    def gitim_clone(self, org: str, name: str) -> Path:
        return self.gitim / org / name

    @property
    def dependencies(self) -> Path:  # dependencies/<host>/<owner>/<name>.git (bare mirrors)
        return self.root / "dependencies"

    # The metadata parts (orgbackup/backup/parts/): one folder each, per repository below it
    # where the part is a repository's.

    @property
    def discussions(self) -> Path:  # discussions/<REPO>/<number>.json
        return self.root / "discussions"

    @property
    def reviews(self) -> Path:  # reviews/<REPO>/<pull number>.json
        return self.root / "reviews"

    @property
    def commit_comments(self) -> Path:  # commit-comments/<REPO>/comments.json
        return self.root / "commit-comments"

    @property
    def settings(self) -> Path:  # settings/<REPO>/<piece>.json
        return self.root / "settings"

    @property
    def organization(self) -> Path:  # organization/<piece>.json
        return self.root / "organization"

    @property
    def projects(self) -> Path:  # projects/<number>.json
        return self.root / "projects"

    @property
    def gists(self) -> Path:  # gists/<ID>/gist.json, gists/<ID>/repository (a personal account's)
        return self.root / "gists"

    @property
    def attachments(self) -> Path:  # attachments/index.json, attachments/files/<sha[:2]>/<sha256>
        return self.root / "attachments"

    @property
    def per_repository_parents(self) -> tuple[Path, ...]:
        """The metadata folders with one entry per repository (moved with a renamed repository)."""
        return (self.discussions, self.reviews, self.commit_comments, self.settings)

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"


@dataclass(frozen=True)
class StatePaths:
    """CACHE/.state/<ORG>/: one organization's bookkeeping (never in a snapshot)."""

    root: Path

    def github_backup_run(self, name: str) -> Path:  # github-backup's own output folder per repository
        return self.root / "github-backup-runs" / name

    def github_backup_log(self, name: str) -> Path:
        return self.root / "logs" / f"github-backup.{name}.log"

    @property
    def gitim_log(self) -> Path:
        return self.root / "gitim.log"

    @property
    def gitim_local_objects(self) -> Path:  # gitim's include file: url.<clone>.insteadOf
        return self.root / "gitim-local-objects.gitconfig"

    def clone_check(self, kind: str, name: str) -> Path:  # kind: repository | wiki | gitim
        return self.root / "clone-checks" / kind / f"{name}.json"

    def lfs_oids(self, name: str) -> Path:
        return self.root / "lfs-oids" / f"{name}.json"

    def worktree_links(self, name: str) -> Path:
        return self.root / "worktree-links" / f"{name}.json"

    def submodule_scan(self, name: str) -> Path:
        return self.root / "submodule-scans" / f"{name}.json"

    @property
    def scrub_memo(self) -> Path:
        return self.root / "scrub-clean.memo"

    @property
    def attachments_scanned(self) -> Path:
        return self.root / "attachments-scanned.json"


@dataclass(frozen=True)
class CachePaths:
    """The whole cache (BACKUP_CACHE_DIR)."""

    root: Path

    def org(self, org: str) -> OrgPaths:
        return OrgPaths(self.root / org)

    @property
    def state(self) -> Path:
        return self.root / STATE_DIR

    def org_state(self, org: str) -> StatePaths:
        return StatePaths(self.state / org)

    @property
    def state_store(self) -> Path:  # orgbackup/cache/state_store.py
        return self.state / "state.sqlite3"

    @property
    def prune_record(self) -> Path:  # when restic prune last ran
        return self.state / "restic-prune.json"

    @property
    def snapshot_sizes(self) -> Path:  # `snapshots`' sizes, asked of restic once per snapshot
        return self.state / "snapshot-sizes.json"

    @property
    def restore_to_github(self) -> Path:  # its lock, and the trees it restored per snapshot
        return self.state / "restore-to-github"

    @property
    def restore_to_github_store(self) -> Path:  # original -> created, per target host and organization
        return self.state / "restore-to-github.sqlite3"
