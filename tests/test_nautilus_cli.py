"`sage-nb backtest`: the seed's end-to-end check on sample:sp500 with the papermill report, grid runs and errors."
import json
import numpy as np
import pandas as pd
import pytest
from conftest import run_cli
from sage_nb.tirex.detect import COLUMNS


def test_seed_end_to_end_sp500_with_report(tmp_path):
    out = tmp_path / "demo"
    r = run_cli("backtest", "--data", "sample:sp500", "--out", out, timeout=900)
    assert r.returncode == 0, r.stderr
    m = json.loads((out / "metrics.json").read_text())
    for k in ("total_return", "sharpe", "sortino", "max_drawdown", "n_trades", "regime_changes", "weight_updates",
              "fallback_share", "bars", "bars_per_second"):
        assert k in m, k
    assert m["n_trades"] > 0 and m["regime_changes"] > 5 and m["weight_updates"] > 20, m
    w = pd.read_csv(out / "weights.csv")
    W = w[[c for c in w.columns if c.startswith("w_")]].to_numpy()
    np.testing.assert_allclose(W.sum(axis=1), 1.0, atol=1e-9)
    assert W.min() >= 0.05 - 1e-12
    assert list(pd.read_csv(out / "regimes.csv").columns) == COLUMNS
    assert len(pd.read_csv(out / "equity.csv")) == m["bars"]
    html = (out / "report.html").read_text()
    assert "Backtest report" in html and html.count("<img") >= 4  # price+uncertainty, weights, equity+drawdown, durations+transitions
    nb = json.loads((out / "report.ipynb").read_text())
    assert not [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert str((out / "report.html").resolve()) in r.stdout


def test_grid_runs_several_reports(tmp_path):
    grid = tmp_path / "grid.yaml"
    grid.write_text("- {name: a, detector: fallback, fee_bps: 5}\n- {name: b, detector: fallback, long_only: false}\n")
    out = tmp_path / "g"
    r = run_cli("backtest", "--data", "sample:synthetic?n=400&seed=4", "--out", out, "--grid", grid, timeout=600)
    assert r.returncode == 0, r.stderr
    for name in ("a", "b"):
        assert (out / name / "report.html").stat().st_size > 10_000 and (out / name / "metrics.json").exists()
    assert json.loads((out / "a" / "metrics.json").read_text())["fee_bps"] == 5


@pytest.mark.parametrize("args,msg", [
    (["--detector", "rde"], "does not stream"),
    (["--fee-bps", "-1"], "--fee-bps"),
    (["--start", "2030-01-01"], "need at least 2"),
    (["--model", "/no/such/model.ckpt"], "not found"),
])
def test_cli_backtest_errors(tmp_path, args, msg):
    out = tmp_path / "o"
    r = run_cli("backtest", "--data", "sample:synthetic?n=300", "--out", out, "--no-report", *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert msg in r.stderr and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (out / "metrics.json").exists()


def test_cli_bad_grid(tmp_path):
    g = tmp_path / "g.yaml"; g.write_text("- {detector: fallback, bogus: 1}\n")
    r = run_cli("backtest", "--data", "sample:synthetic?n=300", "--out", tmp_path / "o", "--grid", g)
    assert r.returncode == 2 and "bogus" in r.stderr
