"""cnnedu.exercises.localization: right answers pass, the chapter's slips get their diagnosis.

Every wrong answer below is what a reader gets by making one specific slip (the
comment shows it).  As in test_exercises.py, messages are fixed sentences whose
only digits are the 1 and 2 of formulas, so no message may hold the answer.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from cnnedu import sizes
from cnnedu.data import iou
from cnnedu.exercises import MISTAKES, CheckResult
from cnnedu.exercises import localization
from cnnedu.exercises.localization import check_iou, check_receptive_field

LENET = [(5, 1), (2, 2), (5, 1), (2, 2)]          # r = 16
TDNN = [(5, 1, 1), (5, 1, 2), (5, 1, 4)]          # r = 29


def _assert_not_revealed(result: CheckResult, correct) -> None:
    assert result.message in MISTAKES.values()
    assert set(re.findall(r"\d", result.message)) <= {"1", "2"}
    if isinstance(correct, int) and correct >= 3:
        assert re.search(rf"(?<![\d.]){correct}(?![\d.])", result.message) is None


def test_mistakes_registered_and_free_of_numbers():
    assert set(localization.LOCALIZATION_MISTAKES) <= set(MISTAKES)
    for text in localization.LOCALIZATION_MISTAKES.values():
        assert set(re.findall(r"\d", text)) <= {"1", "2"}, text


@pytest.mark.parametrize("layers", [LENET, TDNN, [(3, 2), (3, 2), (3, 1)], [(7, 2, 1), (3, 1, 3)]])
def test_right_answers_pass(layers):
    correct = sizes.receptive_field(layers)[0]
    assert check_receptive_field(correct, layers)
    assert check_receptive_field(np.int64(correct), layers)
    assert check_receptive_field(float(correct), layers)


@pytest.mark.parametrize("layers, answer, mistake", [
    (LENET, 11, "field_ignored_stride"),         # 1 + 4 + 1 + 4 + 1
    (LENET, 19, "field_own_stride"),             # 1 + 4·1 + 1·2 + 4·2 + 1·4
    (LENET, 14, "field_added_spans"),            # 5 + 2 + 5 + 2
    (LENET, 15, "field_forgot_one"),             # 16 - 1
    (LENET, 2, "field_last_layer"),              # the last pooling window
    (TDNN, 28, "field_forgot_one"),
    (TDNN, 31, "field_added_spans"),             # spans D(M - 1) + 1: 5 + 9 + 17
    (TDNN, 17, "field_last_layer"),              # 4·4 + 1
    (LENET, 17, "off_by_one_high"),
    (LENET, 40, "too_large"),
    (LENET, 0, "not_positive"),
])
def test_slips_get_their_diagnosis(layers, answer, mistake):
    correct = sizes.receptive_field(layers)[0]
    r = check_receptive_field(answer, layers)
    assert not r and r.answered and r.mistake == mistake, r
    _assert_not_revealed(r, correct)


def test_unanswered_and_unusable():
    r = check_receptive_field(None, LENET)
    assert not r and not r.answered and r.mistake is None
    assert check_receptive_field("16", LENET).mistake == "not_a_number"
    assert check_receptive_field(16.5, LENET).mistake == "not_whole"
    with pytest.raises(ValueError, match="check_receptive_field: layers"):
        check_receptive_field(3, [])
    with pytest.raises(TypeError, match="check_receptive_field"):
        check_receptive_field(3, [(5,)])


A, B = [0, 0, 2, 2], [1, 1, 3, 3]                  # IoU 1/7 = 0.142857...
C, D = [0, 0, 4, 3], [1, 0, 4, 6]                  # overlap 9, areas 12 and 18: IoU 9/21 = 0.428571...


@pytest.mark.parametrize("answer", [0.14, 0.143, 1 / 7, 0.1429])
def test_iou_right_to_two_decimals(answer):
    assert check_iou(answer, A, B)


@pytest.mark.parametrize("box_a, box_b, answer, mistake", [
    (A, B, 0.125, "iou_over_sum"),               # 1 / (4 + 4)
    (C, D, 0.75, "iou_over_one_box"),            # 9 / 12
    (C, D, 0.5, "iou_over_one_box"),             # 9 / 18
    (C, D, 9, "iou_intersection_only"),
    (C, D, 42.86, "iou_percent"),
    (C, D, 0.42, "iou_truncated"),               # 0.4285... cut off instead of rounded
    (C, D, 1.5, "iou_out_of_range"),
    (C, D, 0.2, "iou_wrong"),
    (C, D, "0.43", "not_a_number"),
])
def test_iou_slips(box_a, box_b, answer, mistake):
    r = check_iou(answer, box_a, box_b)
    assert not r and r.mistake == mistake, r
    _assert_not_revealed(r, float(iou(box_a, box_b)))


def test_iou_problem_errors():
    assert not check_iou(None, A, B).answered
    assert check_iou(0.43, C, D) and check_iou(0, [0, 0, 1, 1], [2, 2, 3, 3])
    with pytest.raises(ValueError, match="check_iou: box_a and box_b must each be four numbers"):
        check_iou(0.5, [[0, 0, 1, 1]], B)
    with pytest.raises(ValueError, match="check_iou"):
        check_iou(0.5, [0, 0, 1], B)
