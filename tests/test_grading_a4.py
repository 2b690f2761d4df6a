"""A4's tests and diagnoses, judged in-process: the solution, the stubs, every mistake; and one sandboxed grade.

The expected answers come from cnnedu.neocognitron; here they are also held against the
library's layers (SLayer, CLayer), a hand-computed cell, and an independent implementation
(tests/grading_submissions/a4_mistakes.py with its knobs at the right setting).
"""

import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import cnnedu
from cnnedu import neocognitron as neo
from cnnedu.grading import get_assignment, grade, self_test
from cnnedu.grading.assignments import a4_neocognitron as spec
from cnnedu.grading.assignments import MODULES, names
from cnnedu.grading.assignments.a4_neocognitron import A4_MISTAKES
from cnnedu.grading.gradescope import results_json, validate_results
from cnnedu.grading.judge import MISTAKES, judge_case
from cnnedu.grading.notebook import assign, student_notebook
from cnnedu.grading.sandbox import CallOutcome

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "book" / "assignments" / "A4_neocognitron.ipynb"
sys.path.insert(0, str(Path(__file__).parent / "grading_submissions"))
from _notebooks import notebook_namespace  # noqa: E402
from _variants import variant_diagnoses  # noqa: E402
import a4_mistakes  # noqa: E402

A4 = get_assignment("A4")
PARTS = [p.name for p in A4.parts]


@pytest.fixture(scope="module")
def solution():
    return notebook_namespace(json.loads(SOLUTION.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def stubs():
    return notebook_namespace(student_notebook(json.loads(SOLUTION.read_text(encoding="utf-8"))))


def _cases(part_name):
    return [c for c, _ in A4.part(part_name).cases()]


# ---------------------------------------------------------------------------
# The assignment itself
# ---------------------------------------------------------------------------

def test_a4_is_registered_and_its_points_add_up_to_100():
    assert "A4" in names() and A4.notebook == "A4_neocognitron.ipynb"
    assert A4.max_score == 100 and [p.max_score for p in A4.parts] == [25, 25, 25, 25]
    for part in A4.parts:
        assert any(t.visible for t in part.tests) and any(not t.visible for t in part.tests), part.name
        assert {t.kind for t in part.tests} == {"shape", "values"}
    assert "cnnedu.neocognitron" in A4.forbidden_imports


def test_the_cases_cover_the_edge_cases_the_issue_names():
    layer_cases = _cases("s_layer") + _cases("c_layer") + _cases("learn_step")
    plane_cases = _cases("s_plane")
    every = plane_cases + layer_cases
    params = [c.params for c in every]
    assert any(c.args[1].shape[0] == 1 for c in _cases("s_layer"))                  # one plane
    assert any(c.args[0].shape[0] == 1 for c in _cases("c_layer"))                  # one C-plane
    assert any(c.args[0].shape[0] == 1 for c in every)                               # one input map
    assert any(p["size"][0] != p["size"][1] for p in params)                         # non-square maps
    assert any(p["area"] >= max(p["size"]) for p in params)                          # area as large as the map
    assert any(p["area"] == 1 for p in params)                                       # 1x1 areas
    assert any(p.get("pads", (0, 0))[0] != p.get("pads", (0, 0))[1] for p in params)   # uneven padding
    assert any(p.get("stride", 1) > 1 for p in params)
    assert any(min(p.get("pads", (0, 0))) >= p["area"] for p in params)              # areas of padding only
    rs = [c.args[3] for c in plane_cases + _cases("s_layer")]
    assert min(rs) <= 1e-3 and max(rs) >= 1e3                                        # r near its limits
    assert any(not c.args[0].any() for c in every)                                  # all-zero input
    assert any(c.args[2] == 0.0 for c in plane_cases)                                # no inhibition, b = 0


def test_some_cells_have_no_inhibition_because_v_c_is_zero_but_they_are_excited():
    case = next(c for c in _cases("s_plane") if "v_C = 0" in c.label)
    u, a, b, r, c = case.args
    win = spec._windows(u, 3, 1, (1, 1))
    v_c = neo.v_c_cell(win, c)
    e = np.tensordot(win, a, axes=([2, 3, 4], [0, 1, 2]))
    free = (v_c == 0) & (e > 0)
    assert free.sum() >= 5
    # the library's answer there: no inhibition, r phi[e]
    np.testing.assert_allclose(A4.part("s_plane").expected(case)[0][free], r * e[free])


def test_the_cases_are_the_same_every_time():
    fresh = [spec._plane_groups(), spec._layer_groups(), spec._c_groups(), spec._learn_groups()]
    again = [spec._plane_groups(), spec._layer_groups(), spec._c_groups(), spec._learn_groups()]
    for groups1, groups2 in zip(fresh, again):
        for (_, _, cs1), (_, _, cs2) in zip(groups1, groups2):
            for c1, c2 in zip(cs1, cs2):
                assert c1.label == c2.label
                for a1, a2 in zip(c1.args, c2.args):
                    assert np.array_equal(a1, a2)


def test_a_hand_computed_s_cell():
    # one 1x1 area: e = 0.5 * 2 = 1, v_C = 2, I = 2r/(1 + r) b v_C = 1 * 0.25 * 2 = 0.5 (r = 1),
    # u_S = 1 * phi[(1 + 1)/(1 + 0.5) - 1] = 1/3; with b = 1, I = 2 and u_S = phi[2/3 - 1] = 0
    u, a, c = np.array([[[2.0]]]), np.array([[[0.5]]]), np.array([[1.0]])
    (got,) = spec.s_plane_reference(u, a, 0.25, 1.0, c)
    np.testing.assert_allclose(got, [[1 / 3]])
    assert spec.s_plane_reference(u, a, 1.0, 1.0, c)[0][0, 0] == 0.0


def test_the_expected_answers_are_the_library_layers():
    # square maps: the references equal SLayer.forward, CLayer.forward (their a, b, c, d set by hand)
    checked = 0
    for case in _cases("s_layer"):
        u, a, b, r, c, padding, stride = case.args
        if u.shape[1] != u.shape[2]:
            continue
        layer = spec._slayer(a, b, r, 1.0, c, padding, stride)
        np.testing.assert_allclose(A4.part("s_layer").expected(case)[0], layer.forward(u), rtol=1e-12, atol=1e-12)
        checked += 1
    for case in _cases("s_plane"):
        u, a, b, r, c = case.args
        if u.shape[1] != u.shape[2]:
            continue
        p = (a.shape[-1] - 1) // 2
        layer = spec._slayer(a[None], np.array([b]), r, 1.0, c, p, 1)
        np.testing.assert_allclose(A4.part("s_plane").expected(case)[0], layer.forward(u)[0], rtol=1e-12,
                                   atol=1e-12)
        checked += 1
    for case in _cases("c_layer"):
        u, d, alpha, padding, stride = case.args
        if u.shape[1] != u.shape[2]:
            continue
        layer = neo.CLayer(u.shape[0], d.shape[-1], padding=spec._pads(padding), stride=stride, alpha=alpha)
        layer.d = d
        np.testing.assert_allclose(A4.part("c_layer").expected(case)[0], layer.forward(u), rtol=1e-12, atol=1e-12)
        checked += 1
    assert checked >= 20


def test_the_knobs_at_their_right_setting_give_the_library_cells():
    # the variants differ from the right answer by one knob only
    for case in _cases("s_layer"):
        u, a, b, r, c, padding, stride = case.args
        win = spec._windows(u, a.shape[-1], stride, spec._pads(padding))
        np.testing.assert_allclose(spec.s_cells(win, a, b, r, c), neo.s_cell(win, a, b, r, c), rtol=1e-12,
                                   atol=1e-12)
    for case in _cases("c_layer"):
        u, d, alpha, padding, stride = case.args
        win = spec._windows(u, d.shape[-1], stride, spec._pads(padding))
        np.testing.assert_allclose(spec.c_cells(win, d, alpha), neo.c_cell(win, d, alpha), rtol=1e-12, atol=1e-12)
    for case in _cases("learn_step"):
        ref = A4.part("learn_step").expected(case)
        for got, want in zip(spec._learn(*case.args), ref):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_an_independent_implementation_agrees_on_every_case():
    # a4_mistakes' helpers with their knobs at the right setting: written apart from cnnedu.neocognitron
    P = a4_mistakes
    for case in _cases("s_plane"):
        np.testing.assert_allclose(P._plane(*case.args), A4.part("s_plane").expected(case)[0], rtol=1e-10,
                                   atol=1e-12)
    for case in _cases("s_layer"):
        u, a, b, r, c, padding, stride = case.args
        np.testing.assert_allclose(P._s_cells(u, a, b, r, c, P._pads(padding), stride),
                                   A4.part("s_layer").expected(case)[0], rtol=1e-10, atol=1e-12)
    for case in _cases("c_layer"):
        u, d, alpha, padding, stride = case.args
        np.testing.assert_allclose(P._c_cells(u, d, alpha, P._pads(padding), stride),
                                   A4.part("c_layer").expected(case)[0], rtol=1e-10, atol=1e-12)
    for case in _cases("learn_step"):
        for got, want in zip(P._learn(*case.args), A4.part("learn_step").expected(case)):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_the_learning_cases_have_no_ties():
    # Which cell wins must not depend on rounding: every decision the rule makes is clear by far more than
    # the rounding of any implementation (and cells are either exactly silent or clearly not).
    for case in _cases("learn_step"):
        u, a, b, r, q, c, padding, stride = case.args
        win = spec._windows(u, a.shape[-1], stride, spec._pads(padding))
        x = spec.s_cells(win, a, b, r, c, leading_r=False, phi=False)              # before phi
        assert np.all((x == 0) | (np.abs(x) > 1e-8)), case.label
        u_s = neo.s_cell(win, a, b, r, c).reshape(-1, a.shape[0]).T                 # (K, positions)
        best_plane = u_s.argmax(axis=0)
        best = u_s.max(axis=0)
        if u_s.shape[0] > 1:
            second = np.sort(u_s, axis=0)[-2]
            assert np.all((best - second)[best > 0] > 1e-8), case.label
        for k in range(u_s.shape[0]):
            mine = np.sort(best[(best_plane == k) & (best > 0)])
            if len(mine) > 1:
                assert mine[-1] - mine[-2] > 1e-8, case.label


def test_every_a4_mistake_has_a_sentence_of_its_own():
    for key, sentence in A4_MISTAKES.items():
        assert MISTAKES[key] == sentence
        assert sentence.endswith((".", ")")) and len(sentence) > 30
    # MISTAKES is shared by all assignments: no other one may use A4's keys (for another sentence)
    for name, module_name in MODULES.items():
        if name == "A4":
            continue
        module = importlib.import_module(f"cnnedu.grading.assignments.{module_name}")
        shared = set(getattr(module, f"{name}_MISTAKES", {})) & set(A4_MISTAKES)
        assert not shared, (name, shared)


# ---------------------------------------------------------------------------
# The solution scores full marks, the stubs score zero
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("part", PARTS)
def test_the_solution_passes_every_test(solution, part):
    report = self_test(f"A4.{part}", solution[part])
    assert report, repr(report)
    assert report.part.score == report.part.max_score == A4.part(part).max_score


@pytest.mark.parametrize("part", PARTS)
def test_the_student_stubs_score_zero_and_say_not_written(stubs, part):
    report = cnnedu.check(f"A4.{part}", stubs[part])
    assert not report
    assert report.part.score == 0
    assert {t.mistake for t in report.part.tests} == {"not_implemented"}
    assert repr(report) == f"A4.{part}: … not written yet: `{part}` raises NotImplementedError"


# ---------------------------------------------------------------------------
# One wrong function per common mistake: the score, and the mistake named
# ---------------------------------------------------------------------------

def _tests(output, *groups):
    return [f"{output}: {g}" for g in groups]


SHAPES = ("shape", "shape, hidden cases")
# s_plane
P_GROUPS = ("values, a learned bar on digits", "values, random maps", "values, zero input and no inhibition",
            "values, areas as large as the map, 1×1 areas", "values, r near its limits", "values, random sizes")
P_VALUES = _tests("u_S", *P_GROUPS)
# s_layer
L_GROUPS = ("values, Fukushima's first layer", "values, several input maps", "values, stride and uneven padding",
            "values, edge cases", "values, random sizes")
L_VALUES = _tests("u_S", *L_GROUPS)
L_UNEVEN = _tests("u_S", "values, stride and uneven padding", "values, random sizes")   # the pairs [lo, hi], strides
# c_layer
C_GROUPS = ("values, Fukushima's first C-layer", "values, stride 1", "values, edge cases", "values, α and d",
            "values, random sizes")
C_VALUES = _tests("u_C", *C_GROUPS)
# learn_step
A_GROUPS = ("values, first presentation", "values, a trained layer", "values, several input maps and strides",
            "values, edge cases", "values, random sizes")
B_ALL = ["b_new: values", "b_new: values, hidden cases"]

#: name -> (expected mistake key, tests expected to fail, {test: another key that names the same answer})
EXPECTED = {
    # --- s_plane: every formula slip fails every values test (the shapes are right) ---
    "inhibition_subtracted": ("s_inhibition_subtracted", P_VALUES, {}),
    "forgot_minus_one": ("s_forgot_minus_one", P_VALUES, {}),
    "inhibition_factor_missing": ("s_inhibition_factor_missing", P_VALUES, {}),
    "inhibition_factor_halved": ("s_inhibition_factor_halved", P_VALUES, {}),
    "forgot_r": ("s_forgot_r", P_VALUES, {}),
    "forgot_phi": ("s_forgot_phi", P_VALUES, {}),
    # all-zero input, b = 0 and a c that sees the centre only (sum c u = u there, with one map nonzero):
    # nothing tells a weighted mean from the weighted RMS
    "v_weighted_mean": ("v_weighted_mean", [t for t in P_VALUES if "zero input" not in t], {}),
    # on binary inputs u^2 = u, so "no square root" gives what "a weighted mean" gives
    "v_forgot_sqrt": ("v_forgot_sqrt", P_VALUES, {"u_S: values, a learned bar on digits": "v_weighted_mean"}),
    "v_unweighted": ("v_unweighted", P_VALUES, {}),
    "area_not_centred": ("area_not_centred", P_VALUES, {}),
    "area_forgot_padding": ("area_forgot_padding", _tests("u_S", *SHAPES) + P_VALUES, {}),
    "area_padding_off_by_one": ("area_padding_off_by_one", _tests("u_S", *SHAPES) + P_VALUES, {}),
    "area_flipped": ("area_flipped", P_VALUES, {}),
    # --- s_layer ---
    "layer_inhibition_subtracted": ("s_inhibition_subtracted", L_VALUES, {}),
    "planes_summed": ("s_planes_summed", _tests("u_S", *SHAPES) + L_VALUES, {}),
    "one_b": ("s_one_b", L_VALUES, {}),
    "padding_one_side": ("area_padding_one_side", L_VALUES, {}),
    "padding_swapped": ("area_padding_swapped", L_UNEVEN, {}),
    "forgot_stride": ("area_forgot_stride", ["u_S: shape, hidden cases"] + L_UNEVEN, {}),      # stride 1 elsewhere
    "stride_window_start": ("area_stride_window_start", L_UNEVEN, {}),
    # --- c_layer ---
    "c_forgot_psi": ("c_forgot_psi", C_VALUES, {}),
    # x < -alpha only where a plane is far quieter than the average: in the hidden cases
    "c_psi_literal": ("c_psi_literal", _tests("u_C", "values, edge cases", "values, α and d", "values, random sizes"),
                      {}),
    "c_vs_summed": ("c_vs_summed", C_VALUES, {}),
    "c_forgot_inhibition": ("c_forgot_inhibition", C_VALUES, {}),
    "c_planes_summed": ("c_planes_summed", C_VALUES, {}),
    "c_unweighted": ("c_unweighted", C_VALUES, {}),
    "c_max_pooling": ("c_max_pooling", C_VALUES, {}),
    "c_forgot_minus_one": ("c_forgot_minus_one", C_VALUES, {}),
    "c_padding_swapped": ("area_padding_swapped", _tests("u_C", "values, Fukushima's first C-layer",
                                                         "values, edge cases", "values, random sizes"), {}),
    # --- learn_step ---
    # no winner at all in the edge cases (zero input, a grey input no cell answers) or a single plane there
    "no_column_competition": ("learn_no_column_competition",
                              _tests("a_new", *A_GROUPS[:3], A_GROUPS[4]) + B_ALL, {}),
    # an untrained layer has one winning plane, as the wrong rule has
    "one_winner": ("learn_one_winner", _tests("a_new", *A_GROUPS[1:3], A_GROUPS[4]) + B_ALL, {}),
    "every_candidate": ("learn_every_candidate", _tests("a_new", *A_GROUPS[:3], A_GROUPS[4]) + B_ALL, {}),
    # a silent column matters only for a plane without a candidate whose first silent area is not empty
    "silent_column": ("learn_silent_column", _tests("a_new", A_GROUPS[2], A_GROUPS[3]) + B_ALL[1:], {}),
    "delta_a_no_c": ("learn_delta_a_no_c", _tests("a_new", *A_GROUPS), {}),
    "forgot_q": ("learn_forgot_q", _tests("a_new", *A_GROUPS[2:]) + B_ALL[1:], {}),      # q = 1 in the visible
    "delta_b_full_q": ("learn_delta_b_full_q", B_ALL, {}),
    "delta_b_weighted_mean": ("learn_delta_b_not_v_c", B_ALL, {}),
    "forgot_b": ("learn_forgot_b", B_ALL, {}),
}


def test_every_mistake_fixture_has_an_expectation():
    assert set(EXPECTED) | {"area_unpadded"} == set(a4_mistakes.MISTAKES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_wrong_function_gets_the_expected_score_and_message(name):
    part_name, fn = a4_mistakes.MISTAKES[name]
    key, failing, others = EXPECTED[name]
    part = A4.part(part_name)
    report = self_test(f"A4.{part_name}", fn)
    failed = {t.name: t for t in report.part.tests if not t.passed}
    assert set(failed) == set(failing)
    assert report.part.score == part.max_score - sum(t.points for t in part.tests if t.name in failing)
    for t in failed.values():
        want = others.get(t.name, key)
        assert t.mistake == want, (t.name, t.message)
        assert MISTAKES[want] in t.message


def test_an_area_taken_in_the_unpadded_maps_is_named_or_fails_where_it_leaves_the_maps():
    # the student's slice runs off the maps near their border: numpy cannot broadcast, and the message
    # says so; where the winners are inside, the mistake is named
    report = self_test("A4.learn_step", a4_mistakes.MISTAKES["area_unpadded"][1])
    failed = {t.name: t for t in report.part.tests if not t.passed}
    assert set(failed) == {t.name for t in A4.part("learn_step").tests} and report.part.score == 0
    assert {t.mistake for t in failed.values()} == {"learn_area_offset", "exception"}
    for name in ("a_new: values, first presentation", "a_new: values, edge cases", "b_new: values"):
        assert failed[name].mistake == "learn_area_offset"
        assert MISTAKES["learn_area_offset"] in failed[name].message
    assert "could not be broadcast" in failed["a_new: values, a trained layer"].message


def test_weights_read_as_a_k_prime_k_are_named_where_k_equals_k_prime():
    part = A4.part("s_layer")
    case = next(c for c in _cases("s_layer") if c.args[1].shape[0] == c.args[1].shape[1] > 1)
    got = a4_mistakes.weights_layout(*case.args)
    test = next(t for t in part.tests if case in t.cases and t.kind == "values")
    verdict = judge_case(part, test, case, CallOutcome("ok", [got]))
    assert not verdict.passed and verdict.mistake == "s_weights_layout"
    assert MISTAKES["s_weights_layout"] in verdict.message


def test_a_wrong_shape_message_gives_the_expected_shape_and_the_formula():
    report = self_test("A4.s_layer", a4_mistakes.MISTAKES["planes_summed"][1])
    shape = next(t for t in report.part.tests if t.name == "u_S: shape")
    assert "u_S should have shape (4, 16, 16), yours has shape (16, 16)." in shape.message
    assert ("It is (K, H_out, W_out), with K = 4 planes, H_out = ⌊(H + P_lo + P_hi − A)/S⌋ + 1 = "
            "⌊(16 + 2 + 2 − 5)/1⌋ + 1 = 16") in shape.message
    assert "(cnnedu.sizes.conv_output_size)" in shape.message
    assert MISTAKES["s_planes_summed"] in shape.message
    # Fukushima's UC1: 16 -> 10 with padding (3, 4) and stride 2
    report = self_test("A4.c_layer", lambda u, d, alpha=0.5, padding=0, stride=1:
                       a4_mistakes.c_forgot_psi(u, d, alpha, padding, 1))
    shape = next(t for t in report.part.tests if t.name == "u_C: shape")
    assert "u_C should have shape (4, 10, 10), yours has shape (4, 19, 19)." in shape.message
    assert "one C-plane per S-plane, K = 4" in shape.message and "⌊(16 + 3 + 4 − 5)/2⌋ + 1 = 10" in shape.message
    # one plane, centred: the size of the maps
    report = self_test("A4.s_plane", a4_mistakes.MISTAKES["area_forgot_padding"][1])
    shape = next(t for t in report.part.tests if t.name == "u_S: shape")
    assert "u_S should have shape (16, 16), yours has shape (12, 12)." in shape.message
    assert "It is (H, W) = (16, 16), the size of the input maps" in shape.message
    assert MISTAKES["area_forgot_padding"] in shape.message


def test_the_variants_recognise_themselves():
    # Every variant, fed its own output, is recognised as its own mistake (or as an earlier
    # variant that gives the very same arrays) on at least one case; and every mistake applies somewhere.
    for part in A4.parts:
        applicable, recognised = variant_diagnoses(part)
        assert recognised == applicable == {v.mistake for v in part.variants}, part.name


def test_changing_a_and_b_in_place_is_noted_but_not_penalised():
    report = self_test("A4.learn_step", a4_mistakes.learn_in_place)
    assert report
    assert any("changed its input (a, b) in place" in n for n in report.part.notes)


# ---------------------------------------------------------------------------
# Through the sandbox: the solution notebook, and the student's
# ---------------------------------------------------------------------------

def test_the_solution_notebook_scores_full_marks_through_the_sandbox():
    report = grade("A4", SOLUTION)
    assert report.score == report.max_score == 100
    assert [p.name for p in report.parts] == PARTS
    (note,) = report.notes                          # only the skipped demo cells, no errors
    assert "cells marked '# grader: skip' were not run" in note
    data = results_json(report)
    validate_results(data)
    assert data["score"] == 100.0 and all(t["status"] == "passed" for t in data["tests"])
    assert {t["visibility"] for t in data["tests"]} == {"visible", "after_published"}
    json.dumps(data)


def test_the_student_notebook_scores_zero_through_the_sandbox(tmp_path):
    (path,) = assign("A4", tmp_path)
    report = grade("A4", path)
    assert report.score == 0 and report.max_score == 100
    assert {t.mistake for t in report.tests} == {"not_implemented"}
    validate_results(results_json(report))
