"""Issue 12: no message quotes more than 60 characters of a value the user gave (a 5 MB `pad:` was echoed whole).

An audit, not a list of known cases: every option each layer type reads (found by parsing each type with a recording
Options), every place of a spec that uses every container, block, variable, variant, paper figure and expected
answer (fuzz/yaml_places.py walks it), every key of its mappings, every place of an answers file, every option and
argument of every command (walked from the click group) and click's own parser errors. Each gets a 100,000-character
text, a 100,000-digit number and a long list; the command must fail with its own error (not the internal-error
exit 70, no traceback), in a short message that quotes no more than 60 characters of the value.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import pytest
import yaml
import yaml_places
from click.testing import CliRunner

from cnncalc.cli import main
from cnncalc.exits import INTERNAL_ERROR
from cnncalc.spec.items import layer_type_names
from cnncalc.spec.options import _REQUIRED, Options

LONG = 100_000
SHOWN = 60
MAX_OUTPUT = 2_000
HOLE = "HOLEFORTHEBADVALUE"  # a plain YAML scalar that the bad value's text replaces

# the bad values, as YAML text, as a command-line word, and the units whose repetition would show an echo
VALUES = {
    "text": ("x" * LONG, ("x",)),
    "digits": ("9" * LONG, ("9",)),
    "list": ("[" + ", ".join(["1"] * 1_000) + "]", ("1, ", "1,")),
}
WORDS = {"text": "x" * LONG, "digits": "9" * LONG, "list": ",".join(["1"] * 40_000)}
WORD_UNITS = {"text": ("x",), "digits": ("9",), "list": ("1,", "1, ", "', '1")}


def needles(units: tuple[str, ...]) -> set[str]:
    """Every run of SHOWN + 1 characters that an echo of a value made of `units` would contain."""
    out = set()
    for unit in units:
        run = unit * (SHOWN // len(unit) + 2)
        out |= {run[i:i + SHOWN + 1] for i in range(len(unit))}
    return out


def check_short(result: Any, units: tuple[str, ...]) -> None:
    output = result.output
    assert result.exit_code not in (0, INTERNAL_ERROR), output[:500]
    assert "Traceback" not in output and "4300" not in output and "Exceeds the limit" not in output, output[:500]
    assert len(output) < MAX_OUTPUT, output[:500]
    echoed = [n for n in needles(units) if n in output]
    assert not echoed, output[:500]


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml: a 100,000-character key is emitted in no time


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=DUMPER, sort_keys=False, width=10**9)


def write_yaml(path: Path, data: Any, value: str) -> str:
    text = dump(data)
    assert text.count(HOLE) == 1
    path.write_text(text.replace(HOLE, value))
    return str(path)


def with_hole(data: Any, place: tuple[Any, ...]) -> Any:
    return yaml_places.put(copy.deepcopy(data), place, HOLE)


def with_key(data: Any, place: tuple[Any, ...], key: str) -> Any:
    """`data` with a key `key` added to the mapping at `place` (its value: 1)."""
    out = copy.deepcopy(data)
    yaml_places.get(out, place)[key] = 1
    return out


def mappings(data: Any) -> list[tuple[Any, ...]]:
    return [p for p in yaml_places.places(data) if isinstance(yaml_places.get(data, p), dict)]


def ids(places: list[tuple[Any, ...]]) -> list[str]:
    return [".".join(map(str, p)) or "(top)" for p in places]


# --- every option every layer type reads ---------------------------------------------------------------------

STAND_IN = {"filters": 4, "kernel": 1, "units": 4, "output": 1, "groups": 1, "p": 0.1, "factor": 1, "size": [1, 1]}
"""A valid value for each required option, on the 8x8x4 input of LAYER_SPEC."""


class Recorder(Options):
    """An Options that records every option a layer type's parser asks for (taken, or asked whether it is there),
    answering the default or a stand-in."""

    def __init__(self, kind: str) -> None:
        super().__init__({}, "x", kind, None)
        self.required: dict[str, bool] = {}

    def has(self, key: str) -> bool:
        self.required.setdefault(key, False)
        return False

    def take(self, key: str, default: Any = _REQUIRED) -> Any:
        self.required[key] = self.required.get(key, False) or default is _REQUIRED
        return STAND_IN[key] if default is _REQUIRED else default


@functools.cache
def options_of(kind: str) -> dict[str, bool]:
    """Each option the parser of `kind` reads → whether it is required."""
    from cnncalc.layers import LAYER_TYPES

    recorder = Recorder(kind)
    LAYER_TYPES[kind].parse(kind, recorder)
    return recorder.required


def layer_spec(kind: str, **options: Any) -> dict[str, Any]:
    required = {k: STAND_IN[k] for k, needed in options_of(kind).items() if needed}
    return {"input": "8x8x4", "layers": [{kind: {**required, **options}}]}


LAYER_OPTIONS = [(kind, key) for kind in layer_type_names() for key in options_of(kind)]


def test_the_audit_reads_every_layer_type_and_each_base_spec_is_valid(tmp_path: Path) -> None:
    assert len(layer_type_names()) > 40 and len(LAYER_OPTIONS) > 100
    for kind in layer_type_names():
        path = tmp_path / "base.yaml"
        path.write_text(yaml.safe_dump(layer_spec(kind)))
        assert invoke("summarize", str(path)).exit_code == 0, kind


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize(("kind", "key"), LAYER_OPTIONS, ids=[f"{k}.{o}" for k, o in LAYER_OPTIONS])
def test_a_layer_option(tmp_path: Path, kind: str, key: str, value: str) -> None:
    text, units = VALUES[value]
    path = write_yaml(tmp_path / "bad.yaml", layer_spec(kind, **{key: HOLE}), text)
    check_short(invoke("summarize", path), units)


@pytest.mark.parametrize("kind", layer_type_names())
def test_an_unknown_option_of_a_layer(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(dump(layer_spec(kind, **{"x" * LONG: 1})))
    check_short(invoke("summarize", str(path)), ("x",))


# --- every place of a spec with every container, block and extra ------------------------------------------------

CORPUS: dict[str, Any] = yaml.safe_load("""
name: corpus
description: every field a spec can have, for the echo audit
source: tests/test_echo_limits.py
input: {channels: 4, height: 8, width: 8}
variables: {width: 4, deep: true}
variants: {wide: {width: 4}}
paper: {params: 1K, ops: 1M, macs: 1M}
blocks:
  unit:
    args: {w: 4, stride: 1}
    layers:
      - conv: {filters: $w, kernel: 3, stride: $stride, pad: 1}
      - relu
  plain:
    args: [w]
    layers: [{conv: {filters: $w, kernel: 1}}]
layers:
  - conv3-4
  - name: stem
    conv: {filters: 4, kernel: 1}
    expect: {output: 8x8x4, params: 20}
    paper: {params: "20"}
  - unit: {w: $width}
    repeat: 2
    first: {stride: 1}
  - unit
  - plain: [4]
    when: $deep
  - residual: {body: [conv3-4, bn], shortcut: identity, after: [relu], add: inplace}
  - residual: {body: [conv3-4], shortcut: [conv1-4]}
  - concat: {a: [conv1-4], b: [{maxpool: {kernel: 3, stride: 1, pad: 1}}]}
  - concat: [[conv1-2], [conv1-2]]
  - gate: [global_avgpool, {conv: {filters: 4, kernel: 1}}, sigmoid]
  - gate: {body: [global_avgpool, {conv: {filters: 4, kernel: 1}}, sigmoid]}
  - split: {chunks: 2, branches: [[conv1-2], [conv1-2]]}
  - split: {sizes: [1, 3], branches: {a: [identity], b: [identity]}}
  - dense: {count: 2, body: [conv3-2]}
  - layers: [{crop: {size: [6, 6]}}]
  - concat: {a: [conv1-2], b: [{crop: match}]}
  - 2w2s
  - 6c1w1s0p
  - flatten
  - FC-10
  - fc: {units: 10}
  - soft-max
""")
CORPUS_PLACES = [p for p in yaml_places.places(CORPUS) if p not in (("description",), ("source",))]
# description and source are free text, printed as written


def test_the_corpus_is_a_valid_spec(tmp_path: Path) -> None:
    path = tmp_path / "corpus.yaml"
    path.write_text(yaml.safe_dump(CORPUS, sort_keys=False))
    result = invoke("summarize", str(path))
    assert result.exit_code == 0, result.output
    assert invoke("summarize", str(path), "--variant", "wide").exit_code == 0


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("place", CORPUS_PLACES, ids=ids(CORPUS_PLACES))
def test_a_place_in_a_spec(tmp_path: Path, place: tuple[Any, ...], value: str) -> None:
    text, units = VALUES[value]
    path = write_yaml(tmp_path / "bad.yaml", with_hole(CORPUS, place), text)
    variant = ["--variant", "wide"] if place[:1] == ("variants",) else []  # a variant is read when chosen
    check_short(invoke("summarize", path, *variant), units)


ANY_NAME = [("variables",), ("variants",), ("blocks",), ("blocks", "unit", "args")]
# mappings whose keys are the spec's own names: a variable, variant, block or argument that nothing uses is no error


@pytest.mark.parametrize("place", mappings(CORPUS), ids=ids(mappings(CORPUS)))
def test_a_key_in_a_spec(tmp_path: Path, place: tuple[Any, ...]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(dump(with_key(CORPUS, place, "x" * LONG)))
    result = invoke("summarize", str(path), "--variant", "wide")
    if place in ANY_NAME:
        assert result.exit_code == 0 and "x" * (SHOWN + 1) not in result.output
    else:
        check_short(result, ("x",))


@pytest.mark.parametrize("item", ["conv3-{}", "{}fc", "FC-{}", "{}c5w1s0p", "2w{}s", "{}"])
@pytest.mark.parametrize("value", ["text", "digits"])
def test_a_shorthand(tmp_path: Path, item: str, value: str) -> None:
    text, units = VALUES[value]
    path = tmp_path / "bad.yaml"
    path.write_text(f"input: 8x8x4\nlayers:\n  - relu\n  - {item.format(text)}\n")
    result = invoke("summarize", str(path))
    check_short(result, units)
    assert "bad.yaml:4: layers[1]: " in result.output  # the line and the field as written


# --- every place of an answers file --------------------------------------------------------------------------

ANSWERS: dict[str, Any] = yaml.safe_load("""
title: every field of an answers file
questions:
  - id: q1
    ask: a 3x3 filter with stride 2 on a 7x7 input
    input: 7x7
    layer: {conv: {kernel: 3, stride: 2}}
    output: 3x3
    fits: yes
  - input: 227x227x3
    layer: {conv: {filters: 96, kernel: 11, stride: 4}}
    output: 55x55x96
    params: 34,944
    weights: 34848
    biases: 96
    memory: 290400 * 4 bytes = 1.16MB
    macs: 105M
    flops: 211M
    dtype: fp32
    batch: 1
    no_bias: false
  - spec: {input: 8x8x4, layers: [conv3-4]}
    input: 8x8x4
    layers: {conv1: {output: 8x8x4, params: 148}}
    totals: {params: 148, memory: 256, macs: 9216}
  - spec: net.yaml
    variant: wide
    totals: {params: 80}
""")
NET = "input: 8x8x4\nvariables: {w: 4}\nvariants: {wide: {w: 8}}\nlayers:\n  - conv: {filters: $w, kernel: 1}\n"
ANSWER_PLACES = [p for p in yaml_places.places(ANSWERS) if p[-1:] not in (("title",), ("ask",), ("id",))]
# title, ask and id are free text, printed as written


def answers_file(tmp_path: Path, data: Any, value: str = "") -> str:
    (tmp_path / "net.yaml").write_text(NET)
    if not value:
        (tmp_path / "answers.yaml").write_text(dump(data))
        return str(tmp_path / "answers.yaml")
    return write_yaml(tmp_path / "answers.yaml", data, value)


def test_the_answers_file_is_valid(tmp_path: Path) -> None:
    result = invoke("grade", answers_file(tmp_path, ANSWERS))
    assert result.exit_code in (0, 3) and "Error" not in result.output, result.output


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("place", ANSWER_PLACES, ids=ids(ANSWER_PLACES))
def test_a_place_in_an_answers_file(tmp_path: Path, place: tuple[Any, ...], value: str) -> None:
    text, units = VALUES[value]
    result = invoke("grade", answers_file(tmp_path, with_hole(ANSWERS, place), text))
    check_short(result, units)
    if len(place) > 1 and place[0] == "questions":
        assert f"questions[{place[1]}]" in result.output  # the error points into the answers file


@pytest.mark.parametrize("place", mappings(ANSWERS), ids=ids(mappings(ANSWERS)))
def test_a_key_in_an_answers_file(tmp_path: Path, place: tuple[Any, ...]) -> None:
    check_short(invoke("grade", answers_file(tmp_path, with_key(ANSWERS, place, "x" * LONG))), ("x",))


# --- every option and argument of every command -------------------------------------------------------------

SPEC = "input: 8x8x4\nvariants: {}\nlayers: [conv3-4, relu]\n"


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The valid arguments each command's base invocation needs, in a folder of its own (the current one: report
    and import write there). `serve` takes any --input and --variant and shows their errors in the page: it stops
    before serving with the page's error, and fails the test (exit 70) where the page has none."""
    from cnncalc import serve
    from cnncalc.errors import CnnCalcError

    def no_server(session: Any, *args: Any, **kwargs: Any) -> Any:
        result = session.render(session.initial_text())
        assert not result["ok"], "serve would have started serving"
        raise CnnCalcError(result["error"].removeprefix("Error: "))

    monkeypatch.setattr(serve, "make_server", no_server)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "net.yaml").write_text(SPEC)
    (tmp_path / "answers.yaml").write_text("questions:\n  - spec: net.yaml\n    totals: {params: 148}\n")
    onnx = pytest.importorskip("onnx")
    value = functools.partial(onnx.helper.make_tensor_value_info, elem_type=onnx.TensorProto.FLOAT,
                              shape=[1, 4, 8, 8])
    graph = onnx.helper.make_graph([onnx.helper.make_node("Relu", ["x"], ["y"], name="relu")], "g",
                                   [value("x")], [value("y")])
    onnx.save(onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)]), tmp_path / "m.onnx")
    return {"spec": "net.yaml", "answers": "answers.yaml"}


BASE = {  # a valid invocation of each command; the option under audit is added to it
    "summarize": ["summarize", "net.yaml"], "table": ["table", "net.yaml"],
    "compare": ["compare", "net.yaml", "net.yaml"], "grade": ["grade", "answers.yaml"],
    "explain": ["explain", "net.yaml"], "memory": ["memory", "net.yaml"],
    "sweep": ["sweep", "net.yaml", "--input", "8:16:8"], "check": ["check", "--input", "7"],
    "report": ["report", "net.yaml"], "serve": ["serve", "net.yaml"], "specs": ["specs"],
    "verify": ["verify", "net.yaml", "--device", "meta"], "import": ["import", "m.onnx"],
}
ACCEPTS_ANY = {  # (command, option) that take any text by design
    ("report", "--output"),  # the page is written there: a name too long for the system is an error, checked below
    ("compare", "--variant"),  # used for each spec that has it, ignored by the others
}


def value_options() -> list[tuple[str, str]]:
    """(command, option) for every option of every command that takes a value (flags left out)."""
    import click

    out = []
    for name, command in sorted(main.commands.items()):
        for param in command.params:
            if isinstance(param, click.Option) and not param.is_flag and (name, param.opts[-1]) not in ACCEPTS_ANY:
                out.append((name, param.opts[-1]))
    return out


def test_every_command_has_a_base_invocation(files: dict[str, str]) -> None:
    assert set(BASE) == set(main.commands)
    for name, args in BASE.items():
        if name == "serve":
            continue  # it would serve
        assert invoke(*args).exit_code == 0, name


@pytest.mark.parametrize("value", WORDS)
@pytest.mark.parametrize(("command", "option"), value_options(), ids=[f"{c}{o}" for c, o in value_options()])
def test_a_command_option(files: dict[str, str], command: str, option: str, value: str) -> None:
    base = list(BASE[command])
    if option in base:
        i = base.index(option)
        del base[i:i + 2]
    check_short(invoke(*base, option, WORDS[value]), WORD_UNITS[value])


@pytest.mark.parametrize("value", WORDS)
@pytest.mark.parametrize("command", sorted(c for c, base in BASE.items()
                                           if any(a.endswith((".yaml", ".onnx")) for a in base)))  # not check, specs
def test_a_command_argument(files: dict[str, str], command: str, value: str) -> None:
    args = [WORDS[value] if a.endswith((".yaml", ".onnx")) else a for a in BASE[command]]
    check_short(invoke(*args), WORD_UNITS[value])


@pytest.mark.parametrize("args", [
    ["x" * LONG], ["summarize", "--" + "x" * LONG], ["summarize", "net.yaml", "x" * LONG],
    ["check", "--input", "7", *(["x"] * 30_000)], ["summarize", "--format=" + "x" * LONG],
], ids=["command", "option", "extra-argument", "extra-arguments", "option=value"])
def test_the_parser_s_own_errors(files: dict[str, str], args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    check_short(result, ("x", "x "))


def test_an_output_file_name_too_long_for_the_system(files: dict[str, str]) -> None:
    check_short(invoke("report", "net.yaml", "-o", "x" * LONG), ("x",))


# --- the helper, and the named cases ----------------------------------------------------------------

@pytest.mark.parametrize(("value", "text"), [
    ("conv", "'conv'"),
    ("x" * 100, "'" + "x" * 60 + "'... (100 characters)"),
    ("a\nb\x00", r"'a\nb\x00'"),  # control characters escaped: a message stays one line
    ("\x00" * 40, "'" + r"\x00" * 15 + "'... (40 characters)"),  # an escape counts as what it prints
    (123, "123"),
    (10**100_000, "a number of about 10^100000"),  # str() would raise: more than 4,300 digits
    ([1] * 1000, "[1, 1, 1, 1, 1, 1, ...]"),
    ([10**5000], "[a number of about 10^5000]"),
], ids=["short", "long", "control", "escapes", "number", "huge-number", "list", "list-of-a-huge-number"])
def test_shown_quotes_at_most_60_characters(value: Any, text: str) -> None:
    from cnncalc.errors import shown

    assert shown(value) == text


def test_clipped_and_shown_names() -> None:
    from cnncalc.errors import SpecError, clipped, shown_names

    assert clipped("a" * 61) == "a" * 60 + "... (61 characters)" and clipped("a\tb") == r"a\tb"
    assert shown_names([f"v{i}" for i in range(20)]) == "v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11 and 8 more"
    assert str(SpecError("m", line=3, field="blocks." + "b" * 100 + ".layers")) == \
        f"line 3: blocks.{'b' * 60}... (100 characters).layers: m"


def test_an_empty_mapping_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("input: 8x8x3\nlayers:\n  - conv: {filters: {}, kernel: 3}\n")
    assert invoke("summarize", str(path)).output == \
        f"Error: {path}:3: layers[0].conv.filters: must be a whole number, got an empty mapping\n"


@pytest.mark.parametrize(("written", "write"), [("1e-3", "0.001 or 1.0e-3"), ("1e-10", "0.0000000001 or 1.0e-10"),
                                                ("5E2", "500 or 5.0e2")])
def test_an_exponent_without_a_dot_gets_the_exact_number(tmp_path: Path, written: str, write: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f"input: 8x8x3\nlayers:\n  - dropout: {{p: {written}}}\n")
    assert f"(YAML reads an exponent without a dot as text: write {write})" in invoke("summarize", str(path)).output


def test_a_grade_error_points_into_the_answers_file(tmp_path: Path) -> None:
    """A number too long to read is found as the YAML is read, before any question is: it names its field all the
    same; and a variant the question's spec lacks is the answers file's error, not the spec's."""
    (tmp_path / "net.yaml").write_text(NET)
    path = tmp_path / "answers.yaml"
    path.write_text("questions:\n  - input: " + "9" * 5000 + "\n    layer: conv3-4\n    output: 1\n")
    assert invoke("grade", str(path)).output == (f"Error: {path}:2: questions[0].input: a number written with 5,000 "
                                                 "digits is too large for any field (sizes are at most 2^64)\n")
    path.write_text("questions:\n  - spec: net.yaml\n    variant: wdie\n    totals: {params: 20}\n")
    assert invoke("grade", str(path)).output == (f"Error: {path}:3: questions[0].variant: no variant 'wdie' (did you "
                                                 "mean 'wide'?) (this spec has: wide)\n")


def test_no_python_text_for_a_number_click_cannot_convert() -> None:
    result = invoke("check", "--input", "7", "--filter", "9" * 5000)
    assert result.exit_code == 2 and "4300" not in result.output and "(5,000 characters) is not a valid integer" in \
        result.output
