"""Containers: sequences, repeats, parallel branches joined by concatenation, residual additions and dense blocks.

They hold layers and have no arithmetic of their own; analysis.walk carries shapes through them and adds the
join rows (a concatenation, an addition) whose cost is stated here.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.arithmetic.sizes import known
from cnncalc.layers.base import Layer, Shape
from cnncalc.layers.conv import Conv
from cnncalc.layers.elementwise import BatchNorm


@dataclass(frozen=True, kw_only=True)
class Container(Layer):
    block: str = ""  # the block this node instantiates ("inception", "bottleneck"), for tables and grouping

    @property
    def kind(self) -> str:
        return self.block or self.KIND


@dataclass(frozen=True, kw_only=True)
class Sequence(Container):
    KIND = "sequence"
    items: tuple[Layer, ...]


@dataclass(frozen=True, kw_only=True)
class Repeat(Container):
    """`count` copies of a body; the first may differ (a stage's first block strides or projects)."""

    KIND = "repeat"
    first: Layer
    rest: Layer
    count: int


@dataclass(frozen=True, kw_only=True)
class Concat(Container):
    """Parallel branches on the same input, joined by channel concatenation (inception).

    The join is a new tensor (torch.cat copies): its elements count as activations; it costs no FLOPs.
    """

    KIND = "concat"
    branches: tuple[Sequence, ...]


@dataclass(frozen=True, kw_only=True)
class Residual(Container):
    """out = after(body(x) + shortcut(x)) (He et al. 2016).

    The shortcut is the identity, explicit layers, or `auto`: the identity when the shapes agree, else a
    projection (the paper's option B: 1×1 conv with the stride that matches, then batch norm).
    The addition is one FLOP per element and, as torchvision writes it (`out += identity`), in place.
    """

    KIND = "residual"
    body: Sequence
    shortcut: Sequence | None  # None: identity, or a projection when `auto` and the shapes differ
    auto: bool = False
    after: Sequence | None = None


@dataclass(frozen=True, kw_only=True)
class Dense(Container):
    """A dense block (Huang et al. 2017): x ← concat(x, body(x)), `count` times, so channels grow by the
    body's output each time. Each concatenation is a new tensor."""

    KIND = "dense"
    body: Layer
    count: int


def projection(in_shape: Shape, out_shape: Shape, body_stride: int | None = None,
               name: str = "shortcut") -> Sequence | None:
    """The 1×1 conv + batch norm that maps in_shape to out_shape, or None when no integer stride does.

    Its stride is the body's (the product of its layers' strides, as torchvision passes the block's stride);
    for numbers it is checked against the sizes, and found from them when the body does not say."""
    if len(in_shape) != 3 or len(out_shape) != 3:
        return None
    c, h, w = in_shape
    k, oh, ow = out_shape
    if not known(h, w, oh, ow):
        stride = body_stride
        if stride is None:
            return None
    else:
        if oh > h or ow > w:
            return None
        stride = body_stride or (h - 1) // oh + 1  # else the smallest stride with (h − 1)//s + 1 == oh
        if (h - 1) // stride + 1 != oh or (w - 1) // stride + 1 != ow:
            return None
    conv = Conv(name="conv", filters=k, kernel=(1, 1), stride=(stride, stride), bias=False)
    return Sequence(name=name, items=(conv, BatchNorm(name="bn")))
