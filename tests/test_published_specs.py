"""Every shipped spec against the numbers its source publishes: slides, papers, torchvision."""

from __future__ import annotations

import pytest

from conftest import SPECS, layer, report_of
from cnncalc import analyze, load_spec


def shapes(report, kinds):  # noqa: ANN001, ANN201
    return [r.output for r in report.layers if r.kind in kinds]


# --- LeNet-5, seed 003: the torchsummary table (output shape and Param # per row) --------------------------

def test_lenet5_matches_seed_003_torchsummary() -> None:
    report = report_of("lenet5.yaml")
    table = [  # Layer (type), Output Shape, Param #  -- copied from the slide
        ("conv", (6, 28, 28), 156), ("avgpool", (6, 14, 14), 0), ("sigmoid", (6, 14, 14), 0),
        ("conv", (16, 10, 10), 2416), ("avgpool", (16, 5, 5), 0), ("sigmoid", (16, 5, 5), 0),
        ("fc", (120,), 48120), ("sigmoid", (120,), 0), ("fc", (84,), 10164), ("sigmoid", (84,), 0),
        ("fc", (10,), 850),
    ]
    rows = [(r.kind, r.output, r.params) for r in report.layers if r.kind != "flatten"]
    assert rows == table
    assert report.totals.params == 61_706


def test_lenet_compact_notation_of_seed_001() -> None:
    report = report_of("lenet_compact.yaml")
    assert [r.output for r in report.layers] == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (400,),
                                                 (120,), (84,), (10,)]  # "(Flat)400->120fc->84fc->10fc"
    assert report.totals.params == 61_706  # the same network as seed 003's LeNet-5


# --- AlexNet, the slides' 227x227x3 version ----------------------------------------------------------------

def test_alexnet_conv1_and_pool1_as_the_slides_work_them() -> None:
    report = report_of("alexnet.yaml")
    conv1 = layer(report, "conv1")
    assert conv1.output == (96, 55, 55)  # "Output volume [55x55x96]"
    assert conv1.weights == 11 * 11 * 3 * 96 == 34_848  # "(11*11*3)*96 = 35K"
    assert round(conv1.weights, -3) == 35_000
    pool1 = layer(report, "pool1")
    assert pool1.output == (96, 27, 27) and pool1.params == 0  # "Parameters: 0!"


def test_alexnet_full_architecture_shapes() -> None:
    report = report_of("alexnet.yaml")
    slide = {  # "Full (simplified) AlexNet architecture" with H, W, C turned into C, H, W
        "conv1": (96, 55, 55), "pool1": (96, 27, 27), "norm1": (96, 27, 27), "conv2": (256, 27, 27),
        "pool2": (256, 13, 13), "norm2": (256, 13, 13), "conv3": (384, 13, 13), "conv4": (384, 13, 13),
        "conv5": (256, 13, 13), "pool3": (256, 6, 6), "fc6": (4096,), "fc7": (4096,), "fc8": (1000,),
    }
    assert {name: layer(report, name).output for name in slide} == slide
    assert not report.warnings  # 227 tiles every layer, which is why the slides use it


def test_alexnet_total_params_from_the_slide_hyper_parameters() -> None:
    # Each term is written from the slide's layer list by hand: (F*F*D_in)*K + K for convs, N_in*N_out + N_out for FCs.
    by_hand = ((11 * 11 * 3) * 96 + 96 + (5 * 5 * 96) * 256 + 256 + (3 * 3 * 256) * 384 + 384
               + (3 * 3 * 384) * 384 + 384 + (3 * 3 * 384) * 256 + 256
               + 6 * 6 * 256 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000)
    assert report_of("alexnet.yaml").totals.params == by_hand == 62_378_344


def test_alexnet_on_224_does_not_tile_and_227_is_suggested() -> None:
    spec = load_spec(SPECS / "alexnet.yaml")
    report = analyze(spec, input_shape=(3, 224, 224))
    first = report.warnings[0]
    assert first.layer == "conv1" and first.exact == pytest.approx(54.25) and first.floor == 54
    assert first.suggested_input == 227


# --- AlexNet, seed 003 (1 channel, 10 classes, torchvision layout) -------------------------------------------

def test_alexnet_seed_003_matches_its_summary_table() -> None:
    report = report_of("alexnet_seed003.yaml")
    table = [  # Output Shape and Param # of every row with a shape in the slide's torchinfo table
        ("conv", (64, 56, 56), 7_808), ("relu", (64, 56, 56), 0), ("maxpool", (64, 27, 27), 0),
        ("conv", (192, 27, 27), 307_392), ("relu", (192, 27, 27), 0), ("maxpool", (192, 13, 13), 0),
        ("conv", (384, 13, 13), 663_936), ("relu", (384, 13, 13), 0),
        ("conv", (256, 13, 13), 884_992), ("relu", (256, 13, 13), 0),
        ("conv", (256, 13, 13), 590_080), ("relu", (256, 13, 13), 0), ("maxpool", (256, 6, 6), 0),
        ("adaptive_avgpool", (256, 6, 6), 0),
        ("dropout", (9216,), 0), ("fc", (4096,), 37_752_832), ("relu", (4096,), 0),
        ("dropout", (4096,), 0), ("fc", (4096,), 16_781_312), ("relu", (4096,), 0), ("fc", (10,), 40_970),
    ]
    assert [(r.kind, r.output, r.params) for r in report.layers if r.kind != "flatten"] == table
    assert report.totals.params == 57_029_322


def test_torchvision_alexnet() -> None:
    report = report_of("alexnet_torchvision.yaml")
    assert report.totals.params == 61_100_840  # torchvision model card
    assert round(report.totals.macs / 1e9, 2) == 0.71  # torchvision: 0.71 GFLOPS


# --- ZFNet ----------------------------------------------------------------------------------------------------

def test_zfnet_figure_3_sizes_and_the_1025_typo() -> None:
    report = report_of("zfnet.yaml")
    sizes = {name: layer(report, name).output[1] for name in ("conv1", "pool1", "conv2", "pool2", "conv5", "pool3")}
    assert sizes == {"conv1": 110, "pool1": 55, "conv2": 26, "pool2": 13, "conv5": 13, "pool3": 6}
    # The slide's "512, 1025, 512": 1025 is a typo; the network uses 1024 filters in conv4.
    assert [layer(report, n).output[0] for n in ("conv3", "conv4", "conv5")] == [512, 1024, 512]


# --- VGG ------------------------------------------------------------------------------------------------------

VGG = {  # file: (paper Table 2 in millions, torchvision exact params, torchvision GFLOPS)
    "vgg11.yaml": (133, 132_863_336, 7.61),
    "vgg11_lrn.yaml": (133, 132_863_336, None),
    "vgg13.yaml": (133, 133_047_848, 11.31),
    "vgg16_c.yaml": (134, None, None),
    "vgg16.yaml": (138, 138_357_544, 15.47),
    "vgg19.yaml": (144, 143_667_240, 19.63),
}


@pytest.mark.parametrize("name", VGG, ids=list(VGG))
def test_vgg_table_2_params_and_torchvision(name: str) -> None:
    millions, exact, gflops = VGG[name]
    report = report_of(name)
    assert round(report.totals.params / 1e6) == millions
    if exact:
        assert report.totals.params == exact
    if gflops:
        assert round(report.totals.macs / 1e9, 2) == gflops


# The slides' VGG16 table (seed 004), "not counting biases": (output as HxWxC, memory, params) per row.
VGG16_SLIDE_ROWS = [
    ("224x224x64", 224 * 224 * 64, 1_728), ("224x224x64", 224 * 224 * 64, 36_864), ("112x112x64", 112 * 112 * 64, 0),
    ("112x112x128", 112 * 112 * 128, 73_728), ("112x112x128", 112 * 112 * 128, 147_456),
    ("56x56x128", 56 * 56 * 128, 0),
    ("56x56x256", 56 * 56 * 256, 294_912), ("56x56x256", 56 * 56 * 256, 589_824), ("56x56x256", 56 * 56 * 256, 589_824),
    ("28x28x256", 28 * 28 * 256, 0),
    ("28x28x512", 28 * 28 * 512, 1_179_648), ("28x28x512", 28 * 28 * 512, 2_359_296),
    ("28x28x512", 28 * 28 * 512, 2_359_296), ("14x14x512", 14 * 14 * 512, 0),
    ("14x14x512", 14 * 14 * 512, 2_359_296), ("14x14x512", 14 * 14 * 512, 2_359_296),
    ("14x14x512", 14 * 14 * 512, 2_359_296), ("7x7x512", 7 * 7 * 512, 0),
    ("4096", 4096, 102_760_448), ("4096", 4096, 16_777_216), ("1000", 1000, 4_096_000),
]


def test_vgg16_rows_match_the_slides_table() -> None:
    from cnncalc.layers import show_shape

    report = report_of("vgg16.yaml", count_biases=False)
    rows = [(show_shape(r.output), r.activations, r.params) for r in report.layers if r.kind in ("conv", "maxpool", "fc")]
    assert rows == VGG16_SLIDE_ROWS
    assert report.totals.params == 138_344_128  # "TOTAL params: 138M parameters (not counting biases)"


def test_vgg16_total_memory_is_not_the_slides_24m() -> None:
    # The slides' rows (INPUT 150K + the 21 rows above) add up to 15.2M values, ~61 MB at 4 bytes -- not the
    # "TOTAL memory: 24M * 4 bytes ~= 93MB" printed under them (also reported as CS231n notes issue #88).
    rows_sum = 224 * 224 * 3 + sum(memory for _, memory, _ in VGG16_SLIDE_ROWS)
    assert rows_sum == 15_237_608
    report = report_of("vgg16.yaml")
    # Our total also counts the soft-max's 1000 outputs, a layer the slide table leaves out.
    assert report.totals.activations == rows_sum + 1000
    assert report.totals.forward_bytes == (rows_sum + 1000) * 4 == 60_954_432  # 61 MB, not 93 MB
    assert report.totals.forward_backward_bytes == 2 * report.totals.forward_bytes  # "~*2 for bwd"
    assert abs(report.totals.activations - 24_000_000) > 8_000_000


# --- Invariants over every shipped spec ------------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.stem)
def test_invariants(path) -> None:  # noqa: ANN001
    report = analyze(load_spec(path))
    t = report.totals
    assert sum(r.params for r in report.layers) == t.params == t.weights + t.biases
    assert sum(r.macs for r in report.layers) == t.macs
    assert sum(r.flops for r in report.layers) == t.flops >= 2 * t.macs
    assert t.forward_bytes == t.activations * 4
    if not report.modules:  # a chain: each layer's input is the previous layer's output
        shape = report.input
        for r in report.layers:
            assert r.input == shape
            shape = r.output
    for m in report.modules:  # a block starts from its input and its rows sum to the block
        rows = report.layers[m.first_row:m.end_row]
        assert rows and rows[0].input == m.input
    top = [m for m in report.modules if "." not in m.name]
    assert all(m.output == report.layers[m.end_row - 1].output or m.kind != "repeat" for m in top)
