"""The quality read model's tables and how a batch of facts lands in them.

Every table holds one row per fact (or per line of a fact), copied as it was recorded and
keyed naturally, so a redelivered fact changes nothing and any split of the log into batches
yields the same rows. Nothing here looks at another stream: an inspection's supplier through
its lot's receipt, and a complaint rate's shipped units, are joined when a query asks.

- ``inspections``: InspectionRecorded, by inspection id (unique by the write side's rule).
- ``inspection_defects``: its defect counts per category (repeated categories summed).
- ``receipts``: StockReceived that name a supplier, by stream and version.
- ``quarantines``: StockQuarantined, by stream and version; it names the lot a receipt
  without a lot id was quarantined as (the write side uses the receipt id).
- ``shipped_lines``: OrderShipped lines, by stream, version and line number.
- ``complaints``: ComplaintFiled, by complaint id (unique by the write side's rule).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import ClassVar

from ledger.envelope import Envelope
from ledger.store import Connection, Fact, q
from schemas import event_types
from schemas.inventory import StockQuarantined, StockReceived
from schemas.quality import InspectionRecorded
from schemas.sales import OrderShipped
from schemas.service import ComplaintFiled


class Quality:
    name: ClassVar[str] = "quality"
    version: ClassVar[int] = 1
    areas: ClassVar[tuple[str, ...]] = ("catalog", "quality", "sales", "inventory", "service")
    # What apply reads: a tenth of these topics' records. The rest is passed over undecoded.
    event_types: ClassVar[frozenset[str]] = event_types(
        InspectionRecorded, StockReceived, StockQuarantined, OrderShipped, ComplaintFiled
    )

    def ddl(self, schema: str) -> str:
        return f"""
        CREATE TABLE IF NOT EXISTS {q(schema, "inspections")} (
            inspection_id text PRIMARY KEY,
            lot_id text NOT NULL,
            sku text NOT NULL,
            supplier_id text,
            stage text NOT NULL,
            sample_size integer NOT NULL,
            defective_units integer NOT NULL,
            disposition text NOT NULL,
            occurred_at timestamptz NOT NULL,
            recorded_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS inspections_by_time ON {q(schema, "inspections")} (occurred_at);
        CREATE INDEX IF NOT EXISTS inspections_by_sku ON {q(schema, "inspections")} (sku, occurred_at);
        CREATE TABLE IF NOT EXISTS {q(schema, "inspection_defects")} (
            inspection_id text NOT NULL,
            category text NOT NULL,
            count bigint NOT NULL,
            PRIMARY KEY (inspection_id, category)
        );
        CREATE TABLE IF NOT EXISTS {q(schema, "receipts")} (
            stream text NOT NULL,
            version integer NOT NULL,
            receipt_id text NOT NULL,
            lot_id text,
            supplier_id text NOT NULL,
            PRIMARY KEY (stream, version)
        );
        CREATE INDEX IF NOT EXISTS receipts_by_lot ON {q(schema, "receipts")} (lot_id);
        CREATE INDEX IF NOT EXISTS receipts_by_id ON {q(schema, "receipts")} (stream, receipt_id);
        CREATE TABLE IF NOT EXISTS {q(schema, "quarantines")} (
            stream text NOT NULL,
            version integer NOT NULL,
            receipt_id text NOT NULL,
            lot_id text NOT NULL,
            PRIMARY KEY (stream, version)
        );
        CREATE INDEX IF NOT EXISTS quarantines_by_lot ON {q(schema, "quarantines")} (lot_id);
        CREATE TABLE IF NOT EXISTS {q(schema, "shipped_lines")} (
            stream text NOT NULL,
            version integer NOT NULL,
            line_no integer NOT NULL,
            sku text NOT NULL,
            qty numeric NOT NULL,
            occurred_at timestamptz NOT NULL,
            PRIMARY KEY (stream, version, line_no)
        );
        CREATE INDEX IF NOT EXISTS shipped_lines_by_time ON {q(schema, "shipped_lines")} (occurred_at);
        CREATE TABLE IF NOT EXISTS {q(schema, "complaints")} (
            complaint_id text PRIMARY KEY,
            sku text,
            occurred_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS complaints_by_time ON {q(schema, "complaints")} (occurred_at);
        """

    async def apply(self, conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
        await _inspections(
            conn, schema, [(f.envelope, f.event) for f in facts if isinstance(f.event, InspectionRecorded)]
        )
        await _receipts(
            conn,
            schema,
            [
                (f.envelope, f.event)
                for f in facts
                if isinstance(f.event, StockReceived) and f.event.supplier_id is not None
            ],
        )
        await _quarantines(
            conn, schema, [(f.envelope, f.event) for f in facts if isinstance(f.event, StockQuarantined)]
        )
        await _shipments(
            conn, schema, [(f.envelope, f.event) for f in facts if isinstance(f.event, OrderShipped)]
        )
        await _complaints(
            conn, schema, [(f.envelope, f.event) for f in facts if isinstance(f.event, ComplaintFiled)]
        )


async def _inspections(
    conn: Connection, schema: str, facts: list[tuple[Envelope, InspectionRecorded]]
) -> None:
    if not facts:
        return
    await conn.execute(
        f"INSERT INTO {q(schema, 'inspections')} (inspection_id, lot_id, sku, supplier_id, stage, "
        "sample_size, defective_units, disposition, occurred_at, recorded_at) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "
        "$6::integer[], $7::integer[], $8::text[], $9::timestamptz[], $10::timestamptz[]) "
        "ON CONFLICT DO NOTHING",
        [e.inspection_id for _, e in facts],
        [e.lot_id for _, e in facts],
        [e.sku for _, e in facts],
        [e.supplier_id for _, e in facts],
        [e.stage for _, e in facts],
        [e.sample_size for _, e in facts],
        [e.defective_units for _, e in facts],
        [e.disposition for _, e in facts],
        [env.occurred_at for env, _ in facts],
        [env.recorded_at for env, _ in facts],
    )
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for _, event in facts:
        for defect in event.defects:
            counts[(event.inspection_id, defect.category)] += defect.count
    if not counts:
        return
    # Keyed by inspection: a redelivered inspection brings the same sums, which the key ignores.
    await conn.execute(
        f"INSERT INTO {q(schema, 'inspection_defects')} (inspection_id, category, count) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) ON CONFLICT DO NOTHING",
        [inspection for inspection, _ in counts],
        [category for _, category in counts],
        list(counts.values()),
    )


async def _receipts(conn: Connection, schema: str, facts: list[tuple[Envelope, StockReceived]]) -> None:
    if not facts:
        return
    await conn.execute(
        f"INSERT INTO {q(schema, 'receipts')} (stream, version, receipt_id, lot_id, supplier_id) "
        "SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[], $5::text[]) "
        "ON CONFLICT DO NOTHING",
        [env.stream for env, _ in facts],
        [env.version for env, _ in facts],
        [e.receipt_id for _, e in facts],
        [e.lot_id for _, e in facts],
        [e.supplier_id for _, e in facts],
    )


async def _quarantines(conn: Connection, schema: str, facts: list[tuple[Envelope, StockQuarantined]]) -> None:
    if not facts:
        return
    await conn.execute(
        f"INSERT INTO {q(schema, 'quarantines')} (stream, version, receipt_id, lot_id) "
        "SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING",
        [env.stream for env, _ in facts],
        [env.version for env, _ in facts],
        [e.receipt_id for _, e in facts],
        [e.lot_id for _, e in facts],
    )


async def _shipments(conn: Connection, schema: str, facts: list[tuple[Envelope, OrderShipped]]) -> None:
    lines = [(env, line) for env, event in facts for line in event.lines]
    if not lines:
        return
    await conn.execute(
        f"INSERT INTO {q(schema, 'shipped_lines')} (stream, version, line_no, sku, qty, occurred_at) "
        "SELECT * FROM unnest($1::text[], $2::integer[], $3::integer[], $4::text[], $5::numeric[], "
        "$6::timestamptz[]) ON CONFLICT DO NOTHING",
        [env.stream for env, _ in lines],
        [env.version for env, _ in lines],
        [line.line_no for _, line in lines],
        [line.sku for _, line in lines],
        [line.qty for _, line in lines],
        [env.occurred_at for env, _ in lines],
    )


async def _complaints(conn: Connection, schema: str, facts: list[tuple[Envelope, ComplaintFiled]]) -> None:
    if not facts:
        return
    await conn.execute(
        f"INSERT INTO {q(schema, 'complaints')} (complaint_id, sku, occurred_at) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[]) ON CONFLICT DO NOTHING",
        [e.complaint_id for _, e in facts],
        [e.sku for _, e in facts],
        [env.occurred_at for env, _ in facts],
    )
