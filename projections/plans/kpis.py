"""Every KPI an objective can name, measured by the very functions of the reports that show it.

A KPI is measured over its period ``[start, end)`` up to ``as_of`` ("to date"), and each one
calls the query of the read model (and report route) that shows the same figure, so a figure
has one definition wherever it appears:

- ``net_sales``: shipped less returned, as ``/v1/sales/attainment`` (basis shipped, total) says
  it; it is judged on its forecast there (the actual to date over the elapsed part).
- ``sales_growth_pct``: net sales to date against the same elapsed part (the same fraction) of
  the period of the same length before; null when that one sold nothing.
- ``sla_compliance_pct``: ``/v1/complaints/summary``'s figure over the complaints filed in the
  period, of every severity, judged at ``as_of``.
- ``defect_rate``: ``/v1/quality/trends``'s defective over inspected units, all inspections
  recorded in the period by ``as_of``, 6 places.
- ``supplier_otif_pct``: ``/v1/suppliers/scorecard``'s OTIF over every supplier's lines
  expected in the period, judged at ``as_of``.
- ``customer_otif_pct``: ``/v1/sales/fulfilment``'s total OTIF of orders promised in the period
  by ``as_of``, as known at ``as_of``.
- ``inventory_value``: ``/v1/inventory/valuation``'s ``total_value`` at the period's end, or at
  ``as_of`` before it.
- ``csat_avg`` and ``nps``: ``/v1/customers/satisfaction``'s figures over the follow-ups
  recorded in the period by ``as_of``.
- ``repeat_rate_pct``: ``/v1/customers/retention``'s, over the orders placed in the period by
  ``as_of``.
- ``campaign_roas``: the revenue of orders carrying a campaign placed in the period over the
  spend recorded in it, by ``as_of``, as ``/v1/marketing/campaigns`` works out a campaign's.

A figure with nothing to measure is None. Shown figures are rounded once, as their report
rounds them, and an objective is judged on the figure as shown.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Final, Literal
from zoneinfo import ZoneInfo

from ledger.store import Connection
from projections import customers, fulfilment, inventory, marketing, purchasing, quality, sales, service
from projections.plans.periods import previous, span
from projections.sales.figures import cents

Good = Literal["up", "down"]
RATE_PLACES: Final = Decimal("0.000001")
_MICROSECOND: Final = timedelta(microseconds=1)


@dataclass(frozen=True)
class Reading:
    """What a measure reads: one connection, the live schema of each read model by name, and
    the settings the reports judge by."""

    conn: Connection
    schemas: Mapping[str, str]
    sla: service.SlaHours
    zone: ZoneInfo


@dataclass(frozen=True, slots=True)
class Window:
    """An objective's period ``name`` as [start, end), measured up to ``as_of``."""

    name: str
    start: datetime
    end: datetime
    as_of: datetime

    @property
    def known_end(self) -> datetime:
        """The end of what is known at ``as_of`` (at or before it) within the period."""
        return min(self.end, max(self.start, self.as_of + _MICROSECOND))


@dataclass(frozen=True, slots=True)
class Measure:
    """A KPI's figure as shown (None: nothing to measure), and the figure it is judged on."""

    actual: Decimal | None
    judged: Decimal | None


Measurer = Callable[[Reading, Window], Awaitable[Measure]]


@dataclass(frozen=True)
class Kpi:
    """A KPI: the read models its measure reads, which way is good, and the measure."""

    name: str
    reads: tuple[str, ...]
    good: Good
    measure: Measurer = field(repr=False)


def _plain(figure: Decimal | None) -> Measure:
    return Measure(figure, figure)


async def _net_sales_to_date(
    reading: Reading, name: str, start: datetime, end: datetime, as_of: datetime
) -> Fraction:
    found = await sales.actuals_of(
        reading.conn, reading.schemas["sales"], sales.Period(name, start, end), "total", "shipped", as_of
    )
    return found.get("*", Fraction(0))


async def net_sales(reading: Reading, window: Window) -> Measure:
    done = await _net_sales_to_date(reading, window.name, window.start, window.end, window.as_of)
    elapsed = sales.elapsed_fraction(window.start, window.end, window.as_of)
    return Measure(cents(done), sales.attainment("*", None, done, elapsed).forecast)


async def sales_growth_pct(reading: Reading, window: Window) -> Measure:
    done = await _net_sales_to_date(reading, window.name, window.start, window.end, window.as_of)
    elapsed = sales.elapsed_fraction(window.start, window.end, window.as_of)
    before = previous(window.name)
    start, end = span(before, reading.zone)
    cut = start + _MICROSECOND * math.floor(elapsed * ((end - start) // _MICROSECOND))
    earlier = await _net_sales_to_date(reading, before, start, cut, window.as_of)
    return _plain(cents((done - earlier) / earlier * 100) if earlier else None)


async def sla_compliance_pct(reading: Reading, window: Window) -> Measure:
    figure = await service.sla_compliance_of(
        reading.conn,
        reading.schemas["service"],
        as_of=window.as_of,
        sla=reading.sla,
        filed_from=window.start,
        filed_to=window.end,
    )
    return _plain(figure)


async def defect_rate(reading: Reading, window: Window) -> Measure:
    filters = quality.Filters(start=window.start, end=window.known_end)
    found = await quality.inspected(reading.conn, reading.schemas["quality"], filters)
    return _plain(quality.defect_rate(found.defective_units, found.inspected_units, RATE_PLACES))


async def supplier_otif_pct(reading: Reading, window: Window) -> Measure:
    judged = purchasing.Window(start=window.start, end=window.end, as_of=window.as_of)
    return _plain(await purchasing.otif_pct_of(reading.conn, reading.schemas["purchasing"], judged))


async def customer_otif_pct(reading: Reading, window: Window) -> Measure:
    figure = await fulfilment.otif_pct_of(
        reading.conn,
        reading.schemas["fulfilment"],
        start=window.start,
        end=window.known_end,
        as_of=window.as_of,
    )
    return _plain(figure)


async def inventory_value(reading: Reading, window: Window) -> Measure:
    at = min(window.end, window.as_of)
    found = await inventory.valuation(reading.conn, reading.schemas["inventory"], as_of=at, limit=0)
    return _plain(found.total_value)


async def csat_avg(reading: Reading, window: Window) -> Measure:
    schema = reading.schemas["customers"]
    return _plain(await customers.csat_avg(reading.conn, schema, window.start, window.known_end))


async def nps(reading: Reading, window: Window) -> Measure:
    schema = reading.schemas["customers"]
    return _plain(await customers.nps(reading.conn, schema, window.start, window.known_end))


async def repeat_rate_pct(reading: Reading, window: Window) -> Measure:
    schema = reading.schemas["customers"]
    return _plain(await customers.repeat_rate_pct(reading.conn, schema, window.start, window.known_end))


async def campaign_roas(reading: Reading, window: Window) -> Measure:
    schema = reading.schemas["marketing"]
    figure = await marketing.campaign_roas(reading.conn, schema, window.start, window.end, as_of=window.as_of)
    return _plain(figure)


KPIS: Final[Mapping[str, Kpi]] = {
    kpi.name: kpi
    for kpi in (
        Kpi("net_sales", ("sales",), "up", net_sales),
        Kpi("sales_growth_pct", ("sales",), "up", sales_growth_pct),
        Kpi("sla_compliance_pct", ("service",), "up", sla_compliance_pct),
        Kpi("defect_rate", ("quality",), "down", defect_rate),
        Kpi("supplier_otif_pct", ("purchasing",), "up", supplier_otif_pct),
        Kpi("customer_otif_pct", ("fulfilment",), "up", customer_otif_pct),
        Kpi("inventory_value", ("inventory",), "down", inventory_value),
        Kpi("csat_avg", ("customers",), "up", csat_avg),
        Kpi("nps", ("customers",), "up", nps),
        Kpi("repeat_rate_pct", ("customers",), "up", repeat_rate_pct),
        Kpi("campaign_roas", ("marketing",), "up", campaign_roas),
    )
}
"""Every KPI by name (``schemas.planning.Kpi`` names them all)."""
