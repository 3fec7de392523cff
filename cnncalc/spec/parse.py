"""YAML values → a validated Spec: the top level (load_spec, build_spec) and the layer items (Parser).

Every error names the line and the field it is about. A layer item is a shorthand string ('conv3-64'), a layer
type ('relu'), or a mapping with one type key and optional `name`, `repeat`, `first`, `paper` and `expect`. Type
keys are layer types, containers (`layers`, `concat`, `residual`, `dense`) or the spec's own `blocks`, which take
arguments (`$width` inside the block, cnncalc.spec.expr). The input size is read by cnncalc.spec.inputs, the
network's size is bounded by cnncalc.spec.row_count, and `expect:` answers are read as `cnncalc grade` reads
them (cnncalc.grade.read).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from cnncalc.errors import SpecError
from cnncalc.figures import parse_figure
from cnncalc.grade.read import parse_expect
from cnncalc.layers import LAYER_TYPES, Layer
from cnncalc.layers.graph import Concat, Container, Dense, Repeat, Residual, Sequence
from cnncalc.limits import MAX_EXPANSION, MAX_NAME, MAX_NESTING, MAX_REPEAT
from cnncalc.spec import shorthand
from cnncalc.spec.expr import substitute
from cnncalc.spec.inputs import parse_input
from cnncalc.spec.model import Spec
from cnncalc.spec.options import Options, suggest, type_name
from cnncalc.spec.row_count import check_rows
from cnncalc.spec.source import YList, YMap, line_of, parse_yaml, read_spec_file

TOP_LEVEL_KEYS = ("name", "description", "input", "layers", "blocks", "variables", "variants", "paper", "expect")
ITEM_KEYS = ("name", "repeat", "first", "paper", "expect")
CONTAINERS = ("layers", "concat", "residual", "dense")
PAPER_KEYS = ("params", "ops", "macs")


def load_spec(path: str | Path, *, variant: str | None = None) -> Spec:
    """Read, parse and validate a spec file (optionally one of its named variants)."""
    data = read_spec_file(path)
    try:
        return build_spec(data, file=str(path), default_name=Path(path).stem, variant=variant)
    except SpecError as exc:
        raise exc.located(file=str(path)) from None


def loads_spec(text: str, *, name: str = "spec", variant: str | None = None) -> Spec:
    """Parse a spec from YAML text (tests, the Python API)."""
    return build_spec(parse_yaml(text), file=None, default_name=name, variant=variant)


def build_spec(data: Any, *, file: str | None, default_name: str, variant: str | None = None) -> Spec:
    if not isinstance(data, dict):
        raise SpecError(f"the top level must be a mapping with 'input' and 'layers', got {type_name(data)}",
                        line=getattr(data, "line", 1))
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            hint = suggest(key, TOP_LEVEL_KEYS) or f" (known: {', '.join(TOP_LEVEL_KEYS)})"
            raise SpecError(f"unknown top-level field{hint}", line=line_of(data, key), field=key)
    for key in ("input", "layers"):
        if key not in data:
            raise SpecError(f"the spec needs {key!r}", line=getattr(data, "line", 1), field=key)
    name = data.get("name", default_name)
    if not isinstance(name, str):
        raise SpecError(f"must be text, got {type_name(name)}", line=line_of(data, "name"), field="name")
    if len(name) > MAX_NAME:
        raise SpecError(f"a model name is at most {MAX_NAME} characters, got {len(name):,}", line=line_of(data, "name"),
                        field="name")
    variables = _mapping(data, "variables")
    variants = _mapping(data, "variants")
    if variant is not None:
        if variant not in variants:
            known = ", ".join(variants) or "none"
            raise SpecError(f"no variant {variant!r}{suggest(variant, variants)} (this spec has: {known})",
                            field="--variant")
        overrides = _mapping(variants, variant, field=f"variants.{variant}")
        for key in overrides:
            if key not in variables:
                raise SpecError(f"sets {key!r}, which is not in 'variables'{suggest(key, variables)}",
                                line=line_of(overrides, key), field=f"variants.{variant}.{key}")
        variables = {**variables, **overrides}
    parser = Parser(_mapping(data, "blocks"), dict(variables))
    shape = parse_input(data["input"], line=line_of(data, "input"), field="input")
    layers = parser.items(data["layers"], line=line_of(data, "layers"), path="layers", scope=dict(variables))
    check_rows(layers)
    return Spec(name=f"{name} [{variant}]" if variant else name, input=shape, layers=layers, file=file,
                description=str(data.get("description", "")), variant=variant or "", variants=tuple(variants),
                paper=parse_paper(data["paper"], line_of(data, "paper"), "paper") if "paper" in data else (),
                expect=parse_expect(data["expect"], line_of(data, "expect"), "expect", totals=True)
                if "expect" in data else ())


def _mapping(data: Any, key: str, *, field: str | None = None) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise SpecError(f"must be a mapping, got {type_name(value)}", line=line_of(data, key), field=field or key)
    return value


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


# names cnncalc gives rows of its own: a layer named so would share their path (block.add) or their row
RESERVED_NAMES = {"input": "the input row of every table", "TOTAL": "the totals row of the CSV",
                  "total": "the totals in answers files and explain", "add": "a residual's join row (name.add)",
                  "concat": "a concat's join row (name.concat)", "shortcut": "a residual's shortcut (name.shortcut.)"}


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

    def items(self, raw: Any, *, line: int | None, path: str, scope: dict[str, Any]) -> tuple[Layer, ...]:
        if not isinstance(raw, list):
            raise SpecError(f"must be a list of layers, got {type_name(raw)}", line=line, field=path)
        if not raw:
            raise SpecError("there are no layers here", line=line, field=path)
        counters: dict[str, int] = {}
        names: set[str] = set()
        layers = []
        for i, item in enumerate(raw):
            layer = self.item(item, line=line_of(raw, i), path=f"{path}[{i}]", scope=scope)
            if not layer.name:
                counters[layer.kind] = counters.get(layer.kind, 0) + 1
                layer = replace(layer, name=f"{layer.kind}{counters[layer.kind]}")
            elif layer.name in names:
                raise SpecError(f"layer name {layer.name!r} is used twice", line=layer.line, field=f"{path}[{i}].name")
            names.add(layer.name)
            layers.append(layer)
        return tuple(layers)

    def item(self, raw: Any, *, line: int | None, path: str, scope: dict[str, Any]) -> Layer:
        if self.depth >= MAX_NESTING:
            raise SpecError(f"containers and blocks are nested more than {MAX_NESTING} deep", line=line, field=path)
        self.depth += 1
        try:
            return self._item(raw, line=line, path=path, scope=scope)
        finally:
            self.depth -= 1

    def _item(self, raw: Any, *, line: int | None, path: str, scope: dict[str, Any]) -> Layer:
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
            what = "no layer type" if not keys else f"{len(keys)} layer types ({', '.join(keys)})"
            raise SpecError(f"a layer is one type with its options (and optional {', '.join(ITEM_KEYS)}), got "
                            f"{what}", line=line, field=path)
        kind, value = keys[0], raw[keys[0]]
        self.check_kind(kind, line, path)
        name = self.name_of(raw, value, line, path)
        if isinstance(value, dict) and "name" in value and kind in LAYER_TYPES:
            value = YMap({k: v for k, v in value.items() if k != "name"}, template=value)
        count = substitute(raw.get("repeat", 1), scope, line_of(raw, "repeat"), f"{path}.repeat")
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_REPEAT:
            raise SpecError(f"must be a whole number from 1 to {MAX_REPEAT:,}, got {type_name(count)}",
                            line=line_of(raw, "repeat"), field=f"{path}.repeat")
        if "first" in raw and kind not in self.blocks:
            raise SpecError("'first' overrides a block's arguments for the first repeat; this item is not a block",
                            line=line_of(raw, "first"), field=f"{path}.first")
        node = self.node(kind, value, line=line, path=f"{path}.{kind}", scope=scope)
        if "repeat" in raw:
            first = node
            if "first" in raw:
                first = self.node(kind, value, line=line, path=f"{path}.{kind}", scope=scope,
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

    def check_kind(self, kind: str, line: int | None, path: str) -> None:
        if kind not in LAYER_TYPES and kind not in CONTAINERS and kind not in self.blocks:
            known = set(LAYER_TYPES) | set(CONTAINERS) | set(self.blocks)
            raise SpecError(f"unknown layer type {kind!r}{suggest(kind, known)}", line=line, field=path)

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
             override: tuple[Any, int | None, str] | None = None) -> Layer:
        self.built += 1
        if self.built > MAX_EXPANSION:
            raise SpecError(f"the spec builds more than {MAX_EXPANSION:,} layers and containers, each use of a block "
                            "counted anew; refused (write long runs with 'repeat')", line=line, field=path)
        if kind in self.blocks:
            return self.block(kind, value, line=line, path=path, scope=scope, override=override)
        if kind in CONTAINERS:
            return self.container(kind, value, line=line, path=path, scope=scope)
        if kind in LAYER_TYPES:
            cls = LAYER_TYPES[kind]
            opts = Options(substitute(value, scope, line, path), path, kind, line)
            values = cls.parse(kind, opts)
            opts.finish()
            return cls(name="", line=line, path=path, **values)  # type: ignore[arg-type]
        raise AssertionError(kind)  # check_kind ran first

    def container(self, kind: str, value: Any, *, line: int | None, path: str, scope: dict[str, Any]) -> Layer:
        if kind == "layers":
            return Sequence(name="", line=line, path=path, items=self.items(value, line=line, path=path, scope=scope))
        if kind == "concat":
            return Concat(name="", line=line, path=path, branches=self.branches(value, line, path, scope))
        opts = Options(substitute(value, scope, line, path, keep=("body", "shortcut", "after")), path, kind, line)
        if kind == "residual":
            # body and after are named as one list, so that 'relu' after the addition does not clash with the body's
            body_raw, after_raw = opts.take("body"), opts.take("after", [])
            if not isinstance(body_raw, list) or not isinstance(after_raw, list):
                raise opts.error("body" if not isinstance(body_raw, list) else "after", "must be a list of layers")
            both = YList([*body_raw, *after_raw], template=body_raw)
            both.lines = [*getattr(body_raw, "lines", []), *getattr(after_raw, "lines", [])]
            joined = self.sequence(both, opts, "body", scope)
            body = replace(joined, items=joined.items[: len(body_raw)])
            after = replace(joined, name="after", items=joined.items[len(body_raw):]) if after_raw else None
            shortcut_raw = opts.take("shortcut", "identity")
            opts.finish()
            if shortcut_raw in ("identity", "auto"):
                return Residual(name="", line=line, path=path, body=body, shortcut=None, auto=shortcut_raw == "auto",
                                after=after)
            if isinstance(shortcut_raw, str):
                raise opts.error("shortcut", f"must be 'identity', 'auto' or a list of layers, got {shortcut_raw!r}")
            shortcut = replace(self.sequence(shortcut_raw, opts, "shortcut", scope), name="shortcut")
            return Residual(name="", line=line, path=path, body=body, shortcut=shortcut, after=after)
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

    def sequence(self, raw: Any, opts: Options, key: str, scope: dict[str, Any]) -> Sequence:
        line = line_of(opts.raw, key)
        items = raw if isinstance(raw, list) else YList([raw])
        if not isinstance(raw, list):
            items.line, items.lines = line, [line]
        return Sequence(name=key, line=line, path=f"{opts.path}.{key}",
                        items=self.items(items, line=line, path=f"{opts.path}.{key}", scope=scope))

    def branches(self, raw: Any, line: int | None, path: str, scope: dict[str, Any]) -> tuple[Sequence, ...]:
        if isinstance(raw, dict):
            named = list(raw.items())
        elif isinstance(raw, list):
            named = [(f"b{i + 1}", branch) for i, branch in enumerate(raw)]
        else:
            raise SpecError(f"concat takes a list of branches or a mapping of named branches, got {type_name(raw)}",
                            line=line, field=path)
        if len(named) < 2:
            raise SpecError("concat needs at least two branches", line=line, field=path)
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
            chain = " → ".join([*self.stack[self.stack.index(kind):], kind])
            raise SpecError(f"block {kind!r} uses itself ({chain})", line=line, field=path)
        definition = self.blocks[kind]
        if not isinstance(definition, dict):
            raise SpecError(f"a block is a mapping with 'args' and one body, got {type_name(definition)}",
                            line=line_of(self.blocks, kind), field=f"blocks.{kind}")
        args = self.arguments(kind, definition, value, line, path, scope)
        if override is not None:
            extra, oline, opath = override
            if not isinstance(extra, dict):
                raise SpecError(f"must be a mapping of block arguments, got {type_name(extra)}", line=oline,
                                field=opath)
            for key, v in extra.items():
                if key not in args:
                    raise SpecError(f"block {kind!r} has no argument {key!r}{suggest(key, args)}",
                                    line=line_of(extra, key), field=f"{opath}.{key}")
                args[key] = substitute(v, scope, line_of(extra, key), f"{opath}.{key}")
        body_keys = [k for k in definition if k != "args"]
        if len(body_keys) != 1:
            raise SpecError(f"block {kind!r} needs exactly one body (e.g. 'layers', 'concat', 'residual'), got "
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

    def arguments(self, kind: str, definition: dict[str, Any], value: Any, line: int | None, path: str,
                  scope: dict[str, Any]) -> dict[str, Any]:
        declared = definition.get("args") or {}
        if isinstance(declared, list):
            for name in declared:
                if not isinstance(name, str) or not name.isidentifier():
                    raise SpecError(f"an argument is a name like 'width', got {type_name(name)}",
                                    line=line_of(definition, "args"), field=f"blocks.{kind}.args")
            declared = {name: None for name in declared}
        if not isinstance(declared, dict):
            raise SpecError("args is a list of names or a mapping of names to defaults (null: required)",
                            line=line_of(definition, "args"), field=f"blocks.{kind}.args")
        names = list(declared)
        if not names and value is not None and value != {} and value != []:
            raise SpecError(f"block {kind!r} takes no arguments, got {type_name(value)}", line=line, field=path)
        if value is None:
            given: dict[str, Any] = {}
        elif isinstance(value, list):
            if len(value) > len(names):
                raise SpecError(f"block {kind!r} takes {len(names)} arguments ({', '.join(names)}), got {len(value)}",
                                line=line, field=path)
            given = dict(zip(names, value))
        elif isinstance(value, dict):
            for key in value:
                if key not in declared:
                    raise SpecError(f"block {kind!r} has no argument {key!r}{suggest(key, names)}",
                                    line=line_of(value, key), field=f"{path}.{key}")
            given = dict(value)
        elif len(names) == 1:
            given = {names[0]: value}
        else:
            raise SpecError(f"block {kind!r} takes arguments {', '.join(names)}: give a list or a mapping",
                            line=line, field=path)
        args = {}
        for name in names:
            if name in given:
                where = line_of(value, name) if isinstance(value, dict) else line
                args[name] = substitute(given[name], scope, where, f"{path}.{name}")
            elif declared[name] is not None:
                args[name] = declared[name]
            else:
                raise SpecError(f"block {kind!r} needs argument {name!r}", line=line, field=path)
        return args
