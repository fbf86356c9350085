"""JSON Schema files for every command and event: the machine-readable half of the contract.

A command's schema describes the request body a client sends (validation mode: decimals as
number or string). An event's schema describes its `data` as stored in the log and sent to
consumers (serialization mode: decimals as strings, every field present, no `type`, which
travels in the envelope). Files are written deterministically so the committed copies under
`schemas/json/` can be checked for staleness byte for byte.
"""

import json
from pathlib import Path
from typing import Any

from schemas.base import Event
from schemas.registry import COMMANDS, EVENTS

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _event_data_schema(cls: type[Event]) -> dict[str, Any]:
    schema = cls.model_json_schema(mode="serialization")
    schema["properties"].pop("type", None)
    schema["required"] = [field for field in schema.get("required", []) if field != "type"]
    return schema


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schemas by relative file name: `commands/<name>.json`, `events/<Type>.v<n>.json`."""
    out: dict[str, dict[str, Any]] = {}
    for name, command in sorted(COMMANDS.items()):
        out[f"commands/{name}.json"] = {"$schema": DIALECT, **command.model_json_schema(mode="validation")}
    for (type_, version), event in sorted(EVENTS.items()):
        out[f"events/{type_}.v{version}.json"] = {"$schema": DIALECT, **_event_data_schema(event)}
    return out


def render(schema: dict[str, Any]) -> bytes:
    """The bytes of one schema file: sorted keys, 2-space indent, trailing newline."""
    return (json.dumps(schema, sort_keys=True, indent=2) + "\n").encode("utf-8")


def write_json_schemas(out_dir: Path) -> list[Path]:
    """Write every schema under `out_dir`; answer the paths written, in name order."""
    written: list[Path] = []
    for relative, schema in json_schemas().items():
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render(schema))
        written.append(path)
    return written
