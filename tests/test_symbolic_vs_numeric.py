"""Symbolic sizes against brute force (issue 12): for random chains and an input of Hx<number> or HxH, the
formulas and the tiling claims of `summarize --input HxWx3` must agree with the numeric analysis at every size —
every output size, whether every layer tiles, and from which size the network is valid."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cnncalc import analyze, loads_spec
from cnncalc.errors import CnnCalcError
from cnncalc.spec.symbolic_input import parse_symbolic_input
from cnncalc.symbolic import analyze_symbolic, evaluate, python

SIZES = range(1, 70)


@st.composite
def spatial_item(draw: Any) -> str:
    kind = draw(st.sampled_from(["conv", "same", "maxpool", "avgpool", "relu", "zeropad", "deconv"]))
    if kind == "conv":
        return (f"conv: {{filters: 2, kernel: {draw(st.integers(1, 5))}, stride: {draw(st.integers(1, 3))}, "
                f"pad: {draw(st.integers(0, 2))}, dilation: {draw(st.integers(1, 2))}}}")
    if kind == "same":
        return f"conv: {{filters: 2, kernel: {draw(st.integers(1, 4))}, pad: same}}"
    if kind in ("maxpool", "avgpool"):
        k = draw(st.integers(1, 3))
        return f"{kind}: {{kernel: {k}, stride: {draw(st.integers(1, 3))}, pad: {draw(st.integers(0, k // 2))}}}"
    if kind == "zeropad":
        return f"zeropad: {{pad: {draw(st.integers(0, 2))}}}"
    if kind == "deconv":
        return f"deconv: {{filters: 2, kernel: {draw(st.integers(1, 3))}, stride: 2}}"
    return kind


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(spatial_item(), min_size=1, max_size=5), width=st.one_of(st.none(), st.integers(1, 40)))
def test_symbolic_claims_match_brute_force(items: list[str], width: int | None) -> None:
    text = "input: 8x8x2\nlayers:\n" + "".join(f"  - {i}\n" for i in items)
    spec = loads_spec(text)
    shape = parse_symbolic_input(f"Hx{width if width else 'H'}x2")
    try:
        report = analyze_symbolic(spec, shape)
    except CnnCalcError:
        assume(False)  # a formula cnncalc refuses to give (said so in the message): nothing claimed
    assume(all(c.residue is not None for c in report.conditions))
    (solution,) = report.solutions
    assume(not solution.unsolved)
    for n in SIZES:
        try:
            numeric = analyze(spec, input_shape=(2, n, width or n), suggest=False)
        except CnnCalcError:
            assert solution.smallest_valid is None or n < solution.smallest_valid, (text, n)
            continue
        assert solution.smallest_valid is not None and n >= solution.smallest_valid, (text, n)
        for sym, num in zip(report.layers, numeric.layers):
            assert [evaluate(python(d), {"H": n}) for d in sym.output] == list(num.output), (text, n, sym.name)
        claims_tiling = not report.never and report.first_failure({"H": n}) is None
        assert claims_tiling == (not numeric.warnings), (text, n)
