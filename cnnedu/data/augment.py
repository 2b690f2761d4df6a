"""Data augmentation by random affine transformations, with the lecture's ranges.

The lecture's list (the ranges used by Dieleman et al. for the 2015 Kaggle
plankton challenge) is kept in module constants so that a notebook can print it:

============  ==================================================  ============================
name          draw                                                constant
============  ==================================================  ============================
rotation      angle uniform on [0°, 360°]                         :data:`ROTATION_RANGE`
translation   shift uniform on [-10, 10] pixels, each axis        :data:`TRANSLATION_RANGE`
rescaling     factor log-uniform on [1/1.6, 1.6]                  :data:`SCALE_RANGE`
flipping      yes or no, Bernoulli(0.5)                           :data:`FLIP_PROBABILITY`
shearing      angle uniform on [-20°, 20°]                        :data:`SHEAR_RANGE`
stretching    factor log-uniform on [1/1.3, 1.3]                  :data:`STRETCH_RANGE`
============  ==================================================  ============================

"Log-uniform on [1/a, a]" means ``exp(uniform(-log a, log a))``: shrinking by a
factor is as likely as enlarging by it.  The plankton images were about 95x95;
for 28x28 MNIST digits, +-10 pixels of translation moves much of a digit out
of the frame -- pass a smaller ``translation_range`` there.

Geometry.  Coordinates are ``(y, x)`` = (row, column), ``y`` pointing down, and
``c = ((H - 1) / 2, (W - 1) / 2)`` is the image centre.  A transformation moves the
content at input point ``p`` to output point

.. math::  q = c + t + A \\, (p - c),
           \\qquad A = R(\\theta) \\, S_h(\\varphi) \\, Z(s) \\, S_t(k) \\, F(f)

with ``t = (dy, dx)`` and, in ``(y, x)`` order,

* rotation ``R(θ) = [[cos θ, -sin θ], [sin θ, cos θ]]`` -- counter-clockwise as
  displayed, so ``rotate(img, 90)`` equals ``numpy.rot90(img)``,
* shear ``S_h(φ) = [[1, 0], [tan φ, 1]]`` -- ``x`` moves by ``tan φ`` times ``y``,
* rescaling ``Z(s) = diag(s, s)``,
* stretching ``S_t(k) = diag(1 / sqrt(k), sqrt(k))`` -- wider by ``sqrt k``, lower by
  ``sqrt k``: the aspect ratio changes by ``k``, the area is kept,
* flipping ``F(f) = diag(1, -1)`` if ``f`` else the identity (a left-right mirror).

Each output pixel is read from ``p = c + A^{-1} (q - c - t)`` by bilinear
interpolation, with zeros outside the input
(:func:`scipy.ndimage.affine_transform` with ``order=1, mode="grid-constant"``:
a pixel on the border blends with the zero fill instead of dropping out).
:func:`random_augment` composes the chosen transformations into one ``A`` per
image, so an image is interpolated only once.

Every function takes a single image ``(H, W)`` or a batch ``(N, C, H, W)`` and
returns the same shape and dtype (integer dtypes are rounded and clipped, bool is
thresholded at 0.5).  In a batch each image has its own parameters, shared by its
channels.
"""

from __future__ import annotations

import math

import numpy as np

from .._checks import as_image_array, check_bool, check_int, check_range, check_real, check_rng

__all__ = [
    "ROTATION_RANGE",
    "TRANSLATION_RANGE",
    "SCALE_RANGE",
    "FLIP_PROBABILITY",
    "SHEAR_RANGE",
    "STRETCH_RANGE",
    "AUGMENTATIONS",
    "LECTURE_AUGMENTATIONS",
    "affine_matrix",
    "affine_warp",
    "rotate",
    "translate",
    "rescale",
    "flip",
    "shear",
    "stretch",
    "sample_augmentation",
    "random_rotate",
    "random_translate",
    "random_rescale",
    "random_flip",
    "random_shear",
    "random_stretch",
    "random_augment",
]

#: Rotation angle in degrees, uniform.
ROTATION_RANGE: tuple[float, float] = (0.0, 360.0)
#: Translation in pixels along each axis, uniform.
TRANSLATION_RANGE: tuple[float, float] = (-10.0, 10.0)
#: Rescaling factor, log-uniform.
SCALE_RANGE: tuple[float, float] = (1 / 1.6, 1.6)
#: Probability of a left-right flip.
FLIP_PROBABILITY: float = 0.5
#: Shear angle in degrees, uniform.
SHEAR_RANGE: tuple[float, float] = (-20.0, 20.0)
#: Stretch factor, log-uniform.
STRETCH_RANGE: tuple[float, float] = (1 / 1.3, 1.3)

#: Names accepted in ``random_augment(..., transforms=...)``, in the lecture's order.
AUGMENTATIONS: tuple[str, ...] = ("rotation", "translation", "rescaling", "flipping",
                                  "shearing", "stretching")

#: The lecture's list as printable text, name -> how it is drawn.
LECTURE_AUGMENTATIONS: dict[str, str] = {
    "rotation": "random with angle between 0° and 360° (uniform)",
    "translation": "random with shift between -10 and 10 pixels (uniform)",
    "rescaling": "random with scale factor between 1/1.6 and 1.6 (log-uniform)",
    "flipping": "yes or no (bernoulli)",
    "shearing": "random with angle between -20° and 20° (uniform)",
    "stretching": "random with stretch factor between 1/1.3 and 1.3 (log-uniform)",
}


# --------------------------------------------------------------------------- helpers

def _n_images(x: np.ndarray) -> int:
    return 1 if x.ndim == 2 else x.shape[0]


def _per_image(fn: str, name: str, value, n: int, *, positive: bool = False,
               max_abs: float | None = None) -> np.ndarray:
    """A scalar or an ``(n,)`` array of finite reals -> float64 ``(n,)``."""
    if np.ndim(value) == 0:
        scalar = value.item() if isinstance(value, np.ndarray) else value
        a = np.full(n, check_real(fn, name, scalar))
        shown = scalar
    else:
        try:
            a = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{fn}: {name} must be a real number or an array of {n} real numbers, "
                            f"got {value!r}") from None
        if a.shape != (n,):
            raise ValueError(f"{fn}: {name} must be a scalar or have shape ({n},) (one value per "
                             f"image), got shape {a.shape}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{fn}: {name} must be finite, got {a}")
        shown = a
    if positive and np.any(a <= 0):
        raise ValueError(f"{fn}: {name} must be > 0, got {shown}")
    if max_abs is not None and np.any(np.abs(a) >= max_abs):
        raise ValueError(f"{fn}: {name} must be in (-{max_abs:g}, {max_abs:g}) degrees, got {shown}")
    return a


def _per_image_bool(fn: str, name: str, value, n: int) -> np.ndarray:
    if isinstance(value, (bool, np.bool_)):
        return np.full(n, bool(value))
    a = np.asarray(value)
    if a.dtype != np.bool_:
        raise TypeError(f"{fn}: {name} must be a bool or an array of {n} bools, got {value!r}")
    if a.shape != (n,):
        raise ValueError(f"{fn}: {name} must be a bool or have shape ({n},), got shape {a.shape}")
    return a


def _cast_like(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Float results back to the input dtype (round+clip for ints, threshold for bool)."""
    if dtype == np.bool_:
        return values >= 0.5
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.clip(np.rint(values), info.min, info.max).astype(dtype)
    return values.astype(dtype, copy=False)


def _affine_matrices(angle, shear_angle, scale, stretch_factor, flipped) -> np.ndarray:
    """Vectorised :func:`affine_matrix`: arrays of shape (n,) -> (n, 2, 2)."""
    th, ph = np.deg2rad(angle), np.deg2rad(shear_angle)
    n = len(th)
    rot = np.empty((n, 2, 2))
    rot[:, 0, 0], rot[:, 0, 1] = np.cos(th), -np.sin(th)
    rot[:, 1, 0], rot[:, 1, 1] = np.sin(th), np.cos(th)
    shr = np.zeros((n, 2, 2))
    shr[:, 0, 0] = shr[:, 1, 1] = 1.0
    shr[:, 1, 0] = np.tan(ph)
    root = np.sqrt(stretch_factor)
    diag = np.zeros((n, 2, 2))
    diag[:, 0, 0] = scale / root
    diag[:, 1, 1] = scale * root * np.where(flipped, -1.0, 1.0)
    return rot @ shr @ diag


def _warp(x: np.ndarray, matrices: np.ndarray, translations: np.ndarray) -> np.ndarray:
    """Apply ``q = c + t + A (p - c)`` per image; ``x`` is (H, W) or (N, C, H, W)."""
    from scipy.ndimage import affine_transform

    h, w = x.shape[-2:]
    c = np.array([(h - 1) / 2, (w - 1) / 2])
    batch = x.reshape((-1, x.shape[1] if x.ndim == 4 else 1, h, w))
    out = np.empty(batch.shape, dtype=np.float64)
    for i, image in enumerate(batch):
        inverse = np.linalg.inv(matrices[i])
        offset = c - inverse @ (c + translations[i])
        for ch, plane in enumerate(image):
            affine_transform(plane.astype(np.float64, copy=False), inverse, offset=offset,
                             output=out[i, ch], order=1, mode="grid-constant", cval=0.0)
    return _cast_like(out.reshape(x.shape), x.dtype)


# --------------------------------------------------------------------------- explicit transformations

def affine_matrix(angle: float = 0.0, shear: float = 0.0, scale: float = 1.0,
                  stretch: float = 1.0, flip: bool = False) -> np.ndarray:
    """The 2x2 matrix ``A = R(angle) S_h(shear) Z(scale) S_t(stretch) F(flip)`` in (y, x) order.

    Parameters
    ----------
    angle : float, optional
        Rotation in degrees, counter-clockwise as displayed.
    shear : float, optional
        Shear angle in degrees, in ``(-90, 90)``.
    scale : float, optional
        Rescaling factor, > 0.
    stretch : float, optional
        Stretch factor ``k`` > 0: width times ``sqrt(k)``, height divided by ``sqrt(k)``.
    flip : bool, optional
        Mirror left-right.

    Returns
    -------
    numpy.ndarray
        float64 ``(2, 2)``; see the module docstring for the factors.

    Examples
    --------
    >>> affine_matrix(angle=90).round(12)
    array([[ 0., -1.],
           [ 1.,  0.]])
    """
    fn = "affine_matrix"
    a = _per_image(fn, "angle", angle, 1)
    s = _per_image(fn, "shear", shear, 1, max_abs=90.0)
    z = _per_image(fn, "scale", scale, 1, positive=True)
    k = _per_image(fn, "stretch", stretch, 1, positive=True)
    f = _per_image_bool(fn, "flip", flip, 1)
    return _affine_matrices(a, s, z, k, f)[0]


def affine_warp(images, matrix, translation=(0.0, 0.0)) -> np.ndarray:
    """Warp images by ``q = c + t + A (p - c)`` around their centre (bilinear, zero fill).

    Parameters
    ----------
    images : array_like
        ``(H, W)`` or ``(N, C, H, W)``.
    matrix : array_like
        ``A``: ``(2, 2)`` for all images, or ``(N, 2, 2)``; must be invertible.
    translation : array_like, optional
        ``t = (dy, dx)`` in pixels: ``(2,)`` or ``(N, 2)``.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype as ``images``.
    """
    fn = "affine_warp"
    x = as_image_array(fn, "images", images)
    n = _n_images(x)
    try:
        m = np.asarray(matrix, dtype=np.float64)
        t = np.asarray(translation, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: matrix and translation must be numeric arrays, got "
                        f"{matrix!r} and {translation!r}") from None
    if m.shape == (2, 2):
        m = np.broadcast_to(m, (n, 2, 2))
    if m.shape != (n, 2, 2):
        raise ValueError(f"{fn}: matrix must have shape (2, 2) or ({n}, 2, 2), got {m.shape}")
    if t.shape == (2,):
        t = np.broadcast_to(t, (n, 2))
    if t.shape != (n, 2):
        raise ValueError(f"{fn}: translation must have shape (2,) or ({n}, 2), got {t.shape}")
    if not (np.all(np.isfinite(m)) and np.all(np.isfinite(t))):
        raise ValueError(f"{fn}: matrix and translation must be finite")
    det = np.abs(np.linalg.det(m))
    if np.any(det < 1e-12):
        raise ValueError(f"{fn}: matrix must be invertible, got determinant(s) {np.linalg.det(m)}")
    return _warp(x, m, t)


def rotate(images, angle) -> np.ndarray:
    """Rotate images about their centre by ``angle`` degrees, counter-clockwise.

    Parameters
    ----------
    images : array_like
        ``(H, W)`` or ``(N, C, H, W)``.
    angle : float or array_like
        Degrees; one value, or one per image (shape ``(N,)``).

    Returns
    -------
    numpy.ndarray
        Same shape and dtype.

    Examples
    --------
    >>> img = np.arange(9.0).reshape(3, 3)
    >>> np.allclose(rotate(img, 90), np.rot90(img))
    True
    """
    x = as_image_array("rotate", "images", images)
    n = _n_images(x)
    a = _per_image("rotate", "angle", angle, n)
    return _warp(x, _affine_matrices(a, np.zeros(n), np.ones(n), np.ones(n), np.zeros(n, bool)),
                 np.zeros((n, 2)))


def translate(images, dy, dx) -> np.ndarray:
    """Move images by ``dy`` rows (down) and ``dx`` columns (right); may be fractional.

    Parameters
    ----------
    images : array_like
        ``(H, W)`` or ``(N, C, H, W)``.
    dy, dx : float or array_like
        Pixels; one value, or one per image.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype; ``out[r, c] = images[r - dy, c - dx]``, 0 outside.

    Examples
    --------
    >>> translate(np.eye(3), 0, 1)
    array([[0., 1., 0.],
           [0., 0., 1.],
           [0., 0., 0.]])
    """
    x = as_image_array("translate", "images", images)
    n = _n_images(x)
    ty = _per_image("translate", "dy", dy, n)
    tx = _per_image("translate", "dx", dx, n)
    return _warp(x, np.broadcast_to(np.eye(2), (n, 2, 2)), np.stack([ty, tx], axis=1))


def rescale(images, factor) -> np.ndarray:
    """Zoom images about their centre by ``factor`` (> 1 enlarges), keeping the canvas size.

    Parameters
    ----------
    images : array_like
        ``(H, W)`` or ``(N, C, H, W)``.
    factor : float or array_like
        Scale factor(s) > 0.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype.
    """
    x = as_image_array("rescale", "images", images)
    n = _n_images(x)
    z = _per_image("rescale", "factor", factor, n, positive=True)
    return _warp(x, _affine_matrices(np.zeros(n), np.zeros(n), z, np.ones(n), np.zeros(n, bool)),
                 np.zeros((n, 2)))


def flip(images, flipped=True) -> np.ndarray:
    """Mirror images left-right (exactly, by reversing the columns).

    Parameters
    ----------
    images : array_like
        ``(H, W)`` or ``(N, C, H, W)``.
    flipped : bool or array_like of bool, optional
        Whether to mirror; one value, or one per image.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype; ``out[..., c] = images[..., W - 1 - c]`` where flipped.

    Examples
    --------
    >>> flip(np.array([[1, 2, 3]]))
    array([[3, 2, 1]])
    """
    x = as_image_array("flip", "images", images)
    f = _per_image_bool("flip", "flipped", flipped, _n_images(x))
    if x.ndim == 2:
        return x[:, ::-1].copy() if f[0] else x.copy()
    out = x.copy()
    out[f] = x[f][..., ::-1]
    return out


def shear(images, angle) -> np.ndarray:
    """Shear images about their centre: ``x`` moves by ``tan(angle)`` times ``y - c_y``.

    Parameters
    ----------
    images : array_like
        ``(H, W)`` or ``(N, C, H, W)``.
    angle : float or array_like
        Shear angle(s) in degrees, in ``(-90, 90)``; positive leans the bottom to the right.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype.
    """
    x = as_image_array("shear", "images", images)
    n = _n_images(x)
    s = _per_image("shear", "angle", angle, n, max_abs=90.0)
    return _warp(x, _affine_matrices(np.zeros(n), s, np.ones(n), np.ones(n), np.zeros(n, bool)),
                 np.zeros((n, 2)))


def stretch(images, factor) -> np.ndarray:
    """Stretch images about their centre: width times ``sqrt(factor)``, height divided by it.

    Parameters
    ----------
    images : array_like
        ``(H, W)`` or ``(N, C, H, W)``.
    factor : float or array_like
        Stretch factor(s) ``k > 0``; the aspect ratio (width / height) is multiplied by
        ``k`` and the area is kept.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype.
    """
    x = as_image_array("stretch", "images", images)
    n = _n_images(x)
    k = _per_image("stretch", "factor", factor, n, positive=True)
    return _warp(x, _affine_matrices(np.zeros(n), np.zeros(n), np.ones(n), k, np.zeros(n, bool)),
                 np.zeros((n, 2)))


# --------------------------------------------------------------------------- random transformations

def _log_uniform(rng: np.random.Generator, low: float, high: float, n: int) -> np.ndarray:
    return np.exp(rng.uniform(math.log(low), math.log(high), size=n))


def _check_transforms(fn: str, transforms) -> tuple[str, ...]:
    if isinstance(transforms, str):
        transforms = (transforms,)
    try:
        transforms = tuple(transforms)
    except TypeError:
        raise TypeError(f"{fn}: transforms must be a sequence of names from {AUGMENTATIONS}, "
                        f"got {transforms!r}") from None
    unknown = [t for t in transforms if t not in AUGMENTATIONS]
    if unknown:
        raise ValueError(f"{fn}: transforms must be names from {AUGMENTATIONS}, got unknown {unknown}")
    return transforms


def _check_ranges(fn: str, rotation_range, translation_range, scale_range, flip_probability,
                  shear_range, stretch_range, names=None) -> dict:
    """Validate the six ranges; ``names`` renames arguments in messages."""
    names = names or {}
    out = {
        "rotation_range": check_range(fn, names.get("rotation_range", "rotation_range"), rotation_range),
        "translation_range": check_range(fn, names.get("translation_range", "translation_range"),
                                         translation_range),
        "scale_range": check_range(fn, names.get("scale_range", "scale_range"), scale_range, positive=True),
        "flip_probability": check_real(fn, names.get("flip_probability", "flip_probability"),
                                       flip_probability, 0.0, 1.0),
        "shear_range": check_range(fn, names.get("shear_range", "shear_range"), shear_range),
        "stretch_range": check_range(fn, names.get("stretch_range", "stretch_range"), stretch_range,
                                     positive=True),
    }
    if max(abs(v) for v in out["shear_range"]) >= 90:
        raise ValueError(f"{fn}: {names.get('shear_range', 'shear_range')} must lie within "
                         f"(-90, 90) degrees, got {shear_range!r}")
    return out


def _sample(n: int, rng: np.random.Generator, transforms, *, rotation_range, translation_range,
            scale_range, flip_probability, shear_range, stretch_range) -> dict[str, np.ndarray]:
    p = {"angle": np.zeros(n), "dy": np.zeros(n), "dx": np.zeros(n), "scale": np.ones(n),
         "flip": np.zeros(n, dtype=bool), "shear": np.zeros(n), "stretch": np.ones(n)}
    for name in AUGMENTATIONS:  # a fixed order, whatever the order of `transforms`
        if name not in transforms:
            continue
        if name == "rotation":
            p["angle"] = rng.uniform(*rotation_range, size=n)
        elif name == "translation":
            p["dy"] = rng.uniform(*translation_range, size=n)
            p["dx"] = rng.uniform(*translation_range, size=n)
        elif name == "rescaling":
            p["scale"] = _log_uniform(rng, *scale_range, n)
        elif name == "flipping":
            p["flip"] = rng.random(n) < flip_probability
        elif name == "shearing":
            p["shear"] = rng.uniform(*shear_range, size=n)
        else:  # stretching
            p["stretch"] = _log_uniform(rng, *stretch_range, n)
    return p


def _apply(x: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    matrices = _affine_matrices(p["angle"], p["shear"], p["scale"], p["stretch"], p["flip"])
    return _warp(x, matrices, np.stack([p["dy"], p["dx"]], axis=1))


def sample_augmentation(n: int, rng, transforms=AUGMENTATIONS, *,
                        rotation_range=ROTATION_RANGE, translation_range=TRANSLATION_RANGE,
                        scale_range=SCALE_RANGE, flip_probability: float = FLIP_PROBABILITY,
                        shear_range=SHEAR_RANGE, stretch_range=STRETCH_RANGE) -> dict[str, np.ndarray]:
    """Draw the parameters of ``n`` random transformations (see the module's table).

    Parameters
    ----------
    n : int
        Number of images (>= 1).
    rng : numpy.random.Generator or int
        Source of randomness (an int is a seed).
    transforms : sequence of str, optional
        Which of :data:`AUGMENTATIONS` to draw; the others stay at the identity.
    rotation_range, translation_range, shear_range : (float, float), optional
        Uniform ranges (degrees, pixels, degrees); shear within ``(-90, 90)``.
    scale_range, stretch_range : (float, float), optional
        Log-uniform ranges, both ends > 0.
    flip_probability : float, optional
        Probability of a flip, in ``[0, 1]``.

    Returns
    -------
    dict of str to numpy.ndarray
        ``"angle"``, ``"dy"``, ``"dx"``, ``"scale"``, ``"shear"``, ``"stretch"`` (float64)
        and ``"flip"`` (bool), each of shape ``(n,)``.  The draws are made in the
        order of :data:`AUGMENTATIONS`, so equal ``rng`` states give equal parameters.

    Examples
    --------
    >>> p = sample_augmentation(4, np.random.default_rng(0), ["rotation"])
    >>> sorted(p), p["scale"].tolist()
    (['angle', 'dx', 'dy', 'flip', 'scale', 'shear', 'stretch'], [1.0, 1.0, 1.0, 1.0])
    """
    fn = "sample_augmentation"
    n = check_int(fn, "n", n, minimum=1)
    rng = check_rng(fn, rng)
    transforms = _check_transforms(fn, transforms)
    ranges = _check_ranges(fn, rotation_range, translation_range, scale_range, flip_probability,
                           shear_range, stretch_range)
    return _sample(n, rng, transforms, **ranges)


def random_augment(images, rng, transforms=AUGMENTATIONS, *, rotation_range=ROTATION_RANGE,
                   translation_range=TRANSLATION_RANGE, scale_range=SCALE_RANGE,
                   flip_probability: float = FLIP_PROBABILITY, shear_range=SHEAR_RANGE,
                   stretch_range=STRETCH_RANGE, return_params: bool = False):
    """Apply the chosen random transformations, composed into one warp per image.

    Parameters
    ----------
    images : array_like
        ``(H, W)`` or ``(N, C, H, W)``.
    rng : numpy.random.Generator or int
        Source of randomness (an int is a seed).  The result is a deterministic
        function of ``images`` and the state of ``rng``.
    transforms : sequence of str, optional
        Names from :data:`AUGMENTATIONS`; default: all six, with the lecture's ranges.
    rotation_range, translation_range, scale_range, flip_probability, shear_range, stretch_range
        See :func:`sample_augmentation`; the defaults are the module constants.
    return_params : bool, optional
        Also return the drawn parameters (a dict as from :func:`sample_augmentation`).

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, dict)
        The augmented images, same shape and dtype as ``images``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> batch = np.zeros((8, 1, 28, 28), np.float32)
    >>> random_augment(batch, rng, ["rotation", "flipping"]).shape
    (8, 1, 28, 28)
    """
    fn = "random_augment"
    x = as_image_array(fn, "images", images)
    rng = check_rng(fn, rng)
    transforms = _check_transforms(fn, transforms)
    ranges = _check_ranges(fn, rotation_range, translation_range, scale_range, flip_probability,
                           shear_range, stretch_range)
    return_params = check_bool(fn, "return_params", return_params)
    p = _sample(_n_images(x), rng, transforms, **ranges)
    out = _apply(x, p)
    return (out, p) if return_params else out


def _random_one(fn: str, images, rng, transform: str, range_name: str, public_name: str, value):
    """Shared body of random_rotate & co: validate under the public names, draw, warp."""
    x = as_image_array(fn, "images", images)
    rng = check_rng(fn, rng)
    defaults = dict(rotation_range=ROTATION_RANGE, translation_range=TRANSLATION_RANGE,
                    scale_range=SCALE_RANGE, flip_probability=FLIP_PROBABILITY,
                    shear_range=SHEAR_RANGE, stretch_range=STRETCH_RANGE)
    defaults[range_name] = value
    ranges = _check_ranges(fn, **defaults, names={range_name: public_name})
    return _apply(x, _sample(_n_images(x), rng, (transform,), **ranges))


def random_rotate(images, rng, angle_range=ROTATION_RANGE) -> np.ndarray:
    """Rotate each image by an angle drawn uniformly from ``angle_range`` (degrees).

    Parameters
    ----------
    images : array_like
        ``(H, W)`` or ``(N, C, H, W)``.
    rng : numpy.random.Generator or int
        Source of randomness.
    angle_range : (float, float), optional
        Default :data:`ROTATION_RANGE` = (0, 360).

    Returns
    -------
    numpy.ndarray
        Same shape and dtype.
    """
    return _random_one("random_rotate", images, rng, "rotation", "rotation_range", "angle_range",
                       angle_range)


def random_translate(images, rng, shift_range=TRANSLATION_RANGE) -> np.ndarray:
    """Translate each image by ``(dy, dx)``, each drawn uniformly from ``shift_range`` pixels.

    Parameters
    ----------
    images : array_like
        ``(H, W)`` or ``(N, C, H, W)``.
    rng : numpy.random.Generator or int
        Source of randomness.
    shift_range : (float, float), optional
        Default :data:`TRANSLATION_RANGE` = (-10, 10).

    Returns
    -------
    numpy.ndarray
        Same shape and dtype.
    """
    return _random_one("random_translate", images, rng, "translation", "translation_range",
                       "shift_range", shift_range)


def random_rescale(images, rng, scale_range=SCALE_RANGE) -> np.ndarray:
    """Rescale each image by a factor drawn log-uniformly from ``scale_range``.

    Parameters
    ----------
    images : array_like
        ``(H, W)`` or ``(N, C, H, W)``.
    rng : numpy.random.Generator or int
        Source of randomness.
    scale_range : (float, float), optional
        Default :data:`SCALE_RANGE` = (1/1.6, 1.6).

    Returns
    -------
    numpy.ndarray
        Same shape and dtype.
    """
    return _random_one("random_rescale", images, rng, "rescaling", "scale_range", "scale_range",
                       scale_range)


def random_flip(images, rng, probability: float = FLIP_PROBABILITY) -> np.ndarray:
    """Mirror each image left-right with the given probability (Bernoulli).

    Unlike the flip inside :func:`random_augment` this one is exact (no interpolation).

    Parameters
    ----------
    images : array_like
        ``(H, W)`` or ``(N, C, H, W)``.
    rng : numpy.random.Generator or int
        Source of randomness.
    probability : float, optional
        Default :data:`FLIP_PROBABILITY` = 0.5.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype.
    """
    fn = "random_flip"
    x = as_image_array(fn, "images", images)
    rng = check_rng(fn, rng)
    probability = check_real(fn, "probability", probability, 0.0, 1.0)
    return flip(x, rng.random(_n_images(x)) < probability if x.ndim == 4
                else bool(rng.random() < probability))


def random_shear(images, rng, angle_range=SHEAR_RANGE) -> np.ndarray:
    """Shear each image by an angle drawn uniformly from ``angle_range`` (degrees).

    Parameters
    ----------
    images : array_like
        ``(H, W)`` or ``(N, C, H, W)``.
    rng : numpy.random.Generator or int
        Source of randomness.
    angle_range : (float, float), optional
        Default :data:`SHEAR_RANGE` = (-20, 20).

    Returns
    -------
    numpy.ndarray
        Same shape and dtype.
    """
    return _random_one("random_shear", images, rng, "shearing", "shear_range", "angle_range",
                       angle_range)


def random_stretch(images, rng, factor_range=STRETCH_RANGE) -> np.ndarray:
    """Stretch each image by a factor drawn log-uniformly from ``factor_range``.

    Parameters
    ----------
    images : array_like
        ``(H, W)`` or ``(N, C, H, W)``.
    rng : numpy.random.Generator or int
        Source of randomness.
    factor_range : (float, float), optional
        Default :data:`STRETCH_RANGE` = (1/1.3, 1.3).

    Returns
    -------
    numpy.ndarray
        Same shape and dtype.
    """
    return _random_one("random_stretch", images, rng, "stretching", "stretch_range", "factor_range",
                       factor_range)
