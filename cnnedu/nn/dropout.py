r"""Dropout (the regulariser AlexNet applied, with :math:`p = 0.5`, to its fully connected layers).

During training each element is zeroed with probability :math:`p` and the
survivors are scaled by :math:`1/(1-p)` ("inverted" dropout), so the expected
output equals the input and nothing needs rescaling at test time:

.. math::

    m_i \sim \text{Bernoulli}(1-p), \qquad y_i = \frac{m_i}{1-p}\, x_i,
    \qquad \frac{\partial L}{\partial x_i} = \frac{m_i}{1-p}\,\frac{\partial L}{\partial y_i}

In evaluation mode (:meth:`~cnnedu.nn.Module.eval`) the layer is the identity.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_real
from . import init
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Inverted dropout, as ``torch.nn.Dropout``.

    Parameters
    ----------
    p : float in [0, 1]
        Probability of zeroing an element.
    rng : numpy.random.Generator, int or None
        Draws the masks.  ``None``: a generator seeded from the library's default
        generator (:mod:`cnnedu.nn.init`) when the layer is built, so masks are
        reproducible after :func:`cnnedu.nn.init.manual_seed`.  The generator is
        the attribute ``rng``.

    Examples
    --------
    >>> import numpy as np
    >>> drop = Dropout(0.5, rng=0)
    >>> y = drop(np.ones((1, 8)))
    >>> sorted(set(y.ravel().tolist()))            # survivors are doubled
    [0.0, 2.0]
    >>> drop.eval()(np.ones((1, 3)))               # identity at test time
    array([[1., 1., 1.]])
    """

    def __init__(self, p: float = 0.5, *, rng=None):
        super().__init__()
        self.p = check_real("Dropout", "p", p, 0.0)
        if self.p > 1:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {self.p}")
        if rng is None:
            rng = np.random.default_rng(init.default_rng().integers(2**63))
        self.rng = init.resolve_rng(rng, "Dropout")

    def extra_repr(self) -> str:
        return f"p={self.p:g}"

    def forward(self, x):
        x = self._as_input(x)
        if not self.training or self.p == 0:
            self._cache = (x.shape, None)
            return x
        if self.p == 1:
            mask = np.zeros(x.shape, dtype=x.dtype)
        else:
            keep = self.rng.random(x.shape) >= self.p
            mask = keep.astype(x.dtype) / x.dtype.type(1 - self.p)
        self._cache = (x.shape, mask)
        return x * mask

    def backward(self, dy):
        shape, mask = self._saved()
        dy = self._check_dy(dy, shape, None)
        return dy if mask is None else dy * mask
