r"""Numerical gradients: check any backward pass in one line.

A backward pass claims :math:`\partial L/\partial x` for a scalar loss
:math:`L`.  For a function :math:`f` with array output we take the loss the
backward pass is given, :math:`L = \sum dy \odot f(x)`, so the claimed gradient
is the backward pass applied to ``dy``.  Central differences estimate each
component:

.. math::

    \frac{\partial L}{\partial x_i} \approx \frac{L(x + \epsilon e_i) - L(x - \epsilon e_i)}{2\epsilon}

with an error :math:`O(\epsilon^2)` (the second-order terms of the Taylor
series cancel) plus a rounding error of about :math:`10^{-16}|L|/\epsilon`;
:math:`\epsilon = 10^{-6}` in float64 balances the two for inputs of order 1.
The estimate is exact (up to rounding) for functions that are linear near
:math:`x`, like convolution, and wrong for a kink within :math:`\epsilon` of
:math:`x` (max pooling with near-ties, :math:`|x|` near 0).

Typical use, in a test or a notebook::

    from cnnedu.gradcheck import gradcheck
    dx, dw, db = F.conv2d_backward(dy, x, w, stride=2)
    assert gradcheck(lambda x, w: F.conv2d(x, w, stride=2), (x, w), (dx, dw), dy=dy)
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

__all__ = ["numerical_gradient", "relative_error", "gradcheck", "GradcheckResult"]


# ---------------------------------------------------------------------------
# Argument checks
# ---------------------------------------------------------------------------

def _check_callable(fn, f):
    if not callable(f):
        raise TypeError(f"{fn}: f must be callable, got {f!r} ({type(f).__name__})")


def _check_positive(fn, name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{fn}: {name} must be positive and finite, got {value!r}")
    return value


def _check_wrt(fn, wrt, n_args):
    """``wrt`` as a tuple of distinct argument indices."""
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    if not items:
        raise ValueError(f"{fn}: wrt must name at least one argument, got {wrt!r}")
    for i in items:
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, numbers.Integral):
            raise TypeError(f"{fn}: wrt must be an int or a tuple of ints, got {wrt!r}")
        if not 0 <= i < n_args:
            raise ValueError(f"{fn}: wrt must index one of the {n_args} arguments (0 to {n_args - 1}), got {i!r}")
    if len(set(items)) != len(items):
        raise ValueError(f"{fn}: wrt must not repeat an argument, got {wrt!r}")
    return tuple(int(i) for i in items)


def _as_float64(fn, name, a):
    """A float64 copy of a real array-like (never a view of the caller's array)."""
    try:
        arr = np.array(a, dtype=None, copy=True)
    except Exception as exc:
        raise TypeError(f"{fn}: {name} must be a real numeric array, could not convert it: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {name} must be a real numeric array, got dtype {arr.dtype}")
    return arr.astype(np.float64)


# ---------------------------------------------------------------------------
# Numerical gradient
# ---------------------------------------------------------------------------

def _loss(fn, f, args, dy):
    """L = sum(dy * f(*args)), or sum(f(*args)) when dy is None."""
    out = np.asarray(f(*args), dtype=np.float64)
    if dy is None:
        return float(out.sum())
    if out.shape != dy.shape:
        raise ValueError(f"{fn}: dy must have the shape of f's output {out.shape}, got {dy.shape}")
    return float(np.sum(dy * out))


def numerical_gradient(f, *args, wrt=0, dy=None, eps=1e-6):
    r"""Central-difference gradient of :math:`L = \sum dy \odot f(\text{args})`.

    .. math::

        g_i = \frac{L(\dots, x + \epsilon e_i, \dots) - L(\dots, x - \epsilon e_i, \dots)}{2\epsilon}
            = \frac{\partial L}{\partial x_i} + O(\epsilon^2)

    for every element :math:`i` of ``x = args[wrt]``, one element at a time, in
    float64.

    Parameters
    ----------
    f : callable
        ``f(*args)`` returns an array (or a scalar).
    *args
        The arguments of ``f``.  The ones named by ``wrt``, and every other
        floating-point ndarray, are passed as float64 copies: the caller's
        arrays are never modified.
    wrt : int or tuple of int, default 0
        Index (or indices) into ``args`` of the input(s) to differentiate.
    dy : array_like, optional
        Weights of the outputs in the loss, shaped like ``f``'s output.  If None,
        :math:`L = \sum f(\text{args})` (just :math:`f` when it returns a scalar).
    eps : float, default 1e-6
        The step :math:`\epsilon`.

    Returns
    -------
    grad : ndarray (float64, shape of ``args[wrt]``), or a tuple of them if ``wrt`` is a tuple.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 2.0, 3.0])
    >>> numerical_gradient(lambda x: np.sum(x ** 3), x).round(6)        # 3 x^2
    array([ 3., 12., 27.])
    >>> numerical_gradient(lambda a, b: a * b, x, 10 * x, wrt=1, dy=[1, 0, 1]).round(6)
    array([1., 0., 3.])
    """
    fn = "numerical_gradient"
    _check_callable(fn, f)
    indices = _check_wrt(fn, wrt, len(args))
    eps = _check_positive(fn, "eps", eps)
    dy = None if dy is None else _as_float64(fn, "dy", dy)
    args = [_as_float64(fn, f"args[{i}]", a) if i in indices
            else (a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a)
            for i, a in enumerate(args)]

    grads = []
    for i in indices:
        x = args[i]                      # our own copy: perturbed in place, then restored
        g = np.zeros_like(x)
        for k in np.ndindex(x.shape):
            saved = x[k]
            x[k] = saved + eps
            loss_plus = _loss(fn, f, args, dy)
            x[k] = saved - eps
            loss_minus = _loss(fn, f, args, dy)
            x[k] = saved
            g[k] = (loss_plus - loss_minus) / (2 * eps)
        grads.append(g)
    return tuple(grads) if isinstance(wrt, tuple) else grads[0]


# ---------------------------------------------------------------------------
# Comparing gradients
# ---------------------------------------------------------------------------

def relative_error(a, b):
    r"""Relative distance between two arrays of the same shape.

    .. math:: \frac{\lVert a - b \rVert_2}{\max(\lVert a \rVert_2 + \lVert b \rVert_2,\ \text{tiny})}

    with :math:`\lVert\cdot\rVert_2` the Euclidean norm of all elements.  It lies
    in :math:`[0, 1]`: 0 when ``a == b`` (including both zero), 1 when one of
    them is zero and the other is not or when ``b = -a``.  It is symmetric and
    scale-free, so one tolerance fits gradients of any size; it is NaN if an
    input holds NaN.

    Raises ``ValueError`` if the shapes differ (no broadcasting).

    Examples
    --------
    >>> relative_error([1.0, 2.0], [1.0, 2.0])
    0.0
    >>> relative_error([0.0, 0.0], [0.0, 0.0])
    0.0
    >>> round(relative_error([1.0, 0.0], [0.0, 1.0]), 4)      # sqrt(2) / 2
    0.7071
    """
    fn = "relative_error"
    a, b = _as_float64(fn, "a", a), _as_float64(fn, "b", b)
    if a.shape != b.shape:
        raise ValueError(f"{fn}: a and b must have the same shape, got {a.shape} and {b.shape}")
    den = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / max(den, np.finfo(np.float64).tiny))


@dataclass(frozen=True)
class GradcheckResult:
    """Outcome of :func:`gradcheck`; true exactly when every checked gradient passed.

    Attributes
    ----------
    errors : dict of int to float
        :func:`relative_error` between the given and the numerical gradient, per
        checked argument index.
    tol : float
        The tolerance every error must not exceed.
    numerical : dict of int to ndarray
        The numerical gradients, to look at when a check fails.
    """

    errors: dict
    tol: float
    numerical: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def max_error(self) -> float:
        """The largest relative error (NaN if any error is NaN)."""
        values = list(self.errors.values())
        return float("nan") if any(np.isnan(values)) else max(values)

    @property
    def passed(self) -> bool:
        """True if every error is at most ``tol`` (a NaN error fails)."""
        return bool(self.max_error <= self.tol)

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        errors = ", ".join(f"args[{i}]: {e:.2e}" for i, e in self.errors.items())
        return (f"GradcheckResult(passed={self.passed}, max_error={self.max_error:.2e}, "
                f"tol={self.tol:.0e}, errors={{{errors}}})")


def gradcheck(f, args, grads, dy=None, wrt=None, eps=1e-6, tol=1e-6):
    r"""Compare claimed gradients of :math:`L = \sum dy \odot f(\text{args})` with numerical ones.

    For every checked argument :math:`i`,
    ``relative_error(grads[i], numerical_gradient(f, *args, wrt=i, dy=dy, eps=eps))``
    must be at most ``tol``.

    Parameters
    ----------
    f : callable
    args : tuple or list
        The arguments of ``f``.
    grads : tuple or list, same length as ``args``
        The gradient claimed for each argument (e.g. a backward pass's output),
        or None for an argument not to check.
    dy : array_like, optional
        Shaped like ``f``'s output; None means :math:`L = \sum f`.
    wrt : int or tuple of int, optional
        Arguments to check.  Default: every argument whose gradient is given.
    eps : float, default 1e-6
        Central-difference step.
    tol : float, default 1e-6
        Largest relative error that passes.

    Returns
    -------
    GradcheckResult
        True in a boolean context exactly when every error is at most ``tol``; its
        repr lists the errors, so ``assert gradcheck(...)`` explains a failure.

    Examples
    --------
    >>> import numpy as np
    >>> x, w = np.array([1.0, -2.0, 0.5]), np.array([3.0, 1.0, -1.0])
    >>> f = lambda x, w: x * w
    >>> dy = np.array([1.0, 2.0, 3.0])
    >>> bool(gradcheck(f, (x, w), (w * dy, x * dy), dy=dy))
    True
    >>> gradcheck(f, (x, w), (2 * w * dy, None), dy=dy)   # a wrong gradient
    GradcheckResult(passed=False, max_error=3.33e-01, tol=1e-06, errors={args[0]: 3.33e-01})
    """
    fn = "gradcheck"
    _check_callable(fn, f)
    for name, seq in (("args", args), ("grads", grads)):
        if not isinstance(seq, (tuple, list)):
            raise TypeError(f"{fn}: {name} must be a tuple or list, got {type(seq).__name__}")
    if len(grads) != len(args):
        raise ValueError(f"{fn}: grads must have one entry (or None) per argument: "
                         f"{len(args)} args but {len(grads)} grads")
    if wrt is None:
        wrt = tuple(i for i, g in enumerate(grads) if g is not None)
        if not wrt:
            raise ValueError(f"{fn}: grads are all None, nothing to check")
    indices = _check_wrt(fn, wrt, len(args))
    for i in indices:
        if grads[i] is None:
            raise ValueError(f"{fn}: wrt includes argument {i} but grads[{i}] is None")
        if np.shape(grads[i]) != np.shape(args[i]):
            raise ValueError(f"{fn}: grads[{i}] must have the shape of args[{i}] {np.shape(args[i])}, "
                             f"got {np.shape(grads[i])}")
    tol = _check_positive(fn, "tol", tol)

    numerical = numerical_gradient(f, *args, wrt=indices, dy=dy, eps=eps)
    errors = {i: relative_error(grads[i], g) for i, g in zip(indices, numerical)}
    return GradcheckResult(errors=errors, tol=tol, numerical=dict(zip(indices, numerical)))
