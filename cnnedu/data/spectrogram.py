r"""Spectrograms, and synthetic "syllables" whose pitch contour is the class: convolution over sound.

The lecture: convnets are "used in speech and audio processing", on
*spectrograms*.  A spectrogram turns a 1-D signal into a 2-D picture, frequency
against time, by cutting the signal into overlapping frames of :math:`M`
samples, :math:`H` apart (the *hop*), and taking the magnitude of the discrete
Fourier transform of each windowed frame:

.. math::

    S[f, t] = \frac{\left| \sum_{n=0}^{M-1} w[n]\, x[tH + n]\, e^{-2\pi i f n / M} \right|}
                   {\sum_{n} w[n]},
    \qquad f = 0, \dots, \tfrac M2, \quad t = 0, \dots, T - 1

with a Hann window :math:`w` (:func:`scipy.signal.spectrogram` computes it).
Row :math:`f` holds frequency :math:`f/M` cycles per sample (0 up to the
Nyquist frequency :math:`1/2`).  The division by :math:`\sum w` makes a
sinusoid of amplitude :math:`A` whose frequency falls on a bin show
:math:`A/2` there (its energy is split between :math:`+f` and :math:`-f`).

Each frame is a window of :math:`M` samples moved :math:`H` samples at a time:
the geometry of a strided 1-D convolution without padding, so the number of
frames is :func:`cnnedu.sizes.conv_output_size` ``(L, M, H)`` =
:math:`\lfloor (L - M)/H \rfloor + 1`.  (In fact each row *is* a strided
convolution of the signal with a windowed complex exponential; the magnitude
makes it blind to the phase.)

The 1-D sequences of :func:`~cnnedu.data.load_sequences` are too short (40
samples) for a spectrogram to show anything, so :func:`make_tones` makes
signals that have a spectral story: synthetic syllables whose **pitch contour**
is the class, the four tones of Mandarin Chinese (a tone language distinguishes
words by pitch alone: *mā, má, mǎ, mà*):

======  ==========  =============================================
label   name        pitch, relative to the speaker's base pitch
======  ==========  =============================================
0       level       stays at 1
1       rising      1 → 1.7
2       dipping     1.4 → 0.9 → 1.5 (falls, then rises)
3       falling     1.7 → 1
======  ==========  =============================================

A syllable is a sum of the fundamental and its second harmonic (half the
amplitude) whose frequency follows the contour, under a smooth envelope, at a
random onset and with a random duration, base pitch and loudness, in white
noise.  So the class is a *shape* in the spectrogram that can sit anywhere in
time (the onset) and at different heights in frequency (the base pitch): the
two shifts a 2-D CNN on the spectrogram is built to shrug off.  (On a linear
frequency axis a pitch change does not shift the harmonic by the same number
of rows as the fundamental; a mel or log axis would make it a pure shift.)
"""

from __future__ import annotations

import numpy as np

from .._checks import as_numeric, check_choice, check_int, check_range, check_real, check_rng
from .dataset import Dataset

__all__ = [
    "TONE_CLASSES", "TONE_CONTOURS", "TONE_LENGTH", "BASE_PITCH_RANGE", "DURATION_RANGE", "TONE_NOISE",
    "spectrogram", "spectrogram_frequencies", "make_tones", "load_tones",
]

#: Class names, index = label.
TONE_CLASSES: tuple[str, ...] = ("level", "rising", "dipping", "falling")
#: Pitch contours: the pitch relative to the base pitch at equally spaced knots
#: from the start to the end of the syllable, linearly interpolated.
TONE_CONTOURS: tuple[tuple[float, ...], ...] = ((1.0, 1.0), (1.0, 1.7), (1.4, 0.9, 1.5), (1.7, 1.0))
#: Default signal length in samples.
TONE_LENGTH = 1024
#: Base pitch in cycles per sample, log-uniform (the second harmonic of the highest
#: contour point stays below 0.35, well under the Nyquist frequency 0.5).
BASE_PITCH_RANGE = (0.05, 0.09)
#: Syllable duration as a fraction of the signal length, uniform.
DURATION_RANGE = (0.4, 0.7)
#: Default standard deviation of the white noise (the syllable's amplitude is 0.5 to 1).
TONE_NOISE = 0.25

_WINDOWS = ("hann", "hamming", "boxcar", "blackman")


def _as_signals(fn: str, signals) -> tuple[np.ndarray, tuple]:
    """Signals as float64 ``(N, L)`` and the shape to give back (without the F, T axes)."""
    x = as_numeric(fn, "signals", signals)
    if x.ndim == 1:
        lead = ()
        x = x[None]
    elif x.ndim == 2:
        lead = (x.shape[0], 1)
    elif x.ndim == 3 and x.shape[1] == 1:
        lead = (x.shape[0], 1)
        x = x[:, 0]
    else:
        raise ValueError(f"{fn}: signals must have shape (L,), (N, L) or (N, 1, L), got {x.shape}")
    if x.size == 0:
        raise ValueError(f"{fn}: signals must not be empty, got shape {np.shape(signals)}")
    if not np.isfinite(x).all():
        raise ValueError(f"{fn}: signals contain NaN or inf")
    return x.astype(np.float64), lead


def spectrogram(signals, n_fft: int = 64, hop_length: int = 16, *, window: str = "hann", log: bool = True,
                floor: float = 1e-3) -> np.ndarray:
    r"""Magnitude spectrogram of each signal, optionally log-compressed (formula in the module docstring).

    Parameters
    ----------
    signals : array_like
        One signal ``(L,)``, or a batch ``(N, L)`` or ``(N, 1, L)`` (the layout
        of :func:`~cnnedu.data.load_sequences` and :func:`load_tones`).
    n_fft : int, >= 2
        :math:`M`, samples per frame; gives :math:`M/2 + 1` frequency rows
        (:math:`\lfloor M/2 \rfloor + 1` for odd :math:`M`).  At most ``L``.
    hop_length : int, >= 1
        :math:`H`, samples between the starts of neighbouring frames (the
        name of ``torch.stft``'s argument).
    window : {"hann", "hamming", "blackman", "boxcar"}
        The taper :math:`w` (``"boxcar"``: none).
    log : bool
        Return :math:`\ln(S + \text{floor})` instead of :math:`S`: loudness is
        heard (and best learnt) on a logarithmic scale, and the floor keeps
        silence finite.
    floor : float, > 0

    Returns
    -------
    numpy.ndarray
        float32 ``(F, T)`` for one signal, ``(N, 1, F, T)`` for a batch: one
        channel, ready for a 2-D convolution.  Row 0 is frequency 0 (draw it
        with ``origin="lower"``).  :math:`T` is
        ``sizes.conv_output_size(L, n_fft, hop_length)``.

    Examples
    --------
    >>> t = np.arange(256)
    >>> s = spectrogram(np.cos(2 * np.pi * 8 / 64 * t), n_fft=64, hop_length=32, log=False)
    >>> s.shape, int(s[:, 0].argmax()), round(float(s[8, 0]), 4)   # a tone on bin 8, amplitude 1/2
    ((33, 7), 8, 0.5)
    """
    from scipy import signal as sps

    fn = "spectrogram"
    x, lead = _as_signals(fn, signals)
    length = x.shape[-1]
    n_fft = check_int(fn, "n_fft", n_fft, 2)
    hop = check_int(fn, "hop_length", hop_length, 1)
    if n_fft > length:
        raise ValueError(f"{fn}: n_fft must be at most the signal length {length}, got {n_fft}")
    window = check_choice(fn, "window", window, _WINDOWS)
    if not isinstance(log, bool):
        raise TypeError(f"{fn}: log must be True or False, got {log!r}")
    floor = check_real(fn, "floor", floor, 0.0, strict_minimum=True)
    _, _, s = sps.spectrogram(x, fs=1.0, window=window, nperseg=n_fft, noverlap=n_fft - hop,
                              detrend=False, return_onesided=True, scaling="spectrum", mode="magnitude",
                              axis=-1)
    if log:
        s = np.log(s + floor)
    return s.astype(np.float32).reshape(lead + s.shape[-2:])


def spectrogram_frequencies(n_fft: int) -> np.ndarray:
    """Frequency of each row of a :func:`spectrogram`, in cycles per sample: ``f / n_fft``.

    Multiply by the sample rate for hertz.

    Examples
    --------
    >>> spectrogram_frequencies(8)
    array([0.   , 0.125, 0.25 , 0.375, 0.5  ])
    """
    n_fft = check_int("spectrogram_frequencies", "n_fft", n_fft, 2)
    return np.arange(n_fft // 2 + 1) / n_fft


def _pitch(label: int, u: np.ndarray) -> np.ndarray:
    """Relative pitch of contour ``label`` at times ``u`` in [0, 1]."""
    knots = np.asarray(TONE_CONTOURS[label])
    return np.interp(u, np.linspace(0.0, 1.0, len(knots)), knots)


def make_tones(n: int, rng, *, length: int = TONE_LENGTH, noise: float = TONE_NOISE,
               pitch_range=BASE_PITCH_RANGE) -> tuple[np.ndarray, np.ndarray]:
    r"""Generate ``n`` labelled syllables (classes and contours in the module docstring).

    For each syllable independently: duration :math:`D` ~ uniform on
    :data:`DURATION_RANGE` times ``length``, onset uniform among the places it
    fits, base pitch :math:`p_0` ~ log-uniform on ``pitch_range``,
    amplitude :math:`a` ~ uniform on [0.5, 1], starting phase uniform; then for
    :math:`u = k/(D-1)`, :math:`k = 0, \dots, D-1`,

    .. math::

        \phi_k = \phi_0 + 2\pi \sum_{k' \le k} p_0\, c(u_{k'}), \qquad
        s_k = a \sqrt{\sin(\pi u_k)} \left(\sin\phi_k + \tfrac12 \sin 2\phi_k\right)

    (:math:`c` the class's contour), plus white noise of standard deviation
    ``noise`` over the whole signal.  Labels are balanced, ``arange(n) % 4``
    in a random order.

    Parameters
    ----------
    n : int, >= 1
    rng : numpy.random.Generator or int
    length : int, >= 64
    noise : float, >= 0
    pitch_range : (float, float)
        Range of the base pitch in cycles per sample, default
        :data:`BASE_PITCH_RANGE`; the second harmonic at the highest point of a
        contour, :math:`2 \times 1.7\, p_0`, must stay below the Nyquist
        frequency 0.5.

    Returns
    -------
    x : numpy.ndarray
        float32 ``(n, 1, length)``.
    y : numpy.ndarray
        int64 ``(n,)``, indices into :data:`TONE_CLASSES`.

    Examples
    --------
    >>> x, y = make_tones(8, 0)
    >>> x.shape, x.dtype, sorted(y.tolist())
    ((8, 1, 1024), dtype('float32'), [0, 0, 1, 1, 2, 2, 3, 3])
    """
    fn = "make_tones"
    n = check_int(fn, "n", n, 1)
    rng = check_rng(fn, rng)
    length = check_int(fn, "length", length, 64)
    noise = check_real(fn, "noise", noise, 0.0)
    low, high = check_range(fn, "pitch_range", pitch_range, positive=True)
    top = 2 * max(max(c) for c in TONE_CONTOURS) * high
    if top >= 0.5:
        raise ValueError(f"{fn}: pitch_range reaches {high:g} cycles per sample, whose second harmonic "
                         f"climbs to {top:.3g}, above the Nyquist frequency 0.5; keep the top below "
                         f"{0.5 / (2 * max(max(c) for c in TONE_CONTOURS)):.4f}")
    labels = rng.permutation(np.arange(n) % len(TONE_CLASSES)).astype(np.int64)
    durations = np.maximum(2, np.round(rng.uniform(*DURATION_RANGE, size=n) * length)).astype(int)
    onsets = np.floor(rng.uniform(0.0, 1.0, size=n) * (length - durations + 1)).astype(int)
    pitches = np.exp(rng.uniform(np.log(low), np.log(high), size=n))
    amplitudes = rng.uniform(0.5, 1.0, size=n)
    phases = rng.uniform(0.0, 2 * np.pi, size=n)
    x = np.zeros((n, length))
    for i in range(n):
        d = durations[i]
        u = np.linspace(0.0, 1.0, d)
        phi = phases[i] + 2 * np.pi * np.cumsum(pitches[i] * _pitch(labels[i], u))
        envelope = np.sqrt(np.sin(np.pi * u))
        x[i, onsets[i]:onsets[i] + d] = amplitudes[i] * envelope * (np.sin(phi) + 0.5 * np.sin(2 * phi))
    x += noise * rng.standard_normal((n, length))
    return x[:, None, :].astype(np.float32), labels


def load_tones(n_train: int = 2000, n_test: int = 500, *, seed: int = 0, length: int = TONE_LENGTH,
               noise: float = TONE_NOISE, pitch_range=BASE_PITCH_RANGE) -> Dataset:
    """A train/test split of :func:`make_tones` (raw signals; apply :func:`spectrogram` to see them).

    Training signals come from ``numpy.random.default_rng([seed, 0])``, test
    signals from ``default_rng([seed, 1])``.  ``length``, ``noise`` and
    ``pitch_range`` as for :func:`make_tones`.

    Returns
    -------
    Dataset
        ``x_train`` float32 ``(n_train, 1, length)``, int64 labels; ``name == "tones"``.

    Examples
    --------
    >>> data = load_tones(40, 20, seed=1)
    >>> data.x_train.shape, data.n_classes
    ((40, 1, 1024), 4)
    """
    fn = "load_tones"
    n_train = check_int(fn, "n_train", n_train, 1)
    n_test = check_int(fn, "n_test", n_test, 1)
    seed = check_int(fn, "seed", seed, 0)
    kwargs = dict(length=length, noise=noise, pitch_range=pitch_range)
    x_train, y_train = make_tones(n_train, np.random.default_rng([seed, 0]), **kwargs)
    x_test, y_test = make_tones(n_test, np.random.default_rng([seed, 1]), **kwargs)
    low, high = pitch_range
    return Dataset(x_train, y_train, x_test, y_test, "tones",
                   f"synthetic syllables with the four Mandarin pitch contours (length {length}, "
                   f"seed {seed}, noise {noise:g}, base pitch {low:g} to {high:g} cycles per sample)")
