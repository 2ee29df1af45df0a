"""Monitoring of backup, restore and verify runs: the dead man's switch, Prometheus
metrics and notifications.

`Monitor.start(command)` before the run, `Monitor.finish(result)` after it. Whatever
fails in here is a logged warning: monitoring never changes a run's outcome or exit status.
"""

from __future__ import annotations

import logging
import time

from orgbackup.tools import process
from orgbackup.results import RunResult
from orgbackup.monitoring import healthcheck, metrics, notify
from orgbackup.monitoring.settings import MonitoringSettings, load_monitoring

__all__ = ["Monitor", "MonitoringSettings", "load_monitoring"]

log = logging.getLogger(__name__)

MONITORED_COMMANDS = ("backup", "restore", "verify")  # snapshots and status only read


class Monitor:
    def __init__(self, settings: MonitoringSettings):
        self.settings = settings

    def start(self, command: str) -> None:
        if command not in MONITORED_COMMANDS or not self.settings.healthcheck_url:
            return
        self._guarded("healthcheck start ping", healthcheck.ping,
                      self.settings.healthcheck_url.reveal(), "start")

    def finish(self, result: RunResult) -> None:
        if result.command not in MONITORED_COMMANDS:
            return
        settings = self.settings
        if settings.healthcheck_url:
            self._guarded("healthcheck ping", healthcheck.ping, settings.healthcheck_url.reveal(),
                          "" if result.status == 0 else "fail", result.summary)
        if settings.metrics_file or settings.pushgateway_url:
            samples = metrics.run_samples(result, time.time(), settings.orgs)
            if settings.metrics_file:
                self._guarded(f"metrics file {settings.metrics_file}", metrics.write_textfile,
                              settings.metrics_file, samples)
            if settings.pushgateway_url:
                self._guarded("Pushgateway push", metrics.push, settings.pushgateway_url.reveal(), samples)
        if settings.notify_urls and notify.outcome_word(result.status) in settings.notify_on:
            self._guarded("notification", notify.notify, settings.notify_urls.reveal(), result)

    @staticmethod
    def _guarded(what: str, action, *args) -> bool:
        try:
            action(*args)
            return True
        except Exception as exc:  # monitoring is never the reason a run fails
            log.warning("%s failed, the run's outcome is unchanged: %s", what,
                        process.mask(f"{type(exc).__name__}: {exc}"))
            return False
