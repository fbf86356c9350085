"""The read side: one module per read model, with its tables, its batched SQL and its queries."""

from __future__ import annotations

from ledger.store import Projection
from projections import (
    audit,
    customers,
    fulfilment,
    inventory,
    marketing,
    purchasing,
    quality,
    sales,
    service,
)

ALL: tuple[Projection, ...] = (
    inventory.PROJECTION,
    sales.PROJECTION,
    quality.PROJECTION,
    service.PROJECTION,
    purchasing.PROJECTION,
    # Projections are dealt to projector processes in turn: with two processes fulfilment
    # lands beside sales, whose order events it reads too, so one process decodes them for both;
    # customers, which reads orders and complaints, joins them there beside service.
    fulfilment.PROJECTION,
    audit.PROJECTION,
    # Marketing and customers read order events too: dealt to two processes, marketing lands
    # beside sales and customers beside inventory, so neither process decodes every order twice.
    marketing.PROJECTION,
    customers.PROJECTION,
)
"""Every read model that ``ledger serve`` runs."""
