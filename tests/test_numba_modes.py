"""cnnedu.functional under the ways Numba can be run.

(a) ``NUMBA_DISABLE_JIT=1`` (the kernels run as plain Python, as when debugging
    a notebook) gives the same results as the compiled kernels;
(b) a read-only installation works, caching compiled kernels in
    ``NUMBA_CACHE_DIR``;
(c) each kernel compiles at most once per dtype (float32, float64): changing
    shapes, strides, paddings or memory layouts (a slider in a widget) never
    triggers a recompilation.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import cnnedu
import cnnedu.functional as F

PACKAGE_DIR = Path(cnnedu.__file__).resolve().parent

# The computation run both here and in the subprocesses.  It reads its inputs
# from an .npz file and writes every result to another.
COMPUTE = textwrap.dedent("""
    import sys
    import numpy as np
    import cnnedu.functional as F

    def compute(d):
        x, w, b, xt, wt = d["x"], d["w"], d["b"], d["xt"], d["wt"]
        out = {}
        z = F.conv2d(x, w, b, stride=2, padding="same", dilation=(1, 2))
        out["conv2d"] = z
        dx, dw, db = F.conv2d_backward(d["dz"], x, w, stride=2, padding="same", dilation=(1, 2))
        out["conv2d_dx"], out["conv2d_dw"], out["conv2d_db"] = dx, dw, db
        out["conv2d_groups"] = F.conv2d(x, w[:, :1], groups=3, padding=((0, 2), 1))
        out["conv_transpose2d"] = F.conv_transpose2d(xt, wt, stride=2, padding=1, output_padding=1)
        out["conv1d"] = F.conv1d(x[:, :, 0], w[:, :, 0], b, stride=2, padding=(2, 0))
        out["max_pool2d"] = F.max_pool2d(x, 3, 2, 1)
        out["max_pool2d_dx"] = F.max_pool2d_backward(d["dp"], x, 3, 2, 1)
        out["avg_pool2d"] = F.avg_pool2d(x, 3, 2, 1)
        out["avg_pool2d_dx"] = F.avg_pool2d_backward(d["dp"], x, 3, 2, 1)
        out["lp_pool2d"] = F.lp_pool2d(x, 2.5, 2)
        out["lp_pool2d_dx"] = F.lp_pool2d_backward(d["dl"], x, 2.5, 2)
        out["x32_conv2d"] = F.conv2d(x.astype(np.float32), w.astype(np.float32), stride=2)
        out["x32_max_pool2d"] = F.max_pool2d(x.astype(np.float32), 2)
        return out
""")


def make_inputs(path: Path) -> dict:
    rng = np.random.default_rng(11)
    d = {
        "x": rng.standard_normal((2, 3, 7, 8)),
        "w": rng.standard_normal((6, 3, 3, 2)),
        "b": rng.standard_normal(6),
        "xt": rng.standard_normal((2, 6, 3, 4)),
        "wt": rng.standard_normal((6, 2, 3, 3)),
        "dz": rng.standard_normal((2, 6, 4, 4)),
        "dp": rng.standard_normal((2, 3, 4, 4)),
        "dl": rng.standard_normal((2, 3, 3, 4)),
    }
    np.savez(path, **d)
    return d


def compute_here(d: dict) -> dict:
    namespace: dict = {}
    exec(COMPUTE, namespace)
    return namespace["compute"](d)


def run_subprocess(inputs: Path, outputs: Path, env: dict, cwd: Path, prelude: str = "",
                   prefix: tuple = ()) -> str:
    script = COMPUTE + prelude + textwrap.dedent(f"""
        d = dict(np.load({str(inputs)!r}))
        np.savez({str(outputs)!r}, **compute(d))
        print("done")
    """)
    proc = subprocess.run([*prefix, sys.executable, "-c", script], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=540)
    assert proc.returncode == 0, f"subprocess failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc.stdout


def assert_same_results(got: dict, expected: dict):
    assert set(got) == set(expected)
    for key in expected:
        e, g = expected[key], got[key]
        assert g.shape == e.shape and g.dtype == e.dtype, key
        tol = 1e-5 if e.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(g, e, rtol=tol, atol=tol * max(1.0, float(np.abs(e).max())), err_msg=key)


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(extra)
    return env


def test_compute_is_not_trivial(tmp_path):
    """The shared computation really exercises the kernels (guards the two tests below)."""
    out = compute_here(make_inputs(tmp_path / "in.npz"))
    assert out["conv2d"].shape == (2, 6, 4, 4)
    assert out["conv_transpose2d"].shape == (2, 2, 6, 8)
    for key, value in out.items():
        assert np.isfinite(value).all() and np.abs(value).max() > 0, key
    assert out["x32_conv2d"].dtype == np.float32


# ---------------------------------------------------------------------------
# (a) NUMBA_DISABLE_JIT=1
# ---------------------------------------------------------------------------

@pytest.mark.slow
def test_disable_jit_gives_the_same_results(tmp_path):
    d = make_inputs(tmp_path / "in.npz")
    expected = compute_here(d)
    prelude = textwrap.dedent("""
        import numba
        from cnnedu.functional import _im2col, pooling
        assert numba.config.DISABLE_JIT
        # the kernels really are plain Python now: nothing to compile, no signatures
        for kernel in (_im2col.im2col, _im2col.col2im, pooling._max_pool, pooling._lp_pool):
            assert not getattr(kernel, "signatures", []), kernel
    """)
    run_subprocess(tmp_path / "in.npz", tmp_path / "out.npz", clean_env(NUMBA_DISABLE_JIT="1"), tmp_path,
                   prelude)
    got = dict(np.load(tmp_path / "out.npz"))
    assert_same_results(got, expected)


# ---------------------------------------------------------------------------
# (b) read-only installation, cache in NUMBA_CACHE_DIR
# ---------------------------------------------------------------------------

def _make_writable(path: Path):
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            p = Path(root, name)
            if not p.is_symlink():
                p.chmod(p.stat().st_mode | stat.S_IWUSR)
    path.chmod(path.stat().st_mode | stat.S_IWUSR)


@pytest.fixture
def read_only_install(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    shutil.copytree(PACKAGE_DIR, site / "cnnedu",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc"))
    subprocess.run(["chmod", "-R", "a-w", str(site)], check=True)
    try:
        yield site
    finally:
        _make_writable(site)


# root ignores file permissions; drop the capabilities that let it, so the copy is really read-only
_CAPS = "-dac_override,-dac_read_search,-fowner"
AS_UNPRIVILEGED = (("setpriv", f"--inh-caps={_CAPS}", f"--bounding-set={_CAPS}")
                   if os.geteuid() == 0 and shutil.which("setpriv") else ())


@pytest.mark.slow
def test_read_only_install_caches_in_numba_cache_dir(tmp_path, read_only_install):
    site = read_only_install
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    d = make_inputs(tmp_path / "in.npz")
    expected = compute_here(d)
    env = clean_env(PYTHONPATH=str(site), NUMBA_CACHE_DIR=str(cache))
    prelude = textwrap.dedent(f"""
        import pathlib
        import cnnedu
        assert cnnedu.__file__.startswith({str(site)!r}), cnnedu.__file__
        # the installation really is read-only for this process
        probe = pathlib.Path(cnnedu.__file__).parent / "functional" / "__pycache__"
        try:
            probe.mkdir()
        except PermissionError:
            pass
        else:
            raise AssertionError("the copied package is writable")
    """)
    if os.geteuid() == 0 and not AS_UNPRIVILEGED:
        prelude = ""  # root without setpriv: cannot make it read-only; still check where the cache goes
    for run in range(2):                         # compile and cache, then load from the cache
        run_subprocess(tmp_path / "in.npz", tmp_path / f"out{run}.npz", env, tmp_path, prelude, AS_UNPRIVILEGED)
        assert_same_results(dict(np.load(tmp_path / f"out{run}.npz")), expected)
        index = list(cache.rglob("*.nbi"))
        data = list(cache.rglob("*.nbc"))
        assert index and data, f"no Numba cache files under NUMBA_CACHE_DIR: {list(cache.rglob('*'))}"
        assert any("im2col" in p.name for p in index) and any("max_pool" in p.name for p in index)
    # nothing was written into the installed package
    written = [p for p in (site / "cnnedu").rglob("*") if p.suffix in (".nbi", ".nbc", ".pyc")]
    assert not written, written


# ---------------------------------------------------------------------------
# (c) one compilation per dtype
# ---------------------------------------------------------------------------

def _dispatchers():
    """Every Numba dispatcher in cnnedu.functional's modules, by qualified name."""
    from numba.core.dispatcher import Dispatcher
    import cnnedu.functional._im2col as im2col_mod
    import cnnedu.functional.convolution as conv_mod
    import cnnedu.functional.pooling as pool_mod
    import cnnedu.functional.resampling as res_mod
    found = {}
    for mod in (im2col_mod, conv_mod, pool_mod, res_mod):
        for name, obj in vars(mod).items():
            if isinstance(obj, Dispatcher) and obj.__module__ == mod.__name__:
                found[f"{mod.__name__.rsplit('.', 1)[1]}.{name}"] = obj
    return found


EXPECTED_KERNELS = ["_im2col.im2col", "_im2col.col2im", "pooling._max_pool", "pooling._max_pool_backward",
                    "pooling._avg_pool", "pooling._avg_pool_backward", "pooling._lp_pool",
                    "pooling._lp_pool_backward"]


def _layouts(a):
    big = np.zeros(a.shape[:-2] + (2 * a.shape[-2], 2 * a.shape[-1]), a.dtype) if a.ndim >= 2 else None
    out = [a]
    if big is not None:
        big[..., ::2, ::2] = a
        out.append(big[..., ::2, ::2])
    out.append(np.asfortranarray(a))
    ro = a.copy()
    ro.setflags(write=False)
    out.append(ro)
    out.append(np.flip(np.flip(a, -1).copy(), -1))
    return out


def test_each_kernel_compiles_once_per_dtype():
    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.float32):
        for n, c, h, wd in [(1, 1, 5, 5), (2, 3, 9, 7), (0, 2, 6, 6)]:
            x = rng.standard_normal((n, c, h, wd)).astype(dtype)
            layouts = _layouts(x)
            # slider moves: kernel, stride, padding, dilation
            for i, (k, s, p, d) in enumerate([(3, 1, 0, 1), (3, 2, "same", 1), (2, 3, ((0, 1), (2, 0)), 2),
                                              (1, 1, "full", 1), ((3, 1), (1, 2), 1, (1, 2))]):
                w = rng.standard_normal((4, c) + ((k, k) if isinstance(k, int) else k)).astype(dtype)
                xa = layouts[i % len(layouts)]
                for wa in _layouts(w):
                    z = F.conv2d(xa, wa, None, s, p, d)
                    F.conv2d_backward(np.ones(z.shape, dtype), xa, wa, s, p, d)
                    F.conv_transpose2d(z, wa, stride=s, dilation=d)
                F.conv1d(xa[:, :, 0], w[:, :, 0], stride=2, padding=(1, 0))
            for i, (k, s, p) in enumerate([(2, None, 0), (3, 2, 1), ((2, 3), 1, "same"), (1, 2, 0)]):
                for xa in layouts[i % 2::2]:
                    for kind in ("max", "avg"):
                        y = getattr(F, f"{kind}_pool2d")(xa, k, s, p)
                        getattr(F, f"{kind}_pool2d_backward")(np.ones(y.shape, dtype), xa, k, s, p)
                    y = F.lp_pool2d(xa, 2 if s is None else 3.5, k, s)
                    F.lp_pool2d_backward(np.ones(y.shape, dtype), xa, 2 if s is None else 3.5, k, s)
                    F.max_pool1d(xa[:, :, 0], 2)
                    F.lp_pool1d(np.abs(xa[:, :, 0]), 1, 2)
                    F.avg_pool1d_backward(np.ones((n, c, wd // 2), dtype), xa[:, :, 0], 2)
    # int, bool and mixed inputs are converted to float64 before any kernel
    F.conv2d(np.ones((1, 1, 4, 4), int), np.ones((1, 1, 2, 2), bool), np.ones(1, np.float32))
    F.max_pool2d(np.ones((1, 1, 4, 4), np.float16), 2)
    F.lp_pool2d(np.ones((1, 1, 4, 4), np.int32), 2, 2)

    kernels = _dispatchers()
    assert set(EXPECTED_KERNELS) <= set(kernels), sorted(kernels)
    for name, disp in kernels.items():
        sigs = disp.signatures
        if name in EXPECTED_KERNELS:
            assert sigs, f"{name} was never called: the test does not exercise it"
        assert len(sigs) <= 2, f"{name} compiled {len(sigs)} times: {sigs}"
        # and the two are the float32 and float64 versions on C-contiguous, writeable arrays
        for sig in sigs:
            for t in sig:
                if hasattr(t, "layout"):
                    assert t.layout == "C" and t.mutable, f"{name}: {sig}"
        array_dtypes = {str(t.dtype) for sig in sigs for t in sig if hasattr(t, "dtype") and hasattr(t, "layout")}
        assert array_dtypes <= {"float32", "float64", "int64"}, f"{name}: {sigs}"


# ---------------------------------------------------------------------------
# (d) concurrent calls from several Python threads (e.g. widget callbacks)
# ---------------------------------------------------------------------------

def test_concurrent_calls_from_threads_are_correct():
    """Scratch buffers are per thread and the parallel kernels are thread-safe: calls
    from several threads at once give the single-threaded answers.  Run in a
    subprocess, because an unsafe threading layer aborts the whole process."""
    script = textwrap.dedent("""
        import threading
        import numpy as np
        import cnnedu.functional as F

        rng = np.random.default_rng(0)
        jobs = []
        for i in range(8):
            dt = np.float32 if i % 2 else np.float64
            x = rng.standard_normal((3 + i % 3, 4, 20 + i, 18)).astype(dt)
            w = rng.standard_normal((5, 4, 3, 3)).astype(dt)
            jobs.append((x, w, 1 + i % 2))
        def work(x, w, s):
            z = F.conv2d(x, w, stride=s, padding="same")
            g = F.conv2d_backward(np.ones_like(z), x, w, stride=s, padding="same")
            y = F.max_pool2d(x, 2)
            return [z, *g, y, F.avg_pool2d_backward(np.ones_like(y), x, 2)]
        expected = [work(*j) for j in jobs]
        results = [None] * len(jobs)
        errors = []
        def run(i):
            try:
                for _ in range(5):
                    out = work(*jobs[i])
                    for a, b in zip(out, expected[i]):
                        tol = 1e-5 if a.dtype == np.float32 else 1e-12
                        if a.shape != b.shape or not np.allclose(a, b, rtol=tol, atol=tol * np.abs(b).max()):
                            errors.append((i, "mismatch"))
                results[i] = True
            except BaseException as e:
                errors.append((i, repr(e)))
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        assert all(results)
        print("ok")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env=clean_env())
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stdout[-2000:] + proc.stderr[-3000:]
