"""The memory a job may use: the machine's, the process's own limits, and the budget asked for.

Sizes read from file headers are checked here before anything is allocated. What a process
can really allocate is the least of the machine's available memory, what its cgroup leaves
(``memory.max``), and its address-space and data limits (``RLIMIT_AS``, ``RLIMIT_DATA``) less
what it already maps. Kept free of NumPy, so the command line can size its budget at start-up.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import FileFormatError
from .sizes import human

UNKNOWN = 1 << 62  # no limit found


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except (OSError, ValueError):
        return None
    return int(text) if text.isdigit() else None


def _proc_kib(field: str, path: str = "/proc/self/status") -> int | None:
    """A ``Field:   123 kB`` line of a /proc file, in bytes."""
    try:
        with open(path, encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_dirs() -> list[Path]:
    """The cgroup folders (v2, and v1's memory controller) this process belongs to."""
    dirs: list[Path] = []
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return dirs
    for line in lines:
        _, controllers, where = line.split(":", 2)
        relative = where.lstrip("/")
        if controllers == "":
            dirs.append(Path("/sys/fs/cgroup") / relative)
        elif "memory" in controllers.split(","):
            dirs.append(Path("/sys/fs/cgroup/memory") / relative)
    return dirs


def cgroup_room() -> tuple[int, int]:
    """(limit, room left) of this process's cgroup memory, or (UNKNOWN, UNKNOWN)."""
    for folder in _cgroup_dirs():
        for limit_file, usage_file in (
            ("memory.max", "memory.current"),
            ("memory.limit_in_bytes", "memory.usage_in_bytes"),
        ):
            limit = _read_int(folder / limit_file)
            if limit is not None and limit < UNKNOWN:
                used = _read_int(folder / usage_file) or 0
                return limit, max(0, limit - used)
    return UNKNOWN, UNKNOWN


def rlimit_room() -> tuple[int, int]:
    """(limit, room left) under RLIMIT_AS and RLIMIT_DATA, or (UNKNOWN, UNKNOWN)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return UNKNOWN, UNKNOWN
    limit, room = UNKNOWN, UNKNOWN
    for which, field in ((resource.RLIMIT_AS, "VmSize"), (resource.RLIMIT_DATA, "VmData")):
        soft, _ = resource.getrlimit(which)
        if soft != resource.RLIM_INFINITY and soft > 0:
            used = _proc_kib(field) or 0
            limit, room = min(limit, soft), min(room, max(0, soft - used))
    return limit, room


def physical_memory() -> int:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


# Allocations this small are made without asking what memory is available.
SMALL_BYTES = 16 * 2**20


def total_memory() -> int:
    """The memory this process may ever use: physical memory, capped by its cgroup and its
    rlimits (the default budget is a quarter of it)."""
    return min(physical_memory(), cgroup_room()[0], rlimit_room()[0])


def available_memory() -> int:
    """Bytes this process can allocate now: the least of the machine's available memory,
    the room its cgroup leaves and the room under its rlimits."""
    machine = _proc_kib("MemAvailable", "/proc/meminfo")
    if machine is None:
        try:
            machine = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            machine = UNKNOWN
    return min(machine, cgroup_room()[1], rlimit_room()[1])


def default_budget() -> int:
    """The memory one job may use when no ``--memory-limit`` is given."""
    return total_memory() // 4


def check_fits(name: str, nbytes: int, what: str, limit: int | None = None, hint: str = "") -> None:
    """Refuse to allocate ``nbytes`` for ``what`` beyond the budget or what is available."""
    if nbytes <= SMALL_BYTES and (limit is None or nbytes <= limit):
        return  # asking the system costs a millisecond a file in a batch of small ones
    available = available_memory()
    if limit is not None and nbytes > limit and limit <= available:
        raise FileFormatError(
            f"{name}: {what} would need {human(nbytes)} of memory, more than the memory limit "
            f"{human(limit)} (--memory-limit){hint}"
        )
    if nbytes > available:
        raise FileFormatError(
            f"{name}: {what} would need {human(nbytes)} of memory, but only {human(available)} "
            f"is available{hint}"
        )
