r"""VGG (Simonyan and Zisserman, 2014): only 3x3 convolutions (stride 1, pad 1) and 2x2 max pooling.

The configurations of the paper's Table 1 (the lecture's table).  Each entry is
a 3x3 convolution with that many filters ("conv3-64"), ``(1, n)`` a 1x1
convolution ("conv1-256", configuration C only), ``"M"`` a 2x2 max pooling of
stride 2.  All are followed by FC-4096, FC-4096, FC-1000; ReLU after every
layer but the last, dropout 0.5 on the outputs of the first two FC layers.

=============  ======  =============  ==============================
configuration  name    weight layers  parameters (1000 classes)
=============  ======  =============  ==============================
A              VGG-11  11             132,863,336
A-LRN          VGG-11  11             132,863,336 (as A: see below)
B              VGG-13  13             133,047,848
C              -       16             133,638,952
D              VGG-16  16             138,357,544
E              VGG-19  19             143,667,240
=============  ======  =============  ==============================

Most of the parameters are in the first fully connected layer,
:math:`512 \cdot 7 \cdot 7 \cdot 4096 + 4096 = 102{,}764{,}544` of VGG-16's
138 million.  A-LRN is A with a local response normalisation after the first
layer; the paper found it does not help, and it is built here as A.

Stacking two 3x3 convolutions sees a 5x5 region, three see 7x7, with fewer
parameters and more nonlinearities than one large filter: that is VGG's whole
idea.

**Small inputs.**  ``input_size`` fixes the inputs of the first FC layer
(:math:`512 \cdot (S/32)^2`), so ``vgg16(num_classes=10, input_size=32,
hidden=512)`` is the usual CIFAR-10 variant (a 512-feature vector after five
poolings).  ``width`` multiplies the number of filters (``width=0.125`` gives
8, 16, 32, 64, 64 maps), for fast experiments on a laptop.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .._checks import check_bool, check_int, check_real
from ..nn import BatchNorm2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential
from ._build import builder_rngs, child_rng, pair, scaled, spatial_size

__all__ = ["VGG", "CONFIGS", "vgg", "vgg11", "vgg13", "vgg16_c", "vgg16", "vgg19"]

#: The paper's Table 1: filters of each 3x3 convolution, ``(1, n)`` for a 1x1 one, "M" for max pooling.
CONFIGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "C": [64, 64, "M", 128, 128, "M", 256, 256, (1, 256), "M", 512, 512, (1, 512), "M",
          512, 512, (1, 512), "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}
CONFIGS["A-LRN"] = CONFIGS["A"]


class VGG(Sequential):
    r"""A VGG network of one of the paper's configurations (see the module docstring).

    Parameters
    ----------
    config : {"A", "A-LRN", "B", "C", "D", "E"}
        Or a list in the format of :data:`CONFIGS`.
    num_classes : int
    in_channels : int
    batch_norm : bool
        BatchNorm after every convolution (torchvision's ``vgg16_bn``; not in the paper).
    hidden : int
        Neurons of the first two FC layers (4096).
    width : float
        Multiplies the number of filters of every convolution.
    dropout : float
        0.5.
    input_size : int or (int, int)
        224.  Fixes the inputs of the first FC layer.
    dtype, rng, init_weights
        See :class:`~cnnedu.models.LeNet5`.  Building VGG-16 draws 138 million
        random numbers: ``init_weights=False`` is much faster when only the
        shapes matter (:func:`~cnnedu.models.summary`).

    Children are ``features``, ``flatten``, ``classifier``, with torchvision's
    indices, so the state-dict keys are torchvision's (torchvision adds an
    ``avgpool`` without parameters between ``features`` and ``classifier``).

    Examples
    --------
    >>> import numpy as np
    >>> net = VGG("A", num_classes=10, input_size=32, hidden=64, width=0.125, rng=0)
    >>> net(np.zeros((1, 3, 32, 32))).shape
    (1, 10)
    """

    def __init__(self, config="D", num_classes: int = 1000, in_channels: int = 3, *, batch_norm: bool = False,
                 hidden: int = 4096, width: float = 1.0, dropout: float = 0.5, input_size=224,
                 dtype=np.float32, rng=None, init_weights: bool = True):
        fn = type(self).__name__
        if isinstance(config, str):
            if config.upper() not in CONFIGS:
                raise ValueError(f"{fn}: config must be one of {sorted(CONFIGS)} or a list, got {config!r}")
            name, layout = config.upper(), CONFIGS[config.upper()]
        elif isinstance(config, (list, tuple)):
            name, layout = "custom", list(config)
        else:
            raise TypeError(f"{fn}: config must be a string such as 'D' or a list, got {type(config).__name__}")
        num_classes = check_int(fn, "num_classes", num_classes, 1)
        in_channels = check_int(fn, "in_channels", in_channels, 1)
        batch_norm = check_bool(fn, "batch_norm", batch_norm)
        hidden = check_int(fn, "hidden", hidden, 1)
        p = check_real(fn, "dropout", dropout, 0.0, 1.0)
        steps = [("pool", 2, 2, 0) if v == "M" else ("conv", 3 if isinstance(v, int) else v[0], 1,
                                                     1 if isinstance(v, int) else (v[0] - 1) // 2)
                 for v in layout]
        h, w = spatial_size(fn, input_size, steps)
        rng, layer_rng = builder_rngs(fn, rng, init_weights)
        kw = dict(dtype=dtype, rng=layer_rng)
        features, c = [], in_channels
        for v, (kind, k, _, pad) in zip(layout, steps):
            if kind == "pool":
                features.append(MaxPool2d(2, 2))
                continue
            out = scaled(fn, v if isinstance(v, int) else v[1], width)
            features.append(Conv2d(c, out, k, padding=pad, **kw))
            if batch_norm:
                features.append(BatchNorm2d(out, dtype=dtype))
            features.append(ReLU())
            c = out
        super().__init__(OrderedDict(
            features=Sequential(*features), flatten=Flatten(),
            classifier=Sequential(
                Linear(c * h * w, hidden, **kw), ReLU(), Dropout(p, rng=child_rng(rng)),
                Linear(hidden, hidden, **kw), ReLU(), Dropout(p, rng=child_rng(rng)),
                Linear(hidden, num_classes, **kw))))
        self.config = name
        self.num_classes = num_classes
        self.input_shape = (in_channels, *pair(fn, "input_size", input_size))


def vgg(config="D", num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    """Build :class:`VGG` of a configuration of the paper's Table 1."""
    return VGG(config, num_classes, in_channels, **kwargs)


def vgg11(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    """VGG-11, configuration A (132,863,336 parameters)."""
    return VGG("A", num_classes, in_channels, **kwargs)


def vgg13(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    """VGG-13, configuration B (133,047,848 parameters)."""
    return VGG("B", num_classes, in_channels, **kwargs)


def vgg16_c(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    """The 16-layer configuration C, with three 1x1 convolutions (133,638,952 parameters)."""
    return VGG("C", num_classes, in_channels, **kwargs)


def vgg16(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    """VGG-16, configuration D (138,357,544 parameters)."""
    return VGG("D", num_classes, in_channels, **kwargs)


def vgg19(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    """VGG-19, configuration E (143,667,240 parameters)."""
    return VGG("E", num_classes, in_channels, **kwargs)
