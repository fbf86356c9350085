"""Leads: captured through campaigns or on their own, qualified, and won by an order or lost.

Running campaigns bring leads every day (the fair a burst of them on its days); the web
shop's contact form, trade referrals and phone enquiries bring some without any campaign.
Some come from customers already on the books, the rest from prospects. Within a few
business days sales looks at each: most promising ones are qualified, the others lost (or,
when the prospect never answers, lost some weeks later); a known customer sometimes simply
orders at once. A qualified lead is won by an order that names it a few days on (a prospect
is registered as a customer first, and buys again afterwards) or lost for a reason. The
chances differ by channel and by campaign, so conversion does too; leads of the last
weeks are still open at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Final

from ledger.demo import loyalty, marketing, sales
from ledger.demo.books import CampaignBook, LeadBook
from ledger.demo.catalogue import FIRST_NAMES, LAST_NAMES, PLACE_NAMES, SEGMENTS
from ledger.demo.company import WALK_IN, Customer
from ledger.demo.simulation import Action, Sim
from ledger.demo.timeline import is_business_day


@dataclass(frozen=True, slots=True)
class Source:
    """Where leads come from without a campaign: leads a business day, and their chances."""

    per_day: float
    known: float
    qualify: float
    win: float


ORGANIC: Final = {
    "online": Source(0.35, 0.35, 0.35, 0.6),  # the web shop's contact form
    "distributor": Source(0.15, 0.6, 0.65, 0.75),  # referrals by trade customers
    "direct": Source(0.3, 0.2, 0.4, 0.6),  # phone enquiries to the field reps
}
HOURS: Final = {"online": (7.0, 22.0), "distributor": (8.0, 17.0), "direct": (8.5, 17.0)}
WIN_BACK: Final = 0.25  # of the newsletter's leads from customers, those from lapsed ones
STRAIGHT: Final = 0.15  # of known customers' leads, those that order before anyone qualifies them
SILENT: Final = 0.3  # of unqualified leads, those lost only after weeks without an answer
NEW_SEGMENTS: Final = {
    "online": (("retail", 60), ("contractor", 40)),
    "distributor": (("wholesale", 40), ("facility", 35), ("public", 25)),
    "direct": (("contractor", 45), ("wholesale", 30), ("facility", 25)),
}
TRADE: Final = ("contractor", "wholesale", "facility", "public")
UNQUALIFIED: Final = (
    "Not a fit: outside our range",
    "Outside our delivery area",
    "Only collecting prices",
    "Duplicate of an existing enquiry",
)
SILENT_REASON: Final = "No answer after three attempts"
LOST_QUALIFIED: Final = (
    "Chose a competitor on price",
    "Project postponed to next year",
    "No budget this quarter",
    "Needed delivery sooner than we could promise",
    "Went with their usual supplier",
)
OUT_OF_STOCK: Final = "Could not supply the items from stock in time"


def plan_day(sim: Sim, day: date) -> None:
    """Schedule the leads of one local day: from the running campaigns and from no campaign."""
    timeline, business = sim.timeline, is_business_day(day)
    noon = timeline.at(day, 12.0)
    for campaign in marketing.running(sim, noon):
        if campaign.leads and (business or campaign.lead_channel == "online"):
            mean = campaign.leads * (1.0 if business else 0.5)
            for _ in range(sim.poisson(mean)):
                action = partial(capture, sim, channel=campaign.lead_channel, campaign=campaign)
                _at(sim, day, campaign.lead_channel, action)
    for channel, source in ORGANIC.items():
        if business or channel == "online":
            for _ in range(sim.poisson(source.per_day * (1.0 if business else 0.5))):
                _at(sim, day, channel, partial(capture, sim, channel=channel, campaign=None))


def _at(sim: Sim, day: date, channel: str, action: Action) -> None:
    when = sim.timeline.between(sim.rng, day, *HOURS[channel])
    if when >= sim.open_at:
        sim.schedule(when, action)


def capture(sim: Sim, when: datetime, *, channel: str, campaign: CampaignBook | None) -> None:
    source = campaign or ORGANIC[channel]
    customer = _known_customer(sim, channel, campaign) if sim.chance(source.known) else None
    lead = LeadBook(
        sim.books.next_id("L"),
        channel,
        campaign.campaign_id if campaign else None,
        customer.customer_id if customer else None,
    )
    body = {"lead_id": lead.lead_id, "channel": channel}
    if lead.campaign_id is not None:
        body["campaign_id"] = lead.campaign_id
    if lead.customer_id is not None:
        body["customer_id"] = lead.customer_id
    at = sim.emit(when, "capture-lead", body)
    sim.books.leads[lead.lead_id] = lead
    look = sim.timeline.business_slot(sim.rng, at, sim.rng.randint(0, 2), 9.0, 17.0)
    sim.schedule(look, partial(_assess, sim, lead=lead, qualify=source.qualify, win=source.win))


def _known_customer(sim: Sim, channel: str, campaign: CampaignBook | None) -> Customer:
    """A customer buying now (the newsletter reaches lapsed ones too); off the web, a trade one."""
    lapsed = sim.books.lapsed
    if campaign is not None and campaign.medium == "email" and lapsed and sim.chance(WIN_BACK):
        return sim.books.customers[sim.rng.choice(sorted(lapsed))]
    pool = [
        c for c in sim.books.customers.values() if c.customer_id != WALK_IN and c.customer_id not in lapsed
    ]
    if channel != "online":
        pool = [c for c in pool if c.segment in TRADE]
    return sim.rng.choice(pool)


def _assess(sim: Sim, when: datetime, *, lead: LeadBook, qualify: float, win: float) -> None:
    rng = sim.rng
    if lead.customer_id is not None and sim.chance(STRAIGHT):
        _win(sim, when, lead=lead)
    elif sim.chance(qualify):
        sim.emit(when, "qualify-lead", {"lead_id": lead.lead_id})
        lead.status = "qualified"
        later = sim.timeline.business_slot(rng, when, rng.randint(2, 9), 9.0, 17.0)
        if sim.chance(win):
            sim.schedule(later, partial(_win, sim, lead=lead))
        else:
            sim.schedule(later, partial(_lose, sim, lead=lead, reason=rng.choice(LOST_QUALIFIED)))
    elif sim.chance(SILENT):
        later = sim.timeline.business_slot(rng, when, 15, 9.0, 17.0)
        sim.schedule(later, partial(_lose, sim, lead=lead, reason=SILENT_REASON))
    else:
        _lose(sim, when, lead=lead, reason=rng.choice(UNQUALIFIED))


def _lose(sim: Sim, when: datetime, *, lead: LeadBook, reason: str) -> None:
    if lead.open:
        sim.emit(when, "lose-lead", {"lead_id": lead.lead_id, "reason": reason})
        lead.status = "lost"


def _win(sim: Sim, when: datetime, *, lead: LeadBook) -> None:
    """The order that wins the lead; a prospect is registered as a customer first."""
    if not lead.open:
        return
    channel = "online" if lead.channel == "online" else "distributor"
    if lead.customer_id is not None:
        customer = sim.books.customers[lead.customer_id]
    else:
        customer = _register(sim, when, lead.channel)
    if sales.place(sim, when, channel, customer, lead.lead_id):
        lead.status = "won"
        loyalty.won_back(sim, customer.customer_id)
    else:
        _lose(sim, when + timedelta(minutes=5), lead=lead, reason=OUT_OF_STOCK)


def _register(sim: Sim, when: datetime, channel: str) -> Customer:
    rng = sim.rng
    segments = NEW_SEGMENTS[channel]
    segment = rng.choices([s for s, _ in segments], [w for _, w in segments])[0]
    _, suffixes, (low, high) = SEGMENTS[segment]
    if suffixes:
        name = f"{rng.choice(PLACE_NAMES)} {rng.choice(suffixes)}"
    else:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    customer = Customer(
        sim.books.next_id("CUST"),
        name,
        segment,
        rng.choice(sim.company.warehouse_ids),
        Decimal(rng.randint(low * 2, high * 2)) / 2,
    )
    body = {"customer_id": customer.customer_id, "name": name, "segment": segment}
    sim.emit(when, "register-customer", body)
    loyalty.join(sim, customer)
    return customer
