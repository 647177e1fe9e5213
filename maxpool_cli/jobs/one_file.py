"""One file through read, pool and write: the unit of work of ``maxpool run`` and of batches.

Data flows one way: :mod:`maxpool_cli.io` reads a document, the engine pools each of its
arrays, and ``io`` writes the pooled document (or ``render`` prints it).
"""

from __future__ import annotations

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
from ..io.arrays import NpyLayout, read_layout
from ..io.document import Document
from ..io.files import STDIO
from ..io.formats import from_extension
from ..io.sizes import gib
from . import out_of_core
from .options import IMAGE_AXES, PoolOptions, Settings


def geometry_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    keys = ("kernel", "stride", "padding", "dilation", "ceil_mode", "axes")
    return {k: kwargs[k] for k in keys}


Geometry = PoolGeometry | AdaptiveGeometry


@dataclass(frozen=True)
class Pooled:
    """A document and its pooled copy, with the geometry (and indices) of every array."""

    source: Document
    result: Document
    geometries: dict[str, Geometry]
    indices: dict[str, np.ndarray] | None = None


def plan(doc: Document, options: PoolOptions) -> dict[str, Geometry]:
    """The geometry each array of ``doc`` would be pooled with, without pooling."""
    try:
        if options.adaptive is not None:
            kwargs = options.for_adaptive(doc.is_image)
            return {
                name: adaptive_geometry(array.shape, kwargs["output_size"], kwargs["axes"])
                for name, array in doc.arrays.items()
            }
        kwargs = options.for_pool(doc.is_image)
        return {
            name: pool_geometry(array.shape, **geometry_kwargs(kwargs))
            for name, array in doc.arrays.items()
        }
    except MaxpoolError as e:
        raise about_file(e, doc.name) from e


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
    return Pooled(doc, doc.with_arrays(arrays), geometries, indices if return_indices else None)


@dataclass(frozen=True)
class ArrayReport:
    """What one array of a file went through: shapes, dtypes and the geometry used."""

    name: str
    input_shape: tuple[int, ...]
    input_dtype: str
    output_shape: tuple[int, ...]
    output_dtype: str
    geometry: Geometry


def large_npy(source: str | Path, memory_limit: int) -> NpyLayout | None:
    """The layout of ``source`` if it is a ``.npy`` file larger than the memory budget."""
    if str(source) == STDIO or not Path(source).is_file():
        return None
    layout = read_layout(Path(source))
    return layout if layout is not None and layout.nbytes > memory_limit else None


def needs_out_of_core(source: str | Path, memory_limit: int) -> bool:
    """Whether ``source`` is a ``.npy`` file whose array is larger than the memory budget."""
    return large_npy(source, memory_limit) is not None


def pool_to_file(source: str | Path, target: str | Path, settings: Settings) -> list[ArrayReport]:
    """Read ``source``, pool it and write ``target``: in memory, or band by band for a
    ``.npy`` larger than the memory budget."""
    check_output(source, target)
    layout = large_npy(source, settings.memory_limit)
    if layout is not None:
        if settings.options.adaptive is not None:
            raise ParameterError(
                f"{source}: larger than the memory limit, and adaptive pooling works in memory "
                f"only; raise --memory-limit"
            )
        fmt = from_extension(Path(target)) or settings.fmt or "npy"
        if fmt != "npy":
            raise FileFormatError(
                f"{source}: larger than the memory limit ({gib(settings.memory_limit)}), so "
                f"it is pooled out of core, which writes .npy only; got {fmt}"
            )
        geometry = out_of_core.pool_file(
            Path(source), Path(target), settings.options, settings.memory_limit, settings.overwrite
        )
        out_dtype = str(result_dtype(layout.dtype, settings.options.op))
        return [
            ArrayReport(
                "array",
                geometry.input_shape,
                str(layout.dtype),
                geometry.output_shape,
                out_dtype,
                geometry,
            )
        ]
    doc = io.read(source, key=settings.key, max_pixels=settings.max_pixels)
    pooled = pool_document(doc, settings.options)
    io.write(target, pooled.result, fmt=settings.fmt, overwrite=settings.overwrite)
    return reports(pooled)


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
    """Refuse an output that is the input itself: inputs are never modified."""
    if STDIO in (str(source), str(target)):
        return
    src, dst = Path(source), Path(target)
    same = src.resolve() == dst.resolve()
    if not same and dst.exists():
        try:
            same = os.path.samefile(src, dst)
        except OSError:
            same = False
    if same:
        raise ParameterError(f"{target}: is the input {source}; expected a different output path")


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
