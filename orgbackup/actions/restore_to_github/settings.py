"""restore-to-github's own settings (beside the backup's Config, read from the same environment + dotenv).

RESTORE_GITHUB_HOST          where to write (default GITHUB_HOST)
RESTORE_GITHUB_TOKEN(_FILE)  a token that may create repositories in the target (default the backup's)
RESTORE_REQUESTS_PER_MINUTE  content-creating requests a minute (default 80, GitHub's secondary limit)
RESTORE_REQUESTS_PER_HOUR    ... an hour (default 500, GitHub's documented limit)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from orgbackup.config.settings import HOST, ORG_NAME, Config
from orgbackup.config.readers import Secret, parse_int, read_dotenv, read_secret
from orgbackup.errors import ConfigError
from orgbackup.cache.safe_names import is_repository_name



@dataclass(frozen=True)
class RestoreSettings:
    host: str
    token: Secret
    per_minute: int = 80
    per_hour: int = 500


def load_restore_settings(environ: Mapping[str, str], config: Config) -> RestoreSettings:
    env = read_dotenv(environ)
    host = (env.get("RESTORE_GITHUB_HOST") or config.github_host).strip().lower()
    host = host.removeprefix("https://").rstrip("/")
    if not HOST.match(host):
        raise ConfigError(f"RESTORE_GITHUB_HOST: {env.get('RESTORE_GITHUB_HOST')!r} is not a host[:port]")
    token = read_secret(env, "RESTORE_GITHUB_TOKEN", required=False) or config.token
    if not token.reveal():
        raise ConfigError("restore-to-github needs a token that may create repositories in the target: "
                          "RESTORE_GITHUB_TOKEN (or RESTORE_GITHUB_TOKEN_FILE, or the backup's GITHUB_TOKEN)")
    return RestoreSettings(
        host=host,
        token=token,
        per_minute=parse_int(env, "RESTORE_REQUESTS_PER_MINUTE", 80, minimum=1),
        per_hour=parse_int(env, "RESTORE_REQUESTS_PER_HOUR", 500, minimum=1),
    )


def check_names(source_org: str, target_org: str, repos: list[str], *, same_host: bool) -> None:
    for flag, org in (("--org", source_org), ("--to-org", target_org)):
        if not ORG_NAME.match(org or ""):
            raise ConfigError(f"restore-to-github {flag}: {org!r} is not an organization name")
    if same_host and source_org.lower() == target_org.lower():
        raise ConfigError("restore-to-github: --to-org must be another organization than --org on the same "
                          "host (a restore never writes into the organization it came from)")
    for repo in repos:
        if not is_repository_name(repo):
            raise ConfigError(f"restore-to-github --repo: {repo!r} is not a repository name")
