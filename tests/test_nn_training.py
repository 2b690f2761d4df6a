"""Networks that learn: small CNNs trained end to end on synthetic images made here with numpy.

The task is the lecture's kind of pattern recognition in miniature: is the
image's bar vertical or horizontal, wherever it is?  A convolution detects a
bar segment anywhere (shared weights), pooling forgets where, and a linear
layer decides.
"""

import time

import numpy as np
import pytest

from cnnedu import nn, optim




def bars(n, size=8, noise=0.3, seed=0):
    """n images (n, 1, size, size) with one vertical (label 0) or horizontal (label 1) bar, and its position."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    where = rng.integers(1, size - 1, n)
    x = noise * rng.standard_normal((n, 1, size, size))
    for i in range(n):
        if labels[i] == 0:
            x[i, 0, :, where[i]] += 1.0
        else:
            x[i, 0, where[i], :] += 1.0
    return x.astype(np.float32), labels, where


def accuracy(net, x, labels):
    net.eval()
    acc = float((net(x).argmax(axis=1) == labels).mean())
    net.train()
    return acc


def train(net, opt, x, labels, steps, batch=32, seed=0, scheduler=None, val=None):
    ce = nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    losses = []
    for step in range(steps):
        idx = rng.integers(0, len(x), batch)
        loss = ce(net(x[idx]), labels[idx])
        opt.zero_grad()
        net.backward(ce.backward())
        opt.step()
        losses.append(loss)
        if scheduler is not None and step % 10 == 9:
            scheduler.step(accuracy(net, *val))
    return losses


def test_small_cnn_learns_bar_orientation_with_adam():
    start = time.perf_counter()
    x, labels, _ = bars(512)
    x_test, labels_test, _ = bars(256, seed=1)
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, rng=0), nn.ReLU(), nn.MaxPool2d(2),      # 8x8 -> 4x4
        nn.Flatten(), nn.Linear(4 * 4 * 4, 2, rng=0),
    )
    assert accuracy(net, x_test, labels_test) < 0.8
    losses = train(net, optim.Adam(net.parameters(), lr=0.02), x, labels, steps=80)
    assert np.mean(losses[-10:]) < 0.3 * np.mean(losses[:10])
    assert accuracy(net, x_test, labels_test) > 0.95
    assert time.perf_counter() - start < 10


def test_alexnet_recipe_sgd_momentum_weight_decay_dropout_batchnorm_plateau():
    x, labels, _ = bars(512, seed=2)
    val = bars(128, seed=3)[:2]
    net = nn.Sequential(
        nn.Conv2d(1, 6, 3, padding=1, bias=False, rng=1), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.5, rng=1), nn.Linear(6 * 4 * 4, 2, rng=1),
    )
    opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    sched = optim.ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=1)
    train(net, opt, x, labels, steps=100, scheduler=sched, val=val)
    x_test, labels_test, _ = bars(256, seed=4)
    assert accuracy(net, x_test, labels_test) > 0.95
    assert opt.param_groups[0]["lr"] <= 0.05


def test_two_heads_with_the_multitask_loss():
    """The lecture's localisation network: one trunk, a class head and a box head, summed losses."""
    x, labels, where = bars(512, seed=5)
    box = ((where - 3.5) / 3.5).astype(np.float32)[:, None]        # where the bar is, in [-1, 1]
    trunk = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, rng=2), nn.ReLU(), nn.Flatten())
    class_head, box_head = nn.Linear(8 * 8 * 8, 2, rng=2), nn.Linear(8 * 8 * 8, 1, rng=3)
    params = [*trunk.parameters(), *class_head.parameters(), *box_head.parameters()]
    opt = optim.Adam(params, lr=0.005)
    loss_fn = nn.ClassBoxLoss(box_weight=1.0)
    rng = np.random.default_rng(0)
    history = []
    for _ in range(120):
        idx = rng.integers(0, len(x), 32)
        features = trunk(x[idx])
        total = loss_fn(class_head(features), labels[idx], box_head(features), box[idx])
        opt.zero_grad()
        dlogits, dbox = loss_fn.backward()
        trunk.backward(class_head.backward(dlogits) + box_head.backward(dbox))   # the two derivatives add up
        opt.step()
        history.append((total, loss_fn.class_loss, loss_fn.box_loss))
    first, last = np.mean(history[:10], axis=0), np.mean(history[-10:], axis=0)
    assert last[1] < 0.3 * first[1] and last[2] < 0.3 * first[2]
