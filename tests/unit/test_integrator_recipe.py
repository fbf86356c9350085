"""The README's recipe for checking a stream's hash chain, run as written over real events.

The block is read out of the README, so the guide an integrator copies cannot drift from
what the ledger writes: structured events (feed items, export lines) and Kafka records in
binary mode both pass it, and an altered, missing or reordered event fails it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from ledger import cloudevents
from tests.support.decided import sealed_history

README = Path(__file__).resolve().parents[2] / "README.md"


def recipe() -> Callable[[list[dict[str, Any]]], None]:
    guide = README.read_text().split("## Integrating", 1)[1]
    block = re.search(r"```python\n(.*?)```", guide, re.S)
    assert block is not None, "the integrator's guide has lost its recipe"
    scope: dict[str, Any] = {}
    exec(compile(block.group(1), str(README), "exec"), scope)  # the README's own code
    return scope["check_stream"]  # type: ignore[no-any-return]  # defined by that code


def streams(lines: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        found.setdefault(line["subject"], []).append(line)
    return found


def structured() -> list[dict[str, Any]]:
    """As the feed and the export show them: JSON text, read back."""
    return [orjson.loads(orjson.dumps(cloudevents.to_structured(e))) for e in sealed_history()]


def binary() -> list[dict[str, Any]]:
    """As a Kafka consumer reads them: headers without ``ce_``, the value as ``data``."""
    read = []
    for envelope in sealed_history():
        record = cloudevents.to_binary(envelope)
        attributes = {n.removeprefix("ce_"): v.decode() for n, v in record.headers}
        read.append({**attributes, "data": orjson.loads(record.value)})
    return read


@pytest.mark.parametrize("read", [structured, binary])
def test_every_stream_passes_the_readmes_check(read: Callable[[], list[dict[str, Any]]]) -> None:
    check_stream = recipe()
    found = streams(read())
    assert len(found) > 100
    for events in found.values():
        check_stream(events)


def test_an_altered_a_missing_and_a_reordered_event_each_fail_it() -> None:
    check_stream = recipe()
    events = max(streams(structured()).values(), key=len)
    assert len(events) >= 3
    altered = [dict(e) for e in events]
    altered[1]["data"] = {**altered[1]["data"], "note": "changed"}
    cases = [
        (altered, "altered"),
        (events[:1] + events[2:], "not version 2"),
        ([events[1], events[0], *events[2:]], "not version 1"),
    ]
    for broken, why in cases:
        with pytest.raises(ValueError, match=why):
            check_stream(broken)
