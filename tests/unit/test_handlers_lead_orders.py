"""An order that names a lead wins it in its own append, after its reservations: the lead must
be open, of the order's customer and campaign when it has them, and lends the order its
campaign when the order names none."""

from __future__ import annotations

import pytest

from handlers import InsufficientStock, InvalidTransition
from handlers.errors import CampaignMismatch, CustomerMismatch, UnknownLead
from handlers.model import LeadStatus
from schemas.inventory import StockReserved
from schemas.marketing import LeadLost, LeadQualified, LeadWon
from schemas.sales import OrderLine, OrderPlaced, PlaceOrder
from tests.unit.handlers_support import FUNNEL, D, given, lead, level, line, place


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
        given(*FUNNEL, lead(), LeadQualified(lead_id="LD-1"))
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
    given(*FUNNEL, lead()).when(by_lead(campaign_id="CMP-1")).then(
        placed_by_lead("CMP-1"),
        RESERVED,
        LeadWon(lead_id="LD-1", order_id="SO-1", customer_id="CUS-1", campaign_id="CMP-1"),
    )


def test_an_order_may_name_any_campaign_for_a_lead_of_none() -> None:
    given(*FUNNEL, lead(campaign_id=None)).when(by_lead(campaign_id="CMP-2")).then(
        placed_by_lead("CMP-2"),
        RESERVED,
        LeadWon(lead_id="LD-1", order_id="SO-1", customer_id="CUS-1", campaign_id="CMP-2"),
    )


def test_an_order_and_its_lead_without_a_campaign_record_none() -> None:
    given(*FUNNEL, lead(campaign_id=None)).when(by_lead()).then(
        placed_by_lead(None),
        RESERVED,
        LeadWon(lead_id="LD-1", order_id="SO-1", customer_id="CUS-1", campaign_id=None),
    )


def test_a_lead_of_no_customer_may_be_won_by_any_customer() -> None:
    given(*FUNNEL, lead(customer_id=None)).when(by_lead(customer_id="CUS-2")).then(
        placed_by_lead("CMP-1", customer_id="CUS-2"),
        RESERVED,
        LeadWon(lead_id="LD-1", order_id="SO-1", customer_id="CUS-2", campaign_id="CMP-1"),
    )


def test_an_order_without_a_lead_keeps_its_campaign_as_given_and_wins_nothing() -> None:
    state = (
        given(*FUNNEL, lead())
        .when(by_lead(lead_id=None, campaign_id="SPRING"))
        .then(placed_by_lead("SPRING", lead_id=None), RESERVED)
    )
    assert state.leads["LD-1"].status is LeadStatus.CAPTURED


def test_an_order_naming_an_unknown_lead_is_refused() -> None:
    given(*FUNNEL).when(by_lead("LD-X")).raises(UnknownLead, lead_id="LD-X")


@pytest.mark.parametrize(
    "closing",
    [LeadLost(lead_id="LD-1", reason="gone"), LeadWon(lead_id="LD-1", order_id="SO-0", customer_id="CUS-1")],
    ids=["lost", "won"],
)
def test_an_order_naming_a_closed_lead_is_refused(closing: LeadLost | LeadWon) -> None:
    given(*FUNNEL, lead(), closing).when(by_lead()).raises(InvalidTransition, lead_id="LD-1")


def test_the_lead_is_checked_with_the_orders_other_references_before_its_stock() -> None:
    given(*FUNNEL).when(by_lead("LD-X", qty=11)).raises(UnknownLead, lead_id="LD-X")
    given(*FUNNEL, lead()).when(by_lead(customer_id="CUS-2", qty=11)).raises(CustomerMismatch, lead_id="LD-1")


def test_a_lead_is_won_by_one_order_only() -> None:
    second = by_lead().model_copy(update={"order_id": "SO-2"})
    given(*FUNNEL, lead()).when(by_lead(), second).raises(InvalidTransition, lead_id="LD-1")


def test_an_order_naming_another_campaign_than_its_leads_is_a_mismatch() -> None:
    given(*FUNNEL, lead()).when(by_lead(campaign_id="CMP-2")).raises(CampaignMismatch, lead_id="LD-1")


def test_an_order_of_another_customer_than_its_leads_is_a_mismatch() -> None:
    given(*FUNNEL, lead()).when(by_lead(customer_id="CUS-2")).raises(CustomerMismatch, lead_id="LD-1")


def test_a_refused_order_leaves_its_lead_open_and_its_stock_free() -> None:
    scenario = given(*FUNNEL, lead())
    scenario.when(by_lead(qty=11)).raises(InsufficientStock)
    assert scenario.state.leads["LD-1"].status is LeadStatus.CAPTURED
    assert level(scenario.state) == (D(10), D(0), D(0), D(10))
    scenario.when(by_lead()).then(
        placed_by_lead("CMP-1"),
        RESERVED,
        LeadWon(lead_id="LD-1", order_id="SO-1", customer_id="CUS-1", campaign_id="CMP-1"),
    )
