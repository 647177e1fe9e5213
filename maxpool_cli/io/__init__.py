"""Reading and writing arrays: paths and byte streams in, arrays out, and back (atomically)."""

from .arrays import load, save

__all__ = ["load", "save"]
