"""`memory`'s saved activations against what PyTorch's autograd really keeps (CPU torch, train mode, batch 2).

The oracle: torch.autograd.graph.saved_tensors_hooks on the network cnncalc.verify builds from the spec, each
distinct storage counted once, parameters and buffers left out. The estimate must equal it to the byte on every
shipped spec and on random networks (chains, concat, residual, dense blocks) that use every layer type; the one
device-dependent figure (dropout's mask: CUDA keeps bools) is stated as an exact bound, checked here.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
import yaml
from conftest import SPECS
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cnncalc import analyze, load_spec, loads_spec
from cnncalc.errors import SpecError
from cnncalc.memory import memory
from cnncalc.verify.build import build_network

BATCH = 2


def autograd_saved(spec: Any, shape: tuple[int, ...], batch: int = BATCH,
                   dtype: torch.dtype = torch.float32, amp: torch.dtype | None = None) -> tuple[int, list[str]]:
    """Bytes of the distinct activation storages autograd packs for backward, and one line per saved tensor.
    amp: run the fp32 network under torch.autocast("cpu", amp), as automatic mixed precision does."""
    net = build_network(spec.layers, shape).to_empty(device="cpu").to(dtype)
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0, 0.1)
        for b in net.buffers():
            if b.dtype.is_floating_point:
                b.fill_(1.0)
    net.train()
    owned = {t.untyped_storage().data_ptr() for t in (*net.parameters(), *net.buffers())}
    seen: dict[int, int] = {}
    log: list[str] = []

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in owned:
            seen[storage.data_ptr()] = storage.nbytes()
            log.append(f"{tuple(t.shape)} {t.dtype} {storage.nbytes()} B @{storage.data_ptr():x}")
        return t

    torch.manual_seed(0)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), \
            torch.autocast("cpu", dtype=amp or torch.bfloat16, enabled=amp is not None):
        net(torch.randn(batch, *shape).to(dtype))
    return sum(seen.values()), log


AMP = {"fp16": torch.float16, "bf16": torch.bfloat16}


def check(text: str, amp: str | None = None) -> None:
    """The estimate equals autograd's saved bytes; with amp ("fp16" or "bf16"), under CPU autocast."""
    try:
        spec = loads_spec(text)
        report = analyze(spec, batch=BATCH, dtype=amp or "fp32")
    except SpecError:
        assume(False)
        raise
    estimate = memory(report, amp="cpu" if amp else None)
    real, log = autograd_saved(spec, tuple(report.input), amp=AMP[amp] if amp else None)
    rows = [f"{r.name}: {r.bytes} {', '.join(r.kept)}" for r in estimate.rows if r.bytes]
    assert estimate.saved_bytes == real, f"{text}\nestimate rows:\n" + "\n".join(rows) + "\nautograd:\n" + \
        "\n".join(log)
    if amp:
        return
    # the device-dependent figure at fp32: CUDA keeps dropout's mask as bools (1 byte an element, not fp32's 4)
    masks = sum(r.bytes for r in estimate.rows if r.kind == "dropout") // 4
    assert [(b.kind, b.device, b.bytes) for b in estimate.bounds] == ([("dropout", "cuda", -3 * masks)] if masks else [])


# --- random networks --------------------------------------------------------------------------------------

def flow(**kw: Any) -> dict[str, Any]:
    return kw


MODERN = ["relu6", "hardswish", "hardsigmoid", "silu", "mish", "gelu", "softplus", "prelu", "identity", "layernorm",
          "groupnorm", "scale", "channel_shuffle", "droppath"]  # tests/test_layers_modern.py: one by one
SHAPE_KEEPING = ["conv", "conv", "same", "relu", "leaky_relu", "elu", "sigmoid", "tanh", "bn", "lrn", "dropout",
                 "softmax", "maxpool", "avgpool", "local", "maxout", "fc_per_position", *MODERN]
CHANNEL_KEEPING = ["depthwise", "depthwise", "relu", "leaky_relu", "elu", "sigmoid", "tanh", "bn", "lrn", "dropout",
                   "softmax", "maxpool", "avgpool", *MODERN]


@st.composite
def keep_shape(draw: Any, kinds: list[str] = SHAPE_KEEPING) -> Any:
    """A layer that keeps height and width (stride 1), usable in every branch of a block; with CHANNEL_KEEPING,
    one that keeps the channels too (a residual body with an identity shortcut)."""
    kind = draw(st.sampled_from(kinds))
    if kind == "depthwise":
        k = draw(st.sampled_from([1, 3]))
        return {"conv": {"groups": "depthwise", "kernel": k, "pad": k // 2, "bias": draw(st.booleans())}}
    if kind == "conv":
        k = draw(st.sampled_from([1, 3]))
        groups = draw(st.sampled_from([1, 1, "depthwise"]))
        opts = {"filters": draw(st.integers(1, 4)), "kernel": k, "pad": k // 2, "bias": draw(st.booleans())}
        if groups == "depthwise":
            opts = {"groups": "depthwise", "kernel": k, "pad": k // 2}
        return {"conv": opts}
    if kind == "same":
        return {"conv": {"filters": draw(st.integers(1, 4)), "kernel": draw(st.integers(1, 4)), "pad": "same",
                         "dilation": draw(st.integers(1, 2))}}
    if kind in ("relu", "leaky_relu", "elu", "relu6", "hardswish", "hardsigmoid", "silu", "mish"):
        return {kind: {"inplace": draw(st.booleans())}}
    if kind == "gelu":
        return {"gelu": {"approximate": draw(st.sampled_from(["none", "tanh"]))}}
    if kind == "prelu":
        return {"prelu": {"slopes": draw(st.sampled_from([1, "channels"]))}}
    if kind == "droppath":
        return {"droppath": {"p": draw(st.sampled_from([0.0, 0.5])), "mode": draw(st.sampled_from(["row", "batch"]))}}
    if kind == "fc_per_position":
        return {"fc": {"units": draw(st.integers(1, 4)), "per_position": True}}
    if kind in ("groupnorm", "channel_shuffle"):
        return {kind: {"groups": 1}}
    if kind == "bn":
        return {"bn": {"affine": draw(st.booleans())}}
    if kind == "lrn":
        return {"lrn": {"size": draw(st.integers(1, 5))}}
    if kind == "dropout":
        return {"dropout": {"p": draw(st.sampled_from([0.0, 0.5])), "inplace": draw(st.booleans())}}
    if kind in ("maxpool", "avgpool"):
        return {kind: {"kernel": 3, "stride": 1, "pad": 1}}
    if kind == "local":
        return {"local": {"filters": draw(st.integers(1, 3)), "kernel": 3, "pad": 1}}
    if kind == "maxout":
        return {"layers": [{"conv": {"filters": 2 * draw(st.integers(1, 3)), "kernel": 1}}, {"maxout": {"pieces": 2}}]}
    return kind


@st.composite
def any_map_layer(draw: Any) -> Any:
    """A layer on a feature map that may change its size."""
    kind = draw(st.sampled_from(["keep", "keep", "strided", "asym", "deconv", "pool", "zeropad", "adaptive", "local",
                                 "upsample", "pixel_shuffle", "adaptive_maxpool"]))
    if kind == "keep":
        return draw(keep_shape())
    if kind == "strided":
        return {"conv": {"filters": draw(st.integers(1, 4)), "kernel": draw(st.integers(1, 3)),
                         "stride": draw(st.integers(1, 2)), "pad": draw(st.integers(0, 1)),
                         "dilation": draw(st.integers(1, 2))}}
    if kind == "asym":
        return {"conv": {"filters": draw(st.integers(1, 3)), "kernel": draw(st.integers(1, 3)),
                         "pad": draw(st.lists(st.integers(0, 2), min_size=4, max_size=4))}}
    if kind == "deconv":
        return {"deconv": {"filters": draw(st.integers(1, 3)), "kernel": draw(st.integers(1, 3)),
                           "stride": draw(st.integers(1, 2))}}
    if kind == "pool":
        op = draw(st.sampled_from(["maxpool", "avgpool"]))
        k = draw(st.integers(1, 3))
        opts: dict[str, Any] = {"kernel": k, "stride": draw(st.integers(1, 2)), "pad": draw(st.integers(0, k // 2)),
                                "ceil": draw(st.booleans())}
        return {op: opts}
    if kind == "zeropad":
        return {"zeropad": {"pad": draw(st.integers(0, 2))}}
    if kind == "adaptive":
        return {"adaptive_avgpool": {"output": draw(st.integers(1, 3))}}
    if kind == "adaptive_maxpool":
        return {"adaptive_maxpool": {"output": draw(st.integers(1, 3))}}
    if kind == "upsample":
        return {"upsample": {"scale": draw(st.integers(1, 2)), "mode": draw(st.sampled_from(["nearest", "bilinear"]))}}
    if kind == "pixel_shuffle":
        return {"layers": [{"conv": {"filters": 4 * draw(st.integers(1, 2)), "kernel": 1}}, {"pixel_shuffle": {"factor": 2}}]}
    return {"local": {"filters": draw(st.integers(1, 3)), "kernel": draw(st.integers(1, 3)),
                      "stride": draw(st.integers(1, 2))}}


@st.composite
def block(draw: Any) -> Any:
    kind = draw(st.sampled_from(["concat", "residual", "dense"]))
    items = st.lists(keep_shape(), min_size=1, max_size=3)
    if kind == "concat":
        return {"concat": draw(st.lists(items, min_size=1, max_size=3))}
    if kind == "residual":
        shortcut = draw(st.sampled_from(["identity", "auto"]))
        body = draw(items if shortcut == "auto" else st.lists(keep_shape(CHANNEL_KEEPING), min_size=1, max_size=3))
        res: dict[str, Any] = {"body": body, "shortcut": shortcut}
        if draw(st.booleans()):
            res["after"] = [draw(st.sampled_from(["relu", {"relu": {"inplace": False}}, "sigmoid", "bn"]))]
        return {"residual": res}
    return {"dense": {"count": draw(st.integers(1, 3)), "body": draw(items)}}


@st.composite
def vector_layer(draw: Any) -> Any:
    kind = draw(st.sampled_from(["fc", "fc", "relu", "sigmoid", "tanh", "bn", "dropout", "softmax", "elu", "relu6", "silu",
                                 "gelu", "layernorm", "prelu", "scale"]))
    if kind == "fc":
        return {"fc": {"units": draw(st.integers(1, 8)), "bias": draw(st.booleans())}}
    if kind == "dropout":
        return {"dropout": {"p": draw(st.sampled_from([0.0, 0.5])), "inplace": draw(st.booleans())}}
    if kind in ("relu", "elu", "relu6", "silu"):
        return {kind: {"inplace": draw(st.booleans())}}
    return kind


@st.composite
def networks(draw: Any) -> str:
    c = draw(st.integers(1, 4))
    layers: list[Any] = []
    for _ in range(draw(st.integers(0, 5))):
        layers.append(draw(st.one_of(any_map_layer(), block())))
    tail = draw(st.sampled_from(["none", "gap", "flatten", "fc"]))
    if tail != "none":
        layers.append({"gap": "global_avgpool", "flatten": "flatten", "fc": {"fc": {"units": 6}}}[tail])
        layers += draw(st.lists(vector_layer(), max_size=4))
    if draw(st.booleans()):
        layers = [{"dropout": {"p": 0.5}}, *layers]  # nothing needs a gradient before the first weights
    shape = [c, draw(st.integers(3, 10)), draw(st.integers(3, 10))]
    return yaml.safe_dump({"input": shape, "layers": layers or ["relu"]}, default_flow_style=True, width=10**6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(text=networks())
def test_random_networks_match_autograd(text: str) -> None:
    check(text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(layers=st.lists(vector_layer(), min_size=1, max_size=6), n=st.integers(1, 12),
       first=st.sampled_from([[], [{"fc": {"units": 5}}], ["relu"], [{"dropout": {"p": 0.5}}]]))
def test_random_vector_networks_match_autograd(layers: list[Any], n: int, first: list[Any]) -> None:
    check(yaml.safe_dump({"input": n, "layers": first + layers}, default_flow_style=True, width=10**6))


# --- every layer type, by hand ----------------------------------------------------------------------------

EVERY_TYPE = [
    "{conv: {filters: 4, kernel: 3, pad: 1}}", "{conv: {filters: 4, kernel: 2, pad: same}}",
    "{conv: {filters: 4, kernel: 3, pad: [0, 1, 2, 0]}}", "{conv: {groups: depthwise, kernel: 3, bias: false}}",
    "{deconv: {filters: 3, kernel: 3, stride: 2}}", "{local: {filters: 2, kernel: 3, pad: 1}}",
    "{local: {filters: 2, kernel: 1, stride: 2}}",
    "{maxpool: {kernel: 3, stride: 2, ceil: true}}", "{avgpool: {kernel: 2}}", "global_avgpool",
    "{adaptive_avgpool: {output: 1}}", "{adaptive_avgpool: {output: 3}}", "flatten", "{fc: {units: 5}}",
    "relu", "{relu: {inplace: false}}", "leaky_relu", "{leaky_relu: {inplace: false}}", "elu",
    "{elu: {inplace: false}}", "sigmoid", "tanh", "maxout", "lrn", "{lrn: {size: 2}}", "bn", "{bn: {affine: false}}",
    "dropout", "{dropout: {p: 0}}", "softmax", "{zeropad: {pad: 2}}",
]


@pytest.mark.parametrize("item", EVERY_TYPE)
@pytest.mark.parametrize("position", ["first", "after a conv"])
def test_every_layer_type_matches_autograd(item: str, position: str) -> None:
    """Each type alone on the image (nothing needs a gradient unless it has weights) and after a conv (its input
    needs one), then a conv that reads its result."""
    before = "" if position == "first" else "{conv: {filters: 4, kernel: 1}}, "
    after = ", {fc: {units: 3}}" if item in ("flatten", "{fc: {units: 5}}", "global_avgpool") else \
        ", {conv: {filters: 2, kernel: 1}}"
    check(f"input: 6x7x4\nlayers: [{before}{item}{after}]")


@pytest.mark.parametrize("text", [
    # im2col's buffer is allocated at the padded input's size and never shrinks: 1x1 windows at stride 2
    "{input: [4, 3, 10], layers: [{local: {filters: 1, kernel: 1, stride: 2}}, {fc: {units: 6}}]}",
    # the locally connected output must be contiguous, or the flatten after it is a copy that the fc keeps
    ("{input: [1, 3, 10], layers: [{residual: {body: [{local: {filters: 2, kernel: 3, pad: 1}}], shortcut: auto}}, "
     "{zeropad: {pad: 0}}, {relu: {inplace: true}}, flatten, {elu: {inplace: false}}]}"),
    # dropout in one branch: its output is a new tensor, the other branch still reads the block's input
    ("{input: [3, 6, 6], layers: [{conv: {filters: 2, kernel: 1}}, {concat: [[dropout, {conv: {filters: 2, kernel: 1}}], "
     "[{relu: {inplace: false}}], [dropout]]}, {fc: {units: 2}}]}"),
    # nothing before the first weights needs a gradient, so nothing there is kept
    "{input: [3, 6, 6], layers: [maxpool, lrn, bn, sigmoid, dropout, {conv: {filters: 2, kernel: 1}}, gap, softmax]}",
])
def test_found_cases_match_autograd(text: str) -> None:
    check(text)


def test_dropout_mask_is_four_bytes_on_the_cpu_and_its_output_is_a_new_tensor() -> None:
    # fc1's input is dropout's output (a new tensor in training), kept beside dropout's fp32 mask
    m = memory(analyze(loads_spec("input: 10\nlayers: [{fc: {units: 8}}, dropout, {fc: {units: 3}}]"), batch=2))
    assert [(r.name, r.bytes) for r in m.rows] == [("fc1", 10 * 4 * 2), ("dropout1", 8 * 4 * 2), ("fc2", 8 * 4 * 2)]
    assert m.device == "cpu"
    assert [(b.kind, b.device, b.bytes) for b in m.bounds] == [("dropout", "cuda", -8 * 3 * 2)]


def test_global_average_pool_keeps_nothing() -> None:
    m = memory(analyze(loads_spec("input: 4x4x3\nlayers: [{conv: {filters: 2, kernel: 1}}, gap, {fc: {units: 3}}]"),
                       batch=2))
    assert [r.bytes for r in m.rows] == [3 * 16 * 4 * 2, 0, 2 * 4 * 2]


def test_lrn_keeps_its_input_the_padded_squares_and_two_intermediates() -> None:
    m = memory(analyze(loads_spec("input: 5x5x8\nlayers: [{conv: {filters: 8, kernel: 1}}, {lrn: {size: 5}}]"),
                       batch=2))
    assert m.rows[1].bytes == (8 + (8 + 4) + 8 + 8) * 25 * 4 * 2


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_specs_match_autograd(path: Any) -> None:
    """Every shipped spec at its own input size takes over a minute on two cores (the figures in
    docs/conventions.md were measured so): at the smallest of these sides it fits, batch 2, it keeps the same
    kinds of tensors."""
    spec = load_spec(path)
    for side in (32, 64, 96, 128, 227):
        try:
            report = analyze(spec, input_shape=(spec.input[0], side, side), batch=BATCH)
            break
        except SpecError:
            continue
    real, _ = autograd_saved(spec, tuple(report.input))
    assert memory(report).saved_bytes == real


SMALL = ("input: 8x8x3\nlayers: [{conv: {filters: 4, kernel: 3, pad: 1}}, bn, relu, maxpool, "
         "{residual: {body: [{conv: {filters: 4, kernel: 3, pad: 1}}, bn], shortcut: identity}}, "
         "{dense: {count: 2, body: [bn, relu, {conv: {filters: 2, kernel: 1}}]}}, dropout, {fc: {units: 5}}, bn, "
         "softmax]")


@pytest.mark.parametrize("dtype", ["bf16", "fp16", "fp64"])
def test_other_dtypes_match_autograd(dtype: str) -> None:
    """On the CPU batch norm's statistics are in the dtype (CUDA: fp32 at least, printed as a bound), dropout's
    mask too (CUDA: bools)."""
    spec = loads_spec(SMALL)
    report = analyze(spec, batch=BATCH, dtype=dtype)
    torch_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp64": torch.float64}[dtype]
    m = memory(report)
    assert m.saved_bytes == autograd_saved(spec, tuple(report.input), dtype=torch_dtype)[0]
    b = {"bf16": 2, "fp16": 2, "fp64": 8}[dtype]
    stats = 2 * (4 + 4 + 4 + 6 + 5)  # two values per channel: bn1, the residual's bn, the dense bodies' bn, fc's bn
    expected = [("dropout", 8 * 4 * 4 * BATCH * (1 - b))]
    if b < 4:
        expected.append(("batchnorm", stats * (4 - b)))
    assert sorted((x.kind, x.bytes) for x in m.bounds) == sorted(expected)


# --- automatic mixed precision (torch.autocast over fp32 weights) -------------------------------------------

AMP_TYPES = [*EVERY_TYPE, *(k for k in MODERN if k not in ("groupnorm", "channel_shuffle", "droppath")), "{groupnorm: {groups: 2}}", "{prelu: {slopes: channels}}", "instancenorm",
             "{channel_shuffle: {groups: 2}}", "{droppath: {p: 0.5}}", "{fc: {units: 3, per_position: true}}",
             "{upsample: {scale: 2}}", "{upsample: {scale: 2, mode: bilinear}}", "global_maxpool"]


@pytest.mark.parametrize("amp", ["fp16", "bf16"])
@pytest.mark.parametrize("item", AMP_TYPES)
@pytest.mark.parametrize("position", ["first", "after a conv"])
def test_every_layer_type_matches_autograd_under_autocast(item: str, position: str, amp: str) -> None:
    """Under autocast each tensor has its own dtype: a convolution keeps a 16-bit copy of its fp32 input and of
    its weights, layer scale's product is promoted to fp32, LRN's intermediates are fp32, batch norm's
    statistics are in its weights' fp32."""
    before = "" if position == "first" else "{conv: {filters: 4, kernel: 1}}, "
    after = ", {fc: {units: 3}}" if item in ("flatten", "{fc: {units: 5}}", "global_avgpool", "global_maxpool") \
        else ", {conv: {filters: 2, kernel: 1}}"
    check(f"input: 6x7x4\nlayers: [{before}{item}{after}]", amp)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(text=networks(), amp=st.sampled_from(["fp16", "bf16"]))
def test_random_networks_match_autograd_under_autocast(text: str, amp: str) -> None:
    check(text, amp)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(layers=st.lists(vector_layer(), min_size=1, max_size=6), n=st.integers(1, 12),
       first=st.sampled_from([[], [{"fc": {"units": 5}}], ["relu"], [{"dropout": {"p": 0.5}}]]))
def test_random_vector_networks_match_autograd_under_autocast(layers: list[Any], n: int, first: list[Any]) -> None:
    check(yaml.safe_dump({"input": n, "layers": first + layers}, default_flow_style=True, width=10**6), "fp16")


@pytest.mark.parametrize("name", ["resnet50", "googlenet", "densenet121", "efficientnet_b0", "mobilenet_v3_small",
                                  "convnext_tiny", "regnet_y_400mf", "shufflenet_v2_x1_0", "squeezenet1_1"])
def test_shipped_specs_match_autograd_under_autocast(name: str) -> None:
    """Each family's layers as they meet in a real network (gates, layer scale, LRN, dense concats, splits),
    at 64x64 (GoogLeNet's 7x7 average pool needs 224), batch 2, under CPU autocast at fp16."""
    spec = load_spec(name)
    side = 224 if name == "googlenet" else 64
    report = analyze(spec, input_shape=(spec.input[0], side, side), batch=BATCH, dtype="fp16")
    real, _ = autograd_saved(spec, tuple(report.input), amp=torch.float16)
    assert memory(report, amp="cpu").saved_bytes == real
