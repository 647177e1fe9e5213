"""Rich renderables for ``maxpool explain``: the formulas, the grid with each window
highlighted, and each step in words (every highlight also shows without colour)."""

from __future__ import annotations

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..engine import AdaptiveGeometry
from ..engine.reference import Step
from ..jobs.lesson import Explanation
from ..jobs.one_file import Geometry
from ..jobs.options import PoolOptions
from .render import matrix_table
from .text import header_line, number_strings, number_text

AXIS_NAMES = {1: ["positions"], 2: ["rows", "columns"]}


def size_formulas(geometry: Geometry, padding: object) -> Text:
    """The output-size formula of each pooled axis, with its numbers filled in."""
    same = isinstance(padding, str) and padding == "same"
    names = AXIS_NAMES.get(len(geometry.axes), [f"axis {a}" for a in geometry.axes])
    text = Text()
    if isinstance(geometry, AdaptiveGeometry):
        text.append("adaptive: window i spans [floor(i*n/out), ceil((i+1)*n/out))\n")
        for name, axis, windows in zip(names, geometry.axes, geometry.windows):
            spans = " ".join(f"[{a}, {b})" for a, b in windows)
            n, out = geometry.input_shape[axis], len(windows)
            text.append(f"  {name:<9}", style="bold")
            text.append(f"n = {n}, out = {out}: {spans}\n")
        text.rstrip()
        return text
    if same:
        text.append("SAME padding: out = ceil(n / s); total = max((out - 1)*s + e - n, 0), ")
        text.append("before = total // 2, after = total - before\n", style="")
    else:
        rounding = "ceil" if geometry.ceil_mode else "floor"
        text.append(f"out = {rounding}((n + before + after - e) / s) + 1, with e = d*(k - 1) + 1\n")
    for name, g in zip(names, geometry.per_axis):
        e = g.span
        text.append(f"  {name:<9}", style="bold")
        if same:
            total = g.pad_before + g.pad_after
            text.append(
                f"out = ceil({g.size} / {g.stride}) = {g.out}; total = max(({g.out} - 1)"
                f"*{g.stride} + {e} - {g.size}, 0) = {total}, before {g.pad_before}, "
                f"after {g.pad_after}\n"
            )
            continue
        room = g.size + g.pad_before + g.pad_after - e
        rounding = "ceil" if geometry.ceil_mode else "floor"
        raw = (-(-room // g.stride) if geometry.ceil_mode else room // g.stride) + 1
        text.append(
            f"e = {g.dilation}*({g.kernel} - 1) + 1 = {e}; out = {rounding}(({g.size} + "
            f"{g.pad_before} + {g.pad_after} - {e}) / {g.stride}) + 1 = {raw}"
        )
        if raw != g.out:
            text.append(f", minus the window that would start in the trailing padding = {g.out}")
        text.append("\n")
    text.rstrip()
    return text


def _grid_positions(geometry: Geometry) -> list[range]:
    """Per pooled axis, the positions shown: the input and its declared padding."""
    sizes = [geometry.input_shape[a] for a in geometry.axes]
    return [range(-b, n + a) for (b, a), n in zip(geometry.padding, sizes)]


def explain_grid(
    arr: np.ndarray,
    geometry: Geometry,
    pad_value: float | None,
    step: Step | None = None,
) -> Table:
    """The (padded) input as a table; the cells of ``step``'s window bracketed and highlighted."""
    grid2d = arr.reshape(1, -1) if arr.ndim == 1 else arr
    text = number_strings(grid2d)
    positions = _grid_positions(geometry)
    rows = positions[0] if arr.ndim == 2 else range(0, 1)
    cols = positions[-1]
    in_window: dict[tuple[int, int], bool] = {}
    winner = None
    if step is not None:
        for cell in step.cells:
            key = (cell.position[0], cell.position[1]) if arr.ndim == 2 else (0, cell.position[0])
            in_window[key] = True
        winner = _winner_position(step, arr.shape)
    table = Table(box=None, padding=(0, 0), show_header=True, header_style="dim")
    table.add_column("", style="dim", justify="right")
    for c in cols:
        table.add_column(str(c), justify="right")
    pad_text = "·" if pad_value is None else f"{pad_value:g}"
    for r in rows:
        cells = []
        for c in cols:
            inside = 0 <= c < grid2d.shape[1] and 0 <= r < grid2d.shape[0]
            value = text[r, c] if inside else pad_text
            style = "" if inside else "dim"
            if in_window.get((r, c)):
                chosen = step is not None and winner == (r, c)
                style = "bold reverse green" if chosen else "bold reverse"
                value = f"[{value}]" if not chosen else f"<{value}>"
            else:
                value = f" {value} "
            cells.append(Text(value, style=style))
        table.add_row(str(r) if arr.ndim == 2 else "", *cells)
    return table


def _winner_position(step: Step, shape: tuple[int, ...]) -> tuple[int, int] | None:
    if step.index < 0:
        return None
    position = np.unravel_index(step.index, shape)
    return (int(position[0]), int(position[1])) if len(shape) == 2 else (0, int(position[0]))


def explain_step(arr: np.ndarray, step: Step, number: int, total: int, op: str) -> Text:
    """One output cell in words: which window, what it holds, what it gives."""
    where = ", ".join(map(str, step.out_index))
    spans = []
    for axis, name in enumerate(AXIS_NAMES[arr.ndim]):
        coords = sorted({cell.position[axis] for cell in step.cells})
        spans.append(f"{name} {', '.join(map(str, coords))}")
    text = Text()
    text.append(f"Step {number} of {total}: ", style="bold")
    text.append(f"output [{where}] reads {'; '.join(spans)}\n")
    shown = []
    for cell, value in zip(step.cells, step.values):
        if value is None:
            shown.append("·" if cell.kind == "pad" else "-")
        else:
            shown.append(number_text(value))
    text.append(f"  {op}({', '.join(shown)}) = ")
    text.append(number_text(step.value), style="bold green")
    if step.index >= 0:
        position = np.unravel_index(step.index, arr.shape)
        text.append(
            f"  (input [{', '.join(str(int(p)) for p in position)}], flat index {step.index})"
        )
    return text


def print_explanation(
    console: Console, name: str, x: np.ndarray, walk: Explanation, options: PoolOptions
) -> None:
    """The whole ``explain`` walk: header, formulas, the input, every step, the output."""
    geometry, result = walk.geometry, walk.result
    line = header_line(
        name, x.shape, x.dtype, result.shape, result.dtype, geometry, options.op, options.padding
    )
    console.print(line, soft_wrap=True)
    console.print(size_formulas(geometry, options.padding), soft_wrap=True)
    padded = any(b or a for b, a in geometry.padding)
    console.print("Input (padding shown as ·):" if padded else "Input:")
    console.print(explain_grid(x, geometry, options.pad_value))
    walked = np.empty(result.shape, dtype=result.dtype)
    for number, step in enumerate(walk.steps, start=1):
        console.print()
        console.print(explain_step(x, step, number, len(walk.steps), options.op))
        console.print(explain_grid(x, geometry, options.pad_value, step))
        walked[step.out_index] = step.value
    console.print()
    console.print("Output:")
    # The walk's own result: the reference, which a test holds equal to the engine's.
    console.print(matrix_table(walked))
