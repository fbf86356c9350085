"""The OpenAPI 3.1 description of every route, served at ``/openapi.json``.

Command bodies come from the same pydantic models that validate them, so the document
cannot drift from what the API accepts. Read routes added since v1.1 are described by their
answer models (``ledger.http.described``) and listed in ``DESCRIBED``; the v1 read routes are
still declared in one table here.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ledger import __version__
from ledger.answer_schemas import COMMAND_ACCEPTED, PROBLEM
from ledger.http import (
    console,
    contract,
    described,
    events,
    parked,
    read_customers,
    read_fulfilment,
    read_marketing,
    read_plans,
    read_purchasing,
    read_valuation,
    rebuild,
)
from ledger.http.described import ReadRoute
from schemas import COMMANDS

_REF = "#/components/schemas/{model}"
_PROBLEM = {"$ref": "#/components/schemas/Problem"}
_DECIMAL = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
_TIME = {"type": "string", "format": "date-time"}
_PCT = {"anyOf": [_DECIMAL, {"type": "null"}]}


_param = described.param


def _text(*options: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(options)} if options else {"type": "string"}


_READ_COMMON = [
    _param("min_position", {"type": "string"}, "wait until the read model has applied this position token"),
    _param("wait_ms", {"type": "integer", "minimum": 0, "maximum": 60000}, "how long to wait (default 5000)"),
]
_PAGING = [
    _param("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
    _param("cursor", {"type": "string"}),
]
_BUCKET = _param("bucket", _text("day", "week", "month"))

# path -> (summary, scope, parameters, item properties or a whole response schema)
_READS: dict[str, tuple[str, str, list[dict[str, Any]], dict[str, Any]]] = {
    "/v1/inventory": (
        "Stock levels per sku and location",
        "read",
        [
            _param("sku", _text()),
            _param("location_id", _text()),
            _param("below_reorder", {"type": "boolean"}),
            _param("as_of", _TIME),
            *_PAGING,
        ],
        {
            "sku": _text(),
            "location_id": _text(),
            "on_hand": _DECIMAL,
            "quarantined": _DECIMAL,
            "reserved": _DECIMAL,
            "available": _DECIMAL,
            "reorder_point": {"anyOf": [_DECIMAL, {"type": "null"}]},
            "below_reorder": {"type": "boolean"},
            "on_order": {**_DECIMAL, "description": "open purchase order quantity delivered here"},
            "projected": {**_DECIMAL, "description": "available + on_order"},
            "unit_cost": {**_DECIMAL, "description": "the moving average, 4 places"},
            "value": {**_DECIMAL, "description": "the stock's value, 2 places"},
        },
    ),
    "/v1/inventory/{sku}/movements": (
        "The stock ledger of one sku, in business-time order",
        "read",
        [
            _param("sku", _text(), where="path"),
            _param("location_id", _text()),
            _param("from", _TIME),
            _param("to", _TIME),
            *_PAGING,
        ],
        {
            "occurred_at": _TIME,
            "location_id": _text(),
            "type": _text(),
            "qty_change": _DECIMAL,
            "quarantined_change": _DECIMAL,
            "reserved_change": _DECIMAL,
            "on_hand_after": _DECIMAL,
            "document_id": _text(),
            "event_id": _text(),
            "value_change": {**_DECIMAL, "description": "stock value moved here, 2 places"},
            "value_after": {**_DECIMAL, "description": "the location's stock value after the row"},
        },
    ),
    "/v1/sales/attainment": (
        "Sales against targets for a period",
        "read",
        [
            _param("period", _text()),
            _param("dimension", _text("total", "channel", "team", "category")),
            _param("basis", _text("shipped", "booked")),
            _param("as_of", _TIME),
        ],
        {
            "key": _text(),
            "target": _PCT,
            "actual": _DECIMAL,
            "attainment_pct": _PCT,
            "expected_to_date": _PCT,
            "pace_pct": _PCT,
            "forecast": _PCT,
        },
    ),
    "/v1/sales/daily": (
        "Daily booked, shipped, returned and net sales",
        "read",
        [_param("from", _TIME), _param("to", _TIME), _param("channel", _text()), _param("team_id", _text())],
        {"day": _text(), "booked": _DECIMAL, "shipped": _DECIMAL, "returned": _DECIMAL, "net": _DECIMAL},
    ),
    "/v1/quality/trends": (
        "Inspection results per bucket",
        "read",
        [
            _param("sku", _text()),
            _param("supplier_id", _text()),
            _param("stage", _text("incoming", "in_process", "final")),
            _BUCKET,
            _param("from", _TIME),
            _param("to", _TIME),
        ],
        {
            "bucket": _TIME,
            "inspections": {"type": "integer"},
            "inspected_units": {"type": "integer"},
            "defective_units": {"type": "integer"},
            "defect_rate": _PCT,
            "rejected_lots": {"type": "integer"},
        },
    ),
    "/v1/quality/control-chart": (
        "p-chart with Western Electric rules",
        "read",
        [
            _param("sku", _text()),
            _param("supplier_id", _text()),
            _param("stage", _text("incoming", "in_process", "final")),
            _param("subgroup", _text("inspection", "day", "week")),
        ],
        {"center_line": _PCT, "subgroups": {"type": "array", "items": {"type": "object"}}},
    ),
    "/v1/quality/pareto": (
        "Defect categories, largest first",
        "read",
        [_param("sku", _text()), _param("from", _TIME), _param("to", _TIME)],
        {"category": _text(), "count": {"type": "integer"}, "share": _PCT, "cumulative_share": _PCT},
    ),
    "/v1/quality/complaint-rate": (
        "Complaints per 1000 units shipped",
        "read",
        [_param("sku", _text()), _BUCKET],
        {"bucket": _TIME, "complaints": {"type": "integer"}, "units_shipped": _DECIMAL, "per_thousand": _PCT},
    ),
    "/v1/complaints": (
        "Complaints with their SLA clocks",
        "read",
        [
            _param("status", _text("open", "acknowledged", "resolved")),
            _param("severity", _text("low", "medium", "high", "critical")),
            _param("breached", {"type": "boolean"}),
            _param("as_of", _TIME),
            *_PAGING,
        ],
        {
            "complaint_id": _text(),
            "severity": _text(),
            "status": _text(),
            "first_response_hours": _PCT,
            "resolution_hours": _PCT,
            "breached_response": {"type": "boolean"},
            "breached_resolution": {"type": "boolean"},
        },
    ),
    "/v1/complaints/summary": (
        "Per severity: open, resolved, response and resolution times, SLA compliance",
        "read",
        [_param("from", _TIME), _param("to", _TIME), _param("as_of", _TIME)],
        {
            "severity": _text(),
            "open": {"type": "integer"},
            "resolved": {"type": "integer"},
            "median_first_response_hours": _PCT,
            "p90_first_response_hours": _PCT,
            "median_resolution_hours": _PCT,
            "breaches": {"type": "integer"},
            "sla_compliance_pct": _PCT,
        },
    ),
    "/v1/streams/{stream}/events": (
        "A stream's events in version order, whole envelopes",
        "audit",
        [_param("stream", _text(), where="path"), *_PAGING],
        {
            "id": _text(),
            "type": _text(),
            "schema_version": {"type": "integer"},
            "stream": _text(),
            "version": {"type": "integer"},
            "occurred_at": _TIME,
            "recorded_at": _TIME,
            "actor": _text(),
            "correlation_id": _text(),
            "causation_id": _text(),
            "idempotency_key": {"type": ["string", "null"]},
            "prevhash": _text(),
            "hash": _text(),
            "data": {"type": "object"},
        },
    ),
}


_HEALTH = {
    "restarts": {"type": "integer", "description": "restarts after a failure outside apply"},
    "retries": {"type": "integer", "description": "transient database or log errors retried"},
    "last_error": {"type": ["string", "null"]},
    "last_error_at": {"anyOf": [_TIME, {"type": "null"}]},
    "state": _text("running", "retrying", "restarting", "dead"),
}
_PROJECTORS = {
    "type": "object",
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": _text(),
                    "version": {"type": "integer"},
                    "position": _text(),
                    "lag": {"type": ["integer", "null"], "description": "null: never projected yet"},
                    "events_per_second": {"type": "number"},
                    "events": {"type": "integer"},
                    "parked": {"type": "integer"},
                    "live": {"type": "boolean"},
                    **_HEALTH,
                    "state": _text("running", "retrying", "restarting", "dead", "stopped", "unowned"),
                    "caught_up_at_start": {"type": "boolean"},
                    "owner": {"type": ["string", "null"], "description": "host:pid of the owning process"},
                    "updated_at": {"anyOf": [_TIME, {"type": "null"}]},
                    "stale": {"type": "boolean", "description": "its owner has not reported for a while"},
                },
            },
        },
        "processes": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "owner": _text(),
                    "owns": {"type": "array", "items": _text()},
                    "waits": {"type": "array", "items": _text()},
                    "watcher": {"type": "object", "properties": _HEALTH},
                    "started_at": _TIME,
                    "updated_at": _TIME,
                },
            },
        },
        "end_watcher": {"type": "object", "properties": _HEALTH},
    },
}


def _problems(*statuses: int) -> dict[str, Any]:
    return {
        str(s): {
            "description": "a problem (RFC 9457)",
            "content": {"application/problem+json": {"schema": _PROBLEM}},
        }
        for s in statuses
    }


def _json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _components() -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "Problem": PROBLEM,
        "CommandAccepted": COMMAND_ACCEPTED,
    }
    for model in COMMANDS.values():
        schema = model.model_json_schema(ref_template=_REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}


def _command_paths() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for name, model in sorted(COMMANDS.items()):
        paths[f"/v1/commands/{name}"] = {
            "post": {
                "summary": (model.__doc__ or name).strip().splitlines()[0],
                "operationId": f"command_{name.replace('-', '_')}",
                "description": f"Needs the scope {model.area}:write.",
                "parameters": [
                    _param("Idempotency-Key", {"type": "string", "maxLength": 200}, where="header"),
                    _param("X-Correlation-Id", {"type": "string", "maxLength": 128}, where="header"),
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}},
                },
                "responses": {
                    "201": _json_response(
                        "the events appended", {"$ref": "#/components/schemas/CommandAccepted"}
                    ),
                    **_problems(400, 401, 403, 404, 409, 413, 415, 422, 503),
                },
            }
        }
    return paths


def _read_paths() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for path, (summary, scope, params, fields) in _READS.items():
        if path == "/v1/quality/control-chart":
            body = {"type": "object", "properties": fields}
        else:
            item = {"type": "object", "properties": fields}
            body = {
                "type": "object",
                "properties": {
                    "items": {"type": "array", "items": item},
                    "cursor": {"type": ["string", "null"]},
                },
            }
        paths[path] = {
            "get": {
                "summary": summary,
                "operationId": "read"
                + path.replace("/", "_").replace("{", "").replace("}", "").replace("-", "_"),
                "description": f"Needs the scope {scope}. X-Ledger-Position carries the position read.",
                "parameters": [*params, *_READ_COMMON],
                "responses": {
                    "200": _json_response(summary, body),
                    **_problems(400, 401, 403, 404, 422, 503),
                },
            }
        }
    return paths


def _other_paths() -> dict[str, Any]:
    ok = {"200": _json_response("ok", {"type": "object"})}
    items = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "principal": {"type": "string"},
            "scopes": {"type": "array", "items": {"type": "string"}},
        },
    }
    return {
        "/v1/commands": {
            "post": {
                "summary": "Several commands, each accepted or refused on its own",
                "operationId": "commands_batch",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["name", "body"],
                                    "properties": {
                                        "name": {"type": "string"},
                                        "body": {"type": "object"},
                                        "idempotency_key": {"type": "string"},
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "207": _json_response("one result per item", {"type": "object"}),
                    **_problems(400, 401, 413, 415, 422),
                },
            }
        },
        "/v1/admin/tokens": {
            "post": {
                "summary": "Issue (or rotate) a principal's token; scope admin",
                "operationId": "issue_token",
                "requestBody": {"required": True, "content": {"application/json": {"schema": items}}},
                "responses": {
                    "201": _json_response("the token, shown once", {"type": "object"}),
                    **_problems(400, 401, 403, 415, 422),
                },
            }
        },
        "/v1/admin/tokens/{principal}": {
            "delete": {
                "summary": "Revoke a principal's token; scope admin",
                "operationId": "revoke_token",
                "parameters": [_param("principal", _text(), where="path")],
                "responses": {"204": {"description": "revoked"}, **_problems(401, 403, 404)},
            }
        },
        "/v1/projections": {
            "get": {
                "summary": "Projector positions, lag, rate, parked, errors and restarts",
                "operationId": "projections",
                "responses": {
                    "200": _json_response(
                        "per projector as its owner last published it, the projector processes, and "
                        "their end-of-log watchers summed up",
                        _PROJECTORS,
                    ),
                    **_problems(401, 403, 503),
                },
            }
        },
        "/healthz": {
            "get": {"summary": "Liveness", "operationId": "healthz", "security": [], "responses": ok}
        },
        "/readyz": {
            "get": {
                "summary": "Readiness",
                "operationId": "readyz",
                "security": [],
                "responses": {**ok, "503": {"description": "not ready"}},
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics",
                "operationId": "metrics",
                "security": [],
                "responses": {
                    "200": {
                        "description": "Prometheus text format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/openapi.json": {
            "get": {"summary": "This document", "operationId": "openapi", "security": [], "responses": ok}
        },
    }


DESCRIBED: tuple[ReadRoute, ...] = (
    read_valuation.VALUATION,
    read_valuation.SUGGESTIONS,
    *read_purchasing.ROUTES,
    read_fulfilment.ROUTE,
    *read_marketing.ROUTES,
    *read_customers.ROUTES,
    read_plans.ROUTE,
)
"""Every read route described by its answer model, in the order the document lists them."""


@cache
def document() -> dict[str, Any]:
    described_paths, described_schemas = described.openapi(
        DESCRIBED, _READ_COMMON, _problems(400, 401, 403, 404, 422, 503)
    )
    components = _components()
    components["schemas"].update(described_schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ledger",
            "version": __version__,
            "description": "An event-sourced ERP-lite ledger: commands in, read models out.",
        },
        "security": [{"bearer": []}],
        "paths": {
            **_command_paths(),
            **_other_paths(),
            **_read_paths(),
            **rebuild.openapi_paths(),
            **parked.openapi_paths(),
            **contract.openapi_paths(),
            **events.openapi_paths(),
            **console.openapi_paths(),
            **described_paths,
        },
        "components": components,
    }
