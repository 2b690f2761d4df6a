#!/usr/bin/env python
"""Start-up and compilation: how long until the first convolution, and how often kernels compile.

Three measurements, each in fresh Python processes with their own Numba cache
(a temporary ``NUMBA_CACHE_DIR``, so neither the repository's ``__pycache__`` nor
another run's cache is used):

1. **cold cache**: a new process on an empty cache imports cnnedu and calls every
   Numba kernel of the library once per dtype (float32 and float64): convolution
   forward and backward on small and LeNet-sized maps, transposed, grouped and 1-D
   convolution, max/mean/p-norm pooling forward and backward, ReLU.  Reported: the
   time of the first ``conv2d`` call, and of compiling everything.  Target <= 30 s.
2. **warm cache**: ``--repeats`` new processes on the filled cache time
   ``import cnnedu`` + ``import cnnedu.functional`` + the first ``conv2d`` call of a
   LeNet-5 first layer (from before ``import cnnedu``, so numpy's and numba's import
   count).  Reported: the median.  Target <= 1 s.
3. **slider sweep**: one process on the warm cache calls every kernel, then moves
   "sliders": conv2d, conv2d_backward, conv_transpose2d, 1-D convolution and pooling on
   hundreds of geometries (kernel, stride, padding, dilation, input size, groups) and
   memory layouts (C, Fortran, strided views, read-only), and, if ipywidgets is
   installed, the book's ConvExplorer, TransposedConvExplorer and PoolingExplorer
   widgets through their sliders.  Reported: the number of compiled signatures of every
   Numba dispatcher in cnnedu, per dtype, and how many appeared during the sweep.
   Target: at most one per dtype (two in all), none during the sweep.

Examples::

    python benchmarks/bench_startup.py                # cold once, warm 5 times, sweep
    python benchmarks/bench_startup.py --quick        # warm 3 times, shorter sweep
    python benchmarks/bench_startup.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402

TARGET_WARM_S = 1.0
TARGET_COLD_S = 30.0
TARGET_SIGNATURES_PER_DTYPE = 1


# --------------------------------------------------------------------------- run inside the children


def _dispatchers():
    """Every Numba dispatcher defined in a cnnedu module: {"module.name": dispatcher}."""
    import importlib
    import pkgutil

    from numba.core.dispatcher import Dispatcher

    import cnnedu

    found = {}
    for mod_info in pkgutil.walk_packages(cnnedu.__path__, "cnnedu."):
        try:
            mod = importlib.import_module(mod_info.name)
        except Exception:  # an optional dependency is missing: its kernels cannot run anyway
            continue
        for name, obj in vars(mod).items():
            inlined = getattr(obj, "targetoptions", {}).get("inline") == "always"   # compiled into its callers
            if isinstance(obj, Dispatcher) and obj.py_func.__module__ == mod.__name__ and not inlined:
                found[f"{mod.__name__.removeprefix('cnnedu.')}.{name}"] = obj
    return found


def _signature_counts(dispatchers):
    """{kernel: {"total": n, "per_dtype": {dtype: n}}}; dtype = the float dtype of the array arguments."""
    out = {}
    for name, disp in dispatchers.items():
        per = {}
        for sig in disp.signatures:
            floats = sorted({str(t.dtype) for t in sig if hasattr(t, "dtype") and str(t.dtype).startswith("float")})
            key = ",".join(floats) or "no float array"
            per[key] = per.get(key, 0) + 1
        out[name] = {"total": len(disp.signatures), "per_dtype": per}
    return out


def _exercise(np, dtypes=("float32", "float64")):
    """Call every kernel of the library once per dtype, through the public API."""
    import cnnedu.functional as F
    from cnnedu import nn

    rng = np.random.default_rng(0)
    for dt in dtypes:
        def r(*shape):
            return rng.standard_normal(shape).astype(dt)
        # convolution: widget-sized, LeNet-sized (both layers) and wide maps; stride, padding,
        # dilation, groups, 1-D, transposed
        for (n, c, h, o, k, s, p, d, g) in [(1, 1, 7, 1, 3, 1, 0, 1, 1), (64, 1, 32, 6, 5, 1, 0, 1, 1),
                                            (64, 6, 14, 16, 5, 1, 0, 1, 1), (4, 8, 33, 8, 3, 2, 1, 2, 2),
                                            (2, 16, 40, 32, 3, 1, "same", 1, 1)]:
            x, w = r(n, c, h, h), r(o, c // g, k, k)
            z = F.conv2d(x, w, r(o), stride=s, padding=p, dilation=d, groups=g)
            F.conv2d_backward(r(*z.shape), x, w, stride=s, padding=p, dilation=d, groups=g)
            F.conv_transpose2d(z, w, stride=s, dilation=d, groups=g)
            F.conv_transpose2d_backward(r(*F.conv_transpose2d(z, w, stride=s, groups=g).shape), z, w,
                                        stride=s, groups=g)
            F.conv1d(x[:, :, 0], w[:, :, 0], stride=s, dilation=d, groups=g)
            F.conv1d_backward(r(*F.conv1d(x[:, :, 0], w[:, :, 0], groups=g).shape), x[:, :, 0], w[:, :, 0],
                              groups=g)
        # pooling: 2x2 (unrolled) and 3x3 windows, small and batch-sized (sliced across threads)
        for shape, k, s, p in [((1, 1, 6, 6), 2, 2, 0), ((2, 3, 7, 7), 3, 2, 1), ((64, 6, 28, 28), 2, 2, 0)]:
            x = r(*shape)
            y, idx = F.max_pool2d(x, k, s, p, return_indices=True)
            F.max_pool2d_backward(r(*y.shape), x, k, s, p)
            F.max_pool2d_backward(r(*y.shape), x, k, s, p, indices=idx)
            F.avg_pool2d_backward(r(*y.shape), x, k, s, p)
            F.avg_pool2d(x, k, s, p)
            yl = F.lp_pool2d(x, 3.0, k, s)
            F.lp_pool2d_backward(r(*yl.shape), x, 3.0, k, s)
            F.max_pool1d(x[:, :, 0], k)
        relu = nn.ReLU()
        relu(r(64, 6, 28, 28))
        relu.backward(r(64, 6, 28, 28))
        F.upsample(r(1, 2, 3, 3), 2)
        F.downsample(r(1, 2, 6, 6), 2)


def _layouts(np, a):
    big = np.zeros(a.shape[:-2] + (2 * a.shape[-2], 2 * a.shape[-1]), a.dtype)
    big[..., ::2, ::2] = a
    ro = a.copy()
    ro.setflags(write=False)
    return [a, big[..., ::2, ::2], np.asfortranarray(a), ro]


def _sweep(np, quick):
    """Functional calls on many geometries and layouts: the calls widget sliders make.

    Settings that do not fit (a slider pushed too far) raise ValueError, as in a widget,
    which shows the message; they count as calls too.
    """
    import itertools

    import cnnedu.functional as F

    def attempt(fn, *a, **kw):
        try:
            return fn(*a, **kw)
        except ValueError:
            return None

    rng = np.random.default_rng(1)
    calls = 0
    sizes = (5, 9, 12) if quick else (5, 7, 9, 12, 16)
    for dt, size in itertools.product(("float32", "float64"), sizes):
        x = rng.standard_normal((2, 2, size, size)).astype(dt)
        for i, (k, s, p, d) in enumerate(itertools.product((1, 2, 3, 5), (1, 2, 3), (0, 1, "same"), (1, 2))):
            xa = _layouts(np, x)[i % 4]
            w = rng.standard_normal((2, 2, k, k)).astype(dt)
            calls += 5
            z = attempt(F.conv2d, xa, w, stride=s, padding=p, dilation=d)
            attempt(F.conv1d, xa[:, :, 0], w[:, :, 0], stride=s, dilation=d)
            if z is not None:
                attempt(F.conv2d_backward, np.ones(z.shape, dt), xa, w, stride=s, padding=p, dilation=d)
                attempt(F.conv_transpose2d, z, w, stride=s, dilation=d)
            if d == 1 and p != "same":
                pooled = attempt(F.max_pool2d, xa, k, s, p, return_indices=True)
                if pooled is not None:
                    y, idx = pooled
                    F.max_pool2d_backward(np.ones(y.shape, dt), xa, k, s, p, indices=idx)
                    F.avg_pool2d_backward(np.ones(y.shape, dt), xa, k, s, p)
                    attempt(F.lp_pool2d, xa, 2.5, k, s)
    return calls


def _widget_sweep(quick):
    """Move the book's explorers' sliders (skipped if ipywidgets/matplotlib are missing)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        from cnnedu.widgets import ConvExplorer, PoolingExplorer, TransposedConvExplorer
    except Exception as exc:  # noqa: BLE001
        return {"skipped": f"{type(exc).__name__}: {exc}"}
    moves = 0
    steps = 4 if quick else 10
    conv = ConvExplorer()
    for i in range(steps):
        with conv.hold():
            conv.input_size.value = 5 + i % 6
            conv.kernel_size.value = 1 + i % 4
            conv.stride.value = 1 + i % 3
            conv.dilation.value = 1 + i % 2
        moves += 1
    tconv = TransposedConvExplorer()
    for i in range(steps):
        with tconv.hold():
            tconv.input_size.value = 2 + i % 3
            tconv.stride.value = 1 + i % 3
        moves += 1
    pool = PoolingExplorer()
    for i in range(steps):
        with pool.hold():
            pool.input_size.value = 4 + i % 6
            pool.kernel_size.value = 1 + i % 3
            pool.stride.value = 1 + i % 3
            pool.mode.value = ("max", "mean", "lp")[i % 3]
        moves += 1
    return {"moves": moves}


def child(mode, quick):
    t0 = time.perf_counter()
    import cnnedu
    import cnnedu.functional as F
    import numpy as np
    t_import = time.perf_counter()
    x = np.random.default_rng(0).standard_normal((64, 1, 32, 32)).astype(np.float32)
    w = np.random.default_rng(1).standard_normal((6, 1, 5, 5)).astype(np.float32)
    F.conv2d(x, w)
    t_first = time.perf_counter()
    out = {"mode": mode, "import_s": t_import - t0, "first_conv2d_s": t_first - t_import,
           "import_and_first_conv2d_s": t_first - t0, "cnnedu_file": cnnedu.__file__}
    if mode == "warm":
        return out
    t1 = time.perf_counter()
    _exercise(np)
    out["exercise_s"] = time.perf_counter() - t1
    disps = _dispatchers()
    before = _signature_counts(disps)
    out["signatures_after_exercise"] = before
    out["never_called"] = sorted(k for k, v in before.items() if v["total"] == 0)
    if mode == "sweep":
        t2 = time.perf_counter()
        out["sweep_calls"] = _sweep(np, quick)
        out["widgets"] = _widget_sweep(quick)
        out["sweep_s"] = time.perf_counter() - t2
        after = _signature_counts(disps)
        out["signatures_after_sweep"] = after
        out["new_during_sweep"] = {k: after[k]["total"] - before[k]["total"] for k in after
                                   if after[k]["total"] != before[k]["total"]}
    return out


# --------------------------------------------------------------------------- the parent


def spawn(mode, cache_dir, quick, timeout=900):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env["NUMBA_CACHE_DIR"] = cache_dir
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    cmd = [sys.executable, os.path.abspath(__file__), "--child", mode] + (["--quick"] if quick else [])
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=tempfile.gettempdir())
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"bench_startup: the {mode} child failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_wall_s"] = wall
    return out


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=None, help="warm-cache processes (default 5, --quick 3)")
    p.add_argument("--quick", action="store_true", help="fewer warm runs, a shorter sweep")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--json", metavar="PATH", help="save the numbers as JSON")
    p.add_argument("--child", choices=("cold", "warm", "sweep"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.repeats = args.repeats or (3 if args.quick else 5)
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.quick)))
        return 0

    tmp = tempfile.mkdtemp(prefix="cnnedu-numba-cache-")
    cache = os.path.join(tmp, "cache")
    try:
        load_start = C.loadavg()
        cold = spawn("cold", cache, args.quick)
        warm = [spawn("warm", cache, args.quick) for _ in range(args.repeats)]
        sweep = spawn("sweep", cache, args.quick)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load_end = C.loadavg()

    warm_s = C.median([w["import_and_first_conv2d_s"] for w in warm])
    cold_s = cold["import_and_first_conv2d_s"] + cold["exercise_s"]
    counts = sweep["signatures_after_sweep"]
    worst_per_dtype = max((n for v in counts.values() for n in v["per_dtype"].values()), default=0)
    worst_total = max((v["total"] for v in counts.values()), default=0)
    new = sweep["new_during_sweep"]
    never = sorted(k for k, v in counts.items() if not v["total"])
    compiled = sum(1 for v in counts.values() if v["total"])
    results = {
        "warm_import_and_first_conv2d_s": warm_s,
        "warm_samples_s": [w["import_and_first_conv2d_s"] for w in warm],
        "warm_process_wall_s": C.median([w["process_wall_s"] for w in warm]),
        "warm_first_conv2d_s": C.median([w["first_conv2d_s"] for w in warm]),
        "warm_import_s": C.median([w["import_s"] for w in warm]),
        "cold_first_conv2d_s": cold["import_and_first_conv2d_s"],
        "cold_compile_everything_s": cold_s,
        "cold_process_wall_s": cold["process_wall_s"],
        "kernels": compiled, "never_called": never,
        "signatures": counts, "max_signatures_per_dtype": worst_per_dtype, "max_signatures_total": worst_total,
        "new_during_sweep": new, "sweep_calls": sweep["sweep_calls"], "widgets": sweep["widgets"],
        "targets": {
            "warm": C.verdict(warm_s, TARGET_WARM_S),
            "cold": C.verdict(cold_s, TARGET_COLD_S),
            "compilations": "PASS" if worst_per_dtype <= TARGET_SIGNATURES_PER_DTYPE and not new else "MISS",
        },
        "loadavg_start": load_start, "loadavg_end": load_end,
    }

    md = args.markdown
    bullet = "- " if md else "# "
    print(f"{bullet}start-up: fresh processes, temporary NUMBA_CACHE_DIR; load average {load_start} -> {load_end}")
    print(f"{bullet}python {sys.version.split()[0]}; cnnedu from {os.path.dirname(cold['cnnedu_file'])}")
    head = ["measurement", "value", "limit", "result"]
    rows = [
        ["warm cache: import cnnedu + first conv2d (median of %d)" % len(warm), f"{warm_s:.2f} s",
         f"<= {TARGET_WARM_S:g} s", results["targets"]["warm"]],
        ["  of which imports / first conv2d",
         f"{results['warm_import_s']:.2f} / {results['warm_first_conv2d_s']:.2f} s",
         "", ""],
        ["  whole process (python start to exit)", f"{results['warm_process_wall_s']:.2f} s", "", ""],
        ["cold cache: first conv2d", f"{cold['import_and_first_conv2d_s']:.1f} s", "", ""],
        [f"cold cache: compile all {compiled} kernels, float32 + float64", f"{cold_s:.1f} s",
         f"<= {TARGET_COLD_S:g} s", results["targets"]["cold"]],
        [f"slider sweep: {sweep['sweep_calls']} calls"
         + (f" + {sweep['widgets']['moves']} widget moves" if "moves" in sweep["widgets"] else " (widgets skipped)"),
         f"max {worst_per_dtype} per dtype, {worst_total} per kernel, {sum(new.values())} new",
         "<= 1 per dtype, 0 new", results["targets"]["compilations"]],
    ]
    print()
    print(C.render(head, rows, md))
    print()
    print(("- " if md else "") + "compiled signatures per kernel: " + ", ".join(
        f"{k} {v['total']}" for k, v in sorted(counts.items())))
    if never:
        print(("- " if md else "") + "note: dispatchers that no public function called in the exercise or the "
              "sweep (dead code, or a path this script misses; not compiled, not timed): " + ", ".join(never))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"benchmark": "startup", "results": results, "cold": cold, "warm": warm,
                       "sweep": {k: v for k, v in sweep.items() if not k.startswith("signatures")}}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
