"""The fast paths of pooling give the same numbers as the plain rules.

* the forward kernels unroll the 2x2 window; every other window takes the loop;
* ``max_pool2d(..., return_indices=True)`` returns the argmax, and
  ``max_pool2d_backward(..., indices=...)`` and ``nn.MaxPool2d.backward`` use it
  instead of searching the windows again: the gradients must be *identical* to the
  recomputing path, with ties, NaN, padding, overlapping windows and in 1-D;
* ``nn.AvgPool2d`` keeps only the input's shape; its backward skips zeroing ``dx``
  when the windows tile the input exactly;
* the window geometry is cached, but a float or bool argument is still refused.

Oracles: a direct per-window loop written here (with the NaN rule), the lecture's
loops in ``cnnedu.reference``, PyTorch and numerical gradients.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cnnedu.functional as F
from cnnedu import nn, reference
from cnnedu.functional import pooling
from cnnedu.gradcheck import gradcheck

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def first_max_oracle(x, kernel, stride, pad):
    """Per-window (value, flat index) with the documented rule: first maximum in row-major
    order, the first NaN if the window holds one; padding never wins."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, pad
    n_, c_, h_, w_ = x.shape
    oh = (h_ + 2 * ph - kh) // sh + 1
    ow = (w_ + 2 * pw - kw) // sw + 1
    y = np.empty((n_, c_, oh, ow), x.dtype)
    idx = np.empty((n_, c_, oh, ow), np.int64)
    for n in range(n_):
        for c in range(c_):
            for p in range(oh):
                for q in range(ow):
                    cells = [(h, w) for h in range(p * sh - ph, p * sh - ph + kh)
                             for w in range(q * sw - pw, q * sw - pw + kw) if 0 <= h < h_ and 0 <= w < w_]
                    vals = [x[n, c, h, w] for h, w in cells]
                    nans = [i for i, v in enumerate(vals) if np.isnan(v)]
                    best = nans[0] if nans else int(np.argmax(vals))   # argmax: first maximum
                    y[n, c, p, q] = vals[best]
                    idx[n, c, p, q] = cells[best][0] * w_ + cells[best][1]
    return y, idx


@st.composite
def pool_case(draw, nd=2, with_nan=True):
    """An input with ties (few distinct values), maybe NaNs, and a geometry with a nonempty window."""
    kh = 1 if nd == 1 else draw(st.integers(1, 3))
    kw = draw(st.integers(1, 3))
    sh = 1 if nd == 1 else draw(st.integers(1, 3))
    sw = draw(st.integers(1, 3))
    ph = 0 if nd == 1 else draw(st.integers(0, kh // 2))
    pw = draw(st.integers(0, kw // 2))
    h = 1 if nd == 1 else draw(st.integers(max(kh - 2 * ph, 1), 7))
    w = draw(st.integers(max(kw - 2 * pw, 1), 7))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, size=(n, c, h, w)).astype(draw(st.sampled_from([np.float32, np.float64])))
    if with_nan and draw(st.booleans()):
        x[rng.random(x.shape) < 0.15] = np.nan
    return x, (kh, kw), (sh, sw), (ph, pw)


def _call_args(nd, kernel, stride, pad):
    if nd == 1:
        return kernel[1], stride[1], pad[1]
    return kernel, stride, pad


@SETTINGS
@given(pool_case())
def test_max_pool_values_and_indices_match_the_oracle(case):
    x, kernel, stride, pad = case
    y, idx = F.max_pool2d(x, kernel, stride, pad, return_indices=True)
    y_ref, idx_ref = first_max_oracle(x, kernel, stride, pad)
    np.testing.assert_array_equal(y, y_ref)          # NaNs in the same places
    np.testing.assert_array_equal(idx, idx_ref)
    assert idx.dtype == np.int64 and y.dtype == x.dtype
    # the values really are the input's at the indices
    flat = x.reshape(*x.shape[:2], -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, idx.reshape(*idx.shape[:2], -1), 2).reshape(y.shape), y)


@SETTINGS
@given(pool_case(), st.integers(0, 2**31 - 1))
def test_backward_from_indices_is_identical(case, seed):
    x, kernel, stride, pad = case
    y, idx = F.max_pool2d(x, kernel, stride, pad, return_indices=True)
    dy = np.random.default_rng(seed).standard_normal(y.shape).astype(x.dtype)
    recomputed = F.max_pool2d_backward(dy, x, kernel, stride, pad)
    stored = F.max_pool2d_backward(dy, x, kernel, stride, pad, indices=idx)
    layer = nn.MaxPool2d(kernel, stride, pad)
    np.testing.assert_array_equal(layer(x), y)
    from_layer = layer.backward(dy)
    for got in (stored, from_layer):
        assert got.dtype == recomputed.dtype and got.shape == x.shape
        assert np.array_equal(got, recomputed)          # bit for bit, same order of additions
    if not np.isnan(x).any():                            # the lecture's loops: same rule without NaN
        np.testing.assert_array_equal(recomputed, reference.max_pool2d_backward(dy, x, kernel, stride, pad))


@SETTINGS
@given(pool_case(nd=1), st.integers(0, 2**31 - 1))
def test_1d_paths_agree(case, seed):
    x4, kernel, stride, pad = case
    x = x4[:, :, 0]
    k, s, p = _call_args(1, kernel, stride, pad)
    y, idx = F.max_pool1d(x, k, s, p, return_indices=True)
    y_ref, idx_ref = first_max_oracle(x4, kernel, stride, pad)
    np.testing.assert_array_equal(y, y_ref[:, :, 0])
    np.testing.assert_array_equal(idx, idx_ref[:, :, 0])
    dy = np.random.default_rng(seed).standard_normal(y.shape).astype(x.dtype)
    recomputed = F.max_pool1d_backward(dy, x, k, s, p)
    assert np.array_equal(F.max_pool1d_backward(dy, x, k, s, p, indices=idx), recomputed)
    layer = nn.MaxPool1d(k, s, p)
    layer(x)
    assert np.array_equal(layer.backward(dy), recomputed)
    avg = nn.AvgPool1d(k, s, p)
    np.testing.assert_array_equal(avg(x), F.avg_pool1d(x, k, s, p))
    np.testing.assert_array_equal(avg.backward(dy), F.avg_pool1d_backward(dy, x, k, s, p))


@SETTINGS
@given(pool_case(with_nan=False), st.integers(0, 2**31 - 1))
def test_avg_pool_layer_and_tiling_shortcut(case, seed):
    x, kernel, stride, pad = case
    layer = nn.AvgPool2d(kernel, stride, pad)
    y = layer(x)
    tol = dict(rtol=1e-6, atol=1e-6) if x.dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y, reference.avg_pool2d(x, kernel, stride, pad), **tol)
    dy = np.random.default_rng(seed).standard_normal(y.shape).astype(x.dtype)
    functional = F.avg_pool2d_backward(dy, x, kernel, stride, pad)
    np.testing.assert_array_equal(layer.backward(dy), functional)
    np.testing.assert_allclose(functional, reference.avg_pool2d_backward(dy, x, kernel, stride, pad), **tol)


@pytest.mark.parametrize("shape", [(2, 3, 8, 8), (2, 3, 7, 9), (1, 2, 6, 5), (2, 2, 6, 9)])
@pytest.mark.parametrize("kernel,stride,pad",
                         [(2, 2, 0), (2, 2, 1), (2, 1, 0), (3, 3, 0), (3, 2, 1), ((2, 3), (2, 3), 0), (3, 1, 1)])
def test_avg_backward_every_position_written(shape, kernel, stride, pad):
    """With np.empty when the windows tile exactly, every entry of dx must still be set:
    compare with a dy that makes every share distinct, against the lecture's loops."""
    x = np.zeros(shape)
    try:
        y = F.avg_pool2d(x, kernel, stride, pad)
    except ValueError:
        pytest.skip("window does not fit")
    dy = np.arange(1, y.size + 1, dtype=float).reshape(y.shape)
    for _ in range(3):   # reuse of freed memory would expose uninitialised entries
        np.testing.assert_allclose(F.avg_pool2d_backward(dy, x, kernel, stride, pad),
                                   reference.avg_pool2d_backward(dy, x, kernel, stride, pad), rtol=1e-12)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("kernel,stride,pad", [(2, 2, 0), (2, 2, 1), (3, 2, 1), (2, 1, 0)])
def test_gradcheck_through_the_unrolled_window(kind, kernel, stride, pad):
    x = np.random.default_rng(1).standard_normal((2, 2, 6, 7))
    fwd = getattr(F, f"{kind}_pool2d")
    dy = np.random.default_rng(2).standard_normal(fwd(x, kernel, stride, pad).shape)
    analytic = getattr(F, f"{kind}_pool2d_backward")(dy, x, kernel, stride, pad)
    assert gradcheck(lambda a: fwd(a, kernel, stride, pad), (x,), (analytic,), dy=dy)


@pytest.mark.parametrize("kernel,stride,pad", [(2, 2, 0), (2, 2, 1), (3, 2, 1), (2, 1, 0), ((2, 3), (1, 2), (1, 1))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_against_pytorch(kernel, stride, pad, dtype):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal((3, 4, 9, 10)).astype(dtype)
    tx = torch.from_numpy(x).requires_grad_()
    ty, tidx = torch.nn.functional.max_pool2d(tx, kernel, stride, pad, return_indices=True)
    y, idx = F.max_pool2d(x, kernel, stride, pad, return_indices=True)
    np.testing.assert_array_equal(y, ty.detach().numpy())
    np.testing.assert_array_equal(idx, tidx.numpy())
    dy = np.random.default_rng(4).standard_normal(y.shape).astype(dtype)
    ty.backward(torch.from_numpy(dy))
    layer = nn.MaxPool2d(kernel, stride, pad)
    layer(x)
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(layer.backward(dy), tx.grad.numpy(), rtol=tol, atol=tol)
    tx.grad = None
    ta = torch.nn.functional.avg_pool2d(tx, kernel, stride, pad)
    ta.backward(torch.from_numpy(dy))
    avg = nn.AvgPool2d(kernel, stride, pad)
    np.testing.assert_allclose(avg(x), ta.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(avg.backward(dy), tx.grad.numpy(), rtol=tol, atol=tol)


def test_layer_keeps_indices_not_the_input():
    x = np.random.default_rng(5).standard_normal((4, 3, 8, 8)).astype(np.float32)
    layer = nn.MaxPool2d(2)
    y = layer(x)
    assert not any(isinstance(a, np.ndarray) and a.shape == x.shape for a in layer._cache)
    x[:] = 0.0                  # changing the input afterwards does not change the gradient
    dx = layer.backward(np.ones_like(y))
    assert dx.dtype == np.float32 and dx.sum() == y.size and np.count_nonzero(dx) == y.size


def test_indices_are_checked():
    x = np.arange(32.0).reshape(1, 2, 4, 4)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    dy = np.ones_like(y)
    with pytest.raises(TypeError, match="max_pool2d_backward: indices must be an integer array"):
        F.max_pool2d_backward(dy, x, 2, indices=idx.astype(float))
    with pytest.raises(ValueError, match=r"indices must have the shape of the forward output \(1, 2, 2, 2\)"):
        F.max_pool2d_backward(dy, x, 2, indices=idx[:, :1])
    bad = idx.copy()
    bad[0, 1, 1, 0] = 0                # a position in window (0, 0), not in window (1, 0)
    with pytest.raises(ValueError, match=r"indices\[0, 1, 1, 0\] = 0 is not a position in its pooling window"):
        F.max_pool2d_backward(dy, x, 2, indices=bad)
    for value in (-1, 16, 2**40):
        bad = idx.copy()
        bad[0, 0, 0, 0] = value
        with pytest.raises(ValueError, match="is not a position in its pooling window"):
            F.max_pool2d_backward(dy, x, 2, indices=bad)
    with pytest.raises(ValueError, match=r"max_pool1d_backward: indices\[0, 0, 1\] = 0"):
        F.max_pool1d_backward(np.ones((1, 1, 2)), np.ones((1, 1, 4)), 2, indices=np.array([[[0, 0]]]))
    with pytest.raises(TypeError, match="return_indices must be True or False"):
        F.max_pool2d(x, 2, return_indices="yes")
    # any window position is accepted (it is where *some* maximum could be), e.g. on ties
    np.testing.assert_array_equal(
        F.max_pool2d_backward(dy, np.zeros_like(x), 2, indices=idx),
        F.max_pool2d_backward(dy, x, 2))


def test_scatter_kernel_skips_and_counts_indices_outside_the_map():
    """The kernel itself never writes out of bounds, whatever the indices."""
    dy = np.ones((1, 1, 1, 3))
    dx = np.zeros((1, 1, 2, 2))
    bad = pooling._max_pool_backward(dy, np.array([[[[0, -1, 4]]]], dtype=np.int64), dx)
    assert bad == 2 and dx.sum() == 1.0


@pytest.mark.parametrize("bad_kernel", [2.0, True, (2.0, 2), np.float64(2.0)])
def test_geometry_cache_does_not_accept_what_validation_refuses(bad_kernel):
    x = np.ones((1, 1, 4, 4))
    F.max_pool2d(x, 2)                  # cached: kernel 2
    F.max_pool2d(x, (2, 2))
    with pytest.raises(TypeError):
        F.max_pool2d(x, bad_kernel)
    with pytest.raises(TypeError):
        F.avg_pool2d_backward(np.ones((1, 1, 2, 2)), x, bad_kernel)


def test_geometry_cache_still_raises_each_time():
    x = np.ones((1, 1, 4, 4))
    for _ in range(2):
        with pytest.raises(ValueError, match="max_pool2d: padding"):
            F.max_pool2d(x, 2, padding=2)


@pytest.mark.parametrize("kernel,stride,pad", [(2, 2, 0), (3, 2, 1), (3, 1, 1)])
def test_batch_slices_on_threads_give_the_same_numbers(monkeypatch, kernel, stride, pad):
    """Poolings above PARALLEL_MIN_WORK run one batch slice per thread: identical results."""
    x = np.random.default_rng(6).standard_normal((5, 3, 11, 10)).astype(np.float32)
    x[1, 2, 3, 4] = np.nan

    def everything():
        y, idx = F.max_pool2d(x, kernel, stride, pad, return_indices=True)
        dy = np.random.default_rng(7).standard_normal(y.shape).astype(np.float32)
        layer = nn.MaxPool2d(kernel, stride, pad)
        layer(x)
        out = [y, idx, layer.backward(dy), F.max_pool2d_backward(dy, x, kernel, stride, pad),
               F.avg_pool2d(x, kernel, stride, pad), F.avg_pool2d_backward(dy, x, kernel, stride, pad)]
        if pad == 0:
            out += [F.lp_pool2d(np.abs(x), 2.5, kernel, stride),
                    F.lp_pool2d_backward(dy, np.abs(x), 2.5, kernel, stride)]
        return out

    serial = everything()
    monkeypatch.setattr(pooling, "PARALLEL_MIN_WORK", 1)
    from cnnedu.functional import _parallel
    monkeypatch.setattr(_parallel, "thread_count", lambda: 3)     # slices even on a 1-thread BLAS
    for a, b in zip(everything(), serial):
        assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
