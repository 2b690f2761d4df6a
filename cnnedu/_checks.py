"""Argument checks shared by the public functions.

Every public function validates at its boundary and raises ``TypeError`` (wrong
kind of thing) or ``ValueError`` (right kind, wrong value) with a message of the
form ``"<function>: <argument> <what was wrong>, got <value>"``.  The Numba
kernels behind the public functions never see an argument that has not been
through here.
"""

from __future__ import annotations

import numbers

import numpy as np


def check_int(fn: str, name: str, value, minimum: int | None = None) -> int:
    """Return ``value`` as a Python int, or raise if it is not an integer >= minimum."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{fn}: {name} must be an integer, got {value!r} ({type(value).__name__})"
        )
    value = int(value)
    if minimum is not None and value < minimum:
        what = "positive" if minimum == 1 else f">= {minimum}"
        raise ValueError(f"{fn}: {name} must be {what}, got {value}")
    return value


def int_tuple(fn: str, name: str, value, n: int, minimum: int | None = None) -> tuple[int, ...]:
    """Expand an int or a length-``n`` sequence of ints into a tuple of ``n`` ints."""
    if isinstance(value, (tuple, list)):
        if len(value) != n:
            raise ValueError(
                f"{fn}: {name} must be an integer or a sequence of {n} integers "
                f"(one per spatial dimension), got {value!r}"
            )
        return tuple(check_int(fn, name, v, minimum) for v in value)
    return (check_int(fn, name, value, minimum),) * n


def check_real(fn: str, name: str, value, minimum: float | None = None) -> float:
    """Return a finite real number as float, or raise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{fn}: {name} must be finite, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum}, got {value}")
    return value


def as_real_array(fn: str, name: str, x, ndim: int, layout: str) -> np.ndarray:
    """Convert an array-like to a float32 or float64 ndarray of the given rank.

    float32 and float64 are kept; every other real numeric dtype (bool, ints,
    float16, ...) is converted to float64.  Complex and non-numeric input raise
    ``TypeError``; a wrong number of dimensions raises ``ValueError``.
    """
    try:
        a = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{fn}: {name} must be a numeric array, could not convert it: {exc}") from None
    if a.dtype.kind == "c":
        raise TypeError(f"{fn}: {name} must be real, got complex dtype {a.dtype}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {name} must be a real numeric array, got dtype {a.dtype}")
    if a.ndim != ndim:
        raise ValueError(
            f"{fn}: {name} must be a {ndim}-D array {layout}, got shape {a.shape} ({a.ndim}-D)"
        )
    if a.dtype not in (np.float32, np.float64):
        a = a.astype(np.float64)
    return a


def common_float(*arrays: np.ndarray | None) -> list[np.ndarray | None]:
    """Cast arrays to one dtype (float64 if any is float64, else float32).

    The results are C-contiguous and writeable, so a Numba kernel compiles one
    specialisation per dtype and never a second one for a strided, Fortran-ordered
    or read-only input.
    """
    dtype = np.result_type(*[a.dtype for a in arrays if a is not None])
    out = []
    for a in arrays:
        if a is None:
            out.append(None)
            continue
        b = np.ascontiguousarray(a, dtype=dtype)
        if not b.flags.writeable:
            b = b.copy()
        out.append(b)
    return out


def fmt_size(t) -> str:
    """Format a size tuple the way the book writes it: ``(5, 5) -> '5x5'``."""
    return "x".join(str(v) for v in t)
