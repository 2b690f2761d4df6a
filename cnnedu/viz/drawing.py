"""Drawing a scan: :func:`draw_conv`, :func:`draw_pool`, :func:`draw_transposed_conv`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch, Rectangle
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.transforms import Affine2D

from ._scan import (_CROPPED, _INPUT, _INSERTED, _PAD, _Scan, _conv_scan, _num, _pool_scan, _position,
                    _transposed_scan)
from .colors import (_CELL_EDGE, _CURRENT_FACE, _INPUT_FACE, _INSERTED_FACE, _MUTED_TEXT, _OUTPUT_FACE,
                     _PAD_EDGE, _PAD_FACE, _WEIGHT_COLOR, _WINDOW_FACE, BLACK, VERMILLION)

__all__ = ["ScanDrawing", "draw_conv", "draw_pool", "draw_transposed_conv"]

_FONT_MAX, _FONT_MIN = 12.0, 4.5
_CELL_INCH = 0.46  # default size of one cell when viz creates the figure
_GAP = 2.0         # cells between the input and the output grid (at least)
_LABEL_FONT = 10.5  # largest font of the grid labels


def _cell_verts(rows, cols, x0=0.0, y0=0.0) -> np.ndarray:
    """Corners of unit cells (row, col), x to the right and y downwards: shape (n, 4, 2)."""
    x = np.asarray(cols, float)[:, None] + x0 + np.array([0, 1, 1, 0])
    y = np.asarray(rows, float)[:, None] + y0 + np.array([0, 0, 1, 1])
    return np.stack([x, y], axis=-1)


# ---------------------------------------------------------------------------
# Drawing a scan
# ---------------------------------------------------------------------------

@dataclass
class ScanDrawing:
    """Everything :func:`draw_conv`, :func:`draw_pool` and :func:`draw_transposed_conv` drew.

    Cell ``(r, c)`` of the input canvas (the padded, for a transposed convolution
    also zero-inserted, input) is the unit square with corners ``(c, r)`` and
    ``(c + 1, r + 1)`` in data coordinates (y points down); the output grid is
    drawn ``output_origin = (x0, y0)`` further on.

    Attributes
    ----------
    fig, ax : matplotlib Figure and Axes
    in_size, kernel, stride, dilation, out_size : tuple of int, (h, w)
    padding : ((top, bottom), (left, right))
        As resolved by :mod:`cnnedu.sizes` (for a transposed convolution, the
        cropping of the output).
    position : (row, col)
        The output cell being computed.
    cells : dict of str -> PolyCollection
        ``"input"``, ``"padding"``, ``"inserted"`` (zeros of a transposed
        convolution), ``"output"`` and, when a transposed convolution's padding
        crops the zero-inserted input, ``"cropped"`` (cells no window reaches);
        one square per cell.
    window : list of Rectangle
        One per kernel tap, in canvas coordinates, row-major.
    window_box : Rectangle
        The span of the (dilated) window.
    highlight : Rectangle
        The output cell being computed.
    input_texts, output_texts, weight_texts : dict of (row, col) -> str
        The printed values by cell (canvas cells, output cells, kernel taps);
        empty when no values are shown.
    values : dict of str -> PathCollection
        The printed values as drawn (``"input"``, ``"weights"``, ``"output"``):
        one collection of glyph outlines each, in the order of the dicts above.
    title, caption : Text
    legend : Legend
    """

    fig: object
    ax: object
    in_size: tuple
    kernel: tuple
    stride: tuple
    dilation: tuple
    padding: tuple
    out_size: tuple
    position: tuple
    output_origin: tuple
    cells: dict
    window: list
    window_box: object
    highlight: object
    input_texts: dict
    output_texts: dict
    weight_texts: dict
    values: dict
    title: object
    caption: object
    legend: object


def _gap(scan: _Scan) -> float:
    """Cells between the input and the output grid: at least _GAP, more for a long input label."""
    label_cells = _text_inches(scan.input_label, _LABEL_FONT) / _CELL_INCH
    return max(_GAP, round(label_cells - scan.canvas[1] + 0.6, 1))


def _layout(scan: _Scan):
    """Data extent (width, height) of the drawing, in cells."""
    hc, wc = scan.canvas
    ho, wo = scan.out_size
    return wc + _gap(scan) + wo, max(hc, ho)


def _n_caption_lines(scan: _Scan) -> int:
    if scan.out_values is None:
        return 0
    taps = scan.kernel[0] * scan.kernel[1]
    return 1 if taps <= 9 else scan.kernel[0]


def _text_inches(text: str, size: float, mono: bool = False) -> float:
    """Rough width of ``text`` (its longest line) at ``size`` points, in inches."""
    longest = max((len(line) for line in text.split("\n")), default=0)
    return longest * size * (0.6 if mono else 0.57) / 72


def _figsize(scan: _Scan) -> tuple[float, float, float, float]:
    """(width, height, top margin, bottom margin) in inches of a figure made for ``scan``.

    Wide enough for the grids and for every text beside them: the labels, the
    title, the legend and the caption of every position.
    """
    width, height = _layout(scan)
    top_in = 0.12 + 0.21 * (scan.title.count("\n") + 1)
    bottom_in = 0.45 + 0.19 * _n_caption_lines(scan)
    cell = _CELL_INCH if max(width, height) <= 26 else 12.0 / max(width, height)
    need = [(width + 0.6) * cell,
            _text_inches(scan.input_label, _LABEL_FONT),
            (scan.canvas[1] + _gap(scan) + 0.3) * cell + _text_inches(scan.output_label, _LABEL_FONT),
            _text_inches(scan.title, 11)]
    if scan.out_values is not None:
        n = scan.out_size[0] * scan.out_size[1]
        for k in range(0, n, max(1, n // 64)):
            pos = divmod(k, scan.out_size[1])
            text = scan.caption(pos, scan.taps(pos))
            need.append(_text_inches(text, 10, mono="\n" in text))
    labels = [label for label, _ in scan.legend] + ["window", "output being computed"]
    need.append(sum(len(label) + 5 for label in labels) * 8.5 * 0.57 / 72)
    w_in = max(max(need) / 0.94 + 0.1, 4.0)
    h_in = height * cell + top_in + bottom_in
    return w_in, h_in, top_in, bottom_in


def _new_axes(scan: _Scan, fig=None):
    """A figure sized for ``scan``: pyplot's (shown inline) or, with ``fig``, that bare Figure."""
    w_in, h_in, top_in, bottom_in = _figsize(scan)
    if fig is None:
        import matplotlib.pyplot as plt
        fig = plt.figure(figsize=(w_in, h_in))
    else:
        fig.set_size_inches(w_in, h_in)
    fig.subplots_adjust(left=0.03, right=0.97, top=1 - top_in / h_in, bottom=bottom_in / h_in)
    return fig, fig.add_subplot()


def _font_size(ax, xrange, yrange) -> float:
    """A font size (points) that fits a short number in one cell of this axes."""
    bbox = ax.get_position()
    w_in, h_in = ax.figure.get_size_inches()
    pts = min(bbox.width * w_in * 72 / xrange, bbox.height * h_in * 72 / yrange)
    return float(np.clip(0.34 * pts, _FONT_MIN, _FONT_MAX))


def _fit(text: str, size: float) -> float:
    """Shrink long numbers so they stay inside their cell."""
    return max(size * min(1.0, 4.2 / max(len(text), 1)), _FONT_MIN)


@lru_cache(maxsize=8192)
def _glyph_path(text: str, size: float, bold: bool, anchor: str) -> Path:
    """Outline of ``text`` at ``size`` points, anchored at (0, 0) by its centre or top left.

    Vertical placement uses the height of a digit, not the ink of ``text``, so
    "1", "−1" and "0.5" share a baseline.
    """
    prop = FontProperties(weight="bold" if bold else "normal")
    path = TextPath((0, 0), text, size=size, prop=prop)
    ext = path.get_extents()
    digit = TextPath((0, 0), "0", size=size, prop=prop).get_extents().y1
    if anchor == "center":
        shift = (-(ext.x0 + ext.x1) / 2, -digit / 2)
    else:  # "top left"
        shift = (-ext.x0, -digit)
    return path.transformed(Affine2D().translate(*shift))


def _text_collection(ax, items, anchor, size) -> PathCollection:
    """Many short texts as one artist: items are (x, y, text, bold, colour), x, y in data.

    All texts get one size, ``size`` shrunk to fit the longest in a cell.
    """
    size = round(_fit(max((t for _, _, t, _, _ in items), key=len, default=""), size), 1)
    paths = [_glyph_path(t, size, bold, anchor) for _, _, t, bold, _ in items]
    coll = PathCollection(
        paths, offsets=np.array([(x, y) for x, y, *_ in items]).reshape(-1, 2),
        offset_transform=ax.transData,
        # glyphs are in points: points -> inches -> pixels, following the figure's dpi
        transform=Affine2D().scale(1 / 72) + ax.figure.dpi_scale_trans,
        facecolors=[c for *_, c in items], edgecolors="none", zorder=6)
    return ax.add_collection(coll, autolim=False)


def _render(scan: _Scan, position, ax, show_values, progress, fn) -> ScanDrawing:
    position = _position(fn, position, scan.out_size)
    if ax is None:
        fig, ax = _new_axes(scan)
    else:
        fig = ax.figure
        ax.clear()
    hc, wc = scan.canvas
    ho, wo = scan.out_size
    width, height = _layout(scan)
    ox, oy = wc + _gap(scan), 0.0
    label_lines = scan.input_label.count("\n") + 1
    ax.set_xlim(-0.3, width + 0.3)
    ax.set_ylim(height + 0.3, -0.3 - 0.75 * label_lines)
    ax.set_aspect("equal")
    ax.set_anchor("W")  # grids on the left; labels and caption may run on to the right
    ax.set_axis_off()
    fs = _font_size(ax, width + 0.6, height + 0.6 + 0.75 * label_lines)
    show = show_values and fs > _FONT_MIN

    # --- input canvas: one collection per kind of cell --------------------
    cells = {}
    styles = {
        _INPUT: dict(facecolor=_INPUT_FACE, edgecolor=_CELL_EDGE, linewidth=0.8),
        _PAD: dict(facecolor=_PAD_FACE, edgecolor=_PAD_EDGE, hatch="///", linewidth=0.6),
        _INSERTED: dict(facecolor=_INSERTED_FACE, edgecolor=_PAD_EDGE, hatch="..", linewidth=0.6,
                        linestyle=(0, (1.5, 1.5))),
        _CROPPED: dict(facecolor=(1, 1, 1, 0.65), edgecolor=_PAD_EDGE, linewidth=0.6),
    }
    names = {_INPUT: "input", _PAD: "padding", _INSERTED: "inserted"}
    for kind in (_PAD, _INSERTED, _INPUT):
        rows, cols = np.nonzero(scan.cell_kind == kind)
        cells[names[kind]] = ax.add_collection(
            PolyCollection(_cell_verts(rows, cols), zorder=1, **styles[kind]), autolim=False)
    if scan.reached is not None and not scan.reached.all():
        rows, cols = np.nonzero(~scan.reached)
        cells["cropped"] = ax.add_collection(PolyCollection(
            _cell_verts(rows, cols), zorder=1.5, **styles[_CROPPED]), autolim=False)

    # --- output grid --------------------------------------------------------
    orows, ocols = np.divmod(np.arange(ho * wo), wo)
    cells["output"] = ax.add_collection(PolyCollection(
        _cell_verts(orows, ocols, ox, oy), facecolor=_OUTPUT_FACE, edgecolor=_CELL_EDGE,
        linewidth=0.8, zorder=1), autolim=False)
    p, q = position
    highlight = ax.add_patch(Rectangle((ox + q, oy + p), 1, 1, facecolor=_CURRENT_FACE,
                                       edgecolor=VERMILLION, linewidth=2.5, zorder=3))

    # --- the window ----------------------------------------------------------
    trows, tcols = scan.taps(position)
    # Opaque taps that keep the hatch of the cell below: padding stays recognisable.
    window = [ax.add_patch(Rectangle((c, r), 1, 1, facecolor=_WINDOW_FACE, edgecolor=VERMILLION,
                                     hatch=styles[scan.cell_kind[r, c]].get("hatch"),
                                     linewidth=1.8, zorder=2))
              for r, c in zip(trows, tcols)]
    r0, c0 = trows.min(), tcols.min()
    span = (trows.max() - r0 + 1, tcols.max() - c0 + 1)
    dilated = scan.dilation != (1, 1)
    window_box = ax.add_patch(Rectangle((c0, r0), span[1], span[0], fill=False, edgecolor=VERMILLION,
                                        linewidth=2.0 if dilated else 3.0,
                                        linestyle=(0, (4, 2)) if dilated else "-", zorder=4))

    # --- values: one collection of glyph outlines per style -----------------
    # (one ax.text per cell would be ~10x slower to draw: too slow for a slider)
    input_texts, output_texts, weight_texts = {}, {}, {}
    values = {}
    if show and scan.canvas_values is not None:
        # The zeros of padding and zero insertion are printed only under the
        # window, where they enter the sum; elsewhere their hatching says "zero".
        under = np.zeros(scan.canvas, bool)
        under[trows, tcols] = True
        items = []
        for (r, c), v in np.ndenumerate(scan.canvas_values):
            kind = scan.cell_kind[r, c]
            if kind != _INPUT and not under[r, c]:
                continue
            text = scan.pad_text if kind == _PAD else _num(v)
            input_texts[r, c] = text
            plain = kind == _INPUT and (scan.reached is None or scan.reached[r, c])
            items.append((c + 0.5, r + 0.5, text, kind == _INPUT, BLACK if plain else _MUTED_TEXT))
        values["input"] = _text_collection(ax, items, "center", fs)
    if show and scan.weights is not None:
        wfs = max(0.66 * fs, _FONT_MIN)
        items = []
        for (i, j), v in np.ndenumerate(scan.weights):
            k = i * scan.kernel[1] + j
            text = "×" + _num(v, 2)
            weight_texts[i, j] = text
            items.append((tcols[k] + 0.07, trows[k] + 0.08, text, True, _WEIGHT_COLOR))
        values["weights"] = _text_collection(ax, items, "top left", wfs * 1.1)
    if show and scan.out_values is not None:
        current = p * wo + q
        items = []
        for (i, j), v in np.ndenumerate(scan.out_values):
            if progress and i * wo + j > current:
                continue
            text = _num(v)
            output_texts[i, j] = text
            items.append((ox + j + 0.5, oy + i + 0.5, text, (i, j) == (p, q), BLACK))
        values["output"] = _text_collection(ax, items, "center", fs)

    # --- labels, caption, legend ----------------------------------------------
    lfs = max(min(fs, _LABEL_FONT), 8.0)
    ax.text(0, -0.25, scan.input_label, ha="left", va="bottom", fontsize=lfs)
    ax.text(ox, -0.25, scan.output_label, ha="left", va="bottom", fontsize=lfs)
    title = ax.set_title(scan.title, fontsize=11, loc="left", y=1.0, pad=4)  # fixed y: no tick layout
    # Below the grids: the caption, then the legend in one row.
    text = scan.caption(position, (trows, tcols)) if (scan.caption and show) else ""
    cfs = 10.0
    caption = ax.text(0.0, -0.01, text, transform=ax.transAxes, ha="left", va="top", fontsize=cfs,
                      family="DejaVu Sans Mono" if "\n" in text else None)
    n_lines = text.count("\n") + 1 if text else 0
    ax_pts = ax.get_position().height * fig.get_size_inches()[1] * 72
    handles = [Patch(label=label, **{k: v for k, v in styles[kind].items() if k != "linewidth"})
               for label, kind in scan.legend]
    handles += [Patch(facecolor=_WINDOW_FACE, edgecolor=VERMILLION, label="window"),
                Patch(facecolor=_CURRENT_FACE, edgecolor=VERMILLION, label="output being computed")]
    legend = ax.legend(handles=handles, loc="upper left", fontsize=8.5, frameon=False,
                       ncol=len(handles), handlelength=1.4, columnspacing=1.2, borderaxespad=0.0,
                       bbox_to_anchor=(0.0, -0.03 - n_lines * 1.25 * cfs / ax_pts))
    return ScanDrawing(
        fig=fig, ax=ax, in_size=scan.in_size, kernel=scan.kernel, stride=scan.stride,
        dilation=scan.dilation, padding=scan.padding, out_size=scan.out_size, position=position,
        output_origin=(ox, oy), cells=cells, window=window, window_box=window_box,
        highlight=highlight, input_texts=input_texts, output_texts=output_texts,
        weight_texts=weight_texts, values=values, title=title, caption=caption, legend=legend,
    )


# ---------------------------------------------------------------------------
# Public drawing functions
# ---------------------------------------------------------------------------

def draw_conv(input_size=None, kernel_size=None, stride=1, padding=0, dilation=1, position=None,
              x=None, w=None, ax=None, show_values=True, progress=False, b=None) -> ScanDrawing:
    r"""Draw a convolution: padded input, kernel window at one output position, output.

    The window at output :math:`(p, q)` covers input rows
    :math:`pS_h - P_{top} + iD_h` and columns :math:`qS_w - P_{left} + jD_w`
    (:func:`cnnedu.functional.conv2d`); the title shows the output-size formula
    of :func:`cnnedu.sizes.conv_output_size` with the numbers substituted.

    Parameters
    ----------
    input_size, kernel_size : int or (int, int), optional
        Taken from ``x.shape`` / ``w.shape`` when omitted.
    stride, dilation : int or (int, int)
    padding : int, (int, int), ((top, bottom), (left, right)), "valid", "same" or "full"
    position : (int, int) or int, optional
        Output cell ``(row, col)`` being computed, or its index in scan order;
        default the first.
    x : array_like, shape (H, W), optional
        Input values, printed in the cells.
    w : array_like, shape (K_h, K_w), optional
        Kernel values, printed in the window's cells (blue, ``×w``).  With both
        ``x`` and ``w`` the output values (from :func:`cnnedu.functional.conv2d`)
        and the arithmetic of the highlighted cell are shown too.
    ax : matplotlib Axes, optional
        Drawn into after clearing it (the drawing owns the whole axes); by
        default a new pyplot figure sized to fit.  The caption and legend sit
        just below the axes.
    show_values : bool
        Print values (when given and the cells are large enough to hold them).
    progress : bool
        Leave the output cells after ``position`` (in scan order) empty, as if
        the scan had only got this far.
    b : float, optional
        Bias added to every output.

    Returns
    -------
    ScanDrawing
        The figure, axes and every artist drawn.

    Examples
    --------
    The lecture's 5x5 binary image and 3x3 filter, stride 2, third output:

    >>> import numpy as np
    >>> image = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1],
    ...                   [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
    >>> filt = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    >>> d = draw_conv(x=image, w=filt, stride=2, position=(1, 0))
    >>> d.output_texts                      # the values printed in the output cells
    {(0, 0): '4', (0, 1): '4', (1, 0): '2', (1, 1): '4'}
    >>> d.title.get_text().splitlines()[1]
    'output size (each side): ⌊(5 + 0 + 0 − 3)/2⌋ + 1 = 2'
    """
    scan = _conv_scan("draw_conv", input_size, kernel_size, stride, padding, dilation, x, w, b)
    return _render(scan, position, ax, show_values, progress, "draw_conv")


def draw_pool(input_size=None, kernel_size=2, stride=None, padding=0, position=None, x=None,
              mode="max", p=2.0, ax=None, show_values=True, progress=False) -> ScanDrawing:
    r"""Draw a pooling layer: input, pooling window at one output position, output.

    Values come from :func:`cnnedu.functional.max_pool2d`, ``avg_pool2d`` or
    ``lp_pool2d``, the size from :func:`cnnedu.sizes.pool_output_size`.  Max
    pooling pads with :math:`-\infty`, mean pooling with zeros that count in the
    mean; p-norm pooling takes no padding.

    Parameters
    ----------
    input_size : int or (int, int), optional
        Taken from ``x.shape`` when omitted.
    kernel_size : int or (int, int)
        The pooling window.
    stride : int or (int, int), optional
        Defaults to ``kernel_size`` (non-overlapping windows).
    padding : int, (int, int), ((top, bottom), (left, right)), "valid" or "same"
    position : (int, int) or int, optional
        Output cell being computed (or its scan-order index); default the first.
    x : array_like, shape (H, W), optional
        Input values; with them the outputs and the highlighted cell's arithmetic
        are shown.
    mode : {"max", "mean", "lp"}
    p : float
        The norm's power for ``mode="lp"``, >= 1.
    ax, show_values, progress
        As in :func:`draw_conv`.

    Returns
    -------
    ScanDrawing

    Examples
    --------
    The lecture's 4x4 depth slice, 2x2 max pooling with stride 2:

    >>> x = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]
    >>> d = draw_pool(x=x, kernel_size=2, position=(0, 1))
    >>> d.caption.get_text()
    'y[0, 1] = max(2, 4, 7, 8) = 8'
    """
    scan = _pool_scan("draw_pool", input_size, kernel_size, stride, padding, x, mode, p)
    return _render(scan, position, ax, show_values, progress, "draw_pool")


def draw_transposed_conv(input_size=None, kernel_size=None, stride=1, padding=0, output_padding=0,
                         dilation=1, position=None, x=None, w=None, ax=None, show_values=True,
                         progress=False, b=None) -> ScanDrawing:
    r"""Draw a transposed convolution as "fill in zeros, then convolve".

    The input is upsampled by inserting :math:`S-1` zeros between neighbouring
    samples (size :math:`(N-1)S+1`), padded with :math:`D(M-1)-P_{lo}` zeros
    before and :math:`D(M-1)-P_{hi}+\text{output\_padding}` after (a negative
    count crops instead: those cells are drawn faded, no window reaches them),
    and scanned with stride 1 by the *flipped* kernel.  The result equals
    :func:`cnnedu.functional.conv_transpose2d`, whose values are shown; the size
    is :func:`cnnedu.sizes.conv_transpose_output_size`.

    Parameters
    ----------
    input_size, kernel_size : int or (int, int), optional
        Taken from ``x.shape`` / ``w.shape`` when omitted.
    stride, dilation : int or (int, int)
    padding : int, (int, int), ((top, bottom), (left, right)), "valid" or "same"
        The padding of the convolution being transposed: it crops the output.
    output_padding : int or (int, int)
        Extra rows/columns at the bottom/right, smaller than stride or dilation.
    position : (int, int) or int, optional
        Output cell being computed (or its scan-order index); default the first.
    x : array_like, shape (H, W), optional
    w : array_like, shape (K_h, K_w), optional
        The transposed convolution's kernel; the window shows it flipped.
    ax, show_values, progress, b
        As in :func:`draw_conv`.

    Returns
    -------
    ScanDrawing
        ``cells["input"]`` holds the original samples, ``cells["inserted"]`` the
        inserted zeros, ``cells["padding"]`` the padding.

    Examples
    --------
    A 2x2 input, 3x3 kernel, stride 2: 2 -> 5 along each side.

    >>> d = draw_transposed_conv(2, 3, stride=2)
    >>> d.out_size
    (5, 5)
    >>> len(d.cells["input"].get_paths()), len(d.cells["inserted"].get_paths())
    (4, 5)
    """
    scan = _transposed_scan("draw_transposed_conv", input_size, kernel_size, stride, padding,
                            output_padding, dilation, x, w, b)
    return _render(scan, position, ax, show_values, progress, "draw_transposed_conv")
