"""The grader's child process: load a submission, call its functions, hand back plain arrays.

Run by :mod:`cnnedu.grading.sandbox` as ``python -m cnnedu.grading._worker JOB_DIR``, in
a new process group, with a scrubbed environment, resource limits and (when the grader
runs as root) an unprivileged user.  Everything here runs next to untrusted code, which
can change any of it at run time; so the parent trusts nothing this process says beyond
arrays saved with :func:`numpy.savez` (read back with ``allow_pickle=False``) and small
JSON files it parses defensively.  It computes every expected answer itself.

Protocol (``JOB_DIR`` is the current directory)
-----------------------------------------------
``job.json``
    written by the parent: the source file, how to run it (one module, or notebook
    cells one by one), the functions to look for, modules the assignment forbids, the
    numbers of the two pipe descriptors and the largest result accepted.
``ctl`` pipe (parent to child)
    one command per line: ``call K`` or ``exit``.
``ack`` pipe (child to parent)
    ``imported`` once the submission has run (``import.json`` says how it went), then
    ``done K`` after each call (``out-K.json`` and ``out-K.npz`` hold the result).
``in/call-K.json``, ``in/call-K.npz``
    the parent's arguments for call ``K``: each positional argument is an array of
    the ``.npz`` file or a JSON value.

The student's ``print`` goes to stdout and stderr, which the parent drains and caps.

This module imports only the standard library and numpy, so that loading it costs
nothing beyond what the submission itself imports.
"""

from __future__ import annotations

import importlib
import importlib.abc
import json
import os
import signal
import sys
import time
import traceback
import types

import numpy as np

#: The module name a submission runs under: its ``if __name__ == "__main__":`` blocks are skipped.
MODULE_NAME = "submission"

_MAX_MESSAGE = 600
_MAX_TRACEBACK = 3000


class _Forbidden(importlib.abc.MetaPathFinder):
    """Refuse to import the modules an assignment forbids (``cnnedu.functional`` in A1)."""

    def __init__(self, names, assignment):
        self.names = tuple(names)
        self.assignment = assignment

    def find_spec(self, fullname, path=None, target=None):
        for name in self.names:
            if fullname == name or fullname.startswith(name + "."):
                raise ImportError(f"{self.assignment} does not allow importing {name}: write this part "
                                  f"yourself with numpy (the grader blocks {name} while it runs your code)")
        return None


def _error_info(exc: BaseException, source: str) -> dict:
    """What the parent needs to explain an exception: its type, message and line in the submission."""
    message = str(exc)
    if isinstance(exc, SyntaxError) and exc.lineno is not None:
        line = exc.lineno
    else:
        line = None
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename == source:
                line = frame.lineno            # the innermost frame in the submission
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {"type": type(exc).__name__, "message": message[:_MAX_MESSAGE], "line": line,
            "traceback": tb[-_MAX_TRACEBACK:]}


def _write_json(name: str, data: dict) -> None:
    tmp = name + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f)
    os.replace(tmp, name)


def _load_submission(job: dict) -> tuple[dict, dict]:
    """Run the submission's code; return its namespace and what import.json reports."""
    source = os.path.abspath(job["source"])
    with open(source, encoding="utf-8") as f:
        text = f.read()
    module = types.ModuleType(MODULE_NAME)
    module.__file__ = source
    sys.modules[MODULE_NAME] = module
    namespace = module.__dict__
    report = {"status": "ok", "cells": []}
    if job["chunks"] is None:                       # a .py file: one module, like `import`
        try:
            exec(compile(text, source, "exec"), namespace)
        except BaseException as exc:                # noqa: BLE001 - SystemExit and friends too
            report = {"status": "error", **_error_info(exc, source)}
    else:                                           # a notebook: cell by cell, like Run All
        lines = text.split("\n")
        for label, first, last in job["chunks"]:
            code = "\n" * (first - 1) + "\n".join(lines[first - 1:last])
            try:
                exec(compile(code, source, "exec"), namespace)
            except BaseException as exc:            # noqa: BLE001 - noted, then on to the next cell
                report["cells"].append({"cell": label, **_error_info(exc, source)})
    report["defined"] = {name: ("missing" if name not in namespace else
                                "callable" if callable(namespace[name]) else type(namespace[name]).__name__)
                         for name in job["functions"]}
    return namespace, report


def _arguments(k: int):
    with open(f"in/call-{k}.json", encoding="utf-8") as f:
        call = json.load(f)
    with np.load(f"in/call-{k}.npz", allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    args = [arrays[a["array"]] if "array" in a else a["value"] for a in call["args"]]
    return call, args


def _driver(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _as_outputs(result, n: int, max_bytes: int):
    """The result as a list of ``n`` numeric arrays, or ``(None, reason, detail)``."""
    if result is None:
        return None, "returned_none", ""
    if n == 1:
        if isinstance(result, tuple) and any(isinstance(r, np.ndarray) for r in result):
            return None, "wrong_count", f"a tuple of {len(result)} values"   # e.g. (z, cache)
        items = [result]
    else:
        if not isinstance(result, (tuple, list)):
            return None, "wrong_count", f"a {type(result).__name__}"
        if len(result) != n:
            return None, "wrong_count", f"a {type(result).__name__} of {len(result)} values"
        items = list(result)
    arrays, total = [], 0
    for i, item in enumerate(items):
        if item is None:
            return None, "returned_none", str(i)
        try:
            a = np.asarray(item)
        except Exception as exc:                    # noqa: BLE001 - ragged lists and the like
            return None, "not_numeric", (f"a {type(item).__name__} that numpy cannot turn into an array "
                                         f"({str(exc)[:200]})")
        if a.dtype.kind == "c":
            return None, "complex", str(i)
        if a.dtype.kind not in "biuf":
            kind = type(item).__name__
            return None, "not_numeric", (f"an array of dtype {a.dtype}" if isinstance(item, np.ndarray)
                                         else f"a {kind}")
        total += a.nbytes
        if total > max_bytes:
            return None, "too_large", f"{total} bytes"
        arrays.append(np.array(a, order="C"))           # a copy, C-ordered; 0-d stays 0-d
    return arrays, None, None


def _call(k: int, namespace: dict, job: dict) -> dict:
    call, args = _arguments(k)
    pristine = {i: a.copy() for i, a in enumerate(args) if isinstance(a, np.ndarray)}
    name = call["function"]
    fn = namespace.get(name)
    if fn is None:
        return {"status": "missing"}
    if not callable(fn):
        return {"status": "not_callable", "detail": type(fn).__name__}
    if call.get("driver") is not None:              # the assignment's driver calls the student's function
        driver = _driver(call["driver"])
        fn = lambda *a: driver(namespace, *a)       # noqa: E731
    start = time.perf_counter()
    try:
        result = fn(*args)
    except BaseException as exc:                    # noqa: BLE001 - SystemExit, MemoryError, ...
        return {"status": "error", **_error_info(exc, os.path.abspath(job["source"]))}
    seconds = time.perf_counter() - start
    try:
        arrays, reason, detail = _as_outputs(result, call["n_outputs"], job["max_return_bytes"])
        if arrays is None:
            return {"status": "bad_return", "reason": reason, "detail": detail}
        mutated = [i for i, a in pristine.items()
                   if not (a.shape == args[i].shape and np.array_equal(a, args[i], equal_nan=True))]
        np.savez(f"out-{k}.npz", **{f"out{i}": a for i, a in enumerate(arrays)})
    except BaseException as exc:                    # noqa: BLE001 - e.g. MemoryError while saving
        return {"status": "error", **_error_info(exc, os.path.abspath(job["source"]))}
    return {"status": "ok", "n": len(arrays), "mutated": mutated, "seconds": seconds}


def main(job_dir: str) -> int:
    os.chdir(job_dir)
    with open("job.json", encoding="utf-8") as f:
        job = json.load(f)
    ctl = os.fdopen(job["ctl_fd"], "r", encoding="ascii")
    ack_fd = job["ack_fd"]

    def ack(line: str) -> None:
        os.write(ack_fd, (line + "\n").encode("ascii"))

    # A file larger than RLIMIT_FSIZE fails with an exception instead of killing us.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    sys.argv = [os.path.abspath(job["source"])]
    for path in job.get("drivers", ()):
        _driver(path)                               # import the assignment's drivers before the guard
    if job["forbidden"]:
        sys.meta_path.insert(0, _Forbidden(job["forbidden"], job["assignment"]))
    namespace, report = _load_submission(job)
    _write_json("import.json", report)
    ack("imported")
    if report["status"] != "ok":
        return 0
    for line in ctl:
        command = line.split()
        if command[:1] == ["exit"] or not command:
            break
        if command[0] == "call":
            k = int(command[1])
            _write_json(f"out-{k}.json", _call(k, namespace, job))
            ack(f"done {k}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
