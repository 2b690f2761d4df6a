r"""The lecture's loops in plain Python: the teaching text and the test oracle.

Every function here transcribes a piece of the lecture's loop pseudocode into
Python, with the lecture's names, and has the same signature and return
convention as its fast twin in :mod:`cnnedu.functional`.  The two are written
independently (nothing here calls :mod:`cnnedu.functional`), so the tests can
check one against the other.  Only the sizes come from :mod:`cnnedu.sizes`: a
formula lives in one place.

Reading guide
-------------
* ``Y`` is the input (the lecture's previous-layer maps :math:`Y(l-1)`), ``z``
  the affine maps, ``dz`` and ``dY`` their derivatives; ``W[j]`` is the 3-D filter
  tensor :math:`W(l, j)` of output map ``j``, ``dW`` its derivative.  The layer
  index :math:`l` is dropped (each function is one layer) and an outer loop runs
  over the examples ``s`` of the batch (the lecture handles one instance).
* The lecture counts from 1 and its slices include both ends: its
  ``Y(l-1, :, x:x+K-1, y:y+K-1)`` is Python's ``Y[:, x:x+K, y:y+K]`` with ``x``
  counted from 0, and its ``(x-1)S+1`` is our ``x*S``.
* Where the lecture loops over a window element by element (``for i``, ``for x'``,
  ``for y'``), the code usually takes the whole window as one slice, ``segment``,
  and uses ``np.sum(W[j] * segment)`` for the lecture's tensor inner product
  ``W(l,j).segment``.  With dilation :math:`D` the window is the slice
  ``x : x + D(K-1)+1 : D``.
* Zero padding is explicit: the input is copied into a larger array ``Y_pad``,
  the loops run on it, and the backward pass crops the padding off the input
  derivative ("the zero padding regions must be deleted before further
  backprop").
* Arithmetic is in float64 unless every array input is float32, as in
  :mod:`cnnedu.functional`.

These loops are slow (pure Python): use them on tiny inputs, to read or to test.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import sizes
from ._checks import as_real_array, check_real, common_float, int_tuple

__all__ = [
    "conv1d", "conv2d", "conv1d_backward", "conv2d_backward",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose1d_backward", "conv_transpose2d_backward",
    "max_pool1d", "max_pool2d", "max_pool1d_backward", "max_pool2d_backward",
    "avg_pool1d", "avg_pool2d", "avg_pool1d_backward", "avg_pool2d_backward",
    "lp_pool1d", "lp_pool2d", "lp_pool1d_backward", "lp_pool2d_backward",
    "upsample", "downsample", "upsample_backward", "downsample_backward",
]

_LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)"}


# ---------------------------------------------------------------------------
# Small helpers: arguments in, zero padding, 1-D as 2-D with height 1
# ---------------------------------------------------------------------------

def _maps(fn, name, a, nd):
    """A batch of ``nd``-D maps as a float ndarray (float32 kept, anything else float64)."""
    return as_real_array(fn, name, a, nd + 2, _LAYOUT[nd])


def _padding_specs(fn, padding, nd):
    """One padding specification (int, (lo, hi) or string) per spatial dimension."""
    if isinstance(padding, str) or (isinstance(padding, numbers.Integral) and not isinstance(padding, bool)):
        return [padding] * nd
    if isinstance(padding, (tuple, list)):
        if nd == 1 and len(padding) == 2 and all(isinstance(p, numbers.Integral) for p in padding):
            return [tuple(padding)]            # 1-D: (lo, hi)
        if len(padding) == nd:
            return list(padding)               # one entry per dimension
    raise ValueError(f"{fn}: padding must be an int, a string, (lo, hi) pairs or one entry per "
                     f"spatial dimension, got {padding!r}")


def _resolve(in_size, kernel, stride, padding, dilation):
    """((top, bottom), (left, right)) zeros for a 2-D window scan (sizes is the formula)."""
    return tuple(sizes.resolve_padding(n, k, s, p, d)
                 for n, k, s, p, d in zip(in_size, kernel, stride, padding, dilation))


def _zero_pad(Y, pads, value=0.0):
    """Copy the maps ``Y`` (N, C, H, W) into the middle of a larger array filled with ``value``."""
    (top, bottom), (left, right) = pads
    N, C, height, width = Y.shape
    Y_pad = np.full((N, C, top + height + bottom, left + width + right), value, dtype=Y.dtype)
    Y_pad[:, :, top:top + height, left:left + width] = Y
    return Y_pad


def _crop(dY_pad, pads, in_size):
    """Delete the zero-padding regions of an input derivative."""
    (top, _), (left, _) = pads
    height, width = in_size
    return np.ascontiguousarray(dY_pad[:, :, top:top + height, left:left + width])


def _as_2d(fn, value, name, height_value=1, minimum=1):
    """A 1-D problem's int (or 1-tuple) as the 2-D pair (height_value, value)."""
    (v,) = int_tuple(fn, name, value, 1, minimum)
    return (height_value, v)


def _lift(a):
    """(N, C, L) -> (N, C, 1, L): a 1-D map is a 2-D map of height 1."""
    return a[:, :, None, :]


def _drop(a):
    """(N, C, 1, L) -> (N, C, L)."""
    return np.ascontiguousarray(a[:, :, 0, :])


def _check_dy(fn, dy, expected):
    if dy.shape != tuple(expected):
        raise ValueError(f"{fn}: dy must have the shape of the forward output {tuple(expected)}, got {dy.shape}")


# ---------------------------------------------------------------------------
# Convolution
# ---------------------------------------------------------------------------

def _conv_setup(fn, x, w, b, stride, padding, dilation, groups):
    """Check and convert conv2d's arguments; return arrays and plain (h, w) int pairs."""
    Y, W = _maps(fn, "x", x, 2), _maps(fn, "w", w, 2)
    b = None if b is None else as_real_array(fn, "b", b, 1, "(C_out,)")
    Y, W, b = common_float(Y, W, b)
    C, (O, Cg) = Y.shape[1], W.shape[:2]
    if not isinstance(groups, numbers.Integral) or groups < 1 or C % groups or O % groups:
        raise ValueError(f"{fn}: groups must be a positive integer dividing the {C} input and "
                         f"{O} output channels, got {groups!r}")
    if Cg != C // groups:
        raise ValueError(f"{fn}: w.shape[1] must be C_in/groups = {C // groups}, got {Cg}")
    if b is not None and b.shape != (O,):
        raise ValueError(f"{fn}: b must have shape ({O},), got {b.shape}")
    stride = int_tuple(fn, "stride", stride, 2, 1)
    dilation = int_tuple(fn, "dilation", dilation, 2, 1)
    pads = _resolve(Y.shape[2:], W.shape[2:], stride, _padding_specs(fn, padding, 2), dilation)
    return Y, W, b, stride, pads, dilation, int(groups)


def _conv1d_as_2d(fn, x, w, stride, padding, dilation):
    """conv1d's arguments as conv2d's, with height 1."""
    (spec,) = _padding_specs(fn, padding, 1)
    return (_lift(_maps(fn, "x", x, 1)), _lift(_maps(fn, "w", w, 1)), _as_2d(fn, stride, "stride"),
            ((0, 0), spec), _as_2d(fn, dilation, "dilation"))


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    r"""2-D convolution, the lecture's forward loop ("Fully convolutional network").

    .. math::

        z[s, j, m, n] = b[j] + \sum_{i \in \text{group}(j)} \sum_{x'=0}^{K_h-1} \sum_{y'=0}^{K_w-1}
            W[j, i, x', y']\; Y_{pad}[s, i,\; mS_h + x'D_h,\; nS_w + y'D_w]

    that is, ``z[s, j, m, n] = W[j] . segment``: the tensor inner product of the
    filter with the 3-D ``segment`` of the (zero-padded) input under it.

    Parameters
    ----------
    x : array_like, shape (N, C_in, H, W)
    w : array_like, shape (C_out, C_in/groups, K_h, K_w)
    b : array_like, shape (C_out,), optional
    stride, dilation : int or (int, int)
    padding : int, (int, int), ((top, bottom), (left, right)), "valid", "same" or "full"
    groups : int

    Returns
    -------
    z : ndarray, shape (N, C_out, H_out, W_out), ``H_out = conv_output_size(H, K_h, S_h, padding, D_h)``

    Examples
    --------
    The lecture's 5x5 binary image and 3x3 filter, stride 2:

    >>> image = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
    >>> filt = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
    >>> conv2d([[image]], [[filt]], stride=2)[0, 0]
    array([[4., 4.],
           [2., 4.]])
    """
    fn = "conv2d"
    Y, W, b, (S_h, S_w), pads, (D_h, D_w), groups = _conv_setup(fn, x, w, b, stride, padding,
                                                                 dilation, groups)
    N, C, height, width = Y.shape
    O, Cg, K_h, K_w = W.shape
    H_out = sizes.conv_output_size(height, K_h, S_h, pads[0], D_h)
    W_out = sizes.conv_output_size(width, K_w, S_w, pads[1], D_w)
    span_h, span_w = D_h * (K_h - 1) + 1, D_w * (K_w - 1) + 1   # a dilated window's extent
    Y_pad = _zero_pad(Y, pads)
    maps_per_group = O // groups

    # Slide "Fully convolutional network": for x, m = 1:stride:W-K+1 (double indices),
    # segment = Y(l-1, :, x:x+K-1, y:y+K-1); z(l, j, m, n) = W(l, j).segment
    z = np.zeros((N, O, H_out, W_out), dtype=Y.dtype)
    for s in range(N):                                  # each example of the batch
        for j in range(O):                              # each output map, filter W(l, j)
            i0 = (j // maps_per_group) * Cg             # its group's first input map
            for m in range(H_out):
                x = m * S_h                             # the lecture's x = (m-1) stride + 1
                for n in range(W_out):
                    y = n * S_w
                    segment = Y_pad[s, i0:i0 + Cg, x:x + span_h:D_h, y:y + span_w:D_w]  # 3-D tensor
                    z[s, j, m, n] = np.sum(W[j] * segment)                              # W(l,j).segment
            if b is not None:
                z[s, j] += b[j]
    return z


def conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    r"""1-D convolution: :func:`conv2d` on maps of height 1.

    .. math:: z[s, j, t] = b[j] + \sum_{i \in \text{group}(j)} \sum_{x'} W[j, i, x']\, Y_{pad}[s, i, tS + x'D]

    Parameters
    ----------
    x : array_like, shape (N, C_in, L)
    w : array_like, shape (C_out, C_in/groups, K)
    b : array_like, shape (C_out,), optional
    stride, dilation : int
    padding : int, (lo, hi), "valid", "same" or "full"
    groups : int

    Returns
    -------
    z : ndarray, shape (N, C_out, L_out)

    Examples
    --------
    >>> conv1d([[[1, 2, 3, 4]]], [[[1, -1]]])
    array([[[-1., -1., -1.]]])
    """
    x, w, stride, padding, dilation = _conv1d_as_2d("conv1d", x, w, stride, padding, dilation)
    return _drop(conv2d(x, w, b, stride, padding, dilation, groups))


def conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1, groups=1):
    r"""Gradients of :func:`conv2d`, the lecture's way: upsample ``dz``, then the stride-1 loops.

    1. Stride (slides "Computing derivatives with Stride > 1" and "Upsampling"):
       a stride-:math:`S` convolution is a stride-1 convolution whose output keeps
       every :math:`S`-th value, so put each derivative back at its place in the
       stride-1 map, :math:`\hat z[(m-1)S+1] = dz[m]`, zeros elsewhere.
    2. Slide "Backward layer l", for every position :math:`(x, y)` of that map:

       .. math::

           dY_{pad}[s, i, x + x'D_h, y + y'D_w] \mathrel{+}= W[j, i, x', y']\; \hat z[s, j, x, y]

           dW[j, i, x', y'] \mathrel{+}= \hat z[s, j, x, y]\; Y_{pad}[s, i, x + x'D_h, y + y'D_w]

    3. Crop the zero padding off :math:`dY_{pad}`.  ``db`` sums ``dz`` over the
       examples and positions.

    The zeros of the upsampled map add nothing, so skipping them gives the slide
    "Complete Backward (with strides)": ``dY(l-1, i, m+x', n+y') += w dz(l, j, x, y)``
    with ``m = (x-1) stride``.  (That slide loops ``for x = 1:stride:W_l``; it
    means every position of ``dz``, ``for x = 1:W_l``.)

    Parameters
    ----------
    dy : array_like, shape (N, C_out, H_out, W_out)
        :math:`\partial L/\partial z`, shaped like :func:`conv2d`'s output.
    x, w, stride, padding, dilation, groups
        As given to :func:`conv2d`.

    Returns
    -------
    dx : ndarray, shape (N, C_in, H, W)
    dw : ndarray, shape (C_out, C_in/groups, K_h, K_w)
    db : ndarray, shape (C_out,)

    Examples
    --------
    >>> import numpy as np
    >>> dx, dw, db = conv2d_backward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)))
    >>> dx[0, 0]                    # how many windows cover each pixel
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    fn = "conv2d_backward"
    Y, W, _, (S_h, S_w), pads, (D_h, D_w), groups = _conv_setup(fn, x, w, None, stride, padding,
                                                                 dilation, groups)
    N, C, height, width = Y.shape
    O, Cg, K_h, K_w = W.shape
    out = (N, O, sizes.conv_output_size(height, K_h, S_h, pads[0], D_h),
           sizes.conv_output_size(width, K_w, S_w, pads[1], D_w))
    dz = _maps(fn, "dy", dy, 2)
    _check_dy(fn, dz, out)
    dz, Y, W = common_float(dz, Y, W)
    Y_pad = _zero_pad(Y, pads)
    span_h, span_w = D_h * (K_h - 1) + 1, D_w * (K_w - 1) + 1
    maps_per_group = O // groups

    # 1. "Upsample dz to the size it would be if stride was 1".  upsample() gives
    # (H_out-1)S+1 samples; the stride-1 map of the padded input can be up to S-1
    # longer (the strided forward skipped its last rows), so add trailing zeros.
    H1 = sizes.conv_output_size(Y_pad.shape[2], K_h, 1, 0, D_h)
    W1 = sizes.conv_output_size(Y_pad.shape[3], K_w, 1, 0, D_w)
    dz_up = np.zeros((N, O, H1, W1), dtype=dz.dtype)
    up = upsample(dz, (S_h, S_w))
    dz_up[:, :, :up.shape[2], :up.shape[3]] = up

    # 2. Slide "Backward layer l" (stride 1).  The lecture's inner loops over
    # i, x', y' visit one window of Y_pad (the forward's `segment`): `window` indexes it.
    dY_pad = np.zeros_like(Y_pad)
    dW = np.zeros_like(W)
    for s in range(N):
        for j in range(O):
            i0 = (j // maps_per_group) * Cg
            for x in range(H1):
                for y in range(W1):
                    window = (s, slice(i0, i0 + Cg), slice(x, x + span_h, D_h), slice(y, y + span_w, D_w))
                    dY_pad[window] += W[j] * dz_up[s, j, x, y]    # dY(l-1, i, x+x'-1, y+y'-1) += w dz
                    dW[j] += dz_up[s, j, x, y] * Y_pad[window]    # dw(l, j, i, x', y') += dz Y(l-1, ...)

    # 3. "The zero padding regions must be deleted before further backprop."
    return _crop(dY_pad, pads, (height, width)), dW, dz.sum(axis=(0, 2, 3))


def conv1d_backward(dy, x, w, stride=1, padding=0, dilation=1, groups=1):
    r"""Gradients of :func:`conv1d`: :func:`conv2d_backward` on maps of height 1.

    Returns
    -------
    dx : ndarray, shape (N, C_in, L)
    dw : ndarray, shape (C_out, C_in/groups, K)
    db : ndarray, shape (C_out,)
    """
    x, w, stride, padding, dilation = _conv1d_as_2d("conv1d_backward", x, w, stride, padding, dilation)
    dy = _lift(_maps("conv1d_backward", "dy", dy, 1))
    dx, dw, db = conv2d_backward(dy, x, w, stride, padding, dilation, groups)
    return _drop(dx), _drop(dw), db


# ---------------------------------------------------------------------------
# Transposed ("expanding") convolution
# ---------------------------------------------------------------------------

def _transpose_setup(fn, x, w, b, stride, padding, output_padding, groups, dilation):
    """Check and convert conv_transpose2d's arguments; resolve the cropping."""
    Y, W = _maps(fn, "x", x, 2), _maps(fn, "w", w, 2)
    b = None if b is None else as_real_array(fn, "b", b, 1, "(C_out,)")
    Y, W, b = common_float(Y, W, b)
    C, (C_w, Og) = Y.shape[1], W.shape[:2]
    if C != C_w:
        raise ValueError(f"{fn}: x has {C} channels but w has {C_w} (w.shape[0]); "
                         f"a transposed convolution's weight is (C_in, C_out/groups, K...)")
    if not isinstance(groups, numbers.Integral) or groups < 1 or C % groups:
        raise ValueError(f"{fn}: groups must be a positive integer dividing the {C} input channels, "
                         f"got {groups!r}")
    if b is not None and b.shape != (Og * groups,):
        raise ValueError(f"{fn}: b must have shape ({Og * groups},), got {b.shape}")
    stride = int_tuple(fn, "stride", stride, 2, 1)
    dilation = int_tuple(fn, "dilation", dilation, 2, 1)
    output_padding = int_tuple(fn, "output_padding", output_padding, 2, 0)
    crops, out = [], []
    for n, k, s, p, op, d in zip(Y.shape[2:], W.shape[2:], stride, _padding_specs(fn, padding, 2),
                                 output_padding, dilation):
        lo, hi, op = sizes.resolve_transpose_padding(n, k, s, p, op, d)
        crops.append((lo, hi))
        out.append(sizes.conv_transpose_output_size(n, k, s, (lo, hi), op, d))
    return Y, W, b, stride, tuple(crops), tuple(out), dilation, int(groups)


def conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    r"""2-D transposed convolution, the lecture's "Expanding convolution layer" loop.

    Each input value *pushes* a copy of its filter plane, scaled by itself, to its
    strided position of an uncropped output (slide "CNN: Expanding convolution
    layer l": ``z(l,j,(x-1)b+x',(y-1)b+y') += w(l,j,i,x',y') y(l-1,i,x,y)``):

    .. math::

        z_{full}[s, j, xS_h + x'D_h, yS_w + y'D_w] \mathrel{+}= W[i, j', x', y']\; Y[s, i, x, y]

    with :math:`j'` the index of output map :math:`j` within its group.  The
    uncropped map has :math:`(H-1)S + D(K-1) + 1 + \text{output\_padding}` rows;
    ``padding`` then crops (lo, hi) rows/columns, giving
    :func:`cnnedu.sizes.conv_transpose_output_size`.

    Parameters
    ----------
    x : array_like, shape (N, C_in, H, W)
    w : array_like, shape (C_in, C_out/groups, K_h, K_w)
        PyTorch's layout: input channel first (the slide indexes the output first).
    b : array_like, shape (C_out,), optional
    stride, dilation, output_padding : int or (int, int)
    padding : int, (int, int), ((top, bottom), (left, right)), "valid" or "same"
    groups : int

    Returns
    -------
    z : ndarray, shape (N, C_out, H_out, W_out)

    Examples
    --------
    >>> conv_transpose1d([[[1, 2, 3]]], [[[1, 10]]], stride=2)
    array([[[ 1., 10.,  2., 20.,  3., 30.]]])
    """
    fn = "conv_transpose2d"
    Y, W, b, (S_h, S_w), crops, (H_out, W_out), (D_h, D_w), groups = _transpose_setup(
        fn, x, w, b, stride, padding, output_padding, groups, dilation)
    N, C, height, width = Y.shape
    _, Og, K_h, K_w = W.shape
    Cg = C // groups
    (top, bottom), (left, right) = crops
    span_h, span_w = D_h * (K_h - 1) + 1, D_w * (K_w - 1) + 1

    # The uncropped map has (H-1)S + D(K-1) + 1 + output_padding rows, likewise
    # columns (the slide's (W-1)b + K for D = 1 and output_padding = 0).
    z_full = np.zeros((N, Og * groups, top + H_out + bottom, left + W_out + right), dtype=Y.dtype)
    for s in range(N):
        for i in range(C):                       # each input map ...
            j0 = (i // Cg) * Og                  # ... pushes into its group's output maps j0 .. j0+Og-1
            for x in range(height):
                for y in range(width):
                    # z(l, j, (x-1)b+x', (y-1)b+y') += w(l, j, i, x', y') y(l-1, i, x, y) for all j, x', y'
                    z_full[s, j0:j0 + Og, x * S_h:x * S_h + span_h:D_h,
                           y * S_w:y * S_w + span_w:D_w] += W[i] * Y[s, i, x, y]

    z = _crop(z_full, crops, (H_out, W_out))
    if b is not None:
        z += b.reshape(1, -1, 1, 1)
    return z


def conv_transpose1d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    r"""1-D transposed convolution: :func:`conv_transpose2d` on maps of height 1.

    .. math:: z_{full}[s, j, xS + x'D] \mathrel{+}= W[i, j', x']\, Y[s, i, x], \text{ then crop } (P_{lo}, P_{hi})

    Parameters
    ----------
    x : array_like, shape (N, C_in, L)
    w : array_like, shape (C_in, C_out/groups, K)
    b : array_like, shape (C_out,), optional
    stride, output_padding, dilation : int
    padding : int, (lo, hi), "valid" or "same"
    groups : int

    Returns
    -------
    z : ndarray, shape (N, C_out, (L-1)S - P_lo - P_hi + D(K-1) + output_padding + 1)
    """
    fn = "conv_transpose1d"
    x, w, stride, padding, dilation = _conv1d_as_2d(fn, x, w, stride, padding, dilation)
    output_padding = _as_2d(fn, output_padding, "output_padding", 0, 0)
    return _drop(conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation))


def conv_transpose2d_backward(dy, x, w, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    r"""Gradients of :func:`conv_transpose2d` (the lecture leaves them "to you").

    Undo the crop by zero-padding ``dz`` back to the uncropped size, then every
    input value *pulls* back from the positions it pushed to: the same windows as
    the forward loop, read instead of written.

    .. math::

        dY[s, i, x, y] = \sum_{j', x', y'} W[i, j', x', y']\; dz_{full}[s, j, xS_h + x'D_h, yS_w + y'D_w]

        dW[i, j', x', y'] \mathrel{+}= Y[s, i, x, y]\; dz_{full}[s, j, xS_h + x'D_h, yS_w + y'D_w]

    Parameters
    ----------
    dy : array_like, shape (N, C_out, H_out, W_out)
    x, w, stride, padding, output_padding, groups, dilation
        As given to :func:`conv_transpose2d`.

    Returns
    -------
    dx : ndarray, shape (N, C_in, H, W)
    dw : ndarray, shape (C_in, C_out/groups, K_h, K_w)
    db : ndarray, shape (C_out,)
    """
    fn = "conv_transpose2d_backward"
    Y, W, _, (S_h, S_w), crops, (H_out, W_out), (D_h, D_w), groups = _transpose_setup(
        fn, x, w, None, stride, padding, output_padding, groups, dilation)
    N, C, height, width = Y.shape
    _, Og, K_h, K_w = W.shape
    dz = _maps(fn, "dy", dy, 2)
    _check_dy(fn, dz, (N, Og * groups, H_out, W_out))
    dz, Y, W = common_float(dz, Y, W)
    Cg = C // groups
    span_h, span_w = D_h * (K_h - 1) + 1, D_w * (K_w - 1) + 1

    # The forward cropped the uncropped map; backward, the cropped-off part gets derivative 0.
    dz_full = _zero_pad(dz, crops)
    dY = np.zeros_like(Y)
    dW = np.zeros_like(W)
    for s in range(N):
        for i in range(C):
            j0 = (i // Cg) * Og
            for x in range(height):
                for y in range(width):
                    segment = dz_full[s, j0:j0 + Og, x * S_h:x * S_h + span_h:D_h,
                                      y * S_w:y * S_w + span_w:D_w]
                    dY[s, i, x, y] = np.sum(W[i] * segment)    # pull: tensor inner product
                    dW[i] += Y[s, i, x, y] * segment
    return dY, dW, dz.sum(axis=(0, 2, 3))


def conv_transpose1d_backward(dy, x, w, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    r"""Gradients of :func:`conv_transpose1d`: :func:`conv_transpose2d_backward` with height 1.

    Returns
    -------
    dx : ndarray, shape (N, C_in, L)
    dw : ndarray, shape (C_in, C_out/groups, K)
    db : ndarray, shape (C_out,)
    """
    fn = "conv_transpose1d_backward"
    x, w, stride, padding, dilation = _conv1d_as_2d(fn, x, w, stride, padding, dilation)
    output_padding = _as_2d(fn, output_padding, "output_padding", 0, 0)
    dy = _lift(_maps(fn, "dy", dy, 1))
    dx, dw, db = conv_transpose2d_backward(dy, x, w, stride, padding, output_padding, groups, dilation)
    return _drop(dx), _drop(dw), db


# ---------------------------------------------------------------------------
# Pooling: each map on its own, a K_h x K_w pool moved by the stride
# ---------------------------------------------------------------------------

def _pool_setup(fn, nd, x, kernel_size, stride, padding):
    """x as (N, C, H, W); kernel, stride, padding and output size as (h, w) pairs."""
    Y = _maps(fn, "x", x, nd)
    kernel = int_tuple(fn, "kernel_size", kernel_size, nd, 1)
    stride = kernel if stride is None else int_tuple(fn, "stride", stride, nd, 1)
    specs = _padding_specs(fn, padding, nd)
    if nd == 1:
        Y, kernel, stride, specs = _lift(Y), (1, *kernel), (1, *stride), [0, *specs]
    (Y,) = common_float(Y)
    pads = _resolve(Y.shape[2:], kernel, stride, specs, (1, 1))
    out = tuple(sizes.pool_output_size(n, k, s, p) for n, k, s, p in zip(Y.shape[2:], kernel, stride, pads))
    for n, k, s, (lo, _), o in zip(Y.shape[2:], kernel, stride, pads, out):
        if lo >= k or (o - 1) * s - lo >= n:
            raise ValueError(f"{fn}: padding {padding!r} leaves a pool with no input element")
    return Y, kernel, stride, pads, out


def _pool_backward_setup(fn, nd, dy, x, kernel_size, stride, padding):
    Y, kernel, stride, pads, out = _pool_setup(fn, nd, x, kernel_size, stride, padding)
    dy = _maps(fn, "dy", dy, nd)
    if nd == 1:
        dy = _lift(dy)
    _check_dy(fn, dy, (*Y.shape[:2], *out))
    dy, Y = common_float(dy, Y)
    return dy, Y, kernel, stride, pads, out


def _finish(a, nd):
    return _drop(a) if nd == 1 else a


def _max_pool(Y, kernel, stride, pads, out):
    """Window maxima y and their positions pidx in the (-inf padded) map."""
    (K_h, K_w), (S_h, S_w), (H_out, W_out) = kernel, stride, out
    Y_pad = _zero_pad(Y, pads, value=-np.inf)     # a padded position is never the maximum
    N, C = Y.shape[:2]
    pooled = np.zeros((N, C, H_out, W_out), dtype=Y.dtype)
    pidx = np.zeros((N, C, H_out, W_out, 2), dtype=np.int64)
    # Slide "Max pooling": P(l,j,m,n) = argmax over the pool; y(l,j,m,n) = y(l-1,j,P(l,j,m,n))
    for s in range(N):
        for j in range(C):                        # separately for every map
            for m in range(H_out):
                for n in range(W_out):
                    x0, y0 = m * S_h, n * S_w
                    best = (x0, y0)
                    for x in range(x0, x0 + K_h):
                        for y in range(y0, y0 + K_w):
                            if Y_pad[s, j, x, y] > Y_pad[(s, j, *best)]:    # keeps the first maximum on ties
                                best = (x, y)
                    pidx[s, j, m, n] = best
                    pooled[s, j, m, n] = Y_pad[(s, j, *best)]
    return pooled, pidx


def max_pool2d(x, kernel_size, stride=None, padding=0):
    r"""2-D max pooling (slide "Max Pooling layer at layer l").

    .. math::

        P[s, j, m, n] = \operatorname*{argmax}_{(x, y) \in \text{pool}(m, n)} Y_{pad}[s, j, x, y],
        \qquad z[s, j, m, n] = Y_{pad}[s, j, P[s, j, m, n]]

    where pool :math:`(m, n)` is rows :math:`mS_h \dots mS_h+K_h-1`, columns
    :math:`nS_w \dots nS_w+K_w-1` of the input padded with :math:`-\infty`.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.
    padding : int, (int, int), ((top, bottom), (left, right)), "valid", "same" or "full"

    Returns
    -------
    y : ndarray, shape (N, C, H_out, W_out), ``H_out = pool_output_size(H, K_h, S_h, padding)``

    Examples
    --------
    >>> max_pool2d([[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]], 2)[0, 0]
    array([[6., 8.],
           [3., 4.]])
    """
    return _max_pool(*_pool_setup("max_pool2d", 2, x, kernel_size, stride, padding))[0]


def max_pool1d(x, kernel_size, stride=None, padding=0):
    r"""1-D max pooling: :func:`max_pool2d` on maps of height 1.

    Returns
    -------
    y : ndarray, shape (N, C, L_out)
    """
    return _drop(_max_pool(*_pool_setup("max_pool1d", 1, x, kernel_size, stride, padding))[0])


def _max_pool_backward(fn, nd, dy, x, kernel_size, stride, padding):
    dy, Y, kernel, stride, pads, out = _pool_backward_setup(fn, nd, dy, x, kernel_size, stride, padding)
    _, pidx = _max_pool(Y, kernel, stride, pads, out)
    N, C, H_out, W_out = dy.shape
    # Slide "Derivative of max pooling layer": dy(l-1, j, pidx(l, j, x, y)) += dy(l, j, x, y)
    # ("+=" because an entry may be the maximum of several overlapping pools).
    # The slide allocates zeros(D_l x W_l x H_l); the map is layer l-1's, padded here.
    dY_pad = np.zeros((N, C, Y.shape[2] + sum(pads[0]), Y.shape[3] + sum(pads[1])), dtype=dy.dtype)
    for s in range(N):
        for j in range(C):
            for m in range(H_out):
                for n in range(W_out):
                    dY_pad[(s, j, *pidx[s, j, m, n])] += dy[s, j, m, n]
    return _finish(_crop(dY_pad, pads, Y.shape[2:]), nd)


def max_pool2d_backward(dy, x, kernel_size, stride=None, padding=0):
    r"""Gradient of :func:`max_pool2d`: each pool's derivative goes to its maximum, ``pidx``.

    .. math:: dY[s, j, P[s, j, m, n]] \mathrel{+}= dy[s, j, m, n]

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
    return _max_pool_backward("max_pool2d_backward", 2, dy, x, kernel_size, stride, padding)


def max_pool1d_backward(dy, x, kernel_size, stride=None, padding=0):
    r"""Gradient of :func:`max_pool1d`; see :func:`max_pool2d_backward`.

    Returns
    -------
    dx : ndarray, shape (N, C, L)
    """
    return _max_pool_backward("max_pool1d_backward", 1, dy, x, kernel_size, stride, padding)


def _avg_pool(fn, nd, x, kernel_size, stride, padding):
    Y, (K_h, K_w), (S_h, S_w), pads, (H_out, W_out) = _pool_setup(fn, nd, x, kernel_size, stride, padding)
    Y_pad = _zero_pad(Y, pads)                 # padded zeros count in the mean
    N, C = Y.shape[:2]
    z = np.zeros((N, C, H_out, W_out), dtype=Y.dtype)
    # Slide "Mean pooling": y(l, j, m, n) = mean(y(l-1, j, x:x+K-1, y:y+K-1))
    for s in range(N):
        for j in range(C):
            for m in range(H_out):
                for n in range(W_out):
                    x0, y0 = m * S_h, n * S_w
                    z[s, j, m, n] = np.mean(Y_pad[s, j, x0:x0 + K_h, y0:y0 + K_w])
    return _finish(z, nd)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    r"""2-D mean pooling (slide "Mean Pooling layer at layer l"), padded zeros counted.

    .. math::

        z[s, j, m, n] = \frac{1}{K_hK_w} \sum_{x'=0}^{K_h-1} \sum_{y'=0}^{K_w-1} Y_{pad}[s, j, mS_h + x', nS_w + y']

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.
    padding : int, (int, int), ((top, bottom), (left, right)), "valid", "same" or "full"

    Returns
    -------
    y : ndarray, shape (N, C, H_out, W_out)

    Examples
    --------
    >>> avg_pool2d([[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]], 2)[0, 0]
    array([[3.25, 5.25],
           [2.  , 2.  ]])
    """
    return _avg_pool("avg_pool2d", 2, x, kernel_size, stride, padding)


def avg_pool1d(x, kernel_size, stride=None, padding=0):
    r"""1-D mean pooling: :func:`avg_pool2d` on maps of height 1.

    Returns
    -------
    y : ndarray, shape (N, C, L_out)
    """
    return _avg_pool("avg_pool1d", 1, x, kernel_size, stride, padding)


def _avg_pool_backward(fn, nd, dy, x, kernel_size, stride, padding):
    dy, Y, (K_h, K_w), (S_h, S_w), pads, _ = _pool_backward_setup(fn, nd, dy, x, kernel_size, stride,
                                                                   padding)
    N, C, H_out, W_out = dy.shape
    dY_pad = np.zeros((N, C, Y.shape[2] + sum(pads[0]), Y.shape[3] + sum(pads[1])), dtype=dy.dtype)
    # Slide "Derivative of mean pooling layer", as meant: the slide reuses j for
    # both the map and the column inside the pool, writes y(l, j, x, y) where the
    # derivative dy(l, j, x, y) belongs, and has a stray index p.
    for s in range(N):
        for j in range(C):
            for m in range(H_out):
                x0 = m * S_h
                for n in range(W_out):
                    y0 = n * S_w
                    for x in range(K_h):
                        for y in range(K_w):
                            # "+=" because adjacent pools may overlap
                            dY_pad[s, j, x0 + x, y0 + y] += dy[s, j, m, n] / (K_h * K_w)
    return _finish(_crop(dY_pad, pads, Y.shape[2:]), nd)


def avg_pool2d_backward(dy, x, kernel_size, stride=None, padding=0):
    r"""Gradient of :func:`avg_pool2d`: each pool's derivative spread evenly over it.

    .. math:: dY_{pad}[s, j, mS_h + x', nS_w + y'] \mathrel{+}= \frac{dy[s, j, m, n]}{K_hK_w}

    then the padding is cropped off.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)

    Examples
    --------
    >>> avg_pool2d_backward([[[[4.0]]]], [[[[1, 2], [3, 4]]]], 2)[0, 0]
    array([[1., 1.],
           [1., 1.]])
    """
    return _avg_pool_backward("avg_pool2d_backward", 2, dy, x, kernel_size, stride, padding)


def avg_pool1d_backward(dy, x, kernel_size, stride=None, padding=0):
    r"""Gradient of :func:`avg_pool1d`; see :func:`avg_pool2d_backward`.

    Returns
    -------
    dx : ndarray, shape (N, C, L)
    """
    return _avg_pool_backward("avg_pool1d_backward", 1, dy, x, kernel_size, stride, padding)


def _lp_pool(fn, nd, x, p, kernel_size, stride):
    p = check_real(fn, "p", p, 1.0)
    Y, (K_h, K_w), (S_h, S_w), _, (H_out, W_out) = _pool_setup(fn, nd, x, kernel_size, stride, 0)
    N, C = Y.shape[:2]
    z = np.zeros((N, C, H_out, W_out), dtype=Y.dtype)
    # Slide "Alternative to Max pooling: p-norm": y = (1/K^2 sum_ij x_ij^p)^(1/p), with |x|
    for s in range(N):
        for j in range(C):
            for m in range(H_out):
                for n in range(W_out):
                    x0, y0 = m * S_h, n * S_w
                    pool = Y[s, j, x0:x0 + K_h, y0:y0 + K_w]
                    z[s, j, m, n] = np.mean(np.abs(pool) ** p) ** (1.0 / p)
    return _finish(z, nd)


def lp_pool2d(x, p, kernel_size, stride=None):
    r"""2-D p-norm pooling, the lecture's *mean* p-norm of :math:`|x|`.

    Computed straight from the formula, so :math:`|x|^p` can overflow for large
    inputs where :func:`cnnedu.functional.lp_pool2d` (which divides by the pool's
    largest :math:`|x|` first) does not.

    .. math:: z[s, j, m, n] = \left(\frac{1}{K_hK_w} \sum_{x', y'} |Y[s, j, mS_h + x', nS_w + y']|^p\right)^{1/p}

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
    >>> lp_pool2d([[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]], 5, 2)[0, 0].round(3)
    array([[4.865, 6.614],
           [2.384, 3.164]])
    """
    return _lp_pool("lp_pool2d", 2, x, p, kernel_size, stride)


def lp_pool1d(x, p, kernel_size, stride=None):
    r"""1-D p-norm pooling: :func:`lp_pool2d` on maps of height 1.

    Returns
    -------
    y : ndarray, shape (N, C, L_out)
    """
    return _lp_pool("lp_pool1d", 1, x, p, kernel_size, stride)


def _lp_pool_backward(fn, nd, dy, x, p, kernel_size, stride):
    p = check_real(fn, "p", p, 1.0)
    dy, Y, (K_h, K_w), (S_h, S_w), _, _ = _pool_backward_setup(fn, nd, dy, x, kernel_size, stride, 0)
    z = _lp_pool(fn, 2, Y, p, (K_h, K_w), (S_h, S_w))
    N, C, H_out, W_out = dy.shape
    dY = np.zeros_like(Y)
    # Not in the lecture; differentiate y = (1/K sum |x|^p)^(1/p):
    # dy/dx = (1/K) sign(x) (|x| / y)^(p-1), and 0 where y = 0 (a subgradient).
    for s in range(N):
        for j in range(C):
            for m in range(H_out):
                for n in range(W_out):
                    if z[s, j, m, n] == 0:
                        continue
                    for x in range(m * S_h, m * S_h + K_h):
                        for y in range(n * S_w, n * S_w + K_w):
                            v = Y[s, j, x, y]
                            dY[s, j, x, y] += (dy[s, j, m, n] / (K_h * K_w) * np.sign(v)
                                               * (abs(v) / z[s, j, m, n]) ** (p - 1))
    return _finish(dY, nd)


def lp_pool2d_backward(dy, x, p, kernel_size, stride=None):
    r"""Gradient of :func:`lp_pool2d`.

    .. math::

        dY[s, j, x, y] \mathrel{+}= \frac{dy[s, j, m, n]}{K_hK_w}\,\operatorname{sign}(Y[s, j, x, y])
            \left(\frac{|Y[s, j, x, y]|}{z[s, j, m, n]}\right)^{p-1}

    for every pool :math:`(m, n)` containing :math:`(x, y)`; zero where :math:`z = 0`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    """
    return _lp_pool_backward("lp_pool2d_backward", 2, dy, x, p, kernel_size, stride)


def lp_pool1d_backward(dy, x, p, kernel_size, stride=None):
    r"""Gradient of :func:`lp_pool1d`; see :func:`lp_pool2d_backward`.

    Returns
    -------
    dx : ndarray, shape (N, C, L)
    """
    return _lp_pool_backward("lp_pool1d_backward", 1, dy, x, p, kernel_size, stride)


# ---------------------------------------------------------------------------
# Upsampling and downsampling (1-D or 2-D maps)
# ---------------------------------------------------------------------------

def _resampling_setup(fn, name, x, factor):
    a = np.asarray(x)
    if a.ndim not in (3, 4):
        raise ValueError(f"{fn}: {name} must be a 3-D (N, C, L) or 4-D (N, C, H, W) array, got shape {a.shape}")
    nd = a.ndim - 2
    a = _maps(fn, name, a, nd)
    S = int_tuple(fn, "factor", factor, nd, 1)
    if nd == 1:
        a, S = _lift(a), (1, *S)
    (a,) = common_float(a)
    return a, S, nd


def upsample(x, factor):
    r"""Insert ``factor - 1`` zeros between neighbouring samples (slide "Upsampling").

    .. math:: u[(x-1)S + 1] = x[x] \text{ (1-based)}, \qquad u = 0 \text{ elsewhere}

    A map of size :math:`n` becomes one of size :math:`(n-1)S + 1`.

    Parameters
    ----------
    x : array_like, shape (N, C, L) or (N, C, H, W)
    factor : int or tuple of int, one per spatial dimension

    Returns
    -------
    u : ndarray, shape (N, C, (L-1)S+1) or (N, C, (H-1)S_h+1, (W-1)S_w+1)

    Examples
    --------
    >>> upsample([[[1, 2, 3]]], 2)
    array([[[1., 0., 2., 0., 3.]]])
    """
    dz, (S_h, S_w), nd = _resampling_setup("upsample", "x", x, factor)
    N, C, H, W = dz.shape
    # The slide's second version.  Its first version sizes dzup as the stride-1
    # map H_{l-1}-K+1 but loops over the input map's H_{l-1} instead of dz's H.
    dzup = np.zeros((N, C, (H - 1) * S_h + 1, (W - 1) * S_w + 1), dtype=dz.dtype)
    for x in range(H):
        for y in range(W):
            dzup[:, :, x * S_h, y * S_w] = dz[:, :, x, y]      # dzup((x-1)S+1, (y-1)S+1) = dz(x, y)
    return _finish(dzup, nd)


def downsample(x, factor):
    r"""Keep every ``factor``-th sample, starting with the first ("dropping S-1 out of every S").

    .. math:: d[x] = x[(x-1)S + 1] \text{ (1-based)}

    A map of size :math:`n` becomes one of size :math:`\lceil n/S \rceil`.

    Parameters
    ----------
    x : array_like, shape (N, C, L) or (N, C, H, W)
    factor : int or tuple of int

    Returns
    -------
    d : ndarray, shape (N, C, ceil(L/S)) or (N, C, ceil(H/S_h), ceil(W/S_w))

    Examples
    --------
    >>> downsample([[[1, 0, 2, 0, 3]]], 2)
    array([[[1., 2., 3.]]])
    """
    z, (S_h, S_w), nd = _resampling_setup("downsample", "x", x, factor)
    N, C, H, W = z.shape
    H_out, W_out = -(-H // S_h), -(-W // S_w)
    d = np.zeros((N, C, H_out, W_out), dtype=z.dtype)
    for m in range(H_out):
        for n in range(W_out):
            d[:, :, m, n] = z[:, :, m * S_h, n * S_w]
    return _finish(d, nd)


def upsample_backward(dy, x, factor):
    r"""Gradient of :func:`upsample`: the derivative at the kept positions, :func:`downsample` of ``dy``.

    Parameters
    ----------
    dy : array_like, shape of ``upsample(x, factor)``
    x : array_like, the forward input (only its shape is used)
    factor : int or tuple of int

    Returns
    -------
    dx : ndarray, shape of ``x``, dtype of ``dy`` (float32 or float64)
    """
    fn = "upsample_backward"
    if np.shape(dy) != upsample(np.zeros(np.shape(x)), factor).shape:
        raise ValueError(f"{fn}: dy must have the shape of upsample(x, factor), got {np.shape(dy)} "
                         f"for x of shape {np.shape(x)}")
    return downsample(dy, factor)


def downsample_backward(dy, x, factor):
    r"""Gradient of :func:`downsample`: ``dy`` put back at the kept positions, zeros elsewhere.

    Unlike :func:`upsample` the result has the size of ``x``, which may extend up
    to ``factor - 1`` samples past the last kept one.

    Parameters
    ----------
    dy : array_like, shape of ``downsample(x, factor)``
    x : array_like, the forward input (only its shape is used)
    factor : int or tuple of int

    Returns
    -------
    dx : ndarray, shape of ``x``, dtype of ``dy`` (float32 or float64)
    """
    fn = "downsample_backward"
    d, (S_h, S_w), nd = _resampling_setup(fn, "dy", dy, factor)
    x_shape = np.shape(x)
    if len(x_shape) != nd + 2 or np.shape(dy) != downsample(np.zeros(x_shape), factor).shape:
        raise ValueError(f"{fn}: dy must have the shape of downsample(x, factor), got {np.shape(dy)} "
                         f"for x of shape {x_shape}")
    dx = np.zeros(d.shape[:2] + (x_shape[2:] if nd == 2 else (1, *x_shape[2:])), dtype=d.dtype)
    for m in range(d.shape[2]):
        for n in range(d.shape[3]):
            dx[:, :, m * S_h, n * S_w] = d[:, :, m, n]
    return _finish(dx, nd)
