"""Array files: NumPy ``.npy`` and ``.npz`` (never unpickled) and numeric CSV/text matrices.

An array may carry attributes (the input shape and pooled axes recorded with argmax indices):
they follow its data as one line, ``#maxpool {json}``, which NumPy and other ``.npy`` readers
never see, since they stop at the size the header declares.
"""

from __future__ import annotations

import io
import json
import math
import os
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

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


def npy_layout(f: IO[bytes], name: str, size: int | None) -> NpyLayout:
    """The layout of the ``.npy`` stream ``f`` (at its start), checked against its size."""
    start = f.tell()
    shape, fortran, dtype = _header(f, name)
    layout = NpyLayout(tuple(shape), dtype, fortran, f.tell() - start)
    if size is not None and size - layout.offset < layout.nbytes:
        raise FileFormatError(
            f"{name}: truncated: its header declares {layout.shape} {dtype} ({layout.nbytes} "
            f"bytes of data) but only {max(0, size - layout.offset)} bytes follow"
        )
    return layout


def read_layout(path: Path) -> NpyLayout | None:
    """The layout of a ``.npy`` file, or None if the file is not one."""
    try:
        with path.open("rb") as f:
            if f.read(6) != b"\x93NUMPY":
                return None
            f.seek(0)
            return npy_layout(f, str(path), os.fstat(f.fileno()).st_size)
    except OSError as e:
        raise FileFormatError(f"{path}: cannot read: {e.strerror or e}") from e


def read_npy(
    f: BinaryIO,
    name: str,
    size: int | None,
    path: Path | None = None,
    limit: int | None = None,
) -> tuple[np.ndarray, Attrs]:
    """Read one ``.npy`` stream, checking its header against the data actually there and the
    memory budget ``limit``; return the array and its attributes.

    ``size`` is the stream's length when known; ``path``, when given, lets a large file be
    memory-mapped instead of read into memory.
    """
    start = f.tell()
    layout = npy_layout(f, name, size)
    data_start = start + layout.offset
    if path is not None and layout.nbytes >= MMAP_BYTES:
        f.seek(data_start + layout.nbytes)
        return np.load(path, mmap_mode="r", allow_pickle=False), read_attrs(f)
    check_fits(name, layout.nbytes, f"a {layout.shape} {layout.dtype} array", limit)
    f.seek(start)
    try:
        array = np.lib.format.read_array(f, allow_pickle=False)
    except (ValueError, EOFError, OSError) as e:
        raise FileFormatError(f"{name}: cannot read the array data: {_first_line(e)}") from e
    f.seek(data_start + layout.nbytes)
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


def npz_members(
    archive: zipfile.ZipFile, name: str, key: str | None = None
) -> dict[str, tuple[str, tuple[int, ...], np.dtype]]:
    """Per array of an ``.npz`` archive (or only ``key``): its member, shape and dtype, from
    the member headers alone (nothing is inflated beyond them)."""
    names: dict[str, str] = {}
    for member in archive.namelist():
        if member.endswith("/"):
            continue
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
    described = {}
    try:
        for array_name, member in names.items():
            with archive.open(member) as stream:
                shape, _, dtype = _header(stream, f"{name}:{member}")
            described[array_name] = (member, tuple(shape), dtype)
    except (zipfile.BadZipFile, ValueError, EOFError, OSError) as e:
        raise FileFormatError(f"{name}: cannot read the archive: {_first_line(e)}") from e
    return described


def read_npz(
    f: BinaryIO, name: str, key: str | None = None, limit: int | None = None
) -> tuple[dict[str, np.ndarray], dict[str, Attrs]]:
    """Read the arrays of an ``.npz`` archive (or only ``key``), checking their headers
    against the memory budget first; return them and the attributes of those that have any."""
    try:
        archive = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise FileFormatError(f"{name}: not a valid .npz (zip) archive: {_first_line(e)}") from e
    with archive:
        members = npz_members(archive, name, key)
        total = sum(math.prod(shape) * dtype.itemsize for _, shape, dtype in members.values())
        check_fits(
            name,
            total,
            "its arrays",
            limit,
            "; extract a large member (unzip) and pool the .npy, which is read band by band",
        )
        arrays = {}
        attrs = {}
        try:
            for array_name, (member, _, _) in members.items():
                with archive.open(member) as stream:
                    arrays[array_name] = np.lib.format.read_array(stream, allow_pickle=False)
                    found = read_attrs(stream)
                if found:
                    attrs[array_name] = found
        except (zipfile.BadZipFile, ValueError, EOFError, OSError) as e:
            raise FileFormatError(f"{name}: cannot read the archive: {_first_line(e)}") from e
        return arrays, attrs


def zarr_array(path: Path, name: str) -> Any:
    """A Zarr array, opened (zarr comes with the ``[dask]`` extra), its data not read; of an
    OME-Zarr multiscale image, its full-resolution level."""
    levels = zarr_levels(path, name)
    return levels[0] if levels else _open_zarr(path, name, "array")


def zarr_levels(path: Path, name: str) -> list[Any]:
    """The levels of an OME-Zarr multiscale image (NGFF 0.4 or 0.5), largest first; none for
    a plain Zarr array."""
    try:
        group = _open_zarr(path, name, "group")
    except FileFormatError:
        return []
    attrs = dict(group.attrs)
    multiscales = attrs.get("ome", attrs).get("multiscales")
    if not multiscales:
        return []
    try:
        return [group[d["path"]] for d in multiscales[0]["datasets"]]
    except (KeyError, TypeError) as e:
        raise FileFormatError(f"{name}: OME-Zarr metadata names a missing level: {e}") from e


def _open_zarr(path: Path, name: str, kind: str) -> Any:
    try:
        import zarr
    except ImportError:
        raise MissingExtraError(f"{name}: reading Zarr") from None
    try:
        return (
            zarr.open_array(str(path), mode="r")
            if kind == "array"
            else zarr.open_group(str(path), mode="r")
        )
    except Exception as e:  # zarr raises many kinds for a folder that is not a store
        raise FileFormatError(f"{name}: not a readable Zarr {kind}: {_first_line(e)}") from e


def read_zarr(path: Path, name: str, limit: int | None = None) -> np.ndarray:
    """A Zarr array, read whole after a memory check."""
    array = zarr_array(path, name)
    nbytes = math.prod(array.shape) * array.dtype.itemsize
    check_fits(name, nbytes, f"a {array.shape} array", limit)
    return np.asarray(array[...])


LONG_LINE = 1 << 20  # text lines longer than this are parsed on their own, without tokens


def read_csv(
    f: BinaryIO, name: str, size: int | None = None, limit: int | None = None
) -> np.ndarray:
    """A matrix of numbers from CSV or whitespace-separated text (int64 if all are integers).

    The cells are counted before parsing, against the memory budget, and parsed straight
    into the array by NumPy's C parsers: rows by ``np.loadtxt`` (in chunks of lines), and a
    line longer than a megabyte by ``np.fromstring`` (which makes no token per cell), so the
    peak stays near the text plus the result (a Python list per cell would cost 18x the file).

    >>> read_csv(io.BytesIO(b"1,2\\n3,4\\n"), "m.csv")
    array([[1, 2],
           [3, 4]])
    """
    data = f.read()
    if size is not None and len(data) < size:
        raise FileFormatError(f"{name}: truncated while reading")
    delimiter = _delimiter(data, name)
    cells = data.count(b"\n") + 1
    cells += data.count(delimiter.encode()) if delimiter else data.count(b" ") + data.count(b"\t")
    check_fits(name, len(data) + 8 * cells + (8 << 20), f"about {cells:,} numbers", limit)
    newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    longest = int(np.diff(newlines, prepend=-1, append=len(data)).max())
    del newlines
    for dtype in (np.int64, np.float64):
        try:
            values = _long_lines(data, delimiter, dtype) if longest > LONG_LINE else None
            if values is None:
                values = _loadtxt(data, delimiter, dtype)
        except ValueError:
            continue
        if values.size == 0:
            raise FileFormatError(f"{name}: holds no numbers")
        return values
    raise FileFormatError(f"{name}: {_csv_problem(data, delimiter)}")


def _loadtxt(data: bytes, delimiter: str | None, dtype: type) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
        return np.loadtxt(
            io.BytesIO(data),
            delimiter=delimiter,
            comments="#",
            dtype=dtype,
            ndmin=2,
            encoding="utf-8-sig",
        )


def _long_lines(data: bytes, delimiter: str | None, dtype: type) -> np.ndarray | None:
    """Rows of a text with very long lines, each parsed whole by ``np.fromstring`` into its
    row; ValueError where a value is not of ``dtype``; None to leave it to ``np.loadtxt``."""
    if not data.isascii():
        return None  # (the error path says what is wrong)
    lines = [_clean(line) for line in data.removeprefix(b"\xef\xbb\xbf").split(b"\n")]
    lines = [line for line in lines if line]
    if not lines:
        return None
    sep = delimiter or " "
    rows: list[np.ndarray] = []
    for line in lines:
        count = line.count(sep.encode()) + 1 if delimiter else len(line.split())
        row: np.ndarray = np.fromstring(line, dtype=dtype, sep=sep)  # a bad value raises
        if len(row) != count or (rows and count != rows[0].size):
            raise ValueError("an empty cell, or ragged rows")
        if dtype is np.int64 and (row.max() == _INT64[1] or row.min() == _INT64[0]):
            return None  # it saturates instead of refusing: let loadtxt read these exactly
        rows.append(row)
    # One long line is the usual case: its row is the result, with no copy.
    return rows[0].reshape(1, -1) if len(rows) == 1 else np.stack(rows)


def _clean(line: bytes) -> bytes:
    """A line without its comment and surrounding white space (the same object if none)."""
    return (line.split(b"#", 1)[0] if b"#" in line else line).strip()


_INT64 = (np.iinfo(np.int64).min, np.iinfo(np.int64).max)


def _delimiter(data: bytes, name: str) -> str | None:
    """The delimiter of the first line with numbers: comma, semicolon, tab, or None (spaces)."""
    try:
        text = data[:65536].decode("utf-8-sig", errors="strict")
    except UnicodeDecodeError as e:
        if e.start < 65536 - 4:
            raise FileFormatError(f"{name}: not a text file ({e.reason} at byte {e.start})") from e
        text = data[: e.start].decode("utf-8-sig")
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return next((d for d in (",", ";", "\t") if d in line), None)
    return None


def _csv_problem(data: bytes, delimiter: str | None) -> str:
    """What is wrong with a text the parser refused, found line by line (the error path)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return f"not a text file ({e.reason} at byte {e.start})"
    width = first = None
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        cells = [c.strip() for c in line.split(delimiter)] if delimiter else line.split()
        if width is None:
            width, first = len(cells), number
        elif len(cells) != width:
            return (
                f"line {number} has {len(cells)} values, expected {width} like line {first} "
                f"(ragged rows)"
            )
        for column, cell in enumerate(cells, start=1):
            try:
                float(cell)
            except ValueError:
                return f"line {number}, column {column}: {cell!r} is not a number"
    return "holds no numbers" if width is None else "cannot be read as a matrix of numbers"


def write_npy(stream: IO[bytes], array: np.ndarray, attrs: Attrs | None = None) -> None:
    """An array as ``.npy``, its attributes (if any) after the data."""
    np.save(stream, array, allow_pickle=False)
    if attrs:
        stream.write(TRAILER + json.dumps(attrs, separators=(",", ":")).encode() + b"\n")


def write_npz(
    stream: IO[bytes], arrays: dict[str, np.ndarray], attrs: dict[str, Attrs] | None = None
) -> None:
    """Arrays as an ``.npz`` archive (``NAME.npy`` members, stored as ``numpy.savez`` does,
    named exactly as read), with their attributes."""
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for array_name, array in arrays.items():
            info = zipfile.ZipInfo(f"{array_name}.npy", (1980, 1, 1, 0, 0, 0))
            with archive.open(info, "w", force_zip64=True) as member:
                write_npy(member, array, (attrs or {}).get(array_name))


def write_csv(stream: IO[bytes], array: np.ndarray, name: str) -> None:
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
    for row in cells:
        stream.write((",".join(row) + "\n").encode())


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
