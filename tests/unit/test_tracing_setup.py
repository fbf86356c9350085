"""Turning tracing on: only with an OTLP endpoint, named after the role, statements only in context.

No tracer provider, and so no span of any kind, unless an endpoint is set; the process is named
``ledger-<role>`` unless the standard settings name it; and a database statement outside any
traced work is dropped, while one inside is kept.
"""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from ledger.tracing.setup import Tracing, exported, resource
from ledger.tracing.spans import NO_SPANS


def test_without_an_otlp_endpoint_there_is_no_tracing_at_all() -> None:
    assert exported("api", environ={}) is None
    assert exported("api", environ={"OTEL_SERVICE_NAME": "x"}) is None
    endpoint = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"}
    assert exported("api", environ=endpoint) is None
    assert NO_SPANS.caller() is None
    assert not NO_SPANS.on


def test_a_process_is_named_after_its_role_unless_the_settings_name_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    assert resource("writer").attributes["service.name"] == "ledger-writer"
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=billing,deployment.environment=test")
    assert resource("writer").attributes["service.name"] == "billing"
    monkeypatch.setenv("OTEL_SERVICE_NAME", "ledger-eu-1")
    named = resource("api").attributes
    assert (named["service.name"], named["deployment.environment"]) == ("ledger-eu-1", "test")


def test_a_statement_is_traced_inside_traced_work_and_never_alone() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = Tracing(provider).provider.get_tracer("test")
    statement = {"db.system": "postgresql", "db.statement": "SELECT 1"}

    with tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT, attributes=statement):
        pass  # a poll of the log, say: alone
    with (
        tracer.start_as_current_span("projector batch"),
        tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT, attributes=statement),
    ):
        pass
    with tracer.start_as_current_span("POST", kind=SpanKind.CLIENT):
        pass  # not a statement: sampled as configured

    assert sorted(s.name for s in exporter.get_finished_spans()) == ["POST", "SELECT", "projector batch"]
    [kept] = [s for s in exporter.get_finished_spans() if s.name == "SELECT"]
    assert kept.parent is not None
