"""Argument checks shared by the public functions.

Every public function validates at its boundary and raises ``TypeError`` (wrong
kind of thing) or ``ValueError`` (right kind, wrong value) with a message of the
form ``"<function>: <argument> <what was wrong>, got <value>"``.  The Numba
kernels behind the public functions never see an argument that has not been
through here.
"""

from __future__ import annotations

import numbers
import os

import numpy as np


#: The largest stride, kernel, dilation or padding accepted: keeps every index the
#: kernels compute far from int64 overflow.
MAX_SIZE = 2**31 - 1


def check_int(fn: str, name: str, value, minimum: int | None = None,
              maximum: int | None = None) -> int:
    """Return ``value`` as an int, or raise if it is not an integer in ``[minimum, maximum]``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{fn}: {name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{fn}: {name} must be <= {maximum}, got {value}")
    return value


def int_tuple(fn: str, name: str, value, n: int, minimum: int | None = None,
              maximum: int | None = None) -> tuple[int, ...]:
    """Expand an int or a length-``n`` sequence of ints into a tuple of ``n`` ints."""
    if isinstance(value, (tuple, list)):
        if len(value) != n:
            raise ValueError(
                f"{fn}: {name} must be an integer or a sequence of {n} integers "
                f"(one per spatial dimension), got {value!r}"
            )
        return tuple(check_int(fn, name, v, minimum, maximum) for v in value)
    return (check_int(fn, name, value, minimum, maximum),) * n


def check_real(fn: str, name: str, value, minimum: float | None = None,
               maximum: float | None = None, *, strict_minimum: bool = False) -> float:
    """Return a finite real number as float, or raise.

    With ``strict_minimum=True`` the value must be ``> minimum`` instead of ``>=``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{fn}: {name} must be finite, got {value}")
    if minimum is not None:
        if strict_minimum and value <= minimum:
            raise ValueError(f"{fn}: {name} must be > {minimum}, got {value}")
        if not strict_minimum and value < minimum:
            raise ValueError(f"{fn}: {name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{fn}: {name} must be <= {maximum}, got {value}")
    return value


def as_numeric(fn: str, name: str, x) -> np.ndarray:
    """``np.asarray(x)``, or ``TypeError`` if that is not a real numeric (bool, int, float) array."""
    try:
        a = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{fn}: {name} must be a numeric array, could not convert it: {exc}") from None
    if a.dtype.kind == "c":
        raise TypeError(f"{fn}: {name} must be real, got complex dtype {a.dtype}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {name} must be a real numeric array, got dtype {a.dtype}")
    return a


def as_real_array(fn: str, name: str, x, ndim: int, layout: str) -> np.ndarray:
    """Convert an array-like to a float32 or float64 ndarray of the given rank.

    float32 and float64 are kept; every other real numeric dtype (bool, ints,
    float16, ...) is converted to float64.  Complex and non-numeric input raise
    ``TypeError``; a wrong number of dimensions raises ``ValueError``.
    """
    a = as_numeric(fn, name, x)
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


def check_bool(fn: str, name: str, value) -> bool:
    """Return ``value`` as a bool, or raise if it is not a bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{fn}: {name} must be True or False, got {value!r} ({type(value).__name__})")
    return bool(value)

def check_range(fn: str, name: str, value, *, positive: bool = False) -> tuple[float, float]:
    """Return a ``(low, high)`` pair of finite floats with ``low <= high``.

    With ``positive=True`` both ends must be ``> 0`` (for log-uniform factors).
    """
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise TypeError(f"{fn}: {name} must be a pair (low, high) of real numbers, got {value!r}")
    low = check_real(fn, f"{name}[0]", value[0], 0.0 if positive else None, strict_minimum=positive)
    high = check_real(fn, f"{name}[1]", value[1], 0.0 if positive else None, strict_minimum=positive)
    if low > high:
        raise ValueError(f"{fn}: {name} must satisfy low <= high, got {value!r}")
    return low, high

def check_choice(fn: str, name: str, value, choices) -> str:
    """Return ``value`` if it is one of ``choices`` (strings), else raise."""
    if not isinstance(value, str):
        raise TypeError(f"{fn}: {name} must be a string, one of {sorted(choices)}, "
                        f"got {value!r} ({type(value).__name__})")
    if value not in choices:
        raise ValueError(f"{fn}: {name} must be one of {sorted(choices)}, got {value!r}")
    return value

def check_rng(fn: str, value, name: str = "rng") -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` from a Generator or a non-negative int seed.

    ``None`` is refused on purpose: every random function in :mod:`cnnedu.data`
    is reproducible, so the caller must say which stream to use.
    """
    if isinstance(value, np.random.Generator):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        if value < 0:
            raise ValueError(f"{fn}: {name} as an integer seed must be >= 0, got {value}")
        return np.random.default_rng(int(value))
    raise TypeError(
        f"{fn}: {name} must be a numpy.random.Generator (e.g. numpy.random.default_rng(0)) "
        f"or a non-negative integer seed, got {value!r} ({type(value).__name__})"
    )

def check_path(fn: str, name: str, value) -> str:
    """Return ``value`` as a ``str`` path, or raise if it is not str / os.PathLike."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{fn}: {name} must be a path (str or os.PathLike), got {value!r} "
                        f"({type(value).__name__})")
    path = os.fspath(value)
    if not isinstance(path, str) or path == "":
        raise ValueError(f"{fn}: {name} must be a non-empty text path, got {value!r}")
    return path

def as_image_array(fn: str, name: str, x, ndims=(2, 4),
                   layout: str = "(H, W) or (N, C, H, W)", *, allow_empty: bool = False) -> np.ndarray:
    """Convert ``x`` to a real numeric ndarray whose rank is in ``ndims``; the dtype is kept."""
    a = as_numeric(fn, name, x)
    if a.ndim not in ndims:
        raise ValueError(f"{fn}: {name} must have shape {layout}, got shape {a.shape} ({a.ndim}-D)")
    if a.size == 0 and not allow_empty:
        raise ValueError(f"{fn}: {name} must not be empty, got shape {a.shape}")
    return a


def fmt_size(t) -> str:
    """Format a size tuple the way the book writes it: ``(5, 5) -> '5x5'``."""
    return "x".join(str(v) for v in t)
