"""cnnedu.train with a model of several outputs: fit, evaluate and predict on (labels, boxes).

The oracle for fit is a hand-written training loop with the same initial
weights, batches and optimiser; evaluate is checked against one forward pass
over the whole set; the errors are checked to come before any weight changes.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnnedu import nn, optim
from cnnedu.data import iou
from cnnedu.train import TrainingDivergedError, evaluate, fit, predict

SIDE = 10


def rectangles(n, seed=0):
    """Canvases with one filled rectangle; class 1 if it is wider than tall; its box."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 1, SIDE, SIDE), np.float32)
    boxes = np.zeros((n, 4), np.float32)
    labels = np.zeros(n, np.int64)
    for i in range(n):
        h, w = rng.integers(2, 7, size=2)
        while h == w:
            h, w = rng.integers(2, 7, size=2)
        top, left = rng.integers(0, SIDE - h + 1), rng.integers(0, SIDE - w + 1)
        x[i, 0, top:top + h, left:left + w] = 1.0
        boxes[i] = (left / SIDE, top / SIDE, (left + w) / SIDE, (top + h) / SIDE)
        labels[i] = int(w > h)
    return x, labels, boxes


def two_headed(seed=0):
    rng = np.random.default_rng(seed)
    trunk = nn.Sequential(nn.Flatten(), nn.Linear(SIDE * SIDE, 32, rng=rng), nn.ReLU())
    return nn.MultiHead(trunk, classes=nn.Linear(32, 2, rng=rng),
                        box=nn.Sequential(nn.Linear(32, 4, rng=rng), nn.Sigmoid()))


def weights(net):
    return [p.data.copy() for p in net.parameters()]


def test_fit_trains_both_heads():
    x, y, b = rectangles(400)
    xv, yv, bv = rectangles(100, seed=1)
    net = two_headed()
    before = iou(predict(net, xv)[1], bv).mean()
    loss = nn.ClassBoxLoss(box_weight=5.0)
    h = fit(net, loss, optim.Adam(net.parameters(), lr=5e-3), x, (y, b), epochs=15, batch_size=32,
            validation_data=(xv, (yv, bv)), progress=False)
    assert len(h) == 15 and h.train_loss[-1] < 0.5 * h.train_loss[0]
    assert h.val_accuracy[-1] > 0.8 and h.train_accuracy[-1] > 0.8
    classes, boxes = predict(net, xv)
    assert iou(boxes, bv).mean() > before + 0.2
    assert h.val_accuracy[-1] == pytest.approx(np.mean(classes == yv))


def test_fit_is_the_hand_written_loop():
    x, y, b = rectangles(70)
    net, twin = two_headed(), two_headed()
    twin.load_state_dict(net.state_dict())
    loss, twin_loss = nn.ClassBoxLoss(box_weight=3.0), nn.ClassBoxLoss(box_weight=3.0)
    h = fit(net, loss, optim.SGD(net.parameters(), lr=0.1, momentum=0.9), x, (y, b), epochs=3,
            batch_size=16, seed=4, progress=False)

    opt = optim.SGD(twin.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(4)
    losses = []
    for _ in range(3):
        order = rng.permutation(len(x))
        total = 0.0
        for start in range(0, len(x), 16):
            idx = order[start:start + 16]
            opt.zero_grad()
            logits, box = twin(x[idx])
            value = twin_loss(logits, y[idx], box, b[idx])
            twin.backward(twin_loss.backward())
            opt.step()
            total += value * len(idx)
        losses.append(total / len(x))
    for p, q in zip(weights(net), weights(twin)):
        assert np.array_equal(p, q)
    assert h.train_loss == pytest.approx(losses)


@pytest.mark.parametrize("batch_size", [1, 7, 256])
def test_evaluate_is_one_pass_over_the_whole_set(batch_size):
    x, y, b = rectangles(40)
    net = two_headed()
    loss = nn.ClassBoxLoss(box_weight=2.0)
    value, accuracy = evaluate(net, loss, x, (y, b), batch_size=batch_size)
    logits, box = net(x)
    assert value == pytest.approx(nn.ClassBoxLoss(box_weight=2.0)(logits, y, box, b), rel=1e-6)
    assert accuracy == np.mean(logits.argmax(1) == y)


def test_predict_gives_classes_and_boxes():
    x, y, b = rectangles(30)
    net = two_headed()
    classes, boxes = predict(net, x, batch_size=7)
    logits, raw_boxes = predict(net, x, batch_size=7, logits=True)
    out = net(x)
    assert classes.dtype == np.int64 and np.array_equal(classes, out[0].argmax(1))
    assert np.allclose(boxes, out[1]) and np.allclose(raw_boxes, out[1]) and np.allclose(logits, out[0])


def test_single_output_behaviour_is_unchanged():
    x, y, _ = rectangles(30)
    net = nn.Sequential(nn.Flatten(), nn.Linear(SIDE * SIDE, 2, rng=0))
    h = fit(net, nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=0.1), x, tuple(int(v) for v in y),
            epochs=1, batch_size=10, progress=False)     # a tuple of ints is still one array of labels
    assert len(h) == 1 and not np.isnan(h.train_accuracy[0])


def _bad(overrides):
    x, y, b = rectangles(20)
    args = dict(model=two_headed(), loss_fn=nn.ClassBoxLoss(), x_train=x, y_train=(y, b))
    args.update(overrides)
    return args


@pytest.mark.parametrize("overrides, error, match", [
    (dict(loss_fn=nn.MSELoss(), y_train=rectangles(20)[2]), ValueError,
     r"returns 2 outputs .* y_train must be a tuple of 2 arrays"),
    (dict(model=nn.Sequential(nn.Flatten(), nn.Linear(SIDE * SIDE, 4, rng=0)),
          loss_fn=nn.MSELoss()), ValueError, "a tuple of targets is for a model with several outputs"),
    (dict(loss_fn=nn.MSELoss(), y_train=(rectangles(20)[1], rectangles(20)[2], rectangles(20)[2])),
     ValueError, "holds 3 target arrays"),
    (dict(y_train=rectangles(20)[1]), ValueError, "with ClassBoxLoss, y_train must be a pair"),
    (dict(y_train=(rectangles(20)[1],) * 3), ValueError, "must be a pair"),
    (dict(y_train=(rectangles(20)[1].astype(float), rectangles(20)[2])), ValueError,
     r"with ClassBoxLoss, y_train\[0\] must be integer class indices"),
    (dict(y_train=(rectangles(20)[1], rectangles(19)[2])), ValueError,
     r"x_train has 20 examples, y_train\[1\] has 19"),
    (dict(y_train=(rectangles(20)[1] + 2, rectangles(20)[2])), ValueError,
     r"y_train\[0\] must be class indices in \[0, 2\)"),
    (dict(y_train=(rectangles(20)[1], np.full((20, 4), np.nan))), ValueError, r"y_train\[1\] contains NaN"),
    (dict(loss_fn=nn.CrossEntropyLoss()), ValueError, "CrossEntropyLoss takes one"),
])
def test_mismatches_raise_clear_errors_before_any_step(overrides, error, match):
    args = _bad(overrides)
    net = args["model"]
    w0 = weights(net)
    with pytest.raises(error, match=match):
        fit(args["model"], args["loss_fn"], optim.SGD(net.parameters(), lr=0.1), args["x_train"],
            args["y_train"], epochs=1, batch_size=5, progress=False)
    for p, q in zip(weights(net), w0):
        assert np.array_equal(p, q)


def test_validation_targets_must_match_the_outputs_too():
    x, y, b = rectangles(20)
    net = two_headed()
    with pytest.raises(ValueError, match=r"with ClassBoxLoss, y_val must be a pair"):
        fit(net, nn.ClassBoxLoss(), optim.SGD(net.parameters(), lr=0.1), x, (y, b), epochs=1, batch_size=5,
            validation_data=(x, y), progress=False)
    w0 = weights(net)
    with pytest.raises(ValueError, match=r"y_val must be a tuple of 2 arrays"):
        fit(net, nn.MSELoss(), optim.SGD(net.parameters(), lr=0.1), x, (y, b), epochs=1, batch_size=5,
            validation_data=(x, b), progress=False)
    for p, q in zip(weights(net), w0):
        assert np.array_equal(p, q)


def test_evaluate_and_predict_check_their_inputs():
    x, y, b = rectangles(20)
    net = two_headed()
    with pytest.raises(ValueError, match="y must be a tuple of 2 arrays"):
        evaluate(net, nn.MSELoss(), x, b)
    with pytest.raises(ValueError, match=r"y\[0\] must be class indices in \[0, 2\)"):
        evaluate(net, nn.ClassBoxLoss(), x, (y + 5, b))
    with pytest.raises(ValueError, match=r"x has 20 examples, y\[1\] has 3"):
        evaluate(net, nn.ClassBoxLoss(), x, (y, b[:3]))


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid:RuntimeWarning")
def test_divergence_with_two_outputs_restores_the_weights():
    x, y, b = rectangles(40)
    x = x * 1e3
    net = two_headed()
    w0 = weights(net)
    with pytest.raises(TrainingDivergedError) as info:
        fit(net, nn.ClassBoxLoss(), optim.SGD(net.parameters(), lr=1e12), x, (y, b), epochs=3, batch_size=40,
            shuffle=False, progress=False)
    assert info.value.epoch >= 1
    assert all(np.isfinite(p).all() for p in weights(net))
    if info.value.epoch == 1 and info.value.batch == 1:
        for p, q in zip(weights(net), w0):
            assert np.array_equal(p, q)
