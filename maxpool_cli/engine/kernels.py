"""Vectorized pooling: separable passes, one pooled axis at a time.

Max, min and sum over a box are separable: pooling axis 0 and then axis 1 gives the same
result as pooling the box at once. Each pass loops over the kernel's taps (never over output
cells) and combines strided views of its input into the pass's output, so no padded copy of
the input is ever made: a tap simply skips the windows for which it falls on padding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from ..errors import DTypeError, ParameterError
from .geometry import AxisGeometry, IntOrSeq, Padding, PoolGeometry, pool_geometry

Op = Literal["max", "min", "avg", "sum"]
NanPolicy = Literal["propagate", "ignore"]
PoolResult = np.ndarray | tuple[np.ndarray, np.ndarray]

OPS = ("max", "min", "avg", "sum")
NAN_POLICIES = ("propagate", "ignore")


def pool(
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
    """Pool an array over one or more axes.

    Parameters
    ----------
    x : array_like
        Bool, integer or float data of any shape.
    kernel, stride, dilation : int or sequence of int
        One value for every pooled axis or one per pooled axis; ``stride=None`` is ``kernel``.
    padding : {"valid", "same"}, int, sequence of int or sequence of (int, int)
        See :func:`pool_geometry`. Padded cells never win: max and min ignore them, avg and
        sum leave them out, unless ``pad_value`` is given.
    ceil_mode : bool
        Round output sizes up, with PyTorch's rule for the last window.
    op : {"max", "min", "avg", "sum"}
    axes : int or sequence of int, optional
        The pooled axes; default the last ``len(kernel)`` or the last ``min(ndim, 2)``.
    pad_value : scalar, optional
        Make padded cells real cells holding this value (``0`` gives zero padding).
    count_pad : bool
        For ``op="avg"``: divide by the window size including padding (PyTorch's
        ``count_include_pad=True``).
    nan : {"propagate", "ignore"}
        ``"propagate"``: a window holding a NaN gives NaN. ``"ignore"``: NaNs are skipped and
        an all-NaN window gives NaN.
    return_indices : bool
        For max and min: also return, as int64, the flat row-major index of the chosen cell
        within the pooled axes of the input (PyTorch's convention).

    Returns
    -------
    ndarray or (ndarray, ndarray)
        Max and min keep the input's dtype. Avg gives float64 for bool and integer input and
        the input's float type otherwise; sum gives int64 for bool and integer input.

    Examples
    --------
    >>> x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.uint8)
    >>> pool(x, 2)
    array([[6, 8],
           [3, 4]], dtype=uint8)
    >>> pool(x, 2, op="avg")
    array([[3.25, 5.25],
           [2.  , 2.  ]])
    >>> pool(np.array([-3.0, -1.0, -2.0]), 2, stride=2, padding=1, return_indices=True)
    (array([-3., -1.]), array([0, 1]))
    """
    arr = np.asarray(x)
    _check_dtype(arr)
    if op not in OPS:
        raise ParameterError(f"op: expected one of {', '.join(OPS)}; got {op!r}")
    if nan not in NAN_POLICIES:
        raise ParameterError(f"nan: expected 'propagate' or 'ignore', got {nan!r}")
    if count_pad and op != "avg":
        raise ParameterError(f"count_pad: only applies to op='avg', got op={op!r}")
    if return_indices and op not in ("max", "min"):
        raise ParameterError(f"return_indices: only applies to op 'max' or 'min', got {op!r}")
    if return_indices and pad_value is not None:
        raise ParameterError(
            "return_indices: cannot be combined with pad_value (a padded cell has no index)"
        )
    geom = pool_geometry(arr.shape, kernel, stride, padding, dilation, ceil_mode, axes)
    pad = None if pad_value is None else _pad_scalar(pad_value, arr.dtype, op)
    ignore_nan = nan == "ignore" and arr.dtype.kind == "f"

    if op in ("max", "min"):
        if return_indices:
            return _arg_extreme(arr, geom, op, ignore_nan)
        return _extreme(arr, geom, op, ignore_nan, pad)
    # inf + -inf is NaN and a float16 sum may overflow to inf: results, not accidents.
    with np.errstate(invalid="ignore", over="ignore"):
        return _sum_or_avg(arr, geom, op, ignore_nan, pad, count_pad)


# --- dtype and parameter checks ---------------------------------------------------------------


def _check_dtype(arr: np.ndarray) -> None:
    if arr.dtype.kind not in "biuf":
        raise DTypeError(
            f"input: dtype {arr.dtype} cannot be pooled; expected bool, integer or float"
        )


def _pad_scalar(value: object, dtype: np.dtype, op: str) -> np.generic:
    """The pad value as a scalar of the dtype the op computes in, refusing lossy values."""
    work = dtype if op in ("max", "min") else _sum_dtype(dtype, op)
    try:
        as_float = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ParameterError(f"pad_value: expected a number, got {value!r}") from None
    if np.isnan(as_float):
        raise ParameterError("pad_value: expected a number, got NaN")
    if work.kind in "biu":
        if as_float != int(as_float) if np.isfinite(as_float) else True:
            raise ParameterError(f"pad_value: expected an integer for {dtype} input, got {value}")
        lo, hi = (0, 1) if work.kind == "b" else (np.iinfo(work).min, np.iinfo(work).max)
        if not lo <= int(as_float) <= hi:
            raise ParameterError(
                f"pad_value: {value} does not fit {work}; expected a value in [{lo}, {hi}]"
            )
        return work.type(int(as_float))
    return work.type(as_float)


def _sum_dtype(dtype: np.dtype, op: str) -> np.dtype:
    """The dtype sums and averages accumulate in."""
    if dtype.kind in "biu":
        # Integer sums are int64 by contract (wrapping on overflow, as numpy.sum does);
        # averages accumulate in float64, which cannot overflow.
        return np.dtype(np.int64 if op == "sum" else np.float64)
    if dtype.itemsize < 8:
        # Accumulate half and single precision in double so that the only rounding is the
        # final one (PyTorch's CPU kernels also accumulate in a wider type).
        return np.dtype(np.float64)
    return dtype


def result_dtype(dtype: np.dtype, op: str) -> np.dtype:
    """The dtype ``pool`` returns for an input dtype and op.

    >>> result_dtype(np.dtype(np.uint8), "max"), result_dtype(np.dtype(np.uint8), "avg")
    (dtype('uint8'), dtype('float64'))
    """
    if op in ("max", "min") or dtype.kind == "f":
        return dtype
    return np.dtype(np.float64 if op == "avg" else np.int64)


# --- helpers shared by the passes -------------------------------------------------------------


def _along(axis: int, index: slice | np.ndarray) -> tuple[slice | np.ndarray, ...]:
    return (slice(None),) * axis + (index,)


def _source(g: AxisGeometry, j: int, lo: int, hi: int) -> slice:
    """The strided input positions that tap ``j`` of windows ``lo..hi-1`` read."""
    start = g.tap_position(lo, j)
    return slice(start, start + (hi - lo - 1) * g.stride + 1, g.stride)


def _pass_shape(shape: tuple[int, ...], g: AxisGeometry) -> tuple[int, ...]:
    return (*shape[: g.axis], g.out, *shape[g.axis + 1 :])


def _counts_on(geom: PoolGeometry, counts: Callable[[AxisGeometry], np.ndarray]) -> np.ndarray:
    """The product over pooled axes of per-axis window counts, broadcastable to the output."""
    total = np.ones((1,) * len(geom.input_shape), dtype=np.int64)
    for g in geom.per_axis:
        shape = [1] * len(geom.input_shape)
        shape[g.axis] = g.out
        total = total * counts(g).reshape(shape)
    return total


# --- max and min ------------------------------------------------------------------------------


def _identity(dtype: np.dtype, op: str, ignore_nan: bool) -> np.generic:
    """The value a window holding no cell yet starts from: it never beats a real cell."""
    if dtype.kind == "b":
        return dtype.type(op == "min")
    if dtype.kind == "f":
        # fmax(nan, x) is x, so NaN is the identity when NaNs are ignored; an all-NaN window
        # then stays NaN as the contract asks.
        return dtype.type(np.nan if ignore_nan else (-np.inf if op == "max" else np.inf))
    info = np.iinfo(dtype)
    return dtype.type(info.min if op == "max" else info.max)


def _extreme(
    arr: np.ndarray, geom: PoolGeometry, op: str, ignore_nan: bool, pad: np.generic | None
) -> np.ndarray:
    if ignore_nan:
        combine = np.fmax if op == "max" else np.fmin
    else:
        combine = np.maximum if op == "max" else np.minimum
    identity = _identity(arr.dtype, op, ignore_nan)
    current = arr
    for g in geom.per_axis:
        current = _extreme_pass(current, g, combine, identity)
        if pad is not None:
            has_pad = np.flatnonzero(g.declared_counts() > g.real_counts())
            where = _along(g.axis, has_pad)
            current[where] = combine(current[where], pad)
    return current


def _extreme_pass(
    src: np.ndarray, g: AxisGeometry, combine: np.ufunc, identity: np.generic
) -> np.ndarray:
    out = np.empty(_pass_shape(src.shape, g), dtype=src.dtype)
    ranges = [g.tap_range(j) for j in range(g.kernel)]
    # Start from the tap that covers the most windows, so that only the few windows it misses
    # need the identity fill.
    first = max(range(g.kernel), key=lambda j: ranges[j][1] - ranges[j][0])
    lo, hi = ranges[first]
    out[_along(g.axis, slice(0, lo))] = identity
    out[_along(g.axis, slice(hi, None))] = identity
    out[_along(g.axis, slice(lo, hi))] = src[_along(g.axis, _source(g, first, lo, hi))]
    for j, (lo, hi) in enumerate(ranges):
        if j == first or lo == hi:
            continue
        dst = out[_along(g.axis, slice(lo, hi))]
        combine(dst, src[_along(g.axis, _source(g, j, lo, hi))], out=dst)
    return out


def _arg_extreme(
    arr: np.ndarray, geom: PoolGeometry, op: str, ignore_nan: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Max or min with the flat index of the winning cell.

    Passes run from the innermost pooled axis outwards, each keeping the first winner in tap
    order, so the overall winner is the first in row-major window order (PyTorch's rule on
    ties). A propagating NaN always takes over, so the last NaN wins (PyTorch's CPU kernel).
    """
    values, flat = arr, None
    place = 1  # the flat-index weight of the current axis among the pooled axes
    for g in reversed(geom.per_axis):
        values, flat = _arg_pass(values, flat, g, place, op, ignore_nan)
        place *= g.size
    assert flat is not None
    return values, flat


def _arg_pass(
    src: np.ndarray,
    src_flat: np.ndarray | None,
    g: AxisGeometry,
    place: int,
    op: str,
    ignore_nan: bool,
) -> tuple[np.ndarray, np.ndarray]:
    shape = _pass_shape(src.shape, g)
    values = np.empty(shape, dtype=src.dtype)
    flat = np.empty(shape, dtype=np.int64)
    seen = np.zeros(g.out, dtype=bool)
    bcast = [1] * src.ndim
    is_float = src.dtype.kind == "f"
    for j in range(g.kernel):
        lo, hi = g.tap_range(j)
        if lo == hi:
            continue
        where = _along(g.axis, slice(lo, hi))
        source = _along(g.axis, _source(g, j, lo, hi))
        cand = src[source]
        best = values[where]
        wins = cand > best if op == "max" else cand < best
        if is_float:
            if ignore_nan:
                wins |= np.isnan(best) & ~np.isnan(cand)
            else:
                wins |= np.isnan(cand)
        bcast[g.axis] = hi - lo
        wins |= (~seen[lo:hi]).reshape(bcast)
        positions = np.arange(g.tap_position(lo, j), g.tap_position(hi, j), g.stride)
        cand_flat = positions.reshape(bcast) * place
        if src_flat is not None:
            cand_flat = cand_flat + src_flat[source]
        np.copyto(best, cand, where=wins)
        np.copyto(flat[where], np.broadcast_to(cand_flat, best.shape), where=wins)
        seen[lo:hi] = True
    return values, flat


# --- sum and average --------------------------------------------------------------------------


def _sum_pass(
    src: np.ndarray,
    g: AxisGeometry,
    dtype: np.dtype,
    prepare: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    out = np.zeros(_pass_shape(src.shape, g), dtype=dtype)
    for j in range(g.kernel):
        lo, hi = g.tap_range(j)
        if lo == hi:
            continue
        tap = src[_along(g.axis, _source(g, j, lo, hi))]
        if prepare is not None:
            tap = prepare(tap)
        dst = out[_along(g.axis, slice(lo, hi))]
        np.add(dst, tap, out=dst, casting="unsafe")
    return out


def _sum_or_avg(
    arr: np.ndarray,
    geom: PoolGeometry,
    op: str,
    ignore_nan: bool,
    pad: np.generic | None,
    count_pad: bool,
) -> np.ndarray:
    acc_dtype = _sum_dtype(arr.dtype, op)
    first, *rest = geom.per_axis
    if ignore_nan:
        total = _sum_pass(arr, first, acc_dtype, lambda t: np.where(np.isnan(t), 0, t))
        real = _sum_pass(arr, first, np.dtype(np.int64), lambda t: ~np.isnan(t))
        for g in rest:
            total = _sum_pass(total, g, acc_dtype)
            real = _sum_pass(real, g, np.dtype(np.int64))
    else:
        total = _sum_pass(arr, first, acc_dtype)
        for g in rest:
            total = _sum_pass(total, g, acc_dtype)
        real = _counts_on(geom, AxisGeometry.real_counts)
    declared = _counts_on(geom, AxisGeometry.declared_counts)
    pad_cells = declared - _counts_on(geom, AxisGeometry.real_counts)
    if pad is not None:
        total = total + pad * pad_cells
        real = real + pad_cells

    if op == "sum":
        if ignore_nan:
            total = np.where(real == 0, np.nan, total)
        return np.asarray(total, dtype=result_dtype(arr.dtype, op))
    divisor = real + pad_cells if count_pad and pad is None else real
    mean = np.true_divide(total, divisor, dtype=np.result_type(acc_dtype, np.float64))
    return np.asarray(mean, dtype=result_dtype(arr.dtype, op))
