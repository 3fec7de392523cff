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
