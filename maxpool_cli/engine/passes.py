"""One-axis pooling passes and the cache-sized bands they run in.

A pass reduces one pooled axis for a range of its outputs by looping over the kernel's taps,
never over output cells: each tap is one strided view of the source combined into the
destination with a ufunc. A tap skips the windows for which it falls on padding, so no padded
copy of the input is ever made.

Max, min and sum are separable, so ``pool`` runs one pass per pooled axis. It does so band by
band along the first pooled axis (:func:`bands`), so that the intermediate results of a band
stay in the CPU cache and the only full-size array written is the output.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np

from .geometry import AxisGeometry

Prepare = Callable[[np.ndarray], np.ndarray]

BAND_BYTES = 2 * 1024 * 1024  # measured best here (1 MiB L2, 32 MiB L3): few bands, still cached
GATHER_MAX_BYTES = 16  # cells at most this wide are pooled by shifting then gathering


def along(axis: int, index: slice | np.ndarray) -> tuple[slice | np.ndarray, ...]:
    """An index tuple that applies ``index`` to ``axis`` and takes all of the axes before it."""
    return (slice(None),) * axis + (index,)


def tap_source(g: AxisGeometry, j: int, lo: int, hi: int) -> slice:
    """The strided input positions that tap ``j`` of windows ``lo..hi-1`` read."""
    start = g.tap_position(lo, j)
    return slice(start, start + (hi - lo - 1) * g.stride + 1, g.stride)


def clipped_tap_ranges(g: AxisGeometry, lo: int, hi: int) -> list[tuple[int, int]]:
    """Per tap, the windows in ``[lo, hi)`` for which it reads a real cell."""
    ranges = []
    for j in range(g.kernel):
        a, b = g.tap_range(j)
        a, b = max(a, lo), min(b, hi)
        ranges.append((a, max(a, b)))
    return ranges


def bands(g: AxisGeometry, row_bytes: int) -> Iterator[tuple[int, int]]:
    """Ranges ``[lo, hi)`` of outputs along ``g`` whose first intermediate fits a band."""
    rows = max(1, BAND_BYTES // max(1, row_bytes))
    for lo in range(0, g.out, rows):
        yield lo, min(lo + rows, g.out)


class Workspace:
    """Reusable scratch buffers, handed out as C-contiguous arrays of any smaller shape.

    Allocating fresh temporaries for every band would fault in new pages each time; one
    buffer per slot, sized for the largest band, is reused instead.
    """

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    def get(self, slot: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        size = math.prod(shape)
        nbytes = size * dtype.itemsize
        buffer = self._buffers.get(slot)
        if buffer is None or buffer.nbytes < nbytes:
            buffer = np.empty(max(nbytes, 1), dtype=np.uint8)
            self._buffers[slot] = buffer
        return buffer[:nbytes].view(dtype).reshape(shape)


def reduce_pass(
    src: np.ndarray,
    dst: np.ndarray,
    g: AxisGeometry,
    lo: int,
    hi: int,
    combine: np.ufunc,
    identity: object,
    ws: Workspace,
    prepare: Prepare | None = None,
) -> None:
    """Reduce axis ``g.axis`` of ``src`` into ``dst`` for the windows ``lo..hi-1``.

    ``dst`` has ``hi - lo`` positions along the axis. A window starts from ``identity`` and
    ``combine`` folds in each real cell; ``prepare`` (if given) maps every source view first.
    """
    ranges = clipped_tap_ranges(g, lo, hi)
    inner_lo = max(a for a, _ in ranges)
    inner_hi = min(b for _, b in ranges)
    if prepare is None and inner_hi - inner_lo >= 4 and _gather_fits(src, dst, g):
        _shift_and_gather(src, dst, g, lo, inner_lo, inner_hi, combine, ws)
        _tap_loop(src, dst, g, lo, lo, inner_lo, ranges, combine, identity, prepare)
        _tap_loop(src, dst, g, lo, inner_hi, hi, ranges, combine, identity, prepare)
    else:
        _tap_loop(src, dst, g, lo, lo, hi, ranges, combine, identity, prepare)


def _tap_loop(
    src: np.ndarray,
    dst: np.ndarray,
    g: AxisGeometry,
    base: int,
    lo: int,
    hi: int,
    ranges: list[tuple[int, int]],
    combine: np.ufunc,
    identity: object,
    prepare: Prepare | None,
) -> None:
    """Windows ``lo..hi-1`` (``dst`` position ``i - base``), one strided view per tap."""
    if lo >= hi:
        return
    clipped = [(max(a, lo), min(b, hi)) for a, b in ranges]
    clipped = [(a, max(a, b)) for a, b in clipped]
    if combine is np.add:
        # Sums round differently in another order: every window adds its taps in tap order,
        # whatever the band, so that results never depend on how the work was split.
        first = 0
    else:
        # Start from the tap that covers the most windows, so that only the few windows it
        # misses need the identity fill.
        first = max(range(g.kernel), key=lambda j: clipped[j][1] - clipped[j][0])
    a, b = clipped[first]
    if a == b:
        a = b = hi
    dst[along(g.axis, slice(lo - base, a - base))] = identity
    dst[along(g.axis, slice(b - base, hi - base))] = identity

    def tap(j: int, a: int, b: int) -> np.ndarray:
        view = src[along(g.axis, tap_source(g, j, a, b))]
        return view if prepare is None else prepare(view)

    target = dst[along(g.axis, slice(a - base, b - base))]
    # A second tap over the same windows is folded in by the same call (one pass saved).
    candidates = [first + 1] if combine is np.add and first + 1 < g.kernel else range(g.kernel)
    second = next((j for j in candidates if j != first and clipped[j] == (a, b)), None)
    if a == b:  # the first tap reads only padding here: the identity fill was all it needed
        second = None
    elif second is None:
        target[...] = tap(first, a, b)
    else:
        combine(tap(first, a, b), tap(second, a, b), **_into(target))
    for j, (a, b) in enumerate(clipped):
        if j in (first, second) or a == b:
            continue
        target = dst[along(g.axis, slice(a - base, b - base))]
        combine(target, tap(j, a, b), **_into(target))


def _into(target: np.ndarray) -> dict[str, object]:
    """Ufunc arguments that compute in, and write into, the accumulator's dtype: uint8 cells
    add up as int64 rather than wrapping in uint8, and uint64 into the int64 that sums are
    (NumPy would otherwise pick float64 for uint64 with int64)."""
    return {"out": target, "dtype": target.dtype, "casting": "unsafe"}


def _gather_fits(src: np.ndarray, dst: np.ndarray, g: AxisGeometry) -> bool:
    """Whether shifting then gathering beats strided views for this pass.

    Strided views of narrow cells (the last axis, or pixels of a channels-last image) make
    NumPy loop a few bytes at a time; contiguous shifted views run at memory speed, and one
    gather then picks every ``stride``-th window.
    """
    if g.stride == 1 or g.kernel == 1:
        return False
    if not (src.flags.c_contiguous and dst.flags.c_contiguous):
        return False
    cell = math.prod(src.shape[g.axis + 1 :])
    if cell * src.dtype.itemsize > GATHER_MAX_BYTES:
        return False
    # For single values, strided views are fine unless windows overlap (k > s): then the
    # shifted views share their work between neighbouring windows.
    return cell > 1 or g.kernel >= g.stride


def _shift_and_gather(
    src: np.ndarray,
    dst: np.ndarray,
    g: AxisGeometry,
    base: int,
    lo: int,
    hi: int,
    combine: np.ufunc,
    ws: Workspace,
) -> None:
    """Windows ``lo..hi-1``, all of whose taps are real: every start, then every s-th."""
    outer = math.prod(src.shape[: g.axis])
    cell = math.prod(src.shape[g.axis + 1 :])
    source = src.reshape(outer, g.size, cell)
    target = dst.reshape(outer, dst.shape[g.axis], cell)[:, lo - base : hi - base]
    start = g.tap_position(lo, 0)
    count = (hi - lo - 1) * g.stride + 1
    every = ws.get("shift", (outer, count, cell), dst.dtype)

    def tap(j: int) -> np.ndarray:
        offset = start + j * g.dilation
        return source[:, offset : offset + count]

    combine(tap(0), tap(1), **_into(every))
    for j in range(2, g.kernel):
        combine(every, tap(j), **_into(every))
    # One strided copy per element of the cell: each is one long loop, where copying the
    # cells whole would loop a few bytes at a time.
    for e in range(cell):
        target[:, :, e] = every[:, :: g.stride, e]
