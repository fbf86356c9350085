"""The CloudEvents 1.0 mapping of the envelope.

Binary mode on Kafka: ``ce_*`` headers carry the attributes, the value is the event's JSON
data and the key is the stream. Structured mode for export lines: one JSON object with the
attributes and ``data``. Extension names are lower-case alphanumerics, as the spec demands.

``dataschema`` names where the JSON Schema of the event's data is served: a path on the
ledger's own HTTP API (``/v1/schemas/{type}/{schema_version}``), resolved against whatever
address the ledger is reached at, so the log, the export and the feed carry the same bytes on
every deployment. It is derived from the type and schema version, so it is outside the hash:
events recorded before it existed carry none, and readers neither need it nor check it
(``ledger verify`` does).

``traceparent`` is the CloudEvents Distributed Tracing extension: the W3C trace context of
the command that caused the event (``ce_traceparent`` in binary mode), written only while
tracing is on (``ledger.tracing``). It too is outside the hash, and it is read as it is, never
refused: it is the last header of a record and the only envelope header whose bytes may be
anything (``ledger verify`` names one that is not a trace context). Headers that are not the
envelope's (a ``traceparent`` that a tracing library put on a record itself, say) are never
read at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import orjson

from ledger.envelope import Envelope, format_time, parse_time

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
SOURCE = "urn:ledger"
DATASCHEMA_ROUTE = "/v1/schemas/{type}/{schema_version}"
"""The HTTP route that serves an event's JSON Schema, and so the form of ``dataschema``."""


class MalformedMessage(ValueError):
    """A message that does not carry a complete envelope."""


@dataclass(slots=True)
class BinaryMessage:
    """A Kafka record's parts in binary content mode (one per event appended: not frozen,
    which costs more to build)."""

    key: bytes
    headers: list[tuple[str, bytes]]  # a list: aiokafka's record builder takes nothing else
    value: bytes


_SPEC_VERSION = SPEC_VERSION.encode()
_SOURCE = SOURCE.encode()
_CONTENT_TYPE = CONTENT_TYPE.encode()


@lru_cache(maxsize=1024)  # spelled for every event exported or fed
def dataschema(type_: str, schema_version: int) -> str:
    """The ``dataschema`` of events of this type and schema version: a URI reference (a path)."""
    return DATASCHEMA_ROUTE.format(type=quote(type_, safe=""), schema_version=schema_version)


@lru_cache(maxsize=1024)
def _dataschema_header(type_: str, schema_version: int) -> bytes:
    return dataschema(type_, schema_version).encode()


def header_name(attribute: str) -> str:
    """The Kafka header of a CloudEvents attribute in binary mode."""
    return "content-type" if attribute == "datacontenttype" else f"ce_{attribute}"


def attributes(event: Envelope) -> dict[str, str]:
    """The CloudEvents attributes of an event, every value as a string."""
    attrs = {
        "specversion": SPEC_VERSION,
        "id": event.id,
        "source": SOURCE,
        "type": event.type,
        "subject": event.stream,
        "time": format_time(event.occurred_at),
        "datacontenttype": CONTENT_TYPE,
        "dataschema": dataschema(event.type, event.schema_version),
        "streamversion": str(event.version),
        "schemaversion": str(event.schema_version),
        "recordedat": format_time(event.recorded_at),
        "actor": event.actor,
        "correlationid": event.correlation_id,
        "causationid": event.causation_id,
        "prevhash": event.prevhash,
        "hash": event.hash,
    }
    if event.idempotency_key is not None:
        attrs["idempotencykey"] = event.idempotency_key
    if event.traceparent is not None:
        attrs["traceparent"] = event.traceparent
    return attrs


def to_binary(event: Envelope) -> BinaryMessage:
    """The record of an event; its value is ``data``'s canonical JSON, the bytes the hash covers.

    The headers are ``attributes`` in the same order, spelled out here: this runs once per
    event the writer appends (so ``ce_dataschema`` is encoded once per type and version).
    """
    headers = [
        ("ce_specversion", _SPEC_VERSION),
        ("ce_id", event.id.encode()),
        ("ce_source", _SOURCE),
        ("ce_type", event.type.encode()),
        ("ce_subject", event.stream.encode()),
        ("ce_time", format_time(event.occurred_at).encode()),
        ("content-type", _CONTENT_TYPE),
        ("ce_dataschema", _dataschema_header(event.type, event.schema_version)),
        ("ce_streamversion", str(event.version).encode()),
        ("ce_schemaversion", str(event.schema_version).encode()),
        ("ce_recordedat", format_time(event.recorded_at).encode()),
        ("ce_actor", event.actor.encode()),
        ("ce_correlationid", event.correlation_id.encode()),
        ("ce_causationid", event.causation_id.encode()),
        ("ce_prevhash", event.prevhash.encode()),
        ("ce_hash", event.hash.encode()),
    ]
    if event.idempotency_key is not None:
        headers.append(("ce_idempotencykey", event.idempotency_key.encode()))
    if event.traceparent is not None:
        headers.append(("ce_traceparent", event.traceparent.encode()))
    return BinaryMessage(key=event.stream.encode(), headers=headers, value=event.data_json())


def from_binary(headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...], value: bytes) -> Envelope:
    """The envelope of a record; any fault is a MalformedMessage.

    Each attribute is looked up by its header and decoded alone (a later header of a name
    wins); headers not of the envelope are never decoded. This runs once per record read.
    """
    found = dict(headers)
    try:
        data = orjson.loads(value)
    except orjson.JSONDecodeError as e:
        raise MalformedMessage(f"value is not JSON: {e}") from e
    try:
        spec = found.get("ce_specversion")
        if spec != _SPEC_VERSION:
            shown = None if spec is None else spec.decode()
            raise MalformedMessage(f"specversion {shown!r} is not {SPEC_VERSION}")
        if not isinstance(data, dict):
            raise MalformedMessage("data is not a JSON object")
        key = found.get("ce_idempotencykey")
        trace = found.get("ce_traceparent")
        return Envelope(
            id=found["ce_id"].decode(),
            type=found["ce_type"].decode(),
            schema_version=int(found["ce_schemaversion"].decode()),
            stream=found["ce_subject"].decode(),
            version=int(found["ce_streamversion"].decode()),
            occurred_at=parse_time(found["ce_time"].decode()),
            recorded_at=parse_time(found["ce_recordedat"].decode()),
            actor=found["ce_actor"].decode(),
            correlation_id=found["ce_correlationid"].decode(),
            causation_id=found["ce_causationid"].decode(),
            idempotency_key=None if key is None else key.decode(),
            prevhash=found["ce_prevhash"].decode(),
            hash=found["ce_hash"].decode(),
            data=data,
            traceparent=None if trace is None else trace.decode(errors="replace"),
        )
    except KeyError as e:
        raise MalformedMessage(f"attribute {e.args[0].removeprefix('ce_')!r} missing") from e
    except MalformedMessage:
        raise
    except ValueError as e:  # a number that is none, a time that is none, bytes that are not UTF-8
        raise MalformedMessage(str(e)) from e


def to_structured(event: Envelope) -> dict[str, Any]:
    """The event as one JSON object: the attributes and ``data`` (an export line, a feed item)."""
    structured: dict[str, Any] = dict(attributes(event))
    structured["data"] = event.data
    return structured


def from_structured(line: dict[str, Any]) -> Envelope:
    """The envelope of a structured event; ``dataschema``, derived, is not read (nor needed), and
    ``traceparent`` is read when there is one."""
    attrs = {k: str(v) for k, v in line.items() if k != "data"}
    return _from_attributes(attrs, line.get("data"))


def _from_attributes(attrs: dict[str, str], data: Any) -> Envelope:
    if attrs.get("specversion") != SPEC_VERSION:
        raise MalformedMessage(f"specversion {attrs.get('specversion')!r} is not {SPEC_VERSION}")
    if not isinstance(data, dict):
        raise MalformedMessage("data is not a JSON object")
    try:
        return Envelope(
            id=attrs["id"],
            type=attrs["type"],
            schema_version=int(attrs["schemaversion"]),
            stream=attrs["subject"],
            version=int(attrs["streamversion"]),
            occurred_at=parse_time(attrs["time"]),
            recorded_at=parse_time(attrs["recordedat"]),
            actor=attrs["actor"],
            correlation_id=attrs["correlationid"],
            causation_id=attrs["causationid"],
            idempotency_key=attrs.get("idempotencykey"),
            prevhash=attrs["prevhash"],
            hash=attrs["hash"],
            data=data,
            traceparent=attrs.get("traceparent"),
        )
    except KeyError as e:
        raise MalformedMessage(f"attribute {e.args[0]!r} missing") from e
    except ValueError as e:
        raise MalformedMessage(str(e)) from e
