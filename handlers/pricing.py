"""Money of order lines: exact Decimal arithmetic, rounded half-up to cents only at the end.

A line's amount is ``qty * unit_price * (1 - discount_pct / 100)`` rounded half-up to 2 places.
Shipments and returns of part of a line are priced cumulatively: the part that brings a
line's running quantity from ``before`` to ``after`` costs ``amount(after) - amount(before)``.
So the shipments of a fully shipped line add up exactly to its placed amount, returns of all
that was shipped refund exactly what was charged, and no part is ever negative.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, Inexact, Rounded
from typing import Final

from schemas.types import MAX_DIGITS

# Wide enough that products of 24-digit quantities and prices are exact; Inexact and Rounded
# trap so that a lost digit is an error, never a silently wrong amount.
_EXACT: Final = Context(prec=120, rounding=ROUND_HALF_UP, traps=[Inexact, Rounded])
_TO_CENTS: Final = Context(prec=120, rounding=ROUND_HALF_UP)
_CENT: Final = Decimal("0.01")
_HUNDRED: Final = Decimal(100)


def net_price(unit_price: Decimal, discount_pct: Decimal) -> Decimal:
    """The unit price after the line's discount, unrounded."""
    return _EXACT.divide(_EXACT.multiply(unit_price, _EXACT.subtract(_HUNDRED, discount_pct)), _HUNDRED)


def amount(qty: Decimal, net: Decimal) -> Decimal:
    """What ``qty`` units cost at ``net``, half-up to cents."""
    return _EXACT.multiply(qty, net).quantize(_CENT, context=_TO_CENTS)


def part_amount(before: Decimal, qty: Decimal, net: Decimal) -> Decimal:
    """What ``qty`` more units of a line cost once ``before`` of it were counted (see module doc)."""
    return _EXACT.subtract(amount(_EXACT.add(before, qty), net), amount(before, net))


def total(amounts: list[Decimal]) -> Decimal:
    result = Decimal("0.00")
    for value in amounts:
        result = _EXACT.add(result, value)
    return result


def fits(value: Decimal) -> bool:
    """Whether an amount fits the events' money fields (at most MAX_DIGITS digits)."""
    return len(value.as_tuple().digits) <= MAX_DIGITS
