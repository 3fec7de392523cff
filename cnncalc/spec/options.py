"""Typed, located access to one layer's YAML options: every wrong value is an error naming line and field."""

from __future__ import annotations

import difflib
import math
import re
from decimal import Decimal
from typing import Any

from cnncalc.errors import SHOWN, SpecError, shown
from cnncalc.limits import MAX_EXPRESSION, MAX_SIZE, MAX_SIZE_TEXT
from cnncalc.spec.source import line_of

_REQUIRED = object()


def suggest(word: str, choices: list[str] | set[str] | tuple[str, ...], *, cutoff: float = 0.6) -> str:
    """' (did you mean 'conv'?)' when a close match exists (difflib's ratio at least `cutoff`)."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=cutoff)
    return f" (did you mean {shown(close[0])}?)" if close else ""


def closest(word: str, choices: list[str] | set[str] | tuple[str, ...], *,
            cutoff: float = 0.6) -> tuple[float, str] | None:
    """(difflib's ratio, the choice) of the closest choice at least `cutoff` alike, or None."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=cutoff)
    return (difflib.SequenceMatcher(None, word, close[0]).ratio(), close[0]) if close else None


def type_name(value: Any) -> str:
    """What a wrong value is, for 'must be ..., got <this>': its type in words, with the value itself as `shown`
    quotes it (never more than 60 characters of it, never a number of thousands of digits)."""
    if isinstance(value, bool):
        return f"a boolean ({value!r}; YAML reads yes/no/on/off as booleans)"
    if isinstance(value, float):
        return f"a number with a fraction ({value!r})"
    if isinstance(value, int):
        return shown(value)
    if isinstance(value, str):
        return f"the text {shown(value)}{exponent_hint(value) or expression_hint(value)}"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping"
    if value is None:
        return "nothing"
    return type(value).__name__


def exponent_hint(text: str) -> str:
    """For '1e-3', which YAML 1.1 reads as text (its floats need a dot): the two ways to write the number."""
    if len(text) > 30 or not re.fullmatch(r"[-+]?[0-9]+[eE][-+]?[0-9]+", text):
        return ""
    dotted = re.sub("[eE]", ".0e", text, count=1)
    plain = format(Decimal(text), "f")  # exact: 1e-10 is 0.0000000001, never a float's rounded 0.000000
    write = f"{plain} or {dotted}" if len(plain) <= 30 else dotted
    return f" (YAML reads an exponent without a dot as text: write {write})"


_LOOSE_EXPRESSION = re.compile(r"[A-Za-z_$][\w$]*\s*(\*\*?|//?|%|\+| - )|(\*\*?|//?|%|\+| - )\s*[A-Za-z_$]")


def expression_hint(text: str) -> str:
    """For text meant as an expression ('4*$width', 'width*4'): how to write one; else nothing."""
    if len(text) > MAX_EXPRESSION or text.startswith("$") or not ("$" in text or _LOOSE_EXPRESSION.search(text)):
        return ""  # longer than an expression may be: and the search would take quadratic time
    if len(text) > SHOWN:
        return " (an expression is a whole string starting with $)"
    return f' (an expression is a whole string starting with $: write "${text.replace("$", "").strip()}")'


class Options:
    """One layer's option mapping; take() each option once, then finish() reports what was left over."""

    def __init__(self, raw: Any, path: str, kind: str, fallback_line: int | None) -> None:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise SpecError(f"options of {kind!r} must be a mapping, got {type_name(raw)}",
                            line=fallback_line, field=path)
        self.raw = raw
        self.path = path
        self.kind = kind
        self.line = getattr(raw, "line", fallback_line)
        self.used: set[str] = set()

    def error(self, key: str, message: str) -> SpecError:
        line = line_of(self.raw, key) if key in self.raw else self.line
        return SpecError(message, line=line, field=f"{self.path}.{key}")

    def has(self, key: str) -> bool:
        return key in self.raw

    def take(self, key: str, default: Any = _REQUIRED) -> Any:
        self.used.add(key)
        if key in self.raw:
            return self.raw[key]
        if default is _REQUIRED:
            for other in self.raw:  # a misspelling of the missing option says more than "missing"
                if other not in self.used and suggest(other, [key]):
                    raise self.error(other, f"unknown option for {self.kind}{suggest(other, [key])}")
            raise SpecError(f"{self.kind} needs {key!r}", line=self.line, field=f"{self.path}.{key}")
        return default

    def count(self, key: str, default: Any = _REQUIRED, *, minimum: int = 1) -> int:
        """A whole number ≥ minimum (sizes, strides, filters: positive; paddings: ≥ 0)."""
        return self._int(key, self.take(key, default), minimum)

    def pair(self, key: str, default: Any = _REQUIRED, *, minimum: int = 1) -> tuple[int, int]:
        """An int for both axes or [height, width]."""
        value = self.take(key, default)
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise self.error(key, f"must be one number or [height, width], got a list of {len(value)}")
            return (self._int(key, value[0], minimum), self._int(key, value[1], minimum))
        n = self._int(key, value, minimum)
        return (n, n)

    def _int(self, key: str, value: Any, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"must be a whole number, got {type_name(value)}")
        if value < minimum:
            what = "positive" if minimum == 1 else f"at least {minimum}"
            raise self.error(key, f"must be {what}, got {type_name(value)}")
        if value > MAX_SIZE:
            raise self.error(key, f"must be at most {MAX_SIZE_TEXT}, got {type_name(value)}")
        return value

    def padding(self, key: str, default: Any = 0) -> tuple[tuple[int, int], tuple[int, int]]:
        """An int, [height, width] or [top, bottom, left, right] of zero padding."""
        value = self.take(key, default)
        if not isinstance(value, (list, tuple)):
            n = self._int(key, value, 0)
            return ((n, n), (n, n))
        sides = [self._int(key, v, 0) for v in value]
        if len(sides) == 2:
            return ((sides[0], sides[0]), (sides[1], sides[1]))
        if len(sides) == 4:
            return ((sides[0], sides[1]), (sides[2], sides[3]))
        raise self.error(key, f"must be one number, [height, width] or [top, bottom, left, right], "
                              f"got a list of {len(sides)}")

    def flag(self, key: str, default: bool) -> bool:
        value = self.take(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, got {type_name(value)}")
        return value

    def real(self, key: str, default: Any = _REQUIRED, *, low: float | None = None, high: float | None = None,
             high_open: bool = False) -> float:
        value = self.take(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(key, f"must be a number, got {type_name(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.error(key, f"must be a finite number, got {value}")
        if isinstance(value, int) and abs(value) > 10**300:  # beyond a float's range
            raise self.error(key, f"must be between -10^300 and 10^300, got {type_name(value)}")
        if low is not None and value < low:
            raise self.error(key, f"must be at least {low}, got {shown(value)}")
        if high is not None and (value >= high if high_open else value > high):
            bound = f"below {high}" if high_open else f"at most {high}"
            raise self.error(key, f"must be {bound}, got {shown(value)}")
        return float(value)

    def finish(self, allowed_extra: tuple[str, ...] = ()) -> None:
        """Unknown or misspelt options are errors, never silently ignored."""
        for key in self.raw:
            if key not in self.used and key not in allowed_extra:
                known = sorted(self.used | set(allowed_extra))
                hint = suggest(key, known) or (f" (known: {', '.join(known)})" if known else " (it takes none)")
                raise self.error(key, f"unknown option for {self.kind}{hint}")
