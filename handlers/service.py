"""Service: the life cycle of a customer complaint.

A complaint is open from filing until resolved, and again from reopening. It is acknowledged
(the first response, which stops the response clock) at most once per opening, and only
while open; only a resolved complaint can be reopened.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from handlers.checks import require_customer, require_new, require_order, require_product
from handlers.errors import InvalidTransition, UnknownComplaint
from handlers.model import ComplaintStatus, Decider, Evolver, WriteModel
from schemas.base import Command, Event
from schemas.service import (
    AcknowledgeComplaint,
    ComplaintAcknowledged,
    ComplaintFiled,
    ComplaintReopened,
    ComplaintResolved,
    FileComplaint,
    ReopenComplaint,
    ResolveComplaint,
)

OPEN, ACKNOWLEDGED, RESOLVED = ComplaintStatus.OPEN, ComplaintStatus.ACKNOWLEDGED, ComplaintStatus.RESOLVED


def _require_status(state: WriteModel, complaint_id: str, allowed: set[ComplaintStatus], doing: str) -> None:
    status = state.complaints.get(complaint_id)
    if status is None:
        raise UnknownComplaint(f"no complaint {complaint_id}", complaint_id=complaint_id)
    if status not in allowed:
        raise InvalidTransition(
            f"complaint {complaint_id} is {status.value}: it cannot be {doing}",
            complaint_id=complaint_id,
            complaint_status=status.value,
        )


def file_complaint(state: WriteModel, command: FileComplaint) -> list[Event]:
    require_new(state.complaints, command.complaint_id, "complaint", command.complaint_id)
    require_customer(state, command.customer_id)
    if command.order_id is not None:
        require_order(state, command.order_id)
    if command.sku is not None:
        require_product(state, command.sku)
    return [
        ComplaintFiled(
            complaint_id=command.complaint_id,
            customer_id=command.customer_id,
            channel=command.channel,
            category=command.category,
            severity=command.severity,
            description=command.description,
            order_id=command.order_id,
            sku=command.sku,
            lot_id=command.lot_id,
        )
    ]


def acknowledge_complaint(state: WriteModel, command: AcknowledgeComplaint) -> list[Event]:
    _require_status(state, command.complaint_id, {OPEN}, "acknowledged")
    return [ComplaintAcknowledged(complaint_id=command.complaint_id)]


def resolve_complaint(state: WriteModel, command: ResolveComplaint) -> list[Event]:
    _require_status(state, command.complaint_id, {OPEN, ACKNOWLEDGED}, "resolved")
    return [ComplaintResolved(complaint_id=command.complaint_id, resolution=command.resolution)]


def reopen_complaint(state: WriteModel, command: ReopenComplaint) -> list[Event]:
    _require_status(state, command.complaint_id, {RESOLVED}, "reopened")
    return [ComplaintReopened(complaint_id=command.complaint_id, reason=command.reason)]


def complaint_filed(state: WriteModel, event: ComplaintFiled) -> None:
    state.complaints[event.complaint_id] = OPEN
    state.complaint_customers[event.complaint_id] = sys.intern(event.customer_id)


def complaint_acknowledged(state: WriteModel, event: ComplaintAcknowledged) -> None:
    state.complaints[event.complaint_id] = ACKNOWLEDGED


def complaint_resolved(state: WriteModel, event: ComplaintResolved) -> None:
    state.complaints[event.complaint_id] = RESOLVED


def complaint_reopened(state: WriteModel, event: ComplaintReopened) -> None:
    state.complaints[event.complaint_id] = OPEN


DECIDERS: Mapping[type[Command], Decider] = {
    FileComplaint: file_complaint,
    AcknowledgeComplaint: acknowledge_complaint,
    ResolveComplaint: resolve_complaint,
    ReopenComplaint: reopen_complaint,
}
EVOLVERS: Mapping[type[Event], Evolver] = {
    ComplaintFiled: complaint_filed,
    ComplaintAcknowledged: complaint_acknowledged,
    ComplaintResolved: complaint_resolved,
    ComplaintReopened: complaint_reopened,
}
