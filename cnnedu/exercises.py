r"""Checks for the book's exercises: right or wrong, and which slip a wrong answer looks like.

Each ``check_...`` function takes the reader's ``answer`` and the numbers of the
problem, computes the right answer with :mod:`cnnedu.sizes` (the one place every
formula lives), and returns a :class:`CheckResult`:

* right: a short confirmation with the formula;
* wrong: the classic mistake the answer matches, if any (forgot the :math:`+1`,
  forgot the floor, padded one side only, forgot the bias, forgot the input
  depth, ignored the stride, ...), else whether it is too large or too small;
* ``None`` (the placeholder the notebooks ship with): a friendly "not answered
  yet".

A check never gives the answer away: its messages are fixed sentences written in
symbols (:math:`N, M, S, P, D, \dots`), with no number computed from the problem.

The result is true only when the answer is right, so ``assert check_...(...)``
works in a test, and it shows itself as text (``repr``) or, in a notebook, as a
coloured box (``_repr_html_``).

=====================================  ===================================================
:func:`check_output_size`              side of a convolution's output
:func:`check_pool_output_size`         side of a pooling layer's output
:func:`check_parameter_count`          learnable parameters of a convolutional layer
:func:`check_same_padding`             the lecture's "same" padding ``(before, after)``
:func:`check_dilated_span`             samples a dilated kernel covers
:func:`check_flattened_size`           values fed to the first fully connected layer
=====================================  ===================================================

Examples
--------
>>> check_output_size(None, 5, 3)
… not answered yet (output size): replace None with your answer and run the cell again.
>>> bool(check_output_size(3, 5, 3))
True
>>> r = check_output_size(2, 5, 3)          # (5 - 3)/1 = 2: the +1 is missing
>>> r.correct, r.mistake
(False, 'forgot_plus_one')
"""

from __future__ import annotations

import html
import math
import numbers
import re
from dataclasses import dataclass

import numpy as np

from . import sizes
from ._checks import check_bool, check_int

__all__ = [
    "CheckResult", "MISTAKES",
    "check_output_size", "check_pool_output_size", "check_parameter_count", "check_same_padding",
    "check_dilated_span", "check_flattened_size",
]


# ---------------------------------------------------------------------------
# What a check says.  Every message is a fixed sentence: no number from the problem
# (or its answer) is ever put into one, so no message can give the answer away.
# ---------------------------------------------------------------------------

_OUT = "⌊(N + P_lo + P_hi − D(M − 1) − 1)/S⌋ + 1"

#: Every diagnosis a check can make: key -> the sentence shown to the reader.
MISTAKES: dict[str, str] = {
    # --- answers that cannot be used --------------------------------------------
    "not_a_number": "Your answer should be a number, written without quotes.",
    "not_whole": "Sizes and counts are whole numbers; check your arithmetic.",
    "not_positive": "A size or count is at least one; check the signs in your arithmetic.",
    "not_a_pair": "Give the padding as a pair of whole numbers, answer = (before, after): the "
                  "zeros added before the input and after it.",
    "pair_total": "That number is the right total, but give it as a pair (before, after): how "
                  "many zeros go before the input and how many after it.",
    "negative_padding": "Padding counts zeros added to the input, so neither side can be negative.",
    # --- output sizes -------------------------------------------------------------
    "forgot_floor": "You forgot the floor: the window only stops where it still fits, so a "
                    "fractional number of steps is rounded down, ⌊·⌋.",
    "forgot_plus_one": "You forgot the +1: dividing the distance the window can travel by S counts "
                       "its steps, and the window already gives one output before its first step.",
    "rounded_up": "You rounded up; round down instead. A window that would run past the edge of the "
                  "padded input is not computed, so the count of steps is ⌊·⌋, not ⌈·⌉.",
    "padding_one_side": "You counted the zeros of one side only: the padded input has "
                        "N + P_lo + P_hi samples, that is N + 2P with P zeros on each side, not N + P.",
    "padding_twice": "You counted the padding twice: P zeros on each side add 2P samples in all "
                     "(P_lo + P_hi), not twice that.",
    "forgot_padding": "You left out the padding: the window scans the padded input, "
                      "N + P_lo + P_hi samples long.",
    "forgot_stride": "You left out the stride: the window moves S samples per step, so divide the "
                     "distance it travels by S (and round down) before adding the 1.",
    "n_over_s": "⌈N/S⌉ (or N/S) is the output size of 'same' padding; this layer is padded "
                "differently, so use " + _OUT + ".",
    "input_size": "That is the size of the input. A convolution keeps it only with 'same' padding "
                  "and stride 1; here use " + _OUT + ".",
    "padded_size": "That is the size of the padded input. The window cannot be placed at every "
                   "padded sample: it must fit entirely, so subtract its span and add one.",
    "forgot_dilation": "You left out the dilation: a kernel of M taps with dilation D spans "
                       "D(M − 1) + 1 samples, not M.",
    "dilation_dm": "A dilated kernel spans D(M − 1) + 1 samples, not D·M: there are M − 1 gaps of D "
                   "between the taps, and no gap after the last one.",
    "span_without_one": "You subtracted D(M − 1) instead of the whole span D(M − 1) + 1: that counts "
                        "the gaps between the taps, and the taps themselves are one more.",
    # --- parameter counts -----------------------------------------------------------
    "forgot_bias": "You forgot the biases: every filter has one bias besides its weights, "
                   "C_out(C_in L² + 1) in all.",
    "bias_not_in_layer": "This layer has no bias (bias=False): count the weights only.",
    "one_bias_for_layer": "Each filter has its own bias, so there are C_out biases, not one.",
    "forgot_depth": "You forgot the depth of the filters: a filter spans all C_in input maps, "
                    "so it has C_in·L·L weights, not L·L.",
    "one_filter": "That is the count for one filter; the layer has C_out of them.",
    "kernel_not_squared": "An L×L filter has L² weights per input map, not L.",
    "bias_per_input_map": "One bias per filter, not one per input map: a filter adds up all its "
                          "products and then adds a single bias.",
    "forgot_groups": "You forgot the groups: with G groups each filter sees only C_in/G input maps.",
    "groups_twice": "Divide by the groups once: there are still C_out filters, each seeing C_in/G "
                    "input maps.",
    "forgot_kernel_area": "You forgot the spatial size of the filters: each filter has L×L weights "
                          "per input map.",
    # --- 'same' padding -----------------------------------------------------------------
    "tensorflow_same": "That is TensorFlow's 'SAME' rule, which pads S − 1 fewer zeros. It gives "
                       "the same output size ⌈N/S⌉, but the lecture first pads the input up to a "
                       "multiple of the stride, S⌈N/S⌉ − N zeros, and then adds the D(M − 1) zeros "
                       "of stride 1.",
    "ignored_stride": "You used the stride-1 rule. With stride S > 1 the lecture first pads the "
                      "input up to a multiple of S (S⌈N/S⌉ − N zeros) and then adds the zeros of "
                      "stride 1.",
    "extra_full_stride": "N is already a multiple of S, so padding it up to a multiple of S adds no "
                         "zeros: S⌈N/S⌉ − N is zero here, not S.",
    "same_forgot_dilation": "You left out the dilation: a dilated kernel spans D(M − 1) + 1 samples, "
                            "so stride 1 needs D(M − 1) zeros in total.",
    "full_padding": "That is 'full' padding, D(M − 1) zeros on each side, which makes the output "
                    "larger than the input. 'Same' padding adds D(M − 1) zeros in total (at stride 1).",
    "total_is_span": "One zero too many: at stride 1 a kernel spanning D(M − 1) + 1 samples needs "
                     "D(M − 1) zeros in total to give N outputs, not D(M − 1) + 1.",
    "total_each_side": "You put the whole total on each side; split it between the two sides.",
    "odd_total_split": "The total is odd, so the two sides cannot be equal: one side gets one zero "
                       "fewer than the other (|P_lo − P_hi| = 1).",
    "uneven_split": "Right total, but split it as evenly as possible: the two sides differ by at "
                    "most one zero.",
    "same_size_other_padding": "That padding does give the output size ⌈N/S⌉, but it is not the "
                               "lecture's: pad up to a multiple of S first (S⌈N/S⌉ − N zeros), then "
                               "add D(M − 1) zeros, split as evenly as possible.",
    "too_much_padding": "Too many zeros: that padding makes the output larger than ⌈N/S⌉.",
    "too_little_padding": "Too few zeros: that padding makes the output smaller than ⌈N/S⌉.",
    # --- spans and flattened sizes -------------------------------------------------------
    "dilation_gaps_d": "Dilation D leaves D − 1 skipped samples between taps (D = 1 is an ordinary "
                       "kernel), so the taps are D apart, not D + 1.",
    "dilation_added": "Dilation spreads every one of the M − 1 gaps between taps, not just one of "
                      "them: the span is D(M − 1) + 1.",
    "forgot_channels": "You forgot the channels: every one of the C maps contributes its H×W values.",
    "one_side_only": "A map has H×W values, not H: multiply both sides.",
    "added_sides": "Multiply the sides, don't add them: a map has H×W values.",
    "added_channels": "Multiply by the number of maps, don't add it: C maps of H×W values.",
    # --- no recognised slip ----------------------------------------------------------------
    "off_by_one_high": "Close, but one too many. Check where the last window fits, and the +1.",
    "off_by_one_low": "Close, but one too few. Check where the last window fits, and the +1.",
    "too_large": "Too large. Write the formula with the symbols first, then substitute the numbers.",
    "too_small": "Too small. Write the formula with the symbols first, then substitute the numbers.",
}

_UNANSWERED = "replace None with your answer and run the cell again."

# Okabe-Ito colours (as in cnnedu.viz.colors; repeated here so checking needs no matplotlib).
_COLOURS = {"correct": "#009E73", "wrong": "#D55E00", "unanswered": "#999999"}
_HEADS = {"correct": "✔ correct", "wrong": "✘ not yet", "unanswered": "… not answered yet"}


@dataclass(frozen=True)
class CheckResult:
    """What a check found: right or not, and a sentence for the reader.

    Attributes
    ----------
    check : str
        What was checked, e.g. ``"output size"``.
    correct : bool
        The answer is right.  ``bool(result)`` is this.
    answered : bool
        False while the answer is still ``None``.
    mistake : str or None
        Key of :data:`MISTAKES` when the answer is wrong (or unusable), else ``None``.
    message : str
        The sentence shown to the reader.  It never contains the right answer.

    Examples
    --------
    >>> r = check_parameter_count(96 * 3 * 11 * 11, 3, 96, 11)
    >>> r
    ✘ not yet (parameter count): You forgot the biases: every filter has one bias besides its weights, C_out(C_in L² + 1) in all.
    >>> bool(r), r.mistake
    (False, 'forgot_bias')
    """

    check: str
    correct: bool
    answered: bool
    mistake: str | None
    message: str

    def __bool__(self) -> bool:
        return self.correct

    @property
    def status(self) -> str:
        """``"correct"``, ``"wrong"`` or ``"unanswered"``."""
        if not self.answered:
            return "unanswered"
        return "correct" if self.correct else "wrong"

    def __repr__(self) -> str:
        return f"{_HEADS[self.status]} ({self.check}): {self.message}"

    __str__ = __repr__

    def _repr_html_(self) -> str:
        colour = _COLOURS[self.status]
        return (f'<div class="cnnedu-check cnnedu-check-{self.status}" style="border-left: 4px solid '
                f'{colour}; padding: 4px 10px; margin: 4px 0;"><b style="color: {colour}">'
                f'{html.escape(_HEADS[self.status])}</b> ({html.escape(self.check)})<br>'
                f'{html.escape(self.message)}</div>')


# ---------------------------------------------------------------------------
# Building results
# ---------------------------------------------------------------------------

def _unanswered(check: str) -> CheckResult:
    return CheckResult(check, False, False, None, _UNANSWERED)


def _wrong(check: str, mistake: str) -> CheckResult:
    return CheckResult(check, False, True, mistake, MISTAKES[mistake])


def _right(check: str, message: str) -> CheckResult:
    return CheckResult(check, True, True, None, message)


def _as_number(answer):
    """The answer as an int (a whole float becomes an int), a non-whole float, or a mistake key."""
    if isinstance(answer, np.ndarray) and answer.ndim == 0:
        answer = answer.item()
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, numbers.Real):
        return "not_a_number"
    if isinstance(answer, numbers.Integral):
        return int(answer)
    value = float(answer)
    if not math.isfinite(value):
        return "not_a_number"
    return int(value) if value.is_integer() else value


def _first_match(answer: int, correct: int, candidates) -> str | None:
    """Key of the first candidate slip whose value is the answer (and is not the right answer)."""
    for key, value, applies in candidates:
        if applies and value != correct and answer == value:
            return key
    return None


def _fallback(answer: int, correct: int) -> str:
    if answer == correct + 1:
        return "off_by_one_high"
    if answer == correct - 1:
        return "off_by_one_low"
    return "too_large" if answer > correct else "too_small"


def _problem_error(fn: str, exc: Exception) -> Exception:
    """The same exception, naming the check instead of the cnnedu.sizes function."""
    message = re.sub(r"^[A-Za-z_][A-Za-z_0-9]*: ", "", str(exc))
    return type(exc)(f"{fn}: {message}")


def _output_check(fn, check, answer, n, kernel, stride, padding, dilation, formula) -> CheckResult:
    n = check_int(fn, "n", n, 1)
    kernel = check_int(fn, "kernel", kernel, 1)
    stride = check_int(fn, "stride", stride, 1)
    dilation = check_int(fn, "dilation", dilation, 1)
    try:
        lo, hi = sizes.resolve_padding(n, kernel, stride, padding, dilation)
        correct = sizes.conv_output_size(n, kernel, stride, padding, dilation)
    except (TypeError, ValueError) as exc:
        raise _problem_error(fn, exc) from None
    if answer is None:
        return _unanswered(check)
    value = _as_number(answer)
    if isinstance(value, str):
        return _wrong(check, value)
    span = dilation * (kernel - 1) + 1
    pad = lo + hi
    top = n + pad - span                       # distance the window travels
    if isinstance(value, float):               # not a whole number
        return _wrong(check, "forgot_floor" if math.isclose(value, top / stride + 1) else "not_whole")
    if value == correct:
        return _right(check, f"Right: {formula}.")
    if value < 1:
        return _wrong(check, "not_positive")
    candidates = [
        ("forgot_plus_one", top // stride, True),
        ("rounded_up", -(-top // stride) + 1, top % stride != 0),
        ("padding_one_side", (n + max(lo, hi) - span) // stride + 1, pad > 0),
        ("padding_one_side", (n + min(lo, hi) - span) // stride + 1, min(lo, hi) > 0),
        ("forgot_padding", (n - span) // stride + 1, pad > 0 and n >= span),
        ("forgot_dilation", (n + pad - kernel) // stride + 1, dilation > 1),
        ("dilation_dm", (n + pad - dilation * kernel) // stride + 1,
         dilation > 1 and n + pad >= dilation * kernel),
        ("forgot_stride", top + 1, stride > 1),
        ("span_without_one", (top + 1) // stride + 1, dilation > 1),
        ("input_size", n, True),
        ("padded_size", n + pad, pad > 0),
        ("padding_twice", (n + 2 * pad - span) // stride + 1, pad > 0),
        ("n_over_s", -(-n // stride), stride > 1),
        ("n_over_s", n // stride, stride > 1),
    ]
    return _wrong(check, _first_match(value, correct, candidates) or _fallback(value, correct))


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------

def check_output_size(answer, n, kernel, stride=1, padding=0, dilation=1) -> CheckResult:
    r"""Check the size of one side of a convolution's output.

    The right answer is :func:`cnnedu.sizes.conv_output_size`,

    .. math:: \left\lfloor \frac{N + P_{lo} + P_{hi} - D(M-1) - 1}{S} \right\rfloor + 1 .

    Parameters
    ----------
    answer : int or None
        The reader's answer; ``None`` means not answered yet.
    n, kernel, stride, dilation : int
        Input size :math:`N`, kernel size :math:`M`, stride :math:`S`, dilation :math:`D`.
    padding : int, (int, int) or {"valid", "same", "full"}
        As in :func:`cnnedu.sizes.conv_output_size`.

    Returns
    -------
    CheckResult

    Raises
    ------
    TypeError, ValueError
        If the problem itself is not valid (e.g. ``kernel=2.5``, or a kernel that
        does not fit in the padded input).  A bad *answer* gets a message instead.

    Examples
    --------
    The lecture's 5x5 image, 3x3 filter, stride 2:

    >>> check_output_size(2, 5, 3, stride=2)
    ✔ correct (output size): Right: ⌊(N + P_lo + P_hi − D(M − 1) − 1)/S⌋ + 1.
    >>> check_output_size(1, 5, 3, stride=2).mistake          # (5 - 3)/2 = 1
    'forgot_plus_one'
    >>> check_output_size(6, 5, 3, padding=1).mistake         # 5 + 1 + 1 - 3 + 1 = 5, not 6
    'off_by_one_high'
    """
    return _output_check("check_output_size", "output size", answer, n, kernel, stride, padding, dilation,
                         "⌊(N + P_lo + P_hi − D(M − 1) − 1)/S⌋ + 1")


def check_pool_output_size(answer, n, kernel, stride=None, padding=0) -> CheckResult:
    r"""Check the size of one side of a pooling layer's output.

    The right answer is :func:`cnnedu.sizes.pool_output_size`,
    :math:`\lfloor (N + P_{lo} + P_{hi} - K)/S \rfloor + 1`, the stride
    defaulting to the pool size :math:`K`.

    Examples
    --------
    >>> check_pool_output_size(27, 55, 3, stride=2)          # AlexNet's first pooling layer
    ✔ correct (pooling output size): Right: ⌊(N + P_lo + P_hi − K)/S⌋ + 1.
    >>> check_pool_output_size(26, 55, 3, stride=2).mistake
    'forgot_plus_one'
    """
    fn = "check_pool_output_size"
    kernel = check_int(fn, "kernel", kernel, 1)
    stride = kernel if stride is None else stride
    return _output_check(fn, "pooling output size", answer, n, kernel, stride, padding, 1,
                         "⌊(N + P_lo + P_hi − K)/S⌋ + 1")


def check_parameter_count(answer, in_channels, out_channels, kernel_size, bias=True, groups=1) -> CheckResult:
    r"""Check the number of learnable parameters of a convolutional layer.

    The right answer is :func:`cnnedu.sizes.conv_parameter_count`: :math:`C_{out}`
    filters of :math:`(C_{in}/G) \times L \times L` weights, plus one bias each,

    .. math:: C_{out}\left(\frac{C_{in}}{G} L^2 + 1\right)

    (the lecture's :math:`K_1(3L^2 + 1)` for a first layer on colour images).

    Parameters
    ----------
    answer : int or None
    in_channels, out_channels : int
        :math:`C_{in}` (the depth of each filter) and :math:`C_{out}` (the number of filters).
    kernel_size : int or tuple of int
        :math:`L` for a square filter, or one size per spatial dimension.
    bias : bool
    groups : int

    Examples
    --------
    The lecture's first layer, :math:`K_1 = 96` filters of :math:`11 \times 11 \times 3`:

    >>> bool(check_parameter_count(96 * (3 * 11 * 11 + 1), 3, 96, 11))
    True
    >>> check_parameter_count(96 * (11 * 11 + 1), 3, 96, 11).mistake
    'forgot_depth'
    """
    fn = "check_parameter_count"
    check = "parameter count"
    cin = check_int(fn, "in_channels", in_channels, 1)
    cout = check_int(fn, "out_channels", out_channels, 1)
    bias = check_bool(fn, "bias", bias)
    g = check_int(fn, "groups", groups, 1)
    try:
        correct = sizes.conv_parameter_count(cin, cout, kernel_size, groups=g, bias=bias)
    except (TypeError, ValueError) as exc:
        raise _problem_error(fn, exc) from None
    if answer is None:
        return _unanswered(check)
    value = _as_number(answer)
    if isinstance(value, str):
        return _wrong(check, value)
    if isinstance(value, float):
        return _wrong(check, "not_whole")
    if value == correct:
        return _right(check, "Right: C_out filters of C_in/G × L × L weights, plus one bias each.")
    if value < 1:
        return _wrong(check, "not_positive")
    square = not isinstance(kernel_size, (tuple, list))
    taps = kernel_size * kernel_size if square else math.prod(kernel_size)
    depth = cin // g
    b = 1 if bias else 0
    weights = cout * depth * taps
    candidates = [
        ("forgot_bias", weights, bias),
        ("bias_not_in_layer", weights + cout, not bias),
        ("forgot_groups", cout * cin * taps + cout * b, g > 1),
        ("groups_twice", (cout // g) * depth * taps + cout * b, g > 1),
        ("forgot_depth", cout * (taps + b), depth > 1),
        ("forgot_depth", cout * taps, depth > 1),
        ("one_filter", depth * taps + b, cout > 1),
        ("one_filter", depth * taps, cout > 1),
        ("one_bias_for_layer", weights + 1, bias and cout > 1),
        ("kernel_not_squared", cout * (depth * kernel_size + b) if square else -1, square and kernel_size > 1),
        ("kernel_not_squared", cout * depth * kernel_size if square else -1, square and kernel_size > 1),
        ("bias_per_input_map", cout * depth * (taps + 1), bias and depth > 1),
        ("forgot_kernel_area", cout * (depth + b), taps > 1),
        ("forgot_kernel_area", cout * depth, taps > 1),
    ]
    return _wrong(check, _first_match(value, correct, candidates) or _fallback(value, correct))


def _split(total: int) -> tuple[int, int]:
    """A total split as the book does: the odd zero after the input."""
    return total // 2, total - total // 2


def check_same_padding(answer, n, kernel, stride=1, dilation=1) -> CheckResult:
    r"""Check the lecture's "same" padding ``(before, after)`` for one side of the input.

    The right answer is :func:`cnnedu.sizes.same_padding`: first pad the input up
    to a multiple of the stride, :math:`S\lceil N/S\rceil - N` zeros, then add the
    :math:`D(M-1)` zeros a stride-1 "same" convolution needs, split as evenly as
    possible.  The output has :math:`\lceil N/S \rceil` samples.  The lecture puts
    the odd zero on either side, so both orders are accepted (cnnedu, like
    PyTorch, puts it after the input).

    Parameters
    ----------
    answer : (int, int) or None
        Zeros before and after the input.
    n, kernel, stride, dilation : int

    Examples
    --------
    >>> check_same_padding((1, 1), 5, 3)
    ✔ correct (same padding): Right: S⌈N/S⌉ − N zeros to reach a multiple of the stride, then D(M − 1), split as evenly as possible.
    >>> check_same_padding((1, 1), 10, 3, stride=3).mistake   # TensorFlow pads S - 1 fewer
    'tensorflow_same'
    """
    fn = "check_same_padding"
    check = "same padding"
    n = check_int(fn, "n", n, 1)
    kernel = check_int(fn, "kernel", kernel, 1)
    stride = check_int(fn, "stride", stride, 1)
    dilation = check_int(fn, "dilation", dilation, 1)
    lo, hi = sizes.same_padding(n, kernel, stride, dilation)
    total = lo + hi
    if answer is None:
        return _unanswered(check)
    if isinstance(answer, np.ndarray):
        answer = answer.tolist()
    if not isinstance(answer, (tuple, list)):
        value = _as_number(answer)
        if isinstance(value, int) and value == total:
            return _wrong(check, "pair_total")
        return _wrong(check, "not_a_pair")
    if len(answer) != 2:
        return _wrong(check, "not_a_pair")
    pair = [_as_number(a) for a in answer]
    for v in pair:
        if isinstance(v, str):
            return _wrong(check, v)
        if isinstance(v, float):
            return _wrong(check, "not_whole")
    a, b = pair
    if a < 0 or b < 0:
        return _wrong(check, "negative_padding")
    right = "Right: S⌈N/S⌉ − N zeros to reach a multiple of the stride, then D(M − 1), split as evenly as possible."
    if (a, b) == (lo, hi):
        return _right(check, right)
    if (b, a) == (lo, hi):
        return _right(check, right + " (cnnedu, like PyTorch, puts the odd zero after the input; "
                                      "the lecture allows either side.)")
    span = dilation * (kernel - 1) + 1
    extra = stride * math.ceil(n / stride) - n           # zeros up to a multiple of the stride
    tf_total = max((math.ceil(n / stride) - 1) * stride + span - n, 0)
    odd = total % 2 == 1
    candidates = [
        ("tensorflow_same", _split(tf_total), stride > 1),
        ("ignored_stride", _split(dilation * (kernel - 1)), stride > 1 and extra > 0),
        ("extra_full_stride", _split(stride + dilation * (kernel - 1)), stride > 1 and extra == 0),
        ("same_forgot_dilation", _split(extra + kernel - 1), dilation > 1),
        ("full_padding", (dilation * (kernel - 1),) * 2, kernel > 1),
        ("odd_total_split", (total // 2, total // 2), odd),
        ("odd_total_split", (total - total // 2,) * 2, odd),
        ("total_is_span", _split(extra + span), True),
        ("total_each_side", (total, total), total > 0),
    ]
    for key, (c_lo, c_hi), applies in candidates:
        if applies and {(c_lo, c_hi), (c_hi, c_lo)} != {(lo, hi), (hi, lo)} and (a, b) in {(c_lo, c_hi),
                                                                                             (c_hi, c_lo)}:
            return _wrong(check, key)
    if a + b == total:
        return _wrong(check, "uneven_split")
    target = math.ceil(n / stride)
    padded = n + a + b
    got = (padded - span) // stride + 1 if padded >= span else 0
    if got == target:
        return _wrong(check, "same_size_other_padding")
    return _wrong(check, "too_much_padding" if got > target else "too_little_padding")


def check_dilated_span(answer, kernel, dilation) -> CheckResult:
    r"""Check the number of input samples a dilated kernel covers, :math:`D(M-1)+1`.

    Examples
    --------
    >>> bool(check_dilated_span(5, 3, 2))
    True
    >>> check_dilated_span(6, 3, 2).mistake                   # D * M
    'dilation_dm'
    """
    fn = "check_dilated_span"
    check = "dilated span"
    kernel = check_int(fn, "kernel", kernel, 1)
    dilation = check_int(fn, "dilation", dilation, 1)
    correct = dilation * (kernel - 1) + 1
    if answer is None:
        return _unanswered(check)
    value = _as_number(answer)
    if isinstance(value, str):
        return _wrong(check, value)
    if isinstance(value, float):
        return _wrong(check, "not_whole")
    if value == correct:
        return _right(check, "Right: M taps with gaps of D between neighbours span D(M − 1) + 1 samples.")
    if value < 1:
        return _wrong(check, "not_positive")
    candidates = [
        ("forgot_dilation", kernel, dilation > 1),
        ("dilation_dm", dilation * kernel, True),
        ("span_without_one", dilation * (kernel - 1), True),
        ("dilation_gaps_d", (dilation + 1) * (kernel - 1) + 1, True),
        ("dilation_added", kernel + dilation - 1, True),
    ]
    return _wrong(check, _first_match(value, correct, candidates) or _fallback(value, correct))


def check_flattened_size(answer, channels, height, width=None) -> CheckResult:
    r"""Check the number of values that :math:`C` maps of :math:`H \times W` flatten into, :math:`CHW`.

    ``width`` defaults to ``height`` (square maps).

    Examples
    --------
    LeNet-5's 16 maps of 5x5 feed its first fully connected layer:

    >>> bool(check_flattened_size(400, 16, 5))
    True
    >>> check_flattened_size(25, 16, 5).mistake
    'forgot_channels'
    """
    fn = "check_flattened_size"
    check = "flattened size"
    c = check_int(fn, "channels", channels, 1)
    h = check_int(fn, "height", height, 1)
    w = h if width is None else check_int(fn, "width", width, 1)
    correct = c * h * w
    if answer is None:
        return _unanswered(check)
    value = _as_number(answer)
    if isinstance(value, str):
        return _wrong(check, value)
    if isinstance(value, float):
        return _wrong(check, "not_whole")
    if value == correct:
        return _right(check, "Right: C maps of H × W values each.")
    if value < 1:
        return _wrong(check, "not_positive")
    candidates = [
        ("forgot_channels", h * w, c > 1),
        ("one_side_only", c * h, w > 1),
        ("one_side_only", c * w, h > 1),
        ("added_sides", c * (h + w), True),
        ("added_channels", h * w + c, True),
    ]
    return _wrong(check, _first_match(value, correct, candidates) or _fallback(value, correct))
