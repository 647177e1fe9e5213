"""Where output goes: standard output and error, what they are (a terminal, a pipe, a file),
and the one-line notes on stderr. Plain click: nothing here costs an import."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import click

from .app import one_line


def is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def colour_allowed() -> bool:
    """Colour on stdout: only on a terminal, and never with NO_COLOR set."""
    return is_terminal(sys.stdout) and "NO_COLOR" not in os.environ


def note(message: str, name: str | None = None) -> None:
    """``<name>: note: <message>`` on stderr, on one line."""
    lead = f"{name}: " if name else ""
    click.echo(one_line(f"{lead}note: {message}"), err=True)


def redirected_file() -> Path | None:
    """The regular file standard output is redirected to (``> out.png``), when known."""
    try:
        fd = sys.stdout.fileno()
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return Path(os.readlink(f"/proc/self/fd/{fd}"))
    except (OSError, ValueError, AttributeError):
        return None  # not a real file descriptor (tests), or no /proc
