"""Every layer's backward pass against central differences, in float64.

For a layer :math:`y = f(x; \\theta)` and a random ``dy`` we check
``layer.backward(dy)`` (the input gradient) and every ``param.grad`` against
:func:`cnnedu.gradcheck.gradcheck` of :math:`L = \\sum dy \\odot f`.
"""

import numpy as np
import pytest

from cnnedu import nn
from cnnedu.gradcheck import gradcheck, numerical_gradient, relative_error



F64 = np.float64


def check_layer(layer, x, *, seed=0, before=None, tol=1e-6):
    """Gradient-check ``layer`` at input ``x``: input gradient and every parameter gradient.

    ``before`` is called before every forward (e.g. to re-seed Dropout so every
    evaluation uses the same mask).
    """
    rng = np.random.default_rng(seed)
    named = list(layer.named_parameters())
    originals = [p.data for _, p in named]

    def run(x):
        if before is not None:
            before()
        return layer(x)

    y = run(x)
    dy = rng.standard_normal(y.shape)
    layer.zero_grad()
    dx = layer.backward(dy)
    grads = [dx] + [p.grad.copy() for _, p in named]

    def f(x, *datas):
        for (_, p), d in zip(named, datas):
            p.data = d
        return run(x)

    try:
        result = gradcheck(f, (x, *originals), grads, dy=dy, tol=tol)
    finally:
        for (_, p), d in zip(named, originals):
            p.data = d
    names = ["x"] + [n for n, _ in named]
    assert result, f"{layer.describe()}: " + ", ".join(
        f"{names[i]}: {e:.2e}" for i, e in result.errors.items())
    assert dx.shape == np.shape(x)
    return result


def randn(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


# ---------------------------------------------------------------------------
# Convolutions
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(stride=2),
    dict(padding=1),
    dict(padding="same"),
    dict(stride=2, padding="same"),
    dict(padding=((0, 2), (1, 0))),
    dict(dilation=2, padding=1),
    dict(groups=2),
    dict(stride=(2, 1), padding=(1, 0), groups=2, bias=False),
    dict(kernel_size=(2, 3)),
])
def test_conv2d(kwargs):
    kwargs = {"kernel_size": 3, **kwargs}
    layer = nn.Conv2d(4, 6, dtype=F64, rng=0, **kwargs)
    if layer.bias is not None:
        layer.bias.data[:] = randn(6, seed=3)
    check_layer(layer, randn(2, 4, 7, 6))


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1), dict(dilation=2, groups=3),
                                    dict(padding="same")])
def test_conv1d(kwargs):
    layer = nn.Conv1d(3, 6, 3, dtype=F64, rng=0, **kwargs)
    check_layer(layer, randn(2, 3, 11))


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(stride=2),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=3, padding=(1, 0), output_padding=(2, 0)),
    dict(groups=2, dilation=2),
    dict(stride=2, padding="same", bias=False),
])
def test_conv_transpose2d(kwargs):
    layer = nn.ConvTranspose2d(4, 6, 3, dtype=F64, rng=0, **kwargs)
    check_layer(layer, randn(2, 4, 4, 5))


def test_conv_transpose1d():
    check_layer(nn.ConvTranspose1d(2, 3, 4, stride=2, padding=1, dtype=F64, rng=0), randn(2, 2, 5))


@pytest.mark.parametrize("stride, padding", [(1, 1), (2, "same")])
def test_depthwise_separable(stride, padding):
    layer = nn.DepthwiseSeparableConv2d(3, 5, 3, stride=stride, padding=padding, dtype=F64, rng=0)
    check_layer(layer, randn(2, 3, 6, 6))


# ---------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2),
                                    dict(kernel_size=3, stride=1, padding=1),
                                    dict(kernel_size=(2, 3), stride=(2, 1))])
@pytest.mark.parametrize("cls", [nn.MaxPool2d, nn.AvgPool2d])
def test_pool2d(cls, kwargs):
    # distinct, well-separated values: no max-pooling ties within the finite-difference step
    x = np.random.default_rng(2).permutation(2 * 3 * 6 * 6).reshape(2, 3, 6, 6) / 10.0
    check_layer(cls(**kwargs), x)


@pytest.mark.parametrize("cls", [nn.MaxPool1d, nn.AvgPool1d])
def test_pool1d(cls):
    x = np.random.default_rng(2).permutation(2 * 3 * 9).reshape(2, 3, 9) / 10.0
    check_layer(cls(3, stride=2, padding=1), x)


@pytest.mark.parametrize("p, kernel_size, stride", [(2, 2, None), (3.5, 3, 2), (1.5, (2, 3), 1)])
def test_lp_pool2d(p, kernel_size, stride):
    x = randn(2, 2, 6, 6)                         # includes negative values: |x|^p
    check_layer(nn.LPPool2d(p, kernel_size, stride), x)


def test_lp_pool1d():
    check_layer(nn.LPPool1d(2, 3, 2), randn(2, 2, 9))


# ---------------------------------------------------------------------------
# Flat layers, activations, dropout
# ---------------------------------------------------------------------------

def test_linear():
    layer = nn.Linear(5, 3, dtype=F64, rng=0)
    layer.bias.data[:] = randn(3, seed=4)
    check_layer(layer, randn(4, 5))


def test_linear_without_bias():
    check_layer(nn.Linear(5, 3, bias=False, dtype=F64, rng=0), randn(4, 5))


@pytest.mark.parametrize("layer", [nn.Flatten(), nn.Flatten(2), nn.Identity(), nn.ReLU(), nn.Sigmoid(),
                                   nn.Tanh()], ids=lambda m: type(m).__name__)
def test_parameter_free(layer):
    x = randn(2, 3, 4, 5)
    x[np.abs(x) < 1e-3] = 0.5                     # keep ReLU's kink away from the step
    check_layer(layer, x)


@pytest.mark.parametrize("p", [0.0, 0.3, 0.8])
def test_dropout_train(p):
    layer = nn.Dropout(p)

    def reseed():
        layer.rng = np.random.default_rng(7)

    check_layer(layer, randn(4, 10), before=reseed)


def test_dropout_eval_is_identity_for_gradients():
    layer = nn.Dropout(0.5, rng=0).eval()
    dy = randn(3, 4)
    layer(randn(3, 4))
    np.testing.assert_array_equal(layer.backward(dy), dy)


# ---------------------------------------------------------------------------
# Batch normalisation
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm2d(training, affine):
    layer = nn.BatchNorm2d(3, affine=affine, dtype=F64)
    if affine:
        layer.weight.data[:] = [0.5, -1.5, 2.0]
        layer.bias.data[:] = [0.1, 0.2, -0.3]
    layer.running_mean[:] = [0.3, -0.2, 0.1]
    layer.running_var[:] = [0.5, 2.0, 1.5]
    layer.train(training)
    check_layer(layer, randn(4, 3, 3, 2) * 2 + 1)


@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 5)])
def test_batchnorm1d(shape):
    layer = nn.BatchNorm1d(4, dtype=F64)
    layer.weight.data[:] = [1.0, 2.0, -0.5, 0.3]
    check_layer(layer, randn(*shape))


def test_batchnorm_without_running_stats_uses_batch_statistics_in_eval():
    layer = nn.BatchNorm2d(2, track_running_stats=False, dtype=F64).eval()
    check_layer(layer, randn(3, 2, 2, 2))


# ---------------------------------------------------------------------------
# Residual block
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("c_in, c_out, stride", [(3, 3, 1), (3, 4, 1), (2, 4, 2)])
def test_basic_block(c_in, c_out, stride):
    block = nn.BasicBlock(c_in, c_out, stride, dtype=F64, rng=0)
    for m in block.modules():                     # non-trivial BatchNorm parameters
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data[:] = np.linspace(0.5, 1.5, m.num_features)
            m.bias.data[:] = np.linspace(-0.2, 0.3, m.num_features)
    check_layer(block, randn(2, c_in, 4, 4), tol=1e-5)


def test_basic_block_eval():
    block = nn.BasicBlock(2, 2, dtype=F64, rng=0).eval()
    check_layer(block, randn(2, 2, 4, 4))


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------

def test_cross_entropy_gradient():
    logits, labels = randn(5, 4) * 3, np.array([0, 3, 1, 1, 2])
    for reduction in ("mean", "sum"):
        ce = nn.CrossEntropyLoss(reduction=reduction)
        ce(logits, labels)
        num = numerical_gradient(lambda z: ce(z, labels), logits)
        assert relative_error(ce.backward(), num) < 1e-7


def test_mse_gradient():
    y, d = randn(3, 4), randn(3, 4, seed=2)
    mse = nn.MSELoss()
    mse(y, d)
    assert relative_error(mse.backward(), numerical_gradient(lambda y: mse(y, d), y)) < 1e-7


def test_class_box_loss_gradients():
    logits, labels, box, target = randn(4, 3), np.array([2, 0, 1, 2]), randn(4, 8, seed=5), randn(4, 8, seed=6)
    loss = nn.ClassBoxLoss(box_weight=0.7)
    loss(logits, labels, box, target)
    dlogits, dbox = loss.backward()
    num_logits = numerical_gradient(lambda z: loss(z, labels, box, target), logits)
    num_box = numerical_gradient(lambda b: loss(logits, labels, b, target), box)
    assert relative_error(dlogits, num_logits) < 1e-7
    assert relative_error(dbox, num_box) < 1e-7


# ---------------------------------------------------------------------------
# A whole network, input to loss
# ---------------------------------------------------------------------------

def small_cnn(dtype=F64, rng=0):
    return nn.Sequential(
        nn.Conv2d(1, 2, 3, dtype=dtype, rng=rng), nn.ReLU(), nn.MaxPool2d(2),       # 10 -> 8 -> 4
        nn.Conv2d(2, 3, 3, padding=1, dtype=dtype, rng=rng), nn.ReLU(), nn.MaxPool2d(2),  # 4 -> 4 -> 2
        nn.Flatten(), nn.Linear(3 * 2 * 2, 4, dtype=dtype, rng=rng),
    )


def test_whole_network_with_cross_entropy():
    net = small_cnn()
    for p in net.parameters():                    # non-zero biases, so ReLUs see both signs
        if p.name == "bias":
            p.data[:] = np.random.default_rng(3).normal(0, 0.1, p.shape)
    ce = nn.CrossEntropyLoss()
    x, labels = randn(3, 1, 10, 10), np.array([0, 3, 2])
    named = list(net.named_parameters())

    net.zero_grad()
    ce(net(x), labels)
    dx = net.backward(ce.backward())
    grads = [dx] + [p.grad.copy() for _, p in named]
    originals = [p.data for _, p in named]

    def loss(x, *datas):
        for (_, p), d in zip(named, datas):
            p.data = d
        return ce(net(x), labels)

    try:
        result = gradcheck(loss, (x, *originals), grads)
    finally:
        for (_, p), d in zip(named, originals):
            p.data = d
    assert result
    assert len(result.errors) == 1 + len(named) == 7


def test_gradients_accumulate():
    layer = nn.Linear(3, 2, dtype=F64, rng=0)
    x, dy = randn(4, 3), randn(4, 2)
    layer(x)
    layer.backward(dy)
    once = layer.weight.grad.copy()
    layer.backward(dy)
    np.testing.assert_allclose(layer.weight.grad, 2 * once)
    layer.zero_grad()
    assert not layer.weight.grad.any() and not layer.bias.grad.any()
