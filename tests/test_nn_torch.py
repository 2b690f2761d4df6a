"""cnnedu.nn and cnnedu.optim against PyTorch, when it is installed.

Each layer gets PyTorch's weights through ``load_state_dict`` (so the state-dict
keys and layouts are checked too), then the forward output, the input gradient
and every parameter gradient must match in float64.  The optimisers must follow
``torch.optim``'s trajectories step for step.
"""

from collections import OrderedDict

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cnnedu import nn, optim  # noqa: E402



tnn = torch.nn
F64 = np.float64
TOL = dict(rtol=1e-9, atol=1e-11)


def t(a):
    return torch.tensor(np.asarray(a), dtype=torch.float64)


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def copy_from_torch(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def compare(ours, theirs, x, *, seed=1, tol=TOL, randomise=True):
    """Copy theirs' weights into ours, run both forward and backward, compare everything."""
    theirs = theirs.double()
    if randomise:                                   # non-trivial biases and BatchNorm scales (not 0 and 1)
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for m in theirs.modules():
                bn = isinstance(m, tnn.modules.batchnorm._BatchNorm)
                for name, p in m.named_parameters(recurse=False):
                    if bn or name == "bias":
                        p.copy_(torch.rand(p.shape, generator=gen, dtype=torch.float64) + 0.5)
    copy_from_torch(ours, theirs)
    theirs.zero_grad()
    xt = t(x).requires_grad_()
    yt = theirs(xt)
    y = ours(x)
    np.testing.assert_allclose(y, yt.detach().numpy(), **tol)
    dy = randn(*y.shape, seed=seed)
    yt.backward(t(dy))
    ours.zero_grad()
    dx = ours.backward(dy)
    np.testing.assert_allclose(dx, xt.grad.numpy(), **tol)
    mine = dict(ours.named_parameters())
    assert set(mine) == {n for n, _ in theirs.named_parameters()}
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(mine[name].grad, p.grad.numpy(), **tol, err_msg=name)
    for k, v in theirs.state_dict().items():        # running statistics after the forward
        np.testing.assert_allclose(ours.state_dict()[k], v.numpy(), **tol, err_msg=k)


# ---------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(3, 2), stride=(1, 2), padding=(2, 0), dilation=(1, 2)),
    dict(kernel_size=3, padding="same"),
    dict(kernel_size=4, padding="same"),            # even kernel: the odd zero goes after
    dict(kernel_size=3, groups=2, bias=False),
    dict(kernel_size=1, groups=4),
])
def test_conv2d(kwargs):
    compare(nn.Conv2d(4, 8, dtype=F64, **kwargs), tnn.Conv2d(4, 8, **kwargs), randn(2, 4, 9, 8))


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=2, dilation=2), dict(groups=3, padding="same")])
def test_conv1d(kwargs):
    compare(nn.Conv1d(3, 6, 3, dtype=F64, **kwargs), tnn.Conv1d(3, 6, 3, **kwargs), randn(2, 3, 12))


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(stride=2),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(3, 2), padding=(1, 0), output_padding=(2, 1)),
    dict(groups=2, dilation=2, bias=False),
    dict(stride=2, dilation=2, output_padding=1),
])
def test_conv_transpose2d(kwargs):
    compare(nn.ConvTranspose2d(4, 6, 3, dtype=F64, **kwargs), tnn.ConvTranspose2d(4, 6, 3, **kwargs),
            randn(2, 4, 4, 5))


def test_conv_transpose1d():
    compare(nn.ConvTranspose1d(2, 4, 3, stride=2, padding=1, output_padding=1, dtype=F64),
            tnn.ConvTranspose1d(2, 4, 3, stride=2, padding=1, output_padding=1), randn(2, 2, 6))


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2),
                                    dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(2, 3), stride=1)])
@pytest.mark.parametrize("ours, theirs", [(nn.MaxPool2d, tnn.MaxPool2d), (nn.AvgPool2d, tnn.AvgPool2d)])
def test_pool2d(ours, theirs, kwargs):
    x = np.random.default_rng(0).permutation(2 * 3 * 7 * 7).reshape(2, 3, 7, 7) / 7.0
    compare(ours(**kwargs), theirs(**kwargs), x)


@pytest.mark.parametrize("ours, theirs", [(nn.MaxPool1d, tnn.MaxPool1d), (nn.AvgPool1d, tnn.AvgPool1d)])
def test_pool1d(ours, theirs):
    x = np.random.default_rng(0).permutation(2 * 3 * 9).reshape(2, 3, 9) / 9.0
    compare(ours(3, stride=2, padding=1), theirs(3, stride=2, padding=1), x)


@pytest.mark.parametrize("p, k, s", [(2, 2, None), (3, 3, 2), (1.5, (2, 3), 1)])
def test_lp_pool2d_is_torch_scaled(p, k, s):
    # PyTorch sums where the lecture averages: torch = (K_h K_w)^(1/p) * ours, for x >= 0
    x = np.abs(randn(2, 3, 6, 6)) + 0.1
    ours = nn.LPPool2d(p, k, s)
    scale = np.prod(ours.kernel_size) ** (1 / p)
    xt = t(x).requires_grad_()
    yt = tnn.LPPool2d(p, k, s)(xt)
    y = ours(x)
    np.testing.assert_allclose(scale * y, yt.detach().numpy(), **TOL)
    dy = randn(*y.shape)
    yt.backward(t(dy))
    np.testing.assert_allclose(scale * ours.backward(dy), xt.grad.numpy(), **TOL)


def test_linear_flatten_activations():
    compare(nn.Linear(6, 4, dtype=F64), tnn.Linear(6, 4), randn(5, 6))
    compare(nn.Linear(6, 4, bias=False, dtype=F64), tnn.Linear(6, 4, bias=False), randn(5, 6))
    for ours, theirs in [(nn.Flatten(), tnn.Flatten()), (nn.ReLU(), tnn.ReLU()), (nn.Sigmoid(), tnn.Sigmoid()),
                         (nn.Tanh(), tnn.Tanh()), (nn.Identity(), tnn.Identity())]:
        compare(ours, theirs, randn(3, 2, 4, 4) * 3)


@pytest.mark.parametrize("kwargs", [dict(), dict(momentum=None), dict(momentum=0.3, eps=1e-3),
                                    dict(affine=False), dict(track_running_stats=False)])
def test_batchnorm2d_train_then_eval(kwargs):
    ours, theirs = nn.BatchNorm2d(3, dtype=F64, **kwargs), tnn.BatchNorm2d(3, **kwargs)
    for step in range(3):                            # running statistics after several batches
        compare(ours, theirs, randn(4, 3, 3, 2, seed=step) * 2 + step, seed=step + 10)
    ours.eval(), theirs.eval()
    compare(ours, theirs, randn(2, 3, 3, 2, seed=5), seed=20)


@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 5)])
def test_batchnorm1d(shape):
    ours, theirs = nn.BatchNorm1d(4, dtype=F64), tnn.BatchNorm1d(4)
    compare(ours, theirs, randn(*shape) + 1)
    ours.eval(), theirs.eval()
    compare(ours, theirs, randn(*shape, seed=3))


def test_dropout_eval_and_p0_are_identity_like_torch():
    x = randn(4, 5)
    compare(nn.Dropout(0.5).eval(), tnn.Dropout(0.5).eval(), x)
    compare(nn.Dropout(0.0), tnn.Dropout(0.0), x)


def test_depthwise_separable():
    theirs = tnn.Sequential(OrderedDict(depthwise=tnn.Conv2d(4, 4, 3, stride=2, padding=1, groups=4),
                                        pointwise=tnn.Conv2d(4, 6, 1)))
    compare(nn.DepthwiseSeparableConv2d(4, 6, 3, stride=2, padding=1, dtype=F64), theirs, randn(2, 4, 7, 7))


class TorchBasicBlock(tnn.Module):
    """torchvision's BasicBlock, written out (torchvision may not be installed)."""

    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = tnn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(c_out)
        self.conv2 = tnn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(c_out)
        self.downsample = None
        if stride != 1 or c_in != c_out:
            self.downsample = tnn.Sequential(tnn.Conv2d(c_in, c_out, 1, stride, bias=False), tnn.BatchNorm2d(c_out))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + (x if self.downsample is None else self.downsample(x)))


@pytest.mark.parametrize("c_in, c_out, stride", [(3, 3, 1), (3, 5, 2)])
def test_basic_block(c_in, c_out, stride):
    ours, theirs = nn.BasicBlock(c_in, c_out, stride, dtype=F64), TorchBasicBlock(c_in, c_out, stride)
    compare(ours, theirs, randn(2, c_in, 6, 6))
    ours.eval(), theirs.eval()
    compare(ours, theirs, randn(2, c_in, 6, 6, seed=4))


def torch_lenet():
    return tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(6, 16, 5), tnn.BatchNorm2d(16), tnn.ReLU(), tnn.AvgPool2d(2),
        tnn.Flatten(), tnn.Linear(400, 120), tnn.Tanh(), tnn.Linear(120, 10))


def our_lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2, dtype=F64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5, dtype=F64), nn.BatchNorm2d(16, dtype=F64), nn.ReLU(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(400, 120, dtype=F64), nn.Tanh(), nn.Linear(120, 10, dtype=F64))


def test_whole_lenet():
    compare(our_lenet(), torch_lenet(), randn(3, 1, 28, 28), randomise=False)


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy(reduction):
    logits, labels = randn(7, 5) * 4, np.array([0, 4, 1, 1, 3, 2, 0])
    zt = t(logits).requires_grad_()
    lt = tnn.CrossEntropyLoss(reduction=reduction)(zt, torch.tensor(labels))
    lt.backward()
    ce = nn.CrossEntropyLoss(reduction=reduction)
    assert ce(logits, labels) == pytest.approx(lt.item(), rel=1e-12)
    np.testing.assert_allclose(ce.backward(), zt.grad.numpy(), **TOL)


def test_mse_and_class_box_loss():
    y, d = randn(4, 8), randn(4, 8, seed=1)
    yt = t(y).requires_grad_()
    lt = tnn.MSELoss()(yt, t(d))
    lt.backward()
    mse = nn.MSELoss()
    assert mse(y, d) == pytest.approx(lt.item(), rel=1e-12)
    np.testing.assert_allclose(mse.backward(), yt.grad.numpy(), **TOL)

    logits, labels = randn(4, 3, seed=2), np.array([1, 0, 2, 2])
    zt, bt = t(logits).requires_grad_(), t(y).requires_grad_()
    total_t = tnn.CrossEntropyLoss()(zt, torch.tensor(labels)) + 0.3 * tnn.MSELoss()(bt, t(d))
    total_t.backward()
    loss = nn.ClassBoxLoss(box_weight=0.3)
    assert loss(logits, labels, y, d) == pytest.approx(total_t.item(), rel=1e-12)
    dz, db = loss.backward()
    np.testing.assert_allclose(dz, zt.grad.numpy(), **TOL)
    np.testing.assert_allclose(db, bt.grad.numpy(), **TOL)


# ---------------------------------------------------------------------------
# Optimisers: whole training trajectories
# ---------------------------------------------------------------------------

def small_nets():
    theirs = tnn.Sequential(tnn.Conv2d(1, 3, 3), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
                            tnn.Linear(3 * 3 * 3, 4)).double()
    ours = nn.Sequential(nn.Conv2d(1, 3, 3, dtype=F64), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(3 * 3 * 3, 4, dtype=F64))
    copy_from_torch(ours, theirs)
    return ours, theirs


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=5e-4)),            # AlexNet
    ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=1e-2, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.5, dampening=0.3)),
    ("Adam", dict(lr=1e-2)),
    ("Adam", dict(lr=1e-2, betas=(0.8, 0.95), eps=1e-6, weight_decay=1e-2)),
    ("Adam", dict(lr=1e-2, amsgrad=True)),
])
def test_optimizer_trajectories_match_torch(name, kwargs):
    ours, theirs = small_nets()
    opt = getattr(optim, name)(ours.parameters(), **kwargs)
    opt_t = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    ce, ce_t = nn.CrossEntropyLoss(), tnn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    for step in range(6):
        x, labels = rng.standard_normal((5, 1, 8, 8)), rng.integers(0, 4, 5)
        opt.zero_grad()
        loss = ce(ours(x), labels)
        ours.backward(ce.backward())
        opt.step()
        opt_t.zero_grad()
        loss_t = ce_t(theirs(t(x)), torch.tensor(labels))
        loss_t.backward()
        opt_t.step()
        assert loss == pytest.approx(loss_t.item(), rel=1e-9, abs=1e-12)
    for n, p in theirs.named_parameters():
        np.testing.assert_allclose(dict(ours.named_parameters())[n].data, p.detach().numpy(), rtol=1e-6, atol=1e-9,
                                   err_msg=n)


@pytest.mark.parametrize("kwargs", [
    dict(mode="max", factor=0.1, patience=1),
    dict(mode="min", patience=2, cooldown=1, min_lr=1e-4),
    dict(mode="max", patience=0, threshold=0.01, threshold_mode="abs"),
    dict(mode="min", factor=0.5, patience=1, threshold=0.05),
])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    metrics = [0.5, 0.6, 0.6, 0.59, 0.61, 0.605, 0.7, 0.7, 0.7, 0.69, 0.71, 0.71, 0.3, 0.3, 0.3, 0.3]
    p, pt = nn.Parameter(np.zeros(1)), tnn.Parameter(torch.zeros(1))
    opt, opt_t = optim.SGD([p], lr=0.01, momentum=0.9), torch.optim.SGD([pt], lr=0.01, momentum=0.9)
    sched = optim.ReduceLROnPlateau(opt, **kwargs)
    sched_t = torch.optim.lr_scheduler.ReduceLROnPlateau(opt_t, **kwargs)
    for m in metrics:
        sched.step(m)
        sched_t.step(m)
        assert sched.get_last_lr() == pytest.approx(sched_t.get_last_lr(), rel=1e-12)
