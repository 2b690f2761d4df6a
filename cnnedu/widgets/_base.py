"""What every explorer shares: controls with stable CSS classes, one reused figure, PNG output.

An explorer draws into one matplotlib :class:`~matplotlib.figure.Figure` that is
never registered with pyplot (so a notebook shows no stray static copy), renders
it to PNG and puts the bytes into an :class:`ipywidgets.Image`.  That works the
same in JupyterLab, classic Notebook and Voilà, needs no ipympl, and a redraw is
one drawing plus one PNG encoding (about a tenth of a second).
"""

from __future__ import annotations

import html
import io
import re
import textwrap
import time
from collections import deque
from contextlib import contextmanager

import ipywidgets as W
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .._checks import check_choice, check_int
from ..viz.colors import GREY, VERMILLION

#: Resolution of the rendered figures: 96 pixels per inch, the browser's own, so the figure
#: is shown 1:1 and its text has the size of the page's text.
DPI = 96

_DESCRIPTION_WIDTH = "120px"


def slider(name: str, description: str, value: int, low: int, high: int, *, continuous: bool = False,
           fn: str = "") -> W.IntSlider:
    """An IntSlider with the CSS class ``cnnedu-<name>`` (a stable handle for browser tests).

    ``value`` is checked to be an integer >= ``low``; the slider's maximum grows to
    hold it.  ``continuous`` sends every intermediate value while dragging
    (for the cheap position slider); the others send the value when released.
    """
    value = check_int(fn or "slider", name.replace("-", "_"), value, low)
    s = W.IntSlider(value=value, min=low, max=max(high, value), step=1, description=description,
                    continuous_update=continuous,
                    style={"description_width": _DESCRIPTION_WIDTH},
                    layout=W.Layout(width="360px"))
    s.add_class(f"cnnedu-{name}")
    return s


def float_slider(name: str, description: str, value: float, low: float, high: float,
                 step: float) -> W.FloatSlider:
    s = W.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                      continuous_update=True, readout_format=".1f",
                      style={"description_width": _DESCRIPTION_WIDTH},
                      layout=W.Layout(width="360px"))
    s.add_class(f"cnnedu-{name}")
    return s


def dropdown(name: str, description: str, options, value) -> W.Dropdown:
    d = W.Dropdown(options=options, value=value, description=description,
                   style={"description_width": _DESCRIPTION_WIDTH}, layout=W.Layout(width="360px"))
    d.add_class(f"cnnedu-{name}")
    return d


def padding_controls(fn: str, padding, modes, high: int) -> tuple[W.Dropdown, W.IntSlider]:
    """A mode dropdown ("number" or a padding string) and the slider used in "number" mode."""
    if isinstance(padding, str):
        mode, number = check_choice(fn, "padding", padding, set(modes) - {"number"}), 0
    else:
        mode, number = "number", check_int(fn, "padding", padding, 0)
    mode_dd = dropdown("padding-mode", "padding", list(modes), mode)
    number_sl = slider("padding", "P (each side)", number, 0, high, fn=fn)
    return mode_dd, number_sl


def padding_spec(mode_dd: W.Dropdown, number_sl: W.IntSlider):
    """What the padding controls mean, as ``cnnedu.sizes`` takes it: an int or a string."""
    number_sl.disabled = mode_dd.value != "number"
    return number_sl.value if mode_dd.value == "number" else mode_dd.value


def plain_message(exc: Exception) -> str:
    """An error message without the ``"<function>: "`` prefix cnnedu's checks put in front."""
    return re.sub(r"^[A-Za-z_][A-Za-z_0-9]*: ", "", str(exc))


def set_range(s: W.IntSlider, high: int) -> None:
    """Set a slider's maximum, first clamping its value so it stays valid (and in range)."""
    high = max(high, s.min)
    if s.value > high:
        s.value = high
    s.max = high


class Explorer:
    """Base of the explorers: controls, state, one figure, a PNG in an Image widget.

    Subclasses create their controls, call :meth:`_watch` on them, build
    ``self.widget`` and call :meth:`update` once; :meth:`_refresh` computes the
    state from the controls and draws into ``self.fig``.

    Attributes
    ----------
    widget : ipywidgets.Box
        What a notebook displays (displaying the explorer itself shows it too).
    fig : matplotlib.figure.Figure
        The one figure every redraw reuses.
    view : ipywidgets.Image
        The rendered figure (PNG).
    message : str
        Why the current setting is impossible, or ``""``.
    redraw_times : deque of float
        Seconds taken by the last updates (compute, draw and PNG encoding).
    """

    def __init__(self, figsize):
        self.fig = Figure(figsize=figsize, dpi=DPI)
        FigureCanvasAgg(self.fig)
        w_px = int(round(figsize[0] * DPI))
        self.view = W.Image(format="png", layout=W.Layout(width=f"{w_px}px", max_width="100%",
                                                           height="auto"))
        self.view.add_class("cnnedu-figure")
        self.message = ""
        self.message_label = W.HTML("")
        self.message_label.add_class("cnnedu-message")
        self.redraw_times = deque(maxlen=1000)
        self.widget = None
        self._quiet_depth = 0
        self._held = 0

    # -- updating ---------------------------------------------------------------
    def _watch(self, *controls) -> None:
        for c in controls:
            c.observe(self._on_change, names="value")

    def _on_change(self, change) -> None:
        if not (self._quiet_depth or self._held):
            self.update()

    @contextmanager
    def _quiet(self):
        """Change controls (ranges, dependent values) without triggering a redraw."""
        self._quiet_depth += 1
        try:
            yield
        finally:
            self._quiet_depth -= 1

    @contextmanager
    def hold(self):
        """Change several controls and redraw once, at the end::

            with ex.hold():
                ex.kernel_size.value = 5
                ex.padding_mode.value = "same"
        """
        self._held += 1
        try:
            yield self
        finally:
            self._held -= 1
            if not self._held:
                self.update()

    def update(self) -> None:
        """Recompute the state from the controls, redraw, and time it."""
        t0 = time.perf_counter()
        with self._quiet():
            self._refresh()
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", dpi=DPI)
        self.view.layout.width = f"{round(self.fig.get_size_inches()[0] * DPI)}px"  # 1:1, no scaling
        self.view.value = buf.getvalue()
        self.redraw_times.append(time.perf_counter() - t0)

    def _refresh(self) -> None:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    @property
    def png(self) -> bytes:
        """The figure as last rendered (PNG bytes)."""
        return bytes(self.view.value)

    @property
    def last_redraw(self) -> float:
        """Seconds taken by the last update."""
        return self.redraw_times[-1]

    # -- messages and drawings -----------------------------------------------------
    def _set_message(self, message: str) -> None:
        self.message = message
        self.message_label.value = (
            "" if not message else
            f'<span style="color:{VERMILLION}">⚠ {html.escape(message)}</span>')

    def _draw_nothing(self, ax, why: str) -> None:
        """Clear ``ax`` and say, in grey, that there is nothing to draw."""
        ax.clear()
        ax.set_axis_off()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.text(0.5, 0.5, "no output\n\n" + _wrap(why, 70), ha="center", va="center", color=GREY,
                fontsize=12, transform=ax.transAxes)

    # -- display -------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width))
