"""The zoo (issue 13): shipped specs are package data, addressed by name from any folder; a file of that name
wins; NAME_torchvision is NAME --variant torchvision; `cnncalc specs` lists them from an index kept up to date.

Numbers come from the sources: VGG-16 (D) 138,357,544 params (torchvision's vgg16, the paper's 138M);
ResNet-50 25,557,032 params (torchvision's model card) and torchvision's 4.09 GFLOPS (multiply-adds) against the
paper's 3.8 ×10⁹ (Table 1); DenseNet-121 7,978,856 params (torchvision).
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, SPECS

from cnncalc import analyze, load_spec, zoo, zoo_index
from cnncalc.cli import main
from cnncalc.errors import SpecError

VGG16_PARAMS = 138_357_544
RESNET50_PARAMS = 25_557_032
TINY = "input: 8x8x3\nlayers:\n  - conv: {filters: 4, kernel: 3}\n"  # (3*3*3)*4 + 4 = 112 params


def cli(cwd: Path, *args: str):
    """The CLI as a user types it in folder `cwd` (stdout and stderr apart)."""
    here = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(here)


def totals(cwd: Path, *args: str) -> dict:
    result = cli(cwd, "summarize", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["totals"]


# --- one folder, one source of truth -------------------------------------------------------------------------------

def test_specs_folder_is_the_package_folder() -> None:
    assert SPECS.is_symlink() and SPECS.resolve() == zoo.FOLDER.resolve() == (ROOT / "cnncalc" / "models").resolve()
    assert sorted(p.stem for p in SPECS.glob("*.yaml")) == zoo.names()  # conftest's SPECS finds every spec
    assert {"vgg16", "resnet50", "alexnet", "alexnet_torchvision", "densenet121", "googlenet"} <= set(zoo.names())


def test_zoo_paths_never_leave_the_folder() -> None:
    for bad in ("../pyproject", "..", "/etc/passwd", "models/../../pyproject", "", "vgg16/"):
        assert zoo.path(bad) is None, bad
    assert zoo.path("vgg16") == zoo.FOLDER / "vgg16.yaml"


def test_pyproject_ships_every_file_of_the_zoo() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = data["tool"]["setuptools"]["package-data"]["cnncalc"]
    files = [p.name for p in zoo.FOLDER.iterdir() if p.is_file()]
    assert "index.json" in files and len(files) > 20
    missing = [f for f in files if not any(fnmatch.fnmatch(f"models/{f}", g) for g in globs)]
    assert not missing, f"package-data does not ship {missing}"


def test_a_wheel_carries_the_specs_and_the_index(tmp_path: Path) -> None:
    """Built from a copy of the sources (no stale build/ folder): every models/ file is in the wheel."""
    src = tmp_path / "src"
    shutil.copytree(ROOT / "cnncalc", src / "cnncalc", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    isolation = ["--no-build-isolation"] if _setuptools_builds_wheels() else []  # else pip fetches setuptools
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", *isolation, "-w",
                           str(tmp_path / "dist"), str(src)], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    wheel = next((tmp_path / "dist").glob("cnncalc-*.whl"))
    shipped = {Path(n).name for n in zipfile.ZipFile(wheel).namelist() if n.startswith("cnncalc/models/")}
    assert shipped == {p.name for p in zoo.FOLDER.iterdir() if p.is_file()}


def _setuptools_builds_wheels() -> bool:
    if importlib.util.find_spec("setuptools") is None:
        return False
    import setuptools

    return int(setuptools.__version__.split(".")[0]) >= 70  # bdist_wheel built in, no `wheel` package needed


# --- names from any folder -----------------------------------------------------------------------------------------

def test_a_name_works_from_an_empty_folder_in_a_fresh_process(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "cnncalc", "summarize", "vgg16", "--format", "json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["model"] == "VGG-16 (D)" and data["totals"]["params"] == VGG16_PARAMS


@pytest.mark.parametrize("args", [
    ("summarize", "resnet50"), ("table", "googlenet"), ("compare", "resnet18", "resnet34", "--totals"),
    ("explain", "alexnet", "--layer", "conv1"), ("memory", "resnet50"), ("sweep", "alexnet", "--input", "224,227"),
    ("report", "lenet5", "-o", "page.html"), ("verify", "lenet5", "--device", "meta"),
    ("summarize", "resnet50_torchvision"), ("specs",),
], ids=lambda a: " ".join(a))
def test_every_spec_command_takes_a_name(tmp_path: Path, args: tuple[str, ...]) -> None:
    if args[0] == "verify" and importlib.util.find_spec("torch") is None:
        pytest.skip("verify needs torch (the README's test command installs it)")
    result = cli(tmp_path, *args)
    assert result.exit_code == 0, result.output


def test_the_vgg16_and_resnet50_numbers_by_name(tmp_path: Path) -> None:
    assert totals(tmp_path, "vgg16")["params"] == VGG16_PARAMS
    assert totals(tmp_path, "resnet50")["params"] == RESNET50_PARAMS
    assert load_spec("densenet121").name == "DenseNet-121"  # the Python API resolves names too
    assert analyze(load_spec("densenet121")).totals.params == 7_978_856


def test_a_file_of_that_name_in_the_current_folder_wins(tmp_path: Path) -> None:
    (tmp_path / "vgg16").write_text(TINY)
    assert totals(tmp_path, "vgg16")["params"] == 112
    assert zoo.resolve(str(tmp_path / "vgg16")) == (str(tmp_path / "vgg16"), None)
    (tmp_path / "resnet50_torchvision").write_text(TINY)  # wins over the variant spelling as well
    assert totals(tmp_path, "resnet50_torchvision")["params"] == 112
    other = tmp_path / "elsewhere"
    other.mkdir()
    assert totals(other, "vgg16")["params"] == VGG16_PARAMS  # no such file there: the shipped spec


def test_the_help_says_which_wins() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "shipped spec" in text and "current folder wins" in text
    assert "current folder wins" in " ".join(CliRunner().invoke(main, ["specs", "--help"]).output.split())


# --- unknown names -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["summarize", "table", "compare", "explain", "memory", "sweep", "verify", "report",
                                     "serve"])
def test_an_unknown_name_says_so_and_suggests(tmp_path: Path, command: str) -> None:
    result = cli(tmp_path, command, "vgg17")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: vgg17: no such file or shipped spec (cnncalc specs lists them); "
                                    "did you mean "), result.stderr
    assert "vgg16" in result.stderr and result.stderr.endswith("?\n") and "Traceback" not in result.output
    assert result.stdout == ""


def test_an_unknown_name_with_nothing_close() -> None:
    with pytest.raises(SpecError) as caught:
        zoo.resolve("qqqqqqqq")
    assert str(caught.value) == "qqqqqqqq: no such file or shipped spec (cnncalc specs lists them)"


def test_a_missing_path_is_still_a_missing_file(tmp_path: Path) -> None:
    result = cli(tmp_path, "summarize", "gone.yaml")
    assert result.exit_code == 1 and result.stderr == "Error: gone.yaml: no such file\n"


# --- NAME_torchvision ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["resnet50", "resnet101", "resnet152"])
def test_name_torchvision_is_the_torchvision_variant(tmp_path: Path, name: str) -> None:
    by_name = cli(tmp_path, "summarize", f"{name}_torchvision", "--format", "json")
    by_option = cli(tmp_path, "summarize", name, "--variant", "torchvision", "--format", "json")
    assert by_name.exit_code == by_option.exit_code == 0, by_name.output + by_option.output
    assert json.loads(by_name.stdout) == json.loads(by_option.stdout)


def test_resnet50_torchvision_numbers(tmp_path: Path) -> None:
    tv = totals(tmp_path, "resnet50_torchvision")
    paper = totals(tmp_path, "resnet50")
    assert tv["params"] == paper["params"] == RESNET50_PARAMS  # v1.5 moves a stride, not a weight
    assert round(tv["macs"] / 1e9, 2) == 4.09  # torchvision's model card: 4.09 GFLOPS
    assert round(paper["macs"] / 1e9, 1) == 3.9  # the paper's Table 1 writes 3.8 (docs/conventions.md)
    assert zoo.resolve("resnet50_torchvision") == (str(zoo.FOLDER / "resnet50.yaml"), "torchvision")


def test_a_file_of_its_own_wins_over_a_variant_spelling() -> None:
    assert zoo.resolve("alexnet_torchvision") == (str(zoo.FOLDER / "alexnet_torchvision.yaml"), None)


def test_variant_spelling_and_option_must_agree(tmp_path: Path) -> None:
    assert cli(tmp_path, "summarize", "resnet50_torchvision", "--variant", "torchvision").exit_code == 0
    result = cli(tmp_path, "summarize", "resnet50_torchvision", "--variant", "other")
    assert result.exit_code == 1 and "--variant" in result.stderr
    assert cli(tmp_path, "summarize", "zfnet_torchvision").exit_code == 1  # zfnet has no such variant


# --- cnncalc specs and its index -----------------------------------------------------------------------------------

def listed(tmp_path: Path, *args: str) -> list[dict]:
    result = cli(tmp_path, "specs", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["specs"]


def test_specs_lists_every_file_and_every_variant(tmp_path: Path) -> None:
    specs = listed(tmp_path)
    names = [s["name"] for s in specs]
    assert set(zoo.names()) <= set(names) and len(names) == len(set(names))
    for stem in zoo.names():
        for variant in zoo.variants(stem):
            assert f"{stem}_{variant}" in names
    assert {"resnet50_torchvision", "resnet101_torchvision", "resnet152_torchvision"} <= set(names)
    for s in specs:
        assert set(s) == {"name", "family", "source", "variant", "input", "params", "macs", "file"}
        assert Path(s["file"]).is_file() and Path(s["file"]).parent == zoo.FOLDER
    row = {s["name"]: s for s in specs}
    assert row["vgg16"]["params"] == VGG16_PARAMS and row["vgg16"]["input"] == [3, 224, 224]
    assert row["vgg16"]["family"] == "vgg" and "Simonyan" in row["vgg16"]["source"]
    assert row["resnet50_torchvision"] == {**row["resnet50_torchvision"], "variant": "torchvision",
                                           "source": "torchvision", "params": RESNET50_PARAMS,
                                           "file": str(zoo.FOLDER / "resnet50.yaml")}
    assert row["alexnet_torchvision"]["source"] == "torchvision" and row["alexnet_torchvision"]["variant"] is None


def test_specs_family_filter(tmp_path: Path) -> None:
    names = [s["name"] for s in listed(tmp_path, "--family", "resnet")]
    assert names[:4] == ["resnet18", "resnet18_torchvision", "resnet34", "resnet34_torchvision"]  # numeric order
    assert all(n.startswith("resnet") for n in names)


@pytest.mark.parametrize("fmt", ["table", "markdown", "latex", "csv"])
def test_specs_in_every_format(tmp_path: Path, fmt: str) -> None:
    result = cli(tmp_path, "specs", "--family", "vgg", "--format", fmt, "--wide")
    assert result.exit_code == 0, result.output
    assert "vgg16" in result.output and ("138,357,544" in result.output or "138357544" in result.output)


def test_the_shipped_index_is_up_to_date() -> None:
    """Every entry recomputed with cnncalc.analyze: fails when a spec changed or was added without
    `python -m cnncalc.zoo_index`."""
    shipped = zoo.index().get("entries", [])
    fresh = zoo_index.build()["entries"]
    by_name = {e["name"]: e for e in shipped}
    stale = [e["name"] for e in fresh if by_name.get(e["name"]) != e]
    gone = sorted(set(by_name) - {e["name"] for e in fresh})
    assert not stale and not gone, \
        f"cnncalc/models/index.json is stale ({stale or gone}): run python -m cnncalc.zoo_index"


def test_a_spec_missing_from_the_index_is_computed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(zoo.FOLDER / "lenet5.yaml", folder)
    (folder / "index.json").write_text('{"entries": []}')
    monkeypatch.setattr(zoo, "FOLDER", folder)
    monkeypatch.setattr(zoo, "INDEX", folder / "index.json")
    found = zoo_index.listing()
    assert found.computed == ("lenet5",) and [e["params"] for e in found.entries] == [61_706]  # seed 003's table
    zoo_index.write()
    found = zoo_index.listing()
    assert found.computed == () and [e["name"] for e in found.entries] == ["lenet5"]
    (folder / "lenet5.yaml").write_text((folder / "lenet5.yaml").read_text() + "\n# changed\n")
    assert zoo_index.listing().computed == ("lenet5",)  # a changed file is not read from the index


def test_source_is_read_from_the_spec() -> None:
    assert zoo_index.source_of({"source": "He et al."}, "") == "He et al."
    assert zoo_index.source_of({"description": "torchvision's vgg11_bn, with batch norm"}, "") == "torchvision"
    assert zoo_index.source_of({}, "# LeNet-5 as printed in seed 003. More.\nname: x\n") == \
        "LeNet-5 as printed in seed 003"


def test_family_names() -> None:
    assert [zoo.family(n) for n in ("resnet50_torchvision", "vgg16_c", "wide_resnet50_2", "mobilenet_v2",
                                    "alexnet_torchvision", "lenet_compact", "densenet121")] == \
        ["resnet", "vgg", "wide_resnet", "mobilenet", "alexnet", "lenet", "densenet"]


def test_serve_edits_a_copy_of_a_shipped_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`cnncalc serve resnet18` must never write into the installed package: Save writes ./resnet18.yaml."""
    from cnncalc import serve as server_module

    started: list[str] = []
    monkeypatch.setattr(server_module, "run", lambda server: started.append(server_module.url(server)))
    monkeypatch.setattr(server_module, "make_server", lambda session, *a: session)
    monkeypatch.setattr(server_module, "url", lambda session: session.file)
    result = cli(tmp_path, "serve", "resnet18", "--port", "0")
    assert result.exit_code == 0, result.output
    copy = tmp_path / "resnet18.yaml"
    assert copy.read_text(encoding="utf-8") == (zoo.FOLDER / "resnet18.yaml").read_text(encoding="utf-8")
    assert started and Path(started[0]).resolve() == copy.resolve()
    assert "Editing a copy" in result.stderr
    again = cli(tmp_path, "serve", "resnet18", "--port", "0")
    assert again.exit_code == 2 and "exists here" in again.stderr
