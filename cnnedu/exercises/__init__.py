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

=======================================  ===================================================
:func:`check_output_size`                side of a convolution's output
:func:`check_pool_output_size`           side of a pooling layer's output
:func:`check_parameter_count`            learnable parameters of a convolutional layer
:func:`check_same_padding`               the lecture's "same" padding ``(before, after)``
:func:`check_dilated_span`               samples a dilated kernel covers
:func:`check_flattened_size`             values fed to the first fully connected layer
:func:`check_pooled_value`               one pooled value (max, mean, p-norm)
:func:`check_pooled_map`                 a whole pooled map
:func:`check_input_grad_size`            size of the derivative map for the layer's input
:func:`check_upsampled_size`             size of a derivative map upsampled for stride
:func:`check_transposed_output_size`     output size of a transposed convolution
:func:`check_output_padding`             the output_padding that gives a wanted size
:func:`check_input_gradient_entry`       one entry of dL/dx, by hand
:func:`check_filter_gradient_entry`      one entry of dL/dw, by hand
:func:`check_max_pool_gradient_entry`    one entry of max pooling's backward pass
:func:`check_overlap_count`              how many windows of a transposed convolution overlap
:func:`check_invariant_parameter_count`  parameters of a transform-invariant convolution
:func:`check_invariant_macs`             multiply-accumulates of a transform-invariant convolution
:func:`check_tap_correspondence`         where a tap of a rotated or mirrored filter comes from
:func:`check_receptive_field`            receptive field of a unit in a stack of layers
:func:`check_iou`                        intersection over union of two boxes
=======================================  ===================================================

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

from ._base import MISTAKES, CheckResult
from .architectures import (check_dense_block_channels, check_inception_channels,
                            check_stack_parameter_count, check_stack_receptive_field)
from .backprop import (check_filter_gradient_entry, check_input_grad_size, check_input_gradient_entry,
                       check_max_pool_gradient_entry, check_output_padding, check_overlap_count,
                       check_transposed_output_size, check_upsampled_size)
from .localization import check_iou, check_receptive_field
from .invariance import check_invariant_macs, check_invariant_parameter_count, check_tap_correspondence
from .depthwise import check_parameter_saving, check_separable_macs, check_separable_parameter_count
from .pooling import check_pooled_map, check_pooled_value
from .sizing import (check_dilated_span, check_flattened_size, check_output_size, check_parameter_count,
                     check_pool_output_size, check_same_padding)

__all__ = [
    "CheckResult", "MISTAKES",
    # chapters 2 and 3
    "check_output_size", "check_pool_output_size", "check_parameter_count", "check_same_padding",
    "check_dilated_span", "check_flattened_size",
    # chapter 4
    "check_pooled_value", "check_pooled_map",
    # chapters 5 and 6
    "check_input_grad_size", "check_upsampled_size", "check_transposed_output_size", "check_output_padding",
    "check_input_gradient_entry", "check_filter_gradient_entry", "check_max_pool_gradient_entry",
    "check_overlap_count",
    # chapter 7
    "check_separable_parameter_count", "check_separable_macs", "check_parameter_saving",
    # chapter 8
    "check_stack_receptive_field", "check_stack_parameter_count", "check_inception_channels",
    "check_dense_block_channels",
    # chapter 9
    "check_invariant_parameter_count", "check_invariant_macs", "check_tap_correspondence",
    # chapter 10
    "check_receptive_field", "check_iou",
]
