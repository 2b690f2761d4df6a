"""Deliberately wrong A2 functions: one per common mistake, each one slip away from a right answer.

``MISTAKES`` maps a name to ``(part, function)``.  ``tests/test_grading_a2.py`` judges each
one in-process and checks the tests it fails, the score and the mistake named.  The
functions are written the way students write them (loops over the windows, the lecture's
push loop, the fill-in-zeros recipe), with one knob turned; they share no code with the
grader's wrong references in ``cnnedu/grading/assignments/a2_pooling.py``.
"""

import math

import numpy as np

MISTAKES = {}


def mistake(part):
    def register(fn):
        MISTAKES[fn.__name__] = (part, fn)
        return fn
    return register


# --- pooling, forward ---------------------------------------------------------------------------

def _pool(x, K, S, reduce, *, step=None, size=None, all_maps=False):
    """Pooling loops with knobs: the step between windows, the output size, all maps in one window."""
    step = S if step is None else step
    N, C, H, W = x.shape
    H_out, W_out = size(H, W) if size is not None else ((H - K) // S + 1, (W - K) // S + 1)
    y = np.zeros((N, C, H_out, W_out))
    for s in range(N):
        for c in range(C):
            for m in range(H_out):
                for n in range(W_out):
                    maps = slice(None) if all_maps else c
                    y[s, c, m, n] = reduce(x[s, maps, m * step:m * step + K, n * step:n * step + K])
    return y


@mistake("max_pool2d_forward")
def max_forgot_stride(x, kernel_size, stride):
    return _pool(x, kernel_size, 1, np.max)


@mistake("max_pool2d_forward")
def max_window_step_one(x, kernel_size, stride):
    return _pool(x, kernel_size, stride, np.max, step=1)


@mistake("max_pool2d_forward")
def max_size_ceil(x, kernel_size, stride):
    K, S = kernel_size, stride
    return _pool(x, K, S, np.max, size=lambda H, W: (math.ceil((H - K) / S) + 1, math.ceil((W - K) / S) + 1))


@mistake("max_pool2d_forward")
def max_size_forgot_plus_one(x, kernel_size, stride):
    K, S = kernel_size, stride
    return _pool(x, K, S, np.max, size=lambda H, W: ((H - K) // S, (W - K) // S))


@mistake("max_pool2d_forward")
def max_size_n_over_s(x, kernel_size, stride):
    return _pool(x, kernel_size, stride, np.max, size=lambda H, W: (H // stride, W // stride))


@mistake("max_pool2d_forward")
def max_mixed_maps(x, kernel_size, stride):
    return _pool(x, kernel_size, stride, np.max, all_maps=True)


@mistake("avg_pool2d_forward")
def mean_forgot_divide(x, kernel_size, stride):
    return _pool(x, kernel_size, stride, np.sum)


@mistake("avg_pool2d_forward")
def mean_divided_by_k(x, kernel_size, stride):
    return _pool(x, kernel_size, stride, lambda window: window.sum() / kernel_size)


@mistake("avg_pool2d_forward")
def mean_forgot_stride(x, kernel_size, stride):
    return _pool(x, kernel_size, 1, np.mean)


# --- pooling, backward --------------------------------------------------------------------------

def _first_max(window):
    i, j = np.unravel_index(np.argmax(window), window.shape)
    return [(i, j)]


def _max_back(dy, x, K, S, *, where=_first_max, share=lambda g, hits: g, step=None, accumulate=True,
              x_outer=False, shape=None):
    """The slide's loop, dY(pidx) += dy, with knobs."""
    step = S if step is None else step
    N, C, H, W = x.shape
    H_out, W_out = dy.shape[2:]
    dx = np.zeros(shape(H_out, W_out) if shape else x.shape)
    positions = [(m, n) for m in range(H_out) for n in range(W_out)]
    if x_outer:                                       # the slide's order: for x (columns), for y (rows)
        positions = [(m, n) for n in range(W_out) for m in range(H_out)]
    for s in range(N):
        for c in range(C):
            for m, n in positions:
                window = x[s, c, m * step:m * step + K, n * step:n * step + K]
                hits = where(window)
                for i, j in hits:
                    value = share(dy[s, c, m, n], hits)
                    if accumulate:
                        dx[s, c, m * step + i, n * step + j] += value
                    else:
                        dx[s, c, m * step + i, n * step + j] = value
    return dx


@mistake("max_pool2d_backward")
def max_grad_overwrote(dy, x, kernel_size, stride):
    return _max_back(dy, x, kernel_size, stride, accumulate=False)


@mistake("max_pool2d_backward")
def max_grad_overwrote_slide_order(dy, x, kernel_size, stride):
    return _max_back(dy, x, kernel_size, stride, accumulate=False, x_outer=True)


@mistake("max_pool2d_backward")
def max_grad_window_corner(dy, x, kernel_size, stride):
    return _max_back(dy, x, kernel_size, stride, where=lambda window: [(0, 0)])


@mistake("max_pool2d_backward")
def max_grad_spread(dy, x, kernel_size, stride):
    everywhere = lambda window: list(np.ndindex(*window.shape))             # noqa: E731
    return _max_back(dy, x, kernel_size, stride, where=everywhere, share=lambda g, hits: g / len(hits))


@mistake("max_pool2d_backward")
def max_grad_stride_ignored(dy, x, kernel_size, stride):
    return _max_back(dy, x, kernel_size, stride, step=1)


@mistake("max_pool2d_backward")
def max_grad_every_maximum(dy, x, kernel_size, stride):
    every = lambda window: list(zip(*np.nonzero(window == window.max())))    # noqa: E731
    return _max_back(dy, x, kernel_size, stride, where=every)


@mistake("max_pool2d_backward")
def max_grad_last_maximum(dy, x, kernel_size, stride):
    def last(window):
        best = (0, 0)
        for i in range(window.shape[0]):
            for j in range(window.shape[1]):
                if window[i, j] >= window[best]:                            # >= keeps the last on ties
                    best = (i, j)
        return [best]
    return _max_back(dy, x, kernel_size, stride, where=last)


@mistake("max_pool2d_backward")
def max_grad_split_ties(dy, x, kernel_size, stride):
    every = lambda window: list(zip(*np.nonzero(window == window.max())))    # noqa: E731
    return _max_back(dy, x, kernel_size, stride, where=every, share=lambda g, hits: g / len(hits))


@mistake("max_pool2d_backward")
def max_grad_wrong_shape(dy, x, kernel_size, stride):
    # dx as large as the windows reach, (H_out − 1)S + K: the rows that no window reached are missing
    covered = lambda H_out, W_out: (*x.shape[:2], (H_out - 1) * stride + kernel_size,      # noqa: E731
                                    (W_out - 1) * stride + kernel_size)
    return _max_back(dy, x, kernel_size, stride, shape=covered)


def _mean_back(dy, x, K, S, *, divisor=None, step=None, accumulate=True):
    step = S if step is None else step
    divisor = K * K if divisor is None else divisor
    dx = np.zeros(x.shape)
    for s in range(x.shape[0]):
        for c in range(x.shape[1]):
            for m in range(dy.shape[2]):
                for n in range(dy.shape[3]):
                    rows, cols = slice(m * step, m * step + K), slice(n * step, n * step + K)
                    if accumulate:
                        dx[s, c, rows, cols] += dy[s, c, m, n] / divisor
                    else:
                        dx[s, c, rows, cols] = dy[s, c, m, n] / divisor
    return dx


@mistake("avg_pool2d_backward")
def mean_grad_overwrote(dy, x, kernel_size, stride):
    return _mean_back(dy, x, kernel_size, stride, accumulate=False)


@mistake("avg_pool2d_backward")
def mean_grad_not_divided(dy, x, kernel_size, stride):
    return _mean_back(dy, x, kernel_size, stride, divisor=1)


@mistake("avg_pool2d_backward")
def mean_grad_divided_by_k(dy, x, kernel_size, stride):
    return _mean_back(dy, x, kernel_size, stride, divisor=kernel_size)


@mistake("avg_pool2d_backward")
def mean_grad_stride_ignored(dy, x, kernel_size, stride):
    return _mean_back(dy, x, kernel_size, stride, step=1)


# --- upsampling and downsampling ----------------------------------------------------------------

def _upsample(x, gap, size, start=0):
    N, C, H, W = x.shape
    u = np.zeros((N, C, *size(H, W)))
    for i in range(H):
        for j in range(W):
            u[:, :, start + i * gap, start + j * gap] = x[:, :, i, j]
    return u


@mistake("upsample")
def upsample_s_zeros(x, factor):
    S = factor                                        # S zeros between samples: a gap of S + 1
    return _upsample(x, S + 1, lambda H, W: ((H - 1) * (S + 1) + 1, (W - 1) * (S + 1) + 1))


@mistake("upsample")
def upsample_zeros_after_last(x, factor):
    return _upsample(x, factor, lambda H, W: (H * factor, W * factor))


@mistake("upsample")
def upsample_zeros_before(x, factor):
    return _upsample(x, factor, lambda H, W: (H * factor, W * factor), start=factor - 1)


@mistake("upsample")
def upsample_repeated(x, factor):
    return x.repeat(factor, axis=2).repeat(factor, axis=3)


@mistake("upsample")
def upsample_one_axis(x, factor):
    N, C, H, W = x.shape
    u = np.zeros((N, C, (H - 1) * factor + 1, W))
    u[:, :, ::factor, :] = x                          # the rows only
    return u


@mistake("downsample")
def downsample_wrong_start(x, factor):
    return x[:, :, factor - 1::factor, factor - 1::factor]


@mistake("downsample")
def downsample_floor(x, factor):
    N, C, H, W = x.shape
    d = np.zeros((N, C, H // factor, W // factor))
    for i in range(H // factor):
        for j in range(W // factor):
            d[:, :, i, j] = x[:, :, i * factor, j * factor]
    return d


@mistake("downsample")
def downsample_averaged(x, factor):
    N, C, H, W = x.shape
    d = np.zeros((N, C, H // factor, W // factor))
    for i in range(H // factor):
        for j in range(W // factor):
            d[:, :, i, j] = x[:, :, i * factor:(i + 1) * factor, j * factor:(j + 1) * factor].mean(axis=(2, 3))
    return d


@mistake("downsample")
def downsample_one_axis(x, factor):
    return x[:, :, :, ::factor]                        # the columns only


# --- transposed convolution, forward ------------------------------------------------------------

def _push(x, w, b, stride, padding, output_padding, *, flip=False, gap=None, crop=None, bias=True):
    """The lecture's push loop into the full output, then a crop: with knobs."""
    gap = stride if gap is None else gap
    N, C_in, H, W = x.shape
    _, C_out, K_h, K_w = w.shape
    if flip:
        w = w[:, :, ::-1, ::-1]
    full = np.zeros((N, C_out, (H - 1) * gap + K_h, (W - 1) * gap + K_w))
    for s in range(N):
        for i in range(C_in):
            for m in range(H):
                for n in range(W):
                    full[s, :, m * gap:m * gap + K_h, n * gap:n * gap + K_w] += x[s, i, m, n] * w[i]
    P, op = padding, output_padding
    full = np.pad(full, ((0, 0), (0, 0), (0, op), (0, op)))
    if crop is None:
        z = full[:, :, P:full.shape[2] - P, P:full.shape[3] - P]
    else:
        z = crop(full, P, op)
    return z + (b[None, :, None, None] if bias else 0)


def _scan(x, w, b, stride, padding, output_padding, *, flip=True, transpose_bank=True, zeros_after_last=False):
    """Fill in zeros, pad with K − 1 − P (and output_padding at the end), scan with stride 1."""
    N, C_in, H, W = x.shape
    K_h, K_w = w.shape[2:]
    S, P, op = stride, padding, output_padding
    filled = np.zeros((N, C_in, (H - 1) * S + 1, (W - 1) * S + 1))
    filled[:, :, ::S, ::S] = x
    if zeros_after_last:                               # the slide's bH: S − 1 zeros after the last sample too
        filled = np.pad(filled, ((0, 0), (0, 0), (0, S - 1), (0, S - 1)))
    padded = np.pad(filled, ((0, 0), (0, 0), (K_h - 1 - P, K_h - 1 - P + op), (K_w - 1 - P, K_w - 1 - P + op)))
    filters = w[:, :, ::-1, ::-1] if flip else w
    if transpose_bank:
        filters = filters.transpose(1, 0, 2, 3)       # (C_out, C_in, K_h, K_w), as a convolution wants
    windows = np.lib.stride_tricks.sliding_window_view(padded, (K_h, K_w), axis=(2, 3))
    return np.einsum("nchwpq,ocpq->nohw", windows, filters) + b[None, :, None, None]


@mistake("conv_transpose2d_forward")
def tconv_push_flipped(x, w, b, stride=1, padding=0, output_padding=0):
    return _push(x, w, b, stride, padding, output_padding, flip=True)


@mistake("conv_transpose2d_forward")
def tconv_scan_unflipped(x, w, b, stride=1, padding=0, output_padding=0):
    return _scan(x, w, b, stride, padding, output_padding, flip=False)


@mistake("conv_transpose2d_forward")
def tconv_bank_not_transposed(x, w, b, stride=1, padding=0, output_padding=0):
    return _scan(x, w, b, stride, padding, output_padding, transpose_bank=False)


@mistake("conv_transpose2d_forward")
def tconv_padding_added(x, w, b, stride=1, padding=0, output_padding=0):
    added = lambda full, P, op: np.pad(full, ((0, 0), (0, 0), (P, P), (P, P)))        # noqa: E731
    return _push(x, w, b, stride, padding, output_padding, crop=added)


@mistake("conv_transpose2d_forward")
def tconv_forgot_crop(x, w, b, stride=1, padding=0, output_padding=0):
    return _push(x, w, b, stride, padding, output_padding, crop=lambda full, P, op: full)


@mistake("conv_transpose2d_forward")
def tconv_crop_one_side(x, w, b, stride=1, padding=0, output_padding=0):
    return _push(x, w, b, stride, padding, output_padding, crop=lambda full, P, op: full[:, :, P:, P:])


@mistake("conv_transpose2d_forward")
def tconv_forgot_output_padding(x, w, b, stride=1, padding=0, output_padding=0):
    return _push(x, w, b, stride, padding, 0)


@mistake("conv_transpose2d_forward")
def tconv_output_padding_start(x, w, b, stride=1, padding=0, output_padding=0):
    op = output_padding
    z = _push(x, w, b, stride, padding, 0, bias=False)
    return np.pad(z, ((0, 0), (0, 0), (op, 0), (op, 0))) + b[None, :, None, None]


@mistake("conv_transpose2d_forward")
def tconv_no_zero_insertion(x, w, b, stride=1, padding=0, output_padding=0):
    return _push(x, w, b, stride, padding, output_padding, gap=1)


@mistake("conv_transpose2d_forward")
def tconv_zeros_after_last(x, w, b, stride=1, padding=0, output_padding=0):
    return _scan(x, w, b, stride, padding, output_padding, zeros_after_last=True)


@mistake("conv_transpose2d_forward")
def tconv_forgot_bias(x, w, b, stride=1, padding=0, output_padding=0):
    return _push(x, w, b, stride, padding, output_padding, bias=False)


# --- transposed convolution, backward -----------------------------------------------------------

def _tconv_back(dz, x, w, stride, padding, *, flip_dx=False, flip_dw=False, step=None, pad_dz=True,
                dw_last_example_only=False, db="sum"):
    """The pull loop: each input reads back the window it pushed to, with knobs."""
    step = stride if step is None else step
    N, C_in, H, W = x.shape
    _, C_out, K_h, K_w = w.shape
    P = padding
    if pad_dz:
        dz_full = np.pad(dz, ((0, 0), (0, 0), (P, P), (P, P)))
    else:                                              # dz where the uncropped output would start
        dz_full = np.pad(dz, ((0, 0), (0, 0), (0, 2 * P), (0, 2 * P)))
    w_dx = w[:, :, ::-1, ::-1] if flip_dx else w
    dx = np.zeros(x.shape)
    dw = np.zeros(w.shape)
    for s in range(N):
        if dw_last_example_only:
            dw = np.zeros(w.shape)
        for i in range(C_in):
            for m in range(H):
                for n in range(W):
                    window = dz_full[s, :, m * step:m * step + K_h, n * step:n * step + K_w]
                    dx[s, i, m, n] = np.sum(w_dx[i] * window)
                    dw[i] += x[s, i, m, n] * window
    if flip_dw:
        dw = dw[:, :, ::-1, ::-1]
    db = {"sum": lambda: dz.sum(axis=(0, 2, 3)), "per example": lambda: dz.sum(axis=(2, 3)),
          "mean": lambda: dz.sum(axis=(2, 3)).mean(axis=0), "positions": lambda: dz.sum(axis=0),
          "everything": lambda: dz.sum()}[db]()
    return dx, dw, db


@mistake("conv_transpose2d_backward")
def tconv_dx_turned(dz, x, w, stride=1, padding=0):
    return _tconv_back(dz, x, w, stride, padding, flip_dx=True)


@mistake("conv_transpose2d_backward")
def tconv_backward_stride_ignored(dz, x, w, stride=1, padding=0):
    return _tconv_back(dz, x, w, stride, padding, step=1)


@mistake("conv_transpose2d_backward")
def tconv_backward_forgot_padding(dz, x, w, stride=1, padding=0):
    return _tconv_back(dz, x, w, stride, padding, pad_dz=False)


@mistake("conv_transpose2d_backward")
def tconv_dw_turned(dz, x, w, stride=1, padding=0):
    return _tconv_back(dz, x, w, stride, padding, flip_dw=True)


@mistake("conv_transpose2d_backward")
def tconv_dw_not_summed_over_batch(dz, x, w, stride=1, padding=0):
    return _tconv_back(dz, x, w, stride, padding, dw_last_example_only=True)


@mistake("conv_transpose2d_backward")
def tconv_db_not_summed_over_batch(dz, x, w, stride=1, padding=0):
    return _tconv_back(dz, x, w, stride, padding, db="per example")


@mistake("conv_transpose2d_backward")
def tconv_db_averaged(dz, x, w, stride=1, padding=0):
    return _tconv_back(dz, x, w, stride, padding, db="mean")


@mistake("conv_transpose2d_backward")
def tconv_db_not_summed_over_positions(dz, x, w, stride=1, padding=0):
    return _tconv_back(dz, x, w, stride, padding, db="positions")


@mistake("conv_transpose2d_backward")
def tconv_db_summed_over_maps(dz, x, w, stride=1, padding=0):
    return _tconv_back(dz, x, w, stride, padding, db="everything")
