"""Pooling Dask arrays, lazily, block by block (the optional ``[dask]`` extra).

``pool(darr, ...)`` takes and returns a ``dask.array.Array`` with the parameters and results
of :func:`maxpool_cli.pool`: each output block is computed by the NumPy engine from exactly
the input block it needs (the halo that overlapping windows, dilation, padding and ceil_mode
call for, worked out by :func:`~maxpool_cli.engine.geometry.block_geometry`), so the result is
the in-memory one, bit for bit, whatever the chunking. It composes with users' own Dask and
xarray pipelines and runs on any scheduler, a distributed cluster included.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from .engine import (
    IntOrSeq,
    NanPolicy,
    Op,
    Padding,
    PoolGeometry,
    block_geometry,
    check_parameters,
    pool_geometry,
    pool_on,
    result_dtype,
)
from .errors import MissingExtraError

try:
    import dask
    import dask.array as da
except ImportError as e:  # exercised by tests/test_extras.py without the extra
    raise MissingExtraError("maxpool_cli.dask") from e


def pool(
    x: da.Array,
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
    chunks: int | None = None,
) -> Any:
    """Pool a Dask array lazily; the same parameters and results as :func:`maxpool_cli.pool`.

    ``chunks`` (optional) is the output block size along the pooled axes; by default each
    output block comes from about one input chunk. Returns a Dask array, or a pair of Dask
    arrays (values, int64 indices into the whole input's pooled axes) with ``return_indices``.

    Examples
    --------
    >>> import dask.array as da
    >>> x = da.from_array(np.arange(36).reshape(6, 6), chunks=4)
    >>> pool(x, 3, stride=2, padding=1).compute()
    array([[ 7,  9, 11],
           [19, 21, 23],
           [31, 33, 35]])
    """
    if not isinstance(x, da.Array):
        x = da.from_array(np.asarray(x))
    check_parameters(np.dtype(x.dtype), op, nan, return_indices, pad_value, count_pad)
    geom = pool_geometry(x.shape, kernel, stride, padding, dilation, ceil_mode, axes)
    out_dtype = result_dtype(x.dtype, op)
    blocks_per_axis = _output_blocks(x, geom, chunks)
    options = (op, pad_value, count_pad, nan, return_indices)
    values: np.ndarray = np.empty([len(b) for b in blocks_per_axis], dtype=object)
    indices: np.ndarray = np.empty_like(values)
    for position in itertools.product(*(range(len(b)) for b in blocks_per_axis)):
        ranges = [blocks_per_axis[a][i] for a, i in enumerate(position)]
        pooled_ranges = [ranges[a] for a in geom.axes]
        slices, local = block_geometry(geom, pooled_ranges)
        for a in range(x.ndim):
            if a not in geom.axes:
                slices[a] = slice(*ranges[a])
        local = _with_other_axes(local, ranges, geom)
        # One chunk, as one delayed object: its graph holds only the chunks it reads.
        slab = x[tuple(slices)].rechunk(-1).to_delayed().ravel()[0]
        starts = [slices[a].start for a in geom.axes]
        task = dask.delayed(_pool_block, pure=True)(slab, local, starts, geom, options)
        shape = tuple(hi - lo for lo, hi in ranges)
        if return_indices:
            pair = dask.delayed(tuple, pure=True)(task)
            values[position] = da.from_delayed(pair[0], shape, dtype=out_dtype)
            indices[position] = da.from_delayed(pair[1], shape, dtype=np.int64)
        else:
            values[position] = da.from_delayed(task, shape, dtype=out_dtype)
    result = da.block(values.tolist())
    if return_indices:
        return result, da.block(indices.tolist())
    return result


def _output_blocks(x: Any, geom: PoolGeometry, chunks: int | None) -> list[list[tuple[int, int]]]:
    """Per axis, the output ranges of the blocks: input chunks on the other axes, and on
    pooled axes about one input chunk's worth of outputs (stride-aligned) per block."""
    per_axis: list[list[tuple[int, int]]] = []
    pooled = {g.axis: g for g in geom.per_axis}
    for a, sizes in enumerate(x.chunks):
        if a not in pooled:
            edges = np.cumsum((0, *sizes)).tolist()
            per_axis.append(list(itertools.pairwise(edges)))
            continue
        g = pooled[a]
        size = chunks or max(1, math.ceil(max(sizes) / g.stride))
        per_axis.append([(lo, min(lo + size, g.out)) for lo in range(0, g.out, size)])
    return per_axis


def _with_other_axes(
    local: PoolGeometry, ranges: list[tuple[int, int]], geom: PoolGeometry
) -> PoolGeometry:
    """The block's geometry with the sizes of its non-pooled axes (a block of those too)."""
    shape, out_shape = list(local.input_shape), list(local.output_shape)
    for a, (lo, hi) in enumerate(ranges):
        if a not in geom.axes:
            shape[a] = out_shape[a] = hi - lo
    return PoolGeometry(tuple(shape), tuple(out_shape), local.axes, local.per_axis, local.ceil_mode)


def _pool_block(
    slab: np.ndarray,
    local: PoolGeometry,
    starts: list[int],
    whole: PoolGeometry,
    options: tuple[Op, float | None, bool, NanPolicy, bool],
) -> Any:
    op, pad_value, count_pad, nan, return_indices = options
    if not return_indices:
        return pool_on(np.asarray(slab), local, op, pad_value, count_pad, nan)
    values, flat = pool_on(
        np.asarray(slab), local, op, pad_value, count_pad, nan, return_indices=True
    )
    # Flat indices into the block's pooled axes, made flat indices into the whole input's.
    local_sizes = [g.size for g in local.per_axis]
    whole_sizes = [g.size for g in whole.per_axis]
    coordinates = np.unravel_index(flat, local_sizes)
    shifted = tuple(c + s for c, s in zip(coordinates, starts))
    return values, np.ravel_multi_index(shifted, whole_sizes).astype(np.int64)
