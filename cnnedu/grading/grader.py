"""Grade a submission (in a sandbox), a folder of them (into a CSV), or check one function in-process.

:func:`grade` is what ``cnnedu grade`` runs: the submission's code runs in child
processes (:mod:`.sandbox`), one per part, and everything is judged here.
:func:`check` is what ``cnnedu.check`` runs while a student works: the visible tests of
one part, on the function itself, in the student's own process (no sandbox: it is the
student's own notebook), with the same messages.
"""

from __future__ import annotations

import copy
import csv
import os
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

from ._worker import _as_outputs
from .assignments import get_assignment
from .judge import describe_import_failure, failed_part, judge_part
from .results import CheckReport, Report
from .sandbox import CallOutcome, CallSpec, Limits, run_part
from .spec import Assignment
from .submission import SubmissionError, find_submission, load_submission

__all__ = ["grade", "grade_folder", "check", "self_test", "limits_for"]


def _spec(assignment) -> Assignment:
    return assignment if isinstance(assignment, Assignment) else get_assignment(assignment)


def limits_for(spec: Assignment, time_limit=None, memory_limit=None, output_limit=None) -> Limits:
    """The assignment's default limits, with any of them overridden."""
    return Limits(time=float(time_limit or spec.time_limit), memory=int(memory_limit or spec.memory_limit),
                  output=int(output_limit or spec.output_limit))


def _snapshot() -> dict:
    """Size and modification time of cnnedu's source files."""
    import cnnedu
    root = Path(cnnedu.__file__).resolve().parent
    out = {}
    for p in root.rglob("*.py"):
        try:
            st = p.stat()
        except OSError:
            continue
        out[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out


def _folder_state(paths) -> dict:
    """Size and modification time of each watched file, and of the files directly in each watched folder."""
    state = {}
    for path in map(Path, paths):
        entries = list(path.iterdir()) if path.is_dir() else [path]
        for p in entries:
            try:
                st = p.lstat()
            except OSError:
                continue
            state[str(p)] = (st.st_size, st.st_mtime_ns)
    return state


def _cell_note(cell: dict, script) -> str:
    where = f", line {script.where(cell['line']).split('line ')[-1]}" if cell.get("line") else ""
    message = f": {cell['message']}" if cell.get("message") else ""
    return (f"{cell['cell']} raised {cell['type']}{where}{message}. The grader went on with the next cell; "
            f"functions defined after it are still graded.")


def grade(assignment, submission, *, time_limit: float | None = None, memory_limit: int | None = None,
          output_limit: int | None = None, parts=None, user="auto", watch=()) -> Report:
    """Grade one submission: a ``.py`` file, a notebook, or a folder holding one.

    Parameters
    ----------
    assignment : str or Assignment
        ``"A1"``, ...
    submission : path
    time_limit : float, optional
        Seconds per part, loading the submission included (default: the assignment's).
    memory_limit : int, optional
        MB of data memory per part (default: the assignment's).
    output_limit : int, optional
        Bytes the code may print per part.
    parts : list of str, optional
        Grade these parts only.
    user : "auto", None or int
        Who the student's code runs as (see :func:`cnnedu.grading.sandbox.sandbox_uid`).
    watch : list of paths
        Files, and folders (their files, not sub-folders), that the student's code must not
        write to: where the grader keeps its results.  A part during which any of them
        changes gets no points.

    Returns
    -------
    Report
    """
    spec = _spec(assignment)
    limits = limits_for(spec, time_limit, memory_limit, output_limit)
    selected = spec.parts if parts is None else tuple(spec.part(n) for n in parts)
    spec.prepare()                     # every expected answer, before any student code runs
    start = time.monotonic()
    path = Path(submission)
    try:
        if path.is_dir():
            path = find_submission(path, spec.notebook)
        script = load_submission(path)
    except (SubmissionError, OSError) as exc:
        message = f"The submission could not be read: {exc}"
        return Report(spec.name, spec.title, Path(submission).name,
                      [failed_part(p, message, "unreadable") for p in selected], [message],
                      time.monotonic() - start)
    name = Path(submission).name if Path(submission).is_dir() else path.name
    functions = sorted({p.function for p in spec.parts})
    notes = list(script.notes)
    before = _snapshot()
    watched_before = _folder_state(watch)
    results, failure, noted_cells, warnings = [], None, False, []
    # One Numba cache for the parts of this submission: cnnedu's kernels compile once, not once
    # per part; never shared between submissions, so none can plant code in another's run.
    with tempfile.TemporaryDirectory(prefix="cnnedu-numba-") as numba_cache:
        for part in selected:
            if failure is not None:
                results.append(failed_part(part, failure, "import_failed"))
                continue
            cases = part.cases()
            calls = [CallSpec(part.function, case.args, len(part.outputs), limit, part.driver)
                     for case, limit in cases]
            run = run_part(script, calls, functions, limits, assignment=spec.name,
                           forbidden=spec.forbidden_imports, user=user,
                           cache_dir=numba_cache)
            if run.imported is None or run.imported.status != "ok":
                reason = describe_import_failure(run.imported, script, limits) if run.imported else \
                    "The part's time limit was used up before your code could be loaded."
                if run.imported is not None and not noted_cells:     # the same for every part: stop here
                    failure = reason
                notes.append(reason)
                results.append(failed_part(part, reason, "import_failed"))
                continue
            if not noted_cells:
                notes += [_cell_note(c, script) for c in run.imported.cells]
                noted_cells = True
            outcomes = {id(case): outcome for (case, _), outcome in zip(cases, run.outcomes)}
            result = judge_part(part, outcomes, script=script, limits=limits, printed=run.printed)
            watched = _folder_state(watch)
            if watched != watched_before:
                touched = sorted(Path(k).name for k in set(watched) | set(watched_before)
                                 if watched.get(k) != watched_before.get(k))
                message = (f"While `{part.function}` ran, your code wrote to the folder where the grader keeps "
                           f"its results ({', '.join(touched[:5])}), so this part gets no points.")
                result = failed_part(part, message, "wrote_results")
                notes.append(message)
                watched_before = watched
            results.append(result)
            after = _snapshot()
            if after != before:
                changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
                warnings.append(f"cnnedu's files changed while part {part.name} ran ({', '.join(changed[:5])}). "
                                f"The grade is not affected (the grader had loaded cnnedu before), but if nobody "
                                f"edited them, the submission did: reinstall cnnedu before grading more.")
                before = after
    return Report(spec.name, spec.title, name, results, notes, time.monotonic() - start, warnings)


def _entries(folder: Path) -> list:
    return sorted(p for p in folder.iterdir()
                  if not p.name.startswith((".", "__")) and (p.is_dir() or p.suffix in (".py", ".ipynb")))


def grade_folder(assignment, folder, *, csv_path=None, feedback_dir=None, progress=None, **options) -> list:
    """Grade every submission in ``folder`` (each a file, or a sub-folder holding one).

    Writes ``csv_path`` (one row per submission: a column per part, the total, the
    maximum and notes) and, if given, ``feedback_dir/<submission>.txt`` with each
    report.  ``progress(report)`` is called after each submission.  ``options`` go to
    :func:`grade`.
    """
    spec = _spec(assignment)
    reports = []
    for entry in _entries(Path(folder)):
        report = grade(spec, entry, **options)
        reports.append(report)
        if feedback_dir is not None:
            Path(feedback_dir).mkdir(parents=True, exist_ok=True)
            (Path(feedback_dir) / f"{entry.stem if entry.is_file() else entry.name}.txt").write_text(
                str(report) + "\n", encoding="utf-8")
        if progress is not None:
            progress(report)
    if csv_path is not None:
        write_csv(spec, reports, csv_path)
    return reports


def write_csv(spec: Assignment, reports, path) -> None:
    """One row per report; columns: submission, each part, total, max, notes."""
    columns = ["submission", *[p.name for p in spec.parts], "total", "max", "notes"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore", restval="")
        writer.writeheader()
        for r in reports:
            writer.writerow(r.row())


# ---------------------------------------------------------------------------
# In-process checks (cnnedu.check)
# ---------------------------------------------------------------------------

def _error_outcome(exc: BaseException, fn) -> CallOutcome:
    code = getattr(fn, "__code__", None)
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if code is not None and frame.filename == code.co_filename:
            line = frame.lineno
    info = {"type": type(exc).__name__, "message": str(exc)[:600], "line": None}
    if line is not None and code is not None:
        info["where"] = f"line {line - code.co_firstlineno + 1} of the function"
    return CallOutcome("error", info=info)


def _call_in_process(part, target, case, time_limit) -> CallOutcome:
    args = tuple(a.copy() if isinstance(a, np.ndarray) else copy.deepcopy(a) for a in case.args)
    if part.driver is not None:
        from ._worker import _driver
        driver = _driver(part.driver)
        namespace = target if isinstance(target, dict) else {part.function: target}
        fn = lambda *a: driver(namespace, *a)            # noqa: E731
    else:
        fn = target
    start = time.perf_counter()
    try:
        result = fn(*args)
    except (Exception, SystemExit) as exc:               # KeyboardInterrupt stops the check
        return _error_outcome(exc, target if callable(target) else None)
    seconds = time.perf_counter() - start
    if time_limit is not None and seconds > time_limit:
        return CallOutcome("timeout", info={"call_limit": time_limit}, seconds=seconds)
    arrays, reason, detail = _as_outputs(result, len(part.outputs), 1 << 40)
    if arrays is None:
        return CallOutcome("bad_return", info={"reason": reason, "detail": detail}, seconds=seconds)
    mutated = [i for i, a in enumerate(case.args)
               if isinstance(a, np.ndarray) and not (a.shape == args[i].shape
                                                     and np.array_equal(a, args[i], equal_nan=True))]
    return CallOutcome("ok", arrays, seconds=seconds, mutated=mutated)


def check(name: str, fn, *, include_hidden: bool = False) -> CheckReport:
    """Run the visible tests of one assignment part on ``fn``, here and now.

    Parameters
    ----------
    name : str
        ``"A1.conv2d_forward"``: the assignment and the part.
    fn : callable
        Your function (for a part that uses several of your functions, ``globals()``).
    include_hidden : bool
        Run the hidden tests too (for instructors' solution notebooks; the student
        version of a notebook never does).

    Returns
    -------
    CheckReport
        Shows itself as text, or as a coloured box in a notebook; true when every test passed.

    Examples
    --------
    >>> import numpy as np
    >>> def conv1d_forward(x, w, b, stride=1, padding=0):
    ...     raise NotImplementedError("write conv1d_forward")
    >>> check("A1.conv1d_forward", conv1d_forward)
    A1.conv1d_forward: … not written yet: `conv1d_forward` raises NotImplementedError
    """
    if os.environ.get("CNNEDU_GRADING"):
        return CheckReport(name, None, skipped=True)
    assignment, _, part_name = name.partition(".")
    spec = get_assignment(assignment)
    part = spec.part(part_name)
    if part.driver is None and not callable(fn):
        raise TypeError(f"check: fn must be your function {part.function}, got {fn!r} ({type(fn).__name__})")
    tests = [t for t in part.tests if t.visible or include_hidden]
    limits, outcomes = {}, {}
    for t in tests:
        for c in t.cases:
            limits[id(c)] = (c, t.time_limit)
    for key, (case, limit) in limits.items():
        outcomes[key] = _call_in_process(part, fn, case, limit)
    result = judge_part(part, outcomes, visible_only=not include_hidden)
    return CheckReport(name, result, hidden_included=include_hidden)


def self_test(name: str, fn) -> CheckReport:
    """Every test of a part, hidden ones included, in-process: for solution notebooks."""
    return check(name, fn, include_hidden=True)
