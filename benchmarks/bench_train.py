#!/usr/bin/env python
"""Time one LeNet-5 training epoch: cnnedu (``cnnedu.train.fit``) vs PyTorch, in the same run.

The epoch: the 4,000 training digits of the offline MNIST subset, padded to 32x32,
shuffled, in mini-batches of 64 (63 batches, the last one of 32), Adam (lr 1e-3),
cross-entropy loss; no evaluation.  The two implementations train the same
architecture,

    Conv2d(1, 6, 5) ReLU MaxPool2d(2) Conv2d(6, 16, 5) ReLU MaxPool2d(2) Flatten
    Linear(400, 120) ReLU Linear(120, 84) ReLU Linear(84, 10)

(``cnnedu.models.lenet5`` and its ``torch.nn`` twin defined here), in float32 with the
same starting weights:

* ``cnnedu``  -- ``cnnedu.train.fit(..., epochs=1, progress=False)``: the library's own
  training loop, including its divergence guard (a copy of the weights per step);
* ``pytorch`` -- the usual loop: ``zero_grad``, forward, ``CrossEntropyLoss``,
  ``loss.backward()``, ``optimizer.step()`` on tensors indexed from one array.

Threads: both use ``--threads`` (default 2).  OMP_NUM_THREADS, OPENBLAS_NUM_THREADS,
MKL_NUM_THREADS and NUMBA_NUM_THREADS are set before numpy is imported, then
``threadpoolctl`` (if installed), ``numba.set_num_threads`` and ``torch.set_num_threads``
pin them again.

Method: one warm-up epoch each (Numba compilation and first-call costs excluded), then
``--repeats`` epochs each, interleaved (cnnedu, pytorch, pytorch, cnnedu, ...) so both
share the machine's noise; the report is the median epoch time.  The target, "cnnedu's
epoch no slower than PyTorch's" (ratio <= 1.0), is reported as PASS or MISS; the exit code is 0 (1 only
if the two networks' outputs disagree on a batch, checked before timing).

``--profile`` adds where cnnedu's epoch time goes: each layer's forward and backward,
the loss, ``zero_grad``, the optimiser step, the divergence guard and the batch indexing,
summed over one epoch (a manual copy of ``fit``'s loop with timers around each call).

``--serial-pooling-too`` adds a third contestant to the interleaving: cnnedu with its
pooling kept on the calling thread (``cnnedu.functional.pooling.PARALLEL_MIN_WORK``
raised past every layer), to check that pooling's threads do not fight BLAS's.

On a shared machine (load average above the number of cores) two threads per library
can make *both* epochs 5-20x slower than one thread, and the ratio meaningless; the
script warns, and ``--threads 1`` gives the comparison that still means something.

Examples::

    python benchmarks/bench_train.py                 # 5 epochs each, 2 threads
    python benchmarks/bench_train.py --threads 1     # on a busy machine
    python benchmarks/bench_train.py --quick         # 2 epochs each
    python benchmarks/bench_train.py --profile       # plus the per-layer breakdown
    python benchmarks/bench_train.py --json out.json # the numbers, for run_all.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")

#: cnnedu's epoch time may be at most this multiple of PyTorch's (a report, never an assertion).
TARGET_VS_TORCH = 1.0
BATCH_SIZE = 64
LR = 1e-3


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2, help="threads for Numba, BLAS and PyTorch (default 2)")
    p.add_argument("--repeats", type=int, default=5, help="timed epochs per implementation (default 5)")
    p.add_argument("--quick", action="store_true", help="2 timed epochs each")
    p.add_argument("--profile", action="store_true", help="break cnnedu's epoch time down by layer")
    p.add_argument("--no-torch", action="store_true", help="time cnnedu only")
    p.add_argument("--serial-pooling-too", action="store_true",
                   help="also time cnnedu with pooling on the calling thread only (interleaved)")
    p.add_argument("--json", metavar="PATH", help="save the numbers as JSON")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.quick:
        args.repeats = 2
    if args.threads < 1 or args.repeats < 1:
        p.error("--threads and --repeats must be >= 1")
    return args


ARGS = parse_args()
for _var in THREAD_ENV_VARS:          # before numpy, numba or torch start their pools
    os.environ[_var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import numba  # noqa: E402

from cnnedu import nn, optim  # noqa: E402
from cnnedu.models import lenet5  # noqa: E402
from cnnedu.data import load_mnist  # noqa: E402
from cnnedu.train import fit  # noqa: E402

try:
    import torch
except ImportError:  # the benchmark still times cnnedu alone
    torch = None


# --------------------------------------------------------------------------- models


def cnnedu_lenet5(seed: int):
    """cnnedu's LeNet-5 from the model zoo (float32, He-normal weights from ``seed``)."""
    return lenet5(rng=seed)


def torch_lenet5(state_dict):
    """The same architecture in torch.nn, with cnnedu's starting weights."""
    tnn = torch.nn
    net = tnn.Sequential(
        tnn.Conv2d(1, 6, 5), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(400, 120), tnn.ReLU(),
        tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10),
    )
    # Same parameters in the same order (names differ: "conv1.weight" vs "0.weight").
    ours = list(state_dict.values())
    theirs = net.state_dict()
    if [tuple(v.shape) for v in ours] != [tuple(v.shape) for v in theirs.values()]:
        raise RuntimeError("bench_train: the cnnedu and PyTorch LeNet-5 parameters do not match: "
                           f"{[v.shape for v in ours]} vs {[tuple(v.shape) for v in theirs.values()]}")
    net.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v, np.float32))
                         for k, v in zip(theirs, ours)})
    return net


# --------------------------------------------------------------------------- one epoch each


def cnnedu_epoch(net, opt, x, y, seed):
    start = time.perf_counter()
    fit(net, nn.CrossEntropyLoss(), opt, x, y, epochs=1, batch_size=BATCH_SIZE, seed=seed, progress=False)
    return time.perf_counter() - start


def torch_epoch(net, opt, x, y, seed):
    loss_fn = torch.nn.CrossEntropyLoss()
    start = time.perf_counter()
    net.train()
    order = torch.from_numpy(np.random.default_rng(seed).permutation(len(x)))
    for i in range(0, len(x), BATCH_SIZE):
        idx = order[i:i + BATCH_SIZE]
        opt.zero_grad()
        loss = loss_fn(net(x[idx]), y[idx])
        loss.backward()
        opt.step()
    return time.perf_counter() - start


# --------------------------------------------------------------------------- profile


def profile_epoch(net, opt, x, y, seed):
    """Seconds per part of one epoch, keyed by a readable name, in execution order."""
    loss_fn = nn.CrossEntropyLoss()
    named = list(net.named_children()) or [("model", net)]
    layers = [layer for _, layer in named]
    times: dict[str, float] = {}

    def add(key, t0):
        times[key] = times.get(key, 0.0) + time.perf_counter() - t0

    names = [f"{name} {layer.describe()}" for name, layer in named]
    order = np.random.default_rng(seed).permutation(len(x))
    params = list(net.parameters())
    net.train()
    start = time.perf_counter()
    for i in range(0, len(x), BATCH_SIZE):
        t0 = time.perf_counter()
        idx = order[i:i + BATCH_SIZE]
        xb, yb = x[idx], y[idx]
        add("batch indexing", t0)
        t0 = time.perf_counter()
        opt.zero_grad()
        add("zero_grad", t0)
        h = xb
        for name, layer in zip(names, layers):
            t0 = time.perf_counter()
            h = layer(h)
            add(f"{name} forward", t0)
        t0 = time.perf_counter()
        loss_fn(h, yb)
        dy = loss_fn.backward()
        add("loss forward+backward", t0)
        for name, layer in reversed(list(zip(names, layers))):
            t0 = time.perf_counter()
            dy = layer.backward(dy)
            add(f"{name} backward", t0)
        t0 = time.perf_counter()
        np.isfinite(h).all()
        all(np.isfinite(p.grad).all() for p in params)
        net.state_dict()
        add("divergence guard (isfinite + state_dict copy)", t0)
        t0 = time.perf_counter()
        opt.step()
        add("optimizer step (Adam)", t0)
    return times, time.perf_counter() - start


def print_profile(times, total):
    print(f"\nWhere cnnedu's epoch goes (one epoch, {total * 1000:.0f} ms measured):")
    grouped: dict[str, float] = {}
    for key, t in times.items():
        layer_pass = key.endswith((" forward", " backward")) and "(" in key
        kind = key.rsplit(" ", 1)[-1] if layer_pass else key
        grouped[kind] = grouped.get(kind, 0.0) + t
    width = max(map(len, times)) + 2
    for key, t in sorted(times.items(), key=lambda kv: -kv[1]):
        if t / total >= 0.002:
            print(f"  {key:<{width}} {t * 1000:8.1f} ms  {100 * t / total:5.1f}%")
    rest = sum(t for t in times.values() if t / total < 0.002)
    print(f"  {'(everything below 0.2% each)':<{width}} {rest * 1000:8.1f} ms  {100 * rest / total:5.1f}%")
    print(f"  layers forward {grouped.get('forward', 0) * 1000:.0f} ms, layers backward "
          f"{grouped.get('backward', 0) * 1000:.0f} ms")


# --------------------------------------------------------------------------- main


def pin_threads(n):
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(n)
    except ImportError:
        pass
    numba.set_num_threads(n)
    if torch is not None:
        torch.set_num_threads(n)


def main():
    args = ARGS
    pin_threads(args.threads)
    (x, y), _ = load_mnist("subset", pad_to=32)
    net = cnnedu_lenet5(args.seed)
    state = net.state_dict()
    opt = optim.Adam(net.parameters(), lr=LR)
    use_torch = torch is not None and not args.no_torch

    print("LeNet-5, one training epoch: 4,000 MNIST-subset digits (32x32), batch 64, Adam lr 1e-3")
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"  python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}"
          + (f", torch {torch.__version__}" if torch is not None else ", torch not installed"))
    print(f"  threads: numba {numba.get_num_threads()}"
          + (f", torch {torch.get_num_threads()}" if torch is not None else "")
          + f"; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    if load[0] > (os.cpu_count() or 1):
        print("  warning: the machine is busy; the times below are slower and noisier than on an idle one")
        if args.threads > 1:
            print("  warning: on a busy machine, several threads per library fight over the cores (both\n"
                  "           cnnedu and PyTorch can be 10x slower than on one thread): compare --threads 1")

    if use_torch:
        tnet = torch_lenet5(state)
        topt = torch.optim.Adam(tnet.parameters(), lr=LR)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        # same network, same weights: the outputs must agree before timing means anything
        with torch.no_grad():
            theirs_out = tnet(tx[:BATCH_SIZE]).numpy()
        net.eval()
        ours_out = net(x[:BATCH_SIZE])
        net.train()
        err = float(np.abs(ours_out - theirs_out).max())
        if not np.allclose(ours_out, theirs_out, rtol=1e-3, atol=1e-4):
            print(f"  ERROR: cnnedu and PyTorch LeNet-5 outputs differ (max |diff| {err:.2e})")
            return 1
        print(f"  cnnedu and PyTorch outputs agree on a batch (max |diff| {err:.1e})")

    # warm-up (Numba's compilation or cache load, PyTorch's first calls)
    cnnedu_epoch(net, opt, x, y, seed=args.seed)
    if use_torch:
        torch_epoch(tnet, topt, tx, ty, seed=args.seed)

    from cnnedu.functional import pooling
    parallel_min = pooling.PARALLEL_MIN_WORK

    def serial_pooling_epoch(s):
        pooling.PARALLEL_MIN_WORK = 1 << 62          # every pooling on the calling thread
        try:
            return cnnedu_epoch(net, opt, x, y, s)
        finally:
            pooling.PARALLEL_MIN_WORK = parallel_min

    if args.serial_pooling_too:
        serial_pooling_epoch(args.seed)
    times = {"cnnedu": []}
    runs = [("cnnedu", lambda s: cnnedu_epoch(net, opt, x, y, s))]
    if args.serial_pooling_too:
        times["cnnedu, serial pooling"] = []
        runs.append(("cnnedu, serial pooling", serial_pooling_epoch))
    if use_torch:
        times["pytorch"] = []
        runs.append(("pytorch", lambda s: torch_epoch(tnet, topt, tx, ty, s)))
    for r in range(args.repeats):
        for name, run in (runs if r % 2 == 0 else runs[::-1]):
            times[name].append(run(args.seed + 1 + r))

    medians = {name: float(np.median(ts)) for name, ts in times.items()}
    print()
    for name, ts in times.items():
        print(f"  {name:<23} {1000 * medians[name]:7.0f} ms per epoch  (median of {len(ts)}: "
              + ", ".join(f"{1000 * t:.0f}" for t in ts) + ")")
    ratio = verdict = None
    if use_torch:
        ratio = medians["cnnedu"] / medians["pytorch"]
        verdict = "PASS" if ratio <= TARGET_VS_TORCH else "MISS"
        print(f"  cnnedu / pytorch = {ratio:.2f}x   target <= {TARGET_VS_TORCH:g}x: {verdict}")
        if args.serial_pooling_too:
            print(f"  cnnedu with serial pooling / pytorch = "
                  f"{medians['cnnedu, serial pooling'] / medians['pytorch']:.2f}x")
    else:
        print("  pytorch  skipped" + (" (--no-torch)" if args.no_torch else " (torch is not installed)"))
    end_load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"  load average at end: {end_load[0]:.2f} {end_load[1]:.2f} {end_load[2]:.2f}")

    profile = None
    if args.profile:
        profile_epoch(net, opt, x, y, args.seed)          # once to settle, once to report
        parts, total = profile_epoch(net, opt, x, y, args.seed + 100)
        print_profile(parts, total)
        profile = {"total_s": total, "parts_s": parts}
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"benchmark": "train", "threads": args.threads, "repeats": args.repeats,
                       "epoch_s": times, "median_s": medians, "ratio": ratio, "target": verdict,
                       "target_vs_torch": TARGET_VS_TORCH, "profile": profile,
                       "loadavg_start": list(load), "loadavg_end": list(end_load),
                       "versions": {"python": platform.python_version(), "numpy": np.__version__,
                                    "numba": numba.__version__,
                                    "torch": getattr(torch, "__version__", None)}}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
