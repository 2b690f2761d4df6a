r"""Checks for chapter 8: reading the architectures of the lecture's tour.

* :func:`check_stack_receptive_field`: the region a stack of stride-1 convolutions sees (VGG's idea);
* :func:`check_stack_parameter_count`: the parameters of such a stack of :math:`C \to C` layers;
* :func:`check_inception_channels`: the maps an Inception module outputs;
* :func:`check_dense_block_channels`: the maps a DenseNet block outputs.

The right answers come from the library: :func:`cnnedu.sizes.receptive_field`
and :func:`cnnedu.sizes.conv_parameter_count` for the stacks, and the channel
rules of :class:`cnnedu.models.Inception` (``ch1x1 + ch3x3 + ch5x5 + pool_proj``)
and :class:`cnnedu.models.DenseBlock` (:math:`C_{in} + Lk`).  As everywhere in
:mod:`cnnedu.exercises`, a message is a fixed sentence and never holds a number
computed from the problem.
"""

from __future__ import annotations

from .. import sizes
from .._checks import check_bool, check_int
from ._base import (CheckResult, MISTAKES, _fallback, _first_match, _judge_whole, _problem_error, _wrong)

__all__ = ["check_stack_receptive_field", "check_stack_parameter_count", "check_inception_channels",
           "check_dense_block_channels"]

#: The diagnoses this module adds to :data:`MISTAKES`.
ARCHITECTURES_MISTAKES: dict[str, str] = {
    # --- stacks of small filters (VGG) ----------------------------------------------------
    "rf_added_kernels": "You added up the kernel sizes. Neighbouring windows overlap: each extra "
                        "layer of M taps (stride 1) widens the region by M − 1 samples, not by M.",
    "rf_one_layer": "That is what one layer sees. Each layer of the stack looks at a window of the "
                    "layer below, so the region grows by M − 1 samples per layer.",
    "rf_forgot_one": "You counted the growth, L(M − 1), but not the one sample a unit sees before "
                     "any layer: the region is L(M − 1) + 1.",
    "rf_multiplied": "The region does not multiply from layer to layer; at stride 1 it grows by "
                     "M − 1 samples per layer, L(M − 1) + 1 in all.",
    "stack_forgot_bias": "You forgot the biases: every filter of every layer has one, "
                         "L · C(C M² + 1) in all.",
    "stack_one_layer": "That is one layer of the stack; there are L of them, each with C filters.",
    "stack_big_filter": "That is one big filter covering the same region, the layer the stack "
                        "replaces. Count L layers of C filters of C × M × M weights (and one bias each).",
    "stack_forgot_depth": "You forgot the depth of the filters: each filter spans all C maps of the "
                          "layer below, C × M × M weights, not M × M.",
    # --- Inception ----------------------------------------------------------------------
    "inception_counted_reduce": "You counted the 1×1 'reduce' convolutions. Their maps only feed the "
                                "larger convolutions inside their branches; the module outputs "
                                "the last layer of each of the four branches.",
    "inception_forgot_pool": "You left out the pooling branch: its 1×1 projection adds its maps to the "
                             "concatenation too.",
    "inception_pool_unprojected": "The pooling branch does not pass the input maps through as they "
                                  "are: its 1×1 projection ('pool proj') sets how many maps it adds.",
    "inception_added_input": "An Inception module concatenates its four branches only; its input maps "
                             "are not part of the output (that is DenseNet's rule).",
    # --- DenseNet -----------------------------------------------------------------------
    "dense_forgot_input": "You left out the block's input: a dense block passes its input maps on, "
                          "and every layer adds its k maps to them, C_in + L·k.",
    "dense_one_layer_short": "One layer short: that is what the last layer sees. The block's output "
                             "also holds the last layer's own k maps.",
    "dense_growth_only": "That is what one layer adds. The block outputs the concatenation of its "
                         "input and of the maps of all its L layers.",
    "dense_multiplied": "The channels do not multiply: each layer adds k maps to the pile, "
                        "C_in + L·k.",
}
MISTAKES.update(ARCHITECTURES_MISTAKES)


def _count(fn: str, check: str, answer, correct: int, candidates, right: str) -> CheckResult:
    """Shared tail of the checks: a whole-number answer against ``correct`` and the slips."""
    verdict, value = _judge_whole(check, answer, correct, right)
    if verdict is not None:
        return verdict
    if value < 1:
        return _wrong(check, "not_positive")
    return _wrong(check, _first_match(value, correct, candidates) or _fallback(value, correct))


def check_stack_receptive_field(answer, num_layers, kernel_size=3) -> CheckResult:
    r"""Check the side of the region a unit on top of a stack of stride-1 convolutions sees.

    The right answer is :func:`cnnedu.sizes.receptive_field` of ``num_layers``
    layers of ``kernel_size`` taps and stride 1, :math:`L(M-1) + 1`: VGG's two
    3x3 layers see 5x5, three see 7x7.

    Examples
    --------
    >>> check_stack_receptive_field(7, 3)
    ✔ correct (receptive field of a stack): Right: each layer widens the region by M − 1, L(M − 1) + 1 in all.
    >>> check_stack_receptive_field(9, 3).mistake               # 3 + 3 + 3
    'rf_added_kernels'
    """
    fn = "check_stack_receptive_field"
    n = check_int(fn, "num_layers", num_layers, 1)
    k = check_int(fn, "kernel_size", kernel_size, 1)
    correct = sizes.receptive_field([(k, 1)] * n)[0]
    candidates = [("rf_added_kernels", n * k, True), ("rf_one_layer", k, n > 1),
                  ("rf_forgot_one", n * (k - 1), True), ("rf_multiplied", k ** n, n > 1)]
    return _count(fn, "receptive field of a stack", answer, correct, candidates,
                  "Right: each layer widens the region by M − 1, L(M − 1) + 1 in all.")


def check_stack_parameter_count(answer, channels, num_layers, kernel_size=3, bias=True) -> CheckResult:
    r"""Check the parameters of ``num_layers`` stacked convolutions, each ``channels -> channels``.

    The right answer is ``num_layers`` times :func:`cnnedu.sizes.conv_parameter_count`,
    :math:`L \cdot C(C M^2 + 1)`.  The slip the chapter is about, counting the
    single large filter the stack replaces (side :math:`L(M-1)+1`), has its own
    diagnosis.

    Examples
    --------
    >>> bool(check_stack_parameter_count(3 * 64 * (64 * 9 + 1), 64, 3))
    True
    >>> check_stack_parameter_count(64 * (64 * 49 + 1), 64, 3).mistake     # one 7x7 layer
    'stack_big_filter'
    """
    fn = "check_stack_parameter_count"
    c = check_int(fn, "channels", channels, 1)
    n = check_int(fn, "num_layers", num_layers, 1)
    k = check_int(fn, "kernel_size", kernel_size, 1)
    bias = check_bool(fn, "bias", bias)
    try:
        one = sizes.conv_parameter_count(c, c, k, bias=bias)
        span = sizes.receptive_field([(k, 1)] * n)[0]
        big = sizes.conv_parameter_count(c, c, span, bias=bias)
    except (TypeError, ValueError) as exc:
        raise _problem_error(fn, exc) from None
    b = 1 if bias else 0
    candidates = [("stack_forgot_bias", n * c * c * k * k, bias), ("stack_one_layer", one, n > 1),
                  ("stack_big_filter", big, n > 1), ("stack_forgot_depth", n * c * (k * k + b), c > 1)]
    return _count(fn, "parameters of a stack", answer, n * one, candidates,
                  "Right: L layers, each with C filters of C × M × M weights and one bias.")


def check_inception_channels(answer, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5,
                             pool_proj) -> CheckResult:
    r"""Check the number of maps an Inception module outputs.

    The arguments are the columns of GoogLeNet's table, as for
    :class:`cnnedu.models.Inception`; the right answer is its ``out_channels``,
    ``ch1x1 + ch3x3 + ch5x5 + pool_proj`` (the four branches, concatenated).

    Examples
    --------
    >>> bool(check_inception_channels(256, 192, 64, 96, 128, 16, 32, 32))    # inception (3a)
    True
    >>> check_inception_channels(368, 192, 64, 96, 128, 16, 32, 32).mistake
    'inception_counted_reduce'
    """
    fn = "check_inception_channels"
    args = dict(in_channels=in_channels, ch1x1=ch1x1, ch3x3red=ch3x3red, ch3x3=ch3x3, ch5x5red=ch5x5red,
                ch5x5=ch5x5, pool_proj=pool_proj)
    c = {name: check_int(fn, name, v, 1) for name, v in args.items()}
    correct = c["ch1x1"] + c["ch3x3"] + c["ch5x5"] + c["pool_proj"]
    candidates = [("inception_counted_reduce", correct + c["ch3x3red"] + c["ch5x5red"], True),
                  ("inception_forgot_pool", correct - c["pool_proj"], True),
                  ("inception_pool_unprojected", correct - c["pool_proj"] + c["in_channels"], True),
                  ("inception_added_input", correct + c["in_channels"], True)]
    return _count(fn, "Inception output channels", answer, correct, candidates,
                  "Right: the module concatenates the last layer of each of its four branches.")


def check_dense_block_channels(answer, in_channels, growth_rate, num_layers) -> CheckResult:
    r"""Check the number of maps a DenseNet block outputs.

    The right answer is :class:`cnnedu.models.DenseBlock`'s ``out_channels``,
    :math:`C_{in} + Lk`: the block's input and the :math:`k` new maps of each of
    its :math:`L` layers, concatenated.

    Examples
    --------
    >>> bool(check_dense_block_channels(256, 64, 32, 6))       # DenseNet-121's first block
    True
    >>> check_dense_block_channels(192, 64, 32, 6).mistake
    'dense_forgot_input'
    """
    fn = "check_dense_block_channels"
    c_in = check_int(fn, "in_channels", in_channels, 1)
    k = check_int(fn, "growth_rate", growth_rate, 1)
    n = check_int(fn, "num_layers", num_layers, 1)
    correct = c_in + n * k
    candidates = [("dense_forgot_input", n * k, True), ("dense_one_layer_short", c_in + (n - 1) * k, True),
                  ("dense_growth_only", k, True), ("dense_multiplied", c_in * n * k, True),
                  ("dense_multiplied", c_in * k, True)]
    return _count(fn, "dense block channels", answer, correct, candidates,
                  "Right: the input maps plus k new maps from each layer, C_in + L·k.")
