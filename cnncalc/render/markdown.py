"""Markdown: the summarize table and footer, ready for a README or an answer key."""

from __future__ import annotations

from cnncalc import grouping
from cnncalc.render import summary
from cnncalc.results import Report


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|").replace("*", "\\*")


def render(report: Report, depth: int | None = None, receptive_field: bool = False) -> str:
    rows = grouping.rows(report, depth)
    headers = summary.HEADERS + (summary.RF_HEADERS if receptive_field else ())
    lines = [f"### {report.model}", "", "| " + " | ".join(headers) + " |",
             "|" + "|".join("---" if h in summary.HEADERS[:4] else "---:" for h in headers) + "|"]
    body = [summary.input_cells(report) + (summary.rf_cells(None) if receptive_field else ())]
    body += [summary.cells(r) + (summary.rf_cells(r) if receptive_field else ()) for r in rows]
    checks = summary.expectation_cells(report, rows)
    if checks is not None:  # the spec's `expect:`, checked
        lines[2] = lines[2] + " expected |"
        lines[3] = lines[3] + "---|"
        body = [cells + (check,) for cells, check in zip(body, ["", *checks])]
    lines += ["| " + " | ".join(_escape(c) for c in cells) + " |" for cells in body]
    lines.append("")
    lines += [f"- **{label}:** {_escape(text)}" if label else f"- {_escape(text)}"
              for label, text in summary.notes(report, rows)]
    return "\n".join(lines) + "\n"
