"""PNG charts with matplotlib, an optional extra (`pip install -e '.[plot]'`), imported only when asked for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cnncalc.errors import CnnCalcError
from cnncalc.grouping import Row
from cnncalc.results import Report
from cnncalc.sweep import SweepPoint


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display is needed or wanted
        import matplotlib.pyplot as plt
    except ImportError:
        raise CnnCalcError("--plot needs matplotlib: pip install -e '.[plot]' (or pip install matplotlib)") from None
    return plt


def profile(report: Report, rows: list[Row], path: str | Path) -> None:
    """Per-layer activations and params as two bar charts: where the memory and the parameters sit."""
    plt = _pyplot()
    names = [r.name for r in rows]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(max(8, 0.35 * len(rows)), 7), sharex=True)
    top.bar(names, [r.activations / 1e6 for r in rows], color="tab:blue")
    top.set_ylabel("activations (millions of values)")
    top.set_title(f"{report.model}: where the memory and the parameters sit")
    bottom.bar(names, [r.params / 1e6 for r in rows], color="tab:orange")
    bottom.set_ylabel("parameters (millions)")
    bottom.tick_params(axis="x", labelrotation=90)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def sweep_chart(model: str, points: list[SweepPoint], path: str | Path) -> None:
    """MACs and memory against the input size (one line per batch size), non-tiling sizes marked."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for batch in sorted({p.batch for p in points}):
        valid = [p for p in points if p.batch == batch and p.valid]
        sizes = [p.size for p in valid]
        if batch == min(p.batch for p in points):
            left.plot(sizes, [p.macs / 1e9 for p in valid], marker="o", label="MACs per sample")
            left.scatter([p.size for p in valid if p.tiles], [p.macs / 1e9 for p in valid if p.tiles],
                         color="tab:green", zorder=3, label="every layer tiles")
        right.plot(sizes, [p.training_bytes / 2**30 for p in valid], marker="o", label=f"training, batch {batch}")
        right.plot(sizes, [p.activation_bytes / 2**30 for p in valid], linestyle="--",
                   label=f"forward activations, batch {batch}")
    left.set_xlabel("input size (pixels)")
    left.set_ylabel("GMACs")
    left.set_title(f"{model}: compute")
    left.legend()
    right.set_xlabel("input size (pixels)")
    right.set_ylabel("GiB")
    right.set_title(f"{model}: memory")
    right.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
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
