"""Imported stages folded into `blocks:` with arguments, `repeat:` and `first:` (issue 14), and only where exact.

Each model is written here (or in tests/test_import_onnx.py) as torchvision writes it, exported with torch's
TorchScript exporter without its weights, or traced from the module (`torch:`), and imported. The expected
structure is the model's own (its stages, their widths and block counts); the expected numbers are torch's:
sum(p.numel()), MACs from forward hooks on every Conv2d and Linear, and their output shapes in forward order.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

import yaml
from conftest import ROOT
from test_import_onnx import Cat, MobileNetV2, Residual, ResNet18, export, random_net
from torch import nn

from cnncalc import analyze
from cnncalc.importers import import_text, onnx_graph, spec_yaml, to_spec
from cnncalc.importers.torch_graph import trace
from cnncalc.spec import loads_spec

# --- models ---------------------------------------------------------------------------------------------------


class Bottleneck(nn.Module):  # torchvision.models.resnet.Bottleneck ("v1.5": the stride on the 3x3)
    expansion = 4

    def __init__(self, cin: int, width: int, stride: int) -> None:
        super().__init__()
        out = width * self.expansion
        self.conv1, self.bn1 = nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width)
        self.conv2, self.bn2 = nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width)
        self.conv3, self.bn3 = nn.Conv2d(width, out, 1, bias=False), nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != out:
            self.downsample = nn.Sequential(nn.Conv2d(cin, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


BOTTLENECK_STAGES = ((16, 3), (32, 4), (64, 6), (128, 3))  # ResNet-50's block counts at a quarter of its widths


class BottleneckResNet(nn.Module):  # torchvision.models.resnet.ResNet with Bottleneck, layers [3, 4, 6, 3]
    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 16, 7, 2, 3, bias=False), nn.BatchNorm2d(16)
        self.relu, self.maxpool = nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)
        cin = 16
        for i, (width, count) in enumerate(BOTTLENECK_STAGES):
            blocks = []
            for j in range(count):
                blocks.append(Bottleneck(cin, width, 2 if j == 0 and i > 0 else 1))
                cin = width * 4
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.avgpool, self.fc = nn.AdaptiveAvgPool2d(1), nn.Linear(cin, 10)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class Projected(nn.Module):
    """body(x) + proj(x), proj a 1x1 conv (+ BN) with the body's stride: `auto`'s projection, or with a bias not."""

    def __init__(self, body: nn.Module, cin: int, cout: int, stride: int, bias: bool) -> None:
        super().__init__()
        self.body = body
        self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=bias), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.body(x)
        return out + self.proj(x)


def stage_net(seed: int) -> nn.Module:
    """A seeded block recipe (convs, residuals, concats nested two deep) used in three or four stages of different
    widths, each stage's first use with stride 2 or 1: the repeated-but-not-identical uses folding must handle."""
    rng = random.Random(seed)

    def recipe(depth: int) -> tuple[Any, ...]:
        kind = rng.choice(["residual", "concat"] if depth == 0 else ["conv", "conv", "residual", "concat"]
                          if depth < 2 else ["conv"])
        if kind == "conv":
            return ("conv", rng.choice([1, 3, 5]), rng.choice([1, 2]), rng.random() < 0.3, rng.random() < 0.2)
        return (kind, [recipe(depth + 1) for _ in range(rng.randint(1, 2) if kind == "residual" else 2)],
                rng.random() < 0.3)

    def build(r: tuple[Any, ...], cin: int, width: int, stride: int) -> tuple[nn.Module, int]:
        if r[0] == "conv":
            _kind, k, mult, bias, depthwise = r
            out = cin if depthwise else width * mult
            return nn.Sequential(nn.Conv2d(cin, out, k, stride, k // 2, groups=cin if depthwise else 1, bias=bias),
                                 nn.BatchNorm2d(out), nn.ReLU()), out
        kind, parts, biased = r
        if kind == "concat":
            branches = [build(p, cin, width, stride) for p in parts]
            return Cat(*(m for m, _ in branches)), sum(c for _, c in branches)
        layers, c = [], cin
        for i, p in enumerate(parts):
            m, c = build(p, c, width, stride if i == 0 else 1)
            layers.append(m)
        cout = width * 2
        layers.append(nn.Conv2d(c, cout, 1))
        if stride == 1 and cin == cout:
            return Residual(nn.Sequential(*layers)), cout
        return Projected(nn.Sequential(*layers), cin, cout, stride, biased), cout

    block = recipe(0)
    layers: list[nn.Module] = [nn.Conv2d(3, 8, 3, padding=1)]
    c = 8
    for width in rng.sample([4, 6, 8, 12], rng.randint(3, 4)):
        for j in range(rng.randint(1, 3)):
            m, c = build(block, c, width, rng.choice([1, 2]) if j == 0 else 1)
            layers.append(m)
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 5)]
    return nn.Sequential(*layers)


# --- torch's numbers and ours ---------------------------------------------------------------------------------


def torch_counts(model: nn.Module, size: int) -> tuple[int, int, list[tuple[int, ...]]]:
    """params, conv + linear MACs, and each conv / linear output (C, H, W) in forward order, from hooks."""
    model = model.eval()
    shapes: list[tuple[int, ...]] = []
    macs = [0]

    def hook(m: nn.Module, args: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        per_sample = out.numel() // out.shape[0]
        if isinstance(m, nn.Conv2d):
            macs[0] += per_sample * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        else:
            macs[0] += per_sample * m.in_features
        shapes.append(tuple(out.shape[1:]))

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size, device=next(model.parameters()).device))
    for h in handles:
        h.remove()
    return sum(p.numel() for p in model.parameters()), macs[0], shapes


def spec_counts(text: str) -> tuple[int, int, list[tuple[int, ...]]]:
    report = analyze(loads_spec(text))
    return report.totals.params, report.totals.macs, [tuple(r.output) for r in report.layers
                                                      if r.kind in ("conv", "fc")]


def stages(text: str) -> list[dict[str, Any]]:
    """The top-level items that use a block."""
    data = yaml.safe_load(text)
    return [item for item in data["layers"] if any(k in data.get("blocks") or {} for k in item)]


def without_names(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_names(v) for k, v in value.items() if k != "name"}
    if isinstance(value, list):
        return [without_names(v) for v in value]
    return value


MODELS = {"resnet18": (ResNet18, 64), "bottleneck": (BottleneckResNet, 64), "mobilenet_v2": (MobileNetV2, 64)}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[nn.Module, int, str]]:
    folder = tmp_path_factory.mktemp("blocks")
    torch.manual_seed(0)
    out = {}
    for name, (factory, size) in MODELS.items():
        model = factory().eval()
        out[name] = (model, size, import_text(export(model, folder / f"{name}.onnx", size))[0])
    return out


@pytest.mark.parametrize("name", list(MODELS))
def test_the_folded_spec_counts_what_torch_counts(imported, name: str) -> None:
    model, size, text = imported[name]
    assert "blocks:" in text, text
    assert spec_counts(text) == torch_counts(model, size)


def test_resnet18_stages_are_one_basic_block(imported) -> None:
    text = imported["resnet18"][2]
    data = yaml.safe_load(text)
    assert list(data["blocks"]) == ["basic"]
    assert data["blocks"]["basic"]["args"] == {"width": None, "stride": 1}
    assert data["blocks"]["basic"]["residual"]["shortcut"] == "auto"
    assert stages(text) == [{"name": "layer1", "repeat": 2, "basic": {"width": 64}},
                            *({"name": f"layer{i}", "repeat": 2, "basic": {"width": w}, "first": {"stride": 2}}
                              for i, w in ((2, 128), (3, 256), (4, 512)))]
    assert len(data["layers"]) == 4 + 4 + 3  # stem (conv, bn, relu, maxpool), four stages, pool, flatten, fc


def test_bottleneck_stages_read_like_resnet50_yaml(imported) -> None:
    text = imported["bottleneck"][2]
    data = yaml.safe_load(text)
    assert list(data["blocks"]) == ["bottleneck"]
    body = data["blocks"]["bottleneck"]["residual"]["body"]
    assert [c["conv"]["filters"] for c in body if "conv" in c] == ["$width", "$width", "$width * 4"]
    assert [c["conv"].get("stride") for c in body if "conv" in c] == [None, "$stride", None]  # torchvision's v1.5
    want = [{"name": "layer1", "repeat": 3, "bottleneck": {"width": 16}}]
    want += [{"name": f"layer{i + 1}", "repeat": n, "bottleneck": {"width": w}, "first": {"stride": 2}}
             for i, (w, n) in enumerate(BOTTLENECK_STAGES) if i]
    assert stages(text) == want
    assert len(data["layers"]) == 4 + 4 + 3


def test_mobilenet_v2_inverted_residuals_share_one_block(imported) -> None:
    text = imported["mobilenet_v2"][2]
    data = yaml.safe_load(text)
    assert list(data["blocks"]) == ["inverted"]
    convs = [c["conv"] for c in data["blocks"]["inverted"]["residual"]["body"] if "conv" in c]
    assert [c["filters"] for c in convs] == ["$width * 6", "$width * 6", "$width"]  # expand t = 6, then project
    assert convs[1]["groups"] == "$width * 6"  # depthwise
    # torchvision's residual blocks: the stages' blocks after the first, (channels, count)
    want = [(24, 1), (32, 2), (64, 3), (96, 2), (160, 2)]
    assert [(s["inverted"]["width"], s.get("repeat", 1)) for s in stages(text)] == want


def test_the_torch_import_folds_the_same(imported) -> None:
    """A traced module has no scope names (its rows are bottleneck1, ...), but the same blocks and stages."""
    for name in ("resnet18", "bottleneck"):
        model, size, from_onnx = imported[name]
        graph = trace(copy.deepcopy(model), (3, size, size), name=name)  # trace moves the module to meta
        items, notes = to_spec.build(graph)
        from_torch = spec_yaml.write(graph, items, notes)
        a, b = yaml.safe_load(from_onnx), yaml.safe_load(from_torch)
        assert without_names(a["blocks"]) == without_names(b["blocks"])
        assert without_names(a["layers"]) == without_names(b["layers"])
        assert spec_counts(from_torch) == torch_counts(model, size)


def test_the_doc_example_is_real_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/import.md shows ResNet-50 (benchmarks/bench_import.py's, torchvision's layers) imported: this is it."""
    monkeypatch.chdir(ROOT)
    page = (ROOT / "docs/import.md").read_text()
    shown = page.split("## Stages become blocks", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    text, _ = import_text("torch:benchmarks/bench_import.py:ResNet50", input_size="224x224x3")
    assert shown == text
    assert analyze(loads_spec(text)).totals.params == 25_557_032  # torchvision's resnet50: 25,557,032 parameters


def test_a_dynamic_input_folds_and_counts_at_any_size(tmp_path: Path) -> None:
    """Dynamic H and W (input: HxWx3): folded (checked at 224), and exact at the size given later."""
    model = ResNet18().eval()
    path = export(model, tmp_path / "dynamic.onnx", 64, input_names=["x"], dynamic_axes={"x": {0: "N", 2: "H", 3: "W"}})
    text = import_text(path)[0]
    assert "input: HxWx3" in text and len(stages(text)) == 4, text
    for size in (64, 96):
        assert spec_counts(text.replace("input: HxWx3", f"input: {size}x{size}x3")) == torch_counts(model, size)


# --- folding never changes a number -------------------------------------------------------------------------------


def exact_fold(monkeypatch: pytest.MonkeyPatch) -> None:
    """The folded spec written without the writer's check, so that these tests see the folding itself."""
    monkeypatch.setattr(spec_yaml, "_same_numbers", lambda plain, folded: True)


@pytest.mark.parametrize("seed", range(12))
def test_stage_nets_fold_exactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    exact_fold(monkeypatch)
    torch.manual_seed(seed)
    model = stage_net(seed)
    text = import_text(export(model, tmp_path / "stages.onnx", 32))[0]
    params, macs, shapes = torch_counts(model, 32)
    ours = spec_counts(text)
    assert ours[:2] == (params, macs), text
    assert sorted(ours[2]) == sorted(shapes), text  # a concat's branches may be written in another order


def test_most_stage_nets_fold(tmp_path: Path) -> None:
    folded = 0
    for seed in range(12):
        text = import_text(export(stage_net(seed), tmp_path / f"s{seed}.onnx", 32))[0]
        folded += "blocks:" in text and bool(stages(text))
    assert folded >= 9, folded


@pytest.mark.parametrize("seed", range(6))
def test_random_branching_nets_fold_exactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    exact_fold(monkeypatch)
    model, _channels = random_net(seed)
    text = import_text(export(model, tmp_path / "random.onnx", 16))[0]
    params, macs, shapes = torch_counts(model, 16)
    ours = spec_counts(text)
    assert ours[:2] == (params, macs) and sorted(ours[2]) == sorted(shapes), text


# --- the check behind the folding ----------------------------------------------------------------------------------


def test_a_fold_that_changes_a_number_is_not_written(imported, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A block that would count wrong (here its first conv's width broken on purpose) is not written: the writer
    analyses both specs and writes the unfolded one."""
    from cnncalc.importers import blocks_fold

    real = blocks_fold.fold

    def broken(items, shapes):  # type: ignore[no-untyped-def]
        blocks, uses = real(items, shapes)
        for block in blocks:
            block.body.parts["body"][0].opts["filters"] = 3  # the first conv's width, wrong
        return blocks, uses

    monkeypatch.setattr(blocks_fold, "fold", broken)
    model, size, _text = imported["resnet18"]
    graph = onnx_graph.read(export(model, tmp_path / "r18.onnx", size))
    items, notes = to_spec.build(graph)
    text = spec_yaml.write(graph, items, notes)
    assert "blocks:" not in text and "residual:" in text
    assert spec_counts(text) == torch_counts(model, size)


def test_auto_is_only_written_for_the_projection_it_builds(tmp_path: Path) -> None:
    """A projection with a bias is not the one `auto` builds (1x1 conv without bias, batch norm): those blocks keep
    their explicit shortcut and fold apart from the identity ones, and the numbers stay torch's."""
    model = ResNet18().eval()
    for block in (model.layer2[0], model.layer3[0], model.layer4[0]):
        conv = block.downsample[0]
        block.downsample[0] = nn.Conv2d(conv.in_channels, conv.out_channels, 1, conv.stride, bias=True)
    text = import_text(export(model, tmp_path / "biased.onnx", 64))[0]
    assert "shortcut: auto" not in text and "downsample_0" in text, text
    data = yaml.safe_load(text)
    # the identity blocks of every stage (width), and the projecting firsts of layer2..4 (width, stride)
    assert [b["residual"]["shortcut"] if isinstance(b["residual"]["shortcut"], str) else "layers"
            for b in data["blocks"].values()] == ["identity", "layers"]
    assert len(data["layers"]) == 4 + (1 + 3 * 2) + 3
    assert spec_counts(text) == torch_counts(model, 64)
