"""cnnedu.exercises.pooling: right maps and values pass, the chapter's slips get their diagnosis.

Every wrong answer below is what a reader gets by making one specific slip (the
comment shows it).  As in test_exercises.py, messages are fixed sentences whose
only digits are the 1 and 2 of formulas, so no message can hold a right answer.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cnnedu.functional as F
from cnnedu import sizes
from cnnedu.exercises import MISTAKES, CheckResult, check_pooled_map, check_pooled_value
from cnnedu.exercises import pooling as pooling_checks

#: The lecture's single depth slice.
SLICE = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]
#: Exercise 1 of chapter 4: overlapping 3x3 pools, stride 2 -> 2x2.
E1 = [[3, 1, 0, 2, 5], [4, 8, 2, 1, 0], [0, 3, 6, 7, 1], [2, 5, 1, 0, 4], [9, 0, 2, 3, 1]]

#: The keys this module adds to MISTAKES.
OWN_KEYS = {"not_a_grid", "pool_flat", "pool_shape_stride_one", "pool_shape", "pool_transposed",
            "pool_ignored_stride", "pool_some_cells", "pool_values", "truncated", "max_gave_mean",
            "max_gave_sum", "max_gave_min", "max_not_in_window", "mean_gave_max", "mean_gave_sum",
            "mean_divided_by_side", "lp_gave_max", "lp_gave_mean", "lp_sum_not_mean", "lp_forgot_root"}


def _right_map(x, kernel_size=2, stride=None, mode="max", p=2.0):
    x4 = np.asarray(x, dtype=float)[None, None]
    if mode == "max":
        return F.max_pool2d(x4, kernel_size, stride)[0, 0]
    if mode == "mean":
        return F.avg_pool2d(x4, kernel_size, stride)[0, 0]
    return F.lp_pool2d(x4, p, kernel_size, stride)[0, 0]


def _assert_not_revealed(result: CheckResult, correct) -> None:
    assert result.message in MISTAKES.values()
    for v in np.ravel(correct):
        if v >= 3:
            for text in {f"{v:g}", f"{v:.2f}", f"{v:.1f}"}:
                assert re.search(rf"(?<![\d.]){re.escape(text)}(?![\d])", result.message) is None, \
                    (result.message, v)


# ---------------------------------------------------------------------------
# The messages
# ---------------------------------------------------------------------------

def test_module_registers_its_diagnoses():
    assert set(pooling_checks.POOLING_MISTAKES) == OWN_KEYS
    assert all(MISTAKES[k] == pooling_checks.POOLING_MISTAKES[k] for k in OWN_KEYS)


def test_messages_hold_no_number_but_the_ones_and_twos_of_formulas():
    for key in OWN_KEYS:
        assert set(re.findall(r"\d", MISTAKES[key])) <= {"1", "2"}, key


def test_every_diagnosis_of_this_module_is_reachable():
    produced = {mistake for *_, mistake in MAP_SLIPS + VALUE_SLIPS + BAD_ANSWERS}
    assert OWN_KEYS - produced == set()


# ---------------------------------------------------------------------------
# check_pooled_map
# ---------------------------------------------------------------------------

MAP_SLIPS = [
    # (problem, wrong answer, diagnosis)
    (dict(x=SLICE), [[3.25, 5.25], [2, 2]], "max_gave_mean"),                  # right [[6, 8], [3, 4]]
    (dict(x=SLICE), [[13, 21], [8, 8]], "max_gave_sum"),
    (dict(x=SLICE), [[1, 2], [1, 0]], "max_gave_min"),
    (dict(x=SLICE), [[6, 8], [3, 5]], "max_not_in_window"),                    # 5 is not in (1, 0, 3, 4)
    (dict(x=SLICE), [[6, 3], [8, 4]], "pool_transposed"),
    (dict(x=SLICE), [[6, 7], [6, 7]], "pool_ignored_stride"),                  # stride-1 windows
    (dict(x=SLICE), [[6, 7, 8], [6, 7, 8], [3, 3, 4]], "pool_shape_stride_one"),
    (dict(x=SLICE), [[6, 8, 8], [3, 4, 4]], "pool_shape"),
    (dict(x=SLICE), [6, 8, 3, 4], "pool_flat"),
    (dict(x=SLICE, mode="mean"), [[6, 8], [3, 4]], "mean_gave_max"),           # right [[3.25, 5.25], [2, 2]]
    (dict(x=SLICE, mode="mean"), [[13, 21], [8, 8]], "mean_gave_sum"),
    (dict(x=SLICE, mode="mean"), [[6.5, 10.5], [4, 4]], "mean_divided_by_side"),  # sum / K
    (dict(x=SLICE, mode="mean"), [[3.25, 5.25], [2, 3]], "pool_some_cells"),
    (dict(x=SLICE, mode="mean"), [[3.5, 5.5], [2.5, 2.5]], "pool_values"),
    # the slide: one window's maximum among values cut off after two decimals
    (dict(x=SLICE, mode="lp", p=5), [[4.86, 8], [2.38, 3.16]], "lp_gave_max"),
    (dict(x=SLICE, mode="lp", p=5), [[4.86, 6.61], [2.38, 3.16]], "truncated"),
    (dict(x=SLICE, mode="lp", p=5), [[3.25, 5.25], [2, 2]], "lp_gave_mean"),
    (dict(x=SLICE, mode="lp", p=5), [[6.42, 8.73], [3.15, 4.17]], "lp_sum_not_mean"),   # PyTorch's sum
    (dict(x=SLICE, mode="lp", p=2), [[15.75, 33.25], [4.5, 6.5]], "lp_forgot_root"),
    (dict(x=E1, kernel_size=3, stride=2), [[8, 8], [8, 8]], "pool_ignored_stride"),    # right [[8, 7], [9, 7]]
    (dict(x=E1, kernel_size=3, stride=2), [[8, 8, 7], [8, 8, 7], [9, 7, 7]], "pool_shape_stride_one"),
    (dict(x=E1, kernel_size=3, stride=2), [[8, 7], [9, 6]], "pool_some_cells"),
]


@pytest.mark.parametrize("problem, answer, mistake", MAP_SLIPS)
def test_pooled_map_slips(problem, answer, mistake):
    r = check_pooled_map(answer, **problem)
    assert not r and r.answered and r.mistake == mistake, r
    _assert_not_revealed(r, _right_map(**problem))


@pytest.mark.parametrize("problem", [
    dict(x=SLICE), dict(x=SLICE, mode="mean"), dict(x=SLICE, mode="lp", p=5),
    dict(x=SLICE, kernel_size=2, stride=1), dict(x=E1, kernel_size=3, stride=2),
    dict(x=E1, kernel_size=3, stride=2, mode="lp", p=3.5), dict(x=E1, kernel_size=(2, 3), mode="mean"),
])
def test_pooled_map_right_answers_pass(problem):
    correct = _right_map(**problem)
    for answer in (correct, correct.tolist(), correct.round(2), correct.round(2).tolist(),
                   tuple(map(tuple, correct.tolist()))):
        r = check_pooled_map(answer, **problem)
        assert r and r.correct and r.status == "correct" and r.mistake is None


def test_the_lectures_examples():
    assert check_pooled_map([[6, 8], [3, 4]], SLICE)
    assert check_pooled_map([[3.25, 5.25], [2, 2]], SLICE, mode="mean")
    assert check_pooled_map([[4.865, 6.614], [2.384, 3.164]], SLICE, mode="lp", p=5)
    assert check_pooled_map([[4.87, 6.61], [2.38, 3.16]], SLICE, mode="lp", p=5)   # rounded is right
    assert not check_pooled_map([[4.86, 8], [2.38, 3.16]], SLICE, mode="lp", p=5)  # the slide is not


def test_one_by_one_output_takes_a_number():
    assert check_pooled_map(8, [[2, 4], [7, 8]])
    assert check_pooled_map([8], [[2, 4], [7, 8]])
    assert check_pooled_map([[8]], [[2, 4], [7, 8]])


def test_a_single_row_output_may_be_flat():
    x = [[1, 5, 2, 7, 3, 0]]
    assert check_pooled_map([5, 7, 3], x, kernel_size=(1, 2))
    assert check_pooled_map([[5, 7, 3]], x, kernel_size=(1, 2))


@given(values=st.lists(st.integers(0, 9), min_size=16, max_size=16),
       mode=st.sampled_from(["max", "mean", "lp"]), k=st.integers(1, 3), s=st.integers(1, 3),
       noise=st.lists(st.integers(-3, 3), min_size=16, max_size=16))
def test_pooled_map_any_answer(values, mode, k, s, noise):
    x = np.array(values, dtype=float).reshape(4, 4)
    correct = _right_map(x, k, s, mode, 3.0)
    answer = correct + np.array(noise[:correct.size]).reshape(correct.shape)
    r = check_pooled_map(answer.tolist(), x, k, s, mode, 3.0)
    assert bool(r) == bool(np.all(noise[:correct.size] == np.zeros(correct.size)))
    if not r:
        assert r.mistake in MISTAKES and r.message == MISTAKES[r.mistake]
        _assert_not_revealed(r, correct)


# ---------------------------------------------------------------------------
# check_pooled_value
# ---------------------------------------------------------------------------

W = [[1, 5], [5, 7]]          # chapter 4, exercise 3: p = 2 gives 5; mean 4.5, max 7

VALUE_SLIPS = [
    (dict(window=W, mode="lp", p=2), 10, "lp_sum_not_mean"),        # sqrt(100)
    (dict(window=W, mode="lp", p=2), 25, "lp_forgot_root"),         # 100 / 4
    (dict(window=W, mode="lp", p=2), 7, "lp_gave_max"),
    (dict(window=W, mode="lp", p=2), 4.5, "lp_gave_mean"),
    (dict(window=W, mode="lp", p=2), 6, "too_large"),
    (dict(window=W, mode="lp", p=2), 3, "too_small"),
    (dict(window=[[1, 1], [5, 6]], mode="lp", p=5), 4.86, "truncated"),   # 4.865...
    (dict(window=[[2, 4], [7, 8]], mode="lp", p=5), 8, "lp_gave_max"),    # the slide's top-right cell
    (dict(window=W), 4.5, "max_gave_mean"),
    (dict(window=W), 18, "max_gave_sum"),
    (dict(window=W), 1, "max_gave_min"),
    (dict(window=W), 6, "max_not_in_window"),
    (dict(window=W, mode="mean"), 7, "mean_gave_max"),
    (dict(window=W, mode="mean"), 18, "mean_gave_sum"),
    (dict(window=W, mode="mean"), 9, "mean_divided_by_side"),
    (dict(window=W, mode="mean"), 5, "too_large"),
]


@pytest.mark.parametrize("problem, answer, mistake", VALUE_SLIPS)
def test_pooled_value_slips(problem, answer, mistake):
    r = check_pooled_value(answer, **problem)
    assert not r and r.mistake == mistake, r
    window = np.asarray(problem["window"], dtype=float)
    _assert_not_revealed(r, _right_map(window, window.shape, None, problem.get("mode", "max"),
                                       problem.get("p", 2.0)))


def test_pooled_value_right_answers_pass():
    assert check_pooled_value(5, W, mode="lp", p=2)
    assert check_pooled_value(np.float32(5.004), W, mode="lp", p=2)
    assert check_pooled_value(np.array(5.0), W, mode="lp", p=2)
    assert check_pooled_value(7, W) and check_pooled_value(4.5, W, mode="mean")
    assert check_pooled_value(6.61, [[2, 4], [7, 8]], mode="lp", p=5)
    assert check_pooled_value(6.614108, [[2, 4], [7, 8]], mode="lp", p=5)
    assert check_pooled_value(4, [3, 4, 1], mode="max")                  # a 1-D window
    # p-norm pooling uses magnitudes: a negative value counts by its size
    assert check_pooled_value(5, [[-1, 5], [-5, 7]], mode="lp", p=2)


def test_tolerance_is_two_decimals():
    # 6.614...: 6.61 and 6.62 are within 0.005 of it only if they round to it
    assert check_pooled_value(6.61, [[2, 4], [7, 8]], mode="lp", p=5)
    assert not check_pooled_value(6.62, [[2, 4], [7, 8]], mode="lp", p=5)
    assert not check_pooled_value(6.6, [[2, 4], [7, 8]], mode="lp", p=5)


# ---------------------------------------------------------------------------
# Unanswered, unusable answers, invalid problems
# ---------------------------------------------------------------------------

BAD_ANSWERS = [
    (check_pooled_map, dict(x=SLICE), "6, 8, 3, 4", "not_a_number"),
    (check_pooled_map, dict(x=SLICE), [["6", "8"], ["3", "4"]], "not_a_number"),
    (check_pooled_map, dict(x=SLICE), [[6, 8], [3, float("nan")]], "not_a_number"),
    (check_pooled_map, dict(x=SLICE), [[True, False], [True, True]], "not_a_number"),
    (check_pooled_map, dict(x=SLICE), [[6, 8], [3]], "not_a_grid"),
    (check_pooled_map, dict(x=SLICE), 6, "not_a_grid"),
    (check_pooled_map, dict(x=SLICE), [[[6, 8], [3, 4]]], "not_a_grid"),
    (check_pooled_map, dict(x=SLICE), [6, 8, 3], "not_a_grid"),
    (check_pooled_value, dict(window=W), "7", "not_a_number"),
    (check_pooled_value, dict(window=W), [7], "not_a_number"),
    (check_pooled_value, dict(window=W), True, "not_a_number"),
]


@pytest.mark.parametrize("check, problem, answer, mistake", BAD_ANSWERS)
def test_unusable_answers_get_a_message(check, problem, answer, mistake):
    r = check(answer, **problem)
    assert not r and r.answered and r.mistake == mistake
    assert r.message == MISTAKES[mistake]


@pytest.mark.parametrize("call", [
    lambda: check_pooled_map(None, SLICE),
    lambda: check_pooled_map(None, SLICE, mode="lp", p=5),
    lambda: check_pooled_value(None, W, mode="mean"),
])
def test_none_means_not_answered_yet(call):
    r = call()
    assert not r and not r.answered and r.status == "unanswered" and r.mistake is None
    assert "None" in r.message and "cnnedu-check-unanswered" in r._repr_html_()


@pytest.mark.parametrize("call, error, name", [
    (lambda: check_pooled_map(None, SLICE, mode="median"), ValueError, "mode"),
    (lambda: check_pooled_map(None, SLICE, mode=2), TypeError, "mode"),
    (lambda: check_pooled_map(None, SLICE, mode="lp", p=0.5), ValueError, "p"),
    (lambda: check_pooled_map(None, SLICE, kernel_size=5), ValueError, "does not fit"),
    (lambda: check_pooled_map(None, SLICE, kernel_size=2.0), TypeError, "kernel_size"),
    (lambda: check_pooled_map(None, SLICE, stride=0), ValueError, "stride"),
    (lambda: check_pooled_map(None, [1, 2, 3]), ValueError, "x"),
    (lambda: check_pooled_map(None, [["a", "b"]]), TypeError, "x"),
    (lambda: check_pooled_map(None, np.zeros((0, 3))), ValueError, "empty"),
    (lambda: check_pooled_value(None, [[1, 2], [3]]), TypeError, "window"),
    (lambda: check_pooled_value(None, np.zeros((2, 2, 2))), ValueError, "window"),
    (lambda: check_pooled_value(None, []), ValueError, "empty"),
])
def test_invalid_problems_raise_and_name_the_check(call, error, name):
    with pytest.raises(error, match=name) as info:
        call()
    assert str(info.value).startswith("check_pooled_")


def test_the_right_answer_comes_from_cnnedu():
    # the checks compute nothing themselves: their right answer is cnnedu.functional's
    x = np.random.default_rng(0).random((7, 7)) * 10
    for k, s in [(2, 2), (3, 2), (2, 1)]:
        correct = F.max_pool2d(x[None, None], k, s)[0, 0]
        assert correct.shape[0] == sizes.pool_output_size(7, k, s)
        assert check_pooled_map(correct, x, k, s)
    assert pooling_checks.__all__ == ["check_pooled_value", "check_pooled_map"]
