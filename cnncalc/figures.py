"""Numbers as people write them — '2.7K', '34M', '138M', '34,944', '1.8e9' — with the precision they imply.

A written figure stands for every exact value that rounds to it at its own precision: '35K' is right for
34,944 and '34K' is not. K, M, G, T are powers of 1000, as in the papers' tables.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

_UNITS = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "B": 10**9, "T": 10**12}
_FIGURE = re.compile(r"\s*([0-9][0-9,]*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)\s*([KMGBT]?)\s*", re.IGNORECASE)


def parse_figure(text: object) -> tuple[Fraction, Fraction]:
    """(value, precision): '2.7K' → (2700, 100); 34944 → (34944, 1)."""
    if isinstance(text, bool):
        raise ValueError(f"not a number: {text!r}")
    if isinstance(text, int):
        return Fraction(text), Fraction(1)
    m = _FIGURE.fullmatch(str(text))
    if not m:
        raise ValueError(f"cannot read {text!r} as a number (examples: 2.7K, 34M, 34,944)")
    try:
        digits = Decimal(m[1].replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"cannot read {text!r} as a number") from None
    unit = _UNITS[m[2].upper()]
    exponent = digits.as_tuple().exponent
    assert isinstance(exponent, int)
    return Fraction(digits) * unit, Fraction(10) ** exponent * unit


def agrees(exact: int | Fraction, figure: object) -> bool:
    """True when `exact` rounds to `figure` at the figure's own precision (half a unit either way)."""
    value, step = parse_figure(figure)
    return abs(Fraction(exact) - value) <= step / 2
