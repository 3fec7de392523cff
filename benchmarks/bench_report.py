"""Wall time of `cnncalc report` as a user runs it (DenseNet-201 is issue 16's target: under 1 s), the page's
size, and the time of one `serve` round trip (POST the text, get the page's data) for ResNet-50 (target 300 ms).

Not a test (timings depend on the machine); tests/test_browser.py measures the render in Chromium.
Run: python benchmarks/bench_report.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall(args: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cnncalc", *args], check=True, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def round_trip(spec: Path, repeat: int) -> float:
    sys.path.insert(0, str(ROOT))
    from cnncalc.serve import Session, make_server, url

    server = make_server(Session(str(spec)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    text = spec.read_text().encode()
    times = []
    try:
        for _ in range(repeat):
            request = urllib.request.Request(url(server) + "api/render", data=text, headers={"X-Cnncalc": "1"})
            start = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
            times.append(time.perf_counter() - start)
    finally:
        server.shutdown()
        server.server_close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("alexnet", "resnet50", "densenet201"):
            out = Path(tmp) / f"{name}.html"
            seconds = wall(["report", str(ROOT / "specs" / f"{name}.yaml"), "-o", str(out)], repeat)
            print(f"report specs/{name}.yaml: {seconds:.3f} s, {out.stat().st_size:,} bytes")
        seconds = wall(["report", str(ROOT / "specs" / "alexnet.yaml"), "--input", "HxWx3", "-o",
                        str(Path(tmp) / "symbolic.html")], repeat)
        print(f"report specs/alexnet.yaml --input HxWx3: {seconds:.3f} s")
    print(f"serve round trip, ResNet-50 (server side, median of {repeat * 4}): "
          f"{round_trip(ROOT / 'specs' / 'resnet50.yaml', repeat * 4) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
