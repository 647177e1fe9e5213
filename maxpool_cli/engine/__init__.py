"""The pooling engine: pure NumPy, no I/O, no terminal.

``pool`` is the vectorized implementation, ``reference_pool`` the plain-loop definition it is
tested against, and ``pool_geometry`` the shape arithmetic both share.
"""

from .geometry import AxisGeometry, PoolGeometry, pool_geometry
from .kernels import pool, result_dtype
from .reference import reference_pool

__all__ = [
    "AxisGeometry",
    "PoolGeometry",
    "pool",
    "pool_geometry",
    "reference_pool",
    "result_dtype",
]
