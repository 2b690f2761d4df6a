"""1-D signals for temporal convolution, in the spirit of MNIST-1D (made locally).

Each of ten classes is a short *template*: twelve values at equally spaced knots,
joined by straight lines (see :data:`SEQUENCE_TEMPLATES`).  One sample of class
``k`` of length ``L`` is

.. math::

    x(t) = a \\, T_k\\!\\left(11 \\, \\frac{t - s}{w}\\right)
           + r \\left(\\frac{t}{L - 1} - \\frac12\\right) + \\varepsilon_t,
    \\qquad t = 0, \\dots, L - 1,

where ``T_k`` interpolates the twelve knots linearly and is 0 outside ``[0, 11]``,
and for every sample independently

* ``w`` (width) ~ uniform on :data:`WIDTH_RANGE` times ``L``,
* ``s`` (start) ~ uniform on ``[0, L - w]`` -- the event can be anywhere,
* ``a`` (amplitude) ~ uniform on :data:`AMPLITUDE_RANGE`,
* ``r`` (rise of the linear trend) ~ uniform on ``[-trend, trend]``,
* ``eps_t`` ~ Normal(0, ``noise``\\ :sup:`2`), independent.

Every extreme of a template (except the tips of the ramps) is a plateau at
least two knot intervals long, so that it is sampled at full height whatever
the width and the start.  Because the start ``s`` is random, a classifier has to recognise the shape
wherever it is: a 1-D CNN with global pooling does so easily, a dense network
on the raw samples much less so.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_bool, check_int, check_real, check_rng
from .dataset import Dataset

__all__ = [
    "SEQUENCE_CLASSES",
    "SEQUENCE_TEMPLATES",
    "SEQUENCE_LENGTH",
    "WIDTH_RANGE",
    "AMPLITUDE_RANGE",
    "NOISE_STD",
    "TREND_RISE",
    "render_template",
    "make_sequences",
    "load_sequences",
]

#: Class names, index = label.
SEQUENCE_CLASSES: tuple[str, ...] = (
    "plateau", "spike", "double spike", "dip", "up-down",
    "down-up", "ramp up", "ramp down", "wiggle", "trough",
)

_T = np.array([
    #  0     1     2     3     4     5     6     7     8     9    10    11   knot
    [0.0,  1.0,  1.0,  1.0,  1.0,  1.0,  1.0,  1.0,  1.0,  1.0,  1.0,  0.0],  # plateau
    [0.0,  0.0,  0.0,  0.0,  1.0,  1.0,  1.0,  0.0,  0.0,  0.0,  0.0,  0.0],  # spike
    [0.0,  1.0,  1.0,  1.0,  0.0,  0.0,  0.0,  0.0,  1.0,  1.0,  1.0,  0.0],  # double spike
    [0.0,  0.0,  0.0,  0.0, -1.0, -1.0, -1.0,  0.0,  0.0,  0.0,  0.0,  0.0],  # dip
    [0.0,  1.0,  1.0,  1.0,  1.0,  0.0, -1.0, -1.0, -1.0, -1.0,  0.0,  0.0],  # up-down
    [0.0, -1.0, -1.0, -1.0, -1.0,  0.0,  1.0,  1.0,  1.0,  1.0,  0.0,  0.0],  # down-up
    [0.0,  0.1,  0.2,  0.3,  0.4,  0.5,  0.6,  0.7,  0.8,  0.9,  1.0,  0.0],  # ramp up
    [0.0,  1.0,  0.9,  0.8,  0.7,  0.6,  0.5,  0.4,  0.3,  0.2,  0.1,  0.0],  # ramp down
    [0.0,  1.0,  1.0,  1.0, -1.0, -1.0, -1.0,  1.0,  1.0,  1.0,  0.0,  0.0],  # wiggle
    [0.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0,  0.0],  # trough
])
_T.flags.writeable = False

#: The ten templates, shape ``(10, 12)``: the values at the knots ``0, 1, ..., 11``.
SEQUENCE_TEMPLATES: np.ndarray = _T

#: Default sequence length ``L``.
SEQUENCE_LENGTH = 40
#: Template width as a fraction of ``L``: ``w / L`` ~ uniform on this range.
WIDTH_RANGE = (0.25, 0.4)
#: Amplitude ``a`` ~ uniform on this range.
AMPLITUDE_RANGE = (0.7, 1.3)
#: Default standard deviation of the white noise.
NOISE_STD = 0.25
#: Default bound on the trend's rise ``r`` over the whole sequence.
TREND_RISE = 0.6


def render_template(label: int, length: int = SEQUENCE_LENGTH, *, width: float | None = None,
                    start: float | None = None, amplitude: float = 1.0) -> np.ndarray:
    """Draw one template without noise or trend: ``a * T_k(11 (t - s) / w)``.

    Parameters
    ----------
    label : int
        Class ``k`` in ``0 .. 9``.
    length : int, optional
        ``L``, number of samples (>= 12).
    width : float, optional
        ``w`` in samples, ``0 < w <= L``; default ``L`` times the middle of
        :data:`WIDTH_RANGE`.
    start : float, optional
        ``s``, where knot 0 sits, ``0 <= s <= L - w``; default centred, ``(L - w) / 2``.
    amplitude : float, optional
        ``a``.

    Returns
    -------
    numpy.ndarray
        float32 of shape ``(L,)``.

    Examples
    --------
    >>> render_template(1, 16, width=11, start=0)[2:9]   # the spike: knots 4 to 6 are 1
    array([0., 0., 1., 1., 1., 0., 0.], dtype=float32)
    """
    fn = "render_template"
    label = check_int(fn, "label", label, 0, len(SEQUENCE_CLASSES) - 1)
    length = check_int(fn, "length", length, minimum=12)
    if width is None:
        width = length * sum(WIDTH_RANGE) / 2
    else:
        width = check_real(fn, "width", width, 0.0, float(length), strict_minimum=True)
    if start is None:
        start = (length - width) / 2
    else:
        start = check_real(fn, "start", start, 0.0, length - width)
    amplitude = check_real(fn, "amplitude", amplitude)
    return _render(np.array([label]), length, np.array([width]), np.array([start]),
                   np.array([amplitude]))[0].astype(np.float32)


def _render(labels, length, widths, starts, amplitudes) -> np.ndarray:
    """Templates for many samples at once: float64 ``(n, length)``."""
    t = np.arange(length, dtype=np.float64)
    knots = np.arange(SEQUENCE_TEMPLATES.shape[1], dtype=np.float64)
    u = (knots[-1] * (t[None, :] - starts[:, None]) / widths[:, None])  # knot coordinate of each t
    out = np.zeros((len(labels), length))
    for i, k in enumerate(labels):
        out[i] = np.interp(u[i], knots, SEQUENCE_TEMPLATES[k], left=0.0, right=0.0)
    return amplitudes[:, None] * out


def make_sequences(n: int, rng, *, length: int = SEQUENCE_LENGTH, noise: float = NOISE_STD,
                   trend: float = TREND_RISE, shift: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Generate ``n`` labelled 1-D sequences (formula in the module docstring).

    The labels are balanced: ``np.arange(n) % 10`` in a random order.

    Parameters
    ----------
    n : int
        Number of sequences (>= 1).
    rng : numpy.random.Generator or int
        Source of randomness (an int is a seed); the output is a deterministic
        function of it.
    length : int, optional
        ``L`` (>= 24), default :data:`SEQUENCE_LENGTH` = 40.
    noise : float, optional
        Standard deviation of the white noise (>= 0), default :data:`NOISE_STD`.
    trend : float, optional
        Bound on the trend's rise ``|r|`` over the sequence (>= 0), default :data:`TREND_RISE`.
    shift : bool, optional
        Random start ``s`` (default).  ``False`` centres every template, which makes
        the task easy even for a classifier without shift invariance.

    Returns
    -------
    x : numpy.ndarray
        float32 of shape ``(n, 1, L)``.
    y : numpy.ndarray
        int64 of shape ``(n,)``, class indices into :data:`SEQUENCE_CLASSES`.

    Examples
    --------
    >>> x, y = make_sequences(8, np.random.default_rng(0))
    >>> x.shape, x.dtype, y.dtype
    ((8, 1, 40), dtype('float32'), dtype('int64'))
    """
    fn = "make_sequences"
    n = check_int(fn, "n", n, minimum=1)
    rng = check_rng(fn, rng)
    length = check_int(fn, "length", length, minimum=24)
    noise = check_real(fn, "noise", noise, 0.0)
    trend = check_real(fn, "trend", trend, 0.0)
    shift = check_bool(fn, "shift", shift)

    n_classes = len(SEQUENCE_CLASSES)
    labels = rng.permutation(np.arange(n) % n_classes).astype(np.int64)
    widths = rng.uniform(*WIDTH_RANGE, size=n) * length
    room = rng.uniform(0.0, 1.0, size=n)
    starts = room * (length - widths) if shift else (length - widths) / 2
    amplitudes = rng.uniform(*AMPLITUDE_RANGE, size=n)
    rises = rng.uniform(-trend, trend, size=n)
    t = np.arange(length) / (length - 1) - 0.5
    x = _render(labels, length, widths, starts, amplitudes)
    x += rises[:, None] * t[None, :]
    x += noise * rng.standard_normal((n, length))
    return x[:, None, :].astype(np.float32), labels


def load_sequences(n_train: int = 4000, n_test: int = 1000, *, seed: int = 0,
                   length: int = SEQUENCE_LENGTH, noise: float = NOISE_STD,
                   trend: float = TREND_RISE, shift: bool = True) -> Dataset:
    """A train/test split of :func:`make_sequences`, reproducible from ``seed``.

    The training set comes from ``numpy.random.default_rng([seed, 0])`` and the
    test set from ``default_rng([seed, 1])``: two independent streams, so the test
    set does not change when ``n_train`` does.

    Parameters
    ----------
    n_train, n_test : int, optional
        Sizes of the two splits (>= 1).
    seed : int, optional
        Non-negative seed.
    length, noise, trend, shift
        See :func:`make_sequences`.

    Returns
    -------
    Dataset
        ``x_train`` float32 ``(n_train, 1, length)``, ``y_train`` int64
        ``(n_train,)``, same for the test split; ``name == "sequences"``.

    Examples
    --------
    >>> data = load_sequences(100, 50, seed=1)
    >>> data.x_train.shape, data.x_test.shape
    ((100, 1, 40), (50, 1, 40))
    """
    fn = "load_sequences"
    n_train = check_int(fn, "n_train", n_train, minimum=1)
    n_test = check_int(fn, "n_test", n_test, minimum=1)
    seed = check_int(fn, "seed", seed, minimum=0)
    kwargs = dict(length=length, noise=noise, trend=trend, shift=shift)
    x_train, y_train = make_sequences(n_train, np.random.default_rng([seed, 0]), **kwargs)
    x_test, y_test = make_sequences(n_test, np.random.default_rng([seed, 1]), **kwargs)
    return Dataset(x_train, y_train, x_test, y_test, "sequences",
                   f"synthetic 1-D sequences (10 classes, length {length}, seed {seed}, "
                   f"noise {noise:g}, trend {trend:g}, shift {shift})")
