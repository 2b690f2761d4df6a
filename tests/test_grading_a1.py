"""A1's tests and diagnoses, judged in-process (no sandbox): the solution, the stubs, every mistake.

The sandboxed grader judges with the same code (tests/test_grading_sandbox.py checks that
it says the same); here each wrong function is judged directly, which is fast.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import cnnedu
from cnnedu.grading import get_assignment, self_test
from cnnedu.grading.assignments.a1_convolution import A1_MISTAKES, backward_reference, forward_reference
from cnnedu.grading.judge import MISTAKES
from cnnedu.grading.notebook import student_notebook

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "book" / "assignments" / "A1_convolution.ipynb"
sys.path.insert(0, str(Path(__file__).parent / "grading_submissions"))
from _notebooks import notebook_namespace  # noqa: E402
from _variants import variant_diagnoses  # noqa: E402
import a1_mistakes  # noqa: E402

A1 = get_assignment("A1")
PARTS = [p.name for p in A1.parts]


@pytest.fixture(scope="module")
def solution():
    return notebook_namespace(json.loads(SOLUTION.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def stubs():
    return notebook_namespace(student_notebook(json.loads(SOLUTION.read_text(encoding="utf-8"))))


# ---------------------------------------------------------------------------
# The assignment itself
# ---------------------------------------------------------------------------

def test_points_add_up_to_100_and_every_part_has_visible_and_hidden_tests():
    assert A1.max_score == 100
    for part in A1.parts:
        assert any(t.visible for t in part.tests) and any(not t.visible for t in part.tests), part.name
        assert {t.kind for t in part.tests if t.judge is None} == {"shape", "values"}


def test_the_cases_cover_the_edge_cases_the_issue_names():
    cases = [c for p in A1.parts for c, _ in p.cases()]
    params = [c.params for c in cases]
    assert any(p["stride"] > 1 for p in params)
    assert any(p["padding"] > 0 for p in params)
    assert any(all(k == 1 for k in p["kernel"]) for p in params)
    assert any(c.args[-4].shape[1] == 1 and c.args[-3].shape[:2] == (1, 1) for c in cases)   # one channel
    assert any(p["nd"] == 2 and p["size"][0] != p["size"][1] for p in params)                 # non-square
    assert any(p["stride"] > max(p["kernel"]) for p in params)
    assert any(p["padding"] >= max(p["kernel"]) for p in params)


def test_the_cases_are_the_same_every_time():
    # Regrading is reproducible: the inputs come from fixed seeds (a second build of the spec
    # must give identical arrays).
    import importlib
    module = importlib.import_module("cnnedu.grading.assignments.a1_convolution")
    fresh = module._groups(2, True)
    again = module._groups(2, True)
    for (_, _, cs1), (_, _, cs2) in zip(fresh, again):
        for c1, c2 in zip(cs1, cs2):
            for a1, a2 in zip(c1.args, c2.args):
                assert np.array_equal(a1, a2)


def test_the_expected_answers_are_the_lectures_loops():
    # The grader's references (cnnedu.functional) agree with cnnedu.reference on every case.
    from cnnedu import reference
    for part in A1.parts:
        for case, _ in part.cases():
            if case.args[-4 if "backward" in part.name else -5].size > 20000:
                continue                                   # the speed case: too slow for the loops
            expected = part.expected(case)
            if "backward" in part.name:
                dz, x, w, stride, padding = case.args
                fn = reference.conv1d_backward if x.ndim == 3 else reference.conv2d_backward
                want = fn(dz, x, w, stride=stride, padding=padding)
            else:
                x, w, b, stride, padding = case.args
                fn = reference.conv1d if x.ndim == 3 else reference.conv2d
                want = (fn(x, w, b, stride=stride, padding=padding),)
            for e, r in zip(expected, want):
                np.testing.assert_allclose(e, r, rtol=1e-10, atol=1e-10)


def test_the_lectures_example_is_a_visible_case():
    part = A1.part("conv2d_forward")
    case = next(c for t in part.tests for c in t.cases if c.args[0].shape == (1, 1, 5, 5))
    np.testing.assert_array_equal(part.expected(case)[0][0, 0], [[4, 4], [2, 4]])


def test_every_a1_mistake_has_a_sentence_without_numbers_from_the_problem():
    for key, sentence in A1_MISTAKES.items():
        assert MISTAKES[key] == sentence
        assert sentence.endswith((".", ")")) and len(sentence) > 30


# ---------------------------------------------------------------------------
# The solution scores full marks, the stubs score zero
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("part", PARTS)
def test_the_solution_passes_every_test(solution, part):
    report = self_test(f"A1.{part}", solution[part])
    assert report, repr(report)
    assert report.part.score == report.part.max_score == A1.part(part).max_score


@pytest.mark.parametrize("part", PARTS)
def test_the_student_stubs_score_zero_and_say_not_written(stubs, part):
    report = cnnedu.check(f"A1.{part}", stubs[part])
    assert not report
    assert report.part.score == 0
    assert {t.mistake for t in report.part.tests} == {"not_implemented"}
    assert repr(report) == f"A1.{part}: … not written yet: `{part}` raises NotImplementedError"
    assert "NotImplementedError" in report._repr_html_()


def test_check_runs_the_visible_tests_only(solution):
    report = cnnedu.check("A1.conv2d_backward", solution["conv2d_backward"])
    assert report and all(t.visible for t in report.part.tests)
    assert len(report.part.tests) < len(A1.part("conv2d_backward").tests)
    assert "visible tests passed" in repr(report) and "cnnedu-check-passed" in report._repr_html_()


def test_check_is_skipped_inside_the_grader(monkeypatch, solution):
    monkeypatch.setenv("CNNEDU_GRADING", "1")
    report = cnnedu.check("A1.conv2d_forward", solution["conv2d_forward"])
    assert report.skipped and not report and "not checked" in repr(report)
    assert cnnedu.grading.self_test("A1.conv2d_forward", None).skipped


def test_check_explains_bad_names():
    with pytest.raises(KeyError, match="no assignment 'A9'"):
        cnnedu.check("A9.conv2d_forward", print)
    with pytest.raises(KeyError, match="has no part 'conv3d'.*conv1d_forward"):
        cnnedu.check("A1.conv3d", print)
    with pytest.raises(TypeError, match="fn must be your function conv2d_forward"):
        cnnedu.check("A1.conv2d_forward", None)


# ---------------------------------------------------------------------------
# One wrong function per common mistake: the score, and the mistake named
# ---------------------------------------------------------------------------

SHAPE_V, SHAPE_H = "shape", "shape, hidden cases"
V1, V2 = "values, stride 1, no padding", "values, stride 2 and padding"
H1, H2, H3 = "values, 1×1 kernels", "values, edge cases", "values, random sizes"
ALL_VALUES = (V1, V2, H1, H2, H3)
STRIDED = (V2, H1, H2, H3)              # the groups that have a stride > 1 (or padding) somewhere
NOT_1X1 = (V1, V2, H2, H3)              # a flipped 1x1 kernel is the same kernel
SPEED = "speed: 16 images of 8×40×40, 64 filters of 3×3, in under 3 s"

#: name -> (expected mistake key, tests expected to fail)
EXPECTED = {
    "flipped_kernel": ("flipped_kernel", [f"z: {g}" for g in NOT_1X1]),
    "padding_one_side": ("padding_one_side", [f"z: {g}" for g in (SHAPE_V, SHAPE_H, *STRIDED)]),
    "padding_off_by_one": ("padding_off_by_one", [f"z: {g}" for g in (SHAPE_V, SHAPE_H, *ALL_VALUES)]),
    "forgot_padding": ("forgot_padding", [f"z: {g}" for g in (SHAPE_V, SHAPE_H, *STRIDED)]),
    "forgot_stride": ("forgot_stride", [f"z: {g}" for g in (SHAPE_V, SHAPE_H, *STRIDED)]),
    "stride_window_start": ("stride_window_start", [f"z: {g}" for g in STRIDED]),
    "forgot_bias": ("forgot_bias", [f"z: {g}" for g in ALL_VALUES]),
    "kernel_transposed": ("kernel_transposed", [f"z: {g}" for g in (SHAPE_V, SHAPE_H, V1, V2, H2, H3)]),
    "flipped_kernel_1d": ("flipped_kernel", [f"z: {g}" for g in NOT_1X1]),
    "stride_ignored_backward": ("stride_ignored_backward", [f"{o}: {g}" for o in ("dx", "dw") for g in STRIDED]),
    "overwrote_not_accumulated": ("overwrote_not_accumulated", [f"dx: {g}" for g in ALL_VALUES]),
    "forgot_crop": ("forgot_crop", [f"dx: {g}" for g in (SHAPE_V, SHAPE_H, *STRIDED)]),
    "crop_wrong_side": ("crop_wrong_side", [f"dx: {g}" for g in STRIDED]),
    "dw_flipped": ("dw_flipped", [f"dw: {g}" for g in NOT_1X1]),
    "dw_not_summed_over_batch": ("dw_not_summed_over_batch", [f"dw: {g}" for g in ALL_VALUES]),
    "db_not_summed_over_batch": ("db_not_summed_over_batch",
                                 ["db: shape", "db: values", "db: values, hidden cases"]),
    "db_averaged": ("db_averaged", ["db: values", "db: values, hidden cases"]),
    "overwrote_not_accumulated_1d": ("overwrote_not_accumulated", [f"dx: {g}" for g in ALL_VALUES]),
    "vectorized_forgot_stride": ("forgot_stride", [f"z: {g}" for g in (SHAPE_V, SHAPE_H, *STRIDED)]),  # not SPEED
    "vectorized_dx_unflipped": ("dx_unflipped", [f"dx: {g}" for g in NOT_1X1] + [SPEED]),   # stride 1 there
}


def test_every_mistake_fixture_has_an_expectation():
    assert set(EXPECTED) == set(a1_mistakes.MISTAKES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_wrong_function_gets_the_expected_score_and_message(name):
    part_name, fn = a1_mistakes.MISTAKES[name]
    key, failing = EXPECTED[name]
    part = A1.part(part_name)
    report = self_test(f"A1.{part_name}", fn)
    failed = {t.name: t for t in report.part.tests if not t.passed}
    assert set(failed) == set(failing)
    expected_score = part.max_score - sum(t.points for t in part.tests if t.name in failing)
    assert report.part.score == expected_score
    for t in failed.values():
        if t.name.startswith("speed"):
            continue                                   # judged as a whole, without a diagnosis
        assert t.mistake == key, (t.name, t.message)
        assert MISTAKES[key] in t.message


def test_a_wrong_shape_message_gives_the_expected_shape_and_the_formula():
    _, fn = a1_mistakes.MISTAKES["padding_one_side"]
    report = self_test("A1.conv2d_forward", fn)
    shape = next(t for t in report.part.tests if t.name == "z: shape")
    assert "z should have shape (2, 3, 4, 4), yours has shape (2, 3, 3, 3)" in shape.message
    assert "H_out = ⌊(H + 2P − K_h)/S⌋ + 1 = ⌊(7 + 2·1 − 3)/2⌋ + 1 = 4" in shape.message
    assert "cnnedu.sizes.conv_output_size" in shape.message


def test_the_variants_recognise_themselves():
    # Every variant, fed its own output, is recognised as its own mistake (or as an earlier
    # variant that gives the very same arrays) on at least one case.
    for part in A1.parts:
        applicable, recognised = variant_diagnoses(part)
        assert recognised == applicable, part.name
        assert len(applicable) >= len({v.mistake for v in part.variants}) - 1     # kernel_transposed: 2-D only


# ---------------------------------------------------------------------------
# Answers that cannot be used
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, key, text", [
    ("returns_none", "returned_none", "returned None: did you forget the `return` statement?"),
    ("returns_with_cache", "wrong_count", "returned a tuple of 2 values; it should return one array, z."),
    ("returns_integers", "integer_dtype", "integer dtype"),
    ("returns_nan", "not_finite", "NaN or infinity"),
    ("returns_a_dict", "not_numeric", "returned a dict, not an array of numbers."),
])
def test_unusable_answers_are_explained(name, key, text):
    report = self_test("A1.conv2d_forward", a1_mistakes.BAD_RETURNS[name])
    failed = [t for t in report.part.tests if not t.passed]
    assert failed and {t.mistake for t in failed} == {key}
    assert all(text in t.message for t in failed)


def test_a_list_of_numbers_is_a_fine_answer():
    assert self_test("A1.conv2d_forward", a1_mistakes.BAD_RETURNS["returns_nested_list"])


def test_changing_an_input_in_place_is_noted_but_not_penalised():
    report = self_test("A1.conv2d_forward", a1_mistakes.BAD_RETURNS["modifies_its_input"])
    assert report
    assert any("changed its input (w) in place" in n for n in report.part.notes)


def test_an_exception_names_its_line_in_the_function():
    def conv2d_forward(x, w, b, stride=1, padding=0):
        z = np.zeros(3)
        return z[10]
    report = cnnedu.check("A1.conv2d_forward", conv2d_forward)
    message = report.part.tests[0].message
    assert "`conv2d_forward` raised IndexError (line 3 of the function)" in message
    assert "check the loop bounds" in message


def test_references_return_tuples():
    case = A1.part("conv1d_forward").tests[0].cases[0]
    (z,) = forward_reference(*case.args)
    assert z.shape == (2, 4, 3)
    dz = np.ones((2, 4, 3))
    dx, dw, db = backward_reference(dz, *case.args[:2], 1, 0)
    assert dx.shape == case.args[0].shape and dw.shape == case.args[1].shape and db.shape == (4,)
