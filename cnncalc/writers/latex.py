"""LaTeX with booktabs rules, for answer keys and papers: `--format latex`.

Short tables are bare `tabular`s (wrap them in a `table` float as the document needs); a table of more than
LONG rows is a `longtable`, which breaks across pages and repeats its header. They need
`\\usepackage{booktabs,amssymb,longtable}`: booktabs (Debian's texlive-latex-recommended) for the rules, amssymb
(texlive-base) for ✓ as $\\checkmark$ (✗ is plain LaTeX's $\\times$), longtable (texlive-latex-base) — nothing
from pifont or the ZapfDingbats font. Every character that LaTeX treats specially is escaped, and the few
non-ASCII symbols cnncalc prints are written as math.

Width (issue 15): every table fits the text width of a standard A4 or letter page (article, 10pt: 345pt). The
writer estimates each cell's width from the Computer Modern widths of its characters and gives way as the
terminal does (cnncalc.writers.terminal.stages), trying each step at \\normalsize, \\small and \\footnotesize:
headers wrap between words; prose (`text` and `note` columns) wraps between words in p{} columns, ragged
right; a long sum in a formula column wraps between its terms (a number, a shape or a term never breaks);
then, from the highest priority down, columns go and formulas show only their values, with a line under the
table naming what was left out (the CSV and JSON have everything). No package beyond the three above: a
wrapped cell is `{\\raggedright ...\\par}`, a wrapped header a nested tabular.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cnncalc.document import Bullets, Cell, Column, Document, Facts, Paragraph, Table, printable
from cnncalc.writers.terminal import formula_terms, stages

PREAMBLE = "% needs \\usepackage{booktabs,amssymb,longtable}"
LONG = 40  # rows: more than fit a page beside a title and the notes
TEXT_WIDTH = 345.0  # pt: \textwidth of the article class at 10pt, on A4 and on letter paper
MIN_NOTE = 10.0  # em: a wrapping note is at least this wide (or its whole text): no one-word-a-line notes
MIN_TEXT = 6.0  # em: the same for other wrapping text (a label such as "params (M)" stays whole)

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
            "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_SYMBOLS = {"−": "$-$", "·": r"$\cdot$", "×": r"$\times$", "≈": r"$\approx$", "→": r"$\to$", "Σ": r"$\Sigma$",
            "α": r"$\alpha$", "β": r"$\beta$", "γ": r"$\gamma$", "θ": r"$\theta$", "✓": r"$\checkmark$",
            "✗": r"$\times$", "—": "---", "–": "--", "⌈": r"$\lceil$", "⌉": r"$\rceil$", "⌊": r"$\lfloor$",
            "⌋": r"$\rfloor$", "≥": r"$\geq$", "≤": r"$\leq$", "≡": r"$\equiv$", "’": "'", "…": r"\dots{}"}
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789"))
_DIMS = re.compile(r"(?<=\d)x(?=\d)")
_ALIGN = {"left": "l", "right": "r", "center": "c"}
_RAGGED = {"left": r"\raggedright", "right": r"\raggedleft", "center": r"\centering"}


def escape(text: str) -> str:
    """Plain text → LaTeX: specials escaped, 55x55x96 → 55$\\times$55$\\times$96, ✓ → $\\checkmark$; a line
    break in a cell becomes \\newline (for p{} columns)."""
    out = "".join(_SPECIAL.get(c, c) for c in printable(text, newlines=True))
    out = _DIMS.sub("×", out)
    out = re.sub("[⁰¹²³⁴⁵⁶⁷⁸⁹]+", lambda m: "$^{" + "".join(_SUPERSCRIPTS[c] for c in m[0]) + "}$", out)
    out = "".join(_SYMBOLS.get(c, c) for c in out)
    out = re.sub(r"(?<!\\)\$\$", "", out)  # adjacent math pieces merge: $-$$\cdot$ → $-\cdot$
    return out.replace("\n", r" \newline ")


# --- how wide a text is: Computer Modern Roman (cmr10 / ec) widths in em ----------------------------------------

_EM = {**dict.fromkeys("0123456789", 0.5),
       **dict(zip("abcdefghijklmnopqrstuvwxyz", (0.5, 0.556, 0.444, 0.556, 0.444, 0.306, 0.5, 0.556, 0.278, 0.306,
                                                   0.528, 0.278, 0.833, 0.556, 0.5, 0.556, 0.528, 0.392, 0.394, 0.389,
                                                   0.556, 0.528, 0.722, 0.528, 0.528, 0.444))),
       **dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", (0.75, 0.708, 0.722, 0.764, 0.681, 0.653, 0.785, 0.75, 0.361, 0.514,
                                                   0.778, 0.625, 0.917, 0.75, 0.778, 0.681, 0.778, 0.736, 0.556, 0.722,
                                                   0.75, 0.75, 1.028, 0.75, 0.75, 0.611))),
       " ": 0.333, ".": 0.278, ",": 0.278, ":": 0.278, ";": 0.278, "'": 0.278, "!": 0.278, "(": 0.389, ")": 0.389,
       "[": 0.278, "]": 0.278, "/": 0.5, "-": 0.333, "*": 0.5, "+": 0.778, "=": 0.778, "?": 0.472, "%": 0.833,
       "#": 0.833, "&": 0.778, "<": 0.778, ">": 0.778, "|": 0.278, "@": 0.778,
       "×": 0.778, "−": 0.778, "·": 0.278, "≈": 0.778, "→": 1.0, "✓": 0.833, "✗": 0.778, "Σ": 0.722, "α": 0.64,
       "β": 0.57, "γ": 0.52, "θ": 0.47, "≥": 0.778, "≤": 0.778, "≡": 0.778, "—": 1.0, "–": 0.5, "…": 1.0,
       "⌈": 0.444, "⌉": 0.444, "⌊": 0.444, "⌋": 0.444, **dict.fromkeys("⁰¹²³⁴⁵⁶⁷⁸⁹", 0.36)}
BOLD = 1.15  # cmbx10 against cmr10
SAFETY = 1.04  # the estimate errs on the wide side
SLACK = 5.0  # pt: kept free on a line, and half of it added to a wrapping column's narrowest


def em(text: str, bold: bool = False) -> float:
    """The estimated width of one line of text, in em."""
    return sum(_EM.get(c, 0.55) for c in text) * (BOLD if bold else 1.0) * SAFETY


def _words(text: str) -> list[str]:
    return text.split()


def _pieces(text: str) -> list[str]:
    """Where TeX may break a wrapping cell: at spaces, after a hyphen (alexnet-conv1-at-224), and where prose()
    allows a long word to break."""
    out = []
    for word in text.split():
        if len(word) >= _LONG_WORD:
            out += [w for w in re.split(r"(?<=[-/_])|(?<=\.)(?=\w)", word) if w]
        else:
            out += [w for w in re.split(r"(?<=-)", word) if w]
    return out


_LONG_WORD = 16  # characters: a longer word (a path, a dotted name) may break after / . _


def prose(text: str) -> str:
    """escape() for text that wraps: a long word (../../specs/vgg16.yaml) may break after its / . and _."""
    return re.sub(rf"\S{{{_LONG_WORD},}}", lambda m: re.sub(r"(/|(?<!\\)\.(?=\w)|\\_)", r"\1\\allowbreak{}", m[0]),
                  escape(text))


@dataclass(frozen=True)
class Size:
    command: str  # "" for \normalsize
    size: float  # the font size in pt
    tabcolsep: float  # pt, each side of a column
    optical: float = 1.0  # the small design sizes are wider per pt (ecrm0800, ecrm0700: measured with pdflatex)

    @property
    def pt(self) -> float:
        """The width of one em of cmr10 at this size."""
        return self.size * self.optical


SIZES = (Size("", 10.0, 6.0), Size("\\small", 9.0, 5.0), Size("\\footnotesize", 8.0, 4.0, 1.05))
LAST_RESORT = Size("\\scriptsize", 7.0, 3.0, 1.12)
BASELINE = {"": 12.0, "\\small": 11.0, "\\footnotesize": 9.5, "\\scriptsize": 8.0}  # pt per line
TALL = 420.0  # pt of rows: more is a longtable (A4's text is 550pt high at 10pt, letter's 530pt, less the title)


@dataclass(frozen=True)
class Measure:
    natural: float  # em: every cell and the header on one line
    content: float  # em: the cells on one line, the header wrapped between words
    narrowest: float  # em: wrapped between words (prose) or terms (formulas); as content when it cannot wrap
    header_word: float


def _measure(t: Table, wrap) -> list[Measure]:
    rows = (*t.rows, *t.footer)
    out = []
    for i, c in enumerate(t.columns):
        texts = [printable(r[i].text, newlines=True) for r in rows]
        lines = [line for text in texts for line in text.split("\n")]
        widest = max([0.0, *(em(line) for line in lines)])
        header_word = max([0.0, *(em(w, bold=True) for w in _words(c.header))])
        header = em(c.header, bold=True)
        if wrap(c) and c.role != "formula":
            pieces = max([0.0, *(em(w) for line in lines for w in _pieces(line))])
            narrowest = max(pieces, min(widest, MIN_NOTE if c.role == "note" else MIN_TEXT))
        elif c.role == "formula":
            narrowest = max([0.0, *(em(p) for line in lines for p in formula_terms(line))])
        else:
            narrowest = widest
        out.append(Measure(max(widest, header), max(widest, header_word), max(narrowest, header_word), header_word))
    return out


@dataclass(frozen=True)
class Layout:
    table: Table
    size: Size
    widths: list[float | None]  # pt of a p{} column; None: l/r/c at its natural width
    wrap_headers: bool


def _layout(t: Table, wrap, size: Size) -> Layout | None:
    """Column widths that fit the page at this size, or None."""
    measured = _measure(t, wrap)
    budget = TEXT_WIDTH - SLACK - 2 * size.tabcolsep * (len(t.columns) - 1)
    natural = [m.natural * size.pt for m in measured]
    if sum(natural) <= budget:
        return Layout(t, size, [None] * len(natural), False)
    content = [m.content * size.pt for m in measured]
    narrow = [m.narrowest * size.pt + SLACK / 2 for m in measured]
    if sum(content) <= budget:  # the headers wrap, nothing else
        return Layout(t, size, [None] * len(natural), True)
    if sum(narrow) > budget:
        return None
    weight = [2.0 if c.role == "note" else 1.0 for c in t.columns]

    def widths_at(level: float) -> list[float]:
        return [min(content[i], max(narrow[i], level * weight[i])) for i in range(len(content))]

    low, high = 0.0, max(content)  # the spare room fills the columns evenly, notes twice as fast (water-filling):
    for _ in range(40):  # a column that needs little gets all it needs, the wide ones share the rest
        mid = (low + high) / 2
        low, high = (mid, high) if sum(widths_at(mid)) <= budget else (low, mid)
    widths = widths_at(low)
    return Layout(t, size, [None if w >= content[i] - 0.01 else w for i, w in enumerate(widths)], True)


def fit(t: Table) -> Layout:
    """The first way of writing `t` that fits the page: each give-way step of the terminal (headers and prose
    wrap, then columns go) at \\normalsize, \\small and \\footnotesize — wrapping prose before a smaller type —
    and \\scriptsize as a last resort; when nothing fits, the narrowest at \\footnotesize (overfull)."""
    steps = stages(t)
    tries = [(s, size) for size in SIZES for s in steps[:2]] + [(s, SIZES[-1]) for s in steps[2:]] + \
        [(s, LAST_RESORT) for s in steps]
    for (stage, wrap), size in tries:
        layout = _layout(stage, wrap, size)
        if layout is not None:
            return layout
    stage, wrap = steps[-1]
    measured = _measure(stage, wrap)
    return Layout(stage, SIZES[-1], [m.narrowest * SIZES[-1].pt for m in measured], True)


# --- writing ---------------------------------------------------------------------------------------------------

def _header_lines(header: str, width: float) -> list[str]:
    """The header broken between words into lines at most `width` em wide (bold)."""
    lines = [""]
    for word in _words(header):
        joined = f"{lines[-1]} {word}" if lines[-1] else word
        if lines[-1] and em(joined, bold=True) > width:
            lines.append(word)
        else:
            lines[-1] = joined
    return lines


def _header(c: Column, width_em: float | None, wrap: bool) -> str:
    if not c.header:
        return ""
    if width_em is None or not wrap:
        return f"\\textbf{{{escape(c.header)}}}"
    lines = _header_lines(c.header, width_em)
    if len(lines) == 1:
        return f"\\textbf{{{escape(c.header)}}}"
    align = _ALIGN[c.align]
    return f"\\begin{{tabular}}[b]{{@{{}}{align}@{{}}}}" + r"\\".join(
        f"\\textbf{{{escape(line)}}}" for line in lines) + "\\end{tabular}"


def _cell(c: Column, text: str, width_pt: float | None, size: Size) -> str:
    if width_pt is None:
        return escape(text)
    lines = printable(text, newlines=True).split("\n")
    if len(lines) == 1 and em(lines[0]) * size.pt <= width_pt:
        return escape(text)  # one line: nothing to wrap
    if c.role == "formula":  # a formula breaks only between its terms: the spaces inside a term are ~
        shown = r" \newline ".join(" ".join(escape(p).replace(" ", "~") for p in formula_terms(line)) for line in lines)
    else:
        shown = prose(text)
    return f"{{{_RAGGED[c.align]} {shown}\\strut\\par}}"


def _spec(layout: Layout) -> str:
    parts = []
    for c, w in zip(layout.table.columns, layout.widths):
        parts.append(_ALIGN[c.align] if w is None else f"p{{{w / TEXT_WIDTH:.3f}\\linewidth}}")
    return "@{}" + "".join(parts) + "@{}"


def _left_out(original: Table, shown: Table) -> str:
    """What a table gave up to fit the page, said under it."""
    gone = [c.header or "(unnamed)" for c in original.columns if c not in shown.columns]
    shortened = []
    for j, c in enumerate(shown.columns):
        if c.role == "formula" and c in original.columns:
            i = original.columns.index(c)
            if any(a[i].text != b[j].text for a, b in zip((*original.rows, *original.footer),
                                                           (*shown.rows, *shown.footer))):
                shortened.append(c.header)
    parts = []
    if gone:
        parts.append("column" + ("s " if len(gone) > 1 else " ") + ", ".join(gone) + " left out")
    if shortened:
        parts.append(", ".join(shortened) + " without " + ("their formulas" if len(shortened) > 1 else "its formula"))
    if not parts:
        return ""
    return f"\\noindent{{\\footnotesize To fit the page: {escape('; '.join(parts))} (--format csv has them).}}\n\n"


def _height(layout: Layout) -> float:
    """The estimated height of the table's rows in pt: a tabular taller than TALL would run off the page."""
    size = layout.size
    lines = 0
    for cells in (*layout.table.rows, *layout.table.footer):
        most = 1
        for c, w in zip(cells, layout.widths):
            texts = printable(c.text, newlines=True).split("\n")
            most = max(most, sum(1 + int(em(t) * size.pt // w) for t in texts) if w else len(texts))
        lines += most
    return lines * BASELINE[size.command]


def tabular(t: Table) -> str:
    """\\toprule, header, \\midrule, rows (\\addlinespace before each group), the footer after another \\midrule
    (a footer without rows is the body), \\bottomrule — in a size and with column widths that fit the page."""
    layout = fit(t)
    shown, size = layout.table, layout.size

    def line(cells: list[str]) -> str:
        return " & ".join(cells) + r" \\"

    def row(cells: tuple[Cell, ...]) -> str:
        return line([_cell(c, x.text, w, size) for c, x, w in zip(shown.columns, cells, layout.widths)])

    measured = _measure(shown, lambda c: True)
    header_widths = [m.content if w is None else w / size.pt for m, w in zip(measured, layout.widths)]
    env = "longtable" if len(shown.rows) + len(shown.footer) > LONG or _height(layout) > TALL else "tabular"
    lines = []
    if size.command:
        lines.append(f"\\begingroup{size.command}\\setlength{{\\tabcolsep}}{{{size.tabcolsep:g}pt}}%")
    if env == "tabular":
        lines.append("\\noindent%")
    lines += [f"\\begin{{{env}}}{{{_spec(layout)}}}", "\\toprule",
              line([_header(c, hw, layout.wrap_headers) for c, hw in zip(shown.columns, header_widths)]),
              "\\midrule"]
    if env == "longtable":  # the header again on every page
        lines.append("\\endhead")
    starts = set(shown.groups)
    for i, cells in enumerate(shown.rows):
        if i in starts and i:
            lines.append("\\addlinespace")
        lines.append(row(cells))
    if shown.footer and shown.rows:
        lines.append("\\midrule")
    lines += [row(cells) for cells in shown.footer]
    lines += ["\\bottomrule", f"\\end{{{env}}}"]
    if env == "tabular":
        lines.append("\\par")
    if size.command:
        lines.append("\\endgroup")
    return "\n".join(lines) + "\n" + _left_out(t, shown)


def itemize(items: list[str]) -> str:
    if not items:
        return ""
    return "\\begin{itemize}\\raggedright\n" + "".join(f"  \\item {prose(i)}\n" for i in items) + "\\end{itemize}\n"


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
            text = f"\\textbf{{{prose(block.text)}}}" if block.strong else prose(block.text)
            out.append(f"\n{{\\raggedright\\noindent{text}\\par}}\n\n" if block.strong else
                       f"\n{{\\raggedright\\noindent {text}\\par}}\n\n")
        elif isinstance(block, Bullets):
            out.append(itemize(list(block.items)))
    return "".join(out)
