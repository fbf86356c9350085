"""Reading and tampering with export files, for the audit tests."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

from ledger.audit.exchange import encode_line, manifest_path, parse_line
from ledger.envelope import Envelope


def events(lines: list[bytes]) -> list[Envelope]:
    parsed = [parse_line(line) for line in lines]
    assert all(isinstance(e, Envelope) for e in parsed)
    return [e for e in parsed if isinstance(e, Envelope)]


def write_copy(lines: list[bytes], original: Path, out: Path, *, manifest: bool = True) -> Path:
    """``lines`` as an export file at ``out``, with the original's manifest beside it (unchanged)."""
    out.write_bytes(b"".join(lines))
    if manifest:
        manifest_path(out).write_bytes(manifest_path(original).read_bytes())
    return out


def line_of(event: Envelope) -> bytes:
    return encode_line(event)


def with_data(event: Envelope, **changes: Any) -> Envelope:
    return replace(event, data={**event.data, **changes})


def raw(line: bytes) -> dict[str, Any]:
    loaded = orjson.loads(line)
    assert isinstance(loaded, dict)
    return loaded
