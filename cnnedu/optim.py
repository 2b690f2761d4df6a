r"""Optimisers (SGD with momentum, Adam) and the AlexNet learning-rate schedule, as ``torch.optim``.

The network's parameters are "trained through variants of gradient descent":
after ``backward`` has filled every :class:`~cnnedu.nn.Parameter`'s ``.grad``
with :math:`\nabla_\theta Loss`, ``optimizer.step()`` moves each parameter
downhill.  The update rules, names and defaults are PyTorch's, so a trajectory
computed here matches ``torch.optim`` step for step.

AlexNet's recipe from the lecture, in this library::

    optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    scheduler = optim.ReduceLROnPlateau(optimizer, mode="max", factor=0.1)
    for epoch in range(epochs):
        train_one_epoch(net, optimizer)
        scheduler.step(validation_accuracy(net))   # lr / 10 when accuracy plateaus

Every optimiser accepts either an iterable of parameters or a list of
*parameter groups*, dicts with a ``"params"`` entry and any hyperparameters
that differ from the defaults (``optimizer.param_groups``, as in PyTorch).
"""

from __future__ import annotations

import copy
import math
import numbers

import numpy as np

from ._checks import check_int, check_real
from .nn.module import Module, Parameter

__all__ = ["Optimizer", "SGD", "Adam", "ReduceLROnPlateau"]


class Optimizer:
    """Base class: holds the parameter groups and the per-parameter state.

    Subclasses define ``_defaults`` (hyperparameters), ``_check_group`` and ``step``.
    """

    def __init__(self, params, defaults: dict):
        fn = type(self).__name__
        if isinstance(params, (Parameter, np.ndarray)):
            raise TypeError(f"{fn}: params must be an iterable of Parameters, e.g. model.parameters(), "
                            f"got a single {type(params).__name__}")
        if isinstance(params, Module):
            raise TypeError(f"{fn}: params must be an iterable of Parameters: pass model.parameters(), "
                            f"not the model")
        params = list(params)
        if not params:
            raise ValueError(f"{fn}: got an empty parameter list")
        self.defaults = dict(defaults)
        self.param_groups: list[dict] = []
        self.state: dict = {}
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        """Add a dict ``{"params": [...], **hyperparameters}``; missing hyperparameters take the defaults."""
        fn = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{fn}: a parameter group must be a dict with a 'params' entry, got {group!r}")
        params = group["params"]
        params = [params] if isinstance(params, Parameter) else list(params)
        for p in params:
            if not isinstance(p, Parameter):
                raise TypeError(f"{fn}: params must be Parameters (e.g. model.parameters()), "
                                f"got {type(p).__name__}")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or any(id(p) in seen for p in params):
            raise ValueError(f"{fn}: a parameter appears more than once in the parameter groups")
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise ValueError(f"{fn}: unknown hyperparameters {sorted(unknown)} in a parameter group; "
                             f"known: {sorted(self.defaults)}")
        full = {**self.defaults, **group, "params": params}
        self._check_group(full)
        self.param_groups.append(full)

    def _check_group(self, group: dict) -> None:
        fn = type(self).__name__
        lr = check_real(fn, "lr", group["lr"])
        if lr <= 0:
            raise ValueError(f"{fn}: lr must be positive, got {lr}")
        group["lr"] = lr
        group["weight_decay"] = check_real(fn, "weight_decay", group["weight_decay"], 0.0)

    def zero_grad(self) -> None:
        """Reset the ``.grad`` of every parameter to zeros (gradients accumulate otherwise)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.zero_grad()

    def step(self) -> None:
        raise NotImplementedError

    def _grad(self, p: Parameter, group: dict) -> np.ndarray:
        """The gradient with PyTorch's (L2) weight decay: :math:`g + \\lambda\\theta`."""
        if p.grad.shape != p.data.shape:
            raise ValueError(f"{type(self).__name__}: parameter {p.name!r} has data of shape {p.data.shape} "
                             f"but grad of shape {p.grad.shape}")
        wd = group["weight_decay"]
        return p.grad + wd * p.data if wd else p.grad

    # -- saving and loading -------------------------------------------------

    def _params(self) -> list[Parameter]:
        return [p for g in self.param_groups for p in g["params"]]

    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``, as PyTorch.

        Parameters are referred to by their position across the groups; the
        arrays are copies.
        """
        index = {id(p): i for i, p in enumerate(self._params())}
        state = {index[id(p)]: copy.deepcopy(s) for p, s in self.state.items() if id(p) in index}
        groups = [{**{k: v for k, v in g.items() if k != "params"},
                   "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyperparameters and state saved by :meth:`state_dict` (same parameter layout)."""
        fn = f"{type(self).__name__}.load_state_dict"
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(g["params"]) != len(mine["params"]) for g, mine in zip(groups, self.param_groups)):
            raise ValueError(f"{fn}: the saved parameter groups do not match this optimiser's "
                             f"(number of groups or of parameters per group)")
        params = self._params()
        for g, mine in zip(groups, self.param_groups):
            for k, v in g.items():
                if k != "params":
                    mine[k] = v
        self.state = {}
        for i, s in state_dict["state"].items():
            p = params[int(i)]
            s = copy.deepcopy(s)
            for k, v in s.items():
                if isinstance(v, np.ndarray) and v.shape and v.shape != p.data.shape:
                    raise ValueError(f"{fn}: state {k!r} of parameter {i} has shape {v.shape}, "
                                     f"the parameter {p.data.shape}")
            self.state[p] = s

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        return "\n".join(lines) + "\n)"


class SGD(Optimizer):
    r"""Stochastic gradient descent with momentum, as ``torch.optim.SGD``.

    For each parameter :math:`\theta` with gradient :math:`g`:

    .. math::

        g &\leftarrow g + \lambda\theta                         && \text{(weight decay, the L2 penalty } \tfrac\lambda2\|\theta\|^2) \\
        v &\leftarrow \mu v + (1-\tau) g                       && \text{(momentum; } v = g \text{ at the first step)} \\
        d &= g + \mu v \ \text{(Nesterov)} \quad\text{or}\quad d = v \\
        \theta &\leftarrow \theta - \eta\, d

    With :math:`\mu = 0` this is plain gradient descent, :math:`\theta \leftarrow \theta - \eta g`.

    Parameters
    ----------
    params : iterable of Parameter, or of dict (parameter groups)
    lr : float, > 0
        Learning rate :math:`\eta`.
    momentum : float, >= 0
        :math:`\mu` (AlexNet and ResNet: 0.9).
    dampening : float, >= 0
        :math:`\tau`.
    weight_decay : float, >= 0
        :math:`\lambda` (AlexNet: 5e-4).
    nesterov : bool
        Nesterov momentum (needs ``momentum > 0`` and ``dampening = 0``).

    Examples
    --------
    >>> import numpy as np
    >>> from cnnedu.nn import Parameter
    >>> w = Parameter(np.array([1.0]))
    >>> opt = SGD([w], lr=0.1)
    >>> w.grad[:] = 2.0
    >>> opt.step(); w.data
    array([0.8])
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _check_group(self, group):
        super()._check_group(group)
        fn = type(self).__name__
        group["momentum"] = check_real(fn, "momentum", group["momentum"], 0.0)
        group["dampening"] = check_real(fn, "dampening", group["dampening"], 0.0)
        if not isinstance(group["nesterov"], (bool, np.bool_)):
            raise TypeError(f"{fn}: nesterov must be True or False, got {group['nesterov']!r}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"{fn}: Nesterov momentum requires momentum > 0 and dampening = 0, "
                             f"got momentum {group['momentum']} and dampening {group['dampening']}")

    def step(self) -> None:
        """Update every parameter once from its current ``.grad``."""
        for group in self.param_groups:
            lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
            for p in group["params"]:
                g = self._grad(p, group)
                if mu:
                    state = self.state.setdefault(p, {})
                    v = state.get("momentum_buffer")
                    if v is None:
                        v = state["momentum_buffer"] = np.array(g, dtype=p.data.dtype, copy=True)
                    else:
                        v *= mu
                        v += (1 - tau) * g
                    g = g + mu * v if group["nesterov"] else v
                p.data -= lr * g


class Adam(Optimizer):
    r"""Adam, as ``torch.optim.Adam`` (with PyTorch's L2 weight decay and bias correction).

    At step :math:`t`, for each parameter :math:`\theta` with gradient :math:`g`:

    .. math::

        g &\leftarrow g + \lambda\theta \\
        m &\leftarrow \beta_1 m + (1-\beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2 \\
        \theta &\leftarrow \theta - \frac{\eta}{1-\beta_1^t}\,
            \frac{m}{\sqrt{v}/\sqrt{1-\beta_2^t} + \epsilon}

    :math:`m` and :math:`v` start at zero, so early averages are biased towards
    zero; dividing by :math:`1-\beta^t` corrects that.  With ``amsgrad=True``,
    :math:`v` in the denominator is replaced by its running maximum.

    Parameters
    ----------
    params : iterable of Parameter, or of dict (parameter groups)
    lr : float, > 0
    betas : (float, float), each in [0, 1)
    eps : float, >= 0
    weight_decay : float, >= 0
    amsgrad : bool

    Examples
    --------
    >>> import numpy as np
    >>> from cnnedu.nn import Parameter
    >>> w = Parameter(np.array([1.0]))
    >>> opt = Adam([w], lr=0.1)
    >>> w.grad[:] = 5.0
    >>> opt.step(); w.data.round(6)                # the first step has size lr whatever the gradient
    array([0.9])
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad))

    def _check_group(self, group):
        super()._check_group(group)
        fn = type(self).__name__
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{fn}: betas must be a pair (beta1, beta2), got {betas!r}")
        betas = tuple(check_real(fn, "betas", b, 0.0) for b in betas)
        if any(b >= 1 for b in betas):
            raise ValueError(f"{fn}: betas must be in [0, 1), got {betas}")
        group["betas"] = betas
        group["eps"] = check_real(fn, "eps", group["eps"], 0.0)
        if not isinstance(group["amsgrad"], (bool, np.bool_)):
            raise TypeError(f"{fn}: amsgrad must be True or False, got {group['amsgrad']!r}")

    def step(self) -> None:
        """Update every parameter once from its current ``.grad``."""
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            for p in group["params"]:
                g = self._grad(p, group)
                state = self.state.setdefault(p, {})
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = np.zeros_like(p.data)
                    state["exp_avg_sq"] = np.zeros_like(p.data)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = np.zeros_like(p.data)
                state["step"] += 1
                t = state["step"]
                m, v = state["exp_avg"], state["exp_avg_sq"]
                step_size = lr / (1 - beta1 ** t)
                if g.dtype != p.data.dtype:   # e.g. float64 weight decay on float32 weights: numpy's casts
                    m *= beta1
                    m += (1 - beta1) * g
                    v *= beta2
                    v += (1 - beta2) * g * g
                    if group["amsgrad"]:
                        np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                        v = state["max_exp_avg_sq"]
                    denom = np.sqrt(v) / math.sqrt(1 - beta2 ** t) + eps
                    p.data -= step_size * (m / denom)
                    continue
                # The same operations in the same order, in place in one scratch array:
                # the numbers are identical, with one temporary instead of eight.
                tmp = np.multiply(g, 1 - beta1)
                m *= beta1
                m += tmp                                     # m = beta1 m + (1 - beta1) g
                np.multiply(g, 1 - beta2, out=tmp)
                tmp *= g
                v *= beta2
                v += tmp                                     # v = beta2 v + (1 - beta2) g^2
                if group["amsgrad"]:
                    np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                    v = state["max_exp_avg_sq"]
                np.sqrt(v, out=tmp)
                tmp /= math.sqrt(1 - beta2 ** t)
                tmp += eps                                   # denom
                np.divide(m, tmp, out=tmp)
                tmp *= step_size
                p.data -= tmp                                # theta -= step_size m / denom


class ReduceLROnPlateau:
    r"""Divide the learning rate when a validation metric stops improving.

    As ``torch.optim.lr_scheduler.ReduceLROnPlateau``.

    AlexNet's schedule: "learning rate 0.01, decreased by 10 every time validation
    accuracy plateaus" is ``ReduceLROnPlateau(optimizer, mode="max", factor=0.1)``.

    After each call of :meth:`step` with the epoch's metric: if the metric is not
    better than the best so far (by more than ``threshold``) for more than
    ``patience`` consecutive epochs, every group's learning rate becomes
    :math:`\max(\text{lr}\cdot\text{factor}, \text{min\_lr})`, and the count
    restarts after ``cooldown`` epochs.

    "Better" with ``threshold_mode="rel"``: :math:`a > \text{best}(1 + \text{threshold})`
    (mode ``"max"``) or :math:`a < \text{best}(1 - \text{threshold})` (mode ``"min"``);
    with ``"abs"``: :math:`a > \text{best} + \text{threshold}` or :math:`a < \text{best} - \text{threshold}`.

    Parameters
    ----------
    optimizer : Optimizer
    mode : {"min", "max"}
        ``"min"`` (PyTorch's default) for a loss, ``"max"`` for an accuracy.
    factor : float in (0, 1)
    patience : int, >= 0
        Epochs without improvement tolerated before reducing.
    threshold : float, >= 0
    threshold_mode : {"rel", "abs"}
    cooldown : int, >= 0
    min_lr : float or list of float, >= 0
    eps : float
        Reductions smaller than this are skipped.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnedu.nn import Parameter
    >>> opt = SGD([Parameter(np.zeros(1))], lr=0.01, momentum=0.9)
    >>> sched = ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=1)
    >>> for accuracy in [0.50, 0.60, 0.60, 0.60, 0.61]:
    ...     sched.step(accuracy)
    >>> sched.get_last_lr()
    [0.001]
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0, min_lr=0.0,
                 eps: float = 1e-8):
        fn = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{fn}: optimizer must be a cnnedu.optim Optimizer, got {type(optimizer).__name__}")
        if mode not in ("min", "max"):
            raise ValueError(f"{fn}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{fn}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        self.factor = check_real(fn, "factor", factor, 0.0)
        if not 0 < self.factor < 1:
            raise ValueError(f"{fn}: factor must be in (0, 1), got {self.factor}")
        self.optimizer = optimizer
        self.mode, self.threshold_mode = mode, threshold_mode
        self.patience = check_int(fn, "patience", patience, 0)
        self.threshold = check_real(fn, "threshold", threshold, 0.0)
        self.cooldown = check_int(fn, "cooldown", cooldown, 0)
        self.eps = check_real(fn, "eps", eps, 0.0)
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"{fn}: expected {n} values of min_lr (one per parameter group), got {len(min_lr)}")
            self.min_lrs = [check_real(fn, "min_lr", v, 0.0) for v in min_lr]
        else:
            self.min_lrs = [check_real(fn, "min_lr", min_lr, 0.0)] * n
        self.best = -math.inf if mode == "max" else math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [g["lr"] for g in optimizer.param_groups]

    def _is_better(self, a: float) -> bool:
        best, th = self.best, self.threshold
        if self.mode == "min":
            return a < (best * (1 - th) if self.threshold_mode == "rel" else best - th)
        return a > (best * (1 + th) if self.threshold_mode == "rel" else best + th)

    def step(self, metrics: float) -> None:
        """Record this epoch's validation metric and reduce the learning rate if it has plateaued."""
        fn = f"{type(self).__name__}.step"
        if isinstance(metrics, np.ndarray) and metrics.size == 1:
            metrics = metrics.item()
        if isinstance(metrics, (bool, np.bool_)) or not isinstance(metrics, numbers.Real):
            raise TypeError(f"{fn}: metrics must be a real number, got {metrics!r}")
        current = float(metrics)
        if math.isnan(current):
            raise ValueError(f"{fn}: metrics is NaN; the validation loss or accuracy could not be computed")
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                old = group["lr"]
                new = max(old * self.factor, min_lr)
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rate of each parameter group after the last :meth:`step`."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(copy.deepcopy(state_dict))
