"""The ``maxpool`` group: its options, and the one place where errors become exit codes.

The commands live in modules of their own (run, info, explain, unpool) and register
themselves on :data:`cli`; ``maxpool_cli.cli`` imports them all.
"""

from __future__ import annotations

import enum
import errno
import os
import re
import shlex
import signal
import sys
import traceback
import warnings
from typing import Any

import click

from .._version import __version__
from ..errors import MaxpoolError, ParameterError
from ..io import atomic

STDIO = "-"  # standard input or output


class ExitStatus(enum.IntEnum):
    """Process exit codes."""

    SUCCESS = 0
    FAILURE = 1  # a file or the job failed
    USAGE = 2  # bad command line
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
    BROKEN_PIPE = 141  # the reader of standard output went away (128 + SIGPIPE)
    TERMINATED = 143  # SIGTERM (128 + SIGTERM)


class Terminated(BaseException):
    """SIGTERM, raised wherever the process is, so that its temporaries are removed on the
    way out as on Ctrl-C (a BaseException: no ``except Exception`` of a job stops it)."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


class _Failure(click.ClickException):
    exit_code = ExitStatus.FAILURE


class _Interrupted(click.ClickException):
    exit_code = ExitStatus.INTERRUPTED


class _Terminated(click.ClickException):
    exit_code = ExitStatus.TERMINATED


# Errors of writing that say what the disk or device is (not a bug): said in one line.
WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS)


# The library's argument names as the command line's flags, for messages that come from below.
_FLAG_WORDS = [
    (re.compile(r"\bop='(\w+)'"), r"--op \1"),
    (re.compile(r"\bop '(\w+)' or '(\w+)'"), r"--op \1 or \2"),
    (re.compile(r"\bceil_mode=False\b"), "no --ceil-mode"),
    (re.compile(r"\bpadding 'same'"), "-p same"),
    (re.compile(r"\b(ceil_mode|count_pad|pad_value|output_size)\b"), None),
    (re.compile(r"\breturn_indices\b"), "--indices"),
    (re.compile(r"(^|: )(kernel|stride|dilation|padding|axes|op|nan|shape):"), r"\1--\2:"),
]


def flag_words(message: str) -> str:
    """A library message in the command line's words: ``count_pad`` is ``--count-pad``.

    >>> flag_words("count_pad: only applies to op='avg', got op='max'")
    '--count-pad: only applies to --op avg, got --op max'
    >>> flag_words("x.npy: kernel: expected integers >= 1, got 0")
    'x.npy: --kernel: expected integers >= 1, got 0'
    """
    for pattern, replacement in _FLAG_WORDS:
        if replacement is None:
            message = pattern.sub(lambda m: "--" + m.group(1).replace("_", "-"), message)
        else:
            message = pattern.sub(replacement, message)
    return message


def one_line(message: str) -> str:
    r"""A message that stays on one line: control characters (a newline in a file name) are
    written as escapes.

    >>> one_line("a\nb.npy: cannot read")
    'a\\nb.npy: cannot read'
    """
    if message.isprintable():
        return message
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in message)


class MaxpoolCommand(click.Command):
    """A click command that turns every error into one line on stderr and an exit code.

    Every command also takes ``--debug`` (as the group does), so it works after the command.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(
            click.Option(["--debug"], is_flag=True, hidden=True, help="Show tracebacks.")
        )

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.params.pop("debug", False) or ctx.find_root().params.get("debug"))
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # (a full disk or a closed pipe is found now, not at exit)
            return result
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except ParameterError as e:
            if debug:
                traceback.print_exc()
            raise click.UsageError(one_line(flag_words(str(e))), ctx=ctx) from e
        except MaxpoolError as e:
            if debug:
                traceback.print_exc()
            raise _Failure(one_line(flag_words(str(e)))) from e
        except KeyboardInterrupt:
            _quiet_shutdown()
            raise _Interrupted("interrupted") from None
        except Terminated:
            _quiet_shutdown()
            raise _Terminated("terminated (SIGTERM); no partial file is left") from None
        except MemoryError as e:
            if debug:
                traceback.print_exc()
            raise _Failure(
                "out of memory; a smaller --memory-limit pools .npy and TIFF files band by band"
            ) from e
        except BrokenPipeError:
            # The reader went away (`maxpool run ... | head`): end quietly, as a command
            # killed by SIGPIPE does; what Python would flush at exit goes nowhere.
            _silence_stdout()
            raise click.exceptions.Exit(ExitStatus.BROKEN_PIPE) from None
        except OSError as e:
            if e.errno not in WRITE_ERRNOS:
                if debug:
                    raise
                raise _Failure(_unexpected(e)) from e
            if debug:
                traceback.print_exc()
            # (Files are written through io, which names them; what is left is stdout.)
            where = e.filename or "<stdout>"
            raise _Failure(one_line(f"{where}: cannot write: {e.strerror or e}")) from e
        except Exception as e:
            if debug:
                raise
            raise _Failure(_unexpected(e)) from e


def _unexpected(e: Exception) -> str:
    return one_line(
        f"unexpected {type(e).__name__}: {e} (this is a bug; --debug shows the traceback)"
    )


def _quiet_shutdown() -> None:
    """Clean up after a stopped job, and say nothing more on the way out: the coroutines
    and tasks of an asynchronous library (zarr) stopped half way are collected at exit,
    each with a RuntimeWarning, an asyncio log line or an "Exception ignored", which would
    follow the one line said."""
    import logging  # (only on this way out)

    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    atomic.remove_own_temporaries()
    sys.unraisablehook = lambda unraisable: None


def _silence_stdout() -> None:
    """Point standard output at /dev/null: a closed pipe's buffered bytes are dropped
    instead of failing again when Python flushes them at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # not a real descriptor (tests): nothing will be flushed to it


class MaxpoolGroup(click.Group):
    """The group: commands as above, and a pointer to ``run`` when a file is given instead."""

    command_class = MaxpoolCommand

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and self.get_command(ctx, name) is None and _looks_like_input(name):
            suggestion = shlex.join(["maxpool", "run", *args])
            raise click.UsageError(
                f"No such command {name!r}; to pool a file, name the command: {suggestion}",
                ctx=ctx,
            )
        return super().resolve_command(ctx, args)


def _looks_like_input(name: str) -> bool:
    from ..io.formats import EXTENSIONS

    return name == STDIO or os.path.exists(name) or os.path.splitext(name)[1].lower() in EXTENSIONS


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
    signal.signal(signal.SIGTERM, _raise_terminated)
    cli(prog_name="maxpool")
