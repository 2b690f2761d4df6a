r"""``summary(model, input_shape)``: a network's table of layers, output shapes, parameters and MACs.

Computed by *shape inference*, without running the network: each layer type
has a rule that maps the shape of its input to the shape of its output with
the formulas of :mod:`cnnedu.sizes`, and counts its parameters and
multiply-accumulates with them too:

* ``Conv1d``, ``Conv2d``: output size :func:`~cnnedu.sizes.conv_output_size`,
  parameters :func:`~cnnedu.sizes.conv_parameter_count`, MACs :func:`~cnnedu.sizes.conv_macs`;
* ``ConvTranspose1d``, ``ConvTranspose2d``: output size
  :func:`~cnnedu.sizes.conv_transpose_output_size`, the same parameter count,
  and the MACs of the convolution it transposes (``conv_macs`` from its
  output back to its input: the same products, scattered instead of gathered);
* ``MaxPool``, ``AvgPool``, ``LPPool``: output size :func:`~cnnedu.sizes.pool_output_size`,
  no parameters, 0 MACs;
* ``Linear``: ``out_features``; parameters :func:`~cnnedu.sizes.linear_parameter_count`,
  :math:`F_{in} F_{out}` MACs;
* ``BatchNorm1d/2d``: unchanged shape, :math:`2C` parameters (:math:`\gamma, \beta`), 0 MACs;
* activations, ``Dropout``, ``Identity``: unchanged; ``Flatten``: unrolled; no parameters, 0 MACs;
* ``AdaptiveAvgPool2d``: its ``output_size``; no parameters, 0 MACs.

Containers and blocks (``Sequential``, ``BasicBlock``, ``Bottleneck``,
``Concat``/``Inception``, ``DenseBlock``, ``DepthwiseSeparableConv2d``) are
walked layer by layer; a block that adds or concatenates maps gets a row of
its own (type ``add`` or ``concat``) where the maps meet.

MACs count the multiply-accumulates of convolutions and fully connected layers
only, the work that dominates a CNN's cost; pooling, activations, BatchNorm
(which can be folded into the convolution before it at inference), additions
and concatenations count as 0.  Biases are not counted as MACs.

Because nothing is computed but sizes, VGG-16 on 224x224 takes milliseconds;
build the model with ``init_weights=False`` to skip drawing its weights as well
(``summary("vgg16")`` does that for you).

A shape that does not fit stops the inference at the first layer where the
sizes stop working, and the error names that layer::

    >>> from cnnedu.models import LeNet5, summary
    >>> summary(LeNet5(init_weights=False), (1, 28, 28))
    Traceback (most recent call last):
    ...
    ValueError: summary: layer 'fc1': Linear(400 -> 120) got 256 features: check the output size of the layer before Flatten ('flatten' unrolled maps of shape (16, 4, 4); the model's input was (1, 28, 28))

Other layer types can be taught to :func:`summary` with :func:`register_shape_rule`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import nn, sizes
from .._checks import check_int
from ..nn.conv import _ConvBase
from ..nn.pooling import _Pool
from ._layers import AdaptiveAvgPool2d, Bottleneck, Concat, DenseBlock

__all__ = ["summary", "Summary", "SummaryRow", "register_shape_rule"]


@dataclass(frozen=True)
class SummaryRow:
    """One row of a :class:`Summary`.

    Attributes
    ----------
    name : str
        Dotted path of the layer in the model (its ``state_dict`` prefix), or of
        the block for an ``add``/``concat`` row.
    type : str
        The layer's class name, or ``"add"``/``"concat"`` where a block merges maps.
    output_shape : tuple of int
        Shape of the layer's output for one example (no batch dimension).
    params : int
        Learnable parameters of this layer alone.
    macs : int
        Multiply-accumulates for one example.
    """

    name: str
    type: str
    output_shape: tuple
    params: int
    macs: int


def _fmt_shape(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _fmt_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover


class Summary(Sequence):
    """The table :func:`summary` returns: a sequence of :class:`SummaryRow` s with totals.

    ``print(s)`` (or ``str(s)``) shows an aligned text table, ``s.to_markdown()``
    a Markdown one; ``s[i]``, ``len(s)`` and iteration give the rows, so
    ``pandas.DataFrame(list(s))`` makes a data frame of it.

    Attributes
    ----------
    rows : list of SummaryRow
    input_shape, output_shape : tuple of int
        For one example.
    total_params : int
        Sum of the rows' parameters (the formulas of :mod:`cnnedu.sizes`).
    model_params : int
        Sum of ``p.size`` over ``model.parameters()``; equal to ``total_params``
        unless a layer shares parameters or a custom rule miscounts.
    total_macs : int
        Multiply-accumulates for one example.
    param_bytes : int
        Memory of the model's parameter arrays.
    """

    def __init__(self, rows, input_shape, output_shape, model_params, param_bytes, dtypes, title=""):
        self.rows = list(rows)
        self.input_shape = tuple(input_shape)
        self.output_shape = tuple(output_shape)
        self.total_params = sum(r.params for r in self.rows)
        self.total_macs = sum(r.macs for r in self.rows)
        self.model_params = model_params
        self.param_bytes = param_bytes
        self.dtypes = dtypes
        self.title = title

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i):
        return self.rows[i]

    def totals(self) -> str:
        """One line: the total parameters and MACs per example."""
        return f"Total parameters: {self.total_params:,}   MACs per example: {self.total_macs:,}"

    def _cells(self):
        head = ("Layer", "Type", "Output shape", "Params", "MACs")
        body = [(r.name, r.type, _fmt_shape(r.output_shape), f"{r.params:,}", f"{r.macs:,}") for r in self.rows]
        return head, body

    def _footer(self) -> list[str]:
        lines = [f"Input {_fmt_shape(self.input_shape)} -> output {_fmt_shape(self.output_shape)} (one example)",
                 self.totals() + f" ({self.total_macs / 1e9:.3g} G)" if self.total_macs >= 1e8 else self.totals()]
        if self.param_bytes:
            lines.append(f"Parameter memory: {_fmt_bytes(self.param_bytes)} ({', '.join(self.dtypes)})")
        if self.model_params != self.total_params:
            lines.append(f"Note: the model holds {self.model_params:,} parameters, the layer formulas give "
                         f"{self.total_params:,} (shared parameters, or a layer the rules do not count)")
        return lines

    def __str__(self) -> str:
        head, body = self._cells()
        widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
        right = (False, False, False, True, True)

        def line(cells):
            return "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)).rstrip()

        rule = "  ".join("-" * w for w in widths)
        out = ([self.title] if self.title else []) + [line(head), rule, *(line(c) for c in body), rule]
        return "\n".join(out + self._footer())

    __repr__ = __str__

    def to_markdown(self) -> str:
        """The table in Markdown (a totals row at the bottom), for a notebook or a README."""
        head, body = self._cells()
        out = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 3 + ["---:"] * 2) + "|"]
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |" for cells in body]
        out.append(f"| **Total** | | {_fmt_shape(self.output_shape)} | **{self.total_params:,}** | "
                   f"**{self.total_macs:,}** |")
        return "\n".join(out)


# ---------------------------------------------------------------------------
# The walk
# ---------------------------------------------------------------------------

class _Walk:
    """What the rules share while walking one model: the rows so far and context for error messages."""

    def __init__(self, input_shape):
        self.input_shape = input_shape
        self.rows: list[SummaryRow] = []
        self.flatten = None          # (path, shape) of the last Flatten, for the Linear hint

    def add(self, path, module_or_type, shape, params=0, macs=0) -> tuple:
        kind = module_or_type if isinstance(module_or_type, str) else type(module_or_type).__name__
        self.rows.append(SummaryRow(path or kind, kind, tuple(shape), int(params), int(macs)))
        return tuple(shape)

    def fail(self, path, module, shape, reason):
        raise ValueError(f"summary: layer {path or type(module).__name__!r} ({module.describe()}) cannot take "
                         f"its input of shape {_fmt_shape(shape)}: {reason} (the model's input was "
                         f"{_fmt_shape(self.input_shape)})")

    def visit(self, module, path, shape) -> tuple:
        rule = _find_rule(type(module))
        if rule is None:
            raise TypeError(
                f"summary: no shape rule for layer {path or '(model)'!r} of type {type(module).__name__}; "
                f"teach summary its output shape with cnnedu.models.register_shape_rule"
            )
        return rule(self, module, path, shape)


_RULES: dict[type, object] = {}


def register_shape_rule(cls, rule=None):
    """Teach :func:`summary` a layer type (usable as a decorator).

    A rule is ``rule(walk, module, path, shape) -> output_shape``: ``shape`` is
    the input shape of one example; a layer calls ``walk.add(path, module,
    out_shape, params, macs)`` to add its row, a block calls
    ``walk.visit(child, f"{path}.{name}", shape)`` for each child.  Rules are
    found through the class hierarchy, so a subclass inherits its parent's rule.

    Examples
    --------
    >>> from cnnedu import nn
    >>> class Double(nn.Module):
    ...     def forward(self, x): return 2 * x
    >>> @register_shape_rule(Double)
    ... def _double(walk, module, path, shape):
    ...     return walk.add(path, module, shape)
    >>> summary(nn.Sequential(nn.Linear(4, 3), Double()), (4,)).output_shape
    (3,)
    """
    if rule is None:
        return lambda r: register_shape_rule(cls, r)
    if not isinstance(cls, type) or not issubclass(cls, nn.Module):
        raise TypeError(f"register_shape_rule: cls must be a subclass of cnnedu.nn.Module, got {cls!r}")
    if not callable(rule):
        raise TypeError(f"register_shape_rule: rule must be callable, got {rule!r}")
    _RULES[cls] = rule
    return rule


def _find_rule(cls):
    for klass in cls.__mro__:
        if klass in _RULES:
            return _RULES[klass]
    return None


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


_AXES = {1: ("L",), 2: ("H", "W")}


def _expect_rank(walk, m, path, shape, ranks, layout):
    if len(shape) in ranks:
        return
    hint = (": give the shape of one example, without the batch dimension"
            if len(shape) == max(ranks) + 1 else "")
    walk.fail(path, m, shape, f"it expects {layout} per example{hint}")


def _spatial(walk, m, path, shape, formula):
    """Apply ``formula(d, n)`` to each spatial size, turning a sizes error into one naming the layer."""
    out = []
    for d, n in enumerate(shape[1:]):
        try:
            out.append(formula(d, n))
        except ValueError as exc:
            walk.fail(path, m, shape, f"along {_AXES[len(shape) - 1][d]}, {exc}")
    return out


def _padding(m, d):
    return m.padding if isinstance(m.padding, str) else m.padding[d]


# ---------------------------------------------------------------------------
# Rules of the layers
# ---------------------------------------------------------------------------

def _conv_geometry(walk, m, path, shape) -> tuple[tuple, int, int]:
    """``(output spatial size, multiply-accumulates, parameters)`` of a convolutional layer."""
    nd = m._nd
    _expect_rank(walk, m, path, shape, (nd + 1,), "(C, L)" if nd == 1 else "(C, H, W)")
    if shape[0] != m.in_channels:
        walk.fail(path, m, shape, f"it expects {m.in_channels} input channels, got {shape[0]}: "
                                  f"check out_channels of the layer before")
    if m._transposed:
        out = _spatial(walk, m, path, shape, lambda d, n: sizes.conv_transpose_output_size(
            n, m.kernel_size[d], m.stride[d], _padding(m, d), m.output_padding[d], m.dilation[d]))
        # a transposed convolution does the work of the convolution it transposes, from out to in
        macs = sizes.conv_macs(m.out_channels, m.in_channels, m.kernel_size, tuple(shape[1:]), m.groups)
    else:
        out = _spatial(walk, m, path, shape, lambda d, n: sizes.conv_output_size(
            n, m.kernel_size[d], m.stride[d], _padding(m, d), m.dilation[d]))
        macs = sizes.conv_macs(m.in_channels, m.out_channels, m.kernel_size, tuple(out), m.groups)
    params = sizes.conv_parameter_count(m.in_channels, m.out_channels, m.kernel_size, m.groups,
                                        bias=m.bias is not None)
    return tuple(out), macs, params


@register_shape_rule(_ConvBase)
def _conv(walk, m, path, shape):
    out, macs, params = _conv_geometry(walk, m, path, shape)
    return walk.add(path, m, (m.out_channels, *out), params, macs)


@register_shape_rule(nn.TransformInvariantConv2d)
def _invariant_conv(walk, m, path, shape):
    # T copies of every filter share its weights: T times the work; T maps per filter unless pooled
    out, macs, params = _conv_geometry(walk, m, path, shape)
    t = m.num_transforms
    channels = m.out_channels * (t if m.pool is None else 1)
    return walk.add(path, m, (channels, *out), params, t * macs)


@register_shape_rule(_Pool)
def _pool(walk, m, path, shape):
    nd = m._nd
    _expect_rank(walk, m, path, shape, (nd + 1,), "(C, L)" if nd == 1 else "(C, H, W)")
    out = _spatial(walk, m, path, shape, lambda d, n: sizes.pool_output_size(
        n, m.kernel_size[d], m.stride[d], _padding(m, d)))
    return walk.add(path, m, (shape[0], *out))


@register_shape_rule(AdaptiveAvgPool2d)
def _adaptive_pool(walk, m, path, shape):
    _expect_rank(walk, m, path, shape, (3,), "(C, H, W)")
    return walk.add(path, m, (shape[0], *m.out_size(shape[1], shape[2])))


@register_shape_rule(nn.Linear)
def _linear(walk, m, path, shape):
    if len(shape) != 1:
        walk.fail(path, m, shape, f"it expects one vector of {m.in_features} features per example: "
                                  f"put a Flatten() before it ({' * '.join(map(str, shape))} = "
                                  f"{math.prod(shape)} values)")
    if shape[0] != m.in_features:
        where = ""
        if walk.flatten is not None:
            f_path, f_shape = walk.flatten
            where = f"{f_path!r} unrolled maps of shape {_fmt_shape(f_shape)}; "
        raise ValueError(
            f"summary: layer {path or 'Linear'!r}: {m.describe()} got {shape[0]} features: check the output "
            f"size of the layer before Flatten ({where}the model's input was {_fmt_shape(walk.input_shape)})")
    # one multiply-accumulate per weight: F_in * F_out, the parameter count without the biases
    macs = sizes.linear_parameter_count(m.in_features, m.out_features, bias=False)
    params = sizes.linear_parameter_count(m.in_features, m.out_features, bias=m.bias is not None)
    return walk.add(path, m, (m.out_features,), params, macs)


@register_shape_rule(nn.Flatten)
def _flatten(walk, m, path, shape):
    full = (1, *shape)                      # a batch of one: start_dim and end_dim count the batch axis
    nd = len(full)
    start = m.start_dim + nd if m.start_dim < 0 else m.start_dim
    end = m.end_dim + nd if m.end_dim < 0 else m.end_dim
    if not (1 <= start <= end < nd):
        walk.fail(path, m, shape, f"dimensions {m.start_dim}..{m.end_dim} are not a range of the "
                                  f"per-example dimensions (the batch dimension is not flattened here)")
    walk.flatten = (path or "Flatten", tuple(shape))
    out = full[1:start] + (math.prod(full[start:end + 1]),) + full[end + 1:]
    return walk.add(path, m, out)


def _same_shape(walk, m, path, shape):
    return walk.add(path, m, shape)


for _cls in (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.Dropout, nn.Identity):
    register_shape_rule(_cls, _same_shape)


@register_shape_rule(nn.BatchNorm1d)
@register_shape_rule(nn.BatchNorm2d)
def _batchnorm(walk, m, path, shape):
    if isinstance(m, nn.BatchNorm2d):
        _expect_rank(walk, m, path, shape, (3,), "(C, H, W)")
    else:
        _expect_rank(walk, m, path, shape, (1, 2), "(C,) or (C, L)")
    if shape[0] != m.num_features:
        walk.fail(path, m, shape, f"num_features is {m.num_features}: it must equal the channels of the "
                                  f"layer before, {shape[0]}")
    return walk.add(path, m, shape, 2 * m.num_features if m.affine else 0)   # gamma and beta per channel


# ---------------------------------------------------------------------------
# Rules of the containers and blocks
# ---------------------------------------------------------------------------

@register_shape_rule(nn.Sequential)
def _sequential(walk, m, path, shape):
    if type(m).forward is not nn.Sequential.forward:
        raise TypeError(f"summary: {type(m).__name__} at {path or '(model)'!r} overrides Sequential.forward, "
                        f"so its layers may not run one after another: register a shape rule for it")
    for name, child in m.named_children():
        shape = walk.visit(child, _child(path, name), shape)
    return shape


@register_shape_rule(nn.DepthwiseSeparableConv2d)
def _depthwise_separable(walk, m, path, shape):
    shape = walk.visit(m.depthwise, _child(path, "depthwise"), shape)
    return walk.visit(m.pointwise, _child(path, "pointwise"), shape)


def _check_block_input(walk, m, path, shape):
    _expect_rank(walk, m, path, shape, (3,), "(C, H, W)")
    if shape[0] != m.in_channels:
        walk.fail(path, m, shape, f"it expects {m.in_channels} input channels, got {shape[0]}")


def _residual(walk, m, path, shape, main, final):
    """``final(main(x) + shortcut(x))``: the main path's rows, the shortcut's, an ``add`` row, the final ReLU's."""
    _check_block_input(walk, m, path, shape)
    out = shape
    for name in main:
        out = walk.visit(getattr(m, name), _child(path, name), out)
    short = shape if m.downsample is None else walk.visit(m.downsample, _child(path, "downsample"), shape)
    if tuple(short) != tuple(out):
        walk.fail(path, m, shape, f"the residual path gives {_fmt_shape(out)} but the shortcut gives "
                                  f"{_fmt_shape(short)}: they must be equal to be added")
    walk.add(path, "add", out)
    return walk.visit(getattr(m, final), _child(path, final), out)


@register_shape_rule(nn.BasicBlock)
def _basic_block(walk, m, path, shape):
    return _residual(walk, m, path, shape, ("conv1", "bn1", "relu1", "conv2", "bn2"), "relu2")


@register_shape_rule(Bottleneck)
def _bottleneck(walk, m, path, shape):
    return _residual(walk, m, path, shape,
                     ("conv1", "bn1", "relu1", "conv2", "bn2", "relu2", "conv3", "bn3"), "relu3")


@register_shape_rule(Concat)
def _concat(walk, m, path, shape):
    if hasattr(m, "in_channels"):
        _check_block_input(walk, m, path, shape)
    outs = [(name, walk.visit(b, _child(path, name), shape)) for name, b in m.named_children()]
    first = outs[0][1]
    if any(len(s) != len(first) or s[1:] != first[1:] for _, s in outs):
        listing = ", ".join(f"{n} {_fmt_shape(s)}" for n, s in outs)
        walk.fail(path, m, shape, f"its branches give maps of different sizes ({listing}): every branch "
                                  f"must keep the spatial size to be concatenated")
    return walk.add(path, "concat", (sum(s[0] for _, s in outs), *first[1:]))


@register_shape_rule(DenseBlock)
def _dense_block(walk, m, path, shape):
    _check_block_input(walk, m, path, shape)
    for name, layer in m.named_children():
        p = _child(path, name)
        new = walk.visit(layer, p, shape)
        if len(new) != len(shape) or new[1:] != shape[1:]:
            walk.fail(path, m, shape, f"layer {name} gives maps of shape {_fmt_shape(new)}, which cannot be "
                                      f"concatenated to its input {_fmt_shape(shape)}")
        shape = walk.add(p, "concat", (shape[0] + new[0], *shape[1:]))
    return shape


# ---------------------------------------------------------------------------
# The function
# ---------------------------------------------------------------------------

def summary(model, input_shape=None, **kwargs) -> Summary:
    r"""The table of a network's layers: output shape, parameters and MACs of each, with totals.

    Computed from the sizes alone (see the module docstring): the network is
    not run, so it is fast even for VGG-16 and works on a model built with
    ``init_weights=False``.

    Parameters
    ----------
    model : Module or str
        A network, or the name of a model of the zoo (:func:`~cnnedu.models.list_models`),
        which is then built with ``init_weights=False`` and ``**kwargs``.
    input_shape : tuple of int, optional
        The shape of one example, without the batch dimension: ``(C, H, W)`` for
        images, ``(C, L)`` for sequences, ``(F,)`` for feature vectors.  Defaults
        to ``model.input_shape`` (set by every model of the zoo).
    **kwargs
        Builder arguments when ``model`` is a name.

    Returns
    -------
    Summary
        Rows of :class:`SummaryRow`; ``print()`` it for the table.

    Raises
    ------
    ValueError
        At the first layer where the sizes stop working, naming the layer.
    TypeError
        A layer type without a shape rule (see :func:`register_shape_rule`).

    Examples
    --------
    >>> from cnnedu.models import LeNet5
    >>> s = summary(LeNet5(rng=0))
    >>> print(s)
    Layer    Type       Output shape  Params     MACs
    -------  ---------  ------------  ------  -------
    conv1    Conv2d     (6, 28, 28)      156  117,600
    relu1    ReLU       (6, 28, 28)        0        0
    pool1    MaxPool2d  (6, 14, 14)        0        0
    conv2    Conv2d     (16, 10, 10)   2,416  240,000
    relu2    ReLU       (16, 10, 10)       0        0
    pool2    MaxPool2d  (16, 5, 5)         0        0
    flatten  Flatten    (400,)             0        0
    fc1      Linear     (120,)        48,120   48,000
    relu3    ReLU       (120,)             0        0
    fc2      Linear     (84,)         10,164   10,080
    relu4    ReLU       (84,)              0        0
    fc3      Linear     (10,)            850      840
    -------  ---------  ------------  ------  -------
    Input (1, 32, 32) -> output (10,) (one example)
    Total parameters: 61,706   MACs per example: 416,520
    Parameter memory: 241.0 KB (float32)
    >>> s.total_params == sum(p.size for p in LeNet5(rng=0).parameters())
    True
    """
    if isinstance(model, str):
        from . import get_model
        model = get_model(model, **{"init_weights": False, **kwargs})
    elif kwargs:
        raise TypeError(f"summary: unexpected keyword arguments {sorted(kwargs)} (they are only for a model name)")
    if not isinstance(model, nn.Module):
        raise TypeError(f"summary: model must be a cnnedu.nn.Module or a model name, got {type(model).__name__}")
    if input_shape is None:
        input_shape = getattr(model, "input_shape", None)
        if input_shape is None:
            raise TypeError(f"summary: give input_shape, the shape of one example without the batch dimension, "
                            f"e.g. (3, 224, 224); {type(model).__name__} does not record one")
    if isinstance(input_shape, (int, np.integer)):
        input_shape = (input_shape,)
    if not isinstance(input_shape, (tuple, list)) or not input_shape:
        raise TypeError(f"summary: input_shape must be a tuple of ints such as (3, 224, 224), got {input_shape!r}")
    input_shape = tuple(check_int("summary", "input_shape", n, 1) for n in input_shape)
    walk = _Walk(input_shape)
    out = walk.visit(model, "", input_shape)
    params = list(model.parameters())
    dtypes = sorted({str(p.dtype) for p in params})
    return Summary(walk.rows, input_shape, out, sum(p.size for p in params), sum(p.data.nbytes for p in params),
                   dtypes)
