"Backtest numbers a new user checks first: whole lots on an expensive index with a small account, a Sharpe from daily returns."
import json, math
import numpy as np
import pandas as pd
import pytest
from conftest import run_cli
from sage_nb.data import synthetic_bars


def test_index_above_10000_with_a_small_account(tmp_path):
    "An ordinary index CSV (dates only, Adj Close) priced above 10,000 and a 20,000 account: sub-lot orders are skipped and counted."
    bars, _ = synthetic_bars(600, seed=3, start_price=15_000.0)
    assert bars.close.min() > 10_000
    csv = bars.rename(columns=str.title).assign(**{"Adj Close": bars.close}).set_axis(bars.index.date).rename_axis("Date")
    csv.to_csv(tmp_path / "INDEX.csv")
    out = tmp_path / "run"
    (tmp_path / "full.yaml").write_text("strategy: {vol_target: 0.0, high_vol: 1.0, transitioning: 1.0}\n")  # full exposure: one share fits
    r = run_cli("backtest", "--data", tmp_path / "INDEX.csv", "--out", out, "--capital", "20000", "--detector", "fallback",
                "--no-signals", "--no-report", "--quiet", "--config", tmp_path / "full.yaml", timeout=600)
    assert r.returncode == 0, r.stderr
    m = json.loads((out / "metrics.json").read_text())
    assert m["orders_below_lot"] > 0 and m["n_trades"] > 0, m
    t = pd.read_csv(out / "trades.csv")
    assert (t.qty % 1 == 0).all() and (t.qty >= 1).all()  # whole shares only
    assert f"{m['orders_below_lot']} orders below one lot skipped" in r.stdout
    assert "24:00 UTC" in r.stderr  # the date-only rows were noted


def test_minute_sharpe_matches_daily_returns_of_equity_csv(tmp_path):
    "20,000 one-minute bars: Sharpe and Sortino are those of the daily equity returns in equity.csv, x sqrt(365)."
    out = tmp_path / "m"
    r = run_cli("backtest", "--data", "sample:synthetic?n=20000&seed=2&freq=1min", "--out", out, "--detector", "fallback",
                "--no-signals", "--no-report", "--quiet", timeout=900)
    assert r.returncode == 0, r.stderr
    m = json.loads((out / "metrics.json").read_text())
    eq = pd.read_csv(out / "equity.csv", parse_dates=["ts"]).set_index("ts")
    eq = eq.equity[eq.scored]  # scored from the end of warm-up
    daily = eq.groupby(eq.index.normalize()).last().pct_change().dropna()
    assert m["ratio_basis"] == dict(returns="daily", days_per_year=365, n_returns=len(daily)) and len(daily) >= 10
    assert m["sharpe"] == pytest.approx(daily.mean() / daily.std(ddof=1) * math.sqrt(365), rel=1e-9)
    assert m["sortino"] == pytest.approx(daily.mean() / math.sqrt((np.minimum(daily, 0) ** 2).mean()) * math.sqrt(365), rel=1e-9)
    assert "returns" not in m["nt_stats"]  # NT's per-position return statistics are not reported as the strategy's
    # switches per year: base-regime changes over the calendar span of the live (post warm-up) bars
    rg = pd.read_csv(out / "regimes.csv", parse_dates=["ts"])
    live = rg[rg.regime != "warmup"]
    base = live.regime.str.replace("_transitioning", "").to_numpy()
    years = (live.ts.iloc[-1] - live.ts.iloc[0]) / pd.Timedelta(days=365.25)
    assert m["switches_per_year"] == pytest.approx((base[1:] != base[:-1]).sum() / years, abs=1e-3)
    assert m["span_days"] == pytest.approx(19_999 / 1440)
