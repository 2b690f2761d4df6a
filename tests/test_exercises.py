"""cnnedu.exercises: right answers pass, classic slips get their diagnosis, no answer is given away.

Every wrong answer below is the value a reader gets by making one specific slip
(the comment shows the arithmetic).  The problems are chosen so that the right
answer is at least 3: the checks' messages are fixed sentences whose only digits
are the 1 and 2 of formulas such as "D(M − 1) + 1" and "N + 2P", so a right
answer of 3 or more can be searched for in a message without false alarms.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnedu import sizes
from cnnedu.exercises import (MISTAKES, CheckResult, check_dilated_span, check_flattened_size,
                              check_output_size, check_parameter_count, check_pool_output_size,
                              check_same_padding)


def _mentions(message: str, number: int) -> bool:
    """True if ``number`` appears in ``message`` as a number of its own (not inside a longer one)."""
    return re.search(rf"(?<![\d.]){number}(?![\d.])", message) is not None


def _assert_not_revealed(result: CheckResult, correct) -> None:
    values = correct if isinstance(correct, tuple) else (correct,)
    for v in values:
        if v >= 3:
            assert not _mentions(result.message, v), (result.message, correct)
    assert str(correct) not in result.message or len(values) == 1 and values[0] < 3
    assert result.message in MISTAKES.values()


# ---------------------------------------------------------------------------
# The messages themselves
# ---------------------------------------------------------------------------

def test_messages_hold_no_number_but_the_ones_and_twos_of_formulas():
    for key, message in MISTAKES.items():
        assert set(re.findall(r"\d", message)) <= {"1", "2"}, key


def _chapter_module_mistakes() -> set:
    """Keys that chapter modules register (each ``*_MISTAKES`` dict); their own tests reach them."""
    import importlib
    import pkgutil

    import cnnedu.exercises as package

    keys = set()
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, value in vars(module).items():
            if name.endswith("_MISTAKES") and isinstance(value, dict):
                keys |= set(value)
    return keys


def test_every_diagnosis_is_reachable():
    """Each key of MISTAKES not owned by a chapter module is produced by a case of this file."""
    produced = {mistake for *_, mistake in OUTPUT_SLIPS + POOL_SLIPS + PARAMETER_SLIPS + PADDING_SLIPS
                + SPAN_SLIPS + FLATTEN_SLIPS + BAD_ANSWERS}
    assert set(MISTAKES) - _chapter_module_mistakes() - produced == set()


# ---------------------------------------------------------------------------
# check_output_size and check_pool_output_size
# ---------------------------------------------------------------------------

OUTPUT_SLIPS = [
    # (problem, wrong answer, diagnosis)
    (dict(n=11, kernel=3, stride=2), 4, "forgot_plus_one"),             # (11 - 3)/2 = 4, right 5
    (dict(n=12, kernel=3, stride=2), 5.5, "forgot_floor"),               # 9/2 + 1, right 5
    (dict(n=12, kernel=3, stride=2), 6, "rounded_up"),                   # ceil(9/2) + 1, right 5
    (dict(n=10, kernel=5, padding=2), 8, "padding_one_side"),            # 10 + 2 - 5 + 1, right 10
    (dict(n=10, kernel=5, padding=(1, 3)), 7, "padding_one_side"),       # 10 + 1 - 5 + 1, right 10
    (dict(n=10, kernel=5, padding=2), 6, "forgot_padding"),              # 10 - 5 + 1, right 10
    (dict(n=10, kernel=3, padding=2), 14, "padded_size"),                # 10 + 4, right 12
    (dict(n=10, kernel=3, padding=2), 16, "padding_twice"),              # 10 + 8 - 3 + 1, right 12
    (dict(n=16, kernel=3, padding=2, dilation=4), 18, "forgot_dilation"),  # 20 - 3 + 1, right 12
    (dict(n=16, kernel=3, padding=2, dilation=4), 9, "dilation_dm"),     # 20 - 12 + 1, right 12
    (dict(n=16, kernel=3, padding=2, dilation=4), 13, "span_without_one"),  # 20 - 8 + 1, right 12
    (dict(n=11, kernel=3, stride=2), 9, "forgot_stride"),                # 11 - 3 + 1, right 5
    (dict(n=11, kernel=3, stride=2), 11, "input_size"),                  # right 5
    (dict(n=12, kernel=5, stride=2), 6, "n_over_s"),                     # 12/2, right 4
    (dict(n=11, kernel=3, stride=2), 40, "too_large"),
    (dict(n=11, kernel=3, stride=2), 3, "too_small"),
    (dict(n=11, kernel=3), 10, "off_by_one_high"),                       # right 9
    (dict(n=11, kernel=3, stride=2), 0, "not_positive"),
]

POOL_SLIPS = [
    (dict(n=55, kernel=3, stride=2), 26, "forgot_plus_one"),             # AlexNet pool1, right 27
    (dict(n=28, kernel=2), 28, "input_size"),                            # LeNet-5 pool1, right 14
    (dict(n=28, kernel=2), 27, "forgot_stride"),
]


@pytest.mark.parametrize("problem, answer, mistake", OUTPUT_SLIPS)
def test_output_size_slips(problem, answer, mistake):
    correct = sizes.conv_output_size(**problem)
    assert correct >= 3
    r = check_output_size(answer, **problem)
    assert not r and r.answered and not r.correct
    assert r.mistake == mistake
    _assert_not_revealed(r, correct)


@pytest.mark.parametrize("problem, answer, mistake", POOL_SLIPS)
def test_pool_output_size_slips(problem, answer, mistake):
    correct = sizes.pool_output_size(**problem)
    r = check_pool_output_size(answer, **problem)
    assert not r and r.mistake == mistake
    _assert_not_revealed(r, correct)


@pytest.mark.parametrize("problem", [p for p, _, _ in OUTPUT_SLIPS] + [
    dict(n=5, kernel=3), dict(n=5, kernel=3, stride=2), dict(n=227, kernel=11, stride=4),
    dict(n=7, kernel=4, padding="same"), dict(n=6, kernel=4, padding="full"),
    dict(n=9, kernel=4, stride=2, padding=(1, 2)),
])
def test_output_size_right_answer_passes(problem):
    correct = sizes.conv_output_size(**problem)
    for answer in (correct, np.int64(correct), float(correct), np.array(correct)):
        r = check_output_size(answer, **problem)
        assert r and r.correct and r.mistake is None and r.status == "correct"


@given(n=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 5), d=st.integers(1, 3),
       pad=st.one_of(st.integers(0, 5), st.tuples(st.integers(0, 5), st.integers(0, 5)),
                     st.sampled_from(["valid", "same", "full"])),
       answer=st.integers(-5, 80))
def test_output_size_any_answer(n, k, s, d, pad, answer):
    try:
        correct = sizes.conv_output_size(n, k, s, pad, d)
    except ValueError:
        with pytest.raises(ValueError, match="check_output_size"):
            check_output_size(answer, n, k, s, pad, d)
        return
    r = check_output_size(answer, n, k, s, pad, d)
    assert bool(r) == (answer == correct)
    if answer != correct:
        assert r.mistake in MISTAKES and r.message == MISTAKES[r.mistake]
        _assert_not_revealed(r, correct)


def test_pool_stride_defaults_to_the_window():
    assert check_pool_output_size(14, 28, 2)
    assert check_pool_output_size(27, 28, 2, stride=1)


# ---------------------------------------------------------------------------
# check_parameter_count
# ---------------------------------------------------------------------------

ALEX1 = dict(in_channels=3, out_channels=96, kernel_size=11)            # right 34,944
ALEX2 = dict(in_channels=96, out_channels=256, kernel_size=5, groups=2)  # right 307,456

PARAMETER_SLIPS = [
    (ALEX1, 96 * 3 * 121, "forgot_bias"),
    (dict(ALEX1, bias=False), 96 * (3 * 121 + 1), "bias_not_in_layer"),
    (ALEX1, 96 * (121 + 1), "forgot_depth"),
    (ALEX1, 96 * 121, "forgot_depth"),
    (ALEX1, 3 * 121 + 1, "one_filter"),
    (ALEX1, 96 * 3 * 121 + 1, "one_bias_for_layer"),
    (ALEX1, 96 * (3 * 11 + 1), "kernel_not_squared"),
    (ALEX1, 96 * 3 * (121 + 1), "bias_per_input_map"),
    (ALEX1, 96 * (3 + 1), "forgot_kernel_area"),
    (ALEX2, 256 * (96 * 25 + 1), "forgot_groups"),
    (ALEX2, 128 * 48 * 25 + 256, "groups_twice"),
    (ALEX1, 96 * (3 * 121 + 1) - 1, "off_by_one_low"),
    (ALEX1, 10**9, "too_large"),
    (ALEX1, 3.5, "not_whole"),
]


@pytest.mark.parametrize("problem, answer, mistake", PARAMETER_SLIPS)
def test_parameter_count_slips(problem, answer, mistake):
    correct = sizes.conv_parameter_count(**problem)
    r = check_parameter_count(answer, **problem)
    assert not r and r.mistake == mistake
    _assert_not_revealed(r, correct)


@pytest.mark.parametrize("problem", [
    ALEX1, ALEX2, dict(ALEX1, bias=False), dict(in_channels=256, out_channels=64, kernel_size=1),
    dict(in_channels=6, out_channels=16, kernel_size=(5, 3)),
])
def test_parameter_count_right_answer_passes(problem):
    correct = sizes.conv_parameter_count(**problem)
    assert check_parameter_count(correct, **problem)


def test_lecture_first_layer_formula():
    # K1 (3 L^2 + 1) for K1 filters of L x L x 3
    for k1, L in [(16, 3), (32, 5), (64, 1)]:
        assert check_parameter_count(k1 * (3 * L * L + 1), 3, k1, L)


# ---------------------------------------------------------------------------
# check_same_padding
# ---------------------------------------------------------------------------

PADDING_SLIPS = [
    (dict(n=10, kernel=3, stride=3), (1, 1), "tensorflow_same"),     # right (2, 2)
    (dict(n=10, kernel=5, stride=4), (1, 2), "tensorflow_same"),     # right (3, 3)
    (dict(n=10, kernel=5, stride=4), (2, 2), "ignored_stride"),
    (dict(n=12, kernel=3, stride=3), (2, 3), "extra_full_stride"),   # 3 + 2 zeros, right (1, 1)
    (dict(n=9, kernel=3, dilation=3), (1, 1), "same_forgot_dilation"),  # right (3, 3)
    (dict(n=9, kernel=4), (3, 3), "full_padding"),                   # right (1, 2)
    (dict(n=9, kernel=4), (2, 2), "odd_total_split"),
    (dict(n=9, kernel=4), (1, 1), "odd_total_split"),
    (dict(n=9, kernel=7), (3, 4), "total_is_span"),                  # right (3, 3)
    (dict(n=10, kernel=3, stride=4), (4, 4), "total_each_side"),     # right (2, 2)
    (dict(n=9, kernel=5), (0, 4), "uneven_split"),                   # right (2, 2)
    (dict(n=10, kernel=3, stride=3), (0, 3), "same_size_other_padding"),
    (dict(n=9, kernel=3), (3, 4), "too_much_padding"),
    (dict(n=9, kernel=5), (0, 0), "too_little_padding"),
    (dict(n=9, kernel=5), 4, "pair_total"),
    (dict(n=9, kernel=5), 3, "not_a_pair"),
    (dict(n=9, kernel=5), (1, 2, 1), "not_a_pair"),
    (dict(n=9, kernel=5), (-1, 5), "negative_padding"),
    (dict(n=9, kernel=5), (1.5, 2.5), "not_whole"),
    (dict(n=9, kernel=5), ("2", "2"), "not_a_number"),
]


@pytest.mark.parametrize("problem, answer, mistake", PADDING_SLIPS)
def test_same_padding_slips(problem, answer, mistake):
    correct = sizes.same_padding(**problem)
    r = check_same_padding(answer, **problem)
    assert not r and r.mistake == mistake, (r, correct)
    _assert_not_revealed(r, correct)


@pytest.mark.parametrize("problem", [dict(n=5, kernel=3), dict(n=7, kernel=4), dict(n=10, kernel=3, stride=3),
                                     dict(n=9, kernel=3, dilation=3), dict(n=12, kernel=3, stride=3)])
def test_same_padding_right_answer_passes_in_either_order(problem):
    lo, hi = sizes.same_padding(**problem)
    assert check_same_padding((lo, hi), **problem)
    assert check_same_padding([lo, hi], **problem)
    assert check_same_padding(np.array([lo, hi]), **problem)
    swapped = check_same_padding((hi, lo), **problem)
    assert swapped and swapped.correct


def test_same_padding_tensorflow_gives_the_same_size_with_fewer_zeros():
    # The two rules differ by S - 1 zeros; both give ceil(N/S) outputs.
    n, k, s = 10, 3, 3
    lecture = sum(sizes.same_padding(n, k, s))
    assert lecture - 2 == s - 1
    assert sizes.conv_output_size(n, k, s, (1, 1)) == sizes.conv_output_size(n, k, s, "same") == math.ceil(n / s)


# ---------------------------------------------------------------------------
# check_dilated_span and check_flattened_size
# ---------------------------------------------------------------------------

SPAN_SLIPS = [
    (dict(kernel=3, dilation=4), 3, "forgot_dilation"),     # right 9
    (dict(kernel=3, dilation=4), 12, "dilation_dm"),
    (dict(kernel=3, dilation=4), 8, "span_without_one"),
    (dict(kernel=3, dilation=4), 11, "dilation_gaps_d"),
    (dict(kernel=3, dilation=4), 6, "dilation_added"),
    (dict(kernel=3, dilation=4), 10, "off_by_one_high"),
    (dict(kernel=3, dilation=4), 50, "too_large"),
]

FLATTEN_SLIPS = [
    (dict(channels=16, height=5), 25, "forgot_channels"),   # right 400
    (dict(channels=16, height=5), 80, "one_side_only"),
    (dict(channels=16, height=5), 160, "added_sides"),
    (dict(channels=16, height=5), 41, "added_channels"),
    (dict(channels=16, height=5), 7, "too_small"),
]


@pytest.mark.parametrize("problem, answer, mistake", SPAN_SLIPS)
def test_dilated_span_slips(problem, answer, mistake):
    r = check_dilated_span(answer, **problem)
    assert not r and r.mistake == mistake
    _assert_not_revealed(r, problem["dilation"] * (problem["kernel"] - 1) + 1)


@pytest.mark.parametrize("problem, answer, mistake", FLATTEN_SLIPS)
def test_flattened_size_slips(problem, answer, mistake):
    r = check_flattened_size(answer, **problem)
    assert not r and r.mistake == mistake
    _assert_not_revealed(r, problem["channels"] * problem["height"] ** 2)


def test_span_and_flattened_right_answers():
    assert check_dilated_span(9, 3, 4) and check_dilated_span(3, 3, 1)
    assert check_flattened_size(400, 16, 5) and check_flattened_size(9216, 256, 6)
    assert check_flattened_size(16 * 5 * 7, 16, 5, 7)


# ---------------------------------------------------------------------------
# Unanswered, unusable answers, invalid problems
# ---------------------------------------------------------------------------

BAD_ANSWERS = [
    # answers a reader might type that are not numbers at all
    (check_output_size, (5, 3), "3", "not_a_number"),
    (check_output_size, (5, 3), True, "not_a_number"),
    (check_output_size, (5, 3), [3], "not_a_number"),
    (check_output_size, (5, 3), float("nan"), "not_a_number"),
    (check_output_size, (8, 3), 2.5, "not_whole"),               # not the floorless 6.0 either
    (check_parameter_count, (3, 8, 3), "224", "not_a_number"),
    (check_dilated_span, (3, 2), None, None),
]


@pytest.mark.parametrize("check, problem, answer, mistake", BAD_ANSWERS)
def test_unusable_answers_get_a_message(check, problem, answer, mistake):
    r = check(answer, *problem)
    assert not r
    assert r.mistake == mistake
    if mistake is not None:
        assert r.message == MISTAKES[mistake]


@pytest.mark.parametrize("call", [
    lambda: check_output_size(None, 5, 3),
    lambda: check_pool_output_size(None, 28, 2),
    lambda: check_parameter_count(None, 3, 96, 11),
    lambda: check_same_padding(None, 5, 3),
    lambda: check_dilated_span(None, 3, 2),
    lambda: check_flattened_size(None, 16, 5),
])
def test_none_means_not_answered_yet(call):
    r = call()
    assert not r and not r.answered and r.status == "unanswered" and r.mistake is None
    assert "not answered yet" in repr(r)
    assert "None" in r.message
    assert "cnnedu-check-unanswered" in r._repr_html_()


@pytest.mark.parametrize("call, error, name", [
    (lambda: check_output_size(3, 5, 2.5), TypeError, "kernel"),
    (lambda: check_output_size(3, "5", 3), TypeError, "n"),
    (lambda: check_output_size(3, 5, 3, stride=0), ValueError, "stride"),
    (lambda: check_output_size(3, 5, 3, padding="half"), ValueError, "padding"),
    (lambda: check_output_size(3, 5, 9), ValueError, "does not fit"),
    (lambda: check_pool_output_size(3, 5, 2.0), TypeError, "kernel"),
    (lambda: check_parameter_count(3, 3, 8, 3, bias="yes"), TypeError, "bias"),
    (lambda: check_parameter_count(3, 3, 8, 3, groups=2), ValueError, "groups"),
    (lambda: check_parameter_count(3, 3, 8, "3"), TypeError, "kernel_size"),
    (lambda: check_same_padding((1, 1), 5, 3, stride=None), TypeError, "stride"),
    (lambda: check_dilated_span(3, 3, 0), ValueError, "dilation"),
    (lambda: check_flattened_size(3, 16, 5.0), TypeError, "height"),
])
def test_invalid_problems_raise_and_name_the_check(call, error, name):
    with pytest.raises(error, match=name) as info:
        call()
    assert str(info.value).startswith("check_")


# ---------------------------------------------------------------------------
# How a result shows itself
# ---------------------------------------------------------------------------

def test_repr_and_html():
    right = check_output_size(3, 5, 3)
    wrong = check_output_size(2, 5, 3)
    assert repr(right).startswith("✔ correct (output size)")
    assert repr(wrong).startswith("✘ not yet (output size)") and MISTAKES["forgot_plus_one"] in repr(wrong)
    assert str(wrong) == repr(wrong)
    page = wrong._repr_html_()
    assert page.startswith('<div class="cnnedu-check cnnedu-check-wrong"') and "#D55E00" in page
    assert "cnnedu-check-correct" in right._repr_html_()
    # the same result twice renders identically (notebooks store it and nbval compares it)
    assert check_output_size(2, 5, 3)._repr_html_() == page


def test_html_escapes_the_message():
    r = CheckResult("a < b", False, True, None, "x & <y>")
    assert "&lt;y&gt;" in r._repr_html_() and "a &lt; b" in r._repr_html_()


def test_result_is_immutable():
    r = check_output_size(3, 5, 3)
    with pytest.raises(AttributeError):
        r.correct = False
