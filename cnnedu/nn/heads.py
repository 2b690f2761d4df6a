r"""One trunk, several heads: a network that answers more than one question about its input.

The lecture's bounding-box network: "the flatten layer outputs to two separate
output layers", one predicting the class and one the box.  The convolutional
layers (the *trunk*) are shared; each *head* maps the trunk's features :math:`h`
to its own output:

.. math::

    h = g(x), \qquad y_k = f_k(h) \quad (k = 1, \dots, K)

Training minimises a sum of losses, one per head (multi-task learning, e.g.
:class:`~cnnedu.nn.ClassBoxLoss`).  Backwards, each head receives the
derivative of the loss with respect to its own output, and the trunk receives
the **sum** of what the heads send back, because :math:`h` feeds all of them:

.. math::

    \frac{\partial L}{\partial h} = \sum_k J_{f_k}^T \frac{\partial L}{\partial y_k}, \qquad
    \frac{\partial L}{\partial x} = J_g^T \frac{\partial L}{\partial h}

so the features are pulled towards what *every* task needs.
"""

from __future__ import annotations

import numpy as np

from .module import Module

__all__ = ["MultiHead"]


class MultiHead(Module):
    r"""A shared ``trunk`` followed by several ``heads``; the output is a tuple, one entry per head.

    ``forward(x)`` returns ``(head_1(h), ..., head_K(h))`` with ``h = trunk(x)``;
    ``backward((dy_1, ..., dy_K))`` takes one derivative per head (same shapes
    as the outputs; ``None`` for a head that does not enter the loss) and
    returns :math:`\partial L/\partial x`, adding up the heads' derivatives
    with respect to ``h`` before the trunk's backward (module docstring).

    Parameters
    ----------
    trunk : Module
        The shared layers, e.g. convolutions, pooling and ``Flatten``.
    **heads : Module
        The heads in output order, by name (``classes=..., box=...``); each
        becomes an attribute and a ``state_dict`` prefix, as in PyTorch.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnedu import nn
    >>> net = nn.MultiHead(nn.Sequential(nn.Flatten(), nn.Linear(16, 8, rng=0), nn.ReLU()),
    ...                    classes=nn.Linear(8, 10, rng=1),
    ...                    box=nn.Sequential(nn.Linear(8, 4, rng=2), nn.Sigmoid()))
    >>> logits, box = net(np.ones((2, 1, 4, 4)))
    >>> logits.shape, box.shape, net.head_names
    ((2, 10), (2, 4), ('classes', 'box'))
    >>> net.backward((np.ones((2, 10)), np.zeros((2, 4)))).shape
    (2, 1, 4, 4)
    """

    def __init__(self, trunk: Module, /, **heads: Module):
        super().__init__()
        fn = "MultiHead"
        if not isinstance(trunk, Module):
            raise TypeError(f"{fn}: trunk must be a Module, got {type(trunk).__name__}")
        if not heads:
            raise ValueError(f"{fn}: give at least one head by name, e.g. MultiHead(trunk, "
                             f"classes=nn.Linear(64, 10))")
        for name, head in heads.items():
            if name in ("trunk", "training", "head_names") or hasattr(Module, name) or name.startswith("_"):
                raise ValueError(f"{fn}: a head cannot be called {name!r} (a Module attribute); "
                                 f"choose another name")
            if not isinstance(head, Module):
                raise TypeError(f"{fn}: head {name!r} must be a Module, got {type(head).__name__}")
        self.trunk = trunk
        for name, head in heads.items():
            setattr(self, name, head)
        object.__setattr__(self, "head_names", tuple(heads))

    def heads(self) -> list[Module]:
        """The heads, in output order."""
        return [getattr(self, name) for name in self.head_names]

    def forward(self, x) -> tuple:
        h = self.trunk(x)
        outputs = tuple(head(h) for head in self.heads())
        self._cache = np.shape(h)
        return outputs

    def backward(self, dys):
        h_shape = self._saved()
        k = len(self.head_names)
        if not isinstance(dys, (tuple, list)) or len(dys) != k:
            got = f"a {type(dys).__name__} of {len(dys)}" if isinstance(dys, (tuple, list)) else \
                type(dys).__name__
            raise ValueError(f"MultiHead.backward: expected a tuple of {k} derivatives, one per head "
                             f"{self.head_names}, got {got}")
        dh = None
        for name, head, dy in zip(self.head_names, self.heads(), dys):
            if dy is None:
                continue
            d = head.backward(dy)
            dh = d if dh is None else dh + d
        if dh is None:
            raise ValueError("MultiHead.backward: every derivative is None; at least one head must "
                             "enter the loss")
        if np.shape(dh) != h_shape:   # a head that changed its input's shape is a bug in that head
            raise ValueError(f"MultiHead.backward: the heads returned derivatives of shape {np.shape(dh)}, "
                             f"the trunk's output has shape {h_shape}")
        return self.trunk.backward(dh)
