"""Number formatting for people: exact integers grouped, approximations labelled. Display only."""

from __future__ import annotations

from cnncalc.layers.base import Shape


def grouped(n: int) -> str:
    return f"{n:,}"


def approx(n: int) -> str:
    """Two significant figures with K/M/G, as the slides write memory (3.2M, 150K, 800K); exact below 10,000."""
    if n < 10_000:
        return str(n)
    rounded = float(f"{n:.2g}")
    div, unit = next((d, u) for d, u in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")) if rounded >= d)
    return f"{rounded / div:g}{unit}"


def si(n: int) -> str:
    """15,470,264,320 → '15.47 G': four significant figures, for MACs and FLOPs."""
    for div, unit in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")):
        if n >= div:
            return f"{n / div:.4g}{unit}"
    return str(n)


def nbytes(n: int) -> str:
    """Bytes in decimal and binary units: 60,954,432 → '61.0 MB (58.1 MiB)'."""
    if n < 1000:
        return f"{n} B"
    dec = next((n / d, u) for d, u in ((10**12, "TB"), (10**9, "GB"), (10**6, "MB"), (10**3, "KB")) if n >= d)
    binary = next((n / d, u) for d, u in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"), (1, "B"))
                  if n >= d)
    return f"{_figures(dec[0])} {dec[1]} ({_figures(binary[0])} {binary[1]})"


def _figures(x: float) -> str:
    """Three significant figures as people write them: 86.1, 172, 4.2 — and 1001, never 1e+03."""
    return f"{x:.3g}" if x < 999.5 else f"{round(x):,}"


def about(n: int) -> str:
    """A rounded figure that keeps the digits that tell the truth (issue 15): the whole number of K/M/G/T when
    there are ten or more of them (105,415,200 ≈ 105M, 34,944 ≈ 35K), one decimal below ten (1,050,571 ≈
    1.1M); exact below 10,000."""
    if n < 10_000:
        return str(n)
    div, unit = next((d, u) for d, u in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")) if n >= d)
    x = n / div
    if x >= 999.5 and unit != "T":  # 999,600 is 1M, not 1000K
        return about(int(round(x)) * div)
    return f"{round(x):,}{unit}" if x >= 9.95 else f"{x:.1f}".rstrip("0").rstrip(".") + unit


def product(shape: Shape) -> str:
    """The slides' memory product in H*W*C order: 224*224*64."""
    if len(shape) == 3:
        c, h, w = shape
        return f"{h}*{w}*{c}"
    return "*".join(str(d) for d in shape)


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "0%"


def bar(part: int, whole: int, width: int = 10) -> str:
    """A bar of eighth-blocks, so that small shares still show."""
    if not whole or not part:
        return ""
    eighths = max(1, round(8 * width * part / whole))
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]
