"""The shipped live TradingNode configuration builds (actors + strategy, no venue connection) and disposes;
the same configs in BacktestEngine and in BacktestNode + ParquetDataCatalog give the same results."""
import json, logging
import pandas as pd
import pytest
import torch
from sage_nb.data import load_bars
from sage_nb.nautilus.actor import write_closes
from sage_nb.nautilus.data import signal_updates_frame, updates_frame
from sage_nb.nautilus.node import build_backtest_node, build_engine, component_configs, live_node_config
from sage_nb.nautilus.venue import make_instrument, nt_bars_frame, to_nautilus_bars, with_fees, write_run_catalog

logging.getLogger("sage_nb.fallback").setLevel(logging.ERROR)
torch.set_num_threads(1)


def test_live_trading_node_builds_and_disposes(tmp_path):
    from nautilus_trader.live.node import TradingNode
    configs = component_configs("SPX.XNYS", "SPX.XNYS-1-DAY-LAST-EXTERNAL", model="tirex-mini", state_dir=str(tmp_path))  # the defaults (jump)
    node = TradingNode(config=live_node_config(configs, log_level="ERROR"))
    node.build()
    assert node.is_built()
    actors, strategies = node.trader.actors(), node.trader.strategies()
    assert sorted(type(a).__name__ for a in actors) == ["EnsembleSignalActor", "TiRexRegimeActor"]
    assert [type(s).__name__ for s in strategies] == ["SAGEMetaStrategy"]
    assert [a.config for a in actors] + [strategies[0].config] == configs  # the very configs
    node.dispose()


def test_live_config_refuses_backtest_cache():
    configs = component_configs("SPX.XNYS", "SPX.XNYS-1-DAY-LAST-EXTERNAL", forecast_closes="/tmp/closes.parquet")
    with pytest.raises(ValueError, match="forecast cache"):
        live_node_config(configs)


def test_backtest_engine_equals_backtest_node_with_catalog(tmp_path):
    inst = with_fees(make_instrument("equity"), 10)
    nt = to_nautilus_bars(load_bars("sample:sp500").iloc[:1300], inst)  # the default detector is live from bar 603, the strategy holds from about bar 1100
    seen = nt_bars_frame(nt)
    configs = component_configs(inst.id, nt[0].bar_type, model="tirex-mini",
                                forecast_closes=write_closes(seen["close"], tmp_path / "closes.parquet"))
    eng, (ra, sa, st) = build_engine(inst, nt, configs)
    eng.run()
    node, run = build_backtest_node(write_run_catalog(nt, inst, seen, tmp_path / "catalog"), inst, nt[0].bar_type, configs)
    node.run()
    ne = node.get_engine(run.id)
    (nra, nsa), (nst,) = ne.trader.actors(), ne.trader.strategies()
    pd.testing.assert_frame_equal(updates_frame(nra.updates), updates_frame(ra.updates), check_exact=True)
    pd.testing.assert_frame_equal(signal_updates_frame(nsa.updates), signal_updates_frame(sa.updates), check_exact=True)
    pd.testing.assert_frame_equal(nst.decisions_frame(), st.decisions_frame(), check_exact=True)
    pd.testing.assert_frame_equal(nst.fills_frame(), st.fills_frame(), check_exact=True)
    assert len(st.fills) > 10
    eng.dispose(); node.dispose()
