"""The options model: the pooling parameters of a job and what its files share, as plain
data (importing it costs nothing: no NumPy)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ParameterError

if TYPE_CHECKING:  # (the engine's types only: importing this module costs no NumPy)
    from ..engine import NanPolicy, Op

IMAGE_AXES = (0, 1)  # images are (H, W) or (H, W, C): pooled over height and width


@dataclass(frozen=True)
class PoolOptions:
    """The pooling parameters of one job, as :func:`maxpool_cli.pool` takes them.

    ``kernel=None`` means 2. ``output_size`` (or ``global_pool``, output size 1) asks for
    adaptive pooling instead, whose windows follow from the sizes: then kernel, stride,
    padding, dilation, ceil_mode, pad_value and count_pad must be left unset.
    """

    kernel: int | tuple[int, ...] | None = None
    stride: int | tuple[int, ...] | None = None
    padding: Any = "valid"
    dilation: int | tuple[int, ...] = 1
    ceil_mode: bool = False
    op: Op = "max"
    pad_value: float | None = None
    count_pad: bool = False
    nan: NanPolicy = "propagate"
    axes: tuple[int, ...] | None = None
    output_size: int | tuple[int, ...] | None = None
    global_pool: bool = False

    @property
    def adaptive(self) -> int | tuple[int, ...] | None:
        """The adaptive output size, or None for windows of a fixed kernel."""
        if self.global_pool:
            if self.output_size is not None:
                raise ParameterError("--global: is output size 1; expected no --output-size too")
            return 1
        return self.output_size

    def check(self) -> None:
        """Refuse options that contradict each other, before any file is read."""
        if self.adaptive is not None:
            self.for_adaptive()
        elif self.pad_value is not None and _no_padding(self.padding):
            raise ParameterError(
                "--pad-value: there is no padding to fill (-p valid); expected -p/--padding "
                "too, or no --pad-value"
            )

    def for_pool(self, image: bool = False) -> dict[str, Any]:
        """The keyword arguments of ``pool``, for an image's pixels or for an array."""
        kwargs = asdict(self)
        del kwargs["output_size"], kwargs["global_pool"]
        kwargs["kernel"] = 2 if self.kernel is None else self.kernel
        kwargs["axes"] = self._axes(image)
        return kwargs

    def for_adaptive(self, image: bool = False) -> dict[str, Any]:
        """The keyword arguments of ``adaptive_pool`` (refusing fixed-window parameters)."""
        fixed = {
            "--kernel": self.kernel is not None,
            "--stride": self.stride is not None,
            "--padding": self.padding != "valid",
            "--dilation": self.dilation != 1,
            "--ceil-mode": self.ceil_mode,
            "--pad-value": self.pad_value is not None,
            "--count-pad": self.count_pad,
        }
        given = [name for name, set_ in fixed.items() if set_]
        if given:
            raise ParameterError(
                f"--output-size/--global: the windows follow from the output size; expected no "
                f"{', '.join(given)}"
            )
        return {
            "output_size": self.adaptive,
            "op": self.op,
            "axes": self._axes(image),
            "nan": self.nan,
        }

    def _axes(self, image: bool) -> tuple[int, ...] | None:
        if not image:
            return self.axes
        if self.axes is not None:
            raise ParameterError(
                "--axes: applies to arrays; images are always pooled over height and width"
            )
        return IMAGE_AXES


def _no_padding(padding: Any) -> bool:
    """Whether a padding spec pads nothing on any axis (``same`` depends on the shape)."""
    if isinstance(padding, str):
        return padding.lower() == "valid"
    items = padding if isinstance(padding, (tuple, list)) else [padding]
    flat = [v for item in items for v in (item if isinstance(item, (tuple, list)) else [item])]
    return all(v == 0 for v in flat)


@dataclass(frozen=True)
class Settings:
    """What every file of a job shares, beyond the pooling options."""

    options: PoolOptions
    fmt: str | None = None
    overwrite: bool = False
    key: str | None = None
    max_pixels: int | None = None
    memory_limit: int = 2**30
    compress_level: int | None = None
    # Sync an output's folder after its rename; a batch syncs each folder once, at its end.
    sync_folders: bool = True
