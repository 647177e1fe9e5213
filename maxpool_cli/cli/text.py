"""Plain text for pipes, files and logs: every value in full, one line per row, no width limit.

Nothing here imports rich: a result printed into a pipe costs NumPy and click only. Numbers
are written in their shortest exact form (the text reads back as the same value, as NumPy's
``floatmode="unique"``), so printing never drops a digit. The terminal's richer views
(:mod:`maxpool_cli.cli.render`) use the same strings.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ..engine import AdaptiveGeometry, PoolGeometry

TABLE_LIMIT = 20  # arrays up to 20x20 per 2-D slice are printed in full
SLICE_LIMIT = 8  # at most this many 2-D slices are printed as tables
CORNER_ITEMS = 3  # a large array's summary shows this many items at each edge

Geometry = PoolGeometry | AdaptiveGeometry


def number_strings(arr: np.ndarray) -> np.ndarray:
    """Every cell as the shortest text that reads back as the same value.

    Floats are positional unless the magnitudes call for scientific notation (as NumPy
    decides: at least 1e16, or a non-zero below 1e-4), one notation for the whole array.

    >>> number_strings(np.array([1 / 3, 2.0, np.nan])).tolist()
    ['0.3333333333333333', '2', 'nan']
    >>> number_strings(np.array([1e-5, 2.5])).tolist()
    ['1e-05', '2.5e+00']
    """
    if arr.dtype.kind == "b":
        return np.where(arr, "1", "0")
    if arr.dtype.kind in "iu":
        return arr.astype(str)
    finite = np.abs(arr[np.isfinite(arr)])
    nonzero = finite[finite != 0]
    scientific = nonzero.size > 0 and (nonzero.max() >= 1e16 or nonzero.min() < 1e-4)
    strings = np.empty(arr.shape, dtype=object)
    for index, value in np.ndenumerate(arr):
        strings[index] = number_text(value, scientific)
    return strings.astype(str)


def number_text(value: object, scientific: bool | None = None) -> str:
    """One number, exactly: ``3``, ``0.1``, ``1e-05``, ``nan``, ``-inf`` (the notation chosen
    for the value itself unless ``scientific`` says).

    >>> number_text(np.float32(0.1)), number_text(np.uint8(7)), number_text(np.float64(2.0))
    ('0.1', '7', '2')
    >>> number_text(2.0987910745498122e-16)
    '2.0987910745498122e-16'
    """
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    number = value if isinstance(value, np.floating) else np.float64(value)  # type: ignore[arg-type]
    if not np.isfinite(number):
        return "nan" if np.isnan(number) else ("inf" if number > 0 else "-inf")
    if scientific is None:
        scientific = number != 0 and not 1e-4 <= abs(number) < 1e16
    if scientific:
        return np.format_float_scientific(number, unique=True, trim="-")
    return np.format_float_positional(number, unique=True, trim="-")


def times(values: Sequence[int]) -> str:
    return "x".join(str(v) for v in values)


def describe_padding(geometry: Geometry, spec: object) -> str:
    """``valid``, ``same (0:1, 1:1)`` or the explicit ``before:after`` pairs: the words of
    ``-p``, with the numbers the geometry worked out."""
    return _padding_words(geometry.padding, spec)


def describe_geometry(geometry: Geometry, op: str, padding: object) -> str:
    """``max, kernel 2x2, stride 2x2, padding valid`` (or ``max, adaptive to 3x3``)."""
    if isinstance(geometry, AdaptiveGeometry):
        size = geometry.output_size
        return f"{op}, " + ("global" if set(size) == {1} else f"adaptive to {times(size)}")
    text = (
        f"{op}, kernel {times(geometry.kernel)}, stride {times(geometry.stride)}, "
        f"padding {describe_padding(geometry, padding)}"
    )
    if any(d != 1 for d in geometry.dilation):
        text += f", dilation {times(geometry.dilation)}"
    if geometry.ceil_mode:
        text += ", ceil_mode"
    return text


def header_line(
    name: str,
    in_shape: Sequence[int],
    in_dtype: object,
    out_shape: Sequence[int],
    out_dtype: object,
    geometry: Geometry,
    op: str,
    padding: object = "valid",
) -> str:
    """``name: input (4, 4) uint8 -> output (2, 2) uint8, max, kernel 2x2, stride 2x2, ...``.

    One line whatever the width, for grep and logs.
    """
    return (
        f"{name}: input {tuple(in_shape)} {in_dtype} -> output {tuple(out_shape)} {out_dtype}, "
        f"{describe_geometry(geometry, op, padding)}"
    )


def fits_table(arr: np.ndarray, channels_last: bool = False) -> bool:
    """Whether every value is printed (small 2-D slices, few of them), not a summary."""
    if arr.size == 0 or arr.ndim == 0:
        return False
    plane = arr.shape[:2] if channels_last else arr.shape[-2:]
    slices = arr.shape[2] if channels_last else math.prod(arr.shape[:-2])
    fits = plane[-1] <= TABLE_LIMIT and (arr.ndim == 1 or plane[0] <= TABLE_LIMIT)
    return fits and slices <= SLICE_LIMIT


def slices(arr: np.ndarray, channels_last: bool) -> Iterator[tuple[str, np.ndarray]]:
    """The 2-D slices of an array (per channel for an image), with their index as a title."""
    if arr.ndim <= 2:
        yield "", arr
        return
    if channels_last:
        for c in range(arr.shape[2]):
            yield f"[:, :, {c}]", arr[:, :, c]
        return
    for index in np.ndindex(*arr.shape[:-2]):
        yield "[" + ", ".join([*map(str, index), ":", ":"]) + "]", arr[index]


def grid_lines(arr: np.ndarray) -> list[str]:
    """A 1-D or 2-D array as right-aligned text: a header of column numbers, then one line
    per row, led by its row number (every value, whatever the width)."""
    grid = arr.reshape(1, -1) if arr.ndim == 1 else arr
    cells = number_strings(grid)
    width = max((len(c) for c in cells.flat), default=1)
    width = max(width, len(str(grid.shape[1] - 1)))
    label = len(str(grid.shape[0] - 1)) if arr.ndim > 1 else 0
    lines = [" " * label + "".join(f" {j:>{width}}" for j in range(grid.shape[1]))]
    for i, row in enumerate(cells):
        lead = f"{i:>{label}}" if arr.ndim > 1 else ""
        lines.append(lead + "".join(f" {c:>{width}}" for c in row))
    return lines


def summary_lines(arr: np.ndarray, channels_last: bool = False) -> list[str]:
    """Shape, dtype, per-channel min, max, mean and NaN count, and the corners (exact)."""
    lines = [f"shape {arr.shape}, dtype {arr.dtype}"]
    parts = [("all", arr)]
    if channels_last and arr.ndim == 3 and arr.shape[2] > 1:
        parts = [(f"channel {c}", arr[:, :, c]) for c in range(arr.shape[2])]
    rows = [("", "min", "max", "mean", "NaN")] + [(label, *stats(part)) for label, part in parts]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        lead = f"  {row[0]:<{widths[0]}}"
        lines.append((lead + "".join(f"  {v:>{w}}" for v, w in zip(row[1:], widths[1:]))).rstrip())
    if not channels_last and arr.size:
        lines.append("corners:")
        lines += corners(arr).splitlines()
    return lines


def stats(part: np.ndarray) -> tuple[str, str, str, str]:
    """Min, max (values of the array) and mean (float64), exactly, and the NaN count."""
    if part.size == 0:
        return "-", "-", "-", "0"
    values = part.astype(np.uint8) if part.dtype.kind == "b" else part
    nans = int(np.isnan(values).sum()) if part.dtype.kind == "f" else 0
    if nans == part.size:
        return "nan", "nan", "nan", str(nans)
    lo, hi = np.nanmin(values), np.nanmax(values)
    mean = np.nanmean(values, dtype=np.float64)
    return number_text(lo), number_text(hi), number_text(mean), str(nans)


def corners(arr: np.ndarray, width: int = 1 << 30) -> str:
    """The array's edges, NumPy style, every value shown in full (``...`` for what is cut)."""
    return np.array2string(
        arr,
        threshold=0,
        edgeitems=CORNER_ITEMS,
        max_line_width=width,
        floatmode="unique",
        separator=" ",
    )


def array_lines(arr: np.ndarray, channels_last: bool = False) -> list[str]:
    """Every value of a small array (a grid per 2-D slice), or a summary and its corners."""
    if not fits_table(arr, channels_last):
        return summary_lines(arr, channels_last)
    lines: list[str] = []
    for title, part in slices(arr, channels_last):
        if title:
            lines.append(title)
        lines += grid_lines(part)
    return lines


def info_lines(record: dict[str, Any], padding: object) -> list[str]:
    """What ``maxpool info`` shows for one file: two lines per array, whatever the width."""
    facts = [record["format"].upper()]
    if "mode" in record:
        facts.append(f"mode {record['mode']}")
        if record.get("frames", 1) > 1:
            facts.append(f"{record['frames']} frames")
    lines = [f"{record['input']}  {', '.join(facts)}"]
    arrays = record["arrays"]
    width = max((len(a["name"]) for a in arrays), default=0)
    for a in arrays:
        line = f"  {a['name']:<{width}}  {tuple(a['input_shape'])} {a['input_dtype']}"
        if "input_range" in a:
            span = a["input_range"]
            kind = np.dtype(a["input_dtype"]).type  # a float32 range in float32's digits
            values = (
                "no numbers"
                if span is None
                else f"{number_text(kind(span[0]))} .. {number_text(kind(span[1]))}"
            )
            line += f", values {values}"
        lines.append(line)
        pooled = (
            f"{' ' * (width + 4)}pooled over axes {', '.join(map(str, a['axes']))} -> "
            f"{tuple(a['output_shape'])} {a['output_dtype']}"
        )
        if "output_size" in a:
            lines.append(f"{pooled}, adaptive to {times(a['output_size'])}")
            continue
        pairs = tuple(tuple(p) for p in a["padding"])
        lines.append(
            f"{pooled}, kernel {times(a['kernel'])}, stride {times(a['stride'])}, padding "
            f"{_padding_words(pairs, padding)}"
        )
    if record.get("levels"):
        sizes = ", ".join(
            f"{level['level']}: {tuple(level['shape'])}" for level in record["levels"]
        )
        lines.append(f"  pyramid of {len(record['levels'])} levels: {sizes}")
    lines += [f"note: {note}" for note in record["notes"]]
    return lines


def _padding_words(pairs: tuple[tuple[int, ...], ...], spec: object) -> str:
    """As :func:`describe_padding`, from the padding pairs a record holds."""
    numbers = ", ".join(f"{b}:{a}" for b, a in pairs)
    if isinstance(spec, str):
        return spec if spec == "valid" else f"{spec} ({numbers})"
    return "valid" if all(b == a == 0 for b, a in pairs) else numbers
