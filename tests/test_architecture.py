"""The package's shape, tested: no import circle inside cnncalc/, and no module too long to read in one go.

How an import is counted (read from the source with `ast`, so an import inside a function counts as much as one
at the top: it runs as soon as the function does):

- `import a.b.c` and `from a.b.c import name` depend on the module a.b.c, and on the `__init__` of every package
  above it (a.b, a), since Python runs those first. A package that is an ancestor of the importing module is
  left out: it is already being imported when the importer runs (Python imports a package before its
  modules), so importing it again runs nothing.
- `from a.b import c`, where a.b.c is a module, depends on a.b.c (and its packages, as above); where `c` is a
  name defined in a/b/__init__.py, it depends on that `__init__` — even from inside a.b: taking a name from a
  package that is still being initialised is exactly what breaks in a circle.
- A package that re-exports lazily (a module-level `__getattr__` reading an `_EXPORTS = {name: module}` table,
  as cnncalc/__init__.py and cnncalc/spec/__init__.py do) gives `from package import name` a dependency on the
  module the table names: a lazy re-export delays an import, it does not remove it.
- Imports under `if TYPE_CHECKING:` never run and are not counted; test_type_checking_imports_are_annotations_only
  checks that the names they bring are used in annotations alone, so they cannot hide a runtime dependency.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "cnncalc"
MAX_LINES = 450


def module_paths() -> dict[str, Path]:
    """Every module under cnncalc/ by its dotted name (a package by its own name, for its __init__.py)."""
    paths = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        paths[".".join(parts)] = path
    return paths


MODULES = module_paths()


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def is_type_checking(test: ast.expr) -> bool:
    """`if TYPE_CHECKING:` or `if typing.TYPE_CHECKING:`."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: at any depth, but not inside the body of `if TYPE_CHECKING:`."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        if isinstance(node, ast.If) and is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def lazy_exports(package: str) -> dict[str, str]:
    """A package's `_EXPORTS = {name: module}` table (lazy re-exports), or {}."""
    tree = ast.parse(MODULES[package].read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "_EXPORTS" for t in targets) and node.value is not None:
                table = ast.literal_eval(node.value)
                return {str(k): str(v) for k, v in table.items()}
    return {}


def resolve(importer: str, node: ast.ImportFrom) -> str:
    """The absolute module name a `from ... import` reads from (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    package = importer if is_package(importer) else importer.rpartition(".")[0]
    parts = package.split(".")
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def with_packages(importer: str, target: str) -> set[str]:
    """`target` and the packages Python runs before it, less the importer's own ancestors (already running)."""
    mine = set(ancestors(importer)) | {importer}
    return {m for m in (*ancestors(target), target) if m in MODULES and m not in mine}


def dependencies(importer: str, source: str | None = None) -> set[str]:
    """The modules of cnncalc/ that importing `importer` may run, by the rules in this file's docstring
    (`source`: the module's text, when not its file's)."""
    tree = ast.parse(MODULES[importer].read_text(encoding="utf-8") if source is None else source)
    out: set[str] = set()
    for node in runtime_imports(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                out |= with_packages(importer, alias.name)
            continue
        base = resolve(importer, node)
        if base not in MODULES:
            continue  # the standard library or a third-party package
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            if submodule in MODULES:
                out |= with_packages(importer, submodule)
                continue
            out |= with_packages(importer, base)
            if base != importer:  # a name taken from the package's own __init__: it must have run
                out.add(base)
            lazy = lazy_exports(base).get(alias.name) if is_package(base) else None
            if lazy in MODULES:
                out |= with_packages(importer, lazy) | {lazy}
    out.discard(importer)
    return out


def import_graph() -> dict[str, set[str]]:
    return {name: dependencies(name) for name in MODULES}


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; the components with more than one module (no module imports itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def one_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """A shortest circle through the component's first module, as a path that ends where it starts."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"no circle through {start}")  # pragma: no cover - a component always has one


def test_the_graph_counts_imports_as_python_runs_them() -> None:
    """The rules of this file's docstring, on made-up module texts."""
    def deps(importer: str, source: str) -> set[str]:
        return dependencies(importer, textwrap.dedent(source))

    # a function-level import counts; the packages above the module run first, except the importer's own
    assert deps("cnncalc.layers.conv", """
        def f():
            from cnncalc.arithmetic.sizes import known
        """) == {"cnncalc.arithmetic", "cnncalc.arithmetic.sizes"}
    assert deps("cnncalc.layers.conv", "import cnncalc.layers.base") == {"cnncalc.layers.base"}
    # a name from a package is its __init__, even from inside it; a submodule by name is the submodule
    assert deps("cnncalc.layers.conv", "from cnncalc.layers import Layer") == {"cnncalc.layers"}
    assert deps("cnncalc.layers.conv", "from cnncalc.layers import base") == {"cnncalc.layers.base"}
    assert deps("cnncalc.layers.conv", "from . import base") == {"cnncalc.layers.base"}
    assert deps("cnncalc.layers.conv", "from .base import Layer") == {"cnncalc.layers.base"}
    # TYPE_CHECKING imports never run; a lazy re-export (_EXPORTS) is the module it names
    assert deps("cnncalc.layers.conv", """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from cnncalc.spec.options import Options
        """) == set()
    assert deps("cnncalc.check", "from cnncalc.spec import load_spec") >= {"cnncalc.spec", "cnncalc.spec.load"}


def test_a_circle_is_found_and_named() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert strongly_connected(graph) == [["a", "b", "c"]]
    assert one_cycle(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]


def test_no_import_cycles() -> None:
    graph = import_graph()
    cycles = [f"{' → '.join(one_cycle(graph, c))} (a circle among {len(c)}: {', '.join(c)})"
              for c in strongly_connected(graph)]
    assert not cycles, "import circles in cnncalc/:\n" + "\n".join(cycles)


def test_type_checking_imports_are_annotations_only() -> None:
    """A name imported under `if TYPE_CHECKING:` appears only in annotations (strings at runtime, by
    `from __future__ import annotations`): otherwise the skipped import would hide a real dependency."""
    misuses = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        hidden: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and is_type_checking(node.test):
                for statement in node.body:
                    if isinstance(statement, (ast.Import, ast.ImportFrom)):
                        hidden |= {(a.asname or a.name).split(".")[0] for a in statement.names}
        if not hidden:
            continue
        future = any(isinstance(n, ast.ImportFrom) and n.module == "__future__" and
                     any(a.name == "annotations" for a in n.names) for n in tree.body)
        if not future:
            misuses.append(f"{name}: TYPE_CHECKING imports need `from __future__ import annotations`")
        annotations: set[int] = set()
        for node in ast.walk(tree):
            notes: list[ast.expr | None] = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                arguments = node.args
                every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                         *(a for a in (arguments.vararg, arguments.kwarg) if a)]
                notes = [a.annotation for a in every] + [node.returns]
            elif isinstance(node, ast.AnnAssign):
                notes = [node.annotation]
            for note in notes:
                if note is not None:
                    annotations |= {id(n) for n in ast.walk(note)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in hidden and id(node) not in annotations:
                misuses.append(f"{name}:{node.lineno}: {node.id} is used at runtime but imported for type "
                               "checking only")
    assert not misuses, "\n".join(misuses)


def test_modules_are_short() -> None:
    """A module a newcomer can read in one sitting: at most MAX_LINES lines."""
    long = {name: n for name, path in MODULES.items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: " + ", ".join(f"{m} ({n})" for m, n in sorted(long.items()))
