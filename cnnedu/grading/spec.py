r"""How an assignment is declared: parts, cases, tests, and the wrong answers worth recognising.

An assignment (:class:`Assignment`) is a list of *parts*; each part is one function the
student writes.  A part lists its *tests*, each worth points, visible (run by
``cnnedu.check`` while the student works, and by the grader) or hidden (run by the
grader only).  A test runs the student's function on one or more *cases* (fixed inputs,
made from fixed seeds) and judges one of its outputs: its shape, its values, or
anything a custom ``judge`` decides.

Expected answers come from the part's ``reference`` (cnnedu's own implementation),
computed by the grader in its own process.  When an output is wrong, the part's
*variants* (deliberately wrong references: the kernel flipped, the padding on one side,
the stride ignored, ...) are tried in turn, and the first that reproduces the student's
output names the mistake, with a fixed sentence from :data:`cnnedu.grading.judge.MISTAKES`.

Writing a new assignment is writing one module in ``cnnedu/grading/assignments/`` that
builds an :class:`Assignment` named ``ASSIGNMENT`` and registering it in that package's
``__init__``; ``docs/grading.md`` walks through it, and ``a1_convolution.py`` is the
worked example.

Examples
--------
A part with one visible test, for a function that doubles an array:

>>> import numpy as np
>>> case = Case("three values", (np.array([1.0, 2.0, 3.0]),))
>>> part = Part("double", function="double", signature="double(x)", title="Doubling",
...             outputs=("y",), reference=lambda x: (2 * x,),
...             tests=(Test("values", 1, (case,)),),
...             variants=(Variant("forgot_to_double", lambda x: (x,)),))
>>> part.expected(case)[0]
array([2., 4., 6.])
>>> part.max_score
1.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

__all__ = ["Case", "Test", "Variant", "Part", "Assignment", "VISIBLE", "HIDDEN"]

VISIBLE, HIDDEN = True, False


@dataclass(frozen=True, eq=False)
class Case:
    """One call of the student's function.

    Attributes
    ----------
    label : str
        How messages name the input, e.g. ``"x (2, 3, 7, 6), w (4, 3, 3, 2), stride 2, padding 1"``.
    args : tuple
        The positional arguments: numpy arrays, or JSON values (numbers, strings,
        lists, ``None``).  Only these reach the student's code.
    params : mapping
        Anything the judge, the variants or the messages need about the case
        (stride, padding, labels for an accuracy test, ...).  Stays in the grader.
        ``params["diagnose"] = False`` turns the variants off for this case (a large
        input for a speed test, where wrong references would cost too much time).
    """

    label: str
    args: tuple
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Test:
    """One graded check: all its cases must pass to earn its points.

    Attributes
    ----------
    name : str
        Shown in the tables and on Gradescope, e.g. ``"dx: values, stride and padding"``.
    points : float
    cases : tuple of Case
    kind : {"values", "shape"}
        What is compared with the reference's output number ``output``.  Ignored when
        ``judge`` is given.
    output : int
        Which output of the function (0 for a function with one output).
    visible : bool
        ``True``: run by ``cnnedu.check`` and the grader, shown at once on Gradescope.
        ``False``: run by the grader only.
    time_limit : float, optional
        Seconds each call of this test may take (measured by the grader).  A call that
        runs over fails this test only: the grader starts a fresh process for the next.
    judge : callable, optional
        ``judge(outputs, case, part) -> Verdict`` for anything beyond shapes and values
        (an accuracy threshold, a property of the output).  ``outputs`` is the list of
        the student's arrays.
    """

    __test__ = False                    # not a pytest test class

    name: str
    points: float
    cases: tuple
    kind: str = "values"
    output: int = 0
    visible: bool = True
    time_limit: float | None = None
    judge: Callable | None = None

    def __post_init__(self):
        if self.kind not in ("values", "shape"):
            raise ValueError(f"Test {self.name!r}: kind must be 'values' or 'shape', got {self.kind!r}")
        if not self.cases:
            raise ValueError(f"Test {self.name!r} has no cases")
        if self.points < 0:
            raise ValueError(f"Test {self.name!r}: points must be >= 0, got {self.points}")


@dataclass(frozen=True, eq=False)
class Variant:
    """A deliberately wrong reference: the answer a known mistake gives.

    ``compute(*case.args)`` returns a tuple with one entry per output of the part (an
    array, or ``None`` when the mistake says nothing about that output), or ``None``
    when the mistake does not apply to the case (no padding to forget, say).  When the
    student's output equals the variant's (and the variant differs from the right
    answer), the message is ``MISTAKES[mistake]``.
    """

    mistake: str
    compute: Callable


@dataclass(frozen=True, eq=False)
class Part:
    """One function the student writes, and its tests.

    Attributes
    ----------
    name : str
        Unique in the assignment; ``cnnedu.check("A1.<name>", fn)`` finds it.
    function : str
        The name the student's function must have.
    signature : str
        As the notebook gives it, for messages: ``"conv2d_forward(x, w, b, stride=1, padding=0)"``.
    title : str
    outputs : tuple of str
        Names of the outputs: ``("z",)``, or ``("dx", "dw", "db")`` for a function
        returning a tuple.
    tests : tuple of Test
    reference : callable
        ``reference(*case.args) -> tuple of arrays``, one per output.
    variants : tuple of Variant
    hints : tuple of callables
        ``hint(got, expected, case, output) -> mistake key or None``: diagnoses that are
        not a wrong reference (errors only near the border, say).  Tried after the variants.
    describe_shape : callable, optional
        ``describe_shape(case, output, expected_shape) -> str``: the expected shape in
        words, with its formula, for a wrong-shape message.
    driver : str, optional
        ``"module:function"`` called in the child as ``driver(namespace, *args)``
        instead of the student's function: for a part that needs several of the
        student's functions, or must train a model before answering.
    rtol, atol : float
        Values match when ``|got - expected| <= atol * max(1, max|expected|) + rtol * |expected|``.
    """

    name: str
    function: str
    signature: str
    title: str
    outputs: tuple
    tests: tuple
    reference: Callable | None = None
    variants: tuple = ()
    hints: tuple = ()
    describe_shape: Callable | None = None
    driver: str | None = None
    rtol: float = 1e-5
    atol: float = 1e-6
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        names = [t.name for t in self.tests]
        if len(set(names)) != len(names):
            raise ValueError(f"Part {self.name!r}: test names must be unique")
        for t in self.tests:
            if t.output >= len(self.outputs):
                raise ValueError(f"Part {self.name!r}, test {t.name!r}: output {t.output} does not exist")
            if t.judge is None and self.reference is None:
                raise ValueError(f"Part {self.name!r}, test {t.name!r}: needs a reference or a judge")

    @property
    def max_score(self) -> float:
        return float(sum(t.points for t in self.tests))

    def cases(self) -> list:
        """The distinct cases of the part, in the order the grader calls them (timed last)."""
        seen, untimed, timed = set(), [], []
        for t in self.tests:
            for c in t.cases:
                if id(c) not in seen:
                    seen.add(id(c))
                    (untimed if t.time_limit is None else timed).append((c, t.time_limit))
        return untimed + timed

    def expected(self, case: Case) -> tuple | None:
        """The reference's outputs for ``case`` (computed once)."""
        if self.reference is None:
            return None
        key = ("expected", id(case))
        if key not in self._cache:
            out = self.reference(*case.args)
            out = tuple(np.asarray(o) for o in (out if isinstance(out, tuple) else (out,)))
            if len(out) != len(self.outputs):
                raise ValueError(f"Part {self.name!r}: reference returned {len(out)} outputs, "
                                 f"expected {len(self.outputs)}")
            self._cache[key] = out
        return self._cache[key]

    def variant_outputs(self, variant: Variant, case: Case) -> tuple | None:
        """What ``variant`` gives for ``case`` (computed once; ``None`` if it does not apply)."""
        key = ("variant", id(variant), id(case))
        if key not in self._cache:
            try:
                out = variant.compute(*case.args)
            except (ValueError, IndexError):     # e.g. the kernel no longer fits
                out = None
            self._cache[key] = None if out is None else tuple(
                None if o is None else np.asarray(o) for o in out)
        return self._cache[key]


@dataclass(frozen=True, eq=False)
class Assignment:
    """An assignment: its parts and the defaults the grader runs it with.

    Attributes
    ----------
    name : str
        ``"A1"``: what ``cnnedu grade A1 ...`` and ``cnnedu.check("A1.part", fn)`` use.
    title : str
    notebook : str
        File name of the solution notebook in ``book/assignments/`` (the student version
        gets the same name).
    parts : tuple of Part
    forbidden_imports : tuple of str
        Modules the student's code may not import while graded (the grader blocks
        them and says why).
    time_limit : float
        Default seconds per part, loading the submission included.
    memory_limit : int
        Default MB of data memory per part (Numba and numpy alone take about 300).
    output_limit : int
        Default bytes the student's code may print per part.
    """

    name: str
    title: str
    notebook: str
    parts: tuple
    forbidden_imports: tuple = ()
    time_limit: float = 30.0
    memory_limit: int = 1024
    output_limit: int = 1_000_000

    def __post_init__(self):
        names = [p.name for p in self.parts]
        if len(set(names)) != len(names):
            raise ValueError(f"Assignment {self.name}: part names must be unique")

    def part(self, name: str) -> Part:
        for p in self.parts:
            if p.name == name:
                return p
        raise KeyError(f"{self.name} has no part {name!r}; its parts are "
                       f"{', '.join(p.name for p in self.parts)}")

    @property
    def max_score(self) -> float:
        return float(sum(p.max_score for p in self.parts))

    def prepare(self) -> None:
        """Compute every expected answer now (before any student code runs)."""
        for p in self.parts:
            for case, _ in p.cases():
                p.expected(case)
