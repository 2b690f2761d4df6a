#!/usr/bin/env python
"""Time 2-D convolutions forward and backward: cnnedu vs numpy vs the lecture's loops vs PyTorch.

One run times, on the same shapes, interleaved and with the same thread count:

* ``cnnedu``     -- ``cnnedu.functional.conv2d`` / ``conv2d_backward`` (or the transposed
  ``conv_transpose2d`` / ``conv_transpose2d_backward``);
* ``numpy``      -- a plain-numpy im2col baseline defined below (``sliding_window_view``
  + batched ``matmul``, strided slice-adds for col2im), checked against cnnedu first;
  plain convolutions only (no groups, not transposed);
* ``reference``  -- ``cnnedu.reference``, the plain Python loops.  They run on
  ``--ref-batch`` samples and the time is scaled by ``N / ref_batch`` (the work is
  linear in N); those numbers are marked ``*``;
* ``pytorch``    -- ``torch.nn.functional.conv2d`` / ``conv_transpose2d``; its backward is
  timed as ``y.backward(dy, retain_graph=True)`` on a graph built once (dx, dw and db, like
  cnnedu's backward; the gradients are reset to ``None`` before each call so nothing is
  accumulated).  Skipped cleanly when torch is not importable.

Shapes: LeNet-5's two convolutions, a VGG 3x3 block, a stride-2 layer, a float32
depthwise convolution (groups = channels) and a stride-2 transposed convolution (the
upsampling layer of a DCGAN generator).

Besides times it reports, against the targets of the performance issue (a report;
``--strict`` turns a MISS into exit code 2):

* fwd+bwd time ratio cnnedu / PyTorch per shape (<= 1.0 on LeNet-5, <= 1.5 elsewhere);
* the VGG block's forward GFLOP/s against the float32 matrix-multiply throughput numpy's
  BLAS reaches in the same run (>= 50%);
* peak resident memory of the VGG block's forward+backward, cnnedu against PyTorch, each
  measured in a fresh subprocess (<= 2x).

Threads: every library is pinned to ``--threads`` (default 2).  OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS, MKL_NUM_THREADS and NUMBA_NUM_THREADS are set *before* numpy is
imported, then ``threadpoolctl.threadpool_limits`` (if installed), ``numba.set_num_threads``
and ``torch.set_num_threads`` pin them again at run time.

Method: every implementation is warmed up (so Numba compilation and first-call costs are
excluded), then each measurement is repeated ``--repeats`` times, each sample timing
enough back-to-back calls (``--min-time``) for ``time.perf_counter`` to be precise.
Within a repeat the implementations run one after another in a rotating order so they
share the machine's noise; the report gives the median over repeats.  Before each
sample the script sleeps ``--gap`` seconds: PyTorch's OpenMP threads spin for
milliseconds after each call (libgomp's default wait policy) and would otherwise
take a core from whatever runs next.

Examples::

    python benchmarks/bench_conv.py                  # full run, float32, 2 threads
    python benchmarks/bench_conv.py --quick          # smoke test (< 2 minutes)
    python benchmarks/bench_conv.py --markdown --json results.json
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import calls_per_sample, git_revision, loadavg, median, sample  # noqa: E402  (no numpy imported yet)

THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
# Not set by the script, but they change the results a lot; printed when the user sets them.
OTHER_ENV_VARS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "NUMBA_THREADING_LAYER", "OMP_PROC_BIND")

# Performance targets (a report, never an assertion; --strict makes a MISS the exit code).
TARGET_VS_REFERENCE = 100.0  # cnnedu fwd+bwd at least 100x faster than the reference loops
TARGET_GEMM_FRACTION = 0.5   # VGG block forward >= 50% of numpy's float32 matmul GFLOP/s
TARGET_MEMORY = 2.0          # VGG block fwd+bwd peak resident memory <= 2x PyTorch's


@dataclass(frozen=True)
class Shape:
    name: str
    n: int
    c: int            # input channels
    h: int
    w: int
    o: int            # output channels
    k: int
    stride: int = 1
    padding: int = 0
    groups: int = 1
    transposed: bool = False
    target: float = 1.5   # cnnedu fwd+bwd time <= target x PyTorch's

    @property
    def kwargs(self):
        return dict(stride=self.stride, padding=self.padding, groups=self.groups)

    @property
    def w_shape(self):
        if self.transposed:
            return (self.c, self.o // self.groups, self.k, self.k)
        return (self.o, self.c // self.groups, self.k, self.k)

    def out_size(self):
        from cnnedu.sizes import conv_output_size, conv_transpose_output_size

        size = conv_transpose_output_size if self.transposed else conv_output_size
        return size(self.h, self.k, self.stride, self.padding), size(self.w, self.k, self.stride, self.padding)

    def forward_flops(self):
        """2 x multiply-accumulates of the forward pass (cnnedu.sizes.conv_macs)."""
        from cnnedu.sizes import conv_macs

        if self.transposed:   # the transpose of the convolution from the output back to the input
            return 2 * self.n * conv_macs(self.o, self.c, self.k, (self.h, self.w), self.groups)
        return 2 * self.n * conv_macs(self.c, self.o, self.k, self.out_size(), self.groups)

    def label(self):
        kind = "transposed, " if self.transposed else ""
        extra = "".join([f", stride {self.stride}" if self.stride != 1 else "",
                         f", pad {self.padding}" if self.padding else "",
                         f", groups {self.groups}" if self.groups != 1 else ""])
        oh, ow = self.out_size()
        return (f"{self.name}: {kind}x {self.n}x{self.c}x{self.h}x{self.w}, w {'x'.join(map(str, self.w_shape))}"
                f"{extra} -> {self.o}x{oh}x{ow}, {self.forward_flops() / 1e9:.3f} GFLOP fwd")


SHAPES = [
    Shape("LeNet-5 conv1", 64, 1, 32, 32, 6, 5, target=1.0),
    Shape("LeNet-5 conv2", 64, 6, 14, 14, 16, 5, target=1.0),
    Shape("VGG block", 16, 64, 32, 32, 64, 3, padding=1),
    Shape("strided", 32, 32, 32, 32, 64, 3, stride=2, padding=1),
    Shape("depthwise", 16, 64, 32, 32, 64, 3, padding=1, groups=64),
    Shape("transposed", 16, 64, 16, 16, 32, 4, stride=2, padding=1, transposed=True),
]
VGG = 2   # index of the VGG block: the GEMM-throughput and memory targets are measured on it

IMPLS = ("cnnedu", "numpy", "reference", "pytorch")

np = None  # imported in main(), after the thread environment variables are set


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--threads", type=int, default=2, help="threads for every library (default 2)")
    p.add_argument("--repeats", type=int, default=None, help="samples per measurement (default 7, --quick 3)")
    p.add_argument("--min-time", type=float, default=None,
                   help="seconds of back-to-back calls per sample (default 0.1, --quick 0.02)")
    p.add_argument("--gap", type=float, default=0.03,
                   help="idle seconds before each sample, so that a library's spin-waiting worker threads "
                        "(PyTorch's OpenMP, OpenBLAS) have gone to sleep before the next one runs (default 0.03)")
    p.add_argument("--ref-batch", type=int, default=1,
                   help="samples the reference loops run on; their time is scaled to the full batch")
    p.add_argument("--ref-repeats", type=int, default=None,
                   help="samples for the (slow) reference loops (default 3, --quick 1)")
    p.add_argument("--quick", action="store_true", help="fewer repeats, for smoke testing")
    p.add_argument("--shapes", default=None,
                   help=f"comma-separated subset of shape numbers (1-{len(SHAPES)}) to run, e.g. '3,4'")
    p.add_argument("--no-reference", action="store_true", help="skip the reference loops")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch even if importable")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    p.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    p.add_argument("--json", metavar="PATH", help="save the raw numbers as JSON")
    p.add_argument("--strict", action="store_true", help="exit with code 2 when a target is missed")
    a = p.parse_args(argv)
    if a.threads < 1:
        p.error("--threads must be >= 1")
    if a.repeats is None:
        a.repeats = 3 if a.quick else 7
    if a.min_time is None:
        a.min_time = 0.02 if a.quick else 0.1
    if a.ref_repeats is None:
        a.ref_repeats = 1 if a.quick else 3
    a.ref_repeats = max(1, min(a.ref_repeats, a.repeats))
    if a.repeats < 1 or a.ref_batch < 1:
        p.error("--repeats and --ref-batch must be >= 1")
    return a


# ---------------------------------------------------------------------------
# The plain-numpy im2col baseline (groups=1, square int stride/padding/dilation)
# ---------------------------------------------------------------------------

def _np_columns(x, kh, kw, stride, padding, dilation):
    """im2col with numpy: (N, C, H, W) -> (N, C*kh*kw, OH*OW), plus (OH, OW)."""
    from numpy.lib.stride_tricks import sliding_window_view

    if padding:
        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    span_h, span_w = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
    v = sliding_window_view(x, (span_h, span_w), axis=(2, 3))      # (N, C, H', W', span_h, span_w)
    v = v[:, :, ::stride, ::stride, ::dilation, ::dilation]       # (N, C, OH, OW, kh, kw)
    n, c, oh, ow = v.shape[:4]
    # The one copy: (N, C, kh, kw, OH, OW), the layout a batched GEMM wants.
    col = v.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow)
    return col, oh, ow


def np_conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
    """Forward convolution: one batched GEMM (O, C*kh*kw) @ (N, C*kh*kw, OH*OW)."""
    o, _, kh, kw = w.shape
    col, oh, ow = _np_columns(x, kh, kw, stride, padding, dilation)
    z = np.matmul(w.reshape(o, -1), col).reshape(x.shape[0], o, oh, ow)
    if b is not None:
        z += b.reshape(1, -1, 1, 1)
    return z


def np_conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1):
    """(dx, dw, db): dw = sum_n dy_n col_n^T; dx = col2im(w^T dy) by kh*kw strided slice-adds."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh, ow = dy.shape[2:]
    dz = dy.reshape(n, o, oh * ow)
    col, _, _ = _np_columns(x, kh, kw, stride, padding, dilation)
    dw = np.matmul(dz, col.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    dcol = np.matmul(w.reshape(o, -1).T, dz).reshape(n, c, kh, kw, oh, ow)
    dxp = np.zeros((n, c, h + 2 * padding, wd + 2 * padding), dtype=dcol.dtype)
    for i in range(kh):
        for j in range(kw):
            hi, wj = i * dilation, j * dilation
            dxp[:, :, hi:hi + stride * (oh - 1) + 1:stride, wj:wj + stride * (ow - 1) + 1:stride] += dcol[:, :, i, j]
    dx = np.ascontiguousarray(dxp[:, :, padding:padding + h, padding:padding + wd]) if padding else dxp
    db = dy.sum(axis=(0, 2, 3))
    return dx, dw, db


# ---------------------------------------------------------------------------
# Environment
# ---------------------------------------------------------------------------

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def setup_threads(threads, use_torch):
    """Pin numba, BLAS (threadpoolctl) and torch to ``threads``; return a description."""
    import numba

    info = {"requested": threads,
            "env": {k: os.environ.get(k) for k in (*THREAD_ENV_VARS, *OTHER_ENV_VARS) if k in os.environ}}
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    info["numba"] = numba.get_num_threads()
    try:
        import threadpoolctl
        info["limiter"] = threadpoolctl.threadpool_limits(limits=threads)  # kept alive for the run
        info["pools"] = [f"{p['internal_api']}={p['num_threads']} ({os.path.basename(p['filepath'])})"
                         for p in threadpoolctl.threadpool_info()]
    except ImportError:
        info["pools"] = ["threadpoolctl not installed: BLAS threads from the env vars only"]
    torch = None
    if use_torch:
        try:
            import torch
        except ImportError:
            torch = None
    if torch is not None:
        torch.set_num_threads(threads)
        info["torch"] = torch.get_num_threads()
        # Re-apply: importing torch can load another OpenMP runtime.
        try:
            import threadpoolctl
            info["limiter2"] = threadpoolctl.threadpool_limits(limits=threads)
            info["pools"] = [f"{p['internal_api']}={p['num_threads']} ({os.path.basename(p['filepath'])})"
                             for p in threadpoolctl.threadpool_info()]
        except ImportError:
            pass
    return torch, info


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------

def rel_err(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


# ---------------------------------------------------------------------------
# One shape
# ---------------------------------------------------------------------------

def _ops(module, shape):
    """(forward, backward) functions of ``module`` (cnnedu.functional or cnnedu.reference) for ``shape``."""
    if shape.transposed:
        return module.conv_transpose2d, module.conv_transpose2d_backward
    return module.conv2d, module.conv2d_backward


def make_impls(args, torch, reference, shape, x, w, b, dy):
    """Return {impl: (fwd, bwd, scale)}; each call does the whole operation."""
    import cnnedu.functional as F

    kw = shape.kwargs
    fwd, bwd = _ops(F, shape)
    impls = {"cnnedu": (lambda: fwd(x, w, b, **kw), lambda: bwd(dy, x, w, **kw), 1.0)}
    if shape.groups == 1 and not shape.transposed:
        s, p = shape.stride, shape.padding
        impls["numpy"] = (lambda: np_conv2d(x, w, b, s, p), lambda: np_conv2d_backward(dy, x, w, s, p), 1.0)
    if reference is not None:
        rb = min(args.ref_batch, shape.n)
        xr, dyr = np.ascontiguousarray(x[:rb]), np.ascontiguousarray(dy[:rb])
        rfwd, rbwd = _ops(reference, shape)
        impls["reference"] = (lambda: rfwd(xr, w, b, **kw), lambda: rbwd(dyr, xr, w, **kw), shape.n / rb)
    if torch is not None:
        xt = torch.from_numpy(x.copy()).requires_grad_()
        wt = torch.from_numpy(w.copy()).requires_grad_()
        bt = torch.from_numpy(b.copy()).requires_grad_()
        dyt = torch.from_numpy(dy.copy())
        conv = torch.nn.functional.conv_transpose2d if shape.transposed else torch.nn.functional.conv2d
        yt = conv(xt, wt, bt, **kw)   # the graph the backward reuses

        def torch_bwd():
            xt.grad = wt.grad = bt.grad = None
            yt.backward(dyt, retain_graph=True)
            return xt.grad, wt.grad, bt.grad

        impls["pytorch"] = (lambda: conv(xt, wt, bt, **kw), torch_bwd, 1.0)
    return impls


def verify(impls, shape, x, w, b, dy):
    """Check every implementation against cnnedu; return {impl: max relative error}."""
    import cnnedu.functional as F

    fwd, bwd = _ops(F, shape)
    kw = shape.kwargs
    errs = {}
    want_z, want_g = fwd(x, w, b, **kw), bwd(dy, x, w, **kw)
    for name, (f, bw, scale) in impls.items():
        if name == "cnnedu":
            continue
        z, g = f(), bw()
        if name == "pytorch":
            z = z.detach().numpy()
            g = [t.numpy() for t in g]
        if name == "reference":
            rb = z.shape[0]
            wz, wg = want_z[:rb], bwd(dy[:rb], x[:rb], w, **kw)
        else:
            wz, wg = want_z, want_g
        if z.shape != wz.shape or any(a.shape != e.shape for a, e in zip(g, wg)):
            errs[name] = float("inf")
            continue
        errs[name] = max(rel_err(z, wz), *(rel_err(a, e) for a, e in zip(g, wg)))
    return errs


def extra_numpy_checks(dtype):
    """The numpy baseline on geometries the timed shapes do not cover (dilation, odd sizes)."""
    import cnnedu.functional as F

    rng = np.random.default_rng(1)
    worst = 0.0
    for (n, c, h, wd, o, k, s, p, d) in [(2, 3, 9, 11, 4, 3, 2, 1, 2), (3, 2, 8, 7, 5, 2, 3, 2, 1),
                                         (1, 4, 10, 10, 2, 4, 1, 3, 3)]:
        x = rng.standard_normal((n, c, h, wd)).astype(dtype)
        w = rng.standard_normal((o, c, k, k)).astype(dtype)
        b = rng.standard_normal(o).astype(dtype)
        z = F.conv2d(x, w, b, stride=s, padding=p, dilation=d)
        dy = rng.standard_normal(z.shape).astype(dtype)
        worst = max(worst, rel_err(np_conv2d(x, w, b, s, p, d), z))
        for a, e in zip(np_conv2d_backward(dy, x, w, s, p, d),
                        F.conv2d_backward(dy, x, w, stride=s, padding=p, dilation=d)):
            worst = max(worst, rel_err(a, e))
    return worst


def make_inputs(shape, seed, dtype):
    rng = np.random.default_rng(seed)
    fan_in = shape.w_shape[1] * shape.k * shape.k
    x = rng.standard_normal((shape.n, shape.c, shape.h, shape.w)).astype(dtype)
    w = (rng.standard_normal(shape.w_shape) / math.sqrt(fan_in)).astype(dtype)
    b = rng.standard_normal(shape.o).astype(dtype)
    dy = rng.standard_normal((shape.n, shape.o, *shape.out_size())).astype(dtype)
    return x, w, b, dy


def run_shape(idx, shape, args, torch, reference):
    dtype = np.dtype(args.dtype)
    flops = shape.forward_flops()
    x, w, b, dy = make_inputs(shape, idx, dtype)

    impls = make_impls(args, torch, reference, shape, x, w, b, dy)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    errs = verify(impls, shape, x, w, b, dy)   # also the first warm-up call of each
    number = {}
    for impl, (fwd, bwd, _) in impls.items():
        if impl == "reference":
            number[impl] = (1, 1)      # seconds per call already; no need to warm up twice
        else:
            number[impl] = (calls_per_sample(fwd, args.min_time), calls_per_sample(bwd, args.min_time))

    samples = {impl: ([], []) for impl in impls}
    order = list(impls)
    for r in range(args.repeats):
        gc.collect()
        rot = order[r % len(order):] + order[:r % len(order)]
        for impl in rot:
            if impl == "reference" and r >= args.ref_repeats:
                continue
            fwd, bwd, scale = impls[impl]
            nf, nb = number[impl]
            time.sleep(args.gap)
            samples[impl][0].append(sample(fwd, nf) * scale)
            time.sleep(args.gap)
            samples[impl][1].append(sample(bwd, nb) * scale)

    res = {**asdict(shape), "out": list(shape.out_size()), "forward_flops": flops, "label": shape.label(),
           "impls": {}}
    for impl, (fs, bs) in samples.items():
        f, bw = median(fs), median(bs)
        res["impls"][impl] = {
            "forward_s": f, "backward_s": bw, "total_s": f + bw,
            "forward_samples_s": fs, "backward_samples_s": bs,
            "calls_per_sample": list(number[impl]),
            "extrapolated": impls[impl][2] != 1.0, "scale": impls[impl][2],
            "max_rel_err_vs_cnnedu": errs.get(impl, 0.0),
            "verified": errs.get(impl, 0.0) <= tol,
            "gflops_forward": flops / f / 1e9, "gflops_backward": 2 * flops / bw / 1e9,
            "gflops_total": 3 * flops / (f + bw) / 1e9,
        }
    t = {k_: v["total_s"] for k_, v in res["impls"].items()}
    r_ = res["ratios"] = {
        "cnnedu_over_pytorch": t["cnnedu"] / t["pytorch"] if "pytorch" in t else None,
        "forward_cnnedu_over_pytorch": (res["impls"]["cnnedu"]["forward_s"] / res["impls"]["pytorch"]["forward_s"]
                                        if "pytorch" in t else None),
        "cnnedu_over_numpy": t["cnnedu"] / t["numpy"] if "numpy" in t else None,
        "reference_over_cnnedu": t["reference"] / t["cnnedu"] if "reference" in t else None,
    }
    res["targets"] = {
        "vs_pytorch": None if r_["cnnedu_over_pytorch"] is None
        else ("PASS" if r_["cnnedu_over_pytorch"] <= shape.target else "MISS"),
        "vs_reference": None if r_["reference_over_cnnedu"] is None
        else ("PASS" if r_["reference_over_cnnedu"] >= TARGET_VS_REFERENCE else "MISS"),
    }
    return res


def matmul_throughput(args, dtype="float32"):
    """GFLOP/s of numpy's BLAS: a square-ish GEMM, and the VGG block's im2col GEMM shapes."""
    rng = np.random.default_rng(7)
    out = {}
    a = rng.standard_normal((1024, 576)).astype(dtype)
    bm = rng.standard_normal((576, 1024)).astype(dtype)
    wm = rng.standard_normal((64, 576)).astype(dtype)
    col = rng.standard_normal((16, 576, 1024)).astype(dtype)
    cases = {
        "1024x576 @ 576x1024": (lambda: a @ bm, 2 * 1024 * 576 * 1024),
        "VGG fwd GEMM 64x576 @ 16x576x1024": (lambda: np.matmul(wm, col), 2 * 16 * 64 * 576 * 1024),
    }
    for label, (fn, fl) in cases.items():
        nn = calls_per_sample(fn, args.min_time)
        ts = [sample(fn, nn) for _ in range(args.repeats)]
        out[f"{label} {dtype}"] = {"dtype": dtype, "shape": label, "median_s": median(ts), "gflops": fl / median(ts) / 1e9}
    return out


# ---------------------------------------------------------------------------
# Peak memory, each library in a fresh process
# ---------------------------------------------------------------------------

MEMORY_SCRIPT = r"""
import json, os, sys
shape, lib, threads, dtype = json.loads(sys.argv[1])
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[var] = str(threads)
import numpy as np

def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0

n, c, h, w, o, k, stride, padding, groups = (shape[key] for key in
                                             ("n", "c", "h", "w", "o", "k", "stride", "padding", "groups"))
rng = np.random.default_rng(0)
x = rng.standard_normal((n, c, h, w)).astype(dtype)
wt = (rng.standard_normal((o, c // groups, k, k)) / np.sqrt(c // groups * k * k)).astype(dtype)
b = np.zeros(o, dtype)
kw = dict(stride=stride, padding=padding, groups=groups)
if lib == "cnnedu":
    import cnnedu.functional as F
    def fwd_bwd(x, wt, b, dy=None):
        z = F.conv2d(x, wt, b, **kw)
        return z, F.conv2d_backward(z if dy is None else dy, x, wt, **kw)
else:
    import torch
    torch.set_num_threads(threads)
    def fwd_bwd(x, wt, b, dy=None):
        xt = torch.from_numpy(x).requires_grad_(); wtt = torch.from_numpy(wt).requires_grad_()
        bt = torch.from_numpy(b).requires_grad_()
        z = torch.nn.functional.conv2d(xt, wtt, bt, **kw)
        z.backward(z.detach() if dy is None else torch.from_numpy(dy))
        return z, (xt.grad, wtt.grad, bt.grad)
# warm up on a small batch (load compiled kernels, initialise the library), then measure
fwd_bwd(x[:1].copy(), wt, b)
dy = rng.standard_normal((n, o, *shape["out"])).astype(dtype)
try:
    with open("/proc/self/clear_refs", "w") as f:   # reset the peak (VmHWM) to the current size
        f.write("5")
    reset = True
except OSError:
    reset = False
before = status("VmRSS")
for _ in range(3):
    out = fwd_bwd(x, wt, b, dy)
    del out
print(json.dumps({"before": before, "peak": status("VmHWM"), "reset": reset}))
"""


def peak_memory(shape, threads, dtype):
    """{lib: {'before', 'peak', 'increase'}} in bytes: resident memory of fwd+bwd, each lib in its own process."""
    out = {}
    for lib in ("cnnedu", "pytorch"):
        arg = json.dumps([{**asdict(shape), "out": shape.out_size()}, lib, threads, dtype])
        try:
            run = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, arg], capture_output=True, text=True,
                                 timeout=600)
        except (OSError, subprocess.SubprocessError) as exc:
            out[lib] = {"error": str(exc)}
            continue
        if run.returncode != 0:
            out[lib] = {"error": run.stderr.strip().splitlines()[-1] if run.stderr.strip() else "failed"}
            continue
        m = json.loads(run.stdout.strip().splitlines()[-1])
        m["increase"] = m["peak"] - m["before"]
        out[lib] = m
    return out


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

def fmt_ms(sec):
    ms = sec * 1e3
    if ms >= 1e5:
        return f"{ms:.3g}"
    if ms >= 100:
        return f"{ms:.0f}"
    if ms >= 10:
        return f"{ms:.1f}"
    return f"{ms:.2f}"


def fmt_ratio(r):
    if r is None:
        return "n/a"
    return f"{r:.0f}x" if r >= 100 else f"{r:.2f}x"


def table_rows(res):
    head = ["impl", "fwd ms", "bwd ms", "fwd+bwd ms", "fwd GFLOP/s", "bwd GFLOP/s", "fwd+bwd GFLOP/s",
            "time / cnnedu"]
    rows = []
    base = res["impls"]["cnnedu"]["total_s"]
    for impl in IMPLS:
        if impl not in res["impls"]:
            continue
        v = res["impls"][impl]
        star = "*" if v["extrapolated"] else ""
        bad = "" if v["verified"] else " (MISMATCH)"
        rows.append([impl + star + bad, fmt_ms(v["forward_s"]) + star, fmt_ms(v["backward_s"]) + star,
                     fmt_ms(v["total_s"]) + star, f"{v['gflops_forward']:.2f}", f"{v['gflops_backward']:.2f}",
                     f"{v['gflops_total']:.2f}", fmt_ratio(v["total_s"] / base)])
    return head, rows


def summary_rows(results):
    head = ["shape", "cnnedu / PyTorch fwd+bwd", "target", "", "fwd only", "cnnedu / numpy",
            "reference / cnnedu", f">= {TARGET_VS_REFERENCE:g}x"]
    rows = []
    for res in results:
        r, t = res["ratios"], res["targets"]
        rows.append([res["name"], fmt_ratio(r["cnnedu_over_pytorch"]), f"<= {res['target']:g}x",
                     t["vs_pytorch"] or "n/a", fmt_ratio(r["forward_cnnedu_over_pytorch"]),
                     fmt_ratio(r["cnnedu_over_numpy"]), fmt_ratio(r["reference_over_cnnedu"]),
                     t["vs_reference"] or "n/a"])
    return head, rows


def render(head, rows, markdown):
    if markdown:
        lines = ["| " + " | ".join(head) + " |",
                 "|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    fmt = lambda r: "  ".join(str(x).ljust(wi) if i == 0 else str(x).rjust(wi)  # noqa: E731
                              for i, (x, wi) in enumerate(zip(r, widths)))
    return "\n".join([fmt(head), "  ".join("-" * wi for wi in widths)] + [fmt(r) for r in rows])


def header_lines(env, args):
    th = env["threads"]
    lines = [
        f"date: {env['date']}",
        f"command: {env['command']}",
        f"machine: {env['cpu']}, {env['cores']} cores (os.cpu_count)",
        f"cnnedu {env['cnnedu']}",
        f"python {env['python']}, numpy {env['numpy']}, numba {env['numba']} "
        f"(threading layer {env['numba_threading_layer']}), torch {env['torch'] or 'not available'}",
        f"threads: requested {th['requested']}; numba {th['numba']}, torch {th.get('torch', 'n/a')}; "
        f"env " + ", ".join(f"{k}={v}" for k, v in th["env"].items()),
        "thread pools (threadpoolctl): " + "; ".join(th["pools"]),
        f"load average at start (1, 5, 15 min): {env['loadavg_start']}",
        f"dtype {args.dtype}; median of {args.repeats} repeats (reference: {args.ref_repeats}), "
        f">= {args.min_time:g} s of calls per sample, implementations interleaved, {args.gap:g} s idle "
        "before each sample",
    ]
    return lines


def main(argv=None):
    global np
    args = parse_args(argv)
    for var in THREAD_ENV_VARS:          # before numpy (and its BLAS) is loaded
        os.environ[var] = str(args.threads)
    if "numpy" in sys.modules:
        print("note: numpy was imported before the thread variables were set; "
              "relying on threadpoolctl", file=sys.stderr)
    import numpy
    np = numpy
    import numba

    import cnnedu
    import cnnedu.functional  # noqa: F401  (load the kernels)

    torch, thread_info = setup_threads(args.threads, not args.no_torch)
    reference = None
    ref_note = "skipped (--no-reference)"
    if not args.no_reference:
        try:
            from cnnedu import reference
            ref_note = f"timed on {args.ref_batch} sample(s), scaled to the batch"
        except ImportError as exc:
            ref_note = f"not importable ({exc})"
            reference = None

    env = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": "python " + " ".join(["benchmarks/bench_conv.py", *(sys.argv[1:] if argv is None else argv)]),
        "cnnedu": f"{cnnedu.__version__} (git {git_revision()})",
        "cpu": cpu_model(), "cores": os.cpu_count(),
        "python": platform.python_version(), "numpy": np.__version__, "numba": numba.__version__,
        "torch": torch.__version__ if torch is not None else None,
        "threads": {k: v for k, v in thread_info.items() if not k.startswith("limiter")},
        "loadavg_start": loadavg(),
    }
    try:
        env["numba_threading_layer"] = numba.threading_layer()
    except ValueError:
        env["numba_threading_layer"] = "not used"

    md = args.markdown
    out = print
    bullet = "- " if md else "# "
    for line in header_lines(env, args):
        out(bullet + line)
    out(bullet + f"reference loops: {ref_note}")
    if torch is None:
        out(bullet + "pytorch: skipped (" + ("--no-torch" if args.no_torch else "not importable") + ")")
    else:
        out(bullet + "pytorch backward: y.backward(dy, retain_graph=True) on a graph "
            "built once (dx, dw, db); forward with grad enabled")

    chosen = list(enumerate(SHAPES))
    if args.shapes:
        chosen = [(int(i) - 1, SHAPES[int(i) - 1]) for i in args.shapes.split(",")]
    tol = 1e-4 if args.dtype == "float32" else 1e-10
    extra = extra_numpy_checks(np.dtype(args.dtype))
    out(bullet + f"numpy baseline vs cnnedu on dilated/strided/odd geometries: "
        f"max rel err {extra:.1e} ({'ok' if extra <= tol else 'MISMATCH'})")
    ok = extra <= tol

    def gemm():
        mm = matmul_throughput(args, "float32")
        if args.dtype != "float32":
            mm.update(matmul_throughput(args, args.dtype))
        return mm

    mm_before = gemm()   # measured again at the end: a drop means the machine got busier
    results = []
    for i, shape in chosen:
        res = run_shape(i, shape, args, torch, reference)
        results.append(res)
        out("")
        out(("### " if md else "== ") + res["label"])
        out("")
        out(render(*table_rows(res), md))
        errs = ", ".join(f"{k} {v['max_rel_err_vs_cnnedu']:.1e}" for k, v in res["impls"].items() if k != "cnnedu")
        out("")
        out(f"max relative error vs cnnedu (fwd, dx, dw, db): {errs}")
        ok = ok and all(v["verified"] for v in res["impls"].values())
        sys.stdout.flush()

    mm = gemm()
    targets = [r["targets"]["vs_pytorch"] for r in results if r["targets"]["vs_pytorch"]]

    out("")
    out(("### " if md else "== ") + "Summary: targets")
    out("")
    out(render(*summary_rows(results), md))
    out("")
    square = "1024x576 @ 576x1024 float32"
    blas = max(mm_before[square]["gflops"], mm[square]["gflops"])
    out(("- " if md else "") + "numpy BLAS float32 matmul throughput, before / after the convolutions ("
        + "; ".join(f"{k}: {mm_before[k]['gflops']:.0f} / {v['gflops']:.0f} GFLOP/s" for k, v in mm.items()) + ")")
    gemm_target = None
    vgg = next((r for r in results if r["name"] == SHAPES[VGG].name), None)
    if vgg is not None and args.dtype == "float32":
        g = vgg["impls"]["cnnedu"]["gflops_forward"]
        gemm_target = "PASS" if g >= TARGET_GEMM_FRACTION * blas else "MISS"
        targets.append(gemm_target)
        out(("- " if md else "") + f"VGG block forward: cnnedu {g:.0f} GFLOP/s = {g / blas:.0%} of numpy's "
            f"float32 matmul ({blas:.0f} GFLOP/s, the better of before/after); target >= "
            f"{TARGET_GEMM_FRACTION:.0%}: {gemm_target}")
    memory = None
    if not args.no_memory and not args.no_torch and torch is not None:
        memory = peak_memory(SHAPES[VGG], args.threads, args.dtype)
        c, t = memory.get("cnnedu", {}), memory.get("pytorch", {})
        if "increase" in c and "increase" in t:
            ratio = c["increase"] / max(t["increase"], 1)
            ratio_total = c["peak"] / max(t["peak"], 1)
            memory["target"] = "PASS" if ratio <= TARGET_MEMORY else "MISS"
            targets.append(memory["target"])
            mb = lambda v: f"{v / 2**20:.0f} MB"   # noqa: E731
            out(("- " if md else "") + f"VGG block fwd+bwd (x3) peak resident memory, fresh process each: "
                f"cnnedu {mb(c['peak'])} (+{mb(c['increase'])} over the {mb(c['before'])} after imports, "
                f"inputs and a warm-up), PyTorch {mb(t['peak'])} (+{mb(t['increase'])} over "
                f"{mb(t['before'])}); increase ratio {ratio:.2f}x, total ratio {ratio_total:.2f}x; "
                f"target increase <= {TARGET_MEMORY:g}x: {memory['target']}"
                + ("" if c.get("reset") and t.get("reset") else " (peak not resettable: totals since start)"))
        else:
            out(("- " if md else "") + f"peak memory: could not measure ({memory})")
    if reference is not None:
        out(("- " if md else "") + f"reference*: timed on {args.ref_batch} sample(s) and scaled by "
            f"N/{args.ref_batch} (extrapolated).")
    env["loadavg_end"] = loadavg()
    out(("- " if md else "") + f"load average at end (1, 5, 15 min): {env['loadavg_end']} (on {env['cores']} "
        "cores; anything above the thread count means other processes shared the CPUs)")
    misses = targets.count("MISS")
    out(("- " if md else "") + f"targets: {targets.count('PASS')} PASS, {misses} MISS")
    if not ok:
        out(("- " if md else "") + "WARNING: an implementation disagrees with cnnedu (MISMATCH above); "
            "its times are suspect.")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"env": env, "args": vars(args), "shapes": results, "matmul": mm, "matmul_before": mm_before,
                       "memory": memory, "gemm_target": gemm_target,
                       "targets": {"cnnedu_over_pytorch_max": {s.name: s.target for s in SHAPES},
                                   "reference_over_cnnedu_min": TARGET_VS_REFERENCE,
                                   "vgg_forward_fraction_of_blas_min": TARGET_GEMM_FRACTION,
                                   "vgg_memory_over_pytorch_max": TARGET_MEMORY}}, f, indent=1)
    if not ok:
        return 1
    return 2 if args.strict and misses else 0


if __name__ == "__main__":
    sys.exit(main())
