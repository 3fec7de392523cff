"""Wall time and peak memory of `cnncalc verify --device meta` on generated residual networks of 10k to 80k rows
(issue 12: every command linear in rows, up to the documented 100,000 rows of cnncalc/limits.py), with a
breakdown by phase and, on request, a cProfile of one size.

The network is `repeat: N` of a ResNet basic block at a tiny input (8x8x4, 4 channels): conv, bn, relu, conv,
bn, the add and a relu after it, 7 rows a block, so that torch's per-module costs, not arithmetic on big tensors,
are what is measured.

Not a test (timings depend on the machine). Run:
    python benchmarks/bench_verify.py [--rows 10000,20000,40000,80000] [--device meta] [--profile 10000]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ROWS_PER_BLOCK = 7  # conv, bn, relu, conv, bn, add, relu


def residual_spec(rows: int) -> str:
    """A spec of about `rows` rows: repeats of one 4-channel basic block (identity shortcut) on 8x8x4."""
    blocks = max(1, rows // ROWS_PER_BLOCK)
    return (f"name: residual-{blocks * ROWS_PER_BLOCK}\ninput: 8x8x4\nblocks:\n  unit:\n    residual:\n"
            "      body:\n"
            "        - conv: {filters: 4, kernel: 3, pad: 1, bias: false}\n        - bn\n        - relu\n"
            "        - conv: {filters: 4, kernel: 3, pad: 1, bias: false}\n        - bn\n"
            "      shortcut: identity\n      after: [relu]\n"
            f"layers:\n  - {{name: stage, repeat: {blocks}, unit: }}\n")


def cli_run(spec: Path, device: str) -> tuple[float, float, int]:
    """One `python -m cnncalc verify SPEC --device DEVICE` as a user runs it: wall seconds, CPU seconds and peak
    RSS bytes (os.wait4 reports the child's own, not the largest of all children so far). CPU time is the steadier
    figure on a shared machine, where wall time also counts the waits for a core."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "cnncalc", "verify", str(spec), "--device", device],
                            stdout=subprocess.DEVNULL, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"verify exited {proc.returncode} on {spec}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024  # Linux reports kilobytes


def phases(spec: Path, device: str) -> dict[str, float]:
    """The steps of cnncalc.verify.verify, timed one by one in this process (CPU seconds; torch already imported,
    and its one-off costs, such as torch._dynamo's import at the first batch norm, paid by an earlier size)."""
    from cnncalc.analysis import analyze
    from cnncalc.spec import load_spec
    from cnncalc.verify import build, collector_paused, compare, heap_frozen, measure
    from cnncalc.views import verify as view
    from cnncalc.writers import write

    times: dict[str, float] = {}

    def timed(label: str, fn: Callable[[], Any]) -> Any:
        start = time.process_time()
        value = fn()
        times[label] = time.process_time() - start
        return value

    model = timed("parse", lambda: load_spec(spec))
    with collector_paused():  # as verify() runs them
        report = timed("analysis", lambda: analyze(model))
        target = measure.resolve_device(device)
        net = timed("build", lambda: build.build_network(model.layers, report.input))
    with heap_frozen():
        measured = timed("forward", lambda: measure.measure(net, report, device=target, seed=0))
    result = timed("compare", lambda: compare.compare(report, measured, seed=0))
    if not result.ok:
        raise SystemExit(f"verification failed on {spec}")
    timed("render", lambda: write(view.document(result), "markdown"))
    return times


def profile(spec: Path, device: str, top: int = 30) -> str:
    """cProfile of cnncalc.verify.verify on `spec`, the `top` functions by their own time and by cumulative."""
    from cnncalc.spec import load_spec
    from cnncalc.verify import verify

    model = load_spec(spec)
    profiler = cProfile.Profile(time.process_time)  # CPU time: waits for a core on a shared machine are not cost
    profiler.runcall(verify, model, device=device)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="10000,20000,40000,80000", help="comma-separated row counts")
    parser.add_argument("--device", default="meta", choices=("meta", "cpu"))
    parser.add_argument("--profile", type=int, metavar="ROWS", help="also print a cProfile at this size")
    parser.add_argument("--no-cli", action="store_true", help="only the in-process breakdown")
    parser.add_argument("--cli-only", action="store_true", help="only the CLI runs, no in-process breakdown")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import torch

    print(f"{sys.executable}, torch {torch.__version__}, {os.cpu_count()} CPUs, --device {args.device}")
    names = ("parse", "analysis", "build", "forward", "compare", "render")
    print(f"{'rows':>7} {'wall s':>7} {'CPU s':>7} {'peak RSS':>9} {'CPU µs/row':>10} | CPU s in-process: "
          + " ".join(f"{p:>8}" for p in names))
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm.yaml"
        warm.write_text(residual_spec(ROWS_PER_BLOCK))
        if not args.cli_only:
            phases(warm, args.device)  # torch's one-off imports, out of the first size's breakdown
        for rows in (int(r) for r in args.rows.split(",")):
            spec = Path(tmp) / f"residual{rows}.yaml"
            spec.write_text(residual_spec(rows))
            wall, cpu, rss = (float("nan"), float("nan"), 0) if args.no_cli else cli_run(spec, args.device)
            t = dict.fromkeys(names, float("nan")) if args.cli_only else phases(spec, args.device)
            print(f"{rows:>7} {wall:>7.2f} {cpu:>7.2f} {rss / 2**20:>7.0f} M {cpu / rows * 1e6:>10.0f} | "
                  f"{'':16} " + " ".join(f"{t[p]:>8.2f}" for p in names), flush=True)
        if args.profile:
            spec = Path(tmp) / "profiled.yaml"
            spec.write_text(residual_spec(args.profile))
            print(profile(spec, args.device))


if __name__ == "__main__":
    main()
