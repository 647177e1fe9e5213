"""A file its own decoder refuses is refused: never pooled as the zeros of a half-decoded
buffer (a PNG's EXIF lookup decodes its pixels; that decode's error once went unseen)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from maxpool_cli import FileFormatError, load
from maxpool_cli.cli import cli


def _damaged_png(path: Path, pixels: np.ndarray) -> Path:
    """A PNG whose IDAT holds 8 bytes of 0xFF in its deflated data, its CRC made right again,
    so that the decoder (not the checksum) meets the damage."""
    encoded = io.BytesIO()
    Image.fromarray(pixels).save(encoded, format="PNG")
    data = bytearray(encoded.getvalue())
    at = data.find(b"IDAT")
    length = struct.unpack(">I", data[at - 4 : at])[0]
    data[at + 4 + 12 : at + 4 + 20] = b"\xff" * 8
    crc = zlib.crc32(bytes(data[at : at + 4 + length]))
    data[at + 4 + length : at + 8 + length] = struct.pack(">I", crc)
    path.write_bytes(bytes(data))
    with Image.open(path) as image, pytest.raises(OSError, match="broken data stream"):
        image.load()  # (Pillow itself refuses it)
    return path


RNG = np.random.default_rng(3)
PIXELS = {
    "L": RNG.integers(0, 256, (64, 64), dtype=np.uint8),
    "RGB": RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8),
    "RGBA": RNG.integers(0, 256, (64, 64, 4), dtype=np.uint8),
    "I;16": RNG.integers(0, 65536, (64, 64), dtype=np.uint16),
}


@pytest.mark.parametrize("mode", sorted(PIXELS))
def test_a_png_with_damaged_pixel_data_is_refused(tmp_path: Path, mode: str) -> None:
    bad = _damaged_png(tmp_path / "bad.png", PIXELS[mode])
    with pytest.raises(FileFormatError, match=r"bad\.png: cannot decode the image"):
        load(bad)
    for args in (["run", str(bad), "-k", "2", "-o", str(tmp_path / "o.npy")], ["info", str(bad)]):
        done = CliRunner().invoke(cli, args)
        assert done.exit_code == 1, done.output
        assert done.output.count("\n") == 1
        assert "cannot decode the image" in done.output
    printed = CliRunner().invoke(cli, ["run", str(bad), "-k", "2"])
    assert printed.exit_code == 1
    assert not (tmp_path / "o.npy").exists()
