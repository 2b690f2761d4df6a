r"""The neocognitron (Fukushima 1980): S-cells, C-cells and learning without a teacher.

The network is a cascade of modules ``U0 -> US1 -> UC1 -> US2 -> UC2 -> ...``.
Every layer is a stack of *planes*; every cell of a plane has the same input
weights, shifted with its position (the shared weights a CNN still uses).  All
outputs are non-negative.  The lecture's equations, in its names (``n`` is a
position, ``v`` an offset inside a square connection area centred on ``n``,
``k`` a plane of the layer, ``k'`` a plane of the layer below):

S-cell (learned; feature extraction)

.. math::

    u_{Sl}(k, n) = r_l\, \varphi\!\left[\frac{1 + \sum_{k'} \sum_{v \in S_l}
        a_l(k', v, k)\, u_{Cl-1}(k', n+v)}{1 + \frac{2 r_l}{1 + r_l}\, b_l(k)\, v_{Cl-1}(n)} - 1\right],
    \qquad \varphi[x] = \max(x, 0)

inhibitory V_C-cell (a weighted root mean square of its connection area)

.. math:: v_{Cl-1}(n) = \sqrt{\sum_{k'} \sum_{v \in S_l} c_{l-1}(v)\, u_{Cl-1}(k', n+v)^2}

C-cell (fixed; tolerance to shift and deformation)

.. math::

    u_{Cl}(k, n) = \psi\!\left[\frac{1 + \sum_{v \in D_l} d_l(v)\, u_{Sl}(k, n+v)}
        {1 + v_{Sl}(n)} - 1\right], \qquad \psi[x] = \varphi\!\left[\frac{x}{\alpha + x}\right]

inhibitory V_S-cell (the mean over the planes of the C-cells' excitation)

.. math:: v_{Sl}(n) = \frac{1}{K_l} \sum_{k} \sum_{v \in D_l} d_l(v)\, u_{Sl}(k, n+v)

Learning (only the ``a_l`` and ``b_l`` change): in every S-layer, at every
presentation, each *S-column* (the cells of all planes at one position) proposes
its largest cell; of the proposals on one plane only the largest is kept, and
that *representative* at :math:`\hat n` is reinforced as if it alone had won.
Because the plane shares its weights, the whole plane learns:

.. math::

    \Delta a_l(k', v, \hat k) = q_l\, c_{l-1}(v)\, u_{Cl-1}(k', \hat n + v), \qquad
    \Delta b_l(\hat k) = \frac{q_l}{2}\, v_{Cl-1}(\hat n)

After many reinforcements by the same input ``x`` the S-cell responds to an input
``y`` with about :math:`\varphi[(1+r)s - r]`, where
:math:`s = \sum c\, x y / (\sqrt{\sum c x^2}\sqrt{\sum c y^2})` is the cosine
similarity weighted by ``c``: it fires only for inputs within the angle
:math:`s > r/(1+r)` of what it learned, and the selectivity ``r_l`` sets that
angle (``r = 4``: ``s > 0.8``; ``r = 1.5``: ``s > 0.6``).

Choices this module makes (and where they come from)
----------------------------------------------------
* **Square connection areas** (the lecture's simplification; Fukushima's were
  roughly circular/elliptical).
* **c and d.**  Fukushima (1980) asks only that ``c_{l-1}(v)`` and ``d_l(v)``
  decrease monotonically with ``|v|``, and (as we read it) normalises ``c`` so that
  :math:`\sum_{k'}\sum_v c_{l-1}(v) = 1`; ``v_C`` is then a weighted RMS of the
  area, and this is presumably why ``q_1 = 1`` but ``q_2 = q_3 = 16``: below
  layers 2 and 3 the normalisation is shared by 24 planes.  His later papers, as far as we can
  tell, give such weights as powers :math:`\gamma^{|v|}`, ``0 < gamma < 1``.  We
  use that form (:func:`area_weights`), ``|v|`` the Euclidean distance from the
  centre of the square: ``c(v) = 0.9^{|v|}`` normalised as above, and
  ``d(v) = 0.8^{|v|}``, 1 at the centre of an odd area (a 2x2 area is flat).
  Flatter weights make the cells more tolerant, steeper ones more local; the
  experiment works for ``gamma`` from about 0.7 to 1.
* **ψ for negative x.**  Taken literally, :math:`\varphi[x/(\alpha+x)]` is positive
  again for :math:`x < -\alpha`; the intended meaning is ``psi(x) = x/(alpha+x)``
  for ``x > 0`` and ``0`` otherwise, which :func:`psi` computes.
* **Inhibition factor.**  We keep the 1980 form: denominator
  :math:`1 + \frac{2r}{1+r} b\, v_C` with :math:`\Delta b = \frac{q}{2} v_C`.  Later
  versions of the neocognitron reformulate the inhibition, with a selectivity
  threshold :math:`\theta` in place of :math:`r`, and recent ones also change the
  learning rule (e.g. Fukushima's "add-if-silent" rule).  Their exact equations
  have not been checked against the papers for this library, so it states only
  that they differ, and implements the 1980 equations throughout.
* **S-columns** are the cells of all planes at one position (the lecture's
  reading; ``column=1``).  The 1980 paper's columns span a small area of
  positions and overlap; ``SLayer(column=3)`` does that, but the experiment does
  not need it.  A column whose largest output is 0 proposes no representative.
* **Initial weights**: ``b_l = 0`` and ``a_l`` small and positive,
  ``a_l(k', v, k) = init_scale * g_k * c_{l-1}(v)`` with one random gain
  ``g_k ~ U[0, 1)`` per plane (``init="plane"``, ``init_scale = 0.03``).
  This is the choice that makes the experiment work: with an independent random
  value per weight (``init="weight"``) every untrained plane wins *some* S-column,
  so the very first pattern shown ("0") recruits all 24 planes at once and the
  other digits are left to features of the "0" (their representations then
  overlap and digits merge).  With one gain per plane the untrained planes rank
  the same in every column, so at most one new plane joins per presentation, and
  only where no trained plane responds -- each layer recruits planes gradually,
  for all five digits.
* **Training shifts** are random in ``[-1, 1]`` pixels in each direction
  (``max_shift=1``).  With ``max_shift=2`` the experiment still works, but the
  third layer more often gives one digit a second plane (for another offset),
  and the rate at which variants drive the *same* cell drops (about 0.9 instead
  of 0.99 over seeds); tolerance to larger shifts comes from the C-layers.
* **Layer sizes** (Fukushima 1980: US1 16x16, UC1 10x10, US2 8x8, UC2 6x6,
  US3 2x2, UC3 1x1, 24 planes each) come from square areas with these paddings
  and strides (see :data:`FUKUSHIMA_1980` and :func:`layer_sizes`)::

      U0  16 --S 5x5, stride 1, pad (2, 2)--> US1 16   ("same")
      US1 16 --C 5x5, stride 2, pad (3, 4)--> UC1 10   (16 + 7 - 5) // 2 + 1
      UC1 10 --S 5x5, stride 1, pad (1, 1)--> US2  8   10 + 2 - 5 + 1
      US2  8 --C 5x5, stride 1, pad (1, 1)--> UC2  6    8 + 2 - 5 + 1
      UC2  6 --S 5x5, stride 1, pad (0, 0)--> US3  2    6 - 5 + 1
      US3  2 --C 2x2, stride 1, pad (0, 0)--> UC3  1    2 - 2 + 1

  Fukushima's C-layers thin out the grid; 16 -> 10 with a 5x5 area has no
  integer stride-1 solution, so UC1 samples every second S-column (stride 2) with
  the 16 S-columns padded to 23 (cell ``i`` of UC1 is centred on US1 column
  ``2i - 1``, so UC1 covers US1 columns -1..17 and no S-cell is left out).  The
  later layers shrink by "valid" areas with one cell of zero padding where needed.

Outcome
-------
``train_fukushima_1980(rng=0)`` takes a second or two.  The third S-layer ends up
with five planes, one per digit; each clean digit drives its own UC3 cell (about
0.8) and no other.  Every shift by 1 or 2 pixels (all 24), 3 or 6 flipped pixels,
and deformations of strength 1 drive the same cell as the clean digit.  Over
seeds 0-11 the five winners were always distinct and at least 91% of shifted,
98% of deformed and 100% of noisy variants kept their cell.

References
----------
K. Fukushima, "Neocognitron: a self-organizing neural network model for a mechanism
of pattern recognition unaffected by shift in position", Biol. Cybernetics 36,
193-202 (1980).  K. Fukushima, "Neocognitron: a hierarchical neural network capable
of visual pattern recognition", Neural Networks 1, 119-130 (1988).  K. Fukushima,
"Neocognitron for handwritten digit recognition", Neurocomputing 51, 161-180 (2003).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import sizes
from ._checks import as_image_array, check_bool, check_choice, check_int, check_real, check_rng, fmt_size
from .data.patterns import _check_chars, add_noise, bitmap, deform, shift

__all__ = [
    "FUKUSHIMA_1980",
    "phi",
    "psi",
    "area_weights",
    "v_c_cell",
    "s_cell",
    "v_s_cell",
    "c_cell",
    "find_representatives",
    "SLayer",
    "CLayer",
    "Neocognitron",
    "layer_sizes",
    "TrainingReport",
    "train_fukushima_1980",
    "winning_cells",
    "robustness",
    "simplified_forward",
]

#: Fukushima's (1980) network: input size, and per module (S-layer, C-layer).
#: ``planes`` K_l, ``s_area``/``c_area`` the side of the square connection areas,
#: ``r`` the selectivity, ``q`` the reinforcement rate, ``alpha`` of psi, and the
#: padding ``(lo, hi)`` and stride that give Fukushima's layer sizes.
FUKUSHIMA_1980 = {
    "input_size": 16,
    "modules": (
        dict(planes=24, s_area=5, s_padding=(2, 2), r=4.0, q=1.0,
             c_area=5, c_padding=(3, 4), c_stride=2, alpha=0.5),
        dict(planes=24, s_area=5, s_padding=(1, 1), r=1.5, q=16.0,
             c_area=5, c_padding=(1, 1), c_stride=1, alpha=0.5),
        dict(planes=24, s_area=5, s_padding=(0, 0), r=1.5, q=16.0,
             c_area=2, c_padding=(0, 0), c_stride=1, alpha=0.5),
    ),
    #: the sizes Fukushima (1980) gives, side of US1, UC1, US2, UC2, US3, UC3
    "sizes": (16, 10, 8, 6, 2, 1),
}


# ---------------------------------------------------------------------------
# The cells
# ---------------------------------------------------------------------------

def phi(x):
    r"""The S-cell's output function, a ReLU: :math:`\varphi[x] = \max(x, 0)`.

    Examples
    --------
    >>> phi(np.array([-1.0, 0.0, 2.5]))
    array([0. , 0. , 2.5])
    """
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


def psi(x, alpha: float = 0.5):
    r"""The C-cell's saturating output function :math:`\psi[x] = \varphi[x / (\alpha + x)]`.

    ``x / (alpha + x)`` for ``x > 0`` (rising from 0 towards 1, half-way at
    ``x = alpha``) and ``0`` for ``x <= 0``.  (The literal formula would turn
    positive again for ``x < -alpha``; Fukushima means the ReLU-gated branch.)

    Parameters
    ----------
    x : array_like
    alpha : float
        Saturation constant (> 0); Fukushima (1980) used 0.5.

    Returns
    -------
    numpy.ndarray of float64, values in ``[0, 1)``.

    Examples
    --------
    >>> psi(np.array([-2.0, 0.0, 0.5, 1e9]), alpha=0.5)
    array([0. , 0. , 0.5, 1. ])
    """
    alpha = check_real("psi", "alpha", alpha, 0.0, strict_minimum=True)
    x = np.asarray(x, dtype=np.float64)
    pos = np.maximum(x, 0.0)
    return pos / (alpha + pos)


def area_weights(size: int, gamma: float, normalize_planes: int | None = None) -> np.ndarray:
    r"""Fixed weights of a square connection area, decreasing from its centre.

    .. math:: w(v) = \gamma^{|v|}, \qquad |v| = \text{distance from the centre of the square}

    With ``normalize_planes = K`` they are scaled so that the area summed over
    ``K`` planes adds up to 1, :math:`\sum_{k}\sum_v w(v) = 1` (Fukushima's
    normalisation of ``c_{l-1}``); otherwise the centre weight is 1 (odd sizes).

    Parameters
    ----------
    size : int
        Side of the square area (>= 1).
    gamma : float
        Decay per cell of distance, ``0 < gamma <= 1`` (1 gives a flat area).
    normalize_planes : int, optional
        Number of planes the normalisation shares the total weight 1 among.

    Returns
    -------
    numpy.ndarray, float64, shape ``(size, size)``

    Examples
    --------
    >>> area_weights(3, 0.5).round(3)
    array([[0.375, 0.5  , 0.375],
           [0.5  , 1.   , 0.5  ],
           [0.375, 0.5  , 0.375]])
    >>> float(area_weights(5, 0.7, normalize_planes=24).sum() * 24)
    1.0
    """
    fn = "area_weights"
    size = check_int(fn, "size", size, 1)
    gamma = check_real(fn, "gamma", gamma, 0.0, 1.0, strict_minimum=True)
    centre = (size - 1) / 2
    dy, dx = np.mgrid[0:size, 0:size] - centre
    w = gamma ** np.hypot(dy, dx)
    if normalize_planes is not None:
        normalize_planes = check_int(fn, "normalize_planes", normalize_planes, 1)
        w = w / (normalize_planes * w.sum())
    return w


def _area(fn: str, name: str, x, ndim_min: int) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {name} must be a real numeric array, got dtype {x.dtype}")
    if x.ndim < ndim_min:
        raise ValueError(f"{fn}: {name} must have at least {ndim_min} dimensions "
                         f"(..., planes, area, area), got shape {x.shape}")
    return x.astype(np.float64, copy=False)


def _check_area_weights(fn: str, name: str, w, area_shape) -> np.ndarray:
    w = np.asarray(w, dtype=np.float64)
    if w.shape != tuple(area_shape):
        raise ValueError(f"{fn}: {name} must have the shape of the connection area "
                         f"{tuple(area_shape)}, got shape {w.shape}")
    if np.any(w < 0):
        raise ValueError(f"{fn}: {name} must be non-negative, got minimum {w.min()}")
    return w


def v_c_cell(u_c, c) -> np.ndarray:
    r"""Inhibitory V_C-cell: the weighted root mean square of its connection area.

    .. math:: v_{Cl-1}(n) = \sqrt{\sum_{k'} \sum_{v} c_{l-1}(v)\, u_{Cl-1}(k', n+v)^2}

    Parameters
    ----------
    u_c : array_like, shape ``(..., K', A, A)``
        The C-cells (or, for layer 1, the input cells) in the connection area of
        position ``n``, for any number of positions ``...``.
    c : array_like, shape ``(A, A)``
        Non-negative weights ``c_{l-1}(v)``, the same for every plane ``k'``.

    Returns
    -------
    numpy.ndarray, shape ``(...)``

    Examples
    --------
    >>> u = np.array([[[3.0, 0.0], [0.0, 4.0]]])      # one plane, a 2x2 area
    >>> float(v_c_cell(u, np.full((2, 2), 0.5)))      # sqrt(0.5 * 9 + 0.5 * 16)
    3.5355339059327378
    """
    fn = "v_c_cell"
    u_c = _area(fn, "u_c", u_c, 3)
    c = _check_area_weights(fn, "c", c, u_c.shape[-2:])
    return np.sqrt(np.einsum("...kij,ij->...", u_c * u_c, c))


def s_cell(u_c, a, b, r: float, c) -> np.ndarray:
    r"""S-cells: learned feature detectors with shunting (divisive) inhibition.

    .. math::

        u_{Sl}(k, n) = r_l\, \varphi\!\left[\frac{1 + \sum_{k'} \sum_{v} a_l(k', v, k)\,
            u_{Cl-1}(k', n+v)}{1 + \frac{2 r_l}{1 + r_l}\, b_l(k)\, v_{Cl-1}(n)} - 1\right]

    with :math:`v_{Cl-1}(n)` from :func:`v_c_cell`.  With ``b = 0`` this is
    ``r * phi(e)``, ``e`` the excitation :math:`\sum a u`.

    Parameters
    ----------
    u_c : array_like, shape ``(..., K', A, A)``
        Inputs in the connection area of each position.
    a : array_like, shape ``(K, K', A, A)`` or ``(K', A, A)``
        Excitatory weights, ``a[k, k', v] = a_l(k', v, k)``; a 3-D ``a`` is one plane.
    b : array_like, shape ``(K,)`` or scalar
        Inhibitory weights ``b_l(k)`` (one per plane; scalar for a 3-D ``a``).
    r : float
        Selectivity ``r_l`` (> 0).
    c : array_like, shape ``(A, A)``
        Weights of the V_C-cell.

    Returns
    -------
    numpy.ndarray, shape ``(..., K)``, or ``(...)`` for a 3-D ``a``.

    Examples
    --------
    No inhibition: ``r * phi(sum a u)`` = 2 * (0.5 * 1 + 0.25 * 2) = 2:

    >>> u = np.array([[[1.0, 2.0]]])                  # one plane, a 1x2 area
    >>> float(s_cell(u, a=[[[0.5, 0.25]]], b=0.0, r=2.0, c=[[0.5, 0.5]]))
    2.0
    """
    fn = "s_cell"
    u_c = _area(fn, "u_c", u_c, 3)
    r = check_real(fn, "r", r, 0.0, strict_minimum=True)
    a = np.asarray(a, dtype=np.float64)
    single = a.ndim == 3
    if single:
        a = a[None]
    if a.ndim != 4 or a.shape[1:] != u_c.shape[-3:]:
        raise ValueError(f"{fn}: a must have shape (K, K', A, A) or (K', A, A) with "
                         f"(K', A, A) = {u_c.shape[-3:]} (from u_c), got shape {np.shape(a)}")
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    if b.size == 1:
        b = np.broadcast_to(b, (a.shape[0],))
    if b.shape != (a.shape[0],):
        raise ValueError(f"{fn}: b must have one value per plane ({a.shape[0]}), got shape {b.shape}")
    v = v_c_cell(u_c, c)
    excitation = np.tensordot(u_c, a, axes=([-3, -2, -1], [1, 2, 3]))   # (..., K)
    out = _s_response(excitation, v[..., None], b, r)
    return out[..., 0] if single else out


def _s_response(excitation, v, b, r):
    """The S-cell equation given the excitation sum and the V_C cell (broadcasting)."""
    inhibition = (2.0 * r / (1.0 + r)) * b * v
    return r * np.maximum((1.0 + excitation) / (1.0 + inhibition) - 1.0, 0.0)


def v_s_cell(u_s, d) -> np.ndarray:
    r"""Inhibitory V_S-cell: the excitation of the C-cells, averaged over the planes.

    .. math:: v_{Sl}(n) = \frac{1}{K_l} \sum_{k} \sum_{v} d_l(v)\, u_{Sl}(k, n+v)

    Parameters
    ----------
    u_s : array_like, shape ``(..., K, A, A)``
        S-cells in the connection area of each position.
    d : array_like, shape ``(A, A)``
        Non-negative weights ``d_l(v)``.

    Returns
    -------
    numpy.ndarray, shape ``(...)``

    Examples
    --------
    >>> u = np.array([[[1.0, 0.0]], [[0.0, 0.0]]])    # two planes, 1x2 area
    >>> float(v_s_cell(u, [[0.5, 0.5]]))             # (0.5 * 1) / 2
    0.25
    """
    fn = "v_s_cell"
    u_s = _area(fn, "u_s", u_s, 3)
    d = _check_area_weights(fn, "d", d, u_s.shape[-2:])
    return np.einsum("...kij,ij->...", u_s, d) / u_s.shape[-3]


def c_cell(u_s, d, alpha: float = 0.5) -> np.ndarray:
    r"""C-cells: fixed, blurring, saturating, with inhibition from the V_S-cell.

    .. math::

        u_{Cl}(k, n) = \psi\!\left[\frac{1 + \sum_{v} d_l(v)\, u_{Sl}(k, n+v)}
            {1 + v_{Sl}(n)} - 1\right]

    A C-cell fires when its own S-plane is active anywhere in its area, more than
    the average plane (:func:`v_s_cell`), so a feature may move a little.

    Parameters
    ----------
    u_s : array_like, shape ``(..., K, A, A)``
        S-cells in the connection area of each position (C-plane ``k`` reads S-plane ``k``).
    d : array_like, shape ``(A, A)``
    alpha : float
        Saturation constant of :func:`psi`.

    Returns
    -------
    numpy.ndarray, shape ``(..., K)``

    Examples
    --------
    >>> u = np.array([[[1.0]], [[0.0]]])              # two planes, a 1x1 area
    >>> c_cell(u, [[1.0]], alpha=0.5)                 # psi((1 + 1) / (1 + 0.5) - 1) = psi(1/3)
    array([0.4, 0. ])
    """
    fn = "c_cell"
    u_s = _area(fn, "u_s", u_s, 3)
    d = _check_area_weights(fn, "d", d, u_s.shape[-2:])
    excitation = np.einsum("...kij,ij->...k", u_s, d)
    v = excitation.mean(axis=-1, keepdims=True)        # = v_s_cell(u_s, d)
    return psi((1.0 + excitation) / (1.0 + v) - 1.0, alpha)


# ---------------------------------------------------------------------------
# Learning
# ---------------------------------------------------------------------------

def find_representatives(u_s, column: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The winner-take-all representatives of one presentation in an S-layer.

    1. In every S-column the cell with the largest output is a candidate, unless
       that output is 0.  With ``column = 1`` an S-column is the cells of all
       planes at one position ``n`` (the lecture's reading); with ``column = m``
       it is the cells of all planes in the ``m x m`` positions around ``n``
       (Fukushima's columns, which span a small area and overlap), so a cell is a
       candidate when it is the largest of its plane-and-neighbourhood.
    2. Of the candidates on the same plane only the largest is kept.

    Each plane has at most one representative; many planes can have one.

    Parameters
    ----------
    u_s : array_like, shape ``(K, H, W)``
        The outputs of one S-layer.
    column : int
        Side of the square of positions an S-column spans (odd, >= 1).

    Returns
    -------
    planes, rows, cols : numpy.ndarray of int64
        The representatives ``(k, n)``, sorted by plane.

    Examples
    --------
    >>> u = np.zeros((3, 2, 2)); u[0, 0, 0] = 1; u[0, 1, 1] = 3; u[1, 1, 1] = 2; u[2, 0, 1] = 0.5
    >>> find_representatives(u)          # plane 1 loses its column to plane 0
    (array([0, 2]), array([1, 0]), array([1, 1]))
    >>> find_representatives(u, column=3)  # one column holds everything: only the 3 wins
    (array([0]), array([1]), array([1]))
    """
    fn = "find_representatives"
    u_s = as_image_array(fn, "u_s", u_s, ndims=(3,), layout="(K, H, W)")
    column = check_int(fn, "column", column, 1)
    if column % 2 == 0:
        raise ValueError(f"{fn}: column must be odd (a square centred on a position), got {column}")
    k, h, w = u_s.shape
    flat = u_s.reshape(k, h * w).astype(np.float64)
    best_plane = flat.argmax(axis=0)                 # per position
    best_value = flat[best_plane, np.arange(h * w)]
    if column > 1:                                   # largest in the whole (overlapping) column?
        m = column // 2
        padded = np.pad(best_value.reshape(h, w), m)  # outputs are >= 0: padding with 0 is neutral
        around = sliding_window_view(padded, (column, column)).max(axis=(-2, -1)).reshape(-1)
        best_value = np.where(best_value >= around, best_value, 0.0)
    candidate = np.where(best_plane[None, :] == np.arange(k)[:, None], best_value[None, :], -np.inf)
    candidate[:, best_value <= 0] = -np.inf          # silent columns propose nobody
    pos = candidate.argmax(axis=1)                   # per plane
    has = np.isfinite(candidate[np.arange(k), pos])
    planes = np.flatnonzero(has)
    return planes.astype(np.int64), (pos[has] // w).astype(np.int64), (pos[has] % w).astype(np.int64)


# ---------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------

def _padding_pair(fn: str, padding) -> tuple[int, int]:
    if isinstance(padding, (tuple, list)):
        if len(padding) != 2:
            raise ValueError(f"{fn}: padding must be an int or a pair (lo, hi), got {padding!r}")
        return (check_int(fn, "padding", padding[0], 0), check_int(fn, "padding", padding[1], 0))
    p = check_int(fn, "padding", padding, 0)
    return p, p


def _windows(u: np.ndarray, area: int, stride: int, padding: tuple[int, int]) -> np.ndarray:
    """All connection areas of a layer: ``(K, H, W) -> (H_out, W_out, K, A, A)`` (a view)."""
    lo, hi = padding
    up = np.pad(u, ((0, 0), (lo, hi), (lo, hi))) if lo or hi else u
    win = sliding_window_view(up, (area, area), axis=(1, 2))[:, ::stride, ::stride]
    return win.transpose(1, 2, 0, 3, 4)


def _check_layer_input(fn: str, u, planes: int, size: int | None = None) -> np.ndarray:
    u = as_image_array(fn, "u", u, ndims=(3,), layout="(planes, H, W)")
    if u.shape[0] != planes:
        raise ValueError(f"{fn}: u must have {planes} planes (shape ({planes}, H, W)), got shape {u.shape}")
    if u.shape[1] != u.shape[2]:
        raise ValueError(f"{fn}: u must be square, got shape {u.shape}")
    return u.astype(np.float64, copy=False)


class SLayer:
    r"""A layer of S-planes: learned feature detectors sharing weights within a plane.

    Every S-cell at position ``n`` of plane ``k`` applies :func:`s_cell` to the
    ``area x area`` window of all ``in_planes`` input planes around ``n`` (input
    zero outside the layer).  The numerator sum is therefore a correlation of the
    input with ``a`` (like ``conv2d``), and ``v_C`` is the square root of a
    correlation of the squared input with ``c``.

    Parameters
    ----------
    in_planes, planes : int
        ``K_{l-1}`` and ``K_l``.
    area : int
        Side of the square connection area ``S_l``.
    r : float
        Selectivity ``r_l`` (> 0).
    q : float
        Reinforcement rate ``q_l`` (> 0).
    padding : int or (int, int)
        Zeros added before and after the input in each direction.
    stride : int
        Distance between the input positions of neighbouring S-cells.
    gamma_c : float
        Decay of ``c_{l-1}(v) = gamma_c^{|v|}`` (normalised over the area and the
        ``in_planes`` planes, see :func:`area_weights`).
    init_scale : float
        Size of the initial ``a`` (>= 0); ``b`` starts at 0.
    init : {"plane", "weight"}
        ``"plane"``: ``a[k] = init_scale * g_k * c`` with one random gain ``g_k`` per
        plane, so untrained planes are faint copies of ``c`` and join one at a time;
        ``"weight"``: an independent ``U[0, 1)`` factor per weight (see the module
        docstring for why that makes the first pattern grab every plane).
    column : int
        Side (odd) of the square of positions an S-column spans when choosing
        representatives (:func:`find_representatives`); 1 = one position.
    rng : numpy.random.Generator or int
        For the initial ``a``.

    Attributes
    ----------
    a : numpy.ndarray, shape ``(planes, in_planes, area, area)``
        ``a[k, k', v]`` is the lecture's ``a_l(k', v, k)`` (PyTorch's weight layout).
    b : numpy.ndarray, shape ``(planes,)``
    c : numpy.ndarray, shape ``(area, area)``
    reinforcements : numpy.ndarray of int, shape ``(planes,)``
        How often each plane has been reinforced.

    Examples
    --------
    >>> layer = SLayer(1, 4, area=3, r=4.0, q=1.0, padding=1, rng=0)
    >>> layer.forward(np.ones((1, 6, 6))).shape
    (4, 6, 6)
    >>> layer.output_size(6)
    6
    """

    def __init__(self, in_planes: int, planes: int, area: int, r: float, q: float, padding=0,
                 stride: int = 1, gamma_c: float = 0.9, init_scale: float = 0.03, init: str = "plane",
                 column: int = 1, rng=0):
        fn = "SLayer"
        self.in_planes = check_int(fn, "in_planes", in_planes, 1)
        self.planes = check_int(fn, "planes", planes, 1)
        self.area = check_int(fn, "area", area, 1)
        self.r = check_real(fn, "r", r, 0.0, strict_minimum=True)
        self.q = check_real(fn, "q", q, 0.0, strict_minimum=True)
        self.padding = _padding_pair(fn, padding)
        self.stride = check_int(fn, "stride", stride, 1)
        self.gamma_c = check_real(fn, "gamma_c", gamma_c, 0.0, 1.0, strict_minimum=True)
        self.init_scale = check_real(fn, "init_scale", init_scale, 0.0)
        self.init = check_choice(fn, "init", init, ("plane", "weight"))
        self.column = check_int(fn, "column", column, 1)
        if self.column % 2 == 0:
            raise ValueError(f"{fn}: column must be odd, got {self.column}")
        rng = check_rng(fn, rng)
        self.c = area_weights(self.area, self.gamma_c, normalize_planes=self.in_planes)
        gain = rng.random((self.planes, 1, 1, 1)) if self.init == "plane" else \
            rng.random((self.planes, self.in_planes, self.area, self.area))
        self.a = self.init_scale * gain * np.broadcast_to(self.c, (self.in_planes, self.area, self.area))
        self.b = np.zeros(self.planes)
        self.reinforcements = np.zeros(self.planes, dtype=np.int64)

    def __repr__(self) -> str:
        return (f"SLayer(in_planes={self.in_planes}, planes={self.planes}, area={self.area}, "
                f"r={self.r}, q={self.q}, padding={self.padding}, stride={self.stride})")

    def output_size(self, n: int) -> int:
        """Side of the S-planes for an input of side ``n`` (:func:`cnnedu.sizes.conv_output_size`)."""
        return sizes.conv_output_size(n, self.area, self.stride, self.padding)

    def windows(self, u) -> np.ndarray:
        """The connection area of every S-column: ``(H_out, W_out, in_planes, area, area)``."""
        u = _check_layer_input("SLayer.windows", u, self.in_planes)
        self.output_size(u.shape[1])                 # raises if the area does not fit
        return _windows(u, self.area, self.stride, self.padding)

    def forward(self, u, return_v_c: bool = False):
        """S-cell outputs ``(planes, H_out, W_out)`` for inputs ``u`` of shape ``(in_planes, H, W)``.

        With ``return_v_c=True`` also the V_C-cells ``(H_out, W_out)``.
        """
        win = self.windows(u)
        v = np.sqrt(np.tensordot(win * win, self.c, axes=([-2, -1], [0, 1])).sum(axis=-1))
        excitation = np.tensordot(win, self.a, axes=([2, 3, 4], [1, 2, 3]))      # (H, W, K)
        out = _s_response(excitation, v[..., None], self.b, self.r).transpose(2, 0, 1)
        return (out, v) if return_v_c else out

    def reinforce(self, u, planes, rows, cols) -> None:
        r"""Reinforce each given plane as if its cell at ``(row, col)`` were the winner.

        :math:`\Delta a_l(k', v, \hat k) = q_l\, c_{l-1}(v)\, u_{Cl-1}(k', \hat n + v)`,
        :math:`\Delta b_l(\hat k) = \frac{q_l}{2} v_{Cl-1}(\hat n)`; the plane's
        shared weights change, so every cell of the plane learns.
        """
        win = self.windows(u)
        planes = np.asarray(planes, dtype=np.int64)
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        if not (planes.shape == rows.shape == cols.shape) or planes.ndim != 1:
            raise ValueError("SLayer.reinforce: planes, rows and cols must be 1-D of the same length, "
                             f"got shapes {planes.shape}, {rows.shape}, {cols.shape}")
        if planes.size and (planes.min() < 0 or planes.max() >= self.planes
                            or len(np.unique(planes)) != planes.size):
            raise ValueError(f"SLayer.reinforce: planes must be distinct indices in [0, {self.planes}), "
                             f"got {planes.tolist()}")
        h, w = win.shape[:2]
        if planes.size and (rows.min() < 0 or rows.max() >= h or cols.min() < 0 or cols.max() >= w):
            raise ValueError(f"SLayer.reinforce: rows and cols must lie in the {h}x{w} S-plane, "
                             f"got rows {rows.tolist()}, cols {cols.tolist()}")
        patch = win[rows, cols]                                        # (R, K', A, A)
        self.a[planes] += self.q * self.c * patch
        self.b[planes] += (self.q / 2.0) * v_c_cell(patch, self.c)
        self.reinforcements[planes] += 1

    def learn(self, u):
        """One presentation: forward, find the representatives, reinforce them.

        Returns
        -------
        planes, rows, cols : numpy.ndarray
            The representatives that were reinforced (see :func:`find_representatives`).
        """
        reps = find_representatives(self.forward(u), self.column)
        self.reinforce(u, *reps)
        return reps


class CLayer:
    r"""A layer of C-planes: fixed blurring of each S-plane, with lateral inhibition.

    C-plane ``k`` reads S-plane ``k`` only; :func:`c_cell` over ``area x area``
    windows taken every ``stride`` S-columns (a stride > 1 thins out the grid, as
    Fukushima's C-layers do).

    Parameters
    ----------
    planes : int
    area : int
        Side of the square connection area ``D_l``.
    padding : int or (int, int)
    stride : int
    alpha : float
        Saturation constant of :func:`psi`.
    gamma_d : float
        Decay of ``d_l(v) = gamma_d^{|v|}`` (1 at the centre of an odd area).

    Examples
    --------
    >>> layer = CLayer(24, area=5, padding=(3, 4), stride=2)
    >>> layer.output_size(16)
    10
    """

    def __init__(self, planes: int, area: int, padding=0, stride: int = 1, alpha: float = 0.5,
                 gamma_d: float = 0.8):
        fn = "CLayer"
        self.planes = check_int(fn, "planes", planes, 1)
        self.area = check_int(fn, "area", area, 1)
        self.padding = _padding_pair(fn, padding)
        self.stride = check_int(fn, "stride", stride, 1)
        self.alpha = check_real(fn, "alpha", alpha, 0.0, strict_minimum=True)
        self.gamma_d = check_real(fn, "gamma_d", gamma_d, 0.0, 1.0, strict_minimum=True)
        self.d = area_weights(self.area, self.gamma_d)

    def __repr__(self) -> str:
        return (f"CLayer(planes={self.planes}, area={self.area}, padding={self.padding}, "
                f"stride={self.stride}, alpha={self.alpha})")

    def output_size(self, n: int) -> int:
        """Side of the C-planes for S-planes of side ``n``."""
        return sizes.conv_output_size(n, self.area, self.stride, self.padding)

    def forward(self, u):
        """C-cell outputs ``(planes, H_out, W_out)`` for S-cells ``u`` of shape ``(planes, H, W)``."""
        u = _check_layer_input("CLayer.forward", u, self.planes)
        self.output_size(u.shape[1])
        win = _windows(u, self.area, self.stride, self.padding)          # (H, W, K, A, A)
        excitation = np.tensordot(win, self.d, axes=([3, 4], [0, 1]))     # (H, W, K)
        v = excitation.mean(axis=-1, keepdims=True)                       # V_S cell
        return psi((1.0 + excitation) / (1.0 + v) - 1.0, self.alpha).transpose(2, 0, 1)


# ---------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------

class Neocognitron:
    """A cascade ``U0 -> US1 -> UC1 -> ... -> UCL`` of :class:`SLayer`/:class:`CLayer` modules.

    Parameters
    ----------
    s_layers, c_layers : sequences of SLayer and CLayer of equal length
        Module ``l`` is ``(s_layers[l-1], c_layers[l-1])``; the planes must chain
        (``s_layers[l].in_planes == c_layers[l-1].planes``, and the first S-layer
        reads ``in_planes`` = 1 input plane).
    input_size : int
        Side of the square input layer U0.

    Attributes
    ----------
    layer_names : list of str
        ``["US1", "UC1", "US2", ...]``, matching :meth:`forward`'s list.
    shapes : list of tuple
        ``(planes, H, W)`` of every layer in :meth:`forward`'s list.

    Examples
    --------
    >>> net = Neocognitron.fukushima_1980(rng=0)
    >>> [f"{n} {s[1]}x{s[2]}x{s[0]}" for n, s in zip(net.layer_names, net.shapes)]
    ['US1 16x16x24', 'UC1 10x10x24', 'US2 8x8x24', 'UC2 6x6x24', 'US3 2x2x24', 'UC3 1x1x24']
    """

    def __init__(self, s_layers, c_layers, input_size: int = 16):
        fn = "Neocognitron"
        self.s_layers = list(s_layers)
        self.c_layers = list(c_layers)
        if not self.s_layers or len(self.s_layers) != len(self.c_layers):
            raise ValueError(f"{fn}: s_layers and c_layers must be non-empty and of equal length, got "
                             f"{len(self.s_layers)} and {len(self.c_layers)}")
        for i, (s, c) in enumerate(zip(self.s_layers, self.c_layers), start=1):
            if not isinstance(s, SLayer):
                raise TypeError(f"{fn}: s_layers[{i - 1}] must be an SLayer, got {type(s).__name__}")
            if not isinstance(c, CLayer):
                raise TypeError(f"{fn}: c_layers[{i - 1}] must be a CLayer, got {type(c).__name__}")
            below = 1 if i == 1 else self.c_layers[i - 2].planes
            if s.in_planes != below:
                raise ValueError(f"{fn}: US{i} reads {below} planes, but its in_planes is {s.in_planes}")
            if c.planes != s.planes:
                raise ValueError(f"{fn}: UC{i} must have as many planes as US{i} ({s.planes}), got {c.planes}")
        self.input_size = check_int(fn, "input_size", input_size, 1)
        self.layer_names = [f"U{t}{i}" for i in range(1, len(self.s_layers) + 1) for t in "SC"]
        self.shapes = []
        n = self.input_size
        for s, c in zip(self.s_layers, self.c_layers):
            n = s.output_size(n)
            self.shapes.append((s.planes, n, n))
            n = c.output_size(n)
            self.shapes.append((c.planes, n, n))

    @classmethod
    def fukushima_1980(cls, rng=0, *, gamma_c: float = 0.9, gamma_d: float = 0.8,
                       init_scale: float = 0.03, init: str = "plane", columns=(1, 1, 1)) -> "Neocognitron":
        """Fukushima's (1980) network, untrained (:data:`FUKUSHIMA_1980`); asserts its layer sizes.

        Parameters
        ----------
        rng : numpy.random.Generator or int
            For the initial ``a_l``.
        gamma_c, init_scale, init
            See :class:`SLayer` (the same for the three S-layers).
        gamma_d
            See :class:`CLayer`.
        columns : sequence of 3 odd ints
            The S-column size of each S-layer (see :func:`find_representatives`).
        """
        fn = "Neocognitron.fukushima_1980"
        rng = check_rng(fn, rng)
        cfg = FUKUSHIMA_1980
        if not isinstance(columns, (tuple, list)) or len(columns) != len(cfg["modules"]):
            raise ValueError(f"{fn}: columns must be a sequence of {len(cfg['modules'])} odd ints, "
                             f"got {columns!r}")
        s_layers, c_layers, below = [], [], 1
        for m, column in zip(cfg["modules"], columns):
            s_layers.append(SLayer(below, m["planes"], m["s_area"], m["r"], m["q"], padding=m["s_padding"],
                                   gamma_c=gamma_c, init_scale=init_scale, init=init, column=column,
                                   rng=rng))
            c_layers.append(CLayer(m["planes"], m["c_area"], padding=m["c_padding"], stride=m["c_stride"],
                                   alpha=m["alpha"], gamma_d=gamma_d))
            below = m["planes"]
        net = cls(s_layers, c_layers, cfg["input_size"])
        got = tuple(s[1] for s in net.shapes)
        assert got == cfg["sizes"], f"layer sizes {got} differ from Fukushima's {cfg['sizes']}"
        return net

    def __repr__(self) -> str:
        sizes_ = ", ".join(f"{n} {fmt_size(s[1:])}x{s[0]}" for n, s in zip(self.layer_names, self.shapes))
        return f"Neocognitron(U0 {self.input_size}x{self.input_size}, {sizes_})"

    def _input(self, fn: str, image) -> np.ndarray:
        x = as_image_array(fn, "image", image, ndims=(2, 3), layout="(H, W) or (1, H, W)")
        if x.ndim == 3 and x.shape[0] != 1:
            raise ValueError(f"{fn}: image must have one plane, got shape {x.shape}")
        x = x.reshape(-1, *x.shape[-2:])
        if x.shape[1:] != (self.input_size, self.input_size):
            raise ValueError(f"{fn}: image must be {self.input_size}x{self.input_size}, got shape {np.shape(image)}")
        return x.astype(np.float64)

    def forward(self, image, upto: int | None = None) -> list[np.ndarray]:
        """Propagate one image; the outputs of every layer, ``[US1, UC1, US2, UC2, ...]``.

        Parameters
        ----------
        image : array_like, shape ``(H, W)`` or ``(1, H, W)``
            The input layer U0 (non-negative; binary in Fukushima's experiments).
        upto : int, optional
            Stop after module ``upto`` (1-based).

        Returns
        -------
        list of numpy.ndarray, each ``(planes, H_l, W_l)`` as in :attr:`shapes`.
        """
        u = self._input("Neocognitron.forward", image)
        n_modules = len(self.s_layers) if upto is None else check_int(
            "Neocognitron.forward", "upto", upto, 1, len(self.s_layers))
        outs = []
        for s, c in zip(self.s_layers[:n_modules], self.c_layers[:n_modules]):
            u_s = s.forward(u)
            u = c.forward(u_s)
            outs += [u_s, u]
        return outs

    def output(self, image) -> np.ndarray:
        """The last C-layer's cells as a flat vector (UC3: 24 values)."""
        return self.forward(image)[-1].reshape(-1)

    def learn(self, image, layer: int):
        """One unsupervised presentation to S-layer ``layer`` (1-based); lower layers stay fixed.

        Returns the reinforced representatives (see :func:`find_representatives`).
        """
        layer = check_int("Neocognitron.learn", "layer", layer, 1, len(self.s_layers))
        u = self._input("Neocognitron.learn", image)
        if layer > 1:
            u = self.forward(u, upto=layer - 1)[-1]
        return self.s_layers[layer - 1].learn(u)


def layer_sizes(network: Neocognitron | None = None) -> list[str]:
    """Lines describing how each layer's size follows from its area, stride and padding.

    Every size comes from :func:`cnnedu.sizes.conv_output_size`.

    Parameters
    ----------
    network : Neocognitron, optional
        Default: ``Neocognitron.fukushima_1980()``.

    Returns
    -------
    list of str

    Examples
    --------
    >>> for line in layer_sizes():
    ...     print(line)
    U0   16x16x1
    US1  16x16x24  S area 5x5, stride 1, padding (2, 2): (16 + 4 - 5) // 1 + 1 = 16
    UC1  10x10x24  C area 5x5, stride 2, padding (3, 4): (16 + 7 - 5) // 2 + 1 = 10
    US2  8x8x24  S area 5x5, stride 1, padding (1, 1): (10 + 2 - 5) // 1 + 1 = 8
    UC2  6x6x24  C area 5x5, stride 1, padding (1, 1): (8 + 2 - 5) // 1 + 1 = 6
    US3  2x2x24  S area 5x5, stride 1, padding (0, 0): (6 + 0 - 5) // 1 + 1 = 2
    UC3  1x1x24  C area 2x2, stride 1, padding (0, 0): (2 + 0 - 2) // 1 + 1 = 1
    """
    net = Neocognitron.fukushima_1980(rng=0) if network is None else network
    if not isinstance(net, Neocognitron):
        raise TypeError(f"layer_sizes: network must be a Neocognitron, got {type(network).__name__}")
    lines = [f"U0   {net.input_size}x{net.input_size}x1"]
    n = net.input_size
    layers = [x for pair in zip(net.s_layers, net.c_layers) for x in pair]
    for name, layer, shape in zip(net.layer_names, layers, net.shapes):
        kind = "S" if isinstance(layer, SLayer) else "C"
        lo, hi = layer.padding
        out = sizes.conv_output_size(n, layer.area, layer.stride, layer.padding)
        lines.append(f"{name:<4} {shape[1]}x{shape[2]}x{shape[0]}  {kind} area {layer.area}x{layer.area}, "
                     f"stride {layer.stride}, padding ({lo}, {hi}): "
                     f"({n} + {lo + hi} - {layer.area}) // {layer.stride} + 1 = {out}")
        n = out
    return lines


# ---------------------------------------------------------------------------
# Fukushima's 1980 experiment
# ---------------------------------------------------------------------------

@dataclass
class TrainingReport:
    """What :func:`train_fukushima_1980` did.

    Attributes
    ----------
    chars : str
        The training patterns.
    presentations : int
        Presentations of each pattern per layer.
    max_shift : int
        Largest random shift (pixels) of a training presentation.
    planes_used : list of int
        Per S-layer, how many planes were reinforced at least once.
    reinforcements : list of numpy.ndarray
        Per S-layer, how often each plane was reinforced.
    winners : dict
        Character -> index of the UC3 cell responding most to the clean pattern.
    responses : dict
        Character -> the 24 UC3 outputs for the clean pattern.
    seconds : float
        Wall-clock training time.
    """

    chars: str
    presentations: int
    max_shift: int
    planes_used: list = field(default_factory=list)
    reinforcements: list = field(default_factory=list)
    winners: dict = field(default_factory=dict)
    responses: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def distinct(self) -> bool:
        """True when every pattern has its own winning UC3 cell."""
        w = list(self.winners.values())
        return -1 not in w and len(set(w)) == len(w)

    def __str__(self) -> str:
        lines = [f"trained on {self.chars!r}, {self.presentations} presentations each per layer, "
                 f"random shifts up to +-{self.max_shift} px, in {self.seconds:.2f} s",
                 "planes reinforced per S-layer: "
                 + ", ".join(f"US{i} {n}" for i, n in enumerate(self.planes_used, start=1)),
                 "UC3 winner per pattern: "
                 + ", ".join(f"{ch!r} -> {w}" for ch, w in self.winners.items())
                 + ("  (all different)" if self.distinct else "  (NOT all different)")]
        return "\n".join(lines)


def _pattern(char: str) -> np.ndarray:
    return bitmap(char).astype(np.float64)


def train_fukushima_1980(rng=0, presentations: int = 20, *, chars: str = "01234", max_shift: int = 1,
                         network: Neocognitron | None = None):
    """Self-organise Fukushima's network on the digits, without labels, layer by layer.

    For S-layer 1, then 2, then 3 (the layers below stay fixed, as Fukushima
    trained them): ``presentations`` rounds, each presenting every character of
    ``chars`` once in order, shifted by a random ``(dy, dx)`` uniform in
    ``[-max_shift, max_shift]``; at every presentation the representatives of the
    layer are reinforced (:meth:`SLayer.learn`).

    Parameters
    ----------
    rng : numpy.random.Generator or int
        Seeds the initial weights and the shifts.
    presentations : int
        Presentations of each character per layer (Fukushima: 20).
    chars : str
        Characters of :data:`cnnedu.data.patterns.BITMAPS` (Fukushima: "01234").
    max_shift : int
        Largest training shift in pixels (0 to 4).
    network : Neocognitron, optional
        Train this network instead of a fresh ``Neocognitron.fukushima_1980(rng)``.

    Returns
    -------
    network : Neocognitron
    report : TrainingReport

    Examples
    --------
    >>> net, report = train_fukushima_1980(rng=0)
    >>> report.planes_used                      # US3 ends up with one plane per digit
    [24, 24, 5]
    >>> report.distinct, winning_cells(net, bitmap("3")).tolist() == [report.winners["3"]]
    (True, True)
    """
    fn = "train_fukushima_1980"
    rng = check_rng(fn, rng)
    presentations = check_int(fn, "presentations", presentations, 1)
    max_shift = check_int(fn, "max_shift", max_shift, 0, 4)
    chars = _check_chars(fn, chars)
    if network is None:
        network = Neocognitron.fukushima_1980(rng)
    elif not isinstance(network, Neocognitron):
        raise TypeError(f"{fn}: network must be a Neocognitron, got {type(network).__name__}")
    start = time.perf_counter()
    images = {ch: _pattern(ch) for ch in chars}
    for layer in range(1, len(network.s_layers) + 1):
        for _ in range(presentations):
            for ch in chars:
                dy, dx = rng.integers(-max_shift, max_shift + 1, size=2)
                network.learn(shift(images[ch], int(dy), int(dx)), layer)
    seconds = time.perf_counter() - start
    report = TrainingReport(chars, presentations, max_shift, seconds=seconds)
    report.planes_used = [int((s.reinforcements > 0).sum()) for s in network.s_layers]
    report.reinforcements = [s.reinforcements.copy() for s in network.s_layers]
    for ch in chars:
        out = network.output(images[ch])
        report.responses[ch] = out
        report.winners[ch] = int(winning_cells(network, images[ch])[0])
    return network, report


def winning_cells(network: Neocognitron, images) -> np.ndarray:
    """Index of the last-layer (UC3) cell responding most to each image; -1 if none responds.

    Parameters
    ----------
    network : Neocognitron
    images : array_like, shape ``(H, W)``, ``(N, H, W)`` or ``(N, 1, H, W)``

    Returns
    -------
    numpy.ndarray of int64, shape ``(N,)`` (``(1,)`` for a single image)
    """
    fn = "winning_cells"
    if not isinstance(network, Neocognitron):
        raise TypeError(f"{fn}: network must be a Neocognitron, got {type(network).__name__}")
    x = as_image_array(fn, "images", images, ndims=(2, 3, 4), layout="(H, W), (N, H, W) or (N, 1, H, W)")
    if x.ndim == 4:
        if x.shape[1] != 1:
            raise ValueError(f"{fn}: images must have one channel, got shape {x.shape}")
        x = x[:, 0]
    elif x.ndim == 2:
        x = x[None]
    out = np.empty(len(x), dtype=np.int64)
    for i, image in enumerate(x):
        y = network.output(image)
        out[i] = int(y.argmax()) if y.max() > 0 else -1
    return out


def robustness(network: Neocognitron, rng=0, *, chars: str = "01234", n_variants: int = 20,
               max_shift: int = 2, n_flips: int = 3, strength: float = 1.0) -> dict:
    """How often perturbed patterns drive the same UC3 cell as the clean pattern.

    For each character, ``n_variants`` variants of each kind: ``"shift"`` (random
    ``dy, dx`` in ``[-max_shift, max_shift]``, not both 0), ``"noise"`` (``n_flips``
    flipped pixels), ``"deform"`` (:func:`cnnedu.data.patterns.deform` of
    ``strength``) and ``"all"`` (deformed, shifted by up to 1 and noisy).

    Parameters
    ----------
    network : Neocognitron
    rng : numpy.random.Generator or int
    chars : str
    n_variants : int
        Variants of each kind per character (>= 1).
    max_shift, n_flips, strength
        Largest shift (pixels), flipped pixels, :func:`~cnnedu.data.patterns.deform` strength.

    Returns
    -------
    dict
        kind -> fraction of variants (over all characters) whose winning cell is
        the clean pattern's.
    """
    fn = "robustness"
    rng = check_rng(fn, rng)
    n_variants = check_int(fn, "n_variants", n_variants, 1)
    max_shift = check_int(fn, "max_shift", max_shift, 0, 4)
    n_flips = check_int(fn, "n_flips", n_flips, 0, 256)
    strength = check_real(fn, "strength", strength, 0.0, 4.0)
    if not isinstance(network, Neocognitron):
        raise TypeError(f"{fn}: network must be a Neocognitron, got {type(network).__name__}")
    chars = _check_chars(fn, chars)
    hits = {"shift": [], "noise": [], "deform": [], "all": []}
    for ch in chars:
        clean = _pattern(ch)
        target = winning_cells(network, clean)[0]
        for _ in range(n_variants):
            dy = dx = 0
            while max_shift and dy == 0 and dx == 0:
                dy, dx = (int(v) for v in rng.integers(-max_shift, max_shift + 1, size=2))
            small_dy, small_dx = (int(v) for v in rng.integers(-1, 2, size=2))
            variants = {
                "shift": shift(clean, dy, dx),
                "noise": add_noise(clean, rng, n_flips),
                "deform": deform(clean, rng, strength),
                "all": add_noise(shift(deform(clean, rng, strength), small_dy, small_dx), rng, n_flips),
            }
            for kind, image in variants.items():
                hits[kind].append(winning_cells(network, image)[0] == target)
    return {kind: float(np.mean(v)) for kind, v in hits.items()}


# ---------------------------------------------------------------------------
# The modern simplification
# ---------------------------------------------------------------------------

def simplified_forward(network: Neocognitron, image, *, inhibition: bool = True) -> list[np.ndarray]:
    r"""The same trained network run with a CNN's operations: convolution + ReLU, and max pooling.

    S-layer: the divisive inhibition becomes subtractive and φ a ReLU,

    .. math:: u_{Sl} = r_l\, \mathrm{ReLU}\big(\mathrm{conv2d}(u_{Cl-1}, a_l)
              - \tfrac{2r_l}{1+r_l}\, b_l\, v_{Cl-1}\big),
              \qquad v_{Cl-1} = \sqrt{\mathrm{conv2d}(u_{Cl-1}^2, c_{l-1})}

    Since :math:`\frac{1+E}{1+I} - 1 = \frac{E - I}{1 + I}`, this cell is silent
    exactly where the S-cell is; only the normalisation by :math:`1 + I` is gone,
    so outputs are no longer bounded.  With ``inhibition=False`` it is
    ``r ReLU(conv2d(u, a))``: with positive weights, that responds to any input
    under its connection area, and the selectivity is lost.  C-layer:
    ``max_pool2d`` over the same area, stride and padding instead of the
    blur-saturate-inhibit of :func:`c_cell`.  The learned ``a_l, b_l`` are used
    unchanged (:func:`cnnedu.functional.conv2d`, :func:`cnnedu.functional.max_pool2d`).

    Parameters
    ----------
    network : Neocognitron
    image : array_like, shape ``(H, W)`` or ``(1, H, W)``
    inhibition : bool
        Keep the (subtractive) V_C inhibition.

    Returns
    -------
    list of numpy.ndarray
        ``[US1, UC1, ...]`` with the same shapes as :meth:`Neocognitron.forward`.

    Examples
    --------
    >>> net = Neocognitron.fukushima_1980(rng=0)
    >>> [o.shape for o in simplified_forward(net, bitmap("0"))] == net.shapes
    True
    """
    fn = "simplified_forward"
    from . import functional as F            # Numba kernels: imported only when used
    if not isinstance(network, Neocognitron):
        raise TypeError(f"{fn}: network must be a Neocognitron, got {type(network).__name__}")
    inhibition = check_bool(fn, "inhibition", inhibition)
    u = network._input(fn, image)[None]                               # (1, 1, H, W)
    outs = []
    for s, c in zip(network.s_layers, network.c_layers):
        pad = (s.padding, s.padding)
        z = F.conv2d(u, s.a, stride=s.stride, padding=pad)
        if inhibition:
            planes_c = np.broadcast_to(s.c, (1, s.in_planes, s.area, s.area))
            v = np.sqrt(np.maximum(F.conv2d(u * u, planes_c, stride=s.stride, padding=pad), 0.0))
            z = z - (2 * s.r / (1 + s.r)) * s.b[None, :, None, None] * v
        u_s = s.r * np.maximum(z, 0.0)
        u = F.max_pool2d(u_s, c.area, stride=c.stride, padding=(c.padding, c.padding))
        outs += [u_s[0], u[0]]
    return outs
