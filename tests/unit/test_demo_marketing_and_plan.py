"""The demo's campaigns, funnel, follow-ups, customers and plan draw a believable picture.

The history is decided with the real handlers (nothing refused), and its figures are worked
out by ``ledger.demo.measures`` from the commands alone, as API.md defines them: the read
models are tested against hand-computed figures elsewhere; here the question is whether the
demo gives them something worth showing.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, get_args

from handlers import DomainError, WriteModel, decide, evolve
from ledger.demo import DemoCommand, generate
from ledger.demo.measures import Measures, period_span, previous_span
from ledger.demo.objectives import LOWER_IS_BETTER
from schemas import parse_command
from schemas.planning import Kpi

NOW = datetime(2026, 11, 20, 15, 30, 12, tzinfo=UTC)
KPIS = set(get_args(Kpi))
EVER = datetime(1900, 1, 1, tzinfo=UTC)


@cache
def history() -> tuple[DemoCommand, ...]:
    return tuple(generate(NOW, 7, 90))


@cache
def measures() -> Measures:
    return Measures(((c.occurred_at, c.name, c.body) for c in history()), UTC)


def bodies(name: str) -> list[dict[str, Any]]:
    return [c.body for c in history() if c.name == name]


def test_the_handlers_refuse_none_of_the_new_commands() -> None:
    state, refused = WriteModel(), Counter[str]()
    for name, body in history():
        try:
            events = decide(state, parse_command(name, body))
        except DomainError as e:
            refused[f"{name}: {e.code}"] += 1
            continue
        for event in events:
            evolve(state, event)
    assert not refused, refused


def test_campaigns_run_across_media_with_budgets_and_spend_some_over_one_at_zero_one_not_yet_spending() -> (
    None
):
    launched = {b["campaign_id"]: b for b in bodies("launch-campaign")}
    assert len({b["medium"] for b in launched.values()}) >= 5
    quarters = Counter(b["campaign_id"].split("-")[1] for b in launched.values())
    assert all(count >= 2 for count in quarters.values()), quarters
    spend: Counter[str] = Counter()
    for b in bodies("record-campaign-spend"):
        spend[b["campaign_id"]] += Decimal(b["amount"])
    budgets = {cid: Decimal(b["budget"]) for cid, b in launched.items()}
    assert any(spend[cid] > budget > 0 for cid, budget in budgets.items()), "one overspends"
    assert any(budget == 0 and spend[cid] > 0 for cid, budget in budgets.items()), "one with budget 0"
    assert [cid for cid in launched if not spend[cid]], "one without any spend yet"
    assert set(spend) <= set(launched)


def test_orders_carry_only_launched_campaigns_and_each_campaign_brings_orders() -> None:
    launched = {b["campaign_id"] for b in bodies("launch-campaign")}
    carried = Counter(o.campaign_id for o in measures().orders.values() if o.campaign_id)
    assert set(carried) <= launched
    assert len(carried) >= 5
    assert sum(carried.values()) >= 0.05 * len(bodies("place-order"))


def test_leads_come_with_and_without_campaigns_through_channels_and_end_won_lost_or_open() -> None:
    by_channel = measures().funnel("channel")
    assert set(by_channel) == {"online", "distributor", "direct"}
    by_campaign = measures().funnel("campaign_id")
    assert "none" in by_campaign
    assert len(by_campaign) >= 4
    total = {
        state: sum(row[state] for row in by_channel.values()) for state in ("leads", "won", "lost", "open")
    }
    assert total["won"] > 0
    assert total["lost"] > 0
    assert total["open"] > 0
    assert 0.1 <= total["won"] / total["leads"] <= 0.4, total
    conversions = {key: row["won"] / row["leads"] for key, row in by_channel.items()}
    assert max(conversions.values()) - min(conversions.values()) >= 0.05, conversions
    assert all(b["reason"] for b in bodies("lose-lead"))


def test_a_won_lead_is_won_by_an_order_that_names_it_and_prospects_become_customers() -> None:
    won = [b for b in bodies("place-order") if "lead_id" in b]
    assert len(won) >= 10
    captured = {b["lead_id"]: b for b in bodies("capture-lead")}
    assert all("campaign_id" not in b for b in won), "the order takes the lead's campaign"
    assert any("customer_id" not in captured[b["lead_id"]] for b in won), "some won leads were prospects"
    opening = next(c.occurred_at for c in history() if c.name == "place-order")
    newcomers = {
        c.body["customer_id"] for c in history() if c.name == "register-customer" and c.occurred_at > opening
    }
    assert newcomers
    ordered = Counter(b["customer_id"] for b in bodies("place-order"))
    assert any(ordered[c] > 1 for c in newcomers), "a newcomer buys again"


def test_follow_ups_after_complaints_and_large_orders_score_a_believable_picture() -> None:
    m = measures()
    kinds = Counter(
        "complaint" if "complaint_id" in f else f["kind"]
        for f in m.follow_ups
        if "complaint_id" in f or "order_id" in f
    )
    assert kinds["complaint"] >= 30, kinds
    assert kinds["call"] >= 30, kinds  # about orders
    assert kinds["survey"] >= 10, kinds
    scored = [f for f in m.follow_ups if "csat" in f]
    assert 0.7 <= len(scored) / len(m.follow_ups) < 1
    end = NOW + timedelta(days=1)
    overall, after_complaint = m.csat_avg(EVER, end), m.csat_avg(EVER, end, after_complaint=True)
    nps = m.nps(EVER, end)
    assert overall is not None
    assert after_complaint is not None
    assert nps is not None
    assert 3.7 <= overall <= 4.4
    assert after_complaint <= overall - 0.4
    assert 0 <= nps <= 45
    for month in ("2026-09", "2026-10", "2026-11"):
        assert len(m.scores(*period_span(month, UTC))) >= 30, month


def test_retention_this_quarter_has_new_returning_and_lapsed_customers() -> None:
    figures = measures().retention(*period_span("2026-Q4", UTC))
    assert figures["new"] > 0, figures
    assert figures["returning"] > 0, figures
    assert figures["lapsed"] > 0, figures
    assert 0.6 <= figures["returning"] / figures["active"] < 1


def test_the_plan_covers_every_kpi_over_short_medium_and_long_horizons() -> None:
    objectives = {b["objective_id"]: b for b in bodies("set-objective")}
    assert {b["kpi"] for b in objectives.values()} == KPIS
    horizons = {b["horizon"]: b["period"] for b in objectives.values()}
    assert set(horizons) == {"short", "medium", "long"}
    assert {b["period"] for b in objectives.values() if b["horizon"] == "long"} == {"2026..2028"}
    assert "2026-Q4" in {b["period"] for b in objectives.values() if b["horizon"] == "short"}
    assert "2026" in {b["period"] for b in objectives.values() if b["horizon"] == "medium"}


def test_one_objective_is_replaced_and_one_retired_and_every_kpi_stays_planned() -> None:
    set_twice = [
        oid for oid, n in Counter(b["objective_id"] for b in bodies("set-objective")).items() if n > 1
    ]
    retired = [b["objective_id"] for b in bodies("retire-objective")]
    assert len(set_twice) == 1
    assert len(retired) == 1
    live = {b["kpi"] for b in bodies("set-objective") if b["objective_id"] not in retired}
    assert live == KPIS


def test_some_objectives_are_on_track_and_some_not() -> None:
    m = measures()
    retired = {b["objective_id"] for b in bodies("retire-objective")}
    latest = {b["objective_id"]: b for b in bodies("set-objective") if b["objective_id"] not in retired}
    judged: dict[str, bool] = {}
    for objective_id, b in latest.items():
        actual = _actual(m, b["kpi"], *period_span(b["period"], UTC))
        if actual is not None:
            better = (
                actual <= float(b["target"]) if b["kpi"] in LOWER_IS_BETTER else actual >= float(b["target"])
            )
            judged[objective_id] = better
    assert len(judged) >= len(latest) - 2  # the stock's value is the read model's to measure
    assert sum(judged.values()) >= 5, judged
    assert sum(not ok for ok in judged.values()) >= 5, judged


def _actual(m: Measures, kpi: str, start: datetime, end: datetime) -> float | None:
    upto = min(end, NOW)
    if kpi == "net_sales":  # judged on pace while the period runs
        return m.net_sales(start, upto) / ((upto - start) / (end - start))
    figures = {
        "sales_growth_pct": lambda: m.sales_growth_pct(start, end, NOW),
        "sla_compliance_pct": lambda: m.sla_compliance_pct(start, end, NOW),
        "defect_rate": lambda: m.defect_rate(start, end),
        "supplier_otif_pct": lambda: m.supplier_otif_pct(start, end, NOW),
        "customer_otif_pct": lambda: m.customer_otif_pct(start, end, NOW),
        "csat_avg": lambda: m.csat_avg(start, end),
        "nps": lambda: m.nps(start, end),
        "repeat_rate_pct": lambda: m.repeat_rate_pct(start, end),
        "campaign_roas": lambda: m.campaign_roas(start, end),
    }
    return figures[kpi]() if kpi in figures else None


def test_periods_and_their_predecessors() -> None:
    assert period_span("2026-Q4", UTC) == (
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert period_span("2026-12", UTC)[1] == datetime(2027, 1, 1, tzinfo=UTC)
    assert period_span("2026..2028", UTC) == (
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2029, 1, 1, tzinfo=UTC),
    )
    assert previous_span(*period_span("2026-Q1", UTC), UTC)[0] == datetime(2025, 10, 1, tzinfo=UTC)


def test_nps_on_a_hand_made_sample() -> None:
    at = datetime(2026, 11, 2, 10, tzinfo=UTC)
    answers = [10, 9, 9, 8, 7, 6, 3, 10]  # 4 promoters, 2 passives, 2 detractors of 8: +25
    m = Measures(
        [
            (
                at + timedelta(minutes=i),
                "record-follow-up",
                {"customer_id": "C", "kind": "call", "nps": n, "csat": 4},
            )
            for i, n in enumerate(answers)
        ],
        UTC,
    )
    assert m.nps(*period_span("2026-11", UTC)) == 25.0
    assert m.csat_avg(*period_span("2026-11", UTC)) == 4.0
    assert m.nps(*period_span("2026-10", UTC)) is None
