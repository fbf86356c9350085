"""The demo's campaigns, funnel, follow-ups, customers and plan, as commands.

The history is decided with the real handlers (nothing refused), and these checks look at
the generated commands alone: who did what, and how each lead, campaign and objective
ends. No figure is worked out here: the picture those commands draw (conversion by
channel, satisfaction, retention, ROAS, the scorecard) is read from the read models in
``tests/integration/test_demo_picture.py``.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, get_args

from handlers import DomainError, WriteModel, decide, evolve
from ledger.demo import DemoCommand, generate
from ledger.demo.objectives import AMBITIONS, GROWTH, GROWTH_TARGET, QUARTER, SPAN, YEAR, period_days
from schemas import parse_command
from schemas.planning import Kpi

NOW = datetime(2026, 11, 20, 15, 30, 12, tzinfo=UTC)
KPIS = set(get_args(Kpi))


@cache
def history() -> tuple[DemoCommand, ...]:
    return tuple(generate(NOW, 7, 90))


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
    lead_campaign = {b["lead_id"]: b.get("campaign_id") for b in bodies("capture-lead")}
    orders = bodies("place-order")
    # an order with a lead and no campaign_id takes the lead's campaign (API.md)
    carried = Counter(
        cid for b in orders if (cid := b.get("campaign_id") or lead_campaign.get(b.get("lead_id") or ""))
    )
    assert set(carried) <= launched
    assert len(carried) >= 5
    assert sum(carried.values()) >= 0.05 * len(orders)


def test_leads_come_with_and_without_campaigns_through_channels_and_end_won_lost_or_open() -> None:
    captured = {b["lead_id"]: b for b in bodies("capture-lead")}
    assert {b["channel"] for b in captured.values()} == {"online", "distributor", "direct"}
    assert any("campaign_id" not in b for b in captured.values())
    assert len({b["campaign_id"] for b in captured.values() if "campaign_id" in b}) >= 3
    won = Counter(b["lead_id"] for b in bodies("place-order") if "lead_id" in b)
    lost = Counter(b["lead_id"] for b in bodies("lose-lead"))
    assert set(won) | set(lost) <= set(captured)
    assert max(won.values()) == 1
    assert max(lost.values()) == 1
    assert not set(won) & set(lost), "won and lost are final"
    still_open = set(captured) - set(won) - set(lost)
    assert won
    assert lost
    assert still_open
    assert all(b["reason"] for b in bodies("lose-lead"))
    for channel in ("online", "distributor", "direct"):
        ends = Counter(
            "won" if lead in won else "lost" if lead in lost else "open"
            for lead, b in captured.items()
            if b["channel"] == channel
        )
        assert ends["won"], (channel, ends)
        assert ends["lost"], (channel, ends)


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


def test_follow_ups_come_after_complaints_and_large_orders_and_most_give_scores() -> None:
    follow_ups = bodies("record-follow-up")
    kinds = Counter(
        "complaint" if "complaint_id" in f else f["kind"]
        for f in follow_ups
        if "complaint_id" in f or "order_id" in f
    )
    assert kinds["complaint"] >= 30, kinds
    assert kinds["call"] >= 30, kinds  # about orders
    assert kinds["survey"] >= 10, kinds
    scored = [f for f in follow_ups if "csat" in f]
    assert 0.7 <= len(scored) / len(follow_ups) < 1
    assert any("nps" in f for f in follow_ups if "complaint_id" in f)
    assert all(1 <= f["csat"] <= 5 for f in scored)
    assert all(0 <= f["nps"] <= 10 for f in follow_ups if "nps" in f)


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


def test_targets_are_the_company_ambitions_within_reach_or_a_stretch_as_each_objective_says() -> None:
    by_horizon = {"short": (*QUARTER, GROWTH), "medium": YEAR, "long": SPAN}
    specs = {(horizon, s.code): s for horizon, listed in by_horizon.items() for s in listed}
    first: dict[str, dict[str, Any]] = {}
    for b in bodies("set-objective"):
        first.setdefault(b["objective_id"], b)
    for objective_id, b in first.items():
        spec = specs[(b["horizon"], objective_id.rsplit("-", 1)[1])]
        assert b["kpi"] == spec.kpi
        if spec.kpi == "sales_growth_pct":
            assert Decimal(b["target"]) == GROWTH_TARGET
        elif spec.kpi != "net_sales":
            assert Decimal(b["target"]) == AMBITIONS[spec.kpi][spec.stretch], objective_id
    assert {spec.stretch for spec in specs.values()} == {True, False}


def test_the_sales_objective_follows_the_quarter_sales_forecast_within_reach() -> None:
    """Both come from the booked run rate: the objective a margin below the team's own target."""
    quarter_target = next(
        Decimal(b["amount"])
        for b in bodies("set-sales-target")
        if b["period"] == "2026-Q4" and b["dimension"] == "total"
    )
    set_ = [Decimal(b["target"]) for b in bodies("set-objective") if b["objective_id"] == "OBJ-2026-Q4-SALES"]
    assert len(set_) == 2  # set, then revised
    objective, revised = set_
    assert objective % 1000 == 0
    assert Decimal("0.7") * quarter_target <= objective < quarter_target
    assert revised < objective


def test_periods_and_their_first_days() -> None:
    assert period_days("2026-Q4") == (date(2026, 10, 1), date(2027, 1, 1))
    assert period_days("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))
    assert period_days("2026-02") == (date(2026, 2, 1), date(2026, 3, 1))
    assert period_days("2026") == (date(2026, 1, 1), date(2027, 1, 1))
    assert period_days("2026..2028") == (date(2026, 1, 1), date(2029, 1, 1))
