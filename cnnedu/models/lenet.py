r"""LeNet-5 (LeCun et al., 1998), as the lecture describes it.

=======  ===========================================  ==================
layer    what                                         output (32x32 in)
=======  ===========================================  ==================
conv1    6 filters 5x5, stride 1, no zero padding     6 x 28 x 28
pool1    2x2 max pooling, stride 2                    6 x 14 x 14
conv2    16 filters 5x5, stride 1, no zero padding    16 x 10 x 10
pool2    2x2 max pooling, stride 2                    16 x 5 x 5 (400 values)
fc1-3    MLP: 120, 84, 10 neurons                     10
=======  ===========================================  ==================

61,706 parameters.  The 1998 network is a little different, and smaller
(about 60,000 parameters): its C3 layer connects each of the 16 maps to only
some of the 6 maps before it (1,516 weights instead of 2,416), its subsampling
layers have a learnable scale and bias, it squashes with a scaled tanh and its
output layer is made of radial basis functions.  This is the version every
course (and PyTorch's tutorial) builds today.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .._checks import check_choice, check_int
from ..nn import AvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, Tanh
from ._build import builder_rngs, pair, spatial_size

__all__ = ["LeNet5", "lenet5"]

_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh}
_POOLS = {"max": MaxPool2d, "avg": AvgPool2d}


class LeNet5(Sequential):
    r"""LeNet-5: two convolution + pooling stages and a three-layer MLP.

    Parameters
    ----------
    num_classes : int
        Output neurons (10 digits).
    in_channels : int
        1 for grey-level digits, 3 for colour images.
    activation : {"relu", "tanh"}
        After every layer but the last.  ReLU by default (it trains much faster);
        ``"tanh"`` for the 1998 flavour.
    pooling : {"max", "avg"}
        2x2, stride 2.  Max pooling as the lecture describes; ``"avg"`` is closer
        to the original subsampling layers.
    input_size : int or (int, int)
        The image size the network is built for (32 as in the lecture; 28 for raw
        MNIST digits).  It fixes the inputs of fc1, ``16 * 5 * 5 = 400`` for 32x32,
        computed with :func:`cnnedu.sizes.conv_output_size` and
        :func:`cnnedu.sizes.pool_output_size`.
    dtype : np.float32 or np.float64
    rng : numpy.random.Generator, int or None
        For the initial weights (He normal, see :mod:`cnnedu.models`).
    init_weights : bool
        ``False`` leaves the weights at zero (a fast skeleton for
        :func:`~cnnedu.models.summary` or for loading weights).

    Attributes
    ----------
    input_shape : tuple
        ``(in_channels, H, W)`` of one example.

    Layers are named ``conv1, relu1, pool1, conv2, relu2, pool2, flatten, fc1,
    relu3, fc2, relu4, fc3`` (``tanh1, ...`` with ``activation="tanh"``).

    Examples
    --------
    >>> import numpy as np
    >>> net = LeNet5(rng=0)
    >>> net(np.zeros((2, 1, 32, 32))).shape
    (2, 10)
    >>> sum(p.size for p in net.parameters())
    61706
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, *, activation: str = "relu",
                 pooling: str = "max", input_size=32, dtype=np.float32, rng=None, init_weights: bool = True):
        fn = type(self).__name__
        num_classes = check_int(fn, "num_classes", num_classes, 1)
        in_channels = check_int(fn, "in_channels", in_channels, 1)
        act = check_choice(fn, "activation", activation, _ACTIVATIONS)
        Act, Pool = _ACTIVATIONS[act], _POOLS[check_choice(fn, "pooling", pooling, _POOLS)]
        h, w = spatial_size(fn, input_size, [("conv", 5, 1, 0), ("pool", 2, 2, 0)] * 2)
        rng, layer_rng = builder_rngs(fn, rng, init_weights)
        kw = dict(dtype=dtype, rng=layer_rng)
        super().__init__(OrderedDict([
            ("conv1", Conv2d(in_channels, 6, 5, **kw)), (f"{act}1", Act()), ("pool1", Pool(2)),
            ("conv2", Conv2d(6, 16, 5, **kw)), (f"{act}2", Act()), ("pool2", Pool(2)),
            ("flatten", Flatten()),
            ("fc1", Linear(16 * h * w, 120, **kw)), (f"{act}3", Act()),
            ("fc2", Linear(120, 84, **kw)), (f"{act}4", Act()),
            ("fc3", Linear(84, num_classes, **kw)),
        ]))
        self.num_classes = num_classes
        self.input_shape = (in_channels, *pair(fn, "input_size", input_size))


def lenet5(num_classes: int = 10, in_channels: int = 1, **kwargs) -> LeNet5:
    """Build :class:`LeNet5` (keyword arguments as its constructor)."""
    return LeNet5(num_classes, in_channels, **kwargs)
