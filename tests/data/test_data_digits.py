"""scikit-learn's 8x8 digits (cnnedu.data.load_digits)."""

from __future__ import annotations

import numpy as np
import pytest

from cnnedu.data import DIGITS_N_TRAIN, load_digits

sklearn_datasets = pytest.importorskip("sklearn.datasets")


def test_layout_scaling_and_fixed_split():
    data = load_digits()
    (x_train, y_train), (x_test, y_test) = data
    assert data.name == "digits"
    assert x_train.shape == (1437, 1, 8, 8) and x_test.shape == (360, 1, 8, 8)
    assert DIGITS_N_TRAIN == 1437
    assert x_train.dtype == x_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    sk = sklearn_datasets.load_digits()
    np.testing.assert_array_equal(x_train[:, 0] * 16, sk.images[:1437])
    np.testing.assert_array_equal(x_test[:, 0] * 16, sk.images[1437:])
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), sk.target)


def test_every_digit_is_in_both_splits():
    data = load_digits()
    assert np.bincount(data.y_test, minlength=10).min() >= 30
    assert np.bincount(data.y_train, minlength=10).min() >= 130


def test_deterministic_and_contiguous():
    a, b = load_digits(), load_digits()
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert a.x_train.flags.c_contiguous and a.x_test.flags.c_contiguous


def test_padding():
    data = load_digits(pad_to=12)
    assert data.x_train.shape == (1437, 1, 12, 12)
    np.testing.assert_array_equal(data.x_train[:, :, 2:10, 2:10], load_digits().x_train)


@pytest.mark.parametrize("pad_to, error", [(4, ValueError), ("12", TypeError)])
def test_bad_pad_to(pad_to, error):
    with pytest.raises(error, match="load_digits: pad_to"):
        load_digits(pad_to=pad_to)
