"""Mode pooling: the most frequent value of each window (label maps), ties to the smallest.

Not separable, so each window's cells are gathered: one strided view per tap of the kernel,
stacked tap-first, band by band along the first pooled axis so that the stack stays small.
Small windows (up to 16 cells) count equal cells by comparing every pair of taps, which
NumPy does at memory speed on the data's own dtype; larger ones sort each window's cells and
measure runs of equal values. Padded cells never count, unless ``pad`` makes them real.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from .geometry import PoolGeometry, band_geometry
from .passes import along, tap_source

PAIRWISE_TAPS = 16  # up to this many cells a window, all pairs are compared
STACK_BYTES = 16 * 2**20  # a band's stack of window cells holds about this much


def mode_pool(arr: np.ndarray, geom: PoolGeometry, pad: object = None) -> np.ndarray:
    """The most frequent value of every window (ties to the smallest); integer or bool data."""
    out = np.empty(geom.output_shape, dtype=arr.dtype)
    first = geom.per_axis[0]
    taps = math.prod(g.kernel for g in geom.per_axis)
    row_cells = math.prod(geom.output_shape) // max(1, first.out)
    rows = max(1, STACK_BYTES // max(1, taps * row_cells * (arr.dtype.itemsize + 1)))
    for lo in range(0, first.out, rows):
        hi = min(first.out, lo + rows)
        start, stop, band = band_geometry(geom, lo, hi)
        slab = arr[along(first.axis, slice(start, stop))]
        out[along(first.axis, slice(lo, hi))] = _mode_of_band(slab, band, pad)
    return out


def _mode_of_band(arr: np.ndarray, geom: PoolGeometry, pad: object) -> np.ndarray:
    inside = all(g.tap_range(j) == (0, g.out) for g in geom.per_axis for j in range(g.kernel))
    if inside and math.prod(g.kernel for g in geom.per_axis) <= PAIRWISE_TAPS:
        # Every tap of every window on a real cell: the taps are strided views of the input,
        # compared where they lie (nothing gathered, nothing masked).
        views = []
        for tap in itertools.product(*(range(g.kernel) for g in geom.per_axis)):
            index = [slice(None)] * arr.ndim
            for g, j in zip(geom.per_axis, tap):
                index[g.axis] = tap_source(g, j, 0, g.out)
            views.append(arr[tuple(index)])
        return _mode_of_four(*views) if len(views) == 4 else _mode_by_pairs(views, None)
    return mode_of_cells(*_window_cells(arr, geom, pad))


def mode_of_cells(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """The mode of every window from its cells stacked tap-first (``values[t]`` is tap
    ``t`` of every window), counting only the ``valid`` ones; ties to the smallest."""
    if len(values) <= PAIRWISE_TAPS:
        return _mode_by_pairs(values, valid)
    return _mode_by_sorting(values, valid)


def _window_cells(
    arr: np.ndarray, geom: PoolGeometry, pad: object
) -> tuple[np.ndarray, np.ndarray]:
    """Every window's cells, tap-first: ``values[t]`` is tap ``t`` of every window, with
    ``valid[t]`` False where it falls on padding that does not count, or past it."""
    taps = list(itertools.product(*(range(g.kernel) for g in geom.per_axis)))
    values = np.zeros((len(taps), *geom.output_shape), dtype=arr.dtype)
    valid = np.zeros((len(taps), *geom.output_shape), dtype=np.bool_)
    for t, tap in enumerate(taps):
        if pad is not None:  # declared padding holds the value and counts
            declared = [slice(None)] * arr.ndim
            for g, j in zip(geom.per_axis, tap):
                declared[g.axis] = slice(*g.declared_range(j))
            values[t][tuple(declared)] = pad
            valid[t][tuple(declared)] = True
        source = [slice(None)] * arr.ndim
        target = [slice(None)] * arr.ndim
        for g, j in zip(geom.per_axis, tap):
            a, b = g.tap_range(j)
            source[g.axis] = tap_source(g, j, a, b) if a < b else slice(0, 0)
            target[g.axis] = slice(a, b)
        values[t][tuple(target)] = arr[tuple(source)]
        valid[t][tuple(target)] = True
    return values, valid


def _mode_of_four(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """The mode of 2x2 windows (the commonest case), ties to the smallest: the four cells
    sorted by a network of five compare-exchanges into s0 <= s1 <= s2 <= s3; then s1 if
    s1 == s2 (no other value can be there as often), else s0 if it is doubled or nothing is,
    else s2 (doubled with s3). Half the work of comparing every pair."""
    low1, high1 = np.minimum(a, b), np.maximum(a, b)
    low2, high2 = np.minimum(c, d), np.maximum(c, d)
    s0, t = np.minimum(low1, low2), np.maximum(low1, low2)
    u, s3 = np.minimum(high1, high2), np.maximum(high1, high2)
    s1, s2 = np.minimum(t, u), np.maximum(t, u)
    first = (s0 == s1) | (s2 != s3)
    return np.where(s1 == s2, s1, np.where(first, s0, s2))


def _mode_by_pairs(
    values: Sequence[np.ndarray] | np.ndarray, valid: np.ndarray | None
) -> np.ndarray:
    """For each tap, how many valid taps of its window equal it; the most counted value,
    the smallest on ties. ``values``: one array per tap (stacked, or views of the input);
    ``valid``: which taps count (None: all)."""
    taps = len(values)
    shape = values[0].shape
    masked = valid is not None and not valid.all()
    counts = [
        valid[t].view(np.uint8).copy() if masked and valid is not None else np.ones(shape, np.uint8)
        for t in range(taps)
    ]
    same = np.empty(shape, dtype=np.bool_)
    flags = same.view(np.uint8)  # added as bytes: no cast from bool on every add
    for t in range(taps):
        for s in range(t + 1, taps):  # each pair once, counted for both of its taps
            np.equal(values[t], values[s], out=same)
            if masked and valid is not None:
                same &= valid[t]
                same &= valid[s]
            np.add(counts[t], flags, out=counts[t])
            np.add(counts[s], flags, out=counts[s])
    # (An invalid tap counts 0, below any valid one, so it never wins.)
    dtype = values[0].dtype
    if dtype.itemsize == 1:
        return _most_counted_bytes(values, counts)
    best = counts[0].copy()
    for t in range(1, taps):
        np.maximum(best, counts[t], out=best)
    result = np.full(shape, np.iinfo(dtype).max, dtype=dtype)
    for t in range(taps):
        np.minimum(result, values[t], out=result, where=counts[t] == best)
    return result


def _most_counted_bytes(
    values: Sequence[np.ndarray] | np.ndarray, counts: list[np.ndarray]
) -> np.ndarray:
    """For one-byte data: one key per tap, its count above its value's reverse order, so
    that the largest key is the most counted and, among those, the smallest value."""
    signed = values[0].dtype.kind == "i"
    best = np.zeros(values[0].shape, dtype=np.uint16)
    key = np.empty_like(best)
    for value, count in zip(values, counts):
        order = value.view(np.uint8)
        if signed:
            order = order ^ np.uint8(0x80)  # signed bytes in unsigned order
        np.left_shift(count, 8, out=key, dtype=np.uint16)
        key |= np.uint8(255) - order
        np.maximum(best, key, out=best)
    low = (np.uint8(255) - (best & 0xFF)).astype(np.uint8)
    if signed:
        low ^= np.uint8(0x80)
    return low.view(values[0].dtype)


def _mode_by_sorting(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Each window's valid cells sorted; the longest run of equal values, the first (the
    smallest value) on ties."""
    taps = len(values)
    # Windows first, cells last and contiguous: sorting along the last axis is fastest. A
    # copy always: the cells may be a view of the caller's array, sorted below in place.
    cells = np.moveaxis(values, 0, -1).copy(order="C")
    if valid.all():
        cells.sort(axis=-1)
        counted = None
    else:
        counts = np.moveaxis(valid, 0, -1)
        order = np.lexsort((cells, ~counts), axis=-1)  # valid cells first, ascending
        cells = np.take_along_axis(cells, order, axis=-1)
        counted = np.take_along_axis(counts, order, axis=-1)
    starts = np.ones(cells.shape, dtype=np.bool_)
    np.not_equal(cells[..., 1:], cells[..., :-1], out=starts[..., 1:])
    index = np.arange(taps, dtype=np.int32)
    run_start = np.maximum.accumulate(np.where(starts, index, 0), axis=-1)
    lengths = index - run_start + 1
    if counted is not None:
        lengths *= counted
    best = lengths.argmax(axis=-1)  # the first longest run ends first: the smallest value
    return np.take_along_axis(cells, best[..., None], axis=-1)[..., 0]
