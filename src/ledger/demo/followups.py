"""Calling customers back: after a resolved complaint, after a large order, and a survey now and then.

Customer service calls most customers a few business days after their complaint was
resolved (unless it was reopened meanwhile); the field reps call after every large order
has been delivered, often; and a few web customers answer an emailed survey. Most say how
satisfied they are (CSAT 1 to 5) and how likely they are to recommend the company (NPS 0 to
10); some are not reached. Scores follow the experience: lower after a complaint, above all
a severe one, and after a delivery that came later than promised; the likelihood to
recommend goes with the satisfaction.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any, Final

from ledger.demo.books import OrderBook
from ledger.demo.simulation import Sim

LARGE_ORDER: Final = Decimal(1000)
CALLED_AFTER_COMPLAINT: Final = 0.75
CALLED_AFTER_LARGE_ORDER: Final = 0.65
SURVEYED: Final = 0.07  # of delivered web orders, those whose survey comes back
NOT_REACHED: Final = 0.1
NPS_ASKED: Final = 0.85
# weights of CSAT 1..5
CSAT: Final = {
    "complaint": (6, 12, 25, 35, 22),
    "severe complaint": (12, 18, 28, 28, 14),
    "on time": (1, 2, 10, 40, 47),
    "late": (4, 10, 26, 38, 22),
    "survey": (1, 4, 12, 40, 43),
}
# a customer's likelihood to recommend, given its satisfaction: (scores, weights)
NPS: Final = {
    5: ((8, 9, 10), (10, 40, 50)),
    4: ((6, 7, 8, 9, 10), (8, 30, 37, 18, 7)),
    3: ((4, 5, 6, 7), (20, 30, 30, 20)),
    2: ((1, 2, 3, 4, 5), (15, 20, 25, 25, 15)),
    1: ((0, 1, 2, 3), (40, 30, 20, 10)),
}
NOTES: Final = {
    "complaint": "Called back after the complaint was resolved",
    "order": "Called after delivery of a large order",
    "survey": "Answered the post-delivery survey",
    "not reached": "No answer; left a message",
}


def after_complaint(sim: Sim, resolved: datetime, complaint_id: str, severity: str) -> None:
    if sim.chance(CALLED_AFTER_COMPLAINT):
        when = sim.timeline.business_slot(sim.rng, resolved, sim.rng.randint(1, 3), 9.0, 17.0)
        sim.schedule(when, partial(_call_about_complaint, sim, complaint_id=complaint_id, severity=severity))


def _call_about_complaint(sim: Sim, when: datetime, *, complaint_id: str, severity: str) -> None:
    if sim.books.complaints[complaint_id] != "resolved":
        return  # reopened meanwhile: the call waits for the next resolution
    profile = "severe complaint" if severity in ("high", "critical") else "complaint"
    body = {"customer_id": sim.books.complainants[complaint_id], "kind": "call", "complaint_id": complaint_id}
    _record(sim, when, body, profile, NOTES["complaint"])


def after_order(sim: Sim, delivered: datetime, order: OrderBook) -> None:
    """A call after a large order, or now and then a survey after a web order."""
    late = order.promised is not None and delivered > order.promised
    rng, timeline = sim.rng, sim.timeline
    if order.amount >= LARGE_ORDER and sim.chance(CALLED_AFTER_LARGE_ORDER):
        when = timeline.business_slot(rng, delivered, rng.randint(2, 6), 9.0, 17.0)
        body = {"customer_id": order.customer_id, "kind": "call", "order_id": order.order_id}
        sim.schedule(when, partial(_scheduled, sim, body=body, profile="late" if late else "on time"))
    elif order.channel == "online" and sim.chance(SURVEYED):
        when = timeline.business_slot(rng, delivered, rng.randint(3, 7), 8.0, 22.0)
        body = {"customer_id": order.customer_id, "kind": "survey", "order_id": order.order_id}
        sim.schedule(when, partial(_scheduled, sim, body=body, profile="late" if late else "survey"))


def _scheduled(sim: Sim, when: datetime, *, body: dict[str, Any], profile: str) -> None:
    note = NOTES["survey"] if body["kind"] == "survey" else NOTES["order"]
    _record(sim, when, body, profile, note)


def _record(sim: Sim, when: datetime, body: dict[str, Any], profile: str, note: str) -> None:
    rng = sim.rng
    body = {"follow_up_id": sim.books.next_id("FU"), **body}
    if body["kind"] == "call" and sim.chance(NOT_REACHED):
        body["note"] = NOTES["not reached"]
    else:
        csat = rng.choices((1, 2, 3, 4, 5), CSAT[profile])[0]
        body["csat"], body["note"] = csat, note
        if sim.chance(NPS_ASKED):
            scores, weights = NPS[csat]
            body["nps"] = rng.choices(scores, weights)[0]
    sim.emit(when, "record-follow-up", body)
