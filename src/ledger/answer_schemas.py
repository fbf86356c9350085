"""The JSON Schemas of a command's two answers, a success and a problem: one definition for
``/openapi.json`` (what ``POST /v1/commands/{name}`` answers) and ``/asyncapi.json`` (what
``<prefix>.command-results`` carries), since the topic answers exactly as HTTP would."""

from __future__ import annotations

from typing import Any, Final

PROBLEM: Final[dict[str, Any]] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"loc": {"type": "array"}, "msg": {"type": "string"}},
            },
        },
    },
}

COMMAND_ACCEPTED: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["events", "position"],
    "properties": {
        "events": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "type": {"type": "string"},
                    "stream": {"type": "string"},
                    "version": {"type": "integer"},
                    "position": {"type": "string"},
                },
            },
        },
        "position": {"type": "string", "description": "a consistency token for `min_position`"},
    },
}
