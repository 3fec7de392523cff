"""PNG charts with matplotlib, an optional extra (`pip install -e '.[plot]'`), imported only when asked for.

What to draw is computed first, as plain data (`profile_bars`), and drawn second (`profile_figure`): the sums and
the choice of bars are tested without reading pixels, and a network of any size becomes a bounded number of
artists, so the chart costs the same for 20,000 rows as for 60 (issue 12)."""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnncalc import grouping
from cnncalc.errors import CnnCalcError
from cnncalc.grouping import Row
from cnncalc.numbers import approx
from cnncalc.results import LayerResult, Report
from cnncalc.sweep import SweepPoint

MAX_BARS = 60  # past this a bar's label is unreadable at a sane image height: the rows are summed into blocks
MIN_BARS = 4  # fewer blocks than this (a network that is one `repeat`) say little: runs of the level below
TOP = 10  # layers named one by one beside an aggregated chart, by activations and by params
BAR_INCHES = 0.2  # one bar and its label at 8-point type
WIDTH_INCHES = 12.0
LABEL_CHARS = 40  # longer names keep their start and end: the parts that say which stage and which layer
DPI = 100


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display is needed or wanted
        import matplotlib.pyplot as plt
    except ImportError:
        raise CnnCalcError("--plot needs matplotlib: pip install -e '.[plot]' (or pip install matplotlib)") from None
    return plt


@dataclass(frozen=True)
class Bar:
    """One bar: a row of summarize's table, a block, a run of rows, or one layer; the values are exact sums."""

    label: str
    activations: int  # output values per sample
    params: int
    layers: int  # how many of the report's layers it sums


@dataclass(frozen=True)
class ProfileBars:
    """Everything the profile draws. `note` says what one bar is, so that an aggregated chart is not read as
    one bar per layer; the top lists are empty when every row has its own bar."""

    title: str
    note: str
    bars: tuple[Bar, ...]
    top_activations: tuple[Bar, ...] = ()
    top_params: tuple[Bar, ...] = ()


def short(name: str, limit: int = LABEL_CHARS) -> str:
    """A label of at most `limit` characters: 'stage6.block12…se.fc2' keeps the stage and the layer."""
    if len(name) <= limit:
        return name
    head = (limit - 1) // 2
    return f"{name[:head]}…{name[len(name) - (limit - 1 - head):]}"


def profile_bars(report: Report, rows: list[Row], max_bars: int = MAX_BARS, top: int = TOP) -> ProfileBars:
    """The bars of the profile: one per row while there are at most `max_bars`; past that the rows of a coarser
    table (`_level`), with the `top` largest layers named beside them so that the aggregation hides none."""
    title = f"{report.model}: where the memory and the parameters sit"
    if len(rows) <= max_bars:
        note = f"one bar per row of summarize's table: {len(rows):,} rows, {len(report.layers):,} layers"
        return ProfileBars(title, note, tuple(_bar(r.name, r) for r in rows))
    depth, coarse, in_runs = _level(report, max_bars)
    if in_runs:
        size = math.ceil(len(coarse) / max_bars)
        bars = tuple(_run(coarse[i:i + size]) for i in range(0, len(coarse), size))
        how = f"runs of {size:,} consecutive rows of summarize --depth {depth}"
    else:
        bars = tuple(_bar(r.name, r) for r in coarse)
        how = f"the rows of summarize --depth {depth}"
    note = f"{len(report.layers):,} layers summed into {len(bars)} bars, {how}; the {top} largest layers named below"
    return ProfileBars(title, note, bars, _largest(report.layers, top, lambda r: r.activations),
                       _largest(report.layers, top, lambda r: r.params))


def _level(report: Report, max_bars: int) -> tuple[int, list[Row], bool]:
    """Summarize's rows at the deepest --depth with at most `max_bars` of them, and False; or, when even --depth 1
    has more (a long chain) or the deepest that fits has under MIN_BARS (a network that is one `repeat`), the
    rows of the first depth with too many, and True: they are drawn in runs. Each depth is one linear pass, and
    a depth past the longest name changes nothing, so at most that many passes."""
    deepest = max((r.name.count(".") + 1 for r in report.layers), default=1)
    fitting: tuple[int, list[Row]] | None = None
    for depth in range(1, deepest + 1):
        grouped = grouping.rows(report, depth)
        if len(grouped) > max_bars:
            if fitting is None or len(fitting[1]) < MIN_BARS:
                return depth, grouped, True
            break
        fitting = (depth, grouped)
    assert fitting is not None  # the first pass either returned or set it
    return fitting[0], fitting[1], False


def _bar(label: str, row: Row) -> Bar:
    return Bar(short(label), row.activations, row.params, len(row.layers))


def _run(rows: list[Row]) -> Bar:
    label = short(rows[0].name) if len(rows) == 1 else f"{short(rows[0].name, 18)} … {short(rows[-1].name, 18)}"
    return Bar(label, sum(r.activations for r in rows), sum(r.params for r in rows), sum(len(r.layers) for r in rows))


def _largest(layers: tuple[LayerResult, ...], top: int, value: Callable[[LayerResult], int]) -> tuple[Bar, ...]:
    """The `top` layers with the largest non-zero `value`, largest first, the earlier layer first on a tie
    (heapq.nlargest is as stable as sorted); linear in the layers, not a sort of all of them."""
    chosen = heapq.nlargest(top, (r for r in layers if value(r) > 0), key=value)
    return tuple(Bar(short(r.name), r.activations, r.params, 1) for r in chosen)


def profile_figure(bars: ProfileBars) -> Any:
    """Horizontal bars, the names on the left where they read as text: activations and params side by side for
    the same bars, then the largest layers by each. The height grows with the bars, which are at most
    MAX_BARS + TOP, so the image is bounded (about 1,200 x 1,700 pixels)."""
    plt = _pyplot()
    tops = [bars.top_activations, bars.top_params]
    top_rows = max(len(t) for t in tops)
    heights = [len(bars.bars)] + ([top_rows] if top_rows else [])
    fig = plt.figure(figsize=(WIDTH_INCHES, BAR_INCHES * sum(heights) + 1.4 + 0.8 * len(heights)),
                     layout="constrained")
    grid = fig.add_gridspec(len(heights), 2, height_ratios=[h + 2 for h in heights])
    fig.suptitle(f"{bars.title}\n{bars.note}", fontsize=10)
    total_activations = sum(b.activations for b in bars.bars)
    total_params = sum(b.params for b in bars.bars)
    left = fig.add_subplot(grid[0, 0])
    _barh(left, bars.bars, [b.activations for b in bars.bars], "tab:blue",
          f"activations: output values per sample ({total_activations:,} in all)")
    right = fig.add_subplot(grid[0, 1], sharey=left)
    _barh(right, bars.bars, [b.params for b in bars.bars], "tab:orange", f"params ({total_params:,} in all)")
    right.tick_params(axis="y", labelleft=False)
    if top_rows:
        _barh(fig.add_subplot(grid[1, 0]), bars.top_activations, [b.activations for b in bars.top_activations],
              "tab:blue", f"the {len(bars.top_activations)} layers with the most activations")
        _barh(fig.add_subplot(grid[1, 1]), bars.top_params, [b.params for b in bars.top_params], "tab:orange",
              f"the {len(bars.top_params)} layers with the most params")
    return fig


def _barh(ax: Any, bars: tuple[Bar, ...], values: list[int], colour: str, title: str) -> None:
    from matplotlib.ticker import EngFormatter

    positions = range(len(bars))
    drawn = ax.barh(positions, values, color=colour, height=0.75)
    ax.set_yticks(positions, [b.label for b in bars], fontsize=8)
    ax.bar_label(drawn, [approx(v) if v else "" for v in values], fontsize=7, padding=2)
    ax.set_ylim(len(bars) - 0.5, -0.5)  # the first row at the top, as in the table
    ax.margins(x=0.12)  # room for the value written after the longest bar
    ax.xaxis.set_major_formatter(EngFormatter(sep=""))
    ax.set_title(title, fontsize=9, loc="left")


def profile(report: Report, rows: list[Row], path: str | Path) -> None:
    """Per-row activations and params as bar charts: where the memory and the parameters sit."""
    plt = _pyplot()
    fig = profile_figure(profile_bars(report, rows))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def _batches(batches: list[int]) -> str:
    if len(batches) == 1:
        return f"batch {batches[0]}"
    if len(batches) <= 4:
        return "batches " + ", ".join(str(b) for b in batches)
    return f"batches {batches[0]} to {batches[-1]} ({len(batches)} values)"


def _unit(largest: float, units: tuple[tuple[float, str], ...]) -> tuple[float, str]:
    """The largest unit that keeps the largest value at 1 or more, so a LeNet does not plot 0.0001 GiB."""
    return next(((d, u) for d, u in units if largest >= d), units[-1])


_BYTES = ((2.0**30, "GiB"), (2.0**20, "MiB"), (2.0**10, "KiB"), (1.0, "bytes"))
_MACS = ((1e9, "GMACs"), (1e6, "MMACs"), (1e3, "KMACs"), (1.0, "MACs"))


def sweep_figure(model: str, points: list[SweepPoint], *, dtype: str, optimizer: str) -> Any:
    """MACs per sample against the input size, sizes at which every layer tiles marked; and memory, one colour
    per batch size (training step solid, forward activations dashed). Only what has points is drawn and named:
    a batch with no valid size gets no line, and no legend lists a marker that is not there."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    valid = [p for p in points if p.valid]
    drawn = sorted({p.batch for p in valid}) or sorted({p.batch for p in points})  # the batches with lines
    per_size = {p.size: p for p in sorted(valid, key=lambda p: p.size)}  # MACs per sample: the same at any batch
    fig.suptitle(model)  # once, above both: a long name in each panel's title would push the settings off the edge
    left.set_title("compute per sample")
    right.set_title(f"memory ({dtype}, {_batches(drawn)}, training with {optimizer})")
    for ax in (left, right):
        ax.set_xlabel("input size (pixels)")
    if not valid:
        for ax in (left, right):
            ax.text(0.5, 0.5, "no size in the sweep is valid", transform=ax.transAxes, ha="center")
        return fig
    div, unit = _unit(max(p.macs for p in valid), _MACS)
    sizes = list(per_size)
    left.plot(sizes, [per_size[s].macs / div for s in sizes], marker="o", label="MACs per sample")
    tiling = [s for s in sizes if per_size[s].tiles]
    if tiling:
        left.scatter(tiling, [per_size[s].macs / div for s in tiling], color="tab:green", zorder=3,
                     label="every layer tiles")
    left.set_ylabel(unit)
    left.legend()
    div, unit = _unit(max(p.training_bytes for p in valid), _BYTES)
    for i, batch in enumerate(drawn):
        line = sorted((p for p in valid if p.batch == batch), key=lambda p: p.size)
        suffix = f", batch {batch}" if len(drawn) > 1 else ""
        right.plot([p.size for p in line], [p.training_bytes / div for p in line], marker="o", color=f"C{i}",
                   label=f"training step{suffix}")
        right.plot([p.size for p in line], [p.activation_bytes / div for p in line], linestyle="--",
                   color=f"C{i}", label=f"forward activations{suffix}")
    right.set_ylabel(unit)
    right.legend(fontsize="small", ncol=1 + len(drawn) // 8)
    return fig


def sweep_chart(model: str, points: list[SweepPoint], path: str | Path, *, dtype: str, optimizer: str) -> None:
    """The sweep as a PNG (sweep_figure)."""
    plt = _pyplot()
    fig = sweep_figure(model, points, dtype=dtype, optimizer=optimizer)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def chart_target(text: str) -> tuple[Path, str]:
    """Where `--plot FILE` writes, checked before any work: a PNG name ('out' becomes out.png, said so), in a
    folder that exists, short enough for the system; and the word to report it with ('Wrote', or 'Replaced' when
    a file was there)."""
    path = Path(text)
    if path.suffix == "":
        path = path.with_suffix(".png")
    if path.suffix.lower() != ".png":
        raise CnnCalcError(f"--plot: {text[:60]!r} is not a .png name; charts are PNG images (e.g. profile.png)")
    if len(path.name.encode()) > 255:
        raise CnnCalcError(f"--plot: a file name of {len(path.name.encode()):,} bytes is too long (at most 255)")
    folder = path.parent
    if not folder.is_dir():
        raise CnnCalcError(f"--plot: the folder {str(folder)[:60]!r} does not exist")
    if path.is_dir():
        raise CnnCalcError(f"--plot: {str(path)[:60]!r} is a folder")
    return path, "Replaced" if path.exists() else "Wrote"
