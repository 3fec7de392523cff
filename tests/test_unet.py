"""The zoo's U-Net (specs/unet.yaml) against the same network written by hand in torch.

Ronneberger, Fischer & Brox, "U-Net: Convolutional Networks for Biomedical Image Segmentation" (MICCAI 2015),
Fig. 1: valid 3x3 convs + ReLU, 2x2 max pools, 2x2 up-convolutions halving the channels, the contracting path's
maps centre-cropped and concatenated before the up-convolution's output, a 1x1 conv to 2 classes; 572x572x1 in,
388x388x2 out, 31,030,658 params (the figure usually given for it with biases). Not a torchvision model, so it
is not in tests/test_zoo_torchvision.py.

The numbers the spec is checked against come from outside cnncalc: the hand-written module's parameters, its
forward hooks' output shapes and FlopCounterMode's convolution FLOPs (on the meta device at 572: shapes and
counts, nothing computed), and the bytes autograd's saved_tensors_hooks packs in train mode (the oracle of
tests/test_memory_autograd.py, on the hand-written module and on cnncalc's own torch build) at 188x188, the
smallest side that works: a valid-conv U-Net takes 16n + 124 (n >= 4, the bottom map's side; 572 is n = 28),
where every map is even before it is pooled and the output is at least 1x1 (188 gives 4x4).
"""

from __future__ import annotations

import pytest
import torch
from conftest import SPECS
from test_memory_autograd import BATCH, autograd_saved
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from torch_blocks import module_saved_bytes

from cnncalc import analyze, load_spec
from cnncalc.memory import memory
from cnncalc.verify import verify

SPEC = load_spec(SPECS / "unet.yaml")
PAPER_PARAMS = 31_030_658
SMALL = (1, 188, 188)  # the smallest input that works (n = 4): every pooled map even, a 4x4 output


def double_conv(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3), nn.ReLU(inplace=True), nn.Conv2d(c_out, c_out, 3),
                         nn.ReLU(inplace=True))


def crop_to(skip: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """The centre crop of `skip` to the height and width of `like` (the paper's "copy and crop")."""
    h, w = like.shape[2], like.shape[3]
    top, left = (skip.shape[2] - h) // 2, (skip.shape[3] - w) // 2
    return skip[:, :, top:top + h, left:left + w]


class UNet(nn.Module):
    """Fig. 1 of the paper, written out as one would by hand."""

    def __init__(self, channels: int = 1, classes: int = 2) -> None:
        super().__init__()
        widths = [64, 128, 256, 512, 1024]
        self.down = nn.ModuleList()
        c = channels
        for w in widths:
            self.down.append(double_conv(c, w))
            c = w
        self.pool = nn.MaxPool2d(2, 2)
        self.upconv = nn.ModuleList()
        self.up = nn.ModuleList()
        for w in reversed(widths[:-1]):  # 512, 256, 128, 64
            self.upconv.append(nn.ConvTranspose2d(c, w, 2, stride=2))
            self.up.append(double_conv(2 * w, w))
            c = w
        self.out = nn.Conv2d(c, classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, level in enumerate(self.down):
            x = level(x)
            if i < len(self.down) - 1:
                skips.append(x)
                x = self.pool(x)
        for upconv, level, skip in zip(self.upconv, self.up, reversed(skips), strict=True):
            x = upconv(x)
            x = level(torch.cat([crop_to(skip, x), x], dim=1))
        return self.out(x)


def conv_shapes_and_macs(net: nn.Module, shape: tuple[int, ...]) -> tuple[list[tuple[int, ...]], int]:
    """Every Conv2d / ConvTranspose2d output in forward order, and FlopCounterMode's FLOPs / 2, on the meta
    device (shapes and counts only)."""
    shapes: list[tuple[int, ...]] = []
    hooks = [m.register_forward_hook(lambda _m, _a, out: shapes.append(tuple(out.shape[1:])))
             for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net.eval()(torch.empty(1, *shape, device="meta"))
    for h in hooks:
        h.remove()
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    return shapes, flops // 2


def saved_bytes(net: nn.Module, shape: tuple[int, ...]) -> int:
    """autograd_saved's method (tests/test_memory_autograd.py) on a hand-written module: parameters drawn from
    N(0, 0.1), train mode, every packed tensor's storage counted once, parameters and buffers left out."""
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0, 0.1)
    return module_saved_bytes(net, shape, BATCH)


def test_the_paper_sizes() -> None:
    report = analyze(SPEC)
    assert report.input == (1, 572, 572)
    assert report.layers[-1].output == (2, 388, 388)
    assert report.totals.params == PAPER_PARAMS
    crops = [(r.input, r.output) for r in report.layers if r.kind == "crop"]
    assert crops == [((512, 64, 64), (512, 56, 56)), ((256, 136, 136), (256, 104, 104)),
                     ((128, 280, 280), (128, 200, 200)), ((64, 568, 568), (64, 392, 392))]


def test_params_shapes_and_macs_equal_the_hand_written_module() -> None:
    report = analyze(SPEC)
    with torch.device("meta"):
        net = UNet()
    assert sum(p.numel() for p in net.parameters()) == PAPER_PARAMS == report.totals.params
    assert not list(net.buffers()) and report.totals.buffers == 0
    shapes, macs = conv_shapes_and_macs(net, (1, 572, 572))
    assert [r.output for r in report.layers if r.kind in ("conv", "deconv")] == shapes
    assert report.totals.macs == macs


@pytest.mark.parametrize("n", [4, 5, 28])
def test_the_inputs_that_work(n: int) -> None:
    """16n + 124: the output is 16n − 60 on a side (572 → 388)."""
    side = 16 * n + 124
    report = analyze(SPEC, input_shape=(1, side, side))
    assert report.layers[-1].output == (2, 16 * n - 60, 16 * n - 60)


def test_saved_bytes_equal_autograd() -> None:
    report = analyze(SPEC, input_shape=SMALL, batch=BATCH)
    estimate = memory(report).saved_bytes
    torch.manual_seed(0)
    assert estimate == saved_bytes(UNet(), SMALL)  # the module written by hand
    assert estimate == autograd_saved(SPEC, SMALL)[0]  # cnncalc's own torch build


def test_verify_on_the_cpu_at_the_small_input() -> None:
    v = verify(SPEC, input_shape=SMALL, device="cpu")
    bad = [(r.name, r.mismatches) for r in v.failed]
    assert v.ok and not bad and not v.totals_mismatches, bad
