r"""Upsampling by zero insertion and downsampling by decimation, in 1-D and 2-D.

These are the two halves of the lecture's account of stride:

* a convolution with stride :math:`S` equals a stride-1 convolution followed by
  :func:`downsample` (keep every :math:`S`-th sample);
* so its backward pass :func:`upsample` s the derivative maps (puts each value
  back at its position, zeros in between) before the stride-1 backward pass;
* and a transposed convolution is :func:`upsample` followed by a stride-1
  convolution.

:func:`upsample` and :func:`downsample` are each other's transpose, which is why
each one's backward pass is the other.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_real_array, common_float
from ._geometry import spatial

__all__ = ["upsample", "downsample", "upsample_backward", "downsample_backward"]


def _maps(fn, name, x):
    """Check that ``x`` is a batch of 1-D or 2-D maps; return it and the number of spatial dims."""
    try:
        ndim = np.ndim(x)
    except Exception:  # ragged nested lists: as_real_array reports them
        ndim = 4
    a = as_real_array(fn, name, x, ndim, "(N, C, L) or (N, C, H, W)")  # convertible, real
    if a.ndim not in (3, 4):
        raise ValueError(f"{fn}: {name} must be a 3-D (N, C, L) or 4-D (N, C, H, W) array, got shape {a.shape}")
    return a, a.ndim - 2


def upsample(x, factor):
    r"""Insert ``factor - 1`` zeros between neighbouring samples of each map.

    .. math:: u[\dots, (i-1)S + 1] = x[\dots, i], \qquad u = 0 \text{ elsewhere}

    (1-based, as in the lecture's ``upsample(dz, S)``), so a map of size :math:`n`
    becomes one of size :math:`(n-1)S + 1`: no zeros after the last sample.

    Parameters
    ----------
    x : array_like, shape (N, C, L) or (N, C, H, W)
    factor : int or tuple of int, one per spatial dimension, >= 1

    Returns
    -------
    u : ndarray, shape (N, C, (L-1)S+1) or (N, C, (H-1)S_h+1, (W-1)S_w+1)

    Examples
    --------
    >>> upsample([[[1, 2, 3]]], 2)
    array([[[1., 0., 2., 0., 3.]]])
    """
    fn = "upsample"
    x, nd = _maps(fn, "x", x)
    (x,) = common_float(x)
    s = spatial(fn, "factor", factor, nd)
    out = np.zeros((*x.shape[:2], *((n - 1) * f + 1 for n, f in zip(x.shape[2:], s))), dtype=x.dtype)
    out[(..., *(slice(None, None, f) for f in s))] = x
    return out


def downsample(x, factor):
    r"""Keep every ``factor``-th sample of each map, starting with the first.

    .. math:: d[\dots, i] = x[\dots, (i-1)S + 1]

    A map of size :math:`n` becomes one of size :math:`\lceil n/S \rceil`.

    Parameters
    ----------
    x : array_like, shape (N, C, L) or (N, C, H, W)
    factor : int or tuple of int, one per spatial dimension, >= 1

    Returns
    -------
    d : ndarray, shape (N, C, ceil(L/S)) or (N, C, ceil(H/S_h), ceil(W/S_w))

    Examples
    --------
    >>> downsample([[[1, 0, 2, 0, 3]]], 2)
    array([[[1., 2., 3.]]])
    """
    fn = "downsample"
    x, nd = _maps(fn, "x", x)
    (x,) = common_float(x)
    s = spatial(fn, "factor", factor, nd)
    # A copy even for factor 1: results never share memory with inputs.
    return x[(..., *(slice(None, None, f) for f in s))].copy()


def _check_pair(fn, dy, x, expected_fn, factor):
    dy, nd = _maps(fn, "dy", dy)
    x, nd_x = _maps(fn, "x", x)
    dy, x = common_float(dy, x)
    if nd != nd_x:
        raise ValueError(f"{fn}: dy and x must have the same number of dimensions, got {dy.shape} and {x.shape}")
    s = spatial(fn, "factor", factor, nd)
    expected = (*x.shape[:2], *(expected_fn(n, f) for n, f in zip(x.shape[2:], s)))
    if dy.shape != expected:
        raise ValueError(f"{fn}: dy must have the shape of the forward output {expected}, got {dy.shape}")
    return dy, s


def upsample_backward(dy, x, factor):
    r"""Gradient of :func:`upsample`: the derivative at the kept positions, i.e. :func:`downsample` of ``dy``.

    Parameters
    ----------
    dy : array_like, shape of ``upsample(x, factor)``
    x : array_like, the input of the forward pass (only its shape is used)
    factor : int or tuple of int

    Returns
    -------
    dx : ndarray, shape of ``x``
    """
    fn = "upsample_backward"
    dy, s = _check_pair(fn, dy, x, lambda n, f: (n - 1) * f + 1, factor)
    return downsample(dy, s)


def downsample_backward(dy, x, factor):
    r"""Gradient of :func:`downsample`: ``dy`` put back at the kept positions, zeros elsewhere.

    Unlike :func:`upsample`, the result has the size of ``x`` (which may extend
    up to ``factor - 1`` samples past the last kept one).

    Parameters
    ----------
    dy : array_like, shape of ``downsample(x, factor)``
    x : array_like, the input of the forward pass (only its shape is used)
    factor : int or tuple of int

    Returns
    -------
    dx : ndarray, shape of ``x``
    """
    fn = "downsample_backward"
    dy, s = _check_pair(fn, dy, x, lambda n, f: -(-n // f), factor)
    x_shape = np.shape(x)
    dx = np.zeros(x_shape, dtype=dy.dtype)
    dx[(..., *(slice(None, None, f) for f in s))] = dy
    return dx
