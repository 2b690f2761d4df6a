"""Student notebooks (``cnnedu assign``) and reading submissions (notebooks and .py files)."""

import json
from pathlib import Path

import pytest

from cnnedu.grading.assignments import get_assignment, names
from cnnedu.grading.notebook import assign, removed_lines, student_cell, student_notebook
from cnnedu.grading.submission import SubmissionError, find_submission, load_submission, notebook_script

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "book" / "assignments"


def _lines(nb: dict) -> set:
    out = set()
    for cell in nb["cells"]:
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        out |= {ln.strip() for ln in source.split("\n") if ln.strip()}
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The student notebooks, generated twice into two folders."""
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    return assign("all", first), assign("all", second)


def test_every_assignment_has_a_solution_notebook():
    for name in names():
        assert (SOURCE / get_assignment(name).notebook).is_file()


def test_assign_is_deterministic(generated):
    first, second = generated
    assert [p.name for p in first] == [p.name for p in second] == [get_assignment(n).notebook for n in names()]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes()


def test_no_solution_text_survives(generated):
    for path in generated[0]:
        source = json.loads((SOURCE / path.name).read_text(encoding="utf-8"))
        removed = removed_lines(source)
        assert len(removed) > 50                      # the markers are really there
        student = _lines(json.loads(path.read_text(encoding="utf-8")))
        survivors = [ln for ln in removed if ln in student]
        assert not survivors


def test_hidden_tests_are_removed_and_visible_checks_kept(generated):
    for path in generated[0]:
        nb = json.loads(path.read_text(encoding="utf-8"))
        text = "\n".join("".join(c["source"]) for c in nb["cells"])
        assert "self_test" not in text and "hidden-tests" not in path.read_text(encoding="utf-8")
        spec = get_assignment(path.name.split("_")[0])
        for part in spec.parts:
            assert f'cnnedu.check("{spec.name}.{part.name}", {part.function})' in text


def test_the_student_notebook_is_clean_and_its_stubs_raise(generated):
    for path in generated[0]:
        nb = json.loads(path.read_text(encoding="utf-8"))
        spec = get_assignment(path.name.split("_")[0])
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None
                compile("".join(cell["source"]), "<cell>", "exec")
            assert set(cell["metadata"]) <= {"tags"}
        text = "\n".join("".join(c["source"]) for c in nb["cells"])
        for part in spec.parts:
            assert f'raise NotImplementedError("write {part.function}")' in text
        assert "*Your answer here.*" in text


def test_the_default_output_is_outside_the_book():
    # nbval collects every notebook under book/: a student notebook there would fail (its stubs raise).
    import inspect
    default = inspect.signature(assign).parameters["out"].default
    assert not Path(default).parts[0] == "book"


# ---------------------------------------------------------------------------
# Markers
# ---------------------------------------------------------------------------

def _code(source, tags=None):
    return {"cell_type": "code", "metadata": {"tags": tags} if tags else {}, "outputs": [], "execution_count": 1,
            "source": source}


def test_a_stub_keeps_the_indentation_and_names_the_function():
    cell = _code("def outer(x):\n    def inner(y):\n        ### BEGIN SOLUTION\n        return y\n"
                 "        ### END SOLUTION\n    return inner(x)\n")
    out = student_cell(cell)["source"]
    assert '        raise NotImplementedError("write inner")' in out and "return y" not in out
    compile(out, "<cell>", "exec")


def test_hidden_tests_inside_a_cell_are_removed_and_an_empty_cell_disappears():
    cell = _code("x = 1\n### BEGIN HIDDEN TESTS\nassert x == 1\n### END HIDDEN TESTS\nprint(x)")
    assert student_cell(cell)["source"] == "x = 1\nprint(x)"
    assert student_cell(_code("### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS")) is None
    assert student_cell(_code("print(1)", tags=["hidden-tests"])) is None


def test_markdown_solutions_become_a_placeholder():
    cell = {"cell_type": "markdown", "metadata": {}, "source": "Why?\n\n<!-- BEGIN SOLUTION -->\nBecause.\n"
            "<!-- END SOLUTION -->\n"}
    assert student_cell(cell)["source"] == "Why?\n\n*Your answer here.*\n"


@pytest.mark.parametrize("source, message", [
    ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("### END SOLUTION\n", "without a matching begin"),
    ("### BEGIN SOLUTION\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n### END SOLUTION\n", "inside an open"),
])
def test_unbalanced_markers_are_errors(source, message):
    with pytest.raises(ValueError, match=message):
        student_cell(_code(source), "cell 3")


def test_the_student_notebook_keeps_ids_and_drops_outputs():
    nb = {"cells": [dict(_code("### BEGIN SOLUTION\nx = 1\n### END SOLUTION"), id="abc")], "metadata": {
        "kernelspec": {"name": "python3"}, "widgets": {"state": 1}}, "nbformat": 4, "nbformat_minor": 5}
    out = student_notebook(nb)
    assert out["cells"][0]["id"] == "abc" and out["metadata"] == {"kernelspec": {"name": "python3"}}


# ---------------------------------------------------------------------------
# Reading submissions
# ---------------------------------------------------------------------------

def _nb(*sources, tags=None):
    return {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Title"}]
            + [_code(s) for s in sources], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_ipython_lines_are_removed_with_a_note():
    script = notebook_script(_nb("%matplotlib inline\nimport numpy as np\n!pip install foo\nfiles = !ls\n"
                                 "np.zeros?\nx = 1", "%%timeit\nx = 2", "y = x + 1"))
    assert len(script.chunks) == 2                 # the %%timeit cell is skipped
    assert "pip install" not in "".join(ln for ln in script.source.split("\n") if not ln.lstrip().startswith("pass"))
    namespace = {}
    exec(compile(script.source, "<s>", "exec"), namespace)
    assert namespace["y"] == 2
    assert any("4 IPython line(s)" in n for n in script.notes)
    assert any("cell magic" in n and "cell 3" in n for n in script.notes)


def test_grader_skip_cells_and_syntax_errors_are_skipped_with_notes():
    nb = _nb("# grader: skip\nwhile True: pass", "def f(:\n  pass", "def g():\n    return 1", "z = 1")
    nb["cells"][-1]["metadata"]["tags"] = ["grader-skip"]
    script = notebook_script(nb)
    assert [label for label, _, _ in script.chunks] == ["cell 4"]
    assert any("2 cells marked '# grader: skip' were not run (cell 2, cell 5)" in n for n in script.notes)
    assert any("cell 3" in n and "not valid Python (SyntaxError, line 1" in n for n in script.notes)


def test_lines_of_the_script_map_back_to_cells():
    script = notebook_script(_nb("a = 1\nb = 2", "c = 3\nd = 4\ne = 5"))
    label, first, last = script.chunks[1]
    assert label == "cell 3" and script.source.split("\n")[first] == "d = 4"
    assert script.where(first + 1) == "cell 3, line 2"


def test_load_submission_reads_py_and_ipynb_and_explains_the_rest(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    assert load_submission(tmp_path / "a.py").chunks is None
    (tmp_path / "b.ipynb").write_text(json.dumps(_nb("x = 1")))
    assert len(load_submission(tmp_path / "b.ipynb").chunks) == 1
    (tmp_path / "c.ipynb").write_text("{not json")
    with pytest.raises(SubmissionError, match="not a valid notebook: the JSON is broken"):
        load_submission(tmp_path / "c.ipynb")
    (tmp_path / "d.txt").write_text("x")
    with pytest.raises(SubmissionError, match=r"submit a notebook \(.ipynb\) or a Python file"):
        load_submission(tmp_path / "d.txt")
    (tmp_path / "e.py").write_bytes(b"\xff\xfe")
    with pytest.raises(SubmissionError, match="not UTF-8"):
        load_submission(tmp_path / "e.py")
    (tmp_path / "f.ipynb").write_text("[1, 2]")
    with pytest.raises(SubmissionError, match="not a Jupyter notebook"):
        load_submission(tmp_path / "f.ipynb")


def test_find_submission_in_a_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "A1_convolution.ipynb").write_text("{}")
    (tmp_path / "helper.py").write_text("")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "x.ipynb").write_text("{}")
    assert find_submission(tmp_path, "A1_convolution.ipynb").name == "A1_convolution.ipynb"
    assert find_submission(tmp_path).name == "A1_convolution.ipynb"     # the one notebook
    (tmp_path / "other.ipynb").write_text("{}")
    with pytest.raises(SubmissionError, match="found several .ipynb files"):
        find_submission(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(SubmissionError, match="found no .ipynb or .py file"):
        find_submission(tmp_path / "empty")
