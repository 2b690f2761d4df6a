"""cnnedu.interop: every layer type goes cnnedu -> torch -> cnnedu with an identical state dict, computes
the same outputs and gradients as its PyTorch twin, and whole models agree to 1e-5 in float32.
"""

from collections import OrderedDict

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cnnedu import interop, models, nn  # noqa: E402
from cnnedu.interop import from_torch, to_torch  # noqa: E402

F64 = np.float64
tnn = torch.nn


def randomise(module, seed=3):
    """Non-trivial biases, BatchNorm scales/shifts/running statistics, so nothing passes by accident."""
    rng = np.random.default_rng(seed)
    for m in module.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            if m.affine:
                m.weight.data[...] = rng.uniform(0.5, 1.5, m.num_features)
                m.bias.data[...] = rng.uniform(-0.5, 0.5, m.num_features)
            if m.track_running_stats:
                m.running_mean[...] = rng.uniform(-0.5, 0.5, m.num_features)
                m.running_var[...] = rng.uniform(0.5, 1.5, m.num_features)
                m.num_batches_tracked[...] = 7
        elif getattr(m, "bias", None) is not None and isinstance(m.bias, nn.Parameter):
            m.bias.data[...] = rng.uniform(-0.5, 0.5, m.bias.shape)
    return module


def assert_same_state(a, b, tol=0.0):
    """Same keys in the same order, same shapes, equal values (to ``tol`` when both sides computed them)."""
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for k in sa:
        vb = sb[k].detach().numpy() if hasattr(sb[k], "detach") else sb[k]
        assert vb.shape == sa[k].shape, k
        np.testing.assert_allclose(sa[k], vb, rtol=tol, atol=tol, err_msg=k)


def compare(ours, theirs, x, rtol, atol_scale, grad_rtol=None):
    """Forward outputs, input gradients and parameter gradients of both sides agree.

    Tolerances are relative, the absolute one scaled by the largest value compared; gradients may get
    a looser ``grad_rtol`` (float32 sums in a different order, amplified by BatchNorm on small maps).
    """
    def close(a, b, what, tol=rtol):
        scale = max(np.abs(b).max(), 1e-30)
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol / rtol * atol_scale * scale, err_msg=what)

    xt = torch.from_numpy(x.copy()).requires_grad_()
    yt = theirs(xt)
    y = ours(x)
    close(y, yt.detach().numpy(), "forward")
    dy = np.random.default_rng(9).standard_normal(y.shape).astype(y.dtype)
    theirs.zero_grad()
    yt.backward(torch.from_numpy(dy))
    ours.zero_grad()
    dx = ours.backward(dy)
    grad_rtol = rtol if grad_rtol is None else grad_rtol
    close(dx, xt.grad.numpy(), "dL/dx", grad_rtol)
    mine = dict(ours.named_parameters())
    theirs_params = dict(theirs.named_parameters())
    assert set(mine) == set(theirs_params)
    for name, p in theirs_params.items():
        close(mine[name].grad, p.grad.numpy(), name, grad_rtol)


D = dict(dtype=F64, rng=0)

# every layer type of cnnedu.nn and of cnnedu.models, in float64
LAYERS = {
    "conv1d": (lambda: nn.Conv1d(2, 4, 3, stride=2, padding=1, **D), (2, 2, 11)),
    "conv1d-same-dilated": (lambda: nn.Conv1d(2, 3, 4, padding="same", dilation=2, **D), (2, 2, 9)),
    "conv2d": (lambda: nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(1, 0), **D), (2, 3, 7, 6)),
    "conv2d-groups-nobias": (lambda: nn.Conv2d(4, 6, 3, groups=2, bias=False, padding="valid", **D), (2, 4, 6, 6)),
    "conv2d-full": (lambda: nn.Conv2d(2, 3, 3, padding="full", **D), (1, 2, 5, 5)),
    "conv2d-same-even": (lambda: nn.Conv2d(2, 3, 4, padding="same", **D), (1, 2, 6, 7)),
    "conv-transpose1d": (lambda: nn.ConvTranspose1d(3, 2, 3, stride=2, padding=1, output_padding=1, **D),
                         (2, 3, 6)),
    "conv-transpose2d": (lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2,
                                                    dilation=1, **D), (2, 4, 5, 5)),
    "depthwise-separable": (lambda: nn.DepthwiseSeparableConv2d(3, 5, 3, stride=2, padding=1, **D), (2, 3, 7, 7)),
    "maxpool1d": (lambda: nn.MaxPool1d(3, 2, padding=1), (2, 3, 10)),
    "maxpool2d": (lambda: nn.MaxPool2d(3, 2, padding=1), (2, 3, 7, 7)),
    "avgpool1d": (lambda: nn.AvgPool1d(2), (2, 3, 8)),
    "avgpool2d": (lambda: nn.AvgPool2d((3, 2), (2, 1), padding=(1, 0)), (2, 3, 7, 6)),
    "lppool1d": (lambda: nn.LPPool1d(3, 2), (2, 3, 8)),
    "lppool2d": (lambda: nn.LPPool2d(2, 2, stride=1), (2, 3, 5, 5)),
    "linear": (lambda: nn.Linear(6, 4, **D), (3, 6)),
    "linear-nobias": (lambda: nn.Linear(6, 4, bias=False, **D), (3, 6)),
    "flatten": (lambda: nn.Flatten(), (2, 3, 4, 2)),
    "flatten-partial": (lambda: nn.Flatten(2, 3), (2, 3, 4, 2)),
    "relu": (lambda: nn.ReLU(), (3, 5)),
    "sigmoid": (lambda: nn.Sigmoid(), (3, 5)),
    "tanh": (lambda: nn.Tanh(), (3, 5)),
    "dropout-eval": (lambda: nn.Dropout(0.5).eval(), (3, 5)),
    "dropout-p0": (lambda: nn.Dropout(0.0), (3, 5)),
    "identity": (lambda: nn.Identity(), (3, 5)),
    "batchnorm1d-2d": (lambda: nn.BatchNorm1d(5, dtype=F64), (4, 5)),
    "batchnorm1d-3d-eval": (lambda: nn.BatchNorm1d(3, momentum=None, dtype=F64).eval(), (2, 3, 6)),
    "batchnorm2d": (lambda: nn.BatchNorm2d(3, eps=1e-3, momentum=0.3, dtype=F64), (2, 3, 4, 4)),
    "batchnorm2d-eval": (lambda: nn.BatchNorm2d(3, dtype=F64).eval(), (2, 3, 4, 4)),
    "batchnorm2d-no-affine": (lambda: nn.BatchNorm2d(3, affine=False, dtype=F64), (2, 3, 4, 4)),
    "batchnorm2d-no-stats": (lambda: nn.BatchNorm2d(3, track_running_stats=False, dtype=F64), (2, 3, 4, 4)),
    "sequential": (lambda: nn.Sequential(OrderedDict(conv=nn.Conv2d(2, 3, 3, **D), act=nn.ReLU(),
                                                     flat=nn.Flatten(), fc=nn.Linear(27, 2, **D))), (2, 2, 5, 5)),
    "basic-block": (lambda: nn.BasicBlock(4, 4, **D), (2, 4, 5, 5)),
    "basic-block-projection": (lambda: nn.BasicBlock(3, 4, stride=2, **D), (2, 3, 6, 6)),
    "residual-block-eval": (lambda: nn.ResidualBlock(4, 6, **D).eval(), (2, 4, 5, 5)),
    "bottleneck": (lambda: models.Bottleneck(8, 2, **D), (2, 8, 4, 4)),
    "bottleneck-projection": (lambda: models.Bottleneck(4, 2, stride=2, **D), (2, 4, 6, 6)),
    "adaptive-avgpool": (lambda: models.AdaptiveAvgPool2d((3, None)), (2, 3, 7, 5)),
    "global-avgpool": (lambda: models.AdaptiveAvgPool2d(1), (2, 3, 5, 5)),
    "concat": (lambda: models.Concat(OrderedDict(a=nn.Conv2d(3, 2, 1, **D), b=nn.MaxPool2d(3, 1, padding=1))),
               (2, 3, 5, 5)),
    "inception": (lambda: models.Inception(4, 2, 2, 3, 2, 2, 2, **D), (2, 4, 6, 6)),
    "dense-layer": (lambda: models.DenseLayer(4, 3, bn_size=2, **D), (2, 4, 4, 4)),
    "dense-block": (lambda: models.DenseBlock(3, 4, 2, bn_size=2, **D), (2, 4, 4, 4)),
    "transition": (lambda: models.Transition(4, 2, **D), (2, 4, 4, 4)),
    "mobilenet-block": (lambda: models.DepthwiseSeparableBlock(3, 4, stride=2, **D), (2, 3, 6, 6)),
}


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")   # PyTorch's, harmless
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_round_trip_and_twin(name):
    build, shape = LAYERS[name]
    ours = randomise(build())
    theirs = to_torch(ours)
    back = from_torch(theirs)
    assert_same_state(ours, theirs)
    assert_same_state(ours, back)
    if not isinstance(ours, nn.Sequential):
        assert type(back) is type(ours)                  # leaves and blocks keep their class
    assert [m.training for m in back.modules()] == [m.training for m in ours.modules()]
    assert [m.training for m in theirs.modules()] == [m.training for m in ours.modules()]
    x = np.random.default_rng(1).standard_normal(shape)
    if "pool" in name and "lp" not in name:
        x += np.arange(x.size).reshape(shape) * 1e-3        # no ties in max pooling
    compare(ours, theirs, x, rtol=1e-9, atol_scale=1e-11)
    # the round trip computes the same function too (and the running statistics moved alike)
    back_x = from_torch(theirs)
    np.testing.assert_allclose(back_x.eval()(x), ours.eval()(x), rtol=1e-12, atol=1e-12)


def test_training_updates_running_statistics_alike():
    ours = randomise(models.DenseBlock(2, 3, 2, **D))
    theirs = to_torch(ours)
    x = np.random.default_rng(0).standard_normal((4, 3, 5, 5))
    for _ in range(2):
        ours(x)
        theirs(torch.from_numpy(x))
    sa, sb = ours.state_dict(), theirs.state_dict()
    for k in sa:
        np.testing.assert_allclose(sa[k], sb[k].numpy(), rtol=1e-12, atol=1e-12, err_msg=k)


# ---------------------------------------------------------------------------
# Whole models and blocks in float32
# ---------------------------------------------------------------------------

F32_MODELS = {
    "lenet5": (lambda: models.LeNet5(rng=0), (4, 1, 32, 32)),
    "lenet5-tanh-avg": (lambda: models.LeNet5(activation="tanh", pooling="avg", rng=0), (2, 1, 32, 32)),
    "small-resnet": (lambda: models.ResNet("basic", (1, 1, 1, 1), num_classes=10, width=0.125, rng=0),
                     (4, 3, 48, 48)),
    "small-resnet-eval": (lambda: models.ResNet("bottleneck", (1, 1, 1, 1), num_classes=10, width=0.125,
                                                rng=0).eval(), (2, 3, 32, 32)),
    "inception-module": (lambda: models.Inception(16, 4, 4, 8, 2, 4, 4, rng=0), (2, 16, 8, 8)),
    "dense-block": (lambda: models.DenseBlock(3, 8, 4, rng=0), (2, 8, 6, 6)),
    "mobilenet-block": (lambda: models.DepthwiseSeparableBlock(8, 16, 2, rng=0), (2, 8, 8, 8)),
    "mobilenet-thin-eval": (lambda: models.MobileNetV1(num_classes=10, width=0.25, rng=0).eval(), (2, 3, 32, 32)),
    "googlenet-thin-eval": (lambda: models.GoogLeNet(num_classes=10, width=0.125, rng=0).eval(), (2, 3, 32, 32)),
    "densenet-small": (lambda: models.DenseNet(4, (2, 2), 8, num_classes=10, rng=0), (4, 3, 16, 16)),
    "alexnet-towers-thin-eval": (lambda: models.AlexNet(two_towers=True, width=0.0625, hidden=16, num_classes=5,
                                                        rng=0).eval(), (1, 3, 227, 227)),
    "vgg-thin-eval": (lambda: models.VGG("A", num_classes=10, input_size=32, hidden=16, width=0.125,
                                         rng=0).eval(), (2, 3, 32, 32)),
}


@pytest.mark.parametrize("name", list(F32_MODELS))
def test_model_float32(name):
    build, shape = F32_MODELS[name]
    ours = randomise(build())
    theirs = to_torch(ours)
    assert_same_state(ours, theirs)
    assert next(theirs.parameters()).dtype == torch.float32
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    compare(ours, theirs, x, rtol=1e-5, atol_scale=1e-5, grad_rtol=1e-4)


def test_model_float64_training_mode():
    ours = randomise(models.resnet50(num_classes=10, width=0.125, dtype=F64, rng=0))
    theirs = to_torch(ours)
    compare(ours, theirs, np.random.default_rng(1).standard_normal((2, 3, 64, 64)), rtol=1e-8, atol_scale=1e-10)
    assert_same_state(ours, from_torch(theirs), tol=1e-12)     # running statistics, updated on both sides


def test_resnet18_keys_are_torchvisions():
    theirs = to_torch(models.resnet18(init_weights=False))
    keys = list(theirs.state_dict())
    assert len(keys) == 122                      # torchvision's resnet18 state dict has 122 entries
    assert keys[:2] == ["conv1.weight", "bn1.weight"] and keys[-1] == "fc.bias"
    assert "layer4.0.downsample.1.running_var" in keys
    assert isinstance(theirs.layer1[0], interop.TorchBasicBlock) and theirs.layer1[0].downsample is None
    assert sum(p.numel() for p in theirs.parameters()) == 11_689_512


def test_from_a_torch_model():
    torch.manual_seed(0)
    theirs = tnn.Sequential(
        tnn.Conv2d(1, 4, 3, padding=1), tnn.BatchNorm2d(4), tnn.ReLU(inplace=True), tnn.MaxPool2d(2),
        tnn.Conv2d(4, 8, 3, padding="same", bias=False), tnn.Sigmoid(), tnn.AvgPool2d(2, padding=1),
        tnn.AdaptiveAvgPool2d((2, 2)), tnn.Flatten(), tnn.Dropout(0.2), tnn.Linear(32, 3), tnn.Tanh()).eval()
    ours = from_torch(theirs)
    assert isinstance(ours, nn.Sequential) and isinstance(ours[6], nn.AvgPool2d) and not ours.training
    assert ours[4].padding == "same"
    compare(ours, theirs, np.random.default_rng(0).standard_normal((2, 1, 12, 12)).astype(np.float32),
            rtol=1e-5, atol_scale=1e-5)


def test_mixed_modes_are_kept():
    net = models.LeNet5(rng=0)
    net.conv1.eval()
    theirs = to_torch(net)
    assert theirs.training and not theirs.conv1.training and theirs.fc1.training
    back = from_torch(theirs)
    assert back.training and not back.conv1.training


def test_torch_classes_are_module_attributes():
    assert interop.TorchConcat.__module__ == "cnnedu.interop"
    assert issubclass(interop.TorchDenseBlock, tnn.Module)
    with pytest.raises(AttributeError):
        interop.TorchNothing


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

def test_unsupported_layers():
    class Mine(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match=r"layer '1' is a Mine, which has no PyTorch equivalent"):
        to_torch(nn.Sequential(nn.ReLU(), Mine()))
    with pytest.raises(TypeError, match="CrossEntropyLoss"):
        to_torch(nn.CrossEntropyLoss())

    class Odd(nn.Sequential):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match="Odd"):
        to_torch(Odd(nn.ReLU()))
    with pytest.raises(TypeError, match="LSTM"):
        from_torch(tnn.Sequential(tnn.LSTM(3, 3)))
    with pytest.raises(TypeError, match="LPPool2d.*sums"):
        from_torch(tnn.LPPool2d(2, 2))
    with pytest.raises(TypeError, match="must be a cnnedu.nn.Module"):
        to_torch(tnn.ReLU())
    with pytest.raises(TypeError, match="must be a torch.nn.Module"):
        from_torch(nn.ReLU())


def test_settings_one_side_lacks():
    with pytest.raises(ValueError, match="asymmetric padding"):
        to_torch(nn.Conv2d(1, 1, 2, padding=((0, 1), (0, 1))))
    with pytest.raises(ValueError, match="padding='same' with stride"):
        to_torch(nn.Conv2d(1, 1, 3, stride=2, padding="same"))
    with pytest.raises(ValueError, match="at most half"):
        to_torch(nn.MaxPool2d(3, padding=2))
    with pytest.raises(ValueError, match="ceil_mode"):
        from_torch(tnn.MaxPool2d(3, 2, ceil_mode=True))
    with pytest.raises(ValueError, match="padding_mode"):
        from_torch(tnn.Conv2d(1, 1, 3, padding=1, padding_mode="reflect"))
    with pytest.raises(ValueError, match="count_include_pad"):
        from_torch(tnn.AvgPool2d(3, padding=1, count_include_pad=False))
    with pytest.raises(ValueError, match=r"\.float\(\)"):
        from_torch(tnn.Linear(2, 2).half())
