"""Exact decimal arithmetic and the one rounding rule used everywhere in ``scoring``.

Inputs arrive as floats. Each is read as the shortest decimal that prints as that float
(``Decimal(repr(x))``, so ``0.1`` is exactly one tenth) and all arithmetic is done in
``Decimal``: sums do not depend on the order of their terms, and a supervisor who redoes a line
of the explanation by hand gets the same digits.

Rounding: every value that is shown or returned is rounded **half up** (0.005 → 0.01) to
two decimals; rates (0..1) are rounded half up to four decimals, i.e. percentages to two.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
RATE_STEP = Decimal("0.0001")


def dec(value: float | int | Decimal) -> Decimal:
    """Return ``value`` as the ``Decimal`` of its shortest printed form."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    return Decimal(repr(value))


def round2(value: float | int | Decimal) -> Decimal:
    """Round half up to two decimals (points, indexes, scores)."""
    return dec(value).quantize(CENT, rounding=ROUND_HALF_UP)


def round_rate(value: Decimal) -> Decimal:
    """Round a share (0..1) half up to four decimals."""
    return value.quantize(RATE_STEP, rounding=ROUND_HALF_UP)


def floor_int(value: Decimal) -> int:
    """Round down to a whole number."""
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def total(values: Iterable[Decimal]) -> Decimal:
    """Sum exactly (the start value keeps ``sum`` typed as ``Decimal``)."""
    return sum(values, Decimal(0))


def mean(values: Iterable[Decimal]) -> Decimal:
    """Return the mean of a non-empty collection."""
    items = list(values)
    return total(items) / len(items)


def fmt(value: Decimal) -> str:
    """Format points with exactly two decimals: ``82.35``, ``9.00``."""
    return f"{round2(value):.2f}"


def fmt_pct(share: Decimal) -> str:
    """Format a share (0..1) as a percentage without trailing zeros: ``30%``, ``12.5%``."""
    text = f"{share * 100:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def fmt_plain(value: Decimal) -> str:
    """Format a scheme number without trailing zeros: ``40``, ``2.5``."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
