"""Image modes (Pillow's names) without Pillow: the dtype and channels of each, which formats
hold which, and how a pooled frame is fitted back into its mode, exactly or with a word.

Averages are rounded to fit an 8- or 16-bit image (with a note); values a mode cannot hold
are refused, never clipped, except that a one-channel TIFF is then written as 32-bit
integers; TIFF holds any other array as it is (``<dtype>x<samples>``).
"""

from __future__ import annotations

import numpy as np

from ..errors import FileFormatError

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
    # 16 bits a sample in colour (PNG, TIFF); not Pillow modes: Pillow keeps 8 bits of each.
    "LA;16": np.uint16,
    "RGB;16": np.uint16,
    "RGBA;16": np.uint16,
}
# Modes each format can store as they are (anything else is refused, not silently changed).
WRITABLE = {
    "png": {"1", "L", "LA", "I;16", "RGB", "RGBA", "LA;16", "RGB;16", "RGBA;16"},
    "jpeg": {"L", "RGB", "CMYK"},
    "tiff": {"1", "L", "LA", "I;16", "I", "F", "RGB", "RGBA", "CMYK", "LA;16", "RGB;16", "RGBA;16"},
    "bmp": {"1", "L", "RGB"},
    "gif": {"1", "L", "RGB", "RGBA"},
    "webp": {"L", "LA", "RGB", "RGBA"},
}
# Modes a format stores as another (the values kept): the mode the file reads back as.
STORED_AS = {("webp", "L"): "RGB", ("webp", "LA"): "RGBA", ("gif", "L"): "RGB", ("gif", "1"): "L"}
CHANNELS = {"1": 1, "L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "CMYK": 4, "I;16": 1, "I": 1, "F": 1}
CHANNELS.update({"LA;16": 2, "RGB;16": 3, "RGBA;16": 4})


def fit_frame(
    array: np.ndarray, mode: str | None, fmt: str, name: str, notes: list[str]
) -> tuple[np.ndarray, str]:
    """A pooled frame as it is written: in the source image's mode (averages rounded, with a
    note; values the mode cannot hold refused, or a one-channel TIFF made 32-bit), or in the
    mode the array implies; a TIFF of other data (``<dtype>x<samples>``) as it is."""
    if mode is None or mode not in MODE_DTYPES:
        mode = _mode_for(array, fmt, name)
        if mode not in MODE_DTYPES:
            return array, mode  # (TIFF only: any dtype, kept exactly)
    if array.ndim == 3 and array.shape[2] == 1:
        # An image has no length-1 channel axis to keep: say so, as the shape changes.
        notes.append(f"a {array.shape} array is written as a {array.shape[:2]} image")
        array = array[:, :, 0]
    if fmt == "tiff" and CHANNELS[mode] == 1 and not _holds(array, mode) and _holds(array, "I"):
        # A one-channel TIFF can hold sums as 32-bit integers: no clipping, no refusal.
        notes.append(f"written as a 32-bit TIFF (mode I): mode {mode} cannot hold the values")
        mode = "I"
    return fit_dtype(array, mode, fmt, name, notes), mode


def fit_dtype(array: np.ndarray, mode: str, fmt: str, name: str, notes: list[str]) -> np.ndarray:
    """Pooled pixels back in their image's dtype: averages rounded (with a note), values
    outside the dtype's range refused (they would be clipped)."""
    target = np.dtype(MODE_DTYPES[mode])
    if array.dtype == target:
        return array
    if target.kind == "f":
        return array.astype(target)
    if not _holds(array, mode):
        finite = array[np.isfinite(array)] if array.dtype.kind == "f" else array
        got = "NaN" if finite.size != array.size else f"values {finite.min()} to {finite.max()}"
        holders = ".npy or .tiff" if CHANNELS[mode] == 1 else ".npy"
        raise FileFormatError(
            f"{name}: {got} do not fit a {target} image (mode {mode}), which would clip them; "
            f"expected --op avg or max, or an output that holds them ({holders})"
        )
    if array.dtype.kind == "f":
        rounded = np.round(array)
        if not np.array_equal(rounded, array):
            notes.append(
                f"values rounded to {target} to fit a {fmt.upper()} image (mode {mode}); .npy "
                f"keeps them exact"
            )
        array = rounded
    return array.astype(target)


def _holds(array: np.ndarray, mode: str) -> bool:
    """Whether ``mode``'s dtype holds every value of ``array`` (averages rounded)."""
    target = np.dtype(MODE_DTYPES[mode])
    if target.kind == "f" or array.size == 0:
        return True
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        return False
    lo, hi = (0, 1) if target.kind == "b" else _integer_range(target)
    return bool(lo <= array.min() and array.max() <= hi)


def _integer_range(dtype: np.dtype) -> tuple[int, int]:
    info = np.iinfo(dtype.type)
    return int(info.min), int(info.max)


def _mode_for(array: np.ndarray, fmt: str, name: str) -> str:
    """The image mode an array becomes, or a clear error. TIFF holds any (H, W) or (H, W, S)
    array of bool, integers or floats exactly: what no Pillow mode fits is ``<dtype>x<S>``."""
    shape, dtype = array.shape, array.dtype
    hint = "write .npy or .npz instead"
    if fmt == "tiff" and array.ndim in (2, 3) and dtype.kind in "biuf":
        samples = 1 if array.ndim == 2 else shape[2]
        standard = {("bool", 1): "1", ("uint8", 1): "L", ("uint16", 1): "I;16"}
        standard.update({("int32", 1): "I", ("float32", 1): "F", ("uint8", 2): "LA"})
        standard.update({("uint8", 3): "RGB", ("uint8", 4): "RGBA"})
        return standard.get((dtype.name, samples), f"{dtype.name}x{samples}")
    # A TIFF holds any 2-D or 3-D array, so it is offered, except to a TIFF.
    tiff = "" if fmt == "tiff" else ", or .tiff"
    channels = 1 if array.ndim == 2 else shape[-1] if array.ndim == 3 else None
    if channels is None or channels not in (1, 2, 3, 4):
        raise FileFormatError(
            f"{name}: a {shape} array cannot be an image; expected (H, W) or (H, W, 1|2|3|4) "
            f"({hint}{tiff if array.ndim in (2, 3) else ''})"
        )
    if dtype.kind == "f" and np.isnan(array).any():
        raise FileFormatError(
            f"{name}: the array holds NaN, which no {fmt.upper()} can store ({hint}{tiff})"
        )
    colour = {2: "LA", 3: "RGB", 4: "RGBA"}.get(channels, "")
    if colour and dtype == np.uint16 and fmt == "png":
        return f"{colour};16"
    if colour and dtype != np.uint8:
        deep = ", or uint16 in .png" if dtype == np.uint16 else ""
        raise FileFormatError(
            f"{name}: a {shape} {dtype} array cannot be a {fmt.upper()} image; colour images "
            f"are uint8{deep} ({hint}{tiff})"
        )
    if colour:
        return colour
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
                f"{name}: {dtype} values beyond the 32-bit range cannot be a {fmt.upper()} image "
                f"({hint}, or .tiff)"
            )
        return "I"
    return "F"
