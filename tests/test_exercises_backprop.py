"""cnnedu.exercises.backprop: the checks of chapters 5 and 6 (backprop, transposed convolution).

As in test_exercises.py, every wrong answer below is the value one specific slip
gives (the comment shows the arithmetic), and right answers are confirmed against
code the checks do not use: the actual shapes ``cnnedu.functional`` returns and
the lecture's loops in ``cnnedu.reference``.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cnnedu.functional as F
from cnnedu import reference
from cnnedu.exercises import (MISTAKES, check_filter_gradient_entry, check_input_grad_size,
                              check_input_gradient_entry, check_max_pool_gradient_entry, check_output_padding,
                              check_overlap_count, check_transposed_output_size, check_upsampled_size)
from cnnedu.exercises.backprop import BACKPROP_MISTAKES


def _mentions(message: str, number) -> bool:
    return re.search(rf"(?<![\d.]){re.escape(str(number))}(?![\d.])", message) is not None


def _assert_wrong(r, mistake, correct=None):
    assert not r and r.answered and not r.correct and r.status == "wrong"
    assert r.mistake == mistake, (r.mistake, r.message)
    assert r.message == MISTAKES[mistake]
    if correct is not None and correct >= 3:
        assert not _mentions(r.message, correct)


# ---------------------------------------------------------------------------
# The messages
# ---------------------------------------------------------------------------

def test_messages_hold_no_number_but_the_ones_and_twos_of_formulas():
    for key, message in BACKPROP_MISTAKES.items():
        assert set(re.findall(r"\d", message)) <= {"1", "2"}, key


def test_diagnoses_are_registered_unchanged():
    for key, message in BACKPROP_MISTAKES.items():
        assert MISTAKES[key] == message


# ---------------------------------------------------------------------------
# Sizes
# ---------------------------------------------------------------------------

INPUT_GRAD_SLIPS = [
    # (problem, wrong answer, diagnosis); the right answer is (H-1)S + D(M-1) + 1 - P_lo - P_hi
    (dict(out_size=6, kernel=3), 6, "dz_size"),                              # right 8
    (dict(out_size=6, kernel=3), 4, "backward_used_forward_formula"),        # 6 - 3 + 1
    (dict(out_size=6, kernel=3), 10, "padded_dz_size"),                      # 6 + 2(3 - 1)
    (dict(out_size=6, kernel=3), 9, "expanded_plus_one"),                    # H + M
    (dict(out_size=4, kernel=3, stride=2), 6, "no_upsampling"),              # 4 + 3 - 1, right 9
    (dict(out_size=4, kernel=3, stride=2), 10, "slide_bh"),                  # 2·4 + 3 - 1
    (dict(out_size=6, kernel=7, padding=1), 12, "forgot_crop"),              # 6 + 7 - 1, right 10
    (dict(out_size=6, kernel=7, padding=1), 11, "crop_one_side"),            # 12 - 1
    (dict(out_size=6, kernel=7, padding=1), 8, "crop_twice"),                # 12 - 4
    (dict(out_size=5, kernel=3, dilation=2), 7, "forgot_dilation"),          # 5 + 3 - 1, right 9
    (dict(out_size=6, kernel=3), 40, "too_large"),
    (dict(out_size=6, kernel=3), 0, "not_positive"),
]

UPSAMPLED_SLIPS = [
    (dict(n=5, stride=3), 15, "zeros_after_last"),                # 5·3, right 13
    (dict(n=5, stride=3), 12, "upsample_forgot_plus_one"),        # 4·3
    (dict(n=5, stride=3), 9, "one_zero_between"),                 # 5 + 4
    (dict(n=5, stride=3), 7, "zeros_once"),                       # 5 + 2
    (dict(n=5, stride=3), 8, "only_inserted_zeros"),              # 4·2
]

TRANSPOSED_SLIPS = [
    (dict(n=4, kernel=3, stride=2), 10, "slide_bh"),                              # 2·4 + 2, right 9
    (dict(n=4, kernel=3, stride=2), 8, "times_stride"),                           # 4·2
    (dict(n=4, kernel=3, stride=2), 6, "stride_one_formula"),                     # 4 + 3 - 1
    (dict(n=4, kernel=3, stride=2), 7, "upsampled_only"),                         # 3·2 + 1
    (dict(n=9, kernel=3), 7, "transposed_used_forward_formula"),                  # 9 - 3 + 1, right 11
    (dict(n=4, kernel=4, stride=2, padding=1), 10, "forgot_crop"),                # 6 + 4, right 8
    (dict(n=4, kernel=4, stride=2, padding=1), 12, "padding_added"),              # 10 + 2
    (dict(n=4, kernel=4, stride=2, padding=1), 6, "crop_twice"),                  # 10 - 4
    (dict(n=5, kernel=5, padding=2), 7, "crop_one_side"),                         # 9 - 2, right 5
    (dict(n=5, kernel=3, stride=2, padding=1, output_padding=1), 9, "forgot_output_padding"),  # right 10
    (dict(n=4, kernel=3, dilation=2), 6, "forgot_dilation"),                      # 3 + 3, right 8
    (dict(n=4, kernel=3, stride=2), 30, "too_large"),
    (dict(n=5, kernel=3), 8, "expanded_plus_one"),                                # N + M, right 7
]

OUTPUT_PADDING_SLIPS = [
    (dict(in_size=8, kernel=3, stride=2, padding=1), 0, "output_padding_zero"),       # right 1
    (dict(in_size=8, kernel=3, stride=2, padding=1), 2, "output_padding_too_large"),
    (dict(in_size=8, kernel=3, stride=2, padding=1), -1, "output_padding_negative"),
    (dict(in_size=10, kernel=3, stride=3), 2, "output_padding_max"),                  # right 1
    (dict(in_size=11, kernel=3, stride=4), 2, "output_padding_other"),                # right 0
]


@pytest.mark.parametrize("problem, answer, mistake", INPUT_GRAD_SLIPS)
def test_input_grad_size_slips(problem, answer, mistake):
    r = check_input_grad_size(answer, **problem)
    correct = [n for n in range(1, 60) if check_input_grad_size(n, **problem)][0]
    assert correct >= 3
    _assert_wrong(r, mistake, correct)


@pytest.mark.parametrize("problem, answer, mistake", UPSAMPLED_SLIPS)
def test_upsampled_size_slips(problem, answer, mistake):
    _assert_wrong(check_upsampled_size(answer, **problem), mistake, 13)


@pytest.mark.parametrize("problem, answer, mistake", TRANSPOSED_SLIPS)
def test_transposed_output_size_slips(problem, answer, mistake):
    correct = F.conv_transpose1d(np.zeros((1, 1, problem["n"])), np.zeros((1, 1, problem["kernel"])),
                                 **{k: v for k, v in problem.items() if k not in ("n", "kernel")}).shape[-1]
    assert correct >= 3
    _assert_wrong(check_transposed_output_size(answer, **problem), mistake, correct)


@pytest.mark.parametrize("problem, answer, mistake", OUTPUT_PADDING_SLIPS)
def test_output_padding_slips(problem, answer, mistake):
    _assert_wrong(check_output_padding(answer, **problem), mistake)


@given(h=st.integers(1, 12), k=st.integers(1, 5), s=st.integers(1, 3), p=st.integers(0, 2),
       d=st.integers(1, 2), answer=st.integers(-3, 60))
def test_input_grad_size_is_the_size_of_conv2d_backwards_dx(h, k, s, p, d, answer):
    n = (h - 1) * s + d * (k - 1) + 1 - 2 * p          # the smallest input with h outputs
    if n < 1 or n + 2 * p < d * (k - 1) + 1 or 2 * p > d * (k - 1):
        return
    x, w = np.zeros((1, 1, n)), np.zeros((1, 1, k))
    if F.conv1d(x, w, stride=s, padding=p, dilation=d).shape[-1] != h:
        return
    dx = F.conv1d_backward(np.zeros((1, 1, h)), x, w, stride=s, padding=p, dilation=d)[0]
    assert check_input_grad_size(dx.shape[-1], h, k, s, p, d)
    r = check_input_grad_size(answer, h, k, s, p, d)
    assert bool(r) == (answer == dx.shape[-1])
    assert r.correct or r.message == MISTAKES[r.mistake]


@given(n=st.integers(1, 10), k=st.integers(1, 5), s=st.integers(1, 3), p=st.integers(0, 3),
       op=st.integers(0, 2), d=st.integers(1, 2), answer=st.integers(-3, 60))
def test_transposed_output_size_matches_conv_transpose1d(n, k, s, p, op, d, answer):
    try:
        z = F.conv_transpose1d(np.zeros((1, 1, n)), np.zeros((1, 1, k)), stride=s, padding=p,
                               output_padding=op, dilation=d)
    except ValueError:
        with pytest.raises(ValueError, match="^check_transposed_output_size"):
            check_transposed_output_size(answer, n, k, s, p, op, d)
        return
    assert check_transposed_output_size(z.shape[-1], n, k, s, p, op, d)
    r = check_transposed_output_size(answer, n, k, s, p, op, d)
    assert bool(r) == (answer == z.shape[-1])
    assert r.correct or r.message == MISTAKES[r.mistake]


@given(n=st.integers(1, 12), s=st.integers(1, 4), answer=st.integers(-2, 60))
def test_upsampled_size_matches_upsample(n, s, answer):
    size = F.upsample(np.zeros((1, 1, n)), s).shape[-1]
    assert check_upsampled_size(size, n, s)
    r = check_upsampled_size(answer, n, s)
    assert bool(r) == (answer == size)


@given(n=st.integers(1, 16), k=st.integers(1, 5), s=st.integers(1, 4), p=st.integers(0, 2),
       d=st.integers(1, 2), answer=st.integers(-1, 4))
def test_output_padding_recovers_the_input_size(n, k, s, p, d, answer):
    if n + 2 * p < d * (k - 1) + 1:
        return
    z = F.conv1d(np.zeros((1, 1, n)), np.zeros((1, 1, k)), stride=s, padding=p, dilation=d)

    def size(op):
        try:
            return F.conv_transpose1d(z, np.zeros((1, 1, k)), stride=s, padding=p, output_padding=op,
                                      dilation=d).shape[-1]
        except ValueError:           # this output_padding is too small: the padding crops everything
            return None

    right = [op for op in range(max(s, d)) if size(op) == n]
    assert len(right) == 1
    assert check_output_padding(right[0], n, k, s, p, d)
    r = check_output_padding(answer, n, k, s, p, d)
    assert bool(r) == (answer == right[0])
    assert r.correct or r.message == MISTAKES[r.mistake]


def test_lecture_sizes():
    # 2 -> 5 with a 3x3 kernel and stride 2 (the expanding layer's loop allocates (W-1)b + K)
    assert check_transposed_output_size(5, 2, 3, 2)
    assert check_transposed_output_size(6, 2, 3, 2).mistake == "slide_bh"        # bH + (K - 1)
    # the Y-derivative map of a stride-1 layer is H + K - 1
    assert check_input_grad_size(5 + 3 - 1, 5, 3)
    # "same" padding makes a transposed convolution give exactly N·S
    assert check_transposed_output_size(8, 4, 3, 2, padding="same")


# ---------------------------------------------------------------------------
# Entries of derivatives, by hand
# ---------------------------------------------------------------------------

DZ2 = np.array([[1.0, 2.0], [3.0, 4.0]])
W2 = np.array([[1.0, 0.0], [0.0, -1.0]])
DZ_MAPS = np.array([[[1.0, 2.0], [0.0, -1.0]], [[2.0, 0.0], [1.0, 3.0]]])     # two dz maps
W_MAPS = np.array([[[[1.0, 2.0], [0.0, 1.0]]], [[[-1.0, 1.0], [2.0, 0.0]]]])   # two filters, one input map
X3 = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 0.0, 1.0]])
DZ_X3 = np.array([[1.0, -1.0], [0.0, 2.0]])
X5 = np.arange(25.0).reshape(5, 5) % 7 - 3
POOL_X = np.array([[1.0, 2.0, 0.0], [3.0, 9.0, 1.0], [0.0, 2.0, 4.0]])


def _ref_dx(dz, w, in_size, stride=1, padding=0):
    dz = np.asarray(dz, float).reshape((1, -1, *np.shape(dz)[-2:]))
    w = np.asarray(w, float).reshape((dz.shape[1], -1, *np.shape(w)[-2:]))
    return reference.conv2d_backward(dz, np.zeros((1, w.shape[1], *in_size)), w, stride, padding)[0][0]


def test_input_entry_slips():
    # dY(1, 1) = dz(1, 1) w(0, 0) + dz(0, 0) w(1, 1) = 4 - 1 = 3; unflipped: 1·1 + 4·(-1)
    assert check_input_gradient_entry(3, DZ2, W2, (1, 1))
    _assert_wrong(check_input_gradient_entry(-3, DZ2, W2, (1, 1)), "unflipped_filter")
    _assert_wrong(check_input_gradient_entry(7, DZ2, W2, (1, 1)), "input_entry_other")
    # two dz maps feed the one input map: each alone is a slip
    right = _ref_dx(DZ_MAPS, W_MAPS, (3, 3))[0, 0, 1]
    assert check_input_gradient_entry(right, DZ_MAPS, W_MAPS, (0, 0, 1))
    for n in range(2):
        alone = _ref_dx(DZ_MAPS[n:n + 1], W_MAPS[n:n + 1], (3, 3))[0, 0, 1]
        assert not math.isclose(alone, right)
        _assert_wrong(check_input_gradient_entry(alone, DZ_MAPS, W_MAPS, (0, 0, 1)), "one_output_map")


def test_input_entry_stride_and_padding_slips():
    # stride 2: a 2x2 dz comes from a 4x4 input with a 2x2 filter; without upsampling, a 3x3 map
    right = _ref_dx(DZ2, W2, (4, 4), stride=2)[0, 1, 1]
    no_up = _ref_dx(DZ2, W2, (3, 3))[0, 1, 1]
    assert (right, no_up) == (-1.0, 3.0)
    assert check_input_gradient_entry(right, DZ2, W2, (1, 1), stride=2)
    _assert_wrong(check_input_gradient_entry(no_up, DZ2, W2, (1, 1), stride=2), "no_upsampling")
    # padding 1: the padded map's derivative read at the unpadded position
    dz = np.array([[1.0, 0.0, 2.0], [0.0, -1.0, 1.0], [3.0, 1.0, 0.0]])
    right = _ref_dx(dz, W2, (2, 2), padding=1)[0, 0, 1]
    padded = _ref_dx(dz, W2, (4, 4))[0, 0, 1]
    assert right != padded
    assert check_input_gradient_entry(right, dz, W2, (0, 1), padding=1)
    _assert_wrong(check_input_gradient_entry(padded, dz, W2, (0, 1), padding=1), "indexed_padded_map")


def test_filter_entry_slips():
    # dw(0, 1) = 1·2 - 1·0 + 0·1 + 2·3 = 8; with dz flipped (a convolution): 2·2 + 0·0 - 1·1 + 1·3 = 6
    assert check_filter_gradient_entry(8, DZ_X3, X3, 2, (0, 1))
    _assert_wrong(check_filter_gradient_entry(6, DZ_X3, X3, 2, (0, 1)), "flipped_correlation")
    _assert_wrong(check_filter_gradient_entry(1, DZ_X3, X3, 2, (0, 1)), "filter_entry_other")
    # stride 2 on a 5x5 input with a 3x3 filter: dz is 2x2
    dw = reference.conv2d_backward(DZ_X3[None, None], X5[None, None], np.zeros((1, 1, 3, 3)), 2)[1]
    right = dw[0, 0, 1, 2]
    contiguous = float(np.sum(DZ_X3 * X5[1:3, 2:4]))          # windows one apart
    assert right != contiguous
    assert check_filter_gradient_entry(right, DZ_X3, X5, 3, (0, 0, 1, 2), stride=2)
    _assert_wrong(check_filter_gradient_entry(contiguous, DZ_X3, X5, 3, (1, 2), stride=2),
                  "filter_forgot_stride")
    # padding 1 on a 3x3 input with a 2x2 filter: dz is 4x4
    dz = np.arange(16.0).reshape(4, 4) % 5 - 2
    dw = reference.conv2d_backward(dz[None, None], X3[None, None], np.zeros((1, 1, 2, 2)), 1, 1)[1]
    unpadded = float(np.sum(dz * np.pad(X3, ((0, 2), (0, 2)))[0:4, 1:5]))
    assert dw[0, 0, 0, 1] != unpadded
    assert check_filter_gradient_entry(dw[0, 0, 0, 1], dz, X3, 2, (0, 1), padding=1)
    _assert_wrong(check_filter_gradient_entry(unpadded, dz, X3, 2, (0, 1), padding=1), "filter_forgot_padding")


MAX_POOL_SLIPS = [
    # 2x2 windows, stride 1 on POOL_X: the 9 is the maximum of all four windows
    ([[1, 2], [3, 4]], (1, 1), 4, "overwrote_not_added"),      # the last window's dy only, right 10
    ([[1, 2], [3, 4]], (1, 1), 1, "overwrote_not_added"),      # the first window's dy only
    ([[1, 2], [3, 4]], (1, 1), 2.5, "mean_pool_gradient"),     # (1 + 2 + 3 + 4)/4
    ([[1, 2], [3, 4]], (1, 1), 9, "answered_the_maximum"),
    ([[1, 2], [3, 5]], (1, 1), 4, "counted_windows"),          # four windows, right 11
    ([[1, 2], [3, 4]], (1, 2), 6, "every_covering_window"),    # dy 2 + 4 of the windows covering it, right 0
    ([[1, 2], [3, 4]], (1, 1), 7, "max_pool_entry_other"),
]


@pytest.mark.parametrize("dy, position, answer, mistake", MAX_POOL_SLIPS)
def test_max_pool_entry_slips(dy, position, answer, mistake):
    _assert_wrong(check_max_pool_gradient_entry(answer, POOL_X, dy, position, 2, stride=1), mistake)


def test_max_pool_entry_right_answers():
    dy = np.array([[1.0, 2.0], [3.0, 4.0]])
    dx = reference.max_pool2d_backward(dy[None, None], POOL_X[None, None], 2, 1)[0, 0]
    for pos, value in np.ndenumerate(dx):
        assert check_max_pool_gradient_entry(value, POOL_X, dy, pos, 2, stride=1)
    assert dx[1, 1] == 10 and dx[1, 2] == 0


OVERLAP_SLIPS = [
    (dict(n=6, kernel=3, stride=2, position=5), 3, "every_tap"),         # right 1
    (dict(n=6, kernel=3, stride=2, position=5), 2, "uneven_overlap"),    # the count at even positions
    (dict(n=6, kernel=5, stride=2, position=0), 3, "overlap_edge"),      # right 1
    (dict(n=6, kernel=5, stride=2, position=0), 2, "uneven_overlap"),
    (dict(n=6, kernel=5, stride=2, position=0), 4, "overlap_other"),
    (dict(n=6, kernel=5, stride=2, position=0), 2.5, "not_whole"),       # M/S
]


@pytest.mark.parametrize("problem, answer, mistake", OVERLAP_SLIPS)
def test_overlap_slips(problem, answer, mistake):
    _assert_wrong(check_overlap_count(answer, **problem), mistake)


@given(n=st.integers(1, 8), k=st.integers(1, 6), s=st.integers(1, 4), data=st.data())
def test_overlap_count_counts_pairs(n, k, s, data):
    t = data.draw(st.integers(0, (n - 1) * s + k - 1))
    pairs = sum(1 for p in range(n) for i in range(k) if p * s + i == t)
    assert check_overlap_count(pairs, n, k, s, t)
    assert not check_overlap_count(pairs + 1, n, k, s, t)


@given(seed=st.integers(0, 10_000), c_out=st.integers(1, 2), c_in=st.integers(1, 2), k=st.integers(1, 3),
       s=st.integers(1, 2), p=st.integers(0, 1), h=st.integers(1, 3), answer=st.floats(-20, 20))
def test_entry_checks_agree_with_the_lectures_loops(seed, c_out, c_in, k, s, p, h, answer):
    rng = np.random.default_rng(seed)
    n_in = (h - 1) * s + k - 2 * p
    if n_in < 1 or p >= k:
        return
    dz = rng.integers(-3, 4, (c_out, h, h)).astype(float)
    w = rng.integers(-3, 4, (c_out, c_in, k, k)).astype(float)
    x = rng.integers(-3, 4, (c_in, n_in, n_in)).astype(float)
    dx, dw, _ = reference.conv2d_backward(dz[None], x[None], w, s, p)
    pos = tuple(int(rng.integers(0, e)) for e in dx.shape[1:])
    idx = tuple(int(rng.integers(0, e)) for e in dw.shape)
    assert check_input_gradient_entry(dx[(0, *pos)], dz, w, pos, stride=s, padding=p)
    assert check_filter_gradient_entry(dw[idx], dz, x, k, idx, stride=s, padding=p)
    for r in (check_input_gradient_entry(answer, dz, w, pos, stride=s, padding=p),
              check_filter_gradient_entry(answer, dz, x, k, idx, stride=s, padding=p)):
        assert r.correct or r.message == MISTAKES[r.mistake]


# ---------------------------------------------------------------------------
# Every diagnosis is reachable
# ---------------------------------------------------------------------------

def test_every_new_diagnosis_is_reachable():
    produced = {m for *_, m in INPUT_GRAD_SLIPS + UPSAMPLED_SLIPS + TRANSPOSED_SLIPS + OUTPUT_PADDING_SLIPS
                + MAX_POOL_SLIPS + OVERLAP_SLIPS}
    produced |= {"unflipped_filter", "input_entry_other", "one_output_map", "no_upsampling",
                 "indexed_padded_map", "flipped_correlation", "filter_entry_other", "filter_forgot_stride",
                 "filter_forgot_padding"}     # by the test_*_entry_* functions above
    assert set(BACKPROP_MISTAKES) - produced == set()


# ---------------------------------------------------------------------------
# Unanswered, unusable answers, invalid problems
# ---------------------------------------------------------------------------

CALLS = [
    (check_input_grad_size, dict(out_size=6, kernel=3)),
    (check_upsampled_size, dict(n=5, stride=3)),
    (check_transposed_output_size, dict(n=4, kernel=3, stride=2)),
    (check_output_padding, dict(in_size=8, kernel=3, stride=2, padding=1)),
    (check_input_gradient_entry, dict(dz=DZ2, w=W2, position=(1, 1))),
    (check_filter_gradient_entry, dict(dz=DZ_X3, x=X3, kernel_size=2, index=(0, 1))),
    (check_max_pool_gradient_entry, dict(x=POOL_X, dy=[[1, 2], [3, 4]], position=(1, 1), kernel_size=2,
                                         stride=1)),
    (check_overlap_count, dict(n=6, kernel=3, stride=2, position=5)),
]


@pytest.mark.parametrize("check, problem", CALLS)
def test_none_means_not_answered_yet(check, problem):
    r = check(None, **problem)
    assert not r and not r.answered and r.status == "unanswered" and r.mistake is None
    assert "None" in r.message and "cnnedu-check-unanswered" in r._repr_html_()


@pytest.mark.parametrize("check, problem", CALLS)
@pytest.mark.parametrize("answer, mistake", [("3", "not_a_number"), (True, "not_a_number"),
                                             (float("nan"), "not_a_number"), ([3], "not_a_number")])
def test_unusable_answers_get_a_message(check, problem, answer, mistake):
    _assert_wrong(check(answer, **problem), mistake)


@pytest.mark.parametrize("check, problem", CALLS[:3])
def test_sizes_are_whole_numbers(check, problem):
    _assert_wrong(check(7.5, **problem), "not_whole")


@pytest.mark.parametrize("check, problem", CALLS)
def test_right_answers_of_any_numeric_type(check, problem):
    correct = next(a for a in range(-5, 60) if check(a, **problem))
    for answer in (np.int64(correct), float(correct), np.array(correct), np.float32(correct)):
        assert check(answer, **problem)


@pytest.mark.parametrize("call, error, name", [
    (lambda: check_input_grad_size(3, 0, 3), ValueError, "out_size"),
    (lambda: check_input_grad_size(3, 4, 2.5), TypeError, "kernel"),
    (lambda: check_input_grad_size(3, 4, 3, padding="same"), ValueError, "padding"),
    (lambda: check_upsampled_size(3, 4, 0), ValueError, "stride"),
    (lambda: check_transposed_output_size(3, 4, 3, stride=2, output_padding=2), ValueError, "output_padding"),
    (lambda: check_transposed_output_size(3, 4, 3, padding="full"), ValueError, "full"),
    (lambda: check_output_padding(1, 2, 5), ValueError, "does not fit"),
    (lambda: check_input_gradient_entry(0, DZ2, W2, (5, 5)), ValueError, "position"),
    (lambda: check_input_gradient_entry(0, DZ2, W2, (1,)), TypeError, "position"),
    (lambda: check_input_gradient_entry(0, DZ2, W2, (1, 1), input_size=5), ValueError, "dz has"),
    (lambda: check_input_gradient_entry(0, DZ_MAPS, W2, (1, 1)), ValueError, "filters"),
    (lambda: check_input_gradient_entry(0, DZ_MAPS, W_MAPS, (1, 1, 1)), ValueError, "position"),
    (lambda: check_filter_gradient_entry(0, DZ_X3, X3, 3, (0, 1)), ValueError, "dz has"),
    (lambda: check_filter_gradient_entry(0, DZ_X3, X3, 2, (0, 1), padding=-1), ValueError, "padding"),
    (lambda: check_max_pool_gradient_entry(0, POOL_X, [[1, 2]], (1, 1), 2, stride=1), ValueError, "dy"),
    (lambda: check_max_pool_gradient_entry(0, POOL_X, [[1]], (1, 1), 5), ValueError, "does not fit"),
    (lambda: check_overlap_count(1, 6, 3, 2, 13), ValueError, "position"),
])
def test_invalid_problems_raise_and_name_the_check(call, error, name):
    with pytest.raises(error, match=name) as info:
        call()
    assert str(info.value).startswith("check_")
