"""The monitoring settings, read apart from the backup's configuration.

They load before anything else so that a configuration error or a bad token is
reported like any failed run: `load_config` raising must not take the dead man's
switch, the metrics and the notifications down with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from orgbackup.tools import process
from orgbackup.config.readers import Secret, parse_list, parse_words, read_dotenv, read_secret
from orgbackup.errors import ConfigError

# When to notify: the words of BACKUP_NOTIFY_ON, and which exit statuses each covers.
SUCCESS, INCOMPLETE, FAILURE = "success", "incomplete", "failure"
NOTIFY_WORDS = (SUCCESS, INCOMPLETE, FAILURE)
DEFAULT_NOTIFY_ON = (FAILURE, INCOMPLETE)


@dataclass(frozen=True)
class MonitoringSettings:
    healthcheck_url: Secret | None = None  # a ping URL is a credential: whoever has it can ping
    metrics_file: Path | None = None
    pushgateway_url: Secret | None = None  # may carry user:password
    notify_urls: Secret | None = None  # Apprise URLs carry tokens and passwords
    notify_on: tuple[str, ...] = DEFAULT_NOTIFY_ON
    # GITHUB_ORGS then GITHUB_USERS as given, unchecked: the labels of a run that failed before any
    # account was looked at
    orgs: tuple[str, ...] = field(default_factory=tuple)

    @property
    def enabled(self) -> bool:
        return bool(self.healthcheck_url or self.metrics_file or self.pushgateway_url or self.notify_urls)


def load_monitoring(environ: Mapping[str, str]) -> MonitoringSettings:
    env = read_dotenv(environ)
    healthcheck = read_secret(env, "BACKUP_HEALTHCHECK_URL", required=False)
    pushgateway = read_secret(env, "BACKUP_PUSHGATEWAY_URL", required=False)
    notify_urls = read_secret(env, "BACKUP_NOTIFY_URLS", required=False)
    for name, secret in (("BACKUP_HEALTHCHECK_URL", healthcheck), ("BACKUP_PUSHGATEWAY_URL", pushgateway)):
        if secret:
            check_http_url(name, secret.reveal())
    if notify_urls:
        check_apprise_urls(notify_urls.reveal())
    for secret in (healthcheck, pushgateway, notify_urls):
        if secret:
            process.register_secret(secret.reveal())
    return MonitoringSettings(
        healthcheck_url=healthcheck,
        metrics_file=parse_metrics_file(env),
        pushgateway_url=pushgateway,
        notify_urls=notify_urls,
        notify_on=parse_notify_on(env),
        orgs=parse_list(env, "GITHUB_ORGS") + parse_list(env, "GITHUB_USERS"),
    )


def check_http_url(name: str, url: str) -> None:
    """http(s)://host[...]; the message never shows the URL (it may hold a key)."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        raise ConfigError(f"{name}: not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name}: expected an http:// or https:// URL")


def check_apprise_urls(urls: str) -> None:
    import apprise

    if not apprise.Apprise().add(urls):
        raise ConfigError("BACKUP_NOTIFY_URLS: an entry is not a URL Apprise knows "
                          "(see Apprise's list of services for the form of each)")


def parse_metrics_file(env: Mapping[str, str]) -> Path | None:
    raw = (env.get("BACKUP_METRICS_FILE") or "").strip()
    if not raw:
        return None
    path = Path(raw)
    if path.suffix != ".prom":
        raise ConfigError("BACKUP_METRICS_FILE: node_exporter's textfile collector reads only files "
                          f"named *.prom, got {raw!r}")
    if not path.parent.is_dir():
        raise ConfigError(f"BACKUP_METRICS_FILE: the folder {str(path.parent)!r} does not exist")
    return path


def parse_notify_on(env: Mapping[str, str]) -> tuple[str, ...]:
    return parse_words(env, "BACKUP_NOTIFY_ON", NOTIFY_WORDS, DEFAULT_NOTIFY_ON)
