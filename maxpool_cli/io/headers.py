"""What a file holds, from its headers alone: names, shapes and dtypes, without the data.

``maxpool info`` describes files with this (a dry run must cost less than the run), and the
memory checks use it to size a file's arrays, every frame and member counted, before anything
is decoded or inflated.
"""

from __future__ import annotations

import math
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import FileFormatError, ParameterError
from . import formats
from .arrays import npy_layout, npz_members
from .document import Document, ImageInfo


@dataclass(frozen=True)
class ArrayInfo:
    """One array of a file, as its header declares it."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


@dataclass(frozen=True)
class FileInfo:
    """The arrays a file holds and how (format, image mode, frames), without their data."""

    name: str
    format: str
    arrays: tuple[ArrayInfo, ...]
    image: ImageInfo | None = None
    notes: tuple[str, ...] = field(default=())
    levels: tuple[ArrayInfo, ...] = ()  # a pyramid's levels, the full resolution first

    @property
    def nbytes(self) -> int:
        """Bytes of all its arrays once read (every frame, every member)."""
        return sum(a.nbytes for a in self.arrays)

    @classmethod
    def of(cls, doc: Document) -> FileInfo:
        """The description of a document already read."""
        arrays = tuple(ArrayInfo(k, v.shape, v.dtype) for k, v in doc.arrays.items())
        return cls(doc.name, doc.format, arrays, doc.image, doc.notes)


def describe(
    source: str | Path,
    key: str | None = None,
    max_pixels: int | None = None,
    headers_only: bool = False,
) -> FileInfo | None:
    """Describe a file from its headers (a CSV is parsed: its text is its header; an image's
    frames are visited). With ``headers_only``, files whose description costs a pass over
    them (CSV, images) give None instead.

    Raises
    ------
    FileFormatError
        Missing, unreadable, corrupt or unsupported input; the message starts with its name.
    """
    path = Path(source)
    name = str(source)
    if formats.is_zarr_store(path):
        from .arrays import zarr_array, zarr_levels

        array = zarr_array(path, name)
        levels = tuple(
            ArrayInfo(str(n), tuple(level.shape), np.dtype(level.dtype))
            for n, level in enumerate(zarr_levels(path, name))
        )
        arrays = (ArrayInfo("array", tuple(array.shape), np.dtype(array.dtype)),)
        return FileInfo(name, "zarr", arrays, levels=levels)
    try:
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            named = formats.from_extension(path)
            return _describe_stream(f, name, size, named, key, max_pixels, headers_only)
    except IsADirectoryError:
        raise FileFormatError(f"{name}: is a folder; expected a file") from None
    except OSError as e:
        raise FileFormatError(f"{name}: cannot read: {e.strerror or e}") from e


def _describe_stream(
    f: BinaryIO,
    name: str,
    size: int,
    named: str | None,
    key: str | None,
    max_pixels: int | None,
    headers_only: bool,
) -> FileInfo | None:
    head = f.read(16)
    f.seek(0)
    fmt = formats.recognise(head, named, name)
    if key is not None and fmt != "npz":
        raise ParameterError(f"--key: only applies to .npz archives; {name} is {fmt.upper()}")
    if fmt == "npy":
        layout = npy_layout(f, name, size)
        return FileInfo(name, fmt, (ArrayInfo("array", layout.shape, layout.dtype),))
    if fmt == "npz":
        try:
            with zipfile.ZipFile(f) as archive:
                members = npz_members(archive, name, key)
                arrays = tuple(
                    ArrayInfo(a, shape, dtype) for a, (_, shape, dtype) in members.items()
                )
                return FileInfo(name, fmt, arrays)
        except (zipfile.BadZipFile, EOFError) as e:
            raise FileFormatError(f"{name}: not a valid .npz (zip) archive: {e}") from e
    if fmt == "tiff":
        from .tiffs import describe_tiff

        described = describe_tiff(f, name)
        if described is not None or headers_only:
            return described
        f.seek(0)
    if headers_only and fmt not in ("npy", "npz"):
        return None
    if fmt == "csv":
        from .arrays import read_csv

        array = read_csv(f, name, size)
        return FileInfo(name, fmt, (ArrayInfo("array", array.shape, array.dtype),))
    from .images import describe_image

    return describe_image(f, name, fmt, max_pixels)
