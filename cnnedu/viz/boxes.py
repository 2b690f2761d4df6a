"""Canvases with their bounding boxes, true and predicted: :func:`plot_boxes`.

Boxes are ``(x_min, y_min, x_max, y_max)`` normalised to ``[0, 1]``, the format
of :mod:`cnnedu.data.localization`; a box is drawn over the pixels it covers
(pixel ``c`` spans ``[c - 0.5, c + 0.5]`` in matplotlib's image coordinates).
The true box is solid blue, the predicted one dashed vermillion, so the two are
told apart by line style as well as by colour.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_numeric
from .colors import BLUE, VERMILLION

__all__ = ["plot_boxes"]


def _boxes(fn: str, name: str, boxes, n: int):
    if boxes is None:
        return None
    b = as_numeric(fn, name, boxes).astype(np.float64)
    if b.shape != (n, 4):
        raise ValueError(f"{fn}: {name} must have shape ({n}, 4), one box per image, got {b.shape}")
    if not np.isfinite(b).all():
        raise ValueError(f"{fn}: {name} contains NaN or inf")
    return b


def plot_boxes(images, boxes=None, predicted=None, titles=None, ncols=None, fig=None):
    """Draw each image with its true box (solid) and predicted box (dashed).

    Parameters
    ----------
    images : array_like, shape (N, 1, H, W) or (N, H, W)
    boxes, predicted : array_like, shape (N, 4), optional
        True and predicted boxes, normalised ``(x_min, y_min, x_max, y_max)``.
    titles : sequence of str, optional
        One per image (e.g. the true and predicted class and the IoU).
    ncols : int, optional
        Images per row (default up to 8).
    fig : matplotlib Figure, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> fig = plot_boxes(np.zeros((2, 1, 10, 10)), [[0.1, 0.1, 0.5, 0.6]] * 2, [[0.2, 0.1, 0.5, 0.7]] * 2)
    >>> len(fig.axes), len(fig.axes[0].patches)
    (2, 2)
    """
    from matplotlib.patches import Rectangle

    from .maps import _grid_axes

    fn = "plot_boxes"
    x = as_numeric(fn, "images", images)
    if x.ndim == 4 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 3 or 0 in x.shape:
        raise ValueError(f"{fn}: images must have shape (N, 1, H, W) or (N, H, W), got {np.shape(images)}")
    n, h, w = x.shape
    true_boxes = _boxes(fn, "boxes", boxes, n)
    pred_boxes = _boxes(fn, "predicted", predicted, n)
    if titles is not None and len(titles) != n:
        raise ValueError(f"{fn}: titles must have one entry per image ({n}), got {len(titles)}")
    fig, axes = _grid_axes(fn, n, ncols, fig, 1.5)
    for i in range(n):
        ax = axes.flat[i]
        ax.imshow(x[i], cmap="gray_r", vmin=0, vmax=max(1.0, float(x[i].max())), interpolation="nearest")
        for b, colour, style in ((true_boxes, BLUE, "-"), (pred_boxes, VERMILLION, "--")):
            if b is None:
                continue
            x0, y0, x1, y1 = b[i] * [w, h, w, h] - 0.5
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=colour,
                                   linewidth=1.8, linestyle=style))
        ax.set_xlim(-0.5, w - 0.5)
        ax.set_ylim(h - 0.5, -0.5)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    return fig
