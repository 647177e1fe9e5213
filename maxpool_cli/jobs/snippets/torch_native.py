"""PyTorch's pooling functions: when ``F.max_pool*``, ``F.avg_pool*`` and
``F.adaptive_*_pool`` give maxpool's result, and the snippets that call them."""

from __future__ import annotations

import numpy as np

from .flow import _Flow, _sum_dtype, _why_convert
from .job import _Job
from .padding import _INEXACT_PAD, _fills, _float_exact, _pad_line, _pad_steps
from .writer import _Code, _index, _one_or_all

# What PyTorch's pooling kernels take on the CPU (PyTorch 2.13).
_TORCH_INT_POOL = {"int8", "int16", "int32", "int64", "uint8"}  # F.max_pool2d/3d, not 1d


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
