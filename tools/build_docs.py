#!/usr/bin/env python
"""Build the sage_nb docs site offline, without Quarto.

Quarto (what `nbdev-docs` uses) cannot be installed on machines without its binary download, so this script
builds a browsable static HTML site from the same processed notebooks:

1. copy each notebook in `nbs/` (not `nbs/reports/`) and execute the copy with nbdev's own test runner, skipping
   cells flagged `slow` — every output and figure on the site comes from this run; the folders beside the notebooks
   (`eval/`, `bench/`, `rde/`: the saved results of slow runs) are linked into the working folder so the pages show them;
2. apply nbdev's documentation processors (`FilterDefaults`: `show_doc` for exported symbols, directives removed,
   hidden cells dropped), exactly what `nbdev-docs` feeds to Quarto;
3. render each page with nbconvert's HTML exporter (figures embedded as data URIs) and add a sidebar.

`--readme` writes README.md from `nbs/index.ipynb` (markdown cells verbatim, code cells as fenced blocks, the stored
Markdown output of `#| echo: false` cells: numbers rendered from saved JSON);
`--check-readme` fails if README.md is out of date.
"""
import argparse, html, json, re, shutil, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def page_name(nb: Path) -> str:
    "Docs page file name for a notebook: `02_features.ipynb` -> `features.html` (nbdev's convention)."
    return re.sub(r"^\d+_", "", nb.stem) + ".html"


def readme_text(index_nb: Path) -> str:
    """Markdown cells verbatim, code cells as fenced blocks; a `#| echo: false` code cell contributes its stored Markdown output
    instead (how the README shows numbers rendered from saved JSON: the notebook is stored with those outputs)."""
    import nbformat
    nb = nbformat.read(index_nb, as_version=4)
    parts = ["<!-- Generated from nbs/index.ipynb by `python tools/build_docs.py --readme`; edit the notebook, not this file. -->"]
    for c in nb.cells:
        lines = c.source.splitlines()
        if c.cell_type == "code" and any(re.fullmatch(r"#\|\s*echo:\s*false\s*", l) for l in lines):
            parts += ["".join(o["data"]["text/markdown"]).strip() for o in c.get("outputs", []) if "text/markdown" in o.get("data", {})]
            continue
        src = "\n".join(l for l in lines if not l.startswith("#|")).strip()
        if not src: continue
        parts.append(src if c.cell_type == "markdown" else f"```python\n{src}\n```")
    return "\n\n".join(parts) + "\n"


def execute(src: Path, dst: Path) -> None:
    from nbdev.test import test_nb
    shutil.copy(src, dst)
    ok, secs = test_nb(dst, skip_flags=["slow"], save=True, cell_timeout=900)
    if not ok: raise SystemExit(f"docs: executing {src.name} failed (see the error above)")
    print(f"executed {src.name} in {secs:.1f}s")


def render(nb_path: Path, out: Path, nav: list[tuple[str, str]], current: str) -> None:
    import nbformat
    from nbconvert import HTMLExporter
    from nbdev.processors import FilterDefaults
    from fastcore.nbio import nb2str, read_nb
    nb = read_nb(nb_path)  # nbdev's processors work on execnb's notebook objects
    FilterDefaults()(nb)
    node = nbformat.reads(nb2str(nb), as_version=4)
    for c in node.cells: c.get("metadata", {}).pop("execution", None)  # execnb's timing metadata is not nbformat-valid
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(node)
    cur = ' class="current"'
    links = "".join(f'<li><a href="{href}"{cur if href == current else ""}>{html.escape(title)}</a></li>' for title, href in nav)
    sidebar = (f'<nav id="sage-sidebar"><p><a href="index.html"><b>sage_nb</b></a></p><ul>{links}</ul></nav>'
               '<style>#sage-sidebar{position:fixed;top:0;left:0;width:230px;height:100%;overflow:auto;padding:12px;'
               'background:#f6f8fa;border-right:1px solid #ddd;font-family:sans-serif;font-size:14px}'
               '#sage-sidebar ul{list-style:none;padding-left:0}#sage-sidebar li{margin:4px 0}'
               '#sage-sidebar .current{font-weight:bold}body{margin-left:250px!important}</style>')
    body = re.sub(r'<script[^>]+src="https?://[^"]*"[^>]*>\s*</script>', "", body)  # offline site: no CDN scripts
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + sidebar, body, count=1)
    out.write_text(body)


def title_of(nb_path: Path) -> str:
    import nbformat
    nb = nbformat.read(nb_path, as_version=4)
    for c in nb.cells:
        if c.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", c.source, re.M)
            if m: return m.group(1).strip()
    return nb_path.stem


def build(out: Path, only: list[str] | None, execute_nbs: bool = True) -> list[Path]:
    nbs_dir = ROOT / "nbs"
    nbs = sorted(p for p in nbs_dir.glob("*.ipynb") if not p.name.startswith(("_", ".")))
    if only: nbs = [p for p in nbs if p.name == "index.ipynb" or any(re.search(o, p.name) for o in only)]
    tmp_parent = ROOT / "_proc"
    tmp_parent.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="site.", dir=tmp_parent))  # inside the project so nbdev finds its config
    for d in nbs_dir.iterdir():  # saved results the notebooks read by relative path (eval/, bench/, rde/, ...)
        if d.is_dir() and not d.name.startswith(("_", ".")): (work / d.name).symlink_to(d, target_is_directory=True)
    staged = Path(tempfile.mkdtemp(prefix="out.", dir=tmp_parent))
    try:
        nav = [(title_of(p), "index.html" if p.name == "index.ipynb" else page_name(p)) for p in nbs]
        (work / "nav.json").write_text(json.dumps(nav))
        pages = []
        for p in nbs:
            href = "index.html" if p.name == "index.ipynb" else page_name(p)
            # one process per page: NautilusTrader's custom-data registry is process-global, and a notebook that defines
            # such a type must not meet the copy another notebook's execution or doc processing already imported
            for step in (["--exec-page", str(p), str(work)] + ([] if execute_nbs else ["--no-exec"]), ["--render-page", str(work / p.name), str(staged / href)]):
                if subprocess.run([sys.executable, __file__, *step], cwd=ROOT).returncode != 0:
                    raise SystemExit(f"docs: building the page for {p.name} failed")
            pages.append(out / href)
        staged.chmod(0o755)
        if out.exists(): shutil.rmtree(out)
        shutil.move(str(staged), str(out))  # publish the whole site at once: never half-written
        return pages
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(staged, ignore_errors=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="_site", help="output folder (replaced atomically)")
    ap.add_argument("--only", nargs="*", help="regexes of notebook names to include (index is always included)")
    ap.add_argument("--no-exec", action="store_true", help="render the notebooks as saved, without executing them")
    ap.add_argument("--readme", action="store_true", help="write README.md from nbs/index.ipynb and exit")
    ap.add_argument("--check-readme", action="store_true", help="fail if README.md differs from nbs/index.ipynb")
    ap.add_argument("--exec-page", nargs=2, metavar=("NOTEBOOK", "WORKDIR"), help=argparse.SUPPRESS)  # internal steps,
    ap.add_argument("--render-page", nargs=2, metavar=("NOTEBOOK", "HTML"), help=argparse.SUPPRESS)  # one process each
    a = ap.parse_args(argv)
    if a.exec_page:
        src, work = Path(a.exec_page[0]), Path(a.exec_page[1])
        if a.no_exec: shutil.copy(src, work / src.name)
        else: execute(src, work / src.name)
        return 0
    if a.render_page:
        nb, html_out = Path(a.render_page[0]), Path(a.render_page[1])
        render(nb, html_out, [tuple(x) for x in json.loads((nb.parent / "nav.json").read_text())], html_out.name)
        return 0
    if a.readme or a.check_readme:
        text = readme_text(ROOT / "nbs" / "index.ipynb")
        if a.check_readme:
            if (ROOT / "README.md").read_text() != text:
                print("README.md is out of date: run `python tools/build_docs.py --readme`", file=sys.stderr); return 1
            return 0
        (ROOT / "README.md").write_text(text); print("wrote README.md"); return 0
    pages = build((ROOT / a.out).resolve(), a.only, not a.no_exec)
    print(f"docs: {len(pages)} pages in {a.out}/ (open {a.out}/index.html)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
