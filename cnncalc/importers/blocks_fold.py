"""Repeated containers → `blocks:` with arguments, so that an imported network reads as its paper writes it.

A real network's stages are not runs of identical items: ResNet's stage is a first block (stride 2, a projection
shortcut) and N−1 identical ones, and its stages differ only in width; MobileNetV2's inverted residuals differ
only in their widths. So top-level items with parts (residual, gate, concat, split, dense) that share their
structure — the same layer types, nesting, inner names and option keys — and differ only in whole-number options
of convolutions, linear layers and pools (filters, units, groups, kernel, stride, pad, dilation) become one block
whose differing values are its arguments. A value that is always the same as another's, or a fixed multiple of
it, is written as an expression of it (`$width * 4`, a depthwise conv's `groups: $width * 6`).

A residual whose shortcut is the identity in some uses and a projection in others is written `shortcut: auto`
only where `auto` builds exactly that projection (analysis.Walker.shortcut_of → layers.graph.projection: a 1×1
conv without bias whose stride is the product of the body's strides, then a batch norm with its default eps) and
only where the block's input and output shapes differ (where they agree `auto` is the identity).

Consecutive uses with the same arguments become `repeat: N`; a first use that differs only in its arguments adds
`first: {...}`. Only top-level items are folded: blocks nested inside another container stay as they are.
Exactness is not taken on trust: spec_yaml.write analyses the folded and the unfolded spec and writes the folded
one only when every layer's numbers and shapes agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cnncalc.importers.graph import Dim
from cnncalc.importers.ops import Item

CONV_KEYS = ("filters", "kernel", "stride", "pad", "dilation", "groups")
POOL_KEYS = ("kernel", "stride", "pad")
# the whole-number options a block may take as arguments; any other option must agree across the uses
VARIABLE: dict[str, tuple[str, ...]] = {"conv": CONV_KEYS, "deconv": CONV_KEYS, "fc": ("units",),
                                        "maxpool": POOL_KEYS, "avgpool": POOL_KEYS}
# what an omitted option means, as ops.py omits it and the spec reads it back: `stride: 2` and no stride differ
# only in a value, so the two uses share a block
CONV_DEFAULTS = {"stride": 1, "pad": 0, "dilation": 1, "groups": 1}
DEFAULTS: dict[str, dict[str, int]] = {"conv": CONV_DEFAULTS, "deconv": CONV_DEFAULTS, "maxpool": {"pad": 0},
                                       "avgpool": {"pad": 0}}
ORDER = ("filters", "units", "kernel", "stride", "pad", "dilation", "groups")  # ops.py's order of the options
# arguments are related (equal, or a multiple) only within a family: a width is never written from a stride
FAMILY = {"filters": "width", "units": "width", "groups": "width", "kernel": "kernel", "pad": "kernel",
          "dilation": "kernel", "stride": "stride"}
AUTO = "auto"  # a shortcut `auto` can write: the identity, or the projection `auto` builds


@dataclass
class BlockUse(Item):
    """A use of a block: `kind` is the block's name, `opts` its arguments (defaults left out), `first` the
    arguments the first of its `repeat` copies overrides."""

    first: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Block:
    """A `blocks:` definition: its arguments (name → default, None: required) and its body, with `$` values."""

    name: str
    args: dict[str, Any]
    body: Item


@dataclass
class Reading:
    """One item read for folding: its structure without the values, and the values in walk order."""

    skeleton: tuple[Any, ...] = ()
    values: list[int] = field(default_factory=list)
    slots: list[tuple[Item, str]] = field(default_factory=list)  # the layer and option each value is
    shortcuts: list[tuple[Item, bool]] = field(default_factory=list)  # residuals `auto` can write; True: projects


@dataclass
class Arg:
    family: str
    key: str  # the option of its first use ('filters', 'stride'): names it
    kind: str  # the layer type of its first use: gives its default
    values: tuple[int, ...]
    slot: int
    name: str = ""


def read(item: Item, shapes: dict[str, tuple[Dim, ...]]) -> Reading:
    reading = Reading()
    reading.skeleton = _walk(item, reading, shapes, top=True)
    return reading


def _walk(item: Item, r: Reading, shapes: dict[str, tuple[Dim, ...]], *, top: bool = False) -> tuple[Any, ...]:
    head = (item.kind, item.repeat, item.comment, "" if top else item.name)
    if not item.parts:
        opts = {**DEFAULTS.get(item.kind, {}), **item.opts}
        keys: list[tuple[str, Any]] = []
        for key in sorted(opts):
            value = opts[key]
            if key in VARIABLE.get(item.kind, ()) and type(value) is int:
                r.values.append(value)
                r.slots.append((item, key))
                keys.append((key, None))
            else:
                keys.append((key, json.dumps(value, sort_keys=True, default=str)))
        return (*head, tuple(keys))
    parts: list[tuple[str, Any]] = []
    for key, part in item.parts.items():
        if key == "shortcut" and (part == "identity" or projects_like_auto(item, shapes)):
            r.shortcuts.append((item, part != "identity"))
            parts.append((key, AUTO))
        elif key == "branches":
            parts.append((key, tuple(tuple(_walk(i, r, shapes) for i in b) for b in part)))
        elif isinstance(part, list):
            parts.append((key, tuple(_walk(i, r, shapes) for i in part)))
        elif isinstance(part, str):
            parts.append((key, part))
    return (*head, json.dumps(item.opts, sort_keys=True, default=str), tuple(parts))


def projects_like_auto(item: Item, shapes: dict[str, tuple[Dim, ...]]) -> bool:
    """Whether `shortcut: auto` builds this residual's shortcut exactly: a 1×1 conv (no bias, no pad, the body's
    stride) and a batch norm with default eps, on an input whose shape the body changes (analysis.py:
    `shortcut_of` projects only when the shapes differ; layers/graph.py `projection`)."""
    shortcut, body = item.parts.get("shortcut"), item.parts.get("body", [])
    if not isinstance(shortcut, list) or [i.kind for i in shortcut] != ["conv", "bn"]:
        return False
    conv, bn = shortcut
    if bn.opts or conv.repeat != 1 or bn.repeat != 1 or set(conv.opts) - {"filters", "kernel", "stride", "bias"}:
        return False
    stride = conv.opts.get("stride", 1)
    if conv.opts.get("kernel") != 1 or conv.opts.get("bias", True) or type(stride) is not int:
        return False
    product = 1  # analysis.body_stride: the product of the body's strides; a container or a repeat (one too) would
    for layer in body:  # leave the stride to be found from the sizes instead
        step = layer.opts.get("stride", 1)
        if layer.parts or layer.repeat != 1 or layer.kind == "deconv" or type(step) is not int:
            return False
        product *= step
    if product != stride or conv.node is None:
        return False
    before, after = shapes.get(conv.node.inputs[0]), shapes.get(conv.node.outputs[0])
    if before is None or after is None or len(before) != 4 or len(after) != 4:
        return False
    (_n, c, h, w), (_m, k, oh, ow) = before, after
    if isinstance(c, int) and isinstance(k, int) and c != k:
        return True
    # equal channels: `auto` projects only if the sizes differ, which must be numbers to be sure at any input
    return stride > 1 and all(isinstance(d, int) for d in (h, w, oh, ow)) and (h, w) != (oh, ow)


def fold(items: list[Item], shapes: dict[str, tuple[Dim, ...]]) -> tuple[list[Block], list[Item]]:
    """The blocks found among the top-level containers, and the items with each run of uses as one BlockUse.
    Items that fold into no block come back as they are; with no block, `items` itself."""
    readings = {i: read(item, shapes) for i, item in enumerate(items) if item.parts}
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, reading in readings.items():
        groups.setdefault(reading.skeleton, []).append(i)
    blocks: list[Block] = []
    use_of: dict[int, tuple[str, dict[str, Any]]] = {}  # item index → (block, its arguments)
    taken: set[str] = set()
    for members in groups.values():
        found = [readings[i] for i in members]
        if len(members) < 2 or all(r.values == found[0].values and [p for _i, p in r.shortcuts] ==
                                   [p for _i, p in found[0].shortcuts] for r in found):
            continue  # one use, or all alike: spec_yaml.merge folds the consecutive ones into `repeat:`
        block, args = _define(items[members[0]], found, shapes, taken)
        blocks.append(block)
        for i, a in zip(members, args):
            use_of[i] = (block.name, a)
    if not blocks:
        return [], items
    return blocks, _runs(items, use_of, {b.name: b for b in blocks})


def _define(item: Item, found: list[Reading], shapes: dict[str, tuple[Dim, ...]],
            taken: set[str]) -> tuple[Block, list[dict[str, Any]]]:
    """The block of one group and each use's arguments: every value that varies becomes an argument, or an
    expression of one (equal, or a fixed multiple, within one family of options)."""
    body = clone(item)
    template = read(body, shapes)
    columns = [tuple(r.values[j] for r in found) for j in range(len(template.values))]
    args: list[Arg] = []
    exprs: dict[int, tuple[Arg, int]] = {}
    varying = [j for j, col in enumerate(columns) if len(set(col)) > 1]
    for j in sorted(varying, key=lambda j: (sum(columns[j]), j)):  # the smallest first: others are its multiples
        layer, key = template.slots[j]
        family, col = FAMILY[key], columns[j]
        for arg in args:
            if arg.family == family and (factor := _factor(arg.values, col)) is not None:
                exprs[j] = (arg, factor)
                break
        else:
            arg = Arg(family, key, layer.kind, col, j)
            args.append(arg)
            exprs[j] = (arg, 1)
    args.sort(key=lambda a: a.slot)
    _name_args(args)
    changed: dict[int, Item] = {}
    for j, (layer, key) in enumerate(template.slots):
        if j in exprs:
            arg, factor = exprs[j]
            layer.opts[key] = f"${arg.name}" if factor == 1 else f"${arg.name} * {factor}"
            changed[id(layer)] = layer
    for layer in changed.values():
        _tidy(layer)
    for k, (residual, _projects) in enumerate(template.shortcuts):
        residual.parts["shortcut"] = AUTO if any(r.shortcuts[k][1] for r in found) else "identity"
    defaults = {a.name: _default(a) for a in args}
    name = _block_name(item, taken)
    uses = [{a.name: a.values[m] for a in args} for m in range(len(found))]
    return Block(name, defaults, body), uses


def _factor(base: tuple[int, ...], values: tuple[int, ...]) -> int | None:
    """k when values == k·base at every use (k = 1 or more), else None."""
    if values == base:
        return 1
    if not base[0] or values[0] % base[0]:
        return None
    k = values[0] // base[0]
    return k if k >= 1 and all(v == k * b for b, v in zip(base, values)) else None


def _name_args(args: list[Arg]) -> None:
    """`width` for a block's one width (resnet50.yaml's bottleneck), `stride`, `kernel`; numbered when several."""
    bases = [{"width": "width", "stride": "stride"}.get(a.family, a.key) for a in args]
    for arg, base in zip(args, bases):
        same = [a for a, b in zip(args, bases) if b == base]
        arg.name = base if len(same) == 1 else f"{base}{same.index(arg) + 1}"


def _default(arg: Arg) -> int | None:
    """A stride, pad or dilation takes its layer's default (stride 1) when some use has it; a width is required."""
    default = DEFAULTS.get(arg.kind, {}).get(arg.key)
    return default if default is not None and default in arg.values and arg.family != "width" else None


def _tidy(layer: Item) -> None:
    """Options in ops.py's order, a constant default left out as ops.py leaves it out."""
    defaults = DEFAULTS.get(layer.kind, {})
    opts = {**defaults, **layer.opts}
    kept = {k: v for k, v in opts.items() if not (k in defaults and v == defaults[k])}
    order = [k for k in ORDER if k in kept] + [k for k in kept if k not in ORDER]
    layer.opts = {k: kept[k] for k in order}


def _block_name(item: Item, taken: set[str]) -> str:
    """torchvision's names for the blocks everyone knows (BasicBlock, Bottleneck, InvertedResidual), read from
    the kernels of the residual's convolutions; otherwise the container's kind. Never a layer type's name."""
    base = f"{item.kind}_block"
    body = item.parts.get("body", []) if item.kind == "residual" else []
    convs = [i for i in body if i.kind == "conv"]
    if body and not any(i.parts for i in body):
        kernels = [c.opts.get("kernel") for c in convs]
        if kernels == [3, 3]:
            base = "basic"
        elif kernels == [1, 3, 1]:
            base = "inverted" if convs[1].opts.get("groups", 1) != 1 else "bottleneck"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    taken.add(name)
    return name


def clone(item: Item) -> Item:
    """A copy to rewrite into a block's body: its own options and parts, the graph's nodes shared."""
    parts: dict[str, Any] = {}
    for key, part in item.parts.items():
        if key == "branches":
            parts[key] = [[clone(i) for i in b] for b in part]
        elif isinstance(part, list):
            parts[key] = [clone(i) for i in part]
        else:
            parts[key] = part
    return Item(item.kind, dict(item.opts), item.node, parts, item.name, item.path, item.repeat, item.comment)


@dataclass
class Run:
    use: BlockUse
    members: list[int]  # the items' indices
    first: dict[str, Any]  # the first use's arguments
    rest: dict[str, Any] | None = None  # the others', once there is another


def _runs(items: list[Item], use_of: dict[int, tuple[str, dict[str, Any]]], blocks: dict[str, Block]) -> list[Item]:
    """Consecutive uses of one block → one BlockUse: `repeat` their count, `first` what the first one changes."""
    out: list[Item] = []
    runs: list[Run] = []
    current: Run | None = None
    for i, item in enumerate(items):
        if i not in use_of:
            out.append(item)
            current = None
            continue
        name, args = use_of[i]
        if current is not None and current.use.kind == name and current.rest in (None, args):
            current.rest = args
            current.use.repeat += item.repeat
            current.members.append(i)
            continue
        current = Run(BlockUse(name, repeat=item.repeat), [i], args, args if item.repeat > 1 else None)
        runs.append(current)
        out.append(current.use)
    for run in runs:
        rest = run.first if run.rest is None else run.rest
        defaults = blocks[run.use.kind].args
        run.use.opts = {k: v for k, v in rest.items() if v != defaults[k]}
        run.use.first = {k: v for k, v in run.first.items() if v != rest[k]} if run.use.repeat > 1 else {}
        run.use.path = _run_path(items, run.members)
    return out


def common_prefix(paths: list[tuple[str, ...]]) -> tuple[str, ...]:
    """The module path all of `paths` lie under: ('layer2',) for ('layer2', 'layer2.0', ...) and ('layer2', ...)."""
    if not paths:
        return ()
    prefix = paths[0]
    for p in paths[1:]:
        n = 0
        while n < min(len(prefix), len(p)) and prefix[n] == p[n]:
            n += 1
        prefix = prefix[:n]
    return prefix


def _run_path(items: list[Item], members: list[int]) -> tuple[str, ...]:
    """The run's common module path ('layer2' for layer2.0 ... layer2.3), when no item outside the run lives
    under it; else the first use's own ('features', 'features.5')."""
    paths = [items[i].path for i in members]
    common = common_prefix(paths)
    outside = [item.path for i, item in enumerate(items) if i not in members]
    if common and not any(p[:len(common)] == common for p in outside):
        return common
    return paths[0]
