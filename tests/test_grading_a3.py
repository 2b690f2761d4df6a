"""A3's tests and diagnoses: the spec, the solution, the stubs, every wrong submission, one sandboxed grade.

Most of it is judged in-process (``self_test`` / ``cnnedu.check``), which is fast; the parts that train a
LeNet-5 take a few seconds per run and are marked ``slow``.  One wrong submission per mistake lives in
``tests/grading_submissions/a3_<name>.py``.
"""

import contextlib
import json
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import cnnedu
from cnnedu import models, nn
from cnnedu.grading import get_assignment, grade, self_test
from cnnedu.grading.assignments import a3_train
from cnnedu.grading.assignments.a3_train import A3_MISTAKES
from cnnedu.grading.gradescope import results_json, validate_results
from cnnedu.grading.judge import MISTAKES
from cnnedu.grading.notebook import assign, student_notebook
from cnnedu.grading.submission import notebook_script

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "book" / "assignments" / "A3_train_cnn.ipynb"
SUBMISSIONS = Path(__file__).parent / "grading_submissions"
sys.path.insert(0, str(SUBMISSIONS))
from _notebooks import notebook_namespace  # noqa: E402
from _variants import variant_diagnoses  # noqa: E402

A3 = get_assignment("A3")
PARTS = [p.name for p in A3.parts]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One thread for BLAS and Numba, as in the notebook and the grader: fast and reproducible training.

    The limits are restored afterwards (the solution notebook's first cell sets them for good).
    """
    threads = numba.get_num_threads()
    with threadpool_limits(1):
        numba.set_num_threads(1)
        yield
    numba.set_num_threads(threads)


@contextlib.contextmanager
def _grading_env():
    """As inside the grader: cnnedu.check and self_test calls in a notebook return at once."""
    old = os.environ.get("CNNEDU_GRADING")
    os.environ["CNNEDU_GRADING"] = "1"
    try:
        yield
    finally:
        if old is None:
            del os.environ["CNNEDU_GRADING"]
        else:
            os.environ["CNNEDU_GRADING"] = old


def _namespace(nb: dict) -> dict:
    """Run a notebook's code cells the way the grader does, with the grader's environment."""
    with _grading_env():
        return notebook_namespace(nb)


def _submission(name: str) -> dict:
    return runpy.run_path(str(SUBMISSIONS / f"a3_{name}.py"))


@pytest.fixture(scope="module")
def solution():
    return _namespace(json.loads(SOLUTION.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def stubs():
    return _namespace(student_notebook(json.loads(SOLUTION.read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def digits():
    from cnnedu.data import load_mnist
    return load_mnist("subset", pad_to=32)


# ---------------------------------------------------------------------------
# The assignment itself
# ---------------------------------------------------------------------------

def test_points_add_up_to_100_and_every_part_has_visible_and_hidden_tests():
    assert A3.max_score == 100
    assert [p.max_score for p in A3.parts] == [15, 25, 10, 50]
    for part in A3.parts:
        assert any(t.visible for t in part.tests) and any(not t.visible for t in part.tests), part.name
    assert A3.time_limit >= 120                       # two training runs on a busy machine, with margin


def test_the_held_out_digits_and_their_labels_never_reach_the_students_code(digits):
    # The child receives case.args only; not one held-out image may be among them, and no labels but the
    # training labels (relabelled).
    held_out = {row.tobytes() for row in digits.x_test.reshape(len(digits.x_test), -1)}
    for part in A3.parts:
        for case, _ in part.cases():
            for arg in case.args:
                if isinstance(arg, np.ndarray) and arg.ndim == 4:
                    rows = arg.reshape(len(arg), -1)
                    assert not any(r.tobytes() in held_out for r in rows), (part.name, case.label)
    for case, _ in A3.part("train").cases():
        x, y, seed = case.args
        assert x.shape == digits.x_train.shape and y.shape == digits.y_train.shape and isinstance(seed, int)
        assert case.params["x_heldout"] is digits.x_test or np.array_equal(case.params["x_heldout"], digits.x_test)


def test_every_case_relabels_the_digits_differently_and_consistently(digits):
    train_cases = [c for c, _ in A3.part("train").cases()]
    perms = [c.params["relabelling"] for c in train_cases]
    for perm, case in zip(perms, train_cases):
        assert sorted(perm) == list(range(10)) and np.all(perm != np.arange(10))      # a derangement
        np.testing.assert_array_equal(case.params["y_heldout"], perm[digits.y_test])
        # the training labels are the public ones, renamed the same way, in a shuffled order
        x, y, _ = case.args
        index = {row.tobytes(): i for i, row in enumerate(digits.x_train.reshape(len(x), -1))}
        order = np.array([index[row.tobytes()] for row in x.reshape(len(x), -1)])
        assert sorted(order) == list(range(len(x))) and not np.array_equal(order, np.arange(len(x)))
        np.testing.assert_array_equal(y, perm[digits.y_train[order]])
    assert not np.array_equal(perms[0], perms[1])
    assert train_cases[0].params["seed"] != train_cases[1].params["seed"]


def test_the_cases_are_the_same_every_time():
    again = a3_train._build()
    for p1, p2 in zip(A3.parts, again.parts):
        for (c1, _), (c2, _) in zip(p1.cases(), p2.cases()):
            for a1, a2 in zip(c1.args, c2.args):
                assert np.array_equal(a1, a2)


def test_the_childs_import_of_the_drivers_loads_neither_the_digits_nor_the_forbidden_modules():
    # The worker imports the drivers before it installs the import guard: whatever they import could no
    # longer be blocked, and ASSIGNMENT (which holds the held-out labels) must not be built there.
    code = ("import sys, cnnedu.grading.assignments.a3_train as m; "
            "print('ASSIGNMENT' in vars(m), sorted(k for k in sys.modules if k.split('.')[0] in "
            "('cnnedu', 'mlxtend') and k.startswith(('cnnedu.data', 'cnnedu.models', 'mlxtend', "
            "'cnnedu.interop', 'cnnedu.exercises'))))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["False", "[]"]
    forbidden = A3.forbidden_imports
    assert {"cnnedu.data", "cnnedu.models", "mlxtend", "torch"} <= set(forbidden)


def test_the_shape_walk_is_the_walk_of_a_real_lenet5():
    # An independent oracle: the shapes cnnedu's own LeNet-5 layers produce on a real input.
    part = A3.part("lenet_shapes")
    for case, _ in part.cases():
        h, w = case.args
        net = models.LeNet5(input_size=(h, w), rng=0)
        x = np.zeros((1, 1, h, w), dtype=np.float32)
        shapes = []
        for name in ("conv1", "relu1", "pool1", "conv2", "relu2", "pool2"):
            x = getattr(net, name)(x)
            if not name.startswith("relu"):
                shapes.append(x.shape[1:])
        maps, n_features = part.expected(case)
        assert [tuple(r) for r in maps.tolist()] == shapes
        assert int(n_features) == int(np.prod(shapes[-1])) == net.fc1.in_features


def test_the_model_reference_is_what_the_driver_reads_from_the_zoos_lenet5():
    # summary (shape inference) and the driver (a forward pass, layer by layer) agree on LeNet-5.
    part = A3.part("build_lenet")
    namespace = {"build_lenet": lambda n, k: models.lenet5(k, input_size=n, rng=0)}
    for case, _ in part.cases():
        got = a3_train.describe_model(namespace, *case.args)
        for g, e in zip(got, part.expected(case)):
            np.testing.assert_array_equal(g, e)
        assert int(part.expected(case)[2].sum()) == sum(p.size for p in models.lenet5(
            case.args[1], input_size=case.args[0], init_weights=False).parameters())


def test_the_graders_lenet_is_lenet5_and_its_initialisation_depends_on_the_seed():
    net = a3_train.grader_lenet(0)
    assert list(net.state_dict()) == list(models.lenet5(init_weights=False).state_dict())
    assert all(a.shape == b.shape for a, b in zip(net.state_dict().values(),
                                                   models.lenet5(init_weights=False).state_dict().values()))
    np.testing.assert_array_equal(a3_train._flat_weights(net), a3_train._flat_weights(a3_train.grader_lenet(0)))
    assert not np.array_equal(a3_train._flat_weights(net), a3_train._flat_weights(a3_train.grader_lenet(1)))


def test_the_shape_variants_recognise_themselves():
    part = A3.part("lenet_shapes")
    applicable, recognised = variant_diagnoses(part)
    assert recognised == applicable == {v.mistake for v in part.variants}


def test_every_a3_mistake_has_a_sentence():
    for key, sentence in A3_MISTAKES.items():
        assert MISTAKES[key] == sentence
        assert sentence.endswith((".", ")")) and len(sentence) > 30


# ---------------------------------------------------------------------------
# The solution scores full marks, the stubs score zero
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("part", [p if p != "train" else pytest.param(p, marks=pytest.mark.slow) for p in PARTS])
def test_the_solution_passes_every_test(solution, part):
    report = self_test(f"A3.{part}", solution[part])
    assert report, repr(report)
    assert report.part.score == report.part.max_score == A3.part(part).max_score


@pytest.mark.parametrize("part", PARTS)
def test_the_student_stubs_score_zero_and_say_not_written(stubs, part):
    report = cnnedu.check(f"A3.{part}", stubs[part])
    assert not report
    assert report.part.score == 0
    assert {t.mistake for t in report.part.tests} == {"not_implemented"}
    assert repr(report) == f"A3.{part}: … not written yet: `{part}` raises NotImplementedError"


def test_the_student_notebook_keeps_no_solution_and_no_hidden_test(tmp_path):
    (path,) = assign("A3", tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "self_test" not in text and "BEGIN SOLUTION" not in text and "fit(model" not in text
    assert text.count('raise NotImplementedError(\\"write') == 4
    assert 'cnnedu.check(\\"A3.train\\", train)' in text


# ---------------------------------------------------------------------------
# One wrong submission per mistake: the score, and the mistake named
# ---------------------------------------------------------------------------

SHAPES = ("maps: values, 32×32 and 28×28", "n_features: 32×32 and 28×28")
SHAPES_HIDDEN = ("maps: values, odd and non-square sizes", "n_features: odd and non-square sizes")
BUILD_HIDDEN = "other input sizes and numbers of classes"
BUILD_LAYERS = "layers: conv, activation, pool, ..., in LeNet-5's order"
PREDICT_VALUES = ("labels: those of the model in evaluation mode", "labels: 700 digits")
TIERS = ("held-out accuracy ≥ 80%", "held-out accuracy ≥ 90%", "held-out accuracy ≥ 95%")
TRAIN_HIDDEN = "held-out accuracy ≥ 95% again: another initialisation, order and relabelling"
ALL_TIERS = (*TIERS, TRAIN_HIDDEN)

#: file -> (part, the mistake named, the tests that fail, a piece of the message with this input's numbers)
EXPECTED = {
    "pool_ceil": ("lenet_shapes", "pool_ceil", SHAPES_HIDDEN, "⌊29/2⌋ = 14 and ⌊31/2⌋ = 15"),
    "conv_off_by_one": ("lenet_shapes", "conv_off_by_one", SHAPES + SHAPES_HIDDEN,
                        "conv1 should give (6, 28, 28), yours gives (6, 27, 27)"),
    "flat_without_channels": ("lenet_shapes", "flat_without_channels", (SHAPES[1], SHAPES_HIDDEN[1]),
                              "Flatten gives 16·5·5 = 400 features"),
    "forgot_activation": ("build_lenet", "forgot_activation", (BUILD_LAYERS,), "There is none after conv2"),
    "hard_coded_features": ("build_lenet", "wrong_flat_size", (BUILD_HIDDEN,),
                            "takes 400 features but gets 256; for a 28×28 input, conv1 24×24"),
    "forgot_flatten": ("build_lenet", "forgot_flatten", ("output: one row of scores per digit", BUILD_LAYERS,
                                                         "shapes: every layer's output for a 32×32 digit",
                                                         BUILD_HIDDEN), "it gets maps of shape (16, 5, 5)"),
    "hard_coded_classes": ("build_lenet", "hard_coded_classes", (BUILD_HIDDEN,),
                           "the output should be (2, 7), one row of 7 scores per digit; yours is (2, 10)"),
    "training_mode": ("predict", "predicted_in_training_mode", PREDICT_VALUES,
                      "labels differ from those of the model in evaluation mode"),
    "returns_scores": ("predict", "returned_scores", ("labels: one per digit", *PREDICT_VALUES),
                       "yours has shape (50, 10)"),
    "diverges": ("train", "diverged", ALL_TIERS, "fit raised TrainingDivergedError at epoch 1, batch"),
    "constant": ("train", "one_class", ALL_TIERS, "It gives 100% of them the same class."),
    "lr_too_high": ("train", "one_class", ALL_TIERS, "gets 10.0% of the 1,000 held-out digits right"),
    "trains_a_copy": ("train", "did_not_train", ALL_TIERS, "train left the weights"),
    "forgot_zero_grad": ("train", "forgot_zero_grad", ALL_TIERS, "of the 1,000 held-out digits right"),
    "too_few_epochs": ("train", "low_accuracy", (TIERS[2], TRAIN_HIDDEN), "this test needs 95%"),
    "public_labels": ("train", "other_labels", ALL_TIERS, "fewer digits than chance"),
}
SLOW = {"lr_too_high", "trains_a_copy", "forgot_zero_grad", "too_few_epochs", "public_labels"}


def test_every_mistake_file_has_an_expectation():
    files = {p.stem[3:] for p in SUBMISSIONS.glob("a3_*.py")}
    assert files == set(EXPECTED) | {"uses_models"}          # uses_models is graded in the sandbox below


def _marks(name):
    marks = [pytest.mark.slow] if name in SLOW else []
    if name == "diverges":                           # the student's overflowing weights warn; expected here
        marks.append(pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning",
                                                "ignore:invalid value:RuntimeWarning"))
    return marks


@pytest.mark.parametrize("name", [pytest.param(n, marks=_marks(n)) for n in sorted(EXPECTED)])
def test_a_wrong_submission_gets_the_expected_score_and_message(name):
    part_name, key, failing, detail = EXPECTED[name]
    part = A3.part(part_name)
    report = self_test(f"A3.{part_name}", _submission(name)[part_name])
    failed = {t.name: t for t in report.part.tests if not t.passed}
    assert set(failed) == set(failing), {n: t.message for n, t in failed.items()}
    assert report.part.score == part.max_score - sum(t.points for t in part.tests if t.name in failing)
    for t in failed.values():
        assert t.mistake == key, (t.name, t.message)
        if key in MISTAKES:
            assert MISTAKES[key] in t.message
    assert any(detail in t.message for t in failed.values()), [t.message for t in failed.values()]


@pytest.mark.slow
def test_too_little_training_is_told_its_accuracy_and_passes_the_lower_tiers():
    report = cnnedu.check("A3.train", _submission("too_few_epochs")["train"])
    (failed,) = [t for t in report.part.tests if not t.passed]
    accuracy = float(re.search(r"gets (\d+\.\d)% of the 1,000 held-out digits right", failed.message).group(1))
    assert 90 < accuracy < 95
    assert "reaches about 97%" in failed.message and report.part.score == 30


def test_more_mistakes_without_a_file():
    # activation after the scores, argmax along the wrong axis, a model whose layers train changed
    def build_lenet(input_size=32, num_classes=10):
        return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
                             nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, num_classes), nn.ReLU())
    report = cnnedu.check("A3.build_lenet", build_lenet)
    (layers,) = [t for t in report.part.tests if not t.passed]
    assert layers.mistake == "activation_after_output"

    def predict(model, x):
        model.eval()
        return model(x).argmax(axis=0)
    report = cnnedu.check("A3.predict", predict)
    assert {t.mistake for t in report.part.tests} == {"argmax_wrong_axis"}
    assert "yours has shape (10,)" in report.part.tests[0].message

    def train(model, x_train, y_train):
        model.fc3 = nn.Linear(84, 20)
    report = cnnedu.check("A3.train", train)
    assert {t.mistake for t in report.part.tests} == {"changed_model"}
    assert "61,706" in report.part.tests[0].message


def test_unusable_answers_are_explained():
    report = cnnedu.check("A3.build_lenet", lambda input_size=32, num_classes=10: None)
    assert {t.mistake for t in report.part.tests} == {"returned_none"}
    assert "did you forget the `return` statement?" in report.part.tests[0].message

    def build_lenet(input_size=32, num_classes=10):
        return [nn.Conv2d(1, 6, 5)]
    report = cnnedu.check("A3.build_lenet", build_lenet)
    assert "must return a cnnedu.nn.Sequential of layers, got a list" in report.part.tests[0].message

    class MyNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(1024, 10)

        def forward(self, x):
            return self.fc(x.reshape(len(x), -1))
    report = cnnedu.check("A3.build_lenet", lambda input_size=32, num_classes=10: MyNet())
    layers = next(t for t in report.part.tests if t.name == BUILD_LAYERS)
    assert "not a model class of your own" in layers.message

    report = cnnedu.check("A3.predict", lambda model, x: None)
    assert "`predict` returned None" in report.part.tests[0].message


def test_a_missing_function_is_named_by_the_driver():
    with pytest.raises(NameError, match="your submission defines no function train: keep the name and the "
                                        r"signature train\(model, x_train, y_train\)"):
        a3_train.run_train({}, np.zeros((2, 1, 32, 32)), np.zeros(2, dtype=np.int64), 0)


def test_train_is_given_copies_and_seeded_generators_that_are_restored():
    x, y = np.zeros((4, 1, 32, 32), dtype=np.float32), np.arange(4)
    state = np.random.get_state()
    seen = {}

    def train(model, x_train, y_train):
        x_train += 1                                 # changes the driver's copy only
        seen["draw"] = np.random.random()
        seen["training"] = model.training
    a3_train.run_train({"train": train}, x, y, 3)
    assert not x.any() and seen["training"]
    np.random.seed(3)
    assert seen["draw"] == np.random.random()         # numpy's global generator was seeded with the case's seed
    np.random.set_state(state)


# ---------------------------------------------------------------------------
# Through the sandbox
# ---------------------------------------------------------------------------

@pytest.mark.slow
def test_the_solution_notebook_scores_full_marks_through_the_sandbox():
    report = grade("A3", SOLUTION)
    assert report.score == report.max_score == 100, str(report)
    assert [p.name for p in report.parts] == PARTS
    (note,) = report.notes                          # only the skipped demo cells, no errors
    assert "cells marked '# grader: skip' were not run" in note
    data = results_json(report)
    validate_results(data)
    assert data["score"] == 100.0 and all(t["status"] == "passed" for t in data["tests"])
    assert {t["visibility"] for t in data["tests"]} == {"visible", "after_published"}


@pytest.mark.slow
def test_the_student_notebook_scores_zero_through_the_sandbox(tmp_path):
    (path,) = assign("A3", tmp_path)
    report = grade("A3", path)
    assert report.score == 0 and report.max_score == 100
    for part in report.parts:
        assert {t.mistake for t in part.tests} == {"not_implemented"}, part.name
        assert "still raises NotImplementedError" in part.tests[0].message


@pytest.mark.slow
def test_the_sandbox_blocks_the_model_zoo_and_says_the_same_as_check(tmp_path, solution):
    source = notebook_script(json.loads(SOLUTION.read_text(encoding="utf-8"))).source
    extra = "\n\n".join((SUBMISSIONS / f"a3_{name}.py").read_text(encoding="utf-8")
                        for name in ("uses_models", "training_mode"))
    path = tmp_path / "submission.py"
    path.write_text(source + "\n\n" + extra + "\n", encoding="utf-8")
    report = grade("A3", path, parts=["build_lenet", "predict"])
    build, predict = report.parts
    assert build.score == 0 and {t.mistake for t in build.tests} == {"forbidden_import"}
    assert "A3 does not allow importing cnnedu.models" in build.tests[0].message
    in_process = self_test("A3.predict", _submission("training_mode")["predict"])
    assert predict.score == in_process.part.score == 2
    assert [t.message for t in predict.tests] == [t.message for t in in_process.part.tests]
