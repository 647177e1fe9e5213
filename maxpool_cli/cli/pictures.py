"""Pictures of the lesson (``maxpool explain --save``): each step drawn as the input with its
window outlined and the winning cell highlighted, beside the output filling in.

``.gif``: an animation, one frame per step walked; ``.png``: a contact sheet of the same
frames under the lesson's first words; ``.svg``: that sheet as vectors. Small grids show their
values in the cells, larger ones show them as colour (dark blue for the least, yellow for the
greatest): one way for a whole drawing, as its largest grid decides. The drawing is laid
out once, as rectangles and text, and then painted by Pillow (its scalable default font: no
font files) or written as SVG; fixed colours and no timestamps, so the same lesson gives the
same bytes.
"""

from __future__ import annotations

import functools
import io
import math
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

from ..engine.reference import Step
from ..errors import ParameterError
from ..io.atomic import atomic_write
from ..jobs.lesson import Explanation
from .render_explain import Grid, input_grid, intro, output_grid, step_math, step_title
from .text import header_line

FORMATS = (".gif", ".png", ".svg")
CELL = 30  # px a side of a cell that shows its value
SMALL = 8  # px a side of a cell shown as colour only
VALUES_UP_TO = 16  # grids up to this many cells a side show values, larger ones colour
WHOLE_UP_TO = 64  # grids up to this many cells a side are drawn whole, larger around the window
MARGIN = 12  # cells drawn around the window in a larger grid
PAD = 14  # px around everything
TEXT = 14  # font size of the words; the cells' values are a little smaller
WIDE = 1200  # px: words wrap at this width, and a sheet has as many frames across as fit
FRAME_MS = 1400  # how long each frame of the animation shows (the last one twice as long)

PAPER = "#ffffff"
INK = "#212529"
DIM = "#868e96"
LINE = "#ced4da"
PADDING = "#e9ecef"
PAST = "#f8f9fa"
TODO = "#f1f3f5"
WINDOW = "#ffe8a1"
WINDOW_EDGE = "#e8590c"
WINNER = "#8ce99a"
WINNER_EDGE = "#2b8a3e"
# Viridis at five stops, as the terminal's heat maps.
RAMP = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]


@dataclass(frozen=True)
class Box:
    """A rectangle: its corners, fill and outline (``width`` px; 0: none)."""

    x0: float
    y0: float
    x1: float
    y1: float
    fill: str
    outline: str = LINE
    width: int = 1


@dataclass(frozen=True)
class Words:
    """Text at ``(x, y)``: ``anchor`` as Pillow's (``la``: left, top; ``mm``: centred)."""

    x: float
    y: float
    text: str
    size: int = TEXT
    fill: str = INK
    anchor: str = "la"


Shape = Box | Words


@dataclass(frozen=True)
class Drawing:
    """Shapes laid out on a ``width`` x ``height`` page."""

    width: int
    height: int
    shapes: list[Shape]

    def moved(self, dx: float, dy: float) -> list[Shape]:
        moved: list[Shape] = []
        for s in self.shapes:
            if isinstance(s, Box):
                moved.append(
                    Box(s.x0 + dx, s.y0 + dy, s.x1 + dx, s.y1 + dy, s.fill, s.outline, s.width)
                )
            else:
                moved.append(Words(s.x + dx, s.y + dy, s.text, s.size, s.fill, s.anchor))
        return moved


def save_lesson(path: Path, lesson: Explanation, overwrite: bool = False) -> str:
    """Draw the lesson's steps into ``path`` (.gif, .png or .svg); say what was written."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ParameterError(
            f"--save: {path} is no picture format explain draws; expected a name ending in "
            f"{', '.join(FORMATS)}"
        )
    grids = [(number, step, *step_grids(lesson, number, step)) for number, step in lesson.steps]
    values = all(fits_values(g) for _, _, source, result in grids for g in (source, result))
    frames = [frame(lesson, n, step, source, result, values) for n, step, source, result in grids]
    if suffix == ".gif":
        data = gif(frames)
        what = f"an animation of {len(frames)} frame{'s' if len(frames) > 1 else ''}"
    else:
        sheet = contact_sheet(lesson, frames)
        data = png(sheet) if suffix == ".png" else svg(sheet)
        what = f"{len(frames)} step{'s' if len(frames) > 1 else ''} on one sheet"
    if path.exists() and not overwrite:
        from ..errors import OutputExistsError

        raise OutputExistsError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, overwrite=overwrite) as f:
        f.write(data)
    return f"{what}, {len(data):,} bytes"


# --- layout -----------------------------------------------------------------------------------


def step_grids(lesson: Explanation, number: int, step: Step) -> tuple[Grid, Grid]:
    """The input (around the window, if large) and the output so far, as one step shows."""
    return (
        input_grid(lesson, step, WHOLE_UP_TO, MARGIN),
        output_grid(lesson, number, step, WHOLE_UP_TO, MARGIN),
    )


def fits_values(grid: Grid) -> bool:
    """Whether a grid is small enough for its cells to show their values."""
    return max(len(grid.texts), len(grid.columns)) <= VALUES_UP_TO


def frame(
    lesson: Explanation, number: int, step: Step, source: Grid, result: Grid, values: bool
) -> Drawing:
    """One step: its words, then the input (window marked) beside the output so far, their
    cells showing their values or (``values`` False) colour only: one way for every frame of
    a lesson (decided from its largest grid), so that no step reads differently."""
    shapes: list[Shape] = []
    y = PAD
    lines = [step_title(lesson, number, step), *_wrap(step_math(lesson, step))]
    for n, line in enumerate(lines):
        shapes.append(Words(PAD, y, line, TEXT, INK if n == 0 else DIM))
        y += TEXT + 6
    y += 8
    drawings = [grid_drawing(source, values), grid_drawing(result, values)]
    x = PAD
    for title, drawing in zip(("input", "output"), drawings):
        shapes.append(Words(x, y, title, TEXT - 1, DIM))
        shapes += drawing.moved(x, y + TEXT + 6)
        x += drawing.width + 3 * PAD
    height = y + TEXT + 6 + max(d.height for d in drawings) + PAD
    width = max(x - 2 * PAD, max(_text_width(line, TEXT) for line in lines) + 2 * PAD)
    return Drawing(math.ceil(width), math.ceil(height), shapes)


def grid_drawing(grid: Grid, values: bool) -> Drawing:
    """A grid as cells: its values written in them, or (``values`` False) shown as colour."""
    rows, columns = len(grid.texts), len(grid.columns)
    size = TEXT - 2
    if values:
        longest = max([_text_width(t, size) for row in grid.texts for t in row] + [0])
        cell_w, cell_h = max(CELL, longest + 10), CELL
        lead = max([_text_width(r, size - 1) for r in grid.rows] + [0]) + 8
        top = size + 6
    else:
        cell_w = cell_h = SMALL
        lead = top = 0
    shapes: list[Shape] = []
    if values:
        for c, label in enumerate(grid.columns):
            shapes.append(Words(lead + (c + 0.5) * cell_w, top / 2, label, size - 1, DIM, "mm"))
        for r, label in enumerate(grid.rows):
            shapes.append(Words(lead - 8, top + (r + 0.5) * cell_h, label, size - 1, DIM, "rm"))
    edges: list[Box] = []
    for r in range(rows):
        for c in range(columns):
            x0, y0 = lead + c * cell_w, top + r * cell_h
            kind, mark, shade = grid.kinds[r][c], grid.marks[r][c], grid.shades[r][c]
            fill = _fill(kind, mark, shade, values)
            shapes.append(Box(x0, y0, x0 + cell_w, y0 + cell_h, fill, LINE if values else fill))
            if mark:
                edge = WINDOW_EDGE if mark == "window" else WINNER_EDGE
                edges.append(Box(x0, y0, x0 + cell_w, y0 + cell_h, "", edge, 2 if values else 1))
            if values and kind != "todo":
                ink = DIM if kind in ("pad", "past") else INK
                shapes.append(
                    Words(x0 + cell_w / 2, y0 + cell_h / 2, grid.texts[r][c], size, ink, "mm")
                )
    shapes += edges  # outlines last, over the neighbours' lines
    return Drawing(int(lead + columns * cell_w + 1), int(top + rows * cell_h + 1), shapes)


def _fill(kind: str, mark: str, shade: float, values: bool) -> str:
    if mark in ("winner", "current"):
        return WINNER
    if kind == "todo":
        return TODO
    if kind == "pad":
        return PADDING
    if kind == "past":
        return PAST
    if values:
        return WINDOW if mark == "window" else PAPER
    return _ramp(shade)


def _ramp(t: float) -> str:
    if math.isnan(t):
        return "#fa5252"  # NaN
    position = min(max(t, 0.0), 1.0) * (len(RAMP) - 1)
    i = min(int(position), len(RAMP) - 2)
    f = position - i
    r, g, b = (round(a + (b - a) * f) for a, b in zip(RAMP[i], RAMP[i + 1]))
    return f"#{r:02x}{g:02x}{b:02x}"


def contact_sheet(lesson: Explanation, frames: list[Drawing]) -> Drawing:
    """The frames side by side (as many across as fit), under the lesson's first words."""
    width, height = max(f.width for f in frames), max(f.height for f in frames)
    across = max(1, min(WIDE // width, math.ceil(math.sqrt(len(frames)))))
    page = across * width
    shapes: list[Shape] = []
    y = PAD
    opening = [
        header_line(
            lesson.name,
            lesson.x.shape,
            lesson.x.dtype,
            lesson.result.shape,
            lesson.result.dtype,
            lesson.geometry,
            lesson.options.op,
            lesson.options.padding,
        ),
        *_wrap(intro(lesson), max(page, WIDE)),
    ]
    for n, line in enumerate(opening):
        shapes.append(Words(PAD, y, line, TEXT, INK if n == 0 else DIM))
        y += TEXT + 6
    for n, drawing in enumerate(frames):
        shapes += drawing.moved((n % across) * width, y + (n // across) * height)
    rows = -(-len(frames) // across)
    page_width = max(page, max(_text_width(line, TEXT) for line in opening) + 2 * PAD)
    return Drawing(int(page_width), int(y + rows * height), shapes)


def _wrap(text: str, width: float = WIDE) -> list[str]:
    characters = max(40, int(width / (TEXT * 0.55)))
    return textwrap.wrap(text, characters) or [""]


# --- painting -----------------------------------------------------------------------------------


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow before 10.1: the fixed-size bitmap font
        return ImageFont.load_default()


@functools.cache
def _text_width(text: str, size: int) -> float:
    return float(_font(size).getlength(text))


def paint(drawing: Drawing, width: int | None = None, height: int | None = None) -> Image.Image:
    """The drawing as an RGB image (on a page of ``width`` x ``height``, if larger)."""
    image = Image.new("RGB", (width or drawing.width, height or drawing.height), PAPER)
    draw = ImageDraw.Draw(image)
    for s in drawing.shapes:
        if isinstance(s, Box):
            draw.rectangle(
                (s.x0, s.y0, s.x1, s.y1), fill=s.fill or None, outline=s.outline, width=s.width
            )
        else:
            draw.text((s.x, s.y), s.text, fill=s.fill, font=_font(s.size), anchor=s.anchor)
    return image


def gif(frames: list[Drawing]) -> bytes:
    """An animation of the frames (on one page size), looping."""
    width, height = max(f.width for f in frames), max(f.height for f in frames)
    images = [paint(f, width, height).quantize(64, dither=Image.Dither.NONE) for f in frames]
    durations = [FRAME_MS] * (len(images) - 1) + [2 * FRAME_MS]
    buffer = io.BytesIO()
    images[0].save(
        buffer, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0
    )
    return buffer.getvalue()


def png(drawing: Drawing) -> bytes:
    buffer = io.BytesIO()
    paint(drawing).save(buffer, format="PNG")
    return buffer.getvalue()


def svg(drawing: Drawing) -> bytes:
    """The drawing as SVG: rectangles and text, in a sans-serif font."""
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{drawing.width}" '
        f'height="{drawing.height}" viewBox="0 0 {drawing.width} {drawing.height}" '
        'font-family="DejaVu Sans, Verdana, sans-serif">',
        f'<rect width="100%" height="100%" fill="{PAPER}"/>',
    ]
    lines += list(_svg_shapes(drawing.shapes))
    lines.append("</svg>")
    return ("\n".join(lines) + "\n").encode()


def _svg_shapes(shapes: list[Shape]) -> Iterator[str]:
    anchors = {"l": "start", "m": "middle", "r": "end"}
    baselines = {"a": "text-before-edge", "m": "central"}
    for s in shapes:
        if isinstance(s, Box):
            fill = s.fill or "none"
            yield (
                f'<rect x="{s.x0:g}" y="{s.y0:g}" width="{s.x1 - s.x0:g}" '
                f'height="{s.y1 - s.y0:g}" fill="{fill}" stroke="{s.outline}" '
                f'stroke-width="{s.width}"/>'
            )
        else:
            yield (
                f'<text x="{s.x:g}" y="{s.y:g}" font-size="{s.size}" fill="{s.fill}" '
                f'text-anchor="{anchors[s.anchor[0]]}" '
                f'dominant-baseline="{baselines[s.anchor[1]]}">{escape(s.text)}</text>'
            )
