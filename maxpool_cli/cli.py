"""The ``maxpool`` command: parse, call the library, print; errors become exit codes here.

Only click is imported at start-up; NumPy and rich are imported by the commands that need
them, so ``maxpool --help`` stays fast.
"""

from __future__ import annotations

import enum
import json
import sys
import traceback
from typing import Any

import click

from ._version import __version__
from .errors import MaxpoolError, ParameterError, about_file
from .formats import FORMATS
from .options import pooling_options
from .pool_options import PoolOptions


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
@click.argument("source", metavar="INPUT")
@pooling_options
@click.option("-o", "--output", help="Write the result here ('-': standard output).")
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
def run(
    source: str,
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
) -> None:
    """Pool an array or image file; print the result or save it.

    Without -o the result is printed: every value of small arrays, a summary of large ones
    (and a colour preview of images on a terminal).

    \b
    Examples:
      maxpool run sample_data/classic_4x4.npy -k 2
      maxpool run sample_data/astronaut.png -k 3 -s 2 -p same -o small.png
      cat sample_data/mask.png | maxpool run - -k 4 -o - > mask_small.png
    """
    from . import io
    from .job import check_output, pool_document

    if as_json and output == io.STDIO:
        raise ParameterError("--json: cannot share standard output with -o -")
    if indices is not None and options.op not in ("max", "min"):
        raise ParameterError(f"--indices: only applies to --op max or min, got {options.op}")
    for target in (output, indices):
        if target is not None:
            check_output(source, target)
    doc = io.read(source, key=key, max_pixels=max_pixels)
    pooled = pool_document(doc, options, return_indices=indices is not None)
    if indices is not None:
        assert pooled.indices is not None
        io.write(
            indices, io.Document(doc.name, "npy", pooled.indices), fmt="npy", overwrite=overwrite
        )
    written = None
    if output is not None:
        written = io.write(output, pooled.result, fmt=fmt, overwrite=overwrite)
    if as_json:
        from .report import array_record, document_record

        record = document_record(doc)
        record.update(output=output, output_format=written, op=options.op)
        record["arrays"] = [
            array_record(name, doc.arrays[name], pooled.geometries[name], y)
            for name, y in pooled.result.arrays.items()
        ]
        click.echo(json.dumps(record))
        return
    if quiet or output == io.STDIO:
        return
    _print_pooled(pooled, options, preview, show_values=output is None)


def _print_pooled(
    pooled: Any, options: PoolOptions, preview: bool | None, show_values: bool
) -> None:
    from . import render

    console = render.stdout_console()
    doc = pooled.source
    for note in doc.notes:
        render.stderr_console().print(f"{doc.name}: note: {note}", style="dim", soft_wrap=True)
    show_preview = console.is_terminal if preview is None else preview
    for name, y in pooled.result.arrays.items():
        x = doc.arrays[name]
        title = doc.name if len(doc.arrays) == 1 else f"{doc.name}[{name}]"
        head = render.header(
            title, x, y.shape, y.dtype, pooled.geometries[name], options.op, options.padding
        )
        console.print(head, soft_wrap=True)  # one line whatever the width, for grep and logs
        if not show_values:
            continue
        if doc.image is not None and show_preview:
            console.print(render.image_preview(x, y, doc.image.mode))
        console.print(render.array_view(y, channels_last=doc.is_image and y.ndim == 3))


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
    """
    import numpy as np

    from . import io, render
    from .engine import pool, pool_geometry
    from .engine.reference import walk
    from .job import geometry_kwargs

    if source is None:
        name = "the classic 4x4 example"
        x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])
        image = False
    else:
        doc = io.read(source, key=key)
        name, x, image = doc.name, doc.single(), doc.is_image
    kwargs = options.for_pool(image)
    if x.ndim not in (1, 2) or (kwargs["axes"] is not None and len(kwargs["axes"]) != x.ndim):
        raise ParameterError(
            f"explain: walks 1-D or 2-D inputs pooled over every axis; {name} is {x.shape}"
        )
    try:
        geometry = pool_geometry(x.shape, **geometry_kwargs(kwargs))
        expected = pool(x, **kwargs)
    except MaxpoolError as e:
        raise about_file(e, name) from e
    steps = list(geometry.output_shape)
    total = int(np.prod(steps))
    if total > max_steps:
        raise ParameterError(
            f"explain: {name} gives {total} windows, more than --max-steps {max_steps}; use a "
            f"smaller input or larger stride, or raise --max-steps"
        )
    console = render.stdout_console()
    console.print(
        render.header(
            name, x, expected.shape, expected.dtype, geometry, options.op, options.padding
        ),
        soft_wrap=True,
    )
    console.print(render.size_formulas(geometry, options.padding), soft_wrap=True)
    padded = any(b or a for b, a in geometry.padding)
    console.print("Input (padding shown as ·):" if padded else "Input:")
    console.print(render.explain_grid(x, geometry, options.pad_value))
    result = np.empty(geometry.output_shape, dtype=expected.dtype)
    walked = walk(x, geometry, options.op, options.pad_value, options.count_pad, options.nan)
    for number, step in enumerate(walked, start=1):
        console.print()
        console.print(render.explain_step(x, step, number, total, options.op))
        console.print(render.explain_grid(x, geometry, options.pad_value, step))
        result[step.out_index] = step.value
    console.print()
    console.print("Output:")
    console.print(render.matrix_table(result))


def main() -> None:
    """Entry point of the ``maxpool`` script."""
    cli(prog_name="maxpool")
