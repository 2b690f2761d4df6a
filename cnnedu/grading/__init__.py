"""Course assignments graded against tests: generate, check, grade, upload.

Instructors (see ``docs/grading.md``)::

    cnnedu assign all --out build/assignments         # student notebooks, solutions removed
    cnnedu grade A1 alice.ipynb                        # one submission: table, feedback, results.json
    cnnedu grade A1 submissions/ --csv scores.csv      # a folder of submissions
    cnnedu autograder A1 -o A1_autograder.zip          # the Gradescope bundle

Students, while they work::

    cnnedu.check("A1.conv2d_forward", conv2d_forward)  # the visible tests, in the notebook

Modules:

========================  ===========================================================
:mod:`.spec`              how an assignment is declared: parts, cases, tests, variants
:mod:`.assignments`       one module per assignment (``a1_convolution``, ...)
:mod:`.judge`             verdicts and the messages that explain them (``MISTAKES``)
:mod:`.results`           results per test, part and submission; text, HTML, CSV rows
:mod:`.sandbox`           the child process, its limits, and the security model
:mod:`.submission`        reading ``.py`` files and notebooks (what runs, what is skipped)
:mod:`.grader`            ``grade``, ``grade_folder``, ``check``, ``self_test``
:mod:`.notebook`          ``assign``: solution notebook to student notebook
:mod:`.gradescope`        ``results.json`` (written, validated) and the autograder zip
:mod:`.cli`               ``cnnedu assign | grade | autograder | warmup | list``
========================  ===========================================================

Attributes are imported on first use: ``import cnnedu.grading`` is cheap, which matters
because the grader's child process imports this package before the student's code.
"""

from __future__ import annotations

import importlib
import os

_EXPORTS = {
    "check": "grader", "self_test": "grader", "grade": "grader", "grade_folder": "grader",
    "assign": "notebook", "get_assignment": "assignments", "Assignment": "spec", "Part": "spec",
    "Test": "spec", "Case": "spec", "Variant": "spec", "MISTAKES": "judge", "Report": "results",
    "validate_results": "gradescope", "build_autograder": "gradescope",
}

__all__ = sorted(_EXPORTS)


def _skipped(name: str, *args, **kwargs):
    from .results import CheckReport
    return CheckReport(str(name), None, skipped=True)


def __getattr__(name: str):
    if name in ("check", "self_test") and os.environ.get("CNNEDU_GRADING"):
        return _skipped                   # inside the grader's child: checks return at once
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cnnedu.grading' has no attribute {name!r}")


def __dir__():
    return sorted(set(__all__) | {"assignments", "spec", "judge", "results", "sandbox", "submission",
                                  "grader", "notebook", "gradescope", "cli"})
