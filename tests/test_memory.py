"""Training memory: the model's arithmetic by hand (tests/test_memory_autograd.py compares it with autograd)."""

from __future__ import annotations

import json

from conftest import SPECS

from cnncalc import analyze, load_spec, loads_spec
from cnncalc.memory import inference_peak, memory


def test_optimizer_state_and_gradients() -> None:
    report = analyze(load_spec(SPECS / "vgg16.yaml"))
    params = 138_357_544 * 4
    assert memory(report, "sgd").optimizer_bytes == 0
    assert memory(report, "momentum").optimizer_bytes == params  # one momentum buffer per parameter
    assert memory(report, "adam").optimizer_bytes == 2 * params  # Adam's exp_avg and exp_avg_sq
    assert memory(report, "adam").gradients_bytes == params


def test_saved_tensors_by_hand() -> None:
    # conv keeps its input (the image), the in-place ReLU its result (= the conv's output, counted once, and
    # also the max pool's input), the max pool its int64 indices, the fc its input (the pool's output, flattened).
    report = analyze(loads_spec("input: 8x8x3\nlayers: [{conv: {filters: 4, kernel: 3, pad: 1}}, relu, maxpool, "
                                "{fc: {units: 10}}]"), batch=2)
    m = memory(report)
    image, conv_out, pool_out = 3 * 8 * 8, 4 * 8 * 8, 4 * 4 * 4
    assert [r.bytes for r in m.rows] == [image * 4 * 2, conv_out * 4 * 2, pool_out * 8 * 2, pool_out * 4 * 2]
    assert m.saved_bytes == (image + conv_out + pool_out) * 4 * 2 + pool_out * 8 * 2


def test_inference_peak_frees_tensors_after_last_use() -> None:
    # conv1 output (4x8x8) is alive with the input while it is computed; then the input is freed; the pool output
    # is computed while the conv output is alive: peak = max(3*64 + 4*64, 4*64 + 4*16, 4*16 + 10).
    report = analyze(loads_spec("input: 8x8x3\nlayers: [{conv: {filters: 4, kernel: 3, pad: 1}}, relu, maxpool, "
                                "{fc: {units: 10}}]"))
    assert inference_peak(report) == 3 * 64 + 4 * 64
    # a branch keeps the block input alive until the last branch has read it; torch.cat then allocates the
    # joined tensor while both branch outputs are alive: max(2+3, 2+3+5, 3+5+8) maps of 16 values
    branchy = analyze(loads_spec("input: 4x4x2\nlayers:\n  - concat: [[{conv: {filters: 3, kernel: 1}}], "
                                 "[{conv: {filters: 5, kernel: 1}}]]\n"))
    assert inference_peak(branchy) == (3 + 5 + 8) * 16


def test_memory_cli(run) -> None:
    result = run("memory", SPECS / "vgg16.yaml", "--batch", "8", "--optimizer", "adam", "--format", "json")
    assert result.exit_code == 0
    totals = json.loads(result.output)["totals"]
    assert totals["optimizer_bytes"] == 2 * 138_357_544 * 4
    assert totals["training_bytes"] == sum(totals[k] for k in ("params_bytes", "gradients_bytes", "optimizer_bytes",
                                                               "saved_activation_bytes"))
    assert run("memory", SPECS / "resnet50.yaml").exit_code == 0


def test_memory_states_the_device_and_the_cuda_bound(run) -> None:
    # AlexNet's two dropouts keep 4,096 fp32 values each per sample on the CPU; CUDA keeps bools: 3 bytes fewer each
    result = run("memory", SPECS / "alexnet.yaml", "--batch", "2", "--format", "json")
    data = json.loads(result.output)
    assert data["saved_device"] == "cpu"
    assert data["bounds"] == [{"type": "dropout", "device": "cuda", "bytes": -2 * 4096 * 3 * 2,
                               "why": "CUDA keeps dropout's mask as 1-byte elements where the CPU keeps fp32"}]
    text = run("memory", SPECS / "alexnet.yaml", "--batch", "2").output
    assert "exact for CPU autograd" in text and "dropout: -49,152 bytes" in text
