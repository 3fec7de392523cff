"""`cnncalc report`: the page's structure (one box per top-level row, the slides' shapes, totals from outside
sources), its self-containedness, and the series-parallel tree of every shipped spec."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import SPECS, report_of

from cnncalc import grouping
from cnncalc.report import content, html, payload
from cnncalc.report.page import script_json
from cnncalc.report.tree import build
from cnncalc.spec import load_spec, loads_spec
from cnncalc.views import summarize

ZOO = sorted(p.name for p in SPECS.glob("*.yaml"))


def page_data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="cnncalc-data">(.*?)</script>', page, re.DOTALL)
    assert m, "the page carries its data inline"
    return json.loads(m[1])


def leaves(node: object) -> list[int]:
    """Every row index drawn under a tree node (boxes and joins)."""
    if isinstance(node, int):
        return [node]
    if isinstance(node, list):
        return [i for n in node for i in leaves(n)]
    assert isinstance(node, dict)
    if "b" in node:
        return leaves(node["c"])
    return [i for b in node["p"] for i in leaves(b)] + ([] if node["j"] is None else [node["j"]])


def top_name(data: dict, node: object) -> str:
    if isinstance(node, int):
        return data["rows"][node]["n"]
    assert isinstance(node, dict) and "b" in node, f"a top-level item is a row or a block, got {node}"
    return data["blocks"][node["b"]]["n"]


@pytest.mark.parametrize("name", ZOO)
def test_one_box_per_top_level_row_and_every_row_drawn_once(name: str) -> None:
    spec = load_spec(SPECS / name)
    report = report_of(name)
    data = payload(spec)
    rows = grouping.rows(report, 1)
    assert [top_name(data, n) for n in data["tree"]] == [r.name for r in rows]  # summarize's depth-1 rows
    assert sorted(leaves(data["tree"])) == list(range(len(report.layers)))


# Outside sources: the slides' AlexNet (62,378,344 params), torchvision's model card for VGG-16 (138,357,544),
# torchvision's ResNet-50 (25,557,032) and DenseNet-121 (7,978,856).
@pytest.mark.parametrize(("name", "params"), [("alexnet.yaml", 62_378_344), ("vgg16.yaml", 138_357_544),
                                             ("resnet50.yaml", 25_557_032), ("densenet121.yaml", 7_978_856)],
                         ids=["alexnet-slides", "vgg16-torchvision", "resnet50-torchvision", "densenet121"])
def test_totals_are_the_published_ones_and_the_json_contract(name: str, params: int) -> None:
    spec = load_spec(SPECS / name)
    data = page_data(html(spec))
    contract = summarize.data(report_of(name))["totals"]
    assert data["totals"]["params"] == contract["params"] == params
    assert data["totals"]["params_text"] == f"{params:,}"
    assert f"<b>Total params:</b> {params:,}" in data["facts"]
    assert data["totals"]["macs"] == contract["macs"] and data["totals"]["activations"] == contract["activations"]


def test_alexnet_boxes_show_the_slides_volumes() -> None:
    data = payload(load_spec(SPECS / "alexnet.yaml"))
    boxes = {r["n"]: r for r in data["rows"]}
    assert boxes["conv1"]["o"] == "55x55x96"  # the slides: "Output volume [55x55x96]"
    assert boxes["conv1"]["p"] == "34,944"  # (11*11*3)*96 + 96
    assert boxes["pool1"]["o"] == "27x27x96"
    assert data["input"] == "227x227x3"
    assert any("(227 − 11 + 2·0)/4 + 1 = 55" in s[1] for s in data["steps"]["conv1"])  # the worked solution


def test_vgg16_first_conv_is_224x224x64() -> None:
    data = payload(load_spec(SPECS / "vgg16.yaml"))
    assert data["rows"][0]["o"] == "224x224x64"


def test_inception_is_four_branches_joined_by_a_concatenation() -> None:
    data = payload(load_spec(SPECS / "googlenet.yaml"))
    block = next(n for n in data["tree"] if isinstance(n, dict) and data["blocks"][n["b"]]["n"] == "inception_3a")
    (par,) = block["c"]
    assert len(par["p"]) == 4 and data["rows"][par["j"]]["k"] == "concat"
    assert data["rows"][par["j"]]["o"] == "28x28x256"  # Table 1: inception (3a) 28x28x256


def test_residual_blocks_have_a_projection_then_identity_bypasses() -> None:
    data = payload(load_spec(SPECS / "resnet50.yaml"))
    stage = next(n for n in data["tree"] if isinstance(n, dict) and data["blocks"][n["b"]]["n"] == "conv2_x")
    first, second = stage["c"][0]["c"][0], stage["c"][1]["c"][0]
    assert data["rows"][first["j"]]["k"] == "add" and len(first["p"]) == 2 and all(first["p"])  # projection
    assert data["rows"][second["j"]]["k"] == "add" and [] in second["p"]  # the identity: a bypass line


def test_dense_block_carries_its_input_around_each_layer() -> None:
    data = payload(load_spec(SPECS / "densenet121.yaml"))
    block = next(n for n in data["tree"] if isinstance(n, dict) and data["blocks"][n["b"]]["n"] == "denseblock1")
    assert len(block["c"]) == 6  # dense x6
    assert all([] in p["p"] and data["rows"][p["j"]]["k"] == "concat" for p in block["c"])
    assert data["rows"][block["c"][-1]["j"]]["o"] == "56x56x256"  # 64 + 6·32 channels


def test_a_spec_without_modules_still_draws_its_branches_from_the_data_flow() -> None:
    report = report_of("googlenet.yaml")
    tree = build(report.layers)  # what a symbolic report gives: rows only
    pars = [n for n in tree if isinstance(n, dict)]
    assert len(pars) == 9 and all(len(p["p"]) == 4 for p in pars)  # nine inception modules


def test_symbolic_input_shows_formulas() -> None:
    spec = load_spec(SPECS / "alexnet.yaml")
    data = payload(spec, _symbolic())
    assert data["symbolic"] and data["metrics"] == []
    conv1 = data["rows"][0]
    assert "H" in conv1["o"] and "W" in conv1["o"] and conv1["p"] == "34,944"
    assert "H ≡ 3 (mod 32)" in data["facts"]


def _symbolic() -> tuple:
    from cnncalc.spec import parse_input

    return parse_input("HxWx3", line=None, field="--input", channels=3)


def test_variant_changes_the_page() -> None:
    paper = payload(load_spec(SPECS / "resnet50.yaml"))
    tv = payload(load_spec(SPECS / "resnet50.yaml", variant="torchvision"))
    assert paper["totals"]["params"] == tv["totals"]["params"] == 25_557_032  # the stride moves, not the weights
    assert paper["totals"]["macs"] != tv["totals"]["macs"]


def test_the_page_is_self_contained_and_small(tmp_path: Path, run) -> None:
    out = tmp_path / "d.html"
    result = run("report", SPECS / "densenet201.yaml", "-o", out)
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert len(page.encode()) < 2_000_000
    for loader in ("<link", " src=", "@import", "url(", "fetch(\"http", "//cdn"):
        assert loader not in page, loader
    assert page.count("<script") == 3  # the data, serve's (null here), the script
    assert page_data(page)["model"] == "DenseNet-201"


def test_report_takes_a_zoo_name_and_names_its_file(tmp_path: Path, run, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("report", "resnet50")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "resnet50.html").exists() and "Wrote resnet50.html" in result.stderr


def test_report_errors_as_the_cli_does(tmp_path: Path, run) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: 32x32x3\nlayers:\n  - conv: {filters: -1, kernel: 3}\n")
    result = run("report", bad, "-o", tmp_path / "x.html")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bad}:3: ")
    assert not (tmp_path / "x.html").exists()


def test_script_json_cannot_close_the_script() -> None:
    text = script_json({"n": "</script><script>alert(1)</script><!--"})
    assert "</" not in text and "<!--" not in text
    assert json.loads(text)["n"] == "</script><script>alert(1)</script><!--"


def test_names_from_the_spec_are_escaped_in_the_tables() -> None:
    spec = loads_spec("name: <b>x</b>\ninput: 8x8x1\nlayers:\n  - {name: '<img>', conv: {filters: 2, kernel: 3}}\n")
    data = payload(spec)
    assert "<img>" not in data["table"] and "&lt;img&gt;" in data["table"]
    assert data["rows"][0]["n"] == "<img>"  # the script sets it as text, never as HTML


def test_sortable_cells_carry_exact_values() -> None:
    data = payload(load_spec(SPECS / "vgg16.yaml"))
    assert 'data-v="102764544"' in data["table"]  # fc6: 7*7*512*4096 + 4096, sorted by the number itself


def test_every_content_key_is_in_both_payloads() -> None:
    numeric = payload(load_spec(SPECS / "lenet5.yaml"))
    symbolic = content.symbolic(load_spec(SPECS / "alexnet.yaml"), _symbolic())
    assert set(numeric) == set(symbolic)  # the page's script reads the same keys from both


def test_the_profile_charts_stay_readable_at_hundreds_of_rows() -> None:
    """A flat chain of 300 convolutions: the page's charts sum the rows into at most charts.MAX_BARS bars (plus
    the ten largest layers, named) instead of 600 bars; each sum is exact (8·8·8 = 512 values, 8·8·9 + 8 = 584
    params per 3x3 conv of 8 filters on 8 channels, hand-counted)."""
    from cnncalc import analyze, loads_spec
    from cnncalc.charts import MAX_BARS, TOP
    from cnncalc.report import charts

    chain = ", ".join(["{conv: {filters: 8, kernel: 3, pad: 1}}"] * 300)
    report = analyze(loads_spec(f"input: 8x8x8\nlayers: [{chain}]"))
    svg = charts.profile(report, grouping.rows(report, 1))
    bars = re.findall(r"<title>([^<]*): ([\d,]+)</title>", svg)
    assert 2 * TOP < len(bars) <= 2 * (MAX_BARS + TOP)
    activations = [int(v.replace(",", "")) for _, v in bars[:len(bars) // 2 - TOP]]
    assert sum(activations) == 300 * 512
    params = [int(v.replace(",", "")) for _, v in bars[len(bars) // 2 - TOP:len(bars) - 2 * TOP]]
    assert sum(params) == 300 * 584
    assert "300 layers summed into" in svg
