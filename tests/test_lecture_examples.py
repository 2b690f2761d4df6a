"""The lecture's worked examples, with its exact numbers, on cnnedu.functional AND cnnedu.reference.

Where a slide is wrong the test pins the right value and says what the slide printed.
"""

from __future__ import annotations

import numpy as np
import pytest

import cnnedu.functional as F
import cnnedu.reference as R
from cnnedu import sizes

IMPLS = [pytest.param(F, id="functional"), pytest.param(R, id="reference")]

# "Example 5x5 image with binary pixels" scanned by a 3x3 filter.  The figure did
# not survive the text extraction; these are the standard image and filter of
# this example, and they reproduce the one result the text kept: "4 4 / 2 4" for
# stride 2.
IMAGE = np.array([[1, 1, 1, 0, 0],
                  [0, 1, 1, 1, 0],
                  [0, 0, 1, 1, 1],
                  [0, 0, 1, 1, 0],
                  [0, 1, 1, 0, 0]], dtype=float)
FILTER = np.array([[1, 0, 1],
                   [0, 1, 0],
                   [1, 0, 1]], dtype=float)

# "Single depth slice" of the pooling slides.
SLICE = np.array([[1, 1, 2, 4],
                  [5, 6, 7, 8],
                  [3, 2, 1, 0],
                  [1, 2, 3, 4]], dtype=float)


def _batch(a):
    """A single 2-D map as a batch of one example with one channel."""
    return np.asarray(a, dtype=float)[None, None]


# ---------------------------------------------------------------------------
# What is a convolution
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("M", IMPLS)
def test_binary_image_stride_1(M):
    z = M.conv2d(_batch(IMAGE), _batch(FILTER), b=[0.0])
    np.testing.assert_array_equal(z[0, 0], [[4, 3, 4],
                                            [2, 4, 3],
                                            [2, 3, 4]])


@pytest.mark.parametrize("M", IMPLS)
def test_binary_image_stride_2(M):
    z = M.conv2d(_batch(IMAGE), _batch(FILTER), b=[0.0], stride=2)
    np.testing.assert_array_equal(z[0, 0], [[4, 4],
                                            [2, 4]])


@pytest.mark.parametrize("M", IMPLS)
def test_filter_is_a_perceptron_with_a_bias(M):
    # "The filter and the underlying map values are multiplied component wise,
    # and the products are added along with the bias."
    z0 = M.conv2d(_batch(IMAGE), _batch(FILTER))
    z = M.conv2d(_batch(IMAGE), _batch(FILTER), b=[-3.5])
    np.testing.assert_array_equal(z, z0 - 3.5)
    assert z[0, 0, 0, 0] == np.sum(IMAGE[0:3, 0:3] * FILTER) - 3.5


# ---------------------------------------------------------------------------
# Pooling on the single depth slice
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("M", IMPLS)
def test_max_pooling_2x2_stride_2(M):
    np.testing.assert_array_equal(M.max_pool2d(_batch(SLICE), 2, 2)[0, 0], [[6, 8],
                                                                             [3, 4]])


@pytest.mark.parametrize("M", IMPLS)
def test_mean_pooling_2x2_stride_2(M):
    np.testing.assert_array_equal(M.avg_pool2d(_batch(SLICE), 2, 2)[0, 0], [[3.25, 5.25],
                                                                             [2.00, 2.00]])


@pytest.mark.parametrize("M", IMPLS)
def test_p_norm_pooling_p5(M):
    # y = (1/K^2 sum x^p)^(1/p), p = 5, 2x2 pools, stride 2.  The slide prints
    # 4.86 8 / 2.38 3.16: truncated to two decimals, and its 8 is the top-right
    # window's maximum, not its 5-norm mean, 6.614.
    want = np.array([[(1 + 1 + 5**5 + 6**5) / 4, (2**5 + 4**5 + 7**5 + 8**5) / 4],
                     [(3**5 + 2**5 + 1 + 2**5) / 4, (1 + 0 + 3**5 + 4**5) / 4]]) ** (1 / 5)
    y = M.lp_pool2d(_batch(SLICE), 5, 2, 2)[0, 0]
    np.testing.assert_allclose(y, want, rtol=1e-12)
    np.testing.assert_array_equal(y.round(3), [[4.865, 6.614],
                                               [2.384, 3.164]])
    assert y[0, 1] < M.max_pool2d(_batch(SLICE), 2)[0, 0, 0, 1] == 8   # the slide's 8 is the max


@pytest.mark.parametrize("M", IMPLS)
def test_max_pooling_derivative_goes_to_pidx(M):
    # "Derivative of max pooling": dy(l-1, j, pidx(l, j, x, y)) += dy(l, j, x, y).
    dx = M.max_pool2d_backward(_batch([[1, 2], [3, 4]]), _batch(SLICE), 2, 2)[0, 0]
    np.testing.assert_array_equal(dx, [[0, 0, 0, 0],
                                       [0, 1, 0, 2],      # 6 and 8 are the maxima of the top pools
                                       [3, 0, 0, 0],      # 3 ...
                                       [0, 0, 0, 4]])     # ... and 4 of the bottom ones


@pytest.mark.parametrize("M", IMPLS)
def test_max_pooling_overlapping_pools_add_up(M):
    # '"+=" because this entry may be selected in multiple adjacent overlapping windows'
    x = _batch([[0, 0, 0], [0, 9, 0], [0, 0, 0]])
    dx = M.max_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2, 1)[0, 0]
    np.testing.assert_array_equal(dx, [[0, 0, 0], [0, 4, 0], [0, 0, 0]])


@pytest.mark.parametrize("M", IMPLS)
def test_mean_pooling_derivative_is_distributed_over_the_pool(M):
    dx = M.avg_pool2d_backward(_batch([[4, 8], [-4, 0]]), _batch(SLICE), 2, 2)[0, 0]
    np.testing.assert_array_equal(dx, [[1, 1, 2, 2],
                                       [1, 1, 2, 2],
                                       [-1, -1, 0, 0],
                                       [-1, -1, 0, 0]])


# ---------------------------------------------------------------------------
# Sizes
# ---------------------------------------------------------------------------

def test_output_size_examples():
    assert sizes.conv_output_size(5, 3) == 3              # 5x5 image, 3x3 filter, stride 1
    assert sizes.conv_output_size(5, 3, stride=2) == 2    # stride 2
    # N x N image, M x M filter, stride S: floor((N - M)/S) + 1 on each side.
    for n in range(3, 12):
        for m in range(1, n + 1):
            for s in range(1, 5):
                assert sizes.conv_output_size(n, m, s) == (n - m) // s + 1


@pytest.mark.parametrize("M", IMPLS)
def test_output_size_of_the_binary_image(M):
    assert M.conv2d(_batch(IMAGE), _batch(FILTER)).shape == (1, 1, 3, 3)
    assert M.conv2d(_batch(IMAGE), _batch(FILTER), stride=2).shape == (1, 1, 2, 2)


@pytest.mark.parametrize("M", IMPLS)
@pytest.mark.parametrize("L", [3, 4, 5])
def test_same_padding_keeps_the_size(M, L):
    # Odd L: (L-1)/2 zeros on each side; even L: L/2 on one side and L/2-1 on the other.
    # With stride S the output has ceil(N/S) samples.
    lo, hi = sizes.same_padding(7, L)
    assert lo + hi == L - 1 and abs(lo - hi) <= 1
    x, w = np.ones((1, 1, 7, 7)), np.ones((1, 1, L, L))
    assert M.conv2d(x, w, padding="same").shape == (1, 1, 7, 7)
    assert M.conv2d(x, w, padding="same", stride=2).shape == (1, 1, 4, 4)   # ceil(7/2)
    assert M.conv2d(x, w, padding="same", stride=3).shape == (1, 1, 3, 3)   # ceil(7/3)


@pytest.mark.parametrize("M", IMPLS)
def test_lenet5_sizes(M):
    # Conv1: 6 5x5 filters, no zero pad -> 6 28x28; Pool1 2x2/2 -> 14x14;
    # Conv2: 16 5x5 filters -> 10x10; Pool2 -> 16 5x5 maps, 400 values in all.
    assert [sizes.conv_output_size(32, 5), sizes.pool_output_size(28, 2),
            sizes.conv_output_size(14, 5), sizes.pool_output_size(10, 2)] == [28, 14, 10, 5]
    rng = np.random.default_rng(5)
    y = rng.normal(size=(1, 1, 32, 32))
    y = M.conv2d(y, rng.normal(size=(6, 1, 5, 5)), rng.normal(size=6))
    assert y.shape == (1, 6, 28, 28)
    y = M.max_pool2d(y, 2, 2)
    assert y.shape == (1, 6, 14, 14)
    y = M.conv2d(y, rng.normal(size=(16, 6, 5, 5)), rng.normal(size=16))
    assert y.shape == (1, 16, 10, 10)
    y = M.max_pool2d(y, 2, 2)
    assert y.shape == (1, 16, 5, 5)
    assert y.size == 16 * 5 * 5 == 400


@pytest.mark.parametrize("M", IMPLS)
def test_alexnet_first_layers(M):
    # 227x227x3 input; Conv1: 96 11x11 filters, stride 4, no zero pad -> 55x55; Pool1: 3x3, stride 2 -> 27x27.
    assert sizes.conv_output_size(227, 11, stride=4) == 55
    assert sizes.pool_output_size(55, 3, stride=2) == 27
    assert sizes.conv_parameter_count(3, 96, 11) == 96 * (3 * 11 * 11 + 1) == 34944
    rng = np.random.default_rng(6)
    z = M.conv2d(rng.normal(size=(1, 3, 227, 227)), rng.normal(size=(2, 3, 11, 11)), stride=4)
    assert z.shape == (1, 2, 55, 55)          # 2 of the 96 filters keep the reference loops quick
    assert M.max_pool2d(z, 3, 2).shape == (1, 2, 27, 27)


@pytest.mark.parametrize("M", IMPLS)
@pytest.mark.parametrize("K1, L", [(4, 3), (16, 5), (32, 1)])
def test_first_layer_parameter_count(M, K1, L):
    # K1 filters of L x L x 3, each with a bias: K1 (3 L^2 + 1) parameters.
    assert sizes.conv_parameter_count(3, K1, L) == K1 * (3 * L**2 + 1)
    w, b = np.ones((K1, 3, L, L)), np.ones(K1)
    _, dw, db = M.conv2d_backward(np.ones((1, K1, 2, 2)), np.ones((1, 3, L + 1, L + 1)), w)
    assert dw.size + db.size == K1 * (3 * L**2 + 1) == w.size + b.size


@pytest.mark.parametrize("M", IMPLS)
@pytest.mark.parametrize("M_in, N_out, K", [(3, 8, 3), (4, 2, 5)])
def test_depthwise_separable_parameters(M, M_in, N_out, K):
    # Conventional: N independent M x K x K filters, N M K^2 parameters.
    # Depth-wise: M K x K filters (one per input channel), then N M x 1 x 1 filters: N M + M K^2.
    assert sizes.conv_parameter_count(M_in, N_out, K, bias=False) == N_out * M_in * K**2
    assert sizes.depthwise_separable_parameter_count(M_in, N_out, K, bias=False) == N_out * M_in + M_in * K**2
    rng = np.random.default_rng(M_in * 10 + N_out)
    x = rng.normal(size=(1, M_in, 7, 7))
    w_depth = rng.normal(size=(M_in, 1, K, K))           # groups = M: one 2-D filter per channel
    w_point = rng.normal(size=(N_out, M_in, 1, 1))
    assert w_depth.size + w_point.size == N_out * M_in + M_in * K**2
    z = M.conv2d(M.conv2d(x, w_depth, groups=M_in), w_point)
    assert z.shape == (1, N_out, 7 - K + 1, 7 - K + 1)
    # Each depthwise output map sees only its own input channel.
    for m in range(M_in):
        np.testing.assert_allclose(M.conv2d(x, w_depth, groups=M_in)[:, m],
                                   M.conv2d(x[:, m:m + 1], w_depth[m:m + 1])[:, 0], rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------
# Backpropagation through the convolution
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("M", IMPLS)
def test_single_position_derivative(M):
    # dDiv/dY(l-1, m, 2, 2) += dDiv/dz(l, n, x', y') w(m, n, 2-x', 2-y'), for a 5x5 Y and a
    # 3x3 filter (0-based).  One slide has a typo: beside z(l,n,1,2) += Y(2,2) w(2,1) it should
    # read w(1,0), as the derivative line of the same slide does.  An asymmetric filter tells
    # the two apart.
    w = np.arange(9.0).reshape(3, 3)
    for xp in range(3):
        for yp in range(3):
            dz = np.zeros((1, 1, 3, 3))
            dz[0, 0, xp, yp] = 1.0
            dY, _, _ = M.conv2d_backward(dz, np.ones((1, 1, 5, 5)), _batch(w))
            assert dY[0, 0, 2, 2] == w[2 - xp, 2 - yp]
    dz = np.zeros((1, 1, 3, 3))
    dz[0, 0, 1, 2] = 1.0
    dY, _, _ = M.conv2d_backward(dz, np.ones((1, 1, 5, 5)), _batch(w))
    assert dY[0, 0, 2, 2] == w[1, 0] != w[2, 1]


@pytest.mark.parametrize("M", IMPLS)
def test_input_derivative_is_a_full_convolution_with_the_flipped_transposed_filter(M):
    # "A convolution of the zero-padded dz maps by the transposed and flipped filter, after
    # zero padding with K-1 zeros on every side"; the Y-derivative map is (H+K-1) x (W+K-1).
    rng = np.random.default_rng(7)
    K, H, W = 3, 4, 5
    x = rng.normal(size=(2, 3, H + K - 1, W + K - 1))
    w = rng.normal(size=(4, 3, K, K))
    dz = rng.normal(size=(2, 4, H, W))
    dY, dw, _ = M.conv2d_backward(dz, x, w)
    assert dY.shape[2:] == (H + K - 1, W + K - 1)
    w_flip = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)   # Wflip(i, j) = flipLeftRight(flipUpDown(W(j, i)))
    np.testing.assert_allclose(dY, M.conv2d(dz, w_flip, padding="full"), rtol=1e-12, atol=1e-12)
    # dDiv/dw(m, n, i, j) = sum_{x,y} dz(n, x, y) Y(m, x+i, y+j): dz correlated with Y, summed over examples.
    dw_corr = M.conv2d(x.transpose(1, 0, 2, 3), dz.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    np.testing.assert_allclose(dw, dw_corr, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("M", IMPLS)
def test_input_derivative_size_with_zero_padding(M):
    # "If the Y map was zero-padded in the forward pass, the derivative map will be the size
    # of the zero-padded map; the zero padding regions must be deleted before further backprop."
    x, w = np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3))
    dz = np.ones((1, 1, 5, 5))                              # "same": a 5x5 affine map
    dY, _, _ = M.conv2d_backward(dz, x, w, padding="same")
    full = M.conv2d(dz, w, padding="full")[0, 0]            # 7x7: the padded map's derivative
    assert full.shape == (7, 7)
    np.testing.assert_array_equal(dY[0, 0], full[1:-1, 1:-1])


@pytest.mark.parametrize("M", IMPLS)
def test_stride_is_stride_1_then_downsampling(M):
    # "Convolving with a stride S is the same as convolving with stride 1 and dropping S-1
    # out of every S rows and columns."
    rng = np.random.default_rng(8)
    x, w = rng.normal(size=(1, 2, 9, 8)), rng.normal(size=(3, 2, 3, 2))
    for S in (2, 3):
        np.testing.assert_allclose(M.conv2d(x, w, stride=S), M.downsample(M.conv2d(x, w), S),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("M", IMPLS)
def test_stride_backward_upsamples_dz(M):
    # The upsampled map has (n-1)S+1 samples; the stride-1 affine map of a 6-wide input and a
    # 3-wide filter has 4, so the strided derivative needs one trailing zero on top.
    rng = np.random.default_rng(9)
    x, w = rng.normal(size=(1, 2, 6, 6)), rng.normal(size=(2, 2, 3, 3))
    dz = rng.normal(size=(1, 2, 2, 2))
    up = M.upsample(dz, 2)
    assert up.shape[2:] == ((2 - 1) * 2 + 1,) * 2 == (3, 3)
    dz_stride1 = np.zeros((1, 2, 4, 4))
    dz_stride1[:, :, :3, :3] = up
    for strided, stride1 in zip(M.conv2d_backward(dz, x, w, stride=2), M.conv2d_backward(dz_stride1, x, w)):
        np.testing.assert_allclose(strided, stride1, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("M", IMPLS)
def test_upsampled_size(M):
    for n, S in [(3, 2), (4, 3), (1, 4)]:
        assert M.upsample(np.ones((1, 1, n)), S).shape == (1, 1, (n - 1) * S + 1)
    np.testing.assert_array_equal(M.upsample(_batch([[1, 2], [3, 4]]), 2)[0, 0], [[1, 0, 2],
                                                                                  [0, 0, 0],
                                                                                  [3, 0, 4]])


# ---------------------------------------------------------------------------
# Expanding (transposed) convolution
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("M", IMPLS)
@pytest.mark.parametrize("b", [1, 2, 3])
def test_expanding_convolution(M, b):
    # Z(l) = zeros(D x ((W-1)b+K) x ((H-1)b+K)); z(l, j, (x-1)b+x', (y-1)b+y') += w y(x, y).
    # Equivalently: upsample by b (b-1 zeros between samples), pad K-1 zeros, convolve with
    # stride 1 with the filters flipped and transposed.
    rng = np.random.default_rng(10 + b)
    K, H, W = 3, 3, 4
    x = rng.normal(size=(2, 2, H, W))
    w = rng.normal(size=(2, 3, K, K))                    # (C_in, C_out, K, K)
    z = M.conv_transpose2d(x, w, stride=b)
    assert z.shape == (2, 3, (H - 1) * b + K, (W - 1) * b + K)
    assert z.shape[2] == sizes.conv_transpose_output_size(H, K, b)
    w_flip = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    np.testing.assert_allclose(z, M.conv2d(M.upsample(x, b), w_flip, padding="full"), rtol=1e-12, atol=1e-12)
    # One input value pushes one scaled copy of the filter.
    x1 = np.zeros((1, 1, H, W))
    x1[0, 0, 1, 2] = 2.0
    z1 = M.conv_transpose2d(x1, w[:1], stride=b)
    np.testing.assert_allclose(z1[0, :, b:b + K, 2 * b:2 * b + K], 2 * w[0], rtol=1e-12)
    assert np.count_nonzero(z1) == np.count_nonzero(w[0])          # and nothing else
