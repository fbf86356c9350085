"""The purchasing read model: purchase orders as they stood at a time, and supplier scorecards.

The tables (``tables``) copy facts one row each, from the purchasing area (orders, receipts
against their lines, cancellations) and from what the scorecard needs of inventory (the
supplier of every received lot) and quality (incoming inspections). Every join across
streams, and every judgement at a point in time, happens in the queries (``orders``,
``scorecard``), so any order of arrival gives the same rows and one set of rows answers any
``as_of``.
"""

from __future__ import annotations

from projections.purchasing.orders import STATUSES, OrderFilters, purchase_orders
from projections.purchasing.scorecard import Window, otif_pct_of, scorecard
from projections.purchasing.tables import Purchasing

PROJECTION = Purchasing()

__all__ = [
    "PROJECTION",
    "STATUSES",
    "OrderFilters",
    "Purchasing",
    "Window",
    "otif_pct_of",
    "purchase_orders",
    "scorecard",
]
