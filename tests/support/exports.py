"""Export files for the audit tests: a real history exported by the CLI, read and tampered with.

The CLI is called as the console script calls it, ``main(argv)``, with the settings in the
environment (``settings_env``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog

from ledger.audit.exchange import encode_line, manifest_path, parse_line
from ledger.cli import main
from ledger.envelope import Envelope
from ledger.log.kafka import KafkaLog
from ledger.log.postgres import PostgresLog
from ledger.log.topology import Topology

PARTITIONS = 2
NOW = "2026-11-20T12:00:00+00:00"


@dataclass(frozen=True)
class History:
    prefix: str
    export: Path
    lines: list[bytes]

    @property
    def events(self) -> list[Envelope]:
        return events(self.lines)


def settings_env(monkeypatch: pytest.MonkeyPatch, pg_dsn: str, prefix: str, kafka: str | None = None) -> None:
    """The settings every ``ledger`` command reads: ``prefix``'s log on PostgreSQL, or on Kafka."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", pg_dsn)
    monkeypatch.setenv("LEDGER_TOPIC_PREFIX", prefix)
    monkeypatch.setenv("LEDGER_PARTITIONS", str(PARTITIONS))
    monkeypatch.delenv("LEDGER_TIMEZONE", raising=False)
    if kafka is None:
        monkeypatch.delenv("LEDGER_KAFKA_BOOTSTRAP", raising=False)
    else:
        monkeypatch.setenv("LEDGER_KAFKA_BOOTSTRAP", kafka)


def exported_history(pg_dsn: str, prefix: str, out: Path, *, days: int) -> History:
    """A demo history of ``days`` loaded into ``prefix``'s PostgreSQL log, then exported to ``out``."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        settings_env(monkeypatch, pg_dsn, prefix)
        assert main(["demo", "--days", str(days), "--now", NOW]) == 0
        assert main(["export", "--out", str(out)]) == 0
    structlog.reset_defaults()  # the CLI configured logging for its process; tests share one
    return History(prefix, out, out.read_bytes().splitlines(keepends=True))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err


def messages_in_log(prefix: str, pg_dsn: str, kafka: str | None = None) -> int:
    """How many messages ``prefix``'s log holds, read through the log's own interface."""

    async def count() -> int:
        topology = Topology(prefix, PARTITIONS)
        log = KafkaLog(kafka, topology, timeout=5) if kafka else PostgresLog(pg_dsn, topology, timeout=5)
        await log.start()
        try:
            return sum((await log.end_position()).offsets.values())
        finally:
            await log.close()

    return asyncio.run(count())


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
