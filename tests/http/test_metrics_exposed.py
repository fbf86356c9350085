"""``/metrics`` of the one-process app, on both logs, as Prometheus scrapes it.

Every metric the alerts and the dashboard in deploy/ name is there, under the name they
use; every answer of the public API is counted by status code (probes aside), errors
included; and the writer says which status it is in, so that a sum over writers counts
the active one and the standbys.
"""

from __future__ import annotations

import uuid

from prometheus_client.parser import text_string_to_metric_families

from tests.support import monitoring

from .conftest import Api


async def scrape(api: Api) -> str:
    response = await api.client.get("/metrics")
    assert response.status == 200
    return await response.text()


def samples(text: str, name: str) -> dict[str, float]:
    """``name``'s samples by their one label's value."""
    return {
        next(iter(s.labels.values()), ""): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    }


async def test_every_metric_the_alerts_and_the_dashboard_use_is_exposed(api: Api) -> None:
    location = {"location_id": f"WH-{uuid.uuid4().hex[:8]}", "name": "A", "kind": "warehouse"}
    assert (await api.command("register-location", location))[0] == 201
    exposed = monitoring.series_names(await scrape(api))
    missing = monitoring.used_names() - exposed
    assert missing == monitoring.SUPERVISOR_ONLY, sorted(
        missing
    )  # those: tests/integration/test_serve_roles.py


async def test_answers_are_counted_by_status_with_errors_and_without_probes(api: Api) -> None:
    location = {"location_id": f"WH-{uuid.uuid4().hex[:8]}", "name": "A", "kind": "warehouse"}
    assert (await api.command("register-location", location))[0] == 201
    assert (await api.command("register-location", location))[0] == 409
    assert (await api.command("no-such-command", {}))[0] == 404
    assert (await api.client.get("/v1/no-such-route")).status == 404
    assert (await api.client.get("/v1/inventory")).status == 401
    for probe in ("/healthz", "/readyz", "/metrics"):
        assert (await api.client.get(probe)).status in (200, 503)
    counted = samples(await scrape(api), "ledger_http_responses_total")
    assert counted == {"201": 1.0, "409": 1.0, "404": 2.0, "401": 1.0}


async def test_the_writer_counts_itself_under_the_status_it_is_in(api: Api) -> None:
    text = await scrape(api)
    status = samples(text, "ledger_writer_status")
    assert status == {
        "starting": 0,
        "standby": 0,
        "active": 1,
        "unavailable": 0,
        "fenced": 0,
        "stopped": 0,
        "refused": 0,
    }
    assert samples(text, "ledger_writer_standbys_configured") == {"": 0.0}  # one process: no standby asked
