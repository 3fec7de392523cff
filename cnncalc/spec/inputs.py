"""The input size of a spec or of `--input`: '224x224x3' (H×W×C), [3, 224, 224] (C, H, W), a mapping, or with
names ('HxWx3', read by cnncalc.spec.symbolic_input, which imports sympy only when a letter appears).
"""

from __future__ import annotations

import re
from typing import Any

from cnncalc.errors import SHOWN, SpecError, shown
from cnncalc.layers.base import Shape
from cnncalc.limits import MAX_NAME, MAX_SIZE, MAX_SIZE_TEXT
from cnncalc.spec.options import suggest, type_name
from cnncalc.spec.source import line_of

_NAME = re.compile(r"[A-Za-wyzA-WYZ_][A-Za-wyzA-WYZ0-9_]*")  # a symbol: starts with a letter, no x (HxWx3)
_DIMS = re.compile(r"\s*(\d+)\s*[x×*]\s*(\d+)\s*(?:[x×*]\s*(\d+)\s*)?", re.IGNORECASE)
_NUMBER = re.compile(r"\s*(\d+)\s*")


def has_symbol(text: str, field: str = "input", line: int | None = None) -> bool:
    """Whether a size written as text names a symbol ('HxWx3', 'N'); the x between sizes is x, X or ×.
    A part that mixes digits and letters ('22a4', '2H') is neither a size nor a name: an error, not a symbol."""
    parts = [part.strip() for part in re.split("[xX×]", text)]
    for part in parts:
        if len(part) > MAX_NAME:
            what = (f"a size of {len(part):,} digits; sizes are at most {MAX_SIZE_TEXT}" if part.isdigit() else
                    f"a symbol of {len(part):,} characters; a symbol is at most {MAX_NAME}")
            raise SpecError(what, line=line, field=field)
        if re.fullmatch(r"\w+", part) and re.search(r"\d", part) and re.search(r"[^\W\d]", part) and \
                not _NAME.fullmatch(part):
            raise SpecError(f"cannot read {shown(part)} in {shown(text)}: a size is a number (32) and a symbol a "
                            "name that starts with a letter (H, W2); this part mixes digits and letters",
                            line=line, field=field)
    return any(_NAME.fullmatch(part) for part in parts)


def parse_input(value: Any, *, line: int | None, field: str, channels: int | None = None) -> Shape:
    """'224x224x3' (H×W×C, as the slides write it), [3, 224, 224] (C, H, W, PyTorch order), or
    {channels, height, width}. With `channels` given (a CLI override), '227' and '227x227' keep them."""

    def bad(why: str) -> SpecError:
        return SpecError(why, line=line, field=field)

    def positive(*values: Any) -> tuple[int, ...]:
        for v in values:
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise bad(f"sizes must be positive whole numbers, got {type_name(v)}")
            if v > MAX_SIZE:
                raise bad(f"sizes must be at most {MAX_SIZE_TEXT}, got {type_name(v)}")
        return tuple(values)

    if isinstance(value, str) and has_symbol(value, field, line):
        from cnncalc.spec.symbolic_input import parse_symbolic_input  # sympy: only when a symbol appears

        try:
            symbolic = parse_symbolic_input(value, channels)
        except SpecError as exc:
            raise bad(exc.message) from None
        if symbolic is not None:
            return symbolic  # type: ignore[return-value]
    if isinstance(value, str):
        if any(len(digits) > 30 for digits in re.findall(r"\d+", value)):  # int() refuses past 4,300 digits
            raise bad(f"sizes must be at most {MAX_SIZE_TEXT}")
        if m := _DIMS.fullmatch(value):
            h, w, c = int(m[1]), int(m[2]), m[3]
            if c is None:
                if channels is None:
                    example = f"{h}x{w}x3" if len(value) <= SHOWN else "224x224x3"
                    raise bad(f"{shown(value)} gives no channels: write HxWxC, e.g. {example}")
                c = channels
            return positive(int(c), h, w)
        if (m := _NUMBER.fullmatch(value)) and channels is not None:
            n = int(m[1])
            return positive(channels, n, n)
        raise bad(f"cannot read {shown(value)}: write HxWxC (e.g. 224x224x3), [C, H, W] or "
                  "{channels: 3, height: 224, width: 224}")
    if isinstance(value, list):
        if len(value) in (1, 3):
            return positive(*value)
        raise bad(f"a list input is [C, H, W] (PyTorch order) or [N] for a vector, got {len(value)} numbers")
    if isinstance(value, dict):
        unknown = [k for k in value if k not in ("channels", "height", "width")]
        if unknown:
            hint = suggest(unknown[0], ("channels", "height", "width")) or " (known: channels, height, width)"
            raise SpecError(f"unknown field{hint}",
                            line=line_of(value, unknown[0]), field=f"{field}.{unknown[0]}")
        missing = [k for k in ("channels", "height", "width") if k not in value]
        if missing:
            raise bad(f"needs {', '.join(missing)}")
        return positive(value["channels"], value["height"], value["width"])
    if isinstance(value, int) and not isinstance(value, bool):
        return positive(value)
    raise bad(f"cannot read an input size from {type_name(value)}")


def override(spec_input: Shape, text: str | None) -> Shape | None:
    """`--input` on the command line, read against the spec's own channels (HxW or N keep them); None without
    one. Every command that takes --input reads it through this."""
    if text is None:
        return None
    return parse_input(text, line=None, field="--input", channels=spec_input[0])
