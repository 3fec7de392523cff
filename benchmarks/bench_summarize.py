"""Wall time of `cnncalc summarize` as a user runs it: the largest shipped spec, a generated 10,000-layer chain
and a 100,000-layer network written with `repeat`.

Not a test (timings depend on the machine). Run: python benchmarks/bench_summarize.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def generated_chain(layers: int) -> str:
    body = "\n".join("  - conv: {filters: 16, kernel: 3, pad: 1}" if i % 2 == 0 else "  - relu" for i in range(layers))
    return f"name: chain-{layers}\ninput: 32x32x16\nlayers:\n{body}\n"


def generated_repeat(layers: int) -> str:
    return (f"name: repeat-{layers}\ninput: 32x32x16\nblocks:\n  unit:\n    layers:\n"
            "      - conv: {filters: 16, kernel: 3, pad: 1}\n      - relu\n"
            f"layers:\n  - {{name: body, repeat: {layers // 2}, unit: }}\n")


def wall(args: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cnncalc", *args], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    sys.path.insert(0, str(ROOT))
    from cnncalc import analyze, load_spec

    largest = max((ROOT / "specs").glob("*.yaml"), key=lambda p: len(analyze(load_spec(p)).layers))
    with tempfile.TemporaryDirectory() as tmp:
        chain = Path(tmp) / "chain10k.yaml"
        chain.write_text(generated_chain(10_000))
        repeated = Path(tmp) / "repeat100k.yaml"
        repeated.write_text(generated_repeat(100_000))
        cases = [
            ("cnncalc --help", ["--help"]),
            (f"summarize {largest.relative_to(ROOT)} (table)", ["summarize", str(largest)]),
            (f"summarize {largest.relative_to(ROOT)} (json)", ["summarize", str(largest), "--format", "json"]),
            ("summarize 10,000-layer chain (table)", ["summarize", str(chain)]),
            ("summarize 10,000-layer chain (json)", ["summarize", str(chain), "--format", "json"]),
            ("summarize 100,000 layers via repeat (table)", ["summarize", str(repeated)]),
            ("summarize 100,000 layers via repeat (json)", ["summarize", str(repeated), "--format", "json"]),
        ]
        print(f"median of {repeat} runs, {sys.executable}")
        for label, args in cases:
            print(f"{wall(args, repeat):8.3f} s  {label}")


if __name__ == "__main__":
    main()
