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


def _mode_by_pairs(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """For each tap, how many valid taps of its window equal it; the most counted value,
    the smallest on ties."""
    taps = len(values)
    masked = not valid.all()
    counts = valid.view(np.uint8).copy() if masked else np.ones(values.shape, dtype=np.uint8)
    same = np.empty(values.shape[1:], dtype=np.bool_)
    flags = same.view(np.uint8)  # added as bytes: no cast from bool on every add
    for t in range(taps):
        for s in range(t + 1, taps):  # each pair once, counted for both of its taps
            np.equal(values[t], values[s], out=same)
            if masked:
                same &= valid[t]
                same &= valid[s]
            np.add(counts[t], flags, out=counts[t])
            np.add(counts[s], flags, out=counts[s])
    # (An invalid tap counts 0, below any valid one, so it never wins.)
    if values.dtype.itemsize == 1:
        return _most_counted_bytes(values, counts)
    best = counts.max(axis=0)
    top = np.iinfo(values.dtype).max
    result = np.full(values.shape[1:], top, dtype=values.dtype)
    for t in range(taps):
        np.minimum(result, values[t], out=result, where=counts[t] == best)
    return result


def _most_counted_bytes(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """For one-byte data: one key per tap, its count above its value's reverse order, so
    that the largest key is the most counted and, among those, the smallest value."""
    order = values.view(np.uint8)
    if values.dtype.kind == "i":
        order = order ^ np.uint8(0x80)  # signed bytes in unsigned order
    keys = counts.astype(np.uint16) << 8
    keys |= np.uint8(255) - order
    low = (np.uint8(255) - (keys.max(axis=0) & 0xFF)).astype(np.uint8)
    if values.dtype.kind == "i":
        low ^= np.uint8(0x80)
    return low.view(values.dtype)


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
