"""Traced apps for tests: a ``Tracing`` whose spans go to the SDK's own in-memory exporter.

The provider is the SDK's, handed to the instrumentations as ``ledger serve`` hands its own;
only the exporter differs (``InMemorySpanExporter``, the SDK's test exporter, with a simple
processor that exports each span as it ends). Nothing global is installed, so tests after
these run untraced.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, SpanKind, format_span_id, format_trace_id

from ledger.tracing.setup import Tracing, resource


@dataclass
class Traces:
    tracing: Tracing
    exporter: InMemorySpanExporter

    def spans(self) -> tuple[ReadableSpan, ...]:
        return self.exporter.get_finished_spans()

    def named(self, name: str, kind: SpanKind | None = None) -> list[ReadableSpan]:
        return [s for s in self.spans() if s.name == name and (kind is None or s.kind is kind)]

    def children(self, parent: ReadableSpan) -> list[ReadableSpan]:
        span_id = context(parent).span_id
        return [s for s in self.spans() if s.parent is not None and s.parent.span_id == span_id]

    def linked_to(self, name: str, target: SpanContext) -> list[ReadableSpan]:
        return [s for s in self.named(name) if links_to(s.links, target)]


def context(span: ReadableSpan) -> SpanContext:
    found = span.get_span_context()
    assert found is not None
    return found


def links_to(links: Sequence[Link], target: SpanContext) -> bool:
    return any((k.context.trace_id, k.context.span_id) == (target.trace_id, target.span_id) for k in links)


def traceparent_of(target: SpanContext) -> str:
    """The W3C ``traceparent`` of a span (what its command's events carry)."""
    return f"00-{format_trace_id(target.trace_id)}-{format_span_id(target.span_id)}-{target.trace_flags:02x}"


@contextlib.contextmanager
def traced(role: str) -> Iterator[Traces]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=resource(role), shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with Tracing(provider) as tracing:
        yield Traces(tracing, exporter)
