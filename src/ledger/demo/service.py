"""Customer complaints: filed after delivery (or about an invoice), answered, resolved, reopened.

Response and resolution times are drawn against the default SLA clocks of API.md: most
complaints are answered and resolved within them, about one in eight is not. A few
resolved complaints come back; a damaged delivery is also returned as damaged goods. Most
customers are called back once their complaint is resolved (``followups``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Final

from ledger.demo import followups
from ledger.demo.books import OrderBook
from ledger.demo.simulation import Sim

# severity: (first response, resolution) within these calendar hours, as API.md's defaults
SLA_HOURS: Final = {"critical": (1, 24), "high": (4, 72), "medium": (8, 120), "low": (24, 240)}
SEVERITIES: Final = ("low", "medium", "high", "critical")
ANSWERED_IN_TIME: Final = 0.92
RESOLVED_IN_TIME: Final = 0.93
REOPENED: Final = 0.07
COMPLAINED: Final = {"online": 0.035, "store": 0.02, "distributor": 0.05}


@dataclass(frozen=True, slots=True)
class Kind:
    weight: int
    severity: tuple[int, int, int, int]  # weights of low, medium, high, critical
    about_product: bool
    descriptions: tuple[str, ...]
    resolutions: tuple[str, ...]


KINDS: Final = {
    "damaged-in-transit": Kind(
        20,
        (35, 45, 15, 5),
        True,
        ("{product} arrived in a crushed box, housing cracked (order {order}).",),
        ("Replacement shipped at no charge; courier claim filed.", "Refund issued for the damaged item."),
    ),
    "defective-product": Kind(
        30,
        (10, 40, 38, 12),
        True,
        ("{product} stopped working after two days (order {order}).", "{product}: fault found on first use."),
        ("Replacement unit sent; the faulty one goes back to the supplier.", "Repaired under warranty."),
    ),
    "wrong-item": Kind(
        12,
        (40, 45, 15, 0),
        True,
        ("Received something other than the {product} ordered on {order}.",),
        ("Correct item shipped; collection of the wrong one arranged.",),
    ),
    "missing-parts": Kind(
        10,
        (45, 40, 15, 0),
        True,
        ("{product} delivered without all its parts (order {order}).",),
        ("Missing parts sent by express.",),
    ),
    "late-delivery": Kind(
        16,
        (30, 45, 20, 5),
        False,
        (
            "Order {order} arrived later than promised.",
            "Order {order} came two days late; site work was delayed.",
        ),
        ("Apologised and refunded the shipping charge.", "Goodwill credit issued on the next order."),
    ),
    "billing": Kind(
        12,
        (50, 40, 10, 0),
        False,
        ("Invoice for {order} does not show the agreed discount.", "Charged twice for order {order}."),
        ("Invoice corrected and credit note issued.", "Duplicate charge refunded."),
    ),
}
GENERAL: Final = (
    ("billing", "Statement shows an invoice we cannot match to any order."),
    ("service", "Nobody called back after two messages to customer service."),
    ("service", "Asked for a quote a week ago and have not heard back."),
)
GENERAL_RESOLUTION: Final = "Called the customer back and settled the question."
REOPEN_REASONS: Final = (
    "The replacement is faulty as well.",
    "Credit note has not arrived.",
    "Customer is not satisfied with the resolution.",
    "The problem has come back.",
)


def after_delivery(
    sim: Sim, shipped: datetime, order: OrderBook, damaged_return: Callable[[datetime], None]
) -> None:
    """Maybe a complaint about a delivered order, a few hours to a week after it shipped."""
    if not sim.chance(COMPLAINED[order.channel]):
        return
    when = shipped + timedelta(hours=sim.rng.uniform(4, 24 * 7))
    sim.schedule(when, partial(_file_about_order, sim, order=order, damaged_return=damaged_return))


def _file_about_order(
    sim: Sim, when: datetime, *, order: OrderBook, damaged_return: Callable[[datetime], None]
) -> None:
    names = list(KINDS)
    category = sim.rng.choices(names, [KINDS[n].weight for n in names])[0]
    kind = KINDS[category]
    line = sim.rng.choice(order.lines)
    product = sim.company.products[line.sku]
    severity = sim.rng.choices(SEVERITIES, kind.severity)[0]
    if category == "defective-product" and product.requires_inspection and severity in ("low", "medium"):
        severity = "high"  # faulty electrical or safety gear is never a small matter
    description = sim.rng.choice(kind.descriptions).format(product=product.name, order=order.order_id)
    body = {
        "complaint_id": sim.books.next_id("C"),
        "customer_id": order.customer_id,
        "channel": _contact_channel(sim, order.channel),
        "category": category,
        "severity": severity,
        "description": description,
        "order_id": order.order_id,
    }
    if kind.about_product:
        body["sku"] = product.sku
        lot = _lot_shipped(sim, line.sku, order.fulfil_from)
        if lot is not None and category == "defective-product":
            body["lot_id"] = lot
    at = _file(sim, when, body, kind.resolutions)
    if category == "damaged-in-transit":
        sim.schedule(at + timedelta(days=sim.rng.uniform(1, 3)), damaged_return)


def general_complaint(sim: Sim, when: datetime) -> None:
    """A complaint about no particular order: a statement, a call not returned."""
    customers = [c for c in sim.company.customers if c.segment != "retail"]
    category, description = sim.rng.choice(GENERAL)
    body = {
        "complaint_id": sim.books.next_id("C"),
        "customer_id": sim.rng.choice(customers).customer_id,
        "channel": sim.rng.choice(("phone", "email")),
        "category": category,
        "severity": sim.rng.choices(SEVERITIES, (55, 35, 10, 0))[0],
        "description": description,
    }
    _file(sim, when, body, (GENERAL_RESOLUTION,))


def _contact_channel(sim: Sim, sales_channel: str) -> str:
    if sales_channel == "store" and sim.chance(0.6):
        return "store"
    return sim.rng.choices(("phone", "email", "chat"), (35, 40, 25))[0]


def _lot_shipped(sim: Sim, sku: str, location_id: str) -> str | None:
    """The lot a complaint most likely concerns: the newest usable one where the order shipped from."""
    for where in (location_id, sim.company.main_warehouse):
        lots = sim.books.usable_lots.get((sku, where))
        if lots:
            return lots[-1]
    return None


def _file(sim: Sim, when: datetime, body: dict[str, str], resolutions: tuple[str, ...]) -> datetime:
    at = sim.emit(when, "file-complaint", body)
    complaint_id, severity = body["complaint_id"], body["severity"]
    sim.books.complaints[complaint_id] = "open"
    sim.books.complainants[complaint_id] = body["customer_id"]
    _plan_handling(sim, at, complaint_id, severity, resolutions, share_of_sla=1.0)
    return at


def _plan_handling(
    sim: Sim,
    opened: datetime,
    complaint_id: str,
    severity: str,
    resolutions: tuple[str, ...],
    share_of_sla: float,
) -> None:
    """Answer and resolve a (re)opened complaint, mostly within the SLA clocks."""
    respond_within, resolve_within = SLA_HOURS[severity]
    if sim.chance(ANSWERED_IN_TIME):
        respond = respond_within * sim.rng.uniform(0.1, 0.9)
    else:
        respond = respond_within * sim.rng.uniform(1.1, 2.5)
    if sim.chance(RESOLVED_IN_TIME):
        resolve = resolve_within * share_of_sla * sim.rng.uniform(0.15, 0.85)
    else:
        resolve = resolve_within * sim.rng.uniform(1.05, 1.5)
    answered = opened + timedelta(hours=respond)
    resolved = max(answered + timedelta(minutes=sim.rng.randint(10, 90)), opened + timedelta(hours=resolve))
    sim.schedule(answered, partial(_acknowledge, sim, complaint_id=complaint_id))
    resolution = sim.rng.choice(resolutions)
    sim.schedule(
        resolved,
        partial(
            _resolve,
            sim,
            complaint_id=complaint_id,
            severity=severity,
            resolution=resolution,
            resolutions=resolutions,
        ),
    )


def _acknowledge(sim: Sim, when: datetime, *, complaint_id: str) -> None:
    if sim.books.complaints[complaint_id] != "open":
        return
    sim.emit(when, "acknowledge-complaint", {"complaint_id": complaint_id})
    sim.books.complaints[complaint_id] = "acknowledged"


def _resolve(
    sim: Sim,
    when: datetime,
    *,
    complaint_id: str,
    severity: str,
    resolution: str,
    resolutions: tuple[str, ...],
) -> None:
    if sim.books.complaints[complaint_id] not in ("open", "acknowledged"):
        return
    at = sim.emit(when, "resolve-complaint", {"complaint_id": complaint_id, "resolution": resolution})
    sim.books.complaints[complaint_id] = "resolved"
    followups.after_complaint(sim, at, complaint_id, severity)
    if sim.chance(REOPENED):
        back = at + timedelta(days=sim.rng.uniform(1, 6))
        sim.schedule(
            back, partial(_reopen, sim, complaint_id=complaint_id, severity=severity, resolutions=resolutions)
        )


def _reopen(
    sim: Sim, when: datetime, *, complaint_id: str, severity: str, resolutions: tuple[str, ...]
) -> None:
    if sim.books.complaints[complaint_id] != "resolved":
        return
    reason = sim.rng.choice(REOPEN_REASONS)
    at = sim.emit(when, "reopen-complaint", {"complaint_id": complaint_id, "reason": reason})
    sim.books.complaints[complaint_id] = "open"
    _plan_handling(sim, at, complaint_id, severity, resolutions, share_of_sla=0.5)
