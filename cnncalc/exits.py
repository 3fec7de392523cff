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

from cnncalc.errors import SHOWN, CnnCalcError, shown

INTERNAL_ERROR, INTERRUPTED, BROKEN_PIPE = 70, 130, 141


class Cli(click.Group):
    """Turns the package's own errors into 'Error: ...' and their exit code, in this one place — and anything
    else into one line and exit 70 (a last resort: every known bad input has its own clear error). click's own
    usage errors keep their words, with the command line's long words cut (`shortened`)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["cnncalc.words"] = list(args)  # the command line, for shortening click's messages
        try:
            return super().parse_args(ctx, args)
        except click.ClickException as exc:
            raise shortened(exc, args) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            raise shortened(exc, ctx.meta.get("cnncalc.words", ())) from None
        except CnnCalcError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            ctx.exit(INTERRUPTED)
        except BrokenPipeError:
            quiet_stdout()
            ctx.exit(BROKEN_PIPE)
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the safety net itself
            if os.environ.get("CNNCALC_DEBUG") == "1":
                traceback.print_exc()
            text = str(exc)[:200].replace("\n", " ")
            click.echo(f"Error: internal error ({type(exc).__name__}: {text}); please report it, with the spec and "
                       "the command (CNNCALC_DEBUG=1 shows the traceback)", err=True)
            ctx.exit(INTERNAL_ERROR)


def shortened(exc: click.ClickException, words: list[str] | tuple[str, ...]) -> click.ClickException:
    """click quotes what it refuses whole ("'xxx…' is not a valid integer", "No such option: --xxx…", "Got
    unexpected extra arguments (x x x …)"): the same error with each long word of the command line, and a long run
    of its words, quoted as every message quotes a value (cnncalc.errors.shown: at most 60 characters; issue 12)."""
    message = exc.format_message()
    long = {w for word in words for w in (word, word.partition("=")[2]) if len(w) > SHOWN}
    for word in sorted(long, key=len, reverse=True):
        message = message.replace(repr(word), shown(word)).replace(word, shown(word))
    start, end = message.find("("), message.rfind(")")
    if end - start > SHOWN and message[start + 1:end] in " ".join(words):  # a run of extra arguments
        message = message[:start + 1] + shown(message[start + 1:end]) + message[end:]
    if message == exc.format_message():
        return exc
    # a usage error is a usage error (exit 2, with the usage line); any other of click's, exit 1
    return click.UsageError(message, ctx=exc.ctx) if isinstance(exc, click.UsageError) else \
        click.ClickException(message)


def quiet_stdout() -> None:
    """After a broken pipe, send what is still buffered nowhere, so that Python's last flush stays silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (a test runner's capture): nothing to silence
        pass
