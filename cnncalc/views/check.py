"""`cnncalc check`: the worked formula with the numbers in and a plain verdict (`text`, the default), a table of
the arithmetic per axis for every other format, and JSON."""

from __future__ import annotations

import json

from cnncalc.check import AxisCheck, CheckResult
from cnncalc.document import Block, Cell, Column, Document, Table, cell, prose, verdict
from cnncalc.layers.base import show_fraction
from cnncalc.numbers import grouped


def _axes(result: CheckResult) -> list[tuple[str, AxisCheck]]:
    h, w = result.height, result.width
    return [("", h)] if h == w else [("height: ", h), ("width: ", w)]


def _exact(a: AxisCheck) -> str:
    return show_fraction(a.exact) if a.exact is not None else "—"


def title(result: CheckResult) -> str:
    h, w = result.height, result.width
    what = f"{'pool' if result.pool else 'filter'} {h.kernel}x{h.kernel}, stride {h.stride}, pad {h.pad}"
    if h.dilation != 1:
        what += f", dilation {h.dilation}"
    depth = f"x{result.channels}" if result.channels else ""
    return f"Input {h.n}x{w.n}{depth}, {what}" + (", ceil mode" if result.ceil else "")


def verdict_lines(result: CheckResult) -> list[str]:
    """✓ Fits with the output volume, or ✗ Doesn't fit with why, what PyTorch and Caffe do, and what fits."""
    h, w = result.height, result.width
    if result.fits:
        assert result.output_size is not None
        oh, ow = result.output_size
        volume = f"{oh}x{ow}" + (f"x{result.output_channels}" if result.output_channels else "")
        lines = [f"✓ Fits: output volume {volume}"]
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
    return lines


def text(result: CheckResult) -> str:
    lines = [title(result), "Output size = (N − F + 2P)/S + 1"]
    lines += [f"  {label}{a.formula} = {_exact(a)}" for label, a in _axes(result)]
    return "\n".join(lines + verdict_lines(result))


def document(result: CheckResult) -> Document:
    """Per axis: (N − F + 2P)/S + 1 worked out, whether it is whole, and what PyTorch and Caffe make of it."""
    columns = (Column("axis", "name"), Column("N", "integer", "right"),
               Column("(N − F + 2P)/S + 1", "formula"), Column("exact", "integer", "right"),
               Column("fits", "verdict", "center"), Column("PyTorch", "integer", "right"),
               Column("left over", "integer", "right"),
               Column("Caffe ceil", "integer", "right", priority=1))
    rows = tuple((Cell(label.rstrip(": ") or "height and width"), cell(a.n), Cell(a.formula),
                  Cell(_exact(a), str(a.exact) if a.exact is not None else None), verdict(a.fits),
                  cell(a.pytorch), cell(a.leftover), cell(a.caffe_ceil)) for label, a in _axes(result))
    blocks: list[Block] = [Table(columns, rows)]
    blocks += prose(verdict_lines(result), "good" if result.fits else "bad")
    results = []
    if result.output_size is not None:
        oh, ow = result.output_size
        volume = f"{oh}x{ow}" + (f"x{result.output_channels}" if result.output_channels else "")
        results.append((Cell("output volume" if result.fits else "output volume (PyTorch)"), Cell(volume), Cell("")))
    if result.params is not None:
        results.append((Cell("params"), cell(result.params), Cell(result.params_formula or "")))
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
