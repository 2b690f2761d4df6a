r"""A4, the neocognitron's S- and C-cells: one S-plane, an S-layer, a C-layer, one step of learning.

The student writes four functions, with numpy only (maps are ``(planes, H, W)``, a
connection area is ``A x A`` with ``A`` odd for a centred area; ``padding`` is an int
``P`` or a pair ``[P_lo, P_hi]``, the zeros added before and after the maps along
each axis; ``stride`` is an int):

=========================================================  ==========================================
``s_plane(u, a, b, r, c)``                                 one S-plane, area centred on each position
``s_layer(u, a, b, r, c, padding=0, stride=1)``            K S-planes, ``(K, H_out, W_out)``
``c_layer(u, d, alpha=0.5, padding=0, stride=1)``          one C-plane per S-plane, with ψ and V_S
``learn_step(u, a, b, r, q, c, padding=0, stride=1)``      one presentation: returns (a_new, b_new)
=========================================================  ==========================================

The formulas are those of :mod:`cnnedu.neocognitron` (Fukushima 1980, as the lecture
writes them):

.. math::

    u_S(k, n) = r\,\varphi\!\left[\frac{1 + \sum_{k'}\sum_v a(k', v, k)\,u(k', n+v)}
        {1 + \frac{2r}{1+r}\,b(k)\,v_C(n)} - 1\right], \qquad
    v_C(n) = \sqrt{\sum_{k'}\sum_v c(v)\,u(k', n+v)^2},

    u_C(k, n) = \psi\!\left[\frac{1 + \sum_v d(v)\,u_S(k, n+v)}{1 + v_S(n)} - 1\right], \qquad
    v_S(n) = \frac{1}{K}\sum_k \sum_v d(v)\,u_S(k, n+v),

with :math:`\varphi[x] = \max(x, 0)` and :math:`\psi[x] = x/(\alpha + x)` for ``x > 0``, 0
otherwise; one learning step finds each plane's representative (the largest cell of
the plane among the winners of the S-columns, silent columns proposing nobody) and
adds :math:`\Delta a = q\,c(v)\,u(k', \hat n + v)`, :math:`\Delta b = \frac{q}{2} v_C(\hat n)`.

Expected answers come from :mod:`cnnedu.neocognitron`: :func:`~cnnedu.neocognitron.s_cell`
and :func:`~cnnedu.neocognitron.c_cell` on the connection areas (the library's layers
take square maps only, the cell functions any windows), and
:meth:`~cnnedu.neocognitron.SLayer.learn` for the learning step.  The inputs are the
patterns of :mod:`cnnedu.data.patterns` (digits, bars) and seeded random maps; the
learning cases use digits with grey levels, so that no two S-cells tie.

The mistakes it names (each a variant below, tested in ``tests/test_grading_a4.py``):
the inhibition subtracted instead of divided, the ``- 1`` left out, the factor
``2r/(1 + r)`` missing or halved, the leading ``r`` left out, φ not applied; the V_C-cell
as a weighted mean, without its square root, or without the weights ``c``; the area not
centred, the padding left out, on one side, swapped or off by one, the stride ignored,
the weights flipped; the planes added together, one ``b`` for all planes, ``a`` read as
``(K', K, A, A)``; the C-cell without ψ, with ψ taken literally, with V_S summed or left
out, reading all S-planes, without ``d``, max pooling instead, or without its ``- 1``;
learning without the column competition, with one winner in all, with every column's
winner, with silent columns proposing, ``Δa`` without ``c``, without ``q``, ``Δb`` with
``q`` instead of ``q/2`` or not from ``v_C``, ``b`` not updated, the winner's area
taken at the wrong place.
"""

from __future__ import annotations

import numpy as np

from ... import neocognitron as neo
from ... import sizes
from ...data import patterns
from ..judge import MISTAKES
from ..spec import HIDDEN, VISIBLE, Assignment, Case, Part, Test, Variant

__all__ = ["ASSIGNMENT", "A4_MISTAKES", "s_plane_reference", "s_layer_reference", "c_layer_reference",
           "learn_step_reference"]

_OUT = "⌊(H + P_lo + P_hi − A)/S⌋ + 1"

#: The slips A4 recognises, in the fixed sentences the student sees.
A4_MISTAKES = {
    # --- the S-cell's formula ---------------------------------------------------------
    "s_inhibition_subtracted": "You subtracted the inhibition from the excitation (the CNN's simplification): "
                               "the S-cell divides, u_S = r·φ[(1 + e)/(1 + I) − 1] with e = Σ a·u and "
                               "I = 2r/(1 + r)·b·v_C. It is silent exactly where e − I ≤ 0, but its value is "
                               "(e − I)/(1 + I), not e − I.",
    "s_forgot_minus_one": "You left out the − 1: the S-cell is r·φ[(1 + e)/(1 + I) − 1], so that it is silent "
                          "when its excitation e = Σ a·u does not beat its inhibition I = 2r/(1 + r)·b·v_C.",
    "s_inhibition_factor_missing": "Your inhibition lacks its factor 2r/(1 + r): the denominator is "
                                   "1 + 2r/(1 + r)·b·v_C, not 1 + b·v_C.",
    "s_inhibition_factor_halved": "Your inhibition has r/(1 + r) where the formula has 2r/(1 + r): the "
                                  "denominator is 1 + 2r/(1 + r)·b·v_C.",
    "s_forgot_r": "You left out the factor r in front: u_S = r·φ[(1 + e)/(1 + I) − 1], with the selectivity r "
                  "both in front and in the inhibition.",
    "s_forgot_phi": "You kept negative responses: apply φ[x] = max(x, 0) to (1 + e)/(1 + I) − 1, so that an "
                    "S-cell whose inhibition beats its excitation outputs 0.",
    # --- the V_C-cell -----------------------------------------------------------------
    "v_weighted_mean": "Your V_C-cell is a weighted mean, Σ c·u. It is the weighted root mean square, "
                       "v_C(n) = √(Σ_k' Σ_v c(v)·u(k', n + v)²).",
    "v_forgot_sqrt": "Your V_C-cell lacks the square root: v_C(n) = √(Σ_k' Σ_v c(v)·u(k', n + v)²).",
    "v_unweighted": "Your V_C-cell ignores the weights c: v_C(n) = √(Σ_k' Σ_v c(v)·u(k', n + v)²), with the "
                    "same c(v) for every input plane k'.",
    # --- where the connection area lies -------------------------------------------------
    "area_not_centred": "Your connection area is not centred on its cell: cell n reads the inputs n + v with "
                        "v from −(A − 1)/2 to (A − 1)/2 along each axis, so pad (A − 1)/2 zeros before the maps "
                        "and (A − 1)/2 after them.",
    "area_forgot_padding": "You left out the zero padding: inputs outside the maps count as 0, so pad the maps "
                           "before taking the connection areas ((A − 1)/2 zeros on each side for a centred "
                           "area; P_lo before and P_hi after in a layer).",
    "area_padding_one_side": "You padded one side only: padding P puts P zeros before the maps and P after "
                             "them along each axis, and a pair (P_lo, P_hi) puts P_lo before and P_hi after.",
    "area_padding_swapped": "You swapped the two paddings: (P_lo, P_hi) puts P_lo zeros before the maps (top "
                            "and left) and P_hi zeros after them (bottom and right).",
    "area_padding_off_by_one": "Your padding is off by one: a centred A×A area needs exactly (A − 1)/2 zeros "
                               "on each side, and a layer exactly P_lo before and P_hi after.",
    "area_forgot_stride": "You ignored the stride: neighbouring cells read areas S positions apart, so cell m "
                          "reads the area that starts at m·S of the padded maps, and a plane has "
                          + _OUT + " cells along an axis.",
    "area_stride_window_start": "The plane has the right size, but your areas move one position per cell "
                                "instead of S: cell m reads the area that starts at m·S, not at m.",
    "area_flipped": "You flipped the weights (a true convolution): the cell at n multiplies a(k', v) with "
                    "u(k', n + v), the area as it is, like a cross-correlation.",
    # --- planes ---------------------------------------------------------------------------
    "s_planes_summed": "You added the planes together: each of the K planes has its own weights a[k] and b[k] "
                       "and its own map of cells, so the layer returns K maps, (K, H_out, W_out).",
    "s_one_b": "You used b[0] for every plane: plane k has its own inhibitory weight b[k].",
    "s_weights_layout": "You read the weights as a[k', k]: a[k, k'] holds the weights of plane k for input "
                        "plane k' (shape (K, K', A, A), PyTorch's layout).",
    # --- the C-cell -----------------------------------------------------------------------
    "c_forgot_psi": "You left out the saturation: the C-cell applies ψ[x] = x/(α + x) for x > 0 (0 otherwise), "
                    "so its outputs stay below 1; yours are φ[x].",
    "c_psi_literal": "You applied ψ[x] = φ[x/(α + x)] literally, which is positive again for x < −α: ψ is "
                     "x/(α + x) for x > 0 and 0 for x ≤ 0.",
    "c_vs_summed": "Your V_S-cell adds the planes up; it is their mean, "
                   "v_S(n) = (1/K)·Σ_k Σ_v d(v)·u_S(k, n + v).",
    "c_forgot_inhibition": "You left out the V_S-cell: the C-cell divides by 1 + v_S(n), with v_S(n) the mean "
                           "over the K planes of Σ_v d(v)·u_S(k, n + v).",
    "c_planes_summed": "Each C-plane reads its own S-plane only: u_C(k, n) sums d(v)·u_S(k, n + v) over the "
                       "area of plane k, not over all planes (the planes meet only in the V_S-cell).",
    "c_unweighted": "You added the S-cells without the weights d: the excitation of a C-cell is "
                    "Σ_v d(v)·u_S(k, n + v).",
    "c_max_pooling": "You max-pooled the S-planes (the CNN's simplification of the C-cell); this part asks for "
                     "the neocognitron's C-cell, ψ[(1 + Σ_v d(v)·u_S(k, n + v))/(1 + v_S(n)) − 1].",
    "c_forgot_minus_one": "You left out the − 1: the C-cell is ψ[(1 + Σ_v d(v)·u_S(k, n + v))/(1 + v_S(n)) − 1], "
                          "so only planes more active than the average plane respond.",
    # --- learning ---------------------------------------------------------------------------
    "learn_no_column_competition": "You reinforced every plane at its own largest cell: a plane learns only "
                                   "where one of its cells is the largest of its S-column (the cells of all "
                                   "planes at one position); a plane that wins no column stays as it is.",
    "learn_one_winner": "You reinforced one cell in all: every plane that wins at least one S-column has a "
                        "representative (its largest winning cell), so several planes learn from one "
                        "presentation.",
    "learn_every_candidate": "You reinforced every column's winner: of the candidates on one plane only the "
                             "largest is kept, so each plane is reinforced once, at its representative n̂.",
    "learn_silent_column": "A silent S-column (all its cells 0) proposes nobody, but one of your "
                           "representatives is a cell whose output is 0.",
    "learn_delta_a_no_c": "Your Δa lacks the weights c: Δa(k', v, k̂) = q·c(v)·u(k', n̂ + v).",
    "learn_forgot_q": "You left out the reinforcement rate q: Δa(k', v, k̂) = q·c(v)·u(k', n̂ + v) and "
                      "Δb(k̂) = (q/2)·v_C(n̂).",
    "learn_delta_b_full_q": "Your Δb is q·v_C; the rule halves it: Δb(k̂) = (q/2)·v_C(n̂).",
    "learn_delta_b_not_v_c": "Your Δb does not use the V_C-cell: Δb(k̂) = (q/2)·v_C(n̂), with "
                             "v_C(n̂) = √(Σ_k' Σ_v c(v)·u(k', n̂ + v)²) over the representative's area.",
    "learn_forgot_b": "You did not update b: the representative's inhibitory weight grows too, "
                      "Δb(k̂) = (q/2)·v_C(n̂).",
    "learn_area_offset": "You reinforced with the wrong area: the representative at (row, col) read the A×A "
                         "area that starts at (row·S, col·S) of the padded maps; Δa and Δb come from that area.",
}
MISTAKES.update(A4_MISTAKES)


# ---------------------------------------------------------------------------
# Geometry (the connection areas of every cell)
# ---------------------------------------------------------------------------

def _pads(padding) -> tuple[int, int]:
    """An int P or a pair [P_lo, P_hi] as (lo, hi)."""
    if isinstance(padding, (list, tuple)):
        return int(padding[0]), int(padding[1])
    return int(padding), int(padding)


def _windows(u, area: int, stride: int, pads) -> np.ndarray:
    """The connection areas: ``(K, H, W) -> (H_out, W_out, K, A, A)``; ValueError if the area does not fit."""
    u = np.asarray(u, dtype=np.float64)
    for n in u.shape[1:]:
        sizes.conv_output_size(n, area, stride, tuple(pads))
    return neo._windows(u, area, stride, tuple(pads))


def _same(area: int) -> tuple[int, int]:
    return ((area - 1) // 2,) * 2


# ---------------------------------------------------------------------------
# The right answers (cnnedu.neocognitron)
# ---------------------------------------------------------------------------

def s_plane_reference(u, a, b, r, c):
    """The right answer: ``(u_S,)``, shape ``(H, W)``."""
    return (neo.s_cell(_windows(u, a.shape[-1], 1, _same(a.shape[-1])), a, b, r, c),)


def s_layer_reference(u, a, b, r, c, padding=0, stride=1):
    """The right answer: ``(u_S,)``, shape ``(K, H_out, W_out)``."""
    win = _windows(u, a.shape[-1], stride, _pads(padding))
    return (neo.s_cell(win, a, b, r, c).transpose(2, 0, 1),)


def c_layer_reference(u, d, alpha=0.5, padding=0, stride=1):
    """The right answer: ``(u_C,)``, shape ``(K, H_out, W_out)``."""
    win = _windows(u, d.shape[-1], stride, _pads(padding))
    return (neo.c_cell(win, d, alpha).transpose(2, 0, 1),)


def _slayer(a, b, r, q, c, padding, stride) -> neo.SLayer:
    layer = neo.SLayer(a.shape[1], a.shape[0], a.shape[-1], r, q, padding=_pads(padding), stride=stride)
    layer.a, layer.b, layer.c = np.array(a, dtype=np.float64), np.array(b, dtype=np.float64), np.array(c)
    return layer


def learn_step_reference(u, a, b, r, q, c, padding=0, stride=1):
    """The right answer: ``(a_new, b_new)``, from :meth:`cnnedu.neocognitron.SLayer.learn`."""
    layer = _slayer(a, b, r, q, c, padding, stride)
    layer.learn(u)
    return layer.a, layer.b


# ---------------------------------------------------------------------------
# Wrong S-cells
# ---------------------------------------------------------------------------

_V = {
    "rms": lambda w, c: np.sqrt(np.einsum("hwkij,ij->hw", w * w, c)),
    "weighted_mean": lambda w, c: np.einsum("hwkij,ij->hw", w, c),
    "no_sqrt": lambda w, c: np.einsum("hwkij,ij->hw", w * w, c),
    "rms_unweighted": lambda w, c: np.sqrt((w * w).mean(axis=(2, 3, 4))),
    "mean_unweighted": lambda w, c: w.mean(axis=(2, 3, 4)),
}
_FACTOR = {"2r/(1+r)": lambda r: 2 * r / (1 + r), "r/(1+r)": lambda r: r / (1 + r), "1": lambda r: 1.0}


def s_cells(win, a, b, r, c, *, v="rms", form="divide", factor="2r/(1+r)", leading_r=True, phi=True):
    """S-cells ``(H_out, W_out, K)`` on connection areas ``win``, with knobs for the mistakes.

    With the defaults this is :func:`cnnedu.neocognitron.s_cell` (the tests check it).
    """
    a = np.asarray(a, dtype=np.float64)
    a = a[None] if a.ndim == 3 else a
    b = np.broadcast_to(np.asarray(b, dtype=np.float64).reshape(-1), (a.shape[0],))
    e = np.tensordot(win, a, axes=([2, 3, 4], [1, 2, 3]))
    inhibition = _FACTOR[factor](r) * b * _V[v](win, c)[..., None]
    x = {"divide": lambda: (1 + e) / (1 + inhibition) - 1, "subtract": lambda: e - inhibition,
         "no_minus_one": lambda: (1 + e) / (1 + inhibition)}[form]()
    return (r if leading_r else 1.0) * (np.maximum(x, 0.0) if phi else x)


_S_FORMULA = (
    ("s_inhibition_subtracted", dict(form="subtract")),
    ("s_forgot_minus_one", dict(form="no_minus_one")),
    ("s_inhibition_factor_missing", dict(factor="1")),
    ("s_inhibition_factor_halved", dict(factor="r/(1+r)")),
    ("s_forgot_r", dict(leading_r=False)),
    ("s_forgot_phi", dict(phi=False)),
    ("v_weighted_mean", dict(v="weighted_mean")),
    ("v_forgot_sqrt", dict(v="no_sqrt")),
    ("v_unweighted", dict(v="rms_unweighted")),
    ("v_unweighted", dict(v="mean_unweighted")),
)


def _plane_variant(pads_of=lambda p: p, flip=False, applies=lambda p: True, **knobs):
    def compute(u, a, b, r, c):
        p = (a.shape[-1] - 1) // 2
        if not applies(p):
            return None
        w = a[..., ::-1, ::-1] if flip else a
        return (s_cells(_windows(u, a.shape[-1], 1, pads_of(p)), w, b, r, c, **knobs)[..., 0],)
    return compute


S_PLANE_VARIANTS = tuple(Variant(key, _plane_variant(lambda p: (p, p), **knobs)) for key, knobs in _S_FORMULA) + (
    Variant("area_not_centred", _plane_variant(lambda p: (0, 2 * p), applies=lambda p: p > 0)),
    Variant("area_not_centred", _plane_variant(lambda p: (2 * p, 0), applies=lambda p: p > 0)),
    Variant("area_forgot_padding", _plane_variant(lambda p: (0, 0), applies=lambda p: p > 0)),
    Variant("area_padding_off_by_one", _plane_variant(lambda p: (p + 1, p + 1))),
    Variant("area_padding_off_by_one", _plane_variant(lambda p: (p - 1, p - 1), applies=lambda p: p > 0)),
    Variant("area_flipped", _plane_variant(lambda p: (p, p), flip=True)),
)


def _geometry_variants(compute):
    """The padding and stride slips of a layer, for ``compute(u, weights..., pads, stride, K) -> output``."""
    def variant(change):
        def wrapped(*args):
            *front, padding, stride = args
            lo, hi = _pads(padding)
            new = change(lo, hi, stride)
            if new is None:
                return None
            (new_lo, new_hi), new_stride, crop = new
            out = compute(*front, (new_lo, new_hi), new_stride)
            if crop:
                (right,) = compute(*front, (lo, hi), stride)
                out = (out[0][:, :right.shape[1], :right.shape[2]],)
            return out
        return wrapped

    return (
        Variant("area_forgot_padding", variant(lambda lo, hi, s: ((0, 0), s, False) if lo or hi else None)),
        Variant("area_padding_swapped", variant(lambda lo, hi, s: ((hi, lo), s, False) if lo != hi else None)),
        Variant("area_padding_one_side", variant(lambda lo, hi, s: ((lo, 0), s, False) if hi else None)),
        Variant("area_padding_one_side", variant(lambda lo, hi, s: ((0, hi), s, False) if lo else None)),
        Variant("area_padding_one_side", variant(lambda lo, hi, s: ((lo + hi, 0), s, False) if hi else None)),
        Variant("area_padding_one_side", variant(lambda lo, hi, s: ((0, lo + hi), s, False) if lo else None)),
        Variant("area_padding_off_by_one", variant(lambda lo, hi, s: ((lo + 1, hi + 1), s, False))),
        Variant("area_padding_off_by_one",
                variant(lambda lo, hi, s: ((lo - 1, hi - 1), s, False) if lo and hi else None)),
        Variant("area_forgot_stride", variant(lambda lo, hi, s: ((lo, hi), 1, False) if s > 1 else None)),
        Variant("area_stride_window_start", variant(lambda lo, hi, s: ((lo, hi), 1, True) if s > 1 else None)),
    )


def _layer_variant(**knobs):
    def compute(u, a, b, r, c, padding=0, stride=1):
        win = _windows(u, a.shape[-1], stride, _pads(padding))
        return (s_cells(win, a, b, r, c, **knobs).transpose(2, 0, 1),)
    return compute


def _s_flipped(u, a, b, r, c, padding=0, stride=1):
    return _layer_variant()(u, np.ascontiguousarray(a[..., ::-1, ::-1]), b, r, c, padding, stride)


def _s_planes_summed(keepdims):
    def compute(u, a, b, r, c, padding=0, stride=1):
        if a.shape[0] == 1 and keepdims:
            return None
        return (s_layer_reference(u, a, b, r, c, padding, stride)[0].sum(axis=0, keepdims=keepdims),)
    return compute


def _s_one_b(u, a, b, r, c, padding=0, stride=1):
    if len(b) < 2 or np.all(b == b[0]):
        return None
    return s_layer_reference(u, a, np.full_like(b, b[0]), r, c, padding, stride)


def _s_layout(u, a, b, r, c, padding=0, stride=1):
    if a.shape[0] != a.shape[1]:
        return None
    return s_layer_reference(u, np.ascontiguousarray(a.transpose(1, 0, 2, 3)), b, r, c, padding, stride)


S_LAYER_VARIANTS = tuple(Variant(key, _layer_variant(**knobs)) for key, knobs in _S_FORMULA) + \
    _geometry_variants(s_layer_reference) + (
        Variant("area_flipped", _s_flipped),
        Variant("s_planes_summed", _s_planes_summed(True)),
        Variant("s_planes_summed", _s_planes_summed(False)),
        Variant("s_one_b", _s_one_b),
        Variant("s_weights_layout", _s_layout),
    )


# ---------------------------------------------------------------------------
# Wrong C-cells
# ---------------------------------------------------------------------------

def c_cells(win, d, alpha, *, weights=True, planes="own", vs="mean", psi="right", minus_one=True):
    """C-cells ``(H_out, W_out, K)`` on connection areas ``win``, with knobs for the mistakes.

    With the defaults this is :func:`cnnedu.neocognitron.c_cell` (the tests check it).
    """
    e = np.einsum("hwkij,ij->hwk", win, d if weights else np.ones_like(d))
    v = {"mean": lambda: e.mean(axis=-1, keepdims=True), "sum": lambda: e.sum(axis=-1, keepdims=True),
         "none": lambda: 0.0}[vs]()
    if planes == "all":
        e = np.broadcast_to(e.sum(axis=-1, keepdims=True), e.shape)
    x = (1 + e) / (1 + v) - (1 if minus_one else 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"right": lambda: neo.psi(x, alpha), "none": lambda: np.maximum(x, 0.0),
                "literal": lambda: np.maximum(x / (alpha + x), 0.0)}[psi]()


def _c_variant(**knobs):
    def compute(u, d, alpha=0.5, padding=0, stride=1):
        win = _windows(u, d.shape[-1], stride, _pads(padding))
        return (c_cells(win, d, alpha, **knobs).transpose(2, 0, 1),)
    return compute


def _c_max_pool(u, d, alpha=0.5, padding=0, stride=1):
    return (_windows(u, d.shape[-1], stride, _pads(padding)).max(axis=(3, 4)).transpose(2, 0, 1),)


def _c_geometry(u, d, alpha, pads, stride):
    return c_layer_reference(u, d, alpha, list(pads), stride)


C_LAYER_VARIANTS = (
    Variant("c_forgot_psi", _c_variant(psi="none")),
    Variant("c_psi_literal", _c_variant(psi="literal")),
    Variant("c_vs_summed", _c_variant(vs="sum")),
    Variant("c_forgot_inhibition", _c_variant(vs="none")),
    Variant("c_planes_summed", _c_variant(planes="all")),
    Variant("c_unweighted", _c_variant(weights=False)),
    Variant("c_max_pooling", _c_max_pool),
    Variant("c_forgot_minus_one", _c_variant(minus_one=False)),
) + _geometry_variants(_c_geometry)


# ---------------------------------------------------------------------------
# Wrong learning steps
# ---------------------------------------------------------------------------

def _representatives(u_s, select):
    """(planes, rows, cols) of the plane(s) reinforced, for the right rule and the wrong ones."""
    k, h, w = u_s.shape
    if select == "right":
        return neo.find_representatives(u_s)
    flat = u_s.reshape(k, h * w)
    if select == "per_plane":                        # each plane's own largest cell, no competition
        planes = np.flatnonzero(flat.max(axis=1) > 0)
        pos = flat[planes].argmax(axis=1)
    elif select == "global":                         # the largest cell of the layer only
        if flat.max() <= 0:
            return np.zeros(0, int), np.zeros(0, int), np.zeros(0, int)
        plane, p = np.unravel_index(int(flat.argmax()), flat.shape)
        planes, pos = np.array([plane]), np.array([p])
    elif select == "every":                          # every column's winner, repeated planes
        best = flat.argmax(axis=0)
        pos = np.flatnonzero(flat[best, np.arange(h * w)] > 0)
        planes = best[pos]
    elif select == "silent":                         # silent columns propose their (first) plane too
        best = flat.argmax(axis=0)
        value = flat[best, np.arange(h * w)]
        candidate = np.where(best[None, :] == np.arange(k)[:, None], value[None, :], -np.inf)
        pos = candidate.argmax(axis=1)
        planes = np.flatnonzero(np.isfinite(candidate[np.arange(k), pos]))
        pos = pos[planes]
    return planes, pos // w, pos % w


_DELTA_V = {                                          # what Δb takes as the winner's V_C-cell
    "right": lambda patch, c: neo.v_c_cell(patch, c),
    "weighted_mean": lambda patch, c: np.sum(c * patch),
    "no_sqrt": lambda patch, c: np.sum(c * patch * patch),
    "unweighted": lambda patch, c: np.sqrt(np.mean(patch ** 2)),
    "none": lambda patch, c: 0.0,
}


def _learn(u, a, b, r, q, c, padding, stride, *, select="right", with_c=True, with_q=True, v="right",
           b_rate=0.5, area="right"):
    """One learning step with knobs for the mistakes; with the defaults it is ``SLayer.learn``."""
    A = a.shape[-1]
    lo, hi = _pads(padding)
    win = _windows(u, A, stride, (lo, hi))
    u_s = neo.s_cell(win, a, b, r, c).transpose(2, 0, 1)
    planes, rows, cols = _representatives(u_s, select)
    a_new, b_new = np.array(a, dtype=np.float64), np.array(b, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    rate = q if with_q else 1.0
    for k, i, j in zip(planes, rows, cols):
        if area == "unpadded":                       # the area read in the maps without their padding
            patch = u[:, i * stride:i * stride + A, j * stride:j * stride + A]
            if patch.shape[1:] != (A, A):
                return None                          # the student's slice would not broadcast
        elif area == "no_stride":
            patch = np.pad(u, ((0, 0), (lo, hi), (lo, hi)))[:, i:i + A, j:j + A]
        else:
            patch = win[i, j]
        a_new[k] += rate * (c * patch if with_c else patch)
        b_new[k] += b_rate * rate * _DELTA_V[v](patch, c)
    return a_new, b_new


def _learn_variant(outputs=(0, 1), applies=lambda args: True, **knobs):
    def compute(u, a, b, r, q, c, padding=0, stride=1):
        args = dict(u=u, a=a, b=b, r=r, q=q, c=c, padding=padding, stride=stride)
        if not applies(args):
            return None
        out = _learn(u, a, b, r, q, c, padding, stride, **knobs)
        return None if out is None else tuple(o if i in outputs else None for i, o in enumerate(out))
    return compute


def _padded(args):
    return any(_pads(args["padding"]))


LEARN_VARIANTS = (
    Variant("learn_no_column_competition", _learn_variant(select="per_plane")),
    Variant("learn_one_winner", _learn_variant(select="global")),
    Variant("learn_every_candidate", _learn_variant(select="every")),
    Variant("learn_silent_column", _learn_variant(select="silent")),
    Variant("learn_delta_a_no_c", _learn_variant(outputs=(0,), with_c=False)),
    Variant("learn_forgot_q", _learn_variant(with_q=False, applies=lambda x: x["q"] != 1)),
    Variant("learn_delta_b_full_q", _learn_variant(outputs=(1,), b_rate=1.0)),
    Variant("learn_delta_b_not_v_c", _learn_variant(outputs=(1,), v="weighted_mean")),
    Variant("learn_delta_b_not_v_c", _learn_variant(outputs=(1,), v="no_sqrt")),
    Variant("learn_delta_b_not_v_c", _learn_variant(outputs=(1,), v="unweighted")),
    Variant("learn_forgot_b", _learn_variant(outputs=(1,), v="none")),
    Variant("learn_area_offset", _learn_variant(area="unpadded", applies=_padded)),
    Variant("learn_area_offset", _learn_variant(area="no_stride", applies=lambda x: x["stride"] > 1)),
)


# ---------------------------------------------------------------------------
# Shapes in words, with the formula (numbers from cnnedu.sizes)
# ---------------------------------------------------------------------------

def _describe_plane(case, output, shape):
    h, w = case.params["size"]
    return (f"It is (H, W) = ({h}, {w}), the size of the input maps: the area is centred on each cell, "
            f"so pad (A − 1)/2 = {(case.params['area'] - 1) // 2} zeros on each side of every axis.")


def _describe_layer(kind):
    def describe(case, output, shape):
        p = case.params
        lo, hi = p["pads"]
        sides = []
        for axis, n in zip(("H", "W"), p["size"]):
            out = sizes.conv_output_size(n, p["area"], p["stride"], (lo, hi))
            sides.append(f"{axis}_out = ⌊({axis} + P_lo + P_hi − A)/S⌋ + 1 = "
                         f"⌊({n} + {lo} + {hi} − {p['area']})/{p['stride']}⌋ + 1 = {out}")
        planes = ("K = {} planes".format(p["planes"]) if kind == "S"
                  else "one C-plane per S-plane, K = {}".format(p["planes"]))
        return f"It is (K, H_out, W_out), with {planes}, {' and '.join(sides)} (cnnedu.sizes.conv_output_size)."
    return describe


def _describe_learn(case, output, shape):
    return {0: f"a_new has the shape of a, (K, K', A, A) = {shape}.",
            1: f"b_new has one value per plane, (K,) = {shape}."}[output]


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------

def _c(area: int, in_planes: int) -> np.ndarray:
    """Fukushima's c: decreasing from the centre, summing to 1 over the area and the input planes."""
    return neo.area_weights(area, 0.9, normalize_planes=in_planes)


def _template(patch, c, times=50.0):
    """The weights of a plane reinforced ``times`` times (q = 1) by ``patch`` (K', A, A) at one place."""
    patch = np.asarray(patch, dtype=np.float64)
    return times * c * patch, times / 2 * float(neo.v_c_cell(patch, c))


def _bars(area: int, orientations=patterns.BAR_ORIENTATIONS, thickness: int = 2):
    """Templates ``a`` (K, 1, A, A) and ``b`` (K,) of planes that learned the bars of ``orientations``.

    Two pixels thick, like the strokes of the digits.
    """
    c = _c(area, 1)
    pairs = [_template(patterns.make_bar(o, size=area, thickness=thickness)[None], c) for o in orientations]
    return np.stack([p[0] for p in pairs]), np.array([p[1] for p in pairs]), c


def _digit(char: str) -> np.ndarray:
    return patterns.bitmap(char).astype(np.float64)[None]


def _grey(char: str, seed: int, dy: int = 0, dx: int = 0) -> np.ndarray:
    """A digit with grey levels in [0.5, 1] (so that no two S-cells tie), shifted by (dy, dx)."""
    rng = np.random.default_rng(seed)
    image = patterns.shift(patterns.bitmap(char), dy, dx).astype(np.float64)
    return (image * rng.uniform(0.5, 1.0, image.shape))[None]


def _balanced_b(u, a, r, c, pads, stride):
    """One b per plane that silences about half of the plane's cells.

    At ``b = e/(2r/(1 + r)·v_C)`` a cell is on its threshold; each plane gets its median
    threshold times 1.1, 0.8, 1.25, 0.9 (planes 0, 1, 2, 3, then again), so that no cell sits on it.
    """
    win = _windows(u, a.shape[-1], stride, pads)
    e = np.tensordot(win, a, axes=([2, 3, 4], [1, 2, 3]))                   # (H, W, K)
    v = _V["rms"](win, c)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        threshold = np.where(v > 0, e / (2 * r / (1 + r) * np.where(v > 0, v, 1)), np.nan)
    median = np.nanmedian(threshold.reshape(-1, a.shape[0]), axis=0)
    return np.round(median * np.resize([1.1, 0.8, 1.25, 0.9], a.shape[0]), 4)


def _random_s(seed, in_planes, planes, size, area, pads, stride, r=None):
    """u (K', H, W) in [0, 1), a (K, K', A, A) in [0, 0.5), b balanced, r, Fukushima's c."""
    rng = np.random.default_rng(seed)
    u = np.round(rng.random((in_planes, *size)), 4)
    a = np.round(rng.uniform(0.0, 0.5, (planes, in_planes, area, area)), 4)
    r = float(np.round(rng.uniform(1.0, 5.0), 2)) if r is None else float(r)
    c = _c(area, in_planes)
    return u, a, _balanced_b(u, a, r, c, pads, stride), r, c


def _largest_first(cases, reference):
    """Cases with more cells first: a test reports its first failed case, and a large one says most."""
    return sorted(cases, key=lambda case: -reference(*case.args)[0].size)


def _fmt_pads(pads) -> str:
    lo, hi = pads
    return f"padding {lo}" if lo == hi else f"padding ({lo}, {hi})"


# --- s_plane ------------------------------------------------------------------------

def _plane_case(label, u, a, b, r, c):
    u, a, c = (np.asarray(x, dtype=np.float64) for x in (u, a, c))
    area = a.shape[-1]
    params = {"size": u.shape[1:], "area": area, "in_planes": u.shape[0], "r": r}
    return Case(f"{label}: u {u.shape}, a {a.shape}, b {b:g}, r {r:g}", (u, a, float(b), float(r), c), params)


def _random_plane(seed, in_planes, size, area, r=None, label="random maps"):
    u, a, b, r, c = _random_s(seed, in_planes, 1, size, area, _same(area), 1, r)
    return _plane_case(label, u, a[0], float(b[0]), r, c)


def _plane_groups():
    a_bars3, b_bars3, c3 = _bars(3, ("vertical",))
    a_bars5, b_bars5, c5 = _bars(5, ("antidiagonal",))
    bar_image = patterns.make_bar("vertical", size=8, length=5)[None] + \
        patterns.make_bar("horizontal", size=8, length=3, offset=-3)[None]
    rng = np.random.default_rng(41)
    centre = np.zeros((3, 3))
    centre[1, 1] = 1.0
    u_zero_c, a_zero_c, _, _, _ = _random_s(43, 2, 1, (6, 5), 3, (1, 1), 1)
    u_zero_c = u_zero_c * (rng.random(u_zero_c.shape) < 0.4)          # v_C = 0 where both centres are 0
    return [
        ("a learned bar on digits", VISIBLE, [
            _plane_case("digit 2, a plane that learned an antidiagonal bar", _digit("2"), a_bars5[0],
                        b_bars5[0], 2.5, c5),
            _plane_case("bars, a plane that learned a vertical bar", bar_image, a_bars3[0], b_bars3[0], 1.5, c3),
        ]),
        ("random maps", VISIBLE, [_random_plane(1, 2, (7, 6), 3), _random_plane(2, 3, (6, 8), 5)]),
        ("zero input and no inhibition", HIDDEN, [
            _plane_case("all-zero input", np.zeros((1, 6, 6)), a_bars3[0], b_bars3[0], 4.0, c3),
            _plane_case("no inhibition (b = 0)", np.round(rng.random((2, 5, 7)), 4),
                        np.round(rng.uniform(0, 0.5, (2, 3, 3)), 4), 0.0, 2.5, _c(3, 2)),
            _plane_case("c zero away from the centre, v_C = 0 at some cells", u_zero_c, a_zero_c[0], 3.0, 2.0,
                        centre),
        ]),
        ("areas as large as the map, 1×1 areas", HIDDEN, [
            _random_plane(4, 2, (5, 5), 5, label="an area as large as the map"),
            _random_plane(5, 1, (3, 4), 7, label="an area larger than the map"),
            _random_plane(6, 3, (4, 6), 1, label="1×1 areas"),
        ]),
        ("r near its limits", HIDDEN, [
            _random_plane(7, 2, (6, 7), 3, r=1e-3, label="r = 0.001"),
            _random_plane(8, 1, (7, 5), 5, r=1e3, label="r = 1000"),
        ]),
        ("random sizes", HIDDEN, _random_plane_sizes()),
    ]


def _random_plane_sizes():
    rng = np.random.default_rng(2404)
    cases = []
    for i in range(4):
        area = int(rng.choice([1, 3, 5]))
        size = tuple(int(n) for n in rng.integers(2, 10, size=2))
        cases.append(_random_plane(100 + i, int(rng.integers(1, 4)), size, area))
    return _largest_first(cases, s_plane_reference)


# --- s_layer ------------------------------------------------------------------------

def _layer_case(label, u, a, b, r, c, padding, stride):
    u, a, b, c = (np.asarray(x, dtype=np.float64) for x in (u, a, b, c))
    pads = _pads(padding)
    params = {"size": u.shape[1:], "area": a.shape[-1], "pads": pads, "stride": stride, "planes": a.shape[0]}
    text = f"{label}: u {u.shape}, a {a.shape}, r {r:g}, {_fmt_pads(pads)}, stride {stride}"
    arg = list(pads) if pads[0] != pads[1] else pads[0]
    return Case(text, (u, a, b, float(r), c, arg, int(stride)), params)


def _random_layer(seed, in_planes, planes, size, area, padding, stride, r=None, label="random maps"):
    u, a, b, r, c = _random_s(seed, in_planes, planes, size, area, _pads(padding), stride, r)
    return _layer_case(label, u, a, b, r, c, padding, stride)


def _layer_groups():
    a4, b4, c5 = _bars(5)
    a1, b1, c3 = _bars(3, ("diagonal",))
    return [
        ("Fukushima's first layer", VISIBLE, [
            _layer_case("digit 0, four bar planes", _digit("0"), a4, b4, 4.0, c5, 2, 1),
            _layer_case("digit 3, four bar planes", _digit("3"), a4, b4, 4.0, c5, 2, 1),
        ]),
        ("several input maps", VISIBLE, [
            _random_layer(11, 3, 5, (10, 10), 5, 1, 1, r=1.5, label="like US2"),
            _random_layer(12, 3, 3, (6, 7), 3, 0, 1),
        ]),
        ("stride and uneven padding", HIDDEN, [
            _random_layer(13, 2, 3, (9, 8), 3, 1, 2),
            _random_layer(14, 1, 2, (16, 16), 5, [3, 4], 2, label="UC1's geometry"),
            _random_layer(15, 2, 2, (10, 7), 3, [0, 2], 3),
        ]),
        ("edge cases", HIDDEN, [
            _random_layer(18, 2, 2, (3, 4), 3, 3, 1, label="areas that see only padding"),
            _random_layer(19, 2, 3, (6, 6), 3, 1, 1, r=1e-3, label="r = 0.001"),
            _random_layer(20, 3, 2, (5, 6), 3, 1, 1, r=1e3, label="r = 1000"),
            _random_layer(17, 2, 3, (5, 5), 5, 0, 1, label="an area as large as the map"),
            _layer_case("one plane, one input map, all-zero input", np.zeros((1, 5, 5)), a1, b1, 4.0, c3, 1, 1),
            _random_layer(34, 1, 1, (6, 6), 5, 0, 1, label="one plane, one map, US3's geometry"),
        ]),
        ("random sizes", HIDDEN, _random_layer_sizes()),
    ]


def _random_layer_sizes():
    rng = np.random.default_rng(2414)
    cases = []
    for i in range(4):
        area, stride = int(rng.choice([1, 2, 3, 5])), int(rng.integers(1, 4))
        pads = [int(p) for p in rng.integers(0, 3, size=2)]
        size = tuple(int(rng.integers(max(1, area - sum(pads)), 11)) for _ in range(2))
        padding = pads if pads[0] != pads[1] else pads[0]
        cases.append(_random_layer(200 + i, int(rng.integers(1, 4)), int(rng.integers(1, 5)), size, area,
                                   padding, stride))
    return _largest_first(cases, s_layer_reference)


# --- c_layer ------------------------------------------------------------------------

def _clayer_case(label, u, d, alpha, padding, stride):
    u, d = np.asarray(u, dtype=np.float64), np.asarray(d, dtype=np.float64)
    pads = _pads(padding)
    params = {"size": u.shape[1:], "area": d.shape[-1], "pads": pads, "stride": stride, "planes": u.shape[0]}
    text = f"{label}: u {u.shape}, d {d.shape}, α {alpha:g}, {_fmt_pads(pads)}, stride {stride}"
    arg = list(pads) if pads[0] != pads[1] else pads[0]
    return Case(text, (u, d, float(alpha), arg, int(stride)), params)


def _s_planes(char: str) -> np.ndarray:
    """The four bar planes of 'Fukushima's first layer' on a digit: realistic S-planes."""
    a4, b4, c5 = _bars(5)
    return s_layer_reference(_digit(char), a4, b4, 4.0, c5, 2, 1)[0]


def _random_c(seed, planes, size, area, padding, stride, alpha=0.5, gamma=0.8, label="random S-planes"):
    rng = np.random.default_rng(seed)
    u = np.round(rng.random((planes, *size)) * (rng.random((planes, *size)) < 0.5), 4)   # half the cells silent
    return _clayer_case(label, u, neo.area_weights(area, gamma), alpha, padding, stride)


def _c_groups():
    rng = np.random.default_rng(31)
    busy = np.round(rng.uniform(0.0, 3.0, (3, 7, 6)), 4)
    busy[0] *= 0.01                                    # a quiet plane among busy ones: x < −α
    flat = np.round(rng.random((2, 6, 6)), 4)
    return [
        ("Fukushima's first C-layer", VISIBLE, [
            _clayer_case("the four bar planes of digit 3, UC1's geometry", _s_planes("3"),
                         neo.area_weights(5, 0.8), 0.5, [3, 4], 2),
        ]),
        ("stride 1", VISIBLE, [
            _clayer_case("the four bar planes of digit 0", _s_planes("0")[:, 2:10, 3:11],
                         neo.area_weights(5, 0.8), 0.5, 1, 1),
            _random_c(21, 3, (7, 6), 3, 1, 1),
        ]),
        ("edge cases", HIDDEN, [
            _random_c(22, 1, (5, 5), 3, 1, 1, label="one plane"),
            _random_c(23, 4, (2, 2), 2, 0, 1, label="UC3's geometry, 2×2 areas"),
            _clayer_case("all-zero input", np.zeros((3, 4, 5)), neo.area_weights(3, 0.8), 0.5, 1, 1),
            _clayer_case("a quiet plane among busy ones", busy, neo.area_weights(3, 0.8), 0.5, 1, 1),
            _random_c(24, 2, (6, 9), 3, [0, 1], 2, label="stride 2, uneven padding"),
        ]),
        ("α and d", HIDDEN, [
            _random_c(25, 3, (6, 6), 3, 1, 1, alpha=0.05, label="α = 0.05"),
            _random_c(26, 3, (5, 7), 3, 1, 1, alpha=5.0, label="α = 5"),
            _clayer_case("a flat d, 1×1 areas", flat, np.ones((1, 1)), 0.5, 0, 1),
            _random_c(27, 2, (6, 6), 5, 2, 1, gamma=1.0, label="a flat d"),
        ]),
        ("random sizes", HIDDEN, _random_c_sizes()),
    ]


def _random_c_sizes():
    rng = np.random.default_rng(2424)
    cases = []
    for i in range(4):
        area, stride = int(rng.choice([2, 3, 5])), int(rng.integers(1, 4))
        pads = [int(p) for p in rng.integers(0, 4, size=2)]
        size = tuple(int(rng.integers(max(1, area - sum(pads)), 12)) for _ in range(2))
        padding = pads if pads[0] != pads[1] else pads[0]
        cases.append(_random_c(300 + i, int(rng.integers(2, 6)), size, area, padding, stride))
    return _largest_first(cases, c_layer_reference)


# --- learn_step ----------------------------------------------------------------------

def _learn_case(label, u, a, b, r, q, c, padding, stride):
    u, a, b, c = (np.array(x, dtype=np.float64) for x in (u, a, b, c))
    pads = _pads(padding)
    params = {"size": u.shape[1:], "area": a.shape[-1], "pads": pads, "stride": stride, "planes": a.shape[0]}
    text = f"{label}: u {u.shape}, a {a.shape}, r {r:g}, q {q:g}, {_fmt_pads(pads)}, stride {stride}"
    arg = list(pads) if pads[0] != pads[1] else pads[0]
    return Case(text, (u, a, b, float(r), float(q), c, arg, int(stride)), params)


def _fresh_layer(seed, planes=6):
    """An untrained first layer (5×5 areas, 'same' padding, r = 4, q = 1), as cnnedu.neocognitron makes it."""
    return neo.SLayer(1, planes, 5, r=4.0, q=1.0, padding=2, rng=seed)


def _trained_layer(seed, chars, planes=6):
    layer = _fresh_layer(seed, planes)
    for i, ch in enumerate(chars):
        layer.learn(_grey(ch, seed + i, *((i % 3) - 1, (i % 2))))
    return layer


def _learn_from(label, layer, u):
    return _learn_case(label, u, layer.a, layer.b, layer.r, layer.q, layer.c, list(layer.padding), layer.stride)


def _random_learn(seed, in_planes, planes, size, area, padding, stride, r=1.5, q=16.0, label="random maps"):
    u, a, b, r, c = _random_s(seed, in_planes, planes, size, area, _pads(padding), stride, r)
    return _learn_case(label, u, a, b, r, q, c, padding, stride)


def _silent_layer():
    """Selective planes (r = 4) that learned random binary patches, shown flat grey: every column is silent."""
    rng = np.random.default_rng(51)
    c = _c(3, 2)
    pairs = [_template((rng.random((2, 3, 3)) < 0.5).astype(float), c) for _ in range(3)]
    a, b = np.stack([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    u = np.full((2, 6, 6), 0.5)
    return _learn_case("no cell responds to a grey input", u, a, b, 4.0, 1.0, c, 1, 1)


def _learn_groups():
    fresh = _fresh_layer(5)
    trained = _trained_layer(7, "0123")
    return [
        ("first presentation", VISIBLE, [
            _learn_from("an untrained layer, digit 0", fresh, _grey("0", 61)),
            _learn_from("an untrained layer, digit 4", _fresh_layer(9, 4), _grey("4", 62, 1, -1)),
        ]),
        ("a trained layer", VISIBLE, [
            _learn_from("a layer trained on 0-3, digit 3", trained, _grey("3", 63)),
            _learn_from("a layer trained on 0-3, digit 1 shifted", trained, _grey("1", 64, 1, 1)),
        ]),
        ("several input maps and strides", HIDDEN, [
            _random_learn(71, 3, 4, (9, 9), 3, 1, 2),
            _random_learn(72, 4, 5, (7, 7), 3, [0, 1], 1),
        ]),
        ("edge cases", HIDDEN, [
            _learn_from("all-zero input", trained, np.zeros((1, 16, 16))),
            _silent_layer(),
            _random_learn(73, 2, 1, (8, 8), 5, 1, 1, label="one plane"),
        ]),
        ("random sizes", HIDDEN, _random_learn_sizes()),
    ]


def _random_learn_sizes():
    rng = np.random.default_rng(2434)
    cases = []
    for i in range(3):
        area, stride = int(rng.choice([1, 3, 5])), int(rng.integers(1, 3))
        pad = int(rng.integers(0, 3))
        n = int(rng.integers(max(area, 3), 11))
        cases.append(_random_learn(400 + i, int(rng.integers(1, 4)), int(rng.integers(2, 6)), (n, n), area,
                                   pad, stride, r=float(np.round(rng.uniform(1.0, 5.0), 2)),
                                   q=float(rng.choice([1.0, 4.0, 16.0]))))
    return cases


# ---------------------------------------------------------------------------
# Tests and points
# ---------------------------------------------------------------------------

def _value_tests(output: str, groups, shape_points, value_points, index=0):
    """Shape (visible, hidden), then one values test per group."""
    visible = tuple(c for _, vis, cs in groups if vis for c in cs)
    hidden = tuple(c for _, vis, cs in groups if not vis for c in cs)
    tests = [Test(f"{output}: shape", shape_points[0], visible, kind="shape", output=index),
             Test(f"{output}: shape, hidden cases", shape_points[1], hidden, kind="shape", output=index,
                  visible=HIDDEN)]
    tests += [Test(f"{output}: values, {name}", pts, tuple(cs), output=index, visible=vis)
              for (name, vis, cs), pts in zip(groups, value_points)]
    return tests


def _learn_tests(groups):
    visible = tuple(c for _, vis, cs in groups if vis for c in cs)
    hidden = tuple(c for _, vis, cs in groups if not vis for c in cs)
    tests = _value_tests("a_new", groups, (1, 1), (4, 4, 3, 3, 2))
    tests += [Test("b_new: shape", 1, visible, kind="shape", output=1),
              Test("b_new: values", 3, visible, output=1),
              Test("b_new: values, hidden cases", 3, hidden, output=1, visible=HIDDEN)]
    return tuple(tests)


ASSIGNMENT = Assignment(
    name="A4",
    title="The neocognitron's S- and C-cells",
    notebook="A4_neocognitron.ipynb",
    parts=(
        Part("s_plane", function="s_plane", signature="s_plane(u, a, b, r, c)",
             title="One S-plane, the area centred on each cell", outputs=("u_S",),
             tests=tuple(_value_tests("u_S", _plane_groups(), (2, 1), (5, 5, 3, 3, 3, 3))),
             reference=s_plane_reference, variants=S_PLANE_VARIANTS, describe_shape=_describe_plane),
        Part("s_layer", function="s_layer", signature="s_layer(u, a, b, r, c, padding=0, stride=1)",
             title="An S-layer: K planes over K' input maps", outputs=("u_S",),
             tests=tuple(_value_tests("u_S", _layer_groups(), (2, 2), (5, 5, 4, 4, 3))),
             reference=s_layer_reference, variants=S_LAYER_VARIANTS, describe_shape=_describe_layer("S")),
        Part("c_layer", function="c_layer", signature="c_layer(u, d, alpha=0.5, padding=0, stride=1)",
             title="A C-layer: blur, inhibit, saturate", outputs=("u_C",),
             tests=tuple(_value_tests("u_C", _c_groups(), (2, 2), (5, 5, 4, 3, 4))),
             reference=c_layer_reference, variants=C_LAYER_VARIANTS, describe_shape=_describe_layer("C")),
        Part("learn_step", function="learn_step",
             signature="learn_step(u, a, b, r, q, c, padding=0, stride=1)",
             title="One step of unsupervised learning", outputs=("a_new", "b_new"),
             tests=_learn_tests(_learn_groups()),
             reference=learn_step_reference, variants=LEARN_VARIANTS, describe_shape=_describe_learn),
    ),
    forbidden_imports=("cnnedu.neocognitron", "cnnedu.functional", "cnnedu.reference", "cnnedu.nn",
                       "cnnedu.models", "cnnedu.train", "cnnedu.exercises", "cnnedu.grading.assignments",
                       "torch", "tensorflow", "jax", "scipy.signal", "scipy.ndimage"),
    time_limit=40.0,
    memory_limit=1024,
)
