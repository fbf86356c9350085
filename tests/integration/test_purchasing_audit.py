"""Purchasing through the auditors' surfaces: a history of purchase orders received in parts,
a cancellation and deliveries, written by the real writer, is exported as CloudEvents, verified
clean, kept whole by the audit read model, imported into an empty log byte for byte, and
rebuilt there by ``ledger replay --compare`` equal to what was projected live.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import orjson
import pytest
import structlog

from ledger.audit.exchange import manifest_path
from ledger.log.postgres import PostgresLog
from ledger.log.topology import Topology
from ledger.writer import Writer
from tests.integration.test_audit_cli import project_to_end, sql
from tests.support.commands import request
from tests.support.exports import PARTITIONS, events, run, settings_env
from tests.support.purchasing import PURCHASING_EVENT_TYPES, PURCHASING_HISTORY

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def write_history(pg_dsn: str, prefix: str) -> None:
    """The purchasing history through the writer, every command accepted."""
    log = PostgresLog(pg_dsn, Topology(prefix, PARTITIONS), timeout=5)
    await log.start()
    writer = Writer(log)
    await writer.start()
    try:
        for name, body in PURCHASING_HISTORY:
            await writer.submit(request(name, body))
    finally:
        await writer.stop()
        await log.close()


def test_a_purchasing_history_exports_verifies_audits_and_comes_back_through_import(
    monkeypatch: pytest.MonkeyPatch,
    pg_dsn: str,
    prefix: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from cloudevents.core.formats.json import JSONFormat

    asyncio.run(write_history(pg_dsn, prefix))
    settings_env(monkeypatch, pg_dsn, prefix)
    asyncio.run(project_to_end(pg_dsn, prefix))
    export = tmp_path / "purchasing.jsonl"
    status, out, err = run(capsys, "export", "--out", str(export))
    assert status == 0, (out, err)
    lines = export.read_bytes().splitlines(keepends=True)
    exported = events(lines)
    assert {e.type for e in exported} >= PURCHASING_EVENT_TYPES
    for line, event in zip(lines, exported, strict=True):
        parsed = JSONFormat().read(None, line)
        assert (parsed.get_attributes()["type"], parsed.get_attributes()["subject"]) == (
            event.type,
            event.stream,
        )
        assert parsed.get_data() == event.data
    manifest = orjson.loads(manifest_path(export).read_bytes())
    po_events = [e for e in exported if e.stream.startswith("po:")]
    assert manifest["areas"]["purchasing"] == len(po_events) == 6
    assert Counter(e.type for e in po_events) == {
        "PurchaseOrderPlaced": 2,
        "PurchaseOrderReceived": 3,
        "PurchaseOrderCancelled": 1,
    }
    received = next(e for e in exported if e.type == "StockReceived" and e.data["receipt_id"] == "R-P2")
    assert (received.data["po_id"], received.data["value"], received.data["unit_cost_after"]) == (
        "PO-P1",
        "28.80",
        "7.2000",
    )

    status, live, _ = run(capsys, "verify")
    assert status == 0, live
    status, verified, _ = run(capsys, "verify", "--source", str(export))
    assert status == 0, verified
    assert verified == live

    audit = sql(
        pg_dsn, "SELECT schema_name FROM ledger_projections.live WHERE projection = $1", f"{prefix}:audit"
    )[0]["schema_name"]
    kept = sql(
        pg_dsn, f'SELECT envelope FROM "{audit}".events WHERE stream = $1 ORDER BY version', "po:PO-P1"
    )
    assert [orjson.loads(r["envelope"])["type"] for r in kept] == [
        "PurchaseOrderPlaced",
        "PurchaseOrderReceived",
        "PurchaseOrderReceived",
        "PurchaseOrderCancelled",
    ]

    monkeypatch.setenv("LEDGER_TOPIC_PREFIX", f"{prefix}i")  # an empty log of its own
    status, out, _ = run(capsys, "import", str(export))
    assert status == 0, out
    again = tmp_path / "again.jsonl"
    assert run(capsys, "export", "--out", str(again))[0] == 0
    assert again.read_bytes() == export.read_bytes()
    asyncio.run(project_to_end(pg_dsn, f"{prefix}i"))
    status, out, _ = run(capsys, "replay", "--compare")
    assert status == 0, out
    assert out[-1] == "replay --compare: all equal"
    structlog.reset_defaults()  # the CLI configured logging for its process; tests share one
