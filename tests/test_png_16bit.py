"""PNGs of 16 bits a colour sample: read exactly (Pillow alone keeps only the high byte of
each sample), pooled, and written back as 16-bit PNG or TIFF, or refused where they cannot go.

Oracles: files written by libpng and libvips with every PNG filter and Adam7 interlace, each
stored with its pixels as those libraries decode them (``tests/golden/make_png16.py``); the
written PNGs decoded here with zlib alone (their rows are Up-filtered).
"""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
from click.testing import CliRunner

from maxpool_cli import FileFormatError, pool
from maxpool_cli import io as mio
from maxpool_cli.cli import cli
from maxpool_cli.io.files import open_image_rows

DATA = Path(__file__).parent / "data" / "png16"
NAMES = sorted(p.stem for p in DATA.glob("*.png"))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _expected(name: str) -> np.ndarray:
    return np.load(DATA / f"{name}.npy")


def _decode_our_png(path: Path) -> tuple[np.ndarray, int, int]:
    """A PNG written by maxpool (every row Up-filtered), decoded with zlib and NumPy."""
    data = path.read_bytes()
    at, idat = 8, b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, *_ = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, -1)
    assert (rows[:, 0] == 2).all()  # Up
    raw = np.cumsum(rows[:, 1:], axis=0, dtype=np.uint8)  # (sums wrap at 256, as PNG's do)
    pixels = raw.view(">u2" if depth == 16 else np.uint8).reshape(height, width, channels)
    return pixels.astype(np.uint16 if depth == 16 else np.uint8).squeeze(), depth, colour


@pytest.mark.parametrize("name", NAMES)
def test_every_sample_is_read_whole(name: str) -> None:
    assert len(NAMES) == 5
    got = mio.load(DATA / f"{name}.png")
    expected = _expected(name)
    assert got.dtype == np.uint16
    np.testing.assert_array_equal(got, expected)
    assert (got & 0xFF).any()  # (the low bytes are there: Pillow alone drops them)


@pytest.mark.parametrize("name", NAMES)
def test_pooled_into_a_16_bit_png(runner: CliRunner, tmp_path: Path, name: str) -> None:
    out = tmp_path / "out.png"
    result = runner.invoke(cli, ["run", str(DATA / f"{name}.png"), "-k", "2", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    pixels, depth, colour = _decode_our_png(out)
    assert (depth, colour) == (16, {2: 4, 3: 2, 4: 6}[_expected(name).shape[2]])
    np.testing.assert_array_equal(pixels, pool(_expected(name), 2, axes=(0, 1)))


def test_info_names_the_mode_and_dtype(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["info", str(DATA / "rgba16_libpng.png")])
    assert result.exit_code == 0, result.stderr
    assert "PNG, mode RGBA;16" in result.stdout
    assert "image  (19, 28, 4) uint16" in result.stdout


def test_averages_rounded_and_tiff_keeps_the_colour(runner: CliRunner, tmp_path: Path) -> None:
    src = DATA / "rgb16_vips_all_filters.png"
    out = tmp_path / "avg.tif"
    result = runner.invoke(cli, ["run", str(src), "-k", "2", "--op", "avg", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "values rounded to uint16" in result.stderr
    with tifffile.TiffFile(out) as tif:
        assert tif.pages[0].photometric == tifffile.PHOTOMETRIC.RGB
        written = tif.asarray()
    expected = pool(
        _expected("rgb16_vips_all_filters").astype(np.float64), 2, op="avg", axes=(0, 1)
    )
    np.testing.assert_array_equal(written, np.round(expected).astype(np.uint16))


@pytest.mark.parametrize("target", ["out.jpg", "out.gif", "out.bmp"])
def test_formats_of_8_bits_are_refused(runner: CliRunner, tmp_path: Path, target: str) -> None:
    result = runner.invoke(
        cli, ["run", str(DATA / "rgb16_libpng.png"), "-k", "2", "-o", str(tmp_path / target)]
    )
    assert result.exit_code == 1
    assert "cannot write a RGB;16 image as" in result.stderr
    assert "formats that can: png, tiff" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_arrays_of_16_bit_colour_become_16_bit_pngs(tmp_path: Path) -> None:
    rgba = np.arange(5 * 6 * 4, dtype=np.uint16).reshape(5, 6, 4) * 673
    mio.save(tmp_path / "a.png", rgba)
    pixels, depth, colour = _decode_our_png(tmp_path / "a.png")
    assert (depth, colour) == (16, 6)
    np.testing.assert_array_equal(pixels, rgba)
    np.testing.assert_array_equal(mio.load(tmp_path / "a.png"), rgba)


def _with_orientation(png: bytes, orientation: int) -> bytes:
    """The PNG with an eXIf chunk (a little-endian TIFF header, one IFD entry) before IDAT."""
    exif = b"II*\x00" + struct.pack("<IH", 8, 1)
    exif += struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack("<I", 0)
    chunk = struct.pack(">I", len(exif)) + b"eXIf" + exif
    chunk += struct.pack(">I", zlib.crc32(exif, zlib.crc32(b"eXIf")))
    at = png.index(b"IDAT") - 4
    return png[:at] + chunk + png[at:]


def test_exif_orientation_turns_the_whole_samples(tmp_path: Path) -> None:
    turned = tmp_path / "turned.png"
    turned.write_bytes(_with_orientation((DATA / "rgb16_libpng.png").read_bytes(), 6))
    got = mio.load(turned)
    np.testing.assert_array_equal(got, np.rot90(_expected("rgb16_libpng"), -1))
    assert got.flags.c_contiguous


def test_from_standard_input_and_never_by_rows(tmp_path: Path) -> None:
    src = DATA / "rgb16_vips_interlaced.png"
    out = tmp_path / "out.npy"
    done = subprocess.run(
        [sys.executable, "-m", "maxpool_cli", "run", "-", "-k", "2", "-o", str(out)],
        input=src.read_bytes(),
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(
        np.load(out), pool(_expected("rgb16_vips_interlaced"), 2, axes=(0, 1))
    )
    # (Pillow's buffer holds 8 bits a sample: such a PNG is never pooled from it by rows.)
    assert open_image_rows(src, least_bytes=0) is None


def test_16_bit_colour_tiff_reads_as_the_same_mode_and_becomes_a_png(
    runner: CliRunner, tmp_path: Path
) -> None:
    rgb = _expected("rgb16_libpng")
    src = tmp_path / "rgb16.tif"
    tifffile.imwrite(src, rgb, photometric="rgb")
    info = runner.invoke(cli, ["info", str(src)])
    assert "TIFF, mode RGB;16" in info.stdout
    out = tmp_path / "out.png"
    assert runner.invoke(cli, ["run", str(src), "-k", "2", "-o", str(out)]).exit_code == 0
    pixels, depth, colour = _decode_our_png(out)
    assert (depth, colour) == (16, 2)
    np.testing.assert_array_equal(pixels, pool(rgb, 2, axes=(0, 1)))


def test_16_bit_colour_only_pillow_would_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from maxpool_cli.io import tiffs

    src = tmp_path / "rgb16.tif"
    tifffile.imwrite(src, _expected("rgb16_libpng"), photometric="rgb")
    monkeypatch.setattr(tiffs, "read_tiff", lambda *args: None)  # as for a codec it lacks
    with pytest.raises(FileFormatError, match="keeping 8 bits of each sample"):
        mio.load(src)


@pytest.mark.parametrize("damage", ["truncated", "flipped"])
def test_a_damaged_16_bit_png_is_one_line(runner: CliRunner, tmp_path: Path, damage: str) -> None:
    data = bytearray((DATA / "rgb16_vips_all_filters.png").read_bytes())
    if damage == "truncated":
        data = data[:1500]
    else:
        data[200] ^= 0xFF  # inside the compressed pixels
    src = tmp_path / "bad.png"
    src.write_bytes(bytes(data))
    result = runner.invoke(cli, ["run", str(src), "-k", "2", "-o", str(tmp_path / "out.png")])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {src}: cannot decode the image")
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.png"]
