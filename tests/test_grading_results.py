"""What the grader hands over: results.json (Gradescope's format), a CSV for a folder, the autograder zip, the CLI."""

import csv
import json
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from cnnedu.grading import grade
from cnnedu.grading.cli import main
from cnnedu.grading.gradescope import build_autograder, results_json, validate_results, write_results
from cnnedu.grading.notebook import assign
from cnnedu.grading.submission import notebook_script

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "book" / "assignments" / "A1_convolution.ipynb"
PARTS = ["conv1d_forward", "conv1d_backward", "conv2d_forward", "conv2d_backward",
         "conv2d_forward_vectorized", "conv2d_backward_vectorized"]


def cnnedu_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "cnnedu", *map(str, args)], capture_output=True, text=True,
                          timeout=600, cwd=cwd)


@pytest.fixture(scope="module")
def solution_report():
    return grade("A1", SOLUTION)


# ---------------------------------------------------------------------------
# results.json
# ---------------------------------------------------------------------------

def test_the_solution_notebook_scores_full_marks(solution_report):
    assert solution_report.score == solution_report.max_score == 100
    assert [p.name for p in solution_report.parts] == PARTS
    assert "100    100" in solution_report.table()
    (note,) = solution_report.notes                 # only the skipped demo cells, no errors
    assert "cells marked '# grader: skip' were not run (cell 3, " in note


def test_results_json_is_in_gradescopes_format(solution_report):
    data = results_json(solution_report)
    validate_results(data)
    assert data["score"] == 100.0
    tests = data["tests"]
    assert len(tests) == len(solution_report.tests) and all(t["status"] == "passed" for t in tests)
    assert {t["visibility"] for t in tests} == {"visible", "after_published"}
    assert tests[0]["name"] == "conv1d_forward — z: shape" and tests[0]["number"] == "1.1"
    assert sum(t["max_score"] for t in tests) == 100
    assert {t["visibility"] for t in results_json(solution_report, "hidden")["tests"]} == {"visible", "hidden"}
    json.dumps(data)


@pytest.mark.parametrize("data, problem", [
    ([], "the top level must be a JSON object"),
    ({"tests": []}, "no top-level 'score'"),
    ({"score": "10", "tests": []}, "score must be a number"),
    ({"score": 1, "tests": [{"score": 1, "max_score": 1}]}, "name must be a non-empty string"),
    ({"score": 1, "tests": [{"name": "t", "score": 1, "max_score": 1, "status": "ok"}]}, "status must be"),
    ({"score": 1, "tests": [{"name": "t", "score": 1, "max_score": 1, "visibility": "public"}]}, "visibility must"),
    ({"score": 2, "tests": [{"name": "t", "score": 2, "max_score": 1}]}, "more than max_score"),
    ({"score": 5, "tests": [{"name": "t", "score": 1, "max_score": 1}]}, "not the sum of the tests' scores"),
    ({"score": 1, "tests": [{"name": "t", "score": 1, "max_score": 1, "output": 3}]}, "output must be a string"),
    ({"score": 0, "tests": [{"name": "t", "max_score": 1}]}, "no score"),
    ({"score": float("nan"), "tests": []}, "score must be a number"),
])
def test_the_format_check_rejects_broken_results(data, problem):
    with pytest.raises(ValueError, match=problem):
        validate_results(data)


def test_results_are_written_atomically_over_whatever_was_there(tmp_path, solution_report):
    target = tmp_path / "results.json"
    target.write_text('{"score": 100, "tests": []}   // written by a student')
    write_results(results_json(solution_report), target)
    assert json.loads(target.read_text())["tests"]
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]          # no temporary left over
    with pytest.raises(ValueError):
        write_results({"tests": []}, tmp_path / "bad.json")
    assert not (tmp_path / "bad.json").exists()


# ---------------------------------------------------------------------------
# The CLI: assign, grade a folder into a CSV, Gradescope mode
# ---------------------------------------------------------------------------

def test_the_cnnedu_command_is_installed():
    assert any(ep.name == "cnnedu" and ep.value == "cnnedu.grading.cli:main"
               for ep in entry_points(group="console_scripts"))


def test_cli_assign_and_list(tmp_path):
    run = cnnedu_cli("assign", "all", "--out", tmp_path / "students")
    assert run.returncode == 0, run.stderr
    written = tmp_path / "students" / "A1_convolution.ipynb"
    assert written.read_bytes() == assign("A1", tmp_path / "again")[0].read_bytes()
    run = cnnedu_cli("list")
    assert run.returncode == 0 and "conv2d_backward(dz, x, w, stride=1, padding=0)" in run.stdout
    run = cnnedu_cli("grade", "A9", written)
    assert run.returncode == 2 and "no assignment 'A9'" in run.stderr


def test_cli_grades_a_folder_into_a_csv(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    shutil.copy(SOLUTION, folder / "alice.ipynb")
    student = assign("A1", tmp_path / "generated")[0]
    shutil.copy(student, folder / "bob.ipynb")
    (folder / "carol").mkdir()                      # a sub-folder with a .py file
    source = notebook_script(json.loads(SOLUTION.read_text(encoding="utf-8"))).source
    (folder / "carol" / "a1.py").write_text(source + "\nconv2d_forward = lambda x, w, b, stride=1, padding=0: "
                                            "conv2d_forward_vectorized(x, w[:, :, ::-1, ::-1], b, stride, padding)\n")
    (folder / "dave.ipynb").write_text("{broken")
    (folder / "notes.txt").write_text("not a submission")
    scores = tmp_path / "scores.csv"
    run = cnnedu_cli("grade", "A1", folder, "--csv", scores, "--feedback", tmp_path / "feedback",
                     "--parts", "conv1d_forward,conv2d_forward", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(scores.open(encoding="utf-8")))
    assert [r["submission"] for r in rows] == ["alice.ipynb", "bob.ipynb", "carol", "dave.ipynb"]
    assert list(rows[0]) == ["submission", *PARTS, "total", "max", "notes"]
    assert [(r["conv1d_forward"], r["conv2d_forward"], r["total"], r["max"]) for r in rows] == [
        ("10", "15", "25", "25"), ("0", "0", "0", "25"), ("10", "4", "14", "25"), ("0", "0", "0", "25")]
    assert rows[3]["conv2d_backward"] == ""         # not graded (--parts)
    assert "could not be read" in rows[3]["notes"]
    assert "4 submissions graded" in run.stdout
    feedback = (tmp_path / "feedback" / "carol.txt").read_text(encoding="utf-8")
    assert "You flipped the kernel" in feedback


def test_cli_gradescope_mode_finds_the_submission_and_writes_results(tmp_path):
    submission = tmp_path / "submission"
    (submission / "sub").mkdir(parents=True)
    shutil.copy(SOLUTION, submission / "sub" / "A1_convolution.ipynb")
    (submission / "helper.py").write_text("")       # another file: the notebook's name wins
    results = tmp_path / "results" / "results.json"
    run = cnnedu_cli("grade", "A1", submission, "--gradescope", "--results", results,
                     "--parts", "conv1d_forward")
    assert run.returncode == 0, run.stderr
    data = json.loads(results.read_text(encoding="utf-8"))
    validate_results(data)
    assert data["score"] == 10.0 and "conv1d_forward" in data["output"]


def test_gradescope_mode_writes_results_even_when_the_grader_fails(tmp_path, monkeypatch, capsys):
    import cnnedu.grading.grader as grader

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the grader")
    monkeypatch.setattr(grader, "grade", broken)
    results = tmp_path / "results.json"
    assert main(["grade", "A1", str(tmp_path), "--gradescope", "--results", str(results)]) == 0
    data = json.loads(results.read_text(encoding="utf-8"))
    validate_results(data)
    assert data["score"] == 0 and "autograder failed" in data["output"]
    assert "a bug in the grader" in capsys.readouterr().err


def test_a_submission_folder_without_a_submission_is_reported(tmp_path):
    results = tmp_path / "results.json"
    assert main(["grade", "A1", str(tmp_path), "--gradescope", "--results", str(results)]) == 0
    data = json.loads(results.read_text(encoding="utf-8"))
    assert data["score"] == 0 and "found no .ipynb or .py file" in data["output"]


# ---------------------------------------------------------------------------
# The Gradescope autograder
# ---------------------------------------------------------------------------

def test_the_autograder_zip(tmp_path):
    out = tmp_path / "A1_autograder.zip"
    run = cnnedu_cli("autograder", "A1", "-o", out, "--time-limit", "60")
    assert run.returncode == 0, run.stderr
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        wheel = next(n for n in names if n.endswith(".whl"))
        assert set(names) == {"setup.sh", "run_autograder", "README.txt", wheel}
        for script in ("setup.sh", "run_autograder"):
            assert (zf.getinfo(script).external_attr >> 16) & 0o111      # executable
            assert zf.read(script).startswith(b"#!/usr/bin/env bash\n")
        setup = zf.read("setup.sh").decode()
        run_autograder = zf.read("run_autograder").decode()
        assert f"pip install --quiet /autograder/source/{wheel}" in setup and "cnnedu warmup A1" in setup
        assert "-m cnnedu grade A1 /autograder/submission --gradescope --time-limit 60" in run_autograder
        zf.extract(wheel, tmp_path)
    with zipfile.ZipFile(tmp_path / wheel) as whl:
        files = whl.namelist()
        assert "cnnedu/grading/assignments/a1_convolution.py" in files and "cnnedu/grading/_worker.py" in files
        assert not [f for f in files if f.endswith((".pyc", ".nbi", ".nbc"))]
        entry = next(f for f in files if f.endswith("entry_points.txt"))
        assert "cnnedu = cnnedu.grading.cli:main" in whl.read(entry).decode()


def test_the_autograder_zip_is_the_same_for_the_same_wheel(tmp_path):
    wheel = tmp_path / "cnnedu-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("cnnedu/__init__.py", "")
    a = build_autograder("A1", tmp_path / "a.zip", wheel=wheel)
    b = build_autograder("A1", tmp_path / "b.zip", wheel=wheel)
    assert a.read_bytes() == b.read_bytes()
