"""Reductions: the windows' cells reduced to max, min, avg, sum or mode, in each library."""

from __future__ import annotations

from .job import _Job
from .writer import _Code


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
