"""The static HTML edition (docs/html_edition.md): built offline from the stored notebooks.

Each build runs the documented command, ``python -m sphinx -b html -W --keep-going
-c docs/html book build/html``, with a temporary output folder.
"""

import base64
import doctest
import hashlib
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
CONF = ROOT / "docs" / "html"
CHAPTERS = sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MATHJAX = "_static/mathjax/tex-mml-chtml.js"

pytestmark = pytest.mark.slow


def build(source, out):
    """Run the documented build command; return its console output."""
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-c", str(CONF),
         str(source), str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    return log


class Page(HTMLParser):
    """The text, links and loaded resources of one HTML page."""

    def __init__(self, path):
        super().__init__()
        self.text, self.links, self.resources, self.styles = [], set(), [], []
        self._in_style = False
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.add(attrs["href"].split("#")[0])
        for name in ("src", "href"):
            if tag in ("script", "link", "img", "iframe", "source", "embed") and attrs.get(name):
                self.resources.append(attrs[name])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_style:
            self.styles.append(data)

    @property
    def words(self):
        return " ".join("".join(self.text).split())


def words(text):
    return " ".join(ANSI.sub("", text).split())


def remote_urls_in_css(css):
    return re.findall(r"""(?:url\(|@import\s+)\s*["']?(https?://[^"')\s;]+)""", css)


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("edition") / "html"
    return out, build(BOOK, out)


def test_the_build_emits_no_warning(edition):
    _, log = edition
    assert "WARNING" not in log and "ERROR" not in log, log


def test_every_chapter_has_a_page_with_its_title(edition):
    out, _ = edition
    assert len(CHAPTERS) >= 9
    for chapter in CHAPTERS:
        title = next(line for cell in nbformat.read(chapter, 4).cells
                     if cell.cell_type == "markdown" for line in cell.source.splitlines()
                     if line.startswith("# "))
        page = out / f"{chapter.stem}.html"
        assert page.exists(), chapter.name
        assert words(title[2:]).replace("`", "") in Page(page).words, (chapter.name, title)


def test_pages_carry_the_stored_outputs(edition):
    """Every printed text, every figure and every HTML output of a chapter is on its page."""
    out, _ = edition
    sys.path.insert(0, str(CONF))
    try:
        from notebook_reader import read_notebook
    finally:
        sys.path.remove(str(CONF))
    for chapter in CHAPTERS:
        path = out / f"{chapter.stem}.html"
        page, raw = Page(path), path.read_text(encoding="utf-8")
        nb = read_notebook(chapter.read_text(encoding="utf-8"))
        outputs = [o for cell in nb.cells for o in cell.get("outputs", [])]
        texts = [o.text if o.output_type == "stream" else o.data["text/plain"] for o in outputs
                 if o.output_type == "stream" or set(o.get("data", {})) == {"text/plain"}]
        assert texts, chapter.name
        for text in texts:
            assert words(text) in page.words, (chapter.name, text)
        for html in (o.data["text/html"] for o in outputs if "text/html" in o.get("data", {})):
            assert html.strip() in raw, (chapter.name, html[:200])
        figures = {hashlib.sha256(base64.b64decode(o.data["image/png"])).hexdigest()
                   for o in outputs if "image/png" in o.get("data", {})}
        shown = {hashlib.sha256((out / src).read_bytes()).hexdigest()
                 for src in page.resources if src.startswith("_images/")}
        assert figures and figures <= shown, chapter.name


def test_widgets_are_stills_and_need_no_widget_manager(edition):
    out, _ = edition
    for chapter in CHAPTERS:
        nb = nbformat.read(chapter, 4)
        views = sum("application/vnd.jupyter.widget-view+json" in o.get("data", {})
                    for cell in nb.cells for o in cell.get("outputs", []))
        raw = (out / f"{chapter.stem}.html").read_text(encoding="utf-8")
        assert raw.count('class="cnnedu-widget-snapshot"') == views, chapter.name
        assert "application/vnd.jupyter.widget" not in raw, chapter.name
    # The pooling explorer: its picture is on the page, and the reader is told to run it.
    raw = (out / "04_pooling.html").read_text(encoding="utf-8")
    assert 'alt="widget picture" src="data:image/png;base64,' in raw
    assert "Its controls work only in a running notebook" in raw


def test_landing_page_links_every_chapter(edition):
    out, _ = edition
    landing = Page(out / "README.html")
    assert {f"{chapter.stem}.html" for chapter in CHAPTERS} <= landing.links
    assert "README.html" in (out / "index.html").read_text(encoding="utf-8")


def test_nothing_is_loaded_from_the_network(edition):
    """Scripts, styles, fonts and images all come from the build folder; MathJax too."""
    out, _ = edition
    allowed = set()  # MathJax is served from _static/mathjax, not from a CDN
    remote = set()
    for path in out.glob("*.html"):
        page = Page(path)
        remote |= {url for url in page.resources if re.match(r"(https?:)?//", url)}
        remote |= {url for css in page.styles for url in remote_urls_in_css(css)}
    for css in out.glob("_static/**/*.css"):
        remote |= set(remote_urls_in_css(css.read_text(encoding="utf-8")))
    assert remote == allowed
    assert (out / MATHJAX).is_file()
    assert list((out / "_static/mathjax/output/chtml/fonts/woff-v2").glob("*.woff"))
    assert MATHJAX in Page(out / "04_pooling.html").resources


def test_new_chapters_join_and_homework_stays_out(tmp_path):
    """The chapter list is a glob: a new NN_*.ipynb is picked up, assignments/ is not."""
    source = tmp_path / "book"
    source.mkdir()
    shutil.copy(BOOK / "README.md", source)
    shutil.copy(CHAPTERS[0], source)
    planted = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 11. A planted chapter\n\nIt prints a number."),
        nbformat.v4.new_code_cell("print(6 * 7 * 101)", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="4242\n")])],
        metadata={key: nbformat.read(CHAPTERS[0], 4).metadata[key]
                  for key in ("kernelspec", "language_info")})
    nbformat.write(planted, source / "11_planted.ipynb")
    for stray in ("assignments/01_homework.ipynb", ".ipynb_checkpoints/11_planted-checkpoint.ipynb"):
        (source / stray).parent.mkdir()
        nbformat.write(planted, source / stray)
    out = tmp_path / "html"
    log = build(source, out)
    assert "WARNING" not in log, log
    assert {p.name for p in out.glob("*.html")} == {
        "README.html", CHAPTERS[0].stem + ".html", "11_planted.html",
        "index.html", "genindex.html", "search.html"}
    assert not (out / "assignments").exists() and not (out / ".ipynb_checkpoints").exists()
    assert "11_planted.html" in Page(out / "README.html").links
    assert "4242" in Page(out / "11_planted.html").words


def test_notebook_reader_examples():
    sys.path.insert(0, str(CONF))
    try:
        import notebook_reader
    finally:
        sys.path.remove(str(CONF))
    result = doctest.testmod(notebook_reader)
    assert result.attempted > 0 and result.failed == 0
