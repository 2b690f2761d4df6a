r"""From a solution notebook to the student's: solutions become stubs, hidden tests disappear.

Markers (each alone on its line), as nbgrader writes them:

* in a code cell, the lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` are
  replaced by one ``raise NotImplementedError(...)``, indented like the marker;
* in a code cell, the lines between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``
  are removed (a cell left empty is dropped), and so is every cell tagged ``hidden-tests``;
* in a Markdown cell, the lines between ``<!-- BEGIN SOLUTION -->`` and
  ``<!-- END SOLUTION -->`` are replaced by *Your answer here.*

The student notebook has no outputs and no execution counts, keeps only the cells' tags
as metadata, and is written as nbformat writes it (sorted keys): generating it twice
gives the same bytes.

Examples
--------
>>> cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 3, "source":
...         "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"}
>>> print(student_cell(cell)["source"])
def f(x):
    raise NotImplementedError("write f")
<BLANKLINE>
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

__all__ = ["assign", "student_notebook", "student_cell", "removed_lines", "default_source_dir",
           "SOLUTION_BEGIN", "SOLUTION_END", "HIDDEN_BEGIN", "HIDDEN_END", "MD_BEGIN", "MD_END", "HIDDEN_TAG"]

SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MD_BEGIN, MD_END = "<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->"
HIDDEN_TAG = "hidden-tests"
MD_PLACEHOLDER = "*Your answer here.*"

_DEF = re.compile(r"^(\s*)def\s+(\w+)\s*\(")


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _regions(lines, markers, where):
    """Yield (kind, line index, indentation) for every marker line; check that they pair up."""
    open_kind = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        for kind, (begin, end) in markers.items():
            if stripped == begin:
                if open_kind is not None:
                    raise ValueError(f"{where}, line {i + 1}: {begin!r} inside an open {open_kind} region")
                open_kind = kind
                yield kind, "begin", i, line[:len(line) - len(line.lstrip())]
            elif stripped == end:
                if open_kind != kind:
                    raise ValueError(f"{where}, line {i + 1}: {end!r} without a matching begin marker")
                open_kind = None
                yield kind, "end", i, ""
    if open_kind is not None:
        raise ValueError(f"{where}: a {open_kind} region is never closed")


def _stub(lines, at: int, indent: str) -> str:
    """``raise NotImplementedError("write <function>")`` for the function enclosing line ``at``."""
    for line in reversed(lines[:at]):
        match = _DEF.match(line)
        if match and len(match.group(1)) < len(indent):
            return f'{indent}raise NotImplementedError("write {match.group(2)}")'
    return f'{indent}raise NotImplementedError("your code here")'


def student_cell(cell: dict, where: str = "cell") -> dict | None:
    """The student version of one cell, or ``None`` when the cell disappears."""
    tags = list((cell.get("metadata") or {}).get("tags") or [])
    if HIDDEN_TAG in tags:
        return None
    kind = cell.get("cell_type")
    lines = _source(cell).split("\n")
    out = []
    if kind == "code":
        markers = {"solution": (SOLUTION_BEGIN, SOLUTION_END), "hidden tests": (HIDDEN_BEGIN, HIDDEN_END)}
    elif kind == "markdown":
        markers = {"solution": (MD_BEGIN, MD_END)}
    else:
        markers = {}
    skip_until = None
    events = {i: (k, e, ind) for k, e, i, ind in _regions(lines, markers, where)}
    for i, line in enumerate(lines):
        if i in events:
            region, edge, indent = events[i]
            if edge == "begin":
                skip_until = region
                if region == "solution":
                    out.append(_stub(lines, i, indent) if kind == "code" else indent + MD_PLACEHOLDER)
            else:
                skip_until = None
            continue
        if skip_until is None:
            out.append(line)
    source = "\n".join(out)
    if kind == "code" and not source.strip() and _source(cell).strip():
        return None                                   # only hidden tests were in it
    new = {"cell_type": kind, "metadata": {"tags": tags} if tags else {}, "source": source}
    if "id" in cell:
        new["id"] = cell["id"]
    if kind == "code":
        new["execution_count"] = None
        new["outputs"] = []
    elif "attachments" in cell:
        new["attachments"] = copy.deepcopy(cell["attachments"])
    return new


def student_notebook(nb: dict) -> dict:
    """The student version of a solution notebook (a parsed ``.ipynb``)."""
    cells = []
    for index, cell in enumerate(nb.get("cells", []), start=1):
        new = student_cell(cell, f"cell {index}")
        if new is not None:
            cells.append(new)
    meta = nb.get("metadata", {})
    metadata = {k: copy.deepcopy(meta[k]) for k in ("kernelspec", "language_info") if k in meta}
    return {"cells": cells, "metadata": metadata, "nbformat": nb.get("nbformat", 4),
            "nbformat_minor": nb.get("nbformat_minor", 5)}


def removed_lines(nb: dict) -> list[str]:
    """Every line inside a solution or hidden-test region, or in a hidden-test cell (stripped, non-blank)."""
    found = []
    for index, cell in enumerate(nb.get("cells", []), start=1):
        lines = _source(cell).split("\n")
        tags = (cell.get("metadata") or {}).get("tags") or []
        if HIDDEN_TAG in tags:
            found += [ln.strip() for ln in lines if ln.strip()]
            continue
        markers = ({"solution": (SOLUTION_BEGIN, SOLUTION_END), "hidden tests": (HIDDEN_BEGIN, HIDDEN_END)}
                   if cell.get("cell_type") == "code" else {"solution": (MD_BEGIN, MD_END)})
        for _, edge, i, _ in _regions(lines, markers, f"cell {index}"):
            if edge == "begin":
                start = i
            else:
                found += [ln.strip() for ln in lines[start + 1:i] if ln.strip()]
    return found


def _dumps(nb: dict) -> str:
    import nbformat
    node = nbformat.from_dict(nb)
    nbformat.validate(node)
    return nbformat.writes(node) + "\n"


def default_source_dir() -> Path:
    """``book/assignments`` of the repository cnnedu was installed from, else of the current directory."""
    import cnnedu
    repo = Path(cnnedu.__file__).resolve().parent.parent / "book" / "assignments"
    return repo if repo.is_dir() else Path.cwd() / "book" / "assignments"


def assign(names="all", out="build/assignments", source=None) -> list[Path]:
    """Write the student notebook of each assignment in ``names`` (``"A1"``, a list, or ``"all"``) to ``out``.

    The solution notebooks are read from ``source`` (default :func:`default_source_dir`).
    Returns the paths written.  Keep ``out`` outside ``book/``: the test suite runs every
    notebook under ``book/`` and a student notebook cannot run (its stubs raise).
    """
    from .assignments import get_assignment, names as all_names
    wanted = all_names() if names == "all" or names == ["all"] else ([names] if isinstance(names, str) else list(names))
    source = Path(source) if source is not None else default_source_dir()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in wanted:
        spec = get_assignment(name)
        path = source / spec.notebook
        if not path.is_file():
            raise FileNotFoundError(f"assign: no solution notebook {path} for {spec.name}")
        nb = json.loads(path.read_text(encoding="utf-8"))
        target = out / spec.notebook
        with open(target, "w", encoding="utf-8", newline="\n") as f:
            f.write(_dumps(student_notebook(nb)))
        written.append(target)
    return written
