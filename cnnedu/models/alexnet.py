r"""AlexNet (Krizhevsky, Sutskever and Hinton, 2012) and ZFNet (Zeiler and Fergus, 2013).

AlexNet, for 227x227x3 inputs (the lecture's list):

=======  ============================================  ===============
layer    what                                          output
=======  ============================================  ===============
conv1    96 filters 11x11, stride 4, no padding        96 x 55 x 55
pool1    3x3 max pooling, stride 2 (overlapping)       96 x 27 x 27
conv2    256 filters 5x5, stride 1, padding 2          256 x 27 x 27
pool2    3x3 max pooling, stride 2                     256 x 13 x 13
conv3    384 filters 3x3, padding 1                    384 x 13 x 13
conv4    384 filters 3x3, padding 1                    384 x 13 x 13
conv5    256 filters 3x3, padding 1                    256 x 13 x 13
pool3    3x3 max pooling, stride 2                     256 x 6 x 6 (9216 values)
fc6-8    4096, 4096, 1000 neurons; dropout 0.5         1000
=======  ============================================  ===============

ReLU follows every layer but the last.  The lecture's slide says conv2 has
"stride 2"; the paper's conv2 has stride 1 and padding 2, which is what gives
the 27x27 (then 13x13) maps and the 9216 inputs of fc6, so that is what is
built here.  The "normalization" (local response normalisation) layers after
conv1 and conv2 are left out: the lecture calls them unnecessary, and later
work (VGG) found they do not help.

**Two towers.**  The paper split the network over two GPUs of 3 GB: each GPU
held half the filters of every layer, and conv2, conv4 and conv5 saw only the
maps of their own GPU.  That is a grouped convolution with ``groups=2``
(``two_towers=True``); conv1, conv3 and the fully connected layers see
everything.  Parameters for 1000 classes:

==============  ===========  ============================================
variant         parameters   note
==============  ===========  ============================================
two towers      60,965,224   the paper's network ("60 million parameters")
one tower       62,378,344   conv2, conv4, conv5 see all maps
==============  ===========  ============================================

ZFNet is AlexNet with a smaller, denser first layer (7x7 filters, stride 2,
which Zeiler and Fergus chose after visualising AlexNet's aliased first-layer
features), conv2 with stride 2, and all layers on one GPU; their larger
variant (``wide=True``) has 512, 1024 and 512 filters in conv3-5.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .._checks import check_bool, check_int, check_real
from ..nn import Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential
from ._build import builder_rngs, child_rng, pair, scaled, spatial_size

__all__ = ["AlexNet", "ZFNet", "alexnet", "zfnet"]


def _classifier(fn, in_features, hidden, num_classes, dropout, kw, rng) -> Sequential:
    """fc6, fc7, fc8 with ReLU and dropout on the outputs of fc6 and fc7 (the paper's, and Caffe's, order)."""
    hidden = check_int(fn, "hidden", hidden, 1)
    p = check_real(fn, "dropout", dropout, 0.0, 1.0)
    return Sequential(
        Linear(in_features, hidden, **kw), ReLU(), Dropout(p, rng=child_rng(rng)),
        Linear(hidden, hidden, **kw), ReLU(), Dropout(p, rng=child_rng(rng)),
        Linear(hidden, num_classes, **kw),
    )


class _ConvNet(Sequential):
    """features -> flatten -> classifier, sized for ``input_size``."""

    def _build(self, fn, convs, pools, num_classes, in_channels, input_size, hidden, dropout, dtype, rng,
               init_weights):
        """``convs``: (out, kernel, stride, padding, groups) per conv; ``pools``: (kernel, stride, padding) after conv i."""
        num_classes = check_int(fn, "num_classes", num_classes, 1)
        in_channels = check_int(fn, "in_channels", in_channels, 1)
        steps = []
        for i, (_, k, s, p, _) in enumerate(convs):
            steps.append(("conv", k, s, p))
            if i in pools:
                steps.append(("pool", *pools[i]))
        h, w = spatial_size(fn, input_size, steps)
        rng, layer_rng = builder_rngs(fn, rng, init_weights)
        kw = dict(dtype=dtype, rng=layer_rng)
        features, c = [], in_channels
        for i, (out, k, s, p, g) in enumerate(convs):
            features += [Conv2d(c, out, k, s, padding=p, groups=g, **kw), ReLU()]
            if i in pools:
                features.append(MaxPool2d(*pools[i]))
            c = out
        super().__init__(OrderedDict(
            features=Sequential(*features), flatten=Flatten(),
            classifier=_classifier(fn, c * h * w, hidden, num_classes, dropout, kw, rng)))
        self.num_classes = num_classes
        self.input_shape = (in_channels, *pair(fn, "input_size", input_size))


class AlexNet(_ConvNet):
    r"""AlexNet: five convolutional and three fully connected layers (see the module docstring).

    Parameters
    ----------
    num_classes : int
    in_channels : int
    two_towers : bool
        The paper's two-GPU design: conv2, conv4 and conv5 with ``groups=2``
        (60,965,224 parameters for 1000 classes instead of 62,378,344).
    hidden : int
        Neurons of fc6 and fc7 (4096).
    width : float
        Multiplies every convolution's number of filters (1.0; e.g. 0.125 for a
        fast thin copy).
    dropout : float
        Dropout probability on the outputs of fc6 and fc7 (0.5).
    input_size : int or (int, int)
        227.  Fixes the inputs of fc6 (256 x 6 x 6 = 9216).
    dtype, rng, init_weights
        See :class:`~cnnedu.models.LeNet5`.

    Children are ``features`` (indices as torchvision's AlexNet: convolutions
    at 0, 3, 6, 8, 10), ``flatten`` and ``classifier`` (Linear layers at 0, 3, 6).

    Examples
    --------
    >>> net = AlexNet(two_towers=True, init_weights=False)
    >>> sum(p.size for p in net.parameters())
    60965224
    >>> net.features[3]
    Conv2d(96, 256, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2), groups=2)
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, *, two_towers: bool = False,
                 hidden: int = 4096, width: float = 1.0, dropout: float = 0.5, input_size=227,
                 dtype=np.float32, rng=None, init_weights: bool = True):
        fn = type(self).__name__
        g = 2 if check_bool(fn, "two_towers", two_towers) else 1

        def c(n):
            return scaled(fn, n, width, multiple=g)

        convs = [(c(96), 11, 4, 0, 1), (c(256), 5, 1, 2, g), (c(384), 3, 1, 1, 1), (c(384), 3, 1, 1, g),
                 (c(256), 3, 1, 1, g)]
        pools = {0: (3, 2, 0), 1: (3, 2, 0), 4: (3, 2, 0)}
        self._build(fn, convs, pools, num_classes, in_channels, input_size, hidden, dropout, dtype, rng,
                    init_weights)
        self.two_towers = g == 2


class ZFNet(_ConvNet):
    r"""ZFNet (Zeiler and Fergus, 2013): AlexNet with a 7x7, stride-2 first layer, for 224x224 inputs.

    ======  ================================================  =============
    layer   what                                              output
    ======  ================================================  =============
    conv1   96 filters 7x7, stride 2, padding 1               96 x 110 x 110
    pool1   3x3 max pooling, stride 2, padding 1              96 x 55 x 55
    conv2   256 filters 5x5, stride 2                         256 x 26 x 26
    pool2   3x3 max pooling, stride 2, padding 1              256 x 13 x 13
    conv3   384 filters 3x3, padding 1 (512 if ``wide``)      384 x 13 x 13
    conv4   384 filters 3x3, padding 1 (1024 if ``wide``)     384 x 13 x 13
    conv5   256 filters 3x3, padding 1 (512 if ``wide``)      256 x 13 x 13
    pool3   3x3 max pooling, stride 2                         256 x 6 x 6
    fc6-8   4096, 4096, ``num_classes``; dropout 0.5
    ======  ================================================  =============

    The paddings reproduce the map sizes of the paper's Figure 3 (110, 55, 26,
    13, 6), which came from Caffe's rounding up of pooling sizes.  No layer is
    split in two: ZFNet ran on one GPU.  The contrast normalisation after the
    first two pools is left out, as in :class:`AlexNet`.

    Parameters
    ----------
    wide : bool
        The lecture's variant, conv3-5 with 512, 1024 and 512 filters.
    num_classes, in_channels, hidden, width, dropout, input_size, dtype, rng, init_weights
        As :class:`AlexNet` (``input_size`` 224).

    Examples
    --------
    >>> sum(p.size for p in ZFNet(init_weights=False).parameters())
    62357608
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, *, wide: bool = False,
                 hidden: int = 4096, width: float = 1.0, dropout: float = 0.5, input_size=224,
                 dtype=np.float32, rng=None, init_weights: bool = True):
        fn = type(self).__name__
        c345 = (512, 1024, 512) if check_bool(fn, "wide", wide) else (384, 384, 256)

        def c(n):
            return scaled(fn, n, width)

        convs = [(c(96), 7, 2, 1, 1), (c(256), 5, 2, 0, 1), (c(c345[0]), 3, 1, 1, 1),
                 (c(c345[1]), 3, 1, 1, 1), (c(c345[2]), 3, 1, 1, 1)]
        pools = {0: (3, 2, 1), 1: (3, 2, 1), 4: (3, 2, 0)}
        self._build(fn, convs, pools, num_classes, in_channels, input_size, hidden, dropout, dtype, rng,
                    init_weights)
        self.wide = wide


def alexnet(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> AlexNet:
    """Build :class:`AlexNet` (``two_towers=True`` for the paper's grouped layers)."""
    return AlexNet(num_classes, in_channels, **kwargs)


def zfnet(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ZFNet:
    """Build :class:`ZFNet` (``wide=True`` for the 512-1024-512 variant)."""
    return ZFNet(num_classes, in_channels, **kwargs)
