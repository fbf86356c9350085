"""The demo generator: seeded and pure, and every history it makes is one the ledger accepts.

Histories are decided here with the real ``handlers.decide``/``evolve`` on a ``WriteModel``,
command by command in the generated order, exactly as the writer would: no loop, no log.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from handlers import DomainError, WriteModel, decide, evolve
from ledger.demo import MAX_DAYS, DemoCommand, generate
from schemas import COMMANDS, Event, parse_command
from schemas.inventory import LotRejected, LotReleased, StockQuarantined

NOW = datetime(2026, 11, 20, 15, 30, 12, tzinfo=UTC)


@cache
def history(days: int = 30, seed: int = 7) -> tuple[DemoCommand, ...]:
    return tuple(generate(NOW, seed, days))


@cache
def decided(days: int = 30) -> tuple[list[Event], Counter[str]]:
    """Every event the history causes, and its refusals by command and code."""
    state, events, refused = WriteModel(), [], Counter[str]()
    for name, body in history(days):
        try:
            caused = decide(state, parse_command(name, body))
        except DomainError as e:
            refused[f"{name}: {e.code}"] += 1
            continue
        for event in caused:
            evolve(state, event)
        events += caused
    return events, refused


def test_the_same_seed_gives_the_same_history() -> None:
    assert generate(NOW, 7, 30) == list(history())


def test_another_seed_gives_another_history() -> None:
    other = generate(NOW, 8, 30)
    assert other != list(history())
    assert {c.body.get("name") for c in other} != {c.body.get("name") for c in history()}


def test_every_body_validates_with_its_command_schema() -> None:
    for name, body in history():
        assert parse_command(name, body).occurred_at is not None


def test_a_30_day_history_is_accepted_by_the_handlers_with_under_1_percent_refused() -> None:
    events, refused = decided()
    assert sum(refused.values()) < len(history()) / 100, refused
    assert len(events) > len(history())


def test_business_times_increase_strictly_and_never_lie_in_the_future() -> None:
    times = [command.occurred_at for command in history()]
    assert all(earlier < later for earlier, later in pairwise(times))
    assert times[0] >= NOW - timedelta(days=30)
    assert times[-1] <= NOW


def test_the_history_uses_every_command_of_the_api() -> None:
    used = {name for name, _ in history(90)}
    assert used == set(COMMANDS)


def test_a_90_day_history_holds_10_to_40_thousand_events_and_no_refusals() -> None:
    events, refused = decided(90)
    assert 10_000 <= len(events) <= 40_000
    assert sum(refused.values()) < len(history(90)) / 100, refused


def test_the_company_has_warehouses_a_store_products_suppliers_customers_and_teams() -> None:
    bodies: dict[str, list[dict[str, object]]] = {}
    for name, body in history():
        bodies.setdefault(name, []).append(body)
    kinds = Counter(str(b["kind"]) for b in bodies["register-location"])
    assert kinds["store"] == 1
    assert 2 <= kinds["warehouse"] <= 3
    products = bodies["register-product"]
    assert len(products) == 30
    assert len({p["category"] for p in products}) == 5
    assert 0 < sum(1 for p in products if p["requires_inspection"]) < 30
    assert all(p["unit_price"] and p["reorder_point"] and p["reorder_qty"] for p in products)
    assert 3 <= len(bodies["register-supplier"]) <= 4
    opening = next(c.occurred_at for c in history() if c.name == "place-order")
    customers = [c.body for c in history() if c.name == "register-customer" and c.occurred_at < opening]
    assert 35 <= len(customers) <= 45  # with the master data; prospects won by leads come later
    assert len({c["segment"] for c in customers}) >= 4
    assert {t["channel"] for t in bodies["register-team"]} == {"online", "store", "distributor"}
    assert {o["channel"] for o in bodies["place-order"]} == {"online", "store", "distributor"}


def test_targets_cover_every_month_touched_and_its_quarter_by_team_channel_and_total() -> None:
    targets = {(b["period"], b["dimension"]) for name, b in history() if name == "set-sales-target"}
    for month in ("2026-10", "2026-11"):
        assert {(month, "total"), (month, "team"), (month, "channel")} <= targets
    assert {("2026-Q4", "total"), ("2026-Q4", "channel")} <= targets


def test_receipts_of_inspected_products_are_quarantined_and_then_inspected() -> None:
    events, _ = decided()
    quarantined = {e.lot_id for e in events if isinstance(e, StockQuarantined)}
    disposed = {e.lot_id for e in events if isinstance(e, LotReleased | LotRejected)}
    assert quarantined
    waiting = quarantined - disposed
    assert len(waiting) <= len(quarantined) // 5, "most lots are released or rejected within the month"


def test_counts_never_go_below_what_is_held_and_orders_ship_within_days() -> None:
    _, refused = decided()
    assert not [k for k in refused if k.startswith(("adjust-stock", "ship-order", "place-order"))]
    placed = {c.body["order_id"]: c.occurred_at for c in history() if c.name == "place-order"}
    first_shipment: dict[str, datetime] = {}
    for command in history():
        if command.name == "ship-order":
            first_shipment.setdefault(command.body["order_id"], command.occurred_at)
    delays = [first_shipment[order] - placed[order] for order in first_shipment]
    assert max(delays) <= timedelta(days=6)
    assert len(first_shipment) >= 0.9 * len(placed)


def test_business_hours_follow_the_time_zone() -> None:
    tz = ZoneInfo("America/New_York")
    for command in generate(NOW, 7, 14, tz):
        if command.name == "place-order" and command.body["channel"] == "store":
            assert 9 <= command.occurred_at.astimezone(tz).hour < 18


@pytest.mark.parametrize(
    ("now", "days"),
    [(NOW, 0), (NOW, MAX_DAYS + 1), (NOW.replace(tzinfo=None), 30)],
    ids=["0", "beyond-max", "naive"],
)
def test_bad_arguments_are_refused(now: datetime, days: int) -> None:
    with pytest.raises(ValueError, match=r"days|timezone"):
        generate(now, 7, days)
