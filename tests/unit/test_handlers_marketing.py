"""Marketing deciders: campaigns and their spend, and leads through the funnel (the order that
wins a lead is in test_handlers_lead_orders)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from handlers import (
    AlreadyExists,
    InvalidTransition,
    UnknownCustomer,
)
from handlers.errors import UnknownCampaign, UnknownLead
from handlers.model import Lead, LeadStatus
from schemas import parse_command
from schemas.marketing import (
    CampaignLaunched,
    CampaignSpendRecorded,
    CaptureLead,
    LaunchCampaign,
    LeadLost,
    LeadQualified,
    LeadWon,
    LoseLead,
    QualifyLead,
    RecordCampaignSpend,
)
from tests.unit.handlers_support import FUNNEL, D, campaign, given, lead

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


def spend(spend_id: str = "SP-1", amount: str = "400.00", campaign_id: str = "CMP-1") -> RecordCampaignSpend:
    return RecordCampaignSpend(campaign_id=campaign_id, spend_id=spend_id, amount=D(amount))


def capture(
    lead_id: str = "LD-1", campaign_id: str | None = "CMP-1", customer_id: str | None = "CUS-1"
) -> CaptureLead:
    return CaptureLead(lead_id=lead_id, campaign_id=campaign_id, customer_id=customer_id, channel="online")


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
    given(campaign()).when(launch(budget="10")).raises(AlreadyExists, id="CMP-1")


def test_a_campaign_with_a_budget_of_zero_is_launched() -> None:
    given().when(launch(budget="0")).then(campaign(budget="0"))


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
        given(campaign())
        .when(command)
        .then(CampaignSpendRecorded(campaign_id="CMP-1", spend_id="SP-1", amount=D("400.00"), note="stand"))
    )
    assert ("CMP-1", "SP-1") in state.campaign_spends


def test_spend_on_an_unknown_campaign_is_refused() -> None:
    given(campaign()).when(spend(campaign_id="CMP-X")).raises(UnknownCampaign, campaign_id="CMP-X")


def test_a_spend_id_is_used_once_within_its_campaign() -> None:
    given(campaign()).when(spend(), spend(amount="1")).raises(AlreadyExists, id="SP-1")


def test_a_spend_id_of_one_campaign_may_be_used_again_in_another() -> None:
    given(campaign(), campaign("CMP-2")).when(spend(), spend(campaign_id="CMP-2")).then(
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
    state = given(*FUNNEL).when(capture()).then(lead())
    assert state.leads["LD-1"] == Lead(LeadStatus.CAPTURED, "CMP-1", "CUS-1")


def test_a_lead_needs_neither_a_campaign_nor_a_customer() -> None:
    state = (
        given()
        .when(capture(campaign_id=None, customer_id=None))
        .then(lead(campaign_id=None, customer_id=None))
    )
    assert state.leads["LD-1"] == Lead(LeadStatus.CAPTURED, None, None)


def test_a_lead_id_is_used_once() -> None:
    given(*FUNNEL, lead()).when(capture(campaign_id="CMP-2")).raises(AlreadyExists, id="LD-1")


def test_a_lead_names_a_known_campaign_and_customer() -> None:
    given(*FUNNEL).when(capture(campaign_id="CMP-X")).raises(UnknownCampaign, campaign_id="CMP-X")
    given(*FUNNEL).when(capture(customer_id="CUS-X")).raises(UnknownCustomer, customer_id="CUS-X")


def test_a_leads_channel_is_a_sales_channel() -> None:
    with pytest.raises(ValidationError):
        parse_command("capture-lead", {"lead_id": "LD-1", "channel": "phone"})


# qualify-lead and lose-lead ----------------------------------------------------------------


def test_a_captured_lead_is_qualified_then_lost() -> None:
    state = (
        given(*FUNNEL, lead())
        .when(QualifyLead(lead_id="LD-1"), lose())
        .then(LeadQualified(lead_id="LD-1"), LeadLost(lead_id="LD-1", reason="chose a competitor"))
    )
    assert state.leads["LD-1"] == Lead(LeadStatus.LOST, "CMP-1", "CUS-1")


def test_a_lead_may_be_lost_straight_from_captured() -> None:
    given(*FUNNEL, lead()).when(lose()).then(LeadLost(lead_id="LD-1", reason="chose a competitor"))


def test_a_lead_is_qualified_once() -> None:
    given(*FUNNEL, lead(), LeadQualified(lead_id="LD-1")).when(QualifyLead(lead_id="LD-1")).raises(
        InvalidTransition, lead_id="LD-1"
    )


@pytest.mark.parametrize("command", [QualifyLead(lead_id="LD-1"), lose()], ids=["qualify", "lose"])
def test_a_lost_lead_is_final(command: QualifyLead | LoseLead) -> None:
    given(*FUNNEL, lead(), LeadLost(lead_id="LD-1", reason="gone")).when(command).raises(
        InvalidTransition, lead_id="LD-1"
    )


@pytest.mark.parametrize("command", [QualifyLead(lead_id="LD-1"), lose()], ids=["qualify", "lose"])
def test_a_won_lead_is_final(command: QualifyLead | LoseLead) -> None:
    won = LeadWon(lead_id="LD-1", order_id="SO-9", customer_id="CUS-1", campaign_id="CMP-1")
    given(*FUNNEL, lead(), won).when(command).raises(InvalidTransition, lead_id="LD-1")


@pytest.mark.parametrize("command", [QualifyLead(lead_id="LD-X"), lose("LD-X")], ids=["qualify", "lose"])
def test_an_unknown_lead_is_refused(command: QualifyLead | LoseLead) -> None:
    given(*FUNNEL, lead()).when(command).raises(UnknownLead, lead_id="LD-X")
