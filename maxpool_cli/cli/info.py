"""``maxpool info``: what files hold and what the options would give, without pooling."""

from __future__ import annotations

import json
from typing import Any

import click

from ..jobs.options import PoolOptions
from .app import cli
from .params import pooling_options


@cli.command()
@click.argument("sources", metavar="INPUT...", nargs=-1, required=True)
@pooling_options
@click.option("--key", help="Only this .npz member.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead.")
@click.option("--max-pixels", type=click.IntRange(min=1), help="Raise the image size limit.")
def info(
    sources: tuple[str, ...],
    options: PoolOptions,
    key: str | None,
    as_json: bool,
    max_pixels: int | None,
) -> None:
    """Describe files and the output the pooling options would give, without pooling.

    Shows format, mode, shape, dtype and value range of every array, the pooled axes, and
    the exact output shape and padding: a dry run before a big batch.

    \b
    Examples:
      maxpool info sample_data/astronaut.png -k 3 -s 2 -p same
      maxpool info sample_data/features.npz -k 2 --axes 1,2 --json
    """
    from .. import io
    from ..jobs.one_file import plan
    from .records import array_record, document_record

    records = []
    for source in sources:
        doc = io.read(source, key=key, max_pixels=max_pixels)
        geometries = plan(doc, options)
        record = document_record(doc)
        dtype = _output_dtype(doc, options)
        record["arrays"] = [
            array_record(name, doc.arrays[name], geometries[name], output_dtype=dtype[name])
            for name in doc.arrays
        ]
        records.append(record)
    if as_json:
        click.echo(json.dumps(records[0] if len(records) == 1 else records))
        return
    from . import render

    console = render.stdout_console()
    for record in records:
        console.print(render.info_view(record, record["arrays"]), soft_wrap=True)
        for note in record["notes"]:
            console.print(f"note: {note}", style="dim")


def _output_dtype(doc: Any, options: PoolOptions) -> dict[str, str]:
    from ..engine import result_dtype

    return {name: str(result_dtype(a.dtype, options.op)) for name, a in doc.arrays.items()}
