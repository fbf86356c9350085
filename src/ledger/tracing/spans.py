"""The engine's own spans: the writer's group commit and its append, a projector's batch.

A group commit decides and appends the commands of many requests at once, and a projector's
batch applies the events of many commands: so neither is a child of any one of them. Each is
a span of its own, *linked* to the spans it serves: a group commit to the span each of its
commands arrived in (its ``Caller``), a projector's batch to the ``traceparent`` each of its
events carries. The append (a Kafka transaction, or the PostgreSQL log's insert) is the group
commit's child.

``NO_SPANS`` is what the engine holds while tracing is off: it opens nothing, and no command
has a caller, so no event carries a ``traceparent``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Final

from opentelemetry import trace
from opentelemetry.trace import Link, SpanContext, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

MAX_LINKS: Final = 128
"""Links a span keeps at most (the SDK's default ``OTEL_SPAN_LINK_COUNT_LIMIT``): a batch of
thousands of events is not worth parsing thousands of trace contexts for."""

_W3C: Final = TraceContextTextMapPropagator()
_NOTHING: Final = contextlib.nullcontext()


@dataclass(frozen=True, slots=True)
class Caller:
    """The span a command arrived in, and its ``traceparent``, which the command's events carry."""

    context: SpanContext
    traceparent: str


def linked(traceparent: str) -> SpanContext | None:
    """The span a ``traceparent`` names, or None when it names none (it is not one)."""
    context = trace.get_current_span(_W3C.extract({"traceparent": traceparent})).get_span_context()
    return context if context.is_valid else None


class Spans:
    """The engine's spans, from ``tracer``; with none (``NO_SPANS``), none at all.

    ``log_system`` names the log the writer appends to (``kafka`` or ``postgresql``): the
    append is a Kafka transaction on the one, an insert in one database transaction on the
    other."""

    def __init__(self, tracer: Tracer | None, log_system: str = "") -> None:
        self._tracer = tracer
        self._log_system = log_system

    @property
    def on(self) -> bool:
        return self._tracer is not None

    def caller(self) -> Caller | None:
        """The span the current request is handled in (a command's), if it is one."""
        if self._tracer is None:
            return None
        context = trace.get_current_span().get_span_context()
        if not context.is_valid:
            return None
        carrier: dict[str, str] = {}
        _W3C.inject(carrier)
        return Caller(context, carrier["traceparent"])

    def group_commit(self, callers: Iterable[Caller | None], commands: int) -> AbstractContextManager[object]:
        """One group commit, linked to the span of each command's caller."""
        if self._tracer is None:
            return _NOTHING
        distinct = {c.traceparent: c.context for c in callers if c is not None}  # a context is unhashable
        return self._tracer.start_as_current_span(
            "writer group commit",
            kind=SpanKind.INTERNAL,
            links=[Link(context) for context in list(distinct.values())[:MAX_LINKS]],
            attributes={"ledger.commands": commands},
        )

    def append(self, events: int) -> AbstractContextManager[object]:
        """The group commit's append: one Kafka transaction, or one PostgreSQL transaction."""
        if self._tracer is None:
            return _NOTHING
        if self._log_system == "kafka":
            return self._tracer.start_as_current_span(
                "kafka transaction",
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.operation.type": "send",
                    "messaging.batch.message_count": events,
                },
            )
        return self._tracer.start_as_current_span(
            "postgresql append",
            kind=SpanKind.INTERNAL,
            attributes={"db.system.name": "postgresql", "ledger.events": events},
        )

    def projector_batch(
        self, projection: str, traceparents: Iterable[str | None], events: int
    ) -> AbstractContextManager[object]:
        """A projector's batch, linked to the span each of its events' command arrived in."""
        if self._tracer is None:
            return _NOTHING
        links: list[Link] = []
        for traceparent in dict.fromkeys(traceparents):
            if traceparent is not None and (context := linked(traceparent)) is not None:
                links.append(Link(context))
                if len(links) == MAX_LINKS:
                    break
        return self._tracer.start_as_current_span(
            f"projector batch {projection}",
            kind=SpanKind.CONSUMER,
            links=links,
            attributes={"ledger.projection": projection, "messaging.batch.message_count": events},
        )


NO_SPANS: Final = Spans(None)
