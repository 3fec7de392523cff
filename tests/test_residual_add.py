"""`residual: {add: new}`: torchvision's RegNet (`x = self.proj(x) + self.f(x)`) and MobileNetV2/MNASNet
(`x + self.conv(x)`) add into a new tensor, the projection running before the body; ResNet's `out += identity`
(the default, `add: inplace`) writes into the body's output. Checked against torch: the forward order of the
convolutions (forward hooks), the bytes autograd saves, and the inference activations of a hand-written module.
"""

from __future__ import annotations

import pytest
import torch
from test_memory_autograd import autograd_saved
from torch import nn
from torch_blocks import module_saved_bytes

from cnncalc import analyze, loads_spec
from cnncalc.errors import SpecError
from cnncalc.memory import memory

SPEC = """
input: 16x16x8
layers:
  - residual:
      body: [{{conv: {{filters: 16, kernel: 3, stride: 2, pad: 1, bias: false}}}}, bn, relu,
             {{conv: {{filters: 16, kernel: 1, bias: false}}}}, bn]
      shortcut: auto
      add: {add}
      after: [relu]
"""


class RegNetStyle(nn.Module):
    """torchvision's ResBottleneckBlock, shortened: `x = self.proj(x) + self.f(x)`, then ReLU."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Sequential(nn.Conv2d(8, 16, 1, stride=2, bias=False), nn.BatchNorm2d(16))
        self.f = nn.Sequential(nn.Conv2d(8, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
                               nn.Conv2d(16, 16, 1, bias=False), nn.BatchNorm2d(16))
        self.activation = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(self.proj(x) + self.f(x))


def conv_order(module: nn.Module) -> list[tuple[int, ...]]:
    """Output shapes of the convolutions in the order torch runs them."""
    seen: list[tuple[int, ...]] = []
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            m.register_forward_hook(lambda _m, _i, out: seen.append((tuple(out.shape[1:]), _m.kernel_size)))
    with torch.no_grad():
        module.eval()(torch.zeros(1, 8, 16, 16))
    return seen


def test_add_new_runs_the_shortcut_first_like_regnet() -> None:
    report = analyze(loads_spec(SPEC.format(add="new")))
    ours = [(r.output, r.name) for r in report.layers if r.kind == "conv"]
    torch_order = conv_order(RegNetStyle())
    assert [k for _, k in torch_order] == [(1, 1), (3, 3), (1, 1)]  # proj, then f's two convolutions
    assert ours[0][1].split(".")[-2] == "shortcut"
    assert [o for o, _ in ours] == [s for s, _ in torch_order]
    assert sum(p.numel() for p in RegNetStyle().parameters()) == report.totals.params


def test_add_new_is_a_new_tensor_and_in_place_is_not() -> None:
    new = analyze(loads_spec(SPEC.format(add="new")))
    inplace = analyze(loads_spec(SPEC.format(add="inplace")))
    row = {r.name.split(".")[-1]: r for r in new.layers}["add"]
    assert row.new_tensor and row.activations == 16 * 8 * 8
    assert new.totals.activations - inplace.totals.activations == 16 * 8 * 8
    assert (new.totals.params, new.totals.macs) == (inplace.totals.params, inplace.totals.macs)


@pytest.mark.parametrize("add", ["new", "inplace"])
def test_saved_bytes_equal_autograd(add: str) -> None:
    spec = loads_spec(SPEC.format(add=add))
    real, _ = autograd_saved(spec, spec.input)
    assert memory(analyze(spec, batch=2)).saved_bytes == real


def test_saved_bytes_equal_the_hand_written_module() -> None:
    """The oracle on torchvision's own form of the block (not on cnncalc's build of it)."""
    real = module_saved_bytes(RegNetStyle(), (8, 16, 16), batch=2)
    assert memory(analyze(loads_spec(SPEC.format(add="new")), batch=2)).saved_bytes == real


def test_unknown_add_form_is_an_error_naming_the_field() -> None:
    with pytest.raises(SpecError) as info:
        loads_spec(SPEC.format(add="sideways"))
    assert "add" in str(info.value) and "inplace or new" in str(info.value)


@pytest.mark.parametrize("add", ["new", "inplace"])
def test_verify_builds_either_form(add: str) -> None:
    from cnncalc.verify import verify

    result = verify(loads_spec(SPEC.format(add=add)), device="cpu")
    assert result.ok, [(r.name, r.mismatches) for r in result.failed]
