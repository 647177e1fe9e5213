"""The ``maxpool`` command: parse, call the library, print; errors become exit codes here.

Only click is imported at start-up; NumPy and rich are imported by the commands that need
them, so ``maxpool --help`` stays fast.
"""

from __future__ import annotations

import enum
import sys
import traceback
from typing import Any

import click

from ._version import __version__
from .errors import MaxpoolError, ParameterError
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


@click.group(cls=MaxpoolGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="maxpool")
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
def cli(debug: bool) -> None:
    """Max-pool images and arrays, exactly as PyTorch and TensorFlow do.

    \b
    Examples:
      maxpool run sample_data/classic_4x4.npy -k 2
      maxpool run photo.png -k 3 -s 2 -p same -o small.png
    """


def _options(
    kernel: tuple[int, ...],
    stride: tuple[int, ...] | None,
    padding: Any,
    dilation: tuple[int, ...],
    ceil_mode: bool,
    op: str,
    pad_value: float | None,
    count_pad: bool,
    nan_policy: str,
    axes: tuple[int, ...] | None,
) -> PoolOptions:
    """The library's pooling options for the parsed command-line options."""

    def scalar_or_tuple(values: tuple[int, ...] | None) -> Any:
        return values[0] if values is not None and len(values) == 1 else values

    return PoolOptions(
        kernel=scalar_or_tuple(kernel),
        stride=scalar_or_tuple(stride),
        padding=padding,
        dilation=scalar_or_tuple(dilation),
        ceil_mode=ceil_mode,
        op=op,
        pad_value=pad_value,
        count_pad=count_pad,
        nan=nan_policy,
        axes=axes,
    )


@cli.command()
@click.argument("source", metavar="INPUT")
@pooling_options
@click.option(
    "-o",
    "--output",
    help="Write the result here ('-': standard output) instead of printing it.",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Output format, for standard output or over the input's (an output's extension wins).",
)
@click.option(
    "--indices", type=click.Path(dir_okay=False), help="Also save the argmax indices (.npy)."
)
@click.option("--key", help="The .npz member to pool (default: all of them).")
@click.option("--max-pixels", type=click.IntRange(min=1), help="Raise the image size limit.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def run(
    source: str,
    output: str | None,
    fmt: str | None,
    indices: str | None,
    key: str | None,
    max_pixels: int | None,
    overwrite: bool,
    **pooling: Any,
) -> None:
    """Pool an array or image file and print or save the result.

    \b
    Examples:
      maxpool run sample_data/classic_4x4.npy -k 2
      maxpool run sample_data/astronaut.png -k 3 -s 2 -p same -o small.png
      cat mask.png | maxpool run - -k 2 -o - > small_mask.png
    """
    from . import io
    from .job import check_output, pool_document

    options = _options(**pooling)
    if output is not None:
        check_output(source, output)
    if indices is not None:
        check_output(source, indices)
        if options.op not in ("max", "min"):
            raise ParameterError(f"--indices: only applies to --op max or min, got {options.op}")
    doc = io.read(source, key=key, max_pixels=max_pixels)
    pooled = pool_document(doc, options, return_indices=indices is not None)
    if indices is not None:
        assert pooled.indices is not None
        index_doc = io.Document(doc.name, "npy", pooled.indices)
        io.write(indices, index_doc, fmt="npy", overwrite=overwrite)
    if output is not None:
        io.write(output, pooled.result, fmt=fmt, overwrite=overwrite)
        return

    from . import render

    console = render.stdout_console()
    for name, result in pooled.result.arrays.items():
        title = doc.name if len(doc.arrays) == 1 else f"{doc.name}[{name}]"
        x = doc.arrays[name]
        head = render.header(title, x, result, pooled.geometries[name], options.op, options.padding)
        console.print(head, soft_wrap=True)  # one line, whatever the width, for grep and logs
        console.print(render.array_view(result))


def main() -> None:
    """Entry point of the ``maxpool`` script."""
    cli(prog_name="maxpool")
