"""What every recorded envelope looks like, whatever its event: the checks before the chain.

The writer only ever records ids, names and hashes of a known form, versions from 1 and
business times inside the window of ``schemas.types``. An envelope read from a file or a log
that is not of that form was not written by it, and some such values (a non-ASCII
``prevhash``, a version beyond 64 bits) could not even be hashed or stored again: each is a
finding, named here in words. A ``traceparent``, outside the hash, is checked for its syntax
alone (a W3C trace context): no trace it names can be checked.
"""

from __future__ import annotations

import re

from ledger.envelope import Envelope
from schemas import area_of_stream
from schemas.types import EARLIEST_TIME, LATEST_TIME

MAX_VERSION = 2**31 - 1  # stream and schema versions fit the read models' integer columns
MAX_TEXT = 1000  # the longest id, name or key an envelope carries (streams are far shorter)
_SHA256 = re.compile(r"[0-9a-f]{64}")
# W3C Trace Context: version-traceid-parentid-flags, lower-case hex; a later version may add fields.
_TRACEPARENT = re.compile(
    r"(?!ff)([0-9a-f]{2})-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}(-[!-~]*)?"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def envelope_problems(event: Envelope) -> list[str]:
    """Why ``event`` is not an envelope the writer could have recorded (empty when it is)."""
    problems = [
        problem
        for name, value in (
            ("event id", event.id),
            ("type", event.type),
            ("stream id", event.stream),
            ("actor", event.actor),
            ("correlation id", event.correlation_id),
            ("causation id", event.causation_id),
            ("idempotency key", event.idempotency_key),
        )
        if (problem := _text_problem(name, value))
    ]
    try:
        area_of_stream(event.stream)
    except ValueError as e:
        problems.append(f"stream id: {e}")
    for name, number in (("stream version", event.version), ("schema version", event.schema_version)):
        if not 1 <= number <= MAX_VERSION:
            problems.append(f"{name} {number} out of range 1..{MAX_VERSION}")
    if not _SHA256.fullmatch(event.hash):
        problems.append("hash is not a SHA-256 digest (64 lower-case hex digits)")
    if event.prevhash and not _SHA256.fullmatch(event.prevhash):
        problems.append("prevhash is not a SHA-256 digest (64 lower-case hex digits), nor empty")
    for name, moment in (("business time", event.occurred_at), ("recorded time", event.recorded_at)):
        if not EARLIEST_TIME <= moment < LATEST_TIME:
            problems.append(f"{name} {moment.isoformat()} outside 1900-01-01..3000-01-01 (UTC)")
    if event.traceparent is not None and not _is_traceparent(event.traceparent):
        problems.append("traceparent is not a W3C trace context (00-<32 hex>-<16 hex>-<2 hex>)")
    return problems


def _is_traceparent(value: str) -> bool:
    found = _TRACEPARENT.fullmatch(value) if len(value) <= MAX_TEXT else None
    return found is not None and (found[1] != "00" or found[2] is None)  # version 00 has four fields


def _text_problem(name: str, value: str | None) -> str:
    if value is None:
        return ""
    if not value:
        return f"{name} is empty"
    if len(value) > MAX_TEXT:
        return f"{name} is {len(value)} characters long (at most {MAX_TEXT})"
    if _CONTROL.search(value):
        return f"{name} holds control characters"
    return ""


def printable(text: str, limit: int) -> str:
    """``text`` on one line for a terminal: cut at ``limit`` characters, every character that
    is not printable (line breaks, escapes, bidirectional overrides) spelled as an escape."""
    shown = text if len(text) <= limit else f"{text[:limit]}..."
    if shown.isprintable():
        return shown
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in shown)
