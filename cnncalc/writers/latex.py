"""LaTeX with booktabs rules, for answer keys and papers: `--format latex`.

Short tables are bare `tabular`s (wrap them in a `table` float as the document needs); a table of more than
LONG rows is a `longtable`, which breaks across pages and repeats its header. They need
`\\usepackage{booktabs,amssymb,longtable}`: booktabs (Debian's texlive-latex-recommended) for the rules, amssymb
(texlive-base) for ✓ as $\\checkmark$ (✗ is plain LaTeX's $\\times$), longtable (texlive-latex-base) — nothing
from pifont or the ZapfDingbats font. Every character that LaTeX treats specially is escaped, and the few
non-ASCII symbols cnncalc prints are written as math.
"""

from __future__ import annotations

import re

from cnncalc.document import Bullets, Document, Facts, Paragraph, Table, printable

PREAMBLE = "% needs \\usepackage{booktabs,amssymb,longtable}"
LONG = 40  # rows: more than fit a page beside a title and the notes

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
            "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_SYMBOLS = {"−": "$-$", "·": r"$\cdot$", "×": r"$\times$", "≈": r"$\approx$", "→": r"$\to$", "Σ": r"$\Sigma$",
            "α": r"$\alpha$", "β": r"$\beta$", "γ": r"$\gamma$", "θ": r"$\theta$", "✓": r"$\checkmark$",
            "✗": r"$\times$", "—": "---", "–": "--", "⌈": r"$\lceil$", "⌉": r"$\rceil$", "⌊": r"$\lfloor$",
            "⌋": r"$\rfloor$", "≥": r"$\geq$", "≤": r"$\leq$", "≡": r"$\equiv$", "’": "'", "…": r"\dots{}"}
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789"))
_DIMS = re.compile(r"(?<=\d)x(?=\d)")
_ALIGN = {"left": "l", "right": "r", "center": "c"}


def escape(text: str) -> str:
    """Plain text → LaTeX: specials escaped, 55x55x96 → 55$\\times$55$\\times$96, ✓ → \\ding{51}; a line break in
    a cell becomes \\newline (for p{} columns)."""
    out = "".join(_SPECIAL.get(c, c) for c in printable(text, newlines=True))
    out = _DIMS.sub("×", out)
    out = re.sub("[⁰¹²³⁴⁵⁶⁷⁸⁹]+", lambda m: "$^{" + "".join(_SUPERSCRIPTS[c] for c in m[0]) + "}$", out)
    out = "".join(_SYMBOLS.get(c, c) for c in out)
    out = re.sub(r"(?<!\\)\$\$", "", out)  # adjacent math pieces merge: $-$$\cdot$ → $-\cdot$
    return out.replace("\n", r" \newline ")


def tabular(t: Table) -> str:
    """\\toprule, header, \\midrule, rows (\\addlinespace before each group), the footer after another \\midrule
    (a footer without rows is the body), \\bottomrule."""
    def line(cells: list[str]) -> str:
        return " & ".join(cells) + r" \\"

    align = "".join(c.latex or _ALIGN[c.align] for c in t.columns)
    env = "longtable" if len(t.rows) + len(t.footer) > LONG else "tabular"
    lines = [f"\\begin{{{env}}}{{{align}}}", "\\toprule",
             line([f"\\textbf{{{escape(c.header)}}}" if c.header else "" for c in t.columns]), "\\midrule"]
    if env == "longtable":  # the header again on every page
        lines.append("\\endhead")
    starts = set(t.groups)
    for i, row in enumerate(t.rows):
        if i in starts and i:
            lines.append("\\addlinespace")
        lines.append(line([escape(c.text) for c in row]))
    if t.footer and t.rows:
        lines.append("\\midrule")
    lines += [line([escape(c.text) for c in row]) for row in t.footer]
    lines += ["\\bottomrule", f"\\end{{{env}}}"]
    return "\n".join(lines) + "\n"


def itemize(items: list[str]) -> str:
    if not items:
        return ""
    return "\\begin{itemize}\n" + "".join(f"  \\item {escape(i)}\n" for i in items) + "\\end{itemize}\n"


def write(doc: Document) -> str:
    caption = printable(doc.title + (f" ({doc.subtitle})" if doc.subtitle else ""))  # one line: it is a % comment
    out = [PREAMBLE + "\n", f"% {caption}\n"]
    for block in doc.blocks:
        if isinstance(block, Table):
            if block.audience != "data":
                out.append(tabular(block.without("bar")))
        elif isinstance(block, Facts):
            out.append(itemize([f"{f.label}: {f.text}" if f.label else f.text for f in block.items]))
        elif isinstance(block, Paragraph):
            text = f"\\textbf{{{escape(block.text)}}}" if block.strong else escape(block.text)
            out.append(f"\n\\noindent{text}\n\n" if block.strong else f"\n\\noindent {text}\n\n")
        elif isinstance(block, Bullets):
            out.append(itemize(list(block.items)))
    return "".join(out)
