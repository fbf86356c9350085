"""The sales totals answer exactly as the order rows do, on a real PostgreSQL.

Hypothesis draws orders placed, shipped, returned and cancelled at business times anywhere in
a few months (a cancellation or a shipment may even be dated before its order), and targets;
the facts are applied in any split into batches, streams interleaved, some redelivered, and
give the same tables as in one batch. Then
attainment (every dimension, both bases, periods of a month to a year, ``as_of`` anywhere,
inside a day, at an edge or before the period) and the daily series (with and without
filters), in time zones whose midnights fall on and off UTC's hours, must equal what the
order rows alone give (``tests.support.sales_rows``, the queries before the totals).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.store import Fact, q
from projections.sales import PROJECTION, Period, attainment_of, business_days, daily, period_span
from tests.support import projecting
from tests.support.projecting import facts_from, interleaved
from tests.support.sales_rows import attainment_from_rows, daily_from_rows

T0 = datetime(2026, 1, 25, tzinfo=UTC)
WINDOW = timedelta(days=80)
SKUS = {"SKU-A": "tools", "SKU-B": "toys", "SKU-C": "toys"}
TEAMS = ("north", "south")
CHANNELS = ("online", "store", "distributor", "direct")
ZONES = ("UTC", "Europe/Berlin", "Asia/Kathmandu", "America/St_Johns", "Pacific/Kiritimati")
PERIODS = ("2026-01", "2026-02", "2026-03", "2026-04", "2026-Q1", "2026-Q2", "2026")
DIMENSIONS = ("total", "channel", "team", "category")

MASTER_DATA: list[tuple[str, dict[str, Any]]] = [
    ("register-location", {"location_id": "WH-A", "name": "A", "kind": "warehouse"}),
    ("register-customer", {"customer_id": "CUS-1", "name": "C"}),
    *(("register-team", {"team_id": team, "name": team}) for team in TEAMS),
    *(
        ("register-product", {"sku": sku, "name": sku, "uom": "ea", "category": category})
        for sku, category in SKUS.items()
    ),
    *(
        ("receive-stock", {"receipt_id": f"R-{sku}", "sku": sku, "location_id": "WH-A", "qty": "1000"})
        for sku in SKUS
    ),
]

# Business times anywhere in the window, and some on or just beside a midnight or an hour.
times = st.one_of(
    st.integers(0, WINDOW // timedelta(microseconds=1) - 1).map(lambda us: T0 + timedelta(microseconds=us)),
    st.builds(
        lambda days, hours, nudge: T0 + timedelta(days=days, hours=hours, microseconds=nudge),
        st.integers(0, WINDOW.days - 1),
        st.integers(0, 23),
        st.sampled_from([-1, 0, 1]),
    ),
)
prices = st.decimals(Decimal("0.01"), Decimal("99.99"), places=2)
discounts = st.sampled_from([Decimal(0), Decimal(10), Decimal("33.33"), Decimal(50)])


@st.composite
def an_order(draw: st.DrawFn, n: int) -> list[tuple[datetime, str, dict[str, Any]]]:
    """An order and what befell it: a shipment, a return of some of it, a cancellation of the rest."""
    order_id = f"SO-{n}"
    skus = draw(st.lists(st.sampled_from(sorted(SKUS)), min_size=1, max_size=3, unique=True))
    qtys = [draw(st.integers(1, 5)) for _ in skus]
    lines = [
        {"line_no": no, "sku": sku, "qty": str(qty), "unit_price": str(draw(prices)),
         "discount_pct": str(draw(discounts))}
        for no, (sku, qty) in enumerate(zip(skus, qtys, strict=True), start=1)
    ]  # fmt: skip
    commands = [
        (
            draw(times),
            "place-order",
            {
                "order_id": order_id,
                "customer_id": "CUS-1",
                "channel": draw(st.sampled_from(CHANNELS)),
                "team_id": draw(st.sampled_from(TEAMS)),
                "currency": "EUR",
                "fulfil_from": "WH-A",
                "lines": lines,
            },
        )
    ]
    shipped = [draw(st.integers(0, qty)) for qty in qtys]
    if any(shipped):
        ship = [{"line_no": no, "qty": str(qty)} for no, qty in enumerate(shipped, start=1) if qty]
        commands.append(
            (draw(times), "ship-order", {"order_id": order_id, "shipment_id": f"SH-{n}", "lines": ship})
        )
        back = [
            {"line_no": no, "qty": str(qty), "condition": "damaged"}
            for no, most in enumerate(shipped, start=1)
            if most and (qty := draw(st.integers(0, most)))
        ]
        if back:
            commands.append(
                (draw(times), "return-order", {"order_id": order_id, "return_id": f"RT-{n}", "lines": back})
            )
    if shipped != qtys and draw(st.booleans()):
        commands.append((draw(times), "cancel-order", {"order_id": order_id, "reason": "late"}))
    return commands


@st.composite
def histories(draw: st.DrawFn) -> list[Fact]:
    commands = [(T0, name, body) for name, body in MASTER_DATA]
    for n in range(draw(st.integers(1, 8))):
        commands += draw(an_order(n))
    for _ in range(draw(st.integers(0, 3))):
        dimension = draw(st.sampled_from(DIMENSIONS))
        key = {"total": "*", "channel": "online", "team": "north", "category": "toys"}[dimension]
        target = {"period": draw(st.sampled_from(PERIODS)), "dimension": dimension, "key": key,
                  "amount": str(draw(prices))}  # fmt: skip
        commands.append((draw(times), "set-sales-target", target))
    return facts_from(commands)


@st.composite
def batches(draw: st.DrawFn, facts: list[Fact]) -> list[list[Fact]]:
    """The facts interleaved across streams, cut into batches, some of them delivered again."""
    ordered = interleaved(
        facts, draw(st.lists(st.integers(0, 1000), min_size=len(facts), max_size=len(facts)))
    )
    cuts = sorted(draw(st.sets(st.integers(1, len(facts) - 1), max_size=6)))
    split = [ordered[a:b] for a, b in itertools.pairwise([0, *cuts, len(facts)])]
    again = sorted(draw(st.sets(st.integers(0, len(facts) - 1), max_size=5)))
    return split + ([[facts[i] for i in again]] if again else [])


def as_ofs(period: Period) -> st.SearchStrategy[datetime]:
    return st.one_of(
        times,
        st.sampled_from([
            period.start, period.end, period.end - timedelta(microseconds=1),
            period.start - timedelta(microseconds=1), T0 + timedelta(days=3650),
        ]),
    )  # fmt: skip


@asynccontextmanager
async def projected(
    dsn: str, batches: Sequence[Sequence[Fact]]
) -> AsyncIterator[tuple[asyncpg.Connection, str]]:
    """A fresh schema with the batches applied, each in its own transaction; dropped afterwards."""
    schema = f"rm_test_sales_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"CREATE SCHEMA {q(schema)}")
        await conn.execute(PROJECTION.ddl(schema))
        for batch in batches:
            async with conn.transaction():
                await PROJECTION.apply(conn, schema, batch)
        yield conn, schema
    finally:
        await conn.execute(f"DROP SCHEMA IF EXISTS {q(schema)} CASCADE")
        await conn.close()


async def assert_attainment_as_from_rows(
    conn: asyncpg.Connection, schema: str, period: Period, as_of: datetime
) -> None:
    for dimension in DIMENSIONS:
        for basis in ("shipped", "booked"):
            asked = {"period": period, "dimension": dimension, "basis": basis, "as_of": as_of}
            assert await attainment_of(conn, schema, **asked) == await attainment_from_rows(
                conn, schema, **asked
            ), asked


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), facts=histories())
async def test_attainment_and_daily_from_the_totals_equal_the_order_rows_alone(
    pg_dsn: str, data: st.DataObject, facts: list[Fact]
) -> None:
    zone = ZoneInfo(data.draw(st.sampled_from(ZONES)))
    async with projected(pg_dsn, data.draw(batches(facts))) as (conn, schema):
        for name in data.draw(st.lists(st.sampled_from(PERIODS), min_size=1, max_size=3, unique=True)):
            period = Period(name, *period_span(name, zone))
            for as_of in data.draw(st.lists(as_ofs(period), min_size=1, max_size=3)):
                await assert_attainment_as_from_rows(conn, schema, period, as_of)
        for _ in range(3):
            first = (T0 + timedelta(days=data.draw(st.integers(-2, WINDOW.days)))).date()
            days = business_days(first, first + timedelta(days=data.draw(st.integers(0, 45))), zone)
            channel = data.draw(st.sampled_from([None, *CHANNELS]))
            team_id = data.draw(st.sampled_from([None, *TEAMS]))
            asked = {"days": days, "channel": channel, "team_id": team_id}
            assert await daily(conn, schema, **asked) == await daily_from_rows(conn, schema, **asked), asked


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), facts=histories())
async def test_any_split_of_a_history_over_many_days_yields_the_same_totals(
    pg_dsn: str, data: st.DataObject, facts: list[Fact]
) -> None:
    whole = await projecting.project(pg_dsn, PROJECTION, [facts])
    assert whole["totals"]
    assert whole["sku_totals"]
    assert await projecting.project(pg_dsn, PROJECTION, data.draw(batches(facts))) == whole


async def test_a_category_counts_once_its_product_arrives_whenever_that_is(pg_dsn: str) -> None:
    placed = T0 + timedelta(days=7, hours=9)
    commands = [(T0, name, body) for name, body in MASTER_DATA] + [
        (placed, "place-order", {
            "order_id": "SO-1", "customer_id": "CUS-1", "channel": "online", "team_id": "north",
            "currency": "EUR", "fulfil_from": "WH-A",
            "lines": [{"line_no": 1, "sku": "SKU-B", "qty": "2", "unit_price": "10.00"}],
        }),
        (placed + timedelta(hours=2), "ship-order",
         {"order_id": "SO-1", "shipment_id": "SH-1", "lines": [{"line_no": 1, "qty": "2"}]}),
    ]  # fmt: skip
    facts = facts_from(commands)
    products = [f for f in facts if f.envelope.type == "ProductRegistered"]
    others = [f for f in facts if f.envelope.type != "ProductRegistered"]
    period = Period("2026-02", *period_span("2026-02", ZoneInfo("UTC")))
    later = T0 + timedelta(days=100)
    async with projected(pg_dsn, [others]) as (conn, schema):
        asked = {"period": period, "dimension": "category", "basis": "shipped", "as_of": later}
        assert await attainment_of(conn, schema, **asked) == []
        async with conn.transaction():
            await PROJECTION.apply(conn, schema, products)
        found = await attainment_of(conn, schema, **asked)
        assert [(item.key, item.actual) for item in found] == [("toys", Decimal("20.00"))]
        await assert_attainment_as_from_rows(conn, schema, period, later)


async def test_a_partial_day_at_either_edge_counts_to_the_microsecond(pg_dsn: str) -> None:
    """``as_of`` a microsecond before a shipment leaves it out; at it, counts it. In Berlin the
    month's first and last hours are another UTC day's, read from the order rows."""
    shipped_at = datetime(2026, 2, 28, 22, 30, tzinfo=UTC)  # 23:30 on the 28th in Berlin
    commands = [(T0, name, body) for name, body in MASTER_DATA] + [
        (datetime(2026, 1, 31, 23, 15, tzinfo=UTC), "place-order", {  # 1 February in Berlin
            "order_id": "SO-1", "customer_id": "CUS-1", "channel": "store", "team_id": "south",
            "currency": "EUR", "fulfil_from": "WH-A",
            "lines": [{"line_no": 1, "sku": "SKU-A", "qty": "3", "unit_price": "7.50"}],
        }),
        (shipped_at, "ship-order",
         {"order_id": "SO-1", "shipment_id": "SH-1", "lines": [{"line_no": 1, "qty": "3"}]}),
    ]  # fmt: skip
    berlin = ZoneInfo("Europe/Berlin")
    february = Period("2026-02", *period_span("2026-02", berlin))
    async with projected(pg_dsn, [facts_from(commands)]) as (conn, schema):
        for as_of, shipped in ((shipped_at - timedelta(microseconds=1), "0.00"), (shipped_at, "22.50")):
            found = await attainment_of(
                conn, schema, period=february, dimension="total", basis="shipped", as_of=as_of
            )
            assert [item.actual for item in found] == ([Decimal(shipped)] if shipped != "0.00" else [])
        booked = await attainment_of(
            conn, schema, period=february, dimension="total", basis="booked", as_of=shipped_at
        )
        assert [item.actual for item in booked] == [Decimal("22.50")]
        days = await daily(conn, schema, days=business_days(date(2026, 2, 1), date(2026, 3, 1), berlin))
        assert [(d.day.day, d.booked, d.shipped) for d in days if d.booked or d.shipped] == [
            (1, Decimal("22.50"), Decimal("0.00")),
            (28, Decimal("0.00"), Decimal("22.50")),
        ]
