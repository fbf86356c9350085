"""The purchasing read model's tables and how a batch of facts lands in them.

Every table holds one row per fact (or per line of a fact), copied as recorded and keyed by
the fact's own ids, so a redelivered fact changes nothing and any split of the log into
batches, however the streams interleave, yields the same rows. Nothing here looks at another
stream: a line's received and cancelled quantities, and an inspected lot's supplier, are
joined when a query asks, at the ``as_of`` it asks for.

- ``orders``: PurchaseOrderPlaced, by po id (unique by the write side's rule), with the
  business time it was placed at.
- ``order_lines``: its lines, by po id and line number.
- ``receipts``: PurchaseOrderReceived, by po id and stream version.
- ``cancellations``: PurchaseOrderCancelled, by po id and stream version.
- ``cancelled_lines``: the remainders a cancellation took, by po id, version and line.
- ``lot_receipts``: StockReceived that name a supplier, by stock stream and version, with
  the lot received: its ``lot_id``, or its ``receipt_id`` when it named none (the lot the
  write side quarantines it as).
- ``inspections``: incoming InspectionRecorded, by inspection id (unique by the write side).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from ledger.store import Connection, Fact, q
from schemas import event_types
from schemas.inventory import StockReceived
from schemas.purchasing import PurchaseOrderCancelled, PurchaseOrderPlaced, PurchaseOrderReceived
from schemas.quality import InspectionRecorded


class Purchasing:
    name: ClassVar[str] = "purchasing"
    version: ClassVar[int] = 1
    areas: ClassVar[tuple[str, ...]] = ("purchasing", "inventory", "quality")
    # What apply reads; the rest of these topics is passed over undecoded.
    event_types: ClassVar[frozenset[str]] = event_types(
        PurchaseOrderPlaced, PurchaseOrderReceived, PurchaseOrderCancelled, StockReceived, InspectionRecorded
    )

    def ddl(self, schema: str) -> str:
        return f"""
        CREATE TABLE IF NOT EXISTS {q(schema, "orders")} (
            po_id text PRIMARY KEY,
            supplier_id text NOT NULL,
            deliver_to text NOT NULL,
            currency text NOT NULL,
            expected_at timestamptz NOT NULL,
            total numeric NOT NULL,
            placed_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS orders_by_supplier ON {q(schema, "orders")} (supplier_id, po_id);
        CREATE INDEX IF NOT EXISTS orders_by_expected ON {q(schema, "orders")} (expected_at);
        CREATE TABLE IF NOT EXISTS {q(schema, "order_lines")} (
            po_id text NOT NULL,
            line_no integer NOT NULL,
            sku text NOT NULL,
            ordered numeric NOT NULL,
            unit_cost numeric NOT NULL,
            PRIMARY KEY (po_id, line_no)
        );
        CREATE TABLE IF NOT EXISTS {q(schema, "receipts")} (
            po_id text NOT NULL,
            version integer NOT NULL,
            po_line integer NOT NULL,
            receipt_id text NOT NULL,
            qty numeric NOT NULL,
            occurred_at timestamptz NOT NULL,
            PRIMARY KEY (po_id, version)
        );
        CREATE INDEX IF NOT EXISTS receipts_by_line ON {q(schema, "receipts")} (po_id, po_line);
        CREATE TABLE IF NOT EXISTS {q(schema, "cancellations")} (
            po_id text NOT NULL,
            version integer NOT NULL,
            occurred_at timestamptz NOT NULL,
            PRIMARY KEY (po_id, version)
        );
        CREATE TABLE IF NOT EXISTS {q(schema, "cancelled_lines")} (
            po_id text NOT NULL,
            version integer NOT NULL,
            line_no integer NOT NULL,
            qty numeric NOT NULL,
            PRIMARY KEY (po_id, version, line_no)
        );
        CREATE TABLE IF NOT EXISTS {q(schema, "lot_receipts")} (
            stream text NOT NULL,
            version integer NOT NULL,
            lot_id text NOT NULL,
            supplier_id text NOT NULL,
            PRIMARY KEY (stream, version)
        );
        CREATE INDEX IF NOT EXISTS lot_receipts_by_lot ON {q(schema, "lot_receipts")} (lot_id, supplier_id);
        CREATE TABLE IF NOT EXISTS {q(schema, "inspections")} (
            inspection_id text PRIMARY KEY,
            lot_id text NOT NULL,
            sample_size integer NOT NULL,
            defective_units integer NOT NULL,
            disposition text NOT NULL,
            occurred_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS inspections_by_time ON {q(schema, "inspections")} (occurred_at);
        """

    async def apply(self, conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
        await _orders(conn, schema, facts)
        await _receipts(conn, schema, facts)
        await _cancellations(conn, schema, facts)
        await _lot_receipts(conn, schema, facts)
        await _inspections(conn, schema, facts)


async def _orders(conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
    placed = [(f.envelope, f.event) for f in facts if isinstance(f.event, PurchaseOrderPlaced)]
    if not placed:
        return
    await conn.execute(
        f"INSERT INTO {q(schema, 'orders')} "
        "(po_id, supplier_id, deliver_to, currency, expected_at, total, placed_at) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], "
        "$6::numeric[], $7::timestamptz[]) ON CONFLICT DO NOTHING",
        [e.po_id for _, e in placed],
        [e.supplier_id for _, e in placed],
        [e.deliver_to for _, e in placed],
        [e.currency for _, e in placed],
        [e.expected_at for _, e in placed],
        [e.total for _, e in placed],
        [env.occurred_at for env, _ in placed],
    )
    lines = [(e.po_id, line) for _, e in placed for line in e.lines]
    await conn.execute(
        f"INSERT INTO {q(schema, 'order_lines')} (po_id, line_no, sku, ordered, unit_cost) "
        "SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::numeric[], $5::numeric[]) "
        "ON CONFLICT DO NOTHING",
        [po_id for po_id, _ in lines],
        [line.line_no for _, line in lines],
        [line.sku for _, line in lines],
        [line.qty for _, line in lines],
        [line.unit_cost for _, line in lines],
    )


async def _receipts(conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
    received = [(f.envelope, f.event) for f in facts if isinstance(f.event, PurchaseOrderReceived)]
    if not received:
        return
    await conn.execute(
        f"INSERT INTO {q(schema, 'receipts')} (po_id, version, po_line, receipt_id, qty, occurred_at) "
        "SELECT * FROM unnest($1::text[], $2::integer[], $3::integer[], $4::text[], $5::numeric[], "
        "$6::timestamptz[]) ON CONFLICT DO NOTHING",
        [e.po_id for _, e in received],
        [env.version for env, _ in received],
        [e.po_line for _, e in received],
        [e.receipt_id for _, e in received],
        [e.qty for _, e in received],
        [env.occurred_at for env, _ in received],
    )


async def _cancellations(conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
    cancelled = [(f.envelope, f.event) for f in facts if isinstance(f.event, PurchaseOrderCancelled)]
    if not cancelled:
        return
    await conn.execute(
        f"INSERT INTO {q(schema, 'cancellations')} (po_id, version, occurred_at) "
        "SELECT * FROM unnest($1::text[], $2::integer[], $3::timestamptz[]) ON CONFLICT DO NOTHING",
        [e.po_id for _, e in cancelled],
        [env.version for env, _ in cancelled],
        [env.occurred_at for env, _ in cancelled],
    )
    lines = [(env.version, e.po_id, line) for env, e in cancelled for line in e.lines]
    await conn.execute(
        f"INSERT INTO {q(schema, 'cancelled_lines')} (po_id, version, line_no, qty) "
        "SELECT * FROM unnest($1::text[], $2::integer[], $3::integer[], $4::numeric[]) "
        "ON CONFLICT DO NOTHING",
        [po_id for _, po_id, _ in lines],
        [version for version, _, _ in lines],
        [line.line_no for _, _, line in lines],
        [line.qty for _, _, line in lines],
    )


async def _lot_receipts(conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
    received = [
        (f.envelope, f.event)
        for f in facts
        if isinstance(f.event, StockReceived) and f.event.supplier_id is not None
    ]
    if not received:
        return
    await conn.execute(
        f"INSERT INTO {q(schema, 'lot_receipts')} (stream, version, lot_id, supplier_id) "
        "SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING",
        [env.stream for env, _ in received],
        [env.version for env, _ in received],
        [e.lot_id or e.receipt_id for _, e in received],
        [e.supplier_id for _, e in received],
    )


async def _inspections(conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
    inspected = [
        (f.envelope, f.event)
        for f in facts
        if isinstance(f.event, InspectionRecorded) and f.event.stage == "incoming"
    ]
    if not inspected:
        return
    await conn.execute(
        f"INSERT INTO {q(schema, 'inspections')} "
        "(inspection_id, lot_id, sample_size, defective_units, disposition, occurred_at) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::integer[], $5::text[], "
        "$6::timestamptz[]) ON CONFLICT DO NOTHING",
        [e.inspection_id for _, e in inspected],
        [e.lot_id for _, e in inspected],
        [e.sample_size for _, e in inspected],
        [e.defective_units for _, e in inspected],
        [e.disposition for _, e in inspected],
        [env.occurred_at for env, _ in inspected],
    )
