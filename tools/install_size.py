#!/usr/bin/env python
"""Measure the installed size of `sage_nb` (core) against `sage_nb[all]`, each in a fresh virtualenv.

For each variant: a new venv under /tmp, `pip install torch==2.13.0` first (the CPU build on disk; see the Makefile),
then `pip install <repo>[extra]` (a regular, non-editable install). Measured: the bytes under site-packages, the same
without torch, the number of installed distributions, and a smoke check of what the variant can run (the core install
detects regimes; its default backtest needs the `[ensemble]` extra and says so in one line). Writes JSON
(default nbs/bench/install_size.json); the README renders its numbers from that file.
Usage: python tools/install_size.py [--out nbs/bench/install_size.json] [--keep]
"""
import argparse, json, os, platform, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TORCH_SPEC = os.environ.get("TORCH_SPEC", "torch==2.13.0")


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def sh(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode: raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}")
    return r


def measure(name: str, extra: str, base: Path) -> dict:
    venv = base / f"venv-{name}"
    t0 = time.time()
    sh([sys.executable, "-m", "venv", str(venv)])
    py = venv / "bin" / "python"
    sh([py, "-m", "pip", "install", "-q", "--upgrade", "pip"])
    sh([py, "-m", "pip", "install", "-q", TORCH_SPEC])
    sh([py, "-m", "pip", "install", "-q", f"{ROOT}{extra}"])
    site = Path(sh([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    total, torch_b = du(site), du(site / "torch")
    dists = sorted(p.name.split("-")[0].lower() for p in site.glob("*.dist-info"))
    env = dict(os.environ, OMP_NUM_THREADS="1")
    with tempfile.TemporaryDirectory() as d:  # run outside the repo, so the installed package is what runs
        exe = str(venv / "bin" / "sage-nb")
        reg = subprocess.run([exe, "regimes", "--data", "sample:synthetic?n=300&seed=1", "--detector", "fallback", "--out", f"{d}/r.csv", "--quiet"],
                             capture_output=True, text=True, cwd=d, env=env)
        bt = subprocess.run([exe, "backtest", "--data", "sample:synthetic?n=300&seed=1", "--out", f"{d}/bt", "--no-report", "--quiet"],
                            capture_output=True, text=True, cwd=d, env=env)
    largest = sorted(((d.name, du(d)) for d in site.iterdir() if d.is_dir() and not d.name.endswith((".dist-info", "__pycache__"))),
                     key=lambda x: -x[1])[:12]
    return dict(extra=extra or "(core)", site_packages_bytes=total, torch_bytes=torch_b, without_torch_bytes=total - torch_b,
                largest_mb={n: round(b / 1e6) for n, b in largest},
                distributions=len(dists), has={m: m in dists for m in ("tsfresh", "pycatch22", "hmmlearn", "statsmodels", "onnx",
                                                                         "onnxruntime", "plotly", "seaborn", "jumpmodels")},
                smoke=dict(regimes_rc=reg.returncode, backtest_rc=bt.returncode, backtest_stderr=bt.stderr.strip().splitlines()[-1:] or None),
                install_seconds=round(time.time() - t0, 1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "nbs" / "bench" / "install_size.json"))
    ap.add_argument("--keep", action="store_true", help="keep the virtualenvs (printed)")
    a = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="sage-size-"))
    try:
        res = dict(date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), python=platform.python_version(), torch=TORCH_SPEC,
                   variants={n: measure(n, e, base) for n, e in (("core", ""), ("all", "[all]"))})
    finally:
        if a.keep: print(f"venvs kept in {base}")
        else: shutil.rmtree(base, ignore_errors=True)
    c, al = res["variants"]["core"], res["variants"]["all"]
    res["ratio_core_to_all"] = round(c["site_packages_bytes"] / al["site_packages_bytes"], 3)
    res["ratio_core_to_all_without_torch"] = round(c["without_torch_bytes"] / al["without_torch_bytes"], 3)
    Path(a.out).write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
