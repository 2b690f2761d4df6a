"""cnnedu.data.spectrogram: the spectrogram against a plain DFT loop, and the synthetic syllables.

Oracles: the module docstring's formula written as a loop over frames,
frequencies and samples; a cosine on a frequency bin (amplitude A shows as
A/2 there); the frame count from cnnedu.sizes.conv_output_size; and, for the
syllables, the pitch track read off a noise-free spectrogram.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnedu import sizes
from cnnedu.data import TONE_CLASSES, load_tones, make_tones, spectrogram, spectrogram_frequencies
from cnnedu.data.spectrogram import BASE_PITCH_RANGE, DURATION_RANGE, TONE_CONTOURS


def spectrogram_by_loops(x, n_fft, hop, window):
    """S[f, t] = |sum_n w[n] x[tH + n] exp(-2 pi i f n / M)| / sum_n w[n], one term at a time."""
    n_frames = (len(x) - n_fft) // hop + 1
    out = np.zeros((n_fft // 2 + 1, n_frames))
    for t in range(n_frames):
        for f in range(n_fft // 2 + 1):
            acc = 0j
            for n in range(n_fft):
                acc += window[n] * x[t * hop + n] * complex(math.cos(2 * math.pi * f * n / n_fft),
                                                            -math.sin(2 * math.pi * f * n / n_fft))
            out[f, t] = abs(acc) / sum(window)
    return out


def periodic_hann(m):
    return [0.5 - 0.5 * math.cos(2 * math.pi * n / m) for n in range(m)]


@given(st.integers(8, 60), st.integers(2, 12), st.integers(1, 7), st.integers(0, 1000))
def test_matches_the_formula_written_as_loops(length, n_fft, hop, seed):
    n_fft = min(n_fft, length)
    x = np.random.default_rng(seed).standard_normal(length)
    s = spectrogram(x, n_fft, hop, log=False)
    expected = spectrogram_by_loops(x, n_fft, hop, periodic_hann(n_fft))
    assert s.shape == expected.shape == (n_fft // 2 + 1, sizes.conv_output_size(length, n_fft, hop))
    assert np.allclose(s, expected, atol=1e-5)
    boxcar = spectrogram(x, n_fft, hop, window="boxcar", log=False)
    assert np.allclose(boxcar, spectrogram_by_loops(x, n_fft, hop, [1.0] * n_fft), atol=1e-5)


@pytest.mark.parametrize("k, amplitude", [(2, 1.0), (5, 0.3), (13, 2.0)])
def test_a_cosine_on_a_bin_shows_half_its_amplitude(k, amplitude):
    t = np.arange(300)
    s = spectrogram(amplitude * np.cos(2 * np.pi * k / 32 * t + 0.4), 32, 8, log=False)
    assert np.allclose(s[k], amplitude / 2, rtol=1e-5)
    assert (s.argmax(axis=0) == k).all()
    assert spectrogram_frequencies(32)[k] == k / 32


def test_shapes_log_and_batches():
    x = np.random.default_rng(0).standard_normal((3, 1, 100)).astype(np.float32)
    s = spectrogram(x, 16, 4)
    assert s.shape == (3, 1, 9, sizes.conv_output_size(100, 16, 4)) and s.dtype == np.float32
    assert np.allclose(s[1, 0], spectrogram(x[1, 0], 16, 4))
    assert np.allclose(spectrogram(x[:, 0], 16, 4), s)
    linear = spectrogram(x, 16, 4, log=False)
    assert np.allclose(s, np.log(linear + 1e-3), atol=1e-5)
    assert np.allclose(spectrogram(x, 16, 4, floor=0.5), np.log(linear + 0.5), atol=1e-5)
    silent = spectrogram(np.zeros(64), 16, 16)
    assert np.allclose(silent, np.log(1e-3))                  # silence is finite
    assert spectrogram(np.ones(17), 17, 1, log=False).shape == (9, 1)   # odd n_fft


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(signals=np.zeros((2, 2, 50))), ValueError, r"\(L,\), \(N, L\) or \(N, 1, L\)"),
    (dict(signals=np.zeros(0)), ValueError, "empty"),
    (dict(signals=np.array([np.nan] * 50)), ValueError, "NaN"),
    (dict(signals=np.array(["a"] * 50)), TypeError, "numeric"),
    (dict(n_fft=1), ValueError, "n_fft"),
    (dict(n_fft=51), ValueError, "at most the signal length 50"),
    (dict(hop_length=0), ValueError, "hop_length"),
    (dict(window="kaiser"), ValueError, "window"),
    (dict(log=1), TypeError, "log"),
    (dict(floor=0.0), ValueError, "floor"),
])
def test_bad_input(kwargs, error, match):
    args = dict(signals=np.zeros(50), n_fft=16, hop_length=4)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        spectrogram(args.pop("signals"), **args)


# --------------------------------------------------------------------------- the syllables


def pitch_track(x, n_fft=256, hop=16):
    """The loudest bin of each frame, in cycles per sample, and where the syllable is loud."""
    s = spectrogram(x, n_fft, hop, log=False)
    loud = s.max(axis=0) > 0.25 * s.max()
    return spectrogram_frequencies(n_fft)[s.argmax(axis=0)], loud


def test_each_class_has_its_pitch_contour():
    x, y = make_tones(40, 3, noise=0.0)
    for signal, label in zip(x[:, 0], y):
        track, loud = pitch_track(signal)
        f = track[loud]
        third = max(1, len(f) // 3)
        start, middle, end = np.median(f[:third]), np.median(f[third:-third]), np.median(f[-third:])
        low, high = BASE_PITCH_RANGE
        assert 0.8 * low <= f.min() and f.max() <= 1.2 * 1.7 * high      # the fundamental is loudest
        name = TONE_CLASSES[label]
        if name == "level":
            assert abs(end - start) <= 1 / 256
        elif name == "rising":
            assert end > start + 4 / 256
        elif name == "falling":
            assert end < start - 4 / 256
        else:                                                            # dipping
            assert middle < start and middle < end


def test_onset_duration_and_noise():
    x, y = make_tones(60, 5, noise=0.0, length=512)
    for signal in x[:, 0]:
        on = np.flatnonzero(np.abs(signal) > 0)
        assert DURATION_RANGE[0] * 512 - 2 <= on[-1] - on[0] + 1 <= DURATION_RANGE[1] * 512
    noisy, _ = make_tones(60, 5, noise=0.5, length=512)
    assert 0.45 < np.std(noisy - x) < 0.55                               # same draws, plus the noise


def test_labels_balanced_and_seeded():
    x, y = make_tones(10, 0)
    assert x.shape == (10, 1, 1024) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [3, 3, 2, 2]
    x2, y2 = make_tones(10, np.random.default_rng(0))
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    data = load_tones(12, 8, seed=1)
    assert data.x_train.shape == (12, 1, 1024) and data.n_classes == 4 and data.name == "tones"
    assert np.array_equal(load_tones(13, 8, seed=1).x_test, data.x_test)    # test split independent
    assert len(TONE_CONTOURS) == len(TONE_CLASSES)


def test_pitch_range_moves_the_pitch():
    x, y = make_tones(20, 0, noise=0.0, pitch_range=(0.1, 0.12))
    for signal, label in zip(x[:, 0], y):
        if TONE_CLASSES[label] == "level":
            track, loud = pitch_track(signal)
            assert 0.1 - 1 / 256 <= np.median(track[loud]) <= 0.12 + 1 / 256


def test_tones_bad_input():
    with pytest.raises(ValueError, match="Nyquist"):
        make_tones(4, 0, pitch_range=(0.1, 0.2))
    with pytest.raises(ValueError, match="length"):
        make_tones(4, 0, length=10)
    with pytest.raises(TypeError, match="rng"):
        make_tones(4, None)
    with pytest.raises(ValueError, match="noise"):
        make_tones(4, 0, noise=-1)
    with pytest.raises(ValueError, match="n_train"):
        load_tones(0)
