"Stored notebook outputs: only the notebooks readers open first carry them, and the README's numbers equal the saved JSON."
import ast, json, os, re, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from store_outputs import STORED  # noqa: E402


def _notebooks(root):
    for p in sorted((root / "nbs").rglob("*.ipynb")):
        if not any(part.startswith((".", "_")) for part in p.relative_to(root / "nbs").parts): yield p


def _has_outputs(nb: dict) -> bool:
    return any(c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")


def test_only_the_stored_notebooks_carry_outputs(root):
    for p in _notebooks(root):
        expected = p.parent == root / "nbs" and p.name in STORED
        assert _has_outputs(json.loads(p.read_text())) == expected, f"{p.name}: outputs {'missing' if expected else 'stored'}"


def test_guide_shows_tables_and_a_figure(root):
    nb = json.loads((root / "nbs" / "44_nautilus.guide.ipynb").read_text())
    kinds = [k for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", []) for k in o.get("data", {})]
    assert kinds.count("image/png") == 1 and kinds.count("text/html") >= 2, kinds
    assert (root / "nbs" / "44_nautilus.guide.ipynb").stat().st_size < 400_000  # small enough to read on GitHub


def _run_cell(src: str, ns: dict):
    "Execute a cell like IPython does: statements, then the value of a final expression."
    tree = ast.parse(src)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<cell>", "exec"), ns)
    return eval(compile(ast.Expression(last.value), "<cell>", "eval"), ns) if last else None


def test_readme_numbers_are_rendered_from_the_saved_json(root):
    "Re-render every `#| echo: false` cell of nbs/index.ipynb from the JSON files now; it must equal the stored output (= README)."
    nb = json.loads((root / "nbs" / "index.ipynb").read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "code" and re.search(r"^#\|\s*echo:\s*false", "".join(c["source"]), re.M)]
    assert len(cells) >= 4
    ns, old, checked = {}, os.getcwd(), 0
    os.chdir(root / "nbs")
    try:
        for c in cells:
            value = _run_cell("".join(c["source"]), ns)
            stored = ["".join(o["data"]["text/markdown"]) for o in c["outputs"] if "text/markdown" in o.get("data", {})]
            if value is None: assert not stored; continue
            assert stored == [value.data], c["id"]
            checked += 1
    finally:
        os.chdir(old)
    assert checked >= 4
    readme = (root / "README.md").read_text()
    for c in cells:
        for o in c["outputs"]:
            if "text/markdown" in o.get("data", {}): assert "".join(o["data"]["text/markdown"]).strip() in readme
