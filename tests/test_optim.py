"""Optimisers and the learning-rate schedule, against the update rules written out by hand.

The comparison with ``torch.optim`` trajectories is in ``test_nn_torch.py``.
"""

import re

import numpy as np
import pytest

from cnnedu import nn, optim


def param(values, grad=None):
    p = nn.Parameter(np.array(values, dtype=np.float64))
    if grad is not None:
        p.grad[...] = grad
    return p


GRADS = [np.array([1.0, -2.0]), np.array([0.5, 0.5]), np.array([-1.0, 3.0])]


def run(opt_factory, grads=GRADS, start=(1.0, 2.0)):
    p = param(start)
    opt = opt_factory([p])
    out = []
    for g in grads:
        opt.zero_grad()
        p.grad += g
        opt.step()
        out.append(p.data.copy())
    return out


# ---------------------------------------------------------------------------
# SGD
# ---------------------------------------------------------------------------

def test_sgd_plain():
    traj = run(lambda ps: optim.SGD(ps, lr=0.1))
    np.testing.assert_allclose(traj[-1], np.array([1.0, 2.0]) - 0.1 * sum(GRADS))


def test_sgd_momentum_by_hand():
    lr, mu = 0.1, 0.9
    p, v = np.array([1.0, 2.0]), None
    expected = []
    for g in GRADS:
        v = g.copy() if v is None else mu * v + g                 # v = g at the first step
        p = p - lr * v
        expected.append(p)
    np.testing.assert_allclose(run(lambda ps: optim.SGD(ps, lr=lr, momentum=mu)), expected)


def test_sgd_nesterov_weight_decay_dampening_by_hand():
    lr, mu, wd, tau = 0.05, 0.8, 0.01, 0.0
    p, v = np.array([1.0, 2.0]), None
    expected = []
    for g in GRADS:
        g = g + wd * p
        v = g.copy() if v is None else mu * v + (1 - tau) * g
        p = p - lr * (g + mu * v)
        expected.append(p)
    np.testing.assert_allclose(
        run(lambda ps: optim.SGD(ps, lr=lr, momentum=mu, weight_decay=wd, nesterov=True)), expected)

    tau = 0.3
    p, v, expected = np.array([1.0, 2.0]), None, []
    for g in GRADS:
        v = g.copy() if v is None else mu * v + (1 - tau) * g
        p = p - lr * v
        expected.append(p)
    np.testing.assert_allclose(run(lambda ps: optim.SGD(ps, lr=lr, momentum=mu, dampening=tau)), expected)


# ---------------------------------------------------------------------------
# Adam
# ---------------------------------------------------------------------------

def test_adam_by_hand():
    lr, b1, b2, eps, wd = 0.01, 0.8, 0.9, 1e-6, 0.1
    p, m, v = np.array([1.0, 2.0]), np.zeros(2), np.zeros(2)
    expected = []
    for t, g in enumerate(GRADS, start=1):
        g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        expected.append(p)
    traj = run(lambda ps: optim.Adam(ps, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd))
    np.testing.assert_allclose(traj, expected, rtol=1e-12)


def test_adam_first_step_has_size_lr():
    traj = run(lambda ps: optim.Adam(ps, lr=0.1, eps=0.0), grads=[np.array([1e-3, -50.0])])
    np.testing.assert_allclose(traj[0], [0.9, 2.1])


def test_adam_amsgrad_uses_running_maximum():
    grads = [np.array([10.0, 0.0]), np.array([0.1, 0.0])]
    plain = run(lambda ps: optim.Adam(ps, lr=0.1), grads)
    ams = run(lambda ps: optim.Adam(ps, lr=0.1, amsgrad=True), grads)
    np.testing.assert_array_equal(plain[0], ams[0])
    assert abs(ams[1][0] - ams[0][0]) < abs(plain[1][0] - plain[0][0])


def test_optimisers_minimise_a_quadratic():
    for make in (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: optim.Adam(ps, lr=0.1)):
        p = param([3.0, -4.0])
        opt = make([p])
        for _ in range(300):
            opt.zero_grad()
            p.grad += 2 * p.data                                  # d/dp |p|^2
            opt.step()
        assert np.abs(p.data).max() < 1e-3


def test_float32_parameters_stay_float32():
    p = nn.Parameter(np.ones(3, dtype=np.float32))
    for opt in (optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1), optim.Adam([p])):
        p.grad[:] = 1
        opt.step()
        opt.step()
        assert p.dtype == np.float32


# ---------------------------------------------------------------------------
# Parameter groups, zero_grad, state_dict
# ---------------------------------------------------------------------------

def test_parameter_groups_and_zero_grad():
    a, b = param([1.0], grad=[1.0]), param([1.0], grad=[1.0])
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    opt.step()
    assert a.data[0] == pytest.approx(0.9) and b.data[0] == pytest.approx(0.5)
    opt.zero_grad()
    assert a.grad[0] == 0 and b.grad[0] == 0
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]


def test_model_parameters_can_be_passed_directly():
    net = nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(3, 1, rng=0))
    opt = optim.Adam(net.parameters(), lr=0.01)
    assert sum(len(g["params"]) for g in opt.param_groups) == 4


def test_state_dict_resume_gives_the_same_trajectory():
    def make(ps):
        return optim.Adam(ps, lr=0.05, weight_decay=0.01)

    full = run(make)
    p = param([1.0, 2.0])
    opt = make([p])
    p.grad[:] = GRADS[0]
    opt.step()
    saved_p, saved = p.data.copy(), opt.state_dict()
    assert saved["param_groups"][0]["params"] == [0] and saved["state"][0]["step"] == 1

    q = param(saved_p)
    opt2 = make([q])
    opt2.load_state_dict(saved)
    for g in GRADS[1:]:
        opt2.zero_grad()
        q.grad += g
        opt2.step()
    np.testing.assert_allclose(q.data, full[-1], rtol=1e-14)
    saved["state"][0]["exp_avg"][:] = 99                      # a copy: the optimiser is unaffected
    assert not (opt.state[p]["exp_avg"] == 99).any()


def test_sgd_state_dict_has_momentum_buffers():
    p = param([1.0, 2.0], grad=[1.0, 1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    sd = opt.state_dict()
    np.testing.assert_array_equal(sd["state"][0]["momentum_buffer"], [1.0, 1.0])
    assert sd["param_groups"][0]["momentum"] == 0.9


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("make, exc, message", [
    (lambda p: optim.SGD([p], lr=0), ValueError, "SGD: lr must be positive, got 0.0"),
    (lambda p: optim.SGD([p], lr=-0.1), ValueError, "SGD: lr must be positive"),
    (lambda p: optim.SGD([p], lr=float("nan")), ValueError, "SGD: lr must be finite"),
    (lambda p: optim.SGD([p], lr="0.1"), TypeError, "SGD: lr must be a real number"),
    (lambda p: optim.SGD([p], lr=0.1, momentum=-0.9), ValueError, "SGD: momentum must be >= 0.0"),
    (lambda p: optim.SGD([p], lr=0.1, weight_decay=-1), ValueError, "SGD: weight_decay must be >= 0.0"),
    (lambda p: optim.SGD([p], lr=0.1, nesterov=True), ValueError, "Nesterov momentum requires momentum > 0"),
    (lambda p: optim.Adam([p], lr=0), ValueError, "Adam: lr must be positive"),
    (lambda p: optim.Adam([p], betas=(0.9, 1.0)), ValueError, "Adam: betas must be in [0, 1)"),
    (lambda p: optim.Adam([p], betas=0.9), ValueError, "Adam: betas must be a pair"),
    (lambda p: optim.Adam([p], eps=-1e-8), ValueError, "Adam: eps must be >= 0.0"),
    (lambda p: optim.SGD([], lr=0.1), ValueError, "SGD: got an empty parameter list"),
    (lambda p: optim.SGD(p, lr=0.1), TypeError, "got a single Parameter"),
    (lambda p: optim.SGD(nn.Linear(2, 2), lr=0.1), TypeError, "pass model.parameters()"),
    (lambda p: optim.SGD([p.data], lr=0.1), TypeError, "params must be Parameters"),
    (lambda p: optim.SGD([p, p], lr=0.1), ValueError, "appears more than once"),
    (lambda p: optim.SGD([{"params": [p], "beta": 1}], lr=0.1), ValueError, "unknown hyperparameters ['beta']"),
])
def test_bad_arguments(make, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        make(param([1.0]))


# ---------------------------------------------------------------------------
# ReduceLROnPlateau
# ---------------------------------------------------------------------------

def lrs_for(metrics, **kwargs):
    opt = optim.SGD([param([0.0])], lr=0.01, momentum=0.9)
    sched = optim.ReduceLROnPlateau(opt, **kwargs)
    out = []
    for m in metrics:
        sched.step(m)
        out.append(sched.get_last_lr()[0])
    return out


def test_alexnet_recipe_divides_lr_by_ten_on_accuracy_plateau():
    acc = [0.40, 0.50, 0.55, 0.55, 0.55, 0.60, 0.60, 0.60]
    lrs = lrs_for(acc, mode="max", factor=0.1, patience=1)
    np.testing.assert_allclose(lrs, [0.01, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001, 0.0001])


def test_plateau_min_mode_patience_cooldown_min_lr():
    loss = [1.0, 0.9, 0.95, 0.96, 0.97, 0.98, 0.99, 1.0, 1.0, 1.0]
    assert lrs_for(loss, patience=2) == pytest.approx([0.01] * 4 + [0.001] * 3 + [0.0001] * 3)
    assert lrs_for(loss, patience=0, cooldown=2) == pytest.approx(
        [0.01, 0.01, 0.001, 0.001, 0.001, 0.0001, 0.0001, 0.0001, 1e-5, 1e-5])
    assert lrs_for(loss, patience=0, min_lr=0.0005)[-1] == pytest.approx(0.0005)


def test_plateau_threshold_modes():
    acc = [0.5, 0.5004, 0.5008]                                   # tiny improvements
    assert lrs_for(acc, mode="max", patience=0, threshold=1e-3, threshold_mode="abs")[-1] == pytest.approx(1e-4)
    assert lrs_for(acc, mode="max", patience=0, threshold=1e-4, threshold_mode="rel")[-1] == pytest.approx(0.01)


def test_plateau_validation_and_state():
    opt = optim.SGD([param([0.0])], lr=0.01)
    with pytest.raises(ValueError, match=re.escape("factor must be in (0, 1), got 1.0")):
        optim.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        optim.ReduceLROnPlateau(opt, mode="maximum")
    with pytest.raises(TypeError, match="optimizer must be a cnnedu.optim Optimizer"):
        optim.ReduceLROnPlateau("sgd")
    sched = optim.ReduceLROnPlateau(opt, mode="max", patience=0)
    with pytest.raises(ValueError, match="metrics is NaN"):
        sched.step(float("nan"))
    sched.step(np.float64(0.5))
    sched.step(np.array(0.4))
    state = sched.state_dict()
    assert state["best"] == 0.5 and "optimizer" not in state
    other = optim.ReduceLROnPlateau(opt, mode="max", patience=0)
    other.load_state_dict(state)
    assert other.best == 0.5 and other.last_epoch == 2
