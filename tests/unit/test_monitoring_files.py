"""deploy/prometheus/alerts.yaml and deploy/grafana/ledger-dashboard.json, read as their tools read them.

Every alert has what an operator acts on (a severity, a summary, a description, a runbook
line), every expression parses as PromQL, and every metric either file names is one the
ledger declares, under the name the text format gives it (``_total`` for a counter,
``_bucket``/``_count``/``_sum`` for a histogram). The dashboard is a current Grafana
dashboard on a Prometheus data source chosen by a variable. What a running server really
exposes is checked in tests/http/test_metrics_exposed.py and tests/integration/test_serve_roles.py;
Prometheus's own checks of the rules in tests/integration/test_alert_rules_promtool.py.
"""

from __future__ import annotations

import functools
import re

import pytest
from prometheus_client import generate_latest

from ledger.metrics import Metrics, SupervisorMetrics
from tests.support import monitoring

SEVERITIES = {"warning", "critical"}
DURATION = re.compile(r"(\d+[smhd])+")


@functools.cache
def declared_names() -> set[str]:
    return monitoring.series_names(generate_latest(Metrics().registry).decode()) | monitoring.series_names(
        generate_latest(SupervisorMetrics().registry).decode()
    )


def test_every_alert_has_a_severity_a_summary_a_description_and_a_runbook() -> None:
    rules = monitoring.alert_rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names)), names
    for rule in rules:
        assert re.fullmatch(r"Ledger[A-Z][A-Za-z]+", rule["alert"]), rule
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
        assert rule["labels"]["severity"] in SEVERITIES, rule
        notes = rule["annotations"]
        assert set(notes) == {"summary", "description", "runbook"}, rule["alert"]
        assert all(isinstance(text, str) and len(text) > 20 for text in notes.values()), rule["alert"]
        if "for" in rule:
            assert DURATION.fullmatch(rule["for"]), rule


def test_the_alerts_cover_what_an_operator_must_hear_of() -> None:
    used = {name for rule in monitoring.alert_rules() for name in monitoring.metric_names(rule["expr"])}
    assert {
        "ledger_projector_lag_events",
        "ledger_projector_events_total",
        "ledger_projector_parked",
        "ledger_projector_restarts_total",
        "ledger_http_responses_total",
        "ledger_append_seconds_bucket",
        "ledger_writer_status",
        "ledger_writer_standbys_configured",
        "ledger_process_restarts_total",
        "ledger_command_intake_lag_records",
        "ledger_command_intake_restarts_total",
        "ledger_feed_tail_restarts_total",
    } <= used


QUERIES = monitoring.queries()


@pytest.mark.parametrize("where", sorted(QUERIES))
def test_every_query_parses_as_promql_and_names_only_metrics_the_ledger_declares(where: str) -> None:
    expr = QUERIES[where]
    names = monitoring.metric_names(expr)
    assert names, f"{where}: no metric in {expr}"
    assert names <= declared_names(), f"{where}: {sorted(names - declared_names())}"


def test_a_misspelt_metric_or_a_broken_query_is_caught() -> None:
    assert "ledger_commands" not in declared_names()  # a counter is scraped as ..._total
    assert "ledger_append_seconds" not in declared_names()
    with pytest.raises(ValueError, match=r".+"):
        monitoring.metric_names("sum(rate(ledger_commands_total[5m])")
    with pytest.raises(ValueError, match=r".+"):
        monitoring.metric_names(monitoring.grafana_expr("rate(ledger_commands_total[$__unknown])"))


def test_the_dashboard_is_a_current_grafana_dashboard_over_a_chosen_prometheus() -> None:
    board = monitoring.dashboard()
    assert board["schemaVersion"] >= 39  # Grafana 11 and later (42 is the classic model's last)
    assert board["uid"]
    assert board["title"]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    panels = monitoring.panels()
    assert len(panels) >= 8
    for panel in panels:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], panel["title"]
        assert panel["description"], panel["title"]
        assert set(panel["gridPos"]) == {"h", "w", "x", "y"}, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]


def test_the_dashboard_shows_what_the_issue_asks_for() -> None:
    shown = {
        name
        for panel in monitoring.panels()
        for t in panel["targets"]
        for name in monitoring.metric_names(monitoring.grafana_expr(t["expr"]))
    }
    assert {
        "ledger_commands_total",  # commands by outcome
        "ledger_append_seconds_bucket",  # append latency
        "ledger_projector_lag_events",
        "ledger_projector_events_total",  # events per second per projection
        "ledger_projector_parked",
        "ledger_http_responses_total",  # status rates
        "ledger_process_restarts_total",
        "ledger_feed_followers",
        "ledger_command_intake_lag_records",
        "ledger_command_records_total",  # command intake
    } <= shown
