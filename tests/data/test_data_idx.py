"""IDX reading and writing (cnnedu.data.idx)."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cnnedu.data.idx import IDXFormatError, decode_idx, encode_idx, read_idx, write_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


def test_header_layout_matches_the_specification():
    data = encode_idx(np.arange(6, dtype=np.uint8).reshape(2, 3))
    assert data[:4] == b"\x00\x00\x08\x02"
    assert struct.unpack(">2I", data[4:12]) == (2, 3)
    assert data[12:] == bytes(range(6))


def test_multibyte_values_are_big_endian():
    data = encode_idx(np.array([1, 258], dtype=np.int32))
    assert data[2] == 0x0C
    assert data[8:] == b"\x00\x00\x00\x01\x00\x00\x01\x02"


@given(st.sampled_from(DTYPES).flatmap(
    lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
                          elements={"allow_nan": False} if np.dtype(dt).kind == "f" else None)))
def test_encode_decode_roundtrip(array):
    out = decode_idx(encode_idx(array))
    assert out.dtype == array.dtype
    assert out.shape == array.shape
    np.testing.assert_array_equal(out, array)
    assert out.flags.writeable


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_write_read_file_roundtrip(tmp_path, suffix):
    images = np.random.default_rng(0).integers(0, 256, (7, 28, 28), dtype=np.uint8)
    path = tmp_path / f"images-idx3-ubyte{suffix}"
    write_idx(path, images)
    raw = path.read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == (suffix == ".gz")
    np.testing.assert_array_equal(read_idx(path), images)
    np.testing.assert_array_equal(read_idx(str(path)), images)


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    path = tmp_path / "labels.bin"
    write_idx(path, np.arange(10, dtype=np.uint8), compress=True)
    np.testing.assert_array_equal(read_idx(path), np.arange(10))


def test_compressed_output_is_reproducible(tmp_path):
    a, b = tmp_path / "a.gz", tmp_path / "b.gz"
    write_idx(a, np.arange(100, dtype=np.uint8))
    write_idx(b, np.arange(100, dtype=np.uint8))
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize(
    "data, match",
    [
        (b"\x00\x00", "too short for an IDX header"),
        (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "magic 00 00"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "unknown IDX type code 0x07"),
        (b"\x00\x00\x08\x00", "0 dimensions"),
        (b"\x00\x00\x08\x02\x00\x00\x00\x01", "too short for 2 dimension sizes"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02", "truncated"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x01\x01\x02", "trailing data"),
        (b"\x1f\x8b\x08\x00garbage", "damaged gzip"),
    ],
)
def test_malformed_input_is_rejected(data, match):
    with pytest.raises(IDXFormatError, match=match):
        decode_idx(data)


def test_truncated_gzip_file_names_the_file(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x05\x01"))
    with pytest.raises(IDXFormatError, match="t10k-labels-idx1-ubyte.gz has 1 payload bytes, expected 5"):
        read_idx(path)


def test_idx_format_error_is_a_value_error():
    assert issubclass(IDXFormatError, ValueError)


def test_bad_arguments():
    with pytest.raises(TypeError, match="encode_idx: array dtype must be one of"):
        encode_idx(np.array([1], dtype=np.uint16))
    with pytest.raises(TypeError, match="encode_idx: array dtype must be one of"):
        encode_idx(np.array([True]))
    with pytest.raises(ValueError, match="encode_idx: array must have shape"):
        encode_idx(np.float32(3.0))
    with pytest.raises(TypeError, match="decode_idx: data must be bytes, got str"):
        decode_idx("00 00 08 01")
    with pytest.raises(TypeError, match="read_idx: path must be a path"):
        read_idx(42)
    with pytest.raises(TypeError, match="write_idx: compress must be True, False or None"):
        write_idx("x.idx", np.zeros(1, np.uint8), compress="yes")
