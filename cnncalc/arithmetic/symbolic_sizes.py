"""Sizes as sympy expressions: the input's symbols, gcd of a symbol, and every size folded into one floor.

Imported only when a spec or an option has a symbol in it (by cnncalc.arithmetic.sizes, the symbolic input
readers and cnncalc.symbolic): importing it imports sympy.

Exactness: floor((floor(x/a) + c)/b) = floor((x + a·c)/(a·b)) for integer x and c and positive integers a, b,
so every size of a chain of windows is floor((X + c)/J) + d in the input size X (Affine); `fold` writes each
size that way, which keeps the formulas short and makes two sizes comparable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sympy as sp


def symbol(name: str) -> sp.Symbol:
    """An input size written as a name (H, W): a positive integer."""
    return sp.Symbol(name, integer=True, positive=True)


def is_symbolic(value: Any) -> bool:
    """True for an expression with a symbol in it (not for a number, nor for a sympy integer)."""
    return isinstance(value, sp.Basic) and bool(value.free_symbols)


class Gcd(sp.Function):
    """gcd(n, o) of a symbolic size and a number (adaptive pooling's FLOPs); evaluates once n is a number."""

    is_integer = True

    @classmethod
    def eval(cls, n: Any, o: Any) -> Any:
        if n.is_Integer and o.is_Integer:
            return sp.Integer(math.gcd(int(n), int(o)))
        return None


@dataclass(frozen=True)
class Affine:
    """size = floor((sign·X + c)/J) + d, the form every size of a chain of windows takes."""

    symbol: sp.Symbol
    sign: int
    c: int
    j: int
    d: int

    def expr(self) -> Any:
        inner = self.sign * self.symbol + self.c
        return (inner if self.j == 1 else sp.floor(inner / self.j)) + self.d


@lru_cache(maxsize=65536)
def canon(e: Any) -> Affine | None:
    """The Affine form of an expression built from one symbol, integers, +, −, and floor(·/integer); None if
    it is not of that kind. Uses floor((floor(y/a) + c)/b) = floor((y + a·c)/(a·b)) and, for negation,
    −floor(y/a) = floor((−y + a − 1)/a), both exact for integers y and c."""
    if isinstance(e, sp.Symbol):
        return Affine(e, 1, 0, 1, 0)
    if isinstance(e, sp.Add):
        const = sum((t for t in e.args if t.is_Integer), sp.Integer(0))
        rest = [t for t in e.args if not t.is_Integer]
        if len(rest) != 1:
            return None
        a = canon(rest[0])
        return None if a is None else Affine(a.symbol, a.sign, a.c, a.j, a.d + int(const))
    if isinstance(e, sp.Mul) and len(e.args) == 2 and e.args[0] == -1:
        a = canon(e.args[1])
        if a is None:
            return None
        return Affine(a.symbol, -a.sign, -a.c + a.j - 1, a.j, -a.d)
    if isinstance(e, (sp.floor, sp.ceiling)):
        num, den = sp.fraction(sp.together(e.args[0]))
        if not (den.is_Integer and den > 0):
            return None
        den = int(den)
        if isinstance(e, sp.ceiling):
            num = num + den - 1  # ceiling(y/s) = floor((y + s − 1)/s)
        a = canon(sp.expand(num))
        if a is None:
            return None
        return Affine(a.symbol, a.sign, a.c + a.j * a.d, a.j * den, 0)
    return None


@lru_cache(maxsize=65536)
def fold(expr: Any) -> Any:
    """Each size as one floor: canon() on the whole expression, or on every floor in a product of sizes."""
    if not isinstance(expr, sp.Basic) or not expr.free_symbols:
        return expr
    whole = canon(expr)
    if whole is not None:
        return whole.expr()

    def one(f: Any) -> Any:
        a = canon(f)
        return f if a is None else a.expr()

    return expr.replace(lambda e: isinstance(e, (sp.floor, sp.ceiling)), one)


def fold_shape(shape: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(fold(d) for d in shape)


def same_for_every_input(a: Any, b: Any) -> bool:
    """Two sizes are the same for every input: equal once folded, or a difference that simplifies to zero."""
    a, b = fold(a), fold(b)
    return bool(a == b) or sp.simplify(a - b) == 0
