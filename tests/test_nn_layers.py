"""Forward behaviour of the layers: the lecture's examples, output sizes, train/eval modes, losses."""

import numpy as np
import pytest

import cnnedu.functional as F
from cnnedu import nn, sizes



LECTURE_SLICE = np.array([[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]], dtype=np.float64)


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ---------------------------------------------------------------------------
# The layers are the functional ops, with the sizes of cnnedu.sizes
# ---------------------------------------------------------------------------

def test_lecture_pooling_examples():
    np.testing.assert_array_equal(nn.MaxPool2d(2)(LECTURE_SLICE)[0, 0], [[6, 8], [3, 4]])
    np.testing.assert_array_equal(nn.AvgPool2d(2)(LECTURE_SLICE)[0, 0], [[3.25, 5.25], [2, 2]])
    np.testing.assert_allclose(nn.LPPool2d(5, 2)(LECTURE_SLICE)[0, 0], [[4.865, 6.614], [2.384, 3.164]],
                               atol=1e-3)
    dx = nn.MaxPool2d(2)
    dx(LECTURE_SLICE)
    np.testing.assert_array_equal(dx.backward(np.array([[[[1.0, 2], [3, 4]]]]))[0, 0],
                                  [[0, 0, 0, 0], [0, 1, 0, 2], [3, 0, 0, 0], [0, 0, 0, 4]])


def test_lecture_convolution_example():
    image = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
    conv = nn.Conv2d(1, 1, 3, bias=False, dtype=np.float64)
    conv.weight.data[0, 0] = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
    np.testing.assert_array_equal(conv(image[None, None])[0, 0], [[4, 3, 4], [2, 4, 3], [2, 3, 4]])


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2), dict(padding="same", stride=2),
                                    dict(dilation=2, padding=3)])
def test_conv2d_is_functional_conv2d(kwargs):
    conv = nn.Conv2d(3, 4, 3, dtype=np.float64, rng=0, **kwargs)
    conv.bias.data[:] = [1, 2, 3, 4]
    x = randn(2, 3, 9, 8)
    y = conv(x)
    np.testing.assert_allclose(y, F.conv2d(x, conv.weight.data, conv.bias.data, **kwargs))
    padding = kwargs.get("padding", 0)
    assert y.shape == (2, 4,
                       sizes.conv_output_size(9, 3, kwargs.get("stride", 1), padding, kwargs.get("dilation", 1)),
                       sizes.conv_output_size(8, 3, kwargs.get("stride", 1), padding, kwargs.get("dilation", 1)))


def test_conv_transpose2d_output_size_and_adjointness():
    up = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, dtype=np.float64, rng=0, bias=False)
    x = randn(1, 4, 5, 6)
    z = up(x)
    assert z.shape == (1, 2, sizes.conv_transpose_output_size(5, 3, 2, 1, 1),
                       sizes.conv_transpose_output_size(6, 3, 2, 1, 1))
    # <conv_transpose(x), u> == <x, conv(u)> with the same weight (the lecture's "transpose")
    u = randn(*z.shape, seed=1)
    conv = F.conv2d(u, up.weight.data, stride=2, padding=1)
    np.testing.assert_allclose(np.sum(z * u), np.sum(x * conv))


def test_pool_output_sizes():
    x = np.zeros((1, 2, 55, 55))
    assert nn.MaxPool2d(3, stride=2)(x).shape == (1, 2, sizes.pool_output_size(55, 3, 2), 27)   # AlexNet
    assert nn.AvgPool2d(2)(np.zeros((1, 6, 28, 28))).shape == (1, 6, sizes.pool_output_size(28, 2), 14)


def test_depthwise_separable_is_depthwise_then_pointwise():
    layer = nn.DepthwiseSeparableConv2d(3, 5, 3, padding=1, dtype=np.float64, rng=0)
    x = randn(2, 3, 6, 6)
    u = F.conv2d(x, layer.depthwise.weight.data, layer.depthwise.bias.data, padding=1, groups=3)
    np.testing.assert_allclose(layer(x), F.conv2d(u, layer.pointwise.weight.data, layer.pointwise.bias.data))
    assert layer.depthwise.weight.shape == (3, 1, 3, 3) and layer.pointwise.weight.shape == (5, 3, 1, 1)


def test_flatten_is_c_order():
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    np.testing.assert_array_equal(nn.Flatten()(x), x.reshape(2, 12))
    assert nn.Flatten(0, 1)(x).shape == (6, 2, 2)


def test_activations():
    z = np.array([[-1000.0, -1.0, 0.0, 1.0, 1000.0]])
    np.testing.assert_array_equal(nn.ReLU()(z), [[0, 0, 0, 1, 1000]])
    with np.errstate(over="raise", invalid="raise"):             # no overflow warning
        s = nn.Sigmoid()(z)
    np.testing.assert_allclose(s, [[0, 1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-1)), 1]])
    np.testing.assert_allclose(nn.Tanh()(z), np.tanh(z))
    relu = nn.ReLU()
    relu(z)
    np.testing.assert_array_equal(relu.backward(np.ones_like(z)), [[0, 0, 0, 1, 1]])   # f'(0) = 0


def test_parameter_free_layers_keep_float32():
    x = np.ones((2, 3, 4, 4), dtype=np.float32)
    for layer in (nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.MaxPool2d(2), nn.AvgPool2d(2), nn.Flatten(),
                  nn.Dropout(0.5, rng=0)):
        assert layer(x).dtype == np.float32, layer


# ---------------------------------------------------------------------------
# Dropout
# ---------------------------------------------------------------------------

def test_dropout_train_statistics():
    drop = nn.Dropout(0.3, rng=0)
    y = drop(np.ones((200, 500)))
    assert abs((y == 0).mean() - 0.3) < 0.01
    assert set(np.unique(y)) == {0.0, 1 / 0.7}
    assert abs(y.mean() - 1) < 0.01                              # inverted dropout keeps the mean


def test_dropout_backward_uses_the_forward_mask():
    drop = nn.Dropout(0.5, rng=0)
    y = drop(np.ones((4, 6)))
    np.testing.assert_array_equal(drop.backward(np.ones((4, 6))), y)


def test_dropout_eval_and_extremes():
    x = randn(3, 4)
    drop = nn.Dropout(0.5, rng=0)
    assert drop.eval()(x) is not None and np.array_equal(drop(x), x)
    np.testing.assert_array_equal(nn.Dropout(0.0, rng=0)(x), x)
    np.testing.assert_array_equal(nn.Dropout(1.0, rng=0)(x), 0)


def test_dropout_determinism_and_fresh_masks():
    a, b = nn.Dropout(0.5, rng=3), nn.Dropout(0.5, rng=3)
    x = np.ones((5, 5))
    first = a(x)
    np.testing.assert_array_equal(first, b(x))
    assert not np.array_equal(first, a(x))                       # a new mask per forward
    nn.init.manual_seed(9)
    c = nn.Dropout(0.5)(x)
    nn.init.manual_seed(9)
    np.testing.assert_array_equal(c, nn.Dropout(0.5)(x))


# ---------------------------------------------------------------------------
# BatchNorm
# ---------------------------------------------------------------------------

def test_batchnorm_train_normalises_each_channel():
    bn = nn.BatchNorm2d(3, dtype=np.float64)
    x = randn(8, 3, 5, 5) * [[[[2.0]], [[5.0]], [[0.1]]]] + [[[[1.0]], [[-3.0]], [[10.0]]]]
    y = bn(x)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=2e-3)       # eps = 1e-5 vs var 0.01


def test_batchnorm_running_statistics_follow_torch_rule():
    bn = nn.BatchNorm2d(2, momentum=0.2, dtype=np.float64)
    xs = [randn(4, 2, 3, 3, seed=s) * 3 + 1 for s in range(3)]
    mean, var = np.zeros(2), np.ones(2)
    for x in xs:
        bn(x)
        m = x.size // 2
        mean = 0.8 * mean + 0.2 * x.mean(axis=(0, 2, 3))
        var = 0.8 * var + 0.2 * x.var(axis=(0, 2, 3)) * m / (m - 1)          # unbiased
    np.testing.assert_allclose(bn.running_mean, mean)
    np.testing.assert_allclose(bn.running_var, var)
    assert int(bn.num_batches_tracked) == 3


def test_batchnorm_cumulative_average_with_momentum_none():
    bn = nn.BatchNorm1d(3, momentum=None, dtype=np.float64)
    xs = [randn(5, 3, seed=s) + s for s in range(4)]
    for x in xs:
        bn(x)
    np.testing.assert_allclose(bn.running_mean, np.mean([x.mean(axis=0) for x in xs], axis=0))


def test_batchnorm_eval_uses_running_statistics_and_does_not_update_them():
    bn = nn.BatchNorm2d(2, dtype=np.float64)
    bn.weight.data[:] = [2.0, 3.0]
    bn.bias.data[:] = [0.5, -0.5]
    bn.running_mean[:] = [1.0, -1.0]
    bn.running_var[:] = [4.0, 0.25]
    bn.eval()
    x = randn(3, 2, 2, 2)
    y = bn(x)
    def per_channel(v):
        return np.array(v)[None, :, None, None]

    expected = ((x - per_channel([1.0, -1.0])) / np.sqrt(per_channel([4.0, 0.25]) + 1e-5) * per_channel([2.0, 3.0])
                + per_channel([0.5, -0.5]))
    np.testing.assert_allclose(y, expected)
    np.testing.assert_array_equal(bn.running_mean, [1.0, -1.0])
    assert int(bn.num_batches_tracked) == 0


def test_batchnorm_float32_stays_float32():
    bn = nn.BatchNorm2d(2)
    y = bn(randn(4, 2, 3, 3))
    assert y.dtype == np.float32 and bn.running_mean.dtype == np.float32
    assert bn.backward(np.ones_like(y)).dtype == np.float32


# ---------------------------------------------------------------------------
# Residual block
# ---------------------------------------------------------------------------

def test_residual_block_with_zero_residual_is_relu_of_input():
    block = nn.BasicBlock(3, 3, dtype=np.float64, rng=0)
    block.conv2.weight.data[:] = 0                               # F(x) = BN(0) = 0 (beta = 0)
    x = randn(2, 3, 4, 4)
    np.testing.assert_allclose(block(x), np.maximum(x, 0), atol=1e-12)
    dx = block.backward(np.ones_like(x))
    np.testing.assert_allclose(dx, (x > 0).astype(float), atol=1e-12)   # the identity path


def test_residual_block_projection_when_shape_changes():
    assert nn.BasicBlock(4, 4).downsample is None
    for c_in, c_out, stride in [(4, 8, 1), (4, 4, 2)]:
        block = nn.BasicBlock(c_in, c_out, stride, rng=0)
        assert block.downsample[0].kernel_size == (1, 1) and block.downsample[0].stride == (stride, stride)
        assert block(np.zeros((2, c_in, 7, 7))).shape == (2, c_out, -(-7 // stride), -(-7 // stride))
    assert nn.ResidualBlock is nn.BasicBlock


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------

def test_cross_entropy_value():
    logits, labels = randn(6, 5), np.array([0, 4, 2, 2, 1, 3])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = -np.log(p[np.arange(6), labels])
    ce = nn.CrossEntropyLoss()
    assert ce(logits, labels) == pytest.approx(expected.mean())
    assert nn.CrossEntropyLoss(reduction="sum")(logits, labels) == pytest.approx(expected.sum())
    d = ce.backward()
    np.testing.assert_allclose(d, (p - np.eye(5)[labels]) / 6)
    np.testing.assert_allclose(d.sum(axis=1), 0, atol=1e-15)


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 1e4]])
    ce = nn.CrossEntropyLoss()
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # underflow to 0 is fine
        loss = ce(logits, np.array([0, 1]))
        d = ce.backward()
    assert loss == pytest.approx(np.log(2) / 2)
    np.testing.assert_allclose(d, [[0, 0, 0], [0, -0.25, 0.25]], atol=1e-12)


def test_cross_entropy_float32_and_integer_kinds():
    ce = nn.CrossEntropyLoss()
    loss = ce(np.zeros((2, 3), dtype=np.float32), np.array([1, 2], dtype=np.uint8))
    assert isinstance(loss, float) and ce.backward().dtype == np.float32


def test_mse_value_and_backward_scale():
    mse = nn.MSELoss()
    assert mse(np.array([1.0, 3.0]), np.array([0.0, 0.0])) == 5.0
    np.testing.assert_array_equal(mse.backward(2.0), [2.0, 6.0])
    assert nn.MSELoss(reduction="sum")(np.array([1.0, 3.0]), np.zeros(2)) == 10.0


def test_class_box_loss_is_ce_plus_weighted_mse():
    logits, labels, box, target = randn(4, 3), np.array([2, 0, 1, 2]), randn(4, 8, seed=1), randn(4, 8, seed=2)
    loss = nn.MultiTaskLoss(box_weight=0.25)
    total = loss(logits, labels, box, target)
    ce = nn.CrossEntropyLoss()(logits, labels)
    mse = nn.MSELoss()(box, target)
    assert total == pytest.approx(ce + 0.25 * mse)
    assert (loss.class_loss, loss.box_loss) == (pytest.approx(ce), pytest.approx(mse))
    dlogits, dbox = loss.backward()
    np.testing.assert_allclose(dbox, 0.25 * 2 * (box - target) / box.size)
