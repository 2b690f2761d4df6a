r"""Checks for chapter 4: what max, mean and p-norm pooling give.

* :func:`check_pooled_value`: the value one window pools to, a number;
* :func:`check_pooled_map`: the whole pooled map of a small input, a grid of numbers.

The right answer always comes from :mod:`cnnedu.functional` (``max_pool2d``,
``avg_pool2d``, ``lp_pool2d``), the code the rest of the book runs.  Values need
only be right to two decimals, so ``4.87`` passes for :math:`4.865\ldots`; a
value cut off instead of rounded (``4.86``, as on the lecture's slide) gets its
own diagnosis.  The slips recognised are those of the chapter: the mean where
the max was asked for (and the reverse), a sum instead of a mean, dividing by
:math:`K` instead of :math:`K^2`, the p-norm without its :math:`1/K^2` (PyTorch's
``lp_pool2d``) or without its root, the *maximum* given for a p-norm (the
slide's top-right cell), windows that ignore the stride, a transposed or
flattened grid.
"""

from __future__ import annotations

import numpy as np

from .. import functional as F
from .. import sizes
from .._checks import as_real_array, check_choice, check_real, int_tuple
from ._base import (MISTAKES, CheckResult, _as_number, _problem_error, _right, _unanswered, _wrong)

__all__ = ["check_pooled_value", "check_pooled_map"]

#: The diagnoses this module adds to :data:`MISTAKES`.
POOLING_MISTAKES: dict[str, str] = {
    # --- how the answer is written --------------------------------------------------
    "not_a_grid": "Give the pooled map as a grid of numbers, written as a list of rows: "
                  "answer = [[…, …], […, …], …].",
    "pool_flat": "Give the map as a grid, a list of rows [[…], […], …], not as one flat list of numbers.",
    "pool_shape_stride_one": "Your grid has an output for every position of the window, as if it "
                             "moved one sample at a time. With stride S it jumps S samples, which "
                             "leaves ⌊(N − K)/S⌋ + 1 outputs along each side.",
    "pool_shape": "Your grid has the wrong number of rows or columns: along each side, a K-wide "
                  "window moved by S gives ⌊(N − K)/S⌋ + 1 outputs.",
    "pool_transposed": "Your grid is transposed: write it row by row, so that its first row holds "
                       "the windows along the top of the input, from left to right.",
    "pool_ignored_stride": "Your windows are one sample apart. With stride S, output (i, j) pools "
                           "the window whose top-left corner is at row iS and column jS, counting "
                           "from zero.",
    "pool_some_cells": "Some cells are right and some are not: recompute the others window by window.",
    "pool_values": "Not the pooled values yet. For each output, find the window it covers, then "
                   "take that window's max, its mean or its p-norm mean, as the layer says.",
    "truncated": "Close, but cut off rather than rounded: round to two decimals, or give more digits.",
    # --- max pooling ---------------------------------------------------------------------
    "max_gave_mean": "You took the mean of the window; max pooling keeps its largest value.",
    "max_gave_sum": "You added up the window; max pooling keeps only its largest value.",
    "max_gave_min": "You took the smallest value of the window; max pooling keeps the largest.",
    "max_not_in_window": "Max pooling copies one of the window's own values into the output, and "
                         "your answer holds a number that is not in its window.",
    # --- mean pooling --------------------------------------------------------------------
    "mean_gave_max": "You took the largest value of the window; mean pooling averages all its "
                     "values: add them up and divide by how many there are.",
    "mean_gave_sum": "You added up the window but did not divide: the mean is the sum divided by "
                     "the number of values, K × K.",
    "mean_divided_by_side": "You divided by K, the side of the window; a K × K window holds K² "
                            "values, so divide the sum by K².",
    # --- p-norm pooling ------------------------------------------------------------------
    "lp_gave_max": "That is the largest value of the window, the limit p → ∞. For a finite p the "
                   "p-norm mean stays below the maximum unless all the window's values are equal: "
                   "average the p-th powers, then take the p-th root.",
    "lp_gave_mean": "That is the plain mean, the case p = 1. Raise each value to the power p, "
                    "average, then take the p-th root.",
    "lp_sum_not_mean": "You added the p-th powers without dividing by their number, K² (that is "
                       "PyTorch's lp_pool2d). The lecture's p-norm pooling averages them: "
                       "((1/K²) Σ |x|^p)^(1/p).",
    "lp_forgot_root": "You stopped before the root: after averaging the p-th powers, take the "
                      "p-th root, (·)^(1/p).",
}
MISTAKES.update(POOLING_MISTAKES)

_MODES = ("max", "mean", "lp")

#: An answer within this of the right value passes (it is right to two decimals).
_TOL = 0.005 + 1e-9

_RIGHT = {
    "max": "Right: each output is the largest value in its window.",
    "mean": "Right: each output is the mean of its window, its sum divided by K × K.",
    "lp": "Right: each output is ((1/K²) Σ |x|^p)^(1/p) over its window.",
}


# ---------------------------------------------------------------------------
# The problem: what the right answer is, and what each slip would give
# ---------------------------------------------------------------------------

def _pool(x, mode, p, kernel, stride):
    x4 = x[None, None]
    if mode == "max":
        return F.max_pool2d(x4, kernel, stride)[0, 0]
    if mode == "mean":
        return F.avg_pool2d(x4, kernel, stride)[0, 0]
    return F.lp_pool2d(x4, p, kernel, stride)[0, 0]


def _problem(fn, x, kernel_size, stride, mode, p):
    """Validate the problem; return (kernel, stride, mode, p, right answer)."""
    mode = check_choice(fn, "mode", mode, _MODES)
    p = check_real(fn, "p", p, 1.0)
    try:
        kernel = int_tuple(fn, "kernel_size", kernel_size, 2, 1)
        stride = kernel if stride is None else int_tuple(fn, "stride", stride, 2, 1)
        correct = _pool(x, mode, p, kernel, stride)
    except (TypeError, ValueError) as exc:
        raise _problem_error(fn, exc) from None
    return kernel, stride, mode, p, correct


def _truncate(v: np.ndarray) -> np.ndarray:
    """Cut off after two decimals (towards zero), as the lecture's slide does."""
    return np.trunc(np.round(v * 100, 6)) / 100


def _slips(x, kernel, stride, mode, p, correct):
    """(mistake, value) pairs: what each recognised slip gives, in the order they are tried."""
    area = kernel[0] * kernel[1]
    mean = _pool(x, "mean", p, kernel, stride)
    mean_abs = _pool(np.abs(x), "mean", p, kernel, stride)
    maximum = _pool(x, "max", p, kernel, stride)
    if mode == "max":
        slips = [("max_gave_mean", mean), ("max_gave_sum", mean * area),
                 ("max_gave_min", -_pool(-x, "max", p, kernel, stride))]
    elif mode == "mean":
        slips = [("mean_gave_max", maximum), ("mean_gave_sum", mean * area),
                 ("mean_divided_by_side", mean * area / kernel[0])]
    else:
        slips = [("lp_gave_max", _pool(np.abs(x), "max", p, kernel, stride)), ("lp_gave_mean", mean_abs),
                 ("lp_sum_not_mean", correct * area ** (1 / p)), ("lp_forgot_root", correct ** p)]
    return slips


def _close(a: np.ndarray, b: np.ndarray, tol: float = _TOL) -> bool:
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= tol))


def _diagnose(check, value, x, kernel, stride, mode, p, correct, *, grid: bool) -> CheckResult:
    """Compare an answer of the right shape with the right values and with every slip.

    A slip of the whole grid (transposed, stride ignored) is looked for first.  Then
    cell by cell: if every wrong cell is what some slip gives there, the slip behind
    most of them is the diagnosis, a value cut off instead of rounded only when no
    other slip is left.  So the lecture's slide, one maximum among cut-off values,
    is diagnosed as the maximum.
    """
    if _close(value, correct):
        return _right(check, _RIGHT[mode])
    whole = []
    if grid and correct.shape[0] == correct.shape[1] and correct.size > 1:
        whole.append(("pool_transposed", correct.T))
    if grid and stride != (1, 1):
        dense = _pool(x, mode, p, kernel, (1, 1))
        whole.append(("pool_ignored_stride", dense[:correct.shape[0], :correct.shape[1]]))
    for mistake, slip in whole:
        if not _close(slip, correct) and _close(value, slip):
            return _wrong(check, mistake)
    wrong = np.abs(value - correct) > _TOL
    cells = _slips(x, kernel, stride, mode, p, correct) + [("truncated", _truncate(correct))]
    explained = np.zeros_like(wrong)
    hits = {}
    for mistake, slip in cells:
        tol = 1e-6 if mistake == "truncated" else _TOL
        hit = wrong & (np.abs(slip - correct) > _TOL) & (np.abs(value - slip) <= tol)
        if hit.any():
            explained |= hit
            hits[mistake] = int(hit.sum())
    if hits and explained.sum() == wrong.sum():
        # the slip behind most wrong cells; ties go to the earlier one, "truncated" only alone
        real = {k: n for k, n in hits.items() if k != "truncated"} or hits
        return _wrong(check, max(real, key=real.get))
    if mode == "max":
        windows = np.lib.stride_tricks.sliding_window_view(x, kernel)[::stride[0], ::stride[1]]
        found = [np.any(np.abs(w - v) <= _TOL) for w, v in zip(windows.reshape(-1, *kernel), value.ravel())]
        if not all(found):
            return _wrong(check, "max_not_in_window")
    if grid and correct.size > 1 and not wrong.all():
        return _wrong(check, "pool_some_cells")
    if grid:
        return _wrong(check, "pool_values")
    return _wrong(check, "too_large" if value.item() > correct.item() else "too_small")


def _as_grid(answer):
    """The answer as a float array, or a mistake key."""
    if isinstance(answer, (str, bytes)):
        return "not_a_number"
    try:
        a = np.asarray(answer)
    except (TypeError, ValueError):
        return "not_a_grid"
    if a.dtype == object:
        # ragged lists, or lists mixing numbers with other things
        try:
            a = np.asarray(answer, dtype=float)
        except (TypeError, ValueError):
            return "not_a_grid"
    if a.dtype.kind not in "iuf":
        return "not_a_number"
    a = a.astype(float)
    if not np.all(np.isfinite(a)):
        return "not_a_number"
    return a


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------

def check_pooled_value(answer, window, mode="max", p=2.0) -> CheckResult:
    r"""Check the value one pooling window gives: its max, its mean or its p-norm mean.

    The right answer is :func:`cnnedu.functional.max_pool2d`, ``avg_pool2d`` or
    ``lp_pool2d`` of ``window`` with a pool as large as the window:

    .. math:: \max_{i,j} x_{ij}, \qquad \frac{1}{K^2}\sum_{i,j} x_{ij}, \qquad
              \Bigl(\frac{1}{K^2}\sum_{i,j} |x_{ij}|^p\Bigr)^{1/p} .

    Right to two decimals is right.

    Parameters
    ----------
    answer : float or None
        The reader's answer; ``None`` means not answered yet.
    window : array_like, shape (K_h, K_w) or (K,)
        The values in the window.
    mode : {"max", "mean", "lp"}
    p : float, >= 1
        The power of p-norm pooling (used when ``mode="lp"``).

    Returns
    -------
    CheckResult

    Examples
    --------
    The top-right window of the lecture's p-norm example, whose slide shows 8:

    >>> check_pooled_value(6.61, [[2, 4], [7, 8]], mode="lp", p=5)
    ✔ correct (pooled value): Right: each output is ((1/K²) Σ |x|^p)^(1/p) over its window.
    >>> check_pooled_value(8, [[2, 4], [7, 8]], mode="lp", p=5).mistake
    'lp_gave_max'
    >>> check_pooled_value(4.86, [[1, 1], [5, 6]], mode="lp", p=5).mistake   # 4.865...
    'truncated'
    """
    fn = "check_pooled_value"
    check = "pooled value"
    try:
        one_row = np.ndim(window) == 1
    except ValueError:               # ragged: as_real_array says what is wrong
        one_row = False
    w = as_real_array(fn, "window", [window] if one_row else window, 2, "(K_h, K_w)").astype(float)
    if w.size == 0:
        raise ValueError(f"{fn}: window must not be empty, got shape {w.shape}")
    kernel, stride, mode, p, correct = _problem(fn, w, w.shape, None, mode, p)
    if answer is None:
        return _unanswered(check)
    value = _as_number(answer)
    if isinstance(value, str):
        return _wrong(check, value)
    return _diagnose(check, np.array([[float(value)]]), w, kernel, stride, mode, p, correct, grid=False)


def check_pooled_map(answer, x, kernel_size=2, stride=None, mode="max", p=2.0) -> CheckResult:
    r"""Check the whole pooled map of a small input, as a grid (a list of rows).

    The right answer is :func:`cnnedu.functional.max_pool2d`, ``avg_pool2d`` or
    ``lp_pool2d`` of ``x`` with a :math:`K \times K` pool moved by the stride
    :math:`S` (by default :math:`K`, the lecture's non-overlapping pools), no
    padding.  It has :math:`\lfloor (N-K)/S \rfloor + 1` rows and columns
    (:func:`cnnedu.sizes.pool_output_size`).  Right to two decimals is right.

    Parameters
    ----------
    answer : list of lists, ndarray or None
        The reader's answer, row by row; ``None`` means not answered yet.
    x : array_like, shape (H, W)
        The input map.
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.
    mode : {"max", "mean", "lp"}
    p : float, >= 1
        The power of p-norm pooling (used when ``mode="lp"``).

    Returns
    -------
    CheckResult

    Raises
    ------
    TypeError, ValueError
        If the problem itself is not valid (e.g. a window larger than ``x``).

    Examples
    --------
    The lecture's depth slice, 2x2 pools with stride 2:

    >>> x = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]
    >>> bool(check_pooled_map([[6, 8], [3, 4]], x))
    True
    >>> check_pooled_map([[3.25, 5.25], [2, 2]], x).mistake           # the means
    'max_gave_mean'
    >>> check_pooled_map([[6, 8], [3, 4]], x, mode="mean").mistake    # the maxima
    'mean_gave_max'
    >>> check_pooled_map([[4.86, 8], [2.38, 3.16]], x, mode="lp", p=5).mistake   # the slide
    'lp_gave_max'
    """
    fn = "check_pooled_map"
    check = "pooled map"
    x = as_real_array(fn, "x", x, 2, "(H, W)").astype(float)
    if x.size == 0:
        raise ValueError(f"{fn}: x must not be empty, got shape {x.shape}")
    kernel, stride, mode, p, correct = _problem(fn, x, kernel_size, stride, mode, p)
    if answer is None:
        return _unanswered(check)
    value = _as_grid(answer)
    if isinstance(value, str):
        return _wrong(check, value)
    if value.ndim == 0 and correct.size == 1:
        value = value.reshape(1, 1)
    if value.ndim == 1 and value.size == correct.size and min(correct.shape) > 1:
        return _wrong(check, "pool_flat")
    if value.ndim == 1 and value.size == correct.size:
        value = value.reshape(correct.shape)
    if value.ndim != 2:
        return _wrong(check, "not_a_grid")
    if value.shape != correct.shape:
        dense = tuple(sizes.pool_output_size(n, k, 1) for n, k in zip(x.shape, kernel))
        if stride != (1, 1) and value.shape == dense:
            return _wrong(check, "pool_shape_stride_one")
        if _close(value, correct.T):
            return _wrong(check, "pool_transposed")
        return _wrong(check, "pool_shape")
    return _diagnose(check, value, x, kernel, stride, mode, p, correct, grid=True)
