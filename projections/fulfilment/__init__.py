"""The fulfilment read model: orders against the delivery promised to the customer.

``tables`` copies the order stream's facts one row each (the placement with its promise,
lines, shipments, cancellations, deliveries); ``queries`` judges each order from its rows
and sums the judgements per key.
"""

from __future__ import annotations

from projections.fulfilment.queries import DIMENSIONS, Figures, fulfilment, otif_pct_of
from projections.fulfilment.tables import Fulfilment

PROJECTION = Fulfilment()

__all__ = ["DIMENSIONS", "PROJECTION", "Figures", "Fulfilment", "fulfilment", "otif_pct_of"]
