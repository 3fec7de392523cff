"""Walk a spec, carrying the shape through layers and containers, and total what each layer costs.

Rows are leaves (and the joins of branches) named by dotted paths (`inception_4a.b2.conv2`,
`conv4_x.3.conv2`); containers are recorded as modules so that rows can be grouped by block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from cnncalc.arithmetic.sizes import equal, known
from cnncalc.dtypes import DTYPE_BYTES
from cnncalc.errors import DoesNotFit, ShapeError, SpecError, shown
from cnncalc.layers import Layer, Shape, numel, show_shape
from cnncalc.layers.base import Facts, Saved, Untiled
from cnncalc.layers.graph import (
    Concat,
    Container,
    Deferred,
    Dense,
    Gate,
    Repeat,
    Residual,
    Sequence,
    Split,
    crop_to,
    crops_to_match,
    projection,
    resolve,
)
from cnncalc.limits import MAX_ROWS, MAX_SIZE, MAX_SIZE_TEXT
from cnncalc.receptive import ReceptiveField, merge
from cnncalc.results import LayerResult, ModuleResult, Report, TilingWarning, Totals
from cnncalc.spec.model import Spec

SUGGESTION_BUDGET = 30_000  # layer rows evaluated looking for an input size that tiles (a fraction of a second)
# a gate's product keeps each factor for the other's gradient (torch's mul; memory.py: "operand" tensors)
PRODUCT_SAVES = (Saved("the input", "operand0"), Saved("the gate", "operand1"))


def analyze(spec: Spec, *, input_shape: Shape | None = None, dtype: str = "fp32", batch: int = 1,
            count_biases: bool = True, strict: bool = False, suggest: bool = True) -> Report:
    """Per-layer and total arithmetic for one sample, memory for `batch` samples of `dtype`.

    Activation memory counts the input volume too, like the slides' VGG table; forward+backward memory is
    twice the forward memory (one gradient per activation, the slides' "~*2 for bwd").
    count_biases=False reports params the way the slides do, "not counting biases". suggest=False skips the
    search for an input size that would tile every layer (sweeps analyse many sizes anyway).
    """
    if dtype not in DTYPE_BYTES:
        raise SpecError(f"unknown dtype {shown(dtype)}; choose one of {', '.join(DTYPE_BYTES)}", field="dtype")
    if batch < 1:
        raise SpecError(f"batch must be positive, got {shown(batch)}", field="batch")
    if batch > MAX_SIZE:
        raise SpecError(f"must be at most {MAX_SIZE_TEXT}, got {shown(batch)}", field="batch")
    start = input_shape or spec.input
    if not known(*start):
        raise SpecError(f"the input {show_shape(start)} has symbols: `cnncalc summarize` and `cnncalc check` give "
                        "formulas; this needs numbers (e.g. --input 224x224x3)", file=spec.file, field="input")
    if any(known(d) and d > MAX_SIZE for d in start):
        raise SpecError(f"sizes must be at most {MAX_SIZE_TEXT}", field="input")
    walker = Walker(spec.file, count_biases)
    flow = Flow(start, ReceptiveField() if len(start) == 3 else None, 0)
    for layer in spec.layers:
        flow = walker.walk(layer, flow, layer.name)
    suggestions: dict[str, int | None] = {}
    for name, line, u in walker.untiled:
        if not known(u.n):
            continue  # a symbolic size: cnncalc.symbolic solves the tiling conditions instead
        axis = u.axis.split()[0]
        if axis not in suggestions:
            suggestions[axis] = suggest_input(spec.layers, start, axis) if suggest else None
        warning = TilingWarning(name, u.axis, u.formula(), u.exact, int(u.exact), u.leftover, suggestions[axis])
        if strict:
            raise DoesNotFit(f"{spec.file or spec.name}:{line or '?'}: {warning.message()}")
        walker.warnings.append(warning)
    results = walker.results
    return Report(model=spec.name, input=start, layers=tuple(results),
                  totals=_totals(results, start, DTYPE_BYTES[dtype], batch), dtype=dtype, batch=batch,
                  count_biases=count_biases, warnings=tuple(walker.warnings), file=spec.file,
                  modules=tuple(walker.modules), paper=spec.paper, variant=spec.variant, misaligned=tuple(walker.misaligned),
                  expect=spec.expect)


@dataclass(frozen=True)
class Flow:
    """What travels along an edge of the network: the shape, the receptive field so far and the tensor's id
    (in-place layers pass the same id on; memory.py uses the ids to count each tensor once)."""

    shape: Shape
    rf: ReceptiveField | None
    tensor: int


@dataclass
class Walker:
    file: str | None
    count_biases: bool = True
    results: list[LayerResult] = field(default_factory=list)
    modules: list[ModuleResult] = field(default_factory=list)
    untiled: list[tuple[str, int | None, Untiled]] = field(default_factory=list)
    warnings: list[TilingWarning] = field(default_factory=list)
    misaligned: list[str] = field(default_factory=list)
    memo: dict[tuple[int, Shape], tuple[Facts, str]] = field(default_factory=dict)  # repeats reuse their facts
    crops: dict[tuple[int, Shape], tuple[Sequence, Sequence]] = field(default_factory=dict)  # crop: match branches
    projections: dict[tuple[int, Shape, Shape], Sequence] = field(default_factory=dict)  # `shortcut: auto`'s
    tensors: int = 0
    simplify: Callable[[Shape], Shape] | None = None  # symbolic sizes: keep each one a single floor (symbolic.py)

    def new_tensor(self) -> int:
        self.tensors += 1
        return self.tensors

    def walk(self, node: Layer, flow: Flow, path: str) -> Flow:
        if isinstance(node, Deferred):
            found = self.resolve(node, flow.shape)
            if found is None:
                return flow  # left out (a false `when:`, `repeat: 0`)
            node = found
        if not isinstance(node, Container):
            return self.leaf(node, flow, path)
        first = len(self.results)
        if isinstance(node, Sequence):
            out = self.chain(node.items, flow, path)
        elif isinstance(node, Repeat):
            out = flow
            for i in range(node.count):
                out = self.walk(node.first if i == 0 else node.rest, out, f"{path}.{i}")
        elif isinstance(node, Concat):
            out = self.concat(node, flow, path)
        elif isinstance(node, Residual):
            out = self.residual(node, flow, path)
        elif isinstance(node, Gate):
            out = self.gate(node, flow, path)
        elif isinstance(node, Split):
            out = self.split(node, flow, path)
        elif isinstance(node, Dense):
            out = flow
            for i in range(node.count):
                grown = self.walk(node.body, out, f"{path}.{i}")
                out = self.join_concat(node, [out, grown], [f"{path}.{i} input", f"{path}.{i}"], f"{path}.{i}.concat")
        else:  # pragma: no cover - every container type is handled above
            raise TypeError(type(node).__name__)
        description = f"x{node.count}" if isinstance(node, (Repeat, Dense)) else ""
        self.modules.append(ModuleResult(path, node.kind, description, flow.shape, out.shape, first,
                                         len(self.results), node.paper, expect=node.expect))
        return out

    def resolve(self, node: Deferred, shape: Shape) -> Layer | None:
        """The item a Deferred is at this shape (parsed now, memoised), errors naming the spec's file."""
        try:
            return resolve(node, shape)
        except SpecError as exc:
            raise SpecError(exc.message, file=self.file, line=exc.line or node.line,
                            field=exc.field or node.path) from None

    def chain(self, items: tuple[Layer, ...], flow: Flow, prefix: str, line: int | None = None,
              empty: bool = False) -> Flow:
        walked: set[str] = set()
        for item in items:
            if isinstance(item, Deferred):
                found = self.resolve(item, flow.shape)
                if found is None:
                    continue
                if item.optional and item.name in walked:
                    raise SpecError(f"two alternatives named {shown(item.name)} are both here: their 'when' conditions "
                                    "must exclude each other", file=self.file, line=item.line, field=item.path)
                item = found
            walked.add(item.name)
            flow = self.walk(item, flow, f"{prefix}.{item.name}")
        if not walked and not empty:
            raise SpecError("every item here is left out at this input (a false 'when', or 'repeat: 0')",
                            file=self.file, line=line or (items[0].line if items else None), field=prefix)
        return flow

    def leaf(self, layer: Layer, flow: Flow, path: str) -> Flow:
        if len(self.results) >= MAX_ROWS:  # items parsed during the walk ($in_channels) are not counted before it
            raise SpecError(f"the network reaches more than {MAX_ROWS:,} layers and joins; at most {MAX_ROWS:,} can be "
                            "analysed", file=self.file, line=layer.line, field=path)
        shape = flow.shape
        key = (id(layer), shape)
        cached = self.memo.get(key)
        if cached is None:
            try:
                facts = layer.infer(shape)
            except SpecError as exc:
                where = layer.path if layer.path.endswith(path) or not layer.path else f"{path} ({layer.path})"
                raise SpecError(exc.message, file=self.file, line=exc.line or layer.line, field=where) from None
            if any(known(d) and d < 1 for d in facts.output):
                raise ShapeError(f"output would be {show_shape(facts.output)}: the layer shrinks {show_shape(shape)} "
                                 "to nothing", file=self.file, line=layer.line, field=path)
            if any(known(d) and d > MAX_SIZE for d in facts.output):
                raise ShapeError(too_large(facts.output), file=self.file, line=layer.line, field=path)
            if not self.count_biases:
                facts = replace(facts, biases=0, params_formula=facts.params_formula.split(" + ")[0])
            cached = self.memo[key] = (facts, layer.describe())
        facts, description = cached
        if self.simplify is not None:
            facts = replace(facts, output=self.simplify(facts.output))
        untiled = list(facts.untiled)
        if len(untiled) == 2 and known(untiled[0].n, untiled[1].n) and untiled[0].formula() == untiled[1].formula():
            untiled = [replace(untiled[0], axis="height and width")]  # square layer, square input: one warning
        self.untiled += [(path, layer.line, u) for u in untiled]
        rf = None if facts.rf_undefined or flow.rf is None else flow.rf.step(facts.rf) if facts.rf else flow.rf
        if rf is not None and facts.rf is not None and any(isinstance(j, int) and j > MAX_SIZE for j in rf.jump):
            rf = None  # strides of 2^64, layer after layer: a jump beyond any real input, shown as "—" (it would
            # otherwise grow by 64 bits a row, and its size and padding with it)
        # dropout is the identity at inference (new_tensor False) but writes a new tensor in training: its own id,
        # which memory.inference_peak reads as its input's
        tensor = self.new_tensor() if facts.new_tensor or facts.training_copy else flow.tensor
        self.results.append(LayerResult(
            name=path, kind=layer.kind, description=description, input=shape, output=facts.output,
            weights=facts.weights, biases=facts.biases, buffers=facts.buffers,
            activations=numel(facts.output) if facts.new_tensor else 0, macs=facts.macs, flops=facts.flops,
            new_tensor=facts.new_tensor, params_formula=facts.params_formula, note=facts.note, line=layer.line,
            paper=layer.paper, expect=layer.expect, receptive_field=rf, saves=facts.saves, tensor_in=(flow.tensor,),
            tensor_out=tensor))
        return Flow(facts.output, rf, tensor)

    def concat(self, node: Concat, flow: Flow, path: str) -> Flow:
        """Branches in order, except those that crop to match (U-Net's crop-and-copy): they are walked last, with
        the height and width of the others known. The concatenation keeps the branches' order."""
        later = [crops_to_match(b) for b in node.branches]
        outs: dict[int, Flow] = {}
        for i in sorted(range(len(node.branches)), key=lambda i: later[i]):
            branch = node.branches[i]
            if later[i]:
                target = next((o.shape for o in outs.values()), None)
                if target is None or len(target) != 3:
                    raise ShapeError("crop: match needs another branch with a feature map to match; every branch of "
                                     "this concat crops", file=self.file, line=branch.line, field=branch.path)
                branch = self.cropped(branch, (target[1], target[2]))
            outs[i] = self.walk(branch, flow, f"{path}.{branch.name}")
        return self.join_concat(node, [outs[i] for i in range(len(node.branches))], [b.name for b in node.branches],
                                f"{path}.concat")

    def cropped(self, branch: Sequence, size: tuple[int, int]) -> Sequence:
        key = (id(branch), size)
        if key not in self.crops:  # the same object each time: leaf facts are memoised by the layer's id
            self.crops[key] = (branch, crop_to(branch, size))
        return self.crops[key][1]

    def split(self, node: Split, flow: Flow, path: str) -> Flow:
        """Each chunk of the channels (a view of the input: its tensor id) through its own branch, then the
        concatenation."""
        if len(flow.shape) != 3:
            raise ShapeError(f"split cuts the channels of a feature map, got a flat vector of {show_shape(flow.shape)}",
                             file=self.file, line=node.line, field=path)
        sizes = node.chunk_sizes(flow.shape[0])
        if isinstance(sizes, str):
            raise ShapeError(sizes, file=self.file, line=node.line, field=path)
        self.results.append(LayerResult(  # the cut: views, no cost (a row, so the block starts at its input)
            name=f"{path}.split", kind="split", description=f"{flow.shape[0]} → {' + '.join(map(str, sizes))} channels",
            input=flow.shape, output=flow.shape, weights=0, biases=0, buffers=0, activations=0, macs=0, flops=0,
            new_tensor=False, params_formula="0", note="views: no new tensor", line=node.line,
            receptive_field=flow.rf, tensor_in=(flow.tensor,), tensor_out=flow.tensor))
        outs = [self.walk(branch, Flow((c, *flow.shape[1:]), flow.rf, flow.tensor), f"{path}.{branch.name}")
                for c, branch in zip(sizes, node.branches)]
        return self.join_concat(node, outs, [b.name for b in node.branches], f"{path}.concat")

    def gate(self, node: Gate, flow: Flow, path: str) -> Flow:
        """x · body(x): the body's C×1×1 (or C×H×W) result scales the input; one multiply per element, a new
        tensor. The receptive field is the input's: the gate reweights channels, it moves no window."""
        out = self.chain(node.body.items, flow, path, node.body.line)
        x, g = flow.shape, out.shape
        if len(x) != 3:
            raise ShapeError(f"a gate scales a feature map, got a flat vector of {show_shape(x)}", file=self.file,
                             line=node.line, field=path)
        if len(g) != 3 or not equal(g[0], x[0]) or not (same(g[1:], (1, 1)) or same(g[1:], x[1:])):
            hint = (": end the body with 1x1 convolutions (as torchvision's SqueezeExcitation does), not fc"
                    if len(g) != 3 else "")
            raise ShapeError(f"the gate's body gives {show_shape(g)}; to scale the input {show_shape(x)} it must give "
                             f"1x1x{x[0]} (or {show_shape(x)}){hint}", file=self.file, line=node.line, field=path)
        tensor = self.new_tensor()
        self.results.append(LayerResult(
            name=f"{path}.mul", kind="mul", description="input × gate", input=x, output=x, weights=0, biases=0,
            buffers=0, activations=numel(x), macs=0, flops=numel(x), new_tensor=True, params_formula="0",
            note="x · body(x), broadcast: a new tensor", line=node.line, receptive_field=flow.rf,
            saves=PRODUCT_SAVES, tensor_in=(flow.tensor, out.tensor), tensor_out=tensor))
        return Flow(x, flow.rf, tensor)

    def join_concat(self, node: Container, outs: list[Flow], names: list[str], path: str) -> Flow:
        """Channel concatenation: a new tensor (torch.cat copies), no arithmetic."""
        first = outs[0].shape
        for name, out in zip(names[1:], outs[1:]):
            if len(out.shape) != len(first) or not same(out.shape[1:], first[1:]):
                raise ShapeError(f"cannot concatenate {names[0]} ({show_shape(first)}) and {name} "
                                 f"({show_shape(out.shape)}): height and width must agree", file=self.file,
                                 line=node.line, field=path.rsplit(".", 1)[0])
        joined = (sum(o.shape[0] for o in outs), *first[1:])
        if known(joined[0]) and joined[0] > MAX_SIZE:  # a dense block whose body keeps the channels doubles them
            raise ShapeError(too_large(joined), file=self.file, line=node.line, field=path.rsplit(".", 1)[0])
        rf = self.merge_fields(outs, path)
        tensor = self.new_tensor()
        self.results.append(LayerResult(
            name=path, kind="concat", description=" + ".join(str(o.shape[0]) for o in outs) + " channels",
            input=first, output=joined, weights=0, biases=0, buffers=0, activations=numel(joined), macs=0, flops=0,
            new_tensor=True, params_formula="0", line=node.line, receptive_field=rf,
            tensor_in=tuple(o.tensor for o in outs), tensor_out=tensor))
        return Flow(joined, rf, tensor)

    def merge_fields(self, outs: list[Flow], path: str) -> ReceptiveField | None:
        rf, aligned = merge([o.rf for o in outs])
        if not aligned:
            self.misaligned.append(f"{path}: the joined paths are not aligned (jumps "
                                   f"{', '.join(str(o.rf.jump) for o in outs if o.rf)}, centres "
                                   f"{', '.join(str(tuple(float(c) for c in o.rf.center)) for o in outs if o.rf)}); "
                                   "the largest receptive field is reported")
        return rf

    def residual(self, node: Residual, flow: Flow, path: str) -> Flow:
        new = node.add == "new"  # `shortcut(x) + body(x)`: the shortcut's rows first, the sum a new tensor
        if new:
            shape = flow.shape  # the body's output, which `auto` needs before the body's rows are written
            if node.auto and node.shortcut is None:
                probe = Walker(self.file, memo=self.memo, projections=self.projections, simplify=self.simplify)
                shape = probe.chain(node.body.items, flow, path).shape
            shortcut = self.shortcut_of(node, flow, shape, path)
            skip = self.walk(shortcut, flow, f"{path}.shortcut") if shortcut else flow
            out = self.chain(node.body.items, flow, path, node.body.line)
        else:
            out = self.chain(node.body.items, flow, path, node.body.line)
            shortcut = self.shortcut_of(node, flow, out.shape, path)
            skip = self.walk(shortcut, flow, f"{path}.shortcut") if shortcut else flow
        if not same(skip.shape, out.shape):
            what = "the identity" if shortcut is None else "the shortcut"
            raise ShapeError(f"cannot add the body's output ({show_shape(out.shape)}) and {what} "
                             f"({show_shape(skip.shape)}): shapes must agree"
                             + ("; use shortcut: auto for a projection" if shortcut is None else ""),
                             file=self.file, line=node.line, field=path)
        rf = self.merge_fields([out, skip], f"{path}.add")
        tensor = self.new_tensor() if new else out.tensor
        self.results.append(LayerResult(
            name=f"{path}.add", kind="add", description="shortcut + body" if new else "body + shortcut",
            input=out.shape, output=out.shape, weights=0, biases=0, buffers=0,
            activations=numel(out.shape) if new else 0, macs=0, flops=numel(out.shape), new_tensor=new,
            params_formula="0", note="" if new else "in place: no new tensor", line=node.line, receptive_field=rf,
            tensor_in=(out.tensor, skip.tensor), tensor_out=tensor))
        out = Flow(out.shape, rf, tensor)
        if node.after:
            out = self.chain(node.after.items, out, path, empty=True)
        return out

    def shortcut_of(self, node: Residual, flow: Flow, body_shape: Shape, path: str) -> Sequence | None:
        """The residual's shortcut: its own layers, the identity (None), or with `auto` the projection that maps
        the input to the body's output."""
        if node.shortcut is not None or not node.auto or same(body_shape, flow.shape):
            return node.shortcut
        key = (id(node), flow.shape, body_shape)
        if key not in self.projections:  # kept: the memo knows layers by id, so a layer must outlive the walk
            shortcut = projection(flow.shape, body_shape, body_stride(node.body.items))
            if shortcut is None:
                raise ShapeError(f"no 1x1 projection maps the input {show_shape(flow.shape)} to the body's output "
                                 f"{show_shape(body_shape)}", file=self.file, line=node.line, field=path)
            self.projections[key] = replace(shortcut, line=node.line)
        return self.projections[key]


def same(a: Shape, b: Shape) -> bool:
    """Shapes agree: plain equality for numbers, proven equality for symbolic sizes."""
    return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))


def body_stride(items: tuple[Layer, ...]) -> int | None:
    """The product of the strides along a residual body (the stride its projection shortcut needs), or None
    when the body holds containers."""
    stride = 1
    for item in items:
        if isinstance(item, Container):
            return None
        s = getattr(item, "stride", (1, 1))
        if isinstance(s, tuple) and s[0] != s[1]:
            return None
        stride *= s[0] if isinstance(s, tuple) else 1
    return stride


def too_large(shape: Shape) -> str:
    return f"output would be {show_shape(shape)}: no tensor axis can be longer than {MAX_SIZE_TEXT}"


def _totals(results: list[LayerResult], input_shape: Shape, nbytes: int, batch: int) -> Totals:
    activations = numel(input_shape) + sum(r.activations for r in results)
    weights = sum(r.weights for r in results)
    biases = sum(r.biases for r in results)
    forward = activations * nbytes * batch
    return Totals(params=weights + biases, weights=weights, biases=biases, buffers=sum(r.buffers for r in results),
                  activations=activations, macs=sum(r.macs for r in results), flops=sum(r.flops for r in results),
                  forward_bytes=forward, forward_backward_bytes=2 * forward, params_bytes=(weights + biases) * nbytes)


def suggest_input(layers: tuple[Layer, ...], shape: Shape, axis: str) -> int | None:
    """The smallest network input size above the current one (on this axis) at which every layer tiles.

    A bounded search, not a formula: tiling is periodic in the input with the accumulated stride, so the
    answer, when there is one, is usually a few pixels away (AlexNet: 224 → 227; ResNet: 224 → 225)."""
    if len(shape) != 3:
        return None
    i = 1 if axis == "height" else 2
    budget = SUGGESTION_BUDGET
    for n in range(shape[i] + 1, shape[i] + 1 + 4096):
        candidate = list(shape)
        candidate[i] = n
        walker = Walker(None)
        out = Flow(tuple(candidate), None, 0)
        try:
            for layer in layers:
                out = walker.walk(layer, out, layer.name)
                if any(axis in u.axis for _, _, u in walker.untiled):
                    break  # this size fails here already: the rest of the network need not be walked
            else:
                return n
        except SpecError:
            pass
        budget -= len(walker.results) + 1
        if budget <= 0:
            return None
    return None
