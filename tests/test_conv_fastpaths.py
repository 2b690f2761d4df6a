"""Every fast path of cnnedu.functional's convolutions against independent oracles.

The convolutions choose, per call, between several implementations (see
cnnedu/functional/convolution.py):

* im2col + BLAS with *wide* column rows (one contiguous copy per tap) or *narrow*
  ones (row by row, when the wide rows would waste too much);
* direct kernels when every filter sees one input map (depthwise, C_in = 1);
* a plain matrix product for 1x1 kernels with stride 1 and no padding;
* the batch split over threads (BLAS single-threaded inside) or not;
* positions processed in cache-sized chunks, which may cut rows and samples.

Each test forces a combination with :func:`forced` and compares against the
lecture's loops (cnnedu.reference), PyTorch, numerical gradients, and float64.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_reference import assert_same, conv_config, transpose_config
from threadpoolctl import threadpool_limits

import cnnedu.functional as F
import cnnedu.reference as R
from cnnedu.functional import _im2col, _parallel
from cnnedu.functional import convolution as conv
from cnnedu.gradcheck import gradcheck

MODES = {
    # name: (BLAS threads, MAX_WASTE, (_CHUNK_BYTES, _MIN_CHUNK), _DIRECT_MAX_FILTERS)
    "default": (None, None, None, None),
    "serial": (1, None, None, None),
    "threads": (2, None, None, None),
    "narrow": (None, -1.0, None, None),
    "wide": (None, 1e9, None, None),
    "tiny_chunks": (2, None, (1, 3), None),
    "narrow_tiny_chunks": (1, -1.0, (1, 5), None),
    "no_direct": (None, None, None, 0),
    "always_direct": (2, None, (1, 7), 10**9),
}


@contextlib.contextmanager
def forced(mode: str):
    """Force one combination of fast paths (restores everything afterwards)."""
    threads, waste, chunk, direct = MODES[mode]
    saved = (_im2col.MAX_WASTE, conv._CHUNK_BYTES, conv._MIN_CHUNK, conv._DIRECT_MAX_FILTERS)
    limits = threadpool_limits(limits=threads, user_api="blas") if threads else contextlib.nullcontext()
    try:
        with limits:
            if waste is not None:
                _im2col.MAX_WASTE = waste
            if chunk is not None:
                conv._CHUNK_BYTES, conv._MIN_CHUNK = chunk
            if direct is not None:
                conv._DIRECT_MAX_FILTERS = direct
            _im2col.unfolding.cache_clear()
            yield
    finally:
        _im2col.MAX_WASTE, conv._CHUNK_BYTES, conv._MIN_CHUNK, conv._DIRECT_MAX_FILTERS = saved
        _im2col.unfolding.cache_clear()


def _normal(seed, shape):
    return np.random.default_rng(seed).standard_normal(shape)


# ---------------------------------------------------------------------------
# Against the lecture's loops, every mode, random geometries (hypothesis)
# ---------------------------------------------------------------------------

@settings(max_examples=40)
@given(cfg=conv_config(2), mode=st.sampled_from(sorted(MODES)), seed=st.integers(0, 2**32 - 1),
       n_batch=st.integers(0, 4))
def test_conv2d_every_mode_matches_reference(cfg, mode, seed, n_batch):
    x_shape, w_shape, kwargs, out_shape = cfg
    x_shape, out_shape = (n_batch, *x_shape[1:]), (n_batch, *out_shape[1:])
    x, w, b = _normal(seed, x_shape), _normal(seed + 1, w_shape), _normal(seed + 2, w_shape[:1])
    dy = _normal(seed + 3, out_shape)
    with forced(mode):
        z = F.conv2d(x, w, b, **kwargs)
        got = F.conv2d_backward(dy, x, w, **kwargs)
    assert_same(z, R.conv2d(x, w, b, **kwargs))
    for g, r in zip(got, R.conv2d_backward(dy, x, w, **kwargs)):
        assert_same(g, r)


@settings(max_examples=40)
@given(cfg=transpose_config(2), mode=st.sampled_from(sorted(MODES)), seed=st.integers(0, 2**32 - 1),
       n_batch=st.integers(0, 4))
def test_conv_transpose2d_every_mode_matches_reference(cfg, mode, seed, n_batch):
    x_shape, w_shape, kwargs, out_shape = cfg
    x_shape, out_shape = (n_batch, *x_shape[1:]), (n_batch, *out_shape[1:])
    x, w, b = _normal(seed, x_shape), _normal(seed + 1, w_shape), _normal(seed + 2, out_shape[1:2])
    dy = _normal(seed + 3, out_shape)
    with forced(mode):
        z = F.conv_transpose2d(x, w, b, **kwargs)
        got = F.conv_transpose2d_backward(dy, x, w, **kwargs)
    assert_same(z, R.conv_transpose2d(x, w, b, **kwargs))
    for g, r in zip(got, R.conv_transpose2d_backward(dy, x, w, **kwargs)):
        assert_same(g, r)


@settings(max_examples=20)
@given(cfg=conv_config(1), mode=st.sampled_from(sorted(MODES)), seed=st.integers(0, 2**32 - 1))
def test_conv1d_every_mode_matches_reference(cfg, mode, seed):
    x_shape, w_shape, kwargs, out_shape = cfg
    x, w = _normal(seed, x_shape), _normal(seed + 1, w_shape)
    dy = _normal(seed + 3, out_shape)
    with forced(mode):
        z = F.conv1d(x, w, **kwargs)
        got = F.conv1d_backward(dy, x, w, **kwargs)
    assert_same(z, R.conv1d(x, w, **kwargs))
    for g, r in zip(got, R.conv1d_backward(dy, x, w, **kwargs)):
        assert_same(g, r)


# ---------------------------------------------------------------------------
# Each fast path on purpose, on the shapes that select it
# ---------------------------------------------------------------------------

# name: (x shape, w shape, kwargs) -- chosen to select one path each
PATHS = {
    "pointwise": ((3, 8, 5, 7), (6, 8, 1, 1), dict()),
    "pointwise_groups": ((3, 8, 5, 7), (6, 4, 1, 1), dict(groups=2)),
    "pointwise_strided": ((3, 8, 5, 7), (6, 8, 1, 1), dict(stride=2)),      # not pointwise: stride 2
    "pointwise_padded": ((2, 4, 5, 5), (3, 4, 1, 1), dict(padding=1)),      # not pointwise: padding
    "depthwise": ((3, 6, 9, 8), (6, 1, 3, 3), dict(padding=1, groups=6)),
    "depthwise_multiplier": ((2, 3, 9, 8), (6, 1, 3, 2), dict(stride=2, padding=(1, 2), groups=3)),
    "depthwise_dilated": ((2, 4, 11, 10), (4, 1, 3, 3), dict(dilation=2, padding="same", groups=4)),
    "single_channel": ((4, 1, 12, 12), (6, 1, 5, 5), dict()),               # LeNet-5's first layer
    "single_channel_many_filters": ((2, 1, 8, 8), (12, 1, 3, 3), dict(padding=1)),   # im2col
    "narrow_rows": ((3, 2, 9, 20), (3, 2, 2, 3), dict(dilation=(1, 6))),    # wide rows would waste 3x
    "strided": ((3, 5, 11, 12), (4, 5, 3, 3), dict(stride=(2, 3), padding=1)),
    "odd": ((1, 3, 1, 17), (2, 3, 1, 4), dict(stride=2, padding=((0, 0), (3, 1)))),
}


@pytest.mark.parametrize("mode", ["default", "serial", "threads", "tiny_chunks"])
@pytest.mark.parametrize("path", sorted(PATHS))
def test_each_path_matches_reference(path, mode):
    x_shape, w_shape, kwargs = PATHS[path]
    x, w, b = _normal(1, x_shape), _normal(2, w_shape), _normal(3, w_shape[:1])
    with forced(mode):
        z = F.conv2d(x, w, b, **kwargs)
        dy = _normal(4, z.shape)
        got = F.conv2d_backward(dy, x, w, **kwargs)
    assert_same(z, R.conv2d(x, w, b, **kwargs))
    for g, r in zip(got, R.conv2d_backward(dy, x, w, **kwargs)):
        assert_same(g, r)


def test_the_paths_are_the_ones_named():
    """PATHS really select the implementation its name says (guards the test above)."""
    from cnnedu.functional._geometry import window_geometry

    def geometry(x_shape, w_shape, kwargs):
        return window_geometry("t", 2, x_shape[2:], w_shape[2:], kwargs.get("stride", (1, 1)) if
                               isinstance(kwargs.get("stride", 1), tuple) else (kwargs.get("stride", 1),) * 2,
                               kwargs.get("padding", 0),
                               kwargs.get("dilation", (1, 1)) if isinstance(kwargs.get("dilation", 1), tuple)
                               else (kwargs.get("dilation", 1),) * 2)

    assert conv._pointwise(geometry(*PATHS["pointwise"]))
    assert conv._pointwise(geometry(*PATHS["pointwise_groups"]))
    assert not conv._pointwise(geometry(*PATHS["pointwise_strided"]))
    assert not conv._pointwise(geometry(*PATHS["pointwise_padded"]))
    u = _im2col.unfolding(geometry(*PATHS["narrow_rows"]))
    assert u.runs > 1 and u.pitch < u.phase_size[1]
    u = _im2col.unfolding(geometry(*PATHS["strided"]))
    assert u.runs == 1 and u.phases == (2, 3)
    for name in ("depthwise", "depthwise_multiplier", "depthwise_dilated", "single_channel"):
        x_shape, w_shape, kwargs = PATHS[name]
        groups = kwargs.get("groups", 1)
        assert x_shape[1] == groups and w_shape[0] // groups <= conv._DIRECT_MAX_FILTERS, name
    x_shape, w_shape, _ = PATHS["single_channel_many_filters"]
    assert w_shape[0] > conv._DIRECT_MAX_FILTERS


# ---------------------------------------------------------------------------
# Against PyTorch, float32, on the benchmark's shapes (smaller batch)
# ---------------------------------------------------------------------------

TORCH_SHAPES = {
    # name: (transposed, x shape, w shape, kwargs)
    "lenet_conv1": (False, (4, 1, 32, 32), (6, 1, 5, 5), dict()),
    "lenet_conv2": (False, (4, 6, 14, 14), (16, 6, 5, 5), dict()),
    "vgg": (False, (2, 64, 32, 32), (64, 64, 3, 3), dict(padding=1)),
    "strided": (False, (2, 32, 32, 32), (64, 32, 3, 3), dict(stride=2, padding=1)),
    "depthwise": (False, (2, 64, 32, 32), (64, 1, 3, 3), dict(padding=1, groups=64)),
    "pointwise": (False, (2, 64, 16, 16), (128, 64, 1, 1), dict()),
    "transposed": (True, (2, 64, 16, 16), (64, 32, 4, 4), dict(stride=2, padding=1)),
    "transposed_depthwise": (True, (2, 16, 9, 9), (16, 1, 3, 3), dict(stride=2, groups=16, output_padding=1)),
}


def _rel(a, b):
    return float(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)).max() /
                 max(np.abs(np.asarray(b, np.float64)).max(), 1e-30))


@pytest.mark.parametrize("mode", ["default", "serial"])
@pytest.mark.parametrize("name", sorted(TORCH_SHAPES))
def test_float32_matches_pytorch_and_float64(name, mode):
    torch = pytest.importorskip("torch")
    transposed, x_shape, w_shape, kwargs = TORCH_SHAPES[name]
    x64, w64 = _normal(5, x_shape), _normal(6, w_shape) / np.sqrt(np.prod(w_shape[1:]))
    b64 = _normal(7, (w_shape[1] * kwargs.get("groups", 1),) if transposed else w_shape[:1])
    fwd, bwd = ((F.conv_transpose2d, F.conv_transpose2d_backward) if transposed
                else (F.conv2d, F.conv2d_backward))
    tfwd = torch.nn.functional.conv_transpose2d if transposed else torch.nn.functional.conv2d
    x32, w32, b32 = (a.astype(np.float32) for a in (x64, w64, b64))
    with forced(mode):
        z64, z32 = fwd(x64, w64, b64, **kwargs), fwd(x32, w32, b32, **kwargs)
        dy64 = _normal(8, z64.shape)
        dy32 = dy64.astype(np.float32)
        g64, g32 = bwd(dy64, x64, w64, **kwargs), bwd(dy32, x32, w32, **kwargs)
    assert z32.dtype == np.float32 and all(g.dtype == np.float32 for g in g32)
    # float32 within 1e-4 (relative to the largest value) of float64
    for a, e in zip((z32, *g32), (z64, *g64)):
        assert _rel(a, e) < 1e-4
    # and float64 agrees with PyTorch (float64) to rounding
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x64, w64, b64))
    zt = tfwd(xt, wt, bt, **kwargs)
    zt.backward(torch.tensor(dy64))
    for a, e in zip((z64, *g64), (zt, xt.grad, wt.grad, bt.grad)):
        assert _rel(a, e.detach().numpy()) < 1e-10


# ---------------------------------------------------------------------------
# Numerical gradients (an oracle independent of both implementations)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["default", "narrow", "always_direct"])
@pytest.mark.parametrize("path", ["pointwise", "depthwise_multiplier", "single_channel", "narrow_rows", "strided"])
def test_gradients_match_central_differences(path, mode):
    x_shape, w_shape, kwargs = PATHS[path]
    x_shape = (min(x_shape[0], 2), *x_shape[1:])
    x, w = _normal(9, x_shape), _normal(10, w_shape)
    with forced(mode):
        z = F.conv2d(x, w, **kwargs)
        dy = _normal(11, z.shape)
        dx, dw, _ = F.conv2d_backward(dy, x, w, **kwargs)
        result = gradcheck(lambda a, v: F.conv2d(a, v, **kwargs), (x, w), (dx, dw), dy=dy)
    assert result, result


# ---------------------------------------------------------------------------
# Layouts, empty batches, determinism, threads
# ---------------------------------------------------------------------------

def _layouts(a):
    big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
    big[..., ::2] = a
    ro = a.copy()
    ro.setflags(write=False)
    return {"C": a, "strided": big[..., ::2], "F": np.asfortranarray(a), "read-only": ro,
            "negative strides": np.flip(np.flip(a, -1).copy(), -1)}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_every_layout_gives_the_same_answer(path):
    x_shape, w_shape, kwargs = PATHS[path]
    x, w = _normal(12, x_shape).astype(np.float32), _normal(13, w_shape).astype(np.float32)
    z = F.conv2d(x, w, **kwargs)
    dy = _normal(14, z.shape).astype(np.float32)
    want = F.conv2d_backward(dy, x, w, **kwargs)
    for label, xa in _layouts(x).items():
        for wa in _layouts(w).values():
            np.testing.assert_array_equal(F.conv2d(xa, wa, **kwargs), z, err_msg=label)
        for da in _layouts(dy).values():
            for g, e in zip(F.conv2d_backward(da, xa, w, **kwargs), want):
                np.testing.assert_array_equal(g, e, err_msg=label)
    assert x.flags.writeable and np.array_equal(x, _normal(12, x_shape).astype(np.float32))  # inputs untouched


@pytest.mark.parametrize("path", sorted(PATHS))
def test_empty_batch(path):
    x_shape, w_shape, kwargs = PATHS[path]
    x, w = np.zeros((0, *x_shape[1:])), _normal(15, w_shape)
    z = F.conv2d(x, w, **kwargs)
    want = R.conv2d(x[:0], w, **kwargs)
    assert z.shape == want.shape
    dx, dw, db = F.conv2d_backward(np.zeros(z.shape), x, w, **kwargs)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == w_shape[:1]
    assert not dw.any() and not db.any()
    zt = F.conv_transpose2d(z, w, **{k: v for k, v in kwargs.items() if k != "padding" or isinstance(v, int)})
    assert zt.shape[0] == 0


@pytest.mark.parametrize("path", ["depthwise", "strided", "single_channel", "pointwise"])
def test_results_do_not_depend_on_timing(path):
    """Each thread writes its own slice; dw is summed in a fixed order: repeated calls agree bit for bit."""
    x_shape, w_shape, kwargs = PATHS[path]
    x, w = _normal(16, (7, *x_shape[1:])).astype(np.float32), _normal(17, w_shape).astype(np.float32)
    with forced("threads"):
        z = F.conv2d(x, w, **kwargs)
        dy = _normal(18, z.shape).astype(np.float32)
        first = F.conv2d_backward(dy, x, w, **kwargs)
        for _ in range(5):
            np.testing.assert_array_equal(F.conv2d(x, w, **kwargs), z)
            for g, e in zip(F.conv2d_backward(dy, x, w, **kwargs), first):
                np.testing.assert_array_equal(g, e)


def test_blas_thread_count_is_restored_and_followed():
    """A convolution leaves BLAS's thread count as it found it, and uses no more threads than BLAS may."""
    x, w = _normal(19, (6, 4, 10, 10)), _normal(20, (5, 4, 3, 3))
    libs = _parallel._blas_controllers()
    if not libs:
        pytest.skip("no BLAS library visible to threadpoolctl")
    before = [lib.get_num_threads() for lib in libs]
    F.conv2d_backward(F.conv2d(x, w), x, w)
    assert [lib.get_num_threads() for lib in libs] == before
    with threadpool_limits(limits=1, user_api="blas"):
        assert _parallel.thread_count() == 1
        seen = []
        _parallel.split_batch(10, lambda lo, hi: seen.append((lo, hi)))
        assert seen == [(0, 10)]


def test_split_batch_covers_the_batch_in_order():
    with threadpool_limits(limits=2, user_api="blas"):
        k = _parallel.thread_count()
        for n in (0, 1, 2, 3, 17):
            parts = _parallel.split_batch(n, lambda lo, hi: (lo, hi))
            assert parts[0][0] == 0 and parts[-1][1] == n
            assert all(a[1] == b[0] for a, b in zip(parts, parts[1:]))
            assert len(parts) == max(1, min(k, n))


def test_split_batch_waits_for_every_slice_when_one_fails():
    import threading
    import time

    done = threading.Event()

    def work(lo, hi):
        if lo == 0:
            raise RuntimeError("boom")
        time.sleep(0.05)
        done.set()
        return lo

    with threadpool_limits(limits=2, user_api="blas"):
        if _parallel.thread_count() < 2:
            pytest.skip("needs two CPUs")
        with pytest.raises(RuntimeError, match="boom"):
            _parallel.split_batch(4, work)
        assert done.is_set()


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_works_in_a_forked_child():
    """The worker thread does not survive fork(); the child makes a new pool instead of waiting forever."""
    script = textwrap.dedent("""
        import multiprocessing as mp
        import numpy as np
        import cnnedu.functional as F
        from threadpoolctl import threadpool_limits

        def work(_):
            x = np.ones((4, 2, 6, 6)); w = np.ones((3, 2, 3, 3))
            return float(F.conv2d(x, w).sum())

        if __name__ == "__main__":
            with threadpool_limits(limits=2, user_api="blas"):
                expected = work(0)                         # creates the pool in the parent
                with mp.get_context("fork").Pool(2) as pool:
                    got = pool.map(work, range(2))
            assert got == [expected] * 2, (got, expected)
            print("ok")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-3000:]


# ---------------------------------------------------------------------------
# Kernels: one compilation per dtype, and in bounds on extreme geometries
# ---------------------------------------------------------------------------

def test_new_kernels_compile_once_per_dtype():
    from numba.core.dispatcher import Dispatcher

    from cnnedu.functional import _direct

    for dtype in (np.float32, np.float64):
        for path in sorted(PATHS):
            x_shape, w_shape, kwargs = PATHS[path]
            for mode in ("default", "narrow", "always_direct"):
                x, w = _normal(21, x_shape).astype(dtype), _normal(22, w_shape).astype(dtype)
                with forced(mode):
                    z = F.conv2d(x, w, **kwargs)
                    F.conv2d_backward(np.ones_like(z), x, w, **kwargs)
    kernels = {f"{mod.__name__}.{name}": obj for mod in (_im2col, _direct) for name, obj in vars(mod).items()
               if isinstance(obj, Dispatcher) and obj.__module__ == mod.__name__ and not name.startswith("_")}
    assert {"cnnedu.functional._direct.direct_forward", "cnnedu.functional._im2col.pad_phases",
            "cnnedu.functional._im2col.narrow"} <= set(kernels)
    for name, disp in kernels.items():
        sigs = disp.signatures
        assert sigs, f"{name} never ran"
        assert len(sigs) <= 2, f"{name} compiled {len(sigs)} times: {sigs}"
        for sig in sigs:
            for t in sig:
                if hasattr(t, "layout"):
                    assert t.layout == "C" and t.mutable, f"{name}: {sig}"


BOUNDS_SCRIPT = textwrap.dedent("""
    import itertools
    import numpy as np
    import cnnedu.functional as F
    from cnnedu.functional import _im2col, convolution as conv

    rng = np.random.default_rng(0)
    count = 0
    for waste, chunk, direct in [(1e9, (1, 3), 8), (-1.0, (1, 5), 0), (1.0, (1 << 20, 512), 10**9)]:
        _im2col.MAX_WASTE = waste
        conv._CHUNK_BYTES, conv._MIN_CHUNK = chunk
        conv._DIRECT_MAX_FILTERS = direct
        _im2col.unfolding.cache_clear()
        for w_in, k, s, d, lo, hi, groups in itertools.product((1, 4, 7), (1, 3), (1, 3), (1, 2), (0, 2, 5),
                                                               (0, 6), (1, 2)):
            if w_in + lo + hi < d * (k - 1) + 1:
                continue
            x = rng.standard_normal((3, 2, 4, w_in))
            w = rng.standard_normal((4, 2 // groups, 2, k))
            kw = dict(stride=(2, s), padding=((1, 2), (lo, hi)), dilation=(1, d), groups=groups)
            z = F.conv2d(x, w, **kw)
            F.conv2d_backward(np.ones_like(z), x, w, **kw)
            wt = rng.standard_normal((2, 4 // groups, 2, k))
            for op in range(max(s, d)):
                try:
                    zt = F.conv_transpose2d(x, wt, stride=(1, s), padding=(0, min(lo, 2)), output_padding=(0, op),
                                            dilation=(1, d), groups=groups)
                except ValueError:
                    continue
                F.conv_transpose2d_backward(np.ones_like(zt), x, wt, stride=(1, s), padding=(0, min(lo, 2)),
                                            output_padding=(0, op), dilation=(1, d), groups=groups)
            count += 1
    print("checked", count)
""")


@pytest.mark.slow
def test_fast_paths_stay_in_bounds(tmp_path):
    env = dict(os.environ, NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    run = subprocess.run([sys.executable, "-c", BOUNDS_SCRIPT], env=env, capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    assert int(run.stdout.split()[-1]) > 200


def test_split_batch_inside_a_slice_runs_serially():
    """A slice that splits again (e.g. a kernel calling a convolution) must not wait for the busy pool."""
    with threadpool_limits(limits=2, user_api="blas"):
        inner = _parallel.split_batch(4, lambda lo, hi: _parallel.split_batch(6, lambda a, b: (a, b)))
    assert all(part == [(0, 6)] for part in inner)
