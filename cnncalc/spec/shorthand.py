"""The slides' shorthand layer notations, turned into (type, options) pairs; parsed here and nowhere else.

- VGG's table (Simonyan & Zisserman, Table 1): conv3-64 (3×3, 64 filters, stride 1, padding 1 so the size is
  kept; conv1-256 has padding 0), maxpool (2×2, stride 2), FC-4096, soft-max, LRN.
- LeNet's compact notation (seed 001): 6c5w1s0p = 6 filters, 5 wide, stride 1, pad 0; 2w2s = a 2-wide,
  stride-2 max pool ("(MaxPool)2w2s" on the slide); 120fc = a fully connected layer of 120 units.
"""

from __future__ import annotations

import re
from typing import Any

from cnncalc.errors import SpecError, shown
from cnncalc.limits import MAX_SIZE_TEXT

_VGG_CONV = re.compile(r"conv(\d+)-(\d+)", re.IGNORECASE)
_FC = re.compile(r"(?:fc-(\d+)|(\d+)fc)", re.IGNORECASE)
_COMPACT_CONV = re.compile(r"(\d+)c(\d+)w(?:(\d+)s)?(?:(\d+)p)?", re.IGNORECASE)
_COMPACT_POOL = re.compile(r"(\d+)w(\d+)s(?:(\d+)p)?", re.IGNORECASE)


def expand(text: str) -> tuple[str, dict[str, Any]] | None:
    """('conv', {...}) for a shorthand string, or None when the text is not a shorthand."""
    text = text.strip()
    if _VGG_CONV.fullmatch(text) or _FC.fullmatch(text) or _COMPACT_CONV.fullmatch(text) or \
            _COMPACT_POOL.fullmatch(text):
        longest = max(re.findall(r"\d+", text), key=len)
        if len(longest) > 30:  # past 2^64 (20 digits) no size is meant, and int() refuses past 4,300 digits
            raise SpecError(f"the shorthand {shown(text)} has a number of {len(longest):,} digits; sizes are at "
                            f"most {MAX_SIZE_TEXT}")
    if m := _VGG_CONV.fullmatch(text):
        k, n = int(m[1]), int(m[2])
        return "conv", {"filters": n, "kernel": k, "stride": 1, "pad": (k - 1) // 2}
    if m := _FC.fullmatch(text):
        return "fc", {"units": int(m[1] or m[2])}
    if m := _COMPACT_CONV.fullmatch(text):
        return "conv", {"filters": int(m[1]), "kernel": int(m[2]), "stride": int(m[3] or 1), "pad": int(m[4] or 0)}
    if m := _COMPACT_POOL.fullmatch(text):
        return "maxpool", {"kernel": int(m[1]), "stride": int(m[2]), "pad": int(m[3] or 0)}
    if text.lower() in ("soft-max", "softmax"):
        return "softmax", {}
    return None
