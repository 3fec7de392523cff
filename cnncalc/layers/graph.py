"""Containers: sequences, repeats, parallel branches joined by concatenation, residual additions, dense blocks,
gates (x · body(x)) and channel splits; and items parsed only once the shape reaching them is known (Deferred).

They hold layers and have no arithmetic of their own; analysis.walk carries shapes through them and adds the
join rows (a concatenation, an addition, a product) whose cost is stated here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from cnncalc.arithmetic.sizes import known
from cnncalc.layers.base import Layer, Shape
from cnncalc.layers.conv import Conv
from cnncalc.layers.crop import Crop
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


ADD_FORMS = ("inplace", "new")


@dataclass(frozen=True, kw_only=True)
class Residual(Container):
    """out = after(body(x) + shortcut(x)) (He et al. 2016).

    The shortcut is the identity, explicit layers, or `auto`: the identity when the shapes agree, else a
    projection (the paper's option B: 1×1 conv with the stride that matches, then batch norm).
    The addition is one FLOP per element. `add: inplace` (the default) is torchvision's ResNet, EfficientNet and
    ConvNeXt: the body runs first, then the shortcut, and `out += identity` writes into the body's output.
    `add: new` is torchvision's RegNet, MobileNetV2 and MNASNet (`proj(x) + f(x)`, `x + self.conv(x)`): the
    shortcut runs first and the sum is a new tensor. Both give the same params, MACs and saved tensors; they differ
    in the order of the rows and in the activations and inference peak.
    """

    KIND = "residual"
    body: Sequence
    shortcut: Sequence | None  # None: identity, or a projection when `auto` and the shapes differ
    auto: bool = False
    after: Sequence | None = None
    add: str = "inplace"  # one of ADD_FORMS


@dataclass(frozen=True, kw_only=True)
class Dense(Container):
    """A dense block (Huang et al. 2017): x ← concat(x, body(x)), `count` times, so channels grow by the
    body's output each time. Each concatenation is a new tensor."""

    KIND = "dense"
    body: Layer
    count: int


@dataclass(frozen=True, kw_only=True)
class Gate(Container):
    """out = x · body(x), the body's C×1×1 (or C×H×W) output broadcast over H×W: squeeze-and-excitation
    (Hu et al. 2018; torchvision's SqueezeExcitation returns `scale * input`).

    The product is one FLOP per element of x and a new tensor; autograd keeps each factor for the other's
    gradient (x when the body's output needs one, the body's output when x does)."""

    KIND = "gate"
    body: Sequence


@dataclass(frozen=True, kw_only=True)
class Split(Container):
    """ShuffleNetV2's `x1, x2 = x.chunk(2, dim=1); out = cat(x1, branch(x2))`: the channels cut into `sizes`,
    each chunk to its own branch, the branches' outputs concatenated along the channels.

    A chunk is a view of x (no new tensor, no cost; a layer that keeps it keeps x's whole storage); the
    concatenation is a new tensor, as in Concat. Rows: `name.split` (the cut, at the input), the branches,
    `name.concat`."""

    KIND = "split"
    sizes: tuple[int, ...] | None  # None: `chunks` equal parts (the channels must divide)
    chunks: int
    branches: tuple[Sequence, ...]

    def chunk_sizes(self, channels: int) -> tuple[int, ...] | str:
        """The channels of each chunk, or why they cannot be cut so."""
        if self.sizes is not None:
            if sum(self.sizes) != channels:
                return (f"sizes {list(self.sizes)} add up to {sum(self.sizes)}, but {channels} channels reach the "
                        "split")
            return self.sizes
        if channels % self.chunks:
            return (f"{channels} channels do not split into {self.chunks} equal chunks (give sizes: [...] for an "
                    "uneven split)")
        return (channels // self.chunks,) * self.chunks


@dataclass(frozen=True, kw_only=True)
class Deferred(Container):
    """An item whose own values use `$in_channels`, `$in_height` or `$in_width`: kept unparsed until the shape
    reaching it is known. `expand(shape)` parses it then (memoised per shape by the parser), giving the node, or
    None when its `when:` is false or its `repeat:` is 0. Every walk over a spec (analysis, the torch builder)
    calls `resolve` on the item before it looks at it."""

    KIND = "deferred"
    item_kind: str  # the item's type key: unnamed items are numbered by it, as parsed items are
    expand: Callable[[Shape], Layer | None] = field(compare=False, repr=False)
    optional: bool = False  # it has a `when:` that depends on the shape: its name may repeat an alternative's
    # shape → the named node: a repeat of 100,000 blocks parses each once, and walkers that key their memo on
    # a node's id see the same object every time
    memo: dict[Shape, Layer | None] = field(default_factory=dict, compare=False, repr=False)

    @property
    def kind(self) -> str:
        return self.item_kind


def resolve(node: Layer, shape: Shape) -> Layer | None:
    """The concrete node an item is at this input shape (None: left out); a concrete node is itself."""
    if not isinstance(node, Deferred):
        return node
    if shape not in node.memo:
        found = node.expand(shape)
        node.memo[shape] = None if found is None else replace(found, name=node.name)
    return node.memo[shape]


def crop_to(branch: Sequence, size: tuple[int, int]) -> Sequence:
    """A concat branch with its `crop: match` items given the size of the concat's other branches."""
    if not any(isinstance(item, Crop) and item.size is None for item in branch.items):
        return branch
    return replace(branch, items=tuple(replace(item, size=size) if isinstance(item, Crop) and item.size is None
                                       else item for item in branch.items))


def crops_to_match(branch: Sequence) -> bool:
    return any(isinstance(item, Crop) and item.size is None for item in branch.items)


def projection(in_shape: Shape, out_shape: Shape, body_stride: int | None = None,
               name: str = "shortcut") -> Sequence | None:
    """The 1×1 conv + batch norm that maps in_shape to out_shape, or None when no integer stride does.

    Its stride is the body's (the product of its layers' strides, as torchvision passes the block's stride);
    for numbers it is checked against the sizes, and found from them when the body does not say."""
    if len(in_shape) != 3 or len(out_shape) != 3:
        return None
    _c, h, w = in_shape
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
