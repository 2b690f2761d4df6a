"""The container every loader in :mod:`cnnedu.data` returns, and padding."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import as_image_array, check_int

__all__ = ["Dataset", "pad_images"]


@dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test split of images (or 1-D signals) with integer labels.

    Attributes
    ----------
    x_train, x_test : numpy.ndarray
        float32 inputs, channels first: ``(N, 1, H, W)`` for images,
        ``(N, 1, L)`` for sequences.  Values in ``[0, 1]`` for images.
    y_train, y_test : numpy.ndarray
        int64 class labels of shape ``(N,)``.
    name : str
        Short identifier, e.g. ``"mnist"``, ``"mnist-subset"``, ``"digits"``.
    description : str
        One sentence saying where the data came from and how it was split.

    Notes
    -----
    A ``Dataset`` unpacks like the Keras convention::

        (x_train, y_train), (x_test, y_test) = load_mnist()

    Examples
    --------
    >>> import numpy as np
    >>> d = Dataset(np.zeros((2, 1, 4, 4), np.float32), np.array([0, 1]),
    ...             np.zeros((1, 1, 4, 4), np.float32), np.array([1]), "toy", "two images")
    >>> (xtr, ytr), (xte, yte) = d
    >>> xtr.shape, xte.shape
    ((2, 1, 4, 4), (1, 1, 4, 4))
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    description: str = ""

    def __iter__(self):
        yield (self.x_train, self.y_train)
        yield (self.x_test, self.y_test)

    @property
    def train(self) -> tuple[np.ndarray, np.ndarray]:
        """``(x_train, y_train)``."""
        return self.x_train, self.y_train

    @property
    def test(self) -> tuple[np.ndarray, np.ndarray]:
        """``(x_test, y_test)``."""
        return self.x_test, self.y_test

    @property
    def n_classes(self) -> int:
        """``max(label) + 1`` over both splits."""
        return int(max(self.y_train.max(initial=-1), self.y_test.max(initial=-1))) + 1

    def __repr__(self) -> str:
        return (f"Dataset(name={self.name!r}, x_train={self.x_train.shape} {self.x_train.dtype}, "
                f"x_test={self.x_test.shape} {self.x_test.dtype}, n_classes={self.n_classes})")


def pad_images(images, size: int) -> np.ndarray:
    """Zero-pad images symmetrically to ``size x size`` pixels.

    LeNet-5 takes 32x32 inputs: MNIST's 28x28 digits padded by 2 pixels on each
    side, so that stroke ends can reach the centre of the C1 receptive fields.

    Parameters
    ----------
    images : array_like
        ``(H, W)`` or ``(N, C, H, W)``, any real dtype (kept).
    size : int
        Target height and width, ``>= max(H, W)``.  When ``size - H`` is odd the
        extra row goes at the bottom (and the extra column at the right).

    Returns
    -------
    numpy.ndarray
        ``(size, size)`` or ``(N, C, size, size)``, same dtype; the original pixels
        sit at rows ``(size - H) // 2`` to ``(size - H) // 2 + H - 1``.

    Examples
    --------
    >>> pad_images(np.ones((28, 28), np.float32), 32).shape
    (32, 32)
    """
    x = as_image_array("pad_images", "images", images)
    size = check_int("pad_images", "size", size, minimum=1)
    h, w = x.shape[-2:]
    if size < max(h, w):
        raise ValueError(f"pad_images: size must be >= the image size {h}x{w}, got {size}")
    top, left = (size - h) // 2, (size - w) // 2
    widths = [(0, 0)] * (x.ndim - 2) + [(top, size - h - top), (left, size - w - left)]
    return np.pad(x, widths, mode="constant", constant_values=0)
