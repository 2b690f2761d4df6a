"""cnnedu.functional against PyTorch, forward and backward, on random configurations.

PyTorch is the oracle: for every random geometry we compute our forward pass and
our backward pass (for a random upstream gradient ``dy``) and compare them with
``torch.nn.functional`` and ``torch.autograd``.  The torch side always runs in
float64 on the very same input values, so a float32 result of ours is compared
with the exact answer (tolerance 1e-4) and a float64 result with 1e-10.

Where PyTorch has no direct equivalent we build one from PyTorch primitives and an
independently written rule:

* asymmetric padding ``(lo, hi)``, ``"full"`` and ``"same"`` with stride > 1: pad
  explicitly with ``torch.nn.functional.pad`` (``"same"`` by the lecture's rule:
  total ``S*ceil(N/S) - N + D(K-1)``, ``lo = total // 2``);
* transposed convolution with asymmetric padding or ``"same"``: an uncropped torch
  transposed convolution, cropped by ``lo`` at the start and ``hi`` at the end;
* max pooling with asymmetric padding: pad with ``-inf``; mean pooling: pad with
  zeros (``count_include_pad=True``);
* lp pooling: ours is the lecture's mean, torch's the sum, so
  ``ours * (K_h K_w)^(1/p) == torch`` for non-negative inputs;
* upsample/downsample: a stride-S transposed/ordinary convolution with an
  identity 1x1 kernel.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
TF = torch.nn.functional

import cnnedu.functional as F  # noqa: E402

torch.set_num_threads(1)

# torch warns that its own "same" with an even kernel copies the input; irrelevant here.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

DTYPES = st.sampled_from([np.float64, np.float64, np.float32])  # float64 twice as often
SEEDS = st.integers(0, 2**32 - 1)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def tol(dtype) -> float:
    return 1e-10 if np.dtype(dtype) == np.float64 else 1e-4


def assert_close(ours, ref, dtype, what=""):
    """ours (numpy, of ``dtype``) against ref (torch or numpy float64)."""
    if isinstance(ref, torch.Tensor):
        ref = ref.detach().numpy()
    assert isinstance(ours, np.ndarray), f"{what}: not an ndarray but {type(ours)}"
    assert ours.dtype == np.dtype(dtype), f"{what}: dtype {ours.dtype}, expected {np.dtype(dtype)}"
    assert ours.shape == ref.shape, f"{what}: shape {ours.shape}, torch says {ref.shape}"
    t = tol(dtype)
    scale = max(1.0, float(np.abs(ref).max())) if ref.size else 1.0
    np.testing.assert_allclose(ours, ref, rtol=t, atol=t * scale, err_msg=what)


def rand(rng, shape, dtype, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape).astype(dtype)


def leaf(a):
    """A float64 torch leaf tensor with the values of ``a``."""
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def torch_pad_arg(pads):
    """[(lo, hi) per spatial dim, first dim first] -> torch.nn.functional.pad's order."""
    out = []
    for lo, hi in reversed(pads):
        out += [lo, hi]
    return out


def lecture_same(n, k, s, d):
    """The lecture's 'same' rule, written independently of cnnedu.sizes."""
    total = s * math.ceil(n / s) - n + d * (k - 1)
    return total // 2, total - total // 2


def vjp(out, leaves, dy):
    """Gradients of sum(out * dy) with respect to leaves (None for a leaf out does not use)."""
    grads = torch.autograd.grad(out, leaves, grad_outputs=torch.tensor(dy, dtype=torch.float64),
                                allow_unused=True)
    return [None if g is None else g.numpy() for g in grads]


# ---------------------------------------------------------------------------
# Convolution
# ---------------------------------------------------------------------------

@st.composite
def conv_cases(draw, nd):
    groups = draw(st.integers(1, 3))
    cin_pg = draw(st.integers(1, 3))
    cout_pg = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    mode = draw(st.sampled_from(["int", "tuple", "pairs", "valid", "same", "full", "mixed"]))
    stride = (1,) * nd if mode == "same" else tuple(draw(st.integers(1, 3)) for _ in range(nd))
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]

    specs = []          # per-dimension padding as given to cnnedu (int, (lo, hi) or str)
    if mode == "int":
        p = draw(st.integers(0, 3))
        specs = [p] * nd
        ours_padding = p
    elif mode == "tuple":
        specs = [draw(st.integers(0, 3)) for _ in range(nd)]
        ours_padding = tuple(specs)
    elif mode == "pairs":
        specs = [(draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(nd)]
        ours_padding = specs[0] if nd == 1 else tuple(specs)
    elif mode in ("valid", "same", "full"):
        specs = [mode] * nd
        ours_padding = mode
    else:  # mixed: one specification per dimension, strings included
        specs = [draw(st.one_of(st.integers(0, 3), st.sampled_from(["valid", "same", "full"]),
                                st.tuples(st.integers(0, 3), st.integers(0, 3))))
                 for _ in range(nd)]
        ours_padding = tuple(specs)
        if nd == 1 and isinstance(specs[0], tuple):
            ours_padding = (specs[0],)  # a 1-tuple holding the pair

    sizes = []
    for spec, sp in zip(specs, span):
        if isinstance(spec, str) and spec == "same":
            lo = hi = 0  # "same" always fits
        elif isinstance(spec, str) and spec == "valid":
            lo = hi = 0
        elif isinstance(spec, str):
            lo = hi = sp - 1
        elif isinstance(spec, tuple):
            lo, hi = spec
        else:
            lo = hi = spec
        n_min = max(1, sp - lo - hi)
        sizes.append(draw(st.integers(n_min, n_min + 7)))

    pads = []
    for spec, n, k, s, d in zip(specs, sizes, kernel, stride, dilation):
        if spec == "valid":
            pads.append((0, 0))
        elif spec == "same":
            pads.append(lecture_same(n, k, s, d))
        elif spec == "full":
            pads.append((d * (k - 1), d * (k - 1)))
        elif isinstance(spec, tuple):
            pads.append(spec)
        else:
            pads.append((spec, spec))

    # How torch is told about the padding: directly where it can, else F.pad first.
    if mode in ("int", "valid"):
        torch_padding = ours_padding
    elif mode == "tuple":
        torch_padding = tuple(specs)
    elif mode == "same":
        torch_padding = "same"  # stride 1: torch's "same" must equal ours
    else:
        torch_padding = None
    return dict(
        n=draw(st.integers(1, 3)), groups=groups, cin=cin_pg * groups, cout=cout_pg * groups,
        cin_pg=cin_pg, kernel=kernel, stride=stride, dilation=dilation, sizes=tuple(sizes),
        padding=ours_padding, torch_padding=torch_padding, pads=pads,
        bias=draw(st.booleans()), dtype=draw(DTYPES), seed=draw(SEEDS),
    )


def check_conv(nd, c):
    ours_fwd, ours_bwd = (F.conv1d, F.conv1d_backward) if nd == 1 else (F.conv2d, F.conv2d_backward)
    torch_conv = TF.conv1d if nd == 1 else TF.conv2d
    rng = np.random.default_rng(c["seed"])
    dt = c["dtype"]
    x = rand(rng, (c["n"], c["cin"], *c["sizes"]), dt)
    w = rand(rng, (c["cout"], c["cin_pg"], *c["kernel"]), dt)
    b = rand(rng, (c["cout"],), dt) if c["bias"] else None
    kw = dict(stride=c["stride"], dilation=c["dilation"], groups=c["groups"])

    z = ours_fwd(x, w, b, padding=c["padding"], **kw)

    xt, wt = leaf(x), leaf(w)
    bt = leaf(b) if b is not None else None
    if c["torch_padding"] is None:
        zt = torch_conv(TF.pad(xt, torch_pad_arg(c["pads"])), wt, bt, padding=0, **kw)
    else:
        zt = torch_conv(xt, wt, bt, padding=c["torch_padding"], **kw)
    assert_close(z, zt, dt, f"forward {c}")

    dy = rand(rng, zt.shape, dt)
    dx, dw, db = ours_bwd(dy, x, w, padding=c["padding"], **kw)
    gx, gw, gb_t = vjp(zt, [xt, wt] + ([bt] if bt is not None else []), dy) + [None] * (bt is None)
    assert_close(dx, gx, dt, "dx")
    assert_close(dw, gw, dt, "dw")
    # db does not depend on torch's bias being present: it is the sum of dy.
    gb = dy.astype(np.float64).sum(axis=(0, *range(2, nd + 2)))
    if gb_t is not None:
        np.testing.assert_allclose(gb, gb_t, rtol=1e-12, atol=1e-12)
    assert_close(db, gb, dt, "db")


@settings(max_examples=150, deadline=None)
@given(conv_cases(2))
def test_conv2d_matches_torch(c):
    check_conv(2, c)


@settings(max_examples=100, deadline=None)
@given(conv_cases(1))
def test_conv1d_matches_torch(c):
    check_conv(1, c)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("stride,padding", [(1, "same"), (2, "same"), (2, 1), (1, "valid"), (3, "full")])
@pytest.mark.parametrize("mult", [1, 2])
def test_depthwise_conv2d_matches_torch(dtype, stride, padding, mult):
    """groups = C_in, C_out = mult * C_in: every channel has its own filters."""
    rng = np.random.default_rng(7)
    c = 4
    pads = [lecture_same(9, 3, stride, 1)] * 2 if padding == "same" else None
    case = dict(n=2, groups=c, cin=c, cout=c * mult, cin_pg=1, kernel=(3, 3), stride=(stride,) * 2,
                dilation=(1, 1), sizes=(9, 9), padding=padding, bias=True, dtype=dtype,
                seed=int(rng.integers(2**31)))
    if padding == "same":
        case.update(torch_padding=None, pads=pads)
    elif padding == "full":
        case.update(torch_padding=2, pads=[(2, 2)] * 2)
    else:
        case.update(torch_padding=padding, pads=None)
    check_conv(2, case)


# ---------------------------------------------------------------------------
# Transposed convolution
# ---------------------------------------------------------------------------

@st.composite
def transpose_cases(draw, nd):
    groups = draw(st.integers(1, 3))
    cin_pg = draw(st.integers(1, 3))
    cout_pg = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    sizes = tuple(draw(st.integers(1, 6)) for _ in range(nd))
    mode = draw(st.sampled_from(["int", "tuple", "pairs", "valid", "same"]))
    if mode == "same":
        op = (0,) * nd
    else:
        op = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    # Room to crop: the uncropped output minus one.
    room = [(n - 1) * s + d * (k - 1) + o for n, s, d, k, o in zip(sizes, stride, dilation, kernel, op)]
    if mode == "int":
        p = draw(st.integers(0, min(r // 2 for r in room)))
        pads, ours_padding, torch_padding = [(p, p)] * nd, p, p
    elif mode == "tuple":
        ps = tuple(draw(st.integers(0, r // 2)) for r in room)
        pads, ours_padding, torch_padding = [(p, p) for p in ps], ps, ps
    elif mode == "pairs":
        pads = []
        for r in room:
            lo = draw(st.integers(0, r))
            pads.append((lo, draw(st.integers(0, r - lo))))
        ours_padding = pads[0] if nd == 1 else tuple(pads)
        torch_padding = None
    elif mode == "valid":
        pads, ours_padding, torch_padding = [(0, 0)] * nd, "valid", 0
    else:
        # Output exactly n*s: crop the lecture's "same" padding of an input of
        # size n*s, and let torch add s-1 samples at the end (output_padding).
        pads = [lecture_same(n * s, k, s, d) for n, k, s, d in zip(sizes, kernel, stride, dilation)]
        ours_padding, torch_padding = "same", None
    torch_op = tuple(s - 1 for s in stride) if mode == "same" else op
    ours_op = op if nd == 2 or draw(st.booleans()) else op[0]
    return dict(
        n=draw(st.integers(1, 3)), groups=groups, cin=cin_pg * groups, cout=cout_pg * groups,
        cout_pg=cout_pg, kernel=kernel, stride=stride, dilation=dilation, sizes=sizes, mode=mode,
        padding=ours_padding, torch_padding=torch_padding, pads=pads, output_padding=ours_op,
        torch_output_padding=torch_op, bias=draw(st.booleans()), dtype=draw(DTYPES), seed=draw(SEEDS),
    )


def check_conv_transpose(nd, c):
    if nd == 1:
        ours_fwd, ours_bwd, torch_ct = F.conv_transpose1d, F.conv_transpose1d_backward, TF.conv_transpose1d
    else:
        ours_fwd, ours_bwd, torch_ct = F.conv_transpose2d, F.conv_transpose2d_backward, TF.conv_transpose2d
    rng = np.random.default_rng(c["seed"])
    dt = c["dtype"]
    x = rand(rng, (c["n"], c["cin"], *c["sizes"]), dt)
    w = rand(rng, (c["cin"], c["cout_pg"], *c["kernel"]), dt)
    b = rand(rng, (c["cout"],), dt) if c["bias"] else None
    kw = dict(stride=c["stride"], groups=c["groups"], dilation=c["dilation"])

    z = ours_fwd(x, w, b, padding=c["padding"], output_padding=c["output_padding"], **kw)

    xt, wt = leaf(x), leaf(w)
    bt = leaf(b) if b is not None else None
    if c["torch_padding"] is not None:
        zt = torch_ct(xt, wt, bt, padding=c["torch_padding"], output_padding=c["torch_output_padding"], **kw)
    else:
        full = torch_ct(xt, wt, bt, padding=0, output_padding=c["torch_output_padding"], **kw)
        index = [slice(None), slice(None)]
        for (lo, hi), size in zip(c["pads"], full.shape[2:]):
            index.append(slice(lo, size - hi))
        zt = full[tuple(index)]
    if c["mode"] == "same":
        assert zt.shape[2:] == tuple(n * s for n, s in zip(c["sizes"], c["stride"]))
    assert_close(z, zt, dt, f"forward {c}")

    dy = rand(rng, zt.shape, dt)
    dx, dw, db = ours_bwd(dy, x, w, padding=c["padding"], output_padding=c["output_padding"], **kw)
    gx, gw, gb = vjp(zt, [xt, wt] + ([bt] if bt is not None else []), dy) + [None] * (bt is None)
    assert_close(dx, gx, dt, "dx")
    assert_close(dw, gw, dt, "dw")
    assert_close(db, dy.astype(np.float64).sum(axis=(0, *range(2, nd + 2))), dt, "db")
    if gb is not None:
        assert_close(db, gb, dt, "db (torch)")


@settings(max_examples=150, deadline=None)
@given(transpose_cases(2))
def test_conv_transpose2d_matches_torch(c):
    check_conv_transpose(2, c)


@settings(max_examples=100, deadline=None)
@given(transpose_cases(1))
def test_conv_transpose1d_matches_torch(c):
    check_conv_transpose(1, c)


# ---------------------------------------------------------------------------
# Max and mean pooling
# ---------------------------------------------------------------------------

@st.composite
def pool_cases(draw, nd):
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    stride = draw(st.one_of(st.none(), st.tuples(*[st.integers(1, 4)] * nd)))
    strides = kernel if stride is None else stride
    mode = draw(st.sampled_from(["int", "tuple", "pairs", "valid", "same", "full"]))
    if mode == "int":
        p = draw(st.integers(0, min(kernel) // 2))  # torch's limit: at most half the window
        specs, ours_padding, torch_padding = [(p, p)] * nd, p, p
    elif mode == "tuple":
        ps = tuple(draw(st.integers(0, k // 2)) for k in kernel)
        specs, ours_padding, torch_padding = [(p, p) for p in ps], ps, ps
    elif mode == "pairs":
        specs = [(draw(st.integers(0, k - 1)), draw(st.integers(0, k - 1))) for k in kernel]
        ours_padding, torch_padding = (specs[0] if nd == 1 else tuple(specs)), None
    elif mode == "valid":
        specs, ours_padding, torch_padding = [(0, 0)] * nd, "valid", 0
    else:
        specs, ours_padding, torch_padding = [mode] * nd, mode, None
    sizes = []
    for spec, k in zip(specs, kernel):
        lo, hi = (k - 1, k - 1) if spec == "full" else ((0, 0) if spec == "same" else spec)
        n_min = max(1, k - lo - hi)
        sizes.append(draw(st.integers(n_min, n_min + 7)))
    pads = []
    for spec, n, k, s in zip(specs, sizes, kernel, strides):
        if spec == "same":
            pads.append(lecture_same(n, k, s, 1))
        elif spec == "full":
            pads.append((k - 1, k - 1))
        else:
            pads.append(spec)
    # Does some window hold only padding?  (independent of cnnedu's own check)
    empty = False
    for (lo, hi), n, k, s in zip(pads, sizes, kernel, strides):
        out = (n + lo + hi - k) // s + 1
        empty |= lo >= k or (out - 1) * s - lo >= n
    return dict(n=draw(st.integers(1, 2)), c=draw(st.integers(1, 3)), kernel=kernel, stride=stride,
                sizes=tuple(sizes), padding=ours_padding, torch_padding=torch_padding, pads=pads,
                empty=empty, dtype=draw(DTYPES), seed=draw(SEEDS))


def check_pool(kind, nd, c):
    ours_fwd = getattr(F, f"{kind}_pool{nd}d")
    ours_bwd = getattr(F, f"{kind}_pool{nd}d_backward")
    torch_pool = getattr(TF, f"{kind}_pool{nd}d")
    rng = np.random.default_rng(c["seed"])
    dt = c["dtype"]
    x = rand(rng, (c["n"], c["c"], *c["sizes"]), dt)
    args = (c["kernel"], c["stride"], c["padding"])
    if c["empty"]:
        with pytest.raises(ValueError, match="no input element"):
            ours_fwd(x, *args)
        return
    y = ours_fwd(x, *args)
    xt = leaf(x)
    extra = {"count_include_pad": True} if kind == "avg" else {}
    if c["torch_padding"] is not None:
        yt = torch_pool(xt, c["kernel"], c["stride"], c["torch_padding"], **extra)
    else:
        value = -math.inf if kind == "max" else 0.0
        yt = torch_pool(TF.pad(xt, torch_pad_arg(c["pads"]), value=value), c["kernel"], c["stride"], 0, **extra)
    assert_close(y, yt, dt, f"forward {c}")
    dy = rand(rng, yt.shape, dt)
    dx = ours_bwd(dy, x, *args)
    (gx,) = vjp(yt, [xt], dy)
    assert_close(dx, gx, dt, "dx")


@settings(max_examples=50, deadline=None)
@given(pool_cases(2))
def test_max_pool2d_matches_torch(c):
    check_pool("max", 2, c)


@settings(max_examples=40, deadline=None)
@given(pool_cases(1))
def test_max_pool1d_matches_torch(c):
    check_pool("max", 1, c)


@settings(max_examples=50, deadline=None)
@given(pool_cases(2))
def test_avg_pool2d_matches_torch(c):
    check_pool("avg", 2, c)


@settings(max_examples=40, deadline=None)
@given(pool_cases(1))
def test_avg_pool1d_matches_torch(c):
    check_pool("avg", 1, c)


# ---------------------------------------------------------------------------
# p-norm pooling
# ---------------------------------------------------------------------------

@st.composite
def lp_cases(draw, nd):
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    stride = draw(st.one_of(st.none(), st.tuples(*[st.integers(1, 4)] * nd)))
    sizes = tuple(draw(st.integers(k, k + 7)) for k in kernel)
    p = draw(st.one_of(st.sampled_from([1, 2, 3, 1.0, 2.0]), st.floats(1.0, 8.0)))
    return dict(n=draw(st.integers(1, 2)), c=draw(st.integers(1, 3)), kernel=kernel, stride=stride,
                sizes=sizes, p=p, dtype=draw(DTYPES), seed=draw(SEEDS))


def check_lp(nd, c):
    ours_fwd = getattr(F, f"lp_pool{nd}d")
    ours_bwd = getattr(F, f"lp_pool{nd}d_backward")
    torch_pool = getattr(TF, f"lp_pool{nd}d")
    rng = np.random.default_rng(c["seed"])
    dt = c["dtype"]
    # Non-negative inputs (after a ReLU, the lecture's setting), away from 0 where
    # torch's x^p has a different subgradient.
    x = rand(rng, (c["n"], c["c"], *c["sizes"]), dt, 0.05, 2.0)
    p, k = c["p"], c["kernel"]
    y = ours_fwd(x, p, k, c["stride"])
    xt = leaf(x)
    yt = torch_pool(xt, p, k if nd == 2 else k[0], c["stride"] if nd == 2 or c["stride"] is None
                    else c["stride"][0])
    factor = math.prod(k) ** (1.0 / p)
    assert y.dtype == np.dtype(dt)
    assert_close((y.astype(np.float64) * factor).astype(dt), yt, dt, f"forward {c}")
    dy = rand(rng, yt.shape, dt)
    dx = ours_bwd(dy, x, p, k, c["stride"])
    # d(torch)/dx = factor * d(ours)/dx, so ours = torch's gradient for dy / factor.
    (gx,) = vjp(yt, [xt], dy.astype(np.float64) / factor)
    assert_close(dx, gx, dt, "dx")


@settings(max_examples=50, deadline=None)
@given(lp_cases(2))
def test_lp_pool2d_matches_torch(c):
    check_lp(2, c)


@settings(max_examples=40, deadline=None)
@given(lp_cases(1))
def test_lp_pool1d_matches_torch(c):
    check_lp(1, c)


# ---------------------------------------------------------------------------
# Upsampling and downsampling
# ---------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(nd=st.sampled_from([1, 2]), data=st.data())
def test_upsample_downsample_match_torch(nd, data):
    n = data.draw(st.integers(1, 2))
    c = data.draw(st.integers(1, 3))
    sizes = tuple(data.draw(st.integers(1, 7)) for _ in range(nd))
    factors = tuple(data.draw(st.integers(1, 4)) for _ in range(nd))
    factor = factors[0] if (len(set(factors)) == 1 and data.draw(st.booleans())) else factors
    dt = data.draw(DTYPES)
    rng = np.random.default_rng(data.draw(SEEDS))
    x = rand(rng, (n, c, *sizes), dt)
    ident = torch.ones((c, 1) + (1,) * nd, dtype=torch.float64)
    ct = TF.conv_transpose1d if nd == 1 else TF.conv_transpose2d
    cv = TF.conv1d if nd == 1 else TF.conv2d

    # upsample == transposed convolution with an identity 1x1 kernel and stride S
    u = F.upsample(x, factor)
    xt = leaf(x)
    ut = ct(xt, ident, stride=factors, groups=c)
    assert_close(u, ut, dt, "upsample")
    dy = rand(rng, ut.shape, dt)
    (gx,) = vjp(ut, [xt], dy)
    assert_close(F.upsample_backward(dy, x, factor), gx, dt, "upsample_backward")

    # downsample == convolution with an identity 1x1 kernel and stride S
    d = F.downsample(x, factor)
    xt = leaf(x)
    dt_ = cv(xt, ident, stride=factors, groups=c)
    assert_close(d, dt_, dt, "downsample")
    dy = rand(rng, dt_.shape, dt)
    (gx,) = vjp(dt_, [xt], dy)
    assert_close(F.downsample_backward(dy, x, factor), gx, dt, "downsample_backward")


def test_stride_is_stride_one_then_downsample():
    """The lecture's account of stride, checked against torch: conv(S) = downsample(conv(1))."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 11, 10))
    w = rng.standard_normal((4, 3, 3, 2))
    for s in (2, 3):
        z = F.conv2d(x, w, stride=s, padding=1)
        ref = TF.conv2d(torch.tensor(x), torch.tensor(w), stride=s, padding=1).numpy()
        np.testing.assert_allclose(z, ref, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(F.downsample(F.conv2d(x, w, padding=1), s), ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [1, 3, 6])
def test_large_batches_match_torch(dtype, n):
    """Batches whose column matrices exceed a few MB (processed in several chunks)."""
    rng = np.random.default_rng(n)
    # 6 channels, 3x3 kernel, 48x48 output: 6*9*2304 columns per sample, ~1 MB (float64)
    # or ~0.5 MB (float32), plus a 2 MB-per-sample case through the 1-sample path.
    for c, size in ((6, 48), (12, 48)):
        case = dict(n=n, groups=1, cin=c, cout=5, cin_pg=c, kernel=(3, 3), stride=(1, 1), dilation=(1, 1),
                    sizes=(size, size), padding=1, torch_padding=1, pads=None, bias=True, dtype=dtype,
                    seed=int(rng.integers(2**31)))
        check_conv(2, case)
        tcase = dict(n=n, groups=1, cin=5, cout=c, cout_pg=c, kernel=(3, 3), stride=(1, 1), dilation=(1, 1),
                     sizes=(size, size), mode="int", padding=1, torch_padding=1, pads=None,
                     output_padding=0, torch_output_padding=0, bias=True, dtype=dtype,
                     seed=int(rng.integers(2**31)))
        check_conv_transpose(2, tcase)


@settings(max_examples=40, deadline=None)
@given(pool_cases(2))
def test_max_pool2d_ties_match_torch(c):
    """Integer-valued inputs (many ties): the derivative goes to the first maximum, as in torch."""
    rng = np.random.default_rng(c["seed"])
    x = rng.integers(0, 3, size=(c["n"], c["c"], *c["sizes"])).astype(c["dtype"])
    args = (c["kernel"], c["stride"], c["padding"])
    assume(not c["empty"])
    xt = leaf(x)
    if c["torch_padding"] is not None:
        yt = TF.max_pool2d(xt, c["kernel"], c["stride"], c["torch_padding"])
    else:
        yt = TF.max_pool2d(TF.pad(xt, torch_pad_arg(c["pads"]), value=-math.inf), c["kernel"], c["stride"], 0)
    assert_close(F.max_pool2d(x, *args), yt, c["dtype"], "forward")
    dy = rand(rng, yt.shape, c["dtype"])
    (gx,) = vjp(yt, [xt], dy)
    assert_close(F.max_pool2d_backward(dy, x, *args), gx, c["dtype"], "dx with ties")


@settings(max_examples=30, deadline=None)
@given(lp_cases(2))
def test_lp_pool_of_signed_input_is_that_of_its_absolute_value(c):
    """Ours uses |x|^p: lp(x) = lp(|x|) and d lp(x)/dx = sign(x) d lp(|x|)/d|x| (torch's x^p does not)."""
    rng = np.random.default_rng(c["seed"])
    x = rand(rng, (c["n"], c["c"], *c["sizes"]), c["dtype"], 0.05, 2.0)
    x *= rng.choice([-1, 1], size=x.shape).astype(c["dtype"])
    p, k, s = c["p"], c["kernel"], c["stride"]
    y_abs = F.lp_pool2d(np.abs(x), p, k, s)
    assert_close(F.lp_pool2d(x, p, k, s), y_abs.astype(np.float64), c["dtype"], "forward")
    dy = rand(rng, y_abs.shape, c["dtype"])
    expected = np.sign(x) * F.lp_pool2d_backward(dy, np.abs(x), p, k, s)
    assert_close(F.lp_pool2d_backward(dy, x, p, k, s), expected.astype(np.float64), c["dtype"], "dx")
