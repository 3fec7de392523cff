"""Sizes: plain ints, or sympy expressions in a symbolic input size (`--input HxWx3`), and what both need.

The layer arithmetic is written once and runs on both kinds of size. Python's `//` floors an int and a sympy
expression alike; gcd and equality do not carry over, and every check that only a number can answer ("does the
window fit?") first asks `known`. This is the bottom floor of the package: it imports nothing of cnncalc, and
sympy only when a size is symbolic (cnncalc.arithmetic.symbolic_sizes), so a numeric run never loads it.
"""

from __future__ import annotations

import math
from typing import Any, TypeAlias

Size: TypeAlias = Any
"""A tensor size: an int, or (symbolic input) a sympy expression that is an integer for every input size."""


def known(*values: object) -> bool:
    """True when every value is a plain number; False when one is a formula in a symbolic size, whose checks
    are solved as congruences later (cnncalc.symbolic)."""
    return all(isinstance(v, int) for v in values)


def floor_div(n: Size, d: int) -> Size:
    """floor(n / d), exact for ints and for sympy expressions (which keep it as floor(n/d))."""
    return n // d


def ceil_div(n: Size, d: int) -> Size:
    """ceil(n / d) as −floor(−n / d): exact integer arithmetic, no float rounding."""
    return -(-n // d)


def gcd(n: Size, o: int) -> Size:
    """gcd(n, o); for a symbolic n a sympy function of it that evaluates once n is a number."""
    if known(n):
        return math.gcd(n, o)
    from cnncalc.arithmetic.symbolic_sizes import Gcd  # sympy: only for a symbolic size

    return Gcd(n, o)


def equal(a: Size, b: Size) -> bool:
    """Two sizes are the same for every input: plain equality for numbers, a proof for formulas."""
    if known(a, b):
        return a == b
    from cnncalc.arithmetic.symbolic_sizes import same_for_every_input  # sympy: only for a symbolic size

    return same_for_every_input(a, b)
