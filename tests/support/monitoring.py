"""What the operator's files in deploy/ ask of ``/metrics``: the alert rules and the dashboard.

``queries`` lists every PromQL expression of both, named by where it stands; ``metric_names``
reads the metric names out of one with a real PromQL parser (Grafana's variables replaced
by values first); ``series_names`` lists the names a ``/metrics`` text can show, so a test can
hold the two against each other.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final

import promql_parser
import yaml
from prometheus_client.parser import text_string_to_metric_families

ROOT: Final = Path(__file__).resolve().parents[2]
ALERTS: Final = ROOT / "deploy" / "prometheus" / "alerts.yaml"
DASHBOARD: Final = ROOT / "deploy" / "grafana" / "ledger-dashboard.json"

# What Grafana puts in for its variables before a query reaches Prometheus.
GRAFANA_VARIABLES: Final = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h", "$job": ".*"}
# What only ``ledger serve``'s supervisor counts: absent from a one-process server's ``/metrics``.
SUPERVISOR_ONLY: Final = frozenset({"ledger_process_restarts_total"})
# The names each metric type shows in the text format, after the family's name.
_SUFFIXES: Final = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def panels() -> list[dict[str, Any]]:
    """Every panel that queries (rows aside), nested rows' panels included."""
    found: list[dict[str, Any]] = []
    for panel in dashboard()["panels"]:
        if panel["type"] == "row":
            found += panel.get("panels", [])
        else:
            found.append(panel)
    return found


def grafana_expr(expr: str) -> str:
    """A panel's query as Prometheus receives it; a variable left unknown stays, and fails to parse."""
    return re.sub(r"\$\w+", lambda m: GRAFANA_VARIABLES.get(m.group(0), m.group(0)), expr)


def queries() -> dict[str, str]:
    """Every PromQL expression of the alerts and the dashboard, by where it stands."""
    found = {f"alert {rule['alert']}": str(rule["expr"]) for rule in alert_rules()}
    for panel in panels():
        for target in panel["targets"]:
            found[f"panel {panel['title']!r} {target['refId']}"] = grafana_expr(target["expr"])
    return found


def metric_names(expr: str) -> set[str]:
    """The metric names ``expr`` selects (raises ``ValueError`` when it does not parse)."""
    names: set[str] = set()

    def visit(node: promql_parser.Expr) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            assert node.name, f"a selector without a metric name in {expr}"
            names.add(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def used_names() -> set[str]:
    return {name for expr in queries().values() for name in metric_names(expr)}


def series_names(exposition: str, *, declared: bool = True) -> set[str]:
    """The series names a ``/metrics`` text shows: those with samples, and with ``declared``
    also those its ``# TYPE`` lines announce (a labelled metric shows no sample before its
    first labels, but is there to be scraped as soon as it has one)."""
    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        names |= {sample.name for sample in family.samples}
        if declared:
            names |= {family.name + suffix for suffix in _SUFFIXES.get(family.type, ())}
    return names
