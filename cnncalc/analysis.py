"""Walk a spec layer by layer, carrying the shape, and total what each layer costs."""

from __future__ import annotations

from dataclasses import replace

from cnncalc.errors import DoesNotFit, SpecError
from cnncalc.layers import Layer, Shape, numel, show_shape
from cnncalc.layers.base import Facts
from cnncalc.results import DTYPE_BYTES, LayerResult, Report, TilingWarning, Totals
from cnncalc.spec.model import Spec

SUGGESTION_BUDGET = 200_000  # layer evaluations spent looking for an input size that tiles


def analyze(spec: Spec, *, input_shape: Shape | None = None, dtype: str = "fp32", batch: int = 1,
            count_biases: bool = True, strict: bool = False) -> Report:
    """Per-layer and total arithmetic for one sample, memory for `batch` samples of `dtype`.

    Activation memory counts the input volume too, like the slides' VGG table; forward+backward memory is
    twice the forward memory (one gradient per activation, the slides' "~*2 for bwd").
    count_biases=False reports params the way the slides do, "not counting biases".
    """
    if dtype not in DTYPE_BYTES:
        raise SpecError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPE_BYTES)}", field="dtype")
    if batch < 1:
        raise SpecError(f"batch must be positive, got {batch}", field="batch")
    start = input_shape or spec.input
    shape = start
    results: list[LayerResult] = []
    warnings: list[TilingWarning] = []
    for index, layer in enumerate(spec.layers):
        facts = _infer(layer, shape, spec.file)
        if not count_biases:
            facts = replace(facts, biases=0, params_formula=_weights_only(facts.params_formula))
        untiled = list(facts.untiled)
        if len(untiled) == 2 and untiled[0].formula() == untiled[1].formula():
            untiled = untiled[:1]  # a square layer on a square input: one warning for both axes
        for u in untiled:
            axis = u.axis if len(facts.untiled) == len(untiled) else "height and width"
            warning = TilingWarning(layer.name, axis, u.formula(), u.exact, int(u.exact), u.leftover,
                                    _suggest_input(spec.layers[: index + 1], start, u.axis))
            if strict:
                raise DoesNotFit(f"{spec.file or spec.name}:{layer.line or '?'}: {warning.message()}")
            warnings.append(warning)
        results.append(LayerResult(
            name=layer.name, kind=layer.kind, description=layer.describe(), input=shape, output=facts.output,
            weights=facts.weights, biases=facts.biases, buffers=facts.buffers,
            activations=numel(facts.output) if facts.new_tensor else 0, macs=facts.macs, flops=facts.flops,
            new_tensor=facts.new_tensor, params_formula=facts.params_formula, note=facts.note, line=layer.line))
        shape = facts.output
    return Report(model=spec.name, input=start, layers=tuple(results),
                  totals=_totals(results, start, DTYPE_BYTES[dtype], batch), dtype=dtype,
                  batch=batch, count_biases=count_biases, warnings=tuple(warnings), file=spec.file)


def _infer(layer: Layer, shape: Shape, file: str | None) -> Facts:
    try:
        facts = layer.infer(shape)
    except SpecError as exc:
        raise exc.located(file=file) from None
    if any(d < 1 for d in facts.output):
        raise layer.fail(f"output would be {show_shape(facts.output)}: the layer shrinks "
                         f"{show_shape(shape)} to nothing").located(file=file)
    return facts


def _weights_only(formula: str) -> str:
    """Drop the '+ biases' term of a params formula (the slides' 'not counting biases')."""
    return formula.split(" + ")[0]


def _totals(results: list[LayerResult], input_shape: Shape, nbytes: int, batch: int) -> Totals:
    activations = numel(input_shape) + sum(r.activations for r in results)
    weights = sum(r.weights for r in results)
    biases = sum(r.biases for r in results)
    forward = activations * nbytes * batch
    return Totals(params=weights + biases, weights=weights, biases=biases, buffers=sum(r.buffers for r in results),
                  activations=activations, macs=sum(r.macs for r in results), flops=sum(r.flops for r in results),
                  forward_bytes=forward, forward_backward_bytes=2 * forward, params_bytes=(weights + biases) * nbytes)


def _suggest_input(prefix: tuple[Layer, ...], shape: Shape, axis: str) -> int | None:
    """The smallest network input size ≥ the current one (on this axis) at which every layer of the prefix tiles.

    A search, not a formula: each layer's tiling is periodic in its input, so within one period of the
    accumulated strides a size that tiles exists when any does.
    """
    if len(shape) != 3:
        return None
    i = 1 if axis == "height" else 2
    period = 1
    for layer in prefix:
        stride = getattr(layer, "stride", (1, 1))
        period *= stride[i - 1] if isinstance(stride, tuple) else 1
    tries = min(4 * period, SUGGESTION_BUDGET // max(len(prefix), 1))
    for n in range(shape[i] + 1, shape[i] + 1 + tries):
        candidate = list(shape)
        candidate[i] = n
        if _tiles(prefix, tuple(candidate), axis):
            return n
    return None


def _tiles(prefix: tuple[Layer, ...], shape: Shape, axis: str) -> bool:
    try:
        for layer in prefix:
            facts = layer.infer(shape)
            if any(u.axis == axis for u in facts.untiled):
                return False
            shape = facts.output
    except SpecError:
        return False
    return True
