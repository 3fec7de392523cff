"""Judging one answer against the exact arithmetic: right or wrong, the expected value, and why.

The second of grade's three jobs. A Subject holds the exact facts of one layer, block or the totals; `judge`
compares a read answer (cnncalc.grade.read) with them — a rounded answer is right when the exact value rounds to
it at the answer's own precision (figures.agrees), and a wrong one is explained by the classic slips (the biases
forgotten, another layer's depth, bytes for values, MB for MiB). Specs may carry answers inline (`expect:`),
which `summarize` checks through `expectations`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from cnncalc.grade import read
from cnncalc.grade.read import Answer, ByteSize, Count, MemoryProduct, Volume, YesNo
from cnncalc.layers.base import Shape, show_shape
from cnncalc.numbers import about, nbytes
from cnncalc.results import LayerResult, ModuleResult, Report

# --- what an answer is checked against -----------------------------------------------------------------------

@dataclass(frozen=True)
class Subject:
    """The exact facts of one layer, block or the totals, as far as answers can ask about them."""

    name: str
    kind: str
    input: Shape | None
    output: Shape | None
    exact_hw: tuple[Fraction, Fraction] | None  # (N − F + 2P)/S + 1 on each axis, before any rounding
    untiled: tuple[str, ...]  # the formulas of the axes that do not tile: "(7 − 3 + 2·0)/3 + 1 = 2.33"
    counts: dict[str, int] = field(hash=False)
    bytes_per_value: int = 4
    batch: int = 1
    count_biases: bool = True
    spatial: bool = False  # the question gave no depth: volumes are H×W

    @property
    def fits(self) -> bool:
        return not self.untiled

    @property
    def memory_bytes(self) -> int:
        return self.counts["memory"] * self.bytes_per_value * self.batch

    def show_output(self) -> str:
        assert self.output is not None
        if self.spatial and len(self.output) == 3:
            return f"{self.output[1]}x{self.output[2]}"
        return show_shape(self.output)


def _settings(report: Report) -> dict[str, Any]:
    return {"bytes_per_value": report.bytes_per_value, "batch": report.batch, "count_biases": report.count_biases}


def layer_subject(report: Report, r: LayerResult, *, spatial: bool = False) -> Subject:
    untiled = {w.axis: w for w in report.warnings if w.layer == r.name}
    exact = None
    if len(r.output) == 3:
        h = next((w.exact for a, w in untiled.items() if "height" in a), Fraction(r.output[1]))
        w = next((w.exact for a, w in untiled.items() if "width" in a), Fraction(r.output[2]))
        exact = (h, w)
    counts = {"params": r.params, "weights": r.weights, "biases": r.biases, "macs": r.macs, "flops": r.flops,
              "memory": r.activations}
    return Subject(r.name, r.kind, r.input, r.output, exact, tuple(w.formula for w in untiled.values()), counts,
                   spatial=spatial, **_settings(report))


def module_subject(report: Report, m: ModuleResult) -> Subject:
    rows = report.layers[m.first_row:m.end_row]
    names = {r.name for r in rows}
    untiled = tuple(f"{w.layer}: {w.formula}" for w in report.warnings if w.layer in names)
    counts = {q: sum(getattr(r, "activations" if q == "memory" else q) for r in rows)
              for q in ("params", "weights", "biases", "macs", "flops", "memory")}
    return Subject(m.name, m.kind, m.input, m.output, None, untiled, counts, **_settings(report))


def totals_subject(report: Report) -> Subject:
    t = report.totals
    counts = {"params": t.params, "weights": t.weights, "biases": t.biases, "macs": t.macs, "flops": t.flops,
              "memory": t.activations,
              # the slides' VGG table leaves the soft-max's outputs out of its rows: a sum without them is common
              "softmax": report.softmax_outputs}
    return Subject("total", "total", None, None, None, tuple(w.formula for w in report.warnings), counts,
                   **_settings(report))


# --- verdicts ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Judgement:
    right: bool
    expected: str
    exact: Any  # JSON-ready: an int, [C, H, W], a bool
    why: str = ""


def judge(quantity: str, answer: Answer, s: Subject) -> Judgement:
    if quantity == "output":
        return _judge_output(answer, s)
    if quantity == "fits":
        assert isinstance(answer, YesNo)
        return _judge_fits(answer, s)
    if quantity == "memory":
        return _judge_memory(answer, s)
    assert isinstance(answer, Count)
    return _judge_count(quantity, answer, s)


def _unit(text: str) -> tuple[str, int]:
    m = re.search(r"([KMGTB])\s*$", text.strip(), re.IGNORECASE)
    if not m:
        return "", 1
    letter = m[1].upper()
    return letter, {"K": 10**3, "M": 10**6, "G": 10**9, "B": 10**9, "T": 10**12}[letter]


def rounded_like(exact: int | Fraction, step: Fraction, unit: str, factor: int) -> str:
    """`exact` written at a given precision and unit: 34,944 at 1K → '35K'; 60,954,432 bytes at 1 MB → '61MB'."""
    ratio, decimals = step / factor, 0
    while ratio < 1:
        ratio *= 10
        decimals += 1
    value = round(Fraction(exact) / step) * step / factor
    return f"{float(value):.{decimals}f}{unit}"


def _number_text(exact: int, answer: Count) -> str:
    if not answer.rounded and answer.step >= 1:
        return f"{exact:,}"
    unit, factor = _unit(answer.text)
    return f"{exact:,} ≈ {rounded_like(exact, answer.step, unit, factor)}"


def _off(exact: int | Fraction, answer: Count) -> str:
    unit, factor = _unit(answer.text)
    if answer.step > 1:
        low = answer.value - answer.step / 2
        high = answer.value + answer.step / 2
        return (f"{answer.text} stands for {_int(low)} to {_int(high)}; {_int(exact)} rounds to "
                f"{rounded_like(exact, answer.step, unit, factor)}")
    diff = Fraction(exact) - answer.value
    if not exact:
        return f"it is 0, not {answer.text}"
    why = f"off by {_int(abs(diff))} ({float(abs(diff) / exact):.1%} {'low' if diff > 0 else 'high'})"
    loose = Count(answer.value, read.loose_step(answer.text + "K", answer.step * 1000) / 1000, answer.text)
    if not unit and answer.step == 1 and loose.step > 1 and loose.agrees(exact):
        why += "; a plain number is read as exact: write it with K or M to round"
    return why


def _int(x: int | Fraction) -> str:
    x = Fraction(x)
    return f"{int(x):,}" if x.denominator == 1 else f"{float(x):,.2f}"


def _judge_count(quantity: str, answer: Count, s: Subject) -> Judgement:
    exact = s.counts[quantity]
    expected = _number_text(exact, answer)
    if answer.agrees(exact):
        return Judgement(True, expected, exact)
    return Judgement(False, expected, exact, _params_slip(quantity, answer, s) or _off(exact, answer))


def _params_slip(quantity: str, answer: Count, s: Subject) -> str:
    """The two classic slips: forgetting the biases, and taking the input depth of another layer."""
    if quantity not in ("params", "weights"):
        return ""
    weights, biases = s.counts["weights"], s.counts["biases"]
    what = "filters" if s.kind in ("conv", "local", "deconv") else "units" if s.kind == "fc" else ""
    if quantity == "params" and biases and what and answer.agrees(weights):
        return f"{answer.text} is the weights alone; each of the {biases:,} {what} also has a bias: + {biases:,}"
    if s.kind != "conv" or s.input is None or s.output is None or len(s.input) != 3 or answer.rounded:
        return ""
    depth, filters = s.input[0], s.output[0]
    per_depth = weights // depth if weights % depth == 0 else 0  # k·k·K, when the layer has no groups
    if not per_depth or per_depth % filters:
        return ""
    for bias in {0, biases if quantity == "params" else 0}:
        used = answer.value - bias
        if used > 0 and used % per_depth == 0 and used // per_depth != depth:
            return (f"{answer.text} is the count for an input depth of {used // per_depth}; the input of {s.name} is "
                    f"{show_shape(s.input)}, so each filter is {per_depth // filters}·{depth} deep")
    return ""


def _judge_fits(answer: YesNo, s: Subject) -> Judgement:
    expected = "yes" if s.fits else f"no: {'; '.join(s.untiled)}"
    if answer.value == s.fits:
        return Judgement(True, expected, s.fits)
    if s.fits:
        out = f": the output is {s.show_output()}" if s.output else ""
        return Judgement(False, expected, True, f"(N − F + 2P)/S + 1 is a whole number on both axes{out}")
    return Judgement(False, expected, False, f"{'; '.join(s.untiled)} is not a whole number: the last rows/columns "
                                             "of the input are never read")


def _judge_output(answer: Answer, s: Subject) -> Judgement:
    out = s.output
    assert out is not None
    exact_json = list(out)
    if s.fits:
        expected = s.show_output()
    else:
        floor = s.show_output()
        expected = f"doesn't fit: {'; '.join(s.untiled)} (PyTorch floors it to {floor})"

    def verdict(right: bool, why: str = "") -> Judgement:
        return Judgement(right, expected, exact_json, why)

    not_fit = (f"doesn't fit: {'; '.join(s.untiled)} is not a whole number; {s.show_output()} is PyTorch's floor, "
               "which leaves the last input rows/columns unread")
    if isinstance(answer, YesNo):
        if answer.value:
            return verdict(False, "the question asks for the output volume")
        return verdict(not s.fits, "" if not s.fits else f"it fits: the output is {s.show_output()}")
    if isinstance(answer, Volume) and len(answer.dims) == 1:
        answer = Count(Fraction(answer.dims[0]), Fraction(1), answer.text)
    if isinstance(answer, Count):
        if len(out) == 1:
            return verdict(answer.agrees(out[0]), "" if answer.agrees(out[0]) else f"the output is {out[0]} values")
        # a block (conv2_x) has no formula of its own: its output size is what its last layer gives
        h, w = s.exact_hw if s.exact_hw is not None else (Fraction(out[1]), Fraction(out[2]))
        if h != w:
            return verdict(False, f"the output is not square: {s.show_output()}")
        if not s.fits:
            if not answer.whole and answer.agrees(h):
                return verdict(True, "not a whole number: the filter doesn't fit")
            return verdict(False, not_fit)
        if not answer.agrees(h):
            return verdict(False, f"the output is {int(h)} on each side: {s.show_output()}")
        if s.spatial:
            return verdict(True)
        return verdict(False, f"spatially right, but the output volume is {s.show_output()} (depth {out[0]})")
    assert isinstance(answer, Volume), answer  # parse_answer gives only these kinds for output
    dims = answer.dims
    if len(dims) == 2:
        if len(out) != 3:
            return verdict(False, f"the output is a vector of {out[0]}")
        if dims != out[1:]:
            return verdict(False, f"the output is {out[1]}x{out[2]} spatially: {s.show_output()}")
        if not s.fits:
            return verdict(False, not_fit)
        if s.spatial:
            return verdict(True)
        return verdict(False, f"spatially right, but the output volume is {s.show_output()} (depth {out[0]})")
    readings = [("", (dims[2], dims[0], dims[1]))] if answer.notation == "hwc" else [
        ("[C, H, W]", dims), ("[H, W, C]", (dims[2], dims[0], dims[1]))]
    want = out if len(out) == 3 else (out[0], 1, 1)
    match = next((how for how, chw in readings if chw == want), None)
    if not s.fits:
        return verdict(False, not_fit if match is not None else
                       f"doesn't fit: {'; '.join(s.untiled)} is not a whole number (PyTorch floors it to "
                       f"{s.show_output()})")
    if match is not None:
        return verdict(True, f"read as {match}" if match and readings[0][1] != readings[1][1] else "")
    if answer.notation == "hwc" and dims == want:
        return verdict(False, f"{answer.text} is H×W×C, as the slides write volumes; this volume is "
                              f"{show_shape(out)} (in PyTorch's C, H, W order: {list(out)})")
    chw = readings[0][1]
    if len(out) == 3 and chw[1:] == out[1:]:
        return verdict(False, f"spatially right; the depth is {out[0]}, not {chw[0]}"
                       + (" (the number of filters)" if s.kind in ("conv", "local", "deconv") else ""))
    if len(out) == 3 and chw[0] == out[0]:
        return verdict(False, f"the depth is right; the size is {out[1]}x{out[2]}")
    return verdict(False, f"the output is {s.show_output()}")


def _other_unit(answer: ByteSize, exact: int) -> str:
    """' (as MiB it would be right)' when the answer used the other family of units by mistake."""
    unit = answer.unit.upper()
    if unit in ("B", "BYTES"):
        return ""
    other = unit[0] + "IB" if not unit.endswith("IB") else unit[0] + "B"
    factor = {"KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
              "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
    scale = Fraction(factor[other], factor[unit])
    if abs(exact - answer.value * scale) <= answer.step * scale / 2:
        shown = other[0] + ("iB" if other.endswith("IB") else "B")
        return (f"; as {shown} it would be right ({answer.unit} = {factor[unit]:,} bytes, "
                f"{shown} = {factor[other]:,} bytes)")
    return ""


def _judge_memory(answer: Answer, s: Subject) -> Judgement:
    values, total_bytes = s.counts["memory"], s.memory_bytes
    setting = f"{s.bytes_per_value} bytes per value" + (f", batch {s.batch}" if s.batch > 1 else "")
    if isinstance(answer, Count):
        expected = _number_text(values, answer) + " values"
        if answer.agrees(values):
            return Judgement(True, expected, values)
        why = f"{_off(values, answer)} values"
        softmax = s.counts.get("softmax", 0)
        if softmax and answer.agrees(values - softmax):
            why = (f"{answer.text} leaves out the soft-max's {softmax:,} outputs (as the slides' table does); with "
                   f"them, every layer's output and the input: {values:,}")
        if answer.agrees(total_bytes):
            why = (f"{answer.text} is the size in bytes ({total_bytes:,}); memory without a unit counts values: "
                   f"{values:,}; write {answer.text}B for bytes")
        return Judgement(False, expected, values, why)
    if isinstance(answer, ByteSize):
        expected = f"{total_bytes:,} bytes = {nbytes(total_bytes)}"
        if answer.agrees(total_bytes):
            return Judgement(True, expected, total_bytes)
        why = f"{values:,} values × {setting} = {total_bytes:,} bytes = {nbytes(total_bytes)}, not {answer.text}"
        return Judgement(False, expected, total_bytes, why + _other_unit(answer, total_bytes))
    assert isinstance(answer, MemoryProduct)
    batch = f" × {s.batch}" if s.batch > 1 else ""
    expected = f"{values:,} values × {s.bytes_per_value} bytes{batch} = {total_bytes:,} bytes = {nbytes(total_bytes)}"
    problems = []
    if not answer.count.agrees(values):
        rounded = rounded_like(values, answer.count.step, *_unit(answer.count.text))
        problems.append(f"the values add up to {values:,} ({rounded}), not {answer.count.text}")
    if answer.bytes_per_value != s.bytes_per_value:
        problems.append(f"a value takes {s.bytes_per_value} bytes, not {answer.bytes_per_value}")
    if answer.total is not None:
        if not answer.total.agrees(total_bytes):
            problems.append(f"{values:,} × {s.bytes_per_value} bytes{batch} = {total_bytes:,} bytes = "
                            f"{nbytes(total_bytes)}, not {answer.total.text}")
        own = answer.count.value * answer.bytes_per_value * s.batch
        if not answer.total.agrees(int(own)):
            problems.append(f"{answer.count.text} × {answer.bytes_per_value} bytes would be {_int(own)} bytes = "
                            f"{nbytes(int(own))}, not {answer.total.text} either")
    return Judgement(not problems, expected, total_bytes, "; ".join(problems))


# --- answer keys -------------------------------------------------------------------------------------------

def key_value(quantity: str, s: Subject) -> tuple[str, Any, str]:
    """The answer to one quantity, for an answer key or an unanswered question: the text (exact, and as the
    slides round it: '34,944 ≈ 35K'), the exact value (JSON-ready, as `judge` gives it) and the short form as the
    slides write it ('35K', '55x55x96', "doesn't fit")."""
    if quantity == "output":
        assert s.output is not None
        if s.fits:
            return s.show_output(), list(s.output), s.show_output()
        return (f"doesn't fit: {'; '.join(s.untiled)} (PyTorch floors it to {s.show_output()})", list(s.output),
                "doesn't fit")
    if quantity == "fits":
        return ("yes", True, "yes") if s.fits else (f"no: {'; '.join(s.untiled)}", False, "doesn't fit")
    if quantity == "memory":
        values = s.counts["memory"]
        batch = f" × {s.batch} samples" if s.batch > 1 else ""
        text = (f"{_int(values)} values" + (f" ≈ {about(values)}" if values >= 10_000 else "")
                + f"; × {s.bytes_per_value} bytes{batch} = {_int(s.memory_bytes)} bytes = {nbytes(s.memory_bytes)}")
        return text, values, about(values)
    exact = s.counts[quantity]
    return _int(exact) + (f" ≈ {about(exact)}" if exact >= 10_000 else ""), exact, about(exact)


# --- verdicts, questions and grades ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    """One answer, checked: ✓/✗, the expected value, why it is wrong, and the worked solution."""

    question: str
    target: str  # the layer or block asked about, "total", or "" for a one-layer question
    quantity: str
    answer: str
    right: bool
    expected: str
    exact: Any
    why: str = ""
    solution: tuple[Any, ...] = ()  # explain.Step
    line: int | None = None
    answered: bool = True  # False: the worksheet leaves it open (null or "?"), or an answer key (`grade --key`)
    shown: str = ""  # the value as the slides write it (35K, 55x55x96, 138M): set for unanswered quantities


@dataclass(frozen=True)
class Question:
    id: str
    ask: str
    setting: str
    verdicts: tuple[Verdict, ...]


@dataclass(frozen=True)
class Grade:
    title: str
    file: str | None
    questions: tuple[Question, ...]
    conventions: tuple[str, ...] = read.CONVENTIONS
    key: bool = False  # an answer key (`grade --key`): every quantity's value and worked solution, nothing graded

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        return tuple(v for q in self.questions for v in q.verdicts)

    @property
    def right(self) -> int:
        return sum(v.right for v in self.verdicts if v.answered)

    @property
    def total(self) -> int:
        return len(self.verdicts)

    @property
    def missing(self) -> int:
        """Quantities asked but not answered (a worksheet's null or "?")."""
        return sum(not v.answered for v in self.verdicts)

    @property
    def wrong(self) -> int:
        return self.total - self.right - self.missing

    @property
    def ok(self) -> bool:
        return self.key or self.right == self.total


# --- inline expectations (`expect:` in a spec) ---------------------------------------------------------------

def has_expectations(report: Report) -> bool:
    """Whether the spec carries any `expect:` answers (on a layer, a block or the totals)."""
    return bool(getattr(report, "expect", ()) or any(getattr(r, "expect", ()) for r in report.layers)
                or any(getattr(m, "expect", ()) for m in report.modules))


def expectations(report: Report) -> tuple[Verdict, ...]:
    """Every `expect:` of the spec (layers, blocks, totals) checked against the report; no worked solutions."""
    out: list[Verdict] = []

    def check(target: str, expect: tuple[tuple[str, str], ...], subject: Subject, line: int | None) -> None:
        for key, text in expect:
            j = judge(key, read.parse_answer(key, text), subject)
            out.append(Verdict("expect", target, key, text, j.right, j.expected, j.exact, j.why, (), line))

    for r in report.layers:
        if getattr(r, "expect", ()):
            check(r.name, r.expect, layer_subject(report, r), r.line)
    for m in report.modules:
        if getattr(m, "expect", ()):
            check(m.name, m.expect, module_subject(report, m), None)
    if getattr(report, "expect", ()):
        check("total", report.expect, totals_subject(report), None)
    return tuple(out)
