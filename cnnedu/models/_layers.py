r"""The layers and blocks the model zoo needs beyond :mod:`cnnedu.nn`.

Each is a :class:`cnnedu.nn.Module` with a forward and a backward pass, named
and laid out like its PyTorch / torchvision counterpart (so state-dict keys
match), and converts to and from PyTorch with :mod:`cnnedu.interop`:

* :class:`AdaptiveAvgPool2d` - average pooling to a fixed output size; with
  output size 1 it is the *global average pooling* that replaced the big fully
  connected layers in GoogLeNet, ResNet and MobileNet;
* :class:`Concat` - parallel branches on one input, their maps stacked along
  the channels, and :class:`Inception`, GoogLeNet's four-branch module;
* :class:`DenseLayer`, :class:`DenseBlock`, :class:`Transition` - DenseNet, where
  each layer sees the concatenation of the maps of all layers before it;
* :class:`Bottleneck` - the 1x1-3x3-1x1 residual block of ResNet-50 and deeper
  (the two-3x3 block is :class:`cnnedu.nn.BasicBlock`);
* :class:`DepthwiseSeparableBlock` - MobileNet's depthwise 3x3 and pointwise
  1x1 convolutions, each followed by BatchNorm and ReLU.

Concatenation and addition both have simple backward rules: a concatenation's
derivative is *split* back into the pieces it was made of, and when one tensor
feeds several branches (a fork) their input-derivatives *add up*.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .._checks import check_int, fmt_size
from ..nn import AvgPool2d, BatchNorm2d, Conv2d, MaxPool2d, Module, ReLU, Sequential, init

__all__ = [
    "AdaptiveAvgPool2d", "Concat", "Inception", "DenseLayer", "DenseBlock", "Transition",
    "Bottleneck", "DepthwiseSeparableBlock",
]

_LAYOUT = "(N, C, H, W)"


def _check_channels(module: Module, x: np.ndarray, in_channels: int) -> None:
    module._check_ndim(x, 4, _LAYOUT)
    if x.shape[1] != in_channels:
        raise ValueError(
            f"{module.describe()} expects {in_channels} input channels, got {x.shape[1]} "
            f"(input shape {x.shape}); check out_channels of the layer before this block"
        )


# ---------------------------------------------------------------------------
# Global (adaptive) average pooling
# ---------------------------------------------------------------------------

def adaptive_windows(n: int, out: int) -> list[tuple[int, int]]:
    r"""PyTorch's adaptive-pooling windows: output cell :math:`i` averages inputs
    :math:`\lfloor iN/O \rfloor \le t < \lceil (i+1)N/O \rceil`.

    When :math:`O` divides :math:`N` these are the windows of an ordinary pooling
    layer with kernel and stride :math:`N/O`; otherwise neighbouring windows
    overlap by one or differ in size by one.

    Examples
    --------
    >>> adaptive_windows(7, 1)
    [(0, 7)]
    >>> adaptive_windows(5, 3)
    [(0, 2), (1, 4), (3, 5)]
    """
    return [((i * n) // out, -((-(i + 1) * n) // out)) for i in range(out)]


class AdaptiveAvgPool2d(Module):
    r"""Average pooling to a fixed output size, as ``torch.nn.AdaptiveAvgPool2d``.

    .. math:: y[n, c, i, j] = \frac{1}{|R_i||C_j|}\sum_{h \in R_i,\ w \in C_j} x[n, c, h, w]

    with the windows :math:`R_i, C_j` of :func:`adaptive_windows`.  With
    ``output_size=1`` each map becomes its mean: *global average pooling*, which
    lets a network end in one small fully connected layer (GoogLeNet: "using only
    5 million parameters, thanks to average pooling") and take inputs of any size.

    Backward: each output's derivative is spread evenly over its window,
    :math:`\partial L/\partial x[h, w] = \sum_{(i, j) \ni (h, w)} \delta[i, j] / (|R_i||C_j|)`.

    Parameters
    ----------
    output_size : int or (int or None, int or None)
        ``None`` keeps that input dimension.

    Shapes
    ------
    ``(N, C, H, W) -> (N, C, O_h, O_w)``.  No parameters.

    Examples
    --------
    >>> import numpy as np
    >>> gap = AdaptiveAvgPool2d(1)
    >>> gap(np.arange(8.0).reshape(1, 2, 2, 2))[:, :, 0, 0]
    array([[1.5, 5.5]])
    >>> gap.backward(np.ones((1, 2, 1, 1)))[0, 0]
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """

    def __init__(self, output_size):
        super().__init__()
        fn = type(self).__name__
        sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
        if len(sizes) != 2:
            raise ValueError(f"{fn}: output_size must be an int or a pair, got {output_size!r}")
        self.output_size = tuple(None if s is None else check_int(fn, "output_size", s, 1) for s in sizes)

    def out_size(self, h: int, w: int) -> tuple[int, int]:
        """The output size ``(O_h, O_w)`` for an input of size ``(h, w)``."""
        oh, ow = self.output_size
        return (h if oh is None else oh), (w if ow is None else ow)

    def describe(self) -> str:
        return f"{type(self).__name__}(output {fmt_size(self.output_size)})"

    def extra_repr(self) -> str:
        oh, ow = self.output_size
        return f"output_size={oh if oh == ow else self.output_size}"

    def forward(self, x):
        x = self._as_input(x)
        self._check_ndim(x, 4, _LAYOUT)
        n, c, h, w = x.shape
        oh, ow = self.out_size(h, w)
        rows, cols = adaptive_windows(h, oh), adaptive_windows(w, ow)
        y = np.empty((n, c, oh, ow), dtype=x.dtype)
        for i, (h0, h1) in enumerate(rows):
            for j, (w0, w1) in enumerate(cols):
                y[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
        self._cache = (x.shape, x.dtype, rows, cols)
        return y

    def backward(self, dy):
        shape, dtype, rows, cols = self._saved()
        dy = self._check_dy(dy, (*shape[:2], len(rows), len(cols)), dtype)
        dx = np.zeros(shape, dtype=dtype)
        for i, (h0, h1) in enumerate(rows):
            for j, (w0, w1) in enumerate(cols):
                area = (h1 - h0) * (w1 - w0)
                dx[:, :, h0:h1, w0:w1] += (dy[:, :, i, j] / dtype.type(area))[:, :, None, None]
        return dx


# ---------------------------------------------------------------------------
# Parallel branches: Concat and GoogLeNet's Inception module
# ---------------------------------------------------------------------------

class Concat(Module):
    r"""Run several branches on the same input and stack their outputs along the channels.

    .. math:: y = \big[f_1(x);\ f_2(x);\ \dots;\ f_B(x)\big] \quad\text{(concatenated on axis 1)}

    Backward: :math:`\delta = \partial L/\partial y` is split into the pieces
    :math:`\delta_b` each branch produced, and since :math:`x` fed every branch
    the branch input-derivatives add up,
    :math:`\partial L/\partial x = \sum_b J_{f_b}^T \delta_b`.

    Parameters
    ----------
    *branches : Module
        Named ``"0"``, ``"1"``, ...; or one ``OrderedDict`` of name -> module.
        Every branch must keep the spatial size (pad its convolutions and pools).

    Examples
    --------
    >>> import numpy as np
    >>> from cnnedu import nn
    >>> cat = Concat(nn.Conv2d(3, 4, 1, rng=0), nn.Conv2d(3, 2, 3, padding=1, rng=0))
    >>> cat(np.zeros((1, 3, 8, 8))).shape
    (1, 6, 8, 8)
    """

    def __init__(self, *branches):
        super().__init__()
        if len(branches) == 1 and isinstance(branches[0], (dict, OrderedDict)):
            items = list(branches[0].items())
        else:
            items = [(str(i), b) for i, b in enumerate(branches)]
        if not items:
            raise ValueError(f"{type(self).__name__}: needs at least one branch")
        for name, b in items:
            if not isinstance(b, Module):
                raise TypeError(f"{type(self).__name__}: branch {name!r} must be a Module, got {type(b).__name__}")
            setattr(self, name, b)

    def __len__(self) -> int:
        return len(self._module_names)

    def forward(self, x):
        x = self._as_input(x)
        outs, names = [], []
        for name, b in self.named_children():
            try:
                outs.append(b(x))
            except (ValueError, TypeError) as exc:
                if hasattr(exc, "add_note"):
                    exc.add_note(f"(raised by branch ({name}) of {self.describe()})")
                raise
            names.append(name)
        shapes = [y.shape for y in outs]
        if any(s[:1] + s[2:] != shapes[0][:1] + shapes[0][2:] for s in shapes):
            listing = ", ".join(f"{n} {s}" for n, s in zip(names, shapes))
            raise ValueError(
                f"{self.describe()}: the branches give maps of different sizes ({listing}); "
                f"to concatenate them along the channels every branch must keep the spatial size: "
                f"check their padding and strides"
            )
        self._cache = [s[1] for s in shapes]
        return np.concatenate(outs, axis=1)

    def backward(self, dy):
        channels = self._saved()
        dy = np.asarray(dy)
        if dy.ndim < 2 or dy.shape[1] != sum(channels):
            raise ValueError(f"{self.describe()}.backward: dy must have {sum(channels)} channels "
                             f"(the concatenated output), got shape {dy.shape}")
        pieces = np.split(dy, np.cumsum(channels)[:-1], axis=1)
        dx = None
        for b, piece in zip(self.children(), pieces):
            d = b.backward(piece)
            dx = d if dx is None else dx + d          # the input fed every branch: derivatives add
        return dx


class Inception(Concat):
    r"""GoogLeNet's Inception module: four branches, concatenated along the channels.

    ========  ==========================================  =============
    branch    layers (each convolution followed by ReLU)  out channels
    ========  ==========================================  =============
    branch1   1x1 conv                                    ``ch1x1``
    branch2   1x1 conv (reduce) -> 3x3 conv, pad 1        ``ch3x3``
    branch3   1x1 conv (reduce) -> 5x5 conv, pad 2        ``ch5x5``
    branch4   3x3 max pool, stride 1, pad 1 -> 1x1 conv   ``pool_proj``
    ========  ==========================================  =============

    "Multiple filter sizes simultaneously": the network chooses, per channel,
    which scale of pattern to look for.  The 1x1 "reduce" convolutions shrink the
    number of maps before the expensive 3x3 and 5x5 ones, which is what keeps the
    whole of GoogLeNet near 7 million parameters.  (torchvision's GoogLeNet uses
    a 3x3 convolution in branch3 and BatchNorm after every convolution; this is
    the paper's module.)

    Parameters
    ----------
    in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj : int
        The columns of the paper's Table 1 ("#1x1", "#3x3 reduce", "#3x3",
        "#5x5 reduce", "#5x5", "pool proj").
    dtype, rng
        As :class:`cnnedu.nn.Conv2d`.

    Attributes
    ----------
    out_channels : int
        ``ch1x1 + ch3x3 + ch5x5 + pool_proj``.

    Examples
    --------
    >>> import numpy as np
    >>> block = Inception(192, 64, 96, 128, 16, 32, 32, rng=0)      # GoogLeNet's inception (3a)
    >>> block.out_channels
    256
    >>> block(np.zeros((1, 192, 28, 28))).shape
    (1, 256, 28, 28)
    """

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int, ch5x5: int,
                 pool_proj: int, *, dtype=np.float32, rng=None):
        fn = type(self).__name__
        args = dict(in_channels=in_channels, ch1x1=ch1x1, ch3x3red=ch3x3red, ch3x3=ch3x3,
                    ch5x5red=ch5x5red, ch5x5=ch5x5, pool_proj=pool_proj)
        c = {k: check_int(fn, k, v, 1) for k, v in args.items()}
        rng = init.resolve_rng(rng, fn)
        kw = dict(dtype=dtype, rng=rng)
        c_in = c["in_channels"]
        super().__init__(OrderedDict(
            branch1=Sequential(Conv2d(c_in, c["ch1x1"], 1, **kw), ReLU()),
            branch2=Sequential(Conv2d(c_in, c["ch3x3red"], 1, **kw), ReLU(),
                               Conv2d(c["ch3x3red"], c["ch3x3"], 3, padding=1, **kw), ReLU()),
            branch3=Sequential(Conv2d(c_in, c["ch5x5red"], 1, **kw), ReLU(),
                               Conv2d(c["ch5x5red"], c["ch5x5"], 5, padding=2, **kw), ReLU()),
            branch4=Sequential(MaxPool2d(3, 1, padding=1), Conv2d(c_in, c["pool_proj"], 1, **kw), ReLU()),
        ))
        self.in_channels = c_in
        self.out_channels = c["ch1x1"] + c["ch3x3"] + c["ch5x5"] + c["pool_proj"]
        self.config = c

    def describe(self) -> str:
        return f"{type(self).__name__}({self.in_channels} -> {self.out_channels})"

    def forward(self, x):
        x = self._as_input(x)
        _check_channels(self, x, self.in_channels)
        return super().forward(x)


# ---------------------------------------------------------------------------
# DenseNet
# ---------------------------------------------------------------------------

class DenseLayer(Sequential):
    r"""One layer of a DenseNet block: BN-ReLU-Conv1x1 (bottleneck) then BN-ReLU-Conv3x3.

    It maps the :math:`C` maps it sees to ``growth_rate`` :math:`k` new maps;
    :class:`DenseBlock` concatenates them to its input.  The 1x1 bottleneck
    first reduces the (growing) input to ``bn_size * k`` maps (DenseNet-BC);
    ``bn_size=None`` gives the plain layer, BN-ReLU-Conv3x3 only.

    Children (torchvision's names): ``norm1, relu1, conv1, norm2, relu2, conv2``
    (or ``norm1, relu1, conv1`` without the bottleneck); convolutions have no bias.

    Examples
    --------
    >>> import numpy as np
    >>> DenseLayer(64, 32, rng=0)(np.zeros((2, 64, 8, 8))).shape
    (2, 32, 8, 8)
    """

    def __init__(self, in_channels: int, growth_rate: int, bn_size: int | None = 4, *, dtype=np.float32,
                 rng=None):
        fn = type(self).__name__
        c_in = check_int(fn, "in_channels", in_channels, 1)
        k = check_int(fn, "growth_rate", growth_rate, 1)
        rng = init.resolve_rng(rng, fn)
        if bn_size is None:
            layers = OrderedDict(norm1=BatchNorm2d(c_in, dtype=dtype), relu1=ReLU(),
                                 conv1=Conv2d(c_in, k, 3, padding=1, bias=False, dtype=dtype, rng=rng))
        else:
            mid = check_int(fn, "bn_size", bn_size, 1) * k
            layers = OrderedDict(
                norm1=BatchNorm2d(c_in, dtype=dtype), relu1=ReLU(),
                conv1=Conv2d(c_in, mid, 1, bias=False, dtype=dtype, rng=rng),
                norm2=BatchNorm2d(mid, dtype=dtype), relu2=ReLU(),
                conv2=Conv2d(mid, k, 3, padding=1, bias=False, dtype=dtype, rng=rng))
        super().__init__(layers)
        self.in_channels, self.growth_rate, self.bn_size = c_in, k, bn_size

    def describe(self) -> str:
        return f"{type(self).__name__}({self.in_channels} -> +{self.growth_rate})"


class DenseBlock(Module):
    r"""A DenseNet block: each layer sees the concatenation of the block's input and of all earlier layers' maps.

    "Each layer looks at the union of maps from all previous layers", with
    :math:`x_0` the block's input and :math:`H_\ell` the :class:`DenseLayer` s:

    .. math:: x_\ell = H_\ell\big([x_0; x_1; \dots; x_{\ell-1}]\big), \qquad
              y = [x_0; x_1; \dots; x_L]

    so the channels grow by ``growth_rate`` :math:`k` per layer,
    :math:`C_{out} = C_{in} + Lk`.

    Backward, from the last layer to the first: the derivative of the running
    concatenation is split into the part for the maps :math:`x_\ell` (sent
    through :math:`H_\ell`) and the part for the earlier maps, to which
    :math:`H_\ell`'s input-derivative is added.  So every layer's derivative
    reaches every earlier layer directly, as through ResNet's shortcuts.

    Parameters
    ----------
    num_layers, in_channels, growth_rate : int
    bn_size : int or None
        Bottleneck width factor of each layer (see :class:`DenseLayer`).
    dtype, rng
        As :class:`cnnedu.nn.Conv2d`.

    Attributes
    ----------
    denselayer1, ..., denselayerL : DenseLayer
        torchvision's names.
    out_channels : int

    Examples
    --------
    >>> import numpy as np
    >>> block = DenseBlock(3, 16, growth_rate=4, rng=0)
    >>> block.out_channels
    28
    >>> block(np.zeros((2, 16, 5, 5))).shape
    (2, 28, 5, 5)
    """

    def __init__(self, num_layers: int, in_channels: int, growth_rate: int, bn_size: int | None = 4, *,
                 dtype=np.float32, rng=None):
        super().__init__()
        fn = type(self).__name__
        num_layers = check_int(fn, "num_layers", num_layers, 1)
        self.in_channels = check_int(fn, "in_channels", in_channels, 1)
        self.growth_rate = check_int(fn, "growth_rate", growth_rate, 1)
        self.bn_size = bn_size
        rng = init.resolve_rng(rng, fn)
        for i in range(num_layers):
            setattr(self, f"denselayer{i + 1}",
                    DenseLayer(self.in_channels + i * self.growth_rate, self.growth_rate, bn_size,
                               dtype=dtype, rng=rng))
        self.out_channels = self.in_channels + num_layers * self.growth_rate

    def __len__(self) -> int:
        return len(self._module_names)

    def describe(self) -> str:
        return f"{type(self).__name__}({self.in_channels} -> {self.out_channels}, {len(self)} layers)"

    def forward(self, x):
        x = self._as_input(x)
        _check_channels(self, x, self.in_channels)
        features, widths = x, []
        for layer in self.children():
            widths.append(features.shape[1])
            new = layer(features)
            features = np.concatenate([features, new.astype(features.dtype, copy=False)], axis=1)
        self._cache = (widths, features.shape)
        return features

    def backward(self, dy):
        widths, out_shape = self._saved()
        d_features = self._check_dy(dy, out_shape, None)
        for layer, c_prev in zip(reversed(list(self.children())), reversed(widths)):
            d_prev, d_new = d_features[:, :c_prev], d_features[:, c_prev:]
            d_features = d_prev + layer.backward(d_new)    # the earlier maps also fed this layer
        return d_features


class Transition(Sequential):
    r"""DenseNet's transition between blocks: BN-ReLU-Conv1x1 (fewer channels) then 2x2 average pooling.

    Children (torchvision's names): ``norm, relu, conv, pool``.

    Examples
    --------
    >>> import numpy as np
    >>> Transition(256, 128, rng=0)(np.zeros((2, 256, 8, 8))).shape
    (2, 128, 4, 4)
    """

    def __init__(self, in_channels: int, out_channels: int, *, dtype=np.float32, rng=None):
        fn = type(self).__name__
        c_in = check_int(fn, "in_channels", in_channels, 1)
        c_out = check_int(fn, "out_channels", out_channels, 1)
        super().__init__(OrderedDict(
            norm=BatchNorm2d(c_in, dtype=dtype), relu=ReLU(),
            conv=Conv2d(c_in, c_out, 1, bias=False, dtype=dtype, rng=init.resolve_rng(rng, fn)),
            pool=AvgPool2d(2, 2)))
        self.in_channels, self.out_channels = c_in, c_out


# ---------------------------------------------------------------------------
# ResNet's bottleneck block
# ---------------------------------------------------------------------------

class Bottleneck(Module):
    r"""ResNet bottleneck block (1x1, 3x3, 1x1 convolutions), as torchvision's ``Bottleneck``.

    .. math:: y = \operatorname{ReLU}\big(F(x) + \text{shortcut}(x)\big), \qquad
              F = \text{BN}\circ\text{conv}_{1\times1}\circ\operatorname{ReLU}\circ\text{BN}\circ
                  \text{conv}_{3\times3}\circ\operatorname{ReLU}\circ\text{BN}\circ\text{conv}_{1\times1}

    The first 1x1 convolution reduces the channels to ``mid_channels``, the 3x3
    works on the reduced maps, the last 1x1 expands them to
    ``mid_channels * expansion``: far fewer parameters than two 3x3 convolutions
    on the wide maps, which is how ResNet-50/101/152 go deep.  The stride sits on
    the 3x3 convolution (torchvision's "ResNet v1.5").  The shortcut is the
    identity, or a 1x1 projection with BatchNorm when the shape changes, as in
    :class:`cnnedu.nn.BasicBlock`; backward adds the derivatives of both paths.

    Parameters
    ----------
    in_channels, mid_channels : int
    stride : int
    expansion : int
        ``out_channels = mid_channels * expansion`` (4 in ResNet).
    dtype, rng
        As :class:`cnnedu.nn.Conv2d`.

    Attributes
    ----------
    conv1, bn1, relu1, conv2, bn2, relu2, conv3, bn3, downsample (or None), relu3
        Parameter names are torchvision's.

    Examples
    --------
    >>> import numpy as np
    >>> block = Bottleneck(64, 64, rng=0)            # ResNet-50's first block: 64 -> 256 channels
    >>> block(np.zeros((2, 64, 8, 8))).shape
    (2, 256, 8, 8)
    """

    def __init__(self, in_channels: int, mid_channels: int, stride: int = 1, expansion: int = 4, *,
                 dtype=np.float32, rng=None):
        super().__init__()
        fn = type(self).__name__
        self.in_channels = check_int(fn, "in_channels", in_channels, 1)
        self.mid_channels = check_int(fn, "mid_channels", mid_channels, 1)
        self.stride = check_int(fn, "stride", stride, 1)
        self.expansion = check_int(fn, "expansion", expansion, 1)
        self.out_channels = self.mid_channels * self.expansion
        rng = init.resolve_rng(rng, fn)
        c_in, mid, c_out = self.in_channels, self.mid_channels, self.out_channels
        kw = dict(bias=False, dtype=dtype, rng=rng)
        self.conv1 = Conv2d(c_in, mid, 1, **kw)
        self.bn1 = BatchNorm2d(mid, dtype=dtype)
        self.relu1 = ReLU()
        self.conv2 = Conv2d(mid, mid, 3, self.stride, padding=1, **kw)
        self.bn2 = BatchNorm2d(mid, dtype=dtype)
        self.relu2 = ReLU()
        self.conv3 = Conv2d(mid, c_out, 1, **kw)
        self.bn3 = BatchNorm2d(c_out, dtype=dtype)
        if self.stride != 1 or c_in != c_out:
            self.downsample = Sequential(Conv2d(c_in, c_out, 1, self.stride, **kw), BatchNorm2d(c_out, dtype=dtype))
        else:
            self.downsample = None
        self.relu3 = ReLU()

    def describe(self) -> str:
        s = f"{type(self).__name__}({self.in_channels} -> {self.mid_channels} -> {self.out_channels}"
        return s + (f", stride {self.stride})" if self.stride != 1 else ")")

    def forward(self, x):
        x = self.conv1._as_input(x, dtype=self.conv1.dtype)
        _check_channels(self, x, self.in_channels)
        h = self.relu1(self.bn1(self.conv1(x)))
        h = self.relu2(self.bn2(self.conv2(h)))
        residual = self.bn3(self.conv3(h))
        shortcut = x if self.downsample is None else self.downsample(x)
        self._cache = True
        return self.relu3(residual + shortcut)

    def backward(self, dy):
        self._saved()
        delta = self.relu3.backward(dy)
        d = self.conv3.backward(self.bn3.backward(delta))
        d = self.conv2.backward(self.bn2.backward(self.relu2.backward(d)))
        dx = self.conv1.backward(self.bn1.backward(self.relu1.backward(d)))
        return dx + (delta if self.downsample is None else self.downsample.backward(delta))


# ---------------------------------------------------------------------------
# MobileNet's block
# ---------------------------------------------------------------------------

class DepthwiseSeparableBlock(Sequential):
    r"""MobileNet v1's layer: 3x3 depthwise conv, BN, ReLU, then 1x1 pointwise conv, BN, ReLU.

    The lecture's depthwise convolution in two stages: :math:`M` separate 3x3
    filters, one per input channel (``groups = M``), then :math:`N` 1x1 filters
    across all :math:`M` channels: :math:`9M + NM` weights instead of
    :math:`9NM` (:func:`cnnedu.sizes.depthwise_separable_parameter_count`), plus
    :math:`2M + 2N` BatchNorm parameters.  Unlike
    :class:`cnnedu.nn.DepthwiseSeparableConv2d`, BatchNorm and ReLU sit between
    the two stages, as in the paper.

    Children: ``depthwise, bn1, relu1, pointwise, bn2, relu2``; convolutions have no bias.

    Examples
    --------
    >>> import numpy as np
    >>> block = DepthwiseSeparableBlock(32, 64, rng=0)
    >>> block(np.zeros((2, 32, 16, 16))).shape
    (2, 64, 16, 16)
    >>> sum(p.size for p in block.parameters())      # 9*32 + 64*32 + 2*32 + 2*64
    2528
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, *, dtype=np.float32, rng=None):
        fn = type(self).__name__
        c_in = check_int(fn, "in_channels", in_channels, 1)
        c_out = check_int(fn, "out_channels", out_channels, 1)
        stride = check_int(fn, "stride", stride, 1)
        rng = init.resolve_rng(rng, fn)
        super().__init__(OrderedDict(
            depthwise=Conv2d(c_in, c_in, 3, stride, padding=1, groups=c_in, bias=False, dtype=dtype, rng=rng),
            bn1=BatchNorm2d(c_in, dtype=dtype), relu1=ReLU(),
            pointwise=Conv2d(c_in, c_out, 1, bias=False, dtype=dtype, rng=rng),
            bn2=BatchNorm2d(c_out, dtype=dtype), relu2=ReLU()))
        self.in_channels, self.out_channels, self.stride = c_in, c_out, stride

    def describe(self) -> str:
        s = f"{type(self).__name__}({self.in_channels} -> {self.out_channels}"
        return s + (f", stride {self.stride})" if self.stride != 1 else ")")
