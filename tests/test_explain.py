"""``maxpool explain``: the lesson (words, formulas, steps), its pictures, and ``--code``.

Oracles: hand-worked numbers of the classic 4x4 and the tutorial's 5x5 examples, the engine's
``pool`` (every walked step, and the executed NumPy snippets), the plain-loop reference's full
walk, and stored expected snippet texts (their PyTorch and TensorFlow runs are checked by hand
with ``tests/golden/verify_snippets.py``).
"""

from __future__ import annotations

import fcntl
import math
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from terminal import ANSI, run_in_terminal

import maxpool_cli
from maxpool_cli import MaxpoolError, adaptive_pool, pool
from maxpool_cli.cli import cli
from maxpool_cli.cli.pictures import SMALL as SMALL_CELL
from maxpool_cli.engine import adaptive_geometry, pool_geometry
from maxpool_cli.engine.kernels import OPS
from maxpool_cli.engine.reference import walk
from maxpool_cli.jobs.lesson import explanation
from maxpool_cli.jobs.options import PoolOptions
from maxpool_cli.jobs.snippets import LITERAL_UP_TO, Data, snippet

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
SNIPPETS = Path(__file__).resolve().parent / "data" / "snippets"
CLASSIC = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])
TUTORIAL = np.arange(25, dtype=np.float64).reshape(5, 5) - 12  # negative values, 5x5


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def explain(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, ["explain", *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def output_grid(stdout: str) -> np.ndarray:
    """The numbers of the grid after the final 'Output:' line."""
    rows = stdout.split("Output:\n")[-1].strip("\n").splitlines()[1:]
    return np.array([[float(v) for v in r.split()[1:]] for r in rows])


# --- the lesson in words ----------------------------------------------------------------------


def test_the_classic_example_reads_as_a_lesson(runner: CliRunner) -> None:
    out = explain(runner)
    assert "Each output cell is the largest value of a 2x2 window of the input." in " ".join(
        out.split()
    )
    assert "so they tile the input without overlapping" in " ".join(out.split())
    # dilation 1: the formula has the kernel, not e = d*(k - 1) + 1
    assert "Output size: out = floor((n - k) / s) + 1\n" in out
    assert "  rows     out = floor((4 - 2) / 2) + 1 = 2\n" in out
    assert "e = " not in out
    assert out.count("Step ") == 4
    assert "Step 1 of 4: output [0, 0] reads rows 0, 1; columns 0, 1" in out
    assert "max(1, 1, 5, 6) = 6  (input [1, 1], flat index 5)" in out
    # the window bracketed, the winner marked; the output filling in, its cell marked
    assert "0[1][1] 2  4     0<6>\n" in out
    assert "1[5]<6> 7  8     1\n" in out
    assert "0 1  1 [2][4]    0 6 <8>\n" in out
    np.testing.assert_array_equal(output_grid(out), [[6, 8], [3, 4]])


def test_the_tutorials_5x5_with_padding_1_gives_3x3(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "t.npy"
    np.save(path, TUTORIAL)
    out = explain(runner, str(path), "-k", "2", "-s", "2", "-p", "1")
    assert "  rows     out = floor((5 + 1 + 1 - 2) / 2) + 1 = 3\n" in out
    assert "The input is padded with 1 cell on every side. Padded cells (·) never win." in (
        " ".join(out.split())
    )
    # padding is labelled p, never -1 (which Python users read as "the last")
    assert not re.search(r"^-1", out, re.MULTILINE)  # no row is labelled -1
    headers = [line for line in out.splitlines() if re.match(r"^ +p +0 ", line)]
    assert headers
    assert not any("-1" in line for line in headers)
    assert "Input, with its padding (p):\n    p    0    1    2    3    4    p\n" in out
    assert "\n0   ·  -12  -11  -10   -9   -8    ·\n" in out
    assert "Step 1 of 9: output [0, 0] reads rows p, 0; columns p, 0" in out
    # a negative value wins over the padding: zero padding would have given 0
    assert "max(·, ·, ·, -12) = -12  (input [0, 0], flat index 0)" in out
    np.testing.assert_array_equal(output_grid(out), pool(TUTORIAL, 2, padding=1))


def test_avg_shows_the_division_and_pytorchs_default(runner: CliRunner) -> None:
    out = explain(runner, "-k", "2", "-p", "1", "--op", "avg")
    assert "avg(·, ·, ·, 1) = 1 / 1 = 1\n" in out
    note = " ".join(out.split("avg(·, ·, ·, 1) = 1 / 1 = 1\n")[1].split("input")[0].split())
    assert note == (
        "PyTorch's F.avg_pool2d counts padded cells as zeros by default "
        "(count_include_pad=True): 1 / 4 = 0.25 here; --count-pad does that."
    )
    assert out.count("count_include_pad") == 1  # said once
    counted = explain(runner, "-k", "2", "-p", "1", "--op", "avg", "--count-pad")
    assert "avg(0, 0, 0, 1) = 1 / 4 = 0.25\n" in counted
    assert "count_include_pad=True): " not in counted
    np.testing.assert_array_equal(
        output_grid(counted), pool(CLASSIC, 2, padding=1, op="avg", count_pad=True)
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["-k", "3", "-s", "1"], "so neighbours overlap by 2 cells."),
        (["-k", "2", "-s", "3"], "so 1 cell is skipped between windows."),
        (
            ["-k", "2", "-s", "1", "-d", "2"],
            "that reads every 2nd cell along each axis (dilation 2x2), so it spans 3x3",
        ),
        (["-k", "2", "-s", "1", "-d", "1,3"], "reads every row and every 3rd column"),
        (["-k", "2", "-s", "1", "-p", "1", "--pad-value", "9"], "Padded cells hold 9"),
        (["-k", "3", "-s", "2", "-p", "same"], "SAME padding adds rows: 0 above, 1 below;"),
        (["-k", "3", "-s", "2", "-p", "1", "--ceil-mode"], "Sizes are rounded up"),
        (["-k", "2", "--op", "mode"], "the most frequent value (the smallest, on a tie)"),
        (["-k", "2", "--op", "sum", "-p", "1"], "Padded cells (·) add nothing."),
    ],
    ids=str,
)
def test_the_first_words_say_what_the_options_do(
    runner: CliRunner, args: list[str], words: str
) -> None:
    out = explain(runner, *args)
    intro = " ".join(out.split("\n\n")[1].split())
    assert words in intro


def intro_of(out: str) -> str:
    """The lesson's first paragraph, on one line."""
    return " ".join(out.split("\n\n")[1].split())


def test_cells_no_window_reads_are_named_and_never_tiled(runner: CliRunner, tmp_path: Path) -> None:
    # 4x4, kernel 3, stride 3: one window (rows and columns 0..2); the floor leaves out 3
    assert intro_of(explain(runner, "-k", "3")) == (
        "Each output cell is the largest value of a 3x3 window of the input. The windows "
        "move 3 cells at a time, down and across, so they do not overlap. No window reads "
        "row 3 or column 3: the floor in the size formula drops the 1 cell after the last "
        "window."
    )
    # 10 cells, kernel 3, stride 3: windows 0..2, 3..5, 6..8; floor((10 - 3) / 3) = 2 drops 9
    path = tmp_path / "ten.npy"
    np.save(path, np.arange(10))
    words = intro_of(explain(runner, str(path), "-k", "3", "-s", "3"))
    assert "tile" not in words
    assert words.endswith(
        "so they do not overlap. No window reads position 9: the floor in the size formula "
        "drops the 1 cell after the last window."
    )
    # kernel 2, dilation 2, stride 3 on 4: one window reading 0 and 2; 1 between its taps
    assert intro_of(explain(runner, "-k", "2", "-d", "2", "-s", "3")).endswith(
        "No window reads rows 1 and 3 or columns 1 and 3: the floor in the size formula "
        "drops the 1 cell after the last window; dilation 2 reads every 2nd cell, and no "
        "window lands on the ones between."
    )
    # stride 3 over windows of 2 on 9 cells: windows 0..1, 3..4, 6..7; 2 and 5 between
    # them, and floor((9 - 2) / 3) = 2 leaves 8 after the last
    np.save(path, np.arange(9))
    assert intro_of(explain(runner, str(path), "-k", "2", "-s", "3")).endswith(
        "so 1 cell is skipped between windows. No window reads positions 2, 5 and 8: the "
        "floor in the size formula drops the 1 cell after the last window; the windows are "
        "2 cells wide and 3 apart, so the cells between them are skipped."
    )
    # rounded up, kernel 1, stride 3 on 5: windows at 0 and 3 (one at 6 would start past
    # the input); 4 is skipped as 1 and 2 are, not dropped by a floor
    np.save(path, np.arange(5))
    words = intro_of(explain(runner, str(path), "-k", "1", "-s", "3", "--ceil-mode"))
    assert (
        "No window reads positions 1, 2 and 4: the windows are 1 cell wide and 3 apart, so the "
        "cells between them are skipped."
    ) in words
    # rows read whole, columns not
    assert intro_of(explain(runner, "-k", "2,3", "-s", "2,3")).endswith(
        "so they do not overlap. No window reads column 3: the floor in the size formula "
        "drops the 1 cell after the last window."
    )
    # each axis its own reason
    assert intro_of(explain(runner, "-k", "2,3", "-s", "3")).endswith(
        "No window reads rows 2 and 3 (the floor in the size formula drops the 2 cells after "
        "the last window) or column 3 (the floor in the size formula drops the 1 cell after "
        "the last window)."
    )
    # every cell read once: the windows tile it
    assert "so they tile the input without overlapping." in intro_of(explain(runner))
    assert "No window reads" not in intro_of(explain(runner, "-k", "3", "-s", "1"))


def test_a_long_list_of_unread_cells_is_cut_in_the_middle(tmp_path: Path) -> None:
    # kernel 1, stride 4 on 26 cells: windows at 0, 4, ..., 24; the 19 others unread
    lesson = explanation("x", np.arange(26), PoolOptions(kernel=1, stride=4))
    assert lesson.result.shape == (7,)
    from maxpool_cli.cli.render_explain import intro

    assert intro(lesson) == (
        "Each output cell is the largest value of a window of 1 cell of the input. The "
        "windows move 4 cells at a time, so 3 cells are skipped between windows. No window "
        "reads positions 1 to 3, 5 to 7, 9 to 11, ..., 25 (19 positions): the floor in the "
        "size formula drops the 1 cell after the last window; the windows are 1 cell wide "
        "and 4 apart, so the cells between them are skipped."
    )


def test_ordinals() -> None:
    from maxpool_cli.cli.render_explain import ordinal

    words = [ordinal(n) for n in (1, 2, 3, 4, 10, 11, 12, 13, 21, 22, 23, 101, 111, 112, 123)]
    assert words == [
        "1st", "2nd", "3rd", "4th", "10th", "11th", "12th", "13th",
        "21st", "22nd", "23rd", "101st", "111th", "112th", "123rd",
    ]  # fmt: skip


def test_a_tie_says_the_first_cell_in_row_order_wins(runner: CliRunner, tmp_path: Path) -> None:
    out = explain(runner, "-k", "2", "--op", "min")
    assert (
        "  min(1, 1, 5, 6) = 1  (input [0, 0], flat index 0; 2 cells hold 1: the first in\n"
        "    row order wins, as PyTorch's index does)\n"
    ) in out
    assert "  min(2, 4, 7, 8) = 2  (input [0, 2], flat index 2)\n" in out  # no tie
    path = tmp_path / "t.npy"
    np.save(path, np.array([[3, 2, 1], [1, 2, 3], [0, 3, 0]]))
    out = explain(runner, str(path), "-k", "3")
    assert (
        "max(3, 2, 1, 1, 2, 3, 0, 3, 0) = 3 (input [0, 0], flat index 0; 3 cells hold 3: the "
        "first in row order wins, as PyTorch's index does)"
    ) in " ".join(out.split())
    assert "0<3>[2][1]    0<3>\n" in out  # the first 3 is the one marked


@pytest.mark.parametrize("columns", [60, 80])
def test_words_wrap_at_words_to_the_width(runner: CliRunner, columns: int) -> None:
    args = ["explain", "-k", "3", "-s", "2", "-p", "same", "--op", "min"]
    out = runner.invoke(cli, args, env={"COLUMNS": str(columns)}).stdout
    words = [line for line in out.splitlines() if not re.match(r"^[ p\d]*[ \[<]", line)]
    assert all(len(line) <= columns for line in out.split("\nInput")[0].splitlines())
    assert max(len(line) for line in words) <= columns
    header = out.split("\n\n")[0]
    assert " ".join(header.split()) == (
        "the classic 4x4 example: input (4, 4) int64 -> output (2, 2) int64, min, kernel 3x3, "
        "stride 2x2, padding same (0:1, 0:1)"
    )
    formulas = out.split("\n\n")[2]
    from maxpool_cli.cli.render_explain import formulas as formula_lines

    lesson = explanation("x", CLASSIC, PoolOptions(kernel=3, stride=2, padding="same"))
    assert formulas.split() == " ".join(formula_lines(lesson)).split()  # no word broken
    if columns == 80:
        assert formulas.splitlines()[:3] == [
            "Output size: out = ceil(n / s); padding = max((out - 1)*s + k - n, 0), the odd",
            "  cell after",
            "  rows     out = ceil(4 / 2) = 2; padding = max((2 - 1)*2 + 3 - 4, 0) = 1: 0",
        ]
        assert formulas.splitlines()[3] == "           before, 1 after"


def test_dilation_shows_the_effective_kernel(runner: CliRunner) -> None:
    out = explain(runner, "-k", "2", "-s", "1", "-d", "2")
    assert "Output size: out = floor((n - e) / s) + 1, with e = d*(k - 1) + 1\n" in out
    assert "  rows     e = 2*(2 - 1) + 1 = 3; out = floor((4 - 3) / 1) + 1 = 2\n" in out


def test_one_dimension_reads_well(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "s.npy"
    np.save(path, np.array([3.0, np.nan, 4, 1, 5, 9, 2, 6]))
    out = explain(runner, str(path), "-k", "3", "-s", "2", "-d", "2")
    assert "  positions  e = 2*(3 - 1) + 1 = 5; out = floor((8 - 5) / 2) + 1 = 2\n" in out
    assert "A window holding a NaN gives NaN." in " ".join(out.split())
    assert "Step 1 of 2: output [0] reads positions 0, 2, 4" in out
    out = explain(runner, str(path), "-k", "3", "-s", "2", "--op", "avg", "--nan", "ignore")
    assert "avg(3, nan, 4) = 7 / 2 = 3.5  (NaN skipped)" in out
    out = explain(runner, str(path), "-k", "2")
    assert "max(3, nan) = nan  (a NaN wins: it propagates)" in out


def test_mode_says_how_often_and_breaks_ties(runner: CliRunner) -> None:
    out = explain(runner, "-k", "2", "--op", "mode")
    assert "mode(1, 1, 5, 6) = 1  (1 appears 2 times)" in out
    assert "mode(2, 4, 7, 8) = 2  (2, 4, 7, 8 appear 1 time each: the smallest wins)" in out
    assert "0<1><1> 2  4" in out  # every copy of the mode marked
    np.testing.assert_array_equal(output_grid(out), pool(CLASSIC, 2, op="mode"))


def test_adaptive_windows(runner: CliRunner) -> None:
    out = explain(runner, "--output-size", "3")
    assert "  rows     n = 4, out = 3: [0, 2) [1, 3) [2, 4)\n" in out
    np.testing.assert_array_equal(output_grid(out), adaptive_pool(CLASSIC, 3))


# --- every step against the engine and the reference -------------------------------------------


LESSONS = [
    PoolOptions(),
    PoolOptions(kernel=3, stride=2, padding=1),
    PoolOptions(kernel=3, stride=2, padding="same", op="avg"),
    PoolOptions(kernel=2, stride=1, dilation=2, op="min"),
    PoolOptions(kernel=3, stride=2, padding=1, ceil_mode=True, op="avg", count_pad=True),
    PoolOptions(kernel=2, stride=3, padding=((1, 0), (0, 1)), pad_value=9.0),
    PoolOptions(kernel=(3, 1), stride=1, op="sum"),
    PoolOptions(kernel=2, op="mode", padding=1),
    PoolOptions(kernel=2, axes=(1,)),
    PoolOptions(output_size=(3, 2), op="avg"),
]


@pytest.mark.parametrize("options", LESSONS, ids=str)
def test_every_step_is_the_engines_result(options: PoolOptions) -> None:
    x = np.array([[1.5, -2, np.nan, 4, 0], [5, 6, 7, 8, -1], [3, 2, 1, 0, 2]])
    if options.op == "mode":  # (integer data)
        x = np.nan_to_num(x).astype(np.int64)
    lesson = explanation("x", x, options, steps=0)
    assert [n for n, _ in lesson.steps] == list(range(1, lesson.total + 1))
    for _, step in lesson.steps:
        expected = lesson.result[step.out_index]
        if math.isnan(float(expected)):
            assert math.isnan(float(step.value))  # type: ignore[arg-type]
        else:  # the reference adds in Python floats, the engine in float64: a few ulp
            assert float(step.value) == pytest.approx(float(expected), rel=1e-12)  # type: ignore[arg-type]


@pytest.mark.parametrize("options", LESSONS[:-1], ids=str)
def test_walking_one_window_at_a_time_is_the_full_walk(options: PoolOptions) -> None:
    x = np.arange(30.0).reshape(5, 6) % 7 - 3
    x = x.astype(np.int64) if options.op == "mode" else x
    lesson = explanation("x", x, options, steps=0)
    full = list(
        walk(x, lesson.geometry, options.op, options.pad_value, options.count_pad, options.nan)  # type: ignore[arg-type]
    )

    def facts(step: object) -> tuple[object, ...]:
        s = step
        return (s.out_index, s.cells, s.values, s.value, s.index)  # type: ignore[attr-defined]

    assert [facts(s) for _, s in lesson.steps] == [facts(s) for s in full]


# --- large inputs: the first and last steps, a patch, a channel -------------------------------


def test_a_large_image_shows_its_first_and_last_steps(runner: CliRunner) -> None:
    image = str(SAMPLE / "astronaut.png")
    out = explain(runner, image, "--channel", "0", "-k", "3", "-s", "2", "-p", "same")
    steps = re.findall(r"^Step (\d+) of 65536", out, re.MULTILINE)
    assert steps == ["1", "2", "3", "65534", "65535", "65536"]
    assert "... 65530 more steps ..." in out
    assert (  # (wrapped at 80 columns, at a word)
        "Step 65536 of 65536: output [255, 255] reads rows 510, 511, p; columns 510, 511,\n  p\n"
        in out
    )
    # each step shows the part of the input around its window, labelled with its positions
    last = out.split("Step 65536 of 65536")[1]
    assert "  508  509  510  511    p" in last
    four = explain(runner, image, "--channel", "0", "-k", "2", "--steps", "4")
    assert re.findall(r"^Step (\d+) of", four, re.MULTILINE) == ["1", "2", "65535", "65536"]


def test_crop_and_channel_walk_a_patch(runner: CliRunner) -> None:
    image = str(SAMPLE / "astronaut.png")
    out = explain(runner, image, "--channel", "1", "--crop", "180,200,6,6", "-k", "2")
    header = " ".join(out.split("\n\n")[0].split())
    assert header.startswith(f"{image}[180:186, 200:206, 1]: input (6, 6) uint8 -> output (3, 3)")
    pixels = np.asarray(Image.open(image))[180:186, 200:206, 1]
    np.testing.assert_array_equal(output_grid(out), pool(pixels, 2))
    assert out.count("Step ") == 9


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ([str(SAMPLE / "astronaut.png")], 1, "pick one channel with --channel 0..2"),
        ([str(SAMPLE / "astronaut.png"), "--channel", "3"], 2, "--channel: expected 0..2"),
        (["--channel", "0"], 2, "a grid already; expected no --channel"),
        (["--crop", "1,1,2"], 2, "--crop: expected ROW,COLUMN,HEIGHT,WIDTH"),
        (["--crop", "2,2,3,3"], 2, "reaches past the grid (4, 4)"),
        (["--steps", "0"], 2, "expected a number of steps (1 or more) or 'all'"),
        (["-p", "valid", "--pad-value", "1"], 2, "--pad-value: there is no padding to fill"),
        (["--save", "steps.bmp"], 2, "expected a name ending in .gif, .png, .svg"),
        (["--save", "steps.gif", "--code", "tf"], 2, "--code: prints the snippet alone"),
    ],
    ids=str,
)
def test_refusals_say_what_to_do(
    runner: CliRunner, args: list[str], code: int, message: str
) -> None:
    result = runner.invoke(cli, ["explain", *args])
    assert result.exit_code == code, result.output
    assert message in result.stderr


def test_a_row_is_pooled_along_it_with_axes(runner: CliRunner, tmp_path: Path) -> None:
    row = tmp_path / "row.csv"
    row.write_text("3,1,4,1,5,9,2\n")
    result = runner.invoke(cli, ["explain", str(row), "-k", "3"])
    assert result.exit_code == 1
    assert "is one row (1, 7): pool along it with --axes 1" in result.stderr
    out = explain(runner, str(row), "-k", "3", "--axes", "1", "-s", "2")
    assert "Step 1 of 3: output [0, 0] reads row 0; columns 0, 1, 2" in out
    np.testing.assert_array_equal(output_grid(out), [[4, 5, 9]])


# --- on a terminal: long lessons paged ------------------------------------------------------

LONG = ["explain", "-k", "2", "-p", "1", "--op", "avg"]  # 9 steps: longer than a screen
MARKED = "sed s/^/paged:/"  # a pager that shows what went through it


def test_a_lesson_on_a_terminal_goes_through_the_pager(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAGER", raising=False)
    screen = run_in_terminal(LONG, env={"MAXPOOL_PAGER": MARKED})
    assert screen.code == 0, screen.stderr
    lines = screen.text.rstrip("\n").split("\n")
    assert (
        lines[0]
        == "paged:the classic 4x4 example: input (4, 4) int64 -> output (3, 3) float64, avg,"
    )
    assert all(line.startswith("paged:") for line in lines)  # every line, the last too
    assert lines[-3:] == ["paged:0   1  1.5    4", "paged:1   4    4    4", "paged:2   1  2.5    4"]
    assert "\x1b[" in screen.raw  # drawn for the terminal: in colour
    # PAGER when MAXPOOL_PAGER is not set; MAXPOOL_PAGER first
    monkeypatch.delenv("MAXPOOL_PAGER", raising=False)
    assert run_in_terminal(LONG, env={"PAGER": MARKED}).text.startswith("paged:the classic")
    both = run_in_terminal(LONG, env={"PAGER": "false", "MAXPOOL_PAGER": MARKED})
    assert both.text.startswith("paged:the classic")


@pytest.mark.parametrize(
    "env",
    [
        {"PAGER": "cat"},
        {"MAXPOOL_PAGER": ""},
        {"PAGER": "no-such-pager -x"},
        {"PATH": "/nonexistent"},
    ],
    ids=["PAGER=cat", "MAXPOOL_PAGER empty", "PAGER missing", "less missing"],
)
def test_without_a_pager_the_lesson_is_printed_whole(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    monkeypatch.delenv("PAGER", raising=False)
    monkeypatch.delenv("MAXPOOL_PAGER", raising=False)
    screen = run_in_terminal(LONG, env=env)
    assert screen.code == 0, screen.stderr
    assert screen.text.startswith("the classic 4x4 example: input (4, 4) int64 -> output (3, 3)")
    assert screen.text.count("Step ") == 9
    assert screen.text.endswith(
        "Output:\n    0    1    2\n0   1  1.5    4\n1   4    4    4\n2   1  2.5    4\n"
    )


def test_no_pager_and_pipes_are_never_paged(runner: CliRunner) -> None:
    screen = run_in_terminal([*LONG, "--no-pager"], env={"MAXPOOL_PAGER": MARKED})
    assert screen.code == 0, screen.stderr
    assert "paged:" not in screen.text
    assert screen.text.count("Step ") == 9
    piped = subprocess.run(
        [sys.executable, "-m", "maxpool_cli", *LONG],
        capture_output=True,
        text=True,
        env={**os.environ, "MAXPOOL_PAGER": MARKED, "PAGER": MARKED},
        check=True,
    )
    assert "paged:" not in piped.stdout
    assert "\x1b[" not in piped.stdout
    assert piped.stdout == runner.invoke(cli, LONG).stdout


def in_own_terminal(args: list[str], keys: bytes, timeout: float = 30) -> str:
    """``maxpool ARGS`` with a pseudo-terminal 24 rows high as its controlling terminal (in a
    session of its own, so that a pager reads its keys from it, never from the terminal the
    tests run in); ``keys`` are typed once the first screen is shown. Its text, uncoloured."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("PAGER", "MAXPOOL_PAGER", "LESS")}

    def own_terminal() -> None:
        fcntl.ioctl(1, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        [sys.executable, "-m", "maxpool_cli", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**env, "TERM": "xterm-256color"},
        start_new_session=True,
        preexec_fn=own_terminal,
    )
    os.close(slave)
    output, typed = b"", False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the other side closed
                    break
                output += data
            elif process.poll() is not None:
                break
            if keys and not typed and b"Step 1 of " in output:
                time.sleep(0.5)
                os.write(master, keys)
                typed = True
        assert process.wait(timeout=5) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    text = ANSI.sub("", output.decode(errors="replace")).replace("\r\n", "\n")
    return re.sub(r"\x1b[=>]|\r", "", text)  # (less's keypad modes, and its returns)


@pytest.mark.skipif(shutil.which("less") is None, reason="less is not installed")
def test_less_shows_a_long_lesson_a_screen_at_a_time(tmp_path: Path) -> None:
    shown = in_own_terminal(LONG, keys=b"q")
    assert "the classic 4x4 example: input (4, 4) int64" in shown
    assert "Step 1 of 9" in shown
    assert "Step 9 of 9" not in shown  # below the first screen: q quit before it
    two = tmp_path / "two.npy"
    np.save(two, np.array([3, 1]))
    short = in_own_terminal(["explain", str(two), "-k", "2"], keys=b"")  # 22 lines: less -F
    assert "  max(3, 1) = 3  (input [0], flat index 0)\n" in short  # prints it, and ends
    assert short.rstrip().endswith("Output:\n 0\n 3")


# --- pictures ---------------------------------------------------------------------------------


def test_save_draws_every_step_the_same_way_each_time(runner: CliRunner, tmp_path: Path) -> None:
    gif = tmp_path / "steps.gif"
    result = runner.invoke(cli, ["explain", "--save", str(gif)])
    assert result.exit_code == 0, result.stderr
    assert "an animation of 4 frames" in result.stderr
    assert "Step 1 of 4" in result.stdout  # the lesson is printed too
    with Image.open(gif) as image:
        assert image.n_frames == 4
    again = tmp_path / "again.gif"
    runner.invoke(cli, ["explain", "--save", str(again)])
    assert again.read_bytes() == gif.read_bytes()
    refused = runner.invoke(cli, ["explain", "--save", str(gif)])
    assert refused.exit_code == 1
    assert "already exists; pass --overwrite" in refused.stderr
    assert runner.invoke(cli, ["explain", "--save", str(gif), "--overwrite"]).exit_code == 0


def test_the_readme_pictures_are_what_explain_draws(runner: CliRunner, tmp_path: Path) -> None:
    for name in ("explain_classic.png", "explain_classic.gif"):
        drawn = tmp_path / name
        result = runner.invoke(cli, ["explain", "-k", "2", "--save", str(drawn)])
        assert result.exit_code == 0, result.stderr
        committed = ROOT / "docs" / name
        with Image.open(drawn) as a, Image.open(committed) as b:
            assert a.size == b.size
            assert getattr(a, "n_frames", 1) == getattr(b, "n_frames", 1)
            np.testing.assert_array_equal(
                np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB"))
            )


def test_the_sheet_as_svg_marks_the_windows_and_winners(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "steps.svg"
    result = runner.invoke(cli, ["explain", "-k", "3", "-s", "1", "--save", str(path)])
    assert result.exit_code == 0, result.stderr
    root = ET.fromstring(path.read_bytes())
    rects = [e for e in root.iter() if e.tag.endswith("rect")]
    winners = [r for r in rects if r.get("stroke") == "#2b8a3e"]
    windows = [r for r in rects if r.get("stroke") == "#e8590c"]
    # 4 steps: per step a 3x3 window (8 cells and its winner) and the output's current cell
    assert len(windows) == 4 * 8
    assert len(winners) == 4 * 2
    texts = [e.text for e in root.iter() if e.tag.endswith("text")]
    assert "max(1, 1, 2, 5, 6, 7, 3, 2, 1) = 7  (input [1, 2], flat index 6)" in texts


def test_large_grids_are_drawn_as_colour(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "patch.png"
    image = str(SAMPLE / "astronaut.png")
    args = [image, "--channel", "0", "--crop", "0,0,40,40", "-k", "4", "--steps", "2"]
    result = runner.invoke(cli, ["explain", *args, "--save", str(path)])
    assert result.exit_code == 0, result.stderr
    sheet = np.asarray(Image.open(path).convert("RGB"))
    # viridis: the patch's cells are drawn in the ramp's colours (whole cells of its ends),
    # not as written values
    for end in ((68, 1, 84), (253, 231, 37)):  # the darkest and the brightest cells
        assert (sheet == end).all(axis=-1).sum() >= SMALL_CELL**2


def written_cells(svg: Path) -> int:
    """How many texts of a sheet sit centred in a box: cell values and grid labels (the
    words above the grids are set at their top left)."""
    root = ET.fromstring(svg.read_bytes())
    texts = [e for e in root.iter() if e.tag.endswith("text")]
    return sum(1 for e in texts if e.get("dominant-baseline") == "central")


def test_a_sheet_draws_every_step_one_way(runner: CliRunner, tmp_path: Path) -> None:
    image = str(SAMPLE / "astronaut.png")
    # the first steps' views (15 cells: the corner, 12 around) would fit values, the third's
    # (19) not: so none shows values, and the bytes are the same on every run
    args = ["explain", image, "--channel", "0", "-k", "3", "-s", "2", "-p", "same"]
    for name in ("a.svg", "b.svg", "a.png", "b.png"):
        result = runner.invoke(cli, [*args, "--save", str(tmp_path / name)])
        assert result.exit_code == 0, result.stderr
        assert "6 steps on one sheet" in result.stderr
    assert written_cells(tmp_path / "a.svg") == 0
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    # a 12x12 patch, 36 steps: every grid fits, so every step shows its values: per step the
    # 144 input cells and 24 labels, the output's 12 labels and the n cells done so far
    patch = tmp_path / "patch.svg"
    crop = ["--crop", "0,0,12,12", "-k", "2", "--steps", "all"]
    result = runner.invoke(cli, ["explain", image, "--channel", "0", *crop, "--save", str(patch)])
    assert result.exit_code == 0, result.stderr
    assert written_cells(patch) == sum(144 + 24 + 12 + n for n in range(1, 37))


# --- --code: the same pooling in PyTorch, TensorFlow and NumPy ---------------------------------


STORED = {
    "classic": ((4, 4), "int64", PoolOptions(kernel=2)),
    "tutorial_5x5_p1": ((5, 5), "float32", PoolOptions(kernel=2, stride=2, padding=1)),
    "avg_p1": ((5, 5), "float32", PoolOptions(kernel=2, padding=1, op="avg")),
    "avg_count_pad_ceil": (
        (7,),
        "float64",
        PoolOptions(kernel=3, stride=2, padding=1, ceil_mode=True, op="avg", count_pad=True),
    ),
    "min_same_batch": (
        (2, 5, 6),
        "uint8",
        PoolOptions(kernel=3, stride=2, padding="same", op="min"),
    ),
    "image_avg": ((8, 6, 3), "uint8", PoolOptions(kernel=2, op="avg", axes=(0, 1))),
    "dilated_pad_value": (
        (6, 6),
        "float32",
        PoolOptions(kernel=2, stride=2, dilation=2, padding=((1, 0), (0, 1)), pad_value=0.0),
    ),
    "sum_3d": ((2, 4, 4, 4), "int16", PoolOptions(kernel=(2, 2, 2), op="sum")),
    "nan_ignore": ((6, 6), "float64", PoolOptions(kernel=3, stride=2, nan="ignore")),
    "mode_padded": ((5, 6), "int16", PoolOptions(kernel=2, op="mode", padding=1)),
    "adaptive": ((5, 6), "float32", PoolOptions(output_size=(2, 3), op="avg")),
}


def geometry_of(shape: tuple[int, ...], options: PoolOptions) -> object:
    if options.adaptive is not None:
        return adaptive_geometry(shape, options.adaptive, options.axes)
    args = options.for_pool()
    keys = ("kernel", "stride", "padding", "dilation", "ceil_mode", "axes")
    return pool_geometry(shape, *(args[k] for k in keys))


def stored_input(case: str) -> np.ndarray:
    """The input a stored snippet writes out: small values in halves (ties among them),
    and NaNs in float data."""
    shape, dtype, _ = STORED[case]
    if case == "classic":  # what `maxpool explain --code` writes out for its example
        return CLASSIC.astype(dtype)
    rng = np.random.default_rng(7)
    if dtype.startswith("float"):
        x = np.round(rng.normal(0, 4, shape) * 2) / 2
        x[rng.random(shape) < 0.1] = np.nan
        return x.astype(dtype)
    return rng.integers(-3, 4, shape).astype(dtype)


@pytest.mark.parametrize("library", ["torch", "tf", "numpy"])
@pytest.mark.parametrize("case", sorted(STORED))
def test_snippets_are_the_stored_ones(library: str, case: str) -> None:
    shape, dtype, options = STORED[case]
    data = Data(stored_input(case))
    text = snippet(library, options, geometry_of(shape, options), dtype, data)  # type: ignore[arg-type]
    stored = SNIPPETS / f"{case}.{library}.txt"
    if os.environ.get("MAXPOOL_UPDATE_SNIPPETS"):  # after a change checked by verify_snippets
        stored.write_text(text)
    assert text == stored.read_text()


def run_snippet(text: str, x: np.ndarray) -> np.ndarray:
    scope: dict[str, object] = {"x": x.copy(), "maxpool_cli": maxpool_cli}
    exec(compile(text, "<snippet>", "exec"), scope)
    return np.asarray(scope["y"])


def run_pasted(text: str) -> np.ndarray:
    """A snippet as a user pastes it into a fresh interpreter: nothing defined beforehand
    (it imports what it uses, numpy first, and defines ``x`` itself)."""
    scope: dict[str, object] = {}
    exec(compile(text, "<pasted>", "exec"), scope)
    assert isinstance(scope["np"], type(np))
    assert isinstance(scope["x"], np.ndarray)
    return np.asarray(scope["y"])


def header_call(text: str) -> str:
    """The ``maxpool_cli.pool(...)`` call a snippet's comment names (over its lines)."""
    comment = "".join(line[2:] + " " for line in text.splitlines() if line.startswith("# "))
    call = comment.split("y = ", 1)[1]
    depth = 0
    for end, character in enumerate(call):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if character == ")" and depth == 0:
            return call[: end + 1]
    raise AssertionError(f"no call in {comment!r}")


@pytest.mark.parametrize("case", sorted(STORED))
def test_stored_numpy_snippets_run_to_pool(case: str) -> None:
    """Each stored NumPy snippet, run as pasted (only numpy imported, by the snippet itself;
    no ``x`` defined beforehand), gives what ``pool`` gives for the input it writes out."""
    options = STORED[case][2]
    x = stored_input(case)
    text = (SNIPPETS / f"{case}.numpy.txt").read_text()
    assert [line for line in text.splitlines() if line.startswith("import")] == [
        "import numpy as np"
    ]
    expected = eval(header_call(text), {"maxpool_cli": maxpool_cli, "x": x})
    np.testing.assert_array_equal(
        expected,
        pool(x, **options.for_pool())
        if options.adaptive is None
        else adaptive_pool(x, **options.for_adaptive()),
    )
    y = run_pasted(text)
    assert y.dtype == expected.dtype
    np.testing.assert_allclose(y, expected, rtol=1e-6, equal_nan=True)


def random_case(rng: np.random.Generator) -> tuple[np.ndarray, PoolOptions] | None:
    """Options as the command line takes them, on random data (None: the engine refuses)."""
    dtype = rng.choice(
        ["float64", "float32", "float16", "int64", "int8", "uint8", "uint64", "bool"]
    )
    m = int(rng.choice([1, 2, 3]))
    shape = tuple(int(n) for n in rng.integers(1, 4, int(rng.integers(0, 2)))) + tuple(
        int(n) for n in rng.integers(1, 7, m)
    )
    ops = [op for op in OPS if op != "mode" or dtype not in ("float64", "float32", "float16")]
    op = str(rng.choice(ops))
    axes = tuple(range(len(shape) - m, len(shape)))
    if rng.random() < 0.1:
        options = PoolOptions(output_size=int(rng.integers(1, 4)), op=op, axes=axes)  # type: ignore[arg-type]
    else:
        padding = rng.choice(["valid", "same", "int", "pairs"])
        pad: object = str(padding)
        if padding == "int":
            pad = int(rng.integers(0, 3))
        elif padding == "pairs":
            pad = tuple((int(b), int(a)) for b, a in rng.integers(0, 3, (m, 2)))
        options = PoolOptions(
            kernel=int(rng.integers(1, 4)),
            stride=int(rng.integers(1, 4)),
            padding=pad,
            dilation=int(rng.integers(1, 3)),
            ceil_mode=bool(rng.random() < 0.3) and pad != "same",
            op=op,  # type: ignore[arg-type]
            pad_value=0.0 if rng.random() < 0.2 and pad not in ("valid", 0) else None,
            count_pad=op == "avg" and bool(rng.random() < 0.5),
            nan="ignore" if rng.random() < 0.3 else "propagate",
            axes=axes,
        )
    if dtype == "bool":
        x = rng.random(shape) < 0.5
    elif dtype.startswith("float"):
        x = np.round(rng.normal(0, 3, shape)).astype(dtype)
        x[rng.random(shape) < 0.15] = np.nan
    else:
        info = np.iinfo(dtype)
        x = rng.integers(max(int(info.min), -4), 5, shape).astype(dtype)
    try:
        if options.adaptive is not None:
            adaptive_pool(x, **options.for_adaptive())
        else:
            pool(x, **options.for_pool())
    except MaxpoolError:
        return None
    return x, options


def test_numpy_snippets_compute_what_pool_computes() -> None:
    """A seeded sweep of option combinations: each NumPy snippet, executed, gives pool's
    result (identical for max, min and mode; sums and averages added in another order, so
    to within a few ulp), and its comment names the maxpool call that agrees."""
    rng = np.random.default_rng(20240)
    checked = 0
    while checked < 120:
        drawn = random_case(rng)
        if drawn is None:
            continue
        x, options = drawn
        geometry = geometry_of(x.shape, options)
        small = x.size <= LITERAL_UP_TO  # written out: the snippet runs as pasted
        data = Data(x) if small else None
        text = snippet("numpy", options, geometry, x.dtype, data)  # type: ignore[arg-type]
        expected = eval(header_call(text), {"maxpool_cli": maxpool_cli, "x": x})
        y = run_pasted(text) if small else run_snippet(text, x)
        assert y.shape == expected.shape, text
        assert y.dtype == expected.dtype, text
        if options.op in ("max", "min", "mode"):
            np.testing.assert_array_equal(y, expected, err_msg=text)
        else:
            np.testing.assert_allclose(
                y,
                expected,
                rtol=1e-3 if x.dtype == np.float16 else 1e-6,
                equal_nan=True,
                err_msg=text,
            )
        checked += 1


def code(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, ["explain", *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_code_prints_the_snippet_alone_and_it_runs_as_pasted(runner: CliRunner) -> None:
    assert code(runner, "--code", "torch") == (SNIPPETS / "classic.torch.txt").read_text()
    text = code(runner, "--code", "numpy")
    assert text == (SNIPPETS / "classic.numpy.txt").read_text()
    np.testing.assert_array_equal(run_pasted(text), [[6, 8], [3, 4]])  # worked by hand
    # every library's snippet defines the same x
    literal = (
        "x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.int64)"
    )
    for library in ("torch", "tf", "numpy"):
        assert f"\n{literal}\n" in code(
            runner, "-k", "3", "-s", "2", "-p", "same", "--code", library
        )
    hinted = runner.invoke(cli, ["explain", "--code", "pytorch"])
    assert hinted.exit_code == 2
    assert "did you mean 'torch'?" in hinted.stderr


@pytest.mark.parametrize("dtype", ["float32", "float16", "uint8", "int8", "bool", "uint64"])
def test_a_small_files_snippet_writes_every_value_exactly(
    runner: CliRunner, tmp_path: Path, dtype: str
) -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(0, 50, (20, 20))  # 400 cells: the most written out
    if dtype.startswith("float"):
        values[0, :4] = [np.nan, np.inf, -np.inf, -0.0]
        values[1, :3] = [1e-30, 3e38 if dtype == "float32" else 6e4, 1 / 3]
    elif dtype.startswith("u"):
        values = np.abs(values)
    x = (values > 0) if dtype == "bool" else values.astype(dtype)
    if dtype == "uint64":
        x[0, 0] = np.iinfo(np.uint64).max
    path = tmp_path / "x.npy"
    np.save(path, x)
    text = code(runner, str(path), "-k", "3", "-s", "2", "--code", "numpy")
    assert "np.load" not in text
    assert f"    dtype=np.{'bool_' if dtype == 'bool' else dtype},\n)\n" in text
    pasted: dict[str, object] = {}
    exec(compile(text, "<pasted>", "exec"), pasted)
    written = np.asarray(pasted["x"])
    assert written.dtype == x.dtype
    np.testing.assert_array_equal(written, x)  # every value (NaN at NaN)
    assert np.array_equal(np.signbit(written), np.signbit(x))  # -0.0 as -0.0
    np.testing.assert_array_equal(np.asarray(pasted["y"]), pool(x, 3, 2))


def test_a_larger_files_snippet_reads_it(runner: CliRunner, tmp_path: Path) -> None:
    x = np.arange(401.0).reshape(1, 401)
    path = tmp_path / "x.npy"
    np.save(path, x)
    text = code(runner, str(path), "-k", "2", "--axes", "1", "--code", "tf")
    assert f"\nx = np.load({str(path)!r})\n".replace("'", '"') in text
    text = code(runner, str(path), "-k", "2", "--axes", "1", "--code", "numpy")
    np.testing.assert_array_equal(run_pasted(text), pool(x, 2, axes=(1,)))
    features = str(SAMPLE / "features.npz")
    text = code(runner, features, "--key", "heatmap", "-k", "2", "--code", "numpy")
    assert f'\nx = np.load("{features}")["heatmap"]\n' in text
    np.testing.assert_array_equal(run_pasted(text), pool(np.load(features)["heatmap"], 2))


def test_the_snippet_of_a_patch_is_the_patch_walked(runner: CliRunner) -> None:
    image = str(SAMPLE / "astronaut.png")
    pixels = np.asarray(Image.open(image))
    args = [image, "-k", "2", "--op", "avg", "--channel", "0", "--crop", "0,2,4,4"]
    text = code(runner, *args, "--code", "numpy")
    comment = " ".join(line[2:] for line in text.splitlines() if line.startswith("# "))
    assert comment == (
        f"x: a (4, 4) uint8 array ({image}[0:4, 2:6, 0]); y = "
        'maxpool_cli.pool(x, kernel=2, op="avg")'
    )
    patch = pixels[0:4, 2:6, 0]
    rows = ", ".join(f"[{', '.join(map(str, row))}]" for row in patch.tolist())
    assert f"x = np.array(\n    [{rows}],\n    dtype=np.uint8,\n)\n" in text
    np.testing.assert_array_equal(run_pasted(text), pool(patch, 2, op="avg"))
    # a larger patch: read from the file, then cut
    args[-1] = "10,20,30,30"
    text = code(runner, *args, "--code", "numpy")
    assert f'\nx = maxpool_cli.load("{image}")[10:40, 20:50, 0]\n' in text
    assert "\nimport maxpool_cli\n" in text
    np.testing.assert_array_equal(run_pasted(text), pool(pixels[10:40, 20:50, 0], 2, op="avg"))
    # without --crop or --channel: the whole image
    text = code(runner, image, "-k", "2", "--code", "numpy")
    assert (
        "# x: a (512, 512, 3) uint8 array; y = maxpool_cli.pool(x, kernel=2, axes=(0, 1))" in text
    )
    np.testing.assert_array_equal(run_pasted(text), pool(pixels, 2, axes=(0, 1)))


def test_run_code_defines_x_too(runner: CliRunner, tmp_path: Path) -> None:
    classic = str(SAMPLE / "classic_4x4.npy")
    result = runner.invoke(cli, ["run", classic, "-k", "2", "--code", "numpy"])
    assert result.exit_code == 0, result.stderr
    text = result.stdout.split("\n\n", 1)[1]
    assert (
        "\nx = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.uint8)\n"
        in text
    )
    np.testing.assert_array_equal(run_pasted(text), [[6, 8], [3, 4]])
    # several arrays: each snippet reads its own
    features = str(SAMPLE / "features.npz")
    result = runner.invoke(cli, ["run", features, "-k", "2", "--code", "numpy", "-q"])
    assert result.exit_code == 0, result.stderr
    parts = result.stdout.split("\n# heatmap:\n")
    assert f'\nx = np.load("{features}")["heatmap"]\n' in parts[1]
    np.testing.assert_array_equal(run_pasted(parts[1]), pool(np.load(features)["heatmap"], 2))
    # standard input cannot be read again: the snippet says what x must be
    data = (SAMPLE / "classic_4x4.npy").read_bytes()
    result = runner.invoke(cli, ["run", "-", "-k", "2", "--code", "numpy"], input=data)
    assert "\n# x must be defined first: save the input (np.save) and np.load it here\n" in (
        result.stdout
    )


def test_every_stored_snippet_is_used() -> None:
    names = {f"{case}.{library}.txt" for case in STORED for library in ("torch", "tf", "numpy")}
    assert {p.name for p in SNIPPETS.iterdir()} == names


def test_the_readme_shows_the_lesson_as_explain_prints_it(runner: CliRunner) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### `maxpool explain`")[1].split("\n### ")[0]
    blocks = re.findall(r"```text\n\$ (maxpool explain[^\n]*)\n(.*?)```", section, re.DOTALL)
    assert blocks
    for command, shown in blocks:
        out = explain(runner, *command.split()[2:])
        assert shown.replace("...\n", "") in out or all(
            part in out for part in shown.split("...\n") if part.strip()
        ), command
    assert "docs/explain_classic.gif" in section
