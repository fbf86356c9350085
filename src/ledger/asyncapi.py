"""The AsyncAPI 3.0 document of the ledger's streams, generated, never written by hand.

Channels come from the business areas (one topic each), messages from every event type and
schema version of the registry (the payload is the JSON Schema that ``ledger schemas`` writes
and ``/v1/schemas/{type}/{schema_version}`` serves) and from every command, the headers from
the CloudEvents binary mode of ``ledger.cloudevents``. So the document cannot drift from
what the ledger writes; the tests parse it with the official AsyncAPI parser and validate
real events and their headers against it.

AsyncAPI describes one application; this document is written from an integrator's side: it
receives each area's events and the answers to its commands, and sends commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from ledger import __version__
from ledger.answer_schemas import COMMAND_ACCEPTED, PROBLEM
from ledger.cloudevents import CONTENT_TYPE, SOURCE, SPEC_VERSION, dataschema, header_name
from ledger.config import Settings
from ledger.writer.command_records import OFFSET_HEADER, PARTITION_HEADER
from schemas.export import json_schemas
from schemas.registry import AREAS, COMMANDS, EVENTS, area_of_event

ASYNCAPI_VERSION: Final = "3.0.0"
KAFKA_BINDING: Final = "0.5.0"
COMMANDS_CHANNEL: Final = "commands"
RESULTS_CHANNEL: Final = "command-results"
RESULT_MESSAGE: Final = "command-result"

_TEXT = {"type": "string", "minLength": 1}
_TIME = {"type": "string", "format": "date-time"}
_SHA256 = "[0-9a-f]{64}"

# The envelope's attributes in the order of their headers (``cloudevents.to_binary``), each with
# its schema and meaning; None where the schema is the message's own (its type and version).
_HEADERS: Final[tuple[tuple[str, dict[str, Any] | None, str], ...]] = (
    ("specversion", {"const": SPEC_VERSION}, "CloudEvents version"),
    ("id", _TEXT, "the event's id, unique in the log"),
    ("source", {"const": SOURCE}, "the ledger"),
    ("type", None, "the event type"),
    ("subject", _TEXT, "the stream (`category:id`), also the record's key"),
    ("time", _TIME, "business time: when it happened (RFC 3339, UTC)"),
    ("datacontenttype", {"const": CONTENT_TYPE}, "the value is JSON"),
    ("dataschema", None, "where the ledger serves the payload's JSON Schema (a path on its HTTP API)"),
    ("streamversion", {"type": "string", "pattern": "^[1-9][0-9]*$"}, "1, 2, 3 ... within the stream"),
    ("schemaversion", None, "the version of the payload's schema"),
    ("recordedat", _TIME, "when the ledger recorded it (RFC 3339, UTC)"),
    ("actor", _TEXT, "the authenticated principal whose command caused it"),
    ("correlationid", _TEXT, "the id shared by everything one request caused"),
    ("causationid", _TEXT, "the id of the command that caused it"),
    ("prevhash", {"type": "string", "pattern": f"^({_SHA256})?$"}, "the stream's previous hash; empty at v1"),
    ("hash", {"type": "string", "pattern": f"^{_SHA256}$"}, "sha256(prevhash || canonical envelope)"),
    ("idempotencykey", _TEXT, "the Idempotency-Key of the command that caused it, if it had one"),
    (
        "traceparent",
        {"type": "string", "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-.*)?$"},
        "the W3C trace context of the command that caused it (CloudEvents Distributed Tracing "
        "extension), outside the hash; only on events recorded while tracing was on",
    ),
)
# None on events recorded before it existed, or without an Idempotency-Key, or untraced.
_OPTIONAL: Final = frozenset({"dataschema", "idempotencykey", "traceparent"})


def document(
    *, prefix: str = "ledger", partitions: int = 3, replicas: int | None = None, bootstrap: str | None = None
) -> dict[str, Any]:
    """The whole document for a log of ``prefix``; a Kafka server entry per bootstrap address.
    ``replicas`` None: the cluster's default, so the document names none."""
    files = json_schemas()
    schemas: dict[str, Any] = {
        "CommandAccepted": COMMAND_ACCEPTED,
        "Problem": PROBLEM,
    }
    messages: dict[str, Any] = {}
    by_area: dict[str, list[str]] = {area: [] for area in AREAS}
    for (type_, version), cls in sorted(EVENTS.items()):
        name = f"{type_}.v{version}"
        schemas.update(_components(name, files[f"events/{type_}.v{version}.json"]))
        messages[name] = _event_message(type_, version, name, _summary(cls.__doc__, type_))
        by_area[area_of_event(cls)].append(name)
    commands: list[str] = []
    for command, command_cls in sorted(COMMANDS.items()):
        name = f"command.{command}"
        schemas.update(_components(name, files[f"commands/{command}.json"]))
        messages[name] = _command_message(
            command, name, command_cls.area, _summary(command_cls.__doc__, command)
        )
        commands.append(name)
    messages[RESULT_MESSAGE] = _RESULT
    topic = {
        "partitions": partitions,
        **({} if replicas is None else {"replicas": replicas}),
        "topicConfiguration": {"cleanup.policy": ["delete"], "retention.ms": -1},
    }
    channels = {
        area: _channel(f"{prefix}.{area}", names, f"The {area} events", topic)
        for area, names in by_area.items()
    }
    channels[COMMANDS_CHANNEL] = _channel(f"{prefix}.{COMMANDS_CHANNEL}", commands, _COMMANDS_SUMMARY)
    channels[RESULTS_CHANNEL] = _channel(f"{prefix}.{RESULTS_CHANNEL}", [RESULT_MESSAGE], _RESULTS_SUMMARY)
    body: dict[str, Any] = {
        "asyncapi": ASYNCAPI_VERSION,
        "id": f"urn:ledger:{prefix}",
        "info": {"title": "ledger event streams", "version": __version__, "description": _DESCRIPTION},
        "defaultContentType": CONTENT_TYPE,
    }
    if bootstrap:
        body["servers"] = _servers(bootstrap)
    body |= {
        "channels": channels,
        "operations": _operations(channels),
        "components": {"schemas": schemas, "messages": messages},
    }
    return body


def for_settings(settings: Settings) -> dict[str, Any]:
    """The document of the log ``settings`` name: its prefix, partitions and Kafka servers
    (``ledger schemas``; ``/asyncapi.json`` builds it once per process from the same fields)."""
    return document(
        prefix=settings.topic_prefix,
        partitions=settings.partitions,
        replicas=settings.replication_factor,
        bootstrap=settings.kafka_bootstrap,
    )


def write(body: dict[str, Any], out_dir: Path) -> Path:
    """``out_dir/asyncapi.json``, indented, in the document's own order (``ledger schemas``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "asyncapi.json"
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _summary(doc: str | None, fallback: str) -> str:
    """A docstring's first paragraph on one line."""
    return " ".join((doc or fallback).strip().split("\n\n")[0].split())


def _components(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema file as components: itself under ``name``, each of its ``$defs`` beside it
    as ``name.Def``, references rewritten to match (the document's pointers are from its root)."""
    body = {k: v for k, v in schema.items() if k not in ("$schema", "$defs")}
    found = {name: body} | {f"{name}.{d}": sub for d, sub in schema.get("$defs", {}).items()}
    return {key: _rewrite(value, name) for key, value in found.items()}


def _rewrite(node: Any, name: str) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        rewritten = {k: _rewrite(v, name) for k, v in node.items()}
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            rewritten["$ref"] = _schema_ref(f"{name}.{ref.removeprefix('#/$defs/')}")
        return rewritten
    if isinstance(node, list):
        return [_rewrite(item, name) for item in node]
    return node


def _schema_ref(name: str) -> str:
    return f"#/components/schemas/{name}"


def _event_message(type_: str, version: int, name: str, summary: str) -> dict[str, Any]:
    own = {
        "type": {"const": type_},
        "dataschema": {"const": dataschema(type_, version)},
        "schemaversion": {"const": str(version)},
    }
    properties = {
        header_name(attribute): {**(schema or own[attribute]), "description": meaning}
        for attribute, schema, meaning in _HEADERS
    }
    required = [header_name(a) for a, _, _ in _HEADERS if a not in _OPTIONAL]
    return {
        "name": type_,
        "title": f"{type_} (schema version {version})",
        "summary": summary,
        "contentType": CONTENT_TYPE,
        "headers": {"type": "object", "required": required, "properties": properties},
        "payload": {"$ref": _schema_ref(name)},
        "correlationId": {"location": "$message.header#/ce_correlationid"},
        "bindings": {"kafka": {"key": _STREAM_KEY, "bindingVersion": KAFKA_BINDING}},
    }


def _command_message(command: str, name: str, area: str, summary: str) -> dict[str, Any]:
    return {
        "name": command,
        "title": command,
        "summary": summary,
        "description": f"Needs a token with the scope `{area}:write`. Decided as "
        f"`POST /v1/commands/{command}` would decide it; the answer comes on `{RESULTS_CHANNEL}`.",
        "contentType": CONTENT_TYPE,
        "headers": _AUTHORIZATION,
        "payload": {
            "type": "object",
            "required": ["name", "body"],
            "properties": {"name": {"const": command}, "body": {"$ref": _schema_ref(name)}},
        },
        "bindings": {"kafka": {"key": _IDEMPOTENCY_KEY, "bindingVersion": KAFKA_BINDING}},
    }


def _channel(
    address: str, names: list[str], summary: str, topic: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "address": address,
        "summary": summary,
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
        "bindings": {"kafka": {**(topic or {}), "bindingVersion": KAFKA_BINDING}},
    }


def _operations(channels: dict[str, Any]) -> dict[str, Any]:
    def messages(channel: str) -> list[dict[str, str]]:
        return [{"$ref": f"#/channels/{channel}/messages/{m}"} for m in channels[channel]["messages"]]

    def receive(channel: str, summary: str) -> dict[str, Any]:
        return {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": summary,
            "messages": messages(channel),
            "bindings": {"kafka": {"groupId": _GROUP, "bindingVersion": KAFKA_BINDING}},
        }

    operations = {f"receive-{area}": receive(area, f"Follow the {area} events") for area in AREAS}
    operations["send-command"] = {
        "action": "send",
        "channel": {"$ref": f"#/channels/{COMMANDS_CHANNEL}"},
        "summary": "Send a command, keyed by its idempotency key",
        "messages": messages(COMMANDS_CHANNEL),
        "reply": {
            "channel": {"$ref": f"#/channels/{RESULTS_CHANNEL}"},
            "messages": messages(RESULTS_CHANNEL),
        },
    }
    operations["receive-command-results"] = receive(RESULTS_CHANNEL, "Read the answers to commands")
    return operations


def _servers(bootstrap: str) -> dict[str, Any]:
    hosts = [h.strip() for h in bootstrap.split(",") if h.strip()]
    return {
        f"kafka-{n}": {"host": host, "protocol": "kafka", "description": "a bootstrap server of the log"}
        for n, host in enumerate(hosts, start=1)
    }


_STREAM_KEY: Final = {
    "type": "string",
    "description": "the stream (`category:id`, as `ce_subject`): a stream's events share a "
    "partition, so they arrive in stream-version order",
}
_IDEMPOTENCY_KEY: Final = {
    "type": "string",
    "minLength": 1,
    "maxLength": 200,
    "description": "the command's idempotency key (required): a command sent again under the "
    "same key is answered again and decided once",
}
_AUTHORIZATION: Final = {
    "type": "object",
    "required": ["authorization"],
    "properties": {
        "authorization": {
            "type": "string",
            "pattern": "^Bearer .+",
            "description": "`Bearer <token>` of a principal, as on HTTP",
        }
    },
}
_GROUP: Final = {
    "type": "string",
    "description": "your own consumer group; read with `isolation.level=read_committed`, or "
    "records of aborted transactions are read too",
}
_RESULT: Final = {
    "name": RESULT_MESSAGE,
    "title": "The answer to a command",
    "summary": "What HTTP would have answered: its status and body",
    "contentType": CONTENT_TYPE,
    "payload": {
        "type": "object",
        "required": ["status", "body"],
        "properties": {
            "status": {"type": "integer", "description": "201, or a problem's status"},
            "body": {"anyOf": [{"$ref": _schema_ref("CommandAccepted")}, {"$ref": _schema_ref("Problem")}]},
        },
    },
    "headers": {
        "type": "object",
        "required": ["content-type", PARTITION_HEADER, OFFSET_HEADER],
        "properties": {
            "content-type": {"type": "string", "const": CONTENT_TYPE},
            PARTITION_HEADER: {
                "type": "string",
                "pattern": "^[0-9]+$",
                "description": "the partition of the command's record",
            },
            OFFSET_HEADER: {
                "type": "string",
                "pattern": "^[0-9]+$",
                "description": "the offset of the command's record: with the partition, it matches "
                "an answer to a record that had no key",
            },
        },
    },
    "bindings": {
        "kafka": {
            "key": {
                "type": ["string", "null"],
                "description": "the command's idempotency key; null for the 400 answer to a record "
                "that had none",
            },
            "bindingVersion": KAFKA_BINDING,
        }
    },
}
_COMMANDS_SUMMARY: Final = "Commands to decide, on the Kafka log only"
_RESULTS_SUMMARY: Final = "The answer to each command, under the command's key"
_DESCRIPTION: Final = """\
The ledger's event streams, from an integrator's side: receive each area's events and the \
answers to your commands, send commands.

Each event is a CloudEvents 1.0 message in Kafka binary mode: the `ce_*` headers carry the \
envelope, the value is the event's data (JSON), the key is its stream. A stream's events are \
on one partition and arrive in order (`ce_streamversion` 1, 2, 3 ... without gaps); there is \
no order across streams. Read with `isolation.level=read_committed`. `ce_dataschema` names \
the path where the ledger's HTTP API serves the JSON Schema of the payload \
(`/v1/schemas/{type}/{schema_version}`); events recorded before it existed carry none. \
`ce_hash` chains each stream: `sha256(ce_prevhash || canonical envelope)`.

The same messages are served over HTTP on either log, so also on the embedded default, which \
has no Kafka: `GET /v1/events` (scope `events`) answers them as CloudEvents structured JSON \
(the headers above as attributes without their `ce_` prefix, `content-type` as \
`datacontenttype`, the payload as `data`), from \
any position on, and with `Accept: text/event-stream` as Server-Sent Events whose `id` is \
the position after the event, resumed with `Last-Event-ID`.

Commands (Kafka log only): a record on the commands channel, keyed by an idempotency key, \
with the header `authorization: Bearer <token>` and the value `{"name", "body"}`, is \
decided as `POST /v1/commands/{name}` would be, exactly once; the answer goes to the \
command-results channel under the same key."""
