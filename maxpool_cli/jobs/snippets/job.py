"""What a snippet computes: the pooled axes and options, worked out once from the options
and the geometry, and the maxpool call that agrees (named in the snippet's header)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...engine import AdaptiveGeometry, PoolGeometry, result_dtype
from ..options import PoolOptions
from .writer import _one_or_all

Geometry = PoolGeometry | AdaptiveGeometry


@dataclass(frozen=True)
class _Axis:
    """One pooled axis: its length, kernel, stride, dilation, padding and output size."""

    n: int
    k: int
    s: int
    d: int
    pb: int
    pa: int
    out: int
    counts: tuple[int, ...]  # per window, its cells that count (real, or padding that counts)

    @property
    def e(self) -> int:
        return self.d * (self.k - 1) + 1

    @property
    def over(self) -> int:
        """Cells past the declared padding that the last window reaches (ceil_mode only)."""
        return max(0, (self.out - 1) * self.s + self.e - (self.n + self.pb + self.pa))

    def windows_in(self, length: int) -> int:
        """How many windows a valid pooling of ``length`` cells gives."""
        return (length - self.e) // self.s + 1

    def torch_ceil_windows(self) -> int:
        """How many windows PyTorch's ceil_mode gives on the axis padded beforehand."""
        length = self.n + self.pb + self.pa
        out = -(-(length - self.e) // self.s) + 1
        return out - 1 if (out - 1) * self.s >= length else out


@dataclass(frozen=True)
class _Job:
    """Everything a snippet needs, worked out once from the options and the geometry."""

    op: str
    dtype: np.dtype
    shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    axes: tuple[int, ...]
    fixed: tuple[_Axis, ...]  # empty for adaptive pooling
    spans: tuple[tuple[tuple[int, int], ...], ...]  # adaptive windows per axis, else empty
    pad_value: float | None
    count_pad: bool
    ignore: bool  # float data whose NaNs are skipped
    ceil_mode: bool
    same: bool  # TensorFlow's SAME padding
    call: str  # the maxpool call that gives the same

    @classmethod
    def of(cls, options: PoolOptions, geometry: Geometry, dtype: np.dtype) -> _Job:
        count_pad = options.count_pad and options.op == "avg"
        counted = options.pad_value is not None or count_pad
        fixed: tuple[_Axis, ...] = ()
        spans: tuple[tuple[tuple[int, int], ...], ...] = ()
        ceil_mode = False
        if isinstance(geometry, AdaptiveGeometry):
            spans = geometry.windows
        else:
            ceil_mode = geometry.ceil_mode
            fixed = tuple(
                _Axis(
                    g.size,
                    g.kernel,
                    g.stride,
                    g.dilation,
                    g.pad_before,
                    g.pad_after,
                    g.out,
                    tuple(int(c) for c in (g.declared_counts() if counted else g.real_counts())),
                )
                for g in geometry.per_axis
            )
        padding = options.padding
        return cls(
            op=options.op,
            dtype=dtype,
            shape=geometry.input_shape,
            out_shape=geometry.output_shape,
            axes=geometry.axes,
            fixed=fixed,
            spans=spans,
            pad_value=options.pad_value,
            count_pad=count_pad,
            ignore=options.nan == "ignore" and dtype.kind == "f",
            ceil_mode=ceil_mode,
            same=isinstance(padding, str) and padding.lower() == "same",
            call=_call(options, geometry),
        )

    @property
    def m(self) -> int:
        return len(self.axes)

    @property
    def lead(self) -> tuple[int, ...]:
        """The sizes of the axes that are not pooled, in order."""
        return tuple(n for a, n in enumerate(self.shape) if a not in self.axes)

    @property
    def spatial(self) -> tuple[int, ...]:
        return tuple(self.shape[a] for a in self.axes)

    @property
    def out_spatial(self) -> tuple[int, ...]:
        return tuple(self.out_shape[a] for a in self.axes)

    @property
    def floats(self) -> bool:
        return self.dtype.kind == "f"

    @property
    def result(self) -> np.dtype:
        return self.dtype if self.op == "mode" else result_dtype(self.dtype, self.op)

    @property
    def partial(self) -> bool:
        """Whether some window holds fewer cells that count than the kernel has."""
        return any(min(a.counts) < a.k for a in self.fixed)

    @property
    def dilated(self) -> bool:
        return any(a.d > 1 for a in self.fixed)

    @property
    def mask(self) -> bool:
        """Whether the cells that count must be marked apart from the values."""
        return self.partial and (self.op == "mode" or (self.op == "avg" and not self.ignore))


def _call(options: PoolOptions, geometry: Geometry) -> str:
    """``maxpool_cli.pool(x, kernel=3, stride=2, padding=1)``: the library call that agrees."""
    args = ["x"]
    adaptive = isinstance(geometry, AdaptiveGeometry)
    if isinstance(geometry, AdaptiveGeometry):
        args.append(f"output_size={_one_or_all(geometry.output_size)}")
    else:
        args.append(f"kernel={_one_or_all(geometry.kernel)}")
        if geometry.stride != geometry.kernel:
            args.append(f"stride={_one_or_all(geometry.stride)}")
        pads = geometry.padding
        if isinstance(options.padding, str) and options.padding.lower() == "same":
            args.append('padding="same"')
        elif any(b or a for b, a in pads):
            if all(b == a for b, a in pads):
                args.append(f"padding={_one_or_all(tuple(b for b, _ in pads))}")
            else:
                args.append(f"padding={pads}")
        if any(d != 1 for d in geometry.dilation):
            args.append(f"dilation={_one_or_all(geometry.dilation)}")
        if geometry.ceil_mode:
            args.append("ceil_mode=True")
    if options.op != "max":
        args.append(f'op="{options.op}"')
    ndim = len(geometry.input_shape)
    if geometry.axes != tuple(range(ndim - min(ndim, 2), ndim)):
        args.append(f"axes={geometry.axes}")
    if options.pad_value is not None and not adaptive:
        args.append(f"pad_value={options.pad_value!r}")
    if options.count_pad and options.op == "avg" and not adaptive:
        args.append("count_pad=True")
    if options.nan != "propagate":
        args.append(f'nan="{options.nan}"')
    return f"maxpool_cli.{'adaptive_pool' if adaptive else 'pool'}({', '.join(args)})"
