"""The command line gives no silent surprise: in a pipe, a terminal, a folder or a rerun.

One test (or a few) per behaviour, run as a user would: CliRunner for the plain cases, a
subprocess with a pipe or a file for standard output, and a pseudo-terminal where a terminal
is what matters.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from terminal import run_in_terminal

from maxpool_cli import pool
from maxpool_cli.cli import cli

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
CLASSIC = SAMPLE / "classic_4x4.npy"
ASTRONAUT = SAMPLE / "astronaut.png"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _parse_grid(lines: list[str]) -> dict[tuple[int, int], float]:
    """Cells of printed tables (a header of column numbers, then numbered rows), blocks
    separated by blank lines, as ``{(row, column): value}``."""
    cells: dict[tuple[int, int], float] = {}
    block: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            block.append(line)
            continue
        if block:
            columns = [int(c) for c in block[0].split()]
            for row_line in block[1:]:
                row, *values = row_line.split()
                cells.update({(int(row), c): float(v) for c, v in zip(columns, values)})
        block = []
    return cells


# --- 1. printing never drops a digit ----------------------------------------------------------


@pytest.fixture
def m40(tmp_path: Path) -> tuple[Path, np.ndarray]:
    x = np.random.default_rng(40).normal(size=(40, 40)) * 10.0 ** np.arange(-20, 20)
    np.save(tmp_path / "m40.npy", x)
    return tmp_path / "m40.npy", pool(x, 2)


def test_piped_output_holds_every_value_in_full(m40: tuple[Path, np.ndarray]) -> None:
    path, expected = m40
    done = subprocess.run(
        [sys.executable, "-m", "maxpool_cli", "run", str(path), "-k", "2"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"{path}: input (40, 40) float64 -> output (20, 20) float64")
    assert "…" not in done.stdout
    assert "\x1b[" not in done.stdout
    cells = _parse_grid(lines[1:])
    assert len(cells) == 400
    assert all(cells[i, j] == expected[i, j] for i, j in cells)  # bit for bit


def test_narrow_terminal_splits_columns_into_blocks(m40: tuple[Path, np.ndarray]) -> None:
    path, expected = m40
    screen = run_in_terminal(["run", str(path), "-k", "2"], columns=60)
    assert screen.code == 0, screen.stderr
    assert "…" not in screen.text
    lines = screen.text.splitlines()
    assert max(len(line) for line in lines[1:]) <= 60  # the header line may wrap, cells not
    cells = _parse_grid(lines[1:])
    assert len(cells) == 400
    assert all(cells[i, j] == expected[i, j] for i, j in cells)
    assert "\x1b[" in screen.raw  # the heat map's colours, on a terminal


# --- 2. an (H, W, 3) array pooled across its channels gets a word -----------------------------


def test_channels_last_array_gets_a_note(runner: CliRunner, tmp_path: Path) -> None:
    np.save(tmp_path / "astro.npy", np.asarray(Image.open(ASTRONAUT)))
    result = runner.invoke(cli, ["run", str(tmp_path / "astro.npy"), "-k", "2", "-q"])
    assert result.exit_code == 0
    assert "output" not in result.stdout
    assert "like an image's channels" in result.stderr
    assert "pass --axes 0,1" in result.stderr
    right = runner.invoke(cli, ["run", str(tmp_path / "astro.npy"), "--axes", "0,1", "-q"])
    assert right.stderr == ""
    np.save(tmp_path / "features.npy", np.zeros((3, 8, 8)))  # (C, H, W): no note
    assert runner.invoke(cli, ["run", str(tmp_path / "features.npy"), "-q"]).stderr == ""


# --- 3. previews: in colour only, scaled to the terminal --------------------------------------


def test_preview_only_in_colour_and_scaled_down() -> None:
    coloured = run_in_terminal(["run", str(ASTRONAUT), "-k", "4"], columns=120)
    assert coloured.code == 0, coloured.stderr
    assert "▀" in coloured.text
    no_colour = run_in_terminal(["run", str(ASTRONAUT), "-k", "4"], env={"NO_COLOR": "1"})
    assert no_colour.code == 0
    assert "▀" not in no_colour.text
    assert "\x1b[3" not in no_colour.raw  # no colours
    assert "\x1b[4" not in no_colour.raw
    narrow = run_in_terminal(["run", str(ASTRONAUT), "-k", "4"], columns=40)
    assert narrow.code == 0
    preview = [line for line in narrow.text.splitlines() if "▀" in line]
    assert preview
    assert all(len(line) <= 40 and "…" not in line for line in preview)
    assert max(line.count("▀") for line in preview) == 2 * 19  # two images of 19 columns


# --- 4. one vocabulary -------------------------------------------------------------------------


def test_info_says_padding_as_run_does(runner: CliRunner) -> None:
    info = runner.invoke(cli, ["info", str(CLASSIC), "-k", "2"])
    assert "padding valid" in info.stdout
    run = runner.invoke(cli, ["run", str(CLASSIC), "-k", "3", "-s", "2", "-p", "same"])
    info = runner.invoke(cli, ["info", str(CLASSIC), "-k", "3", "-s", "2", "-p", "same"])
    assert "padding same (0:1, 0:1)" in run.stdout
    assert "padding same (0:1, 0:1)" in info.stdout


# --- 5. -o DIR/ ---------------------------------------------------------------------------------


def test_output_folder_keeps_the_name_and_parents_are_made(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(cli, ["run", str(CLASSIC), "-o", f"{tmp_path / 'newdir'}/"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "newdir" / "classic_4x4.npy").is_file()
    existing = tmp_path / "existing"
    existing.mkdir()
    result = runner.invoke(cli, ["run", str(ASTRONAUT), "-o", str(existing), "-f", "tiff"])
    assert result.exit_code == 0, result.stderr
    assert (existing / "astronaut.tif").is_file()
    deep = tmp_path / "a" / "b" / "c.npy"
    assert runner.invoke(cli, ["run", str(CLASSIC), "-o", str(deep)]).exit_code == 0
    np.testing.assert_array_equal(np.load(deep), [[6, 8], [3, 4]])


# --- 6. conflicts refused before any work; nothing clipped silently ---------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-o", "{tmp}/out.npy", "-f", "png"],
            "the extension names NPY but -f/--format asks for PNG",
        ),
        (["-o", "{tmp}/out.foo"], "unknown extension '.foo'; expected one of .bmp, .csv, .gif"),
        (["--pad-value", "0"], "--pad-value: there is no padding to fill (-p valid)"),
        (
            ["--indices", "{tmp}/i.png"],
            "--indices {tmp}/i.png: indices are written as .npy or .npz",
        ),
        (
            ["-o", "{tmp}/out.npy", "--compress-level", "6"],
            "--compress-level: sets the zlib level of PNG and TIFF outputs; {tmp}/out.npy is NPY",
        ),
        (["-o", "{tmp}/out/", "--compress-level", "6"], "{tmp}/out/classic_4x4.npy is NPY"),
        (["--compress-level", "6"], "--compress-level: applies to a file written; expected -o"),
    ],
)
def test_conflicts_are_refused_before_any_work(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    args = [a.format(tmp=tmp_path) for a in args]
    result = runner.invoke(cli, ["run", str(CLASSIC), *args])
    assert result.exit_code == 2
    assert message.format(tmp=tmp_path) in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_sums_are_never_clipped_into_an_image(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "sum.png"
    result = runner.invoke(cli, ["run", str(ASTRONAUT), "--op", "sum", "-o", str(out)])
    assert result.exit_code == 1
    assert "values 0 to 1020 do not fit a uint8 image (mode RGB), which would clip them" in (
        result.stderr
    )
    assert not out.exists()
    grey = tmp_path / "grey.png"
    Image.open(ASTRONAUT).convert("L").save(grey)
    held = runner.invoke(cli, ["run", str(grey), "--op", "sum", "-o", str(tmp_path / "sum.tif")])
    assert held.exit_code == 0, held.stderr
    assert "written as a 32-bit TIFF (mode I)" in held.stderr
    expected = pool(np.asarray(Image.open(grey)), 2, op="sum")
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "sum.tif")), expected)
    averaged = runner.invoke(cli, ["run", str(grey), "--op", "avg", "-o", str(tmp_path / "a.png")])
    assert "values rounded to uint8 to fit a PNG image (mode L)" in averaged.stderr


# --- 7. binary to a terminal, waiting on a terminal, a table into an image file ---------------


def test_binary_output_to_a_terminal_is_refused() -> None:
    screen = run_in_terminal(["run", str(ASTRONAUT), "-o", "-"])
    assert screen.code == 2
    assert "-o -: standard output is a terminal" in screen.stderr
    assert "PNG" not in screen.text
    assert "\x89" not in screen.raw


def test_reading_a_terminal_says_so() -> None:
    screen = run_in_terminal(["run", "-"], stdin_terminal=True, keys=b"\x04")  # Ctrl-D
    assert "reading standard input (end it with Ctrl-D)" in screen.stderr
    assert screen.code == 1
    assert "<stdin>: not a supported file: it is empty" in screen.stderr


def test_table_redirected_into_an_image_file_gets_a_note(tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    with out.open("wb") as f:
        done = subprocess.run(
            [sys.executable, "-m", "maxpool_cli", "run", str(ASTRONAUT)],
            stdout=f,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert done.returncode == 0
    assert f"printed a table of values into {out}, not an image or array" in done.stderr
    assert f"use -o {out}" in done.stderr


# --- 8-11. batches: other options, JSON Lines, unwritable folders, grouped failures ------------


def test_rerun_with_other_options_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        np.save(src / f"{i}.npy", np.arange(64.0).reshape(8, 8) + i)
    out = tmp_path / "out"
    assert runner.invoke(cli, ["run", str(src), "-o", str(out), "-k", "2"]).exit_code == 0
    other = runner.invoke(cli, ["run", str(src), "-o", str(out), "-k", "4", "--op", "avg"])
    assert other.exit_code == 1
    assert other.stderr.strip() == (
        f"Error: {out}: holds outputs made with -k 2 (now 4), --op max (now avg); pass "
        f"--overwrite to replace them, or choose another -o"
    )
    np.testing.assert_array_equal(np.load(out / "0.npy"), pool(np.load(src / "0.npy"), 2))
    same = runner.invoke(cli, ["run", str(src), "-o", str(out), "-k", "2", "--json"])
    assert json.loads(same.stdout.splitlines()[-1])["summary"]["skipped"] == 3
    redo = runner.invoke(cli, ["run", str(src), "-o", str(out), "-k", "4", "--overwrite"])
    assert redo.exit_code == 0, redo.stderr
    np.testing.assert_array_equal(np.load(out / "0.npy"), pool(np.load(src / "0.npy"), 4))
    again = runner.invoke(cli, ["run", str(src), "-o", str(out), "-k", "4", "--json"])
    assert json.loads(again.stdout.splitlines()[-1])["summary"]["skipped"] == 3


def test_batch_json_lines_stream_as_files_finish(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(6):
        np.save(src / f"{i}.npy", np.zeros((512, 512)))
    process = subprocess.Popen(
        [sys.executable, "-m", "maxpool_cli", "run", str(src), "-o", str(tmp_path / "o"), "--json"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = json.loads(process.stdout.readline())  # before the batch is over
    assert first["status"] == "done"
    rest = [json.loads(line) for line in process.stdout]
    assert process.wait() == 0
    assert [r["status"] for r in rest[:-1]] == ["done"] * 5
    assert rest[-1]["summary"]["done"] == 6


def test_unwritable_output_folder_is_one_error(runner: CliRunner, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(20):
        np.save(src / f"{i}.npy", np.zeros((4, 4)))
    blocker = tmp_path / "file"
    blocker.write_text("a file where the output folder's parent should be")
    result = runner.invoke(cli, ["run", str(src), "-o", str(blocker / "out")])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"Error: {blocker / 'out'}: cannot write into it")
    assert result.stdout == ""


def test_failures_are_grouped_by_reason(runner: CliRunner, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(5):
        (src / f"bad{i}.npy").write_bytes(b"\x93NUMPY")
    np.save(src / "good.npy", np.zeros((4, 4)))
    result = runner.invoke(cli, ["run", str(src), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    grouped = [line for line in result.stdout.splitlines() if "not a valid .npy header" in line]
    assert len(grouped) == 1
    example = r".*bad\d\.npy"
    pattern = rf"^\s+5  not a valid \.npy header: .*: {example}, {example}, {example} and 2 more$"
    assert re.match(pattern, grouped[0]), grouped[0]


# --- 12. the command line's words ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["-p", "same", "--ceil-mode"], 2, "--ceil-mode: has no effect with -p same"),
        (["--count-pad"], 2, "--count-pad: only applies to --op avg, got --op max"),
        (["-p", "1", "--pad-value", "0", "--indices", "i.npy"], 2, "--indices: cannot be combined"),
        (["-k", "0"], 2, "--kernel: expected integers >= 1, got 0"),
        (["-d", "0"], 2, "--dilation: expected integers >= 1, got 0"),
        (["-p", "1", "--pad-value", "0.5"], 2, "--pad-value: expected an integer for uint8 input"),
        (["--output-size", "2", "-s", "1"], 2, "expected no --stride"),
        # Errors of the options with this file's shape are the file's failure.
        (["-k", "2,2,2"], 1, "--kernel: got 3 values but the input has only 2 dimensions"),
        (["--axes", "5"], 1, "--axes: axis 5 is out of range"),
    ],
)
def test_messages_name_flags(runner: CliRunner, args: list[str], code: int, says: str) -> None:
    result = runner.invoke(cli, ["run", str(CLASSIC), *args])
    assert result.exit_code == code, result.stderr
    assert says in result.stderr
    for library_word in ("ceil_mode", "count_pad", "pad_value", "return_indices", "output_size"):
        assert library_word not in result.stderr


def test_common_slips_get_a_pointer(runner: CliRunner) -> None:
    mean = runner.invoke(cli, ["run", str(CLASSIC), "--op", "mean"])
    assert mean.exit_code == 2
    assert "'mean' is not one of max, min, avg, sum, mode; did you mean 'avg'?" in mean.stderr
    missing_command = runner.invoke(cli, [str(CLASSIC), "-k", "2"])
    assert missing_command.exit_code == 2
    assert f"to pool a file, name the command: maxpool run {CLASSIC} -k 2" in missing_command.stderr
    debug_after = runner.invoke(cli, ["run", str(CLASSIC), "-k", "9", "--debug"])
    assert debug_after.exit_code == 1
    assert "Traceback" in debug_after.stderr
    assert "kernel spans 9 cells" in debug_after.stderr


def test_control_characters_in_names_stay_on_one_line(runner: CliRunner, tmp_path: Path) -> None:
    weird = tmp_path / "two\nlines.npy"
    weird.write_bytes(b"\x93NUMPY")
    result = runner.invoke(cli, ["run", str(weird)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "two\\nlines.npy" in result.stderr


# --- 13. shell completion completes file names -------------------------------------------------


@pytest.mark.parametrize("words", ["maxpool run sam", "maxpool run x.npy -o sm", "maxpool info sa"])
def test_completion_offers_files(words: str) -> None:
    env = {
        **os.environ,
        "_MAXPOOL_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - 1),
    }
    done = subprocess.run(
        [sys.executable, "-m", "maxpool_cli"], env=env, capture_output=True, text=True
    )
    assert done.stdout.splitlines()[0].startswith("file,")


# --- 14. info: folders, missing files, a fast dry run -------------------------------------------


def test_info_takes_folders_and_goes_on_after_a_missing_file(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["info", str(SAMPLE), "missing.npy", "--glob", "*.npy", "-k", "2"])
    assert result.exit_code == 1
    assert result.stderr == "Error: missing.npy: no such file or folder\n"
    assert f"{CLASSIC}  NPY" in result.stdout
    assert "astronaut" not in result.stdout  # --glob


def test_info_does_not_read_a_large_file(runner: CliRunner, tmp_path: Path) -> None:
    big = tmp_path / "big.npy"
    with big.open("wb") as f:  # a 1.6 GB float32 array, sparse on disk
        np.lib.format.write_array_header_1_0(
            f, {"descr": "<f4", "fortran_order": False, "shape": (20000, 20000)}
        )
        f.truncate(f.tell() + 20000 * 20000 * 4)
    start = time.perf_counter()
    result = runner.invoke(cli, ["info", str(big), "-k", "2", "--json"])
    assert time.perf_counter() - start < 2
    assert result.exit_code == 0, result.stderr
    array = json.loads(result.stdout)["arrays"][0]
    assert array["input_shape"] == [20000, 20000]
    assert array["output_shape"] == [10000, 10000]
    assert "input_range" not in array  # not read: the range costs a full pass
    small = runner.invoke(cli, ["info", str(CLASSIC), "--json"])
    assert json.loads(small.stdout)["arrays"][0]["input_range"] == [0, 8]


def test_running_out_of_memory_is_one_line_not_a_bug_report(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small allocations are made without asking the system first; when one fails anyway
    # (another process took the memory), the user gets the way out, not "this is a bug".
    from maxpool_cli.jobs import one_file

    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(one_file, "pool_document", exhausted)
    np.save(tmp_path / "x.npy", np.zeros((4, 4)))
    result = runner.invoke(cli, ["run", str(tmp_path / "x.npy"), "-o", str(tmp_path / "y.npy")])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: out of memory; a smaller --memory-limit pools .npy and TIFF files band by band"
    ]
    assert not (tmp_path / "y.npy").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["-p", "1", "--pad-value", "0", "--indices", "i.npy"],
        ["--op", "avg", "--indices", "i.npy"],
        ["--count-pad", "-o", "i.npy"],
    ],
)
def test_contradictions_are_refused_before_an_existing_output(
    runner: CliRunner, args: list[str], tmp_path: Path
) -> None:
    (tmp_path / "i.npy").write_bytes(b"left by an earlier example")
    result = runner.invoke(cli, ["run", str(CLASSIC), *args])
    assert result.exit_code == 2, result.stderr
    assert "already exists" not in result.stderr
    assert (tmp_path / "i.npy").read_bytes() == b"left by an earlier example"
