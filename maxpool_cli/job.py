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

from .engine import PoolGeometry, pool, pool_geometry
from .errors import MaxpoolError, ParameterError, about_file
from .io import STDIO, Document
from .pool_options import PoolOptions


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
