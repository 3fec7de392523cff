"""What every command shares: the --format option, the one place a command's document or data is written in the
chosen format (`emit`), and the reading of --input and --plot. cli.py and the cli_*.py modules of its commands
import it; it imports none of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("table", "markdown", "latex", "csv", "json")  # every command offers these
PROSE_FORMATS = ("text", *FORMATS)  # explain, grade and check also write prose (their default)


def format_option(choices: tuple[str, ...] = FORMATS, default: str = "table") -> Callable[[F], F]:
    return click.option("--format", "fmt", type=click.Choice(choices), default=default, show_default=True,
                        help="table: the terminal; markdown, latex (booktabs), csv: documents; json: the data.")


def depth_options(command: F) -> F:
    """--depth N and --expand: how many levels of blocks a table shows (summarize, memory); JSON has every layer."""
    command = click.option("--expand", is_flag=True, help="Show every layer of every block (no collapsing).")(command)
    return click.option("--depth", type=click.IntRange(min=1), default=1, show_default=True,
                        help="Blocks deeper than this are collapsed into one row each (not JSON).")(command)


def emit(fmt: str, document: Callable[[], Any], json_text: Callable[[], str],
          text: Callable[[], str] | None = None) -> None:
    """Write what a command shows in `fmt`: its JSON contract, its prose, or its document through a writer."""
    meta = click.get_current_context().meta  # --wide, --columns (cnncalc/layout.py)
    columns = meta.get("cnncalc.columns")

    def shown() -> Any:
        from cnncalc.views import select_columns

        return select_columns(document(), columns) if columns else document()

    if fmt == "json":
        out = json_text()
    elif fmt == "text" and text is not None and not columns:
        out = text()
    elif fmt in ("table", "text"):
        from cnncalc.writers import terminal

        terminal.show(shown(), terminal.console(), wide=bool(meta.get("cnncalc.wide")))
        return
    else:
        from cnncalc.writers import write

        out = write(shown(), fmt)
    click.echo(out, nl=not out.endswith("\n"))


def plot_target(plot_file: str | None) -> Any:
    """--plot FILE checked before any work is done (cnncalc.charts.chart_target), or None."""
    if plot_file is None:
        return None
    from cnncalc.charts import chart_target

    return chart_target(plot_file)


def override_input(model: Any, input_size: str | None) -> Any:
    from cnncalc.spec.inputs import override

    return override(model.input, input_size)
