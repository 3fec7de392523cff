"""What every layer type provides, the facts it returns, and the registry that maps YAML names to types."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Callable, ClassVar, TypeVar

from cnncalc import arithmetic
from cnncalc.errors import ShapeError

if TYPE_CHECKING:
    from cnncalc.spec.options import Options

Shape = tuple[int, ...]
"""Per-sample tensor shape: (C, H, W) for feature maps, (N,) for flat vectors; PyTorch order."""

Pair = tuple[int, int]
"""(height, width) of a kernel, stride or dilation."""

Padding = tuple[Pair, Pair]
"""((top, bottom), (left, right)): PyTorch's 'same' padding can be asymmetric."""

RFStep = tuple[int, int, int]
"""(effective kernel, stride, padding before) of a layer on one axis, for receptive fields."""


def global_rf(shape: Shape) -> tuple[RFStep, RFStep] | None:
    """A unit that sees the whole C×H×W input: a window as large as the map (pooling, fc, flatten)."""
    return ((shape[1], 1, 0), (shape[2], 1, 0)) if len(shape) == 3 else None


def numel(shape: Shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def show_shape(shape: Shape) -> str:
    """The slides' notation: 55x55x96 (H×W×C) for feature maps, 4096 for vectors. A symbolic size is written
    as a person writes it, each formula in parentheses and the axes joined by " × ", so that
    `(floor(H/2 − 1/2) + 1) × (floor(W/2 − 1/2) + 1) × 64` cannot be misread as one product."""
    dims = (shape[1], shape[2], shape[0]) if len(shape) == 3 else tuple(shape)
    if all(isinstance(d, int) for d in dims):
        return "x".join(str(d) for d in dims)
    from cnncalc.arithmetic.printing import human  # only here: sympy is loaded once a size is symbolic

    def one(d: object) -> str:
        text = human(d)
        return text if len(dims) == 1 or isinstance(d, int) or text.isidentifier() or _one_call(text) \
            else f"({text})"

    return " × ".join(one(d) for d in dims)


def _one_call(text: str) -> bool:
    """'floor((H − 11)/8)': one function call, already bracketed (its first '(' closes at the end)."""
    head, paren, _ = text.partition("(")
    if not paren or not head.isidentifier():
        return False
    depth = 0
    for i, ch in enumerate(text[len(head):]):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return i == len(text) - len(head) - 1
    return False


@dataclass(frozen=True)
class Untiled:
    """One axis on which a floor-mode window leaves the last input rows/columns unread."""

    axis: str
    n: int
    kernel: int
    stride: int
    pad_total: int
    dilation: int

    @property
    def exact(self) -> Fraction:
        return arithmetic.exact_output(self.n, self.kernel, self.stride, self.pad_total, self.dilation)

    @property
    def leftover(self) -> int:
        return arithmetic.leftover(self.n, self.kernel, self.stride, self.pad_total, self.dilation)

    def formula(self) -> str:
        """The slides' hint, e.g. (224 − 11 + 2·0)/4 + 1 = 54.25."""
        return f"{size_formula(self.n, self.kernel, self.stride, self.pad_total, self.dilation)} = {show_fraction(self.exact)}"


def size_formula(n: int, k: int, s: int, pad_total: int, d: int = 1) -> str:
    """(W − F + 2P)/S + 1 with the numbers in; an odd total padding is written as its sum."""
    kernel = str(k) if d == 1 else f"{arithmetic.effective_kernel(k, d)}"
    pad = f"2·{pad_total // 2}" if pad_total % 2 == 0 else f"{pad_total}"
    return f"({n} − {kernel} + {pad})/{s} + 1"


def show_fraction(x: Fraction) -> str:
    """An exact quotient as the slides print it: 55, or 54.25, or 2.33 (two decimals when it repeats)."""
    if x.denominator == 1:
        return str(x.numerator)
    text = f"{float(x):.6f}".rstrip("0")
    return text if len(text.split(".")[1]) <= 2 else f"{float(x):.2f}"


@dataclass(frozen=True)
class Saved:
    """One tensor autograd keeps for this layer's backward pass in training, as measured on the CPU with
    torch.autograd.graph.saved_tensors_hooks (docs/conventions.md, "Training memory"); memory.py prices it.

    tensor "input" or "output": the layer's own input or result, which other layers may keep too (one tensor,
    counted once). tensor "": a tensor of the layer's own (indices, a mask, an intermediate): `numel` elements
    per sample (in all when per_sample is False) of `itemsize` bytes (0: the spec's dtype); `cuda_itemsize`,
    where CUDA keeps another element type (with cuda_at_least, only where the dtype is narrower); `cast_numel`,
    the elements it has when autocast casts it to another dtype (a fresh tensor: im2col's buffer is not kept).
    """

    what: str
    tensor: str = ""
    numel: int = 0
    itemsize: int = 0
    per_sample: bool = True
    cuda_itemsize: int | None = None
    cuda_at_least: bool = False
    cast_numel: int = 0


KEEPS_INPUT = (Saved("input", "input"),)
KEEPS_OUTPUT = (Saved("output", "output"),)


@dataclass(frozen=True)
class Facts:
    """What one layer does to one sample: its output and what it costs.

    Conventions (docs/conventions.md): MACs count the multiply-accumulates of conv, transposed conv, fully
    connected and locally connected layers, bias adds excluded; FLOPs = 2·MACs + bias adds + the element-wise
    work each layer states in its docstring.
    """

    output: Shape
    weights: int = 0
    biases: int = 0
    buffers: int = 0
    macs: int = 0
    flops: int = 0
    new_tensor: bool = True
    params_formula: str = "0"
    note: str = ""
    untiled: tuple[Untiled, ...] = ()
    # Receptive-field step per axis (effective kernel, stride, padding before) — Araujo et al., Distill 2019;
    # None: the layer keeps positions (element-wise); rf_undefined: no single kernel/stride describes it.
    rf: tuple[RFStep, RFStep] | None = None
    rf_undefined: bool = False
    # What autograd keeps for the backward pass in training (memory.py prices each Saved); a layer with no
    # parameters whose input needs no gradient keeps nothing (autograd records no node for it).
    saves: tuple[Saved, ...] = ()
    # In training the layer writes a new tensor although at inference it is the identity (dropout, p > 0).
    training_copy: bool = False


@dataclass(frozen=True, kw_only=True)
class Layer:
    """A validated layer spec; subclasses add their hyper-parameters and their arithmetic."""

    name: str
    line: int | None = field(default=None, compare=False)
    path: str = field(default="", compare=False)
    paper: tuple[tuple[str, str], ...] = field(default=(), compare=False)  # a paper's own figures for this row
    expect: tuple[tuple[str, str], ...] = field(default=(), compare=False)  # expected answers (`expect:`)

    KIND: ClassVar[str] = ""

    @classmethod
    def parse(cls, kind: str, opts: Options) -> dict[str, object]:
        """Read this type's options into constructor keywords; unknown options are reported by the caller."""
        return {}

    @property
    def kind(self) -> str:
        return self.KIND

    def describe(self) -> str:
        """Hyper-parameters in a few words, e.g. '3x3/1 pad 1, 64 filters'."""
        return ""

    def infer(self, shape: Shape) -> Facts:
        raise NotImplementedError

    def fail(self, message: str) -> ShapeError:
        return ShapeError(message, line=self.line, field=self.path or self.name)


L = TypeVar("L", bound=type[Layer])

LAYER_TYPES: dict[str, type[Layer]] = {}


def register(*names: str) -> Callable[[L], L]:
    """Make a layer type available under these YAML names; a name registered twice is a bug."""

    def add(cls: L) -> L:
        for name in names:
            if name in LAYER_TYPES:
                raise RuntimeError(f"layer type {name!r} registered twice")
            LAYER_TYPES[name] = cls
        if not cls.KIND:
            cls.KIND = names[0]
        return cls

    return add


def need_map(layer: Layer, shape: Shape) -> tuple[int, int, int]:
    """Unpack (C, H, W) or explain that this layer needs a feature map, not a vector."""
    if len(shape) != 3:
        raise layer.fail(f"{layer.KIND} needs a CxHxW feature map, got a flat vector of {show_shape(shape)}")
    c, h, w = shape
    return c, h, w


def pair_text(p: Pair) -> str:
    return str(p[0]) if p[0] == p[1] else f"{p[0]}x{p[1]}"


def pad_text(p: Padding) -> str:
    (t, b), (l, r) = p
    if t == b == l == r:
        return str(t)
    if t == b and l == r:
        return f"{t}x{l}"
    return f"{t},{b},{l},{r}"
