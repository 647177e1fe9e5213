"""The ``maxpool`` command: parse, call the library, print; errors become exit codes here.

Only click is imported at start-up; NumPy and rich are imported by the commands that need
them, so ``maxpool --help`` stays fast.
"""

from __future__ import annotations

import enum
import json
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from ._version import __version__
from .errors import FileFormatError, MaxpoolError, ParameterError
from .formats import FORMATS
from .options import INT_LIST, pooling_options
from .pool_options import PoolOptions

if TYPE_CHECKING:
    from .job import Settings

STDIO = "-"  # standard input or output


class ExitStatus(enum.IntEnum):
    """Process exit codes."""

    SUCCESS = 0
    FAILURE = 1  # a file or the job failed
    USAGE = 2  # bad command line
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)


class _Failure(click.ClickException):
    exit_code = ExitStatus.FAILURE


class _Interrupted(click.ClickException):
    exit_code = ExitStatus.INTERRUPTED


class MaxpoolCommand(click.Command):
    """A click command that turns every error into one line on stderr and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.find_root().params.get("debug"))
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except ParameterError as e:
            if debug:
                traceback.print_exc()
            raise click.UsageError(str(e), ctx=ctx) from e
        except MaxpoolError as e:
            if debug:
                traceback.print_exc()
            raise _Failure(str(e)) from e
        except KeyboardInterrupt:
            raise _Interrupted("interrupted") from None
        except BrokenPipeError:
            # The reader went away (`maxpool run ... | head`): nothing left to say to it.
            sys.stderr.close()
            raise click.exceptions.Exit(ExitStatus.FAILURE) from None
        except Exception as e:
            if debug:
                raise
            raise _Failure(
                f"unexpected {type(e).__name__}: {e} (this is a bug; --debug shows the traceback)"
            ) from e


class MaxpoolGroup(click.Group):
    command_class = MaxpoolCommand


@click.group("maxpool", cls=MaxpoolGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="maxpool")
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
def cli(debug: bool) -> None:
    """Max-pool images and arrays, exactly as PyTorch and TensorFlow do.

    \b
    Examples:
      maxpool run sample_data/classic_4x4.npy -k 2
      maxpool run sample_data/astronaut.png -k 3 -s 2 -p same -o small.png
      maxpool explain -k 2 -p 1
      maxpool info sample_data/features.npz -k 2 --axes 1,2
    """


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
    "--indices", type=click.Path(dir_okay=False), help="Also save the argmax indices (.npy)."
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
    from .job import Settings
    from .sizes import parse_size, total_memory

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

    from . import cluster

    if output is None or output == STDIO:
        raise ParameterError("--dask/Zarr: pools into a file: expected -o FILE.npy or -o DIR.zarr")
    from .job import check_output

    check_output(source, output)
    workers = jobs or os.cpu_count() or 1
    with cluster.client_for(address or "local", workers) as client:
        arrays = cluster.pool_array(client, Path(source), Path(output), settings, workers)
    if as_json:
        from .report import reports_record

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
    from . import io
    from .job import check_output, needs_out_of_core, pool_document, pool_to_file, reports

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
            from .report import reports_record

            click.echo(json.dumps(reports_record(source, output, options.op, arrays)))
        elif not quiet:
            from . import render  # rich is imported only to print

            render.print_headers(render.stdout_console(), source, arrays, options)
        return
    doc = io.read(source, key=settings.key, max_pixels=settings.max_pixels)
    pooled = pool_document(doc, options, return_indices=indices is not None)
    if indices is not None:
        assert pooled.indices is not None
        index_doc = io.Document(doc.name, "npy", pooled.indices)
        io.write(indices, index_doc, fmt="npy", overwrite=settings.overwrite)
    written = None
    if output is not None:
        written = io.write(output, pooled.result, fmt=settings.fmt, overwrite=settings.overwrite)
    if as_json:
        from .report import pooled_record

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

    from . import batch, render, render_batch
    from .report import outcome_record

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
            from . import cluster

            with cluster.client_for(request.dask, jobs) as client:
                cluster.run_tasks(client, tasks, settings, request.fail_fast, advance)
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
    from . import io
    from .job import plan
    from .report import array_record, document_record

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
    from .engine import result_dtype

    return {name: str(result_dtype(a.dtype, options.op)) for name, a in doc.arrays.items()}


@cli.command()
@click.argument("source", metavar="[INPUT]", required=False)
@pooling_options
@click.option(
    "--max-steps",
    type=click.IntRange(min=1),
    default=36,
    show_default=True,
    help="Refuse to walk more windows than this.",
)
@click.option("--key", help="The .npz member to walk.")
def explain(source: str | None, options: PoolOptions, max_steps: int, key: str | None) -> None:
    """Walk through pooling step by step: every window, its values, the result.

    Without INPUT it uses the classic 4x4 example. Inputs must be 1-D or 2-D and small.

    \b
    Examples:
      maxpool explain
      maxpool explain -k 2 -p 1 --op avg
      maxpool explain sample_data/classic_4x4.csv -k 3 -s 1 -p same
      maxpool explain --output-size 3,3
    """
    import numpy as np

    from . import io, render, render_explain
    from .job import explanation

    if source is None:
        name = "the classic 4x4 example"
        x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])
        image = False
    else:
        doc = io.read(source, key=key)
        name, x, image = doc.name, doc.single(), doc.is_image
    walk = explanation(name, x, options, image, max_steps)
    render_explain.print_explanation(render.stdout_console(), name, x, walk, options)


@cli.command()
@click.argument("source", metavar="POOLED")
@click.option(
    "--indices",
    "indices_path",
    required=True,
    help="The indices 'maxpool run --indices' saved with the pooled values.",
)
@click.option(
    "--shape",
    type=INT_LIST,
    required=True,
    help="The size of the pooled axes before pooling, like 8,8.",
)
@click.option("--axes", type=INT_LIST, help="The pooled axes (default: the last ones).")
@click.option("-o", "--output", help="Write the result here ('-': standard output).")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), help="Output format.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def unpool(
    source: str,
    indices_path: str,
    shape: tuple[int, ...],
    axes: tuple[int, ...] | None,
    output: str | None,
    fmt: str | None,
    overwrite: bool,
) -> None:
    """Put pooled values back where they came from, zeros elsewhere (max unpooling).

    \b
    Examples:
      maxpool run sample_data/classic_4x4.npy -k 2 -o p.npy --indices i.npy
      maxpool unpool p.npy --indices i.npy --shape 4,4
      maxpool unpool p.npy --indices i.npy --shape 4,4 -o restored.npy
    """
    from . import io
    from .job import check_output, unpool_document

    if output is not None:
        check_output(source, output)
        check_output(indices_path, output)
    restored = unpool_document(io.read(source), io.read(indices_path), shape, axes)
    if output is not None:
        io.write(output, restored, fmt=fmt, overwrite=overwrite)
        return
    from . import render

    console = render.stdout_console()
    for _name, array in restored.arrays.items():
        console.print(f"{restored.name}: unpooled to {array.shape} {array.dtype}", soft_wrap=True)
        console.print(render.array_view(array, channels_last=restored.is_image and array.ndim == 3))


def main() -> None:
    """Entry point of the ``maxpool`` script."""
    cli(prog_name="maxpool")
