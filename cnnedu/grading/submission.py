"""Read a submission: a ``.py`` file, a notebook, or a folder holding one of them.

A ``.py`` file runs as one module, as ``import`` would run it: an exception at the top
level means nothing can be graded.  A notebook runs like *Restart & Run All*, cell by
cell, with three differences that students are told about in every assignment:

* cells whose first line is ``# grader: skip`` (or that carry the cell tag
  ``grader-skip``) are not run: the place for slow experiments and plots;
* IPython-only lines (``%timeit``, ``!pip install``, ``x = !ls``, ``f?``) are removed and
  cell magics (``%%time``) skip their cell, each with a note;
* a cell that raises does not stop the run: the error is noted and the next cell runs,
  so a broken demo does not cost the functions defined after it.

Either way the code runs as a module named ``submission``, not ``__main__``, so code
under ``if __name__ == "__main__":`` is skipped too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .sandbox import Script

__all__ = ["SubmissionError", "load_submission", "notebook_script", "find_submission"]

SKIP_TAGS = ("grader-skip",)
_SKIP_LINE = re.compile(r"^\s*#\s*grader\s*:\s*skip\b", re.IGNORECASE)
_IPYTHON_LINE = re.compile(r"^(\s*)(?:[%!?]|[\w.\[\], ]+=\s*[%!])")
_HELP_LINE = re.compile(r"^(\s*)[\w.]+\?{1,2}\s*$")
_MAX_BYTES = 20 << 20


class SubmissionError(ValueError):
    """The submission cannot be read (not found, not a notebook, not UTF-8, ...)."""


def _first_line(source: str) -> str:
    line = next((ln.strip() for ln in source.splitlines() if ln.strip()), "")
    return line if len(line) <= 50 else line[:47] + "..."


def _compiles(source: str):
    """``None`` if ``source`` compiles, else the SyntaxError (or the error the parser raised)."""
    try:
        compile(source, "<cell>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        return exc
    return None


def _without_ipython(source: str) -> tuple[str, int]:
    """``source`` with IPython-only lines replaced by ``pass`` (same indentation); how many."""
    lines, removed = [], 0
    for line in source.split("\n"):
        match = _IPYTHON_LINE.match(line) or _HELP_LINE.match(line)
        if match:
            lines.append(f"{match.group(1)}pass  # removed by the grader: {line.strip()[:60]}")
            removed += 1
        else:
            lines.append(line)
    return "\n".join(lines), removed


def _cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(str(s) for s in source)
    if not isinstance(source, str):
        raise SubmissionError("a cell's source is neither text nor a list of lines")
    return source


def notebook_script(nb: dict, name: str = "submission") -> Script:
    """The code cells of a notebook (a parsed ``.ipynb``) as a :class:`~.sandbox.Script`."""
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise SubmissionError("this is not a Jupyter notebook (no list of cells)")
    lines = ["# The code cells of the submitted notebook, as the grader runs them."]
    chunks, notes, skipped = [], [], []
    for index, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = _cell_source(cell)
        if not source.strip():
            continue
        label = f"cell {index}"
        shown = f"{label} ({_first_line(source)})"
        tags = (cell.get("metadata") or {}).get("tags") or []
        if _SKIP_LINE.match(source.lstrip("\n")) or any(t in SKIP_TAGS for t in tags if isinstance(t, str)):
            skipped.append(label)
            continue
        if source.lstrip().startswith("%%"):
            notes.append(f"{shown} starts with a cell magic, which only IPython understands; it was not run.")
            continue
        if _compiles(source) is not None:
            cleaned, removed = _without_ipython(source)
            if removed and _compiles(cleaned) is None:
                notes.append(f"{shown}: {removed} IPython line(s) (%, !, ?) removed before running it.")
                source = cleaned
        error = _compiles(source)
        if error is not None:
            where = f", line {error.lineno}" if getattr(error, "lineno", None) else ""
            notes.append(f"{shown} is not valid Python ({type(error).__name__}{where}: "
                         f"{getattr(error, 'msg', str(error))}); it was not run.")
            continue
        lines.append(f"# %% {label}")
        first = len(lines) + 1
        body = source.split("\n")
        lines.extend(body)
        chunks.append((label, first, first + len(body) - 1))
    if skipped:
        notes.insert(0, f"{len(skipped)} cell{'s' if len(skipped) > 1 else ''} marked '# grader: skip' "
                        f"{'were' if len(skipped) > 1 else 'was'} not run ({', '.join(skipped)}).")
    return Script("\n".join(lines) + "\n", chunks, tuple(notes), name)


def load_submission(path) -> Script:
    """Read a ``.py`` or ``.ipynb`` file (or a folder holding one) as a :class:`~.sandbox.Script`."""
    path = Path(path)
    if path.is_dir():
        path = find_submission(path)
    if not path.is_file():
        raise SubmissionError(f"no such file: {path}")
    if path.stat().st_size > _MAX_BYTES:
        raise SubmissionError(f"{path.name} is larger than {_MAX_BYTES >> 20} MB")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"{path.name} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if path.suffix == ".ipynb":
        try:
            nb = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SubmissionError(f"{path.name} is not a valid notebook: the JSON is broken "
                                  f"(line {exc.lineno}: {exc.msg})") from None
        return notebook_script(nb, path.name)
    if path.suffix == ".py":
        return Script(text, None, (), path.name)
    raise SubmissionError(f"{path.name}: submit a notebook (.ipynb) or a Python file (.py)")


def find_submission(folder, preferred: str | None = None) -> Path:
    """The one notebook or Python file in ``folder`` (searched recursively, hidden files ignored).

    ``preferred`` (the assignment's notebook name) wins when several files are found.
    """
    folder = Path(folder)
    found = sorted(p for p in folder.rglob("*")
                   if p.is_file() and p.suffix in (".ipynb", ".py")
                   and not any(part.startswith((".", "__")) for part in p.relative_to(folder).parts))
    if preferred:
        named = [p for p in found if p.name == preferred]
        if len(named) == 1:
            return named[0]
    for suffix in (".ipynb", ".py"):
        of_kind = [p for p in found if p.suffix == suffix]
        if len(of_kind) == 1:
            return of_kind[0]
        if len(of_kind) > 1:
            names = ", ".join(str(p.relative_to(folder)) for p in of_kind[:10])
            raise SubmissionError(f"found several {suffix} files ({names}); submit only one"
                                  + (f", named {preferred}" if preferred else ""))
    raise SubmissionError(f"found no .ipynb or .py file in {folder}")
