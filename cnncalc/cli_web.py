"""`cnncalc report` and `cnncalc serve`: the commands of the HTML report and of the live editor (cli.py adds them
to `main`). Like every command: parse the options, call the library once, write, and let cli.py's one handler
turn the package's errors into 'Error: ...' and their exit code. This module imports nothing from cli.py."""

from __future__ import annotations

from pathlib import Path

import click

from cnncalc.dtypes import DTYPES
from cnncalc.errors import SpecError, shown


@click.command()
@click.argument("spec", type=click.Path(dir_okay=True, path_type=str))
@click.option("-o", "--output", "output", default=None, metavar="FILE.html",
              help="Where to write the page (default: the spec's name with .html, here).")
@click.option("--input", "input_size", metavar="HxWxC|HxW|N",
              help="Override the spec's input size; a symbolic one (HxWx3) shows formulas.")
@click.option("--dtype", type=click.Choice(DTYPES), default="fp32", show_default=True,
              help="Bytes per value for memory.")
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True, help="Samples per batch.")
@click.option("--no-bias", is_flag=True, help='Count params as the slides do, "not counting biases".')
@click.option("--variant", default=None, help="One of the spec's named variants (e.g. torchvision).")
def report(spec: str, output: str | None, input_size: str | None, dtype: str, batch: int, no_bias: bool,
           variant: str | None) -> None:
    """One self-contained HTML page of SPEC (a file, or a zoo name such as resnet50): the architecture drawn,
    blocks that open on click, summarize's table, totals, charts, warnings, receptive fields and each layer's
    worked solution. Opens offline; no network (docs/report.md)."""
    from cnncalc.report import html
    from cnncalc.spec import load_spec
    from cnncalc.spec.inputs import override

    model = load_spec(spec, variant=variant)  # a file, or a zoo name (cnncalc.zoo.resolve): resnet50.html
    page = html(model, override(model.input, input_size), dtype=dtype, batch=batch, count_biases=not no_bias)
    target = Path(output or f"{Path(spec).stem}.html")
    try:
        target.write_text(page, encoding="utf-8")
    except OSError as exc:  # a name too long for the system, a folder that is not there
        raise SpecError(f"cannot write {shown(str(target))}: {exc.strerror}", field="--output") from None
    click.echo(f"Wrote {target} ({len(page.encode()):,} bytes)", err=True)


@click.command()
@click.argument("spec", required=False, type=click.Path(dir_okay=True, path_type=str))
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0: a free port.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback only, unless --public.")
@click.option("--public", is_flag=True, help="Allow a --host other than loopback (anyone who reaches it can save).")
@click.option("--input", "input_size", metavar="HxWxC|HxW|N", help="Override the spec's input size.")
@click.option("--variant", default=None, help="One of the spec's named variants.")
def serve(spec: str | None, port: int, host: str, public: bool, input_size: str | None,
          variant: str | None) -> None:
    """A live editor in the browser: SPEC's YAML on the left, the drawing and the table on the right, updated as
    you type; Save writes SPEC (only it), Download gives the report page. Ctrl-C stops it."""
    from cnncalc import serve as server_module
    from cnncalc import zoo
    from cnncalc.spec.source import read_spec_file

    if spec is not None:
        given = spec
        spec, named = zoo.resolve(spec)  # a file, else a zoo name; NAME_VARIANT also sets the variant
        variant = zoo.choose_variant(named, variant)
        read_spec_file(spec)  # a missing or unreadable file is the CLI's usual error, before any port is opened
        if spec != given:  # a shipped spec by name: Save writes a copy here, never the installed package
            copy = Path(f"{Path(spec).stem}.yaml")
            if copy.exists():
                raise click.UsageError(f"{copy} exists here: serve it (cnncalc serve {copy}) or remove it; a shipped "
                                       "spec is edited as a copy in the current folder")
            copy.write_text(Path(spec).read_text(encoding="utf-8"), encoding="utf-8")
            click.echo(f"Editing a copy of the shipped {given}: {copy}", err=True)
            spec = str(copy.resolve())
    if not public and not server_module.is_loopback(host):
        raise click.BadParameter(f"{shown(host)} is not loopback: anyone who can reach it could read and overwrite the "
                                 "spec file; add --public if that is what you want", param_hint="--host")
    session = server_module.Session(spec, variant=variant, input_size=input_size)
    server = server_module.make_server(session, host, port, public)
    if not server_module.is_loopback(host):
        click.echo(f"Warning: serving on {host} (--public): anyone who can reach this address can read the spec "
                   f"and overwrite {spec or 'nothing (no file was given)'}; stop it with Ctrl-C", err=True)
    click.echo(f"Serving {spec or 'a new spec (Save is off: no file)'} (Ctrl-C stops):", err=True)
    click.echo(server_module.url(server))
    server_module.run(server)
