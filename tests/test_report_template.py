"The backtest report template run by hand with plain papermill renders the run it is given."
import json, subprocess, sys
from pathlib import Path
from sage_nb.nautilus.runner import run_backtest

BIN = Path(sys.executable).parent


def _tagged(nb: dict) -> list:
    return [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]


def test_template_keeps_its_parameters_tag_through_nbdev_clean(root):
    from nbdev.clean import clean_nb
    from nbdev.config import get_config
    nb = json.loads((root / "nbs" / "reports" / "backtest_report.ipynb").read_text())
    assert len(_tagged(nb)) == 1
    cfg = get_config(path=root)  # what `nbdev-clean` does to the saved file, with the project's settings
    clean_nb(nb, cfg.clear_all, cfg.get("allowed_metadata_keys"), cfg.get("allowed_cell_metadata_keys"), cfg.clean_ids)
    assert len(_tagged(nb)) == 1 and "".join(_tagged(nb)[0]["source"]).startswith("run_dir = None")


def test_plain_papermill_with_p_run_dir(root, tmp_path):
    run = tmp_path / "MYRUN"
    run_backtest("sample:synthetic?n=300&seed=7", detector="fallback", signals=False, out=run, report=False)
    tpl = root / "nbs" / "reports" / "backtest_report.ipynb"
    r = subprocess.run([str(BIN / "papermill"), str(tpl), str(tmp_path / "out.ipynb"), "-p", "run_dir", str(run)],
                       capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "no cell with tag" not in r.stderr.lower()
    nb = json.loads((tmp_path / "out.ipynb").read_text())
    text = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
    assert "300 bars" in text and "detector fallback" in text, text[:500]  # this run, not another
    # without -p run_dir the report stops with a message instead of showing some other run
    r = subprocess.run([str(BIN / "papermill"), str(tpl), str(tmp_path / "none.ipynb")], capture_output=True, text=True,
                       cwd=tmp_path, timeout=300)
    assert r.returncode != 0 and "no run directory" in r.stderr
