r"""Checks for chapter 9: what a transform-invariant convolution shares, costs and reads.

* :func:`check_invariant_parameter_count`: the learnable parameters of a
  :class:`~cnnedu.nn.TransformInvariantConv2d` (its copies share one filter);
* :func:`check_invariant_macs`: its multiply-accumulates for one example (each
  copy is scanned);
* :func:`check_tap_correspondence`: which tap of the filter sits at a given tap
  of a transformed copy (the point correspondence the backward pass follows).

The right answers come from the library: :func:`cnnedu.sizes.conv_parameter_count`,
:math:`T` times :func:`cnnedu.sizes.conv_macs`, and
:func:`cnnedu.nn.invariant.tap_permutation`.  The chapter writes :math:`C_{in}`,
:math:`C_{out}`, :math:`K` (side of the kernel), :math:`T` (number of
transforms) and :math:`O` (side of the output map).  As everywhere in
:mod:`cnnedu.exercises`, a message is a fixed sentence and never holds a number
computed from the problem.
"""

from __future__ import annotations

import numpy as np

from .. import sizes
from .._checks import check_bool, check_int
from ..nn.invariant import tap_permutation
from ._base import (MISTAKES, CheckResult, _as_number, _fallback, _first_match, _judge_whole, _problem_error,
                    _right, _unanswered, _wrong)

__all__ = ["check_invariant_parameter_count", "check_invariant_macs", "check_tap_correspondence"]

#: The diagnoses this module adds to :data:`MISTAKES`.
INVARIANCE_MISTAKES: dict[str, str] = {
    # --- parameters ---------------------------------------------------------------------
    "invariant_counted_copies": "You counted every transformed copy as a filter of its own. The copies "
                                "are computed from the one learned filter, so they add no parameters: "
                                "C_out(C_in K² + 1), as for an ordinary convolution.",
    "invariant_bias_per_copy": "One bias per filter, not one per copy: the copies of a filter share "
                               "its bias, which is added after the maximum over the transforms.",
    # --- cost --------------------------------------------------------------------------------
    "invariant_macs_forgot_copies": "That is the cost of an ordinary convolution. Every copy of every "
                                    "filter is scanned over the whole input, so multiply by T.",
    "invariant_macs_forgot_depth": "You forgot the depth of the filters: each output value is an inner "
                                   "product with C_in × K × K weights.",
    "invariant_macs_output_not_squared": "The output map is O × O positions, so multiply by O², not O.",
    "invariant_macs_gave_parameters": "That is a count of weights. Each copy's weights are used once "
                                      "per output position: multiply by the output area O × O.",
    # --- point correspondences ------------------------------------------------------------
    "tap_wrong_direction": "You followed the filter's tap to where it lands in the copy. The question "
                           "goes the other way: which tap of the filter is read at this position of "
                           "the copy? For a turn, that means turning back.",
    "tap_swapped": "Row and column are swapped: give the answer as (row, column), rows counted "
                   "from the top.",
    "tap_unchanged": "That is the same position: this transform moves it. Write the grid of tap "
                     "numbers, apply the transform to the grid, and read the number there.",
    "tap_one_based": "Count rows and columns from zero, as numpy does.",
    "tap_outside": "A tap of a K × K filter has a row and a column between zero and K − 1.",
    "tap_other": "Not that tap. Write the grid of tap numbers, apply the transform to the grid "
                 "(numpy's rot and flip functions do it), and read the number at that position.",
}
MISTAKES.update(INVARIANCE_MISTAKES)


def _count(check: str, answer, correct: int, candidates, right: str) -> CheckResult:
    verdict, value = _judge_whole(check, answer, correct, right)
    if verdict is not None:
        return verdict
    if value < 1:
        return _wrong(check, "not_positive")
    return _wrong(check, _first_match(value, correct, candidates) or _fallback(value, correct))


def check_invariant_parameter_count(answer, in_channels, out_channels, kernel_size, num_transforms,
                                    bias=True) -> CheckResult:
    r"""Check the learnable parameters of a transform-invariant convolution.

    The copies :math:`T_t(\mathbf w)` are computed from the shared filter, so
    the right answer is that of an ordinary convolution,
    :func:`cnnedu.sizes.conv_parameter_count` :math:`= C_{out}(C_{in}K^2 + 1)`
    (without the 1 if ``bias`` is false), whatever ``num_transforms``.

    Examples
    --------
    >>> bool(check_invariant_parameter_count(16 * (8 * 9 + 1), 8, 16, 3, num_transforms=4))
    True
    >>> check_invariant_parameter_count(4 * 16 * (8 * 9 + 1), 8, 16, 3, num_transforms=4).mistake
    'invariant_counted_copies'
    """
    fn = "check_invariant_parameter_count"
    c = check_int(fn, "in_channels", in_channels, 1)
    o = check_int(fn, "out_channels", out_channels, 1)
    k = check_int(fn, "kernel_size", kernel_size, 1)
    t = check_int(fn, "num_transforms", num_transforms, 1)
    bias = check_bool(fn, "bias", bias)
    try:
        correct = sizes.conv_parameter_count(c, o, k, bias=bias)
    except (TypeError, ValueError) as exc:
        raise _problem_error(fn, exc) from None
    weights = o * c * k * k
    b = o if bias else 0
    candidates = [("invariant_counted_copies", t * correct, t > 1),
                  ("invariant_counted_copies", t * weights + b, t > 1),
                  ("invariant_bias_per_copy", weights + t * o, bias and t > 1),
                  ("forgot_bias", weights, bias),
                  ("bias_not_in_layer", weights + o, not bias),
                  ("forgot_depth", o * (k * k) + b, c > 1)]
    return _count("parameters of a transform-invariant layer", answer, correct, candidates,
                  "Right: the copies share the filter, so C_out(C_in K² + 1) as for an ordinary "
                  "convolution.")


def check_invariant_macs(answer, in_channels, out_channels, kernel_size, output_size,
                         num_transforms) -> CheckResult:
    r"""Check the multiply-accumulates of a transform-invariant convolution for one example.

    The right answer is :math:`T` times :func:`cnnedu.sizes.conv_macs`,
    :math:`T \cdot C_{out} O^2 \cdot C_{in} K^2`: every copy is scanned (the
    maximum over the copies costs comparisons, not multiplications).

    Examples
    --------
    >>> bool(check_invariant_macs(4 * 8 * 8 * 8 * 9, 1, 8, 3, 8, num_transforms=4))
    True
    >>> check_invariant_macs(8 * 8 * 8 * 9, 1, 8, 3, 8, num_transforms=4).mistake
    'invariant_macs_forgot_copies'
    """
    fn = "check_invariant_macs"
    c = check_int(fn, "in_channels", in_channels, 1)
    o = check_int(fn, "out_channels", out_channels, 1)
    k = check_int(fn, "kernel_size", kernel_size, 1)
    n = check_int(fn, "output_size", output_size, 1)
    t = check_int(fn, "num_transforms", num_transforms, 1)
    try:
        plain = sizes.conv_macs(c, o, k, n)
    except (TypeError, ValueError) as exc:
        raise _problem_error(fn, exc) from None
    correct = t * plain
    candidates = [("invariant_macs_forgot_copies", plain, t > 1),
                  ("invariant_macs_forgot_depth", t * o * n * n * k * k, c > 1),
                  ("invariant_macs_output_not_squared", t * o * n * c * k * k, n > 1),
                  ("invariant_macs_gave_parameters", t * o * c * k * k, n > 1),
                  ("invariant_macs_gave_parameters", o * c * k * k, True)]
    return _count("multiply-accumulates of a transform-invariant layer", answer, correct, candidates,
                  "Right: T copies of C_out filters, each an inner product of C_in × K × K "
                  "at each of the O × O positions.")


def _pair(answer):
    """(row, column) as ints, or a mistake key."""
    if isinstance(answer, (str, bytes)):
        return "not_a_number"
    try:
        a = np.asarray(answer, dtype=object)
    except Exception:       # ragged sequences and the like
        return "not_a_pair"
    if a.shape != (2,):
        return "not_a_pair"
    values = [_as_number(v) for v in a]
    for v in values:
        if isinstance(v, str):
            return v
    if any(isinstance(v, float) for v in values):
        return "not_whole"
    return tuple(values)


def check_tap_correspondence(answer, kernel_size, transform, tap) -> CheckResult:
    r"""Check which tap ``(row, column)`` of a filter is read at ``tap`` of its transformed copy.

    That is the point correspondence of the lecture: :math:`T(\mathbf w)[i, j]
    = \mathbf w[r, c]`, and backward the derivative at :math:`(i, j)` of the copy
    is added to :math:`(r, c)` of the filter.  The right answer comes from
    :func:`cnnedu.nn.invariant.tap_permutation`; rows and columns count from zero.

    Parameters
    ----------
    answer : (int, int) or None
    kernel_size : int
        Side :math:`K` of the square filter.
    transform : str
        One of :data:`cnnedu.nn.invariant.DIHEDRAL_TRANSFORMS`, e.g. ``"rot90"``.
    tap : (int, int)
        ``(i, j)`` in the copy.

    Examples
    --------
    >>> bool(check_tap_correspondence((0, 2), 3, "rot90", (0, 0)))    # the top right comes up top left
    True
    >>> check_tap_correspondence((2, 0), 3, "rot90", (0, 0)).mistake  # where (0, 0) goes, not comes from
    'tap_wrong_direction'
    """
    fn = "check_tap_correspondence"
    check = "point correspondence"
    k = check_int(fn, "kernel_size", kernel_size, 1)
    try:
        perm = tap_permutation(k, transform)
    except (TypeError, ValueError) as exc:
        raise _problem_error(fn, exc) from None
    if not isinstance(tap, (tuple, list)) or len(tap) != 2:
        raise TypeError(f"{fn}: tap must be a pair (row, column), got {tap!r}")
    i, j = (check_int(fn, "tap", v, 0, k - 1) for v in tap)
    correct = divmod(int(perm[i, j]), k)
    if answer is None:
        return _unanswered(check)
    value = _pair(answer)
    if isinstance(value, str):
        return _wrong(check, value)
    if value == correct:
        return _right(check, "Right: that tap of the filter is read there, and backward the derivative "
                             "there goes back to it.")
    r, c = value
    if not (0 <= r < k and 0 <= c < k):
        if (r - 1, c - 1) == correct:
            return _wrong(check, "tap_one_based")
        return _wrong(check, "tap_outside")
    forward = tuple(int(v) for v in np.argwhere(perm == i * k + j)[0])    # where tap (i, j) of w lands
    candidates = [("tap_wrong_direction", forward, True), ("tap_unchanged", (i, j), True),
                  ("tap_swapped", correct[::-1], True)]
    return _wrong(check, _first_match(value, correct, candidates) or "tap_other")
