"""Property-based tests (hypothesis): invariants of randomly generated valid networks, the output-size formulas
against a brute-force count of window positions, and randomly mutated specs that may fail only with the
package's own errors."""

from __future__ import annotations

import copy
import io
import math
from typing import Any

import pytest
import yaml
from conftest import SPECS
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from yaml_places import get, places

from cnncalc import analyze, arithmetic, loads_spec
from cnncalc.check import check
from cnncalc.errors import CnnCalcError, SpecError
from cnncalc.layers import numel

FAST = settings(max_examples=300, deadline=None)
SLOW = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- output sizes against a brute-force count of window positions ---------------------------------------------------

def windows_floor(n: int, k: int, s: int, pad_total: int, d: int) -> int:
    """Window starts 0, s, 2s, ... whose whole dilated span lies inside the padded input."""
    span = (k - 1) * d + 1
    return sum(1 for start in range(0, n + pad_total, s) if start + span <= n + pad_total)


def windows_ceil(n: int, k: int, s: int, p: int, d: int) -> int:
    """PyTorch's ceil mode, counted: a window may overhang the padded end by less than a stride, and must start
    before the right padding ("windows that would start in the right padded region are ignored")."""
    span = (k - 1) * d + 1
    return sum(1 for start in range(0, n + 2 * p + s, s) if start + span <= n + 2 * p + s - 1 and start < n + p)


@FAST
@given(n=st.integers(1, 60), k=st.integers(1, 9), s=st.integers(1, 6), pad=st.integers(0, 6), d=st.integers(1, 4))
def test_conv_output_counts_window_positions(n: int, k: int, s: int, pad: int, d: int) -> None:
    assume((k - 1) * d + 1 <= n + pad)
    assert arithmetic.conv_output(n, k, s, pad, d) == windows_floor(n, k, s, pad, d)


@FAST
@given(n=st.integers(1, 60), k=st.integers(1, 9), s=st.integers(1, 6), p=st.integers(0, 4), d=st.integers(1, 3),
       ceil=st.booleans())
def test_pool_output_counts_window_positions(n: int, k: int, s: int, p: int, d: int, ceil: bool) -> None:
    span = (k - 1) * d + 1
    assume(span <= n + 2 * p and 2 * p <= span)  # PyTorch refuses a pad of more than half the window
    expected = windows_ceil(n, k, s, p, d) if ceil else windows_floor(n, k, s, 2 * p, d)
    assert arithmetic.pool_output(n, k, s, p, d, ceil_mode=ceil) == expected


@FAST
@given(h=st.integers(1, 40), w=st.integers(1, 40), kh=st.integers(1, 5), kw=st.integers(1, 5),
       s=st.integers(1, 3), top=st.integers(0, 3), bottom=st.integers(0, 3), left=st.integers(0, 3),
       right=st.integers(0, 3), d=st.integers(1, 2))
def test_conv_layer_output_counts_window_positions(h: int, w: int, kh: int, kw: int, s: int, top: int, bottom: int,
                                                   left: int, right: int, d: int) -> None:
    """Through the spec and the layer, with asymmetric padding, on both axes."""
    assume((kh - 1) * d + 1 <= h + top + bottom and (kw - 1) * d + 1 <= w + left + right)
    text = (f"input: [2, {h}, {w}]\nlayers:\n  - conv: {{filters: 3, kernel: [{kh}, {kw}], stride: {s}, "
            f"pad: [{top}, {bottom}, {left}, {right}], dilation: {d}}}\n")
    out = analyze(loads_spec(text)).layers[0].output
    assert out == (3, windows_floor(h, kh, s, top + bottom, d), windows_floor(w, kw, s, left + right, d))


@FAST
@given(n=st.integers(1, 200), out=st.integers(1, 200))
def test_adaptive_window_total_is_the_sum_of_the_windows(n: int, out: int) -> None:
    windows = [((i * n) // out, -(-((i + 1) * n) // out)) for i in range(out)]  # aten AdaptivePooling.h
    assert arithmetic.adaptive_window_total(n, out) == sum(b - a for a, b in windows)


@FAST
@given(n=st.integers(1, 80), k=st.integers(1, 9), s=st.integers(1, 7), p=st.integers(0, 5), d=st.integers(1, 3))
def test_check_suggests_the_nearest_inputs_that_tile(n: int, k: int, s: int, p: int, d: int) -> None:
    span = (k - 1) * d + 1

    def tiles(m: int) -> bool:
        return span <= m + 2 * p and (m + 2 * p - span) % s == 0

    below = next((m for m in range(n - 1, 0, -1) if tiles(m)), None)
    above = next(m for m in range(n + 1, n + s + span + 2 * p + 1) if tiles(m))
    result = check(n, n, kernel=k, stride=s, pad=p, dilation=d)
    assert result.fitting_inputs == tuple(m for m in (below, above) if m is not None)


# --- random valid networks satisfy the invariants ---------------------------------------------------------------------

def conv_item(draw: Any, same: bool) -> str:
    filters, k, d = draw(st.integers(1, 8)), draw(st.integers(1, 4)), draw(st.integers(1, 2))
    if same:
        return f"conv: {{filters: {filters}, kernel: {k}, dilation: {d}, pad: same}}"
    return (f"conv: {{filters: {filters}, kernel: {k}, stride: {draw(st.integers(1, 3))}, pad: "
            f"{draw(st.integers(0, 2))}, dilation: {d}, bias: {str(draw(st.booleans())).lower()}}}")


@st.composite
def layer_items(draw: Any) -> str:
    kind = draw(st.sampled_from(["conv", "same", "maxpool", "avgpool", "relu", "sigmoid", "bn", "deconv", "zeropad",
                                 "lrn", "adaptive", "fc", "flatten", "dropout", "gap", "local", "maxout", "softmax"]))
    if kind in ("conv", "same"):
        return conv_item(draw, kind == "same")
    if kind in ("maxpool", "avgpool"):
        k = draw(st.integers(1, 3))
        return (f"{kind}: {{kernel: {k}, stride: {draw(st.integers(1, 3))}, pad: {draw(st.integers(0, k // 2))}, "
                f"ceil: {str(draw(st.booleans())).lower()}}}")
    if kind == "deconv":
        return f"deconv: {{filters: {draw(st.integers(1, 4))}, kernel: {draw(st.integers(1, 3))}, stride: 2}}"
    if kind == "zeropad":
        return f"zeropad: {{pad: {draw(st.integers(0, 2))}}}"
    if kind == "adaptive":
        return f"adaptive_avgpool: {{output: {draw(st.integers(1, 4))}}}"
    if kind == "fc":
        return f"fc: {{units: {draw(st.integers(1, 16))}}}"
    if kind == "local":
        return f"local: {{filters: {draw(st.integers(1, 3))}, kernel: {draw(st.integers(1, 3))}}}"
    return kind


@st.composite
def chains(draw: Any) -> tuple[str, tuple[int, int, int]]:
    """A valid chain: each drawn layer is kept only if the network so far still analyses."""
    shape = (draw(st.integers(1, 6)), draw(st.integers(1, 24)), draw(st.integers(1, 24)))
    head = f"input: [{shape[0]}, {shape[1]}, {shape[2]}]\nlayers:\n"
    items: list[str] = []
    for item in draw(st.lists(layer_items(), min_size=1, max_size=8)):
        candidate = head + "".join(f"  - {i}\n" for i in [*items, item])
        spec = loads_spec(candidate)  # every drawn item is well-formed: a parse error here is a bug
        try:
            analyze(spec, suggest=False)  # no search for an input that tiles: only validity matters here
        except SpecError:
            continue  # a shape that does not fit (kernel too large, a flat vector, odd channels): not drawn
        items.append(item)
    assume(items)
    return head + "".join(f"  - {i}\n" for i in items), shape


@FAST
@given(chain=chains(), batch=st.integers(1, 4), bias=st.booleans())
def test_random_chains_satisfy_the_invariants(chain: tuple[str, tuple[int, int, int]], batch: int, bias: bool) -> None:
    text, shape = chain
    r = analyze(loads_spec(text), batch=batch, count_biases=bias, suggest=False)
    t = r.totals
    assert sum(x.params for x in r.layers) == t.params == t.weights + t.biases
    assert sum(x.weights for x in r.layers) == t.weights and sum(x.biases for x in r.layers) == t.biases
    assert sum(x.macs for x in r.layers) == t.macs and sum(x.flops for x in r.layers) == t.flops
    assert numel(shape) + sum(x.activations for x in r.layers) == t.activations
    assert t.forward_bytes == t.activations * 4 * batch and t.forward_backward_bytes == 2 * t.forward_bytes
    assert r.layers[0].input == shape == r.input
    for before, after in zip(r.layers, r.layers[1:]):
        assert after.input == before.output  # each layer's input is the previous layer's output
    for row in r.layers:
        assert all(d >= 1 for d in row.output)
        assert row.flops >= 2 * row.macs
        if "pad same" in row.description:
            assert row.output[1:] == row.input[1:]  # a stride-1 "same" convolution keeps height and width


@FAST
@given(h=st.integers(1, 40), w=st.integers(1, 40), c=st.integers(1, 4), kh=st.integers(1, 7), kw=st.integers(1, 7),
       dh=st.integers(1, 3), dw=st.integers(1, 3))
def test_same_convolution_keeps_height_and_width(h: int, w: int, c: int, kh: int, kw: int, dh: int, dw: int) -> None:
    text = (f"input: [{c}, {h}, {w}]\nlayers:\n  - conv: {{filters: 5, kernel: [{kh}, {kw}], dilation: [{dh}, {dw}], "
            "pad: same}\n")
    row = analyze(loads_spec(text)).layers[0]
    assert row.output == (5, h, w)
    assert row.macs == h * w * 5 * kh * kw * c


@st.composite
def branchy(draw: Any) -> str:
    """Chains with concat, residual and dense containers inside a repeat: the sums hold for the joins too."""
    c, n = draw(st.integers(1, 4)), draw(st.integers(4, 16))
    f = draw(st.integers(1, 4))
    body = draw(st.sampled_from([
        (f"{{concat: [[{{conv: {{filters: {f}, kernel: 1}}}}], [{{conv: {{filters: 2, kernel: 3, pad: 1}}}}, relu], "
        "[{maxpool: {kernel: 3, stride: 1, pad: 1}}]]}"),
        (f"{{residual: {{body: [{{conv: {{filters: {f}, kernel: 3, pad: 1}}}}, bn, relu], shortcut: auto, "
        "after: [relu]}}"),
        (f"{{dense: {{count: {draw(st.integers(1, 4))}, body: [bn, relu, {{conv: {{filters: {f}, kernel: 3, "
        "pad: 1}}]}}"),
    ]))
    repeat = draw(st.integers(1, 4))
    return f"input: [{c}, {n}, {n}]\nlayers:\n  - {{repeat: {repeat}, layers: [{body}]}}\n  - gap\n  - FC-3\n"


@FAST
@given(text=branchy())
def test_branches_and_repeats_satisfy_the_sums(text: str) -> None:
    r = analyze(loads_spec(text))
    t = r.totals
    assert sum(x.params for x in r.layers) == t.params
    assert sum(x.macs for x in r.layers) == t.macs and sum(x.flops for x in r.layers) == t.flops
    assert numel(r.input) + sum(x.activations for x in r.layers) == t.activations
    top = [m for m in r.modules if "." not in m.name]
    assert top and top[0].input == r.input  # the repeat starts from the network's input
    assert r.layers[-1].output == (3,)


# --- mutated specs fail only with the package's own errors -----------------------------------------------------------

SEEDS = [(SPECS / name).read_text() for name in ("lenet5.yaml", "alexnet.yaml", "resnet18.yaml", "googlenet.yaml")]
SEEDS.append("""input: 16x16x4
variables: {wide: false}
blocks:
  pair:
    args: {width: null, stride: 1}
    layers:
      - conv: {filters: $width * 2 if wide else width, kernel: 3, stride: $stride, pad: 1}
      - relu
layers:
  - {name: stage, repeat: 3, pair: {width: 8}, first: {stride: 2}}
  - {name: mix, concat: {a: [conv1-4], b: [{maxpool: {kernel: 3, stride: 1, pad: 1}}, conv1-4]}}
  - {name: grow, dense: {count: 3, body: [bn, relu, {conv: {filters: 2, kernel: 3, pad: 1}}]}}
  - {name: res, residual: {body: [conv3-10], shortcut: auto}}
  - {adaptive_avgpool: {output: 2}}
  - {fc: {units: 10, in_features: 40}}
""")
SEED_DATA = [yaml.safe_load(text) for text in SEEDS]

VALUES = st.one_of(
    st.integers(-3, 10), st.sampled_from([0, 2**64, 2**64 + 1, 10**12, 10**100]),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.sampled_from(["", "yes", "same", "valid", "depthwise", "auto", "relu", "conv3-8", "FC-10", "HxWx3", "8x8x3",
                     "$width", "$1 / 0", "$n * 'x'", "$stride - 5", "2.7K", "1e999999999", "x" * 300]),
    st.text(max_size=8),
    st.lists(st.integers(-2, 5), max_size=5),
    st.dictionaries(st.sampled_from(["filters", "kernel", "stride", "pad", "units", "relu", "a"]),
                    st.integers(-1, 5), max_size=3),
)


@st.composite
def mutated_specs(draw: Any) -> str:
    data = copy.deepcopy(SEED_DATA[draw(st.integers(0, len(SEED_DATA) - 1))])
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(places(data)))
        op = draw(st.sampled_from(["replace", "delete", "insert", "rename"]))
        if not where:
            continue
        parent = get(data, where[:-1])
        key = where[-1]
        if op == "replace":
            parent[key] = draw(VALUES)
        elif op == "delete":
            del parent[key]
        elif op == "insert" and isinstance(parent, list):
            parent.insert(key, draw(VALUES))
        elif op == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["kernal", "filter", "stride", "units", "body", "layers", "repeat"]))] = \
                parent.pop(key)
    text = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, allow_unicode=True)
    if draw(st.booleans()):  # and sometimes the text itself
        pos = draw(st.integers(0, len(text)))
        text = text[:pos] + draw(st.sampled_from(["[", "]", "{", ":", "- ", "&a ", "*a", "!!python/none ", "\t", "'"]))\
            + text[pos:]
    return text


def render_everything(text: str) -> None:
    from rich.console import Console

    from cnncalc.views import summarize
    from cnncalc.writers import terminal, write

    report = analyze(loads_spec(text))
    summarize.json_text(report, True)
    write(summarize.document(report, 1), "csv")
    write(summarize.document(report, None, True), "markdown")
    write(summarize.document(report, None, True), "latex")
    terminal.show(summarize.document(report, 2, True), Console(file=io.StringIO(), width=160))


@SLOW
@given(text=mutated_specs())
def test_mutated_specs_raise_only_the_packages_errors(text: str) -> None:
    try:
        render_everything(text)
    except CnnCalcError:
        pass  # any other exception fails the test, with hypothesis's smallest example


@pytest.mark.parametrize("seed", range(len(SEEDS)))
def test_the_unmutated_seeds_are_valid(seed: int) -> None:
    """The control for the mutations: every seed analyses and renders."""
    render_everything(SEEDS[seed])


def test_exactness_is_not_a_float_accident() -> None:
    """Totals are Python ints even where a float would round: 2^64 + 1 is not representable in a float."""
    r = analyze(loads_spec("input: [1, 1, 18446744073709551616]\nlayers:\n  - conv: {filters: 1, kernel: 1}\n"))
    assert r.totals.flops == 2 * 2**64 + 2**64 and float(r.totals.flops) == float(3 * 2**64 + 1)
    assert isinstance(r.totals.flops, int) and r.totals.flops % 2**64 == 0
    assert math.isqrt(r.totals.activations // 2) ** 2 == 2**64  # input + output, 2^64 each
