"""Reading and writing every format and image mode: round trips and pooled round trips."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from maxpool_cli import FileFormatError, ParameterError, pool
from maxpool_cli import io as mio
from maxpool_cli.io import arrays as array_io
from maxpool_cli.jobs.one_file import pool_document
from maxpool_cli.jobs.options import PoolOptions

RNG = np.random.default_rng(3)
SIZE = (9, 7)  # width, height: odd, so k=2 pooling drops a row and a column

LOSSLESS = {
    "png": ["1", "L", "LA", "RGB", "RGBA", "I;16", "P"],
    "tiff": ["1", "L", "LA", "RGB", "RGBA", "I;16", "I", "F", "CMYK"],
    "bmp": ["1", "L", "RGB", "P"],
    "gif": ["L", "P"],
    "webp": ["RGB", "RGBA"],
}
LOADED_MODE = {"P": "RGB"}  # palette images are read as true colour


def make_image(mode: str) -> Image.Image:
    w, h = SIZE
    if mode == "1":
        return Image.fromarray(RNG.random((h, w)) < 0.5)
    if mode == "I;16":
        return Image.fromarray(RNG.integers(0, 65536, (h, w), dtype=np.uint16))
    if mode == "I":
        return Image.fromarray(RNG.integers(-(2**31), 2**31 - 1, (h, w), dtype=np.int32))
    if mode == "F":
        return Image.fromarray(RNG.normal(size=(h, w)).astype(np.float32))
    if mode == "P":
        return Image.fromarray(RNG.integers(0, 256, (h, w, 3), dtype=np.uint8)).quantize(16)
    channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "CMYK": 4}[mode]
    pixels = RNG.integers(0, 256, (h, w, channels), dtype=np.uint8)
    return Image.frombytes(mode, SIZE, pixels.tobytes())


def write_image(path: Path, image: Image.Image, fmt: str) -> Path:
    image.save(path, format=fmt.upper(), **({"lossless": True} if fmt == "webp" else {}))
    return path


CASES = [(fmt, mode) for fmt, modes in LOSSLESS.items() for mode in modes]


@pytest.mark.parametrize(("fmt", "mode"), CASES, ids=[f"{f}-{m}" for f, m in CASES])
def test_lossless_round_trip_is_bit_identical(tmp_path: Path, fmt: str, mode: str) -> None:
    src = write_image(tmp_path / f"in.{fmt}", make_image(mode), fmt)
    doc = mio.read(src)
    expected_mode = LOADED_MODE.get(mode, "RGB" if fmt == "gif" else mode)
    assert doc.image is not None
    assert doc.image.mode == expected_mode
    pooled = pool_document(doc, PoolOptions(kernel=1))
    out = tmp_path / f"out.{fmt}"
    mio.write(out, pooled.result)
    again = mio.read(out)
    assert again.image is not None
    assert again.image.mode == expected_mode
    assert again.single().dtype == doc.single().dtype
    np.testing.assert_array_equal(again.single(), doc.single())


@pytest.mark.parametrize(("fmt", "mode"), CASES, ids=[f"{f}-{m}" for f, m in CASES])
def test_pooled_image_matches_the_engine(tmp_path: Path, fmt: str, mode: str) -> None:
    src = write_image(tmp_path / f"in.{fmt}", make_image(mode), fmt)
    decoded = mio.read(src).single()
    out = tmp_path / f"out.{fmt}"
    options = PoolOptions(kernel=2)
    mio.write(out, pool_document(mio.read(src), options).result)
    np.testing.assert_array_equal(mio.read(out).single(), pool(decoded, 2, axes=(0, 1)))


def test_averages_are_rounded_with_a_note_and_sums_never_clipped(tmp_path: Path) -> None:
    src = tmp_path / "in.png"
    Image.fromarray(np.array([[0, 1, 2, 4], [255, 255, 0, 0]], dtype=np.uint8)).save(src)
    out = tmp_path / "out.png"
    written = mio.write(out, pool_document(mio.read(src), PoolOptions(kernel=2, op="avg")).result)
    assert written.notes == (
        "values rounded to uint8 to fit a PNG image (mode L); .npy keeps them exact",
    )
    got = mio.read(out).single()
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, [[128, 2]])  # 127.75 -> 128, 1.5 -> 2 (half to even)
    summed = pool_document(mio.read(src), PoolOptions(kernel=2, op="sum")).result
    with pytest.raises(FileFormatError, match=r"values 6 to 511 do not fit a uint8 image"):
        mio.write(out, summed, overwrite=True)
    np.testing.assert_array_equal(mio.read(out).single(), [[128, 2]])  # left as it was
    mio.write(tmp_path / "sum.tiff", summed)  # one channel: mode I holds the sums
    np.testing.assert_array_equal(mio.read(tmp_path / "sum.tiff").single(), [[511, 6]])
    even = tmp_path / "even.png"
    Image.fromarray(np.array([[2, 4, 6, 6]], dtype=np.uint8)).save(even)
    exact = pool_document(mio.read(even), PoolOptions(kernel=(1, 2), op="avg")).result
    assert mio.write(tmp_path / "exact.png", exact).notes == ()  # averages 3 and 6: exact


@pytest.mark.parametrize("mode", ["L", "RGB", "CMYK"])
def test_jpeg_round_trip_decodes_to_nearly_the_same_pixels(tmp_path: Path, mode: str) -> None:
    """JPEG is lossy: re-encoding (at quality 95) changes pixels slightly, never the shape."""
    yy, xx = np.mgrid[0:48, 0:64]
    smooth = (128 + 60 * np.sin(xx / 9) * np.cos(yy / 7)).astype(np.uint8)
    channels = {"L": 1, "RGB": 3, "CMYK": 4}[mode]
    pixels = np.repeat(smooth[..., None], channels, axis=2)
    image = Image.frombytes(mode, (64, 48), pixels.tobytes())
    src = tmp_path / "in.jpg"
    image.save(src, quality=95)
    doc = mio.read(src)
    out = tmp_path / "out.jpg"
    written = mio.write(out, pool_document(doc, PoolOptions(kernel=1)).result)
    assert written.notes == (
        "JPEG is lossy: the pixels written are near the pooled ones, not equal",
    )
    again = mio.read(out).single()
    assert again.shape == doc.single().shape
    assert again.dtype == np.uint8
    assert np.abs(again.astype(int) - doc.single().astype(int)).mean() < 1.5


def test_multi_frame_gif_keeps_every_frame_and_its_timing(tmp_path: Path) -> None:
    doc = mio.read(Path(__file__).parent.parent / "sample_data" / "dot.gif")
    assert list(doc.arrays) == ["frame0", "frame1", "frame2", "frame3"]
    assert doc.image is not None
    assert doc.image.durations == (120, 120, 120, 120)
    out = tmp_path / "small.gif"
    pooled = pool_document(doc, PoolOptions(kernel=2))
    mio.write(out, pooled.result)
    with Image.open(out) as image:
        assert image.n_frames == 4
        assert image.info["duration"] == 120
        assert image.info["loop"] == 0
    again = mio.read(out)
    for name, frame in pooled.result.arrays.items():
        np.testing.assert_array_equal(again.arrays[name], frame)


GIF_NOTE = "a GIF holds 256 colours a frame and no partial transparency"


def test_a_gif_that_changes_the_pixels_says_so(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    few = rng.integers(0, 256, (16, 3), dtype=np.uint8)[rng.integers(0, 16, (20, 30))]
    many = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)  # 600 colours
    partial = np.dstack([few, np.full((20, 30), 128, np.uint8)])  # half transparent
    for name, pixels, changed in [
        ("few", few, False),
        ("many", many, True),
        ("alpha", partial, True),
    ]:
        out = tmp_path / f"{name}.gif"
        doc = mio.Document("x", "npy", {"image": pixels})
        written = mio.write(out, doc)
        again = mio.read(out).single()
        same = again.shape == pixels.shape and np.array_equal(again, pixels)
        assert same is not changed  # (the note tells the truth either way)
        notes = [n for n in written.notes if GIF_NOTE in n]
        assert notes == (
            [
                "the GIF changed the pixels of 1 of 1 frames (" + GIF_NOTE + "); .png, "
                ".webp or .npy keep them exactly"
            ]
            if changed
            else []
        )


@pytest.mark.parametrize("fmt", ["gif", "png", "webp"])
def test_repeated_frames_merged_by_an_animation_are_noted(tmp_path: Path, fmt: str) -> None:
    doc = mio.read(Path(__file__).parent.parent / "sample_data" / "dot.gif")
    pooled = pool_document(doc, PoolOptions(kernel=16)).result  # the dot is in every 16x16
    written = mio.write(tmp_path / f"one.{fmt}", pooled)
    assert written.notes == (
        "2 frames the same as the one before are merged into it (their durations added)",
    )  # (and no other: the frames kept are exact)
    with Image.open(tmp_path / f"one.{fmt}") as image:
        assert image.n_frames == 2
    exact = pool_document(doc, PoolOptions(kernel=2)).result  # four different frames
    assert mio.write(tmp_path / f"four.{fmt}", exact).notes == ()


def test_multi_page_tiff(tmp_path: Path) -> None:
    pages = [Image.fromarray(RNG.integers(0, 65536, (6, 8), dtype=np.uint16)) for _ in range(3)]
    src = tmp_path / "pages.tif"
    pages[0].save(src, save_all=True, append_images=pages[1:])
    doc = mio.read(src)
    assert len(doc.arrays) == 3
    out = tmp_path / "out.tif"
    pooled = pool_document(doc, PoolOptions(kernel=2))
    mio.write(out, pooled.result)
    again = mio.read(out)
    assert len(again.arrays) == 3
    for page, (name, frame) in zip(pages, again.arrays.items()):
        np.testing.assert_array_equal(frame, pool(np.asarray(page), 2))
        assert name.startswith("frame")
    # Stacked when a single array is asked for: (frames, H, W).
    assert again.single().shape == (3, 3, 4)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    pixels = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    image = Image.fromarray(pixels)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    src = tmp_path / "rotated.png"
    image.save(src, exif=exif)
    loaded = mio.read(src).single()
    np.testing.assert_array_equal(loaded, np.rot90(pixels, k=-1))


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "I;16", "P"])
def test_every_exif_orientation_matches_pillows_transpose(
    tmp_path: Path, orientation: int, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pillow's own exif_transpose is the oracle; strips of one row make the strip-wise copy
    # into the turned array cross many strip borders.
    from PIL import ImageOps

    from maxpool_cli.io import images

    monkeypatch.setattr(images, "STRIP_BYTES", 1)
    pixels = RNG.integers(0, 256, (7, 5, 3), dtype=np.uint8)
    image = Image.fromarray(pixels).convert("RGBA" if mode == "RGBA" else "RGB").convert(mode)
    if mode == "I;16":  # values above a byte, in both bytes
        image = Image.fromarray(RNG.integers(0, 65536, (7, 5), dtype=np.uint16))
    exif = Image.Exif()
    exif[0x0112] = orientation
    src = tmp_path / "turned.png"
    image.save(src, exif=exif)
    with Image.open(src) as opened:
        upright = ImageOps.exif_transpose(opened).convert("RGB" if mode == "P" else mode)
    loaded = mio.read(src).single()
    np.testing.assert_array_equal(loaded, np.asarray(upright))
    assert loaded.flags.c_contiguous


def test_palette_conversion_is_noted_and_transparency_kept(tmp_path: Path) -> None:
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)
    rgba[:2, :2] = (255, 0, 0, 255)
    src = tmp_path / "p.png"
    Image.fromarray(rgba).convert("P").save(src, transparency=0)
    doc = mio.read(src)
    assert doc.image is not None
    assert doc.image.mode == "RGBA"
    assert doc.notes == ("palette image converted to RGBA",)


@pytest.mark.parametrize(
    ("array", "fmt", "mode"),
    [
        (RNG.integers(0, 256, (5, 6), dtype=np.uint8), "png", "L"),
        (RNG.integers(0, 256, (5, 6, 1), dtype=np.uint8), "png", "L"),
        (RNG.integers(0, 256, (5, 6, 3), dtype=np.uint8), "png", "RGB"),
        (RNG.integers(0, 256, (5, 6, 4), dtype=np.uint8), "webp", "RGBA"),
        (RNG.integers(0, 65536, (5, 6), dtype=np.uint16), "png", "I;16"),
        (RNG.random((5, 6)) < 0.5, "bmp", "1"),
        (RNG.normal(size=(5, 6)).astype(np.float32), "tiff", "F"),
        (RNG.integers(-5, 5, (5, 6), dtype=np.int32), "tiff", "I"),
    ],
    ids=lambda v: v if isinstance(v, str) else f"{v.dtype}{v.shape}",
)
def test_arrays_saved_as_images(tmp_path: Path, array: np.ndarray, fmt: str, mode: str) -> None:
    out = tmp_path / f"a.{fmt}"
    mio.save(out, array)
    with Image.open(out) as image:
        assert image.mode == mode
    loaded = mio.load(out)
    np.testing.assert_array_equal(loaded, array.reshape(loaded.shape))


@pytest.mark.parametrize(
    "array",
    [
        RNG.integers(-(2**40), 2**40, (5, 6), dtype=np.int64),
        np.array([[np.nan, 1.5], [-np.inf, 2.0]]),
        RNG.integers(0, 65536, (5, 6, 3), dtype=np.uint16),
        RNG.normal(size=(4, 5, 7)).astype(np.float32),
    ],
    ids=["int64", "float64-nan", "uint16-rgb", "float32-7-samples"],
)
def test_tiff_holds_any_array_exactly(tmp_path: Path, array: np.ndarray) -> None:
    import tifffile

    out = tmp_path / "a.tif"
    mio.save(out, array)
    np.testing.assert_array_equal(tifffile.imread(out), array)  # another reader agrees
    doc = mio.read(out)
    np.testing.assert_array_equal(doc.single(), array)
    assert doc.single().dtype == array.dtype


@pytest.mark.parametrize(
    ("array", "fmt", "message"),
    [
        (np.zeros((2, 3, 4, 5), dtype=np.uint8), "png", r"cannot be an image; expected \(H, W\)"),
        (np.zeros((4, 4, 3), dtype=np.uint16), "jpeg", r"colour images are uint8, or uint16 in"),
        (np.zeros((4, 4, 3), dtype=np.int32), "png", r"colour images are uint8 \("),
        (np.full((4, 4), 2**40, dtype=np.int64), "png", r"beyond the 32-bit range"),
        (np.array([[np.nan, 1.0]]), "png", r"holds NaN"),
        (np.zeros((4, 4), dtype=np.float32), "png", r"cannot write a F image as PNG.*tiff"),
        (np.zeros((4, 4, 4), dtype=np.uint8), "jpeg", r"cannot write a RGBA image as JPEG"),
    ],
    ids=["4-d", "rgb16-jpeg", "rgb-int32", "int64-range", "nan", "float-png", "rgba-jpeg"],
)
def test_arrays_that_cannot_be_images(
    tmp_path: Path, array: np.ndarray, fmt: str, message: str
) -> None:
    out = tmp_path / f"a.{fmt}"
    with pytest.raises(FileFormatError, match=message):
        mio.save(out, array)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind either


@pytest.mark.parametrize(
    "array",
    [
        np.arange(24, dtype=np.float16).reshape(2, 3, 4),
        np.asfortranarray(np.arange(12, dtype=np.int32).reshape(3, 4)),
        np.array([[True, False]]),
        np.arange(5, dtype=">u4"),
    ],
    ids=["float16-3d", "fortran", "bool", "big-endian"],
)
def test_npy_round_trip(tmp_path: Path, array: np.ndarray) -> None:
    path = tmp_path / "a.npy"
    mio.save(path, array)
    loaded = mio.load(path)
    assert loaded.dtype == array.dtype
    np.testing.assert_array_equal(loaded, array)


def test_large_npy_is_memory_mapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.npy"
    np.save(path, np.arange(1000.0).reshape(10, 100))
    monkeypatch.setattr(array_io, "MMAP_BYTES", 1024)
    loaded = mio.load(path)
    assert isinstance(loaded, np.memmap)
    np.testing.assert_array_equal(pool(loaded, 2), pool(np.load(path), 2))


def test_npz_members_are_all_pooled_with_their_names(tmp_path: Path) -> None:
    src = tmp_path / "f.npz"
    np.savez(src, a=np.arange(16).reshape(4, 4), b=np.ones((2, 6, 6), dtype=np.float32))
    doc = mio.read(src)
    pooled = pool_document(doc, PoolOptions(kernel=2))
    out = tmp_path / "o.npz"
    mio.write(out, pooled.result)
    with np.load(out) as f:
        assert sorted(f.files) == ["a", "b"]
        np.testing.assert_array_equal(f["a"], [[5, 7], [13, 15]])
        assert f["b"].shape == (2, 3, 3)
    only = mio.read(src, key="b")
    assert list(only.arrays) == ["b"]
    with pytest.raises(FileFormatError, match=r"has no array 'c'; it holds a, b"):
        mio.read(src, key="c")
    with pytest.raises(FileFormatError, match=r"holds 2 arrays \(a, b\); expected one"):
        mio.write(tmp_path / "o.npy", pooled.result)


def test_csv_read_write(tmp_path: Path) -> None:
    src = tmp_path / "m.csv"
    src.write_text("# a comment\n1, 2, 3\n4, 5, 6\n")
    np.testing.assert_array_equal(mio.load(src), [[1, 2, 3], [4, 5, 6]])
    tsv = tmp_path / "m.txt"
    tsv.write_text("0.5 1e-3 nan\n-2 inf 3\n")
    values = mio.load(tsv)
    assert values.dtype == np.float64
    np.testing.assert_array_equal(values, [[0.5, 1e-3, np.nan], [-2, np.inf, 3]])
    out = tmp_path / "o.csv"
    floats = np.array([[0.1, 1 / 3], [1e300, -0.0]], dtype=np.float64)
    mio.save(out, floats)
    np.testing.assert_array_equal(mio.load(out), floats)  # exactly: shortest round-trip text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,2,3\n4,5\n", r"line 2 has 2 values, expected 3 like line 1 \(ragged rows\)"),
        ("1,2\n3,x\n", r"line 2, column 2: 'x' is not a number"),
        ("# only a comment\n", r"holds no numbers"),
    ],
)
def test_bad_csv(tmp_path: Path, text: str, message: str) -> None:
    src = tmp_path / "bad.csv"
    src.write_text(text)
    with pytest.raises(FileFormatError, match=rf"{src}: {message}"):
        mio.load(src)


def test_format_comes_from_the_content_not_the_name(tmp_path: Path) -> None:
    misnamed = tmp_path / "really_a_png.jpg"
    Image.fromarray(np.zeros((4, 4), dtype=np.uint8)).save(misnamed, format="PNG")
    assert mio.read(misnamed).format == "png"


def test_output_format_follows_extension_then_option_then_input(tmp_path: Path) -> None:
    doc = mio.read(Path(__file__).parent.parent / "sample_data" / "classic_4x4.npy")
    assert mio.output_format(tmp_path / "x.png", None, doc) == "png"
    assert mio.output_format(tmp_path / "x.png", "png", doc) == "png"
    with pytest.raises(ParameterError, match=r"the extension names PNG but -f/--format asks for"):
        mio.output_format(tmp_path / "x.png", "tiff", doc)
    assert mio.output_format(tmp_path / "x.out", "tiff", doc) == "tiff"
    with pytest.raises(ParameterError, match=r"unknown extension '.out'; expected one of .bmp"):
        mio.output_format(tmp_path / "x.out", None, doc)
    assert mio.output_format(tmp_path / "noextension", None, doc) == "npy"
    assert mio.output_format("-", None, doc) == "npy"
    buffer = io.BytesIO()
    mio.write("-", doc, fmt="csv", stdout=buffer)
    assert buffer.getvalue() == b"1,1,2,4\n5,6,7,8\n3,2,1,0\n1,2,3,4\n"


def test_a_one_channel_axis_dropped_into_an_image_is_noted(tmp_path: Path) -> None:
    x = np.arange(24, dtype=np.uint16).reshape(4, 6, 1)
    written = mio.write(tmp_path / "x.png", mio.Document("x", "npy", {"array": x}))
    assert written.notes == ("a (4, 6, 1) array is written as a (4, 6) image",)
    np.testing.assert_array_equal(mio.load(tmp_path / "x.png"), x[:, :, 0])


GREY = np.arange(48, dtype=np.uint8).reshape(6, 8)


@pytest.mark.parametrize(
    ("fmt", "pixels", "mode", "read_as"),
    [
        ("webp", GREY, "L", "RGB"),
        ("webp", np.dstack([GREY, GREY]), "LA", "RGBA"),
        ("gif", GREY, "L", "RGB"),
        ("gif", GREY % 3 == 0, "1", "L"),
    ],
    ids=["webp-L", "webp-LA", "gif-L", "gif-1"],
)
def test_a_mode_stored_as_another_is_noted(
    tmp_path: Path, fmt: str, pixels: np.ndarray, mode: str, read_as: str
) -> None:
    out = tmp_path / f"grey.{fmt}"
    written = mio.write(out, mio.Document("x", "npy", {"image": pixels}))
    assert written.notes == (
        f"{fmt.upper()} has no mode {mode}: stored as {read_as}, which it reads back as",
    )
    again = mio.read(out)
    assert again.image is not None
    assert again.image.mode == read_as
    values = pixels.astype(np.uint8) * 255 if pixels.dtype == bool else pixels
    got = again.single()
    np.testing.assert_array_equal(
        got[..., 0] if got.ndim == 3 else got, GREY if mode != "1" else values
    )
    if mode == "LA":
        np.testing.assert_array_equal(got[..., 3], GREY)  # the alpha kept
