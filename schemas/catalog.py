"""Catalog: the master data other areas refer to (products, locations, suppliers, customers, teams).

Every catalog event lives on a stream of its own kind (`product:`, `location:`, ...), all of
them in the `catalog` topic. Registering twice is a business rule (409), not a schema rule.
Names and product categories are free text; units of measure, segments and a team's channel
are short codes that other queries key by.
"""

from typing import ClassVar, Literal

from pydantic import StrictBool

from schemas.base import Command, Event
from schemas.types import (
    Code,
    FreeText,
    Identifier,
    NonNegativeMoney,
    NonNegativeQty,
    PositiveQty,
    StoredText,
)

LocationKind = Literal["warehouse", "store"]


class RegisterProduct(Command):
    command_name: ClassVar[str] = "register-product"
    area: ClassVar[str] = "catalog"

    sku: Identifier
    name: FreeText
    uom: Code
    category: FreeText
    unit_price: NonNegativeMoney | None = None
    reorder_point: NonNegativeQty | None = None
    reorder_qty: PositiveQty | None = None
    requires_inspection: StrictBool = False


class SetReorderPolicy(Command):
    """Reorder point and quantity for a product, at one location or (without one) everywhere."""

    command_name: ClassVar[str] = "set-reorder-policy"
    area: ClassVar[str] = "catalog"

    sku: Identifier
    location_id: Identifier | None = None
    reorder_point: NonNegativeQty
    reorder_qty: PositiveQty


class RegisterLocation(Command):
    command_name: ClassVar[str] = "register-location"
    area: ClassVar[str] = "catalog"

    location_id: Identifier
    name: FreeText
    kind: LocationKind


class RegisterSupplier(Command):
    command_name: ClassVar[str] = "register-supplier"
    area: ClassVar[str] = "catalog"

    supplier_id: Identifier
    name: FreeText


class RegisterCustomer(Command):
    command_name: ClassVar[str] = "register-customer"
    area: ClassVar[str] = "catalog"

    customer_id: Identifier
    name: FreeText
    segment: Code | None = None


class RegisterTeam(Command):
    command_name: ClassVar[str] = "register-team"
    area: ClassVar[str] = "catalog"

    team_id: Identifier
    name: FreeText
    channel: Code | None = None


class ProductRegistered(Event):
    type: Literal["ProductRegistered"] = "ProductRegistered"

    sku: Identifier
    name: StoredText
    uom: Code
    category: StoredText
    unit_price: NonNegativeMoney | None = None
    reorder_point: NonNegativeQty | None = None
    reorder_qty: PositiveQty | None = None
    requires_inspection: bool

    def stream(self) -> str:
        return f"product:{self.sku}"


class ReorderPolicySet(Event):
    type: Literal["ReorderPolicySet"] = "ReorderPolicySet"

    sku: Identifier
    location_id: Identifier | None = None
    reorder_point: NonNegativeQty
    reorder_qty: PositiveQty

    def stream(self) -> str:
        return f"product:{self.sku}"


class LocationRegistered(Event):
    type: Literal["LocationRegistered"] = "LocationRegistered"

    location_id: Identifier
    name: StoredText
    kind: LocationKind

    def stream(self) -> str:
        return f"location:{self.location_id}"


class SupplierRegistered(Event):
    type: Literal["SupplierRegistered"] = "SupplierRegistered"

    supplier_id: Identifier
    name: StoredText

    def stream(self) -> str:
        return f"supplier:{self.supplier_id}"


class CustomerRegistered(Event):
    type: Literal["CustomerRegistered"] = "CustomerRegistered"

    customer_id: Identifier
    name: StoredText
    segment: Code | None = None

    def stream(self) -> str:
        return f"customer:{self.customer_id}"


class TeamRegistered(Event):
    type: Literal["TeamRegistered"] = "TeamRegistered"

    team_id: Identifier
    name: StoredText
    channel: Code | None = None

    def stream(self) -> str:
        return f"team:{self.team_id}"


COMMANDS: tuple[type[Command], ...] = (
    RegisterProduct,
    SetReorderPolicy,
    RegisterLocation,
    RegisterSupplier,
    RegisterCustomer,
    RegisterTeam,
)
EVENTS: tuple[type[Event], ...] = (
    ProductRegistered,
    ReorderPolicySet,
    LocationRegistered,
    SupplierRegistered,
    CustomerRegistered,
    TeamRegistered,
)
