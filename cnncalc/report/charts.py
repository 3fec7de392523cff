"""The --plot profile as inline SVG: per-row activations and params as bars (the slides' "memory in the early
CONV layers, parameters in the late FC layers"), with no plotting library."""

from __future__ import annotations

from html import escape

from cnncalc.charts import profile_bars, short
from cnncalc.grouping import Row
from cnncalc.numbers import approx
from cnncalc.results import Report

BAR = 14  # pixels per row
LABEL = 150  # pixels for the row names
WIDTH = 260  # pixels for the longest bar


def _chart(title: str, bars: list[tuple[str, int]], colour: str) -> str:
    top = max((v for _, v in bars), default=0) or 1
    height = BAR * len(bars) + 24
    out = [(f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{LABEL + WIDTH + 70}" height="{height}" '
            f'role="img" aria-label="{escape(title)}"><text x="0" y="14" class="chart-title">{escape(title)}</text>')]
    for i, (name, v) in enumerate(bars):
        y = 22 + i * BAR
        w = round(WIDTH * v / top, 1)
        out.append(f'<text x="{LABEL - 4}" y="{y + 10}" text-anchor="end">{escape(short(name, 24))}</text>'
                   f'<rect x="{LABEL}" y="{y + 1}" width="{w}" height="{BAR - 3}" fill="{colour}">'
                   f'<title>{escape(name)}: {v:,}</title></rect>'
                   f'<text x="{LABEL + w + 4}" y="{y + 10}">{approx(v) if v else ""}</text>')
    out.append("</svg>")
    return "".join(out)


def profile(report: Report, rows: list[Row]) -> str:
    """Two bar charts, activations per sample then params: one bar per row of summarize's table, or past
    charts.MAX_BARS rows the same sums by block that the --plot PNG draws (charts.profile_bars), with the largest
    layers named in two more charts, so that the page stays readable at any size."""
    p = profile_bars(report, rows)
    out = [f'<p class="chart-note">{escape(p.note)}</p>'] if p.top_activations else []
    out.append(_chart(f"{report.model}: activations (values per sample)",
                      [(b.label, b.activations) for b in p.bars], "#4a7fb5"))
    out.append(_chart(f"{report.model}: params", [(b.label, b.params) for b in p.bars], "#c0504d"))
    if p.top_activations:
        out.append(_chart("the layers with the most activations",
                          [(b.label, b.activations) for b in p.top_activations], "#4a7fb5"))
        out.append(_chart("the layers with the most params", [(b.label, b.params) for b in p.top_params], "#c0504d"))
    return "".join(out)
