"""Adaptive pooling: a given output size, the windows fitted to it (PyTorch's rule).

Along an axis of length n pooled to ``out`` cells, window i spans
``[floor(i * n / out), ceil((i + 1) * n / out))``: windows cover the input exactly, neighbours
overlap by at most one cell, and sizes differ by at most one. Global pooling is adaptive
pooling to size 1.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, overload

import numpy as np

from ..errors import ParameterError, ShapeError
from .geometry import normalize_axes
from .kernels import (
    NanPolicy,
    Op,
    PoolResult,
    check_parameters,
    pooling_input,
    result_dtype,
    sum_dtype,
)
from .mode import STACK_BYTES, mode_of_cells
from .passes import along


def adaptive_windows(n: int, out: int) -> list[tuple[int, int]]:
    """The ``[start, stop)`` of each of the ``out`` windows over an axis of length ``n``.

    >>> adaptive_windows(5, 3)
    [(0, 2), (1, 4), (3, 5)]
    """
    return [((i * n) // out, -(-((i + 1) * n) // out)) for i in range(out)]


@dataclass(frozen=True)
class AdaptiveGeometry:
    """Adaptive pooling's shapes and, per pooled axis, its windows ``[start, stop)``."""

    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    axes: tuple[int, ...]
    windows: tuple[tuple[tuple[int, int], ...], ...]

    @property
    def output_size(self) -> tuple[int, ...]:
        return tuple(self.output_shape[a] for a in self.axes)

    @property
    def padding(self) -> tuple[tuple[int, int], ...]:
        return tuple((0, 0) for _ in self.axes)  # windows never leave the input


def adaptive_geometry(
    shape: Sequence[int], output_size: int | Sequence[int], axes: int | Sequence[int] | None = None
) -> AdaptiveGeometry:
    """Check an output size against a shape and work out the windows, without pooling.

    >>> adaptive_geometry((4, 5), 3).windows
    (((0, 2), (1, 3), (2, 4)), ((0, 2), (1, 4), (3, 5)))
    """
    shape = tuple(int(n) for n in shape)
    pooled, sizes = _axes_and_sizes(shape, output_size, axes)
    order = sorted(range(len(pooled)), key=lambda i: pooled[i])
    out_shape = list(shape)
    for axis, out in zip(pooled, sizes):
        out_shape[axis] = out
    return AdaptiveGeometry(
        shape,
        tuple(out_shape),
        tuple(pooled[i] for i in order),
        tuple(tuple(adaptive_windows(shape[pooled[i]], sizes[i])) for i in order),
    )


@overload
def adaptive_pool(
    x: np.typing.ArrayLike,
    output_size: int | Sequence[int],
    op: Op = "max",
    axes: int | Sequence[int] | None = None,
    nan: NanPolicy = "propagate",
    return_indices: Literal[False] = False,
) -> np.ndarray: ...


@overload
def adaptive_pool(
    x: np.typing.ArrayLike,
    output_size: int | Sequence[int],
    op: Op = "max",
    axes: int | Sequence[int] | None = None,
    nan: NanPolicy = "propagate",
    *,
    return_indices: Literal[True],
) -> tuple[np.ndarray, np.ndarray]: ...


@overload
def adaptive_pool(
    x: np.typing.ArrayLike,
    output_size: int | Sequence[int],
    op: Op = "max",
    axes: int | Sequence[int] | None = None,
    nan: NanPolicy = "propagate",
    return_indices: bool = False,
) -> PoolResult: ...


def adaptive_pool(
    x: np.typing.ArrayLike,
    output_size: int | Sequence[int],
    op: Op = "max",
    axes: int | Sequence[int] | None = None,
    nan: NanPolicy = "propagate",
    return_indices: bool = False,
) -> PoolResult:
    """Pool to a given output size, like PyTorch's AdaptiveMaxPool/AdaptiveAvgPool.

    Parameters
    ----------
    x : array_like
    output_size : int or sequence of int
        The size of every pooled axis, or one per pooled axis.
    op : {"max", "min", "avg", "sum"}
    axes : int or sequence of int, optional
        Default: the last ``len(output_size)`` axes, or the last ``min(ndim, 2)``.
    nan : {"propagate", "ignore"}
    return_indices : bool
        For max and min: also the flat index of each chosen cell within the pooled axes.

    Examples
    --------
    >>> adaptive_pool(np.arange(10), 3)
    array([3, 6, 9])
    >>> adaptive_pool(np.arange(10.0), 3, op="avg")
    array([1.5, 4.5, 7.5])
    """
    arr = pooling_input(x)
    check_parameters(arr.dtype, op, nan, return_indices)
    pooled, sizes = _axes_and_sizes(arr.shape, output_size, axes)
    if op == "mode":
        return _adaptive_mode(arr, pooled, sizes)
    ignore_nan = nan == "ignore" and arr.dtype.kind == "f"
    values = arr
    flat = None
    place = 1
    # The innermost pooled axis first, so that ties go to the first cell in row-major order.
    for axis, out in sorted(zip(pooled, sizes), reverse=True):
        # A sum's NaN after the first pass is inf - inf, a result to keep, not a NaN to skip.
        skip_nan = ignore_nan and (op in ("max", "min") or values is arr)
        values, flat = _adaptive_pass(values, flat, axis, out, place, op, skip_nan, return_indices)
        place *= arr.shape[axis]
    if op == "avg":
        counts = np.ones((1,) * arr.ndim)
        for axis, out in zip(pooled, sizes):
            shape = [1] * arr.ndim
            shape[axis] = out
            widths = np.array([b - a for a, b in adaptive_windows(arr.shape[axis], out)])
            counts = counts * widths.reshape(shape)
        if ignore_nan:
            counts = _nan_free_counts(arr, pooled, sizes)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.true_divide(values, counts)
    elif op == "sum" and ignore_nan:
        values = np.where(_nan_free_counts(arr, pooled, sizes) == 0, np.nan, values)
    values = np.asarray(values, dtype=result_dtype(arr.dtype, op))
    if return_indices:
        assert flat is not None
        return values, flat
    return values


def _axes_and_sizes(
    shape: tuple[int, ...], output_size: int | Sequence[int], axes: int | Sequence[int] | None
) -> tuple[list[int], list[int]]:
    ndim = len(shape)
    raw_sizes: list[object] = (
        list(output_size) if isinstance(output_size, Sequence) else [output_size]
    )
    count = len(raw_sizes) if isinstance(output_size, Sequence) else min(ndim, 2)
    pooled = list(range(ndim - count, ndim) if axes is None else normalize_axes(shape, axes))
    sizes = raw_sizes if isinstance(output_size, Sequence) else raw_sizes * len(pooled)
    if len(sizes) != len(pooled) or ndim == 0 or not pooled:
        raise ParameterError(
            f"output_size: expected 1 or {len(pooled)} values (one per pooled axis), got "
            f"{len(sizes)}"
        )
    checked = []
    for axis, out in zip(pooled, sizes):
        if isinstance(out, bool) or not isinstance(out, (int, np.integer)) or out < 1:
            raise ParameterError(f"output_size: expected integers >= 1, got {output_size}")
        if shape[axis] == 0:
            raise ShapeError(f"axis {axis}: the input has length 0; expected at least 1 cell")
        checked.append(int(out))
    return pooled, checked


def _adaptive_pass(
    src: np.ndarray,
    src_flat: np.ndarray | None,
    axis: int,
    out: int,
    place: int,
    op: str,
    ignore_nan: bool,
    with_indices: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """One axis: a loop over its output positions (not over cells), each a vectorized reduce."""
    windows = adaptive_windows(src.shape[axis], out)
    work = src.dtype if op in ("max", "min") else sum_dtype(src.dtype, op)
    shape = list(src.shape)
    shape[axis] = out
    values = np.empty(shape, dtype=work)
    flat = np.empty(shape, dtype=np.int64) if with_indices else None
    for i, (a, b) in enumerate(windows):
        block = src[(slice(None),) * axis + (slice(a, b),)]
        target = (slice(None),) * axis + (i,)
        if op not in ("max", "min"):
            clean = np.where(np.isnan(block), 0, block) if ignore_nan else block
            with np.errstate(invalid="ignore"):  # inf + -inf is NaN, as PyTorch gives
                values[target] = np.sum(clean, axis=axis, dtype=work)
            continue
        best = np.expand_dims(_best(block, axis, op, ignore_nan), axis)
        values[target] = np.take_along_axis(block, best, axis).squeeze(axis)
        if flat is not None:
            index = (best.squeeze(axis) + a) * place
            if src_flat is not None:
                carried = src_flat[(slice(None),) * axis + (slice(a, b),)]
                index = index + np.take_along_axis(carried, best, axis).squeeze(axis)
            flat[target] = index
    return values, flat


def _best(block: np.ndarray, axis: int, op: str, ignore_nan: bool) -> np.ndarray:
    """Per window, the position of its first max (or min); a propagating NaN wins, the last
    NaN (PyTorch's CPU rule); with NaNs ignored, an all-NaN window takes its first cell."""
    if block.dtype.kind != "f":
        return np.argmax(block, axis) if op == "max" else np.argmin(block, axis)
    nans = np.isnan(block)
    filler = -np.inf if op == "max" else np.inf
    filled = np.where(nans, filler, block)
    if ignore_nan:
        # The first cell holding the best of the numbers: a NaN filled with -inf must not
        # win a tie against a real -inf.
        top = filled.max(axis, keepdims=True) if op == "max" else filled.min(axis, keepdims=True)
        return np.argmax((filled == top) & ~nans, axis)  # all NaN: no True, the first cell
    best = np.argmax(filled, axis) if op == "max" else np.argmin(filled, axis)
    size = block.shape[axis]
    last_nan = size - 1 - np.argmax(np.flip(nans, axis), axis)
    return np.where(nans.any(axis), last_nan, best)


def _nan_free_counts(arr: np.ndarray, pooled: list[int], sizes: list[int]) -> np.ndarray:
    counts = (~np.isnan(arr)).astype(np.int64)
    for axis, out in sorted(zip(pooled, sizes), reverse=True):
        counts, _ = _adaptive_pass(counts, None, axis, out, 1, "sum", False, False)
    return counts


def _adaptive_mode(arr: np.ndarray, pooled: list[int], sizes: list[int]) -> np.ndarray:
    """The most frequent value of each window (ties to the smallest). Not separable: each
    window's cells are gathered, a band of outputs along the first pooled axis at a time."""
    windows = {
        axis: np.array(adaptive_windows(arr.shape[axis], out)) for axis, out in zip(pooled, sizes)
    }
    shape = list(arr.shape)
    for axis, out in zip(pooled, sizes):
        shape[axis] = out
    result = np.empty(shape, dtype=arr.dtype)
    taps = math.prod(int((w[:, 1] - w[:, 0]).max()) for w in windows.values())
    if math.prod(sizes) < taps:  # few large windows: fewer steps one window at a time
        for index in itertools.product(*(range(len(w)) for w in windows.values())):
            window = [slice(None)] * arr.ndim
            place = [slice(None)] * arr.ndim
            for (axis, w), i in zip(windows.items(), index):
                window[axis] = slice(*w[i])
                place[axis] = slice(i, i + 1)
            # The window's cells stacked cell-first, over the other axes flattened.
            cells = np.moveaxis(arr[tuple(window)], pooled, range(-len(pooled), 0))
            others = cells.shape[: -len(pooled)]
            stack = cells.reshape(math.prod(others), -1).T
            held = mode_of_cells(stack, np.ones(stack.shape, dtype=np.bool_)).reshape(others)
            result[tuple(place)] = np.expand_dims(held, tuple(pooled))
        return result
    first = pooled[0]
    row = taps * (math.prod(shape) // shape[first]) * (arr.dtype.itemsize + 1)
    rows = max(1, STACK_BYTES // max(1, row))
    for lo in range(0, shape[first], rows):
        band = {**windows, first: windows[first][lo : lo + rows]}
        result[along(first, slice(lo, lo + rows))] = _mode_of_windows(arr, band)
    return result


def _mode_of_windows(arr: np.ndarray, windows: dict[int, np.ndarray]) -> np.ndarray:
    """The mode of the windows given per pooled axis as ``[start, stop)`` rows."""
    shape = list(arr.shape)
    for axis, w in windows.items():
        shape[axis] = len(w)
    lengths = {axis: w[:, 1] - w[:, 0] for axis, w in windows.items()}
    offsets = list(itertools.product(*(range(int(n.max())) for n in lengths.values())))
    values = np.empty((len(offsets), *shape), dtype=arr.dtype)
    valid = np.ones((len(offsets), *shape), dtype=np.bool_)
    for t, offset in enumerate(offsets):
        cells = arr
        for (axis, w), j in zip(windows.items(), offset):
            # Offset j of each window; past a shorter window's end it repeats its last cell,
            # which does not count.
            cells = np.take(cells, np.minimum(w[:, 0] + j, w[:, 1] - 1), axis=axis)
            inside = [1] * arr.ndim
            inside[axis] = len(w)
            valid[t] &= (j < lengths[axis]).reshape(inside)
        values[t] = cells
    return mode_of_cells(values, valid)
