"""Checking sizes read from file headers against the memory this machine has, before
anything is allocated."""

from __future__ import annotations

from ..errors import FileFormatError
from .sizes import available_memory, human


def check_fits(name: str, nbytes: int, what: str, hint: str = "") -> None:
    """Refuse to allocate ``nbytes`` for ``what`` if the machine does not have them."""
    available = available_memory()
    if nbytes > available:
        raise FileFormatError(
            f"{name}: {what} would need {human(nbytes)} of memory, but only {human(available)} "
            f"is available{hint}"
        )
