"""No module of the package defines the same top-level name twice.

A notebook is executed top to bottom, so a later cell that redefines a helper (say `_pcts`) leaves the earlier cells'
demos and tests passing while the exported module keeps only the last definition, and every caller of the first one
breaks. Two notebooks merged into one module, or two branches merged into one notebook, make this easy to miss.
"""
import ast
from collections import Counter
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "sage_nb"


def _patched(node) -> bool:
    "fastcore's `@patch` attaches the function to the class in its annotation; the module-level name does not matter."
    return any((d.func if isinstance(d, ast.Call) else d).__dict__.get("id") == "patch" for d in node.decorator_list)


def _top_level_names(path: Path) -> list:
    tree = ast.parse(path.read_text())
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not _patched(n)]


def test_no_top_level_definition_is_shadowed():
    dup = {str(p.relative_to(PKG.parent)): [k for k, c in Counter(_top_level_names(p)).items() if c > 1]
           for p in sorted(PKG.rglob("*.py")) if p.name != "_modidx.py"}
    dup = {k: v for k, v in dup.items() if v}
    assert not dup, f"functions or classes defined twice (the later one silently replaces the earlier): {dup}"
