"""Padding: what declared padding and ceil_mode's overhang hold, the steps that add them,
and the line of code that pads in each library."""

from __future__ import annotations

import math
import re

import numpy as np

from .flow import _Flow
from .job import _Job
from .writer import _extreme, _literal

Pads = list[tuple[tuple[tuple[int, int], ...], str, str]]  # (per-axis pairs, value, why)


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
