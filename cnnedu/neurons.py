r"""What one neuron of a CNN sees, and what it responds to.

Two questions about a unit deep inside a network, from the lecture's slides on
receptive fields:

**Which input samples can change it?**  Its *receptive field*.  Along each
spatial dimension, layer :math:`l` with kernel :math:`k_l`, stride :math:`s_l`,
dilation :math:`d_l` and :math:`P_l` zeros of padding before its input gives
(:func:`cnnedu.sizes.receptive_field` for :math:`r` and :math:`j`)

.. math::

    r_l = r_{l-1} + (k_l - 1)\, d_l\, j_{l-1}, \qquad j_l = j_{l-1}\, s_l, \qquad
    b_l = b_{l-1} - P_l\, j_{l-1}

from :math:`r_0 = j_0 = 1, b_0 = 0`: unit :math:`p` of layer :math:`L` sees the
input samples :math:`b_L + p\, j_L, \dots, b_L + p\, j_L + r_L - 1` (those that
exist: the rest is padding).  Pooling is a layer with dilation 1; activations
and normalisation change nothing; ``Flatten`` followed by ``Linear`` is a
convolution whose kernel covers the whole map, so a fully connected unit sees
everything its input maps saw.  :func:`receptive_fields` makes the table layer
by layer and :func:`receptive_field_box` gives the samples one unit sees.

The check: set the derivative of the unit to 1 and of every other unit to 0 and
back-propagate to the input (:func:`input_gradient`).  The input gradient is
zero outside the receptive field, because no path leads from there to the unit.
Inside, a path can still carry zero (a ReLU that is off, a max-pooling window
another input won), so the non-zero *support* (:func:`gradient_support`) lies
within the box and fills it when every path is open (e.g. positive weights and
inputs, mean pooling).

**What pattern makes it fire?**  "We estimate it by setting the output of the
neuron to 1, and learning the *input* by backpropagation": the same gradient,
now used to change the input, step by step, so that the unit's output grows
(gradient ascent, :func:`maximize_activation`).  The weights stay fixed; only
the image is learnt.

Models are :class:`~cnnedu.nn.Sequential` stacks (for a
:class:`~cnnedu.nn.MultiHead`, pass its ``trunk``); ``layer`` is the index (or
name) of the layer whose output holds the unit, and ``unit`` is an int (a
channel, averaged over its positions; or a feature after ``Flatten``) or a
tuple ``(channel, i, j)`` naming one unit of one example.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from . import nn, sizes
from ._checks import as_numeric, check_int, check_real, check_rng
from .nn.conv import _ConvNd
from .nn.pooling import _Pool

__all__ = ["ReceptiveField", "receptive_fields", "receptive_field_box", "input_gradient", "gradient_support",
           "ActivationMaximization", "maximize_activation"]

#: Layers that act on each value (or each channel) without looking at neighbours:
#: they leave the receptive field unchanged.
ELEMENTWISE = (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.Identity, nn.Dropout, nn.BatchNorm1d, nn.BatchNorm2d)


# --------------------------------------------------------------------------- addressing layers and units


def _layers(fn: str, model) -> list[tuple[str, nn.Module]]:
    if not isinstance(model, nn.Sequential):
        hint = " (for a MultiHead, pass its .trunk)" if isinstance(model, nn.MultiHead) else ""
        raise TypeError(f"{fn}: model must be an nn.Sequential{hint}, got {type(model).__name__}")
    return list(model.named_children())


def _layer_index(fn: str, layers, layer) -> int:
    names = [name for name, _ in layers]
    if isinstance(layer, str):
        if layer not in names:
            raise ValueError(f"{fn}: layer {layer!r} is not a layer of the model; its layers are {names}")
        return names.index(layer)
    if isinstance(layer, (bool, np.bool_)) or not isinstance(layer, numbers.Integral):
        raise TypeError(f"{fn}: layer must be an index or a name of the model's layers, got {layer!r}")
    n = len(layers)
    if not -n <= layer < n:
        raise ValueError(f"{fn}: layer must be in [{-n}, {n}) for a model of {n} layers, got {layer}")
    return int(layer) % n


def _check_input_shape(fn: str, input_shape) -> tuple[int, ...]:
    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(f"{fn}: input_shape must be a tuple (C, L) or (C, H, W), got {input_shape!r}")
    if not 2 <= len(input_shape) <= 3:
        raise ValueError(f"{fn}: input_shape must be (C, L) or (C, H, W), one example without the batch "
                         f"axis, got {tuple(input_shape)!r}")
    return tuple(check_int(fn, "input_shape", v, 1) for v in input_shape)


def _unit_gradient(fn: str, out_shape: tuple, unit, dtype) -> np.ndarray:
    """dL/d(output) for L = the unit (a tuple index) or the mean of a channel (an int)."""
    dy = np.zeros(out_shape, dtype=dtype)
    per_example = out_shape[1:]
    if isinstance(unit, (tuple, list)):
        if len(unit) != len(per_example):
            raise ValueError(f"{fn}: unit must index the layer's output for one example, shape {per_example}: "
                             f"give {len(per_example)} indices, got {tuple(unit)!r}")
        idx = tuple(check_int(fn, "unit", u, 0) for u in unit)
        for i, (u, m) in enumerate(zip(idx, per_example)):
            if u >= m:
                raise ValueError(f"{fn}: unit index {i} must be < {m} for the layer's output {per_example}, "
                                 f"got {u}")
        dy[(0,) + idx] = 1.0
        return dy
    channel = check_int(fn, "unit", unit, 0)
    if channel >= per_example[0]:
        raise ValueError(f"{fn}: unit (a channel) must be < {per_example[0]}, the layer's output has "
                         f"shape {per_example}, got {channel}")
    dy[0, channel] = 1.0 / max(1, int(np.prod(per_example[1:])))
    return dy


# --------------------------------------------------------------------------- receptive fields


@dataclass(frozen=True)
class ReceptiveField:
    """One row of :func:`receptive_fields`: a layer and what one of its units sees.

    Attributes
    ----------
    name : str
        The layer's name in the Sequential (``"0"``, ``"1"``, ... or its own name).
    layer : str
        Its class name.
    output_shape : tuple of int
        One example's output (channels first).
    size : tuple of int
        :math:`r`, the receptive field along each input dimension (height, width).
    jump : tuple of int
        :math:`j`, the input distance between neighbouring units of the layer.
    start : tuple of int
        :math:`b`, where unit 0's field starts in the input (negative: in the padding).
    """

    name: str
    layer: str
    output_shape: tuple
    size: tuple
    jump: tuple
    start: tuple


def _geometry(fn: str, module: nn.Module, in_shape: tuple, out_shape: tuple):
    """The (kernel, stride, dilation, padding before) steps of one layer, per input spatial dimension.

    ``in_shape``/``out_shape`` are one example's shapes.  Returns a list of steps,
    each a tuple with one ``(k, s, d, p)`` per spatial dimension of the layer's input.
    """
    from .models._layers import AdaptiveAvgPool2d

    spatial = in_shape[1:]
    if isinstance(module, ELEMENTWISE) or (isinstance(module, nn.Linear) and len(in_shape) == 1):
        return []
    if isinstance(module, nn.Sequential):
        return _nested(fn, module, in_shape)
    if isinstance(module, (_ConvNd, _Pool)):
        dilation = getattr(module, "dilation", (1,) * len(spatial))
        step = []
        for dim, n in enumerate(spatial):
            k, s, d = module.kernel_size[dim], module.stride[dim], dilation[dim]
            pad = module.padding if isinstance(module.padding, str) else module.padding[dim]
            lo, _ = sizes.resolve_padding(n, k, s, pad, d)
            step.append((k, s, d, lo))
        return [tuple(step)]
    if isinstance(module, nn.DepthwiseSeparableConv2d):
        return _geometry(fn, module.depthwise, in_shape, out_shape)
    if isinstance(module, AdaptiveAvgPool2d) and all(o in (1, None) for o in module.output_size):
        return [tuple((n, n, 1, 0) if o == 1 else (1, 1, 1, 0) for n, o in zip(spatial, module.output_size))]
    if isinstance(module, nn.Flatten) and len(out_shape) == 1:
        return [tuple((n, n, 1, 0) for n in spatial)] if spatial else []
    raise TypeError(f"{fn}: cannot follow the receptive field through {module.describe()}; supported are "
                    f"convolutions, pooling, global average pooling, Flatten, Linear and elementwise layers")


def _nested(fn: str, seq: nn.Sequential, in_shape: tuple):
    steps, x = [], np.zeros((1,) + in_shape)
    for _, m in seq.named_children():
        y = m(x)
        steps += _geometry(fn, m, x.shape[1:], y.shape[1:])
        x = y
    return steps


def _compose(steps: list, n_dims: int):
    """(r, j, b) per input dimension after ``steps`` (see the module docstring)."""
    r, j, b = [], [], []
    for dim in range(n_dims):
        geometry = [step[dim][:3] for step in steps]
        size, jump = sizes.receptive_field(geometry)
        start, jj = 0, 1
        for step in steps:
            k, s, d, p = step[dim]
            start -= p * jj
            jj *= s
        r.append(size)
        j.append(jump)
        b.append(start)
    return tuple(r), tuple(j), tuple(b)


def _walk(fn: str, model, input_shape):
    """Forward zeros through the layers; per layer: (name, module, out_shape, r, j, b)."""
    layers = _layers(fn, model)
    input_shape = _check_input_shape(fn, input_shape)
    n_dims = len(input_shape) - 1
    x = np.zeros((1,) + input_shape)
    steps, rows = [], []
    with _EvalMode(model):
        for name, m in layers:
            try:
                y = m(x)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{fn}: layer {name!r} ({m.describe()}) cannot take the output of the layer "
                                 f"before it, shape {x.shape[1:]}: {exc}") from None
            steps += _geometry(fn, m, x.shape[1:], y.shape[1:])
            rows.append((name, m, y.shape[1:], *_compose(steps, n_dims)))
            x = y
    return rows


class _EvalMode:
    """Evaluation mode (Dropout off, BatchNorm's running statistics untouched) and the gradients kept."""

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        self.training = self.model.training
        self.grads = [p.grad.copy() for p in self.model.parameters()]
        self.model.eval()

    def __exit__(self, *exc):
        self.model.train(self.training)
        for p, g in zip(self.model.parameters(), self.grads):
            p.grad[...] = g


def receptive_fields(model, input_shape) -> list[ReceptiveField]:
    """The receptive field of every layer of a Sequential, layer by layer (module docstring).

    Parameters
    ----------
    model : nn.Sequential
        Convolutions, pooling, global average pooling, ``Flatten``, ``Linear``
        and elementwise layers (activations, dropout, batch normalisation).
    input_shape : (C, L) or (C, H, W)
        One example's shape, to size every map (and resolve ``"same"`` padding).

    Returns
    -------
    list of ReceptiveField
        One per layer, in order.

    Examples
    --------
    >>> from cnnedu import nn
    >>> lenet = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
    ...                       nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 10))
    >>> [(f.layer, f.size[0], f.jump[0]) for f in receptive_fields(lenet, (1, 32, 32))][:6:2]
    [('Conv2d', 5, 1), ('MaxPool2d', 6, 2), ('ReLU', 14, 2)]
    >>> [f.size for f in receptive_fields(lenet, (1, 32, 32))]       # a fully connected unit sees all
    [(5, 5), (5, 5), (6, 6), (14, 14), (14, 14), (16, 16), (32, 32), (32, 32)]
    """
    rows = _walk("receptive_fields", model, input_shape)
    return [ReceptiveField(name, type(m).__name__, tuple(shape), r, j, b) for name, m, shape, r, j, b in rows]


def receptive_field_box(model, input_shape, layer=-1, unit=0) -> tuple[tuple[int, int], ...] | None:
    """The input samples a unit sees: ``(first, last)`` along each input dimension, inside the input.

    For a tuple ``unit = (channel, *position)`` the field of that position,
    :math:`b + p j` to :math:`b + p j + r - 1` (module docstring); for an int (a
    whole channel, or a feature after ``Flatten``) the union of the fields of
    all its positions.  Samples in the padding are cut off; ``None`` if the
    unit sees nothing but padding.  The box is the *extent* of the field: with
    dilation (or strides larger than the windows) some samples inside it are
    skipped, and where padding cuts the box the first sample really seen can
    lie a little inside its edge.

    Examples
    --------
    >>> from cnnedu import nn
    >>> net = nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3))
    >>> receptive_field_box(net, (1, 16, 16), layer=2, unit=(0, 1, 2))     # r = 8, j = 2
    ((2, 9), (4, 11))
    """
    fn = "receptive_field_box"
    rows = _walk(fn, model, input_shape)
    index = _layer_index(fn, _layers(fn, model), layer)
    _, _, out_shape, r, j, b = rows[index]
    _unit_gradient(fn, (1,) + tuple(out_shape), unit, np.float64)   # validates the unit
    input_shape = tuple(input_shape)
    spatial_out = out_shape[1:]
    box = []
    for dim, n in enumerate(input_shape[1:]):
        if dim < len(spatial_out):
            if isinstance(unit, (tuple, list)):
                first_unit = last_unit = unit[1 + dim]
            else:
                first_unit, last_unit = 0, spatial_out[dim] - 1
        else:   # after Flatten: the one position there is
            first_unit = last_unit = 0
        lo = b[dim] + first_unit * j[dim]
        hi = b[dim] + last_unit * j[dim] + r[dim] - 1
        if hi < 0 or lo > n - 1:
            return None
        box.append((max(lo, 0), min(hi, n - 1)))
    return tuple(box)


# --------------------------------------------------------------------------- back to the input


def _value_and_gradient(fn: str, layers, x: np.ndarray, unit):
    """Forward x through ``layers``; return (the unit's value, d unit / d x)."""
    out = x
    for name, m in layers:
        out = m(out)
    if isinstance(out, tuple):
        raise TypeError(f"{fn}: the layer's output is a tuple; choose a layer of a single output")
    dy = _unit_gradient(fn, out.shape, unit, out.dtype)
    value = float(np.sum(dy * out))
    for _, m in reversed(layers):
        dy = m.backward(dy)
    return value, dy


def _one_example(fn: str, x) -> np.ndarray:
    a = as_numeric(fn, "x", x)
    if a.ndim not in (3, 4) or a.shape[0] != 1:
        raise ValueError(f"{fn}: x must be a batch of one example, shape (1, C, L) or (1, C, H, W) "
                         f"(e.g. x_test[:1]), got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{fn}: x contains NaN or inf")
    return a if a.dtype.kind == "f" else a.astype(np.float64)


def input_gradient(model, x, layer=-1, unit=0) -> np.ndarray:
    r"""The derivative of one unit (or one channel's mean) with respect to the input, by backpropagation.

    The lecture's recipe: set the derivative of the chosen unit to 1 (and all
    others to 0), run the backward pass of the layers from ``layer`` down to
    the input.  The model runs in evaluation mode and its parameters' ``.grad``
    are left as they were.

    Parameters
    ----------
    model : nn.Sequential
    x : array_like, shape (1, C, L) or (1, C, H, W)
        One example, with its batch axis (e.g. ``x_test[:1]``).
    layer : int or str
        Index (negative counts from the end) or name of the layer whose output
        holds the unit.
    unit : int or tuple of int
        A tuple ``(channel, i, j)`` (``(channel, t)`` in 1-D, ``(feature,)`` after
        ``Flatten``) for one unit; an int for the mean of a whole channel (or one
        feature).

    Returns
    -------
    numpy.ndarray
        :math:`\partial\, \text{unit} / \partial x`, shaped like ``x``.  Non-zero
        only inside the unit's receptive field (:func:`receptive_field_box`).

    Examples
    --------
    >>> import numpy as np
    >>> from cnnedu import nn
    >>> net = nn.Sequential(nn.Conv1d(1, 1, 3, rng=0), nn.Conv1d(1, 1, 3, rng=1))
    >>> g = input_gradient(net, np.ones((1, 1, 10)), layer=1, unit=(0, 4))
    >>> np.flatnonzero(g[0, 0]).tolist()          # unit 4 sees samples 4 to 4 + 5 - 1
    [4, 5, 6, 7, 8]
    """
    fn = "input_gradient"
    layers = _layers(fn, model)
    x = _one_example(fn, x)
    index = _layer_index(fn, layers, layer)
    with _EvalMode(model):
        _, dx = _value_and_gradient(fn, layers[:index + 1], x, unit)
    return np.asarray(dx).reshape(x.shape)


def gradient_support(grad, threshold: float = 0.0) -> tuple[tuple[int, int], ...] | None:
    """``(first, last)`` index along each spatial dimension where ``|grad| > threshold``; None if nowhere.

    ``grad`` is an input gradient ``(1, C, L)`` or ``(1, C, H, W)`` (channels and
    the batch are merged: a sample counts if any channel's derivative is
    non-zero), or a single map ``(H, W)``/``(L,)``.

    Examples
    --------
    >>> g = np.zeros((1, 1, 6, 6)); g[0, 0, 1:4, 2:5] = 0.3
    >>> gradient_support(g)
    ((1, 3), (2, 4))
    """
    fn = "gradient_support"
    g = as_numeric(fn, "grad", grad)
    threshold = check_real(fn, "threshold", threshold, 0.0)
    if g.ndim in (3, 4):
        mask = (np.abs(g) > threshold).any(axis=(0, 1))
    elif g.ndim in (1, 2):
        mask = np.abs(g) > threshold
    else:
        raise ValueError(f"{fn}: grad must be (1, C, L), (1, C, H, W), (L,) or (H, W), got shape {g.shape}")
    if not mask.any():
        return None
    box = []
    for axis in range(mask.ndim):
        hit = np.flatnonzero(mask.any(axis=tuple(a for a in range(mask.ndim) if a != axis)))
        box.append((int(hit[0]), int(hit[-1])))
    return tuple(box)


# --------------------------------------------------------------------------- what a neuron responds to


@dataclass(frozen=True)
class ActivationMaximization:
    """What :func:`maximize_activation` found.

    Attributes
    ----------
    x : numpy.ndarray
        The input it ended with, ``(1, C, ...)``.
    activations : numpy.ndarray
        The unit's value before each step and after the last, ``steps + 1`` values.
    """

    x: np.ndarray
    activations: np.ndarray


def maximize_activation(model, input_shape, layer=-1, unit=0, *, steps: int = 100, lr: float = 0.05,
                        weight_decay: float = 0.0, blur: float = 0.0, bounds=None, rng=0,
                        init_scale: float = 0.01) -> ActivationMaximization:
    r"""Learn the input that makes a unit fire: gradient ascent on the input, the weights fixed.

    Starting from small noise :math:`x_0 \sim \mathcal N(0, \sigma^2)` (moved
    into ``bounds``), each step follows the gradient of the objective
    :math:`J(x) = a(x) - \frac{\lambda}{2}\lVert x \rVert^2` (:math:`a` the
    unit's value, from :func:`input_gradient`; :math:`\lambda` =
    ``weight_decay`` keeps the input from growing without limit), normalised
    so that every step has the same size:

    .. math::

        x \leftarrow \Pi\!\left(x + \eta\, \frac{\nabla J}{\operatorname{rms}(\nabla J)}\right)

    with :math:`\Pi` the clipping to ``bounds`` (if given) and
    :math:`\operatorname{rms}` the root mean square over the input.  Plain
    ascent finds high-frequency speckle that excites the unit as well as any
    stroke; ``blur`` > 0 smooths the input with a Gaussian of that standard
    deviation (in samples, along the spatial axes) after every step, a simple
    prior towards natural-looking inputs (Yosinski et al., 2015).  A unit
    behind a ReLU that is off for the starting noise has no gradient; choose
    the layer before the ReLU.

    Parameters
    ----------
    model : nn.Sequential
    input_shape : (C, L) or (C, H, W)
        One example's shape.
    layer, unit
        As for :func:`input_gradient`.
    steps : int, >= 1
    lr : float, > 0
        :math:`\eta`, the root-mean-square change of the input per step.
    weight_decay : float, >= 0
        :math:`\lambda`.
    blur : float, >= 0
        Standard deviation of the Gaussian smoothing after each step (0: none).
    bounds : (float, float), optional
        Keep every input value in ``[low, high]`` (e.g. ``(0, 1)`` for images).
    rng : numpy.random.Generator or int
        Source of the starting noise.
    init_scale : float, >= 0
        :math:`\sigma`.

    Returns
    -------
    ActivationMaximization
        The input found and the unit's value along the way.

    Examples
    --------
    >>> from cnnedu import nn
    >>> net = nn.Sequential(nn.Conv2d(1, 2, 3, rng=0), nn.ReLU(), nn.Conv2d(2, 1, 3, rng=1))
    >>> result = maximize_activation(net, (1, 9, 9), layer=2, unit=(0, 2, 2), steps=20, bounds=(0, 1))
    >>> result.x.shape, bool(result.activations[-1] > result.activations[0])
    ((1, 1, 9, 9), True)
    """
    fn = "maximize_activation"
    layers = _layers(fn, model)
    input_shape = _check_input_shape(fn, input_shape)
    index = _layer_index(fn, layers, layer)
    steps = check_int(fn, "steps", steps, 1)
    lr = check_real(fn, "lr", lr, 0.0, strict_minimum=True)
    weight_decay = check_real(fn, "weight_decay", weight_decay, 0.0)
    init_scale = check_real(fn, "init_scale", init_scale, 0.0)
    blur = check_real(fn, "blur", blur, 0.0)
    rng = check_rng(fn, rng)
    if bounds is not None:
        if not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
            raise TypeError(f"{fn}: bounds must be None or a pair (low, high), got {bounds!r}")
        low = check_real(fn, "bounds[0]", bounds[0])
        high = check_real(fn, "bounds[1]", bounds[1])
        if not low < high:
            raise ValueError(f"{fn}: bounds must have low < high, got {bounds!r}")
    x = init_scale * rng.standard_normal((1,) + input_shape)
    if bounds is not None:
        x = np.clip(x + (low if low > 0 or high < 0 else 0.0), low, high)
    chain = layers[:index + 1]
    values = []
    with _EvalMode(model):
        for _ in range(steps):
            value, g = _value_and_gradient(fn, chain, x, unit)
            values.append(value)
            g = np.asarray(g, dtype=np.float64).reshape(x.shape) - weight_decay * x
            rms = np.sqrt(np.mean(g * g))
            if rms > 0:
                x = x + lr * g / rms
            if blur > 0:
                from scipy.ndimage import gaussian_filter

                x = gaussian_filter(x, sigma=(0, 0) + (blur,) * (x.ndim - 2), mode="constant")
            if bounds is not None:
                x = np.clip(x, low, high)
        values.append(_value_and_gradient(fn, chain, x, unit)[0])
    return ActivationMaximization(x, np.array(values))
