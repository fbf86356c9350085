"""Exact JSON decoding of request bodies.

Pydantic's own JSON parser, like orjson, turns a JSON number into a binary float before any
validator sees it, so `1.0000000000000000001` would silently become 1. Decoding here keeps
every JSON number with a fraction or exponent as a Decimal, rejects NaN and Infinity and
duplicate keys, and reports every failure (bad UTF-8, absurd nesting, oversized integers) as
one exception type, which the HTTP layer answers with 400.
"""

import json
from decimal import Decimal
from typing import Any


class MalformedJSON(ValueError):
    """The bytes are not one JSON document this ledger accepts."""


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate key {key!r}")
        obj[key] = value
    return obj


def loads(raw: str | bytes) -> Any:
    """Decode one JSON document with exact decimals; raise MalformedJSON on anything else."""
    try:
        return json.loads(
            raw, parse_float=Decimal, parse_constant=_no_constants, object_pairs_hook=_unique_keys
        )
    except (ValueError, RecursionError) as e:
        raise MalformedJSON(str(e)) from e
