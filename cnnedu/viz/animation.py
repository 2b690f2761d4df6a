"""The window stepping over every output position: :func:`animate_scan`, :func:`scan_html`."""

from __future__ import annotations

import inspect

from .._checks import check_int
from ._scan import _conv_scan, _pool_scan, _transposed_scan
from .drawing import _new_axes, draw_conv, draw_pool, draw_transposed_conv

__all__ = ["animate_scan", "scan_html"]

_DRAW = {"conv": (draw_conv, _conv_scan), "pool": (draw_pool, _pool_scan),
         "transposed": (draw_transposed_conv, _transposed_scan)}


_DISPLAY_ARGS = ("position", "ax", "show_values", "progress")


def animate_scan(kind="conv", *, interval=700, progress=True, repeat=True, fig=None, **kwargs):
    r"""Animate the window stepping over every output position, one frame per output cell.

    Each frame is drawn by :func:`draw_conv`, :func:`draw_pool` or
    :func:`draw_transposed_conv` with ``position`` set to the frame number.

    Parameters
    ----------
    kind : {"conv", "pool", "transposed"}
    interval : int
        Milliseconds between frames.
    progress : bool
        Fill in the output cells as the scan reaches them.
    repeat : bool
        Loop when played.
    fig : matplotlib Figure, optional
        Drawn into (cleared and resized to fit).  By default a new Figure that
        is *not* registered with pyplot, so nothing leaks and a notebook shows
        no stray static copy.
    **kwargs
        Passed to the drawing function (``input_size``, ``kernel_size``,
        ``stride``, ``padding``, ``x``, ``w``, ``mode``, ``show_values``, ...);
        not ``position`` or ``ax``, which are set per frame.

    Returns
    -------
    matplotlib.animation.FuncAnimation
        With ``H_out * W_out`` frames.  In a notebook:
        ``from IPython.display import HTML; HTML(anim.to_jshtml())`` (or
        ``HTML(scan_html(...))``).  As a GIF: ``anim.save("scan.gif", writer="pillow")``.

    Examples
    --------
    >>> anim = animate_scan("conv", input_size=5, kernel_size=3, stride=2)
    >>> len(list(anim.new_frame_seq()))
    4
    >>> html = anim.to_jshtml()             # in a notebook: HTML(html)
    """
    from matplotlib.animation import FuncAnimation
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fn = "animate_scan"
    if kind not in _DRAW:
        raise ValueError(f"{fn}: kind must be one of {', '.join(map(repr, _DRAW))}, got {kind!r}")
    for name in ("position", "ax"):
        if name in kwargs:
            raise TypeError(f"{fn}: {name} is set for each frame, do not pass it (got {name}={kwargs[name]!r})")
    interval = check_int(fn, "interval", interval, 1)
    draw, build = _DRAW[kind]
    try:
        bound = inspect.signature(draw).bind(**kwargs)
    except TypeError as exc:
        raise TypeError(f"{fn}: {exc} (kind={kind!r})") from None
    bound.apply_defaults()
    # Build the scan once to size the figure (and to validate every argument).
    scan = build(fn, **{k: v for k, v in bound.arguments.items() if k not in _DISPLAY_ARGS})
    if fig is None:
        fig = Figure()
        FigureCanvasAgg(fig)
    else:
        fig.clear()
    _, ax = _new_axes(scan, fig)

    def update(k):
        draw(**kwargs, position=k, progress=progress, ax=ax)
        return []

    return FuncAnimation(fig, update, frames=range(scan.out_size[0] * scan.out_size[1]),
                         interval=interval, repeat=repeat, blit=False, cache_frame_data=False)


def scan_html(kind="conv", *, interval=700, **kwargs) -> str:
    """The scan of :func:`animate_scan` as an HTML/JavaScript player, for a notebook.

    Creates no pyplot figure, so nothing is left open.

    Parameters
    ----------
    kind, interval, **kwargs
        As in :func:`animate_scan`.

    Returns
    -------
    str
        ``anim.to_jshtml()``; show it with ``IPython.display.HTML``.

    Examples
    --------
    >>> html = scan_html("pool", input_size=4, kernel_size=2)
    >>> html.lstrip().startswith("<link")
    True
    """
    anim = animate_scan(kind, interval=interval, **kwargs)
    return anim.to_jshtml()
