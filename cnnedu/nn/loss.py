r"""Losses: the divergence between the network's output and the desired output, and its derivative.

The lecture's training loss is the average divergence over the training
examples, :math:`Loss = \frac1T\sum_i Div(Y_i, d_i)`; a mini-batch estimates it
by the mean over the batch.  A loss's ``forward(output, target)`` returns that
number (a Python float) and caches what ``backward()`` needs;
``backward()`` returns :math:`\partial Loss/\partial\,\text{output}`, the
derivative that starts backpropagation::

    loss = criterion(net(x), labels)
    net.zero_grad()
    net.backward(criterion.backward())
    optimizer.step()
"""

from __future__ import annotations

import numpy as np

from .._checks import check_real
from .module import Module

__all__ = ["CrossEntropyLoss", "MSELoss", "ClassBoxLoss", "MultiTaskLoss"]

_REDUCTIONS = ("mean", "sum")


def _check_reduction(fn: str, reduction) -> str:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be 'mean' or 'sum', got {reduction!r}")
    return reduction


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = _check_reduction(type(self).__name__, reduction)

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"

    def _real(self, a, name: str) -> np.ndarray:
        """A finite float array, or a ValueError naming the argument."""
        fn = type(self).__name__
        try:
            a = np.asarray(a)
        except Exception as exc:
            raise TypeError(f"{fn}: {name} must be a numeric array, could not convert it: {exc}") from None
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{fn}: {name} must be a real numeric array, got dtype {a.dtype}")
        if a.dtype.kind != "f":
            a = a.astype(np.float64)
        if not np.all(np.isfinite(a)):
            bad = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
            raise ValueError(
                f"{fn}: {name} contains NaN or inf ({bad} of {a.size} values); if it is the network's "
                f"output, training has diverged: lower the learning rate or check the input data"
            )
        return a

    def _scale(self, dloss, n: int) -> float:
        dloss = check_real(f"{type(self).__name__}.backward", "dloss", dloss)
        return dloss / n if self.reduction == "mean" else dloss


class CrossEntropyLoss(_Loss):
    r"""Softmax cross-entropy from logits and integer labels, as ``torch.nn.CrossEntropyLoss``.

    For logits :math:`z_n \in \mathbb R^C` and label :math:`d_n`:

    .. math::

        Div_n = -\log \frac{e^{z_{n,d_n}}}{\sum_k e^{z_{n,k}}}
              = \log\sum_k e^{z_{n,k}} - z_{n, d_n}, \qquad
        Loss = \frac1N \sum_n Div_n

    The log-sum-exp is computed as :math:`m + \log\sum_k e^{z_k - m}` with
    :math:`m = \max_k z_k`, so large logits never overflow.  Its derivative is
    the famous "prediction minus target":

    .. math:: \frac{\partial Loss}{\partial z_{n,k}} = \frac1N\big(\operatorname{softmax}(z_n)_k - [k = d_n]\big)

    Parameters
    ----------
    reduction : {"mean", "sum"}
        Average (default) or sum over the batch.

    Examples
    --------
    >>> import numpy as np
    >>> ce = CrossEntropyLoss()
    >>> round(ce(np.zeros((2, 4)), np.array([0, 3])), 4)     # uniform prediction: log 4
    1.3863
    >>> ce.backward()
    array([[-0.375,  0.125,  0.125,  0.125],
           [ 0.125,  0.125,  0.125, -0.375]])
    """

    def forward(self, logits, labels) -> float:
        """Return the loss; ``logits`` (N, C) real, ``labels`` (N,) integers in [0, C)."""
        fn = type(self).__name__
        logits = self._real(logits, "logits")
        if logits.ndim != 2 or 0 in logits.shape:
            hint = ": Flatten and a Linear layer with one output per class come before it" if logits.ndim > 2 else ""
            raise ValueError(f"{fn}: logits must be a non-empty 2-D array (N, C), got shape {logits.shape}{hint}")
        n, c = logits.shape
        labels = _check_labels(fn, labels, n, c)
        m = logits.max(axis=1, keepdims=True)
        shifted = logits - m
        lse = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        log_p = shifted - lse                               # log softmax, stable
        losses = -log_p[np.arange(n), labels]
        self._cache = (np.exp(log_p), labels)
        return float(losses.mean() if self.reduction == "mean" else losses.sum())

    def backward(self, dloss: float = 1.0) -> np.ndarray:
        """``dLoss/dlogits`` of the last forward, times ``dloss``."""
        p, labels = self._saved()
        d = p.copy()
        d[np.arange(len(labels)), labels] -= 1
        return d * d.dtype.type(self._scale(dloss, len(labels)))


def _check_labels(fn: str, labels, n: int, c: int, name: str = "labels") -> np.ndarray:
    try:
        labels = np.asarray(labels)
    except Exception as exc:
        raise ValueError(f"{fn}: {name} must be an array of integer class indices: {exc}") from None
    if labels.shape == (n, c) and labels.dtype.kind in "fb":
        raise ValueError(
            f"{fn}: {name} must be integer class indices of shape ({n},), got shape {labels.shape} "
            f"(one-hot or probabilities?): pass {name}.argmax(axis=1)"
        )
    if labels.dtype.kind not in "iu":
        raise ValueError(
            f"{fn}: {name} must be integer class indices, got dtype {labels.dtype}; "
            f"convert with {name}.astype(np.int64) if the values are whole numbers"
        )
    if labels.shape != (n,):
        raise ValueError(
            f"{fn}: {name} must have shape ({n},), one class index per row of logits, got {labels.shape}"
        )
    if n and (labels.min() < 0 or labels.max() >= c):
        raise ValueError(
            f"{fn}: {name} must be class indices in [0, {c}) for {c} classes (logits.shape[1]), "
            f"got values from {labels.min()} to {labels.max()}"
        )
    return labels.astype(np.intp, copy=False)


class MSELoss(_Loss):
    r"""Mean squared error (the L2 divergence), as ``torch.nn.MSELoss``.

    .. math::

        Loss = \frac{1}{K}\sum_{k=1}^{K} (y_k - d_k)^2, \qquad
        \frac{\partial Loss}{\partial y_k} = \frac{2}{K}(y_k - d_k)

    over all :math:`K` elements (``reduction="sum"``: no :math:`1/K`).

    Examples
    --------
    >>> import numpy as np
    >>> mse = MSELoss()
    >>> mse(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]]))
    2.5
    >>> mse.backward()
    array([[1., 2.]])
    """

    def forward(self, prediction, target) -> float:
        """Return the loss; ``prediction`` and ``target`` must have the same shape."""
        fn = type(self).__name__
        prediction = self._real(prediction, "prediction")
        target = self._real(target, "target")
        if prediction.shape != target.shape:
            raise ValueError(
                f"{fn}: prediction and target must have the same shape, got {prediction.shape} and "
                f"{target.shape}"
            )
        if prediction.size == 0:
            raise ValueError(f"{fn}: prediction is empty, shape {prediction.shape}")
        diff = prediction - target.astype(prediction.dtype, copy=False)
        self._cache = diff
        sq = np.sum(diff * diff)
        return float(sq / diff.size if self.reduction == "mean" else sq)

    def backward(self, dloss: float = 1.0) -> np.ndarray:
        """``dLoss/dprediction`` of the last forward, times ``dloss``."""
        diff = self._saved()
        return diff * diff.dtype.type(2.0 * self._scale(dloss, diff.size))


class ClassBoxLoss(Module):
    r"""The lecture's multi-task loss for localisation: classify the object *and* find its box.

    The flattened features feed two output layers, one giving class logits and
    one the bounding-box coordinates; the divergence minimised is

    .. math::

        Loss = \underbrace{CE(z, d)}_{\text{classification}}
             + \lambda\, \underbrace{\frac1K \sum_k (b_k - \hat b_k)^2}_{\text{L2 on the box}}

    (:class:`CrossEntropyLoss` plus ``box_weight`` :math:`\lambda` times
    :class:`MSELoss`, each averaged over the batch).  Its backward gives one
    derivative per head:

    .. math:: \frac{\partial Loss}{\partial z} = \frac{\partial CE}{\partial z}, \qquad
              \frac{\partial Loss}{\partial b} = \lambda\frac{2}{K}(b - \hat b)

    Parameters
    ----------
    box_weight : float, >= 0
        :math:`\lambda`, how much a box error counts against a class error.

    Attributes
    ----------
    class_loss, box_loss : float
        The two terms of the last forward (``box_loss`` before weighting).

    Examples
    --------
    >>> import numpy as np
    >>> loss = ClassBoxLoss(box_weight=0.5)
    >>> total = loss(np.zeros((2, 3)), np.array([0, 2]), np.ones((2, 4)), np.zeros((2, 4)))
    >>> round(total, 4), round(loss.class_loss, 4), loss.box_loss
    (1.5986, 1.0986, 1.0)
    >>> dlogits, dbox = loss.backward()
    >>> dbox[0]
    array([0.125, 0.125, 0.125, 0.125])
    """

    def __init__(self, box_weight: float = 1.0):
        super().__init__()
        self.box_weight = check_real(type(self).__name__, "box_weight", box_weight, 0.0)
        self.cross_entropy = CrossEntropyLoss()
        self.mse = MSELoss()
        self.class_loss = self.box_loss = None

    def extra_repr(self) -> str:
        return f"box_weight={self.box_weight:g}"

    def forward(self, class_logits, labels, box_pred, box_target) -> float:
        """Return the total loss; class terms as :class:`CrossEntropyLoss`, box terms as :class:`MSELoss`."""
        box_pred = np.asarray(box_pred)
        n = np.shape(class_logits)[0] if np.ndim(class_logits) else None
        if box_pred.ndim == 0 or (n is not None and box_pred.shape[0] != n):
            raise ValueError(
                f"{type(self).__name__}: box_pred must have one row per example, {n} like class_logits, "
                f"got shape {box_pred.shape}"
            )
        self.class_loss = self.cross_entropy(class_logits, labels)
        self.box_loss = self.mse(box_pred, box_target)
        self._cache = True
        return self.class_loss + self.box_weight * self.box_loss

    def backward(self, dloss: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """``(dLoss/dclass_logits, dLoss/dbox_pred)`` of the last forward, times ``dloss``."""
        self._saved()
        return self.cross_entropy.backward(dloss), self.mse.backward(dloss * self.box_weight)


#: Another name for :class:`ClassBoxLoss`.
MultiTaskLoss = ClassBoxLoss
