"""The sandboxed grader against bad submissions: each gets zero where it misbehaves, the rest is graded.

Every submission here is the A1 solution (its notebook's code, as one .py file) with a few
functions replaced; each grading starts one child process per part, so the tests share
submissions and keep time limits short.
"""

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from cnnedu.grading import grade, self_test
from cnnedu.grading.gradescope import validate_results
from cnnedu.grading.sandbox import sandbox_uid
from cnnedu.grading.spec import Assignment, Case, Part, Test
from cnnedu.grading.submission import notebook_script

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "book" / "assignments" / "A1_convolution.ipynb"
MISTAKES_SOURCE = Path(__file__).parent / "grading_submissions" / "a1_mistakes.py"
FULL = {"conv1d_forward": 10, "conv1d_backward": 15, "conv2d_forward": 15, "conv2d_backward": 25,
        "conv2d_forward_vectorized": 15, "conv2d_backward_vectorized": 20}


def solution_source() -> str:
    return notebook_script(json.loads(SOLUTION.read_text(encoding="utf-8"))).source


def submission(tmp_path, extra: str, name="submission.py", prefix: str = "") -> Path:
    """The solution, then ``extra`` (which redefines some functions), as one .py file."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(prefix) + solution_source() + "\n" + textwrap.dedent(extra), encoding="utf-8")
    return path


def scores(report) -> dict:
    return {p.name: p.score for p in report.parts}


def mistakes(report, part) -> set:
    return {t.mistake for t in next(p for p in report.parts if p.name == part).tests if not t.passed}


# ---------------------------------------------------------------------------
# The same verdicts as in-process
# ---------------------------------------------------------------------------

def test_the_sandbox_judges_like_the_in_process_check(tmp_path):
    sys.path.insert(0, str(MISTAKES_SOURCE.parent))
    import a1_mistakes
    chosen = {"conv2d_forward": "flipped_kernel", "conv1d_backward": "overwrote_not_accumulated_1d",
              "conv2d_backward": "stride_ignored_backward", "conv2d_backward_vectorized": "vectorized_dx_unflipped"}
    extra = MISTAKES_SOURCE.read_text(encoding="utf-8") + "\n" + "\n".join(
        f"{part} = {fn}" for part, fn in chosen.items())
    report = grade("A1", submission(tmp_path, extra))
    for part in report.parts:
        if part.name in chosen:
            expected = self_test(f"A1.{part.name}", a1_mistakes.MISTAKES[chosen[part.name]][1]).part
        else:
            assert part.score == FULL[part.name]
            continue
        assert [(t.name, t.score, t.mistake, t.message) for t in part.tests] == \
               [(t.name, t.score, t.mistake, t.message) for t in expected.tests]


# ---------------------------------------------------------------------------
# Misbehaving functions: zero on their part, the other parts graded
# ---------------------------------------------------------------------------

@pytest.mark.slow
def test_hangs_prints_hogs_and_exits_cost_only_their_part(tmp_path):
    extra = """
    import sys
    from numba import njit

    def conv1d_forward(x, w, b, stride=1, padding=0):
        while True:                                  # an infinite loop
            pass

    @njit(cache=False)
    def _spin(n):
        i = 0
        while n > 0:                                 # an infinite loop in nopython mode
            i += 1
        return i

    def conv1d_backward(dz, x, w, stride=1, padding=0):
        return _spin(1)

    def conv2d_forward(x, w, b, stride=1, padding=0):
        while True:
            print("debugging " * 100)                # megabytes of printing

    def conv2d_backward(dz, x, w, stride=1, padding=0):
        hog = []
        while True:
            hog.append(np.ones(1 << 24))             # 128 MB at a time

    def conv2d_forward_vectorized(x, w, b, stride=1, padding=0):
        sys.exit("bye")
    """
    start = time.monotonic()
    report = grade("A1", submission(tmp_path, extra), time_limit=4, memory_limit=700)
    elapsed = time.monotonic() - start
    assert scores(report) == {**{p: 0.0 for p in FULL}, "conv2d_backward_vectorized": 20.0}
    assert mistakes(report, "conv1d_forward") == {"timeout", "not_run"}
    assert mistakes(report, "conv1d_backward") == {"timeout", "not_run"}
    assert mistakes(report, "conv2d_forward") == {"output_limit", "not_run"}
    assert "memory" in mistakes(report, "conv2d_backward")
    assert mistakes(report, "conv2d_forward_vectorized") == {"system_exit"}
    first = {p.name: p.tests[0].message for p in report.parts}
    assert "did not finish within the part's time limit (4 s" in first["conv1d_forward"]
    assert "printed more than the grader accepts" in first["conv2d_forward"]
    assert "ran out of memory" in first["conv2d_backward"] and "700 MB" in first["conv2d_backward"]
    assert "called sys.exit()" in first["conv2d_forward_vectorized"]
    assert elapsed < 6 * 4 + 30                     # every part stopped at its limit


def test_a_crash_a_huge_result_a_fork_and_monkeypatching_change_nothing_else(tmp_path):
    marker, pids = tmp_path / "escaped.txt", tmp_path / "forked.txt"
    prefix = """
    import os, sys, time
    # Get past the import guard, then "fix" cnnedu's references and the grader's judge.
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "_Forbidden"]
    import cnnedu.functional, cnnedu.reference, cnnedu.grading.judge
    cnnedu.functional.conv1d = cnnedu.reference.conv1d = lambda *a, **k: 0.0
    cnnedu.grading.judge._close = lambda *a, **k: True
    cnnedu.grading.judge.judge_case = lambda *a, **k: cnnedu.grading.judge.Verdict(True)
    """
    extra = f"""
    def conv1d_forward(x, w, b, stride=1, padding=0):
        return np.zeros((x.shape[0], w.shape[0], (x.shape[2] + 2 * padding - w.shape[2]) // stride + 1))

    def conv1d_backward(dz, x, w, stride=1, padding=0):
        os._exit(0)

    def conv2d_forward(x, w, b, stride=1, padding=0):
        return np.zeros(100_000_000)                 # 800 MB

    _right_backward = conv2d_backward

    def conv2d_backward(dz, x, w, stride=1, padding=0):
        if os.fork() == 0:                           # a child that leaves the process group
            os.setsid()
            with open({str(pids)!r}, "a") as f:
                f.write(f"{{os.getpid()}}\\n")
            time.sleep(30)
            open({str(marker)!r}, "w").write("escaped")
            os._exit(0)
        return _right_backward(dz, x, w, stride, padding)
    """
    report = grade("A1", submission(tmp_path, extra, prefix=prefix), time_limit=20, memory_limit=1500)
    assert scores(report) == {**FULL, "conv1d_forward": 2.0, "conv1d_backward": 0.0, "conv2d_forward": 0.0}
    assert mistakes(report, "conv1d_forward") == {"all_zero"}
    assert mistakes(report, "conv1d_backward") == {"died", "not_run"}
    assert "exited (exit code 0)" in next(p for p in report.parts if p.name == "conv1d_backward").tests[0].message
    assert mistakes(report, "conv2d_forward") == {"too_large"}
    forked = [int(p) for p in pids.read_text().split()]
    assert forked                                    # the fork did run ...
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in forked) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in forked)        # ... and was killed, long before it woke up
    assert not marker.exists()


def _alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie no reaper has collected yet counts as dead)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("top_level, reason", [
    ("raise RuntimeError('oops')", "Your file raised RuntimeError while loading (line {line}): oops"),
    ("import sys; sys.exit(1)", "Your file called sys.exit() while loading (line {line})"),
    ("def broken(:\n    pass", "Your file has a syntax error (line {line})"),
    ("import cnnedu.functional as F", "Your file imports a forbidden module (line {line}): A1 does not allow "
                                      "importing cnnedu.functional"),
    ("import torch", "A1 does not allow importing torch"),
])
def test_a_file_that_fails_to_load_gets_zero_everywhere_with_the_reason(tmp_path, top_level, reason):
    path = submission(tmp_path, top_level)
    line = len(path.read_text(encoding="utf-8").rstrip("\n").split("\n")) - top_level.count("\n")
    report = grade("A1", path)
    assert report.score == 0
    expected = reason.format(line=line)
    assert any(expected in n for n in report.notes), report.notes
    assert all(expected in t.message for t in report.tests)


def test_an_endless_loop_at_the_top_level_gets_zero_everywhere_quickly(tmp_path):
    start = time.monotonic()
    report = grade("A1", submission(tmp_path, "while True:\n    pass"), time_limit=2)
    assert report.score == 0
    assert "Loading your code did not finish within 2 s" in report.notes[0]
    assert "if __name__ ==" in report.notes[0] and "# grader: skip" in report.notes[0]
    assert time.monotonic() - start < 15             # one part's limit, not six


def test_a_notebook_cell_that_raises_does_not_stop_the_grader(tmp_path):
    nb = json.loads(SOLUTION.read_text(encoding="utf-8"))
    nb["cells"].insert(2, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                           "source": "undefined_name + 1"})
    nb["cells"].insert(3, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                           "source": "%timeit 1 + 1\nimport sys\nif __name__ == '__main__':\n    sys.exit('demo')"})
    path = tmp_path / "A1_convolution.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    report = grade("A1", path, parts=["conv1d_forward"])
    assert report.score == 10
    assert any("cell 3 raised NameError, line 1: name 'undefined_name' is not defined" in n for n in report.notes)
    assert any("cell 4 (%timeit 1 + 1): 1 IPython line(s)" in n for n in report.notes)


# ---------------------------------------------------------------------------
# Writing where the grader keeps its results
# ---------------------------------------------------------------------------

def test_writing_the_results_file_gets_zero_and_the_grader_writes_its_own(tmp_path):
    results = tmp_path / "out" / "results.json"
    results.parent.mkdir()
    extra = """
    import json, os
    _right_forward = conv2d_forward

    def conv2d_forward(x, w, b, stride=1, padding=0):
        # find the grader's --results in its command line, and claim full marks there
        args = open(f"/proc/{os.getppid()}/cmdline", "rb").read().decode().split("\\0")
        target = args[args.index("--results") + 1]
        json.dump({"score": 100.0, "tests": []}, open(target, "w"))
        open(os.path.join(os.path.dirname(target), "extra.txt"), "w").write("x")
        return _right_forward(x, w, b, stride, padding)
    """
    path = submission(tmp_path, extra)
    run = subprocess.run([sys.executable, "-m", "cnnedu", "grade", "A1", str(path), "--results", str(results),
                          "--parts", "conv1d_forward,conv2d_forward"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    data = json.loads(results.read_text(encoding="utf-8"))
    validate_results(data)
    assert data["score"] == 10.0                      # conv1d_forward only
    part = [t for t in data["tests"] if t["name"].startswith("conv2d_forward")]
    # Running as the grader's user the write succeeds and is caught; as nobody it fails.
    reason = "PermissionError" if sandbox_uid("auto") is not None else "wrote to the folder where the grader keeps"
    assert part and all(t["score"] == 0 and reason in t["output"] for t in part)


# ---------------------------------------------------------------------------
# Mechanisms, on a tiny assignment
# ---------------------------------------------------------------------------

def _tiny():
    cases = [Case(f"{n} values", (np.arange(float(n)),)) for n in (3, 4, 5)]
    part = Part("double", "double", "double(x)", "Doubling", ("y",), reference=lambda x: (2 * x,), tests=(
        Test("values", 1, (cases[0],)),
        Test("fast enough", 1, (cases[1],), time_limit=0.5),
        Test("fast enough again", 1, (cases[2],), time_limit=0.5)))
    return Assignment("T1", "Tiny", "t1.ipynb", (part,), time_limit=20)


def test_a_call_over_its_own_time_limit_fails_its_test_only(tmp_path):
    path = tmp_path / "tiny.py"
    path.write_text("import time\ndef double(x):\n    if x.size == 4:\n        time.sleep(3)\n    return 2 * x\n")
    report = grade(_tiny(), path)
    assert [(t.name, t.score, t.mistake) for t in report.tests] == [
        ("values", 1.0, None), ("fast enough", 0.0, "too_slow"), ("fast enough again", 1.0, None)]
    assert "took longer than the 0.5 s this test allows" in report.tests[1].message


def test_missing_functions_and_non_functions_are_named(tmp_path):
    path = tmp_path / "tiny.py"
    path.write_text("duoble = lambda x: 2 * x\n")
    report = grade(_tiny(), path)
    assert report.score == 0 and "defines no function `double`" in report.tests[0].message
    path.write_text("double = 3\n")
    assert "`double` in your submission is not a function but a value of type int" in \
        grade(_tiny(), path).tests[0].message


def test_an_unreadable_submission_gets_zero_with_the_reason(tmp_path):
    path = tmp_path / "A1_convolution.ipynb"
    path.write_text("{not json")
    report = grade("A1", path)
    assert report.score == 0 and "could not be read" in report.notes[0] and "JSON is broken" in report.notes[0]


@pytest.mark.skipif(sandbox_uid("auto") is None,
                    reason="needs root and a Python that the user 'nobody' can run")
def test_as_root_the_code_runs_as_nobody(tmp_path):
    path = tmp_path / "tiny.py"
    path.write_text("import os\ndef double(x):\n    return 2 * x + os.getuid()\n")
    os.chmod(tmp_path, 0o755)
    report = grade(_tiny(), path)
    assert "(yours 65534, expected 0)" in report.tests[0].message


def test_a_numba_solution_passes_under_the_default_memory_limit(tmp_path):
    # RLIMIT_AS would break Numba's compiler; the grader limits data memory instead.
    extra = """
    from numba import njit

    @njit(cache=True)
    def _conv1d(x_pad, w, b, stride, L_out):
        N, C_in, _ = x_pad.shape
        C_out, _, K = w.shape
        z = np.zeros((N, C_out, L_out))
        for s in range(N):
            for j in range(C_out):
                for t in range(L_out):
                    acc = b[j]
                    for i in range(C_in):
                        for k in range(K):
                            acc += w[j, i, k] * x_pad[s, i, t * stride + k]
                    z[s, j, t] = acc
        return z

    def conv1d_forward(x, w, b, stride=1, padding=0):
        x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
        return _conv1d(x_pad, w, b, stride, (x_pad.shape[2] - w.shape[2]) // stride + 1)
    """
    report = grade("A1", submission(tmp_path, extra), parts=["conv1d_forward"])
    assert report.score == 10, str(report)


def test_a_scalar_result_crosses_the_process_boundary_as_a_scalar(tmp_path):
    """A 0-d ``db`` (dz summed over the maps too) must reach the judge as shape (), to be named."""
    extra = """
    _right_backward = conv1d_backward

    def conv1d_backward(dz, x, w, stride=1, padding=0):
        dx, dw, db = _right_backward(dz, x, w, stride, padding)
        return dx, dw, dz.sum()
    """
    report = grade("A1", submission(tmp_path, extra), parts=["conv1d_backward"])
    assert "db_summed_over_maps" in mistakes(report, "conv1d_backward")


def test_a_driver_part_whose_function_is_missing_says_so(tmp_path):
    """A3's parts run through drivers; a submission without the function is told it is missing."""
    path = tmp_path / "empty.py"
    path.write_text("import numpy as np\n", encoding="utf-8")
    report = grade("A3", path, parts=["predict"])
    assert mistakes(report, "predict") == {"missing"}
