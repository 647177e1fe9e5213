"""The io layer: bytes <-> arrays (npy/npz/csv, images, Zarr, stdin/stdout, atomic writes).

It may import ``errors`` only: never the engine, jobs or the command line. Importing the
package costs nothing (NumPy loads with the first read), so the command line can use
``formats`` and ``sizes`` at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .document import Document, ImageInfo
    from .files import STDIO, encode, load, open_image_rows, output_format, read, save, write
    from .headers import ArrayInfo, FileInfo, describe

_LAZY = {
    "ArrayInfo": ".headers",
    "FileInfo": ".headers",
    "describe": ".headers",
    "Document": ".document",
    "ImageInfo": ".document",
    "STDIO": ".files",
    "encode": ".files",
    "load": ".files",
    "open_image_rows": ".files",
    "output_format": ".files",
    "read": ".files",
    "save": ".files",
    "write": ".files",
}

__all__ = [
    "STDIO",
    "ArrayInfo",
    "Document",
    "FileInfo",
    "ImageInfo",
    "describe",
    "encode",
    "load",
    "open_image_rows",
    "output_format",
    "read",
    "save",
    "write",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
