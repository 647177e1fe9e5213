"""``maxpool unpool``: pooled values put back where their indices say."""

from __future__ import annotations

import sys

import click

from ..io.formats import FORMATS
from . import streams
from .app import cli
from .params import INT_LIST


@cli.command()
@click.argument("source", metavar="POOLED", type=click.Path(allow_dash=True))
@click.option(
    "--indices",
    "indices_path",
    required=True,
    type=click.Path(allow_dash=True),
    help="The indices 'maxpool run --indices' saved with the pooled values.",
)
@click.option(
    "--shape",
    type=INT_LIST,
    help="The input shape, or the pooled axes' sizes, like 8,8 (default: the shape "
    "'maxpool run --indices' recorded).",
)
@click.option("--axes", type=INT_LIST, help="The pooled axes (default: the last ones).")
@click.option(
    "-o",
    "--output",
    type=click.Path(allow_dash=True),
    help="Write the result here ('-': standard output).",
)
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), help="Output format.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def unpool(
    source: str,
    indices_path: str,
    shape: tuple[int, ...] | None,
    axes: tuple[int, ...] | None,
    output: str | None,
    fmt: str | None,
    overwrite: bool,
) -> None:
    """Put pooled values back where they came from, zeros elsewhere (max unpooling).

    \b
    Examples:
      maxpool run sample_data/classic_4x4.npy -k 2 -o p.npy --indices i.npy
      maxpool unpool p.npy --indices i.npy
      maxpool unpool p.npy --indices i.npy -o restored.npy
      maxpool unpool p.npy --indices other.npy --shape 4,4   # indices from elsewhere
    """
    from .. import io
    from ..jobs.one_file import check_output, unpool_document

    if output is not None:
        check_output(source, output)
        check_output(indices_path, output)
    restored = unpool_document(io.read(source), io.read(indices_path), shape, axes)
    if output is not None:
        written = io.write(output, restored, fmt=fmt, overwrite=overwrite)
        for note in written.notes:
            streams.note(note, output)
        return
    for _name, array in restored.arrays.items():
        channels_last = restored.is_image and array.ndim == 3
        click.echo(f"{restored.name}: unpooled to {array.shape} {array.dtype}")
        if streams.is_terminal(sys.stdout):
            from . import render

            console = render.stdout_console()
            console.print(render.array_view(array, channels_last, console.width))
        else:
            from .text import array_lines

            click.echo("\n".join(array_lines(array, channels_last)))
