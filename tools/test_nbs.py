#!/usr/bin/env python
"""Run `nbdev-test` on every notebook in nbs/ (not nbs/reports/), each in its own process, N at a time.

A fresh process per notebook matters: NautilusTrader keeps process-global registries (custom data types), and a
notebook that defines such a type must not meet the exported copy another notebook imported earlier in the same
worker, which is what `nbdev-test --n-workers` does. Prints each notebook's wall time; exits 1 if any failed.
Usage: python tools/test_nbs.py [-n WORKERS] [--flags slow] [NOTEBOOK ...]
"""
import argparse, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(nb: Path, flags: str) -> tuple[Path, bool, float, str]:
    t0 = time.time()
    cmd = [str(Path(sys.executable).parent / "nbdev-test"), str(nb)] + (["--flags", flags] if flags else [])
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    return nb, p.returncode == 0, time.time() - t0, p.stdout + p.stderr


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=2)
    ap.add_argument("--flags", default="")
    ap.add_argument("notebooks", nargs="*")
    a = ap.parse_args()
    nbs = [Path(p) for p in a.notebooks] or sorted(p for p in (ROOT / "nbs").glob("*.ipynb") if not p.name.startswith(("_", ".")))
    t0, failed = time.time(), []
    with ThreadPoolExecutor(a.n) as ex:
        for nb, ok, secs, out in ex.map(lambda p: run(p, a.flags), nbs):
            print(f"{'ok  ' if ok else 'FAIL'} {secs:6.1f}s  {nb.name}", flush=True)
            if not ok: failed.append(nb.name); print(out[-6000:], flush=True)
    print(f"{len(nbs) - len(failed)} passed, {len(failed)} failed in {time.time() - t0:.0f}s" + (f": {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
