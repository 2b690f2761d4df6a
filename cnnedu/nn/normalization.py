r"""Batch normalisation (used after every convolution in ResNet; it lets ResNet train with learning rate 0.1).

For each channel :math:`c`, over the :math:`m` values of the mini-batch in
that channel (all examples and, for maps, all positions):

.. math::

    \mu_c = \frac1m \sum_i x_i, \qquad \sigma_c^2 = \frac1m \sum_i (x_i - \mu_c)^2, \qquad
    \hat x_i = \frac{x_i - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}}, \qquad
    y_i = \gamma_c \hat x_i + \beta_c

with learnable scale :math:`\gamma` (``weight``) and shift :math:`\beta` (``bias``).

Backward in training mode: :math:`\mu` and :math:`\sigma^2` depend on every
:math:`x_i` of the channel, which adds two terms to the derivative.  With
:math:`\delta_i = \partial L/\partial y_i` and :math:`g_i = \gamma_c\delta_i`:

.. math::

    \frac{\partial L}{\partial \beta_c} = \sum_i \delta_i, \qquad
    \frac{\partial L}{\partial \gamma_c} = \sum_i \delta_i \hat x_i, \qquad
    \frac{\partial L}{\partial x_i} = \frac{1}{m\sqrt{\sigma_c^2+\epsilon}}
        \Big( m g_i - \sum_j g_j - \hat x_i \sum_j g_j \hat x_j \Big)

(the derivative is orthogonal to the constant and to :math:`\hat x`, because
shifting or scaling a channel's input does not change :math:`\hat x`).

Running statistics, PyTorch's rule with ``momentum`` :math:`\alpha`, updated at
each training-mode forward:

.. math::

    \hat\mu \leftarrow (1-\alpha)\hat\mu + \alpha\mu_c, \qquad
    \hat\sigma^2 \leftarrow (1-\alpha)\hat\sigma^2 + \alpha\frac{m}{m-1}\sigma_c^2

(the unbiased variance).  ``momentum=None`` gives the cumulative average,
:math:`\alpha = 1/t` at the :math:`t`-th batch.  In evaluation mode the layer
normalises with :math:`\hat\mu, \hat\sigma^2` instead, an affine map per channel
whose backward is :math:`\partial L/\partial x_i = \gamma_c \delta_i / \sqrt{\hat\sigma_c^2+\epsilon}`.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_bool, check_int, check_real
from ._utils import check_dtype
from .module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class _BatchNorm(Module):
    _ndims: tuple = (4,)
    _layout = "(N, C, H, W)"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *, dtype=np.float32):
        super().__init__()
        fn = type(self).__name__
        self.num_features = check_int(fn, "num_features", num_features, 1)
        self.eps = check_real(fn, "eps", eps, 0.0)
        if momentum is not None:
            momentum = check_real(fn, "momentum", momentum, 0.0)
            if momentum > 1:
                raise ValueError(f"{fn}: momentum must be in [0, 1] (or None), got {momentum}")
        self.momentum = momentum
        self.affine = check_bool(fn, "affine", affine)
        self.track_running_stats = check_bool(fn, "track_running_stats", track_running_stats)
        self.dtype = check_dtype(fn, dtype)
        c = self.num_features
        if self.affine:
            self.weight = Parameter(np.ones(c, dtype=self.dtype), "weight")
            self.bias = Parameter(np.zeros(c, dtype=self.dtype), "bias")
        else:
            self.weight = self.bias = None
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(c, dtype=self.dtype))
            self.register_buffer("running_var", np.ones(c, dtype=self.dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean[...] = 0
            self.running_var[...] = 1
            self.num_batches_tracked[...] = 0

    def describe(self) -> str:
        return f"{type(self).__name__}({self.num_features})"

    def extra_repr(self) -> str:
        s = (f"{self.num_features}, eps={self.eps:g}, momentum={self.momentum}, affine={self.affine}, "
             f"track_running_stats={self.track_running_stats}")
        if self.dtype != np.float32:
            s += f", dtype={self.dtype}"
        return s

    def _checked_input(self, x) -> np.ndarray:
        x = self._as_input(x, dtype=self.dtype)
        self._check_ndim(x, self._ndims, self._layout)
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{self.describe()} expects {self.num_features} channels (num_features), got {x.shape[1]} "
                f"(input shape {x.shape}): num_features must equal out_channels of the layer before"
            )
        return x

    def forward(self, x):
        x = self._checked_input(x)
        axes = (0, *range(2, x.ndim))
        bshape = (1, -1) + (1,) * (x.ndim - 2)          # broadcast a per-channel vector
        m = x.size // self.num_features                  # values per channel
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            if m < 2:
                raise ValueError(
                    f"{self.describe()} in training mode needs more than 1 value per channel to compute "
                    f"a variance, got input shape {x.shape}: use a larger batch, or call .eval()"
                )
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)                        # biased: divides by m
            if self.training and self.track_running_stats:
                self.num_batches_tracked += 1
                alpha = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
                self.running_mean *= 1 - alpha
                self.running_mean += alpha * mean
                self.running_var *= 1 - alpha
                self.running_var += alpha * var * (m / (m - 1))
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = (1.0 / np.sqrt(var + self.eps)).astype(x.dtype)
        x_hat = (x - mean.reshape(bshape)) * inv_std.reshape(bshape)
        y = x_hat * self.weight.data.reshape(bshape) + self.bias.data.reshape(bshape) if self.affine else x_hat
        self._cache = (x_hat, inv_std, use_batch, axes, bshape)
        return y

    def backward(self, dy):
        x_hat, inv_std, use_batch, axes, bshape = self._saved()
        dy = self._check_dy(dy, x_hat.shape, x_hat.dtype)
        if self.affine:
            self.bias.grad += dy.sum(axis=axes)
            self.weight.grad += (dy * x_hat).sum(axis=axes)
            g = dy * self.weight.data.reshape(bshape)
        else:
            g = dy
        if not use_batch:                                 # eval: a fixed affine map per channel
            return g * inv_std.reshape(bshape)
        m = x_hat.size // self.num_features
        sum_g = g.sum(axis=axes).reshape(bshape)
        sum_gx = (g * x_hat).sum(axis=axes).reshape(bshape)
        return (inv_std.reshape(bshape) / m) * (m * g - sum_g - x_hat * sum_gx)


class BatchNorm2d(_BatchNorm):
    r"""Batch normalisation of maps ``(N, C, H, W)``, statistics over N, H and W, as ``torch.nn.BatchNorm2d``.

    See the module docstring for the formulas of the forward and backward passes.

    Parameters
    ----------
    num_features : int
        :math:`C`, the number of channels.
    eps : float
        Added to the variance for numerical stability.
    momentum : float or None
        Weight :math:`\alpha` of the newest batch in the running statistics
        (``None``: cumulative average).
    affine : bool
        Learn :math:`\gamma` (``weight``, initially 1) and :math:`\beta` (``bias``, initially 0).
    track_running_stats : bool
        Keep ``running_mean``/``running_var`` (buffers in :meth:`state_dict`) and
        use them in evaluation mode; if false, always normalise with the batch's statistics.
    dtype : np.float32 or np.float64

    Examples
    --------
    >>> import numpy as np
    >>> bn = BatchNorm2d(3)
    >>> y = bn(np.random.default_rng(0).normal(5.0, 2.0, (8, 3, 4, 4)))
    >>> bool(abs(y.mean()) < 1e-5), bool(abs(y.std() - 1) < 1e-3)
    (True, True)
    >>> bn.running_mean.round(1)                    # moved 10% of the way towards ~5
    array([0.5, 0.5, 0.5], dtype=float32)
    """

    _ndims = (4,)
    _layout = "(N, C, H, W)"


class BatchNorm1d(_BatchNorm):
    r"""Batch normalisation of features ``(N, C)`` or sequences ``(N, C, L)``, as ``torch.nn.BatchNorm1d``.

    Statistics over N (and L).  Arguments as :class:`BatchNorm2d`.

    Examples
    --------
    >>> import numpy as np
    >>> BatchNorm1d(4)(np.arange(8.0).reshape(2, 4)).round(4)    # each column: (c, c+4) -> (-1, 1)
    array([[-1., -1., -1., -1.],
           [ 1.,  1.,  1.,  1.]], dtype=float32)
    """

    _ndims = (2, 3)
    _layout = "(N, C) or (N, C, L)"
