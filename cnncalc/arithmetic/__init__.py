"""Output-size formulas, one per rule, each citing where the rule comes from.

Everything here works on one spatial axis; layers call these for height and width separately. A size is an int
or, for a symbolic input, a sympy expression (cnncalc.arithmetic.sizes): the same formula serves both, and the
few operations that differ between them (gcd, "is this a number?") are taken from sizes.
"""

from __future__ import annotations

from fractions import Fraction

from cnncalc.arithmetic.sizes import Size, ceil_div, floor_div, gcd, known
from cnncalc.errors import SpecError


def effective_kernel(k: int, d: int = 1) -> int:
    """A dilated kernel spans k + (k − 1)(d − 1) input pixels (Dumoulin & Visin, relation 6)."""
    return k + (k - 1) * (d - 1)


def exact_output(n: int, k: int, s: int, pad_total: int, d: int = 1) -> Fraction:
    """The slides' (W − F + 2P)/S + 1 before any rounding; an integer exactly when the layer tiles."""
    return Fraction(n + pad_total - effective_kernel(k, d), s) + 1


def leftover(n: Size, k: int, s: int, pad_total: int, d: int = 1) -> Size:
    """Input rows/columns never read by a floor-mode window: (W + 2P − F_eff) mod S (0 when it tiles)."""
    return (n + pad_total - effective_kernel(k, d)) % s


def conv_output(n: Size, k: int, s: int = 1, pad_total: int = 0, d: int = 1) -> Size:
    """PyTorch Conv2d: floor((in + 2p − d(k−1) − 1)/s) + 1; Caffe's convolution floors the same way."""
    return floor_div(n + pad_total - effective_kernel(k, d), s) + 1


def pool_output(n: Size, k: int, s: int, pad: int = 0, d: int = 1, ceil_mode: bool = False) -> Size:
    """PyTorch MaxPool2d/AvgPool2d (aten Pool.h, pooling_output_shape).

    In ceil mode the count rounds up, then the last window is dropped when it would start inside the
    right padding: if (out − 1)·s ≥ in + p, out −= 1.
    """
    span = n + 2 * pad - effective_kernel(k, d)
    if not ceil_mode:
        return floor_div(span, s) + 1
    out = ceil_div(span, s) + 1
    if not known(n):  # a symbol: the drop below is impossible when k_eff ≥ pad + s, since
        if effective_kernel(k, d) >= pad + s:  # (out − 1)·s ≤ n + 2p − k + s − 1 < n + p
            return out
        raise SpecError("a ceil-mode window that may start in the padding (kernel < pad + stride) has no single "
                        "formula for a symbolic size; give the input as a number")
    if (out - 1) * s >= n + pad:
        out -= 1
    return out


def caffe_pool_output(n: int, k: int, s: int, pad: int = 0) -> int:
    """Caffe PoolingLayer (pooling_layer.cpp): always ceil, minus one if the last window starts in the padding."""
    out = ceil_div(n + 2 * pad - k, s) + 1
    if pad > 0 and (out - 1) * s >= n + pad:
        out -= 1
    return out


def transposed_output(n: Size, k: int, s: int = 1, pad: int = 0, d: int = 1, output_padding: int = 0) -> Size:
    """PyTorch ConvTranspose2d (guide, relation 14): (in − 1)·s − 2p + d(k − 1) + output_padding + 1."""
    return (n - 1) * s - 2 * pad + d * (k - 1) + output_padding + 1


def same_padding(k: int, d: int = 1) -> tuple[int, int]:
    """PyTorch padding='same' (stride 1 only): total d(k − 1), left total//2, the odd pixel on the right."""
    total = d * (k - 1)
    return total // 2, total - total // 2


def adaptive_window_total(n: Size, out: int) -> Size:
    """Σ over i < out of the lengths of adaptive_windows(n, out), in closed form: n + out − gcd(n, out).

    Σ ceil((i+1)·n/o) − Σ floor(i·n/o): the ceilings are the floors shifted by one, plus n for the last term, plus
    one for each j in 1..o with o ∤ j·n (all but gcd(n, o) of them). Constant time, so a huge `output` costs nothing.
    """
    return n + out - gcd(n, out)  # for a symbolic n, gcd stays a function of it


def adaptive_windows(n: int, out: int) -> list[tuple[int, int]]:
    """AdaptiveAvgPool2d windows [floor(i·n/o), ceil((i+1)·n/o)) for i in 0..o−1 (aten AdaptivePooling.h)."""
    return [(floor_div(i * n, out), ceil_div((i + 1) * n, out)) for i in range(out)]
