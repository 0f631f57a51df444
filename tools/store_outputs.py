#!/usr/bin/env python
"""Execute the notebooks a reader opens first and store their outputs, so GitHub shows their tables and figures.

Every other notebook is stored without outputs. `nbdev-clean` is consistent with both: with `clear_all = false`
(nbdev's default, kept in pyproject.toml) it keeps outputs and only strips execution counts and metadata, so a
stored notebook passes `make check-sync` once it has been cleaned, which this tool does. Outputs are written back
into the original notebook by cell id (sources untouched), from an execution of a hidden copy in `nbs/` (the same
working folder, so the saved results next to the notebooks are found). `tests/test_stored_outputs.py` checks that
only these notebooks carry outputs and that the README's numbers equal a fresh rendering of the saved JSON.
Usage: python tools/store_outputs.py [NOTEBOOK ...]   (default: all of STORED)
"""
import json, shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STORED = ("index.ipynb", "44_nautilus.guide.ipynb")  # the notebooks users read first (README source, the strategy guide)


def store(name: str) -> int:
    from nbdev.test import test_nb
    src = ROOT / "nbs" / name
    tmp = src.with_name(f".store.{src.name}")  # hidden: nbdev's commands skip it
    shutil.copy(src, tmp)
    try:
        ok, secs = test_nb(tmp, skip_flags=["slow"], save=True)
        if not ok: raise SystemExit(f"{name}: execution failed (see above); nothing stored")
        outputs = {c["id"]: c.get("outputs", []) for c in json.loads(tmp.read_text())["cells"] if c["cell_type"] == "code"}
    finally:
        tmp.unlink(missing_ok=True)
    nb = json.loads(src.read_text())
    n = 0
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            c["outputs"] = outputs.get(c["id"], []); n += bool(c["outputs"])
    src.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    subprocess.run([str(Path(sys.executable).parent / "nbdev-clean"), "--fname", str(src)], check=True, cwd=ROOT)
    print(f"{name}: outputs of {n} cells stored ({secs:.0f} s)")
    return n


if __name__ == "__main__":
    for name in sys.argv[1:] or STORED: store(Path(name).name)
