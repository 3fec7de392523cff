"""How the command line ends: the package's own errors as 'Error: ...' with their exit code, and the last
resorts — an unexpected exception in one line (70), Ctrl-C (130), a closed pipe (141) — in this one place.

Exit codes (a contract, README "Exit codes"): 0 success; 1 invalid input; 2 usage error; 3 a negative answer;
70 an internal error; 130 interrupted; 141 the reader of the output went away.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

import click

from cnncalc.errors import CnnCalcError

INTERNAL_ERROR, INTERRUPTED, BROKEN_PIPE = 70, 130, 141


class Cli(click.Group):
    """Turns the package's own errors into 'Error: ...' and their exit code, in this one place — and anything
    else into one line and exit 70 (a last resort: every known bad input has its own clear error)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CnnCalcError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            ctx.exit(INTERRUPTED)
        except BrokenPipeError:
            quiet_stdout()
            ctx.exit(BROKEN_PIPE)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the safety net itself
            if os.environ.get("CNNCALC_DEBUG") == "1":
                traceback.print_exc()
            text = str(exc)[:200].replace("\n", " ")
            click.echo(f"Error: internal error ({type(exc).__name__}: {text}); please report it, with the spec and "
                       "the command (CNNCALC_DEBUG=1 shows the traceback)", err=True)
            ctx.exit(INTERNAL_ERROR)


def quiet_stdout() -> None:
    """After a broken pipe, send what is still buffered nowhere, so that Python's last flush stays silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (a test runner's capture): nothing to silence
        pass
