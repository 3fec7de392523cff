"""Answers files: questions (one layer on an input, or a whole spec) with a student's answers, graded.

The third of grade's three jobs: read the file (cnncalc.spec.source), build each question's network with the
spec parser, analyse it, then read (cnncalc.grade.read) and judge (cnncalc.grade.judge) every answer, attaching
the worked solution (cnncalc.explain) to the wrong ones.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from cnncalc.analysis import analyze
from cnncalc.dtypes import DTYPE_BYTES
from cnncalc.errors import SpecError, shown
from cnncalc.explain import Step, find_layer, layer_objects, solve, total_steps
from cnncalc.figures import answer_text
from cnncalc.grade.judge import (
    Grade,
    Question,
    Subject,
    Verdict,
    judge,
    key_value,
    layer_subject,
    module_subject,
    totals_subject,
)
from cnncalc.grade.read import LAYER_QUANTITIES, TOTAL_QUANTITIES, parse_answer
from cnncalc.layers.base import Layer, Shape, show_shape
from cnncalc.spec.inputs import parse_input
from cnncalc.spec.load import load_spec
from cnncalc.spec.model import Spec
from cnncalc.spec.options import suggest, type_name
from cnncalc.spec.parse import Parser, build_spec
from cnncalc.spec.source import YMap, line_of, read_spec_file

SETTINGS = ("id", "ask", "input", "layer", "spec", "variant", "dtype", "batch", "no_bias", "layers", "totals")
# What a worksheet's question without quantities asks (docs/homework.md): a layer's output volume, parameters
# and MACs (a spatial question, whose one filter is not part of it: only the output), and a spec's totals.
LAYER_SET = ("output", "params", "macs")
SPATIAL_SET = ("output",)
TOTALS_SET = ("params", "macs", "memory")
# the worked-solution steps (explain.Step.topic) that a wrong answer to each quantity is shown
TOPIC = {"output": "output", "fits": "output", "params": "params", "weights": "params", "biases": "params",
         "memory": "memory", "macs": "macs", "flops": "flops"}


def grade_file(path: str | Path, *, key: bool = False) -> Grade:
    """Read an answers file (questions and a student's answers) and check every answer; with `key`, the answer
    key of its questions instead (a worksheet: the same file without the answers)."""
    data = read_spec_file(path)
    try:
        return grade_data(data, file=str(path), base=Path(path).parent, key=key)
    except SpecError as exc:
        raise exc.located(file=str(path)) from None


def grade_data(data: Any, *, file: str | None = None, base: Path = Path("."), key: bool = False) -> Grade:
    """Grade an answers file already read (`base`: the folder its spec paths are relative to); `key`: every
    asked quantity's value and worked solution, the answers written in the file left aside."""
    if not isinstance(data, dict):
        raise SpecError(f"an answers file is a mapping with 'questions', got {type_name(data)}",
                        line=getattr(data, "line", 1))
    for field_ in data:
        if field_ not in ("title", "questions"):
            raise SpecError(f"unknown top-level field{suggest(field_, ('title', 'questions'))} (known: title, "
                            "questions)", line=line_of(data, field_), field=field_)
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        raise SpecError("needs a list of questions", line=line_of(data, "questions") if "questions" in data else 1,
                        field="questions")
    out = []
    seen: set[str] = set()
    for i, q in enumerate(questions):
        question = _question(q, i, line_of(questions, i), file, base, key)
        if question.id in seen:
            raise SpecError(f"question id {shown(question.id)} is used twice", line=line_of(questions, i),
                            field=f"questions[{i}].id")
        seen.add(question.id)
        out.append(question)
    title = data.get("title", Path(file).stem if file else "answers")
    return Grade(str(title), file, tuple(out), key=key)


def _question(q: Any, i: int, line: int | None, file: str | None, base: Path, key: bool = False) -> Question:
    where = f"questions[{i}]"
    if not isinstance(q, dict):
        raise SpecError(f"a question is a mapping (input + layer, or spec), got {type_name(q)}", line=line,
                        field=where)
    kind = "spec" if "spec" in q else "layer" if "layer" in q else None
    if kind is None:
        raise SpecError("a question has either 'layer' (with 'input') or 'spec'", line=line, field=where)
    allowed = SETTINGS + (LAYER_QUANTITIES if kind == "layer" else ())
    for name in q:
        if name not in allowed or (kind == "layer" and name in ("layers", "totals", "variant")) or \
                (kind == "spec" and name == "layer"):
            hint = suggest(name, allowed)
            extra = " (a spec question asks under 'layers' and 'totals')" if kind == "spec" and \
                name in LAYER_QUANTITIES else ""
            raise SpecError(f"unknown field{hint}{extra}", line=line_of(q, name), field=f"{where}.{name}")
    qid = str(q.get("id", f"Q{i + 1}"))
    ask = str(q.get("ask", ""))
    dtype = q.get("dtype", "fp32")
    if not isinstance(dtype, str) or dtype not in DTYPE_BYTES:
        hint = suggest(dtype[:60], tuple(DTYPE_BYTES)) if isinstance(dtype, str) else ""
        raise SpecError(f"must be one of {', '.join(DTYPE_BYTES)}, got {type_name(dtype)}{hint}",
                        line=line_of(q, "dtype"), field=f"{where}.dtype")
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
        return _layer_question(q, qid, ask, where, line, file, options, key)
    return _spec_question(q, qid, ask, where, line, file, base, options, asks_key=key)


_SPATIAL = re.compile(r"\s*(\d+)\s*[x×]\s*(\d+)\s*", re.IGNORECASE)
_CONVS = ("conv", "convolution", "conv2d", "local", "locally_connected", "local_conv")


def _layer_question(q: dict[str, Any], qid: str, ask: str, where: str, line: int | None, file: str | None,
                    options: dict[str, Any], key: bool = False) -> Question:
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
        layer = replace(layer, name=layer.kind)
    spec = Spec(name=qid, input=shape, layers=(layer,), file=file)
    report = analyze(spec, **options)
    r = report.layers[0]
    subject = layer_subject(report, r, spatial=spatial)
    solution = solve(layer_objects(spec).get(r.name), r, report)
    in_text = f"{shape[1]}x{shape[2]}" if spatial else show_shape(shape)
    what = f"{r.kind} {r.description}".strip()
    if r.kind in ("conv", "local", "deconv") and not spatial:
        what += f", {r.output[0]} filters"
    setting = f"input {in_text}; {what}" + ("" if options["count_biases"] else "; not counting biases")
    asked = {k: (q[k], line_of(q, k)) for k in q if k in LAYER_QUANTITIES} or \
        {k: (None, line) for k in (SPATIAL_SET if spatial else LAYER_SET)}  # a worksheet's question asks the set
    verdicts = tuple(_verdict(qid, "", k, raw, at, f"{where}.{k}", subject, solution.steps, key)
                     for k, (raw, at) in asked.items())
    return Question(qid, ask, setting, verdicts)


def unanswered(raw: Any) -> bool:
    """A worksheet's open question: `output:` with nothing after it (YAML null), or `output: "?"`."""
    return raw is None or isinstance(raw, str) and raw.strip() in ("", "?")


def _steps(quantity: str, subject: Subject, steps: tuple[Any, ...]) -> tuple[Any, ...]:
    solution = tuple(s for s in steps if s.topic == TOPIC[quantity])
    if subject.spatial:  # "7x7 input (spatially)": the one filter's depth is not part of the question
        solution = tuple(s for s in solution if s.label != "Output volume")
    return solution


def _verdict(qid: str, target: str, quantity: str, raw: Any, line: int | None, where: str, subject: Subject,
             steps: tuple[Any, ...], key: bool = False) -> Verdict:
    if key or unanswered(raw):  # the key's value and its worked solution; under --key a written answer is not read
        expected, exact, shown = key_value(quantity, subject)
        return Verdict(qid, target, quantity, "", False, expected, exact, "", _steps(quantity, subject, steps),
                       line, answered=False, shown=shown)
    try:
        answer = parse_answer(quantity, raw)
    except ValueError as exc:
        raise SpecError(str(exc), line=line, field=where) from None
    j = judge(quantity, answer, subject)
    solution = _steps(quantity, subject, steps) if not j.right else ()
    return Verdict(qid, target, quantity, answer_text(raw), j.right, j.expected, j.exact, j.why, solution, line)


def _exists(path: Path) -> bool:
    """Whether a question's spec file is there; a name the system refuses (too long, a NUL byte) is not."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _spec_question(q: dict[str, Any], qid: str, ask: str, where: str, line: int | None, file: str | None,
                   base: Path, options: dict[str, Any], asks_key: bool = False) -> Question:
    raw_spec, spec_line = q["spec"], line_of(q, "spec")
    variant = q.get("variant")
    if variant is not None and not isinstance(variant, str):
        raise SpecError(f"must be a variant's name, got {type_name(variant)}", line=line_of(q, "variant"),
                        field=f"{where}.variant")
    if isinstance(raw_spec, str):
        path = Path(raw_spec) if Path(raw_spec).is_absolute() else base / raw_spec
        if not _exists(path):
            raise SpecError(f"no such spec file {shown(raw_spec)} (paths are relative to the answers file)",
                            line=spec_line, field=f"{where}.spec")
        try:
            model = load_spec(path, variant=variant)
        except SpecError as exc:  # the spec file's own errors name it; a variant it lacks is this file's
            if exc.field != "--variant":
                raise
            raise SpecError(exc.message, line=line_of(q, "variant"), field=f"{where}.variant") from None
        named = raw_spec
    elif isinstance(raw_spec, dict):
        try:
            model = build_spec(raw_spec, file=file, default_name=qid, variant=variant)
        except SpecError as exc:
            if exc.field == "--variant":
                raise SpecError(exc.message, file=file, line=line_of(q, "variant"), field=f"{where}.variant") \
                    from None
            field_ = f"{where}.spec.{exc.field}" if exc.field else f"{where}.spec"
            raise SpecError(exc.message, file=file, line=exc.line, field=field_) from None
        named = "inline spec"
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
        if answers is None or answers == {}:  # `conv1:` alone asks the standard set
            answers = dict.fromkeys(LAYER_SET)
        if not isinstance(answers, dict):
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
            raise SpecError(f"no layer or block {shown(name)} in {report.model}{suggest(name, list(rows) + list(modules))}",
                            line=lline, field=lwhere)
        for key, raw in answers.items():
            if key not in LAYER_QUANTITIES:
                raise SpecError(f"unknown quantity{suggest(key, LAYER_QUANTITIES)} (known: "
                                f"{', '.join(LAYER_QUANTITIES)})", line=line_of(answers, key), field=f"{lwhere}.{key}")
            verdicts.append(_verdict(qid, name, key, raw, line_of(answers, key) or lline, f"{lwhere}.{key}", subject,
                                     steps, asks_key))
    totals = q.get("totals", {}) or {}
    if "layers" not in q and not totals or "totals" in q and q["totals"] is None:  # `totals:` alone, or nothing
        # asked at all: a worksheet's spec question asks the standard totals
        totals = dict.fromkeys(TOTALS_SET)
    if not isinstance(totals, dict):
        raise SpecError("must be a mapping of answers such as {params: 138M}", line=line_of(q, "totals"),
                        field=f"{where}.totals")
    subject = totals_subject(report)
    steps = total_steps(report)
    for key, raw in totals.items():
        if key not in TOTAL_QUANTITIES:
            raise SpecError(f"unknown total{suggest(key, TOTAL_QUANTITIES)} (known: {', '.join(TOTAL_QUANTITIES)})",
                            line=line_of(totals, key), field=f"{where}.totals.{key}")
        verdicts.append(_verdict(qid, "total", key, raw, line_of(totals, key) or line_of(q, "totals") or line,
                                 f"{where}.totals.{key}", subject, steps, asks_key))
    if not verdicts:
        raise SpecError("no answers: give 'layers' or 'totals'", line=line, field=where)
    setting = f"{named} ({report.model})" + ("" if options["count_biases"] else ", not counting biases")
    if options["dtype"] != "fp32" or options["batch"] != 1:
        setting += f", {options['dtype']}, batch {options['batch']}"
    return Question(qid, ask, setting, tuple(verdicts))
