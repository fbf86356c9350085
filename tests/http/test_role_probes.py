"""The probe port of ``ledger writer`` and ``ledger project`` run on their own (``ledger.probes``).

A container orchestrator asks each process whether it lives and whether it is ready; the writer
(active or standing by) and a projector process serve no HTTP of their own, so
``LEDGER_PROBE_LISTEN`` gives them ``/healthz``, ``/readyz`` and ``/metrics``. Here the roles run
in this process on the PostgreSQL log, as tests/http/test_api_role.py runs them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ledger.projector.process import chosen, run_projectors
from ledger.supervisor import shared_environment
from ledger.writer.role import run_writer
from tests.support.processes import free_port, until

from .test_api_role import registered, role_settings

pytestmark = pytest.mark.postgres


async def probe(port: int, path: str) -> tuple[int, str, Any]:
    """``GET path`` on the probe port: status, content type and body (0 while nothing listens)."""
    try:
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}{path}") as r:
            text = await r.text()
            body = await r.json(content_type=None) if r.content_type.endswith("json") else text
            return r.status, r.content_type, body
    except aiohttp.ClientConnectionError:
        return 0, "", None


async def test_the_active_writer_and_its_standby_are_each_alive_and_ready_on_their_probe_port(
    request: pytest.FixtureRequest, prefix: str, tmp_path: Path, pg_dsn: str
) -> None:
    ports = [free_port(), free_port()]
    stops = [asyncio.Event(), asyncio.Event()]

    def start(index: int) -> asyncio.Task[int]:
        settings = role_settings(
            request, prefix, tmp_path / str(index), probe_listen=f"127.0.0.1:{ports[index]}"
        )
        return asyncio.create_task(run_writer(settings, stops[index].wait()))

    writers = [start(0)]
    try:
        await registered(pg_dsn, prefix)
        writers.append(start(1))

        async def standing_by() -> bool:
            return (await probe(ports[1], "/readyz"))[:2] == (200, "application/json")

        await until(standing_by, "the second writer answers that it is ready")
        assert (await probe(ports[1], "/readyz"))[2] == {
            "status": "ready",
            "writer": "standby",
            "writer_problem": "another process holds this log's writer lease",
        }
        assert await probe(ports[0], "/readyz") == (
            200,
            "application/json",
            {"status": "ready", "writer": "active"},
        )
        for port in ports:
            assert await probe(port, "/healthz") == (200, "application/json", {"status": "ok"})
            status, content_type, metrics = await probe(port, "/metrics")
            assert (status, content_type) == (200, "text/plain")
            assert "ledger_append_seconds_count" in metrics  # this process's own registry
        status, content_type, problem = await probe(ports[0], "/nowhere")
        assert (status, content_type, problem["status"]) == (404, "application/problem+json", 404)

        stops[0].set()
        assert await writers[0] == 0
        assert await probe(ports[0], "/healthz") == (0, "", None)  # gone with its process

        async def took_over() -> bool:
            return (await probe(ports[1], "/readyz"))[2].get("writer") == "active"

        await until(took_over, "the standby answers that it is active", timeout=30)
    finally:
        for stop in stops:
            stop.set()
        assert [await w for w in writers] == [0] * len(writers)


async def test_a_projector_process_is_ready_once_it_runs_and_names_what_it_owns(
    request: pytest.FixtureRequest, prefix: str, tmp_path: Path
) -> None:
    port = free_port()
    settings = role_settings(request, prefix, tmp_path, probe_listen=f"127.0.0.1:{port}")
    stop = asyncio.Event()
    running = asyncio.create_task(run_projectors(settings, chosen(["inventory"]), stop.wait()))
    try:

        async def ready() -> bool:
            return (await probe(port, "/readyz"))[0] == 200

        await until(ready, "the projector process is ready")
        status, _, body = await probe(port, "/readyz")
        assert body == {"status": "ready", "owns": ["inventory"], "stands_by": []}
        status, _, metrics = await probe(port, "/metrics")
        assert status == 200
        assert 'ledger_projector_lag_events{projection="inventory"}' in metrics
    finally:
        stop.set()
        await running
    assert await probe(port, "/healthz") == (0, "", None)


def test_serve_never_hands_the_probe_port_to_its_children(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, prefix: str, tmp_path: Path
) -> None:
    monkeypatch.setenv("LEDGER_PROBE_LISTEN", "0.0.0.0:9090")
    settings = role_settings(request, prefix, tmp_path)
    env = shared_environment(settings, "postgresql://nowhere/ledger", tmp_path / "metrics")
    assert "LEDGER_PROBE_LISTEN" not in env
    assert env["LEDGER_DATA_DIR"] == str(tmp_path.resolve())
