"""The engine layer: pooling in pure NumPy, no I/O, no terminal. It imports nothing of the
package but ``errors``.

``pool`` is the vectorized implementation, ``reference_pool`` the plain-loop definition it is
tested against, and ``pool_geometry`` the shape arithmetic both share.
"""

from .adaptive import AdaptiveGeometry, adaptive_geometry, adaptive_pool, adaptive_windows
from .geometry import (
    AxisGeometry,
    IntOrSeq,
    Padding,
    PoolGeometry,
    band_geometry,
    block_geometry,
    mirror,
    pool_geometry,
)
from .gradients import pool_backward, unpool
from .kernels import (
    NanPolicy,
    Op,
    PoolResult,
    check_combination,
    check_parameters,
    pool,
    pool_on,
    pooling_input,
    result_dtype,
)
from .reference import reference_pool

__all__ = [
    "AdaptiveGeometry",
    "AxisGeometry",
    "IntOrSeq",
    "NanPolicy",
    "Op",
    "Padding",
    "PoolGeometry",
    "PoolResult",
    "adaptive_geometry",
    "adaptive_pool",
    "adaptive_windows",
    "band_geometry",
    "block_geometry",
    "check_combination",
    "check_parameters",
    "mirror",
    "pool",
    "pool_backward",
    "pool_geometry",
    "pool_on",
    "pooling_input",
    "reference_pool",
    "result_dtype",
    "unpool",
]
