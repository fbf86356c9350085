"""Open purchase order quantities, as the inventory read model keeps them: ``on_order``.

- ``po_lines``: one row per placed PO line, keyed by (po_id, line_no): its sku, the location it
  is delivered to, its supplier and when (and where in its stream) the PO was placed.
- ``po_moves``: one row per PO event per line it touches, keyed by (event_id, line_no), with the
  change of the line's open quantity (ordered +, received -, cancelled -) and its business time.

A line's open quantity at any business time is a sum over its moves, and the (sku, location)
it counts for is joined from ``po_lines`` at query time: a cancellation names no location, and
joining when read rather than when applied keeps the tables free of any dependence on how the
facts were split into batches. Redelivered facts insert nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ledger.store import Connection, Fact, q
from schemas import Event
from schemas.purchasing import PurchaseOrderCancelled, PurchaseOrderPlaced, PurchaseOrderReceived

PURCHASE_EVENTS: tuple[type[Event], ...] = (
    PurchaseOrderPlaced,
    PurchaseOrderReceived,
    PurchaseOrderCancelled,
)
"""Every purchasing event that moves an open quantity."""

DDL = """
CREATE TABLE IF NOT EXISTS {po_lines} (
    po_id text COLLATE "C" NOT NULL,
    line_no integer NOT NULL,
    sku text COLLATE "C" NOT NULL,
    deliver_to text COLLATE "C" NOT NULL,
    supplier_id text COLLATE "C" NOT NULL,
    placed_at timestamptz NOT NULL,
    PRIMARY KEY (po_id, line_no)
);
CREATE INDEX IF NOT EXISTS po_lines_by_stock ON {po_lines} (sku, deliver_to);
CREATE TABLE IF NOT EXISTS {po_moves} (
    event_id text NOT NULL,
    line_no integer NOT NULL,
    po_id text COLLATE "C" NOT NULL,
    occurred_at timestamptz NOT NULL,
    open_change numeric NOT NULL,
    PRIMARY KEY (event_id, line_no)
);
CREATE INDEX IF NOT EXISTS po_moves_by_line ON {po_moves} (po_id, line_no, occurred_at);
"""


@dataclass(slots=True, frozen=True)
class PlacedLine:
    po_id: str
    line_no: int
    sku: str
    deliver_to: str
    supplier_id: str
    placed_at: datetime


@dataclass(slots=True, frozen=True)
class LineMove:
    event_id: str
    line_no: int
    po_id: str
    occurred_at: datetime
    open_change: Decimal


def supply_of(facts: Sequence[Fact]) -> tuple[list[PlacedLine], list[LineMove]]:
    """The placed lines and the open-quantity moves of a batch, each once even if a fact came twice."""
    placed: dict[tuple[str, int], PlacedLine] = {}
    moves: dict[tuple[str, int], LineMove] = {}
    for fact in facts:
        env, event = fact.envelope, fact.event
        match event:
            case PurchaseOrderPlaced():
                for line in event.lines:
                    placed[(event.po_id, line.line_no)] = PlacedLine(
                        event.po_id,
                        line.line_no,
                        line.sku,
                        event.deliver_to,
                        event.supplier_id,
                        env.occurred_at,
                    )
                    moves[(env.id, line.line_no)] = LineMove(
                        env.id, line.line_no, event.po_id, env.occurred_at, line.qty
                    )
            case PurchaseOrderReceived():
                moves[(env.id, event.po_line)] = LineMove(
                    env.id, event.po_line, event.po_id, env.occurred_at, -event.qty
                )
            case PurchaseOrderCancelled():
                for remainder in event.lines:
                    moves[(env.id, remainder.line_no)] = LineMove(
                        env.id, remainder.line_no, event.po_id, env.occurred_at, -remainder.qty
                    )
    return list(placed.values()), list(moves.values())


async def add_supply(conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
    placed, moves = supply_of(facts)
    if placed:
        await conn.execute(
            f"INSERT INTO {q(schema, 'po_lines')} "
            "(po_id, line_no, sku, deliver_to, supplier_id, placed_at) "
            "SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[], $5::text[], "
            "$6::timestamptz[]) ON CONFLICT DO NOTHING",
            [p.po_id for p in placed],
            [p.line_no for p in placed],
            [p.sku for p in placed],
            [p.deliver_to for p in placed],
            [p.supplier_id for p in placed],
            [p.placed_at for p in placed],
        )
    if moves:
        await conn.execute(
            f"INSERT INTO {q(schema, 'po_moves')} (event_id, line_no, po_id, occurred_at, open_change) "
            "SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::timestamptz[], $5::numeric[]) "
            "ON CONFLICT DO NOTHING",
            [m.event_id for m in moves],
            [m.line_no for m in moves],
            [m.po_id for m in moves],
            [m.occurred_at for m in moves],
            [m.open_change for m in moves],
        )
