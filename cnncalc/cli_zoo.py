"""`cnncalc specs`: the shipped specs by name (cli.py adds it to `main`). The numbers come from the zoo's index
(cnncalc/models/index.json), so the listing is instant; a spec added or changed since is computed on the spot."""

from __future__ import annotations

import click

from cnncalc.cli_output import emit, format_option
from cnncalc.layout import layout_options


@click.command()
@click.option("--family", default=None, metavar="NAME", help="Only this family (resnet, vgg, densenet, ...).")
@format_option()
@layout_options
def specs(family: str | None, fmt: str) -> None:
    """The shipped specs: every name a SPEC argument can take instead of a file (vgg16, resnet50,
    resnet50_torchvision: resnet50 with --variant torchvision), with family, source, input size, params and MACs.
    A file of the same name in the current folder wins over a shipped spec (docs/zoo.md)."""
    from cnncalc import zoo
    from cnncalc.views import specs as view
    from cnncalc.zoo_index import listing

    found = listing(family)
    if family and not found.entries:
        from cnncalc.errors import SpecError, shown
        from cnncalc.spec.options import suggest

        families = sorted({zoo.family(name) for name in zoo.names()})
        raise SpecError(f"no family {shown(family)}{suggest(family.lower(), families)} (the families: "
                        f"{', '.join(families)})", field="--family")
    emit(fmt, lambda: view.document(found, family), lambda: view.json_text(found, str(zoo.FOLDER)))
