"""Judging the student's outputs: right or wrong, and in words what went wrong.

Every verdict is made in the grader's own process, from arrays the child returned and
answers the grader computed.  The words come in two kinds:

* :data:`MISTAKES`: fixed sentences naming a known slip, found by a part's variants
  (deliberately wrong references) or hints.  Assignment modules add their own with
  ``MISTAKES.update(...)``, as :mod:`cnnedu.exercises` does for the book's checks;
* messages about what happened to a call (an exception and where, a time-out, a
  wrong shape with the expected one and its formula), which carry the specifics.

Examples
--------
>>> import numpy as np
>>> from cnnedu.grading.spec import Case, Part, Test, Variant
>>> from cnnedu.grading.sandbox import CallOutcome
>>> case = Case("three values", (np.array([1.0, 2.0, 3.0]),))
>>> MISTAKES["forgot_to_double"] = "You returned the input unchanged: multiply it by two."
>>> part = Part("double", "double", "double(x)", "Doubling", ("y",), (Test("values", 1, (case,)),),
...             reference=lambda x: (2 * x,), variants=(Variant("forgot_to_double", lambda x: (x,)),))
>>> v = judge_case(part, part.tests[0], case, CallOutcome("ok", [np.array([1.0, 2.0, 3.0])]))
>>> v.passed, v.mistake
(False, 'forgot_to_double')
>>> print(v.message)  # doctest: +NORMALIZE_WHITESPACE
You returned the input unchanged: multiply it by two. (3 of 3 values are wrong; the largest
difference is 3 at index (2,) (yours 3, expected 6).)
>>> del MISTAKES["forgot_to_double"]
"""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass

import numpy as np

from .results import PartResult, TestResult

__all__ = ["MISTAKES", "Verdict", "judge_case", "judge_part", "failed_part", "all_outputs_right",
           "describe_import_failure", "argument_names"]

#: Fixed sentences for the slips a variant or a hint recognises: key -> sentence.
MISTAKES: dict[str, str] = {
    "not_finite": "Your result contains NaN or infinity: look for a division by zero, an array "
                  "created with np.empty and never filled, or a value read outside the input.",
    "integer_dtype": "Your result has an integer dtype, so the fractional part of every value was "
                     "cut off: create the result with a float dtype (np.zeros(shape) is float64).",
    "all_zero": "Your result is all zeros: check that you fill the array you return (and return the "
                "array you fill).",
    "scaled": "Your values are the right ones times a constant factor: look for a division or a "
              "multiplication that should not be there (an average instead of a sum?).",
    "sign": "Your values have the wrong sign everywhere: check the sign of what you add.",
}


@dataclass(frozen=True)
class Verdict:
    """The verdict on one case: ``passed``, a ``message``, and the ``mistake`` key if one was recognised."""

    passed: bool
    message: str = ""
    mistake: str | None = None


_PARAMS = re.compile(r"\((.*)\)")


def argument_names(signature: str) -> list[str]:
    """The parameter names of a signature written as text.

    >>> argument_names("conv2d_forward(x, w, b, stride=1, padding=0)")
    ['x', 'w', 'b', 'stride', 'padding']
    """
    match = _PARAMS.search(signature)
    if not match:
        return []
    return [p.split("=")[0].strip().lstrip("*") for p in match.group(1).split(",") if p.strip()]


# ---------------------------------------------------------------------------
# Comparing arrays
# ---------------------------------------------------------------------------

def _close(got: np.ndarray, ref: np.ndarray, part) -> bool:
    if got.shape != ref.shape:
        return False
    if ref.size == 0:
        return True
    scale = max(1.0, float(np.max(np.abs(ref))))
    with np.errstate(all="ignore"):
        return bool(np.allclose(got.astype(np.float64), ref, rtol=part.rtol, atol=part.atol * scale))


def diagnose(part, case, output: int, got: np.ndarray, expected: np.ndarray):
    """``(mistake, exact)``: the first variant that reproduces ``got`` (``exact``), else one
    whose output merely has ``got``'s (wrong) shape, else ``(None, False)``."""
    if not case.params.get("diagnose", True):
        return None, False                            # e.g. a large timing case: variants cost too much
    by_shape = None
    for variant in part.variants:
        outs = part.variant_outputs(variant, case)
        if outs is None or output >= len(outs) or outs[output] is None:
            continue
        ref = outs[output]
        if _close(ref, expected, part):
            continue                                  # this mistake makes no difference here
        if ref.shape == got.shape:
            if _close(got, ref, part):
                return variant.mistake, True
            if got.shape != expected.shape and by_shape is None:
                by_shape = variant.mistake
    return by_shape, False


def _generic_hint(got: np.ndarray, expected: np.ndarray) -> str | None:
    if not np.all(np.isfinite(got)):
        return "not_finite"
    if got.dtype.kind in "biu" and not np.array_equal(expected, np.round(expected)):
        return "integer_dtype"
    if not got.any() and expected.any():
        return "all_zero"
    g, e = got.astype(np.float64).ravel(), expected.astype(np.float64).ravel()
    ee = float(e @ e)
    if ee > 0:
        c = float(g @ e) / ee
        if not np.isclose(c, 1.0) and np.allclose(g, c * e, rtol=1e-5, atol=1e-6 * max(1.0, np.abs(e).max())):
            return "sign" if np.isclose(c, -1.0) else "scaled"
    return None


def _difference(got: np.ndarray, expected: np.ndarray, part) -> str:
    g = got.astype(np.float64)
    with np.errstate(all="ignore"):
        diff = np.abs(g - expected)
    diff = np.where(np.isfinite(diff), diff, np.inf)
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    wrong = diff > part.atol * scale + part.rtol * np.abs(expected)
    idx = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
    where = f" at index {tuple(int(i) for i in idx)}" if idx else ""
    return (f"{int(wrong.sum())} of {wrong.size} values are wrong; the largest difference is "
            f"{float(diff[idx]):.3g}{where} (yours {float(g[idx]):.6g}, expected {float(expected[idx]):.6g}).")


# ---------------------------------------------------------------------------
# What happened to a call, in words
# ---------------------------------------------------------------------------

_EXCEPTION_HINTS = {
    "IndexError": "An index ran past the end of an array: check the loop bounds and the padding.",
    "ValueError": "If numpy could not broadcast or reshape, print the shapes of the arrays on that line.",
    "NameError": "A name is used before it is defined (or is defined in a cell that did not run).",
    "UnboundLocalError": "A variable is used before it is given a value in this function.",
}


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def _died(fn: str, info: dict, limits, when: str) -> str:
    code = info.get("returncode")
    if code is None:
        return f"The process running your code stopped answering while {when}."
    if code < 0:
        name = _signal_name(code)
        why = {"SIGKILL": " (killed, most likely for using too much memory)",
               "SIGSEGV": " (a segmentation fault: in a Numba function, an index out of bounds?)",
               "SIGXFSZ": " (it wrote a file larger than allowed)"}.get(name, "")
        return f"The process running your code was ended by {name}{why} while {when}."
    return (f"The process running your code exited (exit code {code}) while {when}, without returning "
            f"a result: os._exit(), or a crash in compiled code?")


def _where(script, info: dict) -> str:
    """Where an error happened, as the student knows the place: ' (cell 7, line 3)'."""
    if script is not None and info.get("line") is not None:
        return f" ({script.where(info['line'])})"
    return f" ({info['where']})" if info.get("where") else ""


def describe_outcome(part, outcome, script=None, limits=None) -> Verdict:
    """The failed verdict for a call that did not return usable arrays."""
    fn = f"`{part.function}`"
    status, info = outcome.status, outcome.info
    if status == "missing":
        return Verdict(False, f"Your submission defines no function {fn}: keep the name and the signature "
                              f"`{part.signature}` that the assignment gives.", "missing")
    if status == "not_callable":
        return Verdict(False, f"{fn} in your submission is not a function but a value of type "
                              f"{info.get('detail', '?')}.", "missing")
    if status == "error":
        kind, message = info.get("type", "Exception"), info.get("message", "")
        where = _where(script, info)
        if kind == "NotImplementedError":
            return Verdict(False, f"{fn} still raises NotImplementedError: replace that line with your code.",
                           "not_implemented")
        if kind == "SystemExit":
            return Verdict(False, f"{fn} called sys.exit() (or exit()){where}: return the result instead of "
                                  f"ending the program.", "system_exit")
        if kind == "MemoryError":
            mb = f" (the grader allows {limits.memory} MB per part)" if limits else ""
            return Verdict(False, f"{fn} ran out of memory{where}{mb}: look for an array far larger than "
                                  f"its inputs.", "memory")
        if kind == "ImportError" and "does not allow importing" in message:
            return Verdict(False, f"{fn} imports a forbidden module: {message}", "forbidden_import")
        hint = _EXCEPTION_HINTS.get(kind, "")
        text = f"{fn} raised {kind}{where}: {message}".rstrip(": ") + "."
        return Verdict(False, text + (" " + hint if hint else ""), "exception")
    if status == "bad_return":
        reason, detail = info.get("reason"), info.get("detail", "")
        if reason == "returned_none":
            return Verdict(False, f"{fn} returned None: did you forget the `return` statement?", "returned_none")
        if reason == "wrong_count":
            want = (f"one array, {part.outputs[0]}" if len(part.outputs) == 1
                    else f"a tuple ({', '.join(part.outputs)})")
            return Verdict(False, f"{fn} returned {detail}; it should return {want}.", "wrong_count")
        if reason == "complex":
            return Verdict(False, f"{fn} returned complex numbers; it should return real ones.", "not_numeric")
        if reason == "too_large":
            cap = f" (at most {limits.returned >> 20} MB)" if limits else ""
            return Verdict(False, f"{fn} returned an array far too large{cap}: check the shape you allocate.",
                           "too_large")
        return Verdict(False, f"{fn} returned {detail or 'something'}, not an array of numbers.", "not_numeric")
    if status == "timeout":
        if "call_limit" in info:
            return Verdict(False, f"{fn} took longer than the {info['call_limit']:g} s this test allows on this "
                                  f"input.", "too_slow")
        budget = f"{limits.time:g} s, loading your code included" if limits else "the part's time limit"
        return Verdict(False, f"{fn} did not finish within the part's time limit ({budget}): an infinite loop, "
                              f"or far slower code than needed?", "timeout")
    if status == "output_limit":
        cap = f" ({limits.output} bytes)" if limits else ""
        return Verdict(False, f"Your code printed more than the grader accepts{cap} while running {fn}: remove "
                              f"print calls inside loops. The part was stopped.", "output_limit")
    if status == "died":
        return Verdict(False, _died(fn, info, limits, f"running {fn}"), "died")
    if status == "unreadable":
        return Verdict(False, f"The grader could not read what {fn} returned ({info.get('message', '')}).",
                       "unreadable")
    if status == "not_run":
        reason = info.get("reason")
        text = {
            "timeout": "the part's time limit was used up on the inputs before it",
            "output_limit": "the part was stopped after your code printed too much",
            "died": "the process running your code died on an earlier input",
            "unreadable": "the grader could not read an earlier result",
            "restart": "your code could not be loaded again after an earlier input was stopped",
            "import": "your code could not be loaded",
        }.get(reason, "an earlier input stopped the part")
        return Verdict(False, f"Not run: {text}.", "not_run")
    return Verdict(False, f"Unexpected result ({status}).", "unreadable")


def describe_import_failure(imported, script=None, limits=None) -> str:
    """Why nothing could be graded: the submission failed while loading."""
    info = imported.info
    if imported.status == "error":
        kind, message = info.get("type", "Exception"), info.get("message", "")
        where = _where(script, info)
        if kind == "SystemExit":
            return (f"Your file called sys.exit() while loading{where}, so nothing could be graded. "
                    f"Remove the call (or move it under `if __name__ == \"__main__\":`).")
        if kind == "SyntaxError":
            return f"Your file has a syntax error{where}: {message}. Nothing could be graded."
        if kind == "ImportError" and "does not allow importing" in message:
            return f"Your file imports a forbidden module{where}: {message}. Nothing could be graded."
        return f"Your file raised {kind} while loading{where}: {message}. Nothing could be graded."
    if imported.status == "timeout":
        t = f"{limits.time:g} s" if limits else "the time limit"
        return (f"Loading your code did not finish within {t}, so nothing could be graded. Code at the top "
                f"level (an infinite loop, a slow demo) belongs under `if __name__ == \"__main__\":`, or in a "
                f"notebook cell whose first line is `# grader: skip`.")
    if imported.status == "output_limit":
        return "Your code printed more than the grader accepts while loading, so nothing could be graded."
    if imported.status == "died":
        return _died("", info, limits, "loading your code") + " Nothing could be graded."
    return f"The grader could not load your code ({info.get('message', imported.status)})."


# ---------------------------------------------------------------------------
# Verdicts
# ---------------------------------------------------------------------------

def _shape_message(part, case, output, got, expected) -> str:
    name = part.outputs[output]
    text = f"{name} should have shape {expected.shape}, yours has shape {got.shape}."
    if part.describe_shape is not None:
        text += " " + part.describe_shape(case, output, expected.shape)
    return text


def judge_case(part, test, case, outcome, *, script=None, limits=None) -> Verdict:
    """The verdict of ``test`` on one case, given what the student's call returned."""
    if outcome.status != "ok":
        return describe_outcome(part, outcome, script, limits)
    outputs = outcome.outputs
    if test.judge is not None:
        return test.judge(outputs, case, part)
    expected = part.expected(case)[test.output]
    got = outputs[test.output]
    if got.shape != expected.shape:
        name = part.outputs[test.output]
        if test.kind == "shape":
            message = _shape_message(part, case, test.output, got, expected)
        else:
            message = (f"Cannot compare the values: {name} should have shape {expected.shape}, "
                       f"yours has shape {got.shape}.")
        mistake, exact = diagnose(part, case, test.output, got, expected)
        if mistake:
            message += (" " if exact else " The shape is the one this mistake gives: ") + MISTAKES[mistake]
        return Verdict(False, message, mistake or "wrong_shape")
    if test.kind == "shape":
        return Verdict(True)
    if _close(got, expected, part):
        return Verdict(True)
    mistake, _ = diagnose(part, case, test.output, got, expected)
    if mistake is None:
        mistake = _generic_hint(got, expected)
    if mistake is None:
        for hint in part.hints:
            mistake = hint(got, expected, case, test.output)
            if mistake:
                break
    detail = _difference(got, expected, part)
    if mistake:
        return Verdict(False, f"{MISTAKES[mistake]} ({detail})", mistake)
    return Verdict(False, detail, "wrong_values")


def _test_result(part, test, outcomes, script, limits) -> TestResult:
    verdicts = [(case, judge_case(part, test, case, outcomes[id(case)], script=script, limits=limits))
                for case in test.cases]
    failed = [(c, v) for c, v in verdicts if not v.passed]
    if not failed:
        n = len(verdicts)
        message = "Right." if n == 1 else f"Right on all {n} inputs."
        return TestResult(part.name, test.name, float(test.points), float(test.points), test.visible, message)
    case, verdict = failed[0]
    lead = f"Input {case.label}" if len(verdicts) == 1 else \
        f"Wrong on {len(failed)} of {len(verdicts)} inputs; the first: {case.label}"
    if verdict.mistake in MISTAKES:
        reason = MISTAKES[verdict.mistake]          # the same slip, whatever the numbers
    elif verdict.mistake in ("wrong_values", "wrong_shape"):
        reason = ""
    else:
        reason = verdict.message                    # what happened to the call
    return TestResult(part.name, test.name, float(test.points), 0.0, test.visible,
                      f"{lead}. {verdict.message}", verdict.mistake, reason)


def judge_part(part, outcomes: dict, *, script=None, limits=None, visible_only: bool = False,
               notes=(), printed: str = "") -> PartResult:
    """Judge every test of ``part`` (``outcomes`` maps ``id(case)`` to its :class:`CallOutcome`)."""
    tests = [t for t in part.tests if t.visible or not visible_only]
    results = [_test_result(part, t, outcomes, script, limits) for t in tests]
    notes = list(notes)
    names = argument_names(part.signature)
    mutated = sorted({i for o in outcomes.values() if o.status == "ok" for i in o.mutated})
    if mutated and part.driver is None:             # a driver's arguments are not the student's
        args = ", ".join(names[i] if i < len(names) else f"argument {i}" for i in mutated)
        notes.append(f"`{part.function}` changed its input ({args}) in place. The grader passed copies, but "
                     f"code that calls it would see its inputs change: work on a copy.")
    return PartResult(part.name, part.title, part.function, results, notes, printed)


def failed_part(part, message: str, mistake: str, *, visible_only: bool = False) -> PartResult:
    """Every test of ``part`` at zero, for the same reason."""
    tests = [t for t in part.tests if t.visible or not visible_only]
    return PartResult(part.name, part.title, part.function,
                      [TestResult(part.name, t.name, float(t.points), 0.0, t.visible, message, mistake, message)
                       for t in tests], [])


def all_outputs_right(outputs, case, part) -> Verdict:
    """A ``judge`` for :class:`~.spec.Test`: every output of the part has the right shape and values.

    For a test that should count once for a whole call (a speed test, say).
    """
    from .sandbox import CallOutcome
    from .spec import Test
    outcome = CallOutcome("ok", list(outputs))
    for i, name in enumerate(part.outputs):
        probe = Test(name, 0, (case,), output=i)
        verdict = judge_case(part, probe, case, outcome)
        if not verdict.passed:
            return Verdict(False, f"{name}: {verdict.message}", verdict.mistake)
    return Verdict(True)
