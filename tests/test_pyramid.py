"""``maxpool pyramid``: every level is the previous one pooled; OME-Zarr that validates, a
pyramidal TIFF, a folder; large inputs level by level, band by band."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile
import zarr
from click.testing import CliRunner
from ome_zarr_models.v05.image import Image as OmeImage
from PIL import Image

from maxpool_cli import io as mio
from maxpool_cli import pool
from maxpool_cli.cli import cli

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
RNG = np.random.default_rng(21)


def _repeated(x: np.ndarray, count: int, **params: object) -> list[np.ndarray]:
    """Level 0 and ``count - 1`` poolings of the level before: the oracle."""
    levels = [x]
    for _ in range(count - 1):
        levels.append(pool(levels[-1], **params))
    return levels


def _peak_rss(args: list[str]) -> tuple[int, float]:
    """``maxpool ARGS`` run by an intermediate process whose only child it is: the exit code
    and the run's peak resident memory in MiB."""
    probe = (
        "import resource, subprocess, sys\n"
        "command = [sys.executable, '-m', 'maxpool_cli', *sys.argv[1:]]\n"
        "code = subprocess.call(command, stdout=subprocess.DEVNULL)\n"
        "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True)
    code, kib = done.stdout.split()
    return int(code), int(kib) / 1024


def _run(args: list[str]) -> dict:
    result = CliRunner().invoke(cli, ["pyramid", *args, "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_ome_zarr_of_an_image_validates_and_every_level_is_pooled(tmp_path: Path) -> None:
    image = RNG.integers(0, 255, (101, 75, 3), dtype=np.uint8)  # odd sizes: ceil mode keeps edges
    Image.fromarray(image).save(tmp_path / "photo.png")
    out = tmp_path / "photo.zarr"
    report = _run([str(tmp_path / "photo.png"), "-o", str(out), "--min-size", "10"])
    shapes = [level["shape"] for level in report["levels"]]
    assert shapes == [[101, 75, 3], [51, 38, 3], [26, 19, 3], [13, 10, 3]]  # next: 7x5 < 10
    group = zarr.open_group(str(out), mode="r")
    OmeImage.from_zarr(group)  # validates the NGFF 0.5 metadata (raises if it is wrong)
    expected = _repeated(image, 4, kernel=2, ceil_mode=True, axes=(0, 1))
    for n, want in enumerate(expected):
        stored = group[str(n)][:]
        np.testing.assert_array_equal(np.moveaxis(stored, 0, -1), want)  # stored as (C, Y, X)
    multiscale = group.attrs["ome"]["multiscales"][0]
    assert [axis["name"] for axis in multiscale["axes"]] == ["c", "y", "x"]
    transforms = [d["coordinateTransformations"] for d in multiscale["datasets"]]
    # Level 2: pixels 4 input pixels wide, the first centred on input 1.5 (windows [0, 4)).
    assert transforms[2] == [
        {"type": "scale", "scale": [1.0, 4.0, 4.0]},
        {"type": "translation", "translation": [0.0, 1.5, 1.5]},
    ]


def test_translation_follows_padding_and_kernel(tmp_path: Path) -> None:
    x = RNG.normal(size=(2, 40, 40)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    args = [str(tmp_path / "x.npy"), "-o", str(tmp_path / "x.zarr"), "--levels", "3"]
    report = _run([*args, "-k", "3", "-s", "2", "-p", "1"])
    # Output 0's window covers input -1..1, centred on 0; at level 2, on 0 - 2 + 2 = 0 again.
    assert [level["translation"] for level in report["levels"]] == [
        [0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0],
    ]
    assert report["levels"][2]["scale"] == [1.0, 4.0, 4.0]
    group = zarr.open_group(str(tmp_path / "x.zarr"), mode="r")
    OmeImage.from_zarr(group)
    expected = _repeated(x, 3, kernel=3, stride=2, padding=1, ceil_mode=True)
    for n, want in enumerate(expected):
        np.testing.assert_array_equal(group[str(n)][:], want)


def test_label_maps_keep_their_labels(tmp_path: Path) -> None:
    labels = RNG.integers(0, 5, (64, 48), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "labels.tif", labels)
    out = tmp_path / "labels.zarr"
    _run([str(tmp_path / "labels.tif"), "-o", str(out), "--op", "mode", "--levels", "4"])
    group = zarr.open_group(str(out), mode="r")
    for n, want in enumerate(_repeated(labels, 4, kernel=2, ceil_mode=True, op="mode")):
        np.testing.assert_array_equal(group[str(n)][:], want)
        assert set(np.unique(want)) <= set(range(5))


def test_pyramidal_tiff_and_folder(tmp_path: Path) -> None:
    astronaut = mio.load(SAMPLE / "astronaut.png")
    expected = _repeated(astronaut, 4, kernel=2, ceil_mode=True, axes=(0, 1))
    tif = tmp_path / "astro.tif"
    _run([str(SAMPLE / "astronaut.png"), "-o", str(tif)])  # down to 64x64
    with tifffile.TiffFile(tif) as written:
        assert written.is_ome
        levels = written.series[0].levels
        assert len(levels) == 4
        for level, want in zip(levels, expected):
            np.testing.assert_array_equal(level.asarray(), want)
    folder = tmp_path / "levels"
    _run([str(SAMPLE / "astronaut.png"), "-o", str(folder), "--levels", "3"])
    assert sorted(p.name for p in folder.iterdir()) == ["level0.png", "level1.png", "level2.png"]
    for n in range(3):
        np.testing.assert_array_equal(mio.load(folder / f"level{n}.png"), expected[n])
    info = CliRunner().invoke(cli, ["info", str(tif), "--json"])
    assert [level["shape"] for level in json.loads(info.stdout)["levels"]] == [
        list(w.shape) for w in expected
    ]


def test_a_large_array_is_built_band_by_band(tmp_path: Path) -> None:
    volume = RNG.normal(size=(4, 2500, 2500)).astype(np.float32)  # 100 MB
    np.save(tmp_path / "volume.npy", volume)
    out = tmp_path / "volume.zarr"
    args = ["pyramid", str(tmp_path / "volume.npy"), "-o", str(out), "--axes-names", "c,y,x"]
    code, peak_mib = _peak_rss([*args, "--memory-limit", "16M", "--levels", "3"])
    assert code == 0
    assert peak_mib < 100  # the 100 MB level 0 (and its 25 MB level 1) never held whole
    group = zarr.open_group(str(out), mode="r")
    OmeImage.from_zarr(group)
    for n, want in enumerate(_repeated(volume, 3, kernel=2, ceil_mode=True)):
        np.testing.assert_array_equal(group[str(n)][:], want)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "{tmp}/out.png"], "a pyramid is written as .zarr (OME-Zarr), .tif or a folder"),
        (["-o", "{tmp}/out.zarr", "--axes-names", "a,b"], "--axes-names: expected 3 names, got 2"),
        (["-o", "{tmp}/levels/", "--compress-level", "3"], "{tmp}/levels/ is NPY"),
        (["-o", "{tmp}/out.zarr", "-j", "2"], "-j/--jobs: the workers of a local Dask cluster"),
    ],
)
def test_refused_before_any_output(tmp_path: Path, args: list[str], message: str) -> None:
    np.save(tmp_path / "x.npy", np.zeros((3, 64, 64), dtype=np.float32))
    args = [a.format(tmp=tmp_path) for a in args]
    result = CliRunner().invoke(cli, ["pyramid", str(tmp_path / "x.npy"), *args])
    assert result.exit_code == 2
    assert message.format(tmp=tmp_path) in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npy"]


def test_a_4d_array_needs_axis_names_for_ome_zarr(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((2, 2, 3, 64, 64), dtype=np.uint8))
    result = CliRunner().invoke(
        cli, ["pyramid", str(tmp_path / "x.npy"), "-o", str(tmp_path / "o.zarr")]
    )
    assert result.exit_code == 2
    assert "needs --axes-names (like t,c,z,y,x)" in result.stderr
    assert not (tmp_path / "o.zarr").exists()


def test_a_geotiffs_georeferencing_follows_every_level(tmp_path: Path) -> None:
    keys = (1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32633)
    tags = [
        (33550, 12, 3, (10.0, 10.0, 0.0), True),  # 10 m pixels
        (33922, 12, 6, (0.0, 0.0, 0.0, 500000.0, 4000000.0, 0.0), True),
        (34735, 3, len(keys), keys, True),
    ]
    dem = RNG.normal(size=(40, 24)).astype(np.float32)
    src = tmp_path / "dem.tif"
    tifffile.imwrite(src, dem, extratags=tags)
    runner = CliRunner()
    args = ["pyramid", str(src), "--min-size", "6", "-q"]
    folder = runner.invoke(cli, [*args, "-o", str(tmp_path / "levels/")])
    assert folder.exit_code == 0, folder.output
    for n, size in enumerate((10.0, 20.0, 40.0)):  # each level file its own pixel size
        georef = mio.read(tmp_path / "levels" / f"level{n}.tif").image.georef  # type: ignore[union-attr]
        assert georef.geotransform() == (500000.0, size, 0.0, 4000000.0, 0.0, -size)
        assert georef.value(34735) == keys  # the CRS
    pyramid = runner.invoke(cli, [*args, "-o", str(tmp_path / "dem_pyramid.tif")])
    assert pyramid.exit_code == 0, pyramid.output
    georef = mio.read(tmp_path / "dem_pyramid.tif").image.georef  # type: ignore[union-attr]
    assert georef.geotransform() == (500000.0, 10.0, 0.0, 4000000.0, 0.0, -10.0)  # level 0's
    store = runner.invoke(cli, [*args, "-o", str(tmp_path / "dem.zarr")])
    assert store.exit_code == 0, store.output
    assert "the GeoTIFF georeferencing is not kept in OME-Zarr (write .tif)" in store.stderr


def test_space_names_on_unpooled_axes_are_refused(tmp_path: Path) -> None:
    # (Once z,y,x named a volume pooled over y and x only, its z written as a channel.)
    np.save(tmp_path / "vol.npy", RNG.normal(size=(8, 16, 16)).astype(np.float32))
    args = ["pyramid", str(tmp_path / "vol.npy"), "-o", str(tmp_path / "v.zarr")]
    result = CliRunner().invoke(cli, [*args, "--axes-names", "z,y,x", "--min-size", "4"])
    assert result.exit_code == 2
    assert "--axes-names: z names axis 0 as space, but it is not pooled (pooled: 1, 2)" in (
        result.stderr
    )
    assert not (tmp_path / "v.zarr").exists()


def test_a_folder_of_levels_gets_the_usual_permissions(tmp_path: Path) -> None:
    import os

    mask = os.umask(0o022)
    try:
        result = CliRunner().invoke(
            cli, ["pyramid", str(SAMPLE / "astronaut.png"), "-o", str(tmp_path / "levels/")]
        )
    finally:
        os.umask(mask)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "levels").stat().st_mode & 0o777 == 0o755  # not mkdtemp's 0o700


@pytest.mark.parametrize(("target", "dtype"), [("av.tif", "uint8"), ("av.zarr", "float64")])
def test_levels_are_reported_in_the_dtype_they_are_written_in(
    tmp_path: Path, target: str, dtype: str
) -> None:
    args = ["pyramid", str(SAMPLE / "astronaut.png"), "-o", str(tmp_path / target)]
    result = CliRunner().invoke(cli, [*args, "--op", "avg", "--levels", "3", "--json"])
    assert result.exit_code == 0, result.output
    levels = json.loads(result.stdout)["levels"]
    assert [level["dtype"] for level in levels] == ["uint8", dtype, dtype]
    if target.endswith(".tif"):
        with tifffile.TiffFile(tmp_path / target) as written:
            assert written.series[0].levels[2].dtype == np.uint8


@pytest.mark.parametrize(("level", "codecs"), [(None, ["bytes", "zstd"]), (0, ["bytes"])])
def test_compress_level_sets_the_zarr_chunks_codec(
    tmp_path: Path, level: int | None, codecs: list[str]
) -> None:
    store = tmp_path / "astro.ome.zarr"
    args = ["pyramid", str(SAMPLE / "astronaut.png"), "-o", str(store), "-q", "--levels", "2"]
    extra = [] if level is None else ["--compress-level", str(level)]
    result = CliRunner().invoke(cli, [*args, *extra])
    assert result.exit_code == 0, result.output
    group = zarr.open_group(str(store), mode="r")
    OmeImage.from_zarr(group)
    assert group.attrs["ome"]["multiscales"][0]["name"] == "astro"  # not "astro.ome"
    for n in ("0", "1"):
        meta = json.loads((store / n / "zarr.json").read_text())
        assert [c["name"] for c in meta["codecs"]] == codecs
    image = np.moveaxis(mio.load(SAMPLE / "astronaut.png"), -1, 0)
    np.testing.assert_array_equal(group["1"][:], pool(image, 2))
