"""Byte sizes: memory this machine has, and sizes written by people (``256M``, ``2G``).

Kept apart from NumPy so that parsing ``--memory-limit`` costs nothing at start-up.
"""

from __future__ import annotations

import os

from ..errors import ParameterError


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable on Linux; free physical pages elsewhere)."""
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


def total_memory() -> int:
    """Physical memory in bytes (the default memory limit is a quarter of it)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def gib(nbytes: int) -> str:
    return f"{nbytes / 2**30:.1f} GiB"


def human(nbytes: float) -> str:
    """``1.5 MiB``-style sizes for people.

    >>> human(512), human(3 * 2**20)
    ('512 B', '3.0 MiB')
    """
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(nbytes) < 1024 or unit == "GiB":
            return f"{nbytes:.0f} {unit}" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.1f} TiB"  # pragma: no cover


def parse_size(text: str) -> int:
    """``256M``, ``2G``, ``1.5GiB`` or a number of bytes.

    >>> parse_size("256M"), parse_size("2G"), parse_size("4096")
    (268435456, 2147483648, 4096)
    """
    units = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    clean = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = clean[-1:] if clean[-1:] in units else ""
    try:
        value = float(clean[: len(clean) - len(unit)])
    except ValueError:
        raise ParameterError(
            f"--memory-limit: expected a size like 256M or 2G, got {text!r}"
        ) from None
    if value <= 0:
        raise ParameterError(f"--memory-limit: expected a positive size, got {text!r}")
    return int(value * units[unit])
