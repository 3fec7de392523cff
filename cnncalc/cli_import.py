"""`cnncalc import MODEL.onnx [-o SPEC.yaml]`: write the spec a model imports to (cli.py adds it to `main`).

The same text is what every command reads when given MODEL.onnx as its SPEC; this command shows it, so that it
can be kept, read and edited. The spec is parsed (and, with a numeric input, analysed) before it is written, so a
written spec always reads back. An existing file is not overwritten without --force.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from cnncalc.errors import SpecError, clipped, shown


@click.command("import")
@click.argument("model", metavar="MODEL.onnx|torch:MODULE:FACTORY")
@click.option("-o", "--output", default=None, metavar="SPEC.yaml", help="Write the spec here (default: stdout).")
@click.option("--force", is_flag=True, help="Overwrite SPEC.yaml if it exists.")
@click.option("--opaque", is_flag=True,
              help="Keep an op with no spec equivalent as an opaque layer (its costs are not counted) instead of "
                   "refusing the model.")
@click.option("--input", "input_size", metavar="HxWxC",
              help="The input size: for torch: refs (traced at it), or to replace a dynamic ONNX input.")
def import_model(model: str, output: str | None, force: bool, opaque: bool, input_size: str | None) -> None:
    """Read MODEL (an ONNX file, or torch:MODULE:FACTORY) and write the spec it imports to, with its containers
    (residual, concat, dense, gate, split) recovered. Nothing in the file is executed."""
    from cnncalc import importers
    from cnncalc.spec import loads_spec

    if output is not None and _exists(output) and not force:
        raise SpecError(f"{clipped(output)} exists; give --force to overwrite it", field="-o")
    if not model.startswith("torch:") and not importers.is_model(model):
        raise SpecError("cnncalc import reads an .onnx file or a torch:MODULE:FACTORY reference", file=clipped(model))
    text, warnings = importers.import_text(model, input_size=input_size, opaque=opaque)
    if input_size and not model.startswith("torch:"):
        text = _with_input(text, input_size)
    spec = loads_spec(text, name=Path(model).stem)
    if all(isinstance(d, int) for d in spec.input):
        from cnncalc.analysis import analyze

        analyze(spec)  # an imported spec that does not analyse is an error here, not in the reader's hands
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:  # a name too long for the system, a folder that is not there
        raise SpecError(f"cannot write {shown(output)}: {exc.strerror}", field="-o") from None
    click.echo(f"Wrote {output} ({len(text.splitlines())} lines)", err=True)


def _exists(output: str) -> bool:
    """Whether -o names an existing file; a name the system refuses (too long) is found out when writing."""
    try:
        return Path(output).exists()
    except (OSError, ValueError):
        return False


def _with_input(text: str, input_size: str) -> str:
    if not re.fullmatch(r"\s*\d{1,30}\s*(x\s*\d{1,30}\s*){0,2}", input_size, re.IGNORECASE):
        raise SpecError(f"cannot read {shown(input_size)}: write HxWxC, HxW or N (e.g. 224x224x3)", field="--input")
    old = re.search(r"^input: (.*)$", text, re.MULTILINE)
    assert old is not None
    parts = [p.strip() for p in input_size.lower().split("x")]
    current = old[1].split("x")
    if len(parts) < 3 and len(current) == 3:
        parts = (parts * 2)[:2] + [current[2]]
    return text[:old.start()] + f"input: {'x'.join(parts)}" + text[old.end():]
