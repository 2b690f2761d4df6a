"""Run a submission's functions in a child process, under limits, and bring back plain arrays.

The security model
------------------
* The student's code runs in a child process (:mod:`cnnedu.grading._worker`), started in
  a new session (its own process group), in a fresh temporary directory, with an
  environment that holds nothing but what Python needs (no path to the results, no
  credentials).  When the grader runs as root (Gradescope does), the child runs as the
  unprivileged user ``nobody`` (uid 65534) if that user can run this Python.
* The parent generates every input and computes every expected answer itself, before
  any student code runs, with the cnnedu it has imported; the child only ever sees the
  inputs.  Monkeypatching cnnedu in the child, or editing its files, changes nothing
  the parent computes.
* The child sends back only arrays (``.npz`` read with ``allow_pickle=False``) and small
  JSON files, read without following symbolic links and with a size cap.
* Limits, per part: wall-clock time (the whole process group is killed, which stops an
  infinite loop in a Numba function too), memory (``RLIMIT_DATA``: numpy and Python
  allocations fail with ``MemoryError``; ``RLIMIT_AS`` would break Numba's compiler),
  printed output (drained from a pipe, and the child is killed past the cap), size of
  files and of returned arrays (``RLIMIT_FSIZE``, and a cap on the result).
* Processes the child leaves behind (``fork``, even after ``setsid``) carry a random
  token in their environment and are killed after every part.
* The parent writes results.json itself, last and atomically (:mod:`.gradescope`).

What this cannot do without an unprivileged user: stop code running as the grader's own
user from writing wherever that user may write.  The grader checks that cnnedu's files
are unchanged after every part, and the results it writes replace anything the child
wrote; on a shared machine, run the grader as root (or in a container) so that the
child runs as ``nobody``.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["Limits", "CallSpec", "CallOutcome", "ImportOutcome", "PartRun", "Script", "run_part"]

#: The unprivileged user the child runs as when the grader is root.
NOBODY = 65534

_JSON_CAP = 1 << 20                # bytes of a child's JSON file the parent will read
_POLL = 0.05                        # seconds between checks of the child
_PRINTED_KEPT = 2000                # characters of printed output kept for the report


@dataclass(frozen=True)
class Limits:
    """Per-part limits: ``time`` in seconds, ``memory`` in MB, ``output`` and ``returned`` in bytes."""

    time: float = 30.0
    memory: int = 1024
    output: int = 1_000_000
    returned: int = 64 << 20


@dataclass(frozen=True)
class Script:
    """A submission ready to run: one Python source and, for a notebook, its cells.

    ``chunks`` is ``None`` for a ``.py`` file (run as one module), else a list of
    ``(label, first_line, last_line)``: the lines of each code cell in ``source``.
    ``notes`` are remarks made while reading it (skipped cells, removed magics).
    """

    source: str
    chunks: list | None
    notes: tuple = ()
    name: str = "submission"

    def where(self, line: int | None) -> str:
        """A line of ``source`` as the student knows it: 'line 12' or 'cell 7, line 3'."""
        if line is None:
            return ""
        if self.chunks is None:
            return f"line {line}"
        for label, first, last in self.chunks:
            if first <= line <= last:
                return f"{label}, line {line - first + 1}"
        return f"line {line}"


@dataclass(frozen=True)
class CallSpec:
    """One call: the student's function, its positional arguments, the outputs expected."""

    function: str
    args: tuple
    n_outputs: int
    time_limit: float | None = None
    driver: str | None = None


@dataclass
class CallOutcome:
    """What happened to one call.

    ``status`` is one of ``ok`` (``outputs`` holds the arrays), ``error`` (an exception:
    ``info`` has its type, message and line), ``missing``, ``not_callable``,
    ``bad_return`` (``info['reason']``), ``timeout``, ``output_limit``, ``died``
    (``info['returncode']``), ``unreadable`` (the child's files could not be read) or
    ``not_run`` (``info['reason']``).
    """

    status: str
    outputs: list | None = None
    info: dict = field(default_factory=dict)
    seconds: float = 0.0
    mutated: list = field(default_factory=list)


@dataclass
class ImportOutcome:
    """How loading the submission went: ``status`` ``ok``, ``error``, ``timeout``, ``output_limit``, ``died``."""

    status: str
    info: dict = field(default_factory=dict)
    cells: list = field(default_factory=list)
    defined: dict = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class PartRun:
    """Everything one part's run produced."""

    imported: ImportOutcome
    outcomes: list
    printed: str = ""
    printed_bytes: int = 0
    restarts: int = 0


# ---------------------------------------------------------------------------
# The child's environment and limits
# ---------------------------------------------------------------------------

def _package_root() -> str:
    """The directory that holds the cnnedu package (for the child's PYTHONPATH)."""
    import cnnedu
    return str(Path(cnnedu.__file__).resolve().parent.parent)


def _child_env(job_dir: str, cache_dir: str, token: str) -> dict:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": job_dir, "TMPDIR": job_dir,
        "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "PYTHONPATH": _package_root(), "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1",
        "MPLBACKEND": "Agg", "NUMBA_CACHE_DIR": cache_dir,
        # One thread each: fair timings, no thread pools eating memory, same sums every run.
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NUMBA_NUM_THREADS": "1",
        "CNNEDU_GRADING": "1", "CNNEDU_GRADING_TOKEN": token,
    }


def _limit(kind: int, value: int) -> None:
    import resource                               # POSIX only: imported where used, so that
    soft, hard = resource.getrlimit(kind)         # cnnedu.check works on Windows too
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, value))


def _preexec(limits: Limits, drop: bool):
    import resource

    def apply():                                  # runs in the child, between fork and exec
        _limit(resource.RLIMIT_DATA, limits.memory << 20)
        _limit(resource.RLIMIT_FSIZE, max(limits.returned * 2, 16 << 20))
        _limit(resource.RLIMIT_CORE, 0)
        if drop:
            _limit(resource.RLIMIT_NPROC, 256)    # counts nobody's processes only
    return apply


_probe_cache: dict = {}


def sandbox_uid(mode="auto") -> int | None:
    """The uid the child runs as, or ``None`` to keep the grader's own.

    ``mode`` is ``"auto"`` (``nobody`` when the grader is root and ``nobody`` can run this
    Python and import cnnedu; a probe decides, once), ``None``/``"none"``, or a uid.
    """
    if mode is None or mode == "none":
        return None
    if mode != "auto":
        return int(mode)
    if os.geteuid() != 0:
        return None
    if "auto" not in _probe_cache:
        tmp = tempfile.mkdtemp(prefix="cnnedu-probe-")
        try:
            os.chown(tmp, NOBODY, NOBODY)
            env = _child_env(tmp, tmp, "probe")
            try:
                ok = subprocess.run([sys.executable, "-c", "import numpy, cnnedu.grading._worker"],
                                    cwd=tmp, env=env, user=NOBODY, group=NOBODY, extra_groups=[],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, timeout=60).returncode == 0
            except (OSError, subprocess.SubprocessError):
                ok = False
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        _probe_cache["auto"] = NOBODY if ok else None
    return _probe_cache["auto"]


def kill_leftovers(token: str) -> int:
    """Kill every process whose environment carries ``token``; return how many."""
    needle = f"CNNEDU_GRADING_TOKEN={token}".encode()
    killed = 0
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0
    for pid in pids:
        if pid == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                environ = f.read()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
    return killed


# ---------------------------------------------------------------------------
# Reading the child's files without trusting them
# ---------------------------------------------------------------------------

def _read_child_file(dir_fd: int, name: str, cap: int) -> bytes:
    """The bytes of a regular file written by the child: no symlinks, no FIFOs, at most ``cap``."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"{name} is not a regular file")
        if st.st_size > cap:
            raise OSError(f"{name} is {st.st_size} bytes, more than the {cap} allowed")
        chunks, size = [], 0
        while size <= cap:
            chunk = os.read(fd, min(1 << 20, cap + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > cap:
            raise OSError(f"{name} grew past {cap} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _read_json(dir_fd: int, name: str) -> dict:
    data = json.loads(_read_child_file(dir_fd, name, _JSON_CAP).decode("utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{name} does not hold a JSON object")
    return data


def _read_arrays(dir_fd: int, name: str, n: int, cap: int) -> list:
    raw = _read_child_file(dir_fd, name, cap + (1 << 20))
    with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
        keys = [f"out{i}" for i in range(n)]
        if sorted(npz.files) != sorted(keys):
            raise ValueError(f"{name} holds {npz.files}, expected {keys}")
        arrays = [npz[k] for k in keys]
    for a in arrays:
        if a.dtype.kind not in "biuf":
            raise ValueError(f"{name} holds an array of dtype {a.dtype}")
    return arrays


def _write_parent_file(dir_fd: int, name: str, data: bytes) -> None:
    """Create a file in the parent's input directory (never following a link the child made)."""
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=dir_fd)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _encode_args(args: tuple) -> tuple[list, dict]:
    spec, arrays = [], {}
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray):
            arrays[f"a{i}"] = a
            spec.append({"array": f"a{i}"})
        else:
            spec.append({"value": a})
    return spec, arrays


# ---------------------------------------------------------------------------
# One child process
# ---------------------------------------------------------------------------

class _Worker:
    """A running child: start it, call into it, kill it."""

    def __init__(self, script: Script, functions, limits: Limits, job_root: str, cache_dir: str,
                 uid, assignment: str, forbidden, drivers):
        self.limits = limits
        self.token = secrets.token_hex(16)
        self.job_dir = tempfile.mkdtemp(prefix="job-", dir=job_root)
        os.mkdir(os.path.join(self.job_dir, "in"), 0o755)
        self.dir_fd = os.open(self.job_dir, os.O_RDONLY | os.O_DIRECTORY)
        self.in_fd = os.open(os.path.join(self.job_dir, "in"), os.O_RDONLY | os.O_DIRECTORY)
        ctl_r, self.ctl_w = os.pipe()
        self.ack_r, ack_w = os.pipe()
        job = {"source": "submission.py", "chunks": script.chunks, "functions": list(functions),
               "forbidden": list(forbidden), "assignment": assignment, "drivers": list(drivers),
               "ctl_fd": ctl_r, "ack_fd": ack_w, "max_return_bytes": limits.returned}
        for name, text in (("job.json", json.dumps(job)), ("submission.py", script.source)):
            with open(os.path.join(self.job_dir, name), "w", encoding="utf-8") as f:
                f.write(text)
        ids = {}
        if uid is not None:
            os.chown(self.job_dir, uid, uid)
            ids = {"user": uid, "group": uid, "extra_groups": []}
        self.printed = bytearray()
        self.printed_bytes = 0
        self.acks = bytearray()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "cnnedu.grading._worker", self.job_dir],
                cwd=self.job_dir, env=_child_env(self.job_dir, cache_dir, self.token),
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                pass_fds=(ctl_r, ack_w), start_new_session=True,
                preexec_fn=_preexec(limits, uid is not None), **ids)
        finally:
            os.close(ctl_r)
            os.close(ack_w)
        self.out_fd = self.proc.stdout.fileno()
        os.set_blocking(self.out_fd, False)
        os.set_blocking(self.ack_r, False)
        self.open = {self.out_fd, self.ack_r}

    # -- waiting ------------------------------------------------------------------
    def _wait_for(self, line: str, deadline: float) -> str:
        """Wait for the ack ``line``; return ``ok``, ``timeout``, ``output_limit`` or ``died``."""
        want = (line + "\n").encode()
        exited_at = None
        while True:
            if want in self.acks:
                self.acks = self.acks.split(want, 1)[1]
                return "ok"
            now = time.monotonic()
            if now >= deadline:
                return "timeout"
            if self.proc.poll() is not None:
                # Exited: read what is left in the pipes for a moment (a fork may hold them open).
                exited_at = exited_at or now
                if now - exited_at > 0.25 or not self.open:
                    return "died"
            if not self.open:
                time.sleep(_POLL)
                continue
            ready, _, _ = select.select(list(self.open), [], [], min(_POLL, deadline - now))
            for fd in ready:
                try:
                    data = os.read(fd, 1 << 16)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    self.open.discard(fd)
                elif fd == self.ack_r:
                    self.acks += data
                    if len(self.acks) > 1 << 16:       # garbage on the ack pipe
                        return "died"
                else:
                    self.printed_bytes += len(data)
                    if len(self.printed) < _PRINTED_KEPT * 4:
                        self.printed += data[:_PRINTED_KEPT * 4 - len(self.printed)]
                    if self.printed_bytes > self.limits.output:
                        return "output_limit"

    def _send(self, line: str) -> bool:
        try:
            os.write(self.ctl_w, (line + "\n").encode())
            return True
        except OSError:
            return False

    # -- the protocol -------------------------------------------------------------
    def start(self, deadline: float) -> ImportOutcome:
        t0 = time.monotonic()
        state = self._wait_for("imported", deadline)
        seconds = time.monotonic() - t0
        if state != "ok":
            return ImportOutcome(state, self._death_info() if state == "died" else {}, seconds=seconds)
        try:
            report = _read_json(self.dir_fd, "import.json")
        except (OSError, ValueError) as exc:
            return ImportOutcome("unreadable", {"message": str(exc)}, seconds=seconds)
        status = "ok" if report.get("status") == "ok" else "error"
        info = {} if status == "ok" else _clean_error(report)
        cells = [dict(_clean_error(c), cell=str(c.get("cell", "?"))[:80])
                 for c in report.get("cells", [])[:50] if isinstance(c, dict)]
        defined = report.get("defined", {}) if isinstance(report.get("defined"), dict) else {}
        return ImportOutcome(status, info, cells, {str(k): str(v) for k, v in defined.items()}, seconds)

    def call(self, k: int, spec: CallSpec, deadline: float) -> CallOutcome:
        args, arrays = _encode_args(spec.args)
        meta = {"function": spec.function, "args": args, "n_outputs": spec.n_outputs, "driver": spec.driver}
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        _write_parent_file(self.in_fd, f"call-{k}.npz", buf.getvalue())
        _write_parent_file(self.in_fd, f"call-{k}.json", json.dumps(meta).encode())
        t0 = time.monotonic()
        if not self._send(f"call {k}"):
            return CallOutcome("died", info=self._death_info())
        state = self._wait_for(f"done {k}", deadline)
        seconds = time.monotonic() - t0
        if state != "ok":
            info = self._death_info() if state == "died" else {"limit": max(0.0, deadline - t0)}
            return CallOutcome(state, info=info, seconds=seconds)
        try:
            result = _read_json(self.dir_fd, f"out-{k}.json")
            status = result.get("status")
            if status == "ok":
                outputs = _read_arrays(self.dir_fd, f"out-{k}.npz", spec.n_outputs, self.limits.returned)
                mutated = [int(i) for i in result.get("mutated", []) if isinstance(i, int)][:10]
                return CallOutcome("ok", outputs, seconds=seconds, mutated=mutated)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return CallOutcome("unreadable", info={"message": str(exc)[:300]}, seconds=seconds)
        if status == "error":
            return CallOutcome("error", info=_clean_error(result), seconds=seconds)
        if status == "bad_return":
            return CallOutcome("bad_return", info={"reason": str(result.get("reason"))[:40],
                                                   "detail": str(result.get("detail", ""))[:300]},
                               seconds=seconds)
        if status in ("missing", "not_callable"):
            return CallOutcome(status, info={"detail": str(result.get("detail", ""))[:100]}, seconds=seconds)
        return CallOutcome("unreadable", info={"message": f"unknown status {str(status)[:40]!r}"}, seconds=seconds)

    def _death_info(self) -> dict:
        try:
            code = self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            code = None
        return {"returncode": code}

    def close(self) -> None:
        """End the child and everything it started; remove its files."""
        if self.proc.poll() is None:
            self._send("exit")
            try:
                self.proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)     # the group: forks that kept it
        except OSError:
            pass
        kill_leftovers(self.token)                       # and forks that left it (setsid)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for fd in (self.ctl_w, self.ack_r, self.dir_fd, self.in_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.proc.stdout.close()
        shutil.rmtree(self.job_dir, ignore_errors=True)


def _clean_error(report: dict) -> dict:
    """The fields of an error report the child wrote, as short strings (or an int line)."""
    line = report.get("line")
    return {"type": str(report.get("type", "Exception"))[:80],
            "message": str(report.get("message", ""))[:600],
            "line": line if isinstance(line, int) and not isinstance(line, bool) else None,
            "traceback": str(report.get("traceback", ""))[-3000:]}


# ---------------------------------------------------------------------------
# One part
# ---------------------------------------------------------------------------

def run_part(script: Script, calls: list, functions, limits: Limits, *, assignment: str = "",
             forbidden=(), cache_dir: str | None = None, user="auto") -> PartRun:
    """Load ``script`` in a fresh child and make ``calls`` (a list of :class:`CallSpec`) in order.

    The part has ``limits.time`` seconds in all, loading included.  A call with its own
    ``time_limit`` that runs over is stopped and the child restarted for the next call;
    any other stop (out of time, too much printing, a crash) ends the part, and the
    calls left are ``not_run``.
    """
    uid = sandbox_uid(user)
    job_root = tempfile.mkdtemp(prefix="cnnedu-grade-")
    own_cache = cache_dir is None
    if own_cache:
        cache_dir = os.path.join(job_root, "numba-cache")
        os.mkdir(cache_dir)
    if uid is not None:
        os.chmod(job_root, 0o755)
        os.chown(cache_dir, uid, uid)
    drivers = sorted({c.driver for c in calls if c.driver})
    start = time.monotonic()
    deadline = start + limits.time
    outcomes: list = [None] * len(calls)
    printed, printed_bytes, restarts = bytearray(), 0, 0
    imported = None
    worker = None
    try:
        k = 0
        while k < len(calls):
            if worker is None:
                if time.monotonic() >= deadline:
                    break
                worker = _Worker(script, functions, limits, job_root, cache_dir, uid, assignment,
                                 forbidden, drivers)
                outcome = worker.start(deadline)
                if imported is None:
                    imported = outcome
                if outcome.status != "ok":
                    printed += worker.printed
                    printed_bytes += worker.printed_bytes
                    worker.close()
                    worker = None
                    if outcome is imported:
                        return PartRun(imported, [CallOutcome("not_run", info={"reason": "import"})
                                                  for _ in calls], _decode(printed), printed_bytes)
                    for j in range(k, len(calls)):
                        outcomes[j] = CallOutcome("not_run", info={"reason": "restart", "status": outcome.status})
                    break
                if k:
                    restarts += 1
            spec = calls[k]
            call_deadline = deadline if spec.time_limit is None else min(deadline, time.monotonic() + spec.time_limit)
            outcome = worker.call(k, spec, call_deadline)
            if outcome.status == "timeout" and spec.time_limit is not None and call_deadline < deadline:
                outcome.info["call_limit"] = spec.time_limit
            outcomes[k] = outcome
            if outcome.status in ("timeout", "output_limit", "died", "unreadable"):
                printed += worker.printed
                printed_bytes += worker.printed_bytes
                worker.close()
                worker = None
                if not (outcome.status == "timeout" and "call_limit" in outcome.info):
                    for j in range(k + 1, len(calls)):
                        outcomes[j] = CallOutcome("not_run", info={"reason": outcome.status})
                    break
            k += 1
        for j in range(len(calls)):
            if outcomes[j] is None:
                outcomes[j] = CallOutcome("not_run", info={"reason": "timeout"})
    finally:
        if worker is not None:
            printed += worker.printed
            printed_bytes += worker.printed_bytes
            worker.close()
        shutil.rmtree(job_root, ignore_errors=True)
    return PartRun(imported, outcomes, _decode(printed), printed_bytes, restarts)


def _decode(data: bytes) -> str:
    text = bytes(data).decode("utf-8", errors="replace")
    return text[:_PRINTED_KEPT] + (" …" if len(text) > _PRINTED_KEPT else "")
