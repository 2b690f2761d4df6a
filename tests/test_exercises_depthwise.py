"""cnnedu.exercises, chapter 7: depthwise-separable parameter counts, MACs and savings.

Each wrong answer is what one specific slip gives (the comment shows the arithmetic).
Problems are chosen so that the right answer is at least 3 and never appears in a message.
"""

from __future__ import annotations

import re

import pytest

from cnnedu import sizes
from cnnedu.exercises import (MISTAKES, check_parameter_saving, check_separable_macs,
                              check_separable_parameter_count)
from cnnedu.exercises.depthwise import DEPTHWISE_MISTAKES

M, N, K, O = 32, 64, 3, 16
DW, PW = M * K * K, N * M                      # 288 and 2048 weights


def _not_revealed(result, correct):
    text = f"{correct:g}" if isinstance(correct, float) else str(correct)
    assert re.search(rf"(?<![\d.]){re.escape(text)}(?![\d.])", result.message) is None
    assert result.message in MISTAKES.values()


def test_messages_registered_and_hold_no_number_but_ones_and_twos():
    for key, message in DEPTHWISE_MISTAKES.items():
        assert MISTAKES[key] == message
        assert set(re.findall(r"\d", message)) <= {"1", "2"}, key


PARAMETER_SLIPS = [
    # (bias, wrong answer, diagnosis); right: 288 + 2048 (+ 32 + 64)
    (True, N * (M * K * K + 1), "gave_conventional"),        # conventional layer with biases
    (False, N * M * K * K, "gave_conventional"),
    (True, DW + PW, "separable_forgot_bias"),
    (False, DW + PW + M + N, "separable_bias_not_in_layer"),
    (True, DW + PW + N, "separable_one_bias_set"),
    (False, DW, "forgot_pointwise"),
    (False, PW, "forgot_depthwise"),
    (False, N * K * K + PW, "depthwise_n_filters"),          # N depthwise filters
    (False, M * M * K * K + PW, "depthwise_full_depth"),     # depthwise filters M deep
    (False, DW + N * M * K * K, "pointwise_with_kernel"),    # 3x3 pointwise filters
    (False, DW + PW + 1, "off_by_one_high"),
    (False, 10 ** 6, "too_large"),
    (False, 7, "too_small"),
]


@pytest.mark.parametrize("bias, answer, mistake", PARAMETER_SLIPS)
def test_parameter_slips(bias, answer, mistake):
    r = check_separable_parameter_count(answer, M, N, K, bias=bias)
    assert not r and r.mistake == mistake
    _not_revealed(r, sizes.depthwise_separable_parameter_count(M, N, K, bias=bias))


@pytest.mark.parametrize("bias", [True, False])
def test_parameter_right_and_matches_layer(bias):
    from cnnedu import nn
    layer = nn.DepthwiseSeparableConv2d(M, N, K, bias=bias, rng=0)
    count = sum(p.size for p in layer.parameters())
    assert check_separable_parameter_count(count, M, N, K, bias=bias)
    assert check_separable_parameter_count(float(count), M, N, K, bias=bias)


MACS_SLIPS = [
    (N * M * K * K * O * O, "macs_gave_conventional"),
    (DW + PW, "macs_gave_parameters"),
    ((DW + PW) * O, "macs_output_not_squared"),
    (DW * O * O, "macs_forgot_pointwise"),
    (PW * O * O, "macs_forgot_depthwise"),
    (3, "too_small"),
]


@pytest.mark.parametrize("answer, mistake", MACS_SLIPS)
def test_macs_slips(answer, mistake):
    r = check_separable_macs(answer, M, N, K, O)
    assert not r and r.mistake == mistake
    _not_revealed(r, sizes.depthwise_separable_macs(M, N, K, O))


def test_macs_right():
    assert check_separable_macs((DW + PW) * O * O, M, N, K, O)


SAVING = N * M * K * K / (DW + PW)                # 7.89...


@pytest.mark.parametrize("answer, mistake", [
    (1 / SAVING, "saving_inverted"), (N, "saving_kernel_only"), (K * K, "saving_pointwise_only"),
    (5.0, "saving_not_close"), (0, "not_positive"), ("7.9", "not_a_number"),
])
def test_saving_slips(answer, mistake):
    r = check_parameter_saving(answer, M, N, K)
    assert not r and r.mistake == mistake
    assert "7.8" not in r.message and "7.9" not in r.message


@pytest.mark.parametrize("answer", [SAVING, round(SAVING, 2), round(SAVING, 3)])
def test_saving_right(answer):
    assert check_parameter_saving(answer, M, N, K)


@pytest.mark.parametrize("check, args", [
    (check_separable_parameter_count, (M, N, K)), (check_separable_macs, (M, N, K, O)),
    (check_parameter_saving, (M, N, K)),
])
def test_unanswered_and_bad_answers(check, args):
    r = check(None, *args)
    assert not r and not r.answered and r.status == "unanswered"
    assert check("many", *args).mistake == "not_a_number"
    assert check(True, *args).mistake == "not_a_number"


@pytest.mark.parametrize("check, args", [
    (check_separable_parameter_count, (0, N, K)), (check_separable_macs, (M, N, K, 0)),
    (check_parameter_saving, (M, N, 2.5)),
])
def test_bad_problem_raises_naming_the_check(check, args):
    with pytest.raises((TypeError, ValueError), match=check.__name__):
        check(None, *args)


def test_whole_number_checks_reject_fractions():
    assert check_separable_parameter_count(2336.5, M, N, K, bias=False).mistake == "not_whole"
    assert check_separable_macs(-4, M, N, K, O).mistake == "not_positive"
