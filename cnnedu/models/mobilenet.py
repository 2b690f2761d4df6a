r"""MobileNet v1 (Howard et al., 2017): a network of depthwise-separable convolutions.

The paper's Table 1, for 224x224x3 inputs ("dw": 3x3 depthwise, "pw": 1x1
pointwise; BatchNorm and ReLU after every convolution):

=====================  ==============================  ================
layer                  what                            output
=====================  ==============================  ================
conv1                  32 filters 3x3, stride 2        32 x 112 x 112
block1                 dw, pw 64                       64 x 112 x 112
block2                 dw stride 2, pw 128             128 x 56 x 56
block3                 dw, pw 128                      128 x 56 x 56
block4                 dw stride 2, pw 256             256 x 28 x 28
block5                 dw, pw 256                      256 x 28 x 28
block6                 dw stride 2, pw 512             512 x 14 x 14
block7-11              5 x (dw, pw 512)                512 x 14 x 14
block12                dw stride 2, pw 1024            1024 x 7 x 7
block13                dw, pw 1024                     1024 x 7 x 7
avgpool, fc            global average pooling, 1000    1000
=====================  ==============================  ================

4,231,976 parameters for 1000 classes at width 1.0 (weights, BatchNorm scales
and shifts, the classifier's weights and biases; the BatchNorm running
statistics are buffers, not parameters), the paper's "4.2 million".  A
conventional network of the same shape would need about 29 million: the
lecture's :math:`NM + MK^2` against :math:`NMK^2`.

The width multiplier :math:`\alpha` (``width``) thins every layer,
``int(channels * width)`` maps (0.75, 0.5 and 0.25 in the paper); the
resolution multiplier is just a smaller input, which global average pooling
accepts.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .._checks import check_int
from ..nn import BatchNorm2d, Conv2d, Flatten, Linear, ReLU, Sequential
from ._build import builder_rngs, pair, scaled
from ._layers import AdaptiveAvgPool2d, DepthwiseSeparableBlock

__all__ = ["MobileNetV1", "mobilenet_v1", "MOBILENET_V1_BLOCKS"]

#: (pointwise filters, depthwise stride) of the 13 depthwise-separable blocks.
MOBILENET_V1_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
                       (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))


class MobileNetV1(Sequential):
    r"""MobileNet v1 (see the module docstring).

    Parameters
    ----------
    num_classes, in_channels : int
    width : float
        The width multiplier :math:`\alpha` (1.0).
    input_size : int or (int, int)
        Recorded as ``input_shape`` (224).
    dtype, rng, init_weights
        See :class:`~cnnedu.models.LeNet5`.

    Children: ``conv1, bn1, relu1, block1, ..., block13, avgpool, flatten, fc``;
    each block is a :class:`~cnnedu.models.DepthwiseSeparableBlock`.

    Examples
    --------
    >>> import numpy as np
    >>> net = MobileNetV1(num_classes=10, width=0.25, rng=0)
    >>> net(np.zeros((2, 3, 32, 32))).shape
    (2, 10)
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, *, width: float = 1.0, input_size=224,
                 dtype=np.float32, rng=None, init_weights: bool = True):
        fn = type(self).__name__
        num_classes = check_int(fn, "num_classes", num_classes, 1)
        in_channels = check_int(fn, "in_channels", in_channels, 1)
        rng, layer_rng = builder_rngs(fn, rng, init_weights)
        kw = dict(dtype=dtype, rng=layer_rng)
        c = scaled(fn, 32, width)
        layers = OrderedDict([
            ("conv1", Conv2d(in_channels, c, 3, 2, padding=1, bias=False, **kw)),
            ("bn1", BatchNorm2d(c, dtype=dtype)), ("relu1", ReLU()),
        ])
        for i, (out, stride) in enumerate(MOBILENET_V1_BLOCKS):
            out = scaled(fn, out, width)
            layers[f"block{i + 1}"] = DepthwiseSeparableBlock(c, out, stride, **kw)
            c = out
        layers.update(avgpool=AdaptiveAvgPool2d(1), flatten=Flatten(), fc=Linear(c, num_classes, **kw))
        super().__init__(layers)
        self.width, self.num_classes = width, num_classes
        self.input_shape = (in_channels, *pair(fn, "input_size", input_size))


def mobilenet_v1(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> MobileNetV1:
    """Build :class:`MobileNetV1` (``width`` for the width multiplier)."""
    return MobileNetV1(num_classes, in_channels, **kwargs)
