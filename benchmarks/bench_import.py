"""Time `cnncalc import` + `summarize` on ResNet-50 exported from torch, with its weights (~100 MB) and without.

    python benchmarks/bench_import.py [--onnx-tool /tmp/onnxtool-venv/bin/python]

ResNet-50 is written here as torchvision writes it (torchvision is not needed) and exported with the TorchScript
exporter (dynamo=False) into /tmp. Each figure is the best of three whole CLI runs (`cnncalc summarize MODEL.onnx`,
interpreter start included) and of three in-process runs (read + import + analyse). With --onnx-tool, onnx-tool's
`model_profile` (from a separate virtual environment: pip install onnx-tool) is timed once on the same file for
comparison. Target: under 1 s for the import and summary.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import warnings
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class Bottleneck(nn.Module):
    def __init__(self, cin: int, width: int, stride: int) -> None:
        super().__init__()
        out = width * 4
        self.conv1, self.bn1 = nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width)
        self.conv2, self.bn2 = nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width)
        self.conv3, self.bn3 = nn.Conv2d(width, out, 1, bias=False), nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != out:
            self.downsample = nn.Sequential(nn.Conv2d(cin, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)


class ResNet50(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64)
        self.relu, self.maxpool = nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)
        cin = 64
        for i, (width, count) in enumerate(((64, 3), (128, 4), (256, 6), (512, 3))):
            blocks = []
            for j in range(count):
                blocks.append(Bottleneck(cin, width, 2 if j == 0 and i > 0 else 1))
                cin = width * 4
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.avgpool, self.fc = nn.AdaptiveAvgPool2d(1), nn.Linear(2048, 1000)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def export(path: Path, weights: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(ResNet50().eval(), (torch.zeros(1, 3, 224, 224),), str(path), dynamo=False,
                          export_params=weights, training=torch.onnx.TrainingMode.PRESERVE)


def best(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--onnx-tool", default=None, metavar="PYTHON", help="a python with onnx-tool installed")
    args = parser.parse_args()
    from cnncalc import analyze, load_spec

    cli = [sys.executable, "-m", "cnncalc", "summarize"]
    for weights in (True, False):
        path = Path(f"/tmp/bench_resnet50{'' if weights else '_noweights'}.onnx")
        if not path.exists():
            export(path, weights)
        size = path.stat().st_size / 1e6
        report = analyze(load_spec(str(path)))
        inproc = best(lambda p=path: analyze(load_spec(str(p))))
        whole = best(lambda p=path: subprocess.run([*cli, str(p)], check=True, capture_output=True))
        print(f"{path.name} ({size:.1f} MB): params {report.totals.params:,}, MACs {report.totals.macs:,}; "
              f"import + analyse {inproc:.3f} s in process, `cnncalc summarize` {whole:.3f} s")
        if args.onnx_tool:
            code = ("import onnx_tool, sys, time; t = time.perf_counter(); "
                    "onnx_tool.model_profile(sys.argv[1], save_profile='/tmp/onnx_tool_profile.txt'); "
                    "print(f'{time.perf_counter() - t:.3f}')")
            start = time.perf_counter()
            done = subprocess.run([args.onnx_tool, "-c", code, str(path)], check=False, capture_output=True, text=True)
            total = time.perf_counter() - start
            inner = done.stdout.strip().splitlines()[-1] if done.returncode == 0 and done.stdout.strip() else "failed"
            print(f"  onnx-tool model_profile: {inner} s (process {total:.3f} s)"
                  + ("" if done.returncode == 0 else f": {done.stderr.strip().splitlines()[-1][:200]}"))


if __name__ == "__main__":
    main()
