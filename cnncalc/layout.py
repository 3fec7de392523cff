"""--wide and --columns, the layout options of every command that prints a table (issue 15).

They are not the command's parameters: a callback keeps them in click's context, where `cli_output.emit` reads them, so
a command takes them with one decorator line and no change to its signature."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def _keep(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    ctx.meta[f"cnncalc.{param.name}"] = value
    return value


def layout_options(f: F) -> F:
    f = click.option("--columns", "columns", default=None, metavar="A,B,...", expose_value=False, callback=_keep,
                     help="Only these table columns, by header (a prefix is enough: memory,params).")(f)
    return click.option("--wide", "wide", is_flag=True, expose_value=False, callback=_keep,
                        help="Tables at their full width, whatever the terminal's (no column gives way).")(f)
