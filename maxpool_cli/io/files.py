"""Files and streams: paths and byte streams in, documents of arrays out, and back.

``read`` recognises a file by its first bytes (not its name) and returns a
:class:`Document`; ``write`` encodes one in the format the output's extension names, else the
one asked for, else the input's, and writes it atomically. ``load`` and ``save`` are the
one-array shortcuts of the public API.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import FileFormatError, ParameterError
from . import formats
from .arrays import csv_bytes, npy_bytes, npz_bytes, read_csv, read_npy, read_npz
from .atomic import atomic_write
from .document import Document

STDIO = "-"


def read(
    source: str | Path,
    key: str | None = None,
    max_pixels: int | None = None,
    stdin: BinaryIO | None = None,
) -> Document:
    """Read a file (or ``"-"``: standard input) into a :class:`Document`.

    Raises
    ------
    FileFormatError
        Missing, unreadable, empty, truncated, corrupt, pickled or unsupported input; the
        message starts with the file's name.
    """
    if str(source) == STDIO:
        data = (stdin or sys.stdin.buffer).read()
        return _read_stream(io.BytesIO(data), "<stdin>", len(data), None, None, key, max_pixels)
    path = Path(source)
    if path.is_dir() and path.suffix == ".zarr":
        from .arrays import read_zarr

        return Document(str(path), "zarr", {"array": read_zarr(path, str(path))})
    try:
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            return _read_stream(
                f, str(path), size, path, formats.from_extension(path), key, max_pixels
            )
    except IsADirectoryError:
        raise FileFormatError(f"{path}: is a folder; expected a file") from None
    except OSError as e:
        raise FileFormatError(f"{path}: cannot read: {e.strerror or e}") from e


def _read_stream(
    f: BinaryIO,
    name: str,
    size: int,
    path: Path | None,
    named: str | None,
    key: str | None,
    max_pixels: int | None,
) -> Document:
    head = f.read(16)
    f.seek(0)
    fmt = formats.sniff(head)
    if fmt is None and named == "csv" and formats.describe(head) == "it starts like text":
        fmt = "csv"  # the parser says what is wrong with it
    if fmt is None or (fmt == "csv" and named not in (None, "csv")):
        said = f" named as {named.upper()}," if named else ""
        raise FileFormatError(f"{name}:{said} not a supported file: {formats.describe(head)}")
    if key is not None and fmt != "npz":
        raise ParameterError(f"--key: only applies to .npz archives; {name} is {fmt.upper()}")
    if fmt == "npy":
        array, attrs = read_npy(f, name, size, path)
        return Document(name, fmt, {"array": array}, attrs={"array": attrs} if attrs else {})
    if fmt == "npz":
        arrays, member_attrs = read_npz(f, name, key)
        return Document(name, fmt, arrays, attrs=member_attrs)
    if fmt == "csv":
        return Document(name, fmt, {"array": read_csv(f.read(), name)})
    from .images import read_image  # Pillow is imported only when an image is read

    return read_image(f, name, fmt, max_pixels)


def output_format(target: str | Path | None, asked: str | None, doc: Document) -> str:
    """The output's format: its extension's, else the one asked for, else the input's."""
    if target is not None and str(target) != STDIO:
        named = formats.from_extension(Path(target))
        if named is not None:
            return named
    if asked is not None:
        if asked not in formats.FORMATS:
            raise ParameterError(
                f"--format: expected one of {', '.join(formats.FORMATS)}, got {asked!r}"
            )
        return asked
    return doc.format


def encode(doc: Document, fmt: str, name: str) -> bytes:
    """The bytes of ``doc`` written as ``fmt``."""
    if fmt == "npy":
        return npy_bytes(doc.single(), next(iter(doc.attrs.values()), None))
    if fmt == "npz":
        return npz_bytes(doc.arrays, doc.attrs)
    if fmt == "csv":
        return csv_bytes(doc.single(), name)
    from .images import encode_image

    frames = list(doc.arrays.values()) if doc.is_image else [doc.single()]
    buffer = io.BytesIO()
    encode_image(frames, doc.image, fmt, name, buffer)
    return buffer.getvalue()


def write(
    target: str | Path,
    doc: Document,
    fmt: str | None = None,
    overwrite: bool = False,
    stdout: BinaryIO | None = None,
) -> str:
    """Write ``doc`` to a path (atomically) or to ``"-"`` (standard output); return the format.

    Raises
    ------
    FileFormatError
        The output exists (without ``overwrite``), or cannot be encoded or written.
    """
    fmt = output_format(target, fmt, doc)
    if str(target) == STDIO:
        data = encode(doc, fmt, "<stdout>")
        out = stdout or sys.stdout.buffer
        out.write(data)
        out.flush()
        return fmt
    path = Path(target)
    if path.exists() and not overwrite:
        raise FileFormatError(f"{path}: already exists; pass --overwrite to replace it")
    data = encode(doc, fmt, str(path))
    try:
        with atomic_write(path, overwrite=overwrite) as f:
            f.write(data)
    except FileExistsError:
        raise FileFormatError(f"{path}: already exists; pass --overwrite to replace it") from None
    except OSError as e:
        raise FileFormatError(f"{path}: cannot write: {e.strerror or e}") from e
    return fmt


def load(path: str | Path, key: str | None = None) -> np.ndarray:
    """Read one array: a ``.npy``/``.csv`` file, one ``.npz`` member, or an image's pixels.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.csv"
    >>> _ = p.write_text("1,2\\n3,4\\n")
    >>> load(p)
    array([[1, 2],
           [3, 4]])
    """
    return read(path, key=key).single()


def save(path: str | Path, array: np.ndarray, overwrite: bool = False) -> None:
    """Write one array in the format the path's extension names (``.npy`` otherwise)."""
    target = Path(path)
    doc = Document(target.name, "npy", {"array": np.asarray(array)})
    write(target, doc, overwrite=overwrite)
