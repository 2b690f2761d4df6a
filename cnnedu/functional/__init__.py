"""Convolution, pooling and resampling, each with an explicit backward pass.

Import it the way PyTorch users do::

    import cnnedu.functional as F
    z = F.conv2d(x, w, b, stride=2, padding="same")
    dx, dw, db = F.conv2d_backward(dz, x, w, stride=2, padding="same")

Layouts and argument names follow ``torch.nn.functional``.  Every function
accepts any real array-like, returns float32 when all its array inputs are
float32 and float64 otherwise, and validates its arguments before any Numba
kernel runs.  The slow, readable loops of the lecture with the same signatures
are in :mod:`cnnedu.reference`.
"""

from .convolution import (conv1d, conv1d_backward, conv2d, conv2d_backward, conv_transpose1d,
                          conv_transpose1d_backward, conv_transpose2d, conv_transpose2d_backward)
from .pooling import (avg_pool1d, avg_pool1d_backward, avg_pool2d, avg_pool2d_backward, lp_pool1d,
                      lp_pool1d_backward, lp_pool2d, lp_pool2d_backward, max_pool1d,
                      max_pool1d_backward, max_pool2d, max_pool2d_backward)
from .resampling import downsample, downsample_backward, upsample, upsample_backward

__all__ = [
    "conv1d", "conv2d", "conv1d_backward", "conv2d_backward",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose1d_backward", "conv_transpose2d_backward",
    "max_pool1d", "max_pool2d", "max_pool1d_backward", "max_pool2d_backward",
    "avg_pool1d", "avg_pool2d", "avg_pool1d_backward", "avg_pool2d_backward",
    "lp_pool1d", "lp_pool2d", "lp_pool1d_backward", "lp_pool2d_backward",
    "upsample", "downsample", "upsample_backward", "downsample_backward",
]
