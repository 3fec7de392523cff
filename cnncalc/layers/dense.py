"""Fully connected layers and flatten: where a feature map becomes a vector."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cnncalc.layers.base import KEEPS_INPUT, Facts, Layer, Shape, global_rf, numel, register, show_shape

if TYPE_CHECKING:
    from cnncalc.spec.options import Options


@register("flatten")
@dataclass(frozen=True, kw_only=True)
class Flatten(Layer):
    """C×H×W → C·H·W. A view of the same memory, so it adds no activations."""

    def describe(self) -> str:
        return "to a vector"

    def infer(self, shape: Shape) -> Facts:
        return Facts(output=(numel(shape),), new_tensor=False, note="view: no new tensor", rf=global_rf(shape))


@register("fc", "linear", "dense", "fully_connected")
@dataclass(frozen=True, kw_only=True)
class Linear(Layer):
    """Fully connected layer (PyTorch Linear, Caffe InnerProduct).

    On a C×H×W input it connects to the whole volume, as Caffe's InnerProduct and the slides' VGG table do
    ("FC: 7*7*512*4096"); the row says it flattened. weights N_in·N_out, biases N_out; MACs N_in·N_out;
    FLOPs = 2·MACs + N_out bias adds.
    """

    KIND = "fc"
    units: int
    bias: bool = True
    in_features: int | None = None  # PyTorch's nn.Linear(in_features, ...): when given, checked against the input

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        in_features = opts.count("in_features") if opts.has("in_features") else None
        return {"units": opts.count("units"), "bias": opts.flag("bias", True), "in_features": in_features}

    def describe(self) -> str:
        return "" if self.bias else "no bias"

    def infer(self, shape: Shape) -> Facts:
        n_in = numel(shape)
        if self.in_features is not None and self.in_features != n_in:
            # Where a missing flatten (or pooling) matters: the layer was written for a different input
            what = f"the {show_shape(shape)} = {n_in:,} values" if len(shape) == 3 else f"the {n_in:,} features"
            hint = "; a feature map is flattened whole: is a pooling layer missing before it?" \
                if len(shape) == 3 and self.in_features == shape[0] else ""
            raise self.fail(f"in_features is {self.in_features:,}, but {what} reach this layer{hint}")
        source = "*".join(str(d) for d in (shape[1], shape[2], shape[0])) if len(shape) == 3 else str(n_in)
        formula = f"{source}*{self.units}" + (f" + {self.units}" if self.bias else "")
        note = f"flattens {show_shape(shape)}" if len(shape) == 3 and shape[1:] != (1, 1) else ""
        macs = n_in * self.units
        return Facts(output=(self.units,), weights=macs, biases=self.units if self.bias else 0, macs=macs,
                     flops=2 * macs + (self.units if self.bias else 0), params_formula=formula, note=note,
                     rf=global_rf(shape), saves=KEEPS_INPUT)
