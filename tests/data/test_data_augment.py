"""Random affine data augmentation (cnnedu.data.augment)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cnnedu.data import augment as A
from cnnedu.data.patterns import BITMAPS, shift

RANDOM_FUNCTIONS = [A.random_rotate, A.random_translate, A.random_rescale, A.random_flip,
                    A.random_shear, A.random_stretch, A.random_augment]


def _image(seed=0, shape=(20, 24)):
    return np.random.default_rng(seed).random(shape).astype(np.float32)


# --------------------------------------------------------------------------- the lecture's list


def test_default_ranges_are_the_lecture_values():
    assert A.ROTATION_RANGE == (0.0, 360.0)
    assert A.TRANSLATION_RANGE == (-10.0, 10.0)
    assert A.SCALE_RANGE == pytest.approx((1 / 1.6, 1.6))
    assert A.FLIP_PROBABILITY == 0.5
    assert A.SHEAR_RANGE == (-20.0, 20.0)
    assert A.STRETCH_RANGE == pytest.approx((1 / 1.3, 1.3))
    assert A.AUGMENTATIONS == tuple(A.LECTURE_AUGMENTATIONS)
    assert len(A.AUGMENTATIONS) == 6


def test_sampled_parameters_follow_the_distributions():
    p = A.sample_augmentation(20000, np.random.default_rng(0))
    assert set(p) == {"angle", "dy", "dx", "scale", "flip", "shear", "stretch"}
    assert 0 <= p["angle"].min() and p["angle"].max() <= 360 and abs(p["angle"].mean() - 180) < 5
    for key in ("dy", "dx"):
        assert -10 <= p[key].min() and p[key].max() <= 10 and abs(p[key].mean()) < 0.3
    assert -20 <= p["shear"].min() and p["shear"].max() <= 20
    assert abs(p["flip"].mean() - 0.5) < 0.02 and p["flip"].dtype == bool
    for key, a in (("scale", 1.6), ("stretch", 1.3)):
        logs = np.log(p[key])
        assert -math.log(a) - 1e-12 <= logs.min() and logs.max() <= math.log(a) + 1e-12
        # log-uniform: the log is uniform, so its mean is 0 and its spread is flat.
        assert abs(logs.mean()) < 0.01
        counts, _ = np.histogram(logs, bins=4)
        assert counts.min() > 0.9 * counts.max()


def test_only_the_chosen_transforms_are_drawn():
    p = A.sample_augmentation(10, 0, ["flipping", "rotation"])
    assert np.all(p["scale"] == 1) and np.all(p["dx"] == 0) and np.all(p["shear"] == 0)
    assert np.all(p["stretch"] == 1) and np.any(p["angle"] != 0)
    # The draws happen in a fixed order, whatever order the names are given in.
    q = A.sample_augmentation(10, 0, ["rotation", "flipping"])
    np.testing.assert_array_equal(p["angle"], q["angle"])


# --------------------------------------------------------------------------- explicit transformations


def test_rotation_by_quarter_turns_is_exact():
    img = _image(shape=(15, 15))
    np.testing.assert_allclose(A.rotate(img, 90), np.rot90(img), atol=1e-6)
    np.testing.assert_allclose(A.rotate(img, 180), np.rot90(img, 2), atol=1e-6)
    np.testing.assert_allclose(A.rotate(img, 360), img, atol=1e-6)
    np.testing.assert_allclose(A.rotate(img, 0), img)


def test_translation_by_whole_pixels_equals_shift():
    img = _image()
    np.testing.assert_array_equal(A.translate(img, 3, -2), shift(img, 3, -2))
    half = A.translate(np.eye(5), 0, 0.5)
    np.testing.assert_allclose(half[2, 2:4], [0.5, 0.5])


def test_flip_is_an_exact_mirror_and_an_involution():
    batch = np.random.default_rng(0).integers(0, 255, (3, 2, 5, 6)).astype(np.uint8)
    out = A.flip(batch, np.array([True, False, True]))
    np.testing.assert_array_equal(out[0], batch[0, :, :, ::-1])
    np.testing.assert_array_equal(out[1], batch[1])
    np.testing.assert_array_equal(A.flip(A.flip(batch)), batch)
    # The flip matrix inside the affine warp agrees with the exact mirror.
    img = _image()
    np.testing.assert_allclose(A.affine_warp(img, A.affine_matrix(flip=True)), A.flip(img), atol=1e-6)


def test_rescale_shear_stretch_at_identity():
    img = _image()
    for out in (A.rescale(img, 1.0), A.shear(img, 0.0), A.stretch(img, 1.0)):
        np.testing.assert_allclose(out, img, atol=1e-6)


def test_rescale_enlarges_about_the_centre():
    square = np.zeros((21, 21), np.float32)
    square[8:13, 8:13] = 1  # 5x5 in the centre
    big = A.rescale(square, 2.0)
    assert big[10, 10] == 1 and 85 < big.sum() < 115  # ~ 10x10
    np.testing.assert_allclose(big, big[::-1, ::-1], atol=1e-6)
    small = A.rescale(square, 0.5)
    assert 4 < small.sum() <= 9  # point sampling, no anti-aliasing: at most 3x3 ones


def test_stretch_changes_the_aspect_ratio_and_keeps_the_area():
    square = np.zeros((41, 41))
    square[10:31, 10:31] = 1  # 21x21
    out = A.stretch(square, 1.69)  # width x 1.3, height / 1.3
    rows, cols = np.nonzero(out > 0.5)
    assert np.ptp(cols) + 1 == pytest.approx(21 * 1.3, abs=1.5)
    assert np.ptp(rows) + 1 == pytest.approx(21 / 1.3, abs=1.5)
    assert out.sum() == pytest.approx(square.sum(), rel=0.05)


def test_shear_moves_rows_proportionally_to_their_height():
    img = np.zeros((21, 21))
    img[:, 10] = 1  # a vertical line through the centre
    out = A.shear(img, 45)
    for r in (0, 5, 15, 20):  # x moves by tan(45°) (r - 10)
        assert np.argmax(out[r]) == 10 + (r - 10)


def test_affine_matrix_formula():
    m = A.affine_matrix(angle=30, shear=10, scale=1.5, stretch=1.2, flip=True)
    th, ph = math.radians(30), math.radians(10)
    rot = np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    shr = np.array([[1, 0], [math.tan(ph), 1]])
    zoom = np.diag([1.5 / math.sqrt(1.2), -1.5 * math.sqrt(1.2)])
    np.testing.assert_allclose(m, rot @ shr @ zoom)
    assert abs(np.linalg.det(A.affine_matrix(stretch=1.3, shear=15, angle=77))) == pytest.approx(1)


def test_per_image_parameters():
    img = _image(shape=(9, 9))
    batch = np.stack([img, img, img])[:, None]
    out = A.rotate(batch, [0, 90, 180])
    np.testing.assert_allclose(out[0, 0], img, atol=1e-6)
    np.testing.assert_allclose(out[1, 0], np.rot90(img), atol=1e-6)
    np.testing.assert_allclose(out[2, 0], np.rot90(img, 2), atol=1e-6)


def test_integer_and_bool_images_keep_their_dtype():
    u8 = (np.random.default_rng(0).random((2, 1, 10, 10)) * 255).astype(np.uint8)
    out = A.rotate(u8, 33)
    assert out.dtype == np.uint8 and out.max() <= 255
    mask = BITMAPS["T"] > 0
    out = A.rotate(mask, 90)
    assert out.dtype == np.bool_
    np.testing.assert_array_equal(out, np.rot90(mask))


# --------------------------------------------------------------------------- random transformations


image_or_batch = st.one_of(
    hnp.arrays(st.sampled_from([np.float32, np.float64, np.uint8]),
               st.tuples(st.integers(2, 12), st.integers(2, 12))),
    hnp.arrays(st.sampled_from([np.float32, np.float64, np.uint8]),
               st.tuples(st.integers(1, 3), st.integers(1, 2), st.integers(2, 12), st.integers(2, 12))),
)


@given(images=image_or_batch, seed=st.integers(0, 2**32), which=st.sampled_from(RANDOM_FUNCTIONS))
def test_random_functions_preserve_shape_and_dtype_and_are_reproducible(images, seed, which):
    images = np.nan_to_num(images, nan=0.0, posinf=1.0, neginf=-1.0)
    out = which(images, np.random.default_rng(seed))
    assert out.shape == images.shape and out.dtype == images.dtype
    again = which(images, np.random.default_rng(seed))
    np.testing.assert_array_equal(out, again)


@pytest.mark.parametrize("which", RANDOM_FUNCTIONS)
def test_different_seeds_give_different_results(which):
    batch = np.repeat(BITMAPS["4"][None, None], 8, axis=0)
    a = which(batch, np.random.default_rng(1))
    b = which(batch, np.random.default_rng(2))
    assert not np.array_equal(a, b)
    # Within a batch each image gets its own parameters.
    assert len({img.tobytes() for img in a}) > 1


def test_channels_share_the_transformation():
    img = _image(shape=(16, 16))
    batch = np.stack([np.stack([img, img, img])] * 4)
    out = A.random_augment(batch, np.random.default_rng(0))
    for image in out:
        np.testing.assert_array_equal(image[0], image[1])
        np.testing.assert_array_equal(image[0], image[2])


def test_random_augment_equals_the_explicit_warp_with_its_parameters():
    batch = np.random.default_rng(0).random((5, 1, 12, 12))
    out, p = A.random_augment(batch, np.random.default_rng(3), return_params=True)
    for i in range(5):
        m = A.affine_matrix(p["angle"][i], p["shear"][i], p["scale"][i], p["stretch"][i], p["flip"][i])
        expected = A.affine_warp(batch[i, 0], m, (p["dy"][i], p["dx"][i]))
        np.testing.assert_allclose(out[i, 0], expected, atol=1e-12)


def test_random_flip_and_rotation_only_move_pixels():
    img = np.zeros((9, 9))
    img[4, 4] = 1
    assert A.random_rotate(img, 0)[4, 4] == pytest.approx(1.0)  # the centre stays put
    out = A.random_flip(np.stack([BITMAPS["L"][None]] * 50), np.random.default_rng(0))
    flipped = [not np.array_equal(o[0], BITMAPS["L"]) for o in out]
    assert 10 < sum(flipped) < 40
    assert A.random_flip(BITMAPS["L"], 0, probability=1.0)[1, 12] == 1


def test_custom_ranges_are_respected():
    img = _image(shape=(15, 15))
    np.testing.assert_allclose(A.random_rotate(img, 0, angle_range=(90, 90)), np.rot90(img), atol=1e-6)
    np.testing.assert_array_equal(A.random_translate(img, 0, shift_range=(2, 2)), shift(img, 2, 2))
    np.testing.assert_allclose(A.random_rescale(img, 0, scale_range=(1, 1)), img, atol=1e-6)


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: A.rotate(np.zeros((2, 3, 4)), 10), ValueError,
         r"rotate: images must have shape \(H, W\) or \(N, C, H, W\), got shape \(2, 3, 4\)"),
        (lambda: A.rotate(np.array([["a"]]), 10), TypeError, "rotate: images must be a real numeric array"),
        (lambda: A.rotate(np.zeros((3, 3)), "90"), TypeError, "rotate: angle must be a real number"),
        (lambda: A.rotate(np.zeros((2, 1, 3, 3)), [1, 2, 3]), ValueError,
         r"rotate: angle must be a scalar or have shape \(2,\)"),
        (lambda: A.rescale(np.zeros((3, 3)), 0), ValueError, "rescale: factor must be > 0, got 0"),
        (lambda: A.stretch(np.zeros((3, 3)), -1.3), ValueError, "stretch: factor must be > 0, got -1.3"),
        (lambda: A.shear(np.zeros((3, 3)), 90), ValueError,
         r"shear: angle must be in \(-90, 90\) degrees, got 90"),
        (lambda: A.translate(np.zeros((3, 3)), float("inf"), 0), ValueError, "translate: dy must be finite"),
        (lambda: A.flip(np.zeros((3, 3)), 1), TypeError, "flip: flipped must be a bool"),
        (lambda: A.affine_warp(np.zeros((3, 3)), np.zeros((2, 2))), ValueError,
         "affine_warp: matrix must be invertible"),
        (lambda: A.affine_warp(np.zeros((3, 3)), np.eye(3)), ValueError,
         r"affine_warp: matrix must have shape \(2, 2\) or \(1, 2, 2\), got \(3, 3\)"),
        (lambda: A.random_rotate(np.zeros((3, 3)), None), TypeError,
         "random_rotate: rng must be a numpy.random.Generator"),
        (lambda: A.random_rotate(np.zeros((3, 3)), 0, angle_range=(10, 0)), ValueError,
         r"random_rotate: angle_range must satisfy low <= high, got \(10, 0\)"),
        (lambda: A.random_rescale(np.zeros((3, 3)), 0, scale_range=(0, 2)), ValueError,
         r"random_rescale: scale_range\[0\] must be > 0.0"),
        (lambda: A.random_shear(np.zeros((3, 3)), 0, angle_range=(-95, 0)), ValueError,
         r"random_shear: angle_range must lie within \(-90, 90\)"),
        (lambda: A.random_translate(np.zeros((3, 3)), 0, shift_range=5), TypeError,
         "random_translate: shift_range must be a pair"),
        (lambda: A.random_flip(np.zeros((3, 3)), 0, probability=1.5), ValueError,
         "random_flip: probability must be <= 1.0, got 1.5"),
        (lambda: A.random_augment(np.zeros((3, 3)), 0, ["zoom"]), ValueError,
         r"random_augment: transforms must be names from .*'zoom'"),
        (lambda: A.random_augment(np.zeros((3, 3)), 0, return_params=1), TypeError,
         "random_augment: return_params must be True or False"),
        (lambda: A.sample_augmentation(0, 0), ValueError, "sample_augmentation: n must be >= 1, got 0"),
    ],
)
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
