"""Orders through the three channels, from placement to shipment, cancellation and return.

An order is placed only for what is available where it will be fulfilled: the store sells
from its own shelves; web and field orders go to the customer's nearest warehouse, or to
another one that has every line, or else are cut down to what the best one has. Store
sales are handed over at the counter; web orders ship the same afternoon or within three
business days, field orders within one to three, some of them in two parts, each shipment
delivered by a carrier against the order's promise (``carriers``). A few orders are
cancelled before they ship, and some shipped goods come back, resaleable or damaged.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Any

from ledger.demo import carriers, followups, marketing, service
from ledger.demo.books import LineBook, OrderBook
from ledger.demo.catalogue import BACKORDER_CANCEL_REASON, CANCEL_REASONS
from ledger.demo.company import Customer, Product
from ledger.demo.demand import CHANNELS, order_qty
from ledger.demo.simulation import Sim
from ledger.demo.timeline import is_business_day

CURRENCY = "EUR"
CENT = Decimal("0.01")
PARTIAL = {"online": 0.04, "store": 0.0, "distributor": 0.15}
CANCELLED = {"online": 0.03, "store": 0.0, "distributor": 0.02}
RETURNED = {"online": 0.06, "store": 0.03, "distributor": 0.02}
RETURN_DAYS = {"online": (2, 14), "store": (1, 10), "distributor": (3, 20)}


def place_order(sim: Sim, when: datetime, *, channel: str) -> None:
    customers, weights = sim.buyers[channel]
    place(sim, when, channel, sim.rng.choices(customers, weights)[0])


def place(sim: Sim, when: datetime, channel: str, customer: Customer, lead_id: str | None = None) -> bool:
    """An order of ``customer``, if anything it wants is there (``lead_id``: the lead it wins)."""
    wanted = [(p, order_qty(sim.rng, channel, p)) for p in _pick_products(sim, channel)]
    location_id = sim.company.store[0] if channel == "store" else _warehouse_for(sim, customer, wanted)
    # What is not available is not ordered: the customer takes what there is, or nothing.
    lines = [
        (product, min(qty, available))
        for product, qty in wanted
        if (available := sim.books.level(product.sku, location_id).available) > 0
    ]
    if lines:
        _place(sim, when, channel, customer, location_id, lines, lead_id)
    return bool(lines)


def _pick_products(sim: Sim, channel: str) -> list[Product]:
    """Distinct products, the popular ones more often."""
    spec = CHANNELS[channel]
    count = sim.rng.choices([n for n, _ in spec.lines], [w for _, w in spec.lines])[0]
    pool = list(sim.assortments[channel])
    picked: list[Product] = []
    while pool and len(picked) < count:
        product = sim.rng.choices(pool, [p.popularity for p in pool])[0]
        pool.remove(product)
        picked.append(product)
    return picked


def _warehouse_for(sim: Sim, customer: Customer, wanted: list[tuple[Product, int]]) -> str:
    """The nearest warehouse that has every line, else the one that has the most of the order."""
    order = [customer.home, *(w for w in sim.company.warehouse_ids if w != customer.home)]

    def share(location_id: str) -> float:
        return sum(min(1.0, sim.books.level(p.sku, location_id).available / qty) for p, qty in wanted)

    complete = next((w for w in order if share(w) >= len(wanted)), None)
    return complete or max(order, key=share)


def _discount(
    sim: Sim, when: datetime, channel: str, customer: Customer, lead_id: str | None
) -> tuple[Decimal, str | None]:
    """The order's discount, and the campaign that brought it (an order that wins a lead takes
    the lead's campaign, so it names none)."""
    usual = customer.discount if channel != "store" else Decimal(0)
    campaign = None if lead_id is not None else marketing.attribution(sim, when, channel)
    if campaign is None:
        return usual, None
    return max(campaign.discount, usual), campaign.campaign_id


def _amount(qty: int, price: Decimal, discount: Decimal) -> Decimal:
    return (qty * price * (100 - discount) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _place(
    sim: Sim,
    when: datetime,
    channel: str,
    customer: Customer,
    location_id: str,
    lines: list[tuple[Product, int]],
    lead_id: str | None,
) -> None:
    team = sim.company.team_for(channel, customer)
    discount, campaign_id = _discount(sim, when, channel, customer, lead_id)
    order_id = sim.books.next_id("SO")
    body: dict[str, Any] = {
        "order_id": order_id,
        "customer_id": customer.customer_id,
        "channel": channel,
        "team_id": team.team_id,
        "currency": CURRENCY,
        "fulfil_from": location_id,
        "lines": [
            {"line_no": n, "sku": p.sku, "qty": str(qty), "unit_price": str(p.price)}
            | ({"discount_pct": str(discount)} if discount else {})
            for n, (p, qty) in enumerate(lines, start=1)
        ],
    }
    if team.reps:
        body["rep_id"] = sim.rng.choice(team.reps)
    if campaign_id is not None:
        body["campaign_id"] = campaign_id
    if lead_id is not None:
        body["lead_id"] = lead_id
    promised = carriers.promise(sim, channel, when)
    if promised is not None:
        body["promised_at"] = promised.isoformat().replace("+00:00", "Z")
    at = sim.emit(when, "place-order", body)
    books = [
        LineBook(n, p.sku, qty, _amount(qty, p.price, discount)) for n, (p, qty) in enumerate(lines, start=1)
    ]
    order = OrderBook(order_id, customer.customer_id, channel, location_id, books, promised=promised)
    sim.books.place(order)
    _book_sales(sim, at, channel, team.team_id, order)
    _plan_fulfilment(sim, at, order)


def _book_sales(sim: Sim, at: datetime, channel: str, team_id: str, order: OrderBook) -> None:
    """What was booked per month and dimension: the basis of the sales targets."""
    day = sim.timeline.local_date(at)
    month = f"{day.year}-{day.month:02d}"
    for line in order.lines:
        category = sim.company.products[line.sku].category
        for dimension, key in (("team", team_id), ("channel", channel), ("category", category)):
            sim.books.booked[(month, dimension, key)] += line.amount


def _ship_time(sim: Sim, channel: str, placed: datetime) -> datetime:
    if channel == "store":
        return placed + timedelta(minutes=sim.rng.randint(2, 15))
    timeline = sim.timeline
    if channel == "online":
        day = timeline.local_date(placed)
        if is_business_day(day) and timeline.local_hour(placed) < 13.5 and sim.chance(0.65):
            return max(placed + timedelta(minutes=45), timeline.between(sim.rng, day, 15.0, 17.5))
        ahead = sim.rng.choices((1, 2, 3), (75, 20, 5))[0]
        return timeline.business_slot(sim.rng, placed, ahead, 9.0, 17.0)
    ahead = sim.rng.choices((1, 2, 3), (40, 40, 20))[0]
    return timeline.business_slot(sim.rng, placed, ahead, 8.0, 15.0)


def _plan_fulfilment(sim: Sim, placed: datetime, order: OrderBook) -> None:
    ship_at = _ship_time(sim, order.channel, placed)
    splittable = len(order.lines) > 1 or order.lines[0].ordered > 1
    split = splittable and sim.chance(PARTIAL[order.channel])
    sim.schedule(ship_at, partial(ship, sim, order_id=order.order_id, split=split))
    window = (ship_at - placed).total_seconds()
    if window > 1200 and sim.chance(CANCELLED[order.channel]):
        cancel_at = placed + timedelta(seconds=sim.rng.uniform(600, window - 300))
        reason = sim.rng.choice(CANCEL_REASONS)
        sim.schedule(cancel_at, partial(cancel, sim, order_id=order.order_id, reason=reason))


def _first_part(order: OrderBook) -> dict[int, int]:
    """What a split shipment sends first: all lines but the last, or half of a single line."""
    lines = order.open_lines
    if len(lines) > 1:
        return {line.line_no: line.unshipped for line in lines[:-1]}
    return {lines[0].line_no: (lines[0].unshipped + 1) // 2}


def ship(sim: Sim, when: datetime, *, order_id: str, split: bool) -> None:
    order = sim.books.orders[order_id]
    if order.cancelled or not order.open_lines:
        return
    shipping = _first_part(order) if split else {line.line_no: line.unshipped for line in order.open_lines}
    shipment_id = f"{order_id}-S{order.shipments + 1}"
    body = {
        "order_id": order_id,
        "shipment_id": shipment_id,
        "lines": [{"line_no": n, "qty": str(qty)} for n, qty in shipping.items()],
    }
    at = sim.emit(when, "ship-order", body)
    sim.books.ship(order, shipping)
    delivered = carriers.send(sim, at, channel=order.channel, order_id=order_id, shipment_id=shipment_id)
    if order.open_lines:
        later = sim.timeline.business_slot(sim.rng, at, sim.rng.randint(1, 3), 9.0, 16.0)
        if sim.chance(0.25):
            sim.schedule(later, partial(cancel, sim, order_id=order_id, reason=BACKORDER_CANCEL_REASON))
        else:
            sim.schedule(later, partial(ship, sim, order_id=order_id, split=False))
        return
    _after_delivery(sim, delivered or at, order)


def _after_delivery(sim: Sim, shipped: datetime, order: OrderBook) -> None:
    if sim.chance(RETURNED[order.channel]):
        low, high = RETURN_DAYS[order.channel]
        back = sim.timeline.business_slot(sim.rng, shipped, sim.rng.randint(low, high), 9.0, 17.0)
        sim.schedule(back, partial(return_goods, sim, order_id=order.order_id, damaged=False))
    damaged_return = partial(return_goods, sim, order_id=order.order_id, damaged=True)
    service.after_delivery(sim, shipped, order, damaged_return)
    followups.after_order(sim, shipped, order)


def cancel(sim: Sim, when: datetime, *, order_id: str, reason: str) -> None:
    order = sim.books.orders[order_id]
    if order.cancelled or not order.open_lines:
        return
    at = sim.emit(when, "cancel-order", {"order_id": order_id, "reason": reason})
    partly_shipped = order.shipments > 0
    sim.books.cancel(order)
    if partly_shipped:
        _after_delivery(sim, at, order)


def return_goods(sim: Sim, when: datetime, *, order_id: str, damaged: bool) -> None:
    order = sim.books.orders[order_id]
    lines = order.returnable_lines
    if not lines:
        return
    line = sim.rng.choice(lines)
    qty = 1 if order.channel != "distributor" else sim.rng.randint(1, max(1, line.returnable // 4))
    condition = "damaged" if damaged or sim.chance(0.25) else "resaleable"
    order.returns += 1
    body = {
        "order_id": order_id,
        "return_id": f"{order_id}-R{order.returns}",
        "lines": [{"line_no": line.line_no, "qty": str(qty), "condition": condition}],
    }
    sim.emit(when, "return-order", body)
    sim.books.take_back(order, line, qty, resaleable=condition == "resaleable")
