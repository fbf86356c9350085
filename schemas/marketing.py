"""Marketing: campaigns with a budget and their spend, and leads through the sales funnel.

A campaign lives on `campaign:{campaign_id}` (its launch and every spend on it); a lead on
`lead:{lead_id}`, captured, perhaps qualified, and at last won (by an order that names it, in
the order's own append) or lost. Both streams are in the `marketing` topic.
"""

from typing import ClassVar, Literal, Self

from pydantic import model_validator

from schemas.base import Command, Event
from schemas.sales import SalesChannel
from schemas.types import (
    BusinessDate,
    Currency,
    FreeText,
    Identifier,
    NonNegativeMoney,
    StoredText,
)

Medium = Literal["search", "social", "email", "display", "print", "event", "in_store", "other"]


def campaign_stream(campaign_id: str) -> str:
    return f"campaign:{campaign_id}"


def lead_stream(lead_id: str) -> str:
    return f"lead:{lead_id}"


class LaunchCampaign(Command):
    """Start a campaign with a budget over the days from `starts_on` to `ends_on`, both included."""

    command_name: ClassVar[str] = "launch-campaign"
    area: ClassVar[str] = "marketing"

    campaign_id: Identifier
    name: FreeText
    medium: Medium
    starts_on: BusinessDate
    ends_on: BusinessDate
    budget: NonNegativeMoney
    currency: Currency

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> Self:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on may not come before starts_on")
        return self


class RecordCampaignSpend(Command):
    command_name: ClassVar[str] = "record-campaign-spend"
    area: ClassVar[str] = "marketing"

    campaign_id: Identifier
    spend_id: Identifier
    amount: NonNegativeMoney
    note: FreeText | None = None


class CaptureLead(Command):
    """A prospect showed interest, through a campaign or not, known as a customer or not yet."""

    command_name: ClassVar[str] = "capture-lead"
    area: ClassVar[str] = "marketing"

    lead_id: Identifier
    campaign_id: Identifier | None = None
    customer_id: Identifier | None = None
    channel: SalesChannel


class QualifyLead(Command):
    command_name: ClassVar[str] = "qualify-lead"
    area: ClassVar[str] = "marketing"

    lead_id: Identifier


class LoseLead(Command):
    command_name: ClassVar[str] = "lose-lead"
    area: ClassVar[str] = "marketing"

    lead_id: Identifier
    reason: FreeText


class CampaignLaunched(Event):
    type: Literal["CampaignLaunched"] = "CampaignLaunched"

    campaign_id: Identifier
    name: StoredText
    medium: Medium
    starts_on: BusinessDate
    ends_on: BusinessDate
    budget: NonNegativeMoney
    currency: Currency

    def stream(self) -> str:
        return campaign_stream(self.campaign_id)


class CampaignSpendRecorded(Event):
    type: Literal["CampaignSpendRecorded"] = "CampaignSpendRecorded"

    campaign_id: Identifier
    spend_id: Identifier
    amount: NonNegativeMoney
    note: StoredText | None = None

    def stream(self) -> str:
        return campaign_stream(self.campaign_id)


class LeadCaptured(Event):
    type: Literal["LeadCaptured"] = "LeadCaptured"

    lead_id: Identifier
    campaign_id: Identifier | None = None
    customer_id: Identifier | None = None
    channel: SalesChannel

    def stream(self) -> str:
        return lead_stream(self.lead_id)


class LeadQualified(Event):
    type: Literal["LeadQualified"] = "LeadQualified"

    lead_id: Identifier

    def stream(self) -> str:
        return lead_stream(self.lead_id)


class LeadLost(Event):
    type: Literal["LeadLost"] = "LeadLost"

    lead_id: Identifier
    reason: StoredText

    def stream(self) -> str:
        return lead_stream(self.lead_id)


class LeadWon(Event):
    """An order named the lead: recorded in the order's own append."""

    type: Literal["LeadWon"] = "LeadWon"

    lead_id: Identifier
    order_id: Identifier
    customer_id: Identifier
    campaign_id: Identifier | None = None

    def stream(self) -> str:
        return lead_stream(self.lead_id)


COMMANDS: tuple[type[Command], ...] = (
    LaunchCampaign,
    RecordCampaignSpend,
    CaptureLead,
    QualifyLead,
    LoseLead,
)
EVENTS: tuple[type[Event], ...] = (
    CampaignLaunched,
    CampaignSpendRecorded,
    LeadCaptured,
    LeadQualified,
    LeadLost,
    LeadWon,
)
