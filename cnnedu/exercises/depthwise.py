r"""Checks for chapter 7: what a depthwise-separable layer costs, next to a conventional one.

* :func:`check_separable_parameter_count`: learnable parameters of a depthwise
  convolution followed by a 1x1 (pointwise) convolution;
* :func:`check_separable_macs`: its multiply-accumulates for one example;
* :func:`check_parameter_saving`: how many times fewer weights it has than a
  conventional layer with the same channels and kernel.

The right answers come from :mod:`cnnedu.sizes`
(``depthwise_separable_parameter_count``, ``depthwise_separable_macs``,
``conv_parameter_count``).  The chapter writes :math:`M` for the input channels,
:math:`N` for the output channels and :math:`K` for the side of the kernel, as
the lecture does: a conventional layer has :math:`NMK^2` weights, the
separable pair :math:`MK^2 + NM`.  The slips recognised are those of the
chapter: the conventional count given for the separable one, one of the two
stages left out, a depthwise stage with :math:`N` filters instead of :math:`M`
or with filters as deep as the input, a pointwise stage with :math:`K\times K`
filters, the biases forgotten, the output area forgotten or not squared, and
the saving factor upside down.
"""

from __future__ import annotations

import math

from .. import sizes
from .._checks import check_bool, check_int
from ._base import (MISTAKES, CheckResult, _as_number, _fallback, _first_match, _problem_error, _right,
                    _unanswered, _wrong)

__all__ = ["check_separable_parameter_count", "check_separable_macs", "check_parameter_saving"]

#: The diagnoses this module adds to :data:`MISTAKES`.
DEPTHWISE_MISTAKES: dict[str, str] = {
    "gave_conventional": "That is the count of a conventional layer, N filters of M×K×K. A "
                         "depthwise-separable layer splits it in two stages: M filters of K×K, one "
                         "per input map, then N filters of 1×1×M.",
    "forgot_pointwise": "You counted the depthwise stage only. The M filtered maps are then mixed "
                        "by N pointwise filters of 1×1×M, which have weights too.",
    "forgot_depthwise": "You counted the pointwise stage only. Before it, each of the M input maps "
                        "is filtered by its own K×K filter.",
    "depthwise_n_filters": "The depthwise stage has one K×K filter per *input* map, M of them, not "
                           "one per output map.",
    "depthwise_full_depth": "A depthwise filter sees only its own map, so it has K×K weights, not "
                            "M×K×K: that is what groups = M means.",
    "pointwise_with_kernel": "The pointwise filters are 1×1: each looks at one position across the "
                             "M maps, so it has M weights, not M×K×K.",
    "separable_forgot_bias": "You forgot the biases: each stage has one bias per filter, M for the "
                             "depthwise stage and N for the pointwise stage.",
    "separable_one_bias_set": "Each of the two stages has its own biases: M for the depthwise "
                              "filters and N for the pointwise ones.",
    "separable_bias_not_in_layer": "This layer has no biases (bias=False): count the weights only.",
    "macs_gave_parameters": "That is (close to) a count of weights. Every weight is used once per "
                            "output position, so multiply by the output area O×O.",
    "macs_output_not_squared": "The output map is O×O positions, so multiply by O², not O.",
    "macs_gave_conventional": "That is the cost of a conventional layer, N·M·K²·O². The separable "
                              "pair costs M·K²·O² for the depthwise stage plus N·M·O² for the "
                              "pointwise stage.",
    "macs_forgot_pointwise": "You counted the depthwise stage only; add the pointwise stage, N·M "
                             "multiply-accumulates per output position.",
    "macs_forgot_depthwise": "You counted the pointwise stage only; add the depthwise stage, M·K² "
                             "multiply-accumulates per output position.",
    "saving_inverted": "Upside down: the question asks how many times *fewer* weights the separable "
                       "layer has, conventional divided by separable, which is more than 1.",
    "saving_kernel_only": "That ignores the pointwise stage: NMK²/(MK²) is the saving if the 1×1 "
                          "filters were free. Divide NMK² by NM + MK².",
    "saving_pointwise_only": "That ignores the depthwise stage: NMK²/(NM) is the saving if the K×K "
                             "filters were free. Divide NMK² by NM + MK².",
    "saving_not_close": "Not the ratio yet. Count the weights of both layers (no biases), NMK² and "
                        "NM + MK², and divide the first by the second.",
}
MISTAKES.update(DEPTHWISE_MISTAKES)

#: A saving factor within this relative distance of the right one passes (about two significant digits).
_RTOL = 0.005


def _channels(fn, in_channels, out_channels, kernel_size):
    m = check_int(fn, "in_channels", in_channels, 1)
    n = check_int(fn, "out_channels", out_channels, 1)
    k = check_int(fn, "kernel_size", kernel_size, 1)
    return m, n, k


def _whole(check, answer):
    """The answer as an int, or a wrong CheckResult."""
    value = _as_number(answer)
    if isinstance(value, str):
        return _wrong(check, value)
    if isinstance(value, float):
        return _wrong(check, "not_whole")
    if value < 1:
        return _wrong(check, "not_positive")
    return value


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------

def check_separable_parameter_count(answer, in_channels, out_channels, kernel_size, bias=True) -> CheckResult:
    r"""Check the learnable parameters of a depthwise-separable layer.

    The right answer is :func:`cnnedu.sizes.depthwise_separable_parameter_count`:
    :math:`M` depthwise filters of :math:`K\times K` and :math:`N` pointwise
    filters of :math:`1\times1\times M`, plus a bias per filter when ``bias``:

    .. math:: MK^2 + NM \;+\; (M + N)\,[\text{bias}]

    Parameters
    ----------
    answer : int or None
        The reader's answer; ``None`` means not answered yet.
    in_channels, out_channels : int
        :math:`M` and :math:`N`.
    kernel_size : int
        :math:`K` (a square kernel).
    bias : bool
        Both stages have biases (as :class:`cnnedu.nn.DepthwiseSeparableConv2d` with ``bias=True``).

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> bool(check_separable_parameter_count(32 * 9 + 64 * 32, 32, 64, 3, bias=False))
    True
    >>> check_separable_parameter_count(64 * 32 * 9, 32, 64, 3, bias=False).mistake
    'gave_conventional'
    >>> check_separable_parameter_count(None, 32, 64, 3)
    … not answered yet (separable parameter count): replace None with your answer and run the cell again.
    """
    fn = "check_separable_parameter_count"
    check = "separable parameter count"
    m, n, k = _channels(fn, in_channels, out_channels, kernel_size)
    bias = check_bool(fn, "bias", bias)
    try:
        correct = sizes.depthwise_separable_parameter_count(m, n, k, bias=bias)
    except (TypeError, ValueError) as exc:
        raise _problem_error(fn, exc) from None
    if answer is None:
        return _unanswered(check)
    value = _whole(check, answer)
    if isinstance(value, CheckResult):
        return value
    if value == correct:
        return _right(check, "Right: M depthwise filters of K×K plus N pointwise filters of 1×1×M, "
                             "MK² + NM weights, and one bias per filter if the layer has them.")
    b = 1 if bias else 0
    dw, pw = m * k * k, n * m
    candidates = [
        ("gave_conventional", sizes.conv_parameter_count(m, n, k, bias=bias), True),
        ("gave_conventional", sizes.conv_parameter_count(m, n, k, bias=False), True),
        ("separable_forgot_bias", dw + pw, bias),
        ("separable_bias_not_in_layer", dw + pw + m + n, not bias),
        ("separable_one_bias_set", dw + pw + n, bias),
        ("separable_one_bias_set", dw + pw + m, bias and m != n),
        ("forgot_pointwise", dw + m * b, True),
        ("forgot_pointwise", dw, bias),
        ("forgot_depthwise", pw + n * b, True),
        ("forgot_depthwise", pw, bias),
        ("depthwise_n_filters", n * k * k + pw + 2 * n * b, n != m),
        ("depthwise_n_filters", n * k * k + pw, n != m),
        ("depthwise_full_depth", m * m * k * k + pw + (m + n) * b, m > 1),
        ("depthwise_full_depth", m * m * k * k + pw, m > 1),
        ("pointwise_with_kernel", dw + n * m * k * k + (m + n) * b, k > 1),
        ("pointwise_with_kernel", dw + n * m * k * k, k > 1),
    ]
    return _wrong(check, _first_match(value, correct, candidates) or _fallback(value, correct))


def check_separable_macs(answer, in_channels, out_channels, kernel_size, output_size) -> CheckResult:
    r"""Check the multiply-accumulates of a depthwise-separable layer for one example.

    The right answer is :func:`cnnedu.sizes.depthwise_separable_macs`, for an
    :math:`O\times O` output:

    .. math:: M K^2 O^2 + N M O^2

    against :math:`NMK^2O^2` for a conventional layer (:func:`cnnedu.sizes.conv_macs`).

    Parameters
    ----------
    answer : int or None
    in_channels, out_channels, kernel_size : int
        :math:`M`, :math:`N`, :math:`K`.
    output_size : int
        :math:`O`, the side of the (square) output map.

    Examples
    --------
    >>> bool(check_separable_macs((32 * 9 + 64 * 32) * 16 * 16, 32, 64, 3, 16))
    True
    >>> check_separable_macs(32 * 9 + 64 * 32, 32, 64, 3, 16).mistake
    'macs_gave_parameters'
    """
    fn = "check_separable_macs"
    check = "separable multiply-accumulates"
    m, n, k = _channels(fn, in_channels, out_channels, kernel_size)
    o = check_int(fn, "output_size", output_size, 1)
    try:
        correct = sizes.depthwise_separable_macs(m, n, k, o)
    except (TypeError, ValueError) as exc:
        raise _problem_error(fn, exc) from None
    if answer is None:
        return _unanswered(check)
    value = _whole(check, answer)
    if isinstance(value, CheckResult):
        return value
    if value == correct:
        return _right(check, "Right: M·K² multiply-accumulates per output position for the depthwise "
                             "stage plus N·M for the pointwise stage, times the O² positions.")
    per_position = m * k * k + n * m
    candidates = [
        ("macs_gave_conventional", sizes.conv_macs(m, n, k, o), True),
        ("macs_gave_parameters", per_position, o > 1),
        ("macs_gave_parameters", per_position + m + n, o > 1),
        ("macs_output_not_squared", per_position * o, o > 1),
        ("macs_forgot_pointwise", m * k * k * o * o, True),
        ("macs_forgot_depthwise", n * m * o * o, True),
    ]
    return _wrong(check, _first_match(value, correct, candidates) or _fallback(value, correct))


def check_parameter_saving(answer, in_channels, out_channels, kernel_size) -> CheckResult:
    r"""Check how many times fewer weights a depthwise-separable layer has than a conventional one.

    The right answer is the ratio of the weight counts (biases left out), from
    :func:`cnnedu.sizes.conv_parameter_count` and
    :func:`cnnedu.sizes.depthwise_separable_parameter_count`:

    .. math:: \frac{NMK^2}{NM + MK^2} = \frac{NK^2}{N + K^2}

    An answer within half a percent passes (two or three significant digits).

    Parameters
    ----------
    answer : float or None
    in_channels, out_channels, kernel_size : int
        :math:`M`, :math:`N`, :math:`K`.

    Examples
    --------
    >>> bool(check_parameter_saving(8.4, 32, 64, 3))        # 18432 / 2336 = 7.89...
    False
    >>> bool(check_parameter_saving(7.89, 32, 64, 3))
    True
    >>> check_parameter_saving(0.127, 32, 64, 3).mistake
    'saving_inverted'
    """
    fn = "check_parameter_saving"
    check = "parameter saving"
    m, n, k = _channels(fn, in_channels, out_channels, kernel_size)
    try:
        conventional = sizes.conv_parameter_count(m, n, k, bias=False)
        separable = sizes.depthwise_separable_parameter_count(m, n, k, bias=False)
    except (TypeError, ValueError) as exc:
        raise _problem_error(fn, exc) from None
    correct = conventional / separable
    if answer is None:
        return _unanswered(check)
    value = _as_number(answer)
    if isinstance(value, str):
        return _wrong(check, value)
    value = float(value)
    if value <= 0:
        return _wrong(check, "not_positive")

    def close(a, b):
        return math.isclose(a, b, rel_tol=_RTOL)

    if close(value, correct):
        return _right(check, "Right: NMK²/(NM + MK²) = NK²/(N + K²), close to K² when N is much "
                             "larger than K².")
    slips = [("saving_inverted", 1 / correct), ("saving_kernel_only", float(n)),
             ("saving_pointwise_only", float(k * k))]
    for mistake, slip in slips:
        if not close(slip, correct) and close(value, slip):
            return _wrong(check, mistake)
    return _wrong(check, "saving_not_close")
