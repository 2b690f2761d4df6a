"""Bad input to cnnedu.functional: one test per class of mistake.

Every public function validates at its boundary and raises ``TypeError`` (wrong
kind of thing) or ``ValueError`` (right kind, wrong value) whose message names
the function, the argument and the offending value.  Each test asserts the
exception type and, with ``match``, all three.  The last part checks that NaN
propagates instead of raising, and that extreme but legal geometries give
correct results (checked against a small independent NumPy implementation) or a
clear error, never a crash.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import cnnedu.functional as F

RNG = np.random.default_rng(1234)
X2 = RNG.standard_normal((2, 3, 6, 6))
W2 = RNG.standard_normal((4, 3, 3, 3))
B2 = RNG.standard_normal(4)
X1 = RNG.standard_normal((2, 3, 8))
W1 = RNG.standard_normal((4, 3, 3))
XT2 = RNG.standard_normal((2, 3, 4, 4))
WT2 = RNG.standard_normal((3, 2, 3, 3))       # (C_in, C_out/groups, K, K): 2 output channels
XT1 = RNG.standard_normal((2, 3, 5))
WT1 = RNG.standard_normal((3, 2, 3))

P2 = RNG.uniform(0.1, 1, (2, 3, 6, 6))        # pooling inputs
P1 = RNG.uniform(0.1, 1, (2, 3, 8))

# Forward calls with valid arguments; ``kw`` overrides one argument.
FORWARD = {
    "conv2d": lambda **kw: F.conv2d(**{"x": X2, "w": W2, "b": B2, **kw}),
    "conv1d": lambda **kw: F.conv1d(**{"x": X1, "w": W1, "b": B2, **kw}),
    "conv_transpose2d": lambda **kw: F.conv_transpose2d(**{"x": XT2, "w": WT2, **kw}),
    "conv_transpose1d": lambda **kw: F.conv_transpose1d(**{"x": XT1, "w": WT1, **kw}),
    "max_pool2d": lambda **kw: F.max_pool2d(**{"x": P2, "kernel_size": 2, **kw}),
    "max_pool1d": lambda **kw: F.max_pool1d(**{"x": P1, "kernel_size": 2, **kw}),
    "avg_pool2d": lambda **kw: F.avg_pool2d(**{"x": P2, "kernel_size": 2, **kw}),
    "avg_pool1d": lambda **kw: F.avg_pool1d(**{"x": P1, "kernel_size": 2, **kw}),
    "lp_pool2d": lambda **kw: F.lp_pool2d(**{"x": P2, "p": 3, "kernel_size": 2, **kw}),
    "lp_pool1d": lambda **kw: F.lp_pool1d(**{"x": P1, "p": 3, "kernel_size": 2, **kw}),
    "upsample": lambda **kw: F.upsample(**{"x": X2, "factor": 2, **kw}),
    "downsample": lambda **kw: F.downsample(**{"x": X2, "factor": 2, **kw}),
}


def _dy(fwd):
    return np.ones(fwd().shape)


# Backward calls with valid arguments (dy of the right shape); ``kw`` overrides one.
def _bwd(fn, fwd_name, **fixed):
    fwd = FORWARD[fwd_name]

    def call(**kw):
        args = {k: v for k, v in fixed.items()}
        args.update(kw)
        if "dy" not in kw:
            args["dy"] = _dy(fwd)  # the shape the valid forward call returns
        return fn(**args)
    return call


BACKWARD = {
    "conv2d_backward": _bwd(F.conv2d_backward, "conv2d", x=X2, w=W2),
    "conv1d_backward": _bwd(F.conv1d_backward, "conv1d", x=X1, w=W1),
    "conv_transpose2d_backward": _bwd(F.conv_transpose2d_backward, "conv_transpose2d", x=XT2, w=WT2),
    "conv_transpose1d_backward": _bwd(F.conv_transpose1d_backward, "conv_transpose1d", x=XT1, w=WT1),
    "max_pool2d_backward": _bwd(F.max_pool2d_backward, "max_pool2d", x=P2, kernel_size=2),
    "max_pool1d_backward": _bwd(F.max_pool1d_backward, "max_pool1d", x=P1, kernel_size=2),
    "avg_pool2d_backward": _bwd(F.avg_pool2d_backward, "avg_pool2d", x=P2, kernel_size=2),
    "avg_pool1d_backward": _bwd(F.avg_pool1d_backward, "avg_pool1d", x=P1, kernel_size=2),
    "lp_pool2d_backward": _bwd(F.lp_pool2d_backward, "lp_pool2d", x=P2, p=3, kernel_size=2),
    "lp_pool1d_backward": _bwd(F.lp_pool1d_backward, "lp_pool1d", x=P1, p=3, kernel_size=2),
    "upsample_backward": _bwd(F.upsample_backward, "upsample", x=X2, factor=2),
    "downsample_backward": _bwd(F.downsample_backward, "downsample", x=X2, factor=2),
}
ALL = {**FORWARD, **BACKWARD}
ND = {name: (1 if "1d" in name else 2) for name in ALL}
POSITIVE = r"must be (positive|>= 1), got "   # either wording; the value must follow


def raises(exc, fn, *parts):
    """pytest.raises(exc) with a message that starts with 'fn:' and contains every part, in order."""
    pattern = "^" + re.escape(fn) + ": .*?" + ".*".join(re.escape(p) if isinstance(p, str) else p.pattern
                                                     for p in parts)
    return pytest.raises(exc, match=re.compile(pattern, re.S))


def test_every_valid_call_works():
    """The base calls used below are valid, so each error is caused by the one bad argument."""
    for name, call in ALL.items():
        out = call()
        out = out if isinstance(out, tuple) else (out,)
        assert all(np.all(np.isfinite(o)) for o in out), name


# ---------------------------------------------------------------------------
# Wrong number of dimensions
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(ALL))
def test_wrong_number_of_dimensions_of_x(name):
    nd = ND[name]
    bad = np.ones((2, 3, 6, 6, 6)) if name.startswith(("up", "down")) else np.ones((2, 3) + (6,) * (3 - nd))
    kwargs = {"x": bad}
    if name in BACKWARD and not name.startswith(("up", "down")):
        kwargs["dy"] = np.ones((2, 3) + (3,) * nd)  # x is checked first
    if name.startswith(("up", "down")):
        expected = ("x must be a 3-D (N, C, L) or 4-D (N, C, H, W) array", f"got shape {bad.shape}")
    else:
        expected = (f"x must be a {nd + 2}-D array", f"got shape {bad.shape} ({bad.ndim}-D)")
    with raises(ValueError, name, *expected):
        ALL[name](**kwargs)


@pytest.mark.parametrize("name", sorted(BACKWARD))
def test_wrong_number_of_dimensions_of_dy(name):
    nd = ND[name]
    bad = np.ones((2, 3, 2, 2, 2)) if nd == 2 else np.ones((2, 3))
    if name.startswith(("up", "down")):
        bad = np.ones((2, 3, 5))
        expected = ("dy and x must have the same number of dimensions", "got (2, 3, 5) and (2, 3, 6, 6)")
    else:
        expected = (f"dy must be a {nd + 2}-D array", f"got shape {bad.shape} ({bad.ndim}-D)")
    with raises(ValueError, name, *expected):
        BACKWARD[name](dy=bad)


@pytest.mark.parametrize("name,arg,bad,nd", [
    ("conv2d", "w", np.ones((4, 3, 3)), 4),
    ("conv1d", "w", np.ones((4, 3, 3, 3)), 3),
    ("conv_transpose2d", "w", np.ones((3, 2, 3)), 4),
    ("conv_transpose1d", "w", np.ones((3, 2)), 3),
    ("conv2d", "b", np.ones((4, 1)), 1),
    ("conv_transpose2d", "b", np.ones(()), 1),
    ("conv2d", "x", 5.0, 4),
])
def test_wrong_number_of_dimensions_of_w_and_b(name, arg, bad, nd):
    with raises(ValueError, name, f"{arg} must be a {nd}-D array", f"got shape {np.shape(bad)}"):
        FORWARD[name](**{arg: bad})


@pytest.mark.parametrize("name", ["conv2d_backward", "conv_transpose1d_backward"])
def test_wrong_number_of_dimensions_of_w_in_backward(name):
    with raises(ValueError, name, "w must be a", "got shape (3,)"):
        BACKWARD[name](w=np.ones(3), dy=np.ones((1, 1, 1, 1)))


# ---------------------------------------------------------------------------
# Channels and groups
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["conv2d", "conv1d", "conv2d_backward", "conv1d_backward"])
def test_channel_mismatch_between_x_and_w(name):
    nd = ND[name]
    w = np.ones((4, 2) + (3,) * nd)
    call = ALL[name]
    kwargs = {"w": w} if name in FORWARD else {"w": w, "dy": np.ones((2, 4) + (4,) * nd)}
    with raises(ValueError, name, "w has 2 input channels per group (w.shape[1])", "x has 3 channels",
                "groups=1", "w.shape[1] must be 3"):
        call(**kwargs)


@pytest.mark.parametrize("name", ["conv_transpose2d", "conv_transpose1d", "conv_transpose2d_backward"])
def test_channel_mismatch_transposed(name):
    nd = ND[name]
    w = np.ones((4, 2) + (3,) * nd)
    kwargs = {"w": w} if name in FORWARD else {"w": w, "dy": np.ones((2, 2) + (6,) * nd)}
    with raises(ValueError, name, "x has 3 channels but w has 4 input channels (w.shape[0])"):
        ALL[name](**kwargs)


@pytest.mark.parametrize("name", ["conv2d", "conv1d", "conv_transpose2d", "conv_transpose1d",
                                  "conv2d_backward", "conv_transpose2d_backward"])
def test_groups_that_do_not_divide_the_input_channels(name):
    kwargs = {"groups": 2}
    if name in BACKWARD:
        kwargs["dy"] = np.ones((2, 4, 4, 4))
    with raises(ValueError, name, "groups 2 must divide the 3 input channels of x"):
        ALL[name](**kwargs)


@pytest.mark.parametrize("name", ["conv2d", "conv2d_backward"])
def test_groups_that_do_not_divide_the_output_channels(name):
    x, w = np.ones((1, 4, 5, 5)), np.ones((3, 2, 3, 3))
    kwargs = {"x": x, "w": w, "groups": 2}
    if name in BACKWARD:
        kwargs["dy"] = np.ones((1, 3, 3, 3))
    with raises(ValueError, name, "groups 2 must divide the 3 output channels of w"):
        ALL[name](**kwargs)


@pytest.mark.parametrize("name", ["conv2d", "conv_transpose1d"])
@pytest.mark.parametrize("bad,exc,text", [
    (0, ValueError, re.compile("groups " + POSITIVE + "0$")),
    (-3, ValueError, re.compile("groups " + POSITIVE + "-3$")),
    (1.5, TypeError, "groups must be an integer, got 1.5 (float)"),
    (True, TypeError, "groups must be an integer, got True (bool)"),
    ("1", TypeError, "groups must be an integer, got '1' (str)"),
])
def test_bad_groups(name, bad, exc, text):
    with raises(exc, name, text):
        FORWARD[name](groups=bad)


# ---------------------------------------------------------------------------
# Stride, dilation, kernel size, factor: positive integers only
# ---------------------------------------------------------------------------

BAD_INTS = [   # (value, exception, regex for what follows the argument's name)
    (0, ValueError, POSITIVE + "0$"),
    (-1, ValueError, POSITIVE + "-1$"),
    (2.5, TypeError, re.escape("must be an integer, got 2.5 (float)")),
    (2.0, TypeError, re.escape("must be an integer, got 2.0 (float)")),
    (True, TypeError, re.escape("must be an integer, got True (bool)")),
    ("2", TypeError, re.escape("must be an integer, got '2' (str)")),
    (None, TypeError, re.escape("must be an integer, got None (NoneType)")),
    (np.float64(2), TypeError, re.escape("must be an integer, got")),
]

INT_ARGS = [
    ("conv2d", "stride"), ("conv2d", "dilation"), ("conv1d", "stride"), ("conv1d", "dilation"),
    ("conv_transpose2d", "stride"), ("conv_transpose2d", "dilation"), ("conv_transpose1d", "stride"),
    ("conv2d_backward", "stride"), ("conv2d_backward", "dilation"), ("conv1d_backward", "dilation"),
    ("conv_transpose2d_backward", "stride"), ("conv_transpose1d_backward", "dilation"),
    ("max_pool2d", "kernel_size"), ("max_pool2d", "stride"), ("max_pool1d", "kernel_size"),
    ("avg_pool2d", "kernel_size"), ("avg_pool1d", "stride"), ("lp_pool2d", "kernel_size"),
    ("lp_pool1d", "stride"), ("max_pool2d_backward", "kernel_size"), ("avg_pool2d_backward", "stride"),
    ("lp_pool1d_backward", "kernel_size"),
    ("upsample", "factor"), ("downsample", "factor"), ("upsample_backward", "factor"),
    ("downsample_backward", "factor"),
]


INT_CASES = [pytest.param(name, arg, bad, exc, text, id=f"{name}-{arg}-{bad!r}")
             for name, arg in INT_ARGS for bad, exc, text in BAD_INTS
             # stride=None is the pools' documented default (the window size)
             if not (arg == "stride" and bad is None and name.startswith(("max", "avg", "lp")))]


@pytest.mark.parametrize("name,arg,bad,exc,text", INT_CASES)
def test_non_positive_or_fractional_integer_arguments(name, arg, bad, exc, text):
    kwargs = {arg: bad}
    if name in BACKWARD:
        kwargs["dy"] = np.ones((2, 3, 3, 3))  # never reached
    with raises(exc, name, re.compile(re.escape(f"{arg} ") + text)):
        ALL[name](**kwargs)


@pytest.mark.parametrize("name,arg", [("conv2d", "stride"), ("conv2d", "dilation"), ("max_pool2d", "kernel_size"),
                                      ("avg_pool2d", "stride"), ("upsample", "factor"),
                                      ("conv_transpose2d", "output_padding")])
def test_per_dimension_tuples(name, arg):
    with raises(ValueError, name, f"{arg} must be an integer or a sequence of 2 integers", "got (1, 2, 3)"):
        FORWARD[name](**{arg: (1, 2, 3)})
    minimum = "must be >= 0, got -1$" if arg == "output_padding" else POSITIVE + "0$"
    with raises(ValueError, name, re.compile(re.escape(f"{arg} ") + minimum)):
        FORWARD[name](**{arg: (1, -1 if arg == "output_padding" else 0)})
    with raises(TypeError, name, f"{arg} must be an integer, got 1.5"):
        FORWARD[name](**{arg: (1, 1.5)})


@pytest.mark.parametrize("name", ["conv2d", "conv1d", "conv_transpose2d", "conv2d_backward"])
def test_empty_kernel_or_empty_input(name):
    nd = ND[name]
    w = np.ones((4, 3, 0) + (3,) * (nd - 1)) if "transpose" not in name else np.ones((3, 2, 0) + (3,) * (nd - 1))
    kwargs = {"w": w}
    if name in BACKWARD:
        kwargs["dy"] = np.ones((2, 4, 4, 4))
    with raises(ValueError, name, "w must have every dimension of at least 1", f"got shape {w.shape}"):
        ALL[name](**kwargs)
    x = np.ones((2, 3, 0) + (6,) * (nd - 1))
    with raises(ValueError, name, "x must have channels and spatial sizes of at least 1", f"{x.shape}"):
        ALL[name](x=x, **({"dy": np.ones((2, 4, 4, 4))} if name in BACKWARD else {}))


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool1d", "lp_pool2d", "max_pool2d_backward"])
def test_pool_of_empty_input(name):
    x = np.ones((2, 0, 4, 4)) if ND[name] == 2 else np.ones((2, 3, 0))
    kwargs = {"x": x}
    if name in BACKWARD:
        kwargs["dy"] = np.ones((2, 0, 2, 2))
    with raises(ValueError, name, "x must have channels and spatial sizes of at least 1", f"{x.shape}"):
        ALL[name](**kwargs)


# ---------------------------------------------------------------------------
# Padding
# ---------------------------------------------------------------------------

PADDED = ["conv2d", "conv1d", "conv_transpose2d", "conv_transpose1d", "max_pool2d", "max_pool1d",
          "avg_pool2d", "avg_pool1d", "conv2d_backward", "conv_transpose2d_backward",
          "max_pool2d_backward", "avg_pool1d_backward"]


@pytest.mark.parametrize("name", PADDED)
@pytest.mark.parametrize("form", ["int", "tuple", "pair"])
def test_negative_padding(name, form):
    nd = ND[name]
    pad = {"int": -1, "tuple": (0,) * (nd - 1) + (-1,),
           "pair": ((0, -1) if nd == 1 else ((0, 0), (-1, 0)))}[form]
    kwargs = {"padding": pad}
    if name in BACKWARD:
        kwargs["dy"] = np.ones((1,) * (nd + 2))  # never reached
    with raises(ValueError, name, "padding must be >= 0, got -1"):
        ALL[name](**kwargs)


@pytest.mark.parametrize("name", PADDED)
@pytest.mark.parametrize("bad", ["half", "SAME", "", "Valid"])
def test_unknown_padding_string(name, bad):
    kwargs = {"padding": bad}
    if name in BACKWARD:
        kwargs["dy"] = np.ones((1, 1, 1, 1))
    with raises(ValueError, name, "padding must be", "'valid'", f"got {bad!r}"):
        ALL[name](**kwargs)


@pytest.mark.parametrize("name", ["conv_transpose2d", "conv_transpose1d", "conv_transpose2d_backward"])
def test_full_padding_is_not_defined_for_transposed_convolution(name):
    kwargs = {"padding": "full"}
    if name in BACKWARD:
        kwargs["dy"] = np.ones((2, 2, 8, 8))
    with raises(ValueError, name, "padding 'full' is not defined for a transposed convolution"):
        ALL[name](**kwargs)


@pytest.mark.parametrize("name", ["conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "conv2d_backward"])
@pytest.mark.parametrize("bad,exc,text", [
    ((1, 2, 3), ValueError, "padding must be an int, a tuple of 2 ints, explicit pairs ((top, bottom), "
                            "(left, right)), 'valid', 'same' or 'full', got (1, 2, 3)"),
    (((0, 0), (0, 0), (0, 0)), ValueError, "padding must be an int, a tuple of 2 ints"),
    (((1,),), ValueError, "padding must be an int, a tuple of 2 ints"),
    ((), ValueError, "padding must be an int, a tuple of 2 ints"),
    (((1, 2, 3), (0, 0)), ValueError, "padding pair must be (lo, hi), got (1, 2, 3)"),
    (((1,), (0, 0)), ValueError, "padding pair must be (lo, hi), got (1,)"),
    ((1.5, 1), TypeError, "padding must be an integer, got 1.5 (float)"),
    (((0, 1.5), (0, 0)), TypeError, "padding must be an integer, got 1.5 (float)"),
    (((0, True), (0, 0)), TypeError, "padding must be an integer, got True (bool)"),
    (1.5, TypeError, "padding must be an int, a tuple of 2 ints"),
    (True, TypeError, "padding must be an int, a tuple of 2 ints"),
    (None, TypeError, "padding must be an int, a tuple of 2 ints"),
    ({1: 1}, TypeError, "padding must be an int, a tuple of 2 ints"),
])
def test_malformed_padding_2d(name, bad, exc, text):
    kwargs = {"padding": bad}
    if name in BACKWARD:
        kwargs["dy"] = np.ones((2, 4, 4, 4))
    with raises(exc, name, text):
        ALL[name](**kwargs)


@pytest.mark.parametrize("name", ["conv1d", "conv_transpose1d", "max_pool1d", "avg_pool1d_backward"])
@pytest.mark.parametrize("bad,exc,text", [
    ((1, 2, 3), ValueError, "padding must be an int, a tuple of 1 ints, explicit pairs (lo, hi)"),
    (((1, 2), (3, 4)), ValueError, "padding must be an int, a tuple of 1 ints"),
    (((1, 2, 3),), ValueError, "padding pair must be (lo, hi), got (1, 2, 3)"),
    ((1, 2.0), ValueError, "padding must be an int, a tuple of 1 ints"),
    ((True, 1), TypeError, "padding must be an integer, got True (bool)"),
    (2.0, TypeError, "padding must be an int, a tuple of 1 ints"),
])
def test_malformed_padding_1d(name, bad, exc, text):
    kwargs = {"padding": bad}
    if name in BACKWARD:
        kwargs["dy"] = np.ones((2, 3, 4))
    with raises(exc, name, text):
        ALL[name](**kwargs)


# ---------------------------------------------------------------------------
# Bias, dtypes, values
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name,bad,out", [
    ("conv2d", np.ones(3), 4), ("conv2d", np.ones(5), 4), ("conv1d", np.ones(1), 4),
    ("conv_transpose2d", np.ones(3), 2), ("conv_transpose1d", np.ones(4), 2),
])
def test_bias_of_wrong_length(name, bad, out):
    with raises(ValueError, name, f"bias b must have shape ({out},)", f"got {bad.shape}"):
        FORWARD[name](b=bad)


COMPLEX_ARGS = [("conv2d", "x"), ("conv2d", "w"), ("conv2d", "b"), ("conv1d", "x"), ("conv_transpose2d", "w"),
                ("max_pool2d", "x"), ("avg_pool1d", "x"), ("lp_pool2d", "x"), ("upsample", "x"),
                ("downsample", "x"), ("conv2d_backward", "dy"), ("conv_transpose1d_backward", "dy"),
                ("max_pool2d_backward", "dy"), ("lp_pool1d_backward", "dy"), ("upsample_backward", "dy"),
                ("conv1d_backward", "w")]


@pytest.mark.parametrize("name,arg", COMPLEX_ARGS)
def test_complex_arrays(name, arg):
    base = {"x": X2, "w": W2, "b": B2}
    if name in BACKWARD:
        valid = BACKWARD[name]
        # the value the valid call would use, made complex
        shape = FORWARD[name.replace("_backward", "")]().shape if arg == "dy" else None
        bad = np.ones(shape, dtype=complex) if arg == "dy" else np.ones(W1.shape, dtype=complex)
        with raises(TypeError, name, f"{arg} must be real, got complex dtype complex128"):
            valid(**{arg: bad})
        return
    sizes = {"conv1d": {"x": X1.shape}, "conv_transpose2d": {"w": WT2.shape}, "max_pool2d": {"x": P2.shape},
             "avg_pool1d": {"x": P1.shape}, "lp_pool2d": {"x": P2.shape}}
    shape = sizes.get(name, {}).get(arg, base.get(arg, X2).shape)
    bad = np.ones(shape, dtype=np.complex64) + 0.5j
    with raises(TypeError, name, f"{arg} must be real, got complex dtype complex64"):
        FORWARD[name](**{arg: bad})


def test_complex_scalars():
    with raises(TypeError, "lp_pool2d", "p must be a real number, got (2+0j) (complex)"):
        F.lp_pool2d(P2, 2 + 0j, 2)
    with raises(TypeError, "conv2d", "stride must be an integer, got (2+0j)"):
        F.conv2d(X2, W2, stride=2 + 0j)


@pytest.mark.parametrize("name", ["conv2d", "conv_transpose1d", "max_pool2d", "avg_pool2d", "lp_pool1d",
                                  "upsample", "downsample"])
@pytest.mark.parametrize("bad,text", [
    (np.full((1, 3, 6, 6), "a"), "x must be a real numeric array, got dtype <U1"),
    (np.empty((1, 3, 6, 6), dtype=object), "x must be a real numeric array, got dtype object"),
    (np.array([[[[1.0, 2.0], [3.0]]]], dtype=object), "x must be a real numeric array, got dtype object"),
    ([[[[1.0, 2.0], [3.0]]]], "x must be a numeric array, could not convert it"),
    (None, "x must be a real numeric array, got dtype object"),
    ("abc", "x must be a real numeric array, got dtype <U3"),
    (np.zeros((1, 3, 6, 6), dtype="datetime64[s]"), "x must be a real numeric array, got dtype datetime64[s]"),
])
def test_non_numeric_x(name, bad, text):
    with raises(TypeError, name, text):
        FORWARD[name](x=bad)


@pytest.mark.parametrize("name,arg", [("conv2d", "w"), ("conv2d", "b"), ("conv2d_backward", "dy"),
                                      ("max_pool1d_backward", "dy"), ("downsample_backward", "dy")])
def test_non_numeric_other_arrays(name, arg):
    bad = np.array(["1", "2"])
    with raises(TypeError, name, f"{arg} must be a real numeric array, got dtype <U1"):
        ALL[name](**{arg: bad})


@pytest.mark.parametrize("name", sorted(BACKWARD))
def test_dy_of_the_wrong_shape(name):
    fwd_name = name.replace("_backward", "")
    good = FORWARD[fwd_name]().shape
    for bad in [good[:-1] + (good[-1] + 1,), (good[0], good[1] + 1) + good[2:], (good[0] + 1,) + good[1:]]:
        with raises(ValueError, name, f"dy must have the shape of the forward output {good}", f"got {bad}"):
            BACKWARD[name](dy=np.ones(bad))
    if ND[name] == 2 and len(good) == 4 and not name.startswith(("up", "down")):
        bad = good[:2] + good[2:][::-1] if good[2] != good[3] else good[:2] + (good[2] + 1, good[3] - 1)
        with raises(ValueError, name, f"got {bad}"):
            BACKWARD[name](dy=np.ones(bad))


# ---------------------------------------------------------------------------
# output_padding
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["conv_transpose2d", "conv_transpose1d", "conv_transpose2d_backward",
                                  "conv_transpose1d_backward"])
@pytest.mark.parametrize("stride,dilation,op", [(1, 1, 1), (2, 1, 2), (2, 1, 3), (1, 3, 3), (3, 2, 3)])
def test_output_padding_not_smaller_than_stride_or_dilation(name, stride, dilation, op):
    kwargs = dict(stride=stride, dilation=dilation, output_padding=op)
    if name in BACKWARD:
        kwargs["dy"] = np.ones((1, 1, 1, 1))
    with raises(ValueError, name, "output_padding must be smaller than either stride or dilation",
                f"got output_padding {op} with stride {stride} and dilation {dilation}"):
        ALL[name](**kwargs)


@pytest.mark.parametrize("name", ["conv_transpose2d", "conv_transpose1d"])
def test_output_padding_allowed_below_stride_or_dilation(name):
    """Positive control: output_padding < max(stride, dilation) is accepted and adds samples."""
    nd = ND[name]
    base = FORWARD[name](stride=1, dilation=3).shape
    out = FORWARD[name](stride=1, dilation=3, output_padding=2).shape
    assert out[2:] == tuple(s + 2 for s in base[2:])
    assert FORWARD[name](stride=3, output_padding=(2,) * nd).shape[-1] == FORWARD[name](stride=3).shape[-1] + 2


@pytest.mark.parametrize("name", ["conv_transpose2d", "conv_transpose1d_backward"])
def test_output_padding_with_same(name):
    kwargs = dict(stride=2, padding="same", output_padding=1)
    if name in BACKWARD:
        kwargs["dy"] = np.ones((1, 1, 1))
    with raises(ValueError, name, "output_padding must be 0 with padding='same', got 1"):
        ALL[name](**kwargs)


@pytest.mark.parametrize("name", ["conv_transpose2d", "conv_transpose1d_backward"])
def test_transposed_padding_that_crops_everything(name):
    kwargs = dict(padding=5)
    if name in BACKWARD:
        kwargs["dy"] = np.ones((1, 1, 1))
    with raises(ValueError, name, "padding (5, 5) crops away the whole output"):
        ALL[name](**kwargs)


# ---------------------------------------------------------------------------
# Kernel larger than the padded input; pooling windows made only of padding
# ---------------------------------------------------------------------------

def test_kernel_larger_than_padded_input_conv2d_message():
    with pytest.raises(ValueError, match=r"^conv2d: kernel 5x5 \(dilation 1(x1)?\) does not fit in the "
                                         r"padded input 3x3$"):
        F.conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 5, 5)))


@pytest.mark.parametrize("call,fn,text", [
    (lambda: F.conv1d(np.ones((1, 1, 3)), np.ones((1, 1, 5))), "conv1d",
     "kernel 5 (dilation 1) does not fit in the padded input 3"),
    (lambda: F.conv2d(np.ones((1, 1, 3, 4)), np.ones((1, 1, 3, 2)), dilation=(1, 4)), "conv2d",
     "kernel 3x2 (dilation 1x4) does not fit in the padded input 3x4"),
    (lambda: F.conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 6, 6)), padding=((1, 1), (0, 2))), "conv2d",
     "kernel 6x6 (dilation 1) does not fit in the padded input 5x5"),
    (lambda: F.conv2d_backward(np.ones((1, 1, 1, 1)), np.ones((1, 1, 3, 3)), np.ones((1, 1, 5, 5))),
     "conv2d_backward", "kernel 5x5 (dilation 1) does not fit in the padded input 3x3"),
    (lambda: F.conv1d_backward(np.ones((1, 1, 1)), np.ones((1, 1, 4)), np.ones((1, 1, 3)), dilation=2),
     "conv1d_backward", "kernel 3 (dilation 2) does not fit in the padded input 4"),
    (lambda: F.max_pool2d(np.ones((1, 1, 3, 3)), 4), "max_pool2d",
     re.compile(r"kernel 4x4 .*does not fit in the padded input 3x3")),
    (lambda: F.avg_pool1d(np.ones((1, 1, 3)), 5, padding=(0, 1)), "avg_pool1d",
     re.compile(r"kernel 5 .*does not fit in the padded input 4")),
    (lambda: F.lp_pool2d(np.ones((1, 1, 3, 5)), 2, (4, 2)), "lp_pool2d",
     re.compile(r"kernel 4x2 .*does not fit in the padded input 3x5")),
    (lambda: F.max_pool1d_backward(np.ones((1, 1, 1)), np.ones((1, 1, 3)), 4), "max_pool1d_backward",
     re.compile(r"kernel 4 .*does not fit in the padded input 3")),
])
def test_kernel_larger_than_padded_input(call, fn, text):
    with raises(ValueError, fn, text):
        call()


@pytest.mark.parametrize("call,fn,pad,window", [
    (lambda: F.max_pool2d(np.ones((1, 1, 4, 4)), 2, 2, ((2, 0), (0, 0))), "max_pool2d", (2, 0), "2x2"),
    (lambda: F.avg_pool2d(np.ones((1, 1, 4, 4)), 2, 2, 2), "avg_pool2d", (2, 2), "2x2"),
    (lambda: F.max_pool1d(np.ones((1, 1, 4)), 2, 1, (0, 2)), "max_pool1d", (0, 2), "2"),
    (lambda: F.avg_pool1d(np.ones((1, 1, 4)), 1, 1, 1), "avg_pool1d", (1, 1), "1"),
    (lambda: F.max_pool2d(np.ones((1, 1, 5, 5)), (3, 1), 1, (0, (0, 1))), "max_pool2d", (0, 1), "3x1"),
    (lambda: F.max_pool2d_backward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 4, 4)), 2, 2, 2),
     "max_pool2d_backward", (2, 2), "2x2"),
    (lambda: F.avg_pool1d_backward(np.ones((1, 1, 6)), np.ones((1, 1, 4)), 1, 1, (0, 2)),
     "avg_pool1d_backward", (0, 2), "1"),
])
def test_pooling_padding_that_leaves_a_window_empty(call, fn, pad, window):
    with raises(ValueError, fn, f"padding {pad} leaves a window of size {window} with no input element"):
        call()


def test_pooling_padding_up_to_the_window_is_fine():
    """Positive control: padding smaller than the window is accepted (max ignores it, mean counts zeros)."""
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    y = F.max_pool2d(x, 2, 2, 1)
    np.testing.assert_array_equal(y[0, 0], [[0, 2, 3], [8, 10, 11], [12, 14, 15]])
    np.testing.assert_array_equal(F.avg_pool2d(x, 2, 2, 1)[0, 0, 0], [0 / 4, (1 + 2) / 4, 3 / 4])


# ---------------------------------------------------------------------------
# lp pooling p, resampling factor
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["lp_pool2d", "lp_pool1d", "lp_pool2d_backward", "lp_pool1d_backward"])
@pytest.mark.parametrize("bad,exc,text", [
    (0.5, ValueError, "p must be >= 1.0, got 0.5"),
    (0, ValueError, "p must be >= 1.0, got 0.0"),
    (-2, ValueError, "p must be >= 1.0, got -2.0"),
    (0.999, ValueError, "p must be >= 1.0, got 0.999"),
    (float("inf"), ValueError, "p must be finite, got inf"),
    (np.inf, ValueError, "p must be finite, got inf"),
    (float("nan"), ValueError, "p must be finite, got nan"),
    ("2", TypeError, "p must be a real number, got '2' (str)"),
    (True, TypeError, "p must be a real number, got True (bool)"),
    (None, TypeError, "p must be a real number, got None"),
    (np.array([2.0]), TypeError, "p must be a real number"),
])
def test_lp_pool_bad_p(name, bad, exc, text):
    with raises(exc, name, text):
        ALL[name](p=bad)


def test_lp_pool_p_one_and_numpy_scalars_are_fine():
    x = np.abs(P2)
    np.testing.assert_allclose(F.lp_pool2d(x, 1, 2), F.avg_pool2d(x, 2), rtol=1e-12)
    np.testing.assert_allclose(F.lp_pool2d(x, np.float32(2), 2), F.lp_pool2d(x, 2, 2), rtol=1e-12)
    np.testing.assert_allclose(F.lp_pool2d(x, np.int64(3), 2), F.lp_pool2d(x, 3.0, 2), rtol=1e-12)


@pytest.mark.parametrize("name", ["upsample", "downsample", "upsample_backward", "downsample_backward"])
def test_resampling_factor_zero(name):
    with raises(ValueError, name, re.compile("factor " + POSITIVE + "0$")):
        ALL[name](factor=0, **({"dy": np.ones((2, 3, 11, 11))} if name in BACKWARD else {}))
    with raises(ValueError, name, re.compile("factor " + POSITIVE + "0$")):
        ALL[name](factor=(2, 0), **({"dy": np.ones((2, 3, 11, 11))} if name in BACKWARD else {}))
    with raises(ValueError, name, "factor must be an integer or a sequence of 2 integers", "got (2,)"):
        ALL[name](factor=(2,), **({"dy": np.ones((2, 3, 11, 11))} if name in BACKWARD else {}))


# ---------------------------------------------------------------------------
# NaN propagates, it does not raise
# ---------------------------------------------------------------------------

def _touches(n_out, k, s, lo, d, target):
    """For each output position along one axis: does its window have a tap at ``target``?"""
    return np.array([any(t * s - lo + i * d == target for i in range(k)) for t in range(n_out)])


@pytest.mark.parametrize("stride,padding,dilation,groups", [
    (1, 0, 1, 1), (2, 1, 1, 1), (1, "same", 2, 1), (3, "full", 1, 1), (2, ((0, 2), (1, 0)), (2, 1), 1),
    (1, 1, 1, 3),
])
def test_nan_propagates_through_conv2d_exactly_where_windows_touch_it(stride, padding, dilation, groups):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 9, 8))
    w = rng.standard_normal((6, 3 // groups, 3, 2))
    nan_at = (0, 1, 4, 5)
    x[nan_at] = np.nan
    z = F.conv2d(x, w, rng.standard_normal(6), stride=stride, padding=padding, dilation=dilation, groups=groups)
    # independent mask: output (n, o, p, q) touches (4, 5) of sample 0, channel 1
    s2 = (stride,) * 2 if isinstance(stride, int) else stride
    d2 = (dilation,) * 2 if isinstance(dilation, int) else dilation
    lo = []
    for axis, (n, k) in enumerate(zip((9, 8), (3, 2))):
        spec = padding if not isinstance(padding, tuple) else padding[axis]
        if spec == "same":
            total = s2[axis] * -(-n // s2[axis]) - n + d2[axis] * (k - 1)
            lo.append(total // 2)
        elif spec == "full":
            lo.append(d2[axis] * (k - 1))
        elif isinstance(spec, tuple):
            lo.append(spec[0])
        else:
            lo.append(spec)
    rows = _touches(z.shape[2], 3, s2[0], lo[0], d2[0], 4)
    cols = _touches(z.shape[3], 2, s2[1], lo[1], d2[1], 5)
    window = np.outer(rows, cols)
    expected = np.zeros(z.shape, bool)
    out_group = np.arange(6) // (6 // groups) == 1 // (3 // groups)   # output channels that read channel 1
    expected[0][out_group] = window
    assert window.any()
    np.testing.assert_array_equal(np.isnan(z), expected)
    # backward does not raise either; dw of the channels that saw the NaN is NaN, db is finite
    dy = rng.standard_normal(z.shape)
    dx, dw, db = F.conv2d_backward(dy, x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
    assert np.isfinite(db).all()
    assert np.isnan(dw[out_group]).any() and np.isfinite(dw[~out_group]).all()
    assert np.isfinite(dx).all()   # dx does not depend on x


def test_nan_propagates_through_transposed_convolution():
    x = np.ones((1, 2, 3, 3))
    x[0, 0, 1, 2] = np.nan
    z = F.conv_transpose2d(x, np.ones((2, 1, 2, 2)), stride=2)
    expected = np.zeros((6, 6), bool)
    expected[2:4, 4:6] = True
    np.testing.assert_array_equal(np.isnan(z[0, 0]), expected)


@pytest.mark.parametrize("kind", ["max", "avg", "lp"])
def test_nan_propagates_through_pooling(kind):
    x = np.abs(np.random.default_rng(2).standard_normal((1, 2, 6, 6))) + 0.1
    x[0, 1, 2, 3] = np.nan
    if kind == "lp":
        y = F.lp_pool2d(x, 3, 2, 1)
        dx = F.lp_pool2d_backward(np.ones(y.shape), x, 3, 2, 1)
    else:
        y = getattr(F, f"{kind}_pool2d")(x, 2, 1)
        dx = getattr(F, f"{kind}_pool2d_backward")(np.ones(y.shape), x, 2, 1)
    expected = np.zeros(y.shape, bool)
    expected[0, 1, 1:3, 2:4] = True                      # the 2x2 windows (stride 1) holding (2, 3)
    np.testing.assert_array_equal(np.isnan(y), expected)
    assert np.isfinite(dx[0, 0]).all()
    if kind == "max":
        # every window holding the NaN routes its derivative there (NaN is its maximum)
        assert dx[0, 1, 2, 3] == 4
        assert np.isfinite(dx).all()


@pytest.mark.parametrize("pos", [(0, 0), (1, 1), (0, 1)])
def test_max_pool_nan_anywhere_in_window(pos):
    """NaN is the maximum wherever it sits in the window (first element or later)."""
    x = np.array([[[[1.0, 5.0], [3.0, 2.0]]]])
    x[(0, 0, *pos)] = np.nan
    assert np.isnan(F.max_pool2d(x, 2)[0, 0, 0, 0])
    dx = F.max_pool2d_backward([[[[7.0]]]], x, 2)
    expected = np.zeros((2, 2))
    expected[pos] = 7.0
    np.testing.assert_array_equal(dx[0, 0], expected)


# ---------------------------------------------------------------------------
# Extreme geometries: correct results or clear errors, never a crash
# ---------------------------------------------------------------------------

def np_conv2d(x, w, stride, pads, dilation):
    """Independent reference: explicit zero padding, then a sum of shifted strided slices."""
    (pt, pb), (pl, pr) = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    _, _, h, wd = xp.shape
    _, _, kh, kw = w.shape
    (sh, sw), (dh, dw) = stride, dilation
    oh, ow = (h - dh * (kh - 1) - 1) // sh + 1, (wd - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((x.shape[0], w.shape[0], oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i * dh: i * dh + sh * (oh - 1) + 1: sh, j * dw: j * dw + sw * (ow - 1) + 1: sw]
            out += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    return out


def check_conv_and_adjoint(x, w, stride, pads, dilation, padding=None):
    """Forward against np_conv2d; backward by the adjoint identities <dy, conv(x, w)> = <dx, x> = <dw, w>."""
    padding = pads if padding is None else padding
    z = F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation)
    np.testing.assert_allclose(z, np_conv2d(x, w, stride, pads, dilation), rtol=1e-10, atol=1e-10)
    dy = np.random.default_rng(0).standard_normal(z.shape)
    dx, dw, db = F.conv2d_backward(dy, x, w, stride=stride, padding=padding, dilation=dilation)
    inner = np.sum(dy * z)
    np.testing.assert_allclose(np.sum(dx * x), inner, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(np.sum(dw * w), inner, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(db, dy.sum(axis=(0, 2, 3)), rtol=1e-12)
    return z


def test_huge_padding():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((1, 2, 3, 3)), rng.standard_normal((2, 2, 3, 3))
    z = check_conv_and_adjoint(x, w, (1, 1), ((60, 60), (60, 60)), (1, 1), padding=60)
    assert z.shape == (1, 2, 121, 121)
    # far from the input the output is zero
    assert not z[:, :, :50].any() and not z[:, :, :, 70:].any()


def test_stride_larger_than_input():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 2, 3, 4)), rng.standard_normal((3, 2, 2, 2))
    z = check_conv_and_adjoint(x, w, (10, 17), ((0, 0), (0, 0)), (1, 1))
    assert z.shape == (2, 3, 1, 1)
    y = F.max_pool2d(x, 2, stride=10)
    np.testing.assert_array_equal(y[..., 0, 0], x[:, :, :2, :2].max(axis=(2, 3)))
    dx = F.max_pool2d_backward(np.ones(y.shape), x, 2, stride=10)
    assert dx.sum() == y.size and not dx[:, :, 2:].any() and not dx[:, :, :, 2:].any()
    np.testing.assert_allclose(F.avg_pool2d(x, 2, 10)[..., 0, 0], x[:, :, :2, :2].mean(axis=(2, 3)))
    np.testing.assert_allclose(F.lp_pool2d(np.abs(x), 2, 2, 10)[..., 0, 0],
                               np.sqrt((x[:, :, :2, :2] ** 2).mean(axis=(2, 3))))
    np.testing.assert_array_equal(F.downsample(x, 10), x[:, :, :1, :1])
    z = F.conv_transpose2d(x, np.ones((2, 1, 1, 1)), stride=50)
    assert z.shape == (2, 1, 101, 151)
    np.testing.assert_allclose(z[:, 0, ::50, ::50], x.sum(axis=1))
    assert np.count_nonzero(z) == np.count_nonzero(x.sum(axis=1))


def test_one_by_one_kernels():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((4, 3, 1, 1))
    z = check_conv_and_adjoint(x, w, (1, 1), ((0, 0), (0, 0)), (1, 1))
    np.testing.assert_allclose(z, np.einsum("nchw,oc->nohw", x, w[:, :, 0, 0]), rtol=1e-12)
    check_conv_and_adjoint(x, w, (2, 3), ((1, 0), (2, 2)), (5, 7))  # dilation of a 1x1 kernel is moot
    np.testing.assert_array_equal(F.max_pool2d(x, 1), x)
    np.testing.assert_array_equal(F.avg_pool2d(x, 1), x)


def test_kernel_equal_to_padded_input():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 2, 3, 3))
    w = rng.standard_normal((1, 2, 5, 5))
    z = check_conv_and_adjoint(x, w, (1, 1), ((1, 1), (1, 1)), (1, 1), padding=1)
    assert z.shape == (2, 1, 1, 1)
    np.testing.assert_allclose(z[:, 0, 0, 0], np.einsum("nchw,chw->n", x, w[0, :, 1:4, 1:4]), rtol=1e-12)
    z = check_conv_and_adjoint(x, w[:, :, :3, :3], (1, 1), ((0, 0), (0, 0)), (1, 1), padding="valid")
    assert z.shape == (2, 1, 1, 1)
    # dilated kernel whose span equals the padded input
    check_conv_and_adjoint(x, rng.standard_normal((2, 2, 2, 2)), (1, 1), ((25, 25), (25, 25)), (50, 50),
                           padding=25)
    assert F.max_pool2d(x, 3).shape == (2, 2, 1, 1)
    assert F.max_pool2d(x, 3)[0, 0, 0, 0] == x[0, 0].max()


EXTREME = [
    "F.conv2d(x, w, stride=2**64)",
    "F.conv1d(x[..., 0], w[..., 0], stride=2**64)",
    "F.conv2d(x, w[..., :1, :1], dilation=2**64)",
    "F.max_pool2d(x, 2, stride=2**64)",
    "F.avg_pool2d(x, 2, stride=2**64)",
    "F.lp_pool2d(x, 2, 2, stride=2**64)",
    "F.conv2d_backward(np.ones((1, 1, 1, 1)), x, w, stride=2**64)",
    "F.max_pool2d_backward(np.ones((1, 1, 1, 1)), x, 2, stride=2**64)",
    "F.conv2d(x, w, stride=2**63 - 1)",
    "F.conv2d(x, w, stride=(1, 2**63 - 1), padding=2)",
    "F.conv2d(x, w, stride=(1, 2**62), padding=2)",
    "F.conv2d(x, w, stride=(2**63 - 2, 1), padding=((1, 0), (0, 0)))",
    "F.conv2d_backward(np.ones((1, 1, 6, 1)), x, w, stride=(1, 2**63 - 1), padding=2)",
    "F.max_pool2d(x, 2, stride=2**63 - 1)",
    "F.max_pool2d(x, 2, stride=(1, 2**63 - 1), padding=1)",
    "F.downsample(x, 2**64)",
    "F.conv2d(x, w, padding=10**6)",
    "F.conv2d(x, w, padding=2**70)",
    "F.conv2d(x, w, dilation=2**70)",
    "F.conv_transpose2d(x, w, stride=2**40)",
    "F.conv_transpose2d(x, w, padding=2**70)",
    "F.upsample(x, 2**62)",
    "F.max_pool2d(x, 2**64)",
]

_X = np.arange(9.0).reshape(1, 1, 3, 3)
_W = np.ones((1, 1, 2, 2))


def _np_max_pool(x, k, stride, pads):
    (pt, pb), (pl, pr) = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=-np.inf)
    oh, ow = (xp.shape[2] - k) // stride[0] + 1, (xp.shape[3] - k) // stride[1] + 1
    return np.array([[xp[0, 0, p * stride[0]: p * stride[0] + k, q * stride[1]: q * stride[1] + k].max()
                      for q in range(ow)] for p in range(oh)]).reshape(1, 1, oh, ow)


def _np_conv_backward(dy, x, w, stride, pads):
    """dx and dw of np_conv2d by brute force: the conv is linear, so differentiate by unit inputs."""
    dx = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = 1
        dx[idx] = np.sum(dy * np_conv2d(e, w, stride, pads, (1, 1)))
    dw = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        e = np.zeros_like(w)
        e[idx] = 1
        dw[idx] = np.sum(dy * np_conv2d(x, e, stride, pads, (1, 1)))
    return dx, dw, dy.sum(axis=(0, 2, 3))


_BIG = 2**63 - 1
EXTREME_EXPECTED = {   # independent NumPy answers for the calls that have one
    "F.conv2d(x, w, stride=2**63 - 1)": lambda: [np_conv2d(_X, _W, (_BIG, _BIG), ((0, 0), (0, 0)), (1, 1))],
    "F.conv2d(x, w, stride=(1, 2**63 - 1), padding=2)":
        lambda: [np_conv2d(_X, _W, (1, _BIG), ((2, 2), (2, 2)), (1, 1))],
    "F.conv2d(x, w, stride=(1, 2**62), padding=2)":
        lambda: [np_conv2d(_X, _W, (1, 2**62), ((2, 2), (2, 2)), (1, 1))],
    "F.conv2d(x, w, stride=(2**63 - 2, 1), padding=((1, 0), (0, 0)))":
        lambda: [np_conv2d(_X, _W, (2**63 - 2, 1), ((1, 0), (0, 0)), (1, 1))],
    "F.conv2d_backward(np.ones((1, 1, 6, 1)), x, w, stride=(1, 2**63 - 1), padding=2)":
        lambda: list(_np_conv_backward(np.ones((1, 1, 6, 1)), _X, _W, (1, _BIG), ((2, 2), (2, 2)))),
    "F.max_pool2d(x, 2, stride=2**63 - 1)": lambda: [_np_max_pool(_X, 2, (_BIG, _BIG), ((0, 0), (0, 0)))],
    "F.max_pool2d(x, 2, stride=(1, 2**63 - 1), padding=1)":
        lambda: [_np_max_pool(_X, 2, (1, _BIG), ((1, 1), (1, 1)))],
    "F.max_pool2d(x, 2, stride=2**64)": lambda: [np.full((1, 1, 1, 1), 4.0)],
    "F.avg_pool2d(x, 2, stride=2**64)": lambda: [np.full((1, 1, 1, 1), 2.0)],
    "F.lp_pool2d(x, 2, 2, stride=2**64)": lambda: [np.full((1, 1, 1, 1), np.sqrt(np.mean([0, 1, 9, 16])))],
    "F.conv2d(x, w, stride=2**64)": lambda: [np.full((1, 1, 1, 1), 8.0)],
    "F.conv1d(x[..., 0], w[..., 0], stride=2**64)": lambda: [np.full((1, 1, 1), 0.0 + 3.0)],
    "F.conv2d(x, w[..., :1, :1], dilation=2**64)": lambda: [_X.copy()],
    "F.downsample(x, 2**64)": lambda: [np.zeros((1, 1, 1, 1))],
}


_RUNNER = textwrap.dedent("""
    import json, sys
    import numpy as np, cnnedu.functional as F
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.ones((1, 1, 2, 2))
    results = {}
    for code in json.loads(sys.argv[1]):
        try:
            r = eval(code)
        except MemoryError:
            results[code] = "MEMORY"
        except (ValueError, TypeError) as e:
            results[code] = "ERROR " + str(e)
        except BaseException as e:
            results[code] = "UNCLEAR " + type(e).__module__ + "." + type(e).__name__ + ": " + str(e).splitlines()[0]
        else:
            r = r if isinstance(r, tuple) else (r,)
            results[code] = "OK " + json.dumps([[list(a.shape), a.ravel()[:64].tolist()] for a in r])
        print(json.dumps(results), flush=True)   # partial results survive a crash
""")


@pytest.fixture(scope="module")
def extreme_results():
    """Run every EXTREME call in one subprocess, so a crash cannot take the suite down."""
    import json
    proc = subprocess.run([sys.executable, "-c", _RUNNER, json.dumps(EXTREME)], capture_output=True,
                          text=True, timeout=300)
    lines = proc.stdout.strip().splitlines()
    results = json.loads(lines[-1]) if lines else {}
    return proc.returncode, proc.stderr, results


@pytest.mark.parametrize("code", EXTREME)
def test_extreme_integers_give_a_result_or_a_clear_error(code, extreme_results):
    """Out-of-range sizes and steps: a stride far beyond the input has a well-defined
    answer (one window at the origin); an output too large to allocate may raise
    MemoryError (or NumPy's ValueError about the array size); anything else must be
    the library's own ValueError/TypeError naming the function, never a crash or an
    error from inside a Numba kernel."""
    returncode, stderr, results = extreme_results
    assert code in results, f"the subprocess crashed (return code {returncode}) at or before {code}: {stderr[-2000:]}"
    out = results[code]
    fn = code.split("(")[0].split(".")[1]
    if out.startswith("ERROR"):
        msg = out[len("ERROR "):]
        too_big = "array is too big" in msg or "Maximum allowed dimension exceeded" in msg
        assert too_big or msg.startswith(f"{fn}:"), f"{code}: unclear error {out}"
    else:
        assert out.startswith(("OK", "MEMORY")), f"{code}: {out}"
    if out.startswith("OK") and code in EXTREME_EXPECTED:
        import json
        got = [np.array(values).reshape(shape) for shape, values in json.loads(out[3:])]
        expected = EXTREME_EXPECTED[code]()
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert g.shape == e.shape, f"{code}: shape {g.shape}, expected {e.shape}"
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12, err_msg=code)


def test_lp_pool_extreme_magnitudes_do_not_overflow():
    """(mean |x|^p)^(1/p) is computed relative to the window maximum: no overflow or underflow."""
    for v in (1e200, 1e-200, 1e300):
        x = np.full((1, 1, 2, 2), v)
        x[0, 0, 1, 1] = -v
        y = F.lp_pool2d(x, 3, 2)
        np.testing.assert_allclose(y[0, 0, 0, 0], v, rtol=1e-12)
        dx = F.lp_pool2d_backward(np.ones((1, 1, 1, 1)), x, 3, 2)
        np.testing.assert_allclose(dx[0, 0], [[0.25, 0.25], [0.25, -0.25]], rtol=1e-12)
    x32 = np.full((1, 1, 2, 2), 1e30, np.float32)
    np.testing.assert_allclose(F.lp_pool2d(x32, 4, 2)[0, 0, 0, 0], 1e30, rtol=1e-6)
    # zeros: y = 0 and a zero (sub)gradient, no 0/0
    z = F.lp_pool2d_backward(np.ones((1, 1, 1, 1)), np.zeros((1, 1, 2, 2)), 2, 2)
    assert np.array_equal(z, np.zeros((1, 1, 2, 2)))


def test_padding_as_lists_equals_tuples():
    x, w = X2, W2
    np.testing.assert_array_equal(F.conv2d(x, w, padding=[1, 2]), F.conv2d(x, w, padding=(1, 2)))
    np.testing.assert_array_equal(F.conv2d(x, w, padding=[[1, 0], [0, 2]]), F.conv2d(x, w, padding=((1, 0), (0, 2))))
    np.testing.assert_array_equal(F.conv1d(X1, W1, padding=[2, 1]), F.conv1d(X1, W1, padding=(2, 1)))
    np.testing.assert_array_equal(F.conv2d(x, w, stride=[2, 1]), F.conv2d(x, w, stride=(2, 1)))
    np.testing.assert_array_equal(F.max_pool2d(P2, [2, 3]), F.max_pool2d(P2, (2, 3)))
