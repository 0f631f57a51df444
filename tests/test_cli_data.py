"`sage-nb data check`: the summary and every bad-input case (exit 2, one line naming row and problem, no traceback)."
import pytest
from conftest import run_cli

GOOD = "timestamp,Open,HIGH,low,close,volume\n2024-01-01,10,11,9,10.5,100\n2024-01-02,10.5,11,10,10.8,120\n"
BAD = {
    "missing_column": ("timestamp,open,high,low\n2024-01-01,1,2,0.5\n", "missing column(s) close"),
    "unparsable_ts": (GOOD.replace("2024-01-02", "not-a-date"), "row 2: unparsable timestamp"),
    "duplicate_ts": (GOOD.replace("2024-01-02", "2024-01-01"), "row 2: duplicate timestamp"),
    "non_monotonic": (GOOD + "2023-12-31,10,11,9,10,1\n", "row 3: timestamp"),
    "nan": (GOOD.replace("10.8", "NaN"), "row 2"),
    "inf": (GOOD.replace("10.8", "inf"), "close is inf"),
    "non_positive": (GOOD.replace(",9,10.5", ",-1,10.5"), "low -1.0 is not positive"),
    "high_below_low": (GOOD.replace("10.5,11,10,10.8", "10.5,9.5,10,10"), "high 9.5 < low 10.0"),
    "open_outside": (GOOD.replace("10.5,11,10,10.8", "12,11,10,10.8"), "open 12.0 outside"),
    "close_outside": (GOOD.replace("10.5,11,10,10.8", "10.5,11,10,9"), "close 9.0 outside"),
    "empty": ("", "the file is empty"),
}


def test_sp500_summary():
    r = run_cli("data", "check", "sample:sp500")
    assert r.returncode == 0, r.stderr
    assert "5031 bars" in r.stdout and "1999-01-04" in r.stdout and "2018-12-31" in r.stdout


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input(tmp_path, case):
    text, msg = BAD[case]
    f = tmp_path / f"{case}.csv"
    f.write_text(text)
    before = sorted(p.name for p in tmp_path.iterdir())
    r = run_cli("data", "check", f)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert str(f) in lines[0] and msg in lines[0], lines[0]
    assert "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_too_few_bars(tmp_path):
    f = tmp_path / "short.csv"; f.write_text(GOOD)
    r = run_cli("data", "check", f, "--min-bars", "512")
    assert r.returncode == 2 and "2 bars, fewer than the 512 required" in r.stderr


def test_debug_shows_traceback(tmp_path):
    f = tmp_path / "e.csv"; f.write_text("")
    r = run_cli("--debug", "data", "check", f)
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_unknown_sample():
    r = run_cli("data", "check", "sample:nasdaq")
    assert r.returncode == 2 and "unknown sample" in r.stderr


def test_ts_column_adj_close_and_close_time(tmp_path):
    "`ts` is a time column; --price-column adj_close is used and said; date-only rows take --close-time (or 24:00 UTC, noted)."
    f = tmp_path / "yahoo.csv"
    f.write_text("Date,Open,High,Low,Close,Adj Close,Volume\n2024-07-01,10,11,9,10.5,5.25,100\n2024-07-02,10.5,11,10,10.8,5.4,120\n")
    r = run_cli("data", "check", f, "--json")
    assert r.returncode == 0 and '"first": "2024-07-02 00:00:00+00:00"' in r.stdout, r.stdout  # 24:00 UTC of 2024-07-01
    assert "24:00 UTC" in r.stderr and "--price-column adj_close" in r.stderr and r.stderr.count("sage-nb: note:") == 2
    r = run_cli("data", "check", f, "--close-time", "16:00America/New_York", "--price-column", "adj_close", "--json")
    assert r.returncode == 0 and '"first": "2024-07-01 20:00:00+00:00"' in r.stdout, r.stdout
    assert r.stderr.strip() == f"sage-nb: note: {f}: prices from the adjusted close ('adj close'); open, high and low scaled by adjusted close / close"
    g = tmp_path / "ts.csv"; g.write_text("ts,open,high,low,close\n2024-01-01 10:00,1,2,0.5,1.5\n2024-01-01 10:01,1.5,2,1,1.2\n")
    assert run_cli("data", "check", g).returncode == 0


@pytest.mark.parametrize("name,msg", [("bars.txt", "unsupported file type .txt"), ("adir", "is a directory")])
def test_unknown_extension_and_directory(tmp_path, name, msg):
    p = tmp_path / name
    if name == "adir": p.mkdir()
    else: p.write_text(GOOD)
    r = run_cli("data", "check", p)
    assert r.returncode == 2 and msg in r.stderr and len(r.stderr.strip().splitlines()) == 1
