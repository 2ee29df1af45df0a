"""What every stage of a run receives: the configuration, the secret files, the
GitHub client, and where things live in the cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .github_api import GitHubAPI
from .secret_files import SecretFiles
from .state_store import StateStore, open_store

STATE_DIR = ".state"  # the wrapper's own bookkeeping, never in a snapshot


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

    # The metadata parts (orgbackup/metadata/): one folder each, per repository below it
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
    def attachments(self) -> Path:  # attachments/index.json, attachments/files/<sha[:2]>/<sha256>
        return self.root / "attachments"

    @property
    def per_repository_parents(self) -> tuple[Path, ...]:
        """The metadata folders with one entry per repository (moved with a renamed repository)."""
        return (self.discussions, self.reviews, self.commit_comments, self.settings)

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"


@dataclass
class RunContext:
    config: Config
    files: SecretFiles
    api: GitHubAPI
    started: str  # ISO 8601 UTC, the run's start
    tool_versions: dict[str, str] = field(default_factory=dict)
    store: StateStore | None = None
    credentials: object = None  # credentials.PersonalToken or AppInstallationTokens (None: config.token)

    def tokens(self) -> list:
        """Every token of this run (credentials.IssuedToken): what must never be in the backup."""
        if self.credentials is not None:
            return self.credentials.issued()
        from .credentials import IssuedToken

        return [IssuedToken(self.config.token.reveal(), 0.0)] if self.config.token.reveal() else []

    def state_store(self) -> StateStore:
        """The state store of this cache, opened on first use."""
        if self.store is None:
            self.store = open_store(self.cache_dir, STATE_DIR)
        return self.store

    @property
    def cache_dir(self) -> Path:
        return self.config.cache_dir

    def org_paths(self, org: str) -> OrgPaths:
        return OrgPaths(self.cache_dir / org)

    def state_dir(self, org: str) -> Path:
        return self.cache_dir / STATE_DIR / org
