"""Frozen result types: numbers only (exact ints); formatting belongs to the views and writers."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from cnncalc.dtypes import DTYPE_BYTES
from cnncalc.layers.base import Saved, Shape
from cnncalc.receptive import ReceptiveField


@dataclass(frozen=True)
class LayerResult:
    name: str
    kind: str
    description: str
    input: Shape
    output: Shape
    weights: int
    biases: int
    buffers: int
    activations: int
    macs: int
    flops: int
    new_tensor: bool
    params_formula: str
    note: str = ""
    line: int | None = None
    paper: tuple[tuple[str, str], ...] = ()
    expect: tuple[tuple[str, str], ...] = ()  # `expect:` of the spec, as written
    receptive_field: ReceptiveField | None = None
    saves: tuple[Saved, ...] = ()  # what autograd keeps for backward (Facts.saves)
    tensor_in: tuple[int, ...] = ()  # ids of the input tensors (the same id: the same memory)
    tensor_out: int = 0

    @property
    def params(self) -> int:
        return self.weights + self.biases


@dataclass(frozen=True)
class ModuleResult:
    """A container (block instance, repeat, branches) by its dotted path; its rows are those under the path."""

    name: str
    kind: str
    description: str
    input: Shape
    output: Shape
    first_row: int
    end_row: int
    paper: tuple[tuple[str, str], ...] = ()
    expect: tuple[tuple[str, str], ...] = ()  # `expect:` of the spec, as written


@dataclass(frozen=True)
class TilingWarning:
    """A floor-mode window that leaves input unread: the slides' "doesn't fit"."""

    layer: str
    axis: str
    formula: str
    exact: Fraction
    floor: int
    leftover: int
    suggested_input: int | None

    def message(self, with_hint: bool = True) -> str:
        rows = {"height": "row", "width": "column"}.get(self.axis, "row and column")
        plural = "s" if self.leftover != 1 else ""
        text = (f"{self.layer}: {self.axis} {self.formula} does not tile: PyTorch floors it to {self.floor}, "
                f"leaving the last {self.leftover} {rows}{plural} of its input unread")
        if with_hint and self.suggested_input:
            text += f"; a network input {self.axis} of {self.suggested_input} would tile every layer exactly"
        return text


@dataclass(frozen=True)
class Totals:
    params: int
    weights: int
    biases: int
    buffers: int
    activations: int
    macs: int
    flops: int
    forward_bytes: int
    forward_backward_bytes: int
    params_bytes: int


@dataclass(frozen=True)
class Report:
    model: str
    input: Shape
    layers: tuple[LayerResult, ...]
    totals: Totals
    dtype: str
    batch: int
    count_biases: bool
    warnings: tuple[TilingWarning, ...]
    file: str | None = None
    modules: tuple[ModuleResult, ...] = ()
    paper: tuple[tuple[str, str], ...] = ()
    variant: str = ""  # the spec's named variant analysed ("": the spec as written)
    expect: tuple[tuple[str, str], ...] = ()  # `expect:` of the spec, as written
    misaligned: tuple[str, ...] = ()  # joins whose paths' receptive fields are not aligned

    @property
    def bytes_per_value(self) -> int:
        return DTYPE_BYTES[self.dtype]

    @property
    def softmax_outputs(self) -> int:
        """Values of the soft-max rows, counted in totals.activations: the slides' tables leave them out."""
        return sum(r.activations for r in self.layers if r.kind == "softmax")
