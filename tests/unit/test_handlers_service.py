"""Service deciders: a complaint's life cycle, filed, acknowledged, resolved, reopened."""

import pytest

from handlers import (
    AlreadyExists,
    InvalidTransition,
    UnknownComplaint,
    UnknownCustomer,
    UnknownOrder,
    UnknownProduct,
)
from schemas.base import Command
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
from tests.unit.handlers_support import customer, given, line, location, place, product, received, team

FILE = FileComplaint(
    complaint_id="C-1",
    customer_id="CUS-1",
    channel="email",
    category="late",
    severity="high",
    description="Parcel arrived two weeks late.",
)
FILED = ComplaintFiled(**FILE.model_dump(exclude={"occurred_at"}))
ACK = AcknowledgeComplaint(complaint_id="C-1")
RESOLVE = ResolveComplaint(complaint_id="C-1", resolution="Refunded shipping.")
REOPEN = ReopenComplaint(complaint_id="C-1", reason="Refund never arrived.")
ACKED = ComplaintAcknowledged(complaint_id="C-1")
RESOLVED = ComplaintResolved(complaint_id="C-1", resolution="Refunded shipping.")
REOPENED = ComplaintReopened(complaint_id="C-1", reason="Refund never arrived.")


def test_filing_a_complaint_from_a_known_customer() -> None:
    given(customer()).when(FILE).then(FILED)


def test_a_complaint_may_name_a_known_order_product_and_any_lot() -> None:
    command = FILE.model_copy(update={"order_id": "SO-1", "sku": "SKU-1", "lot_id": "L-404"})
    scenario = given(customer(), team(), product(), location(), received(5)).accepted(place(line(1, 1)))
    scenario.when(command).then(ComplaintFiled(**command.model_dump(exclude={"occurred_at"})))


def test_a_complaint_id_is_used_once() -> None:
    given(customer(), FILED).when(FILE).raises(AlreadyExists, id="C-1")


def test_a_complaint_from_an_unknown_customer_is_refused() -> None:
    given().when(FILE).raises(UnknownCustomer, customer_id="CUS-1")


def test_a_complaint_about_an_unknown_order_or_product_is_refused() -> None:
    given(customer()).when(FILE.model_copy(update={"order_id": "SO-X"})).raises(UnknownOrder)
    given(customer()).when(FILE.model_copy(update={"sku": "SKU-X"})).raises(UnknownProduct)


def test_the_full_life_cycle_in_one_batch() -> None:
    given(customer()).when(FILE, ACK, RESOLVE, REOPEN, ACK, RESOLVE).then(
        FILED, ACKED, RESOLVED, REOPENED, ACKED, RESOLVED
    )


def test_an_open_complaint_may_be_resolved_without_acknowledgement() -> None:
    given(customer(), FILED).when(RESOLVE).then(RESOLVED)


@pytest.mark.parametrize(
    ("history", "command"),
    [
        ((FILED, ACKED), ACK),
        ((FILED, RESOLVED), ACK),
        ((FILED, ACKED, RESOLVED, REOPENED, ACKED), ACK),
        ((FILED, RESOLVED), RESOLVE),
        ((FILED,), REOPEN),
        ((FILED, ACKED), REOPEN),
        ((FILED, RESOLVED, REOPENED), REOPEN),
    ],
    ids=[
        "ack-twice",
        "ack-resolved",
        "ack-twice-after-reopen",
        "resolve-resolved",
        "reopen-filed",
        "reopen-acknowledged",
        "reopen-reopened",
    ],
)
def test_a_transition_not_allowed_from_the_current_status_is_refused(
    history: tuple[ComplaintFiled, ...], command: Command
) -> None:
    given(customer(), *history).when(command).raises(InvalidTransition, complaint_id="C-1")


@pytest.mark.parametrize("command", [ACK, RESOLVE, REOPEN], ids=["ack", "resolve", "reopen"])
def test_a_transition_of_an_unknown_complaint_is_refused(command: Command) -> None:
    given(customer()).when(command).raises(UnknownComplaint, complaint_id="C-1")
