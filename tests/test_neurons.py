"""cnnedu.neurons: receptive fields by the formula and by back-propagation; gradient ascent on the input.

Oracles: the support of the back-propagated gradient (with positive weights,
positive inputs and mean pooling every path is open, so the gradient reaches
every sample the formula says the unit sees); PyTorch's autograd and central
differences for the input gradient; the closed-form maximiser of a linear unit
under box constraints for gradient ascent.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cnnedu import nn, neurons, sizes
from cnnedu.gradcheck import numerical_gradient, relative_error
from cnnedu.neurons import (gradient_support, input_gradient, maximize_activation, receptive_field_box,
                            receptive_fields)


# --------------------------------------------------------------------------- stacks drawn by hypothesis

layer_specs = st.lists(
    st.one_of(
        st.tuples(st.just("conv"), st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2)),
        st.tuples(st.just("pool"), st.integers(1, 3), st.integers(1, 3), st.just(1), st.just(0)),
    ),
    min_size=1, max_size=4)


def build(specs, dims, *, pool="avg", positive=True, seed=0):
    """A Sequential of the specs (1-D or 2-D); with ``positive``, every weight > 0."""
    rng = np.random.default_rng(seed)
    conv = nn.Conv1d if dims == 1 else nn.Conv2d
    pools = {1: {"avg": nn.AvgPool1d, "max": nn.MaxPool1d}, 2: {"avg": nn.AvgPool2d, "max": nn.MaxPool2d}}
    layers, c = [], 1
    for kind, k, s, d, p in specs:
        if kind == "conv":
            layer = conv(c, 2, k, stride=s, dilation=d, padding=p, dtype=np.float64, rng=rng)
            if positive:
                layer.weight.data[...] = np.abs(layer.weight.data) + 0.1
                layer.bias.data[...] = 0.1
            layers += [layer, nn.ReLU()]
            c = 2
        else:
            layers.append(pools[dims][pool](k, stride=s))
    return nn.Sequential(*layers)


def input_size_for(specs, extra):
    r, _ = sizes.receptive_field([(k, s, d) for _, k, s, d, _ in specs])
    return r + extra


@given(layer_specs, st.integers(0, 6), st.sampled_from([1, 2]), st.data())
def test_gradient_support_is_the_receptive_field(specs, extra, dims, data):
    n = input_size_for(specs, extra)
    assume(n <= 80)
    net = build(specs, dims)
    shape = (1,) + (n,) * dims
    out = net(np.zeros((1,) + shape))
    position = tuple(data.draw(st.integers(0, m - 1)) for m in out.shape[2:])
    unit = (out.shape[1] - 1,) + position
    x = np.random.default_rng(1).uniform(0.5, 1.5, size=(1,) + shape)
    support = gradient_support(input_gradient(net, x, layer=-1, unit=unit))
    box = receptive_field_box(net, shape, layer=-1, unit=unit)
    fields = receptive_fields(net, shape)[-1]
    # unclipped extent of the field by the formula, from sizes.receptive_field
    r, j = sizes.receptive_field([(k, s, d) for _, k, s, d, _ in specs])
    assert fields.size == (r,) * dims and fields.jump == (j,) * dims
    inside = all(b + p * j >= 0 and b + p * j + r - 1 <= n - 1 for p, b in zip(position, fields.start))
    if all(spec[4] == 0 for spec in specs):                   # no padding: the lecture's p j .. p j + r - 1
        assert inside and box == tuple((p * j, p * j + r - 1) for p in position)
    if inside:                                                # the gradient spans all of the field
        assert support == tuple((b + p * j, b + p * j + r - 1) for p, b in zip(position, fields.start))
    elif support is not None:                                 # padding: the gradient stays inside the box
        assert box is not None
        for (lo, hi), (first, last) in zip(box, support):
            assert lo <= first <= last <= hi
    # (support None: every path from the unit ends in padding at some layer)


@given(layer_specs, st.integers(0, 6), st.integers(0, 1000))
def test_with_signed_weights_and_max_pooling_the_support_stays_inside(specs, extra, seed):
    n = input_size_for(specs, extra)
    assume(n <= 60)
    net = build(specs, 2, pool="max", positive=False, seed=seed)
    x = np.random.default_rng(seed).standard_normal((1, 1, n, n))
    box = receptive_field_box(net, (1, n, n), layer=-1, unit=0)     # a whole channel
    support = gradient_support(input_gradient(net, x, layer=-1, unit=0))
    if support is not None:                                           # every ReLU may be off
        for (lo, hi), (first, last) in zip(box, support):
            assert lo <= first <= last <= hi


def lenet_like(rng=0):
    rng = np.random.default_rng(rng)
    return nn.Sequential(nn.Conv2d(1, 6, 5, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(16 * 5 * 5, 10, rng=rng))


def test_lenet_table_by_hand():
    rows = receptive_fields(lenet_like(), (1, 32, 32))
    assert [r.layer for r in rows] == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d",
                                       "Flatten", "Linear"]
    assert [r.size[0] for r in rows] == [5, 5, 6, 14, 14, 16, 32, 32]
    assert [r.jump[0] for r in rows[:6]] == [1, 1, 2, 2, 2, 4]
    assert rows[5].output_shape == (16, 5, 5) and rows[-1].output_shape == (10,)
    assert all(r.start == (0, 0) for r in rows)
    # a fully connected unit sees the whole input
    assert receptive_field_box(lenet_like(), (1, 32, 32), layer=-1, unit=3) == ((0, 31), (0, 31))


def test_padding_moves_the_field():
    net = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.Conv2d(1, 1, 3, stride=2, padding="same"))
    rows = receptive_fields(net, (1, 9, 9))
    lo, _ = sizes.same_padding(9, 3, 2)
    assert rows[0].start == (-1, -1) and rows[1].start == (-1 - lo, -1 - lo)
    assert rows[1].size == (5, 5) and rows[1].jump == (2, 2)
    assert receptive_field_box(net, (1, 9, 9), 1, (0, 0, 0)) == ((0, 2), (0, 2))      # cut by the padding
    assert receptive_field_box(net, (1, 9, 9), 1, (0, 2, 3)) == ((2, 6), (4, 8))


def test_global_pooling_and_nested_stacks():
    from cnnedu.models import AdaptiveAvgPool2d

    net = nn.Sequential(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()), nn.MaxPool2d(2), AdaptiveAvgPool2d(1),
                        nn.Flatten(), nn.Linear(2, 3))
    rows = receptive_fields(net, (1, 12, 12))
    assert [r.size for r in rows] == [(3, 3), (4, 4), (12, 12), (12, 12), (12, 12)]


def test_a_tdnn_sees_samples():
    tdnn = nn.Sequential(nn.Conv1d(1, 4, 5), nn.ReLU(), nn.Conv1d(4, 4, 5, dilation=2), nn.ReLU(),
                         nn.Conv1d(4, 4, 5, dilation=4))
    rows = receptive_fields(tdnn, (1, 40))
    assert [r.size for r in rows] == [(5,), (5,), (13,), (13,), (29,)]
    assert receptive_field_box(tdnn, (1, 40), unit=(0, 3)) == ((3, 31),)


# --------------------------------------------------------------------------- the input gradient


def test_input_gradient_matches_pytorch():
    torch = pytest.importorskip("torch")
    from cnnedu.interop import to_torch

    net = lenet_like(3)
    x = np.random.default_rng(4).uniform(size=(1, 1, 32, 32)).astype(np.float32)
    tnet = to_torch(net).double()
    for layer, unit in [(3, (5, 4, 6)), (4, 11), (7, (2,)), (-1, 9)]:
        tx = torch.from_numpy(x.astype(np.float64)).requires_grad_()
        out = tnet[:layer % len(net) + 1](tx)
        target = out[(0,) + tuple(unit)] if isinstance(unit, tuple) else out[0, unit].mean()
        target.backward()
        g = input_gradient(net, x, layer=layer, unit=unit)
        assert g.shape == x.shape
        assert relative_error(g, tx.grad.numpy()) < 1e-5, (layer, unit)


def test_input_gradient_matches_central_differences():
    rng = np.random.default_rng(5)
    net = nn.Sequential(nn.Conv2d(1, 3, 3, dtype=np.float64, rng=rng), nn.Tanh(), nn.AvgPool2d(2),
                        nn.Conv2d(3, 2, 2, dtype=np.float64, rng=rng))
    x = rng.standard_normal((1, 1, 8, 8))
    for unit in [(1, 1, 0), 0]:
        def f(x, unit=unit):
            out = net(x)
            return out[(0,) + unit] if isinstance(unit, tuple) else out[0, unit].mean()
        assert relative_error(input_gradient(net, x, unit=unit), numerical_gradient(f, x)) < 1e-7


def test_input_gradient_leaves_the_model_as_it_was():
    net = nn.Sequential(nn.Conv2d(1, 2, 3, rng=0), nn.Dropout(0.5), nn.BatchNorm2d(2), nn.ReLU())
    for p in net.parameters():
        p.grad[...] = 7.0
    state = net.state_dict()
    net.train()
    x = np.random.default_rng(0).standard_normal((1, 1, 6, 6))
    g1 = input_gradient(net, x, layer="3", unit=(1, 2, 2))
    g2 = input_gradient(net, x, layer=-1, unit=(1, 2, 2))       # eval mode: dropout off, so the same
    assert np.array_equal(g1, g2) and net.training
    assert all((p.grad == 7.0).all() for p in net.parameters())
    assert all(np.array_equal(v, net.state_dict()[k]) for k, v in state.items())   # running stats kept


def test_gradient_support():
    assert gradient_support(np.zeros((1, 2, 4, 4))) is None
    g = np.zeros((1, 2, 6, 7))
    g[0, 0, 1, 2] = 1e-3
    g[0, 1, 4, 5] = -2.0
    assert gradient_support(g) == ((1, 4), (2, 5))
    assert gradient_support(g, threshold=1e-2) == ((4, 4), (5, 5))
    assert gradient_support(np.array([0, 0, 3.0, 0, 1.0])) == ((2, 4),)
    with pytest.raises(ValueError, match="grad must be"):
        gradient_support(np.zeros((1, 1, 1, 2, 2)))


# --------------------------------------------------------------------------- gradient ascent


def test_gradient_ascent_finds_the_maximiser_of_a_linear_unit():
    net = nn.Sequential(nn.Conv2d(1, 1, 3, dtype=np.float64, rng=0))
    w = net[0].weight.data[0, 0]
    result = maximize_activation(net, (1, 6, 6), layer=0, unit=(0, 2, 1), steps=60, lr=0.2, bounds=(0, 1),
                                 rng=1)
    x = result.x[0, 0]
    # inside the field (rows 2-4, cols 1-3): 1 where the weight is positive, 0 where it is negative
    assert np.array_equal(x[2:5, 1:4], (w > 0).astype(float))
    assert result.activations[-1] == pytest.approx(w[w > 0].sum() + net[0].bias.data[0])
    # outside the field the gradient is zero: the start is left as it was
    start = maximize_activation(net, (1, 6, 6), layer=0, unit=(0, 2, 1), steps=1, lr=1e-12, bounds=(0, 1),
                                rng=1).x[0, 0]
    outside = np.ones((6, 6), bool)
    outside[2:5, 1:4] = False
    assert np.allclose(x[outside], start[outside])


def test_gradient_ascent_increases_the_activation_of_a_deep_unit():
    net = lenet_like(2)
    result = maximize_activation(net, (1, 32, 32), layer=3, unit=(4, 5, 5), steps=40, lr=0.05,
                                 weight_decay=0.01, rng=0)
    acts = result.activations
    assert acts.shape == (41,) and acts[-1] > acts[0] + 1.0
    assert np.mean(np.diff(acts) > 0) > 0.8
    again = maximize_activation(net, (1, 32, 32), layer=3, unit=(4, 5, 5), steps=40, lr=0.05,
                                weight_decay=0.01, rng=0)
    assert np.array_equal(again.x, result.x)                     # seeded
    bounded = maximize_activation(net, (1, 32, 32), layer=3, unit=4, steps=10, bounds=(-1, 1), rng=0)
    assert bounded.x.min() >= -1 and bounded.x.max() <= 1
    assert bounded.activations[-1] > bounded.activations[0]


def test_blur_gives_smoother_inputs_that_still_excite_the_unit():
    net = lenet_like(2)
    kwargs = dict(layer=3, unit=(4, 5, 5), steps=40, lr=0.05, bounds=(0, 1), rng=0)
    plain = maximize_activation(net, (1, 32, 32), **kwargs)
    smooth = maximize_activation(net, (1, 32, 32), blur=1.0, **kwargs)

    def roughness(x):
        return np.abs(np.diff(x, axis=-1)).sum() + np.abs(np.diff(x, axis=-2)).sum()

    assert roughness(smooth.x) < 0.5 * roughness(plain.x)
    assert smooth.activations[-1] > smooth.activations[0] + 1.0
    with pytest.raises(ValueError, match="blur"):
        maximize_activation(net, (1, 32, 32), blur=-1)


# --------------------------------------------------------------------------- bad input


def test_bad_input_is_refused_with_a_clear_message():
    net = lenet_like()
    x = np.zeros((1, 1, 32, 32))
    with pytest.raises(TypeError, match="pass its .trunk"):
        input_gradient(nn.MultiHead(net, a=nn.Identity()), x)
    with pytest.raises(TypeError, match="nn.Sequential"):
        receptive_fields(nn.Conv2d(1, 1, 3), (1, 8, 8))
    with pytest.raises(ValueError, match=r"layer must be in \[-8, 8\)"):
        input_gradient(net, x, layer=8)
    with pytest.raises(ValueError, match="not a layer of the model"):
        input_gradient(net, x, layer="conv9")
    with pytest.raises(TypeError, match="layer must be"):
        input_gradient(net, x, layer=1.5)
    with pytest.raises(ValueError, match="give 3 indices"):
        input_gradient(net, x, layer=0, unit=(0, 1))
    with pytest.raises(ValueError, match="unit index 1 must be < 28"):
        input_gradient(net, x, layer=0, unit=(0, 28, 0))
    with pytest.raises(ValueError, match="must be < 6"):
        input_gradient(net, x, layer=0, unit=6)
    with pytest.raises(ValueError, match="batch of one example"):
        input_gradient(net, np.zeros((2, 1, 32, 32)))
    with pytest.raises(ValueError, match="NaN"):
        input_gradient(net, np.full((1, 1, 32, 32), np.nan))
    with pytest.raises(ValueError, match="input_shape"):
        receptive_fields(net, (32, 32, 1, 1))
    with pytest.raises(TypeError, match="input_shape"):
        receptive_fields(net, 32)
    with pytest.raises(ValueError, match="cannot take the output"):
        receptive_fields(net, (1, 28, 28))
    with pytest.raises(TypeError, match="cannot follow the receptive field through BasicBlock"):
        receptive_fields(nn.Sequential(nn.BasicBlock(1, 1, rng=0)), (1, 8, 8))
    with pytest.raises(ValueError, match="steps"):
        maximize_activation(net, (1, 32, 32), steps=0)
    with pytest.raises(ValueError, match="lr"):
        maximize_activation(net, (1, 32, 32), lr=0)
    with pytest.raises(ValueError, match="low < high"):
        maximize_activation(net, (1, 32, 32), bounds=(1, 0))
    with pytest.raises(TypeError, match="bounds"):
        maximize_activation(net, (1, 32, 32), bounds=1)
    with pytest.raises(TypeError, match="rng"):
        maximize_activation(net, (1, 32, 32), rng=None)


def test_docstring_examples_run():
    import doctest

    assert doctest.testmod(neurons).failed == 0
