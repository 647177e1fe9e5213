"""Arrays larger than memory, a band at a time: sources that read the slab of an array
between two positions of one axis, and sinks that take the slabs of an output in order.

Sources: a ``.npy`` file (plain reads at the right offsets, so that resident memory stays at
a band whatever the file's size), a TIFF page (strips or rows of tiles decoded as needed) and
a Zarr array. Sinks: a ``.npy`` file (sized first, each band written at its place), a TIFF
page (tiled BigTIFF, fed to tifffile as the bands come) and a Zarr array. A ``.npy`` in
Fortran order is seen as the C-order array of its reversed shape (the caller pools it so).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import numpy as np

from ..errors import FileFormatError
from .arrays import NpyLayout, read_layout
from .document import ImageInfo


class Source(Protocol):
    """An array read a slab at a time: positions ``[start, stop)`` of ``axis``, all of the
    other axes."""

    shape: tuple[int, ...]
    dtype: np.dtype

    def read(self, axis: int, start: int, stop: int) -> np.ndarray: ...

    def close(self) -> None: ...


class NpySource:
    """A ``.npy`` file (C order, or Fortran order seen as its transpose)."""

    def __init__(self, path: Path) -> None:
        layout = read_layout(path)
        if layout is None:
            raise FileFormatError(f"{path}: not a .npy file")
        if layout.dtype.hasobject:
            raise FileFormatError(f"{path}: holds Python objects, which are never unpickled")
        self.layout: NpyLayout = layout
        self.shape = layout.shape[::-1] if layout.fortran else layout.shape
        self.dtype = layout.dtype
        try:
            self._file = path.open("rb")
        except OSError as e:
            raise FileFormatError(f"{path}: cannot read: {e.strerror or e}") from e
        self.name = str(path)

    def read(self, axis: int, start: int, stop: int) -> np.ndarray:
        lead = math.prod(self.shape[:axis])  # blocks before the axis
        row = math.prod(self.shape[axis + 1 :]) * self.dtype.itemsize  # bytes of one position
        slab = np.empty((*self.shape[:axis], stop - start, *self.shape[axis + 1 :]), self.dtype)
        blocks = slab.reshape(lead, -1)
        for b in range(lead):
            self._file.seek(self.layout.offset + (b * self.shape[axis] + start) * row)
            if self._file.readinto(blocks[b].data.cast("B")) != blocks[b].nbytes:
                raise FileFormatError(f"{self.name}: truncated while reading")
        return slab

    def close(self) -> None:
        self._file.close()


class TiffSource:
    """The first page of a TIFF, as (H, W[, S]), read along its rows."""

    def __init__(self, path: Path) -> None:
        from .tiffs import TiffRows

        try:
            self._file = path.open("rb")
        except OSError as e:
            raise FileFormatError(f"{path}: cannot read: {e.strerror or e}") from e
        self.rows = TiffRows(self._file, str(path))
        self.shape = self.rows.shape
        self.dtype = self.rows.dtype

    def read(self, axis: int, start: int, stop: int) -> np.ndarray:
        if axis != 0:
            raise FileFormatError(f"{self.rows.name}: a TIFF is read a band of rows at a time")
        return self.rows.read(start, stop)

    def close(self) -> None:
        self.rows.close()
        self._file.close()


class ZarrSource:
    """A Zarr array (or any array that slices)."""

    def __init__(self, array: Any) -> None:
        self.array = array
        self.shape = tuple(array.shape)
        self.dtype = np.dtype(array.dtype)

    def read(self, axis: int, start: int, stop: int) -> np.ndarray:
        index = (slice(None),) * axis + (slice(start, stop),)
        return np.asarray(self.array[index])

    def close(self) -> None:
        pass


Band = tuple[int, int, np.ndarray]  # positions [lo, hi) of the axis, and their slab


def write_npy_bands(
    out: BinaryIO,
    shape: tuple[int, ...],
    dtype: np.dtype,
    axis: int,
    bands: Iterator[Band],
    fortran: bool = False,
) -> None:
    """An ``.npy`` of ``shape`` (C order; Fortran order: ``shape`` is the transpose's, and the
    file declares the reversed shape), each band written at its place."""
    header = {
        "descr": np.lib.format.dtype_to_descr(dtype),
        "fortran_order": fortran,
        "shape": shape[::-1] if fortran else shape,
    }
    np.lib.format.write_array_header_1_0(out, header)
    start = out.tell()
    out.truncate(start + math.prod(shape) * dtype.itemsize)
    lead = math.prod(shape[:axis])
    row = math.prod(shape[axis + 1 :]) * dtype.itemsize
    for lo, _, band in bands:
        blocks = np.ascontiguousarray(band, dtype=dtype).reshape(lead, -1)
        for b in range(lead):
            out.seek(start + (b * shape[axis] + lo) * row)
            out.write(blocks[b].data.cast("B"))


def write_tiff_bands(
    out: BinaryIO,
    shape: tuple[int, ...],
    dtype: np.dtype,
    bands: Iterator[Band],
    info: ImageInfo | None,
    compress_level: int | None = None,
) -> None:
    """A one-page TIFF of ``shape`` (H, W[, S]) from bands of rows, in tiles (BigTIFF)."""
    import tifffile

    from .tiffs import TILE, photometric_of

    photometric, extrasamples = photometric_of((len(shape) == 3 and shape[2]) or 1, info)
    with tifffile.TiffWriter(out, bigtiff=True) as writer:
        writer.write(
            _tiles(bands, shape, dtype),
            shape=shape,
            dtype=dtype,
            tile=(TILE, TILE),
            photometric=photometric,
            extrasamples=extrasamples or None,
            planarconfig="contig" if len(shape) == 3 else None,
            compression="zlib" if compress_level else None,
            compressionargs={"level": compress_level} if compress_level else None,
            extratags=info.georef.extratags() if info and info.georef else None,
            metadata=None,
            software=False,
        )


def _tiles(bands: Iterator[Band], shape: tuple[int, ...], dtype: np.dtype) -> Iterator[np.ndarray]:
    """Tiles in row-major order (edge tiles padded with zeros), from bands of any height."""
    from .tiffs import TILE

    width = shape[1]
    pending: list[np.ndarray] = []
    held = 0
    for _, _, band in bands:
        pending.append(band)
        held += len(band)
        while held >= TILE:
            rows = np.concatenate(pending) if len(pending) > 1 else pending[0]
            yield from _row_of_tiles(rows[:TILE], width, dtype)
            pending, held = [rows[TILE:]], held - TILE
    if held:
        rows = np.concatenate(pending) if len(pending) > 1 else pending[0]
        yield from _row_of_tiles(rows, width, dtype)


def _row_of_tiles(rows: np.ndarray, width: int, dtype: np.dtype) -> Iterator[np.ndarray]:
    from .tiffs import TILE

    for left in range(0, width, TILE):
        tile = np.zeros((TILE, TILE, *rows.shape[2:]), dtype=dtype)
        part = rows[:, left : left + TILE]
        tile[: part.shape[0], : part.shape[1]] = part
        yield tile
