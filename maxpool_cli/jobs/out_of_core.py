"""Pooling arrays larger than memory (or larger than is worth holding): band by band, from a
``.npy``, a TIFF or a Zarr array into a ``.npy`` or a TIFF.

The input is read a band at a time along its first pooled axis, with the halo that
overlapping windows, dilation and padding need (:func:`~maxpool_cli.engine.band_geometry`),
pooled by the engine, and written at its place in the output. The result is the same, bit for
bit, as pooling the whole array in memory, and memory stays at a few bands whatever the size.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..engine import PoolGeometry, band_geometry, mirror, pool_geometry, pool_on, result_dtype
from ..errors import FileFormatError, MaxpoolError, about_file
from ..io.atomic import atomic_write, write_error
from ..io.bands import Band, NpySource, Source, TiffSource, write_npy_bands, write_tiff_bands
from ..io.document import ImageInfo
from ..io.modes import MODE_DTYPES, fit_dtype
from .options import PoolOptions

# The most memory bands take, whatever the budget: a 1 GiB .npy pooled with the default
# budget (a quarter of the RAM) was read as one band, 1.8x slower than in bands of this size.
BAND_BUDGET = 256 * 2**20


def open_source(path: Path, fmt: str) -> Source:
    """A band source for a ``.npy`` or TIFF file."""
    if fmt == "npy":
        return NpySource(path)
    if fmt == "tiff":
        return TiffSource(path)
    raise FileFormatError(f"{path}: a {fmt.upper()} file is read whole; expected .npy or TIFF")


def geometry_for(shape: tuple[int, ...], options: PoolOptions, image: bool) -> PoolGeometry:
    """The geometry of ``options`` on an array of ``shape`` (an image's over H and W)."""
    kwargs = options.for_pool(image)
    keys = ("kernel", "stride", "padding", "dilation", "ceil_mode", "axes")
    return pool_geometry(shape, **{k: kwargs[k] for k in keys})


def pool_file(
    source: Path,
    target: Path,
    options: PoolOptions,
    memory_limit: int,
    overwrite: bool = False,
    source_format: str = "npy",
    target_format: str = "npy",
    compress_level: int | None = None,
    sync_folder: bool = True,
) -> tuple[PoolGeometry, tuple[str, ...]]:
    """Pool ``source`` into ``target`` band by band within a memory budget.

    Returns the geometry used (of the array as the user sees it), and notes (a TIFF's
    averages rounded to fit its mode).

    Raises
    ------
    MaxpoolError
        Bad parameters for the array, a bad or truncated file, or a write that failed; the
        target is then left as it was.
    """
    reader = open_source(source, source_format)
    try:
        image = source_format == "tiff"
        fortran = isinstance(reader, NpySource) and reader.layout.fortran
        shape = reader.shape[::-1] if fortran else reader.shape  # as the user sees it
        geometry = geometry_for(shape, options, image)
        stored = mirror(geometry) if fortran else geometry
        out_dtype = result_dtype(reader.dtype, options.op)
        bands = pooled_bands(reader, stored, options, memory_limit)
        notes: list[str] = []
        with atomic_write(target, overwrite, sync_folder) as out:
            if target_format == "npy":
                axis = stored.per_axis[0].axis
                write_npy_bands(out, stored.output_shape, out_dtype, axis, bands, fortran)
            elif target_format == "tiff" and image:
                info = _pooled_tiff_info(reader, geometry)
                if info.mode in MODE_DTYPES:  # averages back in the image's dtype
                    out_dtype = np.dtype(MODE_DTYPES[info.mode])
                    bands = fitted_bands(bands, info.mode, str(target), notes)
                write_tiff_bands(out, stored.output_shape, out_dtype, bands, info, compress_level)
            else:
                raise FileFormatError(
                    f"{target}: pooled band by band, {source_format.upper()} is written as .npy"
                    f"{' or TIFF' if image else ''}; got {target_format.upper()}"
                )
    except MaxpoolError as e:
        raise about_file(e, source) from e
    except OSError as e:
        raise write_error(target, e) from e
    finally:
        reader.close()
    return geometry, tuple(dict.fromkeys(notes))


def fitted_bands(bands: Iterator[Band], mode: str, name: str, notes: list[str]) -> Iterator[Band]:
    """Bands fitted to an image mode as they pass (rounded, never clipped)."""
    for lo, hi, band in bands:
        yield lo, hi, fit_dtype(band, mode, "tiff", name, notes)


def _pooled_tiff_info(reader: Source, geometry: PoolGeometry) -> ImageInfo:
    """The output TIFF's photometric and georeferencing (moved and scaled by the pooling)."""
    from .one_file import pooled_georef

    assert isinstance(reader, TiffSource)
    info = reader.rows.info
    if info.georef is not None:
        info = dataclasses.replace(info, georef=pooled_georef(info.georef, geometry))
    return info


def band_rows(geometry: PoolGeometry, dtype: np.dtype, memory_limit: int) -> int:
    """How many outputs of the first pooled axis one band may hold within the budget (and
    :data:`BAND_BUDGET`: larger bands are no faster, only hungrier)."""
    memory_limit = min(memory_limit, BAND_BUDGET)
    first = geometry.per_axis[0]
    lead = math.prod(geometry.input_shape[: first.axis])
    in_row = math.prod(geometry.input_shape[first.axis + 1 :])
    out_row = math.prod(geometry.output_shape[first.axis + 1 :])
    # A band holds its input rows and its pooled rows, with room for the engine's work.
    row_cost = lead * (first.stride * in_row * dtype.itemsize + 3 * out_row * 8)
    halo = lead * first.span * in_row * dtype.itemsize
    return max(1, (memory_limit // 2 - halo) // max(1, row_cost))


def pool_band(
    source: Source, geometry: PoolGeometry, lo: int, hi: int, options: PoolOptions
) -> np.ndarray:
    """Outputs ``lo..hi-1`` of the first pooled axis, from the input rows they need only."""
    first = geometry.per_axis[0]
    start, stop, band = band_geometry(geometry, lo, hi)
    slab = source.read(first.axis, start, stop)
    return pool_on(slab, band, options.op, options.pad_value, options.count_pad, options.nan)


def pooled_bands(
    source: Source,
    geometry: PoolGeometry,
    options: PoolOptions,
    memory_limit: int,
    align: int = 1,
) -> Iterator[Band]:
    """The output's bands along the first pooled axis, in order, each pooled when asked for
    (a multiple of ``align`` outputs each, when the budget allows: whole chunks of a store)."""
    first = geometry.per_axis[0]
    rows = band_rows(geometry, source.dtype, memory_limit)
    rows = max(align, rows // align * align) if rows >= align else rows
    for lo in range(0, first.out, rows):
        hi = min(first.out, lo + rows)
        yield lo, hi, pool_band(source, geometry, lo, hi, options)
