"""cnnedu.functional against cnnedu.reference (the lecture's loops) on random configurations.

Hypothesis draws only valid configurations: sizes come from cnnedu.sizes, so the
(dilated) kernel always fits in the padded input and every pool holds at least
one input element.  Array values come from a drawn seed (standard normal), which
keeps the comparison at float64 rounding level (rtol = atol = 1e-10).
"""

from __future__ import annotations

import ast
import doctest
import inspect
import zlib

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import cnnedu.functional as F
import cnnedu.reference as R
from cnnedu import sizes

TOL = dict(rtol=1e-10, atol=1e-10)
TOL32 = dict(rtol=1e-5, atol=1e-5)
seeds = st.integers(0, 2**32 - 1)


def assert_same(got, want, tol=TOL):
    """Same shape, same dtype, same values."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, **tol)


# ---------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------

def _padding_arg(draw, specs):
    """The padding argument for per-dimension specs, in one of the accepted spellings."""
    if len(specs) == 1:
        return specs[0]
    if specs[0] == specs[1] and not isinstance(specs[0], tuple) and draw(st.booleans()):
        return specs[0]                       # one int or string for both dimensions
    return tuple(specs)                       # per dimension: ints, (lo, hi) pairs, strings


def _per_dim_arg(draw, values):
    """An int for every dimension when they agree (sometimes), else a tuple."""
    if len(set(values)) == 1 and draw(st.booleans()):
        return values[0]
    return tuple(values)


@st.composite
def conv_dim(draw):
    """One spatial dimension of a convolution: (n, K, S, D, padding spec)."""
    K, S, D = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    kind = draw(st.sampled_from(["int", "pair", "valid", "same", "full"]))
    if kind == "int":
        spec = draw(st.integers(0, 2))
        added = 2 * spec
    elif kind == "pair":
        spec = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
        added = sum(spec)
    else:
        spec, added = kind, (D * (K - 1) if kind != "valid" else 0)   # "same"/"full" always fit
    n_min = max(1, D * (K - 1) + 1 - added)
    n = draw(st.integers(n_min, n_min + 4))
    return n, K, S, D, spec


@st.composite
def channels(draw):
    """(C_in, C_out, groups), including depthwise (groups = C_in)."""
    if draw(st.booleans()):
        c = draw(st.integers(1, 3))
        return c, c * draw(st.integers(1, 2)), c
    groups = draw(st.integers(1, 2))
    return groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2)), groups


@st.composite
def conv_config(draw, nd):
    dims = [draw(conv_dim()) for _ in range(nd)]
    c_in, c_out, groups = draw(channels())
    n_batch = draw(st.integers(1, 2))
    kwargs = dict(stride=_per_dim_arg(draw, [d[2] for d in dims]),
                  padding=_padding_arg(draw, [d[4] for d in dims]),
                  dilation=_per_dim_arg(draw, [d[3] for d in dims]),
                  groups=groups)
    x_shape = (n_batch, c_in, *(d[0] for d in dims))
    w_shape = (c_out, c_in // groups, *(d[1] for d in dims))
    out = tuple(sizes.conv_output_size(n, K, S, p, D) for n, K, S, D, p in dims)
    return x_shape, w_shape, kwargs, (n_batch, c_out, *out)


@st.composite
def transpose_dim(draw):
    """One dimension of a transposed convolution: (n, K, S, D, padding spec, output_padding)."""
    K, S, D, n = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 4))
    op = draw(st.integers(0, max(S, D) - 1))
    kind = draw(st.sampled_from(["int", "pair", "valid", "same"]))
    if kind == "same":
        return n, K, S, D, "same", 0             # "same" fixes output_padding itself
    uncropped = (n - 1) * S + D * (K - 1) + 1 + op
    if kind == "int":
        spec = draw(st.integers(0, min(2, (uncropped - 1) // 2)))
    elif kind == "pair":
        lo = draw(st.integers(0, min(2, uncropped - 1)))
        spec = (lo, draw(st.integers(0, min(2, uncropped - 1 - lo))))
    else:
        spec = "valid"
    return n, K, S, D, spec, op


@st.composite
def transpose_config(draw, nd):
    dims = [draw(transpose_dim()) for _ in range(nd)]
    c_in, c_out, groups = draw(channels())
    n_batch = draw(st.integers(1, 2))
    kwargs = dict(stride=_per_dim_arg(draw, [d[2] for d in dims]),
                  padding=_padding_arg(draw, [d[4] for d in dims]),
                  output_padding=_per_dim_arg(draw, [d[5] for d in dims]),
                  groups=groups,
                  dilation=_per_dim_arg(draw, [d[3] for d in dims]))
    x_shape = (n_batch, c_in, *(d[0] for d in dims))
    w_shape = (c_in, c_out // groups, *(d[1] for d in dims))
    out = tuple(sizes.conv_transpose_output_size(n, K, S, p, op, D) for n, K, S, D, p, op in dims)
    return x_shape, w_shape, kwargs, (n_batch, c_out, *out)


@st.composite
def pool_config(draw, nd, padded=True):
    """Pooling geometry in which every pool holds at least one input element."""
    kernel = [draw(st.integers(1, 3)) for _ in range(nd)]
    default_stride = draw(st.booleans())
    stride = list(kernel) if default_stride else [draw(st.integers(1, 3)) for _ in range(nd)]
    specs, in_size, out = [], [], []
    for K, S in zip(kernel, stride):
        kind = draw(st.sampled_from(["int", "pair", "valid", "same", "full"])) if padded else "valid"
        if kind == "int":
            spec = draw(st.integers(0, K - 1))
            added = 2 * spec
        elif kind == "pair":
            spec = (draw(st.integers(0, K - 1)), draw(st.integers(0, K - 1)))
            added = sum(spec)
        else:
            spec, added = kind, (K - 1 if kind != "valid" else 0)
        n = draw(st.integers(max(1, K - added), max(1, K - added) + 4))
        lo, hi = sizes.resolve_padding(n, K, S, spec)
        o = sizes.pool_output_size(n, K, S, (lo, hi))
        assume(lo < K and (o - 1) * S - lo < n)     # no pool made of padding only
        specs.append(spec)
        in_size.append(n)
        out.append(o)
    kwargs = dict(kernel_size=_per_dim_arg(draw, kernel),
                  stride=None if default_stride else _per_dim_arg(draw, stride))
    if padded:
        kwargs["padding"] = _padding_arg(draw, specs)
    n_batch, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    return (n_batch, c, *in_size), kwargs, (n_batch, c, *out)


def _normal(rng, shape):
    return rng.normal(size=shape)


# ---------------------------------------------------------------------------
# Convolution and transposed convolution
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("nd", [1, 2])
@settings(deadline=None, max_examples=50)
@given(data=st.data(), seed=seeds, with_bias=st.booleans())
def test_conv_matches_reference(nd, data, seed, with_bias):
    x_shape, w_shape, kwargs, out_shape = data.draw(conv_config(nd))
    rng = np.random.default_rng(seed)
    x, w = _normal(rng, x_shape), _normal(rng, w_shape)
    b = _normal(rng, w_shape[0]) if with_bias else None
    conv, conv_backward = f"conv{nd}d", f"conv{nd}d_backward"

    z = getattr(F, conv)(x, w, b, **kwargs)
    assert z.shape == out_shape
    assert_same(z, getattr(R, conv)(x, w, b, **kwargs))

    dy = _normal(rng, out_shape)
    got = getattr(F, conv_backward)(dy, x, w, **kwargs)
    want = getattr(R, conv_backward)(dy, x, w, **kwargs)
    for g, r, shape in zip(got, want, (x_shape, w_shape, w_shape[:1])):
        assert g.shape == shape
        assert_same(g, r)


@pytest.mark.parametrize("nd", [1, 2])
@settings(deadline=None, max_examples=50)
@given(data=st.data(), seed=seeds, with_bias=st.booleans())
def test_conv_transpose_matches_reference(nd, data, seed, with_bias):
    x_shape, w_shape, kwargs, out_shape = data.draw(transpose_config(nd))
    rng = np.random.default_rng(seed)
    x, w = _normal(rng, x_shape), _normal(rng, w_shape)
    b = _normal(rng, out_shape[1]) if with_bias else None
    op, op_backward = f"conv_transpose{nd}d", f"conv_transpose{nd}d_backward"

    z = getattr(F, op)(x, w, b, **kwargs)
    assert z.shape == out_shape
    assert_same(z, getattr(R, op)(x, w, b, **kwargs))

    dy = _normal(rng, out_shape)
    got = getattr(F, op_backward)(dy, x, w, **kwargs)
    want = getattr(R, op_backward)(dy, x, w, **kwargs)
    for g, r, shape in zip(got, want, (x_shape, w_shape, out_shape[1:2])):
        assert g.shape == shape
        assert_same(g, r)


@pytest.mark.parametrize("transpose", [False, True], ids=["conv2d", "conv_transpose2d"])
def test_batches_bigger_than_one_workspace_chunk(transpose):
    # The fast path unfolds a few MB of windows at a time: with ~1.5 MB of columns
    # per example, a batch of 3 runs as two chunks (2 + 1 examples).
    rng = np.random.default_rng(11)
    if transpose:
        x, w = rng.normal(size=(3, 2, 36, 36)), rng.normal(size=(2, 16, 3, 3))
        kwargs = dict(stride=1, padding=1)
    else:
        x, w = rng.normal(size=(3, 16, 40, 40)), rng.normal(size=(2, 16, 3, 3))
        kwargs = dict(stride=1, padding=0)
    op = "conv_transpose2d" if transpose else "conv2d"
    z = getattr(F, op)(x, w, **kwargs)
    assert_same(z, getattr(R, op)(x, w, **kwargs))
    dy = rng.normal(size=z.shape)
    got = getattr(F, op + "_backward")(dy, x, w, **kwargs)
    for g, r in zip(got, getattr(R, op + "_backward")(dy, x, w, **kwargs)):
        assert_same(g, r)


# ---------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("nd", [1, 2])
@settings(deadline=None, max_examples=50)
@given(data=st.data(), seed=seeds, ties=st.booleans())
def test_pool_matches_reference(kind, nd, data, seed, ties):
    x_shape, kwargs, out_shape = data.draw(pool_config(nd))
    rng = np.random.default_rng(seed)
    # With ties (values from {0, 1, 2}) both must route the derivative to the
    # first maximum in row-major order.
    x = rng.integers(0, 3, size=x_shape).astype(float) if ties else _normal(rng, x_shape)
    pool, pool_backward = f"{kind}_pool{nd}d", f"{kind}_pool{nd}d_backward"

    y = getattr(F, pool)(x, **kwargs)
    assert y.shape == out_shape
    assert_same(y, getattr(R, pool)(x, **kwargs))

    dy = _normal(rng, out_shape)
    dx = getattr(F, pool_backward)(dy, x, **kwargs)
    assert dx.shape == x_shape
    assert_same(dx, getattr(R, pool_backward)(dy, x, **kwargs))


@pytest.mark.parametrize("nd", [1, 2])
@settings(deadline=None, max_examples=40)
@given(data=st.data(), seed=seeds, p=st.sampled_from([1.0, 1.5, 2.0, 3.0, 5.0]), zeros=st.booleans())
def test_lp_pool_matches_reference(nd, data, seed, p, zeros):
    x_shape, kwargs, out_shape = data.draw(pool_config(nd, padded=False))
    rng = np.random.default_rng(seed)
    x = _normal(rng, x_shape)
    if zeros:                                  # exact zeros, and maybe all-zero pools: the subgradient 0
        x[rng.random(x_shape) < 0.5] = 0.0

    y = getattr(F, f"lp_pool{nd}d")(x, p, **kwargs)
    assert y.shape == out_shape
    assert_same(y, getattr(R, f"lp_pool{nd}d")(x, p, **kwargs))

    dy = _normal(rng, out_shape)
    assert_same(getattr(F, f"lp_pool{nd}d_backward")(dy, x, p, **kwargs),
                getattr(R, f"lp_pool{nd}d_backward")(dy, x, p, **kwargs))


# ---------------------------------------------------------------------------
# Upsampling and downsampling
# ---------------------------------------------------------------------------

@settings(deadline=None, max_examples=40)
@given(nd=st.sampled_from([1, 2]), data=st.data(), seed=seeds)
def test_resampling_matches_reference(nd, data, seed):
    spatial = [data.draw(st.integers(1, 6)) for _ in range(nd)]
    factor = _per_dim_arg(data.draw, [data.draw(st.integers(1, 3)) for _ in range(nd)])
    factors = factor if isinstance(factor, tuple) else (factor,) * nd
    rng = np.random.default_rng(seed)
    x = _normal(rng, (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3)), *spatial))

    up = F.upsample(x, factor)
    assert up.shape[2:] == tuple((n - 1) * s + 1 for n, s in zip(spatial, factors))
    assert_same(up, R.upsample(x, factor))
    down = F.downsample(x, factor)
    assert down.shape[2:] == tuple(-(-n // s) for n, s in zip(spatial, factors))
    assert_same(down, R.downsample(x, factor))

    dy_up, dy_down = _normal(rng, up.shape), _normal(rng, down.shape)
    assert_same(F.upsample_backward(dy_up, x, factor), R.upsample_backward(dy_up, x, factor))
    assert_same(F.downsample_backward(dy_down, x, factor), R.downsample_backward(dy_down, x, factor))
    # Each is the other's transpose: <up(x), u> = <x, down(u)>.
    np.testing.assert_allclose(np.sum(R.upsample(x, factor) * dy_up), np.sum(x * R.downsample(dy_up, factor)),
                               **TOL)


# ---------------------------------------------------------------------------
# float32: every op, one case each
# ---------------------------------------------------------------------------

def _conv_case(nd, transpose):
    name = f"conv_transpose{nd}d" if transpose else f"conv{nd}d"
    spatial = (5,) * nd
    kernel = (3,) * nd
    # groups 2; weight (C_out, C_in/2, K) or (C_in, C_out/2, K) for the transpose
    w_shape = (4, 3, *kernel) if transpose else (6, 2, *kernel)
    kwargs = (dict(stride=2, padding=1, output_padding=1, groups=2, dilation=1) if transpose
              else dict(stride=2, padding="same", dilation=1, groups=2))
    shapes = ((2, 4, *spatial), w_shape, (6,))
    return (name, shapes,
            lambda M, x, w, b: getattr(M, name)(x, w, b, **kwargs),
            lambda M, dy, x, w, b: getattr(M, name + "_backward")(dy, x, w, **kwargs))


def _pool_case(kind, nd):
    name = f"{kind}_pool{nd}d"
    if kind == "lp":
        fwd = lambda M, x: getattr(M, name)(x, 3.0, 2, 1)                    # noqa: E731
        bwd = lambda M, dy, x: getattr(M, name + "_backward")(dy, x, 3.0, 2, 1)  # noqa: E731
    else:
        fwd = lambda M, x: getattr(M, name)(x, 3, 2, 1)                      # noqa: E731
        bwd = lambda M, dy, x: getattr(M, name + "_backward")(dy, x, 3, 2, 1)    # noqa: E731
    return name, ((2, 3, *(6,) * nd),), fwd, bwd


FLOAT32_CASES = [
    *(_conv_case(nd, t) for t in (False, True) for nd in (1, 2)),
    *(_pool_case(kind, nd) for kind in ("max", "avg", "lp") for nd in (1, 2)),
    ("upsample", ((2, 3, 4, 5),), lambda M, x: M.upsample(x, (2, 3)),
     lambda M, dy, x: M.upsample_backward(dy, x, (2, 3))),
    ("downsample", ((2, 3, 7),), lambda M, x: M.downsample(x, 2),
     lambda M, dy, x: M.downsample_backward(dy, x, 2)),
]


@pytest.mark.parametrize("name, shapes, forward, backward", FLOAT32_CASES, ids=[c[0] for c in FLOAT32_CASES])
def test_float32_matches_reference(name, shapes, forward, backward):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    inputs = [rng.normal(size=s).astype(np.float32) for s in shapes]
    y = forward(F, *inputs)
    assert y.dtype == np.float32
    assert_same(y, forward(R, *inputs), TOL32)
    dy = rng.normal(size=y.shape).astype(np.float32)
    got, want = backward(F, dy, *inputs), backward(R, dy, *inputs)
    for g, r in zip(*((got, want) if isinstance(got, tuple) else ((got,), (want,)))):
        assert g.dtype == np.float32
        assert_same(g, r, TOL32)


def test_reference_mixed_dtypes_compute_in_float64():
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4) / 7
    w = np.ones((1, 1, 2, 2), dtype=np.float64) / 3
    z = R.conv2d(x, w)
    assert z.dtype == np.float64
    assert R.conv2d(x, w.astype(np.float32)).dtype == np.float32
    assert R.max_pool2d(x.astype(np.int64), 2).dtype == np.float64
    np.testing.assert_allclose(z, F.conv2d(x, w), **TOL)


# ---------------------------------------------------------------------------
# A third opinion: PyTorch (autograd for the backward passes)
# ---------------------------------------------------------------------------

@settings(deadline=None, max_examples=25)
@given(seed=seeds, transpose=st.booleans(), k=st.integers(1, 3), s=st.integers(1, 3),
       d=st.integers(1, 2), p=st.integers(0, 2), groups=st.sampled_from([1, 2]))
def test_reference_matches_torch(seed, transpose, k, s, d, p, groups):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    n = max(1, d * (k - 1) + 1 - 2 * p) + 2
    x = rng.normal(size=(2, 2 * groups, n, n + 1))
    if transpose:
        op = int(rng.integers(0, max(s, d)))
        uncropped = (n - 1) * s + d * (k - 1) + 1 + op
        assume(uncropped > 2 * p)
        w = rng.normal(size=(2 * groups, 3, k, k))
        kwargs = dict(stride=s, padding=p, output_padding=op, groups=groups, dilation=d)
        fwd, bwd, torch_fwd = R.conv_transpose2d, R.conv_transpose2d_backward, torch.nn.functional.conv_transpose2d
        b = rng.normal(size=3 * groups)
    else:
        w = rng.normal(size=(3 * groups, 2, k, k))
        kwargs = dict(stride=s, padding=p, dilation=d, groups=groups)
        fwd, bwd, torch_fwd = R.conv2d, R.conv2d_backward, torch.nn.functional.conv2d
        b = rng.normal(size=3 * groups)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    tz = torch_fwd(tx, tw, tb, **kwargs)
    z = fwd(x, w, b, **kwargs)
    np.testing.assert_allclose(z, tz.detach().numpy(), **TOL)
    dy = rng.normal(size=z.shape)
    tz.backward(torch.tensor(dy))
    for mine, theirs in zip(bwd(dy, x, w, **kwargs), (tx.grad, tw.grad, tb.grad)):
        np.testing.assert_allclose(mine, theirs.numpy(), **TOL)


@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 2, 1), (3, 1, 1), (2, 1, 1)])
def test_reference_pools_match_torch(kernel, stride, padding):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(kernel * 10 + padding)
    x = rng.normal(size=(2, 3, 7, 6))
    tx = torch.tensor(x)
    tf = torch.nn.functional
    np.testing.assert_allclose(R.max_pool2d(x, kernel, stride, padding),
                               tf.max_pool2d(tx, kernel, stride, padding).numpy(), **TOL)
    np.testing.assert_allclose(R.avg_pool2d(x, kernel, stride, padding),
                               tf.avg_pool2d(tx, kernel, stride, padding, count_include_pad=True).numpy(), **TOL)
    # PyTorch's lp_pool2d sums x^p instead of averaging |x|^p: for x >= 0 it is K^(2/p) times ours
    # (K^2 elements per pool).
    ax = np.abs(x)
    np.testing.assert_allclose(R.lp_pool2d(ax, 3, kernel, stride) * (kernel * kernel) ** (1 / 3),
                               tf.lp_pool2d(torch.tensor(ax), 3, kernel, stride).numpy(), **TOL)


# ---------------------------------------------------------------------------
# The reference is an independent oracle, and says when it is misused
# ---------------------------------------------------------------------------

def test_reference_does_not_use_functional():
    tree = ast.parse(inspect.getsource(R))
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [f"{node.module}.{alias.name}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                 for alias in node.names]
    assert imported, "found no imports at all: the check is not looking at the module"
    assert not [name for name in imported if "functional" in name or "_im2col" in name]


@pytest.mark.parametrize("call, match", [
    (lambda: R.conv2d(np.ones((1, 3, 4, 4)), np.ones((2, 2, 2, 2))), "w.shape"),
    (lambda: R.conv2d(np.ones((1, 4, 4, 4)), np.ones((3, 2, 2, 2)), groups=2), "groups"),
    (lambda: R.conv2d(np.ones((1, 1, 4, 4)), np.ones((2, 1, 2, 2)), b=np.ones(3)), "b must"),
    (lambda: R.conv2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3))), "does not fit"),
    (lambda: R.conv1d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 2))), "3-D"),
    (lambda: R.conv2d_backward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 4, 4)), np.ones((1, 1, 2, 2))), "dy"),
    (lambda: R.conv_transpose2d(np.ones((1, 3, 2, 2)), np.ones((2, 1, 2, 2))), "channels"),
    (lambda: R.max_pool2d(np.ones((1, 1, 4, 4)), 2, 2, 2), "no input element"),
    (lambda: R.avg_pool1d_backward(np.ones((1, 1, 3)), np.ones((1, 1, 4)), 2), "dy"),
    (lambda: R.upsample_backward(np.ones((1, 1, 4)), np.ones((1, 1, 2)), 2), "dy"),
    (lambda: R.downsample_backward(np.ones((1, 1, 3)), np.ones((1, 1, 4)), 2), "dy"),
])
def test_reference_rejects_bad_shapes(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_reference_doctests():
    result = doctest.testmod(R, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 10
    assert result.failed == 0
