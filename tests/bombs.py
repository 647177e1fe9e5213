"""Small files that claim, or inflate to, huge arrays: the hostile inputs of the safety tests
(and of benchmarks/bench_safety.py)."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import numpy as np

# One 1x1 frame's LZW data (minimum code size 2): clear (4), pixel 0, end (5), 3 bits each.
_ONE_PIXEL = bytes([2, 2, 0x44, 0x01, 0])


def gif_frame_bomb(path: Path, frames: int = 5000, canvas: int = 4000) -> Path:
    """A GIF of ``frames`` 1x1 frames on a ``canvas`` x ``canvas`` screen: about 23 bytes a
    frame on disk, ``canvas**2`` pixels a frame once decoded."""
    screen = struct.pack("<HHBBB", canvas, canvas, 0x80, 0, 0)  # a 2-colour palette
    parts = [b"GIF89a", screen, b"\x00\x00\x00\xff\xff\xff"]
    parts.append(b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00")  # loop forever
    frame = b"\x21\xf9\x04\x00\x01\x00\x00\x00" + b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
    parts.append((frame + _ONE_PIXEL) * frames)
    parts.append(b"\x3b")
    path.write_bytes(b"".join(parts))
    return path


def npz_zip_bomb(path: Path, nbytes: int = 2**30, name: str = "zeros") -> Path:
    """An ``.npz`` whose one member inflates to ``nbytes`` of zeros (float64), from about a
    thousandth of that on disk."""
    header = {"descr": "<f8", "fortran_order": False, "shape": (nbytes // 8,)}
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open(f"{name}.npy", "w", force_zip64=True) as member,
    ):
        np.lib.format.write_array_header_1_0(member, header)
        chunk = bytes(1 << 22)
        for _ in range(nbytes // len(chunk)):
            member.write(chunk)
    return path


def csv_one_line(path: Path, columns: int = 10_000_000) -> Path:
    """One line of ``columns`` small integers: about 2 bytes a number on disk."""
    digits = np.arange(columns, dtype=np.int64) % 10
    path.write_bytes(b",".join(digits.astype("S1").tolist()) + b"\n")
    return path


def tiff_of_pages(path: Path, pages: int = 10_000, side: int = 64) -> Path:
    """A TIFF of ``pages`` grey ``side`` x ``side`` pages, all pointing at one strip of pixels:
    about 110 bytes a page on disk, ``side**2`` pixels a page once decoded."""
    strip = bytes(range(256)) * (side * side // 256) + bytes(side * side % 256)
    entries = [  # (tag, type, value): SHORT = 3, LONG = 4; the strip offset is filled in below
        (256, 4, side),
        (257, 4, side),
        (258, 3, 8),
        (259, 3, 1),
        (262, 3, 1),
        (273, 4, 8),
        (277, 3, 1),
        (278, 4, side),
        (279, 4, len(strip)),
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    first_ifd = 8 + len(strip)
    out = [b"II*\x00", struct.pack("<I", first_ifd), strip]
    for page in range(pages):
        here = first_ifd + page * ifd_size
        following = here + ifd_size if page + 1 < pages else 0
        ifd = [struct.pack("<H", len(entries))]
        for tag, kind, value in entries:
            packed = struct.pack("<HI", value, 0)[:4] if kind == 3 else struct.pack("<I", value)
            ifd.append(struct.pack("<HHI", tag, kind, 1) + packed)
        ifd.append(struct.pack("<I", following))
        out.append(b"".join(ifd))
    path.write_bytes(b"".join(out))
    return path
