"`make docs`: the static site builds offline and shows notebook text and a figure in headless Chromium."
import contextlib, functools, http.server, os, shutil, subprocess, sys, tempfile, threading
from pathlib import Path
import pytest


def _chromium():
    for b in ("chromium", "chromium-browser"):
        if shutil.which(b): return shutil.which(b)


@pytest.fixture(scope="module")
def site(root, tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "_site"
    r = subprocess.run([sys.executable, str(root / "tools" / "build_docs.py"), "--only", "features", "bench", "--out", str(out)],
                       capture_output=True, text=True, timeout=600, cwd=root)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return out


@contextlib.contextmanager
def serve(directory):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True); t.start()
    try: yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally: httpd.shutdown(); httpd.server_close()


def test_site_files(site):
    assert (site / "index.html").exists() and (site / "features.html").exists()
    html = (site / "features.html").read_text()
    assert "compute_features" in html and "data:image/png;base64" in html
    assert 'src="https://' not in html  # offline: no CDN scripts


def test_saved_results_on_pages(site):
    "Pages that show saved slow-run results (nbs/bench/*.json) find them when the site is built."
    html = (site / "bench.html").read_text()
    assert "##### bench_full.json:" in html and "##### bench_rde_stream.json:" in html  # printed by the cell, not its source


def test_site_in_headless_chromium(site, tmp_path):
    if not (_chromium() and shutil.which("chromedriver")):
        if os.environ.get("CI"): pytest.fail("chromium/chromedriver not installed (Makefile target `browser` installs them)")
        pytest.skip("chromium/chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    opts = webdriver.ChromeOptions()
    opts.binary_location = _chromium()
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--disable-dev-shm-usage", "--no-first-run", "--disable-quic", f"--user-data-dir={tmp_path / 'profile'}"):
        opts.add_argument(a)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    try:
        with serve(site) as base:
            driver.get(f"{base}/index.html")
            body = driver.find_element(By.TAG_NAME, "body").text
            assert "sage_nb" in body and "Notebook map" in body
            driver.find_element(By.LINK_TEXT, "Causal features").click()
            assert driver.current_url.endswith("/features.html")
            text = driver.find_element(By.TAG_NAME, "body").text
            assert "Causality, bit for bit" in text and "compute_features" in text
            imgs = [i for i in driver.find_elements(By.TAG_NAME, "img") if (i.get_attribute("src") or "").startswith("data:image/png")]
            assert imgs, "no figure on the page"
            assert driver.execute_script("return arguments[0].naturalWidth", imgs[0]) > 100
    finally:
        driver.quit()
