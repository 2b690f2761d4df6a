"""Numba kernels that unfold windows into columns (im2col) and fold them back (col2im).

A convolution becomes a matrix product once every window of the input is laid
out as a column::

    col[n, g, (c, i, j), (oh, ow)] = x[n, g*Cg + c, oh*Sh - Ph + i*Dh, ow*Sw - Pw + j*Dw]

(zero where the index falls in the padding).  ``col2im`` is the transpose of
``im2col``: it adds every column entry back onto the input position it came from,
which is exactly the ``+=`` of the lecture's backward loop.

Both kernels bounds-check every index, so no geometry can make them read or
write outside ``x``.

They run on the calling thread.  Copying windows is memory-bound, so a second
thread buys little, and the GEMM that follows each call runs on BLAS's own
threads: a Numba thread pool between BLAS calls makes the two pools fight for
the cores (both spin while idle).  On the VGG block that fight made im2col and
col2im 15x slower (docs/benchmarks.md).
"""

from __future__ import annotations

from numba import njit


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


@njit(cache=True)
def im2col(x, col, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    """Fill ``col`` (N, G, Cg*kh*kw, oh*ow) with the windows of ``x`` (N, C, H, W)."""
    n_, c_, h_, w_ = x.shape
    groups = col.shape[1]
    cg_ = c_ // groups
    for nc in range(n_ * c_):
        n = nc // c_
        c = nc - n * c_
        g = c // cg_
        cg = c - g * cg_
        for i in range(kh):
            for j in range(kw):
                row = (cg * kh + i) * kw + j
                off_w = j * dw - pw
                q_lo, q_hi = _valid_range(off_w, sw, w_, ow)
                for p in range(oh):
                    ih = p * sh + i * dh - ph
                    base = p * ow
                    if ih < 0 or ih >= h_:
                        for q in range(ow):
                            col[n, g, row, base + q] = 0.0
                        continue
                    for q in range(q_lo):
                        col[n, g, row, base + q] = 0.0
                    for q in range(q_lo, q_hi):
                        col[n, g, row, base + q] = x[n, c, ih, q * sw + off_w]
                    for q in range(q_hi, ow):
                        col[n, g, row, base + q] = 0.0


@njit(cache=True)
def col2im(col, dx, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    """Add the columns of ``col`` (N, G, Cg*kh*kw, oh*ow) back onto ``dx`` (N, C, H, W)."""
    n_, c_, h_, w_ = dx.shape
    groups = col.shape[1]
    cg_ = c_ // groups
    for nc in range(n_ * c_):
        n = nc // c_
        c = nc - n * c_
        g = c // cg_
        cg = c - g * cg_
        for i in range(kh):
            for j in range(kw):
                row = (cg * kh + i) * kw + j
                off_w = j * dw - pw
                q_lo, q_hi = _valid_range(off_w, sw, w_, ow)
                for p in range(oh):
                    ih = p * sh + i * dh - ph
                    if ih < 0 or ih >= h_:
                        continue
                    base = p * ow
                    for q in range(q_lo, q_hi):
                        dx[n, c, ih, q * sw + off_w] += col[n, g, row, base + q]
