"""Domain errors: a business rule refused a command. Each carries a stable ``code``.

The HTTP layer maps every one to a 409 problem whose ``type`` ends in the code; the code is
part of the public contract, the message is for people.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A command that the rules of the business refuse."""

    code = "rule-violated"
    title = "Business rule violated"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class AlreadyExists(DomainError):
    code = "already-exists"
    title = "Already exists"


class UnknownProduct(DomainError):
    code = "unknown-product"
    title = "Unknown product"


class UnknownLocation(DomainError):
    code = "unknown-location"
    title = "Unknown location"


class UnknownCustomer(DomainError):
    code = "unknown-customer"
    title = "Unknown customer"


class UnknownSupplier(DomainError):
    code = "unknown-supplier"
    title = "Unknown supplier"


class UnknownTeam(DomainError):
    code = "unknown-team"
    title = "Unknown team"


class UnknownOrder(DomainError):
    code = "unknown-order"
    title = "Unknown order"


class UnknownLot(DomainError):
    code = "unknown-lot"
    title = "Unknown lot"


class UnknownComplaint(DomainError):
    code = "unknown-complaint"
    title = "Unknown complaint"


class InsufficientStock(DomainError):
    code = "insufficient-stock"
    title = "Insufficient stock"


class InvalidTransition(DomainError):
    code = "invalid-transition"
    title = "Invalid state transition"


class InvalidQuantity(DomainError):
    code = "invalid-quantity"
    title = "Invalid quantity"


class UnknownLine(DomainError):
    code = "unknown-line"
    title = "Unknown order line"


class LotMismatch(DomainError):
    code = "lot-mismatch"
    title = "Lot belongs to another product or location"


class InvalidIdentifier(DomainError):
    code = "invalid-identifier"
    title = "Invalid identifier"


class UnknownPurchaseOrder(DomainError):
    code = "unknown-purchase-order"
    title = "Unknown purchase order"


class UnknownPOLine(DomainError):
    code = "unknown-po-line"
    title = "Unknown purchase order line"


class POLineMismatch(DomainError):
    """A receipt against a PO line names another sku, location or supplier than the PO's."""

    code = "po-line-mismatch"
    title = "Not what the purchase order line says"


class OverReceipt(DomainError):
    code = "over-receipt"
    title = "More received than is open on the line"


class UnknownShipment(DomainError):
    code = "unknown-shipment"
    title = "Unknown shipment"


class UnknownCampaign(DomainError):
    code = "unknown-campaign"
    title = "Unknown campaign"


class UnknownLead(DomainError):
    code = "unknown-lead"
    title = "Unknown lead"


class CampaignMismatch(DomainError):
    """An order names a lead of one campaign and a campaign_id of another."""

    code = "campaign-mismatch"
    title = "Not the lead's campaign"


class CustomerMismatch(DomainError):
    """An order or a follow-up names a lead, order or complaint of another customer."""

    code = "customer-mismatch"
    title = "Not that customer's"


class UnknownObjective(DomainError):
    code = "unknown-objective"
    title = "Unknown objective"
