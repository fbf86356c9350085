"""Catalog: registering master data once, and reorder policies for known products.

The write side remembers only what later rules ask: which ids exist, and whether a product's
receipts wait for inspection. Names, prices and policies live in the events and read models.
"""

from __future__ import annotations

from collections.abc import Mapping

from handlers.checks import require_location, require_new, require_product
from handlers.model import Decider, Evolver, Product, WriteModel
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

# One value per flag: every product shares it.
_PRODUCTS = {flag: Product(requires_inspection=flag) for flag in (False, True)}


def register_product(state: WriteModel, command: RegisterProduct) -> list[Event]:
    require_new(state.products, command.sku, "product", command.sku)
    return [
        ProductRegistered(
            sku=command.sku,
            name=command.name,
            uom=command.uom,
            category=command.category,
            unit_price=command.unit_price,
            reorder_point=command.reorder_point,
            reorder_qty=command.reorder_qty,
            requires_inspection=command.requires_inspection,
        )
    ]


def set_reorder_policy(state: WriteModel, command: SetReorderPolicy) -> list[Event]:
    require_product(state, command.sku)
    if command.location_id is not None:
        require_location(state, command.location_id)
    return [
        ReorderPolicySet(
            sku=command.sku,
            location_id=command.location_id,
            reorder_point=command.reorder_point,
            reorder_qty=command.reorder_qty,
        )
    ]


def register_location(state: WriteModel, command: RegisterLocation) -> list[Event]:
    require_new(state.locations, command.location_id, "location", command.location_id)
    return [LocationRegistered(location_id=command.location_id, name=command.name, kind=command.kind)]


def register_supplier(state: WriteModel, command: RegisterSupplier) -> list[Event]:
    require_new(state.suppliers, command.supplier_id, "supplier", command.supplier_id)
    return [SupplierRegistered(supplier_id=command.supplier_id, name=command.name)]


def register_customer(state: WriteModel, command: RegisterCustomer) -> list[Event]:
    require_new(state.customers, command.customer_id, "customer", command.customer_id)
    return [CustomerRegistered(customer_id=command.customer_id, name=command.name, segment=command.segment)]


def register_team(state: WriteModel, command: RegisterTeam) -> list[Event]:
    require_new(state.teams, command.team_id, "team", command.team_id)
    return [TeamRegistered(team_id=command.team_id, name=command.name, channel=command.channel)]


def product_registered(state: WriteModel, event: ProductRegistered) -> None:
    state.products[event.sku] = _PRODUCTS[event.requires_inspection]


def reorder_policy_set(state: WriteModel, event: ReorderPolicySet) -> None:
    """No later rule depends on a policy."""


def location_registered(state: WriteModel, event: LocationRegistered) -> None:
    state.locations.add(event.location_id)


def supplier_registered(state: WriteModel, event: SupplierRegistered) -> None:
    state.suppliers.add(event.supplier_id)


def customer_registered(state: WriteModel, event: CustomerRegistered) -> None:
    state.customers.add(event.customer_id)


def team_registered(state: WriteModel, event: TeamRegistered) -> None:
    state.teams.add(event.team_id)


DECIDERS: Mapping[type[Command], Decider] = {
    RegisterProduct: register_product,
    SetReorderPolicy: set_reorder_policy,
    RegisterLocation: register_location,
    RegisterSupplier: register_supplier,
    RegisterCustomer: register_customer,
    RegisterTeam: register_team,
}
EVOLVERS: Mapping[type[Event], Evolver] = {
    ProductRegistered: product_registered,
    ReorderPolicySet: reorder_policy_set,
    LocationRegistered: location_registered,
    SupplierRegistered: supplier_registered,
    CustomerRegistered: customer_registered,
    TeamRegistered: team_registered,
}
