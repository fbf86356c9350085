"""Commands and events of the ledger: pydantic models, their registry and their JSON Schemas.

This package is pure (pydantic and the standard library, no I/O at import). One module per
business area holds that area's commands (imperatives) and events (facts); `registry` finds
them by API name or by (type, schema_version) and upcasts old event data on read; `decoding`
reads request JSON without binary floats; `export` renders the JSON Schema files committed
under `schemas/json/`.
"""

from schemas.base import Command, Event
from schemas.decoding import MalformedJSON, loads
from schemas.registry import (
    AREAS,
    COMMANDS,
    EVENTS,
    EventRegistry,
    UnknownCommand,
    UnknownEventType,
    Upcaster,
    area_of_stream,
    command_class,
    decode_event,
    event_type,
    event_types,
    latest_version,
    parse_command,
    parse_command_json,
    parse_event,
    register_upcaster,
    upcast,
)

__all__ = [
    "AREAS",
    "COMMANDS",
    "EVENTS",
    "Command",
    "Event",
    "EventRegistry",
    "MalformedJSON",
    "UnknownCommand",
    "UnknownEventType",
    "Upcaster",
    "area_of_stream",
    "command_class",
    "decode_event",
    "event_type",
    "event_types",
    "latest_version",
    "loads",
    "parse_command",
    "parse_command_json",
    "parse_event",
    "register_upcaster",
    "upcast",
]
