"""The customers read model's tables and how each batch of facts lands in them.

It reads four areas: follow-ups (customers), registrations with their segment (catalog),
orders with their shipments, returns and cancellations (sales) and complaints with their
resolutions and reopenings (service). Each row copies one fact and is keyed by it (the
follow-up, customer, order or complaint id, and the stream version for a later fact of the
stream), and rows are only ever inserted: a redelivered fact changes nothing, and any split of
the facts into batches, in any interleaving of streams, yields the same tables. Nothing is
joined or judged here: a follow-up's segment, an order's customer for a shipment, whether an
order was cancelled in full or a complaint is open are all worked out by the queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from ledger.store import Connection, Fact, insert_new, q
from schemas import event_types
from schemas.catalog import CustomerRegistered
from schemas.customers import FollowUpRecorded
from schemas.sales import OrderCancelled, OrderPlaced, OrderReturned, OrderShipped
from schemas.service import ComplaintFiled, ComplaintReopened, ComplaintResolved

# follow_up_id, customer_id, occurred_at, order_id, complaint_id, csat, nps
FollowUpRow = tuple[str, str, datetime, str | None, str | None, int | None, int | None]
CustomerRow = tuple[str, str | None]  # customer_id, segment
OrderRow = tuple[str, str, datetime, Decimal]  # order_id, customer_id, placed_at, ordered qty
MoveRow = tuple[str, int, str, datetime, Decimal]  # order_id, version, kind, occurred_at, qty or amount
ComplaintRow = tuple[str, str, datetime]  # complaint_id, customer_id, filed_at
TurnRow = tuple[str, int, str, datetime]  # complaint_id, version, state (resolved, reopened), occurred_at


class Customers:
    name: ClassVar[str] = "customers"
    version: ClassVar[int] = 1
    areas: ClassVar[tuple[str, ...]] = ("catalog", "sales", "service", "customers")
    event_types: ClassVar[frozenset[str]] = event_types(
        FollowUpRecorded,
        CustomerRegistered,
        OrderPlaced,
        OrderCancelled,
        OrderShipped,
        OrderReturned,
        ComplaintFiled,
        ComplaintResolved,
        ComplaintReopened,
    )

    def ddl(self, schema: str) -> str:
        return f"""
        CREATE TABLE IF NOT EXISTS {q(schema, "follow_ups")} (
            follow_up_id text PRIMARY KEY,
            customer_id text NOT NULL,
            occurred_at timestamptz NOT NULL,
            order_id text,
            complaint_id text,
            csat integer,
            nps integer
        );
        CREATE INDEX IF NOT EXISTS follow_ups_by_occurred_at ON {q(schema, "follow_ups")} (occurred_at);
        CREATE INDEX IF NOT EXISTS follow_ups_by_customer ON {q(schema, "follow_ups")} (customer_id);
        CREATE TABLE IF NOT EXISTS {q(schema, "customers")} (
            customer_id text PRIMARY KEY,
            segment text
        );
        CREATE TABLE IF NOT EXISTS {q(schema, "orders")} (
            order_id text PRIMARY KEY,
            customer_id text NOT NULL,
            placed_at timestamptz NOT NULL,
            ordered numeric NOT NULL
        );
        CREATE INDEX IF NOT EXISTS orders_by_customer ON {q(schema, "orders")} (customer_id, placed_at);
        CREATE INDEX IF NOT EXISTS orders_by_placed_at ON {q(schema, "orders")} (placed_at);
        CREATE TABLE IF NOT EXISTS {q(schema, "order_moves")} (
            order_id text NOT NULL,
            version integer NOT NULL,
            kind text NOT NULL CHECK (kind IN ('shipped', 'returned', 'cancelled')),
            occurred_at timestamptz NOT NULL,
            -- money for a shipment or a return, the quantity for a cancellation
            figure numeric NOT NULL,
            PRIMARY KEY (order_id, version)
        );
        CREATE TABLE IF NOT EXISTS {q(schema, "complaints")} (
            complaint_id text PRIMARY KEY,
            customer_id text NOT NULL,
            filed_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS complaints_by_customer ON {q(schema, "complaints")} (customer_id);
        CREATE TABLE IF NOT EXISTS {q(schema, "complaint_turns")} (
            complaint_id text NOT NULL,
            version integer NOT NULL,
            state text NOT NULL CHECK (state IN ('resolved', 'reopened')),
            occurred_at timestamptz NOT NULL,
            PRIMARY KEY (complaint_id, version)
        );
        """

    async def apply(self, conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
        follow_ups: list[FollowUpRow] = []
        customers: list[CustomerRow] = []
        orders: list[OrderRow] = []
        moves: list[MoveRow] = []
        complaints: list[ComplaintRow] = []
        turns: list[TurnRow] = []
        for fact in facts:
            event, envelope = fact.event, fact.envelope
            at, version = envelope.occurred_at, envelope.version
            match event:
                case FollowUpRecorded():
                    follow_ups.append(
                        (event.follow_up_id, event.customer_id, at, event.order_id, event.complaint_id,
                         event.csat, event.nps)
                    )  # fmt: skip
                case CustomerRegistered():
                    customers.append((event.customer_id, event.segment))
                case OrderPlaced():
                    ordered = sum((line.qty for line in event.lines), Decimal(0))
                    orders.append((event.order_id, event.customer_id, at, ordered))
                case OrderShipped():
                    amount = sum((line.amount for line in event.lines), Decimal(0))
                    moves.append((event.order_id, version, "shipped", at, amount))
                case OrderReturned():
                    amount = sum((line.amount for line in event.lines), Decimal(0))
                    moves.append((event.order_id, version, "returned", at, amount))
                case OrderCancelled():
                    qty = sum((line.qty for line in event.lines), Decimal(0))
                    moves.append((event.order_id, version, "cancelled", at, qty))
                case ComplaintFiled():
                    complaints.append((event.complaint_id, event.customer_id, at))
                case ComplaintResolved():
                    turns.append((event.complaint_id, version, "resolved", at))
                case ComplaintReopened():
                    turns.append((event.complaint_id, version, "reopened", at))
        await insert_new(conn, schema, "follow_ups", follow_ups, _FOLLOW_UP_COLUMNS)
        await insert_new(conn, schema, "customers", customers, _CUSTOMER_COLUMNS)
        await insert_new(conn, schema, "orders", orders, _ORDER_COLUMNS)
        await insert_new(conn, schema, "order_moves", moves, _MOVE_COLUMNS)
        await insert_new(conn, schema, "complaints", complaints, _COMPLAINT_COLUMNS)
        await insert_new(conn, schema, "complaint_turns", turns, _TURN_COLUMNS)


_FOLLOW_UP_COLUMNS = (
    ("follow_up_id", "text"),
    ("customer_id", "text"),
    ("occurred_at", "timestamptz"),
    ("order_id", "text"),
    ("complaint_id", "text"),
    ("csat", "integer"),
    ("nps", "integer"),
)
_CUSTOMER_COLUMNS = (("customer_id", "text"), ("segment", "text"))
_ORDER_COLUMNS = (
    ("order_id", "text"),
    ("customer_id", "text"),
    ("placed_at", "timestamptz"),
    ("ordered", "numeric"),
)
_MOVE_COLUMNS = (
    ("order_id", "text"),
    ("version", "integer"),
    ("kind", "text"),
    ("occurred_at", "timestamptz"),
    ("figure", "numeric"),
)
_COMPLAINT_COLUMNS = (("complaint_id", "text"), ("customer_id", "text"), ("filed_at", "timestamptz"))
_TURN_COLUMNS = (
    ("complaint_id", "text"),
    ("version", "integer"),
    ("state", "text"),
    ("occurred_at", "timestamptz"),
)
