r"""Activation layers: :math:`y = f(z)`, applied element by element.

Backward is the lecture's "simple component-wise computation":

.. math:: \frac{\partial Div}{\partial z} = \frac{\partial Div}{\partial y}\, f'(z)

Each layer caches what it needs to compute :math:`f'(z)` cheaply: ReLU the sign
pattern, sigmoid and tanh their output (:math:`\sigma' = \sigma(1-\sigma)`,
:math:`\tanh' = 1 - \tanh^2`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .module import Module

__all__ = ["ReLU", "Sigmoid", "Tanh"]


# ReLU's two passes as Numba loops over the flattened arrays.  ``np.where(z > 0, z, 0)``
# gives the same numbers but branches on every element: on the random sign pattern of
# a layer's pre-activations it is ~15x slower (1 ms instead of 0.07 ms for LeNet-5's
# first layer), which made ReLU a tenth of a training epoch.

@njit(cache=True)
def _relu_forward(z, y, active):
    """y = z where z > 0, else 0 (so NaN gives 0); active = [z > 0]."""
    for i in range(z.size):
        on = z[i] > 0
        active[i] = on
        y[i] = z[i] if on else 0


@njit(cache=True)
def _relu_backward(dy, active, dz):
    """dz = dy where the unit was active, else 0 (whatever dy holds there, even NaN)."""
    for i in range(dy.size):
        dz[i] = dy[i] if active[i] else 0


def _kernel_ready(*arrays) -> bool:
    """Writeable C-contiguous float32/float64 arrays: the one layout the kernels compile for
    (once per dtype); anything else takes the numpy path, with the same results."""
    return all(a.dtype in (np.float32, np.float64) and a.flags.c_contiguous and a.flags.writeable
               for a in arrays)


class ReLU(Module):
    r"""Rectified linear unit, :math:`y = \max(z, 0)`, :math:`f'(z) = [z > 0]`.

    At :math:`z = 0` the derivative is taken as 0 (as PyTorch does).

    Examples
    --------
    >>> import numpy as np
    >>> relu = ReLU()
    >>> relu(np.array([[-1.0, 2.0]]))
    array([[0., 2.]])
    >>> relu.backward(np.array([[5.0, 5.0]]))
    array([[0., 5.]])
    """

    def forward(self, z):
        z = self._as_input(z, "z")
        if not _kernel_ready(z):
            positive = z > 0
            self._cache = positive
            return np.where(positive, z, 0).astype(z.dtype, copy=False)
        y = np.empty_like(z)
        positive = np.empty(z.shape, dtype=bool)
        _relu_forward(z.reshape(-1), y.reshape(-1), positive.reshape(-1))
        self._cache = positive
        return y

    def backward(self, dy):
        positive = self._saved()
        dy = self._check_dy(dy, positive.shape, None)
        if not _kernel_ready(dy):
            return np.where(positive, dy, 0).astype(dy.dtype, copy=False)
        dz = np.empty_like(dy)
        _relu_backward(dy.reshape(-1), positive.reshape(-1), dz.reshape(-1))
        return dz


class Sigmoid(Module):
    r"""Logistic sigmoid, :math:`y = 1/(1+e^{-z})`, :math:`f'(z) = y(1-y)`.

    Computed as :math:`\tfrac12(1 + \tanh(z/2))`, which never overflows.

    Examples
    --------
    >>> import numpy as np
    >>> Sigmoid()(np.array([[0.0]]))
    array([[0.5]])
    """

    def forward(self, z):
        z = self._as_input(z, "z")
        y = 0.5 * (1.0 + np.tanh(0.5 * z))
        self._cache = y
        return y

    def backward(self, dy):
        y = self._saved()
        dy = self._check_dy(dy, y.shape, None)
        return dy * y * (1.0 - y)


class Tanh(Module):
    r"""Hyperbolic tangent, :math:`y = \tanh z`, :math:`f'(z) = 1 - y^2`.

    Examples
    --------
    >>> import numpy as np
    >>> Tanh()(np.array([[0.0]]))
    array([[0.]])
    """

    def forward(self, z):
        z = self._as_input(z, "z")
        y = np.tanh(z)
        self._cache = y
        return y

    def backward(self, dy):
        y = self._saved()
        dy = self._check_dy(dy, y.shape, None)
        return dy * (1.0 - y * y)
