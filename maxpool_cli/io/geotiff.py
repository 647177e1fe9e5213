"""GeoTIFF georeferencing: the tags that place an image on the Earth, carried through pooling.

A pooled pixel stands for ``stride`` input pixels along each axis and starts where its window
starts (``-pad_before`` input pixels from the first): the pixel size is multiplied by the
stride and the origin moved by the leading padding, in both the tie-point/pixel-scale form and
the affine (ModelTransformation) form, for pixels that are areas (the default) as for pixels
that are points (their raster coordinates name centres). Every other GeoTIFF tag (the CRS
keys, their parameters, GDAL's nodata and metadata) is kept as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

PIXEL_SCALE = 33550  # ModelPixelScaleTag: (sx, sy, sz)
TIEPOINT = 33922  # ModelTiepointTag: (i, j, k, x, y, z) per tie point
TRANSFORMATION = 34264  # ModelTransformationTag: a 4x4 row-major affine matrix
GEO_KEYS = (34735, 34736, 34737, 42112, 42113)  # keys, doubles, ascii, GDAL metadata, nodata
GEO_TAGS = (PIXEL_SCALE, TIEPOINT, TRANSFORMATION, *GEO_KEYS)
KEY_DIRECTORY = 34735
RASTER_TYPE = 1025  # GTRasterTypeGeoKey: 1 PixelIsArea, 2 PixelIsPoint

TagTuple = tuple[int, int, int, object, bool]  # as tifffile's extratags: code, type, count, value


@dataclass(frozen=True)
class GeoRef:
    """The GeoTIFF tags of an image, as (code, TIFF type, count, value) tuples."""

    tags: tuple[tuple[int, int, int, object], ...]

    def value(self, code: int) -> object | None:
        return next((v for c, _, _, v in self.tags if c == code), None)

    @property
    def pixel_is_point(self) -> bool:
        """Whether raster coordinates name pixel centres (GTRasterTypeGeoKey 2)."""
        keys = self.value(KEY_DIRECTORY)
        if not isinstance(keys, Sequence) or len(keys) < 4:
            return False
        entries = [tuple(keys[n : n + 4]) for n in range(4, 4 + 4 * int(keys[3]), 4)]
        return any(e[0] == RASTER_TYPE and e[1] == 0 and e[3] == 2 for e in entries)

    def geotransform(self) -> tuple[float, float, float, float, float, float] | None:
        """GDAL's geotransform (x0, dx, rx, y0, ry, dy) of the pixel corners, when defined.

        >>> scale, tie = (33550, 12, 3, (2.0, 3.0, 0.0)), (33922, 12, 6, (0, 0, 0, 10.0, 90.0, 0))
        >>> GeoRef((scale, tie)).geotransform()
        (10.0, 2.0, 0.0, 90.0, 0.0, -3.0)
        """
        half = 0.5 if self.pixel_is_point else 0.0  # a centre is half a pixel in
        matrix = self.value(TRANSFORMATION)
        if isinstance(matrix, Sequence) and len(matrix) >= 8:
            m = [float(v) for v in matrix]
            x0, y0 = m[3] - half * (m[0] + m[1]), m[7] - half * (m[4] + m[5])
            return (x0, m[0], m[1], y0, m[4], m[5])
        scale, tie = self.value(PIXEL_SCALE), self.value(TIEPOINT)
        if not (isinstance(scale, Sequence) and isinstance(tie, Sequence) and len(tie) >= 6):
            return None
        sx, sy = float(scale[0]), float(scale[1])
        i, j, x, y = (float(tie[n]) for n in (0, 1, 3, 4))
        return (x - (i + half) * sx, sx, 0.0, y + (j + half) * sy, 0.0, -sy)

    def pooled(self, strides: Sequence[float], starts: Sequence[float]) -> GeoRef:
        """The georeferencing of the pooled image: output pixel (r, c) covers input pixels
        from ``(starts[0] + r * strides[0], starts[1] + c * strides[1])``, rows first."""
        (row_step, col_step), (row0, col0) = strides, starts
        if self.pixel_is_point:  # an output centre is the centre of its stride's cells
            row0 += 0.5 * (row_step - 1)
            col0 += 0.5 * (col_step - 1)
        tags = []
        for code, kind, count, value in self.tags:
            if code == PIXEL_SCALE and isinstance(value, Sequence):
                value = (float(value[0]) * col_step, float(value[1]) * row_step, *value[2:])
            elif code == TIEPOINT and isinstance(value, Sequence) and len(value) >= 6:
                # The raster point (i, j) of the tie now sits at output coordinates moved by
                # the origin and divided by the step; the model point stays where it was.
                i, j = float(value[0]), float(value[1])
                value = ((i - col0) / col_step, (j - row0) / row_step, *value[2:6])
                count = 6
            elif code == TRANSFORMATION and isinstance(value, Sequence) and len(value) >= 16:
                m = [float(v) for v in value]
                # x = m0*c + m1*r + m3 for an input pixel; c = col0 + col_step*c' (so for r).
                m[3] += m[0] * col0 + m[1] * row0
                m[7] += m[4] * col0 + m[5] * row0
                m[0], m[4] = m[0] * col_step, m[4] * col_step
                m[1], m[5] = m[1] * row_step, m[5] * row_step
                value = tuple(m)
            tags.append((code, kind, count, value))
        return replace(self, tags=tuple(tags))

    def extratags(self) -> list[TagTuple]:
        """The tags as tifffile writes them."""
        return [(code, kind, count, value, True) for code, kind, count, value in self.tags]


def from_tiff_page(page: object) -> GeoRef | None:
    """The GeoTIFF tags of a tifffile page, or None when it has none."""
    tags = getattr(page, "tags", None)
    if tags is None:
        return None
    found = []
    for code in GEO_TAGS:
        tag = tags.get(code)
        if tag is not None:
            value = tag.value
            if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
                value = tuple(value.tolist() if hasattr(value, "tolist") else value)
            found.append((code, int(tag.dtype), int(tag.count), value))
    has_place = any(code in (PIXEL_SCALE, TIEPOINT, TRANSFORMATION) for code, *_ in found)
    return GeoRef(tuple(found)) if has_place else None
