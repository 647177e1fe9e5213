"""One file through read, pool and write: the unit of work of ``maxpool run`` and of batches.

Data flows one way: :mod:`maxpool_cli.io` reads a document, the engine pools each of its
arrays, and ``io`` writes the pooled document (or ``render`` prints it).
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import io
from ..engine import (
    AdaptiveGeometry,
    PoolGeometry,
    adaptive_geometry,
    adaptive_pool,
    pool,
    pool_geometry,
    result_dtype,
    unpool,
)
from ..errors import FileFormatError, MaxpoolError, ParameterError, about_file
from ..io.document import Document
from ..io.files import STDIO, Written
from ..io.formats import from_extension, is_zarr_store
from ..io.geotiff import GeoRef
from ..io.headers import FileInfo
from ..io.memory import check_fits
from ..io.sizes import human
from . import out_of_core
from .options import IMAGE_AXES, PoolOptions, Settings

STREAM_BYTES = 64 * 2**20  # .npy arrays larger than this are pooled band by band into .npy
WORKSPACE_BYTES = 16 * 2**20  # the engine's cache-sized buffers, with room to spare


def geometry_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    keys = ("kernel", "stride", "padding", "dilation", "ceil_mode", "axes")
    return {k: kwargs[k] for k in keys}


Geometry = PoolGeometry | AdaptiveGeometry


@dataclass(frozen=True)
class Pooled:
    """A document and its pooled copy, with the geometry (and indices) of every array, and
    notes for the user (a palette converted, channels pooled as an axis)."""

    source: Document
    result: Document
    geometries: dict[str, Geometry]
    indices: dict[str, np.ndarray] | None = None
    notes: tuple[str, ...] = ()


def plan(doc: Document, options: PoolOptions) -> dict[str, Geometry]:
    """The geometry each array of ``doc`` would be pooled with, without pooling."""
    shapes = {name: array.shape for name, array in doc.arrays.items()}
    return plan_shapes(doc.name, shapes, doc.is_image, options)


def plan_shapes(
    name: str, shapes: dict[str, tuple[int, ...]], image: bool, options: PoolOptions
) -> dict[str, Geometry]:
    """The geometry arrays of these shapes would be pooled with (an image's over H and W)."""
    try:
        if options.adaptive is not None:
            kwargs = options.for_adaptive(image)
            return {
                array: adaptive_geometry(shape, kwargs["output_size"], kwargs["axes"])
                for array, shape in shapes.items()
            }
        kwargs = options.for_pool(image)
        return {
            array: pool_geometry(shape, **geometry_kwargs(kwargs))
            for array, shape in shapes.items()
        }
    except MaxpoolError as e:
        raise about_file(e, name) from e


def memory_need(
    info: FileInfo, geometries: dict[str, Geometry], op: str, indices: bool = False
) -> int:
    """Bytes pooling a file in memory holds at its peak: every input array, every output
    (and its int64 indices), and the engine's cache-sized working buffers."""
    need = WORKSPACE_BYTES
    for array in info.arrays:
        out = math.prod(geometries[array.name].output_shape)
        need += array.nbytes + out * (result_dtype(array.dtype, op).itemsize + 8 * indices)
    return need


def read_within_budget(source: str | Path, settings: Settings, indices: bool = False) -> Document:
    """Read a file to pool it in memory, checking that reading and pooling it fit the memory
    budget: from its headers first where they are cheap to read (.npy, .npz: nothing is
    inflated), else once read (reading checks what it allocates), before any pooling."""
    info = None
    if str(source) != STDIO:
        info = io.describe(source, settings.key, settings.max_pixels, headers_only=True)
        if info is not None:
            _check_need(info, settings, indices)
    doc = io.read(
        source, key=settings.key, max_pixels=settings.max_pixels, memory_limit=settings.memory_limit
    )
    if info is None:
        _check_need(FileInfo.of(doc), settings, indices)
    return doc


def _check_need(info: FileInfo, settings: Settings, indices: bool) -> None:
    shapes = {a.name: a.shape for a in info.arrays}
    geometries = plan_shapes(info.name, shapes, info.image is not None, settings.options)
    need = memory_need(info, geometries, settings.options.op, indices)
    check_fits(info.name, need, "pooling it in memory", settings.memory_limit, _hint(info))


def _hint(info: FileInfo) -> str:
    if info.format == "npy":
        return "; write .npy (-o FILE.npy), which pools it band by band"
    if info.format == "npz":
        return "; extract the large member (unzip) and pool the .npy, which is read band by band"
    return ""


def pool_document(doc: Document, options: PoolOptions, return_indices: bool = False) -> Pooled:
    """Pool every array of ``doc`` with the same options."""
    geometries = plan(doc, options)
    adaptive = options.adaptive is not None
    kwargs = options.for_adaptive(doc.is_image) if adaptive else options.for_pool(doc.is_image)
    function = adaptive_pool if adaptive else pool
    arrays: dict[str, np.ndarray] = {}
    indices: dict[str, np.ndarray] = {}
    try:
        for name, array in doc.arrays.items():
            if return_indices:
                arrays[name], indices[name] = function(array, **kwargs, return_indices=True)
            else:
                arrays[name] = function(array, **kwargs)
    except MaxpoolError as e:
        raise about_file(e, doc.name) from e
    notes = (*doc.notes, *layout_notes(doc, options, geometries))
    result = doc.with_arrays(arrays)
    if doc.image is not None and doc.image.georef is not None:
        georef = pooled_georef(doc.image.georef, next(iter(geometries.values())))
        result = dataclasses.replace(result, image=dataclasses.replace(doc.image, georef=georef))
    return Pooled(doc, result, geometries, indices if return_indices else None, notes)


def pooled_georef(georef: GeoRef, geometry: Geometry) -> GeoRef:
    """An image's georeferencing once pooled over its rows and columns: each output pixel a
    stride of input pixels, centred on its window's centre (as the levels of an OME-Zarr
    pyramid are; a 3x3 window at stride 2 starts half a pixel before its centre stride);
    adaptive: n / out pixels each."""
    if isinstance(geometry, AdaptiveGeometry):
        sizes = [
            geometry.input_shape[a] / out for a, out in zip(geometry.axes, geometry.output_size)
        ]
        return georef.pooled(sizes, (0, 0))
    rows, cols = geometry.per_axis[:2]
    starts = [-g.pad_before + (g.span - g.stride) / 2 for g in (rows, cols)]
    return georef.pooled((rows.stride, cols.stride), starts)


def layout_notes(doc: Document, options: PoolOptions, geometries: dict[str, Geometry]) -> list[str]:
    """A word where an array looks like an (H, W, C) image but its channels are pooled as an
    axis, as arrays are by default (their last two axes)."""
    if doc.is_image or options.axes is not None:
        return []
    notes = []
    for name, array in doc.arrays.items():
        looks_like_image = (
            array.ndim == 3 and array.shape[2] in (3, 4) and min(array.shape[:2]) >= 8
        )
        if looks_like_image and geometries[name].axes == (1, 2):
            label = "" if len(doc.arrays) == 1 else f"{name}: "
            notes.append(
                f"{label}the last axis of {array.shape} holds {array.shape[2]} values, like an "
                f"image's channels, and is pooled as an axis (arrays are pooled over their last "
                f"two axes); for an (H, W, C) image, pass --axes 0,1"
            )
    return notes


@dataclass(frozen=True)
class ArrayReport:
    """What one array of a file went through: shapes, dtypes and the geometry used."""

    name: str
    input_shape: tuple[int, ...]
    input_dtype: str
    output_shape: tuple[int, ...]
    output_dtype: str
    geometry: Geometry


@dataclass(frozen=True)
class Large:
    """A file best pooled band by band, and what it holds."""

    format: str  # npy or tiff
    shape: tuple[int, ...]
    dtype: np.dtype
    nbytes: int


def large_file(source: str | Path, memory_limit: int) -> Large | None:
    """``source`` if it is a ``.npy`` or a one-page TIFF best pooled band by band: larger
    than the memory budget, or than :data:`STREAM_BYTES` (streaming is faster and leaner)."""
    if str(source) == STDIO or not Path(source).is_file():
        return None
    info = io.describe(source, headers_only=True)
    if info is None or info.format not in ("npy", "tiff") or len(info.arrays) != 1:
        return None
    if info.nbytes <= min(memory_limit, STREAM_BYTES):
        return None
    if info.format == "tiff":
        from ..io.tiffs import streamable

        if not streamable(str(source), info.name):
            return None  # read whole (by Pillow, or tifffile), within the budget or refused
    array = info.arrays[0]
    return Large(info.format, array.shape, array.dtype, info.nbytes)


def streams_into(large: Large | None, target_format: str, options: PoolOptions) -> bool:
    """Whether a large file is pooled band by band into an output of ``target_format``."""
    if large is None or options.adaptive is not None:
        return False
    return target_format == "npy" or (large.format == "tiff" and target_format == "tiff")


def needs_out_of_core(source: str | Path, memory_limit: int) -> bool:
    """Whether ``source`` is larger than the memory budget yet pooled band by band: it
    cannot be pooled in memory at all."""
    large = large_file(source, memory_limit)
    return large is not None and large.nbytes > memory_limit


@dataclass(frozen=True)
class FileReport:
    """What pooling one file into another did: its arrays, and notes for the user."""

    arrays: list[ArrayReport]
    notes: tuple[str, ...] = ()


def pool_to_file(
    source: str | Path, target: str | Path, settings: Settings, large: Large | None = None
) -> FileReport:
    """Read ``source``, pool it and write ``target``: in memory, or band by band for a
    ``.npy`` or TIFF larger than :data:`STREAM_BYTES` or the memory budget."""
    check_output(source, target)
    large = large or large_file(source, settings.memory_limit)
    fmt = io.output_format(target, settings.fmt, _as_document(source, large))
    if streams_into(large, fmt, settings.options):
        assert large is not None
        geometry, notes = out_of_core.pool_file(
            Path(source),
            Path(target),
            settings.options,
            settings.memory_limit,
            settings.overwrite,
            large.format,
            fmt,
            settings.compress_level,
            settings.sync_folders,
        )
        out_dtype = str(result_dtype(large.dtype, settings.options.op))
        report = ArrayReport(
            "array",
            geometry.input_shape,
            str(large.dtype),
            geometry.output_shape,
            out_dtype,
            geometry,
        )
        return FileReport([report], notes)
    if large is not None and large.nbytes > settings.memory_limit:
        into = ".npy" if large.format == "npy" else ".npy or .tif"
        raise FileFormatError(
            f"{source}: larger than the memory limit ({human(settings.memory_limit)}), so it is "
            f"pooled band by band, which writes {into} (no --output-size); got {fmt.upper()}"
        )
    if settings.options.adaptive is None:
        by_rows = pool_image_by_rows(source, target, settings)
        if by_rows is not None:
            return by_rows
    doc = read_within_budget(source, settings)
    pooled = pool_document(doc, settings.options)
    written = write_result(target, pooled.result, settings)
    return FileReport(reports(pooled), (*pooled.notes, *written.notes))


def write_result(target: str | Path, doc: Document, settings: Settings) -> Written:
    """Write a pooled document as the settings say (format, overwrite, compression)."""
    return io.write(
        target,
        doc,
        fmt=settings.fmt,
        overwrite=settings.overwrite,
        compress_level=settings.compress_level,
        sync_folder=settings.sync_folders,
    )


def pool_image_by_rows(
    source: str | Path, target: str | Path, settings: Settings
) -> FileReport | None:
    """A one-frame image whose pixels take more than :data:`STREAM_BYTES`, pooled band by
    band from the decoded image itself, the pooled image written whole; None (nothing
    decoded) for any other file."""
    rows = io.open_image_rows(source, settings.max_pixels, settings.memory_limit, STREAM_BYTES)
    if rows is None:
        return None
    options = settings.options
    try:
        geometry = out_of_core.geometry_for(rows.shape, options, image=True)
        out_dtype = result_dtype(rows.dtype, options.op)
        pooled = np.empty(geometry.output_shape, dtype=out_dtype)
        check_fits(str(source), pooled.nbytes, "the pooled image", settings.memory_limit)
        for lo, hi, band in out_of_core.pooled_bands(rows, geometry, options, WORKSPACE_BYTES):
            pooled[lo:hi] = band
    except MaxpoolError as e:
        raise about_file(e, source) from e
    finally:
        rows.close()  # (the decoded image goes before the encoded one comes)
    result = Document(str(source), rows.format, {"image": pooled}, image=rows.info)
    written = write_result(target, result, settings)
    array = ArrayReport(
        "image", rows.shape, str(rows.dtype), pooled.shape, str(out_dtype), geometry
    )
    return FileReport([array], written.notes)


def _as_document(source: str | Path, large: Large | None) -> Document:
    """A stand-in for the input when only its format matters (the default output format)."""
    fmt = large.format if large else (from_extension(Path(str(source))) or "npy")
    return Document(str(source), fmt, {})


def reports(pooled: Pooled) -> list[ArrayReport]:
    return [
        ArrayReport(
            name,
            pooled.source.arrays[name].shape,
            str(pooled.source.arrays[name].dtype),
            y.shape,
            str(y.dtype),
            pooled.geometries[name],
        )
        for name, y in pooled.result.arrays.items()
    ]


def check_output(source: str | Path, target: str | Path) -> None:
    """Refuse an output that is the input itself (the same path, a hard link, a symlink, a
    path through ``..``), a folder that holds the input, or a place inside an input store:
    inputs are never modified or lost."""
    if STDIO in (str(source), str(target)):
        return
    src, dst = Path(source).resolve(), Path(target).resolve()
    same = src == dst
    if not same and dst.exists():
        try:
            same = os.path.samefile(src, dst)
        except OSError:
            same = False
    if same:
        raise ParameterError(f"{target}: is the input {source}; expected a different output path")
    if dst in src.parents:
        raise ParameterError(
            f"{target}: holds the input {source}, which replacing it would lose; expected an "
            f"output outside it"
        )
    if src in dst.parents and is_zarr_store(src):
        raise ParameterError(
            f"{target}: is inside the input store {source}; expected an output outside it"
        )


def indices_document(pooled: Pooled) -> Document:
    """The argmax indices of a pooled document, each recording the input's shape and pooled
    axes, so that unpooling them needs neither (``maxpool unpool`` without ``--shape``)."""
    if pooled.indices is None:
        raise ParameterError("--indices: the document was pooled without indices")
    attrs: dict[str, dict[str, object]] = {
        name: {
            "input_shape": list(pooled.source.arrays[name].shape),
            "axes": list(pooled.geometries[name].axes),
        }
        for name in pooled.indices
    }
    return Document(pooled.source.name, "npy", dict(pooled.indices), attrs=attrs)


def unpool_document(
    pooled: Document,
    indices: Document,
    shape: tuple[int, ...] | None = None,
    axes: tuple[int, ...] | None = None,
) -> Document:
    """Unpool every array of ``pooled`` with the array of ``indices`` of the same name.

    The input shape and axes come from what the indices record; ``shape`` (whole or the
    pooled sizes) and ``axes`` must then agree with them, and are needed for indices that
    record nothing.
    """
    restored = {}
    try:
        if list(indices.arrays) == ["array"] and len(pooled.arrays) == 1:
            pairs = dict.fromkeys(pooled.arrays, "array")
        else:
            missing = [name for name in pooled.arrays if name not in indices.arrays]
            if missing:
                raise FileFormatError(
                    f"{indices.name}: has no indices for {', '.join(missing)}; expected one "
                    f"array per pooled array, under the same names"
                )
            pairs = {name: name for name in pooled.arrays}
        for name, values in pooled.arrays.items():
            recorded = indices.attrs.get(pairs[name])
            target, target_axes = _unpool_target(indices.name, recorded, shape, axes)
            if target_axes is None and pooled.is_image:
                target_axes = IMAGE_AXES
            restored[name] = unpool(values, indices.arrays[pairs[name]], target, target_axes)
    except MaxpoolError as e:
        raise about_file(e, pooled.name) from e
    return pooled.with_arrays(restored)


def _unpool_target(
    name: str,
    recorded: dict[str, object] | None,
    shape: tuple[int, ...] | None,
    axes: tuple[int, ...] | None,
) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
    """The shape and axes to unpool to: the recorded ones, checked against those given."""
    if not recorded:
        if shape is None:
            raise ParameterError(
                f"{name}: the indices record no input shape (they were not written by "
                f"'maxpool run --indices'); expected --shape, like 8,8"
            )
        return shape, axes
    try:
        whole = tuple(int(n) for n in recorded["input_shape"])  # type: ignore[attr-defined]
        pooled_axes = tuple(int(a) for a in recorded["axes"])  # type: ignore[attr-defined]
        sizes = tuple(whole[a] for a in pooled_axes)
    except (KeyError, TypeError, ValueError, IndexError):
        raise FileFormatError(f"{name}: the shape recorded with the indices is damaged") from None
    ndim = len(whole)
    if axes is not None and sorted(a % ndim for a in axes) != sorted(pooled_axes):
        raise ParameterError(
            f"--axes {','.join(map(str, axes))}: the indices were recorded for axes "
            f"{','.join(map(str, pooled_axes))}; expected those, or no --axes"
        )
    if shape is not None and shape not in (whole, sizes):
        raise ParameterError(
            f"--shape {','.join(map(str, shape))}: the indices were recorded for an input of "
            f"shape {','.join(map(str, whole))} pooled over axes "
            f"{','.join(map(str, pooled_axes))}; expected that shape, or no --shape"
        )
    return whole, pooled_axes
