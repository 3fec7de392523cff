"""Fields that are wrong: unknown layer types and options, wrong types, YAML's yes/no, zero or negative sizes.

Every message names the file, the YAML line and the field path, exactly as the user sees it (exit code 1).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from spec_errors import error

from cnncalc import loads_spec
from cnncalc.errors import SpecError

HEAD = "input: 8x8x3\nlayers:\n"


def layer_error(tmp_path: Path, *items: str) -> str:
    """The error for a spec whose layers are `items`, one per line from line 3."""
    return error(tmp_path, HEAD + "".join(f"  - {item}\n" for item in items))


# --- unknown names, with a suggestion when one is close -----------------------------------------------------------

@pytest.mark.parametrize(("item", "field", "message"), [
    ("convv: {filters: 4}", "layers[0]", "unknown layer type 'convv' (did you mean 'conv'?)"),
    ("Conv2X", "layers[0]", "unknown layer type 'conv2x' (did you mean 'conv2d'?)"),  # names are case-blind
    ("maxpol", "layers[0]", "unknown layer type 'maxpol' (did you mean 'maxpool'?)"),
    ("conv3-", "layers[0]", "unknown layer type 'conv3-' (did you mean 'conv'?)"),
    ("conv: {filters: 4, kernal: 3}", "layers[0].conv.kernal", "unknown option for conv (did you mean 'kernel'?)"),
    ("conv: {filters: 4, kernel: 3, strides: 2}", "layers[0].conv.strides",
     "unknown option for conv (did you mean 'stride'?)"),
    ("conv: {filters: 4, kernel: 3, foo: 1}", "layers[0].conv.foo",
     "unknown option for conv (known: bias, dilation, filters, groups, kernel, pad, stride)"),
    ("relu: {size: 3}", "layers[0].relu.size", "unknown option for relu (known: inplace)"),
    ("flatten: {dims: 1}", "layers[0].flatten.dims", "unknown option for flatten (it takes none)"),
    ("fc: {unit: 10}", "layers[0].fc.unit", "unknown option for fc (did you mean 'units'?)"),
    ("{conv: {filters: 4, kernel: 3}, relu: }", "layers[0]", ("a layer is one type with its options (and optional "
                                                             "name, repeat, first, when, paper, expect), got 2 layer types "
                                                             "(conv, relu)")),
], ids=["type-typo", "type-case", "type-typo-2", "shorthand-typo", "option-typo", "option-plural",
        "option-unknown", "option-of-relu", "option-of-flatten", "option-of-fc", "two-types"])
def test_unknown_names(tmp_path: Path, item: str, field: str, message: str) -> None:
    assert layer_error(tmp_path, item) == f"Error: bad.yaml:3: {field}: {message}\n"


def test_an_unknown_type_with_no_close_match_lists_what_an_item_can_be(tmp_path: Path) -> None:
    message = layer_error(tmp_path, "xyzzy")
    assert message.startswith("Error: bad.yaml:3: layers[0]: unknown layer type 'xyzzy' (layer types: ")
    assert " conv, " in message and "; containers: layers, concat, residual, dense, gate, split)" in message


def test_the_line_is_the_line_of_the_offending_item(tmp_path: Path) -> None:
    assert layer_error(tmp_path, "relu", "conv3-8", "conv: {filters: 4, kernal: 3}") == \
        "Error: bad.yaml:5: layers[2].conv.kernal: unknown option for conv (did you mean 'kernel'?)\n"


def test_a_misspelt_option_says_so_rather_than_missing(tmp_path: Path) -> None:
    # "conv needs 'kernel'" would be true but less helpful: the user wrote it, misspelt
    assert layer_error(tmp_path, "conv: {filters: 4, kernl: 3}") == \
        "Error: bad.yaml:3: layers[0].conv.kernl: unknown option for conv (did you mean 'kernel'?)\n"


@pytest.mark.parametrize(("text", "line", "field", "message"), [
    ("inputs: 8x8x3\nlayers: [relu]\n", 1, "inputs", "unknown top-level field (did you mean 'input'?)"),
    ("input: 8x8x3\nlayers: [relu]\nlayer_count: 3\n", 3, "layer_count",
     ("unknown top-level field (known: name, description, source, input, layers, blocks, variables, variants, paper, "
     "expect)")),
    ("input: {chanels: 3, height: 8, width: 8}\nlayers: [relu]\n", 1, "input.chanels",
     "unknown field (did you mean 'channels'?)"),
    ("input: 8x8x3\nlayers:\n  - conv: {kernel: 3}\n", 3, "layers[0].conv.filters", "conv needs 'filters'"),
    ("input: 8x8x3\nlayers:\n  - fc\n", 3, "layers[0].units", "fc needs 'units'"),
    ("input: 8x8\nlayers: [relu]\n", 1, "input", "'8x8' gives no channels: write HxWxC, e.g. 8x8x3"),
    ("input: 8 by 8\nlayers: [relu]\n", 1, "input",
     "cannot read '8 by 8': write HxWxC (e.g. 224x224x3), [C, H, W] or {channels: 3, height: 224, width: 224}"),
    ("input: [3, 8]\nlayers: [relu]\n", 1, "input",
     "a list input is [C, H, W] (PyTorch order) or [N] for a vector, got 2 numbers"),
], ids=["top-level-typo", "top-level-unknown", "input-field-typo", "missing-filters", "missing-units",
        "input-without-channels", "input-unreadable", "input-list-of-two"])
def test_unknown_and_missing_fields(tmp_path: Path, text: str, line: int, field: str, message: str) -> None:
    assert error(tmp_path, text) == f"Error: bad.yaml:{line}: {field}: {message}\n"


# --- wrong types ----------------------------------------------------------------------------------------------------

YAML_BOOLEAN = "YAML reads yes/no/on/off as booleans"


@pytest.mark.parametrize(("item", "field", "got"), [
    ("conv: {filters: three, kernel: 3}", "filters", "must be a whole number, got the text 'three'"),
    ("conv: {filters: 2.5, kernel: 3}", "filters", "must be a whole number, got a number with a fraction (2.5)"),
    ("conv: {filters: 4.0, kernel: 3}", "filters", "must be a whole number, got a number with a fraction (4.0)"),
    ("conv: {filters: [4], kernel: 3}", "filters", "must be a whole number, got a list"),
    ("conv: {filters: {n: 4}, kernel: 3}", "filters", "must be a whole number, got a mapping"),
    ("conv: {filters: , kernel: 3}", "filters", "must be a whole number, got nothing"),
    ("conv: {filters: '4', kernel: 3}", "filters", "must be a whole number, got the text '4'"),
    ("conv: {filters: 4, kernel: [3, 3, 3]}", "kernel", "must be one number or [height, width], got a list of 3"),
    ("conv: {filters: 4, kernel: [3, x]}", "kernel", "must be a whole number, got the text 'x'"),
    ("conv: {filters: 4, kernel: 3, pad: full}", "pad", ("must be a number, [height, width], 'same' or 'valid', "
                                                         "got the text 'full'")),
    ("conv: {filters: 4, kernel: 3, pad: [1, 2, 3]}", "pad", ("must be one number, [height, width] or "
                                                               "[top, bottom, left, right], got a list of 3")),
    ("conv: {filters: 4, kernel: 3, bias: 3}", "bias", "must be true or false, got 3"),
    ("conv: {filters: 4, kernel: 3, bias: 'yes'}", "bias", "must be true or false, got the text 'yes'"),
    ("dropout: {p: half}", "p", "must be a number, got the text 'half'"),
    ("conv: {filters: 4, kernel: 3, stride: 2, pad: same}", "pad",
     "'same' padding needs stride 1 (as in PyTorch), got stride 2; give the padding as a number instead"),
], ids=["text-count", "float-count", "float-that-is-whole", "list-count", "mapping-count", "null-count",
        "quoted-number", "three-kernel-sizes", "text-in-pair", "unknown-pad-word", "three-paddings", "number-as-flag",
        "quoted-yes-as-flag", "text-as-real", "same-with-stride"])
def test_wrong_types(tmp_path: Path, item: str, field: str, got: str) -> None:
    kind = item.split(":")[0]
    assert layer_error(tmp_path, item) == f"Error: bad.yaml:3: layers[0].{kind}.{field}: {got}\n"


def test_options_that_are_not_a_mapping(tmp_path: Path) -> None:
    assert layer_error(tmp_path, "conv: [4, 3]") == \
        "Error: bad.yaml:3: layers[0].conv: options of 'conv' must be a mapping, got a list\n"


@pytest.mark.parametrize(("item", "field", "value"), [
    ("conv: {filters: yes, kernel: 3}", "layers[0].conv.filters", "True"),
    ("conv: {filters: 4, kernel: 3, stride: on}", "layers[0].conv.stride", "True"),
    ("conv: {filters: 4, kernel: [3, off]}", "layers[0].conv.kernel", "False"),
    ("dropout: {p: no}", "layers[0].dropout.p", "False"),
], ids=["yes-filters", "on-stride", "off-in-pair", "no-as-real"])
def test_yaml_booleans_where_numbers_belong(tmp_path: Path, item: str, field: str, value: str) -> None:
    what = "a number" if field.endswith(".p") else "a whole number"
    assert layer_error(tmp_path, item) == \
        f"Error: bad.yaml:3: {field}: must be {what}, got a boolean ({value}; {YAML_BOOLEAN})\n"


def test_yaml_booleans_as_a_layer_or_a_repeat(tmp_path: Path) -> None:
    assert layer_error(tmp_path, "no") == ("Error: bad.yaml:3: layers[0]: a layer is a name like 'conv3-64' or a "
                                           f"mapping like {{conv: {{...}}}}, got a boolean (False; {YAML_BOOLEAN})\n")
    assert layer_error(tmp_path, "{repeat: yes, layers: [relu]}") == \
        f"Error: bad.yaml:3: layers[0].repeat: must be a whole number from 0 to 1,000,000, got a boolean (True; " \
        f"{YAML_BOOLEAN})\n"


# --- zero, negative and out-of-range values --------------------------------------------------------------------------

@pytest.mark.parametrize(("item", "field", "message"), [
    ("conv: {filters: 0, kernel: 3}", "conv.filters", "must be positive, got 0"),
    ("conv: {filters: -4, kernel: 3}", "conv.filters", "must be positive, got -4"),
    ("conv: {filters: 4, kernel: 0}", "conv.kernel", "must be positive, got 0"),
    ("conv: {filters: 4, kernel: [3, -1]}", "conv.kernel", "must be positive, got -1"),
    ("conv: {filters: 4, kernel: 3, stride: 0}", "conv.stride", "must be positive, got 0"),
    ("conv: {filters: 4, kernel: 3, stride: -2}", "conv.stride", "must be positive, got -2"),
    ("conv: {filters: 4, kernel: 3, groups: 0}", "conv.groups", "must be positive, got 0"),
    ("conv: {filters: 4, kernel: 3, groups: -1}", "conv.groups", "must be positive, got -1"),
    ("conv: {filters: 4, kernel: 3, pad: -1}", "conv.pad", "must be at least 0, got -1"),
    ("conv: {filters: 4, kernel: 3, pad: [0, 0, 0, -1]}", "conv.pad", "must be at least 0, got -1"),
    ("conv: {filters: 4, kernel: 3, dilation: [1, 0]}", "conv.dilation", "must be positive, got 0"),
    ("deconv: {filters: 4, kernel: 3, output_padding: -1}", "deconv.output_padding", "must be at least 0, got -1"),
    ("maxpool: {kernel: 0}", "maxpool.kernel", "must be positive, got 0"),
    ("maxpool: {kernel: 2, stride: 0}", "maxpool.stride", "must be positive, got 0"),
    ("maxpool: {kernel: 2, pad: 2}", "maxpool.pad", "pad 2 is more than half the kernel 2 (PyTorch refuses it)"),
    ("fc: {units: 0}", "fc.units", "must be positive, got 0"),
    ("fc: {units: 10, in_features: 0}", "fc.in_features", "must be positive, got 0"),
    ("adaptive_avgpool: {output: 0}", "adaptive_avgpool.output", "must be positive, got 0"),
    ("maxout: {pieces: 1}", "maxout.pieces", "maxout needs at least 2 pieces"),
    ("lrn: {size: 0}", "lrn.size", "must be positive, got 0"),
    ("zeropad: {pad: -1}", "zeropad.pad", "must be at least 0, got -1"),
    ("dropout: {p: 1.5}", "dropout.p", "must be below 1.0, got 1.5"),
    ("dropout: {p: -0.1}", "dropout.p", "must be at least 0.0, got -0.1"),
    ("dropout: {p: .nan}", "dropout.p", "must be a finite number, got nan"),
    ("bn: {eps: -1}", "bn.eps", "must be at least 0.0, got -1"),
    ("lrn: {alpha: .inf}", "lrn.alpha", "must be a finite number, got inf"),
    ("conv: {compress: 0, kernel: 1}", "conv.compress", "must be more than 0"),
    ("conv: {compress: 1.5, kernel: 1}", "conv.compress", "must be at most 1.0, got 1.5"),
    ("dense: {count: 0, body: [conv3-2]}", "dense.count", "must be positive, got 0"),
    ("{repeat: 1.5, layers: [relu]}", "repeat", "must be a whole number from 0 to 1,000,000, got a number with a fraction (1.5)"),
    ("{repeat: -3, layers: [relu]}", "repeat", "must be a whole number from 0 to 1,000,000, got -3"),
])
def test_zero_and_negative_values(tmp_path: Path, item: str, field: str, message: str) -> None:
    assert layer_error(tmp_path, item) == f"Error: bad.yaml:3: layers[0].{field}: {message}\n"


@pytest.mark.parametrize(("text", "message"), [
    ("input: 0x8x3\n", "sizes must be positive whole numbers, got 0"),
    ("input: [-1, 8, 8]\n", "sizes must be positive whole numbers, got -1"),
    ("input: [3, 8.5, 8]\n", "sizes must be positive whole numbers, got a number with a fraction (8.5)"),
    ("input: {channels: 3, height: 8, width: no}\n",
     f"sizes must be positive whole numbers, got a boolean (False; {YAML_BOOLEAN})"),
    ("input: 0\n", "sizes must be positive whole numbers, got 0"),
], ids=["zero-height", "negative-channels", "fractional-height", "boolean-width", "zero-vector"])
def test_zero_and_negative_input(tmp_path: Path, text: str, message: str) -> None:
    assert error(tmp_path, text + "layers: [relu]\n") == f"Error: bad.yaml:1: input: {message}\n"


def test_zero_input_on_the_command_line(tmp_path: Path) -> None:
    assert error(tmp_path, HEAD + "  - relu\n", "--input", "0x8") == \
        "Error: --input: sizes must be positive whole numbers, got 0\n"


@pytest.mark.parametrize(("args", "message"), [
    (["--input", "7", "--stride", "0"], "stride: must be positive, got 0"),
    (["--input", "7", "--filter", "-3"], "filter: must be positive, got -3"),
    (["--input", "7", "--pad", "-1"], "pad: must be zero or more, got -1"),
    (["--input", "7", "--dilation", "0"], "dilation: must be positive, got 0"),
    (["--input", "0"], "input: must be positive, got 0"),
    (["--input", "7x7x0"], "channels: must be positive, got 0"),
    (["--input", "7", "--filters", "0"], "filters: must be positive, got 0"),
    (["--input", "N", "--stride", "0"], "stride: must be positive, got 0"),  # the symbolic path checks too
], ids=["stride", "filter", "pad", "dilation", "input", "channels", "filters", "symbolic-stride"])
def test_check_command_values(tmp_path: Path, args: list[str], message: str) -> None:
    assert error(tmp_path, None, *args, command="check") == f"Error: {message}\n"


# --- names ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("items", "line", "field", "message"), [
    (("{name: a, conv: {filters: 4, kernel: 3}}", "{name: a, relu: }"), 4, "layers[1].name",
     "layer name 'a' is used twice"),
    (("{name: a.b, relu: }",), 3, "layers[0].name", "a layer name is text without dots, got the text 'a.b'"),
    (("{name: 3, relu: }",), 3, "layers[0].name", "a layer name is text without dots, got 3"),
    (("{name: a, conv: {name: b, filters: 4, kernel: 3}}",), 3, "layers[0].name", "the name is given twice"),
], ids=["duplicate", "dotted", "number", "twice"])
def test_layer_names(tmp_path: Path, items: tuple[str, ...], line: int, field: str, message: str) -> None:
    assert layer_error(tmp_path, *items) == f"Error: bad.yaml:{line}: {field}: {message}\n"


def test_errors_carry_structured_fields() -> None:
    """The Python API gets the same facts as attributes (no file: the spec came from a string)."""
    with pytest.raises(SpecError) as info:
        loads_spec(HEAD + "  - relu\n  - conv: {filters: 4, kernal: 3}\n")
    err = info.value
    assert (err.file, err.line, err.field) == (None, 4, "layers[1].conv.kernal")
    assert err.message == "unknown option for conv (did you mean 'kernel'?)"
    assert str(err) == "line 4: layers[1].conv.kernal: unknown option for conv (did you mean 'kernel'?)"
