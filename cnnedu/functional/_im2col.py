r"""Numba kernels that unfold windows into columns (im2col) and fold them back (col2im).

A convolution becomes a matrix product once every window of the input is laid
out as a column: row :math:`(c, i, j)` of the column matrix holds input map
:math:`c` seen through filter tap :math:`(i, j)`, one entry per output position.

**Wide rows.**  Zero-pad the input once, and split it into its :math:`S_h S_w`
*stride phases* (phase :math:`(a, b)` keeps the rows :math:`\equiv a` and the
columns :math:`\equiv b` modulo the stride; with stride 1 there is one phase, the
padded input itself).  Flatten each phase image row by row, with width
:math:`W_{ph} = \lceil W_{pad} / S_w \rceil`.  Then tap :math:`(i, j)` of a window
at output :math:`(p, q)` is element

.. math::

    t + \text{off}(i, j), \qquad t = p\,W_{ph} + q, \qquad
    \text{off}(i, j) = \lfloor iD_h / S_h \rfloor W_{ph} + \lfloor jD_w / S_w \rfloor

of phase :math:`(iD_h \bmod S_h,\; jD_w \bmod S_w)`: a whole row of the column
matrix is *one contiguous run* of a phase image, copied at memory speed whatever
the map size (the lecture-style row-by-row copy of a 10-wide LeNet map is
dominated by loop overhead).  The price is that each output row is computed
:math:`W_{ph}` wide instead of :math:`W_{out}`: the :math:`W_{ph} - W_{out}`
extra positions (a few percent on the usual shapes) are garbage in the forward
pass and are cut off by :func:`narrow`; going backward, :func:`widen` sets their
derivatives to zero, so they add nothing.

When the extra columns would more than double the work (windows nearly as wide
as the input, e.g. large dilations), the columns are *narrow* instead: one run
of :math:`W_{out}` per output row, copied row by row (:data:`MAX_WASTE`).

**Batch and chunks.**  Positions of all samples form one index
:math:`n L + t` (:math:`L = H_{out} W_{ph}`), so the column matrix of a chunk of
positions is ``(G, C/G * kh * kw, count)`` and a whole batch of small maps is one
BLAS call, while a large map is cut into chunks that stay in cache.

Every kernel bounds-checks the indices it computes against the shapes of its
arrays (it copies or adds only the part that lies inside and writes zeros for the
rest), so no geometry can make it read or write outside an array.

They run on the calling thread and release the GIL: the batch is split over
Python threads by :mod:`._parallel`, each running these copies and its own
single-threaded BLAS calls.  (A Numba thread pool between multithreaded BLAS
calls makes the two pools fight for the cores, both spin while idle: on the VGG
block that fight made im2col and col2im 15x slower, docs/benchmarks.md.)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numba import njit

from .. import sizes
from ._geometry import Geometry


#: Cut the garbage columns out of the column matrix when they would add more than
#: this fraction to the matrix products; the copies then run row by row.  (Not for
#: LeNet-5's 10x10 outputs of 14-wide maps: wasting 40% of the GEMM is cheaper than
#: copying 10 values at a time.)
MAX_WASTE = 1.0


@dataclass(frozen=True)
class Unfolding:
    """Where every tap of every window sits in the phase images (see the module docstring).

    The columns of one sample are ``runs`` runs of ``run_length`` positions; run
    ``r`` of tap (i, j) starts at element ``off(i, j) + r * run_stride`` of its phase
    image.  Wide rows are one run of :math:`H_{out}W_{ph}` positions; narrow rows
    are :math:`H_{out}` runs of :math:`W_{out}`.
    """

    phases: tuple[int, int]   # (S_h, S_w): the phase images are (a, b) for a < S_h, b < S_w
    phase_size: tuple[int, int]   # (H_ph, W_ph)
    phase_length: int         # elements per flattened phase image, with a zero tail for the last windows
    taps: np.ndarray          # (kh * kw, 2) int64: (phase index a*S_w + b, offset) of tap (i, j)
    runs: int
    run_length: int
    run_stride: int
    pitch: int                # positions per output row in the columns: W_ph (wide) or W_out (narrow)
    length: int               # positions per sample: H_out * pitch


@functools.lru_cache(maxsize=256)
def unfolding(g: Geometry) -> Unfolding:
    """The layout of the windows of ``g``: wide rows unless they waste more than MAX_WASTE."""
    (kh, kw), (sh, sw), (dh, dw) = g.kernel, g.stride, g.dilation
    (oh, ow) = g.out_size
    # Only the rows and columns some window touches matter (padding past them is ignored).
    hp = (oh - 1) * sh + sizes._span(kh, dh)
    wp = (ow - 1) * sw + sizes._span(kw, dw)
    hph, wph = -(-hp // sh), -(-wp // sw)
    taps = np.array([[(i * dh % sh) * sw + j * dw % sw, (i * dh // sh) * wph + j * dw // sw]
                     for i in range(kh) for j in range(kw)], dtype=np.int64).reshape(kh * kw, 2)
    wide = oh > 1 and wph <= ow * (1 + MAX_WASTE)    # one output row: one run either way
    runs, run_length = (1, oh * wph) if wide else (oh, ow)
    return Unfolding(phases=(sh, sw), phase_size=(hph, wph),
                     phase_length=max(hph * wph, int(taps[:, 1].max()) + oh * wph), taps=taps,
                     runs=runs, run_length=run_length, run_stride=wph,
                     pitch=wph if wide else ow, length=runs * run_length)


@njit(cache=True, inline="always")
def _valid_range(off: int, stride: int, size: int, count: int):
    """Indices q in [0, count) with 0 <= q*stride + off < size, as [lo, hi), 0 <= lo <= hi <= count."""
    lo = 0
    if off < 0:
        lo = min(count, (-off + stride - 1) // stride)
    last = size - 1 - off
    hi = 0 if last < 0 else min(count, last // stride + 1)
    if hi < lo:
        hi = lo
    return lo, hi


# The innermost loops index with ``base + e``, where ``e`` is the loop variable and
# ``base`` went through ``max(0, ...)``: LLVM then knows the index is not negative,
# drops Numba's wrap-around of negative indices, and vectorises the loop into plain
# vector loads and stores.  (Without that, it compiles the element-by-element
# wrap-around into gathers, 10x slower.)

@njit(cache=True, nogil=True)
def pad_phases(x, xt, sh, sw, ph, pw, hph, wph):
    """xt[n, c, a*sw + b, u*wph + v] = x[n, c, u*sh + a - ph, v*sw + b - pw], zero outside x.

    Row by row: the padded input row goes into a buffer, whose columns are then dealt
    out to the ``sw`` phases (for stride 1, a plain copy).
    """
    n_, c_, h_, w_ = x.shape
    nph, lph = xt.shape[2], xt.shape[3]
    m_ = min(n_, xt.shape[0])
    cc = min(c_, xt.shape[1])
    hph = max(0, min(hph, lph // max(wph, 1)))
    span = wph * sw
    row = np.zeros(span, dtype=xt.dtype)
    src = min(max(0, -pw), w_)              # first column of x inside the buffer
    dst = min(max(0, pw), span)             # where it goes in the buffer
    count = max(0, min(w_ - src, span - dst))
    for nc in range(m_ * cc):
        n = nc // cc
        c = nc - n * cc
        for a in range(min(sh, max(nph // max(sw, 1), 0))):
            for u in range(hph):
                h = u * sh + a - ph
                inside = 0 <= h < h_
                base = max(0, u * wph)
                if inside and sw == 1:      # one phase: copy straight into it
                    for e in range(dst):
                        xt[n, c, a, base + e] = 0.0
                    for e in range(count):
                        xt[n, c, a, base + dst + e] = x[n, c, h, src + e]
                    for e in range(dst + count, wph):
                        xt[n, c, a, base + e] = 0.0
                    continue
                if not inside:
                    for b in range(sw):
                        for v in range(wph):
                            xt[n, c, a * sw + b, base + v] = 0.0
                    continue
                # the buffer's zero margins (padding) never change; only its middle is copied
                for e in range(count):
                    row[dst + e] = x[n, c, h, src + e]
                if sw == 2:                 # both column phases in one pass
                    k = 2 * a
                    for v in range(wph):
                        xt[n, c, k, base + v] = row[2 * v]
                        xt[n, c, k + 1, base + v] = row[2 * v + 1]
                else:
                    for b in range(sw):
                        for v in range(wph):
                            xt[n, c, a * sw + b, base + v] = row[sw * v + b]
            tail = max(0, hph * wph)
            for b in range(sw):
                for e in range(lph - tail):
                    xt[n, c, a * sw + b, tail + e] = 0.0
        for k in range(min(sh, max(nph // max(sw, 1), 0)) * sw, nph):
            for e in range(lph):
                xt[n, c, k, e] = 0.0


@njit(cache=True, nogil=True)
def merge_phases(xt, x, sh, sw, ph, pw, hph, wph):
    """Inverse of :func:`pad_phases`: x[n, c, h, w] = xt[n, c, phase, index], cropping the padding.

    Positions of ``x`` that no phase element covers (never touched by a window) are 0.
    """
    n_, c_, h_, w_ = x.shape
    nph, lph = xt.shape[2], xt.shape[3]
    m_ = min(n_, xt.shape[0])
    cc = min(c_, xt.shape[1])
    hph = max(0, min(hph, lph // max(wph, 1)))
    span = wph * sw
    row = np.zeros(span, dtype=x.dtype)
    src = min(max(0, pw), span)             # buffer column of x's first covered column
    dst = min(max(0, -pw), w_)              # that column of x
    count = max(0, min(w_ - dst, span - src))
    for nc in range(n_ * c_):
        n = nc // c_
        c = nc - n * c_
        for h in range(h_):
            hp = h + ph
            a = hp % sh
            u = hp // sh
            if n >= m_ or c >= cc or u < 0 or u >= hph or (a + 1) * sw > nph:
                for e in range(w_):
                    x[n, c, h, e] = 0.0
                continue
            base = max(0, u * wph)
            if sw == 1:                     # one phase: copy straight from it
                for e in range(dst):
                    x[n, c, h, e] = 0.0
                for e in range(count):
                    x[n, c, h, dst + e] = xt[n, c, a, base + src + e]
                for e in range(dst + count, w_):
                    x[n, c, h, e] = 0.0
                continue
            if sw == 2:                     # both column phases in one pass
                k = 2 * a
                for v in range(wph):
                    row[2 * v] = xt[n, c, k, base + v]
                    row[2 * v + 1] = xt[n, c, k + 1, base + v]
            else:
                for b in range(sw):
                    for v in range(wph):
                        row[sw * v + b] = xt[n, c, a * sw + b, base + v]
            for e in range(dst):
                x[n, c, h, e] = 0.0
            for e in range(count):
                x[n, c, h, dst + e] = row[src + e]
            for e in range(dst + count, w_):
                x[n, c, h, e] = 0.0


@njit(cache=True, nogil=True)
def im2col(xt, col, taps, runs, run_length, run_stride, start):
    """col[g, cg*T + tap, j - start] = xt[n, c, phase(tap), off(tap) + r*run_stride + q] for the chunk's positions.

    Position ``j = (n*runs + r)*run_length + q``.  ``xt`` is (N, C, phases,
    phase_length) from :func:`pad_phases`; ``col`` is (G, C/G * T, count) for the
    ``count`` positions from ``start`` on.
    """
    n_, c_, nph, lph = xt.shape
    groups, rows, count = col.shape
    ntap = taps.shape[0]
    cg_ = c_ // groups
    rows = min(rows, cg_ * ntap)
    length = runs * run_length
    j = start
    stop = start + count
    while j < stop:
        n = j // length
        rq = j - n * length
        r = rq // run_length
        q = rq - r * run_length
        seg = min(run_length - q, stop - j)
        t = r * run_stride + q
        d = max(0, j - start)
        for c in range(groups * cg_):
            g = c // cg_
            cg = c - g * cg_
            for tap in range(ntap):
                row = cg * ntap + tap
                if row >= rows:
                    continue
                k, s = taps[tap, 0], taps[tap, 1] + t
                # the part of [s, s + seg) inside xt[n, c, k]; zeros after it
                hi = 0
                if n < n_ and 0 <= k < nph and s >= 0:
                    hi = max(0, min(seg, lph - s))
                s = max(0, s)
                for e in range(hi):
                    col[g, row, d + e] = xt[n, c, k, s + e]
                for e in range(hi, seg):
                    col[g, row, d + e] = 0.0
        j += seg


@njit(cache=True, nogil=True)
def col2im(col, xt, taps, runs, run_length, run_stride, start):
    """Transpose of :func:`im2col`: add every column entry back onto the phase-image element it came from."""
    n_, c_, nph, lph = xt.shape
    groups, rows, count = col.shape
    ntap = taps.shape[0]
    cg_ = c_ // groups
    rows = min(rows, cg_ * ntap)
    length = runs * run_length
    j = start
    stop = start + count
    while j < stop:
        n = j // length
        rq = j - n * length
        r = rq // run_length
        q = rq - r * run_length
        seg = min(run_length - q, stop - j)
        t = r * run_stride + q
        d = max(0, j - start)
        if n < n_:
            for c in range(groups * cg_):
                g = c // cg_
                cg = c - g * cg_
                for tap in range(ntap):
                    row = cg * ntap + tap
                    k, s = taps[tap, 0], taps[tap, 1] + t
                    if row < rows and 0 <= k < nph and s >= 0:
                        hi = max(0, min(seg, lph - s))
                        s = max(0, s)
                        for e in range(hi):
                            xt[n, c, k, s + e] += col[g, row, d + e]
        j += seg


@njit(cache=True, nogil=True)
def narrow(zw, b, z, wph, start):
    """z[n, o, p, q] = zw[o, j - start] + b[o], j = n*L + p*wph + q, for the chunk's positions with q < W_out.

    ``wph`` is the pitch of the columns: W_ph for wide rows, W_out for narrow ones.
    """
    n_, o_, oh, ow = z.shape
    rows, count = zw.shape
    length = oh * wph
    oo = min(o_, rows, b.shape[0])
    j = start
    stop = start + count
    while j < stop:
        n = j // length
        t = j - n * length
        seg = min(length - t, stop - j)
        d = j - start - t
        if n < n_:
            p_lo = t // wph
            p_hi = min(oh, (t + seg + wph - 1) // wph)
            for o in range(oo):
                bo = b[o]
                for p in range(p_lo, p_hi):
                    q_lo = max(0, t - p * wph)
                    q_hi = min(ow, t + seg - p * wph)
                    src = max(0, d + p * wph + q_lo)
                    for e in range(q_hi - q_lo):
                        z[n, o, p, q_lo + e] = zw[o, src + e] + bo
        j += seg


@njit(cache=True, nogil=True)
def widen(dz, dzw, wph, start):
    """Transpose of :func:`narrow`: dzw[o, j - start] = dz[n, o, p, q], and 0 where q >= W_out."""
    n_, o_, oh, ow = dz.shape
    rows, count = dzw.shape
    length = oh * wph
    oo = min(o_, rows)
    j = start
    stop = start + count
    while j < stop:
        n = j // length
        t = j - n * length
        seg = min(length - t, stop - j)
        d = j - start - t
        p_lo = t // wph
        p_hi = (t + seg + wph - 1) // wph
        for o in range(rows):
            for p in range(p_lo, p_hi):
                q_lo = max(0, t - p * wph)
                q_hi = min(wph, t + seg - p * wph)
                dst = max(0, d + p * wph + q_lo)
                # q < W_out: the derivative; the garbage columns q >= W_out: 0
                q_mid = q_lo
                if o < oo and n < n_ and p < oh:
                    q_mid = max(q_lo, min(ow, q_hi))
                for e in range(q_mid - q_lo):
                    dzw[o, dst + e] = dz[n, o, p, q_lo + e]
                for e in range(q_mid - q_lo, q_hi - q_lo):
                    dzw[o, dst + e] = 0.0
        j += seg

