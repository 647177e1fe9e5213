"""Pooling written as plain loops: the readable definition, and the test oracle.

This is the double loop of the classic tutorial, made exact: it visits every output cell,
lists the cells of its window in row-major order, and reduces them one by one. It is slow on
purpose (one Python step per cell read); :func:`maxpool_cli.engine.kernels.pool` computes the
same results with vectorized passes. The ``explain`` command walks the same windows.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, overload

import numpy as np

from .adaptive import AdaptiveGeometry
from .geometry import IntOrSeq, Padding, PoolGeometry, pool_geometry
from .kernels import NanPolicy, Op, PoolResult, check_parameters, pooling_input, result_dtype

CellKind = Literal["real", "pad", "overhang"]


@dataclass(frozen=True)
class Cell:
    """One cell of a window: its position along the pooled axes and what lies there."""

    position: tuple[int, ...]
    kind: CellKind


def window_cells(geom: PoolGeometry, out_position: tuple[int, ...]) -> list[Cell]:
    """The cells of one window in row-major order.

    ``out_position`` has one coordinate per pooled axis. A cell is ``"real"`` inside the input,
    ``"pad"`` in the declared padding, and ``"overhang"`` past it (only ``ceil_mode`` makes
    those, and they never take part).
    """
    per_axis = []
    for g, i in zip(geom.per_axis, out_position):
        taps = []
        for j in range(g.kernel):
            p = g.tap_position(i, j)
            kind: CellKind = "real"
            if p < 0 or p >= g.size:
                kind = "pad" if -g.pad_before <= p < g.size + g.pad_after else "overhang"
            taps.append((p, kind))
        per_axis.append(taps)
    cells = []
    for combo in itertools.product(*per_axis):
        kinds = {kind for _, kind in combo}
        kind = "overhang" if "overhang" in kinds else "pad" if "pad" in kinds else "real"
        cells.append(Cell(tuple(p for p, _ in combo), kind))
    return cells


@overload
def reference_pool(
    x: np.typing.ArrayLike,
    kernel: IntOrSeq = 2,
    stride: IntOrSeq | None = None,
    padding: Padding = "valid",
    dilation: IntOrSeq = 1,
    ceil_mode: bool = False,
    op: Op = "max",
    axes: int | tuple[int, ...] | list[int] | None = None,
    pad_value: float | None = None,
    count_pad: bool = False,
    nan: NanPolicy = "propagate",
    return_indices: Literal[False] = False,
) -> np.ndarray: ...


@overload
def reference_pool(
    x: np.typing.ArrayLike,
    kernel: IntOrSeq = 2,
    stride: IntOrSeq | None = None,
    padding: Padding = "valid",
    dilation: IntOrSeq = 1,
    ceil_mode: bool = False,
    op: Op = "max",
    axes: int | tuple[int, ...] | list[int] | None = None,
    pad_value: float | None = None,
    count_pad: bool = False,
    nan: NanPolicy = "propagate",
    *,
    return_indices: Literal[True],
) -> tuple[np.ndarray, np.ndarray]: ...


@overload
def reference_pool(
    x: np.typing.ArrayLike,
    kernel: IntOrSeq = 2,
    stride: IntOrSeq | None = None,
    padding: Padding = "valid",
    dilation: IntOrSeq = 1,
    ceil_mode: bool = False,
    op: Op = "max",
    axes: int | tuple[int, ...] | list[int] | None = None,
    pad_value: float | None = None,
    count_pad: bool = False,
    nan: NanPolicy = "propagate",
    return_indices: bool = False,
) -> PoolResult: ...


def reference_pool(
    x: np.typing.ArrayLike,
    kernel: IntOrSeq = 2,
    stride: IntOrSeq | None = None,
    padding: Padding = "valid",
    dilation: IntOrSeq = 1,
    ceil_mode: bool = False,
    op: Op = "max",
    axes: int | tuple[int, ...] | list[int] | None = None,
    pad_value: float | None = None,
    count_pad: bool = False,
    nan: NanPolicy = "propagate",
    return_indices: bool = False,
) -> PoolResult:
    """Pool with plain loops; same parameters and results as :func:`pool`.

    Examples
    --------
    >>> reference_pool(np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]), 2)
    array([[6, 8],
           [3, 4]])
    """
    arr = pooling_input(x)
    check_parameters(arr.dtype, op, nan, return_indices, pad_value, count_pad)
    geom = pool_geometry(arr.shape, kernel, stride, padding, dilation, ceil_mode, axes)
    out = np.empty(geom.output_shape, dtype=result_dtype(arr.dtype, op))
    indices = np.empty(geom.output_shape, dtype=np.int64)
    for step in walk(arr, geom, op, pad_value, count_pad, nan):
        out[step.out_index] = step.value
        indices[step.out_index] = step.index
    if return_indices:
        return out, indices
    return out


@dataclass(frozen=True)
class Step:
    """One output cell: the cells of its window, with their values, and their reduction.

    ``values`` holds, per cell of ``cells``, the value that takes part (``None`` for a cell
    that does not: padding that never wins, or ceil_mode overhang). ``index`` is the flat
    index of the winning cell for max and min, else -1.
    """

    out_index: tuple[int, ...]
    cells: list[Cell]
    values: list[object | None]
    value: object
    index: int


def walk(
    arr: np.ndarray,
    geom: PoolGeometry,
    op: str = "max",
    pad_value: float | None = None,
    count_pad: bool = False,
    nan: str = "propagate",
) -> Iterator[Step]:
    """Every output cell in order, with the window it reads and the value it gets."""
    pooled_sizes = [g.size for g in geom.per_axis]
    ignore_nan = nan == "ignore" and arr.dtype.kind == "f"
    for out_index in np.ndindex(*geom.output_shape):
        cells = window_cells(geom, tuple(out_index[a] for a in geom.axes))
        values: list[object | None] = []
        taking_part = []  # (value, flat index) of the cells that take part, in window order
        for cell in cells:
            value: object | None = None
            flat = -1
            if cell.kind == "real":
                index = list(out_index)
                for a, p in zip(geom.axes, cell.position):
                    index[a] = p
                value = arr[tuple(index)]
                flat = int(np.ravel_multi_index(cell.position, pooled_sizes))
            elif cell.kind == "pad" and pad_value is not None:
                value = pad_value
            elif cell.kind == "pad" and count_pad:
                value = 0  # zero padding that the average counts
            values.append(value)
            if value is not None:
                taking_part.append((value, flat))
        result, winner = _reduce(taking_part, op, ignore_nan)
        yield Step(out_index, cells, values, result, winner)


def _reduce(cells: list[tuple[object, int]], op: str, ignore_nan: bool) -> tuple[object, int]:
    """Reduce one window's cells, in order, as PyTorch's CPU loop does."""
    if ignore_nan:
        kept = [c for c in cells if not _isnan(c[0])]
        if not kept:
            return math.nan, cells[0][1]
        cells = kept
    if op in ("max", "min"):
        best, best_flat = cells[0]
        for value, flat in cells[1:]:
            beats = value > best if op == "max" else value < best  # type: ignore[operator]
            if beats or _isnan(value):
                best, best_flat = value, flat
        return best, best_flat
    if op == "mode":  # the most frequent value, the smallest of those on ties
        counts = Counter(_exact(v) for v, _ in cells)
        top = max(counts.values())
        return min(v for v, n in counts.items() if n == top), -1
    total = sum(_exact(v) for v, _ in cells)
    return (total if op == "sum" else total / len(cells)), -1


def _isnan(value: object) -> bool:
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def _exact(value: object) -> float | int:
    """A cell value as a Python number: int for bool and integers, float for floats."""
    if isinstance(value, (bool, np.bool_, int, np.integer)):
        return int(value)
    return float(value)  # type: ignore[arg-type]


def walk_adaptive(
    arr: np.ndarray, geom: AdaptiveGeometry, op: str = "max", nan: str = "propagate"
) -> Iterator[Step]:
    """Every output cell of adaptive pooling, with its window (all real cells) and value."""
    pooled_sizes = [arr.shape[a] for a in geom.axes]
    ignore_nan = nan == "ignore" and arr.dtype.kind == "f"
    for out_index in np.ndindex(*geom.output_shape):
        ranges = [range(*geom.windows[n][out_index[a]]) for n, a in enumerate(geom.axes)]
        cells = [Cell(position, "real") for position in itertools.product(*ranges)]
        values: list[object | None] = []
        taking_part = []
        for cell in cells:
            index = list(out_index)
            for a, p in zip(geom.axes, cell.position):
                index[a] = p
            value = arr[tuple(index)]
            values.append(value)
            taking_part.append((value, int(np.ravel_multi_index(cell.position, pooled_sizes))))
        result, winner = _reduce(taking_part, op, ignore_nan)
        yield Step(out_index, cells, values, result, winner)
