"""Rich renderables: the result header, value tables shaded as heat maps, summaries.

Nothing here decides what is correct; the width of the terminal only decides how much is
shown. Colour is rich's business: it drops it for NO_COLOR and for non-terminals.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence

import numpy as np
from rich.console import Console, Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text

from .engine import PoolGeometry

TABLE_LIMIT = 20  # arrays up to 20x20 per 2-D slice are printed in full
SLICE_LIMIT = 8  # at most this many 2-D slices are printed as tables

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
    x: np.ndarray,
    y: np.ndarray,
    geometry: PoolGeometry,
    op: str,
    padding: object = "valid",
) -> Text:
    """``name: input (4, 4) uint8 -> output (2, 2) uint8, max, kernel 2x2, stride 2x2, ...``."""
    text = Text()
    text.append(f"{name}: ", style="bold")
    text.append(f"input {x.shape} {x.dtype}")
    text.append(" -> ", style="dim")
    text.append(f"output {y.shape} {y.dtype}", style="bold green")
    text.append(
        f", {op}, kernel {_times(geometry.kernel)}, stride {_times(geometry.stride)}, "
        f"padding {describe_padding(geometry, padding)}"
    )
    if any(d != 1 for d in geometry.dilation):
        text.append(f", dilation {_times(geometry.dilation)}")
    if geometry.ceil_mode:
        text.append(", ceil_mode")
    return text


def format_values(arr: np.ndarray) -> np.ndarray:
    """The cells as strings of one format for the whole array (so columns align)."""
    if arr.dtype.kind == "b":
        return np.where(arr, "1", "0")
    if arr.dtype.kind in "iu":
        return arr.astype(str)
    finite = arr[np.isfinite(arr)]
    integral = finite.size == 0 or bool(np.all(finite == np.round(finite)))
    big = finite.size > 0 and float(np.abs(finite).max()) >= 1e6
    tiny = finite.size > 0 and 0 < float(np.abs(finite[finite != 0]).min(initial=1)) < 1e-3
    if big or tiny:
        fmt = "{:.3e}"
    elif integral:
        fmt = "{:.0f}"
    else:
        fmt = "{:.4g}" if arr.dtype.itemsize <= 2 else "{:.4f}"
    return np.vectorize(lambda v: "nan" if np.isnan(v) else fmt.format(v), otypes=[str])(arr)


def _heat_styles(arr: np.ndarray) -> np.ndarray:
    """One background style per cell, from the value's rank between the array's min and max."""
    values = arr.astype(np.float64)
    finite = np.isfinite(values)
    lo = values[finite].min() if finite.any() else 0.0
    hi = values[finite].max() if finite.any() else 0.0
    span = (hi - lo) or 1.0
    scaled = np.clip(np.where(finite, (values - lo) / span, np.where(values > 0, 1.0, 0.0)), 0, 1)
    styles = np.empty(arr.shape, dtype=object)
    for index, t in np.ndenumerate(scaled):
        if np.isnan(values[index]):
            styles[index] = Style(color="red", italic=True)
            continue
        pos = t * (len(_RAMP) - 1)
        i = min(int(pos), len(_RAMP) - 2)
        f = pos - i
        rgb = tuple(round(a + (b - a) * f) for a, b in zip(_RAMP[i], _RAMP[i + 1]))
        luminance = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
        fg = "black" if luminance > 140 else "white"
        styles[index] = Style(color=fg, bgcolor="#{:02x}{:02x}{:02x}".format(*rgb))
    return styles


def matrix_table(arr: np.ndarray, title: str | None = None) -> Table:
    """A 1-D or 2-D array as a table of every value, shaded as a heat map."""
    grid = arr.reshape(1, -1) if arr.ndim == 1 else arr
    text = format_values(grid)
    styles = _heat_styles(grid)
    table = Table(title=title, show_header=True, header_style="dim", box=None, padding=(0, 1))
    table.add_column("", style="dim", justify="right")
    for j in range(grid.shape[1]):
        table.add_column(str(j), justify="right")
    for i in range(grid.shape[0]):
        cells = [Text(text[i, j], style=styles[i, j]) for j in range(grid.shape[1])]
        table.add_row(str(i) if arr.ndim > 1 else "", *cells)
    return table


def _slices(arr: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
    """The 2-D slices over the last two axes, with their index as a title."""
    lead = arr.shape[:-2]
    for index in np.ndindex(*lead):
        title = "[" + ", ".join([*map(str, index), ":", ":"]) + "]"
        yield title, arr[index]


def summary_table(arr: np.ndarray) -> Table:
    """Shape, dtype and value statistics of an array too large to print."""
    table = Table(show_header=False, box=None, padding=(0, 1))
    table.add_column(style="dim")
    table.add_column()
    table.add_row("shape", str(arr.shape))
    table.add_row("dtype", str(arr.dtype))
    if arr.size:
        values = arr.astype(np.float64) if arr.dtype.kind == "b" else arr
        nan_count = int(np.isnan(values).sum()) if arr.dtype.kind == "f" else 0
        with np.errstate(invalid="ignore"):
            table.add_row("min", str(np.nanmin(values)) if nan_count < arr.size else "nan")
            table.add_row("max", str(np.nanmax(values)) if nan_count < arr.size else "nan")
            table.add_row("mean", f"{np.nanmean(values, dtype=np.float64):.6g}")
        if nan_count:
            table.add_row("NaN", str(nan_count))
    return table


def array_view(arr: np.ndarray) -> RenderableType:
    """Every value for small arrays; a summary and a corner preview for large ones."""
    small = arr.ndim <= 2 or int(np.prod(arr.shape[:-2])) <= SLICE_LIMIT
    fits = arr.shape[-1] <= TABLE_LIMIT and (arr.ndim == 1 or arr.shape[-2] <= TABLE_LIMIT)
    if arr.size and small and fits:
        if arr.ndim <= 2:
            return matrix_table(arr)
        return Group(*(matrix_table(s, title) for title, s in _slices(arr)))
    preview = np.array2string(arr, threshold=64, edgeitems=3, max_line_width=100)
    return Group(summary_table(arr), Text("preview:", style="dim"), Text(preview))
