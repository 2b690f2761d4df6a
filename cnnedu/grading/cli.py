"""The ``cnnedu`` command (also ``python -m cnnedu``): assign, grade, autograder, warmup, list.

Examples
--------
::

    cnnedu assign all --out build/assignments
    cnnedu grade A1 alice.ipynb --results results.json
    cnnedu grade A1 submissions/ --csv scores.csv --feedback feedback/
    cnnedu autograder A1 -o A1_autograder.zip
    cnnedu grade A1 /autograder/submission --gradescope      # what run_autograder does
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cnnedu", description="cnnedu's course assignments: generate the student "
                                "notebooks, grade submissions, build the Gradescope autograder.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    a = sub.add_parser("assign", help="write the student notebooks (solutions replaced by stubs)")
    a.add_argument("assignment", help="A1, ... or all")
    a.add_argument("--out", default="build/assignments", help="folder to write to (default: %(default)s; "
                   "keep it outside book/)")
    a.add_argument("--source", default=None, help="folder of the solution notebooks (default: the "
                   "repository's book/assignments)")

    g = sub.add_parser("grade", help="grade a submission (.ipynb, .py) or a folder of submissions")
    g.add_argument("assignment")
    g.add_argument("submission", help="a file, a folder of submissions (one file or sub-folder each), or "
                   "with --gradescope the folder holding one submission")
    g.add_argument("--results", default=None, help="write Gradescope's results.json here (one submission)")
    g.add_argument("--csv", default=None, help="folder mode: write the scores here")
    g.add_argument("--feedback", default=None, help="folder mode: write each report to FEEDBACK/<name>.txt")
    g.add_argument("--gradescope", action="store_true", help="grade the one submission in the folder and "
                   "write /autograder/results/results.json (or --results)")
    g.add_argument("--time-limit", type=float, default=None, metavar="S", help="seconds per part")
    g.add_argument("--memory-limit", type=int, default=None, metavar="MB", help="MB per part")
    g.add_argument("--output-limit", type=int, default=None, metavar="BYTES", help="printed bytes per part")
    g.add_argument("--parts", default=None, help="comma-separated part names (default: all)")
    g.add_argument("--hidden-visibility", default="after_published",
                   choices=("hidden", "after_due_date", "after_published", "visible"),
                   help="Gradescope visibility of hidden tests (default: %(default)s)")
    g.add_argument("--all-tests", action="store_true", help="list every test, not only the failed ones")
    g.add_argument("--sandbox-user", default="auto", help="who runs the student's code: auto (nobody when "
                   "the grader is root), none, or a uid")

    z = sub.add_parser("autograder", help="write the Gradescope autograder zip")
    z.add_argument("assignment")
    z.add_argument("-o", "--out", default=None, help="zip to write (default: <assignment>_autograder.zip)")
    z.add_argument("--wheel", default=None, help="a cnnedu wheel to bundle (default: built from this source tree)")
    z.add_argument("--time-limit", type=float, default=None, metavar="S")
    z.add_argument("--memory-limit", type=int, default=None, metavar="MB")
    z.add_argument("--hidden-visibility", default="after_published",
                   choices=("hidden", "after_due_date", "after_published", "visible"))

    w = sub.add_parser("warmup", help="compute the expected answers once (compiles and caches Numba kernels)")
    w.add_argument("assignment")

    li = sub.add_parser("list", help="list the assignments, their parts and points")
    li.add_argument("assignment", nargs="?", default=None)
    return p


def _user(value: str):
    return None if value == "none" else ("auto" if value == "auto" else int(value))


def _warn_sandbox(user) -> None:
    import os
    from .sandbox import sandbox_uid
    if user == "auto" and os.geteuid() == 0 and sandbox_uid("auto") is None:
        print("cnnedu grade: warning: running as root, and the unprivileged user 'nobody' cannot run this "
              "Python; the submissions run as root (in their own process group, with limits).", file=sys.stderr)


def _grade(args) -> int:
    from . import gradescope
    from .assignments import get_assignment
    from .grader import grade, grade_folder
    spec = get_assignment(args.assignment)
    options = {"time_limit": args.time_limit, "memory_limit": args.memory_limit,
               "output_limit": args.output_limit, "user": _user(args.sandbox_user),
               "parts": args.parts.split(",") if args.parts else None}
    submission = Path(args.submission)
    _warn_sandbox(options["user"])
    if args.gradescope or submission.is_file():
        target = args.results or (gradescope.GRADESCOPE_RESULTS if args.gradescope else None)
        # Gradescope's results folder is the grader's alone; elsewhere watch the results file only.
        watch = [] if target is None else [Path(target).resolve().parent if args.gradescope else Path(target)]
        try:
            report = grade(spec, submission, watch=watch, **options)
        except Exception:                  # never leave Gradescope without a results.json
            if target is None:
                raise
            trace = traceback.format_exc()
            print(trace, file=sys.stderr)
            gradescope.write_results({"score": 0.0, "tests": [], "visibility": "visible",
                                      "output": "The autograder failed on this submission; your instructor "
                                                "has the details and can regrade it."}, target)
            return 0
        for warning in report.warnings:
            print(f"cnnedu grade: warning: {warning}", file=sys.stderr)
        print(report.table())
        feedback = report.feedback(all_tests=args.all_tests)
        if feedback:
            print("\n" + feedback)
        if target is not None:
            gradescope.write_results(gradescope.results_json(report, args.hidden_visibility), target)
            print(f"\nresults: {target}")
        return 0
    if not submission.is_dir():
        print(f"cnnedu grade: no such file or folder: {submission}", file=sys.stderr)
        return 2

    def progress(report):
        for warning in report.warnings:
            print(f"cnnedu grade: warning ({report.submission}): {warning}", file=sys.stderr)
        print(f"{report.submission:<40} {report.score:>7g} / {report.max_score:g}"
              + (f"   ({report.notes[0][:70]})" if report.notes else ""), flush=True)

    watch = [Path(p) for p in (args.csv, args.feedback) if p]
    reports = grade_folder(spec, submission, csv_path=args.csv, feedback_dir=args.feedback,
                           progress=progress, watch=watch, **options)
    print(f"\n{len(reports)} submission{'s' if len(reports) != 1 else ''} graded"
          + (f"; scores in {args.csv}" if args.csv else "")
          + (f"; feedback in {args.feedback}/" if args.feedback else ""))
    return 0


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "assign":
            from .notebook import assign
            for path in assign(args.assignment, args.out, args.source):
                print(f"wrote {path}")
            return 0
        if args.command == "grade":
            return _grade(args)
        if args.command == "autograder":
            from .gradescope import build_autograder
            out = args.out or f"{args.assignment.upper()}_autograder.zip"
            path = build_autograder(args.assignment, out, wheel=args.wheel, time_limit=args.time_limit,
                                    memory_limit=args.memory_limit, hidden_visibility=args.hidden_visibility)
            print(f"wrote {path}: upload it as the autograder of a Gradescope programming assignment")
            return 0
        if args.command == "warmup":
            from .assignments import get_assignment
            spec = get_assignment(args.assignment)
            spec.prepare()
            print(f"{spec.name}: expected answers computed for {sum(len(p.cases()) for p in spec.parts)} inputs")
            return 0
        if args.command == "list":
            from .assignments import get_assignment, names
            for name in ([args.assignment] if args.assignment else names()):
                spec = get_assignment(name)
                print(f"{spec.name}: {spec.title} ({spec.notebook}, {spec.max_score:g} points)")
                for p in spec.parts:
                    hidden = sum(t.points for t in p.tests if not t.visible)
                    print(f"  {p.signature:<60} {p.max_score:>5g} points ({hidden:g} hidden)")
            return 0
    except (KeyError, FileNotFoundError, ValueError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"cnnedu {args.command}: {message}", file=sys.stderr)
        return 2
    return 2
