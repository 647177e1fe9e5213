"""TIFF through tifffile: any dtype, strips and tiles, band by band when large, GeoTIFF kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile
from click.testing import CliRunner
from PIL import Image

from maxpool_cli import FileFormatError, pool
from maxpool_cli import io as mio
from maxpool_cli.cli import cli
from maxpool_cli.io import bands, tiffs
from maxpool_cli.io.geotiff import GeoRef
from maxpool_cli.jobs.options import PoolOptions
from maxpool_cli.jobs.out_of_core import pool_file

RNG = np.random.default_rng(16)

# A UTM zone 33N raster of 10 m pixels whose top-left corner is at (500000, 4000000).
GEO_KEYS = (1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32633)
GEO_TAGS = [
    (33550, 12, 3, (10.0, 10.0, 0.0), True),
    (33922, 12, 6, (0.0, 0.0, 0.0, 500000.0, 4000000.0, 0.0), True),
    (34735, 3, len(GEO_KEYS), GEO_KEYS, True),
]


@pytest.mark.parametrize(
    ("layout", "shape", "dtype"),
    [
        ({"rowsperstrip": 7}, (50, 33), np.uint16),
        ({"tile": (16, 16)}, (50, 33, 3), np.uint8),
        ({"tile": (16, 32), "compression": "zlib"}, (61, 45), np.float32),
        ({"rowsperstrip": 50, "extrasamples": ["unspecified"]}, (50, 21, 2), np.int16),
    ],
    ids=["strips", "tiles-rgb", "tiles-deflate", "one-strip"],
)
def test_rows_read_a_band_at_a_time_equal_the_whole(
    tmp_path: Path, layout: dict, shape: tuple[int, ...], dtype: type
) -> None:
    array = (RNG.random(shape) * 1000).astype(dtype)
    path = tmp_path / "a.tif"
    tifffile.imwrite(
        path, array, photometric="rgb" if shape[-1:] == (3,) else "minisblack", **layout
    )
    source = bands.TiffSource(path)
    try:
        assert source.shape == shape
        for start, stop in [(0, 1), (3, 20), (15, 17), (40, shape[0]), (0, shape[0])]:
            np.testing.assert_array_equal(source.read(0, start, stop), array[start:stop])
    finally:
        source.close()
    np.testing.assert_array_equal(mio.load(path), array)


@pytest.mark.parametrize("target", ["out.npy", "out.tif"])
def test_a_large_tiff_pooled_band_by_band_equals_in_memory(tmp_path: Path, target: str) -> None:
    image = RNG.integers(0, 65535, (300, 257), dtype=np.uint16)
    src = tmp_path / "big.tif"
    tifffile.imwrite(src, image, tile=(32, 32), compression="zlib", extratags=GEO_TAGS)
    out = tmp_path / target
    fmt = "npy" if target.endswith(".npy") else "tiff"
    options = PoolOptions(kernel=3, stride=2, padding=1)
    geometry, _ = pool_file(src, out, options, 20_000, source_format="tiff", target_format=fmt)
    expected = pool(image, 3, 2, 1)
    assert geometry.output_shape == expected.shape
    np.testing.assert_array_equal(mio.load(out), expected)
    if fmt == "tiff":
        with tifffile.TiffFile(out) as written:
            assert written.is_bigtiff
            assert written.pages[0].is_tiled
        # Pixels of 20 m centred on their windows: window 0 covers input pixels -1..1
        # (padding 1), centred at 0.5, so output pixel 0 starts half an input pixel (5 m) up
        # and left of the input.
        georef = mio.read(out).image.georef  # type: ignore[union-attr]
        assert georef.geotransform() == (499995.0, 20.0, 0.0, 4000005.0, 0.0, -20.0)


def test_a_large_tiff_on_the_command_line_streams_by_default(tmp_path: Path) -> None:
    rgb = RNG.integers(0, 255, (3000, 3000, 3), dtype=np.uint8)  # 27 MB: streamed at 16M
    src = tmp_path / "rgb.tif"
    tifffile.imwrite(src, rgb, photometric="rgb", rowsperstrip=64)
    out = tmp_path / "small.tif"
    runner = CliRunner()
    args = ["run", str(src), "-o", str(out), "--op", "avg", "--memory-limit", "16M"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    assert "values rounded to uint8" in result.stderr
    pooled = pool(rgb, 2, op="avg", axes=(0, 1))
    np.testing.assert_array_equal(mio.load(out), np.round(pooled).astype(np.uint8))
    with tifffile.TiffFile(out) as written:
        assert written.pages[0].photometric == tifffile.PHOTOMETRIC.RGB
    to_png = runner.invoke(
        cli, ["run", str(src), "-o", str(tmp_path / "x.png"), "--memory-limit", "16M"]
    )
    assert to_png.exit_code == 2
    assert "expected -o FILE.npy or FILE.tif" in to_png.stderr


@pytest.mark.parametrize("form", ["tiepoint", "transformation", "point"])
def test_geotiff_georeferencing_follows_the_pooling(tmp_path: Path, form: str) -> None:
    tags = list(GEO_TAGS)
    if form == "transformation":
        matrix = (10.0, 0.0, 0.0, 500000.0, 0.0, -10.0, 0.0, 4000000.0) + (0.0,) * 7 + (1.0,)
        tags = [(34264, 12, 16, matrix, True), GEO_TAGS[2]]
    if form == "point":  # raster coordinates name pixel centres
        keys = (1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 2, 3072, 0, 1, 32633)
        tags = [GEO_TAGS[0], GEO_TAGS[1], (34735, 3, len(keys), keys, True)]
    dem = RNG.normal(size=(64, 48)).astype(np.float32)
    src = tmp_path / "dem.tif"
    tifffile.imwrite(src, dem, extratags=tags)
    before = mio.read(src).image.georef  # type: ignore[union-attr]
    x0, _, _, y0, _, _ = before.geotransform()
    out = tmp_path / "small.tif"
    result = CliRunner().invoke(
        cli, ["run", str(src), "-k", "3", "-s", "4", "-p", "2,0", "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    after = mio.read(out)
    np.testing.assert_array_equal(after.single(), pool(dem, 3, 4, (2, 0)))
    # Output pixels are 4 input pixels wide, centred on their 3-pixel windows: the first
    # window covers rows -2..0 (centre -0.5) and columns 0..2 (centre 1.5), so the first
    # output pixel starts 2.5 rows above and half a column left of the input.
    assert after.image.georef.geotransform() == (x0 - 5.0, 40.0, 0.0, y0 + 25.0, 0.0, -40.0)  # type: ignore[union-attr]
    assert after.image.georef.value(34735) == before.value(34735)  # the CRS, kept


def test_georeferencing_that_cannot_be_kept_gets_a_note(tmp_path: Path) -> None:
    src = tmp_path / "geo.tif"
    tifffile.imwrite(src, RNG.integers(0, 255, (16, 16), dtype=np.uint8), extratags=GEO_TAGS)
    result = CliRunner().invoke(cli, ["run", str(src), "-o", str(tmp_path / "o.png")])
    assert result.exit_code == 0, result.stderr
    assert "the GeoTIFF georeferencing is not kept in PNG (write .tif)" in result.stderr


def test_a_tiff_tifffile_cannot_decode_is_read_by_pillow(tmp_path: Path) -> None:
    rgb = RNG.integers(0, 255, (20, 30, 3), dtype=np.uint8)
    src = tmp_path / "lzw.tif"
    Image.fromarray(rgb).save(src, compression="tiff_lzw")
    np.testing.assert_array_equal(mio.load(src), rgb)
    assert not tiffs.streamable(str(src), "lzw.tif") or _has_imagecodecs()


def _has_imagecodecs() -> bool:
    try:
        import imagecodecs  # noqa: F401
    except ImportError:
        return False
    return True


def test_geotransform_by_hand() -> None:
    geo = GeoRef(
        ((33550, 12, 3, (2.0, 3.0, 0.0)), (33922, 12, 6, (4.0, 5.0, 0.0, 100.0, 50.0, 0.0)))
    )
    # Pixel (4, 5) is at (100, 50): the corner (0, 0) is 4 pixels of 2 left and 5 of 3 up.
    assert geo.geotransform() == (92.0, 2.0, 0.0, 65.0, 0.0, -3.0)
    pooled = geo.pooled((2, 3), (-1, 0))  # rows 2 apart from row -1, columns 3 apart
    assert pooled.geotransform() == (92.0, 6.0, 0.0, 68.0, 0.0, -6.0)


@pytest.mark.parametrize(
    ("dtype", "layout", "raw"),
    [
        ("uint8", {}, True),  # one strip of the whole image
        ("uint16", {"rowsperstrip": 7}, True),
        ("float32", {"rowsperstrip": 100}, True),
        ("uint16", {"byteorder": ">", "rowsperstrip": 5}, False),  # swapped when decoded
        ("uint8", {"compression": "zlib", "rowsperstrip": 9}, False),
        ("uint8", {"tile": (16, 16)}, False),
    ],
)
def test_bands_of_rows_read_from_any_layout(
    tmp_path: Path, dtype: str, layout: dict, raw: bool
) -> None:
    # Uncompressed strips are read row by row where they lie (a one-strip TIFF was once
    # read whole for every band); the rest strip by strip, the last one kept.
    from maxpool_cli.io.tiffs import TiffRows

    image = RNG.integers(0, 200, (53, 37, 3)).astype(dtype)
    tifffile.imwrite(tmp_path / "x.tif", image, photometric="rgb", **layout)
    with (tmp_path / "x.tif").open("rb") as f:
        rows = TiffRows(f, "x.tif")
        assert rows.raw == raw
        for start, stop in [(0, 53), (3, 4), (5, 40), (50, 53), (0, 1)]:
            np.testing.assert_array_equal(rows.read(start, stop), image[start:stop])
        rows.close()


def test_a_truncated_strip_read_by_rows_is_one_error(tmp_path: Path) -> None:
    from maxpool_cli.io.tiffs import TiffRows

    tifffile.imwrite(tmp_path / "x.tif", RNG.integers(0, 200, (64, 64), dtype=np.uint8))
    data = (tmp_path / "x.tif").read_bytes()
    with tifffile.TiffFile(tmp_path / "x.tif") as tif:
        end = tif.pages[0].dataoffsets[0] + 40 * 64  # 40 of the 64 rows are there
    (tmp_path / "cut.tif").write_bytes(data[:end])
    with (tmp_path / "cut.tif").open("rb") as f:
        rows = TiffRows(f, "cut.tif")
        assert rows.read(0, 40).shape == (40, 64)
        with pytest.raises(FileFormatError, match=r"cut\.tif: truncated"):
            rows.read(30, 64)
        rows.close()
