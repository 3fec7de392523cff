"""Symbolic analysis: the whole network as formulas in the input size, and every input size that fits.

The same layer classes compute everything (their arithmetic works on sympy expressions as on ints, see
cnncalc.arithmetic.sizes); this module sits on top of them: it walks the network with every size folded into
one exact floor (cnncalc.arithmetic.symbolic_sizes), solves the tiling conditions as congruences, finds the
smallest valid input, and prints the formulas for people and for Python. Imported only when a spec or an
option has a symbol in it: it imports sympy.

Every size of a chain of windows is floor((X + c)/J) + d. When every layer before it tiles exactly the floor
is a plain division, so layer ℓ tiles exactly iff X + c + J·(d + P − K) ≡ 0 (mod J·s) — a congruence on the
input size X; all of them together are one congruence (or none), found by the Chinese remainder theorem.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import sympy as sp
from sympy.ntheory.modular import solve_congruence

from cnncalc import arithmetic
from cnncalc.analysis import Flow, Walker
from cnncalc.arithmetic.printing import human, python  # noqa: F401 (python: re-exported for the views)
from cnncalc.arithmetic.sizes import known
from cnncalc.arithmetic.symbolic_sizes import Affine, canon, fold, fold_shape, is_symbolic, symbol
from cnncalc.check import check_options
from cnncalc.errors import SpecError
from cnncalc.layers.base import size_formula
from cnncalc.limits import MAX_SYMBOLIC_ROWS
from cnncalc.receptive import ReceptiveField
from cnncalc.results import LayerResult
from cnncalc.spec.model import Spec
from cnncalc.spec.row_count import rows as count_rows
from cnncalc.spec.symbolic_input import NAME, is_plain

# --- printing: cnncalc.arithmetic.printing (human, python) --------------------------------------------------

def evaluate(text: str, values: dict[str, int]) -> int:
    """Evaluate a python() string exactly, with integers only (the identity tests and users' checks)."""
    namespace = {"__builtins__": {}, "gcd": math.gcd}
    return int(eval(_compiled(text), namespace, dict(values)))  # noqa: S307


@lru_cache(maxsize=4096)
def _compiled(text: str) -> Any:
    return compile(text, "<cnncalc expression>", "eval")


# --- affine sizes and congruences ----------------------------------------------------------------------------------

def affine(expr: Any) -> Affine | None:
    """The Affine form of a size that grows with its one symbol, or None."""
    if not isinstance(expr, sp.Basic) or len(expr.free_symbols) != 1:
        return None
    a = canon(expr)
    return a if a is not None and a.sign == 1 else None


@dataclass(frozen=True)
class Condition:
    """Layer `layer` tiles its input exactly iff X ≡ residue (mod modulus); None when not solvable here."""

    layer: str
    axis: str
    symbol: str
    text: str  # the condition as written for the layer: (n + P − K) ≡ 0 (mod s)
    residue: int | None
    modulus: int | None


@dataclass(frozen=True)
class Solution:
    symbol: str
    residue: int | None  # every layer tiles iff X ≡ residue (mod modulus); None: no size tiles them all
    modulus: int | None
    smallest_valid: int | None  # the smallest X for which every output is at least 1
    unsolved: tuple[str, ...]  # layers whose size is not of the form floor((X + c)/J) + d

    def sizes(self, near: int, count: int = 3) -> list[int]:
        """Tiling sizes around `near`, at least the smallest valid size."""
        if self.residue is None or self.modulus is None:
            return []
        low = max(self.smallest_valid or 1, 1)
        base = near - (near - self.residue) % self.modulus
        candidates = [base + k * self.modulus for k in range(-count, count + 1)]
        valid = sorted(v for v in candidates if v >= low)
        return sorted(valid, key=lambda v: (abs(v - near), v))[:count] if valid else []


def condition(layer: str, axis: str, n: Any, k_eff: int, s: int, pad_total: int) -> Condition:
    text = f"{human(sp.expand(n + pad_total - k_eff))} ≡ 0 (mod {s})"
    a = affine(n)
    if a is None:
        return Condition(layer, axis, "", text, None, None)
    modulus = a.j * s
    residue = -(a.c + a.j * (a.d + pad_total - k_eff)) % modulus
    return Condition(layer, axis, str(a.symbol), text, residue, modulus)


def solve(symbol_name: str, conditions: list[Condition], sizes: list[Any]) -> Solution:
    mine = [c for c in conditions if c.symbol == symbol_name]
    unsolved = tuple(c.layer for c in conditions if c.residue is None)
    residue, modulus = 0, 1
    if mine:
        found = solve_congruence(*[(c.residue, c.modulus) for c in mine])
        residue, modulus = (int(found[0]), int(found[1])) if found else (None, None)
    bounds = []
    for size in sizes:
        if symbol_name not in {str(x) for x in size.free_symbols}:
            continue
        a = affine(size)
        if a is None:
            unsolved += (human(size),)
            continue
        bounds.append(a.j * (1 - a.d) - a.c)  # floor((X + c)/J) + d ≥ 1 ⇔ X ≥ J(1 − d) − c
    smallest = None if any(u for u in unsolved) else max([1, *bounds])
    return Solution(symbol_name, residue, modulus, smallest, unsolved)


# --- the symbolic analysis -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SymbolicReport:
    model: str
    input: tuple[Any, ...]
    layers: tuple[LayerResult, ...]
    conditions: tuple[Condition, ...]
    solutions: tuple[Solution, ...]
    never: tuple[str, ...] = ()  # numeric axes that do not tile, whatever the symbols are: 'conv1 (width): ...'

    def first_failure(self, values: dict[str, int]) -> Condition | None:
        """The first layer whose symbolic axis does not tile when the symbols take these values (the numeric
        axes in `never` fail for every value)."""
        for c in self.conditions:
            if c.residue is not None and c.symbol in values and (values[c.symbol] - c.residue) % c.modulus:
                return c
        return None


def analyze_symbolic(spec: Spec, input_shape: tuple[Any, ...]) -> SymbolicReport:
    """Every per-layer quantity as an expression in the input's symbols (fold()ed), with the tiling conditions."""
    if len(input_shape) != 3 or not known(input_shape[0]):
        raise SpecError("a symbolic input is HxWxC with a number of channels, e.g. HxWx3", field="input")
    count = sum(count_rows(layer) for layer in spec.layers)
    if count > MAX_SYMBOLIC_ROWS:  # about a millisecond of sympy per row, and repeats cannot share their rows
        raise SpecError(f"this network has {count:,} rows; formulas are worked out for at most {MAX_SYMBOLIC_ROWS:,} "
                        "(give the input as numbers)", field="input")
    walker = Walker(spec.file, simplify=fold_shape)
    flow = Flow(tuple(input_shape), ReceptiveField(), 0)
    for layer in spec.layers:
        flow = walker.walk(layer, flow, layer.name)
    rows = tuple(_folded(r) for r in walker.results)
    conditions = []
    never = []
    for name, _line, u in walker.untiled:
        if known(u.n):  # a numeric axis (224 in Hx224x3) that does not tile: no value of the symbols helps
            never.append(f"{name} ({u.axis}): {u.formula()}")
        else:
            k_eff = u.kernel + (u.kernel - 1) * (u.dilation - 1)
            for axis in ("height", "width") if u.axis == "height and width" else (u.axis,):
                conditions.append(condition(name, axis, u.n, k_eff, u.stride, u.pad_total))
    names = sorted({str(s) for d in input_shape[1:] if is_symbolic(d) for s in d.free_symbols})
    sizes = [d for r in rows for d in r.output if is_symbolic(d)]
    solutions = tuple(solve(n, conditions, sizes) for n in names)
    return SymbolicReport(spec.name, tuple(input_shape), rows, tuple(conditions), solutions, tuple(never))


def _folded(r: LayerResult) -> LayerResult:
    return replace(r, input=tuple(fold(d) for d in r.input), output=tuple(fold(d) for d in r.output),
                   weights=fold(r.weights), biases=fold(r.biases), activations=fold(r.activations),
                   macs=fold(r.macs), flops=fold(r.flops))


# --- one layer (`cnncalc check --input N`) --------------------------------------------------------------------------

@dataclass(frozen=True)
class SymbolicCheck:
    size: tuple[Any, Any]  # the output size per axis, as expressions
    exact: tuple[Any, Any]  # (N − F + 2P)/S + 1 before rounding
    conditions: tuple[Condition, ...]
    solutions: tuple[Solution, ...]
    never: tuple[str, ...] = ()  # numeric axes that do not tile, whatever the symbols are


def check_symbolic(height: Any, width: Any, *, kernel: int, stride: int, pad: int, dilation: int = 1,
                   ceil: bool = False) -> SymbolicCheck:
    """The output size as a formula, and the inputs it fits: N ≡ r (mod s) and N ≥ the smallest valid size."""
    check_options(kernel=kernel, stride=stride, pad=pad, dilation=dilation)
    k_eff = arithmetic.effective_kernel(kernel, dilation)
    sizes: list[Any] = []
    exact: list[Any] = []
    conditions: list[Condition] = []
    never: list[str] = []
    for axis, n in (("height", height), ("width", width)):
        out = fold(arithmetic.pool_output(n, kernel, stride, pad, dilation, ceil_mode=ceil))
        sizes.append(out)
        exact.append((n + 2 * pad - k_eff) / sp.Integer(stride) + 1)
        if is_symbolic(n):
            conditions.append(condition("check", axis, n, k_eff, stride, 2 * pad))
        elif not exact[-1].is_Integer:
            never.append(f"the {axis}: {size_formula(n, kernel, stride, 2 * pad, dilation)} = {float(exact[-1]):.4g}")
    names = sorted({str(x) for n in (height, width) if is_symbolic(n) for x in n.free_symbols})
    solutions = tuple(solve(name, conditions, [d for d in sizes if is_symbolic(d)]) for name in names)
    return SymbolicCheck((sizes[0], sizes[1]), (exact[0], exact[1]), tuple(conditions), solutions, tuple(never))


def parse_check_input(text: str) -> tuple[Any, Any, int | None]:
    """`check --input`: 'N', 'HxW' or 'HxWxC' where H and W may be names; the channels stay a number."""
    parts = [p.strip() for p in re.split(r"[xX×]", text.strip())]
    if not 1 <= len(parts) <= 3 or (len(parts) == 3 and not is_plain(parts[2])):
        raise SpecError(f"cannot read {text!r}: write N, HxW or HxWxC (e.g. N, HxWx3)", field="--input")
    dims = [symbol(p) if NAME.fullmatch(p) else int(p) if is_plain(p) and int(p) > 0 else None for p in parts[:2]]
    if any(d is None for d in dims):
        raise SpecError(f"cannot read {text!r}: a size is a positive number or a name", field="--input")
    h = dims[0]
    w = dims[1] if len(dims) > 1 else h
    return h, w, int(parts[2]) if len(parts) == 3 else None
