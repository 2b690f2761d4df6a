r"""Size arithmetic of convolution and pooling: one tested function per formula.

Every size the book prints and every shape ``cnnedu.functional`` allocates comes
from here, so a formula lives in exactly one place.

Notation (the lecture's, one spatial dimension at a time): input size :math:`N`,
kernel (filter) size :math:`M`, stride :math:`S`, dilation :math:`D`, zero padding
:math:`P_{lo}` before and :math:`P_{hi}` after the input.  A dilated kernel spans
:math:`D(M-1)+1` samples.

``padding`` may be given as

* an ``int`` ``p`` (the same on both sides: ``(p, p)``),
* a pair ``(lo, hi)``,
* ``"valid"``: no padding,
* ``"same"``: the lecture's rule, output size :math:`\lceil N/S \rceil`
  (see :func:`same_padding`),
* ``"full"``: :math:`D(M-1)` on both sides, so every window overlapping the
  input by at least one sample is computed.
"""

from __future__ import annotations

import math

from ._checks import MAX_SIZE, check_int

__all__ = [
    "resolve_padding",
    "same_padding",
    "full_padding",
    "conv_output_size",
    "pool_output_size",
    "conv_transpose_output_size",
    "resolve_transpose_padding",
    "conv_parameter_count",
    "depthwise_separable_parameter_count",
    "linear_parameter_count",
    "conv_macs",
    "depthwise_separable_macs",
    "receptive_field",
]

PADDING_STRINGS = ("valid", "same", "full")


def _span(kernel: int, dilation: int) -> int:
    """Number of input samples a dilated kernel covers: D(M-1)+1."""
    return dilation * (kernel - 1) + 1


def _same_padding(n: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    total = stride * math.ceil(n / stride) - n + dilation * (kernel - 1)
    lo = total // 2
    return lo, total - lo


def _resolve_padding(fn, n, kernel, stride, padding, dilation) -> tuple[int, int]:
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0
        if padding == "same":
            return _same_padding(n, kernel, stride, dilation)
        if padding == "full":
            return (dilation * (kernel - 1),) * 2
        raise ValueError(
            f"{fn}: padding must be an int, a pair (lo, hi) or one of "
            f"{', '.join(map(repr, PADDING_STRINGS))}, got {padding!r}"
        )
    if isinstance(padding, (tuple, list)):
        if len(padding) != 2:
            raise ValueError(f"{fn}: padding pair must be (lo, hi), got {padding!r}")
        return (check_int(fn, "padding", padding[0], 0, MAX_SIZE),
                check_int(fn, "padding", padding[1], 0, MAX_SIZE))
    p = check_int(fn, "padding", padding, 0, MAX_SIZE)
    return p, p


def resolve_padding(n: int, kernel: int, stride: int = 1, padding=0, dilation: int = 1) -> tuple[int, int]:
    """Turn any padding specification into the zeros added before and after the input.

    Parameters
    ----------
    n, kernel, stride, dilation : int
        Input size :math:`N`, kernel size :math:`M`, stride :math:`S`, dilation :math:`D`.
    padding : int, (int, int) or {"valid", "same", "full"}
        See the module docstring.

    Returns
    -------
    (lo, hi) : tuple of int

    Examples
    --------
    >>> resolve_padding(5, 3, padding="same")
    (1, 1)
    >>> resolve_padding(5, 3, padding=(0, 2))
    (0, 2)
    """
    fn = "resolve_padding"
    n, kernel, stride, dilation = _check_geometry(fn, n, kernel, stride, dilation)
    return _resolve_padding(fn, n, kernel, stride, padding, dilation)


def same_padding(n: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    r"""Zero padding that makes the output size :math:`\lceil N/S \rceil` (the lecture's rule).

    The lecture first pads the input up to a multiple of the stride,
    :math:`S\lceil N/S\rceil - N` zeros, and then adds the :math:`D(M-1)` zeros a
    stride-1 "same" convolution needs, as symmetrically as possible:

    .. math::

        P = S\lceil N/S\rceil - N + D(M-1), \qquad P_{lo} = \lfloor P/2 \rfloor,
        \qquad P_{hi} = P - P_{lo}.

    For stride 1 this is PyTorch's ``padding="same"`` (the odd zero goes after the
    input).  For stride > 1 it pads :math:`S-1` more zeros than TensorFlow's
    ``"SAME"``; both give :math:`\lceil N/S\rceil` outputs, but the windows can sit
    one sample apart, so results may differ from TensorFlow's.

    Examples
    --------
    >>> same_padding(5, 3)          # odd filter: (M-1)/2 on each side
    (1, 1)
    >>> same_padding(5, 4)          # even filter: one side gets one zero less
    (1, 2)
    >>> same_padding(5, 3, stride=2)
    (1, 2)
    """
    fn = "same_padding"
    n, kernel, stride, dilation = _check_geometry(fn, n, kernel, stride, dilation)
    return _same_padding(n, kernel, stride, dilation)


def full_padding(kernel: int, dilation: int = 1) -> tuple[int, int]:
    r""":math:`D(M-1)` zeros on each side: every overlap of window and input is computed.

    Examples
    --------
    >>> full_padding(3)
    (2, 2)
    """
    fn = "full_padding"
    kernel = check_int(fn, "kernel", kernel, 1)
    dilation = check_int(fn, "dilation", dilation, 1)
    return (dilation * (kernel - 1),) * 2


def _check_geometry(fn, n, kernel, stride, dilation):
    return (
        check_int(fn, "n", n, 1, MAX_SIZE),
        check_int(fn, "kernel", kernel, 1, MAX_SIZE),
        check_int(fn, "stride", stride, 1, MAX_SIZE),
        check_int(fn, "dilation", dilation, 1, MAX_SIZE),
    )


def _conv_output_size(fn, n, kernel, stride, padding, dilation) -> int:
    n, kernel, stride, dilation = _check_geometry(fn, n, kernel, stride, dilation)
    lo, hi = _resolve_padding(fn, n, kernel, stride, padding, dilation)
    padded, span = n + lo + hi, _span(kernel, dilation)
    if span > padded:
        raise ValueError(
            f"{fn}: kernel {kernel} (dilation {dilation}, span {span}) does not fit "
            f"in the padded input {padded} = {n} + {lo} + {hi}"
        )
    return (padded - span) // stride + 1


def conv_output_size(n: int, kernel: int, stride: int = 1, padding=0, dilation: int = 1) -> int:
    r"""Output size of a convolution along one dimension.

    .. math::

        \left\lfloor \frac{N + P_{lo} + P_{hi} - D(M-1) - 1}{S} \right\rfloor + 1

    With no padding and no dilation this is the lecture's
    :math:`\lfloor (N-M)/S \rfloor + 1`.

    Raises ``ValueError`` if the (dilated) kernel does not fit in the padded input.

    Examples
    --------
    >>> conv_output_size(5, 3)            # the lecture's 5x5 image, 3x3 filter
    3
    >>> conv_output_size(5, 3, stride=2)
    2
    >>> conv_output_size(32, 5)           # LeNet-5, first layer
    28
    """
    return _conv_output_size("conv_output_size", n, kernel, stride, padding, dilation)


def pool_output_size(n: int, kernel: int, stride: int | None = None, padding=0) -> int:
    r"""Output size of a pooling layer along one dimension.

    .. math:: \left\lfloor \frac{N + P_{lo} + P_{hi} - P_{ool}}{D} \right\rfloor + 1

    where the pool size is ``kernel`` and the stride defaults to the pool size
    (non-overlapping windows), as in the lecture.

    Examples
    --------
    >>> pool_output_size(28, 2)           # LeNet-5, first pooling layer
    14
    >>> pool_output_size(55, 3, stride=2) # AlexNet, first pooling layer
    27
    """
    fn = "pool_output_size"
    if stride is None:
        stride = check_int(fn, "kernel", kernel, 1)
    return _conv_output_size(fn, n, kernel, stride, padding, 1)


def _resolve_transpose_padding(fn, n, kernel, stride, padding, output_padding, dilation):
    n, kernel, stride, dilation = _check_geometry(fn, n, kernel, stride, dilation)
    output_padding = check_int(fn, "output_padding", output_padding, 0, MAX_SIZE)
    if output_padding >= max(stride, dilation):
        raise ValueError(
            f"{fn}: output_padding must be smaller than either stride or dilation, "
            f"got output_padding {output_padding} with stride {stride} and dilation {dilation}"
        )
    if isinstance(padding, str) and padding == "same":
        if output_padding:
            raise ValueError(f"{fn}: output_padding must be 0 with padding='same', got {output_padding}")
        # The adjoint of a "same" convolution of an input of size N*S.
        lo, hi = _same_padding(n * stride, kernel, stride, dilation)
        return lo, hi, stride - 1
    if isinstance(padding, str) and padding == "full":
        raise ValueError(f"{fn}: padding 'full' is not defined for a transposed convolution")
    lo, hi = _resolve_padding(fn, n, kernel, stride, padding, dilation)
    return lo, hi, output_padding


def resolve_transpose_padding(n: int, kernel: int, stride: int = 1, padding=0, output_padding: int = 0,
                              dilation: int = 1) -> tuple[int, int, int]:
    r"""Cropping ``(lo, hi)`` and extra ``output_padding`` of a transposed convolution.

    For a transposed convolution, ``padding`` is the padding of the *forward*
    convolution it transposes, so it crops the output.  ``padding="same"`` makes
    the output size exactly :math:`NS`: it is the transpose (the gradient) of a
    ``"same"`` convolution of an input of size :math:`NS`, so it crops
    :func:`same_padding` ``(N S, M, S, D)`` and adds :math:`S-1` samples at the end.

    Returns
    -------
    (lo, hi, output_padding) : tuple of int
    """
    return _resolve_transpose_padding("resolve_transpose_padding", n, kernel, stride, padding,
                                      output_padding, dilation)


def _conv_transpose_output_size(fn, n, kernel, stride, padding, output_padding, dilation) -> int:
    lo, hi, op = _resolve_transpose_padding(fn, n, kernel, stride, padding, output_padding, dilation)
    out = (n - 1) * stride - lo - hi + dilation * (kernel - 1) + op + 1
    if out < 1:
        raise ValueError(
            f"{fn}: padding ({lo}, {hi}) crops away the whole output: "
            f"(N-1)S - Plo - Phi + D(M-1) + output_padding + 1 = {out}"
        )
    return out


def conv_transpose_output_size(n: int, kernel: int, stride: int = 1, padding=0, output_padding: int = 0,
                               dilation: int = 1) -> int:
    r"""Output size of a transposed ("expanding") convolution along one dimension.

    Insert :math:`S-1` zeros between the :math:`N` input samples, pad with
    :math:`D(M-1)` zeros on each side, convolve with stride 1, then crop
    :math:`P_{lo}` and :math:`P_{hi}` samples and add ``output_padding`` at the end:

    .. math:: (N-1)S - P_{lo} - P_{hi} + D(M-1) + \text{output\_padding} + 1

    It inverts :func:`conv_output_size`: a convolution maps every size in
    :math:`[n', n' + S)` to the same output, and ``output_padding`` picks which.

    Examples
    --------
    >>> conv_transpose_output_size(2, 3, stride=2)      # 2 -> 5, undoing 5 -> 2
    5
    >>> conv_transpose_output_size(4, 3, stride=2, padding="same")
    8
    """
    return _conv_transpose_output_size("conv_transpose_output_size", n, kernel, stride, padding,
                                       output_padding, dilation)


def _prod(values) -> int:
    return math.prod(values)


def _kernel_tuple(fn, kernel_size):
    if isinstance(kernel_size, (tuple, list)):
        return tuple(check_int(fn, "kernel_size", k, 1) for k in kernel_size)
    return (check_int(fn, "kernel_size", kernel_size, 1),) * 2


def _check_channels(fn, in_channels, out_channels, groups):
    in_channels = check_int(fn, "in_channels", in_channels, 1)
    out_channels = check_int(fn, "out_channels", out_channels, 1)
    groups = check_int(fn, "groups", groups, 1)
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"{fn}: groups must divide in_channels and out_channels, got groups {groups} "
            f"with in_channels {in_channels} and out_channels {out_channels}"
        )
    return in_channels, out_channels, groups


def conv_parameter_count(in_channels: int, out_channels: int, kernel_size, groups: int = 1,
                         bias: bool = True) -> int:
    r"""Learnable parameters of a convolutional layer.

    .. math:: C_{out} \cdot \frac{C_{in}}{G} \cdot \prod_d M_d \;+\; C_{out}\,[\text{bias}]

    ``kernel_size`` is an int (a square 2-D kernel) or a tuple, one entry per
    spatial dimension.  For the lecture's first layer, :math:`K_1` filters of
    :math:`L \times L \times 3` with a bias each, this is :math:`K_1(3L^2+1)`.

    Examples
    --------
    >>> conv_parameter_count(3, 96, 11)           # AlexNet conv1: 96 (3*11*11 + 1)
    34944
    >>> conv_parameter_count(32, 32, 3, groups=32, bias=False)  # depthwise
    288
    """
    fn = "conv_parameter_count"
    in_channels, out_channels, groups = _check_channels(fn, in_channels, out_channels, groups)
    k = _kernel_tuple(fn, kernel_size)
    return out_channels * (in_channels // groups) * _prod(k) + (out_channels if bias else 0)


def depthwise_separable_parameter_count(in_channels: int, out_channels: int, kernel_size,
                                        bias: bool = True) -> int:
    r"""Parameters of a depthwise convolution followed by a 1x1 (pointwise) convolution.

    With :math:`M` input channels, :math:`N` output channels and a :math:`K\times K`
    kernel: :math:`MK^2` depthwise weights plus :math:`NM` pointwise weights, the
    lecture's :math:`NM + MK^2` (against :math:`NMK^2` for a conventional layer),
    plus :math:`M + N` biases when ``bias`` is true.

    Examples
    --------
    >>> depthwise_separable_parameter_count(32, 64, 3, bias=False)   # 64*32 + 32*9
    2336
    """
    fn = "depthwise_separable_parameter_count"
    in_channels, out_channels, _ = _check_channels(fn, in_channels, out_channels, 1)
    k = _kernel_tuple(fn, kernel_size)
    return (conv_parameter_count(in_channels, in_channels, k, groups=in_channels, bias=bias)
            + conv_parameter_count(in_channels, out_channels, (1,) * len(k), bias=bias))


def linear_parameter_count(in_features: int, out_features: int, bias: bool = True) -> int:
    r"""Parameters of a fully connected layer: :math:`F_{out} F_{in} + F_{out}[\text{bias}]`.

    Examples
    --------
    >>> linear_parameter_count(400, 120)          # LeNet-5, first fully connected layer
    48120
    """
    fn = "linear_parameter_count"
    in_features = check_int(fn, "in_features", in_features, 1)
    out_features = check_int(fn, "out_features", out_features, 1)
    return out_features * in_features + (out_features if bias else 0)


def conv_macs(in_channels: int, out_channels: int, kernel_size, output_size, groups: int = 1) -> int:
    r"""Multiply-accumulates of a convolutional layer for one input example.

    Each of the :math:`C_{out} \prod_d O_d` outputs is an inner product of length
    :math:`(C_{in}/G)\prod_d M_d`:

    .. math:: C_{out} \prod_d O_d \cdot \frac{C_{in}}{G} \prod_d M_d

    ``output_size`` is an int (square 2-D output) or a tuple.

    Examples
    --------
    >>> conv_macs(1, 6, 5, 28)            # LeNet-5 conv1: 6*28*28 outputs of 25 MACs
    117600
    """
    fn = "conv_macs"
    in_channels, out_channels, groups = _check_channels(fn, in_channels, out_channels, groups)
    k = _kernel_tuple(fn, kernel_size)
    if isinstance(output_size, (tuple, list)):
        o = tuple(check_int(fn, "output_size", v, 1) for v in output_size)
    else:
        o = (check_int(fn, "output_size", output_size, 1),) * len(k)
    return out_channels * _prod(o) * (in_channels // groups) * _prod(k)


def depthwise_separable_macs(in_channels: int, out_channels: int, kernel_size, output_size) -> int:
    r"""Multiply-accumulates of a depthwise-separable pair for one example.

    :math:`M K^2 O^2` for the depthwise stage plus :math:`N M O^2` for the 1x1 stage,
    against :math:`N M K^2 O^2` for a conventional convolution.

    Examples
    --------
    >>> depthwise_separable_macs(32, 64, 3, 16)
    598016
    """
    fn = "depthwise_separable_macs"
    in_channels, out_channels, _ = _check_channels(fn, in_channels, out_channels, 1)
    k = _kernel_tuple(fn, kernel_size)
    return (conv_macs(in_channels, in_channels, k, output_size, groups=in_channels)
            + conv_macs(in_channels, out_channels, (1,) * len(k), output_size))


def receptive_field(layers) -> tuple[int, int]:
    r"""Receptive field size and jump of the last layer of a stack, along one dimension.

    .. math::

        r_0 = 1,\quad j_0 = 1,\qquad
        r_l = r_{l-1} + (k_l - 1)\, d_l\, j_{l-1},\qquad j_l = j_{l-1}\, s_l

    A unit of layer :math:`L` sees :math:`r_L` consecutive input samples (with
    dilation some of them may be skipped: :math:`r_L` is the extent); neighbouring
    units of layer :math:`L` are :math:`j_L` input samples apart, so without
    padding unit :math:`p` sees samples :math:`p j_L, \dots, p j_L + r_L - 1`.
    A pooling layer counts as a layer with dilation 1.  Padding moves the field
    but does not change its size.

    Parameters
    ----------
    layers : sequence of (kernel, stride) or (kernel, stride, dilation)
        From the input to the output; empty for the input itself.

    Returns
    -------
    (r, j) : tuple of int
        Receptive field size and jump, in input samples.

    Examples
    --------
    >>> receptive_field([(3, 1), (3, 1)])            # two 3x3 convolutions see 5x5
    (5, 1)
    >>> receptive_field([(5, 1), (2, 2), (5, 1), (2, 2)])  # LeNet-5 up to the second pooling
    (16, 4)
    >>> receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)])  # dilations 1, 2, 4: 15 from 3 layers
    (15, 1)
    """
    fn = "receptive_field"
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"{fn}: layers must be a sequence of (kernel, stride[, dilation]), got {layers!r}")
    r, j = 1, 1
    for i, layer in enumerate(layers):
        if not isinstance(layer, (tuple, list)) or len(layer) not in (2, 3):
            raise TypeError(f"{fn}: layers[{i}] must be (kernel, stride) or (kernel, stride, dilation), "
                            f"got {layer!r}")
        k = check_int(fn, f"layers[{i}] kernel", layer[0], 1)
        s = check_int(fn, f"layers[{i}] stride", layer[1], 1)
        d = check_int(fn, f"layers[{i}] dilation", layer[2], 1) if len(layer) == 3 else 1
        r, j = r + (k - 1) * d * j, j * s
    return r, j
