"""File formats: names, extensions, and recognising a file from its first bytes."""

from __future__ import annotations

from pathlib import Path

from ..errors import ParameterError

DEFAULT_MAX_PIXELS = 178_956_970  # Pillow's own decompression-bomb limit (2 x 89.5 MP)

# Format name -> the Pillow format name, for images; arrays have none.
IMAGE_FORMATS = {
    "png": "PNG",
    "jpeg": "JPEG",
    "tiff": "TIFF",
    "bmp": "BMP",
    "gif": "GIF",
    "webp": "WEBP",
}
ARRAY_FORMATS = ("npy", "npz", "csv")
FORMATS = (*ARRAY_FORMATS, *IMAGE_FORMATS)

EXTENSIONS = {
    ".npy": "npy",
    ".npz": "npz",
    ".csv": "csv",
    ".txt": "csv",
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".bmp": "bmp",
    ".gif": "gif",
    ".webp": "webp",
}
# The extension a format's files get when a name has to be made up (batch outputs).
DEFAULT_EXTENSION = {
    "npy": ".npy",
    "npz": ".npz",
    "csv": ".csv",
    "png": ".png",
    "jpeg": ".jpg",
    "tiff": ".tif",
    "bmp": ".bmp",
    "gif": ".gif",
    "webp": ".webp",
}


def is_image(fmt: str) -> bool:
    return fmt in IMAGE_FORMATS


def from_extension(path: Path) -> str | None:
    """The format a file name's extension names, or None."""
    return EXTENSIONS.get(path.suffix.lower())


# The files that make a folder a Zarr store (v3; v2 array or group).
ZARR_MARKERS = ("zarr.json", ".zarray", ".zgroup")


def is_zarr_store(path: str | Path) -> bool:
    """Whether ``path`` is a Zarr store: a folder named ``.zarr``, or holding Zarr's metadata
    (an array or level inside a store, ``image.zarr/0``), not a folder of files."""
    path = Path(path)
    if not path.is_dir():
        return False
    return path.suffix.lower() == ".zarr" or any((path / m).is_file() for m in ZARR_MARKERS)


def check_compress_level(level: int | None, fmt: str | None, target: str | Path | None) -> None:
    """Refuse a ``--compress-level`` that the output would ignore: it sets the zlib level of
    PNG and TIFF (``fmt`` None: not known yet, nothing refused).

    >>> check_compress_level(6, "npy", "out.npy")
    Traceback (most recent call last):
    ...
    maxpool_cli.errors.ParameterError: --compress-level: sets the zlib level of PNG and TIFF \
outputs; out.npy is NPY
    """
    if level is None:
        return
    if target is None:
        raise ParameterError("--compress-level: applies to a file written; expected -o OUT")
    if fmt is not None and fmt not in ("png", "tiff"):
        raise ParameterError(
            f"--compress-level: sets the zlib level of PNG and TIFF outputs; {target} is "
            f"{fmt.upper()}"
        )


def asked_format(target: str | Path | None, asked: str | None) -> str | None:
    """The format an output's name and an explicit format ask for together (None: the
    input's), refusing an extension that is unknown or contradicts the format asked for.

    >>> asked_format("small.png", None), asked_format("-", "npy"), asked_format("out", None)
    ('png', 'npy', None)
    """
    if asked is not None and asked not in FORMATS:
        raise ParameterError(f"--format: expected one of {', '.join(FORMATS)}, got {asked!r}")
    if target is None or str(target) == "-":
        return asked
    path = Path(target)
    if path.suffix.lower() == ".zarr":  # a Zarr store: written on Dask (the [dask] extra)
        return "zarr"
    named = from_extension(path)
    if named is None and path.suffix and asked is None:
        known = ", ".join(sorted(EXTENSIONS))
        raise ParameterError(
            f"{target}: unknown extension {path.suffix!r}; expected one of {known} "
            f"(or name the format with -f/--format)"
        )
    if named is not None and asked is not None and named != asked:
        raise ParameterError(
            f"{target}: the extension names {named.upper()} but -f/--format asks for "
            f"{asked.upper()}; expected them to agree"
        )
    return named or asked


def sniff(head: bytes) -> str | None:
    """The format of a file from its first 16 bytes, or None if none is recognised.

    >>> sniff(b"\\x89PNG\\r\\n\\x1a\\n"), sniff(b"\\x93NUMPY\\x01\\x00"), sniff(b"1,2\\n3,4\\n")
    ('png', 'npy', 'csv')
    """
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "npz"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return "tiff"
    if head.startswith(b"BM"):
        return "bmp"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head and _looks_numeric(head):
        return "csv"
    return None


def _looks_numeric(head: bytes) -> bool:
    allowed = set(b"0123456789+-.eEnaNifINF,;\t \r\n")
    return all(byte in allowed for byte in head)


def recognise(head: bytes, named: str | None, name: str) -> str:
    """The format of a file from its first bytes (its name's format only decides for text),
    or a clear error."""
    fmt = sniff(head)
    if fmt is None and named == "csv" and describe(head) == "it starts like text":
        fmt = "csv"  # the parser says what is wrong with it
    if fmt is None or (fmt == "csv" and named not in (None, "csv")):
        from ..errors import FileFormatError

        said = f" named as {named.upper()}," if named else ""
        raise FileFormatError(f"{name}:{said} not a supported file: {describe(head)}")
    return fmt


def describe(head: bytes) -> str:
    """A few words on what a file that is not in a known format starts like."""
    if not head:
        return "it is empty"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as e:
        # A character cut off by the 16-byte window is still text.
        text = head[: e.start].decode("utf-8") if e.start >= len(head) - 3 else ""
    if text and all(c.isprintable() or c in "\t\r\n" for c in text):
        return "it starts like text"
    return "it does not start like any supported format"
