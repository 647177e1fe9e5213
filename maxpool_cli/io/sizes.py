"""Byte sizes written by people (``256M``, ``2G``) and for people (``1.5 MiB``).

Kept apart from NumPy so that parsing ``--memory-limit`` costs nothing at start-up.
"""

from __future__ import annotations

from ..errors import ParameterError


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
