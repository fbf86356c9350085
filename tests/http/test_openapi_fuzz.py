"""Every route of /openapi.json walked with generated requests, valid and junk (every
parameter, header and body: wrong types, out-of-range values, missing and extra fields,
strings of anything), against the real app on the session's PostgreSQL: no answer is ever a
5xx, and every 4xx is problem+json. Once as a principal holding every scope, so requests
get past authentication to the code behind it, and once with no token or a junk one.

The app runs on a free loopback port from a thread with its own event loop: schemathesis
sends real HTTP with a blocking client. Hypothesis is derandomized and the examples per
operation are bounded, so a run is the same every time and takes about a minute.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings
from pydantic import SecretStr

from ledger.app import create_app
from ledger.config import Settings
from ledger.demo.runner import load_demo
from ledger.http.auth import SCOPES
from ledger.http.openapi import document

from .conftest import ADMIN_TOKEN

PROBLEM = "application/problem+json"
# LEDGER_FUZZ_EXAMPLES=500 hunts deeper by hand; CI keeps the default, about a minute.
EXAMPLES_PER_OPERATION = int(os.environ.get("LEDGER_FUZZ_EXAMPLES", "20"))

schema = schemathesis.openapi.from_dict(document())


class Served:
    """The app on 127.0.0.1 and a free port, served by an event loop in a thread of its own."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fuzzed-app", daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def __enter__(self) -> Served:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=120)
        return self

    async def _start(self) -> None:
        await load_demo(self._settings, days=7, seed=7, now=datetime(2026, 11, 30, 18, tzinfo=UTC))
        self._runner = web.AppRunner(create_app(self._settings))
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    def __exit__(self, *_: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


@pytest.fixture(scope="module")
def served(pg_dsn: str) -> Iterator[tuple[str, str]]:
    """The app's URL, and a token of a principal holding every scope (not ``admin`` itself, so
    a generated request that rotates or revokes ``admin`` cannot lock the run out)."""
    settings = Settings(
        database_url=SecretStr(pg_dsn),
        topic_prefix=f"t{uuid.uuid4().hex[:12]}",
        partitions=2,
        admin_token=SecretStr(ADMIN_TOKEN),
        log_timeout_s=5.0,
    )
    with Served(settings) as app:
        issued = requests.post(
            f"{app.url}/v1/admin/tokens",
            json={"principal": "fuzzer", "scopes": list(SCOPES)},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=30,
        )
        assert issued.status_code == 201, issued.text
        yield app.url, issued.json()["token"]


def assert_answer_is_not_a_failure(response: Any, case: Any) -> None:
    status = response.status_code
    where = f"{case.method} {case.formatted_path}"
    assert status < 500, f"{where}: {status} {response.content[:500]!r}"
    if status >= 400:
        content_type = response.headers.get("content-type", [""])[0]
        assert content_type.startswith(PROBLEM), (where, status, response.headers)
        body = json.loads(response.content)
        assert body["status"] == status, body
        assert isinstance(body["type"], str)
        assert isinstance(body["detail"], str)


def test_the_fuzzed_document_is_the_served_one(served: tuple[str, str]) -> None:
    url, _ = served
    assert requests.get(f"{url}/openapi.json", timeout=30).json() == document()


@pytest.mark.parametrize("who", ["every-scope", "anonymous"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_route_answers_5xx_to_anything(case: Any, served: tuple[str, str], who: str) -> None:
    url, token = served
    headers = {"Authorization": f"Bearer {token}"} if who == "every-scope" else {}
    response = case.call(base_url=url, headers=headers, timeout=60)
    assert_answer_is_not_a_failure(response, case)
