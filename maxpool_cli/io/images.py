"""Images through Pillow: decoded to arrays, and arrays encoded back in the same mode.

Images become ``(H, W)`` or ``(H, W, C)`` arrays in the dtype of their mode (bool for ``1``,
uint8 for ``L``/``LA``/``RGB``/``RGBA``/``CMYK``, uint16 for ``I;16``, int32 for ``I``, float32
for ``F``). Palette images become RGB or RGBA: pooling palette indices would mean nothing.
"""

from __future__ import annotations

import contextlib
import io
import math
import struct
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import FileFormatError
from . import png
from .document import Document, ImageInfo
from .formats import DEFAULT_MAX_PIXELS, IMAGE_FORMATS
from .headers import ArrayInfo, FileInfo
from .memory import check_fits
from .modes import CHANNELS, MODE_DTYPES, STORED_AS, WRITABLE, fit_frame

# Modes read as another: the 16-bit variants keep their values; the rest convert to RGB(A).
CONVERTED = {
    "I;16L": "I;16",
    "I;16B": "I;16",
    "I;16N": "I;16",
    "RGBX": "RGB",
    "RGBa": "RGBA",
    "La": "LA",
    "PA": "RGBA",
    "YCbCr": "RGB",
    "LAB": "RGB",
    "HSV": "RGB",
}


# Colour samples of 16 bits (Pillow's raw modes, by byte order): Pillow's modes hold 8 bits a
# colour sample, and it keeps the high byte of each. Read exactly instead (_deep_pixels).
DEEP = {f"{mode};16{order}": f"{mode};16" for mode in ("LA", "RGB", "RGBA") for order in "BLN"}
# EXIF orientation -> how the stored pixels become upright, as NumPy views.
ORIENT = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.swapaxes(0, 1),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: np.rot90(a, 2).swapaxes(0, 1),
    8: lambda a: np.rot90(a, 1),
}
# The inverse views: the upright array seen as the file stores it, to decode into.
STORED = {**ORIENT, 6: ORIENT[8], 8: ORIENT[6]}
# Rows copied out of Pillow at a time.
STRIP_BYTES = 8 << 20


@contextlib.contextmanager
def _errors(name: str, fmt: str, max_pixels: int | None) -> Iterator[None]:
    """Every Pillow error, within, one clear error; the bomb limit set for Pillow."""
    limit = DEFAULT_MAX_PIXELS if max_pixels is None else max_pixels
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = limit
    try:
        with warnings.catch_warnings():
            # Over the limit is an error here, not a warning.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise FileFormatError(_bomb_message(name, limit)) from None
    except UnidentifiedImageError:
        raise FileFormatError(f"{name}: not a readable {fmt.upper()} image") from None
    except (OSError, ValueError, SyntaxError, EOFError, struct.error) as e:
        raise FileFormatError(f"{name}: cannot decode the image: {e}") from e
    finally:
        Image.MAX_IMAGE_PIXELS = previous


@contextlib.contextmanager
def _opened(f: BinaryIO, name: str, fmt: str, max_pixels: int | None) -> Iterator[Image.Image]:
    """The image opened lazily (nothing decoded), every Pillow error one clear error."""
    with _errors(name, fmt, max_pixels), Image.open(f, formats=[IMAGE_FORMATS[fmt]]) as image:
        yield image


def _bomb_message(name: str, limit: int, what: str = "the image has") -> str:
    return (
        f"{name}: {what} more than {limit:,} pixels, the limit against decompression bombs; "
        f"raise it with --max-pixels if you trust the file"
    )


@dataclass(frozen=True)
class _Plan:
    """What decoding an image will give, known from its headers: the mode every frame is
    read as, the frames' count and timing, and the shape of each frame's array."""

    mode: str
    frames: int
    shape: tuple[int, ...]
    durations: tuple[int, ...] | None
    notes: tuple[str, ...]

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(MODE_DTYPES[self.mode])

    @property
    def nbytes(self) -> int:
        return self.frames * math.prod(self.shape) * self.dtype.itemsize


def _count(image: Image.Image, name: str, max_pixels: int | None) -> int:
    """The number of frames, refusing a decompression bomb before any frame is decoded: the
    limit holds for all frames together (a GIF of 5,000 tiny frames on a big canvas)."""
    limit = DEFAULT_MAX_PIXELS if max_pixels is None else max_pixels
    count = getattr(image, "n_frames", 1)  # counted from frame headers, nothing decoded
    width, height = image.size
    if count > 1 and width * height * count > limit:
        what = f"its {count:,} frames of {width}x{height} have"
        raise FileFormatError(_bomb_message(name, limit, what))
    return count


@dataclass(frozen=True)
class _Frame:
    """What the current frame's headers say (nothing decoded for most formats)."""

    mode: str
    alpha: bool
    duration: object
    orientation: int

    @classmethod
    def of(cls, image: Image.Image) -> _Frame:
        alpha = image.mode in ("RGBA", "PA", "LA") or "transparency" in image.info
        mode = DEEP.get(_rawmode(image), image.mode)
        return cls(mode, alpha, image.info.get("duration"), _orientation(image))


def _rawmode(image: Image.Image) -> str:
    """How the current frame's samples are stored, as Pillow names it ("" once decoded)."""
    tiles = getattr(image, "tile", [])  # (an opened file's image: an ImageFile)
    if len(tiles) != 1:
        return ""
    args = tiles[0].args
    return args if isinstance(args, str) else str(args[0]) if args else ""


def _target(frames: list[_Frame], name: str) -> tuple[str, list[str]]:
    """The mode every frame is read as, and notes on the conversion."""
    modes = {f.mode for f in frames}
    notes = []
    mode = frames[0].mode
    if len(frames) > 1 and modes & set(DEEP.values()):
        raise FileFormatError(
            f"{name}: frames of 16-bit colour, which Pillow composes in 8 bits; expected one "
            f"frame (or 8-bit frames)"
        )
    if modes & {"P", "PA"} or len(modes) > 1:
        # Palette indices mean nothing pooled: every frame becomes true colour, alike.
        mode = "RGBA" if any(f.alpha for f in frames) else "RGB"
        if modes & {"P", "PA"}:
            notes.append(f"palette image converted to {mode}")
    if mode in CONVERTED:
        if CONVERTED[mode] != "I;16":
            notes.append(f"{mode} image converted to {CONVERTED[mode]}")
        mode = CONVERTED[mode]
    elif mode not in MODE_DTYPES:
        raise FileFormatError(f"{name}: images of mode {mode} are not supported")
    return mode, notes


def _plan(image: Image.Image, name: str, count: int) -> _Plan:
    """Every frame's mode, size, orientation and timing, by visiting the frames in turn."""
    frames = []
    for i in range(count):
        image.seek(i)
        frames.append(_Frame.of(image))
    image.seek(0)
    mode, notes = _target(frames, name)
    width, height = image.size
    if any(f.orientation > 4 for f in frames):
        width, height = height, width
    channels = CHANNELS[mode]
    shape = (height, width) if channels == 1 else (height, width, channels)
    timing = _timing([f.duration for f in frames]) if count > 1 else None
    return _Plan(mode, count, shape, timing, tuple(notes))


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation (1: as stored). A PNG's EXIF may follow its pixels, so Pillow
    decodes them to find it: that decode runs here, outside the ``try``, because an error
    of it is the file's, and once swallowed, a later ``load()`` silently gives zeros."""
    if image.format == "PNG" and "exif" not in image.info:
        image.load()
    try:
        value = image.getexif().get(0x0112, 1)
    except (OSError, ValueError, SyntaxError, struct.error):
        return 1  # unreadable EXIF only: the pixels are decoded (and checked) on their own
    return value if value in range(1, 9) else 1


def _keys(frames: int) -> list[str]:
    return ["image"] if frames == 1 else [f"frame{i}" for i in range(frames)]


def describe_image(f: BinaryIO, name: str, fmt: str, max_pixels: int | None = None) -> FileInfo:
    """An image's arrays (every frame) from its headers; nothing is decoded."""
    with _opened(f, name, fmt, max_pixels) as image:
        plan = _plan(image, name, _count(image, name, max_pixels))
        info = ImageInfo(mode=plan.mode, frames=plan.frames, durations=plan.durations)
    arrays = tuple(ArrayInfo(key, plan.shape, plan.dtype) for key in _keys(plan.frames))
    return FileInfo(name, fmt, arrays, image=info, notes=plan.notes)


def read_image(
    f: BinaryIO, name: str, fmt: str, max_pixels: int | None = None, limit: int | None = None
) -> Document:
    """Decode every frame of an image, EXIF orientation applied, one frame at a time.

    Every frame is counted before any is decoded: against the decompression-bomb limit
    (``max_pixels``, all frames together) and the memory budget ``limit``.
    """
    with _opened(f, name, fmt, max_pixels) as image:
        count = _count(image, name, max_pixels)
        width, height = image.size
        what = f"{count:,} frames of {width}x{height}" if count > 1 else f"a {width}x{height} image"
        hint = (
            "; images are decoded whole: convert it to .npy with a tool that streams (vips, "
            "gdal_translate) and pool the .npy, which is read band by band"
        )
        # At most 4 bytes a pixel in Pillow, before the frames are visited (GIF frames are
        # decoded as they are visited): a bomb is refused fast. 16-bit colour is decoded
        # twice, beside its array of 8 bytes a pixel.
        per_pixel = 16 if _rawmode(image) in DEEP else 4 * (count + 2)
        check_fits(name, per_pixel * width * height, what, limit, hint)
        icc = image.info.get("icc_profile")
        loop = image.info.get("loop")
        # One pass: each frame decoded as it is visited (a GIF's are decoded to be visited),
        # in its own mode; the frames are made alike once all are known.
        frames: list[_Frame] = []
        arrays: list[np.ndarray] = []
        for i in range(count):
            image.seek(i)
            frames.append(_Frame.of(image))
            single = _target(frames, name)[0] if count == 1 else None
            if single in DEEP.values():
                arrays.append(_deep_pixels(image, f, frames[-1], name))
            else:
                arrays.append(_pixels(image, frames[-1], single))
        mode, notes = _target(frames, name)
        arrays = [_alike(image, i, a, mode) for i, a in enumerate(arrays)]
    durations = _timing([f.duration for f in frames]) if count > 1 else None
    info = ImageInfo(
        mode=mode,
        frames=count,
        durations=durations,
        loop=loop if count > 1 else None,
        icc_profile=icc,
    )
    return Document(name, fmt, dict(zip(_keys(count), arrays)), image=info, notes=tuple(notes))


def _timing(durations: list[object]) -> tuple[int, ...] | None:
    """Frame durations in ms, when every frame has one."""
    known = [int(d) for d in durations if isinstance(d, (int, float))]
    return tuple(known) if len(known) == len(durations) else None


def _pixels(image: Image.Image, frame: _Frame, mode: str | None) -> np.ndarray:
    """The current frame as an array, upright (EXIF orientation): in ``mode`` when given,
    else in its own mode (palette frames as RGBA, variants as their read mode).

    The decoded frame is copied once, a strip of rows at a time, straight into the upright
    array: the whole-frame conversions and copies (``convert``, ``tobytes``, a contiguous
    turn) would each hold the image once more.
    """
    image.load()
    if mode is None:
        mode = "RGBA" if frame.mode in ("P", "PA") else CONVERTED.get(frame.mode, frame.mode)
        if mode not in MODE_DTYPES:
            mode = "RGBA"  # an unusual mode among others: made alike below, or refused
    width, height = image.size
    first = _strip(image, 0, 1, mode)
    channels = first.shape[2:]
    upright = (height, width) if frame.orientation <= 4 else (width, height)
    pixels = np.empty((*upright, *channels), MODE_DTYPES[mode])
    stored = STORED[frame.orientation](pixels) if frame.orientation in STORED else pixels
    rows = max(1, STRIP_BYTES // max(1, first.nbytes))
    raw = image.mode == mode and mode in RAW_NATIVE
    for top in range(0, height, rows):
        bottom = min(height, top + rows)
        part = stored[top:bottom]
        if raw and part.flags.c_contiguous:
            _raw_rows(image, top, bottom, part.data.cast("B"))
        else:
            part[...] = _strip(image, top, bottom, mode)
    return pixels


def _deep_pixels(image: Image.Image, f: BinaryIO, frame: _Frame, name: str) -> np.ndarray:
    """A PNG's 16-bit colour samples exactly, upright, as uint16.

    Pillow keeps the high byte of each sample. Decoded again with the raw mode that keeps
    the low bytes instead (the same bytes a pixel, so PNG's filters undo the same way), the
    two make every sample. Grey and alpha (4 bytes a pixel) is decoded once as 8-bit RGBA:
    the four bytes as they are.
    """
    if image.format != "PNG":
        raise FileFormatError(
            f"{name}: 16-bit colour that only Pillow reads here, keeping 8 bits of each sample; "
            f"expected a PNG, or a TIFF that tifffile reads"
        )
    if frame.mode == "LA;16":
        with _decoded(f, "RGBA") as both:
            stored = np.asarray(both).view(">u2").astype(np.uint16)
    else:
        image.load()  # as Pillow reads it: the high bytes
        width, height = image.size
        stored = np.empty((height, width, CHANNELS[frame.mode]), np.uint16)
        with _decoded(f, f"{frame.mode}L") as low:  # (PNG is big-endian: its low bytes)
            rows = max(1, STRIP_BYTES // (width * 4))
            for top in range(0, height, rows):
                bottom = min(height, top + rows)
                part = stored[top:bottom]
                np.left_shift(_strip(image, top, bottom, image.mode), 8, out=part, dtype=np.uint16)
                part |= _strip(low, top, bottom, low.mode)
    turn = ORIENT.get(frame.orientation)
    return np.ascontiguousarray(turn(stored)) if turn else stored


@contextlib.contextmanager
def _decoded(f: BinaryIO, rawmode: str) -> Iterator[Image.Image]:
    """The PNG in ``f`` decoded again, its samples unpacked by ``rawmode``."""
    f.seek(0)
    with Image.open(f, formats=["PNG"]) as image:
        tile = image.tile[0]
        args = rawmode if isinstance(tile.args, str) else (rawmode, *tile.args[1:])
        image.tile = [tile._replace(args=args)]
        image.load()
        yield image


# Modes whose raw rows are the array's bytes as they are (16-bit: on little-endian hosts).
RAW_NATIVE = {"L", "LA", "RGB", "RGBA", "CMYK", "I", "F"} | (
    {"I;16"} if sys.byteorder == "little" else set()
)


def _raw_rows(image: Image.Image, top: int, bottom: int, out: memoryview) -> None:
    """Rows ``top:bottom`` of the decoded frame, packed by Pillow's raw encoder straight
    into ``out``: no cropped copy, no bytes object of the rows."""
    width = image.size[0]
    encoder = Image._getencoder(image.mode, "raw", image.mode)
    try:
        encoder.setimage(image.im, (0, top, width, bottom))
        chunk = max(1 << 20, len(out) // max(1, bottom - top))  # at least a row (RawEncode.c)
        filled = 0
        while True:
            _, status, data = encoder.encode(chunk)
            out[filled : filled + len(data)] = data
            filled += len(data)
            if status:
                break
    finally:
        encoder.cleanup()
    if status < 0 or filled != len(out):
        raise OSError(f"Pillow's raw encoder gave {filled} bytes of {len(out)} (status {status})")


def _strip(image: Image.Image, top: int, bottom: int, mode: str) -> np.ndarray:
    """Rows ``top:bottom`` of the decoded frame, in ``mode`` (16-bit variants keep theirs)."""
    part = image.crop((0, top, image.size[0], bottom))  # keeps the palette and transparency
    if part.mode != mode and not part.mode.startswith("I;16"):
        part = part.convert(mode)
    return np.asarray(part)


def _alike(image: Image.Image, index: int, pixels: np.ndarray, mode: str) -> np.ndarray:
    """One frame's pixels in the mode all frames are read as."""
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    want = CHANNELS[mode]
    if pixels.dtype == MODE_DTYPES[mode] and channels == want:
        return pixels
    if (
        mode in ("RGB", "RGBA")
        and pixels.dtype in (np.uint8, np.bool_)
        and channels in (1, 2, 3, 4)
    ):
        grey = pixels.astype(np.uint8) * (255 if pixels.dtype == np.bool_ else 1)
        planes = grey[..., None] if channels == 1 else grey
        colour = planes[..., :3] if channels >= 3 else np.repeat(planes[..., :1], 3, axis=-1)
        if want == 3:
            return np.ascontiguousarray(colour)
        alpha = planes[..., -1:] if channels in (2, 4) else np.full_like(colour[..., :1], 255)
        return np.concatenate([colour, alpha], axis=-1)
    image.seek(index)  # anything else: Pillow's own conversion of this frame
    return _pixels(image, _Frame.of(image), mode)


def encode_image(
    arrays: list[np.ndarray],
    info: ImageInfo | None,
    fmt: str,
    name: str,
    stream: BinaryIO,
    compress_level: int | None = None,
) -> tuple[str, ...]:
    """Encode frames as ``fmt``: in the source image's mode, or the mode the array implies.

    Returns notes on inexact conversions (averages rounded to the image's dtype); values the
    dtype cannot hold are refused, never clipped. (TIFF is written by tiffs.py.)
    """
    notes: list[str] = []
    fitted = [fit_frame(a, info.mode if info else None, fmt, name, notes) for a in arrays]
    if fmt == "png" and png.can_write(fitted[0][1], len(fitted)):
        icc = info.icc_profile if info is not None else None
        png.write_png(stream, fitted[0][0], fitted[0][1], compress_level, icc)
        return tuple(dict.fromkeys(notes))
    mode = fitted[0][1]
    if mode not in WRITABLE[fmt] or (mode in DEEP.values() and len(fitted) > 1):
        # (16-bit colour is written by png.py alone, one frame)
        can = ", ".join(f for f, modes in WRITABLE.items() if mode in modes) or "none"
        raise FileFormatError(
            f"{name}: cannot write a {mode} image as {fmt.upper()}; formats that can: {can} "
            f"(or write .npy)"
        )
    if (fmt, mode) in STORED_AS:
        notes.append(
            f"{fmt.upper()} has no mode {mode}: stored as {STORED_AS[fmt, mode]}, which it reads "
            f"back as"
        )
    frames = [_to_image(array, mode) for array, mode in fitted]
    options: dict[str, Any] = {"format": IMAGE_FORMATS[fmt]}
    if fmt == "jpeg":
        options["quality"] = 95
        notes.append("JPEG is lossy: the pixels written are near the pooled ones, not equal")
    if fmt == "png":
        options["compress_level"] = png.DEFAULT_LEVEL if compress_level is None else compress_level
    if fmt == "webp":
        options.update(lossless=True, exact=True)  # exact: keep colour under alpha 0
    if info is not None and info.icc_profile and fmt in ("png", "jpeg", "tiff", "webp"):
        options["icc_profile"] = info.icc_profile
    if len(frames) > 1:
        if fmt not in ("gif", "tiff", "webp", "png"):
            raise FileFormatError(
                f"{name}: {fmt.upper()} holds one image, got {len(frames)} frames; write "
                f".gif, .tiff, .webp, .png or .npz"
            )
        options.update(save_all=True, append_images=frames[1:])
        if info is not None and info.durations is not None:
            options["duration"] = list(info.durations)
        if info is not None and info.loop is not None:
            options["loop"] = info.loop
    try:
        if fmt == "gif" or len(frames) > 1:  # (written to memory first, to be read back)
            encoded = io.BytesIO()
            frames[0].save(encoded, **options)
            notes.extend(_changes(encoded, fitted, name, fmt))
            stream.write(encoded.getbuffer())
        else:
            frames[0].save(stream, **options)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise FileFormatError(f"{name}: cannot write a {mode} image as {fmt.upper()}: {e}") from e
    return tuple(dict.fromkeys(notes))


def _changes(
    encoded: io.BytesIO, fitted: list[tuple[np.ndarray, str]], name: str, fmt: str
) -> list[str]:
    """Notes on what a file Pillow wrote did not keep, found by reading it back: Pillow
    merges repeated frames of animations, and a GIF holds at most 256 colours a frame and no
    partial transparency."""
    encoded.seek(0)
    kept = list(read_image(encoded, name, fmt).arrays.values())
    given = [
        a for n, (a, _) in enumerate(fitted) if n == 0 or not np.array_equal(a, fitted[n - 1][0])
    ]
    notes = []
    if len(given) < len(fitted):
        notes.append(
            f"{len(fitted) - len(given)} frames the same as the one before are merged into it "
            f"(their durations added)"
        )
    changed = sum(not _same(a, b) for a, b in zip(given, kept))
    changed += abs(len(given) - len(kept))
    if changed:
        why = (
            " (a GIF holds 256 colours a frame and no partial transparency)" if fmt == "gif" else ""
        )
        notes.append(
            f"the {fmt.upper()} changed the pixels of {changed} of {len(given)} frames{why}; "
            f".png, .webp or .npy keep them exactly"
        )
    return notes


def _same(given: np.ndarray, kept: np.ndarray) -> bool:
    """Whether a frame read back is the one written: 8-bit frames as colour and alpha (a GIF
    reads back in another mode), others exactly."""
    if given.dtype.itemsize == kept.dtype.itemsize == 1:
        return np.array_equal(_as_rgba(given), _as_rgba(kept))
    return given.dtype == kept.dtype and np.array_equal(given, kept)


def _as_rgba(pixels: np.ndarray) -> np.ndarray:
    """8-bit pixels as (H, W, 4) colour and alpha (no colour under full transparency: a GIF
    keeps none)."""
    values = pixels.astype(np.uint8) * (255 if pixels.dtype == np.bool_ else 1)
    planes = values[..., None] if values.ndim == 2 else values
    colour = planes[..., :3] if planes.shape[2] >= 3 else np.repeat(planes[..., :1], 3, axis=2)
    alpha = planes[..., -1:] if planes.shape[2] in (2, 4) else np.full_like(colour[..., :1], 255)
    rgba = np.concatenate([colour, alpha], axis=2)
    rgba[rgba[..., 3] == 0] = 0
    return rgba


def _to_image(array: np.ndarray, mode: str) -> Image.Image:
    if mode == "CMYK":
        height, width = array.shape[:2]
        return Image.frombytes("CMYK", (width, height), np.ascontiguousarray(array).tobytes())
    return Image.fromarray(np.ascontiguousarray(array))


# Formats whose one-frame images may be pooled from Pillow's buffer band by band.
ROW_FORMATS = ("png", "jpeg", "bmp", "webp")


class ImageRows:
    """A decoded one-frame image read a band of rows at a time (a band source): each band
    is packed from Pillow's own buffer when asked for, so that the image is never held
    twice (Pillow keeps RGB in 4 bytes a pixel: the array beside it was half as much again).
    A turned image (EXIF orientation) is made upright whole first."""

    def __init__(self, image: Image.Image, frame: _Frame, plan: _Plan, fmt: str) -> None:
        self.image = image
        self.format = fmt
        self.shape = plan.shape
        self.dtype = plan.dtype
        self.info = ImageInfo(mode=plan.mode, icc_profile=image.info.get("icc_profile"))
        self.upright = _pixels(image, frame, plan.mode) if frame.orientation != 1 else None

    def read(self, axis: int, start: int, stop: int) -> np.ndarray:
        if self.upright is not None or axis != 0:
            whole = self.upright if self.upright is not None else self.read(0, 0, self.shape[0])
            return whole[(slice(None),) * axis + (slice(start, stop),)]
        rows = np.empty((stop - start, *self.shape[1:]), self.dtype)
        _raw_rows(self.image, start, stop, rows.data.cast("B"))
        return rows

    def close(self) -> None:
        self.upright = None
        self.image.close()


def open_rows(
    path: Path,
    fmt: str,
    max_pixels: int | None = None,
    limit: int | None = None,
    least_bytes: int = 0,
) -> ImageRows | None:
    """The image file as :class:`ImageRows`, decoded (close it); None, before anything is
    decoded, unless it is one frame of at least ``least_bytes`` whose pixels Pillow holds as
    they are read (no palette or other conversion)."""
    if fmt not in ROW_FORMATS:
        return None
    name = str(path)
    with _errors(name, fmt, max_pixels):
        image = Image.open(path, formats=[IMAGE_FORMATS[fmt]])
        try:
            width, height = image.size
            count = _count(image, name, max_pixels)
            mode = CONVERTED.get(image.mode, image.mode)
            dtype = np.dtype(MODE_DTYPES.get(mode, np.uint8))
            nbytes = width * height * CHANNELS.get(mode, 4) * dtype.itemsize
            deep = _rawmode(image) in DEEP  # (read whole, twice: _deep_pixels)
            small = nbytes < least_bytes
            if count != 1 or image.mode != mode or mode not in RAW_NATIVE or deep or small:
                image.close()
                return None
            check_fits(name, 4 * width * height, f"a {width}x{height} image", limit)
            frame = _Frame.of(image)  # (a PNG's EXIF may follow its pixels: this decodes them)
            plan = _plan(image, name, 1)
            image.load()
            return ImageRows(image, frame, plan, fmt)
        except BaseException:
            image.close()
            raise
