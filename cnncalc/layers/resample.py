"""Layers that move values without weights: upsampling, pixel shuffle (depth to space), channel shuffle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cnncalc.layers.base import Facts, Layer, Pair, Shape, need_map, pair_text, register
from cnncalc.spec.options import type_name

if TYPE_CHECKING:
    from cnncalc.spec.options import Options

UPSAMPLE_MODES = ("nearest", "bilinear")
BILINEAR_FLOPS = 11  # per output element, as thop counts bilinear interpolation (4 weights, 4 products, 3 adds)


@register("upsample", "interpolate")
@dataclass(frozen=True, kw_only=True)
class Upsample(Layer):
    """nn.Upsample: `scale` (a whole number, or [sh, sw]; default 2) gives H·sh × W·sw (PyTorch's floor(H·scale), exact for
    whole scales); `size: [H, W]` gives that size. `mode` nearest (default) or bilinear (`align_corners`,
    default false). No parameters.

    FLOPs (a convention): nearest 0 (a copy); bilinear 11 per output element, as thop counts it. A new tensor;
    backward keeps nothing (measured: the gradient needs only the sizes). A pixel of the output has no single
    kernel and stride in the input (the stride is a fraction), so the receptive field ends here ("—").
    """

    KIND = "upsample"
    mode: str = "nearest"
    scale: Pair | None = None
    size: Pair | None = None
    align_corners: bool = False

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        mode = opts.take("mode", "nearest")
        if mode not in UPSAMPLE_MODES:
            raise opts.error("mode", f"must be nearest or bilinear, got {type_name(mode)}")
        if opts.has("scale") and opts.has("size"):
            raise opts.error("size", "give one of scale (a factor) and size ([height, width]), not both")
        scale = None if opts.has("size") else opts.pair("scale", 2)
        size = opts.pair("size") if opts.has("size") else None
        align = opts.flag("align_corners", False)
        if align and mode != "bilinear":
            raise opts.error("align_corners", "applies to bilinear upsampling only (PyTorch refuses it for nearest)")
        return {"mode": mode, "scale": scale, "size": size, "align_corners": align}

    def describe(self) -> str:
        how = f"×{pair_text(self.scale)}" if self.scale else f"to {self.size[0]}x{self.size[1]}" if self.size else ""
        return f"{self.mode} {how}" + (" align corners" if self.align_corners else "")

    def infer(self, shape: Shape) -> Facts:
        c, h, w = need_map(self, shape)
        if self.scale is not None:
            oh, ow = h * self.scale[0], w * self.scale[1]
        else:
            assert self.size is not None
            oh, ow = self.size
        out = (c, oh, ow)
        flops = c * oh * ow * BILINEAR_FLOPS if self.mode == "bilinear" else 0
        return Facts(output=out, flops=flops, rf_undefined=True)


@register("pixel_shuffle", "pixelshuffle", "depth_to_space")
@dataclass(frozen=True, kw_only=True)
class PixelShuffle(Layer):
    """nn.PixelShuffle(r) (Shi et al. 2016): C×H×W → C/r²×rH×rW; C must be divisible by r².

    A new tensor (a copy in the new order), 0 FLOPs, no parameters; backward keeps nothing. The receptive field
    ends here: an output pixel reads one input position at a fractional stride.
    """

    KIND = "pixel_shuffle"
    factor: int

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        return {"factor": opts.count("factor")}

    def describe(self) -> str:
        return f"factor {self.factor}"

    def infer(self, shape: Shape) -> Facts:
        c, h, w = need_map(self, shape)
        r2 = self.factor * self.factor
        if c % r2:
            raise self.fail(f"{c} channels are not divisible by the factor squared, {self.factor}² = {r2}")
        return Facts(output=(c // r2, h * self.factor, w * self.factor), rf_undefined=True)


@register("channel_shuffle", "channelshuffle")
@dataclass(frozen=True, kw_only=True)
class ChannelShuffle(Layer):
    """ShuffleNet's channel shuffle (Zhang et al. 2018), nn.ChannelShuffle(G) or torchvision's
    view → transpose → contiguous: the channels reordered as a G×(C/G) matrix transposed; C divisible by G.

    Same shape, a new tensor (the contiguous copy), 0 FLOPs, no parameters; backward keeps nothing. Positions are
    kept, so the receptive field is unchanged.
    """

    KIND = "channel_shuffle"
    groups: int

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        return {"groups": opts.count("groups")}

    def describe(self) -> str:
        return f"{self.groups} groups"

    def infer(self, shape: Shape) -> Facts:
        c, _, _ = need_map(self, shape)
        if c % self.groups:
            raise self.fail(f"{c} channels are not divisible into {self.groups} groups")
        return Facts(output=shape)
