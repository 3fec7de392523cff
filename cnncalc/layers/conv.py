"""Convolution, transposed convolution and the locally connected layer: the layers that own weights per window."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from cnncalc import arithmetic
from cnncalc.arithmetic.sizes import known
from cnncalc.layers.base import (
    KEEPS_INPUT,
    Facts,
    Layer,
    Padding,
    Pair,
    RFStep,
    Saved,
    Shape,
    Untiled,
    need_map,
    pad_text,
    pair_text,
    register,
)
from cnncalc.spec.options import type_name

if TYPE_CHECKING:
    from cnncalc.spec.options import Options


def windows(layer: Layer, axis: str, n: int, k: int, s: int, pad: tuple[int, int], d: int) -> tuple[int, Untiled | None]:
    """Output length of a floor-mode sliding window on one axis, and the leftover when it does not tile."""
    total = pad[0] + pad[1]
    span = arithmetic.effective_kernel(k, d)
    if known(n) and span > n + total:
        raise layer.fail(f"the {span}-pixel kernel is larger than the padded input {axis} {n} + {total} = {n + total}")
    out = arithmetic.conv_output(n, k, s, total, d)
    untiled = Untiled(axis, n, k, s, total, d) if arithmetic.leftover(n, k, s, total, d) != 0 else None
    return out, untiled


def compressed(theta: float, c: int) -> int:
    """DenseNet's ⌊θ·C⌋ filters. Below 2^53 channels, the float product is what PyTorch code computes
    (math.floor(θ * C)); above, a float cannot even hold C, so θ is taken exactly as written."""
    return int(theta * c) if c < 2**53 else math.floor(Fraction(repr(theta)) * c)


def parse_window(opts: Options, *, kernel_default: object = ...) -> dict[str, object]:
    """kernel / stride / pad / dilation, shared by every convolution-like layer.

    pad accepts 'valid' (0) and PyTorch's 'same' (stride 1 only: total padding d(k − 1), the odd pixel on the
    right and bottom).
    """
    kernel = opts.pair("kernel") if kernel_default is ... else opts.pair("kernel", kernel_default)
    stride = opts.pair("stride", 1)
    dilation = opts.pair("dilation", 1)
    pad_value = opts.take("pad", 0)
    if pad_value == "valid":
        pad, mode = ((0, 0), (0, 0)), "valid"
    elif pad_value == "same":
        if stride != (1, 1):
            raise opts.error("pad", f"'same' padding needs stride 1 (as in PyTorch), got stride {pair_text(stride)}; "
                                    "give the padding as a number instead")
        pad = (arithmetic.same_padding(kernel[0], dilation[0]), arithmetic.same_padding(kernel[1], dilation[1]))
        mode = "same"
    elif isinstance(pad_value, str):
        raise opts.error("pad", f"must be a number, [height, width], 'same' or 'valid', got {type_name(pad_value)}")
    else:
        pad, mode = opts.padding("pad"), ""
    return {"kernel": kernel, "stride": stride, "pad": pad, "pad_mode": mode, "dilation": dilation}


@dataclass(frozen=True, kw_only=True)
class Windowed(Layer):
    kernel: Pair
    stride: Pair = (1, 1)
    pad: Padding = ((0, 0), (0, 0))
    pad_mode: str = ""
    dilation: Pair = (1, 1)

    def window_text(self) -> str:
        text = f"{pair_text(self.kernel)}x{pair_text(self.kernel)}" if self.kernel[0] == self.kernel[1] \
            else pair_text(self.kernel)
        text += f"/{pair_text(self.stride)}"
        pad = self.pad_mode or pad_text(self.pad)
        if pad != "0":
            text += f" pad {pad}"
        if self.dilation != (1, 1):
            text += f" dil {pair_text(self.dilation)}"
        return text

    def rf_steps(self) -> tuple[RFStep, RFStep]:
        return tuple((arithmetic.effective_kernel(self.kernel[i], self.dilation[i]), self.stride[i], self.pad[i][0])
                     for i in (0, 1))  # type: ignore[return-value]

    def saves(self, c: int, h: int, w: int) -> tuple[Saved, ...]:
        """The convolution keeps its input; with an asymmetric padding it keeps the zero-padded copy it reads:
        for 'same', PyTorch pads only the odd pixel (H + bottom − top), an explicit padding is a ZeroPad2d
        before it (H + top + bottom), as cnncalc.verify builds it."""
        (top, bottom), (left, right) = self.pad
        if top == bottom and left == right:
            return KEEPS_INPUT
        if self.pad_mode == "same":
            ph, pw = h + bottom - top, w + right - left
        else:
            ph, pw = h + top + bottom, w + left + right
        return (Saved(f"zero-padded input {ph}x{pw}x{c}", numel=c * ph * pw),)

    def out_hw(self, h: int, w: int) -> tuple[int, int, tuple[Untiled, ...]]:
        oh, uh = windows(self, "height", h, self.kernel[0], self.stride[0], self.pad[0], self.dilation[0])
        ow, uw = windows(self, "width", w, self.kernel[1], self.stride[1], self.pad[1], self.dilation[1])
        return oh, ow, tuple(u for u in (uh, uw) if u)


@register("conv", "convolution", "conv2d")
@dataclass(frozen=True, kw_only=True)
class Conv(Windowed):
    """2-D convolution (PyTorch Conv2d).

    weights (k_h·k_w·C_in/groups)·K, biases K; MACs = H_out·W_out·K·(k_h·k_w·C_in/groups);
    FLOPs = 2·MACs + one add per output element for the bias.
    """

    filters: int | None
    groups: int | str = 1
    bias: bool = True
    compress: float | None = None  # DenseNet's compression θ: floor(θ·C_in) filters, instead of a fixed count

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        groups: int | str = "depthwise" if opts.take("groups", 1) == "depthwise" else opts.count("groups", 1)
        compress = None
        if opts.has("compress"):
            if opts.has("filters"):
                raise opts.error("compress", "give either filters or compress, not both")
            compress = opts.real("compress", low=0.0, high=1.0)
            if compress == 0:
                raise opts.error("compress", "must be more than 0")
        needs_filters = groups != "depthwise" and compress is None
        filters = opts.count("filters") if needs_filters or opts.has("filters") else None
        return {"filters": filters, "groups": groups, "bias": opts.flag("bias", True), "compress": compress,
                **parse_window(opts)}

    def describe(self) -> str:
        text = self.window_text()
        if self.compress:
            text += f", compress {self.compress:g}"
        if self.groups == "depthwise":
            text += ", depthwise"
        elif self.groups != 1:
            text += f", groups {self.groups}"
        return text + ("" if self.bias else ", no bias")

    def infer(self, shape: Shape) -> Facts:
        c, h, w = need_map(self, shape)
        groups = c if self.groups == "depthwise" else int(self.groups)
        filters = self.filters or (compressed(self.compress, c) if self.compress else c)
        if filters < 1:
            raise self.fail(f"compress {self.compress} of {c} channels leaves no filters")
        if c % groups:
            raise self.fail(f"{c} input channels are not divisible by groups={groups}")
        if filters % groups:
            raise self.fail(f"{filters} filters are not divisible by groups={groups}")
        oh, ow, untiled = self.out_hw(h, w)
        kh, kw = self.kernel
        fan_in = kh * kw * (c // groups)
        weights = fan_in * filters
        biases = filters if self.bias else 0
        macs = oh * ow * filters * fan_in
        depth = f"{c}" if groups == 1 else f"{c // groups}"
        formula = f"({kh}*{kw}*{depth})*{filters}" + (f" + {filters}" if self.bias else "")
        return Facts(output=(filters, oh, ow), weights=weights, biases=biases, macs=macs,
                     flops=2 * macs + (oh * ow * filters if self.bias else 0), params_formula=formula,
                     untiled=untiled, rf=self.rf_steps(), saves=self.saves(c, h, w))


@register("deconv", "conv_transpose", "transposed_conv", "convtranspose2d")
@dataclass(frozen=True, kw_only=True)
class ConvTranspose(Layer):
    """Transposed convolution (PyTorch ConvTranspose2d): out = (in − 1)·s − 2p + d(k − 1) + output_padding + 1.

    weights C_in·(K/groups)·k_h·k_w, biases K; every input element is multiplied by its group's whole kernel,
    so MACs = H_in·W_in·C_in·(K/groups)·k_h·k_w (as torch.utils.flop_counter counts it);
    FLOPs = 2·MACs + one bias add per output element.
    """

    KIND = "deconv"
    filters: int
    kernel: Pair
    stride: Pair = (1, 1)
    pad: Pair = (0, 0)
    output_padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    groups: int = 1
    bias: bool = True

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        return {"filters": opts.count("filters"), "kernel": opts.pair("kernel"), "stride": opts.pair("stride", 1),
                "pad": opts.pair("pad", 0, minimum=0), "output_padding": opts.pair("output_padding", 0, minimum=0),
                "dilation": opts.pair("dilation", 1), "groups": opts.count("groups", 1),
                "bias": opts.flag("bias", True)}

    def describe(self) -> str:
        text = f"{pair_text(self.kernel)}/{pair_text(self.stride)} pad {pair_text(self.pad)}"
        if self.output_padding != (0, 0):
            text += f", output_padding {pair_text(self.output_padding)}"
        return text

    def infer(self, shape: Shape) -> Facts:
        c, h, w = need_map(self, shape)
        if c % self.groups or self.filters % self.groups:
            raise self.fail(f"{c} input channels and {self.filters} filters must both be divisible by "
                            f"groups={self.groups}")
        for axis in (0, 1):
            if self.output_padding[axis] >= max(self.stride[axis], self.dilation[axis]):
                raise self.fail("output_padding must be smaller than the stride or the dilation (as in PyTorch)")
        oh = arithmetic.transposed_output(h, self.kernel[0], self.stride[0], self.pad[0], self.dilation[0],
                                          self.output_padding[0])
        ow = arithmetic.transposed_output(w, self.kernel[1], self.stride[1], self.pad[1], self.dilation[1],
                                          self.output_padding[1])
        if known(oh, ow) and (oh < 1 or ow < 1):
            raise self.fail(f"output would be {oh}x{ow}: the padding removes more than the layer produces")
        kh, kw = self.kernel
        per_group = self.filters // self.groups
        weights = c * per_group * kh * kw
        macs = h * w * c * per_group * kh * kw
        biases = self.filters if self.bias else 0
        formula = f"{c}*{per_group}*{kh}*{kw}" + (f" + {self.filters}" if self.bias else "")
        return Facts(output=(self.filters, oh, ow), weights=weights, biases=biases, macs=macs,
                     flops=2 * macs + (oh * ow * self.filters if self.bias else 0), params_formula=formula,
                     rf_undefined=True, saves=KEEPS_INPUT)


@register("local", "locally_connected", "local_conv")
@dataclass(frozen=True, kw_only=True)
class LocallyConnected(Windowed):
    """Locally connected layer: a convolution whose weights are not shared (the slides' local connectivity).

    Every output position has its own filters, and its own bias (Keras LocallyConnected2D):
    weights H_out·W_out·K·(k_h·k_w·C_in), biases H_out·W_out·K; MACs and FLOPs as for a convolution.
    Backward keeps the unfolded input (im2col: H_out·W_out·k_h·k_w·C_in values, in a buffer of at least the
    zero-padded input's size), not the input itself, as cnncalc.verify builds it (unfold, one batched matmul).
    """

    KIND = "local"
    filters: int
    bias: bool = True

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        window = parse_window(opts)
        return {"filters": opts.count("filters"), "bias": opts.flag("bias", True), **window}

    def describe(self) -> str:
        return f"{self.window_text()}, unshared"

    def infer(self, shape: Shape) -> Facts:
        c, h, w = need_map(self, shape)
        oh, ow, untiled = self.out_hw(h, w)
        kh, kw = self.kernel
        fan_in = kh * kw * c
        outputs = oh * ow * self.filters
        macs = outputs * fan_in
        formula = f"{oh}*{ow}*({kh}*{kw}*{c})*{self.filters}" + (f" + {oh}*{ow}*{self.filters}" if self.bias else "")
        return Facts(output=(self.filters, oh, ow), weights=outputs * fan_in, biases=outputs if self.bias else 0,
                     macs=macs, flops=2 * macs + (outputs if self.bias else 0), params_formula=formula,
                     untiled=untiled, rf=self.rf_steps(), saves=self.saves(c, h, w, oh * ow * fan_in))

    def saves(self, c: int, h: int, w: int, columns: int) -> tuple[Saved, ...]:
        """The unfolded input (im2col), in the buffer im2col allocated: on the CPU the size of its (zero-padded)
        input, then resized, which never shrinks it, so max(C·H_p·W_p, columns)."""
        (top, bottom), (left, right) = self.pad
        padded = c * (h + top + bottom) * (w + left + right)
        if not known(columns, padded):  # symbolic sizes: no max to take (memory needs numbers)
            return (Saved("im2col columns", numel=columns),)
        return (Saved(f"im2col columns ({columns:,} values, buffer {max(columns, padded):,})",
                      numel=max(columns, padded), cast_numel=columns),)
