"Prefix causality of the feature matrix on random cut points (bit-for-bit)."
import numpy as np
from sage_nb.data import load_bars, synthetic_bars
from sage_nb.features import assert_prefix_causal, compute_features


def test_features_prefix_random_cuts_sp500():
    bars = load_bars("sample:sp500")
    cuts = np.random.default_rng(0).integers(1, len(bars), 12)
    assert_prefix_causal(compute_features, bars, sorted(set(cuts.tolist())))


def test_features_prefix_minute_bars():
    bars, _ = synthetic_bars(4000, seed=11, freq="1min")
    assert_prefix_causal(compute_features, bars, [61, 999, 3001])


def test_look_ahead_is_caught():
    bars = load_bars("sample:sp500").iloc[:500]
    leaky = lambda b: compute_features(b).shift(-1)  # uses tomorrow's features
    try:
        assert_prefix_causal(leaky, bars, [300])
    except AssertionError:
        return
    raise AssertionError("look-ahead not detected")


def test_streaming_features_equal_batch_and_are_prefix_causal():
    from sage_nb.features import stream_features
    bars, _ = synthetic_bars(4000, seed=11, freq="1min")
    bars.iloc[1500, bars.columns.get_loc("close")] = np.nan  # a bad bar: NaN where the batch table has NaN
    s, b = stream_features(bars).to_numpy(), compute_features(bars).to_numpy()
    assert (np.isnan(s) == np.isnan(b)).all()
    ok = ~np.isnan(b)
    assert (np.abs(s[ok] - b[ok]) <= 1e-9 * np.abs(b[ok])).all()
    assert_prefix_causal(stream_features, bars, [61, 999, 1501, 3001])
