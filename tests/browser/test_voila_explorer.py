"""The ConvExplorer in a real browser: Voilà serves the notebook, Chromium moves the stride slider.

Skips (with the reason) when Voilà, Playwright or /usr/bin/chromium is missing;
``.ci/install-browser`` installs Chromium.
"""

from __future__ import annotations

import shutil
import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOAD_TIMEOUT_MS = 120_000   # Voilà runs the notebook (kernel start, imports) before the page is whole
MOVE_TIMEOUT_MS = 30_000
SCREENSHOT_COPY = "/tmp/voila_explorer.png"


def test_stride_slider_changes_the_output_size(voila_url, voila_log, chromium_page, tmp_path):
    from playwright.sync_api import expect

    page = chromium_page
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    t0 = time.monotonic()
    page.goto(voila_url, timeout=LOAD_TIMEOUT_MS, wait_until="domcontentloaded")

    size = page.locator(".cnnedu-output-size")
    try:
        expect(size).to_contain_text("output 5×5", timeout=LOAD_TIMEOUT_MS)
    except AssertionError:
        page.screenshot(path=str(tmp_path / "not_loaded.png"), full_page=True)
        raise AssertionError(f"the explorer did not appear; page errors {errors}\nvoila log:\n{voila_log()}")
    loaded = time.monotonic() - t0
    figure = page.locator("img.cnnedu-figure")
    expect(figure).to_be_visible()
    src_before = figure.get_attribute("src")
    expect(page.locator(".cnnedu-formula")).to_contain_text("(7 + 0 + 0 − 3) + 1 = 5")

    # The keyboard moves an ipywidgets (noUiSlider) slider one step per arrow key.
    handle = page.locator(".cnnedu-stride .noUi-handle")
    handle.focus()
    t1 = time.monotonic()
    handle.press("ArrowRight")
    expect(figure).not_to_have_attribute("src", src_before or "", timeout=MOVE_TIMEOUT_MS)  # redrawn
    moved = time.monotonic() - t1
    expect(size).to_contain_text("output 3×3", timeout=MOVE_TIMEOUT_MS)
    expect(page.locator(".cnnedu-stride .widget-readout")).to_have_text("2")
    expect(page.locator(".cnnedu-formula")).to_contain_text("⌊(7 + 0 + 0 − 3)/2⌋ + 1 = 3")

    # An impossible setting shows the message of cnnedu.sizes, not a traceback.
    kernel = page.locator(".cnnedu-kernel-size .noUi-handle")
    kernel.focus()
    kernel.press("End")                      # kernel 9 > input 7
    expect(page.locator(".cnnedu-message")).to_contain_text("does not fit", timeout=MOVE_TIMEOUT_MS)
    expect(size).to_contain_text("no output")
    assert "Traceback" not in page.inner_text("body")
    kernel.press("Home")                     # kernel 1: 7 outputs at stride 2 -> 4
    kernel.press("ArrowRight")
    kernel.press("ArrowRight")               # kernel 3 again
    expect(size).to_contain_text("output 3×3", timeout=MOVE_TIMEOUT_MS)
    expect(page.locator(".cnnedu-message")).to_have_text("")

    shot = tmp_path / "voila_explorer.png"
    page.screenshot(path=str(shot), full_page=True)
    shutil.copy(shot, SCREENSHOT_COPY)
    assert shot.stat().st_size > 10_000
    assert not errors, errors
    print(f"\n[browser] explorer shown {loaded:.1f} s after navigation; key press to new figure "
          f"{moved * 1000:.0f} ms (browser -> kernel -> browser); screenshot {SCREENSHOT_COPY}")


def test_every_explorer_renders_in_voila(voila_all_url, voila_log, chromium_page, tmp_path):
    """Each explorer of cnnedu.widgets shows its controls and its figure, and no traceback."""
    from playwright.sync_api import expect

    page = chromium_page
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(voila_all_url, timeout=LOAD_TIMEOUT_MS, wait_until="domcontentloaded")
    explorers = page.locator(".cnnedu-explorer")
    expect(explorers).to_have_count(5, timeout=LOAD_TIMEOUT_MS)
    for i in range(5):
        expect(explorers.nth(i).locator("img").first).to_be_visible(timeout=MOVE_TIMEOUT_MS)
    assert page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']").count() == 0, \
        voila_log()
    assert "Traceback" not in page.content(), voila_log()
    page.screenshot(path=str(tmp_path / "all_explorers.png"), full_page=True)
    assert not errors, errors

