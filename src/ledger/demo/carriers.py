"""Promises to customers and the carriers that keep them (or not).

A web order is promised by the end of the fourth business day after it is placed, a field
order by the end of the sixth; a store sale is handed over at the counter, with no promise
and nothing to deliver. Each shipment of a web or field order goes with a carrier, which
delivers it one to a few business days later; the delivery is recorded with the carrier's
name and tracking number. Orders that ship late, come in two parts or meet a slow carrier
arrive after their promise.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Final

from ledger.demo.simulation import Sim

PROMISE_DAYS: Final = {"online": 4, "distributor": 6}  # business days after placing
PROMISE_HOUR: Final = 18.0
# business days in transit, with their weights
TRANSIT_DAYS: Final = {
    "online": ((1, 62), (2, 28), (3, 10)),
    "distributor": ((1, 35), (2, 35), (3, 20), (4, 10)),
}
DELIVERY_HOURS: Final = (9.0, 18.0)
CARRIERS: Final = {
    "online": (("Swift Parcel", "SP"), ("Citylink Express", "CX")),
    "distributor": (("Road Freight Co.", "RF"), ("Northline Haulage", "NH")),
}


def promise(sim: Sim, channel: str, placed: datetime) -> datetime | None:
    """When the order is promised to the customer (None: a counter sale, handed over at once)."""
    days = PROMISE_DAYS.get(channel)
    if days is None:
        return None
    return sim.timeline.at(sim.timeline.business_day(placed, days), PROMISE_HOUR)


def send(sim: Sim, shipped: datetime, *, channel: str, order_id: str, shipment_id: str) -> datetime | None:
    """Hand a shipment to a carrier: when it will be delivered (None for a counter sale)."""
    transit = TRANSIT_DAYS.get(channel)
    if transit is None:
        return None
    rng = sim.rng
    days = rng.choices([d for d, _ in transit], [w for _, w in transit])[0]
    delivered = sim.timeline.business_slot(rng, shipped, days, *DELIVERY_HOURS)
    carrier, prefix = rng.choice(CARRIERS[channel])
    body = {
        "order_id": order_id,
        "shipment_id": shipment_id,
        "carrier": carrier,
        "tracking": f"{prefix}{rng.randrange(10**9, 10**10)}",
    }
    sim.schedule(delivered, partial(_delivered, sim, body=body))
    return delivered


def _delivered(sim: Sim, when: datetime, *, body: dict[str, str]) -> None:
    sim.emit(when, "record-delivery", body)
