"""The shape of the house, checked on every run (docs/architecture.md draws it):

- the import contract in pyproject.toml ([tool.importlinter]): the layers, the pure render core,
  models below queues, jobs on top, the API / UI / CLI independent, no cycles between siblings;
- no import cycle between any two modules of app/ and jobs/;
- imports inside functions only where they keep a heavy optional dependency (torch, diffusers,
  transformers) out of start-up, and then saying so on the line;
- every module of app/ and jobs/ under 300 lines, every function (migrations and tests aside)
  at most 60.

Each failure lists every offender with its file and line, so one run shows all that is left.
"""
from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "jobs")
MAX_MODULE_LINES = 299  # "under 300"
MAX_FUNCTION_LINES = 60
HEAVY = "heavy optional dependency"
#: Where the function-length rule does not apply.
EXEMPT_DIRS = {"tests", "migrations", ".venv", "var", "node_modules", ".git"}


def package_files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def project_files() -> list[Path]:
    """Every Python file of the project that is neither a test nor a migration."""
    return sorted(p for p in ROOT.rglob("*.py") if not EXEMPT_DIRS & set(p.relative_to(ROOT).parts))


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def functions(tree: ast.AST):
    return (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))


def test_import_contracts_hold():
    """`lint-imports` (import-linter) against the contracts in pyproject.toml."""
    lint = Path(sys.executable).with_name("lint-imports")
    assert lint.exists(), "import-linter is not installed: pip install -e '.[test]'"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this tree's app/ and jobs/, not an installed copy
    proc = subprocess.run([str(lint), "--no-cache", "--no-logo"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    report = proc.stdout[proc.stdout.find("Broken contracts"):] if "Broken contracts" in proc.stdout else proc.stdout
    if proc.returncode != 0:
        pytest.fail(f"import contracts broken (pyproject.toml [tool.importlinter]):\n{report}{proc.stderr}", pytrace=False)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    for pkg in PACKAGES:  # the graph must be of this tree, not of an installed copy
        origin = Path(importlib.util.find_spec(pkg).origin).resolve()
        assert origin.parent.parent == ROOT, f"{pkg} is imported from {origin}, not from {ROOT}"
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's algorithm over the module graph: every group of modules that import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def describe_cycle(graph: grimp.ImportGraph, group: list[str]) -> str:
    """One loop through the group, each step with the line that imports."""
    first, chain = group[0], tuple(group)
    for imported in sorted(graph.find_modules_directly_imported_by(first)):
        back = graph.find_shortest_chain(importer=imported, imported=first) if imported in group else None
        if back:
            chain = (first, *back)
            break
    steps = []
    for a, b in zip(chain, chain[1:]):
        lines = sorted({d["line_number"] for d in graph.get_import_details(importer=a, imported=b)})
        steps.append(f"    {a} -> {b} (line {', '.join(map(str, lines)) or '?'})")
    return f"  {', '.join(group)}:\n" + "\n".join(steps)


def test_no_import_cycles_between_modules(graph):
    cycles = strongly_connected(graph)
    if cycles:
        pytest.fail("import cycles:\n" + "\n".join(describe_cycle(graph, g) for g in cycles), pytrace=False)


def function_level_imports(path: Path) -> list[str]:
    """Imports inside a function (at any depth) whose line does not give the heavy-dependency reason."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []
    for fn in functions(ast.parse(source)):
        for node in ast.walk(fn):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            text = lines[node.lineno - 1:node.end_lineno]
            if any(HEAVY in line for line in text):
                continue
            found.append((node.lineno, fn.name, " ".join(t.strip() for t in text)))
    # an import in a nested function is found once per enclosing function: keep the innermost
    seen: dict[int, tuple[int, str, str]] = {}
    for item in found:
        seen[item[0]] = item
    return [f"{rel(path)}:{n} in {name}(): {text}" for n, name, text in sorted(seen.values())]


def test_imports_inside_functions_only_for_heavy_optional_dependencies():
    offenders = [line for path in package_files() for line in function_level_imports(path)]
    if offenders:
        pytest.fail(f"{len(offenders)} import(s) inside functions; move them to the top of the module, or, where one "
                    f"keeps torch / diffusers / transformers out of start-up, say so on the line: '# {HEAVY}: kept "
                    "out of start-up'\n" + "\n".join(offenders), pytrace=False)


def test_modules_are_under_300_lines():
    sizes = ((path, len(path.read_text(encoding="utf-8").splitlines())) for path in package_files())
    too_long = [f"{rel(path)}: {n} lines" for path, n in sizes if n > MAX_MODULE_LINES]
    if too_long:
        pytest.fail("modules of 300 lines or more:\n" + "\n".join(too_long), pytrace=False)


def test_functions_are_at_most_60_lines():
    too_long = []
    for path in project_files():
        for fn in functions(ast.parse(path.read_text(encoding="utf-8"))):
            n = fn.end_lineno - fn.lineno + 1
            if n > MAX_FUNCTION_LINES:
                too_long.append(f"{rel(path)}:{fn.lineno} {fn.name}(): {n} lines")
    if too_long:
        pytest.fail(f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(too_long), pytrace=False)
