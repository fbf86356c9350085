"""The demo's own reckoning of its history: the plan's KPIs, the funnel and satisfaction, from its commands.

The plan (``objectives``) sets its targets against what the history will show, as a
manager would against a forecast; this module works those figures out from the generated
commands alone, the way API.md defines them, closely enough for that (floats, no cent
rounding, a reopened complaint judged by its first answer and resolution). It is no read
model and nothing serves it: the read models compute the figures the API answers.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

SLA_HOURS = {"critical": (1, 24), "high": (4, 72), "medium": (8, 120), "low": (24, 240)}
LEAD_TIME = timedelta(days=45)  # a promise or an expected delivery lies at most this long after placing


def period_span(period: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """The start and end (the next period's start) of a month, quarter, year or span of years."""
    first, dots, last = period.partition("..")
    if dots:
        return _midnight(date(int(first), 1, 1), tz), _midnight(date(int(last) + 1, 1, 1), tz)
    year, _, rest = period.partition("-")
    if not rest:
        start, months = date(int(year), 1, 1), 12
    elif rest.startswith("Q"):
        start, months = date(int(year), 3 * int(rest[1]) - 2, 1), 3
    else:
        start, months = date(int(year), int(rest), 1), 1
    index = start.year * 12 + start.month - 1 + months
    return _midnight(start, tz), _midnight(date(index // 12, index % 12 + 1, 1), tz)


def previous_span(start: datetime, end: datetime, tz: tzinfo) -> tuple[datetime, datetime]:
    """The period of the same length just before [start, end), in calendar months."""
    months = (end.year - start.year) * 12 + end.month - start.month
    index = start.year * 12 + start.month - 1 - months
    return _midnight(date(index // 12, index % 12 + 1, 1), tz), start


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


def _within(times: Sequence[datetime], start: datetime, end: datetime) -> slice:
    """The positions of ``times`` (in order) that lie in [start, end)."""
    return slice(bisect_left(times, start), bisect_left(times, end))


@dataclass
class _Order:
    at: datetime
    customer_id: str
    campaign_id: str | None
    promised: datetime | None
    lines: dict[int, tuple[float, float]]  # line_no: (qty, net unit price)
    shipped: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    cancelled: dict[int, float] = field(default_factory=dict)
    shipments: dict[str, dict[int, float]] = field(default_factory=dict)
    delivered: dict[str, datetime] = field(default_factory=dict)

    def amount(self, quantities: Mapping[int, float]) -> float:
        return sum(qty * self.lines[n][1] for n, qty in quantities.items())


@dataclass
class _PoLine:
    placed_at: datetime
    expected_at: datetime
    ordered: float
    receipts: list[tuple[datetime, float]] = field(default_factory=list)
    cancelled_at: datetime | None = None


class Measures:
    """Figures of a history given as (business time, command name, body), in time order."""

    def __init__(self, commands: Iterable[tuple[datetime, str, dict[str, Any]]], tz: tzinfo) -> None:
        self.tz = tz
        self.orders: dict[str, _Order] = {}
        self.sales: list[tuple[datetime, float]] = []  # shipped (+) and returned (-) amounts
        self.spends: list[tuple[datetime, str, float]] = []
        self.budgets: dict[str, float] = {}
        self.complaints: dict[str, dict[str, Any]] = {}
        self.inspections: list[tuple[datetime, float, float]] = []
        self.po_lines: dict[tuple[str, int], _PoLine] = {}
        self.follow_ups: list[dict[str, Any]] = []
        self.leads: dict[str, dict[str, Any]] = {}
        for at, name, body in commands:
            self._apply(at, name, body)
        # every list above is in business-time order: a window of it is a slice
        self._sales_at = [at for at, _ in self.sales]
        self._spends_at = [at for at, _, _ in self.spends]
        self._inspections_at = [at for at, _, _ in self.inspections]
        self._follow_ups_at = [f["at"] for f in self.follow_ups]
        self._complaints = list(self.complaints.values())
        self._complaints_at = [c["at"] for c in self._complaints]
        self._orders = list(self.orders.values())
        self._orders_at = [o.at for o in self._orders]
        self._po_lines = list(self.po_lines.values())
        self._po_lines_at = [line.placed_at for line in self._po_lines]
        self._first_order: dict[str, datetime] = {}
        for order in self._orders:
            if not order.cancelled or any(order.shipped.values()):
                self._first_order.setdefault(order.customer_id, order.at)

    def _apply(self, at: datetime, name: str, b: dict[str, Any]) -> None:
        if name == "place-order":
            lead = self.leads.get(b.get("lead_id") or "")
            campaign = b.get("campaign_id") or (lead["campaign_id"] if lead else None)
            lines = {
                int(x["line_no"]): (
                    float(x["qty"]),
                    float(x["unit_price"]) * (100 - float(x.get("discount_pct", 0))) / 100,
                )
                for x in b["lines"]
            }
            promised = datetime.fromisoformat(b["promised_at"]) if "promised_at" in b else None
            self.orders[b["order_id"]] = _Order(at, b["customer_id"], campaign, promised, lines)
            if lead:
                lead["won"] = True
        elif name == "ship-order":
            order = self.orders[b["order_id"]]
            qty = {int(x["line_no"]): float(x["qty"]) for x in b["lines"]}
            order.shipments[b["shipment_id"]] = qty
            for n, q in qty.items():
                order.shipped[n] += q
            self.sales.append((at, order.amount(qty)))
        elif name == "record-delivery":
            self.orders[b["order_id"]].delivered[b["shipment_id"]] = at
        elif name == "cancel-order":
            order = self.orders[b["order_id"]]
            order.cancelled = {n: qty - order.shipped[n] for n, (qty, _) in order.lines.items()}
        elif name == "return-order":
            order = self.orders[b["order_id"]]
            self.sales.append((at, -order.amount({int(x["line_no"]): float(x["qty"]) for x in b["lines"]})))
        elif name == "launch-campaign":
            self.budgets[b["campaign_id"]] = float(b["budget"])
        elif name == "record-campaign-spend":
            self.spends.append((at, b["campaign_id"], float(b["amount"])))
        elif name == "capture-lead":
            self.leads[b["lead_id"]] = {
                "at": at,
                "channel": b["channel"],
                "campaign_id": b.get("campaign_id"),
            }
        elif name == "qualify-lead":
            self.leads[b["lead_id"]]["qualified"] = True
        elif name == "lose-lead":
            self.leads[b["lead_id"]]["lost"] = True
        elif name == "file-complaint":
            self.complaints[b["complaint_id"]] = {"at": at, "severity": b["severity"]}
        elif name in ("acknowledge-complaint", "resolve-complaint"):
            self.complaints[b["complaint_id"]].setdefault(name, at)
        elif name == "record-inspection":
            self.inspections.append((at, float(b["sample_size"]), float(b["defective_units"])))
        elif name == "place-purchase-order":
            expected = datetime.fromisoformat(b["expected_at"])
            for x in b["lines"]:
                self.po_lines[(b["po_id"], int(x["line_no"]))] = _PoLine(at, expected, float(x["qty"]))
        elif name == "receive-stock" and "po_id" in b:
            self.po_lines[(b["po_id"], int(b["po_line"]))].receipts.append((at, float(b["qty"])))
        elif name == "cancel-purchase-order":
            for (po_id, _), line in self.po_lines.items():
                if po_id == b["po_id"] and line.cancelled_at is None:
                    line.cancelled_at = at
        elif name == "record-follow-up":
            self.follow_ups.append({"at": at, **b})

    # -- the KPIs of the plan ------------------------------------------------------------------

    def net_sales(self, start: datetime, end: datetime) -> float:
        return sum(amount for _, amount in self.sales[_within(self._sales_at, start, end)])

    def sales_growth_pct(self, start: datetime, end: datetime, as_of: datetime) -> float | None:
        before, _ = previous_span(start, end, self.tz)
        elapsed = min(as_of, end) - start
        earlier = self.net_sales(before, before + elapsed)
        return None if not earlier else (self.net_sales(start, min(as_of, end)) / earlier - 1) * 100

    def sla_compliance_pct(self, start: datetime, end: datetime, as_of: datetime) -> float | None:
        judged = self._complaints[_within(self._complaints_at, start, min(end, as_of))]
        kept = 0
        for c in judged:
            respond, resolve = (timedelta(hours=h) for h in SLA_HOURS[c["severity"]])
            resolved = c.get("resolve-complaint")
            answered = c.get("acknowledge-complaint") or resolved
            kept += (answered or as_of) - c["at"] <= respond and (resolved or as_of) - c["at"] <= resolve
        return _pct(kept, len(judged))

    def defect_rate(self, start: datetime, end: datetime) -> float | None:
        rows = self.inspections[_within(self._inspections_at, start, end)]
        units = sum(n for _, n, _ in rows)
        return sum(d for _, _, d in rows) / units if units else None

    def supplier_otif_pct(self, start: datetime, end: datetime, as_of: datetime) -> float | None:
        judged = good = 0
        for line in self._po_lines[_within(self._po_lines_at, start - LEAD_TIME, end)]:
            if not start <= line.expected_at < end:
                continue
            by_due = sum(q for at, q in line.receipts if at <= line.expected_at)
            done = sum(q for at, q in line.receipts if at <= as_of) >= line.ordered
            cancelled = line.cancelled_at is not None and line.cancelled_at <= as_of
            if not done and not cancelled and line.expected_at > as_of:
                continue
            judged += 1
            good += by_due >= line.ordered
        return _pct(good, judged)

    def customer_otif_pct(self, start: datetime, end: datetime, as_of: datetime) -> float | None:
        judged = good = 0
        for order in self._orders[_within(self._orders_at, start - LEAD_TIME, end)]:
            if order.promised is None or not start <= order.promised < end or order.promised > as_of:
                continue
            if order.cancelled and not any(order.shipped.values()):
                continue
            in_full = not order.cancelled and all(order.shipped[n] >= q for n, (q, _) in order.lines.items())
            on_time = all(
                order.delivered.get(s, as_of + timedelta(days=1)) <= order.promised for s in order.shipments
            ) and sum(order.shipped.values()) >= sum(q for q, _ in order.lines.values()) - sum(
                order.cancelled.values()
            )
            judged += 1
            good += in_full and on_time
        return _pct(good, judged)

    def scores(
        self, start: datetime, end: datetime, *, after_complaint: bool = False
    ) -> list[dict[str, Any]]:
        window = self.follow_ups[_within(self._follow_ups_at, start, end)]
        return [f for f in window if not after_complaint or "complaint_id" in f]

    def csat_avg(self, start: datetime, end: datetime, *, after_complaint: bool = False) -> float | None:
        csat = [f["csat"] for f in self.scores(start, end, after_complaint=after_complaint) if "csat" in f]
        return sum(csat) / len(csat) if csat else None

    def nps(self, start: datetime, end: datetime) -> float | None:
        answers = [f["nps"] for f in self.scores(start, end) if "nps" in f]
        if not answers:
            return None
        promoters = sum(1 for n in answers if n >= 9)
        detractors = sum(1 for n in answers if n <= 6)
        return (promoters - detractors) / len(answers) * 100

    def retention(self, start: datetime, end: datetime) -> dict[str, int]:
        """Active, new, returning and lapsed customers of [start, end); API.md's definitions."""
        before, _ = previous_span(start, end, self.tz)

        def buyers(first: datetime, last: datetime) -> set[str]:
            orders = self._orders[_within(self._orders_at, first, last)]
            return {o.customer_id for o in orders if not o.cancelled or any(o.shipped.values())}

        active, previous = buyers(start, end), buyers(before, start)
        new = {c for c in active if self._first_order[c] >= start}
        return {
            "active": len(active),
            "new": len(new),
            "returning": len(active - new),
            "lapsed": len(previous - active),
        }

    def repeat_rate_pct(self, start: datetime, end: datetime) -> float | None:
        figures = self.retention(start, end)
        return _pct(figures["returning"], figures["active"])

    def campaign_roas(self, start: datetime, end: datetime) -> float | None:
        revenue = sum(
            order.amount({n: q for n, (q, _) in order.lines.items()}) - order.amount(order.cancelled)
            for order in self._orders[_within(self._orders_at, start, end)]
            if order.campaign_id is not None
        )
        spend = sum(amount for _, _, amount in self.spends[_within(self._spends_at, start, end)])
        return revenue / spend if spend else None

    # -- the funnel ----------------------------------------------------------------------------

    def funnel(self, dimension: str) -> dict[str, dict[str, int]]:
        """Per channel or campaign (``none`` without one): leads, qualified, won, lost, open."""
        states = ("leads", "qualified", "won", "lost", "open")
        rows: defaultdict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(states, 0))
        for lead in self.leads.values():
            row = rows[lead[dimension] or "none"]
            row["leads"] += 1
            for state in ("qualified", "won", "lost"):
                row[state] += bool(lead.get(state))
            row["open"] += not lead.get("won") and not lead.get("lost")
        return dict(rows)


def _pct(part: float, whole: float) -> float | None:
    return part / whole * 100 if whole else None
