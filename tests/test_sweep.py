"`sage-nb sweep` on Ray: loopback-only sockets, a failing run, a killed worker, metrics equal to `sage-nb backtest`, resume, bad specs, a cluster joined with --address, Ctrl-C."
import ipaddress, json, os, shutil, signal, socket, subprocess, sys, threading, time
from pathlib import Path
import pandas as pd
import psutil
import pytest
from conftest import BIN, run_cli
from sage_nb.cli import main
from sage_nb.nautilus.runner import RUN_FILES, TIMING_KEYS

ENV = dict(os.environ, OMP_NUM_THREADS="1")
SPEC = """data: [sample:sp500]
start: ["2005-01-01"]
end: ["2005-06-30"]
detector: [fallback]
model: [tirex-mini, missing.ckpt]  # the second model file does not exist: those runs fail
strategy.tilt: [0.1, 0.3]
"""


def _exe() -> str: return shutil.which("sage-nb", path=str(BIN)) or "sage-nb"


def _loopback(ip: str) -> bool:
    a = ipaddress.ip_address(ip.split("%")[0])
    return a.is_loopback or (a.version == 6 and a.ipv4_mapped is not None and a.ipv4_mapped.is_loopback)


def _tree(pid: int) -> list:
    try: root = psutil.Process(pid); return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess: return []


def _listening(procs) -> set:
    "(process name, address, port) of every listening TCP socket and bound UDP socket of `procs`."
    seen = set()
    for p in procs:
        try:
            name = p.name()
            for c in p.net_connections(kind="inet"):
                if c.status == psutil.CONN_LISTEN or (c.type == socket.SOCK_DGRAM and not c.raddr):
                    seen.add((name, c.laddr.ip, c.laddr.port))
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess): pass
    return seen


def _title(p) -> str:
    try: return " ".join(p.cmdline()) or p.name()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess): return ""


class Watch(threading.Thread):
    "Poll a command's process tree: listening sockets, process titles, and (optionally) SIGKILL the first worker running a sweep task."
    def __init__(self, proc, kill: bool = False):
        super().__init__(daemon=True); self.proc, self.kill, self.sockets, self.titles, self.killed = proc, kill, set(), set(), None
    def run(self):
        while self.proc.poll() is None:
            procs = _tree(self.proc.pid)
            self.sockets |= _listening(procs); self.titles |= {_title(p).split(" ")[0] for p in procs}
            if self.kill and self.killed is None:
                for p in procs:
                    if _title(p).startswith("ray::execute_run"):
                        time.sleep(1.0)  # let it get into the backtest
                        try: p.send_signal(signal.SIGKILL); self.killed, self.killed_at = p.pid, time.time()
                        except psutil.NoSuchProcess: pass
                        break
            time.sleep(0.2)


def _sweep(*args, kill=False, timeout=600):
    proc = subprocess.Popen([_exe(), "sweep", *map(str, args), "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    w = Watch(proc, kill); w.start()
    out, err = proc.communicate(timeout=timeout); w.join()
    return proc.returncode, out, err, w


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    "The sweep file above on 2 embedded workers, with one worker SIGKILLed mid-run; then the same command again."
    d = tmp_path_factory.mktemp("sweep")
    (d / "spec.yaml").write_text(SPEC)
    first = _sweep(d / "spec.yaml", "--out", d / "out", "--workers", 2, "--no-report", kill=True)  # the report: 54_sweep.results, 55_sweep.run
    snap = {p: p.stat().st_mtime_ns for p in (d / "out").rglob("*") if p.is_file()}
    again = _sweep(d / "spec.yaml", "--out", d / "out", "--workers", 2, "--no-report")
    return dict(dir=d, out=d / "out", first=first, again=again, snap=snap)


def test_failing_runs_recorded_others_finish(sweep):
    rc, out, err, _ = sweep["first"]
    assert rc == 1, err  # some runs failed
    res = pd.read_parquet(sweep["out"] / "results.parquet")
    assert len(res) == 4 and {"sharpe", "sortino", "max_drawdown", "total_return", "n_trades", "regime_changes", "fallback_share",
                              "bars_per_second", "wall_seconds", "status", "error", "model", "strategy.tilt"} <= set(res.columns)
    ok, bad = res[res.model == "tirex-mini"], res[res.model == "missing.ckpt"]
    assert ok.status.tolist() == ["ok", "ok"] and ok.error.isna().all() and ok.bars.tolist() == [125, 125]
    assert bad.status.tolist() == ["failed", "failed"] and bad.error.str.contains("checkpoint not found").all()
    assert "failed run" in err and "checkpoint not found" in err
    for rid in res.run_id:  # every run has its folder, complete: what `sage-nb backtest` writes, its configuration and its record
        run = json.loads((sweep["out"] / "runs" / rid / "run.json").read_text())
        assert run["status"] == res.set_index("run_id").status[rid]
        files = {p.name for p in (sweep["out"] / "runs" / rid).iterdir()}
        assert files == ({f for f in RUN_FILES if not f.startswith("report.")} if run["status"] == "ok" else set()) | {"config.yaml", "run.json"}
    assert not [p for p in sweep["out"].rglob("*") if ".tmp" in p.name]


def test_killed_worker_is_survived(sweep):
    _, _, _, w = sweep["first"]
    assert w.killed is not None, "no worker was seen running a task"
    res = pd.read_parquet(sweep["out"] / "results.parquet")
    assert (res[res.pid == w.killed].ended < w.killed_at).all()  # the run it held finished in another process: Ray retried it
    assert not res.error.fillna("").str.contains("worker lost").any() and (res[res.model == "tirex-mini"].status == "ok").all()


def test_listening_sockets_are_loopback(sweep):
    _, _, _, w = sweep["first"]
    assert any(name.startswith(("gcs_server", "raylet")) for name, _, _ in w.sockets), w.sockets  # Ray was seen listening
    bad = {s for s in w.sockets if not _loopback(s[1])}
    assert not bad, f"non-loopback listening sockets: {bad}"


def test_metrics_equal_sequential_backtest(sweep, tmp_path):
    "Each finished run repeated by the `sage-nb backtest` command in its run.json (one process per run, both at once)."
    res = pd.read_parquet(sweep["out"] / "results.parquet")
    strip = lambda m: {k: v for k, v in m.items() if k not in TIMING_KEYS}
    procs = {}
    for _, row in res[res.status == "ok"].iterrows():
        cmd = [_exe() if a == "sage-nb" else a for a in json.loads((sweep["out"] / row.run_dir / "run.json").read_text())["command"]]
        cmd[cmd.index("--out") + 1] = str(tmp_path / row.run_id)
        procs[row.run_id] = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    assert len(procs) == 2
    for _, row in res[res.status == "ok"].iterrows():
        _, err = procs[row.run_id].communicate(timeout=600)
        assert procs[row.run_id].returncode == 0, err
        seq = json.loads((tmp_path / row.run_id / "metrics.json").read_text())
        swept = json.loads((sweep["out"] / row.run_dir / "metrics.json").read_text())
        assert strip(swept) == strip(seq)
        assert swept["sharpe"] == row.sharpe and swept["n_trades"] == row.n_trades


def test_resume_runs_nothing(sweep):
    rc, out, err, w = sweep["again"]
    assert rc == 1 and "0 run now, 4 already finished" in out, out + err
    assert not any(t.startswith(("gcs_server", "raylet")) for t in w.titles), w.titles  # Ray was not even started
    after = {p: p.stat().st_mtime_ns for p in sweep["out"].rglob("*") if p.is_file()}
    changed = {p.relative_to(sweep["out"]).as_posix() for p in after if after[p] != sweep["snap"].get(p)}
    assert changed <= {"sweep.json", "results.parquet"}, changed  # no run folder and no report written again


@pytest.mark.parametrize("spec,msg", [
    ("data: [sample:sp500]\nstrategy.tilts: [0.1]\n", "unknown key 'strategy.tilts' (did you mean 'strategy.tilt'?)"),
    ("data: [sample:sp500]\nstart: []\n", "key 'start' has an empty list"),
    ("data: [sample:sp500]\ndetector: fallback\n", "key 'detector' must map to a list"),
    ("data: [sample:sp500]\nstrategy.tilt: [high]\n", "key 'strategy.tilt', value 1 ('high')"),
    ("data: [nowhere.csv]\n", "key 'data', value 'nowhere.csv'"),
    ("detector: [fallback]\n", "key 'data' is missing"),
    ("data: [sample:sp500]\nwalk_forward: {train: 5000, test: 500}\n", "do not fit"),
    ("data: [sample:sp500\n", "not valid YAML"),
])
def test_bad_spec_exits_2_with_one_line(tmp_path, capsys, spec, msg):
    (tmp_path / "spec.yaml").write_text(spec)
    assert main(["sweep", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and msg in err and str(tmp_path / "spec.yaml") in err, err
    assert not (tmp_path / "out").exists()


def test_out_that_is_not_a_sweep_is_refused(tmp_path, capsys):
    (tmp_path / "spec.yaml").write_text("data: [sample:sp500]\n"); (tmp_path / "out").mkdir(); (tmp_path / "out" / "mine.txt").write_text("x")
    assert main(["sweep", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "out")]) == 2
    assert "holds no sweep" in capsys.readouterr().err and sorted(p.name for p in (tmp_path / "out").iterdir()) == ["mine.txt"]


def _free_port() -> int:
    with socket.socket() as s: s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def test_cluster_on_loopback_with_address(tmp_path):
    "`ray start --head` on 127.0.0.1 with token authentication, joined by `sage-nb sweep --address` for a 2-fold walk-forward."
    port, tmp = _free_port(), f"/tmp/ray-sweep-test-{os.getpid()}"  # short: Ray's socket paths live under it
    token = tmp_path / "token"; token.write_text(os.urandom(16).hex())
    env = dict(ENV, RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0", RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(token))
    env.pop("RAY_ADDRESS", None)
    head = subprocess.Popen([str(BIN / "ray"), "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port), "--num-cpus", "2",
                             "--include-dashboard", "false", "--temp-dir", tmp, "--block"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        for _ in range(240):  # wait for the GCS to accept connections
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0: break
            assert head.poll() is None, head.stdout.read()
            time.sleep(0.5)
        (tmp_path / "spec.yaml").write_text("data: ['sample:synthetic?n=300&seed=3']\ndetector: [fallback]\nwalk_forward: {train: 150, test: 75}\n")
        r = subprocess.run([_exe(), "sweep", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "out"), "--address", f"127.0.0.1:{port}",
                            "--no-report", "--quiet"], capture_output=True, text=True, env=env, timeout=600)
        assert r.returncode == 0, r.stdout + r.stderr
        res = pd.read_parquet(tmp_path / "out" / "results.parquet")  # 2 walk-forward folds of 150 + 75 bars
        assert res.status.tolist() == ["ok", "ok"] and res.bars.tolist() == [225, 225] and res.fold.tolist() == [1, 2]
        wf = pd.read_parquet(tmp_path / "out" / "walk_forward.parquet")
        assert wf.oos_bars.tolist() == [150] and "stitched out-of-sample Sharpe" in r.stdout
        assert abs((1 + res.oos_total_return).prod() - 1 - wf.oos_total_return.iloc[0]) < 1e-12
        bad = {s for s in _listening(_tree(head.pid)) if not _loopback(s[1])}
        assert not bad, f"head node listens beyond loopback: {bad}"
    finally:
        procs = _tree(head.pid)
        head.send_signal(signal.SIGTERM)
        try: head.wait(timeout=60)
        except subprocess.TimeoutExpired: head.kill()
        for p in procs[1:]:  # anything of this head that outlived it
            try: p.wait(timeout=10)
            except psutil.TimeoutExpired: p.kill()
            except psutil.NoSuchProcess: pass
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.slow
def test_ctrl_c_keeps_finished_runs_and_nothing_half_written(tmp_path):
    (tmp_path / "spec.yaml").write_text("data: [sample:sp500]\nstart: ['2005-01-01']\nend: ['2005-12-31']\ndetector: [fallback]\n"
                                        "strategy.tilt: [0.05, 0.1, 0.2, 0.3, 0.4, 0.5]\n")
    out = tmp_path / "out"
    proc = subprocess.Popen([_exe(), "sweep", str(tmp_path / "spec.yaml"), "--out", str(out), "--workers", "1", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    t0 = time.time()
    while not [p for p in (out / "runs").glob("*") if not p.name.startswith(".")] and time.time() - t0 < 600: time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    o, e = proc.communicate(timeout=300)
    assert proc.returncode == 130, o + e
    assert "interrupted:" in e and "runs finished and kept" in e and e.strip().count("\n") == 0, e
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]
    res = pd.read_parquet(out / "results.parquet")
    done = res[res.status == "ok"]
    assert 1 <= len(done) < 6 and set(res.status) == {"ok", "pending"}
    for rid in done.run_id: assert (out / "runs" / rid / "run.json").exists() and (out / "runs" / rid / "metrics.json").exists()
    r = run_cli("sweep", tmp_path / "spec.yaml", "--out", out, "--workers", "1", "--quiet", "--no-report", timeout=900)
    assert r.returncode == 0 and f"({6 - len(done)} run now, {len(done)} already finished)" in r.stdout, r.stdout + r.stderr
