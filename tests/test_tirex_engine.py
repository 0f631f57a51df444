"Packaging and exactness checks for the TiRex engine (the notebooks 10/11 hold the main tests)."
import numpy as np
import pandas as pd
import pytest
import torch

from sage_nb.tirex.engine import MIN_CONTEXT, TiRexEngine, TiRexInputError, load_tirex, shipped_model_path


def test_shipped_checkpoint_is_packaged_and_small():
    p = shipped_model_path()
    assert p.is_file(), p
    assert p.stat().st_size <= 8 * 2**20
    ck = torch.load(p, weights_only=True)
    assert set(ck) >= {"hyper_parameters", "state_dict"}
    m = load_tirex("tirex-mini", device="cpu")
    assert 500_000 <= sum(x.numel() for x in m.parameters()) <= 2_000_000


def test_prefix_and_streaming_exact():
    torch.set_num_threads(1)
    from sage_nb.data import synthetic_bars
    closes = synthetic_bars(n=260, seed=3)[0]["close"]
    eng = TiRexEngine(context=96, device="cpu", cache_size=0, batch_size=50)
    full = eng.predict_batch(closes)
    assert full.tobytes() == np.concatenate([eng.predict_batch(closes.iloc[:137]), full[137:]]).tobytes()
    st = [eng.update(t, c) for t, c in closes.items()]
    assert st[MIN_CONTEXT - 2] is None and st[MIN_CONTEXT - 1] is not None
    assert np.stack([s.quantiles for s in st[MIN_CONTEXT - 1:]]).tobytes() == full[MIN_CONTEXT - 1:].tobytes()
    with pytest.raises(TiRexInputError, match="non-finite"):
        eng.update(closes.index[-1] + pd.Timedelta(days=1), float("nan"))


@pytest.mark.slow
def test_sp500_streaming_equals_batch_all_bars():
    from sage_nb.data import load_bars
    sp = load_bars("sample:sp500")["close"]
    b = TiRexEngine(device="cpu", cache_size=0).predict_batch(sp)
    s = TiRexEngine(device="cpu", cache_size=0)
    st = [s.update(t, c) for t, c in sp.items()]
    assert np.stack([x.quantiles for x in st[MIN_CONTEXT - 1:]]).tobytes() == b[MIN_CONTEXT - 1:].tobytes()


def test_padding_skipped_exactly():
    "Full mode starts each window after its padding: the quantiles equal tirex-ts' forecast bit for bit (09_tirex.incremental)."
    torch.set_num_threads(1)
    from sage_nb.tirex.incremental import TokenStack
    m = load_tirex("tirex-mini", device="cpu")
    rng = np.random.default_rng(5)
    ctx = torch.full((5, 512), float("nan"))
    for i, n in enumerate((64, 65, 200, 480, 512)):
        ctx[i, 512 - n:] = torch.tensor(100 * np.exp(np.cumsum(rng.normal(0, 0.01, n))), dtype=torch.float32)
    for h in (5, 40):
        ref, _ = m.forecast(context=ctx, prediction_length=h, output_type="torch")
        assert torch.equal(TokenStack(m).forecast(ctx, h), ref)


def test_incremental_streaming_batch_prefix():
    torch.set_num_threads(1)
    from sage_nb.data import synthetic_bars
    closes = synthetic_bars(n=300, seed=4, freq="1min")[0]["close"]
    eng = TiRexEngine(context=96, horizon=3, device="cpu", cache_size=0, mode="incremental", refresh=4)
    full = eng.predict_batch(closes)
    assert full.tobytes() == np.concatenate([eng.predict_batch(closes.iloc[:171]), full[171:]]).tobytes()
    st = [eng.update(t, c) for t, c in closes.items()]
    assert np.stack([s.quantiles for s in st[MIN_CONTEXT - 1:]]).tobytes() == full[MIN_CONTEXT - 1:].tobytes()
    exact = TiRexEngine(context=96, horizon=3, device="cpu", cache_size=0).predict_batch(closes)
    one = TiRexEngine(context=96, horizon=3, device="cpu", cache_size=0, mode="incremental", refresh=1).predict_batch(closes)
    assert one.tobytes() == exact.tobytes()
