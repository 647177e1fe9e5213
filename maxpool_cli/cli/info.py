"""``maxpool info``: what files hold and what the options would give, without pooling."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ..errors import MaxpoolError, ParameterError
from ..jobs.options import PoolOptions
from .app import ExitStatus, cli, flag_words, one_line
from .params import pooling_options

CHEAP_BYTES = 16 * 2**20  # files whose arrays are smaller than this show their value range


@cli.command()
@click.argument(
    "sources", metavar="INPUT...", nargs=-1, required=True, type=click.Path(allow_dash=False)
)
@pooling_options
@click.option("--key", help="Only this .npz member.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a list for several files).")
@click.option("--max-pixels", type=click.IntRange(min=1), help="Raise the image size limit.")
@click.option(
    "--stats", is_flag=True, help="Read every value for the range, whatever the file's size."
)
@click.option("-r", "--recursive", is_flag=True, help="Go into the subfolders of folder inputs.")
@click.option(
    "--glob", "globs", multiple=True, help="Only files of folders matching this (repeatable)."
)
def info(
    sources: tuple[str, ...],
    options: PoolOptions,
    key: str | None,
    as_json: bool,
    max_pixels: int | None,
    stats: bool,
    recursive: bool,
    globs: tuple[str, ...],
) -> None:
    """Describe files and the output the pooling options would give, without pooling.

    Shows format, mode, shape and dtype of every array (from the headers: fast whatever
    the size), the value range of small files (or with --stats), the pooled axes, and the
    exact output shape and padding: a dry run before a big batch. Folders are listed like
    'run' does; a file that cannot be described is reported and the others go on.

    \b
    Examples:
      maxpool info sample_data/astronaut.png -k 3 -s 2 -p same
      maxpool info sample_data -r -k 2
      maxpool info sample_data/features.npz -k 2 --axes 1,2 --json
    """
    from ..jobs.batch import find_inputs, nothing_found

    options.check()
    found, missing = find_inputs(sources, recursive, globs)
    if not found and not missing:
        raise nothing_found(sources, globs, recursive, "describe")
    failed = bool(missing)
    for raw in missing:
        click.echo(one_line(f"Error: {raw}: no such file or folder"), err=True)
    records = []
    for path, _ in found:
        try:
            record = _describe(path, key, max_pixels, options, stats)
        except ParameterError:
            raise  # the options are wrong for every file: a usage error
        except MaxpoolError as e:
            failed = True
            click.echo(one_line(f"Error: {flag_words(_named(str(e), path))}"), err=True)
            continue
        records.append(record)
        if not as_json:
            from .text import info_lines

            click.echo("\n".join(info_lines(record, options.padding)))
    if as_json:
        click.echo(json.dumps(records[0] if len(records) == 1 and not failed else records))
    if failed:
        raise click.exceptions.Exit(ExitStatus.FAILURE)


def _named(message: str, path: Path) -> str:
    return message if message.startswith(f"{path}:") else f"{path}: {message}"


def _describe(
    path: Path, key: str | None, max_pixels: int | None, options: PoolOptions, stats: bool
) -> dict[str, Any]:
    """One file's record: from its headers, with the value range when it is cheap."""
    from .. import io
    from ..engine import result_dtype
    from ..io.memory import default_budget
    from ..jobs.one_file import plan_shapes
    from .records import array_record, document_record

    described = io.describe(path, key, max_pixels)
    assert described is not None  # (CSV files are parsed to be described)
    shapes = {a.name: a.shape for a in described.arrays}
    geometries = plan_shapes(described.name, shapes, described.image is not None, options)
    values = None
    if stats or described.nbytes <= CHEAP_BYTES:
        values = io.read(path, key, max_pixels, memory_limit=default_budget()).arrays
    record = document_record(described)
    record["arrays"] = [
        array_record(
            a.name,
            a.shape,
            a.dtype,
            geometries[a.name],
            result_dtype(a.dtype, options.op),
            x=None if values is None else values[a.name],
        )
        for a in described.arrays
    ]
    return record
