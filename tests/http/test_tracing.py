"""Tracing a command from its request through the writer and the log to a projector.

The one-process app on both logs, and an API process with a writer process, each traced into
the SDK's in-memory exporter (``tests.support.tracing``). One command yields its request's
server span; on two processes the forward's client span and the writer's server span, its
context carried in the internal request's headers; a group commit span linked to the
command's span, with the append (a Kafka transaction, or the PostgreSQL log's insert) inside
it; events whose ``traceparent`` names the command's span; and a projector batch linked to
it. The log stays as verifiable as ever, an export carries ``traceparent`` and comes back
byte for byte through an import. With tracing off, no event carries one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import structlog
from opentelemetry.trace import SpanKind, format_trace_id

from ledger.app import LOG, RUNTIME, create_app
from ledger.audit.checks import verify_file, verify_log
from ledger.audit.exchange import export, manifest_path
from ledger.audit.importing import import_
from ledger.audit.manifest import Manifest
from ledger.envelope import Envelope
from ledger.http import context as request_context
from ledger.http.role import create_api_app
from ledger.log import Position
from ledger.log.postgres import PostgresLog
from ledger.log.topology import Topology
from ledger.logging import add_trace_ids
from ledger.progress import NoMeter
from ledger.writer.role import run_writer
from tests.support.tracing import Traces, context, traced, traceparent_of

from .conftest import ADMIN_TOKEN, Api, serve, settings_for
from .logs import events_after
from .test_api_role import Roles, registered, role_settings

COMMAND = "/v1/commands/{name}"


def location(location_id: str) -> dict[str, str]:
    return {"location_id": location_id, "name": location_id, "kind": "warehouse"}


@pytest.fixture
def traces() -> Iterator[Traces]:
    with traced("serve") as entered:
        yield entered


@pytest.fixture
async def traced_api(
    traces: Traces, backend: str, request: pytest.FixtureRequest, prefix: str
) -> AsyncIterator[Api]:
    client = await serve(create_app(settings_for(backend, request, prefix), traces.tracing))
    yield Api(client, ADMIN_TOKEN)
    await client.close()


async def test_one_command_is_traced_from_its_request_through_the_log_to_a_projector(
    traced_api: Api, traces: Traces, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = traced_api
    with structlog.testing.capture_logs(processors=[add_trace_ids]) as logs, monkeypatch.context() as patch:
        patch.setattr(request_context, "log", structlog.get_logger(request_context.__name__))
        status, body = await api.command("register-location", location("WH-T"))
    assert status == 201, body

    [server] = traces.named(f"POST {COMMAND}", SpanKind.SERVER)
    command = context(server)
    assert (server.attributes or {}).get("http.route") == COMMAND
    [line] = [e for e in logs if e["event"] == "request"]
    assert line["trace_id"] == format_trace_id(command.trace_id)

    [event] = [e for e in await events_after(api) if e.stream == "location:WH-T"]
    assert event.traceparent == traceparent_of(command)  # the command's trace, and its span

    [commit] = traces.linked_to("writer group commit", command)
    assert commit.parent is None  # a batch serves many requests: linked to each, child of none
    append = "kafka transaction" if backend == "kafka" else "postgresql append"
    [appended] = [s for s in traces.children(commit) if s.name == append]
    if backend == "postgres":  # the append's statements, traced by the asyncpg instrumentation
        assert any(s.kind is SpanKind.CLIENT for s in traces.children(appended))

    assert await api.client.app[RUNTIME].wait_for("audit", Position.from_token(body["position"]), 10)
    assert traces.linked_to("projector batch audit", command)


async def test_a_traced_log_verifies_and_its_export_carries_traceparent_through_an_import(
    traced_api: Api, traces: Traces, pg_dsn: str, prefix: str, tmp_path: Path
) -> None:
    api = traced_api
    for n in range(3):
        assert (await api.command("register-location", location(f"WH-{n}")))[0] == 201
    log = api.client.app[LOG]
    assert (await verify_log(log, NoMeter())).clean

    out = tmp_path / "traced.jsonl"
    await export(log, out)
    assert b'"traceparent":"00-' in out.read_bytes()
    assert verify_file(out, NoMeter(), Manifest.load(manifest_path(out))).clean

    copy = PostgresLog(pg_dsn, Topology(f"{prefix}c", 2), timeout=5)
    await copy.start()
    try:
        await import_(copy, out)
        again = tmp_path / "again.jsonl"
        await export(copy, again)
        assert again.read_bytes() == out.read_bytes()
        assert (await verify_log(copy, NoMeter())).clean
    finally:
        await copy.close()


async def test_untraced_no_event_carries_a_traceparent(api: Api) -> None:
    status, _ = await api.command("register-location", location("WH-U"))
    assert status == 201
    events: list[Envelope] = await events_after(api)
    assert events
    assert all(e.traceparent is None for e in events)


@pytest.fixture
async def traced_roles(
    traces: Traces, request: pytest.FixtureRequest, prefix: str, tmp_path: Path, pg_dsn: str
) -> AsyncIterator[Roles]:
    settings = role_settings(request, prefix, tmp_path)
    stop = asyncio.Event()
    writer = asyncio.create_task(run_writer(settings, stop.wait(), traces.tracing))
    await registered(pg_dsn, prefix)
    client = await serve(create_api_app(settings, traces.tracing))
    yield Roles(Api(client, ADMIN_TOKEN), settings, pg_dsn)
    await client.close()
    stop.set()
    assert await writer == 0


async def test_a_forwarded_command_carries_its_trace_to_the_writer_process(
    traced_roles: Roles, traces: Traces
) -> None:
    status, body = await traced_roles.api.command("register-location", location("WH-F"))
    assert status == 201, body

    servers = traces.named(f"POST {COMMAND}", SpanKind.SERVER)
    [api] = [s for s in servers if s.parent is None]
    [forward] = [s for s in traces.children(api) if (s.kind, s.name) == (SpanKind.CLIENT, "POST")]
    [writer] = [s for s in traces.children(forward) if s.kind is SpanKind.SERVER]
    assert context(writer).trace_id == context(api).trace_id

    [commit] = traces.linked_to("writer group commit", context(writer))
    assert [s.name for s in traces.children(commit) if s.name.endswith("append")] == ["postgresql append"]
    [event] = [e for e in await traced_roles.events() if e.stream == "location:WH-F"]
    assert event.traceparent == traceparent_of(context(writer))
