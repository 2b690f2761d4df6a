"""cnnedu.exercises.architectures: right answers pass, the chapter's slips get their diagnosis.

Every wrong answer below is what a reader gets by making one specific slip (the
comment shows it).  As in test_exercises.py, messages are fixed sentences, so no
message may hold the right answer.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from cnnedu import sizes
from cnnedu.exercises import (MISTAKES, CheckResult, check_dense_block_channels, check_inception_channels,
                              check_stack_parameter_count, check_stack_receptive_field)
from cnnedu.exercises import architectures
from cnnedu.models import DenseBlock, Inception


def _assert_not_revealed(result: CheckResult, correct: int) -> None:
    assert result.message in MISTAKES.values()
    assert re.search(rf"(?<![\d.]){correct}(?![\d.])", result.message) is None, (result.message, correct)


def test_mistakes_registered():
    assert set(architectures.ARCHITECTURES_MISTAKES) <= set(MISTAKES)
    for text in architectures.ARCHITECTURES_MISTAKES.values():
        assert set(re.findall(r"\d", text)) <= {"1", "2"}, text


@pytest.mark.parametrize("check, args", [
    (check_stack_receptive_field, (3,)),
    (check_stack_parameter_count, (64, 3)),
    (check_inception_channels, (192, 64, 96, 128, 16, 32, 32)),
    (check_dense_block_channels, (64, 32, 6)),
])
def test_unanswered_and_unusable(check, args):
    r = check(None, *args)
    assert not r and not r.answered and r.mistake is None
    assert check("7", *args).mistake == "not_a_number"
    assert check(7.5, *args).mistake == "not_whole"
    assert check(0, *args).mistake == "not_positive"


@pytest.mark.parametrize("n, k", [(2, 3), (3, 3), (4, 3), (2, 5), (5, 3)])
def test_receptive_field(n, k):
    correct = sizes.receptive_field([(k, 1)] * n)[0]
    assert correct == n * (k - 1) + 1
    assert check_stack_receptive_field(correct, n, k)
    assert check_stack_receptive_field(np.int64(correct), n, k)
    for answer, key in [(n * k, "rf_added_kernels"),            # kernels added
                        (k, "rf_one_layer"),                    # one layer
                        (n * (k - 1), "rf_forgot_one")]:        # growth without the 1
        r = check_stack_receptive_field(answer, n, k)
        assert r.mistake == key, (answer, r)
        _assert_not_revealed(r, correct)


def test_receptive_field_multiplied():
    assert check_stack_receptive_field(27, 3, 3).mistake == "rf_multiplied"      # 3 ** 3


@pytest.mark.parametrize("c, n, k", [(64, 2, 3), (64, 3, 3), (512, 3, 3), (16, 4, 3)])
def test_stack_parameters(c, n, k):
    correct = n * sizes.conv_parameter_count(c, c, k)
    assert check_stack_parameter_count(correct, c, n, k)
    span = n * (k - 1) + 1
    for answer, key in [(n * c * c * k * k, "stack_forgot_bias"),
                        (c * (c * k * k + 1), "stack_one_layer"),
                        (c * (c * span * span + 1), "stack_big_filter"),
                        (n * c * (k * k + 1), "stack_forgot_depth")]:
        r = check_stack_parameter_count(answer, c, n, k)
        assert r.mistake == key, (answer, r)
        _assert_not_revealed(r, correct)
    assert check_stack_parameter_count(n * c * c * k * k, c, n, k, bias=False)


def test_stack_fallback():
    correct = 2 * sizes.conv_parameter_count(8, 8, 3)
    assert check_stack_parameter_count(correct + 1, 8, 2).mistake == "off_by_one_high"
    assert check_stack_parameter_count(10 * correct, 8, 2).mistake == "too_large"


@pytest.mark.parametrize("cfg", [(192, 64, 96, 128, 16, 32, 32), (256, 128, 128, 192, 32, 96, 64),
                                 (480, 192, 96, 208, 16, 48, 64), (832, 384, 192, 384, 48, 128, 128)])
def test_inception(cfg):
    correct = Inception(*cfg, rng=0).out_channels
    assert check_inception_channels(correct, *cfg)
    c_in, c1, r3, c3, r5, c5, pp = cfg
    for answer, key in [(correct + r3 + r5, "inception_counted_reduce"),
                        (correct - pp, "inception_forgot_pool"),
                        (c1 + c3 + c5 + c_in, "inception_pool_unprojected"),
                        (correct + c_in, "inception_added_input")]:
        r = check_inception_channels(answer, *cfg)
        assert r.mistake == key, (answer, r)
        _assert_not_revealed(r, correct)


@pytest.mark.parametrize("c_in, k, n", [(64, 32, 6), (128, 32, 12), (16, 12, 4), (24, 4, 3)])
def test_dense_block(c_in, k, n):
    correct = DenseBlock(n, c_in, k, rng=0).out_channels
    assert check_dense_block_channels(correct, c_in, k, n)
    for answer, key in [(n * k, "dense_forgot_input"), (c_in + (n - 1) * k, "dense_one_layer_short"),
                        (k, "dense_growth_only"), (c_in * n * k, "dense_multiplied")]:
        r = check_dense_block_channels(answer, c_in, k, n)
        assert r.mistake == key, (answer, r)
        _assert_not_revealed(r, correct)


def test_bad_problem_raises():
    with pytest.raises((TypeError, ValueError)):
        check_stack_receptive_field(5, 0)
    with pytest.raises((TypeError, ValueError)):
        check_dense_block_channels(5, 64, 2.5, 3)
    with pytest.raises((TypeError, ValueError)):
        check_stack_parameter_count(5, 64, 2, bias="yes")
