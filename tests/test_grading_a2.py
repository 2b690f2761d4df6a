"""A2's tests and diagnoses: the solution, the stubs, every mistake (in-process), and one sandboxed grading.

Pooling, resampling and transposed convolution; the spec is
``cnnedu/grading/assignments/a2_pooling.py``, the wrong functions are in
``tests/grading_submissions/a2_mistakes.py``.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import cnnedu
from cnnedu.grading import get_assignment, grade, self_test
from cnnedu.grading.assignments import names
from cnnedu.grading.assignments.a1_convolution import A1_MISTAKES
from cnnedu.grading.assignments.a2_pooling import (A2_MISTAKES, SLICE, TIE_CASE, _pool_groups, _resample_groups,
                                                   _tconv_groups, tconv_output_padding)
from cnnedu.grading.gradescope import results_json, validate_results
from cnnedu.grading.judge import MISTAKES
from cnnedu.grading.notebook import assign

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "book" / "assignments" / "A2_pooling_resampling.ipynb"
sys.path.insert(0, str(Path(__file__).parent / "grading_submissions"))
from _notebooks import notebook_namespace  # noqa: E402
from _variants import variant_diagnoses  # noqa: E402
import a2_mistakes  # noqa: E402

A2 = get_assignment("A2")
PARTS = [p.name for p in A2.parts]


@pytest.fixture(scope="module")
def solution():
    return notebook_namespace(json.loads(SOLUTION.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def student_path(tmp_path_factory):
    (path,) = assign("A2", tmp_path_factory.mktemp("students"))
    return path


# ---------------------------------------------------------------------------
# The assignment itself
# ---------------------------------------------------------------------------

def test_points_add_up_to_100_and_every_part_has_visible_and_hidden_tests():
    assert A2.max_score == 100
    assert PARTS == ["max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward",
                     "upsample", "downsample", "conv_transpose2d_forward", "conv_transpose2d_backward"]
    for part in A2.parts:
        assert any(t.visible for t in part.tests) and any(not t.visible for t in part.tests), part.name
        assert {t.kind for t in part.tests} == {"shape", "values"}


def test_the_cases_cover_the_edge_cases():
    pools = [c.params for c, _ in A2.part("max_pool2d_forward").cases()]
    assert any(p["stride"] < p["kernel"] for p in pools)                       # overlapping windows
    assert any(p["stride"] > p["kernel"] for p in pools)                       # gaps between windows
    assert any(p["kernel"] == 1 for p in pools)
    assert any(p["out"] == (1, 1) and p["size"] == (p["kernel"],) * 2 for p in pools)   # one window, the whole map
    assert any((n - p["kernel"]) % p["stride"] for p in pools for n in p["size"])       # the floor matters
    visible = [c.params for t in A2.part("max_pool2d_forward").tests if t.visible for c in t.cases]
    assert any((n - p["kernel"]) % p["stride"] for p in visible for n in p["size"])     # ... also visibly
    tconvs = [c for c, _ in A2.part("conv_transpose2d_forward").cases()]
    params = [c.params for c in tconvs]
    assert any(p["output_padding"] > 0 for p in params) and any(p["padding"] > 0 for p in params)
    assert any(p["stride"] > max(p["kernel"]) for p in params)                 # holes between the copies
    assert any(p["kernel"][0] != p["kernel"][1] for p in params)
    assert any(c.args[1].shape[0] == c.args[1].shape[1] > 1 for c in tconvs)   # C_in = C_out: the bank's order
    downs = [c.params for c, _ in A2.part("downsample").cases()]
    assert any(n % p["factor"] for p in downs for n in p["size"])              # the last block is incomplete
    assert any(p["factor"] > max(p["size"]) for p in downs)


def test_the_cases_are_the_same_every_time():
    # Regrading is reproducible: the inputs come from fixed seeds.
    for build in (lambda: _pool_groups(True), lambda: _resample_groups(False), lambda: _tconv_groups(True)):
        for (_, _, cs1), (_, _, cs2) in zip(build(), build()):
            for c1, c2 in zip(cs1, cs2):
                for a1, a2 in zip(c1.args, c2.args):
                    assert np.array_equal(a1, a2)


def test_the_expected_answers_are_the_lectures_loops():
    # The grader's references (cnnedu.functional) agree with cnnedu.reference on every case.
    from cnnedu import reference
    loops = {"max_pool2d_forward": lambda x, k, s: (reference.max_pool2d(x, k, s),),
             "max_pool2d_backward": lambda dy, x, k, s: (reference.max_pool2d_backward(dy, x, k, s),),
             "avg_pool2d_forward": lambda x, k, s: (reference.avg_pool2d(x, k, s),),
             "avg_pool2d_backward": lambda dy, x, k, s: (reference.avg_pool2d_backward(dy, x, k, s),),
             "upsample": lambda x, f: (reference.upsample(x, f),),
             "downsample": lambda x, f: (reference.downsample(x, f),),
             "conv_transpose2d_forward": lambda x, w, b, s, p, op: (
                 reference.conv_transpose2d(x, w, b, stride=s, padding=p, output_padding=op),),
             "conv_transpose2d_backward": lambda dz, x, w, s, p: reference.conv_transpose2d_backward(
                 dz, x, w, stride=s, padding=p, output_padding=tconv_output_padding(dz, x, w, s, p))}
    for part in A2.parts:
        for case, _ in part.cases():
            for e, r in zip(part.expected(case), loops[part.name](*case.args)):
                np.testing.assert_allclose(e, r, rtol=1e-10, atol=1e-10)


def test_the_lectures_and_the_books_examples_are_visible_cases():
    def visible_case(part, shape):
        return next(c for t in A2.part(part).tests if t.visible for c in t.cases
                    if c.args[0].shape == shape and c.args[-1] == 2)
    assert np.array_equal(visible_case("max_pool2d_forward", (1, 1, 4, 4)).args[0][0, 0], SLICE)
    np.testing.assert_array_equal(A2.part("max_pool2d_forward").expected(
        visible_case("max_pool2d_forward", (1, 1, 4, 4)))[0][0, 0], [[6, 8], [3, 4]])
    np.testing.assert_array_equal(A2.part("avg_pool2d_forward").expected(
        visible_case("avg_pool2d_forward", (1, 1, 4, 4)))[0][0, 0], [[3.25, 5.25], [2, 2]])
    tconv = A2.part("conv_transpose2d_forward")
    one_d = next(c for t in tconv.tests if t.visible for c in t.cases if c.args[0].shape == (1, 1, 1, 3))
    np.testing.assert_array_equal(tconv.expected(one_d)[0][0, 0, 0], [1, 10, 2, 20, 3, 30])


def test_the_output_padding_of_every_backward_case_is_recovered_from_dz():
    for case, _ in A2.part("conv_transpose2d_backward").cases():
        op = case.params["output_padding"]
        assert tconv_output_padding(*case.args) == (op, op)


def test_no_input_has_a_tie_except_the_tie_test():
    for name in ("max_pool2d_forward", "max_pool2d_backward"):
        for case, _ in A2.part(name).cases():
            if case is TIE_CASE:
                continue
            x, k, s = case.args[-3:]
            out = case.params["out"]
            for m in range(out[0]):
                for n in range(out[1]):
                    window = x[:, :, m * s:m * s + k, n * s:n * s + k]
                    maxima = (window == window.max(axis=(2, 3), keepdims=True)).sum(axis=(2, 3))
                    assert (maxima == 1).all(), (name, case.label, m, n)


def test_the_tie_test_tells_every_tie_rule_apart():
    part = A2.part("max_pool2d_backward")
    (test,) = [t for t in part.tests if "ties" in t.name]
    assert test.cases == (TIE_CASE,) and test.visible
    dy, x, k, s = TIE_CASE.args
    windows = [x[0, c, 2 * m:2 * m + 2, 2 * n:2 * n + 2] for c in range(2) for m in range(2) for n in range(2)]
    counts = sorted(int((window == window.max()).sum()) for window in windows)
    assert counts == [1, 2, 2, 2, 2, 3, 3, 4]                                   # no tie, two, three, four maxima
    outputs = {"first": part.expected(TIE_CASE)[0]}
    for v in part.variants:
        if v.mistake in ("max_grad_every_maximum", "max_grad_last_maximum", "max_grad_split_ties"):
            outputs[v.mistake] = part.variant_outputs(v, TIE_CASE)[0]
    assert len(outputs) == 4
    for a in outputs:
        for b in outputs:
            assert a == b or not np.allclose(outputs[a], outputs[b]), (a, b)
    # The first maximum in row-major order: the top-left 3 of the window [[3, 3], [1, 0]].
    assert outputs["first"][0, 0, 0, 0] == dy[0, 0, 0, 0] and outputs["first"][0, 0, 0, 1] == 0


def test_every_a2_mistake_has_its_own_key_and_a_sentence():
    for name in names():                      # importing the other assignments must not overwrite A2's sentences
        get_assignment(name)
    assert not set(A2_MISTAKES) & set(A1_MISTAKES)
    assert len(set(A2_MISTAKES.values())) == len(A2_MISTAKES)
    for key, sentence in A2_MISTAKES.items():
        assert MISTAKES[key] == sentence
        assert sentence.endswith((".", ")")) and len(sentence) > 30
    used = {v.mistake for p in A2.parts for v in p.variants}
    assert used == set(A2_MISTAKES)


# ---------------------------------------------------------------------------
# The solution scores full marks, the student version zero
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("part", PARTS)
def test_the_solution_passes_every_test(solution, part):
    report = self_test(f"A2.{part}", solution[part])
    assert report, repr(report)
    assert report.part.score == report.part.max_score == A2.part(part).max_score


def test_the_student_notebook_keeps_the_checks_and_drops_the_answers(student_path):
    assert student_path.name == SOLUTION.name
    text = "\n".join("".join(c["source"]) for c in json.loads(student_path.read_text(encoding="utf-8"))["cells"])
    assert "self_test" not in text and "BEGIN SOLUTION" not in text
    assert text.count("*Your answer here.*") == 2
    for part in A2.parts:
        assert f'cnnedu.check("A2.{part.name}", {part.function})' in text
        assert f'raise NotImplementedError("write {part.function}")' in text


@pytest.mark.parametrize("part", PARTS)
def test_the_student_stubs_score_zero_and_say_not_written(student_path, part):
    stubs = notebook_namespace(json.loads(student_path.read_text(encoding="utf-8")))
    report = self_test(f"A2.{part}", stubs[part])
    assert not report
    assert report.part.score == 0
    assert {t.mistake for t in report.part.tests} == {"not_implemented"}
    assert repr(cnnedu.check(f"A2.{part}", stubs[part])) == \
        f"A2.{part}: … not written yet: `{part}` raises NotImplementedError"


# ---------------------------------------------------------------------------
# One wrong function per common mistake: the tests it fails, the score, the mistake named
# ---------------------------------------------------------------------------

SHAPE, SHAPE_H = "shape", "shape, hidden cases"
SIDE, OVER = "values, windows side by side (S = K)", "values, overlapping windows (S < K)"
EDGE, RAND = "values, edge cases", "values, random sizes"
TIES = "values, ties go to the first maximum"
POOL_VALUES = (SIDE, OVER, EDGE, RAND)
F2 = "values, factor 2"
T1, T2, T3 = "values, stride 1, no cropping", "values, stride 2, no cropping", "values, cropping and output_padding"
T11 = "values, 1×1 kernels"
TCONV_ALL = (SHAPE, SHAPE_H, T1, T2, T3, T11, EDGE, RAND)
NOT_1X1 = (T1, T2, T3, EDGE, RAND)                  # a 1×1 kernel turned by 180° is the same kernel
STRIDED = (T2, T3, T11, EDGE, RAND)                 # the groups with a stride > 1
PADDED = (T3, EDGE, RAND)                           # the groups with padding > 0
OUTPUT_PADDED = (T3, T11, EDGE, RAND)               # the groups with output_padding > 0


def _on(output, groups):
    return [f"{output}: {g}" for g in groups]


#: name -> (mistake named, tests expected to fail[, {test: another mistake named there}])
EXPECTED = {
    "max_forgot_stride": ("pool_forgot_stride", _on("y", (SHAPE, SHAPE_H, *POOL_VALUES))),
    "max_window_step_one": ("pool_window_step_one", _on("y", POOL_VALUES)),
    "max_size_ceil": ("pool_size_ceil", _on("y", (SHAPE, SHAPE_H, OVER, EDGE, RAND))),      # S = K: no floor
    "max_size_forgot_plus_one": ("pool_size_forgot_plus_one", _on("y", (SHAPE, SHAPE_H, *POOL_VALUES))),
    "max_size_n_over_s": ("pool_size_n_over_s", _on("y", (SHAPE, SHAPE_H, OVER, EDGE, RAND))),
    "max_mixed_maps": ("pool_mixed_maps", _on("y", POOL_VALUES)),
    "mean_forgot_divide": ("mean_forgot_divide", _on("y", POOL_VALUES)),
    "mean_divided_by_k": ("mean_divided_by_k", _on("y", POOL_VALUES)),
    "mean_forgot_stride": ("pool_forgot_stride", _on("y", (SHAPE, SHAPE_H, *POOL_VALUES))),
    "max_grad_overwrote": ("max_grad_overwrote", _on("dx", (OVER, EDGE))),      # no overlap, nothing overwritten
    "max_grad_overwrote_slide_order": ("max_grad_overwrote", _on("dx", (OVER, EDGE))),
    "max_grad_window_corner": ("max_grad_window_corner", _on("dx", (*POOL_VALUES, TIES))),
    "max_grad_spread": ("max_grad_spread", _on("dx", (*POOL_VALUES, TIES))),
    "max_grad_stride_ignored": ("max_grad_stride_ignored", _on("dx", (*POOL_VALUES, TIES))),
    "max_grad_every_maximum": ("max_grad_every_maximum", _on("dx", (TIES,))),   # only a tie tells
    "max_grad_last_maximum": ("max_grad_last_maximum", _on("dx", (TIES,))),
    "max_grad_split_ties": ("max_grad_split_ties", _on("dx", (TIES,))),
    "max_grad_wrong_shape": ("pool_grad_wrong_shape", _on("dx", (SHAPE, SHAPE_H, OVER, EDGE, RAND))),
    "mean_grad_overwrote": ("mean_grad_overwrote", _on("dx", (OVER, EDGE, RAND))),
    "mean_grad_not_divided": ("mean_grad_not_divided", _on("dx", POOL_VALUES)),
    "mean_grad_divided_by_k": ("mean_grad_divided_by_k", _on("dx", POOL_VALUES)),
    "mean_grad_stride_ignored": ("mean_grad_stride_ignored", _on("dx", POOL_VALUES)),
    "upsample_s_zeros": ("upsample_s_zeros", _on("u", (SHAPE, SHAPE_H, F2, EDGE, RAND))),
    "upsample_zeros_after_last": ("upsample_zeros_after_last", _on("u", (SHAPE, SHAPE_H, F2, EDGE, RAND))),
    "upsample_zeros_before": ("upsample_zeros_before", _on("u", (SHAPE, SHAPE_H, F2, EDGE, RAND))),
    "upsample_repeated": ("upsample_repeated", _on("u", (SHAPE, SHAPE_H, F2, EDGE, RAND))),
    "upsample_one_axis": ("upsample_one_axis", _on("u", (SHAPE, SHAPE_H, F2, EDGE, RAND))),
    "downsample_wrong_start": ("downsample_wrong_start", _on("d", (SHAPE, SHAPE_H, F2, EDGE, RAND))),
    "downsample_floor": ("downsample_floor", _on("d", (SHAPE, SHAPE_H, F2, EDGE, RAND))),
    "downsample_averaged": ("downsample_averaged", _on("d", (SHAPE, SHAPE_H, F2, EDGE, RAND))),
    "downsample_one_axis": ("downsample_one_axis", _on("d", (SHAPE, SHAPE_H, F2, EDGE, RAND))),
    "tconv_push_flipped": ("tconv_turned_kernel", _on("z", NOT_1X1)),
    "tconv_scan_unflipped": ("tconv_turned_kernel", _on("z", NOT_1X1)),
    # C_in ≠ C_out: the shapes do not fit and numpy raises; C_in = C_out: the wrong bank, named
    "tconv_bank_not_transposed": ("tconv_bank_not_transposed", _on("z", TCONV_ALL),
                                  {t: "exception" for t in _on("z", (SHAPE, SHAPE_H, T1, T2, T3, T11))}),
    "tconv_padding_added": ("tconv_padding_added", _on("z", (SHAPE, SHAPE_H, *PADDED))),
    "tconv_forgot_crop": ("tconv_forgot_crop", _on("z", (SHAPE, SHAPE_H, *PADDED))),
    "tconv_crop_one_side": ("tconv_crop_one_side", _on("z", (SHAPE, SHAPE_H, *PADDED))),
    "tconv_forgot_output_padding": ("tconv_forgot_output_padding", _on("z", (SHAPE, SHAPE_H, *OUTPUT_PADDED))),
    "tconv_output_padding_start": ("tconv_output_padding_start", _on("z", OUTPUT_PADDED)),
    "tconv_no_zero_insertion": ("tconv_no_zero_insertion", _on("z", (SHAPE, SHAPE_H, *STRIDED))),
    # with S = 2 and P = 1 (both visible cases of T3) S − 1 zeros after the last input and a crop at the
    # start only give the same output: the earlier variant names it
    "tconv_zeros_after_last": ("tconv_zeros_after_last", _on("z", (SHAPE, SHAPE_H, *STRIDED)),
                               {f"z: {T3}": "tconv_crop_one_side"}),
    "tconv_forgot_bias": ("tconv_forgot_bias", _on("z", (T1, T2, T3, T11, EDGE, RAND))),
    "tconv_dx_turned": ("tconv_dx_turned", _on("dx", NOT_1X1)),
    "tconv_backward_stride_ignored": ("tconv_backward_stride_ignored", _on("dx", STRIDED) + _on("dw", STRIDED)),
    "tconv_backward_forgot_padding": ("tconv_backward_forgot_padding", _on("dx", PADDED) + _on("dw", PADDED)),
    "tconv_dw_turned": ("tconv_dw_turned", _on("dw", NOT_1X1)),
    "tconv_dw_not_summed_over_batch": ("tconv_dw_not_summed_over_batch", _on("dw", (T1, T2, T3, T11, EDGE, RAND))),
    "tconv_db_not_summed_over_batch": ("tconv_db_not_summed_over_batch",
                                       ["db: shape", "db: values", "db: values, hidden cases"]),
    "tconv_db_averaged": ("tconv_db_averaged", ["db: values", "db: values, hidden cases"]),
    "tconv_db_not_summed_over_positions": ("tconv_db_not_summed_over_positions",
                                           ["db: shape", "db: values", "db: values, hidden cases"]),
    "tconv_db_summed_over_maps": ("tconv_db_summed_over_maps",
                                  ["db: shape", "db: values", "db: values, hidden cases"]),
}


def test_every_mistake_fixture_has_an_expectation_and_every_mistake_a_fixture():
    assert set(EXPECTED) == set(a2_mistakes.MISTAKES)
    assert {entry[0] for entry in EXPECTED.values()} == set(A2_MISTAKES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_wrong_function_gets_the_expected_score_and_message(name):
    part_name, fn = a2_mistakes.MISTAKES[name]
    key, failing, *elsewhere = EXPECTED[name]
    elsewhere = elsewhere[0] if elsewhere else {}
    part = A2.part(part_name)
    report = self_test(f"A2.{part_name}", fn)
    failed = {t.name: t for t in report.part.tests if not t.passed}
    assert set(failed) == set(failing)
    assert report.part.score == part.max_score - sum(t.points for t in part.tests if t.name in failing)
    for t in failed.values():
        want = elsewhere.get(t.name, key)
        assert t.mistake == want, (t.name, t.message)
        if want == "exception":
            assert f"`{part.function}` raised ValueError" in t.message
        else:
            assert MISTAKES[want] in t.message


def test_a_wrong_pooling_shape_message_gives_the_expected_shape_and_the_formula():
    report = self_test("A2.max_pool2d_forward", a2_mistakes.MISTAKES["max_size_ceil"][1])
    shape = next(t for t in report.part.tests if t.name == "y: shape")
    assert "x (2, 2, 7, 6), kernel 3, stride 2" in shape.message
    assert "y should have shape (2, 2, 3, 2), yours has shape (2, 2, 3, 3)" in shape.message
    assert "W_out = ⌊(W − K)/S⌋ + 1 = ⌊(6 − 3)/2⌋ + 1 = 2" in shape.message
    assert "cnnedu.sizes.pool_output_size" in shape.message and MISTAKES["pool_size_ceil"] in shape.message


def test_a_wrong_transposed_shape_message_gives_the_expected_shape_and_the_formula():
    report = self_test("A2.conv_transpose2d_forward", a2_mistakes.MISTAKES["tconv_forgot_output_padding"][1])
    shape = next(t for t in report.part.tests if t.name == "z: shape")
    assert "z should have shape (2, 3, 8, 6), yours has shape (2, 3, 7, 5)" in shape.message
    assert "H_out = (H − 1)S − 2P + K_h + output_padding = (4 − 1)·2 − 2·1 + 3 + 1 = 8" in shape.message
    assert "cnnedu.sizes.conv_transpose_output_size" in shape.message


def test_a_wrong_upsampling_shape_message_gives_the_formula():
    report = self_test("A2.upsample", a2_mistakes.MISTAKES["upsample_zeros_after_last"][1])
    shape = next(t for t in report.part.tests if t.name == "u: shape")
    assert "u should have shape (1, 1, 3, 3), yours has shape (1, 1, 4, 4)" in shape.message
    assert "(2 − 1)·2 + 1 = 3" in shape.message and MISTAKES["upsample_zeros_after_last"] in shape.message


def test_the_variants_recognise_themselves():
    # Every variant, fed its own output, is recognised as its own mistake (or as an earlier
    # variant that gives the very same arrays) on at least one case; and every mistake applies somewhere.
    for part in A2.parts:
        applicable, recognised = variant_diagnoses(part)
        assert recognised == applicable == {v.mistake for v in part.variants}, part.name


# ---------------------------------------------------------------------------
# Through the sandbox, once: the solution notebook and the student notebook
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def graded_solution():
    return grade("A2", SOLUTION)


def test_the_solution_notebook_scores_full_marks_in_the_sandbox(graded_solution):
    assert graded_solution.score == graded_solution.max_score == 100
    assert [p.name for p in graded_solution.parts] == PARTS
    (note,) = graded_solution.notes                       # only the skipped demo cells, no errors
    assert "cells marked '# grader: skip' were not run (cell 3, " in note


def test_the_solution_notebooks_results_json_is_valid(graded_solution):
    data = results_json(graded_solution)
    validate_results(data)
    assert data["score"] == 100.0
    tests = data["tests"]
    assert len(tests) == sum(len(p.tests) for p in A2.parts) and all(t["status"] == "passed" for t in tests)
    assert {t["visibility"] for t in tests} == {"visible", "after_published"}
    assert tests[0]["name"] == "max_pool2d_forward — y: shape" and tests[0]["number"] == "1.1"
    assert sum(t["max_score"] for t in tests) == 100
    json.dumps(data)


def test_the_student_notebook_scores_zero_in_the_sandbox_without_crashing(student_path):
    report = grade("A2", student_path)
    assert report.score == 0 and report.max_score == 100
    assert [p.name for p in report.parts] == PARTS
    assert {t.mistake for p in report.parts for t in p.tests} == {"not_implemented"}
    validate_results(results_json(report))
