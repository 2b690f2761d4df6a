"""Validated geometry of a window scan (convolution or pooling), in 1-D or 2-D.

The public functions of :mod:`cnnedu.functional` accept ints, per-dimension
tuples and padding strings.  This module turns them, once, into a
:class:`Geometry`: plain 2-D tuples of ints in which a 1-D problem is a 2-D one
of height 1.  The Numba kernels only ever see 4-D arrays ``(N, C, H, W)`` and a
``Geometry`` that has been checked here.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from .. import sizes
from .._checks import MAX_SIZE, fmt_size, int_tuple

_LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)"}


@dataclass(frozen=True)
class Geometry:
    """Everything a kernel needs to know about where the windows sit (2-D, (h, w) pairs)."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pad_lo: tuple[int, int]
    pad_hi: tuple[int, int]
    in_size: tuple[int, int]
    out_size: tuple[int, int]


def layout(nd: int) -> str:
    return _LAYOUT[nd]


def lift(a: np.ndarray, nd: int) -> np.ndarray:
    """View a 1-D problem's array (..., L) as 2-D (..., 1, L); 2-D arrays pass through."""
    return a[..., None, :] if nd == 1 else a


def drop(a: np.ndarray, nd: int) -> np.ndarray:
    """Inverse of :func:`lift`."""
    return a[..., 0, :] if nd == 1 else a


def _to2(t: tuple, fill) -> tuple:
    return (fill, *t) if len(t) == 1 else tuple(t)


def padding_per_dim(fn: str, padding, nd: int) -> list:
    """Split a padding argument into one specification per spatial dimension."""
    if isinstance(padding, str) or (isinstance(padding, numbers.Integral) and not isinstance(padding, bool)):
        return [padding] * nd
    if isinstance(padding, (tuple, list)):
        if nd == 1 and len(padding) == 2 and all(isinstance(p, numbers.Integral) for p in padding):
            return [tuple(padding)]  # 1-D: (lo, hi)
        if len(padding) == nd:
            return list(padding)
    pairs = "(lo, hi)" if nd == 1 else "((top, bottom), (left, right))"
    raise (TypeError if not isinstance(padding, (tuple, list)) else ValueError)(
        f"{fn}: padding must be an int, a tuple of {nd} ints, explicit pairs {pairs}, "
        f"'valid', 'same' or 'full', got {padding!r}"
    )


def spatial(fn: str, name: str, value, nd: int, minimum: int = 1) -> tuple[int, ...]:
    return int_tuple(fn, name, value, nd, minimum, MAX_SIZE)


def window_geometry(fn: str, nd: int, in_size, kernel, stride, padding, dilation,
                    has_dilation: bool = True) -> Geometry:
    """Resolve padding, check that the window fits, and compute the output size.

    ``in_size``, ``kernel``, ``stride`` and ``dilation`` are tuples of ``nd`` ints
    that have already been type-checked; ``padding`` is the user's argument.
    ``has_dilation=False`` (pooling) leaves dilation out of error messages.
    """
    specs = padding_per_dim(fn, padding, nd)
    pads = [sizes._resolve_padding(fn, n, k, s, p, d)
            for n, k, s, p, d in zip(in_size, kernel, stride, specs, dilation)]
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(in_size, pads))
    span = tuple(sizes._span(k, d) for k, d in zip(kernel, dilation))
    if any(s > p for s, p in zip(span, padded)):
        d = dilation[0] if len(set(dilation)) == 1 else fmt_size(dilation)
        dilated = f" (dilation {d})" if has_dilation else ""
        raise ValueError(
            f"{fn}: kernel {fmt_size(kernel)}{dilated} does not fit in the padded input {fmt_size(padded)}"
        )
    out = tuple(sizes._conv_output_size(fn, n, k, s, pad, d)
                for n, k, s, pad, d in zip(in_size, kernel, stride, pads, dilation))
    return Geometry(
        kernel=_to2(kernel, 1),
        stride=_to2(stride, 1),
        dilation=_to2(dilation, 1),
        pad_lo=_to2(tuple(p[0] for p in pads), 0),
        pad_hi=_to2(tuple(p[1] for p in pads), 0),
        in_size=_to2(tuple(in_size), 1),
        out_size=_to2(out, 1),
    )


def transpose_geometry(fn: str, nd: int, in_size, kernel, stride, padding, output_padding,
                       dilation) -> Geometry:
    """Geometry of the *forward* convolution that a transposed convolution transposes.

    ``in_size`` is the transposed convolution's input size, which is the forward
    convolution's output size; the returned ``in_size`` is the transposed
    convolution's output size.
    """
    specs = padding_per_dim(fn, padding, nd)
    ops = spatial(fn, "output_padding", output_padding, nd, 0)
    resolved = [sizes._resolve_transpose_padding(fn, n, k, s, p, op, d)
                for n, k, s, p, op, d in zip(in_size, kernel, stride, specs, ops, dilation)]
    out = tuple(sizes._conv_transpose_output_size(fn, n, k, s, (lo, hi), op, d)
                for n, k, s, (lo, hi, op), d in zip(in_size, kernel, stride, resolved, dilation))
    return Geometry(
        kernel=_to2(kernel, 1),
        stride=_to2(stride, 1),
        dilation=_to2(dilation, 1),
        pad_lo=_to2(tuple(r[0] for r in resolved), 0),
        pad_hi=_to2(tuple(r[1] for r in resolved), 0),
        in_size=_to2(out, 1),
        out_size=_to2(tuple(in_size), 1),
    )


def check_dy(fn: str, dy: np.ndarray, expected: tuple) -> None:
    if dy.shape != tuple(expected):
        raise ValueError(
            f"{fn}: dy must have the shape of the forward output {tuple(expected)}, got {dy.shape}"
        )
