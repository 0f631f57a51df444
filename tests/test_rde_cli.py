"""`sage-nb rde` as a subprocess: the console entry point, exit codes and one-line errors (the in-process flow is tested in nbs/24_rde.cli.ipynb)."""
import json, subprocess, sys
from pathlib import Path
import pytest

# run the real `sage_nb.cli.main`, registering only the rde subcommand (other components may be mid-build)
_MAIN = "import sys, sage_nb.cli as c; sys.exit(c.main(sys.argv[1:]))"

def _run(*args):
    return subprocess.run([sys.executable, "-c", _MAIN, *map(str, args)], capture_output=True, text=True, timeout=120)

def test_train_embed_roundtrip(tmp_path: Path):
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text("model: {d_model: 16, n_heads: 2, n_layers: 1, sequence_length: 16}\ntraining: {epochs: 1, seed: 1}\n")
    ck = tmp_path / "m.pt"
    r = _run("rde", "train", "--data", "sample:synthetic?n=400&seed=2", "--out", ck, "--config", cfg, "--quiet")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["epochs"] == 1 and ck.exists()
    out = tmp_path / "z.csv"
    r = _run("rde", "embed", "--ckpt", ck, "--data", "sample:synthetic?n=400&seed=2", "--out", out)
    assert r.returncode == 0, r.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "ts," + ",".join(f"z{i}" for i in range(8)) and len(lines) == 401
    assert lines[60 + 15].endswith(",,,,,,,,") and not lines[60 + 16].endswith(",")  # NaN until the first full window

@pytest.mark.parametrize("args,msg", [
    (("rde", "embed", "--ckpt", "/nonexistent/m.pt", "--data", "sample:sp500", "--out", "/tmp/x.csv"), "checkpoint not found"),
    (("rde", "train", "--data", "sample:nope", "--out", "/tmp/never.pt"), "unknown sample"),
])
def test_errors_are_one_line_exit_2(args, msg):
    r = _run(*args)
    assert r.returncode == 2 and msg in r.stderr and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
