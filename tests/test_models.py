"""cnnedu.models: the zoo's parameter counts against the published ones, forward and backward of every
model on small inputs, gradient checks of the new layers, the registry and the builders' options.

The big networks are built with ``init_weights=False`` (no random numbers drawn) for the counts;
forward/backward runs use thin (``width``) or small variants, so the file stays fast.
"""

import subprocess
import sys

import numpy as np
import pytest

from cnnedu import models, nn, optim, sizes
from cnnedu.gradcheck import gradcheck
from cnnedu.models import PUBLISHED_PARAMETERS
from cnnedu.models._build import _SkipInit

F64 = np.float64


def n_params(model):
    return sum(p.size for p in model.parameters())


# ---------------------------------------------------------------------------
# Parameter counts
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("key", list(PUBLISHED_PARAMETERS), ids=lambda k: k[0] + "".join(f"-{a}" for a, _ in k[1]))
def test_published_parameter_counts(key):
    name, kwargs = key
    model = models.get_model(name, init_weights=False, **dict(kwargs))
    assert n_params(model) == PUBLISHED_PARAMETERS[key]
    assert models.summary(model).total_params == PUBLISHED_PARAMETERS[key]


def test_alexnet_towers_by_hand():
    # the paper's layer sizes: conv1 sees all 3 channels; conv2, 4, 5 see half the maps (groups=2)
    convs = [(3, 96, 11, 1), (96, 256, 5, 2), (256, 384, 3, 1), (384, 384, 3, 2), (384, 256, 3, 2)]
    fcs = [(9216, 4096), (4096, 4096), (4096, 1000)]
    for towers in (False, True):
        expected = (sum(sizes.conv_parameter_count(i, o, k, groups=g if towers else 1) for i, o, k, g in convs)
                    + sum(sizes.linear_parameter_count(i, o) for i, o in fcs))
        net = models.AlexNet(two_towers=towers, init_weights=False)
        assert n_params(net) == expected == (60_965_224 if towers else 62_378_344)
        groups = [m.groups for m in net.features if isinstance(m, nn.Conv2d)]
        assert groups == ([1, 2, 1, 2, 2] if towers else [1] * 5)


def test_zfnet_and_googlenet_counts():
    assert n_params(models.ZFNet(init_weights=False)) == 62_357_608
    wide = models.ZFNet(wide=True, init_weights=False)
    assert [m.out_channels for m in wide.features if isinstance(m, nn.Conv2d)] == [96, 256, 512, 1024, 512]
    assert n_params(wide) == 107_627_624
    g = models.GoogLeNet(init_weights=False)
    assert n_params(g) == 6_998_552
    weights_only = sum(p.size for name, p in g.named_parameters() if name.endswith("weight"))
    assert abs(weights_only / 6.8e6 - 1) < 0.03          # the paper's Table 1 sums to about 6.8 million


def test_summary_map_sizes_of_the_papers():
    shapes = {r.name: r.output_shape for r in models.summary(models.AlexNet(init_weights=False))}
    assert [shapes[f"features.{i}"] for i in (0, 2, 3, 5, 12)] == [
        (96, 55, 55), (96, 27, 27), (256, 27, 27), (256, 13, 13), (256, 6, 6)]
    shapes = {r.name: r.output_shape for r in models.summary(models.ZFNet(init_weights=False))}
    assert [shapes[f"features.{i}"] for i in (0, 2, 3, 5, 12)] == [
        (96, 110, 110), (96, 55, 55), (256, 26, 26), (256, 13, 13), (256, 6, 6)]
    shapes = {r.name: r.output_shape for r in models.summary(models.GoogLeNet(init_weights=False))}
    assert shapes["maxpool1"] == (64, 56, 56) and shapes["inception3b"] == (480, 28, 28)
    assert shapes["inception4e"] == (832, 14, 14) and shapes["inception5b"] == (1024, 7, 7)


@pytest.mark.parametrize("config, convs", [("A", 8), ("A-LRN", 8), ("B", 10), ("C", 13), ("D", 13), ("E", 16)])
def test_vgg_configurations(config, convs):
    net = models.VGG(config, num_classes=10, input_size=32, hidden=16, width=0.125, init_weights=False)
    conv_layers = [m for m in net.features if isinstance(m, nn.Conv2d)]
    assert len(conv_layers) == convs                      # + 3 FC layers = the table's weight layers
    assert sum(m.kernel_size == (1, 1) for m in conv_layers) == (3 if config == "C" else 0)
    assert all(m.padding == ((0, 0) if m.kernel_size == (1, 1) else (1, 1)) for m in conv_layers)
    assert net.classifier[0].in_features == 64            # 512/8 maps of 1x1 after five poolings


def test_vgg_batch_norm_and_errors():
    net = models.VGG("A", batch_norm=True, num_classes=10, input_size=32, hidden=16, width=0.125,
                     init_weights=False)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in net.modules()) == 8
    with pytest.raises(ValueError, match="config must be one of"):
        models.VGG("F")
    with pytest.raises(ValueError, match="input_size 16 is too small"):
        models.VGG("A", input_size=16, init_weights=False)


# ---------------------------------------------------------------------------
# Forward and backward of every model
# ---------------------------------------------------------------------------

SMALL_MODELS = {
    "lenet5": (lambda: models.LeNet5(rng=0), (2, 1, 32, 32)),
    "lenet5-tanh-avg": (lambda: models.LeNet5(activation="tanh", pooling="avg", in_channels=3, rng=0),
                        (2, 3, 32, 32)),
    "alexnet-towers": (lambda: models.AlexNet(two_towers=True, width=0.0625, hidden=16, num_classes=5, rng=0),
                       (1, 3, 227, 227)),
    "zfnet-wide": (lambda: models.ZFNet(wide=True, width=0.0625, hidden=16, num_classes=5, rng=0),
                   (1, 3, 224, 224)),
    "vgg16-cifar": (lambda: models.vgg16(num_classes=10, input_size=32, hidden=32, width=0.125, rng=0),
                    (2, 3, 32, 32)),
    "vgg-c-bn": (lambda: models.VGG("C", batch_norm=True, num_classes=10, input_size=32, hidden=16,
                                    width=0.125, rng=0), (2, 3, 32, 32)),
    "googlenet": (lambda: models.GoogLeNet(num_classes=10, width=0.125, rng=0), (2, 3, 32, 32)),
    "resnet18-eval": (lambda: models.resnet18(num_classes=10, rng=0).eval(), (1, 3, 32, 32)),
    "resnet18-thin": (lambda: models.resnet18(num_classes=10, width=0.125, rng=0), (2, 3, 32, 32)),
    "resnet50-thin": (lambda: models.resnet50(num_classes=10, width=0.125, rng=0), (2, 3, 32, 32)),
    "densenet": (lambda: models.DenseNet(growth_rate=4, block_config=(2, 3), num_init_features=8,
                                         num_classes=10, rng=0), (2, 3, 32, 32)),
    "mobilenet": (lambda: models.MobileNetV1(num_classes=10, width=0.25, rng=0), (2, 3, 32, 32)),
}


@pytest.mark.parametrize("name", list(SMALL_MODELS))
def test_forward_backward(name):
    build, shape = SMALL_MODELS[name]
    net = build()
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    y = net(x)
    assert y.shape == (shape[0], net.num_classes) and np.isfinite(y).all()
    assert models.summary(net, shape[1:]).output_shape == y.shape[1:]
    net.zero_grad()
    dx = net.backward(np.ones_like(y))
    assert dx.shape == x.shape and np.isfinite(dx).all()
    grads = [p.grad for p in net.parameters()]
    assert all(np.isfinite(g).all() for g in grads)
    assert any(np.abs(g).sum() > 0 for g in grads)
    last = [m for m in net.modules() if isinstance(m, nn.Linear)][-1]
    assert np.abs(last.weight.grad).sum() > 0


def test_lenet_trains():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 1, 32, 32)).astype(np.float32)
    labels = np.arange(8) % 10
    net = models.LeNet5(rng=0)
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(15):
        losses.append(loss_fn(net(x), labels))
        opt.zero_grad()
        net.backward(loss_fn.backward())
        opt.step()
    assert losses[-1] < 0.5 * losses[0]


# ---------------------------------------------------------------------------
# The new layers: gradient checks in float64
# ---------------------------------------------------------------------------

def module_gradcheck(module, x, tol=1e-6):
    """Check dL/dx and every dL/dθ of ``module`` against central differences."""
    params = list(module.parameters())

    def f(x, *values):
        for p, v in zip(params, values):
            p.data[...] = v
        return module(x)

    y = module(x)
    dy = np.random.default_rng(7).standard_normal(y.shape)
    module.zero_grad()
    dx = module.backward(dy)
    grads = [dx] + [p.grad.copy() for p in params]
    return gradcheck(f, [x] + [p.data.copy() for p in params], grads, dy=dy, tol=tol)


def randomise_bn(module, seed=3):
    """Non-trivial BatchNorm scales, shifts and running statistics."""
    rng = np.random.default_rng(seed)
    for m in module.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.weight.data[...] = rng.uniform(0.5, 1.5, m.num_features)
            m.bias.data[...] = rng.uniform(-0.5, 0.5, m.num_features)
            m.running_mean[...] = rng.uniform(-0.5, 0.5, m.num_features)
            m.running_var[...] = rng.uniform(0.5, 1.5, m.num_features)
    return module


LAYERS = {
    "gap": (lambda: models.AdaptiveAvgPool2d(1), (2, 3, 5, 7)),
    "adaptive-3x2": (lambda: models.AdaptiveAvgPool2d((3, 2)), (2, 2, 5, 7)),
    "adaptive-none": (lambda: models.AdaptiveAvgPool2d((None, 3)), (1, 2, 4, 7)),
    "concat": (lambda: models.Concat(nn.Conv2d(3, 2, 1, dtype=F64, rng=0),
                                     nn.Sequential(nn.Conv2d(3, 2, 3, padding=1, dtype=F64, rng=1), nn.Tanh()),
                                     nn.AvgPool2d(3, 1, padding=1)), (2, 3, 5, 5)),
    "inception": (lambda: models.Inception(4, 2, 2, 3, 2, 2, 2, dtype=F64, rng=0), (2, 4, 6, 6)),
    "dense-layer": (lambda: randomise_bn(models.DenseLayer(4, 3, bn_size=2, dtype=F64, rng=0)), (2, 4, 4, 4)),
    "dense-block": (lambda: randomise_bn(models.DenseBlock(3, 4, 2, bn_size=2, dtype=F64, rng=0)), (2, 4, 4, 4)),
    "dense-block-eval": (lambda: randomise_bn(models.DenseBlock(2, 3, 2, bn_size=None, dtype=F64, rng=0)).eval(),
                         (2, 3, 4, 4)),
    "transition": (lambda: randomise_bn(models.Transition(4, 2, dtype=F64, rng=0)), (2, 4, 4, 4)),
    "bottleneck-projection": (lambda: randomise_bn(models.Bottleneck(4, 2, stride=2, dtype=F64, rng=0)),
                              (2, 4, 6, 6)),
    "bottleneck-identity": (lambda: randomise_bn(models.Bottleneck(8, 2, dtype=F64, rng=0)).eval(), (2, 8, 4, 4)),
    "depthwise-separable-block": (lambda: randomise_bn(models.DepthwiseSeparableBlock(3, 4, stride=2, dtype=F64,
                                                                                      rng=0)), (2, 3, 6, 6)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_gradients(name):
    build, shape = LAYERS[name]
    layer = build()
    x = np.random.default_rng(2).standard_normal(shape)
    assert module_gradcheck(layer, x)


def test_adaptive_pool_windows_and_values():
    assert models._layers.adaptive_windows(5, 3) == [(0, 2), (1, 4), (3, 5)]
    assert models._layers.adaptive_windows(7, 7) == [(i, i + 1) for i in range(7)]
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 4))
    # when the output size divides the input size it is ordinary average pooling
    np.testing.assert_allclose(models.AdaptiveAvgPool2d((3, 2))(x), nn.AvgPool2d((2, 2))(x))
    np.testing.assert_allclose(models.AdaptiveAvgPool2d(1)(x)[:, :, 0, 0], x.mean(axis=(2, 3)))
    with pytest.raises(RuntimeError, match="before forward"):
        models.AdaptiveAvgPool2d(1).backward(np.zeros((1, 1, 1, 1)))


def test_block_shapes_and_errors():
    block = models.DenseBlock(4, 6, growth_rate=3, rng=0)
    x = np.random.default_rng(0).standard_normal((2, 6, 5, 5))
    y = block(x)
    assert y.shape == (2, 18, 5, 5) and block.out_channels == 18
    np.testing.assert_array_equal(y[:, :6], x.astype(y.dtype))          # the input is passed on unchanged
    with pytest.raises(ValueError, match="expects 6 input channels, got 5"):
        block(x[:, :5])
    cat = models.Concat(nn.Conv2d(3, 2, 3, rng=0), nn.Conv2d(3, 2, 3, padding=1, rng=0))
    with pytest.raises(ValueError, match="different sizes"):
        cat(np.zeros((1, 3, 6, 6)))
    with pytest.raises(TypeError, match="must be a Module"):
        models.Concat(nn.ReLU(), "relu")
    assert models.Inception(192, 64, 96, 128, 16, 32, 32, rng=0).out_channels == 256
    b = models.Bottleneck(64, 64, rng=0)
    assert b.out_channels == 256 and b.downsample is not None
    assert models.Bottleneck(256, 64, rng=0).downsample is None


# ---------------------------------------------------------------------------
# Registry and builder options
# ---------------------------------------------------------------------------

def test_registry():
    names = models.list_models()
    assert names == sorted(names)
    assert {"lenet5", "alexnet", "zfnet", "vgg11", "vgg13", "vgg16_c", "vgg16", "vgg19", "googlenet",
            "resnet18", "resnet34", "resnet50", "densenet121", "mobilenet_v1"} == set(names)
    assert isinstance(models.get_model("LeNet-5", rng=0), models.LeNet5)
    assert isinstance(models.get_model("MobileNetV1", width=0.25, init_weights=False), models.MobileNetV1)
    with pytest.raises(ValueError, match="did you mean 'resnet18'") as err:
        models.get_model("resnet19")
    for n in names:
        assert n in str(err.value)
    with pytest.raises(ValueError, match="valid names are"):
        models.get_model("transformer")
    with pytest.raises(TypeError):
        models.get_model(None)


def test_reproducible_weights():
    a, b = models.LeNet5(rng=5), models.LeNet5(rng=5)
    c = models.LeNet5(rng=6)
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(v, b.state_dict()[k])
    assert not np.array_equal(a.conv1.weight.data, c.conv1.weight.data)
    nn.init.manual_seed(11)
    d = models.LeNet5()
    nn.init.manual_seed(11)
    e = models.LeNet5()
    np.testing.assert_array_equal(d.fc1.weight.data, e.fc1.weight.data)


def test_init_weights_and_dtype():
    net = models.VGG("A", num_classes=10, input_size=32, hidden=256, width=0.5, rng=0)
    w = net.features[-3].weight.data                        # the last conv: 256 maps in, fan_in 256 * 9
    assert w.dtype == np.float32
    assert abs(w.std() / np.sqrt(2 / (256 * 9)) - 1) < 0.05
    assert all(np.all(m.bias.data == 0) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))
    skeleton = models.resnet18(init_weights=False, width=0.125)
    assert all(np.all(p.data == (1 if n.endswith("bn1.weight") or n.endswith("bn2.weight")
                                 or n.endswith("downsample.1.weight") else 0))
               for n, p in skeleton.named_parameters())
    f64 = models.MobileNetV1(width=0.25, dtype=np.float64, rng=0)
    assert {p.dtype for p in f64.parameters()} == {np.dtype(np.float64)}
    assert all(b.dtype == np.float64 for n, b in f64.named_buffers() if "running" in n)
    # Dropout layers draw their masks from real generators (not the skip-init one)
    drops = [m for m in models.AlexNet(width=0.0625, hidden=8, init_weights=False).modules()
             if isinstance(m, nn.Dropout)]
    assert len(drops) == 2 and not any(isinstance(d.rng, _SkipInit) for d in drops)
    y = drops[0](np.ones((1, 1000), dtype=np.float32))
    assert set(np.unique(y)) == {0.0, 2.0}


def test_builder_options():
    lenet = models.LeNet5(input_size=28, activation="tanh", pooling="avg", rng=0)
    assert lenet.fc1.in_features == 256 and lenet.input_shape == (1, 28, 28)
    assert isinstance(lenet.tanh1, nn.Tanh) and isinstance(lenet.pool1, nn.AvgPool2d)
    assert lenet(np.zeros((1, 1, 28, 28))).shape == (1, 10)
    with pytest.raises(ValueError, match="activation must be one of"):
        models.LeNet5(activation="gelu")
    with pytest.raises(ValueError, match="input_size 8 is too small"):
        models.LeNet5(input_size=8)
    with pytest.raises(ValueError, match="width must be > 0"):
        models.resnet18(width=0)
    with pytest.raises(ValueError, match="4 stages"):
        models.ResNet("basic", (2, 2, 2))
    with pytest.raises(ValueError, match="block must be one of"):
        models.ResNet("wide")
    with pytest.raises(TypeError, match="init_weights must be True or False"):
        models.LeNet5(init_weights=None)
    assert models.AlexNet(two_towers=True, width=0.3, init_weights=False).features[3].groups == 2
    mob = models.MobileNetV1(width=0.5, init_weights=False)
    assert mob.conv1.out_channels == 16 and mob.fc.in_features == 512
    res = models.resnet18(in_channels=1, num_classes=7, init_weights=False)
    assert res.conv1.in_channels == 1 and res.fc.out_features == 7


def test_resnet_state_dict_keys_are_torchvisions():
    keys = list(models.resnet18(width=0.125, init_weights=False).state_dict())
    assert keys[:6] == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                        "bn1.num_batches_tracked"]
    assert "layer2.0.downsample.0.weight" in keys and "layer1.0.downsample.0.weight" not in keys
    assert keys[-2:] == ["fc.weight", "fc.bias"]
    keys = list(models.DenseNet(growth_rate=4, block_config=(1, 1), num_init_features=8,
                                init_weights=False).state_dict())
    assert "features.denseblock1.denselayer1.norm1.weight" in keys and "features.transition1.conv.weight" in keys
    assert keys[-1] == "classifier.bias"


def test_interop_imports_without_torch():
    code = ("import sys; sys.modules['torch'] = None\n"
            "import cnnedu.interop as io, cnnedu.models as m\n"
            "try:\n    io.to_torch(m.LeNet5(init_weights=False))\n"
            "except ImportError as e:\n    print('ImportError:', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "ImportError:" in out.stdout and "pip install torch" in out.stdout
