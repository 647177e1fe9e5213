"""Plain-data records of what a job read and made: the ``--json`` output, and what the rich
renderings show."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .engine import PoolGeometry
from .io import Document

VALUES_LIMIT = 10_000  # --json includes the values of outputs with at most this many cells


def geometry_record(geometry: PoolGeometry) -> dict[str, Any]:
    return {
        "axes": list(geometry.axes),
        "kernel": list(geometry.kernel),
        "stride": list(geometry.stride),
        "dilation": list(geometry.dilation),
        "padding": [list(p) for p in geometry.padding],
        "ceil_mode": geometry.ceil_mode,
    }


def json_values(array: np.ndarray) -> Any:
    """Nested lists of plain numbers; NaN and infinities (which JSON lacks) become null."""
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        obj = array.astype(object)
        obj[~np.isfinite(array)] = None
        return obj.tolist()
    return array.tolist()


def value_range(array: np.ndarray) -> tuple[Any, Any] | None:
    """(min, max) ignoring NaN, as plain numbers; None when there is no number."""
    if array.size == 0:
        return None
    values = array.view(np.uint8) if array.dtype.kind == "b" else array
    if array.dtype.kind == "f":
        finite = values[~np.isnan(values)]
        if finite.size == 0:
            return None
        values = finite
    lo, hi = values.min().item(), values.max().item()
    return (bool(lo), bool(hi)) if array.dtype.kind == "b" else (lo, hi)


def _clean(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def array_record(
    name: str,
    x: np.ndarray,
    geometry: PoolGeometry,
    y: np.ndarray | None = None,
    output_dtype: str | None = None,
) -> dict[str, Any]:
    """One array: what went in, the geometry, and (when pooled) what came out."""
    span = value_range(x)
    record: dict[str, Any] = {
        "name": name,
        "input_shape": list(x.shape),
        "input_dtype": str(x.dtype),
        "input_range": None if span is None else [_clean(v) for v in span],
        "output_shape": list(geometry.output_shape),
        "output_dtype": str(y.dtype) if y is not None else output_dtype,
        **geometry_record(geometry),
    }
    if y is not None and y.size <= VALUES_LIMIT:
        record["values"] = json_values(y)
    return record


def document_record(doc: Document) -> dict[str, Any]:
    """The file-level facts of a document."""
    record: dict[str, Any] = {"input": doc.name, "format": doc.format}
    if doc.image is not None:
        record["mode"] = doc.image.mode
        record["frames"] = doc.image.frames
    record["notes"] = list(doc.notes)
    return record
