"""Customers: follow-ups. A follow-up about an order or a complaint must be about one of
that customer's own."""

from __future__ import annotations

from collections.abc import Mapping

from handlers.checks import require_customer, require_new, require_order
from handlers.errors import CustomerMismatch, UnknownComplaint
from handlers.model import Decider, Evolver, WriteModel
from schemas.base import Command, Event
from schemas.customers import FollowUpRecorded, RecordFollowUp


def record_follow_up(state: WriteModel, command: RecordFollowUp) -> list[Event]:
    require_new(state.follow_ups, command.follow_up_id, "follow-up", command.follow_up_id)
    require_customer(state, command.customer_id)
    if command.order_id is not None:
        order = require_order(state, command.order_id)
        if order.customer_id != command.customer_id:
            raise CustomerMismatch(
                f"order {command.order_id} is not customer {command.customer_id}'s", order_id=command.order_id
            )
    if command.complaint_id is not None:
        owner = state.complaint_customers.get(command.complaint_id)
        if owner is None:
            raise UnknownComplaint(f"no complaint {command.complaint_id}", complaint_id=command.complaint_id)
        if owner != command.customer_id:
            raise CustomerMismatch(
                f"complaint {command.complaint_id} is not customer {command.customer_id}'s",
                complaint_id=command.complaint_id,
            )
    return [
        FollowUpRecorded(
            follow_up_id=command.follow_up_id,
            customer_id=command.customer_id,
            kind=command.kind,
            order_id=command.order_id,
            complaint_id=command.complaint_id,
            csat=command.csat,
            nps=command.nps,
            note=command.note,
        )
    ]


def follow_up_recorded(state: WriteModel, event: FollowUpRecorded) -> None:
    state.follow_ups.add(event.follow_up_id)


DECIDERS: Mapping[type[Command], Decider] = {RecordFollowUp: record_follow_up}
EVOLVERS: Mapping[type[Event], Evolver] = {FollowUpRecorded: follow_up_recorded}
