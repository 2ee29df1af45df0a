"""Prometheus metrics of a run (prometheus_client), per organization (label `org`).

Two ways out, with the same values: a node_exporter textfile (BACKUP_METRICS_FILE,
written atomically) and a Pushgateway (BACKUP_PUSHGATEWAY_URL, job `orgbackup`,
one group per organization).

A run only states what it knows. A failed backup says nothing new about the last
success, so `orgbackup_last_success_timestamp_seconds` keeps the previous run's
value instead of dropping to 0 (which would read as "never"):
- the textfile is merged: the previous file is read back and every series this run
  does not set (the last success of a failed organization, a verify's series in a
  backup run, an organization this run did not touch) is written again as it was;
- the Pushgateway gets a POST (prometheus_client's pushadd), which replaces only the
  metrics named in the push and keeps the group's others.
The file and the gateway themselves are the memory; the cache holds nothing for this,
so a new cache (or a run from another machine) does not lose the history.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from prometheus_client import CollectorRegistry, pushadd_to_gateway, write_to_textfile
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import basic_auth_handler, default_handler
from prometheus_client.parser import text_string_to_metric_families

from orgbackup.results import COMPLETE, FAILED, INCOMPLETE, OrgResult, RunResult

log = logging.getLogger(__name__)

JOB = "orgbackup"
PREFIX = "orgbackup_"
PUSH_TIMEOUT_SECONDS = 10
STATUS_OF_STATE = {COMPLETE: 0, INCOMPLETE: 3}  # anything else is a failure (1)

# Each command's series; backup's are the names, the others carry the command in theirs
# so that a verify run never overwrites the backup's status.
HELP = {
    "last_run_timestamp_seconds": "When the last {command} run of the organization ended (Unix time)",
    "last_success_timestamp_seconds": "When the last complete {command} run of the organization ended (Unix time)",
    "run_status": "The exit status of the last {command} run for the organization: 0 complete, "
                  "3 incomplete, 1 failed, 2 configuration error, 130 interrupted",
    "duration_seconds": "How long the last {command} run took (the whole run, every organization)",
    "problems": "Problems the last {command} run reported for the organization",
    "repositories": "Repositories the last backup run of the organization covered",
    "bytes_added": "Bytes the last backup run added to the restic repository for the organization",
    "api_requests": "GitHub API requests the wrapper itself made in the last backup run (the whole run)",
    "lfs_month_bytes": "Git LFS bytes the backup downloaded from the organization this calendar month (UTC)",
    "lfs_budget_bytes": "The monthly Git LFS bandwidth budget (BACKUP_LFS_MONTHLY_BYTES); absent without one",
    "lfs_deferred_bytes": "Git LFS bytes the budget deferred to a later night in the last backup run",
    "copy_status": "The second copy of the organization's snapshot in the last backup run: 0 copied and "
                   "checked, 1 failed; absent without RESTIC_COPY_REPOSITORY",
    "copy_last_success_timestamp_seconds": "When the last backup run whose second copy succeeded ended "
                                           "(Unix time)",
}
BACKUP_ONLY = ("repositories", "bytes_added", "api_requests", "lfs_month_bytes", "lfs_budget_bytes",
               "lfs_deferred_bytes", "copy_status", "copy_last_success_timestamp_seconds")
COMMANDS = ("backup", "restore", "verify")


def metric_name(command: str, name: str) -> str:
    return PREFIX + name if command == "backup" else f"{PREFIX}{command}_{name}"


def help_text(command: str, name: str) -> str:
    return HELP[name].format(command=command)


def org_status(result: RunResult, state: str) -> int:
    """The organization's own status; when none of them explains a failed run (verify after
    backup failed, or the run ended before any organization), the run's."""
    if result.status and all(o.state == COMPLETE for o in result.orgs):
        return result.status
    return STATUS_OF_STATE.get(state, 1)


def run_samples(result: RunResult, now: float, fallback_orgs: tuple[str, ...] = ()) -> dict[str, dict[str, float]]:
    """metric name -> org -> value: what this run knows. A run that ended before any
    organization (bad token, configuration error) is reported for every organization of
    GITHUB_ORGS (or org="" when there is none)."""
    command = result.command
    samples: dict[str, dict[str, float]] = {}

    def put(name: str, org: str, value: float) -> None:
        # Lower case: GitHub's names ignore case, and a run that fails before asking GitHub
        # knows an organization only as GITHUB_ORGS spells it.
        samples.setdefault(metric_name(command, name), {})[org.lower()] = float(value)

    orgs, known = result.orgs, True
    if not orgs and result.status:
        orgs = [OrgResult(org, FAILED, problems=[result.summary]) for org in (fallback_orgs or ("",))]
        known = False
    for org in orgs:
        status = org_status(result, org.state)
        put("last_run_timestamp_seconds", org.org, now)
        if status == 0:
            put("last_success_timestamp_seconds", org.org, now)
        put("run_status", org.org, status)
        put("duration_seconds", org.org, round(result.seconds, 3))
        put("problems", org.org, len(org.problems))
        if command == "backup" and known:  # a run that never reached GitHub counted nothing
            put("repositories", org.org, org.repositories)
            put("bytes_added", org.org, org.bytes_added)
            put("api_requests", org.org, result.api_requests)
            if org.lfs:
                put("lfs_month_bytes", org.org, org.lfs["used"])
                put("lfs_deferred_bytes", org.org, org.lfs["deferred_bytes"])
                if org.lfs.get("limit") is not None:
                    put("lfs_budget_bytes", org.org, org.lfs["limit"])
            if org.copy:
                copied = org.copy.get("state") == "copied"
                put("copy_status", org.org, 0 if copied else 1)
                if copied:
                    put("copy_last_success_timestamp_seconds", org.org, now)
    return samples


def known_help() -> dict[str, str]:
    return {metric_name(c, n): help_text(c, n) for c in COMMANDS for n in HELP
            if c == "backup" or n not in BACKUP_ONLY}


def families(samples: dict[str, dict[str, float]]) -> list[GaugeMetricFamily]:
    helps = known_help()
    out = []
    for name in sorted(samples):
        family = GaugeMetricFamily(name, helps.get(name, name), labels=["org"])
        for org, value in sorted(samples[name].items()):
            family.add_metric([org], value)
        out.append(family)
    return out


class _Fixed:
    """A collector that yields the families it was given (prometheus_client collects collectors)."""

    def __init__(self, found: list[GaugeMetricFamily]):
        self.found = found

    def collect(self):
        return iter(self.found)


def registry_of(samples: dict[str, dict[str, float]]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(families(samples)))
    return registry


# The textfile


def read_textfile(path: Path) -> dict[str, dict[str, float]]:
    """The orgbackup_* series of the previous file (none if there is none or it cannot be read)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    found: dict[str, dict[str, float]] = {}
    for family in text_string_to_metric_families(text):
        if not family.name.startswith(PREFIX) or family.type != "gauge":
            continue
        for sample in family.samples:
            if set(sample.labels) == {"org"}:
                found.setdefault(sample.name, {})[sample.labels["org"]] = sample.value
    return found


def write_textfile(path: Path, samples: dict[str, dict[str, float]]) -> None:
    """The previous file's series with this run's on top, written to a temporary file
    and renamed over the old one (node_exporter never reads half a file)."""
    try:
        merged = read_textfile(path)
    except (OSError, ValueError) as exc:  # garbled: start again rather than fail the metrics for good
        log.warning("metrics file %s could not be read back (%s): written anew, earlier values lost", path, exc)
        merged = {}
    for name, by_org in samples.items():
        merged.setdefault(name, {}).update(by_org)
    write_to_textfile(str(path), registry_of(merged))


# The Pushgateway


def push(url: str, samples: dict[str, dict[str, float]]) -> None:
    """One POST per organization to /metrics/job/orgbackup/org/<org>; user:password in the URL
    becomes basic auth (the URL without them is what prometheus_client sees)."""
    gateway, handler = gateway_and_handler(url)
    for org in sorted({org for by_org in samples.values() for org in by_org}):
        mine = {name: {org: by_org[org]} for name, by_org in samples.items() if org in by_org}
        pushadd_to_gateway(gateway, job=JOB, registry=registry_of(mine), grouping_key={"org": org},
                           timeout=PUSH_TIMEOUT_SECONDS, handler=handler)


def gateway_and_handler(url: str):
    parts = urlsplit(url.strip())
    if parts.username is None:
        return url.strip().rstrip("/"), default_handler
    user, password = unquote(parts.username), unquote(parts.password or "")
    bare = urlunsplit(parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")))

    def handler(url, method, timeout, headers, data):
        return basic_auth_handler(url, method, timeout, headers, data, user, password)

    return bare.rstrip("/"), handler
