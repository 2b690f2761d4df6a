"""Checks for chapters 2 and 3: output sizes, parameter counts, padding, dilation."""

from __future__ import annotations

import math

import numpy as np

from .. import sizes
from .._checks import check_bool, check_int
from ._base import (CheckResult, _as_number, _fallback, _first_match, _judge_whole, _problem_error, _right,
                    _unanswered, _wrong)

__all__ = ["check_output_size", "check_pool_output_size", "check_parameter_count", "check_same_padding",
           "check_dilated_span", "check_flattened_size"]



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
    verdict, value = _judge_whole(check, answer, correct, "Right: C_out filters of C_in/G × L × L weights, plus one bias each.")
    if verdict is not None:
        return verdict
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
    verdict, value = _judge_whole(check, answer, correct, "Right: M taps with gaps of D between neighbours span D(M − 1) + 1 samples.")
    if verdict is not None:
        return verdict
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
    verdict, value = _judge_whole(check, answer, correct, "Right: C maps of H × W values each.")
    if verdict is not None:
        return verdict
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
