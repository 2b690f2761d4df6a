"""Gradescope: ``results.json`` (written last, atomically, and validated) and the autograder bundle.

The results format is Gradescope's autograder specification: a top-level ``score``,
``output`` and ``tests``, each test with ``name``, ``score``, ``max_score``, ``status``
(``passed``/``failed``), ``output`` and ``visibility`` (``visible``, ``hidden``,
``after_due_date`` or ``after_published``).

The bundle (:func:`build_autograder`) is a zip with ``setup.sh`` (installs Python and
cnnedu, from a wheel built into the bundle, in a virtual environment, then computes the
expected answers once so that Numba's compiled kernels are cached in the image) and
``run_autograder`` (``cnnedu grade A1 /autograder/submission --gradescope``).

Examples
--------
>>> validate_results({"score": 1.0, "tests": [{"name": "t", "score": 1.0, "max_score": 1.0,
...                   "status": "passed", "output": "", "visibility": "visible"}]})
>>> validate_results({"tests": [{"name": "t", "score": 2, "max_score": 1}]})
Traceback (most recent call last):
...
ValueError: results.json: no top-level 'score'; tests[0]: score 2 is more than max_score 1
"""

from __future__ import annotations

import json
import numbers
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

__all__ = ["results_json", "validate_results", "write_results", "build_autograder", "VISIBILITIES",
           "GRADESCOPE_RESULTS"]

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
GRADESCOPE_RESULTS = "/autograder/results/results.json"
GRADESCOPE_SUBMISSION = "/autograder/submission"


def results_json(report, hidden_visibility: str = "after_published") -> dict:
    """A :class:`~cnnedu.grading.results.Report` in Gradescope's format.

    Visible tests are ``visible``; hidden tests get ``hidden_visibility``
    (``after_published`` by default: students see them once grades are published).
    """
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"results_json: hidden_visibility must be one of {VISIBILITIES}, got {hidden_visibility!r}")
    tests = []
    for i, part in enumerate(report.parts, start=1):
        for j, t in enumerate(part.tests, start=1):
            tests.append({"name": f"{part.name} — {t.name}", "number": f"{i}.{j}",
                          "score": round(float(t.score), 6), "max_score": round(float(t.max_score), 6),
                          "status": "passed" if t.passed else "failed", "output": t.message,
                          "visibility": "visible" if t.visible else hidden_visibility})
    data = {"score": round(float(report.score), 6), "execution_time": round(float(report.seconds), 3),
            "output": report.table() + ("\n\n" + "\n".join(f"note: {n}" for n in report.notes) if report.notes else ""),
            "visibility": "visible", "stdout_visibility": "hidden", "tests": tests,
            "extra_data": {"assignment": report.assignment, "submission": report.submission,
                           "parts": {p.name: [p.score, p.max_score] for p in report.parts}}}
    validate_results(data)
    return data


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and x == x and abs(x) != float("inf")


def validate_results(data) -> None:
    """Raise ``ValueError`` listing every way ``data`` breaks Gradescope's results format."""
    problems = []
    if not isinstance(data, dict):
        raise ValueError("results.json: the top level must be a JSON object")
    tests = data.get("tests")
    if "score" not in data:
        problems.append("no top-level 'score'")
    elif not _is_number(data["score"]):
        problems.append(f"score must be a number, got {data['score']!r}")
    for key in ("output", "stdout_visibility", "visibility"):
        if key in data and not isinstance(data[key], str):
            problems.append(f"{key} must be a string")
    for key in ("visibility", "stdout_visibility"):
        if key in data and data[key] not in VISIBILITIES:
            problems.append(f"{key} must be one of {VISIBILITIES}, got {data[key]!r}")
    if "execution_time" in data and not _is_number(data["execution_time"]):
        problems.append("execution_time must be a number")
    if tests is not None and not isinstance(tests, list):
        problems.append("tests must be a list")
        tests = []
    for i, t in enumerate(tests or []):
        where = f"tests[{i}]"
        if not isinstance(t, dict):
            problems.append(f"{where} must be an object")
            continue
        if not isinstance(t.get("name"), str) or not t.get("name"):
            problems.append(f"{where}: name must be a non-empty string")
        for key in ("score", "max_score"):
            if key in t and not _is_number(t[key]):
                problems.append(f"{where}: {key} must be a number, got {t[key]!r}")
        if "score" not in t:
            problems.append(f"{where}: no score")
        if _is_number(t.get("score")) and _is_number(t.get("max_score")):
            if t["score"] > t["max_score"]:
                problems.append(f"{where}: score {t['score']} is more than max_score {t['max_score']}")
            if t["score"] < 0:
                problems.append(f"{where}: score {t['score']} is negative")
        if "status" in t and t["status"] not in ("passed", "failed"):
            problems.append(f"{where}: status must be 'passed' or 'failed', got {t['status']!r}")
        if "output" in t and not isinstance(t["output"], str):
            problems.append(f"{where}: output must be a string")
        if "visibility" in t and t["visibility"] not in VISIBILITIES:
            problems.append(f"{where}: visibility must be one of {VISIBILITIES}, got {t['visibility']!r}")
    if (tests and _is_number(data.get("score")) and all(isinstance(t, dict) and _is_number(t.get("score"))
                                                         for t in tests)):
        total = sum(t["score"] for t in tests)
        if abs(total - data["score"]) > 1e-6 * max(1.0, abs(total)):
            problems.append(f"score {data['score']} is not the sum of the tests' scores {total}")
    if problems:
        raise ValueError("results.json: " + "; ".join(problems))


def write_results(data: dict, path) -> Path:
    """Validate ``data`` and write it to ``path`` atomically (a temporary file, then a rename).

    Whatever was at ``path`` (say, a file the student's code wrote there) is replaced.
    """
    validate_results(data)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, ensure_ascii=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


# ---------------------------------------------------------------------------
# The autograder bundle
# ---------------------------------------------------------------------------

_SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet --upgrade pip
/autograder/venv/bin/pip install --quiet /autograder/source/{wheel}
# Compute the expected answers once: compiles cnnedu's Numba kernels into the image's cache.
/autograder/venv/bin/python -m cnnedu warmup {assignment}
"""

_RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission; the grader writes /autograder/results/results.json.
cd /autograder/source
exec /autograder/venv/bin/python -m cnnedu grade {assignment} /autograder/submission --gradescope{options}
"""

_README = """cnnedu autograder for {assignment} ({title})

Upload this zip as the autograder of a Gradescope "Programming Assignment" (Ubuntu base
image).  Students submit their notebook ({notebook}) or a .py file with the same functions.
setup.sh installs cnnedu {version} from the wheel in this zip; run_autograder grades
/autograder/submission and writes /autograder/results/results.json.
"""


def _project_root() -> Path | None:
    import cnnedu
    root = Path(cnnedu.__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() else None


def build_wheel(out_dir) -> Path:
    """Build cnnedu's wheel (no dependencies, no network) from the source tree it runs from."""
    root = _project_root()
    if root is None:
        raise FileNotFoundError("build_wheel: cnnedu is not installed from a source tree with a pyproject.toml; "
                                "pass a wheel you built (--wheel)")
    out_dir = Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="cnnedu-wheel-") as tmp:
        # Build from a clean copy: nothing (build/, egg-info, Numba caches) lands in the repository.
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE", "setup.cfg", "setup.py", "MANIFEST.in"):
            if (root / name).is_file():
                shutil.copy2(root / name, src / name)
        shutil.copytree(root / "cnnedu", src / "cnnedu",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc", "*.egg-info"))
        result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                                 "--no-index", "--quiet", "-w", str(Path(tmp) / "dist"), str(src)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"build_wheel: pip wheel failed:\n{result.stdout}\n{result.stderr}")
        wheels = sorted((Path(tmp) / "dist").glob("cnnedu-*.whl"))
        if len(wheels) != 1:
            raise RuntimeError(f"build_wheel: expected one cnnedu wheel, found {[w.name for w in wheels]}")
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / wheels[0].name
        shutil.copy2(wheels[0], target)
    return target


def _add(zf: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def build_autograder(assignment, out="autograder.zip", *, wheel=None, time_limit=None, memory_limit=None,
                     hidden_visibility: str = "after_published") -> Path:
    """Write the Gradescope autograder zip for ``assignment``; return its path.

    ``wheel`` is a cnnedu wheel to bundle (default: built now from the source tree).
    The limits and the visibility of hidden tests are written into ``run_autograder``.
    """
    from .assignments import get_assignment
    import cnnedu
    spec = get_assignment(assignment) if isinstance(assignment, str) else assignment
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"build_autograder: hidden_visibility must be one of {VISIBILITIES}")
    with tempfile.TemporaryDirectory(prefix="cnnedu-autograder-") as tmp:
        wheel = Path(wheel) if wheel is not None else build_wheel(tmp)
        options = ""
        if time_limit is not None:
            options += f" --time-limit {float(time_limit):g}"
        if memory_limit is not None:
            options += f" --memory-limit {int(memory_limit)}"
        if hidden_visibility != "after_published":
            options += f" --hidden-visibility {hidden_visibility}"
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w") as zf:
            _add(zf, "setup.sh", _SETUP.format(wheel=wheel.name, assignment=spec.name).encode(), True)
            _add(zf, "run_autograder", _RUN.format(assignment=spec.name, options=options).encode(), True)
            _add(zf, "README.txt", _README.format(assignment=spec.name, title=spec.title, notebook=spec.notebook,
                                                  version=cnnedu.__version__).encode())
            _add(zf, wheel.name, wheel.read_bytes())
    return out
