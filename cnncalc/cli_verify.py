"""`cnncalc verify`: build the spec in PyTorch, run it, and compare (cli.py adds it to `main`). torch is imported
only when the command runs."""

from __future__ import annotations

import sys

import click

from cnncalc.cli_output import emit, format_option, override_input
from cnncalc.layout import layout_options


@click.command()
@click.argument("spec", type=click.Path(dir_okay=True, path_type=str))
@click.option("--input", "input_size", metavar="HxWxC|HxW|N",
              help="Override the spec's input size (HxW or N keep its channels).")
@click.option("--device", type=click.Choice(("auto", "cuda", "cpu", "meta")), default="auto", show_default=True,
              help="auto: CUDA when a GPU is present, else CPU; meta: shapes, params and MACs without allocating.")
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True, help="Samples per batch.")
@format_option(("table", "json", "markdown", "latex", "csv"))
@layout_options
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True,
              help="Seed for the random input and weights.")
@click.option("--variant", default=None, help="One of the spec's named variants.")
@click.option("--allow-large", is_flag=True, help="Run even when the estimate is above 8 GB (cpu, cuda).")
@click.option("--against", metavar="torchvision:NAME|torch:MODULE:FACTORY", default=None,
              help="Compare SPEC with the real model instead (on the meta device): every conv/linear layer's output, "
                   "params and MACs, and the totals. A torch: ref runs that module's Python code.")
def verify(spec: str, input_size: str | None, device: str, batch: int, fmt: str, seed: int,
           variant: str | None, allow_large: bool, against: str | None) -> None:
    """Build SPEC as a PyTorch module, run it, and compare every layer's output shape, params and MACs with
    the calculation (needs torch: pip install -e '.[torch]'). With --against, compare SPEC with a real model.
    Exits 3 on any mismatch."""
    from cnncalc.spec import load_spec
    from cnncalc.verify import verify as run_verify
    from cnncalc.views import verify as view

    model = load_spec(spec, variant=variant)
    if against is not None:
        from cnncalc.verify.against import verify_against

        result = verify_against(model, against, input_shape=override_input(model, input_size))
    else:
        result = run_verify(model, input_shape=override_input(model, input_size), device=device, batch=batch,
                            seed=seed, allow_large=allow_large)
    emit(fmt, lambda: view.document(result), lambda: view.json_text(result))
    if not result.ok:
        sys.exit(3)
