"""Deliberately wrong A4 functions: one per common mistake, each one slip away from a right answer.

``MISTAKES`` maps a name to ``(part, function)``.  ``tests/test_grading_a4.py`` judges each
one in-process and checks the score and the diagnosis.  The functions are written as a
student would, with numpy only; the knobs of the helpers below are the slips.
"""

import numpy as np

MISTAKES = {}


def mistake(part):
    def register(fn):
        MISTAKES[fn.__name__] = (part, fn)
        return fn
    return register


def _pads(padding):
    return (padding, padding) if np.isscalar(padding) else tuple(padding)


def _windows(u, area, pads, stride=1):
    """(K', H, W) -> (K', H_out, W_out, A, A), the maps padded with pads = (lo, hi) on both axes."""
    lo, hi = pads
    u_pad = np.pad(u, ((0, 0), (lo, hi), (lo, hi)))
    return np.lib.stride_tricks.sliding_window_view(u_pad, (area, area), axis=(1, 2))[:, ::stride, ::stride]


def _s_cells(u, a, b, r, c, pads, stride=1, *, v="rms", form="divide", factor=2.0, leading_r=True, phi=True):
    """An S-layer with knobs: a (K, K', A, A), b (K,) -> (K, H_out, W_out)."""
    win = _windows(u, a.shape[-1], pads, stride)
    e = np.einsum("khwpq,jkpq->jhw", win, a)
    if v == "rms":
        v_c = np.sqrt(np.einsum("khwpq,pq->hw", win ** 2, c))
    elif v == "weighted_mean":
        v_c = np.einsum("khwpq,pq->hw", win, c)
    elif v == "no_sqrt":
        v_c = np.einsum("khwpq,pq->hw", win ** 2, c)
    else:                                             # "unweighted": the RMS of the area, without c
        v_c = np.sqrt(np.mean(win ** 2, axis=(0, 3, 4)))
    inhibition = factor * r / (1 + r) * np.asarray(b, dtype=float).reshape(-1, 1, 1) * v_c
    if form == "divide":
        x = (1 + e) / (1 + inhibition) - 1
    elif form == "subtract":
        x = e - inhibition
    else:                                             # "no_minus_one"
        x = (1 + e) / (1 + inhibition)
    if phi:
        x = np.maximum(x, 0.0)
    return r * x if leading_r else x


def _plane(u, a, b, r, c, pads=None, **knobs):
    p = (a.shape[-1] - 1) // 2
    return _s_cells(u, a[None], np.array([b]), r, c, (p, p) if pads is None else pads(p), **knobs)[0]


# --- s_plane: the formula -----------------------------------------------------------------------

@mistake("s_plane")
def inhibition_subtracted(u, a, b, r, c):
    return _plane(u, a, b, r, c, form="subtract")


@mistake("s_plane")
def forgot_minus_one(u, a, b, r, c):
    return _plane(u, a, b, r, c, form="no_minus_one")


@mistake("s_plane")
def inhibition_factor_missing(u, a, b, r, c):
    return _plane(u, a, b, r, c, factor=(1 + r) / r)          # 1 + b v_C


@mistake("s_plane")
def inhibition_factor_halved(u, a, b, r, c):
    return _plane(u, a, b, r, c, factor=1.0)                  # 1 + r/(1 + r) b v_C


@mistake("s_plane")
def forgot_r(u, a, b, r, c):
    return _plane(u, a, b, r, c, leading_r=False)


@mistake("s_plane")
def forgot_phi(u, a, b, r, c):
    return _plane(u, a, b, r, c, phi=False)


@mistake("s_plane")
def v_weighted_mean(u, a, b, r, c):
    return _plane(u, a, b, r, c, v="weighted_mean")


@mistake("s_plane")
def v_forgot_sqrt(u, a, b, r, c):
    return _plane(u, a, b, r, c, v="no_sqrt")


@mistake("s_plane")
def v_unweighted(u, a, b, r, c):
    return _plane(u, a, b, r, c, v="unweighted")


# --- s_plane: where the area lies -----------------------------------------------------------------

@mistake("s_plane")
def area_not_centred(u, a, b, r, c):
    return _plane(u, a, b, r, c, pads=lambda p: (0, 2 * p))    # the area's corner at n, not its centre


@mistake("s_plane")
def area_forgot_padding(u, a, b, r, c):
    return _plane(u, a, b, r, c, pads=lambda p: (0, 0))


@mistake("s_plane")
def area_padding_off_by_one(u, a, b, r, c):
    return _plane(u, a, b, r, c, pads=lambda p: (p + 1, p + 1))


@mistake("s_plane")
def area_flipped(u, a, b, r, c):
    return _plane(u, a[:, ::-1, ::-1], b, r, c)


# --- s_layer ----------------------------------------------------------------------------------------

@mistake("s_layer")
def layer_inhibition_subtracted(u, a, b, r, c, padding=0, stride=1):
    return _s_cells(u, a, b, r, c, _pads(padding), stride, form="subtract")


@mistake("s_layer")
def planes_summed(u, a, b, r, c, padding=0, stride=1):
    return _s_cells(u, a, b, r, c, _pads(padding), stride).sum(axis=0)


@mistake("s_layer")
def one_b(u, a, b, r, c, padding=0, stride=1):
    return _s_cells(u, a, np.full(len(b), b[0]), r, c, _pads(padding), stride)


def weights_layout(u, a, b, r, c, padding=0, stride=1):
    """a read as (K', K, A, A): runs only when K == K' (numpy raises otherwise), so it is judged on one case."""
    win = _windows(u, a.shape[-1], _pads(padding), stride)
    e = np.einsum("khwpq,kjpq->jhw", win, a)                  # a[k', k] instead of a[k, k']
    v_c = np.sqrt(np.einsum("khwpq,pq->hw", win ** 2, c))
    return r * np.maximum((1 + e) / (1 + 2 * r / (1 + r) * b[:, None, None] * v_c) - 1, 0.0)


@mistake("s_layer")
def padding_one_side(u, a, b, r, c, padding=0, stride=1):
    lo, hi = _pads(padding)
    return _s_cells(u, a, b, r, c, (lo + hi, 0), stride)


@mistake("s_layer")
def padding_swapped(u, a, b, r, c, padding=0, stride=1):
    lo, hi = _pads(padding)
    return _s_cells(u, a, b, r, c, (hi, lo), stride)


@mistake("s_layer")
def forgot_stride(u, a, b, r, c, padding=0, stride=1):
    return _s_cells(u, a, b, r, c, _pads(padding), 1)


@mistake("s_layer")
def stride_window_start(u, a, b, r, c, padding=0, stride=1):
    lo, hi = _pads(padding)
    A = a.shape[-1]
    h_out = (u.shape[1] + lo + hi - A) // stride + 1
    w_out = (u.shape[2] + lo + hi - A) // stride + 1
    return _s_cells(u, a, b, r, c, (lo, hi), 1)[:, :h_out, :w_out]


# --- c_layer ----------------------------------------------------------------------------------------

def _c_cells(u, d, alpha, pads, stride, *, weights=True, vs="mean", psi="right", own=True, minus_one=True):
    win = _windows(u, d.shape[-1], pads, stride)
    e = np.einsum("khwpq,pq->khw", win, d if weights else np.ones_like(d))
    v_s = {"mean": e.mean(axis=0), "sum": e.sum(axis=0), "none": 0.0}[vs]
    if not own:
        e = np.broadcast_to(e.sum(axis=0), e.shape)        # every C-plane reads all the S-planes
    x = (1 + e) / (1 + v_s) - (1 if minus_one else 0)
    if psi == "right":
        x = np.maximum(x, 0.0)
        return x / (alpha + x)
    if psi == "literal":
        return np.maximum(x / (alpha + x), 0.0)
    return np.maximum(x, 0.0)                               # "none": phi, no saturation


@mistake("c_layer")
def c_forgot_psi(u, d, alpha=0.5, padding=0, stride=1):
    return _c_cells(u, d, alpha, _pads(padding), stride, psi="none")


@mistake("c_layer")
def c_psi_literal(u, d, alpha=0.5, padding=0, stride=1):
    return _c_cells(u, d, alpha, _pads(padding), stride, psi="literal")


@mistake("c_layer")
def c_vs_summed(u, d, alpha=0.5, padding=0, stride=1):
    return _c_cells(u, d, alpha, _pads(padding), stride, vs="sum")


@mistake("c_layer")
def c_forgot_inhibition(u, d, alpha=0.5, padding=0, stride=1):
    return _c_cells(u, d, alpha, _pads(padding), stride, vs="none")


@mistake("c_layer")
def c_planes_summed(u, d, alpha=0.5, padding=0, stride=1):
    return _c_cells(u, d, alpha, _pads(padding), stride, own=False)


@mistake("c_layer")
def c_unweighted(u, d, alpha=0.5, padding=0, stride=1):
    return _c_cells(u, d, alpha, _pads(padding), stride, weights=False)


@mistake("c_layer")
def c_max_pooling(u, d, alpha=0.5, padding=0, stride=1):
    return _windows(u, d.shape[-1], _pads(padding), stride).max(axis=(3, 4))


@mistake("c_layer")
def c_forgot_minus_one(u, d, alpha=0.5, padding=0, stride=1):
    return _c_cells(u, d, alpha, _pads(padding), stride, minus_one=False)


@mistake("c_layer")
def c_padding_swapped(u, d, alpha=0.5, padding=0, stride=1):
    lo, hi = _pads(padding)
    return _c_cells(u, d, alpha, (hi, lo), stride)


# --- learn_step ---------------------------------------------------------------------------------

def _learn(u, a, b, r, q, c, padding, stride, *, select="right", delta_a="right", delta_b="right",
           area="right", rate=None):
    lo, hi = _pads(padding)
    A = a.shape[-1]
    u_s = _s_cells(u, a, b, r, c, (lo, hi), stride)
    K, H_out, W_out = u_s.shape
    columns = u_s.reshape(K, -1)
    winner = columns.argmax(axis=0)
    best = columns[winner, np.arange(H_out * W_out)]
    reps = []                                              # (plane, position) pairs to reinforce
    if select == "right":
        for k in range(K):
            won = (winner == k) & (best > 0)
            if won.any():
                reps.append((k, np.flatnonzero(won)[np.argmax(best[won])]))
    elif select == "per_plane":                            # no competition between the planes
        reps = [(k, int(columns[k].argmax())) for k in range(K) if columns[k].max() > 0]
    elif select == "global":                               # one winner for the whole layer
        if columns.max() > 0:
            k, n = np.unravel_index(int(columns.argmax()), columns.shape)
            reps = [(k, n)]
    elif select == "every":                                # every column's winner
        reps = [(winner[n], n) for n in range(H_out * W_out) if best[n] > 0]
    elif select == "silent":                               # best starts at -1: a silent column counts
        top = np.full(K, -1.0)
        where = np.full(K, -1)
        for n in range(H_out * W_out):
            if best[n] > top[winner[n]]:
                top[winner[n]], where[winner[n]] = best[n], n
        reps = [(k, where[k]) for k in range(K) if where[k] >= 0]
    u_pad = np.pad(u, ((0, 0), (lo, hi), (lo, hi)))
    q_a = q_b = q
    if rate == "none":
        q_a, q_b = 1.0, 1.0
    a_new, b_new = a.copy(), b.copy()
    for k, n in reps:
        i, j = divmod(int(n), W_out)
        source = u if area == "unpadded" else u_pad
        patch = source[:, i * stride:i * stride + A, j * stride:j * stride + A]
        a_new[k] += q_a * patch if delta_a == "no_c" else q_a * c * patch
        if delta_b == "right":
            b_new[k] += q_b / 2 * np.sqrt(np.sum(c * patch ** 2))
        elif delta_b == "full_q":
            b_new[k] += q_b * np.sqrt(np.sum(c * patch ** 2))
        elif delta_b == "weighted_mean":
            b_new[k] += q_b / 2 * np.sum(c * patch)
    return a_new, b_new


@mistake("learn_step")
def no_column_competition(u, a, b, r, q, c, padding=0, stride=1):
    return _learn(u, a, b, r, q, c, padding, stride, select="per_plane")


@mistake("learn_step")
def one_winner(u, a, b, r, q, c, padding=0, stride=1):
    return _learn(u, a, b, r, q, c, padding, stride, select="global")


@mistake("learn_step")
def every_candidate(u, a, b, r, q, c, padding=0, stride=1):
    return _learn(u, a, b, r, q, c, padding, stride, select="every")


@mistake("learn_step")
def silent_column(u, a, b, r, q, c, padding=0, stride=1):
    return _learn(u, a, b, r, q, c, padding, stride, select="silent")


@mistake("learn_step")
def delta_a_no_c(u, a, b, r, q, c, padding=0, stride=1):
    return _learn(u, a, b, r, q, c, padding, stride, delta_a="no_c")


@mistake("learn_step")
def forgot_q(u, a, b, r, q, c, padding=0, stride=1):
    return _learn(u, a, b, r, q, c, padding, stride, rate="none")


@mistake("learn_step")
def delta_b_full_q(u, a, b, r, q, c, padding=0, stride=1):
    return _learn(u, a, b, r, q, c, padding, stride, delta_b="full_q")


@mistake("learn_step")
def delta_b_weighted_mean(u, a, b, r, q, c, padding=0, stride=1):
    return _learn(u, a, b, r, q, c, padding, stride, delta_b="weighted_mean")


@mistake("learn_step")
def forgot_b(u, a, b, r, q, c, padding=0, stride=1):
    return _learn(u, a, b, r, q, c, padding, stride, delta_b="none")


@mistake("learn_step")
def area_unpadded(u, a, b, r, q, c, padding=0, stride=1):
    return _learn(u, a, b, r, q, c, padding, stride, area="unpadded")


# --- not wrong, but noted -------------------------------------------------------------------------

def learn_in_place(u, a, b, r, q, c, padding=0, stride=1):
    """Right, but it changes the caller's a and b: the grader notes it and does not take points."""
    a_new, b_new = _learn(u, a, b, r, q, c, padding, stride)
    a[...], b[...] = a_new, b_new
    return a, b
