"""Campaigns: a few a quarter across media, each launched with a budget and paid for as it runs.

Every quarter the history touches has an always-on search campaign, a three-week social
burst, a one-week email to the customer list (sent in-house: its budget is 0, only the
mailing platform's fee is paid), a trade catalogue in print for the field customers and a
fortnight's promotion in the store; every other quarter the company also takes a stand at a
trade fair. A campaign is launched a few business days before it starts (the fair and the
catalogue some weeks before), or with the opening of the books when it is already running;
one over before the books open is not in them. Media are paid as they run: search and
social weekly, print and the store up front and a week in, the fair before and after;
pacing is drawn per campaign, so some end under budget and some over. A display campaign
for the next season is launched just before the end of the history and has no spend yet.

While a campaign runs, some of its channel's orders carry it (``attribution``), its channel
sells a little more (``lift``) and it brings leads (``ledger.demo.leads``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Final

from ledger.demo.books import CampaignBook
from ledger.demo.simulation import Sim
from ledger.demo.timeline import is_business_day

CURRENCY: Final = "EUR"
CENT: Final = Decimal("0.01")
PLATFORM_FEE: Final = Decimal("49.00")
LAUNCH_AHEAD: Final = {"event": 20, "print": 10}  # business days before it starts (else 3)
NEXT_SEASON_IN: Final = 12  # days after the end of the history that the unspent campaign starts


# label, budget (drawn in steps of 500), pacing (what it will have spent, as a share of its budget)
MEDIA: Final = {
    "search": ("search ads", (2000, 3000), (0.85, 1.2)),
    "social": ("social push", (1000, 1500), (0.9, 1.25)),
    "email": ("customer newsletter", (0, 0), (0.0, 0.0)),
    "print": ("trade catalogue", (3000, 4500), (0.9, 1.15)),
    "in_store": ("store promotion", (500, 1000), (0.8, 1.15)),
    "event": ("trade fair stand", (3000, 5000), (0.9, 1.3)),
    "display": ("display ads", (1000, 1500), (0.9, 1.1)),
}
# the channel whose orders it brings, the share of them that carry it, their discount, the lift
ORDERS: Final = {
    "search": ("online", 0.1, 0, 1.0),
    "social": ("online", 0.12, 0, 1.12),
    "email": ("online", 0.3, 10, 1.2),
    "print": ("distributor", 0.08, 0, 1.0),
    "in_store": ("store", 0.3, 10, 1.2),
    "display": ("online", 0.05, 0, 1.05),
}
# leads a day, their channel, the share from customers on the books, qualified, won when qualified
LEADS: Final = {
    "search": (0.8, "online", 0.3, 0.5, 0.65),
    "social": (1.2, "online", 0.2, 0.3, 0.55),
    "email": (0.7, "online", 1.0, 0.6, 0.75),
    "print": (0.35, "distributor", 0.5, 0.6, 0.7),
    "event": (8.0, "direct", 0.3, 0.45, 0.6),
    "display": (0.5, "online", 0.2, 0.35, 0.55),
}
SEASONS: Final = ("Winter", "Spring", "Summer", "Autumn")


def plan_campaigns(sim: Sim) -> None:
    """Draw every campaign of the history and schedule its launch and its spending."""
    timeline = sim.timeline
    first, last = timeline.local_date(timeline.start), timeline.local_date(timeline.end)
    quarters = sorted({(day.year, (day.month - 1) // 3 + 1) for day in (first, last)} | _between(first, last))
    for year, quarter in quarters:
        for campaign in _quarter(sim, year, quarter):
            if campaign.ends_on >= first:  # one over before the books open is not in them
                _schedule(sim, campaign)
    _schedule(sim, _next_season(sim, last))


def _between(first: date, last: date) -> set[tuple[int, int]]:
    quarters, day = set(), first
    while day <= last:
        quarters.add((day.year, (day.month - 1) // 3 + 1))
        day += timedelta(days=28)
    return quarters


def _quarter(sim: Sim, year: int, quarter: int) -> list[CampaignBook]:
    rng = sim.rng
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + quarter // 4, 3 * quarter % 12 + 1, 1) - timedelta(days=1)
    days = (end - start).days + 1
    season = SEASONS[quarter - 1]
    tag = f"{year}Q{quarter}"

    def week(earliest: int, latest: int) -> date:
        return start + timedelta(days=7 * rng.randint(earliest, latest))

    social, email, store = week(1, 9), week(2, 11), week(1, 10)
    spans = [
        ("search", start, end),
        ("social", social, social + timedelta(days=20)),
        ("email", email, email + timedelta(days=6)),
        ("print", start + timedelta(days=7), start + timedelta(days=48)),
        ("in_store", store, store + timedelta(days=13)),
    ]
    if quarter % 2 == 0:
        fair = week(3, 10)
        fair += timedelta(days=(1 - fair.weekday()) % 7)  # Tuesday to Thursday
        spans.append(("event", fair, fair + timedelta(days=2)))
    assert all(span_end - start < timedelta(days=days) for _, _, span_end in spans)
    return [
        _campaign(
            sim,
            f"CMP-{tag}-{medium.upper().replace('_', '')}",
            f"{season} {year} {MEDIA[medium][0]}",
            medium,
            first,
            last,
        )
        for medium, first, last in spans
    ]


def _campaign(
    sim: Sim, campaign_id: str, name: str, medium: str, starts_on: date, ends_on: date
) -> CampaignBook:
    rng = sim.rng
    _, (low, high), pacing = MEDIA[medium]
    drives, share, discount, lift = ORDERS.get(medium, (None, 0.0, 0, 1.0))
    leads, lead_channel, known, qualify, win = LEADS.get(medium, (0.0, "direct", 0.0, 0.0, 0.0))
    return CampaignBook(
        campaign_id=campaign_id,
        name=name,
        medium=medium,
        starts_on=starts_on,
        ends_on=ends_on,
        budget=Decimal(500 * rng.randint(low // 500, high // 500)),
        pacing=rng.uniform(*pacing),
        drives=drives,
        share=share,
        discount=Decimal(discount),
        lift=lift,
        leads=leads,
        lead_channel=lead_channel,
        known=known,
        qualify=qualify,
        win=win,
    )


def _next_season(sim: Sim, last: date) -> CampaignBook:
    starts_on = last + timedelta(days=NEXT_SEASON_IN)
    season = SEASONS[(starts_on.month - 1) // 3]
    tag = f"{starts_on.year}Q{(starts_on.month - 1) // 3 + 1}"
    name = f"{season} {starts_on.year} range launch, display ads"
    return _campaign(sim, f"CMP-{tag}-LAUNCH", name, "display", starts_on, starts_on + timedelta(days=27))


def _schedule(sim: Sim, campaign: CampaignBook) -> None:
    timeline = sim.timeline
    sim.books.campaign_plan.append(campaign)
    day = campaign.starts_on
    for _ in range(LAUNCH_AHEAD.get(campaign.medium, 3)):
        day -= timedelta(days=1)
        while not is_business_day(day):
            day -= timedelta(days=1)
    at = timeline.at(day, 11.0)
    if campaign.starts_on > timeline.local_date(timeline.end):
        at = min(at, timeline.end - timedelta(days=2))  # next season's: launched, nothing spent yet
    at = max(at, timeline.start + timedelta(hours=1))
    sim.schedule(at, partial(launch, sim, campaign=campaign))
    for when, spend_id, amount, note in _spending(sim, campaign):
        if when >= sim.open_at:
            action = partial(
                spend, sim, campaign_id=campaign.campaign_id, spend_id=spend_id, amount=amount, note=note
            )
            sim.schedule(when, action)


def _cents(value: Decimal | float) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _spending(sim: Sim, c: CampaignBook) -> list[tuple[datetime, str, Decimal, str]]:
    """Every payment of the campaign: when, its id, how much, what for."""
    timeline, total = sim.timeline, c.budget * Decimal(str(round(c.pacing, 4)))
    length = (c.ends_on - c.starts_on).days + 1
    if c.medium == "email":
        return [(timeline.at(c.starts_on, 8.5), "FEE", PLATFORM_FEE, "Mailing platform fee")]
    if c.medium in ("print", "in_store"):
        first = _cents(total * Decimal("0.75"))
        what = (
            ("Printing", "Postage")
            if c.medium == "print"
            else ("Displays and shelf talkers", "Store staff hours")
        )
        return [
            (timeline.at(c.starts_on, 10.0), "INV-1", first, what[0]),
            (timeline.at(c.starts_on + timedelta(days=7), 10.0), "INV-2", _cents(total) - first, what[1]),
        ]
    if c.medium == "event":
        fee = _cents(total * Decimal("0.6"))
        return [
            (timeline.at(c.starts_on - timedelta(days=14), 10.0), "STAND", fee, "Stand fee"),
            (
                timeline.at(c.ends_on + timedelta(days=4), 10.0),
                "TRAVEL",
                _cents(total) - fee,
                "Travel and hospitality",
            ),
        ]
    payments, monday = [], c.starts_on + timedelta(days=7 - c.starts_on.weekday())
    while monday - timedelta(days=7) <= c.ends_on:
        week_start = max(c.starts_on, monday - timedelta(days=7))
        days = ((min(c.ends_on, monday - timedelta(days=1)) - week_start).days + 1) * sim.rng.uniform(
            0.85, 1.15
        )
        year, week, _ = (monday - timedelta(days=1)).isocalendar()
        amount = _cents(total * Decimal(days / length))
        payments.append(
            (timeline.at(monday, 9.0), f"W{year}{week:02d}", amount, f"Media invoice, week {week}")
        )
        monday += timedelta(days=7)
    return payments


def launch(sim: Sim, when: datetime, *, campaign: CampaignBook) -> None:
    body = {
        "campaign_id": campaign.campaign_id,
        "name": campaign.name,
        "medium": campaign.medium,
        "starts_on": campaign.starts_on.isoformat(),
        "ends_on": campaign.ends_on.isoformat(),
        "budget": f"{campaign.budget:.2f}",
        "currency": CURRENCY,
    }
    sim.emit(when, "launch-campaign", body)
    sim.books.campaigns.add(campaign.campaign_id)


def spend(sim: Sim, when: datetime, *, campaign_id: str, spend_id: str, amount: Decimal, note: str) -> None:
    if campaign_id not in sim.books.campaigns or amount <= 0:
        return
    body = {"campaign_id": campaign_id, "spend_id": spend_id, "amount": str(amount), "note": note}
    sim.emit(when, "record-campaign-spend", body)


def running(sim: Sim, when: datetime) -> list[CampaignBook]:
    """The launched campaigns running on the local day of ``when``."""
    books, day = sim.books, sim.timeline.local_date(when)
    key = (day, len(books.campaigns))  # a launch during the day changes the answer
    if books.running[0] != key:
        books.running = (
            key,
            [c for c in books.campaign_plan if c.campaign_id in books.campaigns and c.running(day)],
        )
    return books.running[1]


def attribution(sim: Sim, when: datetime, channel: str) -> CampaignBook | None:
    """The campaign that brought an order of ``channel`` placed at ``when``, if any did."""
    for campaign in running(sim, when):
        if campaign.drives == channel and sim.chance(campaign.share):
            return campaign
    return None


def lift(sim: Sim, when: datetime, channel: str) -> float:
    factor = 1.0
    for campaign in running(sim, when):
        if campaign.drives == channel:
            factor *= campaign.lift
    return factor
