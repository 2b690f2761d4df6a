r"""DenseNet (Huang et al., 2017) in torchvision's layout: "each layer looks at the union of maps from all previous layers".

DenseNet-121 (growth rate 32, 6, 12, 24, 16 layers per block) for 224x224x3:

===============  ===============================================  ===============
layer            what                                             output
===============  ===============================================  ===============
conv0            64 filters 7x7, stride 2, padding 3; BN; ReLU    64 x 112 x 112
pool0            3x3 max pooling, stride 2, padding 1             64 x 56 x 56
denseblock1      6 layers, +32 maps each                          256 x 56 x 56
transition1      BN-ReLU-1x1 conv (half the maps), 2x2 avg pool   128 x 28 x 28
denseblock2      12 layers                                        512 x 28 x 28
transition2                                                       256 x 14 x 14
denseblock3      24 layers                                        1024 x 14 x 14
transition3                                                       512 x 7 x 7
denseblock4      16 layers                                        1024 x 7 x 7
norm5, relu      BN, ReLU
avgpool, fc      global average pooling, ``num_classes`` neurons  1000
===============  ===============================================  ===============

7,978,856 parameters for 1000 classes (torchvision's ``densenet121``), whose
state-dict keys these are (``features.denseblock1.denselayer1.conv1.weight``,
``classifier.weight``, ...).  "All convolutional": apart from the classifier,
there is no fully connected layer.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .._checks import check_int
from ..nn import BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from ._build import builder_rngs, pair
from ._layers import AdaptiveAvgPool2d, DenseBlock, Transition

__all__ = ["DenseNet", "densenet121"]


class DenseNet(Sequential):
    r"""A DenseNet-BC: dense blocks joined by transitions that halve the maps (see the module docstring).

    Parameters
    ----------
    growth_rate : int
        :math:`k`, the maps each layer adds (32).
    block_config : sequence of int
        Layers per dense block, ``(6, 12, 24, 16)`` for DenseNet-121.
    num_init_features : int
        Filters of the first convolution (64).
    bn_size : int
        Each layer's 1x1 bottleneck has ``bn_size * growth_rate`` maps (4).
    num_classes, in_channels : int
    input_size : int or (int, int)
        Recorded as ``input_shape`` (224).
    dtype, rng, init_weights
        See :class:`~cnnedu.models.LeNet5`.

    Children: ``features`` (``conv0, norm0, relu0, pool0, denseblock1,
    transition1, ..., denseblock4, norm5``), ``relu``, ``avgpool``, ``flatten``,
    ``classifier``.

    Examples
    --------
    >>> import numpy as np
    >>> net = DenseNet(growth_rate=4, block_config=(2, 2), num_init_features=8, num_classes=10, rng=0)
    >>> net(np.zeros((2, 3, 32, 32))).shape
    (2, 10)
    """

    def __init__(self, growth_rate: int = 32, block_config=(6, 12, 24, 16), num_init_features: int = 64,
                 bn_size: int = 4, num_classes: int = 1000, in_channels: int = 3, *, input_size=224,
                 dtype=np.float32, rng=None, init_weights: bool = True):
        fn = type(self).__name__
        growth_rate = check_int(fn, "growth_rate", growth_rate, 1)
        block_config = tuple(check_int(fn, "block_config", n, 1) for n in block_config)
        if not block_config:
            raise ValueError(f"{fn}: block_config must list at least one dense block")
        c = check_int(fn, "num_init_features", num_init_features, 1)
        num_classes = check_int(fn, "num_classes", num_classes, 1)
        in_channels = check_int(fn, "in_channels", in_channels, 1)
        rng, layer_rng = builder_rngs(fn, rng, init_weights)
        kw = dict(dtype=dtype, rng=layer_rng)
        features = OrderedDict([
            ("conv0", Conv2d(in_channels, c, 7, 2, padding=3, bias=False, **kw)),
            ("norm0", BatchNorm2d(c, dtype=dtype)), ("relu0", ReLU()),
            ("pool0", MaxPool2d(3, 2, padding=1)),
        ])
        for i, n_layers in enumerate(block_config):
            block = DenseBlock(n_layers, c, growth_rate, bn_size, **kw)
            features[f"denseblock{i + 1}"] = block
            c = block.out_channels
            if i != len(block_config) - 1:
                features[f"transition{i + 1}"] = Transition(c, c // 2, **kw)
                c //= 2
        features["norm5"] = BatchNorm2d(c, dtype=dtype)
        super().__init__(OrderedDict(features=Sequential(features), relu=ReLU(), avgpool=AdaptiveAvgPool2d(1),
                                     flatten=Flatten(), classifier=Linear(c, num_classes, **kw)))
        self.growth_rate, self.block_config, self.num_classes = growth_rate, block_config, num_classes
        self.input_shape = (in_channels, *pair(fn, "input_size", input_size))


def densenet121(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> DenseNet:
    """DenseNet-121: growth rate 32, blocks of 6, 12, 24, 16 layers; 7,978,856 parameters."""
    return DenseNet(32, (6, 12, 24, 16), 64, 4, num_classes, in_channels, **kwargs)
