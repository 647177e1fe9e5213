"""Rich renderables: result headers, value tables shaded as heat maps, summaries, image
previews and ``info`` descriptions (``explain`` walks and batch views have modules of their
own: render_explain.py and render_batch.py).

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

from ..engine import AdaptiveGeometry, PoolGeometry
from ..jobs.one_file import ArrayReport, Geometry, Pooled
from ..jobs.options import PoolOptions

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
        values = (
            "no numbers" if span is None else f"{number_text(span[0])} .. {number_text(span[1])}"
        )
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


def number_text(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    number = float(value)  # type: ignore[arg-type]
    return "nan" if np.isnan(number) else f"{number:.6g}"
