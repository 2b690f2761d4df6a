"""Grids of feature maps and filters: :func:`plot_feature_maps`, :func:`plot_filters`."""

from __future__ import annotations

import numpy as np

from .._checks import as_real_array, check_int
from .colors import DIVERGING_CMAP, SEQUENTIAL_CMAP

__all__ = ["plot_feature_maps", "plot_filters"]


def _value_scale(a: np.ndarray, cmap):
    """(cmap, vmin, vmax): diverging and symmetric about 0 for signed data."""
    finite = a[np.isfinite(a)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if lo < 0 < hi:
        m = max(-lo, hi)
        return cmap or DIVERGING_CMAP, -m, m
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return cmap or SEQUENTIAL_CMAP, lo, hi


def _grid_axes(fn, n, ncols, fig, panel_inch):
    import matplotlib.pyplot as plt

    ncols = min(n, 8) if ncols is None else check_int(fn, "ncols", ncols, 1)
    nrows = -(-n // ncols)
    if fig is None:
        fig = plt.figure(figsize=(ncols * panel_inch + 0.8, nrows * (panel_inch + 0.3) + 0.4))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig, axes


def plot_feature_maps(maps, titles=None, ncols=None, cmap=None, colorbar=True, shared_scale=True,
                      fig=None, suptitle=None):
    """Plot a stack of feature maps ``(C, H, W)`` as a grid of images.

    Signed maps use a diverging colour map centred at 0 (``RdBu_r``); maps of
    one sign use ``cividis``.

    Parameters
    ----------
    maps : array_like, shape (C, H, W) or (H, W)
    titles : sequence of str, optional
        One per map; default ``"map 0"``, ``"map 1"``, ...
    ncols : int, optional
        Panels per row (default up to 8).
    cmap : str, optional
        Overrides the automatic choice.
    colorbar : bool
        Add a colour bar (one for all maps when ``shared_scale``).
    shared_scale : bool
        Same colour scale for every map, so maps can be compared.
    fig : matplotlib Figure, optional
        Drawn into; by default a new pyplot figure.
    suptitle : str, optional

    Returns
    -------
    fig : Figure
    axes : ndarray of Axes, shape (rows, ncols)
    images : list of AxesImage

    Examples
    --------
    >>> import numpy as np
    >>> fig, axes, images = plot_feature_maps(np.random.default_rng(0).standard_normal((4, 6, 6)))
    >>> images[0].get_cmap().name, images[0].get_clim()[0] == -images[0].get_clim()[1]
    ('RdBu_r', True)
    """
    fn = "plot_feature_maps"
    a = np.asarray(maps)
    if a.ndim == 2:
        a = a[None]
    a = as_real_array(fn, "maps", a, 3, "(C, H, W)").astype(np.float64)
    if 0 in a.shape:
        raise ValueError(f"{fn}: maps must not be empty, got shape {a.shape}")
    c = a.shape[0]
    if titles is not None and len(titles) != c:
        raise ValueError(f"{fn}: titles must have one entry per map ({c}), got {len(titles)}")
    fig, axes = _grid_axes(fn, c, ncols, fig, 1.9)
    scale = _value_scale(a, cmap) if shared_scale else None
    images = []
    for i in range(c):
        cm, vmin, vmax = scale or _value_scale(a[i], cmap)
        ax = axes.flat[i]
        im = ax.imshow(a[i], cmap=cm, vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_title(titles[i] if titles is not None else f"map {i}", fontsize=10)
        images.append(im)
        if colorbar and not shared_scale:
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    if colorbar and shared_scale:
        fig.colorbar(images[0], ax=axes.ravel().tolist(), fraction=0.03, pad=0.03)
    if suptitle:
        fig.suptitle(suptitle)
    return fig, axes, images


def plot_filters(w, ncols=None, rgb=None, cmap=None, normalize="global", colorbar=True, fig=None,
                 suptitle=None):
    r"""Plot convolution filters ``(C_out, C_in, K_h, K_w)``.

    With three input channels (and ``rgb`` not false) each filter is one RGB
    image: weights are mapped to :math:`[0, 1]` with 0 at mid-grey,
    :math:`0.5 + w / (2\max|w|)`.  Otherwise every channel is its own panel
    (rows: filters, columns: input channels; with one channel a grid of
    filters) in a diverging colour map centred at 0.

    Parameters
    ----------
    w : array_like, shape (C_out, C_in, K_h, K_w)
    ncols : int, optional
        Panels per row when each filter is one panel.
    rgb : bool, optional
        Default: ``C_in == 3``.
    cmap : str, optional
        Colour map for per-channel panels (default ``RdBu_r`` or ``cividis``).
    normalize : {"global", "filter"}
        One scale for all filters, or each filter scaled to its own ``max|w|``.
    colorbar : bool
        For per-channel panels with a global scale.
    fig : matplotlib Figure, optional
    suptitle : str, optional

    Returns
    -------
    fig : Figure
    axes : ndarray of Axes
    images : list of AxesImage

    Examples
    --------
    >>> import numpy as np
    >>> fig, axes, images = plot_filters(np.random.default_rng(0).standard_normal((6, 3, 5, 5)))
    >>> images[0].get_array().shape           # one RGB image per filter
    (5, 5, 3)
    """
    fn = "plot_filters"
    w = as_real_array(fn, "w", w, 4, "(C_out, C_in, K_h, K_w)").astype(np.float64)
    if 0 in w.shape:
        raise ValueError(f"{fn}: w must not be empty, got shape {w.shape}")
    if normalize not in ("global", "filter"):
        raise ValueError(f"{fn}: normalize must be 'global' or 'filter', got {normalize!r}")
    c_out, c_in = w.shape[:2]
    rgb = (c_in == 3) if rgb is None else bool(rgb)
    if rgb and c_in != 3:
        raise ValueError(f"{fn}: rgb=True needs 3 input channels, got w.shape {w.shape}")

    def scale_of(a):
        m = float(np.max(np.abs(a[np.isfinite(a)]))) if np.isfinite(a).any() else 0.0
        return m if m > 0 else 1.0

    images = []
    if rgb:
        fig, axes = _grid_axes(fn, c_out, ncols, fig, 1.2)
        g = scale_of(w)
        for o in range(c_out):
            m = scale_of(w[o]) if normalize == "filter" else g
            img = np.clip(0.5 + w[o].transpose(1, 2, 0) / (2 * m), 0, 1)
            ax = axes.flat[o]
            images.append(ax.imshow(img, interpolation="nearest"))
            ax.set_title(f"filter {o}", fontsize=9)
    else:
        per_channel = c_in > 1
        n = c_out * c_in
        if per_channel:
            import matplotlib.pyplot as plt
            if fig is None:
                fig = plt.figure(figsize=(c_in * 1.2 + 1.0, c_out * 1.35 + 0.4))
            axes = fig.subplots(c_out, c_in, squeeze=False)
            for ax in axes.flat:
                ax.set_xticks([])
                ax.set_yticks([])
        else:
            fig, axes = _grid_axes(fn, n, ncols, fig, 1.2)
        cm, vmin, vmax = _value_scale(w, cmap)
        for o in range(c_out):
            if normalize == "filter":
                cm, vmin, vmax = _value_scale(w[o], cmap)
            for c in range(c_in):
                ax = axes[o, c] if per_channel else axes.flat[o]
                images.append(ax.imshow(w[o, c], cmap=cm, vmin=vmin, vmax=vmax, interpolation="nearest"))
                if per_channel:
                    if o == 0:
                        ax.set_title(f"channel {c}", fontsize=9)
                    if c == 0:
                        ax.set_ylabel(f"filter {o}", fontsize=9)
                else:
                    ax.set_title(f"filter {o}", fontsize=9)
        if colorbar and normalize == "global":
            fig.colorbar(images[0], ax=[a for a in axes.ravel() if a.get_visible()], fraction=0.03, pad=0.03)
    if suptitle:
        fig.suptitle(suptitle)
    return fig, axes, images
