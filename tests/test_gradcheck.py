"""Every backward pass against central differences, and tests of cnnedu.gradcheck itself.

Each backward pass of cnnedu.functional and cnnedu.reference is checked with
``gradcheck`` on random float64 inputs: L = sum(dy * f(...)) with a random dy.
Max pooling gets inputs without near-ties (a shuffled ladder of distinct
values), p-norm pooling inputs away from 0, where the functions are smooth
within eps of the input.
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import cnnedu.functional as F
import cnnedu.gradcheck as G
import cnnedu.reference as R
from cnnedu.gradcheck import GradcheckResult, gradcheck, numerical_gradient, relative_error

TOL = 1e-7          # tighter than gradcheck's default 1e-6
IMPLS = [pytest.param(F, id="functional"), pytest.param(R, id="reference")]


def _rng(*key):
    return np.random.default_rng(list(key))


# ---------------------------------------------------------------------------
# Convolution
# ---------------------------------------------------------------------------

CONV2D = [
    dict(),
    dict(stride=2),
    dict(stride=(2, 3), padding=((1, 0), (0, 2))),           # asymmetric padding
    dict(padding="same"),
    dict(padding="same", stride=2),
    dict(padding="full", dilation=2),
    dict(dilation=(2, 1), padding=1),
    dict(groups=2, stride=2, padding=(1, 0)),
    dict(groups=4),                                          # depthwise
]


@pytest.mark.parametrize("M", IMPLS)
@pytest.mark.parametrize("kwargs", CONV2D, ids=str)
def test_conv2d_backward(M, kwargs):
    rng = _rng(2, len(CONV2D), CONV2D.index(kwargs))
    groups = kwargs.get("groups", 1)
    x = rng.normal(size=(2, 4, 6, 5))
    w = rng.normal(size=(4, 4 // groups, 3, 2))
    b = rng.normal(size=4)
    dy = rng.normal(size=M.conv2d(x, w, b, **kwargs).shape)
    dx, dw, db = M.conv2d_backward(dy, x, w, **kwargs)
    assert gradcheck(lambda x, w, b: M.conv2d(x, w, b, **kwargs), (x, w, b), (dx, dw, db), dy=dy, tol=TOL)


CONV1D = [dict(), dict(stride=3), dict(padding=(2, 0), stride=2), dict(padding="same", stride=2),
          dict(dilation=2, padding="full"), dict(groups=2, dilation=2), dict(groups=2, padding="same")]


@pytest.mark.parametrize("M", IMPLS)
@pytest.mark.parametrize("kwargs", CONV1D, ids=str)
def test_conv1d_backward(M, kwargs):
    rng = _rng(1, CONV1D.index(kwargs))
    groups = kwargs.get("groups", 1)
    x = rng.normal(size=(2, 2, 9))
    w = rng.normal(size=(4, 2 // groups, 3))
    b = rng.normal(size=4)
    dy = rng.normal(size=M.conv1d(x, w, b, **kwargs).shape)
    dx, dw, db = M.conv1d_backward(dy, x, w, **kwargs)
    assert gradcheck(lambda x, w, b: M.conv1d(x, w, b, **kwargs), (x, w, b), (dx, dw, db), dy=dy, tol=TOL)


TRANSPOSE2D = [
    dict(),
    dict(stride=2),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(2, 3), padding=((1, 0), (0, 2)), output_padding=(0, 2)),
    dict(padding="same", stride=2),
    dict(dilation=2, output_padding=1),
    dict(groups=2, stride=2),
]


@pytest.mark.parametrize("M", IMPLS)
@pytest.mark.parametrize("kwargs", TRANSPOSE2D, ids=str)
def test_conv_transpose2d_backward(M, kwargs):
    rng = _rng(3, TRANSPOSE2D.index(kwargs))
    groups = kwargs.get("groups", 1)
    x = rng.normal(size=(2, 2, 3, 4))
    w = rng.normal(size=(2, 4 // groups, 3, 2))
    b = rng.normal(size=4)
    dy = rng.normal(size=M.conv_transpose2d(x, w, b, **kwargs).shape)
    dx, dw, db = M.conv_transpose2d_backward(dy, x, w, **kwargs)
    assert gradcheck(lambda x, w, b: M.conv_transpose2d(x, w, b, **kwargs), (x, w, b), (dx, dw, db), dy=dy,
                     tol=TOL)


TRANSPOSE1D = [dict(stride=3), dict(stride=2, padding=(0, 2), output_padding=1), dict(padding="same", stride=3),
               dict(groups=2, dilation=2, padding=1)]


@pytest.mark.parametrize("M", IMPLS)
@pytest.mark.parametrize("kwargs", TRANSPOSE1D, ids=str)
def test_conv_transpose1d_backward(M, kwargs):
    rng = _rng(4, TRANSPOSE1D.index(kwargs))
    groups = kwargs.get("groups", 1)
    x = rng.normal(size=(2, 2, 4))
    w = rng.normal(size=(2, 6 // groups, 3))
    b = rng.normal(size=6)
    dy = rng.normal(size=M.conv_transpose1d(x, w, b, **kwargs).shape)
    dx, dw, db = M.conv_transpose1d_backward(dy, x, w, **kwargs)
    assert gradcheck(lambda x, w, b: M.conv_transpose1d(x, w, b, **kwargs), (x, w, b), (dx, dw, db), dy=dy,
                     tol=TOL)


# ---------------------------------------------------------------------------
# Pooling and resampling
# ---------------------------------------------------------------------------

POOL = [  # (nd, kernel_size, stride, padding)
    (2, 2, None, 0),
    (2, 3, 2, 1),
    (2, (3, 2), (1, 2), ((2, 0), (1, 1))),
    (2, 3, 2, "same"),
    (2, 2, 1, "full"),
    (1, 3, 2, (0, 2)),
    (1, 2, None, "same"),
]


def _distinct(rng, shape):
    """Distinct values 0.1 apart in random order: no pool has a near-tie within eps."""
    return rng.permutation(np.prod(shape)).reshape(shape) * 0.1 - 1.0


@pytest.mark.parametrize("M", IMPLS)
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("nd, kernel, stride, padding", POOL, ids=str)
def test_pool_backward(M, kind, nd, kernel, stride, padding):
    rng = _rng(5, POOL.index((nd, kernel, stride, padding)))
    x = _distinct(rng, (2, 2, 7, 6) if nd == 2 else (2, 2, 7))
    pool, backward = getattr(M, f"{kind}_pool{nd}d"), getattr(M, f"{kind}_pool{nd}d_backward")
    dy = rng.normal(size=pool(x, kernel, stride, padding).shape)
    dx = backward(dy, x, kernel, stride, padding)
    assert gradcheck(lambda x: pool(x, kernel, stride, padding), (x,), (dx,), dy=dy, tol=TOL)


LP = [(2, 2.0, 2, None), (2, 5.0, (2, 3), 1), (2, 1.0, 2, 1), (1, 3.0, 3, 2), (1, 1.5, 2, None)]


@pytest.mark.parametrize("M", IMPLS)
@pytest.mark.parametrize("nd, p, kernel, stride", LP, ids=str)
def test_lp_pool_backward(M, nd, p, kernel, stride):
    rng = _rng(6, LP.index((nd, p, kernel, stride)))
    shape = (2, 2, 6, 7) if nd == 2 else (2, 2, 8)
    x = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape)   # |x| >= 0.5
    pool, backward = getattr(M, f"lp_pool{nd}d"), getattr(M, f"lp_pool{nd}d_backward")
    dy = rng.normal(size=pool(x, p, kernel, stride).shape)
    dx = backward(dy, x, p, kernel, stride)
    assert gradcheck(lambda x: pool(x, p, kernel, stride), (x,), (dx,), dy=dy, tol=TOL)


@pytest.mark.parametrize("M", IMPLS)
@pytest.mark.parametrize("shape, factor", [((2, 2, 5), 3), ((1, 2, 4, 5), (2, 3)), ((1, 1, 7, 6), 2)], ids=str)
def test_resampling_backward(M, shape, factor):
    rng = _rng(7, len(shape), int(np.prod(shape)))
    x = rng.normal(size=shape)
    for forward, backward in ((M.upsample, M.upsample_backward), (M.downsample, M.downsample_backward)):
        dy = rng.normal(size=forward(x, factor).shape)
        dx = backward(dy, x, factor)
        assert gradcheck(lambda x: forward(x, factor), (x,), (dx,), dy=dy, tol=TOL)


# ---------------------------------------------------------------------------
# gradcheck itself
# ---------------------------------------------------------------------------

def test_numerical_gradient_of_known_functions():
    x = np.array([[-1.5, 0.2], [2.0, 3.0]])
    np.testing.assert_allclose(numerical_gradient(lambda x: np.sum(x ** 3), x), 3 * x ** 2, rtol=1e-8)
    # With dy: L = sum(dy * sin(x)), so dL/dx = dy cos(x).
    dy = np.array([[1.0, -2.0], [0.5, 0.0]])
    np.testing.assert_allclose(numerical_gradient(np.sin, x, dy=dy), dy * np.cos(x), rtol=1e-8, atol=1e-10)
    # Several inputs at once: L = sum(a * b^2) -> (b^2, 2ab).
    a, b = x, x[::-1] + 1
    ga, gb = numerical_gradient(lambda a, b: a * b ** 2, a, b, wrt=(0, 1))
    np.testing.assert_allclose(ga, b ** 2, rtol=1e-8)
    np.testing.assert_allclose(gb, 2 * a * b, rtol=1e-8)
    # A tuple wrt returns a tuple, even of one.
    (g,) = numerical_gradient(lambda a, b: a * b, a, b, wrt=(1,))
    np.testing.assert_allclose(g, a, rtol=1e-8)


def test_numerical_gradient_error_is_second_order_in_eps():
    x = np.array([0.7])
    exact = 3 * 0.7 ** 2
    err = [abs(numerical_gradient(lambda x: np.sum(x ** 3), x, eps=e)[0] - exact) for e in (1e-2, 1e-3)]
    # Central difference of x^3: the error is exactly eps^2.
    np.testing.assert_allclose(err, [1e-4, 1e-6], rtol=1e-4)


def test_numerical_gradient_never_mutates_and_works_in_float64():
    x32 = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    x_int = np.array([1, 2, 3])
    before32, before_int = x32.copy(), x_int.copy()
    seen = []

    def f(x, y):
        seen.append((x.dtype, y.dtype))
        return x * y

    g = numerical_gradient(f, x32, x_int, wrt=(0, 1))
    assert np.array_equal(x32, before32) and x32.dtype == np.float32
    assert np.array_equal(x_int, before_int) and x_int.dtype == np.int64
    assert seen and all(a == np.float64 and b == np.float64 for a, b in seen)
    np.testing.assert_allclose(g[0], x_int, rtol=1e-8)
    np.testing.assert_allclose(g[1], x32, rtol=1e-8)
    # A float32 eps would lose the perturbation; here the gradient is exact to ~1e-10.
    assert g[0].dtype == np.float64


def test_relative_error_edge_cases():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error(np.zeros((2, 3)), np.zeros((2, 3))) == 0.0
    assert relative_error([0.0, 0.0], [3.0, 4.0]) == 1.0
    assert relative_error([1.0, -2.0], [-1.0, 2.0]) == pytest.approx(1.0, rel=1e-15)
    assert relative_error([1.0, 0.0], [0.0, 1.0]) == pytest.approx(np.sqrt(2) / 2)
    assert relative_error([2.0], [1.0]) == pytest.approx(1 / 3)
    # Scale-free and symmetric.
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.1, 3.0])
    assert relative_error(1e-8 * a, 1e-8 * b) == pytest.approx(relative_error(a, b), rel=1e-12)
    assert relative_error(a, b) == relative_error(b, a)
    assert np.isnan(relative_error([np.nan], [1.0]))
    with pytest.raises(ValueError, match=r"same shape.*\(3,\).*\(1, 3\)"):
        relative_error(a, b[None])


def test_gradcheck_passes_a_right_gradient_and_catches_a_wrong_one():
    rng = _rng(8)
    x, w = rng.normal(size=(1, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3))
    f = lambda x, w: F.conv2d(x, w, stride=2)                       # noqa: E731
    dy = rng.normal(size=f(x, w).shape)
    dx, dw, _ = F.conv2d_backward(dy, x, w, stride=2)

    ok = gradcheck(f, (x, w), (dx, dw), dy=dy)
    assert ok and ok.passed and ok.max_error < 1e-8
    assert set(ok.errors) == {0, 1}

    bad = gradcheck(f, (x, w), (2 * dx, dw), dy=dy)                 # off by a factor 2
    assert not bad and not bad.passed
    assert bad.errors[0] == pytest.approx(1 / 3, rel=1e-6)
    assert bad.errors[1] < 1e-8
    assert bad.max_error == bad.errors[0]
    assert "passed=False" in repr(bad) and "args[0]: 3.33e-01" in repr(bad)

    # A gradient that forgets the stride is caught too: upsampling dy without
    # zeros (repeating each value) is the classic mistake.
    dy_repeated = np.repeat(np.repeat(dy, 2, axis=2), 2, axis=3)[:, :, :3, :3]
    dx_no_zeros, _, _ = F.conv2d_backward(dy_repeated, x, w)
    assert not gradcheck(f, (x, w), (dx_no_zeros, None), dy=dy)

    # The numerical gradients are kept for inspection.
    np.testing.assert_allclose(bad.numerical[0], dx, rtol=1e-6, atol=1e-8)


def test_gradcheck_skips_none_and_respects_wrt():
    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    f = lambda x, y: x * y                                         # noqa: E731
    result = gradcheck(f, (x, y), (None, x))
    assert result and set(result.errors) == {1}
    result = gradcheck(f, (x, y), (y, 100 * x), wrt=0)             # the wrong grads[1] is not checked
    assert result and set(result.errors) == {0}
    with pytest.raises(ValueError, match=r"grads\[1\] is None"):
        gradcheck(f, (x, y), (y, None), wrt=(0, 1))


def test_gradcheck_result_nan_fails():
    assert not GradcheckResult(errors={0: float("nan"), 1: 0.0}, tol=1e-6)
    assert GradcheckResult(errors={0: 1e-7}, tol=1e-6)
    assert not GradcheckResult(errors={0: 2e-6}, tol=1e-6)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: numerical_gradient("f", np.ones(2)), TypeError, "f must be callable"),
    (lambda: numerical_gradient(np.sum, np.ones(2), wrt=1), ValueError, "wrt must index.*got 1"),
    (lambda: numerical_gradient(np.sum, np.ones(2), wrt=-1), ValueError, "wrt must index.*got -1"),
    (lambda: numerical_gradient(np.sum, np.ones(2), wrt=1.0), TypeError, "wrt must be an int"),
    (lambda: numerical_gradient(np.sum, np.ones(2), np.ones(2), wrt=(0, 0)), ValueError, "repeat"),
    (lambda: numerical_gradient(np.sum, np.ones(2), eps=0), ValueError, "eps must be positive.*0.0"),
    (lambda: numerical_gradient(np.sum, np.ones(2), eps="small"), TypeError, "eps must be a real number"),
    (lambda: numerical_gradient(np.sum, np.array(["a"])), TypeError, "args\\[0\\] must be a real numeric"),
    (lambda: numerical_gradient(np.sin, np.ones(2), dy=np.ones(3)), ValueError, "dy must have the shape"),
    (lambda: gradcheck(np.sin, np.ones(2), (np.ones(2),)), TypeError, "args must be a tuple or list"),
    (lambda: gradcheck(np.sin, (np.ones(2),), (np.ones(2), None)), ValueError, "one entry.*1 args but 2"),
    (lambda: gradcheck(np.sin, (np.ones(2),), (None,)), ValueError, "all None"),
    (lambda: gradcheck(np.sin, (np.ones(2),), (np.ones(3),)), ValueError, r"grads\[0\] must have the shape"),
    (lambda: gradcheck(np.sin, (np.ones(2),), (np.ones(2),), tol=-1), ValueError, "tol must be positive"),
])
def test_bad_arguments_raise(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_gradcheck_doctests():
    result = doctest.testmod(G)
    assert result.attempted >= 5
    assert result.failed == 0
