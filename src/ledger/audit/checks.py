"""Verifying a whole history, a live log or an export file, in one pass with progress."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson

from ledger.audit.exchange import count_lines, encode_line, encode_line_with, parse_line
from ledger.audit.importing import Fingerprint
from ledger.audit.manifest import Manifest
from ledger.audit.verify import LineOrder, Verification
from ledger.envelope import Envelope
from ledger.log import EventLog, Position
from ledger.progress import Meter

_BATCH = 5000


async def verify_log(log: EventLog, meter: Meter) -> Verification:
    """Every message of every topic, in log order, up to where the log ends now."""
    verification = Verification()
    end = await log.end_position()
    meter.start("verify", sum(end.values()))
    reader = await log.open_reader()
    try:
        await reader.seek(Position.empty())
        while True:
            records = await reader.read(max_records=_BATCH, timeout=0.2)
            for record in records:
                verification.check_record(record, log)
            meter.update(verification.events + verification.unreadable_messages)
            if not records and reader.position.covers(end):
                return verification
    finally:
        await reader.close()
        meter.stop()


def verify_file(
    path: Path, meter: Meter, manifest: Manifest | None, *, fingerprint: Fingerprint | None = None
) -> Verification:
    """Every line of an export, then the whole against its manifest when there is one.

    A ``fingerprint`` records the bytes as they were read, for an import to append only those."""
    verification = Verification()
    order = LineOrder(manifest.partitions) if manifest and manifest.partitions else None
    digest = hashlib.sha256()
    meter.start("verify", manifest.events if manifest else count_lines(path))
    try:
        with path.open("rb") as source:
            for number, line in enumerate(source, start=1):
                digest.update(line)
                if fingerprint is not None:
                    fingerprint.add(line)
                item = parse_line(line)
                if isinstance(item, str):
                    verification.unreadable(f"line {number}", item)
                else:
                    verification.check(item, f"line {number}")
                    _canonical(item, line, f"line {number}", verification)
                    if order is not None:
                        order.add(item, f"line {number}", verification)
                if number % _BATCH == 0:
                    meter.update(number)
            meter.update(verification.events)
    finally:
        meter.stop()
    if fingerprint is not None:
        fingerprint.finish()
    if manifest is not None:
        verification.check_manifest(manifest, digest.hexdigest())
    return verification


def _canonical(event: Envelope, line: bytes, where: str, verification: Verification) -> None:
    """An export writes each event one way only; any other spelling of it was made by hand.

    Exports written before events carried ``dataschema`` have none, and are spelled as they
    were; a ``dataschema`` that does not point at the event's own schema is named as such."""
    try:
        written = encode_line(event)
        if written == line:
            return
        said = orjson.loads(line).get("dataschema")  # parse_line took it: an object of strings
        verification.dataschema(event, said, where)
        written = encode_line_with(event, said)
    except (ValueError, TypeError, OverflowError) as e:
        verification.find(event, f"cannot be written back as an export line: {e}", where)
        return
    if written != line:
        verification.find(
            event,
            "not spelled as an export writes it (attributes as strings, sorted keys, times in UTC "
            "with six decimals, one event per line): the line was edited",
            where,
        )
