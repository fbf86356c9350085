"""The marketing read model's tables and how a batch of facts lands in them.

Every table holds one row per fact (or per line of a fact), keyed by the fact's own ids and
only ever inserted, so a redelivered fact changes nothing and any split of the log into
batches, however the marketing and sales streams interleave, yields the same rows. Nothing
here joins across streams: a campaign's leads, spend and orders, and a lead's steps, are
joined when a query asks, at the ``as_of`` it asks for.

- ``campaigns``: CampaignLaunched, by campaign id, with the business time of the launch.
- ``spends``: CampaignSpendRecorded, by campaign and spend id (unique by the write side).
- ``leads``: LeadCaptured, by lead id, with its campaign (or none) and channel.
- ``lead_steps``: LeadQualified, LeadLost and LeadWon, by lead stream version.
- ``orders``: OrderPlaced that carry a campaign (the lead's, when the order named none: the
  writer already put it on the event), by order id; ``order_lines`` their lines and prices.
- ``cancellations``: OrderCancelled lines of those orders, by order, version and line, priced
  as the sales read model prices them (``projections.sales.cancelled_amount``) against the
  order's line, which its own stream delivered first. A cancellation of an order without a
  campaign finds no order row and is passed over.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from ledger.store import Connection, Fact, insert_new, q
from projections.sales import cancelled_amount
from schemas import event_types
from schemas.marketing import (
    CampaignLaunched,
    CampaignSpendRecorded,
    LeadCaptured,
    LeadLost,
    LeadQualified,
    LeadWon,
)
from schemas.sales import OrderCancelled, OrderPlaced

Columns = tuple[tuple[str, str], ...]
# campaign_id, name, medium, starts_on, ends_on, budget, currency, launched_at
CampaignRow = tuple[str, str, str, date, date, Decimal, str, datetime]
SpendRow = tuple[str, str, Decimal, datetime]  # campaign_id, spend_id, amount, recorded_at
LeadRow = tuple[str, str | None, str | None, str, datetime]  # lead_id, campaign, customer, channel, at
StepRow = tuple[str, int, str, datetime, str | None]  # lead_id, version, kind, at, order_id
OrderRow = tuple[str, str, datetime]  # order_id, campaign_id, placed_at
LineRow = tuple[str, int, Decimal, Decimal, Decimal, Decimal]  # order, line, qty, price, discount, amount
CancelRow = tuple[str, int, int, datetime, Decimal]  # order_id, version, line_no, at, qty

_CAMPAIGN: Columns = (
    ("campaign_id", "text"),
    ("name", "text"),
    ("medium", "text"),
    ("starts_on", "date"),
    ("ends_on", "date"),
    ("budget", "numeric"),
    ("currency", "text"),
    ("launched_at", "timestamptz"),
)
_SPEND: Columns = (
    ("campaign_id", "text"),
    ("spend_id", "text"),
    ("amount", "numeric"),
    ("recorded_at", "timestamptz"),
)
_LEAD: Columns = (
    ("lead_id", "text"),
    ("campaign_id", "text"),
    ("customer_id", "text"),
    ("channel", "text"),
    ("captured_at", "timestamptz"),
)
_STEP: Columns = (
    ("lead_id", "text"),
    ("version", "integer"),
    ("kind", "text"),
    ("occurred_at", "timestamptz"),
    ("order_id", "text"),
)
_ORDER: Columns = (("order_id", "text"), ("campaign_id", "text"), ("placed_at", "timestamptz"))
_LINE: Columns = (
    ("order_id", "text"),
    ("line_no", "integer"),
    ("qty", "numeric"),
    ("unit_price", "numeric"),
    ("discount_pct", "numeric"),
    ("amount", "numeric"),
)


class Marketing:
    name: ClassVar[str] = "marketing"
    version: ClassVar[int] = 1
    areas: ClassVar[tuple[str, ...]] = ("marketing", "sales")
    # What apply reads; the rest of these topics is passed over undecoded.
    event_types: ClassVar[frozenset[str]] = event_types(
        CampaignLaunched,
        CampaignSpendRecorded,
        LeadCaptured,
        LeadQualified,
        LeadLost,
        LeadWon,
        OrderPlaced,
        OrderCancelled,
    )

    def ddl(self, schema: str) -> str:
        return f"""
        CREATE TABLE IF NOT EXISTS {q(schema, "campaigns")} (
            campaign_id text PRIMARY KEY,
            name text NOT NULL,
            medium text NOT NULL,
            starts_on date NOT NULL,
            ends_on date NOT NULL,
            budget numeric NOT NULL,
            currency text NOT NULL,
            launched_at timestamptz NOT NULL
        );
        CREATE TABLE IF NOT EXISTS {q(schema, "spends")} (
            campaign_id text NOT NULL,
            spend_id text NOT NULL,
            amount numeric NOT NULL,
            recorded_at timestamptz NOT NULL,
            PRIMARY KEY (campaign_id, spend_id)
        );
        CREATE INDEX IF NOT EXISTS spends_by_time ON {q(schema, "spends")} (recorded_at);
        CREATE TABLE IF NOT EXISTS {q(schema, "leads")} (
            lead_id text PRIMARY KEY,
            campaign_id text,
            customer_id text,
            channel text NOT NULL,
            captured_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS leads_by_campaign ON {q(schema, "leads")} (campaign_id);
        CREATE INDEX IF NOT EXISTS leads_by_time ON {q(schema, "leads")} (captured_at);
        CREATE TABLE IF NOT EXISTS {q(schema, "lead_steps")} (
            lead_id text NOT NULL,
            version integer NOT NULL,
            kind text NOT NULL CHECK (kind IN ('qualified', 'lost', 'won')),
            occurred_at timestamptz NOT NULL,
            order_id text,
            PRIMARY KEY (lead_id, version)
        );
        CREATE TABLE IF NOT EXISTS {q(schema, "orders")} (
            order_id text PRIMARY KEY,
            campaign_id text NOT NULL,
            placed_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS orders_by_campaign ON {q(schema, "orders")} (campaign_id);
        CREATE INDEX IF NOT EXISTS orders_by_time ON {q(schema, "orders")} (placed_at);
        CREATE TABLE IF NOT EXISTS {q(schema, "order_lines")} (
            order_id text NOT NULL,
            line_no integer NOT NULL,
            qty numeric NOT NULL,
            unit_price numeric NOT NULL,
            discount_pct numeric NOT NULL,
            amount numeric NOT NULL,
            PRIMARY KEY (order_id, line_no)
        );
        CREATE TABLE IF NOT EXISTS {q(schema, "cancellations")} (
            order_id text NOT NULL,
            version integer NOT NULL,
            line_no integer NOT NULL,
            occurred_at timestamptz NOT NULL,
            qty numeric NOT NULL,
            amount numeric NOT NULL,
            PRIMARY KEY (order_id, version, line_no)
        );
        """

    async def apply(self, conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
        campaigns: list[CampaignRow] = []
        spends: list[SpendRow] = []
        leads: list[LeadRow] = []
        steps: list[StepRow] = []
        orders: list[OrderRow] = []
        lines: list[LineRow] = []
        cancelled: list[CancelRow] = []
        for fact in facts:
            event, envelope = fact.event, fact.envelope
            at, version = envelope.occurred_at, envelope.version
            match event:
                case CampaignLaunched():
                    campaigns.append(
                        (event.campaign_id, event.name, event.medium, event.starts_on, event.ends_on,
                         event.budget, event.currency, at)
                    )  # fmt: skip
                case CampaignSpendRecorded():
                    spends.append((event.campaign_id, event.spend_id, event.amount, at))
                case LeadCaptured():
                    leads.append((event.lead_id, event.campaign_id, event.customer_id, event.channel, at))
                case LeadQualified():
                    steps.append((event.lead_id, version, "qualified", at, None))
                case LeadLost():
                    steps.append((event.lead_id, version, "lost", at, None))
                case LeadWon():
                    steps.append((event.lead_id, version, "won", at, event.order_id))
                case OrderPlaced() if event.campaign_id is not None:
                    orders.append((event.order_id, event.campaign_id, at))
                    lines += [
                        (event.order_id, ln.line_no, ln.qty, ln.unit_price, ln.discount_pct, ln.amount)
                        for ln in event.lines
                    ]
                case OrderCancelled():
                    cancelled += [(event.order_id, version, ln.line_no, at, ln.qty) for ln in event.lines]
        await insert_new(conn, schema, "campaigns", campaigns, _CAMPAIGN)
        await insert_new(conn, schema, "spends", spends, _SPEND)
        await insert_new(conn, schema, "leads", leads, _LEAD)
        await insert_new(conn, schema, "lead_steps", steps, _STEP)
        await insert_new(conn, schema, "orders", orders, _ORDER)
        await insert_new(conn, schema, "order_lines", lines, _LINE)
        await _insert_cancellations(conn, schema, cancelled)


async def _insert_cancellations(conn: Connection, schema: str, rows: list[CancelRow]) -> None:
    """The cancelled lines of campaign orders, priced against their order lines.

    An order row means the order carries a campaign; a line that order does not have leaves the
    amount NULL, which NOT NULL refuses, so the runtime parks the stream instead of dropping it.
    """
    if rows:
        await conn.execute(
            f"INSERT INTO {q(schema, 'cancellations')} "
            "(order_id, version, line_no, occurred_at, qty, amount) "
            "SELECT m.order_id, m.version, m.line_no, m.occurred_at, m.qty, "
            f"{cancelled_amount('m.qty', 'l')} "
            "FROM unnest($1::text[], $2::integer[], $3::integer[], $4::timestamptz[], $5::numeric[]) "
            "AS m(order_id, version, line_no, occurred_at, qty) "
            f"JOIN {q(schema, 'orders')} o ON o.order_id = m.order_id "
            f"LEFT JOIN {q(schema, 'order_lines')} l ON l.order_id = m.order_id AND l.line_no = m.line_no "
            "ON CONFLICT DO NOTHING",
            *[list(column) for column in zip(*rows, strict=True)],
        )
