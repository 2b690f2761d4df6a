r"""Transform-invariant convolution: every filter is also scanned in rotated and mirrored copies.

A convolutional layer is the lecture's inner product of the input with a shifted
filter, :math:`z(s, i, j) = \mathbf Y \cdot \mathrm{shift}(\mathbf w(s), i, j)`:
it finds the pattern :math:`\mathbf w(s)` wherever it is (shift invariance).  To
find it in other poses too, scan a discrete set of transformed copies of each
filter,

.. math::

    z_{T_t}(s, i, j) = \mathbf Y \cdot \mathrm{shift}(T_t(\mathbf w(s)), i, j), \qquad t = 1, \dots, T,

and combine the :math:`T` maps of each filter like a C-cell, by a maximum
over the transforms: :math:`z(s, i, j) = \max_t z_{T_t}(s, i, j) + b(s)`.  The
copies share one set of weights, so the layer has the parameters of an ordinary
convolution and :math:`T` times its multiply-accumulates.

The transforms as matrices
--------------------------
Each :math:`T_t` is linear in the :math:`K_h K_w` taps of a filter (the same
for every input channel): :math:`\operatorname{vec} T_t(\mathbf w) = M_t
\operatorname{vec}\mathbf w` (:func:`transform_matrix`).

* For the eight rotations by multiples of 90° and mirrors of a square grid
  (:data:`DIHEDRAL_TRANSFORMS`), :math:`M_t` is a permutation matrix: every tap
  of the copy *is* one tap of the filter (:func:`tap_permutation`), the lecture's
  "point correspondences".
* A rotation by any other angle (``"rot45"``, ``"rot30"``, ...) moves taps off
  the grid: the copy is read from the filter by bilinear interpolation
  (:func:`cnnedu.data.augment.rotate`), and taps that rotate outside the
  :math:`K \times K` square are lost.  :math:`M_t` is then a matrix of
  interpolation weights, not a permutation.

Backward
--------
With :math:`\delta = \partial L/\partial z`, the derivative reaches the map
of the transform that won the maximum at each position (ties: the first
transform), as in max pooling; there :math:`\delta_t = \delta\,[t = t^*]`.
Each copy :math:`\mathbf W_t = T_t(\mathbf w)` then gets the ordinary filter
gradient :math:`\partial L/\partial \mathbf W_t` (:func:`cnnedu.functional.conv2d_backward`),
and the shared filter collects them back through the transforms:

.. math::

    \frac{\partial L}{\partial \operatorname{vec}\mathbf w}
        = \sum_{t=1}^{T} M_t^{\top}\, \frac{\partial L}{\partial \operatorname{vec}\mathbf W_t},
    \qquad
    \frac{\partial L}{\partial x} = \sum_t \text{(input gradient of copy } t),
    \qquad
    \frac{\partial L}{\partial b(s)} = \sum_{n, i, j} \delta(n, s, i, j).

For a permutation, :math:`M_t^\top` puts each tap's derivative back on the tap
of :math:`\mathbf w` it was copied from.  The implementation stacks the
:math:`T` copies of the :math:`C_{out}` filters as :math:`C_{out}T` output
channels of a single :func:`~cnnedu.functional.conv2d`.

Invariance, exactly
-------------------
:func:`~cnnedu.functional.conv2d` is a cross-correlation, for which rotating
both the input and the filter by 90° rotates the output map.  So if the set of
transforms is closed under composition with a 90° rotation :math:`R` (as
``"rotations"`` and ``"dihedral"`` are), :math:`z_{R T}(R\,x) = R\,z_T(x)`: the
maps of a rotated input are the rotated maps of the input, taken in another
order, and their maximum is simply rotated, :math:`z(R\,x) = R\,z(x)`
(equivariance).  A global maximum or mean over positions is then unchanged
(invariance).  This holds when the layer treats the four sides of the map
alike: stride 1 (or a stride that tiles the padded input exactly), the same
padding on all four sides, and a square kernel.
"""

from __future__ import annotations

import re

import numpy as np

from .. import functional as F
from .._checks import as_numeric, fmt_size, int_tuple
from ._utils import window_args
from .conv import _ConvBase

__all__ = ["TransformInvariantConv2d", "DIHEDRAL_TRANSFORMS", "TRANSFORM_PRESETS", "transform_matrix",
           "transform_kernel", "tap_permutation"]

#: The eight symmetries of a square: rotations by 0, 90, 180, 270 degrees
#: (counter-clockwise as displayed, like :func:`numpy.rot90` and
#: :func:`cnnedu.data.augment.rotate`) and the four mirrors.
DIHEDRAL_TRANSFORMS: tuple[str, ...] = ("identity", "rot90", "rot180", "rot270",
                                        "flip", "flip_ud", "transpose", "antitranspose")

#: Named sets of transforms accepted for ``transforms=``.
TRANSFORM_PRESETS: dict[str, tuple[str, ...]] = {
    "rotations": ("identity", "rot90", "rot180", "rot270"),
    "flips": ("identity", "flip"),
    "dihedral": DIHEDRAL_TRANSFORMS,
}

# Each exact transform on the last two axes (rows, columns).  "flip" mirrors left-right like
# cnnedu.data.augment.flip; "transpose" mirrors about the main diagonal (= rot90 after flip).
_EXACT = {
    "identity": lambda a: a,
    "rot90": lambda a: np.rot90(a, 1, axes=(-2, -1)),
    "rot180": lambda a: np.rot90(a, 2, axes=(-2, -1)),
    "rot270": lambda a: np.rot90(a, 3, axes=(-2, -1)),
    "flip": lambda a: a[..., ::-1],
    "flip_ud": lambda a: a[..., ::-1, :],
    "transpose": lambda a: np.swapaxes(a, -1, -2),
    "antitranspose": lambda a: np.swapaxes(a, -1, -2)[..., ::-1, ::-1],
}
#: Transforms that exchange rows and columns: they need a square kernel (and dilation).
_SWAPS_AXES = {"rot90", "rot270", "transpose", "antitranspose"}
_ROT = re.compile(r"rot(-?\d+(?:\.\d+)?)")


def _parse_transform(fn: str, name) -> str:
    """A transform name, canonical: 'rot0' -> 'identity', 'rot-90' -> 'rot270', 'rot45.0' -> 'rot45'."""
    if not isinstance(name, str):
        raise TypeError(f"{fn}: a transform must be a string such as 'rot90', 'flip' or 'rot45', "
                        f"got {name!r} ({type(name).__name__})")
    if name in _EXACT:
        return name
    m = _ROT.fullmatch(name)
    if m is None:
        raise ValueError(f"{fn}: unknown transform {name!r}; use one of {', '.join(DIHEDRAL_TRANSFORMS)} "
                         f"or 'rot<degrees>' (e.g. 'rot45')")
    angle = float(m.group(1)) % 360.0
    if angle % 90.0 == 0.0:
        return ("identity", "rot90", "rot180", "rot270")[int(angle // 90)]
    return f"rot{angle:g}"


def _check_transforms(fn: str, transforms) -> tuple[str, ...]:
    """A preset name or a sequence of transform names -> a tuple of distinct canonical names."""
    if isinstance(transforms, str):
        if transforms not in TRANSFORM_PRESETS:
            raise ValueError(f"{fn}: transforms must be one of {sorted(TRANSFORM_PRESETS)} or a sequence "
                             f"of transform names, got {transforms!r}")
        return TRANSFORM_PRESETS[transforms]
    if not isinstance(transforms, (tuple, list)):
        raise TypeError(f"{fn}: transforms must be a preset name ({', '.join(sorted(TRANSFORM_PRESETS))}) "
                        f"or a sequence of transform names, got {transforms!r}")
    if len(transforms) == 0:
        raise ValueError(f"{fn}: transforms must name at least one transform, got {transforms!r}")
    names = tuple(_parse_transform(fn, t) for t in transforms)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"{fn}: transforms must be distinct, got {transforms!r} "
                         f"({', '.join(repeated)} more than once)")
    return names


def _needs_square(name: str) -> bool:
    return name in _SWAPS_AXES or name.startswith("rot") and name not in _EXACT


def _check_square(fn: str, names, kernel_size, dilation=(1, 1)) -> None:
    odd = [n for n in names if _needs_square(n)]
    if odd and (kernel_size[0] != kernel_size[1] or dilation[0] != dilation[1]):
        raise ValueError(
            f"{fn}: transform(s) {', '.join(odd)} turn rows into columns, so they need a square kernel "
            f"(and equal dilations), got kernel_size {kernel_size} and dilation {dilation}")


def transform_matrix(kernel_size, transform: str) -> np.ndarray:
    r"""The matrix :math:`M` with :math:`\operatorname{vec} T(\mathbf w) = M \operatorname{vec} \mathbf w`.

    ``vec`` reads a :math:`K_h \times K_w` filter row by row.  For the transforms of
    :data:`DIHEDRAL_TRANSFORMS` :math:`M` is a permutation matrix (one 1 in every
    row and column); for ``"rot<degrees>"`` at another angle its rows hold the
    bilinear interpolation weights of :func:`cnnedu.data.augment.rotate`, and the
    columns of taps that rotate off the square sum to less than 1.

    Parameters
    ----------
    kernel_size : int or (int, int)
    transform : str
        A name of :data:`DIHEDRAL_TRANSFORMS` or ``"rot<degrees>"`` (counter-clockwise).

    Returns
    -------
    numpy.ndarray
        float64, shape ``(K_h K_w, K_h K_w)``.

    Examples
    --------
    >>> transform_matrix(2, "rot90").astype(int)      # taps (0,0) (0,1) (1,0) (1,1)
    array([[0, 1, 0, 0],
           [0, 0, 0, 1],
           [1, 0, 0, 0],
           [0, 0, 1, 0]])
    >>> m = transform_matrix(3, "rot45")
    >>> bool(m.sum() < 9), float(m[4, 4])             # the corners fall off; the centre stays
    (True, 1.0)
    """
    fn = "transform_matrix"
    k = int_tuple(fn, "kernel_size", kernel_size, 2, 1)
    name = _parse_transform(fn, transform)
    _check_square(fn, [name], k)
    size = k[0] * k[1]
    basis = np.eye(size).reshape(size, *k)        # basis[j] is the filter with tap j = 1
    if name in _EXACT:
        columns = _EXACT[name](basis)
    else:
        from ..data.augment import rotate

        columns = rotate(basis[:, None], float(name[3:]))[:, 0]
    return np.ascontiguousarray(columns.reshape(size, size).T)


def transform_kernel(w, transform: str) -> np.ndarray:
    r"""Apply a transform to filters: :math:`T(\mathbf w)` over the last two axes of ``w``.

    Parameters
    ----------
    w : array_like, shape (..., K_h, K_w)
    transform : str
        As :func:`transform_matrix`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``w``, float64 unless ``w`` is float32.

    Examples
    --------
    >>> transform_kernel([[1, 2], [3, 4]], "rot90")
    array([[2., 4.],
           [1., 3.]])
    >>> transform_kernel([[1, 2], [3, 4]], "flip")
    array([[2., 1.],
           [4., 3.]])
    """
    fn = "transform_kernel"
    a = as_numeric(fn, "w", w)
    if a.ndim < 2:
        raise ValueError(f"{fn}: w must have at least 2 dimensions (..., K_h, K_w), got shape {a.shape}")
    if a.dtype not in (np.float32, np.float64):
        a = a.astype(np.float64)
    k = a.shape[-2:]
    if min(k) < 1:
        raise ValueError(f"{fn}: w must have a kernel of at least 1x1, got shape {a.shape}")
    m = transform_matrix(k, transform).astype(a.dtype)
    flat = a.reshape(*a.shape[:-2], k[0] * k[1])
    return (flat @ m.T).reshape(a.shape)


def tap_permutation(kernel_size, transform: str) -> np.ndarray:
    r"""For an exact transform, which tap of :math:`\mathbf w` each tap of :math:`T(\mathbf w)` is.

    ``p = tap_permutation(K, t)`` has shape ``(K_h, K_w)``; ``p[i, j]`` is the index
    (row-major, ``r * K_w + c``) of the tap of the filter that lands at ``(i, j)``
    of the copy: ``T(w)[i, j] == w.ravel()[p[i, j]]``.  These are the lecture's
    point correspondences; backward, the derivative at ``(i, j)`` of the copy
    goes back to tap ``p[i, j]`` of the filter.

    Raises
    ------
    ValueError
        For a rotation that is not a multiple of 90 degrees: its copy mixes taps.

    Examples
    --------
    >>> tap_permutation(3, "rot90")
    array([[2, 5, 8],
           [1, 4, 7],
           [0, 3, 6]])
    """
    fn = "tap_permutation"
    k = int_tuple(fn, "kernel_size", kernel_size, 2, 1)
    name = _parse_transform(fn, transform)
    if name not in _EXACT:
        raise ValueError(f"{fn}: {name} is not a permutation of the taps of a square grid: a rotated tap "
                         f"falls between taps and is interpolated (see transform_matrix); only "
                         f"{', '.join(DIHEDRAL_TRANSFORMS)} have point correspondences")
    _check_square(fn, [name], k)
    return np.ascontiguousarray(_EXACT[name](np.arange(k[0] * k[1]).reshape(k)))


class TransformInvariantConv2d(_ConvBase):
    r"""2-D convolution that scans each filter in several transformed copies and keeps the best.

    .. math::

        z_{T_t}[n, s, p, q] = \sum_{c, i, j} T_t(\mathbf w)[s, c, i, j]\;
            x[n, c, pS_h - P_h + iD_h,\; qS_w - P_w + jD_w], \qquad
        z[n, s, p, q] = \max_t z_{T_t}[n, s, p, q] + b[s]

    (``pool="mean"`` averages over :math:`t` instead; ``pool=None`` returns all
    the maps, ``z[n, sT + t] = z_{T_t}[n, s] + b[s]``).  Backward: the
    derivative goes to the winning transform's map, through
    :func:`~cnnedu.functional.conv2d_backward` to each copy, and through
    :math:`M_t^\top` back to the one shared filter (the module docstring
    derives it).  With ``transforms=("identity",)`` the layer is a
    :class:`~cnnedu.nn.Conv2d`.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (int, int)
        Square when a transform turns rows into columns (90° rotations,
        transposes, other angles).
    stride, padding, dilation
        As :class:`~cnnedu.nn.Conv2d` (no ``groups``).
    bias : bool
        One bias per filter, shared by its copies.
    transforms : str or sequence of str
        ``"rotations"`` (default: identity, rot90, rot180, rot270), ``"flips"``
        (identity, flip), ``"dihedral"`` (all eight of
        :data:`DIHEDRAL_TRANSFORMS`), or a sequence of names, which may include
        ``"rot<degrees>"`` for interpolated rotations (e.g. ``"rot45"``).
    pool : {"max", "mean", None}
        How the maps of a filter's copies are combined.
    dtype : np.float32 or np.float64
    rng : numpy.random.Generator, int or None
        For the initial weights (He normal, fan_in :math:`C_{in} K_h K_w`, as Conv2d).

    Attributes
    ----------
    weight : Parameter, shape (out_channels, in_channels, K_h, K_w)
        The shared filters :math:`\mathbf w(s)`.
    bias : Parameter, shape (out_channels,), or None
    transforms : tuple of str
        The canonical transform names, in the order of the maps.
    matrices : ndarray, shape (T, K_h K_w, K_h K_w)
        :math:`M_t` of :func:`transform_matrix`.

    Shapes
    ------
    ``(N, C_in, H, W) -> (N, C_out, H_out, W_out)`` (``C_out T`` maps with
    ``pool=None``), ``H_out =`` :func:`cnnedu.sizes.conv_output_size`.  Parameters:
    :func:`cnnedu.sizes.conv_parameter_count` (as Conv2d); multiply-accumulates:
    :math:`T` times :func:`cnnedu.sizes.conv_macs`.

    Examples
    --------
    >>> import numpy as np
    >>> layer = TransformInvariantConv2d(1, 8, 3, padding=1, rng=0)
    >>> layer
    TransformInvariantConv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), transforms='rotations')
    >>> x = np.random.default_rng(0).standard_normal((2, 1, 6, 6))
    >>> z, z_rotated = layer(x), layer(np.rot90(x, 1, axes=(2, 3)))
    >>> bool(np.allclose(z_rotated, np.rot90(z, 1, axes=(2, 3)), atol=1e-5))   # the maps rotate along
    True
    """

    _nd = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 bias: bool = True, transforms="rotations", pool="max", *, dtype=np.float32, rng=None):
        super().__init__()
        fn = type(self).__name__
        names = _check_transforms(fn, transforms)
        if pool not in ("max", "mean", None):
            raise ValueError(f"{fn}: pool must be 'max', 'mean' or None, got {pool!r}")
        kernel, _, dil = window_args(fn, 2, kernel_size, stride, dilation)
        _check_square(fn, names, kernel, dil)
        self._setup(in_channels, out_channels, kernel_size, stride, padding, dilation, 1, bias, dtype, rng)
        self.transforms = names
        self.pool = pool
        self.matrices = np.stack([transform_matrix(self.kernel_size, t) for t in names])

    # -- the transformed copies ---------------------------------------------

    @property
    def num_transforms(self) -> int:
        """:math:`T`, the number of copies of each filter."""
        return len(self.transforms)

    def expanded_weight(self) -> np.ndarray:
        r"""All copies :math:`T_t(\mathbf w(s))`, shape ``(C_out, T, C_in, K_h, K_w)``."""
        w = self.weight.data
        o, c, kh, kw = w.shape
        m = self.matrices.astype(w.dtype, copy=False)
        copies = np.tensordot(w.reshape(o, c, kh * kw), m, axes=([2], [2]))   # (O, C, T, K²)
        return np.ascontiguousarray(copies.transpose(0, 2, 1, 3)).reshape(o, len(m), c, kh, kw)

    def _fold_weight_grad(self, dw_copies: np.ndarray) -> np.ndarray:
        """Sum_t M_t^T dL/dW_t: the copies' gradients back onto the shared filter."""
        o, t, c, kh, kw = dw_copies.shape
        m = self.matrices.astype(dw_copies.dtype, copy=False)
        dw = np.tensordot(dw_copies.reshape(o, t, c, kh * kw).transpose(0, 2, 1, 3), m,
                          axes=([2, 3], [0, 1]))                              # (O, C, K²)
        return dw.reshape(o, c, kh, kw)

    # -- printing -----------------------------------------------------------

    def describe(self) -> str:
        return (f"{type(self).__name__}({self.in_channels} -> {self.out_channels}, kernel "
                f"{fmt_size(self.kernel_size)}, {self.num_transforms} transforms)")

    def extra_repr(self) -> str:
        s = super().extra_repr()
        preset = [k for k, v in TRANSFORM_PRESETS.items() if v == self.transforms]
        s += f", transforms={preset[0]!r}" if preset else f", transforms={self.transforms!r}"
        if self.pool != "max":
            s += f", pool={self.pool!r}"
        return s

    # -- the two passes -----------------------------------------------------

    def _geometry(self):
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation)

    def forward(self, x):
        x = self._checked_input(x)
        o, t = self.out_channels, self.num_transforms
        w_all = self.expanded_weight().reshape(o * t, self.in_channels, *self.kernel_size)
        try:
            z_all = F.conv2d(x, w_all, None, **self._geometry())
        except ValueError as exc:
            raise ValueError(f"{self.describe()} got input of shape {x.shape}: {exc}") from None
        n, _, h, w = z_all.shape
        maps = z_all.reshape(n, o, t, h, w)
        winner = None
        if self.pool == "max":
            winner = maps.argmax(axis=2)[:, :, None]                        # first transform on ties
            z = np.take_along_axis(maps, winner, axis=2)[:, :, 0]
        elif self.pool == "mean":
            z = maps.mean(axis=2)
        else:
            z = z_all
        if self.bias is not None:
            b = self.bias.data if self.pool is not None else np.repeat(self.bias.data, t)
            z = z + b.reshape(1, -1, 1, 1)
        self._cache = (x, w_all, winner, z.shape)
        return z

    def backward(self, dy):
        x, w_all, winner, out_shape = self._saved()
        dz = self._check_dy(dy, out_shape, x.dtype)
        n, _, h, w = dz.shape
        o, t = self.out_channels, self.num_transforms
        if self.pool == "max":                  # to the winning copy only, as in max pooling
            dz_all = np.zeros((n, o, t, h, w), dtype=dz.dtype)
            np.put_along_axis(dz_all, winner, dz[:, :, None], axis=2)
        elif self.pool == "mean":               # evenly to every copy
            dz_all = np.broadcast_to(dz[:, :, None] / t, (n, o, t, h, w))
        else:
            dz_all = dz.reshape(n, o, t, h, w)
        dx, dw_all, _ = F.conv2d_backward(dz_all.reshape(n, o * t, h, w), x, w_all, **self._geometry())
        dw = self._fold_weight_grad(dw_all.reshape(o, t, self.in_channels, *self.kernel_size))
        db = dz_all.sum(axis=(0, 2, 3, 4))
        self._accumulate(dw, db)
        return dx
