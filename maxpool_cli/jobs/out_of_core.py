"""Pooling ``.npy`` files larger than memory: band by band, from file to file.

The input is read a band at a time along its first pooled axis (with the halo that
overlapping windows, dilation and padding need: :func:`~maxpool_cli.engine.band_geometry`),
pooled by the engine, and written at its place in the output ``.npy``. Plain reads rather
than a memory map keep the resident memory at a few bands whatever the file's size. The
result is the same, bit for bit, as pooling the whole array in memory.
"""

from __future__ import annotations

import math
from io import BufferedIOBase
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..engine import PoolGeometry, band_geometry, mirror, pool_geometry, pool_on, result_dtype
from ..errors import FileFormatError, MaxpoolError, OutputExistsError, about_file
from ..io.arrays import NpyLayout, read_layout
from ..io.atomic import atomic_write
from .options import PoolOptions


def pool_file(
    source: Path,
    target: Path,
    options: PoolOptions,
    memory_limit: int,
    overwrite: bool = False,
) -> PoolGeometry:
    """Pool the ``.npy`` file ``source`` into the ``.npy`` file ``target`` within a budget.

    Returns the geometry used (of the array as the user sees it).

    Raises
    ------
    MaxpoolError
        Bad parameters for the array, a bad or truncated file, or a write that failed; the
        target is then left as it was.
    """
    layout = read_layout(source)
    if layout is None:
        raise FileFormatError(f"{source}: out-of-core pooling reads .npy files only")
    if layout.dtype.hasobject:
        raise FileFormatError(f"{source}: holds Python objects, which are never unpickled")
    if source.stat().st_size - layout.offset < layout.nbytes:
        raise FileFormatError(
            f"{source}: truncated: its header declares {layout.shape} {layout.dtype} but the "
            f"file is shorter"
        )
    try:
        kwargs = options.for_pool()  # (kernel None means 2, as everywhere)
        geometry = pool_geometry(
            layout.shape,
            kwargs["kernel"],
            kwargs["stride"],
            kwargs["padding"],
            kwargs["dilation"],
            kwargs["ceil_mode"],
            kwargs["axes"],
        )
        stored = mirror(geometry) if layout.fortran else geometry
        out_dtype = result_dtype(layout.dtype, options.op)
        with atomic_write(target, overwrite=overwrite) as out:
            _write_header(out, stored.output_shape, out_dtype, layout.fortran)
            data_start = out.tell()
            out.truncate(data_start + math.prod(stored.output_shape) * out_dtype.itemsize)
            with source.open("rb") as src:
                _pool_bands(src, out, data_start, layout, stored, options, memory_limit)
    except MaxpoolError as e:
        raise about_file(e, source) from e
    except FileExistsError:
        raise OutputExistsError(target) from None
    except OSError as e:
        raise FileFormatError(f"{target}: cannot write: {e.strerror or e}") from e
    return geometry


def _write_header(out: BinaryIO, shape: tuple[int, ...], dtype: np.dtype, fortran: bool) -> None:
    header = {
        "descr": np.lib.format.dtype_to_descr(dtype),
        "fortran_order": fortran,
        "shape": shape[::-1] if fortran else shape,
    }
    # Version 1.0 headers hold up to 64 KiB, which only absurd numbers of dimensions exceed.
    np.lib.format.write_array_header_1_0(out, header)


def band_rows(geometry: PoolGeometry, layout: NpyLayout, memory_limit: int) -> int:
    """How many outputs of the first pooled axis one band may hold within the budget."""
    first = geometry.per_axis[0]
    lead = math.prod(geometry.input_shape[: first.axis])
    in_row = math.prod(geometry.input_shape[first.axis + 1 :])
    out_row = math.prod(geometry.output_shape[first.axis + 1 :])
    # A band holds its input rows and its pooled rows, with room for the engine's work.
    row_cost = lead * (first.stride * in_row * layout.dtype.itemsize + 3 * out_row * 8)
    halo = lead * first.span * in_row * layout.dtype.itemsize
    return max(1, (memory_limit // 2 - halo) // max(1, row_cost))


def pool_band(
    src: BufferedIOBase,
    layout: NpyLayout,
    geometry: PoolGeometry,
    lo: int,
    hi: int,
    options: PoolOptions,
) -> np.ndarray:
    """Outputs ``lo..hi-1`` of the first pooled axis, from the input rows they need only."""
    first = geometry.per_axis[0]
    lead = math.prod(geometry.input_shape[: first.axis])  # blocks before the first pooled axis
    in_row = math.prod(geometry.input_shape[first.axis + 1 :])  # cells per row of that axis
    start, _, band = band_geometry(geometry, lo, hi)
    slab = np.empty(band.input_shape, dtype=layout.dtype)
    blocks = slab.reshape(lead, -1)
    for b in range(lead):
        src.seek(layout.offset + (b * first.size + start) * in_row * layout.dtype.itemsize)
        if src.readinto(blocks[b].data.cast("B")) != blocks[b].nbytes:
            raise FileFormatError("truncated while reading")
    return pool_on(slab, band, options.op, options.pad_value, options.count_pad, options.nan)


def _pool_bands(
    src: BufferedIOBase,
    out: BinaryIO,
    data_start: int,
    layout: NpyLayout,
    geometry: PoolGeometry,
    options: PoolOptions,
    memory_limit: int,
) -> None:
    first = geometry.per_axis[0]
    lead = math.prod(geometry.input_shape[: first.axis])
    out_row = math.prod(geometry.output_shape[first.axis + 1 :])
    out_dtype = result_dtype(layout.dtype, options.op)
    rows = band_rows(geometry, layout, memory_limit)
    for lo in range(0, first.out, rows):
        hi = min(first.out, lo + rows)
        pooled_blocks = pool_band(src, layout, geometry, lo, hi, options).reshape(lead, -1)
        for b in range(lead):
            out.seek(data_start + (b * first.out + lo) * out_row * out_dtype.itemsize)
            out.write(np.ascontiguousarray(pooled_blocks[b]).data.cast("B"))
