"""Small argument checks shared by the layer constructors (see :mod:`cnnedu._checks` for the style)."""

from __future__ import annotations

import numpy as np

from .._checks import check_int, int_tuple
from ..functional._geometry import padding_per_dim
from ..sizes import PADDING_STRINGS


def check_dtype(fn: str, dtype) -> np.dtype:
    """float32 or float64, else ``ValueError``."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{fn}: dtype must be np.float32 or np.float64, got {dtype!r}") from None
    if dt not in (np.float32, np.float64):
        raise ValueError(f"{fn}: dtype must be np.float32 or np.float64, got {dt}")
    return dt


def window_args(fn: str, nd: int, kernel_size, stride, dilation=1):
    """kernel_size, stride, dilation as tuples of ``nd`` positive ints (stride None -> kernel)."""
    kernel = int_tuple(fn, "kernel_size", kernel_size, nd, 1)
    stride = kernel if stride is None else int_tuple(fn, "stride", stride, nd, 1)
    dilation = int_tuple(fn, "dilation", dilation, nd, 1)
    return kernel, stride, dilation


def padding_arg(fn: str, padding, nd: int):
    """Check the padding early (the functional re-checks it against the input size).

    Accepts what :mod:`cnnedu.functional` accepts; returns a string unchanged and
    anything else as a tuple with one entry (an int or a ``(lo, hi)`` pair) per
    spatial dimension, as PyTorch's layers store it.
    """
    specs = padding_per_dim(fn, padding, nd)
    for spec in specs:
        if isinstance(spec, str):
            if spec not in PADDING_STRINGS:
                raise ValueError(
                    f"{fn}: padding must be an int, a tuple, or one of "
                    f"{', '.join(map(repr, PADDING_STRINGS))}, got {padding!r}"
                )
        elif isinstance(spec, (tuple, list)):
            if len(spec) != 2:
                raise ValueError(f"{fn}: padding pair must be (lo, hi), got {spec!r}")
            for v in spec:
                check_int(fn, "padding", v, 0)
        else:
            check_int(fn, "padding", spec, 0)
    return padding if isinstance(padding, str) else tuple(
        tuple(s) if isinstance(s, (tuple, list)) else int(s) for s in specs)
