"""`cnncalc check`: one convolution or pooling window on one input, the slides' homework question.

"Does a 3×3 filter with stride 3 fit a 7×7 input?" — (N − F + 2P)/S + 1 must be a whole number.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from cnncalc import arithmetic
from cnncalc.errors import SpecError, shown
from cnncalc.layers.base import size_formula
from cnncalc.limits import MAX_SIZE, MAX_SIZE_TEXT

CANDIDATES = 1_000  # strides and pads tried for "fits instead"


@dataclass(frozen=True)
class AxisCheck:
    n: int
    kernel: int
    stride: int
    pad: int
    dilation: int
    formula: str
    exact: Fraction | None  # None when the window is larger than the padded input
    pytorch: int | None  # floor, or PyTorch's ceil mode with --ceil
    caffe_ceil: int | None  # Caffe's pooling rounding
    leftover: int

    @property
    def fits(self) -> bool:
        return self.exact is not None and self.exact.denominator == 1


@dataclass(frozen=True)
class CheckResult:
    height: AxisCheck
    width: AxisCheck
    channels: int | None
    filters: int | None
    pool: bool
    ceil: bool
    bias: bool
    fitting_strides: tuple[int, ...]
    fitting_pads: tuple[int, ...]
    fitting_inputs: tuple[int, ...]
    layer: str = "conv"  # one of LAYERS
    groups: int | str = 1  # an int, or "depthwise" (one group per input channel)
    output_padding: int = 0  # transposed only

    @property
    def fits(self) -> bool:
        return self.height.fits and self.width.fits

    @property
    def answered(self) -> bool:
        """A positive answer: the window tiles, or --ceil asked for ceil mode and ceil mode gives a size."""
        return self.fits or (self.ceil and self.output_size is not None)

    @property
    def overhang(self) -> tuple[int, int] | None:
        """In ceil mode, how far the last window hangs over the padded input's edge, per axis (0: it does not)."""
        if not self.ceil or self.output_size is None:
            return None
        return tuple(max(0, (out - 1) * a.stride + arithmetic.effective_kernel(a.kernel, a.dilation)
                         - (a.n + 2 * a.pad))
                     for out, a in zip(self.output_size, (self.height, self.width)))  # type: ignore[return-value]

    @property
    def cost(self) -> Cost | None:
        return layer_cost(self)

    @property
    def output_size(self) -> tuple[int, int] | None:
        if self.height.pytorch is None or self.width.pytorch is None:
            return None
        return self.height.pytorch, self.width.pytorch

    @property
    def output_channels(self) -> int | None:
        if self.pool or (self.groups == "depthwise" and self.filters is None):
            return self.channels  # depthwise without --filters: one filter per channel
        return self.filters

    @property
    def params(self) -> int | None:
        if self.pool:
            return 0
        cost = self.cost
        return None if cost is None else cost.params

    @property
    def params_formula(self) -> str | None:
        cost = None if self.pool else self.cost
        return None if cost is None else cost.params_formula


@dataclass(frozen=True)
class Cost:
    """What the layer costs on this input, from the layer's own class in cnncalc/layers (one place for the
    arithmetic): params with their formula, MACs with theirs (the slides' (H_out*W_out*K)*(F*F*C))."""

    params: int
    params_formula: str
    macs: int | None  # None when no window fits (a convolution's params are still known)
    macs_formula: str | None


def layer_cost(r: CheckResult) -> Cost | None:
    """None while the input's depth (or a convolution's filter count) is unknown, or no window fits at all."""
    if r.pool:
        return Cost(0, "0", 0, "0") if r.output_size is not None else None
    c = r.channels
    k = r.filters if r.filters is not None else (c if r.groups == "depthwise" else None)
    if c is None or k is None:
        return None
    h = r.height
    if r.output_size is None:  # the window is larger than the input: the filters still have their weights
        if r.layer != "conv" or r.groups != 1:
            return None
        formula = f"({h.kernel}*{h.kernel}*{c})*{k}" + (f" + {k}" if r.bias else "")
        return Cost(h.kernel * h.kernel * c * k + (k if r.bias else 0), formula, None, None)
    from cnncalc.layers.conv import Conv, ConvTranspose, LocallyConnected

    w = r.width
    window = {"kernel": (h.kernel, h.kernel), "stride": (h.stride, h.stride), "dilation": (h.dilation, h.dilation)}
    pad = h.pad
    if r.layer == "transposed":
        groups = int(r.groups) if r.groups != "depthwise" else c
        layer = ConvTranspose(name="check", filters=k, pad=(pad, pad), output_padding=(r.output_padding,) * 2,
                              groups=groups, bias=r.bias, **window)
        per_group = k // groups
        macs_formula = f"({h.n}*{w.n}*{c})*({per_group}*{h.kernel}*{h.kernel})"
    elif r.layer == "local":
        layer = LocallyConnected(name="check", filters=k, pad=((pad, pad), (pad, pad)), bias=r.bias, **window)
        macs_formula = "({}*{}*{})*({}*{}*{})".format(*r.output_size, k, h.kernel, h.kernel, c)
    else:
        layer = Conv(name="check", filters=k, groups=r.groups, pad=((pad, pad), (pad, pad)), bias=r.bias, **window)
        depth = c if r.groups == 1 else c // (c if r.groups == "depthwise" else int(r.groups))
        macs_formula = "({}*{}*{})*({}*{}*{})".format(*r.output_size, k, h.kernel, h.kernel, depth)
    facts = layer.infer((c, h.n, w.n))
    return Cost(facts.weights + facts.biases, facts.params_formula, facts.macs, macs_formula)


LAYERS = ("conv", "pool", "transposed", "local")


def transposed_axis(n: int, k: int, s: int, p: int, d: int, output_padding: int) -> AxisCheck:
    """A transposed convolution always has a whole output size: (N − 1)·S − 2P + d(F − 1) + OP + 1 (PyTorch)."""
    out = arithmetic.transposed_output(n, k, s, p, d, output_padding)
    formula = f"({n} − 1)·{s} − 2·{p} + {d}·({k} − 1) + {output_padding} + 1"
    if out < 1:
        raise SpecError(f"the output would be {out}: the padding removes more than the layer produces", field="pad")
    return AxisCheck(n, k, s, p, d, formula, Fraction(out), out, None, 0)


def check_axis(n: int, k: int, s: int, p: int, d: int, ceil: bool) -> AxisCheck:
    span = arithmetic.effective_kernel(k, d)
    formula = size_formula(n, k, s, 2 * p, d)
    if span > n + 2 * p:
        return AxisCheck(n, k, s, p, d, formula, None, None, None, 0)
    return AxisCheck(
        n, k, s, p, d, formula, arithmetic.exact_output(n, k, s, 2 * p, d),
        arithmetic.pool_output(n, k, s, p, d, ceil_mode=ceil),
        arithmetic.caffe_pool_output(n, span, s, p),
        arithmetic.leftover(n, k, s, 2 * p, d),
    )


def check_options(**values: int) -> None:
    """Each value positive (pad: zero or more) and at most MAX_SIZE; the field is the option's name."""
    for label, value in values.items():
        low = 0 if label == "pad" else 1
        if value < low:
            raise SpecError(f"must be {'positive' if low else 'zero or more'}, got {shown(value)}", field=label)
        if value > MAX_SIZE:
            raise SpecError(f"must be at most {MAX_SIZE_TEXT}, got {shown(value)}", field=label)


def check(height: int, width: int, *, channels: int | None = None, kernel: int = 3, stride: int = 1, pad: int = 0,
          dilation: int = 1, filters: int | None = None, pool: bool = False, ceil: bool = False,
          bias: bool = True, layer: str = "conv", groups: int | str = 1, output_padding: int = 0) -> CheckResult:
    """The window on the input; `layer` (LAYERS) picks the layer type: "pool" is the same as pool=True."""
    pool = pool or layer == "pool"
    layer = "pool" if pool else layer
    if layer not in ("conv", "pool") or groups != 1:
        _check_kind(layer, groups, channels, filters, ceil, output_padding, stride, dilation)
    if layer == "transposed":
        check_options(input=min(height, width), filter=kernel, stride=stride, pad=pad, dilation=dilation)
        return CheckResult(
            height=transposed_axis(height, kernel, stride, pad, dilation, output_padding),
            width=transposed_axis(width, kernel, stride, pad, dilation, output_padding),
            channels=channels, filters=filters, pool=False, ceil=False, bias=bias, fitting_strides=(),
            fitting_pads=(), fitting_inputs=(), layer=layer, groups=groups, output_padding=output_padding)
    check_options(input=min(height, width), filter=kernel, stride=stride, pad=pad, dilation=dilation,
                  channels=1 if channels is None else channels, filters=1 if filters is None else filters)
    check_options(input=max(height, width))
    if pool and filters is not None:
        raise SpecError("a pooling window has no filters; drop --filters or --pool", field="filters")

    def fits(n: int, s: int, p: int) -> bool:
        span = arithmetic.effective_kernel(kernel, dilation)
        return span <= n + 2 * p and arithmetic.leftover(n, kernel, s, 2 * p, dilation) == 0

    # The alternatives scan at most CANDIDATES strides and pads (all of them for any kernel or stride below it);
    # the nearest fitting inputs are found in closed form, so no loop runs in proportion to a size typed.
    sides = {height, width}
    strides = tuple(s for s in range(1, min(max(kernel, stride) + 2, CANDIDATES + 1))
                    if all(fits(n, s, pad) for n in sides))
    pads = tuple(p for p in range(min(kernel + 1, CANDIDATES + 1)) if all(fits(n, stride, p) for n in sides))
    residue = arithmetic.effective_kernel(kernel, dilation) - 2 * pad  # n fits when n ≥ it and n ≡ it (mod stride)
    top = min(sides) - 1  # below: the largest such n ≤ top
    nearest = top - (top - residue) % stride
    below = nearest if nearest >= max(1, residue) else None
    start = max(max(sides) + 1, residue, 1)  # above: the smallest such n ≥ start
    above = start + (residue - start) % stride
    return CheckResult(
        height=check_axis(height, kernel, stride, pad, dilation, ceil),
        width=check_axis(width, kernel, stride, pad, dilation, ceil),
        channels=channels, filters=filters, pool=pool, ceil=ceil, bias=bias,
        fitting_strides=strides, fitting_pads=pads,
        fitting_inputs=tuple(n for n in (below, above) if n is not None), layer=layer, groups=groups,
    )


def _check_kind(layer: str, groups: int | str, channels: int | None, filters: int | None, ceil: bool,
                output_padding: int, stride: int, dilation: int) -> None:
    """The combinations a homework question can ask, and a plain error for the others."""
    if layer == "pool" and groups != 1:
        raise SpecError("a pooling window has no groups; drop --groups/--depthwise or --pool", field="groups")
    if layer == "local" and groups != 1:
        raise SpecError("a locally connected layer has no groups", field="groups")
    if ceil and layer in ("transposed", "local"):
        raise SpecError("ceil mode is for pooling (and a floor-mode convolution's question)", field="ceil")
    if output_padding and layer != "transposed":
        raise SpecError("output padding belongs to a transposed convolution (--transposed)", field="output-padding")
    if output_padding >= max(stride, dilation) and layer == "transposed":
        raise SpecError(f"must be smaller than the stride or the dilation (as in PyTorch), got {shown(output_padding)}",
                        field="output-padding")
    if isinstance(groups, int) and groups < 1:
        raise SpecError(f"must be positive, got {shown(groups)}", field="groups")
    if isinstance(groups, int) and groups > 1 and channels is not None and channels % groups:
        raise SpecError(f"{shown(channels)} input channels are not divisible by {shown(groups)} groups",
                        field="groups")
    if isinstance(groups, int) and groups > 1 and filters is not None and filters % groups:
        raise SpecError(f"{shown(filters)} filters are not divisible by {shown(groups)} groups", field="groups")
