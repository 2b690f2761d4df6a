"""Results: per test, per part, per submission; as text, as HTML in a notebook, as a CSV row.

Examples
--------
>>> t = TestResult("conv2d_forward", "values: stride 1", 2.0, 2.0, True, "Right.")
>>> part = PartResult("conv2d_forward", "2-D convolution, forward", "conv2d_forward", [t], [])
>>> part.score, part.max_score, t.passed
(2.0, 2.0, True)
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

__all__ = ["TestResult", "PartResult", "Report", "CheckReport"]

# Okabe-Ito colours, as cnnedu.viz.colors and cnnedu.exercises use them.
_COLOURS = {"passed": "#009E73", "failed": "#D55E00", "skipped": "#999999"}
_MARK = {True: "✔", False: "✘"}


def _points(x: float) -> str:
    return f"{x:g}"


@dataclass
class TestResult:
    """One test's outcome: ``score`` of ``max_score`` points, and a message in words.

    ``reason`` is the message without the input it is about: tests that failed for the
    same reason are reported together.
    """

    part: str
    name: str
    max_score: float
    score: float
    visible: bool
    message: str
    mistake: str | None = None
    reason: str = ""

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score and self.mistake is None


@dataclass
class PartResult:
    """The tests of one part, and notes about the part (an input changed in place, ...)."""

    name: str
    title: str
    function: str
    tests: list
    notes: list = field(default_factory=list)
    printed: str = ""

    @property
    def score(self) -> float:
        return float(sum(t.score for t in self.tests))

    @property
    def max_score(self) -> float:
        return float(sum(t.max_score for t in self.tests))

    @property
    def passed(self) -> bool:
        return all(t.passed for t in self.tests)

    def details(self, *, all_tests: bool = False, indent: str = "  ") -> str:
        """The failed tests (or all of them) with their messages, one line per distinct reason."""
        lines = []
        if all_tests:
            for t in self.tests:
                tag = "" if t.visible else " [hidden]"
                lines.append(f"{indent}{_MARK[t.passed]} {t.name}{tag} ({_points(t.score)}/{_points(t.max_score)})"
                             + ("" if t.passed else f": {t.message}"))
        else:
            groups: dict = {}
            for t in self.tests:
                if not t.passed:
                    groups.setdefault(t.reason or t.message, []).append(t)
            for tests in groups.values():
                first = tests[0]
                tag = "" if first.visible else " [hidden]"
                if len(tests) == 1:
                    lines.append(f"{indent}✘ {first.name}{tag} ({_points(first.score)}/{_points(first.max_score)}): "
                                 f"{first.message}")
                else:
                    names = "; ".join(t.name + ("" if t.visible else " [hidden]") for t in tests[:3])
                    more = f"; and {len(tests) - 3} more" if len(tests) > 3 else ""
                    total = sum(t.max_score for t in tests)
                    lines.append(f"{indent}✘ {len(tests)} tests ({names}{more}) (0/{_points(total)}), all for "
                                 f"the same reason. The first: {first.message}")
            passed = len([t for t in self.tests if t.passed])
            if passed:
                lines.append(f"{indent}✔ {passed} other test{'s' if passed != 1 else ''} passed")
        for note in self.notes:
            lines.append(f"{indent}note: {note}")
        if self.printed.strip():
            text = self.printed.strip()
            lines.append(f"{indent}your code printed: {text[:300]!r}" + (" …" if len(text) > 300 else ""))
        return "\n".join(lines)


@dataclass
class Report:
    """The grade of one submission: its parts, notes about the whole submission, and the totals.

    ``notes`` are for the student (cells skipped, an error while loading); ``warnings``
    are for the instructor only (cnnedu's files changed while the submission ran).
    """

    assignment: str
    title: str
    submission: str
    parts: list
    notes: list = field(default_factory=list)
    seconds: float = 0.0
    warnings: list = field(default_factory=list)

    @property
    def score(self) -> float:
        return float(sum(p.score for p in self.parts))

    @property
    def max_score(self) -> float:
        return float(sum(p.max_score for p in self.parts))

    @property
    def tests(self) -> list:
        return [t for p in self.parts for t in p.tests]

    def table(self) -> str:
        """The per-part table and the total."""
        width = max([len(p.name) for p in self.parts] + [5])
        lines = [f"{self.assignment}: {self.title} ({self.submission})", "",
                 f"  {'part':<{width}}  {'score':>7}  {'max':>5}"]
        for p in self.parts:
            lines.append(f"  {p.name:<{width}}  {_points(p.score):>7}  {_points(p.max_score):>5}")
        lines.append(f"  {'total':<{width}}  {_points(self.score):>7}  {_points(self.max_score):>5}")
        return "\n".join(lines)

    def feedback(self, *, all_tests: bool = False) -> str:
        """The notes and, part by part, the failed tests with their messages."""
        lines = [f"note: {n}" for n in self.notes]
        for p in self.parts:
            if not all_tests and p.tests and all(t.message in self.notes and not t.passed for t in p.tests):
                lines += ["", f"{p.name}: {p.title} (0/{_points(p.max_score)}): nothing graded, see the note above"]
            elif all_tests or not p.passed or p.notes or p.printed.strip():
                lines += ["", f"{p.name}: {p.title} ({_points(p.score)}/{_points(p.max_score)})",
                          p.details(all_tests=all_tests)]
        return "\n".join(lines).strip("\n")

    def __str__(self) -> str:
        feedback = self.feedback()
        return self.table() + ("\n\n" + feedback if feedback else "")

    def row(self) -> dict:
        """One CSV row: submission, one column per part, total, max, notes."""
        row = {"submission": self.submission}
        for p in self.parts:
            row[p.name] = _points(p.score)
        row["total"] = _points(self.score)
        row["max"] = _points(self.max_score)
        row["notes"] = " | ".join(self.notes)
        return row


@dataclass
class CheckReport:
    """What ``cnnedu.check`` shows: the visible tests of one part, as text or as HTML.

    ``bool(report)`` is true when every test passed.  ``skipped`` is set while the grader
    runs the notebook (checks are not run then).
    """

    name: str
    part: PartResult | None
    skipped: bool = False
    hidden_included: bool = False

    def __bool__(self) -> bool:
        return bool(self.part is not None and not self.skipped and self.part.passed)

    @property
    def status(self) -> str:
        if self.skipped or self.part is None:
            return "skipped"
        return "passed" if self.part.passed else "failed"

    def _head(self) -> str:
        if self.status == "skipped":
            return f"{self.name}: not checked (checks do not run while the grader runs your code)"
        p = self.part
        n, failed = len(p.tests), len([t for t in p.tests if not t.passed])
        kind = "tests (hidden included)" if self.hidden_included else "visible tests"
        pts = f"{_points(p.score)}/{_points(p.max_score)} points"
        if not failed:
            return f"{self.name}: ✔ all {n} {kind} passed ({pts})"
        if all(t.mistake == "not_implemented" for t in p.tests):
            return f"{self.name}: … not written yet: `{p.function}` raises NotImplementedError"
        return f"{self.name}: ✘ {failed} of {n} {kind} failed ({pts})"

    def __repr__(self) -> str:
        if self.status == "skipped" or self._head().startswith(f"{self.name}: …"):
            return self._head()
        return self._head() + "\n" + self.part.details(all_tests=True)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        colour = _COLOURS[self.status]
        rows = ""
        if self.part is not None and not self.skipped and not self._head().startswith(f"{self.name}: …"):
            for t in self.part.tests:
                c = _COLOURS["passed" if t.passed else "failed"]
                msg = "" if t.passed else f"<br><span style='margin-left:1.4em'>{html.escape(t.message)}</span>"
                rows += (f"<div><b style='color:{c}'>{_MARK[t.passed]}</b> {html.escape(t.name)} "
                         f"({_points(t.score)}/{_points(t.max_score)}){msg}</div>")
            for note in self.part.notes:
                rows += f"<div><i>note:</i> {html.escape(note)}</div>"
        return (f'<div class="cnnedu-check cnnedu-check-{self.status}" style="border-left: 4px solid {colour}; '
                f'padding: 4px 10px; margin: 4px 0;"><b style="color: {colour}">{html.escape(self._head())}</b>'
                f"{rows}</div>")
