"""What a file holds once read: named arrays and what it takes to write them back faithfully."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ..errors import FileFormatError
from .geotiff import GeoRef


@dataclass(frozen=True)
class ImageInfo:
    """How an image was stored, so that a pooled copy can be written the same way.

    ``mode`` is the Pillow mode of the arrays (after a palette image was converted to RGB or
    RGBA), or for a TIFF of other data ``<dtype>x<samples>``; ``durations`` and ``loop`` are
    the animation timing of multi-frame images; ``georef`` a GeoTIFF's georeferencing.
    """

    mode: str
    frames: int = 1
    durations: tuple[int, ...] | None = None
    loop: int | None = None
    icc_profile: bytes | None = None
    georef: GeoRef | None = None  # GeoTIFF tags
    photometric: str | None = None  # a TIFF's, to write it back the same
    extrasamples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Document:
    """The arrays one file holds, in order, with their names and the file's format.

    A ``.npy`` or ``.csv`` file holds one array named ``array``; a ``.npz`` file one per member,
    under the members' names; an image one per frame, ``image`` or ``frame0``, ``frame1``, ...
    (``(H, W)`` or ``(H, W, C)`` each).
    """

    name: str
    format: str
    arrays: dict[str, np.ndarray]
    image: ImageInfo | None = None
    notes: tuple[str, ...] = field(default=())
    # Per array name, what its file records beside it (indices: the input shape and axes).
    attrs: dict[str, dict[str, object]] = field(default_factory=dict)

    @property
    def is_image(self) -> bool:
        return self.image is not None

    def with_arrays(self, arrays: dict[str, np.ndarray]) -> Document:
        """The same document holding other arrays (the pooled ones), in the same order; the
        old arrays' attributes do not carry over."""
        return dataclasses.replace(self, arrays=arrays, attrs={})

    def single(self) -> np.ndarray:
        """The one array of the document; stacked frames for a multi-frame image."""
        values = list(self.arrays.values())
        if len(values) == 1:
            return values[0]
        if self.is_image and len({(v.shape, v.dtype) for v in values}) == 1:
            return np.stack(values)
        raise FileFormatError(
            f"{self.name}: holds {len(values)} arrays ({', '.join(self.arrays)}); expected one "
            f"(pick one with --key, or write .npz to keep them all)"
        )
