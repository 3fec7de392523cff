"""`cnncalc check`: the worked formula with the numbers in and a plain verdict (`text`, the default), a table of
the arithmetic per axis for every other format, and JSON."""

from __future__ import annotations

import json

from cnncalc.arithmetic import effective_kernel
from cnncalc.check import AxisCheck, CheckResult
from cnncalc.document import Block, Cell, Column, Document, Table, cell, prose, verdict
from cnncalc.layers.base import show_fraction
from cnncalc.numbers import grouped


def _axes(result: CheckResult) -> list[tuple[str, AxisCheck]]:
    h, w = result.height, result.width
    return [("", h)] if h == w else [("height: ", h), ("width: ", w)]


def _exact(a: AxisCheck) -> str:
    return show_fraction(a.exact) if a.exact is not None else "—"


KIND = {"conv": "filter", "pool": "pool", "transposed": "transposed filter", "local": "unshared filter"}
SIZE_RULE = {"transposed": "Output size = (N − 1)·S − 2P + d(F − 1) + OP + 1"}


def title(result: CheckResult) -> str:
    h, w = result.height, result.width
    what = f"{KIND[result.layer]} {h.kernel}x{h.kernel}, stride {h.stride}, pad {h.pad}"
    if result.output_padding:
        what += f", output padding {result.output_padding}"
    if h.dilation != 1:
        what += f", dilation {h.dilation}"
    if result.groups == "depthwise":
        what += ", depthwise"
    elif result.groups != 1:
        what += f", groups {result.groups}"
    depth = f"x{result.channels}" if result.channels else ""
    return f"Input {h.n}x{w.n}{depth}, {what}" + (", ceil mode" if result.ceil else "")


def verdict_lines(result: CheckResult) -> list[str]:
    """✓ Fits with the output volume, or ✗ Doesn't fit with why, what PyTorch and Caffe do, and what fits."""
    h, w = result.height, result.width
    if result.fits:
        assert result.output_size is not None
        lines = [f"✓ {'Output' if result.layer == 'transposed' else 'Fits: output'} volume {_volume(result)}"]
    elif result.answered:
        lines = [f"✓ Ceil mode: output volume {_volume(result)}", *_ceil_lines(result)]
    else:
        lines = ["✗ Doesn't fit:"]
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
    cost = result.cost
    if cost is not None and cost.macs is not None and not result.pool:
        lines.append(f"MACs: {cost.macs_formula} = {grouped(cost.macs)} (multiply-accumulates, bias adds excluded)")
    return lines


def _volume(result: CheckResult) -> str:
    assert result.output_size is not None
    oh, ow = result.output_size
    return f"{oh}x{ow}" + (f"x{result.output_channels}" if result.output_channels else "")


def _ceil_lines(result: CheckResult) -> list[str]:
    """Why ceil mode answers where floor mode leaves rows unread: the last window hangs over the edge."""
    lines = []
    assert result.output_size is not None and result.overhang is not None
    for i, (label, a) in enumerate(_axes(result)):
        out, over = result.output_size[i], result.overhang[i]
        if a.fits:
            continue
        span = effective_kernel(a.kernel, a.dilation)
        start = (out - 1) * a.stride
        if over:
            lines.append(f"  {label}the last window hangs over the edge by {over}: it starts at {out - 1}·{a.stride} = "
                         f"{start} and ends at {start} + {span} = {start + span}, past the padded input's "
                         f"{a.n} + 2·{a.pad} = {a.n + 2 * a.pad}; that partial window is what ceil mode is for "
                         f"(floor mode drops it and leaves {a.leftover} row(s)/column(s) unread)")
        else:
            lines.append(f"  {label}ceil mode gives the floor size here: the extra window would start in the right "
                         "padding, and PyTorch drops it")
    lines.append(f"  Caffe pooling (ceil) gives {result.height.caffe_ceil}x{result.width.caffe_ceil}")
    return lines


def _dilation_line(result: CheckResult) -> list[str]:
    """Where the effective kernel comes from (Dumoulin & Visin, relation 6): d(F − 1) + 1."""
    h = result.height
    if h.dilation == 1:
        return []
    return [f"Effective kernel = d(F − 1) + 1 = {h.dilation}·({h.kernel} − 1) + 1 = "
            f"{effective_kernel(h.kernel, h.dilation)}"]


def text(result: CheckResult) -> str:
    lines = [title(result), *_dilation_line(result), SIZE_RULE.get(result.layer, "Output size = (N − F + 2P)/S + 1")]
    lines += [f"  {label}{a.formula} = {_exact(a)}" for label, a in _axes(result)]
    return "\n".join(lines + verdict_lines(result))


def document(result: CheckResult) -> Document:
    """Per axis: (N − F + 2P)/S + 1 worked out, whether it is whole, and what PyTorch and Caffe make of it."""
    columns = (Column("axis", "name"), Column("N", "integer", "right"),
               Column(SIZE_RULE.get(result.layer, "Output size = (N − F + 2P)/S + 1").split(" = ", 1)[1], "formula"), Column("exact", "integer", "right"),
               Column("fits", "verdict", "center"), Column("PyTorch", "integer", "right"),
               Column("left over", "integer", "right"),
               Column("Caffe ceil", "integer", "right", priority=1))
    rows = tuple((Cell(label.rstrip(": ") or "height and width"), cell(a.n), Cell(a.formula),
                  Cell(_exact(a), str(a.exact) if a.exact is not None else None), verdict(a.fits),
                  cell(a.pytorch), cell(a.leftover), cell(a.caffe_ceil)) for label, a in _axes(result))
    blocks: list[Block] = [*prose(_dilation_line(result)), Table(columns, rows)]
    blocks += prose(verdict_lines(result), "good" if result.answered else "bad")
    results = []
    if result.output_size is not None:
        oh, ow = result.output_size
        volume = f"{oh}x{ow}" + (f"x{result.output_channels}" if result.output_channels else "")
        results.append((Cell("output volume" if result.fits else "output volume (PyTorch)"), Cell(volume), Cell("")))
    if result.params is not None:
        results.append((Cell("params"), cell(result.params), Cell(result.params_formula or "")))
    cost = result.cost
    if cost is not None and cost.macs is not None and not result.pool:
        results.append((Cell("MACs"), cell(cost.macs), Cell(cost.macs_formula or "")))
    if results:
        blocks.append(Table((Column("result", "name"), Column("value", "integer", "right"),
                             Column("formula", "formula")), tuple(results)))
    return Document(title(result), tuple(blocks))


def _alternatives(result: CheckResult) -> str:
    parts = []
    if result.fitting_strides:
        parts.append("stride " + ", ".join(map(str, result.fitting_strides)) + f" (pad {result.height.pad})")
    if result.fitting_pads:
        parts.append("pad " + ", ".join(map(str, result.fitting_pads)) + f" (stride {result.height.stride})")
    if result.fitting_inputs:
        parts.append("input " + " or ".join(map(str, result.fitting_inputs)))
    return "; ".join(parts) or "nothing nearby"


def json_text(result: CheckResult) -> str:
    axes = (result.height, result.width)
    cost = result.cost
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
        # issue 15, new fields only: the layer asked about, its cost with formulas, ceil mode's overhang
        "layer": result.layer,
        "groups": result.groups,
        "output_padding": result.output_padding,
        "effective_kernel": effective_kernel(result.height.kernel, result.height.dilation),
        "params_formula": result.params_formula,
        "macs": cost.macs if cost else None,
        "macs_formula": cost.macs_formula if cost else None,
        "answered": result.answered,
        "ceil_overhang": list(result.overhang) if result.overhang is not None else None,
    }
    return json.dumps(data, indent=2)
