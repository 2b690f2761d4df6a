"""Reading and writing IDX files, the format MNIST is distributed in.

An IDX file is a header followed by the raw array, all big-endian::

    bytes 0-1   0x00 0x00                    (always zero)
    byte  2     type code                    (see IDX_DTYPES)
    byte  3     number of dimensions d       (1 for labels, 3 for images)
    then        d unsigned 32-bit sizes      (big-endian)
    then        prod(sizes) items, C order   (big-endian)

For example ``train-images-idx3-ubyte`` starts with ``00 00 08 03``, then the
sizes 60000, 28, 28, then 60000 * 28 * 28 unsigned bytes.  The files are
usually gzip-compressed; :func:`read_idx` recognises gzip by its own magic
bytes ``1f 8b``, whatever the file is called.
"""

from __future__ import annotations

import gzip
import io
import os
import struct

import numpy as np

from .._checks import as_image_array, check_path

__all__ = ["IDX_DTYPES", "IDXFormatError", "read_idx", "write_idx", "encode_idx", "decode_idx"]

#: IDX type code -> big-endian NumPy dtype.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_CODE_OF_DTYPE = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


class IDXFormatError(ValueError):
    """Raised when bytes are not a well-formed IDX file."""


def decode_idx(data: bytes, *, source: str = "data") -> np.ndarray:
    """Decode the bytes of an (uncompressed or gzip-compressed) IDX file.

    Parameters
    ----------
    data : bytes
        The file contents.  Gzip data (starting with ``1f 8b``) is decompressed first.
    source : str, optional
        What to call the data in error messages (e.g. the file name).

    Returns
    -------
    numpy.ndarray
        Array of shape ``(size_1, ..., size_d)`` in native byte order, dtype from
        :data:`IDX_DTYPES` (``uint8`` for MNIST).

    Raises
    ------
    IDXFormatError
        If the magic number, the type code or the sizes are invalid, or the payload
        is shorter or longer than ``prod(sizes) * itemsize`` bytes.

    Examples
    --------
    >>> decode_idx(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]))
    array([7, 8, 9], dtype=uint8)
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"decode_idx: data must be bytes, got {type(data).__name__}")
    data = bytes(data)
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise IDXFormatError(f"decode_idx: {source} is a damaged gzip stream: {exc}") from None
    if len(data) < 4:
        raise IDXFormatError(f"decode_idx: {source} is too short for an IDX header "
                             f"({len(data)} bytes, need at least 4)")
    zero, code, ndim = data[0:2], data[2], data[3]
    if zero != b"\x00\x00":
        raise IDXFormatError(f"decode_idx: {source} does not start with the IDX magic 00 00, "
                             f"got {data[:4].hex(' ')}")
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise IDXFormatError(f"decode_idx: {source} has unknown IDX type code 0x{code:02X} "
                             f"(known: {known})")
    if ndim == 0:
        raise IDXFormatError(f"decode_idx: {source} declares 0 dimensions, expected at least 1")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise IDXFormatError(f"decode_idx: {source} is too short for {ndim} dimension sizes "
                             f"({len(data)} bytes, need {header_len})")
    shape = struct.unpack(f">{ndim}I", data[4:header_len])
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    got = len(data) - header_len
    if got != expected:
        raise IDXFormatError(
            f"decode_idx: {source} has {got} payload bytes, expected {expected} for shape "
            f"{shape} of {dtype.newbyteorder('=').name} "
            f"({'truncated' if got < expected else 'trailing data'})"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a native-order, writeable copy


def read_idx(path) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) into a NumPy array.

    Parameters
    ----------
    path : str or os.PathLike
        The file, e.g. ``"train-images-idx3-ubyte.gz"``.

    Returns
    -------
    numpy.ndarray
        See :func:`decode_idx`; MNIST images come back as ``uint8`` of shape
        ``(N, 28, 28)`` and labels as ``uint8`` of shape ``(N,)``.

    Raises
    ------
    IDXFormatError
        If the file is not a well-formed IDX file.
    """
    path = check_path("read_idx", "path", path)
    with open(path, "rb") as handle:
        data = handle.read()
    return decode_idx(data, source=os.path.basename(path))


def encode_idx(array) -> bytes:
    """Encode an array as the (uncompressed) bytes of an IDX file.

    Parameters
    ----------
    array : array_like
        Integer or float array with 1 to 255 dimensions, each < 2**32.  Its dtype must
        be one of ``uint8, int8, int16, int32, float32, float64``.

    Returns
    -------
    bytes
        ``00 00 <code> <ndim>``, the sizes as big-endian uint32, then the big-endian data.

    Examples
    --------
    >>> encode_idx(np.array([7, 8, 9], dtype=np.uint8)).hex(" ")
    '00 00 08 01 00 00 00 03 07 08 09'
    """
    a = as_image_array("encode_idx", "array", array, ndims=range(1, 256),
                       layout="(d_1, ..., d_k), 1 <= k <= 255", allow_empty=True)
    native = a.dtype.newbyteorder("=")
    if native not in _CODE_OF_DTYPE:
        names = ", ".join(dt.newbyteorder("=").name for dt in IDX_DTYPES.values())
        raise TypeError(f"encode_idx: array dtype must be one of {names}, got {a.dtype}")
    if any(s >= 2**32 for s in a.shape):
        raise ValueError(f"encode_idx: array sizes must each be < 2**32, got shape {a.shape}")
    code = _CODE_OF_DTYPE[native]
    header = bytes([0, 0, code, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape)
    return header + np.ascontiguousarray(a, dtype=IDX_DTYPES[code]).tobytes()


def write_idx(path, array, *, compress: bool | None = None) -> None:
    """Write an array as an IDX file.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file.
    array : array_like
        See :func:`encode_idx`.
    compress : bool, optional
        Gzip the file.  Default: compress when ``path`` ends in ``.gz``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "labels-idx1-ubyte.gz"
    >>> write_idx(p, np.arange(5, dtype=np.uint8))
    >>> read_idx(p)
    array([0, 1, 2, 3, 4], dtype=uint8)
    """
    path = check_path("write_idx", "path", path)
    if compress is None:
        compress = path.endswith(".gz")
    elif not isinstance(compress, bool):
        raise TypeError(f"write_idx: compress must be True, False or None, got {compress!r}")
    data = encode_idx(array)
    if compress:
        buffer = io.BytesIO()
        # mtime=0 makes the output byte-for-byte reproducible (and so its checksum).
        with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz:
            gz.write(data)
        data = buffer.getvalue()
    with open(path, "wb") as handle:
        handle.write(data)
