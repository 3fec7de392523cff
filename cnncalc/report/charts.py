"""The --plot profile as inline SVG: per-row activations and params as bars (the slides' "memory in the early
CONV layers, parameters in the late FC layers"), with no plotting library."""

from __future__ import annotations

from html import escape

from cnncalc.grouping import Row
from cnncalc.numbers import approx

BAR = 14  # pixels per row
LABEL = 150  # pixels for the row names
WIDTH = 260  # pixels for the longest bar


def _chart(title: str, rows: list[Row], values: list[int], colour: str) -> str:
    top = max(values, default=0) or 1
    height = BAR * len(rows) + 24
    out = [(f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{LABEL + WIDTH + 70}" height="{height}" '
            f'role="img" aria-label="{escape(title)}"><text x="0" y="14" class="chart-title">{escape(title)}</text>')]
    for i, (row, v) in enumerate(zip(rows, values)):
        y = 22 + i * BAR
        w = round(WIDTH * v / top, 1)
        out.append(f'<text x="{LABEL - 4}" y="{y + 10}" text-anchor="end">{escape(row.name)}</text>'
                   f'<rect x="{LABEL}" y="{y + 1}" width="{w}" height="{BAR - 3}" fill="{colour}">'
                   f'<title>{escape(row.name)}: {v:,}</title></rect>'
                   f'<text x="{LABEL + w + 4}" y="{y + 10}">{approx(v) if v else ""}</text>')
    out.append("</svg>")
    return "".join(out)


def profile(model: str, rows: list[Row]) -> str:
    """Two bar charts, one bar per row of summarize's table: activations per sample, then params."""
    return (_chart(f"{model}: activations per row (values per sample)", rows, [r.activations for r in rows],
                   "#4a7fb5")
            + _chart(f"{model}: params per row", rows, [r.params for r in rows], "#c0504d"))
