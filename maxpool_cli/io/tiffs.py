"""TIFF through tifffile: every page as an array (any bit depth and sample count, strips or
tiles, BigTIFF), read whole or a band of rows at a time, and written back in the same
photometric (tiled BigTIFF when large) with its GeoTIFF tags.

Pillow still reads the TIFFs that tifffile cannot decode here (a compression that needs the
optional imagecodecs, palettes, white-is-zero, YCbCr): :func:`read_tiff` then gives None.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

import numpy as np

from ..errors import FileFormatError
from .document import Document, ImageInfo
from .geotiff import from_tiff_page
from .headers import ArrayInfo, FileInfo
from .memory import check_fits
from .modes import fit_frame

TILE = 256  # large outputs are written in tiles of 256 x 256
LARGE_BYTES = 2**31  # outputs at least this large are tiled BigTIFF


@dataclass(frozen=True)
class PageKind:
    """How a TIFF page maps onto the modes the rest of the tool knows (Pillow's names where
    one fits; ``"<dtype>x<samples>"`` for other scientific data, kept as it is)."""

    mode: str
    photometric: str
    extrasamples: tuple[str, ...] = ()


def _kind(page: Any) -> PageKind | None:
    """The mode of a page, or None for what Pillow reads better (palette, white-is-zero)."""
    import tifffile

    photometric = tifffile.PHOTOMETRIC(page.photometric).name.lower()
    samples = int(page.samplesperpixel)
    dtype = np.dtype(page.dtype)
    alpha = len(page.extrasamples) == 1 and int(page.extrasamples[0]) in (1, 2)
    extra = ("unassalpha",) if alpha and int(page.extrasamples[0]) == 2 else ("assocalpha",)
    if photometric == "minisblack" and samples == 1:
        names = {"bool": "1", "uint8": "L", "uint16": "I;16", "int32": "I", "float32": "F"}
        return PageKind(names.get(dtype.name, f"{dtype.name}x1"), "minisblack")
    if photometric == "minisblack" and samples == 2 and alpha and dtype == np.uint8:
        return PageKind("LA", "minisblack", extra)
    deep = {np.dtype(np.uint8): "", np.dtype(np.uint16): ";16"}.get(dtype)  # bits a sample
    if photometric == "minisblack" and samples == 2 and alpha and deep == ";16":
        return PageKind("LA;16", "minisblack", extra)
    if photometric == "rgb" and samples == 3 and deep is not None:
        return PageKind(f"RGB{deep}", "rgb")
    if photometric == "rgb" and samples == 4 and alpha and deep is not None:
        return PageKind(f"RGBA{deep}", "rgb", extra)
    if photometric == "separated" and samples == 4 and dtype == np.uint8:
        return PageKind("CMYK", "separated")
    if photometric in ("minisblack", "rgb") and dtype.kind in "biuf":
        extras = tuple("unspecified" for _ in page.extrasamples)
        return PageKind(f"{dtype.name}x{samples}", photometric, extras)
    return None


def _shape(page: Any) -> tuple[int, ...]:
    """A page's array shape as (H, W) or (H, W, S), whatever its planar configuration."""
    height, width = int(page.imagelength), int(page.imagewidth)
    samples = int(page.samplesperpixel)
    return (height, width) if samples == 1 else (height, width, samples)


def _pages(f: IO[bytes], name: str) -> tuple[Any, list[Any]] | None:
    """The open TiffFile and its top-level pages, or None where tifffile is not the reader."""
    import tifffile

    try:
        tif = tifffile.TiffFile(f)
    except (tifffile.TiffFileError, ValueError, OSError, EOFError, IndexError) as e:
        raise FileFormatError(f"{name}: not a readable TIFF: {e}") from e
    pages: list[Any] = list(tif.pages)
    unusual = any(
        p.is_subsampled
        or p.ndim > 3
        or int(getattr(p, "imagedepth", 1)) > 1
        or _kind(p) is None
        or not _decodable(p)
        for p in pages
    )
    if unusual or len({_kind(p) for p in pages}) > 1:  # (Pillow makes mixed pages alike)
        tif.close()
        return None
    return tif, pages


def describe_tiff(f: BinaryIO, name: str) -> FileInfo | None:
    """Every page's shape and dtype from the headers, or None to let Pillow describe it."""
    opened = _pages(f, name)
    if opened is None:
        return None
    tif, pages = opened
    with tif:
        keys = ["image"] if len(pages) == 1 else [f"frame{i}" for i in range(len(pages))]
        arrays = tuple(ArrayInfo(key, _shape(p), np.dtype(p.dtype)) for key, p in zip(keys, pages))
        series = tif.series[0] if tif.series else None
        levels = tuple(
            ArrayInfo(str(n), tuple(level.shape), np.dtype(level.dtype))
            for n, level in enumerate(series.levels if series is not None else [])
        )
        pyramid = levels if len(levels) > 1 else ()
        return FileInfo(name, "tiff", arrays, image=_info(pages), levels=pyramid)


def _decodable(page: Any) -> bool:
    """Whether tifffile decodes this page's compression and predictor here (LZW and JPEG
    need the optional imagecodecs: Pillow reads those)."""
    import tifffile

    try:
        tifffile.TIFF.DECOMPRESSORS[page.compression]
        tifffile.TIFF.UNPREDICTORS[page.predictor]
    except KeyError:
        return False
    return True


def streamable(path: str, name: str) -> bool:
    """Whether a TIFF's first page can be read a band of rows at a time here (one page,
    interleaved samples, decoded by tifffile)."""
    with open(path, "rb") as f:
        opened = _pages(f, name)
        if opened is None:
            return False
        tif, pages = opened
        with tif:
            page = pages[0]
            return len(pages) == 1 and not (len(_shape(page)) == 3 and int(page.planarconfig) == 2)


def _info(pages: list[Any]) -> ImageInfo:
    kind = _kind(pages[0])
    assert kind is not None  # (checked by _pages)
    return ImageInfo(
        mode=kind.mode,
        frames=len(pages),
        icc_profile=pages[0].iccprofile,
        georef=from_tiff_page(pages[0]),
        photometric=kind.photometric,
        extrasamples=kind.extrasamples,
    )


def read_tiff(f: BinaryIO, name: str, max_pixels: int, limit: int | None) -> Document | None:
    """Every page of a TIFF, decoded by tifffile; None to leave the file to Pillow."""
    import tifffile

    opened = _pages(f, name)
    if opened is None:
        return None
    tif, pages = opened
    with tif:
        pixels = sum(int(p.imagelength) * int(p.imagewidth) for p in pages)
        if pixels > max_pixels:
            raise FileFormatError(
                f"{name}: its {len(pages):,} page{'s' if len(pages) > 1 else ''} have more than "
                f"{max_pixels:,} pixels, the limit against decompression bombs; raise it with "
                f"--max-pixels if you trust the file"
            )
        check_fits(name, sum(int(p.nbytes) for p in pages), "its pages", limit)
        try:
            arrays = [_upright(p.asarray(), p) for p in pages]
        except (tifffile.TiffFileError, ValueError, OSError, EOFError) as e:
            raise FileFormatError(f"{name}: cannot decode the TIFF: {e}") from e
        except KeyError:
            return None  # a compression that needs imagecodecs: Pillow may know it
        keys = ["image"] if len(pages) == 1 else [f"frame{i}" for i in range(len(pages))]
        return Document(name, "tiff", dict(zip(keys, arrays)), image=_info(pages))


def _upright(array: np.ndarray, page: Any) -> np.ndarray:
    """(H, W[, S]) whatever the planar configuration, as the rest of the tool holds images."""
    if array.ndim == 3 and int(page.planarconfig) == 2:
        return np.ascontiguousarray(np.moveaxis(array, 0, -1))
    return array


NATIVE_ORDER = "<" if sys.byteorder == "little" else ">"


class TiffRows:
    """The first page of a TIFF, read a band of rows at a time (strips or rows of tiles are
    decoded as the band needs them), for pooling a TIFF larger than memory."""

    def __init__(self, f: BinaryIO, name: str) -> None:
        opened = _pages(f, name)
        if opened is None:
            raise FileFormatError(
                f"{name}: this TIFF can only be decoded whole (its compression or colours); "
                f"expected a TIFF tifffile reads (install imagecodecs for more compressions)"
            )
        self._tif, pages = opened
        self.page = pages[0]
        self.name = name
        self.shape = _shape(self.page)
        self.dtype = np.dtype(self.page.dtype)
        if int(self.page.planarconfig) == 2 and len(self.shape) == 3:
            raise FileFormatError(
                f"{name}: its samples are stored in separate planes, which cannot be read a "
                f"band of rows at a time; expected a TIFF of interleaved samples"
            )
        self.segment_rows = (
            int(self.page.tilelength if self.page.is_tiled else self.page.rowsperstrip)
            or self.shape[0]
        )
        self.segment_rows = min(self.segment_rows, self.shape[0])
        self._cached: tuple[int, np.ndarray] | None = None  # the last strip or row of tiles
        page = self.page
        native = self.dtype.itemsize == 1 or self._tif.byteorder == NATIVE_ORDER
        # Uncompressed strips of whole bytes in the file's order: rows are read where they
        # lie, not a strip at a time (a TIFF of one 200 MB strip was read once per band).
        self.raw = (
            int(page.compression) == 1
            and not page.is_tiled
            and int(page.fillorder) == 1
            and page.bitspersample == self.dtype.itemsize * 8
            and self.dtype.kind in "iuf"
            and native
        )

    @property
    def info(self) -> ImageInfo:
        return _info([self.page])

    def close(self) -> None:
        self._tif.close()

    def read(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start..stop-1``, all columns and samples."""
        out = np.empty((stop - start, *self.shape[1:]), dtype=self.dtype)
        if self.raw:
            self._read_raw(start, stop, out)
            return out
        first = start // self.segment_rows
        last = (stop - 1) // self.segment_rows
        for row_of_segments in range(first, last + 1):
            top = row_of_segments * self.segment_rows
            rows = self._segment_row(row_of_segments)
            lo, hi = max(start, top), min(stop, top + len(rows))
            out[lo - start : hi - start] = rows[lo - top : hi - top]
        return out

    def _read_raw(self, start: int, stop: int, out: np.ndarray) -> None:
        """Rows of uncompressed strips, read from the file straight into ``out``."""
        row_bytes = out[0].nbytes if len(out) else 0
        buffer = out.reshape(-1).view(np.uint8)
        handle = self._tif.filehandle
        row = start
        while row < stop:
            strip, within = divmod(row, self.segment_rows)
            rows = min(stop - row, self.segment_rows - within)
            handle.seek(self.page.dataoffsets[strip] + within * row_bytes)
            at = (row - start) * row_bytes
            if handle.readinto(buffer[at : at + rows * row_bytes]) != rows * row_bytes:
                raise FileFormatError(f"{self.name}: truncated: a strip ends before its rows")
            row += rows

    def _segment_row(self, index: int) -> np.ndarray:
        """One strip, or one row of tiles stitched, as (rows, W[, S]); the last one is kept,
        as the next band of rows often starts in it."""
        if self._cached is not None and self._cached[0] == index:
            return self._cached[1]
        band = self._decode_segment_row(index)
        self._cached = (index, band)
        return band

    def _decode_segment_row(self, index: int) -> np.ndarray:
        page = self.page
        top = index * self.segment_rows
        height = min(self.segment_rows, self.shape[0] - top)
        band = np.empty((height, *self.shape[1:]), dtype=self.dtype)
        across = math.ceil(self.shape[1] / page.tilewidth) if page.is_tiled else 1
        handle = self._tif.filehandle
        for n in range(index * across, (index + 1) * across):
            handle.seek(page.dataoffsets[n])
            data = handle.read(page.databytecounts[n])
            try:
                segment, (_, _, _, left, _), _ = page.decode(data, n, jpegtables=page.jpegtables)
            except KeyError:
                raise FileFormatError(
                    f"{self.name}: its compression needs the imagecodecs package to be read a "
                    f"band at a time (pip install imagecodecs)"
                ) from None
            pixels = segment.reshape(segment.shape[1:])  # (rows, cols, samples)
            if len(self.shape) == 2:
                pixels = pixels[..., 0]
            width = min(pixels.shape[1], self.shape[1] - left)
            band[:, left : left + width] = pixels[:height, :width]
        return band


def encode_tiff(
    arrays: list[np.ndarray],
    info: ImageInfo | None,
    name: str,
    stream: BinaryIO,
    compress_level: int | None = None,
) -> tuple[str, ...]:
    """Frames as TIFF pages, each fitted to the source image's mode (or kept as it is)."""
    notes: list[str] = []
    fitted = [fit_frame(a, info.mode if info else None, "tiff", name, notes) for a in arrays]
    mode = fitted[0][1]
    described = info
    if info is not None and info.mode != mode:  # (a one-channel TIFF made 32-bit)
        described = dataclasses.replace(info, mode=mode, photometric=None, extrasamples=())
    write_tiff(stream, [a for a, _ in fitted], described, compress_level)
    return tuple(dict.fromkeys(notes))


def write_tiff(
    stream: BinaryIO,
    frames: list[np.ndarray],
    info: ImageInfo | None,
    compress_level: int | None = None,
) -> None:
    """Frames as TIFF pages: photometric from the source image's mode (or the arrays'), tiled
    BigTIFF when large, deflate at ``compress_level`` (None or 0: uncompressed)."""
    import tifffile

    total = sum(a.nbytes for a in frames)
    compression = None if not compress_level else "zlib"
    args = {"level": compress_level} if compress_level else None
    with tifffile.TiffWriter(stream, bigtiff=total >= LARGE_BYTES) as writer:
        for n, array in enumerate(frames):
            samples = 1 if array.ndim == 2 else array.shape[2]
            photometric, extrasamples = photometric_of(samples, info)
            tags = info.georef.extratags() if (info and info.georef and n == 0) else None
            writer.write(
                array,
                photometric=photometric,
                extrasamples=extrasamples or None,
                planarconfig="contig" if array.ndim == 3 else None,
                tile=(TILE, TILE) if array.nbytes >= LARGE_BYTES // 4 else None,
                compression=compression,
                compressionargs=args,
                iccprofile=info.icc_profile if info and n == 0 else None,
                extratags=tags,
                metadata=None,
                software=False,
                maxworkers=2,
            )


def photometric_of(samples: int, info: ImageInfo | None) -> tuple[str, tuple[str, ...]]:
    """The photometric and extra samples to write: the source page's, else the mode's."""
    if info is not None and info.photometric is not None:
        return info.photometric, info.extrasamples
    mode = info.mode if info else ""
    if mode == "CMYK":
        return "separated", ()
    if mode in ("RGB", "RGBA", "RGB;16", "RGBA;16") or (info is None and samples in (3, 4)):
        return "rgb", ("unassalpha",) if samples == 4 else ()
    return "minisblack", ("unassalpha",) * (samples - 1)
