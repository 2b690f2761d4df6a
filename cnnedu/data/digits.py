"""scikit-learn's 8x8 handwritten digits in the layout of the rest of cnnedu.

The 1,797 images ship inside scikit-learn (UCI "optdigits" test set: 32x32
bitmaps whose 4x4 blocks were counted, giving 8x8 images with values 0-16), so
loading them never uses the network.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_int
from .dataset import Dataset, pad_images

__all__ = ["DIGITS_N_TRAIN", "load_digits"]

#: The fixed split: the first 1,437 images (80 %) train, the last 360 test.
DIGITS_N_TRAIN = 1437


def load_digits(*, pad_to: int | None = None) -> Dataset:
    """Load the 8x8 digits as float32 ``(N, 1, 8, 8)`` images in ``[0, 1]``.

    The split is fixed and not shuffled: images ``0 .. 1436`` in scikit-learn's
    order are the training set, ``1437 .. 1796`` the test set (33 to 37 of each
    digit).  Consecutive images tend to come from the same writer, so a
    contiguous split keeps most writers on one side and tests generalisation
    to new handwriting better than a shuffled one.

    Parameters
    ----------
    pad_to : int, optional
        Zero-pad to ``pad_to x pad_to`` (``>= 8``).

    Returns
    -------
    Dataset
        ``x_train`` float32 ``(1437, 1, 8, 8)``, values ``count / 16``;
        ``y_train`` int64 ``(1437,)``; ``x_test`` ``(360, 1, 8, 8)``;
        ``y_test`` ``(360,)``; ``name == "digits"``.

    Examples
    --------
    >>> (x_train, y_train), (x_test, y_test) = load_digits()
    >>> x_train.shape, x_test.shape, float(x_train.max())
    ((1437, 1, 8, 8), (360, 1, 8, 8), 1.0)
    """
    if pad_to is not None:
        pad_to = check_int("load_digits", "pad_to", pad_to, minimum=8)
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ModuleNotFoundError:
        raise ModuleNotFoundError("load_digits: needs scikit-learn (pip install scikit-learn)") from None
    bunch = _sk_load_digits()
    images = (bunch.images.astype(np.float32) / np.float32(16.0))[:, None, :, :]
    labels = bunch.target.astype(np.int64)
    x_train, x_test = images[:DIGITS_N_TRAIN], images[DIGITS_N_TRAIN:]
    description = (f"scikit-learn 8x8 digits: first {DIGITS_N_TRAIN} -> train, "
                   f"last {len(labels) - DIGITS_N_TRAIN} -> test")
    if pad_to is not None and pad_to != 8:
        x_train, x_test = pad_images(x_train, pad_to), pad_images(x_test, pad_to)
        description += f"; zero-padded to {pad_to}x{pad_to}"
    return Dataset(np.ascontiguousarray(x_train), labels[:DIGITS_N_TRAIN].copy(),
                   np.ascontiguousarray(x_test), labels[DIGITS_N_TRAIN:].copy(),
                   "digits", description)
