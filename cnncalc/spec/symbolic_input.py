"""Reading an input size written with names: 'HxWx3', 'HxW', 'N' (`input:` in a spec, `--input` on the CLI).

Imported only when the text has a letter in it (cnncalc.spec.inputs): it imports sympy, for the symbols.
"""

from __future__ import annotations

import re
from typing import Any

from cnncalc.arithmetic.symbolic_sizes import symbol
from cnncalc.errors import SHOWN, SpecError, shown

NAME = re.compile(r"[A-Za-wyzA-WYZ_][A-Za-wyzA-WYZ0-9_]*")  # no x: it separates the sizes (HxWx3)
PLAIN_NUMBER = re.compile(r"[0-9]{1,30}")  # ASCII digits int() reads ('²' is a digit to str.isdigit, not to int)


def is_plain(text: str) -> bool:
    """A whole number as int() reads it, in ASCII digits and short enough to be a size."""
    return bool(PLAIN_NUMBER.fullmatch(text))


def parse_symbolic_input(text: str, channels: int | None = None) -> tuple[Any, ...] | None:
    """'HxWx3', 'HxW' (keeping `channels`), 'N' → a shape with symbols; None when the text has no symbol."""
    parts = [p.strip() for p in re.split(r"[xX×]", text.strip())]
    if not any(NAME.fullmatch(p) for p in parts):
        return None
    if len(parts) == 1:
        parts = [parts[0], parts[0]]
    if len(parts) == 2:
        if channels is None:
            example = f"{parts[0]}x{parts[1]}x3" if len(text) <= SHOWN else "HxWx3"
            raise SpecError(f"{shown(text)} gives no channels: write HxWxC, e.g. {example}", field="input")
        parts.append(str(channels))
    if len(parts) != 3 or not is_plain(parts[2]) or int(parts[2]) < 1:
        raise SpecError(f"cannot read {shown(text)}: a symbolic input is HxWxC with a number of channels, e.g. HxWx3",
                        field="input")
    dims: list[Any] = []
    for p in parts[:2]:
        if NAME.fullmatch(p):
            dims.append(symbol(p))
        elif is_plain(p) and int(p) > 0:
            dims.append(int(p))
        else:
            raise SpecError(f"cannot read {shown(p)} in {shown(text)}: a size is a positive number or a name", field="input")
    return (int(parts[2]), *dims)
