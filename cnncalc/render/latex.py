"""LaTeX tables with booktabs rules, for answer keys and papers: `--format latex`.

The output is a bare `tabular` (wrap it in a `table` float as the document needs) and needs
`\\usepackage{booktabs,pifont}` — pifont for the ✓/✗ marks (\\ding{51}, \\ding{55}). Every character that
LaTeX treats specially is escaped, and the few non-ASCII symbols cnncalc prints are written as math.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cnncalc import grouping
from cnncalc.render import summary
from cnncalc.results import Report

PREAMBLE = "% needs \\usepackage{booktabs,pifont}"

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
            "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_SYMBOLS = {"−": "$-$", "·": r"$\cdot$", "×": r"$\times$", "≈": r"$\approx$", "→": r"$\to$", "Σ": r"$\Sigma$",
            "α": r"$\alpha$", "β": r"$\beta$", "γ": r"$\gamma$", "θ": r"$\theta$", "✓": r"\ding{51}",
            "✗": r"\ding{55}", "—": "---", "–": "--", "⌈": r"$\lceil$", "⌉": r"$\rceil$", "⌊": r"$\lfloor$",
            "⌋": r"$\rfloor$", "≥": r"$\geq$", "≤": r"$\leq$", "’": "'", "…": r"\dots{}"}
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789"))
_DIMS = re.compile(r"(?<=\d)x(?=\d)")


def escape(text: str) -> str:
    """Plain text → LaTeX: specials escaped, 55x55x96 → 55$\\times$55$\\times$96, ✓ → \\ding{51}."""
    out = "".join(_SPECIAL.get(c, c) for c in text)
    out = _DIMS.sub("×", out)
    out = re.sub("[⁰¹²³⁴⁵⁶⁷⁸⁹]+", lambda m: "$^{" + "".join(_SUPERSCRIPTS[c] for c in m[0]) + "}$", out)
    out = "".join(_SYMBOLS.get(c, c) for c in out)
    return re.sub(r"(?<!\\)\$\$", "", out)  # adjacent math pieces merge: $-$$\cdot$ → $-\cdot$


def tabular(headers: Sequence[str], align: str, rows: Sequence[Sequence[str]], *, groups: list[int] | None = None,
            footer: Sequence[Sequence[str]] | None = None, caption: str = "") -> str:
    """A booktabs tabular: \\toprule, header, \\midrule, rows (\\addlinespace before each index in `groups`),
    an optional footer after another \\midrule, \\bottomrule. Cells are plain text, escaped here."""
    starts = set(groups or ())
    lines = [PREAMBLE]
    if caption:
        lines.append(f"% {caption}")
    lines += [f"\\begin{{tabular}}{{{align}}}", "\\toprule",
              " & ".join(f"\\textbf{{{escape(h)}}}" if h else "" for h in headers) + r" \\", "\\midrule"]
    for i, row in enumerate(rows):
        if i in starts and i:
            lines.append("\\addlinespace")
        lines.append(" & ".join(escape(c) for c in row) + r" \\")
    if footer:
        lines.append("\\midrule")
        lines += [" & ".join(escape(c) for c in row) + r" \\" for row in footer]
    lines += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(lines) + "\n"


def itemize(items: list[str]) -> str:
    if not items:
        return ""
    return "\\begin{itemize}\n" + "".join(f"  \\item {escape(i)}\n" for i in items) + "\\end{itemize}\n"


def render(report: Report, depth: int | None = None, receptive_field: bool = False) -> str:
    """`cnncalc summarize --format latex`: the slides' VGG table as a booktabs tabular, then the totals."""
    rows = grouping.rows(report, depth)
    headers = list(summary.HEADERS) + (list(summary.RF_HEADERS) if receptive_field else [])
    body = [summary.input_cells(report) + (summary.rf_cells(None) if receptive_field else ())]
    body += [summary.cells(r) + (summary.rf_cells(r) if receptive_field else ()) for r in rows]
    checks = summary.expectation_cells(report, rows)
    if checks is not None:
        headers.append("expected")
        body = [cells + (check,) for cells, check in zip(body, ["", *checks])]
    align = "".join("r" if h in ("params", "MACs") or h in summary.RF_HEADERS else "l" for h in headers)
    notes = [f"{label}: {text}" if label else text for label, text in summary.notes(report, rows)]
    return tabular(headers, align, body, caption=report.model) + itemize(notes)
