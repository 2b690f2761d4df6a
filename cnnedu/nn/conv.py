r"""Convolutional layers: the lecture's scanning, shared-weight perceptrons, with learnable filters.

Every layer here is a thin wrapper: it owns the filters ``weight`` and the
biases ``bias`` as :class:`~cnnedu.nn.Parameter` s, checks its input, and calls
:mod:`cnnedu.functional` for the forward and backward passes:

.. math::

    z = w * x + b \quad\text{(forward)}, \qquad
    \frac{\partial L}{\partial x},\ \frac{\partial L}{\partial w},\ \frac{\partial L}{\partial b}
    = \texttt{conv2d\_backward}\left(\frac{\partial L}{\partial z}, x, w\right) \quad\text{(backward)}

The activation is a separate layer (:class:`~cnnedu.nn.ReLU`), as in PyTorch,
so a conv layer's output is the lecture's affine map :math:`Z(l)`.

Default initialisation
----------------------
He (Kaiming) normal, :math:`w \sim \mathcal N(0, 2/\text{fan\_in})` with
:math:`\text{fan\_in} = \frac{C_{in}}{G} K_h K_w`, because the layers are meant
to be followed by ReLUs; biases are zero.  (PyTorch's default is a uniform
distribution of variance :math:`1/(3\,\text{fan\_in})`; call
:func:`cnnedu.nn.init.kaiming_uniform_` or any other initialiser on
``layer.weight`` to change it.)  Parameters are float32 unless ``dtype=np.float64``
is given; inputs are cast to the layer's dtype.
"""

from __future__ import annotations

import numpy as np

from .. import functional as F
from .._checks import check_bool, check_int, fmt_size
from . import init
from ._utils import check_dtype, padding_arg, window_args
from .module import Module, Parameter

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "DepthwiseSeparableConv2d"]

_LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)"}


def _channels_hint(x: np.ndarray, in_channels: int, nd: int) -> str:
    """Why the channel count is likely wrong, for the error message."""
    if nd == 2 and x.shape[-1] == in_channels:
        return (f"; the input looks channels-last (N, H, W, C): convert it with "
                f"x.transpose(0, 3, 1, 2)")
    return "; check out_channels of the layer before this one (or the channels of your data)"


class _ConvBase(Module):
    """What every convolution-like layer shares: argument checks, init, input checks."""

    _nd = 2
    _transposed = False

    def _setup(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
               dtype, rng):
        fn = type(self).__name__
        nd = self._nd
        self.in_channels = check_int(fn, "in_channels", in_channels, 1)
        self.out_channels = check_int(fn, "out_channels", out_channels, 1)
        self.groups = check_int(fn, "groups", groups, 1)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"{fn}: groups must divide in_channels and out_channels, got groups {self.groups} "
                f"with in_channels {self.in_channels} and out_channels {self.out_channels}"
            )
        self.kernel_size, self.stride, self.dilation = window_args(fn, nd, kernel_size, stride, dilation)
        self.padding = padding_arg(fn, padding, nd)
        self.dtype = check_dtype(fn, dtype)
        bias = check_bool(fn, "bias", bias)
        if self._transposed:
            shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        else:
            shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=self.dtype), "weight")
        self.bias = Parameter(np.zeros(self.out_channels, dtype=self.dtype), "bias") if bias else None
        self.reset_parameters(rng)

    def reset_parameters(self, rng=None) -> None:
        """He-normal weights with fan_in = (C_in/groups) * prod(kernel_size); zero biases."""
        fan_in = self.in_channels // self.groups * int(np.prod(self.kernel_size))
        init.kaiming_normal_(self.weight, rng=init.resolve_rng(rng, type(self).__name__), fan=fan_in)
        if self.bias is not None:
            init.zeros_(self.bias)

    def describe(self) -> str:
        s = f"{type(self).__name__}({self.in_channels} -> {self.out_channels}, kernel {fmt_size(self.kernel_size)}"
        if self.groups != 1:
            s += f", groups {self.groups}"
        return s + ")"

    def extra_repr(self) -> str:
        nd = self._nd
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * nd:
            s += f", padding={self.padding!r}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if getattr(self, "output_padding", (0,) * nd) != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.dtype != np.float32:
            s += f", dtype={self.dtype}"
        return s

    def _checked_input(self, x) -> np.ndarray:
        x = self._as_input(x, dtype=self.dtype)
        nd = self._nd
        self._check_ndim(x, nd + 2, _LAYOUT[nd])
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f"{self.describe()} expects {self.in_channels} input channels, got {x.shape[1]} "
                f"(input shape {x.shape}){_channels_hint(x, self.in_channels, nd)}"
            )
        return x

    def _b(self):
        return None if self.bias is None else self.bias.data

    def _accumulate(self, dw, db) -> None:
        self.weight.grad += dw
        if self.bias is not None:
            self.bias.grad += db

    def forward(self, x):
        x = self._checked_input(x)
        try:
            z = self._ops[self._nd][0](x, self.weight.data, self._b(), **self._geometry())
        except ValueError as exc:
            raise ValueError(f"{self.describe()} got input of shape {x.shape}: {exc}") from None
        self._cache = (x, z.shape)
        return z

    def backward(self, dy):
        x, out_shape = self._saved()
        dz = self._check_dy(dy, out_shape, x.dtype)
        dx, dw, db = self._ops[self._nd][1](dz, x, self.weight.data, **self._geometry())
        self._accumulate(dw, db)
        return dx


class _ConvNd(_ConvBase):
    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, *, dtype=np.float32, rng=None):
        super().__init__()
        self._setup(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                    dtype, rng)

    def _geometry(self):
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation, groups=self.groups)

    #: (forward, backward) of cnnedu.functional, by number of spatial dimensions.
    _ops = {1: (F.conv1d, F.conv1d_backward), 2: (F.conv2d, F.conv2d_backward)}


class Conv2d(_ConvNd):
    r"""2-D convolutional layer, as ``torch.nn.Conv2d``.

    .. math::

        z[n, o, p, q] = b[o] + \sum_{c \in \text{group}(o)} \sum_{i, j}
            w[o, c, i, j]\; x[n, c, pS_h - P_h + iD_h,\; qS_w - P_w + jD_w]

    Backward (:func:`cnnedu.functional.conv2d_backward`): ``dx`` is ``dz``
    (zero-upsampled by the stride) convolved with the flipped filters, ``dw`` is
    ``dz`` correlated with the input, ``db`` sums ``dz`` over batch and positions.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (int, int)
    stride, dilation : int or (int, int)
    padding : int, (int, int), ((top, bottom), (left, right)), "valid", "same" or "full"
        ``"same"`` is the lecture's rule, see :func:`cnnedu.sizes.same_padding`.
    groups : int
        ``groups = in_channels`` is a depthwise convolution.
    bias : bool
    dtype : np.float32 or np.float64
    rng : numpy.random.Generator, int or None
        For the initial weights, see :mod:`cnnedu.nn.init`.

    Attributes
    ----------
    weight : Parameter, shape (out_channels, in_channels/groups, K_h, K_w)
    bias : Parameter, shape (out_channels,), or None

    Shapes
    ------
    ``(N, C_in, H, W) -> (N, C_out, H_out, W_out)``, ``H_out =``
    :func:`cnnedu.sizes.conv_output_size` ``(H, K_h, S_h, padding, D_h)``.  The
    number of parameters is :func:`cnnedu.sizes.conv_parameter_count`.

    Examples
    --------
    >>> import numpy as np
    >>> conv = Conv2d(3, 16, 5, rng=0)           # LeNet-like first layer on colour images
    >>> conv
    Conv2d(3, 16, kernel_size=(5, 5), stride=(1, 1))
    >>> conv(np.zeros((8, 3, 32, 32))).shape
    (8, 16, 28, 28)
    >>> sum(p.size for p in conv.parameters())   # 16 (3*5*5 + 1)
    1216
    """

    _nd = 2


class Conv1d(_ConvNd):
    r"""1-D convolutional layer (a time-delay neural network layer), as ``torch.nn.Conv1d``.

    .. math:: z[n, o, t] = b[o] + \sum_{c \in \text{group}(o)} \sum_i w[o, c, i]\, x[n, c, tS - P + iD]

    Arguments as :class:`Conv2d`, with ints instead of pairs.

    Shapes
    ------
    ``(N, C_in, L) -> (N, C_out, L_out)``, ``L_out = conv_output_size(L, K, S, padding, D)``;
    weight ``(C_out, C_in/groups, K)``.

    Examples
    --------
    >>> import numpy as np
    >>> Conv1d(2, 4, 3, padding="same", rng=0)(np.zeros((1, 2, 10))).shape
    (1, 4, 10)
    """

    _nd = 1


class _ConvTransposeNd(_ConvBase):
    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1, *, dtype=np.float32,
                 rng=None):
        super().__init__()
        fn = type(self).__name__
        self.output_padding = tuple(check_int(fn, "output_padding", v, 0) for v in
                                    (output_padding if isinstance(output_padding, (tuple, list))
                                     else (output_padding,) * self._nd))
        if len(self.output_padding) != self._nd:
            raise ValueError(f"{fn}: output_padding must be an int or {self._nd} ints, got {output_padding!r}")
        self._setup(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                    dtype, rng)

    def _geometry(self):
        return dict(stride=self.stride, padding=self.padding, output_padding=self.output_padding,
                    groups=self.groups, dilation=self.dilation)

    _ops = {1: (F.conv_transpose1d, F.conv_transpose1d_backward),
            2: (F.conv_transpose2d, F.conv_transpose2d_backward)}


class ConvTranspose2d(_ConvTransposeNd):
    r"""2-D transposed ("expanding") convolution, as ``torch.nn.ConvTranspose2d``.

    Each input value pushes a copy of its filter, scaled by itself, onto the
    output; it is the transpose (the input-gradient) of a :class:`Conv2d` with
    the same stride, padding and dilation, so ``padding`` *crops* the output:

    .. math::

        z[n, o, h, w] = b[o] + \sum_{c \in \text{group}(o)} \sum_{p, q, i, j}
            x[n, c, p, q]\; w[c, o', i, j]\;[h = pS_h - P_h + iD_h,\ w = qS_w - P_w + jD_w]

    Parameters
    ----------
    in_channels, out_channels, kernel_size, stride, padding, groups, bias, dilation
        As :class:`Conv2d` (the argument order is PyTorch's).
    output_padding : int or (int, int)
        Extra rows/columns at the bottom/right, smaller than the stride or the
        dilation: it selects which of the input sizes a strided convolution
        maps to the same output the transposed one should restore.
    dtype, rng
        As :class:`Conv2d`.

    Attributes
    ----------
    weight : Parameter, shape (in_channels, out_channels/groups, K_h, K_w)
        Note the order: PyTorch's layout for transposed convolutions.
    bias : Parameter, shape (out_channels,), or None

    Shapes
    ------
    ``(N, C_in, H, W) -> (N, C_out, H_out, W_out)`` with ``H_out =``
    :func:`cnnedu.sizes.conv_transpose_output_size`
    :math:`= (H-1)S_h - P_{top} - P_{bottom} + D_h(K_h-1) + \text{output\_padding} + 1`.

    Default initialisation: He normal with :math:`\text{fan\_in} = \frac{C_{in}}{G}K_hK_w`
    (the fan-in of the convolution with stride 1).

    Examples
    --------
    >>> import numpy as np
    >>> up = ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1, rng=0)
    >>> up(np.zeros((1, 16, 7, 7))).shape          # doubles the map: 7 -> 14
    (1, 8, 14, 14)
    """

    _nd = 2


class ConvTranspose1d(_ConvTransposeNd):
    r"""1-D transposed convolution, as ``torch.nn.ConvTranspose1d``; see :class:`ConvTranspose2d`.

    Weight ``(C_in, C_out/groups, K)``; ``(N, C_in, L) -> (N, C_out, L_out)`` with
    ``L_out = (L-1)S - P_lo - P_hi + D(K-1) + output_padding + 1``.
    """

    _nd = 1


class DepthwiseSeparableConv2d(Module):
    r"""A depthwise convolution followed by a 1x1 (pointwise) convolution.

    The depthwise stage filters each of the :math:`M` input channels with its own
    :math:`K \times K` filter (``groups = in_channels``); the pointwise stage
    mixes the channels with :math:`N` filters of size :math:`1 \times 1 \times M`:

    .. math::

        u[n, c] = w^{dw}_c * x[n, c] + b^{dw}_c, \qquad
        z[n, o] = \sum_{c=1}^{M} w^{pw}[o, c]\, u[n, c] + b^{pw}_o

    That is :math:`MK^2 + NM` weights instead of a conventional layer's
    :math:`NMK^2` (:func:`cnnedu.sizes.depthwise_separable_parameter_count`), and
    as many fewer multiply-accumulates.  Backward runs the two stages in reverse.
    No nonlinearity sits between the stages (MobileNet adds BatchNorm and ReLU
    there; build that with :class:`~cnnedu.nn.Sequential` if you want it).

    Parameters
    ----------
    in_channels, out_channels : int
        :math:`M` and :math:`N`.
    kernel_size, stride, padding, dilation
        Of the depthwise stage, as :class:`Conv2d`.
    bias : bool
        A bias for each stage.
    dtype, rng
        As :class:`Conv2d`.

    Attributes
    ----------
    depthwise : Conv2d
        ``Conv2d(M, M, K, stride, padding, dilation, groups=M)``
    pointwise : Conv2d
        ``Conv2d(M, N, 1)``

    Examples
    --------
    >>> from cnnedu import sizes
    >>> layer = DepthwiseSeparableConv2d(32, 64, 3, padding=1, bias=False, rng=0)
    >>> sum(p.size for p in layer.parameters()) == sizes.depthwise_separable_parameter_count(32, 64, 3, bias=False)
    True
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 bias: bool = True, *, dtype=np.float32, rng=None):
        super().__init__()
        fn = type(self).__name__
        in_channels = check_int(fn, "in_channels", in_channels, 1)
        out_channels = check_int(fn, "out_channels", out_channels, 1)
        rng = init.resolve_rng(rng, fn)
        self.depthwise = Conv2d(in_channels, in_channels, kernel_size, stride, padding, dilation,
                                groups=in_channels, bias=bias, dtype=dtype, rng=rng)
        self.pointwise = Conv2d(in_channels, out_channels, 1, bias=bias, dtype=dtype, rng=rng)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = self.depthwise.kernel_size

    def describe(self) -> str:
        return (f"{type(self).__name__}({self.in_channels} -> {self.out_channels}, "
                f"kernel {fmt_size(self.kernel_size)})")

    def forward(self, x):
        x = self.depthwise._as_input(x, dtype=self.depthwise.dtype)
        self._check_ndim(x, 4, _LAYOUT[2])
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f"{self.describe()} expects {self.in_channels} input channels, got {x.shape[1]} "
                f"(input shape {x.shape}){_channels_hint(x, self.in_channels, 2)}"
            )
        return self.pointwise(self.depthwise(x))

    def backward(self, dy):
        return self.depthwise.backward(self.pointwise.backward(dy))

