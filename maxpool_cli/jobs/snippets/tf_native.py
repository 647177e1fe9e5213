"""TensorFlow's pooling functions: when ``tf.nn.max_pool``, ``avg_pool`` and ``pool`` give
maxpool's result, and the snippets that call them."""

from __future__ import annotations

import math

import numpy as np

from .flow import _Flow, _sum_dtype, _why_convert
from .job import _Job
from .padding import Pads, _fills, _pad_line, _pad_steps, _padded_lengths
from .writer import _Code, _index, _one_or_all

# What TensorFlow's pooling kernels take on the CPU (TensorFlow 2.21).
_TF_MAX_POOL = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8"}
_TF_MAX_POOL |= {"uint16"}
_EXACT_IN_FLOAT32 = {"bool", "int8", "int16", "uint8", "uint16", "float16", "float32"}


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
