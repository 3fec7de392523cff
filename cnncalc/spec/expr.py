"""Block arguments inside a spec: `$width`, `$width * 4`, `$1 if v1_5 else stride`, and their substitution.

A tiny, safe evaluator over Python's own expression grammar: names, integers, + − * // / %, comparisons,
`and`/`or`/`not` and `x if c else y`. Nothing else (no calls, no attributes) can be written. `substitute`
replaces every `$...` inside a YAML value, keeping the lines that errors name. Names inside may carry a `$` too
(`$stride == 1 and $in_channels == $out`). A size of a symbolic input (`$in_height` with `input: HxWx3`) takes
part in arithmetic; a comparison or a condition on it cannot be decided and is an error.
"""

from __future__ import annotations

import ast
import operator
import re
from typing import Any

from cnncalc.errors import SpecError, shown, shown_names
from cnncalc.limits import MAX_EXPRESSION
from cnncalc.spec.options import type_name
from cnncalc.spec.source import YList, YMap, line_of

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv,
           ast.Mod: operator.mod}
_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%", ast.Lt: "<", ast.LtE: "<=",
           ast.Gt: ">", ast.GtE: ">="}
_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
            ast.Gt: operator.gt, ast.GtE: operator.ge}


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("$")


def evaluate(text: str, scope: dict[str, Any]) -> Any:
    """Evaluate `$...` against the block's arguments and the spec's variables.

    Arithmetic and ordering take numbers only (so no string can be repeated a billion times), the text is at most
    MAX_EXPRESSION characters (Python's parser recurses on nested operators), and every failure (a division by
    zero, a float too large) is a SpecError.
    """
    source = re.sub(r"\$(?=[A-Za-z_])", "", text[1:]).strip()
    if len(source) > MAX_EXPRESSION:
        raise SpecError(f"the expression is {len(source):,} characters long; at most {MAX_EXPRESSION} are allowed")
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise SpecError(f"cannot read the expression {shown(text)}") from None
    try:
        return _eval(tree.body, scope, text)
    except ZeroDivisionError:
        raise SpecError(f"{shown(text)} divides by zero") from None
    except OverflowError:
        raise SpecError(f"{shown(text)} gives a number too large for a fraction") from None
    except TypeError:  # sympy refuses the truth value of a formula
        raise symbolic_refusal(text) from None


def is_symbolic(value: Any) -> bool:
    """A formula in a symbolic input size (sympy is never imported here: its objects are recognised)."""
    return type(value).__module__.startswith("sympy")


def symbolic_refusal(text: str) -> SpecError:
    return SpecError(f"{shown(text)} depends on a symbolic input size, whose value is not known: a condition on it "
                     "cannot be decided (give the input as numbers, e.g. --input 224x224x3)")


def _number(value: Any, text: str, op: str) -> int | float:
    if is_symbolic(value):
        return value  # type: ignore[no-any-return]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(f"{shown(text)}: {op} needs numbers, got {type_name(value)}")
    return value


def _eval(node: ast.AST, scope: dict[str, Any], text: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, bool, str)):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in ("true", "false"):
            return node.id == "true"
        if node.id not in scope:
            known = shown_names(sorted(scope)) or "none"
            raise SpecError(f"{shown(text)} uses {shown(node.id)}, which is not an argument or variable here (known: {known})")
        return scope[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        op = _SYMBOL[type(node.op)]
        left = _number(_eval(node.left, scope, text), text, op)
        right = _number(_eval(node.right, scope, text), text, op)
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        left = _number(_eval(node.left, scope, text), text, "/")
        right = _number(_eval(node.right, scope, text), text, "/")
        if is_symbolic(left) or is_symbolic(right):
            raise SpecError(f"{shown(text)}: '/' of a symbolic size; write '//' for a whole number")
        return left // right if isinstance(left, int) and isinstance(right, int) and left % right == 0 else left / right
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_number(_eval(node.operand, scope, text), text, "-")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return not _eval(node.operand, scope, text)
    if isinstance(node, ast.BoolOp):
        values = [_eval(v, scope, text) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        left, right = _eval(node.left, scope, text), _eval(node.comparators[0], scope, text)
        if is_symbolic(left) or is_symbolic(right):
            raise symbolic_refusal(text)
        if not isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
            op = _SYMBOL[type(node.ops[0])]
            left, right = _number(left, text, op), _number(right, text, op)
        return _COMPARE[type(node.ops[0])](left, right)
    if isinstance(node, ast.IfExp):
        return _eval(node.body if _eval(node.test, scope, text) else node.orelse, scope, text)
    raise SpecError(f"{shown(text)}: only names, numbers, arithmetic, comparisons and 'x if c else y' are allowed")


def substitute(value: Any, scope: dict[str, Any], line: int | None, path: str, keep: tuple[str, ...] = ()) -> Any:
    """Replace `$...` expressions by their values; `keep` keys hold nested layers, substituted when parsed."""
    try:
        if is_expression(value):
            return evaluate(value, scope)
        if isinstance(value, dict):
            return YMap({k: v if k in keep else substitute(v, scope, line_of(value, k) or line, f"{path}.{k}")
                         for k, v in value.items()}, template=value)
        if isinstance(value, list):
            return YList([substitute(v, scope, line, path) for v in value], template=value)
    except SpecError as exc:
        if exc.line is None:
            raise SpecError(exc.message, line=line, field=path) from None
        raise
    return value
