"""The event envelope of API.md, its canonical bytes and the per-stream hash chain.

The canonical encoding is what the hash covers, so it must never change for an event
already written: orjson with sorted keys, decimals already strings inside ``data``, and
times as UTC RFC 3339 with a four-digit year, exactly six fractional digits and a ``Z``.

``data`` is encoded once: its canonical JSON (``data_json``) is spliced into the hashed
bytes as it is, and the writer's log records carry the very same bytes as their value.

``traceparent`` (the W3C trace context of the command that caused the event, written only
while tracing is on) travels with the event but is no part of what it records: it is outside
the canonical bytes, so an event hashes the same with it, without it, or with another.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds: one spelling per instant, so hashes are stable."""
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return _format_utc(moment)


@lru_cache(maxsize=1024)
def _format_utc(moment: datetime) -> str:
    # Cached: a batch's events share their recorded time and often their business time, and
    # each is spelled four times (hash, then headers). Built from the fields, not strftime:
    # strftime's %Y writes year 999 as "999" on Linux, which no RFC 3339 reader takes back.
    u = moment.astimezone(UTC)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
        f".{u.microsecond:06d}Z"
    )


def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 time; a naive one is refused rather than guessed.

    Whatever the text, the only error is a ValueError: readers of the log and of export
    files turn it into a finding or a parked message, never a crash.
    """
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is UTC:  # as we write them: nothing to convert
            return moment
        if moment.tzinfo is None:
            raise ValueError(f"time without offset: {text!r}")
        return moment.astimezone(UTC)
    except (TypeError, OverflowError) as e:  # not text at all, or beyond what datetime holds in UTC
        raise ValueError(f"not a representable RFC 3339 time: {text!r}") from e


@dataclass(slots=True)
class Envelope:
    """One recorded event: the facts about the event around its JSON ``data``.

    Never changed once built (``dataclasses.replace`` makes another), yet not a frozen
    dataclass: building a frozen one costs a microsecond more, on every event written and
    every event read.
    """

    id: str
    type: str
    schema_version: int
    stream: str
    version: int
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    correlation_id: str
    causation_id: str
    idempotency_key: str | None
    prevhash: str
    hash: str
    data: dict[str, Any]
    traceparent: str | None = None  # outside the hash (see the module docstring)
    # ``data_json()`` once computed; not an argument, so ``replace(e, data=...)`` starts afresh.
    _data_json: bytes | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def seal(
        cls,
        *,
        id: str,
        type: str,
        schema_version: int,
        stream: str,
        version: int,
        occurred_at: datetime,
        recorded_at: datetime,
        actor: str,
        correlation_id: str,
        causation_id: str,
        idempotency_key: str | None,
        prevhash: str,
        data: dict[str, Any],
    ) -> Envelope:
        """A new envelope with its ``hash``, built once (``sealed`` builds two)."""
        envelope = cls(
            id, type, schema_version, stream, version, occurred_at, recorded_at, actor,
            correlation_id, causation_id, idempotency_key, prevhash, "", data,
        )  # fmt: skip
        envelope.hash = envelope.compute_hash()  # before anyone else holds it
        return envelope

    def data_json(self) -> bytes:
        """``data`` as canonical JSON (sorted keys): the part of the hashed bytes that is data."""
        encoded = self._data_json
        if encoded is None:
            encoded = orjson.dumps(self.data, option=orjson.OPT_SORT_KEYS)
            self._data_json = encoded
        return encoded

    def canonical_bytes(self) -> bytes:
        """The bytes the hash covers: every field but ``hash`` itself (and ``traceparent``)."""
        fields = self._hashed_fields()
        fields["data"] = orjson.Fragment(self.data_json())  # sorted itself: as orjson would write it
        return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)

    def compute_hash(self) -> str:
        return chain_hash(self.prevhash, self.canonical_bytes())

    def sealed(self) -> Envelope:
        """This envelope with ``hash`` computed from its other fields."""
        return replace(self, hash=self.compute_hash())

    def to_dict(self) -> dict[str, Any]:
        """The whole envelope as API.md shows it (audit routes); ``traceparent`` is no field of it."""
        fields = self._hashed_fields()
        fields["hash"] = self.hash
        return fields

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Envelope:
        return cls(
            id=str(raw["id"]),
            type=str(raw["type"]),
            schema_version=int(raw["schema_version"]),
            stream=str(raw["stream"]),
            version=int(raw["version"]),
            occurred_at=parse_time(str(raw["occurred_at"])),
            recorded_at=parse_time(str(raw["recorded_at"])),
            actor=str(raw["actor"]),
            correlation_id=str(raw["correlation_id"]),
            causation_id=str(raw["causation_id"]),
            idempotency_key=None if raw.get("idempotency_key") is None else str(raw["idempotency_key"]),
            prevhash=str(raw["prevhash"]),
            hash=str(raw["hash"]),
            data=dict(raw["data"]),
        )

    def _hashed_fields(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "schema_version": self.schema_version,
            "stream": self.stream,
            "version": self.version,
            "occurred_at": format_time(self.occurred_at),
            "recorded_at": format_time(self.recorded_at),
            "actor": self.actor,
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
            "idempotency_key": self.idempotency_key,
            "prevhash": self.prevhash,
            "data": self.data,
        }


def chain_hash(prevhash: str, canonical: bytes) -> str:
    """``sha256(prevhash || canonical bytes)`` as lower-case hex."""
    digest = hashlib.sha256(prevhash.encode("ascii"))
    digest.update(canonical)
    return digest.hexdigest()


def chain_breaks(events: list[Envelope]) -> list[tuple[Envelope, str]]:
    """Every event of one stream's ordered list that breaks versions or the chain, with why."""
    findings: list[tuple[Envelope, str]] = []
    expected_prev = ""
    for expected_version, event in enumerate(events, start=1):
        if event.version != expected_version:
            findings.append((event, f"version {event.version}, expected {expected_version}"))
        if event.prevhash != expected_prev:
            findings.append((event, "prevhash does not match the previous event's hash"))
        if event.compute_hash() != event.hash:
            findings.append((event, "hash does not match the event's content"))
        expected_prev = event.hash
    return findings
