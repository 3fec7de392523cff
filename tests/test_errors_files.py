"""Files that cannot be read as a spec: missing, a directory, empty, not UTF-8, not YAML, not a mapping.

Each case asserts the exact line a user sees on stderr, the exit code 1 and an empty stdout (spec_errors.error);
no output may contain a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from spec_errors import error, run_cli

from cnncalc.limits import MAX_BYTES

GOOD = "input: 8x8x3\nlayers: [relu]\n"


def test_missing_file(tmp_path: Path) -> None:
    assert error(tmp_path, None, "no/such.yaml") == "Error: no/such.yaml: no such file\n"


def test_missing_file_in_compare_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    assert error(tmp_path, None, "good.yaml", "gone.yaml", command="compare") == "Error: gone.yaml: no such file\n"


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    assert error(tmp_path, None, "specs") == "Error: specs: is a directory, not a spec file\n"


@pytest.mark.parametrize(("text", "message"), [
    ("", "the file is empty"),
    (" \n\n\t\n", "the file is empty"),
    ("# only a comment\n", "the file holds no YAML document"),
], ids=["empty", "blank", "comment-only"])
def test_nothing_in_the_file(tmp_path: Path, text: str, message: str) -> None:
    assert error(tmp_path, text) == f"Error: bad.yaml: {message}\n"


@pytest.mark.parametrize(("raw", "line", "byte"), [
    (b"input: 8x8x3\nlayers: [relu]\nname: caf\xe9\n", 3, "0xe9"),  # Latin-1, the usual culprit
    ("input: 8x8x3\nlayers: [relu]\n".encode("utf-16"), 1, "0xff"),  # a UTF-16 byte-order mark
    (b"\x89PNG\r\n\x1a\n", 1, "0x89"),  # not text at all
], ids=["latin-1", "utf-16", "binary"])
def test_not_utf8(tmp_path: Path, raw: bytes, line: int, byte: str) -> None:
    assert error(tmp_path, raw) == f"Error: bad.yaml:{line}: not UTF-8 text (byte {byte})\n"


def test_utf8_with_byte_order_mark_and_non_ascii_names_is_fine(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "\ufeffname: Réseau ü\n" + GOOD, "--format", "json")
    assert result.exit_code == 0 and '"model": "Réseau ü"' in result.output


@pytest.mark.parametrize(("text", "line", "message"), [
    ("input: 8x8x3\nlayers: [relu, conv3-8\n", 3,
     "did not find expected ',' or ']' (while parsing a flow sequence, line 2)"),
    ("input: 8x8x3\nlayers:\n\t- relu\n", 3,
     ("found character that cannot start any token (while scanning for the next token); YAML indents with spaces, "
     "not tabs")),
    ("input: 8x8x3: 4\nlayers: [relu]\n", 1, "mapping values are not allowed in this context"),
    ("input: 8x8x3\nlayers:\n  - relu\n - conv3-8\n", 4, ("did not find expected key (while parsing a block mapping, "
                                                        "line 1)")),
    ("input: 8x8x3\nlayers: [relu]\n---\ninput: 4x4x1\n", 3,
     "found another document (expected a single document in the stream, line 1)"),
    ("input: 8x8x3\nlayers: [{conv: {filters: 4, kernel: 3]\n", 2,
     "did not find expected ',' or '}' (while parsing a flow mapping)"),
    ("input: '8x8x3\nlayers: [relu]\n", 3, "found unexpected end of stream (while scanning a quoted scalar, line 1)"),
    ("input: *size\nlayers: [relu]\n", 1, "found undefined alias '*size'"),
], ids=["unclosed-list", "tab", "colon-in-value", "indentation", "two-documents", "unclosed-mapping",
        "unclosed-quote", "undefined-alias"])
def test_yaml_syntax_errors_name_the_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    assert error(tmp_path, text) == f"Error: bad.yaml:{line}: YAML syntax error: {message}\n"


def test_control_character(tmp_path: Path) -> None:
    assert error(tmp_path, GOOD + 'name: "bell\x07"\n') == \
        "Error: bad.yaml:3: YAML error: unacceptable character #x0007: control characters are not allowed\n"


@pytest.mark.parametrize(("text", "line", "message"), [
    ("- relu\n- conv3-8\n", 1, "the top level must be a mapping with 'input' and 'layers', got a list"),
    ("relu\n", 1, "the top level must be a mapping with 'input' and 'layers', got the text 'relu'"),
    ("42\n", 1, "the top level must be a mapping with 'input' and 'layers', got 42"),
    ("null\n", 1, "the top level must be a mapping with 'input' and 'layers', got nothing"),
    ("layers: [relu]\n", 1, "input: the spec needs 'input'"),
    ("input: 8x8x3\n", 1, "layers: the spec needs 'layers'"),
    ("input: 8x8x3\nlayers: []\n", 2, "layers: there are no layers here"),
    ("input: 8x8x3\nlayers: {relu: 1}\n", 2, "layers: must be a list of layers, got a mapping"),
    (GOOD + "input: 4x4x3\n", 3, "duplicate key 'input'"),
    ("input: 8x8x3\nlayers:\n  - {1: relu}\n", 3, "layers[0]: keys must be names, got 1"),
    ("input: 8x8x3\nlayers:\n  - {on: relu}\n", 3,
     "layers[0]: keys must be names, got True (YAML reads yes/no/on/off as booleans: quote it)"),
], ids=["list", "text", "number", "null", "no-input", "no-layers", "no-layers-listed", "layers-mapping",
        "duplicate-key", "number-key", "boolean-key"])
def test_top_level_that_is_not_a_spec(tmp_path: Path, text: str, line: int, message: str) -> None:
    assert error(tmp_path, text) == f"Error: bad.yaml:{line}: {message}\n"


def test_a_name_too_long_for_the_system(tmp_path: Path) -> None:
    name = "a" * 5000
    assert error(tmp_path, None, name) == f"Error: {'a' * 60}... (5,000 characters): cannot read: File name too long\n"


def test_file_larger_than_the_limit(tmp_path: Path) -> None:
    text = GOOD + "#" * MAX_BYTES
    assert error(tmp_path, text) == "Error: bad.yaml: file is larger than 10,000,000 bytes\n"


@pytest.mark.parametrize("command", ["summarize", "table", "explain", "memory", "sweep"])
def test_every_spec_command_reports_the_same_way(tmp_path: Path, command: str) -> None:
    assert error(tmp_path, "input: 8x8x3\nlayers: [relu, conv3-8\n", command=command) == \
        "Error: bad.yaml:3: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence, line 2)\n"
