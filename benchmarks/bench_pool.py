#!/usr/bin/env python
"""Time max and mean pooling, forward + backward: cnnedu's layers vs PyTorch, in one run.

What is timed is what a training step runs:

* ``cnnedu``  -- ``nn.MaxPool2d`` / ``nn.AvgPool2d``: ``layer(x)`` (max pooling keeps
  the argmax of every window, PyTorch's ``return_indices``) and ``layer.backward(dy)``;
* ``pytorch`` -- ``torch.nn.functional.max_pool2d`` / ``avg_pool2d`` on a tensor that
  requires grad (so the forward records the indices, as in training), and
  ``y.backward(dy, retain_graph=True)`` on a graph built once (``x.grad`` reset first).

Shapes: the two pooling layers of LeNet-5 in the training-epoch benchmark (batch 64),
a VGG-style 2x2 pool on 64 maps of 32x32, and overlapping 3x3 windows with stride 2
and padding 1 (AlexNet, ResNet's stem).  The outputs and gradients are compared with
PyTorch's before timing.  Target: cnnedu's forward+backward time <= 1.0x PyTorch's
(a report: the exit code is 0 unless the two disagree).

Threads: ``--threads`` (default 2) for BLAS, Numba and PyTorch, set before numpy is
imported; cnnedu's pooling kernels run on the calling thread (``docs/architecture.md``),
PyTorch's pooling uses its thread pool.

Examples::

    python benchmarks/bench_pool.py              # 7 repeats, 2 threads
    python benchmarks/bench_pool.py --quick      # 3 repeats, shorter samples
    python benchmarks/bench_pool.py --json out.json --markdown
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402  (sets nothing at import; no numpy yet)

#: cnnedu's forward+backward time may be at most this multiple of PyTorch's.
TARGET_VS_TORCH = 1.0

# name, (N, C, H, W), kernel, stride, padding
CASES = [
    ("LeNet-5 pool1", (64, 6, 28, 28), 2, 2, 0),
    ("LeNet-5 pool2", (64, 16, 10, 10), 2, 2, 0),
    ("VGG 2x2", (16, 64, 32, 32), 2, 2, 0),
    ("overlapping 3x3/2", (16, 64, 32, 32), 3, 2, 1),
]
KINDS = ("max", "avg")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2, help="threads for BLAS, Numba and PyTorch (default 2)")
    p.add_argument("--repeats", type=int, default=None, help="samples per measurement (default 7, --quick 3)")
    p.add_argument("--min-time", type=float, default=None,
                   help="seconds of back-to-back calls per sample (default 0.1, --quick 0.03)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--cases", default=None, help="comma-separated case numbers (1-based), default all")
    p.add_argument("--quick", action="store_true", help="fewer, shorter samples")
    p.add_argument("--no-torch", action="store_true", help="time cnnedu only")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--json", metavar="PATH", help="save the numbers as JSON")
    args = p.parse_args(argv)
    args.repeats = args.repeats or (3 if args.quick else 7)
    args.min_time = args.min_time or (0.03 if args.quick else 0.1)
    if args.threads < 1 or args.repeats < 1:
        p.error("--threads and --repeats must be >= 1")
    return args


def make_impls(np, torch, nn, kind, x, k, s, pad, dy):
    layer = (nn.MaxPool2d if kind == "max" else nn.AvgPool2d)(k, s, pad)
    impls = {"cnnedu": (lambda: layer(x), lambda: layer.backward(dy), lambda: (layer(x), layer.backward(dy)))}
    if torch is not None:
        pool = getattr(torch.nn.functional, f"{kind}_pool2d")
        tx = torch.from_numpy(x).requires_grad_()
        tdy = torch.from_numpy(dy)
        ty = pool(tx, k, s, pad)

        def t_bwd():
            tx.grad = None
            ty.backward(tdy, retain_graph=True)

        def t_both():
            out = pool(tx, k, s, pad)
            tx.grad = None
            out.backward(tdy)
            return out.detach().numpy(), tx.grad.numpy()

        impls["pytorch"] = (lambda: pool(tx, k, s, pad), t_bwd, t_both)
    return impls


def run_case(np, torch, nn, case, kind, args):
    name, shape, k, s, pad = case
    rng = np.random.default_rng(sum(shape) + k)
    x = rng.standard_normal(shape).astype(args.dtype)
    dy = rng.standard_normal(np.asarray(nn.MaxPool2d(k, s, pad)(x)).shape).astype(args.dtype)
    impls = make_impls(np, torch, nn, kind, x, k, s, pad, dy)
    err = None
    if "pytorch" in impls:
        (y0, dx0), (y1, dx1) = impls["cnnedu"][2](), impls["pytorch"][2]()
        err = max(float(np.abs(a - b).max() / max(1.0, float(np.abs(b).max()))) for a, b in ((y0, y1), (dx0, dx1)))
    number = {impl: (C.calls_per_sample(f, args.min_time), C.calls_per_sample(b, args.min_time))
              for impl, (f, b, _) in impls.items()}
    samples = {impl: ([], []) for impl in impls}
    order = list(impls)
    for r in range(args.repeats):
        gc.collect()
        for impl in (order if r % 2 == 0 else order[::-1]):
            f, b, _ = impls[impl]
            samples[impl][0].append(C.sample(f, number[impl][0]))
            samples[impl][1].append(C.sample(b, number[impl][1]))
    res = {"name": name, "kind": kind, "shape": list(shape), "kernel": k, "stride": s, "padding": pad,
           "max_rel_err_vs_pytorch": err, "impls": {}}
    for impl, (fs, bs) in samples.items():
        res["impls"][impl] = {"forward_s": C.median(fs), "backward_s": C.median(bs),
                              "total_s": C.median(fs) + C.median(bs), "forward_samples_s": fs,
                              "backward_samples_s": bs, "calls_per_sample": list(number[impl])}
    t = {i: v["total_s"] for i, v in res["impls"].items()}
    res["ratio"] = t["cnnedu"] / t["pytorch"] if "pytorch" in t else None
    res["target"] = C.verdict(res["ratio"], TARGET_VS_TORCH)
    # moved bytes, forward: read x, write y (and the int64 indices for max); backward: read dy
    # (and indices), write dx.  A floor for the time at memory speed, for the notes.
    itemsize = np.dtype(args.dtype).itemsize
    n_in, n_out = int(np.prod(shape)), int(dy.size)
    idx = 8 * n_out if kind == "max" else 0
    res["bytes_forward"] = (n_in + n_out) * itemsize + idx
    res["bytes_backward"] = (n_in + n_out) * itemsize + idx
    return res


def ms(sec):
    return f"{sec * 1e3:.3f}" if sec < 0.01 else f"{sec * 1e3:.2f}"


def main(argv=None):
    args = parse_args(argv)
    C.set_thread_env(args.threads)
    import numpy as np

    torch, _limiter = C.pin_threads(args.threads, not args.no_torch)
    from cnnedu import nn

    info = C.machine_info(torch)
    cases = CASES if not args.cases else [CASES[int(i) - 1] for i in args.cases.split(",")]
    bullet = "- " if args.markdown else "# "
    print(f"{bullet}pooling forward+backward, cnnedu (nn layers) vs PyTorch; dtype {args.dtype}, "
          f"median of {args.repeats}, >= {args.min_time:g} s of calls per sample, interleaved")
    for line in C.machine_lines(info):
        print(bullet + line)
    sys.stdout.flush()

    results = []
    for case in cases:
        for kind in KINDS:
            results.append(run_case(np, torch, nn, case, kind, args))

    head = ["case", "kind", "cnnedu fwd ms", "cnnedu bwd ms", "cnnedu ms", "pytorch fwd ms", "pytorch bwd ms",
            "pytorch ms", "cnnedu / pytorch", f"<= {TARGET_VS_TORCH:g}x"]
    rows = []
    ok = True
    for r in results:
        c, t = r["impls"]["cnnedu"], r["impls"].get("pytorch")
        label = f"{r['name']} {tuple(r['shape'])} k{r['kernel']} s{r['stride']} p{r['padding']}"
        bad = r["max_rel_err_vs_pytorch"] is not None and r["max_rel_err_vs_pytorch"] > 1e-4
        ok = ok and not bad
        rows.append([label, r["kind"] + (" (MISMATCH)" if bad else ""), ms(c["forward_s"]), ms(c["backward_s"]),
                     ms(c["total_s"]), *(["n/a"] * 3 if t is None else
                                        [ms(t["forward_s"]), ms(t["backward_s"]), ms(t["total_s"])]),
                     "n/a" if r["ratio"] is None else f"{r['ratio']:.2f}x", r["target"]])
    print()
    print(C.render(head, rows, args.markdown))
    end_load = C.loadavg()
    print()
    print(f"{'- ' if args.markdown else ''}load average at end: {end_load}; max relative difference to PyTorch: "
          + ", ".join(f"{e:.1e}" for e in (r["max_rel_err_vs_pytorch"] for r in results) if e is not None))
    if args.json:
        info["loadavg_end"] = end_load
        with open(args.json, "w") as f:
            json.dump({"benchmark": "pool", "machine": info, "args": vars(args), "results": results,
                       "target_vs_torch": TARGET_VS_TORCH}, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
