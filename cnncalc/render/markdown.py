"""Markdown: the summarize table and footer, ready for a README or an answer key."""

from __future__ import annotations

from cnncalc.render import summary
from cnncalc.results import Report


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|").replace("*", "\\*")


def render(report: Report) -> str:
    lines = [f"### {report.model}", "", "| " + " | ".join(summary.HEADERS) + " |",
             "|" + "|".join("---:" if h in ("params", "MACs") else "---" for h in summary.HEADERS) + "|"]
    lines += ["| " + " | ".join(_escape(c) for c in row) + " |" for row in summary.rows(report)]
    lines.append("")
    lines += [f"- **{label}:** {_escape(text)}" for label, text in summary.footer(report)]
    where = summary.where_it_sits(report)
    if where:
        lines.append(f"- **Where it sits:** {where}")
    lines += [f"- **Warning:** {_escape(w.message())}" for w in report.warnings]
    return "\n".join(lines) + "\n"
