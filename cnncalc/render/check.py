"""Text and JSON for `cnncalc check`: the worked formula with the numbers in, and a plain verdict."""

from __future__ import annotations

import json

from cnncalc.check import AxisCheck, CheckResult
from cnncalc.layers.base import show_fraction
from cnncalc.render.numbers import grouped


def _axes(result: CheckResult) -> list[tuple[str, AxisCheck]]:
    h, w = result.height, result.width
    return [("", h)] if h == w else [("height: ", h), ("width: ", w)]


def _exact(a: AxisCheck) -> str:
    return show_fraction(a.exact) if a.exact is not None else "—"


def render_text(result: CheckResult) -> str:
    h, w = result.height, result.width
    what = f"{'pool' if result.pool else 'filter'} {h.kernel}x{h.kernel}, stride {h.stride}, pad {h.pad}"
    if h.dilation != 1:
        what += f", dilation {h.dilation}"
    depth = f"x{result.channels}" if result.channels else ""
    lines = [f"Input {h.n}x{w.n}{depth}, {what}" + (", ceil mode" if result.ceil else ""),
             "Output size = (N − F + 2P)/S + 1"]
    for label, a in _axes(result):
        lines.append(f"  {label}{a.formula} = {_exact(a)}")
    if result.fits:
        assert result.output_size is not None
        oh, ow = result.output_size
        volume = f"{oh}x{ow}" + (f"x{result.output_channels}" if result.output_channels else "")
        lines.append(f"✓ Fits: output volume {volume}")
    else:
        lines.append("✗ Doesn't fit:")
        for label, a in _axes(result):
            if a.exact is None:
                lines.append(f"  {label}the {a.kernel}-wide window is larger than the padded input {a.n + 2 * a.pad}")
                continue
            if a.fits:
                continue
            span = a.n + 2 * a.pad - (a.kernel + (a.kernel - 1) * (a.dilation - 1))
            lines.append(f"  {label}{a.n} − {a.kernel} + 2·{a.pad} = {span} is not a multiple of the stride "
                         f"{a.stride}; {a.leftover} row(s)/column(s) left over")
        if result.output_size:
            oh, ow = result.output_size
            rule = "PyTorch ceil mode" if result.ceil else "PyTorch (floor)"
            lines.append(f"  {rule} gives {oh}x{ow}"
                         + ("" if result.ceil else f"; the last {h.leftover or w.leftover} input row(s)/column(s) "
                                                   "are never read"))
            lines.append(f"  Caffe pooling (ceil) gives {h.caffe_ceil}x{w.caffe_ceil}")
        lines.append("  Fits instead: " + _alternatives(result))
    if result.params is not None:
        formula = result.params_formula
        lines.append(f"Parameters: {formula} = {grouped(result.params)}" if formula else "Parameters: 0 (pooling)")
    return "\n".join(lines)


def _alternatives(result: CheckResult) -> str:
    parts = []
    if result.fitting_strides:
        parts.append("stride " + ", ".join(map(str, result.fitting_strides)) + f" (pad {result.height.pad})")
    if result.fitting_pads:
        parts.append("pad " + ", ".join(map(str, result.fitting_pads)) + f" (stride {result.height.stride})")
    if result.fitting_inputs:
        parts.append("input " + " or ".join(map(str, result.fitting_inputs)))
    return "; ".join(parts) or "nothing nearby"


def render_json(result: CheckResult) -> str:
    axes = (result.height, result.width)
    data = {
        "fits": result.fits,
        "input": [result.height.n, result.width.n],
        "channels": result.channels,
        "filter": result.height.kernel,
        "stride": result.height.stride,
        "pad": result.height.pad,
        "dilation": result.height.dilation,
        "pool": result.pool,
        "ceil": result.ceil,
        "output_size": list(result.output_size) if result.output_size else None,
        "output_channels": result.output_channels,
        "params": result.params,
        "exact": [float(a.exact) if a.exact is not None else None for a in axes],
        "exact_fraction": [str(a.exact) if a.exact is not None else None for a in axes],
        "formula": [a.formula for a in axes],
        "caffe_ceil": [a.caffe_ceil for a in axes],
        "leftover": [a.leftover for a in axes],
        "fitting_strides": list(result.fitting_strides),
        "fitting_pads": list(result.fitting_pads),
        "fitting_inputs": list(result.fitting_inputs),
    }
    return json.dumps(data, indent=2)
