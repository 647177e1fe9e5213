"""Integer geometry of pooling: parameter checks, padding rules and output sizes.

Everything here is shape arithmetic; no array data is touched. The rules are PyTorch's for
explicit padding and ``ceil_mode``, and TensorFlow's for ``"same"`` padding (the odd cell of
padding goes after).
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

import numpy as np

from ..errors import ParameterError, ShapeError

IntOrSeq = int | Sequence[int]
Padding = str | int | Sequence[int] | Sequence[tuple[int, int]]


@dataclass(frozen=True)
class AxisGeometry:
    """The pooling geometry along one pooled axis.

    Window ``i`` reads the cells ``i * stride - pad_before + j * dilation`` for ``j`` in
    ``range(kernel)``. Cells in ``[0, size)`` are real, cells in ``[-pad_before, 0)`` and
    ``[size, size + pad_after)`` are declared padding, and cells past that (which only
    ``ceil_mode`` produces) are overhang: never part of any window.
    """

    axis: int
    size: int
    kernel: int
    stride: int
    dilation: int
    pad_before: int
    pad_after: int
    out: int

    @property
    def span(self) -> int:
        """The effective kernel size, ``dilation * (kernel - 1) + 1``."""
        return self.dilation * (self.kernel - 1) + 1

    def tap_position(self, i: int, j: int) -> int:
        """The input position that tap ``j`` of window ``i`` reads (may be padding)."""
        return i * self.stride - self.pad_before + j * self.dilation

    def tap_range(self, j: int) -> tuple[int, int]:
        """The windows ``[lo, hi)`` whose tap ``j`` falls on a real cell (``lo == hi``: none)."""
        offset = self.pad_before - j * self.dilation
        lo = max(0, -(-offset // self.stride))
        hi = min(self.out, (self.size - 1 + offset) // self.stride + 1)
        return lo, max(lo, hi)

    def declared_range(self, j: int) -> tuple[int, int]:
        """The windows ``[0, hi)`` whose tap ``j`` falls on a real or declared padding cell."""
        last = self.size + self.pad_after + self.pad_before - 1 - j * self.dilation
        return 0, max(0, min(self.out, last // self.stride + 1))

    def real_counts(self) -> np.ndarray:
        """How many real cells each window holds along this axis (int64, length ``out``)."""
        return self._counts(self.tap_range)

    def declared_counts(self) -> np.ndarray:
        """How many real or declared padding cells each window holds along this axis."""
        return self._counts(self.declared_range)

    def _counts(self, tap_range: Callable[[int], tuple[int, int]]) -> np.ndarray:
        counts = np.zeros(self.out, dtype=np.int64)
        for j in range(self.kernel):
            lo, hi = tap_range(j)
            counts[lo:hi] += 1
        return counts


@dataclass(frozen=True)
class PoolGeometry:
    """Input and output shapes and the per-axis geometry of one pooling call."""

    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    axes: tuple[int, ...]
    per_axis: tuple[AxisGeometry, ...]
    ceil_mode: bool

    @property
    def kernel(self) -> tuple[int, ...]:
        return tuple(g.kernel for g in self.per_axis)

    @property
    def stride(self) -> tuple[int, ...]:
        return tuple(g.stride for g in self.per_axis)

    @property
    def dilation(self) -> tuple[int, ...]:
        return tuple(g.dilation for g in self.per_axis)

    @property
    def padding(self) -> tuple[tuple[int, int], ...]:
        """The padding actually used, one ``(before, after)`` pair per pooled axis."""
        return tuple((g.pad_before, g.pad_after) for g in self.per_axis)


def mirror(geom: PoolGeometry) -> PoolGeometry:
    """The same pooling of the transposed array (all axes reversed).

    A Fortran-order array is the C-order array of its reversed shape; pooling that one with
    the mirrored geometry and transposing back gives the same result.
    """
    ndim = len(geom.input_shape)
    per_axis = sorted(
        (dataclasses.replace(g, axis=ndim - 1 - g.axis) for g in geom.per_axis),
        key=lambda g: g.axis,
    )
    return PoolGeometry(
        geom.input_shape[::-1],
        geom.output_shape[::-1],
        tuple(g.axis for g in per_axis),
        tuple(per_axis),
        geom.ceil_mode,
    )


def axis_band(g: AxisGeometry, lo: int, hi: int) -> tuple[int, int, AxisGeometry]:
    """The input positions ``[start, stop)``, and the geometry on them, that give outputs
    ``lo..hi-1`` along one pooled axis.

    The band keeps the leading padding it still needs, and the trailing padding only when it
    reaches the end of the input, so padding and ceil_mode overhang stay what they were.
    """
    start = max(0, lo * g.stride - g.pad_before)
    stop = min(g.size, (hi - 1) * g.stride - g.pad_before + g.span)
    band = AxisGeometry(
        axis=g.axis,
        size=stop - start,
        kernel=g.kernel,
        stride=g.stride,
        dilation=g.dilation,
        pad_before=g.pad_before + start - lo * g.stride,
        pad_after=g.size + g.pad_after - stop if stop == g.size else 0,
        out=hi - lo,
    )
    return start, stop, band


def block_geometry(
    geom: PoolGeometry, ranges: Sequence[tuple[int, int]]
) -> tuple[list[slice], PoolGeometry]:
    """The input block, and the geometry on it, that give one block of the output.

    ``ranges`` holds one ``(lo, hi)`` range of outputs per pooled axis (in ``geom.axes``
    order). Pooling ``x[slices]`` with the returned geometry gives exactly that block of
    pooling ``x`` with ``geom``, bit for bit.
    """
    slices = [slice(None)] * len(geom.input_shape)
    shape, out_shape = list(geom.input_shape), list(geom.output_shape)
    per_axis = []
    for g, (lo, hi) in zip(geom.per_axis, ranges):
        start, stop, band = axis_band(g, lo, hi)
        slices[g.axis] = slice(start, stop)
        shape[g.axis], out_shape[g.axis] = band.size, band.out
        per_axis.append(band)
    return slices, PoolGeometry(
        tuple(shape), tuple(out_shape), geom.axes, tuple(per_axis), geom.ceil_mode
    )


def band_geometry(geom: PoolGeometry, lo: int, hi: int) -> tuple[int, int, PoolGeometry]:
    """The input rows, and the geometry on them, that give outputs ``lo..hi-1`` of the first
    pooled axis: ``(start, stop, geometry)``; the other axes are taken whole.

    >>> g = pool_geometry((10,), kernel=3, stride=2, padding=1)
    >>> start, stop, band = band_geometry(g, 2, 4)
    >>> start, stop, band.per_axis[0].pad_before, band.output_shape
    (3, 8, 0, (2,))
    """
    first, *rest = geom.per_axis
    start, stop, band = axis_band(first, lo, hi)
    shape, out_shape = list(geom.input_shape), list(geom.output_shape)
    shape[first.axis], out_shape[first.axis] = band.size, band.out
    # The other pooled axes keep their whole extent (rows are read whole).
    banded = PoolGeometry(tuple(shape), tuple(out_shape), geom.axes, (band, *rest), geom.ceil_mode)
    return start, stop, banded


def pool_geometry(
    shape: Sequence[int],
    kernel: IntOrSeq = 2,
    stride: IntOrSeq | None = None,
    padding: Padding = "valid",
    dilation: IntOrSeq = 1,
    ceil_mode: bool = False,
    axes: int | Sequence[int] | None = None,
) -> PoolGeometry:
    """Check pooling parameters against a shape and compute the output shape and padding.

    Parameters
    ----------
    shape : sequence of int
        The input's shape.
    kernel, stride, dilation : int or sequence of int
        One value for every pooled axis, or one value per pooled axis. ``stride=None`` means
        ``stride = kernel``.
    padding : {"valid", "same"}, int, sequence of int or sequence of (int, int)
        ``"same"`` is TensorFlow's rule: ``ceil(n / stride)`` outputs, the odd cell of padding
        after. An int pads every side; one int per axis pads both sides of that axis; one
        ``(before, after)`` pair per axis pads each side on its own.
    ceil_mode : bool
        Round the output size up (PyTorch's rule: the last window must start inside the input
        or the leading padding).
    axes : int or sequence of int, optional
        The pooled axes. Default: the last ``len(kernel)`` axes when ``kernel`` is a sequence,
        else the last ``min(ndim, 2)``.

    Returns
    -------
    PoolGeometry

    Raises
    ------
    ParameterError
        A parameter is invalid on its own.
    ShapeError
        The parameters do not fit the shape.

    Examples
    --------
    >>> g = pool_geometry((5, 5), kernel=2, stride=2, padding=1)
    >>> g.output_shape
    (3, 3)
    >>> pool_geometry((5, 5), kernel=3, stride=2, padding="same").padding
    ((1, 1), (1, 1))
    >>> pool_geometry((4, 4), kernel=2, stride=3, padding="same").padding
    ((0, 1), (0, 1))
    """
    in_shape = _shape(shape)
    pooled = _pooled_axes(in_shape, kernel, axes)
    count = len(pooled)
    kernels = _per_axis("kernel", kernel, count, minimum=1)
    strides = kernels if stride is None else _per_axis("stride", stride, count, minimum=1)
    dilations = _per_axis("dilation", dilation, count, minimum=1)
    if not isinstance(ceil_mode, (bool, np.bool_)):
        raise ParameterError(f"ceil_mode: expected True or False, got {ceil_mode!r}")

    # Parameters pair with `pooled` in the order the caller gave; geometry is kept in axis order.
    order = sorted(range(count), key=lambda i: pooled[i])
    sizes = [in_shape[pooled[i]] for i in range(count)]
    pads = _padding(padding, count, sizes, kernels, strides, dilations, bool(ceil_mode))
    per_axis = tuple(
        _axis_geometry(
            pooled[i], sizes[i], kernels[i], strides[i], dilations[i], pads[i], bool(ceil_mode)
        )
        for i in order
    )
    out_shape = list(in_shape)
    for g in per_axis:
        out_shape[g.axis] = g.out
    return PoolGeometry(
        input_shape=in_shape,
        output_shape=tuple(out_shape),
        axes=tuple(g.axis for g in per_axis),
        per_axis=per_axis,
        ceil_mode=bool(ceil_mode),
    )


def _as_int(name: str, value: object) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise ParameterError(f"{name}: expected an integer, got {value!r}")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise ParameterError(f"{name}: expected an integer, got {value!r}") from None


def _shape(shape: Sequence[int]) -> tuple[int, ...]:
    dims = tuple(_as_int("shape", n) for n in shape)
    if not dims:
        raise ShapeError("input: expected at least 1 dimension, got a 0-d scalar")
    if any(n < 0 for n in dims):
        raise ShapeError(f"input: expected non-negative dimensions, got shape {dims}")
    return dims


def _is_seq(value: object) -> TypeGuard[Sequence[Any] | np.ndarray]:
    return isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, (str, bytes))


def _pooled_axes(
    shape: tuple[int, ...], kernel: IntOrSeq, axes: int | Sequence[int] | None
) -> tuple[int, ...]:
    ndim = len(shape)
    if axes is None:
        count = len(kernel) if _is_seq(kernel) else min(ndim, 2)
        if count == 0:
            raise ParameterError("kernel: expected at least one value, got an empty sequence")
        if count > ndim:
            raise ShapeError(
                f"kernel: got {count} values but the input has only {ndim} dimensions {shape}"
            )
        return tuple(range(ndim - count, ndim))
    return normalize_axes(shape, axes)


def normalize_axes(shape: tuple[int, ...], axes: int | Sequence[int]) -> tuple[int, ...]:
    """Axes as non-negative ints in the caller's order, refusing repeats and out-of-range ones.

    >>> normalize_axes((2, 3, 4), (-1, 0))
    (2, 0)
    """
    ndim = len(shape)
    raw = list(axes) if _is_seq(axes) else [axes]
    if not raw:
        raise ParameterError("axes: expected at least one axis, got an empty sequence")
    result = []
    for a in raw:
        axis = _as_int("axes", a)
        if not -ndim <= axis < ndim:
            raise ShapeError(f"axes: axis {axis} is out of range for {ndim}-d input {shape}")
        result.append(axis % ndim)
    if len(set(result)) != len(result):
        raise ParameterError(f"axes: expected distinct axes, got {tuple(raw)}")
    return tuple(result)


def _per_axis(name: str, value: IntOrSeq, count: int, minimum: int) -> list[int]:
    values = list(value) if _is_seq(value) else [value] * count
    if len(values) != count:
        raise ParameterError(
            f"{name}: expected 1 or {count} values (one per pooled axis), got {len(values)}"
        )
    ints = [_as_int(name, v) for v in values]
    if any(v < minimum for v in ints):
        got = tuple(ints) if _is_seq(value) else ints[0]
        raise ParameterError(f"{name}: expected integers >= {minimum}, got {got}")
    return ints


def _padding(
    padding: Padding,
    count: int,
    sizes: list[int],
    kernels: list[int],
    strides: list[int],
    dilations: list[int],
    ceil_mode: bool,
) -> list[tuple[int, int]]:
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return [(0, 0)] * count
        if mode == "same":
            if ceil_mode:
                raise ParameterError(
                    "ceil_mode: has no effect with padding 'same' (which already gives "
                    "ceil(n / stride) outputs); expected ceil_mode=False"
                )
            pads = []
            for n, k, s, d in zip(sizes, kernels, strides, dilations):
                out = -(-n // s)
                total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
                pads.append((total // 2, total - total // 2))
            return pads
        raise ParameterError(
            f"padding: expected 'valid', 'same', an int or per-axis values, got {padding!r}"
        )
    if not _is_seq(padding):
        p = _as_int("padding", padding)
        pairs = [(p, p)] * count
    else:
        items = list(padding)
        if len(items) != count:
            raise ParameterError(
                f"padding: expected 1 or {count} values (one per pooled axis), got {len(items)}"
            )
        pairs = []
        for item in items:
            if _is_seq(item):
                pair = list(item)
                if len(pair) != 2:
                    raise ParameterError(
                        f"padding: expected (before, after) pairs, got {tuple(pair)!r}"
                    )
                pairs.append((_as_int("padding", pair[0]), _as_int("padding", pair[1])))
            else:
                p = _as_int("padding", item)
                pairs.append((p, p))
    if any(b < 0 or a < 0 for b, a in pairs):
        raise ParameterError(f"padding: expected integers >= 0, got {pairs}")
    return pairs


def _axis_geometry(
    axis: int,
    n: int,
    k: int,
    s: int,
    d: int,
    pad: tuple[int, int],
    ceil_mode: bool,
) -> AxisGeometry:
    pb, pa = pad
    span = d * (k - 1) + 1
    where = f"axis {axis}"
    if n + pb + pa < span:
        if pb == pa == 0:
            raise ShapeError(
                f"{where}: kernel spans {span} cells (kernel {k}, dilation {d}) but the input "
                f"has only {n}; expected a smaller kernel or padding"
            )
        raise ShapeError(
            f"{where}: kernel spans {span} cells (kernel {k}, dilation {d}) but the padded "
            f"input has only {n + pb + pa} ({pb} + {n} + {pa})"
        )
    room = n + pb + pa - span
    out = (-(-room // s) if ceil_mode else room // s) + 1
    if ceil_mode and (out - 1) * s >= n + pb:
        out -= 1
    geom = AxisGeometry(axis, n, k, s, d, pb, pa, out)
    _check_windows_touch_input(geom)
    return geom


def _check_windows_touch_input(g: AxisGeometry) -> None:
    """Refuse geometries where some window holds padding only: it would have no value."""
    if g.size == 0:
        raise ShapeError(f"axis {g.axis}: the input has length 0; expected at least 1 cell")
    last_start = g.tap_position(g.out - 1, 0)
    bad: int | None = None
    if g.pad_before > g.span - 1:
        bad = 0
    elif last_start >= g.size:
        bad = g.out - 1
    elif g.dilation > g.size:
        # Taps further apart than the input is long can jump over it entirely.
        leading = min(g.out, -(-g.pad_before // g.stride))
        for i in range(leading):
            if not any(0 <= g.tap_position(i, j) < g.size for j in range(g.kernel)):
                bad = i
                break
    if bad is not None:
        raise ShapeError(
            f"axis {g.axis}: window {bad} covers padding only (input length {g.size}, kernel "
            f"{g.kernel}, stride {g.stride}, dilation {g.dilation}, padding "
            f"({g.pad_before}, {g.pad_after})); expected every window to overlap the input, "
            f"so less padding"
        )
