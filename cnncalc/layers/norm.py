"""Normalisations computed per sample (layer, group and instance norm) and ConvNeXt's layer scale.

Batch norm, whose statistics are the batch's, is in cnncalc.layers.elementwise. FLOPs of a normalisation are
counted as fvcore counts them: 5 per element when affine, 4 when not (the statistics and the normalisation;
γ·x̂ + β folds into one more). Backward keeps the input and the mean and 1/std of each normalised group
(measured: torch.autograd.graph.saved_tensors_hooks, CPU, train mode), in the dtype; the parameters are not
activations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cnncalc.layers.base import KEEPS_INPUT, Facts, Layer, Saved, Shape, need_map, numel, register

if TYPE_CHECKING:
    from cnncalc.spec.options import Options


def _affine(c: int, affine: bool) -> tuple[int, int, str]:
    return (c, c, f"{c} + {c}") if affine else (0, 0, "0")


def _norm_flops(shape: Shape, affine: bool) -> int:
    return numel(shape) * (5 if affine else 4)


@register("layernorm", "layer_norm", "ln")
@dataclass(frozen=True, kw_only=True)
class LayerNorm(Layer):
    """Layer normalisation over the channels of each position (Ba et al. 2016; ConvNeXt's LayerNorm2d, which
    torchvision writes as permute → F.layer_norm over C → permute back), or over the features of a vector
    (nn.LayerNorm(N)).

    Params: γ (weights) and β (biases), C each, when affine (`affine`, PyTorch's elementwise_affine, default
    true); no buffers. FLOPs: 5 per element affine, 4 not (fvcore). Backward keeps the input and a mean and a
    1/std per position: 2·H·W values per sample (2 for a vector).
    """

    KIND = "layernorm"
    eps: float = 1e-5
    affine: bool = True

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        return {"eps": opts.real("eps", 1e-5, low=0.0), "affine": opts.flag("affine", True)}

    def describe(self) -> str:
        return "over channels" + (f", eps {self.eps:g}" if self.eps != 1e-5 else "") + \
            ("" if self.affine else ", no affine")

    def infer(self, shape: Shape) -> Facts:
        c = shape[0]
        weights, biases, formula = _affine(c, self.affine)
        positions = numel(shape[1:])
        return Facts(output=shape, weights=weights, biases=biases, flops=_norm_flops(shape, self.affine),
                     params_formula=formula,
                     saves=(*KEEPS_INPUT, Saved("mean and 1/std per position", numel=2 * positions)))


@register("groupnorm", "group_norm", "gn")
@dataclass(frozen=True, kw_only=True)
class GroupNorm(Layer):
    """Group normalisation (Wu & He 2018), nn.GroupNorm(G, C): statistics over each group of C/G channels and
    all positions of one sample; C must be divisible by G.

    Params: γ, β (C each) when affine (default true); no buffers. FLOPs: 5 per element affine, 4 not (fvcore).
    Backward keeps the input and a mean and a 1/std per group: 2·G values per sample.
    """

    KIND = "groupnorm"
    groups: int
    eps: float = 1e-5
    affine: bool = True

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        return {"groups": opts.count("groups"), "eps": opts.real("eps", 1e-5, low=0.0),
                "affine": opts.flag("affine", True)}

    def describe(self) -> str:
        return f"{self.groups} groups" + ("" if self.affine else ", no affine")

    def infer(self, shape: Shape) -> Facts:
        c = shape[0]
        if c % self.groups:
            raise self.fail(f"{c} channels are not divisible into {self.groups} groups")
        weights, biases, formula = _affine(c, self.affine)
        return Facts(output=shape, weights=weights, biases=biases, flops=_norm_flops(shape, self.affine),
                     params_formula=formula,
                     saves=(*KEEPS_INPUT, Saved("mean and 1/std per group", numel=2 * self.groups)))


@register("instancenorm", "instance_norm", "instancenorm2d")
@dataclass(frozen=True, kw_only=True)
class InstanceNorm(Layer):
    """Instance normalisation (Ulyanov et al. 2016), nn.InstanceNorm2d(C): statistics per channel of each sample.

    Params: γ, β (C each) when `affine` (default false, as PyTorch). Buffers: with `track_running_stats`
    (default false) the running mean and variance and the num_batches_tracked counter, 2C + 1. FLOPs: 5 per
    element affine, 4 not (fvcore). PyTorch runs it as batch norm on a 1×(N·C)×H×W view, so backward keeps the
    input (that view), a mean and a 1/std per channel of each sample (2C per sample), and the copies it made
    to repeat per sample what is per channel: γ when affine (C per sample), the running mean and variance when
    tracked (2C per sample).
    """

    KIND = "instancenorm"
    eps: float = 1e-5
    affine: bool = False
    track: bool = False

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        return {"eps": opts.real("eps", 1e-5, low=0.0), "affine": opts.flag("affine", False),
                "track": opts.flag("track_running_stats", False)}

    def describe(self) -> str:
        return ", ".join(w for w, on in (("affine", self.affine), ("running stats", self.track)) if on)

    def infer(self, shape: Shape) -> Facts:
        c, _, _ = need_map(self, shape)
        weights, biases, formula = _affine(c, self.affine)
        saves = [*KEEPS_INPUT, Saved("mean and 1/std per channel", numel=2 * c)]
        if self.affine:
            saves.append(Saved("γ repeated per sample", numel=c))
        if self.track:
            saves.append(Saved("running mean and variance repeated per sample", numel=2 * c))
        return Facts(output=shape, weights=weights, biases=biases, buffers=2 * c + 1 if self.track else 0,
                     flops=_norm_flops(shape, self.affine), params_formula=formula,
                     note=f"buffers: 2*{c} + 1" if self.track else "", saves=tuple(saves))


@register("scale", "layer_scale", "layerscale")
@dataclass(frozen=True, kw_only=True)
class Scale(Layer):
    """A learnable multiplier per channel (ConvNeXt's layer scale, CaiT's LayerScale): torchvision writes
    `self.layer_scale * x` with a C×1×1 parameter (C for a vector).

    Params: C weights. FLOPs: one multiply per element, C·H·W, counted as FLOPs and not as MACs (MACs are
    conv/fc's). A new tensor; backward keeps the input (for the parameter's gradient; the parameter itself,
    for the input's gradient, is not an activation).
    """

    KIND = "scale"

    def describe(self) -> str:
        return "a learnable factor per channel"

    def infer(self, shape: Shape) -> Facts:
        c = shape[0]
        return Facts(output=shape, weights=c, flops=numel(shape), params_formula=str(c), saves=KEEPS_INPUT)
