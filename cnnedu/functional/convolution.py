r"""Convolution and transposed convolution, forward and backward, in 1-D and 2-D.

Conventions are PyTorch's (``torch.nn.functional``): inputs ``(N, C, L)`` or
``(N, C, H, W)``, weights ``(C_out, C_in/groups, K...)``, cross-correlation (the
filter is not flipped), padding counted per side.

The forward convolution (the lecture's affine map, with stride :math:`S`,
dilation :math:`D`, padding :math:`P` and :math:`G` groups of channels) is

.. math::

    z[n, o, p, q] = b[o] + \sum_{c \in \text{group}(o)} \sum_{i, j}
        w[o, c, i, j]\; x[n, c,\; pS_h - P_h + iD_h,\; qS_w - P_w + jD_w]

with :math:`x` taken as zero outside the input.  Its backward pass is what the
lecture derives: the derivative for the input is a convolution of the
(zero-upsampled) derivative maps with the flipped, transposed filters, and the
derivative for the filters is a correlation of the derivative maps with the input:

.. math::

    \frac{\partial L}{\partial x[n, c, h, w]} = \sum_{o, p, q, i, j}
        \frac{\partial L}{\partial z[n, o, p, q]}\, w[o, c, i, j]
        \;[h = pS_h - P_h + iD_h,\; w = qS_w - P_w + jD_w]

    \frac{\partial L}{\partial w[o, c, i, j]} = \sum_{n, p, q}
        \frac{\partial L}{\partial z[n, o, p, q]}\, x[n, c, pS_h - P_h + iD_h, qS_w - P_w + jD_w]

    \frac{\partial L}{\partial b[o]} = \sum_{n, p, q} \frac{\partial L}{\partial z[n, o, p, q]}

The fast path unfolds the windows into columns (:mod:`._im2col`, Numba) and
multiplies them by the filters with BLAS (``numpy.matmul``), a chunk of output
positions at a time.  Two kinds of layer get a shortcut: a 1x1 kernel with stride 1
and no padding is a plain matrix product per sample; when every filter sees a
single input map (depthwise convolution, or one input channel) Numba kernels
convolve directly (:mod:`._direct`), since a column matrix of :math:`K_hK_w`
rows would not pay for itself.  The batch is split over the cores, one slice
per thread with BLAS single-threaded inside (:mod:`._parallel`).  A transposed
convolution is the input-gradient of a convolution, so all six public
operations are built from the same three passes (forward, input gradient,
weight gradient), which :func:`_slice` runs on a slice of the batch; a backward
pass runs two of them in one sweep, sharing their columns.  The plain loops the
lecture writes are in :mod:`cnnedu.reference`.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from .._checks import as_real_array, check_int, common_float
from ._direct import direct_forward, direct_input_grad, direct_weight_grad
from ._geometry import (Geometry, check_dy, drop, layout, lift, spatial, transpose_geometry,
                        window_geometry)
from ._im2col import Unfolding, col2im, im2col, merge_phases, narrow, pad_phases, unfolding, widen
from ._parallel import split_batch

__all__ = [
    "conv1d", "conv2d", "conv1d_backward", "conv2d_backward",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose1d_backward", "conv_transpose2d_backward",
]


# ---------------------------------------------------------------------------
# The passes (4-D, C-contiguous, one dtype, geometry already checked)
#
# The input is zero-padded and split into stride phases once (pad_phases), then
# the output positions of the whole batch are processed in chunks whose column
# matrix stays in cache (~_CHUNK_BYTES), in buffers reused across calls (per
# thread): a fresh column matrix for a whole batch can be tens of MB, and filling
# freshly mapped memory costs more than the GEMM.  See _im2col.py for the layout.
# ---------------------------------------------------------------------------

_CHUNK_BYTES = 1 << 19
_MIN_CHUNK = 256          # positions: narrower GEMMs lose BLAS efficiency
_DIRECT_MAX_FILTERS = 8   # filters per input map up to which direct kernels beat im2col + GEMM
_workspaces = threading.local()


def _workspace(name: str, shape: tuple, dtype) -> np.ndarray:
    """A scratch array of ``shape``, reused across calls in this thread (contents undefined)."""
    size = math.prod(shape)
    buf = getattr(_workspaces, name, None)
    if buf is None or buf.dtype != dtype or buf.size < size:
        buf = np.empty(max(size, 1), dtype=dtype)
        setattr(_workspaces, name, buf)
    return buf[:size].reshape(shape)


def _chunk_positions(rows: int) -> int:
    """Positions per chunk: a column matrix of about _CHUNK_BYTES (float32), at least _MIN_CHUNK."""
    return max(_MIN_CHUNK, _CHUNK_BYTES // (4 * max(rows, 1)), 1)


def _pointwise(g: Geometry) -> bool:
    """A 1x1 kernel, stride 1, no padding: the convolution is a plain matrix product per sample."""
    return (g.kernel == (1, 1) and g.stride == (1, 1) and g.pad_lo == (0, 0)
            and g.out_size == g.in_size)


def _phases(x: np.ndarray, g: Geometry, u: Unfolding, name: str) -> np.ndarray:
    """x zero-padded and split into its stride phases, in a workspace: (N, C, S_h*S_w, length)."""
    xt = _workspace(name, (*x.shape[:2], u.phases[0] * u.phases[1], u.phase_length), x.dtype)
    pad_phases(x, xt, *u.phases, *g.pad_lo, *u.phase_size)
    return xt


def _forward(x: np.ndarray, w: np.ndarray, g: Geometry, groups: int, b=None) -> np.ndarray:
    """z = w * x + b: (N, C, H, W), (O, C/G, kh, kw) -> (N, O, OH, OW)."""
    z = np.empty((x.shape[0], w.shape[0], *g.out_size), dtype=x.dtype)
    split_batch(x.shape[0], lambda lo, hi: _slice(g, groups, w, x=x[lo:hi], b=b, z=z[lo:hi]))
    return z


def _input_grad(dz: np.ndarray, w: np.ndarray, g: Geometry, groups: int, in_channels: int) -> np.ndarray:
    """dL/dx from dL/dz: fold (w^T dz) back onto the input grid (col2im accumulates overlaps)."""
    dx = np.empty((dz.shape[0], in_channels, *g.in_size), dtype=dz.dtype)
    split_batch(dz.shape[0], lambda lo, hi: _slice(g, groups, w, dz=dz[lo:hi], dx=dx[lo:hi]))
    return dx


def _sum_parts(parts: list, w_shape: tuple) -> np.ndarray:
    """Add the threads' dL/dw (in a fixed order, so the result does not depend on timing)."""
    dw = parts[0]
    for part in parts[1:]:
        dw += part
    return dw.reshape(w_shape)


def _slice(g: Geometry, groups: int, w, x=None, b=None, z=None, dz=None, dx=None, dw=False):
    """Run, on one slice of the batch, the passes that were asked for, sharing their columns.

    ``x`` and ``z`` given: forward, ``z = w * x + b``.  ``dz`` and ``dx``: input
    gradient into ``dx``.  ``x``, ``dz`` and ``dw=True``: return the weight gradient
    (``w`` may then be just its shape).  A convolution's backward asks for both
    gradients (one widening of ``dz`` per chunk); a transposed convolution's
    backward asks for a forward pass and the weight gradient of the same ``x``
    (one im2col per chunk).
    """
    src = x if x is not None else dz
    n = src.shape[0]
    w_shape = w if isinstance(w, tuple) else w.shape
    c = x.shape[1] if x is not None else dx.shape[1]
    o = w_shape[0]
    og, rows = o // groups, c // groups * g.kernel[0] * g.kernel[1]
    dtype = src.dtype
    wm = None if isinstance(w, tuple) else w.reshape(groups, og, rows)
    dwt = np.zeros((groups, rows, og), dtype=dtype) if dw else None   # dL/dw, transposed
    if n == 0:
        pass
    elif _pointwise(g):
        # 1x1 kernel, stride 1, no padding: x is its own column matrix, sample by sample.
        if z is not None:
            np.matmul(wm, x.reshape(n, groups, rows, -1), out=z.reshape(n, groups, og, -1))
            if b is not None:
                z += b.reshape(-1, 1, 1)
        if dx is not None:
            np.matmul(wm.transpose(0, 2, 1), dz.reshape(n, groups, og, -1), out=dx.reshape(n, groups, rows, -1))
        if dw:
            xm = x.reshape(n, groups, rows, -1)
            dwt += np.matmul(xm, dz.reshape(n, groups, og, -1).transpose(0, 1, 3, 2)).sum(axis=0)
    elif c == groups and og <= _DIRECT_MAX_FILTERS:
        # One input map per filter (depthwise, or C_in = 1): convolve directly, no columns.
        u = unfolding(g)
        wph = u.phase_size[1]
        ntap = rows
        w2 = None if wm is None else wm.reshape(o, ntap)
        xt = _phases(x, g, u, "xt") if x is not None else None
        if z is not None:
            direct_forward(xt, w2, np.zeros(o, dtype=dtype) if b is None else b, u.taps, z, wph)
        if dx is not None:
            dxt = _workspace("dxt", (n, c, u.phases[0] * u.phases[1], u.phase_length), dtype)
            dxt.fill(0)
            direct_input_grad(dz, w2, u.taps, dxt, wph)
            merge_phases(dxt, dx, *u.phases, *g.pad_lo, *u.phase_size)
        if dw:
            dw2 = np.zeros((o, ntap), dtype=dtype)
            direct_weight_grad(dz, xt, u.taps, dw2, wph)
            dwt += dw2.reshape(groups, og, rows).transpose(0, 2, 1)
    else:
        u = unfolding(g)
        xt = _phases(x, g, u, "xt") if x is not None else None
        if dx is not None:
            dxt = _workspace("dxt", (n, c, u.phases[0] * u.phases[1], u.phase_length), dtype)
            dxt.fill(0)
        bias = None
        if z is not None:
            bias = np.zeros(o, dtype=dtype) if b is None else b
        step = _chunk_positions(groups * rows)
        total = n * u.length
        size = min(step, total)
        colbuf = _workspace("col", (groups * rows * size,), dtype)
        zbuf = _workspace("zw", (o * size,), dtype)
        dzbuf = _workspace("dzw", (o * size,), dtype)
        part = _workspace("part", (groups, rows, og), dtype) if dw else None

        def views(count):   # the chunk's column matrix and outputs, in the reused buffers
            return (colbuf[:groups * rows * count].reshape(groups, rows, count),
                    zbuf[:o * count].reshape(groups, og, count), dzbuf[:o * count].reshape(groups, og, count))

        full = views(size)
        for start in range(0, total, step):
            count = min(step, total - start)
            col, zw, dzw = full if count == size else views(count)
            if x is not None:
                im2col(xt, col, u.taps, u.runs, u.run_length, u.run_stride, start)
            if z is not None:
                np.matmul(wm, col, out=zw)
                narrow(zw.reshape(o, count), bias, z, u.pitch, start)
            if dz is not None:
                widen(dz, dzw.reshape(o, count), u.pitch, start)
            if dw:
                np.matmul(col, dzw.transpose(0, 2, 1), out=part)
                dwt += part
            if dx is not None:
                np.matmul(wm.transpose(0, 2, 1), dzw, out=col)
                col2im(col, dxt, u.taps, u.runs, u.run_length, u.run_stride, start)
        if dx is not None:
            merge_phases(dxt, dx, *u.phases, *g.pad_lo, *u.phase_size)
    return dwt.transpose(0, 2, 1).copy() if dw else None


# ---------------------------------------------------------------------------
# Argument checking
# ---------------------------------------------------------------------------

def _check_sizes(fn, name, shape, what, first=0):
    """Every dimension of ``shape`` from ``first`` on must be at least 1."""
    if any(s < 1 for s in shape[first:]):
        raise ValueError(f"{fn}: {name} must have {what} of at least 1, got shape {shape}")


def _conv_args(fn, nd, x, w, b, stride, padding, dilation, groups):
    x = as_real_array(fn, "x", x, nd + 2, layout(nd))
    w = as_real_array(fn, "w", w, nd + 2, "(C_out, C_in/groups" + ", K" * nd + ")")
    b = None if b is None else as_real_array(fn, "b", b, 1, "(C_out,)")
    groups = check_int(fn, "groups", groups, 1)
    stride = spatial(fn, "stride", stride, nd)
    dilation = spatial(fn, "dilation", dilation, nd)
    _check_sizes(fn, "x", x.shape, "channels and spatial sizes", first=1)
    _check_sizes(fn, "w", w.shape, "every dimension")
    c, (o, cg) = x.shape[1], w.shape[:2]
    if c % groups:
        raise ValueError(f"{fn}: groups {groups} must divide the {c} input channels of x")
    if o % groups:
        raise ValueError(f"{fn}: groups {groups} must divide the {o} output channels of w (w.shape[0])")
    if cg != c // groups:
        raise ValueError(
            f"{fn}: w has {cg} input channels per group (w.shape[1]), but x has {c} channels "
            f"and groups={groups}, so w.shape[1] must be {c // groups}"
        )
    if b is not None and b.shape != (o,):
        raise ValueError(f"{fn}: bias b must have shape ({o},), one per output channel, got {b.shape}")
    g = window_geometry(fn, nd, x.shape[2:], w.shape[2:], stride, padding, dilation)
    return x, w, b, g, groups


def _transpose_args(fn, nd, x, w, b, stride, padding, output_padding, groups, dilation):
    x = as_real_array(fn, "x", x, nd + 2, layout(nd))
    w = as_real_array(fn, "w", w, nd + 2, "(C_in, C_out/groups" + ", K" * nd + ")")
    b = None if b is None else as_real_array(fn, "b", b, 1, "(C_out,)")
    groups = check_int(fn, "groups", groups, 1)
    stride = spatial(fn, "stride", stride, nd)
    dilation = spatial(fn, "dilation", dilation, nd)
    _check_sizes(fn, "x", x.shape, "channels and spatial sizes", first=1)
    _check_sizes(fn, "w", w.shape, "every dimension")
    c, (cw, og) = x.shape[1], w.shape[:2]
    if c != cw:
        raise ValueError(
            f"{fn}: x has {c} channels but w has {cw} input channels (w.shape[0]); "
            f"a transposed convolution's weight is (C_in, C_out/groups, K...)"
        )
    if c % groups:
        raise ValueError(f"{fn}: groups {groups} must divide the {c} input channels of x")
    o = og * groups
    if b is not None and b.shape != (o,):
        raise ValueError(f"{fn}: bias b must have shape ({o},), one per output channel, got {b.shape}")
    g = transpose_geometry(fn, nd, x.shape[2:], w.shape[2:], stride, padding, output_padding, dilation)
    return x, w, b, g, groups, o


def _check_dy(fn, nd, dy, expected_shape):
    dy = as_real_array(fn, "dy", dy, nd + 2, layout(nd))
    check_dy(fn, dy, expected_shape)
    return dy


# ---------------------------------------------------------------------------
# Convolution
# ---------------------------------------------------------------------------

def _conv(fn, nd, x, w, b, stride, padding, dilation, groups):
    x, w, b, g, groups = _conv_args(fn, nd, x, w, b, stride, padding, dilation, groups)
    x, w, b = common_float(x, w, b)
    return drop(_forward(lift(x, nd), lift(w, nd), g, groups, b), nd)


def _conv_backward(fn, nd, dy, x, w, stride, padding, dilation, groups):
    x, w, _, g, groups = _conv_args(fn, nd, x, w, None, stride, padding, dilation, groups)
    n, o = x.shape[0], w.shape[0]
    out = (n, o, *(g.out_size[-nd:]))
    dy = _check_dy(fn, nd, dy, out)
    dy, x, w = common_float(dy, x, w)
    dz, x4, w4 = lift(dy, nd), lift(x, nd), lift(w, nd)
    # the input and the weight gradients in one sweep over the batch (they share the widened dz)
    dx = np.empty(x4.shape, dtype=dz.dtype)
    dw = _sum_parts(split_batch(n, lambda lo, hi: _slice(g, groups, w4, x=x4[lo:hi], dz=dz[lo:hi],
                                                         dx=dx[lo:hi], dw=True)), w4.shape)
    db = dy.sum(axis=(0, *range(2, nd + 2)))
    return drop(dx, nd), drop(dw, nd), db


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    r"""2-D convolution (cross-correlation), as ``torch.nn.functional.conv2d``.

    .. math::

        z[n, o, p, q] = b[o] + \sum_{c=1}^{C_{in}/G} \sum_{i=0}^{K_h-1} \sum_{j=0}^{K_w-1}
            w[o, c, i, j]\; x[n,\; g(o)\tfrac{C_{in}}{G} + c,\; pS_h - P_{top} + iD_h,\;
            qS_w - P_{left} + jD_w]

    where :math:`g(o)` is the group of output channel :math:`o` and :math:`x` is
    zero outside the input (zero padding).

    Parameters
    ----------
    x : array_like, shape (N, C_in, H, W)
    w : array_like, shape (C_out, C_in/groups, K_h, K_w)
    b : array_like, shape (C_out,), optional
    stride, dilation : int or (int, int)
    padding : int, (int, int), ((top, bottom), (left, right)), "valid", "same" or "full"
        ``"same"`` follows the lecture (output :math:`\lceil N/S \rceil`, see
        :func:`cnnedu.sizes.same_padding`).
    groups : int
        Split the channels into ``groups`` independent convolutions;
        ``groups = C_in`` (with ``C_out = C_in``) is depthwise convolution.

    Returns
    -------
    z : ndarray, shape (N, C_out, H_out, W_out)
        ``H_out = conv_output_size(H, K_h, S_h, padding, D_h)``, likewise ``W_out``.
        float32 if every input is float32, else float64.

    Examples
    --------
    The lecture's 5x5 binary image scanned by its 3x3 filter:

    >>> import numpy as np
    >>> image = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1],
    ...                   [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
    >>> filt = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    >>> conv2d(image[None, None], filt[None, None])[0, 0]
    array([[4., 3., 4.],
           [2., 4., 3.],
           [2., 3., 4.]])
    >>> conv2d(image[None, None], filt[None, None], stride=2)[0, 0]
    array([[4., 4.],
           [2., 4.]])
    """
    return _conv("conv2d", 2, x, w, b, stride, padding, dilation, groups)


def conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    r"""1-D convolution (cross-correlation) over time, as ``torch.nn.functional.conv1d``.

    .. math::

        z[n, o, t] = b[o] + \sum_{c=1}^{C_{in}/G} \sum_{i=0}^{K-1}
            w[o, c, i]\; x[n, g(o)\tfrac{C_{in}}{G} + c, tS - P_{lo} + iD]

    This is a time-delay neural network layer: one perceptron with
    :math:`C_{in}K/G` inputs scanned along the signal.

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
    z : ndarray, shape (N, C_out, L_out), ``L_out = conv_output_size(L, K, S, padding, D)``

    Examples
    --------
    >>> conv1d([[[1, 2, 3, 4]]], [[[1, -1]]])
    array([[[-1., -1., -1.]]])
    """
    return _conv("conv1d", 1, x, w, b, stride, padding, dilation, groups)


def conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1, groups=1):
    r"""Gradients of :func:`conv2d` with respect to its input, weights and bias.

    Given :math:`\partial L/\partial z` (``dy``), returns

    * ``dx`` :math:`= \partial L/\partial x`: the zero-upsampled (stride) ``dy``
      convolved with the flipped, transposed filters, with the padding cropped away;
    * ``dw`` :math:`= \partial L/\partial w`: ``dy`` correlated with the (padded) input,
      summed over the batch;
    * ``db`` :math:`= \sum_{n,p,q} \partial L/\partial z[n,o,p,q]`.

    Parameters
    ----------
    dy : array_like, shape (N, C_out, H_out, W_out)
        The shape :func:`conv2d` returned for the same arguments.
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
    >>> x, w = np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2))
    >>> dx, dw, db = conv2d_backward(np.ones((1, 1, 2, 2)), x, w)
    >>> dx[0, 0]                    # how many windows cover each pixel
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    return _conv_backward("conv2d_backward", 2, dy, x, w, stride, padding, dilation, groups)


def conv1d_backward(dy, x, w, stride=1, padding=0, dilation=1, groups=1):
    r"""Gradients of :func:`conv1d`: ``(dx, dw, db)``, see :func:`conv2d_backward`.

    Parameters
    ----------
    dy : array_like, shape (N, C_out, L_out)
    x, w, stride, padding, dilation, groups
        As given to :func:`conv1d`.

    Returns
    -------
    dx : ndarray, shape (N, C_in, L)
    dw : ndarray, shape (C_out, C_in/groups, K)
    db : ndarray, shape (C_out,)
    """
    return _conv_backward("conv1d_backward", 1, dy, x, w, stride, padding, dilation, groups)


# ---------------------------------------------------------------------------
# Transposed ("expanding") convolution
# ---------------------------------------------------------------------------

def _conv_transpose(fn, nd, x, w, b, stride, padding, output_padding, groups, dilation):
    x, w, b, g, groups, o = _transpose_args(fn, nd, x, w, b, stride, padding, output_padding,
                                            groups, dilation)
    x, w, b = common_float(x, w, b)
    z = _input_grad(lift(x, nd), lift(w, nd), g, groups, o)
    if b is not None:
        z += b.reshape(1, -1, 1, 1)
    return drop(z, nd)


def _conv_transpose_backward(fn, nd, dy, x, w, stride, padding, output_padding, groups, dilation):
    x, w, _, g, groups, o = _transpose_args(fn, nd, x, w, None, stride, padding, output_padding,
                                            groups, dilation)
    dy = _check_dy(fn, nd, dy, (x.shape[0], o, *(g.in_size[-nd:])))
    dy, x, w = common_float(dy, x, w)
    dz, x4, w4 = lift(dy, nd), lift(x, nd), lift(w, nd)
    # The transposed convolution is x -> (forward conv)^T x, so its input gradient
    # is the forward convolution of dy, and its weight gradient is the forward
    # convolution's weight gradient with the roles of input and output swapped.
    # (the forward pass of dy and the weight gradient in one sweep: they share the columns of dy)
    dx = np.empty((x.shape[0], x.shape[1], *g.out_size), dtype=dz.dtype)
    dw = _sum_parts(split_batch(x.shape[0], lambda lo, hi: _slice(g, groups, w4, x=dz[lo:hi], z=dx[lo:hi],
                                                                  dz=x4[lo:hi], dw=True)), w4.shape)
    db = dy.sum(axis=(0, *range(2, nd + 2)))
    return drop(dx, nd), drop(dw, nd), db


def conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    r"""2-D transposed ("expanding") convolution, as ``torch.nn.functional.conv_transpose2d``.

    Each input value *pushes* a copy of the filter, scaled by itself, onto the
    output (the lecture's expanding layer); equivalently, insert :math:`S-1` zeros
    between input samples and convolve with the flipped, transposed filter:

    .. math::

        z[n, o, h, w] = b[o] + \sum_{c \in \text{group}(o)} \sum_{p, q, i, j}
            x[n, c, p, q]\; w[c, o', i, j]\;
            [h = pS_h - P_{top} + iD_h,\; w = qS_w - P_{left} + jD_w]

    with :math:`o'` the index of :math:`o` within its group.  It is the transpose
    (the input-gradient) of :func:`conv2d` with the same stride, padding and
    dilation, so ``padding`` crops the output.

    Parameters
    ----------
    x : array_like, shape (N, C_in, H, W)
    w : array_like, shape (C_in, C_out/groups, K_h, K_w)
    b : array_like, shape (C_out,), optional
    stride, dilation : int or (int, int)
    padding : int, (int, int), ((top, bottom), (left, right)), "valid" or "same"
        ``"same"`` gives an output of exactly :math:`(HS_h, WS_w)`.
    output_padding : int or (int, int)
        Extra rows/columns at the bottom/right, smaller than stride or dilation.
    groups : int

    Returns
    -------
    z : ndarray, shape (N, C_out, H_out, W_out)
        ``H_out = (H-1)S_h - P_{top} - P_{bottom} + D_h(K_h-1) + output_padding + 1``
        (:func:`cnnedu.sizes.conv_transpose_output_size`).

    Examples
    --------
    >>> conv_transpose2d([[[[1, 2], [3, 4]]]], [[[[1, 1], [1, 1]]]], stride=2)[0, 0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.],
           [3., 3., 4., 4.],
           [3., 3., 4., 4.]])
    """
    return _conv_transpose("conv_transpose2d", 2, x, w, b, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose1d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    r"""1-D transposed convolution, as ``torch.nn.functional.conv_transpose1d``.

    .. math::

        z[n, o, t] = b[o] + \sum_{c \in \text{group}(o)} \sum_{p, i}
            x[n, c, p]\, w[c, o', i]\; [t = pS - P_{lo} + iD]

    Parameters
    ----------
    x : array_like, shape (N, C_in, L)
    w : array_like, shape (C_in, C_out/groups, K)
    b : array_like, shape (C_out,), optional
    stride, dilation, output_padding : int
    padding : int, (lo, hi), "valid" or "same"
    groups : int

    Returns
    -------
    z : ndarray, shape (N, C_out, (L-1)S - P_lo - P_hi + D(K-1) + output_padding + 1)

    Examples
    --------
    >>> conv_transpose1d([[[1, 2, 3]]], [[[1, 10]]], stride=2)
    array([[[ 1., 10.,  2., 20.,  3., 30.]]])
    """
    return _conv_transpose("conv_transpose1d", 1, x, w, b, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose2d_backward(dy, x, w, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    r"""Gradients of :func:`conv_transpose2d`: ``(dx, dw, db)``.

    Because the transposed convolution is the transpose of :func:`conv2d`, its
    input gradient is an ordinary (strided) convolution of ``dy`` with ``w``, and
    its weight gradient correlates ``dy`` with the zero-upsampled input.

    Parameters
    ----------
    dy : array_like, shape (N, C_out, H_out, W_out)
        The shape :func:`conv_transpose2d` returned for the same arguments.
    x, w, stride, padding, output_padding, groups, dilation
        As given to :func:`conv_transpose2d`.

    Returns
    -------
    dx : ndarray, shape (N, C_in, H, W)
    dw : ndarray, shape (C_in, C_out/groups, K_h, K_w)
    db : ndarray, shape (C_out,)
    """
    return _conv_transpose_backward("conv_transpose2d_backward", 2, dy, x, w, stride, padding,
                                    output_padding, groups, dilation)


def conv_transpose1d_backward(dy, x, w, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    r"""Gradients of :func:`conv_transpose1d`: ``(dx, dw, db)``, see :func:`conv_transpose2d_backward`.

    Returns
    -------
    dx : ndarray, shape (N, C_in, L)
    dw : ndarray, shape (C_in, C_out/groups, K)
    db : ndarray, shape (C_out,)
    """
    return _conv_transpose_backward("conv_transpose1d_backward", 1, dy, x, w, stride, padding,
                                    output_padding, groups, dilation)
