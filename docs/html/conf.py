"""Sphinx configuration of the book's static HTML edition (see docs/html_edition.md).

Build it from the repository root with:

    python -m sphinx -b html -W --keep-going -c docs/html book build/html

The source folder is ``book/``; this configuration lives outside it so that
pytest (whose test paths include ``book``) never imports it.  Notebooks are
rendered from their stored outputs and never executed, and nothing is fetched
from the network, neither while building nor while reading.
"""

import shutil
import sys
from pathlib import Path

import mathjax  # the django-static-mathjax package: MathJax 3 as plain files

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # for notebook_reader

project = "cnnedu"
author = "the cnnedu authors"
html_title = "cnnedu: a textbook on convolutional neural networks"

extensions = ["myst_nb"]

# The landing page is book/README.md; the chapters are whatever NN_*.ipynb exist,
# so a new chapter joins the edition without touching this file.  Everything else
# in book/ (assignments/, checkpoints, configuration) stays out.
root_doc = "README"
include_patterns = ["README.md", "[0-9][0-9]_*.ipynb"]
exclude_patterns = ["assignments/**", "**/.ipynb_checkpoints/**"]
CHAPTERS_TOCTREE = """

```{toctree}
:caption: Chapters
:glob:
:maxdepth: 1

[0-9][0-9]_*
```
"""

# Notebooks: stored outputs only; widgets become stills, remote style sheets go
# (notebook_reader.py says why).
nb_execution_mode = "off"
nb_custom_formats = {".ipynb": ("notebook_reader.read_notebook", {}, False)}
nb_ipywidgets_js = {}  # no widget manager from a CDN
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# MathJax from the django-static-mathjax wheel, copied next to the pages.
MATHJAX_DIR = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
if not (MATHJAX_DIR / "tex-mml-chtml.js").is_file():
    raise RuntimeError(f"MathJax 3 not found in {MATHJAX_DIR}: "
                       "pip install 'django-static-mathjax>=3.2.2'")
mathjax_path = "mathjax/tex-mml-chtml.js"  # relative: under _static/

html_theme = "sphinx_book_theme"
html_theme_options = {"show_toc_level": 2, "use_download_button": True}
html_extra_path = ["extra"]  # index.html, which forwards to README.html
html_show_sourcelink = False
html_sourcelink_suffix = ""  # the download button offers the notebook itself


def add_chapters_toctree(app, docname, source):
    """Append the chapter list to the landing page (book/README.md is also read on GitHub)."""
    if docname == app.config.root_doc:
        source[0] += CHAPTERS_TOCTREE


def copy_mathjax(app, exception):
    """Copy MathJax's CHTML build (not its SVG and node bundles) into _static/mathjax."""
    if exception is None and app.builder.format == "html":
        shutil.copytree(MATHJAX_DIR, Path(app.outdir) / "_static" / "mathjax", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("*svg*", "node-main.js", "tex-chtml*.js",
                                                      "mml-chtml.js", "latest.js"))


def setup(app):
    app.connect("source-read", add_chapters_toctree)
    app.connect("build-finished", copy_mathjax)
