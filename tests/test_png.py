"""PNG written in parallel blocks: read back by Pillow and by zlib as the same pixels."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from maxpool_cli import io as mio
from maxpool_cli.io import png

RNG = np.random.default_rng(17)


@pytest.mark.parametrize(
    ("mode", "pixels"),
    [
        ("L", RNG.integers(0, 256, (37, 51), dtype=np.uint8)),
        ("LA", RNG.integers(0, 256, (9, 4, 2), dtype=np.uint8)),
        ("RGB", RNG.integers(0, 256, (301, 211, 3), dtype=np.uint8)),
        ("RGBA", RNG.integers(0, 256, (5, 7, 4), dtype=np.uint8)),
        ("I;16", RNG.integers(0, 65536, (33, 17), dtype=np.uint16)),
        ("L", np.zeros((1, 1), dtype=np.uint8)),
    ],
    ids=["L", "LA", "RGB", "RGBA", "I16", "one-pixel"],
)
@pytest.mark.parametrize("level", [0, 1, 6, 9])
def test_pillow_reads_back_the_same_pixels(
    mode: str, pixels: np.ndarray, level: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(png, "BLOCK_BYTES", 1000)  # many blocks, joined into one stream
    monkeypatch.setattr(png, "IDAT_BYTES", 777)  # and many IDAT chunks
    buffer = io.BytesIO()
    png.write_png(
        buffer, pixels, mode, level, icc_profile=b"an ICC profile" if level == 6 else None
    )
    buffer.seek(0)
    with Image.open(buffer) as image:
        image.load()
        assert image.mode == mode
        np.testing.assert_array_equal(np.asarray(image), pixels)
        if level == 6:
            assert image.info["icc_profile"] == b"an ICC profile"


def test_adler32_of_joined_blocks() -> None:
    parts = [RNG.bytes(int(n)) for n in RNG.integers(0, 200_000, 6)]
    combined = 1
    for part in parts:
        combined = png.adler32_combine(combined, zlib.adler32(part), len(part))
    assert combined == zlib.adler32(b"".join(parts))


def test_images_are_saved_through_it_and_level_changes_size(tmp_path: Path) -> None:
    photo = np.tile(
        mio.load(Path(__file__).parent.parent / "sample_data" / "astronaut.png"), (2, 2, 1)
    )
    doc = mio.Document("p.png", "png", {"image": photo}, image=mio.ImageInfo(mode="RGB"))
    sizes = {}
    for level in (0, 1, 9):
        out = tmp_path / f"{level}.png"
        mio.write(out, doc, compress_level=level)
        np.testing.assert_array_equal(mio.load(out), photo)
        sizes[level] = out.stat().st_size
    assert sizes[0] > sizes[1] > sizes[9]
    assert sizes[0] > photo.nbytes  # stored, not compressed
