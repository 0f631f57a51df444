"The wheel carries every subpackage and the package data."
import subprocess, sys, zipfile
from pathlib import Path


def test_wheel_content(root, tmp_path):
    r = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(root)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    wheel = next(tmp_path.glob("sage_nb-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    # every module exported from the notebooks, in every subpackage
    modules = {p.relative_to(root).as_posix() for p in (root / "sage_nb").rglob("*.py") if "__pycache__" not in p.parts}
    assert modules, "no modules found"
    assert modules <= names, f"missing from wheel: {sorted(modules - names)}"
    data = {p.relative_to(root).as_posix() for p in (root / "sage_nb").rglob("*") if p.suffix in (".ckpt", ".yaml", ".json", ".csv", ".ipynb")}
    assert data <= names, f"package data missing from wheel: {sorted(data - names)}"
    assert any(n.endswith("entry_points.txt") for n in names)
    ep = next(n for n in names if n.endswith("entry_points.txt"))
    assert "sage-nb = sage_nb.cli:main" in zipfile.ZipFile(wheel).read(ep).decode()


def test_readme_in_sync_with_index(root):
    r = subprocess.run([sys.executable, str(root / "tools" / "build_docs.py"), "--check-readme"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
