"""A `Graph` → a spec a person would want to read: containers recovered from the data flow, repeats folded.

The data flow is the part of the graph that depends on the input (Shape, Constant and their arithmetic are
folded away). Every join — Add, Concat, Mul — is read against its immediate dominator, the nearest tensor every
path to it passes through: the paths from that tensor to the join's inputs are the container's branches, each read
the same way, recursively. So `Add(x, f(x))` is a `residual` (shortcut `identity`, or explicit layers),
`Concat(b1(x), b2(x), ...)` a `concat`, `Concat(x, f(x))` a `dense` step (DenseNet's `cat(x0, n1, ..., nk)` is first
rewritten as `cat(cat(x0, ..., nk-1), nk)`), `Mul(x, g(x))` with g ending in a sigmoid a `gate` (`silu` and
`hardswish` when g is the sigmoid alone), the chunks of one Split or Slices concatenated back a `split`. A graph
that these containers cannot write (a node reached by two branches) is an error, never a spec that counts a node
twice. Layout, names and folding into `repeat:` are spec_yaml.py's.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from cnncalc.errors import SpecError
from cnncalc.importers import patterns
from cnncalc.importers.graph import Graph, Node
from cnncalc.importers.ops import Item, Ops, Unmapped, shape_text

ALIASES = {"Identity", "Cast"}
STATIC = {"Shape", "Size"}
JOINS = {"Add", "Sum", "Concat", "Mul"}
ACTIVATIONS = {"relu", "relu6", "leaky_relu", "elu", "sigmoid", "tanh", "hardswish", "hardsigmoid", "silu", "gelu",
               "mish", "softplus", "prelu"}


class Builder:
    def __init__(self, graph: Graph, *, opaque: bool = False) -> None:
        self.graph = graph
        self.ops = Ops(graph)
        self.opaque = opaque
        self.warnings: list[str] = []
        self.alias: dict[str, str] = {}
        self.producer: dict[str, Node] = {}
        self.idom: dict[str, str] = {}
        self.depth: dict[str, int] = {}
        self.used: set[int] = set()

    # --- the data flow --------------------------------------------------------------------------------------------
    def data_input(self) -> str:
        if len(self.graph.inputs) != 1:
            names = ", ".join(repr(n) for n in self.graph.inputs) or "none"
            raise SpecError(f"the model has {len(self.graph.inputs)} data inputs ({names}); cnncalc reads models with "
                            "one image or vector input")
        return next(iter(self.graph.inputs))

    def flow(self) -> tuple[str, str]:
        start = self.data_input()
        data = {start}
        self.depth[start] = 0
        concats: dict[tuple[Any, ...], str] = {}
        constants = self.graph.constants
        for node in self.graph.nodes:
            ins = tuple(self.alias.get(t, t) for t in node.inputs)
            found = [t for t in dict.fromkeys(ins) if t in data]
            if not found:
                self._fold(node, ins, constants)
                continue
            if node.op in STATIC:  # sizes: known once shape inference knows the shape
                shape = self.graph.shapes.get(ins[0])
                if node.op == "Shape" and shape is not None and all(isinstance(d, int) for d in shape):
                    start_, end_ = node.attrs.get("start", 0), node.attrs.get("end", len(shape))
                    constants[node.outputs[0]] = list(shape)[start_:end_]
                continue
            if node.op in ALIASES or (node.op == "Concat" and len([t for t in ins if t]) == 1):
                self.alias[node.outputs[0]] = found[0]
                continue
            if node.op == "Concat" and len(ins) > 2:
                axis = node.attrs.get("axis")
                prefix = concats.get((axis, *ins[:-1]))
                concats[(axis, *ins)] = node.outputs[0]
                if prefix is not None:  # DenseNet: cat(x0..nk) = cat(cat(x0..nk-1), nk)
                    ins = (prefix, ins[-1])
                    found = list(dict.fromkeys(ins))
            elif node.op == "Concat":
                concats[(node.attrs.get("axis"), *ins)] = node.outputs[0]
            node = Node(name=node.name, op=node.op, inputs=ins, outputs=node.outputs, attrs=node.attrs)
            top = found[0] if len(found) == 1 else self.lca(found)
            for out in node.outputs:
                if out:
                    data.add(out)
                    self.producer[out] = node
                    self.idom[out] = top
                    self.depth[out] = self.depth[top] + 1
        outs = [self.alias.get(t, t) for t in self.graph.outputs]
        outs = [t for t in outs if t in data]
        if len(outs) != 1:
            raise SpecError(f"the model has {len(outs)} outputs that depend on its input; cnncalc reads models with "
                            "one output")
        return start, outs[0]

    @staticmethod
    def _fold(node: Node, ins: tuple[str, ...], constants: dict[str, Any]) -> None:
        """Arithmetic on constants and sizes only (a Slice's end computed from Shape, Resize's scales built by
        Concat): kept by value where it is simple; anything else stays unknown (and a layer that needs it says so)."""
        values = [constants.get(t) for t in ins if t]
        if not node.outputs or not values or any(v is None for v in values):
            return
        out = node.outputs[0]
        if node.op in ALIASES or node.op in ("Squeeze", "Unsqueeze", "Reshape"):
            constants[out] = values[0]
        elif node.op == "Concat" and all(isinstance(v, list) for v in values):
            constants[out] = [x for v in values for x in v]
        elif node.op == "Gather" and isinstance(values[0], list) and len(values) == 2:
            index = values[1]
            try:
                constants[out] = [values[0][i] for i in index] if isinstance(index, list) else values[0][index]
            except (IndexError, TypeError):
                return
        elif node.op in ("Add", "Sub", "Mul", "Div") and len(values) == 2:
            a, b = values
            listed = isinstance(a, list) or isinstance(b, list)
            a, b = a if isinstance(a, list) else [a], b if isinstance(b, list) else [b]
            if len(a) != len(b) and 1 not in (len(a), len(b)) or len(a) > 64 or len(b) > 64:
                return
            n = max(len(a), len(b))
            a, b = a * n if len(a) == 1 else a, b * n if len(b) == 1 else b
            try:
                result = [_arith(node.op, x, y) for x, y in zip(a, b)]
            except (TypeError, ZeroDivisionError, OverflowError):
                return
            constants[out] = result if listed else result[0]

    def lca(self, tensors: list[str]) -> str:
        first, *rest = tensors
        for other in rest:
            a, b = first, other
            while a != b:
                if self.depth[a] >= self.depth[b]:
                    a = self.idom[a]
                else:
                    b = self.idom[b]
            first = a
        return first

    # --- regions --------------------------------------------------------------------------------------------------
    def region(self, start: str, end: str) -> list[Item]:
        """The items that turn tensor `start` into tensor `end` (start dominates end)."""
        items: list[Item] = []
        t = end
        while t != start:
            if t not in self.producer:
                raise SpecError(f"cannot trace tensor {t!r} back to {start!r}")  # start dominates end: unreachable
            node = self.producer[t]
            found = list(dict.fromkeys(x for x in node.inputs if x in self.depth))
            if node.op in JOINS and len(found) > 1:
                self._use(node)
                top = self.idom[t]
                items.append(self.join(node, top, [self.region(top, x) for x in found], found))
                t = top
                continue
            if node.op != "Split" and node.op != "Slice":
                self._use(node)
            item = self.step(node, t)
            if isinstance(item, list):  # one node, two layers (ReduceMean without keepdims: pool, flatten)
                items.extend(reversed(item))
            elif item is not None:
                items.append(item)
            t = found[0]
        items.reverse()
        return self.tidy(items)

    def _use(self, node: Node) -> None:
        if id(node) in self.used:
            raise SpecError(f"node {node.name!r} ({node.op}) is reached by two branches in a way the spec's containers "
                            "(residual, concat, dense, gate, split) cannot write without counting it twice")
        self.used.add(id(node))

    def step(self, node: Node, out: str) -> Item | list[Item] | None:
        if node.op in ("Split", "Slice"):
            return self.chunk(node, out)
        try:
            item = self.ops.map(node)
        except Unmapped as exc:
            return self.keep_opaque(node, exc)
        if isinstance(item, Item) and item.kind == "const_op" and item.opts["dims"] is None:
            other = [t for t in node.inputs if t and t not in self.depth]  # a weight through Unsqueeze, a Constant
            shape = self.graph.shapes.get(other[0]) if len(other) == 1 else None
            if shape is not None and all(isinstance(d, int) for d in shape):
                item.opts["dims"] = tuple(shape)
        return item

    def keep_opaque(self, node: Node, exc: SpecError) -> Item:
        if not self.opaque:
            raise exc
        shape = self.graph.shapes.get(node.outputs[0])
        if shape is None or not all(isinstance(d, int) for d in shape[1:]) or len(shape) not in (2, 4):
            raise SpecError(f"{exc.message}; --opaque needs its output shape, and shape inference gives "
                            f"{shape_text(shape)}") from None
        self.warnings.append(f"{node.name} ({node.op}) is kept as an opaque layer: its costs are not counted")
        return Item("opaque", {"output": list(shape[1:]), "op": node.op}, node,
                    comment="costs not counted")

    def chunk(self, node: Node, out: str) -> Item:
        shape = self.graph.shapes.get(node.inputs[0])
        rank = len(shape) if shape else 4
        if node.op == "Split":
            axis = node.attrs.get("axis", 0) % rank
            index = node.outputs.index(out)
            sizes = node.attrs.get("split") or (self.ops.const(node.inputs[1]) if len(node.inputs) > 1 else None)
            if sizes is None:
                outs = [self.graph.shapes.get(o) for o in node.outputs]
                sizes = [o[1] if o else None for o in outs]
            return Item("chunk", {"axis": axis, "index": index, "sizes": sizes, "of": id(node)}, node)
        starts, ends = self.ops.const(node.inputs[1]), self.ops.const(node.inputs[2])
        axes = self.ops.const(node.inputs[3]) if len(node.inputs) > 3 and node.inputs[3] else [0]
        steps = self.ops.const(node.inputs[4]) if len(node.inputs) > 4 and node.inputs[4] else [1]
        if not all(isinstance(v, list) and len(v) == 1 for v in (starts, ends, axes, steps)) or steps != [1]:
            return self.keep_opaque(node, self.ops.unmapped(node, "a slice of more than one axis, or with a step"))
        channels = shape[1] if shape and isinstance(shape[1], int) else None
        begin, stop = starts[0], min(ends[0], channels) if channels is not None else ends[0]
        return Item("slice", {"axis": axes[0] % rank, "begin": begin, "end": stop, "of": node.inputs[0]}, node)

    # --- joins ----------------------------------------------------------------------------------------------------
    def join(self, node: Node, top: str, branches: list[list[Item]], inputs: list[str]) -> Item:
        if node.op in ("Add", "Sum") and len(branches) == 2:
            empty = [i for i, b in enumerate(branches) if not b]
            if len(empty) == 2:
                raise self.ops.unmapped(node, "x + x")
            if empty:
                body = branches[1 - empty[0]]
                return Item("residual", node=node, parts={"body": body, "shortcut": "identity"})
            weights = [sum(1 for i in b if i.kind in ("conv", "fc", "deconv")) for b in branches]
            body, shortcut = (branches[0], branches[1]) if weights[0] >= weights[1] else (branches[1], branches[0])
            return Item("residual", node=node, parts={"body": body, "shortcut": shortcut})
        if node.op == "Concat":
            rank = len(self.graph.shapes.get(node.outputs[0]) or (0, 0, 0, 0))
            if node.attrs.get("axis", None) is None:
                raise SpecError(f"node {node.name!r} (Concat) lacks its required attribute 'axis'")
            if node.attrs["axis"] % rank != 1:
                raise self.ops.unmapped(node, f"a concatenation along axis {node.attrs['axis']}, not the channels")
            split = self.split(node, branches)
            if split is not None:
                return split
            if len(branches) == 2 and not branches[0]:
                return Item("dense", {"count": 1}, node, parts={"body": branches[1]})
            return Item("concat", node=node, parts={"branches": [b or [Item("identity")] for b in branches]})
        if node.op == "Mul" and len(branches) == 2:
            return self.product(node, branches)
        raise self.ops.unmapped(node, f"a join of {len(branches)} paths")

    def product(self, node: Node, branches: list[list[Item]]) -> Item:
        kinds = [[i.kind for i in b] for b in branches]
        if [] in kinds:
            gate = branches[1 - kinds.index([])]
            fns = [i.kind for i in gate]
            if fns == ["sigmoid"]:
                return Item("silu", {}, node)
            if fns == ["hardsigmoid"]:
                return Item("hardswish", {}, node)
            if fns == ["softplus", "tanh"] and not gate[0].opts:  # x · tanh(softplus(x)), as exporters write Mish
                return Item("mish", {}, node)
            if self._erf(gate):
                return Item("gelu", {"half": True}, node)  # the Mul by 0.5 that follows is folded in tidy()
            if fns and fns[-1] in ("sigmoid", "hardsigmoid"):
                return Item("gate", node=node, parts={"body": gate})
        for i in (0, 1):  # x·0.5 times (1 + erf(x/√2))
            half, other = branches[i], branches[1 - i]
            if len(half) == 1 and half[0].kind == "const_op" and half[0].opts["op"] == "Mul" and \
                    _scalar(half[0].opts["value"]) == 0.5 and self._erf(other):
                return Item("gelu", {}, node)
        raise self.ops.unmapped(node, "a product of two paths that is not a gate (x times a sigmoid of a branch)")

    @staticmethod
    def _erf(items: list[Item]) -> bool:
        if [i.kind for i in items] != ["const_op", "erf", "const_op"]:
            return False
        div, add = items[0].opts, items[2].opts
        scale = _scalar(div["value"])
        if scale is None:
            return False
        ok = (div["op"] == "Div" and math.isclose(scale, math.sqrt(2), rel_tol=1e-3)) or \
            (div["op"] == "Mul" and math.isclose(scale, 1 / math.sqrt(2), rel_tol=1e-3))
        return ok and add["op"] == "Add" and _scalar(add["value"]) == 1

    def split(self, node: Node, branches: list[list[Item]]) -> Item | None:
        heads = [b[0] if b else None for b in branches]
        if any(h is None or h.kind not in ("chunk", "slice") or h.opts["axis"] != 1 for h in heads):
            return None
        if len({h.opts["of"] for h in heads}) != 1:  # type: ignore[union-attr]
            return None
        if heads[0].kind == "chunk":  # type: ignore[union-attr]
            sizes = heads[0].opts["sizes"]  # type: ignore[union-attr]
            if [h.opts["index"] for h in heads] != list(range(len(heads))) or sizes is None \
                    or len(sizes) != len(heads) or None in sizes:  # type: ignore[union-attr]
                return None
        else:
            spans = [(h.opts["begin"], h.opts["end"]) for h in heads]  # type: ignore[union-attr]
            if spans[0][0] != 0 or any(a[1] != b[0] for a, b in itertools.pairwise(spans)):
                return None
            channels = self.graph.shapes.get(heads[0].node.inputs[0])  # type: ignore[union-attr]
            if not channels or spans[-1][1] != channels[1]:
                return None
            sizes = [b - a for a, b in spans]
        for n in {id(h.node): h.node for h in heads}.values():  # type: ignore[union-attr]
            self._use(n)  # type: ignore[arg-type]
        rest = [b[1:] or [Item("identity")] for b in branches]
        opts = {"chunks": len(rest)} if len(set(sizes)) == 1 else {"sizes": list(sizes)}
        return Item("split", opts, node, parts={"branches": rest})

    # --- one sequence, tidied -------------------------------------------------------------------------------------
    def tidy(self, items: list[Item]) -> list[Item]:
        items = patterns.fold(items, self.graph)
        out: list[Item] = []
        i = 0
        while i < len(items):
            item, nxt = items[i], items[i + 1] if i + 1 < len(items) else None
            if item.kind == "fc" and item.node is not None and item.node.op == "MatMul" and nxt is not None and \
                    nxt.kind == "const_op" and nxt.opts["op"] == "Add" and item.opts.get("bias") is False:
                del item.opts["bias"]  # MatMul + Add of a bias: one fc
                i += 1
            elif item.kind == "gelu" and item.opts.pop("half", False):
                if nxt is None or nxt.kind != "const_op" or nxt.opts["op"] != "Mul" or _scalar(nxt.opts["value"]) != 0.5:
                    raise self.ops.unmapped(item.node, "x·(1 + erf(x/√2)) without the factor ½")  # type: ignore[arg-type]
                i += 1
            elif item.kind == "reshape" and i + 2 < len(items) and self._shuffle(items[i:i + 3]):
                item = Item("channel_shuffle", {"groups": items[i].opts["to"][1]}, items[i + 1].node)
                i += 2
            if item.kind in ("const_op", "erf", "reshape", "transpose"):
                assert item.node is not None
                item = self.keep_opaque(item.node, self.ops.unmapped(item.node))
            elif item.kind in ("fc", "layernorm") and item.opts.pop("last_axis", False):
                assert item.node is not None
                what = "a matrix product" if item.kind == "fc" else "a layer norm"
                item = self.keep_opaque(item.node, self.ops.unmapped(item.node, f"{what} on the last axis (the width) "
                                                                      "of a feature map, not inside a permute to "
                                                                      "channels-last and back (ConvNeXt)"))
            if item.kind in ACTIVATIONS and out and out[-1].kind == "residual" and not out[-1].parts.get("after_done"):
                out[-1].parts.setdefault("after", []).append(item)
            else:
                if out and out[-1].kind == "residual":
                    out[-1].parts["after_done"] = True
                out.append(item)
            i += 1
        return out

    def leftovers(self, items: list[Item]) -> list[Item]:
        """Chunks that no split container took: a channel split whose chunks are not concatenated back."""
        out = []
        for item in items:
            if item.kind in ("chunk", "slice"):
                assert item.node is not None
                why = "a channel split whose chunks are not concatenated back in order" if item.kind == "chunk" \
                    else "a slice that is not one chunk of a channel split concatenated back"
                item = self.keep_opaque(item.node, self.ops.unmapped(item.node, why))
            for key, part in item.parts.items():
                if key == "branches":
                    item.parts[key] = [self.leftovers(b) for b in part]
                elif isinstance(part, list):
                    item.parts[key] = self.leftovers(part)
            out.append(item)
        return out

    @staticmethod
    def _shuffle(items: list[Item]) -> bool:
        a, t, b = items
        to = a.opts.get("to")
        return t.kind == "transpose" and b.kind == "reshape" and t.opts.get("perm") == [0, 2, 1, 3, 4] and \
            to is not None and len(to) == 5 and b.opts.get("to") is not None and len(b.opts["to"]) == 4


def _arith(op: str, x: Any, y: Any) -> Any:
    if op == "Add":
        return x + y
    if op == "Sub":
        return x - y
    if op == "Mul":
        return x * y
    if isinstance(x, int) and isinstance(y, int):
        return int(x / y) if abs(x) < 2**52 and abs(y) < 2**52 else x // y  # ONNX integer division truncates
    return x / y


def _scalar(value: Any) -> Any:
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return None if isinstance(value, list) else value


def build(graph: Graph, *, opaque: bool = False) -> tuple[list[Item], list[str]]:
    """The spec items of `graph` and the warnings (opaque layers) to print."""
    builder = Builder(graph, opaque=opaque)
    start, end = builder.flow()
    items = builder.leftovers(builder.region(start, end))
    unused = [n for n in builder.producer.values() if id(n) not in builder.used and n.op not in ("Split", "Slice")]
    if unused:
        first = unused[0]
        builder.warnings.append(f"{len(set(map(id, unused)))} node(s) do not lead to the output and are not counted "
                                f"(first: {first.name!r}, {first.op})")
    return items, builder.warnings
