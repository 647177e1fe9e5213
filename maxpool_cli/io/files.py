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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from ..errors import FileFormatError, OutputExistsError, ParameterError
from . import formats, memory
from .arrays import read_csv, read_npy, read_npz, write_csv, write_npy, write_npz
from .atomic import atomic_write, write_all, write_error
from .document import Document
from .sizes import human

if TYPE_CHECKING:
    from .images import ImageRows

STDIO = "-"


def read(
    source: str | Path,
    key: str | None = None,
    max_pixels: int | None = None,
    stdin: BinaryIO | None = None,
    memory_limit: int | None = None,
) -> Document:
    """Read a file (or ``"-"``: standard input) into a :class:`Document`.

    ``memory_limit`` (bytes) bounds what reading may allocate, as does the memory this
    process can have; sizes are checked from headers before anything is allocated.

    Raises
    ------
    FileFormatError
        Missing, unreadable, empty, truncated, corrupt, pickled, unsupported or too large
        input; the message starts with the file's name.
    """
    if str(source) == STDIO:
        data = _read_all(stdin or sys.stdin.buffer, memory_limit)
        stream = io.BytesIO(data)
        return _read_stream(stream, "<stdin>", len(data), None, None, key, max_pixels, memory_limit)
    path = Path(source)
    if formats.is_zarr_store(path):
        from .arrays import read_zarr

        return Document(str(path), "zarr", {"array": read_zarr(path, str(path), memory_limit)})
    try:
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            named = formats.from_extension(path)
            return _read_stream(f, str(path), size, path, named, key, max_pixels, memory_limit)
    except IsADirectoryError:
        raise FileFormatError(f"{path}: is a folder; expected a file") from None
    except OSError as e:
        raise FileFormatError(f"{path}: cannot read: {e.strerror or e}") from e


def _read_all(stream: BinaryIO, limit: int | None) -> bytes:
    """All of a stream of unknown length, refusing more than the memory budget."""
    budget = min(limit or memory.UNKNOWN, memory.available_memory())
    chunks, total = [], 0
    while chunk := stream.read(1 << 20):
        total += len(chunk)
        if total > budget:
            raise FileFormatError(
                f"<stdin>: holds more than the {human(budget)} of memory it may use; save it "
                f"to a file (a .npy is read band by band)"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _read_stream(
    f: BinaryIO,
    name: str,
    size: int,
    path: Path | None,
    named: str | None,
    key: str | None,
    max_pixels: int | None,
    limit: int | None,
) -> Document:
    head = f.read(16)
    f.seek(0)
    fmt = formats.recognise(head, named, name)
    if key is not None and fmt != "npz":
        raise ParameterError(f"--key: only applies to .npz archives; {name} is {fmt.upper()}")
    if fmt == "npy":
        array, attrs = read_npy(f, name, size, path, limit)
        return Document(name, fmt, {"array": array}, attrs={"array": attrs} if attrs else {})
    if fmt == "npz":
        arrays, member_attrs = read_npz(f, name, key, limit)
        return Document(name, fmt, arrays, attrs=member_attrs)
    if fmt == "csv":
        return Document(name, fmt, {"array": read_csv(f, name, size, limit)})
    if fmt == "tiff":
        from .tiffs import read_tiff

        pixel_limit = formats.DEFAULT_MAX_PIXELS if max_pixels is None else max_pixels
        doc = read_tiff(f, name, pixel_limit, limit)
        if doc is not None:
            return doc
        f.seek(0)  # a TIFF for Pillow (a compression tifffile lacks here, a palette, ...)
    from .images import read_image  # Pillow is imported only when an image is read

    return read_image(f, name, fmt, max_pixels, limit)


def open_image_rows(
    source: str | Path,
    max_pixels: int | None = None,
    memory_limit: int | None = None,
    least_bytes: int = 0,
) -> ImageRows | None:
    """An image file, decoded, as a band source of its rows (close it; see
    :class:`~maxpool_cli.io.images.ImageRows`); None, before anything is decoded, for other
    files, several frames, pixels Pillow converts, or fewer than ``least_bytes``."""
    path = Path(source)
    fmt = formats.from_extension(path)
    if str(source) == STDIO or fmt not in IMAGE_ROW_FORMATS or not path.is_file():
        return None
    try:
        with path.open("rb") as f:
            fmt = formats.recognise(f.read(16), fmt, str(path))
    except OSError as e:
        raise FileFormatError(f"{path}: cannot read: {e.strerror or e}") from e
    from .images import open_rows  # Pillow is imported only when an image is read

    return open_rows(path, fmt, max_pixels, memory_limit, least_bytes)


# (As images.ROW_FORMATS, without importing Pillow to know it.)
IMAGE_ROW_FORMATS = ("png", "jpeg", "bmp", "webp")


@dataclass(frozen=True)
class Written:
    """What a write did: the format, and notes on conversions that were not exact (averages
    rounded to fit an image's dtype)."""

    format: str
    notes: tuple[str, ...] = ()


def output_format(target: str | Path | None, asked: str | None, doc: Document) -> str:
    """The output's format: its extension's, else the one asked for, else the input's (an
    extension that is unknown or contradicts the format asked for is an error)."""
    return formats.asked_format(target, asked) or doc.format


def encode(
    doc: Document, fmt: str, name: str, stream: BinaryIO, compress_level: int | None = None
) -> tuple[str, ...]:
    """Write ``doc`` as ``fmt`` into ``stream``; return notes on inexact conversions.

    ``compress_level`` (0-9) is PNG's zlib level and TIFF's deflate level (0: none); None
    is each format's default.
    """
    if fmt == "npy":
        write_npy(stream, doc.single(), next(iter(doc.attrs.values()), None))
        return ()
    if fmt == "npz":
        write_npz(stream, doc.arrays, doc.attrs)
        return ()
    if fmt == "csv":
        write_csv(stream, doc.single(), name)
        return ()
    frames = list(doc.arrays.values()) if doc.is_image else [doc.single()]
    if fmt == "tiff":
        from .tiffs import encode_tiff

        notes = encode_tiff(frames, doc.image, name, stream, compress_level)
    else:
        from .images import encode_image

        notes = encode_image(frames, doc.image, fmt, name, stream, compress_level)
    if doc.image is not None and doc.image.georef is not None and fmt != "tiff":
        notes = (*notes, f"the GeoTIFF georeferencing is not kept in {fmt.upper()} (write .tif)")
    return notes


def write(
    target: str | Path,
    doc: Document,
    fmt: str | None = None,
    overwrite: bool = False,
    stdout: BinaryIO | None = None,
    compress_level: int | None = None,
    sync_folder: bool = True,
) -> Written:
    """Write ``doc`` to a path (atomically: encoded straight into a temporary file beside
    it) or to ``"-"`` (standard output, once encoded whole: an error leaves nothing there).
    ``sync_folder``: as in :func:`~maxpool_cli.io.atomic.atomic_write`.

    Raises
    ------
    FileFormatError
        The output exists (without ``overwrite``), or cannot be encoded or written (values
        an image's dtype cannot hold are refused, never clipped).
    """
    fmt = output_format(target, fmt, doc)
    if str(target) == STDIO:
        buffer = io.BytesIO()
        notes = encode(doc, fmt, "<stdout>", buffer, compress_level)
        write_all(stdout or sys.stdout.buffer, buffer.getbuffer())
        return Written(fmt, notes)
    path = Path(target)
    if path.exists() and not overwrite:
        raise OutputExistsError(path)
    try:
        with atomic_write(path, overwrite, sync_folder) as f:
            notes = encode(doc, fmt, str(path), f, compress_level)
    except OSError as e:
        raise write_error(path, e) from e
    return Written(fmt, notes)


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
