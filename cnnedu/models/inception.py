r"""GoogLeNet (Szegedy et al., 2014): a stack of Inception modules ending in global average pooling.

The layout of the paper's Table 1, for 224x224x3 inputs:

==============  ================================================  ===============
layer           what                                              output
==============  ================================================  ===============
conv1           64 filters 7x7, stride 2, padding 3               64 x 112 x 112
maxpool1        3x3, stride 2, padding 1                          64 x 56 x 56
conv2, conv3    64 filters 1x1, then 192 filters 3x3, padding 1   192 x 56 x 56
maxpool2        3x3, stride 2, padding 1                          192 x 28 x 28
inception3a-b   :class:`~cnnedu.models.Inception` modules         480 x 28 x 28
maxpool3                                                          480 x 14 x 14
inception4a-e                                                     832 x 14 x 14
maxpool4                                                          832 x 7 x 7
inception5a-b                                                     1024 x 7 x 7
avgpool         global average pooling (the paper's 7x7 pool)     1024 x 1 x 1
dropout, fc     40% dropout, 1000 neurons                         1000
==============  ================================================  ===============

Every convolution is followed by ReLU.  Not built: the two local response
normalisations (left out as in AlexNet) and the two auxiliary classifiers the
paper attached to inception4a and 4d during training only.

The whole network has about 7 million parameters (6,998,552 here; the
paper's Table 1 rounds to 6.8 million, without biases) against AlexNet's 60
million: the lecture's "only 5 million parameters, thanks to average pooling"
refers to the absent big fully connected layers.  The pooling paddings
reproduce the table's map sizes (the paper, like Caffe, rounded pooling
sizes up).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .._checks import check_int, check_real
from ..nn import Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential
from ._build import builder_rngs, child_rng, pair, scaled
from ._layers import AdaptiveAvgPool2d, Inception

__all__ = ["GoogLeNet", "googlenet", "INCEPTION_CONFIGS"]

#: The paper's Table 1: (#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj) of each module.
INCEPTION_CONFIGS = OrderedDict([
    ("inception3a", (64, 96, 128, 16, 32, 32)),
    ("inception3b", (128, 128, 192, 32, 96, 64)),
    ("inception4a", (192, 96, 208, 16, 48, 64)),
    ("inception4b", (160, 112, 224, 24, 64, 64)),
    ("inception4c", (128, 128, 256, 24, 64, 64)),
    ("inception4d", (112, 144, 288, 32, 64, 64)),
    ("inception4e", (256, 160, 320, 32, 128, 128)),
    ("inception5a", (256, 160, 320, 32, 128, 128)),
    ("inception5b", (384, 192, 384, 48, 128, 128)),
])

#: A 3x3, stride-2 max pooling comes before these modules.
_POOL_BEFORE = {"inception4a": "maxpool3", "inception5a": "maxpool4"}


class GoogLeNet(Sequential):
    r"""GoogLeNet ("Inception v1") as in the paper's Table 1 (see the module docstring).

    Parameters
    ----------
    num_classes : int
    in_channels : int
    width : float
        Multiplies every number of filters.
    dropout : float
        Before the classifier (0.4).
    input_size : int or (int, int)
        Recorded as ``input_shape``; global average pooling makes the network
        work for any input of at least 32x32.
    dtype, rng, init_weights
        See :class:`~cnnedu.models.LeNet5`.

    Examples
    --------
    >>> sum(p.size for p in GoogLeNet(init_weights=False).parameters())
    6998552
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, *, width: float = 1.0,
                 dropout: float = 0.4, input_size=224, dtype=np.float32, rng=None, init_weights: bool = True):
        fn = type(self).__name__
        num_classes = check_int(fn, "num_classes", num_classes, 1)
        in_channels = check_int(fn, "in_channels", in_channels, 1)
        p = check_real(fn, "dropout", dropout, 0.0, 1.0)
        rng, layer_rng = builder_rngs(fn, rng, init_weights)
        kw = dict(dtype=dtype, rng=layer_rng)

        def c(n):
            return scaled(fn, n, width)

        layers = OrderedDict([
            ("conv1", Conv2d(in_channels, c(64), 7, 2, padding=3, **kw)), ("relu1", ReLU()),
            ("maxpool1", MaxPool2d(3, 2, padding=1)),
            ("conv2", Conv2d(c(64), c(64), 1, **kw)), ("relu2", ReLU()),
            ("conv3", Conv2d(c(64), c(192), 3, padding=1, **kw)), ("relu3", ReLU()),
            ("maxpool2", MaxPool2d(3, 2, padding=1)),
        ])
        channels = c(192)
        for name, cfg in INCEPTION_CONFIGS.items():
            if name in _POOL_BEFORE:
                layers[_POOL_BEFORE[name]] = MaxPool2d(3, 2, padding=1)
            block = Inception(channels, *(c(n) for n in cfg), **kw)
            layers[name] = block
            channels = block.out_channels
        layers.update(avgpool=AdaptiveAvgPool2d(1), flatten=Flatten(), dropout=Dropout(p, rng=child_rng(rng)),
                      fc=Linear(channels, num_classes, **kw))
        super().__init__(layers)
        self.num_classes = num_classes
        self.input_shape = (in_channels, *pair(fn, "input_size", input_size))


def googlenet(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> GoogLeNet:
    """Build :class:`GoogLeNet`."""
    return GoogLeNet(num_classes, in_channels, **kwargs)
