"""Fully connected layers and flatten: where a feature map becomes a vector."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cnncalc.arithmetic.sizes import known
from cnncalc.layers.base import (
    KEEPS_INPUT,
    Facts,
    Layer,
    Saved,
    Shape,
    global_rf,
    need_map,
    numel,
    register,
    show_shape,
)

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

    `per_position: true` applies it instead to the channel vector at every position of a C×H×W map, a linear
    layer over channels (ConvNeXt's point-wise nn.Linear on a channels-last tensor): C×H×W → units×H×W,
    weights C·units, biases units, MACs H·W·C·units (FlopCounterMode's count for that Linear, /2), FLOPs
    2·MACs + H·W·units. Backward keeps the channels-last copy its input is made into (nn.Linear reshapes a
    permuted tensor: C·H·W values of its own), or the input itself where that permute is already contiguous
    (C = 1 or H·W = 1).
    """

    KIND = "fc"
    units: int
    bias: bool = True
    in_features: int | None = None  # PyTorch's nn.Linear(in_features, ...): when given, checked against the input
    per_position: bool = False  # over the channels at each position of a map, not over the whole volume

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        in_features = opts.count("in_features") if opts.has("in_features") else None
        return {"units": opts.count("units"), "bias": opts.flag("bias", True), "in_features": in_features,
                "per_position": opts.flag("per_position", False)}

    def describe(self) -> str:
        text = "linear over channels at each position" if self.per_position else ""
        return text if self.bias else f"{text}, no bias" if text else "no bias"

    def infer(self, shape: Shape) -> Facts:
        if self.per_position:
            return self._per_position(shape)
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

    def _per_position(self, shape: Shape) -> Facts:
        c, h, w = need_map(self, shape)
        if self.in_features is not None and self.in_features != c:
            raise self.fail(f"in_features is {self.in_features:,}, but {c:,} channels reach this linear layer "
                            "over channels")
        positions = h * w
        macs = positions * c * self.units
        biases = self.units if self.bias else 0
        formula = f"{c}*{self.units}" + (f" + {self.units}" if self.bias else "")
        view = c == 1 or (known(positions) and positions == 1)  # the permute is contiguous: no copy to keep
        saves = KEEPS_INPUT if view else (Saved("channels-last copy of the input", numel=c * positions),)
        return Facts(output=(self.units, h, w), weights=c * self.units, biases=biases, macs=macs,
                     flops=2 * macs + positions * biases, params_formula=formula,
                     saves=saves)
