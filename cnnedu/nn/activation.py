r"""Activation layers: :math:`y = f(z)`, applied element by element.

Backward is the lecture's "simple component-wise computation":

.. math:: \frac{\partial Div}{\partial z} = \frac{\partial Div}{\partial y}\, f'(z)

Each layer caches what it needs to compute :math:`f'(z)` cheaply: ReLU the sign
pattern, sigmoid and tanh their output (:math:`\sigma' = \sigma(1-\sigma)`,
:math:`\tanh' = 1 - \tanh^2`).
"""

from __future__ import annotations

import numpy as np

from .module import Module

__all__ = ["ReLU", "Sigmoid", "Tanh"]


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
        positive = z > 0
        self._cache = positive
        return np.where(positive, z, 0).astype(z.dtype, copy=False)

    def backward(self, dy):
        positive = self._saved()
        dy = self._check_dy(dy, positive.shape, None)
        return np.where(positive, dy, 0).astype(dy.dtype, copy=False)


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
