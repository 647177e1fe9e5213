"""Bad files, pipes and interrupted writes: a clear one-line error, never a partial output."""

from __future__ import annotations

import io
import os
import shlex
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from terminal import MAXPOOL

from maxpool_cli import FileFormatError, pool
from maxpool_cli import io as mio
from maxpool_cli.cli import cli
from maxpool_cli.io.atomic import atomic_write

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a size, with no pixel data (a decompression-bomb stand-in)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def _npz_claiming(shape: tuple[int, ...]) -> bytes:
    """An .npz whose member header declares ``shape`` (float64) but holds no data."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": shape}
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("huge.npy", b"\x93NUMPY\x01\x00" + header.getvalue()[8:])
    return buffer.getvalue()


def _bad_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, what its error must say)."""
    files = {}
    truncated = folder / "truncated.npy"
    np.save(truncated, np.arange(1000.0))
    truncated.write_bytes(truncated.read_bytes()[:500])
    files["truncated npy"] = (truncated, "truncated: its header declares (1000,) float64")

    pickled = folder / "pickled.npy"
    np.save(pickled, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    files["pickled npy"] = (
        pickled,
        "holds Python objects (dtype object), which are never unpickled",
    )

    huge = folder / "huge.npz"
    huge.write_bytes(_npz_claiming((1_000_000, 1_000_000)))
    # 10^12 float64 (7450.6 GiB; 9313.2 GiB with the pooled output): refused from the header,
    # nothing inflated.
    files["npz with huge shape"] = (huge, "GiB of memory")

    empty = folder / "empty.npy"
    empty.write_bytes(b"")
    files["zero-byte file"] = (empty, "named as NPY, not a supported file: it is empty")

    text = folder / "notes.png"
    text.write_text("this is not an image\n")
    files["text named .png"] = (text, "named as PNG, not a supported file: it starts like text")

    cut = folder / "cut.png"
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(
        buffer, format="PNG"
    )
    cut.write_bytes(buffer.getvalue()[:300])
    files["truncated png"] = (cut, "cannot decode the image")

    bomb = folder / "bomb.png"
    bomb.write_bytes(_png_header_only(30_000, 30_000))
    files["image over the pixel limit"] = (bomb, "more than 178,956,970 pixels")

    garbage = folder / "garbage.bin"
    garbage.write_bytes(bytes(range(256)))
    files["unknown binary"] = (garbage, "does not start like any supported format")
    return files


def test_bad_files_raise_maxpool_errors_naming_the_file(tmp_path: Path) -> None:
    for label, (path, message) in _bad_files(tmp_path).items():
        with pytest.raises(FileFormatError) as caught:
            mio.read(path)
        text = str(caught.value)
        assert text.startswith(f"{path}: "), label
        assert message in text, (label, text)


def test_bad_files_on_the_command_line(tmp_path: Path) -> None:
    runner = CliRunner()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for label, (path, message) in _bad_files(tmp_path).items():
        before = path.read_bytes()
        output = out_dir / f"{path.stem}.npy"
        result = runner.invoke(cli, ["run", str(path), "-o", str(output)])
        assert result.exit_code == 1, label
        lines = result.stderr.splitlines()
        assert len(lines) == 1, (label, result.stderr)
        assert lines[0].startswith(f"Error: {path}: "), label
        assert message in lines[0], (label, lines[0])
        assert "Traceback" not in result.stderr
        assert not output.exists(), label
        assert path.read_bytes() == before, label  # the input is never modified
    assert list(out_dir.iterdir()) == []


def test_max_pixels_raises_the_limit(tmp_path: Path) -> None:
    src = tmp_path / "img.png"
    Image.fromarray(np.zeros((50, 40), dtype=np.uint8)).save(src)
    runner = CliRunner()
    result = runner.invoke(cli, ["run", str(src), "--max-pixels", "1000"])
    assert result.exit_code == 1
    assert "more than 1,000 pixels" in result.stderr
    assert "--max-pixels" in result.stderr
    result = runner.invoke(cli, ["run", str(src), "--max-pixels", "2000"])
    assert result.exit_code == 0, result.stderr


def test_atomic_write_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.npy"
    target.write_bytes(b"previous")

    def interrupted_write(error: BaseException) -> None:
        with atomic_write(target, overwrite=True) as f:
            f.write(b"partial")
            raise error

    for error in (RuntimeError("disk full"), KeyboardInterrupt()):
        with pytest.raises(type(error)):
            interrupted_write(error)
        assert target.read_bytes() == b"previous"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.npy"]


def test_failing_fsync_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("maxpool_cli.io.atomic.os.fsync", broken_fsync)
    target = tmp_path / "out.npy"
    with pytest.raises(FileFormatError, match=r"out.npy: cannot write: No space left on device"):
        mio.save(target, np.zeros(3))
    assert list(tmp_path.iterdir()) == []


def test_stdin_to_stdout(tmp_path: Path) -> None:
    png = (SAMPLE / "disc_rgba.png").read_bytes()
    result = CliRunner().invoke(cli, ["run", "-", "-k", "2", "-o", "-"], input=png)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    with Image.open(io.BytesIO(result.stdout_bytes)) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        assert image.size == (48, 48)
    npy = (SAMPLE / "classic_4x4.npy").read_bytes()
    result = CliRunner().invoke(cli, ["run", "-", "-o", "-", "-f", "csv"], input=npy)
    assert result.stdout_bytes == b"6,8\n3,4\n"


def test_shell_pipeline(tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    src = SAMPLE / "astronaut.png"
    maxpool = shlex.quote(MAXPOOL)
    command = f"cat {src} | {maxpool} run - -k 2 -o - | {maxpool} run - -k 2 -o {out}"
    done = subprocess.run(command, shell=True, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    # The first stage wrote nothing but the PNG (the second decoded it); the last one says
    # what it wrote.
    assert done.stdout.startswith(b"<stdin>: input (256, 256, 3) uint8 -> output (128, 128, 3)")
    twice = mio.read(out).single()
    assert twice.shape == (128, 128, 3)
    np.testing.assert_array_equal(twice, pool(mio.load(src), 4, axes=(0, 1)))


def test_image_too_large_for_memory_says_how_to_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "wide.png"
    Image.fromarray(np.zeros((40, 50), dtype=np.uint8)).save(src)
    monkeypatch.setattr("maxpool_cli.io.memory.available_memory", lambda: 1000)
    monkeypatch.setattr("maxpool_cli.io.memory.SMALL_BYTES", 0)  # asked even for a small one
    with pytest.raises(
        FileFormatError, match=r"a 50x40 image would need 23.4 KiB of memory, but only 1000 B"
    ):
        mio.read(src)
    with pytest.raises(FileFormatError, match=r"convert it to .npy with a tool that streams"):
        mio.read(src)


def test_outputs_get_the_usual_file_mode(tmp_path: Path) -> None:
    out = tmp_path / "out.npy"
    mio.save(out, np.zeros(3))
    mask = os.umask(0o022)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask
