"""`cnncalc verify`: every shipped spec against PyTorch itself, and proof that the verifier can fail.

The expected numbers here are torch's own measurements (the verifier compares against them) or published
figures; none is pasted from cnncalc's output.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from conftest import SPECS
from cnncalc import analyze, arithmetic, load_spec, loads_spec
from cnncalc.layers import LAYER_TYPES
from cnncalc.layers.base import Facts, Layer, Shape
from cnncalc.layers.conv import Conv
from cnncalc.memory import memory as memory_model
from cnncalc.spec.model import Spec
from cnncalc.verify import NotBuildable, Verification, verify
from cnncalc.verify.build import build_network
from cnncalc.verify.measure import cuda_memory, measure
from cnncalc.verify.modules import LocallyConnected2d, Maxout
from cnncalc.verify.registry import BUILDERS

SHIPPED = [(path, variant) for path in sorted(SPECS.glob("*.yaml"))
           for variant in (None, *load_spec(path).variants)]
CPU_MACS_LIMIT = 3 * 10**9  # above this a spec is checked on the meta device: no allocation, no arithmetic


def assert_all_match(v: Verification) -> None:
    bad = [(r.name, r.mismatches, r.calculated, r.measured) for r in v.failed]
    assert not bad and not v.totals_mismatches, bad
    assert v.ok and len(v.rows) > 0


# --- every shipped spec --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "variant"), SHIPPED,
                         ids=[p.stem + (f"-{v}" if v else "") for p, v in SHIPPED])
def test_shipped_spec_verifies_with_zero_mismatches(path: Path, variant: str | None) -> None:
    """At the spec's own input size: run on the CPU when that is cheap on 2 cores, else on the meta device
    (shapes, params and FLOPs from torch without computing anything)."""
    spec = load_spec(path, variant=variant)
    device = "cpu" if analyze(spec).totals.macs <= CPU_MACS_LIMIT else "meta"
    v = verify(spec, device=device)
    assert_all_match(v)
    assert v.device == device and v.memory is None


@pytest.mark.parametrize(
    ("spec", "variant", "params"),
    [("lenet5.yaml", None, 61_706),                  # seed 003's torchsummary
     ("alexnet_seed003.yaml", None, 57_029_322),     # seed 003's summary table
     ("alexnet_torchvision.yaml", None, 61_100_840),  # torchvision's model card
     ("vgg16.yaml", None, 138_357_544),              # torchvision's model card
     ("resnet50.yaml", "torchvision", 25_557_032)],  # torchvision's model card
)
def test_torch_counts_the_published_params(spec: str, variant: str | None, params: int) -> None:
    v = verify(load_spec(SPECS / spec, variant=variant), device="meta")
    assert v.measured.params == params and v.ok


def test_torch_counts_torchvision_alexnet_gflops() -> None:
    v = verify(load_spec(SPECS / "alexnet_torchvision.yaml"), device="meta")
    assert round(v.measured.macs / 1e9, 2) == 0.71  # torchvision's model card: 0.71 GFLOPS (MACs)


# --- every layer type ---------------------------------------------------------------------------------------

EVERY_LAYER = """
input: 12x12x4
layers:
  - {name: same, conv: {filters: 8, kernel: 4, pad: same}}
  - {name: asym, conv: {filters: 8, kernel: 3, pad: [1, 0, 2, 1], bias: false}}
  - {name: dw, conv: {kernel: 3, pad: 1, groups: depthwise}}
  - {name: grouped, conv: {filters: 12, kernel: 3, pad: 2, dilation: 2, groups: 4}}
  - {name: bn, bn: {}}
  - {name: leaky, leaky_relu: {negative_slope: 0.2}}
  - {name: mo, maxout: {pieces: 3}}
  - {name: up, deconv: {filters: 6, kernel: 3, stride: 2, pad: 1, output_padding: 1}}
  - {name: elu, elu: {alpha: 0.5, inplace: false}}
  - {name: pad, zeropad: {pad: [1, 2, 0, 3]}}
  - {name: loc, local: {filters: 5, kernel: 3, stride: 2, pad: 1}}
  - {name: tanh, tanh: }
  - {name: lrn, lrn: {size: 3}}
  - {name: pmax, maxpool: {kernel: 3, stride: 2, pad: 1, dilation: 1, ceil: true}}
  - {name: pavg, avgpool: {kernel: 2, stride: 1, ceil: true}}
  - {name: sm, softmax: }
  - {name: adapt, adaptive_avgpool: {output: [3, 2]}}
  - {name: fc, fc: {units: 7}}
  - {name: bn1d, bn: {affine: false}}
  - {name: drop, dropout: {p: 0.1}}
  - {name: sig, sigmoid: }
  - {name: fc2, fc: {units: 3, bias: false}}
"""


def test_every_layer_class_has_a_torch_builder() -> None:
    missing = {cls.__name__ for cls in LAYER_TYPES.values()} - {cls.__name__ for cls in BUILDERS}
    assert not missing


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # torch's note on speed
@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_every_layer_type_verifies(device: str) -> None:
    v = verify(loads_spec(EVERY_LAYER), device=device, batch=3)
    assert_all_match(v)
    rows = {r.name: r for r in v.rows}
    assert rows["bn"].measured.buffers == 2 * 12 + 1  # running mean, running var, num_batches_tracked
    assert rows["loc"].measured.params > 0 and rows["loc"].measured.macs > 0  # a real layer, not a stand-in


def test_global_avgpool_and_flatten_verify() -> None:
    spec = loads_spec("input: 9x7x3\nlayers: [conv3-4, relu, gap, flatten, FC-5, soft-max]")
    assert_all_match(verify(spec, device="cpu"))


def test_locally_connected_module_is_a_per_position_dot_product() -> None:
    """Against a plain loop: each output position has its own weights and its own bias (Keras' layout)."""
    torch.manual_seed(0)
    layer = LocallyConnected2d(2, 3, (5, 6), (3, 2), (2, 1), ((1, 0), (0, 1)), (1, 1), bias=True)
    x = torch.randn(2, 2, 5, 6)
    out = layer(x)
    padded = torch.nn.functional.pad(x, (0, 1, 1, 0))
    oh, ow = layer.out_size
    assert out.shape == (2, 3, oh, ow) == (2, 3, 2, 6)  # (5 + 1 − 3)//2 + 1 = 2 rows, (6 + 1 − 2) + 1 = 6 columns
    for i in range(oh):
        for j in range(ow):
            patch = padded[:, :, 2 * i:2 * i + 3, j:j + 2].reshape(2, -1)  # (B, C*kh*kw), unfold's order
            expected = patch @ layer.weight[i * ow + j] + layer.bias[:, i, j]
            torch.testing.assert_close(out[:, :, i, j], expected)


def test_maxout_takes_the_max_of_consecutive_channels() -> None:
    x = torch.arange(12.0).reshape(1, 6, 1, 2)
    assert Maxout(3)(x).tolist() == [[[[4.0, 5.0]], [[10.0, 11.0]]]]  # channel c holds 2c, 2c + 1


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize(("spec", "input_"), [(EVERY_LAYER, None), ((SPECS / "resnet18.yaml").read_text(), (3, 32, 32))],
                         ids=["every-layer", "resnet18"])
def test_memory_path_runs_a_training_step(monkeypatch: pytest.MonkeyPatch, spec: str, input_: Shape | None) -> None:
    """No GPU in CI: stand in for CUDA's allocator statistics and run the memory measurement on the CPU, so that
    its inference pass and training step (forward, backward, SGD) are exercised on every layer type."""
    peaks = iter([1_000, 3_000])
    for name in ("synchronize", "empty_cache", "reset_peak_memory_stats"):
        monkeypatch.setattr(torch.cuda, name, lambda *args, **kwargs: None)
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda *args, **kwargs: 500)
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda *args, **kwargs: next(peaks))
    model = loads_spec(spec)
    report = analyze(model, input_shape=input_, batch=3)
    net = build_network(model.layers, report.input)
    measure(net, report, device=torch.device("cpu"), seed=0)  # materialise the weights
    memory = cuda_memory(net, torch.randn(3, *report.input), report)
    assert (memory.inference_peak, memory.training_peak, memory.baseline) == (1_000, 3_000, 500)
    assert memory.training_note == ""
    estimate = memory_model(report, "sgd")  # `cnncalc memory`: the training step is plain SGD
    assert (memory.inference_estimate, memory.training_estimate) == (estimate.inference_bytes,
                                                                      estimate.training_bytes)


# --- the verifier can fail -------------------------------------------------------------------------------------

def test_a_wrong_params_formula_is_caught(monkeypatch: pytest.MonkeyPatch, run) -> None:  # noqa: ANN001
    honest = Conv.infer

    def one_weight_too_many(self: Conv, shape: Shape) -> Facts:
        facts = honest(self, shape)
        return replace(facts, weights=facts.weights + 1)

    monkeypatch.setattr(Conv, "infer", one_weight_too_many)
    v = verify(load_spec(SPECS / "lenet5.yaml"), device="cpu")
    assert not v.ok
    assert [(r.name, r.mismatches) for r in v.failed] == [("conv1", ("params",)), ("conv2", ("params",))]
    assert v.failed[0].measured.params == 156  # torch's Conv2d(1, 6, 5): seed 003's torchsummary row
    assert v.totals_mismatches == ("params",)
    result = run("verify", SPECS / "lenet5.yaml", "--device", "cpu")
    assert result.exit_code == 3
    assert "✗ 2 of 12 layers disagree" in result.output and "conv1 (params)" in result.output


def test_a_wrong_output_size_is_caught(monkeypatch: pytest.MonkeyPatch, run) -> None:  # noqa: ANN001
    """Round the convolution's size up instead of down: torchvision's AlexNet conv1 on 224 gives 55 in torch
    (floor of 55.25), the broken formula 56."""
    monkeypatch.setattr(arithmetic, "conv_output", lambda n, k, s=1, p=0, d=1: -(-(n + p - d * (k - 1) - 1) // s) + 1)
    v = verify(load_spec(SPECS / "alexnet_torchvision.yaml"), device="meta")
    conv1 = v.rows[0]
    assert conv1.calculated.output == (64, 56, 56) and conv1.measured.output == (64, 55, 55)
    assert "output" in conv1.mismatches and "macs" in conv1.mismatches
    result = run("verify", SPECS / "alexnet_torchvision.yaml", "--device", "meta", "--format", "json")
    assert result.exit_code == 3
    data = json.loads(result.output)
    assert data["rows"][0]["match"] is False and data["rows"][0]["measured"]["output"] == [64, 55, 55]
    assert data["verdict"].startswith("✗")


def test_a_layer_without_builder_is_an_error_not_a_skip() -> None:
    @dataclass(frozen=True, kw_only=True)
    class Mystery(Layer):
        def infer(self, shape: Shape) -> Facts:
            return Facts(output=shape)

    spec = Spec(name="mystery", input=(3, 8, 8), layers=(Mystery(name="m"),))
    with pytest.raises(NotBuildable, match="no torch builder for Mystery"):
        verify(spec, device="meta")


# --- the command ------------------------------------------------------------------------------------------------

def test_verify_table(run) -> None:  # noqa: ANN001
    result = run("verify", SPECS / "alexnet.yaml", "--device", "cpu")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "torch output" in out and "55x55x96" in out
    assert "✓ all 23 layers match PyTorch" in out
    assert "not measured on the CPU" in out


def test_verify_json_contract(run) -> None:  # noqa: ANN001
    result = run("verify", SPECS / "lenet5.yaml", "--device", "cpu", "--batch", "2", "--format", "json",
                 "--seed", "7")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert set(data) >= {"model", "device", "batch", "rows", "totals", "memory", "verdict"}
    assert data["device"] == "cpu" and data["batch"] == 2 and data["seed"] == 7 and data["memory"] is None
    for row in data["rows"]:
        assert set(row) >= {"name", "type", "calculated", "measured", "match"}
        assert set(row["calculated"]) >= {"output", "params", "macs"} and set(row["measured"]) >= {"output", "params",
                                                                                                     "macs"}
        assert row["match"] is True
    assert data["rows"][0]["measured"] == {"output": [6, 28, 28], "params": 156, "buffers": 0,
                                           "macs": 28 * 28 * 6 * 5 * 5}  # seed 003's table; 5x5 MACs per output
    assert data["totals"]["measured"]["params"] == 61_706 and data["totals"]["match"] is True
    assert data["verdict"].startswith("✓") and "CPU" in data["memory_note"]


def test_verify_input_override(run) -> None:  # noqa: ANN001
    result = run("verify", SPECS / "vgg16.yaml", "--input", "32", "--device", "cpu", "--format", "json")
    assert result.exit_code == 0
    fc1 = next(r for r in json.loads(result.output)["rows"] if r["name"] == "fc1")
    assert fc1["measured"]["params"] == 512 * 4096 + 4096  # a 1x1x512 volume reaches fc1 from a 32x32 input


def test_torch_missing_says_how_to_install(monkeypatch: pytest.MonkeyPatch, run) -> None:  # noqa: ANN001
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    result = run("verify", SPECS / "lenet5.yaml")
    assert result.exit_code == 1
    assert "pip install -e '.[torch]'" in result.stderr
    assert "Traceback" not in result.output + result.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_an_input_error(run) -> None:  # noqa: ANN001
    result = run("verify", SPECS / "lenet5.yaml", "--device", "cuda")
    assert result.exit_code == 1
    assert "no CUDA device" in result.stderr


def test_help_does_not_import_torch() -> None:
    code = ("import sys; from click.testing import CliRunner; from cnncalc.cli import main; "
            "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0; "
            "r = CliRunner().invoke(main, ['verify', '--help']); assert r.exit_code == 0; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)
