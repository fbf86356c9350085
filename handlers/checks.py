"""Checks the deciders of every area share: references that must exist, ids that must be new.

Each raises the DomainError a caller can act on, naming the offending id, and never changes
the state.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from decimal import Decimal

from handlers import pricing
from handlers.errors import (
    AlreadyExists,
    InvalidIdentifier,
    InvalidQuantity,
    UnknownCustomer,
    UnknownLocation,
    UnknownOrder,
    UnknownProduct,
    UnknownSupplier,
    UnknownTeam,
)
from handlers.model import Order, Product, WriteModel

MAX_ID_LENGTH = 64


def require_new(ids: Container[object], key: object, what: str, shown: str) -> None:
    """Refuse a document or entity id that was used before."""
    if key in ids:
        raise AlreadyExists(f"{what} {shown} already exists", id=shown)


def require_product(state: WriteModel, sku: str) -> Product:
    product = state.products.get(sku)
    if product is None:
        raise UnknownProduct(f"no product with sku {sku}; register it first", sku=sku)
    return product


def require_location(state: WriteModel, location_id: str) -> None:
    if location_id not in state.locations:
        raise UnknownLocation(f"no location {location_id}; register it first", location_id=location_id)


def require_supplier(state: WriteModel, supplier_id: str | None) -> None:
    if supplier_id is not None and supplier_id not in state.suppliers:
        raise UnknownSupplier(f"no supplier {supplier_id}; register it first", supplier_id=supplier_id)


def require_customer(state: WriteModel, customer_id: str) -> None:
    if customer_id not in state.customers:
        raise UnknownCustomer(f"no customer {customer_id}; register it first", customer_id=customer_id)


def require_team(state: WriteModel, team_id: str) -> None:
    if team_id not in state.teams:
        raise UnknownTeam(f"no team {team_id}; register it first", team_id=team_id)


def require_order(state: WriteModel, order_id: str) -> Order:
    order = state.orders.get(order_id)
    if order is None:
        raise UnknownOrder(f"no order {order_id}", order_id=order_id)
    return order


def require_derived_ids(field: str, base: str, line_nos: Iterable[int]) -> None:
    """Ids made as ``{base}-{line_no}`` must still be ids (at most 64 characters)."""
    longest = max(len(f"{base}-{line_no}") for line_no in line_nos)
    if longest > MAX_ID_LENGTH:
        raise InvalidIdentifier(
            f"{field} {base} is too long: its stock documents are named {field}-<line_no> and must "
            f"fit {MAX_ID_LENGTH} characters; use at most {len(base) - longest + MAX_ID_LENGTH}",
            field=field,
        )


def listed(line_nos: Sequence[int]) -> str:
    """``line 2`` or ``lines 2, 5``."""
    return ("line " if len(line_nos) == 1 else "lines ") + ", ".join(str(n) for n in line_nos)


def require_known_skus(state: WriteModel, lines: Sequence[tuple[int, str]]) -> None:
    """Every (line_no, sku) of a document names a registered product."""
    unknown = [line_no for line_no, sku in lines if sku not in state.products]
    if unknown:
        skus = sorted({sku for _, sku in lines if sku not in state.products})
        raise UnknownProduct(
            f"unknown products on {listed(unknown)}: {', '.join(skus)}", lines=unknown, skus=skus
        )


def require_fitting_amounts(amounts: Mapping[int, Decimal], document: str) -> Decimal:
    """The total of a document's line amounts, refusing any amount too large to record."""
    too_large = [line_no for line_no, value in amounts.items() if not pricing.fits(value)]
    if too_large:
        raise InvalidQuantity(f"amount too large on {listed(too_large)}", lines=too_large)
    total = pricing.total(list(amounts.values()))
    if not pricing.fits(total):
        raise InvalidQuantity(f"the {document}'s total is too large", lines=list(amounts))
    return total
