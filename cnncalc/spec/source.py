"""YAML → plain Python values that remember their line numbers, loaded safely and with hard limits.

PyYAML's composer gives nodes with positions; we build dicts and lists from them ourselves so that no tag can
construct an object, an alias bomb is refused after a bounded amount of work, and every value can be traced
back to the line it came from for error messages.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from cnncalc.errors import SpecError, clipped, shown
from cnncalc.limits import MAX_BYTES, MAX_DEPTH, MAX_NODES

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


class YMap(dict):  # type: ignore[type-arg]
    """A mapping that knows its own line and the line of each key."""

    line: int | None = None
    lines: dict[str, int] = {}  # noqa: RUF012 - replaced per instance; the class value serves plain copies

    def __init__(self, items: Any = (), *, template: Any = None) -> None:
        super().__init__(items)
        if template is not None:
            self.line = getattr(template, "line", None)
            self.lines = getattr(template, "lines", {})


class YList(list):  # type: ignore[type-arg]
    """A sequence that knows its own line and the line of each item."""

    line: int | None = None
    lines: list[int] = []  # noqa: RUF012

    def __init__(self, items: Any = (), *, template: Any = None) -> None:
        super().__init__(items)
        if template is not None:
            self.line = getattr(template, "line", None)
            self.lines = getattr(template, "lines", [])


def line_of(container: Any, key: Any) -> int | None:
    """Line of `container[key]`, when the container came from YAML."""
    if isinstance(container, YMap):
        return container.lines.get(key, container.line)
    if isinstance(container, YList) and isinstance(key, int) and 0 <= key < len(container.lines):
        return container.lines[key]
    return getattr(container, "line", None)


def read_spec_file(path: str | Path) -> Any:
    """Read and parse a spec file; every failure is a SpecError naming the file."""
    name = str(path)
    if not name.strip():  # Path("") is the current folder: say what was really given
        raise SpecError("the SPEC argument is empty: give a spec file (e.g. specs/vgg16.yaml)")
    p = Path(path)
    try:
        missing, directory, regular = not p.exists(), p.is_dir(), p.is_file()
    except (OSError, ValueError) as exc:  # a name too long for the system; a NUL byte (Python's ValueError)
        why = exc.strerror if isinstance(exc, OSError) else "the name holds a NUL character"
        raise SpecError(f"cannot read: {why}", file=clipped(name)) from None
    if missing:
        raise SpecError("no such file", file=clipped(name))
    if directory:
        raise SpecError("is a directory, not a spec file", file=clipped(name))
    if not regular:  # a FIFO with no writer would block open() for ever; a device could be endless
        raise SpecError("is not a regular file (a pipe, a device or a socket); save the spec to a file",
                        file=clipped(name))
    try:
        with p.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)  # bounded: /dev/zero or a huge file must not fill the memory
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror}", file=name) from None
    if len(raw) > MAX_BYTES:
        raise SpecError(f"file is larger than {MAX_BYTES:,} bytes", file=name)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SpecError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x})", file=name, line=line) from None
    try:
        return parse_yaml(text)
    except SpecError as exc:
        raise exc.located(file=name) from None


def parse_yaml(text: str) -> Any:
    """Parse one YAML document into YMap/YList/scalars."""
    if not text.strip():
        raise SpecError("the file is empty")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 10x faster
    try:
        _check_events(text, loader)
        node = yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if "maximum nesting depth" in (exc.problem or ""):  # PyYAML ≥ 6.0.4 stops deep nesting itself, earlier
            raise SpecError(f"nested deeper than {MAX_DEPTH} levels; refused",
                            line=mark.line + 1 if mark else None) from None
        raise SpecError(f"YAML syntax error: {_syntax(exc, text)}", line=mark.line + 1 if mark else None) from None
    except yaml.reader.ReaderError as exc:  # a character YAML refuses (a control character): no mark, a position
        line = text[: exc.position].count("\n") + 1
        raise SpecError(f"YAML error: unacceptable character #x{exc.character:04x}: {exc.reason}", line=line) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"YAML error: {exc}") from None
    if node is None:
        raise SpecError("the file holds no YAML document")
    return _Builder().build(node, 0, "")


def _syntax(exc: yaml.MarkedYAMLError, text: str) -> str:
    """PyYAML's problem, with what it was parsing and where that began ('did not find expected ',' or ']'
    (while parsing a flow sequence, line 2)'), and a word on tabs, the most common cause of all."""
    problem = (exc.problem or "invalid YAML").removeprefix("but ")
    mark = exc.problem_mark
    if problem == "found undefined alias" and mark:  # libyaml leaves the name out; it is at the mark
        problem += f" {shown(text[mark.index:mark.index + 1000].split(maxsplit=1)[0].rstrip(',]}'))}"
    if exc.context:
        where = f", line {exc.context_mark.line + 1}" if exc.context_mark and mark and \
            exc.context_mark.line != mark.line else ""
        problem += f" ({exc.context}{where})"
    if mark and 0 <= mark.index < len(text) and text[mark.index] == "\t":
        problem += "; YAML indents with spaces, not tabs"
    return problem


def _check_events(text: str, loader: type) -> None:
    """Refuse deep nesting and too many nodes before composing: libyaml's composer recurses in C, so a document of
    50,000 opening brackets (100 KB) would overflow the C stack and kill the interpreter, and composing a 10 MB file
    of tiny items takes seconds. Events come from a loop, not recursion, at about a microsecond each."""
    depth = nodes = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            continue
        if isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, yaml.CollectionStartEvent)):
            nodes += 1
            if nodes > MAX_NODES:
                raise SpecError(f"more than {MAX_NODES:,} YAML nodes; refused", line=event.start_mark.line + 1)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise SpecError(f"nested deeper than {MAX_DEPTH} levels; refused", line=event.start_mark.line + 1)


class _Builder:
    def __init__(self) -> None:
        self.count = 0
        self.constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, depth: int, path: str) -> Any:
        """`path`: the node's field path as the parser names fields (`questions[0].input`), for the errors
        found here, before any parser has seen the value."""
        self.count += 1
        line = node.start_mark.line + 1
        field = path or None
        if self.count > MAX_NODES:
            raise SpecError(f"more than {MAX_NODES:,} YAML nodes (an alias bomb?); refused", line=line)
        if depth > MAX_DEPTH:
            raise SpecError(f"nested deeper than {MAX_DEPTH} levels; refused", line=line)
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in _SCALAR_TAGS:
                raise SpecError(f"YAML tag {shown(node.tag)} is not allowed in a spec", line=line, field=field)
            if node.tag == "tag:yaml.org,2002:int" and len(node.value) > 1000:
                # Python refuses to convert more than 4,300 digits (a quadratic-time guard); no size needs 1,000
                raise SpecError(f"a number written with {len(node.value):,} digits is too large for any field (sizes "
                                "are at most 2^64)", line=line, field=field)
            try:
                value = self.constructor.construct_object(node)
            except (yaml.YAMLError, ValueError, OverflowError):  # PyYAML's own words would be Python's
                raise SpecError(f"cannot read {shown(node.value)}", line=line, field=field) from None
            if node.tag in (_INT, _FLOAT):
                _as_a_person_writes_it(node.value, value, line, field)
            return value
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                raise SpecError(f"YAML tag {shown(node.tag)} is not allowed in a spec", line=line, field=field)
            seq = YList(self.build(item, depth + 1, f"{path}[{i}]") for i, item in enumerate(node.value))
            seq.line = line
            seq.lines = [item.start_mark.line + 1 for item in node.value]
            return seq
        if isinstance(node, yaml.MappingNode):
            if node.tag != "tag:yaml.org,2002:map":
                raise SpecError(f"YAML tag {shown(node.tag)} is not allowed in a spec", line=line, field=field)
            mapping = YMap()
            mapping.line = line
            mapping.lines = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, depth + 1, path)
                if not isinstance(key, str):
                    why = " (YAML reads yes/no/on/off as booleans: quote it)" if isinstance(key, bool) else ""
                    raise SpecError(f"keys must be names, got {shown(key)}{why}",
                                    line=key_node.start_mark.line + 1, field=field)
                if key in mapping:
                    raise SpecError(f"duplicate key {shown(key)}", line=key_node.start_mark.line + 1, field=field)
                mapping[key] = self.build(value_node, depth + 1, f"{path}.{key}" if path else key)
                mapping.lines[key] = key_node.start_mark.line + 1
            return mapping
        raise SpecError("unsupported YAML node", line=line)  # pragma: no cover - PyYAML has only three


_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*(?:_[0-9]+)*)(?:\.[0-9]*(?:[eE][-+]?[0-9]+)?)?|[-+]?\.[0-9]+")
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")


def _as_a_person_writes_it(text: str, value: Any, line: int, field: str | None) -> None:
    """YAML 1.1 reads 064 as octal 52, 1:30 as base-60 90 and 0x10 as 16; a person means 64, a time and text.
    Numbers are read in decimal digits only (1_000 allowed, as YAML and Python write it); the rest is refused
    with what YAML would have made of it."""
    if _DECIMAL.fullmatch(text) or _SPECIAL_FLOAT.fullmatch(text):
        return
    made = shown(value)
    if ":" in text:
        why = f"YAML 1.1 reads it as a base-60 number ({made}); quote it if it is text"
    elif re.fullmatch(r"[-+]?0[xX][0-9a-fA-F_]+", text):
        why = f"a hexadecimal number ({made}); write it in decimal digits"
    elif re.fullmatch(r"[-+]?0[bB][01_]+", text):
        why = f"a binary number ({made}); write it in decimal digits"
    elif re.fullmatch(r"[-+]?0[0-7_]+", text):
        decimal = shown(int(text.replace("_", "")))
        why = f"a leading zero makes it octal to YAML 1.1 ({made}, not {decimal}); write {decimal}"
    else:
        why = f"not a number as people write it (YAML reads {made}); write it in decimal digits"
    raise SpecError(f"cannot read {shown(text)}: {why}", line=line, field=field)
