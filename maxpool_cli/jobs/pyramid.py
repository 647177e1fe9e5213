"""Pyramids: level 0 is the input, each next level the previous one pooled with the options,
until ``levels`` or until the smallest pooled axis would drop below ``min_size``.

Written as an OME-Zarr multiscale image (NGFF 0.5, Zarr v3), a pyramidal tiled TIFF (the
levels as SubIFDs; OME-TIFF for images) or a folder of one file per level. Each level is
computed from the previous one band by band within the memory budget (the previous level read
back from the Zarr store, or from a temporary ``.npy``), so no level is ever held whole; the
output appears whole at the end (a temporary folder or file, renamed).
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import io
from ..engine import PoolGeometry, result_dtype
from ..errors import (
    FileFormatError,
    MissingExtraError,
    OutputExistsError,
    ParameterError,
    ShapeError,
    about_file,
)
from ..io.atomic import SUFFIX, atomic_folder, atomic_write, temporary_prefix, write_error
from ..io.bands import Band, NpySource, Source, ZarrSource, write_npy_bands
from ..io.document import Document, ImageInfo
from ..io.formats import DEFAULT_EXTENSION, from_extension
from ..io.memory import check_fits
from ..io.modes import MODE_DTYPES
from .one_file import check_output, large_file, pooled_georef
from .options import Settings
from .out_of_core import fitted_bands, geometry_for, open_source, pooled_bands

CHUNK = 256


@dataclass(frozen=True)
class Level:
    """One level: its shape and dtype, and where its pixels sit in level 0's pixel grid
    (NGFF's scale and translation: a pixel's centre is ``translation + index * scale``)."""

    shape: tuple[int, ...]
    dtype: np.dtype
    scale: tuple[float, ...]
    translation: tuple[float, ...]


@dataclass(frozen=True)
class PyramidRequest:
    """What to build: how many levels (or down to what size), chunks, and axis names."""

    levels: int | None = None
    min_size: int = 64
    chunks: int = CHUNK
    axes_names: tuple[str, ...] | None = None
    dask: str | None = None  # "local" or a scheduler's address: levels computed on Dask
    workers: int = 1  # of a local Dask cluster


def plan_levels(
    shape: tuple[int, ...],
    dtype: np.dtype,
    settings: Settings,
    image: bool,
    request: PyramidRequest,
) -> tuple[list[Level], list[PoolGeometry]]:
    """The levels, and the geometry that makes each from the one before."""
    levels = [Level(tuple(shape), dtype, (1.0,) * len(shape), (0.0,) * len(shape))]
    geometries: list[PoolGeometry] = []
    while request.levels is None or len(levels) < request.levels:
        last = levels[-1]
        try:
            geometry = geometry_for(last.shape, settings.options, image)
        except ShapeError:
            break  # too small to pool again
        pooled = [geometry.output_shape[a] for a in geometry.axes]
        if geometry.output_shape == last.shape:
            break  # (a stride of 1 would add the same level forever)
        if request.levels is None and min(pooled) < request.min_size:
            break
        scale, translation = list(last.scale), list(last.translation)
        for g in geometry.per_axis:
            # Output pixel 0's window starts at -pad_before; its centre is half a span on.
            translation[g.axis] += scale[g.axis] * (-g.pad_before + (g.span - 1) / 2)
            scale[g.axis] *= g.stride
        out_dtype = result_dtype(last.dtype, settings.options.op)
        levels.append(Level(geometry.output_shape, out_dtype, tuple(scale), tuple(translation)))
        geometries.append(geometry)
    return levels, geometries


class _Input:
    """Level 0: a band source, with what the file says about it (an image's mode)."""

    def __init__(self, source: str, settings: Settings) -> None:
        self.image_info: ImageInfo | None = None
        self.document: Document | None = None
        large = large_file(source, settings.memory_limit)
        if large is not None:
            self.source: Source = open_source(Path(source), large.format)
            self.image = large.format == "tiff"
            if self.image:
                self.image_info = self.source.rows.info  # type: ignore[attr-defined]
            self.format = large.format
            return
        doc = io.read(
            source,
            key=settings.key,
            max_pixels=settings.max_pixels,
            memory_limit=settings.memory_limit,
        )
        if len(doc.arrays) != 1:
            raise FileFormatError(
                f"{doc.name}: holds {len(doc.arrays)} arrays; a pyramid is built from one "
                f"(pick it with --key)"
            )
        self.document = doc
        self.source = ZarrSource(doc.single())
        self.image = doc.is_image
        self.image_info = doc.image
        self.format = doc.format

    @property
    def shape(self) -> tuple[int, ...]:
        return self.source.shape

    @property
    def dtype(self) -> np.dtype:
        return self.source.dtype

    def close(self) -> None:
        self.source.close()


class _DaskInput:
    """Level 0 on Dask: a ``.npy`` or Zarr array, read chunk by chunk by the workers."""

    image = False
    image_info: ImageInfo | None = None

    def __init__(self, source: str, settings: Settings, request: PyramidRequest) -> None:
        from . import on_dask

        self.path = Path(source)
        self.chunk_bytes = max(1 << 20, settings.memory_limit // (4 * request.workers))
        try:
            self.array = on_dask.lazy_array(Path(source), self.chunk_bytes)
        except FileFormatError as e:
            raise FileFormatError(f"{e} (--dask builds pyramids of .npy and Zarr arrays)") from e
        self.shape: tuple[int, ...] = tuple(self.array.shape)
        self.dtype = np.dtype(self.array.dtype)
        self.format = "npy" if Path(source).suffix == ".npy" else "zarr"

    def close(self) -> None:
        pass


def build_pyramid(
    source: str, target: Path, settings: Settings, request: PyramidRequest
) -> tuple[list[Level], list[str]]:
    """Build the pyramid of ``source`` into ``target`` (``.zarr``, ``.tif`` or a folder);
    return its levels, and notes (values rounded to fit an image's dtype)."""
    check_output(source, target)
    if target.exists() and not settings.overwrite:
        raise OutputExistsError(target)
    kind = _target_kind(target)
    if request.dask is not None and kind != "zarr":
        raise ParameterError(
            f"--dask: builds OME-Zarr pyramids; expected -o OUT.zarr, got {target}"
        )
    level0 = (
        _Input(source, settings) if request.dask is None else _DaskInput(source, settings, request)
    )
    notes: list[str] = []
    try:
        levels, geometries = plan_levels(
            level0.shape, level0.dtype, settings, level0.image, request
        )
        if kind == "zarr":
            _zarr_pyramid(level0, levels, geometries, target, settings, request)
            if level0.image_info is not None and level0.image_info.georef is not None:
                notes = ["the GeoTIFF georeferencing is not kept in OME-Zarr (write .tif)"]
        elif isinstance(level0, _Input):  # (--dask writes OME-Zarr only)
            write = _tiff_pyramid if kind == "tiff" else _folder_pyramid
            notes = write(level0, levels, geometries, target, settings)
        levels = _as_written(levels, level0, kind, settings)
    except (ShapeError, ParameterError, FileFormatError) as e:
        raise about_file(e, source) from e
    except OSError as e:
        raise write_error(target, e) from e
    finally:
        level0.close()
    return levels, notes


def _as_written(
    levels: list[Level], level0: _Input | _DaskInput, kind: str, settings: Settings
) -> list[Level]:
    """The levels with the dtype they are written in: an image's own in a TIFF or image
    files (averages rounded), the pooled one in OME-Zarr and ``.npy``."""
    info = level0.image_info
    if info is None or info.mode not in MODE_DTYPES:
        return levels
    if kind == "zarr" or (kind == "folder" and _folder_format(level0, settings) == "npy"):
        return levels
    written = np.dtype(MODE_DTYPES[info.mode])
    return [dataclasses.replace(level, dtype=written) for level in levels]


def _folder_format(level0: _Input | _DaskInput, settings: Settings) -> str:
    return settings.fmt or ("npy" if level0.format == "zarr" else level0.format)


def _target_kind(target: Path) -> str:
    if target.suffix.lower() == ".zarr":
        return "zarr"
    if from_extension(target) == "tiff":
        return "tiff"
    if target.suffix and from_extension(target) is not None:
        raise ParameterError(
            f"-o {target}: a pyramid is written as .zarr (OME-Zarr), .tif or a folder; got "
            f"{target.suffix}"
        )
    return "folder"


def _copy_bands(source: Source, budget: int, axis: int = 0, align: int = 1) -> Iterator[Band]:
    """A level as bands along ``axis`` (its first pooled axis), each within the budget (and
    a multiple of ``align`` positions when the budget allows)."""
    cells = math.prod(n for a, n in enumerate(source.shape) if a != axis)
    rows = max(1, budget // (4 * max(1, cells * source.dtype.itemsize)))
    rows = rows // align * align if rows >= align else rows
    for lo in range(0, source.shape[axis], rows):
        hi = min(source.shape[axis], lo + rows)
        yield lo, hi, source.read(axis, lo, hi)


# --- OME-Zarr -------------------------------------------------------------------------------


def _storage_order(ndim: int, image: bool) -> tuple[int, ...]:
    """How arrays are stored: NGFF wants channels before space, so (H, W, C) as (C, H, W)."""
    return (2, 0, 1) if image and ndim == 3 else tuple(range(ndim))


class _StoredLevel:
    """A Zarr array holding a level in storage order, read and written in the user's order."""

    def __init__(self, array: Any, order: tuple[int, ...]) -> None:
        self.array = array
        self.order = order
        self.inverse = tuple(int(i) for i in np.argsort(order))
        self.shape = tuple(array.shape[i] for i in self.inverse)
        self.dtype = np.dtype(array.dtype)

    def read(self, axis: int, start: int, stop: int) -> np.ndarray:
        index = [slice(None)] * len(self.shape)
        index[self.order.index(axis)] = slice(start, stop)
        return np.transpose(np.asarray(self.array[tuple(index)]), self.inverse)

    def write(self, axis: int, start: int, band: np.ndarray) -> None:
        index = [slice(None)] * len(self.shape)
        index[self.order.index(axis)] = slice(start, start + band.shape[axis])
        self.array[tuple(index)] = np.transpose(band, self.order)

    def close(self) -> None:
        pass


def _axes(
    ndim: int, pooled: tuple[int, ...], image: bool, names: tuple[str, ...] | None
) -> list[dict[str, str]]:
    """NGFF axes, in the user's axis order: space for pooled axes, channel or time for the
    others (named by ``names``, else from what the data is)."""
    if names is not None:
        if len(names) != ndim:
            raise ParameterError(f"--axes-names: expected {ndim} names, got {len(names)}")
        kinds = {"t": "time", "c": "channel"}
        for a, n in enumerate(names):
            if n in ("x", "y", "z") and a not in pooled:  # a space axis left unpooled
                raise ParameterError(
                    f"--axes-names: {n} names axis {a} as space, but it is not pooled (pooled: "
                    f"{', '.join(map(str, pooled))}); pool it too (--axes) or name it c or t"
                )
        return [
            {"name": n, "type": "space" if a in pooled else kinds.get(n, "channel")}
            for a, n in enumerate(names)
        ]
    if image:
        channel = [{"name": "c", "type": "channel"}] if ndim == 3 else []
        return [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}, *channel]
    space = ["z", "y", "x"][-len(pooled) :] if len(pooled) <= 3 else None
    others = ndim - len(pooled)
    if space is None or others > 2 or pooled != tuple(range(others, ndim)):
        raise ParameterError(
            f"an OME-Zarr image has up to 3 space axes after time and channel; this {ndim}-d "
            f"array pooled over axes {pooled} needs --axes-names (like t,c,z,y,x) or a .tif or "
            f"folder output"
        )
    lead = [{"name": "c", "type": "channel"}] if others == 1 else []
    if others == 2:
        lead = [{"name": "t", "type": "time"}, {"name": "c", "type": "channel"}]
    return lead + [{"name": n, "type": "space"} for n in space]


def _zarr_pyramid(
    level0: _Input | _DaskInput,
    levels: list[Level],
    geometries: list[PoolGeometry],
    target: Path,
    settings: Settings,
    request: PyramidRequest,
) -> None:
    try:
        import zarr
    except ImportError:
        raise MissingExtraError("an OME-Zarr pyramid (-o OUT.zarr)") from None
    ndim = len(levels[0].shape)
    pooled = geometries[0].axes if geometries else _pooled_axes(ndim, level0.image, settings)
    order = _storage_order(ndim, level0.image)
    axes = _axes(ndim, tuple(pooled), level0.image, request.axes_names)
    with atomic_folder(target, settings.overwrite) as folder:
        root = zarr.open_group(str(folder), mode="w", zarr_format=3)
        stored: list[_StoredLevel] = []
        for n, level in enumerate(levels):
            # Pooled axes in square chunks; channels after them whole; axes before them 1.
            chunks = [
                request.chunks if a in pooled else (level.shape[a] if a > max(pooled) else 1)
                for a in range(ndim)
            ]
            array = root.create_array(
                str(n),
                shape=tuple(level.shape[a] for a in order),
                dtype=level.dtype,
                chunks=tuple(max(1, min(chunks[a], level.shape[a])) for a in order),
                dimension_names=[axes[a]["name"] for a in order],
                compressors=_zarr_compressors(settings.compress_level),
            )
            stored.append(_StoredLevel(array, order))
        if isinstance(level0, _DaskInput):
            _fill_on_dask(level0, stored, geometries, folder, settings, request)
        else:
            _fill(level0, stored, geometries, settings, request, pooled[0])
        datasets = [
            {
                "path": str(n),
                "coordinateTransformations": [
                    {"type": "scale", "scale": [level.scale[a] for a in order]},
                    {"type": "translation", "translation": [level.translation[a] for a in order]},
                ],
            }
            for n, level in enumerate(levels)
        ]
        multiscale: dict[str, Any] = {
            "name": Path(target).name.removesuffix(".zarr").removesuffix(".ome"),
            "axes": [axes[a] for a in order],
            "datasets": datasets,
            "type": f"{settings.options.op} pooling (maxpool)",
        }
        root.attrs["ome"] = {"version": "0.5", "multiscales": [multiscale]}


def _fill(
    level0: _Input,
    stored: list[_StoredLevel],
    geometries: list[PoolGeometry],
    settings: Settings,
    request: PyramidRequest,
    first: int,
) -> None:
    """Level 0 copied and each next level pooled from the one stored before, band by band
    (level 1 from the input itself: reading it is cheaper than decompressing level 0)."""
    budget = settings.memory_limit
    for lo, _, band in _copy_bands(level0.source, budget, first, request.chunks):
        stored[0].write(first, lo, band)
    for n, geometry in enumerate(geometries):
        first = geometry.per_axis[0].axis
        previous = level0.source if n == 0 else stored[n]
        bands = pooled_bands(previous, geometry, settings.options, budget, request.chunks)
        for lo, _, band in bands:
            stored[n + 1].write(first, lo, band)


def _fill_on_dask(
    level0: _DaskInput,
    stored: list[_StoredLevel],
    geometries: list[PoolGeometry],
    folder: Path,
    settings: Settings,
    request: PyramidRequest,
) -> None:
    """The levels computed on Dask, each pooled from the one written before (read back
    from the store: nothing computed twice), a task per run of whole chunks."""
    import dask.array as da

    from ..dask import pool as dask_pool
    from . import on_dask

    kwargs = settings.options.for_pool()
    assert request.dask is not None
    with on_dask.client_for(request.dask, request.workers) as client:
        blocks = [_blocks(target.array, level0.chunk_bytes) for target in stored]
        level = level0.array
        if stored[0].order == tuple(range(len(blocks[0]))) and level0.format == "npy":
            # Read in the bands it is written in: no rechunking, which holds many at once.
            band = math.prod(blocks[0]) * level0.dtype.itemsize
            level = on_dask.lazy_array(level0.path, band) if level0.shape[0] else level
        for n, target in enumerate(stored):
            if n:
                previous = da.from_zarr(str(folder / str(n - 1)), chunks=blocks[n - 1])
                options = {**kwargs, "axes": geometries[n - 1].axes}
                level = dask_pool(previous.transpose(stored[n - 1].inverse), **options)
            path = str(folder / str(n))
            on_dask.write_into_zarr(client, level.transpose(target.order), path, blocks[n])


def _blocks(array: Any, block_bytes: int) -> tuple[int, ...]:
    """Blocks of whole chunks of a Zarr ``array``, about ``block_bytes`` each, grown from the
    last axis; an inner axis whole where that stays under 4x the size, so that blocks are
    bands of whole rows, as a ``.npy`` is read (no rechunking, which holds many at once)."""
    blocks = list(array.chunks)
    for axis in reversed(range(len(blocks))):
        chunk, whole = blocks[axis], array.shape[axis]
        per_chunk = math.prod(blocks) * array.dtype.itemsize  # a block one chunk long here
        count = max(1, block_bytes // per_chunk)
        if axis and per_chunk * math.ceil(whole / chunk) <= 4 * block_bytes:
            count = math.ceil(whole / chunk)
        blocks[axis] = min(whole, chunk * count)
        if blocks[axis] < whole:
            break
    return tuple(blocks)


def _zarr_compressors(level: int | None) -> Any:
    """Zarr's default (zstd) without a level; none at 0 (the fastest to write, 1.6x on a
    float32 volume); zstd at that level otherwise."""
    if level is None:
        return "auto"
    if level == 0:
        return None
    from zarr.codecs import ZstdCodec

    return ZstdCodec(level=level)


def _pooled_axes(ndim: int, image: bool, settings: Settings) -> tuple[int, ...]:
    """The axes the options pool (for a pyramid of level 0 alone, with no geometry)."""
    axes = settings.options.for_pool(image)["axes"]
    if axes is None:
        return tuple(range(max(0, ndim - 2), ndim))
    return tuple(sorted(a % ndim for a in axes))


# --- pyramidal TIFF -------------------------------------------------------------------------


def _tiff_pyramid(
    level0: _Input,
    levels: list[Level],
    geometries: list[PoolGeometry],
    target: Path,
    settings: Settings,
) -> list[str]:
    import tifffile

    from ..io.bands import _tiles
    from ..io.tiffs import TILE, photometric_of

    shape = levels[0].shape
    if not level0.image and len(shape) != 2:
        raise ParameterError(
            f"a pyramidal TIFF holds images or 2-d arrays; got a {len(shape)}-d array {shape} "
            f"(write .zarr or a folder)"
        )
    with (
        LevelFiles(level0, geometries, target, settings) as sources,
        atomic_write(target, settings.overwrite) as out,
    ):
        info = level0.image_info
        samples = shape[2] if len(shape) == 3 else 1
        photometric, extrasamples = photometric_of(samples, info)
        compress = settings.compress_level
        compressionargs = {"level": compress} if compress else None
        metadata = {"axes": "YXS" if len(shape) == 3 else "YX"} if level0.image else None
        notes: list[str] = []
        with tifffile.TiffWriter(out, bigtiff=True, ome=level0.image) as writer:
            for n, (level, source) in enumerate(zip(levels, sources)):
                bands = _copy_bands(source, settings.memory_limit)
                dtype = level.dtype
                if info is not None and info.mode in MODE_DTYPES:  # averages back in its dtype
                    dtype = np.dtype(MODE_DTYPES[info.mode])
                    bands = fitted_bands(bands, info.mode, str(target), notes)
                writer.write(
                    _tiles(bands, level.shape, dtype),
                    shape=level.shape,
                    dtype=dtype,
                    tile=(TILE, TILE),
                    photometric=photometric,
                    extrasamples=extrasamples or None,
                    planarconfig="contig" if len(shape) == 3 else None,
                    subifds=len(levels) - 1 if n == 0 else None,
                    subfiletype=1 if n else 0,
                    compression="zlib" if compress else None,
                    compressionargs=compressionargs,
                    metadata=metadata if n == 0 else None,
                    # Level 0's georeferencing; readers scale it for the reduced levels.
                    extratags=info.georef.extratags() if n == 0 and info and info.georef else None,
                    software=False,
                )
    return list(dict.fromkeys(notes))


class LevelFiles:
    """Every level as a band source: level 0 the input, the others temporary ``.npy`` files
    (in a temporary folder beside the target, removed at the end), each made from the one
    before band by band."""

    def __init__(
        self, level0: _Input, geometries: list[PoolGeometry], target: Path, settings: Settings
    ) -> None:
        self.level0, self.geometries, self.settings = level0, geometries, settings
        prefix = temporary_prefix(target)
        self.folder = Path(tempfile.mkdtemp(prefix=prefix, suffix=SUFFIX, dir=target.parent))
        self.sources: list[Source] = [level0.source]

    def __enter__(self) -> list[Source]:
        try:
            for n, geometry in enumerate(self.geometries):
                path = self.folder / f"level{n + 1}.npy"
                dtype = result_dtype(self.sources[-1].dtype, self.settings.options.op)
                options, budget = self.settings.options, self.settings.memory_limit
                with path.open("wb") as out:
                    bands = pooled_bands(self.sources[-1], geometry, options, budget)
                    axis = geometry.per_axis[0].axis
                    write_npy_bands(out, geometry.output_shape, dtype, axis, bands)
                self.sources.append(NpySource(path))
        except BaseException:
            self.__exit__()
            raise
        return self.sources

    def __exit__(self, *exc: object) -> None:
        for source in self.sources[1:]:
            source.close()
        shutil.rmtree(self.folder, ignore_errors=True)


# --- a folder of files ----------------------------------------------------------------------


def _folder_pyramid(
    level0: _Input,
    levels: list[Level],
    geometries: list[PoolGeometry],
    target: Path,
    settings: Settings,
) -> list[str]:
    """One file a level, ``level0.EXT`` ...: ``.npy`` written band by band; other formats
    hold a level whole (within the budget). Returns notes (values rounded to fit images)."""
    fmt = _folder_format(level0, settings)
    extension = DEFAULT_EXTENSION[fmt]
    notes: list[str] = []
    info = level0.image_info
    with (
        LevelFiles(level0, geometries, target, settings) as sources,
        atomic_folder(target, settings.overwrite) as folder,
    ):
        for n, (level, source) in enumerate(zip(levels, sources)):
            if n and info is not None and info.georef is not None:  # each level its own
                info = dataclasses.replace(
                    info, georef=pooled_georef(info.georef, geometries[n - 1])
                )
            path = folder / f"level{n}{extension}"
            if fmt == "npy":
                axis = geometries[0].axes[0] if geometries else 0
                bands = _copy_bands(source, settings.memory_limit, axis)
                with path.open("wb") as out:
                    write_npy_bands(out, level.shape, level.dtype, axis, bands)
                continue
            need = 2 * math.prod(level.shape) * level.dtype.itemsize
            hint = "; write the levels as .npy (-f npy) or .zarr"
            check_fits(str(path), need, f"level {n} in memory", settings.memory_limit, hint)
            array = source.read(0, 0, level.shape[0])
            name = "image" if level0.image else "array"
            doc = Document(path.name, fmt, {name: array}, image=info)
            written = io.write(path, doc, fmt=fmt, compress_level=settings.compress_level)
            notes += written.notes
    return list(dict.fromkeys(notes))
