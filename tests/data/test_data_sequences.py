"""Synthetic 1-D sequences for temporal convolution (cnnedu.data.sequences)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnedu.data.sequences import (
    SEQUENCE_CLASSES,
    SEQUENCE_TEMPLATES,
    WIDTH_RANGE,
    load_sequences,
    make_sequences,
    render_template,
)


def test_templates():
    assert SEQUENCE_TEMPLATES.shape == (10, 12) and len(SEQUENCE_CLASSES) == 10
    assert not SEQUENCE_TEMPLATES.flags.writeable
    # No two templates are equal, even up to a positive scale factor.
    unit = SEQUENCE_TEMPLATES / np.linalg.norm(SEQUENCE_TEMPLATES, axis=1, keepdims=True)
    similarity = unit @ unit.T
    assert np.all(similarity[~np.eye(10, dtype=bool)] < 0.99)


def test_render_template_places_the_knots():
    # width 11 over 11 knot intervals: knot j sits exactly at sample start + j.
    for k in range(10):
        y = render_template(k, 30, width=11, start=5, amplitude=2.0)
        np.testing.assert_allclose(y[5:17], 2 * SEQUENCE_TEMPLATES[k], atol=1e-6)
        assert np.all(y[:5] == 0) and np.all(y[17:] == 0)


@given(n=st.integers(1, 40), length=st.integers(24, 100), seed=st.integers(0, 2**32))
def test_shapes_dtypes_and_determinism(n, length, seed):
    x, y = make_sequences(n, np.random.default_rng(seed), length=length)
    assert x.shape == (n, 1, length) and x.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    assert np.all(np.isfinite(x))
    np.testing.assert_array_equal(np.sort(y), np.sort(np.arange(n) % 10))  # balanced
    x2, y2 = make_sequences(n, seed, length=length)  # an int seed is the same stream
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)


def test_different_seeds_differ():
    a, _ = make_sequences(20, np.random.default_rng(0))
    b, _ = make_sequences(20, np.random.default_rng(1))
    assert not np.allclose(a, b)


def test_without_noise_and_trend_the_signal_is_a_scaled_template():
    x, y = make_sequences(200, 0, noise=0.0, trend=0.0)
    for signal, k in zip(x[:, 0], y):
        peak = signal[np.argmax(np.abs(signal))]
        template_peak = SEQUENCE_TEMPLATES[k][np.argmax(np.abs(SEQUENCE_TEMPLATES[k]))]
        assert np.sign(peak) == np.sign(template_peak)
        assert np.abs(signal).max() <= 1.3 + 1e-6
        # Plateaus are sampled at full height; only the ramps' tips can be missed.
        low = 0.7 * 0.75 if SEQUENCE_CLASSES[k].startswith("ramp") else 0.7 - 1e-6
        assert np.abs(signal).max() >= low


def test_shift_false_centres_the_event():
    x, _ = make_sequences(200, 0, noise=0.0, trend=0.0, shift=False)
    energy = np.abs(x[:, 0])
    centre = (energy * np.arange(40)).sum(1) / energy.sum(1)
    assert np.all(np.abs(centre - 19.5) < 8)
    xs, _ = make_sequences(200, 0, noise=0.0, trend=0.0, shift=True)
    energy = np.abs(xs[:, 0])
    centre_shifted = (energy * np.arange(40)).sum(1) / energy.sum(1)
    assert centre_shifted.std() > 2 * centre.std()


def test_load_sequences_streams():
    a = load_sequences(100, 40, seed=3)
    b = load_sequences(250, 40, seed=3)
    assert a.x_train.shape == (100, 1, 40) and a.x_test.shape == (40, 1, 40)
    np.testing.assert_array_equal(a.x_test, b.x_test)  # test set independent of n_train
    assert not np.array_equal(a.x_test, load_sequences(100, 40, seed=4).x_test)
    (xtr, ytr), (xte, yte) = a
    assert ytr.dtype == np.int64 and a.name == "sequences"


def _detrend(s):
    t = np.arange(s.shape[1]) - (s.shape[1] - 1) / 2
    s = s - np.median(s, axis=1, keepdims=True)
    return s - np.outer(s @ t / (t @ t), t)


def _nearest_centroid_accuracy(features_train, y_train, features_test, y_test):
    centroids = np.stack([features_train[y_train == k].mean(0) for k in range(10)])
    d = ((features_test[:, None, :] - centroids[None]) ** 2).sum(-1)
    return float((d.argmin(1) == y_test).mean())


def test_shift_invariant_features_beat_raw_samples():
    """One 'convolution' (the templates as filters) + global max pooling is shift invariant."""
    data = load_sequences(2000, 1000, seed=0)
    x, xt = data.x_train[:, 0].astype(np.float64), data.x_test[:, 0].astype(np.float64)
    width = int(np.mean(WIDTH_RANGE) * 40)
    bank = [render_template(k, width + 2, width=width, start=1).astype(np.float64) for k in range(10)]

    def conv_max_features(signals):
        s = _detrend(signals)
        feats = []
        for kernel in bank:
            c = np.stack([np.correlate(row, kernel, "valid") for row in s])
            feats += [c.max(1), -c.min(1)]
        return np.stack(feats, 1)

    raw = _nearest_centroid_accuracy(x, data.y_train, xt, data.y_test)
    invariant = _nearest_centroid_accuracy(conv_max_features(x), data.y_train,
                                           conv_max_features(xt), data.y_test)
    assert invariant > 0.6  # chance is 0.1
    assert invariant > raw + 0.15
    # Without shifts, even raw samples are easy: the shift is what makes the task.
    centred = load_sequences(2000, 1000, seed=0, shift=False)
    easy = _nearest_centroid_accuracy(centred.x_train[:, 0], centred.y_train,
                                      centred.x_test[:, 0], centred.y_test)
    assert easy > 0.85


def test_a_small_1d_cnn_learns_the_task():
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny model: threads only add overhead
    try:
        torch.manual_seed(0)
        data = load_sequences(1000, 500, seed=0)
        x, y = torch.tensor(data.x_train), torch.tensor(data.y_train)
        model = torch.nn.Sequential(
            torch.nn.Conv1d(1, 16, 5, padding=2), torch.nn.ReLU(),
            torch.nn.Conv1d(16, 32, 5, padding=2), torch.nn.ReLU(),
            torch.nn.AdaptiveMaxPool1d(1), torch.nn.Flatten(), torch.nn.Linear(32, 10),
        )
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        for _ in range(12):
            perm = torch.randperm(len(x))
            for i in range(0, len(x), 50):
                idx = perm[i:i + 50]
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
                opt.step()
        with torch.no_grad():
            correct = model(torch.tensor(data.x_test)).argmax(1) == torch.tensor(data.y_test)
    finally:
        torch.set_num_threads(threads)
    assert correct.float().mean().item() > 0.7  # chance is 0.1


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: make_sequences(0, 0), ValueError, "make_sequences: n must be >= 1, got 0"),
        (lambda: make_sequences(5, None), TypeError, "make_sequences: rng must be a numpy.random.Generator"),
        (lambda: make_sequences(5, -1), ValueError, "rng as an integer seed must be >= 0"),
        (lambda: make_sequences(5, 0, length=10), ValueError, "length must be >= 24, got 10"),
        (lambda: make_sequences(5, 0, noise=-1), ValueError, "noise must be >= 0.0, got -1.0"),
        (lambda: make_sequences(5, 0, trend=float("nan")), ValueError, "trend must be finite"),
        (lambda: make_sequences(5, 0, shift=1), TypeError, "shift must be True or False"),
        (lambda: load_sequences(10, 0), ValueError, "load_sequences: n_test must be >= 1"),
        (lambda: load_sequences(seed=1.5), TypeError, "load_sequences: seed must be an integer"),
        (lambda: render_template(10), ValueError, "render_template: label must be <= 9, got 10"),
        (lambda: render_template(0, 40, width=50), ValueError, "width must be <= 40.0"),
        (lambda: render_template(0, 40, width=20, start=25), ValueError, "start must be <= 20.0"),
    ],
)
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
