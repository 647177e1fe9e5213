"""Running the command as a person does: in a pseudo-terminal of a given width."""

from __future__ import annotations

import errno
import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# The console script installed beside this Python (the first `maxpool` on PATH may belong to
# another Python: a venv used without activating it).
MAXPOOL = str(Path(sys.executable).with_name("maxpool"))


@dataclass
class Screen:
    """What a run in a terminal left: its exit code, the terminal's text, and stderr."""

    code: int
    raw: str  # with colour codes
    stderr: str

    @property
    def text(self) -> str:
        """What the terminal shows, without colour codes and carriage returns."""
        return ANSI.sub("", self.raw).replace("\r\n", "\n")


def run_in_terminal(
    args: list[str],
    columns: int = 80,
    env: dict[str, str] | None = None,
    stdin_terminal: bool = False,
    keys: bytes = b"",
    timeout: float = 60,
) -> Screen:
    """``python -m maxpool_cli ARGS`` with stdout (and optionally stdin) on a pseudo-terminal
    ``columns`` wide; ``keys`` are typed into it once the command has started."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS")}
    environment.update(TERM="xterm-256color", **(env or {}))
    process = subprocess.Popen(
        [sys.executable, "-m", "maxpool_cli", *args],
        stdin=slave if stdin_terminal else subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=environment,
    )
    os.close(slave)
    if keys:
        time.sleep(1.0)  # let it start reading
        os.write(master, keys)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError as e:  # EIO: the other side is closed
                if e.errno != errno.EIO:
                    raise
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    os.close(master)
    stderr = process.stderr.read().decode() if process.stderr else ""
    code = process.wait(timeout=timeout)
    return Screen(code, b"".join(chunks).decode(errors="replace"), stderr)
