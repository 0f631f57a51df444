"NautilusTrader integration: actor regimes equal detect_regimes, signals equal ensemble_signals, next-open fills, determinism, fault injection, BacktestNode parity."
import json, logging
import numpy as np
import pandas as pd
import pytest
import torch
from sage_nb.data import load_bars
from sage_nb.detector import COLUMNS
from sage_nb.regimes import detect_regimes
from sage_nb.ensemble.signals import ensemble_signals
from sage_nb.nautilus.report import load_run
from sage_nb.nautilus.runner import TIMING_KEYS, run_backtest

logging.getLogger("sage_nb.fallback").setLevel(logging.ERROR)
torch.set_num_threads(1)
N = 1200  # S&P 500 subset for speed


@pytest.fixture(scope="module")
def bars():
    return load_bars("sample:sp500").iloc[:N]


@pytest.fixture(scope="module")
def run_a(bars, tmp_path_factory):
    out = tmp_path_factory.mktemp("a")
    return run_backtest(bars, detector="tirex", model="tirex-mini", out=out, report=False)


def test_actor_regimes_equal_detect_regimes_every_bar(run_a):
    ref = detect_regimes(run_a.bars, detector="tirex", model="tirex-mini")
    assert list(run_a.regimes.columns) == COLUMNS and len(run_a.regimes) == N
    pd.testing.assert_frame_equal(run_a.regimes, ref, check_exact=True)


def test_fills_only_at_prices_after_the_decision(run_a):
    t, b = run_a.trades, run_a.bars
    assert len(t) > 0
    pos = b.index.get_indexer(t.decision_ts)
    assert (pos >= 0).all() and (pos + 1 < len(b)).all()
    nxt = b.iloc[pos + 1]
    # the fill price is the open of the bar right after the decision bar (within a tick) ...
    np.testing.assert_allclose(t.price.to_numpy(), nxt.open.to_numpy(), atol=0.005, rtol=0)
    # ... and it lies inside that later bar's range, it happens after the decision bar's close and before the next close
    assert ((t.price.to_numpy() >= nxt.low.to_numpy()) & (t.price.to_numpy() <= nxt.high.to_numpy())).all()
    assert (t.ts.to_numpy() > t.decision_ts.to_numpy()).all() and (t.ts.to_numpy() < nxt.index.to_numpy()).all()
    # fees: 10 bp of notional per side
    np.testing.assert_allclose(t.commission, t.qty * t.price * 0.001, atol=0.01)


def test_signals_equal_ensemble_signals_every_bar(run_a):
    from sage_nb.nautilus.actor import shared_engine
    from sage_nb.core import SageConfig
    q = shared_engine("tirex-mini", None, SageConfig().tirex.horizon, SageConfig(), reset=False).predict_batch(run_a.bars["close"])
    pd.testing.assert_frame_equal(run_a.signals, ensemble_signals(run_a.bars, tirex_quantiles=q), check_exact=True, check_freq=False)


def test_replay_reproduces_the_engine_and_scores_from_warmup(run_a):
    m, eq = run_a.metrics, run_a.equity
    assert m["replay_error"] < 1e-6
    start = m["strategy_warmup_bars"]
    assert (eq.position.iloc[:start + 1] == 0).all() and eq.scored.iloc[start] and not eq.scored.iloc[start - 1]
    assert {"sage", "buy_and_hold", "regime_filter", "equal_weight", "static_weights", "sage (replay)"} <= set(run_a.comparison.index)
    assert m["buy_and_hold_sharpe"] == pytest.approx(run_a.comparison.loc["buy_and_hold", "sharpe"], rel=1e-9)
    assert m["buy_and_hold_max_drawdown"] == run_a.comparison.loc["buy_and_hold", "max_drawdown"]


def test_weights_sum_to_one_above_floor(run_a):
    W = run_a.weights[[c for c in run_a.weights.columns if c.startswith("w_")]].to_numpy()
    assert W.shape[1] == 4
    np.testing.assert_allclose(W.sum(axis=1), 1.0, atol=1e-9)
    assert W.min() >= 0.05 - 1e-12


def test_determinism(bars, run_a, tmp_path):
    run_backtest(bars, detector="tirex", model="tirex-mini", out=tmp_path, report=False)
    a, b = load_run(run_a.out), load_run(tmp_path)
    strip = lambda m: {k: v for k, v in m.items() if k not in TIMING_KEYS}
    assert strip(a["metrics"]) == strip(b["metrics"])
    assert (run_a.out / "regimes.csv").read_bytes() == (tmp_path / "regimes.csv").read_bytes()
    assert (run_a.out / "trades.csv").read_bytes() == (tmp_path / "trades.csv").read_bytes()


def test_fault_injection_tirex_failing_inside_actor(bars, run_a):
    res = run_backtest(bars, detector="tirex", model="tirex-mini", fault_rate=0.3, fault_seed=1, report=False, signals=False)
    assert res.metrics["bars"] == N and len(res.regimes) == N
    assert res.metrics["fallback_share"] > run_a.metrics["fallback_share"] + 0.1
    live = res.regimes[res.regimes.regime != "warmup"]
    assert abs(res.metrics["fallback_share"] - live.is_fallback.mean()) < 1e-3


def test_backtest_node_catalog_gives_same_trades(bars, run_a):
    res = run_backtest(bars, detector="tirex", model="tirex-mini", node=True, report=False)
    assert res.metrics["node"] is True
    pd.testing.assert_frame_equal(res.trades, run_a.trades, check_exact=True)
    pd.testing.assert_frame_equal(res.regimes, run_a.regimes, check_exact=True)
    pd.testing.assert_frame_equal(res.signals, run_a.signals, check_exact=True)
    pd.testing.assert_frame_equal(res.weights, run_a.weights, check_exact=True)
    assert res.metrics["total_return"] == run_a.metrics["total_return"]


def test_crypto_perp_minute_bars():
    res = run_backtest("sample:synthetic?n=1500&seed=2&freq=1min", detector="tirex", model="tirex-mini", report=False)
    m = res.metrics
    assert m["instrument"] == "BTCUSDT-PERP.BINANCE" and m["bars"] == 1500
    assert m["n_trades"] > 0 and m["weight_updates"] > 20


def test_long_short_and_fallback_detector(bars):
    res = run_backtest(bars, detector="fallback", report=False, signals=False, long_only=False, bear=-0.5)
    assert (res.weights.target_exposure < 0).any() and (res.weights.target_exposure > 0).any()
    assert res.signals is None and "equal_weight" not in res.comparison.index
