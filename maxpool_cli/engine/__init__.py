"""The pooling engine: pure NumPy, no I/O, no terminal.

``pool`` is the vectorized implementation, ``reference_pool`` the plain-loop definition it is
tested against, and ``pool_geometry`` the shape arithmetic both share.
"""

from .adaptive import AdaptiveGeometry, adaptive_geometry, adaptive_pool, adaptive_windows
from .geometry import AxisGeometry, PoolGeometry, band_geometry, pool_geometry
from .gradients import pool_backward, unpool
from .kernels import pool, pool_on, result_dtype
from .reference import reference_pool

__all__ = [
    "AdaptiveGeometry",
    "AxisGeometry",
    "PoolGeometry",
    "adaptive_geometry",
    "adaptive_pool",
    "adaptive_windows",
    "band_geometry",
    "pool",
    "pool_backward",
    "pool_geometry",
    "pool_on",
    "reference_pool",
    "result_dtype",
    "unpool",
]
