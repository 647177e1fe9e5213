"""``maxpool run``: pool one file (printed or saved), a large array out of core or on Dask,
or many files as a batch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import click

from ..errors import FileFormatError, ParameterError
from ..io.formats import FORMATS
from ..jobs.options import PoolOptions
from .app import STDIO, ExitStatus, cli
from .params import pooling_options

if TYPE_CHECKING:
    from ..jobs.options import Settings


@cli.command()
@click.argument("sources", metavar="INPUT...", nargs=-1, required=True)
@pooling_options
@click.option(
    "-o",
    "--output",
    help="Write the result here: a file, '-' (standard output), or a folder for several inputs.",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Output format (an output's extension wins; default: the input's).",
)
@click.option(
    "--indices",
    type=click.Path(dir_okay=False),
    help="Also save the argmax indices (.npy, or .npz for several arrays), recording the "
    "input shape for 'maxpool unpool'.",
)
@click.option("--key", help="The .npz member to pool (default: every member).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
@click.option(
    "--preview/--no-preview",
    default=None,
    help="Draw images in colour (default: on a terminal).",
)
@click.option("--max-pixels", type=click.IntRange(min=1), help="Raise the image size limit.")
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
@click.option("-r", "--recursive", is_flag=True, help="Go into the subfolders of folder inputs.")
@click.option(
    "--glob", "globs", multiple=True, help="Only files of folders matching this (repeatable)."
)
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), help="Worker processes (default: one per core)."
)
@click.option("--fail-fast", is_flag=True, help="Stop at the first file that fails.")
@click.option(
    "--memory-limit",
    help="Pool .npy files larger than this band by band (default: a quarter of the RAM).",
)
@click.option(
    "--dask",
    "dask_address",
    metavar="local|tcp://HOST:PORT",
    help="Run on Dask: a local cluster of -j workers, or a running scheduler.",
)
def run(
    sources: tuple[str, ...],
    options: PoolOptions,
    output: str | None,
    fmt: str | None,
    indices: str | None,
    key: str | None,
    as_json: bool,
    quiet: bool,
    preview: bool | None,
    max_pixels: int | None,
    overwrite: bool,
    recursive: bool,
    globs: tuple[str, ...],
    jobs: int | None,
    fail_fast: bool,
    memory_limit: str | None,
    dask_address: str | None,
) -> None:
    """Pool array and image files; print the results or save them.

    One file is printed (every value of small arrays, a summary of large ones, a colour
    preview of images on a terminal) or saved with -o. Several files or folders are pooled
    in parallel into the -o folder, the output tree mirroring the input tree; outputs that
    exist are skipped, so a rerun resumes an interrupted batch.

    \b
    Examples:
      maxpool run sample_data/classic_4x4.npy -k 2
      maxpool run sample_data/astronaut.png -k 3 -s 2 -p same -o small.png
      maxpool run sample_data -r --glob '*.png' -o pooled/ -k 2
      cat sample_data/mask.png | maxpool run - -k 4 -o - > mask_small.png
      maxpool run big.zarr -k 2 -o small.zarr --dask local -j 4
    """
    from ..io.sizes import parse_size, total_memory
    from ..jobs.options import Settings

    limit = parse_size(memory_limit) if memory_limit else total_memory() // 4
    settings = Settings(options, fmt, overwrite, key, max_pixels, limit)
    # A Zarr store is a folder holding one array, not a folder of files.
    many = len(sources) > 1 or any(Path(s).is_dir() and Path(s).suffix != ".zarr" for s in sources)
    if many or (output is not None and Path(output).is_dir()):
        if output is None or output == STDIO:
            raise ParameterError("several inputs or a folder: expected -o FOLDER for the outputs")
        if indices is not None:
            raise ParameterError("--indices: applies to a single input")
        if STDIO in sources:
            raise ParameterError("'-' (standard input) cannot be one of several inputs")
        batch = BatchRequest(sources, Path(output), recursive, globs, jobs, fail_fast, dask_address)
        _run_batch(batch, settings, as_json, quiet)
        return
    zarr = Path(sources[0]).suffix == ".zarr" or Path(output or "").suffix == ".zarr"
    if dask_address is not None or zarr:
        _run_array_on_dask(sources[0], output, settings, dask_address, jobs, as_json, quiet)
        return
    _run_one(sources[0], output, indices, settings, as_json, quiet, preview)


def _run_array_on_dask(
    source: str,
    output: str | None,
    settings: Settings,
    address: str | None,
    jobs: int | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """One large .npy or Zarr array, pooled as a Dask array into a .npy or Zarr output."""
    import os

    from ..jobs import on_dask

    if output is None or output == STDIO:
        raise ParameterError("--dask/Zarr: pools into a file: expected -o FILE.npy or -o DIR.zarr")
    from ..jobs.one_file import check_output

    check_output(source, output)
    workers = jobs or os.cpu_count() or 1
    with on_dask.client_for(address or "local", workers) as client:
        arrays = on_dask.pool_array(client, Path(source), Path(output), settings, workers)
    if as_json:
        from .records import reports_record

        click.echo(json.dumps(reports_record(source, output, settings.options.op, arrays)))
    elif not quiet:
        from . import render

        render.print_headers(render.stdout_console(), source, arrays, settings.options)


def _run_one(
    source: str,
    output: str | None,
    indices: str | None,
    settings: Settings,
    as_json: bool,
    quiet: bool,
    preview: bool | None,
) -> None:
    from .. import io
    from ..jobs.one_file import (
        check_output,
        indices_document,
        needs_out_of_core,
        pool_document,
        pool_to_file,
        reports,
    )

    options = settings.options
    if as_json and output == STDIO:
        raise ParameterError("--json: cannot share standard output with -o -")
    if indices is not None and options.op not in ("max", "min"):
        raise ParameterError(f"--indices: only applies to --op max or min, got {options.op}")
    for target in (output, indices):
        if target is not None:
            check_output(source, target)
            if target != STDIO and not settings.overwrite and Path(target).exists():
                # Before any work, so that no output is written when another cannot be.
                raise FileFormatError(f"{target}: already exists; pass --overwrite to replace it")
    if needs_out_of_core(source, settings.memory_limit):
        if output is None or output == STDIO or indices is not None:
            raise ParameterError(
                f"{source}: larger than the memory limit, so it is pooled band by band into a "
                f"file: expected -o FILE.npy (and no --indices)"
            )
        arrays = pool_to_file(source, output, settings)
        if as_json:
            from .records import reports_record

            click.echo(json.dumps(reports_record(source, output, options.op, arrays)))
        elif not quiet:
            from . import render  # rich is imported only to print

            render.print_headers(render.stdout_console(), source, arrays, options)
        return
    doc = io.read(source, key=settings.key, max_pixels=settings.max_pixels)
    pooled = pool_document(doc, options, return_indices=indices is not None)
    if indices is not None:
        io.write(indices, indices_document(pooled), fmt="npy", overwrite=settings.overwrite)
    written = None
    if output is not None:
        written = io.write(output, pooled.result, fmt=settings.fmt, overwrite=settings.overwrite)
    if as_json:
        from .records import pooled_record

        click.echo(json.dumps(pooled_record(pooled, output, written, options.op)))
        return
    if quiet or output == STDIO:
        return
    from . import render  # rich is imported only to print

    console = render.stdout_console()
    for note in doc.notes:
        render.stderr_console().print(f"{doc.name}: note: {note}", style="dim", soft_wrap=True)
    if output is not None:
        render.print_headers(console, doc.name, reports(pooled), options)
    else:
        render.print_pooled(console, pooled, options, preview)


class BatchRequest(NamedTuple):
    """The inputs of a batch and how to go through them."""

    sources: tuple[str, ...]
    output: Path
    recursive: bool
    globs: tuple[str, ...]
    jobs: int | None
    fail_fast: bool
    dask: str | None = None


def _run_batch(request: BatchRequest, settings: Settings, as_json: bool, quiet: bool) -> None:
    import os
    import time

    from ..jobs import batch
    from . import render, render_batch
    from .records import outcome_record

    tasks, known = batch.discover(
        request.sources,
        request.output,
        request.recursive,
        request.globs,
        settings.fmt,
        settings.overwrite,
    )
    errors = render.stderr_console()
    outcomes: list[batch.Outcome] = []
    show_progress = errors.is_terminal and not (quiet or as_json)
    progress = render_batch.BatchProgress(errors, tasks) if show_progress else None

    def report(outcome: batch.Outcome) -> None:
        outcomes.append(outcome)
        if outcome.status == "failed":
            line = f"Error: {outcome.source}: {outcome.reason}"
            errors.print(line, soft_wrap=True, markup=False, highlight=False)

    def advance(outcome: batch.Outcome) -> None:
        report(outcome)
        if progress is not None:
            progress.advance(outcome)

    for outcome in known:
        report(outcome)
    start = time.perf_counter()
    stopped = request.fail_fast and any(o.status == "failed" for o in known)
    try:
        jobs = request.jobs or os.cpu_count() or 1
        if not stopped and request.dask is not None:
            from ..jobs import on_dask

            with on_dask.client_for(request.dask, jobs) as client:
                on_dask.run_tasks(client, tasks, settings, request.fail_fast, advance)
        elif not stopped:
            batch.run_tasks(tasks, settings, jobs, request.fail_fast, advance)
    finally:
        if progress is not None:
            progress.stop()
    summary = batch.Summary.of(outcomes, time.perf_counter() - start)
    if as_json:
        files = [outcome_record(o) for o in outcomes]
        click.echo(json.dumps({"files": files, "summary": summary.__dict__}))
    elif not quiet:
        render.stdout_console().print(render_batch.summary_view(summary, outcomes))
    if summary.failed:
        raise click.exceptions.Exit(ExitStatus.FAILURE)
