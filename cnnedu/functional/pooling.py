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

import functools

import numpy as np
from numba import njit

from .._checks import as_real_array, check_bool, check_real, common_float, fmt_size
from ._geometry import Geometry, check_dy, drop, layout, lift, spatial, window_geometry
from ._parallel import split_batch

#: Poolings that visit fewer window elements than this (outputs x window size) run on
#: the calling thread.  Waking another thread and waiting for it costs 50-100 us on the
#: 2-core development machines, more than it saves on LeNet-5's layers (0.1-0.3 ms);
#: above ~1M visits (VGG-sized maps, overlapping 3x3 windows) two threads are 1.4-1.8x
#: faster (docs/performance.md).
PARALLEL_MIN_WORK = 1 << 20

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool1d_backward", "max_pool2d_backward",
    "avg_pool1d", "avg_pool2d", "avg_pool1d_backward", "avg_pool2d_backward",
    "lp_pool1d", "lp_pool2d", "lp_pool1d_backward", "lp_pool2d_backward",
]


# ---------------------------------------------------------------------------
# Numba kernels, one loop over the (sample, channel) maps.  No Numba thread pool (its
# threads and BLAS's would spin against each other, see _parallel.py): a large batch
# is cut into slices that Python threads run at once (the kernels release the GIL),
# as convolution does; small ones run on the calling thread.
# Window (p, q) covers rows [p*sh - ph, p*sh - ph + kh) clipped to the input.
#
# The forward kernels unroll the 2x2 window (LeNet's, VGG's, most networks'): a loop
# of two iterations costs more than the four comparisons or additions it runs, so the
# unrolled code is 2-3x faster.  Both paths visit a window's elements in row-major
# order and do the same arithmetic, so their results are identical.
# ---------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def _max_pool(x, y, arg, kh, kw, sh, sw, ph, pw):
    """y = window maxima, arg = flat index h*W + w of each maximum (first one on ties).

    NaN propagates: a window holding a NaN has maximum NaN (its first NaN).
    ``not (v <= best) and best == best`` is "v > best, or v is the first NaN"
    written so that Numba compiles it without branches.
    """
    n_, c_, h_, w_ = x.shape
    oh, ow = y.shape[2], y.shape[3]
    for n in range(n_):
        for c in range(c_):
            for p in range(oh):
                h0 = max(p * sh - ph, 0)
                h1 = min(p * sh - ph + kh, h_)
                for q in range(ow):
                    w0 = max(q * sw - pw, 0)
                    w1 = min(q * sw - pw + kw, w_)
                    best = x[n, c, h0, w0]
                    where = h0 * w_ + w0
                    if h1 - h0 == 2 and w1 - w0 == 2:
                        v = x[n, c, h0, w0 + 1]
                        take = not (v <= best) and best == best
                        best = v if take else best
                        where = h0 * w_ + w0 + 1 if take else where
                        v = x[n, c, h0 + 1, w0]
                        take = not (v <= best) and best == best
                        best = v if take else best
                        where = (h0 + 1) * w_ + w0 if take else where
                        v = x[n, c, h0 + 1, w0 + 1]
                        take = not (v <= best) and best == best
                        best = v if take else best
                        where = (h0 + 1) * w_ + w0 + 1 if take else where
                    else:
                        for h in range(h0, h1):
                            for w in range(w0, w1):
                                v = x[n, c, h, w]
                                take = not (v <= best) and best == best
                                best = v if take else best
                                where = h * w_ + w if take else where
                    y[n, c, p, q] = best
                    arg[n, c, p, q] = where


@njit(cache=True, nogil=True)
def _max_pool_backward(dy, arg, dx):
    """dx[argmax of each window] += dy of that window.

    ``arg`` holds flat indices h*W + w into each map.  Returns how many were outside
    the map (and skipped): 0 unless ``arg`` did not come from :func:`_max_pool`.
    """
    n_, c_, h_, w_ = dx.shape
    oh, ow = dy.shape[2], dy.shape[3]
    dx_flat = dx.reshape(n_, c_, h_ * w_)
    bad = 0
    for nc in range(n_ * c_):
        n = nc // c_
        c = nc - n * c_
        for p in range(oh):
            for q in range(ow):
                k = arg[n, c, p, q]
                if k < 0 or k >= h_ * w_:
                    bad += 1
                    continue
                dx_flat[n, c, k] += dy[n, c, p, q]
    return bad


@njit(cache=True, nogil=True)
def _avg_pool(x, y, kh, kw, sh, sw, ph, pw):
    """y = window means, summed in float64.

    Windows of up to 4 elements are summed one by one, row by row (the 2x2 one
    unrolled).  Larger ones (3x3, 5x5, ...) are summed in two passes: for each output
    row, the kh input rows are first added column by column (a contiguous loop the
    compiler vectorises), then each window adds kw of these column sums: kh + kw
    additions per window instead of kh * kw, and no chain of kh * kw dependent
    additions.  (The order of the additions differs, so a float64 mean may differ
    from the row-by-row sum in its last bit.)
    """
    n_, c_, h_, w_ = x.shape
    oh, ow = y.shape[2], y.shape[3]
    scale = 1.0 / (kh * kw)
    separable = kh * kw > 4
    col = np.zeros(w_ if separable else 0)        # column sums of one output row's input rows
    for n in range(n_):
        for c in range(c_):
            for p in range(oh):
                h0 = max(p * sh - ph, 0)
                h1 = min(p * sh - ph + kh, h_)
                if separable:
                    for w in range(w_):
                        col[w] = x[n, c, h0, w]
                    for h in range(h0 + 1, h1):
                        for w in range(w_):
                            col[w] += x[n, c, h, w]
                    for q in range(ow):
                        s = 0.0
                        for w in range(max(q * sw - pw, 0), min(q * sw - pw + kw, w_)):
                            s += col[w]
                        y[n, c, p, q] = s * scale
                    continue
                for q in range(ow):
                    w0 = max(q * sw - pw, 0)
                    w1 = min(q * sw - pw + kw, w_)
                    s = 0.0
                    if h1 - h0 == 2 and w1 - w0 == 2:
                        s += x[n, c, h0, w0]
                        s += x[n, c, h0, w0 + 1]
                        s += x[n, c, h0 + 1, w0]
                        s += x[n, c, h0 + 1, w0 + 1]
                    else:
                        for h in range(h0, h1):
                            for w in range(w0, w1):
                                s += x[n, c, h, w]
                    y[n, c, p, q] = s * scale


@njit(cache=True, nogil=True)
def _avg_pool_backward(dy, dx, kh, kw, sh, sw, ph, pw):
    """dx += dy / (kh kw) over each window; dx must start at zero where no window reaches.

    Where windows do not overlap (stride >= window), each position gets at most
    one share, so it is stored instead of added (the same value).  Overlapping
    windows of more than 4 elements take the forward's two passes in reverse: each
    output row's shares are spread along one row (in float64), which is then added
    to each of the window's kh input rows.
    """
    n_, c_, h_, w_ = dx.shape
    oh, ow = dy.shape[2], dy.shape[3]
    scale = 1.0 / (kh * kw)
    overlap = kh > sh or kw > sw
    separable = overlap and kh * kw > 4
    row = np.zeros(w_ if separable else 0)        # one output row's shares, per input column
    for n in range(n_):
        for c in range(c_):
            for p in range(oh):
                h0 = max(p * sh - ph, 0)
                h1 = min(p * sh - ph + kh, h_)
                if separable:
                    for w in range(w_):
                        row[w] = 0.0
                    for q in range(ow):
                        g = dy[n, c, p, q] * scale
                        for w in range(max(q * sw - pw, 0), min(q * sw - pw + kw, w_)):
                            row[w] += g
                    for h in range(h0, h1):
                        for w in range(w_):
                            dx[n, c, h, w] += row[w]
                    continue
                for q in range(ow):
                    w0 = max(q * sw - pw, 0)
                    w1 = min(q * sw - pw + kw, w_)
                    g = dy[n, c, p, q] * scale
                    if not overlap and h1 - h0 == 2 and w1 - w0 == 2:
                        dx[n, c, h0, w0] = g
                        dx[n, c, h0, w0 + 1] = g
                        dx[n, c, h0 + 1, w0] = g
                        dx[n, c, h0 + 1, w0 + 1] = g
                    elif not overlap:
                        for h in range(h0, h1):
                            for w in range(w0, w1):
                                dx[n, c, h, w] = g
                    else:
                        for h in range(h0, h1):
                            for w in range(w0, w1):
                                dx[n, c, h, w] += g


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
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
    return x, _pool_geometry(fn, nd, x.shape, kernel_size, stride, padding)


def _pool_geometry(fn, nd, shape, kernel_size, stride, padding):
    """The checked window geometry for an input of ``shape`` (N, C, ...).

    Resolving the padding and checking the sizes takes ~25 us, as long as a small
    pooling itself, and a network asks for the same few geometries at every batch:
    arguments made of plain ints, strings and tuples of them are looked up in a
    cache (only successful checks are cached, so errors are raised every time).
    """
    args = (fn, nd, tuple(shape), kernel_size, stride, padding)
    if _plain(args):
        return _cached_geometry(*args)
    return _checked_geometry(*args)


def _plain(value) -> bool:
    """Ints, strings, None and tuples of them: hashable, and equal only to the same value.

    (2.0 == 2 and True == 1, so floats and bools must not reach the cache, where they
    would find the geometry of the valid int argument instead of an error.)
    """
    if type(value) is tuple:
        return all(_plain(v) for v in value)
    return type(value) in (int, str, type(None))


def _checked_geometry(fn, nd, shape, kernel_size, stride, padding):
    if any(s < 1 for s in shape[1:]):
        raise ValueError(f"{fn}: x must have channels and spatial sizes of at least 1, got shape {shape}")
    kernel = spatial(fn, "kernel_size", kernel_size, nd)
    stride = kernel if stride is None else spatial(fn, "stride", stride, nd)
    g = window_geometry(fn, nd, shape[2:], kernel, stride, padding, (1,) * nd, has_dilation=False)
    # A window made only of padding has no maximum; forbid it for every kind of pooling.
    for d in range(2 - nd, 2):
        first_empty = g.pad_lo[d] >= g.kernel[d]
        last_empty = (g.out_size[d] - 1) * g.stride[d] - g.pad_lo[d] >= g.in_size[d]
        if first_empty or last_empty:
            raise ValueError(
                f"{fn}: padding ({g.pad_lo[d]}, {g.pad_hi[d]}) leaves a window of size "
                f"{fmt_size(kernel)} with no input element; use a padding smaller than the window"
            )
    return g


_cached_geometry = functools.lru_cache(maxsize=256)(_checked_geometry)


def _backward_args(fn, nd, dy, x, kernel_size, stride, padding):
    x, g = _pool_args(fn, nd, x, kernel_size, stride, padding)
    dy = as_real_array(fn, "dy", dy, nd + 2, layout(nd))
    check_dy(fn, dy, (*x.shape[:2], *g.out_size[-nd:]))
    dy, x = common_float(dy, x)
    return lift(dy, nd), lift(x, nd), g


def _lift_shape(shape, nd):
    """The shape :func:`lift` gives an array of ``shape``."""
    return (*shape[:-1], 1, shape[-1]) if nd == 1 else tuple(shape)


def _by_batch(visits: int, n: int, work) -> list:
    """``work(lo, hi)`` over the batch, sliced across threads if it makes >= PARALLEL_MIN_WORK ``visits``.

    Returns the slices' results in order.  Each slice writes its own samples of the
    outputs, so the result does not depend on the number of threads.
    """
    return [work(0, n)] if visits < PARALLEL_MIN_WORK else split_batch(n, work)


def _visits(out, g: Geometry) -> int:
    """Window elements a pooling visits: outputs x window size."""
    return out.size * g.kernel[0] * g.kernel[1]


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
    win = _window(g)
    _by_batch(_visits(y, g), len(x4), lambda lo, hi: _max_pool(x4[lo:hi], y[lo:hi], arg[lo:hi], *win))
    return y, arg


def _route_to_argmax(dy4, arg4, in_shape4):
    """dx: each window's dy added at its argmax (``arg4``: flat indices h*W + w, checked)."""
    dx = np.zeros(in_shape4, dtype=dy4.dtype)
    bad = sum(_by_batch(dy4.size, len(dx),
                        lambda lo, hi: _max_pool_backward(dy4[lo:hi], arg4[lo:hi], dx[lo:hi])))
    if bad:  # never for indices from _max_pool; _check_indices reports bad ones first
        raise ValueError(f"max pooling backward: {bad} indices outside the input maps")
    return dx


def _max_pool_grad(dy, indices, in_shape, nd):
    """Backward of a max pooling whose forward returned ``indices`` (trusted: from :func:`_max_pool_fwd`).

    The fast path of :class:`cnnedu.nn.MaxPool2d`: ``dy`` has already been checked
    against the forward output's shape and dtype; no argmax is recomputed.
    """
    dy4 = lift(np.ascontiguousarray(dy), nd)
    return drop(_route_to_argmax(dy4, lift(indices, nd), _lift_shape(in_shape, nd)), nd)


def _check_indices(fn, nd, indices, g, out_shape):
    """``indices`` as a C-contiguous int64 4-D array, each inside its own window; else an error."""
    try:
        a = np.asarray(indices)
    except Exception as exc:
        raise TypeError(f"{fn}: indices must be an integer array, could not convert it: {exc}") from None
    if a.dtype.kind not in "iu":
        raise TypeError(f"{fn}: indices must be an integer array (as returned by max_pool{nd}d(..., "
                        f"return_indices=True)), got dtype {a.dtype}")
    if a.shape != tuple(out_shape):
        raise ValueError(f"{fn}: indices must have the shape of the forward output {tuple(out_shape)}, "
                         f"got {a.shape}")
    a4 = lift(np.ascontiguousarray(a, dtype=np.int64), nd)
    (kh, kw), (sh, sw), (ph, pw) = g.kernel, g.stride, g.pad_lo
    (h_, w_), (oh, ow) = g.in_size, g.out_size
    top = np.arange(oh)[:, None] * sh - ph           # window (p, q): rows top..top+kh-1, clipped
    left = np.arange(ow)[None, :] * sw - pw
    h, w = np.divmod(a4, w_)
    inside = ((a4 >= 0) & (h >= np.maximum(top, 0)) & (h < np.minimum(top + kh, h_))
              & (w >= np.maximum(left, 0)) & (w < np.minimum(left + kw, w_)))
    if not inside.all():
        where = tuple(int(i) for i in np.argwhere(~inside)[0])
        where = where[:2] + where[3:] if nd == 1 else where
        raise ValueError(f"{fn}: indices{list(where)} = {int(a4[~inside][0])} is not a position in "
                         f"its pooling window: pass the indices that max_pool{nd}d(x, ..., "
                         f"return_indices=True) returned for this x")
    return a4


def _max_pool_fwd(fn, nd, x, kernel_size, stride, padding, return_indices=False):
    x, g = _pool_args(fn, nd, x, kernel_size, stride, padding)
    (x,) = common_float(x)
    y, arg = _max_pool_run(lift(x, nd), g)
    if check_bool(fn, "return_indices", return_indices):
        return drop(y, nd), drop(arg, nd)
    return drop(y, nd)


def _max_pool_bwd(fn, nd, dy, x, kernel_size, stride, padding, indices=None):
    dy4, x4, g = _backward_args(fn, nd, dy, x, kernel_size, stride, padding)
    if indices is None:
        _, arg = _max_pool_run(x4, g)           # recompute where each maximum is
    else:
        arg = _check_indices(fn, nd, indices, g, dy4.shape[:2] + dy4.shape[4 - nd:])
    return drop(_route_to_argmax(dy4, arg, x4.shape), nd)


def max_pool2d(x, kernel_size, stride=None, padding=0, return_indices=False):
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
    return_indices : bool
        Also return where each maximum is (PyTorch's ``return_indices``): the
        lecture's :math:`P(l, j, m, n)`, which the backward pass needs.

    Returns
    -------
    y : ndarray, shape (N, C, H_out, W_out), ``H_out = pool_output_size(H, K_h, S_h, padding)``
    indices : ndarray of int64, shape (N, C, H_out, W_out)
        Only with ``return_indices=True``: the flat position :math:`hW + w` in its
        map of each window's maximum (the first one, in row-major order, on ties;
        the first NaN if the window holds one).  Pass it to
        :func:`max_pool2d_backward` to skip searching the windows again.

    Examples
    --------
    The lecture's single depth slice, 2x2 pools with stride 2:

    >>> x = [[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]]
    >>> max_pool2d(x, 2)[0, 0]
    array([[6., 8.],
           [3., 4.]])
    >>> y, idx = max_pool2d(x, 2, return_indices=True)
    >>> idx[0, 0]                       # 6 is at row 1, column 1: 1 * 4 + 1
    array([[ 5,  7],
           [ 8, 15]])
    """
    return _max_pool_fwd("max_pool2d", 2, x, kernel_size, stride, padding, return_indices)


def max_pool1d(x, kernel_size, stride=None, padding=0, return_indices=False):
    r"""1-D max pooling: :math:`y[n, c, t] = \max_{0 \le i < K} x[n, c, tS - P + i]`.

    Parameters
    ----------
    x : array_like, shape (N, C, L)
    kernel_size, stride : int (stride defaults to kernel_size)
    padding : int, (lo, hi), "valid" or "same"
    return_indices : bool
        Also return the position :math:`t` of each maximum, as :func:`max_pool2d`.

    Returns
    -------
    y : ndarray, shape (N, C, L_out)
    indices : ndarray of int64, shape (N, C, L_out), only with ``return_indices=True``

    Examples
    --------
    >>> max_pool1d([[[1, 3, 2, 5, 4, 0]]], 2)
    array([[[3., 5., 4.]]])
    >>> max_pool1d([[[1, 3, 2, 5, 4, 0]]], 2, return_indices=True)[1]
    array([[[1, 3, 4]]])
    """
    return _max_pool_fwd("max_pool1d", 1, x, kernel_size, stride, padding, return_indices)


def max_pool2d_backward(dy, x, kernel_size, stride=None, padding=0, indices=None):
    r"""Gradient of :func:`max_pool2d` with respect to ``x``.

    Each window's derivative goes to the position of its maximum (the first one,
    in row-major order, on ties); where windows overlap, contributions add up:

    .. math:: \frac{\partial L}{\partial x[n, c, h, w]} = \sum_{(p, q):\ \arg\max\text{ of window }(p, q) = (h, w)} dy[n, c, p, q]

    Parameters
    ----------
    dy : array_like, shape (N, C, H_out, W_out)
    x, kernel_size, stride, padding
        As given to :func:`max_pool2d`.
    indices : array_like of int, shape (N, C, H_out, W_out), optional
        The ``indices`` that ``max_pool2d(x, ..., return_indices=True)`` returned.
        Without them the windows are searched again; with them the result is the
        same, only faster.  Each index must lie in its own window (checked).

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
    >>> y, idx = max_pool2d(x, 2, return_indices=True)
    >>> max_pool2d_backward([[[[1, 2], [3, 4]]]], x, 2, indices=idx)[0, 0, 1]
    array([0., 1., 0., 2.])
    """
    return _max_pool_bwd("max_pool2d_backward", 2, dy, x, kernel_size, stride, padding, indices)


def max_pool1d_backward(dy, x, kernel_size, stride=None, padding=0, indices=None):
    r"""Gradient of :func:`max_pool1d` with respect to ``x``; see :func:`max_pool2d_backward`.

    ``indices``, optional, are those ``max_pool1d(x, ..., return_indices=True)`` returned.

    Returns
    -------
    dx : ndarray, shape (N, C, L)
    """
    return _max_pool_bwd("max_pool1d_backward", 1, dy, x, kernel_size, stride, padding, indices)


# ---------------------------------------------------------------------------
# Mean pooling
# ---------------------------------------------------------------------------

def _avg_pool_fwd(fn, nd, x, kernel_size, stride, padding):
    x, g = _pool_args(fn, nd, x, kernel_size, stride, padding)
    (x,) = common_float(x)
    x4 = lift(x, nd)
    y = _empty_out(x4, g)
    win = _window(g)
    _by_batch(_visits(y, g), len(x4), lambda lo, hi: _avg_pool(x4[lo:hi], y[lo:hi], *win))
    return drop(y, nd)


def _avg_pool_bwd(fn, nd, dy, x, kernel_size, stride, padding):
    dy4, x4, g = _backward_args(fn, nd, dy, x, kernel_size, stride, padding)
    dx = _avg_pool_dx(x4.shape, dy4.dtype, g)
    _avg_pool_run_backward(dy4, dx, g)
    return drop(dx, nd)


def _avg_pool_run_backward(dy4, dx, g):
    win = _window(g)
    _by_batch(_visits(dy4, g), len(dx), lambda lo, hi: _avg_pool_backward(dy4[lo:hi], dx[lo:hi], *win))


def _avg_pool_dx(shape4, dtype, g):
    """dx for _avg_pool_backward: uninitialised if the windows tile the input exactly."""
    tiles = (g.stride == g.kernel and g.pad_lo == g.pad_hi == (0, 0)
             and all(o * k == n for o, k, n in zip(g.out_size, g.kernel, g.in_size)))
    return (np.empty if tiles else np.zeros)(shape4, dtype=dtype)


def _avg_pool_grad(fn, nd, dy, in_shape, kernel_size, stride, padding):
    """Backward of a mean pooling from the input's shape alone (``dy`` already checked).

    The fast path of :class:`cnnedu.nn.AvgPool2d`: mean pooling's derivative does not
    depend on the input's values, so the layer keeps only its shape.
    """
    g = _pool_geometry(fn, nd, in_shape, kernel_size, stride, padding)
    dy4 = lift(np.ascontiguousarray(dy), nd)
    dx = _avg_pool_dx(_lift_shape(in_shape, nd), dy4.dtype, g)
    _avg_pool_run_backward(dy4, dx, g)
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
    _by_batch(_visits(y, g), len(x4), lambda lo, hi: _lp_pool(x4[lo:hi], y[lo:hi], p, *g.kernel, *g.stride))
    return drop(y, nd)


def _lp_pool_bwd(fn, nd, dy, x, p, kernel_size, stride):
    p = check_real(fn, "p", p, 1.0)
    dy4, x4, g = _backward_args(fn, nd, dy, x, kernel_size, stride, 0)
    y = _empty_out(x4, g)
    dx = np.zeros_like(x4)
    _by_batch(_visits(y, g), len(x4), lambda lo, hi: (
        _lp_pool(x4[lo:hi], y[lo:hi], p, *g.kernel, *g.stride),
        _lp_pool_backward(dy4[lo:hi], x4[lo:hi], y[lo:hi], dx[lo:hi], p, *g.kernel, *g.stride)))
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
