"""maxpool: max (and min, avg, sum) pooling of images and arrays, exact to PyTorch and TensorFlow.

>>> import numpy as np
>>> from maxpool_cli import pool
>>> pool(np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]), kernel=2)
array([[6, 8],
       [3, 4]])
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    DTypeError,
    FileFormatError,
    MaxpoolError,
    MissingExtraError,
    ParameterError,
    ShapeError,
)

if TYPE_CHECKING:
    from .engine import PoolGeometry, adaptive_pool, pool, pool_backward, pool_geometry, unpool
    from .io import load, save

# NumPy is imported on first use, so that `maxpool --help` starts without it.
_LAZY = {
    "PoolGeometry": ".engine",
    "adaptive_pool": ".engine",
    "pool_backward": ".engine",
    "unpool": ".engine",
    "pool": ".engine",
    "pool_geometry": ".engine",
    "load": ".io",
    "save": ".io",
}

__all__ = [
    "DTypeError",
    "FileFormatError",
    "MaxpoolError",
    "MissingExtraError",
    "ParameterError",
    "PoolGeometry",
    "ShapeError",
    "__version__",
    "adaptive_pool",
    "load",
    "pool",
    "pool_backward",
    "pool_geometry",
    "save",
    "unpool",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
