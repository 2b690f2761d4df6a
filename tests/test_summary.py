"""cnnedu.models.summary: shape inference, per-layer counts against cnnedu.sizes and the model's own
parameters, totals against the published numbers, the printed table, and the errors for shapes that
do not fit.
"""

import math

import numpy as np
import pytest

from cnnedu import models, nn, sizes
from cnnedu.models import summary

_CACHE = {}


def vgg16_skeleton():
    if "vgg16" not in _CACHE:
        _CACHE["vgg16"] = models.vgg16(init_weights=False)
    return _CACHE["vgg16"]


def expected_params(m):
    """A layer's count from the formulas of cnnedu.sizes."""
    if isinstance(m, nn.conv._ConvBase):
        return sizes.conv_parameter_count(m.in_channels, m.out_channels, m.kernel_size, m.groups,
                                          bias=m.bias is not None)
    if isinstance(m, nn.Linear):
        return sizes.linear_parameter_count(m.in_features, m.out_features, bias=m.bias is not None)
    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        return 2 * m.num_features if m.affine else 0
    return 0


def check_rows(model, s):
    """Every row: its count equals cnnedu.sizes' formula and the module's own parameters."""
    modules = dict(model.named_modules())
    leaf_rows = 0
    for row in s:
        if row.type in ("add", "concat"):
            assert row.params == 0 and row.macs == 0
            continue
        m = modules[row.name]
        assert type(m).__name__ == row.type
        own = sum(p.size for p in m.parameters(recurse=False))
        assert row.params == expected_params(m) == own, row
        leaf_rows += 1
    assert s.total_params == s.model_params == sum(p.size for p in model.parameters())
    # every module without children has exactly one row
    leaves = [n for n, m in model.named_modules() if not list(m.children())]
    assert leaf_rows == len(leaves)


def test_lenet_table():
    net = models.LeNet5(rng=0)
    s = summary(net, (1, 32, 32))
    assert [r.name for r in s] == ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "fc1",
                                   "relu3", "fc2", "relu4", "fc3"]
    assert [r.output_shape for r in s][:7] == [(6, 28, 28), (6, 28, 28), (6, 14, 14), (16, 10, 10),
                                               (16, 10, 10), (16, 5, 5), (400,)]
    assert s[0].macs == sizes.conv_macs(1, 6, 5, 28) == 117_600
    assert s[3].macs == sizes.conv_macs(6, 16, 5, 10)
    assert s[7].macs == 400 * 120 and s[2].macs == 0 and s[1].macs == 0
    assert s.total_params == 61_706 and s.total_macs == 416_520
    assert s.input_shape == (1, 32, 32) and s.output_shape == (10,)
    check_rows(net, s)
    assert summary(net).total_params == 61_706                  # input_shape from net.input_shape


def test_vgg16_table():
    net = vgg16_skeleton()
    s = summary(net, (3, 224, 224))
    assert s.total_params == 138_357_544
    assert s.total_macs == 15_470_264_320                       # the well-known 15.5 G multiply-adds
    check_rows(net, s)
    shapes = {r.name: r.output_shape for r in s}
    assert shapes["features.30"] == (512, 7, 7) and shapes["flatten"] == (25088,)
    fc6 = next(r for r in s if r.name == "classifier.0")
    assert fc6.params == 102_764_544 and fc6.macs == 25088 * 4096


@pytest.mark.parametrize("name", ["alexnet", "zfnet", "googlenet", "resnet18", "resnet50", "densenet121",
                                  "mobilenet_v1"])
def test_zoo_rows_match_sizes(name):
    net = models.get_model(name, init_weights=False)
    s = summary(net)
    check_rows(net, s)
    assert s.output_shape == (1000,)


def test_known_macs():
    assert summary("mobilenet_v1").total_macs == 568_740_352       # the paper's "569 million mult-adds"
    assert summary("resnet18").total_macs == 1_814_073_344        # 1.8 G, as in the ResNet paper
    # the two-tower AlexNet does fewer MACs: conv2, conv4, conv5 see half the maps
    one, two = summary("alexnet"), summary("alexnet", two_towers=True)
    assert one.total_macs - two.total_macs == sum(
        sizes.conv_macs(i, o, k, n) // 2 for i, o, k, n in [(96, 256, 5, 27), (384, 384, 3, 13), (384, 256, 3, 13)])


SMALL = {
    "lenet": (lambda: models.LeNet5(rng=0), (1, 32, 32)),
    "vgg-thin": (lambda: models.VGG("B", batch_norm=True, num_classes=10, input_size=32, hidden=16, width=0.125,
                                    rng=0), (3, 32, 32)),
    "resnet-thin": (lambda: models.resnet50(num_classes=10, width=0.125, rng=0), (3, 40, 36)),
    "googlenet-thin": (lambda: models.GoogLeNet(num_classes=10, width=0.125, rng=0), (3, 64, 64)),
    "densenet-small": (lambda: models.DenseNet(4, (2, 2), 8, num_classes=10, rng=0), (3, 33, 33)),
    "mobilenet-thin": (lambda: models.MobileNetV1(num_classes=10, width=0.25, rng=0), (3, 48, 48)),
    "layers-1d": (lambda: nn.Sequential(nn.Conv1d(2, 4, 5, stride=2, padding="same", rng=0), nn.BatchNorm1d(4),
                                        nn.MaxPool1d(3, 2, padding=1), nn.LPPool1d(2, 2), nn.AvgPool1d(2),
                                        nn.Flatten(), nn.Linear(8, 3, rng=0), nn.BatchNorm1d(3), nn.Sigmoid()),
                  (2, 40)),
    "layers-2d": (lambda: nn.Sequential(nn.Conv2d(3, 4, 3, padding="full", dilation=2, rng=0),
                                        nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, rng=0),
                                        nn.DepthwiseSeparableConv2d(2, 6, 3, stride=2, rng=0),
                                        nn.BasicBlock(6, 8, stride=2, rng=0), nn.Identity(), nn.Dropout(0.1),
                                        models.AdaptiveAvgPool2d((3, None)), nn.Tanh()),
                  (3, 11, 9)),
}


@pytest.mark.parametrize("name", list(SMALL))
def test_shapes_match_a_real_forward(name):
    build, shape = SMALL[name]
    net = build()
    s = summary(net, shape)
    check_rows(net, s)
    # run the network and record every leaf layer's output shape
    seen = {}
    for path, m in net.named_modules():
        if not list(m.children()):
            forward = m.forward

            def spy(x, _forward=forward, _path=path):
                y = _forward(x)
                seen[_path] = y.shape[1:]
                return y

            object.__setattr__(m, "forward", spy)
    y = net.eval()(np.random.default_rng(0).standard_normal((2, *shape)))
    assert s.output_shape == y.shape[1:]
    for row in s:
        if row.name in seen:
            assert row.output_shape == seen[row.name], row


def test_transposed_and_grouped_macs():
    up = nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2, rng=0)
    s = summary(up, (4, 5, 5))
    assert s[0].output_shape == (6, 11, 11)
    # the work of the convolution it transposes, 6 -> 4 channels, whose output is the 5x5 input
    assert s[0].macs == sizes.conv_macs(6, 4, 3, 5, groups=2) == 4 * 25 * 3 * 9
    assert s[0].params == sizes.conv_parameter_count(4, 6, 3, groups=2)
    dw = summary(nn.Conv2d(8, 8, 3, groups=8, bias=False, rng=0), (8, 10, 10))
    assert dw[0].macs == 8 * 8 * 8 * 9 and dw[0].params == 72


def test_merge_rows():
    s = summary(models.Inception(8, 2, 2, 4, 2, 3, 1, rng=0), (8, 6, 6))
    assert s[-1].type == "concat" and s[-1].output_shape == (10, 6, 6)
    assert [r.name for r in s].index("branch4.0") < len(s) - 1 and s[-1].name == "concat"   # the root's merge
    s = summary(models.resnet18(init_weights=False))
    adds = [r for r in s if r.type == "add"]
    assert len(adds) == 8 and adds[0].name == "layer1.0" and adds[2].output_shape == (128, 28, 28)
    i = [r.name for r in s].index("layer2.0")
    assert [r.name for r in s[i - 3:i + 2]] == ["layer2.0.bn2", "layer2.0.downsample.0", "layer2.0.downsample.1",
                                                "layer2.0", "layer2.0.relu2"]
    s = summary(models.DenseBlock(3, 4, 2, rng=0), (4, 5, 5))
    assert [r.output_shape[0] for r in s if r.type == "concat"] == [6, 8, 10]


def test_printing():
    s = summary(models.LeNet5(rng=0))
    text = str(s)
    lines = text.splitlines()
    assert lines[0].split() == ["Layer", "Type", "Output", "shape", "Params", "MACs"]
    # aligned: every row's type starts under "Type", its count ends under the end of "Params"
    type_at, params_end = lines[0].index("Type"), lines[0].index("Params") + len("Params")
    for row, line in zip(s, lines[2:]):
        assert line[type_at:].startswith(row.type + " ")
        assert line[:params_end].endswith(" " + f"{row.params:,}")
        assert line.endswith(f"{row.macs:,}")
    assert "conv1    Conv2d     (6, 28, 28)      156  117,600" in text
    assert "Total parameters: 61,706   MACs per example: 416,520" in text
    assert "Parameter memory: 241.0 KB (float32)" in text
    assert repr(s) == text
    md = s.to_markdown().splitlines()
    assert md[0] == "| Layer | Type | Output shape | Params | MACs |"
    assert len(md) == len(s) + 3 and md[-1].startswith("| **Total** |") and "**61,706**" in md[-1]
    assert "15.5 G" in str(summary(vgg16_skeleton()))
    assert len(s) == 12 and list(s)[0] is s[0] and s[-1].name == "fc3"


def test_bad_shapes_name_the_layer():
    net = models.LeNet5(init_weights=False)
    with pytest.raises(ValueError) as err:
        summary(net, (1, 28, 28))
    msg = str(err.value)
    assert "Linear(400 -> 120) got 256 features: check the output size of the layer before Flatten" in msg
    assert "'fc1'" in msg and "(16, 4, 4)" in msg and "(1, 28, 28)" in msg
    with pytest.raises(ValueError, match=r"layer 'conv2' \(Conv2d\(6 -> 16, kernel 5x5\)\).*along H.*does not fit"):
        summary(net, (1, 12, 32))
    with pytest.raises(ValueError, match=r"layer 'conv1'.*expects 1 input channels, got 3"):
        summary(net, (3, 32, 32))
    with pytest.raises(ValueError, match="without the batch dimension"):
        summary(net, (8, 1, 32, 32))
    with pytest.raises(ValueError, match="put a Flatten"):
        summary(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Linear(18, 2)), (1, 5, 5))
    with pytest.raises(ValueError, match="num_features is 4"):
        summary(nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(4)), (1, 5, 5))
    with pytest.raises(ValueError, match="residual path gives"):
        block = nn.BasicBlock(2, 4, stride=2, rng=0)
        block.downsample = None
        summary(block, (2, 6, 6))
    with pytest.raises(ValueError, match="different sizes"):
        summary(models.Concat(nn.Conv2d(2, 2, 3), nn.Conv2d(2, 2, 1)), (2, 6, 6))


def test_argument_errors_and_extension():
    class Double(nn.Module):
        def forward(self, x):
            return 2 * x

    with pytest.raises(TypeError, match="register_shape_rule"):
        summary(nn.Sequential(nn.ReLU(), Double()), (3,))
    models.register_shape_rule(Double, lambda walk, m, path, shape: walk.add(path, m, shape))
    assert summary(nn.Sequential(nn.ReLU(), Double()), (3,))[1].type == "Double"
    with pytest.raises(TypeError, match="give input_shape"):
        summary(nn.Sequential(nn.ReLU()))
    with pytest.raises(TypeError, match="input_shape must be a tuple"):
        summary(nn.ReLU(), "3x32x32")
    with pytest.raises(ValueError, match="input_shape must be >= 1"):
        summary(nn.ReLU(), (3, 0))
    with pytest.raises(TypeError, match="must be a cnnedu.nn.Module"):
        summary(object(), (3,))
    with pytest.raises(ValueError, match="unknown model"):
        summary("lenet6")

    class Custom(nn.Sequential):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match="overrides Sequential.forward"):
        summary(Custom(nn.ReLU()), (3,))


def test_summary_by_name_and_speed_smoke():
    s = summary("vgg16_c")
    assert s.total_params == 133_638_952
    s = summary("lenet5", input_shape=(1, 36, 36), input_size=36)
    assert s.total_params == 16 * 6 * 6 * 120 + 120 + 10_164 + 850 + 156 + 2_416
    # shape inference is cheap: many calls on VGG-16 (no timing asserted)
    net = vgg16_skeleton()
    for _ in range(20):
        assert summary(net).total_params == 138_357_544
    assert math.prod(summary(net).output_shape) == 1000
