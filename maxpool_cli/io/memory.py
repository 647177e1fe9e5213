"""How much memory this machine can give, so that sizes read from file headers are checked
before anything is allocated."""

from __future__ import annotations

import os

from ..errors import FileFormatError


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable on Linux; physical pages elsewhere)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 1 << 62  # unknown: let the allocator decide


def gib(nbytes: int) -> str:
    return f"{nbytes / 2**30:.1f} GiB"


def check_fits(name: str, nbytes: int, what: str) -> None:
    """Refuse to allocate ``nbytes`` for ``what`` if the machine does not have them."""
    available = available_memory()
    if nbytes > available:
        raise FileFormatError(
            f"{name}: {what} would need {gib(nbytes)} of memory, but only {gib(available)} is "
            f"available"
        )
