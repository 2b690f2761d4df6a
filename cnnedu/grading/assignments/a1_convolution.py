r"""A1, convolution by hand: 1-D and 2-D forward and backward, with stride and padding.

The student writes six functions (PyTorch layouts; ``stride`` and ``padding`` are
ints, the same along every spatial axis, padding counted per side):

==============================================================  =====================================
``conv1d_forward(x, w, b, stride=1, padding=0)``                x (N, C_in, L), w (C_out, C_in, K)
``conv1d_backward(dz, x, w, stride=1, padding=0)``              returns (dx, dw, db)
``conv2d_forward(x, w, b, stride=1, padding=0)``                x (N, C_in, H, W), w (C_out, C_in, K_h, K_w)
``conv2d_backward(dz, x, w, stride=1, padding=0)``              returns (dx, dw, db)
``conv2d_forward_vectorized(x, w, b, stride=1, padding=0)``     no Python loop over positions
``conv2d_backward_vectorized(dz, x, w, stride=1, padding=0)``   idem
==============================================================  =====================================

Every part is tested on the same five groups of inputs: two visible ("stride 1, no
padding"; "stride 2 and padding", with the lecture's 5x5 image) and three hidden
(1x1 kernels; edge cases: padding wider than the kernel, a stride larger than the
kernel, a kernel as large as the padded input, a single channel; random sizes), plus
a speed test for the vectorised functions.  Shapes and values are separate tests, and
so are ``dx``, ``dw`` and ``db``.  Expected answers come from :mod:`cnnedu.functional`
(itself tested against the lecture's loops in :mod:`cnnedu.reference`); 1-D problems
are 2-D problems of height 1, as in the library.

The mistakes it names (each a variant below, tested in ``tests/test_grading_a1.py``):
the kernel flipped (a true convolution), padding forgotten, on one side, off by one or
doubled, the stride ignored or applied to the output size only, the bias forgotten,
the kernel's rows and columns swapped; backward: ``dx`` with the kernel unflipped, the
stride ignored (``dz`` not upsampled), the padding not cropped or cropped on one side,
overlapping windows overwriting instead of accumulating, ``dw`` flipped, for one
example only or overwritten, ``db`` not summed over the batch (or averaged, or not
summed over positions, or summed over the maps too).
"""

from __future__ import annotations

import numpy as np

from ... import sizes
from ..judge import MISTAKES, all_outputs_right
from ..spec import HIDDEN, VISIBLE, Assignment, Case, Part, Test, Variant

__all__ = ["ASSIGNMENT", "A1_MISTAKES"]

_OUT = "⌊(n + 2P − K)/S⌋ + 1"

#: The slips A1 recognises, in the fixed sentences the student sees.
A1_MISTAKES = {
    # --- forward -----------------------------------------------------------------------
    "flipped_kernel": "You flipped the kernel, which makes a true convolution. The lecture's layer (like "
                      "PyTorch's and cnnedu's) is a cross-correlation: output m is Σ w[i]·x_pad[mS + i], "
                      "with the kernel as it is.",
    "forgot_padding": "You left out the padding: add P zeros before and P zeros after the input along "
                      "every spatial axis (np.pad) before scanning it.",
    "padding_one_side": "You padded one side only: padding P puts P zeros before the input and P after "
                        "it, so a padded axis has n + 2P samples.",
    "padding_off_by_one": "Your padding is off by one: use exactly P zeros on each side.",
    "padding_doubled": "You padded 2P zeros on each side: padding P means P zeros on each side, 2P in all.",
    "forgot_stride": "You ignored the stride: the window moves S samples per step, so output m reads the "
                     "window that starts at m·S, and there are " + _OUT + " outputs.",
    "stride_window_start": "The output has the right size, but your windows move one sample per output "
                           "instead of S: output m reads the window that starts at m·S, not at m.",
    "forgot_bias": "You left out the bias: add b[j] to every value of output map j.",
    "kernel_transposed": "You swapped the kernel's rows and columns: w[j, i, p, q] multiplies "
                         "x_pad[s, i, mS + p, nS + q] (p down the rows, q along the columns).",
    # --- backward -----------------------------------------------------------------------
    "dx_unflipped": "Your dx uses the kernel unflipped. The derivative for the input is the full "
                    "convolution of dz with the flipped kernel (in loops: dx_pad[window of output m] "
                    "+= w·dz[m], which needs no flip).",
    "stride_ignored_backward": "Your backward pass ignores the stride: the derivative of output m belongs "
                               "to the window that starts at m·S. Upsample dz (S − 1 zeros between its "
                               "values) before scanning, or use m·S in the loops.",
    "forgot_crop": "You forgot to crop the padding: the derivative of the padded input has n + 2P samples "
                   "along each axis; drop the first P and the last P so that dx has the shape of x.",
    "crop_wrong_side": "You cropped the padding on the wrong side: drop the first P and the last P "
                       "samples of every spatial axis, dx = dx_pad[..., P:P + n].",
    "overwrote_not_accumulated": "Overlapping windows overwrote each other: an input sample receives a share "
                                 "from every window (and every output map) that read it, so add the shares "
                                 "up with +=, not =.",
    "dw_flipped": "Your dw is flipped: dw[j, i, p] = Σ dz[s, j, m]·x_pad[s, i, mS + p], the same "
                  "correlation as the forward pass, with no flip.",
    "dw_not_summed_over_batch": "Your dw covers one example only: the same weights serve every example of "
                                "the batch, so dw adds up the contributions of all N examples.",
    "dw_overwrote": "Your dw keeps the contribution of the last window only: every window of every example "
                    "adds to dw, so accumulate with +=, not =.",
    "db_not_summed_over_batch": "Your db is not summed over the batch: db[j] adds dz[s, j, ...] over every "
                                "example s and every position, one number per output map.",
    "db_averaged": "Your db is averaged over the batch; sum it instead (whether the loss averages over the "
                   "batch is already inside dz).",
    "db_not_summed_over_positions": "Your db is not summed over the positions: the bias is added at every "
                                    "position of the map, so db[j] adds dz[s, j, ...] over all positions "
                                    "(and all examples).",
    "db_summed_over_maps": "You summed dz over the output maps too: every map j has its own bias, so db has "
                           "C_out values.",
}
MISTAKES.update(A1_MISTAKES)


# ---------------------------------------------------------------------------
# 1-D is 2-D with height 1 (as in cnnedu.functional)
# ---------------------------------------------------------------------------

def _lift(a: np.ndarray) -> np.ndarray:
    return a if a.ndim == 4 else a[:, :, None, :]


def _drop(a, nd: int):
    return a if a is None or nd == 2 else a[:, :, 0, :]


def _pads(nd: int, lo: int, hi: int):
    return ((lo, hi), (lo, hi)) if nd == 2 else ((0, 0), (lo, hi))


def _flip(w: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.flip(w, axis=tuple(range(2, w.ndim))))


def _conv(x, w, b, stride, pads):
    import cnnedu.functional as F
    nd = x.ndim - 2
    return _drop(F.conv2d(_lift(x), _lift(w), b, stride=stride, padding=pads), nd)


def _conv_backward(dz, x, w, stride, pads):
    import cnnedu.functional as F
    nd = x.ndim - 2
    dx, dw, db = F.conv2d_backward(_lift(dz), _lift(x), _lift(w), stride=stride, padding=pads)
    return _drop(dx, nd), _drop(dw, nd), db


def forward_reference(x, w, b, stride, padding):
    """The right answer: ``(z,)``."""
    return (_conv(x, w, b, stride, _pads(x.ndim - 2, padding, padding)),)


def backward_reference(dz, x, w, stride, padding):
    """The right answer: ``(dx, dw, db)``."""
    return _conv_backward(dz, x, w, stride, _pads(x.ndim - 2, padding, padding))


# ---------------------------------------------------------------------------
# Wrong forward passes
# ---------------------------------------------------------------------------

def _fwd_padding(lo_of, hi_of, applies=lambda p: p > 0):
    def compute(x, w, b, stride, padding):
        if not applies(padding):
            return None
        return (_conv(x, w, b, stride, _pads(x.ndim - 2, lo_of(padding), hi_of(padding))),)
    return compute


def _fwd_flipped(x, w, b, stride, padding):
    return forward_reference(x, _flip(w), b, stride, padding)


def _fwd_no_stride(x, w, b, stride, padding):
    return None if stride == 1 else forward_reference(x, w, b, 1, padding)


def _fwd_window_start(x, w, b, stride, padding):
    if stride == 1:
        return None
    (z,) = forward_reference(x, w, b, 1, padding)
    (right,) = forward_reference(x, w, b, stride, padding)
    return (z[(...,) + tuple(slice(0, n) for n in right.shape[2:])],)


def _fwd_no_bias(x, w, b, stride, padding):
    return forward_reference(x, w, np.zeros_like(b), stride, padding)


def _fwd_transposed_kernel(x, w, b, stride, padding):
    if w.ndim != 4:
        return None
    return forward_reference(x, np.ascontiguousarray(w.transpose(0, 1, 3, 2)), b, stride, padding)


FORWARD_VARIANTS = (
    Variant("flipped_kernel", _fwd_flipped),
    Variant("forgot_padding", _fwd_padding(lambda p: 0, lambda p: 0)),
    Variant("padding_one_side", _fwd_padding(lambda p: p, lambda p: 0)),
    Variant("padding_one_side", _fwd_padding(lambda p: 0, lambda p: p)),
    Variant("padding_off_by_one", _fwd_padding(lambda p: p + 1, lambda p: p + 1, lambda p: True)),
    Variant("padding_off_by_one", _fwd_padding(lambda p: p - 1, lambda p: p - 1, lambda p: p > 1)),
    Variant("padding_doubled", _fwd_padding(lambda p: 2 * p, lambda p: 2 * p, lambda p: p > 1)),
    Variant("forgot_stride", _fwd_no_stride),
    Variant("stride_window_start", _fwd_window_start),
    Variant("forgot_bias", _fwd_no_bias),
    Variant("kernel_transposed", _fwd_transposed_kernel),
)


# ---------------------------------------------------------------------------
# Wrong backward passes
# ---------------------------------------------------------------------------

def _bwd_unflipped(dz, x, w, stride, padding):
    return (backward_reference(dz, x, _flip(w), stride, padding)[0], None, None)


def _bwd_dw_flipped(dz, x, w, stride, padding):
    return (None, _flip(backward_reference(dz, x, w, stride, padding)[1]), None)


def _bwd_stride_ignored(dz, x, w, stride, padding):
    """dz placed at consecutive positions of the stride-1 map, not every S-th one."""
    if stride == 1:
        return None
    nd = x.ndim - 2
    padded = [n + 2 * padding for n in x.shape[2:]]
    full = tuple(p - k + 1 for p, k in zip(padded, w.shape[2:]))
    dz1 = np.zeros(dz.shape[:2] + full)
    dz1[(slice(None), slice(None)) + tuple(slice(0, n) for n in dz.shape[2:])] = dz
    dx, dw, _ = _conv_backward(dz1, x, w, 1, _pads(nd, padding, padding))
    return dx, dw, None


def _padded_dx(dz, x, w, stride, padding):
    nd = x.ndim - 2
    x_pad = np.pad(x, ((0, 0), (0, 0)) + ((padding, padding),) * nd)
    return _conv_backward(dz, x_pad, w, stride, _pads(nd, 0, 0))[0]


def _bwd_no_crop(dz, x, w, stride, padding):
    return None if padding == 0 else (_padded_dx(dz, x, w, stride, padding), None, None)


def _bwd_crop_side(start_of):
    def compute(dz, x, w, stride, padding):
        if padding == 0:
            return None
        dx_pad = _padded_dx(dz, x, w, stride, padding)
        s = start_of(padding)
        return (dx_pad[(..., ) + tuple(slice(s, s + n) for n in x.shape[2:])], None, None)
    return compute


def _windows(out_shape, stride, kernel):
    """Every window as (output index, slices of the padded input)."""
    for idx in np.ndindex(*out_shape):
        yield idx, tuple(slice(i * stride, i * stride + k) for i, k in zip(idx, kernel))


def _bwd_overwrite(order: str):
    """dx when each window's share is assigned (=) instead of added (+=), for three loop orders."""
    def compute(dz, x, w, stride, padding):
        x_pad_shape = x.shape[:2] + tuple(n + 2 * padding for n in x.shape[2:])
        dx_pad = np.zeros(x_pad_shape)
        kernel, out = w.shape[2:], dz.shape[2:]
        for s in range(x.shape[0]):
            if order == "maps summed":        # vectorised over the maps, = over the windows
                for idx, win in _windows(out, stride, kernel):
                    dx_pad[(s, slice(None)) + win] = np.tensordot(dz[(s, slice(None)) + idx], w, axes=(0, 0))
            elif order == "map outer":        # for j: for m, n: dx_pad[...] = w[j] dz[j, m, n]
                for j in range(w.shape[0]):
                    for idx, win in _windows(out, stride, kernel):
                        dx_pad[(s, slice(None)) + win] = w[j] * dz[(s, j) + idx]
            else:                             # the lecture's order: for m, n: for j: ...
                for idx, win in _windows(out, stride, kernel):
                    for j in range(w.shape[0]):
                        dx_pad[(s, slice(None)) + win] = w[j] * dz[(s, j) + idx]
        return (dx_pad[(...,) + tuple(slice(padding, padding + n) for n in x.shape[2:])], None, None)
    return compute


def _bwd_dw_overwrite(dz, x, w, stride, padding):
    """dw[j] = dz·window of the last window of the last example only."""
    x_pad = np.pad(x, ((0, 0), (0, 0)) + ((padding, padding),) * (x.ndim - 2))
    last = tuple(n - 1 for n in dz.shape[2:])
    win = tuple(slice(i * stride, i * stride + k) for i, k in zip(last, w.shape[2:]))
    dw = np.stack([dz[(-1, j) + last] * x_pad[(-1, slice(None)) + win] for j in range(w.shape[0])])
    return (None, dw, None)


def _bwd_dw_examples(which: str):
    def compute(dz, x, w, stride, padding):
        if x.shape[0] < 2:
            return None
        if which == "each":
            dws = [backward_reference(dz[s:s + 1], x[s:s + 1], w, stride, padding)[1] for s in range(x.shape[0])]
            return (None, np.stack(dws), None)
        s = 0 if which == "first" else x.shape[0] - 1
        return (None, backward_reference(dz[s:s + 1], x[s:s + 1], w, stride, padding)[1], None)
    return compute


def _bwd_db(how: str):
    def compute(dz, x, w, stride, padding):
        axes = tuple(range(2, dz.ndim))
        if how in ("per example", "first", "last", "mean") and dz.shape[0] < 2:
            return None
        db = {"per example": lambda: dz.sum(axis=axes),
              "first": lambda: dz[0].sum(axis=tuple(a - 1 for a in axes)),
              "last": lambda: dz[-1].sum(axis=tuple(a - 1 for a in axes)),
              "mean": lambda: dz.sum(axis=axes).mean(axis=0),
              "positions": lambda: dz.sum(axis=0),
              "everything": lambda: np.asarray(dz.sum())}[how]()
        return (None, None, db)
    return compute


BACKWARD_VARIANTS = (
    Variant("dx_unflipped", _bwd_unflipped),
    Variant("stride_ignored_backward", _bwd_stride_ignored),
    Variant("forgot_crop", _bwd_no_crop),
    Variant("crop_wrong_side", _bwd_crop_side(lambda p: 0)),
    Variant("crop_wrong_side", _bwd_crop_side(lambda p: 2 * p)),
    Variant("overwrote_not_accumulated", _bwd_overwrite("maps summed")),
    Variant("overwrote_not_accumulated", _bwd_overwrite("map outer")),
    Variant("overwrote_not_accumulated", _bwd_overwrite("map inner")),
    Variant("dw_flipped", _bwd_dw_flipped),
    Variant("dw_not_summed_over_batch", _bwd_dw_examples("first")),
    Variant("dw_not_summed_over_batch", _bwd_dw_examples("last")),
    Variant("dw_not_summed_over_batch", _bwd_dw_examples("each")),
    Variant("dw_overwrote", _bwd_dw_overwrite),
    Variant("db_not_summed_over_batch", _bwd_db("per example")),
    Variant("db_not_summed_over_batch", _bwd_db("first")),
    Variant("db_not_summed_over_batch", _bwd_db("last")),
    Variant("db_averaged", _bwd_db("mean")),
    Variant("db_not_summed_over_positions", _bwd_db("positions")),
    Variant("db_summed_over_maps", _bwd_db("everything")),
)


# ---------------------------------------------------------------------------
# Shapes in words, with the formula (numbers from cnnedu.sizes)
# ---------------------------------------------------------------------------

_AXES = {1: ("L",), 2: ("H", "W")}
_KERNEL = {1: ("K",), 2: ("K_h", "K_w")}


def _describe_forward(case, output, shape):
    p = case.params
    nd = p["nd"]
    sides = []
    for axis, kname, n, k in zip(_AXES[nd], _KERNEL[nd], p["size"], p["kernel"]):
        out = sizes.conv_output_size(n, k, p["stride"], p["padding"])
        sides.append(f"{axis}_out = ⌊({axis} + 2P − {kname})/S⌋ + 1 = "
                     f"⌊({n} + 2·{p['padding']} − {k})/{p['stride']}⌋ + 1 = {out}")
    names = ", ".join(f"{a}_out" for a in _AXES[nd])
    return f"It is (N, C_out, {names}), with {' and '.join(sides)} (cnnedu.sizes.conv_output_size)."


def _describe_backward(case, output, shape):
    nd = case.params["nd"]
    return {0: f"dx has the shape of x, (N, C_in, {', '.join(_AXES[nd])}).",
            1: f"dw has the shape of w, (C_out, C_in, {', '.join(_KERNEL[nd])}).",
            2: "db has one value per output map, (C_out,)."}[output]


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

def _case(nd, seed, n, c_in, c_out, size, kernel, stride, padding, *, backward, x=None, w=None, b=None):
    rng = np.random.default_rng(seed)
    size, kernel = tuple(size), tuple(kernel)
    x = rng.standard_normal((n, c_in, *size)) if x is None else np.asarray(x, dtype=np.float64)
    w = rng.standard_normal((c_out, c_in, *kernel)) if w is None else np.asarray(w, dtype=np.float64)
    b = rng.standard_normal(c_out) if b is None else np.asarray(b, dtype=np.float64)
    out = tuple(sizes.conv_output_size(s, k, stride, padding) for s, k in zip(size, kernel))
    params = {"nd": nd, "size": size, "kernel": kernel, "stride": stride, "padding": padding, "out": out}
    label = f"x {x.shape}, w {w.shape}, stride {stride}, padding {padding}"
    if backward:
        dz = np.round(rng.standard_normal((n, c_out, *out)), 3)
        return Case(label + f", dz {dz.shape}", (dz, x, w, stride, padding), params)
    return Case(label, (x, w, b, stride, padding), params)


# The lecture's 5x5 binary image and 3x3 filter, stride 2 (its answer is [[4, 4], [2, 4]]).
_IMAGE = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
_FILTER = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]


def _groups(nd: int, backward: bool):
    """The five groups of cases: (name, visible, cases)."""
    def case(seed, *args, **kw):
        return _case(nd, seed, *args, backward=backward, **kw)

    def sz(h, w):                        # a 2-D size, or its width alone in 1-D
        return (h, w) if nd == 2 else (w,)

    if nd == 2:
        example = case(11, 1, 1, 1, (5, 5), (3, 3), 2, 0, x=[[_IMAGE]], w=[[_FILTER]], b=[0.0])
    else:
        example = case(11, 1, 1, 1, (7,), (3,), 2, 1, x=[[[1, 2, 3, 4, 5, 6, 7]]], w=[[[1, 0, -1]]], b=[0.5])
    groups = [
        ("stride 1, no padding", VISIBLE, [case(1, 2, 3, 4, sz(6, 5), sz(3, 3), 1, 0)]),
        ("stride 2 and padding", VISIBLE, [example, case(2, 2, 2, 3, sz(7, 6), sz(3, 2), 2, 1)]),
        ("1×1 kernels", HIDDEN, [case(3, 2, 3, 2, sz(4, 5), sz(1, 1), 1, 0),
                                 case(4, 2, 2, 3, sz(5, 4), sz(1, 1), 2, 1)]),
        ("edge cases", HIDDEN, [
            case(5, 1, 1, 1, sz(4, 6), sz(3, 3), 1, 2),       # one channel, padding wider than K/2
            case(6, 2, 2, 2, sz(9, 8), sz(2, 2), 3, 0),       # stride larger than the kernel
            case(7, 2, 2, 3, sz(3, 3), sz(5, 5), 1, 1),       # kernel as large as the padded input
            case(8, 1, 2, 1, sz(3, 4), sz(2, 2), 1, 3),       # windows that see only padding
            case(9, 2, 3, 2, sz(8, 7), sz(3, 3), 2, 0),       # a stride that does not divide
        ]),
    ]
    rng = np.random.default_rng(2024 + nd)
    randoms = []
    for i in range(4):
        kernel = tuple(int(k) for k in rng.integers(1, 5, size=nd))
        stride, padding = int(rng.integers(1, 4)), int(rng.integers(0, 3))
        size = tuple(int(rng.integers(max(1, k - 2 * padding), 10)) for k in kernel)
        n, c_in, c_out = (int(v) for v in rng.integers(1, 4, size=3))
        randoms.append(case(100 + i, n, c_in, c_out, size, kernel, stride, padding))
    groups.append(("random sizes", HIDDEN, randoms))
    return groups


def _speed_case(backward: bool):
    case = _case(2, 99, 16, 8, 64, (40, 40), (3, 3), 1, 1, backward=backward)
    return Case(case.label, case.args, {**case.params, "diagnose": False})


_SPEED_LIMIT = 3.0
_SPEED_NAME = "speed: 16 images of 8×40×40, 64 filters of 3×3, in under 3 s"


# ---------------------------------------------------------------------------
# Tests and points
# ---------------------------------------------------------------------------

def _forward_tests(groups, points, speed=None):
    """points: shape (visible), shape (hidden), then values per group [, speed]."""
    visible = tuple(c for _, vis, cs in groups if vis for c in cs)
    hidden = tuple(c for _, vis, cs in groups if not vis for c in cs)
    tests = [Test("z: shape", points[0], visible, kind="shape"),
             Test("z: shape, hidden cases", points[1], hidden, kind="shape", visible=HIDDEN)]
    tests += [Test(f"z: values, {name}", pts, tuple(cs), visible=vis)
              for (name, vis, cs), pts in zip(groups, points[2:])]
    if speed is not None:
        tests.append(Test(_SPEED_NAME, speed, (_speed_case(False),), time_limit=_SPEED_LIMIT,
                          judge=all_outputs_right))
    return tuple(tests)


def _backward_tests(groups, dx_points, db_points, speed=None):
    """dx_points (used for dw too): shape, shape hidden, values per group; db_points: shape, values, hidden values."""
    visible = tuple(c for _, vis, cs in groups if vis for c in cs)
    hidden = tuple(c for _, vis, cs in groups if not vis for c in cs)
    tests = []
    for output, name in ((0, "dx"), (1, "dw")):
        tests += [Test(f"{name}: shape", dx_points[0], visible, kind="shape", output=output),
                  Test(f"{name}: shape, hidden cases", dx_points[1], hidden, kind="shape", output=output,
                       visible=HIDDEN)]
        tests += [Test(f"{name}: values, {g}", pts, tuple(cs), output=output, visible=vis)
                  for (g, vis, cs), pts in zip(groups, dx_points[2:])]
    tests += [Test("db: shape", db_points[0], visible, kind="shape", output=2),
              Test("db: values", db_points[1], visible, output=2),
              Test("db: values, hidden cases", db_points[2], hidden, output=2, visible=HIDDEN)]
    if speed is not None:
        tests.append(Test(_SPEED_NAME, speed, (_speed_case(True),), time_limit=_SPEED_LIMIT,
                          judge=all_outputs_right))
    return tuple(tests)


def _forward_part(name, title, nd, points, speed=None):
    return Part(name, function=name, signature=f"{name}(x, w, b, stride=1, padding=0)", title=title,
                outputs=("z",), tests=_forward_tests(_groups(nd, False), points, speed),
                reference=forward_reference, variants=FORWARD_VARIANTS, describe_shape=_describe_forward)


def _backward_part(name, title, nd, dx_points, db_points, speed=None):
    return Part(name, function=name, signature=f"{name}(dz, x, w, stride=1, padding=0)", title=title,
                outputs=("dx", "dw", "db"),
                tests=_backward_tests(_groups(nd, True), dx_points, db_points, speed),
                reference=backward_reference, variants=BACKWARD_VARIANTS, describe_shape=_describe_backward)


ASSIGNMENT = Assignment(
    name="A1",
    title="Convolution by hand",
    notebook="A1_convolution.ipynb",
    parts=(
        _forward_part("conv1d_forward", "1-D convolution, forward (loops)", 1, (1, 1, 2, 2, 1, 2, 1)),
        _backward_part("conv1d_backward", "1-D convolution, backward (loops)", 1,
                       (0.5, 0.5, 1, 1, 0.5, 1, 1), (1, 1, 2)),
        _forward_part("conv2d_forward", "2-D convolution, forward (loops)", 2, (1, 1, 3, 3, 2, 3, 2)),
        _backward_part("conv2d_backward", "2-D convolution, backward (loops)", 2,
                       (1, 1, 2, 2, 1, 2, 1), (1, 2, 2)),
        _forward_part("conv2d_forward_vectorized", "2-D convolution, forward (vectorised)", 2,
                      (1, 1, 2, 2, 1, 2, 2), speed=4),
        _backward_part("conv2d_backward_vectorized", "2-D convolution, backward (vectorised)", 2,
                       (0.5, 0.5, 1, 1.5, 0.5, 1, 1), (1, 1, 1), speed=5),
    ),
    forbidden_imports=("cnnedu.functional", "cnnedu.reference", "cnnedu.nn", "cnnedu.models", "cnnedu.train",
                       "cnnedu.exercises", "cnnedu.grading.assignments", "torch", "tensorflow", "jax",
                       "scipy.signal", "scipy.ndimage"),
    time_limit=40.0,
    memory_limit=1024,
)
