"""Bitmaps, bars and shapes for the neocognitron chapter (cnnedu.data.patterns)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnedu.data import patterns
from cnnedu.data.patterns import (
    BAR_ORIENTATIONS,
    BITMAPS,
    DIGIT_ART,
    LETTER_ART,
    SHAPES,
    add_noise,
    bitmap,
    bitmap_set,
    deform,
    make_bar,
    make_bitmap_variants,
    make_shape,
    shift,
)


def test_the_bitmaps_are_16x16_binary_and_distinct():
    assert set(DIGIT_ART) == set("01234") and set(LETTER_ART) >= set("ATLX")
    keys = {}
    for name, image in BITMAPS.items():
        assert image.shape == (16, 16) and image.dtype == np.float32
        assert set(np.unique(image)) == {0.0, 1.0}
        assert not image.flags.writeable
        # Blank border row and column somewhere, so small shifts keep the character whole.
        assert 20 < image.sum() < 120
        keys[image.tobytes()] = name
    assert len(keys) == len(BITMAPS)


def test_bitmap_matches_its_ascii_art():
    rows = DIGIT_ART["2"].strip().split("\n")
    expected = np.array([[c == "#" for c in r] for r in rows], dtype=np.float32)
    np.testing.assert_array_equal(bitmap("2"), expected)
    np.testing.assert_array_equal(bitmap(3), bitmap("3"))
    b = bitmap("A")
    b[:] = 0  # a copy: the table is not changed
    assert BITMAPS["A"].sum() > 0


def test_malformed_art_is_rejected():
    with pytest.raises(ValueError, match="16 rows of 16"):
        patterns._parse_art("bad", "#" * 16 + "\n" + "." * 15)


def test_bitmap_set():
    x, y = bitmap_set("ATLX")
    assert x.shape == (4, 1, 16, 16) and x.dtype == np.float32
    np.testing.assert_array_equal(y, [0, 1, 2, 3])
    np.testing.assert_array_equal(x[1, 0], BITMAPS["T"])


def test_bars():
    h = make_bar("horizontal")
    assert h.sum() == 16 and np.all(h[8] == 1)
    np.testing.assert_array_equal(make_bar("vertical"), h.T)
    d = make_bar("diagonal")
    np.testing.assert_array_equal(d, np.eye(16, dtype=np.float32))
    a = make_bar("antidiagonal")
    assert all(a[r, 16 - r] == 1 for r in range(1, 16)) and a.sum() == 15
    assert make_bar("horizontal", thickness=3).sum() == 48
    short = make_bar("vertical", length=5, offset=-2)
    assert short.sum() == 5 and np.all(short[6:11, 6] == 1)
    assert make_bar("diagonal", length=7).sum() == 7
    for o in BAR_ORIENTATIONS:
        assert make_bar(o).dtype == np.float32


@pytest.mark.parametrize("kind", SHAPES)
def test_shapes_are_binary_centred_outlines(kind):
    s = make_shape(kind)
    assert s.shape == (16, 16) and set(np.unique(s)) == {0.0, 1.0}
    rows, cols = np.nonzero(s)
    assert abs(rows.mean() - 7.5) < 1.5 and abs(cols.mean() - 7.5) < 1.5
    assert s[0].sum() == s[-1].sum() == s[:, 0].sum() == s[:, -1].sum() == 0
    assert 10 < s.sum() < 80


def test_square_and_circle_are_symmetric():
    for kind in ("square", "circle"):
        s = make_shape(kind)
        np.testing.assert_array_equal(s, s.T)
        np.testing.assert_array_equal(s, s[::-1])


@given(dy=st.integers(-4, 4), dx=st.integers(-4, 4), char=st.sampled_from(sorted(BITMAPS)))
def test_shift_moves_pixels_and_back(dy, dx, char):
    b = BITMAPS[char]
    moved = shift(b, dy, dx)
    assert moved.shape == b.shape and moved.dtype == b.dtype
    back = shift(moved, -dy, -dx)
    # Shifting back restores every pixel that stayed on the canvas.
    np.testing.assert_array_equal(back[back == 1], b[back == 1])
    keep = np.zeros_like(b)
    keep[max(0, -dy):16 - max(0, dy), max(0, -dx):16 - max(0, dx)] = 1
    np.testing.assert_array_equal(back, b * keep)


def test_shift_exact_values_and_batch():
    x, _ = bitmap_set("01")
    out = shift(x, 1, -2)
    assert out.shape == x.shape
    np.testing.assert_array_equal(out[:, :, 1:, :-2], x[:, :, :-1, 2:])
    assert out[:, :, 0].sum() == 0 and out[:, :, :, -2:].sum() == 0
    assert shift(x, 16, 0).sum() == 0


@given(seed=st.integers(0, 2**32), n=st.integers(0, 20))
def test_add_noise_flips_exactly_n_pixels(seed, n):
    b = BITMAPS["4"]
    noisy = add_noise(b, np.random.default_rng(seed), n_flips=n)
    assert noisy.dtype == b.dtype and noisy.shape == b.shape
    assert int((noisy != b).sum()) == n
    np.testing.assert_array_equal(noisy, add_noise(b, np.random.default_rng(seed), n_flips=n))


def test_add_noise_batch_and_seeds():
    x, _ = bitmap_set("01234")
    a = add_noise(x, np.random.default_rng(0), n_flips=4)
    assert np.all((a != x).sum(axis=(1, 2, 3)) == 4)
    b = add_noise(x, np.random.default_rng(1), n_flips=4)
    assert not np.array_equal(a, b)


def test_deform():
    x, _ = bitmap_set("01234ATLX")
    batch = np.repeat(x, 5, axis=0)
    out = deform(batch, np.random.default_rng(0), strength=1.5)
    assert out.shape == batch.shape and out.dtype == np.float32
    assert set(np.unique(out)) <= {0.0, 1.0}
    changed = (out != batch).mean(axis=(1, 2, 3))
    assert 0 < changed.mean() < 0.15  # slight: a few percent of the pixels
    np.testing.assert_array_equal(out, deform(batch, np.random.default_rng(0), strength=1.5))
    assert not np.array_equal(out, deform(batch, np.random.default_rng(1), strength=1.5))
    np.testing.assert_array_equal(deform(BITMAPS["3"], 0, strength=0.0), BITMAPS["3"])


def test_make_bitmap_variants():
    x, y = make_bitmap_variants("01234", 4, np.random.default_rng(0), max_shift=2, n_flips=3,
                                strength=1.0)
    assert x.shape == (20, 1, 16, 16) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(y, np.arange(20) % 5)
    x2, _ = make_bitmap_variants("01234", 4, np.random.default_rng(0), max_shift=2, n_flips=3,
                                 strength=1.0)
    np.testing.assert_array_equal(x, x2)
    # Without noise or deformation every variant is an exact shift of its prototype.
    clean, labels = make_bitmap_variants("AT", 6, 1, max_shift=2)
    for image, label in zip(clean[:, 0], labels):
        proto = BITMAPS["AT"[label]]
        assert any(np.array_equal(image, shift(proto, dy, dx))
                   for dy in range(-2, 3) for dx in range(-2, 3))


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: bitmap("7"), ValueError, "bitmap: char must be one of"),
        (lambda: bitmap(None), TypeError, "bitmap: char must be a string"),
        (lambda: bitmap_set("0Z"), ValueError, "bitmap_set: chars must be a non-empty string"),
        (lambda: bitmap_set(["0"]), TypeError, "bitmap_set: chars must be a string"),
        (lambda: make_bar("slanted"), ValueError, "make_bar: orientation must be one of"),
        (lambda: make_bar("vertical", thickness=0), ValueError, "make_bar: thickness must be >= 1"),
        (lambda: make_shape("star"), ValueError, "make_shape: kind must be one of"),
        (lambda: shift(np.zeros((16, 16)), 17, 0), ValueError, "shift: dy must be <= 16, got 17"),
        (lambda: shift(np.zeros((16, 16)), 0, 1.5), TypeError, "shift: dx must be an integer"),
        (lambda: shift(np.zeros((1, 16, 16)), 0, 0), ValueError, r"shift: images must have shape \(H, W\)"),
        (lambda: add_noise(np.full((4, 4), 0.5), 0), ValueError, "add_noise: images must be binary"),
        (lambda: add_noise(np.zeros((4, 4)), 0, n_flips=17), ValueError, "n_flips must be <= 16"),
        (lambda: add_noise(np.zeros((4, 4)), "seed"), TypeError, "add_noise: rng must be"),
        (lambda: deform(np.zeros((4, 4)), 0, strength=5), ValueError, "deform: strength must be <= 4.0"),
        (lambda: deform(np.zeros((4, 4)), 0, smoothness=0), ValueError, "smoothness must be > 0.0"),
        (lambda: make_bitmap_variants("01", 0, 0), ValueError, "n_per_class must be >= 1"),
        (lambda: make_bitmap_variants("01", 1, 0, max_shift=9), ValueError, "max_shift must be <= 8"),
    ],
)
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
