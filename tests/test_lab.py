"`make lab` works: a Jupyter server starts on localhost, lists nbs/ through its REST API, and stops."
import json, os, secrets, socket, subprocess, sys, time, urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def test_jupyter_server_lists_notebooks(root, tmp_path):
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
           "JUPYTER_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path)}
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root / 'nbs'}", "--allow-root"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        url = f"http://127.0.0.1:{port}/api/contents/?token={token}"
        deadline, listing = time.time() + 60, None
        while time.time() < deadline:
            try:
                listing = json.load(urllib.request.urlopen(url, timeout=5)); break
            except Exception:
                if proc.poll() is not None: raise AssertionError("jupyter lab exited early")
                time.sleep(0.5)
        assert listing is not None, "server did not answer within 60 s"
        names = {c["name"] for c in listing["content"]}
        assert {"00_core.ipynb", "01_data.ipynb", "index.ipynb"} <= names
        lab = urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=10)
        assert lab.status == 200
    finally:
        proc.terminate()
        try: proc.wait(timeout=20)
        except subprocess.TimeoutExpired: proc.kill()
    assert proc.returncode is not None
