"""Windows taken apart: NumPy, and the frameworks where their pooling cannot do it (pad,
take every window apart, reduce); adaptive pooling as a loop over its windows."""

from __future__ import annotations

import numpy as np

from .flow import _Flow, _sum_dtype, _why_sum_dtype
from .job import _Job
from .padding import _INEXACT_PAD, _fills, _float_exact, _pad_line, _pad_steps, _padded_lengths
from .reduce import _reduce
from .writer import _Code, _index, _seq

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
