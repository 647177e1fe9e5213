"""Folders and many inputs: the output tree, failures, resume, fail-fast and interruption."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from maxpool_cli import io as mio
from maxpool_cli import pool
from maxpool_cli.cli import cli
from maxpool_cli.jobs.batch import discover

RNG = np.random.default_rng(5)


def _tree(root: Path) -> dict[str, np.ndarray]:
    """A folder of good and bad files; returns the good ones' arrays by relative path."""
    good = {
        "a.npy": RNG.normal(size=(8, 8)).astype(np.float32),
        "b.png": RNG.integers(0, 255, (10, 12, 3), dtype=np.uint8),
        "sub/c.png": RNG.integers(0, 255, (6, 6), dtype=np.uint8),
        "sub/deeper/d.csv": np.arange(16).reshape(4, 4),
    }
    for rel, array in good.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith(".npy"):
            np.save(path, array)
        elif rel.endswith(".csv"):
            mio.save(path, array)
        else:
            Image.fromarray(array).save(path)
    (root / "broken.png").write_text("not an image")
    (root / "sub" / "tiny.npy").write_bytes(b"\x93NUMPY")  # truncated header
    (root / "notes.md").write_text("not a supported extension: not even looked at")
    (root / ".hidden.npy").write_bytes(b"hidden files are skipped")
    (root / ".cache").mkdir()
    np.save(root / ".cache" / "e.npy", np.zeros((4, 4)))
    return good


def test_tree_with_bad_files(tmp_path: Path) -> None:
    src = tmp_path / "in"
    good = _tree(src)
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(cli, ["run", str(src), "-r", "-o", str(out), "-k", "2", "-j", "2"])
    assert result.exit_code == 1
    errors = sorted(result.stderr.splitlines())
    assert errors == [
        f"Error: {src / 'broken.png'}: named as PNG, not a supported file: it starts like text",
        f"Error: {src / 'sub' / 'tiny.npy'}: not a valid .npy header: EOF: reading magic string, "
        "expected 8 bytes got 6",
    ]
    assert _outputs(out) == sorted(good)
    assert (out / ".maxpool-batch.json").is_file()  # the options that made them
    for rel, array in good.items():
        axes = (0, 1) if rel.endswith(".png") else None
        np.testing.assert_array_equal(mio.load(out / rel), pool(array, 2, axes=axes))
    assert re.search(r"^\s*done\s+4\s*$", result.stdout, re.M)
    assert re.search(r"^\s*failed\s+2\s*$", result.stdout, re.M)
    assert "broken.png" in result.stdout  # the failures, listed with their reasons


def _outputs(folder: Path) -> list[str]:
    """The output files under a folder (not the batch's hidden record of its options)."""
    return sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name[0] != "."
    )


def _json_lines(stdout: str) -> tuple[list[dict], dict]:
    """A batch's JSON Lines: one record per file, then the summary."""
    records = [json.loads(line) for line in stdout.splitlines()]
    assert "summary" in records[-1]
    assert all("status" in r for r in records[:-1])
    return records[:-1], records[-1]["summary"]


def test_rerun_resumes_and_overwrite_redoes(tmp_path: Path) -> None:
    src = tmp_path / "in"
    _tree(src)
    out = tmp_path / "out"
    runner = CliRunner()
    runner.invoke(cli, ["run", str(src), "-r", "-o", str(out), "-j", "1"])
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = runner.invoke(cli, ["run", str(src), "-r", "-o", str(out), "--json", "-j", "1"])
    _, summary = _json_lines(again.stdout)
    assert summary["skipped"] == 4
    assert summary["done"] == 0
    assert summary["failed"] == 2
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before
    redo = runner.invoke(cli, ["run", str(src), "-r", "-o", str(out), "--overwrite", "--json"])
    assert _json_lines(redo.stdout)[1]["done"] == 4


def test_json_records_per_file(tmp_path: Path) -> None:
    src = tmp_path / "in"
    _tree(src)
    result = CliRunner().invoke(cli, ["run", str(src), "-o", str(tmp_path / "o"), "--json"])
    files, summary = _json_lines(result.stdout)
    by_name = {Path(f["input"]).name: f for f in files}
    assert by_name["a.npy"]["status"] == "done"
    assert by_name["a.npy"]["arrays"][0]["output_shape"] == [4, 4]
    assert by_name["broken.png"]["status"] == "failed"
    assert "sub" not in " ".join(f["input"] for f in files)  # not recursive
    assert summary["done"] == 2
    assert summary["failures"] == [
        {
            "reason": by_name["broken.png"]["reason"],
            "count": 1,
            "examples": [str(src / "broken.png")],
        }
    ]


def test_fail_fast_stops_early(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "0_broken.npy").write_text("bad")
    for i in range(1, 6):
        np.save(src / f"{i}.npy", np.zeros((4, 4)))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", str(src), "-o", str(out), "--fail-fast", "-j", "1"])
    assert result.exit_code == 1
    assert _outputs(out) == []


def test_output_folder_inside_the_input_is_not_read(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    np.save(src / "x.npy", np.ones((4, 4)))
    runner = CliRunner()
    for _ in range(2):  # the second run must not pool the first run's output
        result = runner.invoke(cli, ["run", str(src), "-r", "-o", str(src / "pooled")])
        assert result.exit_code == 0, result.stderr
    assert _outputs(src / "pooled") == ["x.npy"]


def test_symlink_loops_are_safe(tmp_path: Path) -> None:
    src = tmp_path / "in"
    (src / "a").mkdir(parents=True)
    np.save(src / "a" / "x.npy", np.ones((4, 4)))
    os.symlink(src, src / "a" / "loop")
    tasks, _ = discover([str(src)], tmp_path / "out", recursive=True)
    assert [t.source.name for t in tasks] == ["x.npy"]


def test_globs_formats_and_collisions(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(np.zeros((4, 4), dtype=np.uint8)).save(src / "x.png")
    np.save(src / "x.npy", np.zeros((4, 4)))
    np.save(src / "y.npy", np.zeros((4, 4)))
    tasks, known = discover([str(src)], tmp_path / "out", globs=("*.png", "y.*"))
    assert sorted(t.source.name for t in tasks) == ["x.png", "y.npy"]
    tasks, known = discover([str(src)], tmp_path / "out", fmt="tiff")
    assert sorted(t.target.name for t in tasks) == ["x.tif", "y.tif"]
    assert [(Path(o.source).name, o.status) for o in known] == [("x.png", "failed")]
    assert "is also the output of" in known[0].reason


def test_several_inputs_need_an_output_folder(tmp_path: Path) -> None:
    a = tmp_path / "a.npy"
    np.save(a, np.zeros((4, 4)))
    runner = CliRunner()
    result = runner.invoke(cli, ["run", str(a), str(a)])
    assert result.exit_code == 2
    assert "expected -o FOLDER" in result.stderr
    result = runner.invoke(
        cli, ["run", str(a), str(tmp_path / "nope.npy"), "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert f"Error: {tmp_path / 'nope.npy'}: no such file or folder" in result.stderr
    assert (tmp_path / "o" / "a.npy").exists()


def test_large_npy_goes_out_of_core(tmp_path: Path) -> None:
    x = RNG.normal(size=(300, 200)).astype(np.float32)
    np.save(tmp_path / "big.npy", x)
    runner = CliRunner()
    out = tmp_path / "small.npy"
    args = ["run", str(tmp_path / "big.npy"), "-k", "3", "-s", "2", "-p", "same"]
    result = runner.invoke(cli, [*args, "-o", str(out), "--memory-limit", "20K"])
    assert result.exit_code == 0, result.stderr
    np.testing.assert_array_equal(np.load(out), pool(x, 3, 2, "same"))
    printed = runner.invoke(cli, [*args, "--memory-limit", "20K"])
    assert printed.exit_code == 2
    assert "expected -o FILE.npy" in printed.stderr
    default = runner.invoke(  # the default kernel, as the other paths have it
        cli,
        ["run", str(tmp_path / "big.npy"), "-o", str(tmp_path / "d.npy"), "--memory-limit", "20K"],
    )
    assert default.exit_code == 0, default.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "d.npy"), pool(x, 2))
    as_png = runner.invoke(cli, [*args, "--memory-limit", "20K", "-o", str(tmp_path / "s.png")])
    assert as_png.exit_code == 2
    assert "pooled band by band into a file: expected -o FILE.npy" in as_png.stderr


def _processes_mentioning(text: str) -> list[int]:
    """The processes whose command line holds ``text`` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass  # gone meanwhile
    return found


def test_interrupted_batch_leaves_no_partial_file(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    noise = RNG.integers(0, 255, (512, 512, 3), dtype=np.uint8)
    for i in range(80):
        Image.fromarray(np.roll(noise, i, axis=0)).save(src / f"{i:02d}.png", compress_level=1)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "maxpool_cli", "run", str(src), "-o", str(out), "-j", "2"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (out.exists() and any(out.glob("*.png"))):
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    said = stderr.decode().strip().splitlines()[-1]
    assert re.fullmatch(
        r"Interrupted: \d+ done, 0 skipped, 0 failed, \d+ not done \(no partial file is left\); "
        r"run the same command again to go on where it stopped\.",
        said,
    ), said
    done, remaining = map(int, re.findall(r"(\d+) (?:done|not done)", said))
    names = [p.name for p in out.iterdir() if p.name != ".maxpool-batch.json"]
    assert done + remaining == 80
    assert not [n for n in names if n.startswith(".") or n.endswith(".part")]  # no temporaries
    assert 0 < len(names) < 80
    assert done == len(names)  # what it says is done is what is on disk
    for name in names:  # every output there is whole
        assert mio.read(out / name).single().shape == (256, 256, 3)
    # The workers are gone too: nothing of ours is left running.
    assert _processes_mentioning(str(src)) == []
    rerun = subprocess.run(command, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert len(_outputs(out)) == 80


def test_a_folder_with_nothing_to_pool_is_an_error_and_makes_no_output(tmp_path: Path) -> None:
    src = tmp_path / "notes"
    src.mkdir()
    (src / "readme.md").write_text("no arrays here")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", str(src), "-o", str(out)])
    assert result.exit_code == 1
    assert f"{src}: no file to pool: expected files with one of the extensions" in result.stderr
    assert "(-r goes into subfolders)" in result.stderr
    assert not out.exists()


def test_info_on_a_folder_with_nothing_to_describe_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["info", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{tmp_path}: no file to describe: expected files with one of the" in result.stderr


def test_an_output_removed_the_moment_it_is_written_fails_that_file_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from maxpool_cli.jobs import batch

    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        np.save(src / f"{i}.npy", np.arange(16).reshape(4, 4) + i)
    real = batch.pool_to_file

    def then_removed(source: Path, target: Path, settings: object) -> object:
        report = real(source, target, settings)  # type: ignore[arg-type]
        if source.name == "1.npy":
            target.unlink()  # another process, at just that moment
        return report

    monkeypatch.setattr(batch, "pool_to_file", then_removed)
    out = tmp_path / "out"
    done = CliRunner().invoke(cli, ["run", str(src), "-o", str(out), "--json"])
    assert done.exit_code == 1, done.output
    records = [json.loads(line) for line in done.stdout.splitlines()]
    status = {Path(r["input"]).name: r["status"] for r in records if "input" in r}
    assert status == {"0.npy": "done", "1.npy": "failed", "2.npy": "done"}
    failed = next(r for r in records if r.get("status") == "failed")
    assert "gone before it could be checked" in failed["reason"]
    assert sorted(_outputs(out)) == ["0.npy", "2.npy"]
