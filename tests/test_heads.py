"""nn.MultiHead: one trunk, several heads; gradients against central differences and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

from cnnedu import nn
from cnnedu.gradcheck import gradcheck

F64 = np.float64


def small_net(dtype=F64, seed=0):
    rng = np.random.default_rng(seed)
    trunk = nn.Sequential(nn.Conv2d(1, 3, 3, dtype=dtype, rng=rng), nn.Tanh(), nn.MaxPool2d(2), nn.Flatten())
    return nn.MultiHead(trunk,
                        classes=nn.Linear(27, 5, dtype=dtype, rng=rng),
                        box=nn.Sequential(nn.Linear(27, 4, dtype=dtype, rng=rng), nn.Sigmoid()))


def test_forward_returns_one_output_per_head_in_order():
    net = small_net()
    x = np.random.default_rng(1).standard_normal((2, 1, 8, 8))
    out = net(x)
    assert isinstance(out, tuple) and [o.shape for o in out] == [(2, 5), (2, 4)]
    h = net.trunk(x)
    assert np.array_equal(out[0], net.classes(h)) and np.array_equal(out[1], net.box(h))
    assert net.head_names == ("classes", "box") and net.heads() == [net.classes, net.box]


def test_gradients_match_central_differences():
    net = small_net()
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 1, 8, 8))
    named = list(net.named_parameters())
    originals = [p.data for _, p in named]
    out = net(x)
    dys = tuple(rng.standard_normal(o.shape) for o in out)
    net.zero_grad()
    dx = net.backward(dys)
    grads = [dx] + [p.grad.copy() for _, p in named]

    def f(x, *datas):
        for (_, p), d in zip(named, datas):
            p.data = d
        return np.concatenate([o.ravel() for o in net(x)])

    dy = np.concatenate([d.ravel() for d in dys])
    try:
        result = gradcheck(f, (x, *originals), grads, dy=dy)
    finally:
        for (_, p), d in zip(named, originals):
            p.data = d
    assert result, result


def test_the_trunk_gets_the_sum_of_the_heads_derivatives():
    net = small_net()
    x = np.random.default_rng(3).standard_normal((2, 1, 8, 8))
    rng = np.random.default_rng(4)
    out = net(x)
    d1, d2 = rng.standard_normal(out[0].shape), rng.standard_normal(out[1].shape)
    both = net.backward((d1, d2))
    net(x)
    only1 = net.backward((d1, None))
    net(x)
    only2 = net.backward((None, d2))
    assert np.allclose(both, only1 + only2)                # the trunk is linear in its dy
    net(x)
    zero = net.backward((d1, np.zeros_like(d2)))
    assert np.allclose(zero, only1)


def test_matches_pytorch():
    torch = pytest.importorskip("torch")
    net = small_net()
    x = np.random.default_rng(5).standard_normal((3, 1, 8, 8))
    conv, lin1, lin2 = net.trunk[0], net.classes, net.box[0]
    tconv = torch.nn.Conv2d(1, 3, 3).double()
    tl1, tl2 = torch.nn.Linear(27, 5).double(), torch.nn.Linear(27, 4).double()
    with torch.no_grad():
        for t, m in ((tconv, conv), (tl1, lin1), (tl2, lin2)):
            t.weight.copy_(torch.from_numpy(m.weight.data))
            t.bias.copy_(torch.from_numpy(m.bias.data))
    tx = torch.from_numpy(x).requires_grad_()
    h = torch.nn.functional.max_pool2d(torch.tanh(tconv(tx)), 2).flatten(1)
    z, b = tl1(h), torch.sigmoid(tl2(h))
    labels = np.array([0, 3, 4])
    target = np.random.default_rng(6).uniform(size=(3, 4))
    total = torch.nn.functional.cross_entropy(z, torch.from_numpy(labels)) + \
        2.0 * torch.nn.functional.mse_loss(b, torch.from_numpy(target))
    total.backward()

    loss = nn.ClassBoxLoss(box_weight=2.0)
    logits, box = net(x)
    assert np.allclose(logits, z.detach().numpy()) and np.allclose(box, b.detach().numpy())
    assert loss(logits, labels, box, target) == pytest.approx(total.item())
    net.zero_grad()
    dx = net.backward(loss.backward())
    assert np.allclose(dx, tx.grad.numpy())
    assert np.allclose(conv.weight.grad, tconv.weight.grad.numpy())
    assert np.allclose(lin2.weight.grad, tl2.weight.grad.numpy())


def test_state_dict_keys_name_the_trunk_and_heads():
    keys = list(small_net().state_dict())
    assert keys == ["trunk.0.weight", "trunk.0.bias", "classes.weight", "classes.bias",
                    "box.0.weight", "box.0.bias"]
    assert "MultiHead(" in repr(small_net()) and "(box): Sequential(" in repr(small_net())


def test_bad_construction_and_backward():
    trunk = nn.Flatten()
    with pytest.raises(ValueError, match="at least one head"):
        nn.MultiHead(trunk)
    with pytest.raises(TypeError, match="trunk must be a Module"):
        nn.MultiHead(lambda x: x, a=nn.Identity())
    with pytest.raises(TypeError, match="head 'a' must be a Module"):
        nn.MultiHead(trunk, a=3)
    for bad in ("parameters", "trunk", "training", "forward"):
        with pytest.raises(ValueError, match="cannot be called"):
            nn.MultiHead(trunk, **{bad: nn.Identity()})
    net = small_net()
    with pytest.raises(RuntimeError, match="before forward"):
        net.backward((np.zeros((1, 5)), np.zeros((1, 4))))
    out = net(np.zeros((1, 1, 8, 8)))
    with pytest.raises(ValueError, match="tuple of 2 derivatives"):
        net.backward(np.zeros((1, 5)))
    with pytest.raises(ValueError, match="tuple of 2 derivatives"):
        net.backward((np.zeros((1, 5)),))
    with pytest.raises(ValueError, match="every derivative is None"):
        net.backward((None, None))
    with pytest.raises(ValueError, match="dy must have the shape"):
        net.backward((np.zeros((1, 4)), np.zeros_like(out[1])))
