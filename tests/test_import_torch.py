"""`torch:MODULE:FACTORY` → Graph (cnncalc/importers/torch_graph.py, issue 14), checked against torch itself.

Models are written here as torchvision writes them (torchvision is not installed in CI): a ResNet-18, a
MobileNetV2-like stack of inverted residuals, an SE gate, a concat net and seeded random branching nets. Every
expected number is torch's: the modules' own attributes and parameters, forward-hook shapes, FlopCounterMode.
"""

from __future__ import annotations

import random
import warnings
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F
from click.testing import CliRunner
from conftest import ROOT
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from torch_blocks import InvertedResidual, SqueezeExcitation

from cnncalc.analysis import analyze
from cnncalc.cli import main
from cnncalc.importers import spec_yaml, to_spec
from cnncalc.importers.graph import Graph
from cnncalc.importers.torch_graph import TORCH_HINT, TorchImportError, read, trace
from cnncalc.spec import loads_spec

# --- the models -----------------------------------------------------------------------------------------------


class BasicBlock(nn.Module):  # torchvision.models.resnet.BasicBlock
    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):  # torchvision.models.resnet.ResNet with BasicBlock
    def __init__(self, layers: tuple[int, ...] = (2, 2, 2, 2), num_classes: int = 1000) -> None:
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], 2)
        self.layer3 = self._make_layer(256, layers[2], 2)
        self.layer4 = self._make_layer(512, layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, num_classes)

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class MobileNetLike(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6(inplace=True)),
            InvertedResidual(32, 16, 1, 1), InvertedResidual(16, 24, 2, 6), InvertedResidual(24, 24, 1, 6))
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(24, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


class SENet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.se = SqueezeExcitation(16, 4)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.se(F.relu(self.conv(x)))), 1))


class ConcatNet(nn.Module):  # an inception module
    def __init__(self) -> None:
        super().__init__()
        self.b1 = nn.Conv2d(3, 8, 1)
        self.b2 = nn.Sequential(nn.Conv2d(3, 4, 1), nn.ReLU(), nn.Conv2d(4, 6, 3, padding=1))
        self.b3 = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(3, 2, 1))
        self.out = nn.Conv2d(16, 6, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.cat([self.b1(x), self.b2(x), self.b3(x)], 1))


class RandomNet(nn.Module):
    """Seeded: a stem, then residual blocks (identity or projection) and concat blocks of random convs."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        rng = random.Random(seed)
        c = rng.choice((4, 8))
        self.stem = nn.Conv2d(3, c, rng.choice((1, 3, 5)), padding="same", bias=rng.random() < 0.5)
        self.blocks = nn.ModuleList()
        self.kinds: list[str] = []
        for _ in range(rng.randint(2, 4)):
            kind = rng.choice(("residual", "concat"))
            if kind == "residual":
                width, k = rng.choice((4, 8, 12)), rng.choice((1, 3))
                stride = rng.choice((1, 2))
                body = nn.Sequential(nn.Conv2d(c, width, k, stride, k // 2, bias=False), nn.BatchNorm2d(width),
                                     nn.ReLU(), nn.Conv2d(width, c, 3, 1, 1, bias=False))
                proj = nn.Conv2d(c, c, 1, stride, bias=False) if stride != 1 else None
                self.blocks.append(nn.ModuleDict({"body": body, **({"proj": proj} if proj else {})}))
            else:
                outs = [rng.choice((2, 4, 6)) for _ in range(rng.randint(2, 3))]
                branches = [nn.Conv2d(c, o, k, padding=k // 2) for o, k in zip(outs, rng.choices((1, 3), k=3))]
                self.blocks.append(nn.ModuleDict({f"b{i}": b for i, b in enumerate(branches)}))
                c = sum(outs)
            self.kinds.append(kind)
        self.head = nn.Linear(c, 5)
        self.by_mean = seed % 2 == 0  # x.mean((2, 3)); odd seeds: adaptive_avg_pool2d(1) and flatten

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean((2, 3)) if self.by_mean else torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for kind, block in zip(self.kinds, self.blocks):
            if kind == "residual":
                shortcut = block["proj"](x) if "proj" in block else x
                x = F.relu(block["body"](x) + shortcut)
            else:
                x = torch.cat([block[k](x) for k in block], dim=1)
        return self.head(self.pooled(x))


MODELS = {"resnet18": (ResNet, (3, 64, 64)), "mobilenet": (MobileNetLike, (3, 32, 32)),
          "se": (SENet, (3, 16, 16)), "concat": (ConcatNet, (3, 15, 15)),
          **{f"random{s}": ((lambda s=s: RandomNet(s)), (3, 16, 16)) for s in range(6)}}



def module_target(name: str) -> str:
    """'layer1.0.conv1' back from the ONNX-style name a module's node gets ('/layer1/layer1.0/conv1/Conv');
    other names (a function's node, 'silu.sigmoid') as they are."""
    if not name.startswith("/"):
        return name
    target = ""
    for part in name.strip("/").split("/")[:-1]:
        target = part if target and part.startswith(target + ".") else f"{target}.{part}" if target else part
    return target


def by_module(graph: Any) -> dict[str, Any]:
    return {module_target(n.name): n for n in graph.nodes}

def meta(factory) -> nn.Module:  # type: ignore[no-untyped-def]
    with torch.device("meta"):
        return factory().eval()


def hook_shapes(model: nn.Module, size: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    """Each conv / linear module's output shape (batch 1) from a forward hook: torch's, not the graph's."""
    shapes: dict[str, tuple[int, ...]] = {}
    def record(name: str, out: torch.Tensor) -> None:  # returns None: a hook's return value replaces the output
        shapes.setdefault(name, tuple(out.shape))

    handles = [m.register_forward_hook(lambda mod, a, out, n=n: record(n, out))
               for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model(torch.empty((1, *size), device="meta"))
    for h in handles:
        h.remove()
    return shapes


def torch_macs(model: nn.Module, size: tuple[int, ...]) -> int:
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.empty((1, *size), device="meta"))
    counts = counter.get_flop_counts()["Global"]
    flops = sum(v for op, v in counts.items() if str(op).split(".")[-1] in ("convolution", "addmm", "mm"))
    assert flops == counter.get_total_flops()  # nothing else is counted in these models
    return flops // 2


def spec_of(graph: Graph):  # type: ignore[no-untyped-def]
    items, notes = to_spec.build(graph)
    return loads_spec(spec_yaml.write(graph, items, notes))


# --- the graph against the module ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", MODELS)
def test_conv_and_linear_nodes_are_the_modules(name: str) -> None:
    factory, size = MODELS[name]
    model = meta(factory)
    graph = trace(model, size, name=name)
    nodes = by_module(graph)
    shapes = hook_shapes(model, size)
    for path, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            node = nodes[path]
            assert node.op == "Conv"
            assert node.attrs["kernel_shape"] == list(m.kernel_size) and node.attrs["strides"] == list(m.stride)
            assert node.attrs["group"] == m.groups and node.attrs["dilations"] == list(m.dilation)
            if isinstance(m.padding, tuple):
                assert node.attrs["pads"] == [*m.padding, *m.padding]
            else:  # 'same', stride 1: the output keeps the input's size
                assert graph.shapes[node.outputs[0]][2:] == graph.shapes[node.inputs[0]][2:]
        elif isinstance(m, nn.Linear):
            node = nodes[path]
            assert node.op == "Gemm" and node.attrs["transB"] == 1
        else:
            continue
        assert graph.initializers[node.inputs[1]] == tuple(m.weight.shape)
        assert (len(node.inputs) > 2) == (m.bias is not None)
        if m.bias is not None:
            assert graph.initializers[node.inputs[2]] == tuple(m.bias.shape)
        assert graph.shapes[node.outputs[0]] == shapes[path]
    params = dict(model.named_parameters())
    assert {k: graph.initializers[k] for k in params} == {k: tuple(p.shape) for k, p in params.items()}
    assert graph.inputs == {"x": (1, *size)} and graph.shapes[graph.outputs[0]] == tuple(model(
        torch.empty((1, *size), device="meta")).shape)


@pytest.mark.parametrize("name", MODELS)
def test_the_imported_spec_counts_what_torch_counts(name: str) -> None:
    factory, size = MODELS[name]
    model = meta(factory)
    report = analyze(spec_of(trace(model, size, name=name)))
    assert report.totals.params == sum(p.numel() for p in model.parameters())
    assert report.totals.macs == torch_macs(model, size)
    assert report.input == size


@pytest.mark.parametrize("name", ["resnet18", "mobilenet", "se", "concat", "random1", "random3"])
def test_onnx_and_torch_import_to_the_same_numbers(name: str, tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    factory, size = MODELS[name]
    torch.manual_seed(0)
    model = factory().eval()
    path = tmp_path / f"{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(1, *size),), str(path), dynamo=False, do_constant_folding=False)
    from cnncalc.importers import onnx_graph

    a, b = analyze(spec_of(onnx_graph.read(str(path)))), analyze(spec_of(trace(model, size, name=name)))
    assert (a.totals.params, a.totals.macs, a.totals.activations) == \
        (b.totals.params, b.totals.macs, b.totals.activations)
    assert [r.output for r in a.layers if r.macs] == [r.output for r in b.layers if r.macs]


# --- the mapping, op by op ------------------------------------------------------------------------------------

class Zoo(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.same = nn.Conv2d(3, 8, 4, padding="same")
        self.reflect = nn.Conv2d(8, 8, 3, padding=1, padding_mode="reflect")
        self.up = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1)
        self.leaky = nn.LeakyReLU(0.2)
        self.elu = nn.ELU(0.5)
        self.hswish = nn.Hardswish()
        self.gelu = nn.GELU(approximate="tanh")
        self.silu = nn.SiLU()
        self.lrn = nn.LocalResponseNorm(5, 1e-4, 0.75, 2.0)
        self.gn = nn.GroupNorm(2, 4)
        self.shuffle = nn.PixelShuffle(2)
        self.resize = nn.Upsample(scale_factor=2, mode="nearest")
        self.avg = nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)
        self.maxp = nn.MaxPool2d(2, ceil_mode=True)
        self.adapt = nn.AdaptiveAvgPool2d((3, 3))
        self.cshuffle = nn.ChannelShuffle(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.hswish(self.elu(self.leaky(self.up(self.reflect(self.same(x))))))
        x = self.shuffle(self.gn(self.lrn(self.silu(self.gelu(x)))))
        return self.cshuffle(self.adapt(self.maxp(self.avg(self.resize(x)))))


def test_every_module_maps_to_its_onnx_node() -> None:
    graph = trace(meta(Zoo), (3, 12, 12))
    by = by_module(graph)
    assert by["same"].attrs["pads"] == [1, 1, 2, 2]  # torch's 'same': the extra row and column at the end
    assert [by["reflect.pad"].op, by["reflect.pad"].attrs["mode"], by["reflect"].attrs["pads"]] == \
        ["Pad", "reflect", [0, 0, 0, 0]]
    assert by["up"].op == "ConvTranspose" and by["up"].attrs["output_padding"] == [1, 1]
    assert graph.shapes[by["up"].outputs[0]] == (1, 4, 24, 24)
    assert (by["leaky"].op, by["leaky"].attrs) == ("LeakyRelu", {"alpha": 0.2})
    assert (by["elu"].op, by["elu"].attrs) == ("Elu", {"alpha": 0.5})
    assert by["hswish"].op == "HardSwish" and by["gelu"].attrs == {"approximate": "tanh"}
    assert [by["silu.sigmoid"].op, by["silu"].op] == ["Sigmoid", "Mul"]  # as exporters write SiLU
    assert by["lrn"].attrs == {"size": 5, "alpha": 1e-4, "beta": 0.75, "bias": 2.0}
    assert by["gn"].op == "GroupNormalization" and by["gn"].attrs["num_groups"] == 2
    assert by["shuffle"].attrs == {"blocksize": 2, "mode": "CRD"}
    assert by["resize"].op == "Resize" and graph.constants[by["resize"].inputs[2]] == [1.0, 1.0, 2.0, 2.0]
    assert by["avg"].attrs["ceil_mode"] == 1 and by["avg"].attrs["count_include_pad"] == 0
    assert by["maxp"].attrs["strides"] == [2, 2]
    real = meta(Zoo)
    assert graph.shapes[by["maxp"].outputs[0]] == (1, 1, 25, 25)  # 96 → avg (ceil) 49 → max (ceil) 25
    assert graph.shapes[graph.outputs[0]] == tuple(real(torch.empty(1, 3, 12, 12, device="meta")).shape)
    assert (by["adapt"].op, by["adapt"].attrs) == ("AdaptiveAvgPool", {"output_size": [3, 3]})  # 25 / 3: no pool
    even = trace(nn.AdaptiveAvgPool2d(3), (2, 12, 12)).nodes[0]
    assert (even.op, even.attrs["kernel_shape"], even.attrs["strides"]) == ("AveragePool", [4, 4], [4, 4])
    assert [by["cshuffle.split"].op, by["cshuffle.swap"].attrs["perm"], by["cshuffle"].op] == \
        ["Reshape", [0, 2, 1, 3, 4], "Reshape"]


class ConvNeXtBlock(nn.Module):  # torchvision.models.convnext.CNBlock, with its Permute module
    class Permute(nn.Module):
        def __init__(self, dims: list[int]) -> None:
            super().__init__()
            self.dims = dims

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.permute(x, self.dims)

    def __init__(self, dim: int = 8) -> None:
        super().__init__()
        self.block = nn.Sequential(nn.Conv2d(dim, dim, 7, padding=3, groups=dim), self.Permute([0, 2, 3, 1]),
                                   nn.LayerNorm(dim, eps=1e-6), nn.Linear(dim, 4 * dim), nn.GELU(),
                                   nn.Linear(4 * dim, dim), self.Permute([0, 3, 1, 2]))
        self.layer_scale = nn.Parameter(torch.ones(dim, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer_scale * self.block(x) + x


def test_convnext_permutes_become_channels_first_layers() -> None:
    graph = trace(meta(ConvNeXtBlock), (8, 14, 14))
    ops = [n.op for n in graph.nodes]
    assert "Transpose" not in ops
    by = by_module(graph)
    assert by["block.2"].op == "LayerNormalization" and by["block.2"].attrs["channels_only"] == 1
    assert by["block.3"].op == "Conv" and by["block.3"].attrs["kernel_shape"] == [1, 1]
    assert graph.shapes[by["block.3"].outputs[0]] == (1, 32, 14, 14)
    assert graph.initializers["block.3.weight"] == (32, 8) and graph.initializers["layer_scale"] == (8, 1, 1)


def test_torchvision_channel_shuffle_and_chunks() -> None:
    class Shuffle(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.branch = nn.Conv2d(4, 4, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            a, b = x.chunk(2, dim=1)
            x = torch.cat((a, self.branch(b)), dim=1)
            n, c, h, w = x.size()
            x = torch.transpose(x.view(n, 2, c // 2, h, w), 1, 2).contiguous()
            return x.view(n, -1, h, w)

    graph = trace(meta(Shuffle), (8, 6, 6))
    assert [n.op for n in graph.nodes] == ["Split", "Conv", "Concat", "Reshape", "Transpose", "Reshape"]
    split = graph.nodes[0]
    assert graph.constants[split.inputs[1]] == [4, 4] and split.attrs["axis"] == 1
    assert graph.nodes[2].inputs == (split.outputs[0], "branch")


def test_an_unsupported_node_is_named_with_its_target_and_input_shapes() -> None:
    class Net(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.cumsum(x, 1)

    with pytest.raises(TorchImportError, match=r"node cumsum \(.*cumsum.*\) on input 1x3x4x4: no cnncalc layer"):
        trace(Net(), (3, 4, 4))


def test_data_dependent_control_flow_says_to_use_onnx() -> None:
    class Net(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x if x.sum() > 0 else -x

    with pytest.raises(TorchImportError, match="cannot trace Net.*torch.onnx.export"):
        trace(Net(), (3, 4, 4))


# --- refs and the command line --------------------------------------------------------------------------------

STANDIN = "torch:tests/fixtures/standin_nets.py"


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_import_a_file_ref_end_to_end(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "standin.yaml"
    code, text = cli("import", f"{STANDIN}:matching", "--input", "32x32x3", "-o", str(out))
    assert code == 0, text
    code, text = cli("verify", str(out), "--against", f"{STANDIN}:matching")
    assert code == 0, text  # the imported spec is the module, conv by conv


def test_read_takes_the_input_as_text_or_a_tuple(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    a, b = read(f"{STANDIN}:matching", "32x32x3"), read(f"{STANDIN}:matching", (3, 32, 32))
    assert a.shapes == b.shapes and a.source == f"{STANDIN}:matching" and a.name == "matching"


@pytest.mark.parametrize(("args", "message"), [
    ((f"{STANDIN}:matching",), "has no input size of its own; give one with --input"),
    ((f"{STANDIN}:nope", "--input", "32"), "has no attribute 'nope'"),
    ((f"{STANDIN}:not_a_module", "--input", "32"), "returned int, not a torch.nn.Module"),
    ((f"{STANDIN}:broken", "--input", "32"), "calling broken() failed: RuntimeError: this factory fails on purpose"),
    (("torch:no_such_module_xyz:f", "--input", "32"), "no module named 'no_such_module_xyz'"),
    (("torch:./no/such/file.py:f", "--input", "32"), "no such file ./no/such/file.py"),
    (("torch:nofactory", "--input", "32"), "expected torch:MODULE:FACTORY"),
    ((f"{STANDIN}:matching", "--input", "32x32x1"), "on a 1x1x32x32 input failed: RuntimeError"),
])
def test_bad_refs_exit_1_with_a_clear_message(args: tuple[str, ...], message: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out = cli("import", *args)
    assert code == 1 and message in out, out
    assert "Traceback" not in out


def test_torch_missing_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setitem(__import__("sys").modules, "torch", None)
    code, out = cli("import", f"{STANDIN}:matching", "--input", "32x32x3")
    assert code == 1 and TORCH_HINT in out, out


# --- ShuffleNetV2, ConvNeXt, the newer activations: from torch.onnx.export and from torch: alike -----------------

def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:  # torchvision.models.shufflenetv2
    batchsize, num_channels, height, width = x.size()
    x = x.view(batchsize, groups, num_channels // groups, height, width)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batchsize, num_channels, height, width)


class ShuffleUnit(nn.Module):  # torchvision.models.shufflenetv2.InvertedResidual
    def __init__(self, inp: int, oup: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        half = oup // 2
        if stride > 1:
            self.branch1 = nn.Sequential(
                nn.Conv2d(inp, inp, 3, stride, 1, bias=False, groups=inp), nn.BatchNorm2d(inp),
                nn.Conv2d(inp, half, 1, 1, 0, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True))
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if stride > 1 else half, half, 1, 1, 0, bias=False), nn.BatchNorm2d(half),
            nn.ReLU(inplace=True), nn.Conv2d(half, half, 3, stride, 1, bias=False, groups=half), nn.BatchNorm2d(half),
            nn.Conv2d(half, half, 1, 1, 0, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleStage(nn.Module):  # torchvision's ShuffleNetV2 with one two-unit stage, its head `x.mean([2, 3])`
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True))
        self.stage2 = nn.Sequential(ShuffleUnit(8, 16, 2), ShuffleUnit(16, 16, 1))
        self.conv5 = nn.Sequential(nn.Conv2d(16, 32, 1, 1, 0, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True))
        self.fc = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv5(self.stage2(self.conv1(x)))
        return self.fc(x.mean([2, 3]))


class ConvNeXtNet(nn.Module):  # a stem, one torchvision CNBlock (layer_scale * block(x) + x), a keepdim mean head
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 4, 4)
        self.cnblock = ConvNeXtBlock(8)
        self.head = nn.Linear(8, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.flatten(self.cnblock(self.stem(x)).mean((2, 3), keepdim=True), 1))


class NewActivations(nn.Module):  # Mish, Softplus(beta, threshold), PReLU with 1 and C slopes, GroupNorm
    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.mish = nn.Mish()
        self.softplus = nn.Softplus(beta=2.0, threshold=10.0)
        self.prelu = nn.PReLU()
        self.c2 = nn.Conv2d(8, 8, 3, padding=1)
        self.prelu_c = nn.PReLU(8)
        self.gn = nn.GroupNorm(4, 8)
        self.plain = nn.Softplus()
        self.fc = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.prelu(self.softplus(self.mish(self.c1(x))))
        x = self.plain(self.gn(self.prelu_c(self.c2(x))))
        return self.fc(x.mean((2, 3)))


NEW = {"shufflenet_v2_stage": (ShuffleStage, (3, 32, 32)), "convnext_block": (ConvNeXtNet, (3, 32, 32)),
       "new_activations": (NewActivations, (3, 16, 16))}


def channels_first_shapes(model: nn.Module, size: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Every conv and linear output (forward hooks) without the batch; a Linear on a channels-last [N, H, W, C]
    map (ConvNeXt) as C×H×W, the order the spec's per-position fc writes it."""
    linear = {n for n, m in model.named_modules() if isinstance(m, nn.Linear)}
    out = []
    for name, shape in hook_shapes(model, size).items():
        out.append((shape[-1], *shape[1:-1]) if name in linear and len(shape) == 4 else shape[1:])
    return sorted(out)


def imported_both_ways(name: str, tmp_path: Path, **export: object) -> tuple[nn.Module, str, str]:
    """The model, the spec YAML imported from its torch.onnx.export file, and from the torch: ref of this file."""
    pytest.importorskip("onnx")
    from cnncalc.importers import onnx_graph

    factory, size = NEW[name]
    model = factory().eval()
    path = tmp_path / f"{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(1, *size),), str(path), dynamo=False, do_constant_folding=False,
                          training=torch.onnx.TrainingMode.PRESERVE, **export)
    texts = []
    for graph in (onnx_graph.read(str(path)), read(f"torch:{Path(__file__).resolve()}:{factory.__name__}", size)):
        items, notes = to_spec.build(graph)
        texts.append(spec_yaml.write(graph, items, notes))
    return model, texts[0], texts[1]


@pytest.mark.parametrize("name", NEW)
def test_new_models_count_what_torch_counts_from_onnx_and_torch(name: str, tmp_path: Path) -> None:
    model, from_onnx, from_torch = imported_both_ways(name, tmp_path, export_params=False)
    factory, size = NEW[name]
    params, macs = sum(p.numel() for p in model.parameters()), torch_macs(meta(factory), size)
    shapes = channels_first_shapes(meta(factory), size)
    for text in (from_onnx, from_torch):
        report = analyze(loads_spec(text))
        assert (report.totals.params, report.totals.macs) == (params, macs), text
        assert sorted(tuple(r.output) for r in report.layers if r.kind in ("conv", "fc")) == shapes, text


def test_shufflenet_units_are_a_concat_a_split_and_channel_shuffles(tmp_path: Path) -> None:
    _model, from_onnx, from_torch = imported_both_ways("shufflenet_v2_stage", tmp_path)
    for text in (from_onnx, from_torch):
        spec = loads_spec(text)
        assert text.count("channel_shuffle: {groups: 2}") == 2 and "concat:" in text, text
        assert "split:\n      chunks: 2\n      branches:\n" in text, text
        assert "- {name: identity1, identity: }" in text, text  # x1 passes through
        assert "global_avgpool" in text and "flatten" in text, text  # x.mean([2, 3])
        assert spec is not None


def test_convnext_layer_scale_is_scale_and_its_linears_per_position(tmp_path: Path) -> None:
    _model, from_onnx, from_torch = imported_both_ways("convnext_block", tmp_path, export_params=True)
    for text in (from_onnx, from_torch):
        assert "residual:" in text and "shortcut: identity" in text, text
        assert "fc: {units: 32, per_position: true}" in text and "scale: " in text, text
        assert "transpose" not in text.lower() and "opaque" not in text, text
        assert "folded it into the convolutions" not in text or text is from_onnx


def test_mish_softplus_prelu_groupnorm(tmp_path: Path) -> None:
    _model, from_onnx, from_torch = imported_both_ways("new_activations", tmp_path)
    for text in (from_onnx, from_torch):
        for layer in ("mish: ", "prelu: {slopes: 1}", "prelu: {slopes: channels}", "groupnorm: {groups: 4}"):
            assert layer in text, text
    assert "softplus: {beta: 2.0}" in from_onnx  # Mul(x, 2) → Softplus → Div(2), as torch exports it


def test_batch_norm_folding_is_not_claimed_for_a_traced_module() -> None:
    graph = trace(meta(ConcatNet), (3, 15, 15), source="torch:somewhere:ConcatNet")
    items, notes = to_spec.build(graph)
    assert "folded" not in spec_yaml.write(graph, items, notes)  # biased convs and no batch norm: nothing folded


def test_readme_commands_work_from_the_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, text = cli("import", "torch:examples/torch/lenet5.py:lenet5", "--input", "32x32x1")
    assert code == 0 and "{name: features_0, conv: {filters: 6, kernel: 5}}" in text, text
    assert "folded" not in text
    code, text = cli("import", "torch:examples/torch/lenet5.py:LeNet5", "--input", "32x32x1")
    assert code == 0, text
    code, text = cli("summarize", "examples/tiny.onnx")
    assert code == 0 and "Total params:        5,454" in text, text
