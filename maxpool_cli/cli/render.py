"""The terminal's views (rich): value tables shaded as heat maps, split into column blocks that
fit the width, summaries, and colour previews of images.

Off a terminal the command line prints plain text instead (:mod:`maxpool_cli.cli.text`), with
the same exact numbers. The width only decides how the values are laid out, never which digits
are shown. Every highlight also shows without colour, and there is no preview without colour.
"""

from __future__ import annotations

import os
import sys

import numpy as np
from rich.console import Console, Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text

from ..jobs.one_file import Pooled
from ..jobs.options import PoolOptions
from . import text

PREVIEW_COLUMNS = 32  # an image preview is at most this many characters wide, per image
PREVIEW_GAP = 2

# Viridis at five stops: dark blue for the lowest value to yellow for the highest.
_RAMP = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]


def stdout_console() -> Console:
    """A console on the current stdout (rich drops colour for NO_COLOR and non-terminals)."""
    return Console(file=sys.stdout)


def stderr_console() -> Console:
    """A console on the current stderr, for progress."""
    return Console(file=sys.stderr)


def has_colour(console: Console) -> bool:
    return console.is_terminal and not console.no_color and "NO_COLOR" not in os.environ


def print_pooled(
    console: Console, pooled: Pooled, options: PoolOptions, preview: bool | None
) -> None:
    """A pooled file shown on a terminal: per array a header, a preview of images (in colour
    only), then the values."""
    doc = pooled.source
    show_preview = has_colour(console) if preview is None else preview and has_colour(console)
    for name, y in pooled.result.arrays.items():
        x = doc.arrays[name]
        title = doc.name if len(doc.arrays) == 1 else f"{doc.name}[{name}]"
        line = text.header_line(
            title,
            x.shape,
            x.dtype,
            y.shape,
            y.dtype,
            pooled.geometries[name],
            options.op,
            options.padding,
        )
        console.print(Text(line, style="bold"), soft_wrap=True)
        if doc.image is not None and show_preview:
            console.print(image_preview(x, y, doc.image.mode, console.width))
        console.print(array_view(y, doc.is_image and y.ndim == 3, console.width))


# --- values -----------------------------------------------------------------------------------


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


def column_blocks(columns: int, cell_width: int, label_width: int, width: int) -> list[range]:
    """The columns of each block of a table ``width`` characters wide (at least one each).

    >>> column_blocks(10, 4, 3, 20)
    [range(0, 4), range(4, 8), range(8, 10)]
    """
    per_block = max(1, (width - label_width) // cell_width)
    return [range(lo, min(lo + per_block, columns)) for lo in range(0, columns, per_block)]


def matrix_tables(arr: np.ndarray, width: int = 1 << 30) -> list[Table]:
    """A 1-D or 2-D array as tables of every value, shaded as a heat map: one table, or one
    per block of columns when the rows are wider than ``width`` (as a pager of NumPy's)."""
    grid = arr.reshape(1, -1) if arr.ndim == 1 else arr
    cells = text.number_strings(grid)
    styles = heat_styles(grid)
    cell = max((len(c) for c in cells.flat), default=1)
    cell = max(cell, len(str(grid.shape[1] - 1)))
    label = len(str(grid.shape[0] - 1)) + 1 if arr.ndim > 1 else 0
    tables = []
    for block in column_blocks(grid.shape[1], cell + 2, label, width):
        table = Table(show_header=True, header_style="dim", box=None, padding=(0, 0))
        table.add_column("", style="dim", justify="right", no_wrap=True)
        for j in block:
            table.add_column(str(j), justify="right", no_wrap=True, min_width=cell + 2)
        for i in range(grid.shape[0]):
            # Padded to one width so that the whole cell, not just its digits, is shaded.
            row = [Text(f" {cells[i, j]:>{cell}} ", style=styles[i, j]) for j in block]
            table.add_row(f"{i} " if arr.ndim > 1 else "", *row)
        tables.append(table)
    return tables


def matrix_table(arr: np.ndarray) -> Table:
    """The whole table in one piece (for a width that holds it)."""
    return matrix_tables(arr)[0]


def array_view(arr: np.ndarray, channels_last: bool = False, width: int = 80) -> RenderableType:
    """Every value of small arrays (in column blocks that fit ``width``); a summary and the
    corners of large ones."""
    if not text.fits_table(arr, channels_last):
        lines = text.summary_lines(arr, channels_last)
        if not channels_last and arr.size:  # corners wrapped to the width, not cut
            at = lines.index("corners:") + 1
            lines = [*lines[:at], *text.corners(arr, width).splitlines()]
        return Text("\n".join(lines))
    parts: list[RenderableType] = []
    for title, part in text.slices(arr, channels_last):
        if title:
            parts.append(Text(title, style="dim"))
        for n, table in enumerate(matrix_tables(part, width)):
            if n:
                parts.append(Text(""))  # blocks of columns apart, as NumPy's wrapped rows
            parts.append(table)
    return Group(*parts)


# --- image previews ---------------------------------------------------------------------------


def _display_rgb(pixels: np.ndarray, mode: str) -> np.ndarray:
    """Any image's pixels as (H, W, 3) uint8 for a terminal preview (alpha over dark grey)."""
    values = pixels.astype(np.float64)
    if mode in ("LA;16", "RGB;16", "RGBA;16"):
        values, mode = values / 257, mode.removesuffix(";16")  # (65535 -> 255)
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
    out = Text()
    for top, bottom in zip(rgb[0::2], rgb[1::2]):
        for (r1, g1, b1), (r2, g2, b2) in zip(top, bottom):
            out.append(
                "▀", Style(color=f"#{r1:02x}{g1:02x}{b1:02x}", bgcolor=f"#{r2:02x}{g2:02x}{b2:02x}")
            )
        out.append("\n")
    out.rstrip()
    return out


def image_preview(before: np.ndarray, after: np.ndarray, mode: str, width: int = 80) -> Table:
    """Input and output side by side at the same display size (so pooling's blocks show),
    scaled down to fit ``width`` characters."""
    h, w = before.shape[:2]
    columns = max(1, min(PREVIEW_COLUMNS, w, (width - PREVIEW_GAP) // 2))
    height = max(2, round(h * columns / w / 2) * 2)
    grid = Table.grid(padding=(0, PREVIEW_GAP))
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_row(
        Text(f"input {w}x{h}", style="dim", overflow="crop"),
        Text(f"output {after.shape[1]}x{after.shape[0]}", style="dim", overflow="crop"),
    )
    grid.add_row(
        half_blocks(_sample(_display_rgb(before, mode), columns, height)),
        half_blocks(_sample(_display_rgb(after, mode), columns, height)),
    )
    return grid
