"""Wall time, peak memory and image size of `cnncalc summarize --expand --plot` (issue 12: 20,000 rows took 160 s
and 3.4 GB), for DenseNet-201's 707 rows and a generated 20,000-row residual network, each beside the same
command without --plot so that the chart's own share is seen.

Not a test (timings depend on the machine). Run: python benchmarks/bench_plot.py [--rows N]
"""

from __future__ import annotations

import argparse
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def generated_residual(rows: int) -> str:
    """`rows` rows as rows/4 residual blocks (conv, bn, relu, add): block paths to aggregate, as a real net has."""
    return (f"name: residual-{rows}\ninput: 8x8x16\nblocks:\n  unit:\n    residual:\n"
            "      body: [{conv: {filters: 16, kernel: 3, pad: 1, bias: false}}, bn, relu]\n"
            "      shortcut: identity\n"
            f"layers:\n  - {{name: body, repeat: {rows // 4}, unit: {{}}}}\n")


def measure(args: list[str]) -> tuple[float, int]:
    """Seconds and peak RSS (bytes) of one `python -m cnncalc ARGS` run; os.wait4 gives this child's own peak."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "cnncalc", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"cnncalc {' '.join(args)} failed")
    return seconds, usage.ru_maxrss * 1024  # Linux reports kilobytes


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (bytes 16-24), without an imaging library."""
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000, help="rows of the generated network")
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.yaml"
        big.write_text(generated_residual(rows))
        png = Path(tmp) / "profile.png"
        print(sys.executable)
        for label, spec in (("densenet201 (707 rows)", str(ROOT / "specs" / "densenet201.yaml")),
                            (f"generated ({rows:,} rows)", str(big))):
            base_s, base_rss = measure(["summarize", spec, "--expand"])
            plot_s, plot_rss = measure(["summarize", spec, "--expand", "--plot", str(png)])
            width, height = png_size(png)
            print(f"{label}: --expand {base_s:.2f} s, {base_rss / 2**20:.0f} MiB peak; "
                  f"--expand --plot {plot_s:.2f} s, {plot_rss / 2**20:.0f} MiB peak, image {width}x{height} px")


if __name__ == "__main__":
    main()
