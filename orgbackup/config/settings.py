"""Configuration: environment variables (optionally from a dotenv file), checked once.

`load_config(environ)` returns one frozen `Config` or raises `ConfigError` naming
the variable, never its value.  Secrets are `Secret` objects whose repr is `***`.
Every secret can be given as NAME or NAME_FILE, never both.  The readers of one
variable each (and `Secret`) are in `config_readers.py`.
"""

from __future__ import annotations

import logging
import os
import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from orgbackup.config.readers import (Secret, SecretEnvironment, parse_bool, parse_choice, parse_hours, parse_int,
                                      parse_bytes, parse_list, parse_percent, parse_words, read_dotenv,
                                      read_secret)
from orgbackup.errors import ConfigError
from orgbackup.snapshots.shards import DEFAULT_WINDOW_HOURS, Shard, parse_shard

log = logging.getLogger(__name__)

# What github-backup captures (its flags), then what the wrapper captures itself (orgbackup/backup/parts/).
GITHUB_BACKUP_PARTS = ("issues", "pulls", "milestones", "labels", "releases", "assets", "wikis")
METADATA_PARTS = ("discussions", "reviews", "commit-comments", "settings", "organization", "projects",
                  "gists", "attachments")
ALL_PARTS = GITHUB_BACKUP_PARTS + METADATA_PARTS
HOOKS_MODES = ("auto", "on", "off")
# BACKUP_RETENTION: `here`, the backup forgets and prunes after its snapshots; `separate`, it never
# does (append-only storage: `entrypoint.py prune` with credentials that may delete does it).
RETENTION_HERE, RETENTION_SEPARATE = "here", "separate"
RETENTION_MODES = (RETENTION_HERE, RETENTION_SEPARATE)
# restic's duration (`--keep-within`): years, months, days, hours, e.g. 30d, 1m15d, 2y.
KEEP_WITHIN = re.compile(r"^(\d+[ymdh])+$")
DEFAULT_PRUNE_KEEP_WITHIN = "30d"
GIT_PROTOCOLS = ("https", "ssh")
DEFAULT_HOST_NAME = "github-org-backup"
# restic check --read-data-subset: n% (a fraction), n/t (part n of t) or a size (500M).
READ_DATA_SUBSET = re.compile(r"^(\d+(\.\d+)?%|\d+/\d+|\d+[KMGT]?)$")
DEFAULT_STALL_SECONDS = 600  # without progress, a transfer or a tool is ended
DEFAULT_RATE_LIMIT_MAX_WAIT = 900  # seconds: a reset within this is waited for, not deferred to the next night
# GitHub's rule for organization names; also keeps them safe as folder names.
ORG_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
HOST = re.compile(r"^[A-Za-z0-9.-]+(?::[0-9]{1,5})?$")


# The variables restic and its backends read (restic's manual, "Environment Variables").
# ST_* is listed by name: the prefix alone is too common.
RESTIC_BACKEND_PREFIXES = ("RESTIC_", "AWS_", "B2_", "AZURE_", "GOOGLE_", "OS_", "RCLONE_")
RESTIC_BACKEND_NAMES = ("ST_AUTH", "ST_USER", "ST_KEY")
# These travel by the run's own files (RESTIC_*_FILE), never from the environment.
RESTIC_OWN_SECRETS = ("RESTIC_PASSWORD", "RESTIC_REPOSITORY", "RESTIC_COPY_PASSWORD", "RESTIC_COPY_REPOSITORY")


def check_private_key(key: Secret) -> None:
    """ConfigError unless the text is a PEM RSA private key (what GitHub hands out)."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        loaded = load_pem_private_key(key.reveal().encode(), password=None)
    except (ValueError, TypeError):
        raise ConfigError("GITHUB_APP_PRIVATE_KEY: not a PEM private key (the .pem file GitHub "
                          "generates for the App)") from None
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ConfigError("GITHUB_APP_PRIVATE_KEY: GitHub Apps sign with RSA keys; this key is not one")


def is_restic_backend_variable(name: str) -> bool:
    """True for the variables only restic (the repository's backend) needs:
    they go to restic and to no other program."""
    return name.startswith(RESTIC_BACKEND_PREFIXES) or name in RESTIC_BACKEND_NAMES


def restic_backend_environment(env: Mapping[str, str]) -> SecretEnvironment:
    """The backend variables of the (environment + dotenv) settings, less the
    repository and password (and their *_FILE / *_COMMAND forms)."""
    return SecretEnvironment({
        name: value for name, value in env.items()
        if value and is_restic_backend_variable(name) and not name.startswith(RESTIC_OWN_SECRETS)
    })


@dataclass(frozen=True)
class Retention:
    """The keep policy applies to complete snapshots; incomplete ones go once a newer
    complete snapshot exists and they are `incomplete_days` old."""

    daily: int = 7
    weekly: int = 4
    monthly: int = 12
    yearly: int = 3
    incomplete_days: int = 14

    @property
    def keeps_everything(self) -> bool:
        """All keep counts 0: every complete snapshot stays (incomplete ones still go)."""
        return not (self.daily or self.weekly or self.monthly or self.yearly)


@dataclass(frozen=True)
class GitHubAppSettings:
    """A GitHub App instead of a token: the run signs a JWT with the private key and
    exchanges it for an installation token per organization (orgbackup/github/credentials.py)."""

    app_id: str
    private_key: Secret  # PEM
    installation_id: int | None = None  # else GET /orgs/{org}/installation


@dataclass(frozen=True)
class Config:
    # Every account backed up: GITHUB_ORGS, then GITHUB_USERS (the run treats both alike, except
    # where `is_user` says an account is a person's: orgbackup/backup/accounts.py).
    orgs: tuple[str, ...]
    token: Secret
    restic_repository: Secret  # may carry backend credentials (rest:https://user:pw@...)
    restic_password: Secret
    cache_dir: Path
    # The second copy (RESTIC_COPY_REPOSITORY/PASSWORD(_FILE)): every new snapshot is copied there
    # (orgbackup/backup/stages/copy.py); None without one.
    restic_copy_repository: Secret | None = None
    restic_copy_password: Secret | None = None
    # AWS_*, B2_*, RESTIC_CACHE_DIR, ...: for restic only (commands.child_environment drops them)
    restic_backend: SecretEnvironment = field(default_factory=SecretEnvironment)
    github_host: str = "github.com"
    users: tuple[str, ...] = ()  # the personal accounts among `orgs` (GITHUB_USERS)
    host_name: str = DEFAULT_HOST_NAME
    retention: Retention = field(default_factory=Retention)
    parts: tuple[str, ...] = ALL_PARTS
    hooks: str = "auto"
    git_protocol: str = "https"
    gitim: bool = True
    dependencies: bool = True
    dependencies_depth: int = 0  # 0: follow dependencies of dependencies without limit
    dependencies_exclude: tuple[str, ...] = ()
    concurrency: int = 4
    git_concurrency: int = 16  # git reads (ls-remote, fetch) do not spend the API budget
    full_refresh_days: int = 7
    # Percent of the REST budget left after what changed that each night spends reading
    # settings GitHub gives no change signal for again, oldest-read first (planning/freshness.py)
    freshness_budget_share: int = 50
    fresh_hours: int = 12  # a part read less than this many hours ago is not read again for freshness
    keep_deleted_days: int = 0  # 0: a repository deleted on GitHub stays in the cache (and snapshots) forever
    prune_days: int = 7  # restic prune at most this often (0: whenever a snapshot was forgotten)
    retention_mode: str = RETENTION_HERE  # BACKUP_RETENTION: `separate` leaves forget and prune to the prune job
    # The prune job's floor: every snapshot within this of the newest is kept (restic --keep-within)
    prune_keep_within: str = DEFAULT_PRUNE_KEEP_WITHIN
    verify_after_backup: bool = False
    # When the API budget cannot hold the run's metadata: wait for the reset instead of deferring it
    wait_for_rate_limit: bool = False
    # ... and without it, when the reset comes within this many seconds (waiting is cheaper than a night)
    rate_limit_max_wait: int = DEFAULT_RATE_LIMIT_MAX_WAIT
    verify_read_data_subset: str = "5%"
    stall_seconds: int = DEFAULT_STALL_SECONDS  # no wall-clock limit: a slow transfer is no stalled one
    lfs_monthly_bytes: int | None = None  # BACKUP_LFS_MONTHLY_BYTES: None, no limit (still counted)
    app: GitHubAppSettings | None = None  # then `token` is empty
    # Where the token came from, as messages name it: GITHUB_TOKEN, or GITHUB_TOKEN_FILE (PATH)
    token_source: str = "GITHUB_TOKEN"
    # GITHUB_CA_BUNDLE_FILE as given (None for GITHUB_CA_BUNDLE or neither), and the PEM
    # certificates of either: trusted by every program of the run besides the system's roots.
    ca_bundle_file: Path | None = None
    ca_bundle_pem: str | None = field(default=None, repr=False)
    # BACKUP_SHARD=i/N: this run backs up shard i of N (orgbackup/snapshots/shards.py); None: everything
    shard: Shard | None = None
    shard_window_hours: float = DEFAULT_WINDOW_HOURS  # BACKUP_SHARD_WINDOW: one night's shards

    @property
    def api_url(self) -> str:
        if self.github_host == "github.com":
            return "https://api.github.com"
        return f"https://{self.github_host}/api/v3"

    def is_user(self, login: str) -> bool:
        """The account is a person's (GITHUB_USERS), not an organization."""
        return login.lower() in (user.lower() for user in self.users)

    @property
    def git_url(self) -> str:
        return f"https://{self.github_host}"

    @property
    def enterprise(self) -> bool:
        return self.github_host != "github.com"

    @property
    def api_threads_alone(self) -> int:
        """Requests in flight for a stage that has the API to itself (the change check, the
        metadata stage): twice the github-backup processes, each of which asks one at a time."""
        return max(1, 2 * self.concurrency)


def parse_account_names(environ: Mapping[str, str], name: str, noun: str) -> tuple[str, ...]:
    accounts = parse_list(environ, name)
    seen: set[str] = set()
    for account in accounts:
        if not ORG_NAME.match(account):
            raise ConfigError(f"{name}: {account!r} is not a valid {noun} name")
        if account.lower() in seen:
            raise ConfigError(f"{name}: {noun} {account!r} is listed twice")
        seen.add(account.lower())
    return accounts


def parse_accounts(environ: Mapping[str, str], *, required: bool = True) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(every account backed up: GITHUB_ORGS then GITHUB_USERS, the personal accounts of them)."""
    orgs = parse_account_names(environ, "GITHUB_ORGS", "organization")
    users = parse_account_names(environ, "GITHUB_USERS", "user")
    if required and not orgs and not users:
        raise ConfigError("GITHUB_ORGS or GITHUB_USERS is required: organizations and personal accounts, "
                          "comma-separated")
    both = {o.lower() for o in orgs} & {u.lower() for u in users}
    if both:
        raise ConfigError(f"{sorted(both)[0]!r} is in both GITHUB_ORGS and GITHUB_USERS: an account is one or the other")
    return orgs + users, users


def parse_parts(environ: Mapping[str, str]) -> tuple[str, ...]:
    return parse_words(environ, "BACKUP_PARTS", ALL_PARTS, ALL_PARTS, noun="part")


def parse_retention(environ: Mapping[str, str]) -> Retention:
    default = Retention()
    return Retention(
        daily=parse_int(environ, "BACKUP_KEEP_DAILY", default.daily),
        weekly=parse_int(environ, "BACKUP_KEEP_WEEKLY", default.weekly),
        monthly=parse_int(environ, "BACKUP_KEEP_MONTHLY", default.monthly),
        yearly=parse_int(environ, "BACKUP_KEEP_YEARLY", default.yearly),
        incomplete_days=parse_int(environ, "BACKUP_KEEP_INCOMPLETE_DAYS", default.incomplete_days),
    )


def parse_keep_within(environ: Mapping[str, str]) -> str:
    """BACKUP_PRUNE_KEEP_WITHIN: a restic duration (30d, 6m, 1y2m, 48h)."""
    raw = environ.get("BACKUP_PRUNE_KEEP_WITHIN")
    value = (raw or "").strip().lower() or DEFAULT_PRUNE_KEEP_WITHIN
    if not KEEP_WITHIN.match(value):
        raise ConfigError(f"BACKUP_PRUNE_KEEP_WITHIN: {raw!r} is not a duration restic reads "
                          "(numbers with y, m, d or h: 30d, 6m, 1y2m)")
    return value


def parse_stall_seconds(environ: Mapping[str, str]) -> int:
    """BACKUP_STALL_SECONDS, or the deprecated BACKUP_GIT_TIMEOUT (once a wall-clock
    limit per git call; now read as the stall budget)."""
    if environ.get("BACKUP_STALL_SECONDS") is not None or environ.get("BACKUP_GIT_TIMEOUT") is None:
        return parse_int(environ, "BACKUP_STALL_SECONDS", DEFAULT_STALL_SECONDS, minimum=1)
    log.warning("BACKUP_GIT_TIMEOUT is deprecated: set BACKUP_STALL_SECONDS (seconds without "
                "progress after which a transfer or tool is ended) instead")
    return parse_int(environ, "BACKUP_GIT_TIMEOUT", DEFAULT_STALL_SECONDS, minimum=1)


def parse_github_app(environ: Mapping[str, str], orgs: tuple[str, ...]) -> GitHubAppSettings | None:
    """GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY(_FILE), GITHUB_APP_INSTALLATION_ID; None when none is set."""
    app_id = (environ.get("GITHUB_APP_ID") or "").strip()
    key = read_secret(environ, "GITHUB_APP_PRIVATE_KEY", required=False)
    installation = (environ.get("GITHUB_APP_INSTALLATION_ID") or "").strip()
    if not (app_id or key or installation):
        return None
    if not app_id:
        raise ConfigError("GITHUB_APP_PRIVATE_KEY or GITHUB_APP_INSTALLATION_ID is set without GITHUB_APP_ID")
    if not app_id.isdigit():
        raise ConfigError(f"GITHUB_APP_ID: expected the App's number, got {app_id!r}")
    if key is None:
        raise ConfigError("GITHUB_APP_ID is set: GITHUB_APP_PRIVATE_KEY (or GITHUB_APP_PRIVATE_KEY_FILE) is required")
    check_private_key(key)
    installation_id = None
    if installation:
        if not installation.isdigit() or int(installation) < 1:
            raise ConfigError(f"GITHUB_APP_INSTALLATION_ID: expected a number, got {installation!r}")
        if len(orgs) > 1:
            raise ConfigError("GITHUB_APP_INSTALLATION_ID names the installation of one account: "
                              "list one in GITHUB_ORGS or GITHUB_USERS, or leave it unset (found per account)")
        installation_id = int(installation)
    return GitHubAppSettings(app_id, key, installation_id)


def secret_source(environ: Mapping[str, str], name: str) -> str:
    """NAME, or NAME_FILE (PATH) where the secret was read from a file (read_secret)."""
    path = environ.get(f"{name}_FILE")
    return f"{name}_FILE ({path})" if path else name


def parse_github_credentials(environ: Mapping[str, str], orgs: tuple[str, ...]) -> tuple[Secret, GitHubAppSettings | None]:
    """A token or a GitHub App, never both, never neither."""
    app = parse_github_app(environ, orgs)
    token = read_secret(environ, "GITHUB_TOKEN", required=False)
    if app and token:
        raise ConfigError("GITHUB_TOKEN (or GITHUB_TOKEN_FILE) and GITHUB_APP_ID are both set: "
                          "authenticate with a token or with a GitHub App, not both")
    if app:
        return Secret(""), app
    if token is None:
        raise ConfigError("GITHUB_TOKEN (or GITHUB_TOKEN_FILE) is required, or a GitHub App "
                          "(GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY)")
    if any(ch.isspace() for ch in token.reveal().strip()) or not token.reveal().strip():
        raise ConfigError(f"{secret_source(environ, 'GITHUB_TOKEN')}: the token contains spaces or is empty")
    return Secret(token.reveal().strip()), None
PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"


def parse_ca_bundle(environ: Mapping[str, str]) -> tuple[Path | None, str | None]:
    """GITHUB_CA_BUNDLE (PEM text) or GITHUB_CA_BUNDLE_FILE (a PEM file), never both:
    (the file given, the PEM text), each checked to hold certificates OpenSSL can load."""
    text = environ.get("GITHUB_CA_BUNDLE") or ""
    named = (environ.get("GITHUB_CA_BUNDLE_FILE") or "").strip()
    if text.strip() and named:
        raise ConfigError("GITHUB_CA_BUNDLE and GITHUB_CA_BUNDLE_FILE are both set: set only one")
    name, path = "GITHUB_CA_BUNDLE", None
    if named:
        name, path = "GITHUB_CA_BUNDLE_FILE", Path(named)
        try:
            text = path.read_text(encoding="ascii")
        except OSError as exc:
            raise ConfigError(f"GITHUB_CA_BUNDLE_FILE: cannot read {named}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"GITHUB_CA_BUNDLE_FILE: {named} is not PEM text (DER? convert it with "
                              "openssl x509 -inform der)") from None
    elif not text.strip():
        return None, None
    elif "\n" not in text and "\\n" in text:
        text = text.replace("\\n", "\n")  # an env file that cannot hold newlines: \n written out
    where = f"{name}: {named}" if named else name
    if PEM_CERTIFICATE not in text:
        raise ConfigError(f"{where} holds no PEM certificate ({PEM_CERTIFICATE})")
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=text)
    except (ssl.SSLError, ValueError) as exc:
        raise ConfigError(f"{where}: the certificates cannot be loaded ({exc.__class__.__name__}: "
                          f"{getattr(exc, 'reason', None) or exc})") from None
    return path, text.strip() + "\n"


def ca_bundle_fields(env: Mapping[str, str]) -> dict:
    """The Config fields of parse_ca_bundle."""
    ca_file, ca_pem = parse_ca_bundle(env)
    return {"ca_bundle_file": ca_file, "ca_bundle_pem": ca_pem}


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CACHE_HOME") or os.path.join(environ.get("HOME", "/tmp"), ".cache")
    return Path(base) / "orgbackup"


def parse_copy_repository(env: Mapping[str, str]) -> tuple[Secret | None, Secret | None]:
    """RESTIC_COPY_REPOSITORY and RESTIC_COPY_PASSWORD (or their _FILE): both or neither."""
    repository = read_secret(env, "RESTIC_COPY_REPOSITORY", required=False)
    password = read_secret(env, "RESTIC_COPY_PASSWORD", required=False)
    if (repository is None) != (password is None):
        missing = "RESTIC_COPY_PASSWORD" if password is None else "RESTIC_COPY_REPOSITORY"
        raise ConfigError(f"{missing} (or {missing}_FILE) is required with a second copy "
                          f"(RESTIC_COPY_REPOSITORY and RESTIC_COPY_PASSWORD go together)")
    return repository, password


def load_config(environ: Mapping[str, str], *, need_github: bool = True) -> Config:
    """Check every variable and return the configuration, or raise ConfigError.

    `need_github=False` is for commands that only read the restic repository
    (restore, verify, snapshots): they need no token and no organization.
    """
    env = read_dotenv(environ)
    host = (env.get("GITHUB_HOST") or "github.com").strip().lower()
    host = host.removeprefix("https://").rstrip("/")
    if not HOST.match(host):
        raise ConfigError(f"GITHUB_HOST: {env.get('GITHUB_HOST')!r} is not a host[:port]")
    app = None
    if need_github:
        orgs, users = parse_accounts(env)
        token, app = parse_github_credentials(env, orgs)
        if app and users:
            raise ConfigError("GITHUB_USERS is not supported with a GitHub App (GITHUB_APP_ID): back up personal "
                              "accounts with a token (GITHUB_TOKEN or GITHUB_TOKEN_FILE)")
    else:
        orgs, users = parse_list(env, "GITHUB_ORGS") + parse_list(env, "GITHUB_USERS"), parse_list(env, "GITHUB_USERS")
        token = read_secret(env, "GITHUB_TOKEN", required=False) or Secret("")
    repository = read_secret(env, "RESTIC_REPOSITORY")
    password = read_secret(env, "RESTIC_PASSWORD")
    copy_repository, copy_password = parse_copy_repository(env)
    cache = env.get("BACKUP_CACHE_DIR")
    cache_dir = Path(cache) if cache else default_cache_dir(env)
    host_name = (env.get("BACKUP_HOST_NAME") or DEFAULT_HOST_NAME).strip()
    if not re.match(r"^[A-Za-z0-9._-]+$", host_name):
        raise ConfigError(f"BACKUP_HOST_NAME: {host_name!r} may hold only letters, digits, . _ -")
    subset = (env.get("BACKUP_VERIFY_READ_DATA_SUBSET") or "5%").strip()
    if not READ_DATA_SUBSET.match(subset):
        raise ConfigError(f"BACKUP_VERIFY_READ_DATA_SUBSET: {subset!r} is not n%, n/t or a size")
    return Config(
        orgs=orgs,
        users=users,
        token=token,
        restic_repository=repository,
        restic_password=password,
        cache_dir=cache_dir,
        restic_copy_repository=copy_repository,
        restic_copy_password=copy_password,
        restic_backend=restic_backend_environment(env),
        github_host=host,
        host_name=host_name,
        retention=parse_retention(env),
        parts=parse_parts(env),
        hooks=parse_choice(env, "BACKUP_HOOKS", "auto", HOOKS_MODES),
        git_protocol=parse_choice(env, "BACKUP_GIT_PROTOCOL", "https", GIT_PROTOCOLS),
        gitim=parse_bool(env, "BACKUP_GITIM", True),
        dependencies=parse_bool(env, "BACKUP_DEPENDENCIES", True),
        dependencies_depth=parse_int(env, "BACKUP_DEPENDENCIES_DEPTH", 0),
        dependencies_exclude=parse_list(env, "BACKUP_DEPENDENCIES_EXCLUDE"),
        concurrency=parse_int(env, "BACKUP_CONCURRENCY", 4, minimum=1),
        git_concurrency=parse_int(env, "BACKUP_GIT_CONCURRENCY", 16, minimum=1),
        full_refresh_days=parse_int(env, "BACKUP_FULL_REFRESH_DAYS", 7),
        freshness_budget_share=parse_percent(env, "BACKUP_FRESHNESS_BUDGET_SHARE", 50),
        fresh_hours=parse_int(env, "BACKUP_FRESH_HOURS", 12),
        keep_deleted_days=parse_int(env, "BACKUP_KEEP_DELETED_DAYS", 0),
        prune_days=parse_int(env, "BACKUP_PRUNE_DAYS", 7),
        retention_mode=parse_choice(env, "BACKUP_RETENTION", RETENTION_HERE, RETENTION_MODES),
        prune_keep_within=parse_keep_within(env),
        verify_after_backup=parse_bool(env, "BACKUP_VERIFY_AFTER_BACKUP", False),
        wait_for_rate_limit=parse_bool(env, "BACKUP_WAIT_FOR_RATE_LIMIT", False),
        rate_limit_max_wait=parse_int(env, "BACKUP_RATE_LIMIT_MAX_WAIT", DEFAULT_RATE_LIMIT_MAX_WAIT),
        verify_read_data_subset=subset,
        token_source=secret_source(env, "GITHUB_TOKEN"),
        stall_seconds=parse_stall_seconds(env),
        lfs_monthly_bytes=parse_bytes(env, "BACKUP_LFS_MONTHLY_BYTES"),
        app=app,
        **ca_bundle_fields(env),
        shard=parse_shard(env.get("BACKUP_SHARD")),
        shard_window_hours=parse_hours(env, "BACKUP_SHARD_WINDOW", DEFAULT_WINDOW_HOURS),
    )

