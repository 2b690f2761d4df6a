"""cnnedu.train: fit, evaluate, predict, History, the divergence guard, and the LeNet-5 recipe.

Small tests run on synthetic data made here with numpy; the recipe test trains
LeNet-5 on the offline 4,000 / 1,000 MNIST subset end to end.
"""

import contextlib
import doctest
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numba  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import cnnedu.train as T  # noqa: E402
from cnnedu import nn, optim  # noqa: E402
from cnnedu.models import lenet5  # noqa: E402
from cnnedu.train import History, TrainingDivergedError, confusion_matrix, evaluate, fit, predict  # noqa: E402


# --------------------------------------------------------------------------- helpers


def blobs(n=240, seed=0):
    """Three Gaussian clusters in 2-D: (n, 2) float32 inputs, (n,) int64 labels."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    centres = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    x = centres[y] + 0.6 * rng.standard_normal((n, 2))
    return x.astype(np.float32), y.astype(np.int64)


def mlp(seed=0):
    return nn.Sequential(nn.Linear(2, 16, rng=seed), nn.ReLU(), nn.Linear(16, 3, rng=seed + 1))


def bars(n, size=8, seed=0):
    """Images with one vertical (label 0) or horizontal (label 1) bar."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    where = rng.integers(1, size - 1, n)
    x = 0.3 * rng.standard_normal((n, 1, size, size))
    for i in range(n):
        if y[i] == 0:
            x[i, 0, :, where[i]] += 1.0
        else:
            x[i, 0, where[i], :] += 1.0
    return x.astype(np.float32), y.astype(np.int64)


def small_cnn(seed=0):
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, rng=seed), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(4 * 4 * 4, 2, rng=seed))


def weights(model):
    return [p.data.copy() for p in model.parameters()]


def assert_same_weights(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


class Recorder(nn.Module):
    """Identity layer that records the inputs it sees (the first feature is the example's index)."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append((np.asarray(x)[:, 0].astype(int).copy(), self.training))
        return x

    def backward(self, dy):
        return dy


# --------------------------------------------------------------------------- fit learns


def test_fit_reduces_the_loss_and_learns_a_small_cnn_task():
    x, y = bars(256)
    x_val, y_val = bars(128, seed=1)
    net = small_cnn()
    before, _ = evaluate(net, nn.CrossEntropyLoss(), x_val, y_val)
    h = fit(net, nn.CrossEntropyLoss(), optim.Adam(net.parameters(), lr=0.02), x, y, epochs=4,
            batch_size=32, validation_data=(x_val, y_val), progress=False)
    assert h.train_loss[-1] < 0.5 * h.train_loss[0]
    assert h.val_loss[-1] < 0.5 * before
    assert h.val_accuracy[-1] > 0.9


def test_history_has_one_entry_per_epoch_for_every_field():
    x, y = blobs()
    net = mlp()
    h = fit(net, nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=0.1, momentum=0.9), x, y,
            epochs=3, batch_size=50, validation_data=blobs(60, seed=1), progress=False)
    assert isinstance(h, History) and len(h) == 3 and h.epochs == [1, 2, 3]
    for name, values in h.to_dict().items():
        assert len(values) == 3, name
        assert all(isinstance(v, float) for v in values), name
    assert all(0 <= a <= 1 for a in h.train_accuracy + h.val_accuracy)
    assert all(v > 0 for v in h.train_loss + h.val_loss + h.epoch_time)
    assert h.lr == [0.1, 0.1, 0.1]
    assert h.best_epoch() in (1, 2, 3)
    assert "val_acc" in h.summary() and len(h.summary().splitlines()) == 4


def test_history_without_validation_data_holds_nan():
    x, y = blobs()
    net = mlp()
    h = fit(net, nn.CrossEntropyLoss(), optim.Adam(net.parameters(), lr=0.01), x, y, epochs=2,
            progress=False)
    assert np.isnan(h.val_loss).all() and np.isnan(h.val_accuracy).all()
    assert h.best_epoch() is None
    assert h.best_epoch("train_loss") in (1, 2)


def test_train_loss_and_accuracy_are_the_epochs_running_averages():
    """With lr so small the weights barely move, the running figures equal an evaluation."""
    x, y = blobs(100)
    net = mlp()
    loss0, acc0 = evaluate(net, nn.CrossEntropyLoss(), x, y)
    h = fit(net, nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=1e-12), x, y, epochs=1,
            batch_size=30, progress=False)
    assert h.train_loss[0] == pytest.approx(loss0, rel=1e-5)
    assert h.train_accuracy[0] == pytest.approx(acc0)


# --------------------------------------------------------------------------- batches and shuffling


def test_batches_cover_every_example_once_per_epoch_including_the_last_partial_one():
    n = 50
    x = np.arange(n, dtype=np.float64)[:, None] * np.ones((1, 2))
    y = np.zeros(n, dtype=np.int64)
    rec = Recorder()
    net = nn.Sequential(rec, nn.Linear(2, 3, rng=0))
    fit(net, nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=1e-9), x, y, epochs=3,
        batch_size=16, progress=False, seed=3)
    assert [len(b) for b, _ in rec.seen] == [16, 16, 16, 2] * 3
    assert all(training for _, training in rec.seen)
    orders = [np.concatenate([b for b, _ in rec.seen[4 * e:4 * e + 4]]) for e in range(3)]
    for order in orders:
        assert sorted(order.tolist()) == list(range(n))
    # a new permutation each epoch, and not the data's order
    assert not np.array_equal(orders[0], orders[1]) and not np.array_equal(orders[1], orders[2])
    assert not np.array_equal(orders[0], np.arange(n))


def test_shuffle_false_keeps_the_data_order():
    x = np.arange(10, dtype=np.float64)[:, None] * np.ones((1, 2))
    rec = Recorder()
    net = nn.Sequential(rec, nn.Linear(2, 3, rng=0))
    fit(net, nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=1e-9), x, np.zeros(10, np.int64),
        epochs=2, batch_size=4, shuffle=False, progress=False)
    assert [b.tolist() for b, _ in rec.seen] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] * 2


def test_validation_runs_in_eval_mode_and_the_model_mode_is_restored():
    x, y = blobs(40)
    rec = Recorder()
    net = nn.Sequential(rec, nn.Dropout(0.5, rng=0), nn.Linear(2, 3, rng=0))
    net.eval()
    fit(net, nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=0.01), np.c_[np.arange(40), x[:, 1]],
        y, epochs=1, batch_size=40, validation_data=(np.c_[np.arange(7), x[:7, 1]], y[:7]),
        progress=False)
    assert [t for _, t in rec.seen] == [True, False]
    assert net.training is False
    net.train()
    evaluate(net, nn.CrossEntropyLoss(), x, y)
    predict(net, x)
    assert net.training is True


def test_same_seed_gives_identical_history_and_weights():
    x, y = bars(192, seed=4)
    val = bars(64, seed=5)
    runs = []
    for _ in range(2):
        net = small_cnn(seed=7)
        h = fit(net, nn.CrossEntropyLoss(), optim.Adam(net.parameters(), lr=0.01), x, y, epochs=3,
                batch_size=24, validation_data=val, seed=11, progress=False)
        runs.append((h, weights(net)))
    (h1, w1), (h2, w2) = runs
    for name in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"):
        assert getattr(h1, name) == getattr(h2, name), name
    assert_same_weights(w1, w2)
    # a different seed shuffles differently
    net = small_cnn(seed=7)
    h3 = fit(net, nn.CrossEntropyLoss(), optim.Adam(net.parameters(), lr=0.01), x, y, epochs=1,
             batch_size=24, seed=12, progress=False)
    assert h3.train_loss[0] != h1.train_loss[0]


def test_seed_accepts_a_generator():
    x, y = blobs(60)
    hs = []
    for _ in range(2):
        net = mlp()
        hs.append(fit(net, nn.CrossEntropyLoss(), optim.Adam(net.parameters()), x, y, epochs=2,
                      batch_size=8, seed=np.random.default_rng(5), progress=False))
    assert hs[0].train_loss == hs[1].train_loss


def test_transform_is_applied_to_training_batches_only():
    x, y = blobs(30)
    calls = []

    def transform(xb, rng):
        assert isinstance(rng, np.random.Generator)
        calls.append(len(xb))
        return xb + 0.0

    net = mlp()
    fit(net, nn.CrossEntropyLoss(), optim.Adam(net.parameters()), x, y, epochs=2, batch_size=16,
        validation_data=(x, y), transform=transform, progress=False)
    assert calls == [16, 14, 16, 14]


def test_a_callback_returning_true_stops_training():
    x, y = blobs(30)
    seen = []

    def stop_after_two(epoch, history, model):
        seen.append((epoch, len(history)))
        return epoch == 2

    net = mlp()
    h = fit(net, nn.CrossEntropyLoss(), optim.Adam(net.parameters()), x, y, epochs=5, batch_size=10,
            callbacks=[stop_after_two], progress=False)
    assert len(h) == 2 and seen == [(1, 1), (2, 2)]


def test_fit_trains_a_regression_with_mse_and_reports_nan_accuracy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 3))
    target = x @ np.array([[1.0], [-2.0], [0.5]])
    net = nn.Linear(3, 1, dtype=np.float64, rng=0)
    h = fit(net, nn.MSELoss(), optim.Adam(net.parameters(), lr=0.05), x, target, epochs=15,
            batch_size=16, validation_data=(x, target), progress=False)
    assert h.train_loss[-1] < 0.01 * h.train_loss[0]
    assert np.isnan(h.train_accuracy).all() and np.isnan(h.val_accuracy).all()


# --------------------------------------------------------------------------- evaluate / predict / confusion


def test_evaluate_matches_a_manual_computation_for_any_batch_size():
    x, y = blobs(103)
    net = mlp(seed=3)
    logits = net(x)
    manual_loss = nn.CrossEntropyLoss()(logits, y)
    manual_acc = np.mean(logits.argmax(axis=1) == y)
    for bs in (1, 7, 103, 1000):
        loss, acc = evaluate(net, nn.CrossEntropyLoss(), x, y, batch_size=bs)
        assert loss == pytest.approx(manual_loss, rel=1e-5)
        assert acc == manual_acc
    loss_sum, _ = evaluate(net, nn.CrossEntropyLoss(reduction="sum"), x, y, batch_size=10)
    assert loss_sum == pytest.approx(manual_loss * len(x), rel=1e-5)


def test_evaluate_uses_eval_mode():
    x, y = blobs(50)
    net = nn.Sequential(nn.Linear(2, 16, rng=0), nn.Dropout(0.5, rng=0), nn.ReLU(), nn.Linear(16, 3, rng=1))
    net.eval()
    expected = nn.CrossEntropyLoss()(net(x), y)
    net.train()
    assert evaluate(net, nn.CrossEntropyLoss(), x, y)[0] == pytest.approx(expected, rel=1e-6)
    assert evaluate(net, nn.CrossEntropyLoss(), x, y)[0] == pytest.approx(expected, rel=1e-6)


def test_predict_gives_classes_or_logits():
    x, _ = blobs(21)
    net = mlp()
    logits = predict(net, x, batch_size=5, logits=True)
    np.testing.assert_allclose(logits, net(x), rtol=1e-6)
    classes = predict(net, x, batch_size=4)
    assert classes.dtype == np.int64 and classes.shape == (21,)
    np.testing.assert_array_equal(classes, logits.argmax(axis=1))
    with pytest.raises(ValueError, match="logits=True"):
        predict(_Squeeze(), x)


class _Squeeze(nn.Module):
    def forward(self, x):
        return np.asarray(x)[:, 0]


def test_confusion_matrix_counts_truth_against_prediction():
    c = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], n_classes=4)
    expected = np.zeros((4, 4), np.int64)
    expected[0, 0] = expected[0, 1] = expected[1, 1] = expected[2, 0] = 1
    expected[2, 2] = 2
    np.testing.assert_array_equal(c, expected)
    assert c.trace() / c.sum() == pytest.approx(4 / 6)
    assert confusion_matrix([1], [1]).shape == (2, 2)
    with pytest.raises(ValueError, match="same length"):
        confusion_matrix([0, 1], [0])
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        confusion_matrix([0, 3], [0, 1], n_classes=3)
    with pytest.raises(ValueError, match="integer"):
        confusion_matrix([0.0, 1.0], [0, 1])


# --------------------------------------------------------------------------- scheduler


class RecordingPlateau(optim.ReduceLROnPlateau):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.metrics = []

    def step(self, metrics):
        self.metrics.append(metrics)
        super().step(metrics)


def test_reduce_lr_on_plateau_divides_the_lr_when_validation_accuracy_stalls():
    x, y = blobs(120)
    net = mlp()
    opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    sched = RecordingPlateau(opt, mode="max", factor=0.1, patience=0)
    h = fit(net, nn.CrossEntropyLoss(), opt, x, y, epochs=6, batch_size=20,
            validation_data=(x[:30], y[:30]), scheduler=sched, progress=False)
    assert sched.metrics == h.val_accuracy            # stepped with the validation accuracy
    assert h.lr[0] == 0.1 and min(h.lr) < 0.1         # and the lr was divided at a plateau
    for before, after in zip(h.lr, h.lr[1:]):
        assert after == before or after == pytest.approx(before / 10)
    assert opt.param_groups[0]["lr"] == sched.get_last_lr()[0]


def test_plateau_in_min_mode_watches_the_validation_loss():
    x, y = blobs(60)
    net = mlp()
    opt = optim.Adam(net.parameters(), lr=0.01)
    sched = RecordingPlateau(opt, mode="min")
    h = fit(net, nn.CrossEntropyLoss(), opt, x, y, epochs=2, batch_size=20,
            validation_data=(x, y), scheduler=sched, progress=False)
    assert sched.metrics == h.val_loss


def test_other_schedulers_are_stepped_once_per_epoch():
    class Halve:
        def __init__(self, opt):
            self.opt, self.calls = opt, 0

        def step(self):
            self.calls += 1
            self.opt.param_groups[0]["lr"] /= 2

    x, y = blobs(60)
    net = mlp()
    opt = optim.SGD(net.parameters(), lr=0.08)
    sched = Halve(opt)
    h = fit(net, nn.CrossEntropyLoss(), opt, x, y, epochs=3, batch_size=20, scheduler=sched, progress=False)
    assert sched.calls == 3 and h.lr == [0.08, 0.04, 0.02]


def test_plateau_without_validation_data_is_refused():
    x, y = blobs(60)
    net = mlp()
    opt = optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="validation_data"):
        fit(net, nn.CrossEntropyLoss(), opt, x, y, epochs=2, batch_size=20,
            scheduler=optim.ReduceLROnPlateau(opt, mode="max"), progress=False)


# --------------------------------------------------------------------------- divergence


class RecordingSGD(optim.SGD):
    """SGD that keeps a copy of the weights before each of its steps."""

    def __init__(self, params, **kwargs):
        params = list(params)
        super().__init__(params, **kwargs)
        self.params_, self.before = params, []

    def step(self):
        self.before.append([p.data.copy() for p in self.params_])
        super().step()


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid:RuntimeWarning")
def test_an_absurd_learning_rate_raises_and_restores_the_last_good_weights():
    x, y = blobs(200)
    net = mlp()
    opt = RecordingSGD(net.parameters(), lr=1e30)
    with pytest.raises(TrainingDivergedError) as info:
        fit(net, nn.CrossEntropyLoss(), opt, x, y, epochs=3, batch_size=20, progress=False)
    err = info.value
    assert isinstance(err, FloatingPointError)
    assert err.epoch == 1 and 1 < err.batch <= 10
    assert f"epoch {err.epoch}, batch {err.batch} of 10" in str(err)
    assert "learning rate" in str(err)
    assert isinstance(err.history, History) and len(err.history) == 0
    # the weights are those before the step that broke them: finite, and not the broken ones
    assert len(opt.before) == err.batch - 1
    assert_same_weights(weights(net), opt.before[-1])
    assert all(np.isfinite(w).all() for w in weights(net))


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid:RuntimeWarning")
def test_divergence_after_some_epochs_keeps_their_history():
    x, y = blobs(120)
    net = mlp()
    opt = RecordingSGD(net.parameters(), lr=0.05)

    def blow_up(epoch, history, model):
        if epoch == 2:
            opt.param_groups[0]["lr"] = 1e30

    with pytest.raises(TrainingDivergedError) as info:
        fit(net, nn.CrossEntropyLoss(), opt, x, y, epochs=5, batch_size=30, callbacks=[blow_up],
            validation_data=(x, y), progress=False)
    err = info.value
    assert err.epoch == 3 and len(err.history) == 2
    assert all(np.isfinite(err.history.val_loss))
    assert_same_weights(weights(net), opt.before[-1])


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid:RuntimeWarning")
def test_divergence_at_an_epochs_last_step_is_caught_by_the_validation():
    """The weights broken by the last step of an epoch are only used by the validation."""
    x, y = blobs(60)
    net = mlp()
    opt = RecordingSGD(net.parameters(), lr=0.05)

    def poison(xb, rng):                  # the epoch's last step: an absurd learning rate
        if len(opt.before) == 2:
            opt.param_groups[0]["lr"] = 1e30
        return xb

    with pytest.raises(TrainingDivergedError, match="validation") as info:
        fit(net, nn.CrossEntropyLoss(), opt, x * 1e3, y, epochs=2, batch_size=20, transform=poison,
            validation_data=(x * 1e3, y), progress=False)
    assert (info.value.epoch, info.value.batch) == (1, 3) and len(info.value.history) == 0
    assert len(opt.before) == 3
    assert_same_weights(weights(net), opt.before[-1])


class NaNGradient(nn.Module):
    """y = w * x whose backward returns a NaN gradient for w on its ``bad_call``-th call."""

    def __init__(self, bad_call):
        super().__init__()
        self.w = nn.Parameter(np.ones(1))
        self.bad_call, self.calls = bad_call, 0

    def forward(self, x):
        self._cache = np.asarray(x)
        return self._cache * self.w.data

    def backward(self, dy):
        self.calls += 1
        x = self._saved()
        self.w.grad += np.nan if self.calls == self.bad_call else np.sum(dy * x)
        return dy * self.w.data


def test_a_nan_gradient_raises_before_the_step():
    x, y = blobs(100)
    net = nn.Sequential(nn.Linear(2, 3, rng=0), NaNGradient(bad_call=7))
    opt = RecordingSGD(net.parameters(), lr=0.01)
    with pytest.raises(TrainingDivergedError, match="gradient") as info:
        fit(net, nn.CrossEntropyLoss(), opt, x, y, epochs=2, batch_size=20, progress=False)
    assert (info.value.epoch, info.value.batch) == (2, 2)
    assert len(opt.before) == 6          # the NaN gradient was never applied
    assert_same_weights(weights(net), opt.before[-1])


def test_nan_in_the_data_is_refused_before_training():
    x, y = blobs(50)
    x[17, 1] = np.nan
    net = mlp()
    w0 = weights(net)
    with pytest.raises(ValueError, match="x_train contains NaN or inf in 1 example.*index 17"):
        fit(net, nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=0.1), x, y, epochs=1,
            progress=False)
    assert_same_weights(weights(net), w0)


# --------------------------------------------------------------------------- progress


def test_progress_false_prints_nothing(capsys):
    x, y = blobs(60)
    net = mlp()
    fit(net, nn.CrossEntropyLoss(), optim.Adam(net.parameters()), x, y, epochs=2, batch_size=20,
        validation_data=(x, y), progress=False)
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_progress_bar_shows_epochs_and_metrics(capsys):
    x, y = blobs(60)
    net = mlp()
    fit(net, nn.CrossEntropyLoss(), optim.Adam(net.parameters()), x, y, epochs=2, batch_size=20,
        validation_data=(x, y), progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "2/2" in err and "val_acc=" in err


# --------------------------------------------------------------------------- bad input


def _fit(**overrides):
    x, y = blobs(40)
    net = mlp()
    args = dict(model=net, loss_fn=nn.CrossEntropyLoss(), optimizer=optim.SGD(net.parameters(), lr=0.1),
                x_train=x, y_train=y, epochs=1, batch_size=8, progress=False)
    args.update(overrides)
    return fit(args.pop("model"), args.pop("loss_fn"), args.pop("optimizer"), args.pop("x_train"),
               args.pop("y_train"), **args)


@pytest.mark.parametrize("overrides, error, match", [
    (dict(batch_size=0), ValueError, r"batch_size must be between 1 and the number of training examples \(40\), got 0"),
    (dict(batch_size=41), ValueError, r"batch_size .*\(40\), got 41"),
    (dict(batch_size=2.5), TypeError, "batch_size must be an integer"),
    (dict(epochs=0), ValueError, "epochs must be >= 1, got 0"),
    (dict(y_train=np.zeros(39, np.int64)), ValueError, "x_train has 40 examples, y_train has 39"),
    (dict(y_train=np.r_[np.zeros(39, np.int64), 3]), ValueError,
     r"y_train must be class indices in \[0, 3\) for a model with 3 outputs, got a maximum of 3 \(at index 39\)"),
    (dict(y_train=np.r_[np.zeros(39, np.int64), -1]), ValueError, "y_train must be class indices >= 0, got a minimum of -1"),
    (dict(y_train=np.zeros(40)), ValueError, "integer class indices"),
    (dict(x_train=np.zeros((0, 2))), ValueError, "at least one example"),
    (dict(x_train=np.array(["a"] * 40)), TypeError, "numeric"),
    (dict(validation_data=(np.zeros((5, 2)), np.zeros(4, np.int64))), ValueError, "x_val has 5 examples, y_val has 4"),
    (dict(validation_data=(np.zeros((5, 2)), np.full(5, 9))), ValueError, r"y_val must be class indices in \[0, 3\)"),
    (dict(validation_data=(np.zeros((5, 3)), np.zeros(5, np.int64))), ValueError, "x_val must have the shape"),
    (dict(validation_data=np.zeros((5, 2))), TypeError, "pair"),
    (dict(model="net"), TypeError, "cnnedu.nn.Module"),
    (dict(loss_fn=np.mean), TypeError, "loss_fn"),
    (dict(optimizer=None), TypeError, "optimizer"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(seed=None), TypeError, "seed"),
    (dict(shuffle="yes"), TypeError, "shuffle"),
    (dict(callbacks=[1]), TypeError, "callbacks"),
    (dict(transform=3), TypeError, "transform"),
])
def test_bad_arguments_raise_clear_errors_before_any_step(overrides, error, match):
    net = overrides.get("model")
    if net is None:
        x, y = blobs(40)
        net = mlp()
        overrides.setdefault("model", net)
    w0 = weights(net) if isinstance(net, nn.Module) else None
    if isinstance(net, nn.Module) and "optimizer" not in overrides:
        overrides["optimizer"] = optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(error, match=match):
        _fit(**overrides)
    if w0 is not None:
        assert_same_weights(weights(net), w0)


def test_evaluate_and_predict_check_their_inputs():
    x, y = blobs(20)
    net = mlp()
    with pytest.raises(ValueError, match="x has 20 examples, y has 19"):
        evaluate(net, nn.CrossEntropyLoss(), x, y[:19])
    with pytest.raises(ValueError, match=r"y must be class indices in \[0, 3\)"):
        evaluate(net, nn.CrossEntropyLoss(), x, y + 1)
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        evaluate(net, nn.CrossEntropyLoss(), x, y, batch_size=0)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        predict(net, x, batch_size=-3)
    with pytest.raises(TypeError, match="logits"):
        predict(net, x, logits=1)


# --------------------------------------------------------------------------- plotting


def test_plot_returns_a_figure_with_labelled_loss_and_accuracy_axes():
    x, y = blobs(60)
    net = mlp()
    opt = optim.SGD(net.parameters(), lr=0.1)
    h = fit(net, nn.CrossEntropyLoss(), opt, x, y, epochs=3, batch_size=20, validation_data=(x, y),
            scheduler=optim.ReduceLROnPlateau(opt, mode="max", patience=0), progress=False)
    fig = h.plot()
    try:
        assert len(fig.axes) == 2
        loss_ax, acc_ax = fig.axes
        assert loss_ax.get_xlabel() == "epoch" and loss_ax.get_ylabel() == "loss"
        assert acc_ax.get_ylabel() == "accuracy"
        assert len(loss_ax.lines) >= 2 and len(acc_ax.get_legend().get_texts()) == 2
    finally:
        plt.close(fig)


def test_plot_history_draws_into_given_axes_and_skips_missing_validation():
    h = History(train_loss=[1.0, 0.5], train_accuracy=[0.5, 0.7], val_loss=[np.nan] * 2,
                val_accuracy=[np.nan] * 2, lr=[0.1, 0.1], epoch_time=[1.0, 1.0])
    fig, axes = plt.subplots(1, 2)
    try:
        assert T.plot_history(h, ax=axes) is fig
        assert [len(a.lines) for a in axes] == [1, 1]
        with pytest.raises(ValueError, match="pair of Axes"):
            T.plot_history(h, ax=axes[0])
        with pytest.raises(TypeError, match="History"):
            T.plot_history({"train_loss": [1.0]})
    finally:
        plt.close("all")


def test_docstring_examples_run():
    result = doctest.testmod(T)
    assert result.failed == 0 and result.attempted > 0
    plt.close("all")


# --------------------------------------------------------------------------- the LeNet-5 recipe


def test_multistep_lr_drops_the_lr_after_each_milestone():
    x, y = blobs(60)
    net = mlp()
    opt = optim.Adam(net.parameters(), lr=0.01)
    h = fit(net, nn.CrossEntropyLoss(), opt, x, y, epochs=5, batch_size=20,
            scheduler=T.MultiStepLR(opt, milestones=[2, 4], gamma=0.5), progress=False)
    assert h.lr == [0.01, 0.01, 0.005, 0.005, 0.0025]
    with pytest.raises(ValueError, match="increasing"):
        T.MultiStepLR(opt, milestones=[3, 3])
    with pytest.raises(ValueError, match="gamma"):
        T.MultiStepLR(opt, milestones=[3], gamma=0)
    with pytest.raises(TypeError, match="optimizer"):
        T.MultiStepLR(net, milestones=[3])


@contextlib.contextmanager
def one_thread():
    """Numba and BLAS on one thread, restored afterwards.

    On the shared 2-core machines that run the suite, LeNet-5 epochs take about
    1 s on one thread but 3-15 s on two (Numba's and OpenBLAS's thread pools
    competing with each other and with other processes for the cores); see
    docs/training.md.  The recipe's accuracy does not depend on it.
    """
    n = numba.get_num_threads()
    try:
        from threadpoolctl import threadpool_limits
        blas = threadpool_limits(1)
    except ImportError:
        blas = contextlib.nullcontext()
    numba.set_num_threads(1)
    try:
        with blas:
            yield
    finally:
        numba.set_num_threads(n)


@pytest.mark.slow
def test_lenet5_recipe_reaches_96_percent_on_the_mnist_subset():
    """The documented recipe, end to end: LeNet-5, Adam, the 4,000 / 1,000 MNIST subset."""
    with one_thread():
        _check_lenet5_recipe()


def _check_lenet5_recipe():
    start = time.perf_counter()
    recipe = T.lenet5_recipe()
    (x_train, y_train), (x_test, y_test) = recipe.load_data("subset")
    assert x_train.shape == (4000, 1, 32, 32) and x_test.shape == (1000, 1, 32, 32)
    net = lenet5(rng=recipe.seed)
    optimizer = recipe.make_optimizer(net)
    h = fit(net, nn.CrossEntropyLoss(), optimizer, x_train, y_train, epochs=recipe.epochs,
            batch_size=recipe.batch_size, seed=recipe.seed, scheduler=recipe.make_scheduler(optimizer),
            validation_data=(x_test, y_test), progress=False)
    _, test_accuracy = evaluate(net, nn.CrossEntropyLoss(), x_test, y_test)
    print(f"LeNet-5 recipe: test accuracy {test_accuracy:.3f} in {time.perf_counter() - start:.0f} s "
          f"({np.mean(h.epoch_time):.1f} s per epoch)")
    assert test_accuracy == h.val_accuracy[-1]
    assert test_accuracy >= recipe.min_test_accuracy
    assert h.lr[-1] == pytest.approx(recipe.lr * recipe.lr_gamma)
    assert h.train_loss[-1] < 0.2 * h.train_loss[0]
