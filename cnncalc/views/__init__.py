"""What each command shows: one module per command, each building its `Document` (cnncalc/document.py) from the
library's result objects, its JSON contract (extend, never rename a field) and, where a command has one, its
prose (`--format text`: worked solutions and verdicts as a student writes them)."""
