"""The engineer's options of issue 15: `compare --input/--batch/--dtype` and `memory --depth/--expand`.

Outside figures: VGG-16's activations from the slides (15,238,608 values per image, the input included, so
60,954,432 bytes at fp32); ResNet-50 (torchvision) 4,089,184,256 conv+linear MACs at 224×224 (FlopCounterMode
on torchvision's resnet50, half its 8,178,368,512 FLOPs; the model card's 4.09 GFLOPS), of which the fc is
2048·1000. At 448×448 every feature map is exactly twice as high and wide, so the convolutions cost 4×.
"""

from __future__ import annotations

import csv
import io
import json

from conftest import SPECS

VGG16_VALUES = 15_238_608
RESNET50_MACS = 4_089_184_256
RESNET50_FC_MACS = 2048 * 1000


def test_compare_batch_and_dtype_price_the_activations(run) -> None:  # noqa: ANN001
    result = run("compare", SPECS / "vgg16.yaml", SPECS / "alexnet.yaml", "--batch", "2", "--dtype", "fp16",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    vgg = json.loads(result.output)["totals"][0]
    assert (vgg["batch"], vgg["dtype"]) == (2, "fp16")
    assert vgg["forward_bytes"] == VGG16_VALUES * 2 * 2
    table = run("compare", SPECS / "vgg16.yaml", SPECS / "alexnet.yaml", "--batch", "2", "--dtype", "fp16").output
    assert "activations (fp16, batch 2)" in table and "61 MB" in table  # 60,954,432 bytes


def test_compare_without_memory_options_keeps_the_papers_rows(run) -> None:  # noqa: ANN001
    out = run("compare", SPECS / "vgg16.yaml", SPECS / "alexnet.yaml").output
    assert "activations (" not in out


def test_compare_input_override(run) -> None:  # noqa: ANN001
    at = {}
    for size in ("224", "448x448"):
        result = run("compare", SPECS / "resnet50.yaml", SPECS / "resnet18.yaml", "--variant", "torchvision",
                     "--input", size, "--format", "json")
        assert result.exit_code == 0, result.output
        at[size] = json.loads(result.output)["totals"][0]
    assert at["224"]["macs"] == RESNET50_MACS
    assert at["448x448"]["input"] == [3, 448, 448]
    assert at["448x448"]["macs"] == 4 * (RESNET50_MACS - RESNET50_FC_MACS) + RESNET50_FC_MACS
    assert at["448x448"]["params"] == at["224"]["params"] == 25_557_032  # torchvision's model card


def _csv_rows(text: str) -> dict[str, int]:
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    return {r[header.index("layer")]: int(r[header.index("bytes")]) for r in rows[1:] if r and r[0]
            and r[0] != "total" and len(r) == len(header) and r[header.index("bytes")].isdigit()}


def test_memory_depth_groups_blocks_and_expand_lists_every_layer(run) -> None:  # noqa: ANN001
    spec = SPECS / "resnet50.yaml"
    total = json.loads(run("memory", spec, "--format", "json").output)["totals"]["saved_activation_bytes"]
    grouped = run("memory", spec, "--format", "csv").output
    expanded = run("memory", spec, "--format", "csv", "--expand").output
    blocks, leaves = _csv_rows(grouped), _csv_rows(expanded)
    assert "conv3_x" in blocks and "conv3_x.0.batchnorm1" not in blocks
    assert "conv3_x.0.batchnorm1" in leaves
    assert blocks["conv3_x"] == sum(v for k, v in leaves.items() if k.startswith("conv3_x."))
    assert sum(blocks.values()) == sum(leaves.values()) == total
    two = _csv_rows(run("memory", spec, "--format", "csv", "--depth", "2").output)
    assert "conv3_x.1" in two and sum(two.values()) == total


AMP_NET = ("name: amp\ninput: 16x16x3\nlayers: [{conv: {filters: 8, kernel: 3, pad: 1, bias: false}}, bn, relu, "
           "{residual: {body: [{conv: {filters: 8, kernel: 3, pad: 1}}, layernorm, gelu], shortcut: identity}}, "
           "global_avgpool, {fc: {units: 10}}, softmax]")


def test_memory_amp_prices_master_weights_fp32_and_activations_as_autocast_keeps_them(run, tmp_path) -> None:  # noqa: ANN001
    """`memory --amp cpu --optimizer adam`: parameters, gradients and Adam's two moments at 4 bytes per torch
    parameter; the activations exactly what autograd keeps under torch.autocast('cpu', float16), measured."""
    import torch
    from test_memory_autograd import autograd_saved

    from cnncalc import loads_spec
    from cnncalc.verify.build import build_network

    path = tmp_path / "amp.yaml"
    path.write_text(AMP_NET)
    data = json.loads(run("memory", path, "--amp", "cpu", "--optimizer", "adam", "--batch", "2",
                          "--format", "json").output)
    spec = loads_spec(AMP_NET)
    params = sum(p.numel() for p in build_network(spec.layers, (3, 16, 16)).parameters())
    saved, _ = autograd_saved(spec, (3, 16, 16), batch=2, amp=torch.float16)
    t = data["totals"]
    assert (data["amp"], data["dtype"]) == ("cpu", "fp16")
    assert (t["params_bytes"], t["gradients_bytes"], t["optimizer_bytes"]) == (4 * params, 4 * params, 8 * params)
    assert t["saved_activation_bytes"] == saved
    # on CUDA autocast runs layer_norm and softmax in fp32 (PyTorch's autocast op reference): more is kept
    cuda = json.loads(run("memory", path, "--amp", "--batch", "2", "--format", "json").output)
    assert cuda["amp"] == "cuda" and cuda["totals"]["saved_activation_bytes"] > saved
    table = run("memory", path, "--amp").output
    assert "fp16 AMP (cuda)" in table and "fp32 master weights" in table


def test_memory_amp_refuses_a_32_bit_dtype(run) -> None:  # noqa: ANN001
    result = run("memory", SPECS / "resnet50.yaml", "--amp", "--dtype", "fp32")
    assert result.exit_code == 1 and "--amp runs layers in a 16-bit dtype" in result.output


def test_a_paper_figure_of_the_other_variant_is_not_marked_as_a_slip(run) -> None:  # noqa: ANN001
    """He et al.'s 3.8G is for the paper's ResNet-50; torchvision's v1.5 has 4,089,184,256 MACs (FlopCounterMode):
    beside it the paper's figure is named as the paper's network's, not marked ✗."""
    data = json.loads(run("compare", "resnet50", "resnet50_torchvision", "--format", "json").output)
    paper, variant = (t["paper"][0] for t in data["totals"])
    assert data["totals"][1]["macs"] == RESNET50_MACS
    assert (variant["written"], variant["agrees"], variant["flagged"], variant["variant"]) == \
        ("3.8G", False, False, "torchvision")
    assert paper["variant"] is None and paper["flagged"] == (not paper["agrees"])
    table = run("table", "resnet50", "--variant", "torchvision").output
    assert "3.8G: the paper's network, not --variant torchvision" in table and "✗" not in table
