"Ensemble signal models and ModelWeightManager: prefix causality, warm-up, floored weights summing to 1, update counting."
import logging
import math
import numpy as np
import pandas as pd
import pytest
from sage_nb.core import ConfigError, SageConfig, StrategyConfig
from sage_nb.data import load_bars, synthetic_bars
from sage_nb.ensemble.signals import (MODEL_NAMES, AlphaForgeSignal, Catch22Signal, SignalModel, TiRexSignal, TsfreshSignal,
                                      default_models, ensemble_signals, walk_forward_ridge)
from sage_nb.ensemble.weights import (DEFAULT_REGIME_MULTIPLIERS, ModelWeightManager, project_floor, weights_frame)
from sage_nb.core import BASE_REGIMES, REGIMES

logging.getLogger("sage_nb.fallback").setLevel(logging.ERROR)
N = 1200
CUTS = [40, 300, 316, 800, N - 1]


@pytest.fixture(scope="module")
def sp():
    return load_bars("sample:sp500").iloc[:N]


@pytest.fixture(scope="module")
def quantiles(sp):
    from sage_nb.tirex.engine import TiRexEngine
    return TiRexEngine("tirex-mini", horizon=20).predict_batch(sp["close"])


def _prefix_exact(model: SignalModel, bars: pd.DataFrame, cuts):
    full = model.signals(bars)
    for t in cuts:
        part = model.signals(bars.iloc[:t])
        pd.testing.assert_series_equal(part, full.iloc[:t], check_exact=True)
    return full


@pytest.mark.parametrize("make", [AlphaForgeSignal, Catch22Signal, TsfreshSignal], ids=["alphaforge", "catch22", "tsfresh"])
def test_prefix_causal_and_warmup(sp, make):
    m = make()
    full = _prefix_exact(m, sp, CUTS)
    assert int(full.isna().sum()) == m.warmup
    assert full.iloc[m.warmup:].abs().max() <= 1.0


def test_tirex_prefix_causal(sp, quantiles):
    full = _prefix_exact(TiRexSignal(quantiles=quantiles), sp, CUTS)
    assert int(full.isna().sum()) == TiRexSignal().warmup
    from sage_nb.tirex.engine import TiRexEngine
    live = _prefix_exact(TiRexSignal(engine=TiRexEngine("tirex-mini", horizon=20, cache_size=0)), sp.iloc[:700], [300, 699])
    pd.testing.assert_series_equal(live, full.iloc[:700], check_exact=True)  # engine and precomputed quantiles agree


def test_prefix_causal_minute_bars():
    bars, _ = synthetic_bars(800, seed=11, freq="1min")
    for m in (AlphaForgeSignal(), Catch22Signal(), TsfreshSignal()):
        _prefix_exact(m, bars, [100, 333, 799])


def test_shorter_refit_settings_still_causal(sp):
    m = Catch22Signal(window=20, horizon=1, refit_every=5, min_train=100, train_window=300)
    full = _prefix_exact(m, sp.iloc[:600], [150, 151, 152, 153, 154, 155, 400])
    assert int(full.isna().sum()) == m.warmup


def test_walk_forward_uses_only_realised_labels():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2)); y = rng.normal(size=400)
    base = walk_forward_ridge(X, y, horizon=5, refit_every=10, min_train=50)
    y2 = y.copy(); y2[300 - 5 + 1:] = 99.0  # labels not yet realised at bar 300 (s + 5 > 300)
    alt = walk_forward_ridge(X, y2, horizon=5, refit_every=10, min_train=50)
    np.testing.assert_array_equal(base[:310], alt[:310])  # fits at bars <= 300 (used up to bar 309) never saw them


def test_ensemble_signals_columns(sp, quantiles):
    sig = ensemble_signals(sp, tirex_quantiles=quantiles)
    assert list(sig.columns) == list(MODEL_NAMES) and sig.index.equals(sp.index)
    assert [m.name for m in default_models(quantiles)] == list(MODEL_NAMES)
    assert set(sig.attrs["seconds"]) == set(MODEL_NAMES)


def test_bad_inputs(sp, quantiles):
    with pytest.raises(ValueError, match="missing column"): AlphaForgeSignal().signals(sp[["close"]])
    with pytest.raises(ValueError, match="quantile rows"): TiRexSignal(quantiles=quantiles[:10]).signals(sp)
    with pytest.raises(ValueError, match="duplicate"): ensemble_signals(sp.iloc[:50], models=[Catch22Signal(), Catch22Signal()])


# ---------------------------------------------------------------- weights

def _random_stream(n=600, seed=0):
    rng = np.random.default_rng(seed)
    regs = rng.choice(list(REGIMES), size=n)
    sig = rng.uniform(-1, 1, size=(n, 4)); sig[rng.random((n, 4)) < 0.05] = np.nan
    ret = rng.normal(0, 0.01, size=n); ret[0] = np.nan
    unc = rng.uniform(0, 1, size=n); unc[rng.random(n) < 0.05] = np.nan
    return regs, sig, ret, unc


@pytest.mark.parametrize("metric", ["hit_rate", "ic"])
@pytest.mark.parametrize("floor", [0.05, 0.0, 0.25])
def test_weights_floor_and_sum(metric, floor):
    regs, sig, ret, unc = _random_stream()
    mgr = ModelWeightManager(floor=floor, metric=metric, temperature=50.0,
                             multipliers={"bull_low_vol": {"tirex": 0.0, "alphaforge": 1e6}})
    for i in range(len(regs)):
        w = mgr.update(i, dict(zip(MODEL_NAMES, sig[i])), ret[i], regs[i], unc[i])
        assert abs(sum(w.values()) - 1.0) <= 1e-12
        assert min(w.values()) >= floor
        assert -1.0 <= mgr.combine(dict(zip(MODEL_NAMES, sig[i]))) <= 1.0
    assert mgr.n_calls == len(regs) and mgr.last == (len(regs) - 1, w)  # only the latest weights are kept


def test_project_floor_exact():
    rng = np.random.default_rng(1)
    for _ in range(2000):
        raw = rng.exponential(size=4) ** rng.uniform(0, 30)
        w = project_floor(raw, 0.05)
        assert (w >= 0.05).all() and abs(w.sum() - 1.0) <= 1e-12
    np.testing.assert_array_equal(project_floor(np.zeros(4), 0.05), np.full(4, 0.25))


def test_weight_updates_counted():
    mgr = ModelWeightManager()
    s = dict.fromkeys(MODEL_NAMES, 0.5)
    mgr.update(0, s, float("nan"), "warmup", 0.2)
    assert (mgr.n_updates, mgr.n_calls) == (1, 1)
    mgr.update(1, s, 0.0, "warmup", 0.2)  # too few scored bars, same regime and uncertainty: weights unchanged
    assert (mgr.n_updates, mgr.n_calls) == (1, 2)
    mgr.update(2, s, 0.0, "bull_low_vol", 0.2)  # regime multipliers change the weights
    assert (mgr.n_updates, mgr.n_calls) == (2, 3)
    mgr.update(3, s, 0.0, "bull_low_vol_transitioning", 0.2)  # same base regime
    assert mgr.n_updates == 2
    mgr.update(4, s, 0.0, "bull_low_vol", 0.9)  # uncertainty moves tirex
    assert mgr.n_updates == 3 and mgr.n_calls == 5


def test_no_lookahead_in_scoring():
    "The return passed at update t scores the signals of update t-1, never those of update t."
    mgr = ModelWeightManager(min_scored=1, temperature=10.0, uncertainty_sensitivity={})
    good = {"alphaforge": 1.0, "tirex": -1.0, "catch22": 0.0, "tsfresh": 0.0}
    mgr.update(0, good, float("nan"), "warmup", 0.0)
    w = mgr.update(1, {"alphaforge": -1.0, "tirex": 1.0, "catch22": 0.0, "tsfresh": 0.0}, 0.01, "warmup", 0.0)
    np.testing.assert_array_equal(mgr.last_edges, [1.0, -1.0, 0.0, 0.0])
    assert w["alphaforge"] > w["catch22"] > w["tirex"]


def test_defaults_from_config():
    m = ModelWeightManager(config=StrategyConfig(performance_window=40, weight_floor=0.1))
    assert (m.window, m.floor) == (40, 0.1)
    m = ModelWeightManager(config=SageConfig())
    assert (m.window, m.floor) == (63, 0.05)
    assert ModelWeightManager(config=SageConfig(), floor=0.2).floor == 0.2
    with pytest.raises(ConfigError, match="weight_floor"): ModelWeightManager(floor=0.26)
    with pytest.raises(ConfigError, match="unknown regime"): ModelWeightManager(multipliers={"bull": {}})
    with pytest.raises(ConfigError, match="metric"): ModelWeightManager(metric="sharpe")


def test_multiplier_table_complete():
    assert set(DEFAULT_REGIME_MULTIPLIERS) == set(BASE_REGIMES)
    for row in DEFAULT_REGIME_MULTIPLIERS.values():
        assert set(row) == set(MODEL_NAMES) and all(0 < v for v in row.values())


def test_weights_frame_prefix_and_properties():
    bars, _ = synthetic_bars(500, seed=2)
    regs, sig, _, unc = _random_stream(500, seed=3)
    sig_df = pd.DataFrame(sig, index=bars.index, columns=list(MODEL_NAMES))
    reg_df = pd.DataFrame({"ts": bars.index, "regime": regs, "uncertainty": unc})
    full = weights_frame(sig_df, bars, reg_df)
    assert list(full.columns) == list(MODEL_NAMES) + ["ensemble"]
    w = full[list(MODEL_NAMES)]
    assert (w >= 0.05).all().all() and ((w.sum(axis=1) - 1).abs() <= 1e-12).all()
    assert full.attrs["n_calls"] == 500 and 1 <= full.attrs["n_updates"] <= 500
    for t in (50, 251, 499):
        pd.testing.assert_frame_equal(weights_frame(sig_df.iloc[:t], bars.iloc[:t], reg_df.iloc[:t]), full.iloc[:t], check_exact=True)
    bad = reg_df.copy(); bad.loc[7, "ts"] = bad.loc[8, "ts"]
    with pytest.raises(ValueError, match="row 7"): weights_frame(sig_df, bars, bad)
