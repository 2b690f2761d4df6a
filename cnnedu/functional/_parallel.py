"""Run a convolution on every core: one slice of the batch per thread, BLAS single-threaded inside.

A convolution alternates memory-bound copies (Numba kernels: padding, im2col,
col2im) with matrix products (BLAS).  Run on one thread with a multithreaded
BLAS, the copies leave all but one core idle; give the copies a Numba thread
pool instead, and its threads and BLAS's spin-wait against each other for the
cores (26x slower on 2 cores, docs/benchmarks.md).  So the batch is split into
as many slices as BLAS has threads, and each slice runs the *whole* pipeline on
its own Python thread, with BLAS limited to one thread meanwhile.  The kernels
release the GIL, the threads block (they do not spin) while idle, and every
core does copies and products alike.  Each slice writes its own part of the
outputs, so results do not depend on timing.

The thread count follows BLAS's (``threadpoolctl.threadpool_limits(1)`` makes
every convolution single-threaded, e.g. for bit-reproducible training).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

_lock = threading.Lock()
_state = {"pid": None, "pool": None, "workers": 0, "blas": None, "users": 0, "saved": []}
_local = threading.local()      # .in_slice: this thread is running a slice (no nested splitting)


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _blas_controllers():
    """threadpoolctl's controllers of the loaded BLAS libraries (looked up once)."""
    if _state["blas"] is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
            _state["blas"] = []
        else:
            _state["blas"] = ThreadpoolController().select(user_api="blas").lib_controllers
    return _state["blas"]


def thread_count() -> int:
    """How many threads a convolution uses: BLAS's thread count, at most the CPUs."""
    libs = _blas_controllers()
    if not libs:
        return 1
    return max(1, min(min(lib.get_num_threads() for lib in libs), _cpus()))


def _pool(workers: int) -> ThreadPoolExecutor:
    pid = os.getpid()
    pool = _state["pool"]
    if pool is None or _state["pid"] != pid or _state["workers"] < workers:
        # a forked child inherits the executor but not its threads: make a new one
        _state["pool"] = pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cnnedu-conv")
        _state["pid"], _state["workers"] = pid, workers
    return pool


def _run_slice(work, lo, hi):
    _local.in_slice = True
    try:
        return work(lo, hi)
    finally:
        _local.in_slice = False


def _enter_single_blas() -> None:
    with _lock:
        if _state["users"] == 0:
            libs = _blas_controllers()
            _state["saved"] = [lib.get_num_threads() for lib in libs]
            for lib in libs:
                lib.set_num_threads(1)
        _state["users"] += 1


def _leave_single_blas() -> None:
    with _lock:
        _state["users"] -= 1
        if _state["users"] == 0:
            for lib, n in zip(_blas_controllers(), _state["saved"]):
                lib.set_num_threads(n)


def split_batch(n: int, work, min_per_thread: int = 1) -> list:
    """Call ``work(lo, hi)`` on consecutive slices of ``range(n)``, one per thread; return the results in order.

    With one thread (or fewer than ``2 * min_per_thread`` samples, or when called
    from inside a slice) this is just ``[work(0, n)]`` on the calling thread, and
    BLAS keeps its threads.
    """
    k = min(thread_count(), n // max(min_per_thread, 1))
    if k <= 1 or getattr(_local, "in_slice", False):
        return [work(0, n)]
    bounds = [n * i // k for i in range(k + 1)]
    with _lock:
        pool = _pool(k - 1)
    _enter_single_blas()
    futures = []
    try:
        futures = [pool.submit(_run_slice, work, bounds[i], bounds[i + 1]) for i in range(1, k)]
        first = _run_slice(work, bounds[0], bounds[1])
    finally:
        wait(futures)         # even if this thread's slice failed: no slice outlives the call
        _leave_single_blas()
    return [first] + [f.result() for f in futures]
