"""`cnncalc import MODEL.onnx` and MODEL.onnx as any command's SPEC (issue 14): numbers from torch, not from us.

Each model is written here as torchvision writes it (torchvision is not installed), exported with torch's
TorchScript exporter (dynamo=False: it needs no onnxscript) without its weights, and imported; the imported spec
must give torch's exact parameter count (sum of numel), FlopCounterMode's convolution and matmul MACs, and every
conv and linear output shape. Hostile files must end in exit 1 with a message, never a traceback.
"""

from __future__ import annotations

import copy
import json
import math
import random
import sys
import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

from click.testing import CliRunner
from onnx import TensorProto, helper
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from cnncalc import analyze, load_spec
from cnncalc.cli import main

# --- the models, as torchvision writes them -------------------------------------------------------------------------


class BasicBlock(nn.Module):
    def __init__(self, cin: int, width: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, width, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(width, width, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.downsample = None
        if stride != 1 or cin != width:
            self.downsample = nn.Sequential(nn.Conv2d(cin, width, 1, stride, bias=False), nn.BatchNorm2d(width))

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class ResNet18(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = 64
        for i, width in enumerate((64, 128, 256, 512)):
            stride = 1 if i == 0 else 2
            setattr(self, f"layer{i + 1}", nn.Sequential(BasicBlock(cin, width, stride), BasicBlock(width, width, 1)))
            cin = width
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, 1000)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def conv_bn_relu6(cin: int, cout: int, kernel: int = 3, stride: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU6(inplace=True))


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = cin * expand
        self.use_res_connect = stride == 1 and cin == cout
        layers = [conv_bn_relu6(cin, hidden, 1)] if expand != 1 else []
        layers += [conv_bn_relu6(hidden, hidden, 3, stride, hidden), nn.Conv2d(hidden, cout, 1, bias=False),
                   nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        features = [conv_bn_relu6(3, 32, stride=2)]
        cin = 32
        for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                           (6, 320, 1, 1)):
            for i in range(n):
                features.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        features.append(conv_bn_relu6(cin, 1280, 1))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 1000))

    def forward(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


class Fire(nn.Module):
    def __init__(self, cin: int, squeeze: int, e1: int, e3: int) -> None:
        super().__init__()
        self.squeeze = nn.Conv2d(cin, squeeze, 1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze, e1, 1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze, e3, 3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return torch.cat([self.expand1x1_activation(self.expand1x1(x)),
                          self.expand3x3_activation(self.expand3x3(x))], 1)


def squeezenet1_1() -> nn.Module:
    pool = nn.MaxPool2d(3, 2, ceil_mode=True)
    features = nn.Sequential(nn.Conv2d(3, 64, 3, 2), nn.ReLU(inplace=True), pool, Fire(64, 16, 64, 64),
                             Fire(128, 16, 64, 64), nn.MaxPool2d(3, 2, ceil_mode=True), Fire(128, 32, 128, 128),
                             Fire(256, 32, 128, 128), nn.MaxPool2d(3, 2, ceil_mode=True), Fire(256, 48, 192, 192),
                             Fire(384, 48, 192, 192), Fire(384, 64, 256, 256), Fire(512, 64, 256, 256))
    classifier = nn.Sequential(nn.Dropout(0.5), nn.Conv2d(512, 1000, 1), nn.ReLU(inplace=True),
                               nn.AdaptiveAvgPool2d(1))
    return nn.Sequential(features, classifier, nn.Flatten())


class DenseLayer(nn.Module):
    def __init__(self, cin: int, growth: int) -> None:
        super().__init__()
        self.norm1, self.relu1 = nn.BatchNorm2d(cin), nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(cin, 4 * growth, 1, bias=False)
        self.norm2, self.relu2 = nn.BatchNorm2d(4 * growth), nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(4 * growth, growth, 3, padding=1, bias=False)

    def forward(self, features):
        x = torch.cat(features, 1)
        return self.conv2(self.relu2(self.norm2(self.conv1(self.relu1(self.norm1(x))))))


class DenseBlock(nn.ModuleDict):
    def __init__(self, count: int, cin: int, growth: int) -> None:
        super().__init__({f"denselayer{i + 1}": DenseLayer(cin + i * growth, growth) for i in range(count)})

    def forward(self, x):
        features = [x]
        for layer in self.values():
            features.append(layer(features))
        return torch.cat(features, 1)


def densenet_small() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 32, 3, padding=1, bias=False), DenseBlock(4, 32, 16), nn.BatchNorm2d(96),
                         nn.ReLU(), nn.Conv2d(96, 48, 1, bias=False), nn.AvgPool2d(2, 2), DenseBlock(3, 48, 16),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(96, 10))


class Inception(nn.Module):
    def __init__(self, cin: int, n1: int, r3: int, n3: int, r5: int, n5: int, proj: int) -> None:
        super().__init__()
        self.branch1 = nn.Sequential(nn.Conv2d(cin, n1, 1), nn.ReLU())
        self.branch2 = nn.Sequential(nn.Conv2d(cin, r3, 1), nn.ReLU(), nn.Conv2d(r3, n3, 3, padding=1), nn.ReLU())
        self.branch3 = nn.Sequential(nn.Conv2d(cin, r5, 1), nn.ReLU(), nn.Conv2d(r5, n5, 5, padding=2), nn.ReLU())
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, 1, ceil_mode=True), nn.Conv2d(cin, proj, 1), nn.ReLU())

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


def inception_net() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 192, 3, 2, 1), nn.ReLU(), Inception(192, 64, 96, 128, 16, 32, 32),
                         Inception(256, 128, 128, 192, 32, 96, 64),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(480, 10))


class SqueezeExcitation(nn.Module):
    def __init__(self, channels: int, squeeze: int, hard: bool = False) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1, self.activation = nn.Conv2d(channels, squeeze, 1), nn.ReLU()
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.scale_activation = nn.Hardsigmoid() if hard else nn.Sigmoid()

    def forward(self, x):
        return self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x))))) * x


def se_net() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1), nn.BatchNorm2d(32), nn.SiLU(), SqueezeExcitation(32, 8),
                         nn.Conv2d(32, 64, 3, 2, 1, groups=2), nn.Hardswish(), SqueezeExcitation(64, 16, hard=True),
                         nn.GELU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


class Residual(nn.Module):
    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, x):
        return x + self.body(x)


class Cat(nn.Module):
    def __init__(self, *branches: nn.Module) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x):
        return torch.cat([b(x) for b in self.branches], 1)


def random_net(seed: int) -> tuple[nn.Module, int]:
    """A seeded nest of residuals and concats of convs: (module, its output channels)."""
    rng = random.Random(seed)

    def block(c: int, depth: int) -> tuple[nn.Module, int]:
        choice = rng.choice(["conv", "residual", "concat"] if depth < 3 else ["conv"])
        if choice == "conv":
            out = rng.choice([4, 8, 12])
            k = rng.choice([1, 3, 5])
            return nn.Sequential(nn.Conv2d(c, out, k, padding=k // 2, bias=rng.random() < 0.5), nn.ReLU()), out
        if choice == "residual":
            parts, width = [], c
            for _ in range(rng.randint(1, 3)):
                m, width = block(width, depth + 1)
                parts.append(m)
            parts.append(nn.Conv2d(width, c, 1))
            return Residual(nn.Sequential(*parts)), c
        branches, total = [], 0
        for _ in range(rng.randint(2, 3)):
            m, width = block(c, depth + 1)
            branches.append(m)
            total += width
        return Cat(*branches), total

    layers, c = [nn.Conv2d(3, 8, 3, padding=1)], 8
    for _ in range(rng.randint(2, 4)):
        m, c = block(c, 0)
        layers.append(m)
        if rng.random() < 0.3:
            layers.append(nn.MaxPool2d(2))
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 5)]
    return nn.Sequential(*layers), c


# --- torch's numbers and ours -----------------------------------------------------------------------------------------


def export(module: nn.Module, path, size: int = 224, **kwargs) -> str:
    module.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.zeros(1, 3, size, size),), str(path), dynamo=False, export_params=False,
                          training=torch.onnx.TrainingMode.PRESERVE, **kwargs)
    return str(path)


def torch_numbers(module: nn.Module, size: int) -> tuple[int, int, list[tuple[int, ...]]]:
    module = copy.deepcopy(module).to("meta")  # counts and shapes without computing anything
    shapes: list[tuple[int, ...]] = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: shapes.append(tuple(out.shape[1:])))
             for m in module.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(torch.zeros(1, 3, size, size, device="meta"))
    for h in hooks:
        h.remove()
    counts = counter.get_flop_counts()["Global"]
    aten = torch.ops.aten
    flops = sum(counts.get(op, 0) for op in (aten.convolution, aten.addmm, aten.mm))
    return sum(p.numel() for p in module.parameters()), flops // 2, sorted(shapes)


def our_numbers(path: str) -> tuple[int, int, list[tuple[int, ...]]]:
    report = analyze(load_spec(path))
    shapes = sorted(tuple(r.output) for r in report.layers if r.kind in ("conv", "fc"))
    return report.totals.params, report.totals.macs, shapes


MODELS = {"resnet18": (ResNet18, 224), "mobilenet_v2": (MobileNetV2, 224), "squeezenet1_1": (squeezenet1_1, 224),
          "densenet_block": (densenet_small, 32), "inception": (inception_net, 64), "se_gate": (se_net, 64)}
FIGURES: dict[str, tuple[int, int]] = {}  # what each model gave: the report's figures


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("onnx")
    torch.manual_seed(0)
    return {name: (factory(), size, export(factory(), folder / f"{name}.onnx", size))
            for name, (factory, size) in MODELS.items()}


@pytest.mark.parametrize("name", list(MODELS))
def test_imported_model_counts_what_torch_counts(exported, name):
    module, size, path = exported[name]
    expected = torch_numbers(module.eval(), size)
    assert our_numbers(path) == expected
    FIGURES[name] = expected[:2]


def test_containers_are_recovered(exported):
    text = {name: CliRunner().invoke(main, ["import", path]).output for name, (_m, _s, path) in exported.items()}
    assert "residual:" in text["resnet18"] and "repeat: 2" in text["resnet18"]
    # the stages fold into one block (tests/test_import_blocks.py): projections are what `shortcut: auto` builds
    assert "blocks:" in text["resnet18"] and "shortcut: auto" in text["resnet18"]
    assert "first: {stride: 2}" in text["resnet18"]
    assert "relu6" in text["mobilenet_v2"] and "residual:" in text["mobilenet_v2"]
    assert "concat:" in text["squeezenet1_1"] and "ceil: true" in text["squeezenet1_1"]
    assert "dense:" in text["densenet_block"] and "count: 4" in text["densenet_block"]
    assert "concat:" in text["inception"] and "branch4" in text["inception"]
    assert "gate:" in text["se_gate"] and "silu" in text["se_gate"] and "hardswish" in text["se_gate"]
    assert "gelu" in text["se_gate"]


@pytest.mark.parametrize("seed", range(6))
def test_random_branching_net(tmp_path, seed):
    module, _channels = random_net(seed)
    path = export(module, tmp_path / "random.onnx", 16)
    assert our_numbers(path) == torch_numbers(module.eval(), 16)


def test_split_and_channel_shuffle(tmp_path):
    class Shuffle(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Conv2d(3, 16, 3, padding=1)
            self.branch2 = nn.Sequential(nn.Conv2d(8, 8, 1), nn.ReLU())

        def forward(self, x):
            x1, x2 = self.stem(x).chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), 1)
            n, c, h, w = out.shape
            return out.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, c, h, w)

    module = Shuffle()
    path = export(module, tmp_path / "shuffle.onnx", 16)
    text = CliRunner().invoke(main, ["import", path]).output
    assert "split:" in text and "channel_shuffle" in text, text
    assert our_numbers(path)[:2] == torch_numbers(module.eval(), 16)[:2]


def test_imported_spec_reparses_from_its_yaml(exported, tmp_path):
    path = exported["resnet18"][2]
    runner = CliRunner()
    out = tmp_path / "r18.yaml"
    assert runner.invoke(main, ["import", path, "-o", str(out)]).exit_code == 0
    direct = json.loads(runner.invoke(main, ["summarize", path, "--format", "json"]).output)
    again = json.loads(runner.invoke(main, ["summarize", str(out), "--format", "json"]).output)
    assert direct["totals"] == again["totals"]
    refused = runner.invoke(main, ["import", path, "-o", str(out)])
    assert refused.exit_code == 1 and "--force" in refused.output
    assert runner.invoke(main, ["import", path, "-o", str(out), "--force"]).exit_code == 0


def test_zoo_spec_agrees_with_the_export(exported):
    zoo = analyze(load_spec("specs/resnet18.yaml")).totals
    imported = analyze(load_spec(exported["resnet18"][2])).totals
    assert (zoo.params, zoo.macs) == (imported.params, imported.macs) == (11_689_512, 1_814_073_344)


def test_dynamic_axes_give_a_symbolic_input(tmp_path):
    module = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))
    path = export(module, tmp_path / "dyn.onnx", 32, input_names=["image"],
                  dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"}})
    runner = CliRunner()
    text = runner.invoke(main, ["import", path]).output
    assert "input: heightxwidthx3" in text
    fixed = runner.invoke(main, ["import", path, "--input", "64x64"]).output
    assert "input: 64x64x3" in fixed
    summary = runner.invoke(main, ["summarize", path, "--input", "64x64x3", "--format", "json"])
    assert summary.exit_code == 0 and json.loads(summary.output)["totals"]["params"] == 3 * 9 * 8 + 8 + 8 * 4 + 4


# --- hostile and unmappable files ---------------------------------------------------------------------------------


def _model(nodes, inputs, outputs, inits=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _x(dims=(1, 3, 8, 8), name="x"):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(dims))


def _fails(path, *words, args=()):
    result = CliRunner().invoke(main, ["summarize", str(path), *args])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    for word in words:
        assert word in result.output, result.output
    return result.output


def test_hostile_files(tmp_path, exported):
    data = Path(exported["resnet18"][2]).read_bytes()
    (tmp_path / "cut.onnx").write_bytes(data[: len(data) // 2])
    _fails(tmp_path / "cut.onnx", "not a readable ONNX model")
    (tmp_path / "noise.onnx").write_bytes(random.Random(1).randbytes(5000))
    _fails(tmp_path / "noise.onnx", "ONNX model")
    (tmp_path / "empty.onnx").write_bytes(b"")
    _fails(tmp_path / "empty.onnx", "empty")
    _fails(tmp_path / "missing.onnx", "no such file")
    cycle = _model([helper.make_node("Relu", ["x", "b"], ["a"], name="r1"), helper.make_node("Relu", ["a"], ["b"])],
                   [_x()], [_x(name="b")])
    onnx.save(cycle, tmp_path / "cycle.onnx")
    _fails(tmp_path / "cycle.onnx", "cycle")
    negative = _model([helper.make_node("Relu", ["x"], ["y"])], [_x((1, 3, -5, 8))], [_x(name="y")])
    onnx.save(negative, tmp_path / "negative.onnx")
    _fails(tmp_path / "negative.onnx", "-5")
    no_axis = _model([helper.make_node("Concat", ["x", "x"], ["y"], name="cat")], [_x()], [_x(name="y")])
    onnx.save(no_axis, tmp_path / "no_axis.onnx")
    _fails(tmp_path / "no_axis.onnx", "'cat'", "axis")
    no_kernel = _model([helper.make_node("MaxPool", ["x"], ["y"], name="pool")], [_x()], [_x(name="y")])
    onnx.save(no_kernel, tmp_path / "no_kernel.onnx")
    _fails(tmp_path / "no_kernel.onnx", "'pool'", "kernel_shape")
    branch = helper.make_graph([helper.make_node("Relu", ["x"], ["z"])], "b", [], [_x(name="z")])
    cond = helper.make_tensor_value_info("c", TensorProto.BOOL, [])
    with_if = _model([helper.make_node("If", ["c"], ["y"], then_branch=branch, else_branch=branch)], [_x(), cond],
                     [_x(name="y")])
    onnx.save(with_if, tmp_path / "if.onnx")
    _fails(tmp_path / "if.onnx", "nested graph")


def test_huge_declared_size_is_exact(tmp_path):
    big = 2**62
    model = _model([helper.make_node("Relu", ["x"], ["y"])], [_x((1, 3, big, big))], [_x((1, 3, big, big), "y")])
    onnx.save(model, tmp_path / "big.onnx")
    result = CliRunner().invoke(main, ["summarize", str(tmp_path / "big.onnx"), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["totals"]["activations"] == 3 * big * big


def test_unmappable_op_names_it_and_opaque_keeps_it(tmp_path):
    model = _model([helper.make_node("Conv", ["x", "w"], ["a"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
                    helper.make_node("Cos", ["a"], ["y"], name="strange")], [_x()], [_x((1, 4, 8, 8), "y")],
                   [helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 3, 3], [0.0] * 108)])
    onnx.save(model, tmp_path / "cos.onnx")
    _fails(tmp_path / "cos.onnx", "'strange'", "Cos", "[1, 4, 8, 8]", "--opaque")
    result = CliRunner().invoke(main, ["import", str(tmp_path / "cos.onnx"), "--opaque"])
    assert result.exit_code == 0, result.output
    assert "Warning: strange (Cos) is kept as an opaque layer" in result.output
    assert "opaque: {output: [4, 8, 8], op: Cos}" in result.output


def test_without_the_onnx_package(tmp_path, exported, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    _fails(exported["resnet18"][2], "reading ONNX needs the onnx package: pip install 'cnncalc[onnx]'")


# --- reductions, normalisations and ops with no spec layer --------------------------------------------------------


def _summary_of(path, *args):
    result = CliRunner().invoke(main, ["import", str(path), *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("keep", [1, 0])
@pytest.mark.parametrize("opset", [17, 18])
def test_reduce_mean_over_h_and_w_is_a_global_pool(tmp_path, keep, opset):
    out = (1, 3, 1, 1) if keep else (1, 3)
    if opset < 18:
        mean = helper.make_node("ReduceMean", ["x"], ["y"], name="mean", axes=[2, 3], keepdims=keep)
        model = _model([mean], [_x()], [_x(out, "y")])
    else:
        axes = helper.make_node("Constant", [], ["axes"], value=helper.make_tensor("v", TensorProto.INT64, [2], [-2, -1]))
        mean = helper.make_node("ReduceMean", ["x", "axes"], ["y"], name="mean", keepdims=keep)
        model = helper.make_model(helper.make_graph([axes, mean], "g", [_x()], [_x(out, "y")]),
                                  opset_imports=[helper.make_opsetid("", 18)])
    onnx.save(model, tmp_path / "mean.onnx")
    text = _summary_of(tmp_path / "mean.onnx")
    assert "global_avgpool" in text and ("flatten" in text) == (not keep), text


def test_reduce_mean_over_the_channels_names_the_node(tmp_path):
    mean = helper.make_node("ReduceMean", ["x"], ["y"], name="chanmean", axes=[1], keepdims=1)
    onnx.save(_model([mean], [_x()], [_x((1, 1, 8, 8), "y")]), tmp_path / "c.onnx")
    _fails(tmp_path / "c.onnx", "'chanmean'", "ReduceMean", "axes [1]")


def test_group_normalization_node_and_no_space_to_depth(tmp_path):
    scale, bias = (helper.make_tensor(n, TensorProto.FLOAT, [3], [1.0] * 3) for n in ("s", "b"))
    gn = helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], name="gn", num_groups=3, epsilon=1e-5)
    model = helper.make_model(helper.make_graph([gn], "g", [_x()], [_x(name="y")], [scale, bias]),
                              opset_imports=[helper.make_opsetid("", 21)])
    onnx.save(model, tmp_path / "gn.onnx")
    assert "groupnorm: {groups: 3}}" in _summary_of(tmp_path / "gn.onnx")
    s2d = helper.make_node("SpaceToDepth", ["x"], ["y"], name="unshuffle", blocksize=2)
    onnx.save(_model([s2d], [_x()], [_x((1, 12, 4, 4), "y")]), tmp_path / "s2d.onnx")
    _fails(tmp_path / "s2d.onnx", "'unshuffle'", "SpaceToDepth", "no space_to_depth")


def test_exported_mean_heads_and_layer_scale(tmp_path):
    class Head(nn.Module):
        def __init__(self, keep: bool) -> None:
            super().__init__()
            self.keep = keep
            self.conv = nn.Conv2d(3, 8, 3, 2, 1, bias=False)
            self.bn = nn.BatchNorm2d(8)
            self.layer_scale = nn.Parameter(torch.ones(8, 1, 1))
            self.fc = nn.Linear(8, 4)

        def forward(self, x):
            x = self.layer_scale * self.bn(self.conv(x))
            return self.fc(torch.flatten(x.mean((2, 3), keepdim=True), 1) if self.keep else x.mean([2, 3]))

    for keep in (True, False):
        module = Head(keep)
        path = export(module, tmp_path / f"head{keep}.onnx", 16)
        text = _summary_of(path)
        assert "scale: " in text and "global_avgpool" in text and text.count("flatten: ") == 1, text
        assert our_numbers(path) == torch_numbers(module.eval(), 16)
        assert "folded it into the convolutions" not in text  # batch norm is there: nothing was folded


def test_reading_onnx_skips_onnx_init_and_a_later_import_still_works() -> None:
    """`import onnx` costs over a second (ml_dtypes); the importer loads only the protobuf classes and the C++ shape
    inference (importers/onnx_proto.py), and a later `import onnx` is the real package, with the same classes."""
    import subprocess

    code = ("import sys; from cnncalc.importers import onnx_graph, onnx_proto; "
            "g = onnx_graph.read('examples/tiny.onnx'); print(len(g.nodes), 'ml_dtypes' in sys.modules); "
            "import onnx; print(onnx.ModelProto is onnx_proto.load().ModelProto, hasattr(onnx, 'helper'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], capture_output=True,
                         text=True, check=True).stdout.split()
    assert out[0] == "29" and out[1:] == ["False", "True", "True"]  # tiny.onnx: 29 nodes (docs/import.md)


@pytest.mark.parametrize(("shape", "said"), [([4, 6, 6], "from -3"), ([6], "on the last axis (the width)")])
def test_a_layer_norm_over_more_than_the_channels_is_not_the_specs_layernorm(tmp_path, shape, said):
    """nn.LayerNorm([C, H, W]) has 2·C·H·W weights (288 here, torch's count) and nn.LayerNorm(W) normalises each
    row: neither is the spec's layernorm (over the channels at each position, 2·C weights), so each is refused,
    naming the node, rather than counted as 8."""
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.LayerNorm(shape))
    assert sum(p.numel() for p in model[1].parameters()) == 2 * math.prod(shape)
    path = export(model, tmp_path / "ln.onnx", 8)
    _fails(path, "LayerNormalization", said)
