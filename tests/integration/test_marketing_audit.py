"""Marketing, customers and plans through the auditors' surfaces: a history of a campaign with
spend, leads qualified, lost and won by an order, follow-ups with scores and objectives set,
replaced and retired, written by the real writer, is exported as CloudEvents, verified clean,
kept whole by the audit read model, imported into an empty log byte for byte, and rebuilt
there by ``ledger replay --compare`` equal to what was projected live.
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
from tests.support.marketing import MARKETING_EVENT_TYPES, MARKETING_HISTORY

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def write_history(pg_dsn: str, prefix: str) -> None:
    """The marketing history through the writer, every command accepted."""
    log = PostgresLog(pg_dsn, Topology(prefix, PARTITIONS), timeout=5)
    await log.start()
    writer = Writer(log)
    await writer.start()
    try:
        for name, body in MARKETING_HISTORY:
            await writer.submit(request(name, body))
    finally:
        await writer.stop()
        await log.close()


def test_a_marketing_history_exports_verifies_audits_and_comes_back_through_import(
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
    export = tmp_path / "marketing.jsonl"
    status, out, err = run(capsys, "export", "--out", str(export))
    assert status == 0, (out, err)
    lines = export.read_bytes().splitlines(keepends=True)
    exported = events(lines)
    assert {e.type for e in exported} >= MARKETING_EVENT_TYPES
    for line, event in zip(lines, exported, strict=True):
        parsed = JSONFormat().read(None, line)
        attributes = parsed.get_attributes()
        assert (attributes["type"], attributes["subject"]) == (event.type, event.stream)
        assert parsed.get_data() == event.data

    manifest = orjson.loads(manifest_path(export).read_bytes())
    marketing = [e for e in exported if e.stream.startswith(("campaign:", "lead:"))]
    assert manifest["areas"]["marketing"] == len(marketing) == 11
    assert Counter(e.type for e in marketing) == {
        "CampaignLaunched": 1,
        "CampaignSpendRecorded": 2,
        "LeadCaptured": 3,
        "LeadQualified": 2,
        "LeadLost": 2,
        "LeadWon": 1,
    }
    assert manifest["areas"]["customers"] == 2
    objectives = [e for e in exported if e.stream.startswith("objective:")]
    assert Counter(e.type for e in objectives) == {"ObjectiveSet": 3, "ObjectiveRetired": 1}
    assert manifest["areas"]["planning"] == len(objectives)

    launched = next(e for e in exported if e.type == "CampaignLaunched")
    assert (launched.data["starts_on"], launched.data["ends_on"], launched.data["budget"]) == (
        "2026-11-01",
        "2026-11-30",
        "1500.00",
    )
    placed = next(e for e in exported if e.type == "OrderPlaced" and e.data["order_id"] == "SO-M1")
    won = next(e for e in exported if e.type == "LeadWon")
    assert (placed.data["lead_id"], placed.data["campaign_id"]) == ("LD-M1", "CMP-M")
    assert won.data == {
        "lead_id": "LD-M1",
        "order_id": "SO-M1",
        "customer_id": "CUS-M",
        "campaign_id": "CMP-M",
    }
    assert won.correlation_id == placed.correlation_id  # one command, one append
    scored = next(e for e in exported if e.type == "FollowUpRecorded" and e.data["follow_up_id"] == "F-M1")
    assert (scored.data["csat"], scored.data["nps"], scored.data["complaint_id"]) == (4, 9, "C-M1")
    span = next(e for e in objectives if e.data.get("period") == "2026..2028")
    assert span.stream == "objective:OBJ-M2"

    status, live, _ = run(capsys, "verify")
    assert status == 0, live
    status, verified, _ = run(capsys, "verify", "--source", str(export))
    assert status == 0, verified
    assert verified == live

    audit = sql(
        pg_dsn, "SELECT schema_name FROM ledger_projections.live WHERE projection = $1", f"{prefix}:audit"
    )[0]["schema_name"]
    for stream, types in [
        ("lead:LD-M1", ["LeadCaptured", "LeadQualified", "LeadWon"]),
        ("campaign:CMP-M", ["CampaignLaunched", "CampaignSpendRecorded", "CampaignSpendRecorded"]),
        ("followup:F-M1", ["FollowUpRecorded"]),
        ("objective:OBJ-M1", ["ObjectiveSet", "ObjectiveSet"]),
        ("objective:OBJ-M2", ["ObjectiveSet", "ObjectiveRetired"]),
    ]:
        kept = sql(
            pg_dsn, f'SELECT envelope FROM "{audit}".events WHERE stream = $1 ORDER BY version', stream
        )
        assert [orjson.loads(r["envelope"])["type"] for r in kept] == types, stream

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
