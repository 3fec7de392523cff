"""The newer leaf layer types (issue 13) against PyTorch itself: params and buffers are torch's own count of the
real module, shapes torch's forward, saved bytes the autograd oracle of tests/test_memory_autograd.py, MACs
FlopCounterMode's count. No expected number is pasted from cnncalc's output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

torch = pytest.importorskip("torch")

import torch.nn.functional as F
from test_memory_autograd import autograd_saved
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from cnncalc import analyze, loads_spec
from cnncalc.errors import SpecError
from cnncalc.memory import memory
from cnncalc.spec.symbolic_input import parse_symbolic_input
from cnncalc.symbolic import analyze_symbolic
from cnncalc.verify import verify

MAP = (8, 6, 5)  # C, H, W (non-square on purpose)


def spec_of(layers: list[Any], shape: tuple[int, ...] = MAP) -> str:
    return yaml.safe_dump({"input": list(shape), "layers": layers}, default_flow_style=True, width=10**6)


def ln2d(c: int, **kw: Any) -> nn.Module:
    class LayerNorm2d(nn.LayerNorm):  # as torchvision.models.convnext writes it
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = x.permute(0, 2, 3, 1)
            x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
            return x.permute(0, 3, 1, 2)

    return LayerNorm2d(c, **kw)


class ChannelsLastLinear(nn.Module):  # torchvision's CNBlock: Permute → ... → Linear → ... → Permute
    def __init__(self, c: int, units: int, bias: bool = True) -> None:
        super().__init__()
        self.linear = nn.Linear(c, units, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class LayerScale(nn.Module):  # torchvision's CNBlock: self.layer_scale * result
    def __init__(self, c: int) -> None:
        super().__init__()
        self.layer_scale = nn.Parameter(torch.ones(c, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer_scale * x


# (YAML layer, input shape, the real torch module for that input)
CASES: list[tuple[Any, tuple[int, ...], Callable[[], nn.Module]]] = [
    ("relu6", MAP, lambda: nn.ReLU6()),
    ({"relu6": {"inplace": False}}, MAP, lambda: nn.ReLU6()),
    ("hardswish", MAP, lambda: nn.Hardswish()),
    ({"hardswish": {"inplace": False}}, MAP, lambda: nn.Hardswish()),
    ("hardsigmoid", MAP, lambda: nn.Hardsigmoid()),
    ({"hardsigmoid": {"inplace": True}}, MAP, lambda: nn.Hardsigmoid()),
    ("silu", MAP, lambda: nn.SiLU()),
    ({"swish": {"inplace": False}}, MAP, lambda: nn.SiLU()),
    ("gelu", MAP, lambda: nn.GELU()),
    ({"gelu": {"approximate": "tanh"}}, MAP, lambda: nn.GELU(approximate="tanh")),
    ("mish", MAP, lambda: nn.Mish()),
    ({"mish": {"inplace": True}}, MAP, lambda: nn.Mish()),
    ("prelu", MAP, lambda: nn.PReLU()),
    ({"prelu": {"slopes": "channels"}}, MAP, lambda: nn.PReLU(8)),
    ({"prelu": {"slopes": "channels"}}, (12,), lambda: nn.PReLU(12)),
    ("softplus", MAP, lambda: nn.Softplus()),
    ({"softplus": {"beta": 2, "threshold": 10}}, MAP, lambda: nn.Softplus(beta=2, threshold=10)),
    ("identity", MAP, lambda: nn.Identity()),
    ("layernorm", MAP, lambda: ln2d(8)),
    ({"layernorm": {"eps": 1.0e-6, "affine": False}}, MAP, lambda: ln2d(8, eps=1e-6, elementwise_affine=False)),
    ("layernorm", (12,), lambda: nn.LayerNorm(12)),
    ({"groupnorm": {"groups": 4}}, MAP, lambda: nn.GroupNorm(4, 8)),
    ({"groupnorm": {"groups": 2, "affine": False}}, MAP, lambda: nn.GroupNorm(2, 8, affine=False)),
    ({"groupnorm": {"groups": 3}}, (12,), lambda: nn.GroupNorm(3, 12)),
    ("instancenorm", MAP, lambda: nn.InstanceNorm2d(8)),
    ({"instancenorm": {"affine": True}}, MAP, lambda: nn.InstanceNorm2d(8, affine=True)),
    ({"instancenorm": {"track_running_stats": True}}, MAP, lambda: nn.InstanceNorm2d(8, track_running_stats=True)),
    ({"instancenorm": {"affine": True, "track_running_stats": True}}, MAP,
     lambda: nn.InstanceNorm2d(8, affine=True, track_running_stats=True)),
    ("scale", MAP, lambda: LayerScale(8)),
    ({"channel_shuffle": {"groups": 4}}, MAP, lambda: nn.ChannelShuffle(4)),
    ({"droppath": {"p": 0.5}}, MAP, lambda: nn.Identity()),  # shapes/params only; training: test_saved below
    ({"stochastic_depth": {"p": 0.5, "mode": "batch"}}, MAP, lambda: nn.Identity()),
    ({"dropout": {"p": 0.5, "inplace": True}}, MAP, lambda: nn.Dropout(0.5, inplace=True)),
    ("upsample", MAP, lambda: nn.Upsample(scale_factor=2)),
    ({"upsample": {"scale": [2, 3], "mode": "bilinear"}}, MAP, lambda: nn.Upsample(scale_factor=(2, 3), mode="bilinear")),
    ({"upsample": {"size": [7, 9], "mode": "bilinear", "align_corners": True}}, MAP,
     lambda: nn.Upsample(size=(7, 9), mode="bilinear", align_corners=True)),
    ({"pixel_shuffle": {"factor": 2}}, MAP, lambda: nn.PixelShuffle(2)),
    ({"adaptive_maxpool": {"output": [4, 3]}}, MAP, lambda: nn.AdaptiveMaxPool2d((4, 3))),
    ({"adaptive_maxpool": {"output": 1}}, MAP, lambda: nn.AdaptiveMaxPool2d(1)),
    ("global_maxpool", MAP, lambda: nn.AdaptiveMaxPool2d(1)),
    ({"fc": {"units": 16, "per_position": True}}, MAP, lambda: ChannelsLastLinear(8, 16)),
    ({"fc": {"units": 3, "per_position": True, "bias": False}}, MAP, lambda: ChannelsLastLinear(8, 3, bias=False)),
]
IDS = [yaml.safe_dump(c[0], default_flow_style=True).strip() + f"@{c[1]}" for c in CASES]


@pytest.mark.parametrize(("item", "shape", "make"), CASES, ids=IDS)
def test_params_buffers_and_shape_are_torchs(item: Any, shape: tuple[int, ...], make: Callable[[], nn.Module]) -> None:
    module = make()
    row = analyze(loads_spec(spec_of([item], shape))).layers[0]
    assert row.params == sum(p.numel() for p in module.parameters())
    assert row.buffers == sum(b.numel() for b in module.buffers())
    module.eval()
    with torch.no_grad():
        out = module(torch.randn(2, *shape))
    assert tuple(row.output) == tuple(out.shape[1:])


def saved_matches(layers: list[Any], shape: tuple[int, ...] = MAP) -> int:
    spec = loads_spec(spec_of(layers, shape))
    estimate = memory(analyze(spec, batch=2))
    real, log = autograd_saved(spec, shape)
    rows = [f"{r.name}: {r.bytes} {', '.join(r.kept)}" for r in estimate.rows if r.bytes]
    assert estimate.saved_bytes == real, "\n".join(rows) + "\nautograd:\n" + "\n".join(log)
    return real


@pytest.mark.parametrize(("item", "shape", "make"), CASES, ids=IDS)
def test_saved_bytes_match_autograd(item: Any, shape: tuple[int, ...], make: Callable[[], nn.Module]) -> None:
    """Each type behind a layer with weights (so that its input needs a gradient), and the same layer alone."""
    first = {"conv": {"filters": shape[0], "kernel": 1}} if len(shape) == 3 else {"fc": {"units": shape[0]}}
    saved_matches([first, item], shape)
    saved_matches([item, first], shape)  # nothing before the weights needs a gradient: nothing kept


# In-place layers whose input another layer keeps, and the other subtle orders: each must stay exact to the byte.
SUBTLE = [
    ["sigmoid", "relu6"],  # sigmoid keeps its result; in-place relu6 keeps its own copy of it
    ["relu", {"silu": {"inplace": True}}],
    ["sigmoid", "relu"],  # in-place relu keeps the result: sigmoid's, the same memory, counted once
    ["relu", {"fc": {"units": 4, "per_position": True}}],  # relu's result and the fc's channels-last copy: two
    ["sigmoid", {"dropout": {"p": 0.5, "inplace": True}}, "relu"],
    [{"fc": {"units": 4, "per_position": True}}, "relu", {"fc": {"units": 3, "per_position": True}}],
    [{"layernorm": {"eps": 1.0e-6}}, {"fc": {"units": 16, "per_position": True}}, "gelu",
     {"fc": {"units": 8, "per_position": True}}, "scale", {"droppath": {"p": 0.3}}],  # ConvNeXt's block body
    ["bn", "hardswish", {"conv": {"filters": 8, "kernel": 1}}, "hardsigmoid"],
    [{"droppath": {"p": 0.5, "mode": "batch"}}, "relu"],
    ["relu", {"upsample": {"scale": 2, "mode": "bilinear"}}, {"pixel_shuffle": {"factor": 2}},
     {"channel_shuffle": {"groups": 2}}, "global_maxpool"],
    [{"fc": {"units": 4, "per_position": True}}, "global_avgpool", {"fc": {"units": 5, "per_position": True}}],
]


@pytest.mark.parametrize("body", SUBTLE, ids=[str(i) for i in range(len(SUBTLE))])
def test_subtle_orders_match_autograd(body: list[Any]) -> None:
    saved_matches([{"conv": {"filters": 8, "kernel": 3, "pad": 1}}, *body])


def test_in_place_keeps_a_copy_where_autograd_makes_one() -> None:
    """In-place relu6 keeps a copy of its input (measured), so it saves no training memory over out of place."""
    head = [{"conv": {"filters": 8, "kernel": 1}}, "sigmoid"]
    assert saved_matches([*head, "relu6"]) == saved_matches([*head, {"relu6": {"inplace": False}}]) + 2 * 8 * 6 * 5 * 4
    # ... while in-place relu keeps sigmoid's result, which sigmoid keeps already
    assert saved_matches([*head, "relu"]) == saved_matches(head)


def test_residual_convnext_block_matches_autograd() -> None:
    block = {"residual": {"body": [{"conv": {"groups": "depthwise", "kernel": 7, "pad": 3}},
                                   {"layernorm": {"eps": 1.0e-6}}, {"fc": {"units": 32, "per_position": True}},
                                   "gelu", {"fc": {"units": 8, "per_position": True}}, "scale",
                                   {"droppath": {"p": 0.1}}], "shortcut": "identity"}}
    saved_matches([{"conv": {"filters": 8, "kernel": 1}}, block, {"layernorm": {"eps": 1.0e-6}}])


def test_verify_builds_every_new_type() -> None:
    layers = [{"conv": {"filters": 8, "kernel": 3, "pad": 1}}, "relu6", {"hardswish": {"inplace": False}},
              {"gelu": {"approximate": "tanh"}}, {"layernorm": {"eps": 1.0e-6}},
              {"fc": {"units": 16, "per_position": True}}, "silu", {"fc": {"units": 8, "per_position": True}},
              "scale", {"droppath": {"p": 0.2}}, {"groupnorm": {"groups": 2}},
              {"instancenorm": {"affine": True, "track_running_stats": True}}, {"prelu": {"slopes": "channels"}},
              {"channel_shuffle": {"groups": 2}}, {"pixel_shuffle": {"factor": 2}},
              {"upsample": {"mode": "bilinear", "scale": 2}}, "mish", {"softplus": {"beta": 2}}, "identity",
              {"adaptive_maxpool": {"output": 3}}, "global_maxpool", "flatten", {"fc": {"units": 10}}, "layernorm",
              {"prelu": {"slopes": "channels"}}, {"dropout": {"p": 0.3, "inplace": True}}, "hardsigmoid"]
    result = verify(loads_spec(spec_of(layers)), device="cpu", batch=2)
    bad = [(r.name, r.mismatches) for r in result.failed]
    assert result.ok and not bad, bad


@pytest.mark.parametrize("hw", [(6, 5), (1, 1)])
def test_per_position_fc_macs_are_flop_counters(hw: tuple[int, int]) -> None:
    c, units = 8, 24
    linear = nn.Linear(c, units)
    with FlopCounterMode(display=False) as counter:
        linear(torch.randn(1, *hw, c))  # channels last, as ConvNeXt applies it
    row = analyze(loads_spec(spec_of([{"fc": {"units": units, "per_position": True}}], (c, *hw)))).layers[0]
    assert 2 * row.macs == counter.get_total_flops()
    assert row.params == sum(p.numel() for p in linear.parameters())
    assert "linear over channels" in loads_spec(spec_of([{"fc": {"units": 4, "per_position": True}}])).layers[0].describe()


BAD = [
    ({"gelu": {"approximate": "fast"}}, "approximate"),
    ({"gelu": {"inplace": True}}, "inplace"),
    ({"softplus": {"inplace": True}}, "inplace"),
    ({"prelu": {"slopes": 3}}, "slopes"),
    ({"softplus": {"beta": 0}}, "beta"),
    ({"groupnorm": {"groups": 0}}, "groups"),
    ({"groupnorm": {}}, "groups"),
    ({"layernorm": {"eps": -1}}, "eps"),
    ({"instancenorm": {"affine": "yes"}}, "affine"),
    ({"channel_shuffle": {"groups": 1.5}}, "groups"),
    ({"droppath": {"p": 1.0}}, "p"),
    ({"droppath": {"p": 0.1, "mode": "col"}}, "mode"),
    ({"droppath": {}}, "p"),
    ({"dropout": {"inplace": 1}}, "inplace"),
    ({"upsample": {"mode": "bicubic", "scale": 2}}, "mode"),
    ({"upsample": {"scale": 2, "size": [4, 4]}}, "size"),
    ({"upsample": {"scale": 2, "align_corners": True}}, "align_corners"),
    ({"upsample": {"scale": 1.5}}, "scale"),
    ({"pixel_shuffle": {"factor": 0}}, "factor"),
    ({"adaptive_maxpool": {"output": [1, 2, 3]}}, "output"),
    ({"fc": {"units": 4, "per_position": "yes"}}, "per_position"),
    ({"scale": {"init": 1}}, "init"),
]


@pytest.mark.parametrize(("item", "field"), BAD, ids=[f"{next(iter(i))}.{f}" for i, f in BAD])
def test_bad_options_name_line_and_field(item: dict[str, Any], field: str) -> None:
    text = f"input: 6x5x8\nlayers:\n  - conv3-8\n  - {yaml.safe_dump(item, default_flow_style=True).strip()}\n"
    with pytest.raises(SpecError) as info:
        analyze(loads_spec(text))
    kind = next(iter(item))
    assert info.value.line == 4
    assert info.value.field == f"layers[1].{kind}.{field}", info.value.field


SHAPE_ERRORS = [
    ({"groupnorm": {"groups": 3}}, "divisible"),
    ({"channel_shuffle": {"groups": 3}}, "divisible"),
    ({"pixel_shuffle": {"factor": 3}}, "divisible"),
    ({"fc": {"units": 4, "per_position": True, "in_features": 9}}, "in_features"),
]


@pytest.mark.parametrize(("item", "words"), SHAPE_ERRORS, ids=[str(i) for i in range(len(SHAPE_ERRORS))])
def test_shape_errors_name_the_layer(item: dict[str, Any], words: str) -> None:
    with pytest.raises(SpecError) as info:
        analyze(loads_spec(spec_of([item])))
    assert words in str(info.value) and info.value.line is not None


@pytest.mark.parametrize("item", ["instancenorm", "upsample", {"pixel_shuffle": {"factor": 2}},
                                  {"fc": {"units": 4, "per_position": True}}, "global_maxpool"])
def test_map_only_types_refuse_a_vector(item: Any) -> None:
    if item == "upsample":
        item = {"upsample": {"scale": 2}}
    with pytest.raises(SpecError, match="feature map"):
        analyze(loads_spec(spec_of([item], (12,))))


def test_symbolic_sizes_go_through_every_new_type() -> None:
    layers = [{"conv": {"filters": 8, "kernel": 3, "pad": 1}}, "relu6", "gelu", "layernorm",
              {"fc": {"units": 16, "per_position": True}}, "scale", {"droppath": {"p": 0.1}},
              {"groupnorm": {"groups": 4}}, "instancenorm", {"channel_shuffle": {"groups": 2}},
              {"pixel_shuffle": {"factor": 2}}, {"upsample": {"scale": 2}}, {"adaptive_maxpool": {"output": 2}},
              {"upsample": {"size": [4, 4]}}, "global_maxpool", "flatten", {"fc": {"units": 3}}]
    report = analyze_symbolic(loads_spec(spec_of(layers, (3, 32, 32))), parse_symbolic_input("HxWx3"))
    by_name = {r.name: r for r in report.layers}
    assert str(by_name["pixel_shuffle1"].output[1]) == "2*H"
    assert str(by_name["upsample1"].output[2]) == "4*W"
    assert tuple(by_name["upsample2"].output) == (4, 4, 4)  # `size` gives numbers again
    assert str(by_name["fc1"].macs) == "128*H*W"


def test_the_example_in_spec_md_holds() -> None:
    """docs/spec.md's "Modern layer types" example: it parses, and torch builds it with the same numbers."""
    from conftest import ROOT

    page = (ROOT / "docs" / "spec.md").read_text()
    text = page.split("## Modern layer types", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    spec = loads_spec("input: 64x64x3\n" + text)
    result = verify(spec, device="meta")
    assert result.ok, [(r.name, r.mismatches) for r in result.failed]
    small = loads_spec("input: 32x32x3\n" + text)
    assert memory(analyze(small, batch=2)).saved_bytes == autograd_saved(small, (3, 32, 32))[0]
