"""A centre crop: `crop: {size: [h, w]}`, or `crop: match` inside a concat branch (U-Net's crop-and-copy).

Offsets floor((H − h)/2) on top and floor((W − w)/2) on the left, as torchvision.transforms.CenterCrop places
its window on an integer difference and Ronneberger et al.'s U-Net crops the contracting path's map to the
expanding path's. The crop is a slice of its input (`x[:, :, top:top + h, left:left + w]`): a view, no new
tensor, no FLOPs, and nothing kept for backward — though a layer that keeps the view keeps its whole storage
(memory.py counts storages). Its receptive-field step is a 1×1 window moved in by the offset (a negative
padding).

`crop: match` takes its size from the other branches of the concat it sits in: analysis.Walker (and the torch
builder) walk those first and then the crop's branch with the size known (cnncalc.layers.graph.crop_to).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cnncalc.arithmetic.sizes import known
from cnncalc.errors import SpecError
from cnncalc.layers.base import Facts, Layer, Shape, need_map, register, show_shape
from cnncalc.spec.options import type_name

if TYPE_CHECKING:
    from cnncalc.spec.options import Options


@register("crop", "center_crop", "centercrop")
@dataclass(frozen=True, kw_only=True)
class Crop(Layer):
    KIND = "crop"
    size: tuple[int, int] | None = None  # None: `match`, the size of the other branches of the enclosing concat

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        if opts.has("to"):
            to = opts.take("to")
            if to != "concat":
                raise opts.error("to", f"crop: {{to: concat}} is the only target, got {type_name(to)}")
            return {"size": None}
        return {"size": opts.pair("size")}

    def describe(self) -> str:
        if self.size is None:
            return "to the concat's size"
        return f"centre {self.size[0]}x{self.size[1]}"

    def infer(self, shape: Shape) -> Facts:
        if self.size is None:
            raise SpecError("crop: match crops to the other branches of the concat it sits in; this crop is not "
                            "an item of a concat's branch (write crop: {size: [h, w]})", line=self.line,
                            field=self.path or self.name)
        c, h, w = need_map(self, shape)
        th, tw = self.size
        for axis, n, t in (("height", h, th), ("width", w, tw)):
            if known(n, t) and t > n:
                raise self.fail(f"cannot crop {show_shape(shape)} to {th}x{tw}: the {axis} {t} is larger than "
                                f"the input's {n}")
        top, left = (h - th) // 2, (w - tw) // 2
        rf = ((1, 1, -top), (1, 1, -left)) if known(top, left) else None
        return Facts(output=(c, th, tw), new_tensor=False, note=f"a view at offset {top},{left}: no new tensor",
                     rf=rf, rf_undefined=rf is None)

    def offsets(self, shape: Shape) -> tuple[int, int]:
        assert self.size is not None
        return (shape[1] - self.size[0]) // 2, (shape[2] - self.size[1]) // 2
