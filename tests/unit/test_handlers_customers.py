"""Customer deciders: a follow-up is recorded once, for a known customer, and about that
customer's own order or complaint; its scores are whole numbers in their scales."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from handlers import AlreadyExists, UnknownCustomer, UnknownOrder
from handlers.errors import CustomerMismatch, UnknownComplaint
from schemas import parse_command, parse_command_json
from schemas.customers import FollowUpRecorded, RecordFollowUp
from schemas.service import ComplaintFiled
from tests.unit.handlers_support import SALES, Scenario, customer, given, line, place


def complaint(complaint_id: str = "C-1", customer_id: str = "CUS-1") -> ComplaintFiled:
    return ComplaintFiled(
        complaint_id=complaint_id,
        customer_id=customer_id,
        channel="phone",
        category="damaged goods",
        severity="high",
        description="crushed box",
    )


def follow_up(follow_up_id: str = "F-1", customer_id: str = "CUS-1", **extra: Any) -> RecordFollowUp:
    return RecordFollowUp(follow_up_id=follow_up_id, customer_id=customer_id, kind="call", **extra)


def customers() -> Scenario:
    """SALES (customer CUS-1), customer CUS-2; order SO-1 and complaint C-1 are CUS-1's, C-2 is CUS-2's."""
    return given(*SALES, customer("CUS-2"), complaint(), complaint("C-2", "CUS-2")).accepted(
        place(line(1, 1))
    )


def body(**changes: Any) -> dict[str, Any]:
    return {"follow_up_id": "F-1", "customer_id": "CUS-1", "kind": "survey", **changes}


def test_a_follow_up_is_recorded_with_everything_it_says() -> None:
    command = follow_up(order_id="SO-1", complaint_id="C-1", csat=5, nps=10, note="all good now")
    state = (
        customers()
        .when(command)
        .then(
            FollowUpRecorded(
                follow_up_id="F-1",
                customer_id="CUS-1",
                kind="call",
                order_id="SO-1",
                complaint_id="C-1",
                csat=5,
                nps=10,
                note="all good now",
            )
        )
    )
    assert "F-1" in state.follow_ups


def test_a_follow_up_needs_no_order_complaint_or_score() -> None:
    customers().when(follow_up(customer_id="CUS-2")).then(
        FollowUpRecorded(follow_up_id="F-1", customer_id="CUS-2", kind="call")
    )


def test_a_follow_up_id_is_used_once() -> None:
    customers().when(follow_up(), follow_up(customer_id="CUS-2")).raises(AlreadyExists, id="F-1")


def test_a_follow_up_names_a_known_customer() -> None:
    customers().when(follow_up(customer_id="CUS-X")).raises(UnknownCustomer, customer_id="CUS-X")


def test_a_follow_up_names_a_known_order_and_complaint() -> None:
    customers().when(follow_up(order_id="SO-X")).raises(UnknownOrder, order_id="SO-X")
    customers().when(follow_up(complaint_id="C-X")).raises(UnknownComplaint, complaint_id="C-X")


def test_a_follow_up_about_another_customers_order_is_a_mismatch() -> None:
    customers().when(follow_up(customer_id="CUS-2", order_id="SO-1")).raises(
        CustomerMismatch, order_id="SO-1"
    )


def test_a_follow_up_about_another_customers_complaint_is_a_mismatch() -> None:
    customers().when(follow_up(complaint_id="C-2")).raises(CustomerMismatch, complaint_id="C-2")
    customers().when(follow_up(order_id="SO-1", complaint_id="C-2")).raises(
        CustomerMismatch, complaint_id="C-2"
    )


def test_a_complaint_remembers_its_customer_and_an_order_its_own() -> None:
    state = customers().state
    assert state.complaint_customers["C-2"] == "CUS-2"
    assert state.orders["SO-1"].customer_id == "CUS-1"


@pytest.mark.parametrize(("csat", "nps"), [(1, 0), (5, 10), (3, None), (None, 7)])
def test_scores_at_the_ends_of_their_scales_are_accepted(csat: int | None, nps: int | None) -> None:
    command = parse_command("record-follow-up", body(csat=csat, nps=nps))
    assert isinstance(command, RecordFollowUp)
    assert (command.csat, command.nps) == (csat, nps)


@pytest.mark.parametrize("csat", ["0", "6", "-1", "4.0", "4.5", "4e0", "true", '"4"', "[4]"])
def test_csat_is_a_whole_number_from_1_to_5(csat: str) -> None:
    with pytest.raises(ValidationError):
        parse_command_json(
            "record-follow-up",
            f'{{"follow_up_id": "F-1", "customer_id": "C", "kind": "call", "csat": {csat}}}',
        )


@pytest.mark.parametrize("nps", ["-1", "11", "9.0", "9.5", "1e1", "false", '"9"'])
def test_nps_is_a_whole_number_from_0_to_10(nps: str) -> None:
    with pytest.raises(ValidationError):
        parse_command_json(
            "record-follow-up", f'{{"follow_up_id": "F-1", "customer_id": "C", "kind": "call", "nps": {nps}}}'
        )


def test_a_follow_ups_kind_is_one_of_four() -> None:
    with pytest.raises(ValidationError):
        parse_command("record-follow-up", body(kind="letter"))
