"""Export: the log as CloudEvents JSON lines (structured mode) plus a manifest; reading them back.

The file lists every event in log order (area, partition, offset), one canonical JSON object
per line (sorted keys), so exporting, importing into an empty log of the same topology and
exporting again gives the same bytes. The manifest beside it (``FILE.manifest.json``, see
``ledger.audit.manifest``) says what the file holds.

Reading a line is strict: an export holds exactly the attributes ``export`` writes, each a JSON
string, so anything else is a reason the line is not an event, never an exception. Exports
written before events carried ``dataschema`` lack that attribute and read the same; a line
carries ``traceparent`` when its event does (events recorded while tracing was on), and reads
the same with it or without it.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from ledger.audit.files import create_beside, existing, publish, remove
from ledger.audit.manifest import ExchangeError, Manifest, manifest_path
from ledger.cloudevents import MalformedMessage, from_structured, to_structured
from ledger.envelope import Envelope
from ledger.log import EventLog, Position, TopicPartition

__all__ = [
    "ExchangeError",
    "Manifest",
    "count_lines",
    "encode_line",
    "encode_line_with",
    "export",
    "file_sha256",
    "manifest_path",
    "parse_line",
    "read_lines",
]

Progress = Callable[[int], None]

_ATTRIBUTES = frozenset(
    {
        "specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema",
        "streamversion",
        "schemaversion", "recordedat", "actor", "correlationid", "causationid", "prevhash", "hash",
        "idempotencykey", "traceparent", "data",
    }
)  # fmt: skip


def encode_line(event: Envelope) -> bytes:
    return orjson.dumps(to_structured(event), option=orjson.OPT_SORT_KEYS) + b"\n"


def encode_line_with(event: Envelope, dataschema: str | None) -> bytes:
    """The event's line with this ``dataschema``, or without one (as exports before it were)."""
    structured = to_structured(event)
    if dataschema is None:
        del structured["dataschema"]
    else:
        structured["dataschema"] = dataschema
    return orjson.dumps(structured, option=orjson.OPT_SORT_KEYS) + b"\n"


class _Spool:
    """Lines per topic-partition in temporary files, concatenated in log order at the end."""

    def __init__(self, near: Path) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="ledger-export-", dir=near))
        self._files: dict[TopicPartition, Any] = {}

    def add(self, tp: TopicPartition, line: bytes) -> None:
        if tp not in self._files:
            self._files[tp] = (self._dir / f"{len(self._files)}.jsonl").open("w+b")
        self._files[tp].write(line)

    def write_to(self, out: Path, topics: tuple[str, ...], manifest: Manifest, *, force: bool) -> None:
        """Concatenate the spools in log order into ``out``, then the manifest beside it.

        Both are written to temporary files of their own beside their targets and renamed only
        once complete, so a failed export leaves no half file behind, and nothing is written
        through a name someone else prepared."""
        order = {topic: i for i, topic in enumerate(topics)}
        digest = hashlib.sha256()
        data, data_path = create_beside(out)
        written: list[Path] = [data_path]
        try:
            with data:
                for tp in sorted(
                    self._files, key=lambda t: (order.get(t.topic, len(order)), t.topic, t.partition)
                ):
                    spool = self._files[tp]
                    spool.seek(0)
                    while chunk := spool.read(1 << 20):
                        data.write(chunk)
                        digest.update(chunk)
            manifest.sha256 = digest.hexdigest()
            target_manifest = manifest_path(out)
            body, body_path = create_beside(target_manifest)
            written.append(body_path)
            with body:
                body.write(manifest.to_json())
            publish(data_path, out, force=force)
            written[0] = out  # from here a failure takes the published file away again
            publish(body_path, target_manifest, force=force)
        except BaseException:
            remove(*written)
            raise

    def close(self) -> None:
        for spool in self._files.values():
            spool.close()
        shutil.rmtree(self._dir, ignore_errors=True)


async def export(
    log: EventLog, out: Path, *, force: bool = False, progress: Progress | None = None
) -> Manifest:
    """Write the whole log to ``out`` (and its manifest), in log order.

    Without ``force`` an existing ``out`` or manifest is refused (``ExchangeError``), before
    anything is read and again as the files are put in place."""
    if not force and (found := existing(out, manifest_path(out))):
        raise ExchangeError(f"{found[0]} exists (--force overwrites it)")
    spool = _Spool(out.parent)
    try:
        reader = await log.open_reader()
        try:
            end = await log.end_position()
            # A stream lives on one partition, so reading order is file order within a stream:
            # the manifest's stream heads can be counted now, before the spools are joined.
            manifest = Manifest(partitions=len({tp.partition for tp in end if tp.topic == log.topics[0]}))
            await reader.seek(Position.empty())
            while True:
                records = await reader.read(max_records=5000, timeout=0.2)
                for record in records:
                    event = record.envelope()
                    manifest.count(event)
                    spool.add(record.tp, encode_line(event))
                if progress and records:
                    progress(len(records))
                if not records and reader.position.covers(end):
                    break
        finally:
            await reader.close()
        spool.write_to(out, log.topics, manifest, force=force)
        return manifest
    finally:
        spool.close()


def parse_line(line: bytes) -> Envelope | str:
    """The event on one line of an export, or why the line is not one (never an exception)."""
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError as e:
        return f"not JSON: {e}"
    if not isinstance(raw, dict):
        return "not a JSON object"
    unknown = sorted(set(raw) - _ATTRIBUTES)
    if unknown:
        return f"attribute {unknown[0]!r} is not one an export writes"
    for name, value in raw.items():
        if name != "data" and not isinstance(value, str):
            return f"attribute {name!r} is not a string but {_json_kind(value)}"
    try:
        return from_structured(raw)
    except (MalformedMessage, ValueError) as e:  # parse_time turns an unrepresentable time into one
        return str(e)


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return "a number"
    return "an array" if isinstance(value, list) else "an object"


def read_lines(path: Path) -> Iterator[tuple[int, Envelope | str]]:
    """(line number, event) for each line; a line that is not an event yields why instead."""
    with path.open("rb") as source:
        for number, line in enumerate(source, start=1):
            yield number, parse_line(line)


def count_lines(path: Path) -> int:
    with path.open("rb") as source:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: source.read(1 << 20), b""))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
