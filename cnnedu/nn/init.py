r"""Weight initialisation: He (Kaiming) and Glorot (Xavier), named as in ``torch.nn.init``.

Why initialisation matters: with :math:`y = \sum_{i=1}^{n} w_i x_i` and
independent zero-mean weights, :math:`\operatorname{Var}(y) = n \operatorname{Var}(w)
\operatorname{E}(x^2)`.  Choosing :math:`\operatorname{Var}(w)` so that this stays
constant from layer to layer keeps the activations (and, going backwards, the
gradients) from exploding or vanishing in a deep network.

Fan-in and fan-out of a weight array (PyTorch's convention):

* ``Linear`` weight ``(F_out, F_in)``: :math:`\text{fan\_in} = F_{in}`,
  :math:`\text{fan\_out} = F_{out}`;
* convolution weight ``(C_out, C_in/G, K_h, K_w)``:
  :math:`\text{fan\_in} = \frac{C_{in}}{G} K_h K_w` (the inputs of one output
  neuron), :math:`\text{fan\_out} = C_{out} K_h K_w`.

The initialisers (:math:`g` is the gain of the nonlinearity, :func:`calculate_gain`):

=====================  ==============================================  ==========================================
function               distribution                                    parameter
=====================  ==============================================  ==========================================
``kaiming_normal_``    :math:`\mathcal N(0, \sigma^2)`                 :math:`\sigma = g / \sqrt{\text{fan}}`
``kaiming_uniform_``   :math:`\mathcal U(-a, a)`                       :math:`a = g \sqrt{3 / \text{fan}}`
``xavier_normal_``     :math:`\mathcal N(0, \sigma^2)`                 :math:`\sigma = g \sqrt{2 / (\text{fan\_in} + \text{fan\_out})}`
``xavier_uniform_``    :math:`\mathcal U(-a, a)`                       :math:`a = g \sqrt{6 / (\text{fan\_in} + \text{fan\_out})}`
=====================  ==============================================  ==========================================

For ReLU, :math:`g = \sqrt 2` (He et al., 2015): half the inputs of a ReLU are
zeroed, which halves :math:`\operatorname{E}(x^2)`, so the weights' variance is
doubled, :math:`2/\text{fan\_in}`.

Random numbers
--------------
Every initialiser and every layer constructor takes ``rng``: a
``numpy.random.Generator``, an ``int`` seed, or ``None``.  ``None`` means the
library's default generator, created with the fixed seed
:data:`DEFAULT_SEED` when ``cnnedu.nn`` is imported and re-seeded by
:func:`manual_seed`.  So a notebook run from a fresh kernel builds the same
weights every time, while two layers built one after the other still get
different weights.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._checks import check_real
from .module import Parameter

__all__ = [
    "DEFAULT_SEED", "manual_seed", "default_rng", "resolve_rng",
    "calculate_gain", "calculate_fan_in_and_fan_out",
    "kaiming_normal_", "kaiming_uniform_", "xavier_normal_", "xavier_uniform_",
    "he_normal_", "he_uniform_", "glorot_normal_", "glorot_uniform_",
    "zeros_", "ones_", "normal_", "uniform_",
]

#: Seed of the default generator used when a layer is built with ``rng=None``.
DEFAULT_SEED = 0

_default_rng = np.random.default_rng(DEFAULT_SEED)


def manual_seed(seed: int) -> np.random.Generator:
    """Re-seed the default generator (like ``torch.manual_seed``) and return it.

    Examples
    --------
    >>> from cnnedu import nn
    >>> _ = nn.init.manual_seed(42); a = nn.Linear(3, 2).weight.data
    >>> _ = nn.init.manual_seed(42); b = nn.Linear(3, 2).weight.data
    >>> bool((a == b).all())
    True
    """
    global _default_rng
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"manual_seed: seed must be an integer, got {seed!r}")
    _default_rng = np.random.default_rng(int(seed))
    return _default_rng


def default_rng() -> np.random.Generator:
    """The generator layers use when they are given ``rng=None``."""
    return _default_rng


def resolve_rng(rng, fn: str = "rng") -> np.random.Generator:
    """``None`` -> the default generator, an int -> a new generator seeded with it, a Generator -> itself."""
    if rng is None:
        return _default_rng
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, (bool, np.bool_)):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{fn}: rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}"
    )


_GAINS = {
    "linear": 1.0, "identity": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv_transpose2d": 1.0,
    "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0),
}


def calculate_gain(nonlinearity: str = "relu", param: float | None = None) -> float:
    r"""The gain :math:`g` of a nonlinearity, as ``torch.nn.init.calculate_gain``.

    ``"linear"``/``"sigmoid"``: 1, ``"tanh"``: 5/3, ``"relu"``: :math:`\sqrt 2`,
    ``"leaky_relu"`` with slope :math:`a` (``param``, default 0.01):
    :math:`\sqrt{2/(1+a^2)}`.

    Examples
    --------
    >>> round(calculate_gain("relu"), 4)
    1.4142
    """
    if nonlinearity == "leaky_relu":
        a = 0.01 if param is None else check_real("calculate_gain", "param", param)
        return math.sqrt(2.0 / (1.0 + a * a))
    if nonlinearity not in _GAINS:
        raise ValueError(
            f"calculate_gain: nonlinearity must be one of {sorted([*_GAINS, 'leaky_relu'])}, "
            f"got {nonlinearity!r}"
        )
    return _GAINS[nonlinearity]


def calculate_fan_in_and_fan_out(shape) -> tuple[int, int]:
    r"""``(fan_in, fan_out)`` of a weight of the given shape (see the module docstring).

    Examples
    --------
    >>> calculate_fan_in_and_fan_out((120, 400))       # Linear(400 -> 120)
    (400, 120)
    >>> calculate_fan_in_and_fan_out((16, 6, 5, 5))    # Conv2d(6 -> 16, kernel 5x5)
    (150, 400)
    """
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError(f"calculate_fan_in_and_fan_out: a weight needs at least 2 dimensions, got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _array(tensor, fn: str) -> np.ndarray:
    a = tensor.data if isinstance(tensor, Parameter) else tensor
    if not isinstance(a, np.ndarray) or a.dtype.kind != "f":
        raise TypeError(f"{fn}: expected a Parameter or a float ndarray to fill in place, got {type(tensor).__name__}")
    return a


def _fan(fn, a, mode, fan):
    if fan is not None:
        return check_real(fn, "fan", fan, 1.0)
    fan_in, fan_out = calculate_fan_in_and_fan_out(a.shape)
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    raise ValueError(f"{fn}: mode must be 'fan_in' or 'fan_out', got {mode!r}")


def _fill_normal(arr: np.ndarray, rng: np.random.Generator, mean: float, std: float) -> None:
    """arr[...] = N(mean, std^2) samples, drawn directly in arr's dtype (no float64 temporary)."""
    if arr.dtype in (np.float32, np.float64) and arr.flags.c_contiguous:
        rng.standard_normal(out=arr, dtype=arr.dtype)
    else:
        arr[...] = rng.standard_normal(arr.shape, dtype=np.float64)
    arr *= arr.dtype.type(std)
    if mean:
        arr += arr.dtype.type(mean)


def _fill_uniform(arr: np.ndarray, rng: np.random.Generator, low: float, high: float) -> None:
    """arr[...] = U(low, high) samples, drawn directly in arr's dtype."""
    if arr.dtype in (np.float32, np.float64) and arr.flags.c_contiguous:
        rng.random(out=arr, dtype=arr.dtype)
    else:
        arr[...] = rng.random(arr.shape)
    arr *= arr.dtype.type(high - low)
    arr += arr.dtype.type(low)


def kaiming_normal_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "relu", rng=None,
                    fan: float | None = None):
    r"""He (Kaiming) normal initialisation, in place: :math:`w \sim \mathcal N(0, g^2/\text{fan})`.

    Parameters
    ----------
    tensor : Parameter or ndarray
        Filled in place and returned.
    a : float
        Negative slope, used only when ``nonlinearity="leaky_relu"``.
    mode : {"fan_in", "fan_out"}
        ``"fan_in"`` preserves the variance of the activations in the forward
        pass, ``"fan_out"`` that of the gradients in the backward pass.
    nonlinearity : str
        See :func:`calculate_gain`; ``"relu"`` gives :math:`\sigma = \sqrt{2/\text{fan\_in}}`.
    rng : numpy.random.Generator, int or None
    fan : float, optional
        Use this fan instead of the one computed from the shape.

    Examples
    --------
    >>> import numpy as np
    >>> w = kaiming_normal_(np.empty((256, 1000)), rng=0)
    >>> round(float(w.std() * np.sqrt(1000 / 2)), 1)      # std = sqrt(2 / fan_in)
    1.0
    """
    fn = "kaiming_normal_"
    arr = _array(tensor, fn)
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(fn, arr, mode, fan))
    _fill_normal(arr, resolve_rng(rng, fn), 0.0, std)
    return tensor


def kaiming_uniform_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "relu", rng=None,
                     fan: float | None = None):
    r"""He (Kaiming) uniform initialisation, in place.

    :math:`w \sim \mathcal U(-b, b)` with :math:`b = g\sqrt{3/\text{fan}}`.

    Same variance, :math:`g^2/\text{fan}`, as :func:`kaiming_normal_`
    (a uniform on :math:`[-b, b]` has variance :math:`b^2/3`).  Arguments as
    :func:`kaiming_normal_`.
    """
    fn = "kaiming_uniform_"
    arr = _array(tensor, fn)
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(fn, arr, mode, fan))
    _fill_uniform(arr, resolve_rng(rng, fn), -bound, bound)
    return tensor


def xavier_normal_(tensor, gain: float = 1.0, rng=None):
    r"""Glorot (Xavier) normal initialisation, in place.

    .. math:: w \sim \mathcal N\!\left(0, \sigma^2\right), \qquad
              \sigma = g \sqrt{\frac{2}{\text{fan\_in} + \text{fan\_out}}}

    A compromise between preserving the forward and the backward variance; the
    classic choice for tanh and sigmoid networks.
    """
    fn = "xavier_normal_"
    arr = _array(tensor, fn)
    fan_in, fan_out = calculate_fan_in_and_fan_out(arr.shape)
    std = check_real(fn, "gain", gain) * math.sqrt(2.0 / (fan_in + fan_out))
    _fill_normal(arr, resolve_rng(rng, fn), 0.0, std)
    return tensor


def xavier_uniform_(tensor, gain: float = 1.0, rng=None):
    r"""Glorot (Xavier) uniform initialisation, in place.

    .. math:: w \sim \mathcal U(-b, b), \qquad b = g \sqrt{\frac{6}{\text{fan\_in} + \text{fan\_out}}}
    """
    fn = "xavier_uniform_"
    arr = _array(tensor, fn)
    fan_in, fan_out = calculate_fan_in_and_fan_out(arr.shape)
    bound = check_real(fn, "gain", gain) * math.sqrt(6.0 / (fan_in + fan_out))
    _fill_uniform(arr, resolve_rng(rng, fn), -bound, bound)
    return tensor


def normal_(tensor, mean: float = 0.0, std: float = 1.0, rng=None):
    """Fill in place from :math:`\\mathcal N(\\text{mean}, \\text{std}^2)`."""
    arr = _array(tensor, "normal_")
    _fill_normal(arr, resolve_rng(rng, "normal_"), mean, std)
    return tensor


def uniform_(tensor, a: float = 0.0, b: float = 1.0, rng=None):
    """Fill in place from :math:`\\mathcal U(a, b)`."""
    arr = _array(tensor, "uniform_")
    _fill_uniform(arr, resolve_rng(rng, "uniform_"), a, b)
    return tensor


def zeros_(tensor):
    """Fill with zeros in place (the default for every bias)."""
    _array(tensor, "zeros_")[...] = 0
    return tensor


def ones_(tensor):
    """Fill with ones in place (the default for BatchNorm's scale)."""
    _array(tensor, "ones_")[...] = 1
    return tensor


# The names the lecture and the papers use.
he_normal_ = kaiming_normal_
he_uniform_ = kaiming_uniform_
glorot_normal_ = xavier_normal_
glorot_uniform_ = xavier_uniform_
