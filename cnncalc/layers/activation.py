"""Element-wise activations: ReLU and its relatives, the smooth ones of newer networks, PReLU, and the identity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cnncalc.layers.base import KEEPS_INPUT, KEEPS_OUTPUT, Facts, Layer, Saved, Shape, numel, register
from cnncalc.spec.options import type_name

if TYPE_CHECKING:
    from cnncalc.spec.options import Options

# Activations PyTorch can run in place (nn.ReLU/ReLU6/Hardswish/Hardsigmoid/SiLU/Mish/LeakyReLU/ELU(inplace=True)).
INPLACE_CAPABLE = {"relu", "relu6", "hardswish", "hardsigmoid", "silu", "mish", "leaky_relu", "elu"}
# In place by default where torchvision builds them so (Conv2dNormActivation, MobileNetV3, EfficientNet); the
# slides' VGG table gives ReLU no memory row.
INPLACE_DEFAULT = {"relu", "relu6", "hardswish", "silu", "leaky_relu", "elu"}
# Backward keeps the result (relu, sigmoid, tanh: their derivatives are written in the result), else the input.
KEEP_RESULT = {"relu", "sigmoid", "tanh"}
# In place, these keep a copy of their input that autograd makes before overwriting it (their derivative
# needs the input): measured, a storage of the input's size that is neither the input nor the result.
COPY_WHEN_INPLACE = {"relu6", "hardswish", "hardsigmoid", "silu", "mish"}
ALIASES = {"leakyrelu": "leaky_relu", "swish": "silu", "hard_swish": "hardswish", "hard_sigmoid": "hardsigmoid"}
APPROXIMATE = ("none", "tanh")


@register("relu", "leaky_relu", "leakyrelu", "sigmoid", "tanh", "elu", "relu6", "hardswish", "hard_swish",
          "hardsigmoid", "hard_sigmoid", "silu", "swish", "gelu", "mish", "softplus")
@dataclass(frozen=True, kw_only=True)
class Activation(Layer):
    """Element-wise non-linearity, no parameters. FLOPs: 1 per element for every function, whatever its formula
    (ReLU's max, ReLU6's clamp, SiLU's x·σ(x), GELU's erf or tanh form, Mish, softplus): a convention, as ptflops
    counts activations; MACs are 0.

    In place (the default for relu, relu6, hardswish, silu, leaky_relu, elu; possible for hardsigmoid and mish;
    PyTorch has no in-place gelu, softplus, sigmoid or tanh) it writes into its input and adds no activations.

    Backward keeps (measured, CPU, train mode): relu, sigmoid, tanh their result (in place: the input's memory);
    leaky_relu, elu, relu6, hardswish, hardsigmoid, silu, gelu (both forms), mish, softplus their input. In place,
    leaky_relu and elu keep their result (the same memory); relu6, hardswish, hardsigmoid, silu and mish keep a
    copy of the input that autograd makes before overwriting it: C·H·W values of their own, so in place saves
    no training memory for them.
    """

    fn: str
    inplace: bool = False
    slope: float | None = None  # leaky ReLU's negative slope, ELU's alpha, softplus's beta
    threshold: float | None = None  # softplus: linear above beta·x > threshold
    approximate: str = "none"  # GELU: 'none' (erf) or 'tanh'

    @property
    def kind(self) -> str:
        return self.fn

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        fn = ALIASES.get(kind, kind)
        inplace = opts.flag("inplace", fn in INPLACE_DEFAULT)
        if inplace and fn not in INPLACE_CAPABLE:
            raise opts.error("inplace", f"{fn} has no in-place form in PyTorch")
        out: dict[str, object] = {"fn": fn, "inplace": inplace}
        if fn == "leaky_relu":
            out["slope"] = opts.real("negative_slope", 0.01)
        elif fn == "elu":
            out["slope"] = opts.real("alpha", 1.0)
        elif fn == "softplus":
            beta = opts.real("beta", 1.0)
            if beta == 0:
                raise opts.error("beta", "must not be 0 (softplus divides by it)")
            out["slope"], out["threshold"] = beta, opts.real("threshold", 20.0)
        elif fn == "gelu":
            approximate = opts.take("approximate", "none")
            if approximate not in APPROXIMATE:
                raise opts.error("approximate", f"must be none or tanh (nn.GELU's approximate), got {type_name(approximate)}")
            out["approximate"] = approximate
        return out

    def describe(self) -> str:
        if self.fn == "softplus":
            return f"beta {self.slope:g}, threshold {self.threshold:g}"
        if self.fn == "gelu":
            return "tanh approximation" if self.approximate == "tanh" else ""
        if self.slope is None:
            return ""
        return f"slope {self.slope:g}" if self.fn == "leaky_relu" else f"alpha {self.slope:g}"

    def infer(self, shape: Shape) -> Facts:
        if self.inplace and self.fn in COPY_WHEN_INPLACE:
            saves: tuple[Saved, ...] = (Saved("copy of the input", numel=numel(shape)),)
        elif self.fn in KEEP_RESULT or self.inplace:
            saves = KEEPS_OUTPUT
        else:
            saves = KEEPS_INPUT
        return Facts(output=shape, flops=numel(shape), new_tensor=not self.inplace,
                     note="in place: no new tensor" if self.inplace else "", saves=saves)


@register("prelu")
@dataclass(frozen=True, kw_only=True)
class PReLU(Layer):
    """PReLU (He et al. 2015), nn.PReLU(num_parameters): max(0, x) + a·min(0, x) with learnable slopes a.

    `slopes: 1` shares one slope (1 weight); `slopes: channels` learns one per channel (C weights; the features
    of a vector). 1 FLOP per element, as the other activations; backward keeps the input (and the slopes, a
    parameter). Never in place (PyTorch has no in-place PReLU).
    """

    KIND = "prelu"
    per_channel: bool = False

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        slopes = opts.take("slopes", 1)
        if slopes not in (1, "channels"):
            raise opts.error("slopes", f"must be 1 or channels (nn.PReLU's num_parameters), got {type_name(slopes)}")
        return {"per_channel": slopes == "channels"}

    def describe(self) -> str:
        return "a slope per channel" if self.per_channel else "one slope"

    def infer(self, shape: Shape) -> Facts:
        weights = shape[0] if self.per_channel else 1
        return Facts(output=shape, weights=weights, flops=numel(shape), params_formula=str(weights),
                     saves=KEEPS_INPUT)


@register("identity")
@dataclass(frozen=True, kw_only=True)
class Identity(Layer):
    """nn.Identity: returns its input, no new tensor, 0 FLOPs, nothing kept for backward."""

    KIND = "identity"

    def infer(self, shape: Shape) -> Facts:
        return Facts(output=shape, new_tensor=False, note="identity: no new tensor")
