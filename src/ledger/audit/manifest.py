"""The manifest beside an export (``FILE.manifest.json``): what the file holds, read strictly.

It holds the counts per area, each stream's head (version, hash, event id), the partitions per
topic of the log the file came from and the file's SHA-256: together they let an auditor prove
that nothing was added, removed or altered, even at a stream's end.

A manifest is input like any other. Every field is checked for its type and range as it is
loaded, so a hostile one is refused with a reason (``ExchangeError``), never half-used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ledger.audit.shape import MAX_VERSION, printable
from ledger.envelope import Envelope
from schemas import area_of_stream

FORMAT = "ledger-export/1"
MAX_PARTITIONS = 1024  # the most LEDGER_PARTITIONS allows
MAX_COUNT = 2**63 - 1
SHA256_PATTERN = r"^[0-9a-f]{64}$"


class ExchangeError(Exception):
    """An export or import that cannot be done; the message says why."""


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".manifest.json")


@dataclass
class Head:
    """A stream's last event: where the stream ends."""

    version: int
    hash: str
    event_id: str


@dataclass
class Manifest:
    """What an export holds: counts per area, each stream's head, the partitions per topic of
    the log it came from (the file's line order follows them) and the SHA-256 of the file."""

    events: int = 0
    areas: dict[str, int] = field(default_factory=dict)
    streams: dict[str, Head] = field(default_factory=dict)
    sha256: str = ""
    partitions: int = 0  # 0: the log had no partition to count (an empty log)

    def count(self, event: Envelope) -> None:
        self.events += 1
        area = area_of_stream(event.stream)
        self.areas[area] = self.areas.get(area, 0) + 1
        self.streams[event.stream] = Head(event.version, event.hash, event.id)

    def to_json(self) -> bytes:
        body = {
            "format": FORMAT,
            "events": self.events,
            "areas": self.areas,
            "streams": {
                stream: {"version": h.version, "hash": h.hash, "id": h.event_id}
                for stream, h in self.streams.items()
            },
            "sha256": self.sha256,
            "partitions": self.partitions,
        }
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"

    @classmethod
    def load(cls, path: Path) -> Manifest:
        if not path.is_file():
            raise ExchangeError(f"manifest {path} is not a regular file")
        try:
            raw = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as e:
            raise ExchangeError(f"manifest {path} unreadable: {e}") from e
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ExchangeError(f"manifest {path} is not a {FORMAT} manifest")
        try:
            body = _ManifestFile.model_validate(raw)
        except ValidationError as e:
            first = e.errors(include_url=False)[0]
            where = printable(".".join(str(part) for part in first["loc"]), 200)
            raise ExchangeError(f"manifest {path} is malformed: {where}: {first['msg']}") from None
        return cls(
            body.events,
            dict(body.areas),
            {stream: Head(h.version, h.hash, h.id) for stream, h in body.streams.items()},
            body.sha256,
            body.partitions,
        )


_Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]


class _StreamHead(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    version: int = Field(ge=1, le=MAX_VERSION)
    hash: str = Field(pattern=SHA256_PATTERN)
    id: str = Field(min_length=1, max_length=200)


class _ManifestFile(BaseModel):
    """The manifest as ``Manifest.to_json`` writes it, and nothing else."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    format: Literal["ledger-export/1"]
    events: _Count
    areas: dict[str, _Count]
    streams: dict[str, _StreamHead]
    sha256: str = Field(pattern=SHA256_PATTERN)
    partitions: int = Field(ge=0, le=MAX_PARTITIONS)
