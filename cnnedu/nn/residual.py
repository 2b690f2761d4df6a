r"""ResNet's building block: learn a residual :math:`F(x)` and add the input back.

.. math:: y = \operatorname{ReLU}\big(F(x) + \text{shortcut}(x)\big), \qquad
          F = \text{BN} \circ \text{conv}_{3\times3} \circ \operatorname{ReLU} \circ \text{BN} \circ \text{conv}_{3\times3}

"The last layer before the addition must have the same number of filters as the
input to the module": when the block keeps the shape, the shortcut is the
identity; when it changes the number of channels or downsamples (stride 2), the
shortcut is a 1x1 convolution with the same stride followed by BatchNorm (a
"projection", ResNet's option B), so the two maps can be added.

Backward: the addition copies the derivative to both branches, and the two
input-derivatives add up,

.. math:: \frac{\partial L}{\partial x} = J_F^T\,\delta + J_{\text{shortcut}}^T\,\delta,
          \qquad \delta = \frac{\partial L}{\partial (F(x) + \text{shortcut}(x))},

which is why a deep ResNet still trains: through the identity shortcuts the
derivative reaches early layers undiminished.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_int
from . import init
from .activation import ReLU
from .conv import Conv2d
from .module import Module, Sequential
from .normalization import BatchNorm2d

__all__ = ["BasicBlock", "ResidualBlock"]


class BasicBlock(Module):
    r"""ResNet basic block (two 3x3 convolutions), as torchvision's ``BasicBlock``.

    Parameters
    ----------
    in_channels, out_channels : int
    stride : int
        Of the first convolution (and of the projection): 2 halves the map size.
    dtype : np.float32 or np.float64
    rng : numpy.random.Generator, int or None

    Attributes
    ----------
    conv1 : Conv2d(in_channels, out_channels, 3, stride, padding=1, bias=False)
    bn1 : BatchNorm2d(out_channels)
    conv2 : Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
    bn2 : BatchNorm2d(out_channels)
    downsample : Sequential(Conv2d(in_channels, out_channels, 1, stride, bias=False), BatchNorm2d) or None
        The projection shortcut, present when ``stride != 1`` or ``in_channels != out_channels``.

    The parameter and buffer names are torchvision's, so its ``BasicBlock``
    weights load with :meth:`~cnnedu.nn.Module.load_state_dict`.

    Shapes
    ------
    ``(N, C_in, H, W) -> (N, C_out, ceil(H/S), ceil(W/S))``.

    Examples
    --------
    >>> import numpy as np
    >>> block = BasicBlock(16, 32, stride=2, rng=0)
    >>> block(np.zeros((2, 16, 8, 8))).shape
    (2, 32, 4, 4)
    >>> block.downsample is not None, BasicBlock(16, 16, rng=0).downsample is None
    (True, True)
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, *, dtype=np.float32, rng=None):
        super().__init__()
        fn = type(self).__name__
        self.in_channels = check_int(fn, "in_channels", in_channels, 1)
        self.out_channels = check_int(fn, "out_channels", out_channels, 1)
        self.stride = check_int(fn, "stride", stride, 1)
        rng = init.resolve_rng(rng, fn)
        c_in, c_out = self.in_channels, self.out_channels
        self.conv1 = Conv2d(c_in, c_out, 3, self.stride, padding=1, bias=False, dtype=dtype, rng=rng)
        self.bn1 = BatchNorm2d(c_out, dtype=dtype)
        self.relu1 = ReLU()
        self.conv2 = Conv2d(c_out, c_out, 3, 1, padding=1, bias=False, dtype=dtype, rng=rng)
        self.bn2 = BatchNorm2d(c_out, dtype=dtype)
        if self.stride != 1 or c_in != c_out:
            self.downsample = Sequential(Conv2d(c_in, c_out, 1, self.stride, bias=False, dtype=dtype, rng=rng),
                                         BatchNorm2d(c_out, dtype=dtype))
        else:
            self.downsample = None
        self.relu2 = ReLU()

    def describe(self) -> str:
        s = f"{type(self).__name__}({self.in_channels} -> {self.out_channels}"
        return s + (f", stride {self.stride})" if self.stride != 1 else ")")

    def forward(self, x):
        x = self.conv1._as_input(x, dtype=self.conv1.dtype)
        self._check_ndim(x, 4, "(N, C, H, W)")
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f"{self.describe()} expects {self.in_channels} input channels, got {x.shape[1]} "
                f"(input shape {x.shape}); check out_channels of the layer before this block"
            )
        residual = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        shortcut = x if self.downsample is None else self.downsample(x)
        self._cache = True
        return self.relu2(residual + shortcut)

    def backward(self, dy):
        self._saved()
        delta = self.relu2.backward(dy)
        dx = self.conv1.backward(self.bn1.backward(self.relu1.backward(
            self.conv2.backward(self.bn2.backward(delta)))))
        return dx + (delta if self.downsample is None else self.downsample.backward(delta))


#: The lecture's name for the same block.
ResidualBlock = BasicBlock
