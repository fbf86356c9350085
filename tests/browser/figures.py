"""What a page test compares: an API item as a figures table keeps it (its exact strings in
``data-value``). Which rows a page highlights: ``Console.marked``."""

from __future__ import annotations

import json
from typing import Any


def cell(value: Any) -> str:
    """A value as ui.js ``table`` keeps it in data-value: strings as they are, null empty,
    lists and objects as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def row(item: dict[str, Any], *keys: str) -> dict[str, str]:
    """The data-value of one API item's ``keys``."""
    return {k: cell(item[k]) for k in keys}


def cells(items: list[dict[str, Any]], *keys: str) -> list[dict[str, str]]:
    """The data-value of each API item's ``keys``, row by row."""
    return [row(item, *keys) for item in items]


def picked(rows: list[dict[str, str]], *keys: str) -> list[dict[str, str]]:
    """Only these columns of a table's rows."""
    return [{k: row[k] for k in keys} for row in rows]
