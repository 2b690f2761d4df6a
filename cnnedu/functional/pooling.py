r"""Pooling (max, mean, p-norm), forward and backward, in 1-D and 2-D.

A pooling layer scans each map separately with a :math:`K_h \times K_w` window
moved by the stride :math:`S` (by default equal to the window: non-overlapping
pools, the lecture's downsampling) and replaces each window by one number:

* max pooling: :math:`y = \max_{(h, w) \in \text{window}} x[h, w]`
* mean pooling: :math:`y = \frac{1}{K_hK_w} \sum_{(h, w) \in \text{window}} x[h, w]`
* p-norm pooling: :math:`y = \left(\frac{1}{K_hK_w} \sum_{(h, w)} |x[h, w]|^p\right)^{1/p}`

Backward, max pooling routes each window's derivative to the position of its
maximum, mean pooling spreads it evenly over the window, and where windows
overlap the contributions add up (the lecture's ``+=``).

Padding: max pooling pads with :math:`-\infty` (a padded position is never the
maximum); mean pooling pads with zeros that *count* in the mean (PyTorch's
``count_include_pad=True``).  Every window must contain at least one input
element.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._checks import as_real_array, check_real, common_float, fmt_size
from ._geometry import Geometry, check_dy, drop, layout, lift, spatial, window_geometry

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool1d_backward", "max_pool2d_backward",
    "avg_pool1d", "avg_pool2d", "avg_pool1d_backward", "avg_pool2d_backward",
    "lp_pool1d", "lp_pool2d", "lp_pool1d_backward", "lp_pool2d_backward",
]


# ---------------------------------------------------------------------------
# Numba kernels, one loop over the (sample, channel) maps.  They run on the calling
# thread: pooling is memory-bound, and in a network it alternates with BLAS calls,
# whose threads would fight a Numba thread pool for the cores (see _im2col.py).
# Window (p, q) covers rows [p*sh - ph, p*sh - ph + kh) clipped to the input.
# ---------------------------------------------------------------------------

@njit(cache=True)
def _max_pool(x, y, arg, kh, kw, sh, sw, ph, pw):
    """y = window maxima, arg = flat index h*W + w of each maximum (first one on ties).

    NaN propagates: a window holding a NaN has maximum NaN.
    """
    n_, c_, h_, w_ = x.shape
    oh, ow = y.shape[2], y.shape[3]
    for nc in range(n_ * c_):
        n = nc // c_
        c = nc - n * c_
        for p in range(oh):
            h0 = max(p * sh - ph, 0)
            h1 = min(p * sh - ph + kh, h_)
            for q in range(ow):
                w0 = max(q * sw - pw, 0)
                w1 = min(q * sw - pw + kw, w_)
                best = x[n, c, h0, w0]
                where = h0 * w_ + w0
                for h in range(h0, h1):
                    for w in range(w0, w1):
                        v = x[n, c, h, w]
                        if v > best or (v != v and best == best):
                            best = v
                            where = h * w_ + w
                y[n, c, p, q] = best
                arg[n, c, p, q] = where


@njit(cache=True)
def _max_pool_backward(dy, arg, dx):
    """dx[argmax of each window] += dy of that window."""
    n_, c_, h_, w_ = dx.shape
    oh, ow = dy.shape[2], dy.shape[3]
    for nc in range(n_ * c_):
        n = nc // c_
        c = nc - n * c_
        for p in range(oh):
            for q in range(ow):
                k = arg[n, c, p, q]
                dx[n, c, k // w_, k % w_] += dy[n, c, p, q]


@njit(cache=True)
def _avg_pool(x, y, kh, kw, sh, sw, ph, pw):
    n_, c_, h_, w_ = x.shape
    oh, ow = y.shape[2], y.shape[3]
    scale = 1.0 / (kh * kw)
    for nc in range(n_ * c_):
        n = nc // c_
        c = nc - n * c_
        for p in range(oh):
            h0 = max(p * sh - ph, 0)
            h1 = min(p * sh - ph + kh, h_)
            for q in range(ow):
                w0 = max(q * sw - pw, 0)
                w1 = min(q * sw - pw + kw, w_)
                s = 0.0
                for h in range(h0, h1):
                    for w in range(w0, w1):
                        s += x[n, c, h, w]
                y[n, c, p, q] = s * scale


@njit(cache=True)
def _avg_pool_backward(dy, dx, kh, kw, sh, sw, ph, pw):
    n_, c_, h_, w_ = dx.shape
    oh, ow = dy.shape[2], dy.shape[3]
    scale = 1.0 / (kh * kw)
    for nc in range(n_ * c_):
        n = nc // c_
        c = nc - n * c_
        for p in range(oh):
            h0 = max(p * sh - ph, 0)
            h1 = min(p * sh - ph + kh, h_)
            for q in range(ow):
                w0 = max(q * sw - pw, 0)
                w1 = min(q * sw - pw + kw, w_)
                g = dy[n, c, p, q] * scale
                for h in range(h0, h1):
                    for w in range(w0, w1):
                        dx[n, c, h, w] += g


@njit(cache=True)
def _lp_pool(x, y, power, kh, kw, sh, sw):
    """y = (mean |x|^p)^(1/p), computed as m (mean (|x|/m)^p)^(1/p), m = max |x|, to avoid overflow."""
    n_, c_, h_, w_ = x.shape
    oh, ow = y.shape[2], y.shape[3]
    scale = 1.0 / (kh * kw)
    for nc in range(n_ * c_):
        n = nc // c_
        c = nc - n * c_
        for p in range(oh):
            for q in range(ow):
                m = 0.0
                for h in range(p * sh, p * sh + kh):
                    for w in range(q * sw, q * sw + kw):
                        a = abs(x[n, c, h, w])
                        if a > m or a != a:
                            m = a
                if m == 0.0 or m != m or m == np.inf:
                    y[n, c, p, q] = m
                    continue
                s = 0.0
                for h in range(p * sh, p * sh + kh):
                    for w in range(q * sw, q * sw + kw):
                        s += (abs(x[n, c, h, w]) / m) ** power
                y[n, c, p, q] = m * (s * scale) ** (1.0 / power)


@njit(cache=True)
def _lp_pool_backward(dy, x, y, dx, power, kh, kw, sh, sw):
    """dx += dy (1/K) sign(x) (|x|/y)^(p-1); zero where y == 0 (a subgradient)."""
    n_, c_, h_, w_ = x.shape
    oh, ow = y.shape[2], y.shape[3]
    scale = 1.0 / (kh * kw)
    for nc in range(n_ * c_):
        n = nc // c_
        c = nc - n * c_
        for p in range(oh):
            for q in range(ow):
                yv = y[n, c, p, q]
                if yv == 0.0:
                    continue
                g = dy[n, c, p, q] * scale
                for h in range(p * sh, p * sh + kh):
                    for w in range(q * sw, q * sw + kw):
                        v = x[n, c, h, w]
                        if v != 0.0:
                            d = g * (abs(v) / yv) ** (power - 1.0)
                            dx[n, c, h, w] += d if v > 0 else -d


# ---------------------------------------------------------------------------
# Argument checking
# ---------------------------------------------------------------------------

def _pool_args(fn, nd, x, kernel_size, stride, padding):
    x = as_real_array(fn, "x", x, nd + 2, layout(nd))
    if any(s < 1 for s in x.shape[1:]):
        raise ValueError(f"{fn}: x must have channels and spatial sizes of at least 1, got shape {x.shape}")
    kernel = spatial(fn, "kernel_size", kernel_size, nd)
    stride = kernel if stride is None else spatial(fn, "stride", stride, nd)
    g = window_geometry(fn, nd, x.shape[2:], kernel, stride, padding, (1,) * nd, has_dilation=False)
    # A window made only of padding has no maximum; forbid it for every kind of pooling.
    for d in range(2 - nd, 2):
        first_empty = g.pad_lo[d] >= g.kernel[d]
        last_empty = (g.out_size[d] - 1) * g.stride[d] - g.pad_lo[d] >= g.in_size[d]
        if first_empty or last_empty:
            raise ValueError(
                f"{fn}: padding ({g.pad_lo[d]}, {g.pad_hi[d]}) leaves a window of size "
                f"{fmt_size(kernel)} with no input element; use a padding smaller than the window"
            )
    return x, g


def _backward_args(fn, nd, dy, x, kernel_size, stride, padding):
    x, g = _pool_args(fn, nd, x, kernel_size, stride, padding)
    dy = as_real_array(fn, "dy", dy, nd + 2, layout(nd))
    check_dy(fn, dy, (*x.shape[:2], *g.out_size[-nd:]))
    dy, x = common_float(dy, x)
    return lift(dy, nd), lift(x, nd), g


def _window(g: Geometry):
    return (*g.kernel, *g.stride, *g.pad_lo)


def _empty_out(x4, g, dtype=None):
    return np.empty((*x4.shape[:2], *g.out_size), dtype=dtype or x4.dtype)


# ---------------------------------------------------------------------------
# Max pooling
# ---------------------------------------------------------------------------

def _max_pool_run(x4, g):
    y = _empty_out(x4, g)
    arg = _empty_out(x4, g, np.int64)
    _max_pool(x4, y, arg, *_window(g))
    return y, arg


def _max_pool_fwd(fn, nd, x, kernel_size, stride, padding):
    x, g = _pool_args(fn, nd, x, kernel_size, stride, padding)
    (x,) = common_float(x)
    return drop(_max_pool_run(lift(x, nd), g)[0], nd)


def _max_pool_bwd(fn, nd, dy, x, kernel_size, stride, padding):
    dy4, x4, g = _backward_args(fn, nd, dy, x, kernel_size, stride, padding)
    _, arg = _max_pool_run(x4, g)
    dx = np.zeros_like(x4)
    _max_pool_backward(dy4, arg, dx)
    return drop(dx, nd)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    r"""2-D max pooling, as ``torch.nn.functional.max_pool2d``.

    .. math:: y[n, c, p, q] = \max_{0 \le i < K_h,\; 0 \le j < K_w} x[n, c, pS_h - P_h + i, qS_w - P_w + j]

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size`` (non-overlapping pools).
    padding : int, (int, int), ((top, bottom), (left, right)), "valid" or "same"
        Padded positions count as :math:`-\infty`.

    Returns
    -------
    y : ndarray, shape (N, C, H_out, W_out), ``H_out = pool_output_size(H, K_h, S_h, padding)``

    Examples
    --------
    The lecture's single depth slice, 2x2 pools with stride 2:

    >>> x = [[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]]
    >>> max_pool2d(x, 2)[0, 0]
    array([[6., 8.],
           [3., 4.]])
    """
    return _max_pool_fwd("max_pool2d", 2, x, kernel_size, stride, padding)


def max_pool1d(x, kernel_size, stride=None, padding=0):
    r"""1-D max pooling: :math:`y[n, c, t] = \max_{0 \le i < K} x[n, c, tS - P + i]`.

    Parameters
    ----------
    x : array_like, shape (N, C, L)
    kernel_size, stride : int (stride defaults to kernel_size)
    padding : int, (lo, hi), "valid" or "same"

    Returns
    -------
    y : ndarray, shape (N, C, L_out)

    Examples
    --------
    >>> max_pool1d([[[1, 3, 2, 5, 4, 0]]], 2)
    array([[[3., 5., 4.]]])
    """
    return _max_pool_fwd("max_pool1d", 1, x, kernel_size, stride, padding)


def max_pool2d_backward(dy, x, kernel_size, stride=None, padding=0):
    r"""Gradient of :func:`max_pool2d` with respect to ``x``.

    Each window's derivative goes to the position of its maximum (the first one,
    in row-major order, on ties); where windows overlap, contributions add up:

    .. math:: \frac{\partial L}{\partial x[n, c, h, w]} = \sum_{(p, q):\ \arg\max\text{ of window }(p, q) = (h, w)} dy[n, c, p, q]

    Parameters
    ----------
    dy : array_like, shape (N, C, H_out, W_out)
    x, kernel_size, stride, padding
        As given to :func:`max_pool2d`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)

    Examples
    --------
    >>> x = [[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]]
    >>> max_pool2d_backward([[[[1, 2], [3, 4]]]], x, 2)[0, 0]
    array([[0., 0., 0., 0.],
           [0., 1., 0., 2.],
           [3., 0., 0., 0.],
           [0., 0., 0., 4.]])
    """
    return _max_pool_bwd("max_pool2d_backward", 2, dy, x, kernel_size, stride, padding)


def max_pool1d_backward(dy, x, kernel_size, stride=None, padding=0):
    r"""Gradient of :func:`max_pool1d` with respect to ``x``; see :func:`max_pool2d_backward`.

    Returns
    -------
    dx : ndarray, shape (N, C, L)
    """
    return _max_pool_bwd("max_pool1d_backward", 1, dy, x, kernel_size, stride, padding)


# ---------------------------------------------------------------------------
# Mean pooling
# ---------------------------------------------------------------------------

def _avg_pool_fwd(fn, nd, x, kernel_size, stride, padding):
    x, g = _pool_args(fn, nd, x, kernel_size, stride, padding)
    (x,) = common_float(x)
    x4 = lift(x, nd)
    y = _empty_out(x4, g)
    _avg_pool(x4, y, *_window(g))
    return drop(y, nd)


def _avg_pool_bwd(fn, nd, dy, x, kernel_size, stride, padding):
    dy4, x4, g = _backward_args(fn, nd, dy, x, kernel_size, stride, padding)
    dx = np.zeros_like(x4)
    _avg_pool_backward(dy4, dx, *_window(g))
    return drop(dx, nd)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    r"""2-D mean pooling, as ``torch.nn.functional.avg_pool2d`` (``count_include_pad=True``).

    .. math:: y[n, c, p, q] = \frac{1}{K_hK_w} \sum_{i, j} x[n, c, pS_h - P_h + i, qS_w - P_w + j]

    Padded zeros count in the mean.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.
    padding : int, (int, int), ((top, bottom), (left, right)), "valid" or "same"

    Returns
    -------
    y : ndarray, shape (N, C, H_out, W_out)

    Examples
    --------
    The lecture's mean-pooling example:

    >>> x = [[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]]
    >>> avg_pool2d(x, 2)[0, 0]
    array([[3.25, 5.25],
           [2.  , 2.  ]])
    """
    return _avg_pool_fwd("avg_pool2d", 2, x, kernel_size, stride, padding)


def avg_pool1d(x, kernel_size, stride=None, padding=0):
    r"""1-D mean pooling: :math:`y[n, c, t] = \frac{1}{K}\sum_{i} x[n, c, tS - P + i]`.

    Returns
    -------
    y : ndarray, shape (N, C, L_out)

    Examples
    --------
    >>> avg_pool1d([[[1, 3, 2, 6]]], 2)
    array([[[2., 4.]]])
    """
    return _avg_pool_fwd("avg_pool1d", 1, x, kernel_size, stride, padding)


def avg_pool2d_backward(dy, x, kernel_size, stride=None, padding=0):
    r"""Gradient of :func:`avg_pool2d`: each window's derivative spread evenly over it.

    .. math:: \frac{\partial L}{\partial x[n, c, h, w]} = \frac{1}{K_hK_w}\sum_{(p, q):\ (h, w) \in \text{window}(p, q)} dy[n, c, p, q]

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)

    Examples
    --------
    >>> avg_pool2d_backward([[[[4.0]]]], [[[[1, 2], [3, 4]]]], 2)[0, 0]
    array([[1., 1.],
           [1., 1.]])
    """
    return _avg_pool_bwd("avg_pool2d_backward", 2, dy, x, kernel_size, stride, padding)


def avg_pool1d_backward(dy, x, kernel_size, stride=None, padding=0):
    r"""Gradient of :func:`avg_pool1d`; see :func:`avg_pool2d_backward`.

    Returns
    -------
    dx : ndarray, shape (N, C, L)
    """
    return _avg_pool_bwd("avg_pool1d_backward", 1, dy, x, kernel_size, stride, padding)


# ---------------------------------------------------------------------------
# p-norm pooling
# ---------------------------------------------------------------------------

def _lp_args(fn, nd, x, p, kernel_size, stride):
    p = check_real(fn, "p", p, 1.0)
    x, g = _pool_args(fn, nd, x, kernel_size, stride, 0)
    return x, p, g


def _lp_pool_fwd(fn, nd, x, p, kernel_size, stride):
    x, p, g = _lp_args(fn, nd, x, p, kernel_size, stride)
    (x,) = common_float(x)
    x4 = lift(x, nd)
    y = _empty_out(x4, g)
    _lp_pool(x4, y, p, *g.kernel, *g.stride)
    return drop(y, nd)


def _lp_pool_bwd(fn, nd, dy, x, p, kernel_size, stride):
    p = check_real(fn, "p", p, 1.0)
    dy4, x4, g = _backward_args(fn, nd, dy, x, kernel_size, stride, 0)
    y = _empty_out(x4, g)
    dx = np.zeros_like(x4)
    _lp_pool(x4, y, p, *g.kernel, *g.stride)
    _lp_pool_backward(dy4, x4, y, dx, p, *g.kernel, *g.stride)
    return drop(dx, nd)


def lp_pool2d(x, p, kernel_size, stride=None):
    r"""2-D p-norm pooling with the lecture's definition (a *mean*, not a sum).

    .. math:: y[n, c, u, v] = \left( \frac{1}{K_hK_w} \sum_{i, j} |x[n, c, uS_h + i, vS_w + j]|^p \right)^{1/p}

    For :math:`p = 1` this is the mean of :math:`|x|`, and as :math:`p \to \infty`
    it tends to the max of :math:`|x|`, so :math:`p` moves between mean and max
    pooling.  For :math:`x \ge 0` (e.g. after a ReLU, the lecture's setting) the
    absolute value changes nothing.

    How it differs from ``torch.nn.functional.lp_pool2d(x, p, k)``: PyTorch sums
    instead of averaging, :math:`(\sum x^p)^{1/p} = (K_hK_w)^{1/p}\, y`, and uses
    :math:`x^p` rather than :math:`|x|^p` (so its result for negative inputs and
    odd :math:`p` differs, and is NaN for fractional :math:`p`).

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    p : float, >= 1
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.

    Returns
    -------
    y : ndarray, shape (N, C, H_out, W_out)

    Examples
    --------
    The lecture's p-norm example (p = 5, 2x2 pools, stride 2):

    >>> x = [[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]]
    >>> lp_pool2d(x, 5, 2)[0, 0].round(3)
    array([[4.865, 6.614],
           [2.384, 3.164]])

    The slide prints 4.86, 8, 2.38 and 3.16: truncated to two decimals, and with
    the top-right window's *maximum* (8) where its 5-norm mean, 6.614, belongs.
    """
    return _lp_pool_fwd("lp_pool2d", 2, x, p, kernel_size, stride)


def lp_pool1d(x, p, kernel_size, stride=None):
    r"""1-D p-norm pooling: :math:`y[n, c, t] = (\frac{1}{K}\sum_i |x[n, c, tS + i]|^p)^{1/p}`.

    See :func:`lp_pool2d` for how it differs from PyTorch's.

    Returns
    -------
    y : ndarray, shape (N, C, L_out)

    Examples
    --------
    >>> lp_pool1d([[[3, 4]]], 2, 2).round(4)        # sqrt((9 + 16) / 2)
    array([[[3.5355]]])
    """
    return _lp_pool_fwd("lp_pool1d", 1, x, p, kernel_size, stride)


def lp_pool2d_backward(dy, x, p, kernel_size, stride=None):
    r"""Gradient of :func:`lp_pool2d` with respect to ``x``.

    .. math:: \frac{\partial y}{\partial x_{ij}} = \frac{1}{K_hK_w}\,\operatorname{sign}(x_{ij}) \left(\frac{|x_{ij}|}{y}\right)^{p-1}

    summed over the windows containing :math:`x_{ij}`; zero where :math:`y = 0`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    """
    return _lp_pool_bwd("lp_pool2d_backward", 2, dy, x, p, kernel_size, stride)


def lp_pool1d_backward(dy, x, p, kernel_size, stride=None):
    r"""Gradient of :func:`lp_pool1d`; see :func:`lp_pool2d_backward`.

    Returns
    -------
    dx : ndarray, shape (N, C, L)
    """
    return _lp_pool_bwd("lp_pool1d_backward", 1, dy, x, p, kernel_size, stride)
