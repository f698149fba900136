"""The habits that keep the package one a newcomer can hold: modules under 500 lines, functions under 80
(docstring aside), no import cycle between modules (deferred imports included).

Code that was over a limit before this check existed is listed in ``OVER_LIMIT`` with the size it had;
it may shrink but not grow, and it leaves the list (the test says so) once it is under the limit. New code
gets no entry.
"""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "minetools"
MODULE_LINES, FUNCTION_LINES = 500, 80

#: what was over a limit when this check was written (issue 15 takes these apart): name -> lines then
OVER_LIMIT: dict[str, int] = {}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    first = node.body[0]
    docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
        and isinstance(first.value.value, str)
    start = first.end_lineno + 1 if docstring and len(node.body) > 1 else first.lineno
    return node.end_lineno - start + 1


def _sizes() -> dict[str, int]:
    """Lines of every module over MODULE_LINES and of every function over FUNCTION_LINES."""
    sizes = {}
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MODULE_LINES:
            sizes[str(path.relative_to(SRC))] = lines
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _body_lines(node) > FUNCTION_LINES:
                sizes[f"{name}.{node.name}"] = _body_lines(node)
    return sizes


def test_no_module_or_function_grows_past_the_limits():
    sizes = _sizes()
    new = {k: v for k, v in sizes.items() if k not in OVER_LIMIT}
    grown = {k: (OVER_LIMIT[k], v) for k, v in sizes.items() if k in OVER_LIMIT and v > OVER_LIMIT[k]}
    assert not new, f"over {MODULE_LINES} lines per module / {FUNCTION_LINES} per function: {new}"
    assert not grown, f"listed in OVER_LIMIT and grown (then, now): {grown}"


def test_code_under_the_limits_leaves_the_over_limit_list():
    done = sorted(set(OVER_LIMIT) - set(_sizes()))
    assert not done, f"now within the limits: remove from OVER_LIMIT: {done}"


def _imports(name: str, path: Path, modules: set[str]) -> set[str]:
    """The package modules ``name`` imports, at module level or inside a function (a deferred import hides a
    cycle, it does not remove it); ``from pkg import sub`` counts as ``pkg.sub``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module in modules:
            subs = {f"{node.module}.{a.name}" for a in node.names} & modules
            found |= subs or {node.module}
            if len(subs) < len(node.names):
                found.add(node.module)
    return found - {name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_no_import_cycle_between_modules():
    modules = _modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    assert _cycles(graph) == []


@pytest.mark.parametrize("graph, cycles", [
    ({"a": {"b"}, "b": {"a"}, "c": set()}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
])
def test_the_cycle_check_finds_a_cycle(graph, cycles):
    assert _cycles(graph) == cycles


def test_tests_mirror_the_package_tree():
    """A test folder per subpackage (tests/clean for minetools/clean …), and no test folder without one."""
    tests = Path(__file__).resolve().parent
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    folders = {p.name for p in tests.iterdir() if p.is_dir() and list(p.glob("test_*.py"))}
    assert folders <= packages, f"test folders with no package of that name: {sorted(folders - packages)}"
    assert packages <= folders, f"subpackages without a test folder: {sorted(packages - folders)}"
