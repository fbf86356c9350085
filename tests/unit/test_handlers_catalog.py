"""Catalog deciders: master data is registered once; policies name known products and places."""

import pytest

from handlers import AlreadyExists, UnknownLocation, UnknownProduct
from schemas.base import Command, Event
from schemas.catalog import (
    CustomerRegistered,
    LocationRegistered,
    ProductRegistered,
    RegisterCustomer,
    RegisterLocation,
    RegisterProduct,
    RegisterSupplier,
    RegisterTeam,
    ReorderPolicySet,
    SetReorderPolicy,
    SupplierRegistered,
    TeamRegistered,
)
from tests.unit.handlers_support import D, given, location, product

REGISTRATIONS: list[tuple[Command, Event]] = [
    (
        RegisterProduct(sku="SKU-1", name="Drill", uom="ea", category="tools", unit_price=D("49.90")),
        ProductRegistered(
            sku="SKU-1",
            name="Drill",
            uom="ea",
            category="tools",
            unit_price=D("49.90"),
            requires_inspection=False,
        ),
    ),
    (
        RegisterLocation(location_id="WH-A", name="Main", kind="warehouse"),
        LocationRegistered(location_id="WH-A", name="Main", kind="warehouse"),
    ),
    (
        RegisterSupplier(supplier_id="SUP-1", name="Acme"),
        SupplierRegistered(supplier_id="SUP-1", name="Acme"),
    ),
    (
        RegisterCustomer(customer_id="CUS-1", name="Bob", segment="retail"),
        CustomerRegistered(customer_id="CUS-1", name="Bob", segment="retail"),
    ),
    (
        RegisterTeam(team_id="north", name="North", channel="online"),
        TeamRegistered(team_id="north", name="North", channel="online"),
    ),
]
IDS = ["product", "location", "supplier", "customer", "team"]


@pytest.mark.parametrize(("command", "event"), REGISTRATIONS, ids=IDS)
def test_registering_a_new_id_records_it(command: Command, event: Event) -> None:
    given().when(command).then(event)


@pytest.mark.parametrize(("command", "event"), REGISTRATIONS, ids=IDS)
def test_registering_an_id_twice_is_refused(command: Command, event: Event) -> None:
    given(event).when(command).raises(AlreadyExists)


def test_registering_twice_in_one_batch_refuses_the_second() -> None:
    register = RegisterLocation(location_id="WH-B", name="Second", kind="store")
    given().when(register, register).raises(AlreadyExists, id="WH-B")


def test_a_product_requiring_inspection_says_so() -> None:
    command = RegisterProduct(sku="SKU-9", name="Valve", uom="ea", category="parts", requires_inspection=True)
    given().when(command).then(
        ProductRegistered(sku="SKU-9", name="Valve", uom="ea", category="parts", requires_inspection=True)
    )


def test_reorder_policy_for_a_known_product_everywhere() -> None:
    command = SetReorderPolicy(sku="SKU-1", reorder_point=D(5), reorder_qty=D(20))
    given(product()).when(command).then(ReorderPolicySet(sku="SKU-1", reorder_point=D(5), reorder_qty=D(20)))


def test_reorder_policy_for_a_known_product_at_a_known_location() -> None:
    command = SetReorderPolicy(sku="SKU-1", location_id="WH-A", reorder_point=D(5), reorder_qty=D(20))
    given(product(), location()).when(command).then(
        ReorderPolicySet(sku="SKU-1", location_id="WH-A", reorder_point=D(5), reorder_qty=D(20))
    )


def test_reorder_policy_for_an_unknown_product_is_refused() -> None:
    command = SetReorderPolicy(sku="SKU-X", reorder_point=D(5), reorder_qty=D(20))
    given(location()).when(command).raises(UnknownProduct, sku="SKU-X")


def test_reorder_policy_at_an_unknown_location_is_refused() -> None:
    command = SetReorderPolicy(sku="SKU-1", location_id="WH-X", reorder_point=D(5), reorder_qty=D(20))
    given(product()).when(command).raises(UnknownLocation, location_id="WH-X")
