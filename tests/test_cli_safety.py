"Output safety and error classes of the command line: --out checked first, --force, Ctrl-C, user vs internal errors."
import json, os, shutil, signal, subprocess, sys, tempfile, time
from pathlib import Path
import pytest
from conftest import run_cli

BIN = Path(sys.executable).parent
QUICK = ["--data", "sample:synthetic?n=300&seed=4", "--detector", "fallback", "--no-signals", "--quiet"]


def _one_line_error(r, *parts):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sage-nb: error: ") and "Traceback" not in r.stderr, r.stderr
    for p in parts: assert p in lines[0], lines[0]


def test_out_is_checked_before_the_data_is_even_read(tmp_path):
    "A bad --out is reported before anything else: a missing data file would otherwise be the first error."
    (tmp_path / "afile").write_text("x")
    for out, msg in [(tmp_path / "afile", "is a file, not a directory"), (tmp_path / "afile" / "run", "afile is a file, not a directory")]:
        r = run_cli("backtest", "--data", tmp_path / "missing.csv", "--out", out, "--no-report")
        _one_line_error(r, "--out", str(out), msg)


def test_read_only_out(tmp_path):
    "A directory that cannot be written: exit 2 naming --out, before any computation (run as an unprivileged user under root)."
    base = Path(tempfile.mkdtemp(prefix="sage-ro-"))
    try:
        base.chmod(0o777)
        (base / "ro").mkdir(); (base / "ro").chmod(0o555); (base / "home").mkdir(); (base / "home").chmod(0o777)
        cmd = [str(BIN / "sage-nb"), "backtest", "--data", str(tmp_path / "missing.csv"), "--out", str(base / "ro" / "run")]
        if os.geteuid() == 0:
            if not shutil.which("setpriv"): pytest.skip("running as root without setpriv: cannot drop privileges")
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=dict(os.environ, HOME=str(base / "home")), cwd=base)
        _one_line_error(r, "--out", "cannot write in", "Permission denied")
    finally:
        (base / "ro").chmod(0o755); shutil.rmtree(base, ignore_errors=True)


def test_existing_run_is_refused_then_replaced_with_force(tmp_path):
    out = tmp_path / "run"
    assert run_cli("backtest", *QUICK, "--out", out, "--no-report").returncode == 0
    (out / "report.html").write_text("<html>an earlier, longer run</html>")  # what a previous run with a report left
    (out / "notes.txt").write_text("mine")
    before = (out / "metrics.json").read_bytes()
    r = run_cli("backtest", *QUICK, "--out", out, "--no-report")
    _one_line_error(r, "--out", "holds an earlier run", "--force")
    assert (out / "metrics.json").read_bytes() == before and (out / "report.html").exists()
    r = run_cli("backtest", *QUICK, "--out", out, "--no-report", "--force", "--fee-bps", "5")
    assert r.returncode == 0, r.stderr
    assert json.loads((out / "metrics.json").read_text())["fee_bps"] == 5
    assert not (out / "report.html").exists()  # stale: not from this run
    assert (out / "notes.txt").read_text() == "mine"  # files the command does not write are left alone


@pytest.mark.parametrize("spec,msg", [("n=abc", "option n='abc' must be an integer"),
                                      ("freq=foo", "option freq='foo' must be a fixed pandas frequency")])
def test_sample_options_are_data_errors(tmp_path, spec, msg):
    r = run_cli("backtest", "--data", f"sample:synthetic?{spec}", "--out", tmp_path / "o", "--no-report")
    _one_line_error(r, f"sample:synthetic?{spec}", msg)


def test_bad_start_names_the_flag(tmp_path):
    r = run_cli("backtest", *QUICK, "--out", tmp_path / "o", "--start", "2030-13-01")
    _one_line_error(r, "--start '2030-13-01'", "month must be in 1..12")


def test_debug_shows_the_real_traceback(tmp_path):
    "--debug (after the subcommand too) shows the traceback of the error that happened, not a re-raised wrapper."
    r = run_cli("backtest", "--data", "sample:synthetic?n=abc", "--out", tmp_path / "o", "--debug")
    assert r.returncode != 0 and "Traceback" in r.stderr
    assert "sage_nb.data.DataError: sample:synthetic?n=abc" in r.stderr and "CLIError" not in r.stderr


def test_ctrl_c_during_the_report(tmp_path):
    "Ctrl-C (SIGINT to the whole process group, as a terminal sends it) while the report runs."
    out = tmp_path / "run"
    p = subprocess.Popen([str(BIN / "sage-nb"), "backtest", *QUICK, "--out", str(out)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    t0 = time.time()
    while not (out / ".report.tmp.ipynb").exists():  # papermill saves its output notebook as soon as it starts
        assert p.poll() is None and time.time() - t0 < 300, p.communicate()
        time.sleep(0.1)
    time.sleep(1.0)
    os.killpg(p.pid, signal.SIGINT)
    stdout, stderr = p.communicate(timeout=120)
    assert p.returncode == 130, (stdout, stderr)
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert lines[0].startswith(f"sage-nb: interrupted; kept the results in {out} (metrics.json, regimes.csv") and "papermill" in lines[0]
    from sage_nb.nautilus.runner import RUN_FILES
    assert sorted(p.name for p in out.iterdir()) == sorted(f for f in RUN_FILES if not f.startswith("report") and f != "signals.csv")  # no half-written report (no signals: --no-signals)


def test_regimes_out_checked_first_and_force(tmp_path):
    out = tmp_path / "r.csv"
    out.write_text("an earlier result")
    r = run_cli("regimes", "--data", tmp_path / "missing.csv", "--out", out)
    _one_line_error(r, "--out", "already exists; pass --force")
    r = run_cli("regimes", "--data", "sample:synthetic?n=300", "--detector", "fallback", "--out", out, "--force", "--quiet")
    assert r.returncode == 0, r.stderr
    assert out.read_text().startswith("ts,regime")
    _one_line_error(run_cli("regimes", "--data", "sample:synthetic?n=300", "--out", tmp_path / "r.txt"), "--out", "expected a .csv file")


def test_missing_extra_is_one_line_naming_it(tmp_path):
    "Without the [ensemble] extra the default backtest stops before any computation, naming the extra."
    fake = tmp_path / "fake"; (fake / "tsfresh").mkdir(parents=True)
    (fake / "tsfresh" / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'tsfresh'\", name='tsfresh')\n")
    env = dict(os.environ, PYTHONPATH=str(fake))
    r = subprocess.run([str(BIN / "sage-nb"), "backtest", "--data", "sample:synthetic?n=300", "--out", str(tmp_path / "o"), "--no-report"],
                       capture_output=True, text=True, env=env, timeout=300)
    _one_line_error(r, "tsfresh", "pip install 'sage_nb[ensemble]'")
    r = subprocess.run([str(BIN / "sage-nb"), "backtest", "--data", "sample:synthetic?n=300", "--out", str(tmp_path / "o"), "--no-report",
                        "--no-signals", "--detector", "fallback", "--quiet"], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr  # the regime-only strategy needs no extra


def test_version_and_help():
    from sage_nb import __version__
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"sage-nb {__version__}"
    r = run_cli("backtest", "--help")  # every option of every command has a help text: see the test in nbs/03_cli.ipynb
    assert r.returncode == 0 and all(f in r.stdout for f in ("--threads N", "--quiet", "--debug", "--close-time", "--force"))


def test_progress_bars_on_stderr_and_quiet(tmp_path):
    "The TiRex batch shows a progress bar on stderr; --quiet silences it (nothing else is printed there)."
    data = ["--data", "sample:synthetic?n=1200&seed=1"]
    r = run_cli("regimes", *data, "--out", tmp_path / "a.csv")
    assert r.returncode == 0 and "TiRex forecasts" in r.stderr and r.stdout.count("\n") == 1, r.stderr
    r = run_cli("regimes", *data, "--out", tmp_path / "b.csv", "--quiet")
    assert r.returncode == 0 and r.stderr == "", r.stderr
