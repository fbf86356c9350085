"""Marketing deciders: campaigns and their spend, leads through the funnel, and the order that
wins a lead in its own append."""

from __future__ import annotations

import pickle
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from handlers import (
    AlreadyExists,
    InsufficientStock,
    InvalidTransition,
    UnknownCustomer,
    WriteModel,
    decide,
    evolve,
)
from handlers.errors import CampaignMismatch, CustomerMismatch, UnknownCampaign, UnknownLead
from handlers.model import Lead, LeadStatus
from ledger.writer.snapshots import unpickle
from schemas import parse_command
from schemas.inventory import StockReserved
from schemas.marketing import (
    CampaignLaunched,
    CampaignSpendRecorded,
    CaptureLead,
    LaunchCampaign,
    LeadCaptured,
    LeadLost,
    LeadQualified,
    LeadWon,
    LoseLead,
    QualifyLead,
    RecordCampaignSpend,
)
from schemas.sales import OrderLine, OrderPlaced, PlaceOrder
from tests.support.marketing import MARKETING_HISTORY
from tests.unit.handlers_support import SALES, D, Scenario, customer, given, level, line, place

STARTS, ENDS = date(2026, 11, 1), date(2026, 11, 30)


def launch(campaign_id: str = "CMP-1", budget: str = "1500.00") -> LaunchCampaign:
    return LaunchCampaign(
        campaign_id=campaign_id,
        name=f"Campaign {campaign_id}",
        medium="search",
        starts_on=STARTS,
        ends_on=ENDS,
        budget=D(budget),
        currency="EUR",
    )


def launched(campaign_id: str = "CMP-1", budget: str = "1500.00") -> CampaignLaunched:
    return CampaignLaunched(**launch(campaign_id, budget).model_dump(exclude={"occurred_at"}))


def spend(spend_id: str = "SP-1", amount: str = "400.00", campaign_id: str = "CMP-1") -> RecordCampaignSpend:
    return RecordCampaignSpend(campaign_id=campaign_id, spend_id=spend_id, amount=D(amount))


def capture(
    lead_id: str = "LD-1", campaign_id: str | None = "CMP-1", customer_id: str | None = "CUS-1"
) -> CaptureLead:
    return CaptureLead(lead_id=lead_id, campaign_id=campaign_id, customer_id=customer_id, channel="online")


def captured(
    lead_id: str = "LD-1", campaign_id: str | None = "CMP-1", customer_id: str | None = "CUS-1"
) -> LeadCaptured:
    return LeadCaptured(lead_id=lead_id, campaign_id=campaign_id, customer_id=customer_id, channel="online")


def lose(lead_id: str = "LD-1") -> LoseLead:
    return LoseLead(lead_id=lead_id, reason="chose a competitor")


def campaign_body(**changes: Any) -> dict[str, Any]:
    body = {
        "campaign_id": "CMP-1",
        "name": "Autumn search",
        "medium": "search",
        "starts_on": "2026-11-01",
        "ends_on": "2026-11-30",
        "budget": "1500.00",
        "currency": "EUR",
    }
    return {**body, **changes}


def funnel(*more: Any) -> Scenario:
    """SALES, a second customer, campaigns CMP-1 and CMP-2, and whatever ``more`` adds."""
    return given(*SALES, customer("CUS-2"), launched(), launched("CMP-2"), *more)


# launch-campaign ---------------------------------------------------------------------------


def test_launching_a_campaign_records_it() -> None:
    state = (
        given()
        .when(launch())
        .then(
            CampaignLaunched(
                campaign_id="CMP-1",
                name="Campaign CMP-1",
                medium="search",
                starts_on=STARTS,
                ends_on=ENDS,
                budget=D("1500.00"),
                currency="EUR",
            )
        )
    )
    assert "CMP-1" in state.campaigns


def test_a_campaign_id_is_used_once() -> None:
    given(launched()).when(launch(budget="10")).raises(AlreadyExists, id="CMP-1")


def test_a_campaign_with_a_budget_of_zero_is_launched() -> None:
    given().when(launch(budget="0")).then(launched(budget="0"))


def test_a_campaign_of_one_day_is_launched() -> None:
    command = parse_command("launch-campaign", campaign_body(ends_on="2026-11-01"))
    assert isinstance(command, LaunchCampaign)
    assert command.starts_on == command.ends_on == STARTS


def test_a_campaign_ending_before_it_starts_is_a_schema_violation() -> None:
    with pytest.raises(ValidationError, match="ends_on may not come before starts_on"):
        parse_command("launch-campaign", campaign_body(starts_on="2026-11-02", ends_on="2026-11-01"))


@pytest.mark.parametrize(
    "day",
    [
        "2026-11-01T00:00:00Z",
        "2026-11-01T00:00:00",
        1793491200,
        "20261101",
        "2026-11-1",
        "01/11/2026",
        "2026-02-30",
        "1899-12-31",
        "",
        None,
    ],
)
def test_a_campaigns_days_are_dates_and_nothing_else(day: object) -> None:
    for field in ("starts_on", "ends_on"):
        with pytest.raises(ValidationError):
            parse_command("launch-campaign", campaign_body(**{field: day}))


@pytest.mark.parametrize(
    "changes",
    [{"budget": "-1"}, {"medium": "radio"}, {"currency": "euro"}, {"name": ""}, {"budget": None}],
)
def test_a_campaign_has_a_known_medium_a_budget_not_below_zero_and_a_name(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        parse_command("launch-campaign", campaign_body(**changes))


# record-campaign-spend ---------------------------------------------------------------------


def test_spend_is_recorded_on_its_campaign() -> None:
    command = RecordCampaignSpend(campaign_id="CMP-1", spend_id="SP-1", amount=D("400.00"), note="stand")
    state = (
        given(launched())
        .when(command)
        .then(CampaignSpendRecorded(campaign_id="CMP-1", spend_id="SP-1", amount=D("400.00"), note="stand"))
    )
    assert ("CMP-1", "SP-1") in state.campaign_spends


def test_spend_on_an_unknown_campaign_is_refused() -> None:
    given(launched()).when(spend(campaign_id="CMP-X")).raises(UnknownCampaign, campaign_id="CMP-X")


def test_a_spend_id_is_used_once_within_its_campaign() -> None:
    given(launched()).when(spend(), spend(amount="1")).raises(AlreadyExists, id="SP-1")


def test_a_spend_id_of_one_campaign_may_be_used_again_in_another() -> None:
    given(launched(), launched("CMP-2")).when(spend(), spend(campaign_id="CMP-2")).then(
        CampaignSpendRecorded(campaign_id="CMP-1", spend_id="SP-1", amount=D("400.00")),
        CampaignSpendRecorded(campaign_id="CMP-2", spend_id="SP-1", amount=D("400.00")),
    )


def test_spend_below_zero_is_a_schema_violation() -> None:
    with pytest.raises(ValidationError):
        parse_command(
            "record-campaign-spend", {"campaign_id": "CMP-1", "spend_id": "SP-1", "amount": "-0.01"}
        )


# capture-lead ------------------------------------------------------------------------------


def test_a_lead_is_captured_with_its_campaign_and_customer() -> None:
    state = funnel().when(capture()).then(captured())
    assert state.leads["LD-1"] == Lead(LeadStatus.CAPTURED, "CMP-1", "CUS-1")


def test_a_lead_needs_neither_a_campaign_nor_a_customer() -> None:
    state = (
        given()
        .when(capture(campaign_id=None, customer_id=None))
        .then(captured(campaign_id=None, customer_id=None))
    )
    assert state.leads["LD-1"] == Lead(LeadStatus.CAPTURED, None, None)


def test_a_lead_id_is_used_once() -> None:
    funnel(captured()).when(capture(campaign_id="CMP-2")).raises(AlreadyExists, id="LD-1")


def test_a_lead_names_a_known_campaign_and_customer() -> None:
    funnel().when(capture(campaign_id="CMP-X")).raises(UnknownCampaign, campaign_id="CMP-X")
    funnel().when(capture(customer_id="CUS-X")).raises(UnknownCustomer, customer_id="CUS-X")


def test_a_leads_channel_is_a_sales_channel() -> None:
    with pytest.raises(ValidationError):
        parse_command("capture-lead", {"lead_id": "LD-1", "channel": "phone"})


# qualify-lead and lose-lead ----------------------------------------------------------------


def test_a_captured_lead_is_qualified_then_lost() -> None:
    state = (
        funnel(captured())
        .when(QualifyLead(lead_id="LD-1"), lose())
        .then(LeadQualified(lead_id="LD-1"), LeadLost(lead_id="LD-1", reason="chose a competitor"))
    )
    assert state.leads["LD-1"] == Lead(LeadStatus.LOST, "CMP-1", "CUS-1")


def test_a_lead_may_be_lost_straight_from_captured() -> None:
    funnel(captured()).when(lose()).then(LeadLost(lead_id="LD-1", reason="chose a competitor"))


def test_a_lead_is_qualified_once() -> None:
    funnel(captured(), LeadQualified(lead_id="LD-1")).when(QualifyLead(lead_id="LD-1")).raises(
        InvalidTransition, lead_id="LD-1"
    )


@pytest.mark.parametrize("command", [QualifyLead(lead_id="LD-1"), lose()], ids=["qualify", "lose"])
def test_a_lost_lead_is_final(command: QualifyLead | LoseLead) -> None:
    funnel(captured(), LeadLost(lead_id="LD-1", reason="gone")).when(command).raises(
        InvalidTransition, lead_id="LD-1"
    )


@pytest.mark.parametrize("command", [QualifyLead(lead_id="LD-1"), lose()], ids=["qualify", "lose"])
def test_a_won_lead_is_final(command: QualifyLead | LoseLead) -> None:
    won = LeadWon(lead_id="LD-1", order_id="SO-9", customer_id="CUS-1", campaign_id="CMP-1")
    funnel(captured(), won).when(command).raises(InvalidTransition, lead_id="LD-1")


@pytest.mark.parametrize("command", [QualifyLead(lead_id="LD-X"), lose("LD-X")], ids=["qualify", "lose"])
def test_an_unknown_lead_is_refused(command: QualifyLead | LoseLead) -> None:
    funnel(captured()).when(command).raises(UnknownLead, lead_id="LD-X")


# place-order with a lead -------------------------------------------------------------------


def by_lead(
    lead_id: str | None = "LD-1", campaign_id: str | None = None, customer_id: str = "CUS-1", qty: int = 2
) -> PlaceOrder:
    return place(line(1, qty), customer_id=customer_id).model_copy(
        update={"lead_id": lead_id, "campaign_id": campaign_id}
    )


def placed_by_lead(
    campaign_id: str | None, lead_id: str | None = "LD-1", customer_id: str = "CUS-1"
) -> OrderPlaced:
    return OrderPlaced(
        order_id="SO-1",
        customer_id=customer_id,
        channel="online",
        team_id="north",
        campaign_id=campaign_id,
        currency="EUR",
        fulfil_from="WH-A",
        lead_id=lead_id,
        lines=(
            OrderLine(
                line_no=1, sku="SKU-1", qty=D(2), unit_price=D("10.00"), discount_pct=D(0), amount=D("20.00")
            ),
        ),
        total=D("20.00"),
    )


RESERVED = StockReserved(order_id="SO-1", line_no=1, sku="SKU-1", location_id="WH-A", qty=D(2))


def test_an_order_naming_a_lead_wins_it_after_its_reservations_and_takes_its_campaign() -> None:
    state = (
        funnel(captured(), LeadQualified(lead_id="LD-1"))
        .when(by_lead())
        .then(
            placed_by_lead("CMP-1"),
            RESERVED,
            LeadWon(lead_id="LD-1", order_id="SO-1", customer_id="CUS-1", campaign_id="CMP-1"),
        )
    )
    assert state.leads["LD-1"].status is LeadStatus.WON
    assert state.orders["SO-1"].customer_id == "CUS-1"


def test_a_lead_may_be_won_straight_from_captured_by_an_order_naming_its_campaign() -> None:
    funnel(captured()).when(by_lead(campaign_id="CMP-1")).then(
        placed_by_lead("CMP-1"),
        RESERVED,
        LeadWon(lead_id="LD-1", order_id="SO-1", customer_id="CUS-1", campaign_id="CMP-1"),
    )


def test_an_order_may_name_any_campaign_for_a_lead_of_none() -> None:
    funnel(captured(campaign_id=None)).when(by_lead(campaign_id="CMP-2")).then(
        placed_by_lead("CMP-2"),
        RESERVED,
        LeadWon(lead_id="LD-1", order_id="SO-1", customer_id="CUS-1", campaign_id="CMP-2"),
    )


def test_an_order_and_its_lead_without_a_campaign_record_none() -> None:
    funnel(captured(campaign_id=None)).when(by_lead()).then(
        placed_by_lead(None),
        RESERVED,
        LeadWon(lead_id="LD-1", order_id="SO-1", customer_id="CUS-1", campaign_id=None),
    )


def test_a_lead_of_no_customer_may_be_won_by_any_customer() -> None:
    funnel(captured(customer_id=None)).when(by_lead(customer_id="CUS-2")).then(
        placed_by_lead("CMP-1", customer_id="CUS-2"),
        RESERVED,
        LeadWon(lead_id="LD-1", order_id="SO-1", customer_id="CUS-2", campaign_id="CMP-1"),
    )


def test_an_order_without_a_lead_keeps_its_campaign_as_given_and_wins_nothing() -> None:
    state = (
        funnel(captured())
        .when(by_lead(lead_id=None, campaign_id="SPRING"))
        .then(placed_by_lead("SPRING", lead_id=None), RESERVED)
    )
    assert state.leads["LD-1"].status is LeadStatus.CAPTURED


def test_an_order_naming_an_unknown_lead_is_refused() -> None:
    funnel().when(by_lead("LD-X")).raises(UnknownLead, lead_id="LD-X")


@pytest.mark.parametrize(
    "closing",
    [LeadLost(lead_id="LD-1", reason="gone"), LeadWon(lead_id="LD-1", order_id="SO-0", customer_id="CUS-1")],
    ids=["lost", "won"],
)
def test_an_order_naming_a_closed_lead_is_refused(closing: LeadLost | LeadWon) -> None:
    funnel(captured(), closing).when(by_lead()).raises(InvalidTransition, lead_id="LD-1")


def test_the_lead_is_checked_with_the_orders_other_references_before_its_stock() -> None:
    funnel().when(by_lead("LD-X", qty=11)).raises(UnknownLead, lead_id="LD-X")
    funnel(captured()).when(by_lead(customer_id="CUS-2", qty=11)).raises(CustomerMismatch, lead_id="LD-1")


def test_a_lead_is_won_by_one_order_only() -> None:
    second = by_lead().model_copy(update={"order_id": "SO-2"})
    funnel(captured()).when(by_lead(), second).raises(InvalidTransition, lead_id="LD-1")


def test_an_order_naming_another_campaign_than_its_leads_is_a_mismatch() -> None:
    funnel(captured()).when(by_lead(campaign_id="CMP-2")).raises(CampaignMismatch, lead_id="LD-1")


def test_an_order_of_another_customer_than_its_leads_is_a_mismatch() -> None:
    funnel(captured()).when(by_lead(customer_id="CUS-2")).raises(CustomerMismatch, lead_id="LD-1")


def test_a_refused_order_leaves_its_lead_open_and_its_stock_free() -> None:
    scenario = funnel(captured())
    scenario.when(by_lead(qty=11)).raises(InsufficientStock)
    assert scenario.state.leads["LD-1"].status is LeadStatus.CAPTURED
    assert level(scenario.state) == (D(10), D(0), D(0), D(10))
    scenario.when(by_lead()).then(
        placed_by_lead("CMP-1"),
        RESERVED,
        LeadWon(lead_id="LD-1", order_id="SO-1", customer_id="CUS-1", campaign_id="CMP-1"),
    )


# the write model's snapshot ----------------------------------------------------------------


def history_state() -> WriteModel:
    state = WriteModel()
    for name, body in MARKETING_HISTORY:
        for event in decide(state, parse_command(name, body)):
            evolve(state, event)
    state.journal.commit()
    return state


def test_a_snapshot_keeps_campaigns_spends_leads_follow_ups_owners_and_objectives() -> None:
    state = history_state()
    copy = unpickle(pickle.dumps(state, pickle.HIGHEST_PROTOCOL))  # as the writer loads snapshots
    assert isinstance(copy, WriteModel)
    assert copy == state
    assert "CMP-M" in copy.campaigns
    assert ("CMP-M", "SP-2") in copy.campaign_spends
    assert copy.leads["LD-M1"] == Lead(LeadStatus.WON, "CMP-M", "CUS-M")
    assert copy.leads["LD-M3"] == Lead(LeadStatus.LOST, None, None)
    assert "F-M1" in copy.follow_ups
    assert copy.complaint_customers["C-M1"] == copy.orders["SO-M1"].customer_id == "CUS-M"
    assert dict(copy.objectives) == {"OBJ-M1": False, "OBJ-M2": True}
    refused = [
        ("record-campaign-spend", {"campaign_id": "CMP-M", "spend_id": "SP-1", "amount": "1"}, AlreadyExists),
        ("qualify-lead", {"lead_id": "LD-M1"}, InvalidTransition),
        ("retire-objective", {"objective_id": "OBJ-M2", "reason": "again"}, InvalidTransition),
        (
            "record-follow-up",
            {"follow_up_id": "F-M9", "customer_id": "CUS-M2", "kind": "call", "order_id": "SO-M1"},
            CustomerMismatch,
        ),
    ]
    for name, body, error in refused:
        for model in (state, copy):
            with pytest.raises(error):
                decide(model, parse_command(name, body))
    lead = parse_command("capture-lead", {"lead_id": "LD-M9", "campaign_id": "CMP-M", "channel": "store"})
    assert decide(copy, lead) == decide(state, lead)
