"""The package's exceptions — every failure a user can cause is one of these, never a bare traceback — and how a
message quotes what the user gave (`shown`, `clipped`, `shown_names`: at most 60 characters of it)."""

from __future__ import annotations

import math
import reprlib
from collections.abc import Iterable

from cnncalc.limits import MAX_SHOWN as SHOWN


def shown(value: object, limit: int = SHOWN) -> str:
    """A value as a message quotes it: text as its repr (quoted, control characters escaped) cut to `limit`
    characters, with '... (N characters)' when it was cut; a whole number of more than `limit` digits by its size
    (Python refuses to print one of more than 4,300 digits at all); anything else as a short repr."""
    if isinstance(value, str):
        n = min(len(value), limit)
        while n and len(repr(value[:n])) > limit + 2:  # escapes (\n, \x00) count against the limit
            n -= 1
        text = repr(value[:n])
        return text if n == len(value) else f"{text}... ({len(value):,} characters)"
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) >= 10**limit:
            return f"a number of about 10^{int(abs(value).bit_length() * math.log10(2))}"
        return str(value)
    try:
        text = _BRIEF.repr(value)
    except ValueError:  # a number of more than 4,300 digits inside
        text = f"a {type(value).__name__}"
    return text if len(text) <= limit else f"{text[:limit]}..."


def clipped(text: str, limit: int = SHOWN) -> str:
    """Text that a message prints bare (a file name, a field path): control characters escaped, so that the
    message stays one line, and cut like `shown`."""
    bare = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[: limit + 1])
    return bare if len(text) <= limit and len(bare) <= limit else f"{bare[:limit]}... ({len(text):,} characters)"


def shown_names(names: Iterable[object], most: int = 12) -> str:
    """Names the user chose (blocks, variants, arguments) listed in a message: each cut as `clipped` cuts, and
    at most `most` of them, so that a spec of 10,000 variants does not list them all."""
    items = [clipped(str(n)) for n in names]
    more = f" and {len(items) - most:,} more" if len(items) > most else ""
    return ", ".join(items[:most]) + more


class _Brief(reprlib.Repr):
    """reprlib's few items of a list or mapping, with a whole number shown as `shown` shows it."""

    def repr_int(self, x: int, level: int) -> str:
        return shown(x)


_BRIEF = _Brief()


class CnnCalcError(Exception):
    """Base of every error cnncalc raises on purpose; the CLI maps it to an exit code in one place."""

    exit_code = 1


class SpecError(CnnCalcError, ValueError):
    """Invalid input, located as precisely as the input allows: file, YAML line and field path."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.field = field

    def located(self, *, file: str | None = None) -> SpecError:
        """A copy that names `file` when the error was raised before the file was known."""
        return SpecError(self.message, file=self.file or file, line=self.line, field=self.field)

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        elif self.line:
            where = f"line {self.line}: "
        field = f"{_path(self.field)}: " if self.field else ""
        return f"{where}{field}{self.message}"


class ShapeError(SpecError):
    """A layer cannot be applied to the shape that reaches it (output of zero, mismatched branches...)."""


class DoesNotFit(CnnCalcError):
    """A negative answer rather than bad input: a layer does not tile its input under --strict."""

    exit_code = 3


def _path(field: str) -> str:
    """A field path whose parts are the user's own keys (`blocks.NAME`, `layers[0].conv.KEY`): each part cut as
    `clipped` cuts, so that a 100,000-character key is not echoed whole."""
    return ".".join(clipped(part) for part in field.split("."))
