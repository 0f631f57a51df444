"`sage-nb backtest`: end to end with the papermill report (the full S&P 500 demo is a slow test), grid runs and errors."
import json
import numpy as np
import pandas as pd
import pytest
from conftest import run_cli
from sage_nb.detector import COLUMNS


def _check_run(out, r, full: bool):
    assert r.returncode == 0, r.stderr
    m = json.loads((out / "metrics.json").read_text())
    for k in ("total_return", "sharpe", "sortino", "max_drawdown", "n_trades", "regime_changes", "weight_updates",
              "fallback_share", "bars", "bars_per_second"):
        assert k in m, k
    assert m["n_trades"] > 0 and m["regime_changes"] > 2 and m["weight_updates"] > 20, m
    w = pd.read_csv(out / "weights.csv")
    W = w[[c for c in w.columns if c.startswith("w_")]].to_numpy()
    np.testing.assert_allclose(W.sum(axis=1), 1.0, atol=1e-9)
    assert W.min() >= 0.05 - 1e-12
    assert list(pd.read_csv(out / "regimes.csv").columns) == COLUMNS
    assert len(pd.read_csv(out / "equity.csv")) == m["bars"]
    html = (out / "report.html").read_text()
    assert "Backtest report" in html and html.count("<img") >= 4  # alternatives+drawdown, price+exposure+uncertainty, weights, durations+transitions
    nb = json.loads((out / "report.ipynb").read_text())
    assert not [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert str((out / "report.html").resolve()) in r.stdout
    assert "without encryption" not in r.stderr and "Traceback" not in r.stderr  # the report kernel's stderr stays quiet
    line = r.stdout.splitlines()[0]
    assert "SAGE Sharpe" in line and "buy and hold" in line and "trades a year" in line, line
    for k in ("buy_and_hold_sharpe", "buy_and_hold_max_drawdown", "scored_from", "comparison", "fills_per_year"):
        assert k in m, k
    cmp = pd.read_csv(out / "comparison.csv").set_index("name")
    assert {"sage", "buy_and_hold", "regime_filter", "equal_weight", "static_weights"} <= set(cmp.index)
    assert len([k for k in cmp.index if k.startswith("alone:")]) == 4
    return m


def test_end_to_end_with_report(tmp_path):
    "The demo command on the first seven years of the S&P 500 sample, default detector and ensemble, with the report."
    out = tmp_path / "demo"
    r = run_cli("backtest", "--data", "sample:sp500", "--end", "2005-12-31", "--out", out, "--quiet", timeout=900)
    _check_run(out, r, full=False)


@pytest.mark.slow
def test_demo_sp500_with_report(tmp_path):
    "`make demo`: the whole S&P 500 sample (the saved run and its figures are in 49_nautilus.cli)."
    out = tmp_path / "demo"
    r = run_cli("backtest", "--data", "sample:sp500", "--out", out, "--quiet", timeout=1800)
    m = _check_run(out, r, full=True)
    assert m["bars"] == 5031


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
    (["--detector", "rde"], "needs --rde-model"),
    (["--detector", "rde", "--rde-model", "/no/such/rde.pt", "--rde-map", "/no/such/map.json"], "not found"),
    (["--fee-bps", "-1"], "--fee-bps"),
    (["--chunk-size", "0"], "--chunk-size"),
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


def test_rde_detector_end_to_end(tmp_path):
    "rde train -> rde analyze (regime map on the training path) -> backtest --detector rde on another path."
    cfg = tmp_path / "rde.yaml"
    cfg.write_text("model: {d_model: 16, n_heads: 2, n_layers: 1, sequence_length: 20}\n"
                   "training: {epochs: 2, batch_size: 64, kl_warmup_epochs: 1, seed: 0}\n")
    train, test = "sample:synthetic?n=600&seed=5", "sample:synthetic?n=400&seed=6"
    r = run_cli("rde", "train", "--data", train, "--out", tmp_path / "rde.pt", "--config", cfg, "--quiet")
    assert r.returncode == 0, r.stderr
    r = run_cli("rde", "analyze", "--ckpt", tmp_path / "rde.pt", "--data", train, "--out", tmp_path / "an", "--clusters", 4)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "an" / "regime_map.json").exists()
    out = tmp_path / "bt"
    r = run_cli("backtest", "--data", test, "--out", out, "--no-report", "--detector", "rde",
                "--rde-model", tmp_path / "rde.pt", "--rde-map", tmp_path / "an" / "regime_map.json", timeout=600)
    assert r.returncode == 0, r.stderr
    m = json.loads((out / "metrics.json").read_text())
    assert m["detector"] == "rde" and m["model"].endswith("rde.pt") and m["fallback_share"] == 0.0, m
    rg = pd.read_csv(out / "regimes.csv")
    assert len(rg) == 400 and (rg.regime == "warmup").sum() == 60 + 20 - 1
    assert rg.regime[rg.regime != "warmup"].str.replace("_transitioning", "").isin(
        json.loads((tmp_path / "an" / "regime_map.json").read_text())["names"]).all()
    r = run_cli("regimes", "--data", test, "--out", tmp_path / "r.csv", "--detector", "rde",
                "--rde-model", tmp_path / "rde.pt", "--rde-map", tmp_path / "an" / "regime_map.json")
    assert r.returncode == 0, r.stderr
    assert list(pd.read_csv(tmp_path / "r.csv").columns) == COLUMNS
    r = run_cli("regimes", "--data", test, "--out", tmp_path / "r2.csv", "--detector", "rde", "--rde-model", tmp_path / "rde.pt")
    assert r.returncode == 2 and "needs --rde-model" in r.stderr and not (tmp_path / "r2.csv").exists()
