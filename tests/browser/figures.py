"""What a page test compares: an API item as a figures table keeps it (its exact strings in
``data-value``), and which rows of a table the page highlights."""

from __future__ import annotations

import json
from typing import Any

from .driver import Console


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


def cells(items: list[dict[str, Any]], *keys: str) -> list[dict[str, str]]:
    """The data-value of each API item's ``keys``, row by row."""
    return [{k: cell(item[k]) for k in keys} for item in items]


def picked(rows: list[dict[str, str]], *keys: str) -> list[dict[str, str]]:
    """Only these columns of a table's rows."""
    return [{k: row[k] for k in keys} for row in rows]


async def highlighted(console: Console, table_id: str, kind: str = "alert") -> list[str]:
    """The data-key of the table's rows classed ``kind``, in the page's order."""
    keys: list[str] = await console.page.evaluate(
        """([id, kind]) => [...document.querySelectorAll(`[data-table='${id}'] tbody tr`)]
            .filter(tr => tr.classList.contains(kind)).map(tr => tr.dataset.key)""",
        [table_id, kind],
    )
    return keys
