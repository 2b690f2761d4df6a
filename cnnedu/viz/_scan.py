"""What a scan figure shows, independent of drawing it: the canvas, the window, the numbers.

A *scan* is a window moving over a *canvas*: the padded input (for a transposed
convolution, the zero-inserted and padded input).  Every size and padding comes
from :mod:`cnnedu.sizes`, every value from :mod:`cnnedu.functional`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .. import functional as F
from .. import sizes
from .._checks import as_real_array, check_int, check_real, int_tuple
from ..functional._geometry import padding_per_dim

# cell kinds on the scanned canvas (_CROPPED only labels the legend: cells no window reaches)
_PAD, _INPUT, _INSERTED, _CROPPED = 0, 1, 2, 3


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

def _num(v: float, digits: int = 3) -> str:
    """A number as the book prints it: integers without decimals, a real minus sign."""
    v = float(v)
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "∞" if v > 0 else "−∞"
    if abs(v - round(v)) <= 1e-9 * max(1.0, abs(v)):
        s = str(int(round(v)))
    elif abs(v) >= 10 ** digits:
        s = f"{v:.0f}"
    else:  # at most two decimals and `digits` significant digits: 0.0165 -> 0.02, 12.34 -> 12.3
        s = f"{round(v, 2):.{digits}g}"
        s = "0" if float(s) == 0 else s
    return s.replace("-", "−")


def _paren(s: str) -> str:
    return f"({s})" if s.startswith("−") else s


def _size_str(t) -> str:
    return "×".join(str(v) for v in t)


def _pair_str(t) -> str:
    return str(t[0]) if t[0] == t[1] else f"({t[0]}, {t[1]})"


def _pad_str(pads) -> str:
    """Padding ((top, bottom), (left, right)) as printed in a label."""
    (t, b), (l, r) = (tuple(_num(v) for v in pair) for pair in pads)
    if (t, b) == (l, r):
        return f"({t}, {b})"
    return f"(({t}, {b}), ({l}, {r}))"


def _size_arg(fn, name, value, array, array_name):
    """An (h, w) size from an int/pair, or from the shape of the array that goes with it."""
    if value is None:
        if array is None:
            raise TypeError(f"{fn}: {name} is required unless {array_name} is given")
        return tuple(array.shape)
    size = int_tuple(fn, name, value, 2, 1)
    if array is not None and tuple(array.shape) != size:
        raise ValueError(
            f"{fn}: {name} {_size_str(size)} does not match {array_name}.shape {tuple(array.shape)}"
        )
    return size


def _array_arg(fn, name, value, layout):
    if value is None:
        return None
    a = as_real_array(fn, name, value, 2, layout)
    if 0 in a.shape:
        raise ValueError(f"{fn}: {name} must not be empty, got shape {a.shape}")
    return a.astype(np.float64)


def _position(fn, position, out_size) -> tuple[int, int]:
    """(row, col) of an output cell, from None (the first), a pair, or a scan-order index."""
    ho, wo = out_size
    if position is None:
        return 0, 0
    if isinstance(position, numbers.Integral) and not isinstance(position, (bool, np.bool_)):
        k = int(position)
        if not 0 <= k < ho * wo:
            raise ValueError(
                f"{fn}: position {k} is outside the {ho}×{wo} output; a scan-order index must be "
                f"in 0..{ho * wo - 1}"
            )
        return divmod(k, wo)
    if not isinstance(position, (tuple, list)) or len(position) != 2:
        raise TypeError(
            f"{fn}: position must be (row, col) or a scan-order index, got {position!r}"
        )
    r = check_int(fn, "position row", position[0])
    c = check_int(fn, "position col", position[1])
    if not (0 <= r < ho and 0 <= c < wo):
        raise ValueError(
            f"{fn}: position {(r, c)} is outside the {ho}×{wo} output; row must be in "
            f"0..{ho - 1} and col in 0..{wo - 1}"
        )
    return r, c


def _size_formula(parts) -> str:
    """One line per dimension of ``(formula, result)``, or one line when both agree."""
    (fh, oh), (fw, ow) = parts
    if fh == fw:
        return f"output size (each side): {fh} = {oh}"
    return f"output rows: {fh} = {oh}\noutput cols: {fw} = {ow}"


def _conv_formula(n, lo, hi, k, s, d) -> str:
    span = str(k) if d == 1 else f"({d}·({k} − 1) + 1)"
    inner = f"{n} + {lo} + {hi} − {span}"
    return f"({inner}) + 1" if s == 1 else f"⌊({inner})/{s}⌋ + 1"


def _transpose_formula(n, lo, hi, op, k, s, d) -> str:
    grow = f"({n} − 1)·{s}" if s > 1 else f"({n} − 1)"
    kern = f"({k} − 1)" if d == 1 else f"{d}·({k} − 1)"
    return f"{grow} − {lo} − {hi} + {kern} + {op} + 1"


# ---------------------------------------------------------------------------
# What a figure shows: one scan, independent of drawing
# ---------------------------------------------------------------------------

@dataclass
class _Scan:
    """A window scanning a canvas (the padded, possibly zero-inserted input)."""

    kind: str
    cell_kind: np.ndarray                 # (Hc, Wc) of _PAD / _INPUT / _INSERTED
    canvas_values: np.ndarray | None      # (Hc, Wc) values under the window, or None
    pad_text: str                         # how a padding cell's value is printed
    kernel: tuple
    dilation: tuple
    step: tuple                           # canvas distance between neighbouring windows
    offset: tuple                         # canvas cell of window (0, 0)'s first tap
    out_size: tuple
    out_values: np.ndarray | None
    weights: np.ndarray | None            # values printed in the window's taps
    in_size: tuple
    stride: tuple
    padding: tuple                        # ((top, bottom), (left, right)) as the user means it
    input_label: str
    output_label: str
    title: str
    caption: Callable[[tuple, tuple], str] | None  # (position, taps) -> text
    legend: list = field(default_factory=list)
    reached: np.ndarray | None = None     # (Hc, Wc) bool: cells some window covers

    @property
    def canvas(self) -> tuple:
        return self.cell_kind.shape

    def taps(self, position) -> tuple[np.ndarray, np.ndarray]:
        """Canvas rows and columns of the window's taps at output ``position`` (row-major)."""
        p, q = position
        rows = self.offset[0] + p * self.step[0] + self.dilation[0] * np.arange(self.kernel[0])
        cols = self.offset[1] + q * self.step[1] + self.dilation[1] * np.arange(self.kernel[1])
        return np.repeat(rows, len(cols)), np.tile(cols, len(rows))


def _conv_scan(fn, input_size, kernel_size, stride, padding, dilation, x, w, b) -> _Scan:
    x = _array_arg(fn, "x", x, "(H, W)")
    w = _array_arg(fn, "w", w, "(K_h, K_w)")
    in_size = _size_arg(fn, "input_size", input_size, x, "x")
    kernel = _size_arg(fn, "kernel_size", kernel_size, w, "w")
    stride = int_tuple(fn, "stride", stride, 2, 1)
    dilation = int_tuple(fn, "dilation", dilation, 2, 1)
    b = None if b is None else check_real(fn, "b", b)
    specs = padding_per_dim(fn, padding, 2)
    dims = list(zip(in_size, kernel, stride, specs, dilation))
    pads = tuple(sizes.resolve_padding(n, k, s, p, d) for n, k, s, p, d in dims)
    out = tuple(sizes.conv_output_size(n, k, s, p, d) for n, k, s, p, d in dims)

    (top, bottom), (left, right) = pads
    hc, wc = in_size[0] + top + bottom, in_size[1] + left + right
    cell_kind = np.full((hc, wc), _PAD, np.int8)
    cell_kind[top:top + in_size[0], left:left + in_size[1]] = _INPUT
    canvas_values = out_values = None
    if x is not None:
        canvas_values = np.zeros((hc, wc))
        canvas_values[top:top + in_size[0], left:left + in_size[1]] = x
    if x is not None and w is not None:
        out_values = F.conv2d(x[None, None], w[None, None], None if b is None else [b],
                              stride=stride, padding=pads, dilation=dilation)[0, 0]

    formulas = [(_conv_formula(n, lo, hi, k, s, d), o)
                for (n, k, s, _, d), (lo, hi), o in zip(dims, pads, out)]
    dil = f", dilation {_pair_str(dilation)}" if dilation != (1, 1) else ""
    title = (f"convolution: kernel {_size_str(kernel)}, stride {_pair_str(stride)}{dil}\n"
             + _size_formula(formulas))

    def caption(position, taps):
        if out_values is None:
            return ""
        rows, cols = taps
        terms = [f"{_paren(_num(canvas_values[r, c]))}·{_paren(_num(wv))}"
                 for r, c, wv in zip(rows, cols, w.ravel())]
        lines = _wrap_terms(terms, kernel[1])
        if b is not None:
            lines[-1] += f" + {_paren(_num(b))} (bias)"
        p, q = position
        return _join_caption(f"z[{p}, {q}] = ", lines, _num(out_values[p, q]))

    legend = [("input", _INPUT)] + ([("zero padding", _PAD)] if (hc, wc) != in_size else [])
    return _Scan(
        kind="conv", cell_kind=cell_kind, canvas_values=canvas_values, pad_text="0",
        kernel=kernel, dilation=dilation, step=stride, offset=(0, 0), out_size=out,
        out_values=out_values, weights=w, in_size=in_size, stride=stride, padding=pads,
        input_label=f"input {_size_str(in_size)}, padding {_pad_str(pads)}",
        output_label=f"output {_size_str(out)}", title=title, caption=caption, legend=legend,
    )


_POOL_MODES = ("max", "mean", "lp")


def _pool_scan(fn, input_size, kernel_size, stride, padding, x, mode, p) -> _Scan:
    if mode not in _POOL_MODES:
        raise ValueError(f"{fn}: mode must be one of {', '.join(map(repr, _POOL_MODES))}, got {mode!r}")
    x = _array_arg(fn, "x", x, "(H, W)")
    in_size = _size_arg(fn, "input_size", input_size, x, "x")
    kernel = int_tuple(fn, "kernel_size", kernel_size, 2, 1)
    stride = kernel if stride is None else int_tuple(fn, "stride", stride, 2, 1)
    specs = padding_per_dim(fn, padding, 2)
    dims = list(zip(in_size, kernel, stride, specs))
    pads = tuple(sizes.resolve_padding(n, k, s, sp) for n, k, s, sp in dims)
    out = tuple(sizes.pool_output_size(n, k, s, sp) for n, k, s, sp in dims)
    if mode == "lp":
        p = check_real(fn, "p", p, 1.0)
        if pads != ((0, 0), (0, 0)):
            raise ValueError(f"{fn}: p-norm pooling (mode='lp') takes no padding, got padding {padding!r}")

    # Run the pooling even without x: cnnedu.functional checks what sizes alone
    # cannot (no window may lie entirely in the padding).
    xv = np.zeros(in_size) if x is None else x
    x4 = xv[None, None]
    if mode == "max":
        y = F.max_pool2d(x4, kernel, stride, pads)[0, 0]
    elif mode == "mean":
        y = F.avg_pool2d(x4, kernel, stride, pads)[0, 0]
    else:
        y = F.lp_pool2d(x4, p, kernel, stride)[0, 0]

    (top, bottom), (left, right) = pads
    hc, wc = in_size[0] + top + bottom, in_size[1] + left + right
    cell_kind = np.full((hc, wc), _PAD, np.int8)
    cell_kind[top:top + in_size[0], left:left + in_size[1]] = _INPUT
    pad_value = -np.inf if mode == "max" else 0.0
    canvas_values = out_values = None
    if x is not None:
        canvas_values = np.full((hc, wc), pad_value)
        canvas_values[top:top + in_size[0], left:left + in_size[1]] = x
        out_values = y

    formulas = [(_conv_formula(n, lo, hi, k, s, 1), o)
                for (n, k, s, _), (lo, hi), o in zip(dims, pads, out)]
    what = {"max": "max pooling", "mean": "mean pooling", "lp": f"p-norm pooling (p = {_num(p)})"}[mode]
    title = f"{what}: window {_size_str(kernel)}, stride {_pair_str(stride)}\n" + _size_formula(formulas)

    def caption(position, taps):
        if out_values is None:
            return ""
        vals = [_num(canvas_values[r, c]) for r, c in zip(*taps)]
        i, j = position
        res = _num(out_values[i, j])
        n = len(vals)
        if mode == "max":
            return _join_caption(f"y[{i}, {j}] = max(", _wrap_terms(vals, kernel[1], ", "), res, close=")")
        if mode == "mean":
            return _join_caption(f"y[{i}, {j}] = (", _wrap_terms(vals, kernel[1]), res, close=f")/{n}")
        terms = [f"|{v}|^{_num(p)}" for v in vals]
        return _join_caption(f"y[{i}, {j}] = ((", _wrap_terms(terms, kernel[1]), res,
                             close=f")/{n})^(1/{_num(p)})")

    pad_name = "padding (−∞)" if mode == "max" else "zero padding"
    legend = [("input", _INPUT)] + ([(pad_name, _PAD)] if (hc, wc) != in_size else [])
    return _Scan(
        kind="pool", cell_kind=cell_kind, canvas_values=canvas_values,
        pad_text="−∞" if mode == "max" else "0", kernel=kernel, dilation=(1, 1), step=stride,
        offset=(0, 0), out_size=out, out_values=out_values, weights=None, in_size=in_size,
        stride=stride, padding=pads,
        input_label=f"input {_size_str(in_size)}, padding {_pad_str(pads)}",
        output_label=f"output {_size_str(out)}", title=title, caption=caption, legend=legend,
    )


def _transposed_scan(fn, input_size, kernel_size, stride, padding, output_padding, dilation,
                     x, w, b) -> _Scan:
    x = _array_arg(fn, "x", x, "(H, W)")
    w = _array_arg(fn, "w", w, "(K_h, K_w)")
    in_size = _size_arg(fn, "input_size", input_size, x, "x")
    kernel = _size_arg(fn, "kernel_size", kernel_size, w, "w")
    stride = int_tuple(fn, "stride", stride, 2, 1)
    dilation = int_tuple(fn, "dilation", dilation, 2, 1)
    ops = int_tuple(fn, "output_padding", output_padding, 2, 0)
    b = None if b is None else check_real(fn, "b", b)
    specs = padding_per_dim(fn, padding, 2)
    dims = list(zip(in_size, kernel, stride, specs, ops, dilation))
    resolved = [sizes.resolve_transpose_padding(n, k, s, sp, op, d) for n, k, s, sp, op, d in dims]
    out = tuple(sizes.conv_transpose_output_size(n, k, s, sp, op, d) for n, k, s, sp, op, d in dims)

    # "Fill in zeros, then convolve": S-1 zeros between input samples, D(M-1) - P
    # zeros before and D(M-1) - P + output_padding after (a negative count crops
    # the zero-inserted input instead), then a stride-1 convolution.
    ups = tuple((n - 1) * s + 1 for n, s in zip(in_size, stride))
    before = tuple(d * (k - 1) - lo for k, d, (lo, _, _) in zip(kernel, dilation, resolved))
    after = tuple(d * (k - 1) - hi + op for k, d, (_, hi, op) in zip(kernel, dilation, resolved))
    canvas = tuple(max(a, 0) + u + max(z, 0) for a, u, z in zip(before, ups, after))
    offset = tuple(max(-a, 0) for a in before)

    cell_kind = np.full(canvas, _PAD, np.int8)
    r0, c0 = max(before[0], 0), max(before[1], 0)
    cell_kind[r0:r0 + ups[0], c0:c0 + ups[1]] = _INSERTED
    orig = (slice(r0, r0 + ups[0], stride[0]), slice(c0, c0 + ups[1], stride[1]))
    cell_kind[orig] = _INPUT

    canvas_values = out_values = weights = None
    if w is not None:
        weights = w[::-1, ::-1]  # the flipped kernel scans the zero-inserted input
    if x is not None:
        canvas_values = np.zeros(canvas)
        canvas_values[orig] = x
    if x is not None and w is not None:
        out_values = F.conv_transpose2d(x[None, None], w[None, None], None if b is None else [b],
                                        stride=stride, padding=tuple((lo, hi) for lo, hi, _ in resolved),
                                        output_padding=tuple(op for _, _, op in resolved),
                                        dilation=dilation)[0, 0]

    reached = np.zeros(canvas, bool)
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    reached[offset[0]:offset[0] + out[0] - 1 + span[0], offset[1]:offset[1] + out[1] - 1 + span[1]] = True

    formulas = [(_transpose_formula(n, lo, hi, op, k, s, d), o)
                for (n, k, s, _, _, d), (lo, hi, op), o in zip(dims, resolved, out)]
    dil = f", dilation {_pair_str(dilation)}" if dilation != (1, 1) else ""
    title = (f"transposed convolution: kernel {_size_str(kernel)}, stride {_pair_str(stride)}{dil}\n"
             + _size_formula(formulas))
    zeros = tuple(s - 1 for s in stride)
    pads_user = tuple((lo, hi) for lo, hi, _ in resolved)
    first = f"input {_size_str(in_size)}"
    if stride != (1, 1):
        first += (f", {_pair_str(zeros)} zero{'s' if max(zeros) > 1 else ''} between samples"
                  f" → {_size_str(ups)}")
    second = ("padding D(M−1) − P" + (" (+ output padding)" if any(ops) else "") + " = "
              + _pad_str(tuple(zip(before, after))))
    if min(*before, *after) < 0:
        second += " (< 0: crop)"
    input_label = first + "\n" + second

    def caption(position, taps):
        if out_values is None:
            return ""
        rows, cols = taps
        terms = [f"{_paren(_num(canvas_values[r, c]))}·{_paren(_num(wv))}"
                 for r, c, wv in zip(rows, cols, weights.ravel())]
        lines = _wrap_terms(terms, kernel[1])
        if b is not None:
            lines[-1] += f" + {_paren(_num(b))} (bias)"
        p, q = position
        return _join_caption(f"z[{p}, {q}] = ", lines, _num(out_values[p, q]))

    legend = [("input", _INPUT)]
    if stride != (1, 1):
        legend.append(("inserted zero", _INSERTED))
    if (cell_kind == _PAD).any():
        legend.append(("zero padding", _PAD))
    if not reached.all():
        legend.append(("cropped", _CROPPED))
    return _Scan(
        kind="transposed", cell_kind=cell_kind, canvas_values=canvas_values, pad_text="0",
        kernel=kernel, dilation=dilation, step=(1, 1), offset=offset, out_size=out,
        out_values=out_values, weights=weights, in_size=in_size, stride=stride, padding=pads_user,
        input_label=input_label, output_label=f"output {_size_str(out)}",
        title=title, caption=caption, legend=legend, reached=reached,
    )


def _wrap_terms(terms, per_line, sep=" + ") -> list[str]:
    """Terms joined by ``sep``, one kernel row per line when there are many of them."""
    if len(terms) <= 9:
        return [sep.join(terms)]
    lines = [sep.join(terms[i:i + per_line]) for i in range(0, len(terms), per_line)]
    return [line + sep.rstrip() for line in lines[:-1]] + lines[-1:]


def _join_caption(head, lines, result, close="") -> str:
    indent = " " * len(head)
    body = ("\n" + indent).join(lines)
    return f"{head}{body}{close} = {result}"
