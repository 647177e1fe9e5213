"""The lesson of ``maxpool explain`` in words and grids: what pooling does with these options,
the output-size formula with its numbers, then each window of the input beside the output
filling in.

The words and the grids are plain data (:class:`Grid`), drawn here as text (every highlight
also shows without colour: ``[v]`` a cell of the window, ``<v>`` the one that wins or the cell
being computed) and by :mod:`maxpool_cli.cli.pictures` as images.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import numpy as np
from rich.console import Console
from rich.text import Text

from ..engine import AdaptiveGeometry, AxisGeometry
from ..engine.reference import Step
from ..jobs.lesson import Explanation
from .text import header_line, number_strings, number_text, summary_lines

VIEW = 20  # grids up to this many cells a side are shown whole; larger ones around the window
MARGIN = 2  # cells shown around the window in a larger grid
GAP = "    "
WIDTH = 96  # words are wrapped to this width at most

OP_WORDS = {
    "max": "the largest value",
    "min": "the smallest value",
    "avg": "the average",
    "sum": "the sum",
    "mode": "the most frequent value (the smallest, on a tie)",
}


# --- words --------------------------------------------------------------------------------


def axis_names(ex: Explanation) -> list[str]:
    """What each pooled axis is called: rows and columns of a 2-D grid, positions of a 1-D."""
    if ex.x.ndim == 1:
        return ["positions"]
    return ["rows" if a == 0 else "columns" for a in ex.geometry.axes]


def intro(ex: Explanation) -> str:
    """What pooling does here, in plain words."""
    op, geometry = ex.options.op, ex.geometry
    sentences = []
    if isinstance(geometry, AdaptiveGeometry):
        size = "x".join(map(str, geometry.output_size))
        sentences.append(
            f"Each output cell is {OP_WORDS[op]} of its window of the input. The windows are "
            f"fitted so that the output is {size}: along an axis of n cells pooled to out "
            f"cells, window i spans cells floor(i*n/out) to ceil((i+1)*n/out) - 1, so "
            f"neighbours may share a cell."
        )
    else:
        sentences += _fixed_words(ex)
    if ex.x.dtype.kind == "f" and ex.options.nan == "ignore":
        sentences.append("NaNs are skipped; a window of NaNs only gives NaN.")
    elif ex.x.dtype.kind == "f" and bool(np.isnan(ex.x).any()):
        sentences.append("A window holding a NaN gives NaN.")
    return " ".join(sentences)


def _fixed_words(ex: Explanation) -> list[str]:
    op, options = ex.options.op, ex.options
    axes = ex.geometry.per_axis  # type: ignore[union-attr]
    names = axis_names(ex)
    kernel = "x".join(str(g.kernel) for g in axes)
    cells = "cells" if len(axes) > 1 or axes[0].kernel > 1 else "cell"
    window = f"a window of {kernel} {cells}" if len(axes) == 1 else f"a {kernel} window"
    first = f"Each output cell is {OP_WORDS[op]} of {window} of the input"
    if any(g.dilation > 1 for g in axes):
        dilation = "x".join(str(g.dilation) for g in axes)
        span = "x".join(str(g.span) for g in axes)
        first += f" that reads {_every(axes, names)} (dilation {dilation}), so it spans {span}"
    words = [first + "."]
    strides = {g.stride for g in axes}
    if len(strides) == 1:
        s = strides.pop()
        moves = f"The windows move {s} cell{'s' if s > 1 else ''} at a time"
        moves += ", down and across" if len(axes) == 2 else ""
    else:
        moves = "The windows move " + " and ".join(
            f"{g.stride} {name[:-1] if g.stride == 1 else name}"
            f" {'down' if name == 'rows' else 'across'}"
            for g, name in zip(axes, names)
        )
    unread = [_unread(g, ex.geometry.ceil_mode) for g in axes]  # type: ignore[union-attr]
    overlaps = {g.span - g.stride for g in axes}
    if len(overlaps) == 1:
        o = overlaps.pop()
        if o > 0:
            moves += f", so neighbours overlap by {o} cell{'s' if o > 1 else ''}"
        elif o == 0 and not any(cells for cells, _ in unread):
            moves += ", so they tile the input without overlapping"
        elif o == 0:
            moves += ", so they do not overlap"
        else:
            moves += f", so {-o} cell{' is' if o == -1 else 's are'} skipped between windows"
    words.append(moves + ".")
    words += _unread_words(unread, names)
    words += _padding_words(ex)
    if ex.geometry.ceil_mode:  # type: ignore[union-attr]
        words.append(
            "Sizes are rounded up (--ceil-mode): the last window may reach past the padding, "
            "and the cells it reads there (-) do not count."
        )
    del options
    return words


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``12th``, ``21st``, ``113th``."""
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _every(axes: tuple[AxisGeometry, ...], names: list[str]) -> str:
    """``every 2nd cell along each axis``, or ``every row and every 3rd column``."""
    dilations = {g.dilation for g in axes}
    if len(dilations) == 1:
        along = "" if len(axes) == 1 else " along each axis"
        return f"every {ordinal(dilations.pop())} cell{along}"
    return " and ".join(
        f"every {ordinal(g.dilation) + ' ' if g.dilation > 1 else ''}{name[:-1]}"
        for g, name in zip(axes, names)
    )


def _unread(g: AxisGeometry, ceil_mode: bool) -> tuple[list[int], list[str]]:
    """The real cells of an axis that no window reads, and why: the size formula's floor
    leaves out what follows the last window, a stride longer than the window skips the
    cells between windows (after the last, too, with ceil_mode: the window that would read
    them starts past the input), and a dilated window skips those between its taps."""
    starts = np.arange(g.out) * g.stride - g.pad_before
    taps = (starts[:, None] + np.arange(g.kernel) * g.dilation).ravel()
    read = np.zeros(g.size, dtype=bool)
    read[taps[(taps >= 0) & (taps < g.size)]] = True
    unread = np.flatnonzero(~read)
    if not unread.size:
        return [], []
    end = int(starts[-1]) + g.span  # the first cell after the last window
    if ceil_mode:
        end = g.size  # (rounded up: nothing is left over but what a long stride skips)
    spanned = np.zeros(g.size + 1, dtype=np.int64)  # +1 where a window begins, -1 past it
    np.add.at(spanned, np.clip(starts, 0, g.size), 1)
    np.add.at(spanned, np.clip(starts + g.span, 0, g.size), -1)
    inside = np.cumsum(spanned)[:-1] > 0
    reasons = []
    tail = int((unread >= end).sum())
    if tail:
        reasons.append(
            f"the floor in the size formula drops the {tail} cell{'s' if tail > 1 else ''} "
            f"after the last window"
        )
    if ((unread < end) & ~inside[unread]).any():
        reasons.append(
            f"the windows are {g.span} cell{'s' if g.span > 1 else ''} wide and {g.stride} "
            f"apart, so the cells between them are skipped"
        )
    if inside[unread].any():
        reasons.append(
            f"dilation {g.dilation} reads every {ordinal(g.dilation)} cell, and no window "
            f"lands on the ones between"
        )
    return [int(p) for p in unread], reasons


def _unread_words(unread: list[tuple[list[int], list[str]]], names: list[str]) -> list[str]:
    """``No window reads row 3 or column 3: ...``: the cells pooling leaves out, and why."""
    left = [(cells, why, name) for (cells, why), name in zip(unread, names) if cells]
    if not left:
        return []
    which = " or ".join(_positions(name, cells) for cells, _, name in left)
    reasons = {"; ".join(why) for _, why, _ in left}
    if len(reasons) == 1:
        return [f"No window reads {which}: {reasons.pop()}."]
    parts = [f"{_positions(name, cells)} ({'; '.join(why)})" for cells, why, name in left]
    return [f"No window reads {' or '.join(parts)}."]


def _positions(name: str, cells: list[int]) -> str:
    """``row 3``, ``columns 3 and 4``, ``positions 8 to 11``, ``rows 3, 7, 11, ..., 511 (128
    rows)``: runs of consecutive cells joined, a long list cut in the middle."""
    runs: list[list[int]] = []
    for p in cells:
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    items = []
    for run in runs:
        items += [f"{run[0]} to {run[-1]}"] if len(run) > 2 else [str(p) for p in run]
    noun = name if len(cells) > 1 else name[:-1]
    if len(items) > 5:
        return f"{noun} {', '.join(items[:3])}, ..., {items[-1]} ({len(cells)} {name})"
    if len(items) == 1:
        return f"{noun} {items[0]}"
    return f"{noun} {', '.join(items[:-1])} and {items[-1]}"


def _padding_words(ex: Explanation) -> list[str]:
    op, options = ex.options.op, ex.options
    axes = ex.geometry.per_axis  # type: ignore[union-attr]
    pads = [(g.pad_before, g.pad_after) for g in axes]
    if not any(b or a for b, a in pads):
        return []
    if len(set(pads)) == 1 and pads[0][0] == pads[0][1]:
        p = pads[0][0]
        amount = f"{p} cell{'s' if p > 1 else ''} on every side"
    else:
        sides = {"rows": ("above", "below"), "columns": ("left", "right")}
        amount = "; ".join(
            f"{name}: {b} {sides.get(name, ('before', 'after'))[0]}, "
            f"{a} {sides.get(name, ('before', 'after'))[1]}"
            for name, (b, a) in zip(axis_names(ex), pads)
        )
    same = isinstance(options.padding, str) and options.padding == "same"
    if same:
        words = [
            f"TensorFlow's SAME padding adds {amount} (the odd cell after), so that an axis "
            f"of n cells gives ceil(n / stride) outputs."
        ]
    else:
        words = [f"The input is padded with {amount}."]
    if options.pad_value is not None:
        value = number_text(options.pad_value)
        words.append(f"Padded cells hold {value} (--pad-value) and take part like any other.")
    elif op == "avg" and options.count_pad:
        words.append(
            "Padded cells count as zeros: the average divides by the whole window "
            "(--count-pad, PyTorch's default)."
        )
    elif op == "avg":
        words.append("Padded cells (·) are left out: the average divides by the real cells.")
    elif op == "sum":
        words.append("Padded cells (·) add nothing.")
    elif op == "mode":
        words.append("Padded cells (·) are never counted.")
    else:
        words.append("Padded cells (·) never win.")
    return words


def formulas(ex: Explanation) -> list[str]:
    """The output size of each pooled axis: the formula, then its numbers."""
    geometry = ex.geometry
    names = axis_names(ex)
    width = max(len(n) for n in names) + 2
    if isinstance(geometry, AdaptiveGeometry):
        lines = ["Windows: window i spans [floor(i*n/out), ceil((i+1)*n/out))"]
        for name, axis, windows in zip(names, geometry.axes, geometry.windows):
            spans = " ".join(f"[{a}, {b})" for a, b in windows)
            n = geometry.input_shape[axis]
            lines.append(f"  {name:<{width}}n = {n}, out = {len(windows)}: {spans}")
        return lines
    axes = geometry.per_axis
    dilated = any(g.dilation > 1 for g in axes)
    k = "e" if dilated else "k"
    spans = ", with e = d*(k - 1) + 1" if dilated else ""
    if isinstance(ex.options.padding, str) and ex.options.padding == "same":
        lines = [
            f"Output size: out = ceil(n / s); padding = max((out - 1)*s + {k} - n, 0), "
            f"the odd cell after{spans}"
        ]
        for name, g in zip(names, axes):
            total = g.pad_before + g.pad_after
            lines.append(
                f"  {name:<{width}}{_span(g, dilated)}out = ceil({g.size} / {g.stride}) = "
                f"{g.out}; padding = max(({g.out} - 1)*{g.stride} + {g.span} - {g.size}, 0) "
                f"= {total}: {g.pad_before} before, {g.pad_after} after"
            )
        return lines
    rounding = "ceil" if geometry.ceil_mode else "floor"
    padded = any(g.pad_before or g.pad_after for g in axes)
    room = "n + before + after" if padded else "n"
    lines = [f"Output size: out = {rounding}(({room} - {k}) / s) + 1{spans}"]
    for name, g in zip(names, axes):
        numbers = f"{g.size} + {g.pad_before} + {g.pad_after}" if padded else f"{g.size}"
        free = g.size + g.pad_before + g.pad_after - g.span
        raw = (-(-free // g.stride) if geometry.ceil_mode else free // g.stride) + 1
        line = (
            f"  {name:<{width}}{_span(g, dilated)}out = {rounding}(({numbers} - {g.span}) / "
            f"{g.stride}) + 1 = {raw}"
        )
        if raw != g.out:
            line += f", less the last window, which would start in the padding: {g.out}"
        lines.append(line)
    return lines


def _span(g: AxisGeometry, dilated: bool) -> str:
    if not dilated:
        return ""
    return f"e = {g.dilation}*({g.kernel} - 1) + 1 = {g.span}; "


def step_title(ex: Explanation, number: int, step: Step) -> str:
    """``Step 1 of 4: output [0, 0] reads rows 0, 1; columns 0, 1``."""
    pooled = ex.geometry.axes
    parts = []
    for a in range(ex.x.ndim):
        name = "positions" if ex.x.ndim == 1 else ("rows" if a == 0 else "columns")
        if a in pooled:
            n = pooled.index(a)
            coords = sorted({c.position[n] for c in step.cells})
            labels = [_label(p, ex, a) for p in coords]
            parts.append(f"{name} {', '.join(labels)}")
        else:
            parts.append(f"{name[:-1]} {step.out_index[a]}")
    where = ", ".join(map(str, step.out_index))
    return f"Step {number} of {ex.total}: output [{where}] reads {'; '.join(parts)}"


def step_math(ex: Explanation, step: Step) -> str:
    """``max(1, 1, 5, 6) = 6  (input [1, 1], flat index 5)``: the reduction, worked."""
    op = ex.options.op
    shown = [
        ("·" if c.kind == "pad" else "-") if v is None else number_text(v)
        for c, v in zip(step.cells, step.values)
    ]
    result = ex.result[step.out_index]
    value = number_text(result)
    text = f"{op}({', '.join(shown)}) = "
    taking = [v for v in step.values if v is not None]
    ignore = ex.options.nan == "ignore" and ex.x.dtype.kind == "f"
    counted = [v for v in taking if not (ignore and _isnan(v))]
    if op == "avg" and counted and not (_isnan(result) and not ignore):
        total = sum(_exact(v) for v in counted)
        text += f"{number_text(total)} / {len(counted)} = {value}"
    else:
        text += value
    if op in ("max", "min") and step.index >= 0 and not _isnan(result):
        where = np.unravel_index(step.index, [ex.x.shape[a] for a in ex.geometry.axes])
        position = list(step.out_index)
        for a, p in zip(ex.geometry.axes, where):
            position[a] = int(p)
        text += f"  (input [{', '.join(map(str, position))}], flat index {step.index}"
        text += _tie_words(step, result) + ")"
    elif op in ("max", "min") and _isnan(result) and not ignore:
        text += "  (a NaN wins: it propagates)"
    elif op in ("max", "min") and not _isnan(result):
        text += "  (a padded cell)"
    elif op == "mode":
        counts: dict[float | int, int] = {}
        for v in counted:
            counts[_exact(v)] = counts.get(_exact(v), 0) + 1
        times = counts.get(_exact(result), 0)
        tied = sorted(v for v, n in counts.items() if n == times)
        several = "s" if times > 1 else ""
        if len(tied) > 1:
            names = ", ".join(number_text(v) for v in tied)
            text += f"  ({names} appear {times} time{several} each: the smallest wins)"
        else:
            text += f"  ({value} appears {times} time{several})"
    if ignore and len(counted) < len(taking):
        text += "  (NaN skipped)"
    return text


def _tie_words(step: Step, result: object) -> str:
    """When more than one cell of the window holds the max (or min): which one wins."""
    same = sum(
        1
        for c, v in zip(step.cells, step.values)
        if c.kind == "real" and v is not None and not _isnan(v) and _exact(v) == _exact(result)
    )
    if same < 2:
        return ""
    return (
        f"; {same} cells hold {number_text(result)}: the first in row order wins, as "
        f"PyTorch's index does"
    )


def step_note(ex: Explanation, step: Step) -> str | None:
    """For avg with padding left out: what PyTorch's default would give for this window."""
    options = ex.options
    if options.op != "avg" or options.count_pad or options.pad_value is not None:
        return None
    if not any(c.kind == "pad" for c in step.cells) or _isnan(ex.result[step.out_index]):
        return None
    counted = [v for v in step.values if v is not None and not _isnan(v)]
    if not counted:
        return None
    total = sum(_exact(v) for v in counted)
    declared = sum(1 for c in step.cells if c.kind != "overhang")
    other = number_text(ex.result.dtype.type(total / declared))
    m = len(ex.geometry.axes)
    return (
        f"PyTorch's F.avg_pool{m}d counts padded cells as zeros by default "
        f"(count_include_pad=True): {number_text(total)} / {declared} = {other} here; "
        f"--count-pad does that."
    )


def _label(p: int, ex: Explanation, axis: int) -> str:
    """A position's label: its index, ``p`` in the padding, ``-`` past it."""
    n = ex.x.shape[axis]
    if 0 <= p < n:
        return str(p)
    g = _axis(ex, axis)
    if g is not None and -g.pad_before <= p < n + g.pad_after:
        return "p"
    return "-"


def _axis(ex: Explanation, axis: int) -> AxisGeometry | None:
    if isinstance(ex.geometry, AdaptiveGeometry) or axis not in ex.geometry.axes:
        return None
    return ex.geometry.per_axis[ex.geometry.axes.index(axis)]


def _isnan(value: object) -> bool:
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def _exact(value: object) -> float | int:
    if isinstance(value, (bool, np.bool_, int, np.integer)):
        return int(value)
    return float(value)  # type: ignore[arg-type]


# --- grids --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """A grid as shown: row and column labels, and per cell its text, what it is (``real``,
    ``pad``, ``past`` the padding, ``todo``: not computed yet, its text hidden), its mark
    (``window``, ``winner``, ``current`` or ``""``) and its shade (0 to 1 in the value
    range; NaN: none)."""

    rows: list[str]
    columns: list[str]
    texts: list[list[str]]
    kinds: list[list[str]]
    marks: list[list[str]]
    shades: list[list[float]]


def _extent(ex: Explanation, axis: int) -> range:
    """The positions shown along a grid axis: the input, its padding, and any cells past the
    padding that a ceil_mode window reaches."""
    n = ex.x.shape[axis]
    g = _axis(ex, axis)
    if g is None:
        return range(n)
    last = (g.out - 1) * g.stride - g.pad_before + g.span
    return range(-g.pad_before, max(n + g.pad_after, last))


def _view(extent: range, around: list[int] | None, limit: int, margin: int) -> range:
    """The part of ``extent`` shown: all of it up to ``limit`` cells (or when there is nothing
    to show ``around``), else ``margin`` cells around the cells ``around``."""
    if len(extent) <= limit or not around:
        return extent
    lo = max(extent.start, min(around) - margin)
    hi = min(extent.stop, max(around) + margin + 1)
    return range(lo, hi)


def _cells(ex: Explanation, step: Step) -> list[tuple[int, ...]]:
    """The grid positions of a window's cells (the other axes at the output's index)."""
    positions = []
    for cell in step.cells:
        position = list(step.out_index)
        for a, p in zip(ex.geometry.axes, cell.position):
            position[a] = p
        positions.append(tuple(position))
    return positions


def _winners(ex: Explanation, step: Step) -> set[tuple[int, ...]]:
    """The cells whose value is the result: max and min's winner (the first such cell when
    padding wins), mode's every copy of the value."""
    op = ex.options.op
    if op not in ("max", "min", "mode") or _isnan(step.value):
        return set()
    cells = _cells(ex, step)
    if op in ("max", "min") and step.index >= 0:
        where = np.unravel_index(step.index, [ex.x.shape[a] for a in ex.geometry.axes])
        position = list(step.out_index)
        for a, p in zip(ex.geometry.axes, where):
            position[a] = int(p)
        return {tuple(position)}
    same = [
        c for c, v in zip(cells, step.values) if v is not None and _exact(v) == _exact(step.value)
    ]
    return set(same if op == "mode" else same[:1])


def input_grid(
    ex: Explanation, step: Step | None = None, limit: int = VIEW, margin: int = MARGIN
) -> Grid:
    """The (padded) input; ``step``'s window marked, and only ``margin`` cells around it when
    the grid is more than ``limit`` cells a side."""
    grid = ex.x.reshape(1, -1) if ex.x.ndim == 1 else ex.x
    window = set(_cells(ex, step)) if step is not None else set()
    winners = _winners(ex, step) if step is not None else set()
    axes = list(range(ex.x.ndim))
    views = [_view(_extent(ex, a), sorted({p[a] for p in window}), limit, margin) for a in axes]
    rows = views[0] if ex.x.ndim == 2 else range(1)
    columns = views[-1]
    pad = "·" if ex.options.pad_value is None else number_text(ex.options.pad_value)
    texts, shades = _visible(grid, rows, columns)
    out = Grid(
        [_label(r, ex, 0) if ex.x.ndim == 2 else "" for r in rows],
        [_label(c, ex, ex.x.ndim - 1) for c in columns],
        [],
        [],
        [],
        [],
    )
    for r in rows:
        line: tuple[list[str], list[str], list[str], list[float]] = ([], [], [], [])
        for c in columns:
            position = (r, c) if ex.x.ndim == 2 else (c,)
            inside = 0 <= c < grid.shape[1] and 0 <= r < grid.shape[0]
            labels = (_label(r, ex, 0), _label(c, ex, ex.x.ndim - 1))
            kind = "real" if inside else ("past" if "-" in labels else "pad")
            line[0].append(texts[r, c] if inside else ("-" if kind == "past" else pad))
            line[1].append(kind)
            mark = "winner" if position in winners else ("window" if position in window else "")
            line[2].append(mark)
            line[3].append(shades[r, c] if inside else math.nan)
        out.texts.append(line[0])
        out.kinds.append(line[1])
        out.marks.append(line[2])
        out.shades.append(line[3])
    return out


def output_grid(
    ex: Explanation,
    number: int | None = None,
    step: Step | None = None,
    limit: int = VIEW,
    margin: int = MARGIN,
) -> Grid:
    """The output, filled in up to step ``number`` (whole when None), that step's cell marked
    (and only ``margin`` cells around it when the output is more than ``limit`` a side)."""
    result = ex.result.reshape(1, -1) if ex.result.ndim == 1 else ex.result
    current = step.out_index if step is not None else None
    if current is not None and ex.result.ndim == 1:
        current = (0, current[0])
    around = [[current[0]], [current[1]]] if current is not None else [None, None]
    rows = range(1)
    if ex.result.ndim == 2:
        rows = _view(range(result.shape[0]), around[0], limit, margin)
    columns = _view(range(result.shape[1]), around[1], limit, margin)
    texts, shades = _visible(result, rows, columns)
    out = Grid(
        [str(r) if ex.result.ndim == 2 else "" for r in rows],
        [str(c) for c in columns],
        [],
        [],
        [],
        [],
    )
    for r in rows:
        done = [number is None or r * result.shape[1] + c < number for c in columns]
        out.texts.append([texts[r, c] for c in columns])  # (todo: hidden, but sized for)
        out.kinds.append(["real" if d else "todo" for d in done])
        out.marks.append(["current" if (r, c) == current else "" for c in columns])
        out.shades.append([shades[r, c] if d else math.nan for c, d in zip(columns, done)])
    return out


def _visible(
    grid: np.ndarray, rows: range, columns: range
) -> tuple[dict[tuple[int, int], str], dict[tuple[int, int], float]]:
    """The text and shade of each cell of ``grid`` in view (only those: a large grid shows
    a few), the shades spread over the whole grid's range."""
    r0, r1 = max(rows.start, 0), min(rows.stop, grid.shape[0])
    c0, c1 = max(columns.start, 0), min(columns.stop, grid.shape[1])
    part = grid[r0:r1, c0:c1]
    strings = number_strings(part)
    shades = _shades(part, grid)
    texts = {(r0 + i, c0 + j): str(t) for (i, j), t in np.ndenumerate(strings)}
    tones = {(r0 + i, c0 + j): float(v) for (i, j), v in np.ndenumerate(shades)}
    return texts, tones


def _shades(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """Each value's place between the whole grid's least and greatest (0 to 1; NaN: NaN)."""
    values = part.astype(np.float64)
    every = whole.astype(np.float64)
    finite = np.isfinite(every)
    if not finite.any():
        return np.where(np.isnan(values), np.nan, 0.5)
    lo, hi = every[finite].min(), every[finite].max()
    clipped = np.clip(np.nan_to_num(values, nan=np.nan, posinf=hi, neginf=lo), lo, hi)
    return (clipped - lo) / ((hi - lo) or 1.0)


def grid_lines(grid: Grid) -> list[Text]:
    """A grid as lines of text: ``[v]`` in the window, ``<v>`` the winner or the cell being
    computed (highlighted as well on a terminal); the values right-aligned in columns."""
    width = max([len(t) for row in grid.texts for t in row] + [len(c) for c in grid.columns])
    lead = max((len(r) for r in grid.rows), default=0)
    header = " " * lead + "".join(f" {c:>{width}} " for c in grid.columns)
    lines = [Text(header, style="dim")]
    for label, texts, kinds, marks in zip(grid.rows, grid.texts, grid.kinds, grid.marks):
        line = Text(f"{label:>{lead}}", style="dim")
        for text, kind, mark in zip(texts, kinds, marks):
            if mark == "window":
                line.append(f"[{text:>{width}}]", style="bold reverse")
            elif mark in ("winner", "current"):
                line.append(f"<{text:>{width}}>", style="bold reverse green")
            elif kind == "todo":
                line.append(" " * (width + 2))
            else:
                line.append(f" {text:>{width}} ", style="dim" if kind in ("pad", "past") else "")
        lines.append(line)
    return lines


def side_by_side(blocks: list[tuple[str, list[Text]]]) -> list[Text]:
    """Blocks of lines next to each other, each under its title."""
    widths = [max(len(title), *(len(line) for line in lines)) for title, lines in blocks]
    height = max(len(lines) for _, lines in blocks) + 1
    out = []
    for i in range(height):
        line = Text()
        for n, ((title, lines), width) in enumerate(zip(blocks, widths)):
            part = (
                Text(title, style="bold")
                if i == 0
                else (lines[i - 1] if i - 1 < len(lines) else Text())
            )
            if n < len(blocks) - 1:
                part = part.copy()
                part.pad_right(width - len(part) + len(GAP))
            line.append_text(part)
        line.rstrip()
        out.append(line)
    return out


# --- the whole lesson -------------------------------------------------------------------------


def print_explanation(console: Console, ex: Explanation) -> None:
    """Header, what pooling does here, the formulas, the input, every window walked (with the
    output filling in), the output."""
    options, geometry, x = ex.options, ex.geometry, ex.x
    line = header_line(
        ex.name,
        x.shape,
        x.dtype,
        ex.result.shape,
        ex.result.dtype,
        geometry,
        options.op,
        options.padding,
    )
    _say(console, line, "bold")
    console.print()
    for text in textwrap.wrap(intro(ex), min(console.width, WIDTH)):
        _say(console, text)
    console.print()
    under = " " * (max(len(n) for n in axis_names(ex)) + 4)  # an axis's numbers, wrapped
    for text in formulas(ex):
        _say(console, text, indent=under if text.startswith(" ") else "  ")
    console.print()
    small = all(len(_extent(ex, a)) <= VIEW for a in range(x.ndim))
    if small:
        _say(console, "Input:" if not _padded(ex) else "Input, with its padding (p):")
        _print_lines(console, grid_lines(input_grid(ex)))
    else:
        _say(console, "Input (each step shows the part around its window; --crop walks a patch):")
        for text in summary_lines(x):
            _say(console, text)
    noted = False
    previous = 0
    for number, step in ex.steps:
        console.print()
        if number > previous + 1:
            skipped = number - previous - 1
            console.print(
                Text(f"... {skipped} more step{'s' if skipped > 1 else ''} ...", style="dim")
            )
            console.print()
        previous = number
        _say(console, step_title(ex, number, step), "bold")
        _say(console, f"  {step_math(ex, step)}", indent="    ")
        note = None if noted else step_note(ex, step)
        if note is not None:
            for text in textwrap.wrap(note, min(console.width, WIDTH) - 2):
                _say(console, f"  {text}")
            noted = True
        blocks = [
            ("input", grid_lines(input_grid(ex, step))),
            ("output", grid_lines(output_grid(ex, number, step))),
        ]
        _print_lines(console, side_by_side(blocks))
    if previous < ex.total:
        console.print()
        skipped = ex.total - previous
        console.print(Text(f"... {skipped} more step{'s' if skipped > 1 else ''} ...", style="dim"))
    console.print()
    _say(console, "Output:")
    if all(n <= VIEW for n in ex.result.shape):
        _print_lines(console, grid_lines(output_grid(ex)))
    else:
        for text in summary_lines(ex.result):
            _say(console, text)


def _padded(ex: Explanation) -> bool:
    return any(b or a for b, a in ex.geometry.padding)


def _say(console: Console, text: str, style: str = "", indent: str = "  ") -> None:
    """A line of plain words (never read as markup), wrapped at words to the console's
    width, its continuation lines indented by ``indent``."""
    lines = textwrap.wrap(
        text,
        min(console.width, WIDTH),
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    for line in lines or [""]:
        console.print(Text(line, style=style), soft_wrap=True, highlight=False)


def _print_lines(console: Console, lines: list[Text]) -> None:
    for line in lines:
        line = line.copy()
        line.rstrip()
        console.print(line, soft_wrap=True, highlight=False)
