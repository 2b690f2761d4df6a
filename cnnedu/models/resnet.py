r"""ResNet (He et al., 2015) in torchvision's layout: residual blocks, BatchNorm after every convolution.

==========  ===================================================  ===============
layer       what                                                 output (224 in)
==========  ===================================================  ===============
conv1       64 filters 7x7, stride 2, padding 3; BN; ReLU        64 x 112 x 112
maxpool     3x3, stride 2, padding 1                             64 x 56 x 56
layer1      blocks of 64 channels                                64 x 56 x 56
layer2      blocks of 128 channels, the first with stride 2      128 x 28 x 28
layer3      blocks of 256 channels, the first with stride 2      256 x 14 x 14
layer4      blocks of 512 channels, the first with stride 2      512 x 7 x 7
avgpool     global average pooling                               512 x 1 x 1
fc          ``num_classes`` neurons                              1000
==========  ===================================================  ===============

ResNet-18 and -34 use :class:`cnnedu.nn.BasicBlock` (two 3x3 convolutions;
2, 2, 2, 2 and 3, 4, 6, 3 blocks per stage), ResNet-50 uses
:class:`~cnnedu.models.Bottleneck` (1x1, 3x3, 1x1; 3, 4, 6, 3 blocks, four times
as many output channels).  A block whose shape changes has a projection
shortcut (1x1 convolution and BatchNorm).  "The last layer before the
addition must have the same number of filters as the input to the module".

=========  ============  =============================
network    parameters    (1000 classes, torchvision's)
=========  ============  =============================
ResNet-18  11,689,512
ResNet-34  21,797,672
ResNet-50  25,557,032
=========  ============  =============================

Parameter and buffer names are torchvision's (``conv1.weight``,
``layer1.0.bn1.running_mean``, ``layer2.0.downsample.0.weight``, ``fc.bias``),
so its state dicts load with :meth:`~cnnedu.nn.Module.load_state_dict`.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .._checks import check_choice, check_int
from ..nn import BasicBlock, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from ._build import builder_rngs, pair, scaled
from ._layers import AdaptiveAvgPool2d, Bottleneck

__all__ = ["ResNet", "resnet18", "resnet34", "resnet50"]

_BLOCKS = {"basic": 1, "bottleneck": 4}      # block -> expansion (output channels / stage width)


class ResNet(Sequential):
    r"""A ResNet of ``layers[i]`` blocks in each of the four stages (see the module docstring).

    Parameters
    ----------
    block : {"basic", "bottleneck"}
    layers : sequence of 4 ints
        Blocks per stage: ``(2, 2, 2, 2)`` is ResNet-18.
    num_classes, in_channels : int
    width : float
        Multiplies the stage widths 64, 128, 256, 512 (``width=0.125`` gives 8 to 64).
    input_size : int or (int, int)
        Recorded as ``input_shape`` (224); global average pooling makes the
        network work for any input of at least 32x32.
    dtype, rng, init_weights
        See :class:`~cnnedu.models.LeNet5`.

    Children: ``conv1, bn1, relu, maxpool, layer1, layer2, layer3, layer4,
    avgpool, flatten, fc`` (each ``layerN`` a Sequential of blocks).

    Examples
    --------
    >>> import numpy as np
    >>> net = ResNet("basic", [1, 1, 1, 1], num_classes=10, width=0.125, rng=0)
    >>> net.eval()(np.zeros((1, 3, 32, 32))).shape
    (1, 10)
    """

    def __init__(self, block: str = "basic", layers=(2, 2, 2, 2), num_classes: int = 1000, in_channels: int = 3,
                 *, width: float = 1.0, input_size=224, dtype=np.float32, rng=None, init_weights: bool = True):
        fn = type(self).__name__
        block = check_choice(fn, "block", block, _BLOCKS)
        layers = tuple(layers)
        if len(layers) != 4:
            raise ValueError(f"{fn}: layers must give the number of blocks of each of the 4 stages, got {layers!r}")
        layers = tuple(check_int(fn, "layers", n, 1) for n in layers)
        num_classes = check_int(fn, "num_classes", num_classes, 1)
        in_channels = check_int(fn, "in_channels", in_channels, 1)
        rng, layer_rng = builder_rngs(fn, rng, init_weights)
        kw = dict(dtype=dtype, rng=layer_rng)
        expansion = _BLOCKS[block]
        stem = scaled(fn, 64, width)
        children = OrderedDict([
            ("conv1", Conv2d(in_channels, stem, 7, 2, padding=3, bias=False, **kw)),
            ("bn1", BatchNorm2d(stem, dtype=dtype)), ("relu", ReLU()),
            ("maxpool", MaxPool2d(3, 2, padding=1)),
        ])
        c = stem
        for stage, (n_blocks, planes) in enumerate(zip(layers, (64, 128, 256, 512))):
            planes = scaled(fn, planes, width)
            blocks = []
            for i in range(n_blocks):
                stride = 2 if stage > 0 and i == 0 else 1
                if block == "basic":
                    blocks.append(BasicBlock(c, planes, stride, **kw))
                else:
                    blocks.append(Bottleneck(c, planes, stride, expansion, **kw))
                c = planes * expansion
            children[f"layer{stage + 1}"] = Sequential(*blocks)
        children.update(avgpool=AdaptiveAvgPool2d(1), flatten=Flatten(), fc=Linear(c, num_classes, **kw))
        super().__init__(children)
        self.block, self.layers, self.num_classes = block, layers, num_classes
        self.input_shape = (in_channels, *pair(fn, "input_size", input_size))


def resnet18(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ResNet:
    """ResNet-18: basic blocks, (2, 2, 2, 2) per stage; 11,689,512 parameters for 1000 classes."""
    return ResNet("basic", (2, 2, 2, 2), num_classes, in_channels, **kwargs)


def resnet34(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ResNet:
    """ResNet-34: basic blocks, (3, 4, 6, 3) per stage; 21,797,672 parameters for 1000 classes."""
    return ResNet("basic", (3, 4, 6, 3), num_classes, in_channels, **kwargs)


def resnet50(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ResNet:
    """ResNet-50: bottleneck blocks, (3, 4, 6, 3) per stage; 25,557,032 parameters for 1000 classes."""
    return ResNet("bottleneck", (3, 4, 6, 3), num_classes, in_channels, **kwargs)
