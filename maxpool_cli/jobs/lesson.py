"""The lesson behind ``maxpool explain``: every window of a small input, walked with the
plain-loop reference, beside the engine's result."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..engine import AdaptiveGeometry
from ..engine.reference import Step, walk, walk_adaptive
from ..errors import ParameterError
from ..io.document import Document, ImageInfo
from .one_file import Geometry, plan, pool_document
from .options import PoolOptions


@dataclass(frozen=True)
class Explanation:
    """What ``explain`` shows: the geometry, every window's step, and the engine's result."""

    geometry: Geometry
    steps: list[Step]
    result: np.ndarray


def explanation(
    name: str, x: np.ndarray, options: PoolOptions, image: bool, max_steps: int
) -> Explanation:
    """Walk every window of a small 1-D or 2-D input with the plain-loop reference."""
    # As an image, it is pooled over height and width; as an array, over the options' axes.
    info = ImageInfo(mode="L") if image else None
    doc = Document(name, "png" if image else "npy", {"array": x}, image=info)
    geometry = plan(doc, options)["array"]
    if x.ndim not in (1, 2) or len(geometry.axes) != x.ndim:
        raise ParameterError(
            f"explain: walks 1-D or 2-D inputs pooled over every axis; {name} is {x.shape}"
        )
    total = math.prod(geometry.output_shape)
    if total > max_steps:
        raise ParameterError(
            f"explain: {name} gives {total} windows, more than --max-steps {max_steps}; use a "
            f"smaller input or larger stride, or raise --max-steps"
        )
    result = pool_document(doc, options).result.arrays["array"]
    if isinstance(geometry, AdaptiveGeometry):
        steps = list(walk_adaptive(x, geometry, options.op, options.nan))
    else:
        steps = list(
            walk(x, geometry, options.op, options.pad_value, options.count_pad, options.nan)
        )
    return Explanation(geometry, steps, result)
