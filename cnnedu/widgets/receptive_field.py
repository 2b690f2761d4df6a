r"""Which input pixels one output sees: :func:`receptive_field` and :class:`ReceptiveFieldExplorer`.

Along one spatial dimension, a stack of layers with kernel :math:`k_l`, stride
:math:`s_l` and dilation :math:`d_l` has receptive field :math:`r_L` and jump
(the input distance between neighbouring units) :math:`j_L`:

.. math::

    r_0 = 1,\quad j_0 = 1,\qquad
    r_l = r_{l-1} + (k_l - 1)\, d_l\, j_{l-1},\qquad j_l = j_{l-1}\, s_l .

The explorer checks the formula against back-propagation: a one-hot gradient at
one output unit, pushed back through the stack with the backward passes of
:mod:`cnnedu.functional`, is non-zero exactly on the pixels that unit sees.
"""

from __future__ import annotations

import html

import ipywidgets as W
import numpy as np
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.patches import Rectangle

from .. import functional as F
from .. import sizes
from ..sizes import receptive_field
from .._checks import check_int
from ..viz.colors import BLACK, BLUE, VERMILLION, _tint
from ..viz.colors import ORANGE as _ORANGE
from ._base import Explorer, dropdown, plain_message, set_range, slider

__all__ = ["receptive_field", "ReceptiveFieldExplorer"]


def backprop_one_hot(layers, input_size: int, position) -> list[np.ndarray]:
    """Push a one-hot gradient at output ``position`` back through ``layers`` (no padding).

    Convolutions use all-ones kernels and pooling layers mean pooling's backward
    pass (scaled by the window size), so every gradient is a count of the paths
    from a unit to the output unit, and it is non-zero exactly where the unit
    can influence the output.  (Max pooling's gradient would reach only the
    winner of each window, which depends on the input values: the *effective*
    field of one input, not the geometric one.)

    Parameters
    ----------
    layers : sequence of (kind, kernel, stride, dilation), kind "conv" or "pool"
    input_size : int
        Square input.
    position : (int, int)
        Output unit.

    Returns
    -------
    list of ndarray
        The gradient at the input, after each layer, ..., at the output (the one-hot).
    """
    side = [input_size]
    for kind, k, s, d in layers:
        side.append(sizes.conv_output_size(side[-1], k, s, 0, d) if kind == "conv"
                    else sizes.pool_output_size(side[-1], k, s, 0))
    dy = np.zeros((1, 1, side[-1], side[-1]))
    dy[0, 0, position[0], position[1]] = 1.0
    grads = [dy[0, 0]]
    for (kind, k, s, d), n in zip(reversed(layers), reversed(side[:-1])):
        x = np.zeros((1, 1, n, n))  # only its shape matters for the input gradient
        if kind == "conv":
            dy = F.conv2d_backward(dy, x, np.ones((1, 1, k, k)), stride=s, dilation=d)[0]
        else:
            dy = F.avg_pool2d_backward(dy, x, k, s) * (k * k)
        grads.append(dy[0, 0])
    return grads[::-1]


def _bbox(mask: np.ndarray):
    """((first row, last row), (first col, last col)) of the True cells, or None."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return (int(rows[0]), int(rows[-1])), (int(cols[0]), int(cols[-1]))


_CMAP = LinearSegmentedColormap.from_list("cnnedu_field", [_tint(_ORANGE, 0.3), VERMILLION]).with_extremes(
    bad="white")

_DEFAULT_LAYERS = (("conv", 3, 1, 1), ("conv", 3, 1, 1), ("pool", 2, 2, 1), ("conv", 3, 1, 1))
MAX_LAYERS = len(_DEFAULT_LAYERS)


class _LayerControls:
    """One row of the stack: kind, kernel, stride, dilation."""

    def __init__(self, i: int, kind: str, kernel: int, stride: int, dilation: int):
        fn = "ReceptiveFieldExplorer"
        name = f"layer{i + 1}"
        self.kind = dropdown(f"{name}-kind", f"layer {i + 1}", ["conv", "pool"], kind)
        self.kind.layout.width = "210px"
        self.kernel = slider(f"{name}-kernel", "k", kernel, 1, 7, fn=fn)
        self.stride = slider(f"{name}-stride", "s", stride, 1, 3, fn=fn)
        self.dilation = slider(f"{name}-dilation", "d", dilation, 1, 3, fn=fn)
        for s in (self.kernel, self.stride, self.dilation):
            s.style.description_width = "14px"
            s.layout.width = "200px"
        self.box = W.HBox([self.kind, self.kernel, self.stride, self.dilation])

    @property
    def controls(self):
        return (self.kind, self.kernel, self.stride, self.dilation)

    @property
    def spec(self) -> tuple:
        """(kind, kernel, stride, dilation); a pooling layer has dilation 1."""
        conv = self.kind.value == "conv"
        self.dilation.disabled = not conv
        return (self.kind.value, self.kernel.value, self.stride.value, self.dilation.value if conv else 1)


class ReceptiveFieldExplorer(Explorer):
    r"""Stack up to four layers and see which input pixels one output unit sees.

    The receptive field is computed twice: by the formula
    (:func:`receptive_field`, the dashed box) and by back-propagating a one-hot
    gradient at the chosen output unit through the stack with
    :mod:`cnnedu.functional` (coloured: the number of paths from each pixel to
    the unit).  Without padding the field of unit :math:`(p, q)` is rows
    :math:`p j, \dots, p j + r - 1` and columns :math:`q j, \dots, q j + r - 1`;
    ``agree`` says whether the non-zero gradient spans exactly that box.

    Parameters
    ----------
    input_size : int
        Side of the square input.
    layers : sequence of (kind, kernel, stride, dilation), optional
        Up to four layers, kind ``"conv"`` or ``"pool"``; by default
        conv 3, conv 3, pool 2 (stride 2), conv 3.
    n_layers : int, optional
        How many of them are used (default: all given, or 3 of the default).
    position : int
        Output unit in scan order.

    Attributes
    ----------
    input_size, n_layers, position : ipywidgets.IntSlider
    layers : list of objects with ``kind`` (Dropdown), ``kernel``, ``stride``, ``dilation`` (IntSlider)
    layer_specs : list of (kind, kernel, stride, dilation)
        The layers in use.
    layer_sizes : list of int
        Side of the input and of every layer's output (:mod:`cnnedu.sizes`).
    output_size : (int, int) or None
    size, jump : int
        :math:`r_L` and :math:`j_L` from :func:`receptive_field`.
    fields : list of (int, int)
        :math:`(r_l, j_l)` for the input and each layer.
    box_formula, box_backprop : ((int, int), (int, int))
        First and last row, first and last column of the field.
    agree : bool
    gradients : list of ndarray
        Back-propagated gradients, input first; ``gradient`` is ``gradients[0]``.
    formula : str
        E.g. ``"r = 1 + (3 − 1)·1·1 + (3 − 1)·1·1 = 5"``.
    message : str

    Examples
    --------
    >>> ex = ReceptiveFieldExplorer(input_size=12, n_layers=2)
    >>> ex.size, ex.jump, ex.agree
    (5, 1, True)
    >>> ex.formula
    'r = 1 + (3 − 1)·1·1 + (3 − 1)·1·1 = 5'
    """

    def __init__(self, input_size=16, layers=None, n_layers=None, position=0):
        fn = "ReceptiveFieldExplorer"
        super().__init__((10.0, 4.0))
        given = list(_DEFAULT_LAYERS if layers is None else layers)
        if not 1 <= len(given) <= MAX_LAYERS:
            raise ValueError(f"{fn}: layers must hold 1 to {MAX_LAYERS} layers, got {len(given)}")
        for i, spec in enumerate(given):
            if not isinstance(spec, (tuple, list)) or len(spec) != 4 or spec[0] not in ("conv", "pool"):
                raise ValueError(f"{fn}: layers[{i}] must be (kind, kernel, stride, dilation) with kind "
                                 f"'conv' or 'pool', got {spec!r}")
        if n_layers is None:
            n_layers = 3 if layers is None else len(given)
        n_layers = check_int(fn, "n_layers", n_layers, 1, len(given))
        rows = given + list(_DEFAULT_LAYERS[len(given):])
        self.input_size = slider("input-size", "input N", input_size, 4, 48, fn=fn)
        self.n_layers = slider("n-layers", "layers", n_layers, 1, MAX_LAYERS, fn=fn)
        self.layers = [_LayerControls(i, *spec) for i, spec in enumerate(rows)]
        self.position = slider("position", "output unit", check_int(fn, "position", position, 0), 0,
                               max(position, 0), continuous=True, fn=fn)
        self.size_label = W.HTML("")
        self.size_label.add_class("cnnedu-output-size")
        self.field_label = W.HTML("")
        self.field_label.add_class("cnnedu-receptive-field")
        self.formula_label = W.HTML("")
        self.formula_label.add_class("cnnedu-formula")
        self._reset_state()

        self._watch(self.input_size, self.n_layers, self.position,
                    *(c for layer in self.layers for c in layer.controls))
        top = W.HBox([W.VBox([self.input_size, self.n_layers, self.position]),
                      W.VBox([self.size_label, self.field_label, self.formula_label, self.message_label],
                             layout=W.Layout(padding="0 0 0 24px"))])
        self.widget = W.VBox([top, *(layer.box for layer in self.layers), self.view])
        self.widget.add_class("cnnedu-explorer")
        self.update()

    def _reset_state(self):
        self.layer_specs, self.layer_sizes, self.fields, self.gradients = [], [], [], []
        self.output_size = self.size = self.jump = None
        self.box_formula = self.box_backprop = None
        self.agree = False
        self.formula = self.jump_formula = ""

    @property
    def gradient(self):
        """The back-propagated gradient at the input (path counts), or None."""
        return self.gradients[0] if self.gradients else None

    def _refresh(self) -> None:
        self._reset_state()
        n_layers = self.n_layers.value
        for i, layer in enumerate(self.layers):
            layer.box.layout.display = "" if i < n_layers else "none"
        self.layer_specs = [layer.spec for layer in self.layers[:n_layers]]
        message = ""
        try:
            self._compute()
        except ValueError as exc:
            message = plain_message(exc)
            set_range(self.position, 0)
            self.position.disabled = True
            self.fig.clear()
            self._draw_nothing(self.fig.add_subplot(), message)
        else:
            self._draw()
        self._set_message(message)
        self._labels()

    def _compute(self) -> None:
        side = [self.input_size.value]
        for i, (kind, k, s, d) in enumerate(self.layer_specs):
            try:
                side.append(sizes.conv_output_size(side[-1], k, s, 0, d) if kind == "conv"
                            else sizes.pool_output_size(side[-1], k, s, 0))
            except ValueError as exc:
                raise ValueError(f"layer {i + 1} ({kind}): {plain_message(exc)}") from None
        self.layer_sizes = side
        out = side[-1]
        self.output_size = (out, out)
        set_range(self.position, out * out - 1)
        self.position.disabled = False
        p, q = divmod(self.position.value, out)

        geometry = [(k, s, d) for _, k, s, d in self.layer_specs]
        self.fields = [receptive_field(geometry[:l]) for l in range(len(geometry) + 1)]
        self.size, self.jump = self.fields[-1]
        r, j = self.size, self.jump
        self.box_formula = ((p * j, p * j + r - 1), (q * j, q * j + r - 1))
        self.gradients = backprop_one_hot(self.layer_specs, side[0], (p, q))
        self.box_backprop = _bbox(self.gradients[0] > 0)
        self.agree = self.box_formula == self.box_backprop

        terms = [f"({k} − 1)·{d}·{jp}" for (k, _, d), (_, jp) in zip(geometry, self.fields[:-1])]
        self.formula = f"r = 1 + {' + '.join(terms)} = {r}"
        self.jump_formula = "j = " + "·".join(str(s) for _, s, _ in geometry) + f" = {j}"

    def _labels(self) -> None:
        if self.output_size is None:
            self.size_label.value = "<b>no output</b>"
            self.field_label.value = ""
            self.formula_label.value = ""
            return
        self.size_label.value = f"<b>output {self.output_size[0]}×{self.output_size[1]}</b>"
        verdict = ("formula and back-propagation agree ✓" if self.agree
                   else "formula and back-propagation DISAGREE")
        self.field_label.value = html.escape(
            f"receptive field {self.size}×{self.size}, jump {self.jump}: {verdict}")
        self.formula_label.value = "<br>".join(html.escape(line) for line in (
            "r_l = r_{l−1} + (k_l − 1)·d_l·j_{l−1},  j_l = j_{l−1}·s_l", self.formula, self.jump_formula))

    def _draw(self) -> None:
        fig = self.fig
        fig.clear()
        n = len(self.layer_sizes)
        # Panels as wide as their maps, but wide enough for a title even when a map is tiny.
        widest = max(self.layer_sizes)
        gs = fig.add_gridspec(1, n, width_ratios=[max(m, 0.4 * widest) for m in self.layer_sizes],
                              wspace=0.12, left=0.02, right=0.98, top=0.76, bottom=0.03)
        p, q = divmod(self.position.value, self.layer_sizes[-1])
        for i, (m, g) in enumerate(zip(self.layer_sizes, self.gradients)):
            ax = fig.add_subplot(gs[0, i])
            ax.imshow(np.ma.masked_equal(g, 0), cmap=_CMAP, vmin=0, vmax=max(float(g.max()), 1.0),
                      interpolation="nearest")
            ax.set_xlim(-0.5, m - 0.5)
            ax.set_ylim(m - 0.5, -0.5)
            ax.set_xticks([])
            ax.set_yticks([])
            if m <= 32:
                edges = np.arange(m + 1) - 0.5
                ax.vlines(edges, -0.5, m - 0.5, color="#BBBBBB", linewidth=0.5)
                ax.hlines(edges, -0.5, m - 0.5, color="#BBBBBB", linewidth=0.5)
            r, j = self.fields[i]
            if i == 0:
                title = f"input\n{m}×{m}\nr = {r}, j = {j}"
                (r0, r1), (c0, c1) = self.box_formula
                ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0 + 1, r1 - r0 + 1, fill=False,
                                       edgecolor=BLUE, linewidth=2.2, linestyle=(0, (4, 2))))
            else:
                kind, k, s, d = self.layer_specs[i - 1]
                what = f"{i}: {kind} {k}×{k}, s {s}" + (f", d {d}" if kind == "conv" else "")
                title = f"{what}\n{m}×{m}\nr = {r}, j = {j}"
            if i == n - 1:
                ax.add_patch(Rectangle((q - 0.5, p - 0.5), 1, 1, fill=False, edgecolor=BLACK, linewidth=2.2))
            ax.set_title(title, fontsize=8.5)
        fig.suptitle(f"output unit ({p}, {q}): coloured = gradient ≠ 0 (paths to the unit), "
                     f"dashed = formula's {self.size}×{self.size} box", fontsize=10, x=0.02, ha="left")
