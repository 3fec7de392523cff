"""The package's exceptions: every failure a user can cause is one of these, never a bare traceback."""

from __future__ import annotations


class CnnCalcError(Exception):
    """Base of every error cnncalc raises on purpose; the CLI maps it to an exit code in one place."""

    exit_code = 1


class SpecError(CnnCalcError, ValueError):
    """Invalid input, located as precisely as the input allows: file, YAML line and field path."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.field = field

    def located(self, *, file: str | None = None) -> SpecError:
        """A copy that names `file` when the error was raised before the file was known."""
        return SpecError(self.message, file=self.file or file, line=self.line, field=self.field)

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        elif self.line:
            where = f"line {self.line}: "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


class ShapeError(SpecError):
    """A layer cannot be applied to the shape that reaches it (output of zero, mismatched branches...)."""


class DoesNotFit(CnnCalcError):
    """A negative answer rather than bad input: a layer does not tile its input under --strict."""

    exit_code = 3
