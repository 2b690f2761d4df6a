r"""How the model builders create their weights: reproducible, and optional.

Every ``cnnedu.nn`` layer initialises its own weights when it is built (He
normal, drawn directly in the parameter's dtype), so a builder passes its
generator to each layer in turn and the same seed gives the same model.

With ``init_weights=False`` the layers are built with :func:`skip_init_rng`, a
generator whose ``normal`` and ``uniform`` draws are 0, so every weight stays
zero: a *skeleton* with every layer and parameter array of the right shape, for
:func:`cnnedu.models.summary`, for counting parameters, and for loading
weights (:meth:`~cnnedu.nn.Module.load_state_dict`, :func:`cnnedu.interop.from_torch`).
The arrays are still allocated: ``cnnedu.nn`` layers always own real arrays.
:func:`init_weights_` re-draws the weights of any model in place.
"""

from __future__ import annotations

import math

import numpy as np

from .. import nn, sizes
from .._checks import check_bool, check_int, check_real
from ..nn import init
from ..nn.conv import _ConvBase

__all__ = ["skip_init_rng", "init_weights_", "builder_rngs", "child_rng", "scaled", "pair", "spatial_size"]


class _SkipInit(np.random.Generator):
    """A generator whose draws fill with zeros (see the module docstring).

    Only the methods the initialisers of :mod:`cnnedu.nn.init` call are replaced.
    """

    def normal(self, loc=0.0, scale=1.0, size=None):  # noqa: D102 - see the class docstring
        return 0.0

    def uniform(self, low=0.0, high=1.0, size=None):  # noqa: D102
        return 0.0

    def standard_normal(self, size=None, dtype=np.float64, out=None):  # noqa: D102
        if out is not None:
            out[...] = 0
            return out
        return np.zeros(size, dtype=dtype)

    def random(self, size=None, dtype=np.float64, out=None):  # noqa: D102
        return self.standard_normal(size, dtype, out)


def skip_init_rng() -> np.random.Generator:
    """A generator that makes ``cnnedu.nn`` layers skip their random initialisation."""
    return _SkipInit(np.random.PCG64(0))


def builder_rngs(fn: str, rng, init_weights) -> tuple[np.random.Generator, np.random.Generator]:
    """``(rng for the builder's own draws, rng to pass to the layers)`` for a builder called with ``rng``."""
    rng = init.resolve_rng(rng, fn)
    return rng, (rng if check_bool(fn, "init_weights", init_weights) else skip_init_rng())


def child_rng(rng: np.random.Generator) -> np.random.Generator:
    """An independent generator seeded from ``rng`` (for a Dropout layer's masks)."""
    return np.random.default_rng(int(rng.integers(2**63)))


def _fan_in(m) -> int:
    if isinstance(m, _ConvBase):
        # the layers' own rule, also for transposed convolutions (see cnnedu.nn.conv)
        return m.in_channels // m.groups * math.prod(m.kernel_size)
    return m.in_features


def init_weights_(model: nn.Module, rng=None) -> nn.Module:
    r"""He-normal weights and zero biases for every convolution and Linear layer of ``model``, in place.

    :math:`w \sim \mathcal N(0, g^2/\text{fan\_in})` with :math:`g = \sqrt 2`
    (:func:`cnnedu.nn.init.calculate_gain` ``("relu")``), the default of every
    ``cnnedu.nn`` layer, drawn in the parameter's dtype.  BatchNorm layers get
    :math:`\gamma = 1`, :math:`\beta = 0`.  Layers are visited in
    :meth:`~cnnedu.nn.Module.modules` order, so a seed gives the same weights
    every time.

    Parameters
    ----------
    model : Module
    rng : numpy.random.Generator, int or None

    Returns
    -------
    model

    Examples
    --------
    >>> from cnnedu import nn
    >>> net = init_weights_(nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU()), rng=0)
    >>> round(float(net[0].weight.data.std() * (25 / 2) ** 0.5), 0)     # std = sqrt(2 / fan_in)
    1.0
    """
    rng = init.resolve_rng(rng, "init_weights_")
    gain = init.calculate_gain("relu")
    for m in model.modules():
        if isinstance(m, (_ConvBase, nn.Linear)):
            w = m.weight.data
            if w.flags.c_contiguous:                    # draw in place: no temporary
                rng.standard_normal(out=w, dtype=w.dtype)
            else:
                w[...] = rng.standard_normal(w.shape, dtype=w.dtype)
            w *= w.dtype.type(gain / math.sqrt(_fan_in(m)))
            if m.bias is not None:
                m.bias.data[...] = 0
        elif isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d) and m.affine:
            m.weight.data[...] = 1
            m.bias.data[...] = 0
    return model


def scaled(fn: str, channels: int, width: float, multiple: int = 1) -> int:
    """``channels * width`` rounded down to a multiple of ``multiple``, at least ``multiple``.

    The width multiplier of MobileNet (:math:`\\alpha`), applied to any network
    to make a thin version of it (a fast one for tests and notebooks).
    """
    width = check_real(fn, "width", width, 0.0, strict_minimum=True)
    return max(multiple, int(channels * width) // multiple * multiple)


def pair(fn: str, name: str, value) -> tuple[int, int]:
    """An int or a pair of ints as ``(h, w)``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{fn}: {name} must be an int or a pair (H, W), got {value!r}")
        return check_int(fn, name, value[0], 1), check_int(fn, name, value[1], 1)
    v = check_int(fn, name, value, 1)
    return v, v


def spatial_size(fn: str, input_size, steps) -> tuple[int, int]:
    """The map size ``(h, w)`` after a chain of convolutions and pools, from :mod:`cnnedu.sizes`.

    ``steps`` lists ``(kind, kernel, stride, padding)`` with ``kind`` ``"conv"``
    (:func:`~cnnedu.sizes.conv_output_size`) or ``"pool"``
    (:func:`~cnnedu.sizes.pool_output_size`).  A builder uses it to size the
    first fully connected layer for its ``input_size``.
    """
    size = pair(fn, "input_size", input_size)
    for kind, kernel, stride, padding in steps:
        f = sizes.conv_output_size if kind == "conv" else sizes.pool_output_size
        try:
            size = tuple(f(n, kernel, stride, padding) for n in size)
        except ValueError as exc:
            raise ValueError(f"{fn}: input_size {input_size!r} is too small for this network: {exc}") from None
    return size
