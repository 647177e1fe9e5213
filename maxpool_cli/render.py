"""Rich renderables: result headers, value tables shaded as heat maps, summaries, image
previews, ``info`` tables and ``explain`` walks.

Nothing here decides what is correct; the width of the terminal only decides how much is
shown. Colour is rich's business: it drops it for NO_COLOR and for non-terminals, and every
highlight also shows without colour (window cells are bracketed).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from rich.console import Console, Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text

from .batch import Outcome, Summary, Task
from .engine import AdaptiveGeometry, PoolGeometry
from .engine.reference import Step
from .job import ArrayReport, Explanation, Geometry, Pooled
from .pool_options import PoolOptions
from .sizes import human

TABLE_LIMIT = 20  # arrays up to 20x20 per 2-D slice are printed in full
SLICE_LIMIT = 8  # at most this many 2-D slices are printed as tables
PREVIEW_COLUMNS = 32  # an image preview is at most this many characters wide

# Viridis at five stops: dark blue for the lowest value to yellow for the highest.
_RAMP = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]


def stdout_console() -> Console:
    """A console on the current stdout (rich drops colour when it is not a terminal)."""
    return Console(file=sys.stdout)


def stderr_console() -> Console:
    """A console on the current stderr, for progress and messages."""
    return Console(file=sys.stderr)


def _times(values: Sequence[int]) -> str:
    return "x".join(str(v) for v in values)


def describe_padding(geometry: PoolGeometry, spec: object) -> str:
    """``valid``, ``same (0:1, 1:1)`` or the explicit ``before:after`` pairs."""
    pairs = ", ".join(f"{b}:{a}" for b, a in geometry.padding)
    if isinstance(spec, str):
        return spec if spec == "valid" else f"{spec} ({pairs})"
    return pairs


def header(
    name: str,
    in_shape: tuple[int, ...],
    in_dtype: object,
    out_shape: tuple[int, ...],
    out_dtype: object,
    geometry: Geometry,
    op: str,
    padding: object = "valid",
) -> Text:
    """``name: input (4, 4) uint8 -> output (2, 2) uint8, max, kernel 2x2, stride 2x2, ...``."""
    text = Text()
    text.append(f"{name}: ", style="bold")
    text.append(f"input {tuple(in_shape)} {in_dtype}")
    text.append(" -> ", style="dim")
    text.append(f"output {tuple(out_shape)} {out_dtype}", style="bold green")
    if isinstance(geometry, AdaptiveGeometry):
        size = geometry.output_size
        text.append(f", {op}, " + ("global" if set(size) == {1} else f"adaptive to {_times(size)}"))
        return text
    text.append(
        f", {op}, kernel {_times(geometry.kernel)}, stride {_times(geometry.stride)}, "
        f"padding {describe_padding(geometry, padding)}"
    )
    if any(d != 1 for d in geometry.dilation):
        text.append(f", dilation {_times(geometry.dilation)}")
    if geometry.ceil_mode:
        text.append(", ceil_mode")
    return text


def print_headers(
    console: Console, name: str, arrays: list[ArrayReport], options: PoolOptions
) -> None:
    """One header line per array of a file (one line whatever the width, for grep and logs)."""
    for a in arrays:
        title = name if len(arrays) == 1 else f"{name}[{a.name}]"
        line = header(
            title,
            a.input_shape,
            a.input_dtype,
            a.output_shape,
            a.output_dtype,
            a.geometry,
            options.op,
            options.padding,
        )
        console.print(line, soft_wrap=True)


def print_pooled(
    console: Console, pooled: Pooled, options: PoolOptions, preview: bool | None
) -> None:
    """A pooled file shown in full: per array a header, a preview of images, the values."""
    doc = pooled.source
    show_preview = console.is_terminal if preview is None else preview
    for name, y in pooled.result.arrays.items():
        x = doc.arrays[name]
        title = doc.name if len(doc.arrays) == 1 else f"{doc.name}[{name}]"
        line = header(
            title,
            x.shape,
            x.dtype,
            y.shape,
            y.dtype,
            pooled.geometries[name],
            options.op,
            options.padding,
        )
        console.print(line, soft_wrap=True)
        if doc.image is not None and show_preview:
            console.print(image_preview(x, y, doc.image.mode))
        console.print(array_view(y, channels_last=doc.is_image and y.ndim == 3))


# --- values -----------------------------------------------------------------------------------


def format_values(arr: np.ndarray) -> np.ndarray:
    """The cells as strings of one format for the whole array (so columns align)."""
    if arr.dtype.kind == "b":
        return np.where(arr, "1", "0")
    if arr.dtype.kind in "iu":
        return arr.astype(str)
    finite = arr[np.isfinite(arr)]
    integral = finite.size == 0 or bool(np.all(finite == np.round(finite)))
    magnitude = np.abs(finite[finite != 0])
    big = magnitude.size > 0 and float(magnitude.max()) >= 1e6
    tiny = magnitude.size > 0 and float(magnitude.min()) < 1e-3
    if big or tiny:
        fmt = "{:.3e}"
    elif integral:
        fmt = "{:.0f}"
    else:
        fmt = "{:.4g}" if arr.dtype.itemsize <= 2 else "{:.4f}"
    return np.vectorize(lambda v: "nan" if np.isnan(v) else fmt.format(v), otypes=[str])(arr)


def _ramp(t: float) -> tuple[int, int, int]:
    pos = min(max(t, 0.0), 1.0) * (len(_RAMP) - 1)
    i = min(int(pos), len(_RAMP) - 2)
    f = pos - i
    a, b = _RAMP[i], _RAMP[i + 1]
    return (
        round(a[0] + (b[0] - a[0]) * f),
        round(a[1] + (b[1] - a[1]) * f),
        round(a[2] + (b[2] - a[2]) * f),
    )


def heat_styles(arr: np.ndarray) -> np.ndarray:
    """One background style per cell, from where its value lies between the min and max."""
    values = arr.astype(np.float64)
    finite = np.isfinite(values)
    lo = values[finite].min() if finite.any() else 0.0
    hi = values[finite].max() if finite.any() else 0.0
    span = (hi - lo) or 1.0
    styles = np.empty(arr.shape, dtype=object)
    for index, v in np.ndenumerate(values):
        if np.isnan(v):
            styles[index] = Style(color="red", italic=True)
            continue
        t = (v - lo) / span if np.isfinite(v) else (1.0 if v > 0 else 0.0)
        r, g, b = _ramp(t)
        fg = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "white"
        styles[index] = Style(color=fg, bgcolor=f"#{r:02x}{g:02x}{b:02x}")
    return styles


def matrix_table(arr: np.ndarray, title: str | None = None) -> Table:
    """A 1-D or 2-D array as a table of every value, shaded as a heat map."""
    grid = arr.reshape(1, -1) if arr.ndim == 1 else arr
    text = format_values(grid)
    styles = heat_styles(grid)
    width = max((len(t) for t in text.flat), default=1)
    table = Table(title=title, show_header=True, header_style="dim", box=None, padding=(0, 0))
    table.add_column("", style="dim", justify="right")
    for j in range(grid.shape[1]):
        table.add_column(str(j), justify="right")
    for i in range(grid.shape[0]):
        # Padded to one width so that the whole cell, not just its digits, is shaded.
        cells = [Text(f" {text[i, j]:>{width}} ", style=styles[i, j]) for j in range(grid.shape[1])]
        table.add_row(f"{i} " if arr.ndim > 1 else "", *cells)
    return table


def _slices(arr: np.ndarray, channels_last: bool) -> Iterator[tuple[str, np.ndarray]]:
    """The 2-D slices of an array (per channel for an image), with their index as a title."""
    if channels_last:
        for c in range(arr.shape[2]):
            yield f"[:, :, {c}]", arr[:, :, c]
        return
    for index in np.ndindex(*arr.shape[:-2]):
        yield "[" + ", ".join([*map(str, index), ":", ":"]) + "]", arr[index]


def summary_table(arr: np.ndarray, channels_last: bool = False) -> Table:
    """Shape, dtype and min, max, mean (per channel for an image) of an array too large to print."""
    table = Table(box=None, padding=(0, 1), header_style="dim")
    table.add_column("", style="dim")
    for label in ("min", "max", "mean", "NaN"):
        table.add_column(label, justify="right")
    parts = [("all", arr)]
    if channels_last and arr.ndim == 3 and arr.shape[2] > 1:
        parts = [(f"channel {c}", arr[:, :, c]) for c in range(arr.shape[2])]
    for label, part in parts:
        table.add_row(label, *_stats(part))
    return table


def _stats(part: np.ndarray) -> list[str]:
    if part.size == 0:
        return ["-", "-", "-", "0"]
    values = part.astype(np.float64) if part.dtype.kind == "b" else part
    nans = int(np.isnan(values).sum()) if part.dtype.kind == "f" else 0
    if nans == part.size:
        return ["nan", "nan", "nan", str(nans)]
    lo, hi = np.nanmin(values), np.nanmax(values)
    mean = np.nanmean(values, dtype=np.float64)
    return [f"{lo:.6g}", f"{hi:.6g}", f"{mean:.6g}", str(nans)]


def array_view(arr: np.ndarray, channels_last: bool = False) -> RenderableType:
    """Every value for small arrays; a summary and a corner preview for large ones."""
    plane = arr.shape[:2] if channels_last else arr.shape[-2:]
    slices = arr.shape[2] if channels_last else int(np.prod(arr.shape[:-2]))
    fits = plane[-1] <= TABLE_LIMIT and (arr.ndim == 1 or plane[0] <= TABLE_LIMIT)
    if arr.size and fits and slices <= SLICE_LIMIT:
        if arr.ndim <= 2:
            return matrix_table(arr)
        return Group(*(matrix_table(s, title) for title, s in _slices(arr, channels_last)))
    parts: list[RenderableType] = [
        Text(f"shape {arr.shape}, dtype {arr.dtype}", style="dim"),
        summary_table(arr, channels_last),
    ]
    if not channels_last:  # an image's corners say little; its preview says more
        preview = np.array2string(arr, threshold=64, edgeitems=3, max_line_width=100)
        parts += [Text("corners:", style="dim"), Text(preview)]
    return Group(*parts)


# --- image previews ---------------------------------------------------------------------------


def _display_rgb(pixels: np.ndarray, mode: str) -> np.ndarray:
    """Any image's pixels as (H, W, 3) uint8 for a terminal preview (alpha over dark grey)."""
    values = pixels.astype(np.float64)
    if mode == "CMYK":
        c, m, y, k = (values[..., i] / 255 for i in range(4))
        values = np.stack([(1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)], -1) * 255
    elif mode in ("LA", "RGBA"):
        alpha = values[..., -1:] / 255
        colour = values[..., :-1]
        values = colour * alpha + 40 * (1 - alpha)
    elif mode not in ("RGB", "L"):
        finite = values[np.isfinite(values)]
        lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
        values = (np.nan_to_num(values, nan=lo) - lo) / ((hi - lo) or 1) * 255
    if values.ndim == 2:
        values = values[..., None]
    if values.shape[-1] == 1:
        values = np.repeat(values, 3, axis=-1)
    return np.clip(np.round(values), 0, 255).astype(np.uint8)


def _sample(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Nearest-neighbour resampling to ``height`` x ``width`` (height even)."""
    rows = (np.arange(height) * rgb.shape[0] // height).clip(0, rgb.shape[0] - 1)
    cols = (np.arange(width) * rgb.shape[1] // width).clip(0, rgb.shape[1] - 1)
    return rgb[rows][:, cols]


def half_blocks(rgb: np.ndarray) -> Text:
    """Two pixel rows per line: the upper half block in the top colour on the bottom one."""
    text = Text()
    for top, bottom in zip(rgb[0::2], rgb[1::2]):
        for (r1, g1, b1), (r2, g2, b2) in zip(top, bottom):
            text.append(
                "▀", Style(color=f"#{r1:02x}{g1:02x}{b1:02x}", bgcolor=f"#{r2:02x}{g2:02x}{b2:02x}")
            )
        text.append("\n")
    text.rstrip()
    return text


def image_preview(
    before: np.ndarray, after: np.ndarray, mode: str, columns: int = PREVIEW_COLUMNS
) -> Table:
    """Input and output side by side at the same display size (so pooling's blocks show)."""
    h, w = before.shape[:2]
    width = max(1, min(columns, w))
    height = max(2, round(h * width / w / 2) * 2)
    grid = Table.grid(padding=(0, 2))
    grid.add_column()
    grid.add_column()
    grid.add_row(
        Text(f"input {w}x{h}", style="dim"),
        Text(f"output {after.shape[1]}x{after.shape[0]}", style="dim"),
    )
    grid.add_row(
        half_blocks(_sample(_display_rgb(before, mode), width, height)),
        half_blocks(_sample(_display_rgb(after, mode), width, height)),
    )
    return grid


# --- info -------------------------------------------------------------------------------------


def info_view(file_record: dict[str, Any], arrays: list[dict[str, Any]]) -> Text:
    """What ``maxpool info`` shows for one file: two lines per array, whatever the width."""
    text = Text()
    text.append(file_record["input"], style="bold")
    facts = [file_record["format"].upper()]
    if "mode" in file_record:
        facts.append(f"mode {file_record['mode']}")
        if file_record.get("frames", 1) > 1:
            facts.append(f"{file_record['frames']} frames")
    text.append(f"  {', '.join(facts)}\n", style="dim")
    width = max(len(a["name"]) for a in arrays)
    for a in arrays:
        span = a["input_range"]
        values = "no numbers" if span is None else f"{_number(span[0])} .. {_number(span[1])}"
        text.append(f"  {a['name']:<{width}}  ", style="bold")
        text.append(f"{tuple(a['input_shape'])} {a['input_dtype']}, values {values}\n")
        text.append(" " * (width + 4))
        text.append(f"pooled over axes {', '.join(map(str, a['axes']))} -> ")
        text.append(f"{tuple(a['output_shape'])} {a['output_dtype']}", style="bold green")
        if "output_size" in a:
            text.append(f", adaptive to {_times(a['output_size'])}\n")
            continue
        padding = ", ".join(f"{b}:{e}" for b, e in a["padding"])
        text.append(f", kernel {_times(a['kernel'])}, stride {_times(a['stride'])}, ")
        text.append(f"padding {padding}\n")
    text.rstrip()
    return text


# --- explain ----------------------------------------------------------------------------------


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
    text = format_values(grid2d)
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
            shown.append(_number(value))
    text.append(f"  {op}({', '.join(shown)}) = ")
    text.append(_number(step.value), style="bold green")
    if step.index >= 0:
        position = np.unravel_index(step.index, arr.shape)
        text.append(
            f"  (input [{', '.join(str(int(p)) for p in position)}], flat index {step.index})"
        )
    return text


def _number(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    number = float(value)  # type: ignore[arg-type]
    return "nan" if np.isnan(number) else f"{number:.6g}"


# --- batches ----------------------------------------------------------------------------------


class BatchProgress:
    """A progress bar on stderr: files, bytes, rate and time left.

    It refreshes only when a file completes (no refresh thread), so that worker processes
    are never forked while a thread holds a lock.
    """

    def __init__(self, console: Console, tasks: list[Task]) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]pooling"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[size]}"),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=console,
            auto_refresh=False,
            transient=True,
        )
        self._total_bytes = sum(t.size for t in tasks)
        self._bytes = 0
        self._task = self._progress.add_task("", total=len(tasks), size="", rate="")
        self._progress.start()

    def advance(self, outcome: Outcome) -> None:
        self._bytes += outcome.in_bytes
        task = self._progress.tasks[0]
        elapsed = task.elapsed or 0.0
        rate = f"{(task.completed + 1) / elapsed:.1f} files/s" if elapsed > 0 else ""
        size = f"{human(self._bytes)} of {human(self._total_bytes)}"
        self._progress.update(self._task, advance=1, size=size, rate=rate)
        self._progress.refresh()

    def stop(self) -> None:
        self._progress.stop()


def summary_view(summary: Summary, outcomes: list[Outcome]) -> Group:
    """The end of a batch: counts, bytes, time, and every failure with its reason."""
    table = Table(box=None, show_header=False, padding=(0, 2))
    table.add_column(style="dim")
    table.add_column(justify="right")
    table.add_row("done", Text(str(summary.done), style="green" if summary.done else ""))
    table.add_row("skipped (output exists)", str(summary.skipped))
    table.add_row("failed", Text(str(summary.failed), style="bold red" if summary.failed else ""))
    table.add_row("read", human(summary.in_bytes))
    table.add_row("written", human(summary.out_bytes))
    rate = summary.done / summary.seconds if summary.seconds > 0 else 0.0
    table.add_row("time", f"{summary.seconds:.2f} s ({rate:.1f} files/s)")
    parts: list[RenderableType] = [table]
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        reasons = Table(title="failed", title_justify="left", box=None, padding=(0, 2))
        reasons.add_column("file", overflow="fold")
        reasons.add_column("reason", overflow="fold")
        for o in failed:
            reasons.add_row(o.source, o.reason)
        parts.append(reasons)
    return Group(*parts)


def print_explanation(
    console: Console, name: str, x: np.ndarray, walk: Explanation, options: PoolOptions
) -> None:
    """The whole ``explain`` walk: header, formulas, the input, every step, the output."""
    geometry, result = walk.geometry, walk.result
    line = header(
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
