"""The pooling parameters of a job, as plain data (importing it costs nothing)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .errors import ParameterError

IMAGE_AXES = (0, 1)  # images are (H, W) or (H, W, C): pooled over height and width


@dataclass(frozen=True)
class PoolOptions:
    """The pooling parameters of one job, as :func:`maxpool_cli.pool` takes them."""

    kernel: int | tuple[int, ...] = 2
    stride: int | tuple[int, ...] | None = None
    padding: Any = "valid"
    dilation: int | tuple[int, ...] = 1
    ceil_mode: bool = False
    op: str = "max"
    pad_value: float | None = None
    count_pad: bool = False
    nan: str = "propagate"
    axes: tuple[int, ...] | None = None

    def for_pool(self, image: bool = False) -> dict[str, Any]:
        """The keyword arguments of ``pool``, for an image's pixels or for an array."""
        kwargs = asdict(self)
        if image:
            if self.axes is not None:
                raise ParameterError(
                    "--axes: applies to arrays; images are always pooled over height and width"
                )
            kwargs["axes"] = IMAGE_AXES
        return kwargs
