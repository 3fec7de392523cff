"""`cnncalc verify SPEC --against torch:... | torchvision:...`: the spec against the real model (issue 13).

CI has no torchvision: the real models are hand-written stand-ins (tests/fixtures/standin_nets.py,
examples/torch/lenet5.py), and the torchvision path runs against a fake `torchvision.models` on sys.path. The
expected numbers are torch's (the stand-ins' own parameters), not cnncalc's output.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from click.testing import CliRunner
from conftest import ROOT

from cnncalc.cli import main

SPEC = "tests/fixtures/standin.yaml"
NETS = "torch:tests/fixtures/standin_nets.py"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["verify", *args])
    return result.exit_code, result.output


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def standin(factory: str) -> torch.nn.Module:
    sys.path.insert(0, str(ROOT / "tests/fixtures"))
    try:
        import standin_nets
    finally:
        sys.path.remove(str(ROOT / "tests/fixtures"))
    return getattr(standin_nets, factory)()


def test_the_matching_standin_agrees_everywhere() -> None:
    code, out = run(SPEC, "--against", f"{NETS}:matching")
    assert code == 0, out
    assert "✓ all 5 conv/linear layers match" in out


def test_json_extends_the_verify_json_with_the_real_models_counts() -> None:
    code, out = run(SPEC, "--against", f"{NETS}:matching", "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    model = standin("matching")
    assert data["ok"] is True and data["against"] == f"{NETS}:matching" and data["device"] == "meta"
    assert data["totals"]["measured"]["params"] == sum(p.numel() for p in model.parameters())
    assert data["totals"]["measured"]["buffers"] == sum(b.numel() for b in model.buffers())
    convs = [(n, m) for n, m in model.named_modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert [r["module"] for r in data["rows"]] == [n for n, _ in convs]
    assert [r["measured"]["params"] for r in data["rows"]] == [sum(p.numel() for p in m.parameters())
                                                                for _, m in convs]
    for key in ("model", "input", "rows", "totals", "memory", "memory_note", "verdict", "ok", "torch", "batch"):
        assert key in data  # the verify JSON's fields, none renamed


def test_one_different_conv_is_named_and_exits_3() -> None:
    code, out = run(SPEC, "--against", f"{NETS}:different", "--format", "json")
    assert code == 3, out
    data = json.loads(out)
    bad = [r for r in data["rows"] if not r["match"]]
    assert [(r["name"], r["mismatches"]) for r in bad] == [("down", ["params", "macs"])]
    down = standin("different").down
    assert bad[0]["measured"]["params"] == sum(p.numel() for p in down.parameters())  # 16*32*5*5 + 32
    assert bad[0]["measured"]["macs"] == 16 * 16 * 32 * (5 * 5 * 16)
    assert data["totals"]["mismatches"] == ["params", "macs"]
    code, text = run(SPEC, "--against", f"{NETS}:different")
    assert code == 3 and "down (params, macs)" in text


def test_a_changed_output_shape_is_a_mismatch() -> None:
    code, out = run(SPEC, "--against", f"{NETS}:wider")
    assert code == 3 and "down (output, params, macs)" in out


def test_a_conv_where_the_spec_has_fc_differs_on_the_output_only() -> None:
    code, out = run("specs/lenet5.yaml", "--against", "torch:examples/torch/lenet5.py:lenet5_c5")
    assert code == 3 and "fc1 (output)" in out
    code, out = run("specs/lenet5.yaml", "--against", "torch:examples/torch/lenet5.py:lenet5")
    assert code == 0, out


def test_a_model_with_an_extra_layer_has_an_unpaired_row(tmp_path: Path) -> None:
    (tmp_path / "extra.py").write_text(
        "from torch import nn\n"
        "def net():\n"
        "    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.Conv2d(4, 4, 1), nn.Flatten(), nn.Linear(4 * 6 * 6, 2))\n")
    (tmp_path / "spec.yaml").write_text("input: 8x8x3\nlayers:\n  - conv: {filters: 4, kernel: 3}\n"
                                        "  - flatten\n  - fc: {units: 2}\n")
    code, out = run(str(tmp_path / "spec.yaml"), "--against", f"torch:{tmp_path / 'extra.py'}:net",
                    "--format", "json")
    assert code == 3
    rows = json.loads(out)["rows"]
    assert [r["module"] for r in rows] == ["0", "1", "3"]
    assert rows[-1]["name"] == "(3)" and rows[-1]["calculated"]["params"] == 0  # nothing in the spec pairs with it


def test_a_channels_last_linear_compares_as_c_h_w(tmp_path: Path) -> None:
    (tmp_path / "cl.py").write_text(
        "import torch\nfrom torch import nn\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.conv = nn.Conv2d(3, 8, 1)\n"
        "        self.pw = nn.Linear(8, 16)\n"
        "    def forward(self, x):\n"
        "        return self.pw(self.conv(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)\n")
    (tmp_path / "spec.yaml").write_text("input: 5x5x3\nlayers:\n  - conv: {filters: 8, kernel: 1}\n"
                                        "  - conv: {filters: 16, kernel: 1}\n")
    code, out = run(str(tmp_path / "spec.yaml"), "--against", f"torch:{tmp_path / 'cl.py'}:Net")
    assert code == 0, out


def test_torchvision_missing_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torchvision", None)  # import torchvision raises ImportError
    monkeypatch.setitem(sys.modules, "torchvision.models", None)
    code, out = run(SPEC, "--against", "torchvision:resnet18")
    assert code == 1
    assert "--against torchvision:resnet18 needs torchvision" in out and "pip install torchvision" in out
    assert "Traceback" not in out


def test_torchvision_get_model_is_called_with_no_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    models = tmp_path / "torchvision" / "models"
    models.mkdir(parents=True)
    (tmp_path / "torchvision" / "__init__.py").write_text("")
    (models / "__init__.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / 'tests/fixtures')!r})\n"
        "import standin_nets\n"
        "CALLS = []\n"
        "def get_model(name, **kwargs):\n"
        "    CALLS.append((name, kwargs))\n"
        "    if name != 'standin':\n"
        "        raise ValueError(f'Unknown model {name}')\n"
        "    return standin_nets.matching()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        monkeypatch.delitem(sys.modules, name)
    code, out = run(SPEC, "--against", "torchvision:standin")
    assert code == 0, out
    import torchvision.models

    assert torchvision.models.CALLS == [("standin", {"weights": None})]
    code, out = run(SPEC, "--against", "torchvision:nosuchnet")
    assert code == 1 and "torchvision has no model 'nosuchnet'" in out
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        monkeypatch.delitem(sys.modules, name)


@pytest.mark.parametrize(("ref", "message"), [
    (f"{NETS}:nope", "has no attribute 'nope'"),
    (f"{NETS}:not_a_module", "returned int, not a torch.nn.Module"),
    (f"{NETS}:broken", "calling broken() failed: RuntimeError: this factory fails on purpose"),
    ("torch:no_such_module_xyz:f", "no module named 'no_such_module_xyz'"),
    ("resnet18", "expected torchvision:NAME or torch:MODULE:FACTORY"),
])
def test_bad_refs_exit_1_without_a_traceback(ref: str, message: str) -> None:
    code, out = run(SPEC, "--against", ref)
    assert code == 1 and message in out, out
    assert "Traceback" not in out
