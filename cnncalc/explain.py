"""Worked solutions as data: for each layer, the formulas of the slides with its own numbers filled in.

"Hint: (227−11)/4+1 = 55", "Parameters: (11*11*3)*96 = 35K", "POOL: 0 params", "memory: 224*224*64 = 3.2M":
each layer becomes a list of steps (what is computed, the formula with the numbers in, the exact value), which
`cnncalc explain` prints and `cnncalc grade` attaches to every wrong answer. The numbers are the report's own
(one source of truth); this module only writes out how they come about. Formatting belongs to
cnncalc/views/explain.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from cnncalc import arithmetic
from cnncalc.errors import SpecError, shown
from cnncalc.layers import Layer, Shape, numel, show_shape
from cnncalc.layers.base import show_fraction, size_formula
from cnncalc.layers.conv import Conv, ConvTranspose, LocallyConnected, Windowed
from cnncalc.layers.dense import Linear
from cnncalc.layers.graph import Concat, Container, Dense, Gate, Repeat, Residual, Sequence, Split, projection
from cnncalc.layers.pool import Pool
from cnncalc.results import LayerResult, Report
from cnncalc.spec.model import Spec
from cnncalc.spec.options import suggest

Value = int | Fraction | tuple[int, ...] | str

TOPICS = ("output", "params", "memory", "macs", "flops", "rf")
"""What a step is about; `grade` shows the steps of the quantity that was answered wrong."""


@dataclass(frozen=True)
class Step:
    """One line of a worked solution: label, the formula with the numbers in, and its exact value."""

    topic: str
    label: str
    formula: str
    value: Value
    note: str = ""
    unit: str = ""  # "bytes": the value is a size in bytes, shown with MB and MiB

    def __post_init__(self) -> None:
        if self.topic not in TOPICS:
            raise ValueError(f"unknown topic {self.topic!r}")


@dataclass(frozen=True)
class Solution:
    """The worked solution of one row of a report (a layer, or the join of branches)."""

    name: str
    kind: str
    description: str
    input: Shape
    output: Shape
    steps: tuple[Step, ...]

    def about(self, *topics: str) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.topic in topics)


@dataclass(frozen=True)
class Explanation:
    model: str
    file: str | None
    dtype: str
    bytes_per_value: int
    batch: int
    count_biases: bool
    layers: tuple[Solution, ...]
    totals: tuple[Step, ...]


def explain(spec: Spec, report: Report, only: str | None = None) -> Explanation:
    """Worked solutions for every row of `report` (analysed from `spec`), or for one layer or block `only`."""
    rows = report.layers
    if only is not None:
        rows = select(report, only)
    objects = layer_objects(spec)
    return Explanation(model=report.model, file=report.file, dtype=report.dtype,
                       bytes_per_value=report.bytes_per_value, batch=report.batch,
                       count_biases=report.count_biases,
                       layers=tuple(solve(find_layer(objects, r), r, report) for r in rows),
                       totals=total_steps(report) if only is None else ())


def select(report: Report, name: str) -> tuple[LayerResult, ...]:
    """The rows of one layer (its dotted path) or of one block (every row under its path)."""
    for r in report.layers:
        if r.name == name:
            return (r,)
    for m in report.modules:
        if m.name == name:
            return report.layers[m.first_row:m.end_row]
    names = [r.name for r in report.layers] + [m.name for m in report.modules]
    raise SpecError(f"no layer or block {shown(name)} in {report.model}{suggest(name, names)}", field="--layer")


# --- the spec's layer objects by the report's dotted paths ---------------------------------------------------

def layer_objects(spec: Spec) -> dict[str, Layer]:
    """Every leaf of the spec under the dotted path analysis.Walker gives its row (the walk mirrors it)."""
    found: dict[str, Layer] = {}

    def walk(node: Layer, path: str) -> None:
        if isinstance(node, Sequence):
            for item in node.items:
                walk(item, f"{path}.{item.name}")
        elif isinstance(node, Repeat):
            for i in range(node.count):
                walk(node.first if i == 0 else node.rest, f"{path}.{i}")
        elif isinstance(node, (Concat, Split)):
            for branch in node.branches:
                walk(branch, f"{path}.{branch.name}")
        elif isinstance(node, Gate):
            walk(node.body, path)
        elif isinstance(node, Residual):
            for item in node.body.items + (node.after.items if node.after else ()):
                walk(item, f"{path}.{item.name}")
            if node.shortcut is not None:
                walk(node.shortcut, f"{path}.shortcut")
        elif isinstance(node, Dense):
            for i in range(node.count):
                walk(node.body, f"{path}.{i}")
        elif not isinstance(node, Container):
            found[path] = node

    for layer in spec.layers:
        walk(layer, layer.name)
    return found


def find_layer(objects: dict[str, Layer], r: LayerResult) -> Layer | None:
    layer = objects.get(r.name)
    if layer is None and r.name.endswith(".shortcut.conv"):
        # `shortcut: auto` builds its 1x1 projection during the analysis; rebuild the same one here
        built = projection(r.input, r.output)
        layer = built.items[0] if built else None
    return layer


# --- one row ------------------------------------------------------------------------------------------------

def solve(layer: Layer | None, r: LayerResult, report: Report) -> Solution:
    """The steps for one row; `layer` is None for joins (concat, add), which have no layer object."""
    steps: list[Step] = []
    facts = None
    if layer is not None:
        try:
            facts = layer.infer(r.input)
        except SpecError:  # pragma: no cover - the analysis has already run this layer on this input
            facts = None
    explainer = _OUTPUT.get(type(layer)) if layer is not None else None
    steps += explainer(layer, r) if explainer and layer is not None else _output_generic(r)
    steps.append(_params(layer, r, report))
    steps.append(_memory(r, report))
    if r.macs or isinstance(layer, (Conv, ConvTranspose, LocallyConnected, Linear)):
        steps.append(Step("macs", "MACs", _macs_formula(layer, r), r.macs,
                          "multiply-accumulates per sample, bias adds excluded"))
    steps.append(_flops(r))
    rf = _receptive_field(r, facts)
    if rf is not None:
        steps.append(rf)
    return Solution(r.name, r.kind, r.description, r.input, r.output, tuple(steps))


def _axes(n: tuple[int, int], k: tuple[int, int], s: tuple[int, int], pad_total: tuple[int, int],
          d: tuple[int, int], *, ceil: bool = False, pool_pad: tuple[int, int] | None = None) -> list[Step]:
    """The output-size hint on each axis; one step when both axes have the same formula."""
    steps = []
    for i, axis in enumerate(("height", "width")):
        exact = arithmetic.exact_output(n[i], k[i], s[i], pad_total[i], d[i])
        formula = size_formula(n[i], k[i], s[i], pad_total[i], d[i])
        note = ""
        if exact.denominator != 1:
            left = arithmetic.leftover(n[i], k[i], s[i], pad_total[i], d[i])
            if ceil and pool_pad is not None:
                out = arithmetic.pool_output(n[i], k[i], s[i], pool_pad[i], d[i], ceil_mode=True)
                note = f"not a whole number: ceil mode rounds it up to {out}"
            else:
                note = (f"not a whole number: doesn't fit; PyTorch floors it to {int(exact)}, leaving the last "
                        f"{left} row{'s' if left != 1 else ''}/column{'s' if left != 1 else ''} unread")
        steps.append(Step("output", f"Output {axis}", formula, exact, note))
    if steps[0].formula == steps[1].formula:
        return [Step("output", "Output size", steps[0].formula, steps[0].value, steps[0].note)]
    return steps


def _volume(r: LayerResult, note: str) -> Step:
    return Step("output", "Output volume", "", r.output, note)


def _output_windowed(layer: Layer, r: LayerResult) -> list[Step]:
    assert isinstance(layer, Windowed)
    _, h, w = r.input
    pad = (sum(layer.pad[0]), sum(layer.pad[1]))
    steps = _axes((h, w), layer.kernel, layer.stride, pad, layer.dilation)
    filters = r.output[0]
    return [*steps, _volume(r, f"depth = {filters} filters")]


def _output_pool(layer: Layer, r: LayerResult) -> list[Step]:
    assert isinstance(layer, Pool)
    _, h, w = r.input
    steps = _axes((h, w), layer.kernel, layer.stride, (2 * layer.pad[0], 2 * layer.pad[1]), layer.dilation,
                  ceil=layer.ceil, pool_pad=layer.pad)
    return [*steps, _volume(r, f"depth kept: {r.output[0]} channels, pooled one by one")]


def _output_transposed(layer: Layer, r: LayerResult) -> list[Step]:
    assert isinstance(layer, ConvTranspose)
    steps = []
    for i, axis in enumerate(("height", "width")):
        n, k, s, p = r.input[1 + i], layer.kernel[i], layer.stride[i], layer.pad[i]
        d, op = layer.dilation[i], layer.output_padding[i]
        formula = f"({n} − 1)·{s} − 2·{p} + {d}·({k} − 1) + {op} + 1"
        steps.append(Step("output", f"Output {axis}", formula, r.output[1 + i]))
    if steps[0].formula == steps[1].formula:
        steps = [Step("output", "Output size", steps[0].formula, steps[0].value)]
    return [*steps, _volume(r, f"depth = {r.output[0]} filters")]


def _output_linear(layer: Layer, r: LayerResult) -> list[Step]:
    n_in = numel(r.input)
    if len(r.input) == 3:
        note = f"{r.output[0]} units, each connected to all {_product(r.input)} = {n_in:,} inputs"
    else:
        note = f"{r.output[0]} units, each connected to all {n_in:,} inputs"
    return [_volume(r, note)]


def _output_generic(r: LayerResult) -> list[Step]:
    if r.kind == "concat":
        channels = r.description.removesuffix(" channels")
        return [Step("output", "Output channels", channels, r.output[0], "branches concatenated along the depth"),
                _volume(r, "")]
    if r.kind == "flatten":
        return [Step("output", "Output", _product(r.input), r.output, "the volume as one vector")]
    if r.kind == "global_avgpool":
        return [_volume(r, "one average per channel")]
    if r.kind == "maxout":
        pieces = r.input[0] // r.output[0]
        return [Step("output", "Output channels", f"{r.input[0]}/{pieces}", r.output[0], f"max over {pieces} pieces"),
                _volume(r, "")]
    if r.output == r.input:
        return [_volume(r, "same shape as its input")]
    return [_volume(r, "")]


_OUTPUT: dict[type, Callable[[Layer, LayerResult], list[Step]]] = {
    Conv: _output_windowed,
    LocallyConnected: _output_windowed,
    Pool: _output_pool,
    ConvTranspose: _output_transposed,
    Linear: _output_linear,
}


def _product(shape: Shape) -> str:
    """The slides' H*W*C order."""
    if len(shape) == 3:
        c, h, w = shape
        return f"{h}*{w}*{c}"
    return "*".join(str(d) for d in shape)


def _params(layer: Layer | None, r: LayerResult, report: Report) -> Step:
    if r.params == 0 and r.params_formula == "0":
        if isinstance(layer, Pool) or r.kind in ("maxpool", "avgpool", "global_avgpool", "adaptive_avgpool"):
            return Step("params", "Parameters", "", 0, "POOL: 0 params, a fixed function of its input")
        return Step("params", "Parameters", "", 0, "no weights")
    note = ""
    if r.biases:
        note = f"weights {r.weights:,} + biases {r.biases:,}"
        if r.kind == "batchnorm":
            note = f"γ {r.weights:,} + β {r.biases:,}; running mean and variance are buffers"
    elif not report.count_biases:
        note = "not counting biases"
    return Step("params", "Parameters", r.params_formula, r.params, note)


def _memory(r: LayerResult, report: Report) -> Step:
    if not r.new_tensor:
        return Step("memory", "Memory", "", 0, r.note or "no new tensor")
    nbytes = r.activations * report.bytes_per_value * report.batch
    batch = f" × {report.batch} samples" if report.batch > 1 else ""
    note = f"values; × {report.bytes_per_value} bytes{batch} = {nbytes:,} bytes ({report.dtype})"
    return Step("memory", "Memory", _product(r.output), r.activations, note)


def _macs_formula(layer: Layer | None, r: LayerResult) -> str:
    if isinstance(layer, (Conv, LocallyConnected)):
        filters, oh, ow = r.output
        kh, kw = layer.kernel
        fan_in = r.macs // (oh * ow * filters) if oh * ow * filters else 0
        depth = fan_in // (kh * kw) if kh * kw else 0
        return f"({oh}*{ow}*{filters})*({kh}*{kw}*{depth})"
    if isinstance(layer, ConvTranspose):
        c, h, w = r.input
        return f"({h}*{w}*{c})*({layer.filters // layer.groups}*{layer.kernel[0]}*{layer.kernel[1]})"
    if isinstance(layer, Linear):
        return f"{_product(r.input)}*{r.output[0]}"
    return ""


def _flops(r: LayerResult) -> Step:
    if r.macs:
        adds = r.flops - 2 * r.macs
        formula = f"2*{r.macs:,}" + (f" + {adds:,}" if adds else "")
        note = "a multiply and an add per MAC" + (", plus one add per output for the bias" if adds else "")
        return Step("flops", "FLOPs", formula, r.flops, note)
    if not r.flops:
        return Step("flops", "FLOPs", "", 0, "")
    if r.kind == "softmax":
        n = r.output[0]
        groups = numel(r.output) // n
        formula = f"(3*{n} − 1)" + (f"*{groups}" if groups > 1 else "")
        return Step("flops", "FLOPs", formula, r.flops, "per group of N: N exponentials, N − 1 adds, N divisions")
    elements = numel(r.output)
    per, rest = divmod(r.flops, elements)
    if rest == 0 and per > 1:
        return Step("flops", "FLOPs", f"{per}*{_product(r.output)}", r.flops, f"{per} per output element")
    if rest == 0:
        return Step("flops", "FLOPs", _product(r.output), r.flops, "1 per element")
    return Step("flops", "FLOPs", "", r.flops, "")


def _receptive_field(r: LayerResult, facts: object) -> Step | None:
    """r_out = r_in + (k − 1)·j_in and j_out = j_in·s (Araujo et al., Distill 2019), worked back from the field
    the analysis carried to this row's output."""
    out = getattr(r, "receptive_field", None)
    if out is None:
        return None
    if r.kind in ("concat", "add"):
        return Step("rf", "Receptive field", "", out.size[0] if out.size[0] == out.size[1] else out.size,
                    "the largest over the joined paths")
    step = getattr(facts, "rf", None)
    if not step:
        return None
    parts = []
    for axis, (k, s, _p) in zip((out.height, out.width), step):
        j_in = Fraction(axis.jump, s)
        r_in = axis.size - (k - 1) * j_in
        parts.append((f"{show_fraction(r_in)} + ({k} − 1)·{show_fraction(j_in)}", axis.size,
                      f"jump {show_fraction(j_in)}·{s} = {axis.jump}"))
    if parts[0] == parts[1]:
        formula, size, jump = parts[0]
        return Step("rf", "Receptive field", formula, size, jump)
    (fh, sh, jh), (fw, sw, jw) = parts
    return Step("rf", "Receptive field", f"{fh} | {fw}", f"{sh}x{sw}", f"height {jh}; width {jw}")


# --- totals --------------------------------------------------------------------------------------------------

MAX_TERMS = 40  # a sum with more terms is written as Σ over the rows


def _sum(values: list[int]) -> str:
    terms = [v for v in values if v]
    if len(terms) > MAX_TERMS:
        return f"Σ over {len(terms)} layers"
    return " + ".join(f"{v:,}" for v in terms) or "0"


def total_steps(report: Report) -> tuple[Step, ...]:
    """Totals as sums of the rows, and memory in bytes, as the slides' "TOTAL memory" and "TOTAL params"."""
    t = report.totals
    layers = report.layers
    biases = "" if report.count_biases else "not counting biases"
    memory_bytes = t.activations * report.bytes_per_value * report.batch
    batch = f" × {report.batch}" if report.batch > 1 else ""
    return (
        Step("params", "Total params", _sum([r.params for r in layers]), t.params, biases),
        Step("memory", "Total memory", _sum([numel(report.input)] + [r.activations for r in layers]),
             t.activations, "values per sample, the input included"),
        Step("memory", "Forward memory", f"{t.activations:,} × {report.bytes_per_value} bytes{batch}", memory_bytes,
             f"{report.dtype}; ×2 for the backward pass", unit="bytes"),
        Step("macs", "Total MACs", _sum([r.macs for r in layers]), t.macs, "per sample"),
        Step("flops", "Total FLOPs", _sum([r.flops for r in layers]), t.flops, "per sample"),
    )


def describe_value(value: Value) -> str:
    """A step's value as the slides write it: 55, 2.33, 55x55x96, 34,944."""
    if isinstance(value, tuple):
        return show_shape(value)
    if isinstance(value, Fraction):
        return show_fraction(value)
    if isinstance(value, int):
        return f"{value:,}"
    return value
