"""cnnedu.data.localization: canvases and boxes, box geometry and IoU against independent oracles.

Oracles: the box of a canvas is re-derived by scanning every pixel in plain
Python; IoU is checked against hand-computed values and against counting the
cells of a fine grid that each box covers (a raster, independent of the
max/min formula); the drawing against the box's pixel coordinates.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnedu.data import (BoxDataset, box_area, box_corners, iou, load_localization, load_mnist,
                         place_digits)
from cnnedu.data.localization import CANVAS_SIZE, INK_THRESHOLD


def _ink_box_by_scanning(canvas, threshold):
    """(x_min, y_min, x_max, y_max) in pixels, from a plain loop over every pixel."""
    rows, cols = [], []
    for r in range(canvas.shape[0]):
        for c in range(canvas.shape[1]):
            if canvas[r, c] > threshold:
                rows.append(r)
                cols.append(c)
    return min(cols), min(rows), max(cols) + 1, max(rows) + 1


@pytest.fixture(scope="module")
def mnist_digits():
    (x, y), _ = load_mnist("subset")
    return x[:60], y[:60]


def test_boxes_are_the_ink_boxes_found_by_scanning(mnist_digits):
    x, _ = mnist_digits
    canvases, boxes = place_digits(x[:25], np.random.default_rng(3))
    assert canvases.shape == (25, 1, CANVAS_SIZE, CANVAS_SIZE) and canvases.dtype == np.float32
    assert boxes.shape == (25, 4) and boxes.dtype == np.float32
    for canvas, box in zip(canvases, boxes):
        expected = _ink_box_by_scanning(canvas[0], INK_THRESHOLD)
        assert np.allclose(box * CANVAS_SIZE, expected, atol=1e-4)


def test_the_digit_is_pasted_unchanged_at_scale_one(mnist_digits):
    x, _ = mnist_digits
    canvases, _ = place_digits(x[:10], 0, canvas_size=36, scale_range=(1.0, 1.0))
    for digit, canvas in zip(x[:10, 0], canvases[:, 0]):
        # exactly one placement of the 28x28 digit reproduces the canvas
        hits = []
        for t in range(9):
            for l in range(9):
                rest = canvas.copy()
                rest[t:t + 28, l:l + 28] = 0
                if np.array_equal(canvas[t:t + 28, l:l + 28], digit) and not rest.any():
                    hits.append((t, l))
        assert len(hits) == 1


@given(st.integers(1, 6), st.integers(3, 9), st.integers(3, 9), st.integers(0, 10_000))
def test_random_strokes_on_any_canvas(n, h, w, seed):
    rng = np.random.default_rng(seed)
    digits = (rng.uniform(size=(n, h, w)) > 0.6).astype(np.float64)
    digits[:, h // 2, w // 2] = 1.0                        # at least one ink pixel each
    size = max(h, w) + rng.integers(0, 6)
    canvases, boxes = place_digits(digits, rng, canvas_size=int(size), scale_range=(1, 1))
    assert np.all((boxes >= 0) & (boxes <= 1)) and np.all(boxes[:, 2:] > boxes[:, :2])
    for canvas, box in zip(canvases[:, 0], boxes):
        assert np.allclose(box * size, _ink_box_by_scanning(canvas, INK_THRESHOLD), atol=1e-5)
        assert canvas.sum() > 0


def test_same_seed_same_canvases_and_scales_in_range(mnist_digits):
    x, _ = mnist_digits
    a = place_digits(x, 7, scale_range=(0.6, 0.8))
    b = place_digits(x, np.random.default_rng(7), scale_range=(0.6, 0.8))
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    sides = (a[1][:, 2:] - a[1][:, :2]) * CANVAS_SIZE
    assert sides.max() <= round(0.8 * 28) and sides.min() >= 1
    c = place_digits(x, 8, scale_range=(0.6, 0.8))
    assert not np.array_equal(a[0], c[0])


def test_positions_cover_the_canvas(mnist_digits):
    x, _ = mnist_digits
    _, boxes = place_digits(np.repeat(x[:1], 300, axis=0), 0)
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    assert centres.min() < 0.3 and centres.max() > 0.7        # not always in the middle


def test_load_localization_splits_and_unpacks():
    data = load_localization(n_train=30, n_test=12, seed=2)
    assert isinstance(data, BoxDataset)
    (xtr, (ytr, btr)), (xte, (yte, bte)) = data
    assert xtr.shape == (30, 1, 40, 40) and ytr.shape == (30,) and btr.shape == (30, 4)
    assert xte.shape == (12, 1, 40, 40) and yte.dtype == np.int64
    (xm, ym), _ = load_mnist("subset")
    assert np.array_equal(ytr, ym[:30])
    again = load_localization(n_train=30, n_test=12, seed=2)
    assert np.array_equal(again.x_train, xtr) and np.array_equal(again.boxes_test, bte)
    more = load_localization(n_train=31, n_test=12, seed=2)
    assert np.array_equal(more.x_test, xte)                   # test canvases do not depend on n_train
    assert "40x40" in data.description and "BoxDataset" in repr(data)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(digits=np.zeros((2, 2, 5, 5))), ValueError, "one channel"),
    (dict(digits=np.zeros((5, 5))), ValueError, r"\(N, 1, h, w\)"),
    (dict(digits=np.zeros((2, 5, 5))), ValueError, "no pixel above ink_threshold"),
    (dict(digits=np.full((1, 5, 5), np.nan)), ValueError, "NaN"),
    (dict(canvas_size=20), ValueError, "larger than the canvas"),
    (dict(scale_range=(0.0, 1.0)), ValueError, "scale_range"),
    (dict(scale_range=(1.0, 0.5)), ValueError, "low <= high"),
    (dict(ink_threshold=1.0), ValueError, "ink_threshold"),
    (dict(rng=None), TypeError, "rng"),
    (dict(canvas_size=0), ValueError, "canvas_size"),
])
def test_place_digits_bad_input(kwargs, error, match):
    args = dict(digits=np.ones((2, 28, 28)), rng=0, canvas_size=40, scale_range=(0.6, 1.0))
    args.update(kwargs)
    with pytest.raises(error, match=match):
        place_digits(args.pop("digits"), args.pop("rng"), args.pop("canvas_size"), **args)


def test_load_localization_bad_input():
    with pytest.raises(ValueError, match="n_train must be <= 4000"):
        load_localization(n_train=5000)
    with pytest.raises(ValueError, match="seed"):
        load_localization(seed=-1)


# --------------------------------------------------------------------------- box geometry


def test_corners_are_eight_numbers_with_four_degrees_of_freedom():
    boxes = np.array([[0.1, 0.2, 0.4, 0.9], [0.0, 0.5, 1.0, 0.75]])
    c = box_corners(boxes)
    assert c.shape == (2, 4, 2)
    assert np.array_equal(c[0], [[0.1, 0.2], [0.4, 0.2], [0.4, 0.9], [0.1, 0.9]])
    # the eight numbers repeat four: left corners share x_min, top corners y_min, ...
    assert np.array_equal(c[:, 0, 0], c[:, 3, 0]) and np.array_equal(c[:, 1, 0], c[:, 2, 0])
    assert np.array_equal(c[:, 0, 1], c[:, 1, 1]) and np.array_equal(c[:, 2, 1], c[:, 3, 1])
    assert np.array_equal(np.concatenate([c[:, 0], c[:, 2]], axis=1), boxes)   # and give them back


def test_area_by_hand():
    assert box_area([0.0, 0.0, 0.5, 0.4]) == pytest.approx(0.2)
    assert box_area([[1, 1, 3, 4], [2, 2, 1, 5]]).tolist() == [6.0, 0.0]        # inverted: empty


@pytest.mark.parametrize("a, b, expected", [
    ([0, 0, 2, 2], [1, 1, 3, 3], 1 / 7),          # overlap 1, union 4 + 4 - 1
    ([0, 0, 2, 2], [0, 0, 2, 2], 1.0),
    ([0, 0, 1, 1], [1, 0, 2, 1], 0.0),            # touching edges: no area in common
    ([0, 0, 1, 1], [2, 2, 3, 3], 0.0),
    ([0, 0, 4, 4], [1, 1, 3, 3], 4 / 16),         # one inside the other: ratio of the areas
    ([0, 0, 4, 2], [2, 0, 6, 2], 4 / 12),         # half of each
    ([0.1, 0.1, 0.3, 0.5], [0.2, 0.3, 0.4, 0.6], 0.02 / 0.12),  # 0.1 x 0.2 overlap; 0.08 + 0.06 - 0.02
    ([1, 1, 0, 0], [1, 1, 0, 0], 0.0),            # both empty: defined as 0
])
def test_iou_by_hand(a, b, expected):
    assert float(iou(a, b)) == pytest.approx(expected)
    assert float(iou(b, a)) == pytest.approx(expected)


def _raster_iou(a, b, cells):
    """IoU by counting the cells (of side 1/cells) whose centres lie in each box."""
    centres = (np.arange(cells) + 0.5) / cells
    xx, yy = np.meshgrid(centres, centres)
    inside = [(xx > x0) & (xx < x1) & (yy > y0) & (yy < y1) for x0, y0, x1, y1 in (a, b)]
    union = np.count_nonzero(inside[0] | inside[1])
    return np.count_nonzero(inside[0] & inside[1]) / union if union else 0.0


box_on_grid = st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(1, 20), st.integers(1, 20)).map(
    lambda t: (t[0] / 40, t[1] / 40, (t[0] + t[2]) / 40, (t[1] + t[3]) / 40))


@given(box_on_grid, box_on_grid)
def test_iou_equals_counting_cells(a, b):
    assert float(iou(a, b)) == pytest.approx(_raster_iou(a, b, 80), abs=1e-12)


def test_iou_broadcasts_and_pairs_boxes():
    a = np.array([[0, 0, 2, 2], [0, 0, 1, 1]])
    assert iou(a, a).tolist() == [1.0, 1.0]
    assert iou(a, [0, 0, 2, 2]).tolist() == [1.0, 0.25]
    assert iou(a[None], a[:, None]).shape == (2, 2)


def test_iou_bad_input():
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 4\)"):
        iou([0, 0, 1], [0, 0, 1, 1])
    with pytest.raises(ValueError, match="broadcastable"):
        iou(np.zeros((3, 4)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        iou([0, 0, np.nan, 1], [0, 0, 1, 1])
    with pytest.raises(TypeError, match="numeric"):
        box_corners(["a", "b", "c", "d"])


# --------------------------------------------------------------------------- drawing


def test_plot_boxes_draws_each_box_on_its_pixels():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cnnedu import viz

    images = np.zeros((3, 1, 10, 20))
    true = np.array([[0.1, 0.2, 0.5, 0.6]] * 3)
    pred = np.array([[0.0, 0.0, 1.0, 1.0]] * 3)
    fig = viz.plot_boxes(images, true, pred, titles=["a", "b", "c"], ncols=2)
    ax = fig.axes[0]
    solid, dashed = ax.patches
    # x from 0.1 * 20 = 2 to 0.5 * 20 = 10 pixels; pixel c spans [c - 0.5, c + 0.5]
    assert solid.get_x() == pytest.approx(1.5) and solid.get_width() == pytest.approx(8)
    assert solid.get_y() == pytest.approx(1.5) and solid.get_height() == pytest.approx(4)
    assert dashed.get_width() == pytest.approx(20) and dashed.get_linestyle() == "--"
    assert ax.get_title() == "a" and sum(a.get_visible() for a in fig.axes) == 3
    plt.close(fig)
    fig = viz.plot_boxes(images[:, 0])                     # images only
    assert not fig.axes[0].patches
    plt.close(fig)
    with pytest.raises(ValueError, match=r"\(3, 4\)"):
        viz.plot_boxes(images, true[:2])
    with pytest.raises(ValueError, match="titles"):
        viz.plot_boxes(images, titles=["a"])
