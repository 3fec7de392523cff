"""Symbolic sizes as text: as a person writes them (`human`: floor((H − 11)/4) + 1) and as Python that computes
them exactly (`python`: ((H - 11)//4) + 1). A module of its own, needing only sympy, so that a layer can print a
symbolic shape without importing the symbolic analysis above it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sympy as sp
from sympy.printing.str import StrPrinter


class HumanPrinter(StrPrinter):
    """floor((H − 11)/4) + 1, as a person writes it."""

    def _print_floor(self, expr: sp.floor) -> str:
        num, den = sp.fraction(sp.together(expr.args[0]))
        top = self._print(num) if num.is_Atom else f"({self._print(num)})"
        return f"floor({top}/{self._print(den)})" if den != 1 else self._print(num)


class PythonPrinter(StrPrinter):
    """((H - 11)//4) + 1: exact integer arithmetic that can be pasted into Python (gcd is math.gcd)."""

    def _print_Gcd(self, expr: Any) -> str:
        return f"gcd({self._print(expr.args[0])}, {self._print(expr.args[1])})"

    def _print_floor(self, expr: sp.floor) -> str:
        num, den = sp.fraction(sp.together(expr.args[0]))
        top = self._print(num) if num.is_Atom else f"({self._print(num)})"
        return f"({top}//{self._print(den)})" if den != 1 else f"({self._print(num)})"


@lru_cache(maxsize=65536)
def human(expr: Any) -> str:
    if not isinstance(expr, sp.Basic):
        return f"{expr:,}" if isinstance(expr, int) else str(expr)
    return HumanPrinter().doprint(expr).replace("**", "^").replace("*", "·").replace(" - ", " − ")


@lru_cache(maxsize=65536)
def python(expr: Any) -> str:
    return PythonPrinter().doprint(expr) if isinstance(expr, sp.Basic) else str(expr)
