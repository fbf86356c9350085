"""The golden set of old event versions, kept as data and read as an export line is read.

`tests/golden/stock_adjusted_v1.jsonl` holds StockAdjusted events exactly as the v1 code
sealed them (CloudEvents structured lines, sorted keys), so every later version of the code
must still verify, upcast, replay and project them. Never regenerate or edit the file: its
hashes cover its v1 data, and that is the point.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from ledger.cloudevents import from_structured
from ledger.envelope import Envelope

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
STOCK_ADJUSTED_V1 = GOLDEN / "stock_adjusted_v1.jsonl"


def golden_events(path: Path = STOCK_ADJUSTED_V1) -> list[Envelope]:
    """The file's envelopes, in file (log) order."""
    return [from_structured(orjson.loads(line)) for line in path.read_bytes().splitlines()]
