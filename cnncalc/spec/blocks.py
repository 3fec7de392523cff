"""A block's use: its arguments read against the definition's `args` (positional, named or one value), and the
items whose own values use the shape reaching them (`$in_channels`, `$in_height`, `$in_width`), which the parser
keeps for later (cnncalc.layers.graph.Deferred).
"""

from __future__ import annotations

import re
from typing import Any

from cnncalc.errors import SpecError, shown, shown_names
from cnncalc.layers.base import Shape
from cnncalc.spec.expr import substitute
from cnncalc.spec.options import suggest, type_name
from cnncalc.spec.source import line_of

INPUT_NAMES = ("in_channels", "in_height", "in_width")
_MENTION = re.compile(r"\bin_(channels|height|width)\b")
# a container's options that hold nested items (parsed with their own shapes, so not the container's values)
NESTED = {"layers": None, "concat": None, "residual": ("body", "shortcut", "after"), "dense": ("body",),
          "gate": ("body",), "split": ("branches",)}


def arguments(kind: str, definition: dict[str, Any], value: Any, line: int | None, path: str,
              scope: dict[str, Any]) -> dict[str, Any]:
    """The values of a block's arguments at one use: given ones substituted in `scope`, else the defaults."""
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
        raise SpecError(f"block {shown(kind)} takes no arguments, got {type_name(value)}", line=line, field=path)
    if value is None:
        given: dict[str, Any] = {}
    elif isinstance(value, list):
        if len(value) > len(names):
            raise SpecError(f"block {shown(kind)} takes {len(names)} arguments ({shown_names(names)}), got {len(value)}",
                            line=line, field=path)
        given = dict(zip(names, value))
    elif isinstance(value, dict):
        for key in value:
            if key not in declared:
                raise SpecError(f"block {shown(kind)} has no argument {shown(key)}{suggest(key, names)}",
                                line=line_of(value, key), field=f"{path}.{key}")
        given = dict(value)
    elif len(names) == 1:
        given = {names[0]: value}
    else:
        raise SpecError(f"block {shown(kind)} takes arguments {shown_names(names)}: give a list or a mapping",
                        line=line, field=path)
    args = {}
    for name in names:
        if name in given:
            where = line_of(value, name) if isinstance(value, dict) else line
            args[name] = substitute(given[name], scope, where, f"{path}.{name}")
        elif declared[name] is not None:
            args[name] = declared[name]
        else:
            raise SpecError(f"block {shown(kind)} needs argument {shown(name)}", line=line, field=path)
    return args


def mentions_input(value: Any, scope: dict[str, Any]) -> bool:
    """Whether a `$...` expression in `value` uses the shape reaching the item (a name not defined in scope)."""
    if isinstance(value, str):
        return value.startswith("$") and any(m.group(0) not in scope for m in _MENTION.finditer(value))
    if isinstance(value, dict):
        return any(mentions_input(v, scope) for v in value.values())
    if isinstance(value, list):
        return any(mentions_input(v, scope) for v in value)
    return False


def own_values(raw: dict[str, Any], kind: str, containers: tuple[str, ...]) -> list[Any]:
    """The values of an item that are evaluated with the item's own input shape: its `when`, `repeat`, `first`
    and options, without the nested items of a container (they see their own shapes)."""
    out = [raw.get(k) for k in ("when", "repeat", "first")]
    value = raw[kind]
    if kind in containers:
        nested = NESTED.get(kind)
        if nested is not None and isinstance(value, dict):
            out += [v for k, v in value.items() if k not in nested]
    else:
        out.append(value)
    return out


def input_values(shape: Shape) -> dict[str, Any]:
    """$in_channels (the features of a flat vector), $in_height, $in_width of the tensor reaching an item."""
    if len(shape) == 3:
        return dict(zip(INPUT_NAMES, shape))
    return {"in_channels": shape[0]} if len(shape) == 1 else {}
