"""The ``maxpool`` command: parse, call the library, print; errors become exit codes here.

Only click is imported at start-up; NumPy and rich are imported by the commands that need
them, so ``maxpool --help`` stays fast.
"""

from __future__ import annotations

import enum
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from ._version import __version__
from .errors import MaxpoolError, ParameterError, about_file
from .options import pooling_options


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


def _pool_kwargs(
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
) -> dict[str, Any]:
    """The library's keyword arguments for the parsed pooling options."""

    def scalar_or_tuple(values: tuple[int, ...] | None) -> int | tuple[int, ...] | None:
        return values[0] if values is not None and len(values) == 1 else values

    return {
        "kernel": scalar_or_tuple(kernel),
        "stride": scalar_or_tuple(stride),
        "padding": padding,
        "dilation": scalar_or_tuple(dilation),
        "ceil_mode": ceil_mode,
        "op": op,
        "pad_value": pad_value,
        "count_pad": count_pad,
        "nan": nan_policy,
        "axes": axes,
    }


@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@pooling_options
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the result here (.npy) instead of printing it.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def run(input_path: Path, output: Path | None, overwrite: bool, **options: Any) -> None:
    """Pool an array file and print or save the result.

    \b
    Examples:
      maxpool run sample_data/classic_4x4.npy -k 2
      maxpool run sample_data/classic_4x4.npy -k 3 -s 1 -p same
      maxpool run features.npy -k 2 --axes 1,2 -o pooled.npy
    """
    from .engine import pool, pool_geometry
    from .io import load, save

    kwargs = _pool_kwargs(**options)
    x = load(input_path)
    geometry_keys = ("kernel", "stride", "padding", "dilation", "ceil_mode", "axes")
    try:
        geometry = pool_geometry(x.shape, **{k: kwargs[k] for k in geometry_keys})
        y = pool(x, **kwargs)
    except MaxpoolError as e:
        raise about_file(e, input_path) from e
    if output is not None:
        if output.resolve() == input_path.resolve():
            raise ParameterError(f"{output}: is the input; expected a different output path")
        save(output, y, overwrite=overwrite)
        return

    from . import render

    console = render.stdout_console()
    console.print(render.header(input_path.name, x, y, geometry, kwargs["op"], kwargs["padding"]))
    console.print(render.array_view(y))


def main() -> None:
    """Entry point of the ``maxpool`` script."""
    cli(prog_name="maxpool")
