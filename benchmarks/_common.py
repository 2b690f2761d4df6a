"""Shared helpers of bench_pool.py, bench_startup.py and run_all.py.

Thread policy (as bench_conv.py): the thread variables are set before numpy is
imported, then every pool (BLAS via threadpoolctl, Numba, PyTorch) is pinned again at
run time.  Timing: each measurement is warmed up, repeated, interleaved with its
competitor so both share the machine's noise, and reported as the median.

Import this module *before* numpy: ``set_thread_env`` only works then.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time

THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
# Not set here, but they change the results a lot; reported when the user sets them.
OTHER_ENV_VARS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "NUMBA_THREADING_LAYER", "OMP_PROC_BIND",
                  "NUMBA_CACHE_DIR", "NUMBA_DISABLE_JIT")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def set_thread_env(threads: int) -> None:
    """Set the thread-count variables (effective only before numpy/numba/torch are imported)."""
    for var in THREAD_ENV_VARS:
        os.environ[var] = str(threads)


def pin_threads(threads: int, use_torch: bool = True):
    """Pin BLAS, Numba and PyTorch to ``threads``; return ``(torch or None, limiter)``.

    Keep the returned limiter alive for the whole run (threadpoolctl restores the
    previous limits when it is garbage-collected).
    """
    import numba

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    torch = None
    if use_torch:
        try:
            import torch
        except ImportError:
            torch = None
    if torch is not None:
        torch.set_num_threads(threads)
    limiter = None
    try:
        import threadpoolctl
        limiter = threadpoolctl.threadpool_limits(limits=threads)   # after torch: it may load an OpenMP
    except ImportError:
        pass
    return torch, limiter


def loadavg() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_revision() -> str:
    """The commit the benchmarked cnnedu comes from (read-only git calls), if any."""
    try:
        git = ["git", "--no-optional-locks", "-C", ROOT]
        rev = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(git + ["diff", "--quiet", "HEAD", "--", "cnnedu"], capture_output=True,
                               timeout=10).returncode != 0
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return rev + (" + uncommitted changes in cnnedu/" if dirty else "")


def machine_info(torch=None) -> dict:
    """CPU, cores, versions, BLAS and thread pools, load average: what a result depends on."""
    import numba
    import numpy as np

    import cnnedu

    info = {
        "cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(),
        "numpy": np.__version__, "numba": numba.__version__,
        "torch": getattr(torch, "__version__", None), "cnnedu": f"{cnnedu.__version__} (git {git_revision()})",
        "numba_threads": numba.get_num_threads(),
        "torch_threads": torch.get_num_threads() if torch is not None else None,
        "env": {k: os.environ[k] for k in (*THREAD_ENV_VARS, *OTHER_ENV_VARS) if k in os.environ},
        "loadavg": loadavg(),
    }
    try:
        info["numba_threading_layer"] = numba.threading_layer()
    except ValueError:
        info["numba_threading_layer"] = "not yet chosen (no parallel kernel ran)"
    try:
        import threadpoolctl
        info["pools"] = [f"{p['internal_api']}={p['num_threads']} ({os.path.basename(p['filepath'])})"
                         for p in threadpoolctl.threadpool_info()]
    except ImportError:
        info["pools"] = ["threadpoolctl not installed"]
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["blas"] = f"{blas.get('name')} {blas.get('version', '')}".strip()
    except Exception:  # older numpy: no dict mode
        info["blas"] = "unknown"
    return info


def machine_lines(info: dict) -> list[str]:
    lines = [
        f"machine: {info['cpu']}, {info['cores']} cores (os.cpu_count)",
        f"python {info['python']}, numpy {info['numpy']} (BLAS {info['blas']}), numba {info['numba']} "
        f"(threading layer {info['numba_threading_layer']}), torch {info['torch'] or 'not available'}",
        f"cnnedu {info['cnnedu']}",
        f"threads: numba {info['numba_threads']}, torch {info['torch_threads']}; pools: "
        + "; ".join(info["pools"]),
    ]
    if info["env"]:
        lines.append("env: " + ", ".join(f"{k}={v}" for k, v in info["env"].items()))
    lines.append(f"load average (1, 5, 15 min): {info['loadavg']}")
    return lines


def calls_per_sample(fn, min_time: float) -> int:
    """Warm ``fn`` up and return how many back-to-back calls fill ``min_time`` seconds."""
    fn()
    fn()
    t0 = time.perf_counter()
    fn()
    t = max(time.perf_counter() - t0, 1e-7)
    return max(1, int(min_time / t))


def sample(fn, number: int) -> float:
    """Seconds per call, over ``number`` back-to-back calls."""
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


def verdict(ratio, limit, higher_is_better: bool = False) -> str:
    if ratio is None:
        return "n/a"
    ok = ratio >= limit if higher_is_better else ratio <= limit
    return "PASS" if ok else "MISS"


def render(head, rows, markdown: bool) -> str:
    """A plain-text or Markdown table; the first column left-aligned, the others right."""
    rows = [[str(x) for x in r] for r in rows]
    if markdown:
        lines = ["| " + " | ".join(head) + " |",
                 "|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|"]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]

    def fmt(r):
        return "  ".join(str(x).ljust(w) if i == 0 else str(x).rjust(w) for i, (x, w) in enumerate(zip(r, widths)))

    return "\n".join([fmt(head), "  ".join("-" * w for w in widths)] + [fmt(r) for r in rows])


def python() -> str:
    return sys.executable
