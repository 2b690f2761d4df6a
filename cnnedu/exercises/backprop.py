r"""Checks for chapters 5 and 6: backpropagation through convolution and pooling, transposed convolution.

Sizes come from :mod:`cnnedu.sizes` and derivatives from :mod:`cnnedu.functional`,
so a check and the chapter it belongs to compute the right answer with the same
code.  As everywhere in :mod:`cnnedu.exercises`, a wrong answer is matched
against the value a classic slip gives (the slide's :math:`bH + (K-1)`, a filter
left unflipped, ``=`` where ``+=`` is needed, ...) and the message names the slip
without ever printing a number.

=========================================  ==========================================================
:func:`check_input_grad_size`              side of the derivative map for a layer's input
:func:`check_upsampled_size`               side of a map with :math:`S-1` zeros between samples
:func:`check_transposed_output_size`       side of a transposed convolution's output
:func:`check_output_padding`               the ``output_padding`` that recovers a convolution's input size
:func:`check_input_gradient_entry`         one entry of :math:`\partial Div/\partial Y(l-1)`, by hand
:func:`check_filter_gradient_entry`        one entry of :math:`\partial Div/\partial w`, by hand
:func:`check_max_pool_gradient_entry`      one entry of a max-pooling layer's input derivative, by hand
:func:`check_overlap_count`                input samples a transposed convolution adds up at one output
=========================================  ==========================================================

Examples
--------
>>> check_input_grad_size(7, out_size=4, kernel=3).mistake     # H + K - 1 = 6, not H + K
'expanded_plus_one'
>>> check_transposed_output_size(7, n=3, kernel=2, stride=2).mistake   # the slide's bH + (K - 1)
'slide_bh'
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import functional as F
from .. import sizes
from .._checks import as_real_array, check_int, int_tuple
from ._base import (MISTAKES, CheckResult, _as_number, _fallback, _first_match, _judge_whole, _problem_error, _right,
                    _unanswered, _wrong)

__all__ = ["check_input_grad_size", "check_upsampled_size", "check_transposed_output_size",
           "check_output_padding", "check_input_gradient_entry", "check_filter_gradient_entry",
           "check_max_pool_gradient_entry", "check_overlap_count"]

_TRANSPOSED = "(N − 1)S − P_lo − P_hi + D(M − 1) + output_padding + 1"

#: The diagnoses these checks add (every one is produced by a case of tests/test_exercises_backprop.py).
BACKPROP_MISTAKES: dict[str, str] = {
    # --- sizes of derivative maps and transposed convolutions -------------------------
    "dz_size": "That is the size of the dZ map. The derivative for the input has one value per input "
               "sample, and each input sample reaches M outputs along each side, so the map grows "
               "back: H + M − 1 at stride 1 without padding.",
    "backward_used_forward_formula": "That is the forward formula, which shrinks a map. Going backward "
                                     "the map grows back to the size of the layer's input: "
                                     "(H − 1)S + D(M − 1) + 1 − P_lo − P_hi, which is H + M − 1 at "
                                     "stride 1 without padding.",
    "transposed_used_forward_formula": "That is the formula of an ordinary convolution, which shrinks a "
                                       "map. A transposed convolution grows it: " + _TRANSPOSED + ".",
    "padded_dz_size": "That is the size of the zero-padded dZ map, not of the result: the flipped "
                      "filter scanning it with stride 1 gives D(M − 1) fewer values (M − 1 without "
                      "dilation).",
    "no_upsampling": "You left out the upsampling: with stride S the dZ map first gets S − 1 zeros "
                     "between neighbouring values, (H − 1)S + 1 in all, and only then is padded and "
                     "scanned by the flipped filter.",
    "slide_bh": "That is the slide's bH + (K − 1), which puts S − 1 zeros after the last value as well. "
                "Zeros go only between values: a map of n values becomes (n − 1)S + 1 values, and the "
                "result has (n − 1)S + D(M − 1) + 1 before any cropping (the size the slide's loop "
                "allocates, (W − 1)b + K).",
    "expanded_plus_one": "One too many: a map of n values, filled with zeros to (n − 1)S + 1 and padded "
                          "with D(M − 1) zeros on each side, is scanned by a window spanning D(M − 1) + 1, "
                          "which fits (n − 1)S + D(M − 1) + 1 times before any cropping, not one more.",
    "forgot_crop": "You forgot the cropping: padding P_lo and P_hi removes that many values from the "
                   "ends. (Backward, the padding is not part of the previous layer; in a transposed "
                   "convolution, padding is the padding of the convolution being transposed.)",
    "crop_one_side": "You cropped one side only: remove P_lo values at the start and P_hi at the end.",
    "crop_twice": "You cropped twice as much as needed: P_lo + P_hi values in all, P_lo at the start "
                  "and P_hi at the end.",
    "padding_added": "For a transposed convolution, padding does not add zeros: it is the padding of the "
                     "convolution being transposed, so it crops P_lo + P_hi values off the output.",
    "forgot_output_padding": "You left out output_padding: it adds that many values at the end of the "
                             "output.",
    "times_stride": "N·S is the output size only with 'same' padding. In general a transposed "
                    "convolution gives " + _TRANSPOSED + ".",
    "upsampled_only": "That is the size of the zero-filled input, (N − 1)S + 1; the kernel then adds "
                      "D(M − 1) more values before any cropping.",
    "stride_one_formula": "You left out the stride: neighbouring input samples land S apart in the "
                          "output, (N − 1)S + 1 positions from the first to the last, not N.",
    # --- upsampling ------------------------------------------------------------------
    "zeros_after_last": "Zeros go only between neighbouring samples, not after the last one: S − 1 "
                        "zeros in each of the N − 1 gaps, (N − 1)S + 1 samples in all.",
    "one_zero_between": "With stride S every gap gets S − 1 zeros, not one.",
    "zeros_once": "The S − 1 zeros go into every one of the N − 1 gaps, not just one of them.",
    "only_inserted_zeros": "That counts the inserted zeros only; add the N samples themselves.",
    "upsample_forgot_plus_one": "One too few: N − 1 gaps of S positions reach from the first sample to "
                                "the last, and the first sample itself is one more.",
    # --- output_padding --------------------------------------------------------------
    "output_padding_negative": "output_padding adds values at the end of the output, so it cannot be "
                               "negative.",
    "output_padding_too_large": "output_padding must be smaller than the stride (or the dilation): a "
                                "strided convolution cannot tell apart at most S input sizes, so at "
                                "most S − 1 values are ever missing.",
    "output_padding_zero": "Without output_padding the transposed convolution returns the smallest "
                           "input size that gives this output. Here the convolution's last window "
                           "stopped short of the end of its input, so add the values it never reached.",
    "output_padding_max": "S − 1 is the largest output_padding allowed, not always the right one: it is "
                          "the number of values at the end of the input that the convolution's last "
                          "window did not reach.",
    "output_padding_other": "output_padding is the number of values at the end of the input that the "
                            "convolution's last window did not reach: (N + P_lo + P_hi − D(M − 1) − 1) "
                            "mod S.",
    # --- entries of derivatives, by hand ---------------------------------------------------
    "unflipped_filter": "You used the filter as it is. Going backward it is flipped, up–down and "
                        "left–right: the derivative at Y(m, x, y) pairs ∂Div/∂z(n, x′, y′) with "
                        "w(m, n, x − x′, y − y′).",
    "one_output_map": "Input map m feeds every output map n (through plane m of each filter), so its "
                      "derivative adds up the contributions of all the dZ maps, not just one.",
    "indexed_padded_map": "You read the padded input's derivative at the unpadded position. Crop first: "
                          "input position (x, y) is position (x + P, y + P) of the padded map.",
    "input_entry_other": "Not yet. Write out ∂Div/∂Y(m, x, y) = Σ_n Σ_x′,y′ ∂Div/∂z(n, x′, y′) "
                         "w(m, n, x − x′, y − y′) term by term (x′, y′ running over the upsampled, "
                         "padded dZ map), keeping only the terms whose filter indices exist.",
    "flipped_correlation": "You flipped something: the filter derivative is a correlation, not a "
                           "convolution. ∂Div/∂w(m, n, i, j) pairs ∂Div/∂z(n, x, y) with "
                           "Y(m, xS + i, yS + j), the very value the weight multiplied in the forward pass.",
    "filter_forgot_stride": "You left out the stride: the window of output (x, y) starts at (xS, yS), "
                            "so pair ∂Div/∂z(n, x, y) with Y(m, xS + i, yS + j).",
    "filter_forgot_padding": "You indexed the unpadded input. The window of output (x, y) starts in the "
                             "padded input, so weight (i, j) multiplied the padded value at "
                             "(xS + i, yS + j): a zero near the border.",
    "filter_entry_other": "Not yet. Add up ∂Div/∂z(n, x, y)·Y(m, xS + i, yS + j) over every output "
                          "position (x, y), with Y the padded input: each product pairs a derivative "
                          "with the value the weight multiplied.",
    # --- max pooling ---------------------------------------------------------------------
    "overwrote_not_added": "The windows overlap here: this entry is the maximum of more than one "
                           "window and receives the derivative of each of them. Use +=, not =.",
    "mean_pool_gradient": "That is the mean-pooling derivative, dy/K² spread over each window. Max "
                          "pooling sends each window's whole derivative to its maximum, and nothing "
                          "to the other entries.",
    "answered_the_maximum": "That is the value of the maximum, from the forward pass. Backward, the "
                            "entry receives the derivatives dy of the windows whose maximum it is.",
    "counted_windows": "You counted the windows whose maximum this entry is; add up their derivatives "
                       "dy instead.",
    "every_covering_window": "Only the windows whose maximum this entry is send it their derivative; "
                             "the other windows covering it send it nothing.",
    "max_pool_entry_other": "Not yet. For each window covering this entry, find the window's maximum "
                            "(the first one on ties); where it is this entry, add the window's dy.",
    # --- overlaps of a transposed convolution -------------------------------------------
    "every_tap": "Not every tap lands here: the input samples are S apart, so only the taps i with "
                 "t − i a multiple of S reach output t.",
    "uneven_overlap": "That is the count at a position with another remainder modulo S. When S does not "
                      "divide M the counts alternate between ⌈M/S⌉ and ⌊M/S⌋: the checkerboard.",
    "overlap_edge": "That is the count far from the ends. Near an end of the output some of the input "
                    "samples it would need do not exist.",
    "overlap_other": "Count the pairs (p, i) with pS + i = t: an input sample p, from the first to the "
                     "last, and a tap i of the kernel.",
}
MISTAKES.update(BACKPROP_MISTAKES)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def _whole_answer(check: str, answer):
    """The answer as an int, or the CheckResult for an unusable one."""
    value = _as_number(answer)
    if isinstance(value, str):
        return _wrong(check, value)
    if isinstance(value, float):
        return _wrong(check, "not_whole")
    return value


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _first_close(answer: float, correct: float, candidates) -> str | None:
    """Key of the first candidate slip whose value matches the answer (and not the right answer)."""
    for key, value, applies in candidates:
        if applies and value is not None and not _close(value, correct) and _close(answer, value):
            return key
    return None


def _padding_pair(fn: str, padding) -> tuple[int, int] | str:
    """An int padding as (p, p); a pair or a string is left to cnnedu.sizes to check."""
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        p = check_int(fn, "padding", padding, 0)
        return p, p
    return padding


def _maps(fn: str, name: str, a, layout: str) -> np.ndarray:
    """A stack of 2-D maps (C, H, W); a single 2-D map becomes a stack of one."""
    arr = np.asarray(a) if not isinstance(a, np.ndarray) else a
    if getattr(arr, "ndim", 0) == 2:
        arr = arr[None]
    return as_real_array(fn, name, arr, 3, layout).astype(np.float64)


def _index(fn: str, name: str, value, full: int, shape: tuple) -> tuple[int, ...]:
    """``value`` as a full index into an array of ``shape``: the leading zeros may be left out."""
    if not isinstance(value, (tuple, list)) or len(value) not in (2, full):
        raise TypeError(f"{fn}: {name} must be a tuple of 2 or {full} ints, got {value!r}")
    idx = tuple(check_int(fn, name, v, 0) for v in value)
    if len(idx) == 2:
        if any(s != 1 for s in shape[:full - 2]):
            raise ValueError(f"{fn}: {name} needs {full} indices when there are several maps, got {value!r}")
        idx = (0,) * (full - 2) + idx
    if any(i >= s for i, s in zip(idx, shape)):
        raise ValueError(f"{fn}: {name} {value!r} is outside an array of shape {shape}")
    return idx


def _size_result(fn, check, answer, correct, candidates, right) -> CheckResult:
    if answer is None:
        return _unanswered(check)
    value = _whole_answer(check, answer)
    if isinstance(value, CheckResult):
        return value
    if value == correct:
        return _right(check, right)
    if value < 1:
        return _wrong(check, "not_positive")
    return _wrong(check, _first_match(value, correct, candidates) or _fallback(value, correct))


def _geometry(fn, n, kernel, stride, dilation):
    return (check_int(fn, "n", n, 1) if n is not None else None, check_int(fn, "kernel", kernel, 1),
            check_int(fn, "stride", stride, 1), check_int(fn, "dilation", dilation, 1))


# ---------------------------------------------------------------------------
# Sizes
# ---------------------------------------------------------------------------

def check_input_grad_size(answer, out_size, kernel, stride=1, padding=0, dilation=1) -> CheckResult:
    r"""Check the size of one side of the derivative map for a convolutional layer's input.

    The layer's affine map :math:`Z` has :math:`H` values along this side (``out_size``).
    Backward, the derivative map ``dZ`` is upsampled (:math:`S-1` zeros between
    values), zero-padded with :math:`D(M-1)` on each side and scanned with stride 1 by
    the flipped filter; then the forward padding is cropped away:

    .. math:: (H-1)S + D(M-1) + 1 - P_{lo} - P_{hi}

    that is :math:`H + M - 1` at stride 1 without padding.  It is the size a
    transposed convolution of ``dZ`` gives (:func:`cnnedu.sizes.conv_transpose_output_size`);
    with stride :math:`S > 1` the input itself may have had up to :math:`S-1` more
    values, which the last window never reached (their derivative is zero).

    Parameters
    ----------
    answer : int or None
    out_size : int
        :math:`H`, the side of the ``dZ`` map.
    kernel, stride, dilation : int
    padding : int or (int, int)
        The padding of the forward convolution.

    Examples
    --------
    >>> bool(check_input_grad_size(6, out_size=4, kernel=3))      # H + M - 1
    True
    >>> check_input_grad_size(2, out_size=4, kernel=3).mistake    # the forward formula, H - M + 1
    'backward_used_forward_formula'
    >>> check_input_grad_size(5, out_size=3, kernel=3, stride=2).mistake  # not upsampled: H + M - 1
    'no_upsampling'
    """
    fn = "check_input_grad_size"
    h = check_int(fn, "out_size", out_size, 1)
    _, k, s, d = _geometry(fn, None, kernel, stride, dilation)
    if isinstance(padding, str):
        raise ValueError(f"{fn}: padding must be an int or a pair (lo, hi), got {padding!r}")
    try:
        lo, hi, _ = sizes.resolve_transpose_padding(h, k, s, _padding_pair(fn, padding), 0, d)
        correct = sizes.conv_transpose_output_size(h, k, s, (lo, hi), 0, d)
    except (TypeError, ValueError) as exc:
        raise _problem_error(fn, exc) from None
    span = d * (k - 1) + 1
    up = (h - 1) * s + 1
    uncropped = up + span - 1
    pad = lo + hi
    candidates = [
        ("dz_size", h, True),
        ("backward_used_forward_formula", (h + pad - span) // s + 1 if h + pad >= span else -1, True),
        ("no_upsampling", h + span - 1 - pad, s > 1),
        ("slide_bh", h * s + span - 1 - pad, s > 1),
        ("forgot_crop", uncropped, pad > 0),
        ("padded_dz_size", up + 2 * (span - 1) - pad, span > 1),
        ("crop_one_side", uncropped - max(lo, hi), min(lo, hi) > 0),
        ("crop_one_side", uncropped - min(lo, hi), min(lo, hi) > 0),
        ("crop_twice", uncropped - 2 * pad, pad > 0),
        ("forgot_dilation", up + k - 1 - pad, d > 1),
        ("expanded_plus_one", correct + 1, True),
    ]
    return _size_result(fn, "input-derivative size", answer, correct, candidates,
                        "Right: (H − 1)S + D(M − 1) + 1 − P_lo − P_hi, the size of the layer's input.")


def check_upsampled_size(answer, n, stride) -> CheckResult:
    r"""Check the size of a map of :math:`N` samples after inserting :math:`S-1` zeros between neighbours.

    :func:`cnnedu.functional.upsample` gives :math:`(N-1)S + 1` samples: zeros go
    between samples, none after the last one.  (It is a transposed convolution with
    a one-tap kernel, so the size comes from :func:`cnnedu.sizes.conv_transpose_output_size`.)

    Examples
    --------
    >>> bool(check_upsampled_size(7, n=4, stride=2))
    True
    >>> check_upsampled_size(8, n=4, stride=2).mistake
    'zeros_after_last'
    """
    fn = "check_upsampled_size"
    n, _, s, _ = _geometry(fn, n, 1, stride, 1)
    correct = sizes.conv_transpose_output_size(n, 1, s)
    candidates = [
        ("zeros_after_last", n * s, s > 1),
        ("upsample_forgot_plus_one", (n - 1) * s, True),
        ("one_zero_between", 2 * n - 1, s > 2),
        ("zeros_once", n + s - 1, n > 2),
        ("only_inserted_zeros", (n - 1) * (s - 1), True),
    ]
    return _size_result(fn, "upsampled size", answer, correct, candidates,
                        "Right: S − 1 zeros in each of the N − 1 gaps, (N − 1)S + 1 samples in all.")


def check_transposed_output_size(answer, n, kernel, stride=1, padding=0, output_padding=0,
                                 dilation=1) -> CheckResult:
    r"""Check the size of one side of a transposed convolution's output.

    The right answer is :func:`cnnedu.sizes.conv_transpose_output_size`,

    .. math:: (N-1)S - P_{lo} - P_{hi} + D(M-1) + \text{output\_padding} + 1 .

    Among the slips it recognises is the lecture slide's :math:`bH + (K-1)`, which
    is :math:`S-1` too large (the slide's own loop allocates :math:`(W-1)b + K`).

    Parameters
    ----------
    answer : int or None
    n, kernel, stride, dilation : int
    padding : int, (int, int), "valid" or "same"
        The padding of the convolution being transposed: it crops the output.
    output_padding : int

    Examples
    --------
    >>> bool(check_transposed_output_size(6, n=3, kernel=2, stride=2))
    True
    >>> check_transposed_output_size(10, n=4, kernel=4, stride=2, padding=1).mistake  # no crop
    'forgot_crop'
    """
    fn = "check_transposed_output_size"
    n, k, s, d = _geometry(fn, n, kernel, stride, dilation)
    try:
        lo, hi, op = sizes.resolve_transpose_padding(n, k, s, padding, output_padding, d)
        correct = sizes.conv_transpose_output_size(n, k, s, padding, output_padding, d)
    except (TypeError, ValueError) as exc:
        raise _problem_error(fn, exc) from None
    span = d * (k - 1) + 1
    pad = lo + hi
    uncropped = (n - 1) * s + span + op
    user_op = op if not isinstance(padding, str) else 0
    candidates = [
        ("slide_bh", n * s + span - 1 - pad + op, s > 1),
        ("times_stride", n * s, s > 1),
        ("transposed_used_forward_formula", (n + pad - span) // s + 1 if n + pad >= span else -1, True),
        ("stride_one_formula", n + span - 1 - pad + op, s > 1),
        ("forgot_output_padding", correct - user_op, user_op > 0),
        ("upsampled_only", (n - 1) * s + 1, span > 1),
        ("forgot_crop", uncropped, pad > 0),
        ("padding_added", uncropped + pad, pad > 0),
        ("crop_one_side", uncropped - max(lo, hi), min(lo, hi) > 0),
        ("crop_one_side", uncropped - min(lo, hi), min(lo, hi) > 0),
        ("crop_twice", uncropped - 2 * pad, pad > 0),
        ("forgot_dilation", (n - 1) * s + k - pad + op, d > 1),
        ("expanded_plus_one", correct + 1, True),
    ]
    return _size_result(fn, "transposed output size", answer, correct, candidates, "Right: " + _TRANSPOSED + ".")


def check_output_padding(answer, in_size, kernel, stride=1, padding=0, dilation=1) -> CheckResult:
    r"""Check the ``output_padding`` that makes a transposed convolution give back a convolution's input size.

    A convolution maps :math:`N` (``in_size``) to
    :math:`N' =` :func:`cnnedu.sizes.conv_output_size`.  With the same kernel, stride,
    padding and dilation, a transposed convolution maps :math:`N'` to the *smallest*
    input size with that output; ``output_padding`` adds the values the convolution's
    last window never reached:

    .. math:: \text{output\_padding} = (N + P_{lo} + P_{hi} - D(M-1) - 1) \bmod S .

    Examples
    --------
    >>> bool(check_output_padding(1, in_size=8, kernel=3, stride=2, padding=1))
    True
    >>> check_output_padding(0, in_size=8, kernel=3, stride=2, padding=1).mistake
    'output_padding_zero'
    """
    fn = "check_output_padding"
    check = "output_padding"
    n, k, s, d = _geometry(fn, in_size, kernel, stride, dilation)
    try:
        lo, hi = sizes.resolve_padding(n, k, s, padding, d)
        out = sizes.conv_output_size(n, k, s, (lo, hi), d)
        correct = (n + lo + hi - d * (k - 1) - 1) % s          # what the last window did not reach
        back = sizes.conv_transpose_output_size(out, k, s, (lo, hi), correct, d)
    except (TypeError, ValueError) as exc:
        raise _problem_error(fn, exc) from None
    if back != n:                  # cannot happen: (N - 1)S ... inverts the floor of conv_output_size
        raise RuntimeError(f"{fn}: output_padding {correct} gives {back}, not {n}")
    if answer is None:
        return _unanswered(check)
    value = _whole_answer(check, answer)
    if isinstance(value, CheckResult):
        return value
    if value == correct:
        return _right(check, "Right: the values at the end of the input that the last window did not "
                             "reach, (N + P_lo + P_hi − D(M − 1) − 1) mod S.")
    if value < 0:
        return _wrong(check, "output_padding_negative")
    if value >= max(s, d):
        return _wrong(check, "output_padding_too_large")
    if value == 0:
        return _wrong(check, "output_padding_zero")
    if value == max(s, d) - 1:
        return _wrong(check, "output_padding_max")
    return _wrong(check, "output_padding_other")


# ---------------------------------------------------------------------------
# Entries of derivatives
# ---------------------------------------------------------------------------

def _entry_result(check, answer, correct, candidates, right, other) -> CheckResult:
    if answer is None:
        return _unanswered(check)
    value = _as_number(answer)
    if isinstance(value, str):
        return _wrong(check, value)
    if _close(value, correct):
        return _right(check, right)
    return _wrong(check, _first_close(value, correct, candidates) or other)


def _conv_problem(fn, dz, stride, padding, kernel, in_size):
    """Check a convolution's geometry: (stride, padding, kernel (h, w), input (h, w))."""
    s = check_int(fn, "stride", stride, 1)
    p = check_int(fn, "padding", padding, 0)
    h, w = dz.shape[1:]
    if in_size is None:            # the smallest input that gives dz's size
        in_size = tuple(sizes.conv_transpose_output_size(o, k, s, p) for o, k in zip((h, w), kernel))
    in_size = int_tuple(fn, "input_size", in_size, 2, 1)
    for n, k, o in zip(in_size, kernel, (h, w)):
        try:
            got = sizes.conv_output_size(n, k, s, p)
        except (TypeError, ValueError) as exc:
            raise _problem_error(fn, exc) from None
        if got != o:
            raise ValueError(f"{fn}: a convolution of an input of {in_size} with a {kernel} kernel, "
                             f"stride {s} and padding {p} gives maps of {got}, but dz has {(h, w)}")
    return s, p, in_size


def check_input_gradient_entry(answer, dz, w, position, stride=1, padding=0, input_size=None) -> CheckResult:
    r"""Check one entry of the derivative for a convolutional layer's input, computed by hand.

    .. math::

        \frac{\partial Div}{\partial Y(m, x, y)} = \sum_n \sum_{x', y'}
            \frac{\partial Div}{\partial \hat z(n, x', y')}\, w(m, n, x - x', y - y')

    with :math:`\hat z` the upsampled, padded ``dz`` (the right answer comes from
    :func:`cnnedu.functional.conv2d_backward`).

    Parameters
    ----------
    answer : float or None
    dz : array_like, shape (C_out, H, W) or (H, W)
        :math:`\partial Div/\partial z` of one example.
    w : array_like, shape (C_out, C_in, K_h, K_w) or (K_h, K_w)
        The filters, in :func:`cnnedu.functional.conv2d`'s layout.
    position : (x, y) or (m, x, y)
        The input entry, counted from 0 (``m`` may be left out with one input map).
    stride, padding : int
    input_size : int or (int, int), optional
        Default: the smallest input that gives ``dz``'s size.

    Examples
    --------
    >>> dz = [[1, 2], [3, 4]]
    >>> w = [[1, 0], [0, -1]]
    >>> bool(check_input_gradient_entry(3, dz, w, (1, 1)))     # dz[1, 1]·w[0, 0] + dz[0, 0]·w[1, 1]
    True
    >>> check_input_gradient_entry(-3, dz, w, (1, 1)).mistake  # dz[0, 0]·w[0, 0] + dz[1, 1]·w[1, 1]
    'unflipped_filter'
    """
    fn = "check_input_gradient_entry"
    check = "input derivative"
    dz = _maps(fn, "dz", dz, "(C_out, H, W)")
    w = np.asarray(w) if not isinstance(w, np.ndarray) else w
    if getattr(w, "ndim", 0) == 2:
        w = w[None, None]
    w = as_real_array(fn, "w", w, 4, "(C_out, C_in, K_h, K_w)").astype(np.float64)
    if w.shape[0] != dz.shape[0]:
        raise ValueError(f"{fn}: w has {w.shape[0]} filters (w.shape[0]) but dz has {dz.shape[0]} maps")
    s, p, in_size = _conv_problem(fn, dz, stride, padding, w.shape[2:], input_size)
    c_in = w.shape[1]
    m, x, y = _index(fn, "position", position, 3, (c_in, *in_size))

    def dx_of(dz_, w_, n_in=in_size, stride_=s, pad_=p):
        return F.conv2d_backward(dz_[None], np.zeros((1, c_in, *n_in)), w_, stride=stride_, padding=pad_)[0][0]

    correct = float(dx_of(dz, w)[m, x, y])
    candidates = [("unflipped_filter", float(dx_of(dz, w[:, :, ::-1, ::-1].copy())[m, x, y]), True)]
    if dz.shape[0] > 1:
        candidates += [("one_output_map", float(dx_of(dz[n:n + 1], w[n:n + 1])[m, x, y]), True)
                       for n in range(dz.shape[0])]
    if s > 1:                       # dz scanned without the zeros in between
        n1 = tuple(o + k - 1 - 2 * p for o, k in zip(dz.shape[1:], w.shape[2:]))
        if min(n1) >= 1 and x < n1[0] and y < n1[1]:
            candidates.append(("no_upsampling", float(dx_of(dz, w, n1, 1)[m, x, y]), True))
    if p > 0:                       # the padded map's derivative, read without the offset
        padded = tuple(n + 2 * p for n in in_size)
        candidates.append(("indexed_padded_map", float(dx_of(dz, w, padded, s, 0)[m, x, y]), True))
    return _entry_result(check, answer, correct, candidates,
                         "Right: the upsampled, padded dz maps scanned by the flipped, transposed filters.",
                         "input_entry_other")


def check_filter_gradient_entry(answer, dz, x, kernel_size, index, stride=1, padding=0) -> CheckResult:
    r"""Check one entry of the derivative for a convolutional layer's filters, computed by hand.

    .. math::

        \frac{\partial Div}{\partial w(m, n, i, j)} = \sum_{x, y}
            \frac{\partial Div}{\partial z(n, x, y)}\, Y_{pad}(m, xS + i, yS + j)

    a correlation of the input with ``dz`` (the right answer comes from
    :func:`cnnedu.functional.conv2d_backward`).

    Parameters
    ----------
    answer : float or None
    dz : array_like, shape (C_out, H, W) or (H, W)
    x : array_like, shape (C_in, H_in, W_in) or (H_in, W_in)
        The layer's input :math:`Y(l-1)` for one example.
    kernel_size : int or (int, int)
    index : (i, j) or (n, m, i, j)
        The filter entry in :func:`cnnedu.functional.conv2d`'s layout ``w[n, m, i, j]``
        (output map, input map, row, column), counted from 0.
    stride, padding : int

    Examples
    --------
    >>> x = [[1, 2, 0], [0, 1, 3], [2, 0, 1]]
    >>> dz = [[1, -1], [0, 2]]
    >>> bool(check_filter_gradient_entry(8, dz, x, 2, (0, 1)))      # 1·2 − 1·0 + 0·1 + 2·3
    True
    >>> check_filter_gradient_entry(6, dz, x, 2, (0, 1)).mistake     # dz flipped: 2·2 + 0·0 − 1·1 + 1·3
    'flipped_correlation'
    """
    fn = "check_filter_gradient_entry"
    check = "filter derivative"
    dz = _maps(fn, "dz", dz, "(C_out, H, W)")
    x = _maps(fn, "x", x, "(C_in, H_in, W_in)")
    kernel = int_tuple(fn, "kernel_size", kernel_size, 2, 1)
    s, p, _ = _conv_problem(fn, dz, stride, padding, kernel, x.shape[1:])
    n, m, i, j = _index(fn, "index", index, 4, (dz.shape[0], x.shape[0], *kernel))

    def dw_of(dz_):
        return F.conv2d_backward(dz_[None], x[None], np.zeros((dz.shape[0], x.shape[0], *kernel)),
                                 stride=s, padding=p)[1]

    def correlate(y_pad, step):
        """Σ_(x, y) dz(n, x, y) · y_pad(m, x·step + i, y·step + j)."""
        h, w = dz.shape[1:]
        window = y_pad[m, i:i + (h - 1) * step + 1:step, j:j + (w - 1) * step + 1:step]
        return float(np.sum(dz[n] * window))

    correct = float(dw_of(dz)[n, m, i, j])
    candidates = [("flipped_correlation", float(dw_of(dz[:, ::-1, ::-1].copy())[n, m, i, j]), True)]
    x_pad = np.pad(x, ((0, 0), (p, p), (p, p)))
    if s > 1:
        candidates.append(("filter_forgot_stride", correlate(x_pad, 1), True))
    if p > 0:                       # the input read without the padding's offset (zeros past its end)
        candidates.append(("filter_forgot_padding", correlate(np.pad(x, ((0, 0), (0, 2 * p), (0, 2 * p))), s),
                           True))
    return _entry_result(check, answer, correct, candidates,
                         "Right: the derivatives dz paired with the input values the weight multiplied.",
                         "filter_entry_other")


def check_max_pool_gradient_entry(answer, x, dy, position, kernel_size, stride=None) -> CheckResult:
    r"""Check one entry of a max-pooling layer's input derivative, computed by hand.

    Each window sends its derivative ``dy`` to the position of its maximum (the first
    one, row by row, on ties), and where windows overlap the contributions add up
    (:func:`cnnedu.functional.max_pool2d_backward`).

    Parameters
    ----------
    answer : float or None
    x : array_like, shape (H, W)
        The pooling layer's input (one map).
    dy : array_like, shape (H_out, W_out)
        The derivative of the pooled map.
    position : (row, col)
        The input entry, counted from 0.
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.

    Examples
    --------
    >>> x = [[1, 2, 0], [3, 9, 1], [0, 2, 4]]
    >>> dy = [[1, 2], [3, 4]]             # 2x2 windows, stride 1: the 9 wins all four
    >>> bool(check_max_pool_gradient_entry(10, x, dy, (1, 1), 2, stride=1))
    True
    >>> check_max_pool_gradient_entry(4, x, dy, (1, 1), 2, stride=1).mistake
    'overwrote_not_added'
    """
    fn = "check_max_pool_gradient_entry"
    check = "max-pooling derivative"
    x = as_real_array(fn, "x", x, 2, "(H, W)").astype(np.float64)
    dy = as_real_array(fn, "dy", dy, 2, "(H_out, W_out)").astype(np.float64)
    kernel = int_tuple(fn, "kernel_size", kernel_size, 2, 1)
    steps = kernel if stride is None else int_tuple(fn, "stride", stride, 2, 1)
    try:
        out = tuple(sizes.pool_output_size(n, k, st) for n, k, st in zip(x.shape, kernel, steps))
    except (TypeError, ValueError) as exc:
        raise _problem_error(fn, exc) from None
    if dy.shape != out:
        raise ValueError(f"{fn}: dy must have the pooled map's shape {out}, got {dy.shape}")
    r, c = _index(fn, "position", position, 2, x.shape)
    correct = float(F.max_pool2d_backward(dy[None, None], x[None, None], kernel, steps)[0, 0, r, c])
    mean = float(F.avg_pool2d_backward(dy[None, None], x[None, None], kernel, steps)[0, 0, r, c])
    winners, covering = [], []                     # windows, in scan order
    for p in range(out[0]):
        for q in range(out[1]):
            r0, c0 = p * steps[0], q * steps[1]
            window = x[r0:r0 + kernel[0], c0:c0 + kernel[1]]
            if r0 <= r < r0 + kernel[0] and c0 <= c < c0 + kernel[1]:
                covering.append(dy[p, q])
                a, b = divmod(int(np.argmax(window)), kernel[1])   # first maximum, row by row
                if (r0 + a, c0 + b) == (r, c):
                    winners.append(dy[p, q])
    candidates = [
        ("overwrote_not_added", float(winners[-1]) if winners else None, len(winners) > 1),
        ("overwrote_not_added", float(winners[0]) if winners else None, len(winners) > 1),
        ("mean_pool_gradient", mean, True),
        ("answered_the_maximum", float(x[r, c]), len(winners) > 0),
        ("counted_windows", float(len(winners)), len(winners) > 0),
        ("every_covering_window", float(sum(covering)), len(covering) > len(winners)),
    ]
    return _entry_result(check, answer, correct, candidates,
                         "Right: each window's dy goes to its maximum, and overlapping windows add up (+=).",
                         "max_pool_entry_other")


def check_overlap_count(answer, n, kernel, stride, position) -> CheckResult:
    r"""Check how many input samples a 1-D transposed convolution adds up at one output position.

    Input sample :math:`p` pushes tap :math:`i` of the kernel to output
    :math:`t = pS + i` (no cropping), so output :math:`t` adds up one product for each
    pair :math:`(p, i)` with :math:`pS + i = t`.  Away from the ends that is the number
    of taps :math:`i \equiv t \pmod S`: :math:`\lceil M/S\rceil` or :math:`\lfloor M/S\rfloor`
    when :math:`S` does not divide :math:`M` (the checkerboard), :math:`M/S` everywhere
    when it does.  The right answer is ``conv_transpose1d`` of ones with a kernel of ones.

    Parameters
    ----------
    answer : int or None
    n, kernel, stride : int
        Input samples :math:`N`, kernel taps :math:`M`, stride :math:`S`.
    position : int
        Output position :math:`t`, counted from 0, in :math:`0 \dots (N-1)S + M - 1`.

    Examples
    --------
    >>> bool(check_overlap_count(2, n=5, kernel=3, stride=2, position=4))
    True
    >>> check_overlap_count(3, n=5, kernel=3, stride=2, position=4).mistake
    'every_tap'
    """
    fn = "check_overlap_count"
    check = "overlap count"
    n, k, s, _ = _geometry(fn, n, kernel, stride, 1)
    size = sizes.conv_transpose_output_size(n, k, s)
    t = check_int(fn, "position", position, 0)
    if t >= size:
        raise ValueError(f"{fn}: position must be below the output size {size}, got {t}")
    counts = F.conv_transpose1d(np.ones((1, 1, n)), np.ones((1, 1, k)), stride=s)[0, 0]
    correct = int(round(counts[t]))
    verdict, value = _judge_whole(check, answer, correct, "Right: one product for each pair (p, i) with pS + i = t.")
    if verdict is not None:
        return verdict
    interior = len(range(t % s, k, s))
    candidates = [
        ("every_tap", k, True),
        ("overlap_edge", interior, True),
    ] + [("uneven_overlap", len(range(r, k, s)), len(range(r, k, s)) != interior) for r in range(s)]
    return _wrong(check, _first_match(value, correct, candidates) or "overlap_other")
