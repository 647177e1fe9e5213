"""Vectorized pooling: separable passes, one pooled axis at a time.

Max, min and sum over a box are separable: pooling axis 0 and then axis 1 gives the same
result as pooling the box at once. Each pass loops over the kernel's taps (never over output
cells) and combines strided views of its input into the pass's output, so no padded copy of
the input is ever made: a tap simply skips the windows for which it falls on padding.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any, Literal, overload

import numpy as np

from ..errors import DTypeError, ParameterError
from .geometry import AxisGeometry, IntOrSeq, Padding, PoolGeometry, mirror, pool_geometry
from .mode import mode_pool
from .passes import Prepare, Workspace, along, bands, clipped_tap_ranges, reduce_pass, tap_source

Op = Literal["max", "min", "avg", "sum", "mode"]
NanPolicy = Literal["propagate", "ignore"]
PoolResult = np.ndarray | tuple[np.ndarray, np.ndarray]

OPS = ("max", "min", "avg", "sum", "mode")
NAN_POLICIES = ("propagate", "ignore")


@overload
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
    return_indices: Literal[False] = False,
) -> np.ndarray: ...


@overload
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
    *,
    return_indices: Literal[True],
) -> tuple[np.ndarray, np.ndarray]: ...


@overload
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
) -> PoolResult: ...


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
    op : {"max", "min", "avg", "sum", "mode"}
        ``"mode"``: the most frequent value of each window, ties to the smallest (label
        maps; integer and bool data only).
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
        Max, min and mode keep the input's dtype. Avg gives float64 for bool and integer input and
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
    >>> pool(np.array([[1, 2, 5, 7], [3, 2, 7, 5]]), 2, op="mode")  # 2 twice; 5 and 7 tie
    array([[2, 5]])
    """
    arr = pooling_input(x)
    check_parameters(arr.dtype, op, nan, return_indices, pad_value, count_pad)
    geom = pool_geometry(arr.shape, kernel, stride, padding, dilation, ceil_mode, axes)
    return pool_on(arr, geom, op, pad_value, count_pad, nan, return_indices)


@overload
def pool_on(
    arr: np.ndarray,
    geom: PoolGeometry,
    op: Op = "max",
    pad_value: float | None = None,
    count_pad: bool = False,
    nan: NanPolicy = "propagate",
    return_indices: Literal[False] = False,
) -> np.ndarray: ...


@overload
def pool_on(
    arr: np.ndarray,
    geom: PoolGeometry,
    op: Op = "max",
    pad_value: float | None = None,
    count_pad: bool = False,
    nan: NanPolicy = "propagate",
    *,
    return_indices: Literal[True],
) -> tuple[np.ndarray, np.ndarray]: ...


@overload
def pool_on(
    arr: np.ndarray,
    geom: PoolGeometry,
    op: Op = "max",
    pad_value: float | None = None,
    count_pad: bool = False,
    nan: NanPolicy = "propagate",
    return_indices: bool = False,
) -> PoolResult: ...


def pool_on(
    arr: np.ndarray,
    geom: PoolGeometry,
    op: Op = "max",
    pad_value: float | None = None,
    count_pad: bool = False,
    nan: NanPolicy = "propagate",
    return_indices: bool = False,
) -> PoolResult:
    """Pool ``arr`` with a geometry already worked out (checked by :func:`pool_geometry`).

    The out-of-core path calls this once per band of a large array, with the band's own
    geometry (:func:`maxpool_cli.engine.geometry.band_geometry`).
    """
    arr = pooling_input(arr)
    fortran = arr.ndim > 1 and arr.flags.f_contiguous and not arr.flags.c_contiguous
    if fortran and not return_indices:  # (flat indices follow the array's own axis order)
        # Pool a Fortran-order array in its memory order: bands along its slowest axis, and
        # the same additions in the same order as the out-of-core path makes.
        return pool_on(arr.T, mirror(geom), op, pad_value, count_pad, nan).T
    check_parameters(arr.dtype, op, nan, return_indices, pad_value, count_pad)
    pad = None if pad_value is None else _pad_scalar(pad_value, arr.dtype, op)
    ignore_nan = nan == "ignore" and arr.dtype.kind == "f"

    if op == "mode":
        return mode_pool(arr, geom, pad)
    if op in ("max", "min"):
        if return_indices:
            return _arg_extreme(arr, geom, op, ignore_nan)
        return _extreme(arr, geom, op, ignore_nan, pad)
    # inf + -inf is NaN and a float16 sum may overflow to inf: results, not accidents.
    with np.errstate(invalid="ignore", over="ignore"):
        return _sum_or_avg(arr, geom, op, ignore_nan, pad, count_pad)


# --- dtype and parameter checks ---------------------------------------------------------------


def check_choices(op: str, nan: str, return_indices: bool) -> None:
    """Refuse an unknown op or NaN policy, and indices for ops that pick no cell."""
    if op not in OPS:
        raise ParameterError(f"op: expected one of {', '.join(OPS)}; got {op!r}")
    if nan not in NAN_POLICIES:
        raise ParameterError(f"nan: expected 'propagate' or 'ignore', got {nan!r}")
    if return_indices and op not in ("max", "min"):
        raise ParameterError(f"return_indices: only applies to op 'max' or 'min', got {op!r}")


def check_op_dtype(op: str, dtype: np.dtype) -> None:
    """Refuse the most frequent value of floats: equal floats are an accident, not a label."""
    if op == "mode" and dtype.kind == "f":
        raise DTypeError(
            f"op: mode counts equal values, for integer or bool data (label maps); got {dtype} "
            f"(pool floats with max, min or avg)"
        )


def check_parameters(
    dtype: np.dtype,
    op: str,
    nan: str,
    return_indices: bool,
    pad_value: object = None,
    count_pad: bool = False,
) -> None:
    """Every check of the pooling parameters that does not need the shape, for every entry
    point (``pool``, ``dask.pool``, ``reference_pool``, ``adaptive_pool``): a combination one
    refuses, all refuse."""
    check_dtype(dtype)
    check_combination(op, nan, return_indices, pad_value, count_pad)
    check_op_dtype(op, dtype)


def check_combination(
    op: str,
    nan: str,
    return_indices: bool,
    pad_value: object = None,
    count_pad: bool = False,
) -> None:
    """The checks of :func:`check_parameters` that need no data: a job runs them before it
    reads any file or looks at its outputs.

    >>> check_combination("max", "propagate", True, pad_value=0)
    Traceback (most recent call last):
    ...
    maxpool_cli.errors.ParameterError: return_indices: cannot be combined with pad_value \
(a padded cell has no index)
    """
    check_choices(op, nan, return_indices)
    if count_pad and op != "avg":
        raise ParameterError(f"count_pad: only applies to op='avg', got op={op!r}")
    if return_indices and pad_value is not None:
        raise ParameterError(
            "return_indices: cannot be combined with pad_value (a padded cell has no index)"
        )


def check_dtype(dtype: np.dtype) -> None:
    """Refuse data that has no order to pool by (complex, object, string, ...)."""
    if dtype.kind not in "biuf":
        raise DTypeError(f"input: dtype {dtype} cannot be pooled; expected bool, integer or float")


def pooling_input(x: np.typing.ArrayLike) -> np.ndarray:
    """``x`` as an array the kernels take: of a poolable dtype, in the machine's byte order.

    A big-endian array (a ``.npy`` written on another machine, a Zarr or TIFF of that order)
    is converted once here, because ufuncs refuse an output dtype of the other byte order;
    results come in the native order of the same dtype.

    >>> pooling_input(np.arange(3, dtype=">i4")).dtype.isnative
    True
    """
    arr = np.asarray(x)
    check_dtype(arr.dtype)
    if arr.dtype.isnative:
        return arr
    return arr.astype(arr.dtype.newbyteorder("="))


def _pad_scalar(value: object, dtype: np.dtype, op: str) -> Any:
    """The pad value as a scalar of the dtype the op computes in, refusing lossy values."""
    work = dtype if op in ("max", "min", "mode") else sum_dtype(dtype, op)
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


def sum_dtype(dtype: np.dtype, op: str) -> np.dtype:
    """The dtype sums and averages accumulate in."""
    if dtype.kind in "biu":
        # Integer sums are int64 by contract (wrapping on overflow, as numpy.sum does);
        # averages accumulate in float64, which cannot overflow.
        return np.dtype(np.int64 if op == "sum" else np.float64)
    if dtype.itemsize < 4:
        return np.dtype(np.float32)  # float16 would lose integers past 2048
    # Single precision adds in single precision, as PyTorch's CPU kernels do: a double
    # accumulator would cost a conversion per cell and halve the speed.
    return dtype


def result_dtype(dtype: np.dtype, op: str) -> np.dtype:
    """The dtype ``pool`` returns for an input dtype and op.

    >>> result_dtype(np.dtype(np.uint8), "max"), result_dtype(np.dtype(np.uint8), "avg")
    (dtype('uint8'), dtype('float64'))
    """
    if op in ("max", "min", "mode") or dtype.kind == "f":
        return dtype.newbyteorder("=")  # (big-endian input gives native output)
    return np.dtype(np.float64 if op == "avg" else np.int64)


# --- running the passes band by band ------------------------------------------------------


def _separable(
    src: np.ndarray,
    geom: PoolGeometry,
    combine: np.ufunc,
    identity: object,
    dtype: np.dtype,
    finish: Callable[[np.ndarray, int, int], None],
    prepare: Prepare | None = None,
    fix: Callable[[np.ndarray, AxisGeometry, int, int], None] | None = None,
    out: np.ndarray | None = None,
) -> None:
    """Run one pass per pooled axis over ``src``, band by band along the first pooled axis.

    ``finish(band, lo, hi)`` receives each band's result (outputs ``lo..hi-1`` of the first
    pooled axis); ``fix(band, g, lo, hi)`` may adjust it after the pass along ``g``. When
    ``out`` is given and its band is C-contiguous, the last pass writes straight into it.
    """
    ws = Workspace()
    first, *rest = geom.per_axis
    row_bytes = src.size // max(1, first.size) * dtype.itemsize
    # A pass with a window of one cell and no step or padding would only copy: skipped (an
    # (1, k) kernel on a very wide row then needs no row-sized intermediate).
    skip = [_is_identity(g) and (n > 0 or prepare is None) for n, g in enumerate(geom.per_axis)]
    if all(skip):
        skip[-1] = False
    for lo, hi in bands(first, row_bytes):
        shape = list(src.shape)
        shape[first.axis] = hi - lo
        everything = [(first, lo, hi), *((g, 0, g.out) for g in rest)]
        passes = [p for p, skipped in zip(everything, skip) if not skipped]
        current = src[along(first.axis, slice(lo, hi))] if skip[0] else src
        for n, (g, a, b) in enumerate(passes):
            shape[g.axis] = b - a if g is first else g.out
            target = None
            if n == len(passes) - 1 and out is not None:
                target = out[along(first.axis, slice(lo, hi))]
                if not target.flags.c_contiguous:
                    target = None
            if target is None:
                target = ws.get(f"pass{n % 2}", tuple(shape), dtype)
            reduce_pass(
                current, target, g, a, b, combine, identity, ws, prepare if n == 0 else None
            )
            if fix is not None:
                fix(target, g, a, b)
            current = target
        finish(current, lo, hi)


def _is_identity(g: AxisGeometry) -> bool:
    return g.kernel == 1 and g.stride == 1 and g.pad_before == 0 and g.pad_after == 0


def _store(out: np.ndarray, axis: int) -> Callable[[np.ndarray, int, int], None]:
    """A ``finish`` that copies each band into ``out`` (unless it was written there already)."""

    def finish(band: np.ndarray, lo: int, hi: int) -> None:
        target = out[along(axis, slice(lo, hi))]
        if not np.shares_memory(band, target):
            target[...] = band

    return finish


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


def _combiner(op: str, ignore_nan: bool) -> np.ufunc:
    if ignore_nan:
        return np.fmax if op == "max" else np.fmin
    return np.maximum if op == "max" else np.minimum


def _extreme(
    arr: np.ndarray, geom: PoolGeometry, op: str, ignore_nan: bool, pad: np.generic | None
) -> np.ndarray:
    combine = _combiner(op, ignore_nan)
    out = np.empty(geom.output_shape, dtype=arr.dtype)
    fix = None
    if pad is not None:
        padded = {
            g.axis: np.flatnonzero(g.declared_counts() > g.real_counts()) for g in geom.per_axis
        }

        def fix(band: np.ndarray, g: AxisGeometry, lo: int, hi: int) -> None:
            # Separable still: along this axis, a window holding padding also holds the value.
            where = padded[g.axis]
            where = where[(where >= lo) & (where < hi)] - lo
            index = along(g.axis, where)
            band[index] = combine(band[index], pad)

    identity = _identity(arr.dtype, op, ignore_nan)
    first = geom.per_axis[0].axis
    _separable(arr, geom, combine, identity, arr.dtype, _store(out, first), fix=fix, out=out)
    return out


def _arg_extreme(
    arr: np.ndarray, geom: PoolGeometry, op: str, ignore_nan: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Max or min, and the flat index of the cell each window's value came from.

    The values come from the separable passes. Then, band by band, every tap of the whole
    window is compared with them; each match scores ``len(taps) - t`` for tap ``t`` in
    row-major window order, and the highest score wins: the first matching cell, PyTorch's
    rule on ties. (A running maximum of scores is branch-free, unlike a masked copy.) A window
    whose value is NaN takes the last NaN (PyTorch's CPU kernel), or, with NaNs ignored and
    so all its cells NaN, the first.
    """
    combine = _combiner(op, ignore_nan)
    identity = _identity(arr.dtype, op, ignore_nan)
    values = np.empty(geom.output_shape, dtype=arr.dtype)
    indices = np.empty(geom.output_shape, dtype=np.int64)
    taps = list(itertools.product(*(range(g.kernel) for g in geom.per_axis)))
    score_dtype = np.min_scalar_type(2 * len(taps))  # NaN scores sit above the others
    # A cell's flat index is the window's start (per axis) plus the tap's offset.
    places = [math.prod(g.size for g in geom.per_axis[n + 1 :]) for n in range(len(taps[0]))]
    offsets = np.array(
        [sum(j * g.dilation * p for j, g, p in zip(t, geom.per_axis, places)) for t in taps],
        dtype=np.int64,
    )
    by_score = np.concatenate([[0], offsets[::-1]])  # score len(taps) - t -> offsets[t]
    by_nan_score = np.concatenate([[0], offsets])  # score t + 1 -> offsets[t]
    first = geom.per_axis[0]
    ws = Workspace()

    def finish(band: np.ndarray, lo: int, hi: int) -> None:
        target = values[along(first.axis, slice(lo, hi))]
        if not np.shares_memory(band, target):
            target[...] = band
        ranges = [
            clipped_tap_ranges(g, lo, hi) if n == 0 else clipped_tap_ranges(g, 0, g.out)
            for n, g in enumerate(geom.per_axis)
        ]
        best = ws.get("best", band.shape, score_dtype)
        best[...] = 0
        match = ws.get("match", band.shape, np.dtype(np.bool_))
        score = ws.get("score", band.shape, score_dtype)
        for t, tap in enumerate(taps):
            block = _tap_block(arr, geom, tap, ranges, lo)
            if block is None:
                continue
            cells, at = block
            np.equal(cells, band[at], out=match[at])
            np.multiply(match[at], score_dtype.type(len(taps) - t), out=score[at])
            np.maximum(best[at], score[at], out=best[at])
        lookup = by_score
        if arr.dtype.kind == "f" and np.isnan(band).any():
            # NaN windows matched nothing (NaN != NaN); score their NaN cells instead.
            best_nan = ws.get("best_nan", band.shape, score_dtype)
            best_nan[...] = 0
            for t, tap in enumerate(taps):
                block = _tap_block(arr, geom, tap, ranges, lo)
                if block is None:
                    continue
                cells, at = block
                # NaN is the one value unequal to itself. (np.isnan would do, but NumPy 2.4's
                # SIMD isnan writes wrong cells into a strided output like match[at].)
                np.not_equal(cells, cells, out=match[at])
                if ignore_nan:
                    # All-NaN windows only; the first NaN wins, scored as ties are.
                    match[at] &= np.isnan(band[at])
                    value = len(taps) - t
                else:
                    value = t + 1  # the last NaN wins
                np.multiply(match[at], score_dtype.type(value), out=score[at])
                np.maximum(best_nan[at], score[at], out=best_nan[at])
            if ignore_nan:
                np.maximum(best, best_nan, out=best)
            else:
                nan_windows = best_nan > 0
                lookup = np.concatenate([by_score, by_nan_score[1:]])
                np.add(best_nan, len(taps), out=best, where=nan_windows, casting="unsafe")
        target = indices[along(first.axis, slice(lo, hi))]
        np.take(lookup, best, out=target, mode="clip")
        for n, (g, place) in enumerate(zip(geom.per_axis, places)):
            start = np.arange(lo, hi) if n == 0 else np.arange(g.out)
            shape = [1] * arr.ndim
            shape[g.axis] = len(start)
            target += ((start * g.stride - g.pad_before) * place).reshape(shape)

    _separable(arr, geom, combine, identity, arr.dtype, finish, out=values)
    return values, indices


def _tap_block(
    arr: np.ndarray,
    geom: PoolGeometry,
    tap: tuple[int, ...],
    ranges: list[list[tuple[int, int]]],
    base: int,
) -> tuple[np.ndarray, tuple[slice, ...]] | None:
    """The input cells one tap of every window reads, and the band positions of those windows.

    Only windows for which the tap is real on every pooled axis are included; ``None`` when
    there are none.
    """
    source = [slice(None)] * arr.ndim
    out_index = [slice(None)] * arr.ndim
    for n, (g, j) in enumerate(zip(geom.per_axis, tap)):
        a, b = ranges[n][j]
        if a == b:
            return None
        source[g.axis] = tap_source(g, j, a, b)
        shift = base if n == 0 else 0
        out_index[g.axis] = slice(a - shift, b - shift)
    return arr[tuple(source)], tuple(out_index)


# --- sum and average --------------------------------------------------------------------------


def _sum_or_avg(
    arr: np.ndarray,
    geom: PoolGeometry,
    op: str,
    ignore_nan: bool,
    pad: np.generic | None,
    count_pad: bool,
) -> np.ndarray:
    acc_dtype = sum_dtype(arr.dtype, op)
    out = np.empty(geom.output_shape, dtype=result_dtype(arr.dtype, op))
    first = geom.per_axis[0]
    real = [g.real_counts() for g in geom.per_axis]
    declared = [g.declared_counts() for g in geom.per_axis]
    # Per axis, how many cells a window divides by: padding counts when it holds a value.
    divisors = declared if (count_pad or pad is not None) else real
    nan_counts = None
    if ignore_nan:
        # How many non-NaN cells each window holds: a separable sum of its own.
        nan_counts = np.empty(geom.output_shape, dtype=np.int64)
        _separable(
            arr,
            geom,
            np.add,
            0,
            np.dtype(np.int64),
            _store(nan_counts, first.axis),
            prepare=lambda v: ~np.isnan(v),
            out=nan_counts,
        )

    def finish(total: np.ndarray, lo: int, hi: int) -> None:
        target = out[along(first.axis, slice(lo, hi))]
        band = along(first.axis, slice(lo, hi))
        pad_cells = 0
        if pad is not None or (count_pad and nan_counts is not None):
            ndim = arr.ndim
            pad_cells = _outer(ndim, _band_counts(geom, declared, lo, hi)) - _outer(
                ndim, _band_counts(geom, real, lo, hi)
            )
        if pad is not None:
            # Only where there is padding: an infinite pad value times no cells is no NaN.
            held = np.zeros(np.shape(pad_cells), dtype=np.result_type(pad, pad_cells))
            np.multiply(pad, pad_cells, out=held, where=pad_cells > 0)
            total = total + held
        if op == "sum":
            if nan_counts is not None:  # all-NaN windows (padding holding a value is no NaN)
                values = nan_counts[band] + (pad_cells if pad is not None else 0)
                total = np.where(values == 0, np.nan, total)
            target[...] = total
        elif nan_counts is not None:
            count = nan_counts[band] + pad_cells
            np.true_divide(total, count, out=target, casting="unsafe")
        else:
            _divide(total, target, geom, divisors, lo, hi)

    prepare = (lambda v: np.where(np.isnan(v), 0, v)) if ignore_nan else None
    _separable(arr, geom, np.add, 0, acc_dtype, finish, prepare=prepare)
    return out


def _band_counts(
    geom: PoolGeometry, per_axis: list[np.ndarray], lo: int, hi: int
) -> list[tuple[int, np.ndarray]]:
    """Per pooled axis, its counts for the band ``lo..hi-1`` (the first axis is the banded one)."""
    return [
        (g.axis, counts[lo:hi] if n == 0 else counts)
        for n, (g, counts) in enumerate(zip(geom.per_axis, per_axis))
    ]


def _outer(ndim: int, per_axis: list[tuple[int, np.ndarray]]) -> np.ndarray:
    """The product of per-axis counts, broadcastable to the arrays they count for."""
    total = np.ones((1,) * ndim, dtype=np.int64)
    for axis, values in per_axis:
        shape = [1] * ndim
        shape[axis] = len(values)
        total = total * values.reshape(shape)
    return total


def _divide(
    total: np.ndarray,
    target: np.ndarray,
    geom: PoolGeometry,
    divisors: list[np.ndarray],
    lo: int,
    hi: int,
) -> None:
    """``target = total / divisor`` where the divisor is the window's cell count.

    Inside the input every window holds the whole kernel, so one scalar divides almost
    everything; the edge windows along each axis are divided again by their own counts.
    """
    full = math.prod(g.kernel for g in geom.per_axis)
    np.true_divide(total, full, out=target, casting="unsafe")
    local = _band_counts(geom, divisors, lo, hi)
    for n, (g, (axis, counts)) in enumerate(zip(geom.per_axis, local)):
        edges = np.flatnonzero(counts != g.kernel)
        if edges.size == 0:
            continue
        index = along(axis, edges)
        divisor = _outer(total.ndim, [*local[:n], (axis, counts[edges]), *local[n + 1 :]])
        target[index] = total[index] / divisor
