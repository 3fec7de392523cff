"""A layer cnncalc cannot count: an op of an imported model with no spec equivalent (`cnncalc import --opaque`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cnncalc.layers.base import Facts, Layer, Shape, register, show_shape
from cnncalc.limits import MAX_NAME

if TYPE_CHECKING:
    from cnncalc.spec.options import Options


@register("opaque")
@dataclass(frozen=True, kw_only=True)
class Opaque(Layer):
    """`opaque: {output: [C, H, W], op: Foo}`: an op whose output shape is known (from ONNX shape inference) and
    whose costs are not: it counts 0 params, 0 MACs, 0 FLOPs, and its row says so. Its output is a new tensor.
    `cnncalc verify` cannot build it (there is no torch module to build)."""

    KIND = "opaque"
    output: Shape
    op: str = ""

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        raw = opts.take("output")
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = [raw]
        if not isinstance(raw, list) or len(raw) not in (1, 3):
            raise opts.error("output", "must be [C, H, W] or [F] (the op's output per sample)")
        output = tuple(opts._int("output", v, 1) for v in raw)
        op = opts.take("op", "")
        if not isinstance(op, str) or len(op) > MAX_NAME:
            raise opts.error("op", f"must be the op's name, at most {MAX_NAME} characters")
        return {"output": output, "op": op}

    def describe(self) -> str:
        return f"{self.op or 'opaque'}: costs not counted"

    def infer(self, shape: Shape) -> Facts:
        return Facts(output=self.output, note=f"{self.op or 'an opaque op'} on {show_shape(shape)}: its params, "
                     "MACs and FLOPs are not counted (cnncalc import --opaque)")
