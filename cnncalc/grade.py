"""Homework answers checked against the exact arithmetic: answers file → questions → verdicts.

A question is one layer on an input (the slides' "Input volume: 32x32x3, 10 5x5 filters with stride 1, pad 2.
Output volume size?") or a whole spec with answers per layer and in total (the VGG16 table). Answers are read
the way people write them — 55x55x96, [96, 55, 55], 34,944, 35K, 93MB, 2.33, doesn't fit — and a rounded answer
is right when the exact value rounds to it at the answer's own precision (figures.agrees). Specs may carry the
same answers inline (`expect:`), which `summarize` checks (`expectations`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from cnncalc.errors import SpecError
from cnncalc.figures import answer_text, parse_bytes, parse_figure, parse_shape, parse_yes_no
from cnncalc.layers import Shape, show_shape
from cnncalc.results import DTYPE_BYTES, LayerResult, ModuleResult, Report
from cnncalc.spec.options import suggest, type_name
from cnncalc.spec.source import line_of

LAYER_QUANTITIES = ("output", "fits", "params", "weights", "biases", "memory", "macs", "flops")
TOTAL_QUANTITIES = ("params", "weights", "biases", "memory", "macs", "flops")
SETTINGS = ("id", "ask", "input", "layer", "spec", "variant", "dtype", "batch", "no_bias", "layers", "totals")
TOPIC = {"output": "output", "fits": "output", "params": "params", "weights": "params", "biases": "params",
         "memory": "memory", "macs": "macs", "flops": "flops"}

CONVENTIONS = (
    ("K, M, G, T = 10^3, 10^6, 10^9, 10^12, as in the papers' tables; a rounded answer is right when the exact "
     "value rounds to it at the answer's own precision (34,944 → 35K ✓, 34K ✗; 138,357,544 → 138M ✓)"),
    ("memory: a count of values (3.2M), or bytes when the answer names its unit: KB, MB, GB = 10^3, 10^6, 10^9 "
     "bytes; KiB, MiB, GiB = 2^10, 2^20, 2^30 bytes; both are accepted, each read as its unit says"),
    "volumes: 55x55x96 is H×W×C, as the slides write it; a list is read as [C, H, W] (PyTorch) or [H, W, C]",
    ("a filter that does not tile its input, (N − F + 2P)/S + 1 not whole, doesn't fit: the answer is "
     "'doesn't fit' or the exact quotient (2.33), not PyTorch's floor"),
)


# --- answers as written --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Count:
    """A number as written (34944, 34,944, 35K, 2.33): the exact values it stands for are value ± step/2."""

    value: Fraction
    step: Fraction
    text: str

    def agrees(self, exact: int | Fraction) -> bool:
        return abs(Fraction(exact) - self.value) <= self.step / 2

    @property
    def rounded(self) -> bool:
        return self.step > 1

    @property
    def whole(self) -> bool:
        return self.step >= 1


@dataclass(frozen=True)
class ByteSize:
    """Bytes as written (93MB, 58.1 MiB, 1,161,600 bytes)."""

    value: Fraction
    step: Fraction
    unit: str
    text: str

    def agrees(self, exact: int) -> bool:
        return abs(exact - self.value) <= self.step / 2


@dataclass(frozen=True)
class Volume:
    """A written volume: dims as written and the notation ('hwc', 'hw' or 'list')."""

    dims: tuple[int, ...]
    notation: str
    text: str


@dataclass(frozen=True)
class YesNo:
    value: bool
    text: str


@dataclass(frozen=True)
class MemoryProduct:
    """The slides' "24M * 4 bytes ≈ 93MB": values × bytes per value (≈ total)."""

    count: Count
    bytes_per_value: int
    total: ByteSize | None
    text: str


Answer = Count | ByteSize | Volume | YesNo | MemoryProduct

_SEPARATOR = r"(?:~\s*=|≈|=|~)"
_PRODUCT = re.compile(r"\s*(.+?)\s*[*x×]\s*(\d+)\s*bytes?\s*(?:" + _SEPARATOR + r"\s*(.+?))?\s*(?:/\s*image)?\s*",
                      re.IGNORECASE)


def _result_part(text: str) -> str:
    """'(11*11*3)*96 = 35K' → '35K': an answer written with its working is graded by its result."""
    parts = re.split(_SEPARATOR, text)
    return parts[-1].strip() if len(parts) > 1 else text.strip()


_MANTISSA = re.compile(r"\s*([0-9][0-9,]*)\s*(?:[KMGTB]|[KMGT]i?B|bytes?)\s*", re.IGNORECASE)


def loose_step(text: str, step: Fraction) -> Fraction:
    """The precision of a figure with a unit: trailing zeros of a whole mantissa are not significant.

    The slides write memory to two significant figures — 150K, 3.2M, 800K (802,816), 100K (100,352) — so '800K'
    stands for 750K to 850K, as '8×10^5' would. A plain integer (34,944 or 35,000) is a count, read exactly; a
    mantissa with a decimal point (3.20M) keeps every digit it shows.
    """
    m = _MANTISSA.fullmatch(text)
    if not m:
        return step
    digits = m[1].replace(",", "")
    zeros = len(digits) - len(digits.rstrip("0"))
    return step * 10 ** min(zeros, len(digits) - 1)


def _count(text: str) -> Count:
    value, step = parse_figure(text)
    return Count(value, loose_step(text, step), text)


def parse_answer(quantity: str, raw: Any) -> Answer:
    """Read one answer for one quantity; ValueError says what was expected."""
    text = answer_text(raw)
    if isinstance(raw, (dict, type(None))) or (isinstance(raw, list) and quantity != "output"):
        raise ValueError(f"an answer is a value such as 55x55x96, 35K or no, got {type_name(raw)}")
    if quantity == "fits":
        yes = parse_yes_no(raw)
        if yes is None:
            raise ValueError(f"cannot read {text!r}: write yes or no (or fits / doesn't fit)")
        return YesNo(yes, text)
    if quantity == "output":
        if parse_yes_no(raw) is not None:
            return YesNo(bool(parse_yes_no(raw)), text)
        shape = parse_shape(raw) or parse_shape(_result_part(text))
        if shape:
            return Volume(shape[0], shape[1], text)
        try:
            return _count(_result_part(text))
        except ValueError:
            raise ValueError(f"cannot read {text!r} as an output: write a volume (55x55x96 or [96, 55, 55]), a size "
                             "(55, 2.33) or doesn't fit") from None
    if quantity == "memory":
        if m := _PRODUCT.fullmatch(text):
            total = parse_bytes(m[3]) if m[3] else None
            if m[3] and total is None:
                raise ValueError(f"cannot read {m[3]!r} as bytes (write e.g. 93MB or 58 MiB)")
            try:
                count = _count(m[1])
            except ValueError:
                raise ValueError(f"cannot read {m[1]!r} as a count of values") from None
            size = ByteSize(total[0], loose_step(m[3], total[1]), total[2], m[3]) if total and m[3] else None
            return MemoryProduct(count, int(m[2]), size, text)
        part = _result_part(text)
        written = parse_bytes(part)
        if written is not None:
            return ByteSize(written[0], loose_step(part, written[1]), written[2], part)
    part = _result_part(text)
    if parse_bytes(part) is not None and quantity != "memory":
        raise ValueError(f"{text!r} is a size in bytes; {quantity} is a count")
    try:
        return _count(part)
    except ValueError:
        raise ValueError(f"cannot read {text!r} as a number (examples: 34944, 34,944, 35K, 138M)") from None


def parse_expect(value: Any, line: int | None, field: str, *, totals: bool = False) -> tuple[tuple[str, str], ...]:
    """`expect:` of a spec item (or of the whole spec): checked here, kept as text like `paper:`."""
    allowed = TOTAL_QUANTITIES if totals else LAYER_QUANTITIES
    if not isinstance(value, dict):
        raise SpecError(f"must be a mapping like {{output: 55x55x96, params: 35K}}, got {type_name(value)}",
                        line=line, field=field)
    for key, raw in value.items():
        if key not in allowed:
            raise SpecError(f"unknown quantity{suggest(key, allowed)} (known: {', '.join(allowed)})",
                            line=line_of(value, key), field=f"{field}.{key}")
        try:
            parse_answer(key, raw)
        except ValueError as exc:
            raise SpecError(str(exc), line=line_of(value, key), field=f"{field}.{key}") from None
    return tuple((key, answer_text(raw)) for key, raw in value.items())


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
              "memory": t.activations}
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
    loose = Count(answer.value, loose_step(answer.text + "K", answer.step * 1000) / 1000, answer.text)
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
        assert s.exact_hw is not None
        h, w = s.exact_hw
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


def _bytes_text(n: int) -> str:
    from cnncalc.render.numbers import nbytes

    return nbytes(n)


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
    values, nbytes = s.counts["memory"], s.memory_bytes
    setting = f"{s.bytes_per_value} bytes per value" + (f", batch {s.batch}" if s.batch > 1 else "")
    if isinstance(answer, Count):
        expected = _number_text(values, answer) + " values"
        if answer.agrees(values):
            return Judgement(True, expected, values)
        why = f"{_off(values, answer)} values"
        if answer.agrees(nbytes):
            why = (f"{answer.text} is the size in bytes ({nbytes:,}); memory without a unit counts values: "
                   f"{values:,}; write {answer.text}B for bytes")
        return Judgement(False, expected, values, why)
    if isinstance(answer, ByteSize):
        expected = f"{nbytes:,} bytes = {_bytes_text(nbytes)}"
        if answer.agrees(nbytes):
            return Judgement(True, expected, nbytes)
        why = f"{values:,} values × {setting} = {nbytes:,} bytes = {_bytes_text(nbytes)}, not {answer.text}"
        return Judgement(False, expected, nbytes, why + _other_unit(answer, nbytes))
    assert isinstance(answer, MemoryProduct)
    batch = f" × {s.batch}" if s.batch > 1 else ""
    expected = f"{values:,} values × {s.bytes_per_value} bytes{batch} = {nbytes:,} bytes = {_bytes_text(nbytes)}"
    problems = []
    if not answer.count.agrees(values):
        problems.append(f"the values add up to {values:,} ({rounded_like(values, answer.count.step, *_unit(answer.count.text))})"
                        f", not {answer.count.text}")
    if answer.bytes_per_value != s.bytes_per_value:
        problems.append(f"a value takes {s.bytes_per_value} bytes, not {answer.bytes_per_value}")
    if answer.total is not None:
        if not answer.total.agrees(nbytes):
            problems.append(f"{values:,} × {s.bytes_per_value} bytes{batch} = {nbytes:,} bytes = {_bytes_text(nbytes)}, not "
                            f"{answer.total.text}")
        own = answer.count.value * answer.bytes_per_value * s.batch
        if not answer.total.agrees(int(own)):
            problems.append(f"{answer.count.text} × {answer.bytes_per_value} bytes would be {_int(own)} bytes = "
                            f"{_bytes_text(int(own))}, not {answer.total.text} either")
    return Judgement(not problems, expected, nbytes, "; ".join(problems))


# --- answers files -------------------------------------------------------------------------------------------

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
    conventions: tuple[str, ...] = CONVENTIONS

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        return tuple(v for q in self.questions for v in q.verdicts)

    @property
    def right(self) -> int:
        return sum(v.right for v in self.verdicts)

    @property
    def total(self) -> int:
        return len(self.verdicts)

    @property
    def ok(self) -> bool:
        return self.right == self.total


def grade_file(path: str | Path) -> Grade:
    """Read an answers file (questions and a student's answers) and check every answer."""
    from cnncalc.spec.source import read_spec_file

    data = read_spec_file(path)
    try:
        return grade_data(data, file=str(path), base=Path(path).parent)
    except SpecError as exc:
        raise exc.located(file=str(path)) from None


def grade_data(data: Any, *, file: str | None = None, base: Path = Path(".")) -> Grade:
    if not isinstance(data, dict):
        raise SpecError(f"an answers file is a mapping with 'questions', got {type_name(data)}",
                        line=getattr(data, "line", 1))
    for key in data:
        if key not in ("title", "questions"):
            raise SpecError(f"unknown top-level field{suggest(key, ('title', 'questions'))} (known: title, questions)",
                            line=line_of(data, key), field=key)
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        raise SpecError("needs a list of questions", line=line_of(data, "questions") if "questions" in data else 1,
                        field="questions")
    out = []
    seen: set[str] = set()
    for i, q in enumerate(questions):
        question = _question(q, i, line_of(questions, i), file, base)
        if question.id in seen:
            raise SpecError(f"question id {question.id!r} is used twice", line=line_of(questions, i),
                            field=f"questions[{i}].id")
        seen.add(question.id)
        out.append(question)
    title = data.get("title", Path(file).stem if file else "answers")
    return Grade(str(title), file, tuple(out))


def _question(q: Any, i: int, line: int | None, file: str | None, base: Path) -> Question:
    where = f"questions[{i}]"
    if not isinstance(q, dict):
        raise SpecError(f"a question is a mapping (input + layer, or spec), got {type_name(q)}", line=line,
                        field=where)
    kind = "spec" if "spec" in q else "layer" if "layer" in q else None
    if kind is None:
        raise SpecError("a question has either 'layer' (with 'input') or 'spec'", line=line, field=where)
    allowed = SETTINGS + (LAYER_QUANTITIES if kind == "layer" else ())
    for key in q:
        if key not in allowed or (kind == "layer" and key in ("layers", "totals", "variant")) or \
                (kind == "spec" and key == "layer"):
            hint = suggest(key, allowed)
            extra = " (a spec question asks under 'layers' and 'totals')" if kind == "spec" and \
                key in LAYER_QUANTITIES else ""
            raise SpecError(f"unknown field{hint}{extra}", line=line_of(q, key), field=f"{where}.{key}")
    qid = str(q.get("id", f"Q{i + 1}"))
    ask = str(q.get("ask", ""))
    dtype = q.get("dtype", "fp32")
    if dtype not in DTYPE_BYTES:
        raise SpecError(f"unknown dtype {dtype!r}{suggest(str(dtype), tuple(DTYPE_BYTES))}", line=line_of(q, "dtype"),
                        field=f"{where}.dtype")
    batch = q.get("batch", 1)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise SpecError(f"must be a positive whole number, got {type_name(batch)}", line=line_of(q, "batch"),
                        field=f"{where}.batch")
    no_bias = q.get("no_bias", False)
    if not isinstance(no_bias, bool):
        raise SpecError(f"must be true or false, got {type_name(no_bias)}", line=line_of(q, "no_bias"),
                        field=f"{where}.no_bias")
    options = {"dtype": dtype, "batch": batch, "count_biases": not no_bias}
    if kind == "layer":
        return _layer_question(q, qid, ask, where, line, file, options)
    return _spec_question(q, qid, ask, where, line, file, base, options)


_SPATIAL = re.compile(r"\s*(\d+)\s*[x×]\s*(\d+)\s*", re.IGNORECASE)
_CONVS = ("conv", "convolution", "conv2d", "local", "locally_connected", "local_conv")


def _layer_question(q: dict[str, Any], qid: str, ask: str, where: str, line: int | None, file: str | None,
                    options: dict[str, Any]) -> Question:
    from cnncalc.analysis import analyze
    from cnncalc.layers.base import Layer
    from cnncalc.spec.model import Spec
    from cnncalc.spec.parse import Parser, parse_input
    from cnncalc.spec.source import YMap

    if "input" not in q:
        raise SpecError("a one-layer question needs its 'input' (e.g. 227x227x3, or 7x7 for a spatial question)",
                        line=line, field=f"{where}.input")
    raw_input, input_line = q["input"], line_of(q, "input")
    spatial = isinstance(raw_input, int) and not isinstance(raw_input, bool) or \
        isinstance(raw_input, str) and (raw_input.strip().isdigit() or bool(_SPATIAL.fullmatch(raw_input)))
    if spatial:  # the slides' "7x7 input (spatially)" and "N = 7": one channel, answers are H×W
        text = str(raw_input)
        m = _SPATIAL.fullmatch(text)
        h, w = (int(m[1]), int(m[2])) if m else (int(text), int(text))
        shape: Shape = (1, h, w)
        if min(h, w) < 1:
            raise SpecError("sizes must be positive", line=input_line, field=f"{where}.input")
    else:
        shape = parse_input(raw_input, line=input_line, field=f"{where}.input")
    raw = q["layer"]
    if spatial and isinstance(raw, dict):  # "assume 3x3 filter": a filter count is not asked, so one filter
        kind = next((k for k in raw if k in _CONVS), None)
        if kind and isinstance(raw[kind], dict) and "filters" not in raw[kind]:
            raw = YMap({**raw, kind: YMap({**raw[kind], "filters": 1}, template=raw[kind])}, template=raw)
    layer: Layer = Parser({}, {}).item(raw, line=line_of(q, "layer"), path=f"{where}.layer", scope={})
    if not layer.name:
        from dataclasses import replace

        layer = replace(layer, name=layer.kind)
    spec = Spec(name=qid, input=shape, layers=(layer,), file=file)
    report = analyze(spec, **options)
    r = report.layers[0]
    subject = layer_subject(report, r, spatial=spatial)
    from cnncalc.explain import layer_objects, solve

    solution = solve(layer_objects(spec).get(r.name), r, report)
    in_text = f"{shape[1]}x{shape[2]}" if spatial else show_shape(shape)
    what = f"{r.kind} {r.description}".strip()
    if r.kind in ("conv", "local", "deconv") and not spatial:
        what += f", {r.output[0]} filters"
    setting = f"input {in_text}; {what}" + ("" if options["count_biases"] else "; not counting biases")
    verdicts = tuple(_verdict(qid, "", key, q[key], line_of(q, key), f"{where}.{key}", subject, solution.steps)
                     for key in q if key in LAYER_QUANTITIES)
    if not verdicts:
        raise SpecError(f"no answers: give one of {', '.join(LAYER_QUANTITIES)}", line=line, field=where)
    return Question(qid, ask, setting, verdicts)


def _verdict(qid: str, target: str, quantity: str, raw: Any, line: int | None, where: str, subject: Subject,
             steps: tuple[Any, ...]) -> Verdict:
    try:
        answer = parse_answer(quantity, raw)
    except ValueError as exc:
        raise SpecError(str(exc), line=line, field=where) from None
    j = judge(quantity, answer, subject)
    solution = tuple(s for s in steps if s.topic == TOPIC[quantity]) if not j.right else ()
    if subject.spatial:  # "7x7 input (spatially)": the one filter's depth is not part of the question
        solution = tuple(s for s in solution if s.label != "Output volume")
    return Verdict(qid, target, quantity, answer_text(raw), j.right, j.expected, j.exact, j.why, solution, line)


def _spec_question(q: dict[str, Any], qid: str, ask: str, where: str, line: int | None, file: str | None,
                   base: Path, options: dict[str, Any]) -> Question:
    from cnncalc.analysis import analyze
    from cnncalc.explain import Step, find_layer, layer_objects, solve, total_steps
    from cnncalc.spec.parse import build_spec, load_spec, parse_input

    raw_spec, spec_line = q["spec"], line_of(q, "spec")
    variant = q.get("variant")
    if variant is not None and not isinstance(variant, str):
        raise SpecError(f"must be a variant's name, got {type_name(variant)}", line=line_of(q, "variant"),
                        field=f"{where}.variant")
    if isinstance(raw_spec, str):
        path = Path(raw_spec) if Path(raw_spec).is_absolute() else base / raw_spec
        if not path.exists():
            raise SpecError(f"no such spec file {raw_spec!r} (paths are relative to the answers file)",
                            line=spec_line, field=f"{where}.spec")
        model = load_spec(path, variant=variant)
        shown = raw_spec
    elif isinstance(raw_spec, dict):
        try:
            model = build_spec(raw_spec, file=file, default_name=qid, variant=variant)
        except SpecError as exc:
            field_ = f"{where}.spec.{exc.field}" if exc.field else f"{where}.spec"
            raise SpecError(exc.message, file=file, line=exc.line, field=field_) from None
        shown = "inline spec"
    else:
        raise SpecError(f"must be a spec file's path or a spec, got {type_name(raw_spec)}", line=spec_line,
                        field=f"{where}.spec")
    override = None
    if "input" in q:
        override = parse_input(q["input"], line=line_of(q, "input"), field=f"{where}.input",
                               channels=model.input[0])
    report = analyze(model, input_shape=override, **options)
    rows = {r.name: r for r in report.layers}
    modules = {m.name: m for m in report.modules}
    objects = layer_objects(model)
    verdicts: list[Verdict] = []
    layers = q.get("layers", {}) or {}
    if not isinstance(layers, dict):
        raise SpecError("must be a mapping of layer names to answers, e.g. {conv1: {output: 224x224x64}}",
                        line=line_of(q, "layers"), field=f"{where}.layers")
    for name, answers in layers.items():
        lwhere, lline = f"{where}.layers.{name}", line_of(layers, name)
        if not isinstance(answers, dict) or not answers:
            raise SpecError(f"must be a mapping of answers such as {{output: ..., params: ...}}, got "
                            f"{type_name(answers)}", line=lline, field=lwhere)
        name = str(name)
        if name in rows:
            r = rows[name]
            subject = layer_subject(report, r)
            steps = solve(find_layer(objects, r), r, report).steps
        elif name in modules:
            m = modules[name]
            subject = module_subject(report, m)
            block = report.layers[m.first_row:m.end_row]
            steps = tuple(Step(topic, f"{label} of {name}", " + ".join(f"{getattr(r, attr):,}" for r in block
                                                                     if getattr(r, attr)) or "0",
                               subject.counts[quantity], "summed over the block's rows")
                          for topic, label, attr, quantity in (("params", "Parameters", "params", "params"),
                                                               ("memory", "Memory", "activations", "memory"),
                                                               ("macs", "MACs", "macs", "macs"),
                                                               ("flops", "FLOPs", "flops", "flops")))
        else:
            raise SpecError(f"no layer or block {name!r} in {report.model}{suggest(name, list(rows) + list(modules))}",
                            line=lline, field=lwhere)
        for key, raw in answers.items():
            if key not in LAYER_QUANTITIES:
                raise SpecError(f"unknown quantity{suggest(key, LAYER_QUANTITIES)} (known: "
                                f"{', '.join(LAYER_QUANTITIES)})", line=line_of(answers, key), field=f"{lwhere}.{key}")
            verdicts.append(_verdict(qid, name, key, raw, line_of(answers, key), f"{lwhere}.{key}", subject, steps))
    totals = q.get("totals", {}) or {}
    if not isinstance(totals, dict):
        raise SpecError("must be a mapping of answers such as {params: 138M}", line=line_of(q, "totals"),
                        field=f"{where}.totals")
    subject = totals_subject(report)
    steps = total_steps(report)
    for key, raw in totals.items():
        if key not in TOTAL_QUANTITIES:
            raise SpecError(f"unknown total{suggest(key, TOTAL_QUANTITIES)} (known: {', '.join(TOTAL_QUANTITIES)})",
                            line=line_of(totals, key), field=f"{where}.totals.{key}")
        verdicts.append(_verdict(qid, "total", key, raw, line_of(totals, key), f"{where}.totals.{key}", subject,
                                 steps))
    if not verdicts:
        raise SpecError("no answers: give 'layers' or 'totals'", line=line, field=where)
    setting = f"{shown} ({report.model})" + ("" if options["count_biases"] else ", not counting biases")
    if options["dtype"] != "fp32" or options["batch"] != 1:
        setting += f", {options['dtype']}, batch {options['batch']}"
    return Question(qid, ask, setting, tuple(verdicts))


# --- inline expectations (`expect:` in a spec) ---------------------------------------------------------------

def has_expectations(report: Report) -> bool:
    return bool(getattr(report, "expect", ()) or any(getattr(r, "expect", ()) for r in report.layers)
                or any(getattr(m, "expect", ()) for m in report.modules))


def expectations(report: Report) -> tuple[Verdict, ...]:
    """Every `expect:` of the spec (layers, blocks, totals) checked against the report; no worked solutions."""
    out: list[Verdict] = []

    def check(target: str, expect: tuple[tuple[str, str], ...], subject: Subject, line: int | None) -> None:
        for key, text in expect:
            j = judge(key, parse_answer(key, text), subject)
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
