"""The lesson behind ``maxpool explain``: the windows of a 1-D or 2-D grid, walked with the
plain-loop reference, beside the engine's result.

Only the windows shown are walked (each as a one-window block of the input, so that the last
window of a large image costs no more than the first), which keeps large inputs quick: the
first and last few windows, and how many lie between.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..engine import AdaptiveGeometry, PoolGeometry, block_geometry
from ..engine.reference import Cell, Step, walk, walk_adaptive
from ..errors import MaxpoolError, ParameterError, ShapeError
from ..io.document import Document, ImageInfo
from .one_file import Geometry, plan, pool_document
from .options import PoolOptions

ALL_STEPS_UP_TO = 36  # inputs with at most this many windows are walked whole by default
EDGE_STEPS = 3  # beyond that, the first and the last this many


@dataclass(frozen=True)
class Explanation:
    """What ``explain`` shows: the grid walked, its geometry, the windows walked (numbered
    from 1, in output order), how many windows there are, and the engine's result."""

    name: str
    x: np.ndarray
    options: PoolOptions
    geometry: Geometry
    steps: list[tuple[int, Step]]
    total: int
    result: np.ndarray


def explanation(
    name: str,
    x: np.ndarray,
    options: PoolOptions,
    image: bool = False,
    steps: int | None = None,
    crop: tuple[int, ...] | None = None,
    channel: int | None = None,
) -> Explanation:
    """Walk the windows of ``x`` (or of its ``channel`` and ``crop``) with the reference.

    Parameters
    ----------
    name : str
        What ``x`` is called in messages.
    x : ndarray
        A 1-D or 2-D array, or a 3-D one with ``channel`` picking a 2-D slice.
    options : PoolOptions
    image : bool
        ``x`` is an image: pooled over height and width.
    steps : int, optional
        How many windows to walk: all when there are at most this many, else the first and
        the last halves of it. Default: all up to 36 windows, else the first and last 3.
        ``0`` walks every window whatever their number.
    crop : tuple of int, optional
        ``(start, length)`` of a 1-D grid or ``(row, column, height, width)`` of a 2-D one:
        the patch walked (as an input of its own).
    channel : int, optional
        For a 3-D input: the index along its axis that is not pooled.
    """
    grid = patch(name, x, options, image, crop, channel)
    name, x, options = grid.name, grid.x, grid.options
    doc = Document(name, "png" if image else "npy", {"array": x}, image=grid.info)
    geometry = grid.geometry
    result = pool_document(doc, options).result.arrays["array"]
    total = math.prod(result.shape)
    numbers = _chosen(total, steps)
    outputs = list(np.ndindex(*result.shape))
    walked = [(n, _step(x, geometry, outputs[n - 1], options)) for n in numbers]
    return Explanation(name, x, options, geometry, walked, total, result)


@dataclass(frozen=True)
class Patch:
    """The grid a lesson walks: ``x`` (the input, or a channel and a crop of it), its
    ``name`` (``astronaut.png[0:6, 0:6, 1]``), the options and geometry as they apply to it,
    and ``index``, the part of the input it is (``[0:6, 0:6, 1]``; ``""``: all of it)."""

    name: str
    x: np.ndarray
    options: PoolOptions
    geometry: Geometry
    index: str
    info: ImageInfo | None  # an image's grid: one channel, pooled over height and width


def patch(
    name: str,
    x: np.ndarray,
    options: PoolOptions,
    image: bool = False,
    crop: tuple[int, ...] | None = None,
    channel: int | None = None,
) -> Patch:
    """The grid :func:`explanation` walks (its parameters are the same), planned."""
    source_ndim = x.ndim
    x, options, picked = _grid(name, x, options, image, channel)
    x, cropped = _crop(x, crop)
    index = _index(source_ndim, picked, cropped)
    name += index
    info = ImageInfo(mode="L") if image else None
    doc = Document(name, "png" if image else "npy", {"array": x}, image=info)
    try:
        geometry = plan(doc, options)["array"]
    except ShapeError as e:
        raise _with_axes_hint(e, name, x, options, image) from e
    return Patch(name, x, options, geometry, index, info)


def _grid(
    name: str, x: np.ndarray, options: PoolOptions, image: bool, channel: int | None
) -> tuple[np.ndarray, PoolOptions, tuple[int, int] | None]:
    """The 1-D or 2-D grid to walk: ``x``, or the slice ``channel`` of a 3-D ``x`` along its
    axis that is not pooled (with the pooled axes renumbered), and ``(axis, channel)``."""
    if x.ndim in (1, 2):
        if channel is not None:
            raise ParameterError(
                f"--channel: {name} is {x.shape}, a grid already; expected no --channel"
            )
        return x, options, None
    if x.ndim != 3:
        raise ShapeError(
            f"explain: walks a 1-D or 2-D grid (or one channel of a 3-D input); {name} is "
            f"{x.shape}; expected fewer axes (save one slice with NumPy)"
        )
    info = ImageInfo(mode="RGB") if image else None
    doc = Document(name, "png" if image else "npy", {"array": x}, image=info)
    pooled = plan(doc, options)["array"].axes
    others = [a for a in range(3) if a not in pooled]
    if len(others) != 1:
        raise ShapeError(
            f"explain: walks a 1-D or 2-D grid; {name} is {x.shape}, pooled over axis "
            f"{pooled[0]} only; expected two pooled axes (--axes) and --channel"
        )
    axis = others[0]
    what = "channel" if image else f"index along axis {axis}"
    if channel is None:
        raise ShapeError(
            f"explain: walks a 1-D or 2-D grid; {name} is {x.shape}: pick one {what} with "
            f"--channel 0..{x.shape[axis] - 1} (and a patch with --crop)"
        )
    if not 0 <= channel < x.shape[axis]:
        raise ParameterError(
            f"--channel: expected 0..{x.shape[axis] - 1} for {name} {x.shape}; got {channel}"
        )
    grid = np.take(x, channel, axis=axis)
    if not image:
        options = dataclasses.replace(options, axes=tuple(a - (a > axis) for a in pooled))
    return grid, options, (axis, channel)


def _index(ndim: int, picked: tuple[int, int] | None, cropped: list[str] | None) -> str:
    """``[200:206, 220:226, 0]``: the part of the input walked (``""``: the whole)."""
    if picked is None and cropped is None:
        return ""
    grid = cropped or [":"] * (ndim - (picked is not None))
    if picked is not None:
        grid.insert(picked[0], str(picked[1]))
    return f"[{', '.join(grid)}]"


def _crop(x: np.ndarray, crop: tuple[int, ...] | None) -> tuple[np.ndarray, list[str] | None]:
    if crop is None:
        return x, None
    wanted = "START,LENGTH" if x.ndim == 1 else "ROW,COLUMN,HEIGHT,WIDTH"
    if len(crop) != 2 * x.ndim or any(v < 0 for v in crop):
        raise ParameterError(
            f"--crop: expected {wanted} (non-negative) for the {x.ndim}-D grid {x.shape}; got "
            f"{','.join(map(str, crop))}"
        )
    starts, sizes = crop[: x.ndim], crop[x.ndim :]
    for start, size, n in zip(starts, sizes, x.shape):
        if size < 1 or start + size > n:
            raise ParameterError(
                f"--crop: {','.join(map(str, crop))} reaches past the grid {x.shape}; "
                f"expected {wanted} inside it"
            )
    slices = tuple(slice(s, s + n) for s, n in zip(starts, sizes))
    return x[slices], [f"{s.start}:{s.stop}" for s in slices]


def _with_axes_hint(
    error: ShapeError, name: str, x: np.ndarray, options: PoolOptions, image: bool
) -> MaxpoolError:
    """A one-row (or one-column) grid is pooled over both axes by default, which its one row
    cannot hold: say so, and which ``--axes`` pools along it."""
    if image or options.axes is not None or x.ndim != 2 or 1 not in x.shape:
        return error
    along, what = (1, "row") if x.shape[0] == 1 else (0, "column")
    return ShapeError(f"{error}; {name} is one {what} {x.shape}: pool along it with --axes {along}")


def _chosen(total: int, steps: int | None) -> list[int]:
    """The step numbers walked: every one, or the first and last few."""
    if steps == 0 or total <= (ALL_STEPS_UP_TO if steps is None else steps):
        return list(range(1, total + 1))
    first = EDGE_STEPS if steps is None else (steps + 1) // 2
    last = EDGE_STEPS if steps is None else steps // 2
    return [*range(1, first + 1), *range(total - last + 1, total + 1)]


def _step(x: np.ndarray, geometry: Geometry, out: tuple[int, ...], options: PoolOptions) -> Step:
    """One output cell walked by the reference, on the block of ``x`` its window reads."""
    pooled = geometry.axes
    block = [slice(i, i + 1) for i in out]  # the other axes: the one index
    shape = [1] * x.ndim
    if isinstance(geometry, AdaptiveGeometry):
        spans = [geometry.windows[n][out[a]] for n, a in enumerate(pooled)]
        for a, (lo, hi) in zip(pooled, spans):
            block[a], shape[a] = slice(lo, hi), hi - lo
        windows = tuple(((0, hi - lo),) for lo, hi in spans)
        local = AdaptiveGeometry(tuple(shape), (1,) * x.ndim, pooled, windows)
        step = next(walk_adaptive(x[tuple(block)], local, options.op, options.nan))
    else:
        slices, sub = block_geometry(geometry, [(out[a], out[a] + 1) for a in pooled])
        for a in pooled:
            block[a], shape[a] = slices[a], sub.input_shape[a]
        local_fixed = PoolGeometry(tuple(shape), (1,) * x.ndim, pooled, sub.per_axis, sub.ceil_mode)
        step = next(
            walk(
                x[tuple(block)],
                local_fixed,
                options.op,
                options.pad_value,
                options.count_pad,
                options.nan,
            )
        )
    starts = [block[a].start for a in pooled]
    cells = [Cell(tuple(p + s for p, s in zip(c.position, starts)), c.kind) for c in step.cells]
    index = step.index
    if index >= 0:  # the block's flat index, as one into the whole input's pooled axes
        within = np.unravel_index(index, [block[a].stop - block[a].start for a in pooled])
        index = int(
            np.ravel_multi_index(
                [int(p) + s for p, s in zip(within, starts)], [x.shape[a] for a in pooled]
            )
        )
    return Step(out, cells, step.values, step.value, index)
