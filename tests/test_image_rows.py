"""Large one-frame images pooled band by band from Pillow's decoded buffer: the same bytes
as pooling the whole array, every mode and orientation, and never the array beside it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageOps

from maxpool_cli import io as mio
from maxpool_cli import pool
from maxpool_cli.cli import cli
from maxpool_cli.jobs import one_file

RNG = np.random.default_rng(17)


def _image(mode: str) -> Image.Image:
    if mode == "I;16":
        return Image.fromarray(RNG.integers(0, 65536, (61, 47), dtype=np.uint16))
    pixels = RNG.integers(0, 256, (61, 47, 4), dtype=np.uint8)
    return Image.fromarray(pixels, "RGBA").convert(mode)


@pytest.fixture
def by_rows(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every image over 1 KiB pooled by rows, in bands of a few rows; the files it took."""
    taken: list[str] = []
    real = one_file.io.open_image_rows

    def spying(source: object, *args: object) -> object:
        rows = real(source, *args)  # type: ignore[arg-type]
        if rows is not None:
            taken.append(str(source))
        return rows

    monkeypatch.setattr(one_file, "STREAM_BYTES", 1024)
    monkeypatch.setattr(one_file, "WORKSPACE_BYTES", 4096)
    monkeypatch.setattr(one_file.io, "open_image_rows", spying)
    return taken


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [
        *[("L", "png"), ("LA", "png"), ("RGB", "png"), ("RGBA", "png"), ("I;16", "png")],
        *[("RGB", "bmp"), ("RGBA", "webp"), ("L", "jpeg"), ("CMYK", "jpeg")],
    ],
)
@pytest.mark.parametrize("orientation", [1, 6])
def test_pooled_by_rows_equals_pooled_whole(
    tmp_path: Path, by_rows: list[str], mode: str, fmt: str, orientation: int
) -> None:
    src = tmp_path / f"in.{fmt}"
    exif = Image.Exif()
    exif[0x0112] = orientation
    save = {"lossless": True} if fmt == "webp" else {}
    _image(mode).save(src, exif=exif.tobytes(), **save)
    with Image.open(src) as opened:  # the oracle: Pillow's decoding, turned upright
        upright = np.asarray(ImageOps.exif_transpose(opened))
    out = tmp_path / "out.npy"
    args = ["run", str(src), "-k", "3", "-s", "2", "-p", "same", "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert by_rows == [str(src)]
    np.testing.assert_array_equal(np.load(out), pool(upright, 3, 2, "same", axes=(0, 1)))


def test_averages_rounded_back_into_the_image_with_a_note(
    tmp_path: Path, by_rows: list[str]
) -> None:
    src = tmp_path / "in.png"
    image = _image("RGB")
    image.save(src)
    out = tmp_path / "out.png"
    result = CliRunner().invoke(cli, ["run", str(src), "--op", "avg", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert by_rows == [str(src)]
    assert "values rounded to uint8" in result.stderr
    expected = np.round(pool(np.asarray(image), 2, op="avg", axes=(0, 1))).astype(np.uint8)
    np.testing.assert_array_equal(mio.load(out), expected)


def test_palettes_animations_and_small_images_are_read_whole(
    tmp_path: Path, by_rows: list[str]
) -> None:
    _image("RGB").convert("P").save(tmp_path / "palette.png")
    frames = [_image("RGB") for _ in range(2)]
    frames[0].save(tmp_path / "two.webp", save_all=True, append_images=frames[1:], lossless=True)
    for name in ("palette.png", "two.webp"):
        result = CliRunner().invoke(
            cli, ["run", str(tmp_path / name), "-o", str(tmp_path / f"{name}.npy")]
        )
        assert result.exit_code == 0, result.output
    assert by_rows == []
