"""Deliberately wrong A1 functions: one per common mistake, each one line away from a right answer.

``MISTAKES`` maps a name to ``(part, function)``.  ``tests/test_grading_a1.py`` judges each
one in-process and checks the score and the diagnosis; ``tests/test_grading_sandbox.py``
grades a file built from several of them (this module's source, then ``conv2d_forward =
flipped_kernel`` and so on) through the sandbox and checks that it says the same.
"""

import numpy as np

MISTAKES = {}


def mistake(part):
    def register(fn):
        MISTAKES[fn.__name__] = (part, fn)
        return fn
    return register


def _forward_loops(x, w, b, stride, pads, step=None, out_stride=None, bias=True):
    """The 2-D forward loops with knobs: pads ((top, bottom), (left, right)), the window step, the stride
    the output size is computed with."""
    (top, bottom), (left, right) = pads
    step = stride if step is None else step
    out_stride = stride if out_stride is None else out_stride
    N, C_in, H, W = x.shape
    C_out, _, K_h, K_w = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    H_out = (x_pad.shape[2] - K_h) // out_stride + 1
    W_out = (x_pad.shape[3] - K_w) // out_stride + 1
    z = np.zeros((N, C_out, H_out, W_out))
    for s in range(N):
        for j in range(C_out):
            for m in range(H_out):
                for n in range(W_out):
                    window = x_pad[s, :, m * step:m * step + K_h, n * step:n * step + K_w]
                    z[s, j, m, n] = np.sum(w[j] * window) + (b[j] if bias else 0.0)
    return z


# --- conv2d_forward -----------------------------------------------------------------------------

@mistake("conv2d_forward")
def flipped_kernel(x, w, b, stride=1, padding=0):
    return _forward_loops(x, w[:, :, ::-1, ::-1], b, stride, ((padding, padding),) * 2)


@mistake("conv2d_forward")
def padding_one_side(x, w, b, stride=1, padding=0):
    return _forward_loops(x, w, b, stride, ((padding, 0), (padding, 0)))


@mistake("conv2d_forward")
def padding_off_by_one(x, w, b, stride=1, padding=0):
    return _forward_loops(x, w, b, stride, ((padding + 1, padding + 1),) * 2)


@mistake("conv2d_forward")
def forgot_padding(x, w, b, stride=1, padding=0):
    return _forward_loops(x, w, b, stride, ((0, 0), (0, 0)))


@mistake("conv2d_forward")
def forgot_stride(x, w, b, stride=1, padding=0):
    return _forward_loops(x, w, b, 1, ((padding, padding),) * 2)


@mistake("conv2d_forward")
def stride_window_start(x, w, b, stride=1, padding=0):
    return _forward_loops(x, w, b, stride, ((padding, padding),) * 2, step=1)


@mistake("conv2d_forward")
def forgot_bias(x, w, b, stride=1, padding=0):
    return _forward_loops(x, w, b, stride, ((padding, padding),) * 2, bias=False)


@mistake("conv2d_forward")
def kernel_transposed(x, w, b, stride=1, padding=0):
    # indexes the kernel as w[j, i, q, p]: rows and columns swapped
    return _forward_loops(x, w.transpose(0, 1, 3, 2), b, stride, ((padding, padding),) * 2)


# --- conv1d_forward -----------------------------------------------------------------------------

@mistake("conv1d_forward")
def flipped_kernel_1d(x, w, b, stride=1, padding=0):
    return _forward_loops(x[:, :, None, :], w[:, :, None, ::-1], b, stride, ((0, 0), (padding, padding)))[:, :, 0]


# --- conv2d_backward ----------------------------------------------------------------------------

def _backward_loops(dz, x, w, stride, padding, *, step=None, accumulate=True, crop="both",
                    dw_reset_per_example=False, flip_dw=False, db="sum"):
    step = stride if step is None else step
    N, C_in, H, W = x.shape
    C_out, _, K_h, K_w = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for s in range(N):
        if dw_reset_per_example:
            dw = np.zeros_like(w)                      # keeps the last example only
        for j in range(C_out):
            for m in range(dz.shape[2]):
                for n in range(dz.shape[3]):
                    rows = slice(m * step, m * step + K_h)
                    cols = slice(n * step, n * step + K_w)
                    if accumulate:
                        dx_pad[s, :, rows, cols] += w[j] * dz[s, j, m, n]
                    else:
                        dx_pad[s, :, rows, cols] = w[j] * dz[s, j, m, n]
                    dw[j] += dz[s, j, m, n] * x_pad[s, :, rows, cols]
    if flip_dw:
        dw = dw[:, :, ::-1, ::-1]
    db = {"sum": lambda: dz.sum(axis=(0, 2, 3)), "per example": lambda: dz.sum(axis=(2, 3)),
          "mean": lambda: dz.sum(axis=(2, 3)).mean(axis=0)}[db]()
    if crop == "none":
        return dx_pad, dw, db
    if crop == "end":
        return dx_pad[:, :, :H, :W], dw, db
    return dx_pad[:, :, padding:padding + H, padding:padding + W], dw, db


@mistake("conv2d_backward")
def stride_ignored_backward(dz, x, w, stride=1, padding=0):
    return _backward_loops(dz, x, w, stride, padding, step=1)


@mistake("conv2d_backward")
def overwrote_not_accumulated(dz, x, w, stride=1, padding=0):
    return _backward_loops(dz, x, w, stride, padding, accumulate=False)


@mistake("conv2d_backward")
def forgot_crop(dz, x, w, stride=1, padding=0):
    return _backward_loops(dz, x, w, stride, padding, crop="none")


@mistake("conv2d_backward")
def crop_wrong_side(dz, x, w, stride=1, padding=0):
    return _backward_loops(dz, x, w, stride, padding, crop="end")


@mistake("conv2d_backward")
def dw_flipped(dz, x, w, stride=1, padding=0):
    return _backward_loops(dz, x, w, stride, padding, flip_dw=True)


@mistake("conv2d_backward")
def dw_not_summed_over_batch(dz, x, w, stride=1, padding=0):
    return _backward_loops(dz, x, w, stride, padding, dw_reset_per_example=True)


@mistake("conv2d_backward")
def db_not_summed_over_batch(dz, x, w, stride=1, padding=0):
    return _backward_loops(dz, x, w, stride, padding, db="per example")


@mistake("conv2d_backward")
def db_averaged(dz, x, w, stride=1, padding=0):
    return _backward_loops(dz, x, w, stride, padding, db="mean")


# --- conv1d_backward ----------------------------------------------------------------------------

@mistake("conv1d_backward")
def overwrote_not_accumulated_1d(dz, x, w, stride=1, padding=0):
    # 1-D as 2-D of height 1: pad and crop the last axis only
    N, C_in, L = x.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    dx, dw, db = _backward_loops(dz[:, :, None], x_pad[:, :, None], w[:, :, None], stride, 0, accumulate=False)
    return dx[:, :, 0, padding:padding + L], dw[:, :, 0], db


# --- vectorised ---------------------------------------------------------------------------------

@mistake("conv2d_forward_vectorized")
def vectorized_forgot_stride(x, w, b, stride=1, padding=0):
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = np.lib.stride_tricks.sliding_window_view(x_pad, w.shape[2:], axis=(2, 3))   # no ::stride
    return np.einsum("nchwpq,ocpq->nohw", windows, w, optimize=True) + b[None, :, None, None]


@mistake("conv2d_backward_vectorized")
def vectorized_dx_unflipped(dz, x, w, stride=1, padding=0):
    N, C_in, H, W = x.shape
    C_out, _, K_h, K_w = w.shape
    H_out, W_out = dz.shape[2:]
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = np.lib.stride_tricks.sliding_window_view(x_pad, (K_h, K_w), axis=(2, 3))[:, :, ::stride, ::stride]
    dw = np.einsum("nohw,nchwpq->ocpq", dz, windows, optimize=True)
    H1, W1 = x_pad.shape[2] - K_h + 1, x_pad.shape[3] - K_w + 1
    dz_full = np.zeros((N, C_out, H1 + 2 * (K_h - 1), W1 + 2 * (K_w - 1)))
    dz_full[:, :, K_h - 1:K_h - 1 + (H_out - 1) * stride + 1:stride,
            K_w - 1:K_w - 1 + (W_out - 1) * stride + 1:stride] = dz
    dz_windows = np.lib.stride_tricks.sliding_window_view(dz_full, (K_h, K_w), axis=(2, 3))
    dx_pad = np.einsum("nohwpq,ocpq->nchw", dz_windows, w, optimize=True)          # not flipped
    return dx_pad[:, :, padding:padding + H, padding:padding + W], dw, dz.sum(axis=(0, 2, 3))


# --- answers that cannot be used ----------------------------------------------------------------

BAD_RETURNS = {}


def bad_return(fn):
    BAD_RETURNS[fn.__name__] = fn
    return fn


@bad_return
def returns_none(x, w, b, stride=1, padding=0):
    z = _forward_loops(x, w, b, stride, ((padding, padding),) * 2)    # noqa: F841 - forgot the return


@bad_return
def returns_with_cache(x, w, b, stride=1, padding=0):
    return _forward_loops(x, w, b, stride, ((padding, padding),) * 2), (x, w, b)


@bad_return
def returns_integers(x, w, b, stride=1, padding=0):
    return _forward_loops(x, w, b, stride, ((padding, padding),) * 2).astype(int)


@bad_return
def returns_nan(x, w, b, stride=1, padding=0):
    z = _forward_loops(x, w, b, stride, ((padding, padding),) * 2)
    z[..., -1] = np.nan
    return z


@bad_return
def returns_a_dict(x, w, b, stride=1, padding=0):
    return {"z": _forward_loops(x, w, b, stride, ((padding, padding),) * 2)}


@bad_return
def returns_nested_list(x, w, b, stride=1, padding=0):
    return _forward_loops(x, w, b, stride, ((padding, padding),) * 2).tolist()     # fine: a list of numbers


@bad_return
def modifies_its_input(x, w, b, stride=1, padding=0):
    x *= 1.0                                         # harmless
    w[...] = w[:, :, ::-1, ::-1].copy()              # flips the caller's kernel in place...
    return _forward_loops(x, w[:, :, ::-1, ::-1], b, stride, ((padding, padding),) * 2)   # ...and unflips
