"""YAML values → a validated Spec. Every error names the line and the field it is about."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from cnncalc.errors import SpecError
from cnncalc.layers import LAYER_TYPES, Layer, Shape
from cnncalc.spec import shorthand
from cnncalc.spec.model import Spec
from cnncalc.spec.options import Options, suggest, type_name
from cnncalc.spec.source import line_of, parse_yaml, read_spec_file

TOP_LEVEL_KEYS = ("name", "description", "input", "layers")
_DIMS = re.compile(r"\s*(\d+)\s*[x×*]\s*(\d+)\s*(?:[x×*]\s*(\d+)\s*)?", re.IGNORECASE)


def load_spec(path: str | Path) -> Spec:
    """Read, parse and validate a spec file."""
    data = read_spec_file(path)
    try:
        return build_spec(data, file=str(path), default_name=Path(path).stem)
    except SpecError as exc:
        raise exc.located(file=str(path)) from None


def loads_spec(text: str, *, name: str = "spec") -> Spec:
    """Parse a spec from YAML text (tests, the Python API)."""
    return build_spec(parse_yaml(text), file=None, default_name=name)


def build_spec(data: Any, *, file: str | None, default_name: str) -> Spec:
    if not isinstance(data, dict):
        raise SpecError(f"the top level must be a mapping with 'input' and 'layers', got {type_name(data)}",
                        line=getattr(data, "line", 1))
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise SpecError(f"unknown top-level field{suggest(key, TOP_LEVEL_KEYS)}", line=line_of(data, key),
                            field=key)
    for key in ("input", "layers"):
        if key not in data:
            raise SpecError(f"the spec needs {key!r}", line=getattr(data, "line", 1), field=key)
    name = data.get("name", default_name)
    if not isinstance(name, str):
        raise SpecError(f"must be text, got {type_name(name)}", line=line_of(data, "name"), field="name")
    description = data.get("description", "")
    shape = parse_input(data["input"], line=line_of(data, "input"), field="input")
    layers = parse_layers(data["layers"], line=line_of(data, "layers"), field="layers")
    return Spec(name=name, input=shape, layers=layers, file=file, description=str(description))


def parse_input(value: Any, *, line: int | None, field: str, channels: int | None = None) -> Shape:
    """'224x224x3' (H×W×C, as the slides write it), [3, 224, 224] (C, H, W, PyTorch order), or
    {channels, height, width}. With `channels` given (a CLI override), '227' and '227x227' keep them."""

    def bad(why: str) -> SpecError:
        return SpecError(why, line=line, field=field)

    def positive(*values: Any) -> tuple[int, ...]:
        for v in values:
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise bad(f"sizes must be positive whole numbers, got {type_name(v)}")
        return tuple(values)

    if isinstance(value, str):
        if m := _DIMS.fullmatch(value):
            h, w, c = int(m[1]), int(m[2]), m[3]
            if c is None:
                if channels is None:
                    raise bad(f"{value!r} gives no channels: write HxWxC, e.g. {h}x{w}x3")
                c = channels
            return positive(int(c), h, w)
        if value.strip().isdigit() and channels is not None:
            n = int(value)
            return positive(channels, n, n)
        raise bad(f"cannot read {value!r}: write HxWxC (e.g. 224x224x3), [C, H, W] or "
                  "{channels: 3, height: 224, width: 224}")
    if isinstance(value, list):
        if len(value) == 3:
            return positive(*value)
        if len(value) == 1:
            return positive(*value)
        raise bad(f"a list input is [C, H, W] (PyTorch order) or [N] for a vector, got {len(value)} numbers")
    if isinstance(value, dict):
        unknown = [k for k in value if k not in ("channels", "height", "width")]
        if unknown:
            raise SpecError(f"unknown field{suggest(unknown[0], ('channels', 'height', 'width'))}",
                            line=line_of(value, unknown[0]), field=f"{field}.{unknown[0]}")
        missing = [k for k in ("channels", "height", "width") if k not in value]
        if missing:
            raise bad(f"needs {', '.join(missing)}")
        return positive(value["channels"], value["height"], value["width"])
    if isinstance(value, int) and not isinstance(value, bool):
        return positive(value)
    raise bad(f"cannot read an input size from {type_name(value)}")


def parse_layers(items: Any, *, line: int | None, field: str) -> tuple[Layer, ...]:
    if not isinstance(items, list):
        raise SpecError(f"must be a list of layers, got {type_name(items)}", line=line, field=field)
    if not items:
        raise SpecError("the network has no layers", line=line, field=field)
    counters: dict[str, int] = {}
    names: set[str] = set()
    layers = []
    for i, item in enumerate(items):
        layer = parse_layer(item, line=line_of(items, i), path=f"{field}[{i}]", counters=counters)
        if layer.name in names:
            raise SpecError(f"layer name {layer.name!r} is used twice", line=layer.line, field=f"{field}[{i}].name")
        names.add(layer.name)
        layers.append(layer)
    return tuple(layers)


def parse_layer(item: Any, *, line: int | None, path: str, counters: dict[str, int]) -> Layer:
    """One list item: a shorthand string ('conv3-64', '6c5w1s0p', 'relu') or {TYPE: {options}, name: ...}."""
    name: Any = None
    if isinstance(item, str):
        expanded = shorthand.expand(item)
        kind, raw = expanded if expanded else (item.strip().lower(), {})
    elif isinstance(item, dict):
        keys = [k for k in item if k != "name"]
        if len(keys) != 1:
            what = "no layer type" if not keys else f"{len(keys)} layer types ({', '.join(keys)})"
            raise SpecError(f"a layer is one type with its options (and an optional name), got {what}",
                            line=line, field=path)
        kind, raw = keys[0], item[keys[0]]
        name = item.get("name")
        if isinstance(raw, dict) and "name" in raw:
            if name is not None:
                raise SpecError("the name is given twice", line=line_of(raw, "name"), field=f"{path}.name")
            name = raw["name"]
            raw = {k: v for k, v in raw.items() if k != "name"}
    else:
        raise SpecError(f"a layer is a name like 'conv3-64' or a mapping like {{conv: {{...}}}}, got "
                        f"{type_name(item)}", line=line, field=path)
    if kind not in LAYER_TYPES:
        raise SpecError(f"unknown layer type {kind!r}{suggest(kind, LAYER_TYPES)}", line=line, field=path)
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise SpecError(f"a layer name must be text, got {type_name(name)}", line=line, field=f"{path}.name")
    cls = LAYER_TYPES[kind]
    opts = Options(raw, f"{path}.{kind}", kind, line)
    values = cls.parse(kind, opts)
    opts.finish()
    layer = cls(name=name or "", line=line, path=path, **values)  # type: ignore[arg-type]
    counters[layer.kind] = counters.get(layer.kind, 0) + 1
    return layer if name else replace(layer, name=f"{layer.kind}{counters[layer.kind]}")
