"""The zoo against the real torchvision models: every spec that is a torchvision model must give torchvision's
numbers exactly.

The reference figures were measured once from torchvision itself (CI has torch but no torchvision) by
benchmarks/torchvision_reference.py, whose docstring says how each one is obtained and how to rerun it; they
are in tests/reference/torchvision.json (its `_provenance` gives the versions, the date and the method).
For each entry of COUNTERPART, each figure is a test of its own, so a failure names the spec and the figure:

- params and buffers (num_batches_tracked included), at the reference's input size;
- MACs: cnncalc's totals.macs (conv, transposed conv, locally connected and fully connected multiply-accumulates,
  docs/conventions.md) against (aten.convolution + aten.addmm + aten.mm + aten.bmm FLOPs) / 2 from
  torch.utils.flop_counter.FlopCounterMode;
- the output shape of every conv / transposed conv / fully connected row, in order, against every nn.Conv2d /
  nn.ConvTranspose2d / nn.Linear call in torchvision's forward (forward hooks); a Linear applied to a
  channels-last tensor (ConvNeXt) is recorded as [H, W, C] and compared as such against our (C, H, W);
- the training memory: `memory(analyze(spec, input_shape=(C, 96, 96), batch=2)).saved_bytes` against the bytes
  autograd saved for the torchvision model in train mode (fp32, CPU, the oracle of test_memory_autograd.py).

Reference models with no zoo spec yet are listed in NOT_IN_ZOO: adding a spec for one of them (or a model to
the reference) makes test_models_without_a_zoo_entry fail until the mapping and the set are updated.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from cnncalc import analyze, load_spec, zoo
from cnncalc.memory import memory
from cnncalc.results import Report
from cnncalc.spec.model import Spec

REFERENCE_FILE = Path(__file__).resolve().parent / "reference" / "torchvision.json"
REFERENCE: dict[str, Any] = json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))
MODELS = {k: v for k, v in REFERENCE.items() if not k.startswith("_")}

# zoo spec (a name, or (name, variant)) → the torchvision builder it is (a key of the reference file)
COUNTERPART: dict[str | tuple[str, str], str] = {
    "alexnet_torchvision": "alexnet",
    ("vgg11", "torchvision"): "vgg11",  # adaptive 7x7 pool, dropout after fc1 and fc2, no softmax
    ("vgg13", "torchvision"): "vgg13",
    ("vgg16", "torchvision"): "vgg16",
    ("vgg19", "torchvision"): "vgg19",
    ("resnet18", "torchvision"): "resnet18",  # basic blocks as in the paper; no softmax
    ("resnet34", "torchvision"): "resnet34",
    ("resnet50", "torchvision"): "resnet50",  # v1.5: the stride on the 3x3; no softmax
    ("resnet101", "torchvision"): "resnet101",
    ("resnet152", "torchvision"): "resnet152",
    ("densenet121", "torchvision"): "densenet121",  # no softmax
    ("densenet161", "torchvision"): "densenet161",
    ("densenet169", "torchvision"): "densenet169",
    ("densenet201", "torchvision"): "densenet201",
    "googlenet_torchvision": "googlenet@aux_logits=False",  # the spec has no auxiliary classifiers
    "inception_v3": "inception_v3@aux_logits=False",  # nor this one
    "vgg11_bn": "vgg11_bn",
    "vgg13_bn": "vgg13_bn",
    "vgg16_bn": "vgg16_bn",
    "vgg19_bn": "vgg19_bn",
    "resnext50_32x4d": "resnext50_32x4d",
    "resnext101_32x8d": "resnext101_32x8d",
    "resnext101_64x4d": "resnext101_64x4d",
    "wide_resnet50_2": "wide_resnet50_2",
    "wide_resnet101_2": "wide_resnet101_2",
    "squeezenet1_0": "squeezenet1_0",
    "squeezenet1_1": "squeezenet1_1",
    "regnet_x_400mf": "regnet_x_400mf",
    "regnet_x_800mf": "regnet_x_800mf",
    "regnet_x_1_6gf": "regnet_x_1_6gf",
    "regnet_x_3_2gf": "regnet_x_3_2gf",
    "convnext_tiny": "convnext_tiny",
    "shufflenet_v2_x1_0": "shufflenet_v2_x1_0",
    "mobilenet_v2": "mobilenet_v2",
    "mobilenet_v3_large": "mobilenet_v3_large",
    "mobilenet_v3_small": "mobilenet_v3_small",
    "regnet_y_400mf": "regnet_y_400mf",
    "efficientnet_b0": "efficientnet_b0",
    "mnasnet0_5": "mnasnet0_5",
    "mnasnet0_75": "mnasnet0_75",
    "mnasnet1_0": "mnasnet1_0",
    "mnasnet1_3": "mnasnet1_3",
    "efficientnet_b1": "efficientnet_b1",
    "efficientnet_b2": "efficientnet_b2",
    "efficientnet_b3": "efficientnet_b3",
    "efficientnet_b4": "efficientnet_b4",
    "efficientnet_b5": "efficientnet_b5",
    "efficientnet_b6": "efficientnet_b6",
    "efficientnet_b7": "efficientnet_b7",
    "efficientnet_v2_s": "efficientnet_v2_s",
    "efficientnet_v2_m": "efficientnet_v2_m",
    "efficientnet_v2_l": "efficientnet_v2_l",
    "convnext_small": "convnext_small",
    "convnext_base": "convnext_base",
    "convnext_large": "convnext_large",
    "shufflenet_v2_x0_5": "shufflenet_v2_x0_5",
    "shufflenet_v2_x1_5": "shufflenet_v2_x1_5",
    "shufflenet_v2_x2_0": "shufflenet_v2_x2_0",
    "regnet_y_800mf": "regnet_y_800mf",
    "regnet_y_1_6gf": "regnet_y_1_6gf",
    "regnet_y_3_2gf": "regnet_y_3_2gf",
    "regnet_y_8gf": "regnet_y_8gf",
    "regnet_y_16gf": "regnet_y_16gf",
    "regnet_y_32gf": "regnet_y_32gf",
}

# zoo specs named like a torchvision builder that are another network, and why
NOT_COUNTERPARTS: dict[str, str] = {
    "alexnet": "the slides' one-tower AlexNet at 227 (96/256/384/384/256 filters, LRN, pad 0); torchvision's "
               "(64/192/384/256/256, pad 2, adaptive pool) is alexnet_torchvision",
    "googlenet": "the paper's GoogLeNet: no batch norm, 5x5 convolutions in the third branch, LRN; torchvision's "
                 "has batch norm after every conv, a 3x3 in place of the 5x5, and aux heads by default",
    "resnet50": "the paper's bottleneck (stride on the first 1x1); torchvision's is --variant torchvision",
    "resnet101": "the paper's bottleneck; torchvision's is --variant torchvision",
    "resnet152": "the paper's bottleneck; torchvision's is --variant torchvision",
}

# reference models that no zoo spec stands for yet
NOT_IN_ZOO: frozenset[str] = frozenset({
    "googlenet", "inception_v3",  # the default builds, aux_logits=True: the zoo's specs have no auxiliary heads
    "regnet_x_8gf", "regnet_x_16gf", "regnet_x_32gf",
    "regnet_y_128gf",
})

ENTRIES = sorted(COUNTERPART, key=str)
SHAPED_KINDS = ("conv", "deconv", "local", "fc")  # cnncalc's rows that are a torch Conv2d/ConvTranspose2d/Linear


def entry_id(entry: str | tuple[str, str]) -> str:
    return entry if isinstance(entry, str) else f"{entry[0]}[{entry[1]}]"


def zoo_spec(entry: str | tuple[str, str]) -> Spec:
    """The zoo spec of an entry, however the zoo stores its specs (the one place that knows)."""
    name, variant = (entry, None) if isinstance(entry, str) else entry
    path = zoo.path(name)
    assert path is not None, f"{name} is not in the zoo ({', '.join(zoo.names())})"
    return load_spec(path, variant=variant)


@cache
def report(entry: str | tuple[str, str]) -> Report:
    return analyze(zoo_spec(entry), input_shape=tuple(ref(entry)["input"]), suggest=False)


def ref(entry: str | tuple[str, str]) -> dict[str, Any]:
    key = COUNTERPART[entry]
    assert key in MODELS, f"{key} has no reference figures in {REFERENCE_FILE.name}"
    return MODELS[key]


params = pytest.mark.parametrize("entry", ENTRIES, ids=entry_id)


@params
def test_params(entry: str | tuple[str, str]) -> None:
    r, t = report(entry).totals, ref(entry)
    assert r.params == t["params"], f"{entry_id(entry)}: {r.params:,} params, torchvision {t['params']:,} " \
                                    f"({r.params - t['params']:+,})"


@params
def test_buffers(entry: str | tuple[str, str]) -> None:
    r, t = report(entry).totals, ref(entry)
    assert r.buffers == t["buffers"], f"{entry_id(entry)}: {r.buffers:,} buffers, torchvision {t['buffers']:,} " \
                                      f"({t['buffer_tensors']})"


@params
def test_macs(entry: str | tuple[str, str]) -> None:
    r, t = report(entry).totals, ref(entry)
    assert r.macs == t["macs_conv_linear"], f"{entry_id(entry)}: {r.macs:,} MACs, torchvision " \
                                            f"{t['macs_conv_linear']:,} ({r.macs - t['macs_conv_linear']:+,})"


def torch_shape(row: dict[str, Any]) -> list[int]:
    return list(row["out"])


def our_shape(out: tuple[int, ...], channels_last: bool) -> list[int]:
    return [*out[1:], out[0]] if channels_last and len(out) == 3 else list(out)


@params
def test_layer_output_shapes(entry: str | tuple[str, str]) -> None:
    theirs = ref(entry)["layers"]
    ours = [r for r in report(entry).layers if r.kind in SHAPED_KINDS]
    assert len(ours) == len(theirs), f"{entry_id(entry)}: {len(ours)} conv/fc rows, torchvision " \
                                     f"{len(theirs)} Conv2d/ConvTranspose2d/Linear calls"
    mine_all = [our_shape(m.output, t.get("channels_last", False)) for m, t in zip(ours, theirs, strict=True)]
    order_only = sorted(mine_all) == sorted(torch_shape(t) for t in theirs)
    for mine, shape, row in zip(ours, mine_all, theirs, strict=True):
        assert shape == torch_shape(row), \
            f"{entry_id(entry)}: {mine.name} ({mine.kind}) gives {list(mine.output)}, torchvision's " \
            f"{row['module']} ({row['kind']}) {row['out']}" + \
            (" (the same shapes in all, in another order)" if order_only else "")


@params
def test_saved_bytes_train_96(entry: str | tuple[str, str]) -> None:
    t = ref(entry)
    rep = analyze(zoo_spec(entry), input_shape=tuple(t["saved_input_96"]), batch=t["saved_batch"], suggest=False)
    saved = memory(rep).saved_bytes
    assert saved == t["saved_bytes_train_96"], \
        f"{entry_id(entry)} at {t['saved_input_96']}, batch {t['saved_batch']}: {saved:,} bytes saved, " \
        f"torchvision {t['saved_bytes_train_96']:,} ({saved - t['saved_bytes_train_96']:+,})"


def test_every_counterpart_is_a_zoo_spec_and_a_reference_model() -> None:
    for entry, key in COUNTERPART.items():
        zoo_spec(entry)
        assert key in MODELS, f"{entry_id(entry)} → {key}: not in {REFERENCE_FILE.name}"


def test_models_without_a_zoo_entry() -> None:
    """Which reference models have no zoo spec yet: exactly NOT_IN_ZOO (update it when a spec is added)."""
    missing = set(MODELS) - set(COUNTERPART.values())
    assert missing == set(NOT_IN_ZOO), (f"now in the zoo (remove from NOT_IN_ZOO): {sorted(NOT_IN_ZOO - missing)}; "
                                        f"not in the zoo (add to NOT_IN_ZOO or COUNTERPART): "
                                        f"{sorted(missing - NOT_IN_ZOO)}")


def test_zoo_specs_named_like_a_torchvision_model_are_mapped() -> None:
    """A zoo spec named like a reference model is its counterpart, or NOT_COUNTERPARTS says why not."""
    mapped = {e if isinstance(e, str) else e[0] for e in COUNTERPART}
    for name in zoo.names():
        if name in MODELS and name not in NOT_COUNTERPARTS:
            assert name in mapped, f"zoo spec {name} looks like torchvision's {name}: map it in COUNTERPART " \
                                   "or say why not in NOT_COUNTERPARTS"
    assert set(NOT_COUNTERPARTS) <= set(zoo.names())


def test_the_reference_says_how_it_was_obtained() -> None:
    p = REFERENCE["_provenance"]
    assert p["torch"] and p["torchvision"] and p["date"] and "torchvision_reference.py" in p["command"]
    assert p["missing"] == [], f"models the reference run did not record: {p['missing']}"
    for key, m in MODELS.items():
        assert m["macs_hooks_match"], f"{key}: a convolution or matrix product outside the hooked modules"
        assert m["flops_total"] == 2 * m["macs_conv_linear"], f"{key}: FlopCounterMode counted other ops"
        assert m["train_output_finite"], key
