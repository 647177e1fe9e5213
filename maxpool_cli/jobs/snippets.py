"""The same pooling in PyTorch, TensorFlow or NumPy: short runnable snippets (``--code``).

A snippet turns a NumPy array ``x`` into ``y`` equal to what ``pool(x, ...)`` (or
``adaptive_pool``) gives with the same options: the same shape and dtype, and the same values
(bit for bit for max, min and mode; within a few ulp for avg and sum, whose additions run in
another order). It calls the library's own pooling function where that computes exactly this
(``F.max_pool2d``, ``tf.nn.max_pool``, ...); where it cannot, a comment says why, and the
snippet takes the windows apart itself (``unfold``, ``tf.gather``, ``sliding_window_view``)
and reduces them. Snippets are built from the options and the geometry alone: plain strings,
no framework is imported here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import DTypeLike

from ..engine import AdaptiveGeometry, PoolGeometry, result_dtype
from ..errors import ParameterError
from .options import PoolOptions

LIBRARIES = ("torch", "tf", "numpy")
LINE = 99  # a comment goes beside its code when the line stays this short, else above it

Geometry = PoolGeometry | AdaptiveGeometry
Pads = list[tuple[tuple[tuple[int, int], ...], str, str]]  # (per-axis pairs, value, why)

# What the frameworks' pooling kernels take on the CPU (PyTorch 2.13, TensorFlow 2.21).
_TORCH_INT_POOL = {"int8", "int16", "int32", "int64", "uint8"}  # F.max_pool2d/3d, not 1d
_TF_MAX_POOL = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8"}
_TF_MAX_POOL |= {"uint16"}
_EXACT_IN_FLOAT32 = {"bool", "int8", "int16", "uint8", "uint16", "float16", "float32"}
_LAYOUT = {1: "L", 2: "H, W", 3: "D, H, W"}


def snippet(library: str, options: PoolOptions, geometry: Geometry, dtype: DTypeLike) -> str:
    """Python code computing, from a NumPy array ``x``, ``y`` equal to maxpool's result.

    Parameters
    ----------
    library : {"torch", "tf", "numpy"}
    options : PoolOptions
        The op, ``pad_value``, ``count_pad`` and ``nan`` policy (and ``padding``, to tell
        TensorFlow's ``same`` apart).
    geometry : PoolGeometry or AdaptiveGeometry
        The geometry the engine pools ``x`` with (it holds the input shape and pooled axes).
    dtype : dtype-like
        The dtype of ``x``.

    Returns
    -------
    str
        The snippet: imports, a comment saying what it computes, the code; ends with a newline.

    Examples
    --------
    >>> from maxpool_cli.engine import pool_geometry
    >>> g = pool_geometry((4, 4), kernel=2)
    >>> print(snippet("numpy", PoolOptions(kernel=2), g, "int64"), end="")
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view
    <BLANKLINE>
    # x: a (4, 4) int64 array; y = maxpool_cli.pool(x, kernel=2)
    w = sliding_window_view(x, (2, 2), axis=(0, 1))[::2, ::2]  # every 2x2 window, 2 cells apart
    y = w.max(axis=(-2, -1))  # the largest of each window's cells (axes -2, -1)
    """
    if library not in LIBRARIES:
        raise ParameterError(f"--code: expected one of {', '.join(LIBRARIES)}; got {library!r}")
    job = _Job.of(options, geometry, np.dtype(dtype))
    code = _Code()
    if job.spans:
        if library == "torch" and _torch_adaptive_work(job) is not None:
            _torch_adaptive(job, code)
        else:
            _adaptive_loop(job, code, library)
    elif library == "numpy":
        _windows(job, code, "numpy")
    else:
        work, why = (_torch_route if library == "torch" else _tf_route)(job)
        if work is None:
            _windows(job, code, library, why)
        elif library == "torch":
            _torch_native(job, code, work)
        else:
            _tf_native(job, code, work)
    header = _Code()
    header.note(f"x: a {job.shape} {job.dtype} array; y = {job.call}")
    return f"{_imports(library, code.text())}\n\n{header.text()}{code.text()}"


# --- what is pooled ---------------------------------------------------------------------------


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


def _one_or_all(values: tuple[int, ...]) -> str:
    return str(values[0]) if len(set(values)) == 1 else str(values)


def _imports(library: str, body: str) -> str:
    lines = ["import numpy as np"]
    if library == "torch":
        lines.append("import torch")
        if "F." in body:
            lines.append("import torch.nn.functional as F")
    elif library == "tf":
        lines.append("import tensorflow as tf")
    if "sliding_window_view" in body:
        lines.append("from numpy.lib.stride_tricks import sliding_window_view")
    return "\n".join(lines)


class _Code:
    """Lines of Python, each with an optional comment (beside it if short, else above)."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._indent = ""

    def add(self, line: str, comment: str = "") -> None:
        line = self._indent + line
        if comment and len(line) + 4 + len(comment) <= LINE:
            line = f"{line}  # {comment}"
        elif comment:
            self.note(comment)
        self._lines.append(line)

    def note(self, comment: str) -> None:
        """A comment line of its own, wrapped to the line length."""
        words, line = comment.split(), ""
        for word in words:
            if line and len(self._indent) + 2 + len(line) + 1 + len(word) > LINE:
                self._lines.append(f"{self._indent}# {line}")
                line = word
            else:
                line = f"{line} {word}" if line else word
        self._lines.append(f"{self._indent}# {line}")

    def block(self, header: str) -> None:
        self._lines.append(self._indent + header)
        self._indent += "    "

    def end(self) -> None:
        self._indent = self._indent[:-4]

    def text(self) -> str:
        return "".join(line + "\n" for line in self._lines)


# --- values written into code -----------------------------------------------------------------


def _dtype_name(dtype: np.dtype) -> str:
    return "np.bool_" if dtype.kind == "b" else f"np.{dtype.name}"


def _literal(value: object, dtype: np.dtype, library: str) -> str:
    """``value`` as a literal of ``dtype`` (ints as ints, infinities and NaN by name)."""
    if dtype.kind == "b":
        return "True" if value else "False"
    if dtype.kind in "iu":
        return str(int(value))  # type: ignore[call-overload]
    number = float(value)  # type: ignore[arg-type]
    module = "torch" if library == "torch" else "np"
    if math.isnan(number):
        return f"{module}.nan"
    if math.isinf(number):
        return f"{module}.inf" if number > 0 else f"-{module}.inf"
    return repr(number)


def _extreme(dtype: np.dtype, library: str, highest: bool) -> str:
    """The value a max (``highest=False``) or a min never picks."""
    if dtype.kind == "f":
        return _literal(math.inf if highest else -math.inf, dtype, library)
    if dtype.kind == "b":
        return _literal(highest, dtype, library)
    return f"np.iinfo({_dtype_name(dtype)}).{'max' if highest else 'min'}"


def _seq(values: tuple[int, ...]) -> str:
    return str(values[0]) if len(values) == 1 else str(values)


def _index(whole: int, parts: list[str]) -> str:
    """``[:, ::2, ::2]``: ``whole`` leading axes taken whole, then ``parts`` (trailing whole
    axes dropped; nothing at all when every axis is whole)."""
    items = [":"] * whole + parts
    while items and items[-1] == ":":
        items.pop()
    return f"[{', '.join(items)}]" if items else ""


def _window_words(job: _Job, library: str) -> str:
    """``every 3x3 window, 2 cells apart: its cells in the last 2 axes``."""
    kernel = "x".join(str(a.k) for a in job.fixed) + ("-cell" if job.m == 1 else "")
    strides = {a.s for a in job.fixed}
    if len(strides) == 1:
        stride = strides.pop()
        apart = f"{stride} cell{'s' if stride > 1 else ''} apart"
    else:
        apart = "strides " + "x".join(str(a.s) for a in job.fixed)
    if library == "tf" and job.m > 1:
        return f"every {kernel} window, {apart}: (windows, cells) per axis"
    return f"every {kernel} window, {apart}"


# --- the data on its way in and out: NumPy lines around the library's call --------------------


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


# --- padding --------------------------------------------------------------------------------


def _fills(job: _Job, flow: _Flow, library: str) -> tuple[str, str, str, str]:
    """What declared padding and ceil_mode's overhang hold for the reduction: (declared
    value, overhang value, why, why), as literals of the work dtype."""
    work = flow.work
    op = job.op
    if job.ignore:
        nothing, why = _literal(math.nan, work, library), "NaN: skipped like the data's NaN"
    elif op in ("max", "min"):
        highest = op == "min" and not flow.flip
        nothing, why = _extreme(work, library, highest), "padded cells never win"
    elif op == "mode":
        nothing, why = _literal(0, work, library), "any value: `real` says it does not count"
    elif op == "avg" and job.mask:
        nothing, why = _literal(0, work, library), "zeros add nothing; `count` leaves them out"
    else:
        nothing, why = _literal(0, work, library), "zeros add nothing"
    over_why = "ceil_mode: cells past the padding never count"
    if job.pad_value is not None:
        value = _literal(flow.pad_value(), work, library)
        return value, nothing, f"--pad-value: padded cells hold {job.pad_value:g}", over_why
    if job.count_pad:
        zero = _literal(0, work, library)
        return zero, nothing, "zeros that count (--count-pad, count_include_pad=True)", over_why
    return nothing, nothing, why, over_why


def _pad_steps(
    job: _Job, fills: tuple[str, str, str, str], overhang: bool = True, merge: bool = True
) -> Pads:
    """The constant paddings to apply in turn, per pooled axis ``(before, after)``: the
    declared padding, then ceil_mode's overhang (one step when both hold the same and
    ``merge``)."""
    declared, over, why, over_why = fills
    pairs = tuple((a.pb, a.pa) for a in job.fixed)
    extra = tuple((0, a.over if overhang else 0) for a in job.fixed)
    steps: Pads = []
    if declared == over and merge:
        merged = tuple((b, a + o) for (b, a), (_, o) in zip(pairs, extra))
        if any(b or a for b, a in merged):
            steps.append((merged, declared, why if any(b or a for b, a in pairs) else over_why))
        return steps
    if any(b or a for b, a in pairs):
        steps.append((pairs, declared, why))
    if any(o for _, o in extra):
        steps.append((extra, over, over_why))
    return steps


def _padded_lengths(job: _Job, steps: Pads) -> list[int]:
    return [
        a.n + sum(pairs[i][0] + pairs[i][1] for pairs, _, _ in steps)
        for i, a in enumerate(job.fixed)
    ]


def _pad_line(
    library: str,
    array: str,
    pairs: tuple[tuple[int, int], ...],
    value: str,
    layout: tuple[int, ...],
    where: tuple[int, ...],
) -> str:
    """Code padding ``array`` (of ``layout``'s number of axes) by ``pairs`` on the axes
    ``where``."""
    if library == "torch":  # F.pad takes the last axis first; the padded axes are the last
        flat = tuple(n for pair in reversed(pairs) for n in pair)
        return f"F.pad({array}, {flat}, value={value})"
    width = [[0, 0] for _ in layout]
    for axis, pair in zip(where, pairs):
        width[axis] = list(pair)
    if library == "tf":
        return f"tf.pad({array}, {width}, constant_values={value})"
    return f"np.pad({array}, {tuple(tuple(w) for w in width)}, constant_values={value})"


# --- windows taken apart: NumPy, and the frameworks where their pooling cannot do it ----------

_TENSOR = {"torch": "torch.tensor", "tf": "tf.constant"}
_ONES = {"torch": "torch.ones_like", "tf": "tf.ones_like", "numpy": "np.ones_like"}
_BOOL = {"torch": "torch.bool", "tf": "tf.bool", "numpy": "bool"}


def _windows(job: _Job, code: _Code, library: str, why: str = "") -> None:
    """Pad, take every window apart (its cells in axes of their own), reduce."""
    if why:
        code.note(why)
    flow = _Flow(job, code)
    _window_dtype(flow, library)
    numpy = library == "numpy"
    if not numpy:
        flow.move_axes_last()
    whole = 0 if numpy else len(job.shape) - job.m
    where = job.axes if numpy else tuple(range(whole, len(job.shape)))
    steps = _pad_steps(job, _fills(job, flow, library))
    padder = library
    if library == "torch" and not all(_float_exact(value) for _, value, _ in steps):
        code.note(_INEXACT_PAD)
        padder = "numpy"
    array = flow.name
    if padder != "numpy":
        code.add(f"t = {_TENSOR[library]}({flow.name})")
        array = "t"
    mask = ("real" if job.op == "mode" else "ones") if job.mask else ""
    if mask:
        dtype = f", dtype={_BOOL[padder]}" if job.op == "mode" else ""
        code.add(f"{mask} = {_ONES[padder]}({array}{dtype})", "marks every real cell")
    target = "v" if padder == "numpy" else "t"
    for pairs, value, why_pad in steps:
        code.add(f"{target} = {_pad_line(padder, array, pairs, value, job.shape, where)}", why_pad)
        array = target
    if mask:
        counted = job.pad_value is not None or job.count_pad
        yes, no = ("True", "False") if job.op == "mode" else ("1", "0")
        fills = (
            yes if counted else no,
            no,
            "padding counts" if counted else "padding does not count",
            "cells past the padding do not count",
        )
        for pairs, value, why_pad in _pad_steps(job, fills):
            code.add(f"{mask} = {_pad_line(padder, mask, pairs, value, job.shape, where)}", why_pad)
    if padder != library:
        code.add(f"t = {_TENSOR[library]}({array})")
        array = "t"
        if mask:
            code.add(f"{mask} = {_TENSOR[library]}({mask})")
    extract, axes = _extract(job, library, _padded_lengths(job, steps), whole)
    flatten = _flatten(job, library, windows=True)
    if library == "tf":
        _gather_cells(job, code)
        if job.m > 1:  # the window cells, every other axis from the end, along the last one
            extract = [*extract, flatten]
            axes, flatten = "-1", "{a}"
    words = _window_words(job, library)
    if mask:
        code.block("def windows(a):")
        for n, step in enumerate(extract):
            last = n == len(extract) - 1
            comment = words if n == 0 else "each window's cells along the last axis"
            code.add(f"{'return' if last else 'a ='} {step.format(a='a')}", comment)
        code.end()
        code.add(f"w = windows({array})")
    else:
        for n, step in enumerate(extract):
            comment = words if n == 0 else "each window's cells along the last axis"
            code.add(f"w = {step.format(a=array if n == 0 else 'w')}", comment)
    _reduce(job, code, library, axes, "y", flatten, mask)
    flow.finish("y" if numpy else "y.numpy()")


_INEXACT_PAD = "F.pad takes its value as a float, which cannot hold this integer: pad in NumPy."


def _float_exact(literal: str) -> bool:
    """Whether a literal reaches PyTorch's F.pad (which takes a float) unchanged."""
    extreme = re.fullmatch(r"np\.iinfo\(np\.(\w+)\)\.(min|max)", literal)
    if extreme:
        info = np.iinfo(extreme.group(1))
        number = int(info.min if extreme.group(2) == "min" else info.max)
    else:
        try:
            number = int(literal)
        except ValueError:
            return True
    return float(number) == number


def _window_dtype(flow: _Flow, library: str) -> None:
    """Convert to the dtype the windows are reduced in: maxpool's for sums and averages,
    else one the library's reductions take."""
    job, name = flow.job, flow.job.dtype.name
    if job.op in ("avg", "sum"):
        flow.convert(_sum_dtype(job), _why_sum_dtype(job))
    elif library == "torch" and name == "uint64":
        flow.shift_uint64("torch has no uint64 max or mode: flipping the top bit keeps the order")
    elif library == "torch" and name in ("uint16", "uint32"):
        flow.convert(np.dtype(np.int64), f"torch has no {name} max or mode; int64 holds it")
    elif library == "tf" and name == "bool":
        flow.convert(np.dtype(np.uint8), "TensorFlow reduces no bool with max or equality")


def _extract(job: _Job, library: str, lengths: list[int], whole: int) -> tuple[list[str], str]:
    """The expressions (each of ``{a}``, the previous one's result) giving every window, and
    the axes its cells lie in."""
    crops = [ax.windows_in(n) > ax.out for ax, n in zip(job.fixed, lengths)]
    if library == "numpy":
        parts = [":"] * len(job.shape)
        for a, ax, crop in zip(job.axes, job.fixed, crops):
            stop = str((ax.out - 1) * ax.s + 1) if crop else ""
            parts[a] = f":{stop}:{ax.s}" if ax.s > 1 else (f":{stop}" if crop else ":")
        parts += [f"::{ax.d}" if ax.d > 1 else ":" for ax in job.fixed]
        spans = _seq(tuple(ax.e for ax in job.fixed))
        view = f"sliding_window_view({{a}}, {spans}, axis={_seq(job.axes)})"
        return [view + _index(0, parts)], _last(job.m)
    if library == "torch":
        unfold = "".join(f".unfold({-job.m}, {ax.e}, {ax.s})" for ax in job.fixed)
        parts = [f":{ax.out}" if crop else ":" for ax, crop in zip(job.fixed, crops)]
        parts += [f"::{ax.d}" if ax.d > 1 else ":" for ax in job.fixed]
        return ["{a}" + unfold + _index(whole, parts)], _last(job.m)
    # tf.gather with the cells each window reads (``at{i}``, written beforehand), from the
    # last pooled axis back: each axis becomes (windows, cells), so the cells of a window lie
    # in every other axis from the end.
    expression = "{a}"
    for i in reversed(range(job.m)):
        expression = f"tf.gather({expression}, at{i}, axis={-(2 * (job.m - 1 - i) + 1)})"
    return [expression], _seq(tuple(-(2 * (job.m - 1 - i) + 1) for i in range(job.m)))


def _gather_cells(job: _Job, code: _Code) -> None:
    """``at0 = ...``: per pooled axis, the padded positions window i reads, ``at0[i]``."""
    for i, ax in enumerate(job.fixed):
        cells = f"np.arange({ax.out})[:, None] * {ax.s} + np.arange({ax.k})"
        cells += f" * {ax.d}" if ax.d > 1 else ""
        comment = "at0[i]: the cells window i reads along the first pooled axis" if i == 0 else ""
        code.add(f"at{i} = {cells}", comment)


def _last(m: int) -> str:
    return _seq(tuple(range(-m, 0)))


def _flatten(job: _Job, library: str, windows: bool) -> str:
    """The expression (of ``{a}``) that puts each window's cells along one last axis."""
    if library == "numpy":
        return f"{{a}}.reshape({{a}}.shape[:{-job.m}] + (-1,))"
    if library == "torch":
        return "{a}" if job.m == 1 else f"{{a}}.flatten({-job.m})"
    if not windows:
        return f"tf.reshape({{a}}, {(*job.lead, -1)})"
    whole = len(job.lead)
    perm = (
        *range(whole),
        *(whole + 2 * i for i in range(job.m)),
        *(whole + 2 * i + 1 for i in range(job.m)),
    )
    return f"tf.reshape(tf.transpose({{a}}, {perm}), {(*job.lead, *job.out_spatial, -1)})"


# --- reductions -------------------------------------------------------------------------------


def _reduce(
    job: _Job, code: _Code, library: str, axes: str, target: str, flatten: str, mask: str
) -> None:
    """Reduce the windows ``w`` (their cells in ``axes``) into ``target``; ``mask`` names the
    windows' marks of the cells that count, when some do not."""
    if job.op == "mode":
        _mode(job, code, library, target, flatten, mask)
        return
    op = job.op
    if library == "numpy":
        ax = f"axis={axes}"
        if op in ("max", "min") and job.ignore:
            f = "fmax" if op == "max" else "fmin"
            code.add(f"{target} = np.{f}.reduce(w, {ax})", f"{f} skips NaN; NaN only stays NaN")
        elif op in ("max", "min"):
            code.add(f"{target} = w.{op}({ax})", _over(job, axes))
        elif op == "sum" and job.ignore:
            code.add(
                f"{target} = np.where(np.isnan(w).all({ax}), np.nan, np.nansum(w, {ax}))",
                "NaN skipped; NaN only gives NaN",
            )
        elif op == "sum":
            code.add(f"{target} = w.sum({ax})", _over(job, axes))
        elif job.ignore:
            code.add(f"count = (~np.isnan(w)).sum({ax}, dtype=w.dtype)", "NaN does not count")
            code.block('with np.errstate(invalid="ignore"):')
            code.add(f"{target} = np.nansum(w, {ax}) / count", "NaN only: 0 / 0 = NaN")
            code.end()
        elif mask:
            code.add(f"count = windows({mask}).sum({ax})", "the cells that count, per window")
            code.add(f"{target} = w.sum({ax}) / count")
        else:
            code.add(f"{target} = w.mean({ax})", _over(job, axes))
        return
    if library == "torch":
        dim = f"dim={axes}"
        if op in ("max", "min") and job.ignore:
            worst, reduce = ("-torch.inf", "amax") if op == "max" else ("torch.inf", "amin")
            code.add("nan = w.isnan()")
            code.add(f"{target} = torch.where(nan, {worst}, w).{reduce}({dim})", "NaN never wins")
            code.add(
                f"{target} = torch.where(nan.all({dim}), torch.nan, {target})",
                "but NaN only gives NaN",
            )
        elif op in ("max", "min"):
            code.add(f"{target} = w.a{op}({dim})", _over(job, axes))
        elif op == "sum" and job.ignore:
            code.add(
                f"{target} = torch.where(w.isnan().all({dim}), torch.nan, w.nansum({dim}))",
                "NaN skipped; NaN only gives NaN",
            )
        elif op == "sum":
            code.add(f"{target} = w.sum({dim})", _over(job, axes))
        elif job.ignore:
            code.add(f"count = (~w.isnan()).sum({dim})", "NaN does not count")
            code.add(f"{target} = w.nansum({dim}) / count", "NaN only: 0 / 0 = NaN")
        elif mask:
            code.add(f"count = windows({mask}).sum({dim})", "the cells that count, per window")
            code.add(f"{target} = w.sum({dim}) / count")
        else:
            code.add(f"{target} = w.mean({dim})", _over(job, axes))
        return
    ax = f"axis={axes}"
    if op in ("max", "min") and job.ignore:
        worst = "-np.inf" if op == "max" else "np.inf"
        code.add("nan = tf.math.is_nan(w)")
        code.add(f"{target} = tf.reduce_{op}(tf.where(nan, {worst}, w), {ax})", "NaN never wins")
        code.add(
            f"{target} = tf.where(tf.reduce_all(nan, {ax}), np.nan, {target})",
            "but NaN only gives NaN",
        )
    elif op in ("max", "min"):
        code.add(f"{target} = tf.reduce_{op}(w, {ax})", _over(job, axes))
    elif op == "sum" and job.ignore:
        code.add("nan = tf.math.is_nan(w)")
        code.add(f"{target} = tf.reduce_sum(tf.where(nan, 0.0, w), {ax})", "NaN skipped")
        code.add(
            f"{target} = tf.where(tf.reduce_all(nan, {ax}), np.nan, {target})",
            "NaN only gives NaN",
        )
    elif op == "sum":
        code.add(f"{target} = tf.reduce_sum(w, {ax})", _over(job, axes))
    elif job.ignore:
        code.add("nan = tf.math.is_nan(w)")
        code.add(f"count = tf.reduce_sum(tf.cast(~nan, w.dtype), {ax})", "NaN does not count")
        code.add(
            f"{target} = tf.reduce_sum(tf.where(nan, 0.0, w), {ax}) / count",
            "NaN only: 0 / 0 = NaN",
        )
    elif mask:
        code.add(f"count = tf.reduce_sum(windows({mask}), {ax})", "the cells that count")
        code.add(f"{target} = tf.reduce_sum(w, {ax}) / count")
    else:
        code.add(f"{target} = tf.reduce_mean(w, {ax})", _over(job, axes))


def _over(job: _Job, axes: str) -> str:
    """``over each window's cells (axes -2, -1)``."""
    words = {"max": "the largest", "min": "the smallest", "avg": "the mean", "sum": "the sum"}
    where = "the last axis" if axes == "-1" else f"axes {axes.strip('()')}"
    return f"{words[job.op]} of each window's cells ({where})"


def _mode(job: _Job, code: _Code, library: str, target: str, flatten: str, mask: str) -> None:
    """The most frequent value of each window, the smallest on ties (padding that does not
    count marked False in ``mask``)."""
    if library == "torch" and not mask:
        code.add(
            f"{target} = {flatten.format(a='w')}.mode(dim=-1).values",
            "the most frequent value; torch.mode takes the smallest on ties",
        )
        return
    if flatten != "{a}":
        code.add(f"w = {flatten.format(a='w')}", "each window's cells along the last axis")
    if mask:
        code.add(f"{mask} = windows({mask})")
        if flatten != "{a}":
            code.add(f"{mask} = {flatten.format(a=mask)}")
    code.add("same = w[..., :, None] == w[..., None, :]", "same[..., a, b]: cells a, b are equal")
    if mask:
        code.add(f"same &= {mask}[..., None, :]", "counting the real cells only")
    if library == "numpy":
        code.add("count = same.sum(axis=-1)", "how often each cell's value occurs")
        if mask:
            code.add(f"count = np.where({mask}, count, -1)", "padding is no candidate")
        code.add("top = count == count.max(axis=-1, keepdims=True)", "the most frequent values")
        code.add(
            f"{target} = np.where(top, w, w.max(axis=-1, keepdims=True)).min(axis=-1)",
            "the smallest of them",
        )
    elif library == "torch":
        code.add("count = same.sum(dim=-1)", "how often each cell's value occurs")
        if mask:
            code.add(f"count = torch.where({mask}, count, -1)", "padding is no candidate")
        code.add("top = count == count.amax(dim=-1, keepdim=True)", "the most frequent values")
        code.add(
            f"{target} = torch.where(top, w, w.amax(dim=-1, keepdim=True)).amin(dim=-1)",
            "the smallest of them",
        )
    else:
        code.add("count = tf.reduce_sum(tf.cast(same, tf.int32), axis=-1)", "how often")
        if mask:
            code.add(f"count = tf.where({mask}, count, -1)", "padding is no candidate")
        code.add("top = count == tf.reduce_max(count, axis=-1, keepdims=True)", "the most frequent")
        code.add(
            f"{target} = tf.reduce_min(tf.where(top, w, tf.reduce_max(w, axis=-1, "
            "keepdims=True)), axis=-1)",
            "the smallest of them",
        )


# --- PyTorch's pooling functions --------------------------------------------------------------


def _torch_route(job: _Job) -> tuple[np.dtype | None, str]:
    """The dtype ``F.max_pool*``/``F.avg_pool*`` run on for this job, or None and why they
    cannot give maxpool's result."""
    name = job.dtype.name
    if job.op == "sum":
        return None, "PyTorch has no sum pooling: sum the windows."
    if job.op == "mode":
        return None, "PyTorch has no mode pooling: the most frequent value of each window."
    if job.m > 3:
        return None, f"PyTorch pools at most 3 axes at once; here {job.m}: reduce the windows."
    if job.ignore:
        return None, "PyTorch's pooling cannot skip NaN: reduce the windows."
    if job.op == "avg":
        if job.dilated:
            return None, "F.avg_pool has no dilation: average the windows."
        if job.pad_value is None and not job.count_pad and _torch_prepad(job):
            return None, (
                "F.avg_pool pads at most half the kernel, alike on both sides, and this "
                "padding must not count: average the windows."
            )
        if job.floats:
            return np.dtype(np.float32) if job.dtype.itemsize < 4 else job.dtype, ""
        return np.dtype(np.float64), ""
    if job.floats or (job.m >= 2 and name in _TORCH_INT_POOL):
        return job.dtype, ""
    if job.dtype.itemsize <= 4:
        return np.dtype(np.float64), ""
    return None, (
        f"F.max_pool{job.m}d takes no {name}, and float64 cannot hold every {name}: "
        "reduce the windows."
    )


def _torch_prepad(job: _Job) -> bool:
    """Whether padding must be added beforehand (F.max_pool/F.avg_pool pad each side alike,
    at most half the kernel, and only with -inf or counted zeros)."""
    if job.pad_value is not None:
        return any(a.pb or a.pa for a in job.fixed)
    if job.op == "avg" and job.m == 3 and any(a.n < a.k for a in job.fixed):
        return any(a.pb or a.pa for a in job.fixed)  # F.avg_pool3d wants n >= k unpadded
    return not all(a.pb == a.pa and 2 * a.pb <= a.k for a in job.fixed)


def _torch_native(job: _Job, code: _Code, work: np.dtype) -> None:
    flow = _Flow(job, code)
    if job.op == "min":
        flow.flip_for_min()
    name = f"F.{'avg' if job.op == 'avg' else 'max'}_pool{job.m}d"
    flow.convert(work, _why_convert(job, work, name))
    flow.move_axes_last()
    flow.batch("torch", name)
    code.add(f"t = torch.tensor({flow.name})")
    prepad = _torch_prepad(job)
    function = "max" if job.op in ("max", "min") else "avg"
    args = [f"kernel_size={_one_or_all(tuple(a.k for a in job.fixed))}"]
    if any(a.s != a.k for a in job.fixed):
        args.append(f"stride={_one_or_all(tuple(a.s for a in job.fixed))}")
    if prepad:
        steps = _pad_steps(job, _fills(job, flow, "torch"), overhang=False)
        if all(_float_exact(value) for _, value, _ in steps):
            for pairs, value, why in steps:
                code.add(f"t = {_pad_line('torch', 't', pairs, value, (), ())}", why)
        else:
            code.note(_INEXACT_PAD)
            layout, where = (0, 0, *job.spatial), tuple(range(2, job.m + 2))
            for pairs, value, why in steps:
                padded = _pad_line("numpy", "t.numpy()", pairs, value, layout, where)
                code.add(f"t = torch.tensor({padded})", why)
    elif any(a.pb for a in job.fixed):
        args.append(f"padding={_one_or_all(tuple(a.pb for a in job.fixed))}")
    if job.dilated:
        args.append(f"dilation={_one_or_all(tuple(a.d for a in job.fixed))}")
    if job.ceil_mode:
        args.append("ceil_mode=True")
    if function == "avg" and not prepad and any(a.pb for a in job.fixed) and not job.count_pad:
        args.append("count_include_pad=False")
    comment = ""
    if function == "avg" and not prepad and any(a.pb for a in job.fixed) and job.count_pad:
        comment = "count_include_pad=True (the default) is --count-pad"
    elif function == "max" and not prepad and any(a.pb for a in job.fixed):
        comment = "its padding never wins"
    code.add(f"t = F.{function}_pool{job.m}d(t, {', '.join(args)})", comment)
    if prepad and job.ceil_mode:
        crops = [a.torch_ceil_windows() > a.out for a in job.fixed]
        if any(crops):
            parts = [f":{a.out}" if c else ":" for a, c in zip(job.fixed, crops)]
            code.add(f"t = t{_index(2, parts)}", "ceil_mode: no window may start in the padding")
    flow.finish(f"t.numpy(){flow.unbatch('torch')}")


def _why_convert(job: _Job, work: np.dtype, function: str) -> str:
    if job.op == "avg":
        return _why_sum_dtype(job)
    if work.kind == "f":
        return f"{function} takes no {job.dtype.name}; {work.name} holds every value exactly"
    return f"{function} takes no {job.dtype.name}; {work.name} holds every value"


def _torch_adaptive_work(job: _Job) -> np.dtype | None:
    """The dtype F.adaptive_*_pool runs on for this job, or None where it cannot."""
    if job.op not in ("max", "min", "avg") or job.m > 3 or job.ignore:
        return None
    if job.op == "avg":
        return _sum_dtype(job)
    if job.floats:
        return job.dtype
    return np.dtype(np.float64) if job.dtype.itemsize <= 4 else None


def _torch_adaptive(job: _Job, code: _Code) -> None:
    work = _torch_adaptive_work(job)
    assert work is not None
    flow = _Flow(job, code)
    if job.op == "min":
        flow.flip_for_min()
    function = "max" if job.op in ("max", "min") else "avg"
    name = f"F.adaptive_{function}_pool{job.m}d"
    flow.convert(work, _why_convert(job, work, name))
    flow.move_axes_last()
    flow.batch("torch", name)
    size = _one_or_all(job.out_spatial)
    code.add(
        f"t = F.adaptive_{function}_pool{job.m}d(torch.tensor({flow.name}), {size})",
        "window i: [floor(i*n/out), ceil((i+1)*n/out))",
    )
    flow.finish(f"t.numpy(){flow.unbatch('torch')}")


# --- TensorFlow's pooling functions -----------------------------------------------------------


def _tf_route(job: _Job) -> tuple[np.dtype | None, str]:
    """The dtype ``tf.nn.max_pool``/``avg_pool``/``pool`` run on for this job, or None and
    why they cannot give maxpool's result."""
    name = job.dtype.name
    if job.op == "sum":
        return None, "TensorFlow has no sum pooling: sum the windows."
    if job.op == "mode":
        return None, "TensorFlow has no mode pooling: the most frequent value of each window."
    if job.m > 3:
        return None, f"TensorFlow pools at most 3 axes at once; here {job.m}: reduce the windows."
    if job.op == "avg":
        if job.ignore:
            return None, "tf.nn.avg_pool cannot skip NaN: average the windows."
        native_same = job.same and not job.dilated and not job.count_pad
        if job.partial and not (native_same and job.pad_value is None):
            return None, (
                "tf.nn.avg_pool counts every cell of a VALID window, and leaves padding out "
                "only with its own SAME: average the windows."
            )
        work = _sum_dtype(job)
        if job.m == 3 and work != np.dtype(np.float32):
            return None, f"tf.nn.avg_pool3d computes in float32 only, not {work.name}: average."
        return work, ""
    if job.m == 3:
        if name == "float32":
            return job.dtype, ""
        if name in _EXACT_IN_FLOAT32:
            return np.dtype(np.float32), ""
        return None, f"tf.nn.max_pool3d computes in float32 only, which cannot hold {name}."
    if name in _TF_MAX_POOL:
        return job.dtype, ""
    if name == "bool":
        return np.dtype(np.uint8), ""
    if name == "uint32":
        return np.dtype(np.int64), ""
    return None, f"tf.nn.max_pool has no {name} kernel: reduce the windows."


def _tf_native(job: _Job, code: _Code, work: np.dtype) -> None:
    flow = _Flow(job, code)
    function = "max" if job.op in ("max", "min") else "avg"
    if job.op == "min":
        flow.flip_for_min()
    name = f"tf.nn.{function}_pool" if not job.dilated else "tf.nn.pool"
    flow.convert(work, _why_convert(job, work, name))
    flow.move_axes_last()
    flow.batch("tf", name)
    same = job.same and not job.dilated and job.pad_value is None and not job.count_pad
    # (the float max pools its marks too, with a pad value of their own: kept apart)
    merge = not (function == "max" and job.floats and job.pad_value is not None)
    steps = [] if same else _pad_steps(job, _fills(job, flow, "tf"), merge=merge)
    lengths = _padded_lengths(job, steps)
    kernel = _one_or_all(tuple(a.k for a in job.fixed))
    padding = '"SAME"' if same else '"VALID"'
    if job.dilated:
        call = (
            f'tf.nn.pool(t, {tuple(a.k for a in job.fixed)}, "{function.upper()}", '
            f"padding={padding}, dilations={tuple(a.d for a in job.fixed)})"
        )
        crops = [a.windows_in(n) > a.out for a, n in zip(job.fixed, lengths)]
        parts = [
            f":{(a.out - 1) * a.s + 1 if c else ''}:{a.s}"
            if a.s > 1
            else (f":{a.out}" if c else ":")
            for a, c in zip(job.fixed, crops)
        ]
        after = _index(1, parts)
        why_after = "every stride-th window (tf.nn.pool's dilation needs stride 1)"
    else:
        strides = _one_or_all(tuple(a.s for a in job.fixed))
        call = f"tf.nn.{function}_pool(t, ksize={kernel}, strides={strides}, padding={padding})"
        crops = [(not same) and a.windows_in(n) > a.out for a, n in zip(job.fixed, lengths)]
        after = _index(1, [f":{a.out}" if c else ":" for a, c in zip(job.fixed, crops)])
        why_after = "ceil_mode: no window may start in the trailing padding"
    if function == "max" and job.floats:
        _tf_max_floats(job, code, flow, steps, call, after, why_after)
        return
    code.add(f"t = tf.constant({flow.name})")
    layout, where = (0, *job.spatial, 0), tuple(range(1, job.m + 1))
    for pairs, value, why in steps:
        code.add(f"t = {_pad_line('tf', 't', pairs, value, layout, where)}", why)
    comment = "SAME leaves the padding out of the average" if same and function == "avg" else ""
    code.add(f"t = {call}", comment)
    if after:
        code.add(f"t = t{after}", why_after)
    flow.finish(f"t.numpy(){flow.unbatch('tf')}")


def _tf_max_floats(
    job: _Job, code: _Code, flow: _Flow, steps: Pads, call: str, after: str, why_after: str
) -> None:
    """tf.nn.max_pool on floats skips NaN and gives the lowest float, not -inf, for a window
    of -inf only: pool NaN as -inf, and pool what each window holds to put both right."""
    declared = job.pad_value is not None and any(a.pb or a.pa for a in job.fixed)
    pad = steps[0][1] if declared else ""
    code.block(f"def pool(v{', pad=' + pad if pad else ''}):")
    code.add("t = tf.constant(v)")
    for n, (pairs, fill, why) in enumerate(steps):
        value = "pad" if pad and n == 0 else fill
        layout, where = (0, *job.spatial, 0), tuple(range(1, job.m + 1))
        code.add(f"t = {_pad_line('tf', 't', pairs, value, layout, where)}", why)
    code.add(f"return {call}.numpy(){after}", why_after if after else "")
    code.end()
    code.add(f"nan = np.isnan({flow.name})")
    code.add(
        f"y = pool(np.where(nan, -np.inf, {flow.name}))",
        "tf.nn.max_pool skips NaN: pool it as -inf",
    )
    held = flow.pad_value() if declared else None
    if job.ignore:
        code.note("what each window holds, at best: 2 a number, 1 -inf, 0 NaN only")
        holds = f"np.where(nan, 0, np.where({flow.name} > -np.inf, 2, 1))"
        code_pad = "" if held is None else (", 2" if held > -math.inf else ", 1")
        code.add(f"holds = pool({holds}.astype({flow.name}.dtype){code_pad})")
        code.add("y = np.where(holds == 0, np.nan, np.where(holds == 1, -np.inf, y))")
    else:
        code.note("what each window holds, at best: 2 a NaN, 1 a number, 0 -inf only")
        holds = f"np.where(nan, 2, {flow.name} > -np.inf)"
        code_pad = "" if held is None else (", 1" if held > -math.inf else ", 0")
        code.add(f"holds = pool({holds}.astype({flow.name}.dtype){code_pad})")
        code.add(
            "y = np.where(holds == 2, np.nan, np.where(holds == 0, -np.inf, y))",
            "as maxpool and PyTorch",
        )
    flow.finish(f"y{flow.unbatch('tf')}")


# --- adaptive pooling as a loop over the windows -----------------------------------------------


def _adaptive_loop(job: _Job, code: _Code, library: str) -> None:
    """Adaptive pooling as a loop over its windows, each reduced (TensorFlow has no adaptive
    pooling; PyTorch's cannot do every op)."""
    if library == "tf":
        code.note("TensorFlow has no adaptive pooling: reduce each window.")
    elif library == "torch":
        code.note("F.adaptive_*_pool cannot do this op or dtype: reduce each window.")
    flow = _Flow(job, code)
    _window_dtype(flow, library)
    flow.move_axes_last()
    array = flow.name
    if library != "numpy":
        code.add(f"t = {_TENSOR[library]}({flow.name})")
        array = "t"
    for a, spans in enumerate(job.spans):
        comment = "window i: [floor(i*n/out), ceil((i+1)*n/out))" if a == 0 else ""
        code.add(f"spans{a} = {list(spans)}", comment)
    code.add("cells = []")
    for a in range(job.m):
        code.block(f"for lo{a}, hi{a} in spans{a}:")
    slices = ", ".join(f"lo{a}:hi{a}" for a in range(job.m))
    code.add(f"w = {array}[..., {slices}]")
    _reduce(job, code, library, _last(job.m), "c", _flatten(job, library, windows=False), "")
    code.add("cells.append(c)")
    for _ in range(job.m):
        code.end()
    shape = (*job.lead, *job.out_spatial)
    if library == "numpy":
        flow.finish(f"np.stack(cells, axis=-1).reshape({shape})")
    elif library == "torch":
        flow.finish(f"torch.stack(cells, dim=-1).reshape({shape}).numpy()")
    else:
        flow.finish(f"tf.reshape(tf.stack(cells, axis=-1), {shape}).numpy()")
