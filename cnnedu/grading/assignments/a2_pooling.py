r"""A2, pooling, resampling and transposed convolution by hand, forward and backward.

The student writes eight functions (PyTorch layouts, numpy only; ``kernel_size``,
``stride``, ``factor``, ``padding`` and ``output_padding`` are ints, the same along both
spatial axes):

=================================================================  ===============================================
``max_pool2d_forward(x, kernel_size, stride)``                      x (N, C, H, W) -> y (N, C, H_out, W_out)
``max_pool2d_backward(dy, x, kernel_size, stride)``                 -> dx, the shape of x
``avg_pool2d_forward(x, kernel_size, stride)``                      mean pooling
``avg_pool2d_backward(dy, x, kernel_size, stride)``                 -> dx
``upsample(x, factor)``                                             S − 1 zeros between neighbouring samples
``downsample(x, factor)``                                           every S-th sample, from the first
``conv_transpose2d_forward(x, w, b, stride, padding, output_padding)``  w (C_in, C_out, K_h, K_w)
``conv_transpose2d_backward(dz, x, w, stride, padding)``            -> (dx, dw, db)
=================================================================  ===============================================

Pooling has no padding here (the lecture's pools are not padded).  Ties in max pooling
go to the *first* maximum of the window in row-major order (as in cnnedu and PyTorch).
Every input is tie-free (random floats; the lecture's slice has one maximum per window,
checked in ``tests/test_grading_a2.py``) except one deliberate, visible test of
``max_pool2d_backward``, "dx: values, ties go to the first maximum", whose windows hold
two, three or four equal maxima.

Pooling is tested on four groups of inputs: two visible ("windows side by side (S = K)"
with the lecture's 4×4 slice; "overlapping windows (S < K)", with the slice again and a
map whose last column no window reaches), two hidden (edge cases: 1×1 windows, a stride
larger than the window, a window as large as the map, one channel; random sizes).
Resampling: "factor 2" visible, edge cases and random sizes hidden.  Transposed
convolution: three visible groups ("stride 1, no cropping"; "stride 2, no cropping",
with the book's 2×2 and 1-D examples; "cropping and output_padding") and three hidden
(1×1 kernels; edge cases; random sizes).  Expected answers come from
:mod:`cnnedu.functional`, itself tested against :mod:`cnnedu.reference`.

The mistakes it names (each a variant below, tested in ``tests/test_grading_a2.py``):
pooling forward: the stride ignored, windows stepping one sample, the output size
without the floor or without the + 1 (or taken as H/S), the maps pooled together,
a mean that is a sum or divided by K; max backward: overlapping windows overwritten
instead of accumulated, the derivative sent to the window's corner, spread like a
mean, the stride ignored, sent to every maximum, to the last one, or split between
tied maxima, dx not the shape of x; mean backward: overwritten, not divided by the
window size or divided by K, the stride ignored; upsampling with S zeros instead of
S − 1, zeros after the last sample or before each, values repeated, one axis only;
downsampling from the wrong sample, dropping the last kept sample, averaging, one axis
only; transposed convolution: the kernel turned by 180° (not flipped in the
fill-in-zeros recipe, or flipped in the push loop), the filter bank not transposed,
padding added instead of cropped, not cropped, cropped on one side, output_padding
ignored or put at the start, no zero insertion (stride ignored), S − 1 zeros after the
last sample (the slide's bH + K − 1), the bias forgotten; backward: dx with the kernel
turned, the stride or the padding ignored, dw turned or for one example only, db not
summed over the batch (or averaged, or not summed over positions, or over the maps too).
"""

from __future__ import annotations

import numpy as np

from ... import sizes
from ..judge import MISTAKES
from ..spec import HIDDEN, VISIBLE, Assignment, Case, Part, Test, Variant

__all__ = ["ASSIGNMENT", "A2_MISTAKES", "TIE_CASE"]

_POOL_OUT = "⌊(H − K)/S⌋ + 1"

#: The slips A2 recognises, in the fixed sentences the student sees.  The keys are A2's
#: own (MISTAKES is shared by every assignment): pool_, max_, mean_, upsample_,
#: downsample_, tconv_.
A2_MISTAKES = {
    # --- pooling, forward ---------------------------------------------------------------
    "pool_forgot_stride": "You ignored the stride: the window moves S samples per step, so output (m, n) "
                          "pools the window whose top-left corner is at (mS, nS), and there are "
                          + _POOL_OUT + " outputs along each axis.",
    "pool_window_step_one": "The output has the right size, but your windows move one sample per output "
                            "instead of S: output (m, n) pools the window that starts at (mS, nS), not at "
                            "(m, n).",
    "pool_size_ceil": "You have one output too many along an axis: the last window would hang over the edge "
                      "of the map. Only whole windows count, so there are " + _POOL_OUT + " outputs (the floor "
                      "drops the samples that no whole window reaches).",
    "pool_size_forgot_plus_one": "You have one output too few along an axis: ⌊(H − K)/S⌋ counts the steps "
                                 "between the first and the last window, so there are " + _POOL_OUT
                                 + " windows.",
    "pool_size_n_over_s": "You took H/S outputs; that is right only when the windows sit side by side "
                          "(S = K). In general there are " + _POOL_OUT + " outputs along each axis.",
    "pool_mixed_maps": "You pooled over all the maps at once: a pooling layer works on each map separately, "
                       "so y[s, c] depends on x[s, c] only (and there are as many output maps as input maps).",
    "mean_forgot_divide": "You added the values of each window up without dividing: mean pooling divides the "
                          "sum by K², the number of values in a K×K window.",
    "mean_divided_by_k": "You divided each window's sum by K; a K×K window holds K² values, so divide by K².",
    # --- pooling, backward --------------------------------------------------------------
    "max_grad_overwrote": "Overlapping windows overwrote each other: a value that is the maximum of several "
                          "windows receives the derivative of each of them, so add with +=, not =.",
    "max_grad_window_corner": "You sent each window's derivative to the window's top-left corner. It goes to "
                              "the position of the window's maximum, the lecture's pidx, found in x.",
    "max_grad_spread": "You spread each window's derivative over the window like mean pooling's. Max pooling "
                       "copies one value per window, so only that maximum receives the window's derivative, "
                       "whole.",
    "max_grad_stride_ignored": "Your backward pass ignores the stride: the derivative dy[m, n] belongs to the "
                               "window whose top-left corner is at (mS, nS), not at (m, n).",
    "max_grad_every_maximum": "You sent the derivative to every maximum of a window with a tie. The forward "
                              "pass copied one of them, the first in row-major order (np.argmax of the "
                              "flattened window), and only that one receives the derivative.",
    "max_grad_last_maximum": "On a tie you chose the last maximum of the window. The rule is the first, in "
                             "row-major order (what np.argmax of the flattened window returns): use > rather "
                             "than >= when you scan the window.",
    "max_grad_split_ties": "You split the derivative between the tied maxima of a window. The forward pass "
                           "copied only the first maximum (row-major order), so it receives the derivative, "
                           "whole.",
    "pool_grad_wrong_shape": "You shaped dx from dy (H_out·S, or as far as the windows reach) instead of "
                             "from x: the rows and columns that no window reached (dropped by the floor) are "
                             "still in x, and their derivative is 0.",
    "mean_grad_overwrote": "Overlapping windows overwrote each other: a value in several windows receives "
                           "dy/K² from each of them, so add with +=, not =.",
    "mean_grad_not_divided": "You gave every value of a window the window's whole derivative. The window's "
                             "mean is its sum divided by K², so each of its values receives dy/K².",
    "mean_grad_divided_by_k": "You divided the derivative by K; a K×K window holds K² values, so each "
                              "receives dy/K².",
    "mean_grad_stride_ignored": "Your backward pass ignores the stride: the derivative dy[m, n] is spread over "
                                "the window whose top-left corner is at (mS, nS), not at (m, n).",
    # --- upsampling and downsampling ----------------------------------------------------
    "upsample_s_zeros": "You inserted S zeros between neighbouring samples; the lecture's upsample inserts "
                        "S − 1, so that the samples land S positions apart: u[iS] = x[i].",
    "upsample_zeros_after_last": "You put S − 1 zeros after the last sample too (the slide's bH size). Zeros go "
                                 "only between neighbouring samples: a map of n samples becomes (n − 1)S + 1.",
    "upsample_zeros_before": "Your zeros come before each sample: the first sample stays first, u[iS] = x[i], "
                             "and the S − 1 zeros follow it (none after the last one).",
    "upsample_repeated": "You repeated each value S times (nearest-neighbour enlargement). The lecture's "
                         "upsample fills the gaps with zeros: u[iS] = x[i], 0 elsewhere.",
    "upsample_one_axis": "You upsampled one spatial axis only: insert S − 1 zeros between neighbouring rows "
                         "and between neighbouring columns.",
    "downsample_wrong_start": "You started at the wrong sample: decimation keeps x[0], x[S], x[2S], ..., the "
                              "first sample and every S-th after it (x[..., ::S, ::S]).",
    "downsample_floor": "You dropped the last kept sample when S does not divide the size: every sample at a "
                        "multiple of S is kept, ⌈H/S⌉ of them, including one in a last incomplete block.",
    "downsample_averaged": "You averaged blocks of S×S values (mean pooling). Decimation keeps every S-th "
                           "sample as it is and drops the others.",
    "downsample_one_axis": "You downsampled one spatial axis only: keep every S-th row and every S-th column.",
    # --- transposed convolution, forward ------------------------------------------------
    "tconv_turned_kernel": "Your kernel is turned by 180°. When every input pushes a copy of its filter "
                           "(z[mS + p, nS + q] += x[m, n]·w[p, q]), use the kernel as it is; when you fill in "
                           "zeros and scan, the scanning filter is the kernel flipped up–down and left–right.",
    "tconv_bank_not_transposed": "You used w[j, i] where w[i, j] belongs: a transposed convolution's weights "
                                 "are (C_in, C_out, K_h, K_w), so input map i pushes w[i, j] onto output map j.",
    "tconv_padding_added": "You added padding. For a transposed convolution, padding P is the padding of the "
                           "convolution it transposes, so it crops: remove P values at the start and P at the "
                           "end of each axis of the full output.",
    "tconv_forgot_crop": "You did not crop: padding P removes P values at the start and P at the end of each "
                         "axis of the full output, (H − 1)S − 2P + K + output_padding values in all.",
    "tconv_crop_one_side": "You cropped one side only: padding P removes P values at the start and P at the "
                           "end of each axis.",
    "tconv_forgot_output_padding": "You left out output_padding: it adds that many values at the end (bottom "
                                   "and right) of each axis, so the crop there removes P − output_padding values "
                                   "instead of P (and where that is negative, the extra values get the bias only).",
    "tconv_output_padding_start": "You put output_padding at the start; it adds values at the end (bottom and "
                                  "right) of each axis.",
    "tconv_no_zero_insertion": "You left out the zero insertion (the stride): neighbouring inputs push their "
                               "filters S positions apart, z[mS + p, nS + q] += x[m, n]·w[p, q]; in the "
                               "fill-in-zeros recipe, S − 1 zeros go between neighbouring inputs.",
    "tconv_zeros_after_last": "Your output is S − 1 values too long: zeros go between neighbouring inputs, not "
                              "after the last one, so the full output has (H − 1)S + K values (the slide's "
                              "bH + K − 1 is S − 1 too many).",
    "tconv_forgot_bias": "You left out the bias: add b[j] to every value of output map j, also where no input "
                         "reaches.",
    # --- transposed convolution, backward -----------------------------------------------
    "tconv_dx_turned": "Your dx uses the kernel turned by 180°. Input (m, n) pushed w[i]·x[m, n] onto the "
                       "window at (mS, nS) of the full output, so dx[s, i, m, n] is the sum of w[i] times that "
                       "window of dz, with the kernel as it is.",
    "tconv_backward_stride_ignored": "Your backward pass ignores the stride: input (m, n) pushed its filter "
                                     "onto the window at (mS, nS) of the full output, so read dz there.",
    "tconv_backward_forgot_padding": "You read dz at the uncropped positions: pad dz back with P zeros on each "
                                     "side (what the forward pass cropped) before reading the window at "
                                     "(mS, nS).",
    "tconv_dw_turned": "Your dw is turned by 180°: dw[i, j, p, q] = Σ x[s, i, m, n]·dz_full[s, j, mS + p, "
                       "nS + q], with no flip.",
    "tconv_dw_not_summed_over_batch": "Your dw covers one example only: the same weights serve every example "
                                      "of the batch, so dw adds up the contributions of all N examples.",
    "tconv_db_not_summed_over_batch": "Your db is not summed over the batch: db[j] adds dz[s, j, ...] over "
                                      "every example s and every position, one number per output map.",
    "tconv_db_averaged": "Your db is averaged over the batch; sum it instead (whether the loss averages over "
                         "the batch is already inside dz).",
    "tconv_db_not_summed_over_positions": "Your db is not summed over the positions: the bias is added at "
                                          "every position of the map, so db[j] adds dz[s, j, ...] over all "
                                          "positions (and all examples).",
    "tconv_db_summed_over_maps": "You summed dz over the output maps too: every output map j has its own "
                                 "bias, so db has C_out values.",
}
MISTAKES.update(A2_MISTAKES)


# ---------------------------------------------------------------------------
# The right answers (cnnedu.functional, imported when first needed)
# ---------------------------------------------------------------------------

def _F():
    import cnnedu.functional as F
    return F


def max_forward_reference(x, kernel_size, stride):
    """The right answer: ``(y,)``."""
    return (_F().max_pool2d(x, kernel_size, stride),)


def max_backward_reference(dy, x, kernel_size, stride):
    """The right answer: ``(dx,)``; ties go to the first maximum in row-major order."""
    return (_F().max_pool2d_backward(dy, x, kernel_size, stride),)


def mean_forward_reference(x, kernel_size, stride):
    return (_F().avg_pool2d(x, kernel_size, stride),)


def mean_backward_reference(dy, x, kernel_size, stride):
    return (_F().avg_pool2d_backward(dy, x, kernel_size, stride),)


def upsample_reference(x, factor):
    return (_F().upsample(x, factor),)


def downsample_reference(x, factor):
    return (_F().downsample(x, factor),)


def tconv_forward_reference(x, w, b, stride, padding, output_padding):
    return (_F().conv_transpose2d(x, w, b, stride=stride, padding=padding, output_padding=output_padding),)


def tconv_output_padding(dz, x, w, stride, padding):
    """The output_padding, per axis, that made the forward pass's output as large as ``dz``."""
    def fits(o, n, k, op):
        try:
            return sizes.conv_transpose_output_size(n, k, stride, padding, op) == o
        except ValueError:                                  # cropped away without this output_padding
            return False
    return tuple(next(op for op in range(stride) if fits(o, n, k, op))
                 for o, n, k in zip(dz.shape[2:], x.shape[2:], w.shape[2:]))


def tconv_backward_reference(dz, x, w, stride, padding):
    """The right answer: ``(dx, dw, db)``."""
    op = tconv_output_padding(dz, x, w, stride, padding)
    return _F().conv_transpose2d_backward(dz, x, w, stride=stride, padding=padding, output_padding=op)


# ---------------------------------------------------------------------------
# Wrong pooling passes (plain numpy loops over the window positions)
# ---------------------------------------------------------------------------

def _pool_out(x, k, s):
    return tuple(sizes.pool_output_size(n, k, s) for n in x.shape[2:])


def _pool_loop(x, k, s, reduce, out=None, step=None, mixed=False):
    """Pool with knobs: the output size, the step between windows, all maps at once."""
    step = s if step is None else step
    out = _pool_out(x, k, s) if out is None else out
    if min(out) < 0:
        return None
    y = np.zeros(x.shape[:2] + tuple(out))
    for m in range(out[0]):
        for n in range(out[1]):
            window = x[:, :, m * step:m * step + k, n * step:n * step + k]
            if window.size == 0:
                raise ValueError("a window lies outside the map")
            values = reduce(window, axis=(1, 2, 3) if mixed else (2, 3))
            y[:, :, m, n] = values[:, None] if mixed else values
    return y


def _fwd_variants(reduce):
    def no_stride(x, k, s):
        return None if s == 1 else (_pool_loop(x, k, 1, reduce),)

    def step_one(x, k, s):
        return None if s == 1 else (_pool_loop(x, k, s, reduce, step=1),)

    def ceil(x, k, s):
        out = tuple(-(-(n - k) // s) + 1 for n in x.shape[2:])
        return (_pool_loop(x, k, s, reduce, out=out),)

    def minus_one(x, k, s):
        return (_pool_loop(x, k, s, reduce, out=tuple(o - 1 for o in _pool_out(x, k, s))),)

    def n_over_s(x, k, s):
        return (_pool_loop(x, k, s, reduce, out=tuple(n // s for n in x.shape[2:])),)

    def mixed(x, k, s):
        return None if x.shape[1] == 1 else (_pool_loop(x, k, s, reduce, mixed=True),)

    return (Variant("pool_forgot_stride", no_stride), Variant("pool_window_step_one", step_one),
            Variant("pool_size_ceil", ceil), Variant("pool_size_forgot_plus_one", minus_one),
            Variant("pool_size_n_over_s", n_over_s), Variant("pool_mixed_maps", mixed))


def _mean_scaled(divisor):
    def compute(x, k, s):
        return (_pool_loop(x, k, s, np.sum) / divisor(k),)
    return compute


MAX_FORWARD_VARIANTS = _fwd_variants(np.max)
MEAN_FORWARD_VARIANTS = _fwd_variants(np.mean) + (
    Variant("mean_forgot_divide", _mean_scaled(lambda k: 1)),
    Variant("mean_divided_by_k", _mean_scaled(lambda k: k)),
)


def _one_hot(window, flat_index):
    """(N, C, K, K) zeros with a 1 at flat_index (N, C) of each window."""
    n, c, kh, kw = window.shape
    hot = np.zeros((n * c, kh * kw))
    hot[np.arange(n * c), flat_index.ravel()] = 1.0
    return hot.reshape(window.shape)


# A route gives each window's share of its derivative, (N, C, K, K), and where it goes (a mask).

def _route_first(window, g):
    hit = _one_hot(window, np.argmax(window.reshape(*window.shape[:2], -1), axis=2))
    return hit * g[..., None, None], hit > 0


def _route_last(window, g):
    flat = window.reshape(*window.shape[:2], -1)[..., ::-1]
    hit = _one_hot(window, flat.shape[2] - 1 - np.argmax(flat, axis=2))
    return hit * g[..., None, None], hit > 0


def _is_max(window):
    return (window == window.max(axis=(2, 3), keepdims=True)).astype(float)


def _route_every(window, g):
    hit = _is_max(window)
    return hit * g[..., None, None], hit > 0


def _route_split(window, g):
    hit = _is_max(window)
    return hit / hit.sum(axis=(2, 3), keepdims=True) * g[..., None, None], hit > 0


def _route_corner(window, g):
    hit = np.zeros(window.shape)
    hit[:, :, 0, 0] = 1.0
    return hit * g[..., None, None], hit > 0


def _route_mean(divisor):
    def route(window, g):
        k = window.shape[2]
        return np.broadcast_to(g[..., None, None] / divisor(k), window.shape), np.ones(window.shape, bool)
    return route


def _pool_back_loop(dy, x, k, s, route, *, step=None, accumulate=True, order="rows", shape=None):
    """The backward loops with knobs: how a window's derivative is routed, the step, = or +=, the order
    of the windows, the shape of dx."""
    step = s if step is None else step
    dx = np.zeros(x.shape if shape is None else shape)
    positions = [(m, n) for m in range(dy.shape[2]) for n in range(dy.shape[3])]
    if order == "columns":
        positions.sort(key=lambda mn: (mn[1], mn[0]))
    for m, n in positions:
        rows, cols = slice(m * step, m * step + k), slice(n * step, n * step + k)
        window = x[:, :, rows, cols]
        if window.shape[2:] != (k, k):
            raise ValueError("a window lies outside the map")
        share, hit = route(window, dy[:, :, m, n])
        if accumulate:
            dx[:, :, rows, cols] += share
        else:                                               # = where the share goes: the last window wins
            np.copyto(dx[:, :, rows, cols], share, where=hit)
    return dx


def _back_variant(route, **knobs):
    def compute(dy, x, k, s):
        if knobs.get("step") == 1 and s == 1:
            return None
        return (_pool_back_loop(dy, x, k, s, route, **knobs),)
    return compute


def _wrong_shape(route, size):
    """dx shaped from dy instead of x: (H_out·S, W_out·S), or the rows and columns the windows cover."""
    def compute(dy, x, k, s):
        shape = x.shape[:2] + tuple(size(o, k, s) for o in dy.shape[2:])
        if shape == x.shape:
            return None
        return (_pool_back_loop(dy, x, k, s, route, shape=shape),)     # ValueError if a window sticks out
    return compute


def _times_stride(o, k, s):
    return o * s


def _covered(o, k, s):
    return (o - 1) * s + k


MAX_BACKWARD_VARIANTS = (
    Variant("max_grad_overwrote", _back_variant(_route_first, accumulate=False)),
    Variant("max_grad_overwrote", _back_variant(_route_first, accumulate=False, order="columns")),
    Variant("max_grad_window_corner", _back_variant(_route_corner)),
    Variant("max_grad_spread", _back_variant(_route_mean(lambda k: k * k))),
    Variant("max_grad_stride_ignored", _back_variant(_route_first, step=1)),
    Variant("max_grad_every_maximum", _back_variant(_route_every)),
    Variant("max_grad_last_maximum", _back_variant(_route_last)),
    Variant("max_grad_split_ties", _back_variant(_route_split)),
    Variant("pool_grad_wrong_shape", _wrong_shape(_route_first, _covered)),
    Variant("pool_grad_wrong_shape", _wrong_shape(_route_first, _times_stride)),
)

MEAN_BACKWARD_VARIANTS = (
    Variant("mean_grad_overwrote", _back_variant(_route_mean(lambda k: k * k), accumulate=False)),
    Variant("mean_grad_overwrote", _back_variant(_route_mean(lambda k: k * k), accumulate=False,
                                                 order="columns")),
    Variant("mean_grad_not_divided", _back_variant(_route_mean(lambda k: 1))),
    Variant("mean_grad_divided_by_k", _back_variant(_route_mean(lambda k: k))),
    Variant("mean_grad_stride_ignored", _back_variant(_route_mean(lambda k: k * k), step=1)),
    Variant("pool_grad_wrong_shape", _wrong_shape(_route_mean(lambda k: k * k), _covered)),
    Variant("pool_grad_wrong_shape", _wrong_shape(_route_mean(lambda k: k * k), _times_stride)),
)


# ---------------------------------------------------------------------------
# Wrong upsampling and downsampling
# ---------------------------------------------------------------------------

def _place(x, size, start, gap):
    """x's samples at start + i·gap of a zero map of the given (H, W) size."""
    out = np.zeros(x.shape[:2] + tuple(size))
    out[:, :, start:start + (x.shape[2] - 1) * gap + 1:gap, start:start + (x.shape[3] - 1) * gap + 1:gap] = x
    return out


def _up_s_zeros(x, s):
    return (_place(x, [(n - 1) * (s + 1) + 1 for n in x.shape[2:]], 0, s + 1),)


def _up_after_last(x, s):
    return None if s == 1 else (_place(x, [n * s for n in x.shape[2:]], 0, s),)


def _up_before(x, s):
    return None if s == 1 else (_place(x, [n * s for n in x.shape[2:]], s - 1, s),)


def _up_repeated(x, s):
    return None if s == 1 else (np.repeat(np.repeat(x, s, axis=2), s, axis=3),)


def _up_one_axis(axis):
    def compute(x, s):
        if s == 1:
            return None
        (u,) = upsample_reference(x, s)
        return (u[:, :, :, ::s] if axis == 2 else u[:, :, ::s, :],)
    return compute


def _nonempty(a):
    """``(a,)``, or None for an empty map: every slip that empties it looks the same."""
    return None if a.size == 0 else (a,)


def _down_wrong_start(x, s):
    return None if s == 1 else _nonempty(x[:, :, s - 1::s, s - 1::s].copy())


def _down_floor(x, s):
    h, w = (n // s * s for n in x.shape[2:])
    if (h, w) == x.shape[2:]:
        return None
    return _nonempty(x[:, :, :h:s, :w:s].copy())


def _down_averaged(x, s):
    if s == 1 or min(x.shape[2:]) < s:
        return None
    return (_pool_loop(x, s, s, np.mean),)


def _down_one_axis(axis):
    def compute(x, s):
        if s == 1:
            return None
        return (x[:, :, ::s, :].copy() if axis == 2 else x[:, :, :, ::s].copy(),)
    return compute


UPSAMPLE_VARIANTS = (
    Variant("upsample_s_zeros", _up_s_zeros),
    Variant("upsample_zeros_after_last", _up_after_last),
    Variant("upsample_zeros_before", _up_before),
    Variant("upsample_repeated", _up_repeated),
    Variant("upsample_one_axis", _up_one_axis(2)),
    Variant("upsample_one_axis", _up_one_axis(3)),
)

DOWNSAMPLE_VARIANTS = (
    Variant("downsample_wrong_start", _down_wrong_start),
    Variant("downsample_floor", _down_floor),
    Variant("downsample_averaged", _down_averaged),
    Variant("downsample_one_axis", _down_one_axis(2)),
    Variant("downsample_one_axis", _down_one_axis(3)),
)


# ---------------------------------------------------------------------------
# Wrong transposed convolutions: push every input's filter onto the full output, then frame it
# ---------------------------------------------------------------------------

def _flip(w):
    return np.ascontiguousarray(w[:, :, ::-1, ::-1])


def _push(x, w, stride):
    """The full (uncropped) output, (N, C_out, (H − 1)S + K_h, (W − 1)S + K_w), without bias."""
    n, _, h, wd = x.shape
    kh, kw = w.shape[2:]
    full = np.zeros((n, w.shape[1], (h - 1) * stride + kh, (wd - 1) * stride + kw))
    products = np.einsum("sihw,iopq->sohwpq", x, w)
    for p in range(kh):
        for q in range(kw):
            full[:, :, p:p + (h - 1) * stride + 1:stride, q:q + (wd - 1) * stride + 1:stride] += products[..., p, q]
    return full


def _frame(a, start, end):
    """Pad (> 0) or crop (< 0) ``start`` values before and ``end`` after each spatial axis."""
    pad = ((0, 0), (0, 0)) + ((max(start, 0), max(end, 0)),) * 2
    a = np.pad(a, pad)
    h, w = a.shape[2:]
    lo, hi_h, hi_w = max(-start, 0), h - max(-end, 0), w - max(-end, 0)
    if hi_h - lo < 0 or hi_w - lo < 0:
        return None
    return a[:, :, lo:hi_h, lo:hi_w]


def _tconv_framed(start_of, end_of, *, applies=lambda s, p, op: True, push_stride=None):
    def compute(x, w, b, stride, padding, output_padding):
        if not applies(stride, padding, output_padding):
            return None
        full = _push(x, w, stride if push_stride is None else push_stride(stride))
        z = _frame(full, start_of(stride, padding, output_padding), end_of(stride, padding, output_padding))
        return None if z is None else (z + b[None, :, None, None],)
    return compute


def _tconv_turned(x, w, b, stride, padding, output_padding):
    return tconv_forward_reference(x, _flip(w), b, stride, padding, output_padding)


def _tconv_bank(x, w, b, stride, padding, output_padding):
    if w.shape[0] != w.shape[1]:
        return None
    return tconv_forward_reference(x, np.ascontiguousarray(w.transpose(1, 0, 2, 3)), b, stride, padding,
                                   output_padding)


def _tconv_op_start(x, w, b, stride, padding, output_padding):
    """Cropped without output_padding, then output_padding zeros (and the bias) put before it."""
    if output_padding == 0:
        return None
    z = _frame(_push(x, w, stride), -padding, -padding)
    if z is None:
        return None
    return (_frame(z, output_padding, 0) + b[None, :, None, None],)


def _tconv_no_bias(x, w, b, stride, padding, output_padding):
    return tconv_forward_reference(x, w, np.zeros_like(b), stride, padding, output_padding)


TCONV_FORWARD_VARIANTS = (
    Variant("tconv_turned_kernel", _tconv_turned),
    Variant("tconv_bank_not_transposed", _tconv_bank),
    Variant("tconv_padding_added", _tconv_framed(lambda s, p, op: p, lambda s, p, op: p + op,
                                                 applies=lambda s, p, op: p > 0)),
    Variant("tconv_forgot_crop", _tconv_framed(lambda s, p, op: 0, lambda s, p, op: op,
                                               applies=lambda s, p, op: p > 0)),
    Variant("tconv_crop_one_side", _tconv_framed(lambda s, p, op: -p, lambda s, p, op: op,
                                                 applies=lambda s, p, op: p > 0)),
    Variant("tconv_crop_one_side", _tconv_framed(lambda s, p, op: 0, lambda s, p, op: op - p,
                                                 applies=lambda s, p, op: p > 0)),
    Variant("tconv_forgot_output_padding", _tconv_framed(lambda s, p, op: -p, lambda s, p, op: -p,
                                                         applies=lambda s, p, op: op > 0)),
    Variant("tconv_output_padding_start", _tconv_op_start),
    Variant("tconv_no_zero_insertion", _tconv_framed(lambda s, p, op: -p, lambda s, p, op: op - p,
                                                     applies=lambda s, p, op: s > 1, push_stride=lambda s: 1)),
    Variant("tconv_zeros_after_last", _tconv_framed(lambda s, p, op: -p, lambda s, p, op: op - p + s - 1,
                                                    applies=lambda s, p, op: s > 1)),
    Variant("tconv_forgot_bias", _tconv_no_bias),
)


def _dz_windows(dz, x, w, stride, padding, step, offset):
    """The window of the padded dz that each input (m, n) reads, (N, C_out, H, W, K_h, K_w)."""
    h, wd = x.shape[2:]
    kh, kw = w.shape[2:]
    need = ((h - 1) * step + kh, (wd - 1) * step + kw)
    size = tuple(max(n, o + 2 * padding) for n, o in zip(need, dz.shape[2:]))
    dz_full = np.zeros(dz.shape[:2] + size)
    dz_full[:, :, offset:offset + dz.shape[2], offset:offset + dz.shape[3]] = dz
    windows = np.lib.stride_tricks.sliding_window_view(dz_full, (kh, kw), axis=(2, 3))
    return windows[:, :, ::step, ::step][:, :, :h, :wd]


def _tconv_read(dz, x, w, stride, padding, step, offset):
    windows = _dz_windows(dz, x, w, stride, padding, step, offset)
    dx = np.einsum("sohwpq,iopq->sihw", windows, w)
    dw = np.einsum("sihw,sohwpq->iopq", x, windows)
    return dx, dw


def _tbwd_stride_ignored(dz, x, w, stride, padding):
    if stride == 1:
        return None
    dx, dw = _tconv_read(dz, x, w, stride, padding, 1, padding)
    return dx, dw, None


def _tbwd_forgot_padding(dz, x, w, stride, padding):
    if padding == 0:
        return None
    dx, dw = _tconv_read(dz, x, w, stride, padding, stride, 0)
    return dx, dw, None


def _tbwd_dx_turned(dz, x, w, stride, padding):
    return (tconv_backward_reference(dz, x, _flip(w), stride, padding)[0], None, None)


def _tbwd_dw_turned(dz, x, w, stride, padding):
    return (None, _flip(tconv_backward_reference(dz, x, w, stride, padding)[1]), None)


def _tbwd_dw_examples(which):
    def compute(dz, x, w, stride, padding):
        if x.shape[0] < 2:
            return None
        s = 0 if which == "first" else x.shape[0] - 1
        return (None, tconv_backward_reference(dz[s:s + 1], x[s:s + 1], w, stride, padding)[1], None)
    return compute


def _tbwd_db(how):
    def compute(dz, x, w, stride, padding):
        if how in ("per example", "mean") and dz.shape[0] < 2:
            return None
        db = {"per example": lambda: dz.sum(axis=(2, 3)),
              "mean": lambda: dz.sum(axis=(2, 3)).mean(axis=0),
              "positions": lambda: dz.sum(axis=0),
              "everything": lambda: np.asarray(dz.sum())}[how]()
        return (None, None, db)
    return compute


TCONV_BACKWARD_VARIANTS = (
    Variant("tconv_dx_turned", _tbwd_dx_turned),
    Variant("tconv_backward_stride_ignored", _tbwd_stride_ignored),
    Variant("tconv_backward_forgot_padding", _tbwd_forgot_padding),
    Variant("tconv_dw_turned", _tbwd_dw_turned),
    Variant("tconv_dw_not_summed_over_batch", _tbwd_dw_examples("first")),
    Variant("tconv_dw_not_summed_over_batch", _tbwd_dw_examples("last")),
    Variant("tconv_db_not_summed_over_batch", _tbwd_db("per example")),
    Variant("tconv_db_averaged", _tbwd_db("mean")),
    Variant("tconv_db_not_summed_over_positions", _tbwd_db("positions")),
    Variant("tconv_db_summed_over_maps", _tbwd_db("everything")),
)


# ---------------------------------------------------------------------------
# Shapes in words, with the formula (numbers from cnnedu.sizes)
# ---------------------------------------------------------------------------

def _describe_pool(case, output, shape):
    p = case.params
    sides = []
    for axis, n in zip(("H", "W"), p["size"]):
        out = sizes.pool_output_size(n, p["kernel"], p["stride"])
        sides.append(f"{axis}_out = ⌊({axis} − K)/S⌋ + 1 = ⌊({n} − {p['kernel']})/{p['stride']}⌋ + 1 = {out}")
    return (f"It is (N, C, H_out, W_out), as many maps as x, with {' and '.join(sides)} "
            f"(cnnedu.sizes.pool_output_size).")


def _describe_pool_backward(case, output, shape):
    return "dx has the shape of x, (N, C, H, W)."


def _describe_upsample(case, output, shape):
    p = case.params
    sides = [f"({n} − 1)·{p['factor']} + 1 = {sizes.conv_transpose_output_size(n, 1, p['factor'])}"
             for n in p["size"]]
    return (f"It is (N, C, (H − 1)S + 1, (W − 1)S + 1) = (N, C, {sides[0]}, {sides[1]}): S − 1 zeros in each "
            f"of the gaps between neighbouring samples, none after the last "
            f"(cnnedu.sizes.conv_transpose_output_size with a 1×1 kernel).")


def _describe_downsample(case, output, shape):
    p = case.params
    sides = [f"⌈{n}/{p['factor']}⌉ = {sizes.pool_output_size(n, 1, p['factor'])}" for n in p["size"]]
    return (f"It is (N, C, ⌈H/S⌉, ⌈W/S⌉) = (N, C, {sides[0]}, {sides[1]}): the samples at 0, S, 2S, ... "
            f"(cnnedu.sizes.pool_output_size with a 1×1 window and stride S).")


def _describe_tconv(case, output, shape):
    p = case.params
    sides = []
    for axis, kname, n, k in zip(("H", "W"), ("K_h", "K_w"), p["size"], p["kernel"]):
        out = sizes.conv_transpose_output_size(n, k, p["stride"], p["padding"], p["output_padding"])
        sides.append(f"{axis}_out = ({axis} − 1)S − 2P + {kname} + output_padding = "
                     f"({n} − 1)·{p['stride']} − 2·{p['padding']} + {k} + {p['output_padding']} = {out}")
    return (f"It is (N, C_out, H_out, W_out), with C_out = w.shape[1] and {' and '.join(sides)} "
            f"(cnnedu.sizes.conv_transpose_output_size).")


def _describe_tconv_backward(case, output, shape):
    return {0: "dx has the shape of x, (N, C_in, H, W).",
            1: "dw has the shape of w, (C_in, C_out, K_h, K_w).",
            2: "db has one value per output map, (C_out,)."}[output]


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

#: The lecture's single depth slice (max-pooled 2×2, stride 2: [[6, 8], [3, 4]]; mean: [[3.25, 5.25], [2, 2]]).
SLICE = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]

#: The deliberate tie test of max_pool2d_backward: two maps of 4×4, 2×2 windows, stride 2.
#: Window by window, the maxima are tied twice, three times, four times, or not at all,
#: and the first maximum (row-major) is never the last, so first, last, every and split
#: routings all differ.
TIE_X = [[[3, 3, 0, 2], [1, 0, 2, 1], [5, 5, 1, 4], [5, 5, 2, 3]],
         [[0, 7, 7, 7], [7, 1, 6, 2], [2, 9, 4, 4], [9, 9, 1, 4]]]
TIE_DY = [[[1.0, -2.0], [3.0, 0.5]], [[-1.5, 2.5], [4.0, -0.25]]]


def _pool_case(seed, n, c, size, k, s, *, backward, x=None):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, *size)) if x is None else np.asarray(x, dtype=np.float64)
    size = x.shape[2:]
    out = tuple(sizes.pool_output_size(v, k, s) for v in size)
    params = {"size": size, "kernel": k, "stride": s, "out": out}
    label = f"x {x.shape}, kernel {k}, stride {s}"
    if backward:
        dy = np.round(rng.standard_normal(x.shape[:2] + out), 3)
        return Case(label + f", dy {dy.shape}", (dy, x, k, s), params)
    return Case(label, (x, k, s), params)


def _pool_groups(backward: bool):
    """(name, visible, cases) for the pooling parts."""
    def case(seed, *args, **kw):
        return _pool_case(seed, *args, backward=backward, **kw)

    lecture = [[SLICE]]
    groups = [
        ("windows side by side (S = K)", VISIBLE, [
            case(1, 1, 1, None, 2, 2, x=lecture),
            case(2, 2, 3, (6, 8), 2, 2),
            case(3, 1, 2, (6, 9), 3, 3)]),
        ("overlapping windows (S < K)", VISIBLE, [
            case(4, 1, 1, None, 2, 1, x=lecture),          # chapter 5's example: nine overlapping windows
            case(5, 2, 2, (7, 6), 3, 2)]),                  # the last column is in no window (floor)
        ("edge cases", HIDDEN, [
            case(6, 2, 2, (3, 4), 1, 1),                    # 1×1 windows: the identity
            case(7, 2, 2, (8, 7), 2, 3),                    # a stride larger than the window
            case(8, 1, 3, (5, 5), 5, 2),                    # one window as large as the map
            case(9, 2, 1, (6, 5), 3, 1),                    # one channel, every value in up to 9 windows
            case(10, 1, 2, (9, 11), 4, 3)]),                # a floor along both axes
    ]
    rng = np.random.default_rng(2025)
    randoms = []
    for i in range(4):
        k, s = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        size = tuple(int(v) for v in rng.integers(k, 11, size=2))
        n, c = (int(v) for v in rng.integers(1, 4, size=2))
        randoms.append(case(100 + i, n, c, size, k, s))
    groups.append(("random sizes", HIDDEN, randoms))
    return groups


def _tie_case():
    x = np.asarray(TIE_X, dtype=np.float64)[None]
    dy = np.asarray(TIE_DY)[None]
    return Case(f"x {x.shape} with tied maxima (integers), kernel 2, stride 2, dy {dy.shape}", (dy, x, 2, 2),
                {"size": x.shape[2:], "kernel": 2, "stride": 2, "out": (2, 2), "ties": True})


TIE_CASE = _tie_case()


def _resample_case(seed, n, c, size, factor, *, up, x=None):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, *size)) if x is None else np.asarray(x, dtype=np.float64)
    return Case(f"x {x.shape}, factor {factor}", (x, factor), {"size": x.shape[2:], "factor": factor, "up": up})


def _resample_groups(up: bool):
    def case(seed, *args, **kw):
        return _resample_case(seed, *args, up=up, **kw)

    visible = ([case(20, 1, 1, None, 2, x=[[[[1, 2], [3, 4]]]]), case(21, 2, 3, (3, 4), 2)] if up else
               [case(20, 2, 3, (6, 8), 2), case(21, 1, 2, (7, 5), 2)])      # 7 and 5: ⌈n/2⌉ keeps the last
    edge = [case(22, 2, 2, (3, 4), 1),                      # factor 1: a copy
            case(23, 1, 2, (3, 2), 3),
            case(24, 2, 1, (1, 1), 4),                      # 1×1 maps
            case(25, 2, 1, (1, 5), 2)]                      # one row
    if not up:                                              # a factor that does not divide, one larger than the map
        edge = [case(26, 2, 1, (7, 8), 3)] + edge + [case(27, 1, 2, (3, 4), 5)]
    rng = np.random.default_rng(2026 + up)
    randoms = []
    for i in range(3):
        f = int(rng.integers(2, 5))
        size = tuple(int(v) for v in rng.integers(1 if up else f + 1, 9, size=2))
        n, c = (int(v) for v in rng.integers(1, 4, size=2))
        randoms.append(case(200 + i, n, c, size, f))
    return [("factor 2", VISIBLE, visible), ("edge cases", HIDDEN, edge), ("random sizes", HIDDEN, randoms)]


def _tconv_case(seed, n, c_in, c_out, size, kernel, stride, padding, output_padding, *, backward,
                x=None, w=None, b=None):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c_in, *size)) if x is None else np.asarray(x, dtype=np.float64)
    w = rng.standard_normal((c_in, c_out, *kernel)) if w is None else np.asarray(w, dtype=np.float64)
    b = rng.standard_normal(w.shape[1]) if b is None else np.asarray(b, dtype=np.float64)
    size, kernel = x.shape[2:], w.shape[2:]
    out = tuple(sizes.conv_transpose_output_size(v, k, stride, padding, output_padding)
                for v, k in zip(size, kernel))
    params = {"size": size, "kernel": kernel, "stride": stride, "padding": padding,
              "output_padding": output_padding, "out": out}
    label = f"x {x.shape}, w {w.shape}, stride {stride}, padding {padding}"
    if output_padding:
        label += f", output_padding {output_padding}"
    if backward:
        dz = np.round(rng.standard_normal((x.shape[0], w.shape[1], *out)), 3)
        return Case(label + f", dz {dz.shape}", (dz, x, w, stride, padding), params)
    return Case(label, (x, w, b, stride, padding, output_padding), params)


def _tconv_groups(backward: bool):
    def case(seed, *args, **kw):
        return _tconv_case(seed, *args, backward=backward, **kw)

    groups = [
        ("stride 1, no cropping", VISIBLE, [case(30, 2, 3, 2, (4, 5), (3, 2), 1, 0, 0)]),
        ("stride 2, no cropping", VISIBLE, [
            # the book's examples: 2×2 blocks, and [1, 2, 3] pushing (1, 10) at stride 2
            case(31, 1, 1, 1, None, None, 2, 0, 0, x=[[[[1, 2], [3, 4]]]], w=[[[[1, 1], [1, 1]]]], b=[0.0]),
            case(32, 1, 1, 1, None, None, 2, 0, 0, x=[[[[1, 2, 3]]]], w=[[[[1, 10]]]], b=[0.0]),
            case(33, 2, 2, 3, (3, 3), (3, 3), 2, 0, 0)]),
        ("cropping and output_padding", VISIBLE, [
            case(34, 2, 2, 3, (4, 3), (3, 3), 2, 1, 1),     # 3×3, stride 2, padding 1, output_padding 1: doubles
            case(35, 1, 3, 2, (3, 3), (4, 4), 2, 1, 0)]),   # 4×4, stride 2, padding 1: doubles
        ("1×1 kernels", HIDDEN, [case(36, 2, 2, 3, (3, 4), (1, 1), 2, 0, 1),
                                 case(37, 2, 3, 2, (2, 3), (1, 1), 3, 0, 2)]),
        ("edge cases", HIDDEN, [
            case(38, 2, 3, 3, (3, 3), (3, 3), 1, 1, 0),     # C_in = C_out: the bank's order matters
            case(39, 2, 2, 2, (3, 4), (2, 2), 3, 0, 0),     # a stride larger than the kernel: holes
            case(40, 1, 2, 3, (4, 4), (3, 3), 3, 2, 2),     # padding K − 1, output_padding 2 = S − 1
            case(41, 2, 1, 1, (1, 1), (2, 3), 2, 0, 1),     # one pixel: the kernel, then output_padding
            case(42, 2, 2, 2, (3, 2), (2, 3), 2, 1, 1)]),   # a kernel that is not square
    ]
    rng = np.random.default_rng(2027)
    randoms = []
    while len(randoms) < 4:
        kernel = tuple(int(k) for k in rng.integers(1, 5, size=2))
        stride = int(rng.integers(1, 4))
        padding = int(rng.integers(0, min(kernel)))
        output_padding = int(rng.integers(0, stride))
        size = tuple(int(v) for v in rng.integers(1, 6, size=2))
        n, c_in, c_out = (int(v) for v in rng.integers(1, 4, size=3))
        if min((v - 1) * stride - 2 * padding + k + output_padding for v, k in zip(size, kernel)) < 1:
            continue                                        # cropped away entirely: draw again
        randoms.append(case(300 + len(randoms), n, c_in, c_out, size, kernel, stride, padding, output_padding))
    groups.append(("random sizes", HIDDEN, randoms))
    return groups


# ---------------------------------------------------------------------------
# Tests and points
# ---------------------------------------------------------------------------

def _tests(groups, points, output_name="y", output=0, extra=()):
    """points: shape (visible), shape (hidden), then values per group; ``extra`` tests go after."""
    visible = tuple(c for _, vis, cs in groups if vis for c in cs)
    hidden = tuple(c for _, vis, cs in groups if not vis for c in cs)
    tests = [Test(f"{output_name}: shape", points[0], visible, kind="shape", output=output),
             Test(f"{output_name}: shape, hidden cases", points[1], hidden, kind="shape", output=output,
                  visible=HIDDEN)]
    tests += [Test(f"{output_name}: values, {name}", pts, tuple(cs), output=output, visible=vis)
              for (name, vis, cs), pts in zip(groups, points[2:])]
    return tests + list(extra)


def _pool_part(name, title, backward, points, reference, variants, extra=()):
    args = "dy, x, kernel_size, stride" if backward else "x, kernel_size, stride"
    output = "dx" if backward else "y"
    return Part(name, function=name, signature=f"{name}({args})", title=title, outputs=(output,),
                tests=tuple(_tests(_pool_groups(backward), points, output, extra=extra)),
                reference=reference, variants=variants,
                describe_shape=_describe_pool_backward if backward else _describe_pool)


def _resample_part(name, title, up, points, reference, variants):
    return Part(name, function=name, signature=f"{name}(x, factor)", title=title,
                outputs=("u" if up else "d",),
                tests=tuple(_tests(_resample_groups(up), points, "u" if up else "d")),
                reference=reference, variants=variants,
                describe_shape=_describe_upsample if up else _describe_downsample)


def _tconv_backward_tests(groups, dx_points, db_points):
    visible = tuple(c for _, vis, cs in groups if vis for c in cs)
    hidden = tuple(c for _, vis, cs in groups if not vis for c in cs)
    tests = []
    for output, name in ((0, "dx"), (1, "dw")):
        tests += _tests(groups, dx_points, name, output)
    tests += [Test("db: shape", db_points[0], visible, kind="shape", output=2),
              Test("db: values", db_points[1], visible, output=2),
              Test("db: values, hidden cases", db_points[2], hidden, output=2, visible=HIDDEN)]
    return tuple(tests)


ASSIGNMENT = Assignment(
    name="A2",
    title="Pooling, resampling and transposed convolution by hand",
    notebook="A2_pooling_resampling.ipynb",
    parts=(
        _pool_part("max_pool2d_forward", "Max pooling, forward", False, (1, 1, 3, 3, 2, 2),
                   max_forward_reference, MAX_FORWARD_VARIANTS),
        _pool_part("max_pool2d_backward", "Max pooling, backward", True, (1, 1, 3, 4, 2, 3),
                   max_backward_reference, MAX_BACKWARD_VARIANTS,
                   extra=(Test("dx: values, ties go to the first maximum", 2, (TIE_CASE,)),)),
        _pool_part("avg_pool2d_forward", "Mean pooling, forward", False, (1, 1, 2, 2, 1, 1),
                   mean_forward_reference, MEAN_FORWARD_VARIANTS),
        _pool_part("avg_pool2d_backward", "Mean pooling, backward", True, (1, 1, 2, 4, 2, 2),
                   mean_backward_reference, MEAN_BACKWARD_VARIANTS),
        _resample_part("upsample", "Upsampling (zero insertion)", True, (1, 1, 2, 1.5, 1.5),
                       upsample_reference, UPSAMPLE_VARIANTS),
        _resample_part("downsample", "Downsampling (decimation)", False, (1, 1, 1, 1, 1),
                       downsample_reference, DOWNSAMPLE_VARIANTS),
        Part("conv_transpose2d_forward", function="conv_transpose2d_forward",
             signature="conv_transpose2d_forward(x, w, b, stride=1, padding=0, output_padding=0)",
             title="Transposed convolution, forward", outputs=("z",),
             tests=tuple(_tests(_tconv_groups(False), (1, 2, 3, 3, 4, 2, 3, 4), "z")),
             reference=tconv_forward_reference, variants=TCONV_FORWARD_VARIANTS,
             describe_shape=_describe_tconv),
        Part("conv_transpose2d_backward", function="conv_transpose2d_backward",
             signature="conv_transpose2d_backward(dz, x, w, stride=1, padding=0)",
             title="Transposed convolution, backward", outputs=("dx", "dw", "db"),
             tests=_tconv_backward_tests(_tconv_groups(True), (0.5, 0.5, 1, 1, 1.5, 0.5, 1, 1), (1, 1, 2)),
             reference=tconv_backward_reference, variants=TCONV_BACKWARD_VARIANTS,
             describe_shape=_describe_tconv_backward),
    ),
    forbidden_imports=("cnnedu.functional", "cnnedu.reference", "cnnedu.nn", "cnnedu.models", "cnnedu.train",
                       "cnnedu.exercises", "cnnedu.grading.assignments", "torch", "tensorflow", "jax",
                       "scipy.signal", "scipy.ndimage"),
    time_limit=40.0,
    memory_limit=1024,
)
