"""Plain-data records of what a job read and made: the ``--json`` output."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

import numpy as np

from ..engine import AdaptiveGeometry
from ..io.document import Document
from ..io.files import Written
from ..io.headers import FileInfo
from ..jobs.batch import FailureGroup, Outcome, Summary
from ..jobs.one_file import ArrayReport, Geometry, Pooled

VALUES_LIMIT = 10_000  # --json includes the values of outputs with at most this many cells


def geometry_record(geometry: Geometry) -> dict[str, Any]:
    if isinstance(geometry, AdaptiveGeometry):
        return {"axes": list(geometry.axes), "output_size": list(geometry.output_size)}
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
    shape: tuple[int, ...],
    dtype: object,
    geometry: Geometry,
    output_dtype: object,
    x: np.ndarray | None = None,
    y: np.ndarray | None = None,
) -> dict[str, Any]:
    """One array: what went in (its range when ``x`` is given), the geometry, and what came
    out (its values when ``y`` is given and small)."""
    record: dict[str, Any] = {
        "name": name,
        "input_shape": list(shape),
        "input_dtype": str(dtype),
    }
    if x is not None:
        span = value_range(x)
        record["input_range"] = None if span is None else [_clean(v) for v in span]
    record.update(
        output_shape=list(geometry.output_shape),
        output_dtype=str(output_dtype),
        **geometry_record(geometry),
    )
    if y is not None and y.size <= VALUES_LIMIT:
        record["values"] = json_values(y)
    return record


def document_record(doc: Document | FileInfo) -> dict[str, Any]:
    """The file-level facts of a document (or of a file described from its headers)."""
    record: dict[str, Any] = {"input": doc.name, "format": doc.format}
    if doc.image is not None:
        record["mode"] = doc.image.mode
        record["frames"] = doc.image.frames
    if isinstance(doc, FileInfo) and doc.levels:
        record["levels"] = [
            {"level": int(a.name), "shape": list(a.shape), "dtype": str(a.dtype)}
            for a in doc.levels
        ]
    record["notes"] = list(doc.notes)
    return record


def pooled_record(
    pooled: Pooled, output: str | None, written: Written | None, op: str
) -> dict[str, Any]:
    """``run --json`` for one file pooled in memory: the values too, when few enough."""
    doc = pooled.source
    record = document_record(doc)
    record.update(output=output, output_format=written.format if written else None, op=op)
    record["notes"] = [*pooled.notes, *(written.notes if written else ())]
    record["arrays"] = [
        array_record(
            name,
            doc.arrays[name].shape,
            doc.arrays[name].dtype,
            pooled.geometries[name],
            y.dtype,
            x=doc.arrays[name],
            y=y,
        )
        for name, y in pooled.result.arrays.items()
    ]
    return record


def report_record(report: ArrayReport) -> dict[str, Any]:
    """One array of a file pooled to a file (shapes and geometry; no values)."""
    return {
        "name": report.name,
        "input_shape": list(report.input_shape),
        "input_dtype": report.input_dtype,
        "output_shape": list(report.output_shape),
        "output_dtype": report.output_dtype,
        **geometry_record(report.geometry),
    }


def reports_record(source: str, output: str, op: str, reports: list[ArrayReport]) -> dict[str, Any]:
    """``run --json`` for one file pooled band by band into a file."""
    return {
        "input": source,
        "format": "npy",
        "output": output,
        "output_format": "npy",
        "op": op,
        "arrays": [report_record(r) for r in reports],
    }


def outcome_record(outcome: Outcome) -> dict[str, Any]:
    """One file of a batch."""
    return {
        "input": outcome.source,
        "output": outcome.target,
        "status": outcome.status,
        "reason": outcome.reason or None,
        "input_bytes": outcome.in_bytes,
        "output_bytes": outcome.out_bytes,
        "seconds": round(outcome.seconds, 6),
        "arrays": [report_record(r) for r in outcome.arrays],
        "notes": list(outcome.notes),
    }


def summary_record(summary: Summary, groups: list[FailureGroup]) -> dict[str, Any]:
    """The last line of a batch's JSON Lines: the counts, and the failures by reason."""
    return {
        "summary": {
            **asdict(summary),
            "failures": [
                {"reason": g.reason, "count": g.count, "examples": g.examples} for g in groups
            ],
        }
    }
