"""Pooling: max and average windows, global and adaptive pooling (average and max). None has parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cnncalc import arithmetic
from cnncalc.arithmetic.sizes import known
from cnncalc.layers.base import (
    KEEPS_INPUT,
    Facts,
    Layer,
    Pair,
    RFStep,
    Saved,
    Shape,
    Untiled,
    global_rf,
    need_map,
    pair_text,
    register,
)

if TYPE_CHECKING:
    from cnncalc.spec.options import Options


@register("maxpool", "max_pool", "maxpool2d", "avgpool", "avg_pool", "avgpool2d")
@dataclass(frozen=True, kw_only=True)
class Pool(Layer):
    """Max or average pooling with PyTorch's rounding (arithmetic.pool_output), ceil mode included.

    FLOPs per output element: k_h·k_w − 1 comparisons for max; k_h·k_w − 1 additions and one division
    (k_h·k_w) for average. The stride defaults to the kernel, as in PyTorch.
    """

    op: str  # "max" | "avg"
    kernel: Pair
    stride: Pair
    pad: Pair = (0, 0)
    dilation: Pair = (1, 1)
    ceil: bool = False

    @property
    def kind(self) -> str:
        return f"{self.op}pool"

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        op = "max" if kind.startswith("max") else "avg"
        kernel = opts.pair("kernel", 2)
        stride = opts.pair("stride", list(kernel))
        dilation = opts.pair("dilation", 1) if op == "max" else (1, 1)
        pad = opts.pair("pad", 0, minimum=0)
        for axis in (0, 1):
            if pad[axis] * 2 > arithmetic.effective_kernel(kernel[axis], dilation[axis]):
                raise opts.error("pad", f"pad {pad[axis]} is more than half the kernel "
                                        f"{kernel[axis]} (PyTorch refuses it)")
        return {"op": op, "kernel": kernel, "stride": stride, "pad": pad, "dilation": dilation,
                "ceil": opts.flag("ceil", False)}

    def describe(self) -> str:
        k = f"{self.kernel[0]}x{self.kernel[1]}"
        text = f"{k}/{pair_text(self.stride)}"
        if self.pad != (0, 0):
            text += f" pad {pair_text(self.pad)}"
        if self.dilation != (1, 1):
            text += f" dil {pair_text(self.dilation)}"
        return text + (" ceil" if self.ceil else "")

    def infer(self, shape: Shape) -> Facts:
        c, h, w = need_map(self, shape)
        outs: list[int] = []
        untiled: list[Untiled] = []
        for axis, n in (("height", h), ("width", w)):
            i = 0 if axis == "height" else 1
            k, s, p, d = self.kernel[i], self.stride[i], self.pad[i], self.dilation[i]
            if known(n) and arithmetic.effective_kernel(k, d) > n + 2 * p:
                raise self.fail(f"the {k}x{k} window is larger than the padded input {axis} {n + 2 * p}")
            outs.append(arithmetic.pool_output(n, k, s, p, d, self.ceil))
            if not self.ceil and arithmetic.leftover(n, k, s, 2 * p, d) != 0:
                untiled.append(Untiled(axis, n, k, s, 2 * p, d))
        oh, ow = outs
        window = self.kernel[0] * self.kernel[1]
        per_output = window - 1 if self.op == "max" else window
        note = "ceil mode" if self.ceil and (oh, ow) != (
            arithmetic.pool_output(h, self.kernel[0], self.stride[0], self.pad[0], self.dilation[0]),
            arithmetic.pool_output(w, self.kernel[1], self.stride[1], self.pad[1], self.dilation[1])) else ""
        rf = tuple((arithmetic.effective_kernel(self.kernel[i], self.dilation[i]), self.stride[i], self.pad[i])
                   for i in (0, 1))
        # max_pool2d_with_indices keeps its input and the int64 argmax of each output; avg_pool2d its input
        saves = (*KEEPS_INPUT, Saved("int64 indices", numel=c * oh * ow, itemsize=8)) if self.op == "max" \
            else KEEPS_INPUT
        return Facts(output=(c, oh, ow), flops=c * oh * ow * per_output, note=note, untiled=tuple(untiled),
                     rf=rf, saves=saves)  # type: ignore[arg-type]


@register("global_avgpool", "globalavgpool", "global_avg_pool", "gap")
@dataclass(frozen=True, kw_only=True)
class GlobalAvgPool(Layer):
    """Average of each whole channel → C×1×1. FLOPs: H·W per channel (H·W − 1 additions and one division).

    PyTorch computes it as a mean over H and W, whose backward needs only the sizes: it keeps nothing."""

    KIND = "global_avgpool"

    def describe(self) -> str:
        return "average over HxW"

    def infer(self, shape: Shape) -> Facts:
        c, h, w = need_map(self, shape)
        return Facts(output=(c, 1, 1), flops=c * h * w, rf=global_rf(shape))


@register("adaptive_avgpool", "adaptiveavgpool2d", "adaptive_avg_pool")
@dataclass(frozen=True, kw_only=True)
class AdaptiveAvgPool(Layer):
    """PyTorch AdaptiveAvgPool2d: output o×o from windows [floor(i·n/o), ceil((i+1)·n/o)).

    FLOPs: each output element costs its window's area, so per channel (Σ heights)·(Σ widths).
    """

    KIND = "adaptive_avgpool"
    output: Pair

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        return {"output": opts.pair("output")}

    def describe(self) -> str:
        return f"to {self.output[0]}x{self.output[1]}"

    def infer(self, shape: Shape) -> Facts:
        c, h, w = need_map(self, shape)
        oh, ow = self.output
        window, note, rf = adaptive_windows(h, w, oh, ow)
        # a 1x1 output is a mean (keeps nothing, as the global pool); any other keeps its input
        saves = () if (oh, ow) == (1, 1) else KEEPS_INPUT
        return Facts(output=(c, oh, ow), flops=c * window, note=note, rf=rf, rf_undefined=rf is None, saves=saves)


def adaptive_windows(h: int, w: int, oh: int, ow: int) -> tuple[int, str, tuple[RFStep, RFStep] | None]:
    """An adaptive pool's total window area per channel ((Σ heights)·(Σ widths), in closed form: a huge output
    allocates nothing), its note, and its receptive-field step: a plain kernel = stride = in/out when the windows
    are equal, else None (no single step)."""
    even = h % oh == 0 and w % ow == 0
    area = arithmetic.adaptive_window_total(h, oh) * arithmetic.adaptive_window_total(w, ow)
    note = "identity at this size" if (h, w) == (oh, ow) else ""
    return area, note, ((h // oh, h // oh, 0), (w // ow, w // ow, 0)) if even else None


@register("global_maxpool", "globalmaxpool", "global_max_pool", "gmp")
@dataclass(frozen=True, kw_only=True)
class GlobalMaxPool(Layer):
    """Maximum of each whole channel → C×1×1 (nn.AdaptiveMaxPool2d(1)). FLOPs: H·W − 1 comparisons per channel.

    Backward keeps the input and the int64 index of each maximum (C per sample), as max pooling does."""

    KIND = "global_maxpool"

    def describe(self) -> str:
        return "maximum over HxW"

    def infer(self, shape: Shape) -> Facts:
        c, h, w = need_map(self, shape)
        return Facts(output=(c, 1, 1), flops=c * (h * w - 1), rf=global_rf(shape),
                     saves=(*KEEPS_INPUT, Saved("int64 indices", numel=c, itemsize=8)))


@register("adaptive_maxpool", "adaptivemaxpool2d", "adaptive_max_pool")
@dataclass(frozen=True, kw_only=True)
class AdaptiveMaxPool(Layer):
    """PyTorch AdaptiveMaxPool2d: output o×o from windows [floor(i·n/o), ceil((i+1)·n/o)), as the average one.

    FLOPs: each output element costs its window's area − 1 comparisons, so per channel
    (Σ heights)·(Σ widths) − o_h·o_w. Backward keeps the input and the int64 index of each output's maximum
    (C·o_h·o_w per sample), at every output size (1×1 included, unlike the average).
    """

    KIND = "adaptive_maxpool"
    output: Pair

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        return {"output": opts.pair("output")}

    def describe(self) -> str:
        return f"to {self.output[0]}x{self.output[1]}"

    def infer(self, shape: Shape) -> Facts:
        c, h, w = need_map(self, shape)
        oh, ow = self.output
        window, note, rf = adaptive_windows(h, w, oh, ow)
        return Facts(output=(c, oh, ow), flops=c * (window - oh * ow), note=note, rf=rf, rf_undefined=rf is None,
                     saves=(*KEEPS_INPUT, Saved("int64 indices", numel=c * oh * ow, itemsize=8)))
