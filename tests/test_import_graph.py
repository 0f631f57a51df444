"""The package's import graph: no cycles, and function-level (lazy) imports only for optional heavy dependencies.

Every `import` / `from ... import` in `sage_nb/**/*.py` is read with `ast`, at module level and inside functions alike
(an import hidden in a function still makes a dependency, and a cycle through it is still a cycle). The graph's
nodes are the package's modules; `from sage_nb.pkg import name` counts as an import of `sage_nb.pkg.name` when that
is a module. Dynamic imports (`importlib.import_module`, `sage_nb.core.require`) are not edges: they are how the CLI
registry and optional extras are loaded on purpose.

Lazy imports are allowed only where deferring the import buys something: for the optional or heavy third-party
packages in `HEAVY` (the allow-list below: model runtimes, the trading engine, plotting, notebooks, distributed
compute) and for package modules that are heavy themselves because they import one of those at module level
(computed from the graph, so the list cannot drift). A lazy import of anything else — the standard library, numpy,
pandas, a light package module — is a mistake that hides the module's real dependencies, and the test names it.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "sage_nb"

# optional or heavy third-party packages: a function may import these lazily (documented allow-list)
HEAVY = {
    "torch", "tirex",  # the TiRex forecaster and the RDE model
    "onnx", "onnxruntime", "tensorrt",  # RDE deployment runtimes (optional extras)
    "nautilus_trader",  # the trading engine (compiled, slow to import)
    "tsfresh", "pycatch22",  # ensemble feature libraries (optional extra)
    "jumpmodels", "sklearn", "hmmlearn", "statsmodels", "arch",  # statistical models
    "matplotlib", "plotly", "seaborn",  # plotting
    "papermill", "nbformat", "nbconvert", "jupyter_client", "IPython",  # report rendering
    "ray",  # distributed sweeps
    "tqdm",  # progress bars
    "threadpoolctl",  # optional: limits BLAS/OpenMP pools when installed (a scikit-learn dependency)
}


def _modules() -> dict:
    out = {}
    for p in sorted(PKG.rglob("*.py")):
        parts = p.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return out


def _targets(mods: dict, cur: str, node) -> list:
    "Fully qualified names a (possibly relative) import statement refers to."
    if isinstance(node, ast.Import): return [a.name for a in node.names]
    base = node.module or ""
    if node.level:
        pkg = cur.split(".") if mods[cur].name == "__init__.py" else cur.split(".")[:-1]
        pkg = pkg[: len(pkg) - node.level + 1]
        base = ".".join(pkg + ([base] if base else []))
    return [base] + [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in mods]


def _imports(mods: dict) -> list:
    "(module, target, lazy) for every import statement of the package."
    out = []
    for m, p in mods.items():
        def visit(node, lazy):
            for ch in ast.iter_child_nodes(node):
                if isinstance(ch, (ast.Import, ast.ImportFrom)):
                    out.extend((m, t, lazy) for t in _targets(mods, m, ch))
                visit(ch, lazy or isinstance(ch, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))
        visit(ast.parse(p.read_text(), str(p)), False)
    return out


def _owner(mods: dict, name: str) -> str | None:
    "The package module an imported name belongs to (None for third-party and stdlib)."
    if not name.startswith("sage_nb"): return None
    while name not in mods and "." in name: name = name.rsplit(".", 1)[0]
    return name if name in mods else None


def _graph():
    mods = _modules()
    imports = _imports(mods)
    edges = {m: set() for m in mods}
    for m, t, _ in imports:
        if (o := _owner(mods, t)) is not None and o != m: edges[m].add(o)
    return mods, imports, edges


def _cycles(edges: dict) -> list:
    color, stack, found = {}, [], []
    def dfs(u):
        color[u] = 1; stack.append(u)
        for v in sorted(edges[u]):
            if color.get(v) == 1: found.append(stack[stack.index(v):] + [v])
            elif not color.get(v): dfs(v)
        stack.pop(); color[u] = 2
    for u in sorted(edges):
        if not color.get(u): dfs(u)
    return found


def _heavy_modules(mods: dict, imports: list, edges: dict) -> set:
    "Package modules that import a `HEAVY` package at module level, directly or through other package modules."
    eager = {m: set() for m in mods}
    heavy = set()
    for m, t, lazy in imports:
        if lazy: continue
        if (o := _owner(mods, t)) is not None and o != m: eager[m].add(o)
        elif t.split(".")[0] in HEAVY: heavy.add(m)
    changed = True
    while changed:
        changed = False
        for m, deps in eager.items():
            if m not in heavy and deps & heavy: heavy.add(m); changed = True
    return heavy


def test_the_graph_is_read():
    mods, imports, edges = _graph()
    assert "sage_nb.nautilus.runner" in mods and "sage_nb.core" in edges["sage_nb.data"]
    assert len(mods) > 30 and sum(len(v) for v in edges.values()) > 50


def test_no_import_cycles():
    _, _, edges = _graph()
    cycles = _cycles(edges)
    assert not cycles, "import cycles (module-level and function-level imports):\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_lazy_imports_only_for_heavy_dependencies():
    mods, imports, edges = _graph()
    heavy = _heavy_modules(mods, imports, edges)
    bad = sorted({(m, t) for m, t, lazy in imports if lazy and t.split(".")[0] not in HEAVY and _owner(mods, t) not in heavy})
    assert not bad, ("lazy imports of light modules (import them at module level):\n" +
                     "\n".join(f"{m}: {t}" for m, t in bad))


def test_nautilus_modules_stay_small():
    big = {p.name: n for p in (PKG / "nautilus").glob("*.py") if (n := len(p.read_text().splitlines())) > 300}
    assert not big, f"modules over 300 lines in sage_nb/nautilus: {big}"
