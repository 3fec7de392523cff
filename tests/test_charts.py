"""The --plot charts: which bars the profile draws (exact sums, the largest layers named, a bounded count at any
number of rows), the image's size, and sweep legends that list only what is drawn.

Parameter totals are torchvision's (`sum(p.numel() for p in model.parameters())`), not cnncalc's output."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import pytest
from conftest import SPECS, report_of

from cnncalc import analyze, grouping, load_spec
from cnncalc.charts import MAX_BARS, TOP, profile, profile_bars, short
from cnncalc.results import Report
from cnncalc.sweep import SweepPoint, sweep

MAX_PIXELS = (1_200, 1_800)  # what a screen or a slide shows without scrolling sideways

# torchvision's parameter counts
TORCHVISION_PARAMS = {"resnet50.yaml": 25_557_032, "densenet201.yaml": 20_013_928, "efficientnet_b7.yaml": 66_347_960}


def residual_spec(rows: int) -> str:
    """`rows` rows as rows/4 residual blocks (conv, bn, relu, add) under one `repeat`."""
    return (f"name: residual-{rows}\ninput: 8x8x16\nblocks:\n  unit:\n    residual:\n"
            "      body: [{conv: {filters: 16, kernel: 3, pad: 1, bias: false}}, bn, relu]\n"
            "      shortcut: identity\n"
            f"layers:\n  - {{name: body, repeat: {rows // 4}, unit: {{}}}}\n")


def chain_spec(rows: int) -> str:
    """A flat chain with no blocks: nothing to group by name, so the profile sums runs of rows."""
    body = "\n".join("  - conv: {filters: 4, kernel: 3, pad: 1}" if i % 2 == 0 else "  - relu" for i in range(rows))
    return f"name: chain-{rows}\ninput: 8x8x4\nlayers:\n{body}\n"


def report_from(tmp_path: Path, text: str) -> Report:
    spec = tmp_path / "net.yaml"
    spec.write_text(text)
    return analyze(load_spec(spec))


def output_values(report: Report) -> int:
    """Every layer's output values: the total less the network's input, which has no row."""
    return report.totals.activations - math.prod(report.input)


def png_size(path: Path) -> tuple[int, int]:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])  # the IHDR chunk
    return width, height


@pytest.fixture
def mpl() -> None:
    pytest.importorskip("matplotlib")


# --- which bars: pure data, no matplotlib ---------------------------------------------------------------------

def test_a_table_that_fits_is_one_bar_per_row() -> None:
    report = report_of("resnet50.yaml")
    rows = grouping.rows(report, 1)
    bars = profile_bars(report, rows)
    assert [b.label for b in bars.bars] == ["conv1", "batchnorm1", "relu1", "pool1", "conv2_x", "conv3_x",
                                            "conv4_x", "conv5_x", "pool2", "fc", "softmax1"]
    assert sum(b.params for b in bars.bars) == 25_557_032
    assert bars.top_activations == bars.top_params == ()
    assert "one bar per row" in bars.note


@pytest.mark.parametrize("name", list(TORCHVISION_PARAMS))
def test_expand_is_summed_into_blocks_with_the_largest_layers_named(name: str) -> None:
    report = report_of(name)
    rows = grouping.rows(report, None)
    assert len(rows) > MAX_BARS
    bars = profile_bars(report, rows)
    assert 1 < len(bars.bars) <= MAX_BARS
    assert sum(b.params for b in bars.bars) == TORCHVISION_PARAMS[name]
    assert sum(b.activations for b in bars.bars) == output_values(report)
    assert sum(b.layers for b in bars.bars) == len(report.layers)  # every layer in exactly one bar
    assert f"{len(report.layers):,} layers summed into {len(bars.bars)} bars" in bars.note
    by_activations = sorted((r.activations for r in report.layers), reverse=True)[:TOP]
    by_params = sorted((r.params for r in report.layers), reverse=True)[:TOP]
    assert [b.activations for b in bars.top_activations] == by_activations
    assert [b.params for b in bars.top_params] == by_params
    names = {r.name: r for r in report.layers}
    for b in bars.top_activations + bars.top_params:
        assert (names[b.label].activations, names[b.label].params) == (b.activations, b.params)


def test_densenet_blocks_are_its_stages() -> None:
    report = report_of("densenet201.yaml")
    bars = profile_bars(report, grouping.rows(report, None))
    labels = [b.label for b in bars.bars]
    assert [x for x in labels if x.startswith(("denseblock", "transition"))] == [
        "denseblock1", "transition1", "denseblock2", "transition2", "denseblock3", "transition3", "denseblock4"]
    assert bars.top_params[0].label == "fc"  # 1920*1000 + 1000 = 1,921,000, the largest layer (torchvision)
    assert bars.top_params[0].params == 1_921_000


def test_a_chain_with_no_blocks_is_summed_in_runs(tmp_path: Path) -> None:
    report = report_from(tmp_path, chain_spec(2_000))
    bars = profile_bars(report, grouping.rows(report, None))
    assert len(bars.bars) <= MAX_BARS
    assert sum(b.layers for b in bars.bars) == 2_000
    assert sum(b.params for b in bars.bars) == 1_000 * (3 * 3 * 4 * 4 + 4)
    assert sum(b.activations for b in bars.bars) == output_values(report)
    assert bars.bars[0].label == "conv1 … relu17"  # runs of ceil(2,000 / 60) = 34 rows: 17 conv-relu pairs
    assert "runs of 34 consecutive rows of summarize --depth 1" in bars.note


def test_twenty_thousand_rows_make_at_most_max_bars(tmp_path: Path) -> None:
    report = report_from(tmp_path, residual_spec(20_000))
    bars = profile_bars(report, grouping.rows(report, None))
    # one `repeat` is one bar at --depth 1, so the 5,000 blocks of --depth 2 are drawn in runs of ceil(5,000 / 60)
    assert len(bars.bars) == 60 and bars.bars[0].label == "body.0 … body.83" and bars.bars[0].layers == 84 * 4
    assert sum(b.params for b in bars.bars) == 5_000 * (3 * 3 * 16 * 16 + 2 * 16)  # conv without bias; bn's 2 per channel
    assert sum(b.activations for b in bars.bars) == output_values(report)
    assert len(bars.top_activations) == len(bars.top_params) == TOP


def test_long_names_keep_their_start_and_end() -> None:
    name = "stage6.block12.block.block.squeeze_excitation.fc2"
    label = short(name, 30)
    assert len(label) == 30 and label.startswith("stage6.block") and label.endswith("excitation.fc2")
    assert short("conv1") == "conv1"


# --- the drawing ----------------------------------------------------------------------------------------------

def test_the_drawn_bars_are_the_computed_bars(mpl: None) -> None:
    from cnncalc.charts import profile_figure

    report = report_of("densenet201.yaml")
    bars = profile_bars(report, grouping.rows(report, None))
    fig = profile_figure(bars)
    blocks, params, top_activations, top_params = fig.axes
    assert [t.get_text() for t in blocks.get_yticklabels()] == [b.label for b in bars.bars]
    assert [p.get_width() for p in blocks.patches] == [b.activations for b in bars.bars]
    assert [p.get_width() for p in params.patches] == [b.params for b in bars.bars]
    assert [t.get_text() for t in top_params.get_yticklabels()] == [b.label for b in bars.top_params]
    assert [p.get_width() for p in top_activations.patches] == [b.activations for b in bars.top_activations]
    assert bars.note in fig.get_suptitle()
    assert "20,013,928 in all" in params.get_title(loc="left")


@pytest.mark.parametrize("spec", ["five", "densenet201.yaml", "twenty-thousand"])
def test_the_image_is_bounded(mpl: None, tmp_path: Path, spec: str) -> None:
    if spec == "five":
        report = report_from(tmp_path, "name: five\ninput: 28x28x1\nlayers: [{conv: {filters: 6, kernel: 5}}, "
                                       "relu, {maxpool: {kernel: 2, stride: 2}}, flatten, {fc: {units: 10}}]\n")
    elif spec == "twenty-thousand":
        report = report_from(tmp_path, residual_spec(20_000))
    else:
        report = report_of(spec)
    png = tmp_path / "profile.png"
    profile(report, grouping.rows(report, None), png)
    width, height = png_size(png)
    assert width <= MAX_PIXELS[0] and height <= MAX_PIXELS[1]
    assert height >= 300  # and still a chart, not a sliver


def test_summarize_expand_plot_writes_a_bounded_png(mpl: None, run, tmp_path: Path) -> None:
    png = tmp_path / "profile.png"
    assert run("summarize", SPECS / "efficientnet_b7.yaml", "--expand", "--plot", png).exit_code == 0
    width, height = png_size(png)
    assert width <= MAX_PIXELS[0] and height <= MAX_PIXELS[1]


# --- sweep ----------------------------------------------------------------------------------------------------

def legend_matches_lines(ax) -> list[str]:
    """The legend's entries, after checking that each names a drawn line or marker set with points in it."""
    legend = ax.get_legend()
    entries = [t.get_text() for t in legend.get_texts()] if legend else []
    drawn = [a.get_label() for a in ax.lines if len(a.get_xdata())]
    drawn += [c.get_label() for c in ax.collections if len(c.get_offsets())]
    assert sorted(entries) == sorted(drawn)
    assert len(ax.lines) + len(ax.collections) == len(drawn)  # nothing empty was drawn either
    return entries


def test_no_tiling_marker_when_no_size_tiles(mpl: None) -> None:
    from cnncalc.charts import sweep_figure

    points = sweep(load_spec(SPECS / "alexnet.yaml"), [32, 64, 224, 225], [1])
    assert not any(p.tiles for p in points) and not points[0].valid  # 32 is too small for AlexNet
    fig = sweep_figure("AlexNet", points, dtype="fp32", optimizer="sgd")
    compute, memory = fig.axes
    assert legend_matches_lines(compute) == ["MACs per sample"]
    assert legend_matches_lines(memory) == ["training step", "forward activations"]
    assert memory.get_title() == "memory (fp32, batch 1, training with sgd)"


def test_tiling_sizes_and_every_batch_are_named(mpl: None) -> None:
    from cnncalc.charts import sweep_figure

    points = sweep(load_spec(SPECS / "alexnet.yaml"), [224, 227], [1, 8], dtype="fp16", optimizer="adam")
    fig = sweep_figure("AlexNet", points, dtype="fp16", optimizer="adam")
    compute, memory = fig.axes
    assert sorted(legend_matches_lines(compute)) == ["MACs per sample", "every layer tiles"]
    assert compute.collections[0].get_offsets()[:, 0].tolist() == [227]
    assert legend_matches_lines(memory) == ["training step, batch 1", "forward activations, batch 1",
                                            "training step, batch 8", "forward activations, batch 8"]
    assert memory.get_title() == "memory (fp16, batches 1, 8, training with adam)"


def test_a_batch_with_no_valid_size_has_no_line(mpl: None) -> None:
    from cnncalc.charts import sweep_figure

    points = [SweepPoint(224, 1, None, params=1, macs=10**9, activation_bytes=2**30, training_bytes=2**31),
              SweepPoint(224, 4, "too large")]
    memory = sweep_figure("net", points, dtype="bf16", optimizer="momentum").axes[1]
    assert legend_matches_lines(memory) == ["training step", "forward activations"]
    assert memory.get_title() == "memory (bf16, batch 1, training with momentum)"


def test_nothing_valid_draws_no_legend(mpl: None) -> None:
    from cnncalc.charts import sweep_figure

    compute, memory = sweep_figure("net", [SweepPoint(8, 1, "too small")], dtype="fp32", optimizer="sgd").axes
    assert legend_matches_lines(compute) == legend_matches_lines(memory) == []


def test_sweep_passes_its_dtype_and_optimizer_to_the_chart(mpl: None, run, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from cnncalc import charts

    seen: dict[str, object] = {}
    monkeypatch.setattr(charts, "sweep_chart", lambda model, points, path, **options: seen.update(options))
    result = run("sweep", SPECS / "alexnet.yaml", "--input", "227", "--batch", "2", "--dtype", "fp16",
                 "--optimizer", "adam", "--plot", tmp_path / "sweep.png")
    assert result.exit_code == 0
    assert seen == {"dtype": "fp16", "optimizer": "adam"}
