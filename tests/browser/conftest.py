"""A Voilà server for the browser tests, and a headless system Chromium driven by Playwright.

Playwright's own browser download is never used: it launches Debian's
``/usr/bin/chromium`` (``.ci/install-browser`` installs it).  Voilà runs with
this test run's Python (``sys.executable -m voila``), so the notebook's kernel
imports the same cnnedu.  Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
START_TIMEOUT = 120  # seconds: Voilà's start on a busy machine


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real browser (Chromium) against a Voilà server")


def require_browser_stack():
    """Skip, with the reason, unless Voilà, Playwright and the system Chromium are all there."""
    for module, hint in (("voila", "pip install voila"), ("playwright.sync_api", "pip install playwright")):
        try:
            __import__(module)
        except ImportError as exc:
            pytest.skip(f"{module} cannot be imported ({exc}): {hint}, or pip install -e '.[test]'")
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip("Chromium not installed: run .ci/install-browser")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    """True once the server answers HTTP at all (a 404 counts: the server is up)."""
    try:
        urllib.request.urlopen(url, timeout=2).close()
        return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def _stop(proc: subprocess.Popen) -> None:
    """Stop Voilà and the kernels it started (its own process group, started by us)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)


def _serve(tmp_path_factory, name: str):
    """Serve the notebook ``name`` of this folder with Voilà on a free port of 127.0.0.1; yield its URL."""
    require_browser_stack()
    work = tmp_path_factory.mktemp("voila")
    notebook = work / name
    shutil.copy(HERE / name, notebook)
    port = _free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(work / "jupyter-config"), JUPYTER_PLATFORM_DIRS="1",
               MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    log_path = work / "voila.log"
    log = open(log_path, "w")
    cmd = [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
           "--Voila.ip=127.0.0.1", "--show_tracebacks=True"]
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(url + "voila-is-up"):  # a 404 page: does not start a kernel
            if proc.poll() is not None:
                pytest.fail(f"voila exited with code {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"voila did not answer within {START_TIMEOUT} s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.25)
        yield url
    finally:
        _stop(proc)
        log.close()


@pytest.fixture(scope="module")
def voila_url(tmp_path_factory):
    """Voilà serving ``explorer.ipynb`` (one ConvExplorer)."""
    yield from _serve(tmp_path_factory, "explorer.ipynb")


@pytest.fixture(scope="module")
def voila_all_url(tmp_path_factory):
    """Voilà serving ``all_explorers.ipynb`` (every explorer of cnnedu.widgets)."""
    yield from _serve(tmp_path_factory, "all_explorers.ipynb")


@pytest.fixture
def voila_log(voila_url, tmp_path_factory):
    """The tail of Voilà's log, for failure messages."""
    def tail(n=3000):
        logs = sorted(tmp_path_factory.getbasetemp().glob("voila*/voila.log"))
        return logs[-1].read_text()[-n:] if logs else ""
    return tail


@pytest.fixture
def chromium_page(tmp_path):
    """A page of a headless system Chromium with a fresh profile."""
    require_browser_stack()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 1100})
        try:
            page = context.pages[0] if context.pages else context.new_page()
            yield page
        finally:
            context.close()
