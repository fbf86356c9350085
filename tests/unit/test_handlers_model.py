"""The write model as the writer uses it: dispatch, batches, rollback, snapshots, footprint."""

import pickle
import tracemalloc
from decimal import Decimal
from typing import ClassVar, Literal

import pytest

from handlers import DECIDERS, EVOLVERS, AlreadyExists, InvalidTransition, WriteModel, decide, evolve
from handlers.errors import CustomerMismatch
from handlers.journal import Table
from handlers.model import IdSet, Lead, LeadStatus
from ledger.writer.snapshots import unpickle
from schemas import COMMANDS, EVENTS, latest_version, parse_command
from schemas.access import INTERNAL_COMMANDS
from schemas.base import Command, Event
from schemas.inventory import IssueStock, ReceiveStock, StockIssued, StockReceived
from schemas.quality import RecordInspection
from schemas.sales import CancelOrder, ReturnLine, ReturnOrder, ShipLine, ShipOrder
from schemas.service import AcknowledgeComplaint, FileComplaint
from tests.support.marketing import MARKETING_HISTORY
from tests.unit.handlers_support import (
    SALES,
    UNVALUED,
    D,
    apply,
    customer,
    decide_pure,
    given,
    level,
    line,
    place,
    product,
)

HISTORY: list[Command] = [
    place(line(1, 3), line(2, 2, sku="SKU-2")),
    ShipOrder(order_id="SO-1", shipment_id="SH-1", lines=(ShipLine(line_no=1, qty=D(2)),)),
    CancelOrder(order_id="SO-1", reason="rest not needed"),
    ReturnOrder(
        order_id="SO-1", return_id="RT-1", lines=(ReturnLine(line_no=1, qty=D(1), condition="resaleable"),)
    ),
    ReceiveStock(receipt_id="R-9", sku="SKU-3", location_id="WH-A", qty=D(8), lot_id="L-1"),
    RecordInspection(
        inspection_id="Q-1",
        lot_id="L-1",
        sku="SKU-3",
        stage="incoming",
        sample_size=5,
        defective_units=0,
        disposition="accept",
    ),
    FileComplaint(
        complaint_id="C-1",
        customer_id="CUS-1",
        channel="phone",
        category="damaged",
        severity="low",
        description="Box dented.",
        order_id="SO-1",
    ),
    AcknowledgeComplaint(complaint_id="C-1"),
]


def populated() -> WriteModel:
    state = given(*SALES, product("SKU-3", inspected=True)).state
    for command in HISTORY:
        apply(state, decide_pure(state, command))
    return state


class Unheard(Command):
    command_name: ClassVar[str] = "unheard"
    area: ClassVar[str] = "nowhere"


class Unrecorded(Event):
    type: Literal["Unrecorded"] = "Unrecorded"

    def stream(self) -> str:
        return "nowhere:1"


def test_every_command_and_event_of_the_schemas_is_dispatched() -> None:
    assert set(DECIDERS) == set(COMMANDS.values()) | set(INTERNAL_COMMANDS)
    assert not set(INTERNAL_COMMANDS) & set(COMMANDS.values())  # never reachable by name
    # Older versions are upcast on read: only the latest class of each type reaches `evolve`.
    assert set(EVOLVERS) == {cls for (type_, v), cls in EVENTS.items() if v == latest_version(type_)}


def test_an_unknown_command_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="Unheard"):
        decide(WriteModel(), Unheard())


def test_an_unknown_event_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="Unrecorded"):
        evolve(WriteModel(), Unrecorded())


def test_evolve_returns_the_state_it_changed() -> None:
    state = WriteModel()
    assert evolve(state, customer()) is state
    assert "CUS-1" in state.customers


def test_a_later_command_of_a_batch_sees_the_earlier_ones_effects() -> None:
    receive = ReceiveStock(receipt_id="R-5", sku="SKU-2", location_id="WH-A", qty=D(3))
    issue = IssueStock(issue_id="I-1", sku="SKU-2", location_id="WH-A", qty=D(7), reason="production")
    scenario = given(*SALES).when(receive, issue)
    scenario.then(
        StockReceived(receipt_id="R-5", sku="SKU-2", location_id="WH-A", qty=D(3), **UNVALUED),
        StockIssued(
            issue_id="I-1", sku="SKU-2", location_id="WH-A", qty=D(7), reason="production", **UNVALUED
        ),
    )
    assert level(scenario.state, "SKU-2")[0] == Decimal(0)


def test_the_journal_rolls_a_batch_back_exactly() -> None:
    state = given(*SALES, product("SKU-3", inspected=True)).state
    state.journal.commit()
    before, mark = pickle.dumps(state), state.journal.mark()
    reference = pickle.loads(before)
    for command in HISTORY:
        apply(state, decide_pure(state, command))
    assert state != reference
    state.journal.rollback(mark)
    assert state == reference
    assert pickle.dumps(state) == before


def test_rolling_back_to_a_mark_keeps_what_came_before_it() -> None:
    state = populated()
    state.journal.commit()
    committed = pickle.loads(pickle.dumps(state))
    ship = ShipOrder(order_id="SO-1", shipment_id="SH-2", lines=(ShipLine(line_no=2, qty=D(1)),))
    receive = ReceiveStock(receipt_id="R-10", sku="SKU-1", location_id="WH-A", qty=D(1))
    apply(state, decide(state, receive))
    after_receive = pickle.loads(pickle.dumps(state))
    mark = state.journal.mark()
    with pytest.raises(InvalidTransition, match="cancelled"):
        decide(state, ship)
    apply(state, decide(state, ReceiveStock(receipt_id="R-11", sku="SKU-1", location_id="WH-A", qty=D(2))))
    state.journal.rollback(mark)
    assert state == after_receive
    state.journal.rollback()
    assert state == committed


def test_a_populated_model_survives_a_pickle_round_trip() -> None:
    state = populated()
    copy = pickle.loads(pickle.dumps(state, pickle.HIGHEST_PROTOCOL))
    assert copy == state
    assert type(copy.locations) is IdSet
    assert all(getattr(copy, name).journal is copy.journal for name in copy.tables())
    assert level(copy, "SKU-3") == (D(8), D(0), D(0), D(8))
    assert copy.orders["SO-1"] == state.orders["SO-1"]


def test_an_unpickled_model_journals_and_rolls_back_like_a_new_one() -> None:
    state = populated()
    heads: Table[str, int] = Table(state.journal)  # the writer keeps its stream heads on the same journal
    heads["order:SO-1"] = 4
    state.journal.commit()
    copy, copied_heads = pickle.loads(pickle.dumps((state, heads)))
    assert copied_heads.journal is copy.journal
    assert len(copy.journal) == 0
    receive = ReceiveStock(receipt_id="R-12", sku="SKU-1", location_id="WH-A", qty=D(1))
    apply(copy, decide(copy, receive))
    copied_heads["stock:SKU-1@WH-A"] = 9
    copy.journal.rollback()
    assert copy == state
    assert dict(copied_heads) == {"order:SO-1": 4}


def test_a_stock_stream_costs_well_under_a_kilobyte() -> None:
    streams, state = 20_000, WriteModel()
    events = [
        StockReceived(
            receipt_id=f"R-{n}", sku=f"SKU-{n // 100:05d}", location_id=f"LOC-{n % 100:03d}", qty=D(n + 1)
        )
        for n in range(streams)
    ]
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        for event in events:
            evolve(state, event)
        state.journal.commit()
        used = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert len(state.stock) == streams
    # Includes each receipt id kept for uniqueness; a million streams must fit in about 1 GiB.
    assert used / streams < 600


def marketing_state() -> WriteModel:
    state = WriteModel()
    for name, body in MARKETING_HISTORY:
        for event in decide(state, parse_command(name, body)):
            evolve(state, event)
    state.journal.commit()
    return state


def test_a_snapshot_keeps_campaigns_spends_leads_follow_ups_owners_and_objectives() -> None:
    state = marketing_state()
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
