"""maxpool: max (and min, avg, sum) pooling of images and arrays, exact to PyTorch and TensorFlow.

>>> import numpy as np
>>> from maxpool_cli import pool
>>> pool(np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]), kernel=2)
array([[6, 8],
       [3, 4]])
"""

from ._version import __version__
from .engine import PoolGeometry, pool, pool_geometry
from .errors import DTypeError, FileFormatError, MaxpoolError, ParameterError, ShapeError
from .io import load, save

__all__ = [
    "DTypeError",
    "FileFormatError",
    "MaxpoolError",
    "ParameterError",
    "PoolGeometry",
    "ShapeError",
    "__version__",
    "load",
    "pool",
    "pool_geometry",
    "save",
]
