"""PNG written fast: one filter for every row (Up, computed by NumPy), and zlib at a low level
by every core at once.

The rows are cut into blocks; each block is filtered and deflated in a thread of its own (zlib
releases the GIL), ending on a byte boundary (a sync flush) so that the blocks join into one
deflate stream, as pigz does, each written as it is ready (the stream is never held whole);
their Adler-32 checksums are combined. The pixels are exactly those given; only the file's
bytes depend on the filter and level. Modes L, LA, RGB, RGBA (8 bits), I;16 (16-bit grey)
and LA;16, RGB;16, RGBA;16 (16 bits a sample, which Pillow cannot write); anything else is
left to Pillow.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections import deque
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOUR_TYPES = {"L": 0, "RGB": 2, "LA": 4, "RGBA": 6, "I;16": 0}
COLOUR_TYPES.update({"LA;16": 4, "RGB;16": 2, "RGBA;16": 6})  # (16 bits a sample)
DEFAULT_LEVEL = 1  # fast, as OpenCV's default: a few per cent larger than zlib's default 6
BLOCK_BYTES = 4 * 2**20  # rows are deflated in blocks of about this many bytes
IDAT_BYTES = 2**20  # the stream is cut into IDAT chunks of this size
UP = 2  # PNG filter type 2: each byte minus the byte above it


def can_write(mode: str, frames: int) -> bool:
    return mode in COLOUR_TYPES and frames == 1


def write_png(
    stream: BinaryIO,
    pixels: np.ndarray,
    mode: str,
    level: int | None = None,
    icc_profile: bytes | None = None,
) -> None:
    """``pixels`` (H, W) or (H, W, C) as a PNG of ``mode`` (:data:`COLOUR_TYPES`; ``;16``:
    16 bits a sample)."""
    level = DEFAULT_LEVEL if level is None else level
    height, width = pixels.shape[:2]
    depth = 16 if mode.endswith(";16") else 8
    data = pixels.astype(">u2") if depth == 16 else pixels
    rows = np.ascontiguousarray(data).view(np.uint8).reshape(height, -1)
    stream.write(SIGNATURE)
    _chunk(
        stream, b"IHDR", struct.pack(">IIBBBBB", width, height, depth, COLOUR_TYPES[mode], 0, 0, 0)
    )
    if icc_profile:
        _chunk(stream, b"iCCP", b"ICC profile\x00\x00" + zlib.compress(icc_profile))
    for piece in _deflated(rows, level):
        view = memoryview(piece)
        for start in range(0, len(view), IDAT_BYTES):
            _chunk(stream, b"IDAT", view[start : start + IDAT_BYTES])
    _chunk(stream, b"IEND", b"")


def _chunk(stream: BinaryIO, kind: bytes, data: bytes | memoryview) -> None:
    stream.write(struct.pack(">I", len(data)))
    stream.write(kind)
    stream.write(data)
    stream.write(struct.pack(">I", zlib.crc32(data, zlib.crc32(kind))))


def _deflated(rows: np.ndarray, level: int) -> Iterator[bytes]:
    """The zlib stream of the filtered rows, in pieces as they are ready (so that the stream
    is never held whole): its blocks deflated in parallel, then the checksum."""
    height, row_bytes = rows.shape
    per_block = max(1, BLOCK_BYTES // (row_bytes + 1))
    starts = list(range(0, height, per_block))
    last = len(starts) - 1

    def block(n: int) -> tuple[bytes, int, int]:
        lo, hi = starts[n], min(height, starts[n] + per_block)
        filtered = np.empty((hi - lo, row_bytes + 1), dtype=np.uint8)
        filtered[:, 0] = UP
        if lo == 0:
            filtered[0, 1:] = rows[0]  # (above the first row: zeros)
            np.subtract(rows[1:hi], rows[: hi - 1], out=filtered[1:, 1:])
        else:
            np.subtract(rows[lo:hi], rows[lo - 1 : hi - 1], out=filtered[:, 1:])
        raw = filtered.data
        deflater = zlib.compressobj(level, zlib.DEFLATED, -15)
        body = deflater.compress(raw) + deflater.flush(
            zlib.Z_FINISH if n == last else zlib.Z_SYNC_FLUSH
        )
        return body, zlib.adler32(raw), filtered.nbytes

    yield _zlib_header(level)
    checksum = 1
    workers = min(len(starts), os.cpu_count() or 1)
    if workers > 1:
        from concurrent.futures import ThreadPoolExecutor  # (not at start-up: 6 ms)

        with ThreadPoolExecutor(workers) as pool:
            # Blocks in order, at most two a worker ahead of the writer.
            ahead = deque(pool.submit(block, n) for n in range(min(len(starts), 2 * workers)))
            following = len(ahead)
            while ahead:
                body, adler, length = ahead.popleft().result()
                if following < len(starts):
                    ahead.append(pool.submit(block, following))
                    following += 1
                checksum = adler32_combine(checksum, adler, length)
                yield body
    else:
        for n in range(len(starts)):
            body, adler, length = block(n)
            checksum = adler32_combine(checksum, adler, length)
            yield body
    yield struct.pack(">I", checksum)


def _zlib_header(level: int) -> bytes:
    """CMF (deflate, 32 KiB window) and FLG (the level's class, and the check bits)."""
    cmf = 0x78
    flg = (0 if level < 2 else 1 if level < 6 else 2 if level == 6 else 3) << 6
    flg += 31 - (cmf * 256 + flg) % 31
    return bytes((cmf, flg))


def adler32_combine(first: int, second: int, second_length: int) -> int:
    """The Adler-32 of two buffers one after the other, from theirs (zlib's adler32_combine).

    >>> a, b = b"max", b"pool"
    >>> adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(a + b)
    True
    """
    base = 65521
    remainder = second_length % base
    sum1 = first & 0xFFFF
    sum2 = (remainder * sum1) % base
    sum1 += (second & 0xFFFF) + base - 1
    sum2 += ((first >> 16) & 0xFFFF) + ((second >> 16) & 0xFFFF) + base - remainder
    sum1 %= base
    sum2 %= base
    return sum1 | (sum2 << 16)
