"""``maxpool explain``: the lesson: what pooling does, every window in turn, pictures of it,
and the same call in PyTorch, TensorFlow or NumPy."""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import ParameterError
from ..jobs.options import PoolOptions
from .app import cli
from .params import CODE_CHOICE, INT_LIST, pooling_options

if TYPE_CHECKING:
    import numpy as np

    from ..jobs.lesson import Explanation

PAGER = "less -FRX"  # as git: -F prints a lesson that fits the screen, -R keeps its colours

CLASSIC = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]


class StepsType(click.ParamType):
    """``N`` (at least 1) or ``all`` (as 0)."""

    name = "N|all"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int):
            return value
        if str(value).lower() == "all":
            return 0
        try:
            number = int(value)
        except ValueError:
            number = 0
        if number < 1:
            self.fail(f"expected a number of steps (1 or more) or 'all'; got {value!r}", param, ctx)
        return number


@cli.command()
@click.argument("source", metavar="[INPUT]", required=False, type=click.Path(allow_dash=True))
@pooling_options
@click.option(
    "--steps",
    type=StepsType(),
    default=None,
    help="Walk this many windows (the first and last halves), or all.  [default: all up to "
    "36, else the first and last 3]",
)
@click.option(
    "--crop", type=INT_LIST, help="Walk a patch: ROW,COLUMN,HEIGHT,WIDTH (1-D: START,LENGTH)."
)
@click.option("--channel", type=click.IntRange(min=0), help="For a 3-D input: the channel to walk.")
@click.option(
    "--save",
    type=click.Path(dir_okay=False),
    help="Draw the steps: an animation (.gif), a contact sheet (.png) or a vector image (.svg).",
)
@click.option("--overwrite", is_flag=True, help="Replace the --save file if it exists.")
@click.option(
    "--code",
    type=CODE_CHOICE,
    help="Print only the same pooling as Python code for this library.",
)
@click.option("--key", help="The .npz member to walk.")
@click.option(
    "--no-pager",
    is_flag=True,
    help="Print the lesson straight out. On a terminal it goes through MAXPOOL_PAGER, else "
    "PAGER, else 'less -FRX'.",
)
def explain(
    source: str | None,
    options: PoolOptions,
    steps: int | None,
    crop: tuple[int, ...] | None,
    channel: int | None,
    save: str | None,
    overwrite: bool,
    code: str | None,
    key: str | None,
    no_pager: bool,
) -> None:
    """Learn pooling: what it does, each window in turn, and the same call in a framework.

    Without INPUT it uses the classic 4x4 example. The lesson says what the options do, works
    out the output size, and walks the windows: each one's cells, its result, and the output
    filling in. A large input shows its first and last windows (--steps N, or --crop a
    patch); a 3-D one, the --channel picked. --save draws the steps; --code prints the same
    pooling in PyTorch, TensorFlow or NumPy, and nothing else.

    \b
    Examples:
      maxpool explain
      maxpool explain -k 2 -s 2 -p 1 --op avg
      maxpool explain sample_data/classic_4x4.csv -k 3 -s 1 -p same
      maxpool explain sample_data/astronaut.png --channel 0 --crop 200,220,6,6 -k 2
      maxpool explain -k 3 -s 2 -p 1 --save steps.gif
      maxpool explain -k 3 -s 2 -p same --code torch
    """
    import numpy as np

    from .. import io as files
    from ..jobs.lesson import explanation

    options.check()
    if code is not None and save is not None:
        raise ParameterError("--code: prints the snippet alone; expected no --save with it")
    member = None  # the array of the file walked, when it holds several
    if source is None:
        name, x, image = "the classic 4x4 example", np.array(CLASSIC), False
    else:
        doc = files.read(source, key=key)
        name, x, image = doc.name, doc.single(), doc.is_image
        member = next(iter(doc.arrays)) if len(doc.arrays) == 1 else None
    if code is not None:
        where = None if source is None else (source, member)
        _print_code(code, where, name, x, options, image, crop, channel)
        return
    lesson = explanation(name, x, options, image, steps, crop, channel)
    if save is not None:
        from .pictures import save_lesson

        written = save_lesson(Path(save), lesson, overwrite)
        click.echo(f"{save}: {written}", err=True)
    _show(lesson, None if no_pager else _pager())


def _pager() -> list[str] | None:
    """The pager a lesson goes through on a terminal, as git chooses: ``MAXPOOL_PAGER``,
    else ``PAGER``, else ``less -FRX``; None off a terminal, for an empty one or ``cat``,
    and when it is not installed (the lesson is printed straight out)."""
    if not sys.stdout.isatty():
        return None
    command = os.environ.get("MAXPOOL_PAGER", os.environ.get("PAGER", PAGER))
    try:
        argv = shlex.split(command)
    except ValueError:  # unbalanced quotes: no command to run
        return None
    if not argv or argv[0] == "cat" or shutil.which(argv[0]) is None:
        return None
    return argv


def _show(lesson: Explanation, pager: list[str] | None) -> None:
    """Print the lesson, or page it: drawn for this terminal (its width, its colours), then
    piped through ``pager``, whose quitting early ends it quietly."""
    from rich.console import Console

    from . import render, render_explain

    console = render.stdout_console()
    if pager is None:
        render_explain.print_explanation(console, lesson)
        return
    text = io.StringIO()
    render_explain.print_explanation(
        Console(file=text, force_terminal=True, width=console.width), lesson
    )
    env = {**os.environ, "LESS": os.environ.get("LESS", "FRX")}  # PAGER=less, as git
    process = subprocess.Popen(pager, stdin=subprocess.PIPE, env=env)
    assert process.stdin is not None
    try:
        process.stdin.write(text.getvalue().encode())
        process.stdin.close()
    except BrokenPipeError:  # the reader quit (q) before the end
        with contextlib.suppress(OSError):
            process.stdin.close()
    while True:
        try:
            process.wait()
            break
        except KeyboardInterrupt:  # Ctrl-C is the pager's to handle (less: stop, then q)
            continue


def _print_code(
    library: str,
    source: tuple[str, str | None] | None,
    name: str,
    x: np.ndarray,
    options: PoolOptions,
    image: bool,
    crop: tuple[int, ...] | None,
    channel: int | None,
) -> None:
    """The snippet alone on standard output, defining ``x`` so that it runs as pasted: the
    whole input, or with --crop or --channel the patch the lesson walks. ``source``: the
    file and the array of it, for a line reading a larger input."""
    from ..io.document import Document, ImageInfo
    from ..jobs.lesson import patch
    from ..jobs.one_file import plan
    from ..jobs.snippets import Data, load_expression, snippet

    if crop is not None or channel is not None:
        grid = patch(name, x, options, image, crop, channel)
        x, options, geometry, index, what = (
            grid.x,
            grid.options,
            grid.geometry,
            grid.index,
            grid.name,
        )
    else:
        info = ImageInfo(mode="RGB") if image else None
        doc = Document(name, "png" if image else "npy", {"array": x}, image=info)
        geometry, index, what = plan(doc, options)["array"], "", ""
    load = None if source is None else load_expression(*source, index)
    data = Data(x, load, what)
    click.echo(snippet(library, options, geometry, x.dtype, data), nl=False)
