"""Recovered spec items → YAML text a person can read and edit: names from the graph, runs folded into `repeat:`,
stages into `blocks:`.

Names come from the exporter's node names, which are module paths: '/layer1/layer1.0/conv1/Conv' is the layer
`conv1` inside the container whose layers all live under /layer1/layer1.0/ (named `layer1_0`). Consecutive items
that print the same (the same structure, options and names) fold into one item with `repeat: N`, and consecutive
dense steps with the same body into one `dense: {count: N}`: exact, since the spec would expand them back to the
same layers. Containers that differ only in their widths and strides (a network's stages) become `blocks:` with
arguments (blocks_fold.py); that spec is written only when it analyses to the unfolded one's layers and numbers.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

from cnncalc.errors import CnnCalcError, SpecError
from cnncalc.importers import blocks_fold
from cnncalc.importers.blocks_fold import Block, BlockUse, common_prefix
from cnncalc.importers.graph import Dim, Graph
from cnncalc.importers.ops import Item

RESERVED = {"input", "TOTAL", "total", "add", "concat", "shortcut", "mul"}
PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
GENERIC = {"main_graph", "torch_jit", "torch-jit-export", "graph", "model", "onnx_graph"}
YAML_WORDS = {"yes", "no", "on", "off", "true", "false", "null", "y", "n", "none", "~"}
EXPRESSION = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*( \* [0-9]+)?")  # a block's `$width * 4`: plain YAML, as in specs


def module_path(item: Item) -> tuple[str, ...]:
    if item.node is None or not item.node.name.startswith("/"):
        return ()
    return tuple(p for p in item.node.name.split("/") if p)[:-1]


def clean(text: str) -> str:
    text = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[:60]
    return text if text and text not in RESERVED else (text + "_" if text else "")


def children(item: Item) -> list[list[Item]]:
    out: list[list[Item]] = []
    for key, part in item.parts.items():
        if key == "branches":
            out.extend(part)
        elif isinstance(part, list):
            out.append(part)
    return out


def assign_paths(items: list[Item]) -> None:
    for item in items:
        if not item.parts:
            item.path = module_path(item)
            continue
        own = module_path(item)  # the join's own module: a split's identity branch has no path to share
        paths = [own] if own else []
        for seq in children(item):
            assign_paths(seq)
            paths.extend(i.path for i in seq if i.path)
        item.path = common_prefix(paths)


def name_all(items: list[Item], parent: tuple[str, ...], taken: set[str] | None = None) -> None:
    """Names unique within each sequence (a residual's body and `after` share theirs, as the parser reads them)."""
    taken = set() if taken is None else taken
    counters: dict[str, int] = {}
    for item in items:
        rel = item.path[len(parent):] if item.path[:len(parent)] == parent else item.path
        options = [clean(rel[-1])] if rel else []
        if len(rel) > 1:
            options.append(clean("_".join(rel[-2:])))
        name = next((o for o in options if o and o not in taken), "")
        while not name or name in taken:
            counters[item.kind] = counters.get(item.kind, 0) + 1
            name = f"{clean(item.kind) or 'layer'}{counters[item.kind]}"
        item.name = name
        taken.add(name)
        here = item.path or parent
        if item.kind == "residual":
            shared: set[str] = set()
            name_all(item.parts["body"], here, shared)
            name_all(item.parts.get("after", []), here, shared)
            if isinstance(item.parts["shortcut"], list):
                name_all(item.parts["shortcut"], here)
        else:
            for seq in children(item):
                name_all(seq, here)


def fold(items: list[Item]) -> list[Item]:
    """Consecutive dense steps with one body → one dense; consecutive identical items → `repeat:`, at every level."""
    fold_inside(items)
    return merge(items)


def fold_inside(items: list[Item]) -> None:
    """fold() on the parts of each item, in place: the top level is left for merge (or blocks_fold first)."""
    for item in items:
        for key, part in item.parts.items():
            if key == "branches":
                item.parts[key] = [fold(b) for b in part]
            elif isinstance(part, list):
                item.parts[key] = fold(part)


def merge(items: list[Item]) -> list[Item]:
    """One level's runs folded: new items, the given ones left as they are (the writer renders them twice)."""
    out: list[Item] = []
    for item in items:
        last = out[-1] if out else None
        if last is not None and item.kind == "dense" == last.kind and last.repeat == 1 and \
                _text(last.parts["body"]) == _text(item.parts["body"]):
            last.opts["count"] += item.opts["count"]
            last.path = common_prefix([last.path, item.path]) if last.path and item.path else last.path
            last.node = last.node or item.node
            continue
        if last is not None and render_body(last) == render_body(item) and not _overrides(last, item):
            last.repeat += item.repeat
            last.path = common_prefix([last.path, item.path]) if last.path and item.path else ()
            continue
        out.append(dataclasses.replace(item, opts=dict(item.opts)))
    return out


def _overrides(*items: Item) -> bool:
    """A block use whose first copy differs: two such runs are not one run of twice the count."""
    return any(isinstance(i, BlockUse) and i.first for i in items)


def _text(items: list[Item]) -> str:
    return "\n".join(line for i in items for line in render(i, ""))


def fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if "e" in text:
            mantissa, exponent = text.split("e")
            text = f"{mantissa if '.' in mantissa else mantissa + '.0'}e{exponent}"
        return text
    if isinstance(value, list):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    if value is None:
        return "null"
    text = str(value)
    if EXPRESSION.fullmatch(text):
        return text
    return text if PLAIN.fullmatch(text) and text.lower() not in YAML_WORDS else json.dumps(text)


def layer_text(item: Item) -> str:
    opts = ", ".join(f"{k}: {fmt(v)}" for k, v in item.opts.items())
    return f"{item.kind}: {{{opts}}}" if opts else f"{item.kind}: "


def render_body(item: Item) -> list[str]:
    """The item without its own name and repeat count: what two items must share to fold into one repeat."""
    return render(item, "", with_name=False)


def render(item: Item, indent: str, *, with_name: bool = True) -> list[str]:
    head = []
    if with_name and item.name:
        head.append(f"name: {fmt(item.name)}")
    if with_name and item.repeat > 1:
        head.append(f"repeat: {item.repeat}")
    note = f"  # {item.comment}" if item.comment else ""
    if not item.parts:
        first = [f"first: {{{', '.join(f'{k}: {fmt(v)}' for k, v in item.first.items())}}}"] \
            if isinstance(item, BlockUse) and item.first else []
        return [f"{indent}- {{{', '.join([*head, layer_text(item), *first])}}}{note}"]
    lines = [f"{indent}- {head[0]}" if head else f"{indent}-"]
    lines += [f"{indent}  {h}" for h in head[1:]]
    inner = indent + "  "
    if item.kind == "residual":
        lines.append(f"{inner}residual:")
        lines += _seq("body", item.parts["body"], inner + "  ")
        shortcut = item.parts["shortcut"]
        lines += [f"{inner}  shortcut: {shortcut}"] if isinstance(shortcut, str) else _seq("shortcut", shortcut,
                                                                                            inner + "  ")
        if item.parts.get("after"):
            lines += _seq("after", item.parts["after"], inner + "  ")
    elif item.kind == "gate":
        lines += _seq("gate", item.parts["body"], inner)
    elif item.kind == "dense":
        lines += [f"{inner}dense:", f"{inner}  count: {item.opts['count']}"]
        lines += _seq("body", item.parts["body"], inner + "  ")
    else:  # concat, split
        lines.append(f"{inner}{item.kind}:")
        sub = inner + "  "
        if item.kind == "split":
            lines += [f"{sub}{k}: {fmt(v)}" for k, v in item.opts.items()]
            lines.append(f"{sub}branches:")
            sub += "  "
        for bname, branch in zip(branch_names(item), item.parts["branches"]):
            lines += _seq(bname, branch, sub)
    return lines


def _seq(key: str, items: list[Item], indent: str) -> list[str]:
    return [f"{indent}{key}:", *(line for i in items for line in render(i, indent + "  "))]


def branch_names(item: Item) -> list[str]:
    names: list[str] = []
    for i, branch in enumerate(item.parts["branches"]):
        paths = [b.path for b in branch if b.path]
        prefix = common_prefix(paths)
        common = prefix[len(item.path):] if paths and prefix[:len(item.path)] == item.path else ()
        name = clean(common[0]) if common else ""
        names.append(name if name and name not in names and PLAIN.fullmatch(name) else f"b{i + 1}")
    return names


def input_text(graph: Graph) -> str:
    (name, dims), = graph.inputs.items()
    if len(dims) == 4:
        _batch, c, h, w = dims
        if not isinstance(c, int):
            raise SpecError(f"input {name!r} has a symbolic channel count ({c}); cnncalc needs a number")
        return "x".join(_symbol(d, default) for d, default in ((h, "H"), (w, "W"))) + f"x{c}"
    if len(dims) == 2 and isinstance(dims[1], int):
        return str(dims[1])
    raise SpecError(f"input {name!r} has shape {list(dims)}; cnncalc reads [N, C, H, W] images or [N, F] vectors")


def _symbol(dim: Dim, default: str) -> str:
    if isinstance(dim, int):
        return str(dim)
    text = re.sub(r"[^A-Za-z0-9_]", "_", dim)
    return text if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,30}", text) and text.lower() not in ("x",) else default


def write(graph: Graph, items: list[Item], warnings: list[str]) -> str:
    """The spec text: with `blocks:` where they are exact (checked here, layer by layer), else without."""
    assign_paths(items)
    name_all(items, ())
    fold_inside(items)
    blocks, uses = blocks_fold.fold(items, graph.shapes)
    folded = _document(graph, warnings, items, blocks, _named(merge(uses))) if blocks else ""
    plain = _document(graph, warnings, items, [], _named(merge(items)))
    if folded and _same_numbers(plain, folded):
        return folded
    return plain


def _named(items: list[Item]) -> list[Item]:
    name_all(items, ())
    return items


def _same_numbers(plain: str, folded: str) -> bool:
    """Whether the folded spec analyses to the plain one's layers: the same kinds, shapes, params, buffers, MACs,
    FLOPs and activations, row by row (the names may differ: `layer2.0.shortcut.conv` for `downsample_0`).
    A spec that does not analyse here (the plain one's error is the reader's to see) keeps the plain text.
    A symbolic input (HxWx3) is checked at 224 for each symbol, with numbers (formulas would need sympy, ~1 s):
    what folding writes does not depend on the size (its values are the graph's own whole numbers, and `auto` is
    written for a projection only where the channels change or the sizes are numbers, blocks_fold.py)."""
    from cnncalc.analysis import analyze
    from cnncalc.spec.parse import loads_spec

    def rows(text: str) -> list[tuple[Any, ...]]:
        text = re.sub(r"^input: (.*)$", lambda m: "input: " + "x".join(d if d.isdigit() else "224"
                                                                     for d in m[1].split("x")), text, count=1,
                      flags=re.MULTILINE)
        return [(r.kind, r.input, r.output, r.weights, r.biases, r.buffers, r.macs, r.flops, r.activations,
                 r.new_tensor) for r in analyze(loads_spec(text)).layers]

    try:
        want = rows(plain)
    except CnnCalcError:
        return False
    try:
        return rows(folded) == want
    except Exception:  # noqa: BLE001 - whatever goes wrong with the folded spec, the plain one is exact
        return False


def _document(graph: Graph, warnings: list[str], flat: list[Item], blocks: list[Block], items: list[Item]) -> str:
    onnx_file = bool(graph.source) and not graph.source.startswith("torch:")
    where = graph.source or "a graph"
    lines = [(f"# Imported by `cnncalc import` from {where} ({len(graph.nodes):,} nodes): "
              "the layers' shapes and options from the graph, no weights read.")]
    if onnx_file and _folded_bn(flat):  # only an exporter folds batch norm: a traced module has what it has
        lines.append("# Convolutions with biases and no batch norm after them: if the model was trained with batch "
                     "norm, the exporter folded it into the convolutions (torch.onnx.export in eval mode does), and "
                     "these counts are the folded model's (a bias of C per conv where batch norm had 2C params).")
    lines += [f"# Warning: {w}" for w in warnings]
    name = graph.name if PLAIN.fullmatch(graph.name or "") and graph.name not in GENERIC else ""
    if not name and graph.source and not graph.source.startswith("torch:"):
        name = Path(graph.source).stem
    if name:
        lines.append(f"name: {fmt(name)}")
    lines.append(f"input: {input_text(graph)}")
    if blocks:
        lines.append("blocks:")
        for block in blocks:
            lines.append(f"  {block.name}:")
            if block.args:
                lines.append(f"    args: {{{', '.join(f'{k}: {fmt(v)}' for k, v in block.args.items())}}}")
            lines += render(block.body, "  ", with_name=False)[1:]  # the body's lines without the item's `-`
    lines.append("layers:")
    for item in items:
        lines += render(item, "  ")
    return "\n".join(lines) + "\n"


def _folded_bn(items: list[Item]) -> bool:
    found = {"biased": 0, "bn": 0}

    def walk(seq: list[Item]) -> None:
        for item in seq:
            if item.kind == "conv" and item.opts.get("bias", True):
                found["biased"] += 1
            if item.kind == "bn":
                found["bn"] += 1
            for part in children(item):
                walk(part)

    walk(items)
    return bool(found["biased"]) and not found["bn"]
