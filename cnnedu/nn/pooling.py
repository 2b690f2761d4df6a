r"""Pooling layers: max, mean and p-norm pooling over each map separately.

A pooling layer has no parameters.  Forward it replaces each window by one
number; backward (the lecture's rules) it sends a window's derivative

* to the position of the window's maximum (max pooling),
* evenly to all positions of the window (mean pooling),
* to every position in proportion to
  :math:`\frac{1}{K}\operatorname{sign}(x)(|x|/y)^{p-1}` (p-norm pooling),

adding up where windows overlap.  The forward and backward passes are
:mod:`cnnedu.functional`'s; the stride defaults to the window size
(non-overlapping pools).
"""

from __future__ import annotations

from .. import functional as F
from .._checks import check_real, fmt_size
from ..functional import pooling as _pooling
from ._utils import padding_arg, window_args
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "LPPool1d", "LPPool2d"]

_LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)"}


class _Pool(Module):
    _nd = 2
    _forward = None
    _backward = None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        fn = type(self).__name__
        self.kernel_size, self.stride, _ = window_args(fn, self._nd, kernel_size, stride)
        self.padding = padding_arg(fn, padding, self._nd)

    def _args(self):
        return dict(kernel_size=self.kernel_size, stride=self.stride, padding=self.padding)

    @staticmethod
    def _unwrap(t):
        """Show ``(2, 2)`` as ``2``, as PyTorch shows what the user typed."""
        if isinstance(t, tuple) and len(set(t)) == 1:
            return t[0]
        return t

    def describe(self) -> str:
        s = f"{type(self).__name__}(kernel {fmt_size(self.kernel_size)}"
        if self.stride != self.kernel_size:
            s += f", stride {fmt_size(self.stride)}"
        return s + ")"

    def extra_repr(self) -> str:
        s = f"kernel_size={self._unwrap(self.kernel_size)}, stride={self._unwrap(self.stride)}"
        if self.padding != (0,) * self._nd:
            s += f", padding={self._unwrap(self.padding)!r}"
        return s

    def forward(self, x):
        x = self._as_input(x)
        self._check_ndim(x, self._nd + 2, _LAYOUT[self._nd])
        try:
            y = self._pool(x)
        except ValueError as exc:
            raise ValueError(f"{self.describe()} got input of shape {x.shape}: {exc}") from None
        return y

    def _pool(self, x):
        """Run the forward pass and cache what the backward pass needs (here: the input)."""
        y = type(self)._forward(x, **self._args())
        self._cache = (x, y.shape)
        return y

    def backward(self, dy):
        x, out_shape = self._saved()
        dy = self._check_dy(dy, out_shape, x.dtype)
        return type(self)._backward(dy, x, **self._args())


class _MaxPool(_Pool):
    """Max pooling keeps where each maximum is (the lecture's P), not the input.

    The forward pass finds the argmax of every window anyway; keeping it (int64,
    half the size of a float32 input for 2x2 windows) saves the backward pass from
    searching the windows again: it only adds each ``dy`` at its argmax.
    """

    def _pool(self, x):
        y, indices = type(self)._forward(x, **self._args(), return_indices=True)
        self._cache = (x.shape, y.dtype, indices)
        return y

    def backward(self, dy):
        in_shape, dtype, indices = self._saved()
        dy = self._check_dy(dy, indices.shape, dtype)
        return _pooling._max_pool_grad(dy, indices, in_shape, self._nd)


class _AvgPool(_Pool):
    """Mean pooling's derivative does not depend on the input's values: keep only its shape."""

    def _pool(self, x):
        y = type(self)._forward(x, **self._args())
        self._cache = (x.shape, y.shape, y.dtype)
        return y

    def backward(self, dy):
        in_shape, out_shape, dtype = self._saved()
        dy = self._check_dy(dy, out_shape, dtype)
        return _pooling._avg_pool_grad(f"{type(self).__name__}.backward", self._nd, dy, in_shape,
                                       **self._args())


class MaxPool2d(_MaxPool):
    r"""2-D max pooling, as ``torch.nn.MaxPool2d``.

    .. math:: y[n, c, p, q] = \max_{0 \le i < K_h,\ 0 \le j < K_w} x[n, c, pS_h - P_h + i, qS_w - P_w + j]

    Backward: :math:`\partial L/\partial x` is zero except at each window's
    argmax, which receives that window's :math:`\partial L/\partial y`.

    Parameters
    ----------
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.
    padding : int, (int, int), ((top, bottom), (left, right)), "valid" or "same"
        Padded positions count as :math:`-\infty`.

    Shapes
    ------
    ``(N, C, H, W) -> (N, C, H_out, W_out)``, ``H_out =``
    :func:`cnnedu.sizes.pool_output_size` ``(H, K_h, S_h, padding)``.

    Examples
    --------
    >>> x = [[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]]
    >>> MaxPool2d(2)(x)[0, 0]
    array([[6., 8.],
           [3., 4.]])
    """

    _forward = staticmethod(F.max_pool2d)
    _backward = staticmethod(F.max_pool2d_backward)


class AvgPool2d(_AvgPool):
    r"""2-D mean pooling, as ``torch.nn.AvgPool2d`` (padded zeros count in the mean).

    .. math:: y[n, c, p, q] = \frac{1}{K_hK_w}\sum_{i, j} x[n, c, pS_h - P_h + i, qS_w - P_w + j]

    Backward: each window's derivative is spread evenly, :math:`1/(K_hK_w)` to each position.

    Arguments and shapes as :class:`MaxPool2d`.

    Examples
    --------
    >>> x = [[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]]
    >>> AvgPool2d(2)(x)[0, 0]
    array([[3.25, 5.25],
           [2.  , 2.  ]])
    """

    _forward = staticmethod(F.avg_pool2d)
    _backward = staticmethod(F.avg_pool2d_backward)


class MaxPool1d(_MaxPool):
    r"""1-D max pooling: :math:`y[n, c, t] = \max_{0 \le i < K} x[n, c, tS - P + i]`; see :class:`MaxPool2d`."""

    _nd = 1
    _forward = staticmethod(F.max_pool1d)
    _backward = staticmethod(F.max_pool1d_backward)


class AvgPool1d(_AvgPool):
    r"""1-D mean pooling: :math:`y[n, c, t] = \frac1K \sum_i x[n, c, tS - P + i]`; see :class:`AvgPool2d`."""

    _nd = 1
    _forward = staticmethod(F.avg_pool1d)
    _backward = staticmethod(F.avg_pool1d_backward)


class _LPPool(_Pool):
    def __init__(self, norm_type: float, kernel_size, stride=None):
        super().__init__(kernel_size, stride, 0)
        self.norm_type = check_real(type(self).__name__, "norm_type", norm_type, 1.0)

    @property
    def p(self) -> float:
        """The lecture's name for ``norm_type``."""
        return self.norm_type

    def _args(self):
        return dict(p=self.norm_type, kernel_size=self.kernel_size, stride=self.stride)

    def describe(self) -> str:
        return super().describe()[:-1] + f", p={self.norm_type:g})"

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type:g}, kernel_size={self._unwrap(self.kernel_size)}, "
                f"stride={self._unwrap(self.stride)}")


class LPPool2d(_LPPool):
    r"""2-D p-norm pooling with the lecture's definition: the p-norm *mean* of each window.

    .. math:: y[n, c, u, v] = \left(\frac{1}{K_hK_w}\sum_{i, j} |x[n, c, uS_h + i, vS_w + j]|^p\right)^{1/p}

    :math:`p = 1` is mean pooling (of :math:`|x|`), :math:`p \to \infty` tends to
    max pooling.  Backward:

    .. math:: \frac{\partial y}{\partial x_{ij}} = \frac{1}{K_hK_w}\operatorname{sign}(x_{ij})\left(\frac{|x_{ij}|}{y}\right)^{p-1}

    Unlike ``torch.nn.LPPool2d``, which *sums* (its output is
    :math:`(K_hK_w)^{1/p}` times this one for :math:`x \ge 0`); see
    :func:`cnnedu.functional.lp_pool2d`.

    Parameters
    ----------
    norm_type : float, >= 1
        :math:`p` (PyTorch's name; also readable as ``.p``).
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.  No padding.

    Examples
    --------
    >>> x = [[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]]
    >>> LPPool2d(5, 2)(x)[0, 0].round(3)
    array([[4.865, 6.614],
           [2.384, 3.164]])
    """

    _forward = staticmethod(F.lp_pool2d)
    _backward = staticmethod(F.lp_pool2d_backward)


class LPPool1d(_LPPool):
    r"""1-D p-norm pooling, :math:`y[n, c, t] = (\frac1K\sum_i |x[n, c, tS + i]|^p)^{1/p}`; see :class:`LPPool2d`."""

    _nd = 1
    _forward = staticmethod(F.lp_pool1d)
    _backward = staticmethod(F.lp_pool1d_backward)

