"Streaming equals batch on every S&P 500 bar (tirex; jump as a slow test); `sage-nb regimes` output and errors."
import logging
import pandas as pd
import pytest
from conftest import run_cli
from sage_nb.data import load_bars
from sage_nb.detector import COLUMNS
from sage_nb.regimes import detect_regimes, make_detector
from sage_nb.tirex.detect import DEFAULT_HORIZON, TiRexRegimeDetector
from sage_nb.tirex.engine import TiRexEngine

logging.getLogger("sage_nb.fallback").setLevel(logging.ERROR)


def _streaming_equals_batch(bars):
    batch = detect_regimes(bars, "tirex", engine=TiRexEngine("tirex-mini", horizon=DEFAULT_HORIZON, cache_size=0))
    streamed = TiRexRegimeDetector(engine=TiRexEngine("tirex-mini", horizon=DEFAULT_HORIZON, cache_size=0)).run(bars)
    pd.testing.assert_frame_equal(streamed, batch, check_exact=True)


def test_streaming_equals_batch_sp500_2000_bars():
    "Bar by bar == one batch, bitwise, over the first 2,000 S&P bars (warm-up, the uncertainty rank's window and 1,000+ live bars)."
    _streaming_equals_batch(load_bars("sample:sp500").iloc[:2000])


@pytest.mark.slow
def test_streaming_equals_batch_every_sp500_bar():
    _streaming_equals_batch(load_bars("sample:sp500"))


def test_every_k_streaming_equals_batch():
    bars = load_bars("sample:sp500").iloc[:900]
    batch = detect_regimes(bars, "tirex", engine=TiRexEngine("tirex-mini", horizon=DEFAULT_HORIZON, cache_size=0), every=5)
    streamed = TiRexRegimeDetector(engine=TiRexEngine("tirex-mini", horizon=DEFAULT_HORIZON, cache_size=0), every=5).run(bars)
    pd.testing.assert_frame_equal(streamed, batch, check_exact=True)


@pytest.mark.slow
def test_jump_streaming_equals_batch_every_sp500_bar():
    "The default detector: TiRex forecasts bar by bar (engine.update) vs one batch ahead; every S&P bar, bitwise."
    bars = load_bars("sample:sp500")
    batch = detect_regimes(bars, engine=TiRexEngine("tirex-mini", horizon=DEFAULT_HORIZON, cache_size=0))
    streamed = make_detector(engine=TiRexEngine("tirex-mini", horizon=DEFAULT_HORIZON, cache_size=0)).run(bars)
    pd.testing.assert_frame_equal(streamed, batch, check_exact=True)
    assert set(batch.fallback_level.iloc[603:]) == {"jump"}


def test_cli_regimes_writes_table(tmp_path):
    "The default detector (jump, TiRex uncertainty) through the CLI: warm-up until the first fit, then jump regimes."
    out = tmp_path / "regimes.csv"
    r = run_cli("regimes", "--data", "sample:synthetic?n=1200&seed=3", "--out", out, "--quiet")
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(out)
    assert list(df.columns) == COLUMNS and len(df) == 1200
    assert (df.regime.iloc[:603] == "warmup").all() and set(df.fallback_level.iloc[603:]) == {"jump"}
    line = r.stdout.strip().splitlines()[-1]
    for word in ("1200 bars (603 warm-up)", "regime changes", "switches/year", "fallback share 0.0%", "bars/s"):
        assert word in line, line


@pytest.mark.parametrize("args,msg", [
    (["--context", "5000"], "tirex.context"),
    (["--model", "/no/such/model.ckpt"], "not found"),
    (["--every", "0"], "--every"),
])
def test_cli_regimes_bad_arguments(tmp_path, args, msg):
    out = tmp_path / "r.csv"
    r = run_cli("regimes", "--data", "sample:synthetic?n=300", "--out", out, "--quiet", *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert msg in r.stderr and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_cli_regimes_bad_data(tmp_path):
    f = tmp_path / "bars.csv"
    f.write_text("timestamp,open,high,low,close\n2024-01-01,1,2,0.5,1.5\n2024-01-02,1,2,0.5,nan\n")
    r = run_cli("regimes", "--data", f, "--out", tmp_path / "r.csv", "--quiet")
    assert r.returncode == 2 and "row 2" in r.stderr and not (tmp_path / "r.csv").exists()
