"""The CloudEvents 1.0 mapping of the envelope.

Binary mode on Kafka: ``ce_*`` headers carry the attributes, the value is the event's JSON
data and the key is the stream. Structured mode for export lines: one JSON object with the
attributes and ``data``. Extension names are lower-case alphanumerics, as the spec demands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from ledger.envelope import Envelope, format_time, parse_time

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
SOURCE = "urn:ledger"


class MalformedMessage(ValueError):
    """A message that does not carry a complete envelope."""


@dataclass(frozen=True, slots=True)
class BinaryMessage:
    """A Kafka record's parts in binary content mode."""

    key: bytes
    headers: list[tuple[str, bytes]]
    value: bytes


_HEADER = {
    name: "content-type" if name == "datacontenttype" else f"ce_{name}"
    for name in (
        "specversion", "id", "source", "type", "subject", "time", "datacontenttype", "streamversion",
        "schemaversion", "recordedat", "actor", "correlationid", "causationid", "prevhash", "hash",
        "idempotencykey",
    )
}  # header names spelled once, not per record


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
    return attrs


def to_binary(event: Envelope) -> BinaryMessage:
    attrs = attributes(event)
    headers = [(_HEADER.get(name) or f"ce_{name}", value.encode()) for name, value in attrs.items()]
    return BinaryMessage(key=event.stream.encode(), headers=headers, value=orjson.dumps(event.data))


def from_binary(headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...], value: bytes) -> Envelope:
    attrs = {name[3:]: raw.decode() for name, raw in headers if name[:3] == "ce_"}
    try:
        data = orjson.loads(value)
    except orjson.JSONDecodeError as e:
        raise MalformedMessage(f"value is not JSON: {e}") from e
    return _from_attributes(attrs, data)


def to_structured(event: Envelope) -> dict[str, Any]:
    structured: dict[str, Any] = dict(attributes(event))
    structured["data"] = event.data
    return structured


def from_structured(line: dict[str, Any]) -> Envelope:
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
        )
    except KeyError as e:
        raise MalformedMessage(f"attribute {e.args[0]!r} missing") from e
    except ValueError as e:
        raise MalformedMessage(str(e)) from e
