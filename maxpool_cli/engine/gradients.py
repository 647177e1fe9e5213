"""Going back: unpooling by indices, and the gradient of pooling with respect to its input.

Both follow PyTorch: ``unpool`` is ``max_unpool``; ``pool_backward`` equals autograd's
gradient, adding the contributions to each input cell in the order PyTorch's CPU kernels do
(output cells in row-major order), so float64 gradients are identical to PyTorch's.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from ..errors import DTypeError, ParameterError, ShapeError
from .geometry import IntOrSeq, Padding, PoolGeometry, normalize_axes, pool_geometry
from .kernels import NanPolicy, Op, pool, pooling_input


def _to_end(array: np.ndarray, axes: Sequence[int]) -> np.ndarray:
    """The pooled axes moved last and flattened: shape (others..., prod(pooled))."""
    moved = np.moveaxis(array, list(axes), list(range(array.ndim - len(axes), array.ndim)))
    lead = moved.shape[: array.ndim - len(axes)]
    return moved.reshape(*lead, math.prod(moved.shape[len(lead) :]))  # (-1 fails when empty)


def _from_end(flat: np.ndarray, shape: tuple[int, ...], axes: Sequence[int]) -> np.ndarray:
    """The inverse of :func:`_to_end`, as a C-contiguous array of ``shape``."""
    moved_shape = [n for a, n in enumerate(shape) if a not in axes] + [shape[a] for a in axes]
    moved = flat.reshape(moved_shape)
    back = np.moveaxis(moved, list(range(len(shape) - len(axes), len(shape))), list(axes))
    return np.ascontiguousarray(back)


def unpool(
    y: np.typing.ArrayLike,
    indices: np.typing.ArrayLike,
    shape: int | Sequence[int],
    axes: int | Sequence[int] | None = None,
) -> np.ndarray:
    """Put pooled values back where they came from, zeros elsewhere (PyTorch's max_unpool).

    Parameters
    ----------
    y, indices : array_like
        Pooled values and the indices ``pool(..., return_indices=True)`` gave with them.
    shape : int or sequence of int
        The input's shape before pooling, as PyTorch's ``output_size``: either the whole shape
        (a sequence as long as ``y.ndim``, e.g. ``x.shape``) or the sizes of the pooled axes
        only.
    axes : int or sequence of int, optional
        The pooled axes, as given to ``pool``. Default: with the whole shape, pool's default
        (the last ``min(ndim, 2)`` axes); with pooled sizes, the last ``len(shape)``.

    Raises
    ------
    ShapeError
        A shape that contradicts ``y`` or cannot say which axes were pooled (pass ``axes``),
        or an index outside the pooled axes.

    Examples
    --------
    >>> x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])
    >>> y, i = pool(x, 2, return_indices=True)
    >>> unpool(y, i, x.shape)
    array([[0, 0, 0, 0],
           [0, 6, 0, 8],
           [3, 0, 0, 0],
           [0, 0, 0, 4]])
    >>> batch = np.stack([x, -x])[:, None]  # (2, 1, 4, 4), pooled over its last two axes
    >>> y, i = pool(batch, 2, return_indices=True)
    >>> unpool(y, i, batch.shape).shape, unpool(y, i, (4, 4)).shape
    ((2, 1, 4, 4), (2, 1, 4, 4))
    """
    values = pooling_input(y)
    where = np.asarray(indices)
    if where.dtype.kind not in "iu":
        raise DTypeError(f"indices: expected integers, got dtype {where.dtype}")
    if where.shape != values.shape:
        raise ShapeError(f"indices: shape {where.shape} differs from the values' {values.shape}")
    if values.ndim == 0:
        raise ShapeError("y: expected at least 1 dimension, got a 0-d scalar")
    out_shape, pooled = _unpool_target(values.shape, shape, axes)
    sizes = [out_shape[a] for a in pooled]
    span = math.prod(sizes)
    if where.size and (where.min() < 0 or where.max() >= span):
        raise ShapeError(
            f"indices: values from {where.min()} to {where.max()}, expected 0 to {span - 1} "
            f"for pooled axes {tuple(pooled)} of sizes {tuple(sizes)}"
        )
    flat_out = np.zeros(
        (*[n for a, n in enumerate(out_shape) if a not in pooled], span), values.dtype
    )
    # Overlapping windows can name one cell twice; they carry the same value, written in order.
    np.put_along_axis(flat_out, _to_end(where, pooled), _to_end(values, pooled), axis=-1)
    return _from_end(flat_out, out_shape, pooled)


def _unpool_target(
    pooled_shape: tuple[int, ...], shape: int | Sequence[int], axes: int | Sequence[int] | None
) -> tuple[tuple[int, ...], list[int]]:
    """The unpooled array's shape and its pooled axes (sorted), from ``shape`` and ``axes``.

    A ``shape`` as long as ``y.ndim`` is the whole input shape; a shorter one holds the sizes
    of the pooled axes. Whatever cannot be told apart is refused rather than guessed.
    """
    ndim = len(pooled_shape)
    sizes = [shape] if isinstance(shape, (int, np.integer)) else list(shape)
    sizes = [_size(n) for n in sizes]
    if not sizes or len(sizes) > ndim:
        raise ShapeError(
            f"shape: expected the input shape ({ndim} sizes) or the sizes of the pooled axes "
            f"(fewer), got {tuple(sizes)} for y of shape {pooled_shape}"
        )
    given = None if axes is None else list(normalize_axes(pooled_shape, axes))
    if len(sizes) < ndim:  # the sizes of the pooled axes, in the order of `axes`
        pooled = given if given is not None else list(range(ndim - len(sizes), ndim))
        if len(pooled) != len(sizes):
            raise ShapeError(
                f"shape: {len(sizes)} sizes for {len(pooled)} pooled axes {tuple(pooled)}; "
                f"expected one size per pooled axis, or the whole input shape"
            )
        full = list(pooled_shape)
        for a, n in zip(pooled, sizes):
            full[a] = n
        return tuple(full), sorted(pooled)
    # The whole input shape: axes that changed size were pooled.
    changed = [a for a in range(ndim) if sizes[a] != pooled_shape[a]]
    if given is not None:
        stray = [a for a in changed if a not in given]
        if stray:
            raise ShapeError(
                f"shape: {tuple(sizes)} differs from y's {pooled_shape} on axes {tuple(stray)}, "
                f"which are not among the pooled axes {tuple(given)}"
            )
        return tuple(sizes), sorted(given)
    default = list(range(max(0, ndim - 2), ndim))  # pool's default: the last min(ndim, 2)
    same = [a for a in default if a not in changed]
    if any(a not in default for a in changed) or (ndim > 1 and same):
        raise ShapeError(
            f"shape: {tuple(sizes)} is the whole input shape of y {pooled_shape}, but which "
            f"axes were pooled cannot be told from it (axes {tuple(changed)} changed size, "
            f"pool's default would be {tuple(default)}); pass axes= as given to pool, or only "
            f"the pooled axes' sizes"
        )
    return tuple(sizes), default


def _size(n: object) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise ParameterError(f"shape: expected integer sizes, got {n!r}")
    if n < 1:
        raise ParameterError(f"shape: expected sizes >= 1, got {n}")
    return int(n)


def pool_backward(
    grad_out: np.typing.ArrayLike,
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
) -> np.ndarray:
    """The gradient of ``pool(x, ...)`` with respect to ``x``, given the output's gradient.

    Max and min route each output's gradient to the cell it came from (the same cell
    ``return_indices`` names), summing where windows overlap; avg spreads it over the window's
    real cells with the forward's divisor; sum gives it to every real cell. Padding gets
    nothing. The result has the shape of ``x`` and the float dtype of ``grad_out`` (float64 for
    an integer gradient).

    Examples
    --------
    >>> x = np.array([[1.0, 3.0], [2.0, 0.0]])
    >>> pool_backward(np.array([[10.0]]), x, 2)
    array([[ 0., 10.],
           [ 0.,  0.]])
    >>> pool_backward(np.array([[10.0]]), x, 2, op="avg")
    array([[2.5, 2.5],
           [2.5, 2.5]])
    """
    arr = pooling_input(x)
    grad = pooling_input(grad_out)
    dtype = grad.dtype if grad.dtype.kind == "f" else np.dtype(np.float64)
    geom = pool_geometry(arr.shape, kernel, stride, padding, dilation, ceil_mode, axes)
    if grad.shape != geom.output_shape:
        raise ShapeError(
            f"grad_out: shape {grad.shape}, expected the pooled output's {geom.output_shape}"
        )
    if op in ("max", "min"):
        if pad_value is not None:
            raise ParameterError(
                "pad_value: not supported by pool_backward for max and min (a padded winner "
                "has no input cell to send its gradient to)"
            )
        _, indices = pool(
            arr,
            kernel,
            stride,
            padding,
            dilation,
            ceil_mode,
            op,
            axes,
            nan=nan,
            return_indices=True,
        )
        return _route(grad.astype(dtype, copy=False), indices, geom)
    if op not in ("avg", "sum"):
        raise ParameterError(f"op: expected one of max, min, avg, sum; got {op!r}")
    if count_pad and op != "avg":
        raise ParameterError(f"count_pad: only applies to op='avg', got op={op!r}")
    return _spread(grad.astype(dtype, copy=False), arr, geom, op, pad_value, count_pad, nan)


def _route(grad: np.ndarray, indices: np.ndarray, geom: PoolGeometry) -> np.ndarray:
    """Max/min: each output's gradient added to its winning cell, outputs in row-major order."""
    pooled = list(geom.axes)
    span = math.prod(g.size for g in geom.per_axis)
    flat_grad = _to_end(grad, pooled)
    flat_idx = _to_end(indices, pooled)
    planes = flat_grad.reshape(-1, flat_grad.shape[-1])
    result = np.zeros((planes.shape[0], span), dtype=grad.dtype)
    offsets = np.arange(planes.shape[0])[:, None] * span
    # np.add.at adds repeated indices one after another, in order: PyTorch's CPU loop.
    np.add.at(
        result.reshape(-1),
        (flat_idx.reshape(planes.shape) + offsets).reshape(-1),
        planes.reshape(-1),
    )
    lead = [n for a, n in enumerate(geom.input_shape) if a not in pooled]
    return _from_end(result.reshape(*lead, span), geom.input_shape, pooled)


def _spread(
    grad: np.ndarray,
    arr: np.ndarray,
    geom: PoolGeometry,
    op: str,
    pad_value: float | None,
    count_pad: bool,
    nan: str,
) -> np.ndarray:
    """Avg/sum: each output's share added to every real cell of its window.

    Taps are visited in reverse row-major window order, so each input cell receives its
    shares in the row-major order of the outputs, as PyTorch's CPU kernel adds them.
    """
    ignore_nan = nan == "ignore" and arr.dtype.kind == "f"
    share = grad
    if op == "avg":
        per_axis = [
            g.declared_counts() if (count_pad or pad_value is not None) else g.real_counts()
            for g in geom.per_axis
        ]
        divisor = np.ones((1,) * arr.ndim, dtype=np.int64)
        for g, counts in zip(geom.per_axis, per_axis):
            shape = [1] * arr.ndim
            shape[g.axis] = g.out
            divisor = divisor * counts.reshape(shape)
        if ignore_nan:
            real = pool(
                ~np.isnan(arr),
                geom.kernel,
                geom.stride,
                geom.padding,
                geom.dilation,
                geom.ceil_mode,
                "sum",
                geom.axes,
            )
            divisor = real + (
                divisor - _real_cells(geom, arr.ndim) if pad_value is not None or count_pad else 0
            )
        with np.errstate(invalid="ignore", divide="ignore"):
            share = (grad / divisor.astype(grad.dtype)).astype(grad.dtype)
    result = np.zeros(arr.shape, dtype=grad.dtype)
    taps = list(itertools.product(*(range(g.kernel) for g in geom.per_axis)))
    for tap in reversed(taps):
        source = [slice(None)] * arr.ndim
        target = [slice(None)] * arr.ndim
        for g, j in zip(geom.per_axis, tap):
            lo, hi = g.tap_range(j)
            if lo == hi:
                break
            start = g.tap_position(lo, j)
            source[g.axis] = slice(start, start + (hi - lo - 1) * g.stride + 1, g.stride)
            target[g.axis] = slice(lo, hi)
        else:
            cells = result[tuple(source)]
            add = share[tuple(target)]
            if ignore_nan:
                add = np.where(np.isnan(arr[tuple(source)]), 0, add)
            np.add(cells, add, out=cells)
    return result


def _real_cells(geom: PoolGeometry, ndim: int) -> np.ndarray:
    counts = np.ones((1,) * ndim, dtype=np.int64)
    for g in geom.per_axis:
        shape = [1] * ndim
        shape[g.axis] = g.out
        counts = counts * g.real_counts().reshape(shape)
    return counts
