"""The Module machinery: registration, traversal, modes, state dicts, repr, init, parameter counts."""

import numpy as np
import pytest

from cnnedu import nn, sizes




def lenet(rng=0, dtype=np.float32):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, rng=rng, dtype=dtype), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5, rng=rng, dtype=dtype), nn.BatchNorm2d(16, dtype=dtype), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120, rng=rng, dtype=dtype), nn.ReLU(), nn.Dropout(0.5, rng=rng),
        nn.Linear(120, 10, rng=rng, dtype=dtype),
    )


# ---------------------------------------------------------------------------
# Parameter
# ---------------------------------------------------------------------------

def test_parameter_holds_data_and_zero_grad():
    p = nn.Parameter(np.arange(6.0).reshape(2, 3), name="w")
    assert p.shape == (2, 3) and p.size == 6 and p.ndim == 2 and p.dtype == np.float64
    assert p.grad.shape == p.shape and not p.grad.any()
    p.grad += 1
    p.zero_grad()
    assert not p.grad.any()
    assert "w" in repr(p) and "(2, 3)" in repr(p)


def test_parameter_converts_integers_to_float():
    assert nn.Parameter([1, 2]).dtype == np.float64


def test_parameter_takes_the_attribute_name():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(np.ones(2))

    assert M().scale.name == "scale"


# ---------------------------------------------------------------------------
# Traversal
# ---------------------------------------------------------------------------

def test_named_parameters_order_and_names():
    net = lenet()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["0.weight", "0.bias", "3.weight", "3.bias", "4.weight", "4.bias",
                     "8.weight", "8.bias", "11.weight", "11.bias"]
    assert [p for _, p in net.named_parameters()] == list(net.parameters())
    assert list(net.parameters()) == list(net.parameters())           # deterministic


def test_parameters_are_not_duplicated_when_a_module_is_shared():
    fc = nn.Linear(4, 4, rng=0)
    net = nn.Sequential(fc, nn.ReLU(), fc)
    assert len(list(net.parameters())) == 2
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias"]


def test_parameters_are_not_duplicated_when_a_parameter_is_shared():
    a, b = nn.Linear(3, 3, rng=0), nn.Linear(3, 3, rng=1)
    b.weight = a.weight                                              # tied weights
    assert len(list(nn.Sequential(a, b).parameters())) == 3


def test_children_and_modules():
    block = nn.BasicBlock(2, 4, stride=2, rng=0)
    assert [type(m).__name__ for m in block.children()] == [
        "Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d", "Sequential", "ReLU"]
    assert [n for n, _ in block.named_modules()][:3] == ["", "conv1", "bn1"]
    assert "downsample.0" in dict(block.named_modules())


def test_setting_an_attribute_to_none_unregisters_it():
    conv = nn.Conv2d(2, 3, 3, rng=0)
    conv.bias = None
    assert [n for n, _ in conv.named_parameters()] == ["weight"]


def test_module_without_super_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.ones(1))

    with pytest.raises(AttributeError, match=r"super\(\)\.__init__\(\)"):
        Broken()


# ---------------------------------------------------------------------------
# Sequential
# ---------------------------------------------------------------------------

def test_sequential_indexing_len_iteration():
    net = lenet()
    assert len(net) == 12
    assert isinstance(net[0], nn.Conv2d) and isinstance(net[-1], nn.Linear)
    assert [type(m) for m in net][:3] == [nn.Conv2d, nn.ReLU, nn.MaxPool2d]
    head = net[7:]
    assert isinstance(head, nn.Sequential) and len(head) == 5 and head[1] is net[8]
    with pytest.raises(IndexError, match="out of range"):
        net[12]


def test_sequential_forward_backward_matches_manual_chain():
    net = nn.Sequential(nn.Linear(3, 4, dtype=np.float64, rng=0), nn.Tanh(), nn.Linear(4, 2, dtype=np.float64, rng=1))
    x = np.random.default_rng(0).standard_normal((5, 3))
    y = net(x)
    manual = net[2](net[1](net[0](x)))
    np.testing.assert_allclose(y, manual)
    dy = np.ones_like(y)
    dx = net.backward(dy)
    np.testing.assert_allclose(dx, net[0].backward(net[1].backward(net[2].backward(dy))))


def test_sequential_append_and_ordered_dict():
    from collections import OrderedDict
    net = nn.Sequential(OrderedDict(conv=nn.Conv2d(1, 2, 3, rng=0), act=nn.ReLU()))
    net.append(nn.Flatten())
    assert [n for n, _ in net.named_children()] == ["conv", "act", "2"]
    assert [n for n, _ in net.named_parameters()] == ["conv.weight", "conv.bias"]
    with pytest.raises(TypeError, match="Module"):
        nn.Sequential(nn.ReLU(), "relu")


# ---------------------------------------------------------------------------
# train / eval, zero_grad
# ---------------------------------------------------------------------------

def test_train_eval_is_recursive():
    net = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Sequential(nn.Dropout(), nn.BatchNorm1d(2)))
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_resets_every_parameter():
    net = lenet()
    for p in net.parameters():
        p.grad += 1
    net.zero_grad()
    assert all(not p.grad.any() for p in net.parameters())


# ---------------------------------------------------------------------------
# backward before forward
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("layer", [
    nn.Conv2d(1, 2, 3), nn.Conv1d(1, 2, 3), nn.ConvTranspose2d(1, 2, 3), nn.MaxPool2d(2), nn.AvgPool2d(2),
    nn.LPPool2d(2, 2), nn.Linear(2, 3), nn.Flatten(), nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.Dropout(),
    nn.BatchNorm2d(2), nn.BasicBlock(2, 2), nn.Identity(), nn.CrossEntropyLoss(), nn.MSELoss(),
    nn.ClassBoxLoss(),
], ids=lambda m: type(m).__name__)
def test_backward_before_forward_raises(layer):
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        layer.backward(np.ones((1, 2, 2, 2)))


def test_backward_checks_dy_shape():
    conv = nn.Conv2d(1, 2, 3, rng=0)
    conv(np.zeros((1, 1, 5, 5)))
    with pytest.raises(ValueError, match=r"Conv2d\(1 -> 2, kernel 3x3\)\.backward: dy must have the shape "
                                         r"of the forward output \(1, 2, 3, 3\), got \(1, 2, 5, 5\)"):
        conv.backward(np.zeros((1, 2, 5, 5)))


# ---------------------------------------------------------------------------
# state_dict
# ---------------------------------------------------------------------------

def test_state_dict_round_trip():
    a, b = lenet(rng=0), lenet(rng=1)
    a.train()(np.random.default_rng(0).standard_normal((4, 1, 32, 32)))     # move the running stats
    state = a.state_dict()
    assert list(state) == ["0.weight", "0.bias", "3.weight", "3.bias", "4.weight", "4.bias",
                           "4.running_mean", "4.running_var", "4.num_batches_tracked",
                           "8.weight", "8.bias", "11.weight", "11.bias"]
    assert int(state["4.num_batches_tracked"]) == 1
    weight_b = b[0].weight.data
    b.load_state_dict(state)
    assert b[0].weight.data is weight_b                          # loaded in place
    for k, v in b.state_dict().items():
        np.testing.assert_array_equal(v, state[k])
    x = np.random.default_rng(1).standard_normal((2, 1, 32, 32))
    np.testing.assert_array_equal(a.eval()(x), b.eval()(x))


def test_state_dict_returns_copies():
    conv = nn.Conv2d(1, 1, 1, rng=0)
    state = conv.state_dict()
    state["weight"][...] = 42
    assert conv.weight.data.item() != 42


def test_load_state_dict_strict_keys():
    net = nn.Sequential(nn.Linear(2, 3, rng=0))
    state = net.state_dict()
    del state["0.bias"]
    state["0.extra"] = np.zeros(1)
    with pytest.raises(ValueError, match=r"missing keys \['0.bias'\]; unexpected keys \['0.extra'\]"):
        net.load_state_dict(state)
    before = net[0].weight.data.copy()
    state["0.weight"] = np.ones((3, 2))
    net.load_state_dict(state, strict=False)
    np.testing.assert_array_equal(net[0].weight.data, 1)
    assert not np.array_equal(before, 1)


def test_load_state_dict_checks_shapes_before_copying_anything():
    net = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Linear(3, 1, rng=0))
    state = net.state_dict()
    state["0.weight"] = np.zeros((3, 2))
    state["1.weight"] = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"size mismatch for '1.weight': the model has shape \(1, 3\), "
                                         r"the state dict has \(2, 3\)"):
        net.load_state_dict(state)
    assert net[0].weight.data.any()                              # nothing was copied


def test_load_state_dict_casts_to_parameter_dtype():
    conv = nn.Conv2d(1, 1, 1, rng=0)
    conv.load_state_dict({"weight": np.full((1, 1, 1, 1), 0.5, dtype=np.float64), "bias": [0.0]})
    assert conv.weight.dtype == np.float32 and conv.weight.data.item() == 0.5


# ---------------------------------------------------------------------------
# repr
# ---------------------------------------------------------------------------

def test_repr_is_like_torch():
    net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(6 * 14 * 14, 10, bias=False))
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))\n"
        "  (1): ReLU()\n"
        "  (2): MaxPool2d(kernel_size=2, stride=2)\n"
        "  (3): Flatten(start_dim=1, end_dim=-1)\n"
        "  (4): Linear(in_features=1176, out_features=10, bias=False)\n"
        ")"
    )
    assert repr(nn.BatchNorm2d(16)) == (
        "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)")
    assert repr(nn.Conv2d(4, 8, 3, groups=2, bias=False, dilation=2)) == (
        "Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), dilation=(2, 2), groups=2, bias=False)")
    assert repr(nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1)) == (
        "ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))")
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25)"
    assert repr(nn.LPPool2d(3, 2)) == "LPPool2d(norm_type=3, kernel_size=2, stride=2)"
    assert "\n  (downsample): Sequential(\n    (0): Conv2d" in repr(nn.BasicBlock(2, 4, 2))


# ---------------------------------------------------------------------------
# Parameter counts: the sizes.* formulas
# ---------------------------------------------------------------------------

def n_params(module):
    return sum(p.size for p in module.parameters())


@pytest.mark.parametrize("c_in, c_out, k, groups, bias", [
    (3, 96, 11, 1, True), (6, 16, 5, 1, True), (32, 32, 3, 32, False), (4, 8, (3, 5), 2, True)])
def test_conv2d_parameter_count(c_in, c_out, k, groups, bias):
    layer = nn.Conv2d(c_in, c_out, k, groups=groups, bias=bias, rng=0)
    assert n_params(layer) == sizes.conv_parameter_count(c_in, c_out, k, groups=groups, bias=bias)


def test_conv1d_and_transpose_parameter_counts():
    assert n_params(nn.Conv1d(3, 8, 5, rng=0)) == sizes.conv_parameter_count(3, 8, (5,))
    # C_in * (C_out/G) * K^2 + C_out: the same formula as the forward convolution
    assert n_params(nn.ConvTranspose2d(8, 4, 3, groups=2, rng=0)) == sizes.conv_parameter_count(8, 4, 3, groups=2)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("c_in, c_out, k", [(32, 64, 3), (3, 16, 5), (8, 8, (3, 1))])
def test_depthwise_separable_parameter_count(c_in, c_out, k, bias):
    layer = nn.DepthwiseSeparableConv2d(c_in, c_out, k, bias=bias, rng=0)
    assert n_params(layer) == sizes.depthwise_separable_parameter_count(c_in, c_out, k, bias=bias)
    assert layer.depthwise.groups == c_in


def test_linear_parameter_count_and_lenet_total():
    assert n_params(nn.Linear(400, 120, rng=0)) == sizes.linear_parameter_count(400, 120)
    net = lenet()
    expected = (sizes.conv_parameter_count(1, 6, 5) + sizes.conv_parameter_count(6, 16, 5) + 2 * 16
                + sizes.linear_parameter_count(400, 120) + sizes.linear_parameter_count(120, 10))
    assert n_params(net) == expected


def test_basic_block_parameter_count():
    block = nn.BasicBlock(16, 32, stride=2, rng=0)
    expected = (sizes.conv_parameter_count(16, 32, 3, bias=False) + sizes.conv_parameter_count(32, 32, 3, bias=False)
                + sizes.conv_parameter_count(16, 32, 1, bias=False) + 3 * 2 * 32)
    assert n_params(block) == expected


# ---------------------------------------------------------------------------
# dtype and determinism
# ---------------------------------------------------------------------------

def test_default_dtype_is_float32_and_float64_is_available():
    assert all(p.dtype == np.float32 for p in lenet().parameters())
    assert all(p.dtype == np.float64 for p in lenet(dtype=np.float64).parameters())
    x = np.zeros((2, 1, 32, 32))                                     # float64 input, float32 network
    assert lenet().eval()(x).dtype == np.float32
    with pytest.raises(ValueError, match="dtype must be np.float32 or np.float64"):
        nn.Linear(2, 2, dtype=np.int32)


def test_same_seed_same_network():
    for a, b in zip(lenet(rng=3).parameters(), lenet(rng=3).parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    assert not np.array_equal(lenet(rng=3)[0].weight.data, lenet(rng=4)[0].weight.data)


def test_manual_seed_makes_default_initialisation_reproducible():
    nn.init.manual_seed(123)
    a = [p.data for p in nn.Sequential(nn.Conv2d(1, 2, 3), nn.Conv2d(2, 2, 3)).parameters()]
    nn.init.manual_seed(123)
    b = [p.data for p in nn.Sequential(nn.Conv2d(1, 2, 3), nn.Conv2d(2, 2, 3)).parameters()]
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0].ravel()[:18], a[2].ravel()[:18])    # two layers differ


def test_same_seed_same_training_step():
    def one_step(seed):
        net = nn.Sequential(nn.Conv2d(1, 2, 3, rng=seed), nn.ReLU(), nn.Flatten(), nn.Dropout(0.5, rng=seed),
                            nn.Linear(2 * 4 * 4, 3, rng=seed))
        x = np.random.default_rng(0).standard_normal((4, 1, 6, 6))
        ce = nn.CrossEntropyLoss()
        ce(net(x), np.array([0, 1, 2, 0]))
        net.backward(ce.backward())
        return [p.grad for p in net.parameters()]

    for a, b in zip(one_step(5), one_step(5)):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------
# Initialisation
# ---------------------------------------------------------------------------

def test_default_init_is_he_normal_with_zero_bias():
    conv = nn.Conv2d(64, 128, 3, dtype=np.float64, rng=0)
    fan_in = 64 * 3 * 3
    assert abs(conv.weight.data.std() / np.sqrt(2 / fan_in) - 1) < 0.02
    assert abs(conv.weight.data.mean()) < 0.01 * np.sqrt(2 / fan_in) * 3
    assert not conv.bias.data.any()
    fc = nn.Linear(500, 400, dtype=np.float64, rng=0)
    assert abs(fc.weight.data.std() / np.sqrt(2 / 500) - 1) < 0.02


@pytest.mark.parametrize("fn, expected_std", [
    (nn.init.kaiming_normal_, np.sqrt(2 / 300)),
    (nn.init.kaiming_uniform_, np.sqrt(2 / 300)),
    (nn.init.xavier_normal_, np.sqrt(2 / (300 + 400))),
    (nn.init.xavier_uniform_, np.sqrt(2 / (300 + 400))),
])
def test_init_variances(fn, expected_std):
    w = fn(np.empty((400, 300)), rng=0)
    assert abs(w.std() / expected_std - 1) < 0.01


def test_init_bounds_and_modes():
    w = nn.init.kaiming_uniform_(np.empty((50, 20, 3, 3)), mode="fan_out", rng=0)
    bound = np.sqrt(2) * np.sqrt(3 / (50 * 9))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    w = nn.init.xavier_uniform_(np.empty((30, 20)), gain=nn.init.calculate_gain("tanh"), rng=0)
    assert np.abs(w).max() <= 5 / 3 * np.sqrt(6 / 50)
    assert nn.init.calculate_fan_in_and_fan_out((16, 6, 5, 5)) == (150, 400)
    assert nn.init.he_normal_ is nn.init.kaiming_normal_ and nn.init.glorot_uniform_ is nn.init.xavier_uniform_
    with pytest.raises(ValueError, match="mode must be"):
        nn.init.kaiming_normal_(np.empty((2, 2)), mode="fan")
    with pytest.raises(TypeError, match="rng must be"):
        nn.init.kaiming_normal_(np.empty((2, 2)), rng="seed")


def test_init_works_on_parameters_in_place():
    conv = nn.Conv2d(2, 3, 3, rng=0)
    data = conv.weight.data
    assert nn.init.xavier_normal_(conv.weight, rng=1) is conv.weight
    assert conv.weight.data is data
    nn.init.ones_(conv.bias)
    assert (conv.bias.data == 1).all()


def test_deepcopy_and_pickle_keep_parameters_and_names():
    import copy
    import pickle

    net = lenet()
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert [n for n, _ in clone.named_parameters()] == [n for n, _ in net.named_parameters()]
        assert clone[0].weight.data is not net[0].weight.data
        np.testing.assert_array_equal(clone[0].weight.data, net[0].weight.data)
