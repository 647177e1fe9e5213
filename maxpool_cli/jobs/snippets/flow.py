"""The data on its way in and out: the NumPy lines around the library's call (flips,
dtype conversions, axes moved and batched, and back), and the dtypes maxpool adds in."""

from __future__ import annotations

import math

import numpy as np

from .job import _Job
from .writer import _Code, _dtype_name, _seq

_LAYOUT = {1: "L", 2: "H, W", 3: "D, H, W"}


class _Flow:
    """The NumPy statements that prepare ``x`` for the library (into ``v``, of dtype
    ``work``) and turn its result back into ``y`` with maxpool's shape and dtype."""

    def __init__(self, job: _Job, code: _Code) -> None:
        self.job = job
        self.code = code
        self.name = "x"
        self.work = job.dtype
        self.flip = False
        self.shift = False
        self.moved = False

    def step(self, expression: str, comment: str = "") -> None:
        self.code.add(f"v = {expression.format(v=self.name)}", comment)
        self.name = "v"

    def flip_for_min(self) -> None:
        if self.job.floats:
            self.step("-{v}", "min pooling is max pooling of -x")
        else:
            self.step("~{v}", "min pooling is max pooling of ~x (= -x - 1, which cannot overflow)")
        self.flip = True

    def convert(self, dtype: np.dtype, why: str) -> None:
        if dtype != self.work:
            self.step(f"{{v}}.astype({_dtype_name(dtype)})", why)
            self.work = np.dtype(dtype)

    def shift_uint64(self, why: str) -> None:
        self.step("({v} ^ np.uint64(1 << 63)).view(np.int64)", why)
        self.work = np.dtype(np.int64)
        self.shift = True

    def move_axes_last(self) -> None:
        job = self.job
        last = tuple(range(len(job.shape) - job.m, len(job.shape)))
        if job.axes != last:
            self.step(f"np.moveaxis({{v}}, {_seq(job.axes)}, {_seq(last)})", "pooled axes last")
            self.moved = True

    def batch(self, library: str, function: str) -> None:
        """The layout the frameworks' pooling wants: a batch and a channel axis around the
        pooled ones (every index of the other axes becomes a batch item)."""
        job = self.job
        names = _LAYOUT.get(job.m, "...")
        if library == "torch":
            layout, expand = f"(N, C, {names})", "{v}[None, None]"
            reshape = f"{{v}}.reshape({_seq((math.prod(job.lead), 1, *job.spatial))})"
        else:
            layout, expand = f"(N, {names}, C)", "{v}[None, ..., None]"
            reshape = f"{{v}}.reshape({(math.prod(job.lead), *job.spatial, 1)})"
        self.step(reshape if job.lead else expand, f"{function} wants {layout}")

    def unbatch(self, library: str) -> str:
        """The NumPy expression that drops the batch and channel axes of ``y`` again."""
        job = self.job
        if job.lead:
            return f".reshape({(*job.lead, *job.out_spatial)})"
        return "[0, 0]" if library == "torch" else "[0, ..., 0]"

    def pad_value(self) -> float | int:
        """The pad value in the work dtype, flipped or shifted as the data are (a Python int
        for integer data, whose values a float may not hold)."""
        value = self.job.pad_value
        assert value is not None
        if self.job.dtype.kind == "f":
            return -value if self.flip else value
        number = int(value)
        if self.flip:  # (max and min pad values fit the dtype)
            number = int(~self.job.dtype.type(number))
        if self.shift:  # the top bit flipped, read as int64
            number = int(np.array(number ^ (1 << 63), dtype=np.uint64).view(np.int64))
        return number

    def finish(self, source: str) -> None:
        """``y`` from the library's result (``source``, a NumPy array): axes moved back, the
        dtype restored, the flip undone."""
        job = self.job
        if source != "y":
            self.code.add(f"y = {source}")
        if self.moved:
            last = tuple(range(len(job.shape) - job.m, len(job.shape)))
            self.code.add(f"y = np.moveaxis(y, {_seq(last)}, {_seq(job.axes)})")
        if self.shift:
            self.code.add("y = (y ^ np.int64(-(1 << 63))).view(np.uint64)", "the top bit back")
        elif self.flip:
            back = f".astype({_dtype_name(job.dtype)})" if self.work != job.dtype else ""
            self.code.add(f"y = {'-' if job.floats else '~'}y{back}")
        elif self.work != job.result:
            self.code.add(f"y = y.astype({_dtype_name(job.result)})", "maxpool's dtype")


def _sum_dtype(job: _Job) -> np.dtype:
    """The dtype maxpool adds sums and averages in."""
    if job.dtype.kind in "biu":
        return np.dtype(np.int64 if job.op == "sum" else np.float64)
    return np.dtype(np.float32) if job.dtype.itemsize < 4 else job.dtype


def _why_sum_dtype(job: _Job) -> str:
    if job.dtype.kind in "biu":
        return (
            "maxpool sums integers in int64"
            if job.op == "sum"
            else "maxpool averages integers in float64"
        )
    return "maxpool adds float16 in float32"


def _why_convert(job: _Job, work: np.dtype, function: str) -> str:
    if job.op == "avg":
        return _why_sum_dtype(job)
    if work.kind == "f":
        return f"{function} takes no {job.dtype.name}; {work.name} holds every value exactly"
    return f"{function} takes no {job.dtype.name}; {work.name} holds every value"
