r"""The flat part of a CNN: :class:`Flatten` (the lecture's "unrolling" of the last maps) and :class:`Linear`.

After the last convolution or pooling layer the maps are unrolled into one
vector per example and fed to an ordinary MLP.  Backpropagation through
``Flatten`` is just the reverse reshape: the derivative of each element of the
flat vector is the derivative of the map element it came from.
"""

from __future__ import annotations

import math

import numpy as np

from .._checks import check_bool, check_int
from . import init
from ._utils import check_dtype
from .module import Module, Parameter

__all__ = ["Linear", "Flatten"]


class Linear(Module):
    r"""Fully connected (affine) layer, as ``torch.nn.Linear``: :math:`y = x W^T + b`.

    Backward, with :math:`\delta = \partial L/\partial y` of shape (N, F_out):

    .. math::

        \frac{\partial L}{\partial W} \mathrel{+}= \delta^T x, \qquad
        \frac{\partial L}{\partial b} \mathrel{+}= \sum_n \delta_n, \qquad
        \frac{\partial L}{\partial x} = \delta W

    Parameters
    ----------
    in_features, out_features : int
    bias : bool
    dtype : np.float32 or np.float64
    rng : numpy.random.Generator, int or None
        Default initialisation: He normal, :math:`W \sim \mathcal N(0, 2/F_{in})`;
        zero bias (see :mod:`cnnedu.nn.init`).

    Attributes
    ----------
    weight : Parameter, shape (out_features, in_features)
        PyTorch's layout: one row per output neuron.
    bias : Parameter, shape (out_features,), or None

    Shapes
    ------
    ``(N, F_in) -> (N, F_out)``.  Unlike PyTorch, the input must be 2-D: put a
    :class:`Flatten` before it after a convolutional layer.  Parameter count:
    :func:`cnnedu.sizes.linear_parameter_count`.

    Examples
    --------
    >>> import numpy as np
    >>> fc = Linear(400, 120, rng=0)                # LeNet-5's first fully connected layer
    >>> fc
    Linear(in_features=400, out_features=120, bias=True)
    >>> fc(np.zeros((8, 400))).shape
    (8, 120)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, dtype=np.float32, rng=None):
        super().__init__()
        fn = type(self).__name__
        self.in_features = check_int(fn, "in_features", in_features, 1)
        self.out_features = check_int(fn, "out_features", out_features, 1)
        self.dtype = check_dtype(fn, dtype)
        bias = check_bool(fn, "bias", bias)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=self.dtype), "weight")
        self.bias = Parameter(np.zeros(self.out_features, dtype=self.dtype), "bias") if bias else None
        self.reset_parameters(rng)

    def reset_parameters(self, rng=None) -> None:
        """He-normal weights (fan_in = in_features), zero bias."""
        init.kaiming_normal_(self.weight, rng=init.resolve_rng(rng, type(self).__name__))
        if self.bias is not None:
            init.zeros_(self.bias)

    def describe(self) -> str:
        return f"Linear({self.in_features} -> {self.out_features})"

    def extra_repr(self) -> str:
        s = f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        if self.dtype != np.float32:
            s += f", dtype={self.dtype}"
        return s

    def forward(self, x):
        x = self._as_input(x, dtype=self.dtype)
        if x.ndim != 2:
            if x.ndim > 2:
                flat = math.prod(x.shape[1:])
                fits = ("which matches in_features" if flat == self.in_features
                        else f"but in_features is {self.in_features}: check the output size of the layers before")
                hint = (f": put a Flatten() before it (it would give {' * '.join(map(str, x.shape[1:]))} "
                        f"= {flat} features, {fits})")
            elif x.ndim == 1:
                hint = ": add a batch dimension, e.g. x[None] for a single example"
            else:
                hint = ""
            raise ValueError(
                f"{self.describe()} expects a 2-D input (N, in_features), got shape {x.shape}{hint}"
            )
        if x.shape[1] != self.in_features:
            raise ValueError(
                f"{self.describe()} got {x.shape[1]} features (input shape {x.shape}), expected "
                f"{self.in_features}: check the output size of the layer before Flatten "
                f"(cnnedu.sizes.conv_output_size / pool_output_size give it)"
            )
        y = x @ self.weight.data.T
        if self.bias is not None:
            y += self.bias.data
        self._cache = x
        return y

    def backward(self, dy):
        x = self._saved()
        dy = self._check_dy(dy, (x.shape[0], self.out_features), x.dtype)
        self.weight.grad += dy.T @ x
        if self.bias is not None:
            self.bias.grad += dy.sum(axis=0)
        return dy @ self.weight.data


class Flatten(Module):
    """Unroll dimensions ``start_dim .. end_dim`` into one, as ``torch.nn.Flatten``.

    ``(N, C, H, W) -> (N, C*H*W)`` with the defaults; the order is C-order (row
    major), PyTorch's, so a weight matrix copied from PyTorch sees the same
    features.  Backward reshapes ``dy`` back to the input's shape.

    Examples
    --------
    >>> import numpy as np
    >>> Flatten()(np.zeros((8, 16, 5, 5))).shape
    (8, 400)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = check_int("Flatten", "start_dim", start_dim)
        self.end_dim = check_int("Flatten", "end_dim", end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"

    def forward(self, x):
        x = self._as_input(x)
        nd = x.ndim
        start = self.start_dim + nd if self.start_dim < 0 else self.start_dim
        end = self.end_dim + nd if self.end_dim < 0 else self.end_dim
        if not (0 <= start < nd and 0 <= end < nd) or start > end:
            raise ValueError(
                f"{self.describe()} cannot flatten dimensions {self.start_dim}..{self.end_dim} of an "
                f"input of shape {x.shape}"
            )
        shape = x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:]
        y = x.reshape(shape)
        self._cache = (x.shape, y.shape)
        return y

    def backward(self, dy):
        in_shape, out_shape = self._saved()
        return self._check_dy(dy, out_shape, None).reshape(in_shape)
