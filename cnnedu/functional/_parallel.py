"""Run small kernel calls on one thread.

Waking Numba's thread pool costs tens of microseconds on an idle machine and
milliseconds on a busy one, far more than a small pooling or im2col call takes
on one core.  Kernels therefore run serially below a work threshold; the setting
is thread-local in Numba, so this is safe with concurrent callers.
"""

from __future__ import annotations

import contextlib

import numba

#: Below this many element operations a kernel runs on the calling thread only.
SERIAL_BELOW = 1 << 16


@contextlib.contextmanager
def threads_for(work: int):
    """Use all of Numba's threads for ``work`` element operations, or one if it is small."""
    if work >= SERIAL_BELOW:
        yield
        return
    n = numba.get_num_threads()
    if n == 1:
        yield
        return
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(n)
