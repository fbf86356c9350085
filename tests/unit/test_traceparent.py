"""``traceparent``: the CloudEvents Distributed Tracing extension, outside the hash.

An event carries it in both modes and reads the same with it or without it; verify checks
only its syntax; headers that a tracing library puts on a record itself are never read, so
such a record verifies and exports as if they were not there.
"""

from __future__ import annotations

from dataclasses import replace

import orjson

from ledger import cloudevents
from ledger.audit.exchange import encode_line, parse_line
from ledger.audit.verify import Verification
from ledger.log import Record
from ledger.log.topology import Topology
from tests.support.events import StreamFactory

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
NOT_ONE = "traceparent is not a W3C trace context (00-<32 hex>-<16 hex>-<2 hex>)"
TOPOLOGY = Topology("t", 2)
COUNTED = {  # a StockAdjusted v1 the schema takes, so verify finds nothing but what a test makes
    "adjustment_id": "A-1",
    "sku": "SKU-1",
    "location_id": "WH-A",
    "counted_qty": "4",
    "delta": "4",
    "reason": "count",
}


def _record(headers: list[tuple[str, bytes]], value: bytes, stream: str) -> Record:
    topic, partition = TOPOLOGY.place(stream)
    return Record(topic, partition, 0, stream.encode(), tuple(headers), value)


def test_traceparent_is_outside_the_hash_and_travels_in_both_modes() -> None:
    plain = StreamFactory().next("stock:SKU-1@WH-A")
    traced = replace(plain, traceparent=TRACEPARENT)
    assert traced.canonical_bytes() == plain.canonical_bytes()
    assert traced.compute_hash() == traced.hash == plain.hash
    assert b"traceparent" not in traced.canonical_bytes()

    message = cloudevents.to_binary(traced)
    assert message.headers[-1] == ("ce_traceparent", TRACEPARENT.encode())  # last: ce_type keeps its place
    assert message.headers[:-1] == cloudevents.to_binary(plain).headers
    assert cloudevents.from_binary(message.headers, message.value) == traced
    assert cloudevents.from_binary(cloudevents.to_binary(plain).headers, message.value).traceparent is None

    line = encode_line(traced)
    assert orjson.loads(line)["traceparent"] == TRACEPARENT
    assert parse_line(line) == traced
    assert "traceparent" not in orjson.loads(encode_line(plain))
    assert parse_line(encode_line(plain)) == plain


def test_verify_checks_the_syntax_of_traceparent_alone() -> None:
    factory = StreamFactory()
    events = [factory.next("stock:SKU-1@WH-A", COUNTED) for _ in range(4)]
    said = [TRACEPARENT, "00-not-a-trace-context", f"00-{'0' * 32}-00f067aa0ba902b7-01", None]
    traced = [replace(e, traceparent=t) for e, t in zip(events, said, strict=True)]
    verification = Verification().check_all(traced)
    assert [(f.version, f.problem) for f in verification.findings] == [(2, NOT_ONE), (3, NOT_ONE)]


def test_headers_a_tracing_library_puts_on_a_record_are_never_read() -> None:
    event = StreamFactory().next("stock:SKU-1@WH-A", COUNTED)
    message = cloudevents.to_binary(event)
    injected = [
        *message.headers,
        ("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        ("tracestate", b"congo=t61rcWkgMzE"),
        ("baggage", b"\xff\xfe not even UTF-8"),
    ]
    record = _record(injected, message.value, event.stream)
    assert record.envelope() == event
    assert record.envelope().traceparent is None
    assert encode_line(record.envelope()) == encode_line(event)

    verification = Verification()
    verification.check_record(record, TOPOLOGY)
    assert verification.clean
    assert verification.events == 1


def test_a_traceparent_header_of_any_bytes_never_makes_an_event_unreadable() -> None:
    event = StreamFactory().next("stock:SKU-1@WH-A", COUNTED)
    message = cloudevents.to_binary(event)
    record = _record([*message.headers, ("ce_traceparent", b"\xff\xfe")], message.value, event.stream)
    read = record.envelope()
    assert read.hash == event.hash
    verification = Verification()
    verification.check_record(record, TOPOLOGY)
    assert [f.problem for f in verification.findings] == [NOT_ONE]
