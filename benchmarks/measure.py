"""Shared by the benchmarks: a command run as a whole process, timed and measured.

The command is started by a small intermediate Python process (``-S``: no site packages),
which reports the wall time and the kernel's ``ru_maxrss`` of its children: the peak RSS of
the command's largest process, not of the benchmark that started it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# The intermediate process: small, so that the peak RSS the kernel carries from a parent into
# the child it starts is a few MiB, and measuring nothing but the command.
PROBE = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
seconds = time.perf_counter() - start
sys.stderr.write(done.stderr.decode(errors="replace"))
print(done.returncode, seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@dataclass
class Run:
    returncode: int
    seconds: float
    rss_mib: float
    stderr: str


def run(command: list[str], env: dict[str, str] | None = None) -> Run:
    """``command`` as a whole process: wall seconds, its peak RSS, exit code and stderr."""
    probe = [sys.executable, "-S", "-c", PROBE, *command]
    environ = {**os.environ, **env} if env else None
    done = subprocess.run(probe, capture_output=True, text=True, check=False, env=environ)
    try:
        code, seconds, rss_kib = done.stdout.split()
    except ValueError:  # the probe itself failed
        return Run(-1, float("nan"), float("nan"), done.stderr)
    return Run(int(code), float(seconds), int(rss_kib) / 1024, done.stderr)


def median(runs: list[Run]) -> float:
    return statistics.median(r.seconds for r in runs) if runs else float("nan")


def spread(runs: list[Run], digits: int = 2) -> str:
    """The median time, with the range when there are several runs."""
    times = [r.seconds for r in runs]
    if len(times) < 2:
        return f"{median(runs):.{digits}f} s"
    return f"{median(runs):.{digits}f} s ({min(times):.{digits}f}-{max(times):.{digits}f})"


def peak_rss(runs: list[Run]) -> float:
    return max((r.rss_mib for r in runs), default=float("nan"))


def maxpool_command(spec: str) -> list[str]:
    """The maxpool command line from a Python, a ``maxpool`` script or a command line."""
    words = shlex.split(spec)
    first = shutil.which(words[0]) or words[0]
    if len(words) == 1 and Path(first).name.startswith("python"):
        return [first, "-m", "maxpool_cli"]
    return [first, *words[1:]]
