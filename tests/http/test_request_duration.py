"""``http.server.request.duration`` on ``/metrics``: every answer timed by method, route and status.

Tracing is off here: the histogram does not depend on it. The route is the matched route's
template, never the path, and a method aiohttp does not know is ``_OTHER``, so no caller can
grow the label sets.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from ledger.app import create_app

from .conftest import ADMIN_TOKEN, Api, serve, settings_for

pytestmark = [pytest.mark.postgres]


@pytest.fixture
async def api(request: pytest.FixtureRequest, prefix: str) -> AsyncIterator[Api]:
    client = await serve(create_app(settings_for("postgres", request, prefix)))
    yield Api(client, ADMIN_TOKEN)
    await client.close()


def _count(text: str, method: str, route: str, status: int) -> float:
    labels = f'http_request_method="{method}",http_response_status_code="{status}",http_route="{route}"'
    line = rf"^http_server_request_duration_seconds_count\{{{re.escape(labels)}\}} (\S+)$"
    found = re.search(line, text, re.MULTILINE)
    return float(found[1]) if found else 0.0


async def test_each_answer_is_timed_by_method_route_template_and_status(api: Api) -> None:
    body = {"location_id": "WH-D", "name": "D", "kind": "warehouse"}
    assert (await api.command("register-location", body))[0] == 201
    assert (await api.command("register-location", body))[0] == 409
    assert (await api.command("no-such-command", {}))[0] == 404
    async with api.client.get("/v1/sku-that-is-no-route") as response:
        assert response.status == 404
    async with api.client.request("PROPFIND", "/healthz") as response:  # WebDAV: parsed, not ours
        assert response.status == 405

    async with api.client.get("/metrics") as response:
        text = await response.text()
    assert "# TYPE http_server_request_duration_seconds histogram" in text
    assert _count(text, "POST", "/v1/commands/{name}", 201) == 1
    assert _count(text, "POST", "/v1/commands/{name}", 409) == 1
    assert _count(text, "POST", "/v1/commands/{name}", 404) == 1
    assert _count(text, "GET", "", 404) == 1
    assert _count(text, "_OTHER", "", 405) == 1  # no route answers that method: none matched
    assert "register-location" not in text.split("http_server_request_duration")[1].split("\n# ")[0]
    le = re.search(r'http_server_request_duration_seconds_bucket\{[^}]*le="([^"]+)"', text)
    assert le is not None
    assert le[1] == "0.001"  # seconds, finest bucket first
