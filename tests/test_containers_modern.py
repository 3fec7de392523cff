"""Gates (squeeze-and-excitation), channel splits (ShuffleNetV2), crops (U-Net's crop-and-copy), `$in_channels`,
`when:` and `repeat: 0` — against the same networks written by hand in torch, as torchvision writes them.

The numbers come from outside cnncalc: torch's parameters, FlopCounterMode's conv and matmul FLOPs (2 per MAC),
forward hooks' output shapes, and the bytes autograd's saved_tensors_hooks packs (tests/test_memory_autograd.py's
oracle), on cnncalc's own torch build and on the hand-written module.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from test_memory_autograd import BATCH, autograd_saved
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from torch_blocks import InvertedResidual, SqueezeExcitation, module_saved_bytes

from cnncalc import analyze, loads_spec
from cnncalc.errors import SpecError
from cnncalc.memory import memory
from cnncalc.report.tree import build as tree
from cnncalc.symbolic import analyze_symbolic
from cnncalc.verify import verify

# --- the hand-written torch modules ----------------------------------------------------------------------------


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    b, c, h, w = x.size()
    x = x.view(b, groups, c // groups, h, w)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(b, -1, h, w)


class ShuffleUnit(nn.Module):
    """torchvision's ShuffleNetV2 InvertedResidual, stride 1: chunk, branch2 on x2, cat, channel shuffle."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        f = channels // 2
        self.branch2 = nn.Sequential(
            nn.Conv2d(f, f, 1, bias=False), nn.BatchNorm2d(f), nn.ReLU(inplace=True),
            nn.Conv2d(f, f, 3, 1, 1, groups=f, bias=False), nn.BatchNorm2d(f),
            nn.Conv2d(f, f, 1, bias=False), nn.BatchNorm2d(f), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = x.chunk(2, dim=1)
        return channel_shuffle(torch.cat((x1, self.branch2(x2)), dim=1), 2)


class UNetLevel(nn.Module):
    """One level of Ronneberger et al.'s U-Net: conv, then cat([crop(skip), up(down(skip))]), then a 1x1 conv."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.pool = nn.MaxPool2d(2)
        self.down = nn.Conv2d(4, 8, 3)
        self.up = nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.out = nn.Conv2d(8, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = torch.relu_(self.conv(x))
        y = self.up(torch.relu_(self.down(self.pool(skip))))
        top, left = (skip.shape[2] - y.shape[2]) // 2, (skip.shape[3] - y.shape[3]) // 2
        return self.out(torch.cat([skip[:, :, top:top + y.shape[2], left:left + y.shape[3]], y], dim=1))


def with_stem(channels: int, module: nn.Module) -> nn.Module:
    """A 1x1 conv first, as in the specs: the block's input needs a gradient (its own tensors are then saved)."""
    return nn.Sequential(nn.Conv2d(channels, channels, 1), module)


# --- the specs --------------------------------------------------------------------------------------------------

SE = """input: 16x16x8
layers:
  - conv: {filters: 8, kernel: 1}
  - name: se
    gate: [{adaptive_avgpool: {output: 1}}, {conv: {filters: 2, kernel: 1}}, {relu: {inplace: false}},
           {conv: {filters: 8, kernel: 1}}, sigmoid]
"""

SHUFFLE = """input: 8x8x16
layers:
  - conv: {filters: 16, kernel: 1}
  - name: unit
    split:
      chunks: 2
      branches:
        - [identity]
        - [{conv: {filters: 8, kernel: 1, bias: false}}, bn, relu,
           {conv: {groups: depthwise, kernel: 3, pad: 1, bias: false}}, bn,
           {conv: {filters: 8, kernel: 1, bias: false}}, bn, relu]
  - channel_shuffle: {groups: 2}
"""

UNET = """input: 20x20x3
layers:
  - conv: {filters: 4, kernel: 3}
  - relu
  - name: level
    concat:
      skip: [{crop: match}]
      path: [maxpool, {conv: {filters: 8, kernel: 3}}, relu, {deconv: {filters: 4, kernel: 2, stride: 2}}]
  - conv: {filters: 2, kernel: 1}
"""

MOBILE = """input: 16x16x{c}
blocks:
  body:
    args: {{t: null, out: null, stride: 1}}
    layers:
      - {{conv: {{filters: "$in_channels * $t", kernel: 1, bias: false}}, when: "$t != 1"}}
      - {{bn: , when: "$t != 1"}}
      - {{relu6: , when: "$t != 1"}}
      - conv: {{groups: depthwise, kernel: 3, stride: $stride, pad: 1, bias: false}}
      - bn
      - relu6
      - conv: {{filters: $out, kernel: 1, bias: false}}
      - bn
  inverted:
    args: {{t: null, out: null, stride: 1}}
    layers:
      - {{name: res, residual: {{body: [{{body: [$t, $out, $stride]}}]}},
         when: "$stride == 1 and $in_channels == $out"}}
      - {{name: res, body: [$t, $out, $stride], when: "$not ($stride == 1 and $in_channels == $out)"}}
layers:
  - conv: {{filters: {c}, kernel: 1}}
  - {{name: block, inverted: [{t}, {out}, {stride}]}}
"""

CASES: dict[str, tuple[str, Any, tuple[int, ...]]] = {
    "se": (SE, lambda: with_stem(8, SqueezeExcitation(8, 2)), (8, 16, 16)),
    "shufflenet": (SHUFFLE, lambda: with_stem(16, ShuffleUnit(16)), (16, 8, 8)),
    "unet": (UNET, UNetLevel, (3, 20, 20)),
    "mobilenet-t1": (MOBILE.format(c=8, t=1, out=8, stride=1), lambda: with_stem(8, InvertedResidual(8, 8, 1, 1)),
                     (8, 16, 16)),
    "mobilenet-t6": (MOBILE.format(c=8, t=6, out=8, stride=1), lambda: with_stem(8, InvertedResidual(8, 8, 1, 6)),
                     (8, 16, 16)),
    "mobilenet-t6-stride2": (MOBILE.format(c=8, t=6, out=16, stride=2),
                             lambda: with_stem(8, InvertedResidual(8, 16, 2, 6)), (8, 16, 16)),
}


def saved_bytes(net: nn.Module, shape: tuple[int, ...]) -> int:
    return module_saved_bytes(net, shape, BATCH)


def conv_shapes_and_flops(net: nn.Module, shape: tuple[int, ...]) -> tuple[list[tuple[int, ...]], int]:
    shapes: list[tuple[int, ...]] = []
    hooks = [m.register_forward_hook(lambda _m, _a, out: shapes.append(tuple(out.shape[1:])))
             for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net.eval()(torch.randn(1, *shape))
    for h in hooks:
        h.remove()
    return shapes, counter.get_total_flops()


@pytest.mark.parametrize("case", list(CASES))
def test_the_same_network_by_hand(case: str) -> None:
    text, make, shape = CASES[case]
    spec = loads_spec(text)
    report = analyze(spec, batch=BATCH)
    torch.manual_seed(0)
    net = make()
    assert report.totals.params == sum(p.numel() for p in net.parameters())
    shapes, flops = conv_shapes_and_flops(net, shape)
    assert 2 * report.totals.macs == flops  # conv and matmul FLOPs only: FlopCounterMode counts no element-wise op
    assert [r.output for r in report.layers if r.kind in ("conv", "deconv")] == shapes
    estimate = memory(report).saved_bytes
    assert estimate == autograd_saved(spec, shape)[0]  # cnncalc's own torch build
    assert estimate == saved_bytes(net, shape)  # the module as torchvision writes it
    assert verify(spec, batch=2, device="cpu").ok


def test_what_each_join_keeps() -> None:
    """The gate's product keeps both factors (the body's sigmoid result is the sigmoid's own, counted once); a
    split's chunks and a crop keep nothing; the concatenation keeps nothing."""
    report = analyze(loads_spec(SE), batch=BATCH)
    mul = next(r for r in report.layers if r.name == "se.mul")
    assert (mul.flops, mul.activations, mul.new_tensor) == (8 * 16 * 16, 8 * 16 * 16, True)
    rows = {r.name: r for r in memory(report).rows}
    assert rows["se.mul"].bytes == 8 * 16 * 16 * 4 * BATCH  # x; the gate is the sigmoid's result, kept already
    first = analyze(loads_spec(SE.replace("  - conv: {filters: 8, kernel: 1}\n", "")), batch=BATCH)
    assert {r.name: r.bytes for r in memory(first).rows}["se.mul"] == 8 * 16 * 16 * 4 * BATCH  # x needs no grad
    crop = next(r for r in analyze(loads_spec(UNET)).layers if r.kind == "crop")
    assert (crop.input, crop.output, crop.new_tensor, crop.flops) == ((4, 18, 18), (4, 14, 14), False, 0)


def test_the_gate_follows_the_input_size() -> None:
    spec = loads_spec(SE)
    for size in (16, 32, 7):
        report = analyze(spec, input_shape=(8, size, size))
        assert report.layers[-1].output == (8, size, size)
    sym = analyze_symbolic(loads_spec(SE.replace("16x16x8", "HxWx8")), (8, *loads_spec(
        SE.replace("16x16x8", "HxWx8")).input[1:]))
    assert [str(d) for d in sym.layers[-1].output] == ["8", "H", "W"]


@pytest.mark.parametrize("text", [SHUFFLE.replace("8x8x16", "HxWx16"), UNET.replace("20x20x3", "HxWx3")])
def test_symbolic_sizes_through_split_and_crop(text: str) -> None:
    spec = loads_spec(text)
    out = analyze_symbolic(spec, spec.input).layers[-1].output
    assert "H" in str(out[1])


def test_a_condition_on_a_symbolic_size_is_refused_clearly() -> None:
    spec = loads_spec("input: HxWx8\nlayers:\n  - {conv: {filters: 4, kernel: 1}, when: '$in_height > 3'}\n")
    with pytest.raises(SpecError, match="depends on a symbolic input size") as exc:
        analyze_symbolic(spec, spec.input)
    assert exc.value.line == 3 and exc.value.field == "layers[0].when"


def test_in_channels_when_and_repeat_zero() -> None:
    text = """input: 8x8x4
layers:
  - {conv: {filters: "$in_channels * 2", kernel: 1}}
  - {name: gone, repeat: 0, conv: {filters: 3, kernel: 1}}
  - {relu: , when: "$in_channels == 8"}
  - {conv: {filters: 5, kernel: 1}, when: "$in_height == 4"}
  - {conv: {filters: "$in_width", kernel: 1}, repeat: 2}
"""
    report = analyze(loads_spec(text))
    assert [(r.name, r.output) for r in report.layers] == [
        ("conv1", (8, 8, 8)), ("relu1", (8, 8, 8)), ("repeat1.0", (8, 8, 8)), ("repeat1.1", (8, 8, 8))]
    at4 = analyze(loads_spec(text), input_shape=(4, 4, 4))
    assert [r.output for r in at4.layers] == [(8, 4, 4), (8, 4, 4), (5, 4, 4), (4, 4, 4), (4, 4, 4)]


def test_a_long_repeat_of_a_deferred_block_parses_it_once() -> None:
    text = """input: 8x8x4
blocks:
  same: {layers: [{conv: {filters: $in_channels, kernel: 1}}, relu]}
layers:
  - {repeat: 2000, same: }
"""
    report = analyze(loads_spec(text))
    assert len(report.layers) == 4000 and report.layers[-1].output == (4, 8, 8)


@pytest.mark.parametrize(("text", "line", "field", "message"), [
    ("input: 8x8x4\nlayers:\n  - gate: [global_avgpool, {conv: {filters: 3, kernel: 1}}, sigmoid]\n", 3,
     "gate1", "the gate's body gives 1x1x3; to scale the input 8x8x4 it must give 1x1x4 (or 8x8x4)"),
    ("input: 8x8x5\nlayers:\n  - split: {chunks: 2, branches: [[relu], [relu]]}\n", 3, "split1",
     "5 channels do not split into 2 equal chunks"),
    ("input: 8x8x4\nlayers:\n  - crop: {size: [9, 4]}\n", 3, "crop1 (layers[0])",
     "cannot crop 8x8x4 to 9x4: the height 9 is larger than the input's 8"),
    ("input: 8x8x4\nlayers:\n  - relu\n  - crop: match\n", 4, "crop1 (layers[1])", "crop: match crops to the other branches"),
    ("input: 8x8x4\nlayers:\n  - split: {sizes: [1, 2], branches: [[relu], [relu]]}\n", 3, "split1",
     "sizes [1, 2] add up to 3, but 4 channels reach the split"),
    ("input: 8x8x4\nlayers:\n  - {relu: , when: '$1 == 2'}\n", 2, "layers", "every item here is left out"),
    ("input: 8x8x4\nlayers:\n  - conv: {filters: 4*$width, kernel: 1}\n", 3, "layers[0].conv.filters",
     'an expression is a whole string starting with $: write "$4*width"'),
    ("input: 8x8x4\nlayers:\n  - conv: {filters: width*4, kernel: 1}\n", 3, "layers[0].conv.filters",
     'write "$width*4"'),
])
def test_errors_name_the_line_and_field(  # walk errors name the row (and the spec's path), as residual's do
text: str, line: int, field: str, message: str) -> None:
    with pytest.raises(SpecError) as exc:
        analyze(loads_spec(text))
    assert message in exc.value.message
    assert (exc.value.line, exc.value.field) == (line, field)


def test_type_suggestions_come_from_what_an_item_can_be() -> None:
    for typo, hint in (("layer", "layers"), ("layerz", "layers"), ("concatt", "concat"), ("gatee", "gate")):
        with pytest.raises(SpecError, match=f"did you mean '{hint}'"):
            loads_spec(f"input: 8x8x3\nlayers: [{typo}]\n")
    with pytest.raises(SpecError) as exc:
        loads_spec("input: 8x8x3\nlayers: [qqqnorm]\n")
    assert "'layers'?" not in exc.value.message and "(layer types: " in exc.value.message
    assert "containers: layers, concat, residual, dense, gate, split" in exc.value.message


def test_the_drawing_shows_each_join() -> None:
    for text, joins in ((SE, {"mul"}), (SHUFFLE, {"concat"}), (UNET, {"concat"})):
        report = analyze(loads_spec(text))
        drawn = str(tree(report.layers, report.modules))
        kinds = {report.layers[int(j)].kind for j in __import__("re").findall(r"'j': (\d+)", drawn)}
        assert kinds == joins
