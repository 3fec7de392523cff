"""Layers that keep the shape (or shrink only the channels): maxout, LRN, batch norm, dropout, drop path, softmax,
padding. The activations are in cnncalc.layers.activation, the other normalisations in cnncalc.layers.norm."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cnncalc.layers.base import KEEPS_INPUT, KEEPS_OUTPUT, Facts, Layer, Saved, Shape, need_map, numel, register
from cnncalc.spec.options import type_name

if TYPE_CHECKING:
    from cnncalc.spec.options import Options

@register("maxout")
@dataclass(frozen=True, kw_only=True)
class Maxout(Layer):
    """Maxout with k pieces (Goodfellow et al. 2013): the max over each group of k consecutive channels.

    The pieces' weights w_i, b_i live in the preceding conv/fc layer, which must produce k× the channels;
    maxout itself has no parameters and costs k − 1 comparisons per output element.
    """

    pieces: int

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        pieces = opts.count("pieces", 2)
        if pieces < 2:
            raise opts.error("pieces", "maxout needs at least 2 pieces")
        return {"pieces": pieces}

    def describe(self) -> str:
        return f"{self.pieces} pieces"

    def infer(self, shape: Shape) -> Facts:
        channels = shape[0]
        if channels % self.pieces:
            raise self.fail(f"{channels} channels are not divisible into groups of {self.pieces} pieces")
        out = (channels // self.pieces, *shape[1:])
        return Facts(output=out, flops=numel(out) * (self.pieces - 1), saves=(*KEEPS_INPUT, *KEEPS_OUTPUT))


@register("lrn", "local_response_norm")
@dataclass(frozen=True, kw_only=True)
class LRN(Layer):
    """Local response normalisation across channels (AlexNet: n = 5, k = 2, α = 1e-4, β = 0.75).

    b = a / (k + α·Σ a²)^β over n neighbouring channels: per element n squares, n − 1 additions, then
    ×α, +k, a power and a division, so 2n + 3 FLOPs. No parameters.

    PyTorch computes it from elementary ops (F.local_response_norm), and backward keeps: the input (for a² and
    for the division), the squares zero-padded across channels ((C + n − 1)·H·W, avg_pool3d's input),
    k + α·mean and its β-th power (C·H·W each). Not the result.
    """

    KIND = "lrn"
    size: int = 5
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 2.0

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        return {"size": opts.count("size", 5), "alpha": opts.real("alpha", 1e-4),
                "beta": opts.real("beta", 0.75), "k": opts.real("k", 2.0)}

    def describe(self) -> str:
        return f"n={self.size} k={self.k:g} α={self.alpha:g} β={self.beta:g}"

    def infer(self, shape: Shape) -> Facts:
        c, h, w = need_map(self, shape)
        saves = (*KEEPS_INPUT, Saved(f"squares padded to {c + self.size - 1} channels",
                                     numel=(c + self.size - 1) * h * w),
                 Saved("k + α·mean", numel=c * h * w), Saved("(k + α·mean)^β", numel=c * h * w))
        return Facts(output=shape, flops=numel(shape) * (2 * self.size + 3), saves=saves)


@register("batchnorm", "bn", "batch_norm", "batchnorm2d")
@dataclass(frozen=True, kw_only=True)
class BatchNorm(Layer):
    """Batch normalisation (Ioffe & Szegedy 2015) over the channels (or the features of a vector).

    Params: γ (weights) and β (biases), C each, when affine. The running mean and variance (C each) and
    PyTorch's num_batches_tracked counter are buffers, not params: 2C + 1. At inference it is one scale and one
    shift per element: 2 FLOPs per element. Training keeps the input and save_mean, save_invstd (C values each,
    for the whole batch), affine or not: on the CPU in the dtype, on CUDA in fp32 at least (the accumulate type).
    """

    KIND = "batchnorm"
    affine: bool = True
    eps: float = 1e-5

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        return {"affine": opts.flag("affine", True), "eps": opts.real("eps", 1e-5, low=0.0)}

    def describe(self) -> str:
        return "" if self.affine else "no affine"

    def infer(self, shape: Shape) -> Facts:
        c = shape[0]
        affine = c if self.affine else 0
        formula = f"{c} + {c}" if self.affine else "0"
        return Facts(output=shape, weights=affine, biases=affine, buffers=2 * c + 1, flops=2 * numel(shape),
                     params_formula=formula, note=f"buffers: 2*{c} + 1",
                     saves=(*KEEPS_INPUT, Saved("mean and 1/std", numel=2 * c, per_sample=False, cuda_itemsize=4,
                                                cuda_at_least=True)))


@register("dropout")
@dataclass(frozen=True, kw_only=True)
class Dropout(Layer):
    """Dropout: the identity at inference, so no new tensor and no FLOPs are counted.

    In training (p > 0) it writes a new tensor, input·mask (in place, `inplace: true` as torchvision's
    MobileNetV3 and EfficientNet classifiers build it: into its input, no new tensor), and backward keeps the
    mask: on the CPU a tensor of the input's dtype (the scaled Bernoulli noise, 4 bytes an element at fp32), on
    CUDA a bool mask (1 byte, native_dropout). p = 0 is the identity in training too.
    """

    p: float = 0.5
    inplace: bool = False

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        return {"p": opts.real("p", 0.5, low=0.0, high=1.0, high_open=True), "inplace": opts.flag("inplace", False)}

    def describe(self) -> str:
        return f"p={self.p:g}" + (" in place" if self.inplace else "")

    def infer(self, shape: Shape) -> Facts:
        saves = (Saved("mask", numel=numel(shape), cuda_itemsize=1),) if self.p > 0 else ()
        return Facts(output=shape, new_tensor=False, note="identity at inference: no new tensor", saves=saves,
                     training_copy=self.p > 0 and not self.inplace)


@register("droppath", "drop_path", "stochastic_depth")
@dataclass(frozen=True, kw_only=True)
class DropPath(Layer):
    """Stochastic depth (Huang et al. 2016) as torchvision.ops.StochasticDepth: the identity at inference (no
    new tensor, 0 FLOPs). In training with p > 0 it writes input·noise/(1 − p), a new tensor, where the noise is
    one Bernoulli value per sample (`mode: row`, the default) or one for the whole batch (`mode: batch`), and
    backward keeps only that noise: 1 value per sample (row) or 1 in all (batch), in the input's dtype.
    """

    KIND = "droppath"
    p: float
    mode: str = "row"

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        p = opts.real("p", low=0.0, high=1.0, high_open=True)  # required: torchvision's StochasticDepth(p, mode)
        mode = opts.take("mode", "row")
        if mode not in ("row", "batch"):
            raise opts.error("mode", f"must be row or batch (torchvision's StochasticDepth), got {type_name(mode)}")
        return {"p": p, "mode": mode}

    def describe(self) -> str:
        return f"p={self.p:g}" + (", per batch" if self.mode == "batch" else "")

    def infer(self, shape: Shape) -> Facts:
        saves = (Saved("noise", numel=1, per_sample=self.mode == "row"),) if self.p > 0 else ()
        return Facts(output=shape, new_tensor=False, note="identity at inference: no new tensor", saves=saves,
                     training_copy=self.p > 0)


@register("softmax", "soft-max")
@dataclass(frozen=True, kw_only=True)
class Softmax(Layer):
    """Softmax over the features (the channels of a feature map).

    Per group of N values: N exponentials, N − 1 additions, N divisions = 3N − 1 FLOPs.
    """

    KIND = "softmax"

    def infer(self, shape: Shape) -> Facts:
        groups = numel(shape[1:]) if len(shape) == 3 else 1
        return Facts(output=shape, flops=groups * (3 * shape[0] - 1), saves=KEEPS_OUTPUT)


@register("zeropad", "zero_pad", "zeropad2d")
@dataclass(frozen=True, kw_only=True)
class ZeroPad(Layer):
    """Zero padding as a layer of its own (PyTorch ZeroPad2d): a new, larger tensor, no arithmetic."""

    KIND = "zeropad"
    pad: tuple[tuple[int, int], tuple[int, int]]

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        return {"pad": opts.padding("pad", 1)}

    def describe(self) -> str:
        (t, b), (l, r) = self.pad
        return f"{t}" if t == b == l == r else f"top {t} bottom {b} left {l} right {r}"

    def infer(self, shape: Shape) -> Facts:
        c, h, w = need_map(self, shape)
        (t, b), (l, r) = self.pad
        return Facts(output=(c, h + t + b, w + l + r), rf=((1, 1, t), (1, 1, l)))
