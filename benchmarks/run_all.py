#!/usr/bin/env python
"""Every performance target in one command: one table of target, cnnedu, reference, ratio, limit, verdict.

Runs, one after another, each in its own process (so each sets its own threads
before numpy starts), with the same ``--threads`` (default 2, the cores of the
development machines):

1. ``bench_conv.py``    convolution forward+backward vs PyTorch, and vs the lecture's loops;
2. ``bench_pool.py``    max and mean pooling forward+backward vs PyTorch;
3. ``bench_train.py``   one LeNet-5 training epoch vs PyTorch;
4. ``bench_startup.py`` ``import cnnedu`` + first conv2d with a warm Numba cache, compiling
   every kernel from a cold cache, compilations per kernel during a slider sweep;
5. the whole test suite, notebooks included (``python -m pytest``, as CI runs it), timed,
   with its 15 slowest tests (``--skip-tests`` leaves it out).

Each benchmark's own report is printed as it finishes; the summary table comes
last, with the machine (CPU, cores, numpy / numba / torch versions, BLAS), the load
average before and after, and the command.  For targets that are not a comparison with
PyTorch (start-up, compile time, test-suite time) the "ratio" column is the measured
value divided by the limit.  The exit code is 0 unless a benchmark failed to run or
found cnnedu and PyTorch disagreeing; a MISS is a report, not an error.

On a shared machine the ratios are noisy (both sides of each comparison run
interleaved in one process, so they share the noise, but two-thread runs suffer most
when another process holds a core): look at the load average printed with the table.

Examples::

    python benchmarks/run_all.py                    # everything, ~10 minutes on 2 cores (half of it the test suite)
    python benchmarks/run_all.py --quick            # fewer repeats: ~2 minutes + the test suite
    python benchmarks/run_all.py --quick --skip-tests --markdown
    python -m benchmarks                            # the same as run_all.py
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _common as C  # noqa: E402

TARGET_TEST_SUITE_S = 600.0


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2, help="threads for every library (default 2)")
    p.add_argument("--quick", action="store_true", help="fewer repeats in every benchmark")
    p.add_argument("--skip-tests", action="store_true", help="do not time the test suite")
    p.add_argument("--skip", default="", help="comma-separated benchmarks to leave out: conv,pool,train,startup")
    p.add_argument("--test-args", default="-p no:cacheprovider -q --durations=15",
                   help="arguments for python -m pytest (default: %(default)s)")
    p.add_argument("--brief", action="store_true", help="print only the summary, not each benchmark's report")
    p.add_argument("--markdown", action="store_true", help="print the summary as Markdown")
    p.add_argument("--json", metavar="PATH", help="save every benchmark's numbers and the summary as JSON")
    return p.parse_args(argv)


def run(step, cmd, args, timeout=5400):
    """Run a benchmark script; print its output (unless --brief); return (returncode, seconds, output)."""
    print(f"\n=== {step}: {' '.join(shlex.quote(c) for c in cmd)}", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=C.ROOT, capture_output=True, text=True, timeout=timeout)
    dt = time.perf_counter() - t0
    out = proc.stdout + (("\n" + proc.stderr) if proc.returncode else "")
    if not args.brief or proc.returncode:
        print(out.rstrip())
    print(f"=== {step}: exit {proc.returncode}, {dt:.0f} s, load average {C.loadavg()}", flush=True)
    return proc.returncode, dt, out


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def fmt_ms(sec):
    return "n/a" if sec is None else (f"{sec * 1e3:.3f} ms" if sec < 0.01 else f"{sec * 1e3:.1f} ms")


def fmt_ratio(r):
    return "n/a" if r is None else (f"{r:.0f}x" if r >= 100 else f"{r:.2f}x")


# --------------------------------------------------------------------------- rows per benchmark


def conv_rows(data):
    """Rows from bench_conv.py's JSON: each shape vs PyTorch and vs the reference loops, and its
    extra targets (VGG forward GEMM throughput, peak memory) when it reports them."""
    if not data:
        return [["convolution (bench_conv.py)", "no result", "", "", "", "MISS"]]
    rows = []
    limits = data.get("targets", {})
    for shape in data.get("shapes", []):
        name = shape.get("name", "?")
        impls, ratios, verdicts = shape.get("impls", {}), shape.get("ratios", {}), shape.get("targets", {})
        mine = impls.get("cnnedu", {}).get("total_s")
        vs_torch = limits.get("cnnedu_over_pytorch_max")
        vs_torch = vs_torch.get(name) if isinstance(vs_torch, dict) else vs_torch
        vs_torch = shape.get("target", vs_torch) if not isinstance(shape.get("target"), (str, dict)) else vs_torch
        if "pytorch" in impls:
            rows.append([f"conv2d fwd+bwd, {name}", fmt_ms(mine), "PyTorch " + fmt_ms(impls["pytorch"]["total_s"]),
                         fmt_ratio(ratios.get("cnnedu_over_pytorch")),
                         f"<= {vs_torch:g}x" if isinstance(vs_torch, (int, float)) else "?",
                         verdicts.get("vs_pytorch") or "n/a"])
        if "reference" in impls:
            vs_ref = limits.get("reference_over_cnnedu_min")
            rows.append([f"conv2d vs the lecture's loops, {name}", fmt_ms(mine),
                         "loops " + fmt_ms(impls["reference"]["total_s"]) + "*",
                         fmt_ratio(ratios.get("reference_over_cnnedu")) + " faster",
                         f">= {vs_ref:g}x" if isinstance(vs_ref, (int, float)) else "?",
                         verdicts.get("vs_reference") or "n/a"])
    try:   # the VGG forward's GEMM throughput as a fraction of numpy's matmul
        frac = limits["vgg_forward_fraction_of_blas_min"]
        vgg = next(sh for sh in data["shapes"] if sh["name"].startswith("VGG"))
        square = next(k for k in data["matmul"] if k.startswith("1024x576"))
        blas = max(data["matmul"][square]["gflops"], data["matmul_before"][square]["gflops"])
        g = vgg["impls"]["cnnedu"]["gflops_forward"]
        rows.append(["conv2d forward GFLOP/s, VGG block", f"{g:.0f} GFLOP/s", f"numpy matmul {blas:.0f} GFLOP/s",
                     f"{g / blas:.2f}", f">= {frac:g}", data.get("gemm_target") or "n/a"])
    except (KeyError, StopIteration, TypeError, ZeroDivisionError):
        pass
    try:   # peak memory of the VGG block's forward+backward vs PyTorch's
        mem, limit = data["memory"], limits["vgg_memory_over_pytorch_max"]
        c, t = mem["cnnedu"]["increase"], mem["pytorch"]["increase"]
        rows.append(["conv2d fwd+bwd peak memory increase, VGG block", f"{c / 2**20:.0f} MB",
                     f"PyTorch {t / 2**20:.0f} MB", fmt_ratio(c / max(t, 1)), f"<= {limit:g}x",
                     mem.get("target") or "n/a"])
    except (KeyError, TypeError):
        pass
    return rows


def pool_rows(data):
    if not data:
        return [["pooling (bench_pool.py)", "no result", "", "", "", "MISS"]]
    rows = []
    for r in data["results"]:
        t = r["impls"].get("pytorch")
        rows.append([f"{r['kind']} pool fwd+bwd, {r['name']} k{r['kernel']} s{r['stride']} p{r['padding']}",
                     fmt_ms(r["impls"]["cnnedu"]["total_s"]), "PyTorch " + fmt_ms(t["total_s"]) if t else "n/a",
                     fmt_ratio(r["ratio"]), f"<= {data['target_vs_torch']:g}x", r["target"]])
    return rows


def train_rows(data):
    if not data:
        return [["LeNet-5 epoch (bench_train.py)", "no result", "", "", "", "MISS"]]
    med = data["median_s"]
    rows = [["LeNet-5 training epoch (4,000 digits, batch 64, Adam)", fmt_ms(med["cnnedu"]),
             "PyTorch " + fmt_ms(med.get("pytorch")), fmt_ratio(data["ratio"]),
             f"<= {data['target_vs_torch']:g}x", data["target"] or "n/a"]]
    if "cnnedu, serial pooling" in med and med.get("pytorch"):
        rows.append(["  same, pooling kept on the calling thread", fmt_ms(med["cnnedu, serial pooling"]),
                     "PyTorch " + fmt_ms(med["pytorch"]), fmt_ratio(med["cnnedu, serial pooling"] / med["pytorch"]),
                     "(check)", ""])
    return rows


def startup_rows(data):
    if not data:
        return [["start-up (bench_startup.py)", "no result", "", "", "", "MISS"]]
    r = data["results"]
    t = r["targets"]
    return [
        ["import cnnedu + first conv2d, warm Numba cache", f"{r['warm_import_and_first_conv2d_s']:.2f} s", "",
         fmt_ratio(r["warm_import_and_first_conv2d_s"] / 1.0) + " of limit", "<= 1 s", t["warm"]],
        [f"compile all {r['kernels']} kernels (float32+float64), cold cache",
         f"{r['cold_compile_everything_s']:.1f} s", "", fmt_ratio(r["cold_compile_everything_s"] / 30.0) + " of limit",
         "<= 30 s", t["cold"]],
        [f"compilations per kernel and dtype, {r['sweep_calls']} slider calls", f"max {r['max_signatures_per_dtype']}, "
         f"{sum(r['new_during_sweep'].values())} new in sweep", "", "", "<= 1, 0 new", t["compilations"]],
    ]


def tests_rows(result):
    if result is None:
        return []
    seconds, summary, ok = result
    return [["whole test suite, notebooks included (python -m pytest)", f"{seconds:.0f} s", summary,
             fmt_ratio(seconds / TARGET_TEST_SUITE_S) + " of limit", f"< {TARGET_TEST_SUITE_S:g} s",
             ("PASS" if seconds < TARGET_TEST_SUITE_S else "MISS") if ok else "MISS (failures)"]]


def run_tests(args):
    cmd = [sys.executable, "-m", "pytest", *shlex.split(args.test_args)]
    code, seconds, out = run("test suite", cmd, args, timeout=7200)
    summary = ""
    for line in reversed(out.strip().splitlines()):
        if re.search(r"\d+ (passed|failed)", line):
            summary = line.strip("= ").strip()
            break
    return seconds, summary, code == 0


# --------------------------------------------------------------------------- main


def main(argv=None):
    args = parse_args(argv)
    C.set_thread_env(args.threads)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    load_start = C.loadavg()
    tmp = tempfile.mkdtemp(prefix="cnnedu-bench-")
    py = sys.executable
    threads = ["--threads", str(args.threads)]
    quick = ["--quick"] if args.quick else []
    steps = {
        "conv": [py, os.path.join(HERE, "bench_conv.py"), *threads, *quick, "--json", os.path.join(tmp, "conv.json")],
        "pool": [py, os.path.join(HERE, "bench_pool.py"), *threads, *quick, "--json", os.path.join(tmp, "pool.json")],
        "train": [py, os.path.join(HERE, "bench_train.py"), *threads, *quick, "--profile",
                  "--json", os.path.join(tmp, "train.json")],
        "startup": [py, os.path.join(HERE, "bench_startup.py"), *quick, "--json", os.path.join(tmp, "startup.json")],
    }
    failures = []
    for name, cmd in steps.items():
        if name in skip:
            continue
        code, _, _ = run(name, cmd, args)
        if code:
            failures.append(name)
    tests = None if args.skip_tests else run_tests(args)

    data = {name: load(os.path.join(tmp, f"{name}.json")) for name in steps if name not in skip}
    rows = []
    if "conv" in data:
        rows += conv_rows(data["conv"])
    if "pool" in data:
        rows += pool_rows(data["pool"])
    if "train" in data:
        rows += train_rows(data["train"])
    if "startup" in data:
        rows += startup_rows(data["startup"])
    rows += tests_rows(tests)

    import numpy  # noqa: F401  (after the thread variables: for the machine description only)
    torch, _limiter = C.pin_threads(args.threads)
    info = C.machine_info(torch)
    info["loadavg"] = load_start
    load_end = C.loadavg()
    md = args.markdown
    bullet = "- " if md else "# "
    print("\n" + ("## " if md else "== ") + "Performance targets")
    print()
    print(bullet + f"date: {started}")
    print(bullet + "command: python benchmarks/run_all.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:])))
    for line in C.machine_lines(info):
        print(bullet + line)
    print(bullet + f"load average after: {load_end} (on {info['cores']} cores: above the thread count, "
          "other processes shared the CPUs)")
    print()
    print(C.render(["target", "cnnedu", "reference", "ratio", "limit", "result"], rows, md))
    print()
    verdicts = [r[-1] for r in rows if r[-1]]
    print(bullet + f"{sum(v == 'PASS' for v in verdicts)} PASS, {sum(v.startswith('MISS') for v in verdicts)} MISS"
          + (f"; benchmarks that failed to run or found a mismatch: {', '.join(failures)}" if failures else ""))
    print(bullet + "* the lecture's loops are timed on part of the batch and scaled (bench_conv.py).")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"date": started, "machine": info, "loadavg_start": load_start, "loadavg_end": load_end,
                       "rows": rows, "benchmarks": data,
                       "tests": None if tests is None else {"seconds": tests[0], "summary": tests[1], "ok": tests[2]},
                       "failures": failures}, f, indent=1)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
