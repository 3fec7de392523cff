"""Layer items → Layer trees (Parser): layer types, containers and the spec's blocks, with their arguments.

A layer item is a shorthand string ('conv3-64'), a layer type ('relu'), or a mapping with one type key and
optional `name`, `repeat`, `first`, `when`, `paper` and `expect`. Type keys are layer types, containers
(`layers`, `concat`, `residual`, `dense`, `gate`, `split`) or the spec's own `blocks`, which take arguments
(`$width` inside the block, cnncalc.spec.expr). An item whose `when:` is false, or whose `repeat:` is 0, is
left out. An item whose own values use `$in_channels`, `$in_height` or `$in_width` is kept unparsed
(graph.Deferred) and parsed by `expand` once the shape reaching it is known (cnncalc.spec.blocks).
Every error names the line and the field it is about.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from cnncalc.errors import SpecError, clipped, shown, shown_names
from cnncalc.figures import parse_figure
from cnncalc.grade.read import parse_expect
from cnncalc.layers import LAYER_TYPES, Layer
from cnncalc.layers.base import Shape
from cnncalc.layers.crop import Crop
from cnncalc.layers.graph import ADD_FORMS, Concat, Container, Deferred, Dense, Gate, Repeat, Residual, Sequence, Split
from cnncalc.limits import MAX_EXPANSION, MAX_NAME, MAX_NESTING, MAX_REPEAT
from cnncalc.spec import shorthand
from cnncalc.spec.blocks import arguments, input_values, mentions_input, own_values
from cnncalc.spec.expr import is_symbolic, substitute, symbolic_refusal
from cnncalc.spec.options import Options, closest, suggest, type_name
from cnncalc.spec.source import YList, YMap, line_of

ITEM_KEYS = ("name", "repeat", "first", "when", "paper", "expect")
CONTAINERS = ("layers", "concat", "residual", "dense", "gate", "split")
PAPER_KEYS = ("params", "ops", "macs")

# names cnncalc gives rows of its own: a layer named so would share their path (block.add) or their row
RESERVED_NAMES = {"input": "the input row of every table", "TOTAL": "the totals row of the CSV",
                  "total": "the totals in answers files and explain", "add": "a residual's join row (name.add)",
                  "concat": "a concat's join row (name.concat)", "shortcut": "a residual's shortcut (name.shortcut.)",
                  "mul": "a gate's join row (name.mul)"}


def parse_paper(value: Any, line: int | None, field: str) -> tuple[tuple[str, str], ...]:
    """A paper's own figures for a row or the total, kept as written ('2.7K', '34M') for the tables."""
    if not isinstance(value, dict):
        raise SpecError(f"must be a mapping like {{params: 2.7K, ops: 34M}}, got {type_name(value)}", line=line,
                        field=field)
    for key, figure in value.items():
        if key not in PAPER_KEYS:
            raise SpecError(f"unknown figure{suggest(key, PAPER_KEYS)} (known: {', '.join(PAPER_KEYS)})",
                            line=line_of(value, key), field=f"{field}.{key}")
        try:
            parse_figure(figure)
        except ValueError as exc:
            raise SpecError(str(exc), line=line_of(value, key), field=f"{field}.{key}") from None
    return tuple((key, str(figure)) for key, figure in value.items())


def layer_type_names() -> list[str]:
    """Each layer type by its own name, aliases left out (a type whose kind is its name, as the activations,
    by every name)."""
    return sorted(name for name, cls in LAYER_TYPES.items()
                  if name == cls.KIND or _names_its_kind(cls))


def _names_its_kind(cls: type[Layer]) -> bool:
    return any("kind" in vars(c) for c in cls.__mro__ if c is not Layer and issubclass(c, Layer))


class Parser:
    """Turns layer items into Layer trees, expanding blocks with their arguments."""

    def __init__(self, blocks: dict[str, Any], variables: dict[str, Any]) -> None:
        self.blocks = blocks
        self.variables = variables
        self.stack: list[str] = []
        self.depth = 0  # items inside items: the parser and the analysis recurse once per level
        self.built = 0  # layers built so far: blocks inside blocks expand exponentially
        for name in blocks:
            if name in LAYER_TYPES or name in CONTAINERS or name in ITEM_KEYS:
                raise SpecError(f"a block may not be named like the built-in {name!r}", line=line_of(blocks, name),
                                field=f"blocks.{name}")

    def items(self, raw: Any, *, line: int | None, path: str, scope: dict[str, Any],
              kept: list[int] | None = None) -> tuple[Layer, ...]:
        """The items of a list, without those left out (`kept` receives the indices of the others)."""
        if not isinstance(raw, list):
            raise SpecError(f"must be a list of layers, got {type_name(raw)}", line=line, field=path)
        if not raw:
            raise SpecError("there are no layers here", line=line, field=path)
        counters: dict[str, int] = {}
        names: dict[str, bool] = {}  # name → may another item (an alternative chosen by the shape) repeat it
        layers = []
        for i, item in enumerate(raw):
            layer = self.maybe_item(item, line=line_of(raw, i), path=f"{path}[{i}]", scope=scope)
            if layer is None:
                continue
            optional = isinstance(layer, Deferred) and layer.optional
            if not layer.name:
                counters[layer.kind] = counters.get(layer.kind, 0) + 1
                layer = replace(layer, name=f"{layer.kind}{counters[layer.kind]}")
            elif layer.name in names and not (optional and names[layer.name]):
                raise SpecError(f"layer name {shown(layer.name)} is used twice", line=layer.line, field=f"{path}[{i}].name")
            names[layer.name] = optional
            layers.append(layer)
            if kept is not None:
                kept.append(i)
        if not layers:
            raise SpecError("every item here is left out (a false 'when', or 'repeat: 0'): a list needs a layer",
                            line=line, field=path)
        return tuple(layers)

    def item(self, raw: Any, *, line: int | None, path: str, scope: dict[str, Any]) -> Layer:
        """One item that must be there (a dense block's body, a grade question's layer)."""
        layer = self.maybe_item(raw, line=line, path=path, scope=scope)
        if layer is None:
            raise SpecError("this item is left out (a false 'when', or 'repeat: 0'), but one is needed here",
                            line=line, field=path)
        return layer

    def maybe_item(self, raw: Any, *, line: int | None, path: str, scope: dict[str, Any],
                   shape: Shape | None = None) -> Layer | None:
        if self.depth >= MAX_NESTING:
            raise SpecError(f"containers and blocks are nested more than {MAX_NESTING} deep", line=line, field=path)
        self.depth += 1
        try:
            return self._item(raw, line=line, path=path, scope=scope, shape=shape)
        finally:
            self.depth -= 1

    def _item(self, raw: Any, *, line: int | None, path: str, scope: dict[str, Any],
              shape: Shape | None) -> Layer | None:
        if isinstance(raw, str):
            try:
                expanded = shorthand.expand(raw)
            except SpecError as exc:  # a number too long to be a size: the message names the line and the text
                raise SpecError(exc.message, line=line, field=path) from None
            if expanded:
                return self.node(expanded[0], expanded[1], line=line, path=path, scope=scope)
            kind = raw.strip() if raw.strip() in self.blocks else raw.strip().lower()
            self.check_kind(kind, line, path)
            return self.node(kind, None, line=line, path=path, scope=scope)
        if not isinstance(raw, dict):
            raise SpecError(f"a layer is a name like 'conv3-64' or a mapping like {{conv: {{...}}}}, got "
                            f"{type_name(raw)}", line=line, field=path)
        keys = [k for k in raw if k not in ITEM_KEYS]
        if len(keys) != 1:
            what = "no layer type" if not keys else f"{len(keys)} layer types ({shown_names(keys)})"
            raise SpecError(f"a layer is one type with its options (and optional {', '.join(ITEM_KEYS)}), got "
                            f"{what}", line=line, field=path)
        kind, value = keys[0], raw[keys[0]]
        self.check_kind(kind, line, path)
        name = self.name_of(raw, value, line, path)
        own = {**scope, **input_values(shape)} if shape is not None else scope
        if "when" in raw and (shape is not None or not mentions_input(raw["when"], scope)) \
                and not self.when(raw, own, path):
            return None  # left out now: a deferred item whose `when` is already known false is not even numbered
        if shape is None and mentions_input(own_values(raw, kind, CONTAINERS), scope):
            return self.defer(raw, kind, name, line=line, path=path, scope=scope)
        if isinstance(value, dict) and "name" in value and kind in LAYER_TYPES:
            value = YMap({k: v for k, v in value.items() if k != "name"}, template=value)
        count = substitute(raw.get("repeat", 1), own, line_of(raw, "repeat"), f"{path}.repeat")
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_REPEAT:
            raise SpecError(f"must be a whole number from 0 to {MAX_REPEAT:,}, got {type_name(count)}",
                            line=line_of(raw, "repeat"), field=f"{path}.repeat")
        if count == 0:
            return None
        if "first" in raw and kind not in self.blocks:
            raise SpecError("'first' overrides a block's arguments for the first repeat; this item is not a block",
                            line=line_of(raw, "first"), field=f"{path}.first")
        node = self.node(kind, value, line=line, path=f"{path}.{kind}", scope=scope, own=own)
        if "repeat" in raw:
            first = node
            if "first" in raw:
                first = self.node(kind, value, line=line, path=f"{path}.{kind}", scope=scope, own=own,
                                  override=(raw["first"], line_of(raw, "first"), f"{path}.first"))
            node = Repeat(name="", line=line, path=path, first=first, rest=node, count=count,
                          block=node.kind if isinstance(node, Container) or kind in self.blocks else "")
        elif "first" in raw:
            raise SpecError("'first' needs 'repeat'", line=line_of(raw, "first"), field=f"{path}.first")
        if "paper" in raw:
            node = replace(node, paper=parse_paper(raw["paper"], line_of(raw, "paper"), f"{path}.paper"))
        if "expect" in raw:  # an answer key kept in the spec: summarize checks it (grade/read.py reads the answers)
            node = replace(node, expect=parse_expect(raw["expect"], line_of(raw, "expect"), f"{path}.expect"))
        return replace(node, name=name or "", line=line, path=path)

    @staticmethod
    def when(raw: dict[str, Any], scope: dict[str, Any], path: str) -> bool:
        when = substitute(raw["when"], scope, line_of(raw, "when"), f"{path}.when")
        if is_symbolic(when):
            raise SpecError(symbolic_refusal(str(raw["when"])).message, line=line_of(raw, "when"),
                            field=f"{path}.when")
        if not isinstance(when, bool):
            raise SpecError(f"must be true or false (an expression like \"$t != 1\"), got {type_name(when)}",
                            line=line_of(raw, "when"), field=f"{path}.when")
        return when

    def defer(self, raw: dict[str, Any], kind: str, name: str | None, *, line: int | None, path: str,
              scope: dict[str, Any]) -> Deferred:
        """The item, to be parsed when the shape reaching it is known, in the parser's state of now (its
        nesting depth, the blocks being expanded: a block that uses itself is still found)."""
        depth, stack = self.depth - 1, list(self.stack)

        def expand(shape: Shape) -> Layer | None:
            saved = self.depth, self.stack
            self.depth, self.stack = depth, list(stack)
            try:
                return self.maybe_item(raw, line=line, path=path, scope=scope, shape=shape)
            finally:
                self.depth, self.stack = saved

        return Deferred(name=name or "", line=line, path=path, item_kind=self.kind_of(raw, kind), expand=expand,
                        optional="when" in raw and mentions_input(raw["when"], scope))

    def kind_of(self, raw: dict[str, Any], kind: str) -> str:
        """The kind the parsed item will have, which numbers it when unnamed ('conv2', 'bottleneck1')."""
        if kind in self.blocks:
            return kind
        if kind in CONTAINERS:
            return "sequence" if kind == "layers" else kind
        if "repeat" in raw:
            return "repeat"
        cls = LAYER_TYPES[kind]
        return kind.lower() if _names_its_kind(cls) else cls.KIND

    def check_kind(self, kind: str, line: int | None, path: str) -> None:
        if kind not in LAYER_TYPES and kind not in CONTAINERS and kind not in self.blocks:
            # the suggestion comes from what an item can be; a container only for a near-exact miss ('layer'),
            # never for a layer type's ('layernorm' is not 'layers')
            matches = [m for m in (closest(kind, set(LAYER_TYPES) | set(self.blocks)),
                                   closest(kind, CONTAINERS, cutoff=0.8)) if m]
            hint = f" (did you mean {shown(max(matches)[1])}?)" if matches else ""
            if not hint:
                hint = (f" (layer types: {', '.join(layer_type_names())}; containers: {', '.join(CONTAINERS)}"
                        + (f"; blocks: {shown_names(self.blocks)}" if self.blocks else "") + ")")
            raise SpecError(f"unknown layer type {shown(kind)}{hint}", line=line, field=path)

    @staticmethod
    def name_of(raw: dict[str, Any], value: Any, line: int | None, path: str) -> str | None:
        name = raw.get("name")
        if isinstance(value, dict) and "name" in value:
            if name is not None:
                raise SpecError("the name is given twice", line=line_of(value, "name"), field=f"{path}.name")
            name = value["name"]
        if name is None:
            return None
        if not isinstance(name, str) or not name.strip() or "." in name:
            raise SpecError(f"a layer name is text without dots, got {type_name(name)}", line=line,
                            field=f"{path}.name")
        if len(name) > MAX_NAME:
            raise SpecError(f"a layer name is at most {MAX_NAME} characters, got {len(name):,}", line=line,
                            field=f"{path}.name")
        if name in RESERVED_NAMES:
            raise SpecError(f"{name!r} is the name of {RESERVED_NAMES[name]}: choose another name", line=line,
                            field=f"{path}.name")
        return name

    def node(self, kind: str, value: Any, *, line: int | None, path: str, scope: dict[str, Any],
             own: dict[str, Any] | None = None, override: tuple[Any, int | None, str] | None = None) -> Layer:
        """`own`: the scope of the item's own values (with $in_... when it was deferred); nested items get
        `scope`."""
        own = scope if own is None else own
        self.built += 1
        if self.built > MAX_EXPANSION:
            raise SpecError(f"the spec builds more than {MAX_EXPANSION:,} layers and containers, each use of a block "
                            "counted anew; refused (write long runs with 'repeat')", line=line, field=path)
        if kind in self.blocks:
            return self.block(kind, value, line=line, path=path, scope=own, override=override)
        if kind in CONTAINERS:
            return self.container(kind, value, line=line, path=path, scope=scope, own=own)
        if kind in LAYER_TYPES:
            cls = LAYER_TYPES[kind]
            if cls is Crop and value == "match":
                value = {"to": "concat"}
            opts = Options(substitute(value, own, line, path), path, kind, line)
            values = cls.parse(kind, opts)
            opts.finish()
            return cls(name="", line=line, path=path, **values)  # type: ignore[arg-type]
        raise AssertionError(kind)  # check_kind ran first

    def container(self, kind: str, value: Any, *, line: int | None, path: str, scope: dict[str, Any],
                  own: dict[str, Any]) -> Layer:
        if kind == "layers":
            return Sequence(name="", line=line, path=path, items=self.items(value, line=line, path=path, scope=scope))
        if kind == "concat":
            return Concat(name="", line=line, path=path, branches=self.branches(value, line, path, scope))
        if kind == "gate" and isinstance(value, list):  # the body's items, or {body: [...]}
            body_line = getattr(value, "line", None) or line
            value = YMap({"body": value})
            value.line, value.lines = body_line, {"body": body_line}
        opts = Options(substitute(value, own, line, path, keep=("body", "shortcut", "after", "branches")), path,
                       kind, line)
        if kind == "gate":
            body = self.sequence(opts.take("body"), opts, "body", scope)
            opts.finish()
            return Gate(name="", line=line, path=path, body=body)
        if kind == "split":
            return self.split(opts, line, path, scope)
        if kind == "residual":
            # body and after are named as one list, so that 'relu' after the addition does not clash with the body's
            body_raw, after_raw = opts.take("body"), opts.take("after", [])
            if not isinstance(body_raw, list) or not isinstance(after_raw, list):
                raise opts.error("body" if not isinstance(body_raw, list) else "after", "must be a list of layers")
            both = YList([*body_raw, *after_raw], template=body_raw)
            both.lines = [*getattr(body_raw, "lines", []), *getattr(after_raw, "lines", [])]
            kept: list[int] = []
            joined = self.sequence(both, opts, "body", scope, kept=kept)
            n_body = sum(1 for i in kept if i < len(body_raw))
            body = replace(joined, items=joined.items[:n_body])
            after = replace(joined, name="after", items=joined.items[n_body:]) if n_body < len(kept) else None
            if not body.items:
                raise opts.error("body", "every item of the body is left out (a false 'when', or 'repeat: 0')")
            shortcut_raw = opts.take("shortcut", "identity")
            add = opts.take("add", "inplace")
            if add not in ADD_FORMS:
                raise opts.error("add", f"must be {' or '.join(ADD_FORMS)}, got {type_name(add)}")
            opts.finish()
            if shortcut_raw in ("identity", "auto"):
                return Residual(name="", line=line, path=path, body=body, shortcut=None, auto=shortcut_raw == "auto",
                                after=after, add=add)
            if isinstance(shortcut_raw, str):
                raise opts.error("shortcut", f"must be 'identity', 'auto' or a list of layers, got "
                                             f"{type_name(shortcut_raw)}")
            shortcut = replace(self.sequence(shortcut_raw, opts, "shortcut", scope), name="shortcut")
            return Residual(name="", line=line, path=path, body=body, shortcut=shortcut, after=after, add=add)
        count = opts.count("count")
        body_raw = opts.take("body")
        opts.finish()
        if isinstance(body_raw, dict):  # one item, e.g. a block use: no extra level in the paths
            body: Layer = self.item(body_raw, line=line_of(opts.raw, "body"), path=f"{path}.body", scope=scope)
        else:
            body = self.sequence(body_raw, opts, "body", scope)
        if count > MAX_REPEAT:
            raise opts.error("count", f"must be at most {MAX_REPEAT:,}")
        return Dense(name="", line=line, path=path, body=body, count=count)

    def split(self, opts: Options, line: int | None, path: str, scope: dict[str, Any]) -> Split:
        branches = self.branches(opts.take("branches"), opts.line, f"{path}.branches", scope, what="split")
        sizes = opts.take("sizes", None)
        chunks = opts.count("chunks", len(branches))
        if sizes is not None:
            if opts.has("chunks"):
                raise opts.error("chunks", "give chunks or sizes, not both")
            if not isinstance(sizes, list) or not sizes:
                raise opts.error("sizes", f"must be a list of channel counts, got {type_name(sizes)}")
            sizes = tuple(opts._int("sizes", s, 1) for s in sizes)
            chunks = len(sizes)
        opts.finish()
        if any(b.name in ("split", "concat") for b in branches):
            raise opts.error("branches", "a split's branch may not be named 'split' or 'concat': its rows are "
                                         "name.split and name.concat")
        if chunks != len(branches):
            raise opts.error("sizes" if sizes else "chunks", f"{chunks} chunks for {len(branches)} branches: each "
                                                              "chunk goes to its own branch")
        return Split(name="", line=line, path=path, sizes=sizes, chunks=chunks, branches=branches)

    def sequence(self, raw: Any, opts: Options, key: str, scope: dict[str, Any],
                 kept: list[int] | None = None) -> Sequence:
        line = line_of(opts.raw, key)
        items = raw if isinstance(raw, list) else YList([raw])
        if not isinstance(raw, list):
            items.line, items.lines = line, [line]
        return Sequence(name=key, line=line, path=f"{opts.path}.{key}",
                        items=self.items(items, line=line, path=f"{opts.path}.{key}", scope=scope, kept=kept))

    def branches(self, raw: Any, line: int | None, path: str, scope: dict[str, Any],
                 what: str = "concat") -> tuple[Sequence, ...]:
        if isinstance(raw, dict):
            named = list(raw.items())
        elif isinstance(raw, list):
            named = [(f"b{i + 1}", branch) for i, branch in enumerate(raw)]
        else:
            raise SpecError(f"{what} takes a list of branches or a mapping of named branches, got {type_name(raw)}",
                            line=line, field=path)
        if len(named) < 2:
            raise SpecError(f"{what} needs at least two branches", line=line, field=path)
        out = []
        for i, (bname, branch) in enumerate(named):
            bline = line_of(raw, bname if isinstance(raw, dict) else i)
            items = branch if isinstance(branch, list) else YList([branch])
            if not isinstance(branch, list):
                items.line, items.lines = bline, [bline]
            out.append(Sequence(name=bname, line=bline, path=f"{path}.{bname}",
                                items=self.items(items, line=bline, path=f"{path}.{bname}", scope=scope)))
        return tuple(out)

    def block(self, kind: str, value: Any, *, line: int | None, path: str, scope: dict[str, Any],
              override: tuple[Any, int | None, str] | None) -> Layer:
        if kind in self.stack:
            chain = " → ".join(clipped(name) for name in [*self.stack[self.stack.index(kind):], kind])
            raise SpecError(f"block {shown(kind)} uses itself ({chain})", line=line, field=path)
        definition = self.blocks[kind]
        if not isinstance(definition, dict):
            raise SpecError(f"a block is a mapping with 'args' and one body, got {type_name(definition)}",
                            line=line_of(self.blocks, kind), field=f"blocks.{kind}")
        args = arguments(kind, definition, value, line, path, scope)
        if override is not None:
            extra, oline, opath = override
            if not isinstance(extra, dict):
                raise SpecError(f"must be a mapping of block arguments, got {type_name(extra)}", line=oline,
                                field=opath)
            for key, v in extra.items():
                if key not in args:
                    raise SpecError(f"block {shown(kind)} has no argument {shown(key)}{suggest(key, args)}",
                                    line=line_of(extra, key), field=f"{opath}.{key}")
                args[key] = substitute(v, scope, line_of(extra, key), f"{opath}.{key}")
        body_keys = [k for k in definition if k != "args"]
        if len(body_keys) != 1:
            raise SpecError(f"block {shown(kind)} needs exactly one body (e.g. 'layers', 'concat', 'residual'), got "
                            f"{len(body_keys)}", line=line_of(self.blocks, kind), field=f"blocks.{kind}")
        body_kind = body_keys[0]
        self.check_kind(body_kind, line_of(definition, body_kind), f"blocks.{kind}.{body_kind}")
        self.stack.append(kind)
        try:
            node = self.node(body_kind, definition[body_kind], line=line_of(definition, body_kind),
                             path=f"blocks.{kind}.{body_kind}", scope={**self.variables, **args})
        finally:
            self.stack.pop()
        return replace(node, block=kind) if isinstance(node, Container) else node
