"""Array files: NumPy ``.npy`` and ``.npz`` (never unpickled) and numeric CSV/text matrices.

An array may carry attributes (the input shape and pooled axes recorded with argmax indices):
they follow its data as one line, ``#maxpool {json}``, which NumPy and other ``.npy`` readers
never see, since they stop at the size the header declares.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

import numpy as np

from ..errors import FileFormatError, MissingExtraError
from .memory import check_fits

MMAP_BYTES = 64 * 1024 * 1024  # .npy files with more data than this are memory-mapped
TRAILER = b"#maxpool "
TRAILER_MAX = 64 * 1024  # attributes are a few numbers; anything longer is not ours
Attrs = dict[str, object]


def _header(f: IO[bytes], name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """The shape, Fortran order and dtype an npy header declares, refusing object arrays."""
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    except (ValueError, EOFError, OSError) as e:
        raise FileFormatError(f"{name}: not a valid .npy header: {_first_line(e)}") from e
    if dtype.hasobject:
        raise FileFormatError(
            f"{name}: holds Python objects (dtype {dtype}), which are never unpickled; "
            f"expected numeric data"
        )
    return shape, fortran, dtype


@dataclass(frozen=True)
class NpyLayout:
    """Where an ``.npy`` file keeps its array: shape, dtype, order and data offset."""

    shape: tuple[int, ...]
    dtype: np.dtype
    fortran: bool
    offset: int

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


def read_layout(path: Path) -> NpyLayout | None:
    """The layout of a ``.npy`` file, or None if the file is not one."""
    with path.open("rb") as f:
        if f.read(6) != b"\x93NUMPY":
            return None
        f.seek(0)
        try:
            version = np.lib.format.read_magic(f)
            read = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, fortran, dtype = read(f)
        except (ValueError, EOFError) as e:
            raise FileFormatError(f"{path}: not a valid .npy header: {e}") from e
        return NpyLayout(tuple(shape), dtype, fortran, f.tell())


def read_npy(
    f: BinaryIO, name: str, size: int | None, path: Path | None = None
) -> tuple[np.ndarray, Attrs]:
    """Read one ``.npy`` stream, checking its header against the data actually there; return
    the array and its attributes.

    ``size`` is the stream's length when known; ``path``, when given, lets a large file be
    memory-mapped instead of read into memory.
    """
    start = f.tell()
    shape, _, dtype = _header(f, name)
    nbytes = math.prod(shape) * dtype.itemsize
    data_start = f.tell()
    if size is not None:
        available = size - (data_start - start)
        if available < nbytes:
            raise FileFormatError(
                f"{name}: truncated: its header declares {shape} {dtype} ({nbytes} bytes of "
                f"data) but only {available} bytes follow"
            )
    if path is not None and nbytes >= MMAP_BYTES:
        f.seek(data_start + nbytes)
        return np.load(path, mmap_mode="r", allow_pickle=False), read_attrs(f)
    check_fits(name, nbytes, f"a {shape} {dtype} array")
    f.seek(start)
    try:
        array = np.lib.format.read_array(f, allow_pickle=False)
    except (ValueError, EOFError, OSError) as e:
        raise FileFormatError(f"{name}: cannot read the array data: {_first_line(e)}") from e
    f.seek(data_start + nbytes)
    return array, read_attrs(f)


def read_attrs(f: IO[bytes]) -> Attrs:
    """The attributes that follow an array's data (``f`` just past it), or none."""
    tail = f.read(TRAILER_MAX + 1)
    if not tail.startswith(TRAILER) or len(tail) > TRAILER_MAX:
        return {}
    try:
        attrs = json.loads(tail[len(TRAILER) :].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return attrs if isinstance(attrs, dict) else {}


def read_npz(
    f: BinaryIO, name: str, key: str | None = None
) -> tuple[dict[str, np.ndarray], dict[str, Attrs]]:
    """Read the arrays of an ``.npz`` archive (or only ``key``), checking each header first;
    return them and the attributes of those that have any."""
    try:
        archive = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise FileFormatError(f"{name}: not a valid .npz (zip) archive: {_first_line(e)}") from e
    with archive:
        members = [m for m in archive.namelist() if not m.endswith("/")]
        names: dict[str, str] = {}
        for member in members:
            array_name = member.removesuffix(".npy")
            if array_name in names:
                raise FileFormatError(
                    f"{name}: members {names[array_name]!r} and {member!r} are both the array "
                    f"{array_name!r} to NumPy; expected distinct names"
                )
            names[array_name] = member
        if key is not None:
            if key not in names:
                raise FileFormatError(
                    f"{name}: has no array {key!r}; it holds {', '.join(names) or 'none'}"
                )
            names = {key: names[key]}
        if not names:
            raise FileFormatError(f"{name}: the archive holds no arrays")
        arrays = {}
        attrs = {}
        try:
            total = 0
            for member in names.values():
                with archive.open(member) as stream:
                    shape, _, dtype = _header(stream, f"{name}:{member}")
                total += math.prod(shape) * dtype.itemsize
            check_fits(name, total, "its arrays")
            for array_name, member in names.items():
                with archive.open(member) as stream:
                    arrays[array_name] = np.lib.format.read_array(stream, allow_pickle=False)
                    found = read_attrs(stream)
                if found:
                    attrs[array_name] = found
        except (zipfile.BadZipFile, ValueError, EOFError, OSError) as e:
            raise FileFormatError(f"{name}: cannot read the archive: {_first_line(e)}") from e
        return arrays, attrs


def read_zarr(path: Path, name: str) -> np.ndarray:
    """A Zarr array (the ``[dask]`` extra brings zarr), read whole after a memory check."""
    try:
        import zarr
    except ImportError:
        raise MissingExtraError(f"{name}: reading Zarr") from None
    try:
        array = zarr.open_array(str(path), mode="r")
    except Exception as e:  # zarr raises many kinds for a folder that is not a store
        raise FileFormatError(f"{name}: not a readable Zarr array: {_first_line(e)}") from e
    check_fits(name, math.prod(array.shape) * array.dtype.itemsize, f"a {array.shape} array")
    return np.asarray(array[...])


def read_csv(data: bytes, name: str) -> np.ndarray:
    """A matrix of numbers from CSV or whitespace-separated text (int64 if all are integers).

    >>> read_csv(b"1,2\\n3,4\\n", "m.csv")
    array([[1, 2],
           [3, 4]])
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise FileFormatError(f"{name}: not a text file ({e.reason} at byte {e.start})") from e
    rows: list[tuple[int, list[str]]] = []
    delimiter: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if delimiter is None:
            delimiter = next((d for d in (",", ";", "\t") if d in line), " ")
        cells = line.split(delimiter) if delimiter != " " else line.split()
        rows.append((number, [c.strip() for c in cells]))
    if not rows:
        raise FileFormatError(f"{name}: holds no numbers")
    width = len(rows[0][1])
    for number, cells in rows:
        if len(cells) != width:
            raise FileFormatError(
                f"{name}: line {number} has {len(cells)} values, expected {width} like line "
                f"{rows[0][0]} (ragged rows)"
            )
    flat = [cell for _, cells in rows for cell in cells]
    try:
        values = np.array([int(c) for c in flat], dtype=np.int64)
    except (ValueError, OverflowError):
        values = np.empty(len(flat), dtype=np.float64)
        for i, cell in enumerate(flat):
            try:
                values[i] = float(cell)
            except ValueError:
                number = rows[i // width][0]
                raise FileFormatError(
                    f"{name}: line {number}, column {i % width + 1}: {cell!r} is not a number"
                ) from None
    return values.reshape(len(rows), width)


def npy_bytes(array: np.ndarray, attrs: Attrs | None = None) -> bytes:
    """An array as ``.npy`` bytes, its attributes (if any) after the data."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    if attrs:
        buffer.write(TRAILER + json.dumps(attrs, separators=(",", ":")).encode() + b"\n")
    return buffer.getvalue()


def npz_bytes(arrays: dict[str, np.ndarray], attrs: dict[str, Attrs] | None = None) -> bytes:
    """Arrays as an ``.npz`` archive (``NAME.npy`` members, stored as ``numpy.savez`` does),
    with their attributes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for array_name, array in arrays.items():
            data = npy_bytes(array, (attrs or {}).get(array_name))
            archive.writestr(zipfile.ZipInfo(f"{array_name}.npy", (1980, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def csv_bytes(array: np.ndarray, name: str) -> bytes:
    """A 1-D or 2-D array as CSV, each number written exactly (shortest round-trip form)."""
    if array.ndim not in (1, 2):
        raise FileFormatError(
            f"{name}: a {array.ndim}-d array {array.shape} cannot be written as CSV; "
            f"expected 1 or 2 dimensions (write .npy instead)"
        )
    if array.dtype.kind not in "biuf":
        raise FileFormatError(f"{name}: cannot write dtype {array.dtype} as CSV")
    grid = array.reshape(1, -1) if array.ndim == 1 else array
    if grid.dtype.kind == "f":
        # str() of a NumPy float is the shortest text that reads back as the same value.
        cells = [[str(v) for v in row] for row in grid]
    else:
        cells = [[str(int(v)) for v in row] for row in grid]
    return "".join(",".join(row) + "\n" for row in cells).encode()


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
