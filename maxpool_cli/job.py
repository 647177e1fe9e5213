"""One input through read, pool and write: the unit of work of ``maxpool run`` and of batches.

Data flows one way: :mod:`maxpool_cli.io` reads a document, the engine pools each of its
arrays, and ``io`` writes the pooled document (or ``render`` prints it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import io, out_of_core
from .engine import PoolGeometry, pool, pool_geometry, result_dtype
from .errors import FileFormatError, MaxpoolError, ParameterError, about_file
from .formats import from_extension
from .io import STDIO, Document
from .out_of_core import read_layout
from .pool_options import PoolOptions
from .sizes import gib


def geometry_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    keys = ("kernel", "stride", "padding", "dilation", "ceil_mode", "axes")
    return {k: kwargs[k] for k in keys}


@dataclass(frozen=True)
class Pooled:
    """A document and its pooled copy, with the geometry (and indices) of every array."""

    source: Document
    result: Document
    geometries: dict[str, PoolGeometry]
    indices: dict[str, np.ndarray] | None = None


def plan(doc: Document, options: PoolOptions) -> dict[str, PoolGeometry]:
    """The geometry each array of ``doc`` would be pooled with, without pooling."""
    kwargs = options.for_pool(doc.is_image)
    try:
        return {
            name: pool_geometry(array.shape, **geometry_kwargs(kwargs))
            for name, array in doc.arrays.items()
        }
    except MaxpoolError as e:
        raise about_file(e, doc.name) from e


def pool_document(doc: Document, options: PoolOptions, return_indices: bool = False) -> Pooled:
    """Pool every array of ``doc`` with the same options."""
    kwargs = options.for_pool(doc.is_image)
    geometries = plan(doc, options)
    arrays: dict[str, np.ndarray] = {}
    indices: dict[str, np.ndarray] = {}
    try:
        for name, array in doc.arrays.items():
            if return_indices:
                arrays[name], indices[name] = pool(array, **kwargs, return_indices=True)
            else:
                arrays[name] = pool(array, **kwargs)
    except MaxpoolError as e:
        raise about_file(e, doc.name) from e
    return Pooled(doc, doc.with_arrays(arrays), geometries, indices if return_indices else None)


@dataclass(frozen=True)
class Settings:
    """What every file of a job shares, beyond the pooling options."""

    options: PoolOptions
    fmt: str | None = None
    overwrite: bool = False
    key: str | None = None
    max_pixels: int | None = None
    memory_limit: int = 2**30


@dataclass(frozen=True)
class ArrayReport:
    """What one array of a file went through: shapes, dtypes and the geometry used."""

    name: str
    input_shape: tuple[int, ...]
    input_dtype: str
    output_shape: tuple[int, ...]
    output_dtype: str
    geometry: PoolGeometry


def needs_out_of_core(source: str | Path, memory_limit: int) -> bool:
    """Whether ``source`` is a ``.npy`` file whose array is larger than the memory budget."""
    if str(source) == STDIO or not Path(source).is_file():
        return False
    layout = read_layout(Path(source))
    return layout is not None and layout.nbytes > memory_limit


def pool_to_file(source: str | Path, target: str | Path, settings: Settings) -> list[ArrayReport]:
    """Read ``source``, pool it and write ``target``: in memory, or band by band for a
    ``.npy`` larger than the memory budget."""
    check_output(source, target)
    if needs_out_of_core(source, settings.memory_limit):
        fmt = from_extension(Path(target)) or settings.fmt or "npy"
        if fmt != "npy":
            raise FileFormatError(
                f"{source}: larger than the memory limit ({gib(settings.memory_limit)}), so "
                f"it is pooled out of core, which writes .npy only; got {fmt}"
            )
        layout = read_layout(Path(source))
        assert layout is not None
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
