"""Fixtures for the cnnedu.data tests.

``no_internet`` (autouse) makes sure no test can reach a host other than the
loopback address, whatever the code under test does: name lookups of anything
else fail at once.  It also points the cache folder at a temporary directory and
clears the environment variables that would change where MNIST comes from.
"""

from __future__ import annotations

import socket

import pytest

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(autouse=True)
def no_internet(monkeypatch, tmp_path):
    real_getaddrinfo = socket.getaddrinfo

    def guarded_getaddrinfo(host, *args, **kwargs):
        if host not in _LOOPBACK:
            raise OSError(f"test guard: refusing to resolve non-loopback host {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    monkeypatch.setenv("CNNEDU_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CNNEDU_MNIST_MIRRORS", raising=False)
    monkeypatch.delenv("CNNEDU_MNIST_SOURCE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
