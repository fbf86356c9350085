"""The machine-readable contract of the event streams, public like ``/openapi.json``.

``GET /asyncapi.json`` answers the AsyncAPI document (``ledger.asyncapi``) of this ledger's
topics; ``GET /v1/schemas/{type}/{schema_version}`` answers the JSON Schema of one event type
and version, where every event's ``dataschema`` points, byte for byte what ``ledger schemas``
writes. Every version the registry knows is served, upcast ones included.

Each answer is built once per process and carries an ETag, so a client revalidates with
``If-None-Match`` and hears 304. A schema version never changes meaning, yet a release may
widen it (an optional field added, as the changelog records), so answers are cached for an
hour rather than forever.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import orjson
from aiohttp import web

from ledger import asyncapi
from ledger.cloudevents import DATASCHEMA_ROUTE
from ledger.config import Settings
from ledger.http.keys import SETTINGS
from ledger.http.problems import Problem
from schemas.export import json_schemas, render
from schemas.registry import EVENTS

SCHEMA_CONTENT_TYPE: Final = "application/schema+json"
CACHE_CONTROL: Final = "public, max-age=3600"
_VERSION = re.compile(r"[1-9][0-9]{0,8}")  # a positive integer a schema version can be


@dataclass(frozen=True)
class Served:
    """An answer's bytes and their entity tag (quoted, as the header carries it)."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes) -> Served:
        return cls(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"')


@cache
def _event_schemas() -> dict[tuple[str, int], Served]:
    files = json_schemas()
    return {(t, v): Served.of(render(files[f"events/{t}.v{v}.json"])) for t, v in EVENTS}


def _asyncapi(settings: Settings) -> Served:
    return _asyncapi_of(
        settings.topic_prefix, settings.partitions, settings.replication_factor, settings.kafka_bootstrap
    )


@cache
def _asyncapi_of(prefix: str, partitions: int, replicas: int | None, bootstrap: str | None) -> Served:
    body = asyncapi.document(prefix=prefix, partitions=partitions, replicas=replicas, bootstrap=bootstrap)
    return Served.of(orjson.dumps(body))


def _answer(request: web.Request, served: Served, content_type: str) -> web.Response:
    headers = {"ETag": served.etag, "Cache-Control": CACHE_CONTROL}
    tags = request.if_none_match or ()
    if any(tag.value in ("*", served.etag.strip('"')) for tag in tags):
        return web.Response(status=304, headers=headers)
    return web.Response(body=served.body, content_type=content_type, headers=headers)


async def asyncapi_json(request: web.Request) -> web.Response:
    return _answer(request, _asyncapi(request.app[SETTINGS]), "application/json")


async def event_schema(request: web.Request) -> web.Response:
    type_, version = request.match_info["type"], request.match_info["schema_version"]
    served = _event_schemas().get((type_, int(version))) if _VERSION.fullmatch(version) else None
    if served is None:
        raise Problem(
            404,
            "unknown-schema",
            f"no event type {type_[:100]!r} at schema version {version[:20]!r}: "
            "/asyncapi.json lists every type and version",
        )
    return _answer(request, served, SCHEMA_CONTENT_TYPE)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/asyncapi.json", asyncapi_json)
    app.router.add_get(DATASCHEMA_ROUTE, event_schema)


def openapi_paths() -> dict[str, Any]:
    """This module's routes for ``/openapi.json``."""
    cached = {
        "ETag": {"schema": {"type": "string"}},
        "Cache-Control": {"schema": {"type": "string"}},
    }
    not_modified = {"304": {"description": "unchanged since the ETag of If-None-Match", "headers": cached}}
    return {
        "/asyncapi.json": {
            "get": {
                "summary": "The AsyncAPI 3.0 document of the event streams and the command topics",
                "operationId": "asyncapi",
                "security": [],
                "responses": {
                    "200": {
                        "description": "AsyncAPI 3.0.0",
                        "headers": cached,
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    **not_modified,
                },
            }
        },
        DATASCHEMA_ROUTE: {
            "get": {
                "summary": "The JSON Schema of an event type's data at a schema version (its dataschema)",
                "operationId": "event_schema",
                "security": [],
                "parameters": [
                    {"name": "type", "in": "path", "required": True, "schema": {"type": "string"}},
                    {
                        "name": "schema_version",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "JSON Schema (draft 2020-12)",
                        "headers": cached,
                        "content": {SCHEMA_CONTENT_TYPE: {"schema": {"type": "object"}}},
                    },
                    **not_modified,
                    "404": {
                        "description": "no such event type or schema version",
                        "content": {
                            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                        },
                    },
                },
            }
        },
    }
