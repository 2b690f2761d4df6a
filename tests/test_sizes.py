"""cnnedu.sizes: against the shapes cnnedu.functional really produces, and against
every relationship of Dumoulin & Visin, "A guide to convolution arithmetic for
deep learning" (2016).

Notation of the guide: input size i, kernel k, stride s, zero padding p (both
sides), output o; for a transposed convolution i' is its input (the forward
convolution's output) and o' its output; dilation d.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import cnnedu.functional as F
from cnnedu import sizes

I = st.integers(1, 40)       # input sizes
K = st.integers(1, 9)        # kernel sizes
S = st.integers(1, 6)        # strides
D = st.integers(1, 4)        # dilations
P = st.integers(0, 8)        # paddings


def padding_specs():
    return st.one_of(P, st.tuples(P, P), st.sampled_from(["valid", "same", "full"]))


# ---------------------------------------------------------------------------
# Against the shapes cnnedu.functional produces
# ---------------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 20), k=st.integers(1, 6), s=S, pad=padding_specs(), d=st.integers(1, 3))
def test_conv_output_size_is_conv1d_output_length(n, k, s, pad, d):
    x, w = np.ones((1, 1, n)), np.ones((1, 1, k))
    try:
        expected = sizes.conv_output_size(n, k, s, pad, d)
    except ValueError as exc:
        assert "does not fit" in str(exc)
        with pytest.raises(ValueError, match="does not fit"):
            F.conv1d(x, w, stride=s, padding=pad, dilation=d)
        return
    assert F.conv1d(x, w, stride=s, padding=pad, dilation=d).shape == (1, 1, expected)
    # The padding it used is resolve_padding's: the output is a sum of ones over the
    # part of each window that lies inside the input.
    lo, hi = sizes.resolve_padding(n, k, s, pad, d)
    z = F.conv1d(x, w, stride=s, padding=pad, dilation=d)[0, 0]
    for t, v in enumerate(z):
        taps = [t * s - lo + i * d for i in range(k)]
        assert v == sum(0 <= h < n for h in taps)
    assert n + lo + hi >= d * (k - 1) + 1


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_conv_output_size_is_conv2d_output_shape(data):
    n = [data.draw(st.integers(1, 14)) for _ in range(2)]
    k = [data.draw(st.integers(1, 5)) for _ in range(2)]
    s = [data.draw(S) for _ in range(2)]
    d = [data.draw(st.integers(1, 3)) for _ in range(2)]
    pad = [data.draw(padding_specs()) for _ in range(2)]
    try:
        expected = [sizes.conv_output_size(*args) for args in zip(n, k, s, pad, d)]
    except ValueError:
        with pytest.raises(ValueError, match="conv2d: kernel .* does not fit"):
            F.conv2d(np.ones((1, 1, *n)), np.ones((1, 1, *k)), stride=s, padding=tuple(pad), dilation=d)
        return
    z = F.conv2d(np.ones((2, 3, *n)), np.ones((4, 3, *k)), stride=tuple(s), padding=tuple(pad),
                 dilation=tuple(d))
    assert z.shape == (2, 4, *expected)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 16), k=st.integers(1, 5), s=S, pad=st.one_of(P, st.tuples(P, P), st.just("valid")),
       op=st.integers(0, 5), d=st.integers(1, 3))
def test_conv_transpose_output_size_is_conv_transpose1d_output_length(n, k, s, pad, op, d):
    x, w = np.ones((1, 1, n)), np.ones((1, 1, k))
    try:
        expected = sizes.conv_transpose_output_size(n, k, s, pad, op, d)
    except ValueError as exc:
        msg = str(exc)
        assert "output_padding must be smaller" in msg or "crops away the whole output" in msg
        with pytest.raises(ValueError, match="conv_transpose1d: (output_padding must be smaller|padding)"):
            F.conv_transpose1d(x, w, stride=s, padding=pad, output_padding=op, dilation=d)
        return
    assert op < max(s, d)
    lo, hi = (pad, pad) if isinstance(pad, int) else ((0, 0) if pad == "valid" else pad)
    assert expected == (n - 1) * s - lo - hi + d * (k - 1) + op + 1
    z = F.conv_transpose1d(x, w, stride=s, padding=pad, output_padding=op, dilation=d)
    assert z.shape == (1, 1, expected)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 10), k=st.integers(1, 5), s=S, d=st.integers(1, 3))
def test_conv_transpose_same_gives_n_times_stride(n, k, s, d):
    assert sizes.conv_transpose_output_size(n, k, s, "same", 0, d) == n * s
    lo, hi, op = sizes.resolve_transpose_padding(n, k, s, "same", 0, d)
    assert (lo, hi, op) == (d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2, s - 1)
    z = F.conv_transpose1d(np.ones((1, 2, n)), np.ones((2, 3, k)), stride=s, padding="same", dilation=d)
    assert z.shape == (1, 3, n * s)
    z = F.conv_transpose2d(np.ones((1, 1, n, 2)), np.ones((1, 1, k, 1)), stride=(s, 1), padding="same",
                           dilation=(d, 1))
    assert z.shape == (1, 1, n * s, 2)
    # A transposed "same" convolution is the transpose of a "same" convolution of
    # an input of n*s samples, which has n outputs.
    assert sizes.conv_output_size(n * s, k, s, "same", d) == n


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 20), k=st.integers(1, 6), stride=st.one_of(st.none(), S),
       pad=st.one_of(st.integers(0, 3), st.tuples(st.integers(0, 3), st.integers(0, 3)),
                     st.sampled_from(["valid", "same", "full"])))
def test_pool_output_size_is_max_pool_output_shape(n, k, stride, pad):
    try:
        expected = sizes.pool_output_size(n, k, stride, pad)
    except ValueError:
        with pytest.raises(ValueError):
            F.max_pool1d(np.zeros((1, 1, n)), k, stride, pad)
        return
    s = k if stride is None else stride
    assert expected == sizes.conv_output_size(n, k, s, pad, 1)
    pad2 = (pad, pad)  # one specification per dimension
    try:
        y = F.max_pool2d(np.zeros((1, 2, n, n + 1)), k, stride, pad2)
    except ValueError as exc:
        # pooling additionally refuses windows made only of padding
        assert "no input element" in str(exc)
        lo, hi = sizes.resolve_padding(n, k, s, pad)
        lo1, _ = sizes.resolve_padding(n + 1, k, s, pad)
        out1 = sizes.pool_output_size(n + 1, k, stride, pad)
        assert lo >= k or lo1 >= k or (expected - 1) * s - lo >= n or (out1 - 1) * s - lo1 >= n + 1
        return
    assert y.shape == (1, 2, expected, sizes.pool_output_size(n + 1, k, stride, pad))
    assert F.avg_pool2d(np.zeros((1, 2, n, n + 1)), k, stride, pad2).shape == y.shape
    assert F.max_pool1d(np.zeros((1, 1, n)), k, stride, pad).shape == (1, 1, expected)


def test_pool_output_size_defaults_stride_to_the_window():
    assert sizes.pool_output_size(28, 2) == 14            # LeNet-5
    assert sizes.pool_output_size(55, 3, stride=2) == 27  # AlexNet
    assert sizes.pool_output_size(7, 3) == 2
    assert F.max_pool2d(np.zeros((1, 1, 28, 28)), 2).shape == (1, 1, 14, 14)
    assert F.max_pool2d(np.zeros((1, 1, 55, 55)), 3, 2).shape == (1, 1, 27, 27)


# ---------------------------------------------------------------------------
# Dumoulin & Visin, Relationships 1-6 (convolution)
# ---------------------------------------------------------------------------

@given(i=I, k=K)
def test_relationship_1_no_padding_unit_stride(i, k):
    assume(k <= i)
    assert sizes.conv_output_size(i, k) == i - k + 1
    assert sizes.conv_output_size(i, k, padding="valid") == i - k + 1


@given(i=I, k=K, p=P)
def test_relationship_2_zero_padding_unit_stride(i, k, p):
    assume(k <= i + 2 * p)
    assert sizes.conv_output_size(i, k, 1, p) == i - k + 2 * p + 1
    assert sizes.conv_output_size(i, k, 1, (p, p)) == i - k + 2 * p + 1


@given(i=I, half=st.integers(0, 5))
def test_relationship_3_half_padding(i, half):
    k = 2 * half + 1                                # odd k, p = floor(k/2)
    assert sizes.conv_output_size(i, k, 1, k // 2) == i
    assert sizes.conv_output_size(i, k, 1, "same") == i
    assert sizes.same_padding(i, k) == (k // 2, k // 2)


@given(i=I, k=K)
def test_relationship_4_full_padding(i, k):
    assert sizes.conv_output_size(i, k, 1, k - 1) == i + k - 1
    assert sizes.conv_output_size(i, k, 1, "full") == i + k - 1
    assert sizes.full_padding(k) == (k - 1, k - 1)


@given(i=I, k=K, s=S)
def test_relationship_5_no_padding_non_unit_stride(i, k, s):
    assume(k <= i)
    assert sizes.conv_output_size(i, k, s) == (i - k) // s + 1


@given(i=I, k=K, s=S, p=P)
def test_relationship_6_padding_and_stride(i, k, s, p):
    assume(k <= i + 2 * p)
    assert sizes.conv_output_size(i, k, s, p) == math.floor((i + 2 * p - k) / s) + 1


def test_guide_figures():
    """The worked examples of the guide's figures 2.1-2.7 and 5.1."""
    assert sizes.conv_output_size(4, 3) == 2                          # fig 2.1
    assert sizes.conv_output_size(5, 4, padding=2) == 6               # fig 2.2
    assert sizes.conv_output_size(5, 3, padding=1) == 5               # fig 2.3 (half)
    assert sizes.conv_output_size(5, 3, padding=2) == 7               # fig 2.4 (full)
    assert sizes.conv_output_size(5, 3, stride=2) == 2                # fig 2.5
    assert sizes.conv_output_size(5, 3, stride=2, padding=1) == 3     # fig 2.6
    assert sizes.conv_output_size(6, 3, stride=2, padding=1) == 3     # fig 2.7
    assert sizes.conv_output_size(7, 3, dilation=2) == 3              # fig 5.1
    # transposed counterparts (figs 4.1-4.7)
    assert sizes.conv_transpose_output_size(2, 3) == 4
    assert sizes.conv_transpose_output_size(6, 4, padding=2) == 5
    assert sizes.conv_transpose_output_size(5, 3, padding=1) == 5
    assert sizes.conv_transpose_output_size(7, 3, padding=2) == 5
    assert sizes.conv_transpose_output_size(2, 3, stride=2) == 5
    assert sizes.conv_transpose_output_size(3, 3, stride=2, padding=1) == 5
    assert sizes.conv_transpose_output_size(3, 3, stride=2, padding=1, output_padding=1) == 6


def test_lecture_examples():
    assert sizes.conv_output_size(5, 3) == 3
    assert sizes.conv_output_size(5, 3, stride=2) == 2
    assert sizes.conv_output_size(32, 5) == 28
    assert sizes.conv_output_size(227, 11, stride=4) == 55            # AlexNet conv1
    assert sizes.resolve_padding(5, 3, padding="same") == (1, 1)
    assert sizes.resolve_padding(5, 3, padding=(0, 2)) == (0, 2)
    assert sizes.same_padding(5, 4) == (1, 2)
    assert sizes.same_padding(5, 3, stride=2) == (1, 2)


# ---------------------------------------------------------------------------
# Relationships 7-14 (transposed convolution), with i' = o of the forward one
# ---------------------------------------------------------------------------

@given(i=I, k=K)
def test_relationship_8_transposed_no_padding_unit_stride(i, k):
    assume(k <= i)
    ip = sizes.conv_output_size(i, k)
    assert sizes.conv_transpose_output_size(ip, k) == ip + (k - 1) == i


@given(i=I, k=K, p=P)
def test_relationship_9_transposed_zero_padding(i, k, p):
    assume(k <= i + 2 * p)
    ip = sizes.conv_output_size(i, k, 1, p)
    assert sizes.conv_transpose_output_size(ip, k, 1, p) == ip + (k - 1) - 2 * p == i


@given(i=I, half=st.integers(0, 5))
def test_relationship_10_transposed_half_padding(i, half):
    k = 2 * half + 1
    ip = sizes.conv_output_size(i, k, 1, k // 2)
    assert sizes.conv_transpose_output_size(ip, k, 1, k // 2) == ip == i
    assert sizes.conv_transpose_output_size(ip, k, 1, "same") == ip


@given(i=I, k=K)
def test_relationship_11_transposed_full_padding(i, k):
    ip = sizes.conv_output_size(i, k, 1, k - 1)
    assert sizes.conv_transpose_output_size(ip, k, 1, k - 1) == ip - (k - 1) == i


@given(i=I, k=K, s=S)
def test_relationship_12_transposed_stride(i, k, s):
    """(i - k) a multiple of s: o' = s(i' - 1) + k."""
    assume(k <= i and (i - k) % s == 0)
    ip = sizes.conv_output_size(i, k, s)
    assert sizes.conv_transpose_output_size(ip, k, s) == s * (ip - 1) + k == i


@given(i=I, k=K, s=S, p=P)
def test_relationship_13_transposed_padding_and_stride(i, k, s, p):
    """(i + 2p - k) a multiple of s: o' = s(i' - 1) + k - 2p."""
    assume(k <= i + 2 * p and (i + 2 * p - k) % s == 0)
    ip = sizes.conv_output_size(i, k, s, p)
    assert sizes.conv_transpose_output_size(ip, k, s, p) == s * (ip - 1) + k - 2 * p == i


@given(i=I, k=K, s=S, p=P)
def test_relationship_14_transposed_any_size(i, k, s, p):
    """a = (i + 2p - k) mod s: o' = s(i' - 1) + a + k - 2p; output_padding=a inverts the size."""
    assume(k <= i + 2 * p)
    a = (i + 2 * p - k) % s
    ip = sizes.conv_output_size(i, k, s, p)
    assume(s * (ip - 1) + a + k - 2 * p >= 1)
    assert sizes.conv_transpose_output_size(ip, k, s, p, output_padding=a) == s * (ip - 1) + a + k - 2 * p
    assert sizes.conv_transpose_output_size(ip, k, s, p, output_padding=a) == i
    # every size in [i - a, i - a + s) maps to the same i', and output_padding picks which
    for a2 in range(s):
        i2 = i - a + a2
        if i2 >= 1 and i2 + 2 * p >= k:
            assert sizes.conv_output_size(i2, k, s, p) == ip
            assert sizes.conv_transpose_output_size(ip, k, s, p, output_padding=a2) == i2


@given(i=I, k=K, s=S, p=P, d=D)
def test_transposed_inverts_dilated_convolution(i, k, s, p, d):
    span = d * (k - 1) + 1
    assume(span <= i + 2 * p)
    a = (i + 2 * p - span) % s
    ip = sizes.conv_output_size(i, k, s, p, d)
    assert sizes.conv_transpose_output_size(ip, k, s, p, a, d) == i


def test_relationship_7_transposed_is_the_gradient_shape():
    """Relationship 7 (the transpose of a convolution has the convolution's input shape),
    checked on the arrays: conv2d_backward's dx and conv_transpose2d's output agree."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 7, 6))
    w = rng.standard_normal((3, 2, 3, 2))
    for s, p in [(1, (0, 0)), (2, (1, 1)), (3, (0, 0)), (2, ((0, 1), (1, 0))), (3, ((2, 0), 1))]:
        z = F.conv2d(x, w, stride=s, padding=p)
        dy = rng.standard_normal(z.shape)
        dx, _, _ = F.conv2d_backward(dy, x, w, stride=s, padding=p)
        a = tuple((n + sum(sizes.resolve_padding(n, k, s, pd)) - k) % s for n, k, pd in zip((7, 6), (3, 2), p))
        zt = F.conv_transpose2d(dy, w, stride=s, padding=p, output_padding=a)
        assert zt.shape == dx.shape == x.shape
        np.testing.assert_allclose(zt, dx, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------
# Relationship 15 (dilation)
# ---------------------------------------------------------------------------

@given(i=I, k=K, s=S, p=P, d=D)
def test_relationship_15_dilation(i, k, s, p, d):
    assume(k + (k - 1) * (d - 1) <= i + 2 * p)
    assert sizes.conv_output_size(i, k, s, p, d) == math.floor((i + 2 * p - k - (k - 1) * (d - 1)) / s) + 1
    # a dilated kernel is an undilated one of size k + (k-1)(d-1)
    assert sizes.conv_output_size(i, k, s, p, d) == sizes.conv_output_size(i, k + (k - 1) * (d - 1), s, p)


# ---------------------------------------------------------------------------
# "same" padding
# ---------------------------------------------------------------------------

@settings(max_examples=200)
@given(n=st.integers(1, 60), k=K, s=S, d=D)
def test_same_padding(n, k, s, d):
    lo, hi = sizes.same_padding(n, k, s, d)
    # the lecture's rule: pad to a multiple of s, then d(k-1); split lo = total // 2
    total = s * math.ceil(n / s) - n + d * (k - 1)
    assert (lo, hi) == (total // 2, total - total // 2)
    assert hi - lo in (0, 1) and lo >= 0
    assert sizes.conv_output_size(n, k, s, "same", d) == math.ceil(n / s) == -(-n // s)
    assert sizes.conv_output_size(n, k, s, (lo, hi), d) == math.ceil(n / s)
    assert sizes.resolve_padding(n, k, s, "same", d) == (lo, hi)
    # and the functions use it
    z = F.conv1d(np.ones((1, 1, n)), np.ones((1, 1, k)), stride=s, padding="same", dilation=d)
    assert z.shape == (1, 1, math.ceil(n / s))
    taps = [i * d - lo for i in range(k)]                    # first window
    assert z[0, 0, 0] == sum(0 <= h < n for h in taps)


@given(n=I, k=K, d=D)
def test_same_padding_stride_one_matches_pytorch_rule(n, k, d):
    """PyTorch: total d(k-1), left = total // 2 (the odd zero after the input)."""
    total = d * (k - 1)
    assert sizes.same_padding(n, k, 1, d) == (total // 2, total - total // 2)


@given(k=K, d=D)
def test_full_padding(k, d):
    assert sizes.full_padding(k, d) == (d * (k - 1),) * 2
    assert sizes.resolve_padding(10, k, 1, "full", d) == (d * (k - 1),) * 2
    assert sizes.conv_output_size(3, k, 1, "full", d) == 3 + d * (k - 1)


# ---------------------------------------------------------------------------
# Parameter counts and MACs, against real weight arrays
# ---------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(g=st.integers(1, 4), cin_pg=st.integers(1, 4), cout_pg=st.integers(1, 4),
       k=st.one_of(st.integers(1, 5), st.tuples(st.integers(1, 5), st.integers(1, 5))), bias=st.booleans())
def test_conv_parameter_count_counts_real_weights(g, cin_pg, cout_pg, k, bias):
    cin, cout = cin_pg * g, cout_pg * g
    kt = (k, k) if isinstance(k, int) else k
    w = np.ones((cout, cin // g, *kt))
    b = np.ones(cout) if bias else None
    # these are arrays conv2d accepts ...
    z = F.conv2d(np.ones((1, cin, 6, 6)), w, b, groups=g, padding="same")
    assert z.shape == (1, cout, 6, 6)
    # ... and the count is their size
    assert sizes.conv_parameter_count(cin, cout, k, groups=g, bias=bias) == w.size + (b.size if bias else 0)


@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 6), n=st.integers(1, 6), k=st.integers(1, 5), bias=st.booleans())
def test_depthwise_separable_parameter_count(m, n, k, bias):
    dw_w, dw_b = np.ones((m, 1, k, k)), np.ones(m)
    pw_w, pw_b = np.ones((n, m, 1, 1)), np.ones(n)
    x = np.ones((1, m, 7, 7))
    z = F.conv2d(F.conv2d(x, dw_w, dw_b if bias else None, groups=m, padding="same"), pw_w,
                 pw_b if bias else None)
    assert z.shape == (1, n, 7, 7)
    expected = n * m + m * k * k + ((m + n) if bias else 0)        # the lecture's NM + MK^2
    assert sizes.depthwise_separable_parameter_count(m, n, k, bias=bias) == expected
    assert expected == dw_w.size + pw_w.size + ((dw_b.size + pw_b.size) if bias else 0)


@given(fin=st.integers(1, 500), fout=st.integers(1, 500), bias=st.booleans())
def test_linear_parameter_count(fin, fout, bias):
    assert sizes.linear_parameter_count(fin, fout, bias=bias) == fout * fin + (fout if bias else 0)


def test_parameter_count_examples():
    assert sizes.conv_parameter_count(3, 96, 11) == 34944
    assert sizes.conv_parameter_count(32, 32, 3, groups=32, bias=False) == 288
    assert sizes.depthwise_separable_parameter_count(32, 64, 3, bias=False) == 2336
    assert sizes.linear_parameter_count(400, 120) == 48120
    assert sizes.conv_macs(1, 6, 5, 28) == 117600
    assert sizes.depthwise_separable_macs(32, 64, 3, 16) == 598016
    # 1-D kernels (tuples of one)
    assert sizes.conv_parameter_count(4, 8, (3,)) == 8 * 4 * 3 + 8
    assert sizes.conv_macs(4, 8, (3,), 10) == 8 * 10 * 4 * 3


@settings(max_examples=60, deadline=None)
@given(g=st.integers(1, 3), cin_pg=st.integers(1, 3), cout_pg=st.integers(1, 3),
       kh=st.integers(1, 4), kw=st.integers(1, 4), h=st.integers(4, 9), wd=st.integers(4, 9),
       s=st.integers(1, 3))
def test_conv_macs_count_real_multiply_accumulates(g, cin_pg, cout_pg, kh, kw, h, wd, s):
    """With all-ones input and weights (no padding), each output is the number of
    multiply-accumulates that produced it, so the outputs sum to the MACs."""
    cin, cout = cin_pg * g, cout_pg * g
    z = F.conv2d(np.ones((1, cin, h, wd)), np.ones((cout, cin_pg, kh, kw)), stride=s, groups=g)
    macs = sizes.conv_macs(cin, cout, (kh, kw), z.shape[2:], groups=g)
    assert macs == z.sum()
    if z.shape[2] == z.shape[3] and kh == kw:
        assert sizes.conv_macs(cin, cout, kh, z.shape[2], groups=g) == macs


@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 5), n=st.integers(1, 5), k=st.integers(1, 4), size=st.integers(4, 9))
def test_depthwise_separable_macs_count_real_multiply_accumulates(m, n, k, size):
    depth = F.conv2d(np.ones((1, m, size, size)), np.ones((m, 1, k, k)), groups=m)
    o = depth.shape[2]
    point = F.conv2d(np.ones((1, m, o, o)), np.ones((n, m, 1, 1)))
    assert sizes.depthwise_separable_macs(m, n, k, o) == depth.sum() + point.sum()
    assert sizes.depthwise_separable_macs(m, n, k, o) == m * k * k * o * o + n * m * o * o


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

@given(n=st.integers(1, 10), extra=st.integers(1, 5), p=st.integers(0, 3), d=D)
def test_kernel_that_does_not_fit_raises_naming_the_sizes(n, extra, p, d):
    k = (n + 2 * p + extra - 1) // d + 2           # the dilated kernel exceeds the padded input
    span = d * (k - 1) + 1
    assert span > n + 2 * p
    with pytest.raises(ValueError, match=rf"conv_output_size: kernel {k} \(dilation {d}, span {span}\) "
                                         rf"does not fit in the padded input {n + 2 * p} = {n} \+ {p} \+ {p}"):
        sizes.conv_output_size(n, k, 1, p, d)
    kp = n + 2 * p + extra
    with pytest.raises(ValueError, match=rf"pool_output_size: kernel {kp} .*does not fit in the padded "
                                         rf"input {n + 2 * p}"):
        sizes.pool_output_size(n, kp, 1, p)


def test_kernel_that_does_not_fit_functional_message():
    with pytest.raises(ValueError, match=r"conv2d: kernel 5x5 \(dilation 1(x1)?\) does not fit in the "
                                         r"padded input 3x3"):
        F.conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 5, 5)))
    with pytest.raises(ValueError, match=r"conv1d: kernel 3 \(dilation 3\) does not fit in the padded input 6"):
        F.conv1d(np.ones((1, 1, 4)), np.ones((1, 1, 3)), padding=1, dilation=3)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: sizes.conv_output_size(0, 3), ValueError, r"conv_output_size: n must be (positive|>= 1), got 0"),
    (lambda: sizes.conv_output_size(5, 0), ValueError, r"conv_output_size: kernel must be (positive|>= 1), got 0"),
    (lambda: sizes.conv_output_size(5, 3, 0), ValueError, r"conv_output_size: stride must be (positive|>= 1), got 0"),
    (lambda: sizes.conv_output_size(5, 3, 1, 0, -1), ValueError,
     r"conv_output_size: dilation must be (positive|>= 1), got -1"),
    (lambda: sizes.conv_output_size(5, 3, 2.5), TypeError, r"conv_output_size: stride must be an integer, got 2\.5"),
    (lambda: sizes.conv_output_size(5, 3, True), TypeError, r"conv_output_size: stride must be an integer, got True"),
    (lambda: sizes.conv_output_size(5, 3, padding=-1), ValueError, r"conv_output_size: padding must be >= 0, got -1"),
    (lambda: sizes.conv_output_size(5, 3, padding="half"), ValueError, r"conv_output_size: padding .*'half'"),
    (lambda: sizes.conv_output_size(5, 3, padding=(1, 2, 3)), ValueError,
     r"conv_output_size: padding pair must be \(lo, hi\), got \(1, 2, 3\)"),
    (lambda: sizes.same_padding(5, 3, "2"), TypeError, r"same_padding: stride must be an integer, got '2'"),
    (lambda: sizes.conv_transpose_output_size(3, 3, 2, 0, 2), ValueError,
     r"conv_transpose_output_size: output_padding must be smaller than either stride or dilation, "
     r"got output_padding 2 with stride 2 and dilation 1"),
    (lambda: sizes.conv_transpose_output_size(3, 3, 2, "same", 1), ValueError,
     r"conv_transpose_output_size: output_padding must be 0 with padding='same', got 1"),
    (lambda: sizes.conv_transpose_output_size(3, 3, 1, "full"), ValueError,
     r"conv_transpose_output_size: padding 'full' is not defined"),
    (lambda: sizes.conv_transpose_output_size(1, 1, 1, 1), ValueError,
     r"conv_transpose_output_size: padding \(1, 1\) crops away the whole output"),
    (lambda: sizes.conv_parameter_count(3, 4, 3, groups=2), ValueError,
     r"conv_parameter_count: groups must divide in_channels and out_channels, got groups 2"),
    (lambda: sizes.linear_parameter_count(0, 3), ValueError, r"linear_parameter_count: in_features must be (positive|>= 1)"),
    (lambda: sizes.conv_macs(3, 3, 3, 0), ValueError, r"conv_macs: output_size must be (positive|>= 1), got 0"),
    (lambda: sizes.full_padding(0), ValueError, r"full_padding: kernel must be (positive|>= 1), got 0"),
    (lambda: sizes.pool_output_size(5, 0), ValueError, r"pool_output_size: kernel must be (positive|>= 1), got 0"),
])
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
