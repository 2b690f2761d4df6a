"""cnnedu.nn.TransformInvariantConv2d and its transforms.

Oracles: central differences (:mod:`cnnedu.gradcheck`) for every gradient; a
per-transform loop of :func:`cnnedu.functional.conv2d` with filters turned by
``numpy.rot90``/slicing; PyTorch (``conv2d`` with ``torch.rot90``/``torch.flip``
weights, ``torch.max``, autograd); a bilinear interpolation written out by hand
for the rotations that are not multiples of 90 degrees; and the symmetry the
layer is built for (a rotated input gives rotated maps).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnedu import functional as F
from cnnedu import nn, sizes
from cnnedu.gradcheck import gradcheck
from cnnedu.nn.invariant import (DIHEDRAL_TRANSFORMS, TRANSFORM_PRESETS, tap_permutation, transform_kernel,
                                 transform_matrix)

F64 = np.float64
TI = nn.TransformInvariantConv2d

# The eight symmetries of the square written with numpy only (rows, columns = last two axes).
NUMPY_TRANSFORMS = {
    "identity": lambda a: a,
    "rot90": lambda a: np.rot90(a, 1, axes=(-2, -1)),
    "rot180": lambda a: a[..., ::-1, ::-1],
    "rot270": lambda a: np.rot90(a, -1, axes=(-2, -1)),
    "flip": lambda a: a[..., ::-1],
    "flip_ud": lambda a: a[..., ::-1, :],
    "transpose": lambda a: np.swapaxes(a, -1, -2),
    "antitranspose": lambda a: np.rot90(np.swapaxes(a, -1, -2), 2, axes=(-2, -1)),
}


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def rot(a, k=1):
    """Rotate the maps of an (N, C, H, W) batch by k quarter turns, counter-clockwise."""
    return np.rot90(a, k, axes=(-2, -1))


def loop_oracle(x, w, b, transforms, pool, **geometry):
    """One conv2d per transform of the filter (numpy transforms), then max/mean over transforms."""
    maps = np.stack([F.conv2d(x, np.ascontiguousarray(NUMPY_TRANSFORMS[t](w)), None, **geometry)
                     for t in transforms], axis=2)
    if pool == "max":
        z = maps.max(axis=2)
    elif pool == "mean":
        z = maps.mean(axis=2)
    else:
        n, o, t, h, ww = maps.shape
        z = maps.reshape(n, o * t, h, ww)
        b = None if b is None else np.repeat(b, t)
    return z if b is None else z + b.reshape(1, -1, 1, 1)


def check_gradients(layer, x, seed=0, tol=1e-6):
    """Input, weight and bias gradients of ``layer`` at ``x`` against central differences."""
    named = list(layer.named_parameters())
    originals = [p.data for _, p in named]
    y = layer(x)
    dy = randn(*y.shape, seed=seed)
    layer.zero_grad()
    dx = layer.backward(dy)
    grads = [dx] + [p.grad.copy() for _, p in named]

    def f(x, *datas):
        for (_, p), d in zip(named, datas):
            p.data = d
        return layer(x)

    try:
        result = gradcheck(f, (x, *originals), grads, dy=dy, tol=tol)
    finally:
        for (_, p), d in zip(named, originals):
            p.data = d
    assert result, {(["x"] + [n for n, _ in named])[i]: e for i, e in result.errors.items()}
    return result


# ---------------------------------------------------------------------------
# The transforms of a filter
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", DIHEDRAL_TRANSFORMS)
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_exact_transforms_are_permutations_matching_numpy(name, k):
    m = transform_matrix(k, name)
    assert m.shape == (k * k, k * k)
    assert set(np.unique(m)) <= {0.0, 1.0}
    assert (m.sum(axis=0) == 1).all() and (m.sum(axis=1) == 1).all()
    w = randn(2, 3, k, k)
    expected = NUMPY_TRANSFORMS[name](w)
    np.testing.assert_array_equal(transform_kernel(w, name), expected)
    p = tap_permutation(k, name)
    np.testing.assert_array_equal(w.reshape(2, 3, -1)[..., p], expected)


def test_tap_permutation_by_hand():
    # 3x3 taps numbered row by row; a quarter turn counter-clockwise brings the right column up top.
    np.testing.assert_array_equal(tap_permutation(3, "rot90"), [[2, 5, 8], [1, 4, 7], [0, 3, 6]])
    np.testing.assert_array_equal(tap_permutation(3, "flip"), [[2, 1, 0], [5, 4, 3], [8, 7, 6]])
    np.testing.assert_array_equal(tap_permutation(2, "antitranspose"), [[3, 1], [2, 0]])
    np.testing.assert_array_equal(tap_permutation((2, 3), "rot180"), [[5, 4, 3], [2, 1, 0]])


def test_dihedral_group_is_closed():
    """Composing any two of the eight symmetries gives one of the eight (so max over them is invariant)."""
    k = 3
    mats = {n: transform_matrix(k, n) for n in DIHEDRAL_TRANSFORMS}
    as_set = {m.tobytes() for m in mats.values()}
    assert len(as_set) == 8
    for a in mats.values():
        for b in mats.values():
            assert (a @ b).tobytes() in as_set
    rotations = [mats[n] for n in TRANSFORM_PRESETS["rotations"]]
    for a in rotations:
        assert {(a @ b).tobytes() for b in rotations} == {b.tobytes() for b in rotations}


def bilinear_rotation_matrix(k: int, degrees: float) -> np.ndarray:
    """M of a rotation by ``degrees`` (counter-clockwise as displayed) written out by hand.

    Tap q of the copy reads the filter at p = c + R(-θ)(q - c) (in (row, column)
    coordinates with rows pointing down), interpolated bilinearly, zero outside.
    """
    th = np.deg2rad(degrees)
    c = (k - 1) / 2
    m = np.zeros((k * k, k * k))
    for qi in range(k):
        for qj in range(k):
            dy, dx = qi - c, qj - c
            # inverse of R(θ) = [[cos, -sin], [sin, cos]] in (y, x)
            py = c + np.cos(th) * dy + np.sin(th) * dx
            px = c - np.sin(th) * dy + np.cos(th) * dx
            y0, x0 = int(np.floor(py + 1e-12)), int(np.floor(px + 1e-12))
            for yy in (y0, y0 + 1):
                for xx in (x0, x0 + 1):
                    wy, wx = 1 - abs(py - yy), 1 - abs(px - xx)
                    if 0 <= yy < k and 0 <= xx < k and wy > 1e-12 and wx > 1e-12:
                        m[qi * k + qj, yy * k + xx] += wy * wx
    return m


def test_hand_written_bilinear_oracle_agrees_with_the_exact_quarter_turn():
    for k in (2, 3, 5):
        np.testing.assert_allclose(bilinear_rotation_matrix(k, 90), transform_matrix(k, "rot90"), atol=1e-12)
        np.testing.assert_allclose(bilinear_rotation_matrix(k, 180), transform_matrix(k, "rot180"), atol=1e-12)


@pytest.mark.parametrize("k, angle", [(3, 45), (3, 30), (5, 45), (5, 22.5), (4, 60), (3, -45)])
def test_interpolated_rotation_matrix(k, angle):
    m = transform_matrix(k, f"rot{angle}")
    np.testing.assert_allclose(m, bilinear_rotation_matrix(k, angle), atol=1e-9)
    assert not set(np.unique(m)) <= {0.0, 1.0}           # not a permutation: taps are mixed


def test_rot45_of_a_3x3_filter_is_not_a_permutation():
    m = transform_matrix(3, "rot45")
    corners = [0, 2, 6, 8]
    # a corner tap, sqrt(2) from the centre, lands between taps: half of it is interpolated away
    np.testing.assert_allclose(m[:, corners].sum(axis=0), 0.5, atol=1e-12)
    assert m[4, 4] == pytest.approx(1.0)
    assert 7 < m.sum() < 8                       # of the 9 taps' weight, more than one is lost
    # two turns of 45 degrees are not one of 90: the interpolated set of copies is not closed
    assert np.abs(m @ m - transform_matrix(3, "rot90")).max() > 0.1
    with pytest.raises(ValueError, match="tap_permutation: rot45 is not a permutation"):
        tap_permutation(3, "rot45")


def test_transform_names_are_canonical():
    layer = TI(1, 1, 3, transforms=["rot0", "rot-90", "rot450", "rot45.0", "flip"], rng=0)
    assert layer.transforms == ("identity", "rot270", "rot90", "rot45", "flip")
    assert TI(1, 1, 3, transforms="dihedral", rng=0).transforms == DIHEDRAL_TRANSFORMS


# ---------------------------------------------------------------------------
# Forward: against the per-transform loop, Conv2d, and PyTorch
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("transforms", ["rotations", "flips", "dihedral", ("rot180", "flip_ud")])
@pytest.mark.parametrize("pool", ["max", "mean", None])
def test_forward_matches_the_loop_over_transforms(transforms, pool):
    layer = TI(2, 3, 3, padding=1, transforms=transforms, pool=pool, dtype=F64, rng=0)
    layer.bias.data[:] = randn(3, seed=5)
    x = randn(4, 2, 7, 7, seed=1)
    expected = loop_oracle(x, layer.weight.data, layer.bias.data, layer.transforms, pool, padding=1)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-12, atol=1e-12)


def test_identity_only_is_an_ordinary_conv2d():
    x = randn(3, 2, 8, 9, seed=2)
    ti = TI(2, 4, (3, 2), stride=(2, 1), padding=((1, 0), (0, 1)), transforms=("identity",), dtype=F64, rng=7)
    conv = nn.Conv2d(2, 4, (3, 2), stride=(2, 1), padding=((1, 0), (0, 1)), dtype=F64, rng=7)
    conv.bias.data[:] = ti.bias.data[:] = randn(4, seed=3)
    np.testing.assert_array_equal(ti.weight.data, conv.weight.data)   # same init, same rng
    np.testing.assert_allclose(ti(x), conv(x), rtol=1e-13)
    dy = randn(*conv(x).shape, seed=4)
    np.testing.assert_allclose(ti.backward(dy), conv.backward(dy), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(ti.weight.grad, conv.weight.grad, rtol=1e-12)
    np.testing.assert_allclose(ti.bias.grad, conv.bias.grad, rtol=1e-12)


def _torch_transform(w, name):
    torch = pytest.importorskip("torch")
    return {
        "identity": lambda: w,
        "rot90": lambda: torch.rot90(w, 1, dims=(-2, -1)),
        "rot180": lambda: torch.rot90(w, 2, dims=(-2, -1)),
        "rot270": lambda: torch.rot90(w, 3, dims=(-2, -1)),
        "flip": lambda: torch.flip(w, dims=(-1,)),
        "flip_ud": lambda: torch.flip(w, dims=(-2,)),
        "transpose": lambda: w.transpose(-1, -2),
        "antitranspose": lambda: torch.flip(w.transpose(-1, -2), dims=(-2, -1)),
    }[name]()


@pytest.mark.parametrize("transforms, pool, kwargs", [
    ("rotations", "max", dict(padding=1)),
    ("dihedral", "max", dict(stride=2, padding=2)),
    ("flips", "max", dict(kernel_size=(3, 2), dilation=(1, 2))),
    ("rotations", "mean", dict(dilation=2)),
    ("dihedral", None, dict(padding=1, stride=(1, 2))),
    (("rot270", "transpose", "flip_ud"), "max", dict(kernel_size=4, padding=1)),
])
def test_against_pytorch(transforms, pool, kwargs):
    torch = pytest.importorskip("torch")
    kwargs = {"kernel_size": 3, **kwargs}
    layer = TI(3, 4, transforms=transforms, pool=pool, dtype=F64, rng=0, **kwargs)
    layer.bias.data[:] = randn(4, seed=9)
    x = randn(2, 3, 9, 10, seed=1)

    w = torch.tensor(layer.weight.data, requires_grad=True)
    b = torch.tensor(layer.bias.data, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    geometry = dict(stride=layer.stride, padding=layer.padding, dilation=layer.dilation)
    maps = torch.stack([torch.nn.functional.conv2d(xt, _torch_transform(w, t), None, **geometry)
                        for t in layer.transforms], dim=2)                  # (N, O, T, H, W)
    if pool == "max":
        zt = maps.max(dim=2).values + b.view(1, -1, 1, 1)
    elif pool == "mean":
        zt = maps.mean(dim=2) + b.view(1, -1, 1, 1)
    else:
        zt = (maps + b.view(1, -1, 1, 1, 1)).flatten(1, 2)

    z = layer(x)
    np.testing.assert_allclose(z, zt.detach().numpy(), rtol=1e-10, atol=1e-12)
    dy = randn(*z.shape, seed=2)
    zt.backward(torch.tensor(dy))
    layer.zero_grad()
    dx = layer.backward(dy)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad, w.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_float32_by_default():
    layer = TI(1, 2, 3, rng=0)
    assert layer.weight.dtype == np.float32
    z = layer(randn(2, 1, 5, 5))
    assert z.dtype == np.float32
    assert layer.backward(np.ones_like(z)).dtype == np.float32
    assert layer.weight.grad.dtype == np.float32


# ---------------------------------------------------------------------------
# Backward: central differences
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("transforms", ["rotations", "flips", "dihedral", ("rot45", "identity", "rot-30")])
@pytest.mark.parametrize("pool", ["max", "mean", None])
def test_gradcheck(transforms, pool):
    layer = TI(2, 3, 3, padding=1, transforms=transforms, pool=pool, dtype=F64, rng=1)
    layer.bias.data[:] = randn(3, seed=6)
    check_gradients(layer, randn(2, 2, 6, 5, seed=3))


@pytest.mark.parametrize("kwargs", [
    dict(stride=2), dict(padding="same"), dict(dilation=2, padding=2), dict(kernel_size=4, stride=(2, 1)),
    dict(kernel_size=(3, 2), transforms="flips"), dict(bias=False),
])
def test_gradcheck_geometries(kwargs):
    kwargs = {"kernel_size": 3, **kwargs}
    layer = TI(2, 2, dtype=F64, rng=2, **kwargs)
    check_gradients(layer, randn(2, 2, 8, 7, seed=4))


def test_weight_gradient_collects_the_copies_through_the_tap_correspondences():
    """dL/dw = sum_t (dL/dW_t read back through the permutation), computed by hand for the winners."""
    layer = TI(1, 1, 3, padding=1, transforms="rotations", dtype=F64, rng=3, bias=False)
    x = randn(1, 1, 5, 5, seed=8)
    z = layer(x)
    dy = randn(*z.shape, seed=9)
    layer.zero_grad()
    layer.backward(dy)
    w = layer.weight.data
    maps = np.stack([F.conv2d(x, np.ascontiguousarray(NUMPY_TRANSFORMS[t](w)), padding=1)
                     for t in layer.transforms], axis=2)[:, :, :, :, :]
    winner = maps.argmax(axis=2)
    expected = np.zeros(9)
    for t, name in enumerate(layer.transforms):
        dz_t = np.where(winner == t, dy, 0.0)
        _, dw_t, _ = F.conv2d_backward(dz_t, x, NUMPY_TRANSFORMS[name](w).copy(), padding=1)
        p = tap_permutation(3, name).ravel()
        np.add.at(expected, p, dw_t.ravel())        # tap i of the copy is tap p[i] of w
    np.testing.assert_allclose(layer.weight.grad.ravel(), expected, rtol=1e-12, atol=1e-13)


def test_gradients_accumulate():
    layer = TI(1, 2, 3, dtype=F64, rng=0)
    x = randn(2, 1, 6, 6)
    dy = randn(2, 2, 4, 4, seed=1)
    layer(x)
    layer.backward(dy)
    once = layer.weight.grad.copy(), layer.bias.grad.copy()
    layer(x)
    layer.backward(dy)
    np.testing.assert_allclose(layer.weight.grad, 2 * once[0])
    np.testing.assert_allclose(layer.bias.grad, 2 * once[1])


# ---------------------------------------------------------------------------
# What the layer is for: a rotated input gives rotated maps
# ---------------------------------------------------------------------------

def _maps_by_transform(layer, x):
    """pool=None view: (N, O, T, H, W)."""
    z = layer(x)
    n, _, h, w = z.shape
    return z.reshape(n, layer.out_channels, layer.num_transforms, h, w)


@pytest.mark.parametrize("k, padding", [(3, 1), (3, 0), (5, 2), (4, 0)])
def test_rotating_the_input_rotates_and_permutes_the_maps(k, padding):
    layer = TI(2, 3, k, padding=padding, transforms="rotations", pool=None, dtype=F64, rng=4)
    x = randn(2, 2, 9, 9, seed=5)
    maps, maps_rot = _maps_by_transform(layer, x), _maps_by_transform(layer, rot(x))
    # z_{R T}(R x) = R z_T(x): map t + 1 (one more quarter turn) of the rotated input
    for t in range(4):
        np.testing.assert_allclose(maps_rot[:, :, (t + 1) % 4], rot(maps[:, :, t]), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("pool", ["max", "mean"])
@pytest.mark.parametrize("turns", [1, 2, 3])
def test_pooled_map_rotates_with_the_input_and_its_global_max_is_invariant(pool, turns):
    layer = TI(1, 4, 3, padding=1, transforms="rotations", pool=pool, dtype=F64, rng=6)
    layer.bias.data[:] = randn(4, seed=1)
    x = randn(3, 1, 8, 8, seed=7)
    z, z_rot = layer(x), layer(rot(x, turns))
    np.testing.assert_allclose(z_rot, rot(z, turns), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(z_rot.max(axis=(2, 3)), z.max(axis=(2, 3)), rtol=1e-12)


def test_a_plain_convolution_is_not_rotation_equivariant():
    """The same check fails without the rotated copies (so the tests above can fail)."""
    layer = TI(1, 4, 3, padding=1, transforms=("identity",), dtype=F64, rng=6)
    x = randn(3, 1, 8, 8, seed=7)
    assert np.abs(layer(rot(x)) - rot(layer(x))).max() > 0.1
    assert np.abs(layer(rot(x)).max(axis=(2, 3)) - layer(x).max(axis=(2, 3))).max() > 0.01


def test_dihedral_layer_is_invariant_to_mirrors_too():
    layer = TI(2, 3, 3, padding=1, transforms="dihedral", dtype=F64, rng=8)
    x = randn(2, 2, 7, 7, seed=9)
    z = layer(x)
    np.testing.assert_allclose(layer(x[..., ::-1]), z[..., ::-1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer(np.swapaxes(x, -1, -2)), np.swapaxes(z, -1, -2), rtol=1e-10, atol=1e-12)
    # the rotations alone do not cover a mirror
    rotations = TI(2, 3, 3, padding=1, transforms="rotations", dtype=F64, rng=8)
    assert np.abs(rotations(x[..., ::-1]) - rotations(x)[..., ::-1]).max() > 0.01


def test_stride_that_tiles_the_input_keeps_the_symmetry():
    # 9 + 2 - 3 = 8 is a multiple of the stride 2: the sampled positions are symmetric
    layer = TI(1, 2, 3, stride=2, padding=1, dtype=F64, rng=0)
    x = randn(2, 1, 9, 9, seed=3)
    np.testing.assert_allclose(layer(rot(x)), rot(layer(x)), rtol=1e-10, atol=1e-12)
    # 8 + 2 - 3 = 7 is not: the last row/column of the map is sampled on one side only
    x8 = x[..., :8, :8]
    assert np.abs(layer(rot(x8)) - rot(layer(x8))).max() > 0.01


# ---------------------------------------------------------------------------
# Shapes and parameters, for any geometry (hypothesis)
# ---------------------------------------------------------------------------

@st.composite
def problems(draw):
    square = draw(st.booleans())
    kh = draw(st.integers(1, 4))
    kw = kh if square else draw(st.integers(1, 4))
    names = list(DIHEDRAL_TRANSFORMS) if kh == kw else ["identity", "rot180", "flip", "flip_ud"]
    transforms = draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dil = draw(st.integers(1, 2))
    dilation = (dil, dil)
    padding = draw(st.one_of(st.integers(0, 2), st.sampled_from(["same", "valid"])))
    h = draw(st.integers(dil * (kh - 1) + 1, 9))
    w = draw(st.integers(dil * (kw - 1) + 1, 9))
    return dict(in_channels=draw(st.integers(1, 3)), out_channels=draw(st.integers(1, 3)),
                kernel_size=(kh, kw), stride=stride, padding=padding, dilation=dilation,
                transforms=tuple(transforms), pool=draw(st.sampled_from(["max", "mean", None])),
                bias=draw(st.booleans())), (draw(st.integers(1, 3)), h, w)


@given(problems(), st.integers(0, 2**16))
def test_any_geometry(problem, seed):
    kwargs, (n, h, w) = problem
    layer = TI(dtype=F64, rng=seed, **kwargs)
    x = randn(n, kwargs["in_channels"], h, w, seed=seed)
    z = layer(x)
    oh = sizes.conv_output_size(h, kwargs["kernel_size"][0], kwargs["stride"][0], kwargs["padding"],
                                kwargs["dilation"][0])
    ow = sizes.conv_output_size(w, kwargs["kernel_size"][1], kwargs["stride"][1], kwargs["padding"],
                                kwargs["dilation"][1])
    t = len(kwargs["transforms"])
    assert z.shape == (n, kwargs["out_channels"] * (t if kwargs["pool"] is None else 1), oh, ow)
    b = None if layer.bias is None else layer.bias.data
    expected = loop_oracle(x, layer.weight.data, b, layer.transforms, kwargs["pool"], stride=kwargs["stride"],
                           padding=kwargs["padding"], dilation=kwargs["dilation"])
    np.testing.assert_allclose(z, expected, rtol=1e-11, atol=1e-12)
    assert sum(p.size for p in layer.parameters()) == sizes.conv_parameter_count(
        kwargs["in_channels"], kwargs["out_channels"], kwargs["kernel_size"], bias=kwargs["bias"])
    check_gradients(layer, x, seed=seed)


# ---------------------------------------------------------------------------
# Module conventions
# ---------------------------------------------------------------------------

def test_repr_describe_state_dict():
    layer = TI(1, 8, 3, padding=1, rng=0)
    assert repr(layer) == ("TransformInvariantConv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), "
                           "transforms='rotations')")
    assert layer.describe() == "TransformInvariantConv2d(1 -> 8, kernel 3x3, 4 transforms)"
    other = TI(2, 4, 3, transforms=("identity", "rot45"), pool="mean", bias=False, dtype=F64, rng=0)
    assert repr(other) == ("TransformInvariantConv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), bias=False, "
                           "dtype=float64, transforms=('identity', 'rot45'), pool='mean')")
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert layer.expanded_weight().shape == (8, 4, 1, 3, 3)
    assert layer.matrices.shape == (4, 9, 9)


def test_init_is_conv2d_init_and_seeded():
    a, b = TI(3, 5, 3, rng=11), nn.Conv2d(3, 5, 3, rng=11)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(TI(3, 5, 3, rng=11).weight.data, a.weight.data)
    assert not np.array_equal(TI(3, 5, 3, rng=12).weight.data, a.weight.data)


def test_train_eval_change_nothing_and_sequential_works():
    net = nn.Sequential(TI(1, 4, 3, padding=1, rng=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(4 * 4 * 4, 3, rng=0))
    x = randn(2, 1, 8, 8)
    y = net(x)
    np.testing.assert_array_equal(net.eval()(x), y)
    assert net.train()(x).shape == (2, 3)
    assert net.backward(np.ones((2, 3))).shape == x.shape


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------

def raises(exc, *fragments):
    return pytest.raises(exc, match=".*".join(re.escape(f) for f in fragments))


@pytest.mark.parametrize("kwargs, exc, fragments", [
    (dict(transforms="rotation"), ValueError, ("transforms must be one of", "'rotation'")),
    (dict(transforms=()), ValueError, ("at least one transform",)),
    (dict(transforms=["rot90", "spin"]), ValueError, ("unknown transform 'spin'", "rot<degrees>")),
    (dict(transforms=["identity", "rot360"]), ValueError, ("must be distinct", "identity more than once")),
    (dict(transforms=[90]), TypeError, ("a transform must be a string", "90")),
    (dict(transforms={"rot90"}), TypeError, ("transforms must be a preset name",)),
    (dict(kernel_size=(3, 2)), ValueError, ("rot90, rot270 turn rows into columns", "square kernel",
                                            "(3, 2)")),
    (dict(dilation=(1, 2)), ValueError, ("square kernel (and equal dilations)", "dilation (1, 2)")),
    (dict(transforms=["rot45"], kernel_size=(3, 4)), ValueError, ("rot45 turn rows into columns",)),
    (dict(pool="min"), ValueError, ("pool must be 'max', 'mean' or None", "'min'")),
    (dict(kernel_size=0), ValueError, ("kernel_size must be >= 1",)),
    (dict(in_channels=0), ValueError, ("in_channels must be >= 1",)),
    (dict(bias="yes"), TypeError, ("bias must be True or False",)),
    (dict(dtype=np.int32), ValueError, ("dtype must be np.float32 or np.float64",)),
    (dict(rng="seed"), TypeError, ("rng must be",)),
])
def test_bad_arguments(kwargs, exc, fragments):
    kwargs = {"in_channels": 1, "out_channels": 2, "kernel_size": 3, **kwargs}
    with raises(exc, "TransformInvariantConv2d", *fragments):
        TI(**kwargs)


def test_flips_allow_rectangular_kernels():
    assert TI(1, 1, (3, 2), transforms="flips", rng=0)(np.zeros((1, 1, 5, 5))).shape == (1, 1, 3, 4)


def test_bad_inputs_and_call_order():
    layer = TI(3, 4, 5, rng=0)
    with raises(ValueError, "TransformInvariantConv2d(3 -> 4, kernel 5x5, 4 transforms) expects 3 input "
                "channels, got 1"):
        layer(np.zeros((2, 1, 8, 8)))
    with raises(ValueError, "expects a 4-D input (N, C, H, W)", "x[None]"):
        layer(np.zeros((3, 8, 8)))
    with raises(ValueError, "TransformInvariantConv2d(3 -> 4, kernel 5x5, 4 transforms) got input of shape "
                "(1, 3, 4, 4)"):
        layer(np.zeros((1, 3, 4, 4)))
    with raises(TypeError, "must be a real numeric array"):
        layer(np.array([["a"]]))
    fresh = TI(1, 1, 3, rng=0)
    with raises(RuntimeError, "backward() called before forward()"):
        fresh.backward(np.zeros((1, 1, 3, 3)))
    fresh(np.zeros((1, 1, 5, 5)))
    with raises(ValueError, "dy must have the shape of the forward output (1, 1, 3, 3), got (1, 1, 3, 4)"):
        fresh.backward(np.zeros((1, 1, 3, 4)))


@pytest.mark.parametrize("call, exc, fragments", [
    (lambda: transform_matrix(3, "twist"), ValueError, ("transform_matrix: unknown transform 'twist'",)),
    (lambda: transform_matrix((3, 2), "rot90"), ValueError, ("transform_matrix: transform(s) rot90",)),
    (lambda: transform_matrix(0, "flip"), ValueError, ("transform_matrix: kernel_size must be >= 1",)),
    (lambda: transform_kernel([1, 2, 3], "flip"), ValueError, ("transform_kernel: w must have at least 2",)),
    (lambda: transform_kernel(np.zeros((2, 0)), "flip"), ValueError, ("at least 1x1",)),
    (lambda: transform_kernel("abc", "flip"), TypeError, ("transform_kernel: w must be a real numeric",)),
    (lambda: tap_permutation(3, "rot30"), ValueError, ("tap_permutation: rot30 is not a permutation",)),
    (lambda: tap_permutation(3, None), TypeError, ("tap_permutation: a transform must be a string",)),
])
def test_bad_helper_arguments(call, exc, fragments):
    with raises(exc, *fragments):
        call()


@pytest.mark.parametrize("pool, channels", [("max", 3), (None, 12)])
def test_summary_counts_every_copy(pool, channels):
    """summary(): the weights of one convolution, T times its multiply-accumulates."""
    from cnnedu import models, sizes

    layer = nn.TransformInvariantConv2d(2, 3, 3, padding=1, transforms="rotations", pool=pool, rng=0)
    row = models.summary(layer, (2, 6, 5)).rows[-1]
    assert row.output_shape == (channels, 6, 5)
    assert row.params == sizes.conv_parameter_count(2, 3, 3)
    assert row.macs == 4 * sizes.conv_macs(2, 3, 3, (6, 5))
