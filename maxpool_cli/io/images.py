"""Images through Pillow: decoded to arrays, and arrays encoded back in the same mode.

Images become ``(H, W)`` or ``(H, W, C)`` arrays in the dtype of their mode (bool for ``1``,
uint8 for ``L``/``LA``/``RGB``/``RGBA``/``CMYK``, uint16 for ``I;16``, int32 for ``I``, float32
for ``F``). Palette images become RGB or RGBA: pooling palette indices would mean nothing.
"""

from __future__ import annotations

import warnings
from typing import Any, BinaryIO

import numpy as np
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from ..errors import FileFormatError
from .document import Document, ImageInfo
from .formats import IMAGE_FORMATS
from .memory import check_fits

DEFAULT_MAX_PIXELS = 178_956_970  # Pillow's own decompression-bomb limit (2 x 89.5 MP)

# Pillow mode -> the dtype its pixels are read as.
MODE_DTYPES = {
    "1": np.bool_,
    "L": np.uint8,
    "LA": np.uint8,
    "RGB": np.uint8,
    "RGBA": np.uint8,
    "CMYK": np.uint8,
    "I;16": np.uint16,
    "I": np.int32,
    "F": np.float32,
}
# Modes each format can store as they are (anything else is refused, not silently changed).
WRITABLE = {
    "png": {"1", "L", "LA", "I;16", "RGB", "RGBA"},
    "jpeg": {"L", "RGB", "CMYK"},
    "tiff": {"1", "L", "LA", "I;16", "I", "F", "RGB", "RGBA", "CMYK"},
    "bmp": {"1", "L", "RGB"},
    "gif": {"1", "L", "RGB", "RGBA"},
    "webp": {"L", "LA", "RGB", "RGBA"},
}
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


def read_image(f: BinaryIO, name: str, fmt: str, max_pixels: int | None = None) -> Document:
    """Decode every frame of an image, EXIF orientation applied."""
    limit = DEFAULT_MAX_PIXELS if max_pixels is None else max_pixels
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = limit
    try:
        with warnings.catch_warnings():
            # Over the limit is an error here, not a warning.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _decode(f, name, fmt)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise FileFormatError(
            f"{name}: the image has more than {limit:,} pixels, the limit against "
            f"decompression bombs; raise it with --max-pixels if you trust the file"
        ) from None
    except UnidentifiedImageError:
        raise FileFormatError(f"{name}: not a readable {fmt.upper()} image") from None
    except (OSError, ValueError, SyntaxError, EOFError) as e:
        raise FileFormatError(f"{name}: cannot decode the image: {e}") from e
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def _decode(f: BinaryIO, name: str, fmt: str) -> Document:
    with Image.open(f, formats=[IMAGE_FORMATS[fmt]]) as image:
        width, height = image.size
        check_fits(
            name,
            width * height * 16,
            f"a {width}x{height} image",
            "; images are decoded whole: convert it to .npy with a tool that streams (vips, "
            "gdal_translate) and pool the .npy, which is read band by band",
        )
        frames = [frame.copy() for frame in ImageSequence.Iterator(image)]
        icc = image.info.get("icc_profile")
        loop = image.info.get("loop")
        durations = [frame.info.get("duration") for frame in frames]
    notes = []
    frames = [ImageOps.exif_transpose(frame) for frame in frames]
    modes = {frame.mode for frame in frames}
    if modes & {"P", "PA"} or len(modes) > 1:
        # Palette indices mean nothing pooled: every frame becomes true colour, alike.
        alpha = any(f.mode in ("RGBA", "PA", "LA") or "transparency" in f.info for f in frames)
        target = "RGBA" if alpha else "RGB"
        if modes & {"P", "PA"}:
            notes.append(f"palette image converted to {target}")
        frames = [frame.convert(target) for frame in frames]
    mode = frames[0].mode
    if mode in CONVERTED:
        if CONVERTED[mode] != "I;16":
            notes.append(f"{mode} image converted to {CONVERTED[mode]}")
        mode = CONVERTED[mode]
    elif mode not in MODE_DTYPES:
        raise FileFormatError(f"{name}: images of mode {mode} are not supported")
    arrays = [_pixels(frame, mode) for frame in frames]
    keys = ["image"] if len(arrays) == 1 else [f"frame{i}" for i in range(len(arrays))]
    info = ImageInfo(
        mode=mode,
        frames=len(arrays),
        durations=_timing(durations) if len(arrays) > 1 else None,
        loop=loop if len(arrays) > 1 else None,
        icc_profile=icc,
    )
    return Document(name, fmt, dict(zip(keys, arrays)), image=info, notes=tuple(notes))


def _timing(durations: list[object]) -> tuple[int, ...] | None:
    """Frame durations in ms, when every frame has one."""
    known = [int(d) for d in durations if isinstance(d, (int, float))]
    return tuple(known) if len(known) == len(durations) else None


def _pixels(frame: Image.Image, mode: str) -> np.ndarray:
    if frame.mode != mode and not frame.mode.startswith("I;16"):
        frame = frame.convert(mode)
    pixels = np.asarray(frame)
    return pixels.astype(MODE_DTYPES[mode], copy=False)  # native byte order for I;16B


def encode_image(
    arrays: list[np.ndarray], info: ImageInfo | None, fmt: str, name: str, stream: BinaryIO
) -> None:
    """Encode frames as ``fmt``: in the source image's mode, or the mode the array implies."""
    frames = [_to_image(a, info.mode if info else None, fmt, name) for a in arrays]
    mode = frames[0].mode
    if mode not in WRITABLE[fmt]:
        can = ", ".join(f for f, modes in WRITABLE.items() if mode in modes) or "none"
        raise FileFormatError(
            f"{name}: cannot write a {mode} image as {fmt.upper()}; formats that can: {can} "
            f"(or write .npy)"
        )
    options: dict[str, Any] = {"format": IMAGE_FORMATS[fmt]}
    if fmt == "jpeg":
        options["quality"] = 95
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
        frames[0].save(stream, **options)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise FileFormatError(f"{name}: cannot write a {mode} image as {fmt.upper()}: {e}") from e


def _to_image(array: np.ndarray, mode: str | None, fmt: str, name: str) -> Image.Image:
    if mode is None:
        mode = _mode_for(array, fmt, name)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    array = _fit_dtype(array, MODE_DTYPES[mode])
    if mode == "CMYK":
        height, width = array.shape[:2]
        return Image.frombytes("CMYK", (width, height), np.ascontiguousarray(array).tobytes())
    return Image.fromarray(np.ascontiguousarray(array))


def _fit_dtype(array: np.ndarray, dtype: type) -> np.ndarray:
    """An image's pooled pixels back in its dtype: averages rounded, everything clipped."""
    target = np.dtype(dtype)
    if array.dtype == target:
        return array
    if target.kind == "b":
        return np.round(array) >= 1 if array.dtype.kind == "f" else array > 0
    if target.kind == "f":
        return array.astype(target)
    values = np.round(array) if array.dtype.kind == "f" else array
    # An integer dtype here (bool and float returned above).
    info = np.iinfo(target.type)  # type: ignore[type-var]
    return np.clip(values, info.min, info.max).astype(target)


def _mode_for(array: np.ndarray, fmt: str, name: str) -> str:
    """The image mode an array from an array file becomes, or a clear error."""
    shape, dtype = array.shape, array.dtype
    hint = "write .npy or .npz instead"
    channels = 1 if array.ndim == 2 else shape[-1] if array.ndim == 3 else None
    if channels is None or channels not in (1, 2, 3, 4):
        raise FileFormatError(
            f"{name}: a {shape} array cannot be an image; expected (H, W) or (H, W, 1|2|3|4) "
            f"({hint})"
        )
    if dtype.kind == "f" and np.isnan(array).any():
        raise FileFormatError(f"{name}: the array holds NaN, which no image can store ({hint})")
    if channels != 1 and dtype != np.uint8:
        raise FileFormatError(
            f"{name}: a {shape} {dtype} array cannot be an image; colour images are uint8 ({hint})"
        )
    if channels != 1:
        return {2: "LA", 3: "RGB", 4: "RGBA"}[channels]
    if dtype.kind == "b":
        return "1"
    if dtype == np.uint8:
        return "L"
    if dtype == np.uint16:
        return "I;16"
    if dtype.kind in "iu":
        info = np.iinfo(np.int32)
        if array.size and (array.min() < info.min or array.max() > info.max):
            raise FileFormatError(
                f"{name}: {dtype} values beyond the 32-bit range cannot be an image ({hint})"
            )
        return "I"
    return "F"
