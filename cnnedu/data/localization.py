r"""Where is the digit? Digits pasted at random places on a larger canvas, with their bounding boxes.

The lecture's question after classification: "can we detect the *position* of
the main object?"  Each example here is a ``canvas_size x canvas_size`` black
canvas with one digit on it, rescaled by a random factor and pasted at a random
place, together with

* its class (the digit), and
* its **bounding box**: the smallest axis-aligned rectangle holding every pixel
  of the digit brighter than ``ink_threshold``.

Box format
----------
A box is four numbers ``(x_min, y_min, x_max, y_max)`` (torchvision's "xyxy"
order: ``x`` along the columns, ``y`` down the rows), **normalised** by the
canvas size so that they lie in :math:`[0, 1]` whatever the canvas:

.. math::

    x_{min} = \frac{c_0}{W}, \quad y_{min} = \frac{r_0}{H}, \quad
    x_{max} = \frac{c_1 + 1}{W}, \quad y_{max} = \frac{r_1 + 1}{H}

for ink in columns :math:`c_0 \dots c_1` and rows :math:`r_0 \dots r_1`: pixel
:math:`c` covers :math:`[c, c+1)`, so a box one pixel wide has width
:math:`1/W`, and ``x_max * W - x_min * W`` counts the pixels.  The width and
height are ``x_max - x_min`` and ``y_max - y_min``; the area their product.

The lecture's slide has the box head predict "the corners of the bounding box
(8 coordinates)".  Four corners of an *axis-aligned* rectangle are eight numbers
but only four degrees of freedom: the two left corners share ``x_min``, the two
top corners ``y_min``, and so on.  :func:`box_corners` turns four numbers into
the eight; predicting eight would make the network learn the equalities too (and
its predictions would break them).  Eight numbers are the right count only for a
general quadrilateral, e.g. a rotated box.

:func:`iou` measures how well a predicted box matches the true one,
intersection over union, 1 for a perfect box and 0 for boxes that do not touch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import as_numeric, check_int, check_range, check_real, check_rng

__all__ = [
    "CANVAS_SIZE", "DIGIT_SCALE_RANGE", "INK_THRESHOLD",
    "BoxDataset", "place_digits", "load_localization", "box_corners", "box_area", "iou",
]

#: Default side of the square canvas, in pixels.
CANVAS_SIZE = 40
#: Default range of the rescaling factor of a 28x28 digit (uniform): 17 to 28 pixels.
DIGIT_SCALE_RANGE = (0.6, 1.0)
#: Pixels brighter than this count as ink for the bounding box.
INK_THRESHOLD = 0.1


@dataclass(frozen=True, eq=False)
class BoxDataset:
    """A train/test split of canvases with a class and a bounding box each.

    It unpacks like :class:`~cnnedu.data.Dataset`, with the targets as the pair
    a two-headed model is trained on (:func:`cnnedu.train.fit`)::

        (x_train, (y_train, boxes_train)), (x_test, (y_test, boxes_test)) = load_localization()

    Attributes
    ----------
    x_train, x_test : numpy.ndarray
        float32 canvases ``(N, 1, H, W)`` in ``[0, 1]``.
    y_train, y_test : numpy.ndarray
        int64 class labels ``(N,)``.
    boxes_train, boxes_test : numpy.ndarray
        float32 ``(N, 4)`` boxes ``(x_min, y_min, x_max, y_max)`` in ``[0, 1]``
        (module docstring).
    name, description : str
    """

    x_train: np.ndarray
    y_train: np.ndarray
    boxes_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    boxes_test: np.ndarray
    name: str
    description: str = ""

    def __iter__(self):
        yield (self.x_train, (self.y_train, self.boxes_train))
        yield (self.x_test, (self.y_test, self.boxes_test))

    def __repr__(self) -> str:
        return (f"BoxDataset(name={self.name!r}, x_train={self.x_train.shape} {self.x_train.dtype}, "
                f"x_test={self.x_test.shape} {self.x_test.dtype})")


def _rescale(image: np.ndarray, factor: float) -> np.ndarray:
    """Bilinear rescaling of one 2-D image by ``factor`` (its new side is ``round(factor * side)``)."""
    from scipy.ndimage import zoom

    if factor == 1.0:
        return image.astype(np.float64)
    return np.clip(zoom(image.astype(np.float64), factor, order=1, grid_mode=True, mode="grid-constant"),
                   0.0, None)


def _ink_box(canvas: np.ndarray, threshold: float):
    """(r0, r1, c0, c1) of the pixels above ``threshold``, or None."""
    ink = canvas > threshold
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return None
    return rows[0], rows[-1], cols[0], cols[-1]


def place_digits(digits, rng, canvas_size: int = CANVAS_SIZE, *, scale_range=DIGIT_SCALE_RANGE,
                 ink_threshold: float = INK_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """Paste each digit, rescaled, at a random place on its own canvas; return canvases and boxes.

    For every digit independently: a factor ``s`` is drawn uniformly from
    ``scale_range`` and the digit is rescaled (bilinear) to
    ``round(s * h) x round(s * w)`` pixels; a top-left corner is drawn
    uniformly among the positions where it fits entirely; the box is that of
    the ink (pixels > ``ink_threshold``) on the canvas (module docstring).

    Parameters
    ----------
    digits : array_like
        ``(N, 1, h, w)`` or ``(N, h, w)`` images in ``[0, 1]``, e.g. MNIST digits,
        each with at least one pixel above ``ink_threshold``.
    rng : numpy.random.Generator or int
        Source of the scales and positions (an int is a seed).
    canvas_size : int
        Side of the square canvas; the largest rescaled digit must fit.
    scale_range : (float, float)
        Range of the rescaling factor, ``0 < low <= high``.
    ink_threshold : float in [0, 1)

    Returns
    -------
    canvases : numpy.ndarray
        float32 ``(N, 1, canvas_size, canvas_size)``.
    boxes : numpy.ndarray
        float32 ``(N, 4)``, ``(x_min, y_min, x_max, y_max)`` normalised to ``[0, 1]``.

    Examples
    --------
    >>> digit = np.zeros((1, 1, 4, 4)); digit[0, 0, 1:3, 2] = 1.0     # a 2x1 stroke
    >>> canvas, box = place_digits(digit, 0, canvas_size=10, scale_range=(1, 1))
    >>> canvas.shape, (box * 10).round().astype(int).tolist()          # in pixels
    ((1, 1, 10, 10), [[3, 4, 4, 6]])
    >>> canvas[0, 0, 4:6, 3].tolist()
    [1.0, 1.0]
    """
    fn = "place_digits"
    x = as_numeric(fn, "digits", digits)
    if x.ndim == 4:
        if x.shape[1] != 1:
            raise ValueError(f"{fn}: digits must have one channel, shape (N, 1, h, w), got {x.shape}")
        x = x[:, 0]
    if x.ndim != 3 or 0 in x.shape:
        raise ValueError(f"{fn}: digits must have shape (N, 1, h, w) or (N, h, w), got {np.shape(digits)}")
    if not np.isfinite(x).all():
        raise ValueError(f"{fn}: digits contain NaN or inf")
    rng = check_rng(fn, rng)
    canvas_size = check_int(fn, "canvas_size", canvas_size, 1)
    low, high = check_range(fn, "scale_range", scale_range, positive=True)
    ink_threshold = check_real(fn, "ink_threshold", ink_threshold, 0.0)
    if ink_threshold >= 1.0:
        raise ValueError(f"{fn}: ink_threshold must be < 1 (pixels are in [0, 1]), got {ink_threshold}")
    n, h, w = x.shape
    largest = max(round(high * h), round(high * w))
    if largest > canvas_size:
        raise ValueError(f"{fn}: a {h}x{w} digit rescaled by up to {high:g} is {largest} pixels wide, "
                         f"larger than the canvas ({canvas_size}); lower scale_range or enlarge the canvas")
    empty = np.flatnonzero(~(x > ink_threshold).reshape(n, -1).any(axis=1))
    if empty.size:
        raise ValueError(f"{fn}: digits[{empty[0]}] has no pixel above ink_threshold={ink_threshold:g}, "
                         f"so it has no bounding box ({empty.size} such digit(s))")

    scales = rng.uniform(low, high, size=n)
    canvases = np.zeros((n, 1, canvas_size, canvas_size), dtype=np.float32)
    boxes = np.zeros((n, 4), dtype=np.float32)
    for i in range(n):
        patch = _rescale(x[i], scales[i])
        ph, pw = patch.shape
        top = rng.integers(0, canvas_size - ph + 1)
        left = rng.integers(0, canvas_size - pw + 1)
        canvases[i, 0, top:top + ph, left:left + pw] = np.minimum(patch, 1.0)
        found = _ink_box(canvases[i, 0], ink_threshold)
        if found is None:   # rescaling blurred the faint strokes of a tiny digit below the threshold
            raise ValueError(f"{fn}: digits[{i}] rescaled by {scales[i]:.3g} keeps no pixel above "
                             f"ink_threshold={ink_threshold:g}; raise scale_range")
        r0, r1, c0, c1 = found
        boxes[i] = (c0 / canvas_size, r0 / canvas_size, (c1 + 1) / canvas_size, (r1 + 1) / canvas_size)
    return canvases, boxes


def load_localization(source: str = "subset", *, canvas_size: int = CANVAS_SIZE,
                      scale_range=DIGIT_SCALE_RANGE, seed: int = 0, n_train: int | None = None,
                      n_test: int | None = None) -> BoxDataset:
    """MNIST digits placed at random on ``canvas_size x canvas_size`` canvases, with boxes.

    The digits are those of :func:`~cnnedu.data.load_mnist` ``(source)`` (the
    first ``n_train`` training and ``n_test`` test digits, all by default);
    training canvases come from ``numpy.random.default_rng([seed, 0])``, test
    canvases from ``default_rng([seed, 1])``, two independent streams.

    Parameters
    ----------
    source : {"subset", "full", "auto"}
        As for :func:`~cnnedu.data.load_mnist`; ``"subset"`` (the default) never
        uses the network.
    canvas_size, scale_range
        See :func:`place_digits`.
    seed : int, >= 0
    n_train, n_test : int, optional
        How many digits of each split to use.

    Returns
    -------
    BoxDataset
        Unpacks as ``(x_train, (y_train, boxes_train)), (x_test, (y_test, boxes_test))``.

    Examples
    --------
    >>> data = load_localization(n_train=20, n_test=10)
    >>> data.x_train.shape, data.boxes_train.shape, data.y_test.shape
    ((20, 1, 40, 40), (20, 4), (10,))
    >>> bool((data.boxes_train[:, 2:] > data.boxes_train[:, :2]).all())
    True
    """
    from .mnist import load_mnist

    fn = "load_localization"
    seed = check_int(fn, "seed", seed, 0)
    mnist = load_mnist(source, progress=False)
    picked = []
    for name, count, x, y in (("n_train", n_train, mnist.x_train, mnist.y_train),
                              ("n_test", n_test, mnist.x_test, mnist.y_test)):
        count = len(x) if count is None else check_int(fn, name, count, 1, len(x))
        picked.append((x[:count], y[:count]))
    (xtr, ytr), (xte, yte) = picked
    c_train, b_train = place_digits(xtr, np.random.default_rng([seed, 0]), canvas_size,
                                    scale_range=scale_range)
    c_test, b_test = place_digits(xte, np.random.default_rng([seed, 1]), canvas_size,
                                  scale_range=scale_range)
    low, high = check_range(fn, "scale_range", scale_range, positive=True)
    return BoxDataset(c_train, ytr.copy(), b_train, c_test, yte.copy(), b_test, f"{mnist.name}-localization",
                      f"{mnist.description}; each digit rescaled by U({low:g}, {high:g}) and pasted at a "
                      f"random place on a {canvas_size}x{canvas_size} canvas (seed {seed})")


def _as_boxes(fn: str, name: str, boxes) -> np.ndarray:
    b = as_numeric(fn, name, boxes)
    if b.ndim == 0 or b.shape[-1] != 4:
        raise ValueError(f"{fn}: {name} must have shape (..., 4), boxes (x_min, y_min, x_max, y_max), "
                         f"got shape {b.shape}")
    b = b.astype(np.float64)
    if not np.isfinite(b).all():
        raise ValueError(f"{fn}: {name} contains NaN or inf")
    return b


def box_corners(boxes) -> np.ndarray:
    """The four corners of each box, the lecture's "8 coordinates": ``(..., 4, 2)`` as ``(x, y)``.

    Top-left, top-right, bottom-right, bottom-left:
    ``(x_min, y_min), (x_max, y_min), (x_max, y_max), (x_min, y_max)``.
    Only four of the eight numbers are free (module docstring).

    Examples
    --------
    >>> box_corners([0.1, 0.2, 0.5, 0.9]).tolist()
    [[0.1, 0.2], [0.5, 0.2], [0.5, 0.9], [0.1, 0.9]]
    """
    b = _as_boxes("box_corners", "boxes", boxes)
    x0, y0, x1, y1 = np.moveaxis(b, -1, 0)
    return np.stack([np.stack([x0, y0], -1), np.stack([x1, y0], -1),
                     np.stack([x1, y1], -1), np.stack([x0, y1], -1)], axis=-2)


def box_area(boxes) -> np.ndarray:
    r"""Area of each box, :math:`\max(0, x_{max} - x_{min}) \cdot \max(0, y_{max} - y_{min})`.

    A box with ``x_max < x_min`` (or ``y_max < y_min``), which a network may
    predict, is empty: area 0.

    Examples
    --------
    >>> box_area([[0.0, 0.0, 0.5, 0.4], [0.5, 0.5, 0.2, 0.9]]).tolist()
    [0.2, 0.0]
    """
    b = _as_boxes("box_area", "boxes", boxes)
    return np.clip(b[..., 2] - b[..., 0], 0, None) * np.clip(b[..., 3] - b[..., 1], 0, None)


def iou(boxes_a, boxes_b) -> np.ndarray:
    r"""Intersection over union of corresponding boxes, elementwise (with broadcasting).

    .. math::

        IoU(A, B) = \frac{|A \cap B|}{|A \cup B|} = \frac{|A \cap B|}{|A| + |B| - |A \cap B|}

    where the intersection of two axis-aligned boxes is the box
    :math:`(\max x_{min}, \max y_{min}, \min x_{max}, \min y_{max})` (empty if
    it is inverted).  1 for identical boxes, 0 for boxes that do not overlap;
    0 also when both boxes are empty (the union has no area).  Unlike
    ``torchvision.ops.box_iou``, which compares every box of one set with every
    box of the other, this pairs box ``i`` of ``boxes_a`` with box ``i`` of
    ``boxes_b`` (a prediction with its target).

    Parameters
    ----------
    boxes_a, boxes_b : array_like, shape (..., 4)
        ``(x_min, y_min, x_max, y_max)``; the leading shapes broadcast.

    Returns
    -------
    numpy.ndarray
        float64, the broadcast leading shape.

    Examples
    --------
    >>> iou([0, 0, 2, 2], [1, 1, 3, 3])         # overlap 1, union 4 + 4 - 1
    array(0.14285714)
    >>> iou([[0, 0, 1, 1], [0, 0, 1, 1]], [[0, 0, 1, 1], [2, 2, 3, 3]]).tolist()
    [1.0, 0.0]
    """
    fn = "iou"
    a = _as_boxes(fn, "boxes_a", boxes_a)
    b = _as_boxes(fn, "boxes_b", boxes_b)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{fn}: boxes_a and boxes_b must have broadcastable shapes, got {a.shape} and "
                         f"{b.shape}") from None
    inter = np.concatenate([np.maximum(a[..., :2], b[..., :2]), np.minimum(a[..., 2:], b[..., 2:])], -1)
    i = box_area(inter)
    union = box_area(a) + box_area(b) - i
    return np.divide(i, union, out=np.zeros_like(i), where=union > 0)
