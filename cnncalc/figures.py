"""Numbers as people write them — '2.7K', '34M', '138M', '34,944', '1.8e9' — with the precision they imply.

A written figure stands for every exact value that rounds to it at its own precision: '35K' is right for
34,944 and '34K' is not. K, M, G, T are powers of 1000, as in the papers' tables.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

_UNITS = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "B": 10**9, "T": 10**12}
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")
_FIGURE = re.compile(r"\s*([0-9][0-9,]*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)\s*([KMGBT]?)\s*", re.IGNORECASE)


def parse_figure(text: object) -> tuple[Fraction, Fraction]:
    """(value, precision): '2.7K' → (2700, 100); 34944 → (34944, 1)."""
    if isinstance(text, bool):
        raise ValueError(f"not a number: {text!r}")
    if isinstance(text, int):
        return Fraction(text), Fraction(1)
    m = _FIGURE.fullmatch(str(text))
    if not m:
        raise ValueError(f"cannot read {str(text)[:60]!r} as a number (examples: 2.7K, 34M, 34,944)")
    whole = m[1].split(".")[0].split("e")[0].split("E")[0]
    if "," in whole and not _GROUPED.fullmatch(whole):  # 7,6,0 is three numbers, not 760
        raise ValueError(f"cannot read {str(text)[:60]!r} as a number: a comma groups three digits (34,944)")
    try:
        digits = Decimal(m[1].replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"cannot read {text!r} as a number") from None
    unit = _UNITS[m[2].upper()]
    exponent = digits.as_tuple().exponent
    assert isinstance(exponent, int)
    if not -60 <= exponent <= 60 or len(digits.as_tuple().digits) > 60:  # '1e999999999' would take minutes
        raise ValueError(f"cannot read {text!r} as a number: at most 60 digits and an exponent within ±60")
    return Fraction(digits) * unit, Fraction(10) ** exponent * unit


def agrees(exact: int | Fraction, figure: object) -> bool:
    """True when `exact` rounds to `figure` at the figure's own precision (half a unit either way)."""
    value, step = parse_figure(figure)
    return abs(Fraction(exact) - value) <= step / 2


# --- answers as students write them: byte sizes, shapes, yes/no (cnncalc grade, `expect:` in specs) -----------

# Decimal units are SI (1 MB = 10^6 bytes, as disk makers and the slides' "93MB" write them); binary units are
# IEC (1 MiB = 2^20 bytes, as PyTorch's memory reports and most operating systems print them). A bare "B" after
# a number is a byte here, never a billion.
BYTE_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
              "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
_BYTES = re.compile(r"\s*([0-9][0-9,]*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)\s*([KMGT]i?B|B|bytes?)\s*", re.IGNORECASE)
_SHAPE_TEXT = re.compile(r"\s*\[?\s*([0-9]+(?:\s*[x×*]\s*[0-9]+){1,2})\s*\]?\s*", re.IGNORECASE)
_SHAPE_LIST = re.compile(r"\s*[\[(]\s*([0-9]+(?:\s*,\s*[0-9]+){0,2})\s*,?\s*[\])]\s*")
_YES = {"yes", "y", "true", "fits", "it fits", "fit", "ok", "✓"}
_NO = {"no", "n", "false", "doesn't fit", "does not fit", "doesnt fit", "it doesn't fit", "it does not fit",
       "not", "no fit", "✗"}


def parse_bytes(text: object) -> tuple[Fraction, Fraction, str] | None:
    """(bytes, precision in bytes, unit as written) for '93MB', '58.1 MiB', '1,161,600 bytes'; None without a
    byte unit (then the text is a count of values, not of bytes)."""
    if isinstance(text, (bool, int, float)):
        return None
    m = _BYTES.fullmatch(str(text))
    if not m:
        return None
    unit = m[2].upper()
    factor = 1 if unit.startswith("BYTE") else BYTE_UNITS[unit]
    written = "bytes" if unit.startswith("BYTE") else m[2][:-2] + "iB" if unit.endswith("IB") else unit
    value, step = parse_figure(m[1])
    return value * factor, step * factor, written


def parse_shape(value: object) -> tuple[tuple[int, ...], str] | None:
    """(dims, notation) for a written volume, or None when the text is not one.

    '55x55x96' and '[55x55x96]' are H×W×C, the slides' notation ("hwc"); '5x5' is spatial only ("hw");
    [96, 55, 55] and '(96, 55, 55)' are lists ("list"), which people write both as PyTorch's [C, H, W] and as the
    slides' "[32,32,3] images", so the caller tries both readings.
    """
    if isinstance(value, (list, tuple)):
        if 1 <= len(value) <= 3 and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return tuple(int(v) for v in value), "list"
        return None
    if not isinstance(value, str):
        return None
    if m := _SHAPE_TEXT.fullmatch(value):
        dims = tuple(int(d) for d in re.split(r"\s*[x×*]\s*", m[1].strip(), flags=re.IGNORECASE))
        return dims, "hwc" if len(dims) == 3 else "hw"
    if m := _SHAPE_LIST.fullmatch(value):
        return tuple(int(d) for d in m[1].split(",")), "list"
    return None


def parse_yes_no(value: object) -> bool | None:
    """True for yes/true/fits, False for no/false/doesn't fit (YAML already reads yes/no as booleans)."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip().lower().replace("’", "'").rstrip("!.: \\")
    return True if text in _YES else False if text in _NO else None


def answer_text(value: object) -> str:
    """A YAML answer back as text, the way it was most likely written: [96, 55, 55], no, 34944, 2.33."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value).strip()
