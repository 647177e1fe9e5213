"""``maxpool run``: pool one file (printed or saved), a large array out of core or on Dask,
or many files as a batch."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import click

from ..errors import FileFormatError, OutputExistsError, ParameterError
from ..io.formats import (
    DEFAULT_EXTENSION,
    EXTENSIONS,
    FORMATS,
    asked_format,
    check_compress_level,
    from_extension,
    is_zarr_store,
)
from ..jobs.options import PoolOptions
from . import streams
from .app import STDIO, ExitStatus, cli, one_line
from .params import CODE_CHOICE, pooling_options

if TYPE_CHECKING:
    from ..jobs.batch import Outcome
    from ..jobs.one_file import ArrayReport
    from ..jobs.options import Settings


@cli.command()
@click.argument(
    "sources", metavar="INPUT...", nargs=-1, required=True, type=click.Path(allow_dash=True)
)
@pooling_options
@click.option(
    "-o",
    "--output",
    type=click.Path(allow_dash=True),
    help="Write the result here: a file, '-' (standard output), or a folder (DIR/ or an "
    "existing one) that gets the input's name.",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Output format (must agree with the output's extension; default: the input's).",
)
@click.option(
    "--indices",
    type=click.Path(dir_okay=False),
    help="Also save the argmax indices (.npy, or .npz for several arrays), recording the "
    "input shape for 'maxpool unpool'.",
)
@click.option("--key", help="The .npz member to pool (default: every member).")
@click.option(
    "--code",
    type=CODE_CHOICE,
    help="Also print the same pooling as Python code for this library (one input).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (JSON Lines for several files).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
@click.option(
    "--preview/--no-preview",
    default=None,
    help="Draw images in colour (default: on a colour terminal).",
)
@click.option("--max-pixels", type=click.IntRange(min=1), help="Raise the image size limit.")
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
@click.option(
    "--compress-level",
    type=click.IntRange(0, 9),
    help="zlib level of PNG and TIFF outputs, 0-9 (default: PNG 1, fast; TIFF 0, none).",
)
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
    help="Memory one job may use, like 256M (default: a quarter of the RAM); larger .npy "
    "files are pooled band by band.",
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
    code: str | None,
    as_json: bool,
    quiet: bool,
    preview: bool | None,
    max_pixels: int | None,
    overwrite: bool,
    compress_level: int | None,
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
    exist are skipped, so a rerun with the same options resumes an interrupted batch.

    \b
    Examples:
      maxpool run sample_data/classic_4x4.npy -k 2
      maxpool run sample_data/astronaut.png -k 3 -s 2 -p same -o small.png
      maxpool run sample_data/classic_4x4.npy -k 3 -s 2 -p same --code torch
      maxpool run sample_data -r --glob '*.png' -o pooled/ -k 2
      cat sample_data/mask.png | maxpool run - -k 4 -o - > mask_small.png
      maxpool run big.zarr -k 2 -o small.zarr --dask local -j 4
    """
    from ..io.memory import default_budget
    from ..io.sizes import parse_size
    from ..jobs.options import Settings

    options.check()
    limit = parse_size(memory_limit) if memory_limit else default_budget()
    settings = Settings(options, fmt, overwrite, key, max_pixels, limit, compress_level)
    into_folder = output not in (None, STDIO) and _names_a_folder(output)
    # A Zarr store is a folder holding one array, not a folder of files.
    many = len(sources) > 1 or any(Path(s).is_dir() and not is_zarr_store(s) for s in sources)
    if many:
        if output is None or output == STDIO:
            raise ParameterError("several inputs or a folder: expected -o FOLDER for the outputs")
        if indices is not None:
            raise ParameterError("--indices: applies to a single input")
        if code is not None:
            raise ParameterError("--code: applies to a single input")
        if STDIO in sources:
            raise ParameterError("'-' (standard input) cannot be one of several inputs")
        if not into_folder and Path(output).suffix in EXTENSIONS:
            raise ParameterError(f"-o {output}: several inputs need a folder; expected -o DIR/")
        check_compress_level(compress_level, fmt, output)  # (without -f: each input's format)
        batch = BatchRequest(sources, Path(output), recursive, globs, jobs, fail_fast, dask_address)
        _run_batch(batch, settings, as_json, quiet)
        return
    source = sources[0]
    if code is not None and as_json:
        raise ParameterError("--code: prints Python beside the result; expected no --json")
    if output is not None and into_folder:
        output = str(_into_folder(source, Path(output), fmt))
    written = asked_format(output, fmt)  # conflicts are refused before any work
    if written is None and output is not None and source != STDIO:
        written = from_extension(Path(source))  # (the input's, as it is written)
    check_compress_level(compress_level, written, output)
    if asked_format(indices, None) not in (None, "npy", "npz"):
        raise ParameterError(f"--indices {indices}: indices are written as .npy or .npz")
    zarr = is_zarr_store(source) or Path(output or "").suffix == ".zarr"
    if dask_address is not None or zarr:
        arrays = _run_array_on_dask(source, output, settings, dask_address, jobs, as_json, quiet)
    else:
        arrays = _run_one(source, output, indices, settings, as_json, quiet, preview)
    if code is not None:
        _print_code(code, source, arrays, settings.options, to_stderr=output == STDIO)


def _names_a_folder(output: str) -> bool:
    """``-o DIR/`` (a trailing slash) or an existing folder (not a Zarr store) means "into
    this folder, keeping the name"."""
    path = Path(output)
    return output.endswith(("/", os.sep)) or (path.is_dir() and not is_zarr_store(path))


def _into_folder(source: str, folder: Path, fmt: str | None) -> Path:
    if source == STDIO:
        raise ParameterError(f"-o {folder}/: standard input has no name to keep; expected -o FILE")
    name = Path(source).name
    if fmt is not None:
        name = str(Path(name).with_suffix(DEFAULT_EXTENSION[fmt]))
    return folder / name


def _print_code(
    library: str, source: str, arrays: list[ArrayReport], options: PoolOptions, to_stderr: bool
) -> None:
    """Each array's pooling as code for ``library`` (on stderr when stdout holds the data),
    reading or writing out ``x`` so that it runs as pasted."""
    from ..jobs.snippets import file_snippet

    for a in arrays:
        text = file_snippet(library, options, a.geometry, a.input_dtype, source, a.name)
        named = f"# {a.name}:\n{text}" if len(arrays) > 1 else text
        click.echo("\n" + named, nl=False, err=to_stderr)


def _print_reports(source: str, reports: list[ArrayReport], options: PoolOptions) -> None:
    """One header line per array of a file written to a file (plain: no rich to import)."""
    from .text import header_line

    for a in reports:
        title = source if len(reports) == 1 else f"{source}[{a.name}]"
        click.echo(
            header_line(
                title,
                a.input_shape,
                a.input_dtype,
                a.output_shape,
                a.output_dtype,
                a.geometry,
                options.op,
                options.padding,
            )
        )


def _run_array_on_dask(
    source: str,
    output: str | None,
    settings: Settings,
    address: str | None,
    jobs: int | None,
    as_json: bool,
    quiet: bool,
) -> list[ArrayReport]:
    """One large .npy or Zarr array, pooled as a Dask array into a .npy or Zarr output."""
    from ..jobs import on_dask
    from ..jobs.one_file import check_output

    if output is None or output == STDIO:
        raise ParameterError("--dask/Zarr: pools into a file: expected -o FILE.npy or -o DIR.zarr")
    check_output(source, output)
    workers = jobs or os.cpu_count() or 1
    with on_dask.client_for(address or "local", workers) as client:
        arrays = on_dask.pool_array(client, Path(source), Path(output), settings, workers)
    if as_json:
        from .records import reports_record

        click.echo(json.dumps(reports_record(source, output, settings.options.op, arrays)))
    elif not quiet:
        _print_reports(source, arrays, settings.options)
    return arrays


def _run_one(
    source: str,
    output: str | None,
    indices: str | None,
    settings: Settings,
    as_json: bool,
    quiet: bool,
    preview: bool | None,
) -> list[ArrayReport]:
    """One file pooled, printed or written; what each of its arrays went through."""
    from .. import io
    from ..engine import check_combination
    from ..jobs.one_file import (
        check_output,
        indices_document,
        large_file,
        pool_document,
        pool_image_by_rows,
        pool_to_file,
        read_within_budget,
        reports,
        streams_into,
        write_result,
    )

    options = settings.options
    if as_json and output == STDIO:
        raise ParameterError("--json: cannot share standard output with -o -")
    if output == STDIO and streams.is_terminal(sys.stdout):
        raise ParameterError(
            "-o -: standard output is a terminal, which binary data would garble; redirect it "
            "(> out.png) or pipe it, or name a file with -o"
        )
    # Contradictions first: before any output is looked at (or found to exist).
    check_combination(
        options.op, options.nan, indices is not None, options.pad_value, options.count_pad
    )
    for target in (output, indices):
        if target is not None:
            check_output(source, target)
            if target != STDIO and not settings.overwrite and Path(target).exists():
                # Before any work, so that no output is written when another cannot be.
                raise OutputExistsError(target)
            if target != STDIO:
                Path(target).parent.mkdir(parents=True, exist_ok=True)
    large = large_file(source, settings.memory_limit)
    target_format = large and (asked_format(output, settings.fmt) or large.format)
    banded = (
        output not in (None, STDIO)
        and indices is None
        and streams_into(large, str(target_format), options)
    )
    if large is not None and large.nbytes > settings.memory_limit and not banded:
        into = "FILE.npy" if large.format == "npy" else "FILE.npy or FILE.tif"
        raise ParameterError(
            f"{source}: larger than the memory limit, so it is pooled band by band into a "
            f"file: expected -o {into} (and no --indices or --output-size)"
        )
    report = None
    if banded and output is not None:
        report = pool_to_file(source, output, settings, large)
    elif output not in (None, STDIO) and indices is None and options.adaptive is None:
        report = pool_image_by_rows(source, str(output), settings)  # large images only
    if report is not None:
        assert output is not None
        for note in report.notes:
            streams.note(note, source)
        if as_json:
            from .records import reports_record

            click.echo(json.dumps(reports_record(source, output, options.op, report.arrays)))
        elif not quiet:
            _print_reports(source, report.arrays, options)
        return report.arrays
    if source == STDIO and streams.is_terminal(sys.stdin):
        click.echo("maxpool: reading standard input (end it with Ctrl-D)...", err=True)
    doc = read_within_budget(source, settings, indices=indices is not None)
    pooled = pool_document(doc, options, return_indices=indices is not None)
    if indices is not None:
        io.write(indices, indices_document(pooled), overwrite=settings.overwrite)
    written = None
    if output is not None:
        written = write_result(output, pooled.result, settings)
    if as_json:
        from .records import pooled_record

        click.echo(json.dumps(pooled_record(pooled, output, written, options.op)))
        return reports(pooled)
    for note in (*pooled.notes, *(written.notes if written else ())):
        streams.note(note, doc.name)
    if quiet or output == STDIO:
        return reports(pooled)
    if output is not None:
        _print_reports(doc.name, reports(pooled), options)
        return reports(pooled)
    _warn_if_redirected_to_a_file(doc.name)
    if streams.is_terminal(sys.stdout):
        from . import render  # rich, for the terminal only

        console = render.stdout_console()
        if preview and doc.is_image and not render.has_colour(console):
            streams.note("no preview without colour (NO_COLOR is set)", doc.name)
        render.print_pooled(console, pooled, options, preview)
    else:
        if preview and doc.is_image:
            streams.note("no preview without colour (standard output is not a terminal)", doc.name)
        _print_plain(pooled, options)
    return reports(pooled)


def _print_plain(pooled: object, options: PoolOptions) -> None:
    """Every value in full, one line per row, whatever the width (pipes, files, logs)."""
    from ..jobs.one_file import Pooled
    from .text import array_lines, header_line

    assert isinstance(pooled, Pooled)
    doc = pooled.source
    for name, y in pooled.result.arrays.items():
        x = doc.arrays[name]
        title = doc.name if len(doc.arrays) == 1 else f"{doc.name}[{name}]"
        geometry = pooled.geometries[name]
        click.echo(
            header_line(
                title, x.shape, x.dtype, y.shape, y.dtype, geometry, options.op, options.padding
            )
        )
        click.echo("\n".join(array_lines(y, doc.is_image and y.ndim == 3)))


def _warn_if_redirected_to_a_file(name: str) -> None:
    """``maxpool run img.png > out.png`` prints a table into out.png: say so."""
    target = streams.redirected_file()
    if target is not None and target.suffix.lower() in EXTENSIONS:
        streams.note(
            f"printed a table of values into {target}, not an image or array; to write one, "
            f"use -o {target}",
            name,
        )


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
    import time

    from ..jobs import batch, manifest
    from . import render, render_batch
    from .records import outcome_record, summary_record

    tasks, known = batch.discover(
        request.sources,
        request.output,
        request.recursive,
        request.globs,
        settings.fmt,
        settings.overwrite,
    )
    if not tasks and not known:
        raise batch.nothing_found(request.sources, request.globs, request.recursive, "pool")
    batch.prepare_output(request.output)
    try:
        manifest.check_and_record(request.output, settings)
    except manifest.OptionsChangedError as e:
        raise FileFormatError(_options_changed(e)) from e
    errors = render.stderr_console()
    outcomes: list[Outcome] = []
    show_progress = errors.is_terminal and not (quiet or as_json)
    progress = render_batch.BatchProgress(errors, tasks) if show_progress else None

    def report(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if outcome.status == "failed":
            click.echo(one_line(f"Error: {outcome.source}: {outcome.reason}"), err=True)
        if as_json:
            click.echo(json.dumps(outcome_record(outcome)))  # JSON Lines, as each finishes

    def advance(outcome: Outcome) -> None:
        report(outcome)
        if progress is not None:
            progress.advance(outcome)

    for outcome in known:
        report(outcome)
    start = time.perf_counter()
    stopped = request.fail_fast and any(o.status == "failed" for o in known)
    jobs = request.jobs or os.cpu_count() or 1
    try:
        if not stopped and request.dask is not None:
            from ..jobs import on_dask

            with on_dask.client_for(request.dask, jobs) as client:
                on_dask.run_tasks(client, tasks, settings, request.fail_fast, advance)
        elif not stopped:
            batch.run_tasks(tasks, settings, jobs, request.fail_fast, advance)
    except KeyboardInterrupt:
        if progress is not None:
            progress.stop()
            progress = None
        _say_interrupted(outcomes, len(tasks) + len(known))
        raise click.exceptions.Exit(ExitStatus.INTERRUPTED) from None
    finally:
        if progress is not None:
            progress.stop()
    summary = batch.Summary.of(outcomes, time.perf_counter() - start)
    groups = batch.group_failures(outcomes)
    if as_json:
        click.echo(json.dumps(summary_record(summary, groups)))
    elif not quiet:
        notes: dict[str, int] = {}
        for outcome in outcomes:
            for note in outcome.notes:
                notes[note] = notes.get(note, 0) + 1
        click.echo("\n".join(render_batch.summary_lines(summary, groups, notes)))
    if summary.failed:
        raise click.exceptions.Exit(ExitStatus.FAILURE)


def _say_interrupted(outcomes: list[Outcome], total: int) -> None:
    done = sum(o.status == "done" for o in outcomes)
    skipped = sum(o.status == "skipped" for o in outcomes)
    failed = sum(o.status == "failed" for o in outcomes)
    remaining = total - len(outcomes)
    click.echo(
        f"Interrupted: {done} done, {skipped} skipped, {failed} failed, {remaining} not done "
        f"(no partial file is left); run the same command again to go on where it stopped.",
        err=True,
    )


# The options model's names as the flags that set them.
FLAGS = {
    "kernel": "-k",
    "stride": "-s",
    "padding": "-p",
    "dilation": "-d",
    "ceil_mode": "--ceil-mode",
    "op": "--op",
    "pad_value": "--pad-value",
    "count_pad": "--count-pad",
    "nan": "--nan",
    "axes": "--axes",
    "output_size": "--output-size",
    "global_pool": "--global",
    "format": "-f",
    "key": "--key",
}


def _options_changed(error: object) -> str:
    """``out: holds outputs made with -k 2 (now -k 4); ...`` in the command line's words."""
    from ..jobs.manifest import OptionsChangedError

    assert isinstance(error, OptionsChangedError)

    def show(value: object) -> str:
        if value is None or value is False:
            return "unset"
        if value is True:
            return "set"
        if isinstance(value, list):
            return ",".join(":".join(map(str, v)) if isinstance(v, list) else str(v) for v in value)
        return str(value)

    changes = ", ".join(
        f"{FLAGS.get(name, name)} {show(old)} (now {show(new)})"
        for name, (old, new) in error.differences.items()
    )
    return (
        f"{error.folder}: holds outputs made with {changes}; pass --overwrite to replace "
        f"them, or choose another -o"
    )
