"""dtypes and memory layouts accepted by every function of cnnedu.functional.

The contract (cnnedu.functional's docstring): every function accepts any real
array-like, returns float32 when *all* its array inputs are float32 and float64
otherwise (ints, bools, float16 and mixtures are computed in float64), gives the
same answer for any memory layout (strided, Fortran-ordered, negative strides,
read-only), never modifies its inputs, and handles an empty batch.
"""

from __future__ import annotations

import numpy as np
import pytest

import cnnedu.functional as F

RNG = np.random.default_rng(2024)


def _arr(*shape):
    return RNG.standard_normal(shape)


X2, W2, B2 = _arr(2, 3, 7, 6), _arr(4, 3, 3, 2), _arr(4)
X1, W1 = _arr(2, 3, 9), _arr(4, 3, 3)
XT2, WT2, BT2 = _arr(2, 3, 4, 3), _arr(3, 2, 3, 2), _arr(2)
XT1, WT1 = _arr(2, 3, 5), _arr(3, 2, 3)
XG, WG = _arr(2, 4, 6, 6), _arr(6, 2, 2, 2)  # groups=2

# name -> (function, arrays (keyword -> float64 values), other keyword arguments)
FORWARD = {
    "conv2d": (F.conv2d, {"x": X2, "w": W2, "b": B2}, dict(stride=2, padding=1)),
    "conv2d_groups": (F.conv2d, {"x": XG, "w": WG}, dict(padding="same", groups=2, dilation=2)),
    "conv1d": (F.conv1d, {"x": X1, "w": W1, "b": B2}, dict(stride=2, padding=(1, 2), dilation=2)),
    "conv_transpose2d": (F.conv_transpose2d, {"x": XT2, "w": WT2, "b": BT2},
                         dict(stride=2, padding=1, output_padding=1)),
    "conv_transpose1d": (F.conv_transpose1d, {"x": XT1, "w": WT1}, dict(stride=3, padding="same")),
    "max_pool2d": (F.max_pool2d, {"x": X2}, dict(kernel_size=3, stride=2, padding=1)),
    "max_pool1d": (F.max_pool1d, {"x": X1}, dict(kernel_size=2)),
    "avg_pool2d": (F.avg_pool2d, {"x": X2}, dict(kernel_size=(2, 3), stride=1, padding=((1, 0), (1, 1)))),
    "avg_pool1d": (F.avg_pool1d, {"x": X1}, dict(kernel_size=3, stride=2, padding=1)),
    "lp_pool2d": (F.lp_pool2d, {"x": X2}, dict(p=3, kernel_size=2, stride=1)),
    "lp_pool1d": (F.lp_pool1d, {"x": X1}, dict(p=2.5, kernel_size=3)),
    "upsample": (F.upsample, {"x": X2}, dict(factor=(2, 3))),
    "downsample": (F.downsample, {"x": X2}, dict(factor=(3, 2))),
}
BACKWARD_OF = {
    "conv2d_backward": (F.conv2d_backward, "conv2d"),
    "conv2d_groups_backward": (F.conv2d_backward, "conv2d_groups"),
    "conv1d_backward": (F.conv1d_backward, "conv1d"),
    "conv_transpose2d_backward": (F.conv_transpose2d_backward, "conv_transpose2d"),
    "conv_transpose1d_backward": (F.conv_transpose1d_backward, "conv_transpose1d"),
    "max_pool2d_backward": (F.max_pool2d_backward, "max_pool2d"),
    "max_pool1d_backward": (F.max_pool1d_backward, "max_pool1d"),
    "avg_pool2d_backward": (F.avg_pool2d_backward, "avg_pool2d"),
    "avg_pool1d_backward": (F.avg_pool1d_backward, "avg_pool1d"),
    "lp_pool2d_backward": (F.lp_pool2d_backward, "lp_pool2d"),
    "lp_pool1d_backward": (F.lp_pool1d_backward, "lp_pool1d"),
    "upsample_backward": (F.upsample_backward, "upsample"),
    "downsample_backward": (F.downsample_backward, "downsample"),
}


def _spec(name):
    if name in FORWARD:
        return FORWARD[name]
    fn, fwd = BACKWARD_OF[name]
    ffn, arrays, kwargs = FORWARD[fwd]
    out_shape = ffn(**arrays, **kwargs).shape
    dy = np.random.default_rng(len(name)).standard_normal(out_shape)
    arrays = {"dy": dy, **{k: v for k, v in arrays.items() if k != "b"}}
    return fn, arrays, kwargs


SPECS = {name: _spec(name) for name in [*FORWARD, *BACKWARD_OF]}
NAMES = sorted(SPECS)


def run(name, arrays=None, **overrides):
    fn, base, kwargs = SPECS[name]
    args = dict(base if arrays is None else arrays)
    args.update(overrides)
    out = fn(**args, **kwargs)
    return out if isinstance(out, tuple) else (out,)


def reference(name, arrays=None):
    """The result computed from C-contiguous float64 copies of the same values."""
    fn, base, kwargs = SPECS[name]
    src = base if arrays is None else arrays
    return run(name, {k: np.array(np.asarray(v), dtype=np.float64, order="C") for k, v in src.items()})


def assert_same(got, expected, rtol=1e-12, what=""):
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert isinstance(g, np.ndarray), what
        assert g.shape == e.shape, f"{what}: shape {g.shape} != {e.shape}"
        scale = max(1.0, float(np.abs(e).max())) if e.size else 1.0
        np.testing.assert_allclose(g, e, rtol=rtol, atol=rtol * scale, err_msg=what)


def cast(arrays, dtype, only=None):
    return {k: (v.astype(dtype) if only is None or k == only else v) for k, v in arrays.items()}


def values(arrays, dtype):
    """Arrays holding values exactly representable in ``dtype`` (so float64 references agree)."""
    if np.dtype(dtype) == np.bool_:
        return {k: v > 0 for k, v in arrays.items()}
    if np.dtype(dtype).kind in "iu":
        return {k: np.round(np.abs(v) * 3).astype(dtype) for k, v in arrays.items()}
    return {k: v.astype(dtype) for k, v in arrays.items()}


# ---------------------------------------------------------------------------
# dtypes
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_and_float64_are_kept(name, dtype):
    arrays = values(SPECS[name][1], dtype)
    out = run(name, arrays)
    for o in out:
        assert o.dtype == dtype, f"{name}: {o.dtype}"
    assert_same(out, reference(name, arrays), rtol=1e-12 if dtype == np.float64 else 1e-4, what=name)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_, np.float16])
def test_other_real_dtypes_compute_in_float64(name, dtype):
    arrays = values(SPECS[name][1], dtype)
    out = run(name, arrays)
    for o in out:
        assert o.dtype == np.float64, f"{name} with {np.dtype(dtype)} gave {o.dtype}"
    assert_same(out, reference(name, arrays), what=name)


@pytest.mark.parametrize("name", [n for n in NAMES if len(SPECS[n][1]) > 1])
def test_mixed_dtypes_compute_in_float64(name):
    base = SPECS[name][1]
    for key in base:
        for odd, rest in [(np.float64, np.float32), (np.float32, np.float64), (np.int64, np.float32),
                          (np.float16, np.float32)]:
            arrays = {k: (values({k: v}, odd) if k == key else values({k: v}, rest))[k] for k, v in base.items()}
            out = run(name, arrays)
            for o in out:
                assert o.dtype == np.float64, (
                    f"{name}: {key} {np.dtype(odd)} with the others {np.dtype(rest)} gave {o.dtype}")
            assert_same(out, reference(name, arrays), what=f"{name} mixed")


@pytest.mark.parametrize("name", NAMES)
def test_float32_is_close_to_float64(name):
    """float32 results within 1e-4 (relative to the largest value) of the float64 ones."""
    base = SPECS[name][1]
    out32 = run(name, cast(base, np.float32))
    out64 = run(name, base)
    assert_same(out32, out64, rtol=1e-4, what=name)


def test_float32_large_problem_is_close_to_float64():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((3, 16, 20, 20)), rng.standard_normal((8, 16, 5, 5))
    z64 = F.conv2d(x, w, padding=2)
    z32 = F.conv2d(x.astype(np.float32), w.astype(np.float32), padding=2)
    assert z32.dtype == np.float32
    np.testing.assert_allclose(z32, z64, rtol=1e-4, atol=1e-4 * np.abs(z64).max())
    dy = rng.standard_normal(z64.shape)
    for g32, g64 in zip(F.conv2d_backward(dy.astype(np.float32), x.astype(np.float32), w.astype(np.float32),
                                          padding=2),
                        F.conv2d_backward(dy, x, w, padding=2)):
        assert g32.dtype == np.float32
        np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-4 * np.abs(g64).max())


# ---------------------------------------------------------------------------
# Array-likes and memory layouts
# ---------------------------------------------------------------------------

def strided(a):
    """A view with the values of ``a`` that skips every other element along the last two axes."""
    if a.ndim == 1:
        big = np.full(2 * a.shape[0], np.nan)
        big[::2] = a
        return big[::2]
    big = np.full(a.shape[:-2] + (2 * a.shape[-2], 3 * a.shape[-1]), np.nan)
    big[..., ::2, ::3] = a
    return big[..., ::2, ::3]


def reversed_view(a):
    return np.flip(np.flip(a, -1).copy(), -1)


def swapped_view(a):
    return np.swapaxes(np.ascontiguousarray(np.swapaxes(a, 0, -1)), 0, -1)


def read_only(a):
    b = a.copy()
    b.setflags(write=False)
    return b


def read_only_strided(a):
    b = strided(a)
    b.setflags(write=False)
    return b


LAYOUTS = {
    "nested lists": lambda a: a.tolist(),
    "nested tuples": lambda a: tuple(map(lambda r: np.asarray(r).tolist(), a)),
    "strided view": strided,
    "fortran order": np.asfortranarray,
    "negative strides": reversed_view,
    "swapped axes": swapped_view,
    "read-only": read_only,
    "read-only strided": read_only_strided,
    "read-only float32": lambda a: read_only(a.astype(np.float32)),
    "strided float32": lambda a: strided(a.astype(np.float32)),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("name", NAMES)
def test_any_layout_gives_the_contiguous_answer(name, layout):
    base = SPECS[name][1]
    make = LAYOUTS[layout]
    for key in [*base, None]:                         # each array alone, then all of them
        arrays = {k: (make(v) if key is None or k == key else v) for k, v in base.items()}
        rtol = 1e-4 if "float32" in layout else 1e-12
        assert_same(run(name, arrays), reference(name, arrays), rtol=rtol, what=f"{name} {layout} {key}")
        if "float32" not in layout:
            assert_same(run(name, arrays), run(name), rtol=1e-12, what=f"{name} {layout} {key} vs base")


def test_layout_helpers_really_change_the_layout():
    a = X2
    assert not strided(a).flags.c_contiguous
    assert np.asfortranarray(a).flags.f_contiguous and not np.asfortranarray(a).flags.c_contiguous
    assert reversed_view(a).strides[-1] < 0
    assert not swapped_view(a).flags.c_contiguous
    assert not read_only(a).flags.writeable
    for f in (strided, reversed_view, swapped_view, read_only):
        np.testing.assert_array_equal(f(a), a)


def test_scalar_like_1x1_arrays_and_lists():
    assert F.conv2d([[[[2]]]], [[[[3]]]], [1]).tolist() == [[[[7.0]]]]
    assert F.conv1d([[[1, 2, 3, 4]]], [[[1, -1]]]).tolist() == [[[-1.0, -1.0, -1.0]]]
    assert F.max_pool1d([[[1, 3, 2, 5, 4, 0]]], 2).tolist() == [[[3.0, 5.0, 4.0]]]


# ---------------------------------------------------------------------------
# Inputs are never modified; results are fresh arrays
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_inputs_are_never_modified(name, dtype):
    arrays = cast(SPECS[name][1], dtype)
    views = {k: strided(v) for k, v in arrays.items()}
    before = {k: v.copy() for k, v in arrays.items()}
    before_views = {k: v.copy() for k, v in views.items()}
    run(name, arrays)
    run(name, views)
    for k in arrays:
        np.testing.assert_array_equal(arrays[k], before[k], err_msg=f"{name} modified {k}")
        np.testing.assert_array_equal(views[k], before_views[k], err_msg=f"{name} modified the view {k}")


@pytest.mark.parametrize("name", NAMES)
def test_results_do_not_share_memory_with_inputs(name):
    """Writing into a result must never change an input (PyTorch's functional ops behave so)."""
    fn, base, kwargs = SPECS[name]
    cases = [kwargs]
    if "factor" in kwargs:
        cases.append({**kwargs, "factor": 1})      # the identity resampling
    for kw in cases:
        arrays = {k: v.copy() for k, v in base.items()}
        if "factor" in kw and kw["factor"] == 1 and "dy" in arrays:
            arrays["dy"] = arrays["x"].copy()
        out = fn(**arrays, **kw)
        out = out if isinstance(out, tuple) else (out,)
        for o in out:
            for k, a in arrays.items():
                assert not np.shares_memory(o, a), f"{name}({kw}): result shares memory with {k}"


def test_results_are_independent_of_later_calls():
    """Scratch buffers reused across calls must never leak into returned results."""
    rng = np.random.default_rng(9)
    x1, x2 = rng.standard_normal((2, 3, 9, 9)), rng.standard_normal((2, 3, 9, 9))
    w = rng.standard_normal((4, 3, 3, 3))
    z1 = F.conv2d(x1, w, padding=1)
    keep = z1.copy()
    dx1, dw1, db1 = F.conv2d_backward(np.ones_like(z1), x1, w, padding=1)
    keep_grads = [dx1.copy(), dw1.copy(), db1.copy()]
    zt = F.conv_transpose2d(x1, rng.standard_normal((3, 2, 3, 3)), stride=2)
    keep_t = zt.copy()
    # other shapes, dtypes and a transposed convolution in between
    F.conv2d(x2, w, padding=1)
    F.conv2d(x2.astype(np.float32), w.astype(np.float32), stride=2)
    F.conv2d_backward(np.ones_like(z1), x2, w, padding=1)
    F.conv_transpose2d(x2, rng.standard_normal((3, 5, 2, 2)), stride=3)
    F.conv2d(rng.standard_normal((7, 3, 20, 20)), w)
    np.testing.assert_array_equal(z1, keep)
    np.testing.assert_array_equal(zt, keep_t)
    for g, k in zip((dx1, dw1, db1), keep_grads):
        np.testing.assert_array_equal(g, k)
    np.testing.assert_array_equal(F.conv2d(x1, w, padding=1), keep)


@pytest.mark.parametrize("name", NAMES)
def test_results_are_writeable_ndarrays(name):
    for o in run(name):
        assert type(o) is np.ndarray and o.flags.writeable


# ---------------------------------------------------------------------------
# Empty batch
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_empty_batch(name, dtype):
    fn, base, kwargs = SPECS[name]
    arrays = {k: (v[:0] if k in ("x", "dy") else v).astype(dtype) for k, v in base.items()}
    full = run(name)
    out = run(name, arrays)
    assert len(out) == len(full)
    for o, f in zip(out, full):
        assert o.dtype == dtype
        if name.endswith("backward") and len(full) == 3 and o.shape == f.shape:
            # dw and db: the sum over an empty batch is zero
            assert not o.any(), f"{name}: dw/db of an empty batch must be zero"
        else:
            assert o.shape == (0,) + f.shape[1:], f"{name}: {o.shape} for an empty batch"


def test_empty_batch_db_zeros_shapes():
    dx, dw, db = F.conv2d_backward(np.zeros((0, 4, 4, 4)), np.zeros((0, 3, 7, 6)), W2, stride=2, padding=1)
    assert dx.shape == (0, 3, 7, 6) and dw.shape == W2.shape and db.shape == (4,)
    assert not dw.any() and not db.any()
    dx, dw, db = F.conv_transpose1d_backward(np.zeros((0, 2, 15)), np.zeros((0, 3, 5)), WT1, stride=3,
                                             padding="same")
    assert dx.shape == (0, 3, 5) and dw.shape == WT1.shape and db.shape == (2,)
    assert not dw.any() and not db.any()
