"""Marketing: launching campaigns, recording their spend, and leads through the funnel.

A lead is captured, may be qualified, and ends won or lost; won and lost are final, and a
lead may be won or lost straight from captured. A lead is won by the order that names it
(``handlers.sales`` asks ``lead_won`` for the LeadWon of that order's append).
"""

from __future__ import annotations

from collections.abc import Mapping

from handlers.checks import require_customer, require_new
from handlers.errors import (
    CampaignMismatch,
    CustomerMismatch,
    InvalidTransition,
    UnknownCampaign,
    UnknownLead,
)
from handlers.model import Decider, Evolver, Lead, LeadStatus, WriteModel
from schemas.base import Command, Event
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
from schemas.sales import PlaceOrder


def require_campaign(state: WriteModel, campaign_id: str) -> None:
    if campaign_id not in state.campaigns:
        raise UnknownCampaign(f"no campaign {campaign_id}; launch it first", campaign_id=campaign_id)


def require_lead(state: WriteModel, lead_id: str) -> Lead:
    lead = state.leads.get(lead_id)
    if lead is None:
        raise UnknownLead(f"no lead {lead_id}", lead_id=lead_id)
    return lead


def _require_open(lead: Lead, lead_id: str) -> None:
    if not lead.status.open:
        raise InvalidTransition(f"lead {lead_id} is already {lead.status.value}", lead_id=lead_id)


def launch_campaign(state: WriteModel, command: LaunchCampaign) -> list[Event]:
    require_new(state.campaigns, command.campaign_id, "campaign", command.campaign_id)
    return [
        CampaignLaunched(
            campaign_id=command.campaign_id,
            name=command.name,
            medium=command.medium,
            starts_on=command.starts_on,
            ends_on=command.ends_on,
            budget=command.budget,
            currency=command.currency,
        )
    ]


def record_campaign_spend(state: WriteModel, command: RecordCampaignSpend) -> list[Event]:
    require_campaign(state, command.campaign_id)
    key = (command.campaign_id, command.spend_id)
    require_new(state.campaign_spends, key, f"campaign {command.campaign_id}: spend", command.spend_id)
    return [
        CampaignSpendRecorded(
            campaign_id=command.campaign_id,
            spend_id=command.spend_id,
            amount=command.amount,
            note=command.note,
        )
    ]


def capture_lead(state: WriteModel, command: CaptureLead) -> list[Event]:
    require_new(state.leads, command.lead_id, "lead", command.lead_id)
    if command.campaign_id is not None:
        require_campaign(state, command.campaign_id)
    if command.customer_id is not None:
        require_customer(state, command.customer_id)
    return [
        LeadCaptured(
            lead_id=command.lead_id,
            campaign_id=command.campaign_id,
            customer_id=command.customer_id,
            channel=command.channel,
        )
    ]


def qualify_lead(state: WriteModel, command: QualifyLead) -> list[Event]:
    lead = require_lead(state, command.lead_id)
    if lead.status is not LeadStatus.CAPTURED:
        raise InvalidTransition(
            f"lead {command.lead_id} is {lead.status.value}: only a captured lead is qualified",
            lead_id=command.lead_id,
        )
    return [LeadQualified(lead_id=command.lead_id)]


def lose_lead(state: WriteModel, command: LoseLead) -> list[Event]:
    lead = require_lead(state, command.lead_id)
    _require_open(lead, command.lead_id)
    return [LeadLost(lead_id=command.lead_id, reason=command.reason)]


def lead_won(state: WriteModel, command: PlaceOrder) -> tuple[str | None, LeadWon | None]:
    """The campaign an order is placed with, and the LeadWon its lead (if any) records.

    The lead must be open and, when it names a customer or a campaign, the order's; an
    order with a lead and no campaign_id takes the lead's campaign.
    """
    if command.lead_id is None:
        return command.campaign_id, None
    lead = require_lead(state, command.lead_id)
    _require_open(lead, command.lead_id)
    if lead.customer_id is not None and lead.customer_id != command.customer_id:
        raise CustomerMismatch(
            f"lead {command.lead_id} is customer {lead.customer_id}'s, not {command.customer_id}'s",
            lead_id=command.lead_id,
        )
    campaign_id = command.campaign_id if command.campaign_id is not None else lead.campaign_id
    if (
        command.campaign_id is not None
        and lead.campaign_id is not None
        and lead.campaign_id != command.campaign_id
    ):
        raise CampaignMismatch(
            f"lead {command.lead_id} came from campaign {lead.campaign_id}, not {command.campaign_id}",
            lead_id=command.lead_id,
        )
    won = LeadWon(
        lead_id=command.lead_id,
        order_id=command.order_id,
        customer_id=command.customer_id,
        campaign_id=campaign_id,
    )
    return campaign_id, won


def campaign_launched(state: WriteModel, event: CampaignLaunched) -> None:
    state.campaigns.add(event.campaign_id)


def campaign_spend_recorded(state: WriteModel, event: CampaignSpendRecorded) -> None:
    state.campaign_spends.add((event.campaign_id, event.spend_id))


def lead_captured(state: WriteModel, event: LeadCaptured) -> None:
    state.leads[event.lead_id] = Lead(LeadStatus.CAPTURED, event.campaign_id, event.customer_id)


def _lead_became(state: WriteModel, lead_id: str, status: LeadStatus) -> None:
    lead = state.leads[lead_id]
    state.leads[lead_id] = Lead(status, lead.campaign_id, lead.customer_id)


def lead_qualified(state: WriteModel, event: LeadQualified) -> None:
    _lead_became(state, event.lead_id, LeadStatus.QUALIFIED)


def lead_lost(state: WriteModel, event: LeadLost) -> None:
    _lead_became(state, event.lead_id, LeadStatus.LOST)


def lead_was_won(state: WriteModel, event: LeadWon) -> None:
    _lead_became(state, event.lead_id, LeadStatus.WON)


DECIDERS: Mapping[type[Command], Decider] = {
    LaunchCampaign: launch_campaign,
    RecordCampaignSpend: record_campaign_spend,
    CaptureLead: capture_lead,
    QualifyLead: qualify_lead,
    LoseLead: lose_lead,
}
EVOLVERS: Mapping[type[Event], Evolver] = {
    CampaignLaunched: campaign_launched,
    CampaignSpendRecorded: campaign_spend_recorded,
    LeadCaptured: lead_captured,
    LeadQualified: lead_qualified,
    LeadLost: lead_lost,
    LeadWon: lead_was_won,
}
