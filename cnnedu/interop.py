r"""Move a network between cnnedu and PyTorch, weights included.

:func:`to_torch` turns a :class:`cnnedu.nn.Module` into the equivalent
``torch.nn.Module`` with the same weights (and BatchNorm running statistics,
and the same training/evaluation mode); :func:`from_torch` does the reverse.
The two compute the same function: outputs agree to about 1e-6 in float32 and
to rounding in float64, and so do the gradients of PyTorch's autograd and
cnnedu's hand-written backward passes.

This is how a reader who outgrows a laptop carries on: design and debug a
network with cnnedu, where every backward pass can be read, then ``to_torch``
it and train the *same architecture* with PyTorch's own tools: GPUs,
mixed precision, ``torch.nn.parallel.DistributedDataParallel`` over many
machines.  ``from_torch`` brings the trained weights back, to look at the
filters and feature maps with :mod:`cnnedu.viz`.

::

    import torch
    from cnnedu import interop, models

    net = models.resnet18(num_classes=10)
    tnet = interop.to_torch(net)             # a torch.nn.Sequential, torchvision's state-dict keys
    ...                                      # train tnet with torch.optim, DDP, on a GPU ...
    net = interop.from_torch(tnet.cpu())     # back to cnnedu, trained weights included

Supported layers
----------------
Every layer of :mod:`cnnedu.nn` (``Conv1d/2d``, ``ConvTranspose1d/2d``,
``DepthwiseSeparableConv2d``, the max/average/p-norm pools, ``Linear``,
``Flatten``, ``ReLU``, ``Sigmoid``, ``Tanh``, ``Dropout``, ``BatchNorm1d/2d``,
``Identity``, ``Sequential``, ``BasicBlock``) and the blocks of
:mod:`cnnedu.models` (``AdaptiveAvgPool2d``, ``Concat``/``Inception``,
``DenseBlock``, ``Bottleneck``, and the ``Sequential`` subclasses).  Where PyTorch
has the layer, it is used (``torch.nn.Conv2d``, ...); the blocks map to small
``torch.nn.Module`` subclasses defined here (:class:`TorchConcat`,
:class:`TorchDenseBlock`, :class:`TorchBasicBlock`, :class:`TorchBottleneck`,
:class:`TorchDepthwiseSeparableConv2d`, :class:`TorchLPPool`), created when
first needed, so that ``import cnnedu.interop`` works without PyTorch.  Their
children have cnnedu's names, so the state-dict keys are the same on both sides.

A few settings exist on one side only and raise ``ValueError``: asymmetric
padding, and ``padding="same"`` with a stride, which ``torch.nn.Conv2d`` does
not accept; PyTorch's ``ceil_mode``, ``padding_mode`` other than zeros, pooling
dilation.  ``torch.nn.LPPool2d`` sums :math:`x^p` over the window where the
lecture's (and cnnedu's) p-norm pooling averages :math:`|x|^p`, so it is not
converted (``TypeError``); cnnedu's ``LPPool2d`` becomes :class:`TorchLPPool`.
Containers come back from PyTorch as :class:`cnnedu.nn.Sequential` (a model
class such as ``LeNet5`` is not restored; its layers and weights are).
Dropout masks come from different random generators on the two sides, so
outputs agree in evaluation mode, or with ``p=0``.
"""

from __future__ import annotations

import functools
from collections import OrderedDict

import numpy as np

from . import nn, sizes
from .models._build import skip_init_rng
from .models._layers import AdaptiveAvgPool2d, Bottleneck, Concat, DenseBlock, Inception

__all__ = ["to_torch", "from_torch"]

_TORCH_CLASSES = ("TorchConcat", "TorchDenseBlock", "TorchBasicBlock", "TorchBottleneck",
                  "TorchDepthwiseSeparableConv2d", "TorchLPPool")


def _require_torch(fn: str):
    try:
        import torch
    except ImportError:
        raise ImportError(
            f"{fn} needs PyTorch, which is not installed: pip install torch "
            f"(cnnedu itself does not need it)"
        ) from None
    return torch


# ---------------------------------------------------------------------------
# The PyTorch side of cnnedu's blocks (defined on first use)
# ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _torch_classes():
    """Define the ``torch.nn.Module`` subclasses for cnnedu's blocks; they are then module attributes."""
    torch = _require_torch("cnnedu.interop")
    tnn = torch.nn

    class TorchConcat(tnn.Module):
        """Branches on the same input, outputs concatenated along the channels (cnnedu's ``Concat``/``Inception``)."""

        def __init__(self, branches: OrderedDict, cnnedu_config: dict | None = None):
            super().__init__()
            for name, b in branches.items():
                self.add_module(name, b)
            self.cnnedu_config = dict(cnnedu_config or {})

        def forward(self, x):
            return torch.cat([b(x) for b in self.children()], dim=1)

    class TorchDenseBlock(tnn.Module):
        """Each layer sees the concatenation of the input and all earlier layers' maps (cnnedu's ``DenseBlock``)."""

        def __init__(self, layers: OrderedDict, cnnedu_config: dict | None = None):
            super().__init__()
            for name, layer in layers.items():
                self.add_module(name, layer)
            self.cnnedu_config = dict(cnnedu_config or {})

        def forward(self, x):
            features = x
            for layer in self.children():
                features = torch.cat([features, layer(features)], dim=1)
            return features

    class _TorchResidual(tnn.Module):
        main: tuple = ()
        final: str = ""

        def __init__(self, children: OrderedDict):
            super().__init__()
            for name, m in children.items():
                self.add_module(name, m)          # downsample may be None, as in torchvision

        def forward(self, x):
            h = x
            for name in self.main:
                h = getattr(self, name)(h)
            shortcut = x if self.downsample is None else self.downsample(x)
            return getattr(self, self.final)(h + shortcut)

    class TorchBasicBlock(_TorchResidual):
        """ResNet's basic block, children named as cnnedu's (and torchvision's) ``BasicBlock``."""

        main = ("conv1", "bn1", "relu1", "conv2", "bn2")
        final = "relu2"

    class TorchBottleneck(_TorchResidual):
        """ResNet's bottleneck block, children named as cnnedu's (and torchvision's) ``Bottleneck``."""

        main = ("conv1", "bn1", "relu1", "conv2", "bn2", "relu2", "conv3", "bn3")
        final = "relu3"

    class TorchDepthwiseSeparableConv2d(tnn.Module):
        """A depthwise convolution followed by a 1x1 convolution (cnnedu's ``DepthwiseSeparableConv2d``)."""

        def __init__(self, depthwise, pointwise):
            super().__init__()
            self.depthwise, self.pointwise = depthwise, pointwise

        def forward(self, x):
            return self.pointwise(self.depthwise(x))

    class TorchLPPool(tnn.Module):
        r"""The lecture's p-norm pooling, :math:`(\frac1K \sum |x|^p)^{1/p}` (cnnedu's ``LPPool1d/2d``)."""

        def __init__(self, nd: int, norm_type: float, kernel_size, stride):
            super().__init__()
            self.nd, self.norm_type = nd, float(norm_type)
            self.kernel_size, self.stride = tuple(kernel_size), tuple(stride)

        def forward(self, x):
            pool = torch.nn.functional.avg_pool1d if self.nd == 1 else torch.nn.functional.avg_pool2d
            return pool(x.abs().pow(self.norm_type), self.kernel_size, self.stride).pow(1.0 / self.norm_type)

        def extra_repr(self):
            return f"norm_type={self.norm_type:g}, kernel_size={self.kernel_size}, stride={self.stride}"

    classes = (TorchConcat, TorchDenseBlock, TorchBasicBlock, TorchBottleneck, TorchDepthwiseSeparableConv2d,
               TorchLPPool)
    for cls in classes:                       # importable (and picklable) as cnnedu.interop.<name>
        cls.__module__, cls.__qualname__ = __name__, cls.__name__
        globals()[cls.__name__] = cls
    return {cls.__name__: cls for cls in classes}


def __getattr__(name: str):
    # PEP 562: ``cnnedu.interop.TorchConcat`` defines the PyTorch classes (and needs torch) on first use.
    if name in _TORCH_CLASSES:
        return _torch_classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

def _where(path: str) -> str:
    return f"layer {path!r}" if path else "the model"


def _torch_dtype(torch, dtype):
    return {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[np.dtype(dtype)]


def _numpy_dtype(fn, path, module):
    dtypes = {p.dtype for p in module.parameters(recurse=False)}
    dtypes |= {b.dtype for b in module.buffers(recurse=False) if b.is_floating_point()}
    if not dtypes:
        return np.float32
    import torch
    table = {torch.float32: np.float32, torch.float64: np.float64}
    if len(dtypes) != 1 or next(iter(dtypes)) not in table:
        raise ValueError(f"{fn}: {_where(path)} ({type(module).__name__}) has dtype "
                         f"{sorted(map(str, dtypes))}; cnnedu works in float32 or float64: convert it with "
                         f".float() or .double() first")
    return table[next(iter(dtypes))]


def _copy_to_torch(torch, target, array: np.ndarray) -> None:
    with torch.no_grad():
        target.copy_(torch.from_numpy(np.array(array, order="C")))   # (ascontiguousarray makes 0-d 1-d)


def _copy_from_torch(target: np.ndarray, tensor) -> None:
    target[...] = tensor.detach().cpu().numpy()


def _same_int(values):
    """A per-dimension tuple as an int when all entries agree, as PyTorch's pooling layers are usually given."""
    values = tuple(values)
    return values[0] if len(set(values)) == 1 else values


def _symmetric(fn, path, padding, what):
    """cnnedu's per-dimension padding (ints or (lo, hi) pairs) as PyTorch's ints, or a clear error."""
    out = []
    for spec in padding:
        if isinstance(spec, tuple):
            lo, hi = spec
            if lo != hi:
                raise ValueError(
                    f"{fn}: {_where(path)} has asymmetric padding {padding!r}, which torch.nn.{what} cannot "
                    f"express: pad the input (torch.nn.functional.pad) and use padding 0")
            out.append(lo)
        else:
            out.append(int(spec))
    return tuple(out)


# ---------------------------------------------------------------------------
# cnnedu -> torch
# ---------------------------------------------------------------------------

def _conv_to_torch(torch, m, path):
    fn = "to_torch"
    nd, transposed = m._nd, m._transposed
    name = ("ConvTranspose" if transposed else "Conv") + f"{nd}d"
    p = m.padding
    if isinstance(p, str):
        if p == "valid":
            padding = 0
        elif p == "full":
            padding = tuple(sizes.full_padding(k, d)[0] for k, d in zip(m.kernel_size, m.dilation))
        elif not transposed and all(s == 1 for s in m.stride):
            padding = "same"                   # the lecture's rule is PyTorch's for stride 1
        else:
            raise ValueError(
                f"{fn}: {_where(path)} uses padding='same' with stride {m.stride}, which torch.nn.{name} "
                f"does not accept: give explicit padding (cnnedu.sizes.same_padding computes it)")
    else:
        padding = _symmetric(fn, path, p, name)
    kw = dict(stride=m.stride, padding=padding, dilation=m.dilation, groups=m.groups,
              bias=m.bias is not None, dtype=_torch_dtype(torch, m.weight.dtype))
    cls = getattr(torch.nn, name)
    if transposed:
        kw["output_padding"] = m.output_padding
    t = torch.nn.utils.skip_init(cls, m.in_channels, m.out_channels, m.kernel_size, **kw)
    _copy_to_torch(torch, t.weight, m.weight.data)
    if m.bias is not None:
        _copy_to_torch(torch, t.bias, m.bias.data)
    return t


def _pool_to_torch(torch, m, path):
    fn = "to_torch"
    kind = type(m).__name__
    if isinstance(m, (nn.LPPool1d, nn.LPPool2d)):
        return _torch_classes()["TorchLPPool"](m._nd, m.norm_type, m.kernel_size, m.stride)
    if isinstance(m.padding, str):
        if m.padding != "valid":
            raise ValueError(f"{fn}: {_where(path)} uses padding={m.padding!r}, which torch.nn.{kind} does not "
                             f"accept: give explicit padding")
        padding = (0,) * m._nd
    else:
        padding = _symmetric(fn, path, m.padding, kind)
    if any(2 * p > k for p, k in zip(padding, m.kernel_size)):
        raise ValueError(f"{fn}: {_where(path)} pads {padding} around a {m.kernel_size} window; torch.nn.{kind} "
                         f"allows at most half the window")
    cls = getattr(torch.nn, kind)
    return cls(_same_int(m.kernel_size), _same_int(m.stride), _same_int(padding))


def _batchnorm_to_torch(torch, m, path):
    cls = torch.nn.BatchNorm2d if isinstance(m, nn.BatchNorm2d) else torch.nn.BatchNorm1d
    t = torch.nn.utils.skip_init(cls, m.num_features, eps=m.eps, momentum=m.momentum, affine=m.affine,
                                 track_running_stats=m.track_running_stats, dtype=_torch_dtype(torch, m.dtype))
    if m.affine:
        _copy_to_torch(torch, t.weight, m.weight.data)
        _copy_to_torch(torch, t.bias, m.bias.data)
    if m.track_running_stats:
        _copy_to_torch(torch, t.running_mean, m.running_mean)
        _copy_to_torch(torch, t.running_var, m.running_var)
        _copy_to_torch(torch, t.num_batches_tracked, np.asarray(m.num_batches_tracked, dtype=np.int64))
    return t


def _linear_to_torch(torch, m, path):
    t = torch.nn.utils.skip_init(torch.nn.Linear, m.in_features, m.out_features, bias=m.bias is not None,
                                 dtype=_torch_dtype(torch, m.weight.dtype))
    _copy_to_torch(torch, t.weight, m.weight.data)
    if m.bias is not None:
        _copy_to_torch(torch, t.bias, m.bias.data)
    return t


def _children_to_torch(torch, m, path):
    return OrderedDict((name, None if child is None else _to_torch(torch, child, f"{path}.{name}" if path else name))
                       for name, child in _named_children_with_none(m))


def _named_children_with_none(m):
    """Children in registration order, with ``downsample=None`` kept in its torchvision place."""
    out = list(m.named_children())
    if isinstance(m, (nn.BasicBlock, Bottleneck)) and m.downsample is None:
        names = [n for n, _ in out]
        final = "relu2" if isinstance(m, nn.BasicBlock) else "relu3"
        out.insert(names.index(final), ("downsample", None))
    return out


def _to_torch(torch, m, path):
    tnn = torch.nn
    classes = _torch_classes()
    if isinstance(m, nn.conv._ConvBase):
        t = _conv_to_torch(torch, m, path)
    elif isinstance(m, nn.pooling._Pool):
        t = _pool_to_torch(torch, m, path)
    elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        t = _batchnorm_to_torch(torch, m, path)
    elif isinstance(m, nn.Linear):
        t = _linear_to_torch(torch, m, path)
    elif isinstance(m, nn.Flatten):
        t = tnn.Flatten(m.start_dim, m.end_dim)
    elif isinstance(m, AdaptiveAvgPool2d):
        t = tnn.AdaptiveAvgPool2d(m.output_size)
    elif isinstance(m, nn.Dropout):
        t = tnn.Dropout(m.p)
    elif type(m) in (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.Identity):
        t = getattr(tnn, type(m).__name__)()
    elif isinstance(m, nn.DepthwiseSeparableConv2d):
        t = classes["TorchDepthwiseSeparableConv2d"](_to_torch(torch, m.depthwise, f"{path}.depthwise".lstrip(".")),
                                                      _to_torch(torch, m.pointwise, f"{path}.pointwise".lstrip(".")))
    elif isinstance(m, nn.BasicBlock):
        t = classes["TorchBasicBlock"](_children_to_torch(torch, m, path))
    elif isinstance(m, Bottleneck):
        t = classes["TorchBottleneck"](_children_to_torch(torch, m, path))
    elif isinstance(m, DenseBlock):
        t = classes["TorchDenseBlock"](_children_to_torch(torch, m, path),
                                       dict(in_channels=m.in_channels, growth_rate=m.growth_rate,
                                            bn_size=m.bn_size))
    elif isinstance(m, Concat):
        config = dict(type="Inception", **m.config) if isinstance(m, Inception) else dict(type="Concat")
        t = classes["TorchConcat"](_children_to_torch(torch, m, path), config)
    elif isinstance(m, nn.Sequential) and type(m).forward is nn.Sequential.forward:
        t = tnn.Sequential(_children_to_torch(torch, m, path))
    else:
        raise TypeError(
            f"to_torch: {_where(path)} is a {type(m).__name__}, which has no PyTorch equivalent here; "
            f"supported: the layers of cnnedu.nn, Sequential and the blocks of cnnedu.models")
    t.training = bool(m.training)            # per module: a model may mix modes
    return t


def to_torch(model):
    r"""The ``torch.nn.Module`` that computes what ``model`` computes, with a copy of its weights.

    Parameters
    ----------
    model : cnnedu.nn.Module
        Any network of :mod:`cnnedu.nn` layers and :mod:`cnnedu.models` blocks.

    Returns
    -------
    torch.nn.Module
        On the CPU, in the parameters' dtype, in the same training/evaluation
        mode, with the same state-dict keys: ``model.state_dict()`` and
        ``{k: v.numpy() for k, v in to_torch(model).state_dict().items()}`` are equal.

    Raises
    ------
    ImportError
        PyTorch is not installed (``pip install torch``).
    TypeError
        A layer type without a PyTorch equivalent; the message names it.
    ValueError
        A setting PyTorch's layer cannot express (asymmetric padding, ...).

    Examples
    --------
    >>> import numpy as np, torch                                   # doctest: +SKIP
    >>> from cnnedu import models
    >>> net = models.LeNet5(rng=0)                                  # doctest: +SKIP
    >>> tnet = to_torch(net)                                        # doctest: +SKIP
    >>> x = np.random.default_rng(0).standard_normal((2, 1, 32, 32), dtype=np.float32)   # doctest: +SKIP
    >>> np.allclose(tnet(torch.from_numpy(x)).detach().numpy(), net(x), atol=1e-5)   # doctest: +SKIP
    True
    """
    torch = _require_torch("to_torch")
    if not isinstance(model, nn.Module):
        raise TypeError(f"to_torch: model must be a cnnedu.nn.Module, got {type(model).__name__}")
    return _to_torch(torch, model, "")


# ---------------------------------------------------------------------------
# torch -> cnnedu
# ---------------------------------------------------------------------------

def _set_mode(m, training) -> None:
    object.__setattr__(m, "training", bool(training))


def _conv_from_torch(t, path, dtype):
    fn = "from_torch"
    if t.padding_mode != "zeros":
        raise ValueError(f"{fn}: {_where(path)} uses padding_mode={t.padding_mode!r}; cnnedu pads with zeros only")
    nd = len(t.kernel_size)
    transposed = type(t).__name__.startswith("ConvTranspose")
    padding = t.padding if isinstance(t.padding, str) else tuple(t.padding)
    rng = skip_init_rng()
    if transposed:
        cls = nn.ConvTranspose1d if nd == 1 else nn.ConvTranspose2d
        m = cls(t.in_channels, t.out_channels, tuple(t.kernel_size), tuple(t.stride), padding,
                tuple(t.output_padding), t.groups, t.bias is not None, tuple(t.dilation), dtype=dtype, rng=rng)
    else:
        cls = nn.Conv1d if nd == 1 else nn.Conv2d
        m = cls(t.in_channels, t.out_channels, tuple(t.kernel_size), tuple(t.stride), padding, tuple(t.dilation),
                t.groups, t.bias is not None, dtype=dtype, rng=rng)
    _copy_from_torch(m.weight.data, t.weight)
    if t.bias is not None:
        _copy_from_torch(m.bias.data, t.bias)
    return m


def _pool_from_torch(t, path):
    fn = "from_torch"
    kind = type(t).__name__
    nd = 1 if kind.endswith("1d") else 2
    if getattr(t, "ceil_mode", False):
        raise ValueError(f"{fn}: {_where(path)} ({kind}) uses ceil_mode=True; cnnedu rounds pooling sizes down "
                         f"(cnnedu.sizes.pool_output_size): add padding instead")
    if kind.startswith("Max"):
        if np.any(np.asarray(t.dilation) != 1) or t.return_indices:
            raise ValueError(f"{fn}: {_where(path)} ({kind}) uses dilation or return_indices, which cnnedu's "
                             f"pooling does not have")
        cls = nn.MaxPool1d if nd == 1 else nn.MaxPool2d
    else:
        if getattr(t, "divisor_override", None) is not None:
            raise ValueError(f"{fn}: {_where(path)} ({kind}) uses divisor_override, which cnnedu does not have")
        if not t.count_include_pad and np.any(np.asarray(t.padding) != 0):
            raise ValueError(f"{fn}: {_where(path)} ({kind}) uses count_include_pad=False; cnnedu's average "
                             f"pooling counts the padded zeros")
        cls = nn.AvgPool1d if nd == 1 else nn.AvgPool2d

    def tup(v):
        v = tuple(v) if isinstance(v, (tuple, list)) else (v,) * nd
        return tuple(int(i) for i in v)

    stride = t.stride if t.stride not in (None, ()) else t.kernel_size
    return cls(tup(t.kernel_size), tup(stride), tup(t.padding))


def _batchnorm_from_torch(t, path, dtype):
    cls = nn.BatchNorm2d if type(t).__name__ == "BatchNorm2d" else nn.BatchNorm1d
    m = cls(t.num_features, t.eps, t.momentum, t.affine, t.track_running_stats, dtype=dtype)
    if t.affine:
        _copy_from_torch(m.weight.data, t.weight)
        _copy_from_torch(m.bias.data, t.bias)
    if t.track_running_stats:
        _copy_from_torch(m.running_mean, t.running_mean)
        _copy_from_torch(m.running_var, t.running_var)
        _copy_from_torch(m.num_batches_tracked, t.num_batches_tracked)
    return m


def _children_from_torch(torch, t, path):
    return OrderedDict((name, None if child is None else _from_torch(torch, child, f"{path}.{name}" if path else name))
                       for name, child in t._modules.items())


def _rebuild(block, children: OrderedDict):
    """Put converted children into a freshly built (skip-init) block, keeping its registration order."""
    for name, child in children.items():
        setattr(block, name, child)
    return block


def _from_torch(torch, t, path):
    fn = "from_torch"
    tnn = torch.nn
    classes = _torch_classes()
    kind = type(t)
    rng = skip_init_rng()
    if kind in (tnn.Conv1d, tnn.Conv2d, tnn.ConvTranspose1d, tnn.ConvTranspose2d):
        m = _conv_from_torch(t, path, _numpy_dtype(fn, path, t))
    elif kind in (tnn.MaxPool1d, tnn.MaxPool2d, tnn.AvgPool1d, tnn.AvgPool2d):
        m = _pool_from_torch(t, path)
    elif kind in (tnn.LPPool1d, tnn.LPPool2d):
        raise TypeError(
            f"{fn}: {_where(path)} is a torch.nn.{kind.__name__}, which sums x**p over each window; cnnedu's "
            f"{kind.__name__} is the lecture's p-norm mean of |x|**p, so there is no exact equivalent")
    elif kind is classes["TorchLPPool"]:
        cls = nn.LPPool1d if t.nd == 1 else nn.LPPool2d
        m = cls(t.norm_type, t.kernel_size, t.stride)
    elif kind in (tnn.BatchNorm1d, tnn.BatchNorm2d):
        m = _batchnorm_from_torch(t, path, _numpy_dtype(fn, path, t))
    elif kind is tnn.Linear:
        m = nn.Linear(t.in_features, t.out_features, t.bias is not None, dtype=_numpy_dtype(fn, path, t), rng=rng)
        _copy_from_torch(m.weight.data, t.weight)
        if t.bias is not None:
            _copy_from_torch(m.bias.data, t.bias)
    elif kind is tnn.Flatten:
        m = nn.Flatten(t.start_dim, t.end_dim)
    elif kind is tnn.AdaptiveAvgPool2d:
        m = AdaptiveAvgPool2d(t.output_size)
    elif kind is tnn.Dropout:
        m = nn.Dropout(t.p)
    elif kind in (tnn.ReLU, tnn.Sigmoid, tnn.Tanh, tnn.Identity):
        m = getattr(nn, kind.__name__)()
    elif kind is classes["TorchDepthwiseSeparableConv2d"]:
        dw, pw = (_from_torch(torch, getattr(t, n), f"{path}.{n}".lstrip(".")) for n in ("depthwise", "pointwise"))
        m = nn.DepthwiseSeparableConv2d(dw.in_channels, pw.out_channels, dw.kernel_size, dw.stride, dw.padding,
                                        dw.dilation, dw.bias is not None, dtype=dw.dtype, rng=rng)
        m = _rebuild(m, OrderedDict(depthwise=dw, pointwise=pw))
    elif kind in (classes["TorchBasicBlock"], classes["TorchBottleneck"]):
        children = _children_from_torch(torch, t, path)
        conv1, conv2 = children["conv1"], children["conv2"]
        if kind is classes["TorchBasicBlock"]:
            m = nn.BasicBlock(conv1.in_channels, conv1.out_channels, conv1.stride[0], dtype=conv1.dtype, rng=rng)
        else:
            m = Bottleneck(conv1.in_channels, conv1.out_channels, conv2.stride[0],
                           children["conv3"].out_channels // conv1.out_channels, dtype=conv1.dtype, rng=rng)
        m = _rebuild(m, children)
    elif kind is classes["TorchDenseBlock"]:
        children = _children_from_torch(torch, t, path)
        c = t.cnnedu_config
        first = next(iter(children.values()))
        m = DenseBlock(len(children), c["in_channels"], c["growth_rate"], c["bn_size"], dtype=first.conv1.dtype,
                       rng=rng)
        m = _rebuild(m, children)
    elif kind is classes["TorchConcat"]:
        children = _children_from_torch(torch, t, path)
        c = dict(t.cnnedu_config)
        if c.pop("type", "Concat") == "Inception":
            first_conv = next(iter(children.values()))[0]
            m = _rebuild(Inception(**c, dtype=first_conv.dtype, rng=rng), children)
        else:
            m = Concat(children)
    elif isinstance(t, tnn.Sequential) and kind.forward is tnn.Sequential.forward:
        m = nn.Sequential(_children_from_torch(torch, t, path))
    else:
        raise TypeError(
            f"{fn}: {_where(path)} is a {kind.__module__}.{kind.__name__}, which has no cnnedu equivalent; "
            f"supported: the torch.nn layers cnnedu.nn has, Sequential, and the blocks made by to_torch")
    _set_mode(m, t.training)
    return m


def from_torch(module):
    r"""The :class:`cnnedu.nn.Module` that computes what a ``torch.nn.Module`` computes, with a copy of its weights.

    The reverse of :func:`to_torch`.  Tensors are copied to the CPU; float32
    and float64 modules keep their dtype (convert half precision with
    ``.float()`` first).  Layers are built without drawing random weights
    (see :mod:`cnnedu.models`), then the weights are copied in.

    Parameters
    ----------
    module : torch.nn.Module
        Built from the ``torch.nn`` layers cnnedu has (``Conv1d/2d``,
        ``ConvTranspose1d/2d``, ``MaxPool``/``AvgPool`` 1d/2d, ``Linear``,
        ``Flatten``, ``ReLU``, ``Sigmoid``, ``Tanh``, ``Dropout``,
        ``BatchNorm1d/2d``, ``Identity``, ``AdaptiveAvgPool2d``, ``Sequential``)
        and the block classes of this module.

    Returns
    -------
    cnnedu.nn.Module
        In the same training/evaluation mode; containers are
        :class:`cnnedu.nn.Sequential`.

    Raises
    ------
    ImportError
        PyTorch is not installed.
    TypeError
        A layer type cnnedu does not have; the message names it.
    ValueError
        A setting cnnedu's layer does not have (``ceil_mode``, reflection padding, ...).
    """
    torch = _require_torch("from_torch")
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch: module must be a torch.nn.Module, got {type(module).__name__}")
    return _from_torch(torch, module, "")
