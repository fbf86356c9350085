"""OTLP export: with ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, spans reach a collector over HTTP.

The collector is a tiny aiohttp server on the loopback that takes ``POST /v1/traces`` as an
OpenTelemetry Collector does (protobuf ``ExportTraceServiceRequest``); the exporter is the
ledger's own, as a role builds it from the standard settings.
"""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from ledger.tracing.setup import exported


async def test_spans_reach_an_otlp_collector_under_the_roles_name(monkeypatch: pytest.MonkeyPatch) -> None:
    received: list[ExportTraceServiceRequest] = []

    async def traces(request: web.Request) -> web.Response:
        received.append(ExportTraceServiceRequest.FromString(await request.read()))
        answer = ExportTraceServiceResponse().SerializeToString()
        return web.Response(body=answer, content_type="application/x-protobuf")

    collector = web.Application()
    collector.router.add_post("/v1/traces", traces)
    runner = web.AppRunner(collector)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port}")
        monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
        monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
        tracing = exported("writer")
        assert tracing is not None
        spans = tracing.spans("kafka")
        with spans.group_commit([], 0), spans.append(3):
            pass
        # Shutting down flushes: the exporter posts from its own thread while this loop answers.
        await asyncio.to_thread(tracing.provider.shutdown)
    finally:
        await runner.cleanup()

    exported_spans = [
        (resource.resource, span)
        for request in received
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    assert sorted(span.name for _, span in exported_spans) == ["kafka transaction", "writer group commit"]
    names = {a.value.string_value for r, _ in exported_spans for a in r.attributes if a.key == "service.name"}
    assert names == {"ledger-writer"}
