"""The alert rules (config/prometheus/alerts.yml) pass promtool's checks and its unit tests
(tests/support/prometheus/alerts_test.yml)."""

from __future__ import annotations

import subprocess

from tests.support.paths import ROOT


ALERTS = ROOT / "config" / "prometheus" / "alerts.yml"
ALERTS_TEST = ROOT / "tests" / "support" / "prometheus" / "alerts_test.yml"


def test_alert_rules_pass_promtool():
    check = subprocess.run(["promtool", "check", "rules", str(ALERTS)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS: 6 rules found" in check.stdout
    unit = subprocess.run(["promtool", "test", "rules", str(ALERTS_TEST)], capture_output=True, text=True)
    assert unit.returncode == 0, unit.stdout + unit.stderr
