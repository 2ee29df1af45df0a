"""What every stage of a run receives: the run (RunContext: the configuration, the secret
files, the GitHub client, the cache's paths, the change decisions) and one organization's
night (OrgNight: its plan and what the stages before captured)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from orgbackup.config.settings import Config
from orgbackup.github.api import GitHubAPI
from orgbackup.config.secret_files import SecretFiles
from orgbackup.cache.layout import CachePaths, OrgPaths, StatePaths
from orgbackup.cache.state_store import StateStore

if TYPE_CHECKING:  # annotations only: these modules import this one
    from orgbackup.backup.planning.budget import BudgetPlan
    from orgbackup.backup.planning.plan import OrgPlan
    from orgbackup.backup.stages.second_copy import CopyResult
    from orgbackup.backup.stages.github_backup import GitHubBackupRuns
    from orgbackup.backup.stages.lfs_objects import LfsNight
    from orgbackup.backup.stages.metadata import MetadataReport
    from orgbackup.backup.stages.snapshot import SnapshotResult
    from orgbackup.results import Problem


@dataclass
class RunContext:
    config: Config
    files: SecretFiles
    api: GitHubAPI
    started: str  # ISO 8601 UTC, the run's start
    tool_versions: dict[str, str] = field(default_factory=dict)
    store: StateStore | None = None
    credentials: object = None  # credentials.PersonalToken or AppInstallationTokens (None: config.token)
    token_login: str | None = None  # the token's user, as preflight found it (None: a GitHub App)
    # This run's change decisions, org -> name -> Decision (orgbackup/backup/planning/changes.py):
    # made once, read by every stage.
    decisions: dict[str, dict] = field(default_factory=dict)

    def tokens(self) -> list:
        """Every token of this run (credentials.IssuedToken): what must never be in the backup."""
        if self.credentials is not None:
            return self.credentials.issued()
        from orgbackup.github.credentials import IssuedToken

        return [IssuedToken(self.config.token.reveal(), 0.0)] if self.config.token.reveal() else []

    def state_store(self) -> StateStore:
        """The state store of this cache, opened on first use."""
        if self.store is None:
            self.store = StateStore(self.cache.state_store)
        return self.store

    @property
    def cache_dir(self) -> Path:
        return self.config.cache_dir

    @property
    def cache(self) -> CachePaths:
        return CachePaths(self.cache_dir)

    def org_paths(self, org: str) -> OrgPaths:
        return self.cache.org(org)

    def state_paths(self, org: str) -> StatePaths:
        return self.cache.org_state(org)


@dataclass
class OrgNight:
    """One organization's night: its plan, and what each stage captured for the stages after it
    (orgbackup/backup/pipeline.py: a stage's result goes to the field its entry names).
    The change decisions are the run's (`RunContext.decisions`)."""

    plan: OrgPlan  # the repositories, by id (new, renamed, deleted), hooks, shard
    budget: BudgetPlan | None = None  # whose metadata the API budget holds
    github_backup: GitHubBackupRuns | None = None
    records: dict[str, dict] = field(default_factory=dict)  # per repository: verify-and-repair's record
    working_clones: dict[str, dict] = field(default_factory=dict)  # per repository: gitim's {branch, head}
    metadata: MetadataReport | None = None
    dependencies: dict = field(default_factory=dict)  # the dependencies report (manifest["dependencies"])
    leaked: list[Path] = field(default_factory=list)  # files that held the token: not in the snapshot
    problems: list[Problem] = field(default_factory=list)  # every stage's
    known_problems: list[Problem] = field(default_factory=list)  # upstream, reported by an earlier run
    snapshot: SnapshotResult | None = None
    copy: CopyResult | None = None  # the second copy of the snapshot (None: no copy repository)
    forgotten: int = 0  # snapshots retention removed
    lfs: LfsNight | None = None  # the night's LFS bandwidth (orgbackup/backup/stages/lfs_objects.py: LfsNight)
    error: str | None = None  # the organization failed before its snapshot

    @property
    def org(self) -> str:
        return self.plan.login

    @property
    def deferred(self) -> frozenset[str]:
        """The repositories whose metadata waits for a later run (the API budget)."""
        return frozenset(self.budget.deferred) if self.budget is not None else frozenset()

    @property
    def granted(self) -> list[dict]:
        """The repositories whose metadata this run captures."""
        return [r for r in self.plan.repos if r["name"] not in self.deferred]
