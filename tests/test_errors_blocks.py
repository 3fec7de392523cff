"""Blocks used wrongly: unknown blocks, a block that uses itself, missing, extra or misspelt arguments, malformed
definitions, and `$...` expressions that cannot be evaluated. Exact messages and exit code 1 through the CLI.

(tests/test_branching.py checks a few of these at the library level; the cases here are different specs.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from spec_errors import error, run_cli

PAIR = """input: 8x8x4
blocks:
  pair:
    args: {width: null, stride: 1}
    layers:
      - conv: {filters: $width, kernel: 3, stride: $stride, pad: 1}
      - relu
layers:
"""  # the use of the block is on line 9


def uses(*items: str, expression: str | None = None) -> str:
    text = PAIR if expression is None else PAIR.replace("$width", expression)
    return text + "".join(f"  - {item}\n" for item in items)


# --- unknown blocks and blocks that use themselves ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "line", "field", "message"), [
    (uses("pairs: {width: 4}"), 9, "layers[0]", "unknown layer type 'pairs' (did you mean 'pair'?)"),
    ("input: 8x8x4\nblocks:\n  outer: {layers: [relu, innr]}\n  inner: {layers: [relu]}\nlayers: [outer]\n", 3,
     "blocks.outer.layers[1]", "unknown layer type 'innr' (did you mean 'inner'?)"),
    ("input: 8x8x4\nblocks:\n  a:\n    args: [n]\n    layer: [relu]\nlayers:\n  - a: 1\n", 5, "blocks.a.layer",
     "unknown layer type 'layer' (did you mean 'layers'?)"),
], ids=["use-site", "inside-a-block", "body-kind"])
def test_unknown_blocks(tmp_path: Path, text: str, line: int, field: str, message: str) -> None:
    assert error(tmp_path, text) == f"Error: bad.yaml:{line}: {field}: {message}\n"


@pytest.mark.parametrize(("blocks", "line", "field", "chain"), [
    ("  loop: {layers: [relu, loop]}\n", 3, "blocks.loop.layers[1]", "loop → loop"),
    ("  a: {layers: [b]}\n  b: {layers: [c]}\n  c: {concat: [[relu], [a]]}\n", 5, "blocks.c.concat.b2[0]",
     "a → b → c → a"),
    ("  a: {residual: {body: [relu], shortcut: [b]}}\n  b: {dense: {count: 2, body: {a: }}}\n", 4,
     "blocks.b.dense.body.a", "a → b → a"),
], ids=["directly", "through-two-others", "through-shortcut-and-dense"])
def test_a_block_that_uses_itself(tmp_path: Path, blocks: str, line: int, field: str, chain: str) -> None:
    first = chain.split(" → ")[0]
    text = f"input: 8x8x4\nblocks:\n{blocks}layers: [{first}]\n"
    assert error(tmp_path, text) == f"Error: bad.yaml:{line}: {field}: block '{first}' uses itself ({chain})\n"


def test_a_block_used_twice_side_by_side_is_not_recursion(tmp_path: Path) -> None:
    """The control case: the same block in two branches and twice in a row is fine."""
    text = "input: 8x8x4\nblocks:\n  u: {layers: [conv1-4, relu]}\nlayers:\n  - u\n  - u\n  - concat: [[u], [u]]\n"
    assert run_cli(tmp_path, text).exit_code == 0


# --- arguments -----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("item", "field", "message"), [
    ("{name: p, pair: {stride: 2}}", "layers[0].pair", "block 'pair' needs argument 'width'"),
    ("pair", "layers[0]", "block 'pair' needs argument 'width'"),
    ("pair: [4, 1, 2]", "layers[0].pair", "block 'pair' takes 2 arguments (width, stride), got 3"),
    ("pair: 4", "layers[0].pair", "block 'pair' takes arguments width, stride: give a list or a mapping"),
    ("pair: {width: 4, sride: 2}", "layers[0].pair.sride", ("block 'pair' has no argument 'sride' (did you mean "
                                                           "'stride'?)")),
    ("pair: {width: 4, groups: 2}", "layers[0].pair.groups", "block 'pair' has no argument 'groups'"),
    ("{repeat: 2, pair: {width: 4}, first: {strid: 2}}", "layers[0].first.strid",
     "block 'pair' has no argument 'strid' (did you mean 'stride'?)"),
    ("{repeat: 2, pair: {width: 4}, first: 2}", "layers[0].first",
     "must be a mapping of block arguments, got 2"),
    ("{repeat: 2, relu: , first: {stride: 2}}", "layers[0].first",
     "'first' overrides a block's arguments for the first repeat; this item is not a block"),
], ids=["missing", "missing-all", "too-many-positional", "one-value-for-two", "misspelt", "extra",
        "misspelt-in-first", "first-not-a-mapping", "first-on-a-layer"])
def test_block_arguments(tmp_path: Path, item: str, field: str, message: str) -> None:
    assert error(tmp_path, uses(item)) == f"Error: bad.yaml:9: {field}: {message}\n"


def test_a_block_without_arguments_given_one(tmp_path: Path) -> None:
    text = "input: 8x8x4\nblocks:\n  unit: {layers: [relu]}\nlayers:\n  - unit: 3\n"
    assert error(tmp_path, text) == "Error: bad.yaml:5: layers[0].unit: block 'unit' takes no arguments, got 3\n"


# --- definitions ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("blocks", "use", "line", "field", "message"), [
    ("  conv: {layers: [relu]}\n", "relu", 3, "blocks.conv", "a block may not be named like the built-in 'conv'"),
    ("  repeat: {layers: [relu]}\n", "relu", 3, "blocks.repeat", ("a block may not be named like the built-in "
                                                                 "'repeat'")),
    ("  empty: {args: [n]}\n", "{empty: 3}", 3, "blocks.empty",
     "block 'empty' needs exactly one body (e.g. 'layers', 'concat', 'residual'), got 0"),
    ("  two: {layers: [relu], concat: [[relu], [relu]]}\n", "two", 3, "blocks.two",
     "block 'two' needs exactly one body (e.g. 'layers', 'concat', 'residual'), got 2"),
    ("  b: [relu]\n", "b", 3, "blocks.b", "a block is a mapping with 'args' and one body, got a list"),
    ("  b: {args: [3], layers: [relu]}\n", "{b: 1}", 3, "blocks.b.args", "an argument is a name like 'width', got 3"),
    ("  b: {args: [{n: 1}], layers: [relu]}\n", "{b: 1}", 3, "blocks.b.args",
     "an argument is a name like 'width', got a mapping"),
    ("  b: {args: [n, 'my width'], layers: [relu]}\n", "{b: [1, 2]}", 3, "blocks.b.args",
     "an argument is a name like 'width', got the text 'my width'"),
    ("  b: {args: 3, layers: [relu]}\n", "b", 3, "blocks.b.args",
     "args is a list of names or a mapping of names to defaults (null: required)"),
], ids=["named-like-a-layer", "named-like-a-key", "no-body", "two-bodies", "not-a-mapping", "argument-not-a-name", "argument-a-mapping",
        "argument-with-space", "args-not-a-list"])
def test_block_definitions(tmp_path: Path, blocks: str, use: str, line: int, field: str, message: str) -> None:
    text = f"input: 8x8x4\nblocks:\n{blocks}layers:\n  - {use}\n"
    assert error(tmp_path, text) == f"Error: bad.yaml:{line}: {field}: {message}\n"


def test_blocks_must_be_a_mapping(tmp_path: Path) -> None:
    assert error(tmp_path, "input: 8x8x4\nblocks: [relu]\nlayers: [relu]\n") == \
        "Error: bad.yaml:2: blocks: must be a mapping, got a list\n"


# --- expressions -----------------------------------------------------------------------------------------------------------

FILTERS = "blocks.pair.layers[0].conv.filters"


@pytest.mark.parametrize(("expression", "message"), [
    ("$widht", "'$widht' uses 'widht', which is not an argument or variable here (known: stride, width)"),
    ("$width // (stride - 1)", "'$width // (stride - 1)' divides by zero"),
    ("$width % 0", "'$width % 0' divides by zero"),
    ("$width * 'x'", "\"$width * 'x'\": * needs numbers, got the text 'x'"),
    ("$width < 'a'", "\"$width < 'a'\": < needs numbers, got the text 'a'"),
    ("$-true + width", ("'$-true + width': - needs numbers, got a boolean (True; YAML reads yes/no/on/off as "
                       "booleans)")),
    ("$__import__('os')", ("\"$__import__('os')\": only names, numbers, arithmetic, comparisons and 'x if c else y' "
                          "are allowed")),
    ("$width.real", "'$width.real': only names, numbers, arithmetic, comparisons and 'x if c else y' are allowed"),
    ("$width ** 99", "'$width ** 99': only names, numbers, arithmetic, comparisons and 'x if c else y' are allowed"),
    ("$width @ width", ("'$width @ width': only names, numbers, arithmetic, comparisons and 'x if c else y' are "
                       "allowed")),
    ("$width *", "cannot read the expression '$width *'"),
    ("$" + "+".join(["width"] * 40), "the expression is 239 characters long; at most 200 are allowed"),
    ("$width / 3", "must be a whole number, got a number with a fraction (1.3333333333333333)"),
    ("$width / 2 * 1e400", "must be a whole number, got a number with a fraction (inf)"),
], ids=["unknown-name", "division-by-zero", "modulo-by-zero", "text-times-number", "compare-with-text",
        "negate-boolean", "call", "attribute", "power", "matrix-product", "syntax", "too-long", "fraction", "infinity"])
def test_expressions(tmp_path: Path, expression: str, message: str) -> None:
    assert error(tmp_path, uses("pair: {width: 4}", expression=expression)) == \
        f"Error: bad.yaml:6: {FILTERS}: {message}\n"


def test_expression_at_the_use_site(tmp_path: Path) -> None:
    assert error(tmp_path, uses("pair: {width: $2 * n}")) == \
        "Error: bad.yaml:9: layers[0].pair.width: '$2 * n' uses 'n', which is not an argument or variable here " \
        "(known: none)\n"
    assert error(tmp_path, uses("{repeat: $3 // 0, pair: {width: 4}}")) == \
        "Error: bad.yaml:9: layers[0].repeat: '$3 // 0' divides by zero\n"


# --- variables and variants ---------------------------------------------------------------------------------------------

def test_variants(tmp_path: Path) -> None:
    text = "input: 8x8x4\nvariables: {w: 4}\nvariants: {big: {width: 8}, wide: {w: 8}}\nlayers: [relu]\n"
    assert error(tmp_path, text, "--variant", "big") == \
        "Error: bad.yaml:3: variants.big.width: sets 'width', which is not in 'variables'\n"
    assert error(tmp_path, text, "--variant", "wid") == \
        "Error: bad.yaml: --variant: no variant 'wid' (did you mean 'wide'?) (this spec has: big, wide)\n"
