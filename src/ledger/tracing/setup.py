"""Turning tracing on for a process: OTLP export when an endpoint is set, nothing when none is.

The standard OpenTelemetry settings apply: ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) turns tracing on and says where spans go (OTLP over
HTTP/protobuf), ``OTEL_SERVICE_NAME`` names the process (default ``ledger-<role>``),
``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_TRACES_SAMPLER`` and the ``OTEL_BSP_*`` and
``OTEL_EXPORTER_OTLP_*`` settings are the SDK's own; ``OTEL_SDK_DISABLED=true`` keeps it off.

A ``Tracing`` is one tracer provider and the maintained instrumentations fed by it, entered
for as long as the process (or a test) runs: every aiohttp application built meanwhile gets
the server middleware outermost (a server span per request, its context taken from the
request's ``traceparent``), every asyncpg connection a span per statement. The aiohttp client
instrumentation is given to the one session that forwards commands to the writer
(``client_trace_configs``), which so sends the context on. The provider is handed to each of
them rather than installed globally, so that tests can give each app a provider of its own.

A statement alone, outside any traced work (a projector polling the log, a status row
written once a second), is not traced: it would be a trace of its own, many a second.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Final

import aiohttp
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.aiohttp_client import create_trace_config
from opentelemetry.instrumentation.aiohttp_server import AioHttpServerInstrumentor
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from ledger import __version__
from ledger.tracing.spans import Spans

ENDPOINTS: Final = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_DB_SYSTEM: Final = ("db.system", "db.system.name")  # as asyncpg's instrumentation names it, old and new


class Tracing:
    """A tracer provider and the instrumentations it feeds, while entered (see the module
    docstring). Leaving flushes the spans not exported yet and shuts the provider down."""

    def __init__(self, provider: TracerProvider) -> None:
        provider.sampler = _StatementsInContext(provider.sampler)  # before any tracer is made
        self.provider = provider
        self._tracer = provider.get_tracer("ledger", __version__)

    def __enter__(self) -> Tracing:
        with warnings.catch_warnings():
            # The instrumentation puts its middleware in every app through a subclass of
            # ``web.Application``, which aiohttp discourages (it warns, and works).
            warnings.filterwarnings("ignore", "Inheritance class _Instrumented", DeprecationWarning)
            AioHttpServerInstrumentor().instrument(tracer_provider=self.provider)
        _asyncpg().instrument(tracer_provider=self.provider)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        _asyncpg().uninstrument()
        AioHttpServerInstrumentor().uninstrument()
        self.provider.shutdown()

    def spans(self, log_system: str) -> Spans:
        """The engine's own spans (``ledger.tracing.spans``), for a writer on ``log_system``."""
        return Spans(self._tracer, log_system)

    def client_trace_configs(self) -> list[aiohttp.TraceConfig]:
        """For the session that forwards commands: a client span each, its context sent on."""
        return [create_trace_config(tracer_provider=self.provider)]


def _asyncpg() -> AsyncPGInstrumentor:
    """The asyncpg instrumentation (one per process: instrumentors are singletons)."""
    return AsyncPGInstrumentor()  # type: ignore[no-untyped-call]  # its __init__ is unannotated upstream


def resource(role: str) -> Resource:
    """The process as spans name it: ``OTEL_SERVICE_NAME`` (or ``service.name`` in
    ``OTEL_RESOURCE_ATTRIBUTES``) when set, else ``ledger-<role>``."""
    detected = Resource.create({SERVICE_VERSION: __version__})
    if str(detected.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        return detected.merge(Resource({SERVICE_NAME: f"ledger-{role}"}))
    return detected


def exported(role: str, environ: Mapping[str, str] = os.environ) -> Tracing | None:
    """Tracing exported over OTLP, when the settings ask for it (None when they do not)."""
    if not any(environ.get(name) for name in ENDPOINTS):
        return None
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    provider = TracerProvider(resource=resource(role))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return Tracing(provider)


@contextlib.contextmanager
def traced(role: str) -> Iterator[Tracing | None]:
    """Tracing for a process of ``role`` while the block runs, as the settings ask (or None)."""
    tracing = exported(role)
    if tracing is None:
        yield None
        return
    with tracing:
        yield tracing


class _StatementsInContext(Sampler):
    """The configured sampler, except that a database statement outside any traced work is
    dropped (see the module docstring)."""

    def __init__(self, inner: Sampler) -> None:
        self._inner = inner

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        parent = trace.get_current_span(parent_context).get_span_context()
        if not parent.is_valid and kind is SpanKind.CLIENT and attributes and _statement(attributes):
            return SamplingResult(Decision.DROP)
        return self._inner.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return f"StatementsInContext{{{self._inner.get_description()}}}"


def _statement(attributes: Mapping[str, Any]) -> bool:
    return any(attributes.get(key) == "postgresql" for key in _DB_SYSTEM)
