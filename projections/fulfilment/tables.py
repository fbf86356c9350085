"""The fulfilment read model's tables and how each batch of facts lands in them.

Every fact it reads lives on the order's stream: the placement (with its promise), its
shipments, its cancellation and the deliveries of its shipments. Each row is keyed by the
event it copies (order id and stream version, and line number where a fact has lines) and
only ever inserted, so a redelivered fact changes nothing and any split of the facts into
batches yields the same tables. Nothing is summed or judged here: whether an order was on
time or in full is worked out by the queries, from all of its rows at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from ledger.store import Connection, Fact, insert_new, q
from schemas import event_types
from schemas.sales import OrderCancelled, OrderPlaced, OrderShipped, ShipmentDelivered

# order_id, channel, team_id, placed_at, promised_at
OrderRow = tuple[str, str, str, datetime, datetime | None]
LineRow = tuple[str, int, Decimal]  # order_id, line_no, qty
ShipmentRow = tuple[str, int, int, str, datetime, Decimal]  # order_id, version, line_no, shipment_id, at, qty
CancelRow = tuple[str, int, int, datetime, Decimal]  # order_id, version, line_no, at, qty
DeliveryRow = tuple[str, str, int, datetime]  # order_id, shipment_id, version, delivered_at


class Fulfilment:
    name: ClassVar[str] = "fulfilment"
    version: ClassVar[int] = 1
    areas: ClassVar[tuple[str, ...]] = ("sales",)
    event_types: ClassVar[frozenset[str]] = event_types(
        OrderPlaced, OrderShipped, OrderCancelled, ShipmentDelivered
    )

    def ddl(self, schema: str) -> str:
        return f"""
        CREATE TABLE IF NOT EXISTS {q(schema, "orders")} (
            order_id text PRIMARY KEY,
            channel text NOT NULL,
            team_id text NOT NULL,
            placed_at timestamptz NOT NULL,
            promised_at timestamptz
        );
        CREATE INDEX IF NOT EXISTS orders_by_promised_at
            ON {q(schema, "orders")} (promised_at) WHERE promised_at IS NOT NULL;
        CREATE TABLE IF NOT EXISTS {q(schema, "order_lines")} (
            order_id text NOT NULL,
            line_no integer NOT NULL,
            qty numeric NOT NULL,
            PRIMARY KEY (order_id, line_no)
        );
        CREATE TABLE IF NOT EXISTS {q(schema, "shipments")} (
            order_id text NOT NULL,
            version integer NOT NULL,
            line_no integer NOT NULL,
            shipment_id text NOT NULL,
            shipped_at timestamptz NOT NULL,
            qty numeric NOT NULL,
            PRIMARY KEY (order_id, version, line_no)
        );
        CREATE TABLE IF NOT EXISTS {q(schema, "cancellations")} (
            order_id text NOT NULL,
            version integer NOT NULL,
            line_no integer NOT NULL,
            cancelled_at timestamptz NOT NULL,
            qty numeric NOT NULL,
            PRIMARY KEY (order_id, version, line_no)
        );
        CREATE TABLE IF NOT EXISTS {q(schema, "deliveries")} (
            order_id text NOT NULL,
            shipment_id text NOT NULL,
            version integer NOT NULL,
            delivered_at timestamptz NOT NULL,
            PRIMARY KEY (order_id, shipment_id)
        );
        """

    async def apply(self, conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
        orders: list[OrderRow] = []
        lines: list[LineRow] = []
        shipped: list[ShipmentRow] = []
        cancelled: list[CancelRow] = []
        delivered: list[DeliveryRow] = []
        for fact in facts:
            event, envelope = fact.event, fact.envelope
            at, version = envelope.occurred_at, envelope.version
            match event:
                case OrderPlaced():
                    orders.append((event.order_id, event.channel, event.team_id, at, event.promised_at))
                    lines += [(event.order_id, line.line_no, line.qty) for line in event.lines]
                case OrderShipped():
                    shipped += [
                        (event.order_id, version, line.line_no, event.shipment_id, at, line.qty)
                        for line in event.lines
                    ]
                case OrderCancelled():
                    cancelled += [
                        (event.order_id, version, line.line_no, at, line.qty) for line in event.lines
                    ]
                case ShipmentDelivered():
                    delivered.append((event.order_id, event.shipment_id, version, at))
        await insert_new(conn, schema, "orders", orders, _ORDER_COLUMNS)
        await insert_new(conn, schema, "order_lines", lines, _LINE_COLUMNS)
        await insert_new(conn, schema, "shipments", shipped, _SHIPMENT_COLUMNS)
        await insert_new(conn, schema, "cancellations", cancelled, _CANCEL_COLUMNS)
        await insert_new(conn, schema, "deliveries", delivered, _DELIVERY_COLUMNS)


_ORDER_COLUMNS = (
    ("order_id", "text"),
    ("channel", "text"),
    ("team_id", "text"),
    ("placed_at", "timestamptz"),
    ("promised_at", "timestamptz"),
)
_LINE_COLUMNS = (("order_id", "text"), ("line_no", "integer"), ("qty", "numeric"))
_SHIPMENT_COLUMNS = (
    ("order_id", "text"),
    ("version", "integer"),
    ("line_no", "integer"),
    ("shipment_id", "text"),
    ("shipped_at", "timestamptz"),
    ("qty", "numeric"),
)
_CANCEL_COLUMNS = (
    ("order_id", "text"),
    ("version", "integer"),
    ("line_no", "integer"),
    ("cancelled_at", "timestamptz"),
    ("qty", "numeric"),
)
_DELIVERY_COLUMNS = (
    ("order_id", "text"),
    ("shipment_id", "text"),
    ("version", "integer"),
    ("delivered_at", "timestamptz"),
)
