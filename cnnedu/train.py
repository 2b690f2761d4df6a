r"""Training loops: :func:`fit`, :func:`evaluate`, :func:`predict`, and what they return.

The lecture's training procedure, written once so that every notebook can call it:

1. shuffle the training set, cut it into mini-batches;
2. for each batch: ``zero_grad`` → forward → loss → backward → ``optimizer.step()``;
3. after each epoch, measure the loss and accuracy on held-out data and, with
   AlexNet's recipe, divide the learning rate by 10 when the validation
   accuracy stops improving (:class:`~cnnedu.optim.ReduceLROnPlateau`).

::

    from cnnedu import models, nn, optim, train
    from cnnedu.data import load_mnist

    (x_train, y_train), (x_test, y_test) = load_mnist(pad_to=32)
    net = models.lenet5(rng=0)
    history = train.fit(net, nn.CrossEntropyLoss(), optim.Adam(net.parameters(), lr=1e-3),
                        x_train, y_train, epochs=8, batch_size=64,
                        validation_data=(x_test, y_test), seed=0)
    history.plot()
    train.confusion_matrix(y_test, train.predict(net, x_test), n_classes=10)

:func:`lenet5_recipe` holds the settings with which LeNet-5 reaches at least
96% accuracy on the 1,000 test digits of the offline MNIST subset
(``docs/training.md`` has the numbers and the full code).

A model with several outputs (a :class:`~cnnedu.nn.MultiHead`, e.g. class logits
and a bounding box) trains the same way: its output is a tuple, the targets are
a tuple with one array per output, ``y = (labels, boxes)``, and the loss takes
each output followed by its target, ``loss_fn(logits, labels, box, box_target)``
(:class:`~cnnedu.nn.ClassBoxLoss`), its ``backward()`` returning one derivative
per output.  Accuracy is then that of the first output, the class head.

What is checked, once, at the boundary: the shapes and lengths of the data,
class labels in range, ``batch_size`` between 1 and the number of training
examples, ``epochs >= 1``, finite inputs.  During training a NaN or infinite
output, loss or gradient stops :func:`fit` with a :class:`TrainingDivergedError`
after restoring the last good weights.
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field, fields

import numpy as np

from ._checks import as_numeric, check_bool, check_int, check_rng
from .nn.loss import ClassBoxLoss, CrossEntropyLoss
from .nn.module import Module
from .optim import ReduceLROnPlateau

__all__ = [
    "History", "TrainingDivergedError", "fit", "evaluate", "predict", "confusion_matrix",
    "plot_history", "MultiStepLR", "Recipe", "lenet5_recipe",
]

#: Batch size used by :func:`evaluate` and :func:`predict` (and by :func:`fit` for
#: validation): larger than a training batch because no gradients are kept.
EVAL_BATCH_SIZE = 256


# --------------------------------------------------------------------------- results


@dataclass
class History:
    """Per-epoch record of a :func:`fit` run; every list has one entry per completed epoch.

    Attributes
    ----------
    train_loss : list of float
        Mean training loss over the epoch's mini-batches (weighted by batch size),
        measured *during* the epoch, in training mode, while the weights change.
    train_accuracy : list of float
        Fraction of training examples classified correctly during the epoch
        (NaN if the targets are not class labels).
    val_loss, val_accuracy : list of float
        Loss and accuracy on ``validation_data`` after the epoch, in evaluation
        mode (NaN without validation data).
    lr : list of float
        Learning rate of the optimiser's first parameter group *during* the epoch
        (a scheduler's reduction shows in the next epoch's entry).
    epoch_time : list of float
        Seconds taken by the epoch (training and validation).

    Examples
    --------
    >>> h = History()
    >>> h.append(train_loss=0.9, train_accuracy=0.7, val_loss=0.5, val_accuracy=0.85, lr=1e-3,
    ...          epoch_time=6.1)
    >>> len(h), h.epochs, h.best_epoch()
    (1, [1], 1)
    """

    train_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    epoch_time: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.train_loss)

    @property
    def epochs(self) -> list[int]:
        """Epoch numbers ``[1, 2, ..., len(self)]`` (the x axis of :meth:`plot`)."""
        return list(range(1, len(self) + 1))

    def append(self, **values: float) -> None:
        """Record one epoch; every field must be given."""
        names = [f.name for f in fields(self)]
        if sorted(values) != sorted(names):
            raise ValueError(f"History.append: expected the fields {names}, got {sorted(values)}")
        for name in names:
            getattr(self, name).append(float(values[name]))

    def best_epoch(self, metric: str = "val_accuracy") -> int | None:
        """The epoch (1-based) with the highest accuracy or lowest loss of ``metric``; None if no value."""
        names = [f.name for f in fields(self) if f.name not in ("lr", "epoch_time")]
        if metric not in names:
            raise ValueError(f"History.best_epoch: metric must be one of {names}, got {metric!r}")
        values = np.asarray(getattr(self, metric), dtype=float)
        if values.size == 0 or np.all(np.isnan(values)):
            return None
        pick = np.nanargmax if "accuracy" in metric else np.nanargmin
        return int(pick(values)) + 1

    def to_dict(self) -> dict[str, list[float]]:
        """``{field: list of values}``, e.g. for ``pandas.DataFrame(history.to_dict())``."""
        return {f.name: list(getattr(self, f.name)) for f in fields(self)}

    def summary(self) -> str:
        """A table with one row per epoch, as :func:`fit`'s progress bar shows it."""
        head = f"{'epoch':>5}  {'loss':>7}  {'acc':>6}  {'val_loss':>8}  {'val_acc':>7}  {'lr':>8}  {'time':>6}"
        rows = [head]
        for i in range(len(self)):
            rows.append(f"{i + 1:>5}  {self.train_loss[i]:>7.4f}  {self.train_accuracy[i]:>6.4f}  "
                        f"{self.val_loss[i]:>8.4f}  {self.val_accuracy[i]:>7.4f}  {self.lr[i]:>8.2g}  "
                        f"{self.epoch_time[i]:>5.1f}s")
        return "\n".join(rows)

    def plot(self, ax=None):
        """Loss and accuracy curves; see :func:`plot_history`.  Returns the figure."""
        return plot_history(self, ax)


class TrainingDivergedError(FloatingPointError):
    """:func:`fit` stopped because the output, the loss or a gradient became NaN or infinite.

    The model's weights are restored to the last ones that gave a finite loss
    and finite gradients, so nothing learnt before the divergence is lost.

    Attributes
    ----------
    epoch : int
        The epoch (1-based) in which training diverged.
    batch : int
        The mini-batch (1-based) within that epoch.
    loss : float
        The batch's loss (NaN or inf if it could not be computed).
    history : History
        The completed epochs.
    """

    def __init__(self, message: str, *, epoch: int, batch: int, loss: float, history: History):
        super().__init__(message)
        self.epoch, self.batch, self.loss, self.history = epoch, batch, loss, history


# --------------------------------------------------------------------------- checks


def _check_model(fn: str, model) -> None:
    if not isinstance(model, Module):
        raise TypeError(f"{fn}: model must be a cnnedu.nn.Module (e.g. an nn.Sequential), "
                        f"got {type(model).__name__}")


def _check_loss(fn: str, loss_fn) -> None:
    if not callable(loss_fn) or not callable(getattr(loss_fn, "backward", None)):
        raise TypeError(f"{fn}: loss_fn must be a loss with forward and backward, e.g. "
                        f"nn.CrossEntropyLoss(), got {type(loss_fn).__name__}")


def _as_inputs(fn: str, name: str, x) -> np.ndarray:
    """A non-empty, finite, real array with the examples along axis 0 (dtype kept)."""
    a = as_numeric(fn, name, x)
    if a.ndim == 0 or a.shape[0] == 0:
        raise ValueError(f"{fn}: {name} must hold at least one example along axis 0, got shape {a.shape}")
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        bad = np.flatnonzero(~np.isfinite(a.reshape(len(a), -1)).all(axis=1))
        raise ValueError(f"{fn}: {name} contains NaN or inf in {bad.size} example(s), "
                         f"the first at index {bad[0]}")
    return a


def _is_labels(y: np.ndarray) -> bool:
    """Integer class labels, one per example (classification: accuracy is meaningful)."""
    return y.ndim == 1 and y.dtype.kind in "iu"


def _is_multi(y) -> bool:
    """A tuple of arrays: one target array per output of a multi-output model (``(labels, boxes)``)."""
    return (isinstance(y, tuple) and len(y) > 0
            and all(isinstance(t, np.ndarray) and t.ndim >= 1 for t in y))


def _as_target_set(fn: str, name: str, y, n: int, x_name: str, loss_fn):
    """The targets, checked: one array, or a tuple of arrays (one per model output)."""
    if not _is_multi(y):
        if isinstance(loss_fn, ClassBoxLoss):
            raise ValueError(f"{fn}: with ClassBoxLoss, {name} must be a pair of arrays (labels, boxes), "
                             f"one target per output of the model, got {type(y).__name__}")
        return _as_targets(fn, name, y, n, x_name,
                           "CrossEntropyLoss" if isinstance(loss_fn, CrossEntropyLoss) else None)
    if isinstance(loss_fn, CrossEntropyLoss):
        raise ValueError(f"{fn}: {name} is a tuple of {len(y)} target arrays, but CrossEntropyLoss takes "
                         f"one: pass the labels alone, or a multi-task loss such as ClassBoxLoss")
    if isinstance(loss_fn, ClassBoxLoss) and len(y) != 2:
        raise ValueError(f"{fn}: with ClassBoxLoss, {name} must be a pair (labels, boxes), got a tuple of "
                         f"{len(y)} arrays")
    first = "ClassBoxLoss" if isinstance(loss_fn, ClassBoxLoss) else None    # its first target: labels
    return tuple(_as_targets(fn, f"{name}[{k}]", t, n, x_name, first if k == 0 else None)
                 for k, t in enumerate(y))


def _as_targets(fn: str, name: str, y, n: int, x_name: str, labels_for: str | None) -> np.ndarray:
    """One target array of length ``n``; ``labels_for`` names a loss that needs class labels."""
    try:
        a = np.asarray(y)
    except Exception as exc:
        raise TypeError(f"{fn}: {name} must be an array, could not convert it: {exc}") from None
    if a.ndim == 0 or a.shape[0] != n:
        got = "a scalar" if a.ndim == 0 else f"{a.shape[0]} (shape {a.shape})"
        raise ValueError(f"{fn}: {x_name} and {name} must have the same length: {x_name} has "
                         f"{n} examples, {name} has {got}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {name} must be numeric, got dtype {a.dtype}")
    if labels_for is not None and not _is_labels(a):
        raise ValueError(f"{fn}: with {labels_for}, {name} must be integer class indices of "
                         f"shape ({n},), got {a.dtype} of shape {a.shape}")
    if _is_labels(a) and a.min() < 0:
        raise ValueError(f"{fn}: {name} must be class indices >= 0, got a minimum of {a.min()} "
                         f"(at index {int(np.argmin(a))})")
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        raise ValueError(f"{fn}: {name} contains NaN or inf")
    return a


def _check_outputs(fn: str, name: str, y, out) -> None:
    """The targets must match the model's outputs: one array for one, a tuple of K for K."""
    if isinstance(out, tuple):
        if not isinstance(y, tuple):
            raise ValueError(f"{fn}: the model returns {len(out)} outputs (a tuple, e.g. class logits and a "
                             f"box), so {name} must be a tuple of {len(out)} arrays, one target per "
                             f"output, e.g. (labels, boxes); got one array of shape {y.shape}")
        if len(y) != len(out):
            raise ValueError(f"{fn}: the model returns {len(out)} outputs but {name} holds {len(y)} target "
                             f"arrays; give one target per output")
    elif isinstance(y, tuple):
        raise ValueError(f"{fn}: {name} is a tuple of {len(y)} target arrays, but the model returns one "
                         f"array of shape {np.shape(out)}; a tuple of targets is for a model with several "
                         f"outputs (e.g. nn.MultiHead)")


def _check_label_range(fn: str, name: str, y, out) -> None:
    """Labels must index the model's outputs: ``0 <= y < C`` for output ``(N, C)`` (the first output)."""
    _check_outputs(fn, name, y, out)
    if isinstance(out, tuple):
        name, y, out = f"{name}[0]", y[0], out[0]
    if _is_labels(y) and out.ndim == 2 and y.max() >= out.shape[1]:
        raise ValueError(f"{fn}: {name} must be class indices in [0, {out.shape[1]}) for a model with "
                         f"{out.shape[1]} outputs, got a maximum of {y.max()} (at index {int(np.argmax(y))})")


def _check_eval_batch(fn: str, batch_size) -> int:
    return check_int(fn, "batch_size", batch_size, 1)


def _batches(n: int, batch_size: int):
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


def _take(y, idx):
    """``y[idx]`` for one target array or for each array of a tuple."""
    return tuple(t[idx] for t in y) if isinstance(y, tuple) else y[idx]


def _finite(out) -> bool:
    return all(np.isfinite(o).all() for o in out) if isinstance(out, tuple) else bool(np.isfinite(out).all())


def _loss(loss_fn, out, y) -> float:
    """``loss_fn(out, y)``; for several outputs ``loss_fn(out_1, y_1, out_2, y_2, ...)``."""
    if isinstance(out, tuple):
        return loss_fn(*(v for pair in zip(out, y) for v in pair))
    return loss_fn(out, y)


def _n_correct(out, y) -> float:
    """Correct class predictions in a batch (of the first output, for several outputs)."""
    if isinstance(out, tuple):
        out, y = out[0], y[0]
    if not (_is_labels(y) and out.ndim == 2):
        return math.nan
    return float(np.count_nonzero(out.argmax(axis=1) == y))


def _sums_losses(loss_fn) -> bool:
    return getattr(loss_fn, "reduction", "mean") == "sum"


def _lr(optimizer) -> float:
    groups = getattr(optimizer, "param_groups", None)
    return float(groups[0]["lr"]) if groups else math.nan


class _Mode:
    """``with _Mode(model, training):`` sets train/eval mode and restores the previous one."""

    def __init__(self, model: Module, training: bool):
        self.model, self.training = model, training

    def __enter__(self):
        self.previous = self.model.training
        self.model.train(self.training)

    def __exit__(self, *exc):
        self.model.train(self.previous)


# --------------------------------------------------------------------------- evaluation


def evaluate(model, loss_fn, x, y, batch_size: int = EVAL_BATCH_SIZE) -> tuple[float, float]:
    r"""Loss and accuracy of ``model`` on ``(x, y)``, in evaluation mode, batch by batch.

    .. math::

        Loss = \frac1N \sum_{n=1}^{N} Div(f(x_n), y_n), \qquad
        accuracy = \frac1N \sum_{n=1}^{N} [\operatorname{argmax}_k f(x_n)_k = y_n]

    (a loss with ``reduction="sum"`` gives the sum instead of the mean).
    For a model with several outputs, ``y`` is a tuple of target arrays, one
    per output, and the accuracy is that of the first output.
    Dropout is off and BatchNorm uses its running statistics; the model is put
    back in the mode it was in.  No gradients are computed.

    Parameters
    ----------
    model : cnnedu.nn.Module
    loss_fn : loss
        E.g. :class:`~cnnedu.nn.CrossEntropyLoss` or :class:`~cnnedu.nn.MSELoss`.
    x : array_like, shape (N, ...)
    y : array_like, shape (N,) or (N, ...), or a tuple of arrays
        Integer class labels, or regression targets; a tuple ``(labels, boxes)``
        for a model whose output is a tuple (one target per output).
    batch_size : int, >= 1
        Examples per forward pass (only memory and speed depend on it; a value
        larger than N means one batch).

    Returns
    -------
    loss : float
    accuracy : float
        NaN unless ``y`` (its first array, for several outputs) holds class
        labels and the model (its first output) gives ``(N, C)``.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnedu import nn
    >>> net = nn.Linear(2, 2, rng=0)
    >>> x = np.array([[1.0, 0.0], [0.0, 1.0]]); y = np.array([0, 1])
    >>> loss, acc = evaluate(net, nn.CrossEntropyLoss(), x, y)
    >>> round(loss, 4) == round(nn.CrossEntropyLoss()(net(x), y), 4)
    True
    """
    fn = "evaluate"
    _check_model(fn, model)
    _check_loss(fn, loss_fn)
    x = _as_inputs(fn, "x", x)
    y = _as_target_set(fn, "y", y, len(x), "x", loss_fn)
    batch_size = _check_eval_batch(fn, batch_size)
    return _evaluate(fn, model, loss_fn, x, y, batch_size)


class _NonFinite(Exception):
    """The model's output was NaN or inf during :func:`fit`'s validation."""


def _evaluate(fn, model, loss_fn, x, y, batch_size, y_name: str = "y",
              check_finite: bool = False) -> tuple[float, float]:
    total_loss = correct = 0.0
    with _Mode(model, False):
        for i, s in enumerate(_batches(len(x), batch_size)):
            out = model(x[s])
            if check_finite and not _finite(out):
                raise _NonFinite
            if i == 0:
                _check_label_range(fn, y_name, y, out)
            yb = _take(y, s)
            batch_loss = _loss(loss_fn, out, yb)
            total_loss += batch_loss if _sums_losses(loss_fn) else batch_loss * (s.stop - s.start)
            correct += _n_correct(out, yb)
    loss = total_loss if _sums_losses(loss_fn) else total_loss / len(x)
    return float(loss), correct / len(x)


def predict(model, x, batch_size: int = EVAL_BATCH_SIZE, *, logits: bool = False) -> np.ndarray:
    """The model's predictions for ``x``, in evaluation mode, batch by batch.

    Parameters
    ----------
    model : cnnedu.nn.Module
    x : array_like, shape (N, ...)
    batch_size : int, >= 1
        A value larger than N means one batch.
    logits : bool
        If true, return the raw outputs ``(N, C, ...)``; else (default) the
        predicted classes :math:`\\hat y_n = \\operatorname{argmax}_k f(x_n)_k`.

    Returns
    -------
    ndarray
        int64 class indices of shape ``(N,)`` (or ``(N, ...)`` for outputs with
        more than two dimensions, e.g. one class per pixel), or the outputs.
        For a model with several outputs, a tuple with one array per output:
        the first (the class head) as above, the others raw (e.g. the boxes).

    Examples
    --------
    >>> import numpy as np
    >>> from cnnedu import nn
    >>> net = nn.Linear(3, 4, rng=0)
    >>> predict(net, np.ones((5, 3))).shape, predict(net, np.ones((5, 3)), logits=True).shape
    ((5,), (5, 4))
    """
    fn = "predict"
    _check_model(fn, model)
    x = _as_inputs(fn, "x", x)
    batch_size = _check_eval_batch(fn, batch_size)
    logits = check_bool(fn, "logits", logits)
    with _Mode(model, False):
        outs = [model(x[s]) for s in _batches(len(x), batch_size)]
    if isinstance(outs[0], tuple):
        out = tuple(np.concatenate(parts, axis=0) for parts in zip(*outs))
        return out if logits else (_classes(out[0]), *out[1:])
    out = np.concatenate(outs, axis=0)
    return out if logits else _classes(out)


def _classes(out: np.ndarray) -> np.ndarray:
    """``argmax`` over axis 1 of the outputs, as int64 class indices."""
    if out.ndim < 2:
        raise ValueError(f"predict: class predictions need outputs of shape (N, C, ...), the model gave "
                         f"shape {out.shape}; pass logits=True for the raw outputs")
    return out.argmax(axis=1).astype(np.int64)


def confusion_matrix(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """Count how often each true class was predicted as each class.

    ``C[i, j]`` is the number of examples of class ``i`` predicted as class ``j``
    (rows: truth, columns: prediction, as in scikit-learn); the diagonal holds
    the correct predictions, so ``C.trace() / C.sum()`` is the accuracy.

    Parameters
    ----------
    y_true, y_pred : array_like of int, shape (N,)
    n_classes : int, optional
        Default: one more than the largest label in either array.

    Returns
    -------
    ndarray of int64, shape (n_classes, n_classes)

    Examples
    --------
    >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    fn = "confusion_matrix"
    arrays = []
    for name, a in (("y_true", y_true), ("y_pred", y_pred)):
        a = np.asarray(a)
        if a.ndim != 1 or a.dtype.kind not in "iu":
            raise ValueError(f"{fn}: {name} must be a 1-D array of integer class indices, "
                             f"got {a.dtype} of shape {a.shape}")
        if a.size and a.min() < 0:
            raise ValueError(f"{fn}: {name} must be class indices >= 0, got {a.min()}")
        arrays.append(a.astype(np.int64))
    t, p = arrays
    if t.shape != p.shape:
        raise ValueError(f"{fn}: y_true and y_pred must have the same length, got {t.size} and {p.size}")
    largest = int(max(t.max(initial=-1), p.max(initial=-1)))
    if n_classes is None:
        n_classes = largest + 1
    else:
        n_classes = check_int(fn, "n_classes", n_classes, 1)
        if largest >= n_classes:
            raise ValueError(f"{fn}: labels must be in [0, {n_classes}) for n_classes={n_classes}, "
                             f"got {largest}")
    return np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


# --------------------------------------------------------------------------- training


def _progress(enabled: bool, **kwargs):
    """A ``tqdm.auto`` bar (a widget in Jupyter, text in a terminal), or a no-op stand-in."""
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(**kwargs)


class _NoBar:
    def update(self, n=1):
        pass

    def set_postfix(self, *args, **kwargs):
        pass

    def close(self):
        pass


def _finite_grads(params) -> bool:
    return all(np.isfinite(p.grad).all() for p in params)


def fit(model, loss_fn, optimizer, x_train, y_train, *, epochs: int, batch_size: int = 64,
        validation_data=None, scheduler=None, seed=0, shuffle: bool = True, transform=None,
        callbacks=(), progress: bool = True) -> History:
    r"""Train ``model`` by mini-batch gradient descent and return the per-epoch :class:`History`.

    Each epoch, with the model in training mode, the training set is shuffled
    (a new permutation each epoch, from one seeded generator) and cut into
    batches of ``batch_size`` (the last, smaller batch is kept); for each batch::

        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        model.backward(loss_fn.backward())
        optimizer.step()

    Then, in evaluation mode, the loss and accuracy on ``validation_data`` are
    measured, ``scheduler`` is stepped, and ``callbacks`` are called.

    LeNet-5 on the MNIST subset, the recipe of :func:`lenet5_recipe` (at least
    96% of the 1,000 test digits; ``docs/training.md``)::

        (x_train, y_train), (x_test, y_test) = load_mnist("subset", pad_to=32)
        net = models.lenet5(rng=0)
        optimizer = optim.Adam(net.parameters(), lr=2e-3)
        history = fit(net, nn.CrossEntropyLoss(), optimizer, x_train, y_train,
                      epochs=10, batch_size=64, seed=0,
                      scheduler=MultiStepLR(optimizer, milestones=[8], gamma=0.1),
                      validation_data=(x_test, y_test))

    Parameters
    ----------
    model : cnnedu.nn.Module
    loss_fn : loss
        A loss whose ``loss_fn(output, target)`` returns a float and whose
        ``backward()`` returns :math:`\partial Loss/\partial\,output`, e.g.
        :class:`~cnnedu.nn.CrossEntropyLoss` (targets: integer labels) or
        :class:`~cnnedu.nn.MSELoss` (targets: arrays shaped like the output).
        For a model with several outputs, the loss is called with each output
        followed by its target and its ``backward()`` returns one derivative
        per output, e.g. :class:`~cnnedu.nn.ClassBoxLoss`.
    optimizer : cnnedu.optim.Optimizer
        Holding ``model.parameters()``.
    x_train : array_like, shape (N, ...)
        Finite inputs; each batch is passed to the model as is (the layers cast
        it to their dtype).
    y_train : array_like, shape (N,) or (N, ...), or a tuple of arrays
        Integer class labels in ``[0, C)`` for a model with ``C`` outputs, or
        regression targets.  For a model whose output is a tuple (e.g. an
        :class:`~cnnedu.nn.MultiHead`), a tuple of arrays of length N, one per
        output, e.g. ``(labels, boxes)``; the accuracy is then that of the
        first output.
    epochs : int, >= 1
        Passes over the training set.
    batch_size : int, 1 <= batch_size <= N
        Examples per gradient step.
    validation_data : (x_val, y_val), optional
        Held-out data evaluated after every epoch (batches of
        :data:`EVAL_BATCH_SIZE`).
    scheduler : optional
        A :class:`~cnnedu.optim.ReduceLROnPlateau` is stepped after each epoch
        with the validation accuracy if its ``mode`` is ``"max"`` (AlexNet:
        divide the learning rate by 10 when the validation accuracy plateaus),
        with the validation loss if its mode is ``"min"``; it needs
        ``validation_data``.  Any other scheduler's ``step()`` (e.g.
        :class:`MultiStepLR`) is called with no argument once per epoch.
    seed : int or numpy.random.Generator
        Source of the shuffling and of ``transform``'s randomness.  The same seed
        (and the same initial weights) gives the same history and weights.
    shuffle : bool
        If false, the batches are taken in order every epoch.
    transform : callable, optional
        ``transform(x_batch, rng) -> x_batch`` applied to each training batch
        (data augmentation, e.g. with :mod:`cnnedu.data.augment`); never to
        validation data.
    callbacks : sequence of callables
        Each is called as ``callback(epoch, history, model)`` after every epoch
        (``epoch`` is 1-based); if one returns ``True``, training stops early.
    progress : bool
        Show a ``tqdm.auto`` progress bar (a widget in Jupyter, text on stderr in
        a terminal): one bar over the epochs that stays, with the last epoch's
        loss and accuracy, and a bar over the current epoch's batches that is
        removed when the epoch ends.  ``False``: print nothing.

    Returns
    -------
    History
        One entry per epoch: train loss and accuracy (measured during the epoch),
        validation loss and accuracy, learning rate, seconds.

    Raises
    ------
    ValueError
        Bad data or settings, before any weight changes: lengths of ``x`` and
        ``y`` differ, labels outside ``[0, C)``, ``batch_size`` < 1 or larger
        than the training set, ``epochs`` < 1, NaN or inf in the data.
    TrainingDivergedError
        The output, loss or a gradient became NaN or infinite.  The weights (and
        buffers) are restored to those before the optimiser step that produced
        them (the last weights with a finite loss and finite gradients); the
        exception carries the ``epoch``, the ``batch`` and the ``history`` of the
        completed epochs.  The optimiser's state (momentum, Adam's moments) is
        not rolled back: make a new optimiser with a lower learning rate.

    Notes
    -----
    The model is left in the mode (training or evaluation) it was in.  Checking
    for divergence costs one copy of the weights per step (the "last good"
    weights), small next to a forward and backward pass.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnedu import nn, optim
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((200, 2)); y = (x[:, 0] > x[:, 1]).astype(np.int64)
    >>> net = nn.Linear(2, 2, rng=0)
    >>> h = fit(net, nn.CrossEntropyLoss(), optim.Adam(net.parameters(), lr=0.1), x, y,
    ...         epochs=5, batch_size=20, progress=False)
    >>> len(h), h.train_loss[-1] < h.train_loss[0], h.val_accuracy[-1]
    (5, True, nan)
    """
    fn = "fit"
    _check_model(fn, model)
    _check_loss(fn, loss_fn)
    if not (callable(getattr(optimizer, "step", None)) and callable(getattr(optimizer, "zero_grad", None))):
        raise TypeError(f"{fn}: optimizer must have step() and zero_grad(), e.g. "
                        f"optim.Adam(model.parameters()), got {type(optimizer).__name__}")
    x_train = _as_inputs(fn, "x_train", x_train)
    n = len(x_train)
    y_train = _as_target_set(fn, "y_train", y_train, n, "x_train", loss_fn)
    epochs = check_int(fn, "epochs", epochs, 1)
    batch_size = check_int(fn, "batch_size", batch_size)
    if not 1 <= batch_size <= n:
        raise ValueError(f"{fn}: batch_size must be between 1 and the number of training examples "
                         f"({n}), got {batch_size}")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError(f"{fn}: validation_data must be a pair (x_val, y_val), got "
                            f"{type(validation_data).__name__}")
        x_val = _as_inputs(fn, "x_val", validation_data[0])
        y_val = _as_target_set(fn, "y_val", validation_data[1], len(x_val), "x_val", loss_fn)
        if x_val.shape[1:] != x_train.shape[1:]:
            raise ValueError(f"{fn}: x_val must have the shape of x_train's examples {x_train.shape[1:]}, "
                             f"got {x_val.shape[1:]}")
    if isinstance(scheduler, ReduceLROnPlateau) and validation_data is None:
        raise ValueError(f"{fn}: ReduceLROnPlateau watches a validation metric: pass validation_data")
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"{fn}: scheduler must have a step() method, got {type(scheduler).__name__}")
    rng = check_rng(fn, seed, "seed")
    shuffle = check_bool(fn, "shuffle", shuffle)
    progress = check_bool(fn, "progress", progress)
    if transform is not None and not callable(transform):
        raise TypeError(f"{fn}: transform must be callable as transform(x_batch, rng), got "
                        f"{type(transform).__name__}")
    callbacks = list(callbacks)
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"{fn}: callbacks must be callables, got {type(cb).__name__}")

    params = list(model.parameters())
    n_batches = -(-n // batch_size)
    history = History()
    sums = _sums_losses(loss_fn)

    def diverged(epoch, batch, loss, what):
        lr = _lr(optimizer)
        return TrainingDivergedError(
            f"{fn}: training diverged at epoch {epoch}, batch {batch} of {n_batches}: {what}. "
            f"The model's weights were restored to the last ones with a finite loss and finite "
            f"gradients; the {len(history)} completed epoch(s) are in the exception's .history. "
            f"Lower the learning rate (now {lr:g}) and make a new optimiser.",
            epoch=epoch, batch=batch, loss=loss, history=history)

    outer = _progress(progress, total=epochs, desc="fit", unit="epoch", leave=True)
    previous_mode = model.training
    good = model.state_dict()    # the last weights known to give a finite loss and finite gradients
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            lr = _lr(optimizer)
            order = rng.permutation(n) if shuffle else np.arange(n)
            total_loss = correct = 0.0
            seen = 0
            model.train()
            inner = _progress(progress, total=n_batches, desc=f"epoch {epoch}/{epochs}", unit="batch",
                              leave=False)
            try:
                for b, s in enumerate(_batches(n, batch_size), start=1):
                    idx = order[s]
                    xb, yb = x_train[idx], _take(y_train, idx)
                    if transform is not None:
                        xb = transform(xb, rng)
                    optimizer.zero_grad()
                    out = model(xb)
                    if epoch == 1 and b == 1:
                        _check_label_range(fn, "y_train", y_train, out)
                        if validation_data is not None:
                            _check_label_range(fn, "y_val", y_val, out)
                    if not _finite(out):
                        model.load_state_dict(good)
                        raise diverged(epoch, b, math.nan, "the model's output contains NaN or inf")
                    loss = _loss(loss_fn, out, yb)
                    if not math.isfinite(loss):
                        model.load_state_dict(good)
                        raise diverged(epoch, b, loss, f"the loss is {loss}")
                    model.backward(loss_fn.backward())
                    if not _finite_grads(params):
                        model.load_state_dict(good)
                        raise diverged(epoch, b, loss, "a gradient contains NaN or inf")
                    good = model.state_dict()    # finite loss and gradients: these weights are good
                    optimizer.step()

                    seen += len(idx)
                    total_loss += loss if sums else loss * len(idx)
                    correct += _n_correct(out, yb)
                    inner.update()
                    if progress:
                        inner.set_postfix(loss=f"{total_loss / seen:.4f}",
                                          acc=f"{correct / seen:.4f}", refresh=False)
            finally:
                inner.close()

            if validation_data is not None:
                try:
                    val_loss, val_acc = _evaluate(fn, model, loss_fn, x_val, y_val, EVAL_BATCH_SIZE, "y_val",
                                                  check_finite=True)
                except _NonFinite:
                    model.load_state_dict(good)
                    raise diverged(epoch, n_batches, math.nan,
                                   "after the epoch's last step, the model's output on the validation "
                                   "data contains NaN or inf") from None
            else:
                val_loss = val_acc = math.nan
            history.append(train_loss=total_loss if sums else total_loss / n, train_accuracy=correct / n,
                           val_loss=val_loss, val_accuracy=val_acc, lr=lr,
                           epoch_time=time.perf_counter() - start)
            if isinstance(scheduler, ReduceLROnPlateau):
                scheduler.step(val_acc if scheduler.mode == "max" else val_loss)
            elif scheduler is not None:
                scheduler.step()

            outer.update()
            if progress:
                post = {"loss": f"{history.train_loss[-1]:.4f}", "acc": f"{history.train_accuracy[-1]:.4f}"}
                if validation_data is not None:
                    post.update(val_loss=f"{val_loss:.4f}", val_acc=f"{val_acc:.4f}")
                outer.set_postfix(post)
            if any([cb(epoch, history, model) is True for cb in callbacks]):
                break
    finally:
        outer.close()
        model.train(previous_mode)
    return history


# --------------------------------------------------------------------------- plotting


def plot_history(history: History, ax=None):
    """Plot the loss (left) and the accuracy (right) per epoch, training and validation.

    Epochs where the learning rate changed (e.g. reduced by
    :class:`~cnnedu.optim.ReduceLROnPlateau`) are marked with a dotted line.

    Parameters
    ----------
    history : History
    ax : sequence of two matplotlib Axes, optional
        Where to draw the loss and the accuracy; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> h = History(train_loss=[1.0, 0.5], train_accuracy=[0.6, 0.8], val_loss=[0.8, 0.6],
    ...             val_accuracy=[0.7, 0.75], lr=[1e-3, 1e-3], epoch_time=[5.0, 5.0])
    >>> len(plot_history(h).axes)
    2
    """
    fn = "plot_history"
    if not isinstance(history, History):
        raise TypeError(f"{fn}: history must be a History (what fit returns), got {type(history).__name__}")
    if ax is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    else:
        axes = list(ax) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
        if len(axes) != 2:
            raise ValueError(f"{fn}: ax must be a pair of Axes (loss, accuracy), got {len(axes)} Axes")
        fig = axes[0].figure
    epochs = history.epochs
    panels = (("loss", history.train_loss, history.val_loss),
              ("accuracy", history.train_accuracy, history.val_accuracy))
    for a, (name, train_values, val_values) in zip(axes, panels):
        if not np.all(np.isnan(train_values)):
            a.plot(epochs, train_values, "o-", label=f"training {name}")
        if not np.all(np.isnan(val_values)):
            a.plot(epochs, val_values, "s-", label=f"validation {name}")
        for e in range(1, len(history)):
            if history.lr[e] != history.lr[e - 1]:
                a.axvline(e + 0.5, color="0.5", linestyle=":", linewidth=1)
        a.set_xlabel("epoch")
        a.set_ylabel(name)
        a.set_title(name.capitalize())
        if epochs:
            a.set_xticks(epochs if len(epochs) <= 12 else epochs[::max(1, len(epochs) // 10)])
        a.grid(True, alpha=0.3)
        if a.get_legend_handles_labels()[0]:
            a.legend()
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- the LeNet-5 recipe


class MultiStepLR:
    r"""Multiply the learning rate by ``gamma`` after given epochs, as ``torch.optim.lr_scheduler.MultiStepLR``.

    :func:`fit` calls :meth:`step` once at the end of every epoch; after
    ``milestone`` calls, every parameter group's learning rate is multiplied by
    ``gamma``:

    .. math:: \eta_e = \eta_0\, \gamma^{\#\{m \in \text{milestones}\,:\, m < e\}}
              \qquad (e = 1, 2, \dots \text{ the epoch})

    A fixed schedule, unlike :class:`~cnnedu.optim.ReduceLROnPlateau`, needs no
    validation data (so the test set never steers training).

    Parameters
    ----------
    optimizer : cnnedu.optim.Optimizer
    milestones : sequence of int
        Epoch counts after which the learning rate drops (strictly increasing, >= 1).
    gamma : float in (0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> from cnnedu import optim
    >>> from cnnedu.nn import Parameter
    >>> opt = optim.Adam([Parameter(np.zeros(1))], lr=2e-3)
    >>> sched = MultiStepLR(opt, milestones=[2], gamma=0.1)
    >>> lrs = []
    >>> for epoch in range(4):
    ...     lrs.append(opt.param_groups[0]["lr"]); sched.step()
    >>> [round(lr, 6) for lr in lrs]
    [0.002, 0.002, 0.0002, 0.0002]
    """

    def __init__(self, optimizer, milestones, gamma: float = 0.1):
        fn = type(self).__name__
        if not isinstance(getattr(optimizer, "param_groups", None), list):
            raise TypeError(f"{fn}: optimizer must be a cnnedu.optim Optimizer, got {type(optimizer).__name__}")
        milestones = [check_int(fn, "milestones", m, 1) for m in milestones]
        if any(b <= a for a, b in zip(milestones, milestones[1:])):
            raise ValueError(f"{fn}: milestones must be strictly increasing, got {milestones}")
        if isinstance(gamma, (bool, np.bool_)) or not isinstance(gamma, numbers.Real) or not 0 < gamma <= 1:
            raise ValueError(f"{fn}: gamma must be in (0, 1], got {gamma!r}")
        self.optimizer, self.milestones, self.gamma = optimizer, milestones, float(gamma)
        self.last_epoch = 0

    def step(self) -> None:
        """End of an epoch: drop the learning rate if this epoch is a milestone."""
        self.last_epoch += 1
        if self.last_epoch in self.milestones:
            for group in self.optimizer.param_groups:
                group["lr"] *= self.gamma

    def get_last_lr(self) -> list[float]:
        return [g["lr"] for g in self.optimizer.param_groups]


@dataclass(frozen=True)
class Recipe:
    """Settings for training a network with :func:`fit` (see :func:`lenet5_recipe`).

    Attributes
    ----------
    optimizer : str
        The :mod:`cnnedu.optim` class.
    lr : float
        Initial learning rate.
    batch_size : int
    epochs : int
    lr_milestones : tuple of int
        Epochs after which the learning rate is multiplied by ``lr_gamma``.
    lr_gamma : float
    seed : int
        For the initial weights (``lenet5(rng=seed)``) and the shuffling (``fit(seed=seed)``).
    pad_to : int
        The 28x28 digits are zero-padded to ``pad_to x pad_to``.
    normalize : bool
        Subtract the training set's mean pixel and divide by its standard deviation.
    min_test_accuracy : float
        The accuracy on the 1,000 test digits the recipe is tested to reach.
    """

    optimizer: str
    lr: float
    batch_size: int
    epochs: int
    lr_milestones: tuple
    lr_gamma: float
    seed: int
    pad_to: int
    normalize: bool
    min_test_accuracy: float

    def load_data(self, source: str = "subset"):
        """MNIST as the recipe wants it: ``(x_train, y_train), (x_test, y_test)``.

        ``source`` as :func:`cnnedu.data.load_mnist`; the recipe's accuracy is
        measured on ``"subset"``.  With ``normalize``, the test images are
        normalised with the *training* mean and standard deviation.
        """
        from .data import load_mnist

        (x_train, y_train), (x_test, y_test) = load_mnist(source, pad_to=self.pad_to)
        if self.normalize:
            mean, std = x_train.mean(), x_train.std()
            x_train = (x_train - mean) / std
            x_test = (x_test - mean) / std
        return (x_train, y_train), (x_test, y_test)

    def make_optimizer(self, model):
        """``optim.<optimizer>(model.parameters(), lr=lr)``."""
        from . import optim

        return getattr(optim, self.optimizer)(model.parameters(), lr=self.lr)

    def make_scheduler(self, optimizer) -> MultiStepLR:
        """The learning-rate schedule: ``MultiStepLR(optimizer, lr_milestones, lr_gamma)``."""
        return MultiStepLR(optimizer, self.lr_milestones, self.lr_gamma)


def lenet5_recipe() -> Recipe:
    """The documented recipe for LeNet-5 on the 4,000 / 1,000 MNIST subset.

    Adam with learning rate 2e-3 for 8 epochs, then 2e-4 for 2 more; batches of
    64; the digits padded to 32x32 with pixel values in [0, 1] (no
    normalisation, no augmentation); seed 0.  On the 1,000 test digits it
    reaches at least ``min_test_accuracy`` = 96% (``tests/test_train.py``
    checks it end to end; ``docs/training.md`` has the measured accuracy, the
    spread over seeds and the time)::

        recipe = lenet5_recipe()
        (x_train, y_train), (x_test, y_test) = recipe.load_data()
        net = models.lenet5(rng=recipe.seed)
        optimizer = recipe.make_optimizer(net)
        history = fit(net, nn.CrossEntropyLoss(), optimizer, x_train, y_train,
                      epochs=recipe.epochs, batch_size=recipe.batch_size, seed=recipe.seed,
                      scheduler=recipe.make_scheduler(optimizer),
                      validation_data=(x_test, y_test))

    Examples
    --------
    >>> r = lenet5_recipe()
    >>> r.optimizer, r.lr, r.batch_size, r.epochs, r.lr_milestones
    ('Adam', 0.002, 64, 10, (8,))
    """
    return Recipe(optimizer="Adam", lr=2e-3, batch_size=64, epochs=10, lr_milestones=(8,), lr_gamma=0.1,
                  seed=0, pad_to=32, normalize=False, min_test_accuracy=0.96)
