"""The ``maxpool`` group: its options, and the one place where errors become exit codes.

The commands live in modules of their own (run, info, explain, unpool) and register
themselves on :data:`cli`; ``maxpool_cli.cli`` imports them all.
"""

from __future__ import annotations

import enum
import sys
import traceback
from typing import Any

import click

from .._version import __version__
from ..errors import MaxpoolError, ParameterError

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


def main() -> None:
    """Entry point of the ``maxpool`` script."""
    cli(prog_name="maxpool")
