"""cnnedu.exercises.invariance: right answers pass, the chapter's slips get their diagnosis.

Each wrong answer is what one specific slip gives (the comment shows it).  Messages
are fixed sentences, so none may hold the right answer; the right answers are
also checked against the layer itself (its parameters, and where its backward
pass sends a derivative).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from cnnedu import nn, sizes
from cnnedu.exercises import MISTAKES
from cnnedu.exercises.invariance import (INVARIANCE_MISTAKES, check_invariant_macs,
                                         check_invariant_parameter_count, check_tap_correspondence)
from cnnedu.nn.invariant import DIHEDRAL_TRANSFORMS


def _not_revealed(result, correct):
    values = correct if isinstance(correct, tuple) else (correct,)
    for v in values:
        if v >= 3:
            assert re.search(rf"(?<![\d.]){v}(?![\d.])", result.message) is None, (result.message, correct)
    assert result.message in MISTAKES.values()


def test_messages_registered_and_hold_no_number_but_ones_and_twos():
    for key, message in INVARIANCE_MISTAKES.items():
        assert MISTAKES[key] == message
        assert set(re.findall(r"\d", message)) <= {"1", "2"}, key


C, O, K, T = 8, 16, 3, 4              # right: 16 (8*9 + 1) = 1168 parameters
W = O * C * K * K                     # 1152 weights

PARAMETER_SLIPS = [
    (True, T * (W + O), "invariant_counted_copies"),      # four layers' worth
    (True, T * W + O, "invariant_counted_copies"),        # copies' weights, one bias per filter
    (True, W + T * O, "invariant_bias_per_copy"),
    (True, W, "forgot_bias"),
    (False, W + O, "bias_not_in_layer"),
    (True, O * (K * K + 1), "forgot_depth"),
    (True, W + O + 1, "off_by_one_high"),
    (True, 10 ** 7, "too_large"),
    (True, 5, "too_small"),
]


@pytest.mark.parametrize("bias, answer, mistake", PARAMETER_SLIPS)
def test_parameter_slips(bias, answer, mistake):
    correct = sizes.conv_parameter_count(C, O, K, bias=bias)
    r = check_invariant_parameter_count(answer, C, O, K, T, bias=bias)
    assert not r and r.answered and r.mistake == mistake, r
    _not_revealed(r, correct)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("transforms", ["rotations", "flips", "dihedral"])
def test_parameter_right_and_matches_the_layer(bias, transforms):
    layer = nn.TransformInvariantConv2d(C, O, K, bias=bias, transforms=transforms, rng=0)
    count = sum(p.size for p in layer.parameters())
    assert check_invariant_parameter_count(count, C, O, K, layer.num_transforms, bias=bias)
    assert check_invariant_parameter_count(np.int64(count), C, O, K, layer.num_transforms, bias=bias)


def test_one_transform_is_an_ordinary_layer():
    assert check_invariant_parameter_count(sizes.conv_parameter_count(3, 5, 3), 3, 5, 3, 1)


MACS_SLIPS = [
    # in 1 -> out 8 maps, 3x3, output 8x8, four copies: right 4 * 8 * 64 * 9 = 18432
    (dict(c=1), 8 * 64 * 9, "invariant_macs_forgot_copies"),
    (dict(c=2), T * 8 * 64 * 9, "invariant_macs_forgot_depth"),
    (dict(c=1), T * 8 * 8 * 9, "invariant_macs_output_not_squared"),
    (dict(c=1), T * 8 * 9, "invariant_macs_gave_parameters"),
    (dict(c=1), 8 * 9, "invariant_macs_gave_parameters"),
    (dict(c=1), 10 ** 9, "too_large"),
    (dict(c=1), 100, "too_small"),
]


@pytest.mark.parametrize("problem, answer, mistake", MACS_SLIPS)
def test_macs_slips(problem, answer, mistake):
    correct = T * sizes.conv_macs(problem["c"], 8, 3, 8)
    r = check_invariant_macs(answer, problem["c"], 8, 3, 8, T)
    assert not r and r.mistake == mistake, r
    _not_revealed(r, correct)


def test_macs_right_and_counts_the_layers_work():
    """The right answer is what the layer's one stacked convolution computes."""
    layer = nn.TransformInvariantConv2d(2, 8, 3, padding=1, transforms="dihedral", rng=0)
    stacked = layer.expanded_weight().reshape(-1, 2, 3, 3)
    assert check_invariant_macs(sizes.conv_macs(2, stacked.shape[0], 3, 8), 2, 8, 3, 8, 8)


@pytest.mark.parametrize("transform", DIHEDRAL_TRANSFORMS)
@pytest.mark.parametrize("tap", [(0, 0), (0, 1), (1, 2), (2, 1)])
def test_tap_right_answer_is_where_backward_sends_the_derivative(transform, tap):
    """A derivative at one tap of the copy, pushed through the layer's backward, lands on the answer."""
    layer = nn.TransformInvariantConv2d(1, 1, 3, transforms=(transform,), bias=False, dtype=np.float64, rng=0)
    x = np.zeros((1, 1, 3, 3))
    x[0, 0][tap] = 1.0                             # the single output reads tap `tap` of the copy at x[tap]
    layer(x)
    layer.zero_grad()
    layer.backward(np.ones((1, 1, 1, 1)))
    (r, c), = np.argwhere(layer.weight.grad[0, 0] == 1.0)
    assert check_tap_correspondence((int(r), int(c)), 3, transform, tap)
    assert check_tap_correspondence([int(r), int(c)], 3, transform, tap)
    assert check_tap_correspondence(np.array([r, c]), 3, transform, tap)


TAP_SLIPS = [
    # (transform, tap, wrong answer, diagnosis); rot90 brings the right column up top
    ("rot90", (0, 0), (2, 0), "tap_wrong_direction"),      # where (0, 0) goes
    ("rot270", (0, 1), (1, 2), "tap_wrong_direction"),     # right (1, 0)
    ("rot90", (0, 1), (0, 1), "tap_unchanged"),            # right (1, 2)
    ("flip", (0, 0), (0, 0), "tap_unchanged"),             # right (0, 2)
    ("rot90", (2, 1), (0, 1), "tap_swapped"),              # right (1, 0)
    ("rot180", (0, 1), (3, 2), "tap_one_based"),           # right (2, 1)
    ("rot180", (0, 1), (3, 3), "tap_outside"),
    ("rot180", (0, 1), (-1, 0), "tap_outside"),
    ("transpose", (0, 1), (2, 2), "tap_other"),            # right (1, 0)
    ("rot90", (0, 0), 2, "not_a_pair"),
    ("rot90", (0, 0), (0, 2, 1), "not_a_pair"),
    ("rot90", (0, 0), ("0", "2"), "not_a_number"),
    ("rot90", (0, 0), "(0, 2)", "not_a_number"),
    ("rot90", (0, 0), (0.5, 2), "not_whole"),
]


@pytest.mark.parametrize("transform, tap, answer, mistake", TAP_SLIPS)
def test_tap_slips(transform, tap, answer, mistake):
    r = check_tap_correspondence(answer, 3, transform, tap)
    assert not r and r.answered and r.mistake == mistake, (r, transform, tap)
    assert r.message == MISTAKES[mistake]


def test_tap_swapped_case_is_a_real_swap():
    # rot90: tap (2, 1) of the copy is tap (1, 0) of the filter, so (0, 1) only swaps the two
    r = check_tap_correspondence((0, 1), 3, "rot90", (2, 1))
    assert r.mistake == "tap_swapped"
    assert check_tap_correspondence((1, 0), 3, "rot90", (2, 1))


def test_every_diagnosis_is_reachable():
    produced = ({m for *_, m in PARAMETER_SLIPS} | {m for *_, m in MACS_SLIPS} | {m for *_, m in TAP_SLIPS})
    assert set(INVARIANCE_MISTAKES) <= produced


@pytest.mark.parametrize("check, args", [
    (check_invariant_parameter_count, (8, 16, 3, 4)),
    (check_invariant_macs, (1, 8, 3, 8, 4)),
    (check_tap_correspondence, (3, "rot90", (0, 0))),
])
def test_unanswered(check, args):
    r = check(None, *args)
    assert not r and not r.answered and r.mistake is None and "None" in r.message


@pytest.mark.parametrize("call, exc, fragment", [
    (lambda: check_invariant_parameter_count(3, 8, 16, 3, 0), ValueError, "num_transforms"),
    (lambda: check_invariant_parameter_count(3, 8, 16, 3, 4, bias=1), TypeError, "bias"),
    (lambda: check_invariant_macs(3, 1, 8, 3, 0, 4), ValueError, "output_size"),
    (lambda: check_tap_correspondence((0, 0), 3, "rot45", (0, 0)), ValueError, "not a permutation"),
    (lambda: check_tap_correspondence((0, 0), 3, "spin", (0, 0)), ValueError, "unknown transform"),
    (lambda: check_tap_correspondence((0, 0), 3, "rot90", (0, 3)), ValueError, "tap must be <= 2"),
    (lambda: check_tap_correspondence((0, 0), 3, "rot90", 4), TypeError, "tap must be a pair"),
])
def test_invalid_problems_raise_and_name_the_check(call, exc, fragment):
    with pytest.raises(exc, match=fragment) as info:
        call()
    assert str(info.value).startswith("check_")
