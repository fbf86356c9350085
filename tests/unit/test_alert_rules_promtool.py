"""Prometheus's own checks of deploy/prometheus/alerts.yaml, by promtool.

``promtool check rules`` (with every lint fatal) loads the file as Prometheus would: the
format, each expression, each template. ``promtool test rules`` runs
deploy/prometheus/alerts.test.yaml: alerts evaluated over series made up for them, as several
processes report them (a projection stalled beside one that applies, a standby that died,
a first restart whose series did not exist before, one 500 among 503s). promtool is built once
from the Go module proxy by deploy/prometheus/promtool (deploy/test.sh does it first).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support import monitoring
from tests.support.unavailable import unavailable

PROMTOOL = monitoring.ROOT / "deploy" / "prometheus" / "promtool"
_NO_GO = 127


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["bash", str(PROMTOOL), *map(str, args)], capture_output=True, text=True, timeout=1800, check=False
    )
    if done.returncode == _NO_GO:
        unavailable("promtool", RuntimeError(f"it could not be built: {done.stderr.strip()}"))
    return done


def test_prometheus_loads_the_rules_with_every_lint_fatal() -> None:
    done = promtool("check", "rules", "--lint=all", "--lint-fatal", monitoring.ALERTS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(monitoring.alert_rules())} rules found" in done.stdout


def test_the_alerts_fire_on_the_series_of_their_unit_tests_and_only_then() -> None:
    done = promtool("test", "rules", monitoring.ALERTS.with_name("alerts.test.yaml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_a_rule_prometheus_would_refuse_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "groups:\n  - name: g\n    rules:\n      - alert: A\n"
        "        expr: sum(rate(ledger_commands_total[5m])\n        labels: {severity: warning}\n"
    )
    done = promtool("check", "rules", broken)
    assert done.returncode != 0
    assert "unclosed left parenthesis" in done.stdout + done.stderr
