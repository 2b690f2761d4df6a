r"""Numba kernels for convolutions with one input channel per group (depthwise, and C_in = 1).

When every filter sees a single input map (``groups == C_in``: depthwise
convolution, or a first layer on grey images), the column matrix would have
only :math:`K_hK_w` rows per group, far too few for a matrix product to pay for
writing it.  These kernels convolve directly instead, on the same zero-padded,
phase-split input and wide output rows as :mod:`._im2col`:

.. math::

    z_{wide}[n, o, t] = b[o] + \sum_{(i, j)} w[o, 0, i, j]\;
        x_{ph}[n, c(o), \text{phase}(i, j), t + \text{off}(i, j)]

one vectorised multiply-add over a whole wide row per tap, with
:math:`c(o) = o // (C_{out}/G)`.  The backward kernels are its transposes: the
input gradient adds :math:`w \cdot dz_{wide}` back onto the phase images, the
weight gradient takes the dot product of :math:`dz_{wide}` with each tap's view
of the input.

Like the im2col kernels they bounds-check the indices they compute, run on the
calling thread and release the GIL (the batch is split over threads by
:mod:`._parallel`).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, fastmath={"contract"})
def direct_forward(xt, w, b, taps, z, wph):
    """z[n, o, p, q] = b[o] + sum_tap w[o, tap] * xt[n, o // m, phase(tap), off(tap) + p*wph + q]."""
    n_, o_, oh, ow = z.shape
    c_, nph, lph = xt.shape[1], xt.shape[2], xt.shape[3]
    ntap = min(taps.shape[0], w.shape[1])
    mult = max(1, o_ // max(c_, 1))
    length = oh * wph
    acc = np.empty(length, dtype=z.dtype)
    # taps whose whole run of `length` elements lies inside the phase image (all of them,
    # for the layouts of _im2col.unfolding); any other tap is skipped
    ok = np.zeros(ntap, dtype=np.bool_)
    for tap in range(ntap):
        ok[tap] = 0 <= taps[tap, 0] < nph and 0 <= taps[tap, 1] and taps[tap, 1] + length <= lph
    for no in range(min(n_, xt.shape[0]) * o_):
        n = no // o_
        o = no - n * o_
        c = o // mult
        bo = b[o] if o < b.shape[0] else 0.0
        for e in range(length):
            acc[e] = bo
        if c < c_ and o < w.shape[0]:
            # four taps per pass over acc: one load and one store of acc per four multiply-adds
            tap = 0
            while tap < ntap:
                if tap + 4 <= ntap and ok[tap] and ok[tap + 1] and ok[tap + 2] and ok[tap + 3]:
                    k0, k1, k2, k3 = taps[tap, 0], taps[tap + 1, 0], taps[tap + 2, 0], taps[tap + 3, 0]
                    s0, s1 = max(0, taps[tap, 1]), max(0, taps[tap + 1, 1])
                    s2, s3 = max(0, taps[tap + 2, 1]), max(0, taps[tap + 3, 1])
                    w0, w1, w2, w3 = w[o, tap], w[o, tap + 1], w[o, tap + 2], w[o, tap + 3]
                    for e in range(length):
                        acc[e] += (w0 * xt[n, c, k0, s0 + e] + w1 * xt[n, c, k1, s1 + e]
                                   + w2 * xt[n, c, k2, s2 + e] + w3 * xt[n, c, k3, s3 + e])
                    tap += 4
                else:
                    if ok[tap]:
                        k, s0, w0 = taps[tap, 0], max(0, taps[tap, 1]), w[o, tap]
                        for e in range(length):
                            acc[e] += w0 * xt[n, c, k, s0 + e]
                    tap += 1
        for p in range(oh):
            base = max(0, p * wph)
            for q in range(min(ow, wph)):
                z[n, o, p, q] = acc[base + q]


@njit(cache=True, nogil=True, fastmath={"contract"})
def direct_input_grad(dz, w, taps, xt, wph):
    """Transpose of :func:`direct_forward` (without b): xt[n, o // m, phase, off + t] += w[o, tap] * dz_wide[n, o, t].

    Computed as a gather: element s of phase image k collects
    ``w[o, tap] * dz_wide[s - off(tap)]`` from every tap of phase k, reading a copy of
    ``dz_wide`` with ``max(off)`` zeros in front (so ``s - off`` never goes negative).
    """
    n_, o_, oh, ow = dz.shape
    c_, nph, lph = xt.shape[1], xt.shape[2], xt.shape[3]
    ntap = min(taps.shape[0], w.shape[1])
    mult = max(1, o_ // max(c_, 1))
    front = 0
    for tap in range(ntap):
        front = max(front, taps[tap, 1])
    buf = np.zeros(front + lph, dtype=dz.dtype)     # zeros outside [front, front + length)
    # the taps of each phase, as indices into taps
    by_phase = np.zeros((nph, ntap), dtype=np.int64)
    count = np.zeros(nph, dtype=np.int64)
    for tap in range(ntap):
        k = taps[tap, 0]
        if 0 <= k < nph and 0 <= taps[tap, 1] <= front:
            by_phase[k, count[k]] = tap
            count[k] += 1
    for no in range(min(n_, xt.shape[0]) * o_):
        n = no // o_
        o = no - n * o_
        c = o // mult
        if c >= c_ or o >= w.shape[0]:
            continue
        for p in range(oh):
            base = max(0, front + p * wph)
            for q in range(min(ow, wph)):
                buf[base + q] = dz[n, o, p, q]       # the garbage columns q >= ow stay 0
        for k in range(nph):
            i = 0
            while i < count[k]:
                if i + 4 <= count[k]:
                    t0, t1, t2, t3 = by_phase[k, i], by_phase[k, i + 1], by_phase[k, i + 2], by_phase[k, i + 3]
                    b0, b1 = max(0, front - taps[t0, 1]), max(0, front - taps[t1, 1])
                    b2, b3 = max(0, front - taps[t2, 1]), max(0, front - taps[t3, 1])
                    w0, w1, w2, w3 = w[o, t0], w[o, t1], w[o, t2], w[o, t3]
                    for e in range(lph):
                        xt[n, c, k, e] += (w0 * buf[b0 + e] + w1 * buf[b1 + e]
                                           + w2 * buf[b2 + e] + w3 * buf[b3 + e])
                    i += 4
                else:
                    t0 = by_phase[k, i]
                    b0, w0 = max(0, front - taps[t0, 1]), w[o, t0]
                    for e in range(lph):
                        xt[n, c, k, e] += w0 * buf[b0 + e]
                    i += 1


@njit(cache=True, nogil=True, fastmath={"reassoc", "nsz", "contract"})
def direct_weight_grad(dz, xt, taps, dw, wph):
    """dw[o, tap] += sum_{n, t} dz_wide[n, o, t] * xt[n, o // m, phase(tap), off(tap) + t]."""
    n_, o_, oh, ow = dz.shape
    c_, nph, lph = xt.shape[1], xt.shape[2], xt.shape[3]
    ntap = min(taps.shape[0], dw.shape[1])
    mult = max(1, o_ // max(c_, 1))
    length = oh * wph
    buf = np.zeros(length, dtype=dz.dtype)
    zero = np.zeros(1, dtype=dz.dtype)[0]    # sums in the arrays' precision, vectorised
    ok = np.zeros(ntap, dtype=np.bool_)
    for tap in range(ntap):
        ok[tap] = 0 <= taps[tap, 0] < nph and 0 <= taps[tap, 1] and taps[tap, 1] + length <= lph
    for no in range(min(n_, xt.shape[0]) * o_):
        n = no // o_
        o = no - n * o_
        c = o // mult
        if c >= c_ or o >= dw.shape[0]:
            continue
        for p in range(oh):
            base = max(0, p * wph)
            for q in range(min(ow, wph)):
                buf[base + q] = dz[n, o, p, q]
        tap = 0
        while tap < ntap:
            if tap + 4 <= ntap and ok[tap] and ok[tap + 1] and ok[tap + 2] and ok[tap + 3]:
                k0, k1, k2, k3 = taps[tap, 0], taps[tap + 1, 0], taps[tap + 2, 0], taps[tap + 3, 0]
                s0, s1 = max(0, taps[tap, 1]), max(0, taps[tap + 1, 1])
                s2, s3 = max(0, taps[tap + 2, 1]), max(0, taps[tap + 3, 1])
                a0 = a1 = a2 = a3 = zero
                for e in range(length):
                    v = buf[e]
                    a0 += v * xt[n, c, k0, s0 + e]
                    a1 += v * xt[n, c, k1, s1 + e]
                    a2 += v * xt[n, c, k2, s2 + e]
                    a3 += v * xt[n, c, k3, s3 + e]
                dw[o, tap] += a0
                dw[o, tap + 1] += a1
                dw[o, tap + 2] += a2
                dw[o, tap + 3] += a3
                tap += 4
            else:
                if ok[tap]:
                    k, s0 = taps[tap, 0], max(0, taps[tap, 1])
                    a0 = zero
                    for e in range(length):
                        a0 += buf[e] * xt[n, c, k, s0 + e]
                    dw[o, tap] += a0
                tap += 1
