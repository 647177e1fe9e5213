"""Atomic file writes: a temporary file in the target folder, fsync, then rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_write(path: Path, overwrite: bool = False) -> Iterator[BinaryIO]:
    """Open a temporary file beside ``path`` that replaces it only if the block succeeds.

    Any exception (KeyboardInterrupt included) removes the temporary file and leaves an
    existing ``path`` untouched, so a failed write never leaves a partial file.
    """
    folder = path.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    os.close(fd)  # reopened by name below, so that the file object knows its path
    tmp = Path(tmp_name)
    try:
        # mkstemp makes the file private (0600); an output gets the usual mode for new files.
        os.chmod(tmp, 0o666 & ~_umask())
        with tmp.open("r+b") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            # link() fails if the target exists, so a file appearing meanwhile is not clobbered.
            os.link(tmp, path)
            tmp.unlink()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
